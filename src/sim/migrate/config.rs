//! What a migration is asked to do: strategy, direction, batch and worker settings, how much
//! to verify, what to do when things fail, and the cost model that turns work into virtual
//! time. Plain serde data; [`MigrationConfig::validate`] names the field and the allowed range.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest batch, in rows (source units are never split, so a batch may hold a few more).
pub const BATCH_ROWS_MAX: u64 = 1_000_000;
/// Most parallel workers.
pub const WORKERS_MAX: u32 = 64;
/// Most retries of one batch.
pub const RETRIES_MAX: u32 = 100;
/// Longest batch timeout, in ms (one hour).
pub const BATCH_TIMEOUT_MS_MAX: u64 = 3_600_000;
/// Largest lag threshold, in ms (one hour).
pub const LAG_MS_MAX: u64 = 3_600_000;
/// Largest per-row or per-event cost, in µs.
pub const COST_US_MAX: u64 = 10_000_000;

/// How the data moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Stop writes, copy and transform everything, verify, switch. Downtime = the whole run.
    BigBang,
    /// Copy a snapshot while the application keeps writing to the source, then switch.
    /// Writes after the snapshot are lost unless `catch_up` replays them.
    CopyAndSwitch,
    /// Snapshot plus change data capture into a second (green) store; cut over when in sync.
    BlueGreen,
    /// Schema change on the live SQL store (`ALTER TABLE`), under the locks the store's cost
    /// model reports; no copy.
    InPlace,
    /// Documents upgrade to the latest `schema_version` when read or written (the built-in
    /// `users` collection); an optional background sweep.
    LazyOnRead,
    /// Two schema versions live at once (`users`: `email` -> `contact.email`), backfill in
    /// batches, two application versions side by side, then contract.
    ExpandContract,
}

impl Strategy {
    /// The strategies the copy job ([`super::Migration`]) runs, in both directions.
    pub const ALL: [Strategy; 3] = [
        Strategy::BigBang,
        Strategy::CopyAndSwitch,
        Strategy::BlueGreen,
    ];

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::BigBang => "big_bang",
            Strategy::CopyAndSwitch => "copy_and_switch",
            Strategy::BlueGreen => "blue_green",
            Strategy::InPlace => "in_place",
            Strategy::LazyOnRead => "lazy_on_read",
            Strategy::ExpandContract => "expand_contract",
        }
    }
}

/// Which way the data moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// SQL tables into document collections.
    SqlToDocs,
    /// Document collections into SQL tables.
    DocsToSql,
    /// A schema change inside the document store: each document copied into a second
    /// collection, upgraded to the target `schema_version` by the collection's migration
    /// chain (`schema_change.source_version`, `schema_change.target_version`).
    DocsToDocs,
    /// A schema change inside the SQL store: each table's rows copied into tables of the
    /// shape `schema_change.up_script` gives, transformed by the SQL store running that script.
    SqlToSql,
}

impl Direction {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Direction::SqlToDocs => "sql_to_docs",
            Direction::DocsToSql => "docs_to_sql",
            Direction::DocsToDocs => "docs_to_docs",
            Direction::SqlToSql => "sql_to_sql",
        }
    }

    /// Whether the data stays in the same kind of store (a copy-based schema change).
    pub fn is_same_store(self) -> bool {
        matches!(self, Direction::DocsToDocs | Direction::SqlToSql)
    }
}

/// How much the verification at the end of each phase checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidationLevel {
    /// Nothing (the report says so).
    None,
    /// Record counts per table or collection.
    Counts,
    /// Counts, content checksums through the mapping, a seeded sample compare and
    /// constraint validation of the target.
    Checksums,
    /// Everything in `Checksums`, plus every record compared with the mapped source.
    FullCompare,
}

/// How blue-green keeps the target in sync with the source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum SyncMode {
    /// A change log (CDC events with positions), applied by polls of the applier.
    #[default]
    ChangeLog,
    /// Triggers on the source apply each change to the target in the writing transaction:
    /// no lag and no backlog, every source write pays for the target write too.
    Triggers,
    /// A poller reads the rows changed since its last poll every `interval_ms`: it sees each
    /// changed row's latest state only (intermediate states are missed), and a deleted row
    /// leaves nothing to read unless deletes are soft (`soft_delete`: a marker row).
    Polling {
        /// Interval between polls, in ms (1 ..= 3 600 000).
        interval_ms: u64,
        /// Deletes are soft (visible to the poller as a changed row).
        soft_delete: bool,
    },
}

