//! Integration tests for the mapping layer with pinned seeds: documents go into the real
//! document store and rows into the real SQL store, verification finds what it should, and
//! the mapping files under `scenarios/mappings/` stay valid.

use migrascope::sim::dataset::{generate, DatasetKind};
use migrascope::sim::doc::DocStore;
use migrascope::sim::mapping::checksum::{checksum_docs, checksum_tables};
use migrascope::sim::mapping::cli::target_ddl;
use migrascope::sim::mapping::profile::profile_docs;
use migrascope::sim::mapping::suggest::{suggest_docs_to_sql, suggest_sql_to_docs};
use migrascope::sim::mapping::verify::{
    doc_schema, sample_compare_docs, sample_compare_tables, store_counts, store_lookup,
    validate_docs, validate_tables,
};
use migrascope::sim::mapping::{
    ConvertOptions, DocMapper, DocsToSql, Mapping, MappingError, RowMapper, SqlToDocs, Tables,
};
use migrascope::sim::sql::{SqlStore, Value};
use serde_json::json;

const SEED: u64 = 20_261_121;

fn sql_to_docs(text: &str) -> SqlToDocs {
    match Mapping::from_json(text).expect("parses") {
        Mapping::SqlToDocs(m) => m,
        other => panic!("not sql_to_docs: {other:?}"),
    }
}

fn docs_to_sql(text: &str) -> DocsToSql {
    match Mapping::from_json(text).expect("parses") {
        Mapping::DocsToSql(m) => m,
        other => panic!("not docs_to_sql: {other:?}"),
    }
}

/// Map into a document store; returns the store.
fn into_store(m: &SqlToDocs, tables: &Tables) -> DocStore {
    let mut store = DocStore::new();
    let tally = DocMapper::new(m, tables)
        .unwrap()
        .load_into(&mut store)
        .unwrap();
    assert_eq!(tally.errors_total, 0, "seed {SEED}: {:?}", tally.errors);
    store
}

#[test]
fn ecommerce_documents_verify_in_the_document_store() {
    let d = generate(DatasetKind::Ecommerce, SEED, 3_000).unwrap();
    let m = suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping;
    let mut store = into_store(&m, &d.tables);
    let counts = store_counts(&store);
    assert_eq!(
        counts["customers"],
        d.tables.get("customers").unwrap().rows.len() as u64
    );
    // Validator derived from the mapping, and _id uniqueness.
    for name in ["customers", "products"] {
        let schema = doc_schema(&m, &d.tables, name).unwrap();
        let docs = store.collection(name).unwrap().iter().map(|(_, d)| d);
        let r = validate_docs(name, docs, &schema);
        assert!(r.is_clean(), "seed {SEED}: {:?}", r.violations);
    }
    // Checksum of what the store holds equals the source's.
    let inverse = RowMapper::new(&m.inverse(&d.tables).unwrap()).unwrap();
    let sum = |store: &DocStore| {
        let docs: Vec<(usize, &serde_json::Value)> = inverse
            .collection_names()
            .iter()
            .enumerate()
            .flat_map(|(i, n)| {
                store
                    .collection(n)
                    .unwrap()
                    .iter()
                    .map(move |(_, d)| (i, d))
            })
            .collect();
        checksum_docs(&inverse, docs).0
    };
    assert_eq!(
        sum(&store),
        checksum_tables(&d.tables, Some(&m.tables_used()))
    );
    let mapper = DocMapper::new(&m, &d.tables).unwrap();
    assert!(sample_compare_docs(&mapper, 25, SEED, store_lookup(&store)).is_clean());
    // One changed field: the sample (over every document) names it, the checksum moves.
    store
        .replace("customers", &json!(1), {
            let mut doc = store.get("customers", &json!(1)).unwrap().unwrap().clone();
            doc["full_name"] = json!("Someone Else");
            doc
        })
        .unwrap();
    let all = mapper.root_rows(0);
    let r = sample_compare_docs(&mapper, all, SEED, store_lookup(&store));
    assert_eq!(r.diffs_total, 1);
    assert_eq!(
        (r.diffs[0].key.as_str(), r.diffs[0].path.as_str()),
        ("1", "full_name")
    );
    assert_ne!(
        sum(&store),
        checksum_tables(&d.tables, Some(&m.tables_used()))
    );
}

