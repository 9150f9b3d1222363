//! A migration job driven in virtual time: `step(until)` handles every internal event due by
//! then (application writes, batch completions and timeouts, change-applier polls,
//! verification passes, crashes, phase ends) in `(time, seq)` order and returns what
//! happened, so a page or the engine can drive it a frame at a time and a test can run it to
//! the end. Same inputs and seed, same outputs.
//!
//! The job is [`CopyJob`], one body for every side: it reaches its stores through
//! `dyn Stores` (a call per batch, per write or per record, never per field).
//! [`Migration<S>`] is the same job with its side's type known, for code that reads the side.

use serde::Serialize;
use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::marker::PhantomData;
use std::ops::Deref;

use super::cache::{Cache, CacheSettings};
use super::config::CdcApply;
use super::config::{MigrationConfig, PostponeCutover, RollbackMode, Strategy, SyncMode};
use super::fault::{Fault, FaultPlan};
use super::phase::{next, ErrorKind, Phase, Progress, RecordError};
use super::side::{Side, SideOps, SnapUnit};
use super::to_docs::{ToDocs, Verification};
use super::workload::{ChangeEvent, ChangeLog, Writer};
use crate::sim::mapping::ContentChecksum;
use crate::sim::time::{SimDuration, SimTime};

/// Outputs kept in the job's log (a ring: the oldest go first).
pub const OUT_LOG_MAX: usize = 10_000;
/// Change events one applier poll takes.
pub const CDC_EVENTS_PER_POLL: usize = 20_000;
/// Longest run, in simulated µs (one simulated day): a job still going then is stuck.
pub const RUN_US_MAX: u64 = 86_400_000_000;
/// Lost writes named in a report; later ones are only counted.
pub const LOST_KEPT_MAX: usize = 100;

/// Where the application's reads and writes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// The source (blue).
    Source,
    /// The target (green).
    Target,
}

/// Something that happened, for a status view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Out {
    /// When, in µs of simulated time.
    pub at: SimTime,
    /// What.
    pub what: OutKind,
}

/// The kinds of [`Out`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OutKind {
    /// The phase changed.
    Phase {
        /// Left.
        from: Phase,
        /// Entered.
        to: Phase,
    },
    /// A copy batch finished.
    Batch {
        /// Worker.
        worker: usize,
        /// Records loaded.
        ok: u64,
        /// Records failed.
        failed: u64,
    },
    /// A batch is retried.
    Retry {
        /// Batch number.
        batch: u64,
        /// Attempt about to run (1 = first retry).
        attempt: u32,
        /// Why.
        why: String,
    },
    /// Changes applied.
    Applied {
        /// Events applied.
        events: u64,
        /// Events still waiting.
        backlog: u64,
        /// Lag before applying, in µs.
        lag_us: u64,
    },
    /// A verification finished.
    Verified {
        /// Whether it passed.
        passed: bool,
    },
    /// Anything else worth a line.
    Note {
        /// In words.
        text: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Write,
    PhaseDone(Phase),
    BatchDone {
        worker: usize,
        gen: u64,
    },
    BatchTimeout {
        worker: usize,
        gen: u64,
    },
    Restart(usize),
    Poll,
    VerifyPass,
    Crash(usize),
    SpikeEnd,
    Drained,
    Switched,
    CutoverVerified,
    CacheTick,
    /// A check while the application runs on the target under watch (blue-green).
    Watch,
    /// The cut-over, postponed by the application's error rate, is tried again.
    TryCutover(Phase),
}

#[derive(Clone, Debug)]
struct Batch {
    id: u64,
    units: std::ops::Range<usize>,
    rows: u64,
    attempt: u32,
}

#[derive(Clone, Debug, Default)]
struct Worker {
    busy: Option<Batch>,
    gen: u64,
    down: bool,
}

/// Change stream counters.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CdcStats {
    /// Events captured.
    pub captured: u64,
    /// Events applied (re-deliveries counted again).
    pub applied: u64,
    /// Events delivered again after a crash.
    pub redelivered: u64,
    /// Largest lag seen, in ms.
    pub lag_ms_max: f64,
    /// Largest backlog seen, in events.
    pub backlog_max: u64,
    /// Polls skipped by a lag spike.
    pub stalled_polls: u64,
    /// Copy starts held back by the throttle.
    pub throttled: u64,
    /// Cut-over checks that postponed it.
    pub postponed: u64,
    /// Triggers: changes applied in the writing transaction.
    pub trigger_applied: u64,
    /// Polling: changes whose state a later change of the same row replaced before a poll.
    pub missed_intermediate: u64,
    /// Polling with hard deletes: deletes the poller never saw.
    pub missed_deletes: u64,
    /// Cut-over checks postponed by the application's error rate.
    #[serde(skip_serializing_if = "is_zero")]
    pub error_postponed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The continuous verification view (like a DMS validation tab), summed over passes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Continuous {
    /// Passes run.
    pub passes: u64,
    /// Records with a change still waiting (not comparable yet).
    pub pending: u64,
    /// Records equal to the mapped source.
    pub validated: u64,
    /// Records that differ from the mapped source.
    pub mismatched: u64,
}

/// The application's writes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WriteStats {
    /// Writes committed on the source.
    pub committed: u64,
    /// Writes refused while the source was read-only or writes were stopped.
    pub rejected: u64,
    /// Writes made after the snapshot and never applied to the target (copy-and-switch).
    pub lost: u64,
    /// The first lost writes: `table key op @position`.
    pub lost_examples: Vec<String>,
    /// Writes undone by restoring the checkpoint.
    pub undone_by_restore: u64,
    /// What the rollback said it would lose, stated before it ran.
    pub rollback_losses: Vec<String>,
    /// Application requests that failed during an error-rate spike (not committed).
    #[serde(skip_serializing_if = "is_zero")]
    pub failed_requests: u64,
    /// The highest application error rate seen, in percent.
    #[serde(skip_serializing_if = "is_zero")]
    pub error_rate_pct_max: u64,
    /// Writes committed on the target after a blue-green cut-over (during the watch).
    #[serde(skip_serializing_if = "is_zero")]
    pub on_target: u64,
    /// Of those, writes applied back to the source (`bidirectional`).
    #[serde(skip_serializing_if = "is_zero")]
    pub replicated_back: u64,
    /// Writes on the target a rollback after the cut-over lost (not applied back).
    #[serde(skip_serializing_if = "is_zero")]
    pub lost_on_rollback: u64,
    /// The first of them: `table key op @position`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lost_on_rollback_examples: Vec<String>,
    /// The down steps a rollback ran, in order (`down_steps`, `schema_only`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rollback_steps: Vec<String>,
}

/// A phase's span.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseSpan {
    /// The phase.
    pub phase: Phase,
    /// Start, in simulated ms.
    pub start_ms: f64,
    /// End, in simulated ms (the run's end for the last phase).
    pub end_ms: f64,
}

/// A migration job over a [`Side`] (SQL -> documents by default): a [`CopyJob`], which it
/// derefs to, whose side is known to be an `S`.
#[derive(Clone, Debug)]
pub struct Migration<S: Side = ToDocs> {
    job: CopyJob,
    side: PhantomData<S>,
}

