//! The live SQL side of a migration: typed rows ([`Tables`], the mapping layer's fast path)
//! that the application keeps writing to, with what change capture needs on top: rows by
//! primary key, rows by foreign key, deletes as tombstones (compacted before a full read, so
//! a delete never shifts a million-row vector), and the walk from a changed row up to every
//! document that embeds it (fan-out).
//!
//! Keys are single-column integer primary keys; a mapping over other tables is refused with
//! a typed error when the migration is requested.

use crate::sim::sort::CollectOrdered;
use std::collections::{BTreeMap, BTreeSet};

use crate::sim::mapping::checksum::{checksum_tables, Checksums, ContentChecksum, RecordHasher};
use crate::sim::mapping::relational::{TableData, Tables};
use crate::sim::mapping::{Embed, EmbedKind, SqlToDocs};
use crate::sim::sql::{Row, Value};

use super::config::{invalid, ConfigError};

/// Rows of one table keyed by a foreign key column: sorted `(fk, child key)` pairs for the
/// rows present when the index was built, plus a set for rows inserted since.
#[derive(Clone, Debug, Default)]
struct FkIndex {
    base: Vec<(i64, i64)>,
    added: BTreeSet<(i64, i64)>,
}

impl FkIndex {
    fn build(t: &TableData, col: usize, key_col: usize) -> FkIndex {
        let mut base: Vec<(i64, i64)> = t
            .rows
            .iter()
            .filter_map(|r| Some((int(&r[col])?, int(&r[key_col])?)))
            .collect();
        if !base.windows(2).all(|w| w[0] <= w[1]) {
            base.sort_unstable();
        }
        FkIndex {
            base,
            added: BTreeSet::new(),
        }
    }

    /// Child keys whose foreign key is `fk` (deleted rows included; callers check).
    fn lookup(&self, fk: i64, out: &mut Vec<i64>) {
        let lo = self.base.partition_point(|p| p.0 < fk);
        let hi = lo + self.base[lo..].partition_point(|p| p.0 == fk);
        out.extend(self.base[lo..hi].iter().map(|p| p.1));
        out.extend(
            self.added
                .range((fk, i64::MIN)..=(fk, i64::MAX))
                .map(|p| p.1),
        );
    }
}

/// An integer value (keys and foreign keys).
pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

/// One step from a table occurrence up towards its collection root.
#[derive(Clone, Debug)]
enum Up {
    /// The row is an array element: the parent's key is the row's value at this column.
    ViaOwnFk(usize),
    /// The row is an object copy: the parents are the rows of `table` whose column `col`
    /// holds the row's key (one row may be copied into many parents: fan-out).
    ViaReferrers { table: String, col: usize },
}

/// Where a table occurs in a collection's documents: the steps up to the root, each with the
/// table reached.
#[derive(Clone, Debug)]
struct Occurrence {
    collection: usize,
    steps: Vec<(Up, String)>,
}

/// Checksums of the tables a mapping reads, kept as rows are written (a row's digest is
/// subtracted when it is replaced or deleted and added when it is written), so a
/// verification or a report never re-hashes a million rows to learn the source's checksum.
/// Equal to [`checksum_tables`] over the live rows (checked in debug builds at every
/// verification).
#[derive(Clone, Debug)]
struct KeptSums {
    hasher: RecordHasher,
    /// Table name -> position in `sums` (and in the hasher's schemas).
    index: BTreeMap<String, usize>,
    sums: Vec<ContentChecksum>,
}

impl KeptSums {
    fn new(tables: &Tables, used: &BTreeSet<String>) -> KeptSums {
        let chosen: Vec<&TableData> = tables
            .iter()
            .filter(|t| used.contains(&t.schema.name))
            .collect();
        let hasher = RecordHasher::new(chosen.iter().map(|t| &t.schema));
        let full = checksum_tables(tables, Some(used));
        KeptSums {
            hasher,
            index: (chosen.iter().enumerate())
                .map(|(i, t)| (t.schema.name.clone(), i))
                .collect(),
            sums: chosen.iter().map(|t| full.tables[&t.schema.name]).collect(),
        }
    }

    /// Replace `before` by `after` in `table`'s sum (either may be absent).
    fn change(&mut self, table: &str, before: Option<&Row>, after: Option<&Row>) {
        let Some(&i) = self.index.get(table) else {
            return;
        };
        if let Some(r) = before {
            let d = self.hasher.digest(i, r);
            let s = &mut self.sums[i];
            s.records -= 1;
            s.sum = s.sum.wrapping_sub(d);
        }
        if let Some(r) = after {
            let d = self.hasher.digest(i, r);
            self.sums[i].add(d);
        }
    }

