//! The demonstration model: one leader (node 0) replicating a write log to followers over
//! lossy links with latency. Writes arrive as a Poisson stream at the leader; the leader sends
//! each new entry to every follower at once and, on every heartbeat, re-sends whatever a
//! follower has not acknowledged, so losses are repaired. An entry is committed when a majority
//! of nodes (the leader included) holds it. There is no election here: a crashed leader makes
//! the cluster unavailable for writes until it restarts.
//!
//! Handlers read the state and return [`Effect`]s; [`crate::sim::engine::Simulation`] applies
//! them. Nothing in this file mutates state while deciding what should happen.

use std::collections::{BTreeMap, VecDeque};

use super::command::NodeId;
use super::net::{Blocked, Network};
use super::time::{SimDuration, SimTime};

/// Bound on messages travelling at once; beyond it, sends are dropped and counted, as a
/// router drops packets when its queue is full.
pub const IN_FLIGHT_MAX: usize = 200_000;
/// Bound on remembered write times (for lag in µs); older ones are forgotten.
pub const WRITE_TIMES_MAX: usize = 200_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Entries `from ..= to` of the leader's log (empty when `from > to`: a heartbeat).
    Append { from: u64, to: u64 },
    /// The follower holds every entry up to `applied`.
    Ack { applied: u64 },
}

/// A message on the wire, with the times needed to draw it in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flight {
    pub from: NodeId,
    pub to: NodeId,
    pub sent: SimTime,
    pub deliver: SimTime,
    pub body: Body,
}

/// What happens next in the model. Handlers return these; the engine applies them in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Leader appends one client write to its log.
    AppendWrite,
    /// A client write was refused (the leader is down).
    RejectWrite,
    /// Hand a message to the network (which may lose it, or drop it at a cut link).
    Send {
        from: NodeId,
        to: NodeId,
        body: Body,
    },
    /// A follower now holds entries up to `upto`.
    Apply { node: NodeId, upto: u64 },
    /// The leader learns that `node` holds entries up to `index`.
    Acked { node: NodeId, index: u64 },
    /// A message was thrown away on arrival (`reason` for the counters).
    Drop { reason: DropReason },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    Lost,
    LinkCut,
    Partitioned,
    NodeDown,
    BufferFull,
}

impl From<Blocked> for DropReason {
    fn from(b: Blocked) -> Self {
        match b {
            Blocked::Lost => DropReason::Lost,
            Blocked::LinkCut => DropReason::LinkCut,
            Blocked::Partitioned => DropReason::Partitioned,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub up: bool,
    /// Highest log index this node holds (for the leader, its last index).
    pub applied: u64,
}

/// Counters since the start of the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub writes_accepted: u64,
    pub writes_rejected: u64,
    pub committed: u64,
    pub messages_sent: u64,
    pub dropped_lost: u64,
    pub dropped_link_cut: u64,
    pub dropped_partitioned: u64,
    pub dropped_node_down: u64,
    pub dropped_buffer_full: u64,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    /// Highest index each node has acknowledged to the leader (index 0 is the leader itself).
    pub match_index: Vec<u64>,
    pub commit_index: u64,
    /// Times at which entries `write_base ..` were written, for commit latency and lag.
    write_times: VecDeque<SimTime>,
    write_base: u64,
    pub in_flight: BTreeMap<u64, Flight>,
    pub next_msg: u64,
    pub counters: Counters,
}

pub const LEADER: NodeId = 0;

impl Cluster {
    pub fn new(nodes: u32) -> Self {
        Cluster {
            nodes: (0..nodes)
                .map(|_| Node {
                    up: true,
                    applied: 0,
                })
                .collect(),
            match_index: vec![0; nodes as usize],
            commit_index: 0,
            write_times: VecDeque::new(),
            write_base: 1,
            in_flight: BTreeMap::new(),
            next_msg: 0,
            counters: Counters::default(),
        }
    }

    pub fn last_index(&self) -> u64 {
        self.nodes[LEADER as usize].applied
    }

    pub fn leader_up(&self) -> bool {
        self.nodes[LEADER as usize].up
    }

    pub fn followers(&self) -> impl Iterator<Item = NodeId> {
        1..self.nodes.len() as NodeId
    }

    /// When entry `index` was written, if still remembered.
    pub fn write_time(&self, index: u64) -> Option<SimTime> {
        let off = index.checked_sub(self.write_base)?;
        self.write_times.get(usize::try_from(off).ok()?).copied()
    }

    /// Entries the follower is behind the leader.
    pub fn lag_entries(&self, node: NodeId) -> u64 {
        self.last_index()
            .saturating_sub(self.nodes[node as usize].applied)
    }

    /// How long the oldest entry the follower is missing has existed (zero when caught up).
    pub fn lag_time(&self, node: NodeId, now: SimTime) -> SimDuration {
        let next = self.nodes[node as usize].applied + 1;
        if next > self.last_index() {
            return SimDuration::ZERO;
        }
        let t = self
            .write_time(next)
            .or_else(|| self.write_times.front().copied())
            .unwrap_or(now);
        now.since(t)
    }

    // ---- handlers: read state, return effects ----

    pub fn on_client_write(&self) -> Vec<Effect> {
        if !self.leader_up() {
            return vec![Effect::RejectWrite];
        }
        let index = self.last_index() + 1;
        let mut out = vec![Effect::AppendWrite];
        for f in self.followers() {
            out.push(Effect::Send {
                from: LEADER,
                to: f,
                body: Body::Append {
                    from: index,
                    to: index,
                },
            });
        }
        out
    }

