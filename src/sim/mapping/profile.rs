//! Data profiles that mapping suggestions are based on.
//!
//! Tables: row counts, estimated JSON bytes per row, per column NULL ratio and distinct count
//! (counted on 64-bit FNV-1a hashes of the values, sorted), and for every single-column
//! foreign key the fan-out: children per parent row (max, mean, p99, parents with none).
//! Collections: document counts and sizes, versions, and per field path the JSON types seen,
//! presence, array lengths, and how many strings read as dates or timestamps.

use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;

use super::relational::{TableData, Tables};
use super::to_docs::json_bytes_estimate;
use crate::sim::doc::value::type_name;
use crate::sim::hash::Fnv64;
use crate::sim::sql::value::input;
use crate::sim::sql::{SqlType, Value};

/// One column's profile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnProfile {
    /// Column name.
    pub name: String,
    /// Fraction of rows where the column is NULL (0..=1).
    pub null_ratio: f64,
    /// Distinct non-NULL values (hash-based; exact unless 64-bit hashes collide).
    pub distinct: u64,
}

/// One table's profile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableProfile {
    /// Table name.
    pub table: String,
    /// Rows.
    pub rows: u64,
    /// Mean estimated compact-JSON bytes of a row as a document (NULLs omitted).
    pub row_bytes_mean: f64,
    /// Largest estimated row, in bytes.
    pub row_bytes_max: u64,
    /// Per column, in table order.
    pub columns: Vec<ColumnProfile>,
}

/// Children per parent for one foreign key (`child.column -> parent`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FanOut {
    /// Referencing table.
    pub child: String,
    /// Referencing column.
    pub column: String,
    /// Referenced table.
    pub parent: String,
    /// Whether the referencing column is `NOT NULL` (every child has a parent).
    pub not_null: bool,
    /// Parent rows.
    pub parents: u64,
    /// Child rows with a non-NULL reference.
    pub children: u64,
    /// Most children of one parent.
    pub max: u64,
    /// Children per parent row, on average (parents without children count as 0).
    pub mean: f64,
    /// 99th percentile of children per parent row.
    pub p99: u64,
    /// Parent rows with no child.
    pub childless: u64,
}

/// A profile of a set of tables.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SqlProfile {
    /// Per table, in name order.
    pub tables: Vec<TableProfile>,
    /// Per single-column foreign key.
    pub fan_outs: Vec<FanOut>,
}

impl SqlProfile {
    /// A table's profile.
    pub fn table(&self, name: &str) -> Option<&TableProfile> {
        self.tables.iter().find(|t| t.table == name)
    }
}

/// Profile every table and foreign key.
pub fn profile_tables(tables: &Tables) -> SqlProfile {
    let mut out = SqlProfile {
        tables: Vec::new(),
        fan_outs: Vec::new(),
    };
    for t in tables.iter() {
        out.tables.push(profile_table(t));
        for fk in &t.schema.foreign_keys {
            let (Some(col), [_]) = (t.schema.column_index(&fk.columns[0]), fk.columns.as_slice())
            else {
                continue;
            };
            let parents = tables.get(&fk.ref_table).map_or(0, |p| p.rows.len() as u64);
            out.fan_outs.push(fan_out(t, col, &fk.ref_table, parents));
        }
    }
    out
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn profile_table(t: &TableData) -> TableProfile {
    let n = t.rows.len();
    let mut bytes_total: u64 = 0;
    let mut bytes_max: u64 = 0;
    for row in &t.rows {
        let b = row_bytes(t, row);
        bytes_total += b;
        bytes_max = bytes_max.max(b);
    }
    let columns = t
        .schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut hashes: Vec<u64> = t
                .rows
                .iter()
                .filter(|r| !r[i].is_null())
                .map(|r| value_hash(&r[i]))
                .collect();
            let nulls = n - hashes.len();
            hashes.sort_unstable();
            hashes.dedup();
            ColumnProfile {
                name: c.name.clone(),
                null_ratio: if n == 0 {
                    0.0
                } else {
                    round2(nulls as f64 / n as f64)
                },
                distinct: hashes.len() as u64,
            }
        })
        .collect();
    TableProfile {
        table: t.schema.name.clone(),
        rows: n as u64,
        row_bytes_mean: if n == 0 {
            0.0
        } else {
            round2(bytes_total as f64 / n as f64)
        },
        row_bytes_max: bytes_max,
        columns,
    }
}

