//! A migration job inside the simulation, started and disturbed by commands: it completes and
//! verifies, replays from the command log to the same report, and a seek backwards lands on
//! the same migration state. Seeds are pinned and printed on failure.

use migrascope::sim::engine::migration::Job;
use migrascope::sim::migrate::{Fault, MigrationReport, MigrationSpec, Phase, Strategy};
use migrascope::sim::timeline::Timeline;
use migrascope::sim::{Command, Scenario, SimTime, Simulation};

fn spec(strategy: Strategy, rows: u64) -> MigrationSpec {
    let mut s = MigrationSpec {
        rows,
        ..MigrationSpec::default()
    };
    s.config.strategy = strategy;
    s.config.batch_rows = 200;
    s
}

fn start(spec: &MigrationSpec) -> Command {
    Command::StartMigration {
        spec: Box::new(spec.clone()),
    }
}

fn report(sim: &Simulation) -> MigrationReport {
    match sim.migration().expect("a migration").job() {
        Job::ToDocs(j) => j.as_ref().clone().report(),
        Job::ToRows(j) => j.as_ref().clone().report(),
        Job::DocsToDocs(j) => j.as_ref().clone().report(),
        Job::SqlToSql(j) => j.as_ref().clone().report(),
    }
}

fn run_until_done(sim: &mut Simulation, limit_ms: u64) {
    let mut t = sim.now();
    while !sim.migration().unwrap().job().is_done() {
        t += migrascope::sim::SimDuration::from_ms(500);
        assert!(t.as_us() <= limit_ms * 1_000, "not done by {limit_ms} ms");
        sim.advance_to(t, u64::MAX);
    }
}

#[test]
fn a_migration_started_by_command_completes_and_verifies() {
    for strategy in Strategy::ALL {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        sim.advance_to(SimTime::from_ms(1_000), u64::MAX);
        sim.command(start(&spec(strategy, 2_000))).unwrap();
        run_until_done(&mut sim, 120_000);
        let r = report(&sim);
        println!(
            "{strategy:?}: {:.0} ms, {:.0} records/s, downtime {:.0} ms",
            r.total_ms, r.records_per_s, r.downtime_ms
        );
        assert_eq!(r.outcome, "complete", "{strategy:?}: {:?}", r.reason);
        assert_eq!(r.phase, Phase::Complete);
        if strategy != Strategy::CopyAndSwitch {
            assert!(r.verified, "{strategy:?}");
        }
        assert_eq!(r.records.processed, r.records.total);
        assert!(sim.event_log().any(|e| e.text == "migration complete"));
        // The cluster kept working next to it.
        assert!(sim.cluster().counters.ops_ok > 100);
    }
}

/// A run with a migration, a fault injected mid-copy and one at the cut-over, as a user would.
fn disturbed_run(seed: u64) -> Simulation {
    let scenario = Scenario {
        seed,
        ..Scenario::default()
    };
    let mut sim = Simulation::new(scenario).unwrap();
    sim.advance_to(SimTime::from_ms(500), u64::MAX);
    sim.command(start(&spec(Strategy::BlueGreen, 2_000)))
        .unwrap();
    sim.advance_to(SimTime::from_ms(700), u64::MAX);
    let at_ms = 700;
    sim.command(Command::MigrationFault {
        fault: Fault::WorkerCrash { at_ms, worker: 1 },
    })
    .unwrap();
    sim.command(Command::MigrationFault {
        fault: Fault::LagSpike {
            at_ms,
            duration_ms: 1_500,
        },
    })
    .unwrap();
    sim.advance_to(SimTime::from_ms(8_000), u64::MAX);
    sim
}

#[test]
fn replay_from_the_command_log_gives_the_same_report() {
    for seed in [1, 7, 2026] {
        let a = disturbed_run(seed);
        let r = report(&a);
        assert!(
            r.worker_crashes >= 1 || r.cdc.stalled_polls > 0,
            "seed {seed}"
        );
        let b = Simulation::replay(a.scenario().clone(), a.command_log(), a.now()).unwrap();
        assert_eq!(report(&b), r, "seed {seed}");
        assert_eq!(b.history_hash(), a.history_hash(), "seed {seed}");
        // Run twice from scratch: the same number.
        assert_eq!(
            disturbed_run(seed).history_hash(),
            a.history_hash(),
            "seed {seed}"
        );
    }
}

#[test]
fn seeking_back_reproduces_the_same_migration_state() {
    let mut t = Timeline::new(Scenario::default()).unwrap();
    t.advance_to(SimTime::from_ms(2_000), u64::MAX);
    t.command(start(&spec(Strategy::BlueGreen, 2_000))).unwrap();
    let mid = SimTime::from_ms(2_300);
    t.advance_to(mid, u64::MAX);
    let seen = report(t.sim());
    let hash = t.sim().history_hash();
    // Far past the checkpoint interval, so the seek restores a checkpoint and replays.
    t.advance_to(SimTime::from_ms(40_000), u64::MAX);
    assert!(t.sim().migration().unwrap().job().is_done());
    assert!(t.checkpoint_count() > 2);
    let done = report(t.sim());
    t.seek(mid);
    assert_eq!(report(t.sim()), seen);
    assert_eq!(t.sim().history_hash(), hash);
    // Playing on replays the same future.
    t.advance_to(SimTime::from_ms(40_000), u64::MAX);
    assert_eq!(report(t.sim()), done);
    // A fork that makes the cut-over fail goes its own way; the original does not move.
    t.seek(mid);
    let mut fork = t.clone();
    fork.command(Command::MigrationFault {
        fault: Fault::CutoverFailure,
    })
    .unwrap();
    fork.advance_to(SimTime::from_ms(40_000), u64::MAX);
    let f = report(fork.sim());
    assert_eq!(f.outcome, "rolled_back", "{:?}", f.reason);
    assert_eq!(f.source_restored, Some(true));
    t.advance_to(SimTime::from_ms(40_000), u64::MAX);
    assert_eq!(report(t.sim()), done);
}

