//! The simulation loop. Events come off the queue in `(time, seq)` order; the cluster's node
//! handlers change their own node and push [`Out`] items; `apply` is the one place that
//! touches the network, the queue and the event log. Every processed
//! event and every user command is folded into the history hash, so two runs can be compared
//! by one number.

use std::collections::{BTreeMap, VecDeque};

pub mod migration;

use self::migration::{hash_job, job_seed, MigrationRun};
use super::command::{Command, NodeId, TimedCommand};
use super::hash::Fnv64;
use super::metrics::{percentile, Series};
use super::migrate::{OutKind, Phase};
use super::net::{Blocked, Fate, Network};
use super::queue::EventQueue;
use super::repl::cluster::{Cluster, Msg, Out, OutLog};
use super::repl::leader::Role;
use super::repl::Mode;
use super::rng::SimRng;
use super::scenario::{Scenario, ScenarioError};
use super::time::{SimDuration, SimTime};

/// Bound on messages travelling at once; beyond it, sends are dropped and counted, as a
/// router drops packets when its queue is full.
pub const IN_FLIGHT_MAX: usize = 200_000;
/// Events the queue can hold: every message in flight plus timers, operations and ticks.
const QUEUE_CAPACITY: usize = IN_FLIGHT_MAX + 16_384;
/// Entries the event log keeps (a ring buffer).
pub const EVENT_LOG_CAPACITY: usize = 200;
/// Commands one run may receive; a user cannot grow memory without bound by clicking.
pub const COMMAND_LOG_MAX: usize = 100_000;
/// Bound on same-instant events drained before a command applies (guards against a bug
/// that would schedule events at the same instant forever).
const DRAIN_MAX: u64 = 10_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A client operation arrives.
    Arrival,
    /// A session starts its next operation (a read-back after its write).
    ClientOp {
        session: u32,
    },
    /// A client gives up on an operation.
    Timeout {
        op: u64,
    },
    /// A node's periodic work.
    Tick {
        node: NodeId,
    },
    Deliver {
        msg: u64,
    },
    Sample,
    /// The scenario's scheduled fault number `index`.
    Scheduled {
        index: usize,
    },
    /// The migration job has events due; `gen` tells a current wake-up from one a command
    /// has since replaced.
    Migration {
        gen: u64,
    },
}

impl Event {
    fn hash_into(&self, h: &mut Fnv64) {
        match *self {
            Event::ClientOp { session } => {
                h.write_u8(1);
                h.write_u64(session.into());
            }
            Event::Tick { node } => {
                h.write_u8(2);
                h.write_u64(node.into());
            }
            Event::Deliver { msg } => {
                h.write_u8(3);
                h.write_u64(msg);
            }
            Event::Sample => h.write_u8(4),
            Event::Scheduled { index } => {
                h.write_u8(5);
                h.write_u64(index as u64);
            }
            Event::Timeout { op } => {
                h.write_u8(6);
                h.write_u64(op);
            }
            Event::Arrival => h.write_u8(7),
            Event::Migration { gen } => {
                h.write_u8(8);
                h.write_u64(gen);
            }
        }
    }
}

/// The event-log line for what the job reported, if it deserves one (batches and applied
/// changes are too many; the Migration panel shows their totals).
fn migration_line(what: &OutKind) -> Option<String> {
    match what {
        OutKind::Phase { to, .. } => Some(match to {
            Phase::Complete => "migration complete".to_string(),
            Phase::Failed => "migration stopped (failed)".to_string(),
            p => format!("migration phase: {}", p.name().replace('_', " ")),
        }),
        OutKind::Verified { passed } => Some(
            if *passed {
                "migration verification passed"
            } else {
                "migration verification FAILED"
            }
            .into(),
        ),
        OutKind::Retry { why, attempt, .. } => Some(format!("migration: {why}; retry {attempt}")),
        OutKind::Note { text } => Some(format!("migration: {text}")),
        OutKind::Batch { .. } | OutKind::Applied { .. } => None,
    }
}

