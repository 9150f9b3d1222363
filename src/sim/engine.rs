//! The simulation loop. Events come off the queue in `(time, seq)` order; the model's handlers
//! turn each into [`Effect`]s; `apply` is the one place that changes state. Every processed
//! event and every user command is folded into the history hash, so two runs can be compared
//! by one number.

use std::collections::VecDeque;

use super::cluster::{Body, Cluster, DropReason, Effect, Flight, IN_FLIGHT_MAX, LEADER};
use super::command::{Command, NodeId, TimedCommand};
use super::hash::Fnv64;
use super::metrics::{LatencyWindow, Series};
use super::net::{Fate, Network};
use super::queue::EventQueue;
use super::rng::SimRng;
use super::scenario::{Scenario, ScenarioError};
use super::time::{SimDuration, SimTime};

/// Events the queue can hold: every message in flight plus the few timers.
const QUEUE_CAPACITY: usize = IN_FLIGHT_MAX + 1_024;
/// Entries the event log keeps (a ring buffer).
pub const EVENT_LOG_CAPACITY: usize = 200;
/// Commands one run may receive; a user cannot grow memory without bound by clicking.
pub const COMMAND_LOG_MAX: usize = 100_000;
/// Bound on same-instant events drained before a command applies (guards against a bug
/// that would schedule events at the same instant forever).
const DRAIN_MAX: u64 = 10_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    ClientWrite,
    Heartbeat,
    Deliver {
        msg: u64,
    },
    Sample,
    /// The scenario's scheduled fault number `index`.
    Scheduled {
        index: usize,
    },
}

