//! Browser tests, run in headless Chromium by `wasm-pack test --headless --chrome`.
#![cfg(target_arch = "wasm32")]

#[path = "common/dom.rs"]
mod dom;
#[path = "common/golden.rs"]
mod golden;

use dom::{find, mount_root};

use std::time::Duration;

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn wasm_history_hash_equals_the_native_one() {
    let sim = golden::golden_run();
    assert_eq!(
        sim.history_hash(),
        golden::GOLDEN_HASH,
        "wasm hash {:#018x} differs from the native golden hash",
        sim.history_hash()
    );
}

#[wasm_bindgen_test]
async fn app_mounts_with_its_controls() {
    let root = mount_root();
    yew::Renderer::<migrascope::ui::App>::with_root(root.clone()).render();
    yew::platform::time::sleep(Duration::from_millis(100)).await;
    for sel in [
        "#play",
        "#step",
        "#reset",
        "#speed",
        "#seed",
        "#apply-seed",
        "#topology",
        "#sim-time",
    ] {
        find(&root, sel);
    }
    assert_eq!(
        find(&root, "#sim-time").text_content().unwrap(),
        "0.000000 s"
    );
    // Step once: the clock moves to the first event.
    find(&root, "#step").unchecked_into::<HtmlElement>().click();
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    let t = find(&root, "#sim-time").text_content().unwrap();
    assert_ne!(t, "0.000000 s", "step did not advance");
    // A bad seed is refused with a message, and the run is kept.
    let seed = find(&root, "#seed").unchecked_into::<web_sys::HtmlInputElement>();
    seed.set_value("not a number");
    seed.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    yew::platform::time::sleep(Duration::from_millis(20)).await;
    find(&root, "#apply-seed")
        .unchecked_into::<HtmlElement>()
        .click();
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    let err = find(&root, "#error").text_content().unwrap();
    assert!(err.contains("seed must be a whole number"), "{err}");
    assert_eq!(find(&root, "#sim-time").text_content().unwrap(), t);
}

mod panels {
    use super::*;
    use migrascope::sim::timeline::Timeline;
    use migrascope::sim::{Command, Scenario, SimTime};
    use migrascope::ui::panels::{Compare, CompareProps, FaultPanel, FaultPanelProps};
    use migrascope::view_model::status;
    use std::rc::Rc;
    use yew::prelude::*;

    fn known_status(crash_leader: bool) -> Rc<migrascope::view_model::Status> {
        let mut t = Timeline::new(Scenario::default()).unwrap();
        t.command(Command::Partition {
            groups: vec![vec![3]],
        })
        .unwrap();
        if crash_leader {
            t.command(Command::Crash { node: 0 }).unwrap();
        }
        t.advance_to(SimTime::from_ms(3_000), u64::MAX);
        Rc::new(status(&t))
    }

    #[component]
    fn FaultHost() -> Html {
        let props = FaultPanelProps {
            status: known_status(false),
            on: Callback::noop(),
            steering: Some("B · fork"),
        };
        html! { <FaultPanel ..props /> }
    }

    #[component]
    fn CompareHost() -> Html {
        let props = CompareProps {
            a: known_status(false),
            b: known_status(true),
            at: "1.000000 s".into(),
            steer_fork: true,
            on: Callback::noop(),
            canvas: NodeRef::default(),
            canvas_events: migrascope::ui::canvas::CanvasEvents {
                click: Callback::noop(),
                menu: Callback::noop(),
                hover: Callback::noop(),
                down: Callback::noop(),
                up: Callback::noop(),
            },
        };
        html! { <Compare ..props /> }
    }

    #[wasm_bindgen_test]
    async fn fault_panel_shows_each_node_with_the_right_buttons() {
        let root = mount_root();
        yew::Renderer::<FaultHost>::with_root(root.clone()).render();
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        let text = |sel: &str| find(&root, sel).text_content().unwrap();
        assert!(text("#node-0").contains("replica"), "{}", text("#node-0"));
        assert!(text("#node-3").contains("Reconnect"), "{}", text("#node-3"));
        assert!(text("#node-1").contains("Isolate"));
        assert!(text("#replication").contains("leaderless N=3 R=2 W=2"));
        assert!(text("#faults-title").contains("steering B · fork"));
        // Every link can be cut or healed from the keyboard; n3's are partitioned.
        let options = root.query_selector_all("#link-choice option").unwrap();
        assert_eq!(options.length(), 10);
        assert!(text("#link-choice").contains("n0–n3 (partition)"));
        assert!(!text("#link-choice").contains("n0–n1 ("));
        assert!(find(&root, "label[for='link-choice']")
            .text_content()
            .is_some());
    }

