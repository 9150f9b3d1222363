//! One table: its columns, rows (keyed by a row id that grows like PostgreSQL's heap, so
//! an updated row moves to the end), constraints and indexes. The table checks unique
//! indexes itself; everything that needs other tables (foreign keys) lives in `dml.rs`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::ast::Expr;

use super::value::{Failure, SqlType, Value};

/// One row: a value per column, in column order.
pub type Row = Vec<Value>;

/// A column definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Name as PostgreSQL stores it (unquoted identifiers folded to lower case).
    pub name: String,
    /// Declared type, with its modifier (`VARCHAR(20)`, `NUMERIC(5,2)`).
    pub ty: SqlType,
    /// `NOT NULL` (primary key columns are always not null).
    pub not_null: bool,
    /// The `DEFAULT`, if any.
    pub default: Option<ColumnDefault>,
}

/// A column default: the `DEFAULT` expression's value (defaults are constant in the supported
/// subset) and its type. Like PostgreSQL, the conversion to the column type (range and
/// `NUMERIC(p,s)` / `VARCHAR(n)` checks included) runs on each use, so
/// `NUMERIC(3,2) DEFAULT 100` is accepted and fails only when a row needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDefault {
    /// The expression's value.
    pub value: Value,
    /// The expression's type (before conversion to the column type).
    pub ty: SqlType,
}

impl Column {
    /// The value a row gets when this column is not given (NULL without a default).
    pub fn default_value(&self) -> Result<Value, Failure> {
        match &self.default {
            None => Ok(Value::Null),
            Some(d) => super::value::convert(d.value.clone(), &d.ty, &self.ty, false),
        }
    }
}

/// What a foreign key does to referencing rows when a referenced row is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FkAction {
    /// `NO ACTION` (the default): error at the end of the statement if still referenced.
    NoAction,
    /// `RESTRICT`: error if referenced.
    Restrict,
    /// `CASCADE`: delete the referencing rows too.
    Cascade,
    /// `SET NULL`: set the referencing columns to NULL.
    SetNull,
}

/// A table constraint (not-null lives on [`Column`]).
#[derive(Clone, Debug, PartialEq)]
pub enum ConstraintKind {
    /// Backed by the unique index of the same name.
    PrimaryKey,
    /// Backed by the unique index of the same name.
    Unique,
    /// `FOREIGN KEY (columns) REFERENCES ref_table (ref_columns) ON DELETE on_delete`.
    ForeignKey {
        /// Referencing columns of this table.
        columns: Vec<String>,
        /// Referenced table.
        ref_table: String,
        /// Referenced columns (a primary key or unique constraint of `ref_table`).
        ref_columns: Vec<String>,
        /// What deleting a referenced row does.
        on_delete: FkAction,
    },
    /// A boolean expression over the row's columns; the row is refused when it is false.
    Check {
        /// The expression as written (column names are kept current by renames).
        expr: Box<Expr>,
    },
}

/// A named table constraint.
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    /// Unique among the store's constraints (PostgreSQL's default names).
    pub name: String,
    /// What it enforces.
    pub kind: ConstraintKind,
}

/// An index key value, ordered as PostgreSQL orders the type.
#[derive(Clone, Debug, PartialEq)]
pub struct Key(pub Value);

impl Eq for Key {}
impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A B-tree index over some columns. Unique indexes refuse a second row with equal non-NULL
/// keys (NULLs are distinct, as in PostgreSQL).
#[derive(Clone, Debug, PartialEq)]
pub struct Index {
    /// Relation name (shares the namespace with tables).
    pub name: String,
    /// Column positions.
    pub columns: Vec<usize>,
    /// Refuses duplicate non-NULL keys.
    pub unique: bool,
    entries: BTreeSet<(Vec<Key>, u64)>,
}

impl Index {
    /// An empty index.
    pub fn new(name: String, columns: Vec<usize>, unique: bool) -> Index {
        Index {
            name,
            columns,
            unique,
            entries: BTreeSet::new(),
        }
    }

    fn key(&self, row: &[Value]) -> Vec<Key> {
        self.columns.iter().map(|&c| Key(row[c].clone())).collect()
    }

    /// The row id already holding `key`, if this is a unique index and the key has no NULL.
    fn conflict(&self, key: &[Key]) -> Option<u64> {
        if !self.unique || key.iter().any(|k| k.0.is_null()) {
            return None;
        }
        let lo = (key.to_vec(), 0);
        let hi = (key.to_vec(), u64::MAX);
        self.entries.range(lo..=hi).next().map(|(_, id)| *id)
    }

