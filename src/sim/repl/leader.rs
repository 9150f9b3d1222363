//! Single-leader replication with Raft-style terms and elections.
//!
//! The leader appends each write to its log and ships the log to the followers; a write is
//! acknowledged per [`AckPolicy`]. The commit index follows the same policy, so with
//! asynchronous acknowledgements a failover can cut acknowledged writes off a log: those are
//! lost updates, and they are counted. Elections use randomised timeouts and the usual
//! up-to-date-log rule for votes.
//!
//! Fencing: a leader that has not heard from a majority for one election timeout steps down.
//! Without fencing it keeps serving from its side of a partition (split brain) until it sees
//! a higher term. Read confirmation: before answering a read, the leader runs one heartbeat
//! round that a majority must answer in its term, so a deposed leader cannot answer.

use std::collections::BTreeMap;

use crate::sim::command::NodeId;
use crate::sim::rng::SimRng;
use crate::sim::time::{SimDuration, SimTime};

use super::cluster::{Cluster, Msg, Out, OutLog, Req, Res};
use super::kv::Kv;
use super::version::{includes, Payload, Resolve, Version, Vv};
use super::{AckPolicy, PartitionMode, ReadFrom, ReplicationParams};

/// Entries one append carries at most.
const APPEND_BATCH: usize = 64;
/// Applied entries kept in the log before older ones fold into the snapshot.
const LOG_KEEP: u64 = 1_024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub term: u64,
    /// Operation id (the value written), 0 for a new leader's no-op.
    pub op: u64,
    pub keys: Vec<u32>,
    pub at: SimTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

#[derive(Clone, Debug)]
pub struct Raft {
    pub term: u64,
    pub voted_for: Option<NodeId>,
    pub role: Role,
    pub leader: Option<NodeId>,
    /// Snapshot: the data after entry `base_index`.
    base_kv: Kv,
    pub base_index: u64,
    base_term: u64,
    entries: Vec<Entry>,
    pub commit: u64,
    pub applied: u64,
    votes: Vec<NodeId>,
    pub election_deadline: SimTime,
    pub match_index: Vec<u64>,
    next_index: Vec<u64>,
    last_ack: Vec<SimTime>,
    round_acks: Vec<u64>,
    round: u64,
    round_started: Option<SimTime>,
    /// Leader: client writes waiting for their acknowledgement condition, by log index.
    waiting_writes: BTreeMap<u64, (u64, NodeId)>,
    /// Leader: reads waiting for a confirmed round: (round, op, client).
    waiting_reads: Vec<(u64, u64, NodeId)>,
}

impl Raft {
    pub fn new(p: &ReplicationParams, rng: &mut SimRng) -> Self {
        Raft {
            term: 0,
            voted_for: None,
            role: Role::Follower,
            leader: None,
            base_kv: Kv::default(),
            base_index: 0,
            base_term: 0,
            entries: Vec::new(),
            commit: 0,
            applied: 0,
            votes: Vec::new(),
            election_deadline: deadline(SimTime::ZERO, p.election_timeout_ms, rng),
            match_index: Vec::new(),
            next_index: Vec::new(),
            last_ack: Vec::new(),
            round_acks: Vec::new(),
            round: 0,
            round_started: None,
            waiting_writes: BTreeMap::new(),
            waiting_reads: Vec::new(),
        }
    }

    /// Start from existing data (after a live switch of protocol).
    pub fn seed_from(&mut self, kv: Kv, now: SimTime, timeout_ms: u64, rng: &mut SimRng) {
        self.base_kv = kv;
        self.election_deadline = deadline(now, timeout_ms, rng);
    }