    #[wasm_bindgen_test]
    async fn compare_marks_the_figures_that_differ() {
        let root = mount_root();
        yew::Renderer::<CompareHost>::with_root(root.clone()).render();
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        let rows = root.query_selector_all("#compare-table tbody tr").unwrap();
        let mut differing = Vec::new();
        for i in 0..rows.length() {
            let tr: Element = rows.item(i).unwrap().unchecked_into();
            if tr.class_list().contains("differs") {
                differing.push(
                    tr.query_selector("th")
                        .unwrap()
                        .unwrap()
                        .text_content()
                        .unwrap(),
                );
            }
        }
        assert!(
            differing.contains(&"operations ok".to_string()),
            "{differing:?}"
        );
        assert!(
            differing.contains(&"nodes down".to_string()),
            "{differing:?}"
        );
        assert!(
            !differing.contains(&"nodes cut off".to_string()),
            "{differing:?}"
        );
        assert_eq!(
            find(&root, "#steer-b")
                .get_attribute("aria-pressed")
                .as_deref(),
            Some("true")
        );
    }
}

mod event_log {
    use super::*;
    use migrascope::sim::timeline::Timeline;
    use migrascope::sim::{Command, Scenario, SimTime};
    use migrascope::ui::panels::{EventLog, LogProps};
    use migrascope::view_model::log::{check_view, LogFilter};
    use migrascope::view_model::status;
    use std::rc::Rc;
    use yew::prelude::*;

    #[derive(Properties, PartialEq)]
    struct HostProps {
        filter: LogFilter,
        checked: bool,
    }

    #[component]
    fn Host(p: &HostProps) -> Html {
        let mut t = Timeline::new(Scenario::default()).unwrap();
        t.advance_to(SimTime::from_ms(1_000), u64::MAX);
        t.command(Command::Partition {
            groups: vec![vec![2]],
        })
        .unwrap();
        t.advance_to(SimTime::from_ms(3_000), u64::MAX);
        let check = p.checked.then(|| Rc::new(check_view(t.sim())));
        let props = LogProps {
            status: Rc::new(status(&t)),
            filter: p.filter.clone(),
            check,
            on: Callback::noop(),
        };
        html! { <EventLog ..props /> }
    }

    fn tags(root: &Element) -> Vec<String> {
        let list = root.query_selector_all("#event-log .tag").unwrap();
        (0..list.length())
            .map(|i| list.item(i).unwrap().text_content().unwrap())
            .collect()
    }

    #[wasm_bindgen_test]
    async fn kinds_are_labelled_switches_and_writes_show_only_when_asked() {
        let root = mount_root();
        let props = HostProps {
            filter: LogFilter::default(),
            checked: false,
        };
        yew::Renderer::<Host>::with_root_and_props(root.clone(), props).render();
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        let t = tags(&root);
        assert!(t.contains(&"command".to_string()), "{t:?}");
        assert!(!t.contains(&"write".to_string()), "{t:?}");
        // Every switch has a label and reflects the filter.
        let write = find(&root, "#log-kind-write").unchecked_into::<web_sys::HtmlInputElement>();
        assert!(!write.checked());
        assert!(write
            .parent_element()
            .unwrap()
            .text_content()
            .unwrap()
            .contains("Writes"));
        assert!(find(&root, "#check-history")
            .text_content()
            .unwrap()
            .contains("Check"));
        assert!(root.query_selector("#check-summary").unwrap().is_none());
    }

    #[wasm_bindgen_test]
    async fn with_writes_on_and_a_check_the_summary_and_writes_are_listed() {
        let root = mount_root();
        let props = HostProps {
            filter: LogFilter::default().toggled("write").toggled("command"),
            checked: true,
        };
        yew::Renderer::<Host>::with_root_and_props(root.clone(), props).render();
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        let t = tags(&root);
        assert!(t.contains(&"write".to_string()), "{t:?}");
        assert!(!t.contains(&"command".to_string()), "{t:?}");
        let summary = find(&root, "#check-summary").text_content().unwrap();
        assert!(summary.contains("Checked at 3.000000 s"), "{summary}");
        assert!(summary.contains("operations on"), "{summary}");
    }
}

