//! What a migration job needs from its two stores, whichever way the data moves: the
//! [`Migration`](super::Migration) job drives a [`Side`] (SQL -> documents:
//! [`ToDocs`](super::ToDocs); documents -> SQL: [`ToRows`](super::ToRows); same-store schema
//! changes: [`DocsToDocs`](super::DocsToDocs) and [`SqlToSql`](super::SqlToSql)), through
//! [`SideOps`] for what has no side-specific type, so the job is compiled once.
//!
//! A unit of work is one source record with everything the mapping takes along: a root row
//! and its embedded rows (SQL -> documents), one document (documents -> SQL, documents ->
//! documents) or one row (SQL -> SQL), keyed by `(collection or table position, integer key)`.

use std::collections::{BTreeMap, BTreeSet};

use super::config::CdcApply;
use super::phase::{ErrorKind, RecordError};
use super::to_docs::Verification;
use super::workload::{ChangeEvent, Writer};
use crate::sim::mapping::ContentChecksum;
use crate::sim::time::SimTime;

/// A unit's key: (collection or table position, integer key).
pub type UnitKey = (usize, i64);

/// One unit of the snapshot, ready to load.
#[derive(Clone, Debug)]
pub struct SnapUnit<P> {
    /// Collection (or root table) position.
    pub coll: usize,
    /// Key.
    pub key: i64,
    /// Logical rows it holds, for the cost model.
    pub rows: u64,
    /// What the target gets, or why it did not convert.
    pub payload: Result<P, String>,
}

/// The two stores of a migration, as the job drives them: everything but the typed parts
/// ([`Side`]), so the job behind [`Migration`](super::Migration) is compiled once and
/// calls these through `dyn SideOps`.
pub trait SideOps {
    /// Names of the unit groups (collections for SQL -> documents, collections read for
    /// documents -> SQL).
    fn names(&self) -> &[String];
    /// The source table or collection of group `c`, for record errors.
    fn entity(&self, c: usize) -> &str;
    /// Whether `name` is a source table or collection whose records are units.
    fn is_unit_entity(&self, name: &str) -> bool;
    /// Records (rows or documents) in the source.
    fn source_records(&self) -> u64;
    /// Relationships the target keeps (references or foreign keys), for the cost model.
    fn relationships(&self) -> u64;
    /// Checksum of the source's content.
    fn source_checksum(&mut self) -> ContentChecksum;
    /// One application write on the source.
    fn write(&mut self, w: &mut Writer, at: SimTime) -> Option<ChangeEvent>;
    /// Apply changes; returns the logical rows written.
    fn apply(&mut self, batch: &[ChangeEvent], mode: CdcApply, position: u64) -> u64;
    /// Units a waiting change will rewrite.
    fn pending_units(&self, events: &mut dyn Iterator<Item = &ChangeEvent>) -> BTreeSet<UnitKey>;
    /// Up to `n` target units from `cursor` on (wrapping once).
    fn units_from(&self, cursor: &mut UnitKey, n: usize) -> Vec<UnitKey>;
    /// A continuous-verification pass over `units`: (pending, validated, mismatched).
    fn check_units(&self, units: &[UnitKey], pending: &BTreeSet<UnitKey>) -> (u64, u64, u64);
    /// Verify the target against the mapped source.
    fn verify(&mut self, sample: usize, seed: u64, compare_all: bool) -> Verification;
    /// Drop the target.
    fn drop_target(&mut self);
    /// Units in the target.
    fn target_len(&self) -> usize;
    /// The largest key of unit group `c` in the source (0 when it is empty), for reads.
    fn unit_key_max(&self, c: usize) -> i64;
    /// The data layer's reversibility check before a rollback: what mapping the target's
    /// data back to the source would lose, on this data, in words.
    fn reversibility(&mut self) -> Vec<String> {
        vec!["no reversibility check for this direction".into()]
    }
}

/// A side's typed parts: what a snapshot unit carries and a copy of the source.
pub trait Side: SideOps + Clone + std::fmt::Debug + 'static {
    /// What one snapshot unit carries into the target.
    type Payload: Clone + std::fmt::Debug + Default;
    /// A copy of the source, for the checkpoint.
    type Checkpoint: Clone + std::fmt::Debug;

    /// A copy of the source.
    fn checkpoint(&mut self) -> Self::Checkpoint;
    /// Put the source back as the checkpoint holds it.
    fn restore(&mut self, cp: &Self::Checkpoint);
    /// The consistent snapshot of the whole source as units, in order.
    fn snapshot(
        &mut self,
        unconvertible: &(dyn Fn(&str, i64) -> bool + Sync),
    ) -> Vec<SnapUnit<Self::Payload>>;
    /// Load one unit read at `position`.
    fn load(
        &mut self,
        u: &mut SnapUnit<Self::Payload>,
        position: u64,
        retries: u32,
        mode: CdcApply,
    ) -> Result<(), RecordError>;
}

/// The target of a side whose units are single keyed records (a document's rows, a document,
/// a row): one map of key -> payload per unit group, the position each unit was last read at,
/// and the units that failed. What loading a unit and choosing the changes to apply share.
#[derive(Clone, Debug)]
pub struct Keyed<P> {
    /// Unit group names (collections or tables), in group order.
    pub names: Vec<String>,
    pub target: Vec<BTreeMap<i64, P>>,
    pub read_at: Vec<BTreeMap<i64, u64>>,
    pub failed: BTreeSet<UnitKey>,
}

