//! SQL -> documents: the snapshot, the target collections, change apply (correct and naive)
//! and verification, all through the mapping layer ([`DocMapper`] for rows -> documents,
//! the inverse [`RowMapper`] and checksums for documents -> logical rows).
//!
//! A unit of work is one target document: `(collection position, root key)`. Target
//! documents are held as canonical compact JSON text (serde_json writes object keys in
//! order), which keeps a million-row target in a few hundred MiB and makes "is this document
//! what the mapping gives for the source?" a string comparison.
//!
//! Applying a change correctly re-reads the rows of every document that embeds the changed
//! row from the live source (a lookup join) and rewrites those documents, only when the
//! change's position is past the position the document was last read at: idempotent, and a
//! snapshot/stream overlap is skipped. The naive applier has the classic bugs (see
//! [`CdcApply::Naive`]).

use crate::sim::sort::CollectOrdered;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

use super::config::{invalid, CdcApply, ConfigError};
use super::phase::{ErrorKind, RecordError};
use super::side::UnitKey;
use super::source::{int, solo_mapping, SqlSource};
use super::workload::{ChangeEvent, Op, Writer};
use crate::sim::mapping::checksum::{ChecksumSink, Checksums, RecordHasher};
use crate::sim::mapping::verify::{
    doc_schema, sample_compare_docs, sample_positions, validate_docs,
};
use crate::sim::mapping::{
    ColumnSchema, ContentChecksum, ConvertOptions, DocMapper, Embed, EmbedKind, NumericMode,
    RowMapper, RowSink, SqlToDocs, Tables, Tally, TimestampMode,
};
use crate::sim::sql::Row;
use crate::sim::time::SimTime;

/// Mismatched records named in a verification; later ones are only counted.
pub const MISMATCHES_KEPT_MAX: usize = 100;
/// Documents re-read at once before the work is split over threads (natively).
const DERIVE_PARALLEL_MIN: usize = 256;

/// One document of the snapshot.
pub type SnapUnit = super::side::SnapUnit<Fresh>;

/// A document as the target holds it: canonical text, plus its rows' checksums read back
/// through the inverse mapping (per inverse table), so the target's checksum is kept as
/// documents are written instead of re-reading every document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fresh {
    /// Canonical compact JSON.
    pub text: String,
    /// Per inverse table: the document's rows folded in.
    pub sums: Vec<ContentChecksum>,
}

/// Per-document checksums taken from the rows a document is built from, for mappings whose
/// inverse gives every such row back unchanged: the target side's sums without reading each
/// document back through the inverse mapping (the snapshot's largest cost after building the
/// documents). [`RowSums::plan`] decides per mapping; [`exact`] per value.
#[derive(Clone, Debug)]
struct RowSums {
    /// Source table name -> its position among the inverse mapping's schemas.
    tables: BTreeMap<String, usize>,
    opts: ConvertOptions,
}

impl RowSums {
    /// Some when every row a document holds is read back as the same row: every row belongs
    /// to one document (no copy-only tables), only `array` and `object` embeds (an `object`
    /// copy is not read back; the foreign key to it is, from its key), and every inverse
    /// table has the source table's columns in the same order with the same types.
    fn plan(mapping: &SqlToDocs, tables: &Tables, inverse: &RowMapper) -> Option<RowSums> {
        fn plain(e: &[Embed]) -> bool {
            e.iter()
                .all(|x| matches!(x.kind, EmbedKind::Array | EmbedKind::Object) && plain(&x.embed))
        }
        if !mapping.copy_only_tables().is_empty()
            || !mapping.collections.iter().all(|c| plain(&c.embed))
        {
            return None;
        }
        let mut out = BTreeMap::new();
        for name in mapping.tables_used() {
            let src = &tables.get(&name)?.schema;
            let i = inverse.schemas().iter().position(|s| s.name == name)?;
            if inverse.schemas()[i].columns != src.columns {
                return None;
            }
            out.insert(name, i);
        }
        Some(RowSums {
            tables: out,
            opts: mapping.options.clone(),
        })
    }

    /// Whether every value of `r` (a row of `schema`) comes back unchanged: then its
    /// digest (inverse table position `.0`) is the inverse mapping's.
    fn table_of(&self, schema: &crate::sim::mapping::TableSchema, r: &Row) -> Option<usize> {
        let t = *self.tables.get(&schema.name)?;
        let same = schema
            .columns
            .iter()
            .zip(r)
            .all(|(col, v)| exact(v, col, &self.opts));
        same.then_some(t)
    }
}

/// Whether value `v` of column `col` comes back unchanged from JSON (`sql_to_json` then
/// `json_to_sql` into the same column type), judged conservatively: false sends the
/// document through the inverse mapping.
fn exact(v: &crate::sim::sql::Value, col: &ColumnSchema, opts: &ConvertOptions) -> bool {
    use crate::sim::sql::{SqlType as T, Value as V};
    match (v, &col.ty) {
        (V::Null, _) => !col.not_null,
        (V::Int(i), T::SmallInt | T::Int | T::BigInt) => col.ty.check_int(*i as i128).is_ok(),
        (V::Bool(_), T::Bool) => true,
        (V::Text(_), T::Text | T::Varchar(None)) => true,
        // Bytes bound characters: a text this short is never cut.
        (V::Text(t), T::Varchar(Some(n))) => t.len() <= *n as usize,
        (V::Real(x), T::Double) => x.is_finite(),
        (V::Real(x), T::Real) => x.is_finite() && f64::from(*x as f32) == *x,
        (V::Numeric(n), T::Numeric(_)) => {
            opts.numeric == NumericMode::String
                && crate::sim::sql::value::apply_typmod(V::Numeric(*n), &col.ty, false)
                    .is_ok_and(|r| r == V::Numeric(*n))
        }
        (V::Date(_), T::Date) => true,
        (V::Timestamp(us), T::Timestamp) => match opts.timestamps {
            TimestampMode::IsoString => true,
            TimestampMode::EpochMillis => us.rem_euclid(1_000) == 0,
        },
        _ => false,
    }
}