/// When a cut-over may start; it is postponed while the condition does not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "until")]
pub enum PostponeCutover {
    /// Cut over as soon as the copy is verified.
    Never,
    /// Wait until the change backlog holds at most `events` events.
    BacklogAtMost {
        /// Largest backlog allowed, in events.
        events: u64,
    },
    /// Wait until the replication lag is at most `ms` milliseconds.
    LagAtMost {
        /// Largest lag allowed, in ms.
        ms: u64,
    },
}

/// How the change-data-capture applier behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CdcApply {
    /// De-duplicates by position, upserts, and updates every document that embeds a row.
    Correct,
    /// The classic bugs: no position check (snapshot overlap and re-deliveries are applied
    /// again), inserts pushed into arrays, and a change reaches only the first document that
    /// embeds the row.
    Naive,
}

/// What a rollback does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackMode {
    /// Restore the source from the checkpoint taken before the migration (writes made since
    /// are lost, and the report counts them); drop the target.
    RestoreCheckpoint,
    /// Keep the source as it is (it stayed authoritative) and drop the target.
    DropTarget,
    /// Run the down steps one by one, each listed in the report: stop the change capture,
    /// route the application back to the source, drop each target collection or table. The
    /// source keeps every write (after a blue-green cut-over: the writes made on the target
    /// only with `bidirectional`).
    DownSteps,
    /// Revert the schema only: route back and drop the target's schema objects' definitions
    /// (collections or tables and their indexes) without a data restore on either side; the
    /// target's data is dropped with them and the source keeps every write it has.
    SchemaOnly,
}

/// Virtual-time costs of the work, so a batch or a phase takes a time proportional to the
/// rows it touches. Rows are logical rows (a document counts the rows it embeds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostModel {
    /// Reading one source row, in µs. Default 2.
    pub read_row_us: u64,
    /// Transforming one row through the mapping, in µs. Default 3.
    pub transform_row_us: u64,
    /// Writing one row into the target, in µs. Default 5.
    pub write_row_us: u64,
    /// Fixed cost of one batch (round trips, commit), in µs. Default 2 000.
    pub batch_overhead_us: u64,
    /// Creating the target schema (tables or collections, indexes), in µs. Default 200 000.
    pub schema_us: u64,
    /// Building lookup indexes for the transformation, per source row, in µs. Default 1.
    pub index_row_us: u64,
    /// Checking one row during verification, in µs. Default 1.
    pub verify_row_us: u64,
    /// Applying one change event (on top of the rows it rewrites), in µs. Default 50.
    pub cdc_event_us: u64,
    /// Interval of the change applier's polls, in µs. Default 100 000.
    pub cdc_poll_us: u64,
    /// Switching application routing (proxy or DNS), in µs. Default 200 000.
    pub routing_switch_us: u64,
    /// A crashed worker's restart, in µs. Default 1 000 000.
    pub worker_restart_us: u64,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel {
            read_row_us: 2,
            transform_row_us: 3,
            write_row_us: 5,
            batch_overhead_us: 2_000,
            schema_us: 200_000,
            index_row_us: 1,
            verify_row_us: 1,
            cdc_event_us: 50,
            cdc_poll_us: 100_000,
            routing_switch_us: 200_000,
            worker_restart_us: 1_000_000,
        }
    }
}

impl CostModel {
    /// Read, transform and write one row, in µs.
    pub fn row_us(&self) -> u64 {
        self.read_row_us + self.transform_row_us + self.write_row_us
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for (field, v) in [
            ("cost.read_row_us", self.read_row_us),
            ("cost.transform_row_us", self.transform_row_us),
            ("cost.write_row_us", self.write_row_us),
            ("cost.batch_overhead_us", self.batch_overhead_us),
            ("cost.schema_us", self.schema_us),
            ("cost.index_row_us", self.index_row_us),
            ("cost.verify_row_us", self.verify_row_us),
            ("cost.cdc_event_us", self.cdc_event_us),
            ("cost.routing_switch_us", self.routing_switch_us),
            ("cost.worker_restart_us", self.worker_restart_us),
        ] {
            check(field, v, 0, COST_US_MAX)?;
        }
        check("cost.cdc_poll_us", self.cdc_poll_us, 1_000, COST_US_MAX)
    }
}