impl<S: Side> Migration<S> {
    /// A validated job, queued (call [`Migration::start`]). `writer` is the application
    /// workload (none: no writes).
    pub fn new(
        cfg: MigrationConfig,
        seed: u64,
        side: S,
        writer: Option<Writer>,
        faults: FaultPlan,
    ) -> Result<Migration<S>, super::ConfigError> {
        let job = CopyJob::new(cfg, seed, Box::new(Typed::new(side)), writer, faults)?;
        Ok(Migration {
            job,
            side: PhantomData,
        })
    }

    /// The same queued job with the application reading through a cache (when
    /// `s.enabled`).
    pub fn with_cache(mut self, s: CacheSettings) -> Result<Migration<S>, super::ConfigError> {
        self.job = self.job.with_cache(s)?;
        Ok(self)
    }

    /// The two stores.
    pub fn side(&self) -> &S {
        let side = self.job.side.side().downcast_ref();
        side.expect("a Migration<S> is only built over an S")
    }

    /// Start the queued job at `now` ([`CopyJob::start`]).
    pub fn start(&mut self, now: SimTime) -> Vec<Out> {
        self.job.start(now)
    }
    /// Handle every event due at or before `until` ([`CopyJob::step`]).
    pub fn step(&mut self, until: SimTime) -> Vec<Out> {
        self.job.step(until)
    }
    /// Run until done or `max_events` events ([`CopyJob::run_to_end`]).
    pub fn run_to_end(&mut self, max_events: u64) -> Result<(), String> {
        self.job.run_to_end(max_events)
    }
    /// The run's report.
    pub fn report(&mut self) -> super::report::MigrationReport {
        self.job.report()
    }
}

/// Everything but the side's type: read the job through it.
impl<S: Side> Deref for Migration<S> {
    type Target = CopyJob;
    fn deref(&self) -> &CopyJob {
        &self.job
    }
}

/// A migration job, whichever its side: the phases, batches and workers, the change stream,
/// throttling, the cut-over, the rollback and the stats. It drives the side through
/// `dyn Stores`, so it is compiled once for every side.
#[derive(Clone, Debug)]
pub struct CopyJob {
    cfg: MigrationConfig,
    seed: u64,
    faults: FaultPlan,
    side: Box<dyn Stores>,
    writer: Option<Writer>,
    log: ChangeLog,
    phase: Phase,
    started: bool,
    now: SimTime,
    queue: BTreeMap<(SimTime, u64), Ev>,
    seq: u64,
    pending_batches: VecDeque<Batch>,
    next_batch: u64,
    workers: Vec<Worker>,
    snapshot_pos: u64,
    capture: bool,
    writes_open: bool,
    routing: Routing,
    /// The checkpoint's source checksum and change-log position (the side keeps the copy).
    checkpoint: Option<(ContentChecksum, u64)>,
    /// Checksum of the source (tables the mapping reads) when the job started.
    pub source_before: ContentChecksum,
    progress: Progress,
    spans: Vec<PhaseSpan>,
    verifications: Vec<(Phase, Verification)>,
    continuous: Continuous,
    cursor: (usize, i64),
    cdc: CdcStats,
    last_applied: Vec<ChangeEvent>,
    spikes: Vec<(SimTime, SimTime)>,
    writes: WriteStats,
    ro_start: Option<SimTime>,
    ro_end: Option<SimTime>,
    sync_start: Option<SimTime>,
    reason: Option<String>,
    outs: VecDeque<Out>,
    retries: u64,
    crashes: u64,
    cache: Option<Cache>,
    /// Writes on the target during the watch (the newest [`OUT_LOG_MAX`]).
    target_writes: VecDeque<ChangeEvent>,
    /// Of `writes.on_target`, those still to apply back to the source (`bidirectional`).
    reverse_backlog: u64,
    /// Failure accumulator of the error-rate spike: a request fails each time it passes 100.
    error_acc: u32,
    /// The data layer's reversibility findings, stated before a rollback.
    reversibility: Vec<String>,
}

impl CopyJob {
    fn new(
        cfg: MigrationConfig,
        seed: u64,
        mut side: Box<dyn Stores>,
        writer: Option<Writer>,
        faults: FaultPlan,
    ) -> Result<CopyJob, super::ConfigError> {
        cfg.validate()?;
        if !Strategy::ALL.contains(&cfg.strategy) {
            let why = format!(
                "{} changes the live store: no copy job (spec::run)",
                cfg.strategy.name()
            );
            return Err(super::config::invalid("strategy", why));
        }
        for f in faults.all() {
            if let Fault::UnconvertibleRows { table, .. } = f {
                if !side.ops().is_unit_entity(table) {
                    let why = format!("\"{table}\" is not the root table of a collection");
                    return Err(super::config::invalid("faults.table", why));
                }
            }
        }
        let source_before = side.ops_mut().source_checksum();
        let workers = vec![Worker::default(); cfg.workers as usize];
        Ok(CopyJob {
            cfg,
            seed,
            faults,
            side,
            writer,
            log: ChangeLog::default(),
            phase: Phase::Validation,
            started: false,
            now: SimTime::ZERO,
            queue: BTreeMap::new(),
            seq: 0,
            pending_batches: VecDeque::new(),
            next_batch: 0,
            workers,
            snapshot_pos: 0,
            capture: false,
            writes_open: true,
            routing: Routing::Source,
            checkpoint: None,
            source_before,
            progress: Progress::default(),
            spans: Vec::new(),
            verifications: Vec::new(),
            continuous: Continuous::default(),
            cursor: (0, i64::MIN),
            cdc: CdcStats::default(),
            last_applied: Vec::new(),
            spikes: Vec::new(),
            writes: WriteStats::default(),
            ro_start: None,
            ro_end: None,
            sync_start: None,
            reason: None,
            outs: VecDeque::new(),
            retries: 0,
            crashes: 0,
            cache: None,
            target_writes: VecDeque::new(),
            reverse_backlog: 0,
            error_acc: 0,
            reversibility: Vec::new(),
        })
    }

    fn with_cache(mut self, s: CacheSettings) -> Result<CopyJob, super::ConfigError> {
        s.validate()?;
        if s.enabled {
            self.cache = Some(Cache::new(s, self.seed));
        }
        Ok(self)
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }
    /// Queued: not started yet.
    pub fn is_queued(&self) -> bool {
        !self.started
    }
    /// Finished (complete or failed).
    pub fn is_done(&self) -> bool {
        self.started && self.phase.is_terminal()
    }
    /// The simulated time reached.
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// The two stores.
    pub fn side(&self) -> &dyn SideOps {
        self.side.ops()
    }
    /// Progress so far.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }
    /// Where the application is routed.
    pub fn routing(&self) -> Routing {
        self.routing
    }
    /// Recent outputs (bounded).
    pub fn outs(&self) -> impl Iterator<Item = &Out> {
        self.outs.iter()
    }

    fn at(&mut self, at: SimTime, ev: Ev) {
        self.seq += 1;
        self.queue.insert((at, self.seq), ev);
    }

    fn after(&mut self, us: u64, ev: Ev) {
        self.at(self.now + SimDuration::from_us(us), ev);
    }

    fn emit(&mut self, what: OutKind, out: &mut Vec<Out>) {
        let o = Out { at: self.now, what };
        if self.outs.len() >= OUT_LOG_MAX {
            self.outs.pop_front();
        }
        self.outs.push_back(o.clone());
        out.push(o);
    }

