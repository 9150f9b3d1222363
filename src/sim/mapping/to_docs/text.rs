//! Documents written straight to canonical compact JSON text, without building a
//! `serde_json::Value` tree first: the bytes are those `serde_json::to_string` writes for the
//! document [`DocMapper::document`] builds (object keys in byte order, a repeated key keeping
//! its last value), with the same errors, size bound and tally. A migration stores documents
//! as this text, so building the tree only to serialise and drop it was most of the cost.
//!
//! Scalars still go through [`sql_to_json`] (and text through serde_json's string writer),
//! so every value is rendered by the same code either way.

use std::borrow::Cow;
use std::ops::Range;

use super::{json_bytes_estimate, string_len, Cx, DocMapper, EmbedKind, EmbedNode, Node};
use crate::sim::mapping::convert::{sql_to_json, Conv, Tally};
use crate::sim::mapping::relational::key_text;
use crate::sim::sql::{Row, Value};

/// An object being written: each field's rendered value in `buf`, sorted when finished.
struct TextObj<'n> {
    items: Vec<(Cow<'n, str>, Range<usize>)>,
    buf: Vec<u8>,
    /// As `Built::field_bytes`: the size estimate the size bound is checked against.
    field_bytes: usize,
    /// JSON objects inside (this one included), as `count_objects` counts them.
    objects: u64,
}