/// A document's text and checksum contributions.
fn fresh(inverse: &RowMapper, hasher: &mut RecordHasher, c: usize, d: &Json) -> Fresh {
    let mut sink = Sums {
        hasher,
        out: vec![ContentChecksum::default(); inverse.schemas().len()],
    };
    let mut tally = Tally::default();
    inverse.map_doc(c, d, &mut tally, &mut sink);
    Fresh {
        text: serde_json::to_string(d).expect("JSON values serialise"),
        sums: sink.out,
    }
}

/// Builds documents as canonical text, with their checksum contributions taken from their
/// own rows when [`RowSums`] allows, else read back through the inverse mapping. Debug
/// builds check the text against the serialised document and the sums against the inverse.
struct Build<'a, 'm> {
    mapper: &'a DocMapper<'m>,
    inverse: &'a RowMapper,
    rows: Option<&'a RowSums>,
    /// Whether checksum contributions are wanted (a comparison needs only the text).
    sums: bool,
}

impl Build<'_, '_> {
    /// Document `row` of the mapper's collection `c` (`c_inv` in the inverse mapping) with
    /// the objects it holds; `None` when it breaks the size bound. `buf` is scratch space.
    fn doc(
        &self,
        c: usize,
        c_inv: usize,
        row: usize,
        tally: &mut Tally,
        hasher: &mut RecordHasher,
        buf: &mut Vec<u8>,
    ) -> Option<(Fresh, u64)> {
        if self.sums && self.rows.is_none() {
            let d = self.mapper.document(c, row, tally)?;
            let n = count_objects(&d);
            return Some((fresh(self.inverse, hasher, c_inv, &d), n));
        }
        let mut kept = vec![ContentChecksum::default(); self.inverse.schemas().len()];
        let mut exact = self.sums;
        let objects = {
            let mut visit = |schema: &crate::sim::mapping::TableSchema, r: &Row| match self
                .rows
                .and_then(|rs| rs.table_of(schema, r))
            {
                Some(t) if exact => kept[t].add(hasher.digest(t, r)),
                _ => exact = false,
            };
            let visit: Option<crate::sim::mapping::to_docs::RowVisitor<'_>> =
                if self.sums { Some(&mut visit) } else { None };
            self.mapper.document_text(c, row, tally, visit, buf)?
        };
        let text = std::str::from_utf8(buf).expect("JSON text").to_string();
        #[cfg(debug_assertions)]
        if tally.errors_total == 0 {
            let d = self.mapper.document(c, row, &mut Tally::default());
            let j = d.as_ref().expect("same bound");
            assert_eq!(serde_json::to_string(j).ok().as_ref(), Some(&text));
            assert_eq!(count_objects(j), objects);
            if exact {
                assert_eq!(fresh(self.inverse, hasher, c_inv, j).sums, kept);
            }
        }
        let sums = match (self.sums, exact) {
            (false, _) => Vec::new(),
            (true, true) => kept,
            (true, false) => {
                let d: Json = serde_json::from_str(&text).expect("canonical JSON");
                fresh(self.inverse, hasher, c_inv, &d).sums
            }
        };
        Some((Fresh { text, sums }, objects))
    }
}

struct Sums<'h> {
    hasher: &'h mut RecordHasher,
    out: Vec<ContentChecksum>,
}

impl RowSink for Sums<'_> {
    fn row(&mut self, table: usize, row: Row, _dedupe: bool) {
        let d = self.hasher.digest(table, &row);
        self.out[table].add(d);
    }
}

fn subtract(a: &mut ContentChecksum, b: &ContentChecksum) {
    a.records -= b.records;
    a.sum = a.sum.wrapping_sub(b.sum);
}

/// What a verification found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Verification {
    /// Records (documents or rows) expected from the source, per collection or table.
    pub expected_counts: BTreeMap<String, u64>,
    /// Records in the target.
    pub actual_counts: BTreeMap<String, u64>,
    /// Source checksums through the mapping (empty when not computed).
    pub source_checksum: String,
    /// Target checksums (empty when not computed).
    pub target_checksum: String,
    /// Tables whose checksums differ.
    pub checksum_differs: Vec<String>,
    /// Records compared with the mapped source.
    pub compared: u64,
    /// Records that differ from the mapped source, missing ones included.
    pub mismatched: u64,
    /// The first mismatched records (`collection/key`).
    pub mismatched_keys: Vec<String>,
    /// Sampled records compared field by field, and the differing fields.
    pub sample_checked: u64,
    /// Differing fields in the sample.
    pub sample_diffs: u64,
    /// Constraint violations in the (sampled) target.
    pub violations: u64,
    /// Records that failed conversion and are left out of the comparison.
    pub failed_excluded: u64,
    /// Everything checked matched.
    pub passed: bool,
}

impl Verification {
    /// Target tables `actual` checked against `expected` (the source as the target should
    /// hold it): counts per table (by the expected table's name), checksums, `compare` when
    /// every record is to be compared, a seeded sample of `sample` records, the target's
    /// constraints, and the verdict.
    pub fn of_tables(
        expected: &Tables,
        actual: &Tables,
        failed_excluded: u64,
        (sample, seed): (usize, u64),
        compare: Option<&dyn Fn(&mut Verification)>,
    ) -> Verification {
        let mut v = Verification {
            failed_excluded,
            ..Verification::default()
        };
        for (e, a) in expected.iter().zip(actual.iter()) {
            let name = e.schema.name.clone();
            v.expected_counts.insert(name.clone(), e.rows.len() as u64);
            v.actual_counts.insert(name, a.rows.len() as u64);
        }
        let source = crate::sim::mapping::checksum_tables(expected, None);
        let target = crate::sim::mapping::checksum_tables(actual, None);
        v.checksum_differs = source.differing(&target);
        v.source_checksum = source.total().text();
        v.target_checksum = target.total().text();
        if let Some(compare) = compare {
            compare(&mut v);
        }
        let s = crate::sim::mapping::verify::sample_compare_tables(expected, actual, sample, seed);
        v.sample_checked = s.checked;
        v.sample_diffs = s.diffs_total + s.missing;
        v.violations = crate::sim::mapping::verify::validate_tables(actual).violations_total;
        v.passed = v.all_clean();
        v
    }

