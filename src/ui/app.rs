//! The root component: one reducer, the animation loop, keyboard shortcuts and the layout.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::render::{request_animation_frame, AnimationFrame};
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::canvas::{draw_on, CanvasEvents, Drag};
use super::data::DataPanel;
use super::migration::MigrationPanel;
use super::panels::{Compare, EventLog, FaultPanel, Figures, Help, TimelineBar, Toolbar};
use super::schema::SchemaPanel;
use super::settings::SettingsPanel;
use super::state::{Action, AppState, RunId, SharedSim, Tab};
use crate::draw::{chart::draw_chart, topology::draw_topology};
use crate::playback::advance_wall;
use crate::share::{self, SharedRun};
use crate::sim::Command;
use crate::view_model::{charts, drop_partition, frame, hit, Hit, CHART_COUNT};

/// Charts and panels refresh this often (wall ms); the topology redraws every frame.
const SLOW_REFRESH_MS: f64 = 250.0;

/// Charts drawn in one animation frame: the slow refresh spreads its work over a few frames
/// (charts first, then the panels) so no single frame carries all of it.
const CHARTS_PER_FRAME: usize = 3;

#[derive(Default)]
struct LoopClock {
    last_ts: Option<f64>,
    last_slow_ts: f64,
    drawn_version: Option<u64>,
    charted_version: Option<u64>,
    /// The charts of the last slow refresh, still to draw, with their canvas index.
    charts_left: Vec<(usize, crate::view_model::ChartView)>,
    /// The panels are to re-read the simulation once the charts are drawn.
    refresh_due: bool,
}

struct Canvases {
    topology: NodeRef,
    fork: NodeRef,
    charts: [NodeRef; CHART_COUNT],
}

/// One animation frame: advance the model by the wall time since the last frame, draw the
/// topology, and a few times a second draw the charts and ask the panels to refresh.
fn tick(
    ts: f64,
    latest: &RefCell<AppState>,
    clock: &RefCell<LoopClock>,
    c: &Canvases,
    dispatch: &UseReducerDispatcher<AppState>,
) {
    let st = latest.borrow().clone();
    let mut clk = clock.borrow_mut();
    let dt = clk.last_ts.map_or(0.0, |last| ts - last);
    clk.last_ts = Some(ts);
    if st.playing {
        advance_wall(&mut st.sim.borrow_mut(), dt, st.speed);
        st.sync_fork();
    }
    if st.playing || clk.drawn_version != Some(st.version) {
        if let Some(canvas) = c.topology.cast::<HtmlCanvasElement>() {
            let f = frame(st.sim.borrow().sim());
            draw_on(&canvas, |area, dpr| {
                draw_topology(area, &f, dpr, st.reduced_motion)
            });
        }
        if let (Some(fork), Some(canvas)) = (&st.fork, c.fork.cast::<HtmlCanvasElement>()) {
            let f = frame(fork.run.borrow().sim());
            draw_on(&canvas, |area, dpr| {
                draw_topology(area, &f, dpr, st.reduced_motion)
            });
        }
        clk.drawn_version = Some(st.version);
    }
    let slow_due = ts - clk.last_slow_ts >= SLOW_REFRESH_MS;
    if (st.playing && slow_due) || clk.charted_version != Some(st.version) {
        // Newest views first in the list's tail, so `pop` draws them in canvas order.
        clk.charts_left = charts(st.sim.borrow().sim())
            .into_iter()
            .enumerate()
            .rev()
            .collect();
        clk.last_slow_ts = ts;
        clk.charted_version = Some(st.version);
        clk.refresh_due = st.playing;
    } else if !clk.charts_left.is_empty() {
        for _ in 0..CHARTS_PER_FRAME {
            let Some((i, view)) = clk.charts_left.pop() else {
                break;
            };
            if let Some(canvas) = c.charts.get(i).and_then(|r| r.cast::<HtmlCanvasElement>()) {
                draw_on(&canvas, |area, dpr| draw_chart(area, &view, dpr));
            }
        }
    } else if std::mem::take(&mut clk.refresh_due) {
        dispatch.dispatch(Action::Refresh);
    }
}

