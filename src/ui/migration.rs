//! The Migration panel: a form to set up and start a migration, then the job as it runs
//! (phase pipeline, progress per collection or table, rate and ETA, change backlog and lag,
//! verification, downtime, failure buttons, the per-record error list). It holds no state:
//! the form lives in the reducer, the rest comes from the view model.

use std::rc::Rc;

use yew::prelude::*;

use super::state::Action;
use crate::sim::migrate::{
    CdcApply, Direction, Invalidation, RollbackMode, Strategy, SyncMode, ValidationLevel,
};
use crate::view_model::migration::{
    FaultButton, MigrationForm, MigrationView, Outcome, StepState, PAGE_ROWS,
};
use crate::view_model::Status;

#[derive(Properties)]
pub struct MigrationPanelProps {
    /// The steered run's status; its `migration` is what the panel shows.
    pub status: Rc<Status>,
    pub form: MigrationForm,
    pub on: Callback<Action>,
}

/// Equal when what the panel shows is: the rest of the status changes several times a
/// second and must not re-render it.
impl PartialEq for MigrationPanelProps {
    fn eq(&self, other: &Self) -> bool {
        self.status.migration == other.status.migration
            && self.form == other.form
            && self.on == other.on
    }
}

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<web_sys::HtmlSelectElement>()
        .value()
}

fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<web_sys::HtmlInputElement>()
        .value()
}

/// A `<select>` whose options are `(value, label)`; a choice becomes a new form.
fn choice(
    id: &'static str,
    label: &'static str,
    options: &[(&'static str, &'static str)],
    current: &str,
    form: &MigrationForm,
    on: &Callback<Action>,
    set: fn(&mut MigrationForm, &str),
) -> Html {
    let onchange = {
        let (form, on) = (form.clone(), on.clone());
        Callback::from(move |e: Event| {
            let mut f = form.clone();
            set(&mut f, &select_value(&e));
            on.emit(Action::SetMigrationForm(f));
        })
    };
    html! {
        <label class="mig-field" for={id}>
            <span>{label}</span>
            <select {id} {onchange}>
                { for options.iter().map(|(v, l)| html! {
                    <option value={*v} selected={*v == current}>{*l}</option>
                }) }
            </select>
        </label>
    }
}

/// A number typed as text; Start checks it and names it when it is wrong.
fn number(
    id: &'static str,
    label: &'static str,
    value: &str,
    form: &MigrationForm,
    on: &Callback<Action>,
    set: fn(&mut MigrationForm, String),
) -> Html {
    let oninput = {
        let (form, on) = (form.clone(), on.clone());
        Callback::from(move |e: InputEvent| {
            let mut f = form.clone();
            set(&mut f, input_value(&e));
            on.emit(Action::SetMigrationForm(f));
        })
    };
    html! {
        <label class="mig-field" for={id}>
            <span>{label}</span>
            <input {id} type="text" inputmode="numeric" value={value.to_string()} {oninput} />
        </label>
    }
}

fn strategy_value(s: Strategy) -> &'static str {
    s.name()
}

