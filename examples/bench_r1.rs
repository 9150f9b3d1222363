//! Reference load R1 (tests/scenarios/r1.json): 5 nodes, leaderless N=3 R=2 W=2 quorums,
//! 80/20 reads/writes at 1 000 operations/s, 5–50 ms links, one partition and heal per
//! simulated minute, 10 simulated minutes. Prints simulated events per second (release build:
//! `cargo run --release --example bench_r1`). The checker is not part of the timing.

use std::time::Instant;

use migrascope::sim::{Scenario, SimTime, Simulation};

fn main() {
    let text = include_str!("../tests/scenarios/r1.json");
    let scenario = Scenario::from_json(text).expect("R1 is valid");
    let end = SimTime::from_ms(scenario.duration_ms);
    let mut best = f64::MAX;
    let mut events = 0;
    for _ in 0..3 {
        let mut sim = Simulation::new(scenario.clone()).expect("valid");
        let t = Instant::now();
        sim.advance_to(end, u64::MAX);
        let s = t.elapsed().as_secs_f64();
        best = best.min(s);
        events = sim.events_processed();
        eprintln!("{}", sim.summary());
    }
    println!(
        "R1 native: {events} events in {best:.3} s (best of 3) = {:.0} events/s",
        events as f64 / best
    );
}
