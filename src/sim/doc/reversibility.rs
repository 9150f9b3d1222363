//! Will undoing a document migration give the documents back? [`check_reversibility`] reads
//! the up and down operators (and, when known, the schema before the migration) and predicts
//! what the down steps cannot restore: values removed by `$unset` or `$pull`, values
//! overwritten by `$set` or `$rename`, and steps that down leaves half-undone.
//! [`roundtrip_check`] confirms a prediction on real documents by running up, then down.

use serde_json::Value;
use std::cell::Cell;
use std::fmt;

use super::migration::DocMigration;
use super::schema::{DocSchema, FieldType};
use super::update::UpdateOp;
use super::value::{cmp_numbers, values_equal};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    /// Values are lost for every document that has them.
    DataLoss,
    /// Values are lost for some documents, depending on the data.
    PossibleLoss,
    /// Nothing is lost, but documents after up + down differ from the originals.
    NotReverted,
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FindingKind::DataLoss => "data loss",
            FindingKind::PossibleLoss => "possible data loss",
            FindingKind::NotReverted => "not reverted",
        })
    }
}

/// One predicted problem with a migration's down steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Which list the operator is in (`"up"` or `"down"`) and its index there.
    pub side: &'static str,
    /// Index of the operator in that list.
    pub step: usize,
    /// The field path concerned.
    pub path: String,
    /// Severity.
    pub kind: FindingKind,
    /// What happens, for people.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} step {}: {}: {}",
            self.side,
            self.step + 1,
            self.kind,
            self.message
        )
    }
}

/// Whether documents before the migration have a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Presence {
    Absent,
    Optional,
    Required,
    Unknown,
}

struct Ctx<'a> {
    before: Option<&'a DocSchema>,
    down: &'a [UpdateOp],
    /// Down operators already matched as the inverse of an up operator.
    used: Vec<Cell<bool>>,
}

impl Ctx<'_> {
    fn presence(&self, path: &str) -> Presence {
        let Some(s) = self.before else {
            return Presence::Unknown;
        };
        // A nested required field is only present where its parent is: required all the
        // way up, or merely optional.
        let ancestors_required = path
            .match_indices('.')
            .all(|(i, _)| s.fields.get(&path[..i]).is_some_and(|f| f.required));
        match s.fields.get(path) {
            Some(f) if f.required && ancestors_required => Presence::Required,
            Some(_) => Presence::Optional,
            // Fields under a declared parent may exist undeclared: the schema is open.
            None if s.fields.keys().any(|k| under(k, path) || under(path, k)) => Presence::Unknown,
            None => Presence::Absent,
        }
    }
    fn ty(&self, path: &str) -> Option<FieldType> {
        self.before?.fields.get(path).map(|f| f.ty)
    }
    /// Match the first unused down operator satisfying `pred` and consume it, so two up
    /// steps cannot both count one down step as their inverse.
    fn take(&self, pred: impl Fn(&UpdateOp) -> bool) -> bool {
        let hit = self
            .down
            .iter()
            .zip(&self.used)
            .find(|(op, used)| !used.get() && pred(op));
        hit.map(|(_, used)| used.set(true)).is_some()
    }
    /// True when down unsets `path` or an ancestor. Unsets are idempotent, so one may undo
    /// several up steps (`$unset a` undoes `$set a.b` and `$set a.c`): mark, do not consume.
    fn down_unsets(&self, path: &str) -> bool {
        let mut found = false;
        for (op, used) in self.down.iter().zip(&self.used) {
            if matches!(op, UpdateOp::Unset { path: q } if q == path || under(path, q)) {
                used.set(true);
                found = true;
            }
        }
        found
    }
}

/// True when `path` lies strictly under `ancestor` (`a.b` under `a`).
fn under(path: &str, ancestor: &str) -> bool {
    path.len() > ancestor.len()
        && path.starts_with(ancestor)
        && path.as_bytes()[ancestor.len()] == b'.'
}

fn overlaps(a: &str, b: &str) -> bool {
    a == b || under(a, b) || under(b, a)
}

/// Paths an operator reads or writes.
fn touched(op: &UpdateOp) -> Vec<&str> {
    match op {
        UpdateOp::Rename { from, to } => vec![from, to],
        other => vec![other.path()],
    }
}

