//! Documents -> SQL: the live document source, the target's rows, change apply (correct and
//! naive) and verification, through the mapping layer's [`RowMapper`] and checksums.
//!
//! A unit is one source document (`(collection position, _id)`, integer ids); the target
//! keeps, per unit, the rows the mapping produced from it, so replacing a document's rows is
//! exact. A document with a value that does not convert is a failed record: none of its rows
//! are loaded, and verification leaves it out on both sides. The correct applier skips
//! changes at or before the position a document was read at and replaces the document's
//! rows; the naive one applies every change again and appends the rows of an insert to
//! whatever the document already had (a re-delivered insert duplicates rows).

use crate::sim::sort::CollectOrdered;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

use super::config::{invalid, CdcApply, ConfigError};
use super::phase::RecordError;
use super::side::{Keyed, Side, SideOps, SnapUnit, UnitKey};
use super::to_docs::Verification;
use super::workload::{ChangeEvent, Image, Op, Writer};
use crate::sim::doc::ID_FIELD;
use crate::sim::mapping::checksum::{checksum_docs, RecordHasher};
use crate::sim::mapping::{
    ContentChecksum, DocsToSql, RowMapper, RowSink, TableData, Tables, Tally,
};
use crate::sim::sql::Row;
use crate::sim::time::SimTime;

/// The rows one document yields: (target table position, row).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitRows {
    /// The rows.
    pub rows: Vec<(usize, Row)>,
}

/// The live documents: per collection, documents by integer `_id`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocSource {
    /// (collection name, documents by id).
    pub colls: Vec<(String, BTreeMap<i64, Json>)>,
}

impl DocSource {
    /// Documents in all collections.
    pub fn len(&self) -> usize {
        self.colls.iter().map(|c| c.1.len()).sum()
    }
    /// No documents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The largest document id in collection `c` (0 when it has none).
    pub fn key_max(&self, c: usize) -> i64 {
        let keys = self.colls.get(c).map(|x| x.1.keys().next_back());
        keys.flatten().copied().unwrap_or(0)
    }

    /// Every document as (collection position, id, document), in order.
    pub fn live_units(&self) -> impl Iterator<Item = (usize, i64, &Json)> {
        self.colls
            .iter()
            .enumerate()
            .flat_map(|(c, (_, docs))| docs.iter().map(move |(k, d)| (c, *k, d)))
    }

    /// The snapshot of a documents source: each document converted by `convert`, or the
    /// injected failure `unconvertible` picks (`failing` says what did not work), with the
    /// logical rows `rows` counts for the cost model.
    pub fn snapshot<P>(
        &self,
        names: &[String],
        unconvertible: &(dyn Fn(&str, i64) -> bool + Sync),
        failing: &str,
        mut convert: impl FnMut(usize, &Json) -> Result<P, String>,
        rows: impl Fn(&P) -> u64,
    ) -> Vec<SnapUnit<P>> {
        let mut out = Vec::with_capacity(self.len());
        for (c, k, d) in self.live_units() {
            let payload = if unconvertible(&names[c], k) {
                Err(format!("{} {k}: {failing} (injected)", names[c]))
            } else {
                convert(c, d)
            };
            let rows = payload.as_ref().map_or(1, &rows);
            out.push(SnapUnit {
                coll: c,
                key: k,
                rows,
                payload,
            });
        }
        out
    }
}

/// The documents -> SQL side of a job.
#[derive(Clone, Debug)]
pub struct ToRows {
    /// The mapping.
    pub mapping: DocsToSql,
    mapper: RowMapper,
    /// The live source.
    pub src: DocSource,
    /// Mapper collection position per source collection.
    mapped: Vec<usize>,
    k: Keyed<UnitRows>,
}

struct Collect(Vec<(usize, Row)>);

impl RowSink for Collect {
    fn row(&mut self, table: usize, row: Row, _dedupe: bool) {
        self.0.push((table, row));
    }
}

impl ToRows {
    /// Check the mapping and key the documents by integer `_id`.
    pub fn new(mapping: DocsToSql, colls: Vec<(String, Vec<Json>)>) -> Result<ToRows, ConfigError> {
        let mapper = RowMapper::new(&mapping).map_err(|e| invalid("mapping", e.to_string()))?;
        let mut src = DocSource::default();
        let mut mapped = Vec::new();
        for (name, docs) in colls {
            let Some(i) = mapper.collection_index(&name) else {
                continue;
            };
            let mut by_id = BTreeMap::new();
            for d in docs {
                let id = d.get(ID_FIELD).and_then(Json::as_i64).ok_or_else(|| {
                    invalid(
                        "dataset",
                        format!("{name}: change capture needs integer _id"),
                    )
                })?;
                by_id.insert(id, d);
            }
            mapped.push(i);
            src.colls.push((name, by_id));
        }
        if src.colls.is_empty() {
            return Err(invalid(
                "mapping",
                "no rules for any collection of the dataset",
            ));
        }
        let names: Vec<String> = src.colls.iter().map(|c| c.0.clone()).collect();
        Ok(ToRows {
            mapping,
            mapper,
            src,
            mapped,
            k: Keyed::new(names),
        })
    }

