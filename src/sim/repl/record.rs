//! The recorded history of client operations, for the checker. Operations are appended when
//! they complete, into frozen chunks shared between clones (the timeline keeps many clones of
//! a run), so a checkpoint costs a few pointers, not a copy of the history.

use std::sync::Arc;

use crate::sim::checker::history::{History, Op, OpKind, Outcome};
use crate::sim::command::NodeId;
use crate::sim::time::SimTime;

use super::kv::key_name;

const CHUNK_OPS: usize = 4_096;
/// Most operations one run records (the checker's own limit); later ones are counted only.
pub const RECORD_MAX: usize = crate::sim::checker::history::MAX_OPS;

/// One finished operation, compactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpRecord {
    pub id: u64,
    pub session: u32,
    pub key: u32,
    pub write: bool,
    /// For a write, the value written (its id); for a read, the value returned.
    pub value: Option<u64>,
    pub invoke: SimTime,
    pub complete: SimTime,
    pub outcome: Outcome,
    pub node: Option<NodeId>,
    pub version: Option<u64>,
}

#[derive(Clone, Debug, Default)]
pub struct Recorder {
    chunks: Vec<Arc<Vec<OpRecord>>>,
    tail: Vec<OpRecord>,
    /// Operations not recorded because the history was full.
    pub dropped: u64,
    /// Bit per operation id: a successful read returned this write's value.
    seen: Vec<u64>,
    /// Bit per operation id: this write was acknowledged as successful.
    acked: Vec<u64>,
}

fn set_bit(bits: &mut Vec<u64>, id: u64) {
    let (w, b) = ((id / 64) as usize, id % 64);
    if w >= bits.len() {
        bits.resize(w + 1, 0);
    }
    bits[w] |= 1 << b;
}

fn bit(bits: &[u64], id: u64) -> bool {
    bits.get((id / 64) as usize)
        .is_some_and(|w| w & (1 << (id % 64)) != 0)
}

impl Recorder {
    pub fn push(&mut self, r: OpRecord) {
        if r.outcome == Outcome::Ok {
            match (r.write, r.value) {
                (true, Some(v)) => set_bit(&mut self.acked, v),
                (false, Some(v)) => set_bit(&mut self.seen, v),
                _ => {}
            }
        }
        if self.len() >= RECORD_MAX {
            self.dropped += 1;
            return;
        }
        self.tail.push(r);
        if self.tail.len() == CHUNK_OPS {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK_OPS));
            self.chunks.push(Arc::new(full));
        }
    }

    pub fn len(&self) -> usize {
        self.chunks.len() * CHUNK_OPS + self.tail.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &OpRecord> + '_ {
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .chain(self.tail.iter())
    }

    /// Some successful read returned the value of write `id`.
    pub fn was_read(&self, id: u64) -> bool {
        bit(&self.seen, id)
    }
    /// Write `id` was acknowledged as successful.
    pub fn was_acked(&self, id: u64) -> bool {
        bit(&self.acked, id)
    }

    /// The checker's history; `final_values` is what each key settled on. `in_flight` are
    /// writes still waiting for an answer when the history is taken: they may already be
    /// visible to reads, so the checker must see them (as `Unknown`).
    pub fn to_history(
        &self,
        final_values: impl IntoIterator<Item = (u32, Option<u64>)>,
        overwritten: Vec<u64>,
        in_flight: &[OpRecord],
    ) -> History {
        let ops = self
            .iter()
            .chain(in_flight)
            .map(|r| Op {
                id: r.id,
                session: u64::from(r.session),
                key: key_name(r.key),
                kind: if r.write {
                    OpKind::Write {
                        value: r.value.unwrap_or(r.id),
                    }
                } else {
                    OpKind::Read { value: r.value }
                },
                invoke: r.invoke,
                complete: r.complete,
                outcome: r.outcome,
                node: r.node,
                version: r.version,
            })
            .collect();
        History {
            ops,
            final_values: final_values
                .into_iter()
                .map(|(k, v)| (key_name(k), v))
                .collect(),
            overwritten,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_frozen_chunks_and_bits_track_reads() {
        let mut r = Recorder::default();
        for id in 0..(CHUNK_OPS as u64 + 10) {
            r.push(OpRecord {
                id,
                session: 0,
                key: 0,
                write: id % 2 == 0,
                value: Some(if id % 2 == 0 { id } else { id - 1 }),
                invoke: SimTime(id),
                complete: SimTime(id + 1),
                outcome: Outcome::Ok,
                node: None,
                version: None,
            });
        }
        let c = r.clone();
        assert!(Arc::ptr_eq(&r.chunks[0], &c.chunks[0]));
        assert_eq!(c.len(), CHUNK_OPS + 10);
        assert!(r.was_read(0) && r.was_acked(0) && !r.was_read(1));
        let h = r.to_history([(0, Some(4))], vec![], &[]);
        assert_eq!(h.ops.len(), CHUNK_OPS + 10);
        assert!(h.validate().is_ok());
    }
}