/// Estimated compact-JSON bytes of a row as a document with NULLs omitted.
fn row_bytes(t: &TableData, row: &[Value]) -> u64 {
    let mut b = 2u64;
    for (v, c) in row.iter().zip(&t.schema.columns) {
        let vb = match v {
            Value::Null => continue,
            Value::Int(i) => i.to_string().len() as u64,
            Value::Bool(_) => 5,
            Value::Real(_) => 20,
            Value::Numeric(_) => 24,
            Value::Text(s) => s.len() as u64 + 2,
            Value::Date(_) => 12,
            Value::Timestamp(_) => 28,
        };
        b += c.name.len() as u64 + 4 + vb;
    }
    b
}

fn value_hash(v: &Value) -> u64 {
    let mut h = Fnv64::new();
    match v {
        Value::Null => h.write_u8(0),
        Value::Int(i) => h.write_u64(*i as u64),
        Value::Bool(b) => h.write_u8(2 + u8::from(*b)),
        Value::Real(x) => h.write_u64(x.to_bits()),
        Value::Numeric(n) => h.write(&n.unscaled.to_le_bytes()),
        Value::Text(s) => h.write_str(s),
        Value::Date(d) => h.write_u64(*d as u64),
        Value::Timestamp(t) => h.write_u64(*t as u64),
    }
    h.finish()
}

fn fan_out(t: &TableData, col: usize, parent: &str, parents: u64) -> FanOut {
    let mut keys: Vec<u64> = t
        .rows
        .iter()
        .filter(|r| !r[col].is_null())
        .map(|r| value_hash(&r[col]))
        .collect();
    keys.sort_unstable();
    let mut counts: Vec<u64> = Vec::new();
    for run in keys.chunk_by(|a, b| a == b) {
        counts.push(run.len() as u64);
    }
    let childless = parents.saturating_sub(counts.len() as u64);
    counts.sort_unstable();
    // Percentile over all parents: the childless ones are zeros below the sorted counts.
    let total = (childless + counts.len() as u64).max(1);
    let rank = (total * 99).div_ceil(100);
    // No parent rows at all (an empty parent table): no children either.
    let p99 = match (rank - childless.min(rank)).checked_sub(1) {
        Some(i) => counts.get(i as usize).copied().unwrap_or(0),
        None => 0,
    };
    let c = &t.schema.columns[col];
    FanOut {
        child: t.schema.name.clone(),
        column: c.name.clone(),
        parent: parent.to_string(),
        not_null: c.not_null,
        parents,
        children: keys.len() as u64,
        max: counts.last().copied().unwrap_or(0),
        mean: round2(keys.len() as f64 / parents.max(1) as f64),
        p99,
        childless,
    }
}

/// One field path's profile (`a.b` for sub-documents, `a[]` for array elements).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FieldProfile {
    /// The path.
    pub path: String,
    /// Values seen at the path (array element paths count every element).
    pub present: u64,
    /// JSON type name -> values of that type.
    pub types: BTreeMap<String, u64>,
    /// Strings that read as a `DATE` (`YYYY-MM-DD`).
    pub dates: u64,
    /// Strings that read as a `TIMESTAMP` (with a time part).
    pub timestamps: u64,
    /// Longest array at the path.
    pub array_len_max: u64,
    /// Elements over all arrays at the path.
    pub array_elems: u64,
}

/// One collection's profile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CollectionProfile {
    /// Collection name.
    pub collection: String,
    /// Documents.
    pub docs: u64,
    /// `schema_version` -> documents (0 when absent).
    pub versions: BTreeMap<u64, u64>,
    /// Mean compact-JSON bytes per document.
    pub doc_bytes_mean: f64,
    /// Largest document, in bytes.
    pub doc_bytes_max: u64,
    /// Per path, in path order.
    pub fields: Vec<FieldProfile>,
}

impl CollectionProfile {
    /// A path's profile.
    pub fn field(&self, path: &str) -> Option<&FieldProfile> {
        self.fields.iter().find(|f| f.path == path)
    }
}

