//! Plain-data histories of a replicated key-value store, as clients saw them: who asked what,
//! when the call started and ended (µs of simulated time), what came back, and whether it
//! took effect. The replication model fills these in; nothing here depends on it.

use crate::sim::sort::CollectOrdered;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::sim::command::NodeId;
use crate::sim::hash::Fnv64;
use crate::sim::time::SimTime;

/// Most operations one history may hold; longer histories are refused with
/// [`HistoryError::TooManyOps`] rather than exhausting memory.
pub const MAX_OPS: usize = 1_000_000;

/// Longest key accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 1_024;

/// What an operation did. Values are unique per write (per key), so a read's value names the
/// write it saw; `None` is the initial "absent" value every key starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(missing_docs)] // each variant's doc names its fields
pub enum OpKind {
    /// A read that returned `value` (`None`: the key was absent). Ignored unless `Ok`.
    Read { value: Option<u64> },
    /// A write of `value`, unique among the writes to this key.
    Write { value: u64 },
}

/// Whether an operation took effect, as far as the client knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Completed and acknowledged.
    Ok,
    /// Definitely did not take effect (e.g. refused before being applied anywhere).
    Failed,
    /// Timed out: a write may take effect at any point after its invoke, or never; a read
    /// tells us nothing.
    Unknown,
}

/// One client operation on one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// Unique within the history.
    pub id: u64,
    /// Client session; a session issues its operations one after another.
    pub session: u64,
    /// The key, at most [`MAX_KEY_BYTES`] bytes.
    pub key: String,
    /// Read or write, and the value.
    pub kind: OpKind,
    /// When the client sent the request.
    pub invoke: SimTime,
    /// When the client got the answer or gave up (for `Unknown`: gave up).
    pub complete: SimTime,
    /// Whether it took effect.
    pub outcome: Outcome,
    /// The node that served the request, when known.
    pub node: Option<NodeId>,
    /// Version or timestamp the store attached (for a write: the version it assigned; for a
    /// read: the version of the value returned). Higher is newer. Used to order values when
    /// every successful write to the key carries one.
    pub version: Option<u64>,
}

impl Op {
    /// True for a write, whatever its outcome.
    pub fn is_write(&self) -> bool {
        matches!(self.kind, OpKind::Write { .. })
    }

    /// The value written, or `None` for a read.
    pub fn written(&self) -> Option<u64> {
        match self.kind {
            OpKind::Write { value } => Some(value),
            OpKind::Read { .. } => None,
        }
    }

    /// The value a read returned, or `None` for a write (outer option).
    pub fn read_value(&self) -> Option<Option<u64>> {
        match self.kind {
            OpKind::Read { value } => Some(value),
            OpKind::Write { .. } => None,
        }
    }

    /// Sets the store's version metadata (builder style).
    pub fn versioned(&mut self, version: u64) -> &mut Self {
        self.version = Some(version);
        self
    }

    /// Sets the serving node (builder style).
    pub fn served_by(&mut self, node: NodeId) -> &mut Self {
        self.node = Some(node);
        self
    }

    /// Sets the outcome (builder style).
    pub fn with_outcome(&mut self, outcome: Outcome) -> &mut Self {
        self.outcome = outcome;
        self
    }

    /// A short reference for findings: id, session and interval.
    pub fn op_ref(&self) -> OpRef {
        OpRef {
            id: self.id,
            session: self.session,
            invoke: self.invoke,
            complete: self.complete,
        }
    }
}

/// How a finding names an operation, so a page can jump to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OpRef {
    /// The operation's id.
    pub id: u64,
    /// Its session.
    pub session: u64,
    /// Invoke time, µs.
    pub invoke: SimTime,
    /// Completion time, µs.
    pub complete: SimTime,
}

/// A whole history plus what the store itself reported at the end of the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Every operation, in any order; at most [`MAX_OPS`].
    pub ops: Vec<Op>,
    /// The value each key settled on after the run quiesced, when known. Used to define
    /// applied order (monotonic writes) and lost updates.
    pub final_values: BTreeMap<String, Option<u64>>,
    /// Ids of writes a last-writer-wins store reported as overwritten by a concurrent write,
    /// so the store's count can be compared with the checker's.
    pub overwritten: Vec<u64>,
}