    /// Start the queued job at `now`: the Validation phase begins (checkpoint taken), the
    /// application's writes and the scheduled faults are armed.
    pub fn start(&mut self, now: SimTime) -> Vec<Out> {
        let mut out = Vec::new();
        if self.started {
            return out;
        }
        self.started = true;
        self.now = now;
        self.spans.push(PhaseSpan {
            phase: Phase::Validation,
            start_ms: ms(now),
            end_ms: ms(now),
        });
        if self.cfg.strategy == Strategy::BigBang {
            // Writes stop before anything is read: downtime starts now.
            self.writes_open = false;
            self.ro_start = Some(now);
        }
        let rows = self.side.ops().source_records();
        if self.cfg.checkpoint_before {
            self.side.keep(Kept::Checkpoint);
            let sum = self.side.ops_mut().source_checksum();
            self.checkpoint = Some((sum, self.log.position()));
        }
        let cp_us = if self.cfg.checkpoint_before {
            rows * self.cfg.cost.read_row_us
        } else {
            0
        };
        self.after(1_000 + cp_us, Ev::PhaseDone(Phase::Validation));
        if self.writer.is_some() {
            self.after(0, Ev::Write);
        }
        if self.cache.is_some() {
            self.after(0, Ev::CacheTick);
        }
        for f in self.faults.all().to_vec() {
            match f {
                Fault::WorkerCrash { at_ms, worker } => {
                    let w = worker as usize % self.workers.len();
                    self.at(SimTime::from_ms(at_ms), Ev::Crash(w));
                }
                Fault::LagSpike { at_ms, duration_ms } => {
                    let t = SimTime::from_ms(at_ms);
                    let end = t + SimDuration::from_ms(duration_ms);
                    self.spikes.push((t, end));
                    self.at(end, Ev::SpikeEnd);
                }
                _ => {}
            }
        }
        self.emit(
            OutKind::Note {
                text: format!("{} migration started", self.cfg.strategy.name()),
            },
            &mut out,
        );
        out
    }

    /// When the next internal event is due.
    pub fn next_at(&self) -> Option<SimTime> {
        if self.is_done() {
            return None;
        }
        self.queue.keys().next().map(|k| k.0)
    }

    /// Handle every event due at or before `until`; time moves to `until`.
    pub fn step(&mut self, until: SimTime) -> Vec<Out> {
        let mut out = Vec::new();
        while !self.is_done() {
            let Some((&(at, seq), _)) = self.queue.iter().next() else {
                break;
            };
            if at > until {
                break;
            }
            let ev = self.queue.remove(&(at, seq)).expect("just seen");
            self.now = at;
            self.handle(ev, &mut out);
        }
        if !self.is_done() {
            self.now = self.now.max(until);
        }
        out
    }

    fn handle(&mut self, ev: Ev, out: &mut Vec<Out>) {
        match ev {
            Ev::Write => self.on_write(out),
            Ev::PhaseDone(p) if p == self.phase => self.on_phase_done(out),
            Ev::PhaseDone(_) => {}
            Ev::BatchDone { worker, gen } => self.on_batch_done(worker, gen, out),
            Ev::BatchTimeout { worker, gen } => self.on_batch_timeout(worker, gen, out),
            Ev::Restart(w) => {
                self.workers[w].down = false;
                self.dispatch();
            }
            Ev::Poll => self.on_poll(out),
            Ev::VerifyPass => self.on_verify_pass(),
            Ev::Crash(w) => self.on_crash(w, out),
            Ev::SpikeEnd => {}
            Ev::Drained => self.on_drained(out),
            Ev::Switched => self.on_switched(out),
            Ev::CutoverVerified => self.on_cutover_verified(out),
            Ev::CacheTick => self.on_cache_tick(),
            Ev::Watch => self.on_watch(out),
            Ev::TryCutover(p) if p == self.phase => self.cutover_unless_errors(out),
            Ev::TryCutover(_) => {}
        }
    }

    /// The application's reads of one tick, through the cache.
    fn on_cache_tick(&mut self) {
        let side = self.side.ops();
        let groups = side.names().len();
        let Some(cache) = self.cache.as_mut() else {
            return;
        };
        let next = cache.tick(self.now, groups, &|c| side.unit_key_max(c));
        self.at(next, Ev::CacheTick);
    }

    fn on_write(&mut self, out: &mut Vec<Out>) {
        let Some(gap) = self.writer.as_mut().map(Writer::gap) else {
            return;
        };
        if self.routing == Routing::Target && !self.watching() {
            return; // The application now writes to the target; the source is retired.
        }
        if !self.writes_open {
            self.writes.rejected += 1;
        } else if self.request_fails() {
            self.writes.failed_requests += 1;
        } else if self.routing == Routing::Target {
            self.write_target();
        } else if let Some(e) = self
            .writer
            .as_mut()
            .and_then(|w| self.side.ops_mut().write(w, self.now))
        {
            self.writes.committed += 1;
            if let Some(cache) = self.cache.as_mut() {
                // Positioned after everything read so far: every record it touches counts.
                let mut at_end = e.clone();
                at_end.position = self.log.position() + 1;
                cache.written(&self.side.ops().pending_units(&mut std::iter::once(&at_end)));
            }
            match self.log.commit(e, self.capture) {
                Ok(_) if self.capture && self.cfg.sync == SyncMode::Triggers => {
                    self.cdc.captured = self.log.captured();
                    self.cdc.trigger_applied += self.apply_backlog(usize::MAX, 0, out).1;
                }
                Ok(_) => self.cdc.captured = self.log.captured(),
                // Capture cannot keep up: the change stream must be resynchronised.
                Err(why) => return self.stop(why, out),
            }
        }
        self.at(self.now + gap, Ev::Write);
    }

    /// Whether the application runs on the target under watch (blue-green, after the
    /// cut-over, before cleanup).
    fn watching(&self) -> bool {
        self.routing == Routing::Target
            && self.phase == Phase::Verification
            && self.cfg.strategy == Strategy::BlueGreen
    }

    /// The application's error rate now, in percent, and when the spike making it ends (ms).
    fn error_rate(&mut self) -> (u32, f64) {
        let (pct, end) = self.faults.error_rate(ms(self.now));
        self.writes.error_rate_pct_max = self.writes.error_rate_pct_max.max(pct.into());
        (pct, end)
    }

    /// Whether this application request fails: at `p` % a request fails each time the
    /// accumulated rate passes 100 (deterministic, no draw).
    fn request_fails(&mut self) -> bool {
        let (pct, _) = self.error_rate();
        if pct == 0 {
            return false;
        }
        self.error_acc += pct;
        let fails = self.error_acc >= 100;
        if fails {
            self.error_acc -= 100;
        }
        fails
    }

    /// One application write on the target during the watch. The side's source rows stand
    /// for the application's logical data, which the target mirrors: the write lands there
    /// and the target records it touches are rewritten at once. Without `bidirectional` the
    /// source as the cut-over left it is kept apart (`blue`), so a rollback loses exactly
    /// these writes; with it they are applied back (counted per watch check).
    fn write_target(&mut self) {
        let Some(w) = self.writer.as_mut() else {
            return;
        };
        let Some(mut e) = self.side.ops_mut().write(w, self.now) else {
            return;
        };
        let pos = self.log.commit(e.clone(), false).expect("not capturing");
        e.position = pos;
        let apply = super::config::CdcApply::Correct;
        self.side
            .ops_mut()
            .apply(std::slice::from_ref(&e), apply, pos);
        self.writes.on_target += 1;
        if self.cfg.bidirectional {
            self.reverse_backlog += 1;
        }
        if self.target_writes.len() >= OUT_LOG_MAX {
            self.target_writes.pop_front();
        }
        self.target_writes.push_back(e);
    }

