//! The Migration panel's projection: the form a student fills in (and the spec it becomes),
//! and what the running job shows (phase pipeline, per-table progress, rate and ETA, change
//! backlog and lag, verification, downtime, per-record errors, the fault buttons).

use crate::sim::engine::migration::ms_ceil;
use crate::sim::migrate::{
    CdcApply, CopyJob, CostModel, Direction, ErrorKind, Fault, Invalidation, MappingSpec,
    MigrationSpec, Phase, RollbackMode, Strategy, SyncMode, ValidationLevel,
};
use crate::sim::{SimDuration, SimTime, Simulation};

/// Record errors listed in the panel (the job keeps more and counts all).
pub const ERRORS_SHOWN: usize = 50;
/// Dataset sizes the page offers, in records (checkpoints copy the job, so they stay modest).
pub const PAGE_ROWS: [u64; 4] = [500, 1_000, 2_000, 5_000];
/// A lag spike injected from the page stalls the change applier this long, in ms.
pub const PAGE_SPIKE_MS: u64 = 5_000;

/// A slower simulated machine than the engine's defaults (6 ms per row copied instead of
/// 10 µs), so a page-sized job takes about twenty simulated seconds and every phase can be
/// watched at normal speed. Applying a change stays cheap enough that the applier keeps up
/// with [`PAGE_WRITES_PER_S`].
pub fn page_cost() -> CostModel {
    CostModel {
        read_row_us: 500,
        transform_row_us: 4_500,
        write_row_us: 1_000,
        batch_overhead_us: 50_000,
        schema_us: 1_500_000,
        index_row_us: 200,
        verify_row_us: 500,
        cdc_event_us: 500,
        cdc_poll_us: 250_000,
        routing_switch_us: 1_000_000,
        worker_restart_us: 3_000_000,
    }
}

/// The application's writes per simulated second while a page migration runs.
pub const PAGE_WRITES_PER_S: u32 = 100;

/// What the Migration form holds. Numbers the student types stay text until Start, so a bad
/// entry can be named in the message.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationForm {
    pub strategy: Strategy,
    pub direction: Direction,
    pub rows: u64,
    pub batch_rows: String,
    pub workers: String,
    pub validation: ValidationLevel,
    pub cdc_apply: CdcApply,
    /// Every n-th root record cannot be converted; 0: none.
    pub bad_one_in: u64,
    pub error_budget: String,
    /// SQL -> documents rules as JSON (the Schema view's mapping box); empty: the suggested
    /// mapping.
    pub mapping_json: String,
    /// The Schema view's in-place change: the up and down boxes (checked there, never run
    /// by Start).
    pub sql_up: String,
    pub sql_down: String,
    /// Pause the copy while the change lag exceeds this many ms ("0": never).
    pub throttle_lag_ms: String,
    /// How blue-green keeps the target in sync.
    pub sync: SyncMode,
    /// What a rollback does.
    pub rollback: RollbackMode,
    /// The read-through cache's invalidation policy; None: no cache.
    pub cache: Option<Invalidation>,
    /// The cache's entry lifetime, in ms.
    pub cache_ttl_ms: String,
}

impl Default for MigrationForm {
    fn default() -> Self {
        MigrationForm {
            strategy: Strategy::BlueGreen,
            direction: Direction::SqlToDocs,
            rows: 2_000,
            batch_rows: "200".into(),
            workers: "2".into(),
            validation: ValidationLevel::Checksums,
            cdc_apply: CdcApply::Correct,
            bad_one_in: 0,
            error_budget: "100".into(),
            mapping_json: String::new(),
            sql_up: String::new(),
            sql_down: String::new(),
            throttle_lag_ms: "5000".into(),
            sync: SyncMode::ChangeLog,
            rollback: RollbackMode::RestoreCheckpoint,
            cache: None,
            cache_ttl_ms: "2000".into(),
        }
    }
}

fn whole(label: &str, text: &str, min: u64, max: u64) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(format!(
            "{label} must be a whole number from {min} to {max}, not \"{}\"",
            text.trim()
        )),
    }
}