/// A message on the wire, with the times needed to draw it in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flight {
    pub from: NodeId,
    pub to: NodeId,
    pub sent: SimTime,
    pub deliver: SimTime,
    pub msg: Msg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    Command,
    Fault,
    /// Conflicts between replicas.
    Conflict,
    /// Elections, leaders stepping down.
    Leader,
    Info,
    /// The migration job: phases, verifications, retries, crashes.
    Migration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub at: SimTime,
    pub kind: LogKind,
    pub text: String,
}

/// What an `advance_to` call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advance {
    pub processed: u64,
    /// True when every event up to the target was processed and the clock stands at the target;
    /// false when `max_events` stopped it first (the clock is at the last processed event).
    pub reached: bool,
}

/// The charts' series, one point per sample interval.
#[derive(Clone, Debug)]
pub struct Metrics {
    pub ok_per_s: Series,
    pub latency_p50_ms: Series,
    pub latency_p95_ms: Series,
    pub latency_p99_ms: Series,
    /// Share of finished operations that succeeded, %.
    pub availability_pct: Series,
    /// The same per node the clients talk to, %.
    pub availability_by_node_pct: Vec<Series>,
    /// Share of successful reads that missed an acknowledged write, %.
    pub stale_read_pct: Series,
    pub conflicts_per_s: Series,
    /// Acknowledged writes thrown away so far.
    pub lost_updates: Series,
    /// Keys on which the replicas do not all agree.
    pub divergent_keys: Series,
    /// One series per node: how far behind it is (ms for leader and multi-leader logs, keys
    /// for leaderless replicas).
    pub lag: Vec<Series>,
    pub in_flight: Series,
    /// Share of the migration's records copied, % (sampled while a migration exists).
    pub migration_copied_pct: Series,
    /// Share of the migration's records that failed, %.
    pub migration_failed_pct: Series,
    /// The migration's read-through cache: hit ratio over its last window, %.
    pub cache_hit_pct: Series,
    last: SampleBase,
}

#[derive(Clone, Debug, Default)]
struct SampleBase {
    at: SimTime,
    conflicts: u64,
    reads_ok: u64,
    stale: u64,
}

/// Convergence after a heal: when the last heal happened and how long the replicas took to
/// agree again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Convergence {
    pub healed_at: Option<SimTime>,
    pub last_ms: Option<u64>,
}

/// A run in progress. `Clone` is a full, independent copy: the timeline keeps clones as
/// checkpoints, and a fork is a clone that goes its own way.
#[derive(Clone)]
pub struct Simulation {
    scenario: Scenario,
    now: SimTime,
    queue: EventQueue<Event>,
    net_rng: SimRng,
    cluster: Cluster,
    net: Network,
    in_flight: BTreeMap<u64, Flight>,
    next_msg: u64,
    hash: Fnv64,
    events_processed: u64,
    commands: Vec<TimedCommand>,
    log: VecDeque<LogEntry>,
    metrics: Metrics,
    convergence: Convergence,
    /// One arrival event is pending.
    arrivals_on: bool,
    out: Vec<Out>,
    migration: Option<MigrationRun>,
    /// Bumped whenever the migration's next wake-up is rescheduled.
    migration_gen: u64,
}