/// Predict what `m`'s down steps fail to restore. `before` is the schema at
/// `m.from_version` when known; without it, field existence is unknown and overwrites are
/// reported as possible losses. Each up step is matched with its inverse among the down
/// steps; down steps left over are checked for damage of their own.
pub fn check_reversibility(m: &DocMigration, before: Option<&DocSchema>) -> Vec<Finding> {
    let ctx = Ctx {
        before,
        down: &m.down,
        used: m.down.iter().map(|_| Cell::new(false)).collect(),
    };
    let mut out = overlap_findings(m);
    for (i, op) in m.up.iter().enumerate() {
        let mut add = |kind, message: String| {
            out.push(Finding {
                side: "up",
                step: i,
                path: op.path().to_string(),
                kind,
                message,
            })
        };
        match op {
            UpdateOp::Unset { path } => unset_findings(&ctx, path, &mut add),
            UpdateOp::Set { path, value } => set_findings(&ctx, path, value, &mut add),
            UpdateOp::Rename { from, to } => rename_findings(&ctx, from, to, &mut add),
            UpdateOp::Inc { path, by } => inc_findings(&ctx, path, by, &mut add),
            UpdateOp::Push { path, value } => push_findings(&ctx, path, value, &mut add),
            UpdateOp::Pull { path, condition } => {
                if ctx.presence(path) != Presence::Absent {
                    add(
                        FindingKind::DataLoss,
                        format!(
                            "up removes the elements of '{path}' that match {condition}; down cannot put them back"
                        ),
                    );
                }
            }
        }
    }
    out.extend(leftover_down_findings(m, &ctx));
    out
}

/// The step-by-step reading is only exact when up steps touch separate fields.
fn overlap_findings(m: &DocMigration) -> Vec<Finding> {
    let mut out = Vec::new();
    for (j, later) in m.up.iter().enumerate() {
        let clash = m.up[..j].iter().enumerate().find_map(|(i, earlier)| {
            touched(earlier)
                .into_iter()
                .find(|p| touched(later).iter().any(|q| overlaps(p, q)))
                .map(|p| (i, p))
        });
        if let Some((i, p)) = clash {
            out.push(Finding {
                side: "up",
                step: j,
                path: p.to_string(),
                kind: FindingKind::PossibleLoss,
                message: format!(
                    "up steps {} and {} both touch '{p}'; steps are checked one at a time, so confirm with a round trip",
                    i + 1,
                    j + 1
                ),
            });
        }
    }
    out
}

type Add<'a> = dyn FnMut(FindingKind, String) + 'a;

fn unset_findings(ctx: &Ctx, path: &str, add: &mut Add) {
    if ctx.presence(path) == Presence::Absent {
        return;
    }
    let restores = ctx.take(|o| matches!(o, UpdateOp::Set { path: q, .. } if q == path));
    let message = if restores {
        format!("up removes '{path}'; down sets it to a constant, so the original values are lost")
    } else {
        format!("up removes '{path}' and its values; down cannot restore them")
    };
    add(FindingKind::DataLoss, message);
}

fn set_findings(ctx: &Ctx, path: &str, value: &Value, add: &mut Add) {
    match ctx.presence(path) {
        Presence::Absent => {
            if !ctx.down_unsets(path) {
                add(
                    FindingKind::NotReverted,
                    format!("up adds '{path}' and down does not remove it"),
                );
            }
            new_parent_findings(ctx, path, add);
        }
        Presence::Unknown => add(
            FindingKind::PossibleLoss,
            format!("up overwrites '{path}' with {value}; documents that already had it lose their values"),
        ),
        Presence::Optional | Presence::Required => {
            let new_ty = FieldType::of(value);
            let message = match ctx.ty(path) {
                Some(old) if !new_ty.reads(old) => format!(
                    "up changes the type of '{path}' from {old} to {new_ty} (sets {value}); down cannot recover the {old} values"
                ),
                _ => format!("up overwrites '{path}' with {value}; the previous values are lost"),
            };
            add(FindingKind::DataLoss, message);
        }
    }
}

/// Writing `a.b` on documents without `a` creates `a`; removing `a.b` again leaves an empty
/// `a` unless down removes it too.
fn new_parent_findings(ctx: &Ctx, path: &str, add: &mut Add) {
    let mut end = 0;
    while let Some(i) = path[end..].find('.') {
        let parent = &path[..end + i];
        if ctx.presence(parent) == Presence::Absent && !ctx.down_unsets(parent) {
            add(
                FindingKind::NotReverted,
                format!("up creates the object '{parent}'; down leaves it behind (empty)"),
            );
            return;
        }
        end += i + 1;
    }
}

