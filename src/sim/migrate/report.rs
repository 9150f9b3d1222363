//! The report of a migration run: phases and timings, downtime, progress and errors,
//! verifications, the change stream, the application's writes, and whether a rollback gave
//! the source back (its checksum against the checkpoint's).

use serde::Serialize;
use std::collections::BTreeMap;

use super::config::{MigrationConfig, RollbackMode};
use super::job::{CdcStats, Continuous, CopyJob, PhaseSpan, Routing, WriteStats};
use super::phase::{Phase, Progress, RecordError, TableProgress};
use super::to_docs::Verification;
use crate::sim::mapping::ContentChecksum;
use crate::sim::time::SimTime;

/// Everything about one run, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MigrationReport {
    /// `big_bang`, `copy_and_switch`, `blue_green`.
    pub strategy: String,
    /// `sql_to_docs` or `docs_to_sql`.
    pub direction: String,
    /// The seed.
    pub seed: u64,
    /// `complete`, `rolled_back` or `failed`.
    pub outcome: String,
    /// Why it stopped, when it did.
    pub reason: Option<String>,
    /// The last phase.
    pub phase: Phase,
    /// Where the application is routed at the end.
    pub routing: Routing,
    /// Each phase's span, in order.
    pub phases: Vec<PhaseSpan>,
    /// Simulated time of the whole run, in ms.
    pub total_ms: f64,
    /// Time the application could not write (writes stopped or source read-only), in ms.
    pub downtime_ms: f64,
    /// The cut-over phase's length, in ms.
    pub cutover_ms: f64,
    /// Records per collection or table, and all together.
    pub progress: BTreeMap<String, TableProgress>,
    /// All records together.
    pub records: TableProgress,
    /// Records copied per simulated second.
    pub records_per_s: f64,
    /// Per-record errors (the first 1 000) and their total.
    pub errors: Vec<RecordError>,
    /// All record errors.
    pub errors_total: u64,
    /// Batch retries.
    pub retries: u64,
    /// Worker crashes.
    pub worker_crashes: u64,
    /// Verifications, with the phase each ran in.
    pub verifications: Vec<PhaseVerification>,
    /// The last verification passed.
    pub verified: bool,
    /// Continuous verification while changes were applied.
    pub continuous: Continuous,
    /// The change stream.
    pub cdc: CdcStats,
    /// The application's writes.
    pub writes: WriteStats,
    /// Source checksum (tables the mapping reads) before the migration.
    pub source_checksum_before: String,
    /// Source checksum at the end.
    pub source_checksum_after: String,
    /// After a rollback that restored the checkpoint: the source equals it again.
    pub source_restored: Option<bool>,
    /// In-place changes: every lock a step held.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<super::in_place::LockWindow>,
    /// In-place changes: what the down steps could not give back (the data layer's
    /// reversibility check, run before the change).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reversibility: Vec<String>,
    /// Lazy migrations: stored documents per `schema_version` over time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions_over_time: Vec<super::lazy::VersionSample>,
    /// Lazy migrations: documents read (at the target version).
    #[serde(skip_serializing_if = "is_zero")]
    pub reads: u64,
    /// Lazy migrations: reads that upgraded a stored older document on the fly.
    #[serde(skip_serializing_if = "is_zero")]
    pub reads_upgraded: u64,
    /// Application versions (expand / contract): writes per version, the adapter, fields
    /// v1 dropped, deprecation warnings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<super::app::AppReport>,
    /// The read-through cache, when the application read through one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<super::cache::CacheReport>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a same-store change (in place, lazy, expand / contract) reports; the copy job's
/// fields (change stream, continuous verification, checksums) stay empty unless set after.
pub(crate) struct SameStore {
    pub strategy: &'static str,
    pub seed: u64,
    pub spans: Vec<PhaseSpan>,
    pub progress: Progress,
    pub total_ms: f64,
    pub verifications: Vec<PhaseVerification>,
    pub writes: WriteStats,
    pub reason: Option<String>,
}

