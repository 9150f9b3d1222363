//! DOM helpers shared by the browser tests (included with `#[path]` by each wasm32 test file).
// Each test file uses a part of it.
#![allow(dead_code)]

use std::time::Duration;

use web_sys::Element;

/// A fresh element in the page's body to mount a component into.
pub fn mount_root() -> Element {
    let doc = gloo::utils::document();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    root
}

/// Mount component `C` with `props` into a fresh root and let it render.
pub async fn mount<C>(props: C::Properties) -> Element
where
    C: yew::BaseComponent,
{
    let root = mount_root();
    yew::Renderer::<C>::with_root_and_props(root.clone(), props).render();
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    root
}

/// The element `sel` under `root`; panics naming it when it is missing.
pub fn find(root: &Element, sel: &str) -> Element {
    root.query_selector(sel)
        .unwrap()
        .unwrap_or_else(|| panic!("{sel} not found"))
}

/// The text of the element `sel` under `root`.
pub fn text(root: &Element, sel: &str) -> String {
    find(root, sel).text_content().unwrap_or_default()
}