fn rename_findings(ctx: &Ctx, from: &str, to: &str, add: &mut Add) {
    if ctx.presence(from) == Presence::Absent {
        return;
    }
    match ctx.presence(to) {
        Presence::Absent => {}
        Presence::Unknown => add(
            FindingKind::PossibleLoss,
            format!("up renames '{from}' onto '{to}'; documents that already had '{to}' lose it"),
        ),
        _ => add(
            FindingKind::DataLoss,
            format!("up renames '{from}' onto the existing field '{to}', whose values are lost"),
        ),
    }
    let back =
        ctx.take(|o| matches!(o, UpdateOp::Rename { from: f, to: t } if f == to && t == from));
    if back {
        new_parent_findings(ctx, to, add);
    } else if ctx.down_unsets(to) {
        add(
            FindingKind::DataLoss,
            format!("up renames '{from}' to '{to}' and down removes '{to}': the values are lost"),
        );
    } else {
        add(
            FindingKind::NotReverted,
            format!("up renames '{from}' to '{to}' and down does not rename it back"),
        );
    }
}

fn inc_findings(ctx: &Ctx, path: &str, by: &serde_json::Number, add: &mut Add) {
    let inverse = ctx.take(|o| match o {
        UpdateOp::Inc { path: q, by: b } if q == path => {
            b.as_f64().zip(by.as_f64()).is_some_and(|(x, y)| x == -y)
        }
        _ => false,
    });
    if !inverse {
        add(
            FindingKind::NotReverted,
            format!("up adds {by} to '{path}' and down does not subtract it"),
        );
        return;
    }
    let float = !(by.is_i64() || by.is_u64()) || ctx.ty(path) == Some(FieldType::Number);
    if float && cmp_numbers(by, &serde_json::Number::from(0)).is_ne() {
        add(
            FindingKind::PossibleLoss,
            format!("adding and subtracting {by} on '{path}' can round floating-point values"),
        );
    }
    if ctx.presence(path) != Presence::Required {
        add(
            FindingKind::NotReverted,
            format!(
                "documents without '{path}' get {by} from up; down leaves 0 instead of removing it"
            ),
        );
    }
}

fn push_findings(ctx: &Ctx, path: &str, value: &Value, add: &mut Add) {
    let pulls = ctx.take(
        |o| matches!(o, UpdateOp::Pull { path: q, condition } if q == path && values_equal(condition, value)),
    );
    if !pulls {
        add(
            FindingKind::NotReverted,
            format!("up appends {value} to '{path}' and down does not remove it"),
        );
        return;
    }
    if ctx.presence(path) != Presence::Absent {
        add(
            FindingKind::PossibleLoss,
            format!("down's $pull removes every element of '{path}' equal to {value}, including ones that were there before up"),
        );
    }
    if ctx.presence(path) != Presence::Required {
        add(
            FindingKind::NotReverted,
            format!("documents without '{path}' get a new array from up; down leaves it empty instead of removing it"),
        );
    }
}

/// Down steps that are no up step's inverse change data of their own accord: report what
/// they destroy or leave changed.
fn leftover_down_findings(m: &DocMigration, ctx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, (op, used)) in m.down.iter().zip(&ctx.used).enumerate() {
        if used.get() {
            continue;
        }
        let path = op.path();
        let existed = ctx.presence(path) != Presence::Absent;
        let (kind, message) = match op {
            // Removing what was never there before up is harmless (an empty parent, say).
            UpdateOp::Unset { .. } if !existed => continue,
            UpdateOp::Unset { .. } => (
                FindingKind::DataLoss,
                format!("down removes '{path}', which existed before up: undo destroys its values"),
            ),
            UpdateOp::Set { .. } | UpdateOp::Pull { .. } if existed => (
                FindingKind::DataLoss,
                format!(
                    "down's {} changes '{path}', which up did not: undo destroys its values",
                    op.name()
                ),
            ),
            UpdateOp::Rename { to, .. } if ctx.presence(to) != Presence::Absent => (
                FindingKind::DataLoss,
                format!("down renames '{path}' onto '{to}', whose values are lost"),
            ),
            _ => (
                FindingKind::NotReverted,
                format!(
                    "down's {} on '{path}' undoes no up step: documents come back changed",
                    op.name()
                ),
            ),
        };
        out.push(Finding {
            side: "down",
            step: i,
            path: path.to_string(),
            kind,
            message,
        });
    }
    out
}