    /// Counts equal and nothing found: no mismatched record, checksum difference, sample
    /// difference or constraint violation.
    pub fn all_clean(&self) -> bool {
        self.expected_counts == self.actual_counts
            && self.mismatched == 0
            && self.checksum_differs.is_empty()
            && self.sample_diffs == 0
            && self.violations == 0
    }
}

/// The SQL -> documents side of a job.
#[derive(Clone, Debug)]
pub struct ToDocs {
    /// The mapping.
    pub mapping: SqlToDocs,
    inverse: RowMapper,
    /// Per collection: the mapping of that collection alone, for documents mapped from
    /// gathered rows.
    solos: Vec<SqlToDocs>,
    /// The live source.
    pub src: SqlSource,
    names: Vec<String>,
    docs: Vec<BTreeMap<i64, String>>,
    contrib: Vec<BTreeMap<i64, Vec<ContentChecksum>>>,
    sums: Vec<ContentChecksum>,
    /// Every emitted row belongs to one document (no copy-only tables), so per-document
    /// checksums add up to the target's.
    additive: bool,
    read_at: Vec<BTreeMap<i64, u64>>,
    failed: BTreeSet<(usize, i64)>,
    /// Sums from a document's own rows, when the mapping allows (see [`RowSums`]).
    row_sums: Option<RowSums>,
}

impl ToDocs {
    /// Check the mapping against the tables and index the source.
    pub fn new(mapping: SqlToDocs, tables: Tables) -> Result<ToDocs, ConfigError> {
        mapping
            .validate(&tables)
            .map_err(|e| invalid("mapping", e.to_string()))?;
        let inverse = mapping
            .inverse(&tables)
            .and_then(|inv| RowMapper::new(&inv))
            .map_err(|e| invalid("mapping", e.to_string()))?;
        let row_sums = RowSums::plan(&mapping, &tables, &inverse);
        let src = SqlSource::new(tables, &mapping)?;
        let names: Vec<String> = mapping
            .collections
            .iter()
            .map(|c| c.collection.clone())
            .collect();
        let n = names.len();
        let additive = mapping.copy_only_tables().is_empty();
        let tables_out = inverse.schemas().len();
        Ok(ToDocs {
            solos: (0..n).map(|c| solo_mapping(&mapping, c)).collect(),
            contrib: vec![BTreeMap::new(); n],
            sums: vec![ContentChecksum::default(); tables_out],
            additive,
            mapping,
            inverse,
            src,
            names,
            docs: vec![BTreeMap::new(); n],
            read_at: vec![BTreeMap::new(); n],
            failed: BTreeSet::new(),
            row_sums,
        })
    }

    /// Collection names in mapping order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Root table of collection `c`.
    pub fn root_table(&self, c: usize) -> &str {
        &self.mapping.collections[c].table
    }

    /// Documents in the target.
    pub fn target_len(&self) -> usize {
        self.docs.iter().map(BTreeMap::len).sum()
    }

    /// A target document's text.
    pub fn target_doc(&self, c: usize, key: i64) -> Option<&str> {
        self.docs.get(c)?.get(&key).map(String::as_str)
    }

    fn put(&mut self, c: usize, key: i64, doc: Fresh) {
        self.remove(c, key);
        for (t, x) in doc.sums.iter().enumerate() {
            self.sums[t] = self.sums[t].combine(*x);
        }
        self.contrib[c].insert(key, doc.sums);
        self.docs[c].insert(key, doc.text);
    }

    fn remove(&mut self, c: usize, key: i64) {
        if let Some(old) = self.contrib[c].remove(&key) {
            for (t, x) in old.iter().enumerate() {
                subtract(&mut self.sums[t], x);
            }
        }
        self.docs[c].remove(&key);
    }

    /// Drop the target (rollback, or before a fresh copy).
    pub fn drop_target(&mut self) {
        for d in &mut self.docs {
            d.clear();
        }
        for d in &mut self.contrib {
            d.clear();
        }
        self.sums
            .iter_mut()
            .for_each(|s| *s = ContentChecksum::default());
        for r in &mut self.read_at {
            r.clear();
        }
        self.failed.clear();
    }

    /// Map the whole (compacted) source into snapshot units, in collection then key order.
    /// `unconvertible(table, key)` marks injected conversion failures. Natively the rows are
    /// split over a few threads; each maps its own range and the parts are joined in order,
    /// so the result does not depend on the thread count.
    pub fn snapshot(&mut self, unconvertible: impl Fn(&str, i64) -> bool + Sync) -> Vec<SnapUnit> {
        self.src.compact();
        let mapper = DocMapper::new(&self.mapping, &self.src.tables).expect("validated mapping");
        let mut out = Vec::with_capacity(self.src.tables.row_count() / 4 + 1);
        for c in 0..self.names.len() {
            let table = self.mapping.collections[c].table.as_str();
            let n = mapper.root_rows(c);
            let parts = snapshot_threads(n);
            let cx = SnapCx {
                build: Build {
                    mapper: &mapper,
                    inverse: &self.inverse,
                    rows: self.row_sums.as_ref(),
                    sums: true,
                },
                c,
                table,
                unconvertible: &unconvertible,
            };
            if parts == 1 {
                out.extend(cx.units(0..n));
                continue;
            }
            let cx = &cx;
            let chunks: Vec<Vec<SnapUnit>> = std::thread::scope(|s| {
                let hs: Vec<_> = (0..parts)
                    .map(|p| s.spawn(move || cx.units(n * p / parts..n * (p + 1) / parts)))
                    .collect();
                hs.into_iter()
                    .map(|h| h.join().expect("snapshot worker"))
                    .collect()
            });
            out.extend(chunks.into_iter().flatten());
        }
        out
    }

