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

/// Run the migration benchmark of `examples/bench_migrate.rs` once in this browser (one
/// thread): the e-commerce dataset of `rows` rows, SQL -> documents, blue-green with change
/// capture while the application writes `writes_per_s` per simulated second, verified with
/// checksums and a sample. Answers JSON with the wall times in ms (`migration_ms` = building
/// the job, running it to the end and its report) and the WebAssembly memory's size in MiB
/// (linear memory only grows, so this is the peak).
#[wasm_bindgen]
pub fn bench_migrate(rows: u32, writes_per_s: u32) -> Result<String, String> {
    use crate::sim::dataset::{generate, DatasetKind};
    use crate::sim::mapping::{suggest::suggest_sql_to_docs, ConvertOptions};
    use crate::sim::migrate::{workload::Writer, FaultPlan, Migration, ToDocs};

    let perf = web_sys::window()
        .and_then(|w| w.performance())
        .ok_or("no performance clock")?;
    let seed = 42;
    let t0 = perf.now();
    let d = generate(DatasetKind::Ecommerce, seed, u64::from(rows)).map_err(|e| e.to_string())?;
    let t1 = perf.now();
    let mapping = suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping;
    let t2 = perf.now();
    let side = ToDocs::new(mapping, d.tables).map_err(|e| e.to_string())?;
    let tables = side.mapping.tables_used().into_iter().collect();
    let workload = crate::sim::migrate::WriteWorkload {
        writes_per_s,
        ..Default::default()
    };
    let writer = Writer::new(seed, workload, tables);
    let cfg = crate::sim::migrate::MigrationConfig::bench();
    let mut job = Migration::new(cfg, seed, side, Some(writer), FaultPlan::default())
        .map_err(|e| e.to_string())?;
    let t3 = perf.now();
    job.run_to_end(50_000_000)?;
    let t4 = perf.now();
    let r = job.report();
    let t5 = perf.now();
    let memory_mib = core::arch::wasm32::memory_size(0) as f64 * 65_536.0 / 1_048_576.0;
    Ok(format!(
        "{{\"rows\":{rows},\"documents\":{},\"outcome\":\"{}\",\"verified\":{},\"writes\":{},\
         \"applied\":{},\"generate_ms\":{:.1},\"suggest_ms\":{:.1},\"build_ms\":{:.1},\
         \"run_ms\":{:.1},\"report_ms\":{:.1},\"migration_ms\":{:.1},\"memory_mib\":{memory_mib:.1}}}",
        job.side().target_len(),
        r.outcome,
        r.verified,
        r.writes.committed,
        r.cdc.applied,
        t1 - t0,
        t2 - t1,
        t3 - t2,
        t4 - t3,
        t5 - t4,
        t5 - t2,
    ))
}
