//! Leaderless replication as in Dynamo. A key lives on N consecutive nodes of the ring. The
//! coordinator (a replica of the key) sends a write to all N (or only W, for the PBS setting)
//! and answers after W acknowledgements; a read asks the N replicas and answers after R
//! replies with the newest version (or the siblings), repairing stale replicas it saw. With a
//! sloppy quorum, a write for a replica that seems down goes to the next healthy node with a
//! hint and is handed back later. Anti-entropy compares one peer's data per interval.
//!
//! ABD mode: a write first asks a majority for the highest tag and writes tag + 1; a read
//! writes the newest value it saw back to a majority before answering. Majority quorums then
//! give linearizable registers.

use crate::sim::command::NodeId;
use crate::sim::time::{SimDuration, SimTime};

use super::cluster::{Cluster, Msg, Out, Req, Res};
use super::version::{includes, merge, newest, ConflictPolicy, Payload, Resolve, Version, Vv};
use super::PartitionMode;

/// Hints one node holds; the oldest is dropped beyond this (and counted lost to anti-entropy).
pub const HINTS_MAX: usize = 10_000;
/// Hints one node tries to hand back per tick.
const HANDOFF_PER_TICK: usize = 64;

/// A write held for a replica that seemed down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub key: u32,
    pub ver: Version,
    pub for_node: NodeId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// ABD write: learning the highest tag.
    Learn,
    Write,
    Read,
    /// ABD read: writing the newest value back.
    WriteBack,
}

/// A coordinator's state for one operation.
#[derive(Clone, Debug)]
pub struct QuorumOp {
    pub phase: Phase,
    pub key: u32,
    pub client: NodeId,
    pub min: Option<Version>,
    /// Nodes asked in this phase.
    pub asked: Vec<NodeId>,
    pub required: usize,
    pub acks: Vec<NodeId>,
    pub replies: Vec<(NodeId, Vec<Version>)>,
    pub ver: Option<Version>,
}

impl Cluster {
    /// A message to oneself is handled at once; others go through the network.
    pub(super) fn send(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: Msg,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        if from == to {
            self.on_message(from, to, msg, now, out);
        } else {
            out.push(Out::Send { from, to, msg });
        }
    }

    /// A client's request arrives at its node.
    pub(super) fn quorum_request(
        &mut self,
        client: NodeId,
        op: u64,
        req: Req,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let key = req.keys[0];
        if self.replicas_of(key).any(|n| n == client) {
            return self.quorum_coordinate(client, client, op, req, now, out);
        }
        let to = self
            .replicas_of(key)
            .find(|&n| !self.suspects(client, n, now));
        match (to, self.params.partition_mode) {
            (Some(to), _) => out.push(Out::Send {
                from: client,
                to,
                msg: Msg::Forward { op, req },
            }),
            (None, PartitionMode::Ap) => self.quorum_coordinate(client, client, op, req, now, out),
            (None, PartitionMode::Cp) => self.finish(
                op,
                Res::Fail("no replica of the key is reachable"),
                now,
                out,
            ),
        }
    }

    /// `at` coordinates `op` for a client at `client`.
    pub(super) fn quorum_coordinate(
        &mut self,
        at: NodeId,
        client: NodeId,
        op: u64,
        req: Req,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        if !self.ops.contains_key(&op) {
            return; // the client gave up while the request travelled
        }
        let key = req.keys[0];
        let (r, w) = self.params.quorums();
        let phase = match (req.write, self.params.abd) {
            (true, false) => Phase::Write,
            (true, true) => Phase::Learn,
            (false, _) => Phase::Read,
        };
        let mut q = QuorumOp {
            phase,
            key,
            client,
            min: req.min.clone(),
            asked: Vec::new(),
            required: 0,
            acks: Vec::new(),
            replies: Vec::new(),
            ver: None,
        };
        let need = match phase {
            Phase::Write => w,
            _ => r,
        } as usize;
        let targets = self.targets(at, key, phase, need, now);
        let reachable = targets
            .iter()
            .filter(|(n, _)| !self.suspects(at, *n, now))
            .count();
        q.required = match (self.params.partition_mode, self.params.abd) {
            (PartitionMode::Ap, false) => need.min(reachable).max(1),
            _ => need,
        };
        if reachable < q.required {
            let res = Res::Fail("too few replicas reachable for the quorum");
            return self.answer(at, client, op, res, now, out);
        }
        if phase == Phase::Write {
            q.ver = Some(self.new_version(at, key, op, now));
        }
        q.asked = targets.iter().map(|(n, _)| *n).collect();
        let ver = q.ver.clone();
        if let Some(p) = self.ops.get_mut(&op) {
            p.server = at;
            p.quorum = Some(Box::new(q));
        }
        for (t, hint_for) in targets {
            let msg = match &ver {
                Some(v) => Msg::Store {
                    op,
                    key,
                    ver: v.clone(),
                    hint_for,
                },
                None => Msg::Fetch { op, key },
            };
            self.send(at, t, msg, now, out);
        }
    }

