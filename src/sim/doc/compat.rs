//! Compatibility between document schema versions, in the terms of Confluent Schema Registry:
//! BACKWARD (readers of the new version read data written with the old), FORWARD (readers of
//! the old version read data written with the new), FULL (both), and transitive variants that
//! check a version against every earlier one instead of only the previous one.
//!
//! Documents are open content: a reader ignores fields it does not know, so only two things
//! break a reader: a field it requires that the writer may leave out (unless the reader has a
//! default), and a field whose written type the reader cannot read (integer is readable as
//! number, nothing else converts).
//!
//! [`derive_schema`] applies a migration's operators to a schema, so the schemas of a
//! migration chain, and hence its compatibility, follow from the migrations themselves.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

use super::migration::DocMigration;
use super::path::parse_index;
use super::schema::{DocSchema, FieldSpec, FieldType};
use super::update::UpdateOp;

/// Which pairs of versions must be compatible, and in which direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatMode {
    /// No check.
    None,
    /// Each version reads data of the previous one.
    Backward,
    /// Each version reads data of every earlier one.
    BackwardTransitive,
    /// The previous version reads data of each version.
    Forward,
    /// Every earlier version reads data of each version.
    ForwardTransitive,
    /// Backward and forward with the previous version.
    Full,
    /// Backward and forward with every earlier version.
    FullTransitive,
}

impl CompatMode {
    /// Every mode, in the order a menu lists them.
    pub const ALL: [CompatMode; 7] = [
        CompatMode::None,
        CompatMode::Backward,
        CompatMode::BackwardTransitive,
        CompatMode::Forward,
        CompatMode::ForwardTransitive,
        CompatMode::Full,
        CompatMode::FullTransitive,
    ];

    /// The registry's name, e.g. `BACKWARD_TRANSITIVE`.
    pub fn name(self) -> &'static str {
        match self {
            CompatMode::None => "NONE",
            CompatMode::Backward => "BACKWARD",
            CompatMode::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatMode::Forward => "FORWARD",
            CompatMode::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatMode::Full => "FULL",
            CompatMode::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    fn backward(self) -> bool {
        use CompatMode as M;
        matches!(
            self,
            M::Backward | M::BackwardTransitive | M::Full | M::FullTransitive
        )
    }
    fn forward(self) -> bool {
        use CompatMode as M;
        matches!(
            self,
            M::Forward | M::ForwardTransitive | M::Full | M::FullTransitive
        )
    }
    fn transitive(self) -> bool {
        use CompatMode as M;
        matches!(
            self,
            M::BackwardTransitive | M::ForwardTransitive | M::FullTransitive
        )
    }
}

impl fmt::Display for CompatMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads the registry's names, case-insensitively (`full_transitive` works too).
impl std::str::FromStr for CompatMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CompatMode::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = CompatMode::ALL.iter().map(|m| m.name()).collect();
                format!(
                    "unknown compatibility mode '{s}'; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// Why readers of one version cannot read data of another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncompatKind {
    /// The reader requires the field, has no default, and the writer may omit it.
    RequiredNotWritten {
        /// True when the writer declares the field as optional; false when it lacks it.
        writer_optional: bool,
    },
    /// The writer's type is not readable as the reader's.
    TypeChanged {
        /// Type in the reader's schema.
        reader: FieldType,
        /// Type in the writer's schema.
        writer: FieldType,
    },
}

/// One reason a (reader, writer) pair of versions is incompatible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incompatibility {
    /// Version of the schema that reads.
    pub reader: u32,
    /// Version of the schema the data was written with.
    pub writer: u32,
    /// The field path.
    pub field: String,
    /// What breaks.
    pub kind: IncompatKind,
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (r, w, field) = (self.reader, self.writer, &self.field);
        let reader_is_newer = r > w;
        match (&self.kind, reader_is_newer) {
            (IncompatKind::RequiredNotWritten { writer_optional: false }, true) => write!(
                f,
                "v{r} added required field \"{field}\" without a default: v{r} readers cannot read v{w} data"
            ),
            (IncompatKind::RequiredNotWritten { writer_optional: true }, true) => write!(
                f,
                "v{r} made field \"{field}\" required without a default: v{r} readers cannot read v{w} data"
            ),
            (IncompatKind::RequiredNotWritten { writer_optional: false }, false) => {
                write!(f, "v{w} removed required field \"{field}\": v{r} readers break")
            }
            (IncompatKind::RequiredNotWritten { writer_optional: true }, false) => write!(
                f,
                "v{w} made required field \"{field}\" optional: v{r} readers break"
            ),
            (IncompatKind::TypeChanged { reader, writer }, _) => {
                let (old, new) = if reader_is_newer { (writer, reader) } else { (reader, writer) };
                write!(
                    f,
                    "field \"{field}\" changed type from {old} to {new}: v{r} readers cannot read v{w} data"
                )
            }
        }
    }
}

