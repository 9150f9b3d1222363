//! The Settings panel's form: every replication, workload and network parameter the page can
//! change while a run plays. Numbers are kept as the text the user typed, so a bad entry stays
//! in its box and the message names its field; a valid form becomes the commands that change
//! what differs (each enters the command log at the current simulated time). The cluster size
//! is part of the scenario, not of a command: changing it restarts the run.

use crate::sim::command::Command;
use crate::sim::net::{Latency, LATENCY_MS_CAP};
use crate::sim::repl::workload::{KeyDist, WorkloadParams, KEYS_MAX, OPS_RATE_MAX};
use crate::sim::repl::{
    AckPolicy, ConflictPolicy, Mode, PartitionMode, ReplicationParams, StoreKind, SKEW_MS_MAX,
};
use crate::sim::{Scenario, Simulation};

/// Largest cluster a scenario may have.
pub const NODES_MAX: u32 = 7;
/// Largest anti-entropy interval, ms.
pub const ANTI_ENTROPY_MS_MAX: u64 = 600_000;

/// The settings in force in a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub nodes: u32,
    pub replication: ReplicationParams,
    pub workload: WorkloadParams,
    pub latency: Latency,
    /// Message loss probability, 0.0 ..= 1.0.
    pub loss: f64,
}

impl Settings {
    /// Read the settings in force; clock offsets get one entry per node.
    pub fn of(sim: &Simulation) -> Settings {
        let c = sim.cluster();
        let nodes = c.size();
        let mut replication = c.params.clone();
        replication.clock_skew_ms.resize(nodes as usize, 0);
        Settings {
            nodes,
            replication,
            workload: WorkloadParams {
                ops_per_s: sim.ops_per_s(),
                ..c.workload.clone()
            },
            latency: sim.network().params.latency.clone(),
            loss: sim.network().params.loss,
        }
    }

    /// A new scenario with these settings (for a different cluster size), from `base`.
    pub fn scenario(&self, base: &Scenario) -> Scenario {
        let mut s = base.clone();
        s.cluster.nodes = self.nodes;
        s.replication = self.replication.clone();
        s.replication.clock_skew_ms.resize(self.nodes as usize, 0);
        s.workload = self.workload.clone();
        s.network.latency = self.latency.clone();
        s.network.loss = self.loss;
        s
    }
}

/// Replication protocol and, for a single leader, when it acknowledges: one choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    LeaderAsync,
    LeaderSemiSync,
    LeaderMajority,
    LeaderSync,
    MultiLeader,
    Leaderless,
    LeaderlessAbd,
}

impl Protocol {
    pub const ALL: [Protocol; 7] = [
        Protocol::LeaderAsync,
        Protocol::LeaderSemiSync,
        Protocol::LeaderMajority,
        Protocol::LeaderSync,
        Protocol::MultiLeader,
        Protocol::Leaderless,
        Protocol::LeaderlessAbd,
    ];

