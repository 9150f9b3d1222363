//! Mapping suggestions from the schema, the foreign-key graph and a data profile, each rule
//! with a one-sentence reason.
//!
//! SQL -> documents: a child table is embedded (as an array) in the parent whose fan-out is
//! small and bounded (max at most [`EMBED_CHILDREN_MAX`], p99 at most [`EMBED_P99_MAX`]),
//! choosing the parent with the smallest fan-out when there are several; a join table of two
//! foreign keys becomes an array of ids; a row referenced at most once by a single table is
//! embedded in it as a sub-document; everything else stays a collection and its foreign keys
//! stay ids (references), in particular tables shared by many rows (high fan-in) and
//! self-references (trees of unbounded depth). An embed whose worst-case document would
//! exceed the size limit is refused, with a warning.
//!
//! Documents -> SQL: the root object becomes a table keyed by `_id`; sub-documents become
//! flattened columns (`name.first` -> `name_first`); arrays of objects become child tables
//! keyed by (parent id, position); arrays of scalars become value tables; a path that holds
//! different types becomes a nullable column of the type that can hold them all, and a path
//! missing from some documents a nullable column.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use super::convert::ConvertOptions;
use super::profile::{profile_tables, CollectionProfile, FanOut, FieldProfile, SqlProfile};
use super::relational::{TableSchema, Tables};
use super::rules::{
    CollectionMap, CollectionRule, ColumnRule, DocsToSql, Embed, EmbedKind, Reference, Shape,
    SqlToDocs, TableRule, TargetColumn, TargetForeignKey, TargetTable,
};

/// Largest child set embedded as an array (max children of one parent).
pub const EMBED_CHILDREN_MAX: u64 = 200;
/// Largest 99th-percentile child set embedded as an array.
pub const EMBED_P99_MAX: u64 = 50;

/// A suggested mapping with the profile it came from and any warnings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suggestion<M> {
    /// The mapping (reasons are inside its rules).
    pub mapping: M,
    /// Things a reviewer should look at (e.g. documents near the size limit).
    pub warnings: Vec<String>,
}

/// Where each table goes: embedded under a parent, or its own collection.
#[derive(Clone, Debug)]
struct Placement {
    /// child table -> (parent table, embed rule without nested embeds).
    embedded: BTreeMap<String, (String, Embed)>,
}

/// Suggest a SQL -> documents mapping for `tables` (profiled here).
pub fn suggest_sql_to_docs(tables: &Tables, options: ConvertOptions) -> Suggestion<SqlToDocs> {
    let profile = profile_tables(tables);
    suggest_from_profile(tables, &profile, options)
}

/// Suggest a SQL -> documents mapping from an existing profile.
pub fn suggest_from_profile(
    tables: &Tables,
    profile: &SqlProfile,
    options: ConvertOptions,
) -> Suggestion<SqlToDocs> {
    let mut warnings = Vec::new();
    let mut place = Placement {
        embedded: BTreeMap::new(),
    };
    for t in tables.iter() {
        if let Some((parent, e)) = join_table(&t.schema, profile) {
            place.embedded.insert(t.schema.name.clone(), (parent, e));
        } else if let Some((parent, e)) = best_parent(&t.schema, profile, &place) {
            place.embedded.insert(t.schema.name.clone(), (parent, e));
        }
    }
    one_to_one(tables, profile, &mut place);
    check_sizes(tables, profile, &options, &mut place, &mut warnings);
    let roots: Vec<&str> = tables
        .names()
        .filter(|n| !place.embedded.contains_key(*n))
        .collect();
    let mut collections = Vec::new();
    for root in &roots {
        collections.push(CollectionMap {
            collection: root.to_string(),
            table: root.to_string(),
            reason: root_reason(root, &place, profile),
            embed: nested(root, &place),
            references: Vec::new(),
        });
    }
    add_references(tables, profile, &place, &mut collections);
    Suggestion {
        mapping: SqlToDocs {
            options,
            collections,
        },
        warnings,
    }
}

