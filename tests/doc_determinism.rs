//! A seeded workload over the document store and its migration history: inserts, updates and
//! deletes by an application that upgrades on write, interleaved with migrate and undo.
//! Invariants are checked after every step against a simple recount, and two runs with the
//! same seed must end with the same store fingerprint.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use migrascope::sim::doc::builtin::USERS;
use migrascope::sim::doc::builtin::{sample_users, users_history, users_migrations, users_store};
use migrascope::sim::doc::{
    Checksum, DocStore, Filter, MigrationChain, MigrationState, UpdateOp, VERSION_FIELD,
};
use migrascope::sim::rng::SimRng;
use migrascope::sim::SimTime;
use serde_json::json;

/// Seeds every test runs; a failure message names the seed.
const SEEDS: std::ops::Range<u64> = 1..9;
const STEPS: usize = 200;
/// Every this many steps, the whole collection is also read lazily (the costly check).
const READ_EVERY: usize = 10;

/// Recount documents per version and compare with the store's counter; every document must
/// be readable at the latest version.
fn check(store: &DocStore, chain: &MigrationChain, seed: u64, step: usize) {
    let c = store
        .collection(USERS)
        .expect("the users collection exists");
    let mut counts = BTreeMap::new();
    for (_, doc) in c.iter() {
        let v = doc[VERSION_FIELD]
            .as_u64()
            .expect("stored versions are integers");
        *counts.entry(v as u32).or_insert(0u64) += 1;
    }
    assert_eq!(
        &counts,
        c.version_counts(),
        "seed {seed} step {step}: version counts"
    );
    if step % READ_EVERY != 0 {
        return;
    }
    store
        .check_invariants()
        .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
    let read = store
        .find_lazy(chain, chain.latest_version(), &Filter::all())
        .unwrap_or_else(|e| panic!("seed {seed} step {step}: lazy read failed: {e}"));
    assert_eq!(read.docs.len(), c.len(), "seed {seed} step {step}");
}

/// Run the workload; returns the final fingerprint and the states the history went through.
fn run(seed: u64) -> (Checksum, Vec<Option<u32>>) {
    let mut rng = SimRng::substream(seed, "doc-workload");
    let mut store = users_store(40).expect("sample users are valid");
    let mut history = users_history().expect("the built-in history is valid");
    let chain = MigrationChain::new(users_migrations()).expect("the built-in chain is valid");
    let mut versions = Vec::new();
    let mut next_id = 1_000u64;
    for step in 0..STEPS {
        let now = SimTime::from_ms(step as u64);
        // The application writes at the version the history has reached.
        let target = history.current_version().unwrap_or(1);
        match rng.range_u64(0, 9) {
            0..=2 => {
                let mut doc = sample_users(1).remove(0);
                doc["_id"] = json!(next_id);
                next_id += 1;
                store.insert_lazy(&chain, target, doc).expect("insert");
            }
            3..=4 => {
                let id = rng.range_u64(1, next_id);
                let f = Filter::eq("_id", json!(id));
                store
                    .update_lazy(&chain, target, &f, &[UpdateOp::inc("visits", 1)])
                    .expect("update");
            }
            5 => {
                let id = rng.range_u64(1, next_id);
                store.delete(USERS, &json!(id)).expect("delete");
            }
            6..=7 => {
                // Application writes count as out-of-band changes, which do not block.
                history.migrate(&mut store, now).expect("migrate");
            }
            _ => {
                // Nothing to undo is fine; anything else is a bug.
                if let Err(e) = history.undo(&mut store, now) {
                    assert!(history.current_version().is_none(), "seed {seed}: {e}");
                }
            }
        }
        check(&store, &chain, seed, step);
        versions.push(history.current_version());
    }
    let applied = history
        .records()
        .iter()
        .filter(|r| r.state == MigrationState::Applied)
        .count();
    assert!(applied <= 3, "seed {seed}");
    (store.fingerprint(), versions)
}

#[test]
fn invariants_hold_for_every_seed() {
    for seed in SEEDS {
        run(seed);
    }
}

#[test]
fn same_seed_same_store() {
    for seed in SEEDS.take(4) {
        let a = run(seed);
        let b = run(seed);
        assert_eq!(a, b, "seed {seed}: two runs differ");
    }
    assert_ne!(run(1).0, run(2).0, "different seeds should differ");
}
