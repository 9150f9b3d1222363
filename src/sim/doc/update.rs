//! The update operators `$set`, `$unset`, `$rename`, `$inc`, `$push` and `$pull`, with MongoDB
//! semantics. [`apply_ops`] works on a copy and returns it, so an update that fails part-way
//! leaves the caller's document exactly as it was.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use std::fmt;

use super::path::{self, FieldPath, PathError};
use super::value::{type_name, values_equal, with_article};
use super::ID_FIELD;

/// One update operator applied to one field path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum UpdateOp {
    /// Write `value` at `path`, creating intermediate objects.
    Set {
        /// The field path.
        path: String,
        /// The value written.
        value: Value,
    },
    /// Remove `path` (an array element becomes null). Missing: nothing happens.
    Unset {
        /// The field path.
        path: String,
    },
    /// Move the value at `from` to `to`. Missing `from`: nothing happens.
    Rename {
        /// Source path.
        from: String,
        /// Target path.
        to: String,
    },
    /// Add `by` to the number at `path`; a missing field is set to `by`.
    Inc {
        /// The field path.
        path: String,
        /// The amount to add.
        by: Number,
    },
    /// Append `value` to the array at `path`; a missing field becomes `[value]`.
    Push {
        /// The field path.
        path: String,
        /// The element appended.
        value: Value,
    },
    /// Remove every element equal to `condition` from the array at `path`. An object
    /// condition without operators matches object elements whose fields equal its fields.
    Pull {
        /// The field path.
        path: String,
        /// A value, or an object of field equalities.
        condition: Value,
    },
}

/// Why one operator could not be applied.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdateFailure {
    /// The path string is malformed.
    BadPath(PathError),
    /// An element on the way is neither an object nor an array (message from the walk).
    CannotCreate(String),
    /// `$inc` found a value that is not a number.
    NonNumericTarget {
        /// The type of the field.
        found: &'static str,
    },
    /// `$inc` was given something other than a number (only from [`parse_update`]).
    NonNumericArgument {
        /// The type of the argument.
        found: &'static str,
    },
    /// `$inc` would overflow 64-bit integers or produce a non-finite float.
    Overflow,
    /// `$push` or `$pull` found a value that is not an array.
    NotAnArray {
        /// The type of the field.
        found: &'static str,
    },
    /// `$rename` with the same source and target.
    RenameSame,
    /// `$rename` where one path contains the other.
    RenameOverlap,
    /// `$rename` through an array element.
    RenameArray,
    /// The update changed or removed `_id`.
    ImmutableId,
    /// A `$pull` condition uses a query operator this store does not implement.
    UnsupportedCondition {
        /// The operator, e.g. `$gt`.
        operator: String,
    },
    /// The document is not a JSON object.
    NotAnObject,
    /// A `$push` value uses a modifier (`$each`, `$slice`, ...) this store does not implement.
    UnsupportedModifier {
        /// The modifier.
        modifier: String,
    },
    /// The path runs into a value it cannot walk through (a scalar, or an array with a
    /// segment that is not an index).
    CannotTraverse {
        /// The path up to the blocking value.
        part: String,
        /// The type of the blocking value.
        found: &'static str,
    },
    /// Two operators of one update document touch overlapping paths.
    Conflict {
        /// The path it conflicts with.
        other: String,
    },
    /// An update document is malformed (unknown operator, argument not an object).
    BadSpec(String),
}

/// An operator that failed, the path it was applied to, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateError {
    /// The operator, e.g. `"$inc"`.
    pub op: &'static str,
    /// The field path as written in the operator.
    pub path: String,
    /// What went wrong.
    pub failure: UpdateFailure,
}

