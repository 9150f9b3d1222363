//! The model: pure Rust, deterministic, with no browser crate anywhere below this module.
//! Virtual time only; one seed with named sub-streams; ordered collections wherever order can
//! reach an event; a node changes only its own state and pushes everything else (sends, timers,
//! log lines) into one buffer the engine applies.

pub mod checker;
pub mod command;
pub mod engine;
pub mod hash;
pub mod kind_first;
pub mod metrics;
pub mod net;
pub mod queue;
pub mod repl;
pub mod rng;
pub mod scenario;
pub mod sort;
pub mod time;
pub mod timeline;

pub use command::{Command, NodeId, TimedCommand};
pub use engine::{Advance, LogEntry, LogKind, Simulation};
pub use scenario::{Scenario, ScenarioError};
pub use time::{SimDuration, SimTime};

// The data layer (SQL table store, document store); see each module's docs.
pub mod doc;
pub mod sql;

pub mod dataset;
pub mod mapping;
pub mod migrate;
