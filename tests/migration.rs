//! The migration engine on the built-in e-commerce dataset (SQL -> documents): every strategy
//! completes and verifies over many seeds, injected faults roll back to the checkpoint, the
//! naive change applier is caught by verification while the correct one is clean, downtime
//! follows the strategy, and a run is deterministic. Failures print the seed.

use migrascope::sim::migrate::{
    run, AppSettings, CacheFailure, CacheSettings, CdcApply, Direction, ErrorKind, Fault,
    Invalidation, MappingSpec, MigrationReport, MigrationSpec, Phase, Strategy, SyncMode, V1Writes,
    ValidationLevel,
};

const SEEDS: u64 = 200;

fn spec(strategy: Strategy, seed: u64) -> MigrationSpec {
    let mut s = MigrationSpec {
        rows: 200 + seed * 37 % 300,
        ..MigrationSpec::default()
    };
    s.config.strategy = strategy;
    s.config.validation = ValidationLevel::FullCompare;
    s.config.catch_up = strategy == Strategy::CopyAndSwitch;
    s.config.batch_rows = 50;
    s.config.batch_timeout_ms = 500;
    if seed % 2 == 1 {
        s.mapping = MappingSpec::Preset("orders_with_copies".into());
    }
    s
}

fn go(s: &MigrationSpec, seed: u64) -> MigrationReport {
    run(s, seed).unwrap_or_else(|e| panic!("seed {seed}: {e}"))
}

fn phases(r: &MigrationReport) -> Vec<Phase> {
    r.phases.iter().map(|p| p.phase).collect()
}

#[test]
fn every_strategy_completes_and_verifies_over_many_seeds() {
    sweep(spec);
}

#[test]
fn every_strategy_completes_and_verifies_documents_to_sql_over_many_seeds() {
    sweep(docs_spec);
}

fn sweep(make: fn(Strategy, u64) -> MigrationSpec) {
    for strategy in Strategy::ALL {
        for seed in 0..SEEDS {
            let s = make(strategy, seed);
            let r = go(&s, seed);
            let ctx = format!(
                "{strategy:?} {:?} seed {seed}: {:?}",
                s.config.direction, r.reason
            );
            assert_eq!(r.outcome, "complete", "{ctx}");
            assert!(r.verified, "{ctx}");
            assert!(!r.verifications.is_empty(), "{ctx}");
            for v in &r.verifications {
                assert!(v.result.passed, "{ctx}: {:?}", v.result);
                assert_eq!(v.result.mismatched, 0, "{ctx}");
                assert!(v.result.compared > 0, "{ctx}");
                assert!(v.result.checksum_differs.is_empty(), "{ctx}");
            }
            // Only the dataset's own dirty values may fail, and they are reported per record.
            assert_eq!(r.records.failed, r.errors_total, "{ctx}");
            assert_eq!(
                r.records.succeeded + r.records.failed,
                r.records.total,
                "{ctx}"
            );
            assert!(r.records.succeeded > 0, "{ctx}");
            assert_eq!(r.writes.lost, 0, "{ctx}");
            assert_eq!(*phases(&r).last().unwrap(), Phase::Complete, "{ctx}");
            assert!(r.total_ms > 0.0 && r.downtime_ms > 0.0, "{ctx}");
        }
    }
}

#[test]
fn copy_and_switch_without_catch_up_names_the_lost_writes() {
    let mut lost_seen = 0;
    for seed in 0..20 {
        let mut s = spec(Strategy::CopyAndSwitch, seed);
        s.config.catch_up = false;
        s.workload.writes_per_s = 2_000;
        let r = go(&s, seed);
        let v = &r.verifications.last().unwrap().result;
        assert_eq!(r.outcome, "complete", "seed {seed}");
        assert!(r.writes.lost > 0, "seed {seed}");
        assert_eq!(
            r.writes.lost as usize,
            r.writes.lost_examples.len().max(r.writes.lost as usize)
        );
        assert!(!v.passed && v.mismatched > 0, "seed {seed}: {v:?}");
        assert!(!v.mismatched_keys.is_empty(), "seed {seed}");
        lost_seen += r.writes.lost;
        // Without writes nothing is lost and the same job verifies.
        s.workload.writes_per_s = 0;
        let quiet = go(&s, seed);
        assert!(quiet.verified && quiet.writes.lost == 0, "seed {seed}");
    }
    assert!(lost_seen > 20);
}

fn rolled_back(r: &MigrationReport, ctx: &str) {
    assert_eq!(r.outcome, "rolled_back", "{ctx}: {:?}", r.reason);
    assert!(phases(r).contains(&Phase::Rollback), "{ctx}");
    assert_eq!(r.source_restored, Some(true), "{ctx}");
    assert_eq!(r.source_checksum_after, r.source_checksum_before, "{ctx}");
    // What the rollback loses was stated before it ran, and it lost exactly that.
    let undone = format!("undoes the {} writes", r.writes.undone_by_restore);
    let losses = &r.writes.rollback_losses;
    assert!(
        losses.iter().any(|l| l.contains(&undone)),
        "{ctx}: {losses:?}"
    );
    assert_eq!(
        r.routing,
        migrascope::sim::migrate::Routing::Source,
        "{ctx}"
    );
}

#[test]
fn faults_roll_back_and_give_the_source_back() {
    // The documents side has the dataset's own dirty values too; the budget is 0 for the
    // conversion fault only.
    for (make, root) in [
        (spec as fn(Strategy, u64) -> MigrationSpec, "customers"),
        (docs_spec, "profiles"),
    ] {
        faults_roll_back(make, root);
    }
}

fn faults_roll_back(make: fn(Strategy, u64) -> MigrationSpec, root: &str) {
    for strategy in Strategy::ALL {
        for seed in 0..20 {
            let ctx = format!("{strategy:?} {root} seed {seed}");
            let mut s = make(strategy, seed);
            s.config.error_budget_records = 0;
            s.faults = vec![Fault::UnconvertibleRows {
                table: root.into(),
                one_in: 4,
            }];
            let r = go(&s, seed);
            rolled_back(&r, &ctx);
            let e = r
                .errors
                .iter()
                .find(|e| e.kind == ErrorKind::Conversion)
                .unwrap();
            assert_eq!(e.table, root, "{ctx}");
            assert_eq!(e.key.parse::<i64>().unwrap() % 4, 0, "{ctx}");

            s.config.error_budget_records = 1_000;
            s.faults = vec![Fault::BatchTimeout {
                batch: 1,
                times: 10,
            }];
            let r = go(&s, seed);
            rolled_back(&r, &ctx);
            assert_eq!(r.retries, u64::from(s.config.max_retries), "{ctx}");
            let timeouts = r.errors.iter().filter(|e| e.kind == ErrorKind::Timeout);
            assert_eq!(timeouts.count() as u32, s.config.max_retries + 1, "{ctx}");

            s.faults = vec![Fault::CutoverFailure];
            let r = go(&s, seed);
            rolled_back(&r, &ctx);
            assert!(
                r.reason.as_deref().unwrap().contains("cut-over failed"),
                "{ctx}"
            );
        }
    }
}

