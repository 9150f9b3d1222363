//! Order-independent checksums of logical content.
//!
//! A logical record is one table row: `(table, column name -> canonical value)` with columns
//! in name order. Each record's canonical bytes are hashed with SHA-256; the first 128 bits
//! are added (wrapping) into a per-table sum, next to a record count. Addition commutes, so
//! the sum does not depend on row or document order, and unlike XOR a duplicated record does
//! not cancel out. The documents side is checksummed by reading the documents back into rows
//! through the inverse mapping, so both sides are compared in the same logical terms.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

use super::convert::Tally;
use super::relational::{OrdValue, TableSchema, Tables};
use super::to_sql::{RowMapper, RowSink};
use crate::sim::sql::{Row, Value};
use serde_json::Value as Json;

/// Record count and 128-bit wrapping sum of per-record digests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ContentChecksum {
    /// Records folded in.
    pub records: u64,
    /// Wrapping sum of the records' 128-bit digests.
    #[serde(serialize_with = "hex128")]
    pub sum: u128,
}

fn hex128<S: serde::Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:032x}"))
}

impl ContentChecksum {
    /// Fold one record digest in.
    pub fn add(&mut self, digest: u128) {
        self.records += 1;
        self.sum = self.sum.wrapping_add(digest);
    }
    /// The checksum of the union of two disjoint record sets.
    pub fn combine(self, o: ContentChecksum) -> ContentChecksum {
        ContentChecksum {
            records: self.records + o.records,
            sum: self.sum.wrapping_add(o.sum),
        }
    }
    /// `records:sum` with the sum in hex.
    pub fn text(&self) -> String {
        format!("{}:{:032x}", self.records, self.sum)
    }
}

/// Checksums per table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Checksums {
    /// Table name -> checksum of its records.
    pub tables: BTreeMap<String, ContentChecksum>,
}

impl Checksums {
    /// All tables combined.
    pub fn total(&self) -> ContentChecksum {
        self.tables
            .values()
            .fold(ContentChecksum::default(), |a, b| a.combine(*b))
    }
    /// Tables whose checksums differ between `self` and `other` (either side may lack one).
    pub fn differing(&self, other: &Checksums) -> Vec<String> {
        let names: BTreeSet<&String> = self.tables.keys().chain(other.tables.keys()).collect();
        names
            .into_iter()
            .filter(|n| self.tables.get(*n) != other.tables.get(*n))
            .cloned()
            .collect()
    }
}

/// Hashes records of known schemas, reusing one buffer.
#[derive(Clone, Debug)]
pub struct RecordHasher {
    names: Vec<String>,
    /// Per schema: (column position, column name) in name order.
    orders: Vec<Vec<(usize, String)>>,
    buf: Vec<u8>,
}

impl RecordHasher {
    /// A hasher for rows of these schemas (addressed by position in `schemas`).
    pub fn new<'s>(schemas: impl IntoIterator<Item = &'s TableSchema>) -> RecordHasher {
        let mut names = Vec::new();
        let mut orders = Vec::new();
        for s in schemas {
            names.push(s.name.clone());
            let mut o: Vec<(usize, String)> = s
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| (i, c.name.clone()))
                .collect();
            o.sort_by(|a, b| a.1.cmp(&b.1));
            orders.push(o);
        }
        RecordHasher {
            names,
            orders,
            buf: Vec::with_capacity(512),
        }
    }

    /// The 128-bit digest of one row of schema `table`.
    pub fn digest(&mut self, table: usize, row: &Row) -> u128 {
        self.buf.clear();
        put_str(&mut self.buf, &self.names[table]);
        for (i, name) in &self.orders[table] {
            put_str(&mut self.buf, name);
            put_value(&mut self.buf, &row[*i]);
        }
        let d = Sha256::digest(&self.buf);
        let mut first = [0u8; 16];
        first.copy_from_slice(&d[..16]);
        u128::from_le_bytes(first)
    }
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// Canonical bytes: a type tag, then a fixed encoding. NUMERIC drops trailing fraction
/// zeros (`12.50` and `12.5` are the same number); -0.0 and NaN payloads are normalised.
fn put_value(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => buf.push(0),
        Value::Int(i) => {
            buf.push(1);
            buf.extend_from_slice(&i.to_le_bytes());
        }
        Value::Bool(b) => buf.extend_from_slice(&[2, u8::from(*b)]),
        Value::Real(x) => {
            buf.push(3);
            let x = if *x == 0.0 {
                0.0
            } else if x.is_nan() {
                f64::NAN
            } else {
                *x
            };
            buf.extend_from_slice(&x.to_bits().to_le_bytes());
        }
        Value::Numeric(n) => {
            let (mut u, mut s) = (n.unscaled, n.scale);
            while s > 0 && u % 10 == 0 {
                u /= 10;
                s -= 1;
            }
            buf.push(4);
            buf.extend_from_slice(&u.to_le_bytes());
            buf.extend_from_slice(&s.to_le_bytes());
        }
        Value::Text(t) => {
            buf.push(5);
            put_str(buf, t);
        }
        Value::Date(d) => {
            buf.push(6);
            buf.extend_from_slice(&d.to_le_bytes());
        }
        Value::Timestamp(t) => {
            buf.push(7);
            buf.extend_from_slice(&t.to_le_bytes());
        }
    }
}

