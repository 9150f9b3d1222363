//! The application writing to the source while a migration runs, and the change log that
//! change data capture reads: every committed write becomes a [`ChangeEvent`] with its
//! position, time, operation and before/after images.
//!
//! Writes are seeded (one sub-stream), arrive with exponential gaps, and touch every table
//! the mapping reads: inserts (children get an existing parent), updates of non-key columns
//! (so child rows embedded in parent documents change too) and deletes of rows nothing
//! references.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

use super::config::{check, ConfigError};
use super::source::{int, SqlSource};
use crate::sim::dataset::words::{pick, CITY, NOUN};
use crate::sim::rng::SimRng;
use crate::sim::sql::{Numeric, Row, SqlType, Value};
use crate::sim::time::{SimDuration, SimTime};

/// Most writes per simulated second.
pub const WRITES_PER_S_MAX: u32 = 100_000;
/// Events the change log holds; capture stops with an error beyond this.
pub const CHANGE_LOG_MAX: usize = 1_000_000;

/// The application's writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WriteWorkload {
    /// Writes per simulated second; 0 turns the workload off. Default 200.
    /// Range 0 ..= 100 000.
    pub writes_per_s: u32,
    /// Relative weight of inserts. Default 3.
    pub insert_weight: u32,
    /// Relative weight of updates. Default 6.
    pub update_weight: u32,
    /// Relative weight of deletes (rows nothing references). Default 1.
    pub delete_weight: u32,
}

impl Default for WriteWorkload {
    fn default() -> Self {
        WriteWorkload {
            writes_per_s: 200,
            insert_weight: 3,
            update_weight: 6,
            delete_weight: 1,
        }
    }
}

impl WriteWorkload {
    /// Check the ranges (weights must not all be zero while writes are on).
    pub fn validate(&self) -> Result<(), ConfigError> {
        check(
            "workload.writes_per_s",
            self.writes_per_s.into(),
            0,
            WRITES_PER_S_MAX.into(),
        )?;
        let sum = u64::from(self.insert_weight)
            + u64::from(self.update_weight)
            + u64::from(self.delete_weight);
        if self.writes_per_s > 0 {
            check("workload weights (sum)", sum, 1, 1_000_000)?;
        }
        Ok(())
    }

    /// Mean gap between writes.
    pub fn mean_gap_us(&self) -> f64 {
        1e6 / f64::from(self.writes_per_s.max(1))
    }
}

/// What a change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// A new row.
    Insert,
    /// Columns of a row changed.
    Update,
    /// A row removed.
    Delete,
}

/// One committed write, as change data capture sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeEvent {
    /// Position in the log (1-based, increasing): the order of commits.
    pub position: u64,
    /// When it was committed.
    pub at: SimTime,
    /// The table written.
    pub table: String,
    /// The row's key.
    pub key: i64,
    /// What happened.
    pub op: Op,
    /// The row or document before (updates, deletes).
    pub before: Option<Image>,
    /// The row or document after (inserts, updates).
    pub after: Option<Image>,
}

/// A changed record's content.
#[derive(Clone, Debug, PartialEq)]
pub enum Image {
    /// A SQL row.
    Row(Row),
    /// A document.
    Doc(serde_json::Value),
}

impl ChangeEvent {
    /// The row that locates a SQL change (after, else before); `None` for documents.
    pub fn row(&self) -> Option<&Row> {
        match self.after.as_ref().or(self.before.as_ref())? {
            Image::Row(r) => Some(r),
            Image::Doc(_) => None,
        }
    }
}

/// Captured events not yet consumed, in position order, with the capture position.
#[derive(Clone, Debug, Default)]
pub struct ChangeLog {
    events: VecDeque<ChangeEvent>,
    last_position: u64,
    captured: u64,
}

impl ChangeLog {
    /// The next position to hand out.
    pub fn next_position(&self) -> u64 {
        self.last_position + 1
    }
    /// The position of the last committed write.
    pub fn position(&self) -> u64 {
        self.last_position
    }
    /// Events captured in total.
    pub fn captured(&self) -> u64 {
        self.captured
    }
    /// Append a committed write (`capturing` false: the position advances, nothing is kept).
    pub fn commit(&mut self, mut e: ChangeEvent, capturing: bool) -> Result<u64, String> {
        self.last_position += 1;
        e.position = self.last_position;
        if capturing {
            if self.events.len() >= CHANGE_LOG_MAX {
                return Err(format!("change log full ({CHANGE_LOG_MAX} events)"));
            }
            self.captured += 1;
            self.events.push_back(e);
        }
        Ok(self.last_position)
    }
    /// Events waiting.
    pub fn backlog(&self) -> usize {
        self.events.len()
    }
    /// The oldest waiting event.
    pub fn oldest(&self) -> Option<&ChangeEvent> {
        self.events.front()
    }
    /// Take up to `n` events from the front.
    pub fn take(&mut self, n: usize) -> Vec<ChangeEvent> {
        let n = n.min(self.events.len());
        self.events.drain(..n).collect()
    }
    /// Put events back at the front (a batch lost with its worker is delivered again).
    pub fn redeliver(&mut self, batch: Vec<ChangeEvent>) {
        for e in batch.into_iter().rev() {
            self.events.push_front(e);
        }
    }
    /// Waiting events, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &ChangeEvent> {
        self.events.iter()
    }
    /// Drop everything waiting.
    pub fn clear(&mut self) {
        self.events.clear();
    }
}