#[test]
fn retried_faults_recover_and_complete() {
    for strategy in Strategy::ALL {
        for seed in 0..20 {
            let ctx = format!("{strategy:?} seed {seed}");
            let mut s = spec(strategy, seed);
            s.faults = vec![
                Fault::BatchTimeout { batch: 0, times: 2 },
                Fault::WorkerCrash {
                    at_ms: 204,
                    worker: 1,
                },
            ];
            s.config.error_budget_records = 1_000;
            let r = go(&s, seed);
            assert_eq!(r.outcome, "complete", "{ctx}: {:?}", r.reason);
            assert!(r.retries >= 2, "{ctx}");
            assert!(r.verified, "{ctx}");
            // Failed records within the budget are reported and left out of the compare.
            s.faults = vec![Fault::UnconvertibleRows {
                table: "products".into(),
                one_in: 3,
            }];
            let r = go(&s, seed);
            assert_eq!(r.outcome, "complete", "{ctx}: {:?}", r.reason);
            assert!(
                r.records.failed > 0 && r.errors_total == r.records.failed,
                "{ctx}"
            );
            let v = &r.verifications[0].result;
            assert_eq!(v.failed_excluded, r.records.failed, "{ctx}");
        }
    }
}

#[test]
fn a_failing_job_without_rollback_ends_failed_and_keeps_the_source() {
    let mut s = spec(Strategy::BlueGreen, 3);
    s.config.rollback_enabled = false;
    s.faults = vec![Fault::CutoverFailure];
    let r = go(&s, 3);
    assert_eq!(r.outcome, "failed");
    assert!(!phases(&r).contains(&Phase::Rollback));
    assert_eq!(r.source_restored, None);
}

#[test]
fn naive_change_apply_is_caught_and_correct_apply_is_clean() {
    for seed in 0..30 {
        let mut s = spec(Strategy::BlueGreen, seed);
        s.mapping = MappingSpec::Preset("orders_with_copies".into());
        s.workload.writes_per_s = 500;
        s.config.cdc_apply = CdcApply::Correct;
        let good = go(&s, seed);
        assert_eq!(good.outcome, "complete", "seed {seed}: {:?}", good.reason);
        assert_eq!(good.continuous.mismatched, 0, "seed {seed}");
        assert!(good.continuous.validated > 0, "seed {seed}");
        s.config.cdc_apply = CdcApply::Naive;
        let bad = go(&s, seed);
        let v = &bad.verifications[0].result;
        assert!(!v.passed && v.mismatched > 0, "seed {seed}: {v:?}");
        assert!(!v.mismatched_keys.is_empty(), "seed {seed}");
        assert_eq!(bad.outcome, "rolled_back", "seed {seed}");
        assert_eq!(bad.source_restored, Some(true), "seed {seed}");
    }
}

#[test]
fn naive_apply_duplicates_array_entries_on_redelivery() {
    // Suggested mapping: order items are arrays inside customers; the snapshot overlaps the
    // change stream, so the naive applier pushes inserted items again.
    let mut dup = 0;
    for seed in 0..30 {
        let mut s = spec(Strategy::BlueGreen, seed);
        s.mapping = MappingSpec::Preset("suggested".into());
        s.workload.writes_per_s = 1_000;
        s.config.cdc_apply = CdcApply::Naive;
        s.config.rollback_enabled = false;
        let r = go(&s, seed);
        let v = &r.verifications[0].result;
        let counts_equal = v.expected_counts == v.actual_counts;
        if v.mismatched > 0 && counts_equal {
            dup += 1;
        }
    }
    assert!(dup > 0);
}

#[test]
fn big_bang_downtime_is_the_whole_run_and_grows_linearly_with_size() {
    let d = |rows: u64| {
        let mut s = spec(Strategy::BigBang, 1);
        s.rows = rows;
        s.config.batch_rows = 500;
        let r = go(&s, 1);
        assert_eq!(r.outcome, "complete");
        // From the first moment (writes stop before anything is read) to the switch.
        let cut = r.phases.iter().find(|p| p.phase == Phase::Cutover).unwrap();
        assert_eq!(r.downtime_ms, cut.end_ms);
        assert_eq!(r.phases[0].start_ms, 0.0);
        assert!(r.writes.committed == 0 && r.writes.rejected > 0);
        r.downtime_ms
    };
    let (a, b, c) = (d(5_000), d(10_000), d(20_000));
    assert!(0.0 < a && a < b && b < c, "{a} {b} {c}");
    let (s1, s2) = ((b - a) / 5_000.0, (c - b) / 10_000.0);
    assert!((s1 / s2 - 1.0).abs() < 0.25, "slopes {s1} {s2} ms/row");
}

#[test]
fn blue_green_downtime_is_the_cutover_window_only() {
    for seed in 0..20 {
        let r = go(&spec(Strategy::BlueGreen, seed), seed);
        let cut: Vec<_> = r
            .phases
            .iter()
            .filter(|p| p.phase == Phase::Cutover)
            .collect();
        assert_eq!(cut.len(), 1);
        let window = cut[0].end_ms - cut[0].start_ms;
        assert!(window > 0.0);
        assert!((r.downtime_ms - window).abs() < 1e-6, "seed {seed}");
        assert!(r.downtime_ms < r.total_ms / 2.0, "seed {seed}");
        assert!(r.writes.committed > 0 && r.cdc.applied > 0, "seed {seed}");
        let big = go(&spec(Strategy::BigBang, seed), seed);
        assert!(big.downtime_ms > r.downtime_ms, "seed {seed}");
    }
}

#[test]
fn lag_spikes_throttle_and_postpone_the_cutover() {
    let mut s = spec(Strategy::BlueGreen, 5);
    s.rows = 2_000;
    s.config.throttle_lag_ms = 100;
    s.faults = vec![Fault::LagSpike {
        at_ms: 200,
        duration_ms: 3_000,
    }];
    let r = go(&s, 5);
    assert_eq!(r.outcome, "complete", "{:?}", r.reason);
    assert!(
        r.cdc.stalled_polls > 0 && r.cdc.lag_ms_max > 1_000.0,
        "{:?}",
        r.cdc
    );
    assert!(r.cdc.throttled > 0, "{:?}", r.cdc);
    let cut = r.phases.iter().find(|p| p.phase == Phase::Cutover).unwrap();
    assert!(cut.start_ms >= 3_200.0);
}

#[test]
fn same_seed_same_report_and_seeds_differ() {
    for (strategy, make) in Strategy::ALL.into_iter().flat_map(|st| {
        [
            (st, spec as fn(Strategy, u64) -> MigrationSpec),
            (st, docs_spec),
        ]
    }) {
        let s = make(strategy, 7);
        let a = serde_json::to_string(&go(&s, 7)).unwrap();
        let b = serde_json::to_string(&go(&s, 7)).unwrap();
        assert_eq!(a, b, "{strategy:?}");
        let c = serde_json::to_string(&go(&s, 8)).unwrap();
        assert_ne!(a, c, "{strategy:?}");
    }
}

