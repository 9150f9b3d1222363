//! In-place schema change on the live SQL store (same store, no copy): the `ALTER` steps run
//! in the data layer's SQL store, whose statement outcomes (lock taken, rows scanned, table
//! rewritten, indexes built) the cost model turns into lock windows. While a lock that blocks
//! writes is held, the application's writes wait (counted); an `ACCESS EXCLUSIVE` lock blocks
//! reads too. Before anything runs, the data layer's reversibility check says what the down
//! steps could not give back. A failing step stops the job: the store is restored from the
//! checkpoint, or the down steps run (revert scripts) when no checkpoint was taken.

use serde::{Deserialize, Serialize};

use super::config::{invalid, ConfigError, MigrationConfig};
use super::job::{PhaseSpan, WriteStats};
use super::phase::{ErrorKind, Phase, Progress, RecordError, TableProgress};
use super::report::{MigrationReport, PhaseVerification, SameStore};
use super::to_docs::Verification;
use crate::sim::mapping::checksum::checksum_tables;
use crate::sim::mapping::relational::Tables;
use crate::sim::mapping::verify::validate_tables;
use crate::sim::rng::SimRng;
use crate::sim::sql::evolution::check_sql_reversibility;
use crate::sim::sql::{LockKind, SqlStore, StatementOutcome};

/// Most steps in one in-place change.
pub const STEPS_MAX: usize = 100;

/// The schema change: up steps (SQL text) and the down steps that revert them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InPlaceChange {
    /// Statements run in order, e.g. `ALTER TABLE orders ALTER COLUMN note TYPE VARCHAR(40)`.
    pub up: Vec<String>,
    /// Statements that undo `up`, run in order on rollback without a checkpoint.
    pub down: Vec<String>,
}

/// One lock a step held.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LockWindow {
    /// Step number.
    pub step: usize,
    /// Table locked.
    pub table: Option<String>,
    /// The lock, as PostgreSQL names it.
    pub lock: String,
    /// Whether every row was rewritten.
    pub rewrite: bool,
    /// Rows read or rewritten.
    pub rows: u64,
    /// How long it was held, in ms.
    pub duration_ms: f64,
    /// Writes to the table wait while it is held.
    pub blocks_writes: bool,
    /// Reads wait too.
    pub blocks_reads: bool,
}

impl InPlaceChange {
    /// At least one up step, at most [`STEPS_MAX`] each way.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.up.is_empty() {
            return Err(invalid("in_place.up", "give at least one statement"));
        }
        super::config::check(
            "in_place.up (count)",
            self.up.len() as u64,
            1,
            STEPS_MAX as u64,
        )?;
        super::config::check(
            "in_place.down (count)",
            self.down.len() as u64,
            0,
            STEPS_MAX as u64,
        )
    }
}

/// Time a statement holds its lock, in µs, from what the store reports.
fn lock_us(o: &StatementOutcome, rows: u64, cfg: &MigrationConfig) -> u64 {
    let c = &cfg.cost;
    let per_row = if o.table_rewrite {
        c.read_row_us + c.write_row_us
    } else {
        c.read_row_us
    };
    let scanned = if o.table_rewrite {
        rows
    } else {
        o.rows_scanned
    };
    c.batch_overhead_us + scanned * per_row + u64::from(o.index_builds) * rows * c.index_row_us
}

/// Everything the run collects.
struct Run {
    now_us: u64,
    spans: Vec<PhaseSpan>,
    locks: Vec<LockWindow>,
    writes: WriteStats,
    progress: Progress,
    reason: Option<String>,
}

impl Run {
    fn enter(&mut self, p: Phase) {
        let ms = self.now_us as f64 / 1e3;
        if let Some(s) = self.spans.last_mut() {
            super::phase::next(s.phase, p).expect("in-place takes legal transitions");
            s.end_ms = ms;
        }
        self.spans.push(PhaseSpan {
            phase: p,
            start_ms: ms,
            end_ms: ms,
        });
    }
}

/// Run `change` on the store of `tables` with `cfg`; writes arrive at `writes_per_s`.
pub fn run(
    change: &InPlaceChange,
    cfg: &MigrationConfig,
    tables: &Tables,
    store: SqlStore,
    writes_per_s: u32,
    seed: u64,
) -> Result<MigrationReport, ConfigError> {
    change.validate()?;
    cfg.validate()?;
    let before = checksum_tables(tables, None).total();
    let mut store = store;
    let checkpoint = cfg.checkpoint_before.then(|| store.clone());
    let findings: Vec<String> = check_sql_reversibility(&store, &change.up, &change.down)
        .iter()
        .map(|f| f.to_string())
        .collect();
    let mut run = Run {
        now_us: 0,
        spans: Vec::new(),
        locks: Vec::new(),
        writes: WriteStats::default(),
        progress: Progress::default(),
        reason: None,
    };
    run.enter(Phase::Validation);
    run.now_us += 1_000
        + if cfg.checkpoint_before {
            tables.row_count() as u64 * cfg.cost.read_row_us
        } else {
            0
        };
    run.enter(Phase::SchemaPreparation);
    let mut rng = SimRng::substream(seed, "migrate/in_place");
    let ok = run_steps(&mut run, &mut store, change, cfg, writes_per_s, &mut rng);
    let mut verifications = Vec::new();
    if ok {
        run.enter(Phase::Verification);
        let v = verify_store(&store, tables);
        run.now_us += tables.row_count() as u64 * cfg.cost.verify_row_us;
        let passed = v.passed;
        verifications.push(PhaseVerification {
            phase: Phase::Verification,
            result: v,
        });
        if passed {
            run.enter(Phase::Cleanup);
            run.now_us += cfg.cost.schema_us / 2;
            run.enter(Phase::Complete);
        } else {
            run.reason = Some("verification failed".into());
        }
    }
    if run.reason.is_some() {
        rollback(&mut run, &mut store, checkpoint, change, cfg);
    }
    Ok(report(run, seed, &store, before, verifications, findings))
}