    /// Writes made on the target during the watch (the newest [`OUT_LOG_MAX`]).
    pub fn target_writes(&self) -> impl Iterator<Item = &ChangeEvent> {
        self.target_writes.iter()
    }

    /// A check during the watch: writes in flight applied back (`bidirectional`), and a
    /// rollback when the error rate on the target is above the threshold.
    fn on_watch(&mut self, out: &mut Vec<Out>) {
        if !self.watching() {
            return;
        }
        self.writes.replicated_back += std::mem::take(&mut self.reverse_backlog);
        let (pct, _) = self.error_rate();
        if pct > self.cfg.error_rate_max_pct {
            let why = format!(
                "error rate {pct}% on the target after the cut-over (threshold {}%)",
                self.cfg.error_rate_max_pct
            );
            return self.stop(why, out);
        }
        self.after(self.cfg.cost.cdc_poll_us, Ev::Watch);
    }

    /// The watch ended without trouble: cleanup (the source copy kept for it goes).
    fn end_watch(&mut self, out: &mut Vec<Out>) {
        self.writes.replicated_back += std::mem::take(&mut self.reverse_backlog);
        self.side.forget(Kept::Blue);
        self.enter(Phase::Cleanup, out);
    }

    /// Enter the cut-over now or, while the application's error rate is above the
    /// threshold, once the spike ends (big-bang, copy-and-switch; blue-green checks in
    /// [`CopyJob::try_cutover`]).
    fn cutover_unless_errors(&mut self, out: &mut Vec<Out>) {
        let (pct, end_ms) = self.error_rate();
        if pct <= self.cfg.error_rate_max_pct {
            return self.enter(Phase::Cutover, out);
        }
        self.cdc.postponed += 1;
        self.cdc.error_postponed += 1;
        self.at(SimTime::from_ms(end_ms as u64), Ev::TryCutover(self.phase));
        let text = format!(
            "cut-over postponed: error rate {pct}% above {}%",
            self.cfg.error_rate_max_pct
        );
        self.emit(OutKind::Note { text }, out);
    }

    /// Move to `to` (the state machine must allow it).
    fn enter(&mut self, to: Phase, out: &mut Vec<Out>) {
        let from = self.phase;
        let to = next(from, to).expect("the job only takes legal transitions");
        self.phase = to;
        if let Some(s) = self.spans.last_mut() {
            s.end_ms = ms(self.now);
        }
        self.spans.push(PhaseSpan {
            phase: to,
            start_ms: ms(self.now),
            end_ms: ms(self.now),
        });
        self.emit(OutKind::Phase { from, to }, out);
        self.on_enter(to, out);
    }

    fn on_enter(&mut self, p: Phase, out: &mut Vec<Out>) {
        let c = self.cfg.cost.clone();
        let rows = self.side.ops().source_records();
        match p {
            Phase::SchemaPreparation => {
                if self.cfg.strategy == Strategy::BlueGreen {
                    self.capture = true; // The replication slot opens before the snapshot.
                }
                self.after(c.schema_us, Ev::PhaseDone(p));
            }
            Phase::Extraction => self.on_extraction(),
            Phase::Transformation => self.after(rows * c.index_row_us, Ev::PhaseDone(p)),
            Phase::Loading => self.on_loading(),
            Phase::RelationshipMigration => {
                let refs = self.side.ops().relationships();
                self.after(rows * c.index_row_us * refs, Ev::PhaseDone(p));
            }
            Phase::Verification if self.watching() => {
                self.after(self.cfg.watch_ms * 1_000, Ev::PhaseDone(p));
                self.after(0, Ev::Watch);
            }
            Phase::Verification => {
                let us = rows * c.verify_row_us * u64::from(self.cfg.validation as u8 > 0);
                self.after(us, Ev::PhaseDone(p));
                if self.cfg.strategy == Strategy::BlueGreen {
                    self.sync_start = Some(self.now);
                    self.after(self.cfg.verify_interval_ms * 1_000, Ev::VerifyPass);
                }
            }
            Phase::Cutover => self.on_cutover(out),
            Phase::Cleanup => self.after(c.schema_us / 2, Ev::PhaseDone(p)),
            Phase::Rollback => self.on_rollback_start(),
            Phase::Complete | Phase::Failed => self.queue.clear(),
            Phase::Validation => {}
        }
    }

    fn on_phase_done(&mut self, out: &mut Vec<Out>) {
        if let Some(why) = self
            .reason
            .clone()
            .filter(|_| self.phase != Phase::Rollback)
        {
            return self.stop(why, out);
        }
        match self.phase {
            Phase::Validation => self.enter(Phase::SchemaPreparation, out),
            Phase::SchemaPreparation => self.enter(Phase::Extraction, out),
            Phase::Extraction => self.enter(Phase::Transformation, out),
            Phase::Transformation => self.enter(Phase::Loading, out),
            Phase::RelationshipMigration if self.cfg.strategy == Strategy::CopyAndSwitch => {
                self.cutover_unless_errors(out)
            }
            Phase::RelationshipMigration => self.enter(Phase::Verification, out),
            Phase::Verification => self.on_verification_done(out),
            Phase::Cleanup => {
                self.capture = false;
                self.enter(Phase::Complete, out)
            }
            Phase::Rollback => self.on_rollback_done(out),
            Phase::Loading | Phase::Cutover | Phase::Complete | Phase::Failed => {}
        }
    }

    fn on_extraction(&mut self) {
        self.snapshot_pos = self.log.position();
        if self.cfg.strategy == Strategy::CopyAndSwitch {
            // Capture from the snapshot on, only to name (or catch up) what the copy misses.
            self.capture = true;
        }
        let faults = self.faults.clone();
        let per_group = self.side.snapshot(&|t, k| faults.unconvertible(t, k));
        for (name, n) in self.side.ops().names().iter().zip(per_group) {
            if n > 0 {
                self.progress.tables.entry(name.clone()).or_default().total += n;
            }
        }
        self.after(
            self.cfg.cost.batch_overhead_us,
            Ev::PhaseDone(Phase::Extraction),
        );
    }

    fn on_loading(&mut self) {
        let mut start = 0usize;
        let mut rows = 0u64;
        let units = self.side.units();
        for i in 0..units {
            rows += self.side.unit(i).2;
            if rows >= self.cfg.batch_rows || i + 1 == units {
                self.pending_batches.push_back(Batch {
                    id: self.next_batch,
                    units: start..i + 1,
                    rows,
                    attempt: 0,
                });
                self.next_batch += 1;
                start = i + 1;
                rows = 0;
            }
        }
        self.progress.copy_started = Some(self.now);
        if self.cfg.strategy == Strategy::BlueGreen {
            self.after(self.cfg.cost.cdc_poll_us, Ev::Poll);
        }
        self.dispatch();
        self.maybe_loaded();
    }

    /// The end of the lag spike stalling the change applier now, if one does.
    fn stalled(&self) -> Option<SimTime> {
        self.spikes
            .iter()
            .filter(|(a, b)| *a <= self.now && self.now < *b)
            .map(|s| s.1)
            .max()
    }

    fn lag_us(&self) -> u64 {
        self.log
            .oldest()
            .map_or(0, |e| self.now.since(e.at).as_us())
    }

