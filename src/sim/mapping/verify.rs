//! Verification primitives for migrations: counts per table or collection, a seeded random
//! sample compared field by field, and constraint validation of a target (primary key
//! uniqueness, NOT NULL and foreign keys for SQL targets; a validator derived from the
//! mapping, plus `_id` uniqueness, for document targets). Checksums are in
//! [`super::checksum`].

use crate::sim::sort::CollectOrdered;
use serde::Serialize;
use serde_json::Value as Json;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::convert::{NullMode, NumericMode, Tally, TimestampMode};
use super::relational::{key_text, OrdValue, TableData, TableSchema, Tables};
use super::rules::{plain_fields, Embed, EmbedKind, MappingError, SqlToDocs};
use super::to_docs::{DocMapper, MappedCollection};
use crate::sim::doc::value::values_equal;
use crate::sim::doc::{DocSchema, DocStore, FieldSpec, FieldType};
use crate::sim::rng::SimRng;
use crate::sim::sql::{Row, SqlType, Value};

/// Findings kept in a report; later ones are only counted.
pub const FINDINGS_KEPT_MAX: usize = 1_000;
/// Largest sample per table or collection.
pub const SAMPLE_MAX: usize = 100_000;

/// Rows per table.
pub fn table_counts(tables: &Tables) -> BTreeMap<String, u64> {
    tables
        .iter()
        .map(|t| (t.schema.name.clone(), t.rows.len() as u64))
        .collect_map()
}

/// Documents per collection of mapped output.
pub fn collection_counts(colls: &[MappedCollection]) -> BTreeMap<String, u64> {
    colls
        .iter()
        .map(|c| (c.name.clone(), c.docs.len() as u64))
        .collect_map()
}

/// Documents per collection of a document store.
pub fn store_counts(store: &DocStore) -> BTreeMap<String, u64> {
    store
        .collection_names()
        .filter_map(|n| store.collection(n).map(|c| (n.to_string(), c.len() as u64)))
        .collect_map()
}

/// `k` distinct positions in `0..n`, chosen by the sub-stream `stream` of `seed`, ascending.
pub fn sample_positions(n: usize, k: usize, seed: u64, stream: &str) -> Vec<usize> {
    let k = k.min(n).min(SAMPLE_MAX);
    let mut rng = SimRng::substream(seed, stream);
    let mut chosen = BTreeSet::new();
    // Floyd's algorithm: exactly k draws, no rejection loop.
    for j in (n - k)..n {
        let t = rng.range_u64(0, j as u64) as usize;
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    chosen.into_iter().collect()
}

/// One field that differs between the expected and the actual record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldDiff {
    /// Table or collection.
    pub entity: String,
    /// Record key as text.
    pub key: String,
    /// Field path (`orders.2.items.0.quantity`) or column; empty for a missing record.
    pub path: String,
    /// Expected value (`None`: the field should be absent).
    pub expected: Option<Json>,
    /// Actual value (`None`: absent).
    pub actual: Option<Json>,
}

/// The result of a sample comparison.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SampleReport {
    /// Records compared.
    pub checked: u64,
    /// Sampled records absent from the target.
    pub missing: u64,
    /// Differing fields (all of them; `diffs` keeps the first 1,000).
    pub diffs_total: u64,
    /// The first differing fields.
    pub diffs: Vec<FieldDiff>,
}

impl SampleReport {
    fn diff(&mut self, d: FieldDiff) {
        self.diffs_total += 1;
        if self.diffs.len() < FINDINGS_KEPT_MAX {
            self.diffs.push(d);
        }
    }
    /// True when every sampled record matched.
    pub fn is_clean(&self) -> bool {
        self.missing == 0 && self.diffs_total == 0
    }
}

/// Compare `k` seeded-random documents per collection: the document the mapping produces
/// from the source against what `actual(collection, _id)` returns.
pub fn sample_compare_docs<'t>(
    mapper: &DocMapper<'_>,
    k: usize,
    seed: u64,
    actual: impl Fn(&str, &Json) -> Option<&'t Json>,
) -> SampleReport {
    let mut report = SampleReport::default();
    let mut tally = Tally::default();
    for (i, name) in mapper.collection_names().into_iter().enumerate() {
        let stream = format!("verify/sample/{name}");
        for row in sample_positions(mapper.root_rows(i), k, seed, &stream) {
            let Some(expected) = mapper.document(i, row, &mut tally) else {
                continue;
            };
            let id = expected
                .get(crate::sim::doc::ID_FIELD)
                .cloned()
                .unwrap_or(Json::Null);
            report.checked += 1;
            match actual(name, &id) {
                None => {
                    report.missing += 1;
                    let key = id.to_string();
                    report.diff(FieldDiff {
                        entity: name.into(),
                        key,
                        path: String::new(),
                        expected: Some(expected),
                        actual: None,
                    });
                }
                Some(doc) => {
                    let doc = without_stamp(&expected, doc);
                    diff_json(
                        name,
                        &id.to_string(),
                        &expected,
                        &doc,
                        String::new(),
                        &mut report,
                    )
                }
            }
        }
    }
    report
}