    /// Load one snapshot unit read at `position` (its text moves into the target); the
    /// error names the record. The correct loader keeps a document a change already
    /// rewrote from a later read; the naive one overwrites it with the older snapshot.
    pub fn load(
        &mut self,
        u: &mut SnapUnit,
        position: u64,
        retries: u32,
        mode: CdcApply,
    ) -> Result<(), RecordError> {
        let newer = self.read_at[u.coll]
            .get(&u.key)
            .is_some_and(|p| *p > position);
        match &mut u.payload {
            Ok(_) if newer && mode == CdcApply::Correct => Ok(()),
            Ok(doc) => {
                self.put(u.coll, u.key, std::mem::take(doc));
                self.read_at[u.coll].insert(u.key, position);
                Ok(())
            }
            Err(why) => {
                self.failed.insert((u.coll, u.key));
                self.remove(u.coll, u.key);
                Err(RecordError {
                    table: self.root_table(u.coll).to_string(),
                    key: u.key.to_string(),
                    kind: ErrorKind::Conversion,
                    message: why.clone(),
                    retries,
                })
            }
        }
    }

    /// Rewrite documents `units` from the live source, read at `position`.
    fn refresh(&mut self, units: &BTreeSet<(usize, i64)>, position: u64) -> u64 {
        let mut rows = 0u64;
        for c in 0..self.names.len() {
            let keys: Vec<i64> = units
                .range((c, i64::MIN)..=(c, i64::MAX))
                .map(|u| u.1)
                .filter(|k| !self.failed.contains(&(c, *k)))
                .collect();
            if keys.is_empty() {
                continue;
            }
            let mut fresh = self.derive(c, &keys, true);
            for k in keys {
                match fresh.remove(&k) {
                    Some(Ok((doc, n))) => {
                        rows += n;
                        self.put(c, k, doc);
                    }
                    Some(Err(_)) => {
                        self.remove(c, k);
                        self.failed.insert((c, k));
                    }
                    None => self.remove(c, k),
                }
                self.read_at[c].insert(k, position);
            }
        }
        rows
    }

