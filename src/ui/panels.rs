//! The panels around the canvases. Each is a function of its props (built from the view
//! model's `Status`) and reports user intent as an [`Action`]; none holds state of its own.

use yew::prelude::*;

use super::state::Action;
use crate::playback::{slider_from_speed, speed_from_slider, speed_label};
use crate::sim::Command;
use crate::view_model::log::{shown, CheckView, LogFilter, LOG_KINDS};
use crate::view_model::{NodeStatus, Status};

fn input_value(e: &Event) -> String {
    e.target_unchecked_into::<web_sys::HtmlInputElement>()
        .value()
}

#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    pub playing: bool,
    pub speed: f64,
    pub seed_text: String,
    pub time_label: String,
    pub on: Callback<Action>,
}

#[component]
pub fn Toolbar(p: &ToolbarProps) -> Html {
    let on = p.on.clone();
    let act = move |a: fn() -> Action| {
        let on = on.clone();
        Callback::from(move |_: MouseEvent| on.emit(a()))
    };
    let on_speed = {
        let on = p.on.clone();
        Callback::from(move |e: InputEvent| {
            let pos = input_value(&e).parse::<u32>().unwrap_or(333);
            on.emit(Action::SetSpeed(speed_from_slider(pos)))
        })
    };
    let on_seed_text = {
        let on = p.on.clone();
        Callback::from(move |e: InputEvent| on.emit(Action::SetSeedText(input_value(&e))))
    };
    let on_seed_submit = {
        let on = p.on.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on.emit(Action::ApplySeed)
        })
    };
    let (play_label, play_text) = if p.playing {
        ("Pause (Space)", "❚❚ Pause")
    } else {
        ("Play (Space)", "▶ Play")
    };
    html! {
        <div class="toolbar" role="toolbar" aria-label="Playback">
            <button id="play" class="primary" aria-label={play_label} aria-pressed={p.playing.to_string()}
                onclick={act(|| Action::TogglePlay)}>{play_text}</button>
            <button id="step" aria-label="Step one event (.)" onclick={act(|| Action::Step)}>{"Step"}</button>
            <button id="reset" aria-label="Reset the run (R)" onclick={act(|| Action::Reset)}>{"Reset"}</button>
            <label class="speed">
                <span>{"Speed"}</span>
                <input id="speed" type="range" min="0" max="1000" step="1"
                    value={slider_from_speed(p.speed).to_string()}
                    aria-valuetext={speed_label(p.speed)} oninput={on_speed} />
                <output id="speed-label" for="speed">{speed_label(p.speed)}</output>
            </label>
            <form class="seed" onsubmit={on_seed_submit}>
                <label for="seed">{"Seed"}</label>
                <input id="seed" type="text" inputmode="numeric" size="10"
                    value={p.seed_text.clone()} oninput={on_seed_text} />
                <button id="apply-seed" type="submit">{"Apply"}</button>
            </form>
            <div class="clock" aria-live="off">
                <span class="clock-label">{"simulated time"}</span>
                <span id="sim-time">{p.time_label.clone()}</span>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct FaultPanelProps {
    pub status: std::rc::Rc<Status>,
    pub on: Callback<Action>,
    /// Which run the controls act on, when there are two.
    #[prop_or_default]
    pub steering: Option<&'static str>,
}

fn node_row(n: &NodeStatus, on: &Callback<Action>) -> Html {
    let issue = |c: Command| {
        let on = on.clone();
        Callback::from(move |_: MouseEvent| on.emit(Action::Issue(c.clone())))
    };
    let id = n.id;
    let crash = if n.up {
        html! { <button class="danger" aria-label={format!("Crash node {}", n.label)}
        onclick={issue(Command::Crash { node: id })}>{"Crash"}</button> }
    } else {
        html! { <button aria-label={format!("Restart node {}", n.label)}
        onclick={issue(Command::Restart { node: id })}>{"Restart"}</button> }
    };
    let link = if n.isolated {
        html! { <button aria-label={format!("Reconnect {}", n.label)}
        onclick={issue(Command::HealAll)}>{"Reconnect"}</button> }
    } else {
        html! { <button class="danger" aria-label={format!("Isolate {}", n.label)}
        onclick={issue(Command::Partition { groups: vec![vec![id]] })}>{"Isolate"}</button> }
    };
    let state = n.state.clone();
    html! {
        <li class="node-row" id={format!("node-{id}")}>
            <span class="node-name">{n.label.clone()}</span>
            <span class="node-state" title={state.clone()}>{state}</span>
            <span class="node-avail" aria-label={format!("{}: availability for its clients", n.label)}
                title="Share of the operations of the clients talking to this node that succeeded, over the last sampling interval">
                {n.availability.clone()}</span>
            {link}
            {crash}
        </li>
    }
}

#[component]
pub fn FaultPanel(p: &FaultPanelProps) -> Html {
    let st = &p.status;
    let partition = {
        let on = p.on.clone();
        let cmd = if st.partitioned {
            Command::HealPartition
        } else {
            Command::Partition {
                groups: vec![vec![0, 1]],
            }
        };
        Callback::from(move |_: MouseEvent| on.emit(Action::Issue(cmd.clone())))
    };
    let heal_all = {
        let on = p.on.clone();
        Callback::from(move |_: MouseEvent| on.emit(Action::Issue(Command::HealAll)))
    };
    html! {
        <section class="panel" aria-labelledby="faults-title">
            <h2 id="faults-title">{"Nodes and links"}
                if let Some(run) = p.steering { <span class="steering">{format!(" · steering {run}")}</span> }
            </h2>
            <ul class="nodes">{ for st.nodes.iter().map(|n| node_row(n, &p.on)) }</ul>
            <div class="row-buttons">
                <button id="heal-all" onclick={heal_all}>{"Heal all links"}</button>
                <button id="partition" class={classes!((!st.partitioned).then_some("danger"))}
                    aria-pressed={st.partitioned.to_string()} onclick={partition}>
                    { if st.partitioned { "Heal partition" } else { "Partition {n0, n1} | rest" } }
                </button>
            </div>
            { link_control(st, &p.on) }
            <p class="replication" id="replication">{st.replication.clone()}</p>
        </section>
    }
}

/// One link chosen from a list, cut or healed: what a click on the drawing does, from the
/// keyboard.
fn link_control(st: &Status, on: &Callback<Action>) -> Html {
    let choice = NodeRef::default();
    let act = |cut: bool| {
        let (on, choice) = (on.clone(), choice.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(sel) = choice.cast::<web_sys::HtmlSelectElement>() else {
                return;
            };
            let value = sel.value();
            let Some((a, b)) = value.split_once('-') else {
                return;
            };
            let (Ok(a), Ok(b)) = (a.parse(), b.parse()) else {
                return;
            };
            let cmd = if cut {
                Command::CutLink { a, b }
            } else {
                Command::HealLink { a, b }
            };
            on.emit(Action::Issue(cmd));
        })
    };
    html! {
        <div class="link-control">
            <label for="link-choice">{"Link"}</label>
            <select id="link-choice" ref={choice.clone()}>
                { for st.links.iter().map(|(a, b, how)| html! {
                    <option value={format!("{a}-{b}")}>
                        {format!("n{a}–n{b}{}", how.map(|h| format!(" ({h})")).unwrap_or_default())}
                    </option>
                }) }
            </select>
            <button id="link-cut" class="danger" onclick={act(true)}>{"Cut"}</button>
            <button id="link-heal" onclick={act(false)}>{"Heal"}</button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct StatusProps {
    pub status: std::rc::Rc<Status>,
}

#[component]
pub fn Figures(p: &StatusProps) -> Html {
    html! {
        <dl class="figures" aria-label="Key figures">
            { for p.status.figures.iter().map(|(k, v)| html! {
                <div class="figure"><dt>{*k}</dt><dd>{v.clone()}</dd></div>
            }) }
        </dl>
    }
}

#[derive(Properties, PartialEq)]
pub struct SeekProps {
    pub status: std::rc::Rc<Status>,
    pub on: Callback<Action>,
}

#[derive(Properties, PartialEq)]
pub struct LogProps {
    pub status: std::rc::Rc<Status>,
    pub filter: LogFilter,
    pub check: Option<std::rc::Rc<CheckView>>,
    pub on: Callback<Action>,
}

/// The kind switches: one labelled checkbox per kind.
fn log_filters(p: &LogProps) -> Html {
    let kind = |(tag, label): &(&'static str, &'static str)| {
        let on = p.on.clone();
        let tag = *tag;
        let toggle = Callback::from(move |_: Event| on.emit(Action::ToggleLogKind(tag)));
        html! {
            <label class={classes!("log-kind", tag)}>
                <input type="checkbox" id={format!("log-kind-{tag}")}
                    checked={p.filter.shows(tag)} onchange={toggle} />
                {*label}
            </label>
        }
    };
    html! {
        <fieldset class="log-filter" aria-label="Show these kinds">
            <legend>{"Show"}</legend>
            { for LOG_KINDS.iter().map(kind) }
        </fieldset>
    }
}

/// Clicking an entry moves the run to that moment; the checker's findings name the
/// operations involved and go to the first of them.
#[component]
pub fn EventLog(p: &LogProps) -> Html {
    let entry = |l: &crate::view_model::LogLine| {
        let on = p.on.clone();
        let at = l.at;
        let go = Callback::from(move |_: MouseEvent| on.emit(Action::Seek(at)));
        html! {
            <li><button class="log-entry" onclick={go}
                    aria-label={format!("Go to {}: {}", l.time, l.text)}>
                <time>{l.time.clone()}</time>
                <span class={classes!("tag", l.kind)}>{l.kind}</span>
                <span>{l.text.clone()}</span>
            </button></li>
        }
    };
    let check = {
        let on = p.on.clone();
        Callback::from(move |_: MouseEvent| on.emit(Action::CheckHistory))
    };
    let lines = shown(&p.status.log, p.check.as_deref(), &p.filter);
    html! {
        <section class="panel log" aria-labelledby="log-title">
            <h2 id="log-title">{"Event log"}<span class="hint">{" · click an entry to go back to it"}</span></h2>
            <div class="log-tools">
                { log_filters(p) }
                <button id="check-history" onclick={check}
                    aria-label="Check the history so far for stale reads, lost updates and linearizability">
                    {"Check the history"}</button>
            </div>
            if let Some(c) = &p.check {
                <p id="check-summary" class="note" role="status">
                    {format!("Checked at {}: {}", c.at, c.summary)}</p>
            }
            if lines.is_empty() {
                <p class="muted">{"Nothing to list: cut a link or crash a node, or show more kinds."}</p>
            } else {
                <ol id="event-log">{ for lines.into_iter().map(entry) }</ol>
            }
        </section>
    }
}

/// The scrub bar: drag to any moment this run has reached; playing on from an earlier moment
/// replays the same history, and a new command there starts a new branch.
#[component]
pub fn TimelineBar(p: &SeekProps) -> Html {
    let on_seek = {
        let on = p.on.clone();
        Callback::from(move |e: InputEvent| {
            if let Ok(ms) = input_value(&e).parse::<u64>() {
                on.emit(Action::Seek(crate::sim::SimTime::from_ms(ms)))
            }
        })
    };
    let st = &p.status;
    let now_ms = st.now.as_us() / 1_000;
    let end_ms = st.horizon.as_us() / 1_000;
    html! {
        <div class="timeline-bar">
            <label for="timeline">{"Timeline"}</label>
            <input id="timeline" type="range" min="0" max={end_ms.max(1).to_string()} step="1"
                value={now_ms.to_string()} oninput={on_seek}
                aria-valuetext={format!("{} of {}", st.time_label, st.horizon)} />
            <span class="timeline-end">{format!("{:.1} s / {:.1} s", st.now.as_secs_f64(), st.horizon.as_secs_f64())}</span>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    /// Mouse handlers for the fork's canvas.
    pub canvas_events: super::canvas::CanvasEvents,
    pub a: std::rc::Rc<Status>,
    pub b: std::rc::Rc<Status>,
    pub at: String,
    pub steer_fork: bool,
    pub on: Callback<Action>,
    pub canvas: NodeRef,
}

/// Two futures side by side: the fork's topology, which run the controls steer, and every
/// figure of both with the ones that differ marked (by a sign, not by colour alone).
#[component]
pub fn Compare(p: &CompareProps) -> Html {
    let steer = |to_fork: bool| {
        let on = p.on.clone();
        Callback::from(move |_: MouseEvent| on.emit(Action::SteerFork(to_fork)))
    };
    let close = {
        let on = p.on.clone();
        Callback::from(move |_: MouseEvent| on.emit(Action::Unfork))
    };
    let rows = crate::view_model::compare(&p.a, &p.b);
    html! {
        <section class="panel compare" aria-labelledby="compare-title">
            <div class="compare-head">
                <h2 id="compare-title">{format!("Two futures from {}", p.at)}</h2>
                <div class="steer" role="group" aria-label="The controls steer">
                    <button id="steer-a" aria-pressed={(!p.steer_fork).to_string()}
                        onclick={steer(false)}>{"Steer A · original"}</button>
                    <button id="steer-b" aria-pressed={p.steer_fork.to_string()}
                        onclick={steer(true)}>{"Steer B · fork"}</button>
                </div>
                <button id="unfork" class="ghost" onclick={close}>{"Close the fork"}</button>
            </div>
            <div class="compare-body">
                <figure>
                    <figcaption>{"B · fork"}</figcaption>
                    <canvas id="topology-fork" ref={p.canvas.clone()} role="img"
                        onclick={p.canvas_events.click.clone()} oncontextmenu={p.canvas_events.menu.clone()}
                        onmousemove={p.canvas_events.hover.clone()} onmousedown={p.canvas_events.down.clone()}
                        onmouseup={p.canvas_events.up.clone()}
                        aria-label="Topology of the forked run B" />
                </figure>
                <table id="compare-table">
                    <thead><tr><th scope="col">{"figure"}</th><th scope="col">{"A · original"}</th>
                        <th scope="col">{"B · fork"}</th><th scope="col"><span class="sr-only">{"differs"}</span></th></tr></thead>
                    <tbody>{ for rows.iter().map(|r| html! {
                        <tr class={classes!(r.differs.then_some("differs"))}>
                            <th scope="row">{r.label}</th><td>{r.a.clone()}</td><td>{r.b.clone()}</td>
                            <td aria-label={if r.differs { "differs" } else { "same" }}>{ if r.differs { "≠" } else { "" } }</td>
                        </tr>
                    }) }</tbody>
                </table>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<MouseEvent>,
}

/// Keyboard shortcuts, shown with `?`.
pub const SHORTCUTS: [(&str, &str); 7] = [
    ("Space", "play / pause"),
    (".", "step one event"),
    ("← / →", "one second back / forward"),
    ("+ / −", "double / halve the speed"),
    ("R", "reset the run"),
    ("?", "show / hide this help"),
    ("Esc", "close this help"),
];

#[component]
pub fn Help(p: &HelpProps) -> Html {
    html! {
        <div class="help" role="dialog" aria-modal="true" aria-labelledby="help-title">
            <div class="help-card">
                <h2 id="help-title">{"Keyboard shortcuts"}</h2>
                <dl>{ for SHORTCUTS.iter().map(|(k, v)| html! {
                    <div><dt><kbd>{*k}</kbd></dt><dd>{*v}</dd></div>
                }) }</dl>
                <button id="close-help" onclick={p.on_close.clone()}>{"Close"}</button>
            </div>
        </div>
    }
}