/// Run the up steps, each under its lock; false when one failed.
fn run_steps(
    run: &mut Run,
    store: &mut SqlStore,
    change: &InPlaceChange,
    cfg: &MigrationConfig,
    writes_per_s: u32,
    rng: &mut SimRng,
) -> bool {
    for (i, step) in change.up.iter().enumerate() {
        let rows_before: u64 = store.tables().map(|t| t.row_count() as u64).sum();
        match store.execute(step) {
            Ok(outcomes) => {
                for o in outcomes {
                    let rows = o
                        .table
                        .as_deref()
                        .and_then(|t| store.table(t))
                        .map_or(rows_before, |t| t.row_count() as u64);
                    let us = lock_us(&o, rows, cfg);
                    let blocks_writes = o.lock >= LockKind::Share;
                    if blocks_writes {
                        let blocked = arrivals(rng, writes_per_s, us);
                        run.writes.rejected += blocked;
                    }
                    let p = run
                        .progress
                        .tables
                        .entry(o.table.clone().unwrap_or_default());
                    let t: &mut TableProgress = p.or_default();
                    t.total += rows;
                    t.processed += rows;
                    t.succeeded += rows;
                    run.locks.push(LockWindow {
                        step: i,
                        table: o.table.clone(),
                        lock: format!("{:?}", o.lock),
                        rewrite: o.table_rewrite,
                        rows,
                        duration_ms: us as f64 / 1e3,
                        blocks_writes,
                        blocks_reads: o.lock == LockKind::AccessExclusive,
                    });
                    run.now_us += us;
                }
            }
            Err(e) => {
                run.progress.error(RecordError {
                    table: "-".into(),
                    key: format!("step {i}"),
                    kind: ErrorKind::Constraint,
                    message: e.to_string(),
                    retries: 0,
                });
                run.reason = Some(format!("step {i} failed: {e}"));
                return false;
            }
        }
    }
    true
}

/// Writes arriving in `us` µs at `per_s` (Poisson, seeded).
fn arrivals(rng: &mut SimRng, per_s: u32, us: u64) -> u64 {
    if per_s == 0 {
        return 0;
    }
    let mean = 1e6 / f64::from(per_s);
    let (mut t, mut n) = (rng.exponential(mean), 0u64);
    while t < us as f64 && n < 10_000_000 {
        n += 1;
        t += rng.exponential(mean);
    }
    n
}

/// Counts per table unchanged, and the store's constraints hold.
fn verify_store(store: &SqlStore, before: &Tables) -> Verification {
    let after = Tables::from_store(store);
    let mut v = Verification::default();
    for t in before.iter() {
        v.expected_counts
            .insert(t.schema.name.clone(), t.rows.len() as u64);
    }
    for t in after.iter() {
        v.actual_counts
            .insert(t.schema.name.clone(), t.rows.len() as u64);
    }
    v.compared = after.row_count() as u64;
    v.violations = validate_tables(&after).violations_total;
    v.passed = v.expected_counts == v.actual_counts && v.violations == 0;
    v
}

fn rollback(
    run: &mut Run,
    store: &mut SqlStore,
    checkpoint: Option<SqlStore>,
    change: &InPlaceChange,
    cfg: &MigrationConfig,
) {
    if !cfg.rollback_enabled {
        run.enter(Phase::Failed);
        return;
    }
    run.enter(Phase::Rollback);
    let rows: u64 = store.tables().map(|t| t.row_count() as u64).sum();
    match checkpoint {
        Some(cp) => {
            *store = cp;
            run.now_us += rows * cfg.cost.write_row_us;
        }
        None => {
            for step in &change.down {
                if let Err(e) = store.execute(step) {
                    run.reason = Some(format!(
                        "{}; down step failed: {e}",
                        run.reason.take().unwrap_or_default()
                    ));
                    break;
                }
                run.now_us += cfg.cost.batch_overhead_us + rows * cfg.cost.read_row_us;
            }
        }
    }
    run.enter(Phase::Failed);
}

fn report(
    run: Run,
    seed: u64,
    store: &SqlStore,
    before: crate::sim::mapping::ContentChecksum,
    verifications: Vec<PhaseVerification>,
    findings: Vec<String>,
) -> MigrationReport {
    let after = checksum_tables(&Tables::from_store(store), None).total();
    let rolled_back = run.spans.iter().any(|s| s.phase == Phase::Rollback);
    let blocking = run.locks.iter().filter(|l| l.blocks_writes);
    let downtime_ms = blocking.map(|l| l.duration_ms).sum();
    let mut r = MigrationReport::same_store(SameStore {
        strategy: "in_place",
        seed,
        spans: run.spans,
        progress: run.progress,
        total_ms: run.now_us as f64 / 1e3,
        verifications,
        writes: run.writes,
        reason: run.reason,
    });
    r.downtime_ms = downtime_ms;
    r.source_checksum_before = before.text();
    r.source_checksum_after = after.text();
    r.source_restored = rolled_back.then_some(before == after);
    r.locks = run.locks;
    r.reversibility = findings;
    r
}
