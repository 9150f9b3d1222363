//! Lazy (on-read) migration of documents: nothing is rewritten up front. The application
//! reads documents upgraded to the target `schema_version` on the fly (the stored document
//! stays as it is) and every write stores the upgraded document, through the document
//! store's [`MigrationChain`]; an optional background sweep upgrades a few old documents per
//! interval. The report shows the share of documents per stored `schema_version` over time,
//! and verification checks that every lazily read document equals what an eager migration
//! of the same store gives.

use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

use super::config::{check, invalid, ConfigError};
use super::job::{PhaseSpan, WriteStats};
use super::phase::{Phase, Progress, TableProgress};
use super::report::{MigrationReport, PhaseVerification, SameStore};
use super::to_docs::{Verification, MISMATCHES_KEPT_MAX};
use crate::sim::doc::builtin::{users_migrations, users_store, USERS};
use crate::sim::doc::migration::MigrationChain;
use crate::sim::doc::store::{DocStore, Filter};
use crate::sim::doc::update::UpdateOp;
use crate::sim::doc::ID_FIELD;
use crate::sim::rng::SimRng;

/// Most samples of the version shares in one report.
pub const SAMPLES_MAX: u64 = 10_000;

/// Settings of a lazy migration (on the built-in `users` collection, v1 -> latest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LazySettings {
    /// How long the application runs, in simulated ms. Default 10 000. Range 1 ..= 3 600 000.
    pub duration_ms: u64,
    /// Reads per simulated second (upgraded on read). Default 500. Range 0 ..= 100 000.
    pub reads_per_s: u32,
    /// Documents the background sweep upgrades per sample interval; 0: no sweep. Default 0.
    pub sweep_docs_per_interval: u64,
    /// Interval between version-share samples, in ms. Default 500. Range 10 ..= 3 600 000.
    pub sample_interval_ms: u64,
}

impl Default for LazySettings {
    fn default() -> Self {
        LazySettings {
            duration_ms: 10_000,
            reads_per_s: 500,
            sweep_docs_per_interval: 0,
            sample_interval_ms: 500,
        }
    }
}

impl LazySettings {
    /// Check the ranges (and that the samples stay bounded).
    pub fn validate(&self) -> Result<(), ConfigError> {
        check("lazy.duration_ms", self.duration_ms, 1, 3_600_000)?;
        check("lazy.reads_per_s", self.reads_per_s.into(), 0, 100_000)?;
        check(
            "lazy.sweep_docs_per_interval",
            self.sweep_docs_per_interval,
            0,
            1_000_000,
        )?;
        check(
            "lazy.sample_interval_ms",
            self.sample_interval_ms,
            10,
            3_600_000,
        )?;
        check(
            "lazy.duration_ms / lazy.sample_interval_ms",
            self.duration_ms / self.sample_interval_ms,
            0,
            SAMPLES_MAX,
        )
    }
}

/// Stored documents per `schema_version` at one moment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VersionSample {
    /// Simulated ms.
    pub at_ms: f64,
    /// `schema_version` -> documents stored at it.
    pub versions: BTreeMap<u32, u64>,
}

/// Run a lazy migration of `rows` users documents with `writes_per_s` application writes.
pub fn run(
    lazy: &LazySettings,
    rows: u64,
    writes_per_s: u32,
    seed: u64,
) -> Result<MigrationReport, ConfigError> {
    lazy.validate()?;
    let chain =
        MigrationChain::new(users_migrations()).map_err(|e| invalid("lazy", e.to_string()))?;
    let target = chain.latest_version();
    let mut store = users_store(rows).map_err(|e| invalid("dataset", e.to_string()))?;
    let initial = store.clone();
    let mut rng = SimRng::substream(seed, "migrate/lazy");
    let mut samples = vec![sample(&store, 0)];
    let (mut reads, mut writes) = ([0u64; 2], WriteStats::default());
    let interval_us = lazy.sample_interval_ms * 1_000;
    let mut t_us = 0u64;
    while t_us < lazy.duration_ms * 1_000 {
        let span = interval_us.min(lazy.duration_ms * 1_000 - t_us);
        for _ in 0..arrivals(&mut rng, lazy.reads_per_s, span) {
            read(&store, &chain, target, rng.range_u64(1, rows), &mut reads)?;
        }
        for _ in 0..arrivals(&mut rng, writes_per_s, span) {
            let id = rng.range_u64(1, rows);
            let op = UpdateOp::set("last_seen_ms", json!(t_us / 1_000));
            let r = store.update_lazy(&chain, target, &Filter::eq(ID_FIELD, json!(id)), &[op]);
            let r = r.map_err(|e| invalid("lazy", e.to_string()))?;
            writes.committed += r.modified;
        }
        sweep(&mut store, &chain, target, lazy.sweep_docs_per_interval)?;
        t_us += span;
        samples.push(sample(&store, t_us));
    }
    let v = verify(&store, &initial, &chain, target)?;
    Ok(report(lazy, seed, samples, reads, writes, v, rows))
}

