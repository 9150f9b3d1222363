//! Browser tests of the Data panel given a known view, run in headless Chromium by
//! `wasm-pack test --headless --chrome`.
#![cfg(target_arch = "wasm32")]

#[path = "common/dom.rs"]
mod dom;

use std::rc::Rc;

use dom::text;

use migrascope::ui::data::{DataPanel, DataPanelProps};
use migrascope::view_model::data::{
    Agreement, Cell, ColumnView, DataView, FieldNote, KeyData, Mark, MigrationData, NodeData,
    RecordState, RecordView, ReplicaCopy, TableView, VersionView,
};
use wasm_bindgen_test::*;
use web_sys::Element;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

fn version(value: u64, writer: &str, vv: &str) -> VersionView {
    VersionView {
        value,
        shown: value,
        writer: writer.into(),
        stamp: value * 1_000,
        vv: vv.into(),
    }
}

fn col(name: &str, ty: &str) -> ColumnView {
    ColumnView {
        name: name.into(),
        ty: ty.into(),
    }
}

/// n0 holds k1 (agreed), k2 (n1 holds an older version) and k3 (two siblings).
fn node0() -> NodeData {
    let key = |k: &str, v: &str, sibs: &str| KeyData {
        key: k.into(),
        held: true,
        row: vec![k.into(), v.into(), sibs.into()],
        doc: format!("{{\n  \"_id\": \"{k}\",\n  \"v\": {v}\n}}"),
        agreement: Agreement::Agrees { others: 2 },
        replicas: Vec::new(),
        siblings: Vec::new(),
    };
    let mut k2 = key("k2", "20", "1");
    k2.agreement = Agreement::Differs {
        others: 2,
        differ: 1,
    };
    k2.replicas = vec![
        ReplicaCopy {
            node: "n0".into(),
            up: true,
            chosen: true,
            same: true,
            newest: true,
            versions: vec![version(20, "n0", "n0:2")],
        },
        ReplicaCopy {
            node: "n1".into(),
            up: false,
            chosen: false,
            same: false,
            newest: false,
            versions: vec![version(11, "n0", "n0:1")],
        },
    ];
    let mut k3 = key("k3", "31", "2");
    k3.siblings = vec![version(30, "n0", "n0:3"), version(31, "n2", "n2:1")];
    NodeData {
        id: 0,
        label: "n0".into(),
        up: true,
        store: "SQL table kv",
        columns: vec![
            col("k", "TEXT"),
            col("v", "BIGINT"),
            col("siblings", "INTEGER"),
        ],
        keys: vec![key("k1", "10", "1"), k2, k3],
        keys_held: 3,
        keys_differ: 1,
        keys_siblings: 1,
    }
}

fn record() -> RecordView {
    let cell = |text: &str, mark: Option<(Mark, &str)>| Cell {
        text: text.into(),
        mark: mark.map(|(m, w)| (m, w.into())),
    };
    RecordView {
        key: 7,
        state: RecordState::Changed,
        tables: vec![TableView {
            name: "customers".into(),
            role: "root row: one document each".into(),
            columns: vec![col("id", "BIGINT"), col("note", "TEXT")],
            rows: vec![vec![
                cell("7", Some((Mark::Renamed, "id → _id"))),
                cell("NULL", Some((Mark::Lost, "NULL left out of the document"))),
            ]],
            rows_more: 2,
        }],
        tables_caption: "source rows of customers".into(),
        doc: "{\n  \"_id\": 7\n}".into(),
        doc_lines_more: 0,
        doc_caption: "in the target collection customers".into(),
        notes: vec![FieldNote {
            field: "customers.id".into(),
            mark: Mark::Renamed,
            detail: "id → _id".into(),
        }],
        changed: vec!["email".into()],
        tally: "converted: integer 1; lost: none; refused: 0".into(),
    }
}

