//! Mapping rules as data (serde JSON), in the spirit of MongoDB Relational Migrator.
//!
//! SQL -> documents ([`SqlToDocs`]): each collection comes from one table (its primary key
//! becomes `_id`); [`Embed`] rules pull related rows in: `array` (1:N children as an array of
//! sub-documents, their foreign key column dropped), `object` (N:1: the referenced row as a
//! sub-document replacing the foreign key column), `merge` (the referenced row's columns merged
//! into the parent under a prefix), `id_array` (many-to-many: a join table as an array of ids).
//! Embeds nest (`orders` with `items` inside `customers`). [`Reference`] rules document a
//! foreign key kept as an id field.
//!
//! Documents -> SQL ([`DocsToSql`]): target tables (DDL as data) and, per collection, a tree
//! of [`TableRule`]s: the root object becomes a row, sub-document fields become flattened
//! columns (`name.first` -> `name_first`) or rows of their own table, arrays become child rows
//! with a foreign key (and a position column when elements have no key of their own), arrays
//! of scalars become join rows. [`SqlToDocs::inverse`] derives the rules that read documents
//! back into the source tables, which is how checksums compare the two sides.

use crate::sim::sort::CollectOrdered;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::convert::{json_to_sql, ConvertOptions, Tally, EMBEDDED_ITEMS_LIMIT};
use super::relational::{parse_type, type_sql, ColumnSchema, ForeignKey, TableSchema, Tables};
use crate::sim::sql::Value;

/// Deepest nesting of embed rules (or table rules) below a collection.
pub const NESTING_MAX: usize = 8;
/// Collections (or target tables) one mapping may name.
pub const RULES_MAX: usize = 1_000;

/// A mapping in either direction; the JSON form is `{"sql_to_docs": {...}}` or
/// `{"docs_to_sql": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Mapping {
    /// Tables to collections.
    SqlToDocs(SqlToDocs),
    /// Collections to tables.
    DocsToSql(DocsToSql),
}

impl Mapping {
    /// Parse a mapping from JSON text.
    pub fn from_json(text: &str) -> Result<Mapping, MappingError> {
        serde_json::from_str(text).map_err(|e| MappingError::Parse(e.to_string()))
    }
    /// Pretty JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Tables to collections.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlToDocs {
    /// Conversion settings.
    #[serde(default)]
    pub options: ConvertOptions,
    /// One entry per target collection.
    pub collections: Vec<CollectionMap>,
}

/// One collection built from one table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionMap {
    /// Collection name.
    pub collection: String,
    /// Source table; its single-column primary key becomes `_id`.
    pub table: String,
    /// Why this table is a collection of its own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Related rows embedded into each document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embed: Vec<Embed>,
    /// Foreign keys kept as id fields (documentation; the column stays a field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

/// How related rows enter a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbedKind {
    /// 1:N: child rows (whose `foreign_key` references this row) as an array of objects.
    Array,
    /// N:1: the row this row's `foreign_key` references, as a sub-document in `field`.
    Object,
    /// N:1 or 1:1: the referenced row's columns merged in, each named `field` + column.
    Merge,
    /// Many-to-many: join rows (whose `foreign_key` references this row) as an array of their
    /// `value_column`.
    IdArray,
}

/// One embed rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Embed {
    /// How the rows enter.
    pub kind: EmbedKind,
    /// The embedded table.
    pub table: String,
    /// `array`/`id_array`: column of the embedded table referencing this row's key;
    /// `object`/`merge`: column of this row referencing the embedded table's key.
    pub foreign_key: String,
    /// Document field (for `merge`: the prefix of the merged field names).
    pub field: String,
    /// `id_array` only: the join table column whose values fill the array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_column: Option<String>,
    /// Why this relationship is embedded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Embeds inside the embedded rows (`array` and `object` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embed: Vec<Embed>,
    /// Foreign keys of the embedded rows kept as id fields (documentation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