/// The outcome of a compatibility check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatReport {
    /// The mode checked.
    pub mode: CompatMode,
    /// Every incompatibility found, in version order.
    pub issues: Vec<Incompatibility>,
}

impl CompatReport {
    /// True when nothing breaks.
    pub fn is_compatible(&self) -> bool {
        self.issues.is_empty()
    }
}

/// What breaks when readers of `reader` read data written with `writer`.
pub fn check_read(reader: &DocSchema, writer: &DocSchema) -> Vec<Incompatibility> {
    let mut out = Vec::new();
    for (field, rs) in &reader.fields {
        let issue = |kind| Incompatibility {
            reader: reader.version,
            writer: writer.version,
            field: field.clone(),
            kind,
        };
        match writer.fields.get(field) {
            Some(ws) if !rs.ty.reads(ws.ty) => out.push(issue(IncompatKind::TypeChanged {
                reader: rs.ty,
                writer: ws.ty,
            })),
            Some(ws) if rs.required && rs.default.is_none() && !ws.required => {
                out.push(issue(IncompatKind::RequiredNotWritten {
                    writer_optional: true,
                }))
            }
            None if rs.required && rs.default.is_none() && parent_written(writer, field) => out
                .push(issue(IncompatKind::RequiredNotWritten {
                    writer_optional: false,
                })),
            _ => {}
        }
    }
    out
}

/// A nested required field only binds where its parent exists: when the writer never writes
/// the parent, its documents have no parent and nothing is missing.
fn parent_written(writer: &DocSchema, field: &str) -> bool {
    let Some((parent, _)) = field.rsplit_once('.') else {
        return true;
    };
    let under = format!("{parent}.");
    writer
        .fields
        .keys()
        .any(|k| k == parent || k.starts_with(&under))
}

/// Is `new` compatible with the existing versions (oldest first) under `mode`? Non-transitive
/// modes compare with the latest existing version only, as the registry does on registration.
pub fn check_new(mode: CompatMode, existing: &[DocSchema], new: &DocSchema) -> CompatReport {
    let against: &[DocSchema] = match (mode.transitive(), existing.split_last()) {
        (true, _) => existing,
        (false, Some((last, _))) => std::slice::from_ref(last),
        (false, None) => &[],
    };
    let mut issues = Vec::new();
    for old in against {
        if mode.backward() {
            issues.extend(check_read(new, old));
        }
        if mode.forward() {
            issues.extend(check_read(old, new));
        }
    }
    CompatReport { mode, issues }
}

/// Check a whole chain as if each version had been registered in turn.
pub fn check_chain(mode: CompatMode, chain: &[DocSchema]) -> CompatReport {
    let mut issues = Vec::new();
    for i in 1..chain.len() {
        issues.extend(check_new(mode, &chain[..i], &chain[i]).issues);
    }
    CompatReport { mode, issues }
}

/// The schema after `m`'s up operators, at `m.to_version`. For a single operator it
/// describes exactly the documents the operator can produce from documents of `base`
/// (checked by a property test). Over several operators it is an approximation: one type
/// per field cannot say "a string where the rename happened, a bool elsewhere", so such a
/// field is left undeclared, and later steps treat it as absent.
pub fn derive_schema(base: &DocSchema, m: &DocMigration) -> DocSchema {
    let mut fields = base.fields.clone();
    for op in &m.up {
        apply_to_schema(&mut fields, op);
    }
    DocSchema {
        version: m.to_version,
        fields,
    }
}