    pub fn on_heartbeat(&self) -> Vec<Effect> {
        if !self.leader_up() {
            return Vec::new();
        }
        let last = self.last_index();
        self.followers()
            .map(|f| Effect::Send {
                from: LEADER,
                to: f,
                body: Body::Append {
                    from: self.match_index[f as usize] + 1,
                    to: last,
                },
            })
            .collect()
    }

    /// A message arrives. The network is asked again: a cut or partition that began while
    /// the message was in flight stops it too.
    pub fn on_deliver(&self, f: &Flight, net: &Network) -> Vec<Effect> {
        if !self.nodes[f.to as usize].up {
            return vec![Effect::Drop {
                reason: DropReason::NodeDown,
            }];
        }
        if let Some(b) = net.blocked(f.from, f.to) {
            return vec![Effect::Drop { reason: b.into() }];
        }
        match f.body {
            Body::Append { from, to } => {
                let applied = self.nodes[f.to as usize].applied;
                let mut out = Vec::with_capacity(2);
                let mut now_applied = applied;
                // Entries must arrive without gaps; a later append repairs a gap.
                if from <= applied + 1 && to > applied {
                    out.push(Effect::Apply {
                        node: f.to,
                        upto: to,
                    });
                    now_applied = to;
                }
                out.push(Effect::Send {
                    from: f.to,
                    to: f.from,
                    body: Body::Ack {
                        applied: now_applied,
                    },
                });
                out
            }
            Body::Ack { applied } => vec![Effect::Acked {
                node: f.from,
                index: applied,
            }],
        }
    }

    // ---- mutations, called only by the engine's apply ----

    pub(crate) fn append_write(&mut self, now: SimTime) {
        let leader = &mut self.nodes[LEADER as usize];
        leader.applied += 1;
        self.match_index[LEADER as usize] = leader.applied;
        self.counters.writes_accepted += 1;
        if self.write_times.len() == WRITE_TIMES_MAX {
            self.write_times.pop_front();
            self.write_base += 1;
        }
        self.write_times.push_back(now);
        self.forget_old_write_times();
    }

    pub(crate) fn apply(&mut self, node: NodeId, upto: u64) {
        let n = &mut self.nodes[node as usize];
        n.applied = n.applied.max(upto);
        self.forget_old_write_times();
    }

    /// Record an acknowledgement; returns the commit latencies of entries it committed.
    pub(crate) fn acked(&mut self, node: NodeId, index: u64, now: SimTime) -> Vec<SimDuration> {
        let m = &mut self.match_index[node as usize];
        *m = (*m).max(index);
        let mut sorted = self.match_index.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let majority = sorted[self.nodes.len() / 2];
        let mut latencies = Vec::new();
        while self.commit_index < majority {
            self.commit_index += 1;
            self.counters.committed += 1;
            if let Some(t) = self.write_time(self.commit_index) {
                latencies.push(now.since(t));
            }
        }
        latencies
    }

    fn forget_old_write_times(&mut self) {
        // Keep the time of every entry some node still lacks, and of every uncommitted one.
        let oldest_needed = self
            .nodes
            .iter()
            .map(|n| n.applied + 1)
            .min()
            .unwrap_or(1)
            .min(self.commit_index + 1);
        while self.write_base < oldest_needed && !self.write_times.is_empty() {
            self.write_times.pop_front();
            self.write_base += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_needs_a_majority() {
        let mut c = Cluster::new(5);
        for i in 0..3 {
            c.append_write(SimTime(i * 10));
        }
        assert_eq!(c.last_index(), 3);
        assert!(
            c.acked(1, 3, SimTime(100)).is_empty(),
            "2 of 5 is not a majority"
        );
        let lat = c.acked(2, 2, SimTime(100));
        assert_eq!(c.commit_index, 2);
        assert_eq!(lat, vec![SimDuration(100), SimDuration(90)]);
    }

    #[test]
    fn follower_refuses_gaps_and_acks_what_it_has() {
        let mut c = Cluster::new(3);
        c.append_write(SimTime(0));
        c.append_write(SimTime(1));
        let gap = Flight {
            from: 0,
            to: 1,
            sent: SimTime(0),
            deliver: SimTime(5),
            body: Body::Append { from: 2, to: 2 },
        };
        assert_eq!(
            c.on_deliver(&gap, &Network::default()),
            vec![Effect::Send {
                from: 1,
                to: 0,
                body: Body::Ack { applied: 0 }
            }]
        );
        let fill = Flight {
            body: Body::Append { from: 1, to: 2 },
            ..gap
        };
        assert_eq!(
            c.on_deliver(&fill, &Network::default())[0],
            Effect::Apply { node: 1, upto: 2 }
        );
    }

    #[test]
    fn cut_links_and_down_nodes_drop() {
        let mut c = Cluster::new(3);
        let f = Flight {
            from: 0,
            to: 2,
            sent: SimTime(0),
            deliver: SimTime(1),
            body: Body::Ack { applied: 0 },
        };
        let mut net = Network::default();
        net.cut(0, 2, false);
        let drop = |reason| vec![Effect::Drop { reason }];
        assert_eq!(c.on_deliver(&f, &net), drop(DropReason::LinkCut));
        net.heal_all();
        net.partition(&[vec![0]], 3);
        assert_eq!(c.on_deliver(&f, &net), drop(DropReason::Partitioned));
        net.heal_all();
        c.nodes[2].up = false;
        assert_eq!(c.on_deliver(&f, &net), drop(DropReason::NodeDown));
        c.nodes[0].up = false;
        assert_eq!(c.on_client_write(), vec![Effect::RejectWrite]);
    }
}
