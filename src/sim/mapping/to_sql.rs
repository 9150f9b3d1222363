//! Documents -> SQL rows under a [`DocsToSql`] mapping (written by hand, suggested, or
//! derived with [`super::SqlToDocs::inverse`]).
//!
//! A row with a value that does not convert is not produced: its errors (one per field) go to
//! the report with collection, `_id` and field path, and its child rows are skipped too, so
//! the rows that are produced always satisfy the foreign keys the rules imply.

use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

use super::convert::{json_to_sql, Conv, Tally};
use super::relational::{key_text, OrdValue as Key, TableData, TableSchema, Tables};
use super::rules::{
    column, invalid, target_map, CollectionRule, DocsToSql, MappingError, Shape, TableRule,
    NESTING_MAX,
};
use crate::sim::sql::{Row, Value};

/// One column's source.
#[derive(Clone, Debug)]
enum Source {
    /// A field path relative to the rule's object; `elsewhere` when sub-paths of it are
    /// mapped by other columns or rules (an object there is not an error).
    Path { segs: Vec<String>, elsewhere: bool },
    /// The parent row's value at this column position.
    Parent(usize),
    /// The array position.
    Position,
    /// The array element (`id_array`).
    Element,
    /// No rule: the default or NULL.
    Unmapped,
}

#[derive(Clone, Debug)]
struct Plan {
    table: usize,
    path: Vec<String>,
    shape: Shape,
    sources: Vec<Source>,
    dedupe: bool,
    /// False for copies of a table another rule owns: they are read but not emitted.
    emit: bool,
    children: Vec<Plan>,
}

/// Maps documents to rows; build once per mapping.
#[derive(Clone, Debug)]
pub struct RowMapper {
    options: super::ConvertOptions,
    schemas: Vec<TableSchema>,
    defaults: Vec<Vec<Option<Value>>>,
    collections: Vec<(String, Plan)>,
}

/// Receives the rows a document yields: (table position, row, whether copies may repeat).
pub trait RowSink {
    /// One row of table `table` ([`RowMapper::schemas`] order).
    fn row(&mut self, table: usize, row: Row, dedupe: bool);
}

impl RowMapper {
    /// Resolve every table and column the rules name.
    pub fn new(spec: &DocsToSql) -> Result<RowMapper, MappingError> {
        super::rules::check_options(&spec.options)?;
        let targets = target_map(&spec.tables)?;
        let mut schemas = Vec::new();
        let mut defaults = Vec::new();
        for t in targets.values() {
            let (s, d) = t.resolve()?;
            schemas.push(s);
            defaults.push(d);
        }
        let mut owners = BTreeMap::new();
        for c in &spec.collections {
            count_owners(&c.root, &mut owners);
        }
        let mut collections = Vec::new();
        let mut seen = BTreeSet::new();
        for c in &spec.collections {
            if !seen.insert(c.collection.as_str()) {
                return Err(invalid(&c.collection, "collection named twice"));
            }
            let plan = resolve(&schemas, &owners, &c.root, None, 0)?;
            collections.push((c.collection.clone(), plan));
        }
        Ok(RowMapper {
            options: spec.options.clone(),
            schemas,
            defaults,
            collections,
        })
    }

    /// Target schemas, in table-name order.
    pub fn schemas(&self) -> &[TableSchema] {
        &self.schemas
    }

    /// Position of a collection's rules.
    pub fn collection_index(&self, name: &str) -> Option<usize> {
        self.collections.iter().position(|(n, _)| n == name)
    }

