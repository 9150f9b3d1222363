//! Expand / contract (pgroll-style) on documents: the `users` field `email` moves to
//! `contact.email` while two application versions run side by side. Expand: the new field is
//! added next to the old one and backfilled in batches; meanwhile v1 writes the old field and
//! v2 writes both, and with `dual_write` a trigger copies every v1 write into the new field.
//! Verification checks that both fields agree on every document; then all traffic moves to
//! v2 (cut-over) and contract removes the old field in batches. Without the trigger, a v1
//! write after its document was backfilled leaves the new field stale: verification names
//! those documents and the expand is rolled back (the new field removed). v2 also marks
//! `contact.verified`, data of the new shape only: an old version that writes documents back
//! without the fields it does not know loses it for good (see [`super::app`]).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

use super::app::{v1_write_back, AppReport, AppSettings, V1Writes};
use super::config::{check, invalid, ConfigError};
use super::job::{PhaseSpan, WriteStats};
use super::lazy::VersionSample;
use super::phase::{next, Phase, Progress, TableProgress};
use super::report::{MigrationReport, PhaseVerification, SameStore};
use super::to_docs::{Verification, MISMATCHES_KEPT_MAX};
use crate::sim::doc::builtin::{users_store, USERS};
use crate::sim::doc::store::{DocStore, Filter};
use crate::sim::doc::update::UpdateOp;
use crate::sim::doc::ID_FIELD;
use crate::sim::rng::SimRng;

/// Backfill intervals allowed per batch the collection needs (plus a fixed margin): a
/// backfill that old code keeps undoing never finishes, and is stopped.
const BACKFILL_ROUNDS_PER_BATCH: u64 = 10;

const OLD: &str = "email";
const NEW: &str = "contact.email";
/// Data only v2 writes (it exists in the new shape only, so no backfill can re-derive it).
const V2_ONLY: &str = "contact.verified";

/// Settings of an expand / contract migration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExpandSettings {
    /// Documents backfilled (expand) or cleaned (contract) per interval. Default 50.
    /// Range 1 ..= 1 000 000.
    pub batch_docs: u64,
    /// Interval between batches, in ms. Default 200. Range 1 ..= 3 600 000.
    pub interval_ms: u64,
    /// Share of writes made by the new application version (0.0 ..= 1.0). Default 0.5.
    pub v2_share: f64,
    /// A trigger copies v1's writes of the old field into the new one. Default true.
    pub dual_write: bool,
}

impl Default for ExpandSettings {
    fn default() -> Self {
        ExpandSettings {
            batch_docs: 50,
            interval_ms: 200,
            v2_share: 0.5,
            dual_write: true,
        }
    }
}

impl ExpandSettings {
    /// Check the ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check("expand.batch_docs", self.batch_docs, 1, 1_000_000)?;
        check("expand.interval_ms", self.interval_ms, 1, 3_600_000)?;
        if !(0.0..=1.0).contains(&self.v2_share) {
            return Err(invalid("expand.v2_share", "must be in 0.0 ..= 1.0"));
        }
        Ok(())
    }
}

struct Run {
    store: DocStore,
    rng: SimRng,
    now_us: u64,
    spans: Vec<PhaseSpan>,
    samples: Vec<VersionSample>,
    writes: WriteStats,
    /// The email each document must end with (the latest write).
    truth: BTreeMap<u64, String>,
    /// Documents v2 marked `contact.verified`.
    verified: std::collections::BTreeSet<u64>,
    rows: u64,
    /// After the cut-over only v2 runs, and it writes the new field only.
    contracting: bool,
    app: AppSettings,
    app_r: AppReport,
    /// v2 is released (expand running): v1 requests are deprecated.
    released: bool,
    v1_in_interval: u64,
}

impl Run {
    fn enter(&mut self, p: Phase) {
        let ms = self.now_us as f64 / 1e3;
        if let Some(s) = self.spans.last_mut() {
            next(s.phase, p).expect("expand/contract takes legal transitions");
            s.end_ms = ms;
        }
        self.spans.push(PhaseSpan {
            phase: p,
            start_ms: ms,
            end_ms: ms,
        });
    }

