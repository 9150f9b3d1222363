//! One call that runs every check over a history and the serializable summary it returns
//! (the `migrascope run` JSON report embeds it).

use crate::sim::sort::CollectOrdered;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::anomaly::{self, Finding, FindingKind, FindingSink};
use super::history::{History, HistoryError, Op};
use super::linear::{self, Linearizability, DEFAULT_MAX_STATES};
use super::order::KeyView;
use super::pbs::{self, PbsError, VisibilityBucket, DEFAULT_BUCKETS_US};

/// What to check and how hard to try.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckOptions {
    /// Configurations the linearizability search may explore per key before answering
    /// `Unknown`. Default 1,000,000 (at most about 40 MB of memo, 16 bytes a state).
    pub max_states_per_key: u64,
    /// Configurations the search may explore over all keys together; keys reached after it
    /// is spent get `Unknown` with 0 states. Bounds the run time of one check. Default
    /// 50,000,000.
    pub max_states_total: u64,
    /// Findings kept per kind (all are counted). Default 1,000.
    pub max_findings_per_kind: usize,
    /// Start of each t-visibility bucket, µs after a commit, strictly increasing.
    /// Default 0, 1, 2, 5, 10, 20, 50, 100 ms.
    pub visibility_buckets_us: Vec<u64>,
    /// Run the linearizability search. Default true.
    pub linearizability: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            max_states_per_key: DEFAULT_MAX_STATES,
            max_states_total: 50_000_000,
            max_findings_per_kind: 1_000,
            visibility_buckets_us: DEFAULT_BUCKETS_US.to_vec(),
            linearizability: true,
        }
    }
}

/// Why a check could not run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CheckError {
    /// The history is malformed or too large.
    History(HistoryError),
    /// The visibility buckets are invalid.
    Pbs(PbsError),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::History(e) => e.fmt(f),
            CheckError::Pbs(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CheckError {}

/// Findings per kind (every finding, not only the kept ones).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingCounts {
    /// [`FindingKind::StaleRead`] findings.
    pub stale_reads: u64,
    /// [`FindingKind::ReadYourWrites`] findings.
    pub read_your_writes: u64,
    /// [`FindingKind::MonotonicReads`] findings.
    pub monotonic_reads: u64,
    /// [`FindingKind::MonotonicWrites`] findings.
    pub monotonic_writes: u64,
    /// [`FindingKind::LostUpdate`] findings.
    pub lost_updates: u64,
    /// [`FindingKind::PhantomRead`] findings.
    pub phantom_reads: u64,
    /// Keys whose history is not linearizable.
    pub not_linearizable: u64,
}

impl FindingCounts {
    fn from_sink(sink: &FindingSink) -> Self {
        FindingCounts {
            stale_reads: sink.count(FindingKind::StaleRead),
            read_your_writes: sink.count(FindingKind::ReadYourWrites),
            monotonic_reads: sink.count(FindingKind::MonotonicReads),
            monotonic_writes: sink.count(FindingKind::MonotonicWrites),
            lost_updates: sink.count(FindingKind::LostUpdate),
            phantom_reads: sink.count(FindingKind::PhantomRead),
            not_linearizable: sink.count(FindingKind::NotLinearizable),
        }
    }
}

/// How many keys got each linearizability verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinearizabilityCounts {
    /// Keys with a linearization.
    pub ok: u64,
    /// Keys proved not linearizable.
    pub violation: u64,
    /// Keys where the bounded search gave up.
    pub unknown: u64,
}

/// The checker's summary of one history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    /// Operations in the history.
    pub ops: usize,
    /// Distinct keys.
    pub keys: usize,
    /// Findings per kind.
    pub counts: FindingCounts,
    /// The first `max_findings_per_kind` findings of each kind, key by key.
    pub findings: Vec<Finding>,
    /// Keys per linearizability verdict.
    pub linearizability_counts: LinearizabilityCounts,
    /// The verdict per key (empty when the search was switched off).
    pub linearizability: BTreeMap<String, Linearizability>,
    /// Measured t-visibility curve over all keys.
    pub visibility: Vec<VisibilityBucket>,
    /// Writes the store reported as overwritten by a concurrent write.
    pub lost_updates_reported: u64,
    /// Of those, how many the checker also found lost.
    pub lost_updates_reported_and_found: u64,
}

