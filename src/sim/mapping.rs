//! SQL <-> document mapping: rules as data, value conversion with reported losses, mapping
//! suggestion from a data profile, and the verification primitives later stages call.
//!
//! - [`relational`]: table schemas and typed rows ([`Tables`]), read from or loaded into the
//!   SQL store.
//! - [`rules`]: the mapping rules in both directions ([`Mapping`], [`SqlToDocs`],
//!   [`DocsToSql`]), their validation, and the inverse of a SQL -> documents mapping.
//! - [`convert`]: value conversion and the [`ConversionReport`].
//! - [`to_docs`]: rows -> documents ([`DocMapper`]); [`to_sql`]: documents -> rows
//!   ([`RowMapper`]).
//! - [`checksum`]: order-independent content checksums computed through the mapping.
//! - [`verify`]: counts, seeded sample comparison, constraint validation of a target.
//! - [`profile`] and [`suggest`]: data profiles and the suggested mapping with reasons.
//! - [`cli`]: `migrascope map`.
//!
//! Everything is deterministic: ordered maps only, seeded sampling, no clock.

pub mod checksum;
pub mod cli;
pub mod convert;
pub mod profile;
pub mod relational;
pub mod rules;
pub mod suggest;
pub mod text;
pub mod to_docs;
pub mod to_sql;
pub mod verify;

pub use checksum::{checksum_docs, checksum_tables, Checksums, ContentChecksum};
pub use convert::{
    ConversionReport, ConvertOptions, NullMode, NumericMode, RecordError, Tally, TimestampMode,
};
pub use relational::{ColumnSchema, ForeignKey, TableData, TableSchema, Tables};
pub use rules::{
    CollectionMap, CollectionRule, ColumnRule, DocsToSql, Embed, EmbedKind, Mapping, MappingError,
    Reference, Shape, SqlToDocs, TableRule, TargetColumn, TargetTable,
};
pub use to_docs::{DocMapper, MappedCollection};
pub use to_sql::{RowMapper, RowSink};