    /// The documents the mapping gives for roots `keys` of collection `c` from the live
    /// source (absent: the root row is gone), with their logical rows; with `sums`, read back
    /// through the inverse mapping for their checksums (a comparison needs only the text).
    /// Many keys are split
    /// over a few threads natively; the parts cover disjoint keys, so the result is the same.
    #[allow(clippy::type_complexity)]
    fn derive(
        &self,
        c: usize,
        keys: &[i64],
        sums: bool,
    ) -> BTreeMap<i64, Result<(Fresh, u64), String>> {
        let parts = if keys.len() >= DERIVE_PARALLEL_MIN {
            snapshot_threads(usize::MAX)
        } else {
            1
        };
        if parts == 1 {
            return self.derive_part(c, keys, sums);
        }
        let n = keys.len();
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..parts)
                .map(|p| {
                    s.spawn(move || {
                        self.derive_part(c, &keys[n * p / parts..n * (p + 1) / parts], sums)
                    })
                })
                .collect();
            let mut out = BTreeMap::new();
            for h in hs {
                out.append(&mut h.join().expect("derive worker"));
            }
            out
        })
    }

    #[allow(clippy::type_complexity)]
    fn derive_part(
        &self,
        c: usize,
        keys: &[i64],
        sums: bool,
    ) -> BTreeMap<i64, Result<(Fresh, u64), String>> {
        let mini = self.src.gather(&self.mapping, c, keys);
        let mapper = DocMapper::new(&self.solos[c], &mini).expect("validated mapping");
        let mut hasher = RecordHasher::new(self.inverse.schemas());
        let mut out = BTreeMap::new();
        let mut tally = Tally::default();
        let b = Build {
            mapper: &mapper,
            inverse: &self.inverse,
            rows: self.row_sums.as_ref(),
            sums,
        };
        let mut buf = Vec::new();
        for row in 0..mapper.root_rows(0) {
            let key = mapper.root_key(0, row).and_then(int).unwrap_or(0);
            let before = tally.errors_total;
            let v = match b.doc(0, c, row, &mut tally, &mut hasher, &mut buf) {
                Some(d) if tally.errors_total == before => Ok(d),
                _ => Err("does not convert".to_string()),
            };
            out.insert(key, v);
        }
        out
    }

    /// Documents that embed the event's row.
    fn affected(&self, e: &ChangeEvent) -> BTreeSet<(usize, i64)> {
        e.row()
            .map(|r| self.src.affected(&e.table, r))
            .unwrap_or_default()
    }

    /// Apply a batch of change events; returns the logical rows rewritten. `position` is
    /// the source's position now (what a re-read sees).
    pub fn apply(&mut self, batch: &[ChangeEvent], mode: CdcApply, position: u64) -> u64 {
        match mode {
            CdcApply::Correct => {
                let mut units = BTreeSet::new();
                for e in batch {
                    for u in self.affected(e) {
                        let seen = self.read_at[u.0].get(&u.1).copied().unwrap_or(0);
                        if e.position > seen {
                            units.insert(u);
                        }
                    }
                }
                self.refresh(&units, position)
            }
            CdcApply::Naive => batch.iter().map(|e| self.apply_naive(e, position)).sum(),
        }
    }

    /// No position check; a change reaches only the first document embedding the row; an
    /// insert of an embedded row is a `$push` onto the array.
    fn apply_naive(&mut self, e: &ChangeEvent, position: u64) -> u64 {
        let Some(&(c, root)) = self.affected(e).iter().next() else {
            return 0;
        };
        if e.op == Op::Insert && e.table != self.root_table(c) {
            if let Some(n) = self.push_element(c, root, e) {
                return n;
            }
        }
        self.refresh(&[(c, root)].into(), position)
    }

    /// `$push` the inserted row's element (as the mapping renders it) onto its parent's
    /// array in the target document, whether or not it is already there.
    fn push_element(&mut self, c: usize, root: i64, e: &ChangeEvent) -> Option<u64> {
        let chain = embed_chain(&self.mapping.collections[c].embed, &e.table)?;
        if chain.iter().any(|x| x.kind != EmbedKind::Array) {
            return None;
        }
        let keys = self.ancestor_keys(&chain, e)?;
        let derived = self.derive(c, &[root], false);
        let fresh_doc: Json =
            serde_json::from_str(&derived.get(&root)?.as_ref().ok()?.0.text).ok()?;
        let element = locate(&fresh_doc, &chain, &keys, &self.src)?.clone();
        let text = self.docs[c].get(&root)?;
        let mut doc: Json = serde_json::from_str(text).ok()?;
        let parent = locate_mut(&mut doc, &chain[..chain.len() - 1], &keys, &self.src)?;
        let field = &chain[chain.len() - 1].field;
        let arr = parent
            .as_object_mut()?
            .entry(field.clone())
            .or_insert_with(|| Json::Array(Vec::new()));
        arr.as_array_mut()?.push(element);
        let mut hasher = RecordHasher::new(self.inverse.schemas());
        let written = fresh(&self.inverse, &mut hasher, c, &doc);
        self.put(c, root, written);
        Some(1)
    }

    /// Keys of the rows along `chain` down to the event's row (outermost first).
    fn ancestor_keys(&self, chain: &[&Embed], e: &ChangeEvent) -> Option<Vec<i64>> {
        let last = chain.len().checked_sub(1)?;
        let mut keys = vec![0; chain.len()];
        keys[last] = e.key;
        let mut row = e.row()?.clone();
        for j in (1..=last).rev() {
            let t = self.src.tables.get(&chain[j].table)?;
            let parent = int(&row[t.schema.column_index(&chain[j].foreign_key)?])?;
            keys[j - 1] = parent;
            row = self.src.row(&chain[j - 1].table, parent)?.clone();
        }
        Some(keys)
    }

    /// Verify the target against the mapped (compacted) source. `compare_all` compares every
    /// document (and re-reads each through the inverse mapping for the checksums); without
    /// it the target's checksums are the per-document sums kept as documents were written
    /// (re-read only when a mapping has copy-only tables). The source side is always
    /// checksummed from its rows; counts and the sample always run.
    pub fn verify(&mut self, sample: usize, seed: u64, compare_all: bool) -> Verification {
        self.src.compact();
        #[cfg(debug_assertions)]
        {
            let used = self.mapping.tables_used();
            let full = crate::sim::mapping::checksum_tables(&self.src.tables, Some(&used));
            assert_eq!(self.src.checksums(), full, "kept source checksums drifted");
        }
        if compare_all || !self.additive {
            return self.verify_full(sample, seed, compare_all);
        }
        // Counts from the root tables, both checksums as kept while rows and documents
        // were written, and the sample mapped from the sampled documents' rows alone.
        let mut v = Verification::default();
        self.count(&mut v);
        let target = self.running_checksums();
        self.checksums(&mut v, target);
        self.sample_gathered(&mut v, sample, seed);
        v.passed = v.expected_counts == v.actual_counts
            && v.checksum_differs.is_empty()
            && v.sample_diffs == 0
            && v.violations == 0;
        v
    }

    /// Expected (live root rows that did not fail) and actual document counts.
    fn count(&self, v: &mut Verification) {
        for c in 0..self.names.len() {
            let table = self.root_table(c);
            let (Some(t), Some(k)) = (self.src.tables.get(table), self.src.key_col(table)) else {
                continue;
            };
            let mut seen = 0u64;
            for r in &t.rows {
                let key = int(&r[k]).unwrap_or(0);
                if self.failed.contains(&(c, key)) {
                    v.failed_excluded += 1;
                } else {
                    seen += 1;
                }
            }
            v.expected_counts.insert(self.names[c].clone(), seen);
            v.actual_counts
                .insert(self.names[c].clone(), self.docs[c].len() as u64);
        }
    }

    /// The sample (same positions as [`sample_compare_docs`] over the whole source would
    /// draw), each collection's sampled documents mapped from their gathered rows.
    fn sample_gathered(&self, v: &mut Verification, k: usize, seed: u64) {
        for c in 0..self.names.len() {
            let name = &self.names[c];
            let table = self.root_table(c);
            let (Some(t), Some(kc)) = (self.src.tables.get(table), self.src.key_col(table)) else {
                continue;
            };
            let stream = format!("verify/sample/{name}");
            let keys: Vec<i64> = sample_positions(t.rows.len(), k, seed, &stream)
                .into_iter()
                .filter_map(|p| int(&t.rows[p][kc]))
                .collect();
            if keys.is_empty() {
                continue;
            }
            let mini = self.src.gather(&self.mapping, c, &keys);
            let mapper = DocMapper::new(&self.solos[c], &mini).expect("validated mapping");
            let parsed: BTreeMap<i64, Json> = keys
                .iter()
                .filter(|key| !self.failed.contains(&(c, **key)))
                .filter_map(|key| Some((*key, serde_json::from_str(self.docs[c].get(key)?).ok()?)))
                .collect_map();
            let lookup = |_: &str, id: &Json| parsed.get(&id.as_i64()?);
            let r = sample_compare_docs(&mapper, keys.len(), seed, lookup);
            v.sample_checked += r.checked;
            v.sample_diffs += r.diffs_total.saturating_sub(self.failed_in_sample(&r));
            if let Ok(schema) = doc_schema(&self.mapping, &self.src.tables, name) {
                v.violations += validate_docs(name, parsed.values(), &schema).violations_total;
            }
        }
    }

    /// [`ToDocs::verify`] comparing every document, or re-reading every document for the
    /// target's checksums when a mapping has copy-only tables.
    fn verify_full(&mut self, sample: usize, seed: u64, compare_all: bool) -> Verification {
        let mapper = DocMapper::new(&self.mapping, &self.src.tables).expect("validated mapping");
        let mut v = Verification::default();
        let mut sink = ChecksumSink::new(&self.inverse);
        let mut back = Tally::default();
        let mut tally = Tally::default();
        for c in 0..self.names.len() {
            let mut seen = 0u64;
            for row in 0..mapper.root_rows(c) {
                let key = mapper.root_key(c, row).and_then(int).unwrap_or(0);
                if self.failed.contains(&(c, key)) {
                    v.failed_excluded += 1;
                    continue;
                }
                seen += 1;
                let actual = self.docs[c].get(&key);
                if !compare_all {
                    if !self.additive {
                        if let Some(j) = actual.and_then(|t| serde_json::from_str::<Json>(t).ok()) {
                            self.inverse.map_doc(c, &j, &mut back, &mut sink);
                        }
                    }
                    continue;
                }
                let expected = mapper.document(c, row, &mut tally);
                let text = expected
                    .as_ref()
                    .and_then(|d| serde_json::to_string(d).ok());
                v.compared += 1;
                let same = text.is_some() && text.as_ref() == actual;
                if same {
                    // Identical canonical text: the expected value is the actual document.
                    let d = expected.as_ref().expect("text came from it");
                    self.inverse.map_doc(c, d, &mut back, &mut sink);
                } else {
                    self.mismatch(&mut v, c, key);
                    if let Some(j) = actual.and_then(|t| serde_json::from_str::<Json>(t).ok()) {
                        self.inverse.map_doc(c, &j, &mut back, &mut sink);
                    }
                }
            }
            v.expected_counts.insert(self.names[c].clone(), seen);
            v.actual_counts
                .insert(self.names[c].clone(), self.docs[c].len() as u64);
        }
        let target = if compare_all || !self.additive {
            sink.checksums()
        } else {
            self.running_checksums()
        };
        if compare_all && self.additive {
            debug_assert_eq!(target, self.running_checksums(), "kept sums drifted");
        }
        self.checksums(&mut v, target);
        self.sample(&mut v, &mapper, sample, seed);
        v.passed = v.all_clean();
        v
    }

    /// The target's checksums as kept while documents were written.
    fn running_checksums(&self) -> Checksums {
        let names = self.inverse.schemas().iter().map(|s| s.name.clone());
        Checksums {
            tables: names.zip(self.sums.iter().copied()).collect_map(),
        }
    }

    fn mismatch(&self, v: &mut Verification, c: usize, key: i64) {
        v.mismatched += 1;
        if v.mismatched_keys.len() < MISMATCHES_KEPT_MAX {
            v.mismatched_keys.push(format!("{}/{key}", self.names[c]));
        }
    }

    fn checksums(&self, v: &mut Verification, target: Checksums) {
        if !self.failed.is_empty() {
            // Failed records are in the source and not in the target: no checksum can agree.
            return;
        }
        let source = self.src.checksums();
        v.checksum_differs = source.differing(&target);
        v.source_checksum = source.total().text();
        v.target_checksum = target.total().text();
    }

    fn sample(&self, v: &mut Verification, mapper: &DocMapper, k: usize, seed: u64) {
        let mut parsed: BTreeMap<(usize, i64), Json> = BTreeMap::new();
        for c in 0..self.names.len() {
            let stream = format!("verify/sample/{}", self.names[c]);
            for row in sample_positions(mapper.root_rows(c), k, seed, &stream) {
                let key = mapper.root_key(c, row).and_then(int).unwrap_or(0);
                if let Some(j) = self.docs[c]
                    .get(&key)
                    .and_then(|t| serde_json::from_str(t).ok())
                {
                    parsed.insert((c, key), j);
                }
            }
        }
        let names = &self.names;
        let failed = &self.failed;
        let lookup = |coll: &str, id: &Json| {
            let c = names.iter().position(|n| n == coll)?;
            let key = id.as_i64()?;
            if failed.contains(&(c, key)) {
                return None;
            }
            parsed.get(&(c, key))
        };
        let r = sample_compare_docs(mapper, k, seed, lookup);
        v.sample_checked = r.checked;
        // Failed records are reported as failures, not as sample differences.
        v.sample_diffs = r.diffs_total.saturating_sub(self.failed_in_sample(&r));
        for (c, name) in self.names.iter().enumerate() {
            let Ok(schema) = doc_schema(&self.mapping, &self.src.tables, name) else {
                continue;
            };
            let docs = parsed.range((c, i64::MIN)..=(c, i64::MAX)).map(|(_, j)| j);
            v.violations += validate_docs(name, docs, &schema).violations_total;
        }
    }

    fn failed_in_sample(&self, r: &crate::sim::mapping::verify::SampleReport) -> u64 {
        r.diffs
            .iter()
            .filter(|d| d.actual.is_none() && d.path.is_empty())
            .filter(|d| {
                let c = self.names.iter().position(|n| *n == d.entity);
                let k = d.key.parse::<i64>().ok();
                matches!((c, k), (Some(c), Some(k)) if self.failed.contains(&(c, k)))
            })
            .count() as u64
    }

    /// Continuous verification of documents `units` (a pass): those with a waiting change
    /// are pending; the others are compared with the mapped live source.
    pub fn check_units(
        &self,
        units: &[(usize, i64)],
        pending: &BTreeSet<(usize, i64)>,
    ) -> (u64, u64, u64) {
        let (mut p, mut ok, mut bad) = (0u64, 0u64, 0u64);
        for c in 0..self.names.len() {
            let keys: Vec<i64> = units
                .iter()
                .filter(|u| u.0 == c && !self.failed.contains(u))
                .filter(|u| {
                    let waiting = pending.contains(u);
                    p += u64::from(waiting);
                    !waiting
                })
                .map(|u| u.1)
                .collect();
            if keys.is_empty() {
                continue;
            }
            let fresh = self.derive(c, &keys, false);
            for k in keys {
                let expected = fresh
                    .get(&k)
                    .and_then(|r| r.as_ref().ok())
                    .map(|x| &x.0.text);
                if expected == self.docs[c].get(&k) {
                    ok += 1;
                } else {
                    bad += 1;
                }
            }
        }
        (p, ok, bad)
    }

    /// Documents a waiting change will rewrite.
    pub fn pending_units<'e>(
        &self,
        events: impl Iterator<Item = &'e ChangeEvent>,
    ) -> BTreeSet<(usize, i64)> {
        let mut out = BTreeSet::new();
        for e in events {
            for u in self.affected(e) {
                let seen = self.read_at[u.0].get(&u.1).copied().unwrap_or(0);
                if e.position > seen {
                    out.insert(u);
                }
            }
        }
        out
    }

    /// Up to `n` document keys from `cursor` on (wrapping once), for a verification pass.
    pub fn units_from(&self, cursor: &mut (usize, i64), n: usize) -> Vec<(usize, i64)> {
        let n = n.min(self.target_len());
        let mut out = Vec::with_capacity(n);
        for _ in 0..2 {
            let start = *cursor;
            for c in start.0..self.names.len() {
                let from = if c == start.0 { start.1 } else { i64::MIN };
                for &k in self.docs[c].range(from..).map(|(k, _)| k) {
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
}

/// Most threads a native job splits large re-reads over (0: as many as the machine has, up
/// to 4). Results never depend on it; the browser always uses one.
static THREADS_MAX: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Limit the threads native jobs use (1: single-threaded, as in the browser; 0: default).
pub fn set_threads_max(n: usize) {
    THREADS_MAX.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// Threads for mapping `rows` root rows: one in the browser or for small inputs.
fn snapshot_threads(rows: usize) -> usize {
    if cfg!(target_arch = "wasm32") || rows < 20_000 {
        return 1;
    }
    let max = match THREADS_MAX.load(std::sync::atomic::Ordering::Relaxed) {
        0 => 4,
        n => n,
    };
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, max))
}

/// What one snapshot worker reads.
struct SnapCx<'a, 'm, F> {
    build: Build<'a, 'm>,
    c: usize,
    table: &'a str,
    unconvertible: &'a F,
}

impl<F: Fn(&str, i64) -> bool + Sync> SnapCx<'_, '_, F> {
    /// Units of root rows `rows`, in order.
    fn units(&self, rows: std::ops::Range<usize>) -> Vec<SnapUnit> {
        let b = &self.build;
        let mut hasher = RecordHasher::new(b.inverse.schemas());
        let mut out = Vec::with_capacity(rows.len());
        let mut buf = Vec::new();
        for row in rows {
            let key = b.mapper.root_key(self.c, row).and_then(int).unwrap_or(0);
            let mut tally = Tally::default();
            let doc = b.doc(self.c, self.c, row, &mut tally, &mut hasher, &mut buf);
            let rows = doc.as_ref().map_or(1, |d| d.1);
            let doc = match doc {
                _ if (self.unconvertible)(self.table, key) => Err(format!(
                    "{} {key}: value does not convert (injected)",
                    self.table
                )),
                Some(_) if tally.errors_total > 0 => Err(tally
                    .errors
                    .first()
                    .map_or_else(String::new, |e| e.reason.clone())),
                Some(d) => Ok(d.0),
                None => Err("document over the size bound".into()),
            };
            out.push(SnapUnit {
                coll: self.c,
                key,
                rows,
                payload: doc,
            });
        }
        out
    }
}

/// Objects in a document (root and embedded rows), the logical rows it holds.
pub fn count_objects(d: &Json) -> u64 {
    match d {
        Json::Object(m) => 1 + m.values().map(count_objects).sum::<u64>(),
        Json::Array(a) => a.iter().map(count_objects).sum(),
        _ => 0,
    }
}

/// The embeds from a collection root down to `table`.
fn embed_chain<'m>(embeds: &'m [Embed], table: &str) -> Option<Vec<&'m Embed>> {
    for e in embeds {
        if e.table == table {
            return Some(vec![e]);
        }
        if let Some(mut rest) = embed_chain(&e.embed, table) {
            rest.insert(0, e);
            return Some(rest);
        }
    }
    None
}