impl fmt::Display for UpdateFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateFailure::BadPath(e) => write!(f, "{e}"),
            UpdateFailure::CannotCreate(m) => write!(f, "{m}"),
            UpdateFailure::NonNumericTarget { found } => write!(
                f,
                "Cannot apply $inc to a value of non-numeric type (the field holds {})",
                with_article(found)
            ),
            UpdateFailure::NonNumericArgument { found } => {
                write!(
                    f,
                    "Cannot increment with non-numeric argument (got {})",
                    with_article(found)
                )
            }
            UpdateFailure::Overflow => write!(f, "the result does not fit in a 64-bit number"),
            UpdateFailure::NotAnArray { found } => {
                write!(
                    f,
                    "the field must be an array but holds {}",
                    with_article(found)
                )
            }
            UpdateFailure::RenameSame => {
                write!(f, "the source and target field for $rename must differ")
            }
            UpdateFailure::RenameOverlap => write!(
                f,
                "the source and target field for $rename must not be on the same path"
            ),
            UpdateFailure::RenameArray => {
                write!(f, "$rename cannot move a field into or out of an array")
            }
            UpdateFailure::ImmutableId => write!(f, "the field '_id' is immutable"),
            UpdateFailure::UnsupportedCondition { operator } => {
                write!(f, "$pull condition operator {operator} is not supported")
            }
            UpdateFailure::NotAnObject => write!(f, "the document is not a JSON object"),
            UpdateFailure::UnsupportedModifier { modifier } => {
                write!(f, "the $push modifier {modifier} is not supported")
            }
            UpdateFailure::CannotTraverse { part, found } => write!(
                f,
                "cannot use the part '{part}' to traverse the element: it holds {}",
                with_article(found)
            ),
            UpdateFailure::Conflict { other } => {
                write!(f, "updating this path would create a conflict at '{other}'")
            }
            UpdateFailure::BadSpec(m) => write!(f, "{m}"),
        }
    }
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}': {}", self.op, self.path, self.failure)
    }
}

impl std::error::Error for UpdateError {}

impl UpdateOp {
    /// `$set path value`.
    pub fn set(path: &str, value: Value) -> UpdateOp {
        UpdateOp::Set {
            path: path.into(),
            value,
        }
    }
    /// `$unset path`.
    pub fn unset(path: &str) -> UpdateOp {
        UpdateOp::Unset { path: path.into() }
    }
    /// `$rename from to`.
    pub fn rename(from: &str, to: &str) -> UpdateOp {
        UpdateOp::Rename {
            from: from.into(),
            to: to.into(),
        }
    }
    /// `$inc path by` (an integer amount).
    pub fn inc(path: &str, by: i64) -> UpdateOp {
        UpdateOp::Inc {
            path: path.into(),
            by: Number::from(by),
        }
    }
    /// `$push path value`.
    pub fn push(path: &str, value: Value) -> UpdateOp {
        UpdateOp::Push {
            path: path.into(),
            value,
        }
    }
    /// `$pull path condition`.
    pub fn pull(path: &str, condition: Value) -> UpdateOp {
        UpdateOp::Pull {
            path: path.into(),
            condition,
        }
    }

    /// The operator's MongoDB name.
    pub fn name(&self) -> &'static str {
        match self {
            UpdateOp::Set { .. } => "$set",
            UpdateOp::Unset { .. } => "$unset",
            UpdateOp::Rename { .. } => "$rename",
            UpdateOp::Inc { .. } => "$inc",
            UpdateOp::Push { .. } => "$push",
            UpdateOp::Pull { .. } => "$pull",
        }
    }

    /// The path the operator is applied to (`$rename`: the source).
    pub fn path(&self) -> &str {
        match self {
            UpdateOp::Set { path, .. }
            | UpdateOp::Unset { path }
            | UpdateOp::Inc { path, .. }
            | UpdateOp::Push { path, .. }
            | UpdateOp::Pull { path, .. } => path,
            UpdateOp::Rename { from, .. } => from,
        }
    }

    /// MongoDB's update-document form, e.g. `{"$set": {"a.b": 1}}`. Compact JSON of this is
    /// the canonical text used for checksums.
    pub fn to_mongo(&self) -> Value {
        let arg = match self {
            UpdateOp::Set { value, .. } | UpdateOp::Push { value, .. } => value.clone(),
            UpdateOp::Unset { .. } => Value::String(String::new()),
            UpdateOp::Rename { to, .. } => Value::String(to.clone()),
            UpdateOp::Inc { by, .. } => Value::Number(by.clone()),
            UpdateOp::Pull { condition, .. } => condition.clone(),
        };
        let mut inner = Map::new();
        inner.insert(self.path().to_string(), arg);
        let mut outer = Map::new();
        outer.insert(self.name().to_string(), Value::Object(inner));
        Value::Object(outer)
    }

    fn err(&self, failure: UpdateFailure) -> UpdateError {
        UpdateError {
            op: self.name(),
            path: self.path().to_string(),
            failure,
        }
    }
}

