//! The Schema panel: the source tables as DDL; a schema change typed as SQL (up and down),
//! checked as it is typed with each error at its line, then run in place on a copy of
//! generated data (locks, blocked writes, what the down steps cannot give back); and the
//! SQL -> documents mapping as JSON, with the suggestion one click away and a preview of the
//! documents it builds; then the versions ([`SchemaVersions`]): each store's timeline with
//! the current version marked, who is at which version (with the page's running migration),
//! and the compatibility matrix with every reason. The text lives in the migration form (the
//! reducer); the checks are the view model's, memoised on the text and the running migration.

use yew::prelude::*;

use std::rc::Rc;

use super::state::Action;
use crate::view_model::migration::MigrationForm;
use crate::view_model::schema::versions::{
    versions_view, CompatMatrix, MatrixCell, RunSides, StoreTimeline, Undo, VersionRow,
    VersionsView, WhoRow,
};
use crate::view_model::schema::{
    check_mapping, check_sql_change, source_ddl, suggested_mapping_json, LineError, SqlCheck,
    PREVIEW_ROWS,
};

#[derive(Properties, PartialEq)]
pub struct SchemaPanelProps {
    pub form: MigrationForm,
    /// The page's running migration (steered run), for "who is at which version".
    pub run: Option<RunSides>,
    pub on: Callback<Action>,
}

/// A textarea bound to one text field of the form.
fn text_box(
    id: &'static str,
    value: &str,
    rows: u32,
    invalid: bool,
    form: &MigrationForm,
    on: &Callback<Action>,
    set: fn(&mut MigrationForm, String),
) -> Html {
    let oninput = {
        let (form, on) = (form.clone(), on.clone());
        Callback::from(move |e: InputEvent| {
            let mut f = form.clone();
            set(
                &mut f,
                e.target_unchecked_into::<web_sys::HtmlTextAreaElement>()
                    .value(),
            );
            on.emit(Action::SetMigrationForm(f));
        })
    };
    html! {
        <textarea {id} class="code" rows={rows.to_string()} spellcheck="false" autocomplete="off"
            value={value.to_string()} {oninput} aria-invalid={invalid.then_some("true")}
            aria-describedby={format!("{id}-errors")} />
    }
}

/// An error with the line it points at, quoted from the box.
fn line_error(e: &LineError, text: &str) -> Html {
    let quoted = match e.line {
        0 => "",
        n => text.lines().nth(n - 1).unwrap_or("").trim(),
    };
    let place = match e.line {
        0 => e.list.to_string(),
        n => format!("{}, line {n}", e.list),
    };
    html! {
        <li>
            <span class="where">{place}</span>
            if !quoted.is_empty() { <code>{quoted.to_string()}</code> }
            <span>{e.message.clone()}</span>
        </li>
    }
}

fn sql_result(c: &SqlCheck, form: &MigrationForm) -> Html {
    if c.up_count == 0 {
        return html! { <p class="muted" id="schema-dry-run">
            {"Type one or more statements in Up (for example ALTER TABLE customers ADD COLUMN tier TEXT DEFAULT 'basic';)."}
        </p> };
    }
    if !c.errors.is_empty() {
        return html! {
            <ul class="error-list" id="schema-up-errors" aria-live="polite">
                { for c.errors.iter().map(|e| line_error(e, if e.list == "up" { &form.sql_up } else { &form.sql_down })) }
            </ul>
        };
    }
    html! { <>
        <p id="schema-dry-run" aria-live="polite">{c.summary.clone().unwrap_or_default()}</p>
        <table class="mig-errors" id="schema-locks">
            <caption class="sr-only">{"Locks each up step takes"}</caption>
            <thead><tr><th scope="col">{"step"}</th><th scope="col">{"line"}</th><th scope="col">{"table"}</th>
                <th scope="col">{"lock"}</th><th scope="col">{"rewrite"}</th><th scope="col">{"rows"}</th>
                <th scope="col">{"held"}</th><th scope="col">{"writes"}</th></tr></thead>
            <tbody>{ for c.locks.iter().map(|l| html! {
                <tr><td>{l.step}</td><td>{l.line}</td><td>{l.table.clone()}</td><td>{l.lock.clone()}</td>
                    <td>{if l.rewrite { "every row" } else { "no" }}</td><td>{l.rows}</td>
                    <td>{format!("{:.1} ms", l.duration_ms)}</td>
                    <td class={classes!(l.blocks_writes.then_some("bad"))}>{if l.blocks_writes { "wait" } else { "go on" }}</td></tr>
            }) }</tbody>
        </table>
        <h4>{"Rolling back with Down"}</h4>
        if c.reversibility.is_empty() {
            <p class="ok" id="schema-reversibility"><span aria-hidden="true">{"✓ "}</span>
                {"Down gives back everything Up changes, on this data."}</p>
        } else {
            <ul class="error-list" id="schema-reversibility">
                { for c.reversibility.iter().map(|f| html! { <li><span aria-hidden="true">{"✗ "}</span>{f.clone()}</li> }) }
            </ul>
        }
    </> }
}