fn fan<'p>(p: &'p SqlProfile, child: &str, column: &str) -> Option<&'p FanOut> {
    p.fan_outs
        .iter()
        .find(|f| f.child == child && f.column == column)
}

fn bounded(f: &FanOut) -> bool {
    f.not_null && f.max <= EMBED_CHILDREN_MAX && f.p99 <= EMBED_P99_MAX
}

/// A table of exactly two key columns, both foreign keys: an array of ids in the first
/// parent whose fan-out is bounded.
fn join_table(s: &TableSchema, p: &SqlProfile) -> Option<(String, Embed)> {
    if s.columns.len() != 2 || s.primary_key.len() != 2 || s.foreign_keys.len() != 2 {
        return None;
    }
    for (a, b) in [(0, 1), (1, 0)] {
        let (fa, fb) = (&s.foreign_keys[a], &s.foreign_keys[b]);
        let f = fan(p, &s.name, &fa.columns[0])?;
        if bounded(f) && fa.ref_table != s.name {
            let reason = format!(
                "{} is a many-to-many join table; each {} row has at most {} {} (p99 {}), so the ids are embedded as an array.",
                s.name, fa.ref_table, f.max, fb.ref_table, f.p99
            );
            let e = Embed {
                kind: EmbedKind::IdArray,
                table: s.name.clone(),
                foreign_key: fa.columns[0].clone(),
                field: format!("{}_ids", fb.columns[0].trim_end_matches("_id")),
                value_column: Some(fb.columns[0].clone()),
                reason,
                embed: Vec::new(),
                references: Vec::new(),
            };
            return Some((fa.ref_table.clone(), e));
        }
    }
    None
}

/// The bounded parent with the smallest fan-out, unless that would close a cycle.
fn best_parent(s: &TableSchema, p: &SqlProfile, place: &Placement) -> Option<(String, Embed)> {
    s.single_key()?;
    let mut best: Option<&FanOut> = None;
    for fk in &s.foreign_keys {
        let [col] = fk.columns.as_slice() else {
            continue;
        };
        let Some(f) = fan(p, &s.name, col) else {
            continue;
        };
        if fk.ref_table == s.name || !bounded(f) || reaches(place, &fk.ref_table, &s.name) {
            continue;
        }
        if best.is_none_or(|b| (f.max, &f.parent) < (b.max, &b.parent)) {
            best = Some(f);
        }
    }
    let f = best?;
    let reason = format!(
        "each {} row has at most {} {} rows (mean {}, p99 {}), a small bounded set, so they are embedded as an array.",
        f.parent, f.max, f.child, f.mean, f.p99
    );
    let e = Embed {
        kind: EmbedKind::Array,
        table: s.name.clone(),
        foreign_key: f.column.clone(),
        field: s.name.clone(),
        value_column: None,
        reason,
        embed: Vec::new(),
        references: Vec::new(),
    };
    Some((f.parent.clone(), e))
}

/// True when `from` is (transitively) embedded under `target`.
fn reaches(place: &Placement, from: &str, target: &str) -> bool {
    let mut cur = from.to_string();
    for _ in 0..64 {
        if cur == target {
            return true;
        }
        match place.embedded.get(&cur) {
            Some((parent, _)) => cur = parent.clone(),
            None => return false,
        }
    }
    true
}

/// A root table referenced by exactly one NOT NULL foreign key, at most once per row and
/// from every row, and with no relationships of its own, is embedded as a sub-document.
fn one_to_one(tables: &Tables, p: &SqlProfile, place: &mut Placement) {
    for t in tables.iter() {
        let name = &t.schema.name;
        let refs: Vec<&FanOut> = p.fan_outs.iter().filter(|f| &f.parent == name).collect();
        let [f] = refs.as_slice() else { continue };
        let alone = t.schema.foreign_keys.is_empty() && !place.embedded.contains_key(name);
        let owner_embeds_it = place.embedded.values().any(|(parent, _)| parent == name);
        // Only rows that are documents or array elements can hold a sub-document.
        let holder_is_row = place
            .embedded
            .get(&f.child)
            .is_none_or(|(_, e)| e.kind == EmbedKind::Array);
        if !alone
            || owner_embeds_it
            || !holder_is_row
            || f.max > 1
            || f.childless > 0
            || f.child == *name
            || t.schema.single_key().is_none()
        {
            continue;
        }
        let reason = format!(
            "every {name} row is referenced by exactly one {} row, so it is embedded there as a sub-document (1:1).",
            f.child
        );
        let e = Embed {
            kind: EmbedKind::Object,
            table: name.clone(),
            foreign_key: f.column.clone(),
            field: f.column.trim_end_matches("_id").to_string() + "_doc",
            value_column: None,
            reason,
            embed: Vec::new(),
            references: Vec::new(),
        };
        place.embedded.insert(name.clone(), (f.child.clone(), e));
    }
}