    fn throttled(&self) -> bool {
        let t = self.cfg.throttle_lag_ms;
        let streaming = self.cfg.strategy == Strategy::BlueGreen;
        streaming && self.capture && t > 0 && self.lag_us() > t * 1_000
    }

    /// Hand waiting batches to idle workers (unless throttled).
    fn dispatch(&mut self) {
        if self.phase != Phase::Loading {
            return;
        }
        if self.throttled() && !self.pending_batches.is_empty() {
            self.cdc.throttled += 1;
            return;
        }
        for w in 0..self.workers.len() {
            if self.workers[w].busy.is_some() || self.workers[w].down {
                continue;
            }
            let Some(b) = self.pending_batches.pop_front() else {
                return;
            };
            let c = &self.cfg.cost;
            let us = c.batch_overhead_us + b.rows * c.row_us();
            let timeout = self.cfg.batch_timeout_us();
            let gen = self.workers[w].gen;
            if us > timeout || self.faults.times_out(b.id, b.attempt) {
                self.after(timeout, Ev::BatchTimeout { worker: w, gen });
            } else {
                self.after(us, Ev::BatchDone { worker: w, gen });
            }
            self.workers[w].busy = Some(b);
        }
    }

    fn on_batch_done(&mut self, w: usize, gen: u64, out: &mut Vec<Out>) {
        if self.workers[w].gen != gen {
            return;
        }
        let Some(b) = self.workers[w].busy.take() else {
            return;
        };
        let (mut ok, mut failed) = (0u64, 0u64);
        for i in b.units.clone() {
            let name = self.side.ops().names()[self.side.unit(i).0].clone();
            let res = self
                .side
                .load(i, self.snapshot_pos, b.attempt, self.cfg.cdc_apply);
            let t = self.progress.tables.entry(name).or_default();
            t.processed += 1;
            match res {
                Ok(()) => {
                    t.succeeded += 1;
                    ok += 1;
                }
                Err(e) => {
                    t.failed += 1;
                    failed += 1;
                    self.progress.error(e);
                }
            }
        }
        self.emit(
            OutKind::Batch {
                worker: w,
                ok,
                failed,
            },
            out,
        );
        let failed_total = self.progress.total().failed;
        if failed_total > self.cfg.error_budget_records {
            let why = format!(
                "{failed_total} records failed conversion (budget {})",
                self.cfg.error_budget_records
            );
            return self.stop(why, out);
        }
        self.dispatch();
        self.maybe_loaded_out(out);
    }

    fn on_batch_timeout(&mut self, w: usize, gen: u64, out: &mut Vec<Out>) {
        if self.workers[w].gen != gen {
            return;
        }
        let Some(mut b) = self.workers[w].busy.take() else {
            return;
        };
        let why = format!(
            "batch {} timed out after {} ms",
            b.id, self.cfg.batch_timeout_ms
        );
        self.requeue(&mut b, ErrorKind::Timeout, why, out);
        self.dispatch();
    }

    /// Retry a batch at the front of the queue, or stop when its retries are spent.
    fn requeue(&mut self, b: &mut Batch, kind: ErrorKind, why: String, out: &mut Vec<Out>) {
        let (coll, key, _) = self.side.unit(b.units.start);
        let e = RecordError {
            table: self.side.ops().entity(coll).to_string(),
            key: format!("batch {} (from key {key})", b.id),
            kind,
            message: why.clone(),
            retries: b.attempt,
        };
        self.progress.error(e);
        if b.attempt >= self.cfg.max_retries {
            return self.stop(format!("{why}; {} retries spent", b.attempt), out);
        }
        b.attempt += 1;
        self.retries += 1;
        self.emit(
            OutKind::Retry {
                batch: b.id,
                attempt: b.attempt,
                why,
            },
            out,
        );
        self.pending_batches.push_front(b.clone());
    }

    fn on_crash(&mut self, w: usize, out: &mut Vec<Out>) {
        if self.phase.is_terminal() || self.phase == Phase::Rollback {
            return;
        }
        self.crashes += 1;
        self.workers[w].gen += 1;
        self.workers[w].down = true;
        self.after(self.cfg.cost.worker_restart_us, Ev::Restart(w));
        if let Some(mut b) = self.workers[w].busy.take() {
            let why = format!("worker {w} crashed");
            self.requeue(&mut b, ErrorKind::WorkerCrash, why, out);
        } else if !self.last_applied.is_empty() {
            // The applier died before its position was saved: the batch comes again.
            let batch = std::mem::take(&mut self.last_applied);
            self.cdc.redelivered += batch.len() as u64;
            self.log.redeliver(batch);
        }
        let text = format!(
            "worker {w} crashed; restarts in {} µs",
            self.cfg.cost.worker_restart_us
        );
        self.emit(OutKind::Note { text }, out);
        self.dispatch();
    }

    fn maybe_loaded(&mut self) {
        let mut out = Vec::new();
        self.maybe_loaded_out(&mut out);
    }

    fn maybe_loaded_out(&mut self, out: &mut Vec<Out>) {
        let busy = self.workers.iter().any(|w| w.busy.is_some());
        if self.phase == Phase::Loading && self.pending_batches.is_empty() && !busy {
            self.enter(Phase::RelationshipMigration, out);
        }
    }

    /// Apply waiting changes (blue-green), measure lag, re-check throttle and cut-over.
    fn on_poll(&mut self, out: &mut Vec<Out>) {
        if !self.capture || self.phase.is_terminal() || self.phase == Phase::Rollback {
            return;
        }
        let lag = self.lag_us();
        self.cdc.lag_ms_max = self.cdc.lag_ms_max.max(lag as f64 / 1e3);
        self.cdc.backlog_max = self.cdc.backlog_max.max(self.log.backlog() as u64);
        let mut cost = 0;
        if self.stalled().is_some() && self.phase != Phase::Cutover {
            self.cdc.stalled_polls += 1;
        } else {
            cost = self.apply_backlog(CDC_EVENTS_PER_POLL, lag, out).0;
        }
        let every_us = match self.cfg.sync {
            SyncMode::Polling { interval_ms, .. } => interval_ms * 1_000,
            _ => self.cfg.cost.cdc_poll_us,
        };
        self.after(every_us + cost, Ev::Poll);
        self.dispatch();
        if self.phase == Phase::Verification {
            self.try_cutover(out);
        }
    }

    /// Apply up to `n` events (as a poller sees them, when polling); returns the time it
    /// took, in µs, and the events applied.
    fn apply_backlog(&mut self, n: usize, lag: u64, out: &mut Vec<Out>) -> (u64, u64) {
        let mut batch = self.log.take(n);
        if let SyncMode::Polling { soft_delete, .. } = self.cfg.sync {
            batch = self.polled(batch, soft_delete);
        }
        if batch.is_empty() {
            return (0, 0);
        }
        let pos = self.log.position();
        let rows = self.side.ops_mut().apply(&batch, self.cfg.cdc_apply, pos);
        self.cdc.applied += batch.len() as u64;
        let events = batch.len() as u64;
        self.last_applied = batch;
        let what = OutKind::Applied {
            events,
            backlog: self.log.backlog() as u64,
            lag_us: lag,
        };
        self.emit(what, out);
        let us = events * self.cfg.cost.cdc_event_us + rows * self.cfg.cost.write_row_us;
        (us, events)
    }

