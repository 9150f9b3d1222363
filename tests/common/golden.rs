// The reference run that must give the same history hash natively and in the browser.
// Shared by tests/determinism.rs (native) and tests/web.rs (wasm32) via `#[path]`.

use migrascope::sim::net::Latency;
use migrascope::sim::repl::workload::{KeyDist, WorkloadParams};
use migrascope::sim::repl::{Mode, ReplicationParams};
use migrascope::sim::{Command, Scenario, SimTime, Simulation, TimedCommand};

/// A scenario that exercises every command kind, both scheduled and issued live.
pub fn golden_scenario() -> Scenario {
    let mut s = Scenario {
        name: "golden".into(),
        seed: 20_261_121,
        duration_ms: 20_000,
        ..Scenario::default()
    };
    s.workload.ops_per_s = 200;
    s.workload.keys = 20;
    s.network.loss = 0.05;
    s.network.duplicate = 0.02;
    s.network.reorder = 0.05;
    s.network.latency = Latency::LogNormal {
        median_ms: 15.0,
        sigma: 0.6,
    };
    s.faults = vec![
        TimedCommand {
            at: SimTime::from_ms(3_000),
            command: Command::CutLink { a: 0, b: 1 },
        },
        TimedCommand {
            at: SimTime::from_ms(6_000),
            command: Command::HealLink { a: 0, b: 1 },
        },
    ];
    s
}

/// Commands as a user would issue them live, at their simulated times: every command kind.
pub fn golden_commands() -> Vec<TimedCommand> {
    let at = |ms, command| TimedCommand {
        at: SimTime::from_ms(ms),
        command,
    };
    let uniform = Latency::Uniform {
        min_ms: 2.0,
        max_ms: 80.0,
    };
    let exponential = Latency::Exponential {
        min_ms: 1.0,
        mean_ms: 10.0,
    };
    vec![
        at(1_000, Command::SetLatency { latency: uniform }),
        at(
            1_500,
            Command::LagSpike {
                a: 0,
                b: 2,
                extra_ms: 400,
                duration_ms: 1_500,
            },
        ),
        at(2_500, Command::Crash { node: 3 }),
        at(4_000, Command::SetLoss { loss: 0.2 }),
        at(5_000, Command::Restart { node: 3 }),
        at(7_000, Command::CutLink { a: 0, b: 2 }),
        at(7_000, Command::CutLink { a: 0, b: 4 }),
        at(8_000, Command::CutOneWay { from: 3, to: 0 }),
        at(9_000, Command::HealAll),
        at(
            9_500,
            Command::Partition {
                groups: vec![vec![0, 1], vec![2]],
            },
        ),
        at(10_000, Command::SetOpRate { per_s: 300 }),
        at(10_500, Command::SetClockSkew { node: 2, ms: 40 }),
        at(11_000, Command::HealPartition),
        at(
            11_500,
            Command::SetLatency {
                latency: exponential,
            },
        ),
        at(12_000, Command::Crash { node: 0 }),
        at(13_000, Command::Restart { node: 0 }),
        at(14_000, Command::HealLink { a: 0, b: 1 }),
        at(15_000, Command::SetOpRate { per_s: 0 }),
        at(
            16_000,
            Command::Configure {
                replication: ReplicationParams {
                    mode: Mode::SingleLeader,
                    ..ReplicationParams::default()
                },
            },
        ),
        at(
            17_000,
            Command::SetWorkload {
                workload: WorkloadParams {
                    ops_per_s: 150,
                    keys: 30,
                    key_dist: KeyDist::Zipf { s: 1.1 },
                    ..WorkloadParams::default()
                },
            },
        ),
    ]
}

pub fn golden_run() -> Simulation {
    let s = golden_scenario();
    let end = SimTime::from_ms(s.duration_ms);
    Simulation::replay(s, &golden_commands(), end).expect("golden scenario is valid")
}

/// The history hash of `golden_run()`, recorded from a native run. When the model changes on
/// purpose, update it from the failure message of `tests/determinism.rs`; the browser test
/// then checks that wasm agrees with the new value.
pub const GOLDEN_HASH: u64 = 0x421d_efb8_af67_74d6;
