//! User commands: the only way anything outside the model changes it. Each enters the model
//! with the simulated time at which it was issued, so `(scenario, command log)` replays a run
//! exactly. Commands are plain data so they can be saved in files and URLs.

use serde::{Deserialize, Serialize};

use super::hash::Fnv64;
use super::time::SimTime;

/// Node numbers are indices into the cluster, `0 ..= nodes - 1`.
pub type NodeId = u32;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Change the client write rate (writes per simulated second).
    SetWriteRate { per_s: u32 },
    /// Change every link's latency range (ms).
    SetLatency { min_ms: u64, max_ms: u64 },
    /// Change the message loss probability (0.0 ..= 1.0).
    SetLoss { loss: f64 },
    /// Cut the link between two nodes in both directions.
    CutLink { a: NodeId, b: NodeId },
    /// Restore the link between two nodes.
    HealLink { a: NodeId, b: NodeId },
    /// Restore every link.
    HealAll,
    /// Stop a node: it drops every message until restarted.
    Crash { node: NodeId },
    /// Start a crashed node again.
    Restart { node: NodeId },
}

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
        match *self {
            Command::SetWriteRate { per_s } => {
                h.write_u8(1);
                h.write_u64(per_s.into());
            }
            Command::SetLatency { min_ms, max_ms } => {
                h.write_u8(2);
                h.write_u64(min_ms);
                h.write_u64(max_ms);
            }
            Command::SetLoss { loss } => {
                h.write_u8(3);
                h.write_u64(loss.to_bits());
            }
            Command::CutLink { a, b } => {
                h.write_u8(4);
                h.write_u64(a.into());
                h.write_u64(b.into());
            }
            Command::HealLink { a, b } => {
                h.write_u8(5);
                h.write_u64(a.into());
                h.write_u64(b.into());
            }
            Command::HealAll => h.write_u8(6),
            Command::Crash { node } => {
                h.write_u8(7);
                h.write_u64(node.into());
            }
            Command::Restart { node } => {
                h.write_u8(8);
                h.write_u64(node.into());
            }
        }
    }

    /// One line for the event log.
    pub fn describe(&self) -> String {
        match self {
            Command::SetWriteRate { per_s } => format!("write rate set to {per_s}/s"),
            Command::SetLatency { min_ms, max_ms } => {
                format!("link latency set to {min_ms}–{max_ms} ms")
            }
            Command::SetLoss { loss } => format!("message loss set to {:.1}%", loss * 100.0),
            Command::CutLink { a, b } => format!("link n{a}–n{b} cut"),
            Command::HealLink { a, b } => format!("link n{a}–n{b} healed"),
            Command::HealAll => "all links healed".into(),
            Command::Crash { node } => format!("node n{node} crashed"),
            Command::Restart { node } => format!("node n{node} restarted"),
        }
    }
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
            Command::SetWriteRate { per_s: 1 },
            Command::SetLatency {
                min_ms: 1,
                max_ms: 2,
            },
            Command::SetLoss { loss: 0.5 },
            Command::CutLink { a: 0, b: 1 },
            Command::HealLink { a: 0, b: 1 },
            Command::HealAll,
            Command::Crash { node: 1 },
            Command::Restart { node: 1 },
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
}