impl<'n> TextObj<'n> {
    fn new(n: usize) -> TextObj<'n> {
        TextObj {
            items: Vec::with_capacity(n),
            buf: Vec::new(),
            field_bytes: 0,
            objects: 1,
        }
    }

    /// One field whose value `write` renders into the buffer.
    fn push(&mut self, k: Cow<'n, str>, value_bytes: usize, write: impl FnOnce(&mut Vec<u8>)) {
        self.field_bytes += string_len(&k) + 2 + value_bytes;
        let start = self.buf.len();
        write(&mut self.buf);
        self.items.push((k, start..self.buf.len()));
    }

    fn bytes(&self) -> usize {
        2 + self.field_bytes - usize::from(!self.items.is_empty())
    }

    /// The object's text into `out`: keys in byte order, a repeated key's last value.
    fn finish(mut self, out: &mut Vec<u8>) {
        // Stable: equal keys keep push order, so the last of a run is the last pushed.
        crate::sim::sort::sort_by(&mut self.items, |a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        out.push(b'{');
        let mut first = true;
        for (i, (k, r)) in self.items.iter().enumerate() {
            if self.items.get(i + 1).is_some_and(|n| n.0 == *k) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            write_str(out, k);
            out.push(b':');
            out.extend_from_slice(&self.buf[r.clone()]);
        }
        out.push(b'}');
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("a string serialises");
}

fn write_json(out: &mut Vec<u8>, j: &serde_json::Value) {
    serde_json::to_writer(&mut *out, j).expect("JSON values serialise");
}

impl DocMapper<'_> {
    /// [`DocMapper::document_visiting`] written as canonical compact text into `out`
    /// (cleared first): the objects it holds (as `count_objects` counts them), or `None`
    /// (with the reason in `tally`) when it breaks the size bound.
    pub fn document_text(
        &self,
        i: usize,
        row: usize,
        tally: &mut Tally,
        visit: Option<super::RowVisitor<'_>>,
        out: &mut Vec<u8>,
    ) -> Option<u64> {
        out.clear();
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
        let built = self.object_text(&c.node, row, &mut cx, true);
        let bytes = built.bytes();
        let objects = built.objects;
        if bytes > self.opts.doc_bytes_max {
            let why = format!(
                "document is about {bytes} bytes, over the {} byte limit",
                self.opts.doc_bytes_max
            );
            tally.error(&c.name, key(), "", why);
            return None;
        }
        built.finish(out);
        tally.records_out += 1;
        Some(objects)
    }

    fn object_text<'n>(&self, node: &'n Node, ri: usize, cx: &mut Cx, own: bool) -> TextObj<'n> {
        let row = &node.data.rows[ri];
        if own {
            if let Some(v) = cx.visit.as_mut() {
                v(&node.data.schema, row);
            }
        }
        let mut b = TextObj::new(node.fields.len() + node.embeds.len());
        for (i, field) in &node.fields {
            self.scalar_field(&mut b, Cow::Borrowed(field), &row[*i], cx);
        }
        for e in &node.embeds {
            self.embed_text(e, row, ri, &mut b, cx);
        }
        b
    }

    /// One column value as a field (none when a NULL is omitted).
    fn scalar_field<'n>(&self, b: &mut TextObj<'n>, k: Cow<'n, str>, v: &Value, cx: &mut Cx) {
        if let Value::Text(s) = v {
            // As `sql_to_json` does, without copying the text into a JSON value.
            cx.tally.conv(Conv::Text);
            b.push(k, string_len(s), |buf| write_str(buf, s));
            return;
        }
        match sql_to_json(v, &self.opts, cx.tally) {
            Ok(Some(j)) => {
                let n = json_bytes_estimate(&j);
                b.push(k, n, |buf| write_json(buf, &j));
            }
            Ok(None) => {}
            Err(why) => cx.error(&k, why),
        }
    }

    fn embed_text<'n>(
        &self,
        e: &'n EmbedNode,
        row: &Row,
        ri: usize,
        b: &mut TextObj<'n>,
        cx: &mut Cx,
    ) {
        let rows = &e.node.data.rows;
        let found = match &e.spans {
            Some(spans) => {
                let (lo, hi) = spans[ri];
                &e.index.order[lo as usize..hi as usize]
            }
            None => e.index.range(rows, &row[e.parent_col]),
        };
        match (e.kind, found.first()) {
            (EmbedKind::Array | EmbedKind::IdArray, _) => self.array_text(e, found, b, cx),
            (EmbedKind::Object, Some(&ci)) => {
                let sub = self.object_text(&e.node, ci as usize, cx, false);
                let n = sub.bytes();
                b.objects += sub.objects;
                b.push(Cow::Borrowed(&e.field), n, |buf| sub.finish(buf));
            }
            (EmbedKind::Merge, Some(&ci)) => {
                let sub = self.object_text(&e.node, ci as usize, cx, false);
                b.objects += sub.objects - 1;
                for (k, r) in sub.items {
                    let v = &sub.buf[r];
                    let n = value_estimate(v);
                    b.push(Cow::Owned(format!("{}{k}", e.field)), n, |buf| {
                        buf.extend_from_slice(v)
                    });
                }
            }
            (_, None) => {
                let fk = &row[e.parent_col];
                if fk.is_null() {
                    if e.kind == EmbedKind::Object
                        && self.opts.nulls == super::super::convert::NullMode::Write
                    {
                        b.push(Cow::Borrowed(&e.field), 4, |buf| {
                            buf.extend_from_slice(b"null")
                        });
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
    }

    fn array_text<'n>(&self, e: &'n EmbedNode, found: &[u32], b: &mut TextObj<'n>, cx: &mut Cx) {
        let max = self.opts.embedded_items_max;
        if found.len() > max {
            cx.error(
                &e.field,
                format!("{} rows, only the first {max} embedded", found.len()),
            );
        }
        let mut items = Vec::new();
        let mut bytes = 2 + found.len().min(max).saturating_sub(1);
        items.push(b'[');
        let mut first = true;
        for &ci in found.iter().take(max) {
            let start = items.len();
            if !first {
                items.push(b',');
            }
            if e.kind == EmbedKind::Array {
                let sub = self.object_text(&e.node, ci as usize, cx, true);
                bytes += sub.bytes();
                b.objects += sub.objects;
                sub.finish(&mut items);
                first = false;
                continue;
            }
            match sql_to_json(
                &e.node.data.rows[ci as usize][e.value_col],
                &self.opts,
                cx.tally,
            ) {
                Ok(j) => {
                    let j = j.unwrap_or(serde_json::Value::Null);
                    bytes += json_bytes_estimate(&j);
                    write_json(&mut items, &j);
                    first = false;
                }
                Err(why) => {
                    items.truncate(start);
                    cx.error(&e.field, why);
                }
            }
        }
        items.push(b']');
        b.push(Cow::Borrowed(&e.field), bytes, |buf| {
            buf.extend_from_slice(&items)
        });
    }
}

/// [`json_bytes_estimate`] of a value already rendered (a merged field): parsed back, which
/// is rare enough (merge embeds) not to matter.
fn value_estimate(text: &[u8]) -> usize {
    serde_json::from_slice::<serde_json::Value>(text)
        .map_or(text.len(), |j| json_bytes_estimate(&j))
}

#[cfg(test)]
mod tests {
    use crate::sim::dataset::{generate, DatasetKind};
    use crate::sim::mapping::convert::{NullMode, NumericMode, TimestampMode};
    use crate::sim::mapping::suggest::suggest_sql_to_docs;
    use crate::sim::mapping::{ConvertOptions, DocMapper, SqlToDocs, Tally};

    /// Orders with a merged customer (prefixed fields) and copies, next to the owners.
    const MERGED: &str = r#"{
      "collections": [
        {"collection": "customers", "table": "customers"},
        {"collection": "products", "table": "products"},
        {"collection": "orders", "table": "orders", "embed": [
          {"kind": "merge", "table": "customers", "foreign_key": "customer_id", "field": "customer_"},
          {"kind": "array", "table": "order_items", "foreign_key": "order_id", "field": "items",
           "embed": [{"kind": "object", "table": "products", "foreign_key": "product_id", "field": "product"}]}]}
      ]
    }"#;

    fn same_as_serialised(m: &SqlToDocs, tables: &crate::sim::mapping::Tables) {
        let mapper = DocMapper::new(m, tables).unwrap();
        let mut buf = Vec::new();
        for c in 0..m.collections.len() {
            for row in 0..mapper.root_rows(c) {
                let (mut t1, mut t2) = (Tally::default(), Tally::default());
                let doc = mapper.document(c, row, &mut t1);
                let n = mapper.document_text(c, row, &mut t2, None, &mut buf);
                assert_eq!(doc.is_some(), n.is_some());
                assert_eq!(t1.errors_total, t2.errors_total);
                if let (Some(d), Some(n)) = (doc, n) {
                    let text = serde_json::to_string(&d).unwrap();
                    assert_eq!(std::str::from_utf8(&buf).unwrap(), text);
                    assert_eq!(crate::sim::migrate::to_docs::count_objects(&d), n);
                }
            }
        }
    }

    #[test]
    fn text_is_the_serialised_document_for_every_dataset_and_option() {
        let variants = [
            ConvertOptions::default(),
            ConvertOptions {
                nulls: NullMode::Write,
                numeric: NumericMode::Double,
                timestamps: TimestampMode::EpochMillis,
                ..ConvertOptions::default()
            },
            ConvertOptions {
                doc_bytes_max: 600,
                embedded_items_max: 2,
                ..ConvertOptions::default()
            },
        ];
        for kind in DatasetKind::ALL {
            let d = generate(kind, 3, 400).unwrap();
            for o in &variants {
                let m = suggest_sql_to_docs(&d.tables, o.clone()).mapping;
                same_as_serialised(&m, &d.tables);
            }
        }
        let d = generate(DatasetKind::Ecommerce, 4, 400).unwrap();
        for o in &variants {
            for text in [MERGED, crate::sim::migrate::spec::ORDERS_WITH_COPIES] {
                let mut m: SqlToDocs = serde_json::from_str(text).unwrap();
                m.options = o.clone();
                same_as_serialised(&m, &d.tables);
            }
        }
    }
}