    fn ops(&mut self, filter: &Filter, ops: &[UpdateOp]) -> Result<u64, ConfigError> {
        let r = self.store.update(USERS, filter, ops);
        Ok(r.map_err(|e| invalid("expand", e.to_string()))?.modified)
    }

    /// One interval: the application's writes, then `batch` applied to up to `n` documents
    /// still matching `todo`.
    fn interval(
        &mut self,
        s: &ExpandSettings,
        writes_per_s: u32,
        batch: Batch,
    ) -> Result<u64, ConfigError> {
        let us = s.interval_ms * 1_000;
        for _ in 0..arrivals(&mut self.rng, writes_per_s, us) {
            self.write(s)?;
        }
        if self.released {
            let at_ms = (self.now_us + us) as f64 / 1e3;
            self.app_r.deprecated(at_ms, self.v1_in_interval);
        }
        self.v1_in_interval = 0;
        let ids: Vec<Json> = self
            .store
            .collection(USERS)
            .map(|c| {
                c.iter()
                    .map(|(_, d)| d)
                    .filter(|d| batch.todo(d))
                    .take(s.batch_docs as usize)
                    .filter_map(|d| d.get(ID_FIELD).cloned())
                    .collect()
            })
            .unwrap_or_default();
        for id in &ids {
            let f = Filter::eq(ID_FIELD, id.clone());
            let doc = self
                .store
                .get(USERS, id)
                .ok()
                .flatten()
                .cloned()
                .unwrap_or_default();
            self.ops(&f, &batch.ops(&doc))?;
        }
        self.now_us += us;
        let sample = shapes(&self.store, self.now_us);
        self.samples.push(sample);
        Ok(ids.len() as u64)
    }

    /// A write by v1 (old field; the trigger or the adapter carries it into the new one)
    /// or v2 (both fields; the new one only once contracting).
    fn write(&mut self, s: &ExpandSettings) -> Result<(), ConfigError> {
        let id = self.rng.range_u64(1, self.rows);
        let email = format!("u{id}.{}@example.org", self.writes.committed);
        let v2 = self.rng.chance(s.v2_share) || self.contracting;
        if v2 {
            self.app_r.v2_writes += 1;
        } else {
            self.app_r.v1_writes += 1;
            self.v1_in_interval += 1;
            if self.app.v1_writes == V1Writes::ReadModifyWrite {
                return self.write_back(s, id, email);
            }
        }
        let adapted = !v2 && self.app.adapter && self.expanded(id);
        self.app_r.adapted_writes += u64::from(adapted);
        let mut ops = Vec::new();
        if !self.contracting {
            ops.push(UpdateOp::set(OLD, json!(email)));
        }
        if v2 || s.dual_write || adapted {
            ops.push(UpdateOp::set(NEW, json!(email)));
        }
        if v2 {
            ops.push(UpdateOp::set(V2_ONLY, json!(true)));
            self.verified.insert(id);
        }
        self.writes.committed += self.ops(&Filter::eq(ID_FIELD, json!(id)), &ops)?;
        self.truth.insert(id, email);
        Ok(())
    }

    fn expanded(&self, id: u64) -> bool {
        let doc = self.store.get(USERS, &json!(id)).ok().flatten();
        doc.is_some_and(|d| d.pointer("/contact/email").is_some())
    }

    /// v1 reads the whole document into its model and writes the model back (through the
    /// adapter when there is one); the trigger then copies the old field into the new one.
    fn write_back(
        &mut self,
        s: &ExpandSettings,
        id: u64,
        email: String,
    ) -> Result<(), ConfigError> {
        let key = json!(id);
        let Some(stored) = self.store.get(USERS, &key).ok().flatten().cloned() else {
            return Ok(());
        };
        let (doc, _) = v1_write_back(&stored, &email, self.app.adapter, &mut self.app_r);
        self.store
            .replace(USERS, &key, doc)
            .map_err(|e| invalid("expand", e.to_string()))?;
        if s.dual_write {
            self.ops(
                &Filter::eq(ID_FIELD, key),
                &[UpdateOp::set(NEW, json!(email))],
            )?;
        }
        self.writes.committed += 1;
        self.truth.insert(id, email);
        Ok(())
    }
}