impl fmt::Display for UpdateOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_mongo())
    }
}

fn parse_path(op: &UpdateOp, s: &str) -> Result<Vec<String>, UpdateError> {
    FieldPath::parse(s)
        .map(|p| p.segments().to_vec())
        .map_err(|e| op.err(UpdateFailure::BadPath(e)))
}

/// Apply `ops` in order to a copy of `doc` and return the copy. `_id` may not change.
pub fn apply_ops(doc: &Value, ops: &[UpdateOp]) -> Result<Value, UpdateError> {
    let mut out = doc.clone();
    for op in ops {
        apply_op(&mut out, op)?;
    }
    if doc.get(ID_FIELD) != out.get(ID_FIELD) {
        let path = ID_FIELD.to_string();
        let op = ops
            .iter()
            .find(|o| o.path().split('.').next() == Some(ID_FIELD))
            .map_or("update", UpdateOp::name);
        return Err(UpdateError {
            op,
            path,
            failure: UpdateFailure::ImmutableId,
        });
    }
    Ok(out)
}

/// Apply one operator in place. On error `doc` may be half-changed: callers that need
/// all-or-nothing use [`apply_ops`], which works on a copy.
pub fn apply_op(doc: &mut Value, op: &UpdateOp) -> Result<(), UpdateError> {
    if !doc.is_object() {
        return Err(op.err(UpdateFailure::NotAnObject));
    }
    let segs = parse_path(op, op.path())?;
    match op {
        UpdateOp::Set { value, .. } => {
            path::set(doc, &segs, value.clone()).map_err(|m| op.err(UpdateFailure::CannotCreate(m)))
        }
        UpdateOp::Unset { .. } => {
            path::remove(doc, &segs);
            Ok(())
        }
        UpdateOp::Rename { to, .. } => rename(doc, op, &segs, to),
        UpdateOp::Inc { by, .. } => inc(doc, op, &segs, by),
        UpdateOp::Push { value, .. } => push(doc, op, &segs, value),
        UpdateOp::Pull { condition, .. } => pull(doc, op, &segs, condition),
    }
}

fn rename(doc: &mut Value, op: &UpdateOp, from: &[String], to: &str) -> Result<(), UpdateError> {
    let to_segs = parse_path(op, to)?;
    if from == to_segs.as_slice() {
        return Err(op.err(UpdateFailure::RenameSame));
    }
    let overlap = |a: &[String], b: &[String]| a.len() < b.len() && b[..a.len()] == *a;
    if overlap(from, &to_segs) || overlap(&to_segs, from) {
        return Err(op.err(UpdateFailure::RenameOverlap));
    }
    if path::crosses_array(doc, from) || path::crosses_array(doc, &to_segs) {
        return Err(op.err(UpdateFailure::RenameArray));
    }
    let Some(value) = path::remove(doc, from) else {
        return Ok(());
    };
    path::set(doc, &to_segs, value).map_err(|m| op.err(UpdateFailure::CannotCreate(m)))
}

