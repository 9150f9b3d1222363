//! A panic must never leave a silently dead page: the hook logs the message and puts an overlay
//! over the app with the seed (to reproduce the run) and a reload button. Text goes in with
//! `set_text_content`, never as HTML.

use std::sync::atomic::{AtomicU64, Ordering};

static SEED: AtomicU64 = AtomicU64::new(0);

/// Remember the current run's seed for the overlay.
pub fn set_seed(seed: u64) {
    SEED.store(seed, Ordering::Relaxed);
}

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        web_sys::console::error_1(&format!("migrascope panicked: {msg}").into());
        show(&msg);
    }));
}

fn show(msg: &str) -> Option<()> {
    let doc = web_sys::window()?.document()?;
    if doc.get_element_by_id("panic-overlay").is_some() {
        return Some(());
    }
    let overlay = doc.create_element("div").ok()?;
    overlay.set_id("panic-overlay");
    overlay.set_attribute("role", "alertdialog").ok()?;
    overlay
        .set_attribute("aria-labelledby", "panic-title")
        .ok()?;
    let card = doc.create_element("div").ok()?;
    card.set_class_name("panic-card");
    let title = doc.create_element("h2").ok()?;
    title.set_id("panic-title");
    title.set_text_content(Some("The simulation stopped because of a bug"));
    let seed = doc.create_element("p").ok()?;
    seed.set_text_content(Some(&format!(
        "Seed {} reproduces this run. Please report it with the message below.",
        SEED.load(Ordering::Relaxed)
    )));
    let detail = doc.create_element("pre").ok()?;
    detail.set_text_content(Some(msg));
    let button = doc.create_element("button").ok()?;
    button.set_text_content(Some("Reload the page"));
    // A plain attribute handler: no Rust closure to keep alive after a panic.
    button.set_attribute("onclick", "location.reload()").ok()?;
    for child in [&title, &seed, &detail, &button] {
        card.append_child(child).ok()?;
    }
    overlay.append_child(&card).ok()?;
    doc.body()?.append_child(&overlay).ok()?;
    Some(())
}