/// Why a history cannot be checked. Every one is something the producer can cause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
#[allow(missing_docs)] // each variant's doc names its fields
pub enum HistoryError {
    /// More than [`MAX_OPS`] operations.
    TooManyOps { ops: usize, max: usize },
    /// Two operations share an id.
    DuplicateId { id: u64 },
    /// An operation completes before it was invoked.
    CompletionBeforeInvoke { id: u64 },
    /// Two writes to one key wrote the same value, so reads cannot tell them apart.
    DuplicateWriteValue {
        key: String,
        value: u64,
        ids: [u64; 2],
    },
    /// A key longer than [`MAX_KEY_BYTES`].
    KeyTooLong { id: u64, bytes: usize },
    /// `overwritten` names an id that is not a write in the history.
    UnknownOverwritten { id: u64 },
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::TooManyOps { ops, max } => {
                write!(f, "history has {ops} operations; at most {max} are accepted")
            }
            HistoryError::DuplicateId { id } => write!(f, "operation id {id} appears twice"),
            HistoryError::CompletionBeforeInvoke { id } => {
                write!(f, "operation {id} completes before it was invoked")
            }
            HistoryError::DuplicateWriteValue { key, value, ids } => write!(
                f,
                "writes {} and {} both wrote {value} to key {key:?}; values must be unique per write",
                ids[0], ids[1]
            ),
            HistoryError::KeyTooLong { id, bytes } => write!(
                f,
                "operation {id} has a key of {bytes} bytes (at most {MAX_KEY_BYTES})"
            ),
            HistoryError::UnknownOverwritten { id } => {
                write!(f, "overwritten write {id} is not a write in the history")
            }
        }
    }
}

impl std::error::Error for HistoryError {}

impl History {
    /// Checks the shape of the history: bounds, unique ids, sane intervals, unique values.
    /// Sorting, not maps, so a million operations validate quickly.
    pub fn validate(&self) -> Result<(), HistoryError> {
        if self.ops.len() > MAX_OPS {
            return Err(HistoryError::TooManyOps {
                ops: self.ops.len(),
                max: MAX_OPS,
            });
        }
        for op in &self.ops {
            if op.complete < op.invoke {
                return Err(HistoryError::CompletionBeforeInvoke { id: op.id });
            }
            if op.key.len() > MAX_KEY_BYTES {
                let bytes = op.key.len();
                return Err(HistoryError::KeyTooLong { id: op.id, bytes });
            }
        }
        let mut ids: Vec<u64> = self.ops.iter().map(|op| op.id).collect();
        crate::sim::sort::sort(&mut ids);
        if let Some(pair) = ids.windows(2).find(|p| p[0] == p[1]) {
            return Err(HistoryError::DuplicateId { id: pair[0] });
        }
        self.validate_values()?;
        self.validate_overwritten()
    }

    fn validate_values(&self) -> Result<(), HistoryError> {
        let key_hash = |key: &str| {
            let mut h = Fnv64::new();
            h.write_str(key);
            h.finish()
        };
        // The hash only speeds up the sort; equal hashes still compare the keys themselves.
        let mut written: Vec<(u64, u64, &str, usize)> = (0..self.ops.len())
            .filter_map(|i| {
                let op = &self.ops[i];
                Some((key_hash(&op.key), op.written()?, op.key.as_str(), i))
            })
            .collect();
        crate::sim::sort::sort(&mut written);
        let duplicate = written
            .windows(2)
            .find(|p| (p[0].1, p[0].2) == (p[1].1, p[1].2));
        match duplicate {
            Some(pair) => Err(HistoryError::DuplicateWriteValue {
                key: pair[0].2.to_string(),
                value: pair[0].1,
                ids: [self.ops[pair[0].3].id, self.ops[pair[1].3].id],
            }),
            None => Ok(()),
        }
    }

    fn validate_overwritten(&self) -> Result<(), HistoryError> {
        if self.overwritten.is_empty() {
            return Ok(());
        }
        let mut writes: Vec<u64> = self
            .ops
            .iter()
            .filter(|op| op.is_write())
            .map(|op| op.id)
            .collect();
        crate::sim::sort::sort(&mut writes);
        match self
            .overwritten
            .iter()
            .find(|id| writes.binary_search(id).is_err())
        {
            Some(&id) => Err(HistoryError::UnknownOverwritten { id }),
            None => Ok(()),
        }
    }

    /// Operation indices grouped by key, each group sorted by (invoke, id).
    pub fn by_key(&self) -> BTreeMap<&str, Vec<usize>> {
        let mut keys: BTreeMap<&str, Vec<(SimTime, u64, usize)>> = BTreeMap::new();
        for (i, op) in self.ops.iter().enumerate() {
            let entry = (op.invoke, op.id, i);
            keys.entry(op.key.as_str()).or_default().push(entry);
        }
        // Sorting the (invoke, id) copies avoids chasing each op through memory.
        keys.into_iter()
            .map(|(key, mut entries)| {
                crate::sim::sort::sort(&mut entries);
                (key, entries.into_iter().map(|(_, _, i)| i).collect())
            })
            .collect_map()
    }
}