    /// Collection names in rule order.
    pub fn collection_names(&self) -> Vec<&str> {
        self.collections.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The conversion options.
    pub fn options(&self) -> &super::ConvertOptions {
        &self.options
    }

    /// Rows of one document of collection `coll` (a position) into `sink`.
    pub fn map_doc(&self, coll: usize, doc: &Json, tally: &mut Tally, sink: &mut impl RowSink) {
        let Some((name, plan)) = self.collections.get(coll) else {
            return;
        };
        tally.records_in += 1;
        let id = doc
            .get(crate::sim::doc::ID_FIELD)
            .map_or_else(|| "?".into(), |v| v.to_string());
        let mut cx = Cx {
            name,
            id: &id,
            tally,
            sink,
        };
        self.apply(plan, doc, None, &mut cx, true);
    }

    /// Every document of `docs` (collection name, document) into collected tables, copies
    /// deduplicated by key and rows sorted by primary key.
    pub fn map_all<'d>(
        &self,
        docs: impl IntoIterator<Item = (&'d str, &'d Json)>,
    ) -> (Tables, Tally) {
        let mut tally = Tally::default();
        let mut sink = Collect::new(self.schemas.len());
        for (coll, doc) in docs {
            match self.collection_index(coll) {
                Some(i) => self.map_doc(i, doc, &mut tally, &mut sink),
                None => tally.warn(format!("no rules for collection \"{coll}\"")),
            }
        }
        (sink.finish(&self.schemas, &mut tally), tally)
    }

    fn apply(
        &self,
        p: &Plan,
        ctx: &Json,
        parent: Option<&Row>,
        cx: &mut Cx<'_, impl RowSink>,
        root: bool,
    ) {
        let at = if p.path.is_empty() {
            Some(ctx)
        } else {
            get(ctx, &p.path)
        };
        // Only an error names the path: not built for every document.
        let path = || p.path.join(".");
        match (p.shape, at) {
            (_, None | Some(Json::Null)) => {}
            (Shape::Object, Some(obj @ Json::Object(_))) => {
                self.row(p, obj, parent, None, None, cx, root);
            }
            (Shape::Array | Shape::IdArray, Some(Json::Array(items))) => {
                let max = self.options.embedded_items_max;
                if items.len() > max {
                    let why = format!("{} elements, only the first {max} read", items.len());
                    cx.tally.error(cx.name, cx.id.to_string(), &path(), why);
                }
                for (i, item) in items.iter().take(max).enumerate() {
                    if p.shape == Shape::Array && !item.is_object() {
                        let why = format!("array element {i} is not an object");
                        cx.tally.error(cx.name, cx.id.to_string(), &path(), why);
                        continue;
                    }
                    let elem = (p.shape == Shape::IdArray).then_some(item);
                    self.row(p, item, parent, Some(i), elem, cx, false);
                }
            }
            (_, Some(other)) => {
                let found = crate::sim::doc::value::type_name(other);
                let why = format!("expected {:?} here, found {found}", p.shape).to_lowercase();
                cx.tally.error(cx.name, cx.id.to_string(), &path(), why);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        p: &Plan,
        obj: &Json,
        parent: Option<&Row>,
        pos: Option<usize>,
        elem: Option<&Json>,
        cx: &mut Cx<'_, impl RowSink>,
        root: bool,
    ) {
        let s = &self.schemas[p.table];
        if !root && p.path.is_empty() && !self.key_present(p, obj) {
            return;
        }
        let mut row = Vec::with_capacity(s.columns.len());
        let mut failed = false;
        for (ci, src) in p.sources.iter().enumerate() {
            let col = &s.columns[ci];
            let default = self.defaults[p.table][ci].as_ref();
            let got = match src {
                Source::Parent(pc) => Ok(parent.map_or(Value::Null, |r| r[*pc].clone())),
                Source::Position => Ok(Value::Int(pos.unwrap_or(0) as i64)),
                Source::Element => json_to_sql(elem, col, default, cx.tally),
                Source::Unmapped => json_to_sql(None, col, default, cx.tally),
                Source::Path { segs, elsewhere } => match get(obj, segs) {
                    Some(Json::Object(_) | Json::Array(_)) if *elsewhere => {
                        cx.tally.conv(Conv::MappedElsewhere);
                        json_to_sql(None, col, None, cx.tally)
                    }
                    v => json_to_sql(v, col, default, cx.tally),
                },
            };
            match got {
                Ok(v) => row.push(v),
                Err(why) => {
                    failed = true;
                    let field = match src {
                        Source::Path { segs, .. } => join(&p.path.join("."), &segs.join(".")),
                        _ => join(&p.path.join("."), &col.name),
                    };
                    cx.tally.error(
                        cx.name,
                        cx.id.to_string(),
                        &field,
                        format!("{}.{}: {why}", s.name, col.name),
                    );
                    row.push(Value::Null);
                }
            }
        }
        if failed {
            return;
        }
        for child in &p.children {
            self.apply(child, obj, Some(&row), cx, false);
        }
        if p.emit {
            cx.tally.records_out += 1;
            cx.sink.row(p.table, row, p.dedupe);
        }
    }

    /// An object-at-the-same-path rule (a merged row) yields a row only when its key is there.
    fn key_present(&self, p: &Plan, obj: &Json) -> bool {
        let s = &self.schemas[p.table];
        s.primary_key.iter().any(|&k| match &p.sources[k] {
            Source::Path { segs, .. } => !matches!(get(obj, segs), None | Some(Json::Null)),
            _ => true,
        })
    }
}

struct Cx<'a, S> {
    name: &'a str,
    id: &'a str,
    tally: &'a mut Tally,
    sink: &'a mut S,
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}.{b}"),
    }
}