/// Worst-case bytes of a table's document part with everything embedded below it.
fn worst_bytes(table: &str, p: &SqlProfile, place: &Placement, depth: usize) -> u64 {
    let own = p.table(table).map_or(0, |t| t.row_bytes_max);
    if depth > 16 {
        return own;
    }
    let mut total = own;
    for (child, (parent, e)) in &place.embedded {
        if parent != table {
            continue;
        }
        let per = worst_bytes(child, p, place, depth + 1);
        let n = match e.kind {
            EmbedKind::Array | EmbedKind::IdArray => {
                fan(p, child, &e.foreign_key).map_or(0, |f| f.max)
            }
            _ => 1,
        };
        total = total.saturating_add(per.saturating_mul(n));
    }
    total
}

/// Refuse embeds whose worst-case root document would pass the size limit.
fn check_sizes(
    tables: &Tables,
    p: &SqlProfile,
    o: &ConvertOptions,
    place: &mut Placement,
    warnings: &mut Vec<String>,
) {
    for root in tables.names() {
        if place.embedded.contains_key(root) {
            continue;
        }
        let limit = o.doc_bytes_max as u64;
        while worst_bytes(root, p, place, 0) > limit {
            // Drop the embed directly under the root that contributes most, among those that
            // can stand as a collection of their own (a one-column key: not a join table).
            let Some(child) = place
                .embedded
                .iter()
                .filter(|(c, (parent, _))| {
                    parent == root
                        && tables
                            .get(c.as_str())
                            .is_some_and(|t| t.schema.single_key().is_some())
                })
                .map(|(c, _)| c.clone())
                .max_by_key(|c| worst_bytes(c, p, place, 1))
            else {
                warnings.push(format!(
                    "documents of {root} could be larger than {limit} bytes, and what they embed cannot stand as a collection of its own (no one-column key): records over the bound are reported as errors."
                ));
                break;
            };
            warnings.push(format!(
                "embedding {child} in {root} could make a document larger than {limit} bytes, so {child} is referenced instead."
            ));
            place.embedded.remove(&child);
        }
    }
}

/// Embed rules under `table`, nested.
fn nested(table: &str, place: &Placement) -> Vec<Embed> {
    place
        .embedded
        .iter()
        .filter(|(_, (parent, _))| parent == table)
        .map(|(child, (_, e))| {
            let mut e = e.clone();
            e.embed = nested(child, place);
            e
        })
        .collect()
}

/// The root collection a table's rows end up in.
fn home(table: &str, place: &Placement) -> String {
    let mut cur = table.to_string();
    for _ in 0..64 {
        match place.embedded.get(&cur) {
            Some((parent, _)) => cur = parent.clone(),
            None => break,
        }
    }
    cur
}

/// Foreign keys that stay ids, on collection roots (embedded tables keep theirs as fields
/// too; the rule documents the root's own).
fn add_references(
    tables: &Tables,
    p: &SqlProfile,
    place: &Placement,
    collections: &mut [CollectionMap],
) {
    for c in collections.iter_mut() {
        c.references = references_of(&c.table, None, tables, p, place);
        for e in &mut c.embed {
            embed_references(e, tables, p, place);
        }
    }
}