/// The key field of a table's rows inside a document (its primary key column's name).
fn key_field(src: &SqlSource, table: &str) -> Option<String> {
    let t = src.tables.get(table)?;
    Some(t.schema.columns[src.key_col(table)?].name.clone())
}

/// The element at `chain` (array embeds) whose keys are `keys`, starting from the root.
fn locate<'j>(doc: &'j Json, chain: &[&Embed], keys: &[i64], src: &SqlSource) -> Option<&'j Json> {
    let mut here = doc;
    for (x, k) in chain.iter().zip(keys) {
        let f = key_field(src, &x.table)?;
        here = here
            .get(&x.field)?
            .as_array()?
            .iter()
            .find(|el| el.get(&f).and_then(Json::as_i64) == Some(*k))?;
    }
    Some(here)
}

fn locate_mut<'j>(
    doc: &'j mut Json,
    chain: &[&Embed],
    keys: &[i64],
    src: &SqlSource,
) -> Option<&'j mut Json> {
    let mut here = doc;
    for (x, k) in chain.iter().zip(keys) {
        let f = key_field(src, &x.table)?;
        here = here
            .get_mut(&x.field)?
            .as_array_mut()?
            .iter_mut()
            .find(|el| el.get(&f).and_then(Json::as_i64) == Some(*k))?;
    }
    Some(here)
}

