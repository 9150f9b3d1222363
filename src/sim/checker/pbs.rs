//! Probabilistically Bounded Staleness (Bailis et al., VLDB 2012): the closed-form chance
//! that a partial quorum read misses the latest write, and the t-visibility curve measured
//! from a history.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::history::{History, Op, Outcome};
use super::order::KeyView;

/// Largest replica count the closed form accepts (binomials stay exact in `u128`).
pub const MAX_REPLICAS: u32 = 64;

/// Most buckets a t-visibility curve may have.
pub const MAX_BUCKETS: usize = 256;

/// Bucket starts, µs after a commit: 0, 1, 2, 5, 10, 20, 50, 100 ms.
pub const DEFAULT_BUCKETS_US: [u64; 8] = [0, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000];

/// Invalid PBS inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
#[allow(missing_docs)] // each variant's doc names its fields
pub enum PbsError {
    /// `n` must be in 1 ..= [`MAX_REPLICAS`]; `r` and `w` in 1 ..= `n`.
    BadQuorum { n: u32, r: u32, w: u32 },
    /// Bucket starts must be strictly increasing, 1 ..= [`MAX_BUCKETS`] of them.
    BadBuckets,
}

impl fmt::Display for PbsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PbsError::BadQuorum { n, r, w } => write!(
                f,
                "quorum N={n}, R={r}, W={w} is invalid (need 1 <= R, W <= N <= {MAX_REPLICAS})"
            ),
            PbsError::BadBuckets => write!(
                f,
                "visibility buckets must be 1..={MAX_BUCKETS} strictly increasing offsets"
            ),
        }
    }
}

impl std::error::Error for PbsError {}

/// `C(n, k)`, exact for `n <= 64` (every intermediate fits in `u128`).
pub fn binomial(n: u32, k: u32) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    // c * (n - i) is divisible by (i + 1) because c * (n - i) / (i + 1) = C(n, i + 1).
    (0..k).fold(1u128, |c, i| c * (n - i) as u128 / (i + 1) as u128)
}

fn check_quorum(n: u32, r: u32, w: u32) -> Result<(), PbsError> {
    let ok = (1..=MAX_REPLICAS).contains(&n) && (1..=n).contains(&r) && (1..=n).contains(&w);
    ok.then_some(()).ok_or(PbsError::BadQuorum { n, r, w })
}

/// The chance that a read quorum of `r` replicas, chosen uniformly, misses every one of the
/// `w` replicas that acknowledged the latest write, out of `n`, as an exact fraction
/// `C(n - w, r) / C(n, r)`. Zero when `r + w > n` (quorums intersect).
pub fn miss_fraction(n: u32, r: u32, w: u32) -> Result<(u128, u128), PbsError> {
    check_quorum(n, r, w)?;
    Ok((binomial(n - w, r), binomial(n, r)))
}

/// [`miss_fraction`] as a probability in `0.0 ..= 1.0`.
pub fn miss_probability(n: u32, r: u32, w: u32) -> Result<f64, PbsError> {
    let (num, den) = miss_fraction(n, r, w)?;
    // Both are below 2^64 for n <= 64, so each converts with at most one rounding.
    Ok(num as f64 / den as f64)
}

/// PBS k-staleness: the chance that a read returns a value at most `k` versions old
/// (`1 - p^k` with `p` the miss probability, writes' quorums independent). `k = 0` gives 0.
pub fn k_staleness_probability(n: u32, r: u32, w: u32, k: u32) -> Result<f64, PbsError> {
    let p = miss_probability(n, r, w)?;
    Ok(1.0 - (0..k).fold(1.0, |acc, _| acc * p))
}

/// One bucket of the measured t-visibility curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisibilityBucket {
    /// Reads that started at least this long after the commit, µs.
    pub from_us: u64,
    /// ... and less than this long (`None`: no upper end), µs.
    pub to_us: Option<u64>,
    /// Reads in the bucket.
    pub reads: u64,
    /// Of those, reads that returned the committed value or a newer one.
    pub fresh: u64,
}

impl VisibilityBucket {
    /// `fresh / reads`, or `None` for an empty bucket.
    pub fn fraction(&self) -> Option<f64> {
        (self.reads > 0).then(|| self.fresh as f64 / self.reads as f64)
    }
}

/// Empty buckets starting at `starts_us` (strictly increasing, µs after a commit).
pub fn empty_curve(starts_us: &[u64]) -> Result<Vec<VisibilityBucket>, PbsError> {
    let increasing = starts_us.windows(2).all(|p| p[0] < p[1]);
    if starts_us.is_empty() || starts_us.len() > MAX_BUCKETS || !increasing {
        return Err(PbsError::BadBuckets);
    }
    let ends = starts_us.iter().skip(1).map(|&e| Some(e)).chain([None]);
    Ok(starts_us
        .iter()
        .zip(ends)
        .map(|(&from_us, to_us)| VisibilityBucket {
            from_us,
            to_us,
            reads: 0,
            fresh: 0,
        })
        .collect())
}

