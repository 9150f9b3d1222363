//! Reading a [`Command`] from JSON. Commands are written internally tagged
//! (`{"kind": "cut_link", "a": 0, "b": 1}`). serde's derive reads that form by buffering the
//! whole object first, which compiles a second reader for every type a command can carry
//! (the migration spec, replication and workload settings...) and cost about 120 KB of the
//! page's WebAssembly. Here the `kind` is read first and the rest of the object is handed
//! to the derived reader of an externally tagged mirror, so every field is read straight
//! from the text, by the same code that reads scenario files. An object whose `kind` is not
//! first (hand-written JSON) is rewritten with `kind` first and read again.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, VariantAccess, Visitor,
};
use serde::{Deserialize, Deserializer};

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

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Command, D::Error> {
        d.deserialize_map(CommandVisitor)
    }
}

struct CommandVisitor;

impl<'de> Visitor<'de> for CommandVisitor {
    type Value = Command;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a command: an object with a \"kind\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Command, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Err(de::Error::missing_field("kind"));
        };
        if first == "kind" {
            let kind: String = map.next_value()?;
            return Wire::deserialize(Tagged { kind, map });
        }
        kind_first(first, map)
    }
}

/// The object again as text with `kind` first, read by the main path.
fn kind_first<'de, A: MapAccess<'de>>(first: String, mut map: A) -> Result<Command, A::Error> {
    let mut fields = vec![(first, map.next_value::<serde_json::Value>()?)];
    while let Some(k) = map.next_key::<String>()? {
        fields.push((k, map.next_value::<serde_json::Value>()?));
    }
    let Some(at) = fields.iter().position(|(k, _)| k == "kind") else {
        return Err(de::Error::missing_field("kind"));
    };
    let kind = fields.remove(at);
    let mut text = String::from("{");
    for (i, (k, v)) in std::iter::once(kind).chain(fields).enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&serde_json::Value::String(k).to_string());
        text.push(':');
        text.push_str(&v.to_string());
    }
    text.push('}');
    serde_json::from_str(&text).map_err(de::Error::custom)
}

/// The rest of a command object once its kind is read, shown to the derived code as an
/// externally tagged enum: the kind names the variant, the remaining fields are its fields.
struct Tagged<A> {
    kind: String,
    map: A,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Tagged<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Tagged<A> {
    type Error = A::Error;
    type Variant = Fields<A>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Fields<A>), A::Error> {
        let variant = seed.deserialize(self.kind.into_deserializer())?;
        Ok((variant, Fields(self.map)))
    }
}

/// A variant's fields: the rest of the object.
struct Fields<A>(A);

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Fields<A> {
    type Error = A::Error;

    fn unit_variant(mut self) -> Result<(), A::Error> {
        match self.0.next_key::<String>()? {
            None => Ok(()),
            Some(k) => Err(de::Error::unknown_field(&k, &[])),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, A::Error> {
        Err(de::Error::custom("a command's fields are named"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("a command's fields are named"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.0)
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