/// What a batch does to a document.
#[derive(Clone, Copy)]
enum Batch {
    /// Copy the old field into the new one.
    Backfill,
    /// Remove the old field.
    Contract,
    /// Remove the new field (rollback of the expand).
    Undo,
}

impl Batch {
    fn todo(self, d: &Json) -> bool {
        let has_new = d.pointer("/contact/email").is_some();
        match self {
            Batch::Backfill => !has_new,
            Batch::Contract => d.get(OLD).is_some(),
            Batch::Undo => has_new,
        }
    }
    fn ops(self, d: &Json) -> Vec<UpdateOp> {
        match self {
            Batch::Backfill => vec![UpdateOp::set(NEW, d.get(OLD).cloned().unwrap_or_default())],
            Batch::Contract => vec![UpdateOp::unset(OLD)],
            Batch::Undo => vec![UpdateOp::unset("contact")],
        }
    }
}

/// Documents by shape: 1 old field only, 2 both (expanded), 3 new field only (contracted).
fn shapes(store: &DocStore, t_us: u64) -> VersionSample {
    let mut versions = BTreeMap::new();
    for (_, d) in store.collection(USERS).into_iter().flat_map(|c| c.iter()) {
        let shape = match (d.get(OLD).is_some(), d.pointer("/contact/email").is_some()) {
            (true, false) => 1,
            (true, true) => 2,
            _ => 3,
        };
        *versions.entry(shape).or_insert(0u64) += 1;
    }
    VersionSample {
        at_ms: t_us as f64 / 1e3,
        versions,
    }
}

fn arrivals(rng: &mut SimRng, per_s: u32, us: u64) -> u64 {
    if per_s == 0 {
        return 0;
    }
    let mean = 1e6 / f64::from(per_s);
    let (mut t, mut n) = (rng.exponential(mean), 0u64);
    while t < us as f64 && n < 100_000_000 {
        n += 1;
        t += rng.exponential(mean);
    }
    n
}

/// Every document's fields agree with each other and with the last value written.
fn verify(run: &Run, field: &str) -> Verification {
    let mut v = Verification::default();
    for (_, d) in run
        .store
        .collection(USERS)
        .into_iter()
        .flat_map(|c| c.iter())
    {
        v.compared += 1;
        let id = d.get(ID_FIELD).and_then(Json::as_u64).unwrap_or(0);
        let want = run
            .truth
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("user{id}@example.com"));
        let ptr = format!("/{}", field.replace('.', "/"));
        let new_ok = d.pointer(&ptr).and_then(Json::as_str) == Some(want.as_str());
        let old_ok = d.get(OLD).is_none_or(|o| o.as_str() == Some(want.as_str()));
        let v2_ok = !run.verified.contains(&id) || d.pointer("/contact/verified").is_some();
        if !(new_ok && old_ok && v2_ok) {
            v.mismatched += 1;
            if v.mismatched_keys.len() < MISMATCHES_KEPT_MAX {
                v.mismatched_keys.push(format!("{USERS}/{id}"));
            }
        }
    }
    v.passed = v.mismatched == 0;
    v
}

/// All traffic on v2 now: contract drops the old field, then everything is checked again.
fn contract(
    run: &mut Run,
    s: &ExpandSettings,
    writes_per_s: u32,
    verifications: &mut Vec<PhaseVerification>,
) -> Result<Option<String>, ConfigError> {
    run.enter(Phase::Cutover);
    run.enter(Phase::Cleanup);
    run.contracting = true;
    while run.interval(s, writes_per_s, Batch::Contract)? > 0 {}
    let after = verify(run, NEW);
    let ok = after.passed;
    verifications.push(PhaseVerification {
        phase: Phase::Cleanup,
        result: after,
    });
    run.enter(if ok { Phase::Complete } else { Phase::Failed });
    Ok((!ok).then(|| "documents differ after contract".to_string()))
}