/// Builds histories by hand (tests, examples). Ids count up from 1 in call order; times are
/// in µs.
#[derive(Clone, Debug, Default)]
pub struct HistoryBuilder {
    history: History,
}

impl HistoryBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, session: u64, key: &str, kind: OpKind, span_us: (u64, u64)) -> &mut Op {
        let id = self.history.ops.len() as u64 + 1;
        self.history.ops.push(Op {
            id,
            session,
            key: key.to_string(),
            kind,
            invoke: SimTime::from_us(span_us.0),
            complete: SimTime::from_us(span_us.1),
            outcome: Outcome::Ok,
            node: None,
            version: None,
        });
        let last = self.history.ops.len() - 1;
        &mut self.history.ops[last]
    }

    /// A successful write of `value` to `key` by `session`, from `invoke_us` to `complete_us`.
    pub fn write(
        &mut self,
        session: u64,
        key: &str,
        value: u64,
        invoke_us: u64,
        complete_us: u64,
    ) -> &mut Op {
        let kind = OpKind::Write { value };
        self.push(session, key, kind, (invoke_us, complete_us))
    }

    /// A successful read of `key` that returned `value`.
    pub fn read(
        &mut self,
        session: u64,
        key: &str,
        value: Option<u64>,
        invoke_us: u64,
        complete_us: u64,
    ) -> &mut Op {
        let kind = OpKind::Read { value };
        self.push(session, key, kind, (invoke_us, complete_us))
    }

    /// Records the value `key` settled on at the end of the run.
    pub fn final_value(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        self.history.final_values.insert(key.to_string(), value);
        self
    }

    /// Records that the store reported write `id` as overwritten by a concurrent write.
    pub fn overwritten(&mut self, id: u64) -> &mut Self {
        self.history.overwritten.push(id);
        self
    }

    /// The operation with `id`, to adjust it after the fact.
    pub fn op(&mut self, id: u64) -> Option<&mut Op> {
        self.history.ops.iter_mut().find(|op| op.id == id)
    }

    /// The history built so far (not validated; the checker validates).
    pub fn build(&self) -> History {
        self.history.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_numbers_ops_and_sets_metadata() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 7, 0, 10).versioned(3).served_by(2);
        b.read(2, "x", Some(7), 11, 12)
            .with_outcome(Outcome::Unknown);
        let h = b.build();
        assert_eq!(h.ops[0].id, 1);
        assert_eq!(h.ops[0].version, Some(3));
        assert_eq!(h.ops[0].node, Some(2));
        assert_eq!(h.ops[1].outcome, Outcome::Unknown);
        assert_eq!(h.validate(), Ok(()));
    }

    #[test]
    fn malformed_histories_get_typed_errors() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 7, 10, 5);
        assert_eq!(
            b.build().validate(),
            Err(HistoryError::CompletionBeforeInvoke { id: 1 })
        );

        let mut b = HistoryBuilder::new();
        b.write(1, "x", 7, 0, 5);
        b.write(2, "x", 7, 0, 5);
        let err = b.build().validate().unwrap_err();
        assert!(matches!(
            err,
            HistoryError::DuplicateWriteValue { value: 7, .. }
        ));
        assert!(err.to_string().contains("unique"));

        let mut h = HistoryBuilder::new().build();
        h.ops
            .push(HistoryBuilder::new().write(1, "x", 1, 0, 1).clone());
        h.ops.push(h.ops[0].clone());
        assert_eq!(h.validate(), Err(HistoryError::DuplicateId { id: 1 }));

        let mut b = HistoryBuilder::new();
        b.read(1, "x", None, 0, 1);
        b.overwritten(1);
        assert_eq!(
            b.build().validate(),
            Err(HistoryError::UnknownOverwritten { id: 1 })
        );

        let mut b = HistoryBuilder::new();
        b.read(1, &"k".repeat(MAX_KEY_BYTES + 1), None, 0, 1);
        assert!(matches!(
            b.build().validate(),
            Err(HistoryError::KeyTooLong { .. })
        ));
    }

    #[test]
    fn same_value_on_different_keys_is_fine() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 1);
        b.write(1, "y", 1, 2, 3);
        assert_eq!(b.build().validate(), Ok(()));
        assert_eq!(b.build().by_key().len(), 2);
    }
}
