//! The document store: named collections of JSON objects keyed by `_id` in canonical order.
//! Every write goes through one check (shape, `_id`, `schema_version`, bounds, validator), and
//! every operation reports what it touched as a [`Cost`], so a later cost model can charge
//! for it. Multi-document updates are all-or-nothing: new versions are computed first and
//! stored only when every one of them passed.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Add, AddAssign};

use super::history::{Checksum, ChecksumHasher};
use super::path::{self, FieldPath, PathError};
use super::schema::{DocSchema, Violation};
use super::update::{apply_ops, UpdateError, UpdateOp};
use super::value::{depth, type_name, with_article, DocId};
use super::{
    COLLECTIONS_MAX, DEPTH_MAX, DOCS_PER_COLLECTION_MAX, DOC_BYTES_MAX, ID_FIELD, VERSION_FIELD,
};

/// Longest collection name, in bytes.
pub const COLLECTION_NAME_MAX: usize = 120;

/// Documents an operation looked at and wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    /// Documents read to find the matches (a full scan reads all of them).
    pub examined: u64,
    /// Documents inserted, replaced, updated or deleted.
    pub written: u64,
}

impl Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            examined: self.examined.saturating_add(o.examined),
            written: self.written.saturating_add(o.written),
        }
    }
}

impl AddAssign for Cost {
    fn add_assign(&mut self, o: Cost) {
        *self = *self + o;
    }
}

/// Everything a store operation can refuse, each naming the collection and document.
#[derive(Clone, Debug, PartialEq)]
pub enum DocError {
    /// No collection by that name.
    NoSuchCollection(String),
    /// `create_collection` on a name in use.
    CollectionExists(String),
    /// The name is empty, too long, or holds `$` or NUL.
    BadCollectionName {
        /// The name as given (cut to the length limit).
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The store already holds [`COLLECTIONS_MAX`] collections.
    TooManyCollections,
    /// A document that is not a JSON object.
    NotAnObject {
        /// The collection.
        collection: String,
        /// What was found instead.
        found: &'static str,
    },
    /// An `_id` that is not a scalar.
    BadId {
        /// The collection.
        collection: String,
        /// Why it is refused.
        reason: String,
    },
    /// Insert of an `_id` already present.
    DuplicateId {
        /// The collection.
        collection: String,
        /// The document's `_id`.
        id: DocId,
    },
    /// Replace of an `_id` that is absent.
    NotFound {
        /// The collection.
        collection: String,
        /// The document's `_id`.
        id: DocId,
    },
    /// A replacement whose `_id` differs from the one being replaced.
    IdMismatch {
        /// The collection.
        collection: String,
        /// The document's `_id`.
        id: DocId,
        /// The `_id` the replacement carries.
        found: DocId,
    },
    /// `schema_version` is not an integer in `0 ..= u32::MAX`.
    BadVersion {
        /// The collection.
        collection: String,
        /// The document's `_id`.
        id: DocId,
        /// The value found (cut to 40 characters).
        found: String,
    },
    /// The validator refused the document.
    Invalid {
        /// The collection.
        collection: String,
        /// The document's `_id`.
        id: DocId,
        /// The field path.
        path: String,
        /// What is wrong there.
        violation: Violation,
    },
    /// An update operator failed on this document.
    Update {
        /// The collection.
        collection: String,
        /// The document's `_id`.
        id: DocId,
        /// Boxed to keep `DocError` small.
        error: Box<UpdateError>,
    },
    /// A filter path is malformed.
    BadPath(PathError),
    /// A filter value uses a query operator (`{"$gt": 5}`); only equality is supported.
    UnsupportedOperator {
        /// The field path.
        path: String,
        /// The operator, e.g. `$gt`.
        operator: String,
    },
    /// A validator path is malformed.
    BadValidator(PathError),
    /// The document nests deeper than [`DEPTH_MAX`].
    TooDeep {
        /// The collection.
        collection: String,
        /// The document's `_id`.
        id: DocId,
        /// Its nesting depth.
        depth: usize,
    },
    /// The document is larger than [`DOC_BYTES_MAX`].
    TooLarge {
        /// The collection.
        collection: String,
        /// The document's `_id`.
        id: DocId,
        /// Its size in bytes of compact JSON.
        bytes: usize,
    },
    /// The collection already holds [`DOCS_PER_COLLECTION_MAX`] documents.
    CollectionFull {
        /// The collection.
        collection: String,
    },
    /// No chain of migrations leads from the document's version to the target.
    NoMigrationPath {
        /// The collection.
        collection: String,
        /// The document's `_id`.
        id: DocId,
        /// The version the document is at.
        from: u32,
        /// The version asked for.
        to: u32,
    },
    /// A migration chain is malformed (gaps, wrong collection).
    BadChain(String),
}

impl fmt::Display for DocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DocError as E;
        match self {
            E::NoSuchCollection(c) => write!(f, "there is no collection '{c}'"),
            E::CollectionExists(c) => write!(f, "collection '{c}' already exists"),
            E::BadCollectionName { name, reason } => {
                write!(f, "'{name}' is not a valid collection name: {reason}")
            }
            E::TooManyCollections => write!(f, "a store holds at most {COLLECTIONS_MAX} collections"),
            E::NotAnObject { collection, found } => {
                write!(f, "'{collection}': a document must be a JSON object, not {}", with_article(found))
            }
            E::BadId { collection, reason } => write!(f, "'{collection}': {reason}"),
            E::DuplicateId { collection, id } => {
                write!(f, "'{collection}': a document with _id {id} already exists")
            }
            E::NotFound { collection, id } => write!(f, "'{collection}': no document with _id {id}"),
            E::IdMismatch { collection, id, found } => write!(
                f,
                "'{collection}': the replacement for _id {id} carries _id {found}; _id is immutable"
            ),
            E::BadVersion { collection, id, found } => write!(
                f,
                "document {id} in '{collection}': {VERSION_FIELD} must be an integer from 0 to {}, found {found}",
                u32::MAX
            ),
            E::Invalid { collection, id, path, violation } => write!(
                f,
                "document {id} in '{collection}' fails validation at '{path}': {violation}"
            ),
            E::Update { collection, id, error } => {
                write!(f, "document {id} in '{collection}': {error}")
            }
            E::BadPath(e) => write!(f, "{e}"),
            E::UnsupportedOperator { path, operator } => write!(
                f,
                "filter on '{path}': the query operator {operator} is not supported, only equality"
            ),
            E::BadValidator(e) => write!(f, "validator: {e}"),
            E::TooDeep { collection, id, depth } => write!(
                f,
                "document {id} in '{collection}' nests {depth} levels deep; the limit is {DEPTH_MAX}"
            ),
            E::TooLarge { collection, id, bytes } => write!(
                f,
                "document {id} in '{collection}' is {bytes} bytes of JSON; the limit is {DOC_BYTES_MAX}"
            ),
            E::CollectionFull { collection } => write!(
                f,
                "'{collection}' already holds {DOCS_PER_COLLECTION_MAX} documents, the limit"
            ),
            E::NoMigrationPath { collection, id, from, to } => write!(
                f,
                "document {id} in '{collection}': no migration leads from version {from} to {to}"
            ),
            E::BadChain(m) => write!(f, "migration chain: {m}"),
        }
    }
}