fn form_fields(f: &MigrationForm, on: &Callback<Action>) -> Html {
    let rows: Vec<(&'static str, &'static str)> = PAGE_ROWS
        .iter()
        .map(|r| match r {
            500 => ("500", "500 records"),
            1_000 => ("1000", "1 000 records"),
            2_000 => ("2000", "2 000 records"),
            _ => ("5000", "5 000 records"),
        })
        .collect();
    html! { <>
        { choice("mig-strategy", "Strategy", &[
            ("big_bang", "Big-bang (writes stop)"),
            ("copy_and_switch", "Copy and switch"),
            ("blue_green", "Blue-green (live sync)")],
            strategy_value(f.strategy), f, on, |f, v| {
                f.strategy = match v {
                    "big_bang" => Strategy::BigBang,
                    "copy_and_switch" => Strategy::CopyAndSwitch,
                    _ => Strategy::BlueGreen,
                }
            }) }
        { choice("mig-direction", "Direction", &[
            ("sql_to_docs", "SQL → documents (shop)"),
            ("docs_to_sql", "Documents → SQL (profiles)"),
            ("docs_to_docs", "Documents v1 → v4 (users)"),
            ("sql_to_sql", "SQL → SQL (shop, Up script)")],
            f.direction.name(), f, on,
            |f, v| f.direction = match v {
                "docs_to_sql" => Direction::DocsToSql,
                "docs_to_docs" => Direction::DocsToDocs,
                "sql_to_sql" => Direction::SqlToSql,
                _ => Direction::SqlToDocs,
            }) }
        { choice("mig-rows", "Dataset size", &rows, &f.rows.to_string(), f, on,
            |f, v| f.rows = v.parse().unwrap_or(2_000)) }
        { number("mig-batch", "Batch size (rows)", &f.batch_rows, f, on, |f, v| f.batch_rows = v) }
        { number("mig-workers", "Workers", &f.workers, f, on, |f, v| f.workers = v) }
        { choice("mig-validation", "Verification", &[
            ("none", "None"), ("counts", "Record counts"),
            ("checksums", "Checksums + sample"), ("full_compare", "Compare every record")],
            validation_value(f.validation), f, on, |f, v| f.validation = match v {
                "none" => ValidationLevel::None,
                "counts" => ValidationLevel::Counts,
                "full_compare" => ValidationLevel::FullCompare,
                _ => ValidationLevel::Checksums,
            }) }
        { choice("mig-cdc", "Change capture", &[
            ("correct", "Correct"),
            ("naive", "Naive (classic bugs)")],
            if f.cdc_apply == CdcApply::Correct { "correct" } else { "naive" }, f, on,
            |f, v| f.cdc_apply = if v == "naive" { CdcApply::Naive } else { CdcApply::Correct }) }
        { choice("mig-bad", "Bad source rows", &[
            ("0", "None"), ("50", "1 in 50 fail to convert"), ("10", "1 in 10 fail to convert")],
            &f.bad_one_in.to_string(), f, on, |f, v| f.bad_one_in = v.parse().unwrap_or(0)) }
        { number("mig-budget", "Error budget (records)", &f.error_budget, f, on,
            |f, v| f.error_budget = v) }
        { number("mig-throttle", "Throttle above lag (ms, 0: never)", &f.throttle_lag_ms, f, on,
            |f, v| f.throttle_lag_ms = v) }
        { choice("mig-sync", "Blue-green sync", &[
            ("change_log", "Change log (CDC)"), ("triggers", "Triggers"),
            ("polling", "Polling every 500 ms")],
            sync_value(f.sync), f, on, |f, v| f.sync = match v {
                "triggers" => SyncMode::Triggers,
                "polling" => SyncMode::Polling { interval_ms: 500, soft_delete: false },
                _ => SyncMode::ChangeLog,
            }) }
        { choice("mig-rollback", "Rollback", &[
            ("restore_checkpoint", "Restore the checkpoint"), ("drop_target", "Drop the target"),
            ("down_steps", "Run the down steps"), ("schema_only", "Revert the schema only")],
            rollback_value(f.rollback), f, on, |f, v| f.rollback = match v {
                "drop_target" => RollbackMode::DropTarget,
                "down_steps" => RollbackMode::DownSteps,
                "schema_only" => RollbackMode::SchemaOnly,
                _ => RollbackMode::RestoreCheckpoint,
            }) }
        { choice("mig-cache", "Read-through cache", &[
            ("off", "None"), ("on_write", "Invalidate on write"),
            ("ttl_only", "TTL only"), ("on_schema_change", "Flush on schema change")],
            f.cache.map_or("off", Invalidation::name), f, on, |f, v| f.cache = match v {
                "on_write" => Some(Invalidation::OnWrite),
                "ttl_only" => Some(Invalidation::TtlOnly),
                "on_schema_change" => Some(Invalidation::OnSchemaChange),
                _ => None,
            }) }
        if f.cache.is_some() {
            { number("mig-cache-ttl", "Cache TTL (ms)", &f.cache_ttl_ms, f, on,
                |f, v| f.cache_ttl_ms = v) }
        }
    </> }
}

fn sync_value(s: SyncMode) -> &'static str {
    match s {
        SyncMode::ChangeLog => "change_log",
        SyncMode::Triggers => "triggers",
        SyncMode::Polling { .. } => "polling",
    }
}

