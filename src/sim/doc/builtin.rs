//! A built-in example: a `users` collection, its v1 schema and a chain of three migrations
//! with different reversibility and compatibility properties, for the page and the tests.

use serde_json::{json, Value};

use super::history::{HistoryError, MigrationHistory};
use super::migration::{DocMigration, DocStep};
use super::schema::{DocSchema, FieldSpec, FieldType};
use super::store::{DocError, DocStore};
use super::update::UpdateOp;

/// Name of the example collection.
pub const USERS: &str = "users";

/// The users schema at version 1.
pub fn users_schema_v1() -> DocSchema {
    DocSchema::new(1)
        .field("name", FieldSpec::required(FieldType::String))
        .field("email", FieldSpec::required(FieldType::String))
        .field("age", FieldSpec::optional(FieldType::Integer))
        .field("legacy_flag", FieldSpec::optional(FieldType::Bool))
        .field("tags", FieldSpec::required(FieldType::Array))
}

/// v1 -> v2 (lossless), v2 -> v3 (drops a field: lossy), v3 -> v4 (push/pull: lossy when the
/// tag was already there).
pub fn users_migrations() -> Vec<DocMigration> {
    vec![
        DocMigration::new(
            USERS,
            1,
            2,
            "move email under contact, add preferences",
            vec![
                UpdateOp::rename("email", "contact.email"),
                UpdateOp::set("prefs", json!({"theme": "light"})),
            ],
            vec![
                UpdateOp::unset("prefs"),
                UpdateOp::rename("contact.email", "email"),
                UpdateOp::unset("contact"),
            ],
        ),
        DocMigration::new(
            USERS,
            2,
            3,
            "drop legacy_flag, start counting logins",
            vec![
                UpdateOp::unset("legacy_flag"),
                UpdateOp::set("logins", json!(0)),
            ],
            vec![UpdateOp::unset("logins")],
        ),
        DocMigration::new(
            USERS,
            3,
            4,
            "tag migrated users",
            vec![UpdateOp::push("tags", json!("v4"))],
            vec![UpdateOp::pull("tags", json!("v4"))],
        ),
    ]
}

/// `n` deterministic v1 users (ids 1..=n); every third has a legacy flag, every fifth no age.
pub fn sample_users(n: u64) -> Vec<Value> {
    (1..=n)
        .map(|i| {
            let mut doc = json!({
                "_id": i,
                "schema_version": 1,
                "name": format!("user{i}"),
                "email": format!("user{i}@example.com"),
                "tags": if i % 2 == 0 { json!(["even"]) } else { json!([]) },
            });
            if i % 5 != 0 {
                doc["age"] = json!(20 + i % 50);
            }
            if i % 3 == 0 {
                doc["legacy_flag"] = json!(i % 2 == 0);
            }
            doc
        })
        .collect()
}

/// A store holding `n` sample users at version 1.
pub fn users_store(n: u64) -> Result<DocStore, DocError> {
    let mut s = DocStore::new();
    s.create_collection(USERS)?;
    for doc in sample_users(n) {
        s.insert(USERS, doc)?;
    }
    Ok(s)
}

/// The example chain as a pending history, one history version per target schema version.
pub fn users_history() -> Result<MigrationHistory<DocStep>, HistoryError<DocError>> {
    let mut h = MigrationHistory::new();
    for m in users_migrations() {
        let (up, down) = m.steps();
        h.add(m.to_version, &m.description, up, down)?;
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::doc::compat::{check_chain, derive_chain, CompatMode};
    use crate::sim::doc::reversibility::{
        check_chain_reversibility, check_reversibility, roundtrip_check, FindingKind,
    };

    #[test]
    fn built_in_chain_reversibility() {
        let ms = users_migrations();
        let schemas = derive_chain(&users_schema_v1(), &ms);
        assert_eq!(
            schemas.iter().map(|s| s.version).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        let kinds: Vec<Vec<FindingKind>> = ms
            .iter()
            .zip(&schemas)
            .map(|(m, s)| {
                check_reversibility(m, Some(s))
                    .iter()
                    .map(|f| f.kind)
                    .collect()
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                vec![],
                vec![FindingKind::DataLoss],
                vec![FindingKind::PossibleLoss]
            ]
        );
        let chained = check_chain_reversibility(&users_schema_v1(), &ms);
        let from: Vec<u32> = chained.iter().map(|(v, _)| *v).collect();
        assert_eq!(from, [1, 2, 3]);
        assert_eq!(chained[1].1[0].path, "legacy_flag");
        let docs = sample_users(12);
        assert!(roundtrip_check(&ms[0], &docs).is_empty());
        let lost = roundtrip_check(
            &ms[1],
            &docs
                .iter()
                .map(|d| ms[0].upgrade(d).unwrap())
                .collect::<Vec<_>>(),
        );
        assert_eq!(lost.len(), 4, "users 3, 6, 9 and 12 had legacy_flag");
        assert!(lost.iter().all(|f| f.path == "legacy_flag"));
    }

    #[test]
    fn built_in_chain_compatibility() {
        let schemas = derive_chain(&users_schema_v1(), &users_migrations());
        let r = check_chain(CompatMode::Forward, &schemas);
        let text: Vec<String> = r.issues.iter().map(ToString::to_string).collect();
        assert!(
            text.contains(&"v2 removed required field \"email\": v1 readers break".to_string()),
            "{text:?}"
        );
        let r = check_chain(CompatMode::Backward, &schemas);
        let text: Vec<String> = r.issues.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("v2 added required field \"contact\"")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("v3 added required field \"logins\"")),
            "{text:?}"
        );
        // v3 -> v4 only pushes onto an existing array: compatible both ways.
        assert!(check_chain(CompatMode::Full, &schemas[2..]).is_compatible());
    }

    #[test]
    fn built_in_store_and_history() {
        let s = users_store(7).unwrap();
        assert_eq!(s.collection(USERS).unwrap().len(), 7);
        let h = users_history().unwrap();
        assert_eq!(h.records().len(), 3);
        assert_eq!(h.current_version(), None);
    }
}
