//! Document migrations. A [`DocMigration`] moves documents of one collection from one
//! `schema_version` to another with update operators, and back with its down operators. It
//! runs eagerly (rewrite every document at `from_version`, all or nothing) or lazily (a
//! [`MigrationChain`] upgrades each document when it is read or written; finds then match
//! against the upgraded form, so lazily migrated documents keep working with queries).
//!
//! [`DocStep`] wraps these as steps of a [`MigrationHistory`](super::MigrationHistory), and
//! [`DocStore`] implements [`Migratable`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::history::{Checksum, Migratable, Step};
use super::schema::DocSchema;
use super::store::{doc_version, Cost, DocError, DocStore, Filter, FindResult, UpdateResult};
use super::update::{apply_ops, UpdateError, UpdateOp};
use super::value::{canonical_json, DocId};
use super::{ID_FIELD, VERSION_FIELD};

/// One migration of one collection between two schema versions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocMigration {
    /// The collection whose documents it rewrites.
    pub collection: String,
    /// Version of the documents it reads.
    pub from_version: u32,
    /// Version it stamps on the documents it writes.
    pub to_version: u32,
    /// What it does, for people.
    pub description: String,
    /// Operators that upgrade a document.
    pub up: Vec<UpdateOp>,
    /// Operators that revert an upgraded document.
    pub down: Vec<UpdateOp>,
}

fn stamp_version(mut doc: Value, version: u32) -> Value {
    if let Value::Object(m) = &mut doc {
        m.insert(VERSION_FIELD.into(), Value::from(version));
    }
    doc
}

impl DocMigration {
    /// A migration of `collection` from `from` to `to`.
    pub fn new(
        collection: &str,
        from: u32,
        to: u32,
        description: &str,
        up: Vec<UpdateOp>,
        down: Vec<UpdateOp>,
    ) -> DocMigration {
        DocMigration {
            collection: collection.into(),
            from_version: from,
            to_version: to,
            description: description.into(),
            up,
            down,
        }
    }

    /// Apply the up operators to a copy of `doc` and stamp `to_version`.
    pub fn upgrade(&self, doc: &Value) -> Result<Value, UpdateError> {
        Ok(stamp_version(apply_ops(doc, &self.up)?, self.to_version))
    }

    /// Apply the down operators to a copy of `doc` and stamp `from_version`.
    pub fn downgrade(&self, doc: &Value) -> Result<Value, UpdateError> {
        Ok(stamp_version(
            apply_ops(doc, &self.down)?,
            self.from_version,
        ))
    }

    /// The history steps: up rewrites `from -> to`, down rewrites `to -> from`.
    pub fn steps(&self) -> (Vec<DocStep>, Vec<DocStep>) {
        let rewrite = |from, to, ops: &[UpdateOp]| DocStep::Rewrite {
            collection: self.collection.clone(),
            from_version: from,
            to_version: to,
            ops: ops.to_vec(),
        };
        (
            vec![rewrite(self.from_version, self.to_version, &self.up)],
            vec![rewrite(self.to_version, self.from_version, &self.down)],
        )
    }
}

/// A step of a document-store migration in a history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum DocStep {
    /// Create an empty collection.
    CreateCollection {
        /// The collection.
        collection: String,
    },
    /// Drop a collection and its documents.
    DropCollection {
        /// The collection.
        collection: String,
    },
    /// Set (or clear, with `None`) a collection's validator.
    SetValidator {
        /// The collection.
        collection: String,
        /// The validator, or `None` to remove it.
        schema: Option<DocSchema>,
    },
    /// Apply `ops` to every document matching `filter` (a data fix; versions unchanged).
    Update {
        /// The collection.
        collection: String,
        /// Which documents.
        filter: Filter,
        /// Operators applied to each.
        ops: Vec<UpdateOp>,
    },
    /// Rewrite every document at `from_version`: apply `ops`, stamp `to_version`.
    Rewrite {
        /// The collection.
        collection: String,
        /// Version of the documents rewritten.
        from_version: u32,
        /// Version stamped on them.
        to_version: u32,
        /// Operators applied to each.
        ops: Vec<UpdateOp>,
    },
}

