//! Reading enums written internally tagged by `kind` (`{"kind": "cut_link", "a": 0}`).
//! serde's derive reads that form by buffering the whole object first, which compiles a
//! second reader for every type a variant can carry (for commands: the migration spec,
//! replication and workload settings...; about 120 KB of the page's WebAssembly). Here the
//! `kind` is read first and the rest of the object is handed to the derived reader of an
//! externally tagged mirror (`#[serde(remote = ...)]`), so every field is read straight from
//! the text by the same code that reads it anywhere else. An object whose `kind` is not first
//! (hand-written JSON) is rewritten with `kind` first and read again.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess,
    VariantAccess, Visitor,
};
use serde::Deserializer;

/// An enum written internally tagged by `kind` and read through an externally tagged mirror.
pub trait KindFirst: Sized + DeserializeOwned {
    /// What the enum is called in "expected ..." messages.
    const WHAT: &'static str;
    /// The mirror's derived reader (`Mirror::deserialize`).
    fn read_variant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// The body of `Deserialize::deserialize` for a [`KindFirst`] enum.
pub fn deserialize<'de, T: KindFirst, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_map(KindVisitor::<T>(PhantomData))
}

struct KindVisitor<T>(PhantomData<T>);

impl<'de, T: KindFirst> Visitor<'de> for KindVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: an object with a \"kind\"", T::WHAT)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Err(de::Error::missing_field("kind"));
        };
        if first == "kind" {
            let kind: String = map.next_value()?;
            return T::read_variant(Tagged { kind, map });
        }
        kind_first(first, map)
    }
}

/// The object again as text with `kind` first, read by the main path.
fn kind_first<'de, T: KindFirst, A: MapAccess<'de>>(
    first: String,
    mut map: A,
) -> Result<T, A::Error> {
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
    use crate::sim::net::Latency;
    use crate::sim::repl::workload::KeyDist;

    #[test]
    fn tagged_settings_read_back_and_refuse_unknown_fields() {
        for l in [
            Latency::Constant { ms: 3.0 },
            Latency::default(),
            Latency::LogNormal {
                median_ms: 20.0,
                sigma: 0.5,
            },
        ] {
            let j = serde_json::to_string(&l).unwrap();
            assert_eq!(serde_json::from_str::<Latency>(&j).unwrap(), l, "{j}");
        }
        for k in [
            KeyDist::Uniform,
            KeyDist::Zipf { s: 1.1 },
            KeyDist::HotKey { share: 0.5 },
        ] {
            let j = serde_json::to_string(&k).unwrap();
            assert_eq!(serde_json::from_str::<KeyDist>(&j).unwrap(), k, "{j}");
        }
        let later: Latency = serde_json::from_str(r#"{"ms": 2.5, "kind": "constant"}"#).unwrap();
        assert_eq!(later, Latency::Constant { ms: 2.5 });
        let err = |j: &str| serde_json::from_str::<KeyDist>(j).unwrap_err().to_string();
        assert!(err(r#"{"kind":"zipf","s":1,"t":2}"#).contains("unknown field `t`"));
        assert!(err(r#"{"kind":"uniform","s":1}"#).contains("unknown field `s`"));
        assert!(err(r#"{"kind":"pareto"}"#).contains("unknown variant `pareto`"));
        assert!(err(r#""uniform""#).contains("a key distribution"));
    }
}
