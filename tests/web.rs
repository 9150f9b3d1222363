//! Browser tests, run in headless Chromium by `wasm-pack test --headless --chrome`.
#![cfg(target_arch = "wasm32")]

#[path = "common/golden.rs"]
mod golden;

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

fn mount_root() -> Element {
    let doc = gloo::utils::document();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    root
}

fn find(root: &Element, sel: &str) -> Element {
    root.query_selector(sel)
        .unwrap()
        .unwrap_or_else(|| panic!("{sel} not found"))
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
            canvas_events: (Callback::noop(), Callback::noop(), Callback::noop()),
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