/// Adds one key's reads to `curve`. Each successful read is measured against the latest
/// successful write committed (completed) at or before the read's invoke: the offset is the
/// time between, and the read is fresh when it returned that write's value or a newer one
/// (see `KeyView::same_or_newer`). Reads before the key's first commit are not counted.
pub(crate) fn add_key(view: &KeyView<'_>, curve: &mut [VisibilityBucket]) {
    let mut commits: Vec<&Op> = view
        .ops
        .iter()
        .copied()
        .filter(|op| op.is_write() && op.outcome == Outcome::Ok)
        .collect();
    crate::sim::sort::sort_by_key(&mut commits, |w| (w.complete, w.id));
    for r in view.ops.iter().filter(|op| op.outcome == Outcome::Ok) {
        let Some(value) = r.read_value() else {
            continue;
        };
        let n = commits.partition_point(|w| w.complete <= r.invoke);
        let Some(w) = n.checked_sub(1).map(|i| commits[i]) else {
            continue;
        };
        let offset_us = r.invoke.since(w.complete).as_us();
        let slot = curve.partition_point(|b| b.from_us <= offset_us);
        let Some(bucket) = slot.checked_sub(1).and_then(|i| curve.get_mut(i)) else {
            continue;
        };
        bucket.reads += 1;
        if view.same_or_newer(value, w.written()) {
            bucket.fresh += 1;
        }
    }
}

/// The measured t-visibility curve of a whole history, bucketed by `starts_us`.
pub fn t_visibility(
    history: &History,
    starts_us: &[u64],
) -> Result<Vec<VisibilityBucket>, PbsError> {
    let mut curve = empty_curve(starts_us)?;
    for (key, idx) in history.by_key() {
        add_key(&KeyView::new(history, key, &idx), &mut curve);
    }
    Ok(curve)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::checker::history::HistoryBuilder;

    #[test]
    fn closed_form_matches_known_values() {
        assert_eq!(miss_fraction(3, 1, 1), Ok((2, 3)));
        assert_eq!(miss_fraction(3, 2, 2), Ok((0, 3)));
        assert_eq!(miss_fraction(3, 1, 2), Ok((1, 3)));
        assert_eq!(miss_fraction(5, 3, 3).map(|f| f.0), Ok(0));
        assert_eq!(miss_fraction(5, 2, 2), Ok((3, 10)));
        assert_eq!(miss_probability(3, 1, 1), Ok(2.0 / 3.0));
        assert_eq!(binomial(64, 32), 1_832_624_140_942_590_534);
        assert!(miss_probability(64, 1, 1).is_ok());
        let k2 = k_staleness_probability(3, 1, 1, 2).expect("valid");
        assert!((k2 - (1.0 - 4.0 / 9.0)).abs() < 1e-12);
    }

    #[test]
    fn bad_quorums_are_errors() {
        for (n, r, w) in [(0, 1, 1), (3, 0, 1), (3, 1, 4), (65, 1, 1)] {
            assert_eq!(miss_fraction(n, r, w), Err(PbsError::BadQuorum { n, r, w }));
        }
        assert_eq!(empty_curve(&[]), Err(PbsError::BadBuckets));
        assert_eq!(empty_curve(&[5, 5]), Err(PbsError::BadBuckets));
    }

    #[test]
    fn t_visibility_buckets_reads_by_offset_after_commit() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 1_000); // commits at 1 ms
        b.read(2, "x", None, 500, 600); // before the commit: not counted
        b.read(2, "x", None, 1_200, 1_300); // 0.2 ms after: stale
        b.read(3, "x", Some(1), 1_500, 1_600); // 0.5 ms: fresh
        b.read(2, "x", Some(1), 3_000, 3_100); // 2 ms: fresh
        b.write(1, "x", 2, 9_000, 10_000); // commits at 10 ms
        b.read(2, "x", Some(1), 10_000, 10_100); // 0 ms after the second commit: stale
        b.read(3, "x", Some(2), 25_000, 25_100); // 15 ms: fresh
        let curve = t_visibility(&b.build(), &[0, 1_000, 10_000]).expect("buckets");
        let counts: Vec<(u64, u64)> = curve.iter().map(|b| (b.reads, b.fresh)).collect();
        assert_eq!(counts, [(3, 1), (1, 1), (1, 1)]);
        assert_eq!(curve[2].to_us, None);
        assert_eq!(curve[0].fraction(), Some(1.0 / 3.0));
    }
}