/// Compact JSON with sorted keys, so the checksum depends on meaning only.
impl Step for DocStep {
    fn canonical(&self) -> String {
        serde_json::to_value(self)
            .map(|v| canonical_json(&v))
            .unwrap_or_default()
    }
}

/// A single update operator is a step too (its MongoDB form).
impl Step for UpdateOp {
    fn canonical(&self) -> String {
        canonical_json(&self.to_mongo())
    }
}

impl Migratable for DocStore {
    type Step = DocStep;
    type Error = DocError;

    fn apply_step(&mut self, step: &DocStep) -> Result<u64, DocError> {
        match step {
            DocStep::CreateCollection { collection } => {
                self.create_collection(collection)?;
                Ok(0)
            }
            DocStep::DropCollection { collection } => Ok(self.drop_collection(collection)?.written),
            DocStep::SetValidator { collection, schema } => {
                self.set_validator(collection, schema.clone())?;
                Ok(0)
            }
            DocStep::Update {
                collection,
                filter,
                ops,
            } => Ok(self.update(collection, filter, ops)?.modified),
            DocStep::Rewrite {
                collection,
                from_version,
                to_version,
                ops,
            } => {
                let m = DocMigration::new(
                    collection,
                    *from_version,
                    *to_version,
                    "",
                    ops.clone(),
                    vec![],
                );
                Ok(self.migrate_eager(&m)?.written)
            }
        }
    }

    fn fingerprint(&self) -> Checksum {
        DocStore::fingerprint(self)
    }
}

impl DocStore {
    /// Rewrite every document at `m.from_version` with the up operators, all or nothing:
    /// new versions are computed and checked first, then stored. The collection's default
    /// version follows the migration.
    pub fn migrate_eager(&mut self, m: &DocMigration) -> Result<Cost, DocError> {
        let name = m.collection.as_str();
        let c = self
            .collection(name)
            .ok_or_else(|| DocError::NoSuchCollection(name.into()))?;
        let mut rewritten = Vec::new();
        for (id, doc) in c.iter() {
            if doc_version(doc) == Some(m.from_version) {
                let new = m.upgrade(doc).map_err(|error| DocError::Update {
                    collection: name.into(),
                    id: id.clone(),
                    error: Box::new(error),
                })?;
                rewritten.push(new);
            }
        }
        let examined = c.len() as u64;
        let written = rewritten.len() as u64;
        // Check everything before storing anything, so a late failure writes nothing.
        let writes = rewritten
            .into_iter()
            .map(|doc| Ok((self.check_write(name, &doc)?, doc)))
            .collect::<Result<Vec<_>, DocError>>()?;
        self.commit(name, writes)?;
        let default_version = self.collection(name).map(|c| c.default_version());
        if default_version == Some(m.from_version) {
            self.set_default_version(name, m.to_version)?;
        }
        Ok(Cost { examined, written })
    }

    /// Documents matching `filter` after each is upgraded (or downgraded) to `target` on read.
    /// The stored documents are not changed.
    pub fn find_lazy(
        &self,
        chain: &MigrationChain,
        target: u32,
        filter: &Filter,
    ) -> Result<FindResult, DocError> {
        let name = chain.collection();
        let c = self
            .collection(name)
            .ok_or_else(|| DocError::NoSuchCollection(name.into()))?;
        let compiled = filter.compile()?;
        let candidates = compiled.candidates(c);
        let examined = candidates.len() as u64;
        let mut docs = Vec::new();
        for (_, doc) in candidates {
            // `_id` is immutable, so a pinned lookup stays valid across versions.
            let up = chain.upgrade_on_read(doc, target)?;
            if compiled.hit(&up) {
                docs.push(up);
            }
        }
        Ok(FindResult {
            docs,
            cost: Cost {
                examined,
                written: 0,
            },
        })
    }

    /// Insert a document written by an application at `target`: it is upgraded first.
    pub fn insert_lazy(
        &mut self,
        chain: &MigrationChain,
        target: u32,
        doc: Value,
    ) -> Result<(DocId, Cost), DocError> {
        let doc = chain.upgrade_on_write(doc, target)?;
        self.insert(chain.collection(), doc)
    }

