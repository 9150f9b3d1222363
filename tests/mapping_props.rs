//! Property tests for the mapping layer: lossless mappings round-trip SQL -> documents ->
//! SQL to the same checksum (and the same rows), the checksum changes when any single value
//! changes, and datasets are a function of (seed, size).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;

use migrascope::sim::dataset::{generate, DatasetKind};
use migrascope::sim::mapping::checksum::{checksum_docs, checksum_tables};
use migrascope::sim::mapping::suggest::suggest_sql_to_docs;
use migrascope::sim::mapping::{
    ConvertOptions, DocMapper, Mapping, NullMode, RowMapper, SqlToDocs, Tables,
};
use migrascope::sim::sql::{Numeric, Value};

fn sql_kind(i: u8) -> DatasetKind {
    if i % 2 == 0 {
        DatasetKind::Ecommerce
    } else {
        DatasetKind::Content
    }
}

/// A hand-written mapping using every SQL -> documents rule kind on the e-commerce tables:
/// nested arrays, an N:1 sub-document copy of a table that is also a collection, and a
/// merge of the customer into each order.
fn rich_mapping() -> SqlToDocs {
    let text = r#"{"sql_to_docs": {"collections": [
        {"collection": "orders", "table": "orders", "embed": [
            {"kind": "array", "table": "order_items", "foreign_key": "order_id", "field": "items",
             "embed": [{"kind": "object", "table": "products", "foreign_key": "product_id", "field": "product"}]},
            {"kind": "merge", "table": "customers", "foreign_key": "customer_id", "field": "customer_"}
        ]},
        {"collection": "products", "table": "products"},
        {"collection": "addresses", "table": "addresses"}
    ]}}"#;
    match Mapping::from_json(text).expect("mapping parses") {
        Mapping::SqlToDocs(m) => m,
        Mapping::DocsToSql(_) => unreachable!("written as sql_to_docs"),
    }
}

