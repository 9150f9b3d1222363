//! Which value of a key is older than which.
//!
//! Two modes, chosen per key:
//!
//! - **Version order**, when every successful write to the key carries the store's version:
//!   `x` is older than `y` when `version(x) < version(y)`. A value without a version (an
//!   unknown write no read revealed) is not comparable.
//! - **Real-time order** otherwise: `x` is older than `y` when the write of `x` completed
//!   successfully before the write of `y` was invoked. Concurrent writes are not comparable,
//!   so a checker built on this order never blames a store for choosing between them.
//!
//! In both modes the initial value `None` is older than every written value. A value no
//! write produced, or only a failed write, is comparable with nothing (that is a phantom read).
//!
//! Both relations reduce to integers: `older(x, y)` is `test_rank(x) < score_rank(y)`, which
//! lets callers keep a running maximum of `score_rank` instead of comparing all pairs.

use std::collections::BTreeMap;

use super::history::{History, Op, Outcome};
use crate::sim::time::SimTime;

/// One key's operations and the order of its values.
#[derive(Debug)]
pub(crate) struct KeyView<'h> {
    pub key: &'h str,
    /// Every operation on the key, sorted by (invoke, id).
    pub ops: Vec<&'h Op>,
    /// Written value -> its write (any outcome).
    writes: BTreeMap<u64, &'h Op>,
    /// Written value -> version (from the write, else from a read that returned it).
    versions: BTreeMap<u64, u64>,
    /// Version order applies (every successful write carries a version).
    pub versioned: bool,
}

impl<'h> KeyView<'h> {
    /// The view of `key`, whose operations are `idx` (indices into `history.ops`).
    pub fn new(history: &'h History, key: &'h str, idx: &[usize]) -> Self {
        let ops: Vec<&Op> = idx.iter().map(|&i| &history.ops[i]).collect();
        let mut writes = BTreeMap::new();
        let mut versions = BTreeMap::new();
        for op in &ops {
            if let Some(v) = op.written() {
                writes.insert(v, *op);
                if let Some(ver) = op.version {
                    versions.insert(v, ver);
                }
            }
        }
        for op in &ops {
            if let (Some(Some(v)), Some(ver), Outcome::Ok) =
                (op.read_value(), op.version, op.outcome)
            {
                versions.entry(v).or_insert(ver);
            }
        }
        let versioned = ops
            .iter()
            .filter(|op| op.is_write() && op.outcome == Outcome::Ok)
            .all(|op| op.version.is_some());
        KeyView {
            key,
            ops,
            writes,
            versions,
            versioned,
        }
    }

    /// The write that wrote `value`, whatever its outcome.
    pub fn write_of(&self, value: u64) -> Option<&'h Op> {
        self.writes.get(&value).copied()
    }

    /// The write of `value` if it may have taken effect (outcome `Ok` or `Unknown`).
    pub fn live_write_of(&self, value: u64) -> Option<&'h Op> {
        self.write_of(value)
            .filter(|w| w.outcome != Outcome::Failed)
    }

    /// Rank of `value` as the older side of a comparison; `None`: comparable with nothing.
    pub fn test_rank(&self, value: Option<u64>) -> Option<u128> {
        let Some(v) = value else { return Some(0) };
        let w = self.live_write_of(v)?;
        if self.versioned {
            return self.versions.get(&v).map(|&ver| ver as u128 + 1);
        }
        // An unknown write may have been applied at any time after its invoke, so it is never
        // provably older than anything.
        (w.outcome == Outcome::Ok).then(|| w.complete.as_us() as u128 + 1)
    }

    /// Rank of `value` as the newer side of a comparison; `None`: comparable with nothing.
    pub fn score_rank(&self, value: Option<u64>) -> Option<u128> {
        let Some(v) = value else { return Some(0) };
        let w = self.live_write_of(v)?;
        if self.versioned {
            return self.versions.get(&v).map(|&ver| ver as u128 + 1);
        }
        Some(w.invoke.as_us() as u128 + 1)
    }

    /// `x` is strictly older than `y` (see the module docs): the relation the ranks encode,
    /// spelled out for tests.
    #[cfg(test)]
    pub fn is_older(&self, x: Option<u64>, y: Option<u64>) -> bool {
        match (self.test_rank(x), self.score_rank(y)) {
            (Some(a), Some(b)) => a < b,
            _ => false,
        }
    }

    /// `x` is `y` or a value committed no earlier than `y` (t-visibility's "that write or a
    /// newer one"). Versions when the key has them, else completion order (an unknown write
    /// counts as completing after everything that completed).
    pub fn same_or_newer(&self, x: Option<u64>, y: Option<u64>) -> bool {
        if x == y {
            return true;
        }
        let (Some(xv), Some(yv)) = (x, y) else {
            return y.is_none() && x.is_some_and(|v| self.live_write_of(v).is_some());
        };
        let (Some(wx), Some(wy)) = (self.live_write_of(xv), self.live_write_of(yv)) else {
            return false;
        };
        if self.versioned {
            if let (Some(a), Some(b)) = (self.versions.get(&xv), self.versions.get(&yv)) {
                return a > b;
            }
        }
        commit_time(wx) > commit_time(wy)
    }
}