fn rollback_value(r: RollbackMode) -> &'static str {
    match r {
        RollbackMode::RestoreCheckpoint => "restore_checkpoint",
        RollbackMode::DropTarget => "drop_target",
        RollbackMode::DownSteps => "down_steps",
        RollbackMode::SchemaOnly => "schema_only",
    }
}

fn validation_value(v: ValidationLevel) -> &'static str {
    match v {
        ValidationLevel::None => "none",
        ValidationLevel::Counts => "counts",
        ValidationLevel::Checksums => "checksums",
        ValidationLevel::FullCompare => "full_compare",
    }
}

#[component]
pub fn MigrationPanel(p: &MigrationPanelProps) -> Html {
    let view = p.status.migration.as_ref();
    let running = view.is_some_and(|v| !v.done);
    let onsubmit = {
        let on = p.on.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on.emit(Action::StartMigration)
        })
    };
    html! {
        <section class="panel migration" aria-labelledby="migration-title">
            <h2 id="migration-title">{"Migration"}
                <span class="hint">{" · copy the data into another store while the application keeps writing"}</span></h2>
            <form class="mig-form" {onsubmit} aria-label="Set up a migration">
                { form_fields(&p.form, &p.on) }
                <button id="mig-start" type="submit" class="primary" disabled={running}
                    title={if running { "A migration is running" } else { "" }}>
                    {"Start migration"}</button>
            </form>
            if let Some(v) = view { { status_view(v, &p.on) } }
            else { <p class="muted">{"Choose how to migrate, then Start: the phases, the copy and the checks appear here."}</p> }
        </section>
    }
}

fn step_mark(s: StepState) -> &'static str {
    match s {
        StepState::Done => "✓",
        StepState::Current => "●",
        StepState::Todo => "○",
        StepState::Skipped => "–",
    }
}

fn pipeline(v: &MigrationView) -> Html {
    html! {
        <ol class="pipeline" id="mig-pipeline" aria-label="Migration phases">
            { for v.pipeline.iter().map(|s| {
                let class = match s.state {
                    StepState::Done => "done",
                    StepState::Current => "current",
                    StepState::Todo => "todo",
                    StepState::Skipped => "skipped",
                };
                let failed = matches!(s.phase, crate::sim::migrate::Phase::Failed | crate::sim::migrate::Phase::Rollback);
                html! {
                    <li class={classes!("step", class, failed.then_some("stop"))}
                        aria-current={(s.state == StepState::Current).then_some("step")}>
                        <span class="mark" aria-hidden="true">{step_mark(s.state)}</span>
                        <span>{s.label}</span>
                        <span class="sr-only">{format!(" ({})", s.state.word())}</span>
                    </li>
                }
            }) }
        </ol>
    }
}

fn progress_rows(v: &MigrationView) -> Html {
    let row = |t: &crate::view_model::migration::TableRow, id: String| {
        html! {
            <tr {id}>
                <th scope="row">{t.name.clone()}</th>
                <td class="bar"><progress max="1000" value={format!("{:.0}", t.share * 1000.0)}
                    aria-label={format!("{}: {:.0}% processed", t.name, t.share * 100.0)} /></td>
                <td>{format!("{} / {}", t.processed, t.total)}</td>
                <td>{t.succeeded}</td>
                <td class={classes!((t.failed > 0).then_some("bad"))}>{t.failed}</td>
            </tr>
        }
    };
    html! {
        <table class="mig-progress" id="mig-progress">
            <thead><tr><th scope="col">{"collection / table"}</th><th scope="col">{"progress"}</th>
                <th scope="col">{"processed"}</th><th scope="col">{"succeeded"}</th><th scope="col">{"failed"}</th></tr></thead>
            <tbody>
                { for v.tables.iter().map(|t| row(t, format!("mig-table-{}", t.name))) }
                { row(&v.total, "mig-table-all".into()) }
            </tbody>
        </table>
    }
}