    /// Row ids in key order.
    pub fn row_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.entries.iter().map(|(_, id)| *id)
    }

    /// Row ids whose key equals `key` (all columns, in index column order).
    pub fn lookup(&self, key: &[Value]) -> Vec<u64> {
        let k: Vec<Key> = key.iter().cloned().map(Key).collect();
        let lo = (k.clone(), 0);
        let hi = (k, u64::MAX);
        self.entries.range(lo..=hi).map(|(_, id)| *id).collect()
    }

    /// Number of entries (one per row).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub(crate) name: String,
    pub(crate) columns: Vec<Column>,
    pub(crate) rows: BTreeMap<u64, Row>,
    /// In creation order (PostgreSQL checks unique indexes in that order).
    pub(crate) indexes: Vec<Index>,
    /// In creation order.
    pub(crate) constraints: Vec<Constraint>,
}

/// `Key (a, b)=(1, x)`, as in PostgreSQL's DETAIL lines.
pub fn key_text(names: &[&str], values: &[Value], types: &[&SqlType]) -> String {
    let vals: Vec<String> = values
        .iter()
        .zip(types)
        .map(|(v, t)| v.to_text_as(t).unwrap_or_else(|| "null".into()))
        .collect();
    format!("Key ({})=({})", names.join(", "), vals.join(", "))
}