impl MigrationReport {
    pub(crate) fn same_store(x: SameStore) -> MigrationReport {
        let last = x.spans.last().map_or(Phase::Failed, |s| s.phase);
        let rolled_back = x.spans.iter().any(|s| s.phase == Phase::Rollback);
        let processed = x.progress.total().processed as f64;
        MigrationReport {
            strategy: x.strategy.into(),
            direction: "same_store".into(),
            seed: x.seed,
            outcome: match last {
                Phase::Complete => "complete",
                _ if rolled_back => "rolled_back",
                _ => "failed",
            }
            .into(),
            reason: x.reason,
            phase: last,
            routing: Routing::Source,
            phases: x.spans,
            total_ms: x.total_ms,
            downtime_ms: 0.0,
            cutover_ms: 0.0,
            records: x.progress.total(),
            records_per_s: processed / (x.total_ms / 1e3).max(1e-9),
            progress: x.progress.tables.clone(),
            errors: x.progress.errors.clone(),
            errors_total: x.progress.errors_total,
            retries: 0,
            worker_crashes: 0,
            verified: x.verifications.last().is_some_and(|v| v.result.passed),
            verifications: x.verifications,
            continuous: Continuous::default(),
            cdc: CdcStats::default(),
            writes: x.writes,
            source_checksum_before: String::new(),
            source_checksum_after: String::new(),
            source_restored: None,
            locks: Vec::new(),
            reversibility: Vec::new(),
            versions_over_time: Vec::new(),
            reads: 0,
            reads_upgraded: 0,
            app: None,
            cache: None,
        }
    }
}

/// One verification and the phase it ran in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseVerification {
    /// The phase.
    pub phase: Phase,
    /// What it found.
    #[serde(flatten)]
    pub result: Verification,
}

/// What [`build`] reads from a job.
pub(crate) struct Parts<'a> {
    pub cfg: &'a MigrationConfig,
    pub seed: u64,
    pub side: &'a mut dyn super::side::SideOps,
    pub phase: Phase,
    pub reason: Option<String>,
    pub spans: &'a [PhaseSpan],
    pub progress: &'a Progress,
    pub verifications: &'a [(Phase, Verification)],
    pub continuous: &'a Continuous,
    pub cdc: &'a CdcStats,
    pub writes: &'a WriteStats,
    pub ro: (Option<SimTime>, Option<SimTime>),
    pub checkpoint: Option<ContentChecksum>,
    pub source_before: ContentChecksum,
    pub retries: u64,
    pub crashes: u64,
    pub routing: Routing,
    pub cache: Option<super::cache::CacheReport>,
    pub reversibility: &'a [String],
}

/// The report of `job` as it stands.
pub fn build(job: &mut CopyJob) -> MigrationReport {
    let now = job.now();
    let p = job.parts();
    let rolled_back = p.spans.iter().any(|s| s.phase == Phase::Rollback);
    let outcome = match p.phase {
        Phase::Complete => "complete",
        Phase::Failed if rolled_back => "rolled_back",
        Phase::Failed => "failed",
        _ => "running",
    };
    let downtime_ms = match p.ro {
        (Some(a), Some(b)) => ms(b) - ms(a),
        (Some(a), None) => ms(now) - ms(a),
        _ => 0.0,
    };
    let cutover_ms = p
        .spans
        .iter()
        .filter(|s| s.phase == Phase::Cutover)
        .map(|s| s.end_ms - s.start_ms)
        .sum();
    let after = p.side.source_checksum();
    let restored = (rolled_back && p.cfg.rollback == RollbackMode::RestoreCheckpoint)
        .then(|| p.checkpoint == Some(after) && p.source_before == after);
    MigrationReport {
        strategy: p.cfg.strategy.name().into(),
        direction: p.cfg.direction.name().into(),
        seed: p.seed,
        outcome: outcome.into(),
        reason: p.reason,
        phase: p.phase,
        routing: p.routing,
        phases: p.spans.to_vec(),
        total_ms: ms(now),
        downtime_ms,
        cutover_ms,
        progress: p.progress.tables.clone(),
        records: p.progress.total(),
        records_per_s: p.progress.records_per_s(now),
        errors: p.progress.errors.clone(),
        errors_total: p.progress.errors_total,
        retries: p.retries,
        worker_crashes: p.crashes,
        verified: p.verifications.last().is_some_and(|v| v.1.passed),
        verifications: p
            .verifications
            .iter()
            .map(|(phase, v)| PhaseVerification {
                phase: *phase,
                result: v.clone(),
            })
            .collect(),
        continuous: p.continuous.clone(),
        cdc: p.cdc.clone(),
        writes: p.writes.clone(),
        source_checksum_before: p.source_before.text(),
        source_checksum_after: after.text(),
        source_restored: restored,
        locks: Vec::new(),
        reversibility: p.reversibility.to_vec(),
        versions_over_time: Vec::new(),
        reads: 0,
        reads_upgraded: 0,
        app: None,
        cache: p.cache,
    }
}

fn ms(t: SimTime) -> f64 {
    t.as_us() as f64 / 1e3
}
