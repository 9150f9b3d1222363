//! Relational data as the mapping layer sees it: table schemas (columns, primary key, foreign
//! keys) and rows held as typed [`Value`] vectors. A [`Tables`] value is read from a
//! [`SqlStore`] (after its DDL ran and rows were inserted) or built directly by a dataset
//! generator, and can be written back into a store with batched `INSERT` statements.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::sim::sql::value::{format_date, format_timestamp, json_string};
use crate::sim::sql::{ConstraintKind, Row, SqlError, SqlStore, SqlType, Table, Value};

/// Rows per `INSERT` statement when loading a store (keeps each text well below
/// [`crate::sim::sql::SQL_TEXT_BYTES_MAX`] for rows of a few hundred bytes).
pub const INSERT_BATCH_ROWS: usize = 2_000;
/// Bytes of SQL text handed to one `execute` call when loading a store.
const LOAD_TEXT_BYTES_MAX: usize = 3_000_000;

/// One column of a table schema.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSchema {
    /// Column name as stored (lower case for unquoted identifiers).
    pub name: String,
    /// Column type.
    pub ty: SqlType,
    /// `NOT NULL` (always true for primary key columns).
    pub not_null: bool,
}

/// A foreign key: `columns` of this table reference `ref_columns` of `ref_table`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKey {
    /// Referencing columns of this table.
    pub columns: Vec<String>,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns (its primary key or a unique key).
    pub ref_columns: Vec<String>,
}

/// A table's shape: columns in order, primary key positions and foreign keys.
#[derive(Clone, Debug, PartialEq)]
pub struct TableSchema {
    /// Table name.
    pub name: String,
    /// Columns in table order.
    pub columns: Vec<ColumnSchema>,
    /// Positions (into `columns`) of the primary key; empty when the table has none.
    pub primary_key: Vec<usize>,
    /// Foreign keys in creation order.
    pub foreign_keys: Vec<ForeignKey>,
}

impl TableSchema {
    /// The schema of a store table.
    pub fn from_table(t: &Table) -> TableSchema {
        let columns = t
            .columns()
            .iter()
            .map(|c| ColumnSchema {
                name: c.name.clone(),
                ty: c.ty.clone(),
                not_null: c.not_null,
            })
            .collect();
        let primary_key = t
            .primary_key()
            .map(|i| i.columns.clone())
            .unwrap_or_default();
        let foreign_keys = t
            .constraints()
            .iter()
            .filter_map(|c| match &c.kind {
                ConstraintKind::ForeignKey {
                    columns,
                    ref_table,
                    ref_columns,
                    ..
                } => Some(ForeignKey {
                    columns: columns.clone(),
                    ref_table: ref_table.clone(),
                    ref_columns: ref_columns.clone(),
                }),
                _ => None,
            })
            .collect();
        TableSchema {
            name: t.name().to_string(),
            columns,
            primary_key,
            foreign_keys,
        }
    }

    /// Position of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The single primary key column, when the key has exactly one column.
    pub fn single_key(&self) -> Option<usize> {
        match self.primary_key.as_slice() {
            [k] => Some(*k),
            _ => None,
        }
    }

    /// The single-column foreign key on `column`, if one is declared.
    pub fn foreign_key_on(&self, column: &str) -> Option<&ForeignKey> {
        self.foreign_keys
            .iter()
            .find(|f| f.columns.len() == 1 && f.columns[0] == column)
    }

    /// `CREATE TABLE` text for this schema (types spelled so the SQL store parses them back).
    pub fn create_sql(&self) -> String {
        let mut parts: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let nn = if c.not_null { " NOT NULL" } else { "" };
                format!("{} {}{nn}", quote(&c.name), type_sql(&c.ty))
            })
            .collect();
        if !self.primary_key.is_empty() {
            let cols: Vec<String> = self
                .primary_key
                .iter()
                .map(|&i| quote(&self.columns[i].name))
                .collect();
            parts.push(format!("PRIMARY KEY ({})", cols.join(", ")));
        }
        for fk in &self.foreign_keys {
            parts.push(format!(
                "FOREIGN KEY ({}) REFERENCES {} ({})",
                quote_list(&fk.columns),
                quote(&fk.ref_table),
                quote_list(&fk.ref_columns)
            ));
        }
        format!(
            "CREATE TABLE {} (\n  {}\n);\n",
            quote(&self.name),
            parts.join(",\n  ")
        )
    }
}

/// A quoted identifier (`"primary"`), so reserved words and any characters are safe.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_list(names: &[String]) -> String {
    let q: Vec<String> = names.iter().map(|n| quote(n)).collect();
    q.join(", ")
}