#[component]
pub fn SchemaPanel(p: &SchemaPanelProps) -> Html {
    let ddl = use_memo((), |_| source_ddl());
    let sql = use_memo(
        (p.form.sql_up.clone(), p.form.sql_down.clone()),
        |(up, down)| check_sql_change(up, down),
    );
    let mapping = use_memo(p.form.mapping_json.clone(), |text| check_mapping(text));
    let versions = {
        let sql = sql.clone();
        let deps = (
            p.form.sql_up.clone(),
            p.form.sql_down.clone(),
            p.run.clone(),
        );
        use_memo(deps, move |(up, down, run)| {
            versions_view(up, down, &sql, run.as_ref())
        })
    };
    let (form, on) = (&p.form, &p.on);
    let up_bad = sql.errors.iter().any(|e| e.list == "up");
    let down_bad = sql.errors.iter().any(|e| e.list == "down");
    let set_mapping = |text: Option<String>| {
        let (form, on) = (form.clone(), on.clone());
        Callback::from(move |_: MouseEvent| {
            let mut f = form.clone();
            f.mapping_json = text.clone().unwrap_or_else(suggested_mapping_json);
            on.emit(Action::SetMigrationForm(f));
        })
    };
    let for_docs = form.direction == crate::sim::migrate::Direction::SqlToDocs;
    html! {
        <section class="panel schema" aria-labelledby="schema-title">
            <h2 id="schema-title">{"Schema"}
                <span class="hint">{" · the source tables, a schema change in SQL, and the mapping to documents"}</span></h2>
            <div class="schema-columns">
                <div>
                    <h3>{"Source tables (shop)"}</h3>
                    <pre class="code ddl" id="schema-ddl" tabindex="0" aria-label="The source tables as CREATE TABLE statements">{(*ddl).clone()}</pre>
                </div>
                <div>
                    <h3>{"Change the schema in place"}</h3>
                    <p class="muted">{format!("Checked as you type, then run on a copy of {PREVIEW_ROWS} generated records while the application writes.")}</p>
                    <div class="sql-boxes">
                        <label for="schema-up">{format!("Up · {} statements", sql.up_count)}</label>
                        { text_box("schema-up", &form.sql_up, 5, up_bad, form, on, |f, v| f.sql_up = v) }
                        <label for="schema-down">{format!("Down (revert) · {} statements", sql.down_count)}</label>
                        { text_box("schema-down", &form.sql_down, 3, down_bad, form, on, |f, v| f.sql_down = v) }
                    </div>
                    { sql_result(&sql, form) }
                </div>
            </div>
            <h3>{"Mapping to documents"}</h3>
            <div class="schema-columns">
                <div>
                    <label for="schema-mapping">{"Rules as JSON (empty: the suggested mapping). Start migration uses them."}</label>
                    { text_box("schema-mapping", &form.mapping_json, 12, mapping.error.is_some(), form, on, |f, v| f.mapping_json = v) }
                    <div class="row-buttons">
                        <button id="schema-suggest" type="button" onclick={set_mapping(None)}>{"Load the suggested mapping"}</button>
                        <button id="schema-clear" type="button" onclick={set_mapping(Some(String::new()))}
                            disabled={form.mapping_json.is_empty()}>{"Clear"}</button>
                    </div>
                    if !for_docs && !form.mapping_json.trim().is_empty() {
                        <p class="error">{"These rules map SQL to documents: the Migration form is set to documents → SQL."}</p>
                    }
                    if let Some(e) = &mapping.error {
                        <ul class="error-list" id="schema-mapping-errors" aria-live="polite">{ line_error(e, &form.mapping_json) }</ul>
                    } else {
                        <p class="ok" id="schema-mapping-status"><span aria-hidden="true">{"✓ "}</span>
                            { if mapping.suggested { "Using the suggested mapping." } else { "The rules are valid." } }</p>
                    }
                </div>
                <div id="schema-preview" aria-label="The first document of each collection">
                    { for mapping.previews.iter().take(3).map(|(name, doc, n)| html! { <>
                        <h4>{format!("{name} · {n} documents")}</h4>
                        <pre class="code" tabindex="0">{doc.clone()}</pre>
                    </> }) }
                </div>
            </div>
            <SchemaVersions view={versions} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct SchemaVersionsProps {
    pub view: Rc<VersionsView>,
}

/// The versions part of the Schema panel: each store's timeline, who is at which version,
/// and the compatibility matrix of the document versions with every reason.
#[component]
pub fn SchemaVersions(p: &SchemaVersionsProps) -> Html {
    let v = &p.view;
    html! { <>
        <h3 id="schema-versions-title">{"Versions"}</h3>
        <div class="schema-columns">
            <div id="schema-timeline">
                <h4>{"Timeline of each store"}</h4>
                { for v.timelines.iter().map(timeline) }
            </div>
            <div>
                <h4 id="schema-who-title">{"Who is at which version"}</h4>
                <ul id="schema-who" class="who-list" aria-labelledby="schema-who-title">
                    { for v.who.iter().map(who_item) }
                </ul>
            </div>
        </div>
        { matrix(&v.matrix) }
    </> }
}

fn timeline(t: &StoreTimeline) -> Html {
    let title = format!("schema-timeline-{}", t.key);
    html! {
        <div class="version-store">
            <h5 id={title.clone()}>{t.store.clone()}</h5>
            <ol class="versions" id={format!("schema-versions-{}", t.key)} aria-labelledby={title}>{ for t.versions.iter().map(version_item) }</ol>
        </div>
    }
}

fn version_item(v: &VersionRow) -> Html {
    let checksum = v
        .checksum_short
        .clone()
        .map_or_else(|| "no checksum".into(), |c| format!("checksum {c}"));
    let (mark, class) = match &v.undo {
        Undo::Reversible => ("✓ ", "ok"),
        Undo::Lossy(_) | Undo::NoDown => ("✗ ", "bad"),
        Undo::Base | Undo::Unchecked(_) => ("", "muted"),
    };
    let notes: &[String] = match &v.undo {
        Undo::Lossy(f) => f,
        Undo::Unchecked(why) => std::slice::from_ref(why),
        _ => &[],
    };
    html! {
        <li class={classes!("version", v.current.then_some("current"))} aria-current={v.current.then_some("step")}>
            <span class="version-no">{format!("v{}", v.version)}</span>
            if v.current { <strong class="current-marker">{"current"}</strong> }
            <span class="version-desc">{v.description.clone()}</span>
            <span class="version-meta">{format!("{} · {checksum}", v.state)}</span>
            <span class={classes!("version-undo", class)}><span aria-hidden="true">{mark}</span>{v.undo.label()}</span>
            if !notes.is_empty() {
                <ul class="version-notes">{ for notes.iter().map(|n| html! { <li>{n.clone()}</li> }) }</ul>
            }
        </li>
    }
}

fn who_item(w: &WhoRow) -> Html {
    let class = w.reads_ok.map(|ok| if ok { "ok" } else { "bad" });
    html! {
        <li class={classes!(class)}>
            <span class="who">{w.who.clone()}</span>
            <span class="who-version">{w.version.clone()}</span>
            <span class="who-detail">{w.detail.clone()}</span>
        </li>
    }
}

fn matrix_cell(c: &MatrixCell) -> Html {
    if c.compatible() {
        return html! { <td class="ok"><span aria-hidden="true">{"✓ "}</span>{"compatible"}</td> };
    }
    html! {
        <td class="bad">
            <span aria-hidden="true">{"✗ "}</span>{"incompatible"}
            <ul class="reasons">{ for c.reasons.iter().map(|r| html! { <li>{r.clone()}</li> }) }</ul>
        </td>
    }
}

fn matrix(m: &CompatMatrix) -> Html {
    let modes: Vec<String> = m
        .modes
        .iter()
        .map(|c| match c.issues {
            0 => format!("{} passes", c.mode),
            n => format!("{} fails ({n} issues)", c.mode),
        })
        .collect();
    html! { <>
        <h4 id="schema-matrix-title">{"Compatibility of the users document versions"}</h4>
        <div class="matrix-wrap" tabindex="0" role="region" aria-labelledby="schema-matrix-title">
            <table id="schema-matrix" class="compat-matrix">
                <caption>{"Can readers of each version (rows) read documents written with each version (columns)? Readers ignore fields they do not know; a required field the data lacks, or a type they cannot read, breaks them."}</caption>
                <thead><tr>
                    <th scope="col">{"readers ↓ · data →"}</th>
                    { for m.writers.iter().map(|w| html! { <th scope="col">{format!("data written at v{w}")}</th> }) }
                </tr></thead>
                <tbody>{ for m.rows.iter().map(|r| html! {
                    <tr><th scope="row">{r.label.clone()}</th>{ for r.cells.iter().map(matrix_cell) }</tr>
                }) }</tbody>
            </table>
        </div>
        <p class="muted" id="schema-modes">{format!("The whole chain under the schema registry's modes: {}.", modes.join(" · "))}</p>
    </> }
}