/// The actual document without the `schema_version` the document store stamps on inserts,
/// when the mapping did not write one (store metadata, not migrated content).
fn without_stamp(expected: &Json, actual: &Json) -> Json {
    let mut a = actual.clone();
    let v = crate::sim::doc::VERSION_FIELD;
    if expected.get(v).is_none() {
        if let Some(m) = a.as_object_mut() {
            m.remove(v);
        }
    }
    a
}

/// A lookup over a document store for [`sample_compare_docs`].
pub fn store_lookup<'s>(store: &'s DocStore) -> impl Fn(&str, &Json) -> Option<&'s Json> + 's {
    move |coll, id| store.get(coll, id).ok().flatten()
}

fn diff_json(entity: &str, key: &str, e: &Json, a: &Json, path: String, r: &mut SampleReport) {
    let sub = |p: &str, k: &str| {
        if p.is_empty() {
            k.to_string()
        } else {
            format!("{p}.{k}")
        }
    };
    match (e, a) {
        (Json::Object(x), Json::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect_set();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => diff_json(entity, key, p, q, sub(&path, k), r),
                    (p, q) => r.diff(FieldDiff {
                        entity: entity.into(),
                        key: key.into(),
                        path: sub(&path, k),
                        expected: p.cloned(),
                        actual: q.cloned(),
                    }),
                }
            }
        }
        (Json::Array(x), Json::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let p = sub(&path, &i.to_string());
                match (x.get(i), y.get(i)) {
                    (Some(p1), Some(q1)) => diff_json(entity, key, p1, q1, p, r),
                    (p1, q1) => r.diff(FieldDiff {
                        entity: entity.into(),
                        key: key.into(),
                        path: p,
                        expected: p1.cloned(),
                        actual: q1.cloned(),
                    }),
                }
            }
        }
        _ if values_equal(e, a) => {}
        _ => r.diff(FieldDiff {
            entity: entity.into(),
            key: key.into(),
            path,
            expected: Some(e.clone()),
            actual: Some(a.clone()),
        }),
    }
}

/// Compare `k` seeded-random rows per table of `expected` with the row of equal primary key
/// in `actual`, column by column.
pub fn sample_compare_tables(
    expected: &Tables,
    actual: &Tables,
    k: usize,
    seed: u64,
) -> SampleReport {
    let mut report = SampleReport::default();
    for e in expected.iter() {
        let name = &e.schema.name;
        let Some(a) = actual.get(name) else {
            report.missing += e.rows.len().min(k) as u64;
            report.diff(FieldDiff {
                entity: name.clone(),
                key: String::new(),
                path: String::new(),
                expected: None,
                actual: None,
            });
            continue;
        };
        let index = pk_index(a);
        for pos in sample_positions(e.rows.len(), k, seed, &format!("verify/sample/{name}")) {
            report.checked += 1;
            let row = &e.rows[pos];
            let key = key_of(&e.schema, row);
            match find(a, &index, &key) {
                None => {
                    report.missing += 1;
                    report.diff(FieldDiff {
                        entity: name.clone(),
                        key: key_text(&key.iter().collect::<Vec<_>>()),
                        path: String::new(),
                        expected: None,
                        actual: None,
                    });
                }
                Some(other) => diff_rows(&e.schema, row, &a.schema, other, &mut report),
            }
        }
    }
    report
}

fn key_of(s: &TableSchema, row: &Row) -> Vec<Value> {
    s.primary_key.iter().map(|&k| row[k].clone()).collect()
}

