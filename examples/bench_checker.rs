//! Benchmark: the consistency checker on generated histories. Run with
//! `cargo run --release --example bench_checker [-- OPS [KEYS [CONCURRENCY [SEED]]]]`
//! (defaults 10,000 ops, 10 keys, 8 clients in flight, seed 42).
//!
//! Three histories of the same shape: an atomic register (linearizable: the search walks
//! through), the same with 5% of writes timed out (`Unknown`, applied or not: more branching),
//! and a Dynamo-style store without read repair whose reads sometimes see an older value than
//! the previous read (violations: the search fails and the witness bisection runs). For each,
//! prints wall time of the whole `check` (every anomaly, linearizability per key, t-visibility)
//! and of linearizability alone, ops/s, explored states and the verdicts.

use std::collections::BTreeMap;
use std::time::Instant;

use migrascope::sim::checker::{
    check, check_key, CheckOptions, History, Linearizability, Op, OpKind, Outcome,
};
use migrascope::sim::rng::SimRng;
use migrascope::sim::SimTime;

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Atomic,
    UnknownWrites,
    StaleReplica,
}

/// (effect point, index, client, key, write?, (invoke, complete)), all µs.
type Planned = (u64, u64, u64, u64, bool, (u64, u64));

/// `ops` operations from `clients` clients, each issuing one at a time. An operation takes
/// effect at a random point inside its interval (atomic), in effect-point order.
fn generate(ops: usize, keys: u64, clients: u64, seed: u64, shape: Shape) -> History {
    let mut rng = SimRng::substream(seed, "bench_checker");
    let mut free_at = vec![0u64; clients as usize];
    let mut planned: Vec<Planned> = Vec::with_capacity(ops);
    for i in 0..ops as u64 {
        let c = rng.range_u64(0, clients - 1);
        let invoke = free_at[c as usize] + rng.range_u64(0, 200);
        let complete = invoke + rng.range_u64(50, 2_000);
        let effect = rng.range_u64(invoke, complete);
        free_at[c as usize] = complete + 1;
        let key = rng.range_u64(0, keys - 1);
        planned.push((effect, i, c, key, rng.chance(0.5), (invoke, complete)));
    }
    planned.sort_unstable();
    let mut registers: BTreeMap<u64, (Option<u64>, Option<u64>)> = BTreeMap::new();
    let mut history = History::default();
    for (_, i, c, key, write, (invoke, complete)) in planned {
        let (current, previous) = registers.entry(key).or_insert((None, None));
        let unknown = shape == Shape::UnknownWrites && write && rng.chance(0.05);
        let applied = !unknown || rng.chance(0.5);
        let kind = if write {
            if applied {
                *previous = *current;
                *current = Some(i + 1);
            }
            OpKind::Write { value: i + 1 }
        } else if shape == Shape::StaleReplica && rng.chance(0.02) {
            OpKind::Read { value: *previous }
        } else {
            OpKind::Read { value: *current }
        };
        history.ops.push(Op {
            id: i + 1,
            session: c,
            key: format!("key-{key}"),
            kind,
            invoke: SimTime(invoke),
            complete: SimTime(complete),
            outcome: if unknown {
                Outcome::Unknown
            } else {
                Outcome::Ok
            },
            node: None,
            version: None,
        });
    }
    history
}

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (ops, keys) = (arg(1, 10_000) as usize, arg(2, 10).max(1));
    let (clients, seed) = (arg(3, 8).max(1), arg(4, 42));
    println!("{ops} ops, {keys} keys, {clients} clients, seed {seed}");
    for (name, shape) in [
        ("atomic", Shape::Atomic),
        ("5% unknown writes", Shape::UnknownWrites),
        ("stale replica reads", Shape::StaleReplica),
    ] {
        let h = generate(ops, keys, clients, seed, shape);
        let t = Instant::now();
        let report = check(&h, &CheckOptions::default()).expect("generated history is valid");
        let full_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        h.validate().expect("valid");
        let validate_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let by_key = h.by_key();
        let group_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut states = 0;
        for idx in by_key.values() {
            let key_ops: Vec<&Op> = idx.iter().map(|&i| &h.ops[i]).collect();
            states += check_key(&key_ops, 1_000_000).states();
        }
        let lin_s = t.elapsed().as_secs_f64();
        let lc = &report.linearizability_counts;
        let witness_ops: usize = report
            .linearizability
            .values()
            .filter_map(|v| match v {
                Linearizability::Violation { witness, .. } => Some(witness.ops.len()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        println!(
            "{name:>20}: check {:8.1} ms ({:>10.0} ops/s) | linearizability only {:8.1} ms \
             ({:>10.0} ops/s, {states} states) | keys ok {} violation {} unknown {} \
             (largest witness {witness_ops} ops) | stale reads {}, lost updates {} | \
             of which validate {:.1} ms, group by key {:.1} ms",
            full_s * 1e3,
            ops as f64 / full_s,
            lin_s * 1e3,
            ops as f64 / lin_s,
            lc.ok,
            lc.violation,
            lc.unknown,
            report.counts.stale_reads,
            report.counts.lost_updates,
            validate_s * 1e3,
            group_s * 1e3,
        );
    }
}
