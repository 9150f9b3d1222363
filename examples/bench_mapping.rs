//! Benchmark: the 1,000,000-row e-commerce dataset mapped to documents and checksummed on
//! both sides. Run with
//! `cargo run --release --example bench_mapping [-- ROWS [SEED [THREADS]]]`
//! (defaults 1,000,000 rows, seed 42, 2 threads).
//!
//! Phases: generate the typed rows; suggest a mapping (profile + rules; reported but not part
//! of the measured pipeline); build the mappers; map every row to documents, streaming: each
//! document is checksummed as it is produced (read back through the inverse mapping) and then
//! dropped; checksum the source rows. Mapping and checksums split the rows over THREADS
//! workers: per-record digests are added, so the parts combine to exactly the single-thread
//! result. Prints wall time and process CPU time (all threads, from /proc/self/stat at 100
//! ticks/s) per phase, the total, and the peak resident memory (`VmHWM`).

use std::thread;
use std::time::{Duration, Instant};

use migrascope::sim::dataset::{generate, DatasetKind};
use migrascope::sim::mapping::checksum::{checksum_rows, ChecksumSink, Checksums};
use migrascope::sim::mapping::suggest::suggest_sql_to_docs;
use migrascope::sim::mapping::{ConvertOptions, DocMapper, RowMapper, Tables, Tally};

fn proc_status(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// User + system CPU seconds of the whole process.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

struct Phase {
    name: &'static str,
    wall: Duration,
    cpu: f64,
}

fn timed<T>(phases: &mut Vec<Phase>, name: &'static str, f: impl FnOnce() -> T) -> T {
    let (t, c) = (Instant::now(), cpu_s());
    let out = f();
    phases.push(Phase {
        name,
        wall: t.elapsed(),
        cpu: cpu_s() - c,
    });
    out
}

/// `n` split into `parts` contiguous ranges.
fn split(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    (0..parts)
        .map(|p| n * p / parts..n * (p + 1) / parts)
        .collect()
}

/// Map every document and checksum it through the inverse, on `threads` workers.
fn map_and_checksum(
    mapper: &DocMapper,
    inverse: &RowMapper,
    threads: usize,
) -> (Checksums, Tally, Tally, u64) {
    let parts: Vec<(Checksums, Tally, Tally, u64)> = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                s.spawn(move || {
                    let (mut tally, mut back) = (Tally::default(), Tally::default());
                    let mut sink = ChecksumSink::new(inverse);
                    let mut docs = 0u64;
                    for i in 0..mapper.collection_names().len() {
                        let range = split(mapper.root_rows(i), threads)[w].clone();
                        mapper.for_each_in(i, range, &mut tally, |i, doc| {
                            inverse.map_doc(i, &doc, &mut back, &mut sink);
                            docs += 1;
                        });
                    }
                    (sink.checksums(), tally, back, docs)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let mut out = (Checksums::default(), Tally::default(), Tally::default(), 0);
    for (c, t, b, d) in parts {
        out.0 = out.0.combine(&c);
        out.1.merge(t);
        out.2.merge(b);
        out.3 += d;
    }
    out
}

/// Checksum the source tables on `threads` workers.
fn source_checksums(
    tables: &Tables,
    used: &std::collections::BTreeSet<String>,
    threads: usize,
) -> Checksums {
    let mut out = Checksums::default();
    for t in tables.iter().filter(|t| used.contains(&t.schema.name)) {
        let parts: Vec<_> = thread::scope(|s| {
            let hs: Vec<_> = split(t.rows.len(), threads)
                .into_iter()
                .map(|r| s.spawn(move || checksum_rows(t, r)))
                .collect();
            hs.into_iter().map(|h| h.join().expect("worker")).collect()
        });
        let sum = parts.into_iter().fold(
            Default::default(),
            |a: migrascope::sim::mapping::ContentChecksum, b| a.combine(b),
        );
        out.tables.insert(t.schema.name.clone(), sum);
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: u64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(42);
    let threads: usize = args
        .get(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2)
        .clamp(1, 16);
    let mut phases = Vec::new();
    let d = timed(&mut phases, "generate", || {
        generate(DatasetKind::Ecommerce, seed, rows).expect("dataset")
    });
    let suggest = timed(
        &mut phases,
        "suggest (profile + rules; not in total)",
        || suggest_sql_to_docs(&d.tables, ConvertOptions::default()).mapping,
    );
    let (mapper, inverse) = timed(&mut phases, "build mappers + indexes", || {
        let m = DocMapper::new(&suggest, &d.tables).expect("mapping");
        let inv = RowMapper::new(&suggest.inverse(&d.tables).expect("inverse")).expect("rules");
        (m, inv)
    });
    let (target, tally, back, docs) =
        timed(&mut phases, "map to documents + checksum them", || {
            map_and_checksum(&mapper, &inverse, threads)
        });
    let used = suggest.tables_used();
    let source = timed(&mut phases, "checksum source rows", || {
        source_checksums(&d.tables, &used, threads)
    });

    println!(
        "rows generated: {} (requested {rows}, seed {seed}, {threads} thread(s))",
        d.tables.row_count()
    );
    for t in d.tables.iter() {
        println!("  {:<12} {:>9} rows", t.schema.name, t.rows.len());
    }
    println!(
        "documents: {docs}; conversion errors: {}; read-back errors: {}",
        tally.errors_total, back.errors_total
    );
    println!("source checksum: {}", source.total().text());
    println!("target checksum: {}", target.total().text());
    println!("checksums match: {}", source == target);
    println!("{:<42} {:>9} {:>9}", "phase", "wall s", "cpu s");
    let (mut wall, mut cpu) = (Duration::ZERO, 0.0);
    for p in &phases {
        println!(
            "{:<42} {:>9.3} {:>9.2}",
            p.name,
            p.wall.as_secs_f64(),
            p.cpu
        );
        if !p.name.starts_with("suggest") {
            wall += p.wall;
            cpu += p.cpu;
        }
    }
    println!(
        "{:<42} {:>9.3} {:>9.2}",
        "total (without suggest)",
        wall.as_secs_f64(),
        cpu
    );
    println!("peak memory (VmHWM): {:.1} MiB", proc_status("VmHWM:"));
    if args.get(3).map(String::as_str) == Some("sql") {
        let (t, c) = (Instant::now(), cpu_s());
        let store = d.sql_store().expect("rows load");
        let n: usize = store.tables().map(|t| t.row_count()).sum();
        println!(
            "load into SQL store via INSERT text: {n} rows, wall {:.3} s, cpu {:.2} s, peak memory {:.1} MiB",
            t.elapsed().as_secs_f64(),
            cpu_s() - c,
            proc_status("VmHWM:")
        );
    }
}