mod migration_panel {
    use super::*;
    use migrascope::sim::migrate::Fault;
    use migrascope::sim::timeline::Timeline;
    use migrascope::sim::{Command, Scenario, SimTime};
    use migrascope::ui::migration::{MigrationPanel, MigrationPanelProps};
    use migrascope::view_model::migration::MigrationForm;
    use migrascope::view_model::status;
    use std::rc::Rc;
    use yew::prelude::*;

    /// A run with the page's default migration, at `ms` simulated ms, optionally with bad rows
    /// and a cut-over that fails.
    fn known_status(ms: u64, trouble: bool) -> Rc<migrascope::view_model::Status> {
        let mut t = Timeline::new(Scenario::default()).unwrap();
        let form = MigrationForm {
            bad_one_in: if trouble { 10 } else { 0 },
            ..MigrationForm::default()
        };
        let spec = Box::new(form.to_spec().unwrap());
        t.command(Command::StartMigration { spec }).unwrap();
        if trouble {
            let fault = Fault::CutoverFailure;
            t.command(Command::MigrationFault { fault }).unwrap();
        }
        t.advance_to(SimTime::from_ms(ms), u64::MAX);
        Rc::new(status(&t))
    }

    #[derive(Properties, PartialEq)]
    struct HostProps {
        ms: u64,
        trouble: bool,
        #[prop_or_default]
        form: Option<MigrationForm>,
    }

    #[component]
    fn Host(p: &HostProps) -> Html {
        let props = MigrationPanelProps {
            status: known_status(p.ms, p.trouble),
            form: p.form.clone().unwrap_or_default(),
            on: Callback::noop(),
        };
        html! { <MigrationPanel ..props /> }
    }

    async fn render(ms: u64, trouble: bool) -> Element {
        let root = mount_root();
        yew::Renderer::<Host>::with_root_and_props(
            root.clone(),
            HostProps {
                ms,
                trouble,
                form: None,
            },
        )
        .render();
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        root
    }

    #[wasm_bindgen_test]
    async fn the_form_has_a_label_for_every_control_and_no_status_before_start() {
        let root = mount_root();
        yew::Renderer::<MigrationPanel>::with_root_and_props(
            root.clone(),
            MigrationPanelProps {
                status: Rc::new(status(&Timeline::new(Scenario::default()).unwrap())),
                form: MigrationForm::default(),
                on: Callback::noop(),
            },
        )
        .render();
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        let controls = root
            .query_selector_all(".mig-form select, .mig-form input")
            .unwrap();
        // Strategy, direction, size, batch, workers, verification, capture, bad rows, budget,
        // throttle, sync, rollback, cache (its TTL only once a cache is chosen).
        assert_eq!(controls.length(), 13);
        for i in 0..controls.length() {
            let el: Element = controls.item(i).unwrap().unchecked_into();
            let id = el.id();
            let label = root.query_selector(&format!("label[for='{id}']")).unwrap();
            assert!(label.is_some(), "{id} has no label");
        }
        assert!(root.query_selector("#mig-status").unwrap().is_none());
        assert!(find(&root, ".migration")
            .text_content()
            .unwrap()
            .contains("then Start"));
    }

    #[wasm_bindgen_test]
    async fn mid_copy_shows_the_current_phase_in_words_and_progress() {
        let root = render(5_000, false).await;
        let text = |sel: &str| find(&root, sel).text_content().unwrap();
        assert_eq!(text("#mig-outcome"), "Phase: Copy");
        assert!(
            text("#mig-pipeline").contains("Copy (now)"),
            "{}",
            text("#mig-pipeline")
        );
        assert!(text("#mig-pipeline").contains("Schema (done)"));
        assert!(text("#mig-pipeline").contains("Verify (to do)"));
        assert!(find(&root, "#mig-table-customers progress").has_attribute("value"));
        assert_eq!(
            text("#mig-verification").trim(),
            "… Verification: not run yet"
        );
        assert!(text("#mig-downtime").contains("none yet"));
        assert!(find(&root, "#mig-start").has_attribute("disabled"));
        assert!(!find(&root, "#mig-cutover-failure").has_attribute("disabled"));
    }

