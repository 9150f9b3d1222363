//! The Settings panel: every replication, workload and network parameter, changeable while
//! the run plays. A choice applies at once; a typed number applies when the box loses focus
//! or on Enter. A bad entry stays in its box, is marked, and the message names the field. The
//! panel holds no state: the pending form lives in the reducer, the rest in the view model.

use yew::prelude::*;

use super::state::Action;
use crate::sim::repl::{PartitionMode, StoreKind};
use crate::view_model::settings::{
    KeyDistKind, LatencyKind, Protocol, Settings, SettingsForm, CONFLICT_CHOICES,
};

#[derive(Properties, PartialEq)]
pub struct SettingsPanelProps {
    /// The settings in force in the steered run.
    pub settings: Settings,
    /// A form the user is editing, or one that was refused (kept so nothing is lost).
    pub draft: Option<SettingsForm>,
    /// Why the last change was refused, naming the field.
    pub error: Option<String>,
    pub on: Callback<Action>,
    /// Which run the panel steers, when there are two.
    #[prop_or_default]
    pub steering: Option<&'static str>,
}

type Set<T> = fn(&mut SettingsForm, T);

struct Ctx<'a> {
    form: &'a SettingsForm,
    on: &'a Callback<Action>,
    error: Option<&'a str>,
}

