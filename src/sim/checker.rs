//! The consistency checker for replicated key-value histories, and the PBS staleness math.
//!
//! A [`History`] is plain data: operations with a session, a key, a read or write, invoke and
//! completion times in µs, an outcome (`Ok`, `Failed`, `Unknown`), the serving node and the
//! store's version metadata. [`check`] validates it and reports:
//!
//! - [`anomaly`]: stale reads, read-your-writes, monotonic reads and writes, lost updates and
//!   phantom reads, each a [`Finding`] naming the key and operations;
//! - [`linear`]: per-key linearizability by a Wing–Gong/Porcupine search with a state bound,
//!   and a witness (the smallest failing prefix's neighbourhood) for each violation;
//! - [`pbs`]: the PBS closed form for partial quorums and the measured t-visibility curve.
//!
//! [`order`] defines which value counts as older (store versions when present, else
//! real-time order). [`report`] gathers everything into a serializable [`CheckReport`].
//! Everything is deterministic and bounded; malformed input is a typed error, never a panic.

// Every public item documents its meaning and units (the report is read by people).
#![warn(missing_docs)]

pub mod anomaly;
pub mod history;
pub mod linear;
pub(crate) mod order;
pub mod pbs;
pub mod report;

pub use anomaly::{Finding, FindingKind};
pub use history::{
    History, HistoryBuilder, HistoryError, Op, OpKind, OpRef, Outcome, MAX_KEY_BYTES, MAX_OPS,
};
pub use linear::{check_key, Linearizability, Witness, DEFAULT_MAX_STATES};
pub use pbs::{
    k_staleness_probability, miss_fraction, miss_probability, t_visibility, PbsError,
    VisibilityBucket, DEFAULT_BUCKETS_US,
};
pub use report::{
    check, CheckError, CheckOptions, CheckReport, FindingCounts, LinearizabilityCounts,
};
