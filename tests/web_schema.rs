//! Browser tests of the Schema panel given known form text (and a known running migration),
//! run in headless Chromium by `wasm-pack test --headless --chrome`.
#![cfg(target_arch = "wasm32")]

#[path = "common/dom.rs"]
mod dom;

use dom::text;

use migrascope::sim::migrate::{Direction, Strategy};
use migrascope::ui::schema::{SchemaPanel, SchemaPanelProps};
use migrascope::view_model::migration::MigrationForm;
use migrascope::view_model::schema::versions::RunSides;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn render(form: MigrationForm) -> Element {
    render_with(form, None).await
}

async fn render_with(form: MigrationForm, run: Option<RunSides>) -> Element {
    let on = Callback::noop();
    dom::mount::<SchemaPanel>(SchemaPanelProps { form, run, on }).await
}

#[wasm_bindgen_test]
async fn every_box_has_a_label_and_an_empty_form_shows_the_suggestion() {
    let root = render(MigrationForm::default()).await;
    let boxes = root.query_selector_all("textarea").unwrap();
    assert_eq!(boxes.length(), 3);
    for i in 0..boxes.length() {
        let el: Element = boxes.item(i).unwrap().unchecked_into();
        let label = root
            .query_selector(&format!("label[for='{}']", el.id()))
            .unwrap();
        assert!(label.is_some(), "{} has no label", el.id());
        assert!(el.get_attribute("aria-invalid").is_none());
    }
    assert!(text(&root, "#schema-ddl").starts_with("CREATE TABLE customers"));
    assert!(text(&root, "#schema-dry-run").contains("Type one or more statements"));
    assert!(text(&root, "#schema-mapping-status").contains("Using the suggested mapping"));
    assert!(text(&root, "#schema-preview").contains("customers · "));
}

#[wasm_bindgen_test]
async fn an_error_is_shown_at_its_line_and_marks_its_box() {
    let form = MigrationForm {
        sql_up:
            "ALTER TABLE customers ADD COLUMN tier TEXT;\n\nALTER TABLE orders DROP COLUMN nope;"
                .into(),
        mapping_json: "{\n  \"collections\": [\n    {\"collection\": 1}\n  ]\n}".into(),
        ..MigrationForm::default()
    };
    let root = render(form).await;
    let up = text(&root, "#schema-up-errors");
    assert!(up.contains("up, line 3"), "{up}");
    assert!(up.contains("ALTER TABLE orders DROP COLUMN nope"), "{up}");
    assert!(up.contains("\"nope\""), "{up}");
    assert!(root
        .query_selector("#schema-up[aria-invalid='true']")
        .unwrap()
        .is_some());
    assert!(root.query_selector("#schema-locks").unwrap().is_none());
    let mapping = text(&root, "#schema-mapping-errors");
    assert!(mapping.contains("mapping, line 3"), "{mapping}");
}

#[wasm_bindgen_test]
async fn a_clean_change_shows_its_locks_and_what_down_cannot_restore() {
    let form = MigrationForm {
        sql_up: "ALTER TABLE orders ALTER COLUMN total TYPE NUMERIC(12,0);".into(),
        sql_down: "ALTER TABLE orders ALTER COLUMN total TYPE NUMERIC(12,2);".into(),
        ..MigrationForm::default()
    };
    let root = render(form).await;
    assert!(text(&root, "#schema-dry-run").contains(": complete"));
    let locks = root.query_selector_all("#schema-locks tbody tr").unwrap();
    assert_eq!(locks.length(), 1);
    let row = locks.item(0).unwrap().text_content().unwrap();
    assert!(
        row.contains("ACCESS EXCLUSIVE") && row.contains("every row"),
        "{row}"
    );
    assert!(text(&root, "#schema-reversibility")
        .contains("orders.total from numeric(12,2) to numeric(12,0)"));
}

fn texts(root: &Element, sel: &str) -> Vec<String> {
    let list = root.query_selector_all(sel).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn the_versions_show_the_timeline_who_is_where_and_the_matrix_with_reasons() {
    let form = MigrationForm {
        sql_up: "ALTER TABLE customers DROP COLUMN email;".into(),
        sql_down: "ALTER TABLE customers ADD COLUMN email TEXT;".into(),
        ..MigrationForm::default()
    };
    let run = RunSides {
        strategy: Strategy::BlueGreen,
        direction: Direction::SqlToDocs,
        phase_label: "Copy",
        on_target: false,
        copied_pct: 45,
        done: false,
    };
    let root = render_with(form, Some(run)).await;
    // The matrix: a corner, one column per version, one row header per reader version.
    let cols = texts(&root, "#schema-matrix thead th[scope='col']");
    assert_eq!(cols.len(), 5, "{cols:?}");
    assert_eq!(cols[1], "data written at v1");
    assert_eq!(cols[4], "data written at v4");
    let rows = texts(&root, "#schema-matrix tbody th[scope='row']");
    assert_eq!(rows[0], "v1 readers (application v1)");
    assert_eq!(rows.len(), 4);
    // v1 readers against v2 data: incompatible, with compat's reason in the cell.
    let cell = text(
        &root,
        "#schema-matrix tbody tr:nth-child(1) td:nth-of-type(2)",
    );
    assert!(cell.contains("incompatible"), "{cell}");
    assert!(
        cell.contains("v2 removed required field \"email\": v1 readers break"),
        "{cell}"
    );
    let diagonal = text(
        &root,
        "#schema-matrix tbody tr:nth-child(1) td:nth-of-type(1)",
    );
    assert_eq!(diagonal, "✓ compatible");
    // The current version is marked in words (and aria-current), once per store.
    let current = "#schema-timeline li[aria-current='step']";
    assert_eq!(
        texts(&root, &format!("{current} .current-marker")),
        ["current", "current"]
    );
    assert_eq!(
        texts(&root, &format!("{current} .version-no")),
        ["v1", "v1"]
    );
    assert_eq!(texts(&root, "#schema-timeline .current-marker").len(), 2);
    // The typed change is the SQL store's pending v2, with what its down cannot restore.
    let sql = texts(&root, "#schema-versions-sql > li");
    assert_eq!(sql.len(), 2, "{sql:?}");
    assert!(
        sql[1].starts_with("v2") && sql[1].contains("pending"),
        "{sql:?}"
    );
    assert!(
        sql[1].contains("not fully reversible") && sql[1].contains("email"),
        "{sql:?}"
    );
    // Who is where: the blue and green sides and where the application is.
    let who = text(&root, "#schema-who");
    assert!(who.contains("Blue (source) · SQL tables (shop)"), "{who}");
    assert!(who.contains("45% of records copied"), "{who}");
    assert!(who.contains("reads and writes blue (source)"), "{who}");
}