    /// Update matching documents, upgrading each to `target` before the operators apply
    /// (upgrade on write), all or nothing. Matching is done on the upgraded form.
    pub fn update_lazy(
        &mut self,
        chain: &MigrationChain,
        target: u32,
        filter: &Filter,
        ops: &[UpdateOp],
    ) -> Result<UpdateResult, DocError> {
        let name = chain.collection();
        let found = self.find_lazy(chain, target, filter)?;
        let mut writes = Vec::new();
        for doc in &found.docs {
            let new = apply_ops(doc, ops).map_err(|error| chain.update_error(doc, error))?;
            let checked = self.check_write(name, &new)?;
            if self.collection(name).and_then(|c| c.get(&checked.id)) != Some(&new) {
                writes.push((checked, new));
            }
        }
        let modified = writes.len() as u64;
        self.commit(name, writes)?;
        Ok(UpdateResult {
            matched: found.docs.len() as u64,
            modified,
            cost: Cost {
                examined: found.cost.examined,
                written: modified,
            },
        })
    }
}

/// Contiguous migrations of one collection (`m[i].to_version == m[i + 1].from_version`,
/// versions increasing), used to move single documents between versions on read and write.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationChain {
    collection: String,
    migrations: Vec<DocMigration>,
}

impl MigrationChain {
    /// Check the chain: at least one migration, one collection, increasing and contiguous.
    pub fn new(migrations: Vec<DocMigration>) -> Result<MigrationChain, DocError> {
        let first = migrations
            .first()
            .ok_or_else(|| DocError::BadChain("the chain is empty".into()))?;
        let collection = first.collection.clone();
        for (i, m) in migrations.iter().enumerate() {
            if m.collection != collection {
                return Err(DocError::BadChain(format!(
                    "migration {} -> {} is for '{}', not '{collection}'",
                    m.from_version, m.to_version, m.collection
                )));
            }
            if m.to_version <= m.from_version {
                return Err(DocError::BadChain(format!(
                    "migration {} -> {} does not move to a higher version",
                    m.from_version, m.to_version
                )));
            }
            if let Some(prev) = i.checked_sub(1).map(|j| &migrations[j]) {
                if prev.to_version != m.from_version {
                    return Err(DocError::BadChain(format!(
                        "gap between version {} and {}",
                        prev.to_version, m.from_version
                    )));
                }
            }
        }
        Ok(MigrationChain {
            collection,
            migrations,
        })
    }

    /// The collection the chain migrates.
    pub fn collection(&self) -> &str {
        &self.collection
    }
    /// The migrations in order.
    pub fn migrations(&self) -> &[DocMigration] {
        &self.migrations
    }
    /// The version the chain starts from.
    pub fn base_version(&self) -> u32 {
        self.migrations.first().map_or(0, |m| m.from_version)
    }
    /// The version the chain ends at.
    pub fn latest_version(&self) -> u32 {
        self.migrations.last().map_or(0, |m| m.to_version)
    }

    /// Move one document to `target`: up operators while below it, down operators while
    /// above it. The input is not changed.
    pub fn upgrade_on_read(&self, doc: &Value, target: u32) -> Result<Value, DocError> {
        let mut cur = doc.clone();
        // Each pass moves strictly towards target, so at most len passes run.
        for _ in 0..=self.migrations.len() {
            let v = self.version_of(&cur)?;
            if v == target {
                return Ok(cur);
            }
            let next = if v < target {
                self.migrations
                    .iter()
                    .find(|m| m.from_version == v && m.to_version <= target)
                    .map(|m| m.upgrade(&cur))
            } else {
                self.migrations
                    .iter()
                    .find(|m| m.to_version == v && m.from_version >= target)
                    .map(|m| m.downgrade(&cur))
            };
            cur = match next {
                Some(r) => r.map_err(|error| self.update_error(&cur, error))?,
                None => return Err(self.no_path(&cur, v, target)),
            };
        }
        let v = self.version_of(&cur)?;
        Err(self.no_path(&cur, v, target))
    }