    pub fn last_index(&self) -> u64 {
        self.base_index + self.entries.len() as u64
    }
    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(self.base_term, |e| e.term)
    }
    fn term_at(&self, i: u64) -> Option<u64> {
        if i == self.base_index {
            return Some(self.base_term);
        }
        let off = i.checked_sub(self.base_index + 1)?;
        self.entries.get(off as usize).map(|e| e.term)
    }
    fn entry(&self, i: u64) -> Option<&Entry> {
        let off = i.checked_sub(self.base_index + 1)?;
        self.entries.get(off as usize)
    }
    /// When the oldest entry after `index` was written (for lag), if still in the log.
    pub fn written_after(&self, index: u64) -> Option<SimTime> {
        self.entry(index + 1).map(|e| e.at)
    }

    /// Volatile state is lost; term, vote and log survive.
    pub fn crash(&mut self) {
        self.role = Role::Follower;
        self.leader = None;
        self.votes.clear();
        self.waiting_writes.clear();
        self.waiting_reads.clear();
    }

    pub fn restart(&mut self, now: SimTime, timeout_ms: u64, rng: &mut SimRng) {
        self.election_deadline = deadline(now, timeout_ms, rng);
    }
}

fn deadline(now: SimTime, timeout_ms: u64, rng: &mut SimRng) -> SimTime {
    let t = timeout_ms * 1_000;
    now + SimDuration(rng.range_u64(t, 2 * t))
}

/// The version a log entry gives its keys: ordered by (term, index).
fn entry_version(e: &Entry, index: u64) -> Version {
    Version {
        value: e.op,
        ts: (e.term << 32) | (index & 0xFFFF_FFFF),
        node: 0,
        vv: Vv::default(),
        payload: Payload::Register,
    }
}

impl Cluster {
    fn raft(&self, n: NodeId) -> &Raft {
        &self.nodes[n as usize].raft
    }
    fn raft_mut(&mut self, n: NodeId) -> &mut Raft {
        &mut self.nodes[n as usize].raft
    }

    /// The node a client talks to receives its request.
    pub(super) fn leader_request(
        &mut self,
        client: NodeId,
        op: u64,
        req: Req,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let r = self.raft(client);
        if r.role == Role::Leader {
            return self.leader_serve(client, client, op, req, now, out);
        }
        let local_read = !req.write
            && (self.params.read_from == ReadFrom::Any
                || (self.params.partition_mode == PartitionMode::Ap
                    && r.leader.is_none_or(|l| self.suspects(client, l, now))));
        let routed = self.workload.session_guarantee
            == super::workload::SessionGuarantee::ReadYourWritesRouting
            && self.sessions[self.ops[&op].session as usize]
                .wrote_at
                .is_some();
        if local_read && !routed {
            let vs = self.nodes[client as usize].kv.get(req.keys[0]).to_vec();
            let fresh = req
                .min
                .as_ref()
                .is_none_or(|m| includes(&vs, m, Resolve::Tag));
            if fresh {
                return self.finish(op, Res::Ok(vs), now, out);
            }
        }
        match r.leader {
            Some(l) if l != client => out.push(Out::Send {
                from: client,
                to: l,
                msg: Msg::Forward { op, req },
            }),
            _ => self.finish(op, Res::Fail("no leader known"), now, out),
        }
    }

    /// `at` serves a request as leader (or refuses: not the leader).
    pub(super) fn leader_serve(
        &mut self,
        at: NodeId,
        client: NodeId,
        op: u64,
        req: Req,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        if self.raft(at).role != Role::Leader {
            return self.answer(at, client, op, Res::Fail("not the leader"), now, out);
        }
        if let Some(p) = self.ops.get_mut(&op) {
            p.server = at;
        }
        if !req.write {
            if !self.params.read_confirm {
                let vs = self.nodes[at as usize].kv.get(req.keys[0]).to_vec();
                return self.answer(at, client, op, Res::Ok(vs), now, out);
            }
            let r = self.raft_mut(at);
            if r.round_started != Some(now) {
                r.round += 1;
                r.round_started = Some(now);
                let round = r.round;
                r.waiting_reads.push((round, op, client));
                self.broadcast_append(at, true, now, out);
            } else {
                let round = r.round;
                r.waiting_reads.push((round, op, client));
            }
            return self.settle_reads(at, now, out);
        }
        let r = self.raft_mut(at);
        r.entries.push(Entry {
            term: r.term,
            op,
            keys: req.keys,
            at: now,
        });
        let index = r.last_index();
        r.waiting_writes.insert(index, (op, client));
        self.broadcast_append(at, false, now, out);
        self.advance_commit(at, now, out);
    }