impl std::error::Error for DocError {}

/// A conjunction of field-path equalities (`{"address.city": "Oslo", "tags": "x"}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// (dotted path, value) pairs; a document matches when every pair matches.
    pub clauses: Vec<(String, Value)>,
}

impl Filter {
    /// Matches every document.
    pub fn all() -> Filter {
        Filter::default()
    }
    /// `path == value`.
    pub fn eq(path: &str, value: Value) -> Filter {
        Filter::all().and(path, value)
    }
    /// Add one more equality.
    pub fn and(mut self, path: &str, value: Value) -> Filter {
        self.clauses.push((path.to_string(), value));
        self
    }
    /// Read a MongoDB-style filter object of plain equalities.
    pub fn from_json(v: &Value) -> Result<Filter, DocError> {
        let Value::Object(m) = v else {
            return Err(DocError::BadPath(PathError {
                path: v.to_string(),
                reason: "a filter must be a JSON object of field paths",
            }));
        };
        let clauses = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let f = Filter { clauses };
        f.compile()?;
        Ok(f)
    }

    /// Parse every path once, for matching many documents.
    pub(crate) fn compile(&self) -> Result<CompiledFilter<'_>, DocError> {
        let clauses = self
            .clauses
            .iter()
            .map(|(p, v)| {
                if let Some(op) = query_operator(v) {
                    return Err(DocError::UnsupportedOperator {
                        path: p.clone(),
                        operator: op.to_string(),
                    });
                }
                let p = FieldPath::parse(p).map_err(DocError::BadPath)?;
                Ok((p.segments().to_vec(), v))
            })
            .collect::<Result<_, DocError>>()?;
        Ok(CompiledFilter {
            clauses,
            pinned: self.pinned_id(),
        })
    }

    /// True when `doc` satisfies every clause (malformed paths match nothing).
    pub fn matches(&self, doc: &Value) -> bool {
        self.compile().is_ok_and(|c| c.hit(doc))
    }

    /// The `_id` when the filter pins one scalar id, so a lookup replaces the scan.
    fn pinned_id(&self) -> Option<DocId> {
        self.clauses
            .iter()
            .find(|(p, _)| p == ID_FIELD)
            .and_then(|(_, v)| DocId::new(v.clone()).ok())
    }
}

/// The first `$`-prefixed key of an object value: `{"$gt": 5}` is a query operator, not a
/// document to compare with, and silently comparing would give wrong answers.
pub(crate) fn query_operator(v: &Value) -> Option<&str> {
    match v {
        Value::Object(m) => m.keys().find(|k| k.starts_with('$')).map(String::as_str),
        _ => None,
    }
}

/// A filter with parsed paths.
pub(crate) struct CompiledFilter<'a> {
    clauses: Vec<(Vec<String>, &'a Value)>,
    /// Set when the filter names one `_id`: at most that document can match.
    pub(crate) pinned: Option<DocId>,
}

impl CompiledFilter<'_> {
    /// True when `doc` satisfies every clause.
    pub(crate) fn hit(&self, doc: &Value) -> bool {
        self.clauses
            .iter()
            .all(|(p, v)| path::matches_eq(doc, p, v))
    }

    /// The documents of `c` this filter has to look at: one for a pinned id, else all.
    pub(crate) fn candidates<'c>(&self, c: &'c Collection) -> Vec<(&'c DocId, &'c Value)> {
        match &self.pinned {
            Some(id) => c
                .docs
                .get_key_value(id)
                .map(|(k, s)| (k, &s.doc))
                .into_iter()
                .collect(),
            None => c.iter().collect(),
        }
    }
}

/// Documents a find returned, and what it cost.
#[derive(Clone, Debug, PartialEq)]
pub struct FindResult {
    /// Matching documents in `_id` order.
    pub docs: Vec<Value>,
    /// Documents examined (written is zero).
    pub cost: Cost,
}