    /// Prepare a document an application writes at `target`: a document without
    /// `schema_version` is taken to be at `target`; an older one is upgraded.
    pub fn upgrade_on_write(&self, mut doc: Value, target: u32) -> Result<Value, DocError> {
        if let Value::Object(m) = &mut doc {
            m.entry(VERSION_FIELD)
                .or_insert_with(|| Value::from(target));
        }
        self.upgrade_on_read(&doc, target)
    }

    fn doc_id(&self, doc: &Value) -> DocId {
        doc.get(ID_FIELD)
            .and_then(|v| DocId::new(v.clone()).ok())
            .unwrap_or_else(|| DocId::from_u64(0))
    }

    fn version_of(&self, doc: &Value) -> Result<u32, DocError> {
        doc_version(doc).ok_or_else(|| DocError::BadVersion {
            collection: self.collection.clone(),
            id: self.doc_id(doc),
            found: doc
                .get(VERSION_FIELD)
                .map_or_else(|| "nothing".into(), |v| v.to_string()),
        })
    }

    fn update_error(&self, doc: &Value, error: UpdateError) -> DocError {
        DocError::Update {
            collection: self.collection.clone(),
            id: self.doc_id(doc),
            error: Box::new(error),
        }
    }

    fn no_path(&self, doc: &Value, from: u32, to: u32) -> DocError {
        DocError::NoMigrationPath {
            collection: self.collection.clone(),
            id: self.doc_id(doc),
            from,
            to,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::doc::builtin::{sample_users, users_migrations, users_store, USERS};
    use crate::sim::doc::history::{MigrationHistory, MigrationState, ValidationIssue};
    use crate::sim::SimTime;
    use serde_json::json;

    fn chain() -> MigrationChain {
        MigrationChain::new(users_migrations()).unwrap()
    }

    fn all_docs(s: &DocStore) -> Vec<Value> {
        s.find(USERS, &Filter::all()).unwrap().docs
    }

    #[test]
    fn eager_rewrites_only_the_from_version() {
        let mut s = users_store(10).unwrap();
        s.insert(
            USERS,
            json!({"_id": 100, "schema_version": 2, "name": "n", "tags": []}),
        )
        .unwrap();
        let m = &users_migrations()[0];
        let cost = s.migrate_eager(m).unwrap();
        assert_eq!(
            cost,
            Cost {
                examined: 11,
                written: 10
            }
        );
        let c = s.collection(USERS).unwrap();
        assert_eq!(
            c.version_counts(),
            &std::collections::BTreeMap::from([(2, 11)])
        );
        assert_eq!(c.default_version(), 2);
        let d = s.get(USERS, &json!(1)).unwrap().unwrap();
        assert_eq!(d["contact"]["email"], json!("user1@example.com"));
        assert_eq!(d["prefs"], json!({"theme": "light"}));
        assert!(d.get("email").is_none());
        // The document already at v2 was not touched.
        let d = s.get(USERS, &json!(100)).unwrap().unwrap();
        assert!(d.get("prefs").is_none());
    }

    #[test]
    fn failed_eager_migration_leaves_the_store_unchanged() {
        let mut s = users_store(10).unwrap();
        s.replace(
            USERS,
            &json!(7),
            json!({"name": "u7", "tags": "not an array"}),
        )
        .unwrap();
        let before = s.clone();
        let m = DocMigration::new(
            USERS,
            1,
            2,
            "tag",
            vec![UpdateOp::push("tags", json!("t"))],
            vec![],
        );
        let e = s.migrate_eager(&m).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("document 7 in 'users': $push 'tags'"),
            "{e}"
        );
        assert_eq!(s, before);
    }

    #[test]
    fn lazy_read_equals_eager_migration() {
        let eager = {
            let mut s = users_store(30).unwrap();
            for m in users_migrations() {
                s.migrate_eager(&m).unwrap();
            }
            s
        };
        let lazy = users_store(30).unwrap();
        let c = chain();
        let read = lazy.find_lazy(&c, 4, &Filter::all()).unwrap();
        assert_eq!(read.docs, all_docs(&eager));
        // Reading down to v3 matches an eager store stopped at v3 (v3 -> v4 is reversible
        // for these documents: none had the "v4" tag before).
        let mut at3 = users_store(30).unwrap();
        for m in &users_migrations()[..2] {
            at3.migrate_eager(m).unwrap();
        }
        let eager_store = eager;
        let down = eager_store.find_lazy(&c, 3, &Filter::all()).unwrap();
        assert_eq!(down.docs, all_docs(&at3));
        assert_eq!(lazy, users_store(30).unwrap(), "reads do not write");
    }

    #[test]
    fn lazily_upgraded_documents_work_with_finds() {
        let mut s = users_store(6).unwrap();
        s.migrate_eager(&users_migrations()[0]).unwrap();
        s.insert(
            USERS,
            json!({"_id": 50, "schema_version": 1, "name": "old",
            "email": "old@example.com", "tags": []}),
        )
        .unwrap();
        let c = chain();
        let f = Filter::eq("contact.email", json!("old@example.com"));
        assert!(s.find(USERS, &f).unwrap().docs.is_empty());
        let r = s.find_lazy(&c, 3, &f).unwrap();
        assert_eq!(r.docs.len(), 1);
        assert_eq!(r.docs[0]["schema_version"], json!(3));
        assert_eq!(r.cost.examined, 7);
        let r = s
            .find_lazy(&c, 4, &Filter::eq("tags", json!("v4")))
            .unwrap();
        assert_eq!(r.docs.len(), 7);
        let r = s.find_lazy(&c, 3, &Filter::eq("_id", json!(50))).unwrap();
        assert_eq!((r.docs.len(), r.cost.examined), (1, 1));
        assert!(matches!(
            s.find_lazy(&c, 3, &Filter::eq("a..b", json!(1))),
            Err(DocError::BadPath(_))
        ));
    }

    #[test]
    fn upgrade_on_write_paths() {
        let mut s = users_store(3).unwrap();
        let c = chain();
        let (id, _) = s
            .insert_lazy(
                &c,
                4,
                json!({"_id": 9, "schema_version": 1, "name": "w",
                "email": "w@x", "tags": []}),
            )
            .unwrap();
        let d = s.get(USERS, id.value()).unwrap().unwrap();
        assert_eq!(d["schema_version"], json!(4));
        assert_eq!(d["tags"], json!(["v4"]));
        s.insert_lazy(&c, 4, json!({"_id": 10, "name": "new", "tags": []}))
            .unwrap();
        assert_eq!(
            s.get(USERS, &json!(10)).unwrap().unwrap()["schema_version"],
            json!(4)
        );
        let r = s
            .update_lazy(
                &c,
                4,
                &Filter::eq("_id", json!(2)),
                &[UpdateOp::inc("logins", 1)],
            )
            .unwrap();
        assert_eq!((r.matched, r.modified), (1, 1));
        let d = s.get(USERS, &json!(2)).unwrap().unwrap();
        assert_eq!(
            (d["schema_version"].clone(), d["logins"].clone()),
            (json!(4), json!(1))
        );
        let counts = s.collection(USERS).unwrap().version_counts().clone();
        assert_eq!(counts, std::collections::BTreeMap::from([(1, 2), (4, 3)]));
        let before = s.clone();
        let e = s.update_lazy(&c, 4, &Filter::all(), &[UpdateOp::push("name", json!(1))]);
        assert!(e.is_err());
        assert_eq!(s, before);
    }

    #[test]
    fn chains_are_checked() {
        let ms = users_migrations();
        assert!(MigrationChain::new(vec![]).is_err());
        let gap = MigrationChain::new(vec![ms[0].clone(), ms[2].clone()]).unwrap_err();
        assert!(
            gap.to_string().contains("gap between version 2 and 3"),
            "{gap}"
        );
        let mut other = ms[1].clone();
        other.collection = "orders".into();
        assert!(MigrationChain::new(vec![ms[0].clone(), other]).is_err());
        let mut back = ms[0].clone();
        back.to_version = 1;
        assert!(MigrationChain::new(vec![back]).is_err());
        let c = chain();
        assert_eq!((c.base_version(), c.latest_version()), (1, 4));
        let doc = json!({"_id": 1, "schema_version": 9});
        let e = c.upgrade_on_read(&doc, 4).unwrap_err();
        assert!(
            matches!(e, DocError::NoMigrationPath { from: 9, to: 4, .. }),
            "{e}"
        );
        let e = c.upgrade_on_read(&json!({"_id": 1}), 4).unwrap_err();
        assert!(matches!(e, DocError::BadVersion { .. }));
    }

    #[test]
    fn history_over_the_doc_store() {
        let mut s = users_store(20).unwrap();
        let original = s.clone();
        let mut h = crate::sim::doc::builtin::users_history().unwrap();
        let rep = h.migrate(&mut s, SimTime::from_ms(10)).unwrap();
        assert_eq!(rep.applied, vec![2, 3, 4]);
        assert_eq!(rep.touched, 60);
        assert!(h.validate(&s).is_empty());
        // Out-of-band write is detected.
        s.insert(USERS, json!({"name": "intruder", "tags": []}))
            .unwrap();
        assert!(matches!(
            h.validate(&s)[..],
            [ValidationIssue::OutOfBandChange { .. }]
        ));
        s.delete(USERS, &json!(21)).unwrap();
        assert!(
            h.validate(&s).is_empty(),
            "deleting it restores the fingerprint"
        );
        // Undo all three: v1 -> v2 is lossless; v2 -> v3 lost legacy_flag.
        for v in [4, 3, 2] {
            assert_eq!(h.undo(&mut s, SimTime::from_ms(20)).unwrap(), v);
        }
        let back = all_docs(&s);
        let orig = all_docs(&original);
        let lost: Vec<_> = orig
            .iter()
            .filter(|d| d.get("legacy_flag").is_some())
            .collect();
        assert!(!lost.is_empty());
        for (b, o) in back.iter().zip(&orig) {
            let mut o = o.clone();
            if let Value::Object(m) = &mut o {
                m.remove("legacy_flag");
            }
            assert_eq!(b, &o);
        }
    }

    #[test]
    fn failed_history_step_leaves_the_doc_store_unchanged() {
        let mut s = users_store(5).unwrap();
        s.replace(USERS, &json!(3), json!({"name": "u3", "tags": {}}))
            .unwrap();
        let before = s.clone();
        let mut h = MigrationHistory::new();
        let (up, down) = DocMigration::new(
            USERS,
            1,
            2,
            "t",
            vec![UpdateOp::push("tags", json!(1))],
            vec![],
        )
        .steps();
        let mut up = up;
        up.insert(
            0,
            DocStep::CreateCollection {
                collection: "audit".into(),
            },
        );
        h.add::<DocError>(1, "tag", up, down).unwrap();
        assert!(h.migrate(&mut s, SimTime::ZERO).is_err());
        assert_eq!(s, before, "the created collection was rolled back too");
        assert_eq!(h.record(1).unwrap().state, MigrationState::Failed);
        assert!(h
            .record(1)
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("document 3"));
    }

    #[test]
    fn doc_step_checksums_track_changes() {
        let (up, down) = users_migrations()[0].steps();
        let a = crate::sim::doc::history::steps_checksum(&up, &down);
        assert_eq!(a, crate::sim::doc::history::steps_checksum(&up, &down));
        let mut m = users_migrations()[0].clone();
        m.up[1] = UpdateOp::set("prefs", json!({"theme": "dark"}));
        let (up2, down2) = m.steps();
        assert_ne!(a, crate::sim::doc::history::steps_checksum(&up2, &down2));
        // Key order inside values does not matter: serde_json's map is sorted.
        let fix = DocStep::Update {
            collection: USERS.into(),
            filter: Filter::eq("name", json!("user2")),
            ops: vec![UpdateOp::set("vip", json!(true))],
        };
        let mut s = users_store(3).unwrap();
        assert_eq!(s.apply_step(&fix).unwrap(), 1);
        assert_eq!(
            s.get(USERS, &json!(2)).unwrap().unwrap()["vip"],
            json!(true)
        );
        assert!(
            fix.canonical()
                .contains(r#""filter":{"clauses":[["name","user2"]]}"#),
            "{}",
            fix.canonical()
        );
        let x = DocStep::SetValidator {
            collection: "c".into(),
            schema: None,
        };
        assert_eq!(
            x.canonical(),
            r#"{"collection":"c","schema":null,"step":"set_validator"}"#
        );
        assert_eq!(sample_users(2).len(), 2);
    }
}
