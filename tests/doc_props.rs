//! Properties of the document store over random documents and random operators:
//! a failed update changes nothing, a lossless migration undoes exactly, lazy reads equal
//! eager migration, and the reversibility prediction is sound (no finding => round trip).
#![cfg(not(target_arch = "wasm32"))]

use migrascope::sim::doc::compat::{check_read, derive_schema};
use migrascope::sim::doc::reversibility::roundtrip_check;
use migrascope::sim::doc::{
    check_reversibility, DocMigration, DocSchema, DocStore, FieldSpec, FieldType, Filter,
    MigrationChain, MigrationHistory, UpdateOp,
};
use migrascope::sim::SimTime;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Value};

const C: &str = "things";

/// Paths the random operators use: declared fields, new fields, nested and array paths.
const PATHS: [&str; 10] = [
    "name", "n", "tags", "nick", "sub", "sub.k", "x", "y", "sub.z", "tags.0",
];

/// The schema every generated document satisfies.
fn schema_v1() -> DocSchema {
    DocSchema::new(1)
        .field("name", FieldSpec::required(FieldType::String))
        .field("n", FieldSpec::required(FieldType::Integer))
        .field("tags", FieldSpec::required(FieldType::Array))
        .field("nick", FieldSpec::optional(FieldType::String))
        .field("sub", FieldSpec::optional(FieldType::Object))
        .field("sub.k", FieldSpec::required(FieldType::Integer))
}

fn arb_doc() -> impl Strategy<Value = Value> {
    let word = || select(vec!["a", "b", "c", "ab"]);
    (
        word(),
        -1000i64..1000,
        prop::collection::vec(word(), 0..4),
        prop::option::of(word()),
        prop::option::of(-50i64..50),
    )
        .prop_map(|(name, n, tags, nick, sub)| {
            let mut d = json!({"schema_version": 1, "name": name, "n": n, "tags": tags});
            if let Some(x) = nick {
                d["nick"] = json!(x);
            }
            if let Some(k) = sub {
                d["sub"] = json!({ "k": k });
            }
            d
        })
}

/// Documents with ids 0.. in order.
fn arb_docs() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(arb_doc(), 1..8).prop_map(|docs| {
        docs.into_iter()
            .enumerate()
            .map(|(i, mut d)| {
                d["_id"] = json!(i);
                d
            })
            .collect()
    })
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(null)),
        (-3i64..3).prop_map(Value::from),
        select(vec!["a", "b"]).prop_map(Value::from),
        Just(json!(1.5)),
        Just(json!([1, "a"])),
        Just(json!({"k": 1})),
    ]
}

/// Paths for migrations whose reversibility is checked: biased towards new fields, where
/// lossless migrations live, so the property is not vacuous.
const MIGRATION_PATHS: [&str; 14] = [
    "x", "y", "x", "y", "x.k", "n", "n", "nick", "sub", "name", "tags", "sub.k", "sub.z", "tags.0",
];

/// Paths of the small schemas, plus fields they do not declare.
const SCHEMA_PATHS: [&str; 9] = ["a", "b", "c", "o", "o.x", "o.y", "o.z", "z", "z.w"];

fn arb_op() -> impl Strategy<Value = UpdateOp> {
    arb_op_on(&PATHS)
}

