//! A document schema as data: field path -> (type, required, default). The same value serves
//! as a collection's validator (it rejects bad writes) and as the input to compatibility
//! checks ([`super::compat`]).
//!
//! Paths are dotted. A path through an array applies to every element (`items.sku` checks the
//! `sku` of each item), and a nested required field is required only where its parent object
//! exists, as with nested `$jsonSchema` rules in MongoDB.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

use super::path::{FieldPath, PathError};

/// The JSON types a field can be declared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// A JSON string.
    String,
    /// Any JSON number, integer or not.
    Number,
    /// A number written without fraction or exponent (`3`, not `3.0`).
    Integer,
    /// `true` or `false`.
    Bool,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// `null`.
    Null,
}

impl FieldType {
    /// The most specific type of a value (`Integer` for whole-number literals).
    pub fn of(v: &Value) -> FieldType {
        match v {
            Value::Null => FieldType::Null,
            Value::Bool(_) => FieldType::Bool,
            Value::Number(n) if n.is_i64() || n.is_u64() => FieldType::Integer,
            Value::Number(_) => FieldType::Number,
            Value::String(_) => FieldType::String,
            Value::Array(_) => FieldType::Array,
            Value::Object(_) => FieldType::Object,
        }
    }
    /// True when a value of this declared type may hold `v` (a number accepts integers).
    pub fn accepts(self, v: &Value) -> bool {
        self.reads(FieldType::of(v))
    }
    /// True when a reader expecting `self` can read a value written as `written`.
    pub fn reads(self, written: FieldType) -> bool {
        self == written || (self == FieldType::Number && written == FieldType::Integer)
    }
    /// Lower-case name, as in messages.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Bool => "bool",
            FieldType::Object => "object",
            FieldType::Array => "array",
            FieldType::Null => "null",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a schema says about one field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The field's type (`"type"` in JSON).
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Whether every document (whose parent object exists) must have the field.
    pub required: bool,
    /// Value a reader uses when the field is missing; lets a new required field stay
    /// backward compatible. Not applied by the validator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

impl FieldSpec {
    /// A required field without default.
    pub fn required(ty: FieldType) -> FieldSpec {
        FieldSpec {
            ty,
            required: true,
            default: None,
        }
    }
    /// An optional field.
    pub fn optional(ty: FieldType) -> FieldSpec {
        FieldSpec {
            ty,
            required: false,
            default: None,
        }
    }
    /// The same spec with a reader default.
    pub fn with_default(mut self, v: Value) -> FieldSpec {
        self.default = Some(v);
        self
    }
}

/// A document schema: field path -> spec, for one schema version.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocSchema {
    /// The schema version the fields describe.
    pub version: u32,
    /// Dotted field path -> spec, in path order.
    pub fields: BTreeMap<String, FieldSpec>,
}

/// Why a document does not satisfy a schema.
#[derive(Clone, Debug, PartialEq)]
pub enum Violation {
    /// A required field is absent.
    Missing,
    /// The field holds the wrong type.
    WrongType {
        /// The declared type.
        expected: FieldType,
        /// The type found.
        found: FieldType,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Missing => write!(f, "required field is missing"),
            Violation::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
        }
    }
}

impl DocSchema {
    /// An empty schema for `version`.
    pub fn new(version: u32) -> DocSchema {
        DocSchema {
            version,
            fields: BTreeMap::new(),
        }
    }
    /// Builder: add or replace one field.
    pub fn field(mut self, path: &str, spec: FieldSpec) -> DocSchema {
        self.fields.insert(path.to_string(), spec);
        self
    }

    /// Every path must parse.
    pub fn check_paths(&self) -> Result<(), PathError> {
        self.fields
            .keys()
            .try_for_each(|p| FieldPath::parse(p).map(drop))
    }

    /// The first violation, as (concrete path such as `items.1.sku`, reason).
    pub fn validate(&self, doc: &Value) -> Result<(), (String, Violation)> {
        for (path, spec) in &self.fields {
            let segs = match FieldPath::parse(path) {
                Ok(p) => p.segments().to_vec(),
                // Malformed paths are refused when the validator is set; skip defensively.
                Err(_) => continue,
            };
            check_at(doc, &segs, spec, String::new())?;
        }
        Ok(())
    }
}

fn join(prefix: &str, seg: &str) -> String {
    if prefix.is_empty() {
        seg.to_string()
    } else {
        format!("{prefix}.{seg}")
    }
}