    /// Whom to ask: the key's replicas; for a sloppy write, a replica that seems down is
    /// replaced by the next healthy node outside the list, with a hint. For the PBS setting,
    /// a write goes to W replicas only (the coordinator and W - 1 others at random).
    fn targets(
        &mut self,
        at: NodeId,
        key: u32,
        phase: Phase,
        need: usize,
        now: SimTime,
    ) -> Vec<(NodeId, Option<NodeId>)> {
        let pref: Vec<NodeId> = self.replicas_of(key).collect();
        if phase == Phase::Write && self.params.write_to_w_only && !self.params.abd {
            let mut rest: Vec<NodeId> = pref.iter().copied().filter(|&n| n != at).collect();
            let mut chosen = vec![at];
            while chosen.len() < need && !rest.is_empty() {
                let i = self.rng.range_u64(0, rest.len() as u64 - 1) as usize;
                chosen.push(rest.remove(i));
            }
            return chosen.into_iter().map(|n| (n, None)).collect();
        }
        let sloppy = phase == Phase::Write && self.params.sloppy_quorum && !self.params.abd;
        if !sloppy {
            return pref.into_iter().map(|n| (n, None)).collect();
        }
        let size = self.size();
        let mut spare = (0..size)
            .map(|i| (key + self.params.n + i) % size)
            .filter(|n| !pref.contains(n) && !self.suspects(at, *n, now));
        pref.iter()
            .map(|&n| {
                if self.suspects(at, n, now) {
                    match spare.next() {
                        Some(s) => (s, Some(n)),
                        None => (n, None),
                    }
                } else {
                    (n, None)
                }
            })
            .collect()
    }

    /// A new version of `key` written through `at`: it has seen what `at` holds, plus one
    /// new write of `at`.
    pub(super) fn new_version(&mut self, at: NodeId, key: u32, op: u64, now: SimTime) -> Version {
        let ts = self.clock(at, now);
        let policy = self.params.conflict;
        let node = &mut self.nodes[at as usize];
        node.dots += 1;
        let held = node.kv.get(key);
        let mut vv = held.iter().fold(Vv::default(), |a, v| a.join(&v.vv));
        vv.0[at as usize] = node.dots;
        let base = newest(held).map(|v| v.payload.clone());
        let payload = match (policy, base) {
            (ConflictPolicy::MergeCounter, b) => {
                let mut c = match b {
                    Some(Payload::Counter(c)) => c,
                    _ => [0; 7],
                };
                c[at as usize] += 1;
                Payload::Counter(c)
            }
            (ConflictPolicy::MergeSet, b) => {
                let mut s = match b {
                    Some(Payload::Set(s)) => s,
                    _ => Vec::new(),
                };
                s.push(op);
                Payload::Set(s)
            }
            _ => Payload::Register,
        };
        Version {
            value: op,
            ts,
            node: at,
            vv,
            payload,
        }
    }