    pub fn value(self) -> &'static str {
        match self {
            Protocol::LeaderAsync => "leader_async",
            Protocol::LeaderSemiSync => "leader_semi_sync",
            Protocol::LeaderMajority => "leader_majority",
            Protocol::LeaderSync => "leader_sync",
            Protocol::MultiLeader => "multi_leader",
            Protocol::Leaderless => "leaderless",
            Protocol::LeaderlessAbd => "leaderless_abd",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Protocol::LeaderAsync => "Single leader, asynchronous",
            Protocol::LeaderSemiSync => "Single leader, semi-synchronous",
            Protocol::LeaderMajority => "Single leader, majority acks",
            Protocol::LeaderSync => "Single leader, synchronous",
            Protocol::MultiLeader => "Multi-leader",
            Protocol::Leaderless => "Leaderless quorums",
            Protocol::LeaderlessAbd => "Leaderless, ABD (linearizable)",
        }
    }

    pub fn from_value(v: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.value() == v)
    }

    pub fn of(p: &ReplicationParams) -> Protocol {
        match (p.mode, p.ack, p.abd) {
            (Mode::SingleLeader, AckPolicy::Async, _) => Protocol::LeaderAsync,
            (Mode::SingleLeader, AckPolicy::SemiSync, _) => Protocol::LeaderSemiSync,
            (Mode::SingleLeader, AckPolicy::Majority, _) => Protocol::LeaderMajority,
            (Mode::SingleLeader, AckPolicy::Sync, _) => Protocol::LeaderSync,
            (Mode::MultiLeader, _, _) => Protocol::MultiLeader,
            (Mode::Leaderless, _, false) => Protocol::Leaderless,
            (Mode::Leaderless, _, true) => Protocol::LeaderlessAbd,
        }
    }

    /// Set mode, acks and ABD; other fields keep their values.
    fn apply(self, p: &mut ReplicationParams) {
        let (mode, ack, abd) = match self {
            Protocol::LeaderAsync => (Mode::SingleLeader, AckPolicy::Async, false),
            Protocol::LeaderSemiSync => (Mode::SingleLeader, AckPolicy::SemiSync, false),
            Protocol::LeaderMajority => (Mode::SingleLeader, AckPolicy::Majority, false),
            Protocol::LeaderSync => (Mode::SingleLeader, AckPolicy::Sync, false),
            Protocol::MultiLeader => (Mode::MultiLeader, p.ack, false),
            Protocol::Leaderless => (Mode::Leaderless, p.ack, false),
            Protocol::LeaderlessAbd => (Mode::Leaderless, p.ack, true),
        };
        (p.mode, p.ack, p.abd) = (mode, ack, abd);
    }

    /// Whether the N/R/W quorums, read repair and the conflict policy apply.
    pub fn leaderless(self) -> bool {
        matches!(self, Protocol::Leaderless | Protocol::LeaderlessAbd)
    }

    pub fn single_leader(self) -> bool {
        matches!(
            self,
            Protocol::LeaderAsync
                | Protocol::LeaderSemiSync
                | Protocol::LeaderMajority
                | Protocol::LeaderSync
        )
    }
}

/// The conflict policies in the order the page lists them, with their form values.
pub const CONFLICT_CHOICES: [(ConflictPolicy, &str, &str); 4] = [
    (ConflictPolicy::Lww, "lww", "Last writer wins"),
    (
        ConflictPolicy::Siblings,
        "siblings",
        "Version vectors (siblings)",
    ),
    (
        ConflictPolicy::MergeCounter,
        "merge_counter",
        "Merge: counter",
    ),
    (ConflictPolicy::MergeSet, "merge_set", "Merge: set union"),
];

/// Latency distributions, and the names of their two parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatencyKind {
    Constant,
    Uniform,
    Exponential,
    LogNormal,
}

impl LatencyKind {
    pub const ALL: [LatencyKind; 4] = [
        LatencyKind::Constant,
        LatencyKind::Uniform,
        LatencyKind::Exponential,
        LatencyKind::LogNormal,
    ];
    pub fn value(self) -> &'static str {
        match self {
            LatencyKind::Constant => "constant",
            LatencyKind::Uniform => "uniform",
            LatencyKind::Exponential => "exponential",
            LatencyKind::LogNormal => "log_normal",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            LatencyKind::Constant => "Constant",
            LatencyKind::Uniform => "Uniform",
            LatencyKind::Exponential => "Exponential tail",
            LatencyKind::LogNormal => "Log-normal",
        }
    }
    pub fn from_value(v: &str) -> Option<LatencyKind> {
        LatencyKind::ALL.into_iter().find(|k| k.value() == v)
    }
    /// Labels of the first and (when used) second parameter.
    pub fn params(self) -> (&'static str, Option<&'static str>) {
        match self {
            LatencyKind::Constant => ("Latency (ms)", None),
            LatencyKind::Uniform => ("Latency min (ms)", Some("Latency max (ms)")),
            LatencyKind::Exponential => ("Latency min (ms)", Some("Latency mean extra (ms)")),
            LatencyKind::LogNormal => ("Latency median (ms)", Some("Latency sigma")),
        }
    }
}

/// Key distributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyDistKind {
    Uniform,
    Zipf,
    HotKey,
}