impl<P: Default> Keyed<P> {
    pub fn new(names: Vec<String>) -> Keyed<P> {
        let n = names.len();
        Keyed {
            names,
            target: (0..n).map(|_| BTreeMap::new()).collect(),
            read_at: vec![BTreeMap::new(); n],
            failed: BTreeSet::new(),
        }
    }

    /// The group of source table or collection `name`.
    pub fn group(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The change-log position unit `(c, key)` was last read at (0: never).
    pub fn seen(&self, c: usize, key: i64) -> u64 {
        self.read_at[c].get(&key).copied().unwrap_or(0)
    }

    /// Load one snapshot unit read at `position`. A correct load skips a unit the change
    /// stream already wrote from a newer read; a unit that did not convert fails as a record.
    pub fn load(
        &mut self,
        u: &mut SnapUnit<P>,
        position: u64,
        retries: u32,
        mode: CdcApply,
    ) -> Result<(), RecordError> {
        let newer = self.seen(u.coll, u.key) > position;
        match &mut u.payload {
            Ok(_) if newer && mode == CdcApply::Correct => Ok(()),
            Ok(p) => {
                self.target[u.coll].insert(u.key, std::mem::take(p));
                self.read_at[u.coll].insert(u.key, position);
                Ok(())
            }
            Err(why) => {
                self.failed.insert((u.coll, u.key));
                self.target[u.coll].remove(&u.key);
                Err(RecordError {
                    table: self.names[u.coll].clone(),
                    key: u.key.to_string(),
                    kind: ErrorKind::Conversion,
                    message: why.clone(),
                    retries,
                })
            }
        }
    }

    /// The changes of `batch` to apply, with their unit group. A correct applier skips a
    /// change no newer than its unit's last read: the target already holds it.
    pub fn changes_to_apply<'e>(
        &self,
        batch: &'e [ChangeEvent],
        mode: CdcApply,
    ) -> Vec<(usize, &'e ChangeEvent)> {
        let fresh =
            |c: usize, e: &ChangeEvent| mode == CdcApply::Naive || e.position > self.seen(c, e.key);
        batch
            .iter()
            .filter_map(|e| self.group(&e.table).map(|c| (c, e)))
            .filter(|&(c, e)| fresh(c, e))
            .collect()
    }

    /// Continuous verification over `units` as (pending, validated, mismatched): failed
    /// records are left out, units a waiting change will rewrite are pending, and every
    /// other unit is validated when what the source says it should be (`expected`; `None`:
    /// absent) matches the target by `same`.
    pub fn tally<E>(
        &self,
        units: &[UnitKey],
        pending: &BTreeSet<UnitKey>,
        mut expected: impl FnMut(UnitKey) -> Option<Result<E, String>>,
        mut same: impl FnMut(&E, &P) -> bool,
    ) -> (u64, u64, u64) {
        let (mut p, mut ok, mut bad) = (0, 0, 0);
        for &u in units.iter().filter(|u| !self.failed.contains(u)) {
            if pending.contains(&u) {
                p += 1;
                continue;
            }
            let agree = match (expected(u), self.target[u.0].get(&u.1)) {
                (Some(Ok(e)), Some(a)) => same(&e, a),
                (None, None) => true,
                _ => false,
            };
            if agree {
                ok += 1;
            } else {
                bad += 1;
            }
        }
        (p, ok, bad)
    }

    /// Units a waiting change will rewrite: changes newer than the unit's last read.
    pub fn pending(&self, events: &mut dyn Iterator<Item = &ChangeEvent>) -> BTreeSet<UnitKey> {
        let mut out = BTreeSet::new();
        for e in events {
            if let Some(c) = self.group(&e.table) {
                if e.position > self.seen(c, e.key) {
                    out.insert((c, e.key));
                }
            }
        }
        out
    }

    /// Up to `n` target units from `cursor` on, in (group, key) order, wrapping once; the
    /// cursor moves past the last one returned.
    pub fn keys_from(&self, cursor: &mut UnitKey, n: usize) -> Vec<UnitKey> {
        let n = n.min(self.len());
        let mut out = Vec::with_capacity(n);
        for _ in 0..2 {
            let start = *cursor;
            for (c, m) in self.target.iter().enumerate().skip(start.0) {
                let from = if c == start.0 { start.1 } else { i64::MIN };
                for &k in m.range(from..).map(|(k, _)| k) {
                    if out.len() >= n {
                        return out;
                    }
                    out.push((c, k));
                    *cursor = (c, k.saturating_add(1));
                }
            }
            *cursor = (0, i64::MIN);
        }
        out
    }

    /// Units held in the target.
    pub fn len(&self) -> usize {
        self.target.iter().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.target.iter().all(BTreeMap::is_empty)
    }

    /// Drop every unit of the target (the read positions and failures go with them).
    pub fn clear(&mut self) {
        self.target.iter_mut().for_each(BTreeMap::clear);
        self.read_at.iter_mut().for_each(BTreeMap::clear);
        self.failed.clear();
    }
}
