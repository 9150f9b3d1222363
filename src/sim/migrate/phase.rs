//! The phase state machine of a migration job, with the legal transitions only, and the
//! per-table progress, rates and the bounded per-record error list a status view shows.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

use crate::sim::time::{SimDuration, SimTime};

/// Record errors kept per job; later ones are only counted.
pub const RECORD_ERRORS_MAX: usize = 1_000;

/// Where a migration job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Configuration and mapping checked, checkpoint taken.
    Validation,
    /// Target schema created (tables or collections, indexes); a blue-green change capture
    /// starts here (blue-green "Preparation").
    SchemaPreparation,
    /// A consistent snapshot of the source is taken.
    Extraction,
    /// The mapping is planned against the snapshot (lookup indexes built).
    Transformation,
    /// Workers copy the snapshot in batches (blue-green "Replication").
    Loading,
    /// Relationships are checked or created on the target (foreign keys, references).
    RelationshipMigration,
    /// The copy is verified; blue-green applies changes meanwhile ("Sync").
    Verification,
    /// Writes stop, the backlog drains, routing switches.
    Cutover,
    /// Capture stopped, temporary state dropped.
    Cleanup,
    /// Done: the application runs on the target.
    Complete,
    /// Undoing the migration.
    Rollback,
    /// Stopped; after a rollback the application runs on the source.
    Failed,
}

/// A transition the state machine does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalTransition {
    /// The phase left.
    pub from: Phase,
    /// The phase asked for.
    pub to: Phase,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a migration cannot go from {} to {}",
            self.from.name(),
            self.to.name()
        )
    }
}

impl std::error::Error for IllegalTransition {}

impl Phase {
    /// Every phase, in the normal order.
    pub const ALL: [Phase; 12] = [
        Phase::Validation,
        Phase::SchemaPreparation,
        Phase::Extraction,
        Phase::Transformation,
        Phase::Loading,
        Phase::RelationshipMigration,
        Phase::Verification,
        Phase::Cutover,
        Phase::Cleanup,
        Phase::Complete,
        Phase::Rollback,
        Phase::Failed,
    ];

    /// Snake-case name, as in reports.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Validation => "validation",
            Phase::SchemaPreparation => "schema_preparation",
            Phase::Extraction => "extraction",
            Phase::Transformation => "transformation",
            Phase::Loading => "loading",
            Phase::RelationshipMigration => "relationship_migration",
            Phase::Verification => "verification",
            Phase::Cutover => "cutover",
            Phase::Cleanup => "cleanup",
            Phase::Complete => "complete",
            Phase::Rollback => "rollback",
            Phase::Failed => "failed",
        }
    }

    /// No transition leaves it.
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Complete | Phase::Failed)
    }

    /// The blue-green state this phase belongs to.
    pub fn blue_green_state(self) -> &'static str {
        match self {
            Phase::Validation | Phase::SchemaPreparation => "preparation",
            Phase::Extraction
            | Phase::Transformation
            | Phase::Loading
            | Phase::RelationshipMigration => "replication",
            Phase::Verification => "sync",
            Phase::Cutover => "cutover",
            Phase::Cleanup | Phase::Complete => "cleanup",
            Phase::Rollback | Phase::Failed => "rolled_back",
        }
    }
}

/// Whether `from -> to` is legal. The forward path is fixed; an in-place change has no copy
/// (SchemaPreparation -> Verification); a copy-and-switch switches first
/// and verifies after its cut-over (RelationshipMigration -> Cutover -> Verification ->
/// Cleanup); any working phase may stop (Rollback or
/// Failed); a rollback ends Failed.
pub fn next(from: Phase, to: Phase) -> Result<Phase, IllegalTransition> {
    use Phase::*;
    let working = !matches!(from, Complete | Failed | Rollback | Cleanup);
    let ok = match (from, to) {
        (Validation, SchemaPreparation)
        | (SchemaPreparation, Verification)
        | (SchemaPreparation, Extraction)
        | (Extraction, Transformation)
        | (Transformation, Loading)
        | (Loading, RelationshipMigration)
        | (RelationshipMigration, Verification)
        | (RelationshipMigration, Cutover)
        | (Verification, Cutover)
        | (Cutover, Verification)
        | (Verification, Cleanup)
        | (Cutover, Cleanup)
        | (Cleanup, Complete)
        | (Rollback, Failed)
        | (Cleanup, Failed) => true,
        // Nothing exists to undo before the validation passed.
        (Validation, Rollback) => false,
        (_, Rollback | Failed) => working,
        _ => false,
    };
    if ok {
        Ok(to)
    } else {
        Err(IllegalTransition { from, to })
    }
}

/// What kind of error a record hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A value does not convert to the target type.
    Conversion,
    /// The batch holding the record timed out.
    Timeout,
    /// The worker holding the record crashed.
    WorkerCrash,
    /// The target refused the record (a constraint).
    Constraint,
}

