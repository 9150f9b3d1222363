//! Dotted field paths (`address.city`, `items.0.sku`) and the three ways the store walks them:
//! strictly (update operators), creating intermediates (`$set`), and fanning out through arrays
//! (finds, where a path through an array matches if any element matches, as in MongoDB).

use serde_json::{Map, Value};
use std::fmt;

use super::value::{type_name, values_equal, with_article};
use super::DEPTH_MAX;

/// Largest number of null elements `$set` will add to reach an array index (MongoDB refuses
/// to backfill more than 1 500 000).
pub const ARRAY_PAD_MAX: usize = 1_500_000;

/// A parsed dotted path: non-empty segments, none starting with `$`, at most [`DEPTH_MAX`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FieldPath {
    segments: Vec<String>,
}

/// Why a path string is not a valid field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    /// The path as given.
    pub path: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid field path '{}': {}", self.path, self.reason)
    }
}

impl std::error::Error for PathError {}

impl FieldPath {
    /// Parse `a.b.c`.
    pub fn parse(path: &str) -> Result<FieldPath, PathError> {
        let err = |reason| PathError {
            path: path.to_string(),
            reason,
        };
        if path.is_empty() {
            return Err(err("the path is empty"));
        }
        let segments: Vec<String> = path.split('.').map(str::to_string).collect();
        if segments.len() > DEPTH_MAX {
            return Err(err("the path is deeper than the nesting limit"));
        }
        if segments.iter().any(String::is_empty) {
            return Err(err(
                "a segment is empty (two dots in a row, or a leading or trailing dot)",
            ));
        }
        if segments.iter().any(|s| s.starts_with('$')) {
            return Err(err("a segment starts with '$'"));
        }
        Ok(FieldPath { segments })
    }
    /// The segments in order.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }
    /// True when `self` is a strict prefix of `other` (`a` of `a.b`, but not of `ab`).
    pub fn is_prefix_of(&self, other: &FieldPath) -> bool {
        self.segments.len() < other.segments.len()
            && other.segments[..self.segments.len()] == self.segments[..]
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.segments.join("."))
    }
}

/// An array index segment: plain decimal digits only, as MongoDB reads them.
pub fn parse_index(seg: &str) -> Option<usize> {
    if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    seg.parse().ok()
}

