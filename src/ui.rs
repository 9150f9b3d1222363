//! Yew components (wasm32 only). Thin: all state changes go through one reducer
//! ([`state::AppState`]); per-frame drawing goes straight to canvases from the view model.

pub mod app;
pub mod bench;
pub mod canvas;
pub mod data;
pub mod migration;
pub mod panels;
pub mod panic_overlay;
pub mod schema;
pub mod second_part;
pub mod settings;
pub mod state;

pub use app::App;