fn arb_op_on(paths: &[&'static str]) -> impl Strategy<Value = UpdateOp> {
    let paths = paths.to_vec();
    let path = move || select(paths.clone());
    prop_oneof![
        (path(), arb_value()).prop_map(|(p, v)| UpdateOp::set(p, v)),
        path().prop_map(UpdateOp::unset),
        (path(), path()).prop_map(|(a, b)| UpdateOp::rename(a, b)),
        (path(), -3i64..3).prop_map(|(p, k)| UpdateOp::inc(p, k)),
        (path(), arb_value()).prop_map(|(p, v)| UpdateOp::push(p, v)),
        (path(), arb_value()).prop_map(|(p, v)| UpdateOp::pull(p, v)),
    ]
}

/// The operator that would undo `op` if nothing else interfered.
fn natural_inverse(op: &UpdateOp) -> UpdateOp {
    match op {
        UpdateOp::Set { path, .. } => UpdateOp::unset(path),
        UpdateOp::Unset { path } => UpdateOp::set(path, json!("restored")),
        UpdateOp::Rename { from, to } => UpdateOp::rename(to, from),
        UpdateOp::Inc { path, by } => UpdateOp::inc(path, -by.as_i64().unwrap_or(0)),
        UpdateOp::Push { path, value } => UpdateOp::pull(path, value.clone()),
        UpdateOp::Pull { path, condition } => UpdateOp::push(path, condition.clone()),
    }
}

/// A migration whose down steps are mostly the inverses of its up steps (in reverse order),
/// some dropped, plus a few random extras: this reaches both sound and unsound down lists.
fn arb_migration() -> impl Strategy<Value = DocMigration> {
    (
        prop::collection::vec(
            (arb_op_on(&MIGRATION_PATHS), prop::bool::weighted(0.9)),
            1..4,
        ),
        prop::option::weighted(0.2, arb_op_on(&MIGRATION_PATHS)),
    )
        .prop_map(|(ups, extra)| {
            let up: Vec<UpdateOp> = ups.iter().map(|(op, _)| op.clone()).collect();
            let mut down: Vec<UpdateOp> = ups
                .iter()
                .rev()
                .filter(|(_, keep)| *keep)
                .map(|(op, _)| natural_inverse(op))
                .collect();
            down.extend(extra);
            DocMigration::new(C, 1, 2, "random", up, down)
        })
}

fn arb_type() -> impl Strategy<Value = FieldType> {
    select(vec![
        FieldType::String,
        FieldType::Number,
        FieldType::Integer,
        FieldType::Bool,
        FieldType::Array,
        FieldType::Null,
    ])
}

/// A small schema over top-level fields `a`, `b`, `c` and an object `o` with `o.x`, `o.y`.
fn arb_schema(version: u32) -> impl Strategy<Value = DocSchema> {
    let spec = || prop::option::of((arb_type(), any::<bool>()));
    (
        prop::collection::vec(spec(), 3),
        prop::option::of(any::<bool>()),
        prop::collection::vec(spec(), 2),
    )
        .prop_map(move |(top, o, nested)| {
            let mut s = DocSchema::new(version);
            let put = |s: &mut DocSchema, path: &str, (ty, required): (FieldType, bool)| {
                let spec = if required {
                    FieldSpec::required(ty)
                } else {
                    FieldSpec::optional(ty)
                };
                s.fields.insert(path.to_string(), spec);
            };
            for (name, spec) in ["a", "b", "c"].iter().zip(top) {
                if let Some(sp) = spec {
                    put(&mut s, name, sp);
                }
            }
            if let Some(required) = o {
                put(&mut s, "o", (FieldType::Object, required));
                for (name, spec) in ["o.x", "o.y"].iter().zip(nested) {
                    if let Some(sp) = spec {
                        put(&mut s, name, sp);
                    }
                }
            }
            s
        })
}

fn sample_of(ty: FieldType, pick: u8) -> Value {
    match ty {
        FieldType::String => json!(["s", "t"][usize::from(pick % 2)]),
        FieldType::Number if pick % 2 == 0 => json!(2.5),
        FieldType::Number | FieldType::Integer => json!(pick),
        FieldType::Bool => json!(pick % 2 == 0),
        FieldType::Object => json!({}),
        FieldType::Array => json!([pick]),
        FieldType::Null => json!(null),
    }
}

/// A document with exactly the fields `schema` declares (closed world): required ones
/// always, optional ones when the coin says so.
fn doc_for(schema: &DocSchema, coins: &[u8]) -> Value {
    let mut doc = json!({});
    for (i, (path, spec)) in schema.fields.iter().enumerate() {
        let coin = coins.get(i).copied().unwrap_or(0);
        if !spec.required && coin % 2 == 0 {
            continue;
        }
        match path.split_once('.') {
            None => doc[path.as_str()] = sample_of(spec.ty, coin / 2),
            Some((parent, child)) => {
                if let Some(Value::Object(m)) = doc.get_mut(parent) {
                    m.insert(child.to_string(), sample_of(spec.ty, coin / 2));
                }
            }
        }
    }
    doc
}

fn store_of(docs: &[Value]) -> DocStore {
    let mut s = DocStore::new();
    s.create_collection(C).unwrap();
    for d in docs {
        s.insert(C, d.clone()).unwrap();
    }
    s
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1024,
        // Regressions are not written into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn failed_update_changes_nothing(
        docs in arb_docs(),
        ops in prop::collection::vec(arb_op(), 1..4),
        validate in any::<bool>(),
    ) {
        let mut s = store_of(&docs);
        if validate {
            s.set_validator(C, Some(schema_v1())).unwrap();
        }
        let before = s.clone();
        let fingerprint = s.fingerprint();
        match s.update(C, &Filter::all(), &ops) {
            Err(_) => {
                prop_assert_eq!(&s, &before);
                prop_assert_eq!(s.fingerprint(), fingerprint);
            }
            Ok(r) => {
                prop_assert_eq!(r.matched, docs.len() as u64);
                for d in &docs {
                    let expected = migrascope::sim::doc::update::apply_ops(d, &ops).unwrap();
                    prop_assert_eq!(s.get(C, &d["_id"]).unwrap(), Some(&expected));
                }
            }
        }
    }

    #[test]
    fn failed_insert_changes_nothing(
        docs in arb_docs(),
        extra in arb_doc(),
        id in prop_oneof![Just(None), (0u64..10).prop_map(Some), Just(Some(u64::MAX))],
        version in prop_oneof![Just(json!(1)), Just(json!("1")), Just(json!(-2)), Just(json!(2.5))],
        validate in any::<bool>(),
        collection in select(vec![C, "other", "bad$name"]),
    ) {
        let mut s = store_of(&docs);
        if validate {
            s.set_validator(C, Some(schema_v1().field("tags.0", FieldSpec::required(FieldType::Integer))))
                .unwrap();
        }
        let before = s.clone();
        let mut doc = extra;
        doc["schema_version"] = version;
        if let Some(id) = id {
            doc["_id"] = json!(id);
        }
        if s.insert(collection, doc).is_err() {
            prop_assert_eq!(&s, &before);
        } else {
            let c = s.collection(collection).unwrap();
            let expect = if collection == C { docs.len() + 1 } else { 1 };
            prop_assert_eq!(c.len(), expect);
        }
    }

    #[test]
    fn lossless_migration_then_undo_restores_the_store(
        docs in arb_docs(),
        add in prop::option::of(arb_value()),
        rename in prop::option::of(select(vec!["name", "n", "tags", "nick", "sub"])),
        inc in prop::option::of(-5i64..5),
    ) {
        let mut up = Vec::new();
        let mut down = Vec::new();
        if let Some(v) = add {
            up.push(UpdateOp::set("x", v));
            down.insert(0, UpdateOp::unset("x"));
        }
        // "n" may have been renamed away; increment before renaming.
        if let Some(k) = inc {
            up.push(UpdateOp::inc("n", k));
            down.insert(0, UpdateOp::inc("n", -k));
        }
        if let Some(from) = rename {
            up.push(UpdateOp::rename(from, "moved.here"));
            down.insert(0, UpdateOp::unset("moved"));
            down.insert(0, UpdateOp::rename("moved.here", from));
        }
        let m = DocMigration::new(C, 1, 2, "lossless", up, down);
        let findings = check_reversibility(&m, Some(&schema_v1()));
        let overlap = inc.is_some() && rename == Some("n");
        prop_assert!(overlap || findings.is_empty(), "{:?}", findings);
        let mut s = store_of(&docs);
        let original = s.clone();
        let mut h = MigrationHistory::new();
        let (u, d) = m.steps();
        h.add::<()>(2, "lossless", u, d).unwrap();
        h.migrate(&mut s, SimTime::from_ms(1)).unwrap();
        prop_assert_eq!(s.collection(C).unwrap().version_counts().get(&2), Some(&(docs.len() as u64)));
        h.undo(&mut s, SimTime::from_ms(2)).unwrap();
        prop_assert_eq!(&s, &original);
        prop_assert!(h.validate(&s).is_empty());
    }

    #[test]
    fn lazy_reads_equal_eager_migration(
        docs in arb_docs(),
        steps in prop::collection::vec(prop::collection::vec(arb_op(), 1..3), 1..4),
    ) {
        let migrations: Vec<DocMigration> = steps
            .into_iter()
            .enumerate()
            .map(|(i, up)| {
                let v = i as u32 + 1;
                DocMigration::new(C, v, v + 1, "random", up, vec![])
            })
            .collect();
        let latest = migrations.len() as u32 + 1;
        let chain = MigrationChain::new(migrations.clone()).unwrap();
        let lazy_store = store_of(&docs);
        let lazy = lazy_store.find_lazy(&chain, latest, &Filter::all());
        let mut eager = store_of(&docs);
        let eager_ok = migrations.iter().all(|m| eager.migrate_eager(m).is_ok());
        match lazy {
            Ok(found) => {
                prop_assert!(eager_ok, "eager failed where lazy succeeded");
                prop_assert_eq!(found.docs, eager.find(C, &Filter::all()).unwrap().docs);
            }
            Err(e) => prop_assert!(!eager_ok, "lazy failed where eager succeeded: {}", e),
        }
        prop_assert_eq!(lazy_store, store_of(&docs), "lazy reads never write");
    }

    #[test]
    fn compatible_readers_accept_what_writers_wrote(
        writer in arb_schema(1),
        reader in arb_schema(2),
        coins in prop::collection::vec(any::<u8>(), 8),
    ) {
        let doc = doc_for(&writer, &coins);
        prop_assert!(writer.validate(&doc).is_ok(), "generator: {:?} vs {:?}", doc, writer);
        if check_read(&reader, &writer).is_empty() {
            prop_assert!(
                reader.validate(&doc).is_ok(),
                "no incompatibility reported, yet {:?} rejects {:?} written with {:?}",
                reader, doc, writer
            );
        }
    }

    /// One operator at a time: a flat schema cannot express every correlation a sequence
    /// creates (a partial rename onto a field of another type, then more renames), so
    /// derivation over several steps is a documented approximation.
    #[test]
    fn derived_schema_describes_migrated_documents(
        base in arb_schema(1),
        coins in prop::collection::vec(any::<u8>(), 8),
        ops in prop::collection::vec(arb_op_on(&SCHEMA_PATHS), 1..2),
    ) {
        let doc = doc_for(&base, &coins);
        let m = DocMigration::new(C, 1, 2, "derive", ops, vec![]);
        if let Ok(up) = m.upgrade(&doc) {
            let derived = derive_schema(&base, &m);
            let verdict = derived.validate(&up);
            prop_assert!(
                verdict.is_ok(),
                "{:?}: {:?} from {:?} by {:?} does not fit {:?}",
                verdict, up, doc, m.up, derived
            );
        }
    }

    #[test]
    fn no_predicted_finding_means_documents_round_trip(
        docs in arb_docs(),
        m in arb_migration(),
    ) {
        let findings = check_reversibility(&m, Some(&schema_v1()));
        if findings.is_empty() {
            let trips = roundtrip_check(&m, &docs);
            prop_assert!(trips.is_empty(), "predicted lossless, but {:?} for {:?}", trips, m);
        }
    }
}
