//! The cluster: nodes, the client sessions, the operations in progress, and the counters.
//!
//! Like stateright's actors, a node's handler changes only that node's state (and the
//! bookkeeping of the operations it coordinates) and pushes everything else — messages,
//! timers, the next client operation, log lines — into the `out` buffer. The engine applies
//! the buffer in one place: it is the only code that touches the network, the queue and the
//! random stream of the network.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::sim::checker::history::{History, Outcome};
use crate::sim::command::NodeId;
use crate::sim::metrics::LatencyWindow;
use crate::sim::rng::SimRng;
use crate::sim::scenario::NODES_MAX;
use crate::sim::time::{SimDuration, SimTime};

use super::kv::Kv;
use super::leader::{Entry, Raft};
use super::multi::MultiState;
use super::quorum::{Hint, QuorumOp};
use super::record::{OpRecord, Recorder};
use super::version::{includes, ConflictPolicy, Resolve, Version};
use super::workload::{KeySampler, Routing, Session, SessionGuarantee, WorkloadParams};
use super::{Mode, PartitionMode, ReplicationParams, StoreKind};

/// Client operations in progress at once (sessions bound it far below this).
pub const OPS_IN_PROGRESS_MAX: usize = 4_096;
/// Writes beyond this id are not followed for lost updates (the history stops there too).
const ACKED_TRACK_MAX: u64 = super::record::RECORD_MAX as u64;
/// Conflicts remembered for the page.
pub const RECENT_CONFLICTS: usize = 64;
/// Conflict signatures remembered to count each conflict once, not once per replica.
const CONFLICT_MEMORY: usize = 4_096;

/// What a client asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Req {
    pub write: bool,
    /// The key, then the other rows of a transaction.
    pub keys: Vec<u32>,
    /// Read-your-writes by version: the answer must include this.
    pub min: Option<Version>,
}

/// What a server answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Res {
    /// Done. For a read: the versions seen (empty: absent); for a write: the version given.
    Ok(Vec<Version>),
    /// Definitely not done.
    Fail(&'static str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Failure-detector heartbeat (leaderless and multi-leader).
    Ping,
    /// A client request handed to the node that can serve it.
    Forward {
        op: u64,
        req: Req,
    },
    /// The answer to a forwarded request.
    Done {
        op: u64,
        res: Res,
    },
    // ---- leaderless ----
    Store {
        op: u64,
        key: u32,
        ver: Version,
        hint_for: Option<NodeId>,
    },
    Stored {
        op: u64,
    },
    Fetch {
        op: u64,
        key: u32,
    },
    Fetched {
        op: u64,
        versions: Vec<Version>,
    },
    Repair {
        key: u32,
        versions: Vec<Version>,
    },
    HandOff {
        key: u32,
        ver: Version,
    },
    HandedOff {
        key: u32,
        value: u64,
    },
    Digest {
        entries: Vec<(u32, u64)>,
    },
    Differ {
        entries: Vec<(u32, Vec<Version>)>,
        want: Vec<u32>,
    },
    Push {
        entries: Vec<(u32, Vec<Version>)>,
    },
    // ---- single leader ----
    Vote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    VoteReply {
        term: u64,
        granted: bool,
    },
    Append {
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        commit: u64,
        round: u64,
    },
    AppendReply {
        term: u64,
        ok: bool,
        match_index: u64,
        round: u64,
    },
    Snapshot {
        term: u64,
        index: u64,
        last_term: u64,
        kv: Box<Kv>,
    },
    // ---- multi-leader ----
    Replicate {
        entries: Vec<(u64, u32, Version)>,
    },
    ReplicateAck {
        upto: u64,
    },
}

impl Msg {
    /// True for messages that carry data (drawn stronger than control traffic).
    pub fn carries_data(&self) -> bool {
        matches!(
            self,
            Msg::Store { .. }
                | Msg::Repair { .. }
                | Msg::HandOff { .. }
                | Msg::Push { .. }
                | Msg::Differ { .. }
                | Msg::Snapshot { .. }
                | Msg::Replicate { .. }
        ) || matches!(self, Msg::Append { entries, .. } if !entries.is_empty())
    }
}