/// The schemas of a chain: `base`, then one per migration.
pub fn derive_chain(base: &DocSchema, migrations: &[DocMigration]) -> Vec<DocSchema> {
    let mut out = vec![base.clone()];
    for m in migrations {
        let next = derive_schema(out.last().unwrap_or(base), m);
        out.push(next);
    }
    out
}

type Fields = BTreeMap<String, FieldSpec>;

fn is_at_or_under(k: &str, path: &str) -> bool {
    k == path || (k.starts_with(path) && k.as_bytes().get(path.len()) == Some(&b'.'))
}

fn take_subtree(fields: &mut Fields, path: &str) -> Vec<(String, FieldSpec)> {
    let keys: Vec<String> = fields
        .keys()
        .filter(|k| is_at_or_under(k, path))
        .cloned()
        .collect();
    keys.into_iter()
        .filter_map(|k| fields.remove(&k).map(|s| (k, s)))
        .collect()
}

/// Remove the specs strictly below `path`, keeping its own.
fn take_below(fields: &mut Fields, path: &str) {
    let own = fields.remove(path);
    take_subtree(fields, path);
    if let Some(spec) = own {
        fields.insert(path.to_string(), spec);
    }
}

/// Strict ancestors of a dotted path, outermost first (`a`, `a.b` for `a.b.c`).
fn ancestors(path: &str) -> Vec<&str> {
    path.match_indices('.').map(|(i, _)| &path[..i]).collect()
}

/// True when every document has `path`: it is required, and so is each ancestor (a nested
/// required field is only there where its parent is).
fn always_present(fields: &Fields, path: &str) -> bool {
    ancestors(path)
        .into_iter()
        .chain([path])
        .all(|p| fields.get(p).is_some_and(|s| s.required))
}

/// An operator writing `path` creates missing ancestors as objects (required when it does
/// so in every document). Documents that lacked an ancestor get a fresh object holding only
/// `path`, so that ancestor's other required children become optional.
fn ensure_ancestors(fields: &mut Fields, path: &str, required: bool) {
    let chain = ancestors(path);
    let sometimes_missing: Vec<bool> = chain.iter().map(|p| !always_present(fields, p)).collect();
    for (p, missing) in chain.into_iter().zip(sometimes_missing) {
        if missing {
            for (k, spec) in fields.iter_mut() {
                let on_chain = is_at_or_under(path, k);
                if !on_chain && is_at_or_under(k, p) && k != p {
                    spec.required = false;
                }
            }
        }
        let next = &path[p.len() + 1..];
        let index_next = next.split('.').next().and_then(parse_index).is_some();
        let keeps_type = |ty| ty == FieldType::Object || (ty == FieldType::Array && index_next);
        if !required && fields.get(p).is_some_and(|s| !keeps_type(s.ty)) {
            // Only some documents are written: the ancestor is an object in those and keeps
            // its old type in the others, which one type cannot describe.
            fields.remove(p);
            continue;
        }
        let spec = fields
            .entry(p.to_string())
            .or_insert_with(|| FieldSpec::optional(FieldType::Object));
        // Documents where the ancestor held something else fail the update, so the ones
        // that remain hold an object (or an array, when the path indexes into it).
        if !keeps_type(spec.ty) {
            spec.ty = FieldType::Object;
        }
        spec.required |= required;
    }
}

/// Fields a `$set` value brings with it (an object's keys, recursively).
fn insert_value(fields: &mut Fields, path: &str, v: &Value) {
    fields.insert(path.to_string(), FieldSpec::required(FieldType::of(v)));
    if let Value::Object(m) = v {
        for (k, child) in m {
            insert_value(fields, &format!("{path}.{k}"), child);
        }
    }
}