    /// What a poller reads of `batch`: each row's latest state once, and no hard deletes.
    fn polled(&mut self, batch: Vec<ChangeEvent>, soft_delete: bool) -> Vec<ChangeEvent> {
        let total = batch.len() as u64;
        let mut last: BTreeMap<(String, i64), ChangeEvent> = BTreeMap::new();
        for e in batch {
            last.insert((e.table.clone(), e.key), e);
        }
        self.cdc.missed_intermediate += total - last.len() as u64;
        let mut seen: Vec<ChangeEvent> = last.into_values().collect();
        if !soft_delete {
            let before = seen.len() as u64;
            seen.retain(|e| e.op != super::workload::Op::Delete);
            self.cdc.missed_deletes += before - seen.len() as u64;
        }
        crate::sim::sort::sort_by_key(&mut seen, |e| e.position);
        seen
    }

    fn on_verify_pass(&mut self) {
        if self.phase != Phase::Verification {
            return;
        }
        let pending = self.side.ops().pending_units(&mut self.log.iter());
        let units = self
            .side
            .ops()
            .units_from(&mut self.cursor, self.cfg.verify_records_per_pass as usize);
        let (p, ok, bad) = self.side.ops().check_units(&units, &pending);
        self.continuous.passes += 1;
        self.continuous.pending += p;
        self.continuous.validated += ok;
        self.continuous.mismatched += bad;
        self.after(self.cfg.verify_interval_ms * 1_000, Ev::VerifyPass);
    }

    fn verify_now(&mut self, out: &mut Vec<Out>) -> bool {
        use super::config::ValidationLevel as L;
        let level = self.cfg.validation;
        if level == L::None {
            self.emit(
                OutKind::Note {
                    text: "verification skipped (validation: none)".into(),
                },
                out,
            );
            return true;
        }
        let sample = self.cfg.sample_records as usize;
        let mut v = self
            .side
            .ops_mut()
            .verify(sample, self.seed, level == L::FullCompare);
        if level == L::Counts {
            v.passed = v.expected_counts == v.actual_counts;
        }
        let passed = v.passed;
        self.verifications.push((self.phase, v));
        self.emit(OutKind::Verified { passed }, out);
        passed
    }

    fn on_verification_done(&mut self, out: &mut Vec<Out>) {
        if self.watching() {
            return self.end_watch(out);
        }
        if self.cfg.strategy == Strategy::BlueGreen {
            if let Some(end) = self.stalled() {
                // The applier is stalled: verify once it is back.
                self.at(end, Ev::PhaseDone(Phase::Verification));
                return;
            }
            // Verify at a consistent cut: everything captured so far applied.
            let (n, lag) = (self.log.backlog(), self.lag_us());
            self.apply_backlog(n, lag, out);
        }
        let passed = self.verify_now(out);
        if self.cfg.strategy == Strategy::CopyAndSwitch {
            // After the switch: the verification names what the copy missed; the target is
            // live, so the job completes and reports the loss.
            return self.enter(Phase::Cleanup, out);
        }
        if !passed {
            return self.stop("verification failed".into(), out);
        }
        match self.cfg.strategy {
            Strategy::BlueGreen => self.try_cutover(out),
            _ => self.cutover_unless_errors(out),
        }
    }

    /// Start the cut-over once the verification ran and the postpone condition holds.
    fn try_cutover(&mut self, out: &mut Vec<Out>) {
        if self.phase != Phase::Verification {
            return;
        }
        let verified = self
            .verifications
            .iter()
            .any(|v| v.0 == Phase::Verification);
        let ok = verified
            && match self.cfg.postpone_cutover {
                PostponeCutover::Never => true,
                PostponeCutover::BacklogAtMost { events } => self.log.backlog() as u64 <= events,
                PostponeCutover::LagAtMost { ms } => self.lag_us() <= ms * 1_000,
            };
        let synced_us = self.sync_start.map_or(0, |t| self.now.since(t).as_us());
        let long_enough = synced_us >= self.cfg.sync_ms_min * 1_000;
        let (err_pct, _) = self.error_rate();
        let errors_ok = err_pct <= self.cfg.error_rate_max_pct;
        if ok && long_enough && errors_ok && self.stalled().is_none() {
            self.enter(Phase::Cutover, out);
        } else if synced_us > self.cfg.cutover_wait_ms_max * 1_000 {
            let errors = if errors_ok {
                String::new()
            } else {
                format!(", error rate {err_pct}%")
            };
            let why = format!(
                "cut-over postponed for over {} ms (backlog {}, lag {} ms{errors})",
                self.cfg.cutover_wait_ms_max,
                self.log.backlog(),
                self.lag_us() / 1_000
            );
            self.stop(why, out);
        } else {
            self.cdc.postponed += 1;
            self.cdc.error_postponed += u64::from(!errors_ok);
        }
    }

    fn on_cutover(&mut self, out: &mut Vec<Out>) {
        if self.ro_start.is_none() {
            self.ro_start = Some(self.now);
        }
        self.writes_open = false;
        let catch_up = self.cfg.strategy == Strategy::CopyAndSwitch && self.cfg.catch_up;
        if self.cfg.strategy == Strategy::BlueGreen || catch_up {
            let n = self.log.backlog();
            let lag = self.lag_us();
            let us = self.apply_backlog(n, lag, out).0;
            self.after(us, Ev::Drained);
        } else {
            self.after(0, Ev::Drained);
        }
    }

    fn on_drained(&mut self, out: &mut Vec<Out>) {
        if self.phase != Phase::Cutover {
            return;
        }
        if self.cfg.strategy == Strategy::CopyAndSwitch {
            self.count_lost();
        }
        self.after(self.cfg.cost.routing_switch_us, Ev::Switched);
        let text = format!(
            "source read-only, backlog drained ({} left)",
            self.log.backlog()
        );
        self.emit(OutKind::Note { text }, out);
    }

    fn count_lost(&mut self) {
        for e in self.log.iter() {
            self.writes.lost += 1;
            if self.writes.lost_examples.len() < LOST_KEPT_MAX {
                self.writes.lost_examples.push(write_words(e));
            }
        }
        self.log.clear();
    }

    fn on_switched(&mut self, out: &mut Vec<Out>) {
        if self.phase != Phase::Cutover {
            return;
        }
        if self.faults.cutover_fails() {
            return self.stop(
                "cut-over failed: the routing switch did not take".into(),
                out,
            );
        }
        if self.cfg.strategy == Strategy::BlueGreen {
            // Verify on the frozen source before the application writes to green.
            let us = self.side.ops().source_records() * self.cfg.cost.verify_row_us;
            self.after(us, Ev::CutoverVerified);
            return;
        }
        self.open_target(out);
    }

    fn on_cutover_verified(&mut self, out: &mut Vec<Out>) {
        if self.phase != Phase::Cutover {
            return;
        }
        if !self.verify_now(out) {
            return self.stop("verification at cut-over failed".into(), out);
        }
        self.open_target(out);
    }

    /// The application now reads and writes the target.
    fn open_target(&mut self, out: &mut Vec<Out>) {
        self.routing = Routing::Target;
        if let Some(c) = self.cache.as_mut() {
            c.schema_changed();
        }
        self.capture = false;
        self.writes_open = true;
        self.ro_end = Some(self.now);
        self.emit(
            OutKind::Note {
                text: "routing switched to the target".into(),
            },
            out,
        );
        match self.cfg.strategy {
            Strategy::CopyAndSwitch => {
                let us = self.side.ops().source_records() * self.cfg.cost.verify_row_us;
                self.after(us, Ev::PhaseDone(Phase::Verification));
                self.enter(Phase::Verification, out);
            }
            Strategy::BlueGreen if self.cfg.watch_ms > 0 => {
                if !self.cfg.bidirectional {
                    self.side.keep(Kept::Blue);
                }
                self.enter(Phase::Verification, out);
            }
            _ => self.enter(Phase::Cleanup, out),
        }
    }