#[test]
fn lossy_options_are_reported_and_show_in_the_checksums() {
    let d = generate(DatasetKind::Ecommerce, SEED, 20_000).unwrap();
    let text = std::fs::read_to_string("scenarios/mappings/ecommerce_lossy.json").unwrap();
    let m = sql_to_docs(&text);
    let (colls, tally) = DocMapper::new(&m, &d.tables).unwrap().collect();
    let report = tally.report();
    assert!(report.losses["numeric_precision"] > 0, "{report:?}");
    assert!(report.losses["timestamp_sub_millisecond"] > 0);
    assert!(report.conversions["null_written"] > 0);
    let inverse = RowMapper::new(&m.inverse(&d.tables).unwrap()).unwrap();
    let docs = colls
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.docs.iter().map(move |d| (i, d)));
    let (target, back) = checksum_docs(&inverse, docs);
    assert_eq!(back.errors_total, 0);
    let source = checksum_tables(&d.tables, Some(&m.tables_used()));
    assert_eq!(source.differing(&target), vec!["customers", "orders"]);
}

#[test]
fn profiles_load_into_the_sql_store_through_the_suggested_mapping() {
    let d = generate(DatasetKind::Profiles, SEED, 4_000).unwrap();
    let docs = &d.collections[0].1;
    let m = suggest_docs_to_sql(&profile_docs("profiles", docs), ConvertOptions::default()).mapping;
    let mapper = RowMapper::new(&m).unwrap();
    let (tables, tally) = mapper.map_all(docs.iter().map(|doc| ("profiles", doc)));
    // Dirty values are reported per record, none silently dropped.
    assert!(tally.errors_total > 0);
    let e = &tally.errors[0];
    assert_eq!(
        (e.entity.as_str(), e.field.as_str()),
        ("profiles", "signup")
    );
    assert!(e.reason.contains("2021-02-30"), "{e:?}");
    let produced = tables.get("profiles").unwrap().rows.len() as u64;
    assert_eq!(produced + tally.errors_total, docs.len() as u64);
    assert!(validate_tables(&tables).is_clean());
    // The DDL runs in the SQL store and the rows load with every constraint checked.
    let mut store = SqlStore::new();
    store.execute(&target_ddl(&m).unwrap()).unwrap();
    tables.load_into(&mut store).unwrap();
    let loaded = Tables::from_store(&store);
    assert_eq!(
        checksum_tables(&loaded, None),
        checksum_tables(&tables, None)
    );
    assert!(sample_compare_tables(&tables, &loaded, 50, SEED).is_clean());
}