/// A foreign key kept as an id field pointing at another collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Column (and field) holding the id.
    pub column: String,
    /// Collection the id points into.
    pub collection: String,
    /// Why it is referenced rather than embedded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Collections to tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocsToSql {
    /// Conversion settings.
    #[serde(default)]
    pub options: ConvertOptions,
    /// Target tables (created with the DDL these describe).
    pub tables: Vec<TargetTable>,
    /// One entry per source collection.
    pub collections: Vec<CollectionRule>,
}

/// A target table definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetTable {
    /// Table name.
    pub table: String,
    /// Columns in order.
    pub columns: Vec<TargetColumn>,
    /// Primary key columns.
    #[serde(default)]
    pub primary_key: Vec<String>,
    /// Foreign keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<TargetForeignKey>,
    /// Why the table exists.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// A target column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetColumn {
    /// Column name.
    pub name: String,
    /// SQL type text, e.g. `BIGINT`, `NUMERIC(10,2)`, `TIMESTAMP`.
    #[serde(rename = "type")]
    pub ty: String,
    /// `NOT NULL`.
    #[serde(default)]
    pub not_null: bool,
    /// Value for documents that lack the field (JSON, converted to the column type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Json>,
}

/// A target foreign key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetForeignKey {
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns.
    pub ref_columns: Vec<String>,
}

/// The rules for one collection: its root table rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionRule {
    /// Source collection.
    pub collection: String,
    /// The rule for the document itself (`path` empty, `shape` object).
    pub root: TableRule,
}

/// What a table rule reads at its path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// One object (the context object itself when `path` is empty): one row, or none when
    /// the object is absent (or, at an empty path, when its key columns are all missing).
    #[default]
    Object,
    /// An array of objects: one row per element.
    Array,
    /// An array of scalars: one row per element, the element in `value_column`.
    IdArray,
}

/// How one table's rows come out of a document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRule {
    /// Target table.
    pub table: String,
    /// Dotted path (relative to the parent rule's object) of the object or array read.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Object, array of objects, or array of scalars.
    #[serde(default)]
    pub shape: Shape,
    /// Column <- relative field path.
    #[serde(default)]
    pub columns: Vec<ColumnRule>,
    /// Column of this table filled with the parent row's `parent_key` value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_column: Option<String>,
    /// Column of the parent table whose value fills `parent_column`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_key: Option<String>,
    /// Column filled with the 0-based array position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_column: Option<String>,
    /// `id_array`: column filled with the element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_column: Option<String>,
    /// The same row may appear in many documents (an embedded N:1 copy): keep one per key
    /// and report copies that disagree. Skipped when another rule owns the table.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dedupe: bool,
    /// Rules applied to each row's object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TableRule>,
    /// Why this table rule exists.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl TableRule {
    /// A rule for `table` reading `path` as `shape`, with nothing else set.
    pub fn new(table: &str, path: &str, shape: Shape) -> TableRule {
        TableRule {
            table: table.to_string(),
            path: path.to_string(),
            shape,
            columns: Vec::new(),
            parent_column: None,
            parent_key: None,
            position_column: None,
            value_column: None,
            dedupe: false,
            children: Vec::new(),
            reason: String::new(),
        }
    }
}

/// One column filled from a field path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRule {
    /// Target column.
    pub column: String,
    /// Dotted field path relative to the rule's object.
    pub path: String,
    /// Why the column has its type and nullability (suggestions fill this).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Why a mapping cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MappingError {
    /// Not valid mapping JSON.
    Parse(String),
    /// A table the mapping names does not exist.
    UnknownTable(String),
    /// A column the mapping names does not exist.
    UnknownColumn {
        /// The table searched.
        table: String,
        /// The missing column.
        column: String,
    },
    /// A collection the mapping names does not exist.
    UnknownCollection(String),
    /// Anything else, with the rule it concerns.
    Invalid {
        /// The rule (collection, `table.field`, or `options`).
        rule: String,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MappingError::Parse(e) => write!(f, "not a valid mapping: {e}"),
            MappingError::UnknownTable(t) => write!(f, "unknown table \"{t}\""),
            MappingError::UnknownColumn { table, column } => {
                write!(f, "unknown column \"{column}\" in table \"{table}\"")
            }
            MappingError::UnknownCollection(c) => write!(f, "unknown collection \"{c}\""),
            MappingError::Invalid { rule, reason } => write!(f, "{rule}: {reason}"),
        }
    }
}