impl KeyDistKind {
    pub const ALL: [KeyDistKind; 3] =
        [KeyDistKind::Uniform, KeyDistKind::Zipf, KeyDistKind::HotKey];
    pub fn value(self) -> &'static str {
        match self {
            KeyDistKind::Uniform => "uniform",
            KeyDistKind::Zipf => "zipf",
            KeyDistKind::HotKey => "hot_key",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            KeyDistKind::Uniform => "Uniform",
            KeyDistKind::Zipf => "Zipf (skewed)",
            KeyDistKind::HotKey => "One hot key",
        }
    }
    pub fn from_value(v: &str) -> Option<KeyDistKind> {
        KeyDistKind::ALL.into_iter().find(|k| k.value() == v)
    }
    /// The label of its parameter, if it has one.
    pub fn param(self) -> Option<&'static str> {
        match self {
            KeyDistKind::Uniform => None,
            KeyDistKind::Zipf => Some("Zipf exponent s"),
            KeyDistKind::HotKey => Some("Hot key share (%)"),
        }
    }
}

/// The form, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingsForm {
    pub nodes: String,
    pub protocol: Protocol,
    pub n: String,
    pub r: String,
    pub w: String,
    pub partition_mode: PartitionMode,
    /// How every node stores its copy (SQL table or document collection).
    pub store: StoreKind,
    pub conflict: ConflictPolicy,
    pub read_repair: bool,
    pub anti_entropy: bool,
    pub anti_entropy_ms: String,
    /// One clock offset (ms) per node.
    pub clock_skew_ms: Vec<String>,
    pub ops_per_s: String,
    pub read_pct: String,
    pub keys: String,
    pub key_dist: KeyDistKind,
    /// Zipf's `s`, or the hot key's share in %.
    pub key_param: String,
    pub latency_kind: LatencyKind,
    pub latency_a: String,
    pub latency_b: String,
    pub loss_pct: String,
}

/// A number for a text box: no float noise (`7.000000000000001` shows as `7`).
pub fn num_text(v: f64) -> String {
    let s = format!("{:.4}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

fn whole(label: &str, text: &str, lo: i64, hi: i64, why: &str) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!(
            "{label} must be a whole number from {lo} to {hi}{why}, not \"{}\"",
            text.trim()
        )),
    }
}

fn real(label: &str, text: &str, lo: f64, hi: f64) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!(
            "{label} must be a number from {} to {}, not \"{}\"",
            num_text(lo),
            num_text(hi),
            text.trim()
        )),
    }
}

impl SettingsForm {
    pub fn from_settings(s: &Settings) -> SettingsForm {
        let p = &s.replication;
        let w = &s.workload;
        let (key_dist, key_param) = match w.key_dist {
            KeyDist::Uniform => (KeyDistKind::Uniform, "1".to_string()),
            KeyDist::Zipf { s } => (KeyDistKind::Zipf, num_text(s)),
            KeyDist::HotKey { share } => (KeyDistKind::HotKey, num_text(share * 100.0)),
        };
        let (latency_kind, a, b) = match s.latency {
            Latency::Constant { ms } => (LatencyKind::Constant, ms, ms),
            Latency::Uniform { min_ms, max_ms } => (LatencyKind::Uniform, min_ms, max_ms),
            Latency::Exponential { min_ms, mean_ms } => (LatencyKind::Exponential, min_ms, mean_ms),
            Latency::LogNormal { median_ms, sigma } => (LatencyKind::LogNormal, median_ms, sigma),
        };
        SettingsForm {
            nodes: s.nodes.to_string(),
            protocol: Protocol::of(p),
            n: p.n.to_string(),
            r: p.r.to_string(),
            w: p.w.to_string(),
            partition_mode: p.partition_mode,
            store: p.store,
            conflict: p.conflict,
            read_repair: p.read_repair,
            anti_entropy: p.anti_entropy_ms > 0,
            anti_entropy_ms: if p.anti_entropy_ms > 0 {
                p.anti_entropy_ms.to_string()
            } else {
                "1000".into()
            },
            clock_skew_ms: (0..s.nodes)
                .map(|i| {
                    p.clock_skew_ms
                        .get(i as usize)
                        .copied()
                        .unwrap_or(0)
                        .to_string()
                })
                .collect(),
            ops_per_s: w.ops_per_s.to_string(),
            read_pct: num_text(w.read_fraction * 100.0),
            keys: w.keys.to_string(),
            key_dist,
            key_param,
            latency_kind,
            latency_a: num_text(a),
            latency_b: num_text(b),
            loss_pct: num_text(s.loss * 100.0),
        }
    }