/// What an update did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateResult {
    /// Documents the filter matched.
    pub matched: u64,
    /// Documents whose content changed.
    pub modified: u64,
    /// Examined and written.
    pub cost: Cost,
}

/// SHA-256 of a document's compact JSON as four little-endian lanes.
type DocDigest = [u64; 4];

/// A stored document with the digest of its JSON, kept so that replacing or removing it
/// does not serialise it again.
#[derive(Clone, Debug, PartialEq)]
struct Stored {
    doc: Value,
    digest: DocDigest,
}

/// A document that passed the write checks: its id, and the digest computed on the way.
pub(crate) struct Checked {
    /// The document's `_id`.
    pub(crate) id: DocId,
    digest: DocDigest,
}

/// One collection: documents by `_id`, an optional validator, and a count per version.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Collection {
    docs: BTreeMap<DocId, Stored>,
    validator: Option<DocSchema>,
    /// Version stamped on inserts that carry no `schema_version`.
    default_version: u32,
    /// Documents per `schema_version`, kept in step with `docs`.
    version_counts: BTreeMap<u32, u64>,
    /// Next candidate for an `_id` the store assigns.
    next_auto_id: u64,
    /// Sum (lane-wise, wrapping) of the SHA-256 digests of every document: a multiset hash
    /// kept in step with `docs`, so the store fingerprint costs O(collections), not O(docs).
    content_sum: [u64; 4],
}

impl Collection {
    fn new() -> Collection {
        Collection {
            default_version: 1,
            next_auto_id: 1,
            ..Collection::default()
        }
    }
    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }
    /// True when the collection holds no documents.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
    /// The document with this id.
    pub fn get(&self, id: &DocId) -> Option<&Value> {
        self.docs.get(id).map(|s| &s.doc)
    }
    /// Documents in `_id` order.
    pub fn iter(&self) -> impl Iterator<Item = (&DocId, &Value)> + '_ {
        self.docs.iter().map(|(id, s)| (id, &s.doc))
    }
    /// The validator, if any.
    pub fn validator(&self) -> Option<&DocSchema> {
        self.validator.as_ref()
    }
    /// Version given to inserted documents without `schema_version`.
    pub fn default_version(&self) -> u32 {
        self.default_version
    }
    /// Documents per `schema_version`, in version order.
    pub fn version_counts(&self) -> &BTreeMap<u32, u64> {
        &self.version_counts
    }

    fn put(&mut self, checked: Checked, doc: Value) {
        self.count(&doc, checked.digest, true);
        let stored = Stored {
            doc,
            digest: checked.digest,
        };
        if let Some(old) = self.docs.insert(checked.id, stored) {
            self.count(&old.doc, old.digest, false);
        }
    }

    fn take(&mut self, id: &DocId) -> Option<Value> {
        let old = self.docs.remove(id)?;
        self.count(&old.doc, old.digest, false);
        Some(old.doc)
    }

    /// Keep the per-version counter and the content sum in step with a document arriving
    /// (`add`) or leaving.
    fn count(&mut self, doc: &Value, digest: DocDigest, add: bool) {
        let v = doc_version(doc).unwrap_or(0);
        for (lane, d) in self.content_sum.iter_mut().zip(digest) {
            *lane = if add {
                lane.wrapping_add(d)
            } else {
                lane.wrapping_sub(d)
            };
        }
        if add {
            *self.version_counts.entry(v).or_insert(0) += 1;
        } else if let Some(n) = self.version_counts.get_mut(&v) {
            *n -= 1;
            if *n == 0 {
                self.version_counts.remove(&v);
            }
        }
    }
}

/// Counts and hashes serialised JSON in one pass.
struct Measure {
    bytes: usize,
    sha: Sha256,
}

impl std::io::Write for Measure {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes = self.bytes.saturating_add(buf.len());
        self.sha.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Size of a document's compact JSON and the digest of it (keys in sorted order, so equal
/// documents give equal digests).
fn measure(doc: &Value) -> (usize, DocDigest) {
    let mut w = Measure {
        bytes: 0,
        sha: Sha256::new(),
    };
    // Writing a Value into a hasher cannot fail.
    let _ = serde_json::to_writer(&mut w, doc);
    let bytes: [u8; 32] = w.sha.finalize().into();
    let mut lanes = [0u64; 4];
    for (lane, chunk) in lanes.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *lane = u64::from_le_bytes(b);
    }
    (w.bytes, lanes)
}

/// A document's `schema_version`, when it is a valid one.
pub fn doc_version(doc: &Value) -> Option<u32> {
    doc.get(VERSION_FIELD)?
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
}

/// The whole store: collections by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocStore {
    collections: BTreeMap<String, Collection>,
}

fn check_name(name: &str) -> Result<(), DocError> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > COLLECTION_NAME_MAX {
        "it is longer than 120 bytes"
    } else if name.contains('$') || name.contains('\0') {
        "it contains '$' or a NUL character"
    } else {
        return Ok(());
    };
    Err(DocError::BadCollectionName {
        name: name.chars().take(COLLECTION_NAME_MAX).collect(),
        reason,
    })
}

impl DocStore {
    /// An empty store.
    pub fn new() -> DocStore {
        DocStore::default()
    }

    /// Create an empty collection.
    pub fn create_collection(&mut self, name: &str) -> Result<(), DocError> {
        check_name(name)?;
        if self.collections.contains_key(name) {
            return Err(DocError::CollectionExists(name.into()));
        }
        if self.collections.len() >= COLLECTIONS_MAX {
            return Err(DocError::TooManyCollections);
        }
        self.collections.insert(name.into(), Collection::new());
        Ok(())
    }