    /// The rows of one document, or the first conversion error.
    fn rows_of(&self, c: usize, doc: &Json) -> Result<UnitRows, String> {
        let mut tally = Tally::default();
        let mut sink = Collect(Vec::new());
        self.mapper
            .map_doc(self.mapped[c], doc, &mut tally, &mut sink);
        match tally.errors.first() {
            Some(e) => Err(format!("{}: {}", e.field, e.reason)),
            None => Ok(UnitRows { rows: sink.0 }),
        }
    }

    /// Rewrite unit `(c, key)` from the live source read at `position`.
    fn refresh(&mut self, c: usize, key: i64, position: u64) -> u64 {
        self.k.read_at[c].insert(key, position);
        let Some(doc) = self.src.colls[c].1.get(&key) else {
            self.k.target[c].remove(&key);
            return 0;
        };
        match self.rows_of(c, doc) {
            Ok(rows) => {
                let n = rows.rows.len() as u64;
                self.k.failed.remove(&(c, key));
                self.k.target[c].insert(key, rows);
                n
            }
            Err(_) => {
                self.k.failed.insert((c, key));
                self.k.target[c].remove(&key);
                0
            }
        }
    }

    /// Every target row, as tables (for counts, the sample and constraint validation).
    fn target_tables(&self) -> Tables {
        tables_from(
            self.mapper.schemas(),
            self.k.target.iter().flat_map(|t| t.values()),
        )
    }

    /// Every row the mapping gives for the (non-failed) source documents, as tables.
    fn expected_tables(&self) -> Tables {
        let units: Vec<UnitRows> = self
            .src
            .live_units()
            .filter_map(|(c, k, d)| {
                self.rows_of(c, d)
                    .ok()
                    .filter(|_| !self.k.failed.contains(&(c, k)))
            })
            .collect();
        tables_from(self.mapper.schemas(), units.iter())
    }

    fn digests(&self, h: &mut RecordHasher, u: &UnitRows) -> Vec<u128> {
        let mut d: Vec<u128> = u.rows.iter().map(|(t, r)| h.digest(*t, r)).collect();
        d.sort_unstable();
        d
    }
}

fn tables_from<'u>(
    schemas: &[crate::sim::mapping::TableSchema],
    units: impl Iterator<Item = &'u UnitRows>,
) -> Tables {
    let mut rows: Vec<Vec<Row>> = vec![Vec::new(); schemas.len()];
    for u in units {
        for (t, r) in &u.rows {
            rows[*t].push(r.clone());
        }
    }
    let mut out = Tables::new();
    for (s, r) in schemas.iter().zip(rows) {
        out.insert(TableData {
            schema: s.clone(),
            rows: r,
        });
    }
    out
}

impl SideOps for ToRows {
    fn names(&self) -> &[String] {
        &self.k.names
    }
    fn entity(&self, c: usize) -> &str {
        &self.k.names[c]
    }
    fn is_unit_entity(&self, name: &str) -> bool {
        self.k.names.iter().any(|n| n == name)
    }
    fn source_records(&self) -> u64 {
        self.src.len() as u64
    }
    fn relationships(&self) -> u64 {
        self.mapping
            .tables
            .iter()
            .map(|t| t.foreign_keys.len() as u64)
            .sum()
    }
    fn source_checksum(&mut self) -> ContentChecksum {
        let docs = self.src.live_units().map(|(c, _, d)| (self.mapped[c], d));
        checksum_docs(&self.mapper, docs).0.total()
    }

    fn write(&mut self, w: &mut Writer, at: SimTime) -> Option<ChangeEvent> {
        w.write_doc(&mut self.src, at)
    }

    fn apply(&mut self, batch: &[ChangeEvent], mode: CdcApply, position: u64) -> u64 {
        let todo = self.k.changes_to_apply(batch, mode);
        let mut rows = 0;
        for (c, e) in todo {
            rows += match mode {
                CdcApply::Correct => self.refresh(c, e.key, position),
                CdcApply::Naive => self.apply_naive(c, e, position),
            };
        }
        rows
    }

    fn pending_units(&self, events: &mut dyn Iterator<Item = &ChangeEvent>) -> BTreeSet<UnitKey> {
        self.k.pending(events)
    }

    fn units_from(&self, cursor: &mut UnitKey, n: usize) -> Vec<UnitKey> {
        self.k.keys_from(cursor, n)
    }

    fn check_units(&self, units: &[UnitKey], pending: &BTreeSet<UnitKey>) -> (u64, u64, u64) {
        let mut h = RecordHasher::new(self.mapper.schemas());
        let expected = |u: UnitKey| {
            self.src.colls[u.0]
                .1
                .get(&u.1)
                .map(|d| self.rows_of(u.0, d))
        };
        let same = |e: &UnitRows, a: &UnitRows| self.digests(&mut h, e) == self.digests(&mut h, a);
        self.k.tally(units, pending, expected, same)
    }

