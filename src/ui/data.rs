//! The Data panel: one node's keys as SQL rows beside the same data as documents, whether the
//! other replicas agree, a per-replica diff where they do not, every sibling version of a key
//! in conflict, and the migration's records turning from rows into documents (or back). It
//! holds no state: the node choice lives in the reducer, everything shown in the view model.
//! Marks always carry a word or a sign, never only a colour.

use std::rc::Rc;

use yew::prelude::*;

use super::state::Action;
use crate::sim::NodeId;
use crate::view_model::data::{
    Cell, DataView, FieldNote, KeyData, Mark, MigrationData, NodeData, RecordState, RecordView,
    ReplicaCopy, TableView,
};

#[derive(Properties, PartialEq)]
pub struct DataPanelProps {
    pub view: Rc<DataView>,
    /// The node shown (the first one when it is out of range).
    pub node: NodeId,
    pub on: Callback<Action>,
}

fn node_chooser(v: &DataView, chosen: NodeId, on: &Callback<Action>) -> Html {
    let onchange = {
        let on = on.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            if let Ok(n) = value.parse::<NodeId>() {
                on.emit(Action::SetDataNode(n));
            }
        })
    };
    html! {
        <label class="data-field" for="data-node">
            <span>{"Node"}</span>
            <select id="data-node" {onchange}>
                { for v.nodes.iter().map(|n| html! {
                    <option value={n.id.to_string()} selected={n.id == chosen}>
                        {format!("{}{}", n.label, if n.up { "" } else { " · crashed" })}
                    </option>
                }) }
            </select>
        </label>
    }
}

fn summary(n: &NodeData) -> String {
    format!(
        "{} holds {} keys in its {} · {} differ from another replica · {} in conflict · {} shown",
        n.label,
        n.keys_held,
        n.store,
        n.keys_differ,
        n.keys_siblings,
        n.keys.len()
    )
}

fn rows_table(n: &NodeData) -> Html {
    html! {
        <table class="data-table" id="data-rows">
            <caption>{"As SQL rows · table kv"}</caption>
            <thead><tr>
                { for n.columns.iter().map(|c| html! {
                    <th scope="col">{c.name.clone()}<span class="data-type">{format!(" {}", c.ty)}</span></th>
                }) }
                <th scope="col">{"other replicas"}</th>
            </tr></thead>
            <tbody>{ for n.keys.iter().filter(|k| k.held).map(|k| html! {
                <tr class={classes!(k.agreement.differs().then_some("differs"))}>
                    { for k.row.iter().map(|c| html! { <td>{c.clone()}</td> }) }
                    <td class="agreement">{k.agreement.label()}</td>
                </tr>
            }) }</tbody>
        </table>
    }
}

fn docs_list(n: &NodeData) -> Html {
    html! {
        <div class="data-docs" id="data-docs" aria-label="As documents · collection kv">
            <h4>{"As documents · collection kv"}</h4>
            <div class="data-doc-grid">{ for n.keys.iter().filter(|k| k.held).map(|k| html! {
                <figure>
                    <figcaption>{k.key.clone()}
                        if k.agreement.differs() { <span class="sign">{" ≠"}</span> }
                    </figcaption>
                    <pre class="code" tabindex="0">{k.doc.clone()}</pre>
                </figure>
            }) }</div>
        </div>
    }
}

fn replica_row(r: &ReplicaCopy) -> Html {
    let who = format!(
        "{}{}{}",
        r.node,
        if r.chosen { " (this node)" } else { "" },
        if r.up { "" } else { " · crashed" }
    );
    let sign = match (r.chosen, r.same) {
        (true, _) => "",
        (false, true) => "= same",
        (false, false) => "≠ differs",
    };
    html! {
        <tr class={classes!((!r.same).then_some("differs"))}>
            <th scope="row">{who}</th>
            <td>if r.versions.is_empty() { {"absent"} } else {
                <ul class="data-versions">{ for r.versions.iter().map(|v| html! { <li>{v.describe()}</li> }) }</ul>
            }</td>
            <td>{sign}</td>
            <td>{if r.newest { "newest" } else { "behind" }}</td>
        </tr>
    }
}

