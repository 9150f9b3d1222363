//! The JSON report that `migrascope run` prints: what a run did, in numbers, with the
//! consistency checker's findings over every recorded operation.

use serde::Serialize;

use crate::sim::checker::pbs::miss_probability;
use crate::sim::checker::report::{check, CheckOptions, CheckReport};
use crate::sim::repl::Mode;
use crate::sim::{Scenario, ScenarioError, SimTime, Simulation, TimedCommand};

#[derive(Serialize)]
pub struct Operations {
    pub started: u64,
    pub ok: u64,
    /// Refused: definitely not applied.
    pub failed: u64,
    /// Timed out: may or may not have been applied.
    pub unknown: u64,
    pub reads_ok: u64,
    pub writes_ok: u64,
    /// ok / (ok + failed + unknown).
    pub availability: Option<f64>,
    /// Successful reads that missed an acknowledged write, as the model saw it.
    pub stale_reads: u64,
    pub stale_read_share: Option<f64>,
}

#[derive(Serialize)]
pub struct Latency {
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

#[derive(Serialize)]
pub struct Messages {
    pub sent: u64,
    pub lost: u64,
    pub dropped_link_cut: u64,
    pub dropped_partitioned: u64,
    pub dropped_node_down: u64,
    pub dropped_buffer_full: u64,
}

#[derive(Serialize)]
pub struct Replication {
    pub setting: String,
    pub elections: u64,
    pub read_repairs: u64,
    pub hints_handed_off: u64,
    /// Concurrent versions met at a replica (each counted once).
    pub conflicts: u64,
    /// Acknowledged writes that conflict resolution (or a leader's log) threw away.
    pub lost_updates: u64,
    /// Keys on which the replicas disagree at the end.
    pub divergent_keys: usize,
    /// How long the replicas took to agree after the last heal, ms (None: no heal, or not yet).
    pub last_convergence_ms: Option<u64>,
    /// Each node's store fingerprint (the data layer's checksum of its SQL table or document
    /// collection), node 0 first.
    pub store_fingerprints: Vec<String>,
    /// Whether every node's store is identical (only when every node holds every key).
    pub stores_identical: Option<bool>,
    /// Leaderless only: the PBS closed form C(N-W, R) / C(N, R), the chance that a read quorum
    /// misses every replica of a write quorum.
    pub pbs_closed_form_stale: Option<f64>,
}

#[derive(Serialize)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub simulated_ms: u64,
    pub events_processed: u64,
    /// FNV-1a 64 over every processed event and command, as 16 hex digits.
    pub history_hash: String,
    pub operations: Operations,
    pub latency: Latency,
    pub messages: Messages,
    pub replication: Replication,
    /// The checker over the recorded history (registers only; merge data types are not
    /// checked).
    pub checker: Option<CheckReport>,
    pub checker_error: Option<String>,
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Build the report of a finished run.
pub fn report(sim: &Simulation) -> Report {
    let cl = sim.cluster();
    let c = &cl.counters;
    let p = &cl.params;
    let fingerprints = cl.fingerprints(p.store);
    let pbs = (p.mode == Mode::Leaderless && !p.abd)
        .then(|| miss_probability(p.n, p.r, p.w).ok())
        .flatten();
    let (checker, checker_error) = if p.mode == Mode::SingleLeader || p.conflict.is_register() {
        match check(&cl.history(), &CheckOptions::default()) {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e.to_string())),
        }
    } else {
        (
            None,
            Some(
                "merge data types (counters, sets) are not registers; the checker does not apply"
                    .into(),
            ),
        )
    };
    let lat = |q| cl.latency_all.percentile(q).map(|us| us as f64 / 1e3);
    Report {
        scenario: sim.scenario().name.clone(),
        seed: sim.scenario().seed,
        simulated_ms: sim.now().as_us() / 1_000,
        events_processed: sim.events_processed(),
        history_hash: format!("{:016x}", sim.history_hash()),
        operations: Operations {
            started: c.ops_started,
            ok: c.ops_ok,
            failed: c.ops_failed,
            unknown: c.ops_unknown,
            reads_ok: c.reads_ok,
            writes_ok: c.writes_ok,
            availability: share(c.ops_ok, c.ops_ok + c.ops_failed + c.ops_unknown),
            stale_reads: c.stale_reads,
            stale_read_share: share(c.stale_reads, c.reads_ok),
        },
        latency: Latency {
            p50_ms: lat(50),
            p95_ms: lat(95),
            p99_ms: lat(99),
        },
        messages: Messages {
            sent: c.messages_sent,
            lost: c.dropped_lost,
            dropped_link_cut: c.dropped_link_cut,
            dropped_partitioned: c.dropped_partitioned,
            dropped_node_down: c.dropped_node_down,
            dropped_buffer_full: c.dropped_buffer_full,
        },
        replication: Replication {
            setting: p.describe(),
            elections: c.elections,
            read_repairs: c.read_repairs,
            hints_handed_off: c.hints_handed_off,
            conflicts: c.conflicts,
            lost_updates: c.lost_updates,
            divergent_keys: cl.divergent_keys(),
            last_convergence_ms: sim.convergence().last_ms,
            stores_identical: (p.mode != Mode::Leaderless || p.n == cl.size())
                .then(|| fingerprints.windows(2).all(|w| w[0] == w[1])),
            store_fingerprints: fingerprints,
            pbs_closed_form_stale: pbs,
        },
        checker,
        checker_error,
    }
}

/// Run a scenario with its command log to the scenario's end and build the report.
pub fn run_report(scenario: Scenario, commands: &[TimedCommand]) -> Result<String, ScenarioError> {
    let end = SimTime::from_ms(scenario.duration_ms);
    let sim = Simulation::replay(scenario, commands, end)?;
    Ok(serde_json::to_string_pretty(&report(&sim)).expect("report serialises"))
}