/// Roll the expand back: v1 only, the new field removed in batches.
fn undo(run: &mut Run, s: &ExpandSettings, writes_per_s: u32) -> Result<(), ConfigError> {
    run.enter(Phase::Rollback);
    run.released = false; // v2 is withdrawn: v1 is the current version again.
    let v1_only = ExpandSettings {
        v2_share: 0.0,
        dual_write: false,
        ..s.clone()
    };
    while run.interval(&v1_only, writes_per_s, Batch::Undo)? > 0 {}
    Ok(())
}

/// Run an expand / contract migration of `rows` users with `writes_per_s` writes.
pub fn run(
    s: &ExpandSettings,
    rows: u64,
    writes_per_s: u32,
    rollback_enabled: bool,
    seed: u64,
    app: &AppSettings,
) -> Result<MigrationReport, ConfigError> {
    s.validate()?;
    let store = users_store(rows).map_err(|e| invalid("dataset", e.to_string()))?;
    let mut run = Run {
        samples: vec![shapes(&store, 0)],
        store,
        rng: SimRng::substream(seed, "migrate/expand"),
        now_us: 0,
        spans: Vec::new(),
        writes: WriteStats::default(),
        truth: BTreeMap::new(),
        verified: std::collections::BTreeSet::new(),
        rows,
        contracting: false,
        app: app.clone(),
        app_r: AppReport::new(app),
        released: false,
        v1_in_interval: 0,
    };
    run.enter(Phase::Validation);
    run.enter(Phase::SchemaPreparation);
    run.enter(Phase::Extraction);
    run.enter(Phase::Transformation);
    run.enter(Phase::Loading);
    run.released = true;
    let mut backfilled = 0;
    let rounds_max = rows.div_ceil(s.batch_docs) * BACKFILL_ROUNDS_PER_BATCH + 100;
    let mut converged = false;
    for _ in 0..rounds_max {
        let n = run.interval(s, writes_per_s, Batch::Backfill)?;
        backfilled += n;
        if n == 0 {
            converged = true;
            break;
        }
    }
    run.enter(Phase::RelationshipMigration);
    run.enter(Phase::Verification);
    let v = verify(&run, NEW);
    let mut verifications = vec![PhaseVerification {
        phase: Phase::Verification,
        result: v.clone(),
    }];
    let reason = if v.passed {
        contract(&mut run, s, writes_per_s, &mut verifications)?
    } else {
        if rollback_enabled {
            undo(&mut run, s, writes_per_s)?;
        }
        run.enter(Phase::Failed);
        let why = if !run.app_r.drop_examples.is_empty() {
            "v1 wrote documents back without the fields it does not know"
        } else if converged {
            "v1 wrote the old field after their backfill, no dual write"
        } else {
            "the backfill did not converge: v1 kept writing documents back without it"
        };
        Some(format!(
            "{} documents have a stale or missing {NEW} or lost {V2_ONLY} ({why})",
            v.mismatched
        ))
    };
    Ok(report(run, seed, reason, verifications, backfilled))
}

fn report(
    run: Run,
    seed: u64,
    reason: Option<String>,
    verifications: Vec<PhaseVerification>,
    backfilled: u64,
) -> MigrationReport {
    let mut progress = Progress::default();
    progress.tables.insert(
        USERS.into(),
        TableProgress {
            total: run.rows,
            processed: backfilled,
            succeeded: backfilled,
            failed: 0,
        },
    );
    let mut r = MigrationReport::same_store(SameStore {
        strategy: "expand_contract",
        seed,
        spans: run.spans,
        progress,
        total_ms: run.now_us as f64 / 1e3,
        verifications,
        writes: run.writes,
        reason,
    });
    r.versions_over_time = run.samples;
    r.app = Some(run.app_r);
    r
}