/// One record that failed, or was retried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// Source table or collection.
    pub table: String,
    /// The record's key, as text.
    pub key: String,
    /// What went wrong.
    pub kind: ErrorKind,
    /// In words.
    pub message: String,
    /// Retries spent on it.
    pub retries: u32,
}

/// Progress of one source table or collection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TableProgress {
    /// Records in the snapshot.
    pub total: u64,
    /// Records processed (succeeded or failed).
    pub processed: u64,
    /// Records loaded into the target.
    pub succeeded: u64,
    /// Records that failed.
    pub failed: u64,
}

/// Progress of the whole job.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Progress {
    /// Per source table or collection.
    pub tables: BTreeMap<String, TableProgress>,
    /// Per-record errors, the first [`RECORD_ERRORS_MAX`].
    pub errors: Vec<RecordError>,
    /// All record errors, kept or not.
    pub errors_total: u64,
    /// When the copy started.
    pub copy_started: Option<SimTime>,
}

impl Progress {
    /// All tables together.
    pub fn total(&self) -> TableProgress {
        let mut t = TableProgress::default();
        for p in self.tables.values() {
            t.total += p.total;
            t.processed += p.processed;
            t.succeeded += p.succeeded;
            t.failed += p.failed;
        }
        t
    }

    /// Keep an error (bounded) and count it.
    pub fn error(&mut self, e: RecordError) {
        self.errors_total += 1;
        if self.errors.len() < RECORD_ERRORS_MAX {
            self.errors.push(e);
        }
    }

    /// Records processed per simulated second since the copy started.
    pub fn records_per_s(&self, now: SimTime) -> f64 {
        let Some(start) = self.copy_started else {
            return 0.0;
        };
        let s = now.since(start).as_secs_f64();
        if s <= 0.0 {
            0.0
        } else {
            self.total().processed as f64 / s
        }
    }

    /// Time left at the current rate; `None` before any progress.
    pub fn eta(&self, now: SimTime) -> Option<SimDuration> {
        let t = self.total();
        let rate = self.records_per_s(now);
        if rate <= 0.0 {
            return None;
        }
        let left = t.total.saturating_sub(t.processed) as f64;
        Some(SimDuration::from_us((left / rate * 1e6) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forward_path_is_legal_and_skips_are_not() {
        let path = [
            Phase::Validation,
            Phase::SchemaPreparation,
            Phase::Extraction,
            Phase::Transformation,
            Phase::Loading,
            Phase::RelationshipMigration,
            Phase::Verification,
            Phase::Cutover,
            Phase::Cleanup,
            Phase::Complete,
        ];
        for w in path.windows(2) {
            assert_eq!(next(w[0], w[1]), Ok(w[1]));
        }
        // Every pair not on the list is refused, with a message naming both.
        let legal: usize = Phase::ALL
            .iter()
            .flat_map(|a| Phase::ALL.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| next(*a, *b).is_ok())
            .count();
        // 15 listed edges, plus Rollback or Failed from the 8 working phases (Validation to
        // Cutover) except Validation -> Rollback.
        assert_eq!(legal, 15 + 8 * 2 - 1);
        let e = next(Phase::Loading, Phase::Cutover).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a migration cannot go from loading to cutover"
        );
        assert!(next(Phase::Complete, Phase::Rollback).is_err());
        assert!(next(Phase::Failed, Phase::Validation).is_err());
        assert!(next(Phase::Rollback, Phase::Complete).is_err());
        assert!(next(Phase::Validation, Phase::Rollback).is_err());
        assert!(next(Phase::Validation, Phase::Failed).is_ok());
        assert!(next(Phase::Cutover, Phase::Rollback).is_ok());
        assert!(next(Phase::Loading, Phase::Loading).is_err());
        for p in Phase::ALL {
            assert_eq!(
                p.is_terminal(),
                next(p, Phase::Failed).is_err() && p != Phase::Rollback
            );
        }
    }

    #[test]
    fn progress_rates_eta_and_bounded_errors() {
        let mut p = Progress::default();
        assert_eq!(p.eta(SimTime::from_ms(5)), None);
        p.copy_started = Some(SimTime::from_ms(1_000));
        p.tables.insert(
            "a".into(),
            TableProgress {
                total: 300,
                processed: 100,
                succeeded: 99,
                failed: 1,
            },
        );
        let now = SimTime::from_ms(3_000);
        assert_eq!(p.records_per_s(now), 50.0);
        assert_eq!(p.eta(now), Some(SimDuration::from_secs(4)));
        for i in 0..RECORD_ERRORS_MAX + 5 {
            p.error(RecordError {
                table: "a".into(),
                key: i.to_string(),
                kind: ErrorKind::Conversion,
                message: "x".into(),
                retries: 0,
            });
        }
        assert_eq!(p.errors.len(), RECORD_ERRORS_MAX);
        assert_eq!(p.errors_total, RECORD_ERRORS_MAX as u64 + 5);
    }
}