impl MigrationForm {
    /// The dataset each direction migrates: e-commerce tables into documents, or profile
    /// documents into tables.
    pub fn dataset(&self) -> (&'static str, &'static str) {
        match self.direction {
            Direction::SqlToDocs => ("ecommerce", "customers"),
            Direction::DocsToSql => ("profiles", "profiles"),
            Direction::DocsToDocs => ("users", "users"),
            Direction::SqlToSql => ("ecommerce", "customers"),
        }
    }

    /// The spec Start sends, or a message naming the field that is wrong.
    pub fn to_spec(&self) -> Result<MigrationSpec, String> {
        let mut s = MigrationSpec::default();
        let (dataset, root) = self.dataset();
        s.dataset = dataset.into();
        s.rows = self.rows;
        let c = &mut s.config;
        c.strategy = self.strategy;
        c.direction = self.direction;
        c.batch_rows = whole("Batch size", &self.batch_rows, 1, 100_000)?;
        c.workers = whole("Workers", &self.workers, 1, 64)? as u32;
        c.error_budget_records = whole("Error budget", &self.error_budget, 0, 1_000_000)?;
        if !self.mapping_json.trim().is_empty() {
            if self.direction != Direction::SqlToDocs {
                return Err("Mapping rules (Schema view): they map SQL to documents; \
                            clear them for another direction"
                    .into());
            }
            let rules = super::schema::parse_mapping(&self.mapping_json).map_err(|e| {
                format!(
                    "Mapping rules (Schema view), line {}: {}",
                    e.line, e.message
                )
            })?;
            s.mapping = MappingSpec::Rules(rules);
        }
        c.validation = self.validation;
        c.cdc_apply = self.cdc_apply;
        c.throttle_lag_ms = whole("Throttle above lag", &self.throttle_lag_ms, 0, 3_600_000)?;
        c.sync = self.sync;
        c.rollback = self.rollback;
        if let Some(invalidation) = self.cache {
            s.cache.enabled = true;
            s.cache.invalidation = invalidation;
            s.cache.ttl_ms = whole("Cache TTL", &self.cache_ttl_ms, 1, 3_600_000)?;
        }
        c.batch_timeout_ms = 5_000;
        c.sync_ms_min = 3_000;
        c.verify_interval_ms = 1_000;
        c.cost = page_cost();
        s.workload.writes_per_s = PAGE_WRITES_PER_S;
        if self.direction == Direction::SqlToSql {
            if self.sql_up.trim().is_empty() {
                return Err(
                    "SQL → SQL copies every row through the Up script of the Schema \
                            tab: type the change there first"
                        .into(),
                );
            }
            s.schema_change.up_script = self.sql_up.clone();
        }
        if self.bad_one_in > 0 {
            s.faults.push(Fault::UnconvertibleRows {
                table: root.into(),
                one_in: self.bad_one_in,
            });
        }
        s.validate().map_err(|e| e.to_string())?;
        Ok(s)
    }
}

/// The failures the panel's buttons inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultButton {
    CrashWorker,
    LagSpike,
    BatchTimeout,
    CutoverFailure,
}

impl FaultButton {
    pub const ALL: [FaultButton; 4] = [
        FaultButton::CrashWorker,
        FaultButton::LagSpike,
        FaultButton::BatchTimeout,
        FaultButton::CutoverFailure,
    ];
    pub fn label(self) -> &'static str {
        match self {
            FaultButton::CrashWorker => "Crash a worker",
            FaultButton::LagSpike => "Stall change capture 5 s",
            FaultButton::BatchTimeout => "Time out the next batch",
            FaultButton::CutoverFailure => "Make the cut-over fail",
        }
    }
    pub fn id(self) -> &'static str {
        match self {
            FaultButton::CrashWorker => "mig-crash-worker",
            FaultButton::LagSpike => "mig-lag-spike",
            FaultButton::BatchTimeout => "mig-batch-timeout",
            FaultButton::CutoverFailure => "mig-cutover-failure",
        }
    }
}

/// The fault a button injects now, or why it cannot.
pub fn fault_for(button: FaultButton, sim: &Simulation) -> Result<Fault, String> {
    let run = sim
        .migration()
        .ok_or("no migration is running; start one first")?;
    let at_ms = ms_ceil(sim.now());
    Ok(match button {
        FaultButton::CrashWorker => {
            let crashes = run.job().copy_job().retries_and_crashes().1;
            Fault::WorkerCrash {
                at_ms,
                worker: crashes as u32,
            }
        }
        FaultButton::LagSpike => Fault::LagSpike {
            at_ms,
            duration_ms: PAGE_SPIKE_MS,
        },
        FaultButton::BatchTimeout => match run.job().first_unstarted_batch() {
            Some(batch) => Fault::BatchTimeout { batch, times: 1 },
            None => return Err("every copy batch has run already".into()),
        },
        FaultButton::CutoverFailure => Fault::CutoverFailure,
    })
}