    /// Send every follower what it lacks (or an empty heartbeat).
    fn broadcast_append(&mut self, at: NodeId, heartbeat: bool, now: SimTime, out: &mut Vec<Out>) {
        for f in 0..self.size() {
            if f != at {
                self.send_append(at, f, heartbeat, now, out);
            }
        }
    }

    fn send_append(
        &mut self,
        at: NodeId,
        f: NodeId,
        retransmit: bool,
        _now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let r = self.raft(at);
        let fi = f as usize;
        let from = if retransmit {
            r.match_index[fi] + 1
        } else {
            r.next_index[fi]
        };
        if from <= r.base_index {
            let msg = Msg::Snapshot {
                term: r.term,
                index: r.base_index,
                last_term: r.base_term,
                kv: Box::new(r.base_kv.clone()),
            };
            out.push(Out::Send {
                from: at,
                to: f,
                msg,
            });
            let base = r.base_index;
            self.raft_mut(at).next_index[fi] = base + 1;
            return;
        }
        let prev_index = from - 1;
        let last = r.last_index();
        let upto = last.min(prev_index + APPEND_BATCH as u64);
        let entries: Vec<Entry> = (from..=upto).filter_map(|i| r.entry(i).cloned()).collect();
        let msg = Msg::Append {
            term: r.term,
            prev_index,
            prev_term: r.term_at(prev_index).unwrap_or(0),
            entries,
            commit: r.commit,
            round: r.round,
        };
        out.push(Out::Send {
            from: at,
            to: f,
            msg,
        });
        let r = self.raft_mut(at);
        r.next_index[fi] = r.next_index[fi].max(upto + 1);
    }

    /// Move the commit index as far as the acknowledgement policy allows, apply, answer.
    fn advance_commit(&mut self, at: NodeId, now: SimTime, out: &mut Vec<Out>) {
        let size = self.nodes.len();
        let majority = self.majority();
        let policy = self.params.ack;
        let r = self.raft_mut(at);
        let last = r.last_index();
        r.match_index[at as usize] = last;
        let mut sorted = r.match_index.clone();
        crate::sim::sort::sort_by(&mut sorted, |a, b| b.cmp(a));
        let holders_needed = match policy {
            AckPolicy::Async => 1,
            AckPolicy::SemiSync => 2.min(size),
            AckPolicy::Majority => majority,
            AckPolicy::Sync => size,
        };
        let candidate = sorted[holders_needed - 1];
        // Only entries of the current term are committed by counting (Raft's rule).
        if candidate > r.commit && r.term_at(candidate) == Some(r.term) {
            r.commit = candidate;
        }
        self.apply_committed(at);
        let r = self.raft_mut(at);
        let commit = r.commit;
        let done: Vec<(u64, (u64, NodeId))> = r
            .waiting_writes
            .range(..=commit)
            .map(|(i, w)| (*i, *w))
            .collect();
        for (i, (op, client)) in done {
            let r = self.raft_mut(at);
            r.waiting_writes.remove(&i);
            let v = r.entry(i).map(|e| entry_version(e, i));
            self.answer(at, client, op, Res::Ok(v.into_iter().collect()), now, out);
        }
        self.settle_reads(at, now, out);
    }

    /// Apply entries up to the commit index to the node's data; fold old ones into the
    /// snapshot.
    fn apply_committed(&mut self, at: NodeId) {
        let node = &mut self.nodes[at as usize];
        let r = &mut node.raft;
        let target = r.commit.min(r.last_index());
        while r.applied < target {
            r.applied += 1;
            let i = r.applied;
            let e = r.entry(i).expect("applied entries are in the log");
            if e.op != 0 {
                let v = entry_version(e, i);
                for &k in &e.keys {
                    node.kv.set(k, v.clone());
                }
            }
        }
        while r.applied > r.base_index + 2 * LOG_KEEP {
            let fold = r.entries.len().min(LOG_KEEP as usize);
            for (j, e) in r.entries.drain(..fold).enumerate() {
                let i = r.base_index + 1 + j as u64;
                if e.op != 0 {
                    let v = entry_version(&e, i);
                    for &k in &e.keys {
                        r.base_kv.set(k, v.clone());
                    }
                }
                r.base_term = e.term;
            }
            r.base_index += fold as u64;
        }
    }