impl Ctx<'_> {
    /// Whether the refusal message is about the field labelled `label`.
    fn invalid(&self, label: &str) -> bool {
        self.error.is_some_and(|e| e.starts_with(label))
    }

    fn changed(&self, set: Set<String>, edit: bool) -> Callback<String> {
        let (form, on) = (self.form.clone(), self.on.clone());
        Callback::from(move |v: String| {
            let mut f = form.clone();
            set(&mut f, v);
            on.emit(if edit {
                Action::EditSettings(f)
            } else {
                Action::ApplySettings(f)
            });
        })
    }

    /// A number typed as text: kept as typed while editing, applied on change.
    fn number(&self, id: String, label: &'static str, value: &str, set: Set<String>) -> Html {
        self.number_shown(id, label, None, value, set)
    }

    /// A number box whose visible label is shorter than its accessible name `label`.
    fn number_shown(
        &self,
        id: String,
        label: &'static str,
        shown: Option<String>,
        value: &str,
        set: Set<String>,
    ) -> Html {
        let edit = self.changed(set, true);
        let apply = self.changed(set, false);
        let oninput = Callback::from(move |e: InputEvent| {
            edit.emit(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        });
        let onchange = Callback::from(move |e: Event| {
            apply.emit(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        });
        let invalid = self.invalid(label);
        html! {
            <label class={classes!("set-field", invalid.then_some("invalid"))} for={id.clone()}>
                if let Some(short) = shown {
                    <span><span class="sr-only">{label}</span><span aria-hidden="true">{short}</span></span>
                } else {
                    <span>{label}</span>
                }
                <input {id} type="text" inputmode="decimal" value={value.to_string()}
                    aria-invalid={invalid.to_string()} aria-describedby="settings-error"
                    {oninput} {onchange} />
            </label>
        }
    }

    fn select(
        &self,
        id: &'static str,
        label: &'static str,
        options: &[(&'static str, &'static str)],
        current: &str,
        set: Set<String>,
    ) -> Html {
        let apply = self.changed(set, false);
        let onchange = Callback::from(move |e: Event| {
            apply.emit(
                e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                    .value(),
            )
        });
        html! {
            <label class="set-field" for={id}>
                <span>{label}</span>
                <select {id} {onchange}>
                    { for options.iter().map(|(v, l)| html! {
                        <option value={*v} selected={*v == current}>{*l}</option>
                    }) }
                </select>
            </label>
        }
    }

    fn check(&self, id: &'static str, label: &'static str, on_now: bool, set: Set<bool>) -> Html {
        let (form, on) = (self.form.clone(), self.on.clone());
        let onchange = Callback::from(move |e: Event| {
            let mut f = form.clone();
            set(
                &mut f,
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .checked(),
            );
            on.emit(Action::ApplySettings(f));
        });
        html! {
            <label class="set-check" for={id}>
                <input {id} type="checkbox" checked={on_now} {onchange} />
                <span>{label}</span>
            </label>
        }
    }
}

fn cluster_group(c: &Ctx) -> Html {
    let f = c.form;
    let protocols: Vec<_> = Protocol::ALL
        .iter()
        .map(|p| (p.value(), p.label()))
        .collect();
    let pm = if f.partition_mode == PartitionMode::Ap {
        "ap"
    } else {
        "cp"
    };
    html! {
        <fieldset class="set-group">
            <legend>{"Cluster and protocol"}</legend>
            { c.number("set-nodes".into(), "Cluster size", &f.nodes, |f, v| f.nodes = v) }
            { c.select("set-protocol", "Replication", &protocols, f.protocol.value(),
                |f, v| f.protocol = Protocol::from_value(&v).unwrap_or(f.protocol)) }
            { c.select("set-partition-mode", "Under a partition",
                &[("cp", "CP: refuse"), ("ap", "AP: serve each side")], pm,
                |f, v| f.partition_mode = if v == "ap" { PartitionMode::Ap } else { PartitionMode::Cp }) }
            { c.select("set-store", "Each node stores its copy as",
                &[("sql", "SQL table (square)"), ("document", "Documents (circle)")],
                if f.store == StoreKind::Document { "document" } else { "sql" },
                |f, v| f.store = if v == "document" { StoreKind::Document } else { StoreKind::Sql }) }
            if f.protocol.leaderless() {
                <div class="set-row">
                    { c.number_shown("set-n".into(), "N (replicas per key)", Some("N".into()), &f.n, |f, v| f.n = v) }
                    { c.number_shown("set-r".into(), "R (read quorum)", Some("R".into()), &f.r, |f, v| f.r = v) }
                    { c.number_shown("set-w".into(), "W (write quorum)", Some("W".into()), &f.w, |f, v| f.w = v) }
                </div>
            }
            <p class="set-note">{ match f.protocol {
                Protocol::LeaderlessAbd => "N replicas per key; ABD reads and writes a majority of N. \
                    A new cluster size restarts the run.",
                p if p.leaderless() => "N replicas per key, R answers per read, W per write. \
                    A new cluster size restarts the run.",
                _ => "A new cluster size restarts the run.",
            } }</p>
        </fieldset>
    }
}

fn conflict_group(c: &Ctx) -> Html {
    let f = c.form;
    let conflicts: Vec<_> = CONFLICT_CHOICES.iter().map(|(_, v, l)| (*v, *l)).collect();
    let current = CONFLICT_CHOICES
        .iter()
        .find(|(p, _, _)| *p == f.conflict)
        .map_or("lww", |(_, v, _)| *v);
    let single = f.protocol.single_leader();
    html! {
        <fieldset class="set-group">
            <legend>{"Conflicts and repair"}</legend>
            if single {
                <p class="set-note">{"A single leader orders every write: no conflicts to resolve, \
                    no read repair or anti-entropy."}</p>
            } else {
                { c.select("set-conflict", "Conflict policy", &conflicts, current, |f, v| {
                    if let Some((p, _, _)) = CONFLICT_CHOICES.iter().find(|(_, val, _)| *val == v) {
                        f.conflict = *p;
                    }
                }) }
                if f.protocol.leaderless() {
                    { c.check("set-read-repair", "Read repair", f.read_repair, |f, v| f.read_repair = v) }
                }
                { c.check("set-anti-entropy", "Anti-entropy", f.anti_entropy, |f, v| f.anti_entropy = v) }
                if f.anti_entropy {
                    { c.number("set-anti-entropy-ms".into(), "Anti-entropy interval (ms)",
                        &f.anti_entropy_ms, |f, v| f.anti_entropy_ms = v) }
                }
            }
        </fieldset>
    }
}

fn clock_group(c: &Ctx) -> Html {
    const LABELS: [&str; 7] = [
        "Clock offset of n0 (ms)",
        "Clock offset of n1 (ms)",
        "Clock offset of n2 (ms)",
        "Clock offset of n3 (ms)",
        "Clock offset of n4 (ms)",
        "Clock offset of n5 (ms)",
        "Clock offset of n6 (ms)",
    ];
    const SETTERS: [Set<String>; 7] = [
        |f, v| f.clock_skew_ms[0] = v,
        |f, v| f.clock_skew_ms[1] = v,
        |f, v| f.clock_skew_ms[2] = v,
        |f, v| f.clock_skew_ms[3] = v,
        |f, v| f.clock_skew_ms[4] = v,
        |f, v| f.clock_skew_ms[5] = v,
        |f, v| f.clock_skew_ms[6] = v,
    ];
    let f = c.form;
    html! {
        <fieldset class="set-group">
            <legend>{"Clocks"}<span class="hint">{" · skew, ms; last-writer-wins uses them"}</span></legend>
            <div class="set-clocks">
                { for f.clock_skew_ms.iter().take(LABELS.len()).enumerate().map(|(i, v)|
                    c.number_shown(format!("set-skew-{i}"), LABELS[i], Some(format!("n{i}")), v, SETTERS[i])) }
            </div>
        </fieldset>
    }
}

fn workload_group(c: &Ctx) -> Html {
    let f = c.form;
    let dists: Vec<_> = KeyDistKind::ALL
        .iter()
        .map(|k| (k.value(), k.label()))
        .collect();
    html! {
        <fieldset class="set-group">
            <legend>{"Workload"}</legend>
            <div class="set-row">
                { c.number("set-rate".into(), "Operation rate (per s)", &f.ops_per_s, |f, v| f.ops_per_s = v) }
                { c.number("set-reads".into(), "Reads (% of operations)", &f.read_pct, |f, v| f.read_pct = v) }
            </div>
            <div class="set-row">
                { c.number("set-keys".into(), "Keys", &f.keys, |f, v| f.keys = v) }
                { c.select("set-key-dist", "Key distribution", &dists, f.key_dist.value(),
                    |f, v| f.set_key_dist(KeyDistKind::from_value(&v).unwrap_or(f.key_dist))) }
            </div>
            if let Some(label) = f.key_dist.param() {
                { c.number("set-key-param".into(), label, &f.key_param, |f, v| f.key_param = v) }
            }
        </fieldset>
    }
}

fn network_group(c: &Ctx) -> Html {
    let f = c.form;
    let kinds: Vec<_> = LatencyKind::ALL
        .iter()
        .map(|k| (k.value(), k.label()))
        .collect();
    let (la, lb) = f.latency_kind.params();
    html! {
        <fieldset class="set-group">
            <legend>{"Network"}</legend>
            { c.select("set-latency-kind", "Latency distribution", &kinds, f.latency_kind.value(),
                |f, v| f.set_latency_kind(LatencyKind::from_value(&v).unwrap_or(f.latency_kind))) }
            <div class="set-row">
                { c.number("set-latency-a".into(), la, &f.latency_a, |f, v| f.latency_a = v) }
                if let Some(lb) = lb {
                    { c.number("set-latency-b".into(), lb, &f.latency_b, |f, v| f.latency_b = v) }
                }
            </div>
            { c.number("set-loss".into(), "Message loss (%)", &f.loss_pct, |f, v| f.loss_pct = v) }
        </fieldset>
    }
}

#[component]
pub fn SettingsPanel(p: &SettingsPanelProps) -> Html {
    let form = p
        .draft
        .clone()
        .unwrap_or_else(|| SettingsForm::from_settings(&p.settings));
    let c = Ctx {
        form: &form,
        on: &p.on,
        error: p.error.as_deref(),
    };
    let onsubmit = {
        let (form, on) = (form.clone(), p.on.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on.emit(Action::ApplySettings(form.clone()))
        })
    };
    let discard = {
        let on = p.on.clone();
        Callback::from(move |_: MouseEvent| on.emit(Action::DiscardSettings))
    };
    html! {
        <section class="panel settings" aria-labelledby="settings-title">
            <h2 id="settings-title">{"Settings"}
                if let Some(run) = p.steering { <span class="steering">{format!(" · steering {run}")}</span> }
                <span class="hint">{" · a choice applies at once, a number when you leave its box or press Enter; \
                    every change is a command at the current simulated time"}</span></h2>
            <form class="set-form" {onsubmit} aria-label="Replication, workload and network settings" novalidate=true>
                { cluster_group(&c) }
                { conflict_group(&c) }
                { clock_group(&c) }
                { workload_group(&c) }
                { network_group(&c) }
                <div class="set-actions">
                    <button id="settings-apply" type="submit">{"Apply"}</button>
                    if p.draft.is_some() {
                        <button id="settings-discard" type="button" class="ghost" onclick={discard}>
                            {"Discard edits"}</button>
                    }
                </div>
            </form>
            <p id="settings-error" class="error" role="alert" hidden={p.error.is_none()}>
                {p.error.clone().unwrap_or_default()}</p>
            <p class="replication" id="settings-in-force">{"In force: "}{p.settings.replication.describe()}</p>
        </section>
    }
}