/// The value at a path, walking objects by key and arrays by index (no fan-out).
pub fn get<'a>(doc: &'a Value, segs: &[String]) -> Option<&'a Value> {
    let mut cur = doc;
    for seg in segs {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(parse_index(seg)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Mutable access to the value at a path (no fan-out, nothing created).
pub fn get_mut<'a>(doc: &'a mut Value, segs: &[String]) -> Option<&'a mut Value> {
    let mut cur = doc;
    for seg in segs {
        cur = match cur {
            Value::Object(m) => m.get_mut(seg)?,
            Value::Array(a) => a.get_mut(parse_index(seg)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// True when some segment before the last walks into an array (used by `$rename`, which
/// MongoDB refuses on array elements).
pub fn crosses_array(doc: &Value, segs: &[String]) -> bool {
    let mut cur = doc;
    for seg in segs {
        match cur {
            Value::Object(m) => match m.get(seg) {
                Some(next) => cur = next,
                None => return false,
            },
            Value::Array(_) => return true,
            _ => return false,
        }
    }
    false
}

/// Where a strict walk stops before the end of the path: the prefix holding a scalar, or an
/// array whose next segment is not an index, with that value's type. None when the walk
/// reaches the end or only misses a key (a missing field is not a blockage).
pub fn blocked_at(doc: &Value, segs: &[String]) -> Option<(String, &'static str)> {
    let mut cur = doc;
    for (i, seg) in segs.iter().enumerate() {
        let next = match cur {
            Value::Object(m) => m.get(seg),
            Value::Array(a) => match parse_index(seg) {
                Some(idx) => a.get(idx),
                None => return Some((segs[..i].join("."), "array")),
            },
            other => return Some((segs[..i].join("."), type_name(other))),
        };
        cur = next?;
    }
    None
}

/// Write `value` at the path, creating missing intermediate objects (and padding arrays with
/// nulls up to an index), as `$set` does. Errors say which element blocks the path.
pub fn set(doc: &mut Value, segs: &[String], value: Value) -> Result<(), String> {
    let Some((last, parents)) = segs.split_last() else {
        return Err("the path is empty".into());
    };
    let mut cur = doc;
    for (i, seg) in parents.iter().enumerate() {
        cur = child_or_create(cur, seg, &segs[..i])?;
    }
    match cur {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            let idx = array_slot(a, last, parents)?;
            a[idx] = value;
            Ok(())
        }
        other => Err(cannot_create(last, parents, other)),
    }
}

fn child_or_create<'a>(
    cur: &'a mut Value,
    seg: &str,
    walked: &[String],
) -> Result<&'a mut Value, String> {
    let slot = match cur {
        Value::Object(m) => m
            .entry(seg.to_string())
            .or_insert_with(|| Value::Object(Map::new())),
        Value::Array(a) => {
            let len_before = a.len();
            let idx = array_slot(a, seg, walked)?;
            if idx >= len_before {
                a[idx] = Value::Object(Map::new());
            }
            &mut a[idx]
        }
        other => return Err(cannot_create(seg, walked, other)),
    };
    match slot {
        Value::Object(_) | Value::Array(_) => Ok(slot),
        // MongoDB refuses to replace an existing scalar on the way to a deeper field.
        other => {
            let mut here = walked.to_vec();
            here.push(seg.to_string());
            Err(format!(
                "cannot create a field under '{}': it holds {}, not an object",
                here.join("."),
                with_article(type_name(other))
            ))
        }
    }
}

/// Index for `seg` in `a`, padding with nulls when it lies past the end.
fn array_slot(a: &mut Vec<Value>, seg: &str, walked: &[String]) -> Result<usize, String> {
    let Some(idx) = parse_index(seg) else {
        return Err(format!(
            "cannot create field '{seg}' in '{}': it is an array and '{seg}' is not an index",
            walked.join(".")
        ));
    };
    if idx >= a.len() {
        if idx - a.len() > ARRAY_PAD_MAX {
            return Err(format!(
                "index {idx} in '{}' would add more than {ARRAY_PAD_MAX} null elements",
                walked.join(".")
            ));
        }
        a.resize(idx + 1, Value::Null);
    }
    Ok(idx)
}

fn cannot_create(seg: &str, walked: &[String], found: &Value) -> String {
    format!(
        "cannot create field '{seg}' in '{}': it holds {}, not an object",
        walked.join("."),
        with_article(type_name(found))
    )
}

/// Remove the value at the path and return it. An array element is replaced by null, as
/// MongoDB's `$unset` does, so the other indexes keep their meaning.
pub fn remove(doc: &mut Value, segs: &[String]) -> Option<Value> {
    let (last, parents) = segs.split_last()?;
    match get_mut(doc, parents)? {
        Value::Object(m) => m.remove(last),
        Value::Array(a) => {
            let slot = a.get_mut(parse_index(last)?)?;
            Some(std::mem::replace(slot, Value::Null))
        }
        _ => None,
    }
}

/// Field-path equality as a MongoDB find reads it: a path through an array matches if any
/// element matches; an array value matches if it equals the target or holds it; a missing
/// field matches `null`.
pub fn matches_eq(v: &Value, segs: &[String], target: &Value) -> bool {
    let Some((seg, rest)) = segs.split_first() else {
        return values_equal(v, target)
            || matches!(v, Value::Array(a) if a.iter().any(|e| values_equal(e, target)));
    };
    match v {
        Value::Object(m) => match m.get(seg) {
            Some(child) => matches_eq(child, rest, target),
            None => target.is_null(),
        },
        Value::Array(a) => {
            let by_index = parse_index(seg)
                .and_then(|i| a.get(i))
                .is_some_and(|e| matches_eq(e, rest, target));
            by_index
                || a.iter()
                    .any(|e| e.is_object() && matches_eq(e, segs, target))
        }
        _ => target.is_null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Vec<String> {
        FieldPath::parse(s).unwrap().segments().to_vec()
    }

    #[test]
    fn parse_rejects_bad_paths() {
        assert!(FieldPath::parse("").is_err());
        assert!(FieldPath::parse("a..b")
            .unwrap_err()
            .to_string()
            .contains("empty"));
        assert!(FieldPath::parse("a.$x").is_err());
        let deep = vec!["a"; DEPTH_MAX + 1].join(".");
        assert!(FieldPath::parse(&deep).is_err());
        let a = FieldPath::parse("a").unwrap();
        assert!(a.is_prefix_of(&FieldPath::parse("a.b").unwrap()));
        assert!(!a.is_prefix_of(&FieldPath::parse("ab").unwrap()));
        assert!(!a.is_prefix_of(&a));
    }

    #[test]
    fn set_creates_intermediates_and_pads_arrays() {
        let mut d = json!({"a": 1});
        set(&mut d, &p("b.c.d"), json!(2)).unwrap();
        assert_eq!(d, json!({"a": 1, "b": {"c": {"d": 2}}}));
        let mut d = json!({"xs": [1]});
        set(&mut d, &p("xs.3"), json!(9)).unwrap();
        assert_eq!(d, json!({"xs": [1, null, null, 9]}));
        set(&mut d, &p("xs.5.k"), json!(1)).unwrap();
        assert_eq!(d["xs"][5], json!({"k": 1}));
    }

    #[test]
    fn set_refuses_to_walk_through_scalars() {
        let mut d = json!({"a": 1, "xs": [1]});
        assert!(set(&mut d, &p("a.b"), json!(1))
            .unwrap_err()
            .contains("'a'"));
        assert!(set(&mut d, &p("xs.k"), json!(1))
            .unwrap_err()
            .contains("not an index"));
        assert!(set(&mut d, &p("xs.0.k"), json!(1)).is_err());
        assert!(set(&mut d, &p("xs.99999999"), json!(1)).is_err());
        assert_eq!(d, json!({"a": 1, "xs": [1]}));
    }

    #[test]
    fn remove_and_get() {
        let mut d = json!({"a": {"b": 1}, "xs": [1, 2]});
        assert_eq!(get(&d, &p("a.b")), Some(&json!(1)));
        assert_eq!(get(&d, &p("xs.1")), Some(&json!(2)));
        assert_eq!(remove(&mut d, &p("xs.0")), Some(json!(1)));
        assert_eq!(remove(&mut d, &p("a.b")), Some(json!(1)));
        assert_eq!(remove(&mut d, &p("a.zz")), None);
        assert_eq!(d, json!({"a": {}, "xs": [null, 2]}));
        assert!(crosses_array(&json!({"xs": [{"a": 1}]}), &p("xs.0.a")));
        assert!(!crosses_array(&json!({"a": {"b": 1}}), &p("a.b")));
    }

    #[test]
    fn equality_fans_out_through_arrays() {
        let d = json!({"tags": ["x", "y"], "items": [{"sku": 1}, {"sku": 2}], "a": {"b": 3}});
        assert!(matches_eq(&d, &p("tags"), &json!("y")));
        assert!(matches_eq(&d, &p("tags"), &json!(["x", "y"])));
        assert!(matches_eq(&d, &p("items.sku"), &json!(2)));
        assert!(matches_eq(&d, &p("items.1.sku"), &json!(2.0)));
        assert!(!matches_eq(&d, &p("items.0.sku"), &json!(2)));
        assert!(matches_eq(&d, &p("a.b"), &json!(3)));
        assert!(matches_eq(&d, &p("a.missing"), &json!(null)));
        assert!(!matches_eq(&d, &p("a.b"), &json!(null)));
    }
}
