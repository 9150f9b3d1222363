//! SQL rows -> documents under a validated [`SqlToDocs`] mapping.
//!
//! Related rows are found through sorted row-index vectors (one per embedded foreign key,
//! built once), so mapping is one pass over each root table plus a binary search per
//! relationship, and documents can be streamed to a sink without keeping them all.

use serde_json::{Map, Value as Json};
use std::cmp::Ordering;

use super::convert::{sql_to_json, ConvertOptions, Tally};
use super::relational::{key_text, TableData, TableSchema, Tables};
use super::rules::{column, plain_fields, schema, Embed, EmbedKind, MappingError, SqlToDocs};
use crate::sim::doc::{DocError, DocStore};
use crate::sim::sql::{Row, Value};

mod text;

/// Told of every row a document holds as its own, with its table's schema.
pub type RowVisitor<'v> = &'v mut dyn FnMut(&TableSchema, &Row);

/// Row positions of one table sorted by one column's value (ties by position), for lookups
/// by key. Rows with a NULL key are left out: a NULL never matches. When every key is an
/// integer (the usual case for keys) the keys are also kept in a flat vector, so a lookup's
/// binary search reads contiguous memory instead of chasing one row pointer per step.
#[derive(Clone, Debug)]
struct SortedIndex {
    col: usize,
    order: Vec<u32>,
    ints: Option<Vec<i64>>,
}

impl SortedIndex {
    fn build(t: &TableData, col: usize) -> SortedIndex {
        let mut order: Vec<u32> = (0..t.rows.len() as u32)
            .filter(|&i| !t.rows[i as usize][col].is_null())
            .collect();
        let int_of = |i: &u32| match t.rows[*i as usize][col] {
            Value::Int(k) => Some(k),
            _ => None,
        };
        let mut ints: Option<Vec<i64>> = order.iter().map(int_of).collect();
        // Generated and store-read tables are usually sorted already: skip the sort then.
        let sorted = match &ints {
            Some(v) => v.windows(2).all(|w| w[0] <= w[1]),
            None => order
                .windows(2)
                .all(|w| cmp_at(&t.rows, col, w[0], w[1]) != Ordering::Greater),
        };
        if !sorted {
            match ints {
                // Integer keys (the usual foreign key): sort (key, position) pairs, which is
                // the stable order and much faster than comparing rows.
                Some(keys) => {
                    let mut pairs: Vec<(i64, u32)> = keys.into_iter().zip(order).collect();
                    pairs.sort_unstable();
                    order = pairs.iter().map(|p| p.1).collect();
                    ints = Some(pairs.into_iter().map(|p| p.0).collect());
                }
                None => {
                    crate::sim::sort::sort_by(&mut order, |&a, &b| cmp_at(&t.rows, col, a, b));
                }
            }
        }
        SortedIndex { col, order, ints }
    }

    /// Positions of the rows whose column equals `key` (none for NULL keys).
    fn range<'a>(&'a self, rows: &[Row], key: &Value) -> &'a [u32] {
        match (&self.ints, key) {
            (_, Value::Null) => &[],
            (Some(ints), Value::Int(k)) => {
                let lo = ints.partition_point(|x| x < k);
                let hi = lo + ints[lo..].partition_point(|x| x == k);
                &self.order[lo..hi]
            }
            (Some(_), _) => &[],
            (None, key) => {
                let at = |i: u32| rows[i as usize][self.col].total_cmp(key);
                let lo = self.order.partition_point(|&i| at(i) == Ordering::Less);
                let hi = lo + self.order[lo..].partition_point(|&i| at(i) == Ordering::Equal);
                &self.order[lo..hi]
            }
        }
    }
}

fn cmp_at(rows: &[Row], col: usize, a: u32, b: u32) -> Ordering {
    rows[a as usize][col]
        .total_cmp(&rows[b as usize][col])
        .then(a.cmp(&b))
}

/// One table's part of a document: which columns become which fields, and what is embedded.
#[derive(Debug)]
struct Node<'a> {
    data: &'a TableData,
    fields: Vec<(usize, String)>,
    embeds: Vec<EmbedNode<'a>>,
}

#[derive(Debug)]
struct EmbedNode<'a> {
    kind: EmbedKind,
    field: String,
    /// Column of the parent row whose value is looked up (its key, or its foreign key).
    parent_col: usize,
    /// `id_array`: the join table column copied into the array.
    value_col: usize,
    index: SortedIndex,
    /// `array`/`id_array`: per parent row, its children's span of `index.order`, computed
    /// once by a merge join when parent keys and child keys are sorted integers.
    spans: Option<Vec<(u32, u32)>>,
    node: Node<'a>,
}