impl std::error::Error for MappingError {}

pub(crate) fn invalid(rule: &str, reason: impl Into<String>) -> MappingError {
    MappingError::Invalid {
        rule: rule.to_string(),
        reason: reason.into(),
    }
}

pub(crate) fn schema<'a>(tables: &'a Tables, name: &str) -> Result<&'a TableSchema, MappingError> {
    tables
        .get(name)
        .map(|t| &t.schema)
        .ok_or_else(|| MappingError::UnknownTable(name.to_string()))
}

pub(crate) fn column(s: &TableSchema, name: &str) -> Result<usize, MappingError> {
    s.column_index(name)
        .ok_or_else(|| MappingError::UnknownColumn {
            table: s.name.clone(),
            column: name.to_string(),
        })
}

pub(crate) fn check_options(o: &ConvertOptions) -> Result<(), MappingError> {
    if o.embedded_items_max == 0 || o.embedded_items_max > EMBEDDED_ITEMS_LIMIT {
        let why = format!("embedded_items_max must be in 1..={EMBEDDED_ITEMS_LIMIT}");
        return Err(invalid("options", why));
    }
    if o.doc_bytes_max < 64 {
        return Err(invalid("options", "doc_bytes_max must be at least 64"));
    }
    Ok(())
}

/// The document field names one table's row gets under `embeds` (columns, minus dropped
/// foreign keys, plus embed fields), with the column each plain field comes from.
pub(crate) fn plain_fields(
    s: &TableSchema,
    root: bool,
    dropped: Option<&str>,
    embeds: &[Embed],
) -> Vec<(usize, String)> {
    let replaced: BTreeSet<&str> = embeds
        .iter()
        .filter(|e| e.kind == EmbedKind::Object)
        .map(|e| e.foreign_key.as_str())
        .collect_set();
    let key = if root { s.single_key() } else { None };
    s.columns
        .iter()
        .enumerate()
        .filter(|(_, c)| Some(c.name.as_str()) != dropped && !replaced.contains(c.name.as_str()))
        .map(|(i, c)| {
            let field = if Some(i) == key {
                crate::sim::doc::ID_FIELD.to_string()
            } else {
                c.name.clone()
            };
            (i, field)
        })
        .collect()
}

