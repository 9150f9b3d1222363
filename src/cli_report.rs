//! The JSON report that `migrascope run` prints: what a run did, in numbers.

use serde::Serialize;

use crate::sim::{Scenario, ScenarioError, SimTime, Simulation, TimedCommand};

#[derive(Serialize)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub simulated_ms: u64,
    pub events_processed: u64,
    /// FNV-1a 64 over every processed event and command, as 16 hex digits.
    pub history_hash: String,
    pub writes_accepted: u64,
    pub writes_rejected: u64,
    pub committed: u64,
    pub messages_sent: u64,
    pub messages_lost: u64,
    pub messages_dropped_link_cut: u64,
    pub messages_dropped_node_down: u64,
    /// Entries each follower is behind the leader at the end (node 1 first).
    pub final_lag_entries: Vec<u64>,
    /// The worst per-window commit latency p99 seen, in ms (the window is the sample interval).
    pub commit_latency_p99_ms_max: Option<f64>,
}

/// Run a scenario with its command log to the scenario's end and build the report.
pub fn run_report(scenario: Scenario, commands: &[TimedCommand]) -> Result<String, ScenarioError> {
    let end = SimTime::from_ms(scenario.duration_ms);
    let sim = Simulation::replay(scenario, commands, end)?;
    let c = &sim.cluster().counters;
    let report = Report {
        scenario: sim.scenario().name.clone(),
        seed: sim.scenario().seed,
        simulated_ms: sim.now().as_us() / 1_000,
        events_processed: sim.events_processed(),
        history_hash: format!("{:016x}", sim.history_hash()),
        writes_accepted: c.writes_accepted,
        writes_rejected: c.writes_rejected,
        committed: c.committed,
        messages_sent: c.messages_sent,
        messages_lost: c.dropped_lost,
        messages_dropped_link_cut: c.dropped_link_cut,
        messages_dropped_node_down: c.dropped_node_down,
        final_lag_entries: sim
            .cluster()
            .followers()
            .map(|f| sim.cluster().lag_entries(f))
            .collect(),
        commit_latency_p99_ms_max: sim
            .metrics()
            .commit_latency_p99_ms
            .points()
            .map(|p| p.1)
            .reduce(f64::max),
    };
    Ok(serde_json::to_string_pretty(&report).expect("report serialises"))
}
