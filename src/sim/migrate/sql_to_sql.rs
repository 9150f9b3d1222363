//! SQL -> SQL: a copy-based schema change inside the SQL store. The source tables keep
//! their shape; the target holds the same tables after the up script (SQL text such as
//! `ALTER TABLE customers ADD COLUMN tier TEXT DEFAULT 'basic';`). A unit is one source row
//! (`(table position, integer key)`).
//!
//! The SQL store itself transforms the rows: the rows being moved are loaded into a scratch
//! store holding the source's tables (without foreign keys, so any subset loads), the up
//! script runs there, and the rows are read back by key. The script must therefore be
//! row-local (each target row follows from its own source row: added, dropped, renamed or
//! retyped columns, updates of a row from its own values) and keep every table with its
//! one-column integer primary key. A batch the script refuses is retried row by row, so
//! exactly the rows it refuses fail as records.
//!
//! The correct applier skips changes at or before the position a row was read at and
//! re-transforms the changed rows' live state; the naive one writes the change's row as
//! committed, in the source's shape (columns by position, new ones left NULL): the
//! transformation is skipped, which the checksums and the compare report. Verification
//! compares the target with the up script run once on the whole live source.

use std::collections::{BTreeMap, BTreeSet};

use super::config::{invalid, CdcApply, ConfigError};
use super::phase::RecordError;
use super::side::{Keyed, Side, SideOps, SnapUnit, UnitKey};
use super::source::{int, SqlSource};
use super::to_docs::{Verification, MISMATCHES_KEPT_MAX};
use super::workload::{ChangeEvent, Image, Writer};
use crate::sim::mapping::checksum::RecordHasher;
use crate::sim::mapping::{
    CollectionMap, ContentChecksum, SqlToDocs, TableData, TableSchema, Tables,
};
use crate::sim::sql::{Row, SqlStore, Value};
use crate::sim::time::SimTime;

/// Rows the scratch store transforms at once during the snapshot.
pub const TRANSFORM_ROWS_MAX: usize = 500;

/// The up script and the empty scratch store it runs on.
#[derive(Clone, Debug)]
pub struct Transform {
    script: String,
    /// The source's tables, no rows, no foreign keys.
    empty: SqlStore,
    source: Vec<TableSchema>,
    /// Per source table: its shape after the script (foreign keys kept).
    target: Vec<TableSchema>,
}

impl Transform {
    /// Check `script` on the source's shape: it must run, and keep every table of `source`
    /// with a one-column integer primary key. `ddl` creates the source's tables.
    pub fn new(ddl: &str, source: &Tables, script: &str) -> Result<Transform, ConfigError> {
        let bad = |why: String| invalid("schema_change.up_script", why);
        let mut real = SqlStore::new();
        real.execute(ddl)
            .map_err(|e| invalid("dataset", e.to_string()))?;
        real.execute(script).map_err(|e| bad(e.to_string()))?;
        let mut empty = SqlStore::new();
        let mut schemas = Vec::new();
        let mut target = Vec::new();
        for t in source.iter() {
            let mut s = t.schema.clone();
            s.foreign_keys.clear();
            empty
                .execute(&s.create_sql())
                .map_err(|e| bad(e.to_string()))?;
            let after = real.table(&s.name).map(TableSchema::from_table);
            let keyed = after.filter(|a| a.single_key().is_some());
            let after = keyed.ok_or_else(|| {
                bad(format!(
                    "must keep table \"{}\" and its one-column primary key",
                    s.name
                ))
            })?;
            schemas.push(t.schema.clone());
            target.push(after);
        }
        Ok(Transform {
            script: script.to_string(),
            empty,
            source: schemas,
            target,
        })
    }

    /// The target's table shapes, by source table position.
    pub fn target_schemas(&self) -> &[TableSchema] {
        &self.target
    }