/// Profile the documents of one collection.
pub fn profile_docs(collection: &str, docs: &[Json]) -> CollectionProfile {
    let mut fields: BTreeMap<String, FieldProfile> = BTreeMap::new();
    let mut versions = BTreeMap::new();
    let (mut total, mut max) = (0u64, 0u64);
    for d in docs {
        let b = json_bytes_estimate(d) as u64;
        total += b;
        max = max.max(b);
        let v = d
            .get(crate::sim::doc::VERSION_FIELD)
            .and_then(Json::as_u64)
            .unwrap_or(0);
        *versions.entry(v).or_insert(0) += 1;
        if let Json::Object(m) = d {
            for (k, v) in m {
                walk(&mut fields, k.clone(), v, 1);
            }
        }
    }
    let n = docs.len() as u64;
    CollectionProfile {
        collection: collection.to_string(),
        docs: n,
        versions,
        doc_bytes_mean: if n == 0 {
            0.0
        } else {
            round2(total as f64 / n as f64)
        },
        doc_bytes_max: max,
        fields: fields.into_values().collect(),
    }
}

/// Paths deeper than this are profiled as a whole value, not field by field.
const PROFILE_DEPTH_MAX: usize = 12;

fn walk(fields: &mut BTreeMap<String, FieldProfile>, path: String, v: &Json, depth: usize) {
    let f = fields.entry(path.clone()).or_insert_with(|| FieldProfile {
        path: path.clone(),
        ..FieldProfile::default()
    });
    f.present += 1;
    *f.types.entry(type_name(v).to_string()).or_insert(0) += 1;
    if depth > PROFILE_DEPTH_MAX {
        return;
    }
    match v {
        Json::String(s) => match classify(s) {
            Some(SqlType::Date) => f.dates += 1,
            Some(_) => f.timestamps += 1,
            None => {}
        },
        Json::Object(m) => {
            for (k, x) in m {
                walk(fields, format!("{path}.{k}"), x, depth + 1);
            }
        }
        Json::Array(a) => {
            f.array_len_max = f.array_len_max.max(a.len() as u64);
            f.array_elems += a.len() as u64;
            for x in a {
                walk(fields, format!("{path}[]"), x, depth + 1);
            }
        }
        _ => {}
    }
}

/// `Date` for `YYYY-MM-DD`, `Timestamp` for a date with a time, when the text parses.
pub fn classify(s: &str) -> Option<SqlType> {
    let b = s.as_bytes();
    if !(10..=32).contains(&b.len()) || b[4] != b'-' || b[7] != b'-' || !b[0].is_ascii_digit() {
        return None;
    }
    let ty = if b.len() == 10 {
        SqlType::Date
    } else {
        SqlType::Timestamp
    };
    input(s, &ty, false).ok().map(|_| ty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dataset::{generate, DatasetKind};

    #[test]
    fn fan_outs_and_columns_are_measured() {
        let d = generate(DatasetKind::Ecommerce, 5, 5_000).unwrap();
        let p = profile_tables(&d.tables);
        let items = p
            .fan_outs
            .iter()
            .find(|f| f.child == "order_items" && f.parent == "orders")
            .unwrap();
        assert!(
            items.max <= 8 && items.mean >= 1.0 && items.childless == 0,
            "{items:?}"
        );
        let by_product = p.fan_outs.iter().find(|f| f.parent == "products").unwrap();
        assert!(by_product.max > 20, "{by_product:?}");
        let c = p.table("customers").unwrap();
        let birth = c.columns.iter().find(|c| c.name == "birth_date").unwrap();
        assert!(birth.null_ratio > 0.1 && birth.null_ratio < 0.4);
        assert_eq!(c.columns[0].distinct, c.rows);
    }

    #[test]
    fn document_paths_record_type_heterogeneity() {
        let d = generate(DatasetKind::Profiles, 5, 2_000).unwrap();
        let p = profile_docs("profiles", &d.collections[0].1);
        let name = p.field("name").unwrap();
        assert!(name.types.contains_key("string") && name.types.contains_key("object"));
        assert!(p.field("addresses[].city").is_some());
        assert!(p.field("signup").unwrap().dates > 0);
        assert_eq!(p.versions.len(), 3);
        assert_eq!(classify("2021-02-30"), None);
        assert_eq!(classify("2021-02-03T10:00:00"), Some(SqlType::Timestamp));
    }
}
