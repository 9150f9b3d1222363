//! The migration engine (issue 5), built on the data layer: move data between the SQL store
//! and the document store, and between schema versions, while the application keeps writing,
//! in virtual time.
//!
//! - [`config`]: what a job is asked to do ([`MigrationConfig`]), validated with typed errors.
//! - [`phase`]: the phase state machine with its legal transitions, progress, record errors.
//! - [`job`]: the copy job ([`Migration`]) stepped in virtual time: big-bang, copy-and-switch
//!   and blue-green with change capture, over any [`Side`] (one [`CopyJob`] body for all of
//!   them); [`report`]: its JSON report.
//! - [`side`]: what the job needs from the two stores. [`to_docs`] (SQL -> documents, on
//!   [`source`]: typed rows with key and foreign-key lookups, tombstoned deletes and the
//!   fan-out walk from a changed row to every document embedding it) and [`to_rows`]
//!   (documents -> SQL), and the same-store copies: [`docs_to_docs`] (documents upgraded to
//!   another `schema_version` by the collection's migration chain) and [`sql_to_sql`] (rows
//!   transformed by the SQL store running the up script).
//! - [`workload`]: the application's seeded writes and the change log (positions, images).
//! - [`fault`]: injected failures as data, each with its reaction.
//! - [`app`]: application versions v1 / v2 in expand / contract, the compatibility adapter,
//!   the dropped-unknown-field trap and deprecation warnings.
//! - [`cache`]: the read-through cache the application reads through while a copy job runs
//!   (TTL, invalidation policies, old-shape reads after the schema changes, failures).
//! - [`in_place`]: `ALTER` on the live SQL store under the store's locks; [`lazy`]: documents
//!   upgraded on read and write; [`expand`]: expand / contract with two application versions.
//! - [`spec`]: the scenario's `migration` section and [`run`].

pub mod app;
pub mod cache;
pub mod config;
pub mod docs_to_docs;
pub mod expand;
pub mod fault;
pub mod in_place;
pub mod job;
pub mod lazy;
pub mod phase;
pub mod report;
pub mod side;
pub mod source;
pub mod spec;
pub mod sql_to_sql;
pub mod to_docs;
pub mod to_rows;
pub mod workload;

pub use app::{AppReport, AppSettings, V1Writes};
pub use cache::{CacheFailure, CacheReport, CacheSettings, Invalidation};
pub use config::{
    CdcApply, ConfigError, CostModel, Direction, MigrationConfig, PostponeCutover, RollbackMode,
    Strategy, SyncMode, ValidationLevel,
};
pub use docs_to_docs::DocsToDocs;
pub use expand::ExpandSettings;
pub use fault::{Fault, FaultPlan};
pub use in_place::{InPlaceChange, LockWindow};
pub use job::{CopyJob, Migration, Out, OutKind, Routing};
pub use lazy::{LazySettings, VersionSample};
pub use phase::{next, ErrorKind, IllegalTransition, Phase, Progress, RecordError, TableProgress};
pub use report::MigrationReport;
pub use side::{Side, SideOps, SnapUnit, UnitKey};
pub use spec::{run, MappingSpec, MigrationSpec, SchemaChange};
pub use sql_to_sql::SqlToSql;
pub use to_docs::{Fresh, ToDocs, Verification};
pub use to_rows::{DocSource, ToRows, UnitRows};
pub use workload::{ChangeEvent, ChangeLog, Op, WriteWorkload};
