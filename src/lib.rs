//! migrascope: a database migration and replication simulator that runs in the browser.
//!
//! The code points one way, `ui -> draw -> view_model -> sim`:
//!
//! - [`sim`]: the model. Pure Rust, deterministic, browser-free; it compiles and tests natively.
//!   Virtual time ([`sim::SimTime`]), one seeded portable RNG with named sub-streams, an event
//!   queue ordered by `(time, seq)`, user commands that enter with their simulated time, and a
//!   history hash over everything processed, so `(scenario, command log)` replays exactly.
//! - [`view_model`]: a pure projection from simulation state to what one frame shows (positions,
//!   colours, labels, chart series). Tested natively.
//! - [`draw`]: drawing from the view model with plotters, generic over `DrawingBackend`, so the
//!   page draws to a canvas and tests draw to SVG.
//! - `ui` (wasm32 only): thin Yew components, one reducer, and the animation loop, whose
//!   `requestAnimationFrame` handle is owned and dropped, never forgotten.
//!
//! Two binaries share this library: `migrascope-web` (`src/main.rs`, built by Trunk) and the
//! native command line `migrascope` (`src/cli.rs`).

pub mod cli_report;
pub mod draw;
pub mod playback;
pub mod share;
pub mod sim;
pub mod view_model;

#[cfg(target_arch = "wasm32")]
pub mod ui;