/// Where on a topology canvas the pointer is: what it is over, and its CSS-pixel position.
fn pointer(e: &MouseEvent, run: &SharedSim) -> Option<(Option<Hit>, f64, f64)> {
    let canvas: HtmlCanvasElement = e.target()?.dyn_into().ok()?;
    let (w, h) = (
        f64::from(canvas.client_width()),
        f64::from(canvas.client_height()),
    );
    let (x, y) = (f64::from(e.offset_x()), f64::from(e.offset_y()));
    Some((hit(&frame(run.borrow().sim()), x, y, w, h), x, y))
}

/// The command a click (or, with `secondary`, a right-click) on a topology canvas asks for:
/// a click on a link cuts or heals it, a right-click on a node crashes or restarts it.
fn canvas_command(e: &MouseEvent, run: &SharedSim, secondary: bool) -> Option<Command> {
    let (over, _, _) = pointer(e, run)?;
    let run = run.borrow();
    match (over?, secondary) {
        (Hit::Link { a, b, cut: false }, false) => Some(Command::CutLink { a, b }),
        (Hit::Link { a, b, cut: true }, false) => Some(Command::HealLink { a, b }),
        (Hit::Node(node), true) if run.sim().cluster().nodes[node as usize].up => {
            Some(Command::Crash { node })
        }
        (Hit::Node(node), true) => Some(Command::Restart { node }),
        _ => None,
    }
}

/// The partition a node dragged and released here asks for (see [`drop_partition`]).
fn drop_command(e: &MouseEvent, run: &SharedSim, node: crate::sim::NodeId) -> Option<Command> {
    let (over, _, _) = pointer(e, run)?;
    let onto = match over {
        Some(Hit::Node(n)) => Some(n),
        _ => None,
    };
    let run = run.borrow();
    let sim = run.sim();
    let nodes = sim.cluster().nodes.len() as u32;
    drop_partition(sim.network().partition_groups(), nodes, node, onto)
}

fn set_cursor(e: &MouseEvent, cursor: &str) {
    if let Some(el) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.style().set_property("cursor", cursor);
    }
}

/// Mouse handlers for a topology canvas showing `run`: a click on a link cuts or heals it, a
/// right-click on a node crashes or restarts it, dragging a node onto another puts it on that
/// node's side of a partition and dragging it off into empty space gives it a side of its own.
fn canvas_handlers(
    run: &SharedSim,
    target: RunId,
    on: &Callback<Action>,
    drag: &Rc<RefCell<Drag>>,
) -> CanvasEvents {
    let issue = {
        let on = on.clone();
        move |c: Option<Command>| {
            if let Some(c) = c {
                on.emit(Action::IssueTo(target, c));
            }
        }
    };
    let click = {
        let (run, drag, issue) = (run.clone(), drag.clone(), issue.clone());
        Callback::from(move |e: MouseEvent| {
            if !std::mem::take(&mut drag.borrow_mut().swallow_click) {
                issue(canvas_command(&e, &run, false));
            }
        })
    };
    let menu = {
        let (run, issue) = (run.clone(), issue.clone());
        Callback::from(move |e: MouseEvent| {
            if let Some(c) = canvas_command(&e, &run, true) {
                e.prevent_default();
                issue(Some(c));
            }
        })
    };
    let down = {
        let (run, drag) = (run.clone(), drag.clone());
        Callback::from(move |e: MouseEvent| {
            let start = match pointer(&e, &run) {
                Some((Some(Hit::Node(n)), x, y)) if e.button() == 0 => Some((n, x, y)),
                _ => None,
            };
            *drag.borrow_mut() = Drag {
                start,
                ..Drag::default()
            };
        })
    };
    let up = {
        let (run, drag) = (run.clone(), drag.clone());
        Callback::from(move |e: MouseEvent| {
            let d = std::mem::take(&mut *drag.borrow_mut());
            if let (Some((node, _, _)), true) = (d.start, d.moved) {
                drag.borrow_mut().swallow_click = true;
                issue(drop_command(&e, &run, node));
                set_cursor(&e, "default");
            }
        })
    };
    let hover = {
        let (run, drag) = (run.clone(), drag.clone());
        Callback::from(move |e: MouseEvent| {
            let Some((over, x, y)) = pointer(&e, &run) else {
                return;
            };
            let mut d = drag.borrow_mut();
            if let Some((_, x0, y0)) = d.start {
                d.moved |= (x - x0).hypot(y - y0) > DRAG_MIN_PX;
                if d.moved {
                    return set_cursor(&e, "grabbing");
                }
            }
            let cursor = match over {
                Some(Hit::Node(_)) => "grab",
                Some(Hit::Link { .. }) => "pointer",
                None => "default",
            };
            set_cursor(&e, cursor);
        })
    };
    CanvasEvents {
        click,
        menu,
        hover,
        down,
        up,
    }
}