    /// Remove a collection and its documents; the cost counts them as written.
    pub fn drop_collection(&mut self, name: &str) -> Result<Cost, DocError> {
        let c = self
            .collections
            .remove(name)
            .ok_or_else(|| DocError::NoSuchCollection(name.into()))?;
        Ok(Cost {
            examined: 0,
            written: c.len() as u64,
        })
    }

    /// A collection by name.
    pub fn collection(&self, name: &str) -> Option<&Collection> {
        self.collections.get(name)
    }

    /// Collection names in order.
    pub fn collection_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.collections.keys().map(String::as_str)
    }

    fn coll(&self, name: &str) -> Result<&Collection, DocError> {
        self.collections
            .get(name)
            .ok_or_else(|| DocError::NoSuchCollection(name.into()))
    }

    fn coll_mut(&mut self, name: &str) -> Result<&mut Collection, DocError> {
        self.collections
            .get_mut(name)
            .ok_or_else(|| DocError::NoSuchCollection(name.into()))
    }

    /// Set or clear a collection's validator. Like MongoDB, existing documents are not
    /// re-checked; later writes are.
    pub fn set_validator(&mut self, name: &str, schema: Option<DocSchema>) -> Result<(), DocError> {
        if let Some(s) = &schema {
            s.check_paths().map_err(DocError::BadValidator)?;
        }
        self.coll_mut(name)?.validator = schema;
        Ok(())
    }

    /// Set the version stamped on inserts that carry no `schema_version`.
    pub fn set_default_version(&mut self, name: &str, version: u32) -> Result<(), DocError> {
        self.coll_mut(name)?.default_version = version;
        Ok(())
    }

    /// Insert one document, creating the collection if needed. A missing `_id` is assigned
    /// (the next free integer); a missing `schema_version` gets the collection's default.
    /// Returns the document's id.
    pub fn insert(&mut self, name: &str, doc: Value) -> Result<(DocId, Cost), DocError> {
        let created = !self.collections.contains_key(name);
        if created {
            self.create_collection(name)?;
        }
        let result = self.insert_into(name, doc);
        // A failed insert changes nothing, not even by creating the collection.
        if created && result.is_err() {
            self.collections.remove(name);
        }
        result
    }

    fn insert_into(&mut self, name: &str, doc: Value) -> Result<(DocId, Cost), DocError> {
        let c = self.coll_mut(name)?;
        if c.len() >= DOCS_PER_COLLECTION_MAX {
            return Err(DocError::CollectionFull {
                collection: name.into(),
            });
        }
        let mut doc = into_object(name, doc)?;
        let auto_id = stamp(c, &mut doc);
        let checked = check_document(name, c, &doc)?;
        if c.docs.contains_key(&checked.id) {
            return Err(DocError::DuplicateId {
                collection: name.into(),
                id: checked.id,
            });
        }
        if let Some(n) = auto_id {
            c.next_auto_id = n.saturating_add(1);
        }
        let id = checked.id.clone();
        c.put(checked, doc);
        let cost = Cost {
            examined: 0,
            written: 1,
        };
        Ok((id, cost))
    }

    /// Replace the document with `_id == id`. The replacement may omit `_id` (it is kept) and
    /// `schema_version` (the collection default is stamped).
    pub fn replace(&mut self, name: &str, id: &Value, doc: Value) -> Result<Cost, DocError> {
        let id = to_id(name, id)?;
        let c = self.coll_mut(name)?;
        if !c.docs.contains_key(&id) {
            return Err(DocError::NotFound {
                collection: name.into(),
                id,
            });
        }
        let mut doc = into_object(name, doc)?;
        if let Value::Object(m) = &mut doc {
            m.entry(ID_FIELD).or_insert_with(|| id.value().clone());
        }
        stamp(c, &mut doc);
        let checked = check_document(name, c, &doc)?;
        if checked.id != id {
            return Err(DocError::IdMismatch {
                collection: name.into(),
                id,
                found: checked.id,
            });
        }
        c.put(checked, doc);
        Ok(Cost {
            examined: 1,
            written: 1,
        })
    }

    /// Delete the document with this id; `written` is 0 when there was none.
    pub fn delete(&mut self, name: &str, id: &Value) -> Result<Cost, DocError> {
        let id = to_id(name, id)?;
        let removed = self.coll_mut(name)?.take(&id).is_some();
        Ok(Cost {
            examined: u64::from(removed),
            written: u64::from(removed),
        })
    }

    /// The document with this id.
    pub fn get(&self, name: &str, id: &Value) -> Result<Option<&Value>, DocError> {
        let id = to_id(name, id)?;
        Ok(self.coll(name)?.get(&id))
    }

    /// Documents matching the filter, in `_id` order.
    pub fn find(&self, name: &str, filter: &Filter) -> Result<FindResult, DocError> {
        let c = self.coll(name)?;
        let (ids, examined) = matching_ids(c, filter)?;
        let docs = ids.iter().filter_map(|id| c.get(id).cloned()).collect();
        Ok(FindResult {
            docs,
            cost: Cost {
                examined,
                written: 0,
            },
        })
    }

    /// How many documents match, without copying them.
    pub fn count(&self, name: &str, filter: &Filter) -> Result<(u64, Cost), DocError> {
        let (ids, examined) = matching_ids(self.coll(name)?, filter)?;
        let cost = Cost {
            examined,
            written: 0,
        };
        Ok((ids.len() as u64, cost))
    }

    /// Apply `ops` to every matching document, all or nothing: if any document fails (an
    /// operator error, the validator, a bound) nothing is written.
    pub fn update(
        &mut self,
        name: &str,
        filter: &Filter,
        ops: &[UpdateOp],
    ) -> Result<UpdateResult, DocError> {
        let c = self.coll_mut(name)?;
        let (ids, examined) = matching_ids(c, filter)?;
        let mut changed = Vec::new();
        for id in &ids {
            let Some(old) = c.get(id) else { continue };
            let new = apply_ops(old, ops).map_err(|error| DocError::Update {
                collection: name.into(),
                id: id.clone(),
                error: Box::new(error),
            })?;
            if new != *old {
                changed.push((check_document(name, c, &new)?, new));
            }
        }
        let modified = changed.len() as u64;
        for (checked, doc) in changed {
            c.put(checked, doc);
        }
        Ok(UpdateResult {
            matched: ids.len() as u64,
            modified,
            cost: Cost {
                examined,
                written: modified,
            },
        })
    }

    /// Delete every matching document.
    pub fn delete_many(&mut self, name: &str, filter: &Filter) -> Result<Cost, DocError> {
        let c = self.coll_mut(name)?;
        let (ids, examined) = matching_ids(c, filter)?;
        for id in &ids {
            c.take(id);
        }
        Ok(Cost {
            examined,
            written: ids.len() as u64,
        })
    }

    /// Run the write checks on a document computed elsewhere (a migration) without storing
    /// it; returns its id.
    pub(crate) fn check_write(&self, name: &str, doc: &Value) -> Result<Checked, DocError> {
        check_document(name, self.coll(name)?, doc)
    }

    /// Store documents that passed [`DocStore::check_write`], all at once.
    pub(crate) fn commit(
        &mut self,
        name: &str,
        writes: Vec<(Checked, Value)>,
    ) -> Result<(), DocError> {
        let c = self.coll_mut(name)?;
        for (checked, doc) in writes {
            c.put(checked, doc);
        }
        Ok(())
    }

    /// SHA-256 over every collection: name, validator, default version, document count and
    /// the multiset hash of its documents (the wrapping sum of each document's SHA-256 over
    /// its canonical JSON, kept up to date on every write). Two stores with equal content
    /// have equal fingerprints on every platform, and taking one costs O(collections).
    pub fn fingerprint(&self) -> Checksum {
        let mut h = Checksum::hasher();
        for (name, c) in &self.collections {
            hash_shape(&mut h, name, c);
            h.field(b"docs", &(c.docs.len() as u64).to_le_bytes());
            for lane in c.content_sum {
                h.field(b"content", &lane.to_le_bytes());
            }
        }
        h.finish()
    }

    /// Recompute every collection's per-version counts and content sum from its documents
    /// and compare them with the maintained ones; O(documents), for tests and checkers.
    pub fn check_invariants(&self) -> Result<(), String> {
        for (name, c) in &self.collections {
            let mut fresh = Collection {
                docs: BTreeMap::new(),
                ..Collection::new()
            };
            for (id, stored) in &c.docs {
                let digest = measure(&stored.doc).1;
                if digest != stored.digest {
                    return Err(format!("'{name}': the digest of document {id} is stale"));
                }
                fresh.count(&stored.doc, digest, true);
            }
            if fresh.version_counts != c.version_counts {
                return Err(format!(
                    "'{name}': version counts {:?} but the documents say {:?}",
                    c.version_counts, fresh.version_counts
                ));
            }
            if fresh.content_sum != c.content_sum {
                return Err(format!("'{name}': the content sum is out of step"));
            }
        }
        Ok(())
    }

    /// SHA-256 over the store's shape only: collection names, validators, default versions
    /// and the set of schema versions present. Application writes at existing versions
    /// leave it unchanged, so it detects schema drift (a validator edited by hand,
    /// documents at a version no migration produced) where [`DocStore::fingerprint`]
    /// detects any change at all.
    pub fn schema_fingerprint(&self) -> Checksum {
        let mut h = Checksum::hasher();
        for (name, c) in &self.collections {
            hash_shape(&mut h, name, c);
            for v in c.version_counts.keys() {
                h.field(b"version", &v.to_le_bytes());
            }
        }
        h.finish()
    }
}

