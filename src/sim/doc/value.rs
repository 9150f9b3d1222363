//! JSON values as the store sees them: a canonical total order (MongoDB's comparison order, so
//! `1` and `1.0` are the same key and the same value in a find), type names for messages, and
//! the size and depth of a document.

use serde_json::{Number, Value};
use std::cmp::Ordering;
use std::fmt;

/// A document key: any scalar JSON value (null, bool, number, string), ordered canonically.
/// Two ids that compare equal (`1` and `1.0`) are the same key.
#[derive(Clone, Debug)]
pub struct DocId(Value);

impl DocId {
    /// Accept a scalar; objects and arrays are refused with the reason.
    pub fn new(v: Value) -> Result<DocId, String> {
        match v {
            Value::Object(_) | Value::Array(_) => Err(format!(
                "_id must be a scalar (string, number, bool or null), not {}",
                with_article(type_name(&v))
            )),
            scalar => Ok(DocId(scalar)),
        }
    }
    /// An integer id (always a valid scalar).
    pub fn from_u64(n: u64) -> DocId {
        DocId(Value::from(n))
    }
    /// The id as a JSON value.
    pub fn value(&self) -> &Value {
        &self.0
    }
}

impl PartialEq for DocId {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for DocId {}
impl PartialOrd for DocId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for DocId {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_values(&self.0, &other.0)
    }
}

/// Compact JSON, so strings show their quotes: `"u1"` and `1` are told apart.
impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Rank of each type in the canonical order (null < numbers < strings < objects < arrays <
/// bools), as MongoDB orders BSON types.
fn type_rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Number(_) => 1,
        Value::String(_) => 2,
        Value::Object(_) => 3,
        Value::Array(_) => 4,
        Value::Bool(_) => 5,
    }
}

/// The canonical total order over JSON values. Numbers compare by value across integer and
/// float representations; objects compare key by key in (sorted) key order.
pub fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => cmp_numbers(x, y),
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = cmp_values(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            for ((kx, vx), (ky, vy)) in x.iter().zip(y) {
                let o = kx
                    .as_bytes()
                    .cmp(ky.as_bytes())
                    .then_with(|| cmp_values(vx, vy));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => type_rank(a).cmp(&type_rank(b)),
    }
}

/// Equality under the canonical order (so `1 == 1.0`).
pub fn values_equal(a: &Value, b: &Value) -> bool {
    cmp_values(a, b) == Ordering::Equal
}

enum Num {
    Int(i128),
    Float(f64),
}

fn num(n: &Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Num::Int(i128::from(u))
    } else {
        // Without `arbitrary_precision` every other number is a finite f64.
        Num::Float(n.as_f64().unwrap_or(0.0))
    }
}

/// Exact comparison of two JSON numbers, whatever their representation.
pub fn cmp_numbers(a: &Number, b: &Number) -> Ordering {
    match (num(a), num(b)) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Num::Int(x), Num::Float(y)) => cmp_int_float(x, y),
        (Num::Float(x), Num::Int(y)) => cmp_int_float(y, x).reverse(),
    }
}

fn cmp_int_float(i: i128, f: f64) -> Ordering {
    // i as f64 may round; when it rounds onto f, f is integral and small enough to convert
    // back exactly, and the exact integers decide.
    match (i as f64).partial_cmp(&f) {
        Some(Ordering::Equal) => i.cmp(&(f as i128)),
        Some(o) => o,
        None => Ordering::Equal,
    }
}

/// Lower-case type name for messages and schemas ("integer" for whole-number literals).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A type name with its indefinite article, for messages: "an array", "a string".
pub fn with_article(name: &str) -> String {
    let vowel = name.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

/// Nesting depth: a scalar is 0, `{}` is 1, `{"a": []}` is 2. Iterative, so a hostile value
/// cannot overflow the stack here.
pub fn depth(v: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        let containers = |c: &&Value| c.is_object() || c.is_array();
        match v {
            Value::Object(m) => stack.extend(m.values().filter(containers).map(|c| (c, d + 1))),
            Value::Array(a) => stack.extend(a.iter().filter(containers).map(|c| (c, d + 1))),
            _ => continue,
        }
        deepest = deepest.max(d + 1);
    }
    deepest
}

/// Counts bytes instead of storing them.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Size of the compact JSON encoding, in bytes, without building the string.
pub fn json_bytes(v: &Value) -> usize {
    let mut c = ByteCounter(0);
    // Writing a Value to a counter cannot fail: map keys are strings and numbers finite.
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

/// Compact JSON with keys in sorted order (serde_json's map is a BTreeMap here), so equal
/// documents serialise to equal text.
pub fn canonical_json(v: &Value) -> String {
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_across_representations() {
        assert!(values_equal(&json!(1), &json!(1.0)));
        assert!(values_equal(&json!(-0.0), &json!(0)));
        assert_eq!(cmp_values(&json!(2), &json!(1.5)), Ordering::Greater);
        assert_eq!(
            cmp_values(&json!(u64::MAX), &json!(i64::MIN)),
            Ordering::Greater
        );
        // 2^53 + 1 rounds to 2^53 as f64 but is still larger.
        let big = (1u64 << 53) + 1;
        assert_eq!(
            cmp_values(&json!(big), &json!(9007199254740992.0)),
            Ordering::Greater
        );
    }

    #[test]
    fn types_follow_mongodb_order() {
        let ordered = [
            json!(null),
            json!(-5),
            json!("a"),
            json!({}),
            json!([]),
            json!(false),
            json!(true),
        ];
        for w in ordered.windows(2) {
            assert_eq!(cmp_values(&w[0], &w[1]), Ordering::Less, "{w:?}");
        }
        assert!(values_equal(
            &json!({"a": [1, {"b": 2}]}),
            &json!({"a": [1.0, {"b": 2}]})
        ));
        assert!(!values_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }

    #[test]
    fn ids_must_be_scalars_and_equal_numbers_collide() {
        assert!(DocId::new(json!([1])).is_err());
        assert!(DocId::new(json!({"a": 1})).unwrap_err().contains("object"));
        assert_eq!(
            DocId::new(json!(1)).unwrap(),
            DocId::new(json!(1.0)).unwrap()
        );
        assert_eq!(DocId::new(json!("u1")).unwrap().to_string(), "\"u1\"");
    }

    #[test]
    fn depth_and_size() {
        assert_eq!(depth(&json!(1)), 0);
        assert_eq!(depth(&json!({})), 1);
        assert_eq!(depth(&json!({"a": [{"b": 1}]})), 3);
        assert_eq!(json_bytes(&json!({"a": 1})), 7);
        assert_eq!(canonical_json(&json!({"b": 1, "a": 2})), r#"{"a":2,"b":1}"#);
        assert_eq!(with_article("array"), "an array");
        assert_eq!(with_article("integer"), "an integer");
        assert_eq!(with_article("string"), "a string");
    }
}