fn cmp_key(s: &TableSchema, row: &Row, key: &[Value]) -> Ordering {
    s.primary_key
        .iter()
        .zip(key)
        .map(|(&k, v)| row[k].total_cmp(v))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Row positions sorted by primary key.
fn pk_index(t: &TableData) -> Vec<u32> {
    let mut order: Vec<u32> = (0..t.rows.len() as u32).collect();
    crate::sim::sort::sort_by(&mut order, |&a, &b| {
        cmp_key(
            &t.schema,
            &t.rows[a as usize],
            &key_of(&t.schema, &t.rows[b as usize]),
        )
    });
    order
}

fn find<'t>(t: &'t TableData, index: &[u32], key: &[Value]) -> Option<&'t Row> {
    let i =
        index.partition_point(|&r| cmp_key(&t.schema, &t.rows[r as usize], key) == Ordering::Less);
    let r = &t.rows[*index.get(i)? as usize];
    (cmp_key(&t.schema, r, key) == Ordering::Equal).then_some(r)
}

fn diff_rows(es: &TableSchema, e: &Row, as_: &TableSchema, a: &Row, r: &mut SampleReport) {
    let key = key_text(&es.primary_key.iter().map(|&k| &e[k]).collect::<Vec<_>>());
    for (i, c) in es.columns.iter().enumerate() {
        let other = as_.column_index(&c.name).map(|j| &a[j]);
        if other.is_some_and(|o| o.total_cmp(&e[i]) == Ordering::Equal) {
            continue;
        }
        let json = |v: &Value| serde_json::from_str(&v.to_json_as(&c.ty)).unwrap_or(Json::Null);
        r.diff(FieldDiff {
            entity: es.name.clone(),
            key: key.clone(),
            path: c.name.clone(),
            expected: Some(json(&e[i])),
            actual: other.map(json),
        });
    }
}

/// One constraint a target breaks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Table or collection.
    pub entity: String,
    /// Record key as text.
    pub key: String,
    /// Which rule: `primary_key`, `not_null`, `foreign_key`, `validator`, `duplicate_id`.
    pub rule: String,
    /// Details (column, referenced table, validator message).
    pub detail: String,
}

/// The result of validating a target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// Records checked.
    pub checked: u64,
    /// Violations (all of them; `violations` keeps the first 1,000).
    pub violations_total: u64,
    /// The first violations.
    pub violations: Vec<Violation>,
}

impl ValidationReport {
    fn add(&mut self, entity: &str, key: String, rule: &str, detail: String) {
        self.violations_total += 1;
        if self.violations.len() < FINDINGS_KEPT_MAX {
            self.violations.push(Violation {
                entity: entity.into(),
                key,
                rule: rule.into(),
                detail,
            });
        }
    }
    /// True when nothing is violated.
    pub fn is_clean(&self) -> bool {
        self.violations_total == 0
    }
}

/// Primary key uniqueness, NOT NULL and single- or multi-column foreign keys of every table.
pub fn validate_tables(tables: &Tables) -> ValidationReport {
    let mut r = ValidationReport::default();
    for t in tables.iter() {
        let s = &t.schema;
        let mut keys: BTreeSet<Vec<OrdValue>> = BTreeSet::new();
        for row in &t.rows {
            r.checked += 1;
            let key = || key_text(&s.primary_key.iter().map(|&k| &row[k]).collect::<Vec<_>>());
            if !s.primary_key.is_empty()
                && !keys.insert(
                    s.primary_key
                        .iter()
                        .map(|&k| OrdValue(row[k].clone()))
                        .collect(),
                )
            {
                r.add(&s.name, key(), "primary_key", "duplicate key".into());
            }
            for (i, c) in s.columns.iter().enumerate() {
                if c.not_null && row[i].is_null() {
                    r.add(&s.name, key(), "not_null", c.name.clone());
                }
            }
        }
        check_fks(tables, t, &mut r);
    }
    r
}

fn check_fks(tables: &Tables, t: &TableData, r: &mut ValidationReport) {
    let s = &t.schema;
    for fk in &s.foreign_keys {
        let cols: Option<Vec<usize>> = fk.columns.iter().map(|c| s.column_index(c)).collect();
        let parent = tables.get(&fk.ref_table);
        let pcols: Option<Vec<usize>> = parent.and_then(|p| {
            fk.ref_columns
                .iter()
                .map(|c| p.schema.column_index(c))
                .collect()
        });
        let (Some(cols), Some(p), Some(pcols)) = (cols, parent, pcols) else {
            r.add(
                &s.name,
                String::new(),
                "foreign_key",
                format!("references missing table or columns {}", fk.ref_table),
            );
            continue;
        };
        let present: BTreeSet<Vec<OrdValue>> = p
            .rows
            .iter()
            .map(|row| pcols.iter().map(|&c| OrdValue(row[c].clone())).collect())
            .collect_set();
        for row in &t.rows {
            if cols.iter().any(|&c| row[c].is_null()) {
                continue;
            }
            let key: Vec<OrdValue> = cols.iter().map(|&c| OrdValue(row[c].clone())).collect();
            if !present.contains(&key) {
                let k = key_text(&s.primary_key.iter().map(|&k| &row[k]).collect::<Vec<_>>());
                r.add(
                    &s.name,
                    k,
                    "foreign_key",
                    format!("{} -> {} missing", fk.columns.join(","), fk.ref_table),
                );
            }
        }
    }
}