impl SqlToDocs {
    /// Check every name against the schema and the structural rules (each table owned by at
    /// most one collection or array embed, no field collisions, bounded nesting).
    pub fn validate(&self, tables: &Tables) -> Result<(), MappingError> {
        check_options(&self.options)?;
        if self.collections.len() > RULES_MAX {
            return Err(invalid("collections", format!("more than {RULES_MAX}")));
        }
        let mut owned: BTreeSet<&str> = BTreeSet::new();
        let mut names: BTreeSet<&str> = BTreeSet::new();
        for c in &self.collections {
            if !names.insert(&c.collection) {
                return Err(invalid(&c.collection, "collection named twice"));
            }
            let s = schema(tables, &c.table)?;
            if s.single_key().is_none() {
                let why = format!("table \"{}\" needs a one-column primary key", c.table);
                return Err(invalid(&c.collection, why));
            }
            own(&mut owned, &c.table, &c.collection)?;
            let top = Level {
                depth: 1,
                root: true,
                copy: false,
            };
            check_embeds(tables, s, &c.embed, &mut owned, top, None)?;
            for r in &c.references {
                column(s, &r.column)?;
            }
        }
        fn refs<'a>(e: &'a [Embed], out: &mut Vec<&'a Reference>) {
            for x in e {
                out.extend(&x.references);
                refs(&x.embed, out);
            }
        }
        let mut all = Vec::new();
        for c in &self.collections {
            all.extend(&c.references);
            refs(&c.embed, &mut all);
        }
        for r in all {
            if !names.contains(r.collection.as_str()) {
                return Err(MappingError::UnknownCollection(r.collection.clone()));
            }
        }
        Ok(())
    }

    /// Tables that appear only as `object`/`merge` copies: rows no other row references are
    /// not migrated by such a mapping (the checksums will differ for them).
    pub fn copy_only_tables(&self) -> Vec<String> {
        fn owned(e: &[Embed], out: &mut BTreeSet<String>) {
            for x in e {
                if matches!(x.kind, EmbedKind::Array | EmbedKind::IdArray) {
                    out.insert(x.table.clone());
                }
                owned(&x.embed, out);
            }
        }
        let mut own = BTreeSet::new();
        for c in &self.collections {
            own.insert(c.table.clone());
            owned(&c.embed, &mut own);
        }
        self.tables_used()
            .into_iter()
            .filter(|t| !own.contains(t))
            .collect()
    }

    /// Tables this mapping reads (collections and embeds), in name order.
    pub fn tables_used(&self) -> BTreeSet<String> {
        fn walk(e: &[Embed], out: &mut BTreeSet<String>) {
            for x in e {
                out.insert(x.table.clone());
                walk(&x.embed, out);
            }
        }
        let mut out = BTreeSet::new();
        for c in &self.collections {
            out.insert(c.table.clone());
            walk(&c.embed, &mut out);
        }
        out
    }
}

fn own<'a>(owned: &mut BTreeSet<&'a str>, table: &'a str, rule: &str) -> Result<(), MappingError> {
    if !owned.insert(table) {
        let why = format!("table \"{table}\" is already a collection or an array embed");
        return Err(invalid(rule, why));
    }
    Ok(())
}

/// Where an embed list sits: nesting depth, whether its rows are a collection root, and
/// whether they are a copy (inside an `object` embed), where owning embeds would repeat rows.
#[derive(Clone, Copy)]
struct Level {
    depth: usize,
    root: bool,
    copy: bool,
}

fn check_embeds<'a>(
    tables: &Tables,
    parent: &TableSchema,
    embeds: &'a [Embed],
    owned: &mut BTreeSet<&'a str>,
    level: Level,
    dropped: Option<&str>,
) -> Result<(), MappingError> {
    if level.depth > NESTING_MAX && !embeds.is_empty() {
        let why = format!("embeds nest deeper than {NESTING_MAX}");
        return Err(invalid(&parent.name, why));
    }
    let mut fields: BTreeSet<String> = plain_fields(parent, level.root, dropped, embeds)
        .into_iter()
        .map(|(_, f)| f)
        .collect_set();
    for e in embeds {
        let rule = format!("{}.{}", parent.name, e.field);
        let child = schema(tables, &e.table)?;
        let key = child.single_key();
        let taken = match e.kind {
            EmbedKind::Merge => child
                .columns
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != key)
                .map(|(_, c)| format!("{}{}", e.field, c.name))
                .any(|f| !fields.insert(f)),
            _ => !fields.insert(e.field.clone()),
        };
        if taken || e.field.is_empty() || e.field.contains('.') {
            return Err(invalid(&rule, "field name empty, dotted or already used"));
        }
        let owning = matches!(e.kind, EmbedKind::Array | EmbedKind::IdArray);
        if level.copy && owning {
            let why = "an array embed inside an object embed would repeat its rows in every copy";
            return Err(invalid(&rule, why));
        }
        check_embed(tables, parent, child, e, &rule, owned)?;
        for r in &e.references {
            column(child, &r.column)?;
        }
        if !e.embed.is_empty() && !matches!(e.kind, EmbedKind::Array | EmbedKind::Object) {
            return Err(invalid(&rule, "only array and object embeds may nest"));
        }
        let drop = (e.kind == EmbedKind::Array).then_some(e.foreign_key.as_str());
        let next = Level {
            depth: level.depth + 1,
            root: false,
            copy: level.copy || e.kind == EmbedKind::Object,
        };
        check_embeds(tables, child, &e.embed, owned, next, drop)?;
    }
    Ok(())
}