    #[wasm_bindgen_test]
    async fn a_rolled_back_run_shows_why_the_errors_and_the_rollback() {
        let root = render(40_000, true).await;
        let text = |sel: &str| find(&root, sel).text_content().unwrap();
        assert!(
            text("#mig-outcome").contains("rolled back"),
            "{}",
            text("#mig-outcome")
        );
        assert!(
            text("#mig-reason").contains("cut-over failed"),
            "{}",
            text("#mig-reason")
        );
        assert!(text("#mig-pipeline").contains("Rollback (done)"));
        assert!(text("#mig-errors").contains("conversion"));
        assert!(text("#mig-errors").contains("customers"));
        assert!(find(&root, "#mig-crash-worker").has_attribute("disabled"));
        assert!(!find(&root, "#mig-start").has_attribute("disabled"));
    }
}

#[wasm_bindgen_test]
fn a_link_with_a_migration_fault_but_no_migration_says_why() {
    use migrascope::share::{encode, SharedRun};
    use migrascope::sim::migrate::Fault;
    use migrascope::sim::{Command, Scenario, SimTime, TimedCommand};
    let run = SharedRun {
        scenario: Scenario::default(),
        commands: vec![TimedCommand {
            at: SimTime::from_ms(10),
            command: Command::MigrationFault {
                fault: Fault::CutoverFailure,
            },
        }],
    };
    let st = migrascope::ui::state::AppState::from_fragment(&encode(&run));
    let err = st.error.expect("a message");
    assert!(err.contains("no migration is running"), "{err}");
}

mod settings_panel {
    use super::*;
    use migrascope::sim::repl::PartitionMode;
    use migrascope::sim::timeline::Timeline;
    use migrascope::sim::{Command, Scenario, SimTime};
    use migrascope::ui::settings::{SettingsPanel, SettingsPanelProps};
    use migrascope::ui::state::Action;
    use migrascope::view_model::settings::{Settings, SettingsForm};
    use migrascope::view_model::status;
    use std::cell::RefCell;
    use std::rc::Rc;
    use web_sys::{HtmlInputElement, HtmlSelectElement};
    use yew::prelude::*;

    /// The default run after a clock offset and a new rate, at 1 s.
    fn known_settings() -> Settings {
        let mut t = Timeline::new(Scenario::default()).unwrap();
        t.command(Command::SetClockSkew { node: 3, ms: -25 })
            .unwrap();
        t.command(Command::SetOpRate { per_s: 120 }).unwrap();
        t.advance_to(SimTime::from_ms(1_000), u64::MAX);
        status(&t).settings
    }

    type Seen = Rc<RefCell<Vec<SettingsForm>>>;

    async fn render(draft: Option<SettingsForm>, error: Option<String>) -> (Element, Seen) {
        let root = mount_root();
        let seen: Seen = Rc::default();
        let on = {
            let seen = seen.clone();
            Callback::from(move |a: Action| {
                if let Action::ApplySettings(f) | Action::EditSettings(f) = a {
                    seen.borrow_mut().push(f);
                }
            })
        };
        yew::Renderer::<SettingsPanel>::with_root_and_props(
            root.clone(),
            SettingsPanelProps {
                settings: known_settings(),
                draft,
                error,
                on,
                steering: None,
            },
        )
        .render();
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        (root, seen)
    }

    fn value(root: &Element, sel: &str) -> String {
        let el = find(root, sel);
        match el.dyn_ref::<HtmlSelectElement>() {
            Some(s) => s.value(),
            None => el.unchecked_into::<HtmlInputElement>().value(),
        }
    }