fn embed_references(e: &mut Embed, tables: &Tables, p: &SqlProfile, place: &Placement) {
    if matches!(e.kind, EmbedKind::Array | EmbedKind::Object) {
        let via = (e.kind == EmbedKind::Array).then_some(e.foreign_key.as_str());
        e.references = references_of(&e.table, via, tables, p, place);
    }
    for x in &mut e.embed {
        embed_references(x, tables, p, place);
    }
}

/// The foreign keys of `table` that stay ids: all but the one it is embedded through and
/// those whose referenced table is embedded into it.
fn references_of(
    table: &str,
    via: Option<&str>,
    tables: &Tables,
    p: &SqlProfile,
    place: &Placement,
) -> Vec<Reference> {
    let Some(t) = tables.get(table) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for fk in &t.schema.foreign_keys {
        let [col] = fk.columns.as_slice() else {
            continue;
        };
        let embedded_here = place
            .embedded
            .get(&fk.ref_table)
            .is_some_and(|(parent, e)| parent == table && e.foreign_key == *col);
        if Some(col.as_str()) == via || embedded_here {
            continue;
        }
        let target = home(&fk.ref_table, place);
        let reason = if fk.ref_table == table {
            format!("{col} points at another {table} row; a tree of unbounded depth is kept as references.")
        } else if target != fk.ref_table {
            format!(
                "{} rows live inside {target} documents, so {col} stays an id pointing into them.",
                fk.ref_table
            )
        } else {
            let (max, mean) = fan(p, table, col).map_or((0, 0.0), |f| (f.max, f.mean));
            format!(
                "one {} row is shared by up to {max} {table} rows (mean {mean}), so it is referenced by id instead of copied into each.",
                fk.ref_table
            )
        };
        out.push(Reference {
            column: col.clone(),
            collection: target,
            reason,
        });
    }
    out
}

/// Why `table` is a collection of its own: no parent, or parents too large to embed in.
fn root_reason(table: &str, place: &Placement, p: &SqlProfile) -> String {
    let rows = p.table(table).map_or(0, |t| t.rows);
    let parents: Vec<&FanOut> = p
        .fan_outs
        .iter()
        .filter(|f| f.child == table && f.parent != table)
        .collect();
    if let Some(f) = parents.first() {
        let why = if !f.not_null {
            format!("{} may be NULL, so not every row has a parent", f.column)
        } else {
            format!(
                "each {} row has up to {} of them (p99 {}), past the embedding bounds of {EMBED_CHILDREN_MAX} and {EMBED_P99_MAX} or the size limit",
                f.parent, f.max, f.p99
            )
        };
        return format!(
            "{table} ({rows} rows) is not embedded in {}: {why}.",
            f.parent
        );
    }
    let fan_in: Vec<&FanOut> = p
        .fan_outs
        .iter()
        .filter(|f| f.parent == table && f.child != table)
        .filter(|f| {
            place
                .embedded
                .get(&f.child)
                .is_none_or(|(parent, _)| parent != table)
        })
        .collect();
    match fan_in.iter().max_by_key(|f| f.max) {
        Some(f) if f.max > 1 => format!(
            "{table} ({rows} rows) references no other table and one row is shared by up to {} {} rows, so it is a top-level collection.",
            f.max, f.child
        ),
        _ => format!("{table} ({rows} rows) references no other table, so it is a top-level collection."),
    }
}

/// Suggest a documents -> SQL mapping for one profiled collection.
pub fn suggest_docs_to_sql(
    p: &CollectionProfile,
    options: ConvertOptions,
) -> Suggestion<DocsToSql> {
    let mut b = DocBuilder {
        p,
        tables: Vec::new(),
        warnings: Vec::new(),
        names: BTreeSet::new(),
    };
    let root = b.table_for(&p.collection, "", None);
    Suggestion {
        mapping: DocsToSql {
            options,
            tables: b.tables,
            collections: vec![CollectionRule {
                collection: p.collection.clone(),
                root,
            }],
        },
        warnings: b.warnings,
    }
}

struct DocBuilder<'p> {
    p: &'p CollectionProfile,
    tables: Vec<TargetTable>,
    warnings: Vec<String>,
    names: BTreeSet<String>,
}