fn check_embed<'a>(
    tables: &Tables,
    parent: &TableSchema,
    child: &TableSchema,
    e: &'a Embed,
    rule: &str,
    owned: &mut BTreeSet<&'a str>,
) -> Result<(), MappingError> {
    let _ = tables;
    match e.kind {
        EmbedKind::Array | EmbedKind::IdArray => {
            column(child, &e.foreign_key)?;
            if parent.single_key().is_none() {
                return Err(invalid(rule, "the parent needs a one-column primary key"));
            }
            own(owned, &e.table, rule)?;
            if e.kind == EmbedKind::IdArray {
                let v = e
                    .value_column
                    .as_deref()
                    .ok_or_else(|| invalid(rule, "id_array needs value_column"))?;
                column(child, v)?;
                if child.columns.len() != 2 || v == e.foreign_key {
                    let why = "id_array needs a join table of exactly the two key columns";
                    return Err(invalid(rule, why));
                }
            }
        }
        EmbedKind::Object | EmbedKind::Merge => {
            column(parent, &e.foreign_key)?;
            if child.single_key().is_none() {
                return Err(invalid(
                    rule,
                    "the embedded table needs a one-column primary key",
                ));
            }
        }
    }
    if e.kind != EmbedKind::IdArray && e.value_column.is_some() {
        return Err(invalid(rule, "value_column is only for id_array"));
    }
    Ok(())
}

impl SqlToDocs {
    /// The rules that read this mapping's documents back into the source tables (the checksum
    /// of the documents side runs through these).
    pub fn inverse(&self, tables: &Tables) -> Result<DocsToSql, MappingError> {
        self.validate(tables)?;
        let used = self.tables_used();
        let mut targets = Vec::new();
        for name in &used {
            targets.push(TargetTable::from_schema(schema(tables, name)?));
        }
        let mut collections = Vec::new();
        for c in &self.collections {
            let s = schema(tables, &c.table)?;
            let root = inverse_rule(tables, s, "", Shape::Object, true, None, &c.embed)?;
            collections.push(CollectionRule {
                collection: c.collection.clone(),
                root,
            });
        }
        Ok(DocsToSql {
            options: self.options.clone(),
            tables: targets,
            collections,
        })
    }
}

fn inverse_rule(
    tables: &Tables,
    s: &TableSchema,
    path: &str,
    shape: Shape,
    root: bool,
    link: Option<(&str, &str)>,
    embeds: &[Embed],
) -> Result<TableRule, MappingError> {
    let dropped = link.map(|(fk, _)| fk);
    let mut columns: Vec<ColumnRule> = plain_fields(s, root, dropped, embeds)
        .into_iter()
        .map(|(i, field)| ColumnRule {
            column: s.columns[i].name.clone(),
            path: field,
            reason: String::new(),
        })
        .collect();
    let mut children = Vec::new();
    for e in embeds {
        let child = schema(tables, &e.table)?;
        let key_of = |t: &TableSchema| t.single_key().map(|k| t.columns[k].name.clone());
        match e.kind {
            EmbedKind::Array | EmbedKind::IdArray => {
                let pk = key_of(s).unwrap_or_default();
                let shape = if e.kind == EmbedKind::Array {
                    Shape::Array
                } else {
                    Shape::IdArray
                };
                let mut r = inverse_rule(
                    tables,
                    child,
                    &e.field,
                    shape,
                    false,
                    Some((&e.foreign_key, &pk)),
                    &e.embed,
                )?;
                if shape == Shape::IdArray {
                    r.columns.clear();
                    r.value_column = e.value_column.clone();
                }
                children.push(r);
            }
            EmbedKind::Object => {
                let ck = key_of(child).unwrap_or_default();
                columns.push(ColumnRule {
                    column: e.foreign_key.clone(),
                    path: format!("{}.{ck}", e.field),
                    reason: String::new(),
                });
                let mut r = inverse_rule(
                    tables,
                    child,
                    &e.field,
                    Shape::Object,
                    false,
                    None,
                    &e.embed,
                )?;
                r.dedupe = true;
                children.push(r);
            }
            EmbedKind::Merge => children.push(merge_rule(child, e)),
        }
    }
    let mut rule = TableRule::new(&s.name, path, shape);
    rule.columns = columns;
    rule.parent_column = link.map(|(fk, _)| fk.to_string());
    rule.parent_key = link.map(|(_, pk)| pk.to_string());
    rule.children = children;
    Ok(rule)
}