/// The migration as the topology drawing shows it: the two stores, which one the application
/// uses, and records in transit between them. Cheap enough for every animation frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    /// "blue · SQL tables" (blue-green) or "source · SQL tables".
    pub source: String,
    /// "green · documents" or "target · documents".
    pub target: String,
    /// The source in words: "read-write", "read-only", "writes stopped", "retired".
    pub source_state: &'static str,
    /// The target in words: "12% copied", "in sync", "serving", "dropped".
    pub target_state: String,
    /// The application reads and writes the target.
    pub app_on_target: bool,
    /// Records in transit, as positions 0..1 from source to target (empty when none move).
    pub dots: Vec<f64>,
}

/// Dots drawn in transit at most.
const LANE_DOTS_MAX: usize = 4;

fn lane_of(j: &CopyJob, now: SimTime) -> Lane {
    let cfg = j.config();
    let blue_green = cfg.strategy == Strategy::BlueGreen;
    let (src_kind, dst_kind) = match cfg.direction {
        Direction::SqlToDocs => ("SQL tables", "documents"),
        Direction::DocsToSql => ("documents", "SQL tables"),
        Direction::DocsToDocs => ("documents", "documents (new version)"),
        Direction::SqlToSql => ("SQL tables", "SQL tables (new schema)"),
    };
    let (src_name, dst_name) = if blue_green {
        ("blue", "green")
    } else {
        ("source", "target")
    };
    let phase = j.phase();
    let on_target = j.routing() == crate::sim::migrate::Routing::Target;
    let read_only = matches!(j.read_only_window(), (Some(_), None));
    let source_state = match (on_target, read_only, j.is_done()) {
        (true, _, true) => "retired",
        (_, true, _) if cfg.strategy == Strategy::BigBang => "writes stopped",
        (_, true, _) => "read-only",
        _ => "read-write",
    };
    let total = j.progress().total();
    let pct = 100 * total.succeeded / total.total.max(1);
    let rolled_back = phase == Phase::Rollback || (j.is_done() && phase != Phase::Complete);
    let target_state = match phase {
        _ if rolled_back => "dropped".to_string(),
        _ if on_target => "serving".to_string(),
        Phase::Verification | Phase::Cutover if blue_green => "in sync".to_string(),
        _ => format!("{pct}% copied"),
    };
    let moving = !j.is_done()
        && matches!(
            phase,
            Phase::Extraction | Phase::Transformation | Phase::Loading | Phase::Verification
        );
    let n = if moving { LANE_DOTS_MAX } else { 0 };
    // Positions follow simulated time, so a paused run holds still and a replay matches.
    let t = now.as_secs_f64() * 0.7;
    let dots = (0..n)
        .map(|i| (t + i as f64 / n as f64).rem_euclid(1.0))
        .collect();
    Lane {
        source: format!("{src_name} · {src_kind}"),
        target: format!("{dst_name} · {dst_kind}"),
        source_state,
        target_state,
        app_on_target: on_target,
        dots,
    }
}

/// The drawing's view of the run's migration, if one was started.
pub fn lane(sim: &Simulation) -> Option<Lane> {
    let run = sim.migration()?;
    Some(lane_of(run.job().copy_job(), sim.now()))
}

/// Where a pipeline step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepState {
    Done,
    Current,
    Todo,
    /// Never reached: the job stopped first.
    Skipped,
}

