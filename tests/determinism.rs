//! Same scenario + same command log = same history, every time; another seed = another history.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/golden.rs"]
mod golden;

use golden::*;
use migrascope::sim::{Command, Scenario, SimTime, Simulation};

#[test]
fn golden_run_matches_the_recorded_hash() {
    let sim = golden_run();
    assert_eq!(
        sim.history_hash(),
        GOLDEN_HASH,
        "golden history hash changed: {:#018x} (events {}); if the model changed on purpose, \
         set GOLDEN_HASH in tests/common/golden.rs to this value",
        sim.history_hash(),
        sim.events_processed()
    );
    assert!(sim.events_processed() > 10_000);
}

#[test]
fn replay_twice_gives_the_same_hash_and_state() {
    let a = golden_run();
    let b = golden_run();
    assert_eq!(a.history_hash(), b.history_hash());
    assert_eq!(a.summary(), b.summary());
    assert_eq!(a.command_log(), b.command_log());
}

#[test]
fn live_commands_replay_exactly() {
    // Drive a run the way the page does (uneven frames, commands between frames), then replay
    // its recorded command log from scratch: the histories must agree.
    let mut live = Simulation::new(golden_scenario()).unwrap();
    let mut frame_us = 7_000;
    let mut issued = golden_commands().into_iter().peekable();
    while live.now() < SimTime::from_ms(20_000) {
        let target = live.now() + migrascope::sim::SimDuration(frame_us);
        live.advance_to(target.min(SimTime::from_ms(20_000)), 500);
        frame_us = frame_us * 7 % 23_000 + 1_000;
        while issued.peek().is_some_and(|c| c.at <= live.now()) {
            live.command(issued.next().unwrap().command).unwrap();
        }
    }
    let replayed = Simulation::replay(golden_scenario(), live.command_log(), live.now()).unwrap();
    assert_eq!(
        live.history_hash(),
        replayed.history_hash(),
        "seed {}",
        golden_scenario().seed
    );
    assert_eq!(live.summary(), replayed.summary());
}

#[test]
fn another_seed_gives_another_history() {
    let base = golden_run().history_hash();
    for seed in [1u64, 2, 3, 99] {
        let s = Scenario {
            seed,
            ..golden_scenario()
        };
        let end = SimTime::from_ms(s.duration_ms);
        let other = Simulation::replay(s, &golden_commands(), end).unwrap();
        assert_ne!(other.history_hash(), base, "seed {seed}");
    }
}

#[test]
fn a_different_command_changes_the_history() {
    let mut cmds = golden_commands();
    cmds[1].command = Command::Crash { node: 2 };
    let s = golden_scenario();
    let end = SimTime::from_ms(s.duration_ms);
    let other = Simulation::replay(s, &cmds, end).unwrap();
    assert_ne!(other.history_hash(), golden_run().history_hash());
}

#[test]
fn many_seeds_run_without_panics_and_keep_invariants() {
    for seed in 0..40u64 {
        let mut s = Scenario {
            seed,
            ..golden_scenario()
        };
        s.duration_ms = 8_000;
        let end = SimTime::from_ms(s.duration_ms);
        let sim = Simulation::replay(s, &golden_commands(), end)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let c = sim.cluster();
        let k = &c.counters;
        let done = k.ops_ok + k.ops_failed + k.ops_unknown;
        assert!(done <= k.ops_started, "seed {seed}");
        assert!(
            k.ops_started - done <= 16,
            "seed {seed}: at most one per session open"
        );
        assert_eq!(k.ops_ok, k.reads_ok + k.writes_ok, "seed {seed}");
        let h = c.history();
        h.validate().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}