/// When a write committed: its completion if `Ok`, never (`MAX`) if unknown.
pub(crate) fn commit_time(w: &Op) -> SimTime {
    match w.outcome {
        Outcome::Ok => w.complete,
        _ => SimTime::MAX,
    }
}

/// Running maxima over items sorted by a time, answering "the largest rank among items whose
/// time is strictly before `t`" in O(log n).
#[derive(Debug)]
pub(crate) struct PrefixMax<'h> {
    times: Vec<SimTime>,
    best: Vec<(u128, &'h Op)>,
}

impl<'h> PrefixMax<'h> {
    /// From `(time, rank, op)` items in any order.
    pub fn new(mut items: Vec<(SimTime, u128, &'h Op)>) -> Self {
        crate::sim::sort::sort_by_key(&mut items, |&(t, r, op)| (t, r, op.id));
        let mut best: Vec<(u128, &Op)> = Vec::with_capacity(items.len());
        for &(_, rank, op) in &items {
            let keep = best.last().is_some_and(|&(r, _)| r >= rank);
            let next = if keep {
                best[best.len() - 1]
            } else {
                (rank, op)
            };
            best.push(next);
        }
        let times = items.iter().map(|&(t, _, _)| t).collect();
        PrefixMax { times, best }
    }

    /// The largest rank (and its op) among items with time `< t`.
    pub fn before(&self, t: SimTime) -> Option<(u128, &'h Op)> {
        let n = self.times.partition_point(|&x| x < t);
        n.checked_sub(1).map(|i| self.best[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::checker::history::HistoryBuilder;

    fn view(h: &History) -> KeyView<'_> {
        let idx: Vec<usize> = (0..h.ops.len()).collect();
        KeyView::new(h, "x", &idx)
    }

    #[test]
    fn real_time_order_leaves_concurrent_writes_unordered() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.write(2, "x", 2, 20, 30);
        b.write(3, "x", 3, 25, 40);
        let h = b.build();
        let v = view(&h);
        assert!(!v.versioned);
        assert!(v.is_older(None, Some(1)));
        assert!(v.is_older(Some(1), Some(2)));
        assert!(!v.is_older(Some(2), Some(3)));
        assert!(!v.is_older(Some(3), Some(2)));
        assert!(!v.is_older(Some(2), Some(1)));
        assert!(
            !v.is_older(Some(9), Some(2)),
            "phantom values compare with nothing"
        );
        assert!(v.same_or_newer(Some(3), Some(2)));
    }

    #[test]
    fn versions_decide_when_every_write_has_one() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10).versioned(5);
        b.write(2, "x", 2, 20, 30).versioned(4);
        let h = b.build();
        let v = view(&h);
        assert!(v.versioned);
        assert!(v.is_older(Some(2), Some(1)));
        assert!(!v.is_older(Some(1), Some(2)));
    }

    #[test]
    fn prefix_max_is_strictly_before() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        let h = b.build();
        let op = &h.ops[0];
        let pm = PrefixMax::new(vec![(SimTime(10), 3, op), (SimTime(20), 1, op)]);
        assert_eq!(pm.before(SimTime(10)), None);
        assert_eq!(pm.before(SimTime(11)).map(|p| p.0), Some(3));
        assert_eq!(pm.before(SimTime(99)).map(|p| p.0), Some(3));
    }
}