fn into_object(name: &str, doc: Value) -> Result<Value, DocError> {
    if doc.is_object() {
        Ok(doc)
    } else {
        Err(DocError::NotAnObject {
            collection: name.into(),
            found: type_name(&doc),
        })
    }
}

fn to_id(name: &str, id: &Value) -> Result<DocId, DocError> {
    DocId::new(id.clone()).map_err(|reason| DocError::BadId {
        collection: name.into(),
        reason,
    })
}

/// Fill in a missing `_id` (next free integer) and `schema_version` (collection default).
/// Returns the id it assigned, so the caller advances the counter only once the write
/// succeeds.
fn stamp(c: &Collection, doc: &mut Value) -> Option<u64> {
    let Value::Object(m) = doc else { return None };
    if !m.contains_key(VERSION_FIELD) {
        m.insert(VERSION_FIELD.into(), Value::from(c.default_version));
    }
    if m.contains_key(ID_FIELD) {
        return None;
    }
    // Each probe skips a taken id, so this ends within len + 1 probes.
    let mut n = c.next_auto_id;
    while c.docs.contains_key(&DocId::from_u64(n)) {
        n = n.saturating_add(1);
    }
    m.insert(ID_FIELD.into(), Value::from(n));
    Some(n)
}

/// The one gate for every write: object, scalar `_id`, integer `schema_version`, depth and
/// size bounds, then the validator. Returns the document's id.
fn check_document(name: &str, c: &Collection, doc: &Value) -> Result<Checked, DocError> {
    let Value::Object(m) = doc else {
        return Err(DocError::NotAnObject {
            collection: name.into(),
            found: type_name(doc),
        });
    };
    let raw_id = m.get(ID_FIELD).cloned().ok_or_else(|| DocError::BadId {
        collection: name.into(),
        reason: "the document has no _id".into(),
    })?;
    let id = to_id(name, &raw_id)?;
    let digest = check_shape(name, &id, m, doc)?;
    if let Some(schema) = &c.validator {
        schema
            .validate(doc)
            .map_err(|(path, violation)| DocError::Invalid {
                collection: name.into(),
                id: id.clone(),
                path,
                violation,
            })?;
    }
    Ok(Checked { id, digest })
}