#[test]
fn a_job_is_queued_then_stepped_with_status_at_every_step() {
    let s = spec(Strategy::BlueGreen, 2);
    let mut job = s.build(2).unwrap();
    assert!(job.is_queued() && !job.is_done());
    job.start(migrascope::sim::SimTime::ZERO);
    let mut seen = vec![job.phase()];
    let mut steps = 0;
    while let Some(t) = job.next_at() {
        job.step(t);
        if *seen.last().unwrap() != job.phase() {
            seen.push(job.phase());
        }
        steps += 1;
        assert!(steps < 1_000_000);
    }
    assert!(job.is_done());
    assert_eq!(seen.first(), Some(&Phase::Validation));
    assert_eq!(seen.last(), Some(&Phase::Complete));
    assert!(seen.contains(&Phase::Loading) && seen.contains(&Phase::Cutover));
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_command_line_runs_each_example_migration_scenario() {
    let run_file = |name: &str| {
        let path = format!("{}/tests/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_migrascope"))
            .args(["run", &path])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str::<serde_json::Value>(&text).expect("JSON report")
    };
    for (file, strategy) in [
        ("migration-big-bang.json", "big_bang"),
        ("migration-copy-and-switch.json", "copy_and_switch"),
        ("migration-blue-green.json", "blue_green"),
        ("migration-blue-green-docs-to-sql.json", "blue_green"),
        ("migration-docs-to-docs.json", "blue_green"),
        ("migration-sql-to-sql.json", "blue_green"),
        ("migration-in-place.json", "in_place"),
        ("migration-lazy-on-read.json", "lazy_on_read"),
        ("migration-expand-contract.json", "expand_contract"),
    ] {
        let v = run_file(file);
        assert_eq!(v["strategy"], strategy, "{file}");
        assert_eq!(v["outcome"], "complete", "{file}: {}", v["reason"]);
        let least = if strategy.ends_with("_place") || strategy.starts_with("lazy") {
            5
        } else {
            9
        };
        assert!(v["phases"].as_array().unwrap().len() >= least, "{file}");
        let lazy = strategy == "lazy_on_read" || strategy == "expand_contract";
        assert_eq!(v["downtime_ms"].as_f64().unwrap() > 0.0, !lazy, "{file}");
        assert!(
            v["verifications"][0]["compared"].as_u64().unwrap() > 0,
            "{file}"
        );
        assert!(v["errors"].is_array(), "{file}");
    }
    let lost = run_file("migration-copy-and-switch.json");
    assert!(lost["writes"]["lost"].as_u64().unwrap() > 0);
    assert_eq!(lost["verified"], false);
    let adapter = run_file("migration-expand-contract-adapter.json");
    assert_eq!(adapter["outcome"], "complete");
    assert!(adapter["app"]["adapted_writes"].as_u64().unwrap() > 0);
    assert_eq!(adapter["app"]["unknown_field_drops"], 0);
    let polling = run_file("migration-blue-green-polling.json");
    assert_eq!(polling["outcome"], "complete");
    assert!(polling["cdc"]["missed_intermediate"].as_u64().unwrap() > 0);
    let cache = run_file("migration-blue-green-cache.json");
    assert_eq!(cache["outcome"], "complete");
    assert!(cache["cache"]["stale_shape_reads"].as_u64().unwrap() > 0);
    assert!(cache["cache"]["down_reads"].as_u64().unwrap() > 0);
    let bg = run_file("migration-blue-green.json");
    assert_eq!(bg["verified"], true);
    assert!(bg["worker_crashes"].as_u64().unwrap() == 1);
    assert!(bg["continuous"]["validated"].as_u64().unwrap() > 0);
    // Bad input: a typed error on stderr, exit code 2, no panic.
    let bad = std::env::temp_dir().join(format!("migrascope-mig-{}.json", std::process::id()));
    std::fs::write(&bad, r#"{"migration": {"rows": 3}}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_migrascope"))
        .args(["run", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("migration: rows = 3 is out of range"), "{err}");
}

fn docs_spec(strategy: Strategy, seed: u64) -> MigrationSpec {
    let mut s = spec(strategy, seed);
    s.dataset = "profiles".into();
    s.mapping = MappingSpec::Preset("suggested".into());
    s.config.direction = migrascope::sim::migrate::Direction::DocsToSql;
    // The profiles dataset has dirty values on purpose: those records fail and are reported.
    s.config.error_budget_records = 1_000;
    s
}

#[test]
fn naive_documents_to_sql_apply_duplicates_rows_and_is_caught() {
    let mut caught = 0;
    for seed in 0..30 {
        let mut s = docs_spec(Strategy::BlueGreen, seed);
        s.workload.writes_per_s = 1_000;
        let good = go(&s, seed);
        assert_eq!(good.outcome, "complete", "seed {seed}: {:?}", good.reason);
        assert_eq!(good.continuous.mismatched, 0, "seed {seed}");
        s.config.cdc_apply = CdcApply::Naive;
        let bad = go(&s, seed);
        let v = &bad.verifications[0].result;
        if !v.passed {
            assert!(
                v.mismatched > 0 || !v.checksum_differs.is_empty(),
                "seed {seed}"
            );
            assert_eq!(bad.outcome, "rolled_back", "seed {seed}");
            caught += 1;
        }
    }
    // Every seed has inserts in the snapshot overlap at this write rate.
    assert_eq!(caught, 30);
}

#[test]
fn a_cutover_that_never_catches_up_stops_and_rolls_back() {
    // The applier stalls longer than the job may wait in sync: it gives up and rolls back.
    let mut s = spec(Strategy::BlueGreen, 9);
    s.config.cutover_wait_ms_max = 2_000;
    s.faults = vec![Fault::LagSpike {
        at_ms: 300,
        duration_ms: 60_000,
    }];
    for at_ms in [150, 300] {
        // Before the sync's verification ran, and after.
        s.faults = vec![Fault::LagSpike {
            at_ms,
            duration_ms: 60_000,
        }];
        let r = go(&s, 9);
        assert_eq!(r.outcome, "rolled_back", "{at_ms}: {:?}", r.reason);
        assert!(r.reason.unwrap().contains("cut-over postponed"), "{at_ms}");
        assert_eq!(r.source_restored, Some(true));
        assert!(r.total_ms < 10_000.0, "{at_ms}: {}", r.total_ms);
    }
}

fn in_place(rows: u64, up: &[&str], down: &[&str]) -> MigrationSpec {
    let mut s = MigrationSpec {
        rows,
        ..MigrationSpec::default()
    };
    s.config.strategy = Strategy::InPlace;
    s.in_place.up = up.iter().map(|x| x.to_string()).collect();
    s.in_place.down = down.iter().map(|x| x.to_string()).collect();
    s
}

const WIDEN: &str = "ALTER TABLE order_items ALTER COLUMN quantity TYPE BIGINT";
const ADD: &str = "ALTER TABLE orders ADD COLUMN channel VARCHAR(16) DEFAULT 'web'";

#[test]
fn in_place_locks_follow_the_store_cost_model_and_block_writes() {
    let down = [
        "ALTER TABLE orders DROP COLUMN channel",
        "ALTER TABLE order_items ALTER COLUMN quantity TYPE INTEGER",
    ];
    let small = go(&in_place(2_000, &[WIDEN, ADD], &down), 3);
    assert_eq!(small.outcome, "complete", "{:?}", small.reason);
    assert!(small.verified);
    assert_eq!(small.locks.len(), 2);
    let (widen, add) = (&small.locks[0], &small.locks[1]);
    assert!(widen.rewrite && !add.rewrite, "{:?}", small.locks);
    assert!(widen.blocks_writes && widen.blocks_reads);
    assert!(
        widen.duration_ms > 5.0 * add.duration_ms,
        "{:?}",
        small.locks
    );
    assert!((small.downtime_ms - widen.duration_ms - add.duration_ms).abs() < 1e-6);
    assert!(small.writes.rejected > 0);
    // The rewrite's lock grows with the table.
    let big = go(&in_place(20_000, &[WIDEN, ADD], &down), 3);
    assert!(big.locks[0].duration_ms > 5.0 * widen.duration_ms);
    assert!(big.downtime_ms > small.downtime_ms);
    // The phases skip the copy.
    let p = phases(&small);
    assert_eq!(
        p,
        vec![
            Phase::Validation,
            Phase::SchemaPreparation,
            Phase::Verification,
            Phase::Cleanup,
            Phase::Complete
        ]
    );
}

#[test]
fn in_place_failure_rolls_back_and_the_reversibility_check_warns_first() {
    let bad = "ALTER TABLE customers ALTER COLUMN email TYPE INTEGER USING email::integer";
    for checkpoint in [true, false] {
        let mut s = in_place(
            500,
            &[ADD, bad],
            &["ALTER TABLE orders DROP COLUMN channel"],
        );
        s.config.checkpoint_before = checkpoint;
        s.config.rollback = if checkpoint {
            migrascope::sim::migrate::RollbackMode::RestoreCheckpoint
        } else {
            migrascope::sim::migrate::RollbackMode::DropTarget
        };
        let r = go(&s, 4);
        assert_eq!(r.outcome, "rolled_back", "{:?}", r.reason);
        assert!(r.reason.as_deref().unwrap().contains("step 1 failed"));
        assert_eq!(r.errors[0].key, "step 1");
        // Restored from the checkpoint, or reverted by the down steps: the same content.
        assert_eq!(
            r.source_checksum_after, r.source_checksum_before,
            "{checkpoint}"
        );
    }
    let drop = in_place(
        500,
        &["ALTER TABLE customers DROP COLUMN birth_date"],
        &["ALTER TABLE customers ADD COLUMN birth_date DATE"],
    );
    let r = go(&drop, 4);
    assert_eq!(r.outcome, "complete");
    assert!(
        r.reversibility.iter().any(|f| f.contains("birth_date")),
        "{:?}",
        r.reversibility
    );
    let mut wrong = in_place(500, &[], &[]);
    assert!(run(&wrong, 1)
        .unwrap_err()
        .to_string()
        .contains("in_place.up"));
    wrong.config.strategy = Strategy::BlueGreen;
    wrong.in_place.up = vec![ADD.into()];
    assert!(run(&wrong, 1)
        .unwrap_err()
        .to_string()
        .contains("in_place: given"));
}

fn lazy_spec(writes_per_s: u32, sweep: u64) -> MigrationSpec {
    let mut s = MigrationSpec {
        dataset: "users".into(),
        rows: 500,
        ..MigrationSpec::default()
    };
    s.config.strategy = Strategy::LazyOnRead;
    s.workload.writes_per_s = writes_per_s;
    s.lazy.sweep_docs_per_interval = sweep;
    s
}

#[test]
fn lazy_on_read_upgrades_documents_as_they_are_written_and_matches_an_eager_migration() {
    for seed in 0..20 {
        let r = go(&lazy_spec(50, 0), seed);
        assert_eq!(r.outcome, "complete", "seed {seed}: {:?}", r.reason);
        assert!(r.verified && r.verifications[0].result.compared == 500);
        let first = &r.versions_over_time[0].versions;
        let last = &r.versions_over_time.last().unwrap().versions;
        assert_eq!(first.get(&1), Some(&500));
        // Written documents moved to the latest version; the others stay behind.
        let old_left = *last.get(&1).unwrap_or(&0);
        assert!(old_left < 500 && old_left > 0, "seed {seed}: {last:?}");
        assert_eq!(last.values().sum::<u64>(), 500);
        let shares: Vec<u64> = r
            .versions_over_time
            .iter()
            .map(|s| *s.versions.get(&1).unwrap_or(&0))
            .collect();
        assert!(
            shares.windows(2).all(|w| w[1] <= w[0]),
            "seed {seed}: {shares:?}"
        );
        assert!(r.reads > 0 && r.reads_upgraded > 0 && r.reads_upgraded <= r.reads);
        assert!(r.downtime_ms == 0.0);
    }
    // A sweep finishes the job; without writes or a sweep nothing is stored upgraded.
    let swept = go(&lazy_spec(0, 100), 1);
    assert_eq!(
        swept.versions_over_time.last().unwrap().versions.get(&1),
        None
    );
    let idle = go(&lazy_spec(0, 0), 1);
    assert_eq!(
        idle.versions_over_time.last().unwrap().versions.get(&1),
        Some(&500)
    );
    assert!(idle.verified);
    let mut bad = lazy_spec(0, 0);
    bad.dataset = "ecommerce".into();
    assert!(run(&bad, 1).unwrap_err().to_string().contains("users"));
}

fn expand_spec(dual_write: bool) -> MigrationSpec {
    let mut s = MigrationSpec {
        dataset: "users".into(),
        rows: 400,
        ..MigrationSpec::default()
    };
    s.config.strategy = Strategy::ExpandContract;
    s.workload.writes_per_s = 300;
    s.expand.dual_write = dual_write;
    s.expand.v2_share = 0.3;
    s
}

#[test]
fn expand_contract_with_dual_writes_completes_and_without_them_is_caught() {
    for seed in 0..20 {
        let r = go(&expand_spec(true), seed);
        assert_eq!(r.outcome, "complete", "seed {seed}: {:?}", r.reason);
        assert!(r.verifications.iter().all(|v| v.result.passed));
        assert!(r.writes.committed > 0 && r.downtime_ms == 0.0);
        let shapes: Vec<_> = r
            .versions_over_time
            .iter()
            .map(|s| s.versions.clone())
            .collect();
        assert_eq!(shapes[0].get(&1), Some(&400));
        // Both shapes live at once during the expand, only the new one at the end.
        assert!(shapes
            .iter()
            .any(|v| v.contains_key(&1) && v.contains_key(&2)));
        assert_eq!(shapes.last().unwrap().get(&3), Some(&400), "seed {seed}");

        let bad = go(&expand_spec(false), seed);
        let v = &bad.verifications[0].result;
        assert!(!v.passed && v.mismatched > 0, "seed {seed}");
        assert_eq!(bad.outcome, "rolled_back", "seed {seed}");
        // The expand is undone: every document is back to the old shape only.
        assert_eq!(
            bad.versions_over_time.last().unwrap().versions.get(&1),
            Some(&400)
        );
    }
}

fn cached(inv: Invalidation, failures: Vec<CacheFailure>) -> MigrationReport {
    let mut s = spec(Strategy::BlueGreen, 3);
    s.rows = 1_000;
    s.workload.writes_per_s = 500;
    s.cache = CacheSettings {
        enabled: true,
        ttl_ms: 60_000,
        invalidation: inv,
        failures,
        ..CacheSettings::default()
    };
    go(&s, 3)
}

#[test]
fn the_cache_serves_old_shape_data_until_its_policy_invalidates_it() {
    let ttl = cached(Invalidation::TtlOnly, vec![]);
    let on_write = cached(Invalidation::OnWrite, vec![]);
    let on_schema = cached(Invalidation::OnSchemaChange, vec![]);
    for r in [&ttl, &on_write, &on_schema] {
        assert_eq!(r.outcome, "complete", "{:?}", r.reason);
        assert!(r.verified);
        let c = r.cache.as_ref().expect("cache report");
        assert_eq!(c.schema_changes, 1, "the routing switched once");
        assert!(c.hit_ratio > 0.5 && c.reads == c.hits + c.misses, "{c:?}");
        assert!(c.over_time.len() > 4);
        // A cold cache warms up.
        assert!(c.over_time[0].hit_ratio < c.over_time[c.over_time.len() / 2].hit_ratio);
    }
    let (t, w, s) = (
        ttl.cache.unwrap(),
        on_write.cache.unwrap(),
        on_schema.cache.unwrap(),
    );
    assert!(t.stale_shape_reads > 0 && t.stale_value_reads > 0, "{t:?}");
    assert!(w.stale_shape_reads > 0 && w.stale_value_reads == 0, "{w:?}");
    assert!(w.invalidated > 0);
    assert!(s.stale_shape_reads == 0 && s.stale_value_reads > 0, "{s:?}");
    assert!(s.invalidated > 0);
    assert_eq!(t.reads, w.reads, "same seed, same reads");
}

#[test]
fn a_cache_failure_sends_reads_to_the_store_and_read_latency_rises() {
    let ok = cached(Invalidation::OnWrite, vec![]).cache.unwrap();
    let down = CacheFailure {
        at_ms: 500,
        duration_ms: 400,
    };
    let r = cached(Invalidation::OnWrite, vec![down]);
    assert!(r.verified, "the cache does not change the migration");
    let failed = r.cache.unwrap();
    assert_eq!(failed.down_reads, 800, "400 ms of 2,000 reads/s");
    assert!(
        failed.latency_ms_mean_down > 2.0 * ok.latency_ms_mean,
        "{failed:?}"
    );
    assert!(failed.latency_ms_mean > ok.latency_ms_mean);
    assert!(failed.hit_ratio < ok.hit_ratio);
    let during: Vec<_> = failed.over_time.iter().filter(|w| w.down).collect();
    assert!(!during.is_empty() && during.iter().all(|w| w.hit_ratio < 0.5));
    // Bad cache settings are typed errors.
    let mut s = spec(Strategy::BlueGreen, 1);
    s.cache.ttl_ms = 0;
    let e = run(&s, 1).unwrap_err().to_string();
    assert_eq!(e, "cache.ttl_ms = 0 is out of range (1 ..= 3600000)");
}

fn versions(v1_writes: V1Writes, adapter: bool, dual_write: bool) -> MigrationReport {
    let mut s = MigrationSpec {
        dataset: "users".into(),
        rows: 300,
        ..MigrationSpec::default()
    };
    s.config.strategy = Strategy::ExpandContract;
    s.workload.writes_per_s = 400;
    s.expand.dual_write = dual_write;
    s.app = AppSettings { v1_writes, adapter };
    go(&s, 5)
}

#[test]
fn old_code_drops_the_unknown_field_without_the_adapter_and_not_with_it() {
    let trap = versions(V1Writes::ReadModifyWrite, false, false);
    let adapted = versions(V1Writes::ReadModifyWrite, true, false);
    let (a, b) = (trap.app.clone().unwrap(), adapted.app.clone().unwrap());
    assert!(a.v1_writes > 0 && b.v1_writes > 0);
    assert!(
        a.unknown_field_drops > 0 && a.unknown_field_drops <= a.v1_writes,
        "{a:?}"
    );
    assert!(a.drop_examples[0].ends_with(": contact"), "{a:?}");
    assert_eq!(trap.outcome, "rolled_back", "verification names the damage");
    let why = trap.reason.clone().unwrap();
    assert!(why.contains("without the fields it does not know"), "{why}");
    assert!(trap.verifications[0].result.mismatched > 0);
    assert_eq!(b.unknown_field_drops, 0);
    assert!(b.adapted_writes > 0);
    assert_eq!(adapted.outcome, "complete", "{:?}", adapted.reason);
    assert!(adapted.verified);
    // v1 kept serving after v2 was released: warned about, in both runs.
    assert!(a.deprecation_warnings > 0 && b.deprecation_warnings > 0);
    assert!(b.warnings[0].starts_with("deprecated v1 still in use"));
    // Patches never drop fields; the dual-write trigger puts the new email back but not
    // v2's own data, so the trap is still caught.
    let patch = versions(V1Writes::Patch, false, true);
    assert_eq!(patch.app.unwrap().unknown_field_drops, 0);
    assert_eq!(patch.outcome, "complete");
    let trig = versions(V1Writes::ReadModifyWrite, false, true);
    assert!(trig.app.unwrap().unknown_field_drops > 0);
    assert_eq!(trig.outcome, "rolled_back");
    // Application versions belong to expand / contract.
    let mut s = spec(Strategy::BlueGreen, 1);
    s.app.adapter = true;
    let e = run(&s, 1).unwrap_err().to_string();
    assert!(
        e.contains("application versions run with expand_contract"),
        "{e}"
    );
}

fn synced(sync: SyncMode) -> MigrationReport {
    let mut s = spec(Strategy::BlueGreen, 4);
    s.rows = 1_000;
    s.workload.writes_per_s = 800;
    s.config.sync = sync;
    s.config.rollback_enabled = false;
    go(&s, 4)
}

#[test]
fn blue_green_syncs_by_triggers_change_log_or_polling_and_polling_misses_hard_deletes() {
    let log = synced(SyncMode::ChangeLog);
    let trig = synced(SyncMode::Triggers);
    let soft = synced(SyncMode::Polling {
        interval_ms: 400,
        soft_delete: true,
    });
    let hard = synced(SyncMode::Polling {
        interval_ms: 400,
        soft_delete: false,
    });
    for r in [&log, &trig, &soft] {
        assert_eq!(r.outcome, "complete", "{:?}", r.reason);
        assert!(r.verified);
    }
    assert!(log.cdc.lag_ms_max > 0.0 && log.cdc.trigger_applied == 0);
    assert!(trig.cdc.trigger_applied > 0, "{:?}", trig.cdc);
    assert_eq!(
        trig.cdc.backlog_max, 0,
        "applied in the writing transaction"
    );
    assert!(soft.cdc.missed_intermediate > 0 && soft.cdc.missed_deletes == 0);
    // Hard deletes leave nothing for the poller: the target keeps the rows, verification
    // names the documents, and the job fails.
    assert!(hard.cdc.missed_deletes > 0, "{:?}", hard.cdc);
    assert_eq!(hard.outcome, "failed");
    assert!(hard.verifications.iter().any(|v| v.result.mismatched > 0));
    // Sync modes belong to blue-green.
    let mut s = spec(Strategy::BigBang, 1);
    s.config.sync = SyncMode::Triggers;
    let e = run(&s, 1).unwrap_err().to_string();
    assert!(e.contains("blue_green's setting"), "{e}");
}

/// When the blue-green run of `s` switches the application to the target (the start of the
/// watch), in ms, from a run without faults.
fn switched_at_ms(s: &MigrationSpec, seed: u64) -> f64 {
    let mut quiet = s.clone();
    quiet.faults.clear();
    let r = go(&quiet, seed);
    assert_eq!(r.outcome, "complete", "seed {seed}: {:?}", r.reason);
    let cut = r
        .phases
        .iter()
        .position(|p| p.phase == Phase::Cutover)
        .unwrap();
    r.phases[cut].end_ms
}

#[test]
fn an_error_rate_spike_postpones_the_cutover_and_rolls_a_watched_blue_green_back() {
    for strategy in Strategy::ALL {
        for seed in [2, 5] {
            let ctx = format!("{strategy:?} seed {seed}");
            let s = spec(strategy, seed);
            let calm = go(&s, seed);
            let cut = calm
                .phases
                .iter()
                .find(|p| p.phase == Phase::Cutover)
                .unwrap();
            // Above the threshold from the start until 1.5 s after the calm cut-over began.
            let mut spiked = s.clone();
            let until = cut.start_ms as u64 + 1_500;
            spiked.faults = vec![Fault::ErrorRateSpike {
                at_ms: 0,
                duration_ms: until,
                percent: 40,
            }];
            let r = go(&spiked, seed);
            assert_eq!(r.outcome, "complete", "{ctx}: {:?}", r.reason);
            let cut2 = r.phases.iter().find(|p| p.phase == Phase::Cutover).unwrap();
            assert!(cut2.start_ms >= until as f64, "{ctx}: {cut2:?}");
            assert!(r.cdc.error_postponed > 0, "{ctx}: {:?}", r.cdc);
            // Big-bang stops the application's writes for the whole copy: none is even sent.
            if strategy != Strategy::BigBang {
                assert!(r.writes.failed_requests > 0, "{ctx}");
            }
            assert_eq!(r.writes.error_rate_pct_max, 40, "{ctx}");
            // At or below the threshold nothing waits.
            spiked.faults = vec![Fault::ErrorRateSpike {
                at_ms: 0,
                duration_ms: until,
                percent: 5,
            }];
            let r = go(&spiked, seed);
            assert_eq!(r.cdc.error_postponed, 0, "{ctx}");
            let cut3 = r.phases.iter().find(|p| p.phase == Phase::Cutover).unwrap();
            assert!(cut3.start_ms < until as f64, "{ctx}");
        }
    }
    // After a watched blue-green cut-over: a spike on the target rolls it back.
    for seed in [2, 4] {
        let mut s = spec(Strategy::BlueGreen, seed);
        s.config.watch_ms = 3_000;
        let at = switched_at_ms(&s, seed) as u64 + 1_000;
        s.faults = vec![Fault::ErrorRateSpike {
            at_ms: at,
            duration_ms: 500,
            percent: 30,
        }];
        let r = go(&s, seed);
        assert_eq!(r.outcome, "rolled_back", "seed {seed}");
        let why = r.reason.clone().unwrap();
        assert!(why.contains("error rate 30% on the target"), "{why}");
        let rb = r
            .phases
            .iter()
            .find(|p| p.phase == Phase::Rollback)
            .unwrap();
        assert!(
            rb.start_ms >= at as f64 && rb.start_ms <= at as f64 + 100.0,
            "{rb:?}"
        );
        assert_eq!(r.routing, migrascope::sim::migrate::Routing::Source);
        assert!(r.writes.on_target > 0, "seed {seed}");
        // A spike after the watch changes nothing.
        s.faults = vec![Fault::ErrorRateSpike {
            at_ms: at + 10_000,
            duration_ms: 500,
            percent: 30,
        }];
        assert_eq!(go(&s, seed).outcome, "complete");
    }
}

/// A watched blue-green job (`bidirectional` or not) that an error-rate spike on the target
/// rolls back by its down steps; the job, for its source and its writes on the target.
fn watched_rollback(bidirectional: bool, seed: u64) -> migrascope::sim::migrate::Migration {
    let mut s = spec(Strategy::BlueGreen, seed);
    s.mapping = MappingSpec::Preset("suggested".into());
    s.workload.writes_per_s = 400;
    s.config.watch_ms = 2_000;
    s.config.bidirectional = bidirectional;
    s.config.rollback = migrascope::sim::migrate::RollbackMode::DownSteps;
    let at = switched_at_ms(&s, seed) as u64 + 1_200;
    s.faults = vec![Fault::ErrorRateSpike {
        at_ms: at,
        duration_ms: 300,
        percent: 50,
    }];
    let mut job = s.build(seed).unwrap();
    job.run_to_end(10_000_000).unwrap();
    job
}

#[test]
fn bidirectional_sync_keeps_the_target_writes_on_rollback_and_without_it_each_loss_is_named() {
    use migrascope::sim::migrate::workload::Image;
    use std::collections::BTreeMap;
    for seed in [2, 6, 9] {
        for bidirectional in [true, false] {
            let ctx = format!("seed {seed} bidirectional {bidirectional}");
            let mut job = watched_rollback(bidirectional, seed);
            let r = job.report();
            assert_eq!(r.outcome, "rolled_back", "{ctx}: {:?}", r.reason);
            let n = r.writes.on_target;
            assert!(n > 50, "{ctx}: {n}");
            // The last write on the target per row, and whether the source holds it.
            let (mut first, mut last) = (BTreeMap::new(), BTreeMap::new());
            for e in job.target_writes() {
                first
                    .entry((e.table.clone(), e.key))
                    .or_insert_with(|| e.before.clone());
                last.insert((e.table.clone(), e.key), e.clone());
            }
            // A row whose writes on the target end where they began (inserted and deleted
            // again, or updated to the values it had) leaves nothing to lose.
            last.retain(|k, e| first[k] != e.after);
            assert_eq!(job.target_writes().count() as u64, n, "{ctx}");
            let src = &job.side().src;
            let held = |e: &migrascope::sim::migrate::ChangeEvent| match &e.after {
                Some(Image::Row(row)) => src.row(&e.table, e.key) == Some(row),
                None => src.row(&e.table, e.key).is_none(),
                Some(_) => unreachable!("SQL rows"),
            };
            let kept = last.values().filter(|e| held(e)).count();
            let losses = r.writes.rollback_losses.join(" | ");
            assert!(
                r.writes
                    .rollback_steps
                    .iter()
                    .any(|s| s.contains("route the application back")),
                "{ctx}: {:?}",
                r.writes.rollback_steps
            );
            assert!(!r.reversibility.is_empty(), "{ctx}");
            if bidirectional {
                assert_eq!(
                    kept,
                    last.len(),
                    "{ctx}: every write on the target is in the source"
                );
                assert_eq!(r.writes.replicated_back, n, "{ctx}");
                assert_eq!(r.writes.lost_on_rollback, 0, "{ctx}");
                assert!(
                    losses.contains(&format!(
                        "the {n} writes made on the target after the cut-over are kept"
                    )),
                    "{ctx}: {losses}"
                );
            } else {
                // The source is the one the cut-over left: none of the writes is in it, and
                // the report named each one before the rollback ran.
                assert_eq!(kept, 0, "{ctx}");
                let cut = r
                    .verifications
                    .iter()
                    .find(|v| v.phase == Phase::Cutover)
                    .unwrap();
                assert_eq!(r.source_checksum_after, cut.result.source_checksum, "{ctx}");
                assert_eq!(r.writes.lost_on_rollback, n, "{ctx}");
                assert!(
                    losses.contains(&format!(
                        "the {n} writes made on the target after the cut-over are lost"
                    )),
                    "{ctx}: {losses}"
                );
                let named: Vec<String> = job
                    .target_writes()
                    .take(100)
                    .map(|e| {
                        format!(
                            "{} {} {} @{}",
                            e.table,
                            e.key,
                            format!("{:?}", e.op).to_lowercase(),
                            e.position
                        )
                    })
                    .collect();
                assert_eq!(r.writes.lost_on_rollback_examples, named, "{ctx}");
                assert!(named.iter().all(|w| losses.contains(w.as_str())), "{ctx}");
            }
        }
    }
}

#[test]
fn copy_job_rollbacks_restore_run_down_steps_or_revert_the_schema_after_the_reversibility_check() {
    use migrascope::sim::migrate::RollbackMode as M;
    for seed in [1u64, 2] {
        for mode in [
            M::RestoreCheckpoint,
            M::DropTarget,
            M::DownSteps,
            M::SchemaOnly,
        ] {
            let ctx = format!("{mode:?} seed {seed}");
            let mut s = spec(Strategy::BlueGreen, seed);
            s.config.rollback = mode;
            s.faults = vec![Fault::CutoverFailure];
            let r = go(&s, seed);
            assert_eq!(r.outcome, "rolled_back", "{ctx}");
            // The data layer's check ran first; the copy-only tables of `orders_with_copies`
            // (odd seeds) are named.
            assert!(!r.reversibility.is_empty(), "{ctx}");
            let copies = r.reversibility.iter().any(|f| f.contains("also copied"));
            assert_eq!(copies, seed % 2 == 1, "{ctx}: {:?}", r.reversibility);
            let steps = &r.writes.rollback_steps;
            match mode {
                M::RestoreCheckpoint => {
                    assert_eq!(r.source_restored, Some(true), "{ctx}");
                    assert!(steps.is_empty(), "{ctx}");
                }
                M::DropTarget => assert!(steps.is_empty() && r.writes.undone_by_restore == 0),
                M::DownSteps | M::SchemaOnly => {
                    assert_eq!(r.writes.undone_by_restore, 0, "{ctx}");
                    assert_eq!(r.source_restored, None, "{ctx}");
                    assert!(
                        steps[0].contains("stop the change capture"),
                        "{ctx}: {steps:?}"
                    );
                    let drops = steps.iter().filter(|x| x.starts_with("drop the target's"));
                    assert!(drops.count() >= 2, "{ctx}: {steps:?}");
                    let schema = steps.iter().any(|x| x.contains("no data restore"));
                    assert_eq!(schema, mode == M::SchemaOnly, "{ctx}");
                    // The source kept every write: nothing was undone.
                    assert!(r.writes.committed > 0, "{ctx}");
                    assert!(
                        r.writes
                            .rollback_losses
                            .iter()
                            .any(|l| l.contains("keeps every write")),
                        "{ctx}"
                    );
                }
            }
        }
    }
    // The settings only the watch uses are refused elsewhere, with the field named.
    let mut s = spec(Strategy::BigBang, 1);
    s.config.watch_ms = 1_000;
    assert!(go_err(&s).contains("watch_ms"));
    let mut s = spec(Strategy::BlueGreen, 1);
    s.config.bidirectional = true;
    assert!(go_err(&s).contains("bidirectional: needs watch_ms"));
}

fn go_err(s: &MigrationSpec) -> String {
    run(s, 1).expect_err("refused").to_string()
}

/// Documents -> documents: the built-in `users` at v1, v2 or v3 (by seed), copied into a
/// second collection at v4 through the chain's up steps. Small, so the sweep stays fast.
fn users_spec(strategy: Strategy, seed: u64) -> MigrationSpec {
    let mut s = spec(strategy, seed);
    s.dataset = "users".into();
    s.rows = 40 + seed * 37 % 120;
    s.mapping = MappingSpec::default();
    s.config.direction = Direction::DocsToDocs;
    s.config.batch_rows = 20;
    s.schema_change.source_version = Some(1 + (seed % 3) as u32);
    s
}

#[test]
fn every_strategy_completes_and_verifies_documents_to_documents_over_many_seeds() {
    sweep(users_spec);
}

#[test]
fn documents_to_documents_faults_roll_back_and_give_the_source_back() {
    faults_roll_back(users_spec, "users");
}

#[test]
fn naive_documents_to_documents_apply_lands_old_shapes_and_is_caught() {
    for seed in 0..30 {
        let mut s = users_spec(Strategy::BlueGreen, seed);
        s.workload.writes_per_s = 1_000;
        let good = go(&s, seed);
        assert_eq!(good.outcome, "complete", "seed {seed}: {:?}", good.reason);
        assert!(good.verified, "seed {seed}");
        assert_eq!(good.continuous.mismatched, 0, "seed {seed}");
        assert!(good.continuous.validated > 0, "seed {seed}");
        s.config.cdc_apply = CdcApply::Naive;
        let bad = go(&s, seed);
        let v = &bad.verifications.iter().find(|v| !v.result.passed);
        let v = &v
            .unwrap_or_else(|| panic!("seed {seed}: naive apply passed"))
            .result;
        // The old-shape documents break the v4 schema, differ, and move the checksum.
        assert!(v.mismatched > 0 && v.violations > 0, "seed {seed}: {v:?}");
        assert!(
            !v.checksum_differs.is_empty() && v.sample_diffs > 0,
            "seed {seed}"
        );
        assert!(!v.mismatched_keys.is_empty(), "seed {seed}");
        assert_eq!(bad.outcome, "rolled_back", "seed {seed}");
        assert_eq!(bad.source_restored, Some(true), "seed {seed}");
        assert_eq!(bad.source_checksum_after, bad.source_checksum_before);
        // Before the rollback: what the chain's down steps cannot give back.
        let lossy = if seed % 3 == 2 { "tags" } else { "legacy_flag" };
        let rev = &bad.reversibility;
        assert!(
            rev.iter().any(|l| l.contains(lossy)),
            "seed {seed}: {rev:?}"
        );
    }
}

#[test]
fn documents_to_documents_downtime_is_the_whole_big_bang_and_the_blue_green_cutover() {
    for seed in 0..20 {
        let big = go(&users_spec(Strategy::BigBang, seed), seed);
        assert_eq!(big.outcome, "complete", "seed {seed}: {:?}", big.reason);
        let cut = big
            .phases
            .iter()
            .find(|p| p.phase == Phase::Cutover)
            .unwrap();
        assert!(
            big.downtime_ms > 0.0 && big.downtime_ms == cut.end_ms,
            "seed {seed}"
        );
        assert!(
            big.writes.committed == 0 && big.writes.rejected > 0,
            "seed {seed}"
        );
        let bg = go(&users_spec(Strategy::BlueGreen, seed), seed);
        let cut: Vec<_> = bg
            .phases
            .iter()
            .filter(|p| p.phase == Phase::Cutover)
            .collect();
        assert_eq!(cut.len(), 1, "seed {seed}");
        let window = cut[0].end_ms - cut[0].start_ms;
        assert!(window > 0.0, "seed {seed}");
        assert!((bg.downtime_ms - window).abs() < 1e-6, "seed {seed}");
        assert!(bg.downtime_ms < bg.total_ms / 2.0, "seed {seed}");
        assert!(bg.writes.committed > 0 && bg.cdc.applied > 0, "seed {seed}");
        assert!(big.downtime_ms > bg.downtime_ms, "seed {seed}");
    }
}

#[test]
fn same_store_copies_refuse_other_strategies_and_bad_settings_by_field() {
    let err = |f: &dyn Fn(&mut MigrationSpec)| {
        let mut s = users_spec(Strategy::BlueGreen, 1);
        f(&mut s);
        go_err(&s)
    };
    for st in [
        Strategy::InPlace,
        Strategy::LazyOnRead,
        Strategy::ExpandContract,
    ] {
        let e = err(&|s| s.config.strategy = st);
        assert!(
            e.starts_with("direction: docs_to_docs is a copy"),
            "{st:?}: {e}"
        );
    }
    let e = err(&|s| s.schema_change.target_version = Some(2));
    assert!(e.starts_with("schema_change.target_version"), "{e}");
    let e = err(&|s| s.schema_change.target_version = Some(9));
    assert!(e.starts_with("schema_change.target_version"), "{e}");
    let e = err(&|s| s.schema_change.source_version = Some(0));
    assert!(e.starts_with("schema_change.source_version"), "{e}");
    let e = err(&|s| s.dataset = "ecommerce".into());
    assert!(e.starts_with("dataset"), "{e}");
    let e = err(&|s| s.schema_change.up_script = "ALTER TABLE t ADD COLUMN c INT;".into());
    assert!(e.starts_with("schema_change.up_script"), "{e}");
    let e = err(&|s| s.config.direction = Direction::SqlToDocs);
    assert!(e.starts_with("schema_change: given"), "{e}");
    // A spec without the new settings serialises as before.
    let text = serde_json::to_string(&MigrationSpec::default()).unwrap();
    assert!(!text.contains("schema_change"), "{text}");
}

const UP_SCRIPT: &str = "ALTER TABLE customers ADD COLUMN tier TEXT DEFAULT 'basic'; \
                         ALTER TABLE customers RENAME COLUMN email TO contact_email;";

/// SQL -> SQL: the e-commerce tables copied into tables of the shape the up script gives,
/// each batch transformed by the SQL store running the script. Small, for the sweep.
fn sql_spec(strategy: Strategy, seed: u64) -> MigrationSpec {
    let mut s = spec(strategy, seed);
    s.rows = 60 + seed * 37 % 140;
    s.mapping = MappingSpec::default();
    s.config.direction = Direction::SqlToSql;
    s.config.batch_rows = 25;
    s.schema_change.up_script = UP_SCRIPT.into();
    s
}

#[test]
fn every_strategy_completes_and_verifies_sql_to_sql_over_many_seeds() {
    sweep(sql_spec);
}

#[test]
fn sql_to_sql_faults_roll_back_and_give_the_source_back() {
    // order_items has the most rows, so every seed has keys that are multiples of 4.
    faults_roll_back(sql_spec, "order_items");
}

#[test]
fn naive_sql_to_sql_apply_skips_the_up_script_and_is_caught() {
    for seed in 0..30 {
        let mut s = sql_spec(Strategy::BlueGreen, seed);
        s.workload.writes_per_s = 1_000;
        let good = go(&s, seed);
        assert_eq!(good.outcome, "complete", "seed {seed}: {:?}", good.reason);
        assert!(good.verified, "seed {seed}");
        assert_eq!(good.continuous.mismatched, 0, "seed {seed}");
        assert!(good.continuous.validated > 0, "seed {seed}");
        s.config.cdc_apply = CdcApply::Naive;
        let bad = go(&s, seed);
        let v = &bad.verifications.iter().find(|v| !v.result.passed);
        let v = &v
            .unwrap_or_else(|| panic!("seed {seed}: naive apply passed"))
            .result;
        // Customers written without the script: `tier` NULL instead of 'basic'.
        assert!(v.mismatched > 0, "seed {seed}: {v:?}");
        assert_eq!(v.checksum_differs, ["customers"], "seed {seed}");
        assert!(v
            .mismatched_keys
            .iter()
            .all(|k| k.starts_with("customers/")));
        assert_eq!(bad.outcome, "rolled_back", "seed {seed}");
        assert_eq!(bad.source_restored, Some(true), "seed {seed}");
        assert_eq!(bad.source_checksum_after, bad.source_checksum_before);
    }
}

#[test]
fn sql_to_sql_downtime_is_the_whole_big_bang_and_the_blue_green_cutover() {
    for seed in 0..20 {
        let big = go(&sql_spec(Strategy::BigBang, seed), seed);
        assert_eq!(big.outcome, "complete", "seed {seed}: {:?}", big.reason);
        let cut = big
            .phases
            .iter()
            .find(|p| p.phase == Phase::Cutover)
            .unwrap();
        assert!(
            big.downtime_ms > 0.0 && big.downtime_ms == cut.end_ms,
            "seed {seed}"
        );
        let bg = go(&sql_spec(Strategy::BlueGreen, seed), seed);
        let cut: Vec<_> = bg
            .phases
            .iter()
            .filter(|p| p.phase == Phase::Cutover)
            .collect();
        assert_eq!(cut.len(), 1, "seed {seed}");
        let window = cut[0].end_ms - cut[0].start_ms;
        assert!(
            (bg.downtime_ms - window).abs() < 1e-6 && window > 0.0,
            "seed {seed}"
        );
        assert!(bg.writes.committed > 0 && bg.cdc.applied > 0, "seed {seed}");
        assert!(big.downtime_ms > bg.downtime_ms, "seed {seed}");
    }
}

#[test]
fn sql_to_sql_refuses_bad_scripts_and_settings_by_field() {
    let err = |f: &dyn Fn(&mut MigrationSpec)| {
        let mut s = sql_spec(Strategy::BlueGreen, 1);
        f(&mut s);
        go_err(&s)
    };
    let e = err(&|s| s.config.strategy = Strategy::InPlace);
    assert!(e.starts_with("direction: sql_to_sql is a copy"), "{e}");
    let e = err(&|s| s.schema_change.up_script = String::new());
    assert!(
        e.starts_with("schema_change.up_script: sql_to_sql needs"),
        "{e}"
    );
    let e = err(&|s| s.schema_change.up_script = "ALTER TABLE nope ADD COLUMN x INT;".into());
    assert!(e.starts_with("schema_change.up_script"), "{e}");
    let e = err(&|s| s.schema_change.up_script = "DROP TABLE order_items;".into());
    assert!(e.contains("must keep table \"order_items\""), "{e}");
    let e = err(&|s| s.schema_change.target_version = Some(3));
    assert!(e.starts_with("schema_change.target_version"), "{e}");
    let e = err(&|s| s.dataset = "profiles".into());
    assert!(e.starts_with("dataset"), "{e}");
    let e = err(&|s| s.mapping = MappingSpec::Preset("orders_with_copies".into()));
    assert!(e.starts_with("mapping"), "{e}");
    // A row the script refuses fails as that record, within the error budget (a table
    // nothing references: a refused parent row would leave its children dangling, which
    // the target's constraint validation reports).
    let mut s = sql_spec(Strategy::BigBang, 2);
    s.schema_change.up_script =
        "ALTER TABLE order_items ADD CONSTRAINT few CHECK (quantity < 3);".into();
    s.config.error_budget_records = 10_000;
    let r = go(&s, 2);
    assert_eq!(r.outcome, "complete", "{:?}", r.reason);
    assert!(r.records.failed > 0 && r.errors_total == r.records.failed);
    assert!(r.errors.iter().all(|e| e.table == "order_items"));
}