/// Who a value belongs to, for error reports, and where counts go.
struct Cx<'k, 't, 'v> {
    entity: &'k str,
    key: &'k dyn Fn() -> String,
    tally: &'t mut Tally,
    /// Told of every row the document holds as its own (root and `array` elements), with
    /// its table's schema.
    visit: Option<RowVisitor<'v>>,
}

impl Cx<'_, '_, '_> {
    fn error(&mut self, field: &str, why: String) {
        self.tally.error(self.entity, (self.key)(), field, why);
    }
}

/// A collection ready to map.
#[derive(Debug)]
struct CollectionPlan<'a> {
    name: String,
    node: Node<'a>,
    key_col: usize,
}

/// Maps rows to documents; build once per (mapping, tables), then stream or collect.
#[derive(Debug)]
pub struct DocMapper<'a> {
    opts: ConvertOptions,
    collections: Vec<CollectionPlan<'a>>,
}

/// One collection's documents.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedCollection {
    /// Collection name.
    pub name: String,
    /// Documents in root-table order.
    pub docs: Vec<Json>,
}

impl<'a> DocMapper<'a> {
    /// Validate `mapping` against `tables` and build the lookup indexes.
    pub fn new(mapping: &SqlToDocs, tables: &'a Tables) -> Result<DocMapper<'a>, MappingError> {
        mapping.validate(tables)?;
        let mut collections = Vec::new();
        for c in &mapping.collections {
            let data = tables
                .get(&c.table)
                .ok_or_else(|| MappingError::UnknownTable(c.table.clone()))?;
            let key_col = data.schema.single_key().unwrap_or(0);
            let node = build_node(tables, data, true, None, &c.embed)?;
            collections.push(CollectionPlan {
                name: c.collection.clone(),
                node,
                key_col,
            });
        }
        Ok(DocMapper {
            opts: mapping.options.clone(),
            collections,
        })
    }

    /// Collection names in mapping order.
    pub fn collection_names(&self) -> Vec<&str> {
        self.collections.iter().map(|c| c.name.as_str()).collect()
    }

    /// Number of root rows (= documents before errors) of collection `i`.
    pub fn root_rows(&self, i: usize) -> usize {
        self.collections
            .get(i)
            .map_or(0, |c| c.node.data.rows.len())
    }

    /// Position of collection `name`.
    pub fn collection_index(&self, name: &str) -> Option<usize> {
        self.collections.iter().position(|c| c.name == name)
    }

    /// The `_id` value of root row `row` of collection `i`.
    pub fn root_key(&self, i: usize, row: usize) -> Option<&Value> {
        let c = self.collections.get(i)?;
        c.node.data.rows.get(row).map(|r| &r[c.key_col])
    }

    /// The document for root row `row` of collection `i`; `None` (with the reason in
    /// `tally`) when it breaks the size bound.
    pub fn document(&self, i: usize, row: usize, tally: &mut Tally) -> Option<Json> {
        self.document_visiting(i, row, tally, None)
    }

    /// [`DocMapper::document`], telling `visit` of every row the document holds as its own:
    /// the root row and the rows of `array` embeds (not `object` / `merge` copies, not
    /// `id_array` join rows), in document order. A caller can fold them (checksums) without
    /// reading the document back.
    pub fn document_visiting(
        &self,
        i: usize,
        row: usize,
        tally: &mut Tally,
        visit: Option<RowVisitor<'_>>,
    ) -> Option<Json> {
        let c = self.collections.get(i)?;
        let r = c.node.data.rows.get(row)?;
        tally.records_in += 1;
        let key = || key_text(&[&r[c.key_col]]);
        let mut cx = Cx {
            entity: &c.name,
            key: &key,
            tally,
            visit,
        };
        let built = self.object(&c.node, row, &mut cx, true);
        let bytes = built.bytes();
        let doc = built.into_json();
        if bytes > self.opts.doc_bytes_max {
            let why = format!(
                "document is about {bytes} bytes, over the {} byte limit",
                self.opts.doc_bytes_max
            );
            tally.error(&c.name, key(), "", why);
            return None;
        }
        tally.records_out += 1;
        Some(doc)
    }

    /// Documents of root rows `rows` of collection `i`, in order, to `sink(i, doc)` (lets a
    /// caller split the work; the checksums it folds are order-independent).
    pub fn for_each_in(
        &self,
        i: usize,
        rows: std::ops::Range<usize>,
        tally: &mut Tally,
        mut sink: impl FnMut(usize, Json),
    ) {
        let end = rows.end.min(self.root_rows(i));
        for row in rows.start..end {
            if let Some(doc) = self.document(i, row, tally) {
                sink(i, doc);
            }
        }
    }

    /// Every document of every collection, in order, to `sink(collection index, doc)`.
    pub fn for_each(&self, tally: &mut Tally, mut sink: impl FnMut(usize, Json)) {
        for i in 0..self.collections.len() {
            for row in 0..self.root_rows(i) {
                if let Some(doc) = self.document(i, row, tally) {
                    sink(i, doc);
                }
            }
        }
    }

    /// Insert every document into `store` (collections created as needed). The store's own
    /// checks apply to each document; the first refusal stops the load.
    pub fn load_into(&self, store: &mut DocStore) -> Result<Tally, DocError> {
        let mut tally = Tally::default();
        for (i, c) in self.collections.iter().enumerate() {
            if store.collection(&c.name).is_none() {
                store.create_collection(&c.name)?;
            }
            for row in 0..self.root_rows(i) {
                if let Some(doc) = self.document(i, row, &mut tally) {
                    store.insert(&c.name, doc)?;
                }
            }
        }
        Ok(tally)
    }

    /// All documents, collected per collection.
    pub fn collect(&self) -> (Vec<MappedCollection>, Tally) {
        let mut tally = Tally::default();
        let mut out: Vec<MappedCollection> = self
            .collections
            .iter()
            .map(|c| MappedCollection {
                name: c.name.clone(),
                docs: Vec::with_capacity(c.node.data.rows.len()),
            })
            .collect();
        self.for_each(&mut tally, |i, d| out[i].docs.push(d));
        (out, tally)
    }

    fn object(&self, node: &Node, ri: usize, cx: &mut Cx, own: bool) -> Built {
        let row = &node.data.rows[ri];
        if own {
            if let Some(v) = cx.visit.as_mut() {
                v(&node.data.schema, row);
            }
        }
        let mut b = Built::with_capacity(node.fields.len() + node.embeds.len());
        for (i, field) in &node.fields {
            match sql_to_json(&row[*i], &self.opts, cx.tally) {
                Ok(Some(j)) => {
                    let n = json_bytes_estimate(&j);
                    b.push(field.clone(), j, n);
                }
                Ok(None) => {}
                Err(why) => cx.error(field, why),
            }
        }
        for e in &node.embeds {
            self.embed(e, row, ri, &mut b, cx);
        }
        b
    }

    fn embed(&self, e: &EmbedNode, row: &Row, ri: usize, b: &mut Built, cx: &mut Cx) {
        let rows = &e.node.data.rows;
        let found = match &e.spans {
            Some(spans) => {
                let (lo, hi) = spans[ri];
                &e.index.order[lo as usize..hi as usize]
            }
            None => e.index.range(rows, &row[e.parent_col]),
        };
        match (e.kind, found.first()) {
            (EmbedKind::Array | EmbedKind::IdArray, _) => self.array(e, found, b, cx),
            (EmbedKind::Object, Some(&ci)) => {
                let sub = self.object(&e.node, ci as usize, cx, false);
                let n = sub.bytes();
                b.push(e.field.clone(), sub.into_json(), n);
            }
            (EmbedKind::Merge, Some(&ci)) => {
                let sub = self.object(&e.node, ci as usize, cx, false);
                for (k, v) in sub.items {
                    let n = json_bytes_estimate(&v);
                    b.push(format!("{}{k}", e.field), v, n);
                }
            }
            (_, None) => self.dangling(e, row, b, cx),
        }
    }

    /// Child rows (positions `found`) as an array of objects or of ids.
    fn array(&self, e: &EmbedNode, found: &[u32], b: &mut Built, cx: &mut Cx) {
        let max = self.opts.embedded_items_max;
        if found.len() > max {
            cx.error(
                &e.field,
                format!("{} rows, only the first {max} embedded", found.len()),
            );
        }
        let mut items = Vec::with_capacity(found.len().min(max));
        let mut bytes = 2 + found.len().min(max).saturating_sub(1);
        for &ci in found.iter().take(max) {
            if e.kind == EmbedKind::Array {
                let sub = self.object(&e.node, ci as usize, cx, true);
                bytes += sub.bytes();
                items.push(sub.into_json());
                continue;
            }
            match sql_to_json(
                &e.node.data.rows[ci as usize][e.value_col],
                &self.opts,
                cx.tally,
            ) {
                Ok(j) => {
                    let j = j.unwrap_or(Json::Null);
                    bytes += json_bytes_estimate(&j);
                    items.push(j);
                }
                Err(why) => cx.error(&e.field, why),
            }
        }
        b.push(e.field.clone(), Json::Array(items), bytes);
    }

    /// A NULL foreign key embeds nothing (or null); one that points nowhere is an error.
    fn dangling(&self, e: &EmbedNode, row: &Row, b: &mut Built, cx: &mut Cx) {
        let fk = &row[e.parent_col];
        if fk.is_null() {
            if e.kind == EmbedKind::Object && self.opts.nulls == super::convert::NullMode::Write {
                b.push(e.field.clone(), Json::Null, 4);
            }
            return;
        }
        let table = &e.node.data.schema.name;
        cx.error(
            &e.field,
            format!("references missing {table} row {}", key_text(&[fk])),
        );
    }
}

/// An object under construction: its fields (built into a map at once, which is cheaper
/// than inserting one by one) and its compact-JSON size so far.
struct Built {
    items: Vec<(String, Json)>,
    /// Bytes of the fields, each counted with its key, colon and a separating comma.
    field_bytes: usize,
}

impl Built {
    fn with_capacity(n: usize) -> Built {
        Built {
            items: Vec::with_capacity(n),
            field_bytes: 0,
        }
    }
    fn push(&mut self, k: String, v: Json, value_bytes: usize) {
        self.field_bytes += string_len(&k) + 2 + value_bytes;
        self.items.push((k, v));
    }
    /// Compact JSON size of the object: braces, fields, one comma fewer than fields.
    fn bytes(&self) -> usize {
        2 + self.field_bytes - usize::from(!self.items.is_empty())
    }
    fn into_json(self) -> Json {
        Json::Object(self.items.into_iter().collect::<Map<String, Json>>())
    }
}

fn build_node<'a>(
    tables: &'a Tables,
    data: &'a TableData,
    root: bool,
    dropped: Option<&str>,
    embeds: &[Embed],
) -> Result<Node<'a>, MappingError> {
    let fields = plain_fields(&data.schema, root, dropped, embeds);
    let mut out = Vec::with_capacity(embeds.len());
    for e in embeds {
        let child = tables
            .get(&e.table)
            .ok_or_else(|| MappingError::UnknownTable(e.table.clone()))?;
        let cs = schema(tables, &e.table)?;
        let (parent_col, index_col, drop) = match e.kind {
            EmbedKind::Array | EmbedKind::IdArray => {
                let pk = data.schema.single_key().unwrap_or(0);
                (
                    pk,
                    column(cs, &e.foreign_key)?,
                    Some(e.foreign_key.as_str()),
                )
            }
            EmbedKind::Object | EmbedKind::Merge => {
                let fk = column(&data.schema, &e.foreign_key)?;
                (fk, cs.single_key().unwrap_or(0), None)
            }
        };
        let value_col = match &e.value_column {
            Some(v) => column(cs, v)?,
            None => 0,
        };
        let mut node = build_node(tables, child, false, drop, &e.embed)?;
        if e.kind == EmbedKind::Merge {
            // The merged row's key is the parent's foreign key, already a field.
            let key = cs.single_key();
            node.fields.retain(|(i, _)| Some(*i) != key);
        }
        let index = SortedIndex::build(child, index_col);
        let spans = match e.kind {
            EmbedKind::Array | EmbedKind::IdArray => spans(data, parent_col, &index),
            _ => None,
        };
        out.push(EmbedNode {
            kind: e.kind,
            field: e.field.clone(),
            parent_col,
            value_col,
            index,
            spans,
            node,
        });
    }
    Ok(Node {
        data,
        fields,
        embeds: out,
    })
}

