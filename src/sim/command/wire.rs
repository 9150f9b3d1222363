//! Reading a [`Command`] from JSON with its `kind` first (see [`crate::sim::kind_first`]):
//! the mirror below is the externally tagged form serde derives the field reading for.

use serde::Deserialize;

use super::{Command, NodeId};
use crate::sim::migrate::{Fault, MigrationSpec};
use crate::sim::net::Latency;
use crate::sim::repl::workload::WorkloadParams;
use crate::sim::repl::ReplicationParams;

/// The variants of [`Command`] as serde's externally tagged form: the derive writes the
/// field-by-field reading (with unknown fields refused).
#[derive(Deserialize)]
#[serde(remote = "Command", rename_all = "snake_case", deny_unknown_fields)]
enum Wire {
    SetOpRate {
        per_s: u32,
    },
    SetClockSkew {
        node: NodeId,
        ms: i64,
    },
    Configure {
        replication: ReplicationParams,
    },
    SetWorkload {
        workload: WorkloadParams,
    },
    SetLatency {
        latency: Latency,
    },
    SetLoss {
        loss: f64,
    },
    CutLink {
        a: NodeId,
        b: NodeId,
    },
    CutOneWay {
        from: NodeId,
        to: NodeId,
    },
    HealLink {
        a: NodeId,
        b: NodeId,
    },
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    HealPartition,
    HealAll,
    LagSpike {
        a: NodeId,
        b: NodeId,
        extra_ms: u64,
        duration_ms: u64,
    },
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    StartMigration {
        spec: Box<MigrationSpec>,
    },
    MigrationFault {
        fault: Fault,
    },
}

impl super::super::kind_first::KindFirst for Command {
    const WHAT: &'static str = "a command";
    fn read_variant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Command, D::Error> {
        Wire::deserialize(d)
    }
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Command, D::Error> {
        super::super::kind_first::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::TimedCommand;

    fn every_kind() -> Vec<Command> {
        vec![
            Command::SetOpRate { per_s: 1 },
            Command::SetClockSkew { node: 1, ms: -5 },
            Command::Configure {
                replication: ReplicationParams::default(),
            },
            Command::SetWorkload {
                workload: WorkloadParams::default(),
            },
            Command::SetLatency {
                latency: Latency::Constant { ms: 3.0 },
            },
            Command::SetLoss { loss: 0.5 },
            Command::CutLink { a: 0, b: 1 },
            Command::CutOneWay { from: 1, to: 0 },
            Command::HealLink { a: 0, b: 1 },
            Command::Partition {
                groups: vec![vec![0], vec![1, 2]],
            },
            Command::HealPartition,
            Command::HealAll,
            Command::LagSpike {
                a: 0,
                b: 1,
                extra_ms: 5,
                duration_ms: 9,
            },
            Command::Crash { node: 1 },
            Command::Restart { node: 1 },
            Command::StartMigration {
                spec: Box::default(),
            },
            Command::MigrationFault {
                fault: Fault::BatchTimeout { batch: 0, times: 1 },
            },
        ]
    }

    #[test]
    fn every_kind_reads_back_what_was_written() {
        for c in every_kind() {
            let j = serde_json::to_string(&c).unwrap();
            assert!(j.starts_with("{\"kind\":"), "{j}");
            assert_eq!(serde_json::from_str::<Command>(&j).unwrap(), c, "{j}");
            let timed = TimedCommand {
                at: crate::sim::SimTime::from_ms(3),
                command: c.clone(),
            };
            let j = serde_json::to_string(&timed).unwrap();
            assert_eq!(serde_json::from_str::<TimedCommand>(&j).unwrap(), timed);
        }
    }

    #[test]
    fn kind_may_come_anywhere_in_hand_written_json() {
        let c: Command = serde_json::from_str(r#"{"a": 0, "b": 2, "kind": "cut_link"}"#).unwrap();
        assert_eq!(c, Command::CutLink { a: 0, b: 2 });
        let c: Command = serde_json::from_str(r#"{ "kind" : "heal_all" }"#).unwrap();
        assert_eq!(c, Command::HealAll);
    }

    #[test]
    fn bad_commands_are_named() {
        let err = |j: &str| serde_json::from_str::<Command>(j).unwrap_err().to_string();
        assert!(err(r#"{"kind":"cut_link","a":0,"b":2,"c":1}"#).contains("unknown field `c`"));
        assert!(err(r#"{"kind":"heal_all","x":1}"#).contains("unknown field `x`"));
        assert!(err(r#"{"a":0,"b":2,"c":1,"kind":"cut_link"}"#).contains("unknown field `c`"));
        assert!(err(r#"{"kind":"cut_link","a":0}"#).contains("missing field `b`"));
        assert!(err(r#"{"a":0}"#).contains("missing field `kind`"));
        assert!(err(r#"{}"#).contains("missing field `kind`"));
        assert!(err(r#"{"kind":"melt"}"#).contains("unknown variant `melt`"));
        assert!(err(r#"{"kind":"crash","node":"x"}"#).contains("invalid type"));
        assert!(err(r#"[1]"#).contains("invalid type"));
    }
}