    pub(super) fn quorum_message(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: Msg,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        match msg {
            Msg::Store {
                op,
                key,
                ver,
                hint_for,
            } => {
                match hint_for {
                    Some(h) => self.keep_hint(to, key, ver, h),
                    None => self.merge_into(to, key, &ver, now, out),
                }
                self.send(to, from, Msg::Stored { op }, now, out);
            }
            Msg::Stored { op } => self.on_stored(to, from, op, now, out),
            Msg::Fetch { op, key } => {
                let versions = self.nodes[to as usize].kv.get(key).to_vec();
                self.send(to, from, Msg::Fetched { op, versions }, now, out);
            }
            Msg::Fetched { op, versions } => self.on_fetched(to, from, op, versions, now, out),
            Msg::Repair { key, versions } => {
                for v in &versions {
                    self.merge_into(to, key, v, now, out);
                }
            }
            Msg::HandOff { key, ver } => {
                self.merge_into(to, key, &ver, now, out);
                let value = ver.value;
                self.send(to, from, Msg::HandedOff { key, value }, now, out);
            }
            Msg::HandedOff { key, value } => {
                let hints = &mut self.nodes[to as usize].hints;
                let before = hints.len();
                hints.retain(|h| !(h.key == key && h.ver.value == value && h.for_node == from));
                self.counters.hints_handed_off += (before - hints.len()) as u64;
            }
            Msg::Digest { entries } => self.on_digest(to, from, entries, now, out),
            Msg::Differ { entries, want } => {
                self.merge_entries(to, &entries, now, out);
                let kv = &self.nodes[to as usize].kv;
                let back: Vec<(u32, Vec<Version>)> = want
                    .into_iter()
                    .filter(|&k| !kv.get(k).is_empty())
                    .map(|k| (k, kv.get(k).to_vec()))
                    .collect();
                if !back.is_empty() {
                    self.send(to, from, Msg::Push { entries: back }, now, out);
                }
            }
            Msg::Push { entries } => self.merge_entries(to, &entries, now, out),
            _ => unreachable!("only leaderless messages are routed here"),
        }
    }

    fn keep_hint(&mut self, at: NodeId, key: u32, ver: Version, for_node: NodeId) {
        let hints = &mut self.nodes[at as usize].hints;
        if hints.len() == HINTS_MAX {
            hints.pop_front();
        }
        hints.push_back(Hint { key, ver, for_node });
    }

    fn merge_entries(
        &mut self,
        at: NodeId,
        entries: &[(u32, Vec<Version>)],
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        for (k, vs) in entries {
            for v in vs {
                self.merge_into(at, *k, v, now, out);
            }
        }
    }

    fn quorum_op(&mut self, at: NodeId, op: u64) -> Option<&mut QuorumOp> {
        self.ops
            .get_mut(&op)
            .filter(|p| p.server == at)
            .and_then(|p| p.quorum.as_deref_mut())
    }

    fn on_stored(&mut self, at: NodeId, from: NodeId, op: u64, now: SimTime, out: &mut Vec<Out>) {
        let Some(q) = self.quorum_op(at, op) else {
            return;
        };
        if !matches!(q.phase, Phase::Write | Phase::WriteBack) || q.acks.contains(&from) {
            return;
        }
        q.acks.push(from);
        if q.acks.len() < q.required {
            return;
        }
        let (client, res) = match q.phase {
            Phase::Write => (q.client, Res::Ok(q.ver.iter().cloned().collect())),
            _ => (q.client, Res::Ok(merged(&q.replies, Resolve::Tag))),
        };
        self.answer(at, client, op, res, now, out);
    }

    fn on_fetched(
        &mut self,
        at: NodeId,
        from: NodeId,
        op: u64,
        versions: Vec<Version>,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let resolve = self.resolve();
        let abd = self.params.abd;
        let read_repair = self.params.read_repair && !abd;
        let Some(q) = self.quorum_op(at, op) else {
            return;
        };
        if !matches!(q.phase, Phase::Read | Phase::Learn)
            || q.replies.iter().any(|(n, _)| *n == from)
        {
            return;
        }
        q.replies.push((from, versions));
        if q.replies.len() < q.required {
            return;
        }
        let result = merged(&q.replies, resolve);
        if let Some(min) = &q.min {
            if !includes(&result, min, resolve) {
                if q.replies.len() == q.asked.len() {
                    let client = q.client;
                    let res = Res::Fail("no replica had the session's own write");
                    self.answer(at, client, op, res, now, out);
                }
                return; // wait for more replicas
            }
        }
        let (phase, client, key) = (q.phase, q.client, q.key);
        // Replicas whose answer differs from the reconciled result.
        let stale: Vec<NodeId> = q
            .replies
            .iter()
            .filter(|(_, v)| !same_content(v, &result))
            .map(|(n, _)| *n)
            .collect();
        match phase {
            Phase::Learn => {
                let top = newest(&result).map_or(0, |v| v.ts);
                let mut ver = self.new_version(at, key, op, now);
                ver.ts = top + 1;
                self.begin_write_phase(at, op, ver, Phase::Write, now, out);
            }
            _ if abd => match newest(&result).cloned() {
                // Write the newest value back unless every replica asked already has it.
                Some(v) if !stale.is_empty() => {
                    self.begin_write_phase(at, op, v, Phase::WriteBack, now, out)
                }
                _ => self.answer(at, client, op, Res::Ok(result), now, out),
            },
            _ => {
                if read_repair {
                    for n in stale {
                        self.counters.read_repairs += 1;
                        let msg = Msg::Repair {
                            key,
                            versions: result.clone(),
                        };
                        self.send(at, n, msg, now, out);
                    }
                }
                self.answer(at, client, op, Res::Ok(result), now, out);
            }
        }
    }