/// The value at a dotted path through objects (arrays are not traversed).
pub fn get<'j>(v: &'j Json, segs: &[String]) -> Option<&'j Json> {
    let mut cur = v;
    for s in segs {
        cur = cur.as_object()?.get(s)?;
    }
    Some(cur)
}

fn segments(path: &str) -> Vec<String> {
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('.').map(str::to_string).collect()
    }
}

fn count_owners<'r>(r: &'r TableRule, owners: &mut BTreeMap<&'r str, usize>) {
    if !r.dedupe {
        *owners.entry(r.table.as_str()).or_insert(0) += 1;
    }
    for c in &r.children {
        count_owners(c, owners);
    }
}

fn resolve(
    schemas: &[TableSchema],
    owners: &BTreeMap<&str, usize>,
    r: &TableRule,
    parent: Option<&TableSchema>,
    depth: usize,
) -> Result<Plan, MappingError> {
    if depth > NESTING_MAX {
        return Err(invalid(
            &r.table,
            format!("rules nest deeper than {NESTING_MAX}"),
        ));
    }
    let table = schemas
        .iter()
        .position(|s| s.name == r.table)
        .ok_or_else(|| MappingError::UnknownTable(r.table.clone()))?;
    let s = &schemas[table];
    let sources = sources(s, r, parent)?;
    let emit = !r.dedupe || owners.get(r.table.as_str()).copied().unwrap_or(0) == 0;
    let mut children = Vec::with_capacity(r.children.len());
    for c in &r.children {
        children.push(resolve(schemas, owners, c, Some(s), depth + 1)?);
    }
    Ok(Plan {
        table,
        path: segments(&r.path),
        shape: r.shape,
        sources,
        dedupe: r.dedupe,
        emit,
        children,
    })
}