#[test]
fn sub_documents_become_tables_and_missing_fields_take_defaults() {
    let m = docs_to_sql(
        r#"{"docs_to_sql": {
        "tables": [
          {"table": "people", "primary_key": ["id"], "columns": [
            {"name": "id", "type": "BIGINT"},
            {"name": "tier", "type": "VARCHAR(8)", "not_null": true, "default": "basic"},
            {"name": "joined", "type": "DATE"}]},
          {"table": "people_names", "primary_key": ["person_id"],
           "foreign_keys": [{"columns": ["person_id"], "ref_table": "people", "ref_columns": ["id"]}],
           "columns": [
            {"name": "person_id", "type": "BIGINT"},
            {"name": "first", "type": "TEXT", "not_null": true},
            {"name": "last", "type": "TEXT"}]}
        ],
        "collections": [{"collection": "people", "root": {"table": "people",
          "columns": [{"column": "id", "path": "_id"}, {"column": "tier", "path": "tier"},
                      {"column": "joined", "path": "joined"}],
          "children": [{"table": "people_names", "path": "name", "parent_column": "person_id",
                        "columns": [{"column": "first", "path": "first"}, {"column": "last", "path": "last"}]}]}}]
      }}"#,
    );
    let docs = [
        json!({"_id": 1, "name": {"first": "Ada", "last": "L"}, "joined": "2020-01-02"}),
        json!({"_id": 2, "tier": "gold"}),
        json!({"_id": 3, "tier": "gold", "name": {"last": "X"}}),
    ];
    let (tables, tally) = RowMapper::new(&m)
        .unwrap()
        .map_all(docs.iter().map(|d| ("people", d)));
    let people = &tables.get("people").unwrap().rows;
    assert_eq!(people[0][1], Value::Text("basic".into()));
    assert_eq!(people[1][2], Value::Null);
    let names = &tables.get("people_names").unwrap().rows;
    assert_eq!(names.len(), 1, "doc 3's name lacks the NOT NULL first name");
    assert_eq!(tally.errors_total, 1);
    assert_eq!(tally.errors[0].field, "name.first");
    assert!(validate_tables(&tables).is_clean());
}

#[test]
fn bad_mappings_name_the_problem() {
    let d = generate(DatasetKind::Ecommerce, SEED, 100).unwrap();
    let m = sql_to_docs(
        r#"{"sql_to_docs": {"collections": [{"collection": "c", "table": "customers",
            "embed": [{"kind": "array", "table": "orders", "foreign_key": "buyer", "field": "orders"}]}]}}"#,
    );
    assert_eq!(
        m.validate(&d.tables),
        Err(MappingError::UnknownColumn {
            table: "orders".into(),
            column: "buyer".into()
        })
    );
    let twice = sql_to_docs(
        r#"{"sql_to_docs": {"collections": [{"collection": "a", "table": "orders"}, {"collection": "b", "table": "orders"}]}}"#,
    );
    assert!(twice
        .validate(&d.tables)
        .unwrap_err()
        .to_string()
        .contains("already"));
    assert!(Mapping::from_json(r#"{"sql_to_docs": {"collections": [], "extra": 1}}"#).is_err());
}

#[test]
fn constraint_validation_finds_broken_targets() {
    let d = generate(DatasetKind::Ecommerce, SEED, 500).unwrap();
    assert!(validate_tables(&d.tables).is_clean());
    let mut broken = d.tables.clone();
    let items = broken.get_mut("order_items").unwrap();
    items.rows[0][2] = Value::Int(999_999); // product that does not exist
    items.rows[1][3] = Value::Null; // quantity is NOT NULL
    let dup = items.rows[2].clone();
    items.rows.push(dup);
    let r = validate_tables(&broken);
    let rules: Vec<&str> = r.violations.iter().map(|v| v.rule.as_str()).collect();
    assert_eq!(r.violations_total, 3, "{:?}", r.violations);
    for rule in ["foreign_key", "not_null", "primary_key"] {
        assert!(rules.contains(&rule), "{rules:?}");
    }
}

#[test]
fn mapping_files_stay_valid() {
    for (file, kind) in [
        ("ecommerce", DatasetKind::Ecommerce),
        ("ecommerce_lossy", DatasetKind::Ecommerce),
        ("ecommerce_orders", DatasetKind::Ecommerce),
        ("content", DatasetKind::Content),
        ("profiles", DatasetKind::Profiles),
    ] {
        let text = std::fs::read_to_string(format!("scenarios/mappings/{file}.json")).unwrap();
        let d = generate(kind, 1, 1_000).unwrap();
        match Mapping::from_json(&text).unwrap() {
            Mapping::SqlToDocs(m) => m.validate(&d.tables).unwrap(),
            Mapping::DocsToSql(m) => {
                RowMapper::new(&m).unwrap();
            }
        }
    }
}