fn diff_of(k: &KeyData) -> Html {
    html! {
        <table class="data-table diff">
            <caption>{format!("{} · {}", k.key, k.agreement.label())}</caption>
            <thead><tr><th scope="col">{"replica"}</th><th scope="col">{"holds"}</th>
                <th scope="col">{"vs this node"}</th><th scope="col">{"version"}</th></tr></thead>
            <tbody>{ for k.replicas.iter().map(replica_row) }</tbody>
        </table>
    }
}

fn diffs(n: &NodeData) -> Html {
    let keys: Vec<&KeyData> = n.keys.iter().filter(|k| !k.replicas.is_empty()).collect();
    html! {
        <div id="data-diff">
            <h4>{"Replicas that disagree"}</h4>
            if keys.is_empty() {
                <p class="muted">{"✓ Every up replica of the keys shown holds the same versions."}</p>
            } else {
                <div class="data-cards">{ for keys.into_iter().map(diff_of) }</div>
            }
        </div>
    }
}

fn siblings(n: &NodeData) -> Html {
    let keys: Vec<&KeyData> = n.keys.iter().filter(|k| !k.siblings.is_empty()).collect();
    html! {
        <div id="data-siblings">
            <h4>{"Conflicts: sibling versions"}</h4>
            if keys.is_empty() {
                <p class="muted">{format!("No key shown on {} holds concurrent versions.", n.label)}</p>
            } else {
                <div class="data-cards">{ for keys.into_iter().map(|k| html! {
                    <div class="sibling-key">
                        <p>{format!("⚠ {} · {} sibling versions, kept until a write that saw them all replaces them",
                            k.key, k.siblings.len())}</p>
                        <ol class="data-versions">{ for k.siblings.iter().map(|v| html! { <li>{v.describe()}</li> }) }</ol>
                    </div>
                }) }</div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ReplicasProps {
    node: Rc<NodeData>,
}

/// A component of its own, so a refresh that changed nothing on this node renders nothing.
#[component]
fn Replicas(p: &ReplicasProps) -> Html {
    let n = &p.node;
    html! { <>
        <p class="muted" id="data-summary">{summary(n)}</p>
        if n.keys.is_empty() {
            <p class="muted">{"No keys on this node yet: press Play and the clients' writes appear here as rows and as documents."}</p>
        } else {
            <div class="data-columns">
                <div class="data-scroll">{rows_table(n)}</div>
                {docs_list(n)}
            </div>
        }
        {diffs(n)}
        {siblings(n)}
    </> }
}

fn mark_label(m: Mark) -> String {
    format!("{} {}", m.symbol(), m.word())
}

fn cell(c: &Cell) -> Html {
    match &c.mark {
        None => html! { <td>{c.text.clone()}</td> },
        Some((m, why)) => html! {
            <td class={classes!("mark", m.word())} title={why.clone()}>
                {c.text.clone()}<span class="mark-word">{mark_label(*m)}</span>
            </td>
        },
    }
}

fn table_view(t: &TableView) -> Html {
    html! {
        <table class="data-table">
            <caption>{format!("{} · {}", t.name, t.role)}</caption>
            <thead><tr>{ for t.columns.iter().map(|c| html! {
                <th scope="col">{c.name.clone()}<span class="data-type">{format!(" {}", c.ty)}</span></th>
            }) }</tr></thead>
            <tbody>{ for t.rows.iter().map(|r| html! { <tr>{ for r.iter().map(cell) }</tr> }) }</tbody>
            if t.rows_more > 0 {
                <tfoot><tr><td colspan={t.columns.len().to_string()} class="muted">
                    {format!("… {} more rows", t.rows_more)}</td></tr></tfoot>
            }
        </table>
    }
}

fn note(n: &FieldNote) -> Html {
    html! {
        <li><span class={classes!("mark-word", n.mark.word())}>{mark_label(n.mark)}</span>
            <code>{n.field.clone()}</code>{format!(" {}", n.detail)}</li>
    }
}

fn state_class(s: &RecordState) -> &'static str {
    match s {
        RecordState::Copied => "ok",
        RecordState::Changed | RecordState::Failed(_) => "bad",
        RecordState::Pending | RecordState::Absent => "todo",
    }
}

fn record_sides(r: &RecordView, sql_to_docs: bool) -> Html {
    let sql = html! {
        <div class="data-scroll">
            <p class="caption">{r.tables_caption.clone()}</p>
            { for r.tables.iter().map(table_view) }
        </div>
    };
    let doc = html! {
        <div>
            <p class="caption">{r.doc_caption.clone()}</p>
            <pre class="code" tabindex="0">{r.doc.clone()}</pre>
            if r.doc_lines_more > 0 { <p class="muted">{format!("… {} more lines", r.doc_lines_more)}</p> }
            <ul class="data-notes">{ for r.notes.iter().map(note) }</ul>
        </div>
    };
    let (first, second) = if sql_to_docs { (sql, doc) } else { (doc, sql) };
    html! { <div class="data-sides">{first}<span class="arrow" aria-hidden="true">{"→"}</span>{second}</div> }
}

fn record(r: &RecordView, m: &MigrationData) -> Html {
    html! {
        <article class="data-record">
            <h4>{format!("{} {} ", m.entity, r.key)}
                <span class={classes!("state", state_class(&r.state))}>
                    {format!("{} {}", r.state.symbol(), r.state.word())}</span></h4>
            if let RecordState::Failed(why) = &r.state { <p class="error">{why.clone()}</p> }
            if !r.changed.is_empty() {
                <p class="changed">{format!("≠ differs from the source now: {}", r.changed.join(", "))}</p>
            }
            {record_sides(r, m.sql_to_docs)}
            <p class="muted tally">{format!("Data layer: {}", r.tally)}</p>
        </article>
    }
}

#[derive(Properties, PartialEq)]
struct MigrationProps {
    data: Option<Rc<MigrationData>>,
}

/// A component of its own: a finished or paused migration's records render once.
#[component]
fn Migration(p: &MigrationProps) -> Html {
    let Some(m) = p.data.as_deref() else {
        return html! { <div id="data-migration"><h3>{"Migration"}</h3>
            <p class="muted">{"No migration yet: start one in the Migration tab to watch its records change sides."}</p>
        </div> };
    };
    html! {
        <div id="data-migration">
            <h3>{format!("Migration · {} · {}", m.direction, m.phase)}</h3>
            <p class="legend muted">{"Marks: "}
                { for [Mark::Renamed, Mark::Converted, Mark::Embedded, Mark::Lost].into_iter().map(|k| html! {
                    <span class={classes!("mark-word", k.word())}>{mark_label(k)}</span>
                }) }
            </p>
            { for m.records.iter().map(|r| record(r, m)) }
        </div>
    }
}

#[component]
pub fn DataPanel(p: &DataPanelProps) -> Html {
    let v = &p.view;
    let chosen = v.nodes.iter().find(|n| n.id == p.node).or(v.nodes.first());
    html! {
        <section class="panel data" id="data-panel" aria-labelledby="data-title">
            <h2 id="data-title">{"Data"}
                <span class="hint">{" · a node's keys as SQL rows and as documents, its replicas compared, a migration's records"}</span></h2>
            { node_chooser(v, chosen.map_or(0, |n| n.id), &p.on) }
            if let Some(n) = chosen { <Replicas node={n.clone()} /> }
            <Migration data={v.migration.clone()} />
        </section>
    }
}