/// Documents and the tables read back from them through the inverse mapping.
fn round_trip(m: &SqlToDocs, tables: &Tables) -> Tables {
    let mapper = DocMapper::new(m, tables).expect("valid mapping");
    let (colls, tally) = mapper.collect();
    assert_eq!(tally.errors_total, 0, "{:?}", tally.errors);
    let inverse = RowMapper::new(&m.inverse(tables).expect("inverse")).expect("rules");
    let docs = colls
        .iter()
        .flat_map(|c| c.docs.iter().map(move |d| (c.name.as_str(), d)));
    let (back, tally) = inverse.map_all(docs);
    assert_eq!(tally.errors_total, 0, "{:?}", tally.errors);
    back
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn lossless_mappings_round_trip(seed in 0u64..10_000, rows in 10u64..600, kind in 0u8..2, write_nulls: bool) {
        let d = generate(sql_kind(kind), seed, rows).unwrap();
        let nulls = if write_nulls { NullMode::Write } else { NullMode::Omit };
        let opts = ConvertOptions { nulls, ..ConvertOptions::default() };
        let m = suggest_sql_to_docs(&d.tables, opts).mapping;
        let used = m.tables_used();
        let back = round_trip(&m, &d.tables);
        prop_assert_eq!(checksum_tables(&back, None), checksum_tables(&d.tables, Some(&used)));
        for t in back.iter() {
            prop_assert_eq!(&t.rows, &d.tables.get(&t.schema.name).unwrap().rows, "{}", t.schema.name);
        }
    }

    #[test]
    fn every_rule_kind_round_trips(seed in 0u64..10_000, rows in 10u64..600) {
        let d = generate(DatasetKind::Ecommerce, seed, rows).unwrap();
        let m = rich_mapping();
        prop_assert_eq!(m.copy_only_tables(), vec!["customers".to_string()]);
        let back = round_trip(&m, &d.tables);
        // Customers only travel as copies merged into orders: those without orders are not
        // migrated, and the checksum says so; the ones with orders come back exactly.
        let mut expected = d.tables.clone();
        let ordering: std::collections::BTreeSet<i64> = d.tables.get("orders").unwrap().rows.iter()
            .filter_map(|r| match r[1] { Value::Int(c) => Some(c), _ => None }).collect();
        let customers = expected.get_mut("customers").unwrap();
        let all = customers.rows.len();
        customers.rows.retain(|r| matches!(r[0], Value::Int(id) if ordering.contains(&id)));
        let kept = customers.rows.len();
        let used = m.tables_used();
        prop_assert_eq!(checksum_tables(&back, None), checksum_tables(&expected, Some(&used)));
        if kept < all {
            prop_assert_ne!(checksum_tables(&back, None), checksum_tables(&d.tables, Some(&used)));
        }
    }

    #[test]
    fn any_single_value_change_changes_the_checksum(seed in 0u64..10_000, pick in any::<u64>()) {
        let d = generate(DatasetKind::Ecommerce, seed, 200).unwrap();
        let before = checksum_tables(&d.tables, None);
        let mut changed = d.tables.clone();
        let names: Vec<String> = changed.names().map(str::to_string).collect();
        let t = changed.get_mut(&names[pick as usize % names.len()]).unwrap();
        prop_assume!(!t.rows.is_empty());
        let n = t.rows.len();
        let row = &mut t.rows[(pick >> 8) as usize % n];
        let col = (pick >> 40) as usize % row.len();
        row[col] = mutate(&row[col]);
        prop_assert_ne!(checksum_tables(&changed, None).total(), before.total());
    }

    #[test]
    fn a_changed_document_changes_the_documents_checksum(seed in 0u64..10_000, pick in any::<u64>()) {
        let d = generate(DatasetKind::Content, seed, 300).unwrap();
        let m = suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping;
        let (mut colls, _) = DocMapper::new(&m, &d.tables).unwrap().collect();
        let inverse = RowMapper::new(&m.inverse(&d.tables).unwrap()).unwrap();
        // (checksum, values the read-back refused): a change must show in one of them.
        let sum = |colls: &[migrascope::sim::mapping::MappedCollection]| {
            let docs = colls.iter().enumerate().flat_map(|(i, c)| c.docs.iter().map(move |d| (i, d)));
            let (sums, tally) = checksum_docs(&inverse, docs);
            (sums.total(), tally.errors_total)
        };
        let before = sum(&colls);
        prop_assert_eq!(before, (checksum_tables(&d.tables, Some(&m.tables_used())).total(), 0));
        let c = &mut colls[pick as usize % 2];
        let n = c.docs.len();
        let doc = c.docs[(pick >> 8) as usize % n].as_object_mut().unwrap();
        let keys: Vec<String> = doc.keys().filter(|k| *k != "_id").cloned().collect();
        let k = &keys[(pick >> 32) as usize % keys.len()];
        let v = doc.get_mut(k).unwrap();
        *v = match v {
            serde_json::Value::String(s) => serde_json::json!(format!("{s}!")),
            serde_json::Value::Array(a) => { a.push(serde_json::json!(999_999)); v.clone() }
            _ => serde_json::json!("changed"),
        };
        prop_assert_ne!(sum(&colls), before);
    }

    #[test]
    fn datasets_are_a_function_of_seed_and_size(seed in 0u64..1_000_000, rows in 10u64..400, kind in 0u8..3) {
        let kind = [DatasetKind::Ecommerce, DatasetKind::Content, DatasetKind::Profiles][kind as usize];
        let a = generate(kind, seed, rows).unwrap();
        prop_assert_eq!(&a, &generate(kind, seed, rows).unwrap());
        prop_assert_ne!(&a, &generate(kind, seed + 1, rows).unwrap());
    }
}

/// A different value of the same type.
fn mutate(v: &Value) -> Value {
    match v {
        Value::Null => Value::Int(0),
        Value::Int(i) => Value::Int(i.wrapping_add(1)),
        Value::Bool(b) => Value::Bool(!b),
        Value::Real(x) => Value::Real(x + 1.0),
        Value::Numeric(n) => Value::Numeric(Numeric {
            unscaled: n.unscaled + 1,
            scale: n.scale,
        }),
        Value::Text(s) => Value::Text(format!("{s}x")),
        Value::Date(d) => Value::Date(d + 1),
        Value::Timestamp(t) => Value::Timestamp(t + 1),
    }
}