/// A press on a node that moves further than this (CSS pixels) is a drag, not a click.
const DRAG_MIN_PX: f64 = 12.0;

/// One workspace tab's button; the selected one is marked for screen readers and by its
/// underline, not by colour alone.
fn tab_button(t: Tab, current: Tab, on: &Callback<Action>) -> Html {
    let on = on.clone();
    let select = Callback::from(move |_: MouseEvent| on.emit(Action::SelectTab(t)));
    html! {
        <button id={format!("tab-{}", t.id())} role="tab" class="tab"
            aria-selected={(t == current).to_string()} aria-controls={format!("tabpanel-{}", t.id())}
            onclick={select}>{t.label()}</button>
    }
}

/// The user's system setting `prefers-reduced-motion: reduce`.
fn prefers_reduced_motion() -> bool {
    gloo::utils::window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

/// Replace the page's fragment without adding a history entry; returns the full URL.
fn write_fragment(fragment: &str) -> Option<String> {
    let window = gloo::utils::window();
    let history = window.history().ok()?;
    history
        .replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("#{fragment}")),
        )
        .ok()?;
    window.location().href().ok()
}

/// Keep requesting frames; the handle lives in `slot`, and taking it out cancels the loop.
fn schedule(slot: Rc<RefCell<Option<AnimationFrame>>>, f: Rc<dyn Fn(f64)>) {
    let next = slot.clone();
    let handle = request_animation_frame(move |ts| {
        f(ts);
        schedule(next, f);
    });
    *slot.borrow_mut() = Some(handle);
}

