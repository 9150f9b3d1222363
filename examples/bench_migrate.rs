//! Benchmark: a blue-green migration with change data capture of the 1,000,000-row
//! e-commerce dataset, SQL -> documents, while the application writes. Run with
//! `cargo run --release --example bench_migrate [-- ROWS [SEED [WRITES_PER_S]]]`
//! (defaults 1,000,000 rows, seed 42, 2,000 writes per simulated second).
//!
//! Measured (wall clock, this process): generating the typed rows; building the job (mapping
//! checks, source indexes, the source checksum); running it to the end (snapshot mapped to
//! documents through `DocMapper`, batches loaded by 4 workers, change capture and apply with
//! fan-out, continuous verification, verification with checksums and a sample at the end of
//! the sync and again at cut-over); and the report. Prints the phases in simulated time, the
//! downtime, the change stream, and the peak resident memory (`VmHWM`).
//!
//! Runs the migration twice, with up to 4 threads (the snapshot and large re-reads are split
//! natively) and with 1 (as in the browser), and checks both give the same report. With a
//! fourth argument (a thread count) it runs once, for profiling.
//!
//! Measured on the 2-core development machine while another engineer's builds ran (load
//! average 3.3-3.7), 1,000,000 rows (56,649 documents), 2,000 writes/s (8,867 writes, 8,865
//! changes applied): migration (build job + run + report) 3.0-3.1 s wall with threads and
//! 2.7-3.2 s with one thread (2.7-3.1 s CPU either way: under that load the second core
//! gives nothing); the mapping suggestion (profiling the data, not part of the job) another
//! 0.6 s; peak 676-679 MiB (both runs in one process). Before the source's checksums were
//! kept as rows are written and verification stopped re-mapping the whole source, the same
//! run took 3.8 s wall and ~3.7 s CPU. In headless Chromium (`e2e/bench.mjs`, one thread,
//! the page's `web` profile) the same migration took 5.6-6.0 s under that load, with 516 MiB
//! of WebAssembly memory. The 2 s and 3 s targets are not met: the
//! snapshot (mapping 56,649 documents and reading each back through the inverse mapping for
//! its checksum, ~1.45 s CPU) and the change apply with fan-out (re-reading ~8,000-20,000
//! documents, ~0.9 s) dominate; both are in the mapping layer's document building and
//! inverse mapping.

use std::time::{Duration, Instant};

use migrascope::sim::dataset::{generate, DatasetKind};
use migrascope::sim::mapping::suggest::suggest_sql_to_docs;
use migrascope::sim::mapping::ConvertOptions;
use migrascope::sim::migrate::fault::FaultPlan;
use migrascope::sim::migrate::to_docs::set_threads_max;
use migrascope::sim::migrate::workload::Writer;
use migrascope::sim::migrate::{
    Migration, MigrationConfig, MigrationReport, ToDocs, WriteWorkload,
};

fn vm_hwm_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU time of this process so far (user + system, all threads), in seconds.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |p| p.1);
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime; the list starts at field 3) in 1/100 s.
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok());
    tick(11)
        .zip(tick(12))
        .map_or(f64::NAN, |(u, s)| (u + s) / 100.0)
}

struct Timed {
    generate: Duration,
    suggest: Duration,
    build: Duration,
    run: Duration,
    report: Duration,
    cpu_s: f64,
    docs: usize,
    r: MigrationReport,
}

impl Timed {
    /// The migration itself: the job built, run to the end, reported.
    fn migration(&self) -> Duration {
        self.build + self.run + self.report
    }
}

