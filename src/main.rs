//! Browser entry: install the panic overlay, then render the app. Trunk builds this binary.

#[cfg(target_arch = "wasm32")]
fn main() {
    migrascope::ui::panic_overlay::install();
    yew::Renderer::<migrascope::ui::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "migrascope-web is the browser entry; build it with Trunk (see README.md). \
         The native command line is `migrascope`."
    );
    std::process::exit(2);
}