impl StepState {
    /// A word for screen readers and for anyone who cannot tell the colours apart.
    pub fn word(self) -> &'static str {
        match self {
            StepState::Done => "done",
            StepState::Current => "now",
            StepState::Todo => "to do",
            StepState::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineStep {
    pub phase: Phase,
    pub label: &'static str,
    pub state: StepState,
}

/// A phase's name in the panel.
pub fn phase_label(p: Phase) -> &'static str {
    match p {
        Phase::Validation => "Validation",
        Phase::SchemaPreparation => "Schema",
        Phase::Extraction => "Snapshot",
        Phase::Transformation => "Transform",
        Phase::Loading => "Copy",
        Phase::RelationshipMigration => "Relations",
        Phase::Verification => "Verify",
        Phase::Cutover => "Cut-over",
        Phase::Cleanup => "Cleanup",
        Phase::Complete => "Complete",
        Phase::Rollback => "Rollback",
        Phase::Failed => "Failed",
    }
}

/// The phases a strategy goes through when all goes well, in order.
pub fn normal_path(strategy: Strategy) -> Vec<Phase> {
    use Phase::*;
    let head = [
        Validation,
        SchemaPreparation,
        Extraction,
        Transformation,
        Loading,
        RelationshipMigration,
    ];
    let tail: &[Phase] = match strategy {
        // The copy is verified after the switch, and names what it missed.
        Strategy::CopyAndSwitch => &[Cutover, Verification, Cleanup, Complete],
        _ => &[Verification, Cutover, Cleanup, Complete],
    };
    head.iter().chain(tail).copied().collect()
}

/// The pipeline: the normal path, marked from the phases visited; after a stop, the rest
/// is skipped and Rollback / Failed follow.
pub fn pipeline(strategy: Strategy, visited: &[Phase], current: Phase) -> Vec<PipelineStep> {
    let stopped = matches!(current, Phase::Rollback | Phase::Failed);
    let mut path = normal_path(strategy);
    if stopped {
        path.retain(|p| visited.contains(p) && !matches!(p, Phase::Rollback | Phase::Failed));
        if visited.contains(&Phase::Rollback) {
            path.push(Phase::Rollback);
        }
        path.push(Phase::Failed);
    }
    path.into_iter()
        .map(|phase| {
            let state = if phase == current {
                if phase.is_terminal() {
                    StepState::Done
                } else {
                    StepState::Current
                }
            } else if visited.contains(&phase) {
                StepState::Done
            } else if stopped {
                StepState::Skipped
            } else {
                StepState::Todo
            };
            PipelineStep {
                phase,
                label: phase_label(phase),
                state,
            }
        })
        .collect()
}

/// How the job ended, or that it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Complete,
    RolledBack,
    Failed,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Complete => "complete",
            Outcome::RolledBack => "rolled back: the application runs on the source",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableRow {
    pub name: String,
    pub total: u64,
    pub processed: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// processed / total, 0..=1.
    pub share: f64,
}

/// The last verification, and the continuous one (blue-green, while in sync).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationView {
    /// "not run yet", "passed", "FAILED: ...", "skipped (validation: none)".
    pub status: String,
    pub passed: Option<bool>,
    pub pending: u64,
    pub mismatched: u64,
    pub validated: u64,
    pub passes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorRow {
    pub table: String,
    pub key: String,
    pub kind: &'static str,
    pub message: String,
    pub retries: u32,
}

/// What the Migration panel shows of a job.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationView {
    pub strategy: &'static str,
    pub direction: &'static str,
    pub phase: Phase,
    pub phase_label: &'static str,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub pipeline: Vec<PipelineStep>,
    pub tables: Vec<TableRow>,
    pub total: TableRow,
    pub records_per_s: f64,
    /// Time left for the copy, while it runs.
    pub eta: Option<String>,
    pub backlog: u64,
    pub lag_ms: f64,
    pub captured: u64,
    pub applied: u64,
    pub verification: VerificationView,
    /// Writes stopped or the source read-only, in words.
    pub downtime: String,
    pub downtime_ms: f64,
    /// "source" or "target".
    pub routing: &'static str,
    pub errors: Vec<ErrorRow>,
    pub errors_total: u64,
    pub retries: u64,
    pub crashes: u64,
    pub workers: String,
    pub writes: String,
    pub done: bool,
}

/// The Migration panel's view of the run's job, if one was started.
pub fn migration_view(sim: &Simulation) -> Option<MigrationView> {
    let run = sim.migration()?;
    Some(project(run.job().copy_job(), sim.now()))
}

fn strategy_label(s: Strategy) -> &'static str {
    match s {
        Strategy::BigBang => "Big-bang",
        Strategy::CopyAndSwitch => "Copy and switch",
        Strategy::BlueGreen => "Blue-green with change capture",
        _ => "Same-store change",
    }
}