fn check_shape(
    name: &str,
    id: &DocId,
    m: &Map<String, Value>,
    doc: &Value,
) -> Result<DocDigest, DocError> {
    let version_ok = m
        .get(VERSION_FIELD)
        .and_then(Value::as_u64)
        .is_some_and(|v| u32::try_from(v).is_ok());
    if !version_ok {
        let found = m
            .get(VERSION_FIELD)
            .map_or_else(|| "nothing".to_string(), |v| v.to_string());
        return Err(DocError::BadVersion {
            collection: name.into(),
            id: id.clone(),
            found: found.chars().take(40).collect(),
        });
    }
    let d = depth(doc);
    if d > DEPTH_MAX {
        return Err(DocError::TooDeep {
            collection: name.into(),
            id: id.clone(),
            depth: d,
        });
    }
    let (bytes, digest) = measure(doc);
    if bytes > DOC_BYTES_MAX {
        return Err(DocError::TooLarge {
            collection: name.into(),
            id: id.clone(),
            bytes,
        });
    }
    Ok(digest)
}

/// Ids of matching documents and how many documents were examined to find them.
fn matching_ids(c: &Collection, filter: &Filter) -> Result<(Vec<DocId>, u64), DocError> {
    let compiled = filter.compile()?;
    let candidates = compiled.candidates(c);
    let examined = candidates.len() as u64;
    let ids = candidates
        .into_iter()
        .filter(|(_, d)| compiled.hit(d))
        .map(|(id, _)| id.clone())
        .collect();
    Ok((ids, examined))
}