fn check_at(
    v: &Value,
    segs: &[String],
    spec: &FieldSpec,
    here: String,
) -> Result<(), (String, Violation)> {
    let Some((seg, rest)) = segs.split_first() else {
        return Ok(());
    };
    match v {
        Value::Object(m) => match m.get(seg) {
            None if rest.is_empty() && spec.required => Err((join(&here, seg), Violation::Missing)),
            None => Ok(()),
            Some(child) if rest.is_empty() => {
                if spec.ty.accepts(child) {
                    Ok(())
                } else {
                    let found = FieldType::of(child);
                    let expected = spec.ty;
                    Err((join(&here, seg), Violation::WrongType { expected, found }))
                }
            }
            Some(child) => check_at(child, rest, spec, join(&here, seg)),
        },
        // A path through an array applies to each element.
        Value::Array(a) => a.iter().enumerate().try_for_each(|(i, e)| {
            if e.is_object() {
                check_at(e, segs, spec, join(&here, &i.to_string()))
            } else {
                Ok(())
            }
        }),
        // The parent is a scalar: its own rule, if any, reports that.
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn users() -> DocSchema {
        DocSchema::new(1)
            .field("name", FieldSpec::required(FieldType::String))
            .field("age", FieldSpec::optional(FieldType::Integer))
            .field("score", FieldSpec::optional(FieldType::Number))
            .field("address", FieldSpec::optional(FieldType::Object))
            .field("address.city", FieldSpec::required(FieldType::String))
            .field("items.sku", FieldSpec::required(FieldType::Integer))
            .field("tags", FieldSpec::optional(FieldType::Array))
            .field("ok", FieldSpec::optional(FieldType::Bool))
            .field("gone", FieldSpec::optional(FieldType::Null))
    }

    #[test]
    fn accepts_valid_documents() {
        let s = users();
        s.validate(&json!({"name": "a"})).unwrap();
        s.validate(
            &json!({"name": "a", "age": 3, "score": 3, "address": {"city": "x"},
            "items": [{"sku": 1}, 5], "tags": [], "ok": true, "gone": null}),
        )
        .unwrap();
        s.validate(&json!({"name": "a", "score": 2.5})).unwrap();
        assert!(s.check_paths().is_ok());
        assert!(DocSchema::new(1)
            .field("a..b", FieldSpec::required(FieldType::Null))
            .check_paths()
            .is_err());
    }

    #[test]
    fn names_the_path_and_reason() {
        let s = users();
        assert_eq!(
            s.validate(&json!({})).unwrap_err(),
            ("name".into(), Violation::Missing)
        );
        let (p, v) = s.validate(&json!({"name": "a", "age": 1.5})).unwrap_err();
        assert_eq!(p, "age");
        assert_eq!(v.to_string(), "expected integer, found number");
        let (p, v) = s
            .validate(&json!({"name": "a", "address": {}}))
            .unwrap_err();
        assert_eq!((p.as_str(), v), ("address.city", Violation::Missing));
        let (p, _) = s
            .validate(&json!({"name": "a", "items": [{"sku": 1}, {"sku": "x"}]}))
            .unwrap_err();
        assert_eq!(p, "items.1.sku");
        let (p, _) = s.validate(&json!({"name": "a", "ok": "yes"})).unwrap_err();
        assert_eq!(p, "ok");
    }

    #[test]
    fn schemas_read_from_json() {
        let s: DocSchema = serde_json::from_value(json!({
            "version": 2,
            "fields": {"name": {"type": "string", "required": true},
                       "age": {"type": "integer", "required": false, "default": 0}}
        }))
        .unwrap();
        assert_eq!(s.fields["name"], FieldSpec::required(FieldType::String));
        assert_eq!(s.fields["age"].default, Some(json!(0)));
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(
            back["fields"]["name"],
            json!({"type": "string", "required": true})
        );
        let bad = serde_json::from_value::<DocSchema>(json!({"fields": {"a": {"type": "date"}}}));
        assert!(bad.is_err());
    }

    #[test]
    fn integer_is_a_number_but_not_the_reverse() {
        assert!(FieldType::Number.reads(FieldType::Integer));
        assert!(!FieldType::Integer.reads(FieldType::Number));
        assert_eq!(FieldType::of(&json!(1.0)), FieldType::Number);
        assert_eq!(FieldType::of(&json!(-1)), FieldType::Integer);
    }
}
