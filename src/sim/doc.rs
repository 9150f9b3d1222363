//! The document store: collections of JSON documents with a per-document schema version, and
//! document-side schema evolution.
//!
//! - [`value`]: a canonical total order over JSON values (MongoDB's type order), used for `_id`
//!   keys and for equality in finds, plus the size and depth bounds.
//! - [`path`]: dotted field paths into nested objects and arrays.
//! - [`update`]: the update operators `$set`, `$unset`, `$rename`, `$inc`, `$push`, `$pull`.
//! - [`schema`]: a document schema (field path -> type, required, default), used both as a
//!   collection validator and as the data compared for compatibility.
//! - [`store`]: [`DocStore`], collections keyed by `_id`, with insert, replace, delete, find
//!   and atomic update; every operation reports the documents it touched ([`Cost`]).
//! - [`migration`]: document migrations applied eagerly (rewrite the collection) or lazily
//!   (upgrade on read and on write).
//! - [`history`]: a Flyway-like migration history, generic over the step type so the SQL store
//!   can keep SQL text in the same history.
//! - [`compat`]: BACKWARD / FORWARD / FULL compatibility (and transitive variants) between
//!   schema versions, and schemas derived from a migration chain.
//! - [`reversibility`]: predicts whether a migration's down steps lose data.
//! - [`builtin`]: a small example collection and migration chain.
//!
//! Everything here is pure: `BTreeMap` wherever order can reach output, simulated time only,
//! and every user mistake comes back as a typed error, never a panic.

pub mod builtin;
pub mod compat;
pub mod history;
pub mod migration;
pub mod path;
pub mod reversibility;
pub mod schema;
pub mod store;
pub mod update;
pub mod value;

pub use compat::{CompatMode, CompatReport, Incompatibility};
pub use history::{Checksum, HistoryError, Migratable, MigrationHistory, MigrationState, Step};
pub use migration::{DocMigration, DocStep, MigrationChain};
pub use reversibility::{check_chain_reversibility, check_reversibility, Finding, FindingKind};
pub use schema::{DocSchema, FieldSpec, FieldType};
pub use store::{Collection, Cost, DocError, DocStore, Filter, FindResult, UpdateResult};
pub use update::{UpdateError, UpdateOp};
pub use value::DocId;

/// Documents one collection may hold.
pub const DOCS_PER_COLLECTION_MAX: usize = 2_000_000;
/// Collections one store may hold.
pub const COLLECTIONS_MAX: usize = 1_000;
/// Deepest nesting of objects and arrays in one document (the document itself is depth 1).
pub const DEPTH_MAX: usize = 100;
/// Largest document, in bytes of compact JSON (16 MiB, as in MongoDB).
pub const DOC_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Name of the field that holds a document's schema version.
pub const VERSION_FIELD: &str = "schema_version";
/// Name of the field that holds a document's key.
pub const ID_FIELD: &str = "_id";