/// A collection's shape for the fingerprints: its name, validator and default version.
fn hash_shape(h: &mut ChecksumHasher, name: &str, c: &Collection) {
    h.field(b"collection", name.as_bytes());
    let validator = serde_json::to_string(&c.validator).unwrap_or_default();
    h.field(b"validator", validator.as_bytes());
    h.field(b"default_version", &c.default_version.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::doc::{FieldSpec, FieldType};
    use serde_json::json;

    fn store() -> DocStore {
        let mut s = DocStore::new();
        for d in [
            json!({"_id": 1, "name": "ann", "tags": ["a", "b"], "address": {"city": "Oslo"}}),
            json!({"_id": 2, "name": "bob", "tags": ["b"], "items": [{"sku": 7}, {"sku": 8}]}),
            json!({"_id": "x", "name": "cy", "n": 1}),
        ] {
            s.insert("users", d).unwrap();
        }
        s
    }

    fn ids(r: &FindResult) -> Vec<Value> {
        r.docs.iter().map(|d| d["_id"].clone()).collect()
    }

    #[test]
    fn insert_stamps_version_and_assigns_ids() {
        let mut s = store();
        let (id, cost) = s.insert("users", json!({"name": "dee"})).unwrap();
        assert_eq!(id, DocId::from_u64(3));
        assert_eq!(
            cost,
            Cost {
                examined: 0,
                written: 1
            }
        );
        let d = s.get("users", &json!(3)).unwrap().unwrap();
        assert_eq!(d["schema_version"], json!(1));
        let c = s.collection("users").unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!(c.version_counts(), &BTreeMap::from([(1, 4)]));
        // Ids are ordered canonically: numbers before strings.
        let order: Vec<String> = c.iter().map(|(id, _)| id.to_string()).collect();
        assert_eq!(order, vec!["1", "2", "3", "\"x\""]);
    }

    #[test]
    fn insert_refuses_bad_documents() {
        let mut s = store();
        let before = s.clone();
        let e = s.insert("users", json!({"_id": 1.0})).unwrap_err();
        assert!(matches!(e, DocError::DuplicateId { .. }));
        assert_eq!(
            e.to_string(),
            "'users': a document with _id 1.0 already exists"
        );
        assert!(matches!(
            s.insert("users", json!([1])),
            Err(DocError::NotAnObject { .. })
        ));
        let e = s.insert("users", json!({"_id": [1]})).unwrap_err();
        assert!(e.to_string().contains("_id must be a scalar"), "{e}");
        for bad in [
            json!("1"),
            json!(-1),
            json!(1.5),
            json!(u64::from(u32::MAX) + 1),
        ] {
            let e = s
                .insert("users", json!({"_id": 9, "schema_version": bad}))
                .unwrap_err();
            assert!(matches!(e, DocError::BadVersion { .. }), "{e}");
        }
        assert!(s.insert("bad$name", json!({})).is_err());
        // A failed insert into a new collection does not leave the collection behind, and a
        // refused auto-id document does not use up its id.
        assert!(s.insert("fresh", json!([1])).is_err());
        s.set_validator(
            "users",
            Some(DocSchema::new(1).field("name", FieldSpec::required(FieldType::String))),
        )
        .unwrap();
        assert!(s.insert("users", json!({"nick": "no name"})).is_err());
        s.set_validator("users", None).unwrap();
        assert_eq!(s, before);
    }

    #[test]
    fn bounds_on_depth_and_size() {
        let mut s = DocStore::new();
        let mut deep = json!(1);
        for _ in 0..DEPTH_MAX {
            deep = json!({ "a": deep });
        }
        let e = s.insert("c", json!({"_id": 1, "d": deep})).unwrap_err();
        assert!(matches!(e, DocError::TooDeep { depth: 101, .. }), "{e}");
        assert!(e.to_string().contains("limit is 100"));
        let big = "x".repeat(DOC_BYTES_MAX);
        let e = s.insert("c", json!({"_id": 1, "s": big})).unwrap_err();
        assert!(matches!(e, DocError::TooLarge { .. }), "{e}");
        let e = DocError::CollectionFull {
            collection: "c".into(),
        };
        assert!(e.to_string().contains("2000000"));
    }

    #[test]
    fn replace_and_delete() {
        let mut s = store();
        let cost = s
            .replace("users", &json!(2), json!({"name": "bo"}))
            .unwrap();
        assert_eq!(cost.written, 1);
        assert_eq!(
            s.get("users", &json!(2)).unwrap(),
            Some(&json!({"_id": 2, "name": "bo", "schema_version": 1}))
        );
        let e = s
            .replace("users", &json!(2), json!({"_id": 3}))
            .unwrap_err();
        assert!(matches!(e, DocError::IdMismatch { .. }));
        assert!(matches!(
            s.replace("users", &json!(99), json!({})),
            Err(DocError::NotFound { .. })
        ));
        assert_eq!(s.delete("users", &json!(2)).unwrap().written, 1);
        assert_eq!(s.delete("users", &json!(2)).unwrap().written, 0);
        assert!(matches!(
            s.delete("nope", &json!(2)),
            Err(DocError::NoSuchCollection(_))
        ));
    }

    #[test]
    fn find_by_paths_with_array_fan_out() {
        let s = store();
        let r = s.find("users", &Filter::eq("tags", json!("b"))).unwrap();
        assert_eq!(ids(&r), vec![json!(1), json!(2)]);
        assert_eq!(
            r.cost,
            Cost {
                examined: 3,
                written: 0
            }
        );
        let (n, cost) = s.count("users", &Filter::eq("tags", json!("b"))).unwrap();
        assert_eq!((n, cost.examined), (2, 3));
        let r = s.find("users", &Filter::eq("items.sku", json!(8))).unwrap();
        assert_eq!(ids(&r), vec![json!(2)]);
        let r = s
            .find(
                "users",
                &Filter::eq("address.city", json!("Oslo")).and("name", json!("ann")),
            )
            .unwrap();
        assert_eq!(ids(&r), vec![json!(1)]);
        let r = s.find("users", &Filter::eq("_id", json!("x"))).unwrap();
        assert_eq!((ids(&r), r.cost.examined), (vec![json!("x")], 1));
        let r = s.find("users", &Filter::eq("n", json!(null))).unwrap();
        assert_eq!(ids(&r), vec![json!(1), json!(2)]);
        assert!(matches!(
            s.find("users", &Filter::eq("a..b", json!(1))),
            Err(DocError::BadPath(_))
        ));
        let e = s
            .find("users", &Filter::eq("n", json!({"$gt": 0})))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "filter on 'n': the query operator $gt is not supported, only equality"
        );
        let f = Filter::from_json(&json!({"name": "cy"})).unwrap();
        assert_eq!(ids(&s.find("users", &f).unwrap()), vec![json!("x")]);
        assert!(Filter::from_json(&json!([1])).is_err());
    }

    #[test]
    fn update_is_all_or_nothing() {
        let mut s = store();
        let before = s.clone();
        // Document "x" has n = 1, the others get n created; then $push onto "name" fails
        // for every document, so nothing may change.
        let e = s
            .update(
                "users",
                &Filter::all(),
                &[UpdateOp::inc("n", 1), UpdateOp::push("name", json!(1))],
            )
            .unwrap_err();
        assert!(matches!(e, DocError::Update { .. }));
        assert!(
            e.to_string()
                .starts_with("document 1 in 'users': $push 'name'"),
            "{e}"
        );
        assert_eq!(s, before);
        let r = s
            .update(
                "users",
                &Filter::eq("tags", json!("b")),
                &[UpdateOp::inc("n", 5)],
            )
            .unwrap();
        assert_eq!(
            (r.matched, r.modified, r.cost.examined, r.cost.written),
            (2, 2, 3, 2)
        );
        let r = s
            .update(
                "users",
                &Filter::eq("_id", json!(1)),
                &[UpdateOp::set("n", json!(5))],
            )
            .unwrap();
        assert_eq!((r.matched, r.modified), (1, 0));
        let e = s
            .update("users", &Filter::all(), &[UpdateOp::set("_id", json!(5))])
            .unwrap_err();
        assert!(e.to_string().contains("immutable"));
        let e = s
            .update(
                "users",
                &Filter::all(),
                &[UpdateOp::set("schema_version", json!("two"))],
            )
            .unwrap_err();
        assert!(matches!(e, DocError::BadVersion { .. }));
    }

    #[test]
    fn validator_rejects_with_id_path_and_reason() {
        let mut s = store();
        let schema = DocSchema::new(1)
            .field("name", FieldSpec::required(FieldType::String))
            .field("address.city", FieldSpec::required(FieldType::String));
        s.set_validator("users", Some(schema)).unwrap();
        let e = s
            .insert(
                "users",
                json!({"_id": "u9", "name": "z", "address": {"city": 5}}),
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "document \"u9\" in 'users' fails validation at 'address.city': expected string, found integer"
        );
        let e = s
            .update(
                "users",
                &Filter::eq("_id", json!(1)),
                &[UpdateOp::unset("name")],
            )
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("at 'name': required field is missing"),
            "{e}"
        );
        s.insert("users", json!({"_id": "u9", "name": "z"}))
            .unwrap();
        let bad = DocSchema::new(1).field("", FieldSpec::required(FieldType::Null));
        assert!(matches!(
            s.set_validator("users", Some(bad)),
            Err(DocError::BadValidator(_))
        ));
        assert!(s.collection("users").unwrap().validator().is_some());
    }

    #[test]
    fn version_counts_follow_writes() {
        let mut s = store();
        s.insert("users", json!({"_id": 10, "schema_version": 2}))
            .unwrap();
        s.update(
            "users",
            &Filter::eq("_id", json!(1)),
            &[UpdateOp::set("schema_version", json!(3))],
        )
        .unwrap();
        s.replace("users", &json!(2), json!({"schema_version": 2}))
            .unwrap();
        s.delete("users", &json!("x")).unwrap();
        let c = s.collection("users").unwrap();
        assert_eq!(c.version_counts(), &BTreeMap::from([(2, 2), (3, 1)]));
        s.delete_many("users", &Filter::eq("schema_version", json!(2)))
            .unwrap();
        assert_eq!(
            s.collection("users").unwrap().version_counts(),
            &BTreeMap::from([(3, 1)])
        );
    }

    #[test]
    fn every_error_reads_as_a_sentence() {
        let id = DocId::from_u64(7);
        let c = || "users".to_string();
        let path_error = PathError {
            path: "a..b".into(),
            reason: "a segment is empty",
        };
        let update = apply_ops(&json!({"n": "x"}), &[UpdateOp::inc("n", 1)]).unwrap_err();
        let cases = [
            (DocError::NoSuchCollection(c()), "there is no collection 'users'"),
            (DocError::CollectionExists(c()), "collection 'users' already exists"),
            (
                DocError::BadCollectionName { name: "a$".into(), reason: "it contains '$' or a NUL character" },
                "'a$' is not a valid collection name: it contains '$' or a NUL character",
            ),
            (DocError::TooManyCollections, "a store holds at most 1000 collections"),
            (
                DocError::NotAnObject { collection: c(), found: "array" },
                "'users': a document must be a JSON object, not an array",
            ),
            (DocError::NotFound { collection: c(), id: id.clone() }, "'users': no document with _id 7"),
            (
                DocError::BadVersion { collection: c(), id: id.clone(), found: "\"2\"".into() },
                "document 7 in 'users': schema_version must be an integer from 0 to 4294967295, found \"2\"",
            ),
            (
                DocError::Update { collection: c(), id: id.clone(), error: Box::new(update) },
                "document 7 in 'users': $inc 'n': Cannot apply $inc to a value of non-numeric type (the field holds a string)",
            ),
            (DocError::BadPath(path_error.clone()), "invalid field path 'a..b': a segment is empty"),
            (DocError::BadValidator(path_error), "validator: invalid field path 'a..b': a segment is empty"),
            (
                DocError::NoMigrationPath { collection: c(), id, from: 9, to: 4 },
                "document 7 in 'users': no migration leads from version 9 to 4",
            ),
            (DocError::BadChain("the chain is empty".into()), "migration chain: the chain is empty"),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
    }

    #[test]
    fn collections_and_fingerprints() {
        let mut s = DocStore::new();
        s.create_collection("a").unwrap();
        assert!(matches!(
            s.create_collection("a"),
            Err(DocError::CollectionExists(_))
        ));
        assert!(s.create_collection("").is_err());
        assert!(s.create_collection(&"n".repeat(121)).is_err());
        let empty = s.fingerprint();
        s.insert("a", json!({"_id": 1})).unwrap();
        let one = s.fingerprint();
        assert_ne!(empty, one);
        let mut t = DocStore::new();
        t.insert("a", json!({"schema_version": 1, "_id": 1}))
            .unwrap();
        assert_eq!(t.fingerprint(), one);
        let shape = s.schema_fingerprint();
        s.insert("a", json!({"_id": 2})).unwrap();
        assert_eq!(
            s.schema_fingerprint(),
            shape,
            "a write at version 1 keeps the shape"
        );
        s.insert("a", json!({"_id": 3, "schema_version": 7}))
            .unwrap();
        assert_ne!(s.schema_fingerprint(), shape);
        s.delete("a", &json!(3)).unwrap();
        s.delete("a", &json!(2)).unwrap();
        assert_eq!(s.fingerprint(), one);
        // The fingerprint depends on content, not on the order of writes.
        let mut u = DocStore::new();
        u.insert("a", json!({"_id": 2})).unwrap();
        u.insert("a", json!({"_id": 1})).unwrap();
        u.update("a", &Filter::all(), &[UpdateOp::set("k", json!(1))])
            .unwrap();
        u.update("a", &Filter::all(), &[UpdateOp::unset("k")])
            .unwrap();
        u.delete("a", &json!(2)).unwrap();
        assert_eq!(u.fingerprint(), one);
        u.check_invariants().unwrap();
        assert_eq!(s.drop_collection("a").unwrap().written, 1);
        assert_eq!(s.collection_names().count(), 0);
        for i in 0..COLLECTIONS_MAX {
            s.create_collection(&format!("c{i}")).unwrap();
        }
        assert_eq!(
            s.create_collection("more"),
            Err(DocError::TooManyCollections)
        );
    }
}