    /// Answer the reads whose confirmation round a majority has answered.
    fn settle_reads(&mut self, at: NodeId, now: SimTime, out: &mut Vec<Out>) {
        let majority = self.majority();
        let r = self.raft(at);
        if r.role != Role::Leader || r.waiting_reads.is_empty() {
            return;
        }
        // A new leader answers reads only after committing an entry of its own term.
        if r.term_at(r.commit) != Some(r.term) {
            return;
        }
        let confirmed = |round: u64| {
            r.round_acks
                .iter()
                .enumerate()
                .filter(|(i, &a)| *i == at as usize || a >= round)
                .count()
                >= majority
        };
        let (ready, wait): (Vec<_>, Vec<_>) = r
            .waiting_reads
            .iter()
            .partition(|(round, _, _)| confirmed(*round));
        if ready.is_empty() {
            return;
        }
        self.raft_mut(at).waiting_reads = wait;
        for (_, op, client) in ready {
            let Some(key) = self.ops.get(&op).map(|p| p.req.keys[0]) else {
                continue;
            };
            let vs = self.nodes[at as usize].kv.get(key).to_vec();
            self.answer(at, client, op, Res::Ok(vs), now, out);
        }
    }

    pub(super) fn leader_tick(&mut self, at: NodeId, now: SimTime, out: &mut Vec<Out>) {
        let timeout = SimDuration::from_ms(self.params.election_timeout_ms);
        let majority = self.majority();
        let fencing = self.params.fencing;
        let r = self.raft(at);
        match r.role {
            Role::Leader => {
                let heard = r
                    .last_ack
                    .iter()
                    .enumerate()
                    .filter(|(i, &t)| *i == at as usize || now.since(t) <= timeout)
                    .count();
                if fencing && heard < majority {
                    self.step_down(at, None, now, out, "lost its majority (fenced)");
                    return;
                }
                self.raft_mut(at).round += 1;
                self.broadcast_append(at, true, now, out);
            }
            _ if now >= r.election_deadline => self.start_election(at, now, out),
            _ => {}
        }
    }

    fn start_election(&mut self, at: NodeId, now: SimTime, out: &mut Vec<Out>) {
        let timeout_ms = self.params.election_timeout_ms;
        let dl = deadline(now, timeout_ms, &mut self.rng);
        let r = self.raft_mut(at);
        r.term += 1;
        r.role = Role::Candidate;
        r.voted_for = Some(at);
        r.votes = vec![at];
        r.leader = None;
        r.election_deadline = dl;
        let (term, last_index, last_term) = (r.term, r.last_index(), r.last_term());
        self.counters.elections += 1;
        if self.majority() == 1 {
            return self.become_leader(at, now, out);
        }
        for p in 0..self.size() {
            if p != at {
                out.push(Out::Send {
                    from: at,
                    to: p,
                    msg: Msg::Vote {
                        term,
                        last_index,
                        last_term,
                    },
                });
            }
        }
    }

    fn become_leader(&mut self, at: NodeId, now: SimTime, out: &mut Vec<Out>) {
        let size = self.nodes.len();
        let r = self.raft_mut(at);
        r.role = Role::Leader;
        r.leader = Some(at);
        let last = r.last_index();
        r.next_index = vec![last + 1; size];
        r.match_index = vec![0; size];
        r.last_ack = vec![now; size];
        r.round_acks = vec![0; size];
        let term = r.term;
        // A no-op of the new term lets the leader commit (and then serve reads).
        r.entries.push(Entry {
            term,
            op: 0,
            keys: Vec::new(),
            at: now,
        });
        out.push(Out::Log {
            kind: OutLog::Leader,
            text: format!("n{at} elected leader for term {term}"),
        });
        self.broadcast_append(at, false, now, out);
        self.advance_commit(at, now, out);
    }