/// What a handler asks the engine to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    Send {
        from: NodeId,
        to: NodeId,
        msg: Msg,
    },
    /// Start the session's next operation after `after`.
    NextOp {
        session: u32,
        after: SimDuration,
    },
    /// Give up on operation `op` after `after` unless it finished.
    Timeout {
        op: u64,
        after: SimDuration,
    },
    Log {
        kind: OutLog,
        text: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutLog {
    Conflict,
    Leader,
}

#[derive(Clone, Debug)]
pub struct Pending {
    pub session: u32,
    pub req: Req,
    /// The node the client talks to.
    pub client: NodeId,
    /// The node serving it (coordinator or leader).
    pub server: NodeId,
    pub invoke: SimTime,
    /// A leaderless coordinator's progress (None elsewhere, and once the coordinator crashed:
    /// then only the timeout can end the operation).
    pub quorum: Option<Box<QuorumOp>>,
    /// The newest acknowledged write of the key when this read began (for the stale-read
    /// share).
    pub must_see: Option<Version>,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub up: bool,
    pub kv: Kv,
    /// Writes this node has coordinated: its entry in version vectors.
    pub dots: u32,
    pub last_heard: Vec<SimTime>,
    pub raft: Raft,
    pub multi: MultiState,
    pub hints: VecDeque<Hint>,
    pub ae_peer: u32,
    pub ae_next: SimTime,
}

/// Counters since the start of the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub ops_started: u64,
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub ops_unknown: u64,
    /// Arrivals no session was free to take.
    pub ops_shed: u64,
    pub reads_ok: u64,
    pub writes_ok: u64,
    pub stale_reads: u64,
    pub conflicts: u64,
    pub lost_updates: u64,
    pub messages_sent: u64,
    pub dropped_lost: u64,
    pub dropped_link_cut: u64,
    pub dropped_partitioned: u64,
    pub dropped_node_down: u64,
    pub dropped_buffer_full: u64,
    pub elections: u64,
    pub read_repairs: u64,
    pub hints_handed_off: u64,
}

/// A conflict as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConflictRecord {
    pub at: SimTime,
    pub node: NodeId,
    pub key: u32,
    pub values: Vec<u64>,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub params: ReplicationParams,
    pub workload: WorkloadParams,
    pub nodes: Vec<Node>,
    pub heartbeat: SimDuration,
    pub ops: BTreeMap<u64, Pending>,
    next_op: u64,
    pub sessions: Vec<Session>,
    sampler: KeySampler,
    pub counters: Counters,
    pub recorder: Recorder,
    /// Per write id, the first operation id handed out after the write was acknowledged
    /// (0: not acknowledged). Ids go out in invoke order, so `other < acked_next[w]` means
    /// `other` began before `w` completed.
    acked_next: Vec<u64>,
    /// Writes overwritten before their acknowledgement, with the lowest id that overwrote
    /// them (0: a leader's log was cut back past them).
    overwritten_unacked: BTreeMap<u64, u64>,
    /// The model's lost updates: acknowledged writes never read that were overwritten by a
    /// write that did not begin after they completed (a concurrent write, or an older one
    /// that won on a skewed clock), or cut from a leader's log.
    pub lost: BTreeSet<u64>,
    /// The newest acknowledged write per key and when it was acknowledged.
    last_acked: Vec<Option<Version>>,
    conflict_memory: VecDeque<(u32, Vec<u64>)>,
    pub recent_conflicts: VecDeque<ConflictRecord>,
    /// Latencies of finished operations since the last sample (µs, `Ok` only).
    pub window_latencies: Vec<u64>,
    pub window_done: (u64, u64),
    /// `window_done` per node the clients talk to: what each side of a partition sees.
    pub window_by_client: Vec<(u64, u64)>,
    /// Latencies of every successful operation (a uniform reservoir), for the report.
    pub latency_all: LatencyWindow,
    pub(super) rng: SimRng,
    workload_rng: SimRng,
    /// Current offered rate (commands change it).
    pub ops_per_s: u32,
}