impl Simulation {
    /// Validate the scenario and start a run at time zero.
    pub fn new(scenario: Scenario) -> Result<Self, ScenarioError> {
        scenario.validate()?;
        let seed = scenario.seed;
        let nodes = scenario.cluster.nodes;
        let heartbeat = SimDuration::from_ms(scenario.cluster.heartbeat_ms);
        let metrics = Metrics {
            ok_per_s: Series::new("successful operations", "/s"),
            latency_p50_ms: Series::new("latency p50", "ms"),
            latency_p95_ms: Series::new("latency p95", "ms"),
            latency_p99_ms: Series::new("latency p99", "ms"),
            availability_pct: Series::new("availability", "%"),
            availability_by_node_pct: (0..nodes)
                .map(|i| Series::new(format!("n{i}"), "%"))
                .collect(),
            stale_read_pct: Series::new("stale reads", "%"),
            conflicts_per_s: Series::new("conflicts", "/s"),
            lost_updates: Series::new("lost updates", ""),
            divergent_keys: Series::new("keys in disagreement", ""),
            lag: (0..nodes)
                .map(|i| Series::new(format!("n{i}"), ""))
                .collect(),
            in_flight: Series::new("messages in flight", ""),
            migration_copied_pct: Series::new("copied", "%"),
            migration_failed_pct: Series::new("failed", "%"),
            cache_hit_pct: Series::new("cache hits", "%"),
            last: SampleBase::default(),
        };
        let cluster = Cluster::new(
            nodes,
            heartbeat,
            scenario.replication.clone(),
            scenario.workload.clone(),
            seed,
        );
        let mut sim = Simulation {
            now: SimTime::ZERO,
            queue: EventQueue::with_capacity(QUEUE_CAPACITY),
            net_rng: SimRng::substream(seed, "network"),
            cluster,
            net: Network::new(scenario.network.clone()),
            in_flight: BTreeMap::new(),
            next_msg: 0,
            hash: Fnv64::new(),
            events_processed: 0,
            commands: Vec::new(),
            log: VecDeque::with_capacity(EVENT_LOG_CAPACITY),
            metrics,
            convergence: Convergence::default(),
            arrivals_on: false,
            out: Vec::new(),
            migration: None,
            migration_gen: 0,
            scenario,
        };
        sim.hash.write_u64(seed);
        sim.schedule_next_arrival();
        // Ticks are staggered so the nodes do not all act at the same instant.
        for node in 0..nodes {
            let offset = heartbeat.0 * u64::from(node + 1) / u64::from(nodes + 1);
            sim.schedule(SimDuration(offset.max(1)), Event::Tick { node });
        }
        sim.schedule(sim.sample_interval(), Event::Sample);
        for index in 0..sim.scenario.faults.len() {
            let at = sim.scenario.faults[index].at;
            sim.schedule_at(at, Event::Scheduled { index });
        }
        Ok(sim)
    }

    /// Rebuild a run from its scenario and command log, up to `until`.
    pub fn replay(
        scenario: Scenario,
        commands: &[TimedCommand],
        until: SimTime,
    ) -> Result<Self, ScenarioError> {
        let mut sim = Simulation::new(scenario)?;
        for c in commands.iter().filter(|c| c.at <= until) {
            if c.at < sim.now {
                return Err(ScenarioError::InvalidCommand(format!(
                    "command log is out of order at {}",
                    c.at
                )));
            }
            sim.advance_to(c.at, u64::MAX);
            sim.command(c.command.clone())?;
        }
        sim.advance_to(until, u64::MAX);
        Ok(sim)
    }