fn figures(v: &MigrationView) -> Html {
    let items: Vec<(&str, String, &str)> = vec![
        ("records / s", format!("{:.0}", v.records_per_s), "mig-rate"),
        (
            "time left",
            v.eta.clone().unwrap_or_else(|| "–".into()),
            "mig-eta",
        ),
        (
            "change backlog",
            format!("{} events", v.backlog),
            "mig-backlog",
        ),
        ("change lag", format!("{:.0} ms", v.lag_ms), "mig-lag"),
        (
            "captured / applied",
            format!("{} / {}", v.captured, v.applied),
            "mig-cdc-counts",
        ),
        ("application on", v.routing.to_string(), "mig-routing"),
        ("workers", v.workers.clone(), "mig-workers-state"),
        (
            "retries / crashes",
            format!("{} / {}", v.retries, v.crashes),
            "mig-retries",
        ),
        ("application writes", v.writes.clone(), "mig-writes"),
    ];
    html! {
        <dl class="figures mig-figures">
            { for items.into_iter().map(|(k, val, id)| html! {
                <div class="figure"><dt>{k}</dt><dd {id}>{val}</dd></div>
            }) }
        </dl>
    }
}

fn verification(v: &MigrationView) -> Html {
    let vv = &v.verification;
    let (mark, class) = match vv.passed {
        Some(true) => ("✓", "ok"),
        Some(false) => ("✗", "bad"),
        None => ("…", "wait"),
    };
    html! {
        <div class="mig-verify">
            <p id="mig-verification" class={classes!("verdict", class)}>
                <span aria-hidden="true">{mark}</span>{format!(" Verification: {}", vv.status)}</p>
            <p class="muted" id="mig-continuous">{format!(
                "Continuous checks ({} passes): {} validated, {} mismatched, {} pending",
                vv.passes, vv.validated, vv.mismatched, vv.pending)}</p>
            <p id="mig-downtime" class="downtime">{format!("Downtime: {}", v.downtime)}</p>
        </div>
    }
}

fn fault_buttons(v: &MigrationView, on: &Callback<Action>) -> Html {
    html! {
        <div class="row-buttons mig-faults" role="group" aria-label="Inject a migration failure">
            { for FaultButton::ALL.iter().map(|b| {
                let (on, b) = (on.clone(), *b);
                let click = Callback::from(move |_: MouseEvent| on.emit(Action::MigrationFault(b)));
                html! { <button id={b.id()} class="danger" disabled={v.done} onclick={click}>{b.label()}</button> }
            }) }
        </div>
    }
}

fn error_list(v: &MigrationView) -> Html {
    if v.errors.is_empty() {
        return html! { <p class="muted" id="mig-errors-none">{"No record errors."}</p> };
    }
    html! { <>
        <p class="muted">{format!("Showing {} of {} record errors", v.errors.len(), v.errors_total)}</p>
        <div class="mig-errors-wrap">
        <table class="mig-errors" id="mig-errors">
            <thead><tr><th scope="col">{"table"}</th><th scope="col">{"key"}</th><th scope="col">{"error"}</th>
                <th scope="col">{"message"}</th><th scope="col">{"retries"}</th></tr></thead>
            <tbody>{ for v.errors.iter().map(|e| html! {
                <tr><td>{e.table.clone()}</td><td>{e.key.clone()}</td><td>{e.kind}</td>
                    <td>{e.message.clone()}</td><td>{e.retries}</td></tr>
            }) }</tbody>
        </table>
        </div>
    </> }
}

fn status_view(v: &MigrationView, on: &Callback<Action>) -> Html {
    let outcome_class = match v.outcome {
        Outcome::Running => "running",
        Outcome::Complete => "ok",
        Outcome::RolledBack | Outcome::Failed => "bad",
    };
    html! {
        <div class="mig-status" id="mig-status">
            <p class="mig-head">
                <span>{format!("{} · {}", v.strategy, v.direction)}</span>
                <strong id="mig-outcome" class={classes!("outcome", outcome_class)}>
                    { match v.outcome {
                        Outcome::Running => format!("Phase: {}", v.phase_label),
                        o => format!("Outcome: {}", o.label()),
                    } }
                </strong>
            </p>
            { pipeline(v) }
            if let Some(r) = &v.reason { <p class="error" id="mig-reason">{format!("Stopped: {r}")}</p> }
            <div class="mig-columns">
                <div>{ progress_rows(v) }{ verification(v) }</div>
                <div>{ figures(v) }</div>
            </div>
            <h3>{"Inject a failure"}</h3>
            { fault_buttons(v, on) }
            <h3>{"Record errors"}</h3>
            { error_list(v) }
        </div>
    }
}