    /// Run the script on `rows` ((source table position, row)); the rows it gives back, by
    /// (table position, key).
    pub fn run(&self, rows: &[(usize, &Row)]) -> Result<BTreeMap<UnitKey, Row>, String> {
        let mut s = self.empty.clone();
        let mut data: Vec<Vec<Row>> = vec![Vec::new(); self.source.len()];
        for (t, r) in rows {
            data[*t].push((*r).clone());
        }
        let mut tables = Tables::new();
        for (schema, rows) in self.source.iter().zip(data) {
            let mut schema = schema.clone();
            schema.foreign_keys.clear();
            tables.insert(TableData { schema, rows });
        }
        tables.load_into(&mut s).map_err(|e| e.to_string())?;
        s.execute(&self.script).map_err(|e| e.to_string())?;
        let mut out = BTreeMap::new();
        for (t, schema) in self.target.iter().enumerate() {
            let Some(table) = s.table(&schema.name) else {
                return Err(format!("the up script dropped table \"{}\"", schema.name));
            };
            let k = schema.single_key().unwrap_or(0);
            for r in table.rows_by_primary_key() {
                let key = int(&r[k]).ok_or("a key is not an integer")?;
                out.insert((t, key), r.clone());
            }
        }
        Ok(out)
    }

    /// Like [`Transform::run`], but a batch the script refuses is retried row by row: each
    /// row's result or why the script refuses it.
    pub fn run_each(&self, rows: &[(usize, i64, &Row)]) -> BTreeMap<UnitKey, Result<Row, String>> {
        let all: Vec<(usize, &Row)> = rows.iter().map(|(t, _, r)| (*t, *r)).collect();
        if let Ok(done) = self.run(&all) {
            return rows
                .iter()
                .map(|(t, k, _)| {
                    let r = done.get(&(*t, *k)).cloned();
                    (
                        (*t, *k),
                        r.ok_or_else(|| "the up script removed the row".into()),
                    )
                })
                .collect();
        }
        let mut out = BTreeMap::new();
        for (t, k, r) in rows {
            let one = self.run(&[(*t, *r)]).and_then(|mut m| {
                m.remove(&(*t, *k))
                    .ok_or_else(|| "the up script removed the row".into())
            });
            out.insert((*t, *k), one);
        }
        out
    }
}

/// The SQL -> SQL side of a job.
#[derive(Clone, Debug)]
pub struct SqlToSql {
    transform: Transform,
    /// The live source.
    pub src: SqlSource,
    k: Keyed<Row>,
}

impl SqlToSql {
    /// Index the source's tables (each needs a one-column integer primary key) and check the
    /// up script on their shape.
    pub fn new(ddl: &str, tables: Tables, script: &str) -> Result<SqlToSql, ConfigError> {
        if let Some(t) = tables.iter().find(|t| t.schema.single_key().is_none()) {
            let why = format!(
                "table \"{}\" needs a one-column integer primary key",
                t.schema.name
            );
            return Err(invalid("dataset", why));
        }
        let transform = Transform::new(ddl, &tables, script)?;
        let names: Vec<String> = tables.names().map(String::from).collect();
        // One collection per table, no embeds: the source keeps a checksum of every table.
        let every = SqlToDocs {
            options: Default::default(),
            collections: names.iter().map(|n| whole_table(n)).collect(),
        };
        let src = SqlSource::new(tables, &every).map_err(|e| match e {
            ConfigError::Invalid { reason, .. } => invalid("dataset", reason),
            other => other,
        })?;
        Ok(SqlToSql {
            transform,
            src,
            k: Keyed::new(names),
        })
    }

    /// The target's rows of table `c`, by key.
    pub fn target_rows(&self, c: usize) -> Option<&BTreeMap<i64, Row>> {
        self.k.target.get(c)
    }

    fn live(&self, c: usize, key: i64) -> Option<&Row> {
        self.src.row(&self.k.names[c], key)
    }