fn run_once(rows: u64, seed: u64, writes: u32, threads: usize) -> Timed {
    set_threads_max(threads);
    let t0 = Instant::now();
    let d = generate(DatasetKind::Ecommerce, seed, rows).expect("dataset");
    let generate_t = t0.elapsed();
    let t = Instant::now();
    let mapping = suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping;
    let suggest = t.elapsed();
    let cpu0 = cpu_s();
    let t1 = Instant::now();
    let cfg = MigrationConfig::bench();
    let workload = WriteWorkload {
        writes_per_s: writes,
        ..WriteWorkload::default()
    };
    let side = ToDocs::new(mapping, d.tables).expect("mapping");
    let tables = side.mapping.tables_used().into_iter().collect();
    let writer = Writer::new(seed, workload, tables);
    let mut job = Migration::new(cfg, seed, side, Some(writer), FaultPlan::default()).expect("job");
    let build = t1.elapsed();
    let t2 = Instant::now();
    job.run_to_end(50_000_000).expect("finishes");
    let run = t2.elapsed();
    let t3 = Instant::now();
    let r = job.report();
    let report = t3.elapsed();
    Timed {
        generate: generate_t,
        suggest,
        build,
        run,
        report,
        cpu_s: cpu_s() - cpu0,
        docs: job.side().target_len(),
        r,
    }
}

fn print_outcome(rows: u64, seed: u64, t: &Timed) {
    let r = &t.r;
    println!("rows: {rows} (seed {seed}), documents: {}", t.docs);
    println!(
        "outcome: {}, verified: {}, records {} ok / {} failed",
        r.outcome, r.verified, r.records.succeeded, r.records.failed
    );
    for p in &r.phases {
        println!(
            "  {:<24} {:>10.1} .. {:>10.1} ms (simulated)",
            p.phase.name(),
            p.start_ms,
            p.end_ms
        );
    }
    println!(
        "simulated: total {:.1} ms, downtime {:.1} ms (= cut-over {:.1} ms)",
        r.total_ms, r.downtime_ms, r.cutover_ms
    );
    println!(
        "writes: {} committed, {} rejected during cut-over; changes captured {}, applied {}, lag max {:.1} ms, backlog max {}",
        r.writes.committed, r.writes.rejected, r.cdc.captured, r.cdc.applied, r.cdc.lag_ms_max, r.cdc.backlog_max
    );
    println!(
        "continuous verification: {} passes, {} validated, {} pending, {} mismatched",
        r.continuous.passes, r.continuous.validated, r.continuous.pending, r.continuous.mismatched
    );
    for v in &r.verifications {
        println!(
            "verification ({}): passed {}, source {} target {}",
            v.phase.name(),
            v.result.passed,
            v.result.source_checksum,
            v.result.target_checksum
        );
    }
}

fn print_times(label: &str, t: &Timed) {
    println!(
        "{label}: generate {:.3} s, suggest mapping {:.3} s | build job {:.3} s, run {:.3} s, report {:.3} s",
        t.generate.as_secs_f64(),
        t.suggest.as_secs_f64(),
        t.build.as_secs_f64(),
        t.run.as_secs_f64(),
        t.report.as_secs_f64()
    );
    println!(
        "{label}: migration {:.3} s wall ({:.3} s CPU); with the mapping suggestion {:.3} s",
        t.migration().as_secs_f64(),
        t.cpu_s,
        (t.migration() + t.suggest).as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (rows, seed, writes) = (arg(0, 1_000_000), arg(1, 42), arg(2, 2_000) as u32);
    if let Some(threads) = args.get(3).and_then(|a| a.parse().ok()) {
        // One run with this many threads at most (for profiling).
        let t = run_once(rows, seed, writes, threads);
        print_outcome(rows, seed, &t);
        print_times(&format!("native, up to {threads} threads"), &t);
        println!("peak memory (VmHWM): {:.1} MiB", vm_hwm_mib());
        return;
    }
    let multi = run_once(rows, seed, writes, 0);
    print_outcome(rows, seed, &multi);
    let single = run_once(rows, seed, writes, 1);
    assert_eq!(
        serde_json::to_string(&multi.r).expect("report"),
        serde_json::to_string(&single.r).expect("report"),
        "the thread count changed the result"
    );
    print_times("native, up to 4 threads", &multi);
    print_times("native, 1 thread", &single);
    println!("peak memory (VmHWM): {:.1} MiB", vm_hwm_mib());
}