    fn checksums(&self) -> Checksums {
        Checksums {
            tables: (self.index.iter())
                .map(|(n, &i)| (n.clone(), self.sums[i]))
                .collect_map(),
        }
    }
}

/// Row lookups by key in one table, resolved once for many keys.
struct Lookup<'s> {
    rows: &'s [Row],
    key_col: usize,
    dead: Option<&'s BTreeSet<usize>>,
}

impl<'s> Lookup<'s> {
    fn position(&self, key: i64) -> Option<usize> {
        let k = self.key_col;
        let i = (self.rows)
            .binary_search_by(|r| int(&r[k]).unwrap_or(i64::MIN).cmp(&key))
            .ok()?;
        (!self.dead.is_some_and(|d| d.contains(&i))).then_some(i)
    }

    fn row(&self, key: i64) -> Option<&'s Row> {
        self.position(key).map(|i| &self.rows[i])
    }
}

/// The live source.
#[derive(Clone, Debug)]
pub struct SqlSource {
    /// Rows, sorted by key; deleted rows stay until [`SqlSource::compact`].
    pub tables: Tables,
    key_cols: BTreeMap<String, usize>,
    deleted: BTreeMap<String, BTreeSet<usize>>,
    next_keys: BTreeMap<String, i64>,
    indexes: BTreeMap<(String, usize), FkIndex>,
    occurrences: BTreeMap<String, Vec<Occurrence>>,
    kept: KeptSums,
}

impl SqlSource {
    /// Index `tables` for `mapping`; every table the mapping reads needs a one-column
    /// integer primary key.
    pub fn new(tables: Tables, mapping: &SqlToDocs) -> Result<SqlSource, ConfigError> {
        let mut key_cols = BTreeMap::new();
        let mut next_keys = BTreeMap::new();
        for t in tables.iter() {
            let Some(k) = t.schema.single_key() else {
                continue;
            };
            let ints = t.rows.iter().all(|r| int(&r[k]).is_some());
            let sorted = t.rows.windows(2).all(|w| int(&w[0][k]) < int(&w[1][k]));
            if ints && sorted {
                key_cols.insert(t.schema.name.clone(), k);
                let max = t.rows.last().and_then(|r| int(&r[k])).unwrap_or(0);
                next_keys.insert(t.schema.name.clone(), max + 1);
            }
        }
        for name in mapping.tables_used() {
            if !key_cols.contains_key(&name) {
                let why = format!(
                    "table \"{name}\" needs a one-column integer primary key for change capture"
                );
                return Err(invalid("mapping", why));
            }
        }
        let kept = KeptSums::new(&tables, &mapping.tables_used());
        let mut s = SqlSource {
            kept,
            tables,
            key_cols,
            deleted: BTreeMap::new(),
            next_keys,
            indexes: BTreeMap::new(),
            occurrences: BTreeMap::new(),
        };
        s.plan(mapping);
        Ok(s)
    }

    /// Record every table occurrence of the mapping and build the foreign key indexes the
    /// walks up and down need.
    fn plan(&mut self, mapping: &SqlToDocs) {
        for (ci, c) in mapping.collections.iter().enumerate() {
            self.occur(&c.table, ci, Vec::new());
            self.plan_embeds(ci, &c.table, &c.embed, Vec::new());
        }
        let wanted: Vec<(String, usize)> = self.indexes.keys().cloned().collect();
        for (table, col) in wanted {
            let t = self.tables.get(&table).expect("planned tables exist");
            let idx = FkIndex::build(t, col, self.key_cols[&table]);
            self.indexes.insert((table, col), idx);
        }
    }

    fn plan_embeds(&mut self, ci: usize, parent: &str, embeds: &[Embed], steps: Vec<(Up, String)>) {
        for e in embeds {
            let up = match e.kind {
                EmbedKind::Array | EmbedKind::IdArray => {
                    let col = self.col(&e.table, &e.foreign_key);
                    self.indexes.entry((e.table.clone(), col)).or_default();
                    Up::ViaOwnFk(col)
                }
                EmbedKind::Object | EmbedKind::Merge => {
                    let col = self.col(parent, &e.foreign_key);
                    self.indexes.entry((parent.to_string(), col)).or_default();
                    Up::ViaReferrers {
                        table: parent.to_string(),
                        col,
                    }
                }
            };
            let mut here = vec![(up, parent.to_string())];
            here.extend(steps.iter().cloned());
            self.occur(&e.table, ci, here.clone());
            self.plan_embeds(ci, &e.table, &e.embed, here);
        }
    }