/// Every setting of one migration job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MigrationConfig {
    /// Strategy. Default `blue_green`.
    pub strategy: Strategy,
    /// Direction. Default `sql_to_docs`.
    pub direction: Direction,
    /// Rows per batch (whole documents are never split). Default 1 000. Range 1 ..= 1 000 000.
    pub batch_rows: u64,
    /// Parallel workers copying batches. Default 4. Range 1 ..= 64.
    pub workers: u32,
    /// Retries of a batch that timed out or was lost with its worker, before the job stops.
    /// Default 3. Range 0 ..= 100.
    pub max_retries: u32,
    /// A batch that takes longer than this times out, in ms. Default 30 000.
    /// Range 1 ..= 3 600 000.
    pub batch_timeout_ms: u64,
    /// How much each verification checks. Default `checksums`.
    pub validation: ValidationLevel,
    /// Roll back when the job stops (retries exhausted, too many failed records, failed
    /// verification, failed cut-over); otherwise the job ends `Failed`. Default true.
    pub rollback_enabled: bool,
    /// What a rollback does. Default `restore_checkpoint`.
    pub rollback: RollbackMode,
    /// Take a checkpoint (backup) of the source before migrating. Default true. Required by
    /// `rollback: restore_checkpoint`.
    pub checkpoint_before: bool,
    /// Records that may fail conversion before the job stops, in records. Default 0.
    pub error_budget_records: u64,
    /// Throttle the copy (workers pause) while the change lag exceeds this, in ms; 0 turns
    /// throttling off. Default 5 000. Range 0 ..= 3 600 000.
    pub throttle_lag_ms: u64,
    /// When a cut-over may start. Default `{"until": "backlog_at_most", "events": 0}`.
    pub postpone_cutover: PostponeCutover,
    /// Blue-green: least time in sync (changes applied, continuous verification running)
    /// before a cut-over, in ms. Default 1 000. Range 0 ..= 3 600 000.
    pub sync_ms_min: u64,
    /// Blue-green: longest wait in sync for the cut-over condition before the job stops
    /// (rollback), in ms. Default 600 000. Range 1 000 ..= 86 400 000.
    pub cutover_wait_ms_max: u64,
    /// How the change applier behaves (blue-green). Default `correct`.
    pub cdc_apply: CdcApply,
    /// How blue-green syncs: `{"by": "change_log"}` (default), `{"by": "triggers"}`,
    /// `{"by": "polling", "interval_ms": N, "soft_delete": B}`.
    pub sync: SyncMode,
    /// Copy-and-switch only: replay the writes made during the copy (with writes stopped)
    /// before switching. Default false (they are lost, and verification names them).
    pub catch_up: bool,
    /// The application's error rate above which a cut-over is postponed and, while a
    /// blue-green job watches the target after its cut-over, the job rolls back, in percent.
    /// Default 5. Range 0 ..= 100.
    #[serde(skip_serializing_if = "is_five")]
    pub error_rate_max_pct: u32,
    /// Blue-green: how long the application runs on the target under watch after the
    /// cut-over (its writes go to the target, the error rate is checked) before cleanup; a
    /// rollback in this window routes it back to the source, in ms. Default 0 (no watch).
    /// Range 0 ..= 3 600 000.
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub watch_ms: u64,
    /// Blue-green: capture the application's writes on the target during the watch and apply
    /// them back to the source, so a rollback keeps them. Default false: a rollback after the
    /// cut-over loses them, and the report names each one.
    #[serde(skip_serializing_if = "is_false")]
    pub bidirectional: bool,
    /// Interval of the continuous verification while changes are applied, in ms. Default 500.
    /// Range 10 ..= 3 600 000.
    pub verify_interval_ms: u64,
    /// Records compared per continuous-verification pass. Default 2 000.
    /// Range 1 ..= 1 000 000.
    pub verify_records_per_pass: u64,
    /// Records in the seeded sample compare. Default 50. Range 0 ..= 100 000.
    pub sample_records: u64,
    /// Costs that turn work into virtual time.
    pub cost: CostModel,
}