    fn begin_write_phase(
        &mut self,
        at: NodeId,
        op: u64,
        ver: Version,
        phase: Phase,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let Some(q) = self.quorum_op(at, op) else {
            return;
        };
        let key = q.key;
        q.phase = phase;
        q.acks.clear();
        q.ver = Some(ver.clone());
        let asked = q.asked.clone();
        for t in asked {
            let msg = Msg::Store {
                op,
                key,
                ver: ver.clone(),
                hint_for: None,
            };
            self.send(at, t, msg, now, out);
        }
    }

    /// Periodic work of a leaderless node: hand hints back, compare data with a peer.
    pub(super) fn quorum_tick(&mut self, node: NodeId, now: SimTime, out: &mut Vec<Out>) {
        let ready: Vec<Hint> = self.nodes[node as usize]
            .hints
            .iter()
            .filter(|h| !self.suspects(node, h.for_node, now))
            .take(HANDOFF_PER_TICK)
            .cloned()
            .collect();
        for h in ready {
            out.push(Out::Send {
                from: node,
                to: h.for_node,
                msg: Msg::HandOff {
                    key: h.key,
                    ver: h.ver,
                },
            });
        }
        self.anti_entropy_tick(node, now, out);
    }

    pub(super) fn anti_entropy_tick(&mut self, node: NodeId, now: SimTime, out: &mut Vec<Out>) {
        let every = self.params.anti_entropy_ms;
        let size = self.size();
        if every == 0 || size < 2 || now < self.nodes[node as usize].ae_next {
            return;
        }
        let n = &mut self.nodes[node as usize];
        n.ae_next = now + SimDuration::from_ms(every);
        let peer = n.ae_peer;
        n.ae_peer = (n.ae_peer + 1) % size;
        if n.ae_peer == node {
            n.ae_peer = (n.ae_peer + 1) % size;
        }
        if peer == node {
            return;
        }
        let entries: Vec<(u32, u64)> = self.nodes[node as usize]
            .kv
            .digest()
            .into_iter()
            .filter(|(k, _)| self.holds(peer, *k))
            .collect();
        out.push(Out::Send {
            from: node,
            to: peer,
            msg: Msg::Digest { entries },
        });
    }

    fn holds(&self, node: NodeId, key: u32) -> bool {
        self.replicas_of(key).any(|n| n == node)
    }

    fn on_digest(
        &mut self,
        at: NodeId,
        from: NodeId,
        theirs: Vec<(u32, u64)>,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let kv = &self.nodes[at as usize].kv;
        let mut entries = Vec::new();
        let mut want = Vec::new();
        let mut i = 0;
        for (k, h) in &theirs {
            if kv.key_hash(*k) != *h && self.holds(at, *k) {
                want.push(*k);
                if !kv.get(*k).is_empty() {
                    entries.push((*k, kv.get(*k).to_vec()));
                }
            }
        }
        for (k, vs) in kv.iter() {
            while i < theirs.len() && theirs[i].0 < k {
                i += 1;
            }
            let they_have = i < theirs.len() && theirs[i].0 == k;
            if !they_have && self.holds(from, k) {
                entries.push((k, vs.to_vec()));
            }
        }
        if !entries.is_empty() || !want.is_empty() {
            self.send(at, from, Msg::Differ { entries, want }, now, out);
        }
    }
}

/// Everything a set of replies says, reconciled.
pub fn merged(replies: &[(NodeId, Vec<Version>)], resolve: Resolve) -> Vec<Version> {
    let mut acc: Vec<Version> = Vec::new();
    for (_, vs) in replies {
        for v in vs {
            merge(&mut acc, v, resolve);
        }
    }
    acc
}

/// Two replicas show the same thing: the same values (and merged payloads), whatever their
/// version vectors say.
pub fn same_content(a: &[Version], b: &[Version]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| {
            b.iter()
                .any(|y| x.tag() == y.tag() && x.payload == y.payload)
        })
}