/// Generates the application's writes against a [`SqlSource`].
#[derive(Clone, Debug)]
pub struct Writer {
    rng: SimRng,
    params: WriteWorkload,
    tables: Vec<String>,
}

impl Writer {
    /// A writer over `tables` (the tables the mapping reads), seeded from `seed`.
    pub fn new(seed: u64, params: WriteWorkload, tables: Vec<String>) -> Writer {
        Writer {
            rng: SimRng::substream(seed, "migrate/workload"),
            params,
            tables,
        }
    }

    /// Time until the next write.
    pub fn gap(&mut self) -> SimDuration {
        let us = self.rng.exponential(self.params.mean_gap_us()).max(1.0);
        SimDuration::from_us(us as u64)
    }

    /// Perform one write on `src` at `at`; `None` when the chosen write is impossible (no
    /// row to update, a parent table without rows), which the caller skips.
    pub fn write(&mut self, src: &mut SqlSource, at: SimTime) -> Option<ChangeEvent> {
        let table = pick_owned(&mut self.rng, &self.tables)?;
        let op = self.op();
        let (key, before, after) = match op {
            Op::Insert => self.insert(src, &table)?,
            Op::Update => self.update(src, &table)?,
            Op::Delete => self.delete(src, &table)?,
        };
        Some(ChangeEvent {
            position: 0,
            at,
            table,
            key,
            op,
            before: before.map(Image::Row),
            after: after.map(Image::Row),
        })
    }

    /// Perform one write on a document source: insert a copy of a document under a new
    /// `_id`, set one top-level text field to another document's value of it, or delete a
    /// document.
    pub fn write_doc(
        &mut self,
        src: &mut super::to_rows::DocSource,
        at: SimTime,
    ) -> Option<ChangeEvent> {
        if src.colls.is_empty() {
            return None;
        }
        let c = self.rng.range_u64(0, src.colls.len() as u64 - 1) as usize;
        let op = self.op();
        let (name, docs) = &mut src.colls[c];
        if docs.is_empty() {
            return None;
        }
        let i = self.rng.range_u64(0, docs.len() as u64 - 1) as usize;
        let (&key, doc) = docs.iter().nth(i)?;
        let doc = doc.clone();
        let (key, before, after) = match op {
            Op::Insert => {
                let id = docs.keys().next_back().map_or(1, |k| k + 1);
                let mut d = doc;
                d[crate::sim::doc::ID_FIELD] = serde_json::json!(id);
                docs.insert(id, d.clone());
                (id, None, Some(d))
            }
            Op::Update => {
                let fields: Vec<String> = doc
                    .as_object()?
                    .iter()
                    .filter(|(k, v)| v.is_string() && !k.starts_with('_'))
                    .map(|(k, _)| k.clone())
                    .collect();
                if fields.is_empty() {
                    return None;
                }
                let f = &fields[self.rng.range_u64(0, fields.len() as u64 - 1) as usize];
                // Another document's value of the same field: a value of the field's kind.
                let j = self.rng.range_u64(0, docs.len() as u64 - 1) as usize;
                let other = docs.values().nth(j).and_then(|o| o.get(f.as_str()));
                let value = other.filter(|v| v.is_string()).cloned()?;
                let mut d = doc.clone();
                d[f.as_str()] = value;
                docs.insert(key, d.clone());
                (key, Some(doc), Some(d))
            }
            Op::Delete => {
                docs.remove(&key);
                (key, Some(doc), None)
            }
        };
        Some(ChangeEvent {
            position: 0,
            at,
            table: name.clone(),
            key,
            op,
            before: before.map(Image::Doc),
            after: after.map(Image::Doc),
        })
    }

    fn op(&mut self) -> Op {
        let p = &self.params;
        let total = p.insert_weight + p.update_weight + p.delete_weight;
        let roll = self.rng.range_u64(0, u64::from(total.max(1)) - 1) as u32;
        if roll < p.insert_weight {
            Op::Insert
        } else if roll < p.insert_weight + p.update_weight {
            Op::Update
        } else {
            Op::Delete
        }
    }

    fn random_live(&mut self, src: &SqlSource, table: &str) -> Option<(i64, Row)> {
        let t = src.tables.get(table)?;
        let k = src.key_col(table)?;
        for _ in 0..8 {
            if t.rows.is_empty() {
                return None;
            }
            let i = self.rng.range_u64(0, t.rows.len() as u64 - 1) as usize;
            let key = int(&t.rows[i][k])?;
            if let Some(r) = src.row(table, key) {
                return Some((key, r.clone()));
            }
        }
        None
    }

