//! A migration job running inside the simulation, next to the replicated cluster. The engine
//! steps it at its own `next_at` times through the one event queue, so play, seek and fork
//! treat it like everything else.
//!
//! The job takes its faults when it is built (`FaultPlan`), so a fault injected while it runs
//! rebuilds it: the same spec with one more fault, started at the same time with the same
//! seed, stepped to now. The job is deterministic, and a fault is refused when it would change
//! what already happened (a time in the past, a batch already copied, a cut-over already
//! begun), so the rebuilt job stands exactly where the old one stood, plus the armed fault.

use crate::sim::hash::Fnv64;
use crate::sim::migrate::{
    ConfigError, CopyJob, Direction, DocsToDocs, Fault, Migration, MigrationSpec, Out, Phase,
    Progress, SqlToSql, ToDocs, ToRows,
};
use crate::sim::time::SimTime;

/// The job over any direction's stores.
#[derive(Clone, Debug)]
pub enum Job {
    ToDocs(Box<Migration<ToDocs>>),
    ToRows(Box<Migration<ToRows>>),
    /// Documents -> documents: a copy-based schema change of the `users` collection.
    DocsToDocs(Box<Migration<DocsToDocs>>),
    /// SQL -> SQL: a copy-based schema change of the SQL tables by an up script.
    SqlToSql(Box<Migration<SqlToSql>>),
}

/// Run `$body` with `$j` bound to the job, whichever its side.
macro_rules! each {
    ($job:expr, $j:ident => $body:expr) => {
        match $job {
            Job::ToDocs($j) => $body,
            Job::ToRows($j) => $body,
            Job::DocsToDocs($j) => $body,
            Job::SqlToSql($j) => $body,
        }
    };
}

impl Job {
    fn build(spec: &MigrationSpec, seed: u64) -> Result<Job, ConfigError> {
        Ok(match spec.config.direction {
            Direction::SqlToDocs => Job::ToDocs(Box::new(spec.build(seed)?)),
            Direction::DocsToSql => Job::ToRows(Box::new(spec.build_to_rows(seed)?)),
            Direction::DocsToDocs => Job::DocsToDocs(Box::new(spec.build_docs_to_docs(seed)?)),
            Direction::SqlToSql => Job::SqlToSql(Box::new(spec.build_sql_to_sql(seed)?)),
        })
    }
    /// The job, whichever its side.
    pub fn copy_job(&self) -> &CopyJob {
        each!(self, j => j)
    }
    pub fn phase(&self) -> Phase {
        self.copy_job().phase()
    }
    pub fn is_done(&self) -> bool {
        self.copy_job().is_done()
    }
    pub fn next_at(&self) -> Option<SimTime> {
        self.copy_job().next_at()
    }
    pub fn progress(&self) -> &Progress {
        self.copy_job().progress()
    }
    pub fn backlog(&self) -> u64 {
        self.copy_job().backlog()
    }
    fn start(&mut self, now: SimTime) -> Vec<Out> {
        each!(self, j => j.start(now))
    }
    fn step(&mut self, until: SimTime) -> Vec<Out> {
        each!(self, j => j.step(until))
    }
    fn batch_unstarted(&self, batch: u64) -> bool {
        self.copy_job().batch_unstarted(batch)
    }
    pub fn first_unstarted_batch(&self) -> Option<u64> {
        self.copy_job().first_unstarted_batch()
    }
    /// The read-through cache's hit ratio over its last closed window, in percent (None
    /// without a cache or before its first window).
    pub fn cache_hit_pct(&self) -> Option<f64> {
        let cache = self.copy_job().cache();
        cache
            .and_then(|c| c.last_sample())
            .map(|w| 100.0 * w.hit_ratio)
    }
}

/// The migration of a run: what started it (with every fault injected since) and the job.
#[derive(Clone, Debug)]
pub struct MigrationRun {
    spec: MigrationSpec,
    seed: u64,
    started_at: SimTime,
    job: Job,
}

/// The job's seed: the scenario's seed with a name of its own (the cluster's streams use
/// other names), so the data and the writes do not depend on the replication model.
pub fn job_seed(scenario_seed: u64) -> u64 {
    let mut h = Fnv64::new();
    h.write_u64(scenario_seed);
    h.write_str("migration");
    h.finish()
}

impl MigrationRun {
    /// Build the job for `spec` (generating its data) and start it at `now`.
    pub fn start(spec: MigrationSpec, seed: u64, now: SimTime) -> Result<(Self, Vec<Out>), String> {
        let mut job = Job::build(&spec, seed).map_err(|e| e.to_string())?;
        let out = job.start(now);
        let run = MigrationRun {
            spec,
            seed,
            started_at: now,
            job,
        };
        Ok((run, out))
    }

    pub fn job(&self) -> &Job {
        &self.job
    }
    pub fn spec(&self) -> &MigrationSpec {
        &self.spec
    }
    pub fn started_at(&self) -> SimTime {
        self.started_at
    }

    /// Handle the job's events due by `now`.
    pub fn step(&mut self, now: SimTime) -> Vec<Out> {
        self.job.step(now)
    }

    /// The same job with `fault` armed, standing at `now`; refused (with the reason) when the
    /// fault would change what the job has already done.
    pub fn with_fault(&self, fault: Fault, now: SimTime) -> Result<MigrationRun, String> {
        self.check_fault(&fault, now)?;
        let mut spec = self.spec.clone();
        spec.faults.push(fault);
        let (mut run, _) = MigrationRun::start(spec, self.seed, self.started_at)?;
        run.job.step(now);
        Ok(run)
    }

    fn check_fault(&self, fault: &Fault, now: SimTime) -> Result<(), String> {
        let phase = self.job.phase();
        if self.job.is_done() {
            return Err("the migration has finished; start a new one first".into());
        }
        if phase == Phase::Rollback {
            return Err("the migration is rolling back already".into());
        }
        match fault {
            Fault::UnconvertibleRows { .. } if phase >= Phase::Extraction => Err(
                "bad rows must be in the data before the snapshot is taken; choose them \
                 when starting the migration"
                    .into(),
            ),
            Fault::BatchTimeout { batch, .. } if !self.job.batch_unstarted(*batch) => {
                Err(match self.job.first_unstarted_batch() {
                    Some(b) => format!("copy batch {batch} has run already; batch {b} has not"),
                    None => "every copy batch has run already".into(),
                })
            }
            Fault::WorkerCrash { at_ms, .. }
            | Fault::LagSpike { at_ms, .. }
            | Fault::ErrorRateSpike { at_ms, .. }
                if SimTime::from_ms(*at_ms) < now =>
            {
                Err(format!(
                    "{} s lies in the past (the simulation is at {now})",
                    *at_ms as f64 / 1e3
                ))
            }
            Fault::CutoverFailure if phase >= Phase::Cutover => {
                Err("the cut-over has begun already".into())
            }
            _ => Ok(()),
        }
    }
}

/// A simulated time in whole ms, rounded up (a fault "now" never lands in the past).
pub fn ms_ceil(t: SimTime) -> u64 {
    t.as_us().div_ceil(1_000)
}

/// The job's state folded into a history hash after each step.
pub fn hash_job(job: &Job, h: &mut Fnv64) {
    h.write_u8(job.phase() as u8);
    let t = job.progress().total();
    h.write_u64(t.processed);
    h.write_u64(t.failed);
    h.write_u64(job.backlog());
}
