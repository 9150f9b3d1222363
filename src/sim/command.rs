//! User commands: the only way anything outside the model changes it. Each enters the model
//! with the simulated time at which it was issued, so `(scenario, command log)` replays a run
//! exactly. Commands are plain data so they can be saved in files and URLs.

use serde::{Deserialize, Serialize};

use super::hash::Fnv64;
use super::migrate::{Fault, MigrationSpec, Strategy};
use super::net::Latency;
use super::repl::workload::WorkloadParams;
use super::repl::ReplicationParams;
use super::time::SimTime;

mod wire;

/// Node numbers are indices into the cluster, `0 ..= nodes - 1`.
pub type NodeId = u32;

/// Written as JSON internally tagged by `kind`; read by [`wire`], which reads the `kind` first.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Command {
    /// Change the clients' operation rate (operations per simulated second).
    SetOpRate { per_s: u32 },
    /// Set one node's clock offset, in ms (last-writer-wins timestamps use it).
    SetClockSkew { node: NodeId, ms: i64 },
    /// Change any replication setting: protocol, quorums, CP/AP, conflict policy...
    Configure { replication: ReplicationParams },
    /// Change the workload: mix, keys and their distribution, routing, session guarantees.
    SetWorkload { workload: WorkloadParams },
    /// Change every link's latency distribution.
    SetLatency { latency: Latency },
    /// Change the message loss probability (0.0 ..= 1.0) of every link.
    SetLoss { loss: f64 },
    /// Cut the link between two nodes in both directions.
    CutLink { a: NodeId, b: NodeId },
    /// Cut only the direction `from -> to`; replies still flow the other way.
    CutOneWay { from: NodeId, to: NodeId },
    /// Restore the link between two nodes (both directions).
    HealLink { a: NodeId, b: NodeId },
    /// Split the cluster into groups that cannot reach each other; nodes not named form one
    /// more group together.
    Partition { groups: Vec<Vec<NodeId>> },
    /// End the partition (cut links stay cut).
    HealPartition,
    /// Restore every link and end any partition.
    HealAll,
    /// Add `extra_ms` to the latency of the link between `a` and `b` for `duration_ms`.
    LagSpike {
        a: NodeId,
        b: NodeId,
        extra_ms: u64,
        duration_ms: u64,
    },
    /// Stop a node: it drops every message until restarted.
    Crash { node: NodeId },
    /// Start a crashed node again.
    Restart { node: NodeId },
    /// Start a migration job next to the cluster (a finished one is replaced). Copy
    /// strategies only (big-bang, copy-and-switch, blue-green), at most
    /// [`MIGRATION_ROWS_MAX`] records: the timeline's checkpoints copy the job.
    StartMigration { spec: Box<MigrationSpec> },
    /// Inject a failure into the running migration. Times (`at_ms`) are simulated ms and may
    /// not lie in the past; a fault may not change what the job has already done.
    MigrationFault { fault: Fault },
}

/// Most records a migration inside the simulation may hold (larger ones: `migrascope run`).
pub const MIGRATION_ROWS_MAX: u64 = 10_000;

/// A command and the simulated time at which it takes effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedCommand {
    /// Simulated time in microseconds.
    pub at: SimTime,
    pub command: Command,
}

impl Command {
    /// Fold this command into a history hash. The encoding is explicit (a tag byte and the
    /// fields), so it cannot change when a serialisation library does.
    pub fn hash_into(&self, h: &mut Fnv64) {
        let nodes = |h: &mut Fnv64, ns: &[NodeId]| {
            h.write_u64(ns.len() as u64);
            for &n in ns {
                h.write_u64(n.into());
            }
        };
        match self {
            Command::SetOpRate { per_s } => {
                h.write_u8(1);
                h.write_u64((*per_s).into());
            }
            Command::SetLatency { latency } => {
                h.write_u8(2);
                hash_latency(latency, h);
            }
            Command::SetLoss { loss } => {
                h.write_u8(3);
                h.write_u64(loss.to_bits());
            }
            Command::CutLink { a, b } => {
                h.write_u8(4);
                nodes(h, &[*a, *b]);
            }
            Command::HealLink { a, b } => {
                h.write_u8(5);
                nodes(h, &[*a, *b]);
            }
            Command::HealAll => h.write_u8(6),
            Command::Crash { node } => {
                h.write_u8(7);
                nodes(h, &[*node]);
            }
            Command::Restart { node } => {
                h.write_u8(8);
                nodes(h, &[*node]);
            }
            Command::CutOneWay { from, to } => {
                h.write_u8(9);
                nodes(h, &[*from, *to]);
            }
            Command::Partition { groups } => {
                h.write_u8(10);
                h.write_u64(groups.len() as u64);
                for g in groups {
                    nodes(h, g);
                }
            }
            Command::HealPartition => h.write_u8(11),
            Command::SetClockSkew { node, ms } => {
                h.write_u8(13);
                nodes(h, &[*node]);
                h.write_u64(*ms as u64);
            }
            Command::Configure { replication } => {
                h.write_u8(14);
                h.write_str(&serde_json::to_string(replication).expect("plain data"));
            }
            Command::SetWorkload { workload } => {
                h.write_u8(15);
                h.write_str(&serde_json::to_string(workload).expect("plain data"));
            }
            Command::LagSpike {
                a,
                b,
                extra_ms,
                duration_ms,
            } => {
                h.write_u8(12);
                nodes(h, &[*a, *b]);
                h.write_u64(*extra_ms);
                h.write_u64(*duration_ms);
            }
            Command::StartMigration { spec } => {
                h.write_u8(16);
                h.write_str(&serde_json::to_string(spec).expect("plain data"));
            }
            Command::MigrationFault { fault } => {
                h.write_u8(17);
                h.write_str(&serde_json::to_string(fault).expect("plain data"));
            }
        }
    }