/// `name.first` -> `name_first`, lower case, other characters as `_`.
fn sql_name(path: &str) -> String {
    let s: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_matches('_').to_string();
    if s.is_empty() || s.as_bytes()[0].is_ascii_digit() {
        format!("f_{s}")
    } else {
        s
    }
}

impl DocBuilder<'_> {
    /// The table for the objects at `base` (`""` for the documents, `a[]` for array
    /// elements); `parent` is (parent table, its key column) for child tables.
    fn table_for(&mut self, table: &str, base: &str, parent: Option<(&str, &str)>) -> TableRule {
        let mut name = sql_name(table);
        while !self.names.insert(name.clone()) {
            name.push('_');
        }
        let mut t = TargetTable {
            table: name.clone(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            foreign_keys: Vec::new(),
            reason: String::new(),
        };
        let mut rule = TableRule::new(&name, "", Shape::Object);
        let parent_count = self.objects_at(base);
        match parent {
            None => {
                t.reason = format!(
                    "one row per {} document ({} documents).",
                    self.p.collection, self.p.docs
                );
            }
            Some((ptable, pkey)) => self.link_child(base, ptable, pkey, &mut t, &mut rule),
        }
        let prefix = if base.is_empty() {
            String::new()
        } else {
            format!("{base}.")
        };
        let fields: Vec<&FieldProfile> = self
            .p
            .fields
            .iter()
            .filter(|f| f.path.starts_with(&prefix) && !f.path[prefix.len()..].contains("[]"))
            .collect();
        for f in fields {
            let rel = &f.path[prefix.len()..];
            self.field(f, rel, parent_count, &name, &mut t, &mut rule);
        }
        if parent.is_none() && t.primary_key.is_empty() {
            self.warnings.push(format!(
                "{}: no _id field, so the table has no primary key.",
                self.p.collection
            ));
        }
        self.tables.push(t);
        rule
    }

    /// Key columns and the foreign key of a child table for the array elements at `base`.
    fn link_child(
        &self,
        base: &str,
        ptable: &str,
        pkey: &str,
        t: &mut TargetTable,
        rule: &mut TableRule,
    ) {
        let fk = format!("{}_{}", sql_name(ptable), pkey);
        for (name, ty) in [(fk.as_str(), "BIGINT"), ("position", "INTEGER")] {
            t.columns.push(TargetColumn {
                name: name.into(),
                ty: ty.into(),
                not_null: true,
                default: None,
            });
        }
        t.primary_key = vec![fk.clone(), "position".into()];
        t.foreign_keys.push(TargetForeignKey {
            columns: vec![fk.clone()],
            ref_table: sql_name(ptable),
            ref_columns: vec![pkey.to_string()],
        });
        rule.parent_column = Some(fk);
        rule.parent_key = Some(pkey.to_string());
        rule.position_column = Some("position".into());
        let path = base.trim_end_matches("[]");
        let f = self.p.field(path);
        let (max, elems) = f.map_or((0, 0), |f| (f.array_len_max, f.array_elems));
        t.reason = format!("{path} is an array ({elems} elements, at most {max} per document), so its elements become rows with a foreign key and their position.");
    }

    /// Objects (documents or array elements) at `base`.
    fn objects_at(&self, base: &str) -> u64 {
        if base.is_empty() {
            return self.p.docs;
        }
        self.p
            .field(base)
            .map_or(0, |f| f.types.get("object").copied().unwrap_or(0))
    }

    fn field(
        &mut self,
        f: &FieldProfile,
        rel: &str,
        objects: u64,
        table: &str,
        t: &mut TargetTable,
        rule: &mut TableRule,
    ) {
        let count = |k: &str| f.types.get(k).copied().unwrap_or(0);
        if count("array") > 0 && self.array_field(f, rel, table, t, rule) {
            return;
        }
        let scalar: u64 = ["string", "integer", "number", "bool"]
            .iter()
            .map(|k| count(k))
            .sum();
        if scalar == 0 && count("array") == 0 {
            return; // objects only: their fields are columns of their own (flattened).
        }
        let (ty, why) = column_type(f);
        let name = if rel == "_id" {
            "id".to_string()
        } else {
            sql_name(rel)
        };
        let required = f.present == objects && count("null") == 0 && scalar == f.present;
        if rel == "_id" {
            t.primary_key.push(name.clone());
        }
        let mut parts: Vec<String> = Vec::new();
        if !why.is_empty() {
            parts.push(why);
        }
        if !required {
            parts.push(format!(
                "present and non-null in {scalar} of {objects} objects, so nullable."
            ));
        }
        if count("object") > 0 {
            parts.push("sub-document values here are mapped by the flattened columns.".into());
        }
        t.columns.push(TargetColumn {
            name: name.clone(),
            ty,
            not_null: required,
            default: None,
        });
        rule.columns.push(ColumnRule {
            column: name,
            path: rel.to_string(),
            reason: parts.join(" "),
        });
    }

    /// An array at `f` as a child table (elements are objects) or a value table (scalars),
    /// when the table has a one-column key to point at; false when it stays a column.
    fn array_field(
        &mut self,
        f: &FieldProfile,
        rel: &str,
        table: &str,
        t: &TargetTable,
        rule: &mut TableRule,
    ) -> bool {
        if table != sql_name(&self.p.collection) || t.primary_key.len() != 1 {
            return false;
        }
        let elem = format!("{}[]", f.path);
        let objs = self
            .p
            .field(&elem)
            .map_or(0, |e| e.types.get("object").copied().unwrap_or(0));
        if objs > 0 {
            let name = format!("{}_{}", table, sql_name(rel));
            let mut child = self.table_for(&name, &elem, Some((table, "id")));
            child.path = rel.to_string();
            child.shape = Shape::Array;
            rule.children.push(child);
        } else {
            rule.children.push(self.value_table(f, rel, table, "id"));
        }
        true
    }

    /// An array of scalars as a table of (parent id, position, value).
    fn value_table(&mut self, f: &FieldProfile, rel: &str, table: &str, key: &str) -> TableRule {
        let elem = format!("{}[]", f.path);
        let mut child = self.table_for(
            &format!("{}_{}", table, sql_name(rel)),
            &format!("{elem}.__none__"),
            Some((table, key)),
        );
        let ty = self
            .p
            .field(&elem)
            .map_or(("TEXT".to_string(), String::new()), column_type)
            .0;
        if let Some(t) = self.tables.iter_mut().find(|t| t.table == child.table) {
            t.columns.push(TargetColumn {
                name: "value".into(),
                ty,
                not_null: false,
                default: None,
            });
        }
        child.path = rel.to_string();
        child.shape = Shape::IdArray;
        child.value_column = Some("value".into());
        child
    }
}

