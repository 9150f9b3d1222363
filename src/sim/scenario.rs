//! A scenario is everything needed to start a run: the seed and every parameter, as plain
//! serde data (JSON in files and URLs). `validate` checks every range and returns a typed
//! error naming the field, so a bad file or URL gets a clear message instead of a panic.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::command::{Command, TimedCommand};
use super::net::LinkParams;
use super::repl::workload::WorkloadParams;
use super::repl::workload::OPS_RATE_MAX;
use super::repl::{Mode, ReplicationParams, SKEW_MS_MAX};

/// Largest cluster the model and the page are built for.
pub const NODES_MAX: u32 = 7;
/// Longest lag spike, in milliseconds (extra delay and duration alike).
pub const SPIKE_MS_MAX: u64 = 600_000;
/// Upper bound on a run's length, in milliseconds (one simulated day).
pub const DURATION_MS_MAX: u64 = 86_400_000;
/// Upper bound on scheduled faults in one scenario file.
pub const FAULTS_MAX: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Display name. Default `"default"`.
    pub name: String,
    /// Seed for every random stream of the run. Default 1.
    pub seed: u64,
    /// How long a run lasts when run to its end (command line, tests), in simulated ms.
    /// The page keeps running past it. Default 60 000 (one minute). Range 1 ..= 86 400 000.
    pub duration_ms: u64,
    pub cluster: ClusterParams,
    /// Every link's latency distribution, loss, duplication and reordering.
    pub network: LinkParams,
    /// How the nodes replicate: protocol, quorums, CP/AP, conflicts, clocks.
    pub replication: ReplicationParams,
    /// The clients.
    pub workload: WorkloadParams,
    /// Interval between metric samples for the charts, in simulated ms. Default 250.
    /// Range 10 ..= 60 000.
    pub sample_interval_ms: u64,
    /// Commands applied at fixed simulated times, e.g. a partition at 10 s and a heal at 20 s.
    pub faults: Vec<TimedCommand>,
    /// A migration to run (`migrascope run` runs it instead of the replication model; the
    /// run uses `seed`). Absent by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<super::migrate::MigrationSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterParams {
    /// Number of nodes. Default 5. Range 1 ..= 7.
    pub nodes: u32,
    /// Interval of every node's periodic work (leader heartbeats and re-sends, failure-detector
    /// pings, hint hand-off), in ms. A peer unheard for three intervals is suspected down.
    /// Default 100. Range 1 ..= 10 000.
    pub heartbeat_ms: u64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "default".into(),
            seed: 1,
            duration_ms: 60_000,
            cluster: ClusterParams::default(),
            network: LinkParams::default(),
            replication: ReplicationParams::default(),
            workload: WorkloadParams::default(),
            sample_interval_ms: 250,
            faults: Vec::new(),
            migration: None,
        }
    }
}

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            nodes: 5,
            heartbeat_ms: 100,
        }
    }
}

/// Why a scenario (or a command) was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioError {
    /// The text is not valid JSON for a scenario (syntax, unknown field, wrong type).
    Parse(String),
    /// A number outside its allowed range.
    OutOfRange {
        field: &'static str,
        value: String,
        allowed: String,
    },
    /// A field whose value is not allowed, with the reason.
    Invalid { field: &'static str, reason: String },
    /// A command names something that does not exist or cannot be done.
    InvalidCommand(String),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Parse(m) => write!(f, "scenario is not valid: {m}"),
            ScenarioError::OutOfRange {
                field,
                value,
                allowed,
            } => write!(f, "{field} = {value} is out of range (allowed: {allowed})"),
            ScenarioError::Invalid { field, reason } => write!(f, "{field}: {reason}"),
            ScenarioError::InvalidCommand(m) => write!(f, "command refused: {m}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

fn check_u64(field: &'static str, v: u64, lo: u64, hi: u64) -> Result<(), ScenarioError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(ScenarioError::OutOfRange {
            field,
            value: v.to_string(),
            allowed: format!("{lo} ..= {hi}"),
        })
    }
}

fn check_prob(field: &'static str, p: f64) -> Result<(), ScenarioError> {
    if p.is_finite() && (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(ScenarioError::OutOfRange {
            field,
            value: p.to_string(),
            allowed: "0.0 ..= 1.0".into(),
        })
    }
}