impl Cluster {
    pub fn new(
        nodes: u32,
        heartbeat: SimDuration,
        params: ReplicationParams,
        workload: WorkloadParams,
        seed: u64,
    ) -> Self {
        let mut rng = SimRng::substream(seed, "replication");
        let nodes_v = (0..nodes)
            .map(|i| Node {
                up: true,
                kv: Kv::default(),
                dots: 0,
                last_heard: vec![SimTime::ZERO; nodes as usize],
                raft: Raft::new(&params, &mut rng),
                multi: MultiState::new(nodes),
                hints: VecDeque::new(),
                ae_peer: (i + 1) % nodes,
                ae_next: SimTime::from_ms(params.anti_entropy_ms),
            })
            .collect();
        Cluster {
            sampler: KeySampler::new(workload.keys, workload.key_dist),
            sessions: vec![Session::default(); workload.sessions as usize],
            last_acked: vec![None; workload.keys as usize],
            ops_per_s: workload.ops_per_s,
            params,
            workload,
            nodes: nodes_v,
            heartbeat,
            ops: BTreeMap::new(),
            next_op: 1,
            counters: Counters::default(),
            recorder: Recorder::default(),
            acked_next: Vec::new(),
            overwritten_unacked: BTreeMap::new(),
            lost: BTreeSet::new(),
            conflict_memory: VecDeque::new(),
            recent_conflicts: VecDeque::new(),
            window_latencies: Vec::new(),
            window_done: (0, 0),
            window_by_client: vec![(0, 0); nodes as usize],
            latency_all: LatencyWindow::new(SimRng::substream(seed, "latency")),
            rng,
            workload_rng: SimRng::substream(seed, "workload"),
        }
    }

    pub fn size(&self) -> u32 {
        self.nodes.len() as u32
    }
    pub fn majority(&self) -> usize {
        self.nodes.len() / 2 + 1
    }
    pub fn resolve(&self) -> Resolve {
        if self.params.mode == Mode::SingleLeader
            || (self.params.mode == Mode::Leaderless && self.params.abd)
        {
            Resolve::Tag
        } else {
            Resolve::Policy(self.params.conflict)
        }
    }

    /// `node` has heard nothing from `peer` for three heartbeats.
    pub fn suspects(&self, node: NodeId, peer: NodeId, now: SimTime) -> bool {
        if node == peer {
            return false;
        }
        let window = SimDuration(self.heartbeat.0.saturating_mul(3).max(50_000));
        now.since(self.nodes[node as usize].last_heard[peer as usize]) > window
    }

    /// Nodes `node` believes reachable, itself included.
    pub fn reachable_count(&self, node: NodeId, now: SimTime) -> usize {
        (0..self.size())
            .filter(|&p| !self.suspects(node, p, now))
            .count()
    }

    /// The node's clock, for last-writer-wins timestamps (µs, never negative).
    pub fn clock(&self, node: NodeId, now: SimTime) -> u64 {
        let t = now.as_us() as i64 + self.params.skew_us(node);
        t.max(0) as u64
    }

    // ---- the workload ----

    /// Time to the next client arrival (Poisson at the offered rate), or `None` at rate 0.
    pub fn arrival_gap(&mut self) -> Option<SimDuration> {
        if self.ops_per_s == 0 {
            return None;
        }
        let mean_us = 1e6 / f64::from(self.ops_per_s);
        Some(SimDuration(
            self.workload_rng.exponential(mean_us).round().max(1.0) as u64,
        ))
    }

    /// An operation arrives: an idle session (picked at random) takes it. When every session
    /// is busy the arrival is shed and counted, as a client pool at capacity would.
    pub fn arrival(&mut self, now: SimTime, out: &mut Vec<Out>) {
        let n = self.workload.sessions;
        let start = self.workload_rng.range_u64(0, u64::from(n) - 1) as u32;
        for i in 0..n {
            let s = (start + i) % n;
            let sess = &self.sessions[s as usize];
            if sess.busy.is_none() && sess.read_back.is_none() {
                return self.start_op(s, now, out);
            }
        }
        self.counters.ops_shed += 1;
    }