/// Check documents against a validator, and `_id` uniqueness.
pub fn validate_docs<'d>(
    collection: &str,
    docs: impl IntoIterator<Item = &'d Json>,
    schema: &DocSchema,
) -> ValidationReport {
    let mut r = ValidationReport::default();
    let mut ids: BTreeSet<crate::sim::doc::DocId> = BTreeSet::new();
    for d in docs {
        r.checked += 1;
        let id = d
            .get(crate::sim::doc::ID_FIELD)
            .cloned()
            .unwrap_or(Json::Null);
        let key = id.to_string();
        match crate::sim::doc::DocId::new(id) {
            Ok(id) => {
                if !ids.insert(id) {
                    r.add(collection, key.clone(), "duplicate_id", String::new());
                }
            }
            Err(e) => r.add(collection, key.clone(), "validator", e),
        }
        if let Err((path, v)) = schema.validate(d) {
            r.add(collection, key, "validator", format!("{path}: {v}"));
        }
    }
    r
}

/// The validator a mapping's documents must satisfy: field types from the column types
/// and options; NOT NULL columns (and embedded arrays) required.
pub fn doc_schema(
    mapping: &SqlToDocs,
    tables: &Tables,
    collection: &str,
) -> Result<DocSchema, MappingError> {
    let c = mapping
        .collections
        .iter()
        .find(|c| c.collection == collection)
        .ok_or_else(|| MappingError::UnknownCollection(collection.into()))?;
    let s = super::rules::schema(tables, &c.table)?;
    let mut out = DocSchema::new(1);
    schema_fields(mapping, tables, s, true, None, &c.embed, "", &mut out)?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn schema_fields(
    m: &SqlToDocs,
    tables: &Tables,
    s: &TableSchema,
    root: bool,
    dropped: Option<&str>,
    embeds: &[Embed],
    prefix: &str,
    out: &mut DocSchema,
) -> Result<(), MappingError> {
    let o = &m.options;
    for (i, field) in plain_fields(s, root, dropped, embeds) {
        let c = &s.columns[i];
        let ty = match (&c.ty, o.numeric, o.timestamps) {
            (t, _, _) if t.is_integer() => FieldType::Integer,
            (SqlType::Bool, _, _) => FieldType::Bool,
            (SqlType::Real | SqlType::Double, _, _)
            | (SqlType::Numeric(_), NumericMode::Double, _) => FieldType::Number,
            (SqlType::Timestamp, _, TimestampMode::EpochMillis) => FieldType::Integer,
            _ => FieldType::String,
        };
        let path = format!("{prefix}{field}");
        if c.not_null {
            out.fields.insert(path, FieldSpec::required(ty));
        } else if o.nulls == NullMode::Omit {
            out.fields.insert(path, FieldSpec::optional(ty));
        }
    }
    for e in embeds {
        let child = super::rules::schema(tables, &e.table)?;
        let path = format!("{prefix}{}", e.field);
        match e.kind {
            EmbedKind::Array => {
                out.fields
                    .insert(path.clone(), FieldSpec::required(FieldType::Array));
                schema_fields(
                    m,
                    tables,
                    child,
                    false,
                    Some(&e.foreign_key),
                    &e.embed,
                    &format!("{path}."),
                    out,
                )?;
            }
            EmbedKind::IdArray => {
                out.fields
                    .insert(path, FieldSpec::required(FieldType::Array));
            }
            EmbedKind::Object => {
                out.fields
                    .insert(path.clone(), FieldSpec::optional(FieldType::Object));
                schema_fields(
                    m,
                    tables,
                    child,
                    false,
                    None,
                    &e.embed,
                    &format!("{path}."),
                    out,
                )?;
            }
            EmbedKind::Merge => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_positions_are_distinct_seeded_and_bounded() {
        let a = sample_positions(1_000, 10, 7, "t");
        assert_eq!(a.len(), 10);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(a, sample_positions(1_000, 10, 7, "t"));
        assert_ne!(a, sample_positions(1_000, 10, 8, "t"));
        assert_eq!(sample_positions(3, 10, 7, "t"), vec![0, 1, 2]);
        assert!(sample_positions(0, 10, 7, "t").is_empty());
    }
}