/// Where each column of `s` comes from under rule `r`.
fn sources(
    s: &TableSchema,
    r: &TableRule,
    parent: Option<&TableSchema>,
) -> Result<Vec<Source>, MappingError> {
    let mut sources = vec![Source::Unmapped; s.columns.len()];
    let mut set = |name: &str, src: Source| -> Result<(), MappingError> {
        let i = column(s, name)?;
        if !matches!(sources[i], Source::Unmapped) {
            return Err(invalid(&r.table, format!("column \"{name}\" filled twice")));
        }
        sources[i] = src;
        Ok(())
    };
    for c in &r.columns {
        let elsewhere = subpaths_mapped(r, &c.path);
        set(
            &c.column,
            Source::Path {
                segs: segments(&c.path),
                elsewhere,
            },
        )?;
    }
    match (&r.parent_column, parent) {
        (Some(pc), Some(ps)) => {
            let pk = match &r.parent_key {
                Some(k) => column(ps, k)?,
                None => ps.single_key().ok_or_else(|| {
                    invalid(&r.table, "parent has no one-column key; name parent_key")
                })?,
            };
            set(pc, Source::Parent(pk))?;
        }
        (Some(_), None) => return Err(invalid(&r.table, "parent_column on a root rule")),
        (None, _) => {}
    }
    if let Some(pc) = &r.position_column {
        set(pc, Source::Position)?;
    }
    match (r.shape, &r.value_column) {
        (Shape::IdArray, Some(v)) => set(v, Source::Element)?,
        (Shape::IdArray, None) => return Err(invalid(&r.table, "id_array needs value_column")),
        (_, Some(_)) => return Err(invalid(&r.table, "value_column is only for id_array")),
        _ => {}
    }
    Ok(sources)
}

/// True when another column rule or a child rule reads below `path`.
fn subpaths_mapped(r: &TableRule, path: &str) -> bool {
    let prefix = format!("{path}.");
    r.columns.iter().any(|c| c.path.starts_with(&prefix))
        || r.children
            .iter()
            .any(|c| c.path == path || c.path.starts_with(&prefix))
}

/// Collects rows per table; copies are kept once per key, and disagreeing copies reported.
struct Collect {
    rows: Vec<Vec<Row>>,
    copies: Vec<BTreeMap<Vec<Key>, Row>>,
}

impl Collect {
    fn new(n: usize) -> Collect {
        Collect {
            rows: vec![Vec::new(); n],
            copies: vec![BTreeMap::new(); n],
        }
    }

    fn finish(self, schemas: &[TableSchema], tally: &mut Tally) -> Tables {
        let mut out = Tables::new();
        for ((s, mut rows), copies) in schemas.iter().zip(self.rows).zip(self.copies) {
            let had_copies = !copies.is_empty();
            rows.extend(copies.into_values());
            let cmp = |a: &Row, b: &Row| {
                s.primary_key
                    .iter()
                    .map(|&k| a[k].total_cmp(&b[k]))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            };
            crate::sim::sort::sort_by(&mut rows, cmp);
            if had_copies && !s.primary_key.is_empty() {
                for w in rows.windows(2).filter(|w| cmp(&w[0], &w[1]).is_eq()) {
                    let why = "embedded copies of this row disagree".to_string();
                    tally.error(&s.name, row_key(s, &w[0]), "", why);
                }
            }
            out.insert(TableData {
                schema: s.clone(),
                rows,
            });
        }
        out
    }
}

impl RowSink for Collect {
    fn row(&mut self, table: usize, row: Row, dedupe: bool) {
        if !dedupe {
            self.rows[table].push(row);
            return;
        }
        // Keyed on the whole row: disagreeing copies both survive and then fail the primary
        // key check in verification, instead of one silently winning.
        let key: Vec<Key> = row.iter().cloned().map(Key).collect();
        self.copies[table].entry(key).or_insert(row);
    }
}