    fn live_units(&self) -> Vec<(usize, i64, &Row)> {
        let mut out = Vec::new();
        for (c, name) in self.k.names.iter().enumerate() {
            let (Some(t), Some(k)) = (self.src.tables.get(name), self.src.key_col(name)) else {
                continue;
            };
            for r in &t.rows {
                match int(&r[k]) {
                    Some(key) if self.live(c, key).is_some() => out.push((c, key, r)),
                    _ => {}
                }
            }
        }
        out
    }

    /// Re-transform the live state of `units` read at `position`; the rows written.
    fn refresh(&mut self, units: &BTreeSet<UnitKey>, position: u64) -> u64 {
        let rows: Vec<(usize, i64, &Row)> = units
            .iter()
            .filter_map(|&(c, k)| self.live(c, k).map(|r| (c, k, r)))
            .collect();
        let done = self.transform.run_each(&rows);
        let mut n = 0;
        for &(c, k) in units {
            self.k.read_at[c].insert(k, position);
            match done.get(&(c, k)) {
                Some(Ok(r)) => {
                    self.k.failed.remove(&(c, k));
                    self.k.target[c].insert(k, r.clone());
                    n += 1;
                }
                Some(Err(_)) => {
                    self.k.failed.insert((c, k));
                    self.k.target[c].remove(&k);
                }
                None => {
                    self.k.target[c].remove(&k);
                }
            }
        }
        n
    }

    /// The naive applier: the committed row in the source's shape, by position.
    fn apply_naive(&mut self, c: usize, e: &ChangeEvent, position: u64) -> u64 {
        self.k.read_at[c].insert(e.key, position);
        let width = self.transform.target[c].columns.len();
        match &e.after {
            Some(Image::Row(r)) => {
                let mut row = r.clone();
                row.resize(width, Value::Null);
                self.k.target[c].insert(e.key, row);
                1
            }
            _ => {
                self.k.target[c].remove(&e.key);
                0
            }
        }
    }

    /// The target as tables (target shapes, rows by key).
    fn actual_tables(&self) -> Tables {
        let mut out = Tables::new();
        for (schema, rows) in self.transform.target.iter().zip(&self.k.target) {
            out.insert(TableData {
                schema: schema.clone(),
                rows: rows.values().cloned().collect(),
            });
        }
        out
    }

    /// The up script run once on every live, non-failed source row.
    fn expected_tables(&self) -> Result<Tables, String> {
        let rows: Vec<(usize, &Row)> = self
            .live_units()
            .into_iter()
            .filter(|(c, k, _)| !self.k.failed.contains(&(*c, *k)))
            .map(|(c, _, r)| (c, r))
            .collect();
        let done = self.transform.run(&rows)?;
        let mut per: Vec<Vec<Row>> = vec![Vec::new(); self.k.names.len()];
        for ((c, _), r) in done {
            per[c].push(r);
        }
        let mut out = Tables::new();
        for (schema, rows) in self.transform.target.iter().zip(per) {
            let schema = schema.clone();
            out.insert(TableData { schema, rows });
        }
        Ok(out)
    }
}

fn whole_table(name: &str) -> CollectionMap {
    CollectionMap {
        collection: name.to_string(),
        table: name.to_string(),
        reason: String::new(),
        embed: Vec::new(),
        references: Vec::new(),
    }
}