/// Each parent row's span of child positions, by one merge pass over sorted integer keys;
/// `None` when keys are not integers or the parents are not in key order.
fn spans(parent: &TableData, col: usize, index: &SortedIndex) -> Option<Vec<(u32, u32)>> {
    let ints = index.ints.as_ref()?;
    let mut out = Vec::with_capacity(parent.rows.len());
    let (mut lo, mut prev) = (0usize, i64::MIN);
    for row in &parent.rows {
        let Value::Int(k) = row[col] else { return None };
        if k < prev {
            return None;
        }
        prev = k;
        while lo < ints.len() && ints[lo] < k {
            lo += 1;
        }
        let mut hi = lo;
        while hi < ints.len() && ints[hi] == k {
            hi += 1;
        }
        out.push((lo as u32, hi as u32));
    }
    Some(out)
}

/// Compact JSON size in bytes without serialising: exact for everything but non-integer
/// numbers, which count as 24 bytes (the longest shortest-form double).
pub fn json_bytes_estimate(v: &Json) -> usize {
    match v {
        Json::Null => 4,
        Json::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => int_len(i.unsigned_abs()) + usize::from(i < 0),
            (None, Some(u)) => int_len(u),
            _ => 24,
        },
        Json::String(s) => string_len(s),
        Json::Array(a) => {
            2 + a.len().saturating_sub(1) + a.iter().map(json_bytes_estimate).sum::<usize>()
        }
        Json::Object(m) => {
            2 + m.len().saturating_sub(1)
                + m.iter()
                    .map(|(k, v)| string_len(k) + 1 + json_bytes_estimate(v))
                    .sum::<usize>()
        }
    }
}