fn direction_label(d: Direction) -> &'static str {
    match d {
        Direction::SqlToDocs => "SQL tables → documents",
        Direction::DocsToSql => "documents → SQL tables",
        Direction::DocsToDocs => "documents → documents (new schema version)",
        Direction::SqlToSql => "SQL tables → SQL tables (new schema)",
    }
}

fn error_kind(k: ErrorKind) -> &'static str {
    match k {
        ErrorKind::Conversion => "conversion",
        ErrorKind::Timeout => "timeout",
        ErrorKind::WorkerCrash => "worker crash",
        ErrorKind::Constraint => "constraint",
    }
}

fn table_row(name: &str, t: &crate::sim::migrate::TableProgress) -> TableRow {
    TableRow {
        name: name.into(),
        total: t.total,
        processed: t.processed,
        succeeded: t.succeeded,
        failed: t.failed,
        share: if t.total == 0 {
            0.0
        } else {
            (t.processed as f64 / t.total as f64).min(1.0)
        },
    }
}

/// The job's view at `now` (the simulation's time: the job only moves at its own events).
pub fn project(j: &CopyJob, now: SimTime) -> MigrationView {
    let phase = j.phase();
    // A finished job's clock stopped; rates and windows end there.
    let now = if j.is_done() {
        j.now()
    } else {
        now.max(j.now())
    };
    let visited: Vec<Phase> = j.spans().iter().map(|s| s.phase).collect();
    let p = j.progress();
    let (retries, crashes) = j.retries_and_crashes();
    let (busy, down) = j.workers_busy_down();
    let cfg = j.config();
    let w = j.writes();
    let eta = (phase == Phase::Loading)
        .then(|| p.eta(now))
        .flatten()
        .map(|d| format!("{:.1} s", d.as_secs_f64()));
    let (downtime_ms, downtime) = downtime(j.read_only_window(), now);
    MigrationView {
        strategy: strategy_label(cfg.strategy),
        direction: direction_label(cfg.direction),
        phase,
        phase_label: phase_label(phase),
        outcome: outcome(phase, &visited),
        reason: j.reason().map(str::to_string),
        pipeline: pipeline(cfg.strategy, &visited, phase),
        tables: p.tables.iter().map(|(n, t)| table_row(n, t)).collect(),
        total: table_row("all", &p.total()),
        records_per_s: copy_rate(j, now),
        eta,
        backlog: j.backlog(),
        lag_ms: j.lag_us_at(now) as f64 / 1e3,
        captured: j.cdc().captured,
        applied: j.cdc().applied,
        verification: verification(j),
        downtime,
        downtime_ms,
        routing: match j.routing() {
            crate::sim::migrate::Routing::Source => "source",
            crate::sim::migrate::Routing::Target => "target",
        },
        errors: errors(p),
        errors_total: p.errors_total,
        retries,
        crashes,
        workers: format!("{busy} of {} copying, {down} down", cfg.workers),
        writes: format!(
            "{} committed, {} refused, {} lost",
            w.committed, w.rejected, w.lost
        ),
        done: j.is_done(),
    }
}

/// Records copied per simulated second: while the copy runs, so far; after it, over the
/// copy's own span (not diluted by the phases after it).
fn copy_rate(j: &CopyJob, now: SimTime) -> f64 {
    let p = j.progress();
    let loading = j.spans().iter().find(|s| s.phase == Phase::Loading);
    match loading {
        Some(s) if j.phase() != Phase::Loading && s.end_ms > s.start_ms => {
            p.total().processed as f64 / ((s.end_ms - s.start_ms) / 1e3)
        }
        _ => p.records_per_s(now),
    }
}

fn outcome(phase: Phase, visited: &[Phase]) -> Outcome {
    match phase {
        Phase::Complete => Outcome::Complete,
        Phase::Failed if visited.contains(&Phase::Rollback) => Outcome::RolledBack,
        Phase::Failed => Outcome::Failed,
        _ => Outcome::Running,
    }
}

fn errors(p: &crate::sim::migrate::Progress) -> Vec<ErrorRow> {
    p.errors
        .iter()
        .take(ERRORS_SHOWN)
        .map(|e| ErrorRow {
            table: e.table.clone(),
            key: e.key.clone(),
            kind: error_kind(e.kind),
            message: e.message.clone(),
            retries: e.retries,
        })
        .collect()
}