    #[wasm_bindgen_test]
    async fn every_control_is_labelled_reachable_and_shows_the_settings_in_force() {
        let (root, _) = render(None, None).await;
        let controls = root
            .query_selector_all(".set-form select, .set-form input")
            .unwrap();
        // Cluster size, protocol, CP/AP, store kind, N, R, W, conflicts, read repair,
        // anti-entropy and its interval, five clocks, rate, reads, keys, key distribution,
        // latency kind and its two parameters, loss.
        assert_eq!(controls.length(), 24);
        for i in 0..controls.length() {
            let el: HtmlElement = controls.item(i).unwrap().unchecked_into();
            let id = el.id();
            let label = root
                .query_selector(&format!("label[for='{id}']"))
                .unwrap()
                .unwrap_or_else(|| panic!("{id} has no label"));
            assert!(!label.text_content().unwrap().trim().is_empty(), "{id}");
            assert!(el.tab_index() >= 0, "{id} is not keyboard reachable");
            assert!(!el.has_attribute("disabled"), "{id}");
        }
        assert_eq!(value(&root, "#set-nodes"), "5");
        assert_eq!(value(&root, "#set-protocol"), "leaderless");
        assert_eq!(value(&root, "#set-partition-mode"), "cp");
        assert_eq!(
            [
                value(&root, "#set-n"),
                value(&root, "#set-r"),
                value(&root, "#set-w")
            ],
            ["3", "2", "2"]
        );
        assert_eq!(value(&root, "#set-skew-3"), "-25");
        assert_eq!(value(&root, "#set-rate"), "120");
        assert_eq!(value(&root, "#set-reads"), "80");
        assert_eq!(value(&root, "#set-loss"), "1");
        assert_eq!(value(&root, "#set-latency-kind"), "uniform");
        assert_eq!(
            find(&root, "label[for='set-skew-3']")
                .text_content()
                .unwrap(),
            "Clock offset of n3 (ms)n3"
        );
        assert!(find(&root, "#settings-error").has_attribute("hidden"));
        assert!(find(&root, "#settings-in-force")
            .text_content()
            .unwrap()
            .contains("leaderless N=3 R=2 W=2"));
    }

    #[wasm_bindgen_test]
    async fn typing_edits_and_a_change_applies_the_form_with_that_field() {
        let (root, seen) = render(None, None).await;
        let w = find(&root, "#set-w").unchecked_into::<HtmlInputElement>();
        w.set_value("3");
        w.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
        w.dispatch_event(&web_sys::Event::new("change").unwrap())
            .unwrap();
        let pm = find(&root, "#set-partition-mode").unchecked_into::<HtmlSelectElement>();
        pm.set_value("ap");
        pm.dispatch_event(&web_sys::Event::new("change").unwrap())
            .unwrap();
        let seen = seen.borrow();
        assert_eq!(seen.len(), 3, "input, change, change");
        assert_eq!(seen[0].w, "3");
        assert_eq!(seen[1].w, "3");
        assert_eq!(seen[2].partition_mode, PartitionMode::Ap);
        assert_eq!(seen[2].w, "2", "each change starts from what is shown");
    }

    #[wasm_bindgen_test]
    async fn a_refused_entry_is_kept_marked_and_named() {
        let mut draft = SettingsForm::from_settings(&known_settings());
        draft.w = "9".into();
        let why = "W (write quorum) must be a whole number from 1 to 3 (N), not \"9\"";
        let (root, _) = render(Some(draft), Some(why.into())).await;
        assert_eq!(value(&root, "#set-w"), "9");
        assert_eq!(
            find(&root, "#set-w")
                .get_attribute("aria-invalid")
                .as_deref(),
            Some("true")
        );
        assert_eq!(
            find(&root, "#set-r")
                .get_attribute("aria-invalid")
                .as_deref(),
            Some("false")
        );
        let err = find(&root, "#settings-error");
        assert!(!err.has_attribute("hidden"));
        assert_eq!(err.text_content().unwrap(), why);
        find(&root, "#settings-discard");
    }

    #[wasm_bindgen_test]
    async fn in_the_app_a_bad_quorum_is_refused_and_a_good_one_is_logged() {
        let root = mount_root();
        yew::Renderer::<migrascope::ui::App>::with_root(root.clone()).render();
        yew::platform::time::sleep(Duration::from_millis(100)).await;
        let set = |sel: &str, v: &str| {
            let el = find(&root, sel).unchecked_into::<HtmlInputElement>();
            el.set_value(v);
            el.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
                .unwrap();
            el.dispatch_event(&web_sys::Event::new("change").unwrap())
                .unwrap();
        };
        let text = |sel: &str| find(&root, sel).text_content().unwrap();
        set("#set-w", "9");
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        assert!(text("#settings-error").starts_with("W (write quorum)"));
        assert_eq!(value(&root, "#set-w"), "9", "the entry is kept");
        assert_eq!(text("#sim-time"), "0.000000 s");
        assert!(text("#settings-in-force").contains("W=2"));
        set("#set-w", "3");
        yew::platform::time::sleep(Duration::from_millis(50)).await;
        assert!(find(&root, "#settings-error").has_attribute("hidden"));
        assert!(
            text("#settings-in-force").contains("R=2 W=3"),
            "{}",
            text("#settings-in-force")
        );
        assert!(text("#event-log").contains("replication: leaderless N=3 R=2 W=3"));
    }
}