fn unreadable(what: &str, bad: u64) -> String {
    if bad == 0 {
        format!("all strings here read as {what}.")
    } else {
        format!("strings read as {what}, except {bad} that will be reported as conversion errors.")
    }
}

/// The SQL type for the values seen at a path, and why.
fn column_type(f: &FieldProfile) -> (String, String) {
    let count = |k: &str| f.types.get(k).copied().unwrap_or(0);
    let (s, i, n, b) = (
        count("string"),
        count("integer"),
        count("number"),
        count("bool"),
    );
    let kinds = [s, i, n, b].iter().filter(|c| **c > 0).count();
    if kinds > 1 {
        let seen: Vec<&str> = f
            .types
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "null" && *k != "object")
            .collect();
        let ty = if s == 0 && b == 0 {
            "DOUBLE PRECISION"
        } else {
            "TEXT"
        };
        return (
            ty.into(),
            format!(
                "holds {} values, so {ty} holds them all.",
                seen.join(" and ")
            ),
        );
    }
    if s > 0 {
        // At least 99% must parse; the rest are reported as conversion errors.
        if f.dates * 100 >= s * 99 {
            let bad = s - f.dates;
            return ("DATE".into(), unreadable("dates", bad));
        }
        if f.timestamps * 100 >= s * 99 {
            let bad = s - f.timestamps;
            return ("TIMESTAMP".into(), unreadable("timestamps", bad));
        }
        return ("TEXT".into(), String::new());
    }
    if i > 0 {
        return ("BIGINT".into(), String::new());
    }
    if n > 0 {
        return (
            "DOUBLE PRECISION".into(),
            "non-integer numbers are stored as doubles, exactly as JSON holds them.".into(),
        );
    }
    if b > 0 {
        return ("BOOLEAN".into(), String::new());
    }
    if count("array") + count("object") > 0 {
        return (
            "TEXT".into(),
            "nested arrays are stored as JSON text.".into(),
        );
    }
    ("TEXT".into(), "only nulls seen.".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dataset::{generate, DatasetKind};
    use crate::sim::mapping::profile::profile_docs;

    #[test]
    fn ecommerce_embeds_bounded_children_and_references_products() {
        let d = generate(DatasetKind::Ecommerce, 11, 20_000).unwrap();
        let s = suggest_sql_to_docs(&d.tables, ConvertOptions::default());
        let m = &s.mapping;
        m.validate(&d.tables).unwrap();
        let names: Vec<&str> = m
            .collections
            .iter()
            .map(|c| c.collection.as_str())
            .collect();
        assert_eq!(names, vec!["customers", "products"]);
        let cust = &m.collections[0];
        let orders = cust.embed.iter().find(|e| e.table == "orders").unwrap();
        assert_eq!(orders.embed[0].table, "order_items");
        assert!(cust.embed.iter().any(|e| e.table == "addresses"));
        assert!(
            orders.embed[0].reason.contains("at most 8"),
            "{}",
            orders.embed[0].reason
        );
        assert!(!m.collections[1].reason.is_empty());
    }

    #[test]
    fn content_gets_id_arrays_for_tags() {
        let d = generate(DatasetKind::Content, 2, 5_000).unwrap();
        let m = suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping;
        m.validate(&d.tables).unwrap();
        let posts = m.collections.iter().find(|c| c.table == "posts").unwrap();
        let tags = posts
            .embed
            .iter()
            .find(|e| e.kind == EmbedKind::IdArray)
            .unwrap();
        assert_eq!(
            (tags.table.as_str(), tags.field.as_str()),
            ("post_tags", "tag_ids")
        );
    }

    #[test]
    fn a_tiny_size_limit_turns_embeds_into_references() {
        let d = generate(DatasetKind::Ecommerce, 11, 2_000).unwrap();
        let opts = ConvertOptions {
            doc_bytes_max: 600,
            ..ConvertOptions::default()
        };
        let s = suggest_sql_to_docs(&d.tables, opts);
        assert!(!s.warnings.is_empty());
        assert!(s.mapping.collections.iter().any(|c| c.table == "orders"));
    }

    #[test]
    fn profiles_become_tables_with_flattened_and_child_tables() {
        let d = generate(DatasetKind::Profiles, 4, 3_000).unwrap();
        let p = profile_docs("profiles", &d.collections[0].1);
        let s = suggest_docs_to_sql(&p, ConvertOptions::default());
        let tables: Vec<&str> = s.mapping.tables.iter().map(|t| t.table.as_str()).collect();
        assert!(
            tables.contains(&"profiles_addresses") && tables.contains(&"profiles_contacts"),
            "{tables:?}"
        );
        let root = s
            .mapping
            .tables
            .iter()
            .find(|t| t.table == "profiles")
            .unwrap();
        let col = |n: &str| root.columns.iter().find(|c| c.name == n).unwrap();
        assert_eq!(col("id").ty, "BIGINT");
        assert_eq!(col("name_first").ty, "TEXT");
        assert!(!col("name").not_null);
        assert_eq!(col("phone").ty, "TEXT");
        assert_eq!(col("signup").ty, "DATE");
        assert_eq!(col("signup_at").ty, "TIMESTAMP");
        assert_eq!(col("credit").ty, "DOUBLE PRECISION");
    }
}