/// Checksums of the named tables (all tables when `only` is `None`).
pub fn checksum_tables(tables: &Tables, only: Option<&BTreeSet<String>>) -> Checksums {
    let chosen: Vec<_> = tables
        .iter()
        .filter(|t| only.is_none_or(|o| o.contains(&t.schema.name)))
        .collect();
    let mut h = RecordHasher::new(chosen.iter().map(|t| &t.schema));
    let mut out = Checksums::default();
    for (i, t) in chosen.iter().enumerate() {
        let mut c = ContentChecksum::default();
        for row in &t.rows {
            c.add(h.digest(i, row));
        }
        out.tables.insert(t.schema.name.clone(), c);
    }
    out
}

/// Folds the rows documents yield into checksums (the sink behind [`checksum_docs`]).
#[derive(Clone, Debug)]
pub struct ChecksumSink {
    hasher: RecordHasher,
    sums: Vec<ContentChecksum>,
    names: Vec<String>,
    /// Copies seen, so each distinct copied row counts once.
    seen: Vec<BTreeSet<Vec<OrdValue>>>,
}

impl ChecksumSink {
    /// A sink for the rows of `mapper`'s target schemas.
    pub fn new(mapper: &RowMapper) -> ChecksumSink {
        let n = mapper.schemas().len();
        ChecksumSink {
            hasher: RecordHasher::new(mapper.schemas()),
            sums: vec![ContentChecksum::default(); n],
            names: mapper.schemas().iter().map(|s| s.name.clone()).collect(),
            seen: vec![BTreeSet::new(); n],
        }
    }
    /// The checksums so far (tables with no rows included, as zero).
    pub fn checksums(&self) -> Checksums {
        Checksums {
            tables: self
                .names
                .iter()
                .cloned()
                .zip(self.sums.iter().copied())
                .collect(),
        }
    }
}

impl RowSink for ChecksumSink {
    fn row(&mut self, table: usize, row: Row, dedupe: bool) {
        if dedupe && !self.seen[table].insert(row.iter().cloned().map(OrdValue).collect()) {
            return;
        }
        let d = self.hasher.digest(table, &row);
        self.sums[table].add(d);
    }
}

/// Checksums of documents read back through `mapper` ((collection position, document) pairs).
pub fn checksum_docs<'d>(
    mapper: &RowMapper,
    docs: impl IntoIterator<Item = (usize, &'d Json)>,
) -> (Checksums, Tally) {
    let mut sink = ChecksumSink::new(mapper);
    let mut tally = Tally::default();
    for (coll, doc) in docs {
        mapper.map_doc(coll, doc, &mut tally, &mut sink);
    }
    (sink.checksums(), tally)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::mapping::relational::{ColumnSchema, TableData};
    use crate::sim::sql::{Numeric, SqlType};

    fn table(rows: Vec<Row>) -> Tables {
        let mut t = Tables::new();
        let col = |n: &str, ty| ColumnSchema {
            name: n.into(),
            ty,
            not_null: false,
        };
        t.insert(TableData {
            schema: TableSchema {
                name: "t".into(),
                columns: vec![col("id", SqlType::Int), col("n", SqlType::Numeric(None))],
                primary_key: vec![0],
                foreign_keys: vec![],
            },
            rows,
        });
        t
    }

    #[test]
    fn order_independent_and_sensitive_to_values() {
        let n = |s: &str| Value::Numeric(Numeric::parse(s).unwrap());
        let a = table(vec![
            vec![Value::Int(1), n("1.50")],
            vec![Value::Int(2), Value::Null],
        ]);
        let b = table(vec![
            vec![Value::Int(2), Value::Null],
            vec![Value::Int(1), n("1.5")],
        ]);
        assert_eq!(checksum_tables(&a, None), checksum_tables(&b, None));
        let c = table(vec![
            vec![Value::Int(2), Value::Null],
            vec![Value::Int(1), n("1.51")],
        ]);
        assert_ne!(checksum_tables(&a, None), checksum_tables(&c, None));
        let dup = table(vec![
            vec![Value::Int(2), Value::Null],
            vec![Value::Int(2), Value::Null],
        ]);
        assert_eq!(checksum_tables(&dup, None).total().records, 2);
        assert_ne!(checksum_tables(&dup, None).total().sum, 0);
    }
}