fn apply_to_schema(fields: &mut Fields, op: &UpdateOp) {
    match op {
        UpdateOp::Set { path, value } => {
            take_subtree(fields, path);
            ensure_ancestors(fields, path, true);
            insert_value(fields, path, value);
        }
        UpdateOp::Unset { path } => {
            take_subtree(fields, path);
        }
        UpdateOp::Rename { from, to } => rename_in_schema(fields, from, to),
        UpdateOp::Inc { path, by } => {
            let by_int = by.is_i64() || by.is_u64();
            let ty = match fields.get(path).map(|s| s.ty) {
                Some(FieldType::Integer) | None if by_int => FieldType::Integer,
                _ => FieldType::Number,
            };
            ensure_ancestors(fields, path, true);
            // A number has no fields: specs below it describe documents the update rejects.
            take_below(fields, path);
            fields.insert(path.clone(), FieldSpec::required(ty));
        }
        UpdateOp::Push { path, .. } => {
            ensure_ancestors(fields, path, true);
            // Specs of the elements may not hold for the pushed value.
            take_below(fields, path);
            let spec = fields
                .entry(path.clone())
                .or_insert_with(|| FieldSpec::required(FieldType::Array));
            spec.ty = FieldType::Array;
            spec.required = true;
        }
        UpdateOp::Pull { .. } => {}
    }
}

fn rename_in_schema(fields: &mut Fields, from: &str, to: &str) {
    if !fields.contains_key(from) {
        // The schema does not know the source: documents may or may not have it.
        return;
    }
    let from_required = always_present(fields, from);
    let moved = take_subtree(fields, from);
    let target_known = fields.keys().any(|k| is_at_or_under(k, to));
    if from_required {
        take_subtree(fields, to);
    } else {
        // Documents without the source keep whatever they had at the target.
        for (k, s) in fields.iter_mut() {
            if is_at_or_under(k, to) {
                s.required = false;
            }
        }
    }
    ensure_ancestors(fields, to, from_required);
    for (k, mut spec) in moved {
        let renamed = format!("{to}{}", &k[from.len()..]);
        if k == from {
            // The moved field is present wherever the source always was, no more: a nested
            // required source is only there where its parent was.
            spec.required = from_required;
        }
        if from_required || !target_known {
            fields.insert(renamed, spec);
            continue;
        }
        // Some documents hold the moved value, others the old target: merge the two.
        let merged = match fields.get(&renamed) {
            None => Some(spec.ty),
            Some(old) => unify(old.ty, spec.ty),
        };
        match merged {
            Some(ty) => {
                fields.insert(renamed, FieldSpec::optional(ty));
            }
            // One type cannot describe both: leave the field undeclared.
            None => {
                take_subtree(fields, &renamed);
            }
        }
    }
}