    fn verify(&mut self, sample: usize, seed: u64, compare_all: bool) -> Verification {
        let compare = |v: &mut Verification| self.compare_all(v);
        Verification::of_tables(
            &self.expected_tables(),
            &self.target_tables(),
            self.k.failed.len() as u64,
            (sample, seed),
            compare_all.then_some(&compare as &dyn Fn(&mut Verification)),
        )
    }

    fn drop_target(&mut self) {
        self.k.clear();
    }

    fn target_len(&self) -> usize {
        self.k.len()
    }
    fn unit_key_max(&self, c: usize) -> i64 {
        self.src.key_max(c)
    }
}

impl Side for ToRows {
    type Payload = UnitRows;
    type Checkpoint = DocSource;

    fn checkpoint(&mut self) -> DocSource {
        self.src.clone()
    }
    fn restore(&mut self, cp: &DocSource) {
        self.src = cp.clone();
    }
    fn snapshot(
        &mut self,
        unconvertible: &(dyn Fn(&str, i64) -> bool + Sync),
    ) -> Vec<SnapUnit<UnitRows>> {
        self.src.snapshot(
            &self.k.names,
            unconvertible,
            "value does not convert",
            |c, d| self.rows_of(c, d),
            |u| u.rows.len() as u64,
        )
    }
    fn load(
        &mut self,
        u: &mut SnapUnit<UnitRows>,
        position: u64,
        retries: u32,
        mode: CdcApply,
    ) -> Result<(), RecordError> {
        self.k.load(u, position, retries, mode)
    }
}

impl ToRows {
    /// The naive applier: no position check; an insert's rows are appended to what the
    /// document already had; other changes rewrite the document's rows.
    fn apply_naive(&mut self, c: usize, e: &ChangeEvent, position: u64) -> u64 {
        if e.op != Op::Insert {
            return self.refresh(c, e.key, position);
        }
        let Some(Image::Doc(doc)) = &e.after else {
            return 0;
        };
        let Ok(rows) = self.rows_of(c, doc) else {
            return self.refresh(c, e.key, position);
        };
        let n = rows.rows.len() as u64;
        self.k.target[c]
            .entry(e.key)
            .or_default()
            .rows
            .extend(rows.rows);
        self.k.read_at[c].insert(e.key, position);
        n
    }

    /// Every document compared with the rows the target holds for it.
    fn compare_all(&self, v: &mut Verification) {
        let mut h = RecordHasher::new(self.mapper.schemas());
        let mut keys: BTreeSet<UnitKey> =
            self.src.live_units().map(|(c, k, _)| (c, k)).collect_set();
        for (c, t) in self.k.target.iter().enumerate() {
            keys.extend(t.keys().map(|k| (c, *k)));
        }
        for u in keys.into_iter().filter(|u| !self.k.failed.contains(u)) {
            v.compared += 1;
            let expected = self.src.colls[u.0]
                .1
                .get(&u.1)
                .and_then(|d| self.rows_of(u.0, d).ok());
            let actual = self.k.target[u.0].get(&u.1);
            let same = match (&expected, actual) {
                (Some(e), Some(a)) => self.digests(&mut h, e) == self.digests(&mut h, a),
                (None, None) => true,
                _ => false,
            };
            if !same {
                v.mismatched += 1;
                if v.mismatched_keys.len() < super::to_docs::MISMATCHES_KEPT_MAX {
                    v.mismatched_keys
                        .push(format!("{}/{}", self.k.names[u.0], u.1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dataset::{generate, DatasetKind};
    use crate::sim::mapping::{profile::profile_docs, suggest::suggest_docs_to_sql};

    fn side() -> ToRows {
        let d = generate(DatasetKind::Profiles, 4, 120).unwrap();
        let (name, docs) = &d.collections[0];
        let m = suggest_docs_to_sql(&profile_docs(name, docs), Default::default()).mapping;
        ToRows::new(m, d.collections.clone()).unwrap()
    }

    #[test]
    fn correct_apply_is_idempotent_and_naive_apply_duplicates_rows() {
        for mode in [CdcApply::Correct, CdcApply::Naive] {
            let mut s = side();
            let mut units = s.snapshot(&|_, _| false);
            for u in &mut units {
                let _ = s.load(u, 0, 0, mode);
            }
            let mut w = Writer::new(4, Default::default(), s.names().to_vec());
            // Writes until an insert, each applied once as it commits.
            let mut pos = 0;
            let e = loop {
                let Some(e) = w.write_doc(&mut s.src, SimTime::ZERO) else {
                    continue;
                };
                pos += 1;
                let e = ChangeEvent { position: pos, ..e };
                s.apply(std::slice::from_ref(&e), mode, pos);
                if e.op == Op::Insert {
                    break e;
                }
            };
            let once = s.k.target[0][&e.key].rows.len();
            assert!(once > 0);
            // The same event delivered again (a snapshot overlap or a crash).
            s.apply(std::slice::from_ref(&e), mode, pos);
            let twice = s.k.target[0][&e.key].rows.len();
            let v = s.verify(20, 1, true);
            match mode {
                CdcApply::Correct => assert!(twice == once && v.passed, "{v:?}"),
                CdcApply::Naive => assert!(twice == 2 * once && !v.passed && v.mismatched == 1),
            }
        }
    }
}