impl Default for MigrationConfig {
    fn default() -> Self {
        MigrationConfig {
            strategy: Strategy::BlueGreen,
            direction: Direction::SqlToDocs,
            batch_rows: 1_000,
            workers: 4,
            max_retries: 3,
            batch_timeout_ms: 30_000,
            validation: ValidationLevel::Checksums,
            rollback_enabled: true,
            rollback: RollbackMode::RestoreCheckpoint,
            checkpoint_before: true,
            error_budget_records: 0,
            throttle_lag_ms: 5_000,
            postpone_cutover: PostponeCutover::BacklogAtMost { events: 0 },
            sync_ms_min: 1_000,
            cutover_wait_ms_max: 600_000,
            cdc_apply: CdcApply::Correct,
            sync: SyncMode::ChangeLog,
            catch_up: false,
            error_rate_max_pct: 5,
            watch_ms: 0,
            bidirectional: false,
            verify_interval_ms: 500,
            verify_records_per_pass: 2_000,
            sample_records: 50,
            cost: CostModel::default(),
        }
    }
}

impl MigrationConfig {
    /// The benchmark's job (`examples/bench_migrate.rs`, `bench_migrate` in the page):
    /// blue-green in batches of 10,000 rows on 4 workers, verified with checksums and a
    /// sample; no checkpoint (rollback drops the target).
    pub fn bench() -> MigrationConfig {
        MigrationConfig {
            strategy: Strategy::BlueGreen,
            batch_rows: 10_000,
            workers: 4,
            validation: ValidationLevel::Checksums,
            checkpoint_before: false,
            rollback: RollbackMode::DropTarget,
            ..MigrationConfig::default()
        }
    }
}

/// Why a configuration (or a migration request) was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A number outside its range.
    OutOfRange {
        /// The field, dotted (`cost.read_row_us`).
        field: &'static str,
        /// The value given.
        value: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// Settings that contradict each other, or a request the data cannot satisfy.
    Invalid {
        /// The field (or section) concerned.
        field: &'static str,
        /// What is wrong, in words.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::OutOfRange {
                field,
                value,
                min,
                max,
            } => write!(f, "{field} = {value} is out of range ({min} ..= {max})"),
            ConfigError::Invalid { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

// Defaults left out of the serialised config, so a spec written before these settings
// existed serialises (and hashes) as it did.
fn is_five(v: &u32) -> bool {
    *v == 5
}
fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}
fn is_false(v: &bool) -> bool {
    !*v
}

pub(crate) fn check(field: &'static str, v: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value: v,
            min,
            max,
        })
    }
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        reason: reason.into(),
    }
}