/// Findings for every migration of a chain, each checked against the schema before it
/// (derived from `base` by the earlier migrations), as (from_version, findings).
pub fn check_chain_reversibility(
    base: &DocSchema,
    migrations: &[DocMigration],
) -> Vec<(u32, Vec<Finding>)> {
    let schemas = super::compat::derive_chain(base, migrations);
    migrations
        .iter()
        .zip(&schemas)
        .map(|(m, before)| (m.from_version, check_reversibility(m, Some(before))))
        .collect()
}

/// Run up, then down, on each document and report those that do not come back, with the
/// first path where they differ. Documents the up operators reject are skipped (an eager
/// migration would fail on them instead).
pub fn roundtrip_check(m: &DocMigration, docs: &[Value]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let Ok(up) = m.upgrade(doc) else { continue };
        let back = match m.downgrade(&up) {
            Ok(b) => b,
            Err(e) => {
                out.push(roundtrip_finding(i, "", format!("down fails: {e}")));
                continue;
            }
        };
        if let Some(path) = first_difference(doc, &back, String::new()) {
            let message = format!(
                "document {} does not come back: it differs at '{path}'",
                doc.get(super::ID_FIELD).unwrap_or(&Value::Null)
            );
            out.push(roundtrip_finding(i, &path, message));
        }
    }
    out
}

fn roundtrip_finding(i: usize, path: &str, message: String) -> Finding {
    Finding {
        side: "document",
        step: i,
        path: path.to_string(),
        kind: FindingKind::DataLoss,
        message,
    }
}