/// A type as SQL text the store's parser accepts (`NUMERIC(10,2)`, `VARCHAR(40)`, ...).
pub fn type_sql(ty: &SqlType) -> String {
    match ty {
        SqlType::SmallInt => "SMALLINT".into(),
        SqlType::Int => "INTEGER".into(),
        SqlType::BigInt => "BIGINT".into(),
        SqlType::Real => "REAL".into(),
        SqlType::Double => "DOUBLE PRECISION".into(),
        SqlType::Numeric(None) => "NUMERIC".into(),
        SqlType::Numeric(Some((p, s))) => format!("NUMERIC({p},{s})"),
        SqlType::Text => "TEXT".into(),
        SqlType::Varchar(None) => "VARCHAR".into(),
        SqlType::Varchar(Some(n)) => format!("VARCHAR({n})"),
        SqlType::Bool => "BOOLEAN".into(),
        SqlType::Date => "DATE".into(),
        SqlType::Timestamp => "TIMESTAMP".into(),
    }
}

/// Parse the type spellings [`type_sql`] produces (case-insensitive, plus common aliases).
pub fn parse_type(text: &str) -> Option<SqlType> {
    let t = text.trim().to_ascii_uppercase();
    let (head, args) = match t.split_once('(') {
        Some((h, rest)) => (
            h.trim().to_string(),
            Some(rest.strip_suffix(')')?.to_string()),
        ),
        None => (t.clone(), None),
    };
    let nums: Option<Vec<u32>> = args
        .as_deref()
        .map(|a| a.split(',').map(|n| n.trim().parse().ok()).collect())
        .unwrap_or(Some(Vec::new()));
    let nums = nums?;
    Some(match (head.as_str(), nums.as_slice()) {
        ("SMALLINT" | "INT2", []) => SqlType::SmallInt,
        ("INT" | "INTEGER" | "INT4", []) => SqlType::Int,
        ("BIGINT" | "INT8", []) => SqlType::BigInt,
        ("REAL" | "FLOAT4", []) => SqlType::Real,
        ("DOUBLE PRECISION" | "FLOAT8", []) => SqlType::Double,
        ("NUMERIC" | "DECIMAL", []) => SqlType::Numeric(None),
        ("NUMERIC" | "DECIMAL", [p]) if (1..=38).contains(p) => SqlType::Numeric(Some((*p, 0))),
        ("NUMERIC" | "DECIMAL", [p, s]) if (1..=38).contains(p) && s <= p => {
            SqlType::Numeric(Some((*p, *s)))
        }
        ("TEXT", []) => SqlType::Text,
        ("VARCHAR", []) => SqlType::Varchar(None),
        ("VARCHAR", [n]) if *n >= 1 => SqlType::Varchar(Some(*n)),
        ("BOOLEAN" | "BOOL", []) => SqlType::Bool,
        ("DATE", []) => SqlType::Date,
        ("TIMESTAMP", []) => SqlType::Timestamp,
        _ => return None,
    })
}

/// One table: its schema and rows (each row has one value per column, in column order).
#[derive(Clone, Debug, PartialEq)]
pub struct TableData {
    /// The table's schema.
    pub schema: TableSchema,
    /// Rows in primary key order when read from a store; generators emit them in key order.
    pub rows: Vec<Row>,
}

/// Tables by name (ordered, so every walk over them is deterministic).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tables {
    tables: BTreeMap<String, TableData>,
}

impl Tables {
    /// No tables.
    pub fn new() -> Tables {
        Tables::default()
    }

    /// Add or replace a table.
    pub fn insert(&mut self, t: TableData) {
        self.tables.insert(t.schema.name.clone(), t);
    }

    /// A table by name.
    pub fn get(&self, name: &str) -> Option<&TableData> {
        self.tables.get(name)
    }

    /// A table by name, mutable (generators and tests fill rows through this).
    pub fn get_mut(&mut self, name: &str) -> Option<&mut TableData> {
        self.tables.get_mut(name)
    }

    /// Tables in name order.
    pub fn iter(&self) -> impl Iterator<Item = &TableData> {
        self.tables.values()
    }

    /// Table names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// Rows over all tables.
    pub fn row_count(&self) -> usize {
        self.tables.values().map(|t| t.rows.len()).sum()
    }

    /// Every table of a store with its rows (primary key order), cloned out of the store.
    pub fn from_store(store: &SqlStore) -> Tables {
        let mut out = Tables::new();
        for t in store.tables() {
            let rows = t.rows_by_primary_key().into_iter().cloned().collect();
            out.insert(TableData {
                schema: TableSchema::from_table(t),
                rows,
            });
        }
        out
    }

    /// The schemas of a store's tables, without rows.
    pub fn schema_of(store: &SqlStore) -> Tables {
        let mut out = Tables::new();
        for t in store.tables() {
            out.insert(TableData {
                schema: TableSchema::from_table(t),
                rows: Vec::new(),
            });
        }
        out
    }

    /// Table names ordered so that every referenced table comes before the tables that
    /// reference it (self-references ignored); cycles keep name order for the rest.
    pub fn load_order(&self) -> Vec<&str> {
        let mut done: Vec<&str> = Vec::new();
        let mut left: Vec<&str> = self.names().collect();
        while !left.is_empty() {
            let ready = left.iter().position(|name| {
                let s = &self.tables[*name].schema;
                s.foreign_keys.iter().all(|fk| {
                    fk.ref_table == *name
                        || done.contains(&fk.ref_table.as_str())
                        || !left.contains(&fk.ref_table.as_str())
                })
            });
            let i = ready.unwrap_or(0);
            done.push(left.remove(i));
        }
        done
    }