impl SideOps for SqlToSql {
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
        self.k
            .names
            .iter()
            .map(|n| self.src.live_rows(n) as u64)
            .sum()
    }
    fn relationships(&self) -> u64 {
        let fks = self.transform.target.iter().map(|t| t.foreign_keys.len());
        fks.sum::<usize>() as u64
    }
    fn source_checksum(&mut self) -> ContentChecksum {
        self.src.checksums().total()
    }

    fn write(&mut self, w: &mut Writer, at: SimTime) -> Option<ChangeEvent> {
        w.write(&mut self.src, at)
    }

    fn apply(&mut self, batch: &[ChangeEvent], mode: CdcApply, position: u64) -> u64 {
        if mode == CdcApply::Naive {
            let todo = self.k.changes_to_apply(batch, mode);
            return todo
                .into_iter()
                .map(|(c, e)| self.apply_naive(c, e, position))
                .sum();
        }
        let units = self.pending_units(&mut batch.iter());
        self.refresh(&units, position)
    }

    fn pending_units(&self, events: &mut dyn Iterator<Item = &ChangeEvent>) -> BTreeSet<UnitKey> {
        self.k.pending(events)
    }

    fn units_from(&self, cursor: &mut UnitKey, n: usize) -> Vec<UnitKey> {
        self.k.keys_from(cursor, n)
    }

    fn check_units(&self, units: &[UnitKey], pending: &BTreeSet<UnitKey>) -> (u64, u64, u64) {
        let rows: Vec<(usize, i64, &Row)> = units
            .iter()
            .filter(|u| !self.k.failed.contains(u) && !pending.contains(u))
            .filter_map(|&(c, k)| self.live(c, k).map(|r| (c, k, r)))
            .collect();
        let expected = self.transform.run_each(&rows);
        let expect = |u: UnitKey| expected.get(&u).map(|r| r.as_ref().map_err(Clone::clone));
        self.k
            .tally(units, pending, expect, |e: &&Row, a: &Row| *e == a)
    }

    fn verify(&mut self, sample: usize, seed: u64, compare_all: bool) -> Verification {
        self.src.compact();
        let actual = self.actual_tables();
        let failed = self.k.failed.len() as u64;
        let expected = match self.expected_tables() {
            Ok(e) => e,
            Err(why) => {
                let mut v = Verification {
                    failed_excluded: failed,
                    ..Verification::default()
                };
                v.mismatched_keys
                    .push(format!("the up script fails on the source: {why}"));
                return v;
            }
        };
        let compare = |v: &mut Verification| self.compare_all(&expected, v);
        Verification::of_tables(
            &expected,
            &actual,
            failed,
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
        let name = self.k.names.get(c).map_or("", String::as_str);
        self.src.next_key(name).saturating_sub(1).max(0)
    }
}

impl Side for SqlToSql {
    type Payload = Row;
    type Checkpoint = SqlSource;

    fn checkpoint(&mut self) -> SqlSource {
        self.src.compact();
        self.src.clone()
    }
    fn restore(&mut self, cp: &SqlSource) {
        self.src = cp.clone();
    }
    fn snapshot(
        &mut self,
        unconvertible: &(dyn Fn(&str, i64) -> bool + Sync),
    ) -> Vec<SnapUnit<Row>> {
        self.src.compact();
        let units = self.live_units();
        let mut out = Vec::with_capacity(units.len());
        for chunk in units.chunks(TRANSFORM_ROWS_MAX) {
            let (bad, good): (Vec<_>, Vec<_>) = chunk
                .iter()
                .partition(|(c, k, _)| unconvertible(&self.k.names[*c], *k));
            let good: Vec<(usize, i64, &Row)> = good.into_iter().copied().collect();
            let mut done = self.transform.run_each(&good);
            for (c, k, _) in bad {
                let why = format!("{} {k}: does not transform (injected)", self.k.names[*c]);
                done.insert((*c, *k), Err(why));
            }
            for (c, k, _) in chunk {
                let payload = done
                    .remove(&(*c, *k))
                    .unwrap_or(Err("not transformed".into()));
                out.push(SnapUnit {
                    coll: *c,
                    key: *k,
                    rows: 1,
                    payload,
                });
            }
        }
        out
    }
    fn load(
        &mut self,
        u: &mut SnapUnit<Row>,
        position: u64,
        retries: u32,
        mode: CdcApply,
    ) -> Result<(), RecordError> {
        self.k.load(u, position, retries, mode)
    }
}