/// The read-only window in ms and in words.
pub fn downtime(window: (Option<SimTime>, Option<SimTime>), now: SimTime) -> (f64, String) {
    match window {
        (None, _) => (0.0, "none yet: the application writes as usual".into()),
        (Some(a), None) => {
            let ms = now.since(a).as_ms_f64();
            (ms, format!("writes stopped for {} so far", span(ms)))
        }
        (Some(a), Some(b)) => {
            let ms = b.since(a).as_ms_f64();
            (ms, format!("writes were stopped for {}", span(ms)))
        }
    }
}

fn span(ms: f64) -> String {
    if ms < 1_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!(
            "{:.1} s",
            SimDuration::from_us((ms * 1e3) as u64).as_secs_f64()
        )
    }
}

/// What a verification checked, in words.
fn checked(v: &crate::sim::migrate::Verification) -> String {
    let mut what = vec!["record counts match".to_string()];
    if !v.source_checksum.is_empty() {
        what.push("checksums match".into());
    }
    if v.sample_checked > 0 {
        what.push(format!("{} sampled records equal", v.sample_checked));
    }
    if v.compared > 0 {
        what.push(format!("{} records compared", v.compared));
    }
    what.join(", ")
}

fn verification(j: &CopyJob) -> VerificationView {
    let c = j.continuous();
    let last = j.verifications().last().map(|(_, v)| v);
    let skipped = j.config().validation == ValidationLevel::None;
    let status = match last {
        None if skipped => "skipped (validation: none)".to_string(),
        None => "not run yet".to_string(),
        Some(v) if v.passed => format!("passed ({})", checked(v)),
        Some(v) => {
            let mut why = Vec::new();
            if v.mismatched > 0 {
                why.push(format!("{} records differ", v.mismatched));
            }
            if !v.checksum_differs.is_empty() {
                why.push(format!(
                    "checksums differ in {}",
                    v.checksum_differs.join(", ")
                ));
            }
            if v.expected_counts != v.actual_counts {
                why.push("record counts differ".into());
            }
            format!("FAILED: {}", why.join("; "))
        }
    };
    VerificationView {
        status,
        passed: last.map(|v| v.passed),
        pending: c.pending,
        mismatched: c.mismatched,
        validated: c.validated,
        passes: c.passes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Command, Scenario};

    fn started(form: &MigrationForm) -> Simulation {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        let spec = Box::new(form.to_spec().unwrap());
        sim.command(Command::StartMigration { spec }).unwrap();
        sim
    }

    #[test]
    fn the_form_names_the_bad_field() {
        let mut f = MigrationForm::default();
        assert_eq!(f.to_spec().unwrap().rows, 2_000);
        f.batch_rows = "zero".into();
        assert_eq!(
            f.to_spec().unwrap_err(),
            "Batch size must be a whole number from 1 to 100000, not \"zero\""
        );
        f.batch_rows = "50".into();
        f.workers = "65".into();
        assert!(f.to_spec().unwrap_err().starts_with("Workers must be"));
        f.workers = "2".into();
        f.bad_one_in = 50;
        f.direction = Direction::DocsToSql;
        let s = f.to_spec().unwrap();
        assert_eq!(s.dataset, "profiles");
        assert_eq!(
            s.faults,
            vec![Fault::UnconvertibleRows {
                table: "profiles".into(),
                one_in: 50
            }]
        );
    }

    #[test]
    fn pipeline_marks_done_current_and_skipped() {
        use Phase::*;
        let p = pipeline(
            Strategy::BlueGreen,
            &[Validation, SchemaPreparation, Extraction],
            Extraction,
        );
        assert_eq!(p.len(), 10);
        assert_eq!(p[1].state, StepState::Done);
        assert_eq!(p[2].state, StepState::Current);
        assert_eq!(p[3].state, StepState::Todo);
        assert_eq!(p[6].label, "Verify");
        let c = normal_path(Strategy::CopyAndSwitch);
        assert_eq!(&c[6..8], &[Cutover, Verification]);
        let visited = [
            Validation,
            SchemaPreparation,
            Extraction,
            Loading,
            Rollback,
            Failed,
        ];
        let p = pipeline(Strategy::BigBang, &visited, Failed);
        let labels: Vec<_> = p.iter().map(|s| (s.label, s.state)).collect();
        assert_eq!(labels[3], ("Copy", StepState::Done));
        assert_eq!(labels[4], ("Rollback", StepState::Done));
        assert_eq!(labels[5], ("Failed", StepState::Done));
        assert_eq!(StepState::Skipped.word(), "skipped");
    }

    #[test]
    fn a_known_job_state_projects_progress_backlog_and_downtime() {
        let mut sim = started(&MigrationForm::default());
        // Mid-copy: the checkpoint, the schema, the snapshot and the transform take 3 s.
        sim.advance_to(SimTime::from_ms(5_000), u64::MAX);
        let v = migration_view(&sim).unwrap();
        assert_eq!(v.phase, Phase::Loading);
        assert_eq!(v.pipeline[4].state, StepState::Current);
        assert!(v.eta.is_some() && v.records_per_s > 0.0, "{v:?}");
        assert!(v.total.processed > 0 && v.total.processed < v.total.total);
        assert_eq!(v.workers, "2 of 2 copying, 0 down");
        assert_eq!(v.strategy, "Blue-green with change capture");
        assert_eq!(v.outcome, Outcome::Running);
        assert!(v.pipeline.iter().any(|s| s.state == StepState::Current));
        assert!(!v.tables.is_empty());
        assert!(v.total.total > 0);
        assert!(v.total.processed <= v.total.total);
        assert_eq!(v.routing, "source");
        assert!(v.downtime.starts_with("none yet"));
        assert_eq!(v.verification.status, "not run yet");
        // Blue-green captures the application's writes from the schema phase on.
        assert!(v.captured > 0, "{v:?}");
        let mut t = sim.now();
        while !sim.migration().unwrap().job().is_done() {
            t += SimDuration::from_secs(1);
            sim.advance_to(t, u64::MAX);
        }
        let v = migration_view(&sim).unwrap();
        assert_eq!(v.outcome, Outcome::Complete, "{:?}", v.reason);
        assert_eq!(v.total.share, 1.0);
        assert_eq!(v.verification.passed, Some(true));
        assert!(v.verification.status.starts_with("passed"));
        assert!(v.verification.validated > 0);
        assert!(v.downtime.starts_with("writes were stopped for"));
        assert!(v.downtime_ms > 0.0);
        assert_eq!(v.routing, "target");
        assert!(v.pipeline.iter().all(|s| s.state == StepState::Done));
    }

    #[test]
    fn bad_rows_are_listed_with_table_key_and_kind() {
        let form = MigrationForm {
            bad_one_in: 25,
            error_budget: "1000".into(),
            ..MigrationForm::default()
        };
        let mut sim = started(&form);
        sim.advance_to(SimTime::from_ms(30_000), u64::MAX);
        let v = migration_view(&sim).unwrap();
        assert!(v.errors_total > 0);
        let e = &v.errors[0];
        assert_eq!((e.table.as_str(), e.kind), ("customers", "conversion"));
        assert!(!e.key.is_empty() && !e.message.is_empty());
        assert!(v.total.failed > 0);
    }

    #[test]
    fn fault_buttons_need_a_migration_and_build_faults_for_now() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        assert!(fault_for(FaultButton::LagSpike, &sim).is_err());
        sim.advance_to(SimTime(1_500), u64::MAX);
        let spec = Box::new(MigrationForm::default().to_spec().unwrap());
        sim.command(Command::StartMigration { spec }).unwrap();
        assert_eq!(
            fault_for(FaultButton::LagSpike, &sim),
            Ok(Fault::LagSpike {
                at_ms: 2,
                duration_ms: PAGE_SPIKE_MS
            })
        );
        assert_eq!(
            fault_for(FaultButton::BatchTimeout, &sim),
            Ok(Fault::BatchTimeout { batch: 0, times: 1 })
        );
        assert_eq!(FaultButton::ALL.len(), 4);
    }

    #[test]
    fn the_form_sets_throttle_sync_rollback_and_a_cache_whose_hit_ratio_is_charted() {
        let form = MigrationForm {
            throttle_lag_ms: "250".into(),
            sync: SyncMode::Triggers,
            rollback: RollbackMode::DownSteps,
            cache: Some(Invalidation::TtlOnly),
            cache_ttl_ms: "1500".into(),
            ..MigrationForm::default()
        };
        let spec = form.to_spec().unwrap();
        assert_eq!(spec.config.throttle_lag_ms, 250);
        assert_eq!(spec.config.sync, SyncMode::Triggers);
        assert_eq!(spec.config.rollback, RollbackMode::DownSteps);
        assert!(spec.cache.enabled);
        assert_eq!(spec.cache.invalidation, Invalidation::TtlOnly);
        assert_eq!(spec.cache.ttl_ms, 1_500);
        // A bad entry is named; no cache, no cache settings.
        let bad = MigrationForm {
            cache: Some(Invalidation::OnWrite),
            cache_ttl_ms: "0".into(),
            ..MigrationForm::default()
        };
        assert!(bad.to_spec().unwrap_err().contains("Cache TTL"));
        assert!(!MigrationForm::default().to_spec().unwrap().cache.enabled);
        // The page charts the cache's hit ratio while the migration runs.
        let mut sim = started(&form);
        sim.advance_to(SimTime::from_ms(6_000), u64::MAX);
        let hits = &sim.metrics().cache_hit_pct;
        assert!(hits.len() > 5, "{}", hits.len());
        assert!(hits.points().all(|(_, v)| (0.0..=100.0).contains(v)));
        assert!(hits.points().any(|(_, v)| *v > 0.0));
        let charts = crate::view_model::charts(&sim);
        assert_eq!(charts[7].title, "Cache hit ratio");
        assert!(charts[7].series[0].points().count() > 5);
    }

    #[test]
    fn same_store_copies_start_from_the_form_and_complete() {
        let sql = MigrationForm {
            direction: Direction::SqlToSql,
            ..MigrationForm::default()
        };
        assert!(sql
            .to_spec()
            .unwrap_err()
            .contains("Up script of the Schema tab"));
        let sql = MigrationForm {
            sql_up: "ALTER TABLE customers ADD COLUMN tier TEXT DEFAULT 'basic';".into(),
            ..sql
        };
        let docs = MigrationForm {
            direction: Direction::DocsToDocs,
            ..MigrationForm::default()
        };
        for form in [sql, docs] {
            let mut sim = started(&form);
            sim.advance_to(SimTime::from_ms(60_000), u64::MAX);
            let v = migration_view(&sim).unwrap();
            assert_eq!(
                v.outcome,
                Outcome::Complete,
                "{:?}: {:?}",
                form.direction,
                v.reason
            );
            assert!(v.direction.contains("(new"), "{}", v.direction);
            assert_eq!(v.verification.passed, Some(true), "{:?}", form.direction);
        }
    }

    #[test]
    fn bad_rows_then_a_failed_cutover_rolls_back_with_the_reason() {
        for strategy in Strategy::ALL {
            let form = MigrationForm {
                strategy,
                bad_one_in: 10,
                ..MigrationForm::default()
            };
            let mut sim = started(&form);
            let fault = Fault::CutoverFailure;
            sim.command(Command::MigrationFault { fault }).unwrap();
            sim.advance_to(SimTime::from_ms(40_000), u64::MAX);
            let v = migration_view(&sim).unwrap();
            assert_eq!(
                v.outcome,
                Outcome::RolledBack,
                "{strategy:?} {:?}",
                v.reason
            );
            let reason = v.reason.as_deref().unwrap_or_default();
            assert!(reason.contains("cut-over failed"), "{strategy:?} {reason}");
            assert!(v.errors.iter().any(|e| e.kind == "conversion"));
            let steps: Vec<_> = v.pipeline.iter().map(|s| (s.label, s.state)).collect();
            assert!(steps.contains(&("Rollback", StepState::Done)), "{steps:?}");
            assert_eq!(v.routing, "source");
        }
    }

    #[test]
    fn downtime_in_words() {
        let t = SimTime::from_ms;
        assert_eq!(
            downtime((Some(t(1_000)), None), t(1_250)).1,
            "writes stopped for 250 ms so far"
        );
        assert_eq!(
            downtime((Some(t(1_000)), Some(t(3_500))), t(9_000)),
            (2_500.0, "writes were stopped for 2.5 s".into())
        );
    }
}
