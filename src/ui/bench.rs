//! Benchmarks the page can run on request (from a script, through Trunk's
//! `window.wasmBindings`): the model's speed in this browser, to set beside the native numbers
//! from the `bench_*` examples. Nothing in the page calls them.

use wasm_bindgen::prelude::wasm_bindgen;

use crate::sim::{Scenario, SimTime, Simulation};

/// Run the reference load R1 (`tests/scenarios/r1.json`) to its end `runs` times and answer
/// JSON: `{"events": n, "best_ms": t, "events_per_s": r}` for the fastest run.
#[wasm_bindgen]
pub fn bench_r1(runs: u32) -> Result<String, String> {
    let scenario = Scenario::from_json(include_str!("../../tests/scenarios/r1.json"))
        .map_err(|e| e.to_string())?;
    let end = SimTime::from_ms(scenario.duration_ms);
    let perf = web_sys::window()
        .and_then(|w| w.performance())
        .ok_or("no performance clock")?;
    let mut best_ms = f64::MAX;
    let mut events = 0;
    for _ in 0..runs.max(1) {
        let mut sim = Simulation::new(scenario.clone()).map_err(|e| e.to_string())?;
        let t0 = perf.now();
        sim.advance_to(end, u64::MAX);
        best_ms = best_ms.min(perf.now() - t0);
        events = sim.events_processed();
    }
    Ok(format!(
        "{{\"events\":{events},\"best_ms\":{best_ms:.1},\"events_per_s\":{:.0}}}",
        events as f64 / (best_ms / 1e3)
    ))
}
