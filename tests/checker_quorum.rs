//! The checker against a tiny Dynamo-style store defined here (not the project's replication
//! model): N replicas, a write is acknowledged once W random replicas hold it and reaches the
//! rest `LAG_US` later; a read asks R random replicas and returns the highest version, with no
//! read repair. Operations are sequential (1 ms apart), so every stale answer is both a stale
//! read and a linearizability violation, and the measured t-visibility before the lag has
//! passed must match the PBS closed form `1 - C(N-W, R) / C(N, R)`.
#![cfg(not(target_arch = "wasm32"))]

use migrascope::sim::checker::{
    check, miss_probability, CheckOptions, CheckReport, History, HistoryBuilder,
};
use migrascope::sim::rng::SimRng;

const LAG_US: u64 = 5_000;
const OP_US: u64 = 100;

/// Picks `k` distinct replicas out of `n`.
fn pick(rng: &mut SimRng, n: u32, k: u32) -> Vec<u32> {
    let mut all: Vec<u32> = (0..n).collect();
    for i in 0..k as usize {
        let j = rng.range_u64(i as u64, n as u64 - 1) as usize;
        all.swap(i, j);
    }
    all.truncate(k as usize);
    all
}

/// `ops` sequential operations on one key: 20% writes, the rest reads.
fn run_store(seed: u64, n: u32, r: u32, w: u32, ops: u64) -> History {
    let mut rng = SimRng::substream(seed, "quorum store");
    // Per replica: (time the value arrives, version) of every write it will hold.
    let mut replicas: Vec<Vec<(u64, u64)>> = vec![Vec::new(); n as usize];
    let mut b = HistoryBuilder::new();
    for k in 0..ops {
        let at = k * 1_000;
        let client = rng.range_u64(0, 3);
        if rng.chance(0.2) {
            let version = k + 1;
            let quorum = pick(&mut rng, n, w);
            for (i, log) in replicas.iter_mut().enumerate() {
                let arrives = if quorum.contains(&(i as u32)) {
                    at
                } else {
                    at + LAG_US
                };
                log.push((arrives, version));
            }
            b.write(client, "x", version, at, at + OP_US)
                .versioned(version);
        } else {
            let newest = pick(&mut rng, n, r)
                .iter()
                .flat_map(|&i| replicas[i as usize].iter())
                .filter(|&&(arrives, _)| arrives <= at)
                .map(|&(_, version)| version)
                .max();
            let op = b.read(client, "x", newest, at, at + OP_US);
            if let Some(v) = newest {
                op.versioned(v);
            }
        }
    }
    b.build()
}

fn report(h: &History) -> CheckReport {
    let options = CheckOptions {
        visibility_buckets_us: vec![0, LAG_US - OP_US],
        ..CheckOptions::default()
    };
    check(h, &options).expect("valid history")
}

#[test]
fn partial_quorums_match_pbs_and_are_caught() {
    let seed = 7;
    let h = run_store(seed, 3, 1, 1, 20_000);
    let r = report(&h);
    let early = &r.visibility[0];
    let expected = 1.0 - miss_probability(3, 1, 1).expect("valid quorum");
    let measured = early.fraction().expect("reads soon after commits");
    assert!(
        (measured - expected).abs() < 0.03,
        "seed {seed}: measured {measured} over {} reads, PBS predicts {expected}",
        early.reads
    );
    assert_eq!(r.visibility[1].fraction(), Some(1.0), "seed {seed}");
    assert!(r.counts.stale_reads > 0, "seed {seed}");
    assert!(
        r.counts.monotonic_reads > 0,
        "seed {seed}: new-old inversions"
    );
    assert_eq!(r.linearizability_counts.violation, 1, "seed {seed}");
    assert_eq!(r.counts.phantom_reads, 0, "seed {seed}");
}

#[test]
fn strict_quorums_are_linearizable() {
    for seed in 0..5 {
        let h = run_store(seed, 3, 2, 2, 5_000);
        let r = report(&h);
        assert_eq!(r.linearizability_counts.ok, 1, "seed {seed}");
        assert_eq!(r.counts.stale_reads, 0, "seed {seed}");
        assert_eq!(r.counts.monotonic_reads, 0, "seed {seed}");
        assert_eq!(r.counts.read_your_writes, 0, "seed {seed}");
        assert!(
            r.visibility.iter().all(|b| b.fresh == b.reads),
            "seed {seed}"
        );
    }
}

#[test]
fn reports_are_deterministic() {
    let first = serde_json::to_string(&report(&run_store(3, 5, 2, 2, 3_000))).expect("json");
    let second = serde_json::to_string(&report(&run_store(3, 5, 2, 2, 3_000))).expect("json");
    assert_eq!(first, second);
}

/// A last-writer-wins store: two clients write concurrently, the higher (skewed) timestamp
/// wins and the store reports the other as overwritten; a read follows each pair. The
/// checker's lost updates must be exactly the store's overwritten writes.
#[test]
fn lost_updates_match_a_last_writer_wins_store() {
    let seed = 11;
    let mut rng = SimRng::substream(seed, "lww");
    let mut b = HistoryBuilder::new();
    let mut reported = Vec::new();
    let mut last = None;
    for k in 0..500u64 {
        let at = k * 1_000;
        let (ts_a, ts_b) = (at + rng.range_u64(0, 200), at + 50 + rng.range_u64(0, 200));
        let a = b.write(1, "x", 2 * k + 1, at, at + 300).versioned(ts_a).id;
        let c = b
            .write(2, "x", 2 * k + 2, at + 50, at + 350)
            .versioned(ts_b)
            .id;
        let (winner, loser, ts) = if ts_a > ts_b {
            (2 * k + 1, c, ts_a)
        } else {
            (2 * k + 2, a, ts_b)
        };
        reported.push(loser);
        b.read(3, "x", Some(winner), at + 500, at + 600)
            .versioned(ts);
        last = Some(winner);
    }
    for id in &reported {
        b.overwritten(*id);
    }
    b.final_value("x", last);
    let r = report(&b.build());
    assert_eq!(r.lost_updates_reported, 500, "seed {seed}");
    assert_eq!(r.counts.lost_updates, 500, "seed {seed}");
    assert_eq!(r.lost_updates_reported_and_found, 500, "seed {seed}");
    assert_eq!(
        r.linearizability_counts.ok, 1,
        "seed {seed}: concurrent writes may go either way"
    );
    assert_eq!(
        r.counts.stale_reads + r.counts.monotonic_writes,
        0,
        "seed {seed}"
    );
}