    /// The settings this form asks for, or a message naming the first field that is wrong.
    /// Fields the form does not show (timeouts, routing, ...) keep their values from `current`.
    pub fn to_settings(&self, current: &Settings) -> Result<Settings, String> {
        let nodes = whole("Cluster size", &self.nodes, 1, NODES_MAX.into(), " nodes")? as u32;
        let replication = self.replication(current, nodes)?;
        let workload = self.workload(current)?;
        let latency = self.latency()?;
        let loss = real("Message loss (%)", &self.loss_pct, 0.0, 100.0)? / 100.0;
        Ok(Settings {
            nodes,
            replication,
            workload,
            latency,
            loss,
        })
    }

    fn replication(&self, current: &Settings, nodes: u32) -> Result<ReplicationParams, String> {
        let mut p = current.replication.clone();
        self.protocol.apply(&mut p);
        p.partition_mode = self.partition_mode;
        p.store = self.store;
        p.conflict = self.conflict;
        p.read_repair = self.read_repair;
        let size = " (the cluster size)";
        p.n = whole("N (replicas per key)", &self.n, 1, nodes.into(), size)? as u32;
        p.r = whole("R (read quorum)", &self.r, 1, p.n.into(), " (N)")? as u32;
        p.w = whole("W (write quorum)", &self.w, 1, p.n.into(), " (N)")? as u32;
        p.anti_entropy_ms = if self.anti_entropy {
            let hi = ANTI_ENTROPY_MS_MAX as i64;
            whole(
                "Anti-entropy interval (ms)",
                &self.anti_entropy_ms,
                1,
                hi,
                "",
            )? as u64
        } else {
            0
        };
        let mut skew = Vec::with_capacity(nodes as usize);
        for i in 0..nodes {
            let text = self
                .clock_skew_ms
                .get(i as usize)
                .map_or("0", |t| t.as_str());
            let label = format!("Clock offset of n{i} (ms)");
            skew.push(whole(&label, text, -SKEW_MS_MAX, SKEW_MS_MAX, "")?);
        }
        p.clock_skew_ms = skew;
        p.validate(nodes)
            .map_err(|(f, why)| format!("{f}: {why}"))?;
        Ok(p)
    }

    fn workload(&self, current: &Settings) -> Result<WorkloadParams, String> {
        let mut w = current.workload.clone();
        let rate_max = i64::from(OPS_RATE_MAX);
        w.ops_per_s = whole("Operation rate (per s)", &self.ops_per_s, 0, rate_max, "")? as u32;
        w.read_fraction = real("Reads (% of operations)", &self.read_pct, 0.0, 100.0)? / 100.0;
        w.keys = whole("Keys", &self.keys, 1, KEYS_MAX.into(), "")? as u32;
        w.key_dist = match self.key_dist {
            KeyDistKind::Uniform => KeyDist::Uniform,
            KeyDistKind::Zipf => KeyDist::Zipf {
                s: real("Zipf exponent s", &self.key_param, 0.0, 5.0)?,
            },
            KeyDistKind::HotKey => KeyDist::HotKey {
                share: real("Hot key share (%)", &self.key_param, 0.0, 100.0)? / 100.0,
            },
        };
        w.validate().map_err(|(f, why)| format!("{f}: {why}"))?;
        Ok(w)
    }

    fn latency(&self) -> Result<Latency, String> {
        let (la, lb) = self.latency_kind.params();
        let cap = LATENCY_MS_CAP;
        let a = real(la, &self.latency_a, 0.0, cap)?;
        let b = |lo: f64, hi: f64| real(lb.unwrap_or(la), &self.latency_b, lo, hi);
        let l = match self.latency_kind {
            LatencyKind::Constant => Latency::Constant { ms: a },
            LatencyKind::Uniform => Latency::Uniform {
                min_ms: a,
                max_ms: b(a, cap)?,
            },
            LatencyKind::Exponential => Latency::Exponential {
                min_ms: a,
                mean_ms: b(0.0, cap)?,
            },
            LatencyKind::LogNormal => Latency::LogNormal {
                median_ms: real(la, &self.latency_a, 0.001, cap)?,
                sigma: b(0.0, 5.0)?,
            },
        };
        l.validate()?;
        Ok(l)
    }