impl Scenario {
    /// Parse and validate JSON text.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let s: Scenario =
            serde_json::from_str(text).map_err(|e| ScenarioError::Parse(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// Check every field's range and every scheduled fault.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        check_u64("duration_ms", self.duration_ms, 1, DURATION_MS_MAX)?;
        check_u64(
            "cluster.nodes",
            self.cluster.nodes.into(),
            1,
            NODES_MAX.into(),
        )?;
        check_u64("cluster.heartbeat_ms", self.cluster.heartbeat_ms, 1, 10_000)?;
        self.network
            .validate()
            .map_err(|reason| ScenarioError::Invalid {
                field: "network",
                reason,
            })?;
        self.replication
            .validate(self.cluster.nodes)
            .map_err(|(field, reason)| ScenarioError::Invalid {
                field: replication_field(field),
                reason,
            })?;
        self.check_workload(&self.workload)?;
        check_u64("sample_interval_ms", self.sample_interval_ms, 10, 60_000)?;
        check_u64(
            "faults (count)",
            self.faults.len() as u64,
            0,
            FAULTS_MAX as u64,
        )?;
        for f in &self.faults {
            self.validate_command(&f.command)?;
        }
        if let Some(m) = &self.migration {
            m.validate().map_err(|e| ScenarioError::Invalid {
                field: "migration",
                reason: e.to_string(),
            })?;
        }
        Ok(())
    }

    /// Check that a command makes sense for this scenario's cluster and ranges.
    pub fn validate_command(&self, c: &Command) -> Result<(), ScenarioError> {
        let node_ok = |node: u32| {
            if node < self.cluster.nodes {
                Ok(())
            } else {
                Err(ScenarioError::InvalidCommand(format!(
                    "node {node} does not exist (the cluster has nodes 0 ..= {})",
                    self.cluster.nodes - 1
                )))
            }
        };
        let distinct = |a: u32, b: u32| {
            node_ok(a)?;
            node_ok(b)?;
            if a == b {
                return Err(ScenarioError::InvalidCommand(format!(
                    "a link joins two different nodes, not {a} and {b}"
                )));
            }
            Ok(())
        };
        match c {
            Command::SetOpRate { per_s } => {
                check_u64("ops_per_s", (*per_s).into(), 0, OPS_RATE_MAX.into())
            }
            Command::SetClockSkew { node, ms } => {
                node_ok(*node)?;
                check_u64("clock skew (ms)", ms.unsigned_abs(), 0, SKEW_MS_MAX as u64)
            }
            Command::Configure { replication } => {
                replication
                    .validate(self.cluster.nodes)
                    .map_err(|(field, reason)| ScenarioError::Invalid {
                        field: replication_field(field),
                        reason,
                    })
            }
            Command::SetWorkload { workload } => self.check_workload(workload),
            Command::SetLatency { latency } => {
                latency.validate().map_err(|reason| ScenarioError::Invalid {
                    field: "latency",
                    reason,
                })
            }
            Command::SetLoss { loss } => check_prob("loss", *loss),
            Command::CutLink { a, b } | Command::HealLink { a, b } => distinct(*a, *b),
            Command::CutOneWay { from, to } => distinct(*from, *to),
            Command::Partition { groups } => self.validate_groups(groups),
            Command::HealAll | Command::HealPartition => Ok(()),
            Command::LagSpike {
                a,
                b,
                extra_ms,
                duration_ms,
            } => {
                distinct(*a, *b)?;
                check_u64("extra_ms", *extra_ms, 0, SPIKE_MS_MAX)?;
                check_u64("duration_ms", *duration_ms, 1, SPIKE_MS_MAX)
            }
            Command::Crash { node } | Command::Restart { node } => node_ok(*node),
            Command::StartMigration { .. } | Command::MigrationFault { .. } => c
                .validate_migration()
                .map_err(|reason| ScenarioError::Invalid {
                    field: "migration",
                    reason,
                }),
        }
    }

    fn check_workload(&self, w: &WorkloadParams) -> Result<(), ScenarioError> {
        w.validate()
            .map_err(|(field, reason)| ScenarioError::Invalid {
                field: workload_field(field),
                reason,
            })?;
        if w.txn_rows > 1 && self.replication.mode != Mode::SingleLeader {
            return Err(ScenarioError::Invalid {
                field: "workload.txn_rows",
                reason: "transactions of several rows need single-leader replication".into(),
            });
        }
        Ok(())
    }

    /// Partition groups: existing nodes, each in at most one group, no empty group.
    fn validate_groups(&self, groups: &[Vec<u32>]) -> Result<(), ScenarioError> {
        let mut seen = std::collections::BTreeSet::new();
        for g in groups {
            if g.is_empty() {
                return Err(ScenarioError::InvalidCommand(
                    "a partition group needs at least one node".into(),
                ));
            }
            for &n in g {
                if n >= self.cluster.nodes {
                    return Err(ScenarioError::InvalidCommand(format!(
                        "node {n} does not exist (the cluster has nodes 0 ..= {})",
                        self.cluster.nodes - 1
                    )));
                }
                if !seen.insert(n) {
                    return Err(ScenarioError::InvalidCommand(format!(
                        "node {n} is in two partition groups"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Field names for messages, with their section.
fn replication_field(f: &'static str) -> &'static str {
    match f {
        "election_timeout_ms" => "replication.election_timeout_ms",
        "request_timeout_ms" => "replication.request_timeout_ms",
        "anti_entropy_ms" => "replication.anti_entropy_ms",
        "n" => "replication.n",
        "r" => "replication.r",
        "w" => "replication.w",
        "clock_skew_ms" => "replication.clock_skew_ms",
        other => other,
    }
}

fn workload_field(f: &'static str) -> &'static str {
    match f {
        "ops_per_s" => "workload.ops_per_s",
        "read_fraction" => "workload.read_fraction",
        "sessions" => "workload.sessions",
        "keys" => "workload.keys",
        "txn_rows" => "workload.txn_rows",
        "key_dist.s" => "workload.key_dist.s",
        "key_dist.share" => "workload.key_dist.share",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::net::Latency;
    use crate::sim::time::SimTime;

    #[test]
    fn default_is_valid_and_round_trips() {
        let s = Scenario::default();
        s.validate().unwrap();
        assert_eq!(Scenario::from_json(&s.to_json()).unwrap(), s);
        // Missing fields take their defaults.
        let t = Scenario::from_json(r#"{"seed": 9}"#).unwrap();
        assert_eq!(t.seed, 9);
        assert_eq!(t.cluster.nodes, 5);
    }

    #[test]
    fn out_of_range_values_name_the_field() {
        let mut s = Scenario::default();
        s.cluster.nodes = 9;
        let e = s.validate().unwrap_err();
        assert_eq!(
            e,
            ScenarioError::OutOfRange {
                field: "cluster.nodes",
                value: "9".into(),
                allowed: "1 ..= 7".into()
            }
        );
        assert!(e.to_string().contains("cluster.nodes = 9"));

        let mut s = Scenario::default();
        s.network.latency = Latency::Uniform {
            min_ms: 50.0,
            max_ms: 10.0,
        };
        let e = s.validate().unwrap_err();
        assert!(e.to_string().starts_with("network: latency max_ms"), "{e}");

        let mut s = Scenario::default();
        s.network.loss = f64::NAN;
        let e = s.validate().unwrap_err();
        assert!(matches!(
            e,
            ScenarioError::Invalid {
                field: "network",
                ..
            }
        ));
        assert!(e.to_string().contains("loss = NaN"), "{e}");
    }

    #[test]
    fn bad_json_and_unknown_fields_are_parse_errors() {
        assert!(matches!(
            Scenario::from_json("{not json"),
            Err(ScenarioError::Parse(_))
        ));
        let e = Scenario::from_json(r#"{"sede": 3}"#).unwrap_err();
        assert!(e.to_string().contains("sede"), "{e}");
        assert!(matches!(
            Scenario::from_json(r#"{"seed": -1}"#),
            Err(ScenarioError::Parse(_))
        ));
    }

    #[test]
    fn scheduled_faults_are_checked() {
        let mut s = Scenario::default();
        s.faults.push(TimedCommand {
            at: SimTime::from_ms(10),
            command: Command::Crash { node: 12 },
        });
        assert!(matches!(
            s.validate(),
            Err(ScenarioError::InvalidCommand(_))
        ));
        s.faults[0].command = Command::CutLink { a: 1, b: 1 };
        assert!(s.validate().is_err());
        s.faults[0].command = Command::CutLink { a: 0, b: 1 };
        s.validate().unwrap();
        s.faults[0].command = Command::Partition {
            groups: vec![vec![0, 1], vec![1]],
        };
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("two partition groups"));
        s.faults[0].command = Command::Partition {
            groups: vec![vec![0, 1]],
        };
        s.validate().unwrap();
        s.faults[0].command = Command::LagSpike {
            a: 0,
            b: 2,
            extra_ms: 100,
            duration_ms: 0,
        };
        assert!(s.validate().is_err());
    }
}