fn inc(doc: &mut Value, op: &UpdateOp, segs: &[String], by: &Number) -> Result<(), UpdateError> {
    match path::get_mut(doc, segs) {
        Some(Value::Number(n)) => {
            let sum = add_numbers(n, by).ok_or_else(|| op.err(UpdateFailure::Overflow))?;
            *n = sum;
            Ok(())
        }
        Some(other) => Err(op.err(UpdateFailure::NonNumericTarget {
            found: type_name(other),
        })),
        None => path::set(doc, segs, Value::Number(by.clone()))
            .map_err(|m| op.err(UpdateFailure::CannotCreate(m))),
    }
}

/// Integer + integer stays an integer (None on overflow); anything with a float is a float.
pub fn add_numbers(a: &Number, b: &Number) -> Option<Number> {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    if let (Some(x), Some(y)) = (int(a), int(b)) {
        let s = x + y;
        return i64::try_from(s)
            .map(Number::from)
            .ok()
            .or_else(|| u64::try_from(s).ok().map(Number::from));
    }
    Number::from_f64(a.as_f64()? + b.as_f64()?)
}

fn push(doc: &mut Value, op: &UpdateOp, segs: &[String], value: &Value) -> Result<(), UpdateError> {
    // `{"$each": [...]}` and friends are modifiers in MongoDB; pushing them as a literal
    // object would silently store something else than the user meant.
    if let Some(m) = super::store::query_operator(value) {
        return Err(op.err(UpdateFailure::UnsupportedModifier {
            modifier: m.to_string(),
        }));
    }
    match path::get_mut(doc, segs) {
        Some(Value::Array(a)) => {
            a.push(value.clone());
            Ok(())
        }
        Some(other) => Err(op.err(UpdateFailure::NotAnArray {
            found: type_name(other),
        })),
        None => path::set(doc, segs, Value::Array(vec![value.clone()]))
            .map_err(|m| op.err(UpdateFailure::CannotCreate(m))),
    }
}

fn pull(doc: &mut Value, op: &UpdateOp, segs: &[String], cond: &Value) -> Result<(), UpdateError> {
    let matcher = PullMatcher::new(cond).map_err(|f| op.err(f))?;
    match path::get_mut(doc, segs) {
        Some(Value::Array(a)) => {
            a.retain(|e| !matcher.matches(e));
            Ok(())
        }
        Some(other) => Err(op.err(UpdateFailure::NotAnArray {
            found: type_name(other),
        })),
        // Missing is fine, unless the path runs into something it cannot walk through.
        None => match path::blocked_at(doc, segs) {
            Some((part, found)) => Err(op.err(UpdateFailure::CannotTraverse { part, found })),
            None => Ok(()),
        },
    }
}