    /// Session `s` starts its next operation.
    pub fn start_op(&mut self, s: u32, now: SimTime, out: &mut Vec<Out>) {
        if s >= self.workload.sessions {
            return; // the workload shrank
        }
        if self.sessions[s as usize].busy.is_some() || self.ops.len() >= OPS_IN_PROGRESS_MAX {
            return;
        }
        let (req, client) = self.next_request(s);
        let op = self.next_op;
        self.next_op += 1;
        self.counters.ops_started += 1;
        self.sessions[s as usize].busy = Some(op);
        let must_see = if req.write {
            None
        } else {
            self.last_acked[req.keys[0] as usize].clone()
        };
        self.ops.insert(
            op,
            Pending {
                session: s,
                req: req.clone(),
                client,
                server: client,
                invoke: now,
                quorum: None,
                must_see,
            },
        );
        out.push(Out::Timeout {
            op,
            after: SimDuration::from_ms(self.params.request_timeout_ms),
        });
        if !self.nodes[client as usize].up {
            return self.finish(op, Res::Fail("the client's node is down"), now, out);
        }
        match self.params.mode {
            Mode::Leaderless => self.quorum_request(client, op, req, now, out),
            Mode::SingleLeader => self.leader_request(client, op, req, now, out),
            Mode::MultiLeader => self.multi_request(client, op, req, now, out),
        }
    }