fn int_len(mut u: u64) -> usize {
    let mut n = 1;
    while u >= 10 {
        u /= 10;
        n += 1;
    }
    n
}

fn string_len(s: &str) -> usize {
    let extra: usize = s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0..=0x1f => 5,
            _ => 0,
        })
        .sum();
    s.len() + 2 + extra
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dataset::{generate, DatasetKind};
    use crate::sim::mapping::rules::Mapping;

    fn mapping(text: &str) -> SqlToDocs {
        match Mapping::from_json(text).unwrap() {
            Mapping::SqlToDocs(m) => m,
            Mapping::DocsToSql(_) => unreachable!(),
        }
    }

    #[test]
    fn sorted_index_finds_unsorted_integer_and_text_keys() {
        use crate::sim::mapping::relational::{ColumnSchema, TableSchema};
        use crate::sim::sql::SqlType;
        let col = |ty| ColumnSchema {
            name: "k".into(),
            ty,
            not_null: false,
        };
        let table = |ty, keys: Vec<Value>| TableData {
            schema: TableSchema {
                name: "t".into(),
                columns: vec![col(ty)],
                primary_key: vec![],
                foreign_keys: vec![],
            },
            rows: keys.into_iter().map(|k| vec![k]).collect(),
        };
        let t = table(
            SqlType::Int,
            vec![Value::Int(5), Value::Null, Value::Int(2), Value::Int(5)],
        );
        let ix = SortedIndex::build(&t, 0);
        assert_eq!(ix.range(&t.rows, &Value::Int(5)), &[0, 3]);
        assert_eq!(ix.range(&t.rows, &Value::Int(2)), &[2]);
        assert!(ix.range(&t.rows, &Value::Null).is_empty());
        assert!(ix.range(&t.rows, &Value::Int(4)).is_empty());
        let t = table(
            SqlType::Text,
            vec![
                Value::Text("b".into()),
                Value::Text("a".into()),
                Value::Text("b".into()),
            ],
        );
        let ix = SortedIndex::build(&t, 0);
        assert_eq!(ix.range(&t.rows, &Value::Text("b".into())), &[0, 2]);
        assert!(ix.range(&t.rows, &Value::Int(1)).is_empty());
    }

    #[test]
    fn size_estimate_is_exact_without_floats() {
        let d = generate(DatasetKind::Content, 4, 2_000).unwrap();
        let m =
            crate::sim::mapping::suggest::suggest_sql_to_docs(&d.tables, ConvertOptions::default())
                .mapping;
        let mapper = DocMapper::new(&m, &d.tables).unwrap();
        let mut tally = Tally::default();
        for row in 0..50 {
            let doc = mapper.document(0, row, &mut tally).unwrap();
            assert_eq!(json_bytes_estimate(&doc), doc.to_string().len());
        }
    }

    #[test]
    fn embeds_nest_and_bounds_are_reported() {
        let d = generate(DatasetKind::Ecommerce, 4, 500).unwrap();
        let m = mapping(
            r#"{"sql_to_docs": {"options": {"embedded_items_max": 2, "doc_bytes_max": 100000},
            "collections": [{"collection": "customers", "table": "customers", "embed": [
              {"kind": "array", "table": "orders", "foreign_key": "customer_id", "field": "orders",
               "embed": [{"kind": "array", "table": "order_items", "foreign_key": "order_id", "field": "items"}]}]}]}}"#,
        );
        let mapper = DocMapper::new(&m, &d.tables).unwrap();
        let (colls, tally) = mapper.collect();
        let doc = &colls[0].docs[0];
        assert!(doc["orders"][0]["items"][0]["product_id"].is_number());
        assert!(
            doc["orders"][0]["items"][0].get("order_id").is_none(),
            "foreign key dropped"
        );
        assert!(colls[0]
            .docs
            .iter()
            .all(|d| d["orders"].as_array().unwrap().len() <= 2));
        assert!(tally.errors_total > 0);
        assert!(tally.errors[0].reason.contains("only the first 2 embedded"));
    }
}