    /// The checks a migration command passes whatever the simulation's state (the engine
    /// checks the rest: a job running, a fault that cannot rewrite the past).
    pub fn validate_migration(&self) -> Result<(), String> {
        match self {
            Command::StartMigration { spec } => {
                if !Strategy::ALL.contains(&spec.config.strategy) {
                    return Err(format!(
                        "{} changes the live store and has no copy job; the page runs \
                         big_bang, copy_and_switch and blue_green",
                        spec.config.strategy.name()
                    ));
                }
                if spec.rows > MIGRATION_ROWS_MAX {
                    return Err(format!(
                        "a migration inside the simulation holds at most {MIGRATION_ROWS_MAX} \
                         records, not {} (use `migrascope run` for larger ones)",
                        spec.rows
                    ));
                }
                spec.validate().map_err(|e| e.to_string())
            }
            Command::MigrationFault { fault } => fault.validate().map_err(|e| e.to_string()),
            _ => Ok(()),
        }
    }

    /// One line for the event log.
    pub fn describe(&self) -> String {
        let list = |ns: &[NodeId]| {
            ns.iter()
                .map(|n| format!("n{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Command::SetOpRate { per_s } => format!("operation rate set to {per_s}/s"),
            Command::SetClockSkew { node, ms } => format!("clock of n{node} set {ms:+} ms off"),
            Command::Configure { replication } => {
                format!("replication: {}", replication.describe())
            }
            Command::SetWorkload { workload } => format!(
                "workload: {}/s, {:.0}% reads, {} keys",
                workload.ops_per_s,
                workload.read_fraction * 100.0,
                workload.keys
            ),
            Command::SetLatency { latency } => format!("link latency set to {}", latency.label()),
            Command::SetLoss { loss } => format!("message loss set to {:.1}%", loss * 100.0),
            Command::CutLink { a, b } => format!("link n{a}–n{b} cut"),
            Command::CutOneWay { from, to } => format!("link n{from}→n{to} cut (one way)"),
            Command::HealLink { a, b } => format!("link n{a}–n{b} healed"),
            Command::Partition { groups } => format!(
                "partition: {} | the rest",
                groups
                    .iter()
                    .map(|g| format!("{{{}}}", list(g)))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
            Command::HealPartition => "partition healed".into(),
            Command::HealAll => "all links healed".into(),
            Command::LagSpike {
                a,
                b,
                extra_ms,
                duration_ms,
            } => {
                format!("lag spike on n{a}–n{b}: +{extra_ms} ms for {duration_ms} ms")
            }
            Command::Crash { node } => format!("node n{node} crashed"),
            Command::Restart { node } => format!("node n{node} restarted"),
            Command::StartMigration { spec } => format!(
                "migration started: {}, {}, {} records",
                spec.config.strategy.name().replace('_', "-"),
                direction_words(spec),
                spec.rows
            ),
            Command::MigrationFault { fault } => format!("migration fault: {}", fault_words(fault)),
        }
    }
}

fn direction_words(spec: &MigrationSpec) -> &'static str {
    match spec.config.direction {
        super::migrate::Direction::SqlToDocs => "SQL to documents",
        super::migrate::Direction::DocsToSql => "documents to SQL",
        super::migrate::Direction::DocsToDocs => "documents to documents (schema change)",
        super::migrate::Direction::SqlToSql => "SQL to SQL (schema change)",
    }
}

/// A migration fault in words, for the event log.
pub fn fault_words(f: &Fault) -> String {
    match f {
        Fault::UnconvertibleRows { table, one_in } => {
            format!("every {one_in}th {table} record cannot be converted")
        }
        Fault::BatchTimeout { batch, times } => {
            format!("copy batch {batch} times out {}", times_words(*times))
        }
        Fault::WorkerCrash { at_ms, worker } => {
            format!("worker {worker} crashes at {:.3} s", *at_ms as f64 / 1e3)
        }
        Fault::LagSpike { at_ms, duration_ms } => format!(
            "the change applier stalls for {:.1} s from {:.3} s",
            *duration_ms as f64 / 1e3,
            *at_ms as f64 / 1e3
        ),
        Fault::CutoverFailure => "the routing switch at cut-over fails".into(),
        Fault::ErrorRateSpike {
            at_ms,
            duration_ms,
            percent,
        } => format!(
            "{percent}% of the application's requests fail for {:.1} s from {:.3} s",
            *duration_ms as f64 / 1e3,
            *at_ms as f64 / 1e3
        ),
    }
}

fn times_words(n: u32) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

/// Fold a latency distribution into a hash: a tag byte and the parameters' bits.
fn hash_latency(l: &Latency, h: &mut Fnv64) {
    let (tag, a, b) = match *l {
        Latency::Constant { ms } => (1, ms, 0.0),
        Latency::Uniform { min_ms, max_ms } => (2, min_ms, max_ms),
        Latency::Exponential { min_ms, mean_ms } => (3, min_ms, mean_ms),
        Latency::LogNormal { median_ms, sigma } => (4, median_ms, sigma),
    };
    h.write_u8(tag);
    h.write_u64(a.to_bits());
    h.write_u64(b.to_bits());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_tagged() {
        let c = TimedCommand {
            at: SimTime(1_500),
            command: Command::CutLink { a: 0, b: 2 },
        };
        let j = serde_json::to_string(&c).unwrap();
        assert_eq!(
            j,
            r#"{"at":1500,"command":{"kind":"cut_link","a":0,"b":2}}"#
        );
        assert_eq!(serde_json::from_str::<TimedCommand>(&j).unwrap(), c);
    }

    #[test]
    fn distinct_commands_hash_differently() {
        let all = [
            Command::SetOpRate { per_s: 1 },
            Command::SetLatency {
                latency: Latency::Constant { ms: 3.0 },
            },
            Command::SetLatency {
                latency: Latency::Constant { ms: 4.0 },
            },
            Command::CutOneWay { from: 0, to: 1 },
            Command::CutOneWay { from: 1, to: 0 },
            Command::Partition {
                groups: vec![vec![0], vec![1, 2]],
            },
            Command::Partition {
                groups: vec![vec![0, 1], vec![2]],
            },
            Command::HealPartition,
            Command::LagSpike {
                a: 0,
                b: 1,
                extra_ms: 5,
                duration_ms: 9,
            },
            Command::SetLoss { loss: 0.5 },
            Command::CutLink { a: 0, b: 1 },
            Command::HealLink { a: 0, b: 1 },
            Command::HealAll,
            Command::Crash { node: 1 },
            Command::Restart { node: 1 },
            Command::SetClockSkew { node: 1, ms: -5 },
            Command::Configure {
                replication: ReplicationParams::default(),
            },
            Command::SetWorkload {
                workload: WorkloadParams::default(),
            },
            Command::StartMigration {
                spec: Box::default(),
            },
            Command::MigrationFault {
                fault: Fault::CutoverFailure,
            },
            Command::MigrationFault {
                fault: Fault::BatchTimeout { batch: 0, times: 1 },
            },
        ];
        let hashes: std::collections::BTreeSet<u64> = all
            .iter()
            .map(|c| {
                let mut h = Fnv64::new();
                c.hash_into(&mut h);
                h.finish()
            })
            .collect();
        assert_eq!(hashes.len(), all.len());
    }

    #[test]
    fn migration_commands_are_checked_and_described() {
        let mut spec = MigrationSpec::default();
        let start = |spec: &MigrationSpec| Command::StartMigration {
            spec: Box::new(spec.clone()),
        };
        assert_eq!(start(&spec).validate_migration(), Ok(()));
        assert_eq!(
            start(&spec).describe(),
            "migration started: blue-green, SQL to documents, 300 records"
        );
        spec.rows = MIGRATION_ROWS_MAX + 1;
        assert!(start(&spec)
            .validate_migration()
            .unwrap_err()
            .contains("at most 10000"));
        spec.rows = 300;
        spec.config.strategy = Strategy::InPlace;
        assert!(start(&spec)
            .validate_migration()
            .unwrap_err()
            .contains("no copy job"));
        spec.config.strategy = Strategy::BigBang;
        spec.config.workers = 0;
        assert_eq!(
            start(&spec).validate_migration().unwrap_err(),
            "workers = 0 is out of range (1 ..= 64)"
        );
        let bad = Command::MigrationFault {
            fault: Fault::LagSpike {
                at_ms: 5,
                duration_ms: 0,
            },
        };
        assert!(bad.validate_migration().is_err());
        let j = r#"{"kind":"migration_fault","fault":{"kind":"cutover_failure"}}"#;
        let c: Command = serde_json::from_str(j).unwrap();
        assert_eq!(
            c.describe(),
            "migration fault: the routing switch at cut-over fails"
        );
    }
}