/// A merged row comes back from the prefixed fields; its key is the parent's foreign key.
fn merge_rule(child: &TableSchema, e: &Embed) -> TableRule {
    let key = child.single_key();
    let columns = child
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| ColumnRule {
            column: c.name.clone(),
            path: if Some(i) == key {
                e.foreign_key.clone()
            } else {
                format!("{}{}", e.field, c.name)
            },
            reason: String::new(),
        })
        .collect();
    let mut rule = TableRule::new(&child.name, "", Shape::Object);
    rule.columns = columns;
    rule.dedupe = true;
    rule
}

impl TargetTable {
    /// The definition of an existing table.
    pub fn from_schema(s: &TableSchema) -> TargetTable {
        TargetTable {
            table: s.name.clone(),
            columns: s
                .columns
                .iter()
                .map(|c| TargetColumn {
                    name: c.name.clone(),
                    ty: type_sql(&c.ty),
                    not_null: c.not_null,
                    default: None,
                })
                .collect(),
            primary_key: s
                .primary_key
                .iter()
                .map(|&i| s.columns[i].name.clone())
                .collect(),
            foreign_keys: s
                .foreign_keys
                .iter()
                .map(|f| TargetForeignKey {
                    columns: f.columns.clone(),
                    ref_table: f.ref_table.clone(),
                    ref_columns: f.ref_columns.clone(),
                })
                .collect(),
            reason: String::new(),
        }
    }

    /// The schema and the per-column defaults (already converted to the column types).
    pub fn resolve(&self) -> Result<(TableSchema, Vec<Option<Value>>), MappingError> {
        let rule = &self.table;
        let max = crate::sim::sql::COLUMNS_PER_TABLE_MAX;
        if self.columns.len() > max {
            return Err(invalid(rule, format!("more than {max} columns")));
        }
        let mut columns = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let ty = parse_type(&c.ty)
                .ok_or_else(|| invalid(rule, format!("unknown type \"{}\"", c.ty)))?;
            let not_null = c.not_null || self.primary_key.contains(&c.name);
            columns.push(ColumnSchema {
                name: c.name.clone(),
                ty,
                not_null,
            });
        }
        let mut s = TableSchema {
            name: self.table.clone(),
            columns,
            primary_key: Vec::new(),
            foreign_keys: Vec::new(),
        };
        for k in &self.primary_key {
            let i = column(&s, k)?;
            s.primary_key.push(i);
        }
        for f in &self.foreign_keys {
            for c in &f.columns {
                column(&s, c)?;
            }
            s.foreign_keys.push(ForeignKey {
                columns: f.columns.clone(),
                ref_table: f.ref_table.clone(),
                ref_columns: f.ref_columns.clone(),
            });
        }
        let mut defaults = Vec::with_capacity(s.columns.len());
        for (c, def) in s.columns.iter().zip(&self.columns) {
            let v = match &def.default {
                None => None,
                Some(j) => Some(
                    json_to_sql(Some(j), c, None, &mut Tally::default())
                        .map_err(|e| invalid(rule, format!("default of {}: {e}", c.name)))?,
                ),
            };
            defaults.push(v);
        }
        Ok((s, defaults))
    }
}