/// Validates `history` and runs every check.
pub fn check(history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    history.validate().map_err(CheckError::History)?;
    let mut visibility =
        pbs::empty_curve(&options.visibility_buckets_us).map_err(CheckError::Pbs)?;
    let mut sink = FindingSink::new(options.max_findings_per_kind);
    let mut lost = BTreeSet::new();
    let mut verdicts = BTreeMap::new();
    let mut lin_counts = LinearizabilityCounts::default();
    let mut spent = 0u64;
    let by_key = history.by_key();
    for (key, idx) in &by_key {
        let view = KeyView::new(history, key, idx);
        let final_value = history.final_values.get(*key).copied();
        anomaly::stale_reads(&view, &mut sink);
        anomaly::session_reads(&view, &mut sink);
        anomaly::monotonic_writes(&view, final_value, &mut sink);
        lost.extend(anomaly::lost_updates(&view, final_value, &mut sink));
        pbs::add_key(&view, &mut visibility);
        if options.linearizability {
            let left = options.max_states_total.saturating_sub(spent);
            let budget = options.max_states_per_key.min(left);
            let verdict = match budget {
                0 => Linearizability::Unknown { states: 0 },
                _ => linearizability(&view.ops, budget, &mut sink, key),
            };
            spent = spent.saturating_add(verdict.states());
            match verdict {
                Linearizability::Ok { .. } => lin_counts.ok += 1,
                Linearizability::Violation { .. } => lin_counts.violation += 1,
                Linearizability::Unknown { .. } => lin_counts.unknown += 1,
            }
            verdicts.insert(key.to_string(), verdict);
        }
    }
    let reported: BTreeSet<u64> = history.overwritten.iter().copied().collect_set();
    Ok(CheckReport {
        ops: history.ops.len(),
        keys: by_key.len(),
        counts: FindingCounts::from_sink(&sink),
        findings: sink.kept,
        linearizability_counts: lin_counts,
        linearizability: verdicts,
        visibility,
        lost_updates_reported: reported.len() as u64,
        lost_updates_reported_and_found: reported.intersection(&lost).count() as u64,
    })
}

fn linearizability(
    ops: &[&Op],
    max_states: u64,
    sink: &mut FindingSink,
    key: &str,
) -> Linearizability {
    let verdict = linear::check_key(ops, max_states);
    if let Linearizability::Violation { witness, .. } = &verdict {
        let note = || {
            format!(
            "no linearization of the first {} operations (up to {}); operation {} cannot be placed",
            witness.prefix_ops, witness.prefix_end, witness.culprit.id
        )
        };
        let by_id: BTreeMap<u64, &Op> = ops.iter().map(|op| (op.id, *op)).collect_map();
        let named: Vec<&Op> = witness
            .ops
            .iter()
            .filter_map(|r| by_id.get(&r.id).copied())
            .collect();
        sink.push(FindingKind::NotLinearizable, key, &named, note);
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::checker::history::{HistoryBuilder, Outcome};

    #[test]
    fn report_counts_every_kind_and_serializes() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.write(1, "x", 2, 20, 100);
        b.read(2, "x", Some(2), 30, 40);
        b.read(2, "x", Some(1), 50, 60);
        b.write(3, "y", 1, 0, 10);
        b.write(4, "y", 2, 0, 10);
        b.read(3, "y", Some(2), 20, 30);
        b.overwritten(5);
        let report = check(&b.build(), &CheckOptions::default()).expect("valid history");
        assert_eq!(report.keys, 2);
        assert_eq!(report.counts.monotonic_reads, 1);
        assert_eq!(report.counts.lost_updates, 1);
        assert_eq!(
            report.counts.read_your_writes, 0,
            "y's writes were concurrent"
        );
        assert_eq!(report.linearizability_counts.violation, 1);
        assert_eq!(report.linearizability_counts.ok, 1);
        assert_eq!(report.lost_updates_reported, 1);
        assert_eq!(report.lost_updates_reported_and_found, 1);
        let json = serde_json::to_string(&report).expect("serializes");
        assert!(json.contains("\"not_linearizable\":1"));
        assert!(json.contains("\"result\":\"violation\""));
    }

    #[test]
    fn total_budget_leaves_later_keys_unknown() {
        let mut b = HistoryBuilder::new();
        for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
            let t = i as u64 * 100;
            b.write(1, key, 1, t, t + 10);
            b.read(1, key, Some(1), t + 20, t + 30);
        }
        let options = CheckOptions {
            max_states_total: 4,
            ..CheckOptions::default()
        };
        let report = check(&b.build(), &options).expect("valid");
        let verdicts: Vec<String> = report
            .linearizability
            .values()
            .map(|v| v.to_string())
            .collect();
        assert_eq!(
            verdicts,
            [
                "ok after 2 states",
                "ok after 2 states",
                "search gave up after 0 states"
            ]
        );
    }

    #[test]
    fn errors_are_typed() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 10, 0);
        let err = check(&b.build(), &CheckOptions::default()).unwrap_err();
        assert_eq!(
            err,
            CheckError::History(HistoryError::CompletionBeforeInvoke { id: 1 })
        );
        let options = CheckOptions {
            visibility_buckets_us: vec![],
            ..CheckOptions::default()
        };
        let mut b = HistoryBuilder::new();
        b.read(1, "x", None, 0, 1).with_outcome(Outcome::Unknown);
        assert!(matches!(
            check(&b.build(), &options),
            Err(CheckError::Pbs(_))
        ));
    }
}