    fn insert(
        &mut self,
        src: &mut SqlSource,
        table: &str,
    ) -> Option<(i64, Option<Row>, Option<Row>)> {
        let schema = src.tables.get(table)?.schema.clone();
        let key = src.next_key(table);
        let mut row = Vec::with_capacity(schema.columns.len());
        for (i, c) in schema.columns.iter().enumerate() {
            let v = if Some(i) == schema.single_key() {
                Value::Int(key)
            } else if let Some(fk) = schema.foreign_key_on(&c.name) {
                let (parent, _) = self.random_live(src, &fk.ref_table)?;
                Value::Int(parent)
            } else {
                self.value(&c.ty, c.not_null)
            };
            row.push(v);
        }
        src.insert(table, row.clone());
        Some((key, None, Some(row)))
    }

    fn update(
        &mut self,
        src: &mut SqlSource,
        table: &str,
    ) -> Option<(i64, Option<Row>, Option<Row>)> {
        let (key, before) = self.random_live(src, table)?;
        let schema = &src.tables.get(table)?.schema;
        let free: Vec<usize> = (0..schema.columns.len())
            .filter(|&i| Some(i) != schema.single_key())
            .filter(|&i| schema.foreign_key_on(&schema.columns[i].name).is_none())
            .collect();
        if free.is_empty() {
            return None;
        }
        let col = free[self.rng.range_u64(0, free.len() as u64 - 1) as usize];
        let c = schema.columns[col].clone();
        let mut after = before.clone();
        after[col] = self.value(&c.ty, c.not_null);
        src.update(table, key, after.clone());
        Some((key, Some(before), Some(after)))
    }

    fn delete(
        &mut self,
        src: &mut SqlSource,
        table: &str,
    ) -> Option<(i64, Option<Row>, Option<Row>)> {
        if src.is_referenced(table) {
            return None;
        }
        let (key, _) = self.random_live(src, table)?;
        let before = src.delete(table, key)?;
        Some((key, Some(before), None))
    }

    /// A random value of a column type (NULL one time in ten where allowed).
    fn value(&mut self, ty: &SqlType, not_null: bool) -> Value {
        if !not_null && self.rng.chance(0.1) {
            return Value::Null;
        }
        let r = &mut self.rng;
        match ty {
            SqlType::SmallInt | SqlType::Int | SqlType::BigInt => {
                Value::Int(r.range_u64(1, 1_000) as i64)
            }
            SqlType::Real | SqlType::Double => Value::Real(r.range_u64(0, 10_000) as f64 / 4.0),
            SqlType::Numeric(spec) => {
                let (p, s) = spec.unwrap_or((12, 2));
                let top = 10i128.pow(p.min(8)) - 1;
                let unscaled = r.range_u64(0, top as u64) as i128;
                Value::Numeric(Numeric { unscaled, scale: s })
            }
            SqlType::Text | SqlType::Varchar(_) => {
                let mut s = format!("{} {}", pick(r, &CITY), pick(r, &NOUN));
                if let SqlType::Varchar(Some(n)) = ty {
                    s.truncate(*n as usize);
                }
                Value::Text(s)
            }
            SqlType::Bool => Value::Bool(r.chance(0.5)),
            SqlType::Date => Value::Date(18_262 + r.range_u64(0, 2_000) as i32),
            SqlType::Timestamp => {
                Value::Timestamp(1_577_836_800_000_000 + r.range_u64(0, 1 << 46) as i64)
            }
        }
    }
}

fn pick_owned(rng: &mut SimRng, v: &[String]) -> Option<String> {
    if v.is_empty() {
        return None;
    }
    Some(v[rng.range_u64(0, v.len() as u64 - 1) as usize].clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dataset::{generate, DatasetKind};
    use crate::sim::mapping::verify::validate_tables;
    use crate::sim::mapping::{suggest::suggest_sql_to_docs, ConvertOptions};

    #[test]
    fn writes_keep_the_source_valid_and_the_log_ordered() {
        let d = generate(DatasetKind::Ecommerce, 9, 300).unwrap();
        let m = suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping;
        let mut src = SqlSource::new(d.tables.clone(), &m).unwrap();
        let mut w = Writer::new(
            9,
            WriteWorkload::default(),
            m.tables_used().into_iter().collect(),
        );
        let mut log = ChangeLog::default();
        let mut ops = [0u32; 3];
        let mut at = SimTime::ZERO;
        for _ in 0..600 {
            at += w.gap();
            if let Some(e) = w.write(&mut src, at) {
                ops[e.op as usize] += 1;
                log.commit(e, true).unwrap();
            }
        }
        assert!(ops.iter().all(|&n| n > 10), "{ops:?}");
        let pos: Vec<u64> = log.iter().map(|e| e.position).collect();
        assert!(pos.windows(2).all(|w| w[0] < w[1]));
        src.compact();
        let report = validate_tables(&src.tables);
        assert!(report.is_clean(), "{report:?}");
        let batch = log.take(5);
        log.redeliver(batch.clone());
        assert_eq!(log.oldest(), batch.first());
    }
}