    fn occur(&mut self, table: &str, collection: usize, steps: Vec<(Up, String)>) {
        self.occurrences
            .entry(table.to_string())
            .or_default()
            .push(Occurrence { collection, steps });
    }

    fn col(&self, table: &str, column: &str) -> usize {
        self.tables
            .get(table)
            .and_then(|t| t.schema.column_index(column))
            .expect("a validated mapping names existing columns")
    }

    /// Lookups by key in `table` (a keyed table).
    fn lookup(&self, table: &str) -> Option<Lookup<'_>> {
        Some(Lookup {
            rows: &self.tables.get(table)?.rows,
            key_col: *self.key_cols.get(table)?,
            dead: self.deleted.get(table),
        })
    }

    /// Position of the live row with `key`.
    pub fn position(&self, table: &str, key: i64) -> Option<usize> {
        self.lookup(table)?.position(key)
    }

    /// Checksums of the tables the mapping reads, as kept while rows were written.
    pub fn checksums(&self) -> Checksums {
        self.kept.checksums()
    }

    /// The live row with `key`.
    pub fn row(&self, table: &str, key: i64) -> Option<&Row> {
        let i = self.position(table, key)?;
        Some(&self.tables.get(table)?.rows[i])
    }

    /// The primary key column of a keyed table.
    pub fn key_col(&self, table: &str) -> Option<usize> {
        self.key_cols.get(table).copied()
    }

    /// Live rows of a table.
    pub fn live_rows(&self, table: &str) -> usize {
        let n = self.tables.get(table).map_or(0, |t| t.rows.len());
        n - self.deleted.get(table).map_or(0, BTreeSet::len)
    }

    /// A fresh key for an insert (larger than every key, so rows stay sorted).
    pub fn next_key(&self, table: &str) -> i64 {
        self.next_keys.get(table).copied().unwrap_or(1)
    }

    /// Insert a row whose key is [`SqlSource::next_key`].
    pub fn insert(&mut self, table: &str, row: Row) {
        let k = self.key_cols[table];
        let key = int(&row[k]).expect("inserted rows carry an integer key");
        debug_assert_eq!(key, self.next_key(table));
        self.next_keys.insert(table.to_string(), key + 1);
        for ((t, col), idx) in self.indexes.iter_mut() {
            if t == table {
                if let Some(fk) = int(&row[*col]) {
                    idx.added.insert((fk, key));
                }
            }
        }
        self.kept.change(table, None, Some(&row));
        if let Some(t) = self.tables.get_mut(table) {
            t.rows.push(row);
        }
    }

    /// Replace the live row with `key`; foreign key columns must not change (indexes keep
    /// the old value). Returns the row before.
    pub fn update(&mut self, table: &str, key: i64, row: Row) -> Option<Row> {
        let i = self.position(table, key)?;
        let t = self.tables.get_mut(table)?;
        self.kept.change(table, Some(&t.rows[i]), Some(&row));
        Some(std::mem::replace(&mut t.rows[i], row))
    }

    /// Delete the live row with `key`. Returns it.
    pub fn delete(&mut self, table: &str, key: i64) -> Option<Row> {
        let i = self.position(table, key)?;
        self.deleted.entry(table.to_string()).or_default().insert(i);
        let row = self.tables.get(table)?.rows[i].clone();
        self.kept.change(table, Some(&row), None);
        Some(row)
    }

    /// Drop deleted rows for good (before a full read); indexes are rebuilt.
    pub fn compact(&mut self) {
        let deleted = std::mem::take(&mut self.deleted);
        if deleted.values().all(BTreeSet::is_empty) {
            return;
        }
        for (name, dead) in deleted {
            if let Some(t) = self.tables.get_mut(&name) {
                let mut i = 0usize;
                t.rows.retain(|_| {
                    i += 1;
                    !dead.contains(&(i - 1))
                });
            }
        }
        let wanted: Vec<(String, usize)> = self.indexes.keys().cloned().collect();
        for (table, col) in wanted {
            let t = self.tables.get(&table).expect("indexed tables exist");
            let idx = FkIndex::build(t, col, self.key_cols[&table]);
            self.indexes.insert((table, col), idx);
        }
    }

    /// Tables that reference `table` (by any foreign key), so rows of `table` cannot be
    /// deleted without breaking them.
    pub fn is_referenced(&self, table: &str) -> bool {
        self.tables.iter().any(|t| {
            t.schema
                .foreign_keys
                .iter()
                .any(|f| f.ref_table == table && t.schema.name != table)
        })
    }

    /// Every document (collection position, root key) that embeds `row` of `table`, in
    /// order. `row` is the change's image (the deleted row for deletes).
    pub fn affected(&self, table: &str, row: &Row) -> BTreeSet<(usize, i64)> {
        let mut out = BTreeSet::new();
        let Some(&k) = self.key_cols.get(table) else {
            return out;
        };
        let Some(key) = int(&row[k]) else {
            return out;
        };
        for occ in self.occurrences.get(table).into_iter().flatten() {
            let mut keys = vec![key];
            let mut first = true;
            let mut here = table;
            for (up, parent) in &occ.steps {
                keys = self.step_up(here, up, &keys, first.then_some(row));
                first = false;
                here = parent;
            }
            out.extend(keys.into_iter().map(|k| (occ.collection, k)));
        }
        out
    }

    fn step_up(&self, table: &str, up: &Up, keys: &[i64], image: Option<&Row>) -> Vec<i64> {
        let mut next = Vec::new();
        match up {
            Up::ViaOwnFk(col) => {
                for &k in keys {
                    let row = image.or_else(|| self.row(table, k));
                    if let Some(p) = row.and_then(|r| int(&r[*col])) {
                        next.push(p);
                    }
                }
            }
            Up::ViaReferrers { table: t, col } => {
                let idx = &self.indexes[&(t.clone(), *col)];
                for &k in keys {
                    let mut found = Vec::new();
                    idx.lookup(k, &mut found);
                    next.extend(found.into_iter().filter(|c| self.position(t, *c).is_some()));
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        next
    }

    /// The rows documents `roots` of collection `c` are built from (root rows, embedded
    /// children and copies), as a small [`Tables`] holding only the tables of `c`'s tree,
    /// for a [`crate::sim::mapping::DocMapper`] over [`solo_mapping`]`(mapping, c)`.
    pub fn gather(&self, mapping: &SqlToDocs, c: usize, roots: &[i64]) -> Tables {
        let mut picked: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        let coll = &mapping.collections[c];
        let mut live: Vec<i64> = match self.lookup(&coll.table) {
            Some(l) => roots
                .iter()
                .copied()
                .filter(|k| l.position(*k).is_some())
                .collect(),
            None => Vec::new(),
        };
        live.sort_unstable();
        live.dedup();
        self.gather_embeds(&coll.table, &live, &coll.embed, &mut picked);
        picked.entry(coll.table.as_str()).or_default().extend(live);
        let mut out = Tables::new();
        for (name, mut keys) in picked {
            let (Some(t), Some(l)) = (self.tables.get(name), self.lookup(name)) else {
                continue;
            };
            keys.sort_unstable();
            keys.dedup();
            let rows = keys.iter().filter_map(|k| l.row(*k).cloned()).collect();
            out.insert(TableData {
                schema: t.schema.clone(),
                rows,
            });
        }
        out
    }

    fn gather_embeds<'m>(
        &self,
        parent: &str,
        keys: &[i64],
        embeds: &'m [Embed],
        picked: &mut BTreeMap<&'m str, Vec<i64>>,
    ) {
        for e in embeds {
            let mut found = Vec::new();
            match e.kind {
                EmbedKind::Array | EmbedKind::IdArray => {
                    let col = self.col(&e.table, &e.foreign_key);
                    let idx = &self.indexes[&(e.table.clone(), col)];
                    for &k in keys {
                        idx.lookup(k, &mut found);
                    }
                    if let Some(l) = self.lookup(&e.table) {
                        found.retain(|c| l.position(*c).is_some());
                    }
                }
                EmbedKind::Object | EmbedKind::Merge => {
                    let col = self.col(parent, &e.foreign_key);
                    if let Some(l) = self.lookup(parent) {
                        found.extend(
                            keys.iter()
                                .filter_map(|k| l.row(*k))
                                .filter_map(|r| int(&r[col])),
                        );
                    }
                }
            }
            found.sort_unstable();
            found.dedup();
            self.gather_embeds(&e.table, &found, &e.embed, picked);
            picked.entry(e.table.as_str()).or_default().extend(found);
        }
    }
}

/// The mapping of collection `c` alone (references to other collections dropped: they
/// name fields, they do not shape the document), to map rows from [`SqlSource::gather`].
pub fn solo_mapping(mapping: &SqlToDocs, c: usize) -> SqlToDocs {
    fn strip(embeds: &mut [Embed]) {
        for e in embeds {
            e.references.clear();
            strip(&mut e.embed);
        }
    }
    let mut m = mapping.clone();
    let mut coll = m.collections.swap_remove(c);
    coll.references.clear();
    strip(&mut coll.embed);
    m.collections = vec![coll];
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dataset::{generate, DatasetKind};
    use crate::sim::mapping::{suggest::suggest_sql_to_docs, ConvertOptions, DocMapper};

    #[test]
    fn gathered_rows_map_to_the_same_documents_as_the_full_tables() {
        let d = generate(DatasetKind::Ecommerce, 5, 400).unwrap();
        let m = suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping;
        let src = SqlSource::new(d.tables.clone(), &m).unwrap();
        let full = DocMapper::new(&m, &d.tables).unwrap();
        let (all, _) = full.collect();
        let c = full.collection_index("customers").unwrap();
        let roots: Vec<i64> = (0..full.root_rows(c))
            .step_by(7)
            .map(|i| int(full.root_key(c, i).unwrap()).unwrap())
            .collect();
        let mini = src.gather(&m, c, &roots);
        let solo = solo_mapping(&m, c);
        let part = DocMapper::new(&solo, &mini).unwrap();
        let (docs, _) = part.collect();
        assert_eq!(docs[0].docs.len(), roots.len());
        for d in &docs[0].docs {
            assert!(all[c].docs.contains(d));
        }
    }

    #[test]
    fn a_nested_child_reaches_its_root_and_deletes_are_tombstones() {
        let d = generate(DatasetKind::Ecommerce, 5, 400).unwrap();
        let m = suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping;
        let mut src = SqlSource::new(d.tables.clone(), &m).unwrap();
        let items = d.tables.get("order_items").unwrap();
        let item = items.rows[3].clone();
        let order = src.row("orders", int(&item[1]).unwrap()).unwrap().clone();
        let c = m
            .collections
            .iter()
            .position(|c| c.table == "customers")
            .unwrap();
        let want: BTreeSet<(usize, i64)> = [(c, int(&order[1]).unwrap())].into();
        assert_eq!(src.affected("order_items", &item), want);
        let key = int(&item[0]).unwrap();
        let before = src.live_rows("order_items");
        assert_eq!(src.delete("order_items", key), Some(item.clone()));
        assert_eq!(src.row("order_items", key), None);
        assert_eq!(src.live_rows("order_items"), before - 1);
        src.compact();
        assert_eq!(src.live_rows("order_items"), before - 1);
        assert_eq!(
            src.tables.get("order_items").unwrap().rows.len(),
            before - 1
        );
        assert!(src.is_referenced("orders") && !src.is_referenced("order_items"));
    }

    #[test]
    fn kept_checksums_follow_inserts_updates_and_deletes() {
        use crate::sim::migrate::workload::{WriteWorkload, Writer};
        use crate::sim::time::SimTime;
        let d = generate(DatasetKind::Ecommerce, 8, 500).unwrap();
        let m = suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping;
        let mut src = SqlSource::new(d.tables.clone(), &m).unwrap();
        let used = m.tables_used();
        assert_eq!(src.checksums(), checksum_tables(&d.tables, Some(&used)));
        let mut w = Writer::new(8, WriteWorkload::default(), used.iter().cloned().collect());
        let mut ops = BTreeSet::new();
        for i in 0..400 {
            if let Some(e) = w.write(&mut src, SimTime::from_ms(i)) {
                ops.insert(format!("{:?}", e.op));
            }
        }
        assert_eq!(ops.len(), 3, "inserts, updates and deletes: {ops:?}");
        let kept = src.checksums();
        assert_ne!(kept, checksum_tables(&d.tables, Some(&used)));
        src.compact();
        assert_eq!(kept, checksum_tables(&src.tables, Some(&used)));
    }
}
