//! Multi-leader replication: every node accepts writes, acknowledges them at once, and streams
//! them to every other node in order (each stream numbered by its origin, re-sent on every
//! tick until acknowledged, applied without gaps and at most once). Concurrent writes to one
//! key on different leaders meet at the replicas and are reconciled by the conflict policy.
//!
//! CP: a node that cannot see a majority of the cluster refuses reads and writes. AP: every
//! node serves, and the sides of a partition diverge until the streams catch up.

use std::collections::VecDeque;

use crate::sim::command::NodeId;
use crate::sim::time::SimTime;

use super::cluster::{Cluster, Msg, Out, Req, Res};
use super::version::{includes, Version};
use super::PartitionMode;

/// Own writes a node keeps for its peers; beyond it the oldest are dropped and only
/// anti-entropy can bring them to a peer that missed them.
pub const OUTBOX_MAX: usize = 50_000;
/// Entries one replication message carries at most.
const BATCH: usize = 256;

#[derive(Clone, Debug, Default)]
pub struct MultiState {
    /// Sequence number of this node's last write.
    pub seq: u64,
    /// This node's writes not yet acknowledged by every peer.
    pub log: VecDeque<(u64, u32, Version, SimTime)>,
    /// Per peer: highest of our sequence numbers it acknowledged.
    pub acked: Vec<u64>,
    /// Per origin: highest of its sequence numbers applied here.
    pub applied: Vec<u64>,
}

impl MultiState {
    pub fn new(nodes: u32) -> Self {
        MultiState {
            acked: vec![0; nodes as usize],
            applied: vec![0; nodes as usize],
            ..MultiState::default()
        }
    }
    fn entries_from(&self, after: u64) -> Vec<(u64, u32, Version)> {
        self.log
            .iter()
            .filter(|(s, ..)| *s > after)
            .take(BATCH)
            .map(|(s, k, v, _)| (*s, *k, v.clone()))
            .collect()
    }
}

impl Cluster {
    /// Serve a request at `at` (the client's node) and answer it.
    pub(super) fn multi_request(
        &mut self,
        at: NodeId,
        op: u64,
        req: Req,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        if let Some(p) = self.ops.get_mut(&op) {
            p.server = at;
        }
        let res = self.multi_serve(at, op, &req, now, out);
        if let (Res::Ok(vs), true) = (&res, req.write) {
            let v = vs[0].clone();
            self.multi_publish(at, req.keys[0], v, now, out);
        }
        self.finish(op, res, now, out);
    }

    /// Serve a read or write locally; for a write, the new version.
    fn multi_serve(
        &mut self,
        at: NodeId,
        op: u64,
        req: &Req,
        now: SimTime,
        out: &mut Vec<Out>,
    ) -> Res {
        if self.params.partition_mode == PartitionMode::Cp
            && self.reachable_count(at, now) < self.majority()
        {
            return Res::Fail("this node cannot see a majority (CP)");
        }
        let key = req.keys[0];
        if req.write {
            let v = self.new_version(at, key, op, now);
            self.merge_into(at, key, &v, now, out);
            return Res::Ok(vec![v]);
        }
        let vs = self.nodes[at as usize].kv.get(key).to_vec();
        if let Some(m) = &req.min {
            if !includes(&vs, m, self.resolve()) {
                return Res::Fail("this node has not received the session's write yet");
            }
        }
        Res::Ok(vs)
    }

    fn multi_publish(
        &mut self,
        at: NodeId,
        key: u32,
        v: Version,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        let m = &mut self.nodes[at as usize].multi;
        m.seq += 1;
        let seq = m.seq;
        if m.log.len() == OUTBOX_MAX {
            m.log.pop_front();
        }
        m.log.push_back((seq, key, v.clone(), now));
        for p in 0..self.size() {
            if p != at {
                out.push(Out::Send {
                    from: at,
                    to: p,
                    msg: Msg::Replicate {
                        entries: vec![(seq, key, v.clone())],
                    },
                });
            }
        }
    }

    pub(super) fn multi_message(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: Msg,
        now: SimTime,
        out: &mut Vec<Out>,
    ) {
        match msg {
            Msg::Replicate { entries } => {
                for (seq, key, v) in entries {
                    let applied = self.nodes[to as usize].multi.applied[from as usize];
                    if seq <= applied {
                        continue;
                    }
                    if seq > applied + 1 {
                        break; // a gap: wait for the re-send
                    }
                    self.merge_into(to, key, &v, now, out);
                    self.nodes[to as usize].multi.applied[from as usize] = seq;
                }
                let upto = self.nodes[to as usize].multi.applied[from as usize];
                out.push(Out::Send {
                    from: to,
                    to: from,
                    msg: Msg::ReplicateAck { upto },
                });
            }
            Msg::ReplicateAck { upto } => {
                let me = to as usize;
                let m = &mut self.nodes[me].multi;
                m.acked[from as usize] = m.acked[from as usize].max(upto);
                let all = m
                    .acked
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != me)
                    .map(|(_, a)| *a)
                    .min()
                    .unwrap_or(m.seq);
                while m.log.front().is_some_and(|(s, ..)| *s <= all) {
                    m.log.pop_front();
                }
            }
            _ => unreachable!("only multi-leader messages are routed here"),
        }
    }

    /// Re-send to each peer what it has not acknowledged.
    pub(super) fn multi_tick(&mut self, at: NodeId, _now: SimTime, out: &mut Vec<Out>) {
        for p in 0..self.size() {
            if p == at {
                continue;
            }
            let m = &mut self.nodes[at as usize].multi;
            let front = m.log.front().map_or(m.seq + 1, |(s, ..)| *s);
            let a = &mut m.acked[p as usize];
            if *a + 1 < front {
                *a = front - 1; // dropped from the outbox: left to anti-entropy
            }
            let a = *a;
            if a >= m.seq {
                continue;
            }
            let entries = m.entries_from(a);
            out.push(Out::Send {
                from: at,
                to: p,
                msg: Msg::Replicate { entries },
            });
        }
    }

    /// How long node `p` has been missing some other leader's write (zero when caught up).
    pub fn multi_lag(&self, p: NodeId, now: SimTime) -> u64 {
        let mine = &self.nodes[p as usize].multi;
        (0..self.size())
            .filter(|&o| o != p)
            .filter_map(|o| {
                let applied = mine.applied[o as usize];
                self.nodes[o as usize]
                    .multi
                    .log
                    .iter()
                    .find(|(s, ..)| *s > applied)
                    .map(|(.., t)| now.since(*t).as_us())
            })
            .max()
            .unwrap_or(0)
    }
}