fn view(migration: bool) -> DataView {
    let mut n1 = node0();
    n1.id = 1;
    n1.label = "n1".into();
    n1.up = false;
    n1.keys.clear();
    DataView {
        nodes: vec![Rc::new(node0()), Rc::new(n1)],
        migration: migration.then(|| {
            Rc::new(MigrationData {
                direction: "SQL tables → documents",
                sql_to_docs: true,
                phase: "loading".into(),
                entity: "customers".into(),
                records: vec![record()],
            })
        }),
    }
}

async fn render(view: DataView, node: u32) -> Element {
    let on = Callback::noop();
    let view = Rc::new(view);
    dom::mount::<DataPanel>(DataPanelProps { view, node, on }).await
}

#[wasm_bindgen_test]
async fn the_node_chooser_is_labelled_and_rows_sit_beside_documents() {
    let root = render(view(false), 0).await;
    assert!(root.query_selector("#data-panel").unwrap().is_some());
    assert!(root
        .query_selector("label[for='data-node']")
        .unwrap()
        .is_some());
    let options = text(&root, "#data-node");
    assert!(
        options.contains("n0") && options.contains("n1 · crashed"),
        "{options}"
    );
    let head = text(&root, "#data-rows thead");
    assert!(
        head.contains("k TEXT") && head.contains("v BIGINT"),
        "{head}"
    );
    let rows = root.query_selector_all("#data-rows tbody tr").unwrap();
    assert_eq!(rows.length(), 3);
    assert!(text(&root, "#data-rows").contains("≠ 1 of 2 other replicas differ"));
    assert_eq!(
        root.query_selector_all("#data-docs pre").unwrap().length(),
        3
    );
    assert!(text(&root, "#data-docs").contains("\"_id\": \"k2\""));
    assert!(text(&root, "#data-migration").contains("No migration yet"));
}

#[wasm_bindgen_test]
async fn the_diff_names_each_replica_and_siblings_are_all_listed() {
    let root = render(view(false), 0).await;
    let diff = text(&root, "#data-diff");
    assert!(diff.contains("k2"), "{diff}");
    assert!(diff.contains("n0 (this node)"), "{diff}");
    assert!(
        diff.contains("n1 · crashed") && diff.contains("≠ differs"),
        "{diff}"
    );
    assert!(diff.contains("value 11 · written by n0"), "{diff}");
    assert!(diff.contains("newest") && diff.contains("behind"), "{diff}");
    let sibs = root.query_selector_all("#data-siblings li").unwrap();
    assert_eq!(sibs.length(), 2);
    let s = text(&root, "#data-siblings");
    assert!(
        s.contains("k3 · 2 sibling versions") && s.contains("vector [n2:1]"),
        "{s}"
    );
}

#[wasm_bindgen_test]
async fn an_out_of_range_node_falls_back_and_a_quiet_node_says_so() {
    let mut v = view(false);
    Rc::make_mut(&mut v.nodes[0]).keys.retain(|k| k.key == "k1");
    let root = render(v, 9).await;
    assert!(text(&root, "#data-summary").starts_with("n0 holds"));
    assert!(text(&root, "#data-diff").contains("✓ Every up replica"));
    assert!(text(&root, "#data-siblings").contains("No key shown on n0"));
}

#[wasm_bindgen_test]
async fn migration_records_mark_fields_with_words() {
    let root = render(view(true), 0).await;
    let m = text(&root, "#data-migration");
    assert!(m.contains("SQL tables → documents · loading"), "{m}");
    assert!(
        m.contains("customers 7") && m.contains("≠ changed since copy"),
        "{m}"
    );
    assert!(m.contains("differs from the source now: email"), "{m}");
    let renamed = text(&root, "#data-migration td.mark.renamed");
    assert!(
        renamed.contains('7') && renamed.contains("renamed"),
        "{renamed}"
    );
    assert!(text(&root, "#data-migration td.mark.lost").contains("lost"));
    assert!(m.contains("… 2 more rows"), "{m}");
    assert!(text(&root, "#data-migration pre").contains("\"_id\": 7"));
}