    fn step_down(
        &mut self,
        at: NodeId,
        term: Option<u64>,
        now: SimTime,
        out: &mut Vec<Out>,
        why: &str,
    ) {
        let timeout_ms = self.params.election_timeout_ms;
        let dl = deadline(now, timeout_ms, &mut self.rng);
        let r = self.raft_mut(at);
        let was_leader = r.role == Role::Leader;
        if let Some(t) = term {
            if t > r.term {
                r.term = t;
                r.voted_for = None;
            }
        }
        r.role = Role::Follower;
        if was_leader {
            r.leader = None;
            r.election_deadline = dl;
            r.waiting_writes.clear();
            r.waiting_reads.clear();
            out.push(Out::Log {
                kind: OutLog::Leader,
                text: format!("n{at} stepped down: {why}"),
            });
        }
    }

    pub(super) fn leader_message(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: Msg,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        match msg {
            Msg::Vote {
                term,
                last_index,
                last_term,
            } => self.on_vote(to, from, term, (last_term, last_index), now, out),
            Msg::VoteReply { term, granted } => {
                if term > self.raft(to).term {
                    return self.step_down(to, Some(term), now, out, "saw a higher term");
                }
                let r = self.raft_mut(to);
                if r.role != Role::Candidate
                    || term != r.term
                    || !granted
                    || r.votes.contains(&from)
                {
                    return;
                }
                r.votes.push(from);
                if r.votes.len() >= self.majority() {
                    self.become_leader(to, now, out);
                }
            }
            Msg::Append {
                term,
                prev_index,
                prev_term,
                entries,
                commit,
                round,
            } => self.on_append(
                to,
                from,
                term,
                (prev_index, prev_term),
                entries,
                commit,
                round,
                now,
                out,
            ),
            Msg::AppendReply {
                term,
                ok,
                match_index,
                round,
            } => self.on_append_reply(to, from, term, ok, match_index, round, now, out),
            Msg::Snapshot {
                term,
                index,
                last_term,
                kv,
            } => {
                if term < self.raft(to).term {
                    return;
                }
                self.follow(to, from, term, now);
                let r = self.raft_mut(to);
                if index > r.applied {
                    r.base_kv = (*kv).clone();
                    r.base_index = index;
                    r.base_term = last_term;
                    r.entries.clear();
                    r.applied = index;
                    r.commit = r.commit.max(index);
                    self.nodes[to as usize].kv = *kv;
                }
                let m = self.raft(to).last_index();
                let msg = Msg::AppendReply {
                    term,
                    ok: true,
                    match_index: m,
                    round: 0,
                };
                out.push(Out::Send {
                    from: to,
                    to: from,
                    msg,
                });
            }
            _ => unreachable!("only single-leader messages are routed here"),
        }
    }

    fn on_vote(
        &mut self,
        at: NodeId,
        cand: NodeId,
        term: u64,
        cand_log: (u64, u64),
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        if term > self.raft(at).term {
            self.step_down(at, Some(term), now, out, "saw a higher term");
        }
        let timeout_ms = self.params.election_timeout_ms;
        let dl = deadline(now, timeout_ms, &mut self.rng);
        let r = self.raft_mut(at);
        let up_to_date = cand_log >= (r.last_term(), r.last_index());
        let granted = term == r.term && r.voted_for.is_none_or(|v| v == cand) && up_to_date;
        if granted {
            r.voted_for = Some(cand);
            r.election_deadline = dl;
        }
        let reply = Msg::VoteReply {
            term: r.term,
            granted,
        };
        out.push(Out::Send {
            from: at,
            to: cand,
            msg: reply,
        });
    }