    /// Stop: roll back when enabled, else fail.
    fn stop(&mut self, why: String, out: &mut Vec<Out>) {
        if self.phase.is_terminal() || self.phase == Phase::Rollback {
            return;
        }
        self.reason = Some(why.clone());
        self.emit(
            OutKind::Note {
                text: format!("stopping: {why}"),
            },
            out,
        );
        for w in &mut self.workers {
            w.busy = None;
            w.gen += 1;
        }
        self.pending_batches.clear();
        if self.cfg.rollback_enabled && self.phase != Phase::Validation {
            self.enter(Phase::Rollback, out);
        } else {
            self.enter(Phase::Failed, out);
        }
    }

    /// Before rolling back: what it will lose, in words (kept in the report).
    fn rollback_losses(&self) -> Vec<String> {
        let target = self.side.ops().target_len();
        let mut out = vec![format!(
            "the target is dropped ({target} records copied so far)"
        )];
        let restore = self.cfg.rollback == RollbackMode::RestoreCheckpoint;
        match (&self.checkpoint, restore) {
            (Some((_, pos)), true) => out.push(format!(
                "restoring the checkpoint undoes the {} writes committed since it",
                self.log.position() - pos
            )),
            (None, true) => out.push("no checkpoint was taken: the source stays as it is".into()),
            (_, false) => out.push("the source keeps every write".into()),
        }
        if self.routing == Routing::Target {
            out.push(self.target_writes_fate());
        }
        out
    }

    /// What a rollback after the cut-over does with the writes made on the target.
    fn target_writes_fate(&self) -> String {
        let n = self.writes.on_target;
        if self.cfg.watch_ms == 0 {
            return "writes made on the target after the cut-over are lost".into();
        }
        if self.cfg.bidirectional {
            return format!(
                "the {n} writes made on the target after the cut-over are kept: {} applied \
                 back to the source already, the {} in flight applied before routing back",
                self.writes.replicated_back, self.reverse_backlog
            );
        }
        let named: Vec<String> = self
            .target_writes
            .iter()
            .take(LOST_KEPT_MAX)
            .map(write_words)
            .collect();
        format!(
            "the {n} writes made on the target after the cut-over are lost (no bidirectional \
             sync): {}",
            named.join(", ")
        )
    }

    /// The down steps a rollback runs (`down_steps`, `schema_only`), in order.
    fn down_steps(&self) -> Vec<String> {
        let mut steps = Vec::new();
        let schema_only = self.cfg.rollback == RollbackMode::SchemaOnly;
        if self.capture || self.cfg.strategy == Strategy::BlueGreen {
            steps.push("stop the change capture (drop the replication slot)".to_string());
        }
        if self.routing == Routing::Target {
            if self.cfg.bidirectional && !schema_only {
                steps.push(format!(
                    "apply the {} writes in flight back to the source",
                    self.reverse_backlog
                ));
            }
            steps.push("route the application back to the source".into());
        }
        for name in self.side.ops().names() {
            steps.push(if schema_only {
                format!("drop the target's {name} definition and indexes (no data restore)")
            } else {
                format!("drop the target's {name}")
            });
        }
        steps
    }

    fn on_rollback_start(&mut self) {
        self.reversibility = self.side.ops_mut().reversibility();
        self.writes.rollback_losses = self.rollback_losses();
        self.queue
            .retain(|_, e| matches!(e, Ev::Write | Ev::CacheTick));
        self.writes_open = false;
        let rows = self.side.ops().source_records();
        let us = match self.cfg.rollback {
            RollbackMode::RestoreCheckpoint => rows * self.cfg.cost.write_row_us,
            RollbackMode::DropTarget => self.cfg.cost.schema_us,
            RollbackMode::DownSteps | RollbackMode::SchemaOnly => {
                self.writes.rollback_steps = self.down_steps();
                self.writes.rollback_steps.len() as u64 * self.cfg.cost.schema_us / 2
            }
        };
        self.writes.replicated_back += std::mem::take(&mut self.reverse_backlog);
        self.after(us, Ev::PhaseDone(Phase::Rollback));
    }

    fn on_rollback_done(&mut self, out: &mut Vec<Out>) {
        self.side.ops_mut().drop_target();
        self.capture = false;
        self.log.clear();
        if self.side.restore(Kept::Blue) {
            // Back to the source as the cut-over left it: the writes on the target are gone.
            self.writes.lost_on_rollback = self.writes.on_target;
            self.writes.lost_on_rollback_examples = self
                .target_writes
                .iter()
                .take(LOST_KEPT_MAX)
                .map(write_words)
                .collect();
        }
        if self.cfg.rollback == RollbackMode::RestoreCheckpoint {
            if let Some((_, pos)) = self.checkpoint {
                self.side.restore(Kept::Checkpoint);
                self.writes.undone_by_restore = self.log.position() - pos;
            }
        }
        if self.routing == Routing::Target {
            if let Some(c) = self.cache.as_mut() {
                c.schema_changed();
            }
        }
        self.routing = Routing::Source;
        self.writes_open = true;
        if self.ro_start.is_some() && self.ro_end.is_none() {
            self.ro_end = Some(self.now);
        }
        self.enter(Phase::Failed, out);
    }

    /// Run until done or `max_events` events, from a queued or running job.
    pub fn run_to_end(&mut self, max_events: u64) -> Result<(), String> {
        if !self.started {
            self.start(SimTime::ZERO);
        }
        for _ in 0..max_events {
            match self.next_at() {
                Some(t) if t.as_us() > RUN_US_MAX => {
                    return Err(format!(
                        "the migration is still in {} after one simulated day",
                        self.phase.name()
                    ))
                }
                Some(t) => {
                    self.step(t);
                }
                None => return Ok(()),
            }
        }
        if self.is_done() {
            Ok(())
        } else {
            Err(format!(
                "the migration did not finish within {max_events} events"
            ))
        }
    }

    /// The run's report.
    pub fn report(&mut self) -> super::report::MigrationReport {
        super::report::build(self)
    }

    pub(crate) fn parts(&mut self) -> super::report::Parts<'_> {
        super::report::Parts {
            cfg: &self.cfg,
            seed: self.seed,
            side: self.side.ops_mut(),
            phase: self.phase,
            reason: self.reason.clone(),
            spans: &self.spans,
            progress: &self.progress,
            verifications: &self.verifications,
            continuous: &self.continuous,
            cdc: &self.cdc,
            writes: &self.writes,
            ro: (self.ro_start, self.ro_end),
            checkpoint: self.checkpoint.map(|c| c.0),
            source_before: self.source_before,
            retries: self.retries,
            crashes: self.crashes,
            routing: self.routing,
            cache: self.cache.as_ref().map(Cache::report),
            reversibility: &self.reversibility,
        }
    }
}

fn ms(t: SimTime) -> f64 {
    t.as_us() as f64 / 1e3
}