impl super::side::SideOps for ToDocs {
    fn names(&self) -> &[String] {
        &self.names
    }
    fn entity(&self, c: usize) -> &str {
        self.root_table(c)
    }
    fn is_unit_entity(&self, name: &str) -> bool {
        self.mapping.collections.iter().any(|c| c.table == name)
    }
    fn source_records(&self) -> u64 {
        self.src.tables.row_count() as u64
    }
    fn relationships(&self) -> u64 {
        self.mapping
            .collections
            .iter()
            .map(|c| c.references.len() as u64)
            .sum()
    }
    fn source_checksum(&mut self) -> ContentChecksum {
        self.src.checksums().total()
    }
    fn write(&mut self, w: &mut Writer, at: SimTime) -> Option<ChangeEvent> {
        w.write(&mut self.src, at)
    }
    fn apply(&mut self, batch: &[ChangeEvent], mode: CdcApply, position: u64) -> u64 {
        ToDocs::apply(self, batch, mode, position)
    }
    fn pending_units(&self, events: &mut dyn Iterator<Item = &ChangeEvent>) -> BTreeSet<UnitKey> {
        ToDocs::pending_units(self, events)
    }
    fn units_from(&self, cursor: &mut UnitKey, n: usize) -> Vec<UnitKey> {
        ToDocs::units_from(self, cursor, n)
    }
    fn check_units(&self, units: &[UnitKey], pending: &BTreeSet<UnitKey>) -> (u64, u64, u64) {
        ToDocs::check_units(self, units, pending)
    }
    fn verify(&mut self, sample: usize, seed: u64, compare_all: bool) -> Verification {
        ToDocs::verify(self, sample, seed, compare_all)
    }
    fn drop_target(&mut self) {
        ToDocs::drop_target(self)
    }
    fn target_len(&self) -> usize {
        ToDocs::target_len(self)
    }
    fn unit_key_max(&self, c: usize) -> i64 {
        self.src.next_key(self.root_table(c)) - 1
    }
    fn reversibility(&mut self) -> Vec<String> {
        ToDocs::reversibility(self)
    }
}

