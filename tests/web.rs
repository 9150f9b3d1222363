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