/// One type that reads values of both, if there is one.
fn unify(a: FieldType, b: FieldType) -> Option<FieldType> {
    if a.reads(b) {
        Some(a)
    } else if b.reads(a) {
        Some(b)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::doc::FieldSpec as F;
    use serde_json::json;

    fn v1() -> DocSchema {
        DocSchema::new(1)
            .field("name", F::required(FieldType::String))
            .field("email", F::required(FieldType::String))
            .field("age", F::optional(FieldType::Integer))
    }

    #[test]
    fn backward_allows_removing_and_optional_additions() {
        let v2 = DocSchema::new(2)
            .field("name", F::required(FieldType::String))
            .field("age", F::optional(FieldType::Number))
            .field("nick", F::optional(FieldType::String));
        assert!(check_chain(CompatMode::Backward, &[v1(), v2.clone()]).is_compatible());
        let v2b = v2.field("phone", F::required(FieldType::String));
        let r = check_chain(CompatMode::Backward, &[v1(), v2b]);
        assert_eq!(r.issues.len(), 1);
        assert_eq!(
            r.issues[0].to_string(),
            "v2 added required field \"phone\" without a default: v2 readers cannot read v1 data"
        );
    }

    #[test]
    fn defaults_keep_new_required_fields_backward_compatible() {
        let v2 = v1().field(
            "phone",
            F::required(FieldType::String).with_default(json!("")),
        );
        let mut v2 = v2;
        v2.version = 2;
        assert!(check_chain(CompatMode::Backward, &[v1(), v2]).is_compatible());
    }

    #[test]
    fn forward_breaks_when_a_required_field_is_removed() {
        let mut v2 = v1();
        v2.version = 2;
        v2.fields
            .insert("nick".into(), F::required(FieldType::String));
        assert!(check_chain(CompatMode::Forward, &[v1(), v2.clone()]).is_compatible());
        v2.fields.remove("email");
        let r = check_chain(CompatMode::Forward, &[v1(), v2]);
        assert_eq!(
            r.issues[0].to_string(),
            "v2 removed required field \"email\": v1 readers break"
        );
    }

    #[test]
    fn full_needs_both_and_reports_type_changes() {
        let mut v2 = v1();
        v2.version = 2;
        v2.fields
            .insert("nick".into(), F::optional(FieldType::String));
        assert!(check_chain(CompatMode::Full, &[v1(), v2.clone()]).is_compatible());
        v2.fields
            .insert("age".into(), F::optional(FieldType::String));
        let r = check_chain(CompatMode::Full, &[v1(), v2]);
        assert_eq!(r.issues.len(), 2, "{:?}", r.issues);
        assert!(r.issues[0]
            .to_string()
            .starts_with("field \"age\" changed type from integer to string"));
        // Widening integer -> number is backward but not forward compatible.
        let mut v3 = v1();
        v3.version = 3;
        v3.fields
            .insert("age".into(), F::optional(FieldType::Number));
        assert!(check_chain(CompatMode::Backward, &[v1(), v3.clone()]).is_compatible());
        assert!(!check_chain(CompatMode::Forward, &[v1(), v3]).is_compatible());
    }

    #[test]
    fn optional_to_required_is_reported() {
        let mut v2 = v1();
        v2.version = 2;
        v2.fields
            .insert("age".into(), F::required(FieldType::Integer));
        let r = check_chain(CompatMode::Full, &[v1(), v2]);
        assert_eq!(r.issues.len(), 1);
        assert!(r.issues[0]
            .to_string()
            .contains("v2 made field \"age\" required"));
        let mut v2 = v1();
        v2.version = 2;
        v2.fields
            .insert("email".into(), F::optional(FieldType::String));
        let r = check_chain(CompatMode::Full, &[v1(), v2]);
        assert!(r.issues[0]
            .to_string()
            .contains("v2 made required field \"email\" optional"));
    }

    #[test]
    fn transitive_modes_check_every_earlier_version() {
        // v2 drops the optional "age"; v3 brings it back as a string.
        let mut v2 = v1();
        v2.version = 2;
        v2.fields.remove("age");
        let mut v3 = v2.clone();
        v3.version = 3;
        v3.fields
            .insert("age".into(), F::optional(FieldType::String));
        let chain = [v1(), v2, v3];
        // Adjacent pairs are fine: v2 dropped age, v3 re-added it with another type.
        assert!(check_chain(CompatMode::Backward, &chain).is_compatible());
        assert!(check_chain(CompatMode::Forward, &chain).is_compatible());
        assert!(check_chain(CompatMode::Full, &chain).is_compatible());
        // Against v1, v3's age has the wrong type.
        let r = check_chain(CompatMode::BackwardTransitive, &chain);
        assert_eq!(r.issues.len(), 1);
        assert_eq!((r.issues[0].reader, r.issues[0].writer), (3, 1));
        assert!(!check_chain(CompatMode::ForwardTransitive, &chain).is_compatible());
        assert_eq!(
            check_chain(CompatMode::FullTransitive, &chain).issues.len(),
            2
        );
        assert!(check_chain(CompatMode::None, &chain).is_compatible());
    }

    #[test]
    fn modes_have_registry_names() {
        for m in CompatMode::ALL {
            assert_eq!(m.to_string().parse::<CompatMode>(), Ok(m));
            let json = serde_json::to_value(m).unwrap();
            assert_eq!(json, json!(m.name()));
        }
        assert_eq!("full_transitive".parse(), Ok(CompatMode::FullTransitive));
        let e = "sideways".parse::<CompatMode>().unwrap_err();
        assert!(e.contains("BACKWARD_TRANSITIVE"), "{e}");
    }

    #[test]
    fn nested_required_fields_bind_only_under_written_parents() {
        let v2 = DocSchema::new(2)
            .field("address", F::optional(FieldType::Object))
            .field("address.city", F::required(FieldType::String));
        assert!(check_read(&v2, &DocSchema::new(1)).is_empty());
        let w = DocSchema::new(1).field("address", F::optional(FieldType::Object));
        assert_eq!(check_read(&v2, &w).len(), 1);
    }

    #[test]
    fn schemas_follow_the_operators() {
        let base = v1().field("tags", F::optional(FieldType::Array));
        let m = DocMigration::new(
            "users",
            1,
            2,
            "reshape",
            vec![
                UpdateOp::rename("name", "profile.name"),
                UpdateOp::set("prefs", json!({"theme": "light"})),
                UpdateOp::unset("email"),
                UpdateOp::inc("logins", 1),
                UpdateOp::push("tags", json!("new")),
                UpdateOp::set("age", json!("unknown")),
            ],
            vec![],
        );
        let s = derive_schema(&base, &m);
        assert_eq!(s.version, 2);
        let ty = |p: &str| s.fields.get(p).map(|f| (f.ty, f.required));
        assert_eq!(ty("profile"), Some((FieldType::Object, true)));
        assert_eq!(ty("profile.name"), Some((FieldType::String, true)));
        assert_eq!(ty("name"), None);
        assert_eq!(ty("email"), None);
        assert_eq!(ty("prefs.theme"), Some((FieldType::String, true)));
        assert_eq!(ty("logins"), Some((FieldType::Integer, true)));
        assert_eq!(ty("tags"), Some((FieldType::Array, true)));
        assert_eq!(ty("age"), Some((FieldType::String, true)));
        let chain = derive_chain(&base, &[m]);
        let r = check_chain(CompatMode::Full, &chain);
        assert!(r
            .issues
            .iter()
            .any(|i| i.to_string().contains("removed required field \"email\"")));
        assert!(r.issues.iter().any(|i| i
            .to_string()
            .contains("changed type from integer to string")));
    }

    #[test]
    fn creating_a_parent_relaxes_its_other_required_children() {
        let base = DocSchema::new(1)
            .field("o", F::optional(FieldType::Object))
            .field("o.y", F::required(FieldType::String))
            .field("n", F::optional(FieldType::String));
        let m = DocMigration::new("c", 1, 2, "", vec![UpdateOp::inc("o.x", 1)], vec![]);
        let s = derive_schema(&base, &m);
        assert_eq!(s.fields["o"], F::required(FieldType::Object));
        assert_eq!(s.fields["o.x"], F::required(FieldType::Integer));
        assert_eq!(s.fields["o.y"], F::optional(FieldType::String));
        // A nested required source is only present where its parent was.
        let m = DocMigration::new("c", 1, 2, "", vec![UpdateOp::rename("o.y", "top")], vec![]);
        assert_eq!(
            derive_schema(&base, &m).fields["top"],
            F::optional(FieldType::String)
        );
        // A partial rename onto a field of another type leaves it undeclared.
        let m = DocMigration::new("c", 1, 2, "", vec![UpdateOp::rename("o", "n")], vec![]);
        assert!(!derive_schema(&base, &m).fields.contains_key("n"));
        // $push turns the field into an array; specs of its old children no longer hold.
        let m = DocMigration::new("c", 1, 2, "", vec![UpdateOp::push("o", json!(1))], vec![]);
        let s = derive_schema(&base, &m);
        assert_eq!(s.fields["o"], F::required(FieldType::Array));
        assert!(!s.fields.contains_key("o.y"));
    }

    #[test]
    fn rename_of_optional_source_keeps_target_optional() {
        let base = DocSchema::new(1)
            .field("a", F::optional(FieldType::String))
            .field("b", F::required(FieldType::String));
        let m = DocMigration::new("c", 1, 2, "", vec![UpdateOp::rename("a", "b")], vec![]);
        let s = derive_schema(&base, &m);
        assert_eq!(s.fields.get("a"), None);
        assert_eq!(s.fields.get("b"), Some(&F::optional(FieldType::String)));
    }
}