impl Table {
    /// An empty table.
    pub fn new(name: String, columns: Vec<Column>) -> Table {
        Table {
            name,
            columns,
            rows: BTreeMap::new(),
            indexes: Vec::new(),
            constraints: Vec::new(),
        }
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Columns in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Constraints in creation order.
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// Indexes (including those backing primary key and unique constraints), in creation order.
    pub fn indexes(&self) -> &[Index] {
        &self.indexes
    }

    /// Number of rows.
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// Position of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The primary key's index, if the table has one.
    pub fn primary_key(&self) -> Option<&Index> {
        let name = self
            .constraints
            .iter()
            .find(|c| c.kind == ConstraintKind::PrimaryKey)?
            .name
            .as_str();
        self.indexes.iter().find(|i| i.name == name)
    }

    /// Rows ordered by primary key; without one, in physical order (insertion order, where an
    /// updated row moves to the end, as in PostgreSQL's heap).
    pub fn rows_by_primary_key(&self) -> Vec<&Row> {
        match self.primary_key() {
            Some(pk) => pk.row_ids().filter_map(|id| self.rows.get(&id)).collect(),
            None => self.rows.values().collect(),
        }
    }

    /// Rows with their ids, in physical order.
    pub fn rows_physical(&self) -> impl Iterator<Item = (u64, &Row)> {
        self.rows.iter().map(|(id, r)| (*id, r))
    }

    pub(crate) fn row(&self, id: u64) -> Option<&Row> {
        self.rows.get(&id)
    }

    fn unique_failure(&self, index: &Index, row: &[Value], verb: &str) -> Failure {
        let names: Vec<&str> = index
            .columns
            .iter()
            .map(|&c| self.columns[c].name.as_str())
            .collect();
        let types: Vec<&SqlType> = index.columns.iter().map(|&c| &self.columns[c].ty).collect();
        let vals: Vec<Value> = index.columns.iter().map(|&c| row[c].clone()).collect();
        Failure::with_detail(
            format!(
                "duplicate key value violates unique constraint \"{}\"",
                index.name
            ),
            format!("{} {verb}.", key_text(&names, &vals, &types)),
        )
    }

    /// Add a row under `id`, checking every unique index first (in creation order).
    pub(crate) fn insert_row(&mut self, id: u64, row: Row) -> Result<(), Failure> {
        for index in &self.indexes {
            if index.conflict(&index.key(&row)).is_some() {
                return Err(self.unique_failure(index, &row, "already exists"));
            }
        }
        self.put_row(id, row);
        Ok(())
    }

    /// True when `row` would violate a unique index (only `index` when given).
    pub(crate) fn conflicts(&self, row: &[Value], index: Option<&str>) -> bool {
        self.indexes
            .iter()
            .filter(|i| index.is_none_or(|n| n == i.name))
            .any(|i| i.conflict(&i.key(row)).is_some())
    }

    /// Add a row without checks (restoring a row the undo log removed).
    pub(crate) fn put_row(&mut self, id: u64, row: Row) {
        for index in &mut self.indexes {
            let key = index.key(&row);
            index.entries.insert((key, id));
        }
        self.rows.insert(id, row);
    }

    /// Remove a row, returning it.
    pub(crate) fn remove_row(&mut self, id: u64) -> Option<Row> {
        let row = self.rows.remove(&id)?;
        for index in &mut self.indexes {
            let key = index.key(&row);
            index.entries.remove(&(key, id));
        }
        Some(row)
    }

    /// Build an index over the current rows, as `CREATE INDEX` does: a unique index refuses
    /// duplicates with PostgreSQL's `could not create unique index` error.
    pub(crate) fn build_index(&self, mut index: Index) -> Result<Index, Failure> {
        for (&id, row) in &self.rows {
            let key = index.key(row);
            if index.conflict(&key).is_some() {
                let mut f = self.unique_failure(&index, row, "is duplicated");
                f.message = format!("could not create unique index \"{}\"", index.name);
                return Err(f);
            }
            index.entries.insert((key, id));
        }
        Ok(index)
    }

    /// Rebuild every index from the rows (after a column's type or position changed).
    pub(crate) fn rebuild_indexes(&mut self) -> Result<(), Failure> {
        let indexes = std::mem::take(&mut self.indexes);
        for index in indexes {
            let fresh = Index::new(index.name, index.columns, index.unique);
            let built = self.build_index(fresh)?;
            self.indexes.push(built);
        }
        Ok(())
    }

    /// `Failing row contains (1, null).`
    pub(crate) fn failing_row(&self, row: &[Value]) -> String {
        let vals: Vec<String> = row
            .iter()
            .zip(&self.columns)
            .map(|(v, c)| v.to_text_as(&c.ty).unwrap_or_else(|| "null".into()))
            .collect();
        format!("Failing row contains ({}).", vals.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let col = |name: &str| Column {
            name: name.into(),
            ty: SqlType::Int,
            not_null: false,
            default: None,
        };
        let mut t = Table::new("t".into(), vec![col("id"), col("v")]);
        t.indexes.push(Index::new("t_pkey".into(), vec![0], true));
        t.constraints.push(Constraint {
            name: "t_pkey".into(),
            kind: ConstraintKind::PrimaryKey,
        });
        t
    }

    #[test]
    fn unique_index_refuses_duplicates_but_not_nulls() {
        let mut t = table();
        t.insert_row(1, vec![Value::Int(2), Value::Null]).unwrap();
        let e = t
            .insert_row(2, vec![Value::Int(2), Value::Null])
            .unwrap_err();
        assert_eq!(
            e.message,
            "duplicate key value violates unique constraint \"t_pkey\""
        );
        assert_eq!(e.detail.as_deref(), Some("Key (id)=(2) already exists."));
        t.indexes.push(Index::new("t_v_key".into(), vec![1], true));
        t.rebuild_indexes().unwrap();
        t.insert_row(3, vec![Value::Int(3), Value::Null]).unwrap();
        assert_eq!(t.row_count(), 2);
    }

    #[test]
    fn rows_come_in_primary_key_order_and_removal_updates_indexes() {
        let mut t = table();
        for (id, k) in [(1, 5), (2, 1), (3, 3)] {
            t.insert_row(id, vec![Value::Int(k), Value::Null]).unwrap();
        }
        let keys: Vec<i64> = t
            .rows_by_primary_key()
            .iter()
            .map(|r| match r[0] {
                Value::Int(i) => i,
                _ => -1,
            })
            .collect();
        assert_eq!(keys, vec![1, 3, 5]);
        t.remove_row(2).unwrap();
        t.insert_row(4, vec![Value::Int(1), Value::Null]).unwrap();
        assert_eq!(t.primary_key().unwrap().lookup(&[Value::Int(1)]), vec![4]);
    }

    #[test]
    fn building_a_unique_index_over_duplicates_fails() {
        let mut t = table();
        t.insert_row(1, vec![Value::Int(1), Value::Int(7)]).unwrap();
        t.insert_row(2, vec![Value::Int(2), Value::Int(7)]).unwrap();
        let e = t
            .build_index(Index::new("t_v_key".into(), vec![1], true))
            .unwrap_err();
        assert_eq!(e.message, "could not create unique index \"t_v_key\"");
        assert_eq!(e.detail.as_deref(), Some("Key (v)=(7) is duplicated."));
    }
}