impl CollectionRule {
    /// Table names the rule tree writes.
    pub fn tables(&self) -> Vec<&str> {
        fn walk<'a>(r: &'a TableRule, out: &mut Vec<&'a str>) {
            out.push(&r.table);
            for c in &r.children {
                walk(c, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }
}

/// `key_text` for a row's primary key.
pub fn row_key(s: &TableSchema, row: &Row) -> String {
    let vals: Vec<&Value> = s.primary_key.iter().map(|&k| &row[k]).collect();
    key_text(&vals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::mapping::rules::Mapping;
    use serde_json::json;

    fn mapper() -> RowMapper {
        let text = r#"{"docs_to_sql": {
          "tables": [
            {"table": "u", "primary_key": ["id"], "columns": [{"name": "id", "type": "BIGINT"}, {"name": "n", "type": "INTEGER"}]},
            {"table": "u_tags", "primary_key": ["u_id", "position"], "columns": [
              {"name": "u_id", "type": "BIGINT"}, {"name": "position", "type": "INTEGER"}, {"name": "value", "type": "TEXT"}]}],
          "collections": [{"collection": "u", "root": {"table": "u",
            "columns": [{"column": "id", "path": "_id"}, {"column": "n", "path": "stats.n"}],
            "children": [{"table": "u_tags", "path": "tags", "shape": "id_array", "parent_column": "u_id",
                          "position_column": "position", "value_column": "value"}]}}]}}"#;
        match Mapping::from_json(text).unwrap() {
            Mapping::DocsToSql(m) => RowMapper::new(&m).unwrap(),
            Mapping::SqlToDocs(_) => unreachable!(),
        }
    }

    #[test]
    fn arrays_of_scalars_become_rows_with_positions() {
        let docs = [
            json!({"_id": 7, "stats": {"n": 3}, "tags": ["a", "b"]}),
            json!({"_id": 8}),
        ];
        let (t, tally) = mapper().map_all(docs.iter().map(|d| ("u", d)));
        assert_eq!(tally.errors_total, 0);
        let tags = &t.get("u_tags").unwrap().rows;
        assert_eq!(
            tags[1],
            vec![Value::Int(7), Value::Int(1), Value::Text("b".into())]
        );
        assert_eq!(
            t.get("u").unwrap().rows[1],
            vec![Value::Int(8), Value::Null]
        );
    }

    #[test]
    fn disagreeing_copies_are_reported() {
        let text = r#"{"docs_to_sql": {
          "tables": [
            {"table": "o", "primary_key": ["id"], "columns": [{"name": "id", "type": "BIGINT"}, {"name": "c", "type": "BIGINT"}]},
            {"table": "c", "primary_key": ["id"], "columns": [{"name": "id", "type": "BIGINT"}, {"name": "name", "type": "TEXT"}]}],
          "collections": [{"collection": "o", "root": {"table": "o",
            "columns": [{"column": "id", "path": "_id"}, {"column": "c", "path": "cust.id"}],
            "children": [{"table": "c", "path": "cust", "dedupe": true,
                          "columns": [{"column": "id", "path": "id"}, {"column": "name", "path": "name"}]}]}}]}}"#;
        let Mapping::DocsToSql(m) = Mapping::from_json(text).unwrap() else {
            unreachable!()
        };
        let docs = [
            json!({"_id": 1, "cust": {"id": 9, "name": "Ann"}}),
            json!({"_id": 2, "cust": {"id": 9, "name": "Ann"}}),
            json!({"_id": 3, "cust": {"id": 9, "name": "Anne"}}),
        ];
        let (t, tally) = RowMapper::new(&m)
            .unwrap()
            .map_all(docs.iter().map(|d| ("o", d)));
        assert_eq!(t.get("c").unwrap().rows.len(), 2, "one per distinct copy");
        assert_eq!(tally.errors_total, 1);
        assert_eq!(
            (
                tally.errors[0].entity.as_str(),
                tally.errors[0].key.as_str()
            ),
            ("c", "9")
        );
    }

    #[test]
    fn wrong_shapes_and_values_are_per_record_errors() {
        let docs = [
            json!({"_id": 1, "tags": "not an array"}),
            json!({"_id": 2, "stats": {"n": "many"}, "tags": ["x"]}),
        ];
        let (t, tally) = mapper().map_all(docs.iter().map(|d| ("u", d)));
        assert_eq!(tally.errors_total, 2);
        assert_eq!(
            (tally.errors[0].key.as_str(), tally.errors[0].field.as_str()),
            ("1", "tags")
        );
        assert_eq!(
            (tally.errors[1].key.as_str(), tally.errors[1].field.as_str()),
            ("2", "stats.n")
        );
        // Document 2's row failed, so its tag rows (children) are not produced either.
        assert_eq!(t.get("u").unwrap().rows.len(), 1);
        assert!(t.get("u_tags").unwrap().rows.is_empty());
    }
}