    fn next_request(&mut self, s: u32) -> (Req, NodeId) {
        let w = &self.workload;
        let n = self.size();
        let sess = &mut self.sessions[s as usize];
        let read_back = sess.read_back.take();
        let write = read_back.is_none() && !self.workload_rng.chance(w.read_fraction);
        let key = read_back.unwrap_or_else(|| self.sampler.sample(&mut self.workload_rng));
        let mut keys = vec![key];
        if write && self.params.mode == Mode::SingleLeader {
            for _ in 1..w.txn_rows {
                let k = self.sampler.sample(&mut self.workload_rng);
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        let sess = &self.sessions[s as usize];
        let mut client = match w.routing {
            Routing::Sticky => s % n,
            Routing::Random => self.workload_rng.range_u64(0, u64::from(n) - 1) as u32,
        };
        let mut min = None;
        match w.session_guarantee {
            SessionGuarantee::None => {}
            SessionGuarantee::ReadYourWritesRouting => {
                if let Some(at) = sess.wrote_at.filter(|_| !write) {
                    client = at;
                }
            }
            SessionGuarantee::ReadYourWritesVersion => {
                min = sess.last_write(key).cloned().filter(|_| !write);
            }
        }
        (Req { write, keys, min }, client)
    }

    /// An operation ends: record it, tell the session, schedule its next one.
    pub fn finish(&mut self, op: u64, res: Res, now: SimTime, out: &mut Vec<Out>) {
        let Some(p) = self.ops.remove(&op) else {
            return;
        };
        let outcome = match &res {
            Res::Ok(_) => Outcome::Ok,
            Res::Fail(_) => Outcome::Failed,
        };
        self.record(op, &p, &res, outcome, now, out);
    }

    /// The client gave up on `op`.
    pub fn time_out(&mut self, op: u64, now: SimTime, out: &mut Vec<Out>) {
        let Some(p) = self.ops.remove(&op) else {
            return;
        };
        // The client stops waiting; a leaderless coordinator may still repair with late
        // answers, but that bookkeeping ends here too.
        self.record(op, &p, &Res::Fail("timed out"), Outcome::Unknown, now, out);
    }

    fn record(
        &mut self,
        op: u64,
        p: &Pending,
        res: &Res,
        outcome: Outcome,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let key = p.req.keys[0];
        let mut version = None;
        let mut value = None;
        self.window_done.1 += 1;
        if let Some(w) = self.window_by_client.get_mut(p.client as usize) {
            w.1 += 1;
            w.0 += u64::from(matches!(outcome, Outcome::Ok) && matches!(res, Res::Ok(_)));
        }
        match (outcome, res) {
            (Outcome::Ok, Res::Ok(vs)) => {
                self.counters.ops_ok += 1;
                self.window_done.0 += 1;
                let us = now.since(p.invoke).as_us();
                self.window_latencies.push(us);
                self.latency_all.record(us);
                let shown = super::version::newest(vs);
                value = shown.map(|v| v.value);
                version = shown.filter(|_| self.scalar_versions()).map(|v| v.scalar());
                if p.req.write {
                    self.counters.writes_ok += 1;
                    self.write_acked(op, p, shown.cloned());
                } else {
                    self.counters.reads_ok += 1;
                    if let Some(m) = &p.must_see {
                        if !includes(vs, m, self.resolve()) {
                            self.counters.stale_reads += 1;
                        }
                    }
                }
            }
            (Outcome::Failed, _) => self.counters.ops_failed += 1,
            _ => self.counters.ops_unknown += 1,
        }
        if p.req.write {
            self.overwritten_unacked.remove(&op);
            value = Some(op);
        } else if let Some(v) = value.filter(|_| outcome == Outcome::Ok) {
            // Someone saw it after all: not lost.
            if self.lost.remove(&v) {
                self.counters.lost_updates -= 1;
            }
        }
        let registers =
            self.params.mode == Mode::SingleLeader || self.params.conflict.is_register();
        if registers {
            for r in records(op, p, value, now, outcome, version) {
                self.recorder.push(r);
            }
        }
        let sess = &mut self.sessions[p.session as usize];
        sess.busy = None;
        if p.req.write && outcome == Outcome::Ok && self.workload.read_after_write {
            // Read the key back 1 µs later: strictly after the write completed.
            sess.read_back = Some(key);
            out.push(Out::NextOp {
                session: p.session,
                after: SimDuration(1),
            });
        }
    }

    fn write_acked(&mut self, op: u64, p: &Pending, v: Option<Version>) {
        if self.acked_next.len() <= op as usize && op < ACKED_TRACK_MAX {
            self.acked_next.resize(op as usize + 1, 0);
        }
        if let Some(slot) = self.acked_next.get_mut(op as usize) {
            *slot = self.next_op;
        }
        if let Some(kept) = self.overwritten_unacked.remove(&op) {
            if kept < self.next_op {
                self.lose(op);
            }
        }
        let Some(v) = v else { return };
        let sess = &mut self.sessions[p.session as usize];
        sess.wrote_at = Some(p.server);
        for &k in &p.req.keys {
            sess.remember(k, v.clone());
            let slot = &mut self.last_acked[k as usize];
            let newer = slot
                .as_ref()
                .is_none_or(|cur| v.tag() > cur.tag() || v.vv.covers(&cur.vv));
            if newer {
                *slot = Some(v.clone());
            }
        }
    }

    /// Versions are totally ordered (tags, timestamps, log positions), so the checker may use
    /// them.
    fn scalar_versions(&self) -> bool {
        self.resolve() == Resolve::Tag || self.params.conflict == ConflictPolicy::Lww
    }

    /// A replica dropped write `dropped` in favour of `kept` (`None`: a leader's log was cut
    /// back past it). It is a lost update when it was acknowledged, nobody read it, and `kept`
    /// began before it completed.
    pub fn overwrite(&mut self, dropped: u64, kept: Option<u64>) {
        if self.lost.contains(&dropped) || self.recorder.was_read(dropped) {
            return;
        }
        let kept = kept.unwrap_or(0);
        match self.acked_next.get(dropped as usize) {
            Some(&next) if next > 0 && kept < next => self.lose(dropped),
            Some(&next) if next > 0 => {}
            _ if self.ops.contains_key(&dropped) => {
                let first = self.overwritten_unacked.entry(dropped).or_insert(kept);
                *first = (*first).min(kept);
            }
            _ => {}
        }
    }

    fn lose(&mut self, write: u64) {
        if !self.recorder.was_read(write) && self.lost.insert(write) {
            self.counters.lost_updates += 1;
        }
    }

    /// Count a conflict once, however many replicas detect it.
    pub fn conflict(
        &mut self,
        node: NodeId,
        key: u32,
        values: Vec<u64>,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let sig = (key, values);
        if self.conflict_memory.contains(&sig) {
            return;
        }
        if self.conflict_memory.len() == CONFLICT_MEMORY {
            self.conflict_memory.pop_front();
        }
        self.counters.conflicts += 1;
        let text = format!(
            "conflict on k{} at n{node}: versions {}",
            sig.0,
            sig.1
                .iter()
                .map(|v| format!("w{v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if self.recent_conflicts.len() == RECENT_CONFLICTS {
            self.recent_conflicts.pop_front();
        }
        self.recent_conflicts.push_back(ConflictRecord {
            at: now,
            node,
            key: sig.0,
            values: sig.1.clone(),
        });
        self.conflict_memory.push_back(sig);
        out.push(Out::Log {
            kind: OutLog::Conflict,
            text,
        });
    }

    /// Merge a version into a node's copy, reporting conflicts and discards.
    pub fn merge_into(
        &mut self,
        node: NodeId,
        key: u32,
        v: &Version,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let resolve = self.resolve();
        let m = self.nodes[node as usize].kv.merge(key, v, resolve);
        if let Some(values) = m.conflict {
            self.conflict(node, key, values, now, out);
        }
        for (dropped, kept) in m.overwritten {
            self.overwrite(dropped, Some(kept));
        }
    }

    // ---- messages and ticks ----

    pub fn on_message(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: Msg,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        self.nodes[to as usize].last_heard[from as usize] = now;
        match msg {
            Msg::Ping => {}
            Msg::Forward { op, req } => self.serve_forwarded(to, from, op, req, now, out),
            Msg::Done { op, res } => {
                if self.ops.get(&op).is_some_and(|p| p.client == to) {
                    self.finish(op, res, now, out);
                }
            }
            m @ (Msg::Store { .. }
            | Msg::Stored { .. }
            | Msg::Fetch { .. }
            | Msg::Fetched { .. }
            | Msg::Repair { .. }
            | Msg::HandOff { .. }
            | Msg::HandedOff { .. }
            | Msg::Digest { .. }
            | Msg::Differ { .. }
            | Msg::Push { .. }) => self.quorum_message(from, to, m, now, out),
            m @ (Msg::Vote { .. }
            | Msg::VoteReply { .. }
            | Msg::Append { .. }
            | Msg::AppendReply { .. }
            | Msg::Snapshot { .. }) => self.leader_message(from, to, m, now, out),
            m @ (Msg::Replicate { .. } | Msg::ReplicateAck { .. }) => {
                self.multi_message(from, to, m, now, out)
            }
        }
    }

    fn serve_forwarded(
        &mut self,
        at: NodeId,
        client: NodeId,
        op: u64,
        req: Req,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        // Each protocol records `at` as the operation's server when it takes it on.
        match self.params.mode {
            Mode::SingleLeader => self.leader_serve(at, client, op, req, now, out),
            Mode::Leaderless => self.quorum_coordinate(at, client, op, req, now, out),
            Mode::MultiLeader => {
                let _ = client; // served where the client is
                self.multi_request(at, op, req, now, out)
            }
        }
    }

    /// Answer `op` from `server` to its client's node.
    pub fn answer(
        &mut self,
        server: NodeId,
        client: NodeId,
        op: u64,
        res: Res,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        if server == client {
            self.finish(op, res, now, out);
        } else {
            out.push(Out::Send {
                from: server,
                to: client,
                msg: Msg::Done { op, res },
            });
        }
    }

    /// Every node's periodic tick.
    pub fn on_tick(&mut self, node: NodeId, now: SimTime, out: &mut Vec<Out>) {
        if !self.nodes[node as usize].up {
            return;
        }
        match self.params.mode {
            Mode::SingleLeader => self.leader_tick(node, now, out),
            Mode::Leaderless => {
                self.ping(node, out);
                self.quorum_tick(node, now, out);
            }
            Mode::MultiLeader => {
                self.ping(node, out);
                self.multi_tick(node, now, out);
                self.anti_entropy_tick(node, now, out);
            }
        }
    }

    fn ping(&self, node: NodeId, out: &mut Vec<Out>) {
        for p in 0..self.size() {
            if p != node {
                out.push(Out::Send {
                    from: node,
                    to: p,
                    msg: Msg::Ping,
                });
            }
        }
    }

    pub fn crash(&mut self, node: NodeId) {
        let n = &mut self.nodes[node as usize];
        n.up = false;
        // A multi-leader node's outbox and stream positions are on disk: nothing to lose.
        n.raft.crash();
        for p in self.ops.values_mut() {
            if p.server == node {
                p.quorum = None;
            }
        }
    }

    pub fn restart(&mut self, node: NodeId, now: SimTime) {
        let n = &mut self.nodes[node as usize];
        if n.up {
            return;
        }
        n.up = true;
        // Treat every peer as just heard: a restarted node starts without suspicion.
        n.last_heard.iter_mut().for_each(|t| *t = now);
        let timeout = self.params.election_timeout_ms;
        self.nodes[node as usize]
            .raft
            .restart(now, timeout, &mut self.rng);
    }

    /// Switch protocol or settings live. Data stays; operations in progress are abandoned to
    /// their timeouts; protocol state starts afresh (a new leader is elected, streams restart).
    pub fn reconfigure(&mut self, params: ReplicationParams, now: SimTime) {
        let protocol_changed = params.mode != self.params.mode || params.abd != self.params.abd;
        self.params = params;
        if !protocol_changed {
            return;
        }
        for p in self.ops.values_mut() {
            p.quorum = None;
        }
        let size = self.size();
        for i in 0..size {
            let kv = self.nodes[i as usize].kv.clone();
            let mut raft = Raft::new(&self.params, &mut self.rng);
            raft.seed_from(kv, now, self.params.election_timeout_ms, &mut self.rng);
            let n = &mut self.nodes[i as usize];
            n.raft = raft;
            n.multi = MultiState::new(size);
            n.hints.clear();
        }
    }

    /// Change the workload live. Sessions beyond the new count stop after their current
    /// operation; new ones are started by the engine.
    pub fn set_workload(&mut self, w: WorkloadParams) {
        self.sampler = KeySampler::new(w.keys, w.key_dist);
        if w.sessions as usize > self.sessions.len() {
            self.sessions
                .resize(w.sessions as usize, Session::default());
        }
        self.last_acked.resize(w.keys as usize, None);
        self.ops_per_s = w.ops_per_s;
        self.workload = w;
    }

    // ---- views for metrics, the page and reports ----

    /// How long node `n` has been missing a write its leader(s) have (µs; 0 when caught up).
    pub fn lag_us(&self, n: NodeId, now: SimTime) -> u64 {
        match self.params.mode {
            Mode::SingleLeader => {
                let Some(l) = self.current_leader() else {
                    return 0;
                };
                let r = &self.nodes[l as usize].raft;
                if n == l || r.match_index.is_empty() {
                    return 0;
                }
                r.written_after(r.match_index[n as usize])
                    .map_or(0, |t| now.since(t).as_us())
            }
            Mode::MultiLeader => self.multi_lag(n, now),
            Mode::Leaderless => 0,
        }
    }

    /// Keys whose replicas (the up nodes that should hold them) do not all agree.
    pub fn divergent_keys(&self) -> usize {
        self.per_key_agreement().0
    }

    /// (keys on which replicas disagree, per node: keys where it is behind the newest copy).
    pub fn per_key_agreement(&self) -> (usize, Vec<usize>) {
        let bound = self
            .nodes
            .iter()
            .map(|n| n.kv.key_bound())
            .max()
            .unwrap_or(0);
        let mut behind = vec![0usize; self.nodes.len()];
        let mut divergent = 0;
        let mut up = [0 as NodeId; NODES_MAX as usize];
        for k in 0..bound {
            let mut count = 0;
            for n in self.replicas_of(k).filter(|&n| self.nodes[n as usize].up) {
                up[count] = n;
                count += 1;
            }
            let holders = &up[..count];
            let Some(&first) = holders.first() else {
                continue;
            };
            let h0 = self.nodes[first as usize].kv.key_hash(k);
            if holders
                .iter()
                .all(|&n| self.nodes[n as usize].kv.key_hash(k) == h0)
            {
                continue;
            }
            divergent += 1;
            let newest = holders
                .iter()
                .filter_map(|&n| {
                    super::version::newest(self.nodes[n as usize].kv.get(k)).map(|v| v.tag())
                })
                .max();
            for &n in holders {
                let mine =
                    super::version::newest(self.nodes[n as usize].kv.get(k)).map(|v| v.tag());
                if mine < newest {
                    behind[n as usize] += 1;
                }
            }
        }
        (divergent, behind)
    }

    /// The nodes that hold `key`.
    pub fn replicas_of(&self, key: u32) -> impl Iterator<Item = NodeId> + '_ {
        let size = self.size();
        let n = if self.params.mode == Mode::Leaderless {
            self.params.n.min(size)
        } else {
            size
        };
        (0..n).map(move |i| (key + i) % size)
    }

    /// Each node's store fingerprint (hex), built from its data with the data layer.
    pub fn fingerprints(&self, kind: StoreKind) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| n.kv.fingerprint(kind).hex())
            .collect()
    }

    /// The recorded history for the checker, with each key's settled value where every
    /// replica agrees on one.
    pub fn history(&self) -> History {
        let mut finals = Vec::new();
        let keys = self.workload.keys;
        for k in 0..keys {
            let mut vals = self
                .replicas_of(k)
                .filter(|&n| self.nodes[n as usize].up)
                .map(|n| {
                    let vs = self.nodes[n as usize].kv.get(k);
                    (vs.len(), super::version::newest(vs).map(|v| v.value))
                });
            let Some(first) = vals.next() else { continue };
            if first.0 <= 1 && vals.all(|v| v == first) {
                finals.push((k, first.1));
            }
        }
        self.recorder.to_history(
            finals,
            self.lost.iter().copied().collect(),
            &self.in_flight_writes(),
        )
    }

    /// Writes whose client is still waiting, as the client would record them when it gives
    /// up: `Unknown`, at its timeout.
    fn in_flight_writes(&self) -> Vec<OpRecord> {
        let timeout = SimDuration::from_ms(self.params.request_timeout_ms);
        let registers =
            self.params.mode == Mode::SingleLeader || self.params.conflict.is_register();
        self.ops
            .iter()
            .filter(|(_, p)| registers && p.req.write)
            .flat_map(|(&id, p)| {
                records(id, p, Some(id), p.invoke + timeout, Outcome::Unknown, None)
            })
            .collect()
    }

    pub fn partition_mode(&self) -> PartitionMode {
        self.params.partition_mode
    }
}

/// One record per key of a finished operation; a transaction's further keys get ids above
/// every single-key operation's.
fn records(
    op: u64,
    p: &Pending,
    value: Option<u64>,
    complete: SimTime,
    outcome: Outcome,
    version: Option<u64>,
) -> impl Iterator<Item = OpRecord> + '_ {
    p.req.keys.iter().enumerate().map(move |(i, &k)| OpRecord {
        id: if i == 0 {
            op
        } else {
            op | (u64::from(k) + 1) << 40
        },
        session: p.session,
        key: k,
        write: p.req.write,
        value,
        invoke: p.invoke,
        complete,
        outcome,
        node: Some(p.server),
        version,
    })
}