fn on_key(e: &KeyboardEvent, d: &UseReducerDispatcher<AppState>, st: &AppState) {
    let (speed, now) = (st.speed, st.status.now);
    let second = crate::sim::SimDuration::from_secs(1);
    let typing = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
        return;
    }
    let action = match e.key().as_str() {
        " " | "k" => Action::TogglePlay,
        "." => Action::Step,
        "+" | "=" => Action::SetSpeed(speed * 2.0),
        "-" | "_" => Action::SetSpeed(speed / 2.0),
        "r" | "R" => Action::Reset,
        "?" => Action::ToggleHelp,
        "ArrowLeft" => Action::Seek(crate::sim::SimTime(
            now.as_us().saturating_sub(second.as_us()),
        )),
        "ArrowRight" => Action::Seek(now + second),
        "Escape" => Action::CloseHelp,
        _ => return,
    };
    e.prevent_default();
    d.dispatch(action);
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| {
        let fragment = gloo::utils::window().location().hash().unwrap_or_default();
        let mut st = AppState::from_fragment(&fragment);
        st.reduced_motion = prefers_reduced_motion();
        st
    });
    let topology = use_node_ref();
    // A node being dragged on each topology canvas (A and the fork B).
    let drag_a = use_mut_ref(Drag::default);
    let drag_b = use_mut_ref(Drag::default);
    let fork_canvas = use_node_ref();
    let chart_refs = [
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
    ];
    // The loop reads the newest state through this cell, so it never needs re-registering.
    let latest = use_mut_ref(|| (*state).clone());
    *latest.borrow_mut() = (*state).clone();

    {
        let canvases = Canvases {
            topology: topology.clone(),
            fork: fork_canvas.clone(),
            charts: chart_refs.clone(),
        };
        let dispatch = state.dispatcher();
        let latest = latest.clone();
        use_effect_with((), move |_| {
            let slot: Rc<RefCell<Option<AnimationFrame>>> = Rc::default();
            let clock = RefCell::new(LoopClock::default());
            schedule(
                slot.clone(),
                Rc::new(move |ts| tick(ts, &latest, &clock, &canvases, &dispatch)),
            );
            move || drop(slot.borrow_mut().take())
        });
    }
    {
        let dispatch = state.dispatcher();
        let latest = latest.clone();
        use_effect_with((), move |_| {
            let window = gloo::utils::window();
            // Not passive: shortcuts call preventDefault (Space would otherwise scroll).
            let opts = EventListenerOptions::enable_prevent_default();
            let listener = EventListener::new_with_options(&window, "keydown", opts, move |e| {
                if let Some(e) = e.dyn_ref::<KeyboardEvent>() {
                    on_key(e, &dispatch, &latest.borrow());
                }
            });
            move || drop(listener)
        });
    }

    let on = {
        let d = state.dispatcher();
        use_callback(d, |a: Action, d| d.dispatch(a))
    };
    let close_help = {
        let on = on.clone();
        Callback::from(move |_: MouseEvent| on.emit(Action::CloseHelp))
    };
    let share = {
        let on = on.clone();
        let sim = state.sim.clone();
        Callback::from(move |_: MouseEvent| {
            let run = sim.borrow();
            let run = SharedRun {
                scenario: run.sim().scenario().clone(),
                commands: run.script().to_vec(),
            };
            if let Some(url) = write_fragment(&share::encode(&run)) {
                on.emit(Action::Shared(url));
            }
        })
    };
    let fork = {
        let on = on.clone();
        Callback::from(move |_: MouseEvent| on.emit(Action::Fork))
    };
    let a_events = canvas_handlers(&state.sim, RunId::Original, &on, &drag_a);
    let steered_status = match &state.fork {
        Some(f) if f.steer_fork => f.status.clone(),
        _ => state.status.clone(),
    };
    let steering = state.fork.as_ref().map(|f| {
        if f.steer_fork {
            "B · fork"
        } else {
            "A · original"
        }
    });
    let chart_titles: [&str; CHART_COUNT] = [
        "Successful operations per second",
        "Latency p50, p95 and p99",
        "Availability: share of operations that succeed",
        "Replication lag per node",
        "Stale reads: share of reads that missed an acknowledged write",
        "Conflicts per second, lost updates and keys in disagreement",
        "Migration progress: share of the migration's records copied and failed",
        "Cache hit ratio: share of the application's reads the read-through cache answered",
    ];
    html! {
        <div class="app">
            <header class="top">
                <div class="brand">
                    <h1>{"migrascope"}</h1>
                    <p class="subtitle">{"Replicated data on a simulated network, and a database migration next to it. \
                        Press play, then cut a link or crash a node, or start a migration below, and watch what happens."}</p>
                </div>
                <div class="header-actions">
                if state.fork.is_none() {
                    <button id="fork" class="ghost" onclick={fork}
                        aria-label="Fork: branch a second future from this moment to compare">
                        {"Fork here"}</button>
                }
                <button id="reduced-motion" class="ghost" aria-pressed={state.reduced_motion.to_string()}
                    onclick={{ let on = on.clone(); Callback::from(move |_: MouseEvent| on.emit(Action::ToggleReducedMotion)) }}>
                    { if state.reduced_motion { "Motion: reduced" } else { "Motion: full" } }</button>
                <button id="share" class="ghost" onclick={share}
                    aria-label="Put a link to this run (scenario and commands) in the address bar">
                    {"Link to this run"}</button>
                <button class="ghost" aria-label="Keyboard shortcuts (?)"
                    onclick={{ let on = on.clone(); Callback::from(move |_: MouseEvent| on.emit(Action::ToggleHelp)) }}>
                    {"? Shortcuts"}</button>
                </div>
            </header>
            <Toolbar playing={state.playing} speed={state.speed} seed_text={state.seed_text.clone()}
                time_label={state.status.time_label.clone()} on={on.clone()} />
            <TimelineBar status={state.status.clone()} on={on.clone()} />
            if let Some(url) = &state.share_url {
                <p class="note" role="status">{"This run's link is now in the address bar: "}
                    <input id="share-url" readonly=true value={url.clone()} aria-label="Link to this run" /></p>
            }
            if let Some(err) = &state.error {
                <p class="error" role="alert" id="error">{err.clone()}</p>
            }
            <main class="grid">
                <section class="stage" aria-label="Cluster">
                    if state.fork.is_some() { <p class="stage-label">{"A · original"}</p> }
                    <canvas id="topology" ref={topology} role="img" onclick={a_events.click}
                        oncontextmenu={a_events.menu} onmousemove={a_events.hover}
                        onmousedown={a_events.down} onmouseup={a_events.up}
                        aria-label="Cluster topology: the nodes on a circle, every link between them, messages in flight" />
                    <p class="hint canvas-hint">{"Click a link to cut or heal it. Drag a node onto another to put them on one side of a partition, or into empty space to cut it off. Right-click a node to crash or restart it."}</p>
                    <Figures status={state.status.clone()} />
                </section>
                <div class="side">
                    <FaultPanel status={steered_status.clone()} on={on.clone()} steering={steering} />
                    <EventLog status={state.status.clone()} filter={state.log_filter.clone()}
                        check={state.check.clone()} on={on.clone()} />
                </div>
            </main>
            if let Some(f) = &state.fork {
                <Compare a={state.status.clone()} b={f.status.clone()} at={f.at.to_string()}
                    steer_fork={f.steer_fork} on={on.clone()} canvas={fork_canvas.clone()}
                    canvas_events={canvas_handlers(&f.run, RunId::Fork, &on, &drag_b)} />
            }
            <section class="charts" aria-label="Charts">
                { for chart_refs.iter().zip(chart_titles).enumerate().map(|(i, (r, title))| html! {
                    <canvas id={format!("chart-{i}")} ref={r.clone()} role="img" aria-label={title} />
                }) }
            </section>
            // Only the shown tab's panel is built: the others' views (and their code, which the
            // page loads in its second part) wait until the tab is opened.
            <div class="workspace">
                <div class="tabs" role="tablist" aria-label="Workspace">
                    { for Tab::ALL.into_iter().map(|t| tab_button(t, state.tab, &on)) }
                </div>
                <div id="tabpanel-settings" role="tabpanel" aria-labelledby="tab-settings" hidden={state.tab != Tab::Settings}>
                    <SettingsPanel settings={steered_status.settings.clone()} draft={state.settings_draft.clone()}
                        error={state.settings_error.clone()} on={on.clone()} {steering} />
                </div>
                <div id="tabpanel-migration" role="tabpanel" aria-labelledby="tab-migration" hidden={state.tab != Tab::Migration}>
                    if state.tab == Tab::Migration {
                        <MigrationPanel status={steered_status.clone()} form={state.migration_form.clone()} on={on.clone()} />
                    }
                </div>
                <div id="tabpanel-data" role="tabpanel" aria-labelledby="tab-data" hidden={state.tab != Tab::Data}>
                    if state.tab == Tab::Data {
                        <DataPanel view={steered_status.data.clone()} node={state.data_node} on={on.clone()} />
                    }
                </div>
                <div id="tabpanel-schema" role="tabpanel" aria-labelledby="tab-schema" hidden={state.tab != Tab::Schema}>
                    if state.tab == Tab::Schema {
                        <SchemaPanel form={state.migration_form.clone()} run={steered_status.schema_run.clone()} on={on.clone()} />
                    }
                </div>
            </div>
            if state.help { <Help on_close={close_help} /> }
        </div>
    }
}