impl SqlToSql {
    /// Every row on either side compared by its digest (failed records left out).
    fn compare_all(&self, expected: &Tables, v: &mut Verification) {
        let mut h = RecordHasher::new(self.transform.target.iter());
        let mut keys: BTreeSet<UnitKey> = BTreeSet::new();
        let mut want: BTreeMap<UnitKey, u128> = BTreeMap::new();
        for (c, t) in expected.iter().enumerate() {
            let k = t.schema.single_key().unwrap_or(0);
            for r in &t.rows {
                let key = int(&r[k]).unwrap_or(i64::MIN);
                want.insert((c, key), h.digest(c, r));
                keys.insert((c, key));
            }
        }
        for (c, t) in self.k.target.iter().enumerate() {
            keys.extend(t.keys().map(|k| (c, *k)));
        }
        for u in keys.into_iter().filter(|u| !self.k.failed.contains(u)) {
            v.compared += 1;
            let got = self.k.target[u.0].get(&u.1).map(|r| h.digest(u.0, r));
            if got != want.get(&u).copied() {
                v.mismatched += 1;
                if v.mismatched_keys.len() < MISMATCHES_KEPT_MAX {
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
    use crate::sim::migrate::workload::{Op, WriteWorkload};

    const UP: &str = "ALTER TABLE customers ADD COLUMN tier TEXT DEFAULT 'basic'; \
                      ALTER TABLE customers RENAME COLUMN email TO contact_email;";

    fn loaded(mode: CdcApply) -> SqlToSql {
        let d = generate(DatasetKind::Ecommerce, 3, 40).unwrap();
        let mut s = SqlToSql::new(&d.ddl, d.tables, UP).unwrap();
        let mut units = s.snapshot(&|_, _| false);
        for u in &mut units {
            s.load(u, 0, 0, mode).unwrap();
        }
        s
    }

    #[test]
    fn the_store_runs_the_up_script_on_the_rows_moved() {
        let mut s = loaded(CdcApply::Correct);
        let c = s.k.names.iter().position(|n| n == "customers").unwrap();
        let schema = &s.transform.target_schemas()[c];
        let tier = schema.column_index("tier").unwrap();
        assert!(schema.column_index("contact_email").is_some());
        assert!(schema.column_index("email").is_none());
        let row = s.k.target[c].values().next().unwrap();
        assert_eq!(row[tier], Value::Text("basic".into()));
        let v = s.verify(20, 1, true);
        assert!(v.passed && v.compared == 40, "{v:?}");
        let d = generate(DatasetKind::Ecommerce, 3, 40).unwrap();
        let e = SqlToSql::new(&d.ddl, d.tables, "ALTER TABLE nope ADD COLUMN x INT;");
        assert!(e
            .unwrap_err()
            .to_string()
            .starts_with("schema_change.up_script"));
    }

    #[test]
    fn correct_apply_is_idempotent_and_naive_apply_skips_the_transformation() {
        for mode in [CdcApply::Correct, CdcApply::Naive] {
            let mut s = loaded(mode);
            let params = WriteWorkload::default();
            let mut w = Writer::new(5, params, vec!["customers".into()]);
            let mut pos = 0;
            let e = loop {
                let Some(e) = w.write(&mut s.src, SimTime::ZERO) else {
                    continue;
                };
                pos += 1;
                let e = ChangeEvent { position: pos, ..e };
                s.apply(std::slice::from_ref(&e), mode, pos);
                if e.op == Op::Insert {
                    break e;
                }
            };
            s.apply(std::slice::from_ref(&e), mode, pos);
            let v = s.verify(10, 1, true);
            match mode {
                CdcApply::Correct => assert!(v.passed, "{v:?}"),
                CdcApply::Naive => {
                    assert!(!v.passed && v.mismatched > 0, "{v:?}");
                    assert_eq!(v.checksum_differs, ["customers"]);
                }
            }
        }
    }
}