impl MigrationConfig {
    /// Check every range and every combination of settings.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check("batch_rows", self.batch_rows, 1, BATCH_ROWS_MAX)?;
        if let SyncMode::Polling { interval_ms, .. } = self.sync {
            check("sync.interval_ms", interval_ms, 1, 3_600_000)?;
        }
        if self.sync != SyncMode::ChangeLog && self.strategy != Strategy::BlueGreen {
            let why = format!(
                "is blue_green's setting, the strategy is {}",
                self.strategy.name()
            );
            return Err(invalid("sync", why));
        }
        self.check_direction()?;
        check("workers", self.workers.into(), 1, WORKERS_MAX.into())?;
        check(
            "max_retries",
            self.max_retries.into(),
            0,
            RETRIES_MAX.into(),
        )?;
        check(
            "batch_timeout_ms",
            self.batch_timeout_ms,
            1,
            BATCH_TIMEOUT_MS_MAX,
        )?;
        check("throttle_lag_ms", self.throttle_lag_ms, 0, LAG_MS_MAX)?;
        check("sync_ms_min", self.sync_ms_min, 0, LAG_MS_MAX)?;
        check(
            "cutover_wait_ms_max",
            self.cutover_wait_ms_max,
            1_000,
            86_400_000,
        )?;
        if self.sync_ms_min > self.cutover_wait_ms_max {
            return Err(invalid(
                "sync_ms_min",
                "longer than cutover_wait_ms_max: the cut-over could never start",
            ));
        }
        check(
            "verify_interval_ms",
            self.verify_interval_ms,
            10,
            LAG_MS_MAX,
        )?;
        check(
            "verify_records_per_pass",
            self.verify_records_per_pass,
            1,
            1_000_000,
        )?;
        check("sample_records", self.sample_records, 0, 100_000)?;
        match self.postpone_cutover {
            PostponeCutover::LagAtMost { ms } => check("postpone_cutover.ms", ms, 0, LAG_MS_MAX)?,
            PostponeCutover::BacklogAtMost { events } => {
                check("postpone_cutover.events", events, 0, 10_000_000)?
            }
            PostponeCutover::Never => {}
        }
        if self.rollback_enabled
            && self.rollback == RollbackMode::RestoreCheckpoint
            && !self.checkpoint_before
        {
            return Err(invalid(
                "rollback",
                "restore_checkpoint needs checkpoint_before = true (there is nothing to restore)",
            ));
        }
        if self.catch_up && self.strategy != Strategy::CopyAndSwitch {
            return Err(invalid(
                "catch_up",
                format!(
                    "only copy_and_switch catches up, not {}",
                    self.strategy.name()
                ),
            ));
        }
        check("error_rate_max_pct", self.error_rate_max_pct.into(), 0, 100)?;
        check("watch_ms", self.watch_ms, 0, LAG_MS_MAX)?;
        if (self.watch_ms > 0 || self.bidirectional) && self.strategy != Strategy::BlueGreen {
            let field = if self.bidirectional {
                "bidirectional"
            } else {
                "watch_ms"
            };
            let why = format!(
                "is blue_green's setting, the strategy is {}",
                self.strategy.name()
            );
            return Err(invalid(field, why));
        }
        if self.bidirectional && self.watch_ms == 0 {
            return Err(invalid(
                "bidirectional",
                "needs watch_ms > 0: without a watch the application never writes to the \
                 target before cleanup",
            ));
        }
        self.cost.validate()
    }

    /// Same-store directions are copies: only the copy strategies run them.
    fn check_direction(&self) -> Result<(), ConfigError> {
        if self.direction.is_same_store() && !Strategy::ALL.contains(&self.strategy) {
            let why = format!(
                "{} is a copy: it runs with big_bang, copy_and_switch and blue_green, not {}",
                self.direction.name(),
                self.strategy.name()
            );
            return Err(invalid("direction", why));
        }
        Ok(())
    }

    /// The batch timeout in µs.
    pub fn batch_timeout_us(&self) -> u64 {
        self.batch_timeout_ms.saturating_mul(1_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_round_trips() {
        let c = MigrationConfig::default();
        c.validate().unwrap();
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<MigrationConfig>(&text).unwrap(), c);
        let partial: MigrationConfig =
            serde_json::from_str(r#"{"strategy": "big_bang", "workers": 2}"#).unwrap();
        assert_eq!(partial.strategy, Strategy::BigBang);
        assert_eq!(partial.batch_rows, 1_000);
    }

    #[test]
    fn bad_values_name_the_field_and_range() {
        let mut c = MigrationConfig {
            workers: 0,
            ..MigrationConfig::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "workers = 0 is out of range (1 ..= 64)"
        );
        c.workers = 2;
        c.cost.cdc_poll_us = 5;
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("cost.cdc_poll_us = 5"));
        c.cost.cdc_poll_us = 100_000;
        c.checkpoint_before = false;
        let e = c.validate().unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    field: "rollback",
                    ..
                }
            ),
            "{e}"
        );
        c.rollback = RollbackMode::DropTarget;
        c.validate().unwrap();
        c.catch_up = true;
        assert!(c.validate().unwrap_err().to_string().contains("catch_up"));
        c.strategy = Strategy::CopyAndSwitch;
        c.validate().unwrap();
        assert!(serde_json::from_str::<MigrationConfig>(r#"{"workerz": 2}"#).is_err());
        let same: MigrationConfig =
            serde_json::from_str(r#"{"strategy": "in_place", "direction": "docs_to_docs"}"#)
                .unwrap();
        let e = same.validate().unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    field: "direction",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("not in_place"), "{e}");
    }
}