/// Read one document at `target`; counts reads, and reads that had to upgrade on the fly.
fn read(
    store: &DocStore,
    chain: &MigrationChain,
    target: u32,
    id: u64,
    reads: &mut [u64; 2],
) -> Result<(), ConfigError> {
    let filter = Filter::eq(ID_FIELD, json!(id));
    let found = store
        .find_lazy(chain, target, &filter)
        .map_err(|e| invalid("lazy", e.to_string()))?;
    let stored = store.get(USERS, &json!(id)).ok().flatten();
    let old = stored.and_then(crate::sim::doc::store::doc_version) < Some(target);
    reads[0] += found.docs.len() as u64;
    reads[1] += u64::from(old && !found.docs.is_empty());
    Ok(())
}

/// Upgrade up to `n` documents still below `target` (oldest ids first).
fn sweep(
    store: &mut DocStore,
    chain: &MigrationChain,
    target: u32,
    n: u64,
) -> Result<(), ConfigError> {
    if n == 0 {
        return Ok(());
    }
    let old: Vec<serde_json::Value> = store
        .collection(USERS)
        .map(|c| {
            c.iter()
                .filter(|(_, d)| crate::sim::doc::store::doc_version(d).is_some_and(|v| v < target))
                .take(n as usize)
                .filter_map(|(_, d)| d.get(ID_FIELD).cloned())
                .collect()
        })
        .unwrap_or_default();
    for id in old {
        store
            .update_lazy(chain, target, &Filter::eq(ID_FIELD, id), &[])
            .map_err(|e| invalid("lazy", e.to_string()))?;
    }
    Ok(())
}

fn sample(store: &DocStore, t_us: u64) -> VersionSample {
    VersionSample {
        at_ms: t_us as f64 / 1e3,
        versions: store
            .collection(USERS)
            .map(|c| c.version_counts().clone())
            .unwrap_or_default(),
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

/// Every document read lazily at `target` equals the same document migrated eagerly (the
/// initial store migrated eagerly, with the writes' field applied where they happened).
fn verify(
    store: &DocStore,
    initial: &DocStore,
    chain: &MigrationChain,
    target: u32,
) -> Result<Verification, ConfigError> {
    let mut eager = initial.clone();
    for m in chain.migrations() {
        eager
            .migrate_eager(m)
            .map_err(|e| invalid("lazy", e.to_string()))?;
    }
    let lazy = store
        .find_lazy(chain, target, &Filter::all())
        .map_err(|e| invalid("lazy", e.to_string()))?;
    let mut v = Verification::default();
    let n = |s: &DocStore| s.collection(USERS).map_or(0, |c| c.len() as u64);
    v.expected_counts.insert(USERS.into(), n(&eager));
    v.actual_counts.insert(USERS.into(), lazy.docs.len() as u64);
    for doc in &lazy.docs {
        v.compared += 1;
        let id = doc.get(ID_FIELD).cloned().unwrap_or_default();
        let mut want = eager
            .get(USERS, &id)
            .ok()
            .flatten()
            .cloned()
            .unwrap_or_default();
        if let Some(seen) = doc.get("last_seen_ms") {
            want["last_seen_ms"] = seen.clone();
        }
        if &want != doc {
            v.mismatched += 1;
            if v.mismatched_keys.len() < MISMATCHES_KEPT_MAX {
                v.mismatched_keys.push(format!("{USERS}/{id}"));
            }
        }
    }
    v.passed = v.mismatched == 0 && v.expected_counts == v.actual_counts;
    Ok(v)
}

fn report(
    lazy: &LazySettings,
    seed: u64,
    samples: Vec<VersionSample>,
    reads: [u64; 2],
    writes: WriteStats,
    v: Verification,
    rows: u64,
) -> MigrationReport {
    let end_ms = lazy.duration_ms as f64;
    let last = samples.last();
    let upgraded = last.map_or(0, |s| s.versions.range(2..).map(|(_, n)| *n).sum());
    let mut progress = Progress::default();
    progress.tables.insert(
        USERS.into(),
        TableProgress {
            total: rows,
            processed: upgraded,
            succeeded: upgraded,
            failed: 0,
        },
    );
    let span = |phase, start_ms, end_ms| PhaseSpan {
        phase,
        start_ms,
        end_ms,
    };
    let end = if v.passed {
        Phase::Complete
    } else {
        Phase::Failed
    };
    let reason = (!v.passed).then(|| "lazily read documents differ from an eager migration".into());
    let mut r = MigrationReport::same_store(SameStore {
        strategy: "lazy_on_read",
        seed,
        spans: vec![
            span(Phase::Validation, 0.0, 0.0),
            span(Phase::SchemaPreparation, 0.0, 0.0),
            span(Phase::Verification, 0.0, end_ms),
            span(Phase::Cleanup, end_ms, end_ms),
            span(end, end_ms, end_ms),
        ],
        progress,
        total_ms: end_ms,
        verifications: vec![PhaseVerification {
            phase: Phase::Verification,
            result: v,
        }],
        writes,
        reason,
    });
    r.versions_over_time = samples;
    r.reads = reads[0];
    r.reads_upgraded = reads[1];
    r
}