impl super::side::Side for ToDocs {
    type Payload = Fresh;
    type Checkpoint = SqlSource;

    fn checkpoint(&mut self) -> SqlSource {
        self.src.compact();
        self.src.clone()
    }
    fn restore(&mut self, cp: &SqlSource) {
        self.src = cp.clone();
    }
    fn snapshot(&mut self, unconvertible: &(dyn Fn(&str, i64) -> bool + Sync)) -> Vec<SnapUnit> {
        ToDocs::snapshot(self, unconvertible)
    }
    fn load(
        &mut self,
        u: &mut SnapUnit,
        position: u64,
        retries: u32,
        mode: CdcApply,
    ) -> Result<(), RecordError> {
        ToDocs::load(self, u, position, retries, mode)
    }
}

/// Tables embedded as `object` or `merge` copies somewhere in `collections`, by name.
fn copied_tables(collections: &[crate::sim::mapping::CollectionMap]) -> BTreeSet<String> {
    fn walk(e: &[Embed], out: &mut BTreeSet<String>) {
        for x in e {
            if matches!(x.kind, EmbedKind::Object | EmbedKind::Merge) {
                out.insert(x.table.clone());
            }
            walk(&x.embed, out);
        }
    }
    let mut out = BTreeSet::new();
    for c in collections {
        walk(&c.embed, &mut out);
    }
    out
}

impl ToDocs {
    /// The data layer's reversibility check for this mapping on the live source: values the
    /// conversion to documents loses (they cannot come back from the target), tables only
    /// copied into documents, and records that do not convert at all.
    pub fn reversibility(&mut self) -> Vec<String> {
        use crate::sim::mapping::convert::Loss;
        self.src.compact();
        let mapper = DocMapper::new(&self.mapping, &self.src.tables).expect("validated mapping");
        let mut tally = Tally::default();
        for c in 0..self.names.len() {
            for row in 0..mapper.root_rows(c) {
                mapper.document(c, row, &mut tally);
            }
        }
        let mut out = Vec::new();
        for l in [Loss::NumericPrecision, Loss::SubMillisecond] {
            let n = tally.loss_count(l);
            if n > 0 {
                out.push(format!(
                    "{n} values lose {} in the documents: data mapped back from the target \
                     cannot restore them",
                    l.name()
                ));
            }
        }
        let copies = self.mapping.copy_only_tables();
        if !copies.is_empty() {
            out.push(format!(
                "{} only copied into documents: the target holds copies, the source the rows",
                copies.join(", ")
            ));
        }
        let copied = copied_tables(&self.mapping.collections);
        if !copied.is_empty() {
            out.push(format!(
                "{} also copied into other documents: mapping back reads each row from its own \
                 collection, not from the copies, so a copy that drifted is not restored",
                copied.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        if tally.errors_total > 0 {
            out.push(format!(
                "{} records do not convert: they exist only in the source",
                tally.errors_total
            ));
        }
        if out.is_empty() {
            out.push(
                "the mapping loses nothing on this data: every record maps back unchanged".into(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dataset::{generate, DatasetKind};
    use crate::sim::mapping::suggest::suggest_sql_to_docs;
    use crate::sim::migrate::workload::Image;

    fn loaded(mode: CdcApply) -> ToDocs {
        let d = generate(DatasetKind::Ecommerce, 6, 300).unwrap();
        let m = suggest_sql_to_docs(&d.tables, Default::default()).mapping;
        let mut s = ToDocs::new(m, d.tables).unwrap();
        let mut units = s.snapshot(|_, _| false);
        for u in &mut units {
            s.load(u, 0, 0, mode).unwrap();
        }
        s
    }

    /// Insert an order item of an existing order (nested two levels down in a customer).
    fn insert_item(s: &mut ToDocs) -> ChangeEvent {
        let t = s.src.tables.get("order_items").unwrap();
        let mut row = t.rows[0].clone();
        let key = s.src.next_key("order_items");
        row[0] = crate::sim::sql::Value::Int(key);
        s.src.insert("order_items", row.clone());
        ChangeEvent {
            position: 1,
            at: SimTime::ZERO,
            table: "order_items".into(),
            key,
            op: Op::Insert,
            before: None,
            after: Some(Image::Row(row)),
        }
    }

    #[test]
    fn correct_apply_is_idempotent_and_naive_apply_pushes_twice() {
        for mode in [CdcApply::Correct, CdcApply::Naive] {
            let mut s = loaded(mode);
            let e = insert_item(&mut s);
            let units = s.affected(&e);
            assert_eq!(units.len(), 1);
            let (c, root) = *units.iter().next().unwrap();
            s.apply(std::slice::from_ref(&e), mode, 1);
            let once =
                count_objects(&serde_json::from_str(s.target_doc(c, root).unwrap()).unwrap());
            s.apply(std::slice::from_ref(&e), mode, 1);
            let twice =
                count_objects(&serde_json::from_str(s.target_doc(c, root).unwrap()).unwrap());
            let v = s.verify(10, 1, true);
            match mode {
                CdcApply::Correct => assert!(once == twice && v.passed, "{v:?}"),
                CdcApply::Naive => {
                    assert_eq!(twice, once + 1);
                    assert!(!v.passed && v.mismatched_keys == vec![format!("customers/{root}")]);
                    assert!(!v.checksum_differs.is_empty());
                }
            }
        }
    }
}