/// A write as `table key op @position`.
fn write_words(e: &ChangeEvent) -> String {
    let op = format!("{:?}", e.op).to_lowercase();
    format!("{} {} {op} @{}", e.table, e.key, e.position)
}

// ---- Read-only accessors for the page's Migration view (added by the page side; they read
// the job's state and change nothing). ----
impl CopyJob {
    /// The job's configuration.
    pub fn config(&self) -> &MigrationConfig {
        &self.cfg
    }
    /// The read-through cache, when the job has one.
    pub fn cache(&self) -> Option<&Cache> {
        self.cache.as_ref()
    }
    /// Change events captured and not applied yet.
    pub fn backlog(&self) -> u64 {
        self.log.backlog() as u64
    }
    /// Age of the oldest waiting change event at `now`, in µs (0 with no backlog).
    pub fn lag_us_at(&self, now: SimTime) -> u64 {
        self.log.oldest().map_or(0, |e| now.since(e.at).as_us())
    }
    /// Change stream counters.
    pub fn cdc(&self) -> &CdcStats {
        &self.cdc
    }
    /// Continuous verification, summed over passes.
    pub fn continuous(&self) -> &Continuous {
        &self.continuous
    }
    /// The application's writes.
    pub fn writes(&self) -> &WriteStats {
        &self.writes
    }
    /// Each phase's span so far.
    pub fn spans(&self) -> &[PhaseSpan] {
        &self.spans
    }
    /// Verifications so far, with the phase each ran in.
    pub fn verifications(&self) -> &[(Phase, Verification)] {
        &self.verifications
    }
    /// Why the job stopped, when it did.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
    /// When the application lost writes (writes stopped or source read-only), and when it got
    /// them back.
    pub fn read_only_window(&self) -> (Option<SimTime>, Option<SimTime>) {
        (self.ro_start, self.ro_end)
    }
    /// Batch retries and worker crashes so far.
    pub fn retries_and_crashes(&self) -> (u64, u64) {
        (self.retries, self.crashes)
    }
    /// Workers copying a batch now, and workers down.
    pub fn workers_busy_down(&self) -> (usize, usize) {
        let busy = self.workers.iter().filter(|w| w.busy.is_some()).count();
        let down = self.workers.iter().filter(|w| w.down).count();
        (busy, down)
    }
    /// Whether copy batch `batch` has not run its first attempt yet (so a timeout injected
    /// for it now changes nothing that already happened).
    pub fn batch_unstarted(&self, batch: u64) -> bool {
        match self.phase {
            _ if !self.started => true,
            p if p < Phase::Loading => true,
            Phase::Loading => self
                .pending_batches
                .iter()
                .any(|b| b.id == batch && b.attempt == 0),
            _ => false,
        }
    }
    /// The lowest copy batch that has not run yet, if any is left.
    pub fn first_unstarted_batch(&self) -> Option<u64> {
        match self.phase {
            _ if !self.started => Some(0),
            p if p < Phase::Loading => Some(0),
            Phase::Loading => self
                .pending_batches
                .iter()
                .filter(|b| b.attempt == 0)
                .map(|b| b.id)
                .min(),
            _ => None,
        }
    }
}

// ---- The side with the job's typed state, behind one object-safe trait ----

/// A copy of the source the job keeps.
#[derive(Clone, Copy, Debug)]
enum Kept {
    /// Taken before the migration (`checkpoint_before`).
    Checkpoint,
    /// Blue-green with a watch and no `bidirectional`: the source as the cut-over left it,
    /// what a rollback in the watch gives back.
    Blue,
}

/// A side with what the job holds in its types: the snapshot's units and the kept copies of
/// the source. A call per record at most: loading a unit goes through here, its fields do
/// not. Not `Debug`: through the vtable every side's `Debug` code would reach the page.
trait Stores {
    fn ops(&self) -> &dyn SideOps;
    fn ops_mut(&mut self) -> &mut dyn SideOps;
    /// The side itself, for [`Migration::side`].
    fn side(&self) -> &dyn Any;
    fn clone_box(&self) -> Box<dyn Stores>;
    /// Keep a copy of the source as `kept` (replacing an older one).
    fn keep(&mut self, kept: Kept);
    /// Put the source back as copy `kept` holds it; the copy goes. False without one.
    fn restore(&mut self, kept: Kept) -> bool;
    /// Drop copy `kept`.
    fn forget(&mut self, kept: Kept);
    /// Take the consistent snapshot of the source; returns its units per unit group.
    fn snapshot(&mut self, unconvertible: &(dyn Fn(&str, i64) -> bool + Sync)) -> Vec<u64>;
    /// Units in the snapshot.
    fn units(&self) -> usize;
    /// Unit `i` of the snapshot: (group, key, logical rows).
    fn unit(&self, i: usize) -> (usize, i64, u64);
    /// Load unit `i` of the snapshot, read at `position`.
    fn load(
        &mut self,
        i: usize,
        position: u64,
        retries: u32,
        mode: CdcApply,
    ) -> Result<(), RecordError>;
}

impl Clone for Box<dyn Stores> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

impl std::fmt::Debug for Box<dyn Stores> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = self.ops().names();
        let units = self.units();
        f.debug_struct("Stores")
            .field("names", &names)
            .field("units", &units)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug)]
struct Typed<S: Side> {
    side: S,
    units: Vec<SnapUnit<S::Payload>>,
    checkpoint: Option<S::Checkpoint>,
    blue: Option<S::Checkpoint>,
}

impl<S: Side> Typed<S> {
    fn new(side: S) -> Typed<S> {
        Typed {
            side,
            units: Vec::new(),
            checkpoint: None,
            blue: None,
        }
    }

    fn slot(&mut self, kept: Kept) -> &mut Option<S::Checkpoint> {
        match kept {
            Kept::Checkpoint => &mut self.checkpoint,
            Kept::Blue => &mut self.blue,
        }
    }
}

impl<S: Side> Stores for Typed<S> {
    fn ops(&self) -> &dyn SideOps {
        &self.side
    }
    fn ops_mut(&mut self) -> &mut dyn SideOps {
        &mut self.side
    }
    fn side(&self) -> &dyn Any {
        &self.side
    }
    fn clone_box(&self) -> Box<dyn Stores> {
        Box::new(self.clone())
    }
    fn keep(&mut self, kept: Kept) {
        let copy = self.side.checkpoint();
        *self.slot(kept) = Some(copy);
    }
    fn restore(&mut self, kept: Kept) -> bool {
        let Some(copy) = self.slot(kept).take() else {
            return false;
        };
        self.side.restore(&copy);
        true
    }
    fn forget(&mut self, kept: Kept) {
        *self.slot(kept) = None;
    }
    fn snapshot(&mut self, unconvertible: &(dyn Fn(&str, i64) -> bool + Sync)) -> Vec<u64> {
        self.units = self.side.snapshot(unconvertible);
        let mut per_group = vec![0; self.side.names().len()];
        for u in &self.units {
            if let Some(n) = per_group.get_mut(u.coll) {
                *n += 1;
            }
        }
        per_group
    }
    fn units(&self) -> usize {
        self.units.len()
    }
    fn unit(&self, i: usize) -> (usize, i64, u64) {
        let u = &self.units[i];
        (u.coll, u.key, u.rows)
    }
    fn load(
        &mut self,
        i: usize,
        position: u64,
        retries: u32,
        mode: CdcApply,
    ) -> Result<(), RecordError> {
        self.side.load(&mut self.units[i], position, retries, mode)
    }
}
