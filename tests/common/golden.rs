// The reference run that must give the same history hash natively and in the browser.
// Shared by tests/determinism.rs (native) and tests/web.rs (wasm32) via `#[path]`.

use migrascope::sim::{Command, Scenario, SimTime, Simulation, TimedCommand};

/// A scenario that exercises every command kind, both scheduled and issued live.
pub fn golden_scenario() -> Scenario {
    let mut s = Scenario {
        name: "golden".into(),
        seed: 20_261_121,
        duration_ms: 20_000,
        ..Scenario::default()
    };
    s.workload.write_rate_per_s = 80;
    s.network.loss = 0.05;
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

/// Commands as a user would issue them live, at their simulated times.
pub fn golden_commands() -> Vec<TimedCommand> {
    let at = |ms, command| TimedCommand {
        at: SimTime::from_ms(ms),
        command,
    };
    vec![
        at(
            1_000,
            Command::SetLatency {
                min_ms: 2,
                max_ms: 80,
            },
        ),
        at(2_500, Command::Crash { node: 3 }),
        at(4_000, Command::SetLoss { loss: 0.2 }),
        at(5_000, Command::Restart { node: 3 }),
        at(7_000, Command::CutLink { a: 0, b: 2 }),
        at(7_000, Command::CutLink { a: 0, b: 4 }),
        at(9_000, Command::HealAll),
        at(10_000, Command::SetWriteRate { per_s: 300 }),
        at(12_000, Command::Crash { node: 0 }),
        at(13_000, Command::Restart { node: 0 }),
        at(15_000, Command::SetWriteRate { per_s: 0 }),
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
pub const GOLDEN_HASH: u64 = 0xb1f6_7849_d2c3_1c7f;