impl Event {
    fn hash_into(&self, h: &mut Fnv64) {
        match *self {
            Event::ClientWrite => h.write_u8(1),
            Event::Heartbeat => h.write_u8(2),
            Event::Deliver { msg } => {
                h.write_u8(3);
                h.write_u64(msg);
            }
            Event::Sample => h.write_u8(4),
            Event::Scheduled { index } => {
                h.write_u8(5);
                h.write_u64(index as u64);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    Command,
    Fault,
    Info,
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

/// The charts' series.
#[derive(Clone, Debug)]
pub struct Metrics {
    pub committed_per_s: Series,
    pub commit_latency_p99_ms: Series,
    /// One series per follower (index 0 is node 1).
    pub lag_entries: Vec<Series>,
    pub in_flight: Series,
    window: LatencyWindow,
    last_committed: u64,
    last_sample: SimTime,
}

/// A run in progress. `Clone` is a full, independent copy: the timeline keeps clones as
/// checkpoints, and a fork is a clone that goes its own way.
#[derive(Clone)]
pub struct Simulation {
    scenario: Scenario,
    now: SimTime,
    queue: EventQueue<Event>,
    net_rng: SimRng,
    workload_rng: SimRng,
    cluster: Cluster,
    net: Network,
    /// Current client write rate (commands change it).
    write_rate_per_s: u32,
    write_stream_on: bool,
    hash: Fnv64,
    events_processed: u64,
    commands: Vec<TimedCommand>,
    log: VecDeque<LogEntry>,
    metrics: Metrics,
}

impl Simulation {
    /// Validate the scenario and start a run at time zero.
    pub fn new(scenario: Scenario) -> Result<Self, ScenarioError> {
        scenario.validate()?;
        let seed = scenario.seed;
        let followers = scenario.cluster.nodes.saturating_sub(1);
        let metrics = Metrics {
            committed_per_s: Series::new("committed writes", "/s"),
            commit_latency_p99_ms: Series::new("commit latency p99", "ms"),
            lag_entries: (1..=followers)
                .map(|i| Series::new(format!("n{i}"), "entries"))
                .collect(),
            in_flight: Series::new("messages in flight", ""),
            window: LatencyWindow::new(SimRng::substream(seed, "metrics")),
            last_committed: 0,
            last_sample: SimTime::ZERO,
        };
        let mut sim = Simulation {
            now: SimTime::ZERO,
            queue: EventQueue::with_capacity(QUEUE_CAPACITY),
            net_rng: SimRng::substream(seed, "network"),
            workload_rng: SimRng::substream(seed, "workload"),
            cluster: Cluster::new(scenario.cluster.nodes),
            write_rate_per_s: scenario.workload.write_rate_per_s,
            net: Network::new(scenario.network.clone()),
            write_stream_on: false,
            hash: Fnv64::new(),
            events_processed: 0,
            commands: Vec::new(),
            log: VecDeque::with_capacity(EVENT_LOG_CAPACITY),
            metrics,
            scenario,
        };
        sim.hash.write_u64(seed);
        sim.schedule_next_write();
        // The first heartbeat after one interval: at time zero there is nothing to repeat.
        sim.schedule(
            SimDuration::from_ms(sim.scenario.cluster.heartbeat_ms),
            Event::Heartbeat,
        );
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
    pub fn write_rate_per_s(&self) -> u32 {
        self.write_rate_per_s
    }
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// Messages on the wire, in id order.
    pub fn in_flight(&self) -> impl Iterator<Item = &Flight> + '_ {
        self.cluster.in_flight.values()
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
        self.hash.write_u8(0xC0);
        self.hash.write_u64(self.now.as_us());
        command.hash_into(&mut self.hash);
        self.commands.push(TimedCommand {
            at: self.now,
            command: command.clone(),
        });
        self.execute(&command, LogKind::Command);
        Ok(())
    }

    fn process(&mut self, at: SimTime, seq: u64, event: Event) {
        debug_assert!(at >= self.now, "time went backwards");
        self.now = at;
        self.events_processed += 1;
        self.hash.write_u64(at.as_us());
        self.hash.write_u64(seq);
        event.hash_into(&mut self.hash);
        let effects = match event {
            Event::ClientWrite => {
                self.write_stream_on = false;
                self.schedule_next_write();
                self.cluster.on_client_write()
            }
            Event::Heartbeat => {
                let hb = SimDuration::from_ms(self.scenario.cluster.heartbeat_ms);
                self.schedule(hb, Event::Heartbeat);
                self.cluster.on_heartbeat()
            }
            Event::Deliver { msg } => match self.cluster.in_flight.remove(&msg) {
                Some(f) => self.cluster.on_deliver(&f, &self.net),
                None => Vec::new(),
            },
            Event::Sample => {
                self.sample();
                self.schedule(self.sample_interval(), Event::Sample);
                Vec::new()
            }
            Event::Scheduled { index } => {
                let c = self.scenario.faults[index].command.clone();
                self.execute(&c, LogKind::Fault);
                Vec::new()
            }
        };
        for e in effects {
            self.apply(e);
        }
    }

    /// The one place where effects change the model.
    fn apply(&mut self, effect: Effect) {
        let now = self.now;
        match effect {
            Effect::AppendWrite => self.cluster.append_write(now),
            Effect::RejectWrite => self.cluster.counters.writes_rejected += 1,
            Effect::Send { from, to, body } => self.send(from, to, body),
            Effect::Apply { node, upto } => self.cluster.apply(node, upto),
            Effect::Acked { node, index } => {
                for lat in self.cluster.acked(node, index, now) {
                    self.metrics.window.record(lat.as_us());
                }
            }
            Effect::Drop { reason } => self.count_drop(reason),
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, body: Body) {
        self.cluster.counters.messages_sent += 1;
        let delays = match self.net.route(from, to, self.now, &mut self.net_rng) {
            Fate::Dropped(b) => return self.count_drop(b.into()),
            Fate::Delivered(d) => d,
        };
        for delay in delays {
            if self.cluster.in_flight.len() >= IN_FLIGHT_MAX {
                return self.count_drop(DropReason::BufferFull);
            }
            let id = self.cluster.next_msg;
            self.cluster.next_msg += 1;
            let flight = Flight {
                from,
                to,
                sent: self.now,
                deliver: self.now + delay,
                body,
            };
            self.cluster.in_flight.insert(id, flight);
            self.schedule(delay, Event::Deliver { msg: id });
        }
    }

    fn count_drop(&mut self, reason: DropReason) {
        let c = &mut self.cluster.counters;
        match reason {
            DropReason::Lost => c.dropped_lost += 1,
            DropReason::LinkCut => c.dropped_link_cut += 1,
            DropReason::Partitioned => c.dropped_partitioned += 1,
            DropReason::NodeDown => c.dropped_node_down += 1,
            DropReason::BufferFull => c.dropped_buffer_full += 1,
        }
    }

    /// Carry out a command (user or scheduled); the caller has validated it.
    fn execute(&mut self, command: &Command, kind: LogKind) {
        let nodes = self.scenario.cluster.nodes;
        match command {
            Command::SetWriteRate { per_s } => {
                self.write_rate_per_s = *per_s;
                self.schedule_next_write();
            }
            Command::SetLatency { latency } => self.net.params.latency = latency.clone(),
            Command::SetLoss { loss } => self.net.params.loss = *loss,
            Command::CutLink { a, b } => self.net.cut(*a, *b, true),
            Command::CutOneWay { from, to } => self.net.cut(*from, *to, false),
            Command::HealLink { a, b } => self.net.heal_link(*a, *b),
            Command::Partition { groups } => self.net.partition(groups, nodes),
            Command::HealPartition => self.net.heal_partition(),
            Command::HealAll => self.net.heal_all(),
            Command::LagSpike {
                a,
                b,
                extra_ms,
                duration_ms,
            } => {
                self.net.expire(self.now);
                let until = self.now + SimDuration::from_ms(*duration_ms);
                self.net
                    .spike(*a, *b, SimDuration::from_ms(*extra_ms), until);
            }
            Command::Crash { node } => self.cluster.nodes[*node as usize].up = false,
            Command::Restart { node } => self.cluster.nodes[*node as usize].up = true,
        }
        self.push_log(kind, command.describe());
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
        let m = &mut self.metrics;
        let secs = now.since(m.last_sample).as_secs_f64().max(1e-9);
        let committed = self.cluster.counters.committed;
        m.committed_per_s
            .push(now, (committed - m.last_committed) as f64 / secs);
        m.last_committed = committed;
        m.last_sample = now;
        if let Some(p99) = m.window.percentile(99) {
            m.commit_latency_p99_ms.push(now, p99 as f64 / 1e3);
        }
        m.window.clear();
        for (i, s) in m.lag_entries.iter_mut().enumerate() {
            s.push(now, self.cluster.lag_entries(i as NodeId + 1) as f64);
        }
        m.in_flight.push(now, self.cluster.in_flight.len() as f64);
    }

    fn sample_interval(&self) -> SimDuration {
        SimDuration::from_ms(self.scenario.sample_interval_ms)
    }

    /// Keep exactly one client-write event pending while the rate is above zero.
    fn schedule_next_write(&mut self) {
        if self.write_stream_on || self.write_rate_per_s == 0 {
            return;
        }
        let mean_us = 1e6 / f64::from(self.write_rate_per_s);
        let gap = self.workload_rng.exponential(mean_us).round() as u64;
        self.schedule(SimDuration(gap.max(1)), Event::ClientWrite);
        self.write_stream_on = true;
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
            "t={} events={} writes={} committed={} rejected={} sent={} lost={} cut={} partitioned={} down={} hash={:016x}",
            self.now,
            self.events_processed,
            c.writes_accepted,
            c.committed,
            c.writes_rejected,
            c.messages_sent,
            c.dropped_lost,
            c.dropped_link_cut,
            c.dropped_partitioned,
            c.dropped_node_down,
            self.history_hash()
        )
    }

    /// True when node `n` is the leader (for labels).
    pub fn is_leader(n: NodeId) -> bool {
        n == LEADER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: Scenario, ms: u64) -> Simulation {
        let mut sim = Simulation::new(s).unwrap();
        let a = sim.advance_to(SimTime::from_ms(ms), u64::MAX);
        assert!(a.reached);
        sim
    }

    #[test]
    fn writes_replicate_and_commit() {
        let sim = run(Scenario::default(), 10_000);
        let c = &sim.cluster().counters;
        assert!(c.writes_accepted > 150, "{}", sim.summary());
        assert!(c.committed + 5 >= c.writes_accepted, "{}", sim.summary());
        for f in sim.cluster().followers() {
            assert!(sim.cluster().lag_entries(f) < 10);
        }
        assert_eq!(sim.now(), SimTime::from_ms(10_000));
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
    fn a_cut_majority_stops_commits_and_heal_catches_up() {
        let mut sim = run(Scenario::default(), 1_000);
        for f in 1..=3 {
            sim.command(Command::CutLink { a: 0, b: f }).unwrap();
        }
        sim.advance_to(SimTime::from_ms(4_000), u64::MAX);
        let stalled = sim.cluster().commit_index;
        sim.advance_to(SimTime::from_ms(6_000), u64::MAX);
        assert_eq!(
            sim.cluster().commit_index,
            stalled,
            "no majority, no commit"
        );
        assert!(sim.cluster().lag_entries(1) > 20);
        sim.command(Command::HealAll).unwrap();
        sim.advance_to(SimTime::from_ms(8_000), u64::MAX);
        assert!(sim.cluster().commit_index > stalled);
        assert!(sim.cluster().lag_entries(1) < 10);
    }

    #[test]
    fn crashed_leader_rejects_writes() {
        let mut sim = run(Scenario::default(), 500);
        sim.command(Command::Crash { node: 0 }).unwrap();
        sim.advance_to(SimTime::from_ms(3_000), u64::MAX);
        assert!(sim.cluster().counters.writes_rejected > 10);
        assert!(sim.command(Command::Crash { node: 9 }).is_err());
    }

    #[test]
    fn write_rate_zero_then_back_on() {
        let mut sim = run(Scenario::default(), 100);
        sim.command(Command::SetWriteRate { per_s: 0 }).unwrap();
        sim.advance_to(SimTime::from_ms(1_000), u64::MAX);
        let w = sim.cluster().counters.writes_accepted;
        sim.advance_to(SimTime::from_ms(3_000), u64::MAX);
        // At most the one write already scheduled before the change.
        assert!(sim.cluster().counters.writes_accepted <= w + 1);
        sim.command(Command::SetWriteRate { per_s: 100 }).unwrap();
        sim.advance_to(SimTime::from_ms(4_000), u64::MAX);
        assert!(sim.cluster().counters.writes_accepted > w + 50);
    }

    #[test]
    fn event_log_is_bounded() {
        let mut sim = run(Scenario::default(), 10);
        for _ in 0..(EVENT_LOG_CAPACITY + 50) {
            sim.command(Command::HealAll).unwrap();
        }
        assert_eq!(sim.event_log().count(), EVENT_LOG_CAPACITY);
    }
}