    // ---- reading ----

    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    pub fn convergence(&self) -> Convergence {
        self.convergence
    }
    pub fn history_hash(&self) -> u64 {
        self.hash.finish()
    }
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }
    pub fn command_log(&self) -> &[TimedCommand] {
        &self.commands
    }
    pub fn event_log(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + '_ {
        self.log.iter()
    }
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }
    pub fn ops_per_s(&self) -> u32 {
        self.cluster.ops_per_s
    }
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// Messages on the wire, in id order.
    pub fn in_flight(&self) -> impl Iterator<Item = &Flight> + '_ {
        self.in_flight.values()
    }
    pub fn in_flight_len(&self) -> usize {
        self.in_flight.len()
    }
    /// The migration job, once one was started.
    pub fn migration(&self) -> Option<&MigrationRun> {
        self.migration.as_ref()
    }

    // ---- running ----

    /// Process the next event, if any; returns its time.
    pub fn step(&mut self) -> Option<SimTime> {
        let next = self.queue.pop_due(SimTime::MAX)?;
        self.process(next.at, next.seq, next.event);
        Some(self.now)
    }

    /// Process events due at or before `target`, at most `max_events` of them.
    pub fn advance_to(&mut self, target: SimTime, max_events: u64) -> Advance {
        let mut processed = 0;
        while processed < max_events {
            match self.queue.pop_due(target) {
                Some(s) => {
                    self.process(s.at, s.seq, s.event);
                    processed += 1;
                }
                None => {
                    if target != SimTime::MAX {
                        self.now = self.now.max(target);
                    }
                    return Advance {
                        processed,
                        reached: true,
                    };
                }
            }
        }
        let reached = self.queue.peek_time().is_none_or(|t| t > target);
        if reached && target != SimTime::MAX {
            self.now = self.now.max(target);
        }
        Advance { processed, reached }
    }

    /// Apply a user command now. Events already due at this instant are processed first, so a
    /// replay that advances to the command's time and then applies it sees the same order.
    pub fn command(&mut self, command: Command) -> Result<(), ScenarioError> {
        self.scenario.validate_command(&command)?;
        if self.commands.len() >= COMMAND_LOG_MAX {
            return Err(ScenarioError::InvalidCommand(format!(
                "a run accepts at most {COMMAND_LOG_MAX} commands; reset to continue"
            )));
        }
        let drained = self.advance_to(self.now, DRAIN_MAX);
        assert!(
            drained.reached,
            "same-instant events did not drain: a model bug"
        );
        let prepared = self
            .prepare_migration(&command)
            .map_err(ScenarioError::InvalidCommand)?;
        self.hash.write_u8(0xC0);
        self.hash.write_u64(self.now.as_us());
        command.hash_into(&mut self.hash);
        self.commands.push(TimedCommand {
            at: self.now,
            command: command.clone(),
        });
        self.execute(&command, LogKind::Command, prepared);
        Ok(())
    }

    fn process(&mut self, at: SimTime, seq: u64, event: Event) {
        debug_assert!(at >= self.now, "time went backwards");
        self.now = at;
        self.events_processed += 1;
        self.hash.write_u64(at.as_us());
        self.hash.write_u64(seq);
        event.hash_into(&mut self.hash);
        let now = self.now;
        let mut out = std::mem::take(&mut self.out);
        match event {
            Event::Arrival => {
                self.arrivals_on = false;
                self.schedule_next_arrival();
                self.cluster.arrival(now, &mut out);
            }
            Event::ClientOp { session } => self.cluster.start_op(session, now, &mut out),
            Event::Timeout { op } => self.cluster.time_out(op, now, &mut out),
            Event::Tick { node } => {
                self.schedule(self.cluster.heartbeat, Event::Tick { node });
                self.cluster.on_tick(node, now, &mut out);
            }
            Event::Deliver { msg } => {
                if let Some(f) = self.in_flight.remove(&msg) {
                    self.deliver(f, &mut out);
                }
            }
            Event::Sample => {
                self.sample();
                self.schedule(self.sample_interval(), Event::Sample);
            }
            Event::Scheduled { index } => {
                let c = self.scenario.faults[index].command.clone();
                match self.prepare_migration(&c) {
                    Ok(prepared) => self.execute(&c, LogKind::Fault, prepared),
                    Err(why) => {
                        self.push_log(LogKind::Fault, format!("{} refused: {why}", c.describe()))
                    }
                }
            }
            Event::Migration { gen } => self.on_migration(gen),
        }
        self.apply(&mut out);
        self.out = out;
    }

    /// A message arrives. The network is asked again: a cut or partition that began while
    /// the message was in flight stops it too.
    fn deliver(&mut self, f: Flight, out: &mut Vec<Out>) {
        if !self.cluster.nodes[f.to as usize].up {
            self.cluster.counters.dropped_node_down += 1;
            return;
        }
        if let Some(b) = self.net.blocked(f.from, f.to) {
            return self.count_drop(b);
        }
        self.cluster.on_message(f.from, f.to, f.msg, self.now, out);
    }

    /// The one place where handler output changes the world outside the nodes.
    fn apply(&mut self, out: &mut Vec<Out>) {
        for o in out.drain(..) {
            match o {
                Out::Send { from, to, msg } => self.send(from, to, msg),
                Out::NextOp { session, after } => self.schedule(after, Event::ClientOp { session }),
                Out::Timeout { op, after } => self.schedule(after, Event::Timeout { op }),
                Out::Log { kind, text } => {
                    let kind = match kind {
                        OutLog::Conflict => LogKind::Conflict,
                        OutLog::Leader => LogKind::Leader,
                    };
                    self.push_log(kind, text);
                }
            }
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: Msg) {
        self.cluster.counters.messages_sent += 1;
        let delays = match self.net.route(from, to, self.now, &mut self.net_rng) {
            Fate::Dropped(b) => return self.count_drop(b),
            Fate::Delivered(d) => d,
        };
        let mut msg = Some(msg);
        let copies = delays.len();
        for (i, delay) in delays.into_iter().enumerate() {
            if self.in_flight.len() >= IN_FLIGHT_MAX {
                self.cluster.counters.dropped_buffer_full += 1;
                return;
            }
            let id = self.next_msg;
            self.next_msg += 1;
            let flight = Flight {
                from,
                to,
                sent: self.now,
                deliver: self.now + delay,
                msg: if i + 1 == copies {
                    msg.take().expect("moved once, on the last copy")
                } else {
                    msg.clone().expect("present until the last copy")
                },
            };
            self.in_flight.insert(id, flight);
            self.schedule(delay, Event::Deliver { msg: id });
        }
    }

    fn count_drop(&mut self, reason: Blocked) {
        let c = &mut self.cluster.counters;
        match reason {
            Blocked::Lost => c.dropped_lost += 1,
            Blocked::LinkCut => c.dropped_link_cut += 1,
            Blocked::Partitioned => c.dropped_partitioned += 1,
        }
    }

    /// Carry out a command (user or scheduled); the caller has validated it, and built the
    /// migration job a migration command installs.
    fn execute(&mut self, command: &Command, kind: LogKind, prepared: Option<MigrationRun>) {
        let nodes = self.scenario.cluster.nodes;
        let now = self.now;
        let mut heal = false;
        match command {
            Command::SetOpRate { per_s } => self.set_rate(*per_s),
            Command::SetLatency { latency } => self.net.params.latency = latency.clone(),
            Command::SetLoss { loss } => self.net.params.loss = *loss,
            Command::CutLink { a, b } => self.net.cut(*a, *b, true),
            Command::CutOneWay { from, to } => self.net.cut(*from, *to, false),
            Command::HealLink { a, b } => {
                self.net.heal_link(*a, *b);
                heal = true;
            }
            Command::Partition { groups } => self.net.partition(groups, nodes),
            Command::HealPartition => {
                self.net.heal_partition();
                heal = true;
            }
            Command::HealAll => {
                self.net.heal_all();
                heal = true;
            }
            Command::LagSpike {
                a,
                b,
                extra_ms,
                duration_ms,
            } => {
                self.net.expire(now);
                let until = now + SimDuration::from_ms(*duration_ms);
                self.net
                    .spike(*a, *b, SimDuration::from_ms(*extra_ms), until);
            }
            Command::Crash { node } => self.cluster.crash(*node),
            Command::Restart { node } => {
                self.cluster.restart(*node, now);
                heal = true;
            }
            Command::SetClockSkew { node, ms } => {
                let skew = &mut self.cluster.params.clock_skew_ms;
                if skew.len() <= *node as usize {
                    skew.resize(*node as usize + 1, 0);
                }
                skew[*node as usize] = *ms;
            }
            Command::Configure { replication } => {
                self.cluster.reconfigure(replication.clone(), now)
            }
            Command::SetWorkload { workload } => {
                self.cluster.set_workload(workload.clone());
                self.set_rate(workload.ops_per_s);
            }
            Command::StartMigration { .. } | Command::MigrationFault { .. } => {
                self.migration = prepared;
                self.schedule_migration();
            }
        }
        if heal {
            self.convergence.healed_at = Some(now);
        }
        self.push_log(kind, command.describe());
    }

    /// The job a migration command installs, built (or refused) before the command is logged.
    fn prepare_migration(&self, command: &Command) -> Result<Option<MigrationRun>, String> {
        match command {
            Command::StartMigration { spec } => {
                if let Some(m) = self.migration.as_ref().filter(|m| !m.job().is_done()) {
                    return Err(format!(
                        "a migration is running (in {}); wait until it ends",
                        m.job().phase().name()
                    ));
                }
                let seed = job_seed(self.scenario.seed);
                let (run, _) = MigrationRun::start((**spec).clone(), seed, self.now)?;
                Ok(Some(run))
            }
            Command::MigrationFault { fault } => match &self.migration {
                None => Err("no migration is running; start one first".into()),
                Some(m) => m.with_fault(fault.clone(), self.now).map(Some),
            },
            _ => Ok(None),
        }
    }

    /// Wake the engine when the job's next event is due (a new generation replaces any
    /// wake-up already queued).
    fn schedule_migration(&mut self) {
        self.migration_gen += 1;
        let next = self.migration.as_ref().and_then(|m| m.job().next_at());
        if let Some(at) = next {
            let gen = self.migration_gen;
            self.schedule_at(at.max(self.now), Event::Migration { gen });
        }
    }

    fn on_migration(&mut self, gen: u64) {
        if gen != self.migration_gen {
            return;
        }
        let Some(run) = self.migration.as_mut() else {
            return;
        };
        let outs = run.step(self.now);
        hash_job(run.job(), &mut self.hash);
        for o in outs {
            if let Some(text) = migration_line(&o.what) {
                self.push_log(LogKind::Migration, text);
            }
        }
        self.schedule_migration();
    }

    /// Change the offered rate.
    fn set_rate(&mut self, per_s: u32) {
        self.cluster.ops_per_s = per_s;
        self.schedule_next_arrival();
    }

    /// Keep exactly one arrival pending while the rate is above zero.
    fn schedule_next_arrival(&mut self) {
        if self.arrivals_on {
            return;
        }
        if let Some(gap) = self.cluster.arrival_gap() {
            self.schedule(gap, Event::Arrival);
            self.arrivals_on = true;
        }
    }

    fn push_log(&mut self, kind: LogKind, text: String) {
        if self.log.len() == EVENT_LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogEntry {
            at: self.now,
            kind,
            text,
        });
    }

    fn sample(&mut self) {
        let now = self.now;
        let (divergent, behind) = self.cluster.per_key_agreement();
        let c = &self.cluster.counters;
        let m = &mut self.metrics;
        let secs = now.since(m.last.at).as_secs_f64().max(1e-9);
        let (ok, done) = self.cluster.window_done;
        m.ok_per_s.push(now, ok as f64 / secs);
        if done > 0 {
            m.availability_pct
                .push(now, 100.0 * ok as f64 / done as f64);
        }
        let lat = &mut self.cluster.window_latencies;
        lat.sort_unstable();
        for (s, q) in [
            (&mut m.latency_p50_ms, 50),
            (&mut m.latency_p95_ms, 95),
            (&mut m.latency_p99_ms, 99),
        ] {
            if let Some(v) = percentile(lat, q) {
                s.push(now, v as f64 / 1e3);
            }
        }
        lat.clear();
        self.cluster.window_done = (0, 0);
        for (s, w) in m
            .availability_by_node_pct
            .iter_mut()
            .zip(&mut self.cluster.window_by_client)
        {
            if w.1 > 0 {
                s.push(now, 100.0 * w.0 as f64 / w.1 as f64);
            }
            *w = (0, 0);
        }
        let reads = c.reads_ok - m.last.reads_ok;
        if reads > 0 {
            m.stale_read_pct.push(
                now,
                100.0 * (c.stale_reads - m.last.stale) as f64 / reads as f64,
            );
        }
        m.conflicts_per_s
            .push(now, (c.conflicts - m.last.conflicts) as f64 / secs);
        m.lost_updates.push(now, c.lost_updates as f64);
        m.divergent_keys.push(now, divergent as f64);
        for (i, s) in m.lag.iter_mut().enumerate() {
            let v = match self.cluster.params.mode {
                Mode::Leaderless => behind[i] as f64,
                _ => self.cluster.lag_us(i as NodeId, now) as f64 / 1e3,
            };
            s.push(now, v);
        }
        m.in_flight.push(now, self.in_flight.len() as f64);
        if let Some(run) = &self.migration {
            let t = run.job().progress().total();
            let pct = |n: u64| 100.0 * n as f64 / t.total.max(1) as f64;
            m.migration_copied_pct.push(now, pct(t.succeeded));
            m.migration_failed_pct.push(now, pct(t.failed));
            if let Some(hit) = run.job().cache_hit_pct() {
                m.cache_hit_pct.push(now, hit);
            }
        }
        m.last = SampleBase {
            at: now,
            conflicts: c.conflicts,
            reads_ok: c.reads_ok,
            stale: c.stale_reads,
        };
        if let (0, Some(t)) = (divergent, self.convergence.healed_at) {
            let ms = now.since(t).as_us() / 1_000;
            self.convergence = Convergence {
                healed_at: None,
                last_ms: Some(ms),
            };
            self.push_log(
                LogKind::Info,
                format!("replicas agree again, {ms} ms after the heal"),
            );
        }
    }

    fn sample_interval(&self) -> SimDuration {
        SimDuration::from_ms(self.scenario.sample_interval_ms)
    }

    fn schedule(&mut self, after: SimDuration, event: Event) {
        self.schedule_at(self.now + after, event);
    }

    fn schedule_at(&mut self, at: SimTime, event: Event) {
        // Messages are bounded before they get here (IN_FLIGHT_MAX), and the queue has room
        // for every message plus the timers, so a full queue is a bug, not a user error.
        self.queue
            .push(at, event)
            .expect("event queue sized for every message plus timers");
    }

    /// A one-line summary, for logs and the command line.
    pub fn summary(&self) -> String {
        let c = &self.cluster.counters;
        format!(
            "t={} events={} ops={} ok={} failed={} unknown={} stale={} conflicts={} lost={} sent={} hash={:016x}",
            self.now,
            self.events_processed,
            c.ops_started,
            c.ops_ok,
            c.ops_failed,
            c.ops_unknown,
            c.stale_reads,
            c.conflicts,
            c.lost_updates,
            c.messages_sent,
            self.history_hash()
        )
    }

    /// The node's role, for labels.
    pub fn role(&self, n: NodeId) -> Option<Role> {
        (self.cluster.params.mode == Mode::SingleLeader)
            .then(|| self.cluster.nodes[n as usize].raft.role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::repl::{AckPolicy, PartitionMode, ReplicationParams};

    fn run(s: Scenario, ms: u64) -> Simulation {
        let mut sim = Simulation::new(s).unwrap();
        let a = sim.advance_to(SimTime::from_ms(ms), u64::MAX);
        assert!(a.reached);
        sim
    }

    fn with(mode: Mode) -> Scenario {
        let mut s = Scenario::default();
        s.replication.mode = mode;
        s.workload.ops_per_s = 200;
        s
    }

    #[test]
    fn every_mode_serves_clients_when_healthy() {
        for mode in [Mode::Leaderless, Mode::SingleLeader, Mode::MultiLeader] {
            // After two seconds (a single leader is elected within the first second).
            let mut sim = run(with(mode), 2_000);
            let c0 = sim.cluster().counters.clone();
            sim.advance_to(SimTime::from_ms(10_000), u64::MAX);
            let c = &sim.cluster().counters;
            let ok = c.ops_ok - c0.ops_ok;
            let done = ok + c.ops_failed - c0.ops_failed + c.ops_unknown - c0.ops_unknown;
            assert!(ok > 1_400, "{mode:?}: {}", sim.summary());
            assert!(ok * 100 >= done * 98, "{mode:?}: {}", sim.summary());
        }
    }

    #[test]
    fn a_single_leader_is_elected_and_replaced_after_a_crash() {
        let mut sim = run(with(Mode::SingleLeader), 3_000);
        let first = sim.cluster().current_leader().expect("a leader after 3 s");
        sim.command(Command::Crash { node: first }).unwrap();
        sim.advance_to(SimTime::from_ms(8_000), u64::MAX);
        let second = sim.cluster().current_leader().expect("a new leader");
        assert_ne!(first, second);
        assert!(sim.cluster().counters.elections >= 2);
        let ok_before = sim.cluster().counters.writes_ok;
        sim.advance_to(SimTime::from_ms(10_000), u64::MAX);
        assert!(sim.cluster().counters.writes_ok > ok_before + 20);
    }

    #[test]
    fn advance_is_bounded_by_max_events() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        let a = sim.advance_to(SimTime::from_ms(5_000), 10);
        assert_eq!(a.processed, 10);
        assert!(!a.reached);
        assert!(sim.now() < SimTime::from_ms(5_000));
    }

    #[test]
    fn cp_minority_is_unavailable_and_heal_converges() {
        let mut s = with(Mode::Leaderless);
        s.replication = ReplicationParams {
            n: 5,
            r: 3,
            w: 3,
            ..ReplicationParams::default()
        };
        let mut sim = run(s, 2_000);
        sim.command(Command::Partition {
            groups: vec![vec![0, 1]],
        })
        .unwrap();
        sim.advance_to(SimTime::from_ms(6_000), u64::MAX);
        let failed = sim.cluster().counters.ops_failed + sim.cluster().counters.ops_unknown;
        assert!(failed > 50, "{}", sim.summary());
        sim.command(Command::HealAll).unwrap();
        sim.command(Command::SetOpRate { per_s: 0 }).unwrap();
        sim.advance_to(SimTime::from_ms(12_000), u64::MAX);
        assert_eq!(sim.cluster().divergent_keys(), 0, "{}", sim.summary());
        assert!(sim.convergence().last_ms.is_some());
    }

    #[test]
    fn ap_partition_makes_conflicts() {
        let mut s = with(Mode::Leaderless);
        s.replication = ReplicationParams {
            n: 5,
            r: 1,
            w: 1,
            partition_mode: PartitionMode::Ap,
            ..ReplicationParams::default()
        };
        s.workload.keys = 10;
        s.workload.read_fraction = 0.5;
        let mut sim = run(s, 1_000);
        sim.command(Command::Partition {
            groups: vec![vec![0, 1]],
        })
        .unwrap();
        sim.advance_to(SimTime::from_ms(5_000), u64::MAX);
        assert!(sim.cluster().counters.ops_failed < 5, "{}", sim.summary());
        sim.command(Command::HealAll).unwrap();
        sim.advance_to(SimTime::from_ms(9_000), u64::MAX);
        assert!(sim.cluster().counters.conflicts > 0, "{}", sim.summary());
    }

    #[test]
    fn sync_acks_block_on_a_down_follower() {
        let mut s = with(Mode::SingleLeader);
        s.replication.ack = AckPolicy::Sync;
        s.workload.read_fraction = 0.0;
        let mut sim = run(s, 3_000);
        let leader = sim.cluster().current_leader().unwrap();
        let follower = (leader + 1) % 5;
        sim.command(Command::Crash { node: follower }).unwrap();
        let ok = sim.cluster().counters.writes_ok;
        sim.advance_to(SimTime::from_ms(6_000), u64::MAX);
        assert!(
            sim.cluster().counters.writes_ok <= ok + 5,
            "{}",
            sim.summary()
        );
    }

    #[test]
    fn rate_zero_then_back_on() {
        let mut sim = run(Scenario::default(), 100);
        sim.command(Command::SetOpRate { per_s: 0 }).unwrap();
        sim.advance_to(SimTime::from_ms(3_000), u64::MAX);
        let w = sim.cluster().counters.ops_started;
        sim.advance_to(SimTime::from_ms(5_000), u64::MAX);
        assert_eq!(sim.cluster().counters.ops_started, w);
        sim.command(Command::SetOpRate { per_s: 100 }).unwrap();
        sim.advance_to(SimTime::from_ms(6_000), u64::MAX);
        assert!(sim.cluster().counters.ops_started > w + 50);
    }

    #[test]
    fn event_log_is_bounded() {
        let mut sim = run(Scenario::default(), 10);
        for _ in 0..(EVENT_LOG_CAPACITY + 50) {
            sim.command(Command::HealAll).unwrap();
        }
        assert_eq!(sim.event_log().count(), EVENT_LOG_CAPACITY);
        assert!(sim.command(Command::Crash { node: 9 }).is_err());
    }
}