    /// Change the latency kind, carrying sensible parameters over.
    pub fn set_latency_kind(&mut self, kind: LatencyKind) {
        if kind == self.latency_kind {
            return;
        }
        let (a, b) = match kind {
            LatencyKind::Constant => ("20", "20"),
            LatencyKind::Uniform => ("5", "40"),
            LatencyKind::Exponential => ("5", "20"),
            LatencyKind::LogNormal => ("15", "0.5"),
        };
        self.latency_kind = kind;
        self.latency_a = a.into();
        self.latency_b = b.into();
    }

    /// Change the key distribution, with a default parameter for the new one.
    pub fn set_key_dist(&mut self, kind: KeyDistKind) {
        if kind == self.key_dist {
            return;
        }
        self.key_dist = kind;
        self.key_param = match kind {
            KeyDistKind::Uniform => "1",
            KeyDistKind::Zipf => "1.2",
            KeyDistKind::HotKey => "50",
        }
        .into();
    }
}

/// What a valid form asks the page to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Apply {
    /// Nothing differs.
    Nothing,
    /// Issue these commands, in order, to the steered run.
    Commands(Vec<Command>),
    /// The cluster size changed: start again from this scenario.
    Restart(Box<Scenario>),
}

/// What applying `form` to a run whose settings are `current` (and whose scenario is `base`)
/// does, or a message naming the field that is wrong. Parts are compared with `current` as
/// the form itself shows it, so rounding in a text box never sends a command by itself.
pub fn apply(form: &SettingsForm, current: &Settings, base: &Scenario) -> Result<Apply, String> {
    let new = form.to_settings(current)?;
    let shown = SettingsForm::from_settings(current)
        .to_settings(current)
        .unwrap_or_else(|_| current.clone());
    if new.nodes != current.nodes {
        return Ok(Apply::Restart(Box::new(new.scenario(base))));
    }
    let mut cmds = Vec::new();
    let strip = |p: &ReplicationParams| ReplicationParams {
        clock_skew_ms: Vec::new(),
        ..p.clone()
    };
    if strip(&new.replication) != strip(&shown.replication) {
        cmds.push(Command::Configure {
            replication: new.replication.clone(),
        });
    } else {
        let skews = new.replication.clock_skew_ms.iter();
        for (i, (&ms, &was)) in skews.zip(&shown.replication.clock_skew_ms).enumerate() {
            if ms != was {
                cmds.push(Command::SetClockSkew { node: i as u32, ms });
            }
        }
    }
    let same_but_rate = WorkloadParams {
        ops_per_s: shown.workload.ops_per_s,
        ..new.workload.clone()
    };
    if same_but_rate != shown.workload {
        cmds.push(Command::SetWorkload {
            workload: new.workload.clone(),
        });
    } else if new.workload.ops_per_s != shown.workload.ops_per_s {
        cmds.push(Command::SetOpRate {
            per_s: new.workload.ops_per_s,
        });
    }
    if new.latency != shown.latency {
        cmds.push(Command::SetLatency {
            latency: new.latency,
        });
    }
    if new.loss != shown.loss {
        cmds.push(Command::SetLoss { loss: new.loss });
    }
    Ok(if cmds.is_empty() {
        Apply::Nothing
    } else {
        Apply::Commands(cmds)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimTime;

    fn default_run() -> (Simulation, Settings) {
        let sim = Simulation::new(Scenario::default()).unwrap();
        let s = Settings::of(&sim);
        (sim, s)
    }

    #[test]
    fn an_unchanged_form_sends_nothing() {
        let (sim, s) = default_run();
        let f = SettingsForm::from_settings(&s);
        assert_eq!(f.n, "3");
        assert_eq!(f.protocol, Protocol::Leaderless);
        assert_eq!(f.read_pct, "80");
        assert_eq!(f.loss_pct, "1");
        assert_eq!(f.clock_skew_ms.len(), 5);
        assert_eq!(apply(&f, &s, sim.scenario()), Ok(Apply::Nothing));
    }

    #[test]
    fn each_change_becomes_its_own_command() {
        let (sim, s) = default_run();
        let base = sim.scenario();
        let mut f = SettingsForm::from_settings(&s);
        f.partition_mode = PartitionMode::Ap;
        let Ok(Apply::Commands(c)) = apply(&f, &s, base) else {
            panic!("expected commands")
        };
        assert!(
            matches!(&c[..], [Command::Configure { replication }] if replication.partition_mode == PartitionMode::Ap)
        );
        let mut f = SettingsForm::from_settings(&s);
        f.store = StoreKind::Document;
        let Ok(Apply::Commands(c)) = apply(&f, &s, base) else {
            panic!("expected commands")
        };
        assert!(
            matches!(&c[..], [Command::Configure { replication }] if replication.store == StoreKind::Document)
        );
        let mut f = SettingsForm::from_settings(&s);
        f.clock_skew_ms[2] = "-40".into();
        f.ops_per_s = "200".into();
        f.loss_pct = "5".into();
        assert_eq!(
            apply(&f, &s, base),
            Ok(Apply::Commands(vec![
                Command::SetClockSkew { node: 2, ms: -40 },
                Command::SetOpRate { per_s: 200 },
                Command::SetLoss { loss: 0.05 },
            ]))
        );
        let mut f = SettingsForm::from_settings(&s);
        f.set_key_dist(KeyDistKind::Zipf);
        f.set_latency_kind(LatencyKind::LogNormal);
        let Ok(Apply::Commands(c)) = apply(&f, &s, base) else {
            panic!()
        };
        assert!(
            matches!(&c[0], Command::SetWorkload { workload } if workload.key_dist == KeyDist::Zipf { s: 1.2 })
        );
        assert!(matches!(
            &c[1],
            Command::SetLatency {
                latency: Latency::LogNormal { .. }
            }
        ));
    }

    #[test]
    fn bad_entries_are_named_and_checked_against_each_other() {
        let (sim, s) = default_run();
        let base = sim.scenario();
        let mut f = SettingsForm::from_settings(&s);
        f.w = "7".into();
        assert_eq!(
            apply(&f, &s, base).unwrap_err(),
            "W (write quorum) must be a whole number from 1 to 3 (N), not \"7\""
        );
        f.w = "2".into();
        f.n = "6".into();
        assert!(apply(&f, &s, base).unwrap_err().starts_with(
            "N (replicas per key) must be a whole number from 1 to 5 (the cluster size)"
        ));
        f.n = "3".into();
        f.loss_pct = "half".into();
        assert_eq!(
            apply(&f, &s, base).unwrap_err(),
            "Message loss (%) must be a number from 0 to 100, not \"half\""
        );
        f.loss_pct = "1".into();
        f.set_latency_kind(LatencyKind::Uniform);
        f.latency_a = "50".into();
        f.latency_b = "10".into();
        assert!(apply(&f, &s, base)
            .unwrap_err()
            .starts_with("Latency max (ms) must be a number from 50 to"));
        let mut f = SettingsForm::from_settings(&s);
        f.clock_skew_ms[4] = "99999".into();
        assert!(apply(&f, &s, base)
            .unwrap_err()
            .starts_with("Clock offset of n4 (ms)"));
        let mut f = SettingsForm::from_settings(&s);
        f.nodes = "2".into();
        assert!(apply(&f, &s, base)
            .unwrap_err()
            .starts_with("N (replicas per key)"));
    }

    #[test]
    fn a_new_cluster_size_restarts_with_the_settings_in_force() {
        let (mut sim, s) = default_run();
        sim.command(Command::SetOpRate { per_s: 120 }).unwrap();
        sim.advance_to(SimTime::from_ms(500), u64::MAX);
        let s2 = Settings::of(&sim);
        assert_ne!(s, s2);
        let mut f = SettingsForm::from_settings(&s2);
        f.nodes = "7".into();
        let Ok(Apply::Restart(sc)) = apply(&f, &s2, sim.scenario()) else {
            panic!()
        };
        assert_eq!(sc.cluster.nodes, 7);
        assert_eq!(sc.workload.ops_per_s, 120);
        assert_eq!(sc.replication.clock_skew_ms.len(), 7);
        let next = Simulation::new(*sc).unwrap();
        assert_eq!(Settings::of(&next).nodes, 7);
    }

    #[test]
    fn protocols_round_trip_through_their_values() {
        for p in Protocol::ALL {
            assert_eq!(Protocol::from_value(p.value()), Some(p));
            let mut params = ReplicationParams::default();
            p.apply(&mut params);
            assert_eq!(Protocol::of(&params), p);
        }
        assert_eq!(num_text(0.07 * 100.0), "7");
        assert_eq!(num_text(-0.0), "0");
        assert_eq!(num_text(1.25), "1.25");
    }
}