/// Target table names to definitions, refusing duplicates.
pub(crate) fn target_map(
    tables: &[TargetTable],
) -> Result<BTreeMap<&str, &TargetTable>, MappingError> {
    let mut out = BTreeMap::new();
    if tables.len() > RULES_MAX {
        return Err(invalid("tables", format!("more than {RULES_MAX}")));
    }
    for t in tables {
        if out.insert(t.table.as_str(), t).is_some() {
            return Err(invalid(&t.table, "table defined twice"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dataset::{generate, DatasetKind};

    fn check(text: &str) -> Result<(), MappingError> {
        let d = generate(DatasetKind::Content, 1, 300).unwrap();
        match Mapping::from_json(text)? {
            Mapping::SqlToDocs(m) => m.validate(&d.tables),
            Mapping::DocsToSql(_) => Ok(()),
        }
    }

    #[test]
    fn structural_mistakes_are_refused_with_the_rule_named() {
        let ok = r#"{"sql_to_docs": {"collections": [{"collection": "posts", "table": "posts", "embed": [
            {"kind": "id_array", "table": "post_tags", "foreign_key": "post_id", "field": "tag_ids", "value_column": "tag_id"}]}]}}"#;
        check(ok).unwrap();
        let clash = ok.replace("\"tag_ids\"", "\"title\"");
        assert!(check(&clash)
            .unwrap_err()
            .to_string()
            .contains("posts.title"));
        let no_value = ok.replace(", \"value_column\": \"tag_id\"", "");
        assert!(check(&no_value)
            .unwrap_err()
            .to_string()
            .contains("value_column"));
        let composite_root =
            r#"{"sql_to_docs": {"collections": [{"collection": "pt", "table": "post_tags"}]}}"#;
        assert!(check(composite_root)
            .unwrap_err()
            .to_string()
            .contains("one-column primary key"));
        let copy_owner = r#"{"sql_to_docs": {"collections": [{"collection": "comments", "table": "comments", "embed": [
            {"kind": "object", "table": "posts", "foreign_key": "post_id", "field": "post", "embed": [
              {"kind": "id_array", "table": "post_tags", "foreign_key": "post_id", "field": "tags", "value_column": "tag_id"}]}]}]}}"#;
        assert!(check(copy_owner)
            .unwrap_err()
            .to_string()
            .contains("repeat its rows"));
        let bad_ref = r#"{"sql_to_docs": {"collections": [{"collection": "posts", "table": "posts",
            "references": [{"column": "id", "collection": "nowhere"}]}]}}"#;
        assert_eq!(
            check(bad_ref),
            Err(MappingError::UnknownCollection("nowhere".into()))
        );
        let opts = r#"{"sql_to_docs": {"options": {"embedded_items_max": 0}, "collections": []}}"#;
        assert!(check(opts)
            .unwrap_err()
            .to_string()
            .contains("embedded_items_max"));
    }

    #[test]
    fn inverse_restores_keys_and_round_trips_through_json() {
        let d = generate(DatasetKind::Content, 1, 300).unwrap();
        let text = r#"{"sql_to_docs": {"collections": [{"collection": "posts", "table": "posts", "embed": [
            {"kind": "array", "table": "comments", "foreign_key": "post_id", "field": "comments"}]}]}}"#;
        let Mapping::SqlToDocs(m) = Mapping::from_json(text).unwrap() else {
            unreachable!()
        };
        let inv = m.inverse(&d.tables).unwrap();
        let child = &inv.collections[0].root.children[0];
        assert_eq!(child.parent_column.as_deref(), Some("post_id"));
        assert_eq!(inv.collections[0].root.columns[0].path, "_id");
        let again = Mapping::from_json(&Mapping::DocsToSql(inv.clone()).to_json()).unwrap();
        assert_eq!(again, Mapping::DocsToSql(inv));
    }
}