#[test]
fn faults_that_would_rewrite_the_past_are_refused_with_a_reason() {
    let mut sim = Simulation::new(Scenario::default()).unwrap();
    let refused = |sim: &mut Simulation, fault: Fault| {
        let before = sim.command_log().len();
        let e = sim.command(Command::MigrationFault { fault }).unwrap_err();
        assert_eq!(
            sim.command_log().len(),
            before,
            "a refused command is not logged"
        );
        e.to_string()
    };
    assert!(refused(&mut sim, Fault::CutoverFailure).contains("no migration is running"));
    sim.advance_to(SimTime::from_ms(1_000), u64::MAX);
    sim.command(start(&spec(Strategy::BigBang, 2_000))).unwrap();
    let again = sim
        .command(start(&spec(Strategy::BigBang, 500)))
        .unwrap_err();
    assert!(
        again.to_string().contains("a migration is running"),
        "{again}"
    );
    let e = refused(
        &mut sim,
        Fault::WorkerCrash {
            at_ms: 999,
            worker: 0,
        },
    );
    assert!(e.contains("lies in the past"), "{e}");
    sim.advance_to(SimTime::from_ms(1_300), u64::MAX);
    let bad_rows = Fault::UnconvertibleRows {
        table: "customers".into(),
        one_in: 3,
    };
    assert!(refused(&mut sim, bad_rows).contains("before the snapshot"));
    run_until_done(&mut sim, 60_000);
    assert!(refused(&mut sim, Fault::CutoverFailure).contains("has finished"));
    let mut big = spec(Strategy::BlueGreen, 10_001);
    big.rows = 10_001;
    let e = sim.command(start(&big)).unwrap_err().to_string();
    assert!(e.contains("at most 10000 records"), "{e}");
    // A finished migration can be followed by a new one.
    sim.command(start(&spec(Strategy::CopyAndSwitch, 500)))
        .unwrap();
}

#[test]
fn a_batch_timeout_is_retried_and_a_failed_cutover_rolls_back() {
    let mut sim = Simulation::new(Scenario::default()).unwrap();
    sim.command(start(&spec(Strategy::BigBang, 2_000))).unwrap();
    sim.command(Command::MigrationFault {
        fault: Fault::BatchTimeout { batch: 0, times: 1 },
    })
    .unwrap();
    sim.command(Command::MigrationFault {
        fault: Fault::CutoverFailure,
    })
    .unwrap();
    run_until_done(&mut sim, 300_000);
    let r = report(&sim);
    assert_eq!(r.retries, 1);
    assert_eq!(r.outcome, "rolled_back");
    assert_eq!(r.source_restored, Some(true));
    assert!(sim.event_log().any(|e| e.text.contains("retry 1")));
}

#[test]
fn documents_to_sql_runs_inside_the_simulation_too() {
    let mut s = spec(Strategy::BlueGreen, 1_000);
    s.dataset = "profiles".into();
    s.config.direction = migrascope::sim::migrate::Direction::DocsToSql;
    s.config.error_budget_records = 1_000;
    let mut sim = Simulation::new(Scenario::default()).unwrap();
    sim.command(start(&s)).unwrap();
    run_until_done(&mut sim, 120_000);
    let r = report(&sim);
    assert_eq!(r.outcome, "complete", "{:?}", r.reason);
    assert_eq!(r.direction, "docs_to_sql");
}

#[test]
fn documents_to_documents_runs_inside_the_simulation_too() {
    let mut s = spec(Strategy::BlueGreen, 500);
    s.dataset = "users".into();
    s.config.direction = migrascope::sim::migrate::Direction::DocsToDocs;
    let mut sim = Simulation::new(Scenario::default()).unwrap();
    sim.command(start(&s)).unwrap();
    run_until_done(&mut sim, 120_000);
    assert!(matches!(sim.migration().unwrap().job(), Job::DocsToDocs(_)));
    let r = report(&sim);
    assert_eq!(r.outcome, "complete", "{:?}", r.reason);
    assert!(r.verified);
    assert_eq!(r.direction, "docs_to_docs");
}

#[test]
fn sql_to_sql_runs_inside_the_simulation_too() {
    let mut s = spec(Strategy::BlueGreen, 500);
    s.config.direction = migrascope::sim::migrate::Direction::SqlToSql;
    s.schema_change.up_script =
        "ALTER TABLE customers ADD COLUMN tier TEXT DEFAULT 'basic';".into();
    let mut sim = Simulation::new(Scenario::default()).unwrap();
    sim.command(start(&s)).unwrap();
    run_until_done(&mut sim, 120_000);
    assert!(matches!(sim.migration().unwrap().job(), Job::SqlToSql(_)));
    let r = report(&sim);
    assert_eq!(r.outcome, "complete", "{:?}", r.reason);
    assert!(r.verified);
    assert_eq!(r.direction, "sql_to_sql");
}