/// The first path (in key order) where two values differ, or None when equal.
pub fn first_difference(a: &Value, b: &Value, here: String) -> Option<String> {
    let join = |k: &str| {
        if here.is_empty() {
            k.to_string()
        } else {
            format!("{here}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            crate::sim::sort::sort(&mut keys);
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, join(k)),
                _ => Some(join(k)),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, join(&i.to_string()))),
        _ if a == b => None,
        _ => Some(here),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::doc::{FieldSpec, FieldType};
    use serde_json::json;

    fn schema() -> DocSchema {
        DocSchema::new(1)
            .field("name", FieldSpec::required(FieldType::String))
            .field("age", FieldSpec::required(FieldType::Integer))
            .field("tags", FieldSpec::required(FieldType::Array))
            .field("nick", FieldSpec::optional(FieldType::String))
    }

    fn mig(up: Vec<UpdateOp>, down: Vec<UpdateOp>) -> DocMigration {
        DocMigration::new("users", 1, 2, "test", up, down)
    }

    fn kinds(f: &[Finding]) -> Vec<FindingKind> {
        f.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn lossless_migrations_have_no_findings() {
        let m = mig(
            vec![
                UpdateOp::set("email", json!("")),
                UpdateOp::rename("name", "full_name"),
                UpdateOp::inc("age", 1),
            ],
            vec![
                UpdateOp::inc("age", -1),
                UpdateOp::rename("full_name", "name"),
                UpdateOp::unset("email"),
            ],
        );
        assert_eq!(check_reversibility(&m, Some(&schema())), vec![]);
        let doc = json!({"_id": 1, "schema_version": 1, "name": "a", "age": 3, "tags": []});
        assert!(roundtrip_check(&m, std::slice::from_ref(&doc)).is_empty());
    }

    #[test]
    fn unset_loses_values() {
        let m = mig(
            vec![UpdateOp::unset("nick")],
            vec![UpdateOp::set("nick", json!(""))],
        );
        let f = check_reversibility(&m, Some(&schema()));
        assert_eq!(kinds(&f), vec![FindingKind::DataLoss]);
        assert!(f[0].message.contains("constant"), "{}", f[0]);
        let m = mig(vec![UpdateOp::unset("nick")], vec![]);
        let f = check_reversibility(&m, Some(&schema()));
        assert!(f[0].to_string().contains("down cannot restore"));
        let doc = json!({"_id": 1, "schema_version": 1, "nick": "x"});
        let r = roundtrip_check(&m, &[doc]);
        assert_eq!(r[0].path, "nick");
        // Unsetting a field that never existed loses nothing.
        assert!(
            check_reversibility(&mig(vec![UpdateOp::unset("zz")], vec![]), Some(&schema()))
                .is_empty()
        );
    }

    #[test]
    fn set_overwrites_and_type_changes() {
        let m = mig(vec![UpdateOp::set("age", json!("old"))], vec![]);
        let f = check_reversibility(&m, Some(&schema()));
        assert_eq!(kinds(&f), vec![FindingKind::DataLoss]);
        assert!(f[0].message.contains("from integer to string"), "{}", f[0]);
        let m = mig(vec![UpdateOp::set("nick", json!("x"))], vec![]);
        assert!(check_reversibility(&m, Some(&schema()))[0]
            .message
            .contains("previous values are lost"));
        let f = check_reversibility(&m, None);
        assert_eq!(kinds(&f), vec![FindingKind::PossibleLoss]);
        let m = mig(
            vec![UpdateOp::set("p.q", json!(1))],
            vec![UpdateOp::unset("p.q")],
        );
        let f = check_reversibility(&m, Some(&schema()));
        assert_eq!(kinds(&f), vec![FindingKind::NotReverted]);
        assert!(f[0].message.contains("'p'"));
        let m = mig(vec![UpdateOp::set("new", json!(1))], vec![]);
        assert!(check_reversibility(&m, Some(&schema()))[0]
            .message
            .contains("does not remove"));
    }

    #[test]
    fn rename_inc_push_pull() {
        let m = mig(
            vec![UpdateOp::rename("nick", "name")],
            vec![UpdateOp::rename("name", "nick")],
        );
        assert_eq!(
            kinds(&check_reversibility(&m, Some(&schema()))),
            vec![FindingKind::DataLoss]
        );
        let m = mig(
            vec![UpdateOp::rename("name", "x")],
            vec![UpdateOp::unset("x")],
        );
        assert_eq!(
            kinds(&check_reversibility(&m, Some(&schema()))),
            vec![FindingKind::DataLoss]
        );
        let m = mig(
            vec![UpdateOp::inc("logins", 1)],
            vec![UpdateOp::inc("logins", -1)],
        );
        assert_eq!(
            kinds(&check_reversibility(&m, Some(&schema()))),
            vec![FindingKind::NotReverted]
        );
        let m = mig(vec![UpdateOp::inc("age", 1)], vec![]);
        assert_eq!(
            kinds(&check_reversibility(&m, Some(&schema()))),
            vec![FindingKind::NotReverted]
        );
        let m = mig(
            vec![UpdateOp::push("tags", json!("x"))],
            vec![UpdateOp::pull("tags", json!("x"))],
        );
        let f = check_reversibility(&m, Some(&schema()));
        assert_eq!(kinds(&f), vec![FindingKind::PossibleLoss]);
        let doc = json!({"_id": 1, "schema_version": 1, "tags": ["x"]});
        assert_eq!(roundtrip_check(&m, &[doc])[0].path, "tags");
        let m = mig(vec![UpdateOp::pull("tags", json!("x"))], vec![]);
        assert_eq!(
            kinds(&check_reversibility(&m, Some(&schema()))),
            vec![FindingKind::DataLoss]
        );
    }

    #[test]
    fn down_that_removes_old_fields_is_reported() {
        let m = mig(vec![], vec![UpdateOp::unset("name")]);
        let f = check_reversibility(&m, Some(&schema()));
        assert_eq!(f[0].side, "down");
        assert!(f[0].to_string().starts_with("down step 1: data loss"));
    }

    #[test]
    fn differences_are_located() {
        assert_eq!(
            first_difference(&json!({"a": 1}), &json!({"a": 1}), String::new()),
            None
        );
        assert_eq!(
            first_difference(
                &json!({"a": {"b": [1, 2]}}),
                &json!({"a": {"b": [1, 3]}}),
                String::new()
            ),
            Some("a.b.1".into())
        );
        assert_eq!(
            first_difference(&json!({"a": 1}), &json!({"a": 1.0}), String::new()),
            Some("a".into())
        );
        assert_eq!(
            first_difference(&json!({"a": 1}), &json!({}), String::new()),
            Some("a".into())
        );
    }
}