    fn follow(&mut self, at: NodeId, leader: NodeId, term: u64, now: SimTime) {
        let timeout_ms = self.params.election_timeout_ms;
        let dl = deadline(now, timeout_ms, &mut self.rng);
        let r = self.raft_mut(at);
        if term > r.term {
            r.term = term;
            r.voted_for = None;
        }
        r.role = Role::Follower;
        r.leader = Some(leader);
        r.election_deadline = dl;
        r.waiting_writes.clear();
        r.waiting_reads.clear();
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &mut self,
        at: NodeId,
        leader: NodeId,
        term: u64,
        prev: (u64, u64),
        entries: Vec<Entry>,
        commit: u64,
        round: u64,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let my_term = self.raft(at).term;
        let reply = |ok, m, t| Msg::AppendReply {
            term: t,
            ok,
            match_index: m,
            round,
        };
        if term < my_term {
            let msg = reply(false, 0, my_term);
            return out.push(Out::Send {
                from: at,
                to: leader,
                msg,
            });
        }
        if self.raft(at).role == Role::Leader && term == my_term {
            return; // two leaders of one term cannot exist; ignore defensively
        }
        self.follow(at, leader, term, now);
        let (prev_index, prev_term) = prev;
        let r = self.raft(at);
        if prev_index > r.last_index() {
            let msg = reply(false, r.last_index(), term);
            return out.push(Out::Send {
                from: at,
                to: leader,
                msg,
            });
        }
        if prev_index >= r.base_index && r.term_at(prev_index) != Some(prev_term) {
            let msg = reply(
                false,
                prev_index.saturating_sub(1).max(r.base_index.min(r.commit)),
                term,
            );
            return out.push(Out::Send {
                from: at,
                to: leader,
                msg,
            });
        }
        let count = entries.len() as u64;
        for (j, e) in entries.into_iter().enumerate() {
            let i = prev_index + 1 + j as u64;
            if i <= self.raft(at).base_index {
                continue;
            }
            match self.raft(at).term_at(i) {
                Some(t) if t == e.term => continue,
                Some(_) => self.truncate(at, i),
                None => {}
            }
            self.raft_mut(at).entries.push(e);
        }
        let r = self.raft_mut(at);
        let matched = prev_index + count;
        r.commit = r.commit.max(commit.min(matched));
        self.apply_committed(at);
        let msg = reply(true, matched, term);
        out.push(Out::Send {
            from: at,
            to: leader,
            msg,
        });
    }

    /// Remove entries `from ..` (a new leader's log wins). Applied ones are rolled back by
    /// rebuilding the data from the snapshot; acknowledged writes among them are lost.
    fn truncate(&mut self, at: NodeId, from: u64) {
        let r = self.raft_mut(at);
        let keep = (from - r.base_index - 1) as usize;
        let cut: Vec<u64> = r.entries[keep..]
            .iter()
            .map(|e| e.op)
            .filter(|&op| op != 0)
            .collect();
        r.entries.truncate(keep);
        if r.applied >= from {
            r.applied = r.base_index;
            r.commit = r.commit.min(from - 1);
            self.nodes[at as usize].kv = self.nodes[at as usize].raft.base_kv.clone();
            self.apply_committed(at);
        }
        for op in cut {
            self.overwrite(op, None);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_reply(
        &mut self,
        at: NodeId,
        from: NodeId,
        term: u64,
        ok: bool,
        m: u64,
        round: u64,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        if term > self.raft(at).term {
            return self.step_down(at, Some(term), now, out, "saw a higher term");
        }
        let r = self.raft_mut(at);
        if r.role != Role::Leader || term != r.term {
            return;
        }
        let fi = from as usize;
        r.last_ack[fi] = now;
        r.round_acks[fi] = r.round_acks[fi].max(round);
        if ok {
            r.match_index[fi] = r.match_index[fi].max(m);
            r.next_index[fi] = r.next_index[fi].max(m + 1);
            let behind = r.match_index[fi] < r.last_index();
            self.advance_commit(at, now, out);
            if behind {
                self.send_append(at, from, true, now, out);
            }
        } else {
            r.next_index[fi] = (m + 1).min(r.next_index[fi].saturating_sub(1)).max(1);
            r.match_index[fi] = r.match_index[fi].min(m);
            self.send_append(at, from, false, now, out);
            self.settle_reads(at, now, out);
        }
    }

    /// The current leader, if exactly one node believes it leads with the highest term.
    pub fn current_leader(&self) -> Option<NodeId> {
        (0..self.size())
            .filter(|&n| self.nodes[n as usize].up && self.raft(n).role == Role::Leader)
            .max_by_key(|&n| self.raft(n).term)
    }

    /// Nodes that believe they lead (more than one during split brain).
    pub fn leaders(&self) -> Vec<NodeId> {
        (0..self.size())
            .filter(|&n| self.nodes[n as usize].up && self.raft(n).role == Role::Leader)
            .collect()
    }
}