    /// `CREATE TABLE` text for every table, referenced tables first.
    pub fn create_sql(&self) -> String {
        self.load_order()
            .into_iter()
            .map(|n| self.tables[n].schema.create_sql())
            .collect()
    }

    /// Insert every row into `store` (whose tables must already exist), parents first, with
    /// multi-row `INSERT` statements. Returns the number of rows inserted.
    pub fn load_into(&self, store: &mut SqlStore) -> Result<u64, SqlError> {
        let mut total = 0u64;
        for name in self.load_order() {
            let t = &self.tables[name];
            let cols: Vec<String> = t.schema.columns.iter().map(|c| quote(&c.name)).collect();
            let head = format!("INSERT INTO {} ({}) VALUES ", quote(name), cols.join(", "));
            let mut text = String::with_capacity(LOAD_TEXT_BYTES_MAX + 4096);
            for chunk in t.rows.chunks(INSERT_BATCH_ROWS) {
                text.push_str(&head);
                for (i, row) in chunk.iter().enumerate() {
                    text.push_str(if i == 0 { "(" } else { ",(" });
                    for (j, v) in row.iter().enumerate() {
                        if j > 0 {
                            text.push(',');
                        }
                        push_literal(&mut text, v);
                    }
                    text.push(')');
                }
                text.push_str(";\n");
                if text.len() >= LOAD_TEXT_BYTES_MAX {
                    store.execute(&text)?;
                    text.clear();
                }
            }
            if !text.is_empty() {
                store.execute(&text)?;
            }
            total += t.rows.len() as u64;
        }
        Ok(total)
    }
}

/// A value as a SQL literal that the column's assignment cast accepts.
fn push_literal(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("NULL"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        Value::Real(x) if x.is_finite() => {
            let _ = write!(out, "{x:e}");
        }
        Value::Real(x) => {
            let _ = write!(
                out,
                "'{}'",
                if x.is_nan() {
                    "NaN"
                } else if *x > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                }
            );
        }
        Value::Numeric(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Text(s) => {
            out.push('\'');
            out.push_str(&s.replace('\'', "''"));
            out.push('\'');
        }
        Value::Date(d) => {
            let _ = write!(out, "'{}'", format_date(*d));
        }
        Value::Timestamp(t) => {
            let _ = write!(out, "'{}'", format_timestamp(*t));
        }
    }
}

/// A value ordered by [`Value::total_cmp`], for ordered sets and maps of keys.
#[derive(Clone, Debug, PartialEq)]
pub struct OrdValue(pub Value);

impl Eq for OrdValue {}
impl Ord for OrdValue {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl PartialOrd for OrdValue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A key value for messages: `42` or `"abc"` (JSON-like, so strings show quotes).
pub fn key_text(values: &[&Value]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::Text(s) => json_string(s),
            v => v.to_text().unwrap_or_else(|| "null".into()),
        })
        .collect();
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_comes_from_store_and_rows_load_back() {
        let mut store = SqlStore::new();
        store
            .execute(
                "CREATE TABLE p (id BIGINT PRIMARY KEY, price NUMERIC(10,2) NOT NULL);
                 CREATE TABLE c (id BIGINT PRIMARY KEY, p_id BIGINT REFERENCES p(id), at TIMESTAMP, ok BOOLEAN, d DATE, t TEXT);
                 INSERT INTO p VALUES (1, 9.99);
                 INSERT INTO c VALUES (5, 1, '2024-01-02 03:04:05.5', true, '2024-02-29', 'it''s');",
            )
            .unwrap();
        let tables = Tables::from_store(&store);
        let c = tables.get("c").unwrap();
        assert_eq!(c.schema.primary_key, vec![0]);
        assert_eq!(c.schema.foreign_key_on("p_id").unwrap().ref_table, "p");
        assert_eq!(tables.load_order(), vec!["p", "c"]);
        let mut fresh = SqlStore::new();
        fresh.execute(&tables.create_sql()).unwrap();
        assert_eq!(tables.load_into(&mut fresh).unwrap(), 2);
        assert_eq!(Tables::from_store(&fresh), tables);
    }

    #[test]
    fn type_text_round_trips() {
        for ty in [
            SqlType::SmallInt,
            SqlType::Int,
            SqlType::BigInt,
            SqlType::Real,
            SqlType::Double,
            SqlType::Numeric(None),
            SqlType::Numeric(Some((10, 2))),
            SqlType::Text,
            SqlType::Varchar(Some(40)),
            SqlType::Bool,
            SqlType::Date,
            SqlType::Timestamp,
        ] {
            assert_eq!(parse_type(&type_sql(&ty)), Some(ty.clone()), "{ty}");
        }
        assert_eq!(parse_type("numeric(3, 5)"), None);
        assert_eq!(parse_type("blob"), None);
    }
}
