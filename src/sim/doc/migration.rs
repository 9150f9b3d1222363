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
        Ok(stamp_version(apply_ops(doc, &self.down)?, self.from_version))
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
    CreateCollection { collection: String },
    /// Drop a collection and its documents.
    DropCollection { collection: String },
    /// Set (or clear, with `None`) a collection's validator.
    SetValidator {
        collection: String,
        schema: Option<DocSchema>,
    },
    /// Rewrite every document at `from_version`: apply `ops`, stamp `to_version`.
    Rewrite {
        collection: String,
        from_version: u32,
        to_version: u32,
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
            DocStep::Rewrite {
                collection,
                from_version,
                to_version,
                ops,
            } => {
                let m = DocMigration::new(collection, *from_version, *to_version, "", ops.clone(), vec![]);
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
                    error,
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
        let mut docs = Vec::new();
        for (_, doc) in c.iter() {
            let up = chain.upgrade_on_read(doc, target)?;
            if filter.matches(&up) {
                docs.push(up);
            }
        }
        let examined = c.len() as u64;
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
            let id = self.check_write(name, &new)?;
            if self.collection(name).and_then(|c| c.get(&id)) != Some(&new) {
                writes.push((id, new));
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
            m.entry(VERSION_FIELD).or_insert_with(|| Value::from(target));
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
            error,
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