/// A `$pull` condition: a plain value (equality) or an object of field equalities.
enum PullMatcher<'a> {
    Equal(&'a Value),
    Fields(Vec<(Vec<String>, &'a Value)>),
}

impl<'a> PullMatcher<'a> {
    fn new(cond: &'a Value) -> Result<Self, UpdateFailure> {
        let Value::Object(m) = cond else {
            return Ok(PullMatcher::Equal(cond));
        };
        let mut fields = Vec::with_capacity(m.len());
        for (k, v) in m {
            if k.starts_with('$') {
                return Err(UpdateFailure::UnsupportedCondition {
                    operator: k.clone(),
                });
            }
            if let Some(op) = super::store::query_operator(v) {
                return Err(UpdateFailure::UnsupportedCondition {
                    operator: op.to_string(),
                });
            }
            let p = FieldPath::parse(k).map_err(UpdateFailure::BadPath)?;
            fields.push((p.segments().to_vec(), v));
        }
        Ok(PullMatcher::Fields(fields))
    }

    fn matches(&self, e: &Value) -> bool {
        match self {
            PullMatcher::Equal(v) => values_equal(e, v),
            PullMatcher::Fields(fs) => {
                e.is_object() && fs.iter().all(|(p, v)| path::matches_eq(e, p, v))
            }
        }
    }
}

/// Parse a MongoDB update document (`{"$set": {...}, "$inc": {...}}`) into operators.
/// Operators whose paths overlap are refused, as MongoDB does.
pub fn parse_update(spec: &Value) -> Result<Vec<UpdateOp>, UpdateError> {
    let bad = |op: &'static str, path: &str, m: String| UpdateError {
        op,
        path: path.to_string(),
        failure: UpdateFailure::BadSpec(m),
    };
    let Value::Object(top) = spec else {
        return Err(bad("update", "", "an update must be a JSON object".into()));
    };
    let mut ops = Vec::new();
    for (name, arg) in top {
        let Value::Object(fields) = arg else {
            return Err(bad(
                "update",
                name,
                format!("{name} needs an object argument"),
            ));
        };
        for (path, v) in fields {
            ops.push(parse_one(name, path, v)?);
        }
    }
    check_conflicts(&ops)?;
    Ok(ops)
}

fn parse_one(name: &str, path: &str, v: &Value) -> Result<UpdateOp, UpdateError> {
    let p = path.to_string();
    Ok(match name {
        "$set" => UpdateOp::Set {
            path: p,
            value: v.clone(),
        },
        "$unset" => UpdateOp::Unset { path: p },
        "$push" => UpdateOp::Push {
            path: p,
            value: v.clone(),
        },
        "$pull" => UpdateOp::Pull {
            path: p,
            condition: v.clone(),
        },
        "$inc" => match v {
            Value::Number(n) => UpdateOp::Inc {
                path: p,
                by: n.clone(),
            },
            other => {
                return Err(UpdateError {
                    op: "$inc",
                    path: p,
                    failure: UpdateFailure::NonNumericArgument {
                        found: type_name(other),
                    },
                })
            }
        },
        "$rename" => match v {
            Value::String(to) => UpdateOp::Rename {
                from: p,
                to: to.clone(),
            },
            _ => {
                return Err(UpdateError {
                    op: "$rename",
                    path: p,
                    failure: UpdateFailure::BadSpec("the $rename target must be a string".into()),
                })
            }
        },
        other => {
            return Err(UpdateError {
                op: "update",
                path: p,
                failure: UpdateFailure::BadSpec(format!("unknown update operator {other}")),
            })
        }
    })
}

fn check_conflicts(ops: &[UpdateOp]) -> Result<(), UpdateError> {
    let mut touched: Vec<(Vec<String>, &UpdateOp)> = Vec::new();
    for op in ops {
        let mut paths = vec![op.path().to_string()];
        if let UpdateOp::Rename { to, .. } = op {
            paths.push(to.clone());
        }
        for p in paths {
            let segs = parse_path(op, &p)?;
            for (other, _) in &touched {
                let n = other.len().min(segs.len());
                if other[..n] == segs[..n] {
                    return Err(op.err(UpdateFailure::Conflict {
                        other: other.join("."),
                    }));
                }
            }
            touched.push((segs, op));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(doc: Value, ops: &[UpdateOp]) -> Result<Value, UpdateError> {
        apply_ops(&doc, ops)
    }

    #[test]
    fn set_creates_intermediates_and_overwrites() {
        let d = run(
            json!({"_id": 1, "a": 1}),
            &[UpdateOp::set("p.q.r", json!("x"))],
        )
        .unwrap();
        assert_eq!(d, json!({"_id": 1, "a": 1, "p": {"q": {"r": "x"}}}));
        let d = run(d, &[UpdateOp::set("a", json!([1]))]).unwrap();
        assert_eq!(d["a"], json!([1]));
        let e = run(json!({"a": 1}), &[UpdateOp::set("a.b", json!(1))]).unwrap_err();
        assert!(matches!(e.failure, UpdateFailure::CannotCreate(_)), "{e}");
        assert!(run(json!({}), &[UpdateOp::set("a..b", json!(1))]).is_err());
    }

    #[test]
    fn unset_removes_and_ignores_missing() {
        let d = run(json!({"a": {"b": 1, "c": 2}}), &[UpdateOp::unset("a.b")]).unwrap();
        assert_eq!(d, json!({"a": {"c": 2}}));
        let d = run(d, &[UpdateOp::unset("zz.yy")]).unwrap();
        assert_eq!(d, json!({"a": {"c": 2}}));
        let d = run(json!({"xs": [1, 2]}), &[UpdateOp::unset("xs.0")]).unwrap();
        assert_eq!(d, json!({"xs": [null, 2]}));
    }

    #[test]
    fn rename_moves_and_checks_paths() {
        let d = run(json!({"a": 1, "b": 2}), &[UpdateOp::rename("a", "n.m")]).unwrap();
        assert_eq!(d, json!({"b": 2, "n": {"m": 1}}));
        let d = run(d, &[UpdateOp::rename("missing", "x")]).unwrap();
        assert!(d.get("x").is_none());
        let e = run(json!({"a": 1}), &[UpdateOp::rename("a", "a")]).unwrap_err();
        assert_eq!(e.failure, UpdateFailure::RenameSame);
        assert!(e.to_string().contains("must differ"));
        let e = run(json!({"a": {"b": 1}}), &[UpdateOp::rename("a", "a.b.c")]).unwrap_err();
        assert_eq!(e.failure, UpdateFailure::RenameOverlap);
        let e = run(
            json!({"xs": [{"a": 1}]}),
            &[UpdateOp::rename("xs.0.a", "b")],
        )
        .unwrap_err();
        assert_eq!(e.failure, UpdateFailure::RenameArray);
    }

    #[test]
    fn inc_adds_sets_missing_and_refuses_non_numbers() {
        let d = run(
            json!({"n": 1}),
            &[UpdateOp::inc("n", 2), UpdateOp::inc("m.k", 5)],
        )
        .unwrap();
        assert_eq!(d, json!({"n": 3, "m": {"k": 5}}));
        let by = Number::from_f64(0.5).unwrap();
        let d = run(
            d,
            &[UpdateOp::Inc {
                path: "n".into(),
                by,
            }],
        )
        .unwrap();
        assert_eq!(d["n"], json!(3.5));
        let e = run(json!({"n": "x"}), &[UpdateOp::inc("n", 1)]).unwrap_err();
        assert!(e
            .to_string()
            .contains("Cannot apply $inc to a value of non-numeric type"));
        let e = run(json!({"n": i64::MAX}), &[UpdateOp::inc("n", 1)]).unwrap();
        assert_eq!(e["n"], json!(i64::MAX as u64 + 1));
        let e = run(json!({"n": u64::MAX}), &[UpdateOp::inc("n", 1)]).unwrap_err();
        assert_eq!(e.failure, UpdateFailure::Overflow);
    }

    #[test]
    fn push_appends_creates_and_refuses_non_arrays() {
        let d = run(
            json!({}),
            &[
                UpdateOp::push("xs", json!(1)),
                UpdateOp::push("xs", json!(2)),
            ],
        )
        .unwrap();
        assert_eq!(d, json!({"xs": [1, 2]}));
        let e = run(json!({"xs": "a"}), &[UpdateOp::push("xs", json!(1))]).unwrap_err();
        assert_eq!(e.failure, UpdateFailure::NotAnArray { found: "string" });
        let each = json!({"$each": [1, 2]});
        let e = run(json!({}), &[UpdateOp::push("xs", each)]).unwrap_err();
        assert!(e.to_string().contains("$each is not supported"), "{e}");
    }

    #[test]
    fn pull_removes_all_equal_and_matching_elements() {
        let d = run(
            json!({"xs": [1, 2, 1.0, 3]}),
            &[UpdateOp::pull("xs", json!(1))],
        )
        .unwrap();
        assert_eq!(d, json!({"xs": [2, 3]}));
        let d = run(
            json!({"r": [{"s": 8, "i": "a"}, {"s": 8, "i": "b"}, {"s": 7}, 8]}),
            &[UpdateOp::pull("r", json!({"s": 8, "i": "b"}))],
        )
        .unwrap();
        assert_eq!(d, json!({"r": [{"s": 8, "i": "a"}, {"s": 7}, 8]}));
        let d = run(d, &[UpdateOp::pull("missing", json!(1))]).unwrap();
        assert!(d.get("missing").is_none());
        let e = run(
            json!({"xs": [{"t": [1]}]}),
            &[UpdateOp::pull("xs.t", json!(1))],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "$pull 'xs.t': cannot use the part 'xs' to traverse the element: it holds an array"
        );
        let e = run(json!({"xs": 1}), &[UpdateOp::pull("xs.t", json!(1))]).unwrap_err();
        assert!(matches!(e.failure, UpdateFailure::CannotTraverse { .. }));
        let e = run(json!({"xs": 1}), &[UpdateOp::pull("xs", json!(1))]).unwrap_err();
        assert!(matches!(e.failure, UpdateFailure::NotAnArray { .. }));
        let e = run(
            json!({"xs": []}),
            &[UpdateOp::pull("xs", json!({"$gte": 1}))],
        )
        .unwrap_err();
        assert!(e.to_string().contains("$gte"));
        let cond = json!({"s": {"$gte": 8}});
        let e = run(json!({"r": []}), &[UpdateOp::pull("r", cond)]).unwrap_err();
        assert!(e.to_string().contains("$gte"), "{e}");
    }

    #[test]
    fn failed_update_changes_nothing_and_id_is_immutable() {
        let doc = json!({"_id": 1, "n": "x", "a": 1});
        let e = apply_ops(&doc, &[UpdateOp::set("a", json!(2)), UpdateOp::inc("n", 1)]);
        assert!(e.is_err());
        assert_eq!(doc, json!({"_id": 1, "n": "x", "a": 1}));
        let e = apply_ops(&doc, &[UpdateOp::set("_id", json!(2))]).unwrap_err();
        assert_eq!(e.failure, UpdateFailure::ImmutableId);
        assert_eq!(e.op, "$set");
        assert!(apply_ops(&doc, &[UpdateOp::unset("_id")]).is_err());
        assert!(apply_op(&mut json!([1]), &UpdateOp::unset("a")).is_err());
    }

    #[test]
    fn parse_update_reads_mongo_documents() {
        let ops = parse_update(&json!({"$set": {"a": 1}, "$inc": {"n": 2}, "$rename": {"b": "c"}}))
            .unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0], UpdateOp::inc("n", 2));
        assert_eq!(ops[1], UpdateOp::rename("b", "c"));
        assert_eq!(ops[2].to_mongo(), json!({"$set": {"a": 1}}));
        let e = parse_update(&json!({"$set": {"a": 1}, "$unset": {"a.b": ""}})).unwrap_err();
        assert!(matches!(e.failure, UpdateFailure::Conflict { .. }));
        assert!(parse_update(&json!({"$inc": {"n": "x"}})).is_err());
        assert!(parse_update(&json!({"$bogus": {"n": 1}})).is_err());
        assert!(parse_update(&json!([1])).is_err());
    }

    #[test]
    fn ops_round_trip_through_serde() {
        let op = UpdateOp::rename("a", "b");
        let text = serde_json::to_string(&op).unwrap();
        assert_eq!(text, r#"{"op":"rename","from":"a","to":"b"}"#);
        assert_eq!(serde_json::from_str::<UpdateOp>(&text).unwrap(), op);
    }
}
