//! Session and staleness anomalies, found per key in O(n log n) with running maxima over the
//! value order of [`super::order`]. Only `Ok` operations are evidence; `a` "before" `b` means
//! `a` completed strictly before `b` was invoked.
//!
//! - **Stale read**: a read returns a value older than the value of some write that completed
//!   before the read was invoked.
//! - **Read-your-writes**: a session reads a value older than one of its own writes to that
//!   key that completed before the read.
//! - **Monotonic reads**: a session reads a value older than one an earlier read of its own
//!   returned.
//! - **Monotonic writes**: a session writes `a` then `b` to one key but the store applied
//!   `b` first: with versions, `version(b) < version(a)`; without, the key's final value is `a`.
//! - **Lost update**: a successful write `w` whose value no read ever returned, that is not
//!   the key's final value, and whose loss was observable: some read was invoked after `w`
//!   completed and before any later write to the key was invoked, or no later write exists
//!   and the final value is known. (A write silently overwritten before anyone looked is not
//!   distinguishable from a normal overwrite, so it is not counted.)
//! - **Phantom read**: a read returns a value no write produced, or only a failed one.

use crate::sim::sort::CollectOrdered;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::history::{Op, OpRef, Outcome};
use super::order::{KeyView, PrefixMax};
use crate::sim::time::SimTime;

/// The kinds of finding, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A read older than a write completed before it began.
    StaleRead,
    /// A session read older than its own earlier write.
    ReadYourWrites,
    /// A session read older than its own earlier read.
    MonotonicReads,
    /// A session's two writes applied in reverse.
    MonotonicWrites,
    /// A successful write nobody saw although someone looked.
    LostUpdate,
    /// A read of a value no successful or pending write produced.
    PhantomRead,
    /// The key's history is not linearizable (see [`super::linear`]).
    NotLinearizable,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 7] = [
        FindingKind::StaleRead,
        FindingKind::ReadYourWrites,
        FindingKind::MonotonicReads,
        FindingKind::MonotonicWrites,
        FindingKind::LostUpdate,
        FindingKind::PhantomRead,
        FindingKind::NotLinearizable,
    ];
}

/// One anomaly: its kind, the key, the operations involved (in the order the note names
/// them) and a sentence for the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What went wrong.
    pub kind: FindingKind,
    /// The key it happened on.
    pub key: String,
    /// The operations involved, in the order the note names them.
    pub ops: Vec<OpRef>,
    /// One sentence for the page.
    pub note: String,
}

/// Collects findings: counts every one, keeps the first `cap` of each kind.
#[derive(Clone, Debug, Default)]
pub struct FindingSink {
    cap: usize,
    /// Findings per kind, all of them (not only the kept ones).
    pub counts: BTreeMap<FindingKind, u64>,
    /// The first `cap` findings of each kind, in discovery order.
    pub kept: Vec<Finding>,
}

impl FindingSink {
    /// A sink keeping at most `cap` findings per kind.
    pub fn new(cap: usize) -> Self {
        FindingSink {
            cap,
            ..Self::default()
        }
    }

    /// Records one finding; `note` is only called for findings that are kept.
    pub fn push(
        &mut self,
        kind: FindingKind,
        key: &str,
        ops: &[&Op],
        note: impl FnOnce() -> String,
    ) {
        let n = self.counts.entry(kind).or_insert(0);
        *n += 1;
        if *n as usize <= self.cap {
            self.kept.push(Finding {
                kind,
                key: key.to_string(),
                ops: ops.iter().map(|op| op.op_ref()).collect(),
                note: note(),
            });
        }
    }

    /// How many findings of `kind` were seen.
    pub fn count(&self, kind: FindingKind) -> u64 {
        self.counts.get(&kind).copied().unwrap_or(0)
    }
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "absent".to_string(), |v| v.to_string())
}

fn ok_reads<'v, 'h>(view: &'v KeyView<'h>) -> impl Iterator<Item = (&'h Op, Option<u64>)> + 'v {
    view.ops
        .iter()
        .filter(|op| op.outcome == Outcome::Ok)
        .filter_map(|op| op.read_value().map(|v| (*op, v)))
}

fn ok_writes<'v, 'h>(view: &'v KeyView<'h>) -> impl Iterator<Item = (&'h Op, u64)> + 'v {
    view.ops
        .iter()
        .filter(|op| op.outcome == Outcome::Ok)
        .filter_map(|op| op.written().map(|v| (*op, v)))
}

/// Stale and phantom reads of one key.
pub(crate) fn stale_reads(view: &KeyView<'_>, sink: &mut FindingSink) {
    let items = ok_writes(view)
        .filter_map(|(w, v)| Some((w.complete, view.score_rank(Some(v))?, w)))
        .collect();
    let newest = PrefixMax::new(items);
    for (r, value) in ok_reads(view) {
        let Some(test) = view.test_rank(value) else {
            phantom(view, r, value, sink);
            continue;
        };
        if let Some((score, w)) = newest.before(r.invoke) {
            if test < score {
                let note = || {
                    format!(
                        "read {} returned {} although write {} of {} completed before it began",
                        r.id,
                        show(value),
                        w.id,
                        show(w.written())
                    )
                };
                sink.push(FindingKind::StaleRead, view.key, &[w, r], note);
            }
        }
    }
}

fn phantom(view: &KeyView<'_>, r: &Op, value: Option<u64>, sink: &mut FindingSink) {
    let Some(v) = value else { return };
    match view.write_of(v) {
        Some(w) if w.outcome == Outcome::Failed => {
            let note = || {
                format!(
                    "read {} returned {v}, written only by failed write {}",
                    r.id, w.id
                )
            };
            sink.push(FindingKind::PhantomRead, view.key, &[w, r], note);
        }
        Some(_) => {} // an unknown write in real-time mode: comparable with nothing, not phantom
        None => {
            let note = || format!("read {} returned {v}, which no write produced", r.id);
            sink.push(FindingKind::PhantomRead, view.key, &[r], note);
        }
    }
}

/// Operations of one key grouped by session, in (invoke, id) order.
fn by_session<'h>(view: &KeyView<'h>) -> BTreeMap<u64, Vec<&'h Op>> {
    let mut sessions: BTreeMap<u64, Vec<&Op>> = BTreeMap::new();
    for op in view.ops.iter().filter(|op| op.outcome == Outcome::Ok) {
        sessions.entry(op.session).or_default().push(op);
    }
    sessions
}

/// Read-your-writes and monotonic-reads violations of one key.
pub(crate) fn session_reads(view: &KeyView<'_>, sink: &mut FindingSink) {
    for ops in by_session(view).values() {
        let mut writes = Vec::new();
        let mut reads = Vec::new();
        for &op in ops {
            let rank = match (op.written(), op.read_value()) {
                (Some(v), _) => view.score_rank(Some(v)),
                (_, Some(v)) => view.score_rank(v),
                _ => None,
            };
            if let Some(rank) = rank {
                let list = if op.is_write() {
                    &mut writes
                } else {
                    &mut reads
                };
                list.push((op.complete, rank, op));
            }
        }
        let (own, seen) = (PrefixMax::new(writes), PrefixMax::new(reads));
        for &r in ops.iter().filter(|op| !op.is_write()) {
            let value = r.read_value().flatten();
            let Some(test) = view.test_rank(value) else {
                continue;
            };
            if let Some((_, w)) = own.before(r.invoke).filter(|p| test < p.0) {
                let note = || {
                    format!(
                        "session {} read {} after its own write of {}",
                        r.session,
                        show(value),
                        show(w.written())
                    )
                };
                sink.push(FindingKind::ReadYourWrites, view.key, &[w, r], note);
            }
            if let Some((_, prev)) = seen.before(r.invoke).filter(|p| test < p.0) {
                let note = || {
                    format!(
                        "session {} read {} after it had already read {}",
                        r.session,
                        show(value),
                        show(prev.read_value().flatten())
                    )
                };
                sink.push(FindingKind::MonotonicReads, view.key, &[prev, r], note);
            }
        }
    }
}

/// Monotonic-writes violations of one key (`final_value`: what the key settled on, if known).
pub(crate) fn monotonic_writes(
    view: &KeyView<'_>,
    final_value: Option<Option<u64>>,
    sink: &mut FindingSink,
) {
    for ops in by_session(view).values() {
        let writes: Vec<&Op> = ops.iter().copied().filter(|op| op.is_write()).collect();
        if view.versioned {
            let items = writes
                .iter()
                .filter_map(|w| Some((w.complete, w.version? as u128, *w)))
                .collect();
            let earlier = PrefixMax::new(items);
            for &w2 in &writes {
                let Some(v2) = w2.version else { continue };
                if let Some((_, w1)) = earlier.before(w2.invoke).filter(|p| (v2 as u128) < p.0) {
                    let note = || {
                        format!(
                            "session {} wrote {} then {}, but the store versioned them in reverse",
                            w2.session,
                            show(w1.written()),
                            show(w2.written())
                        )
                    };
                    sink.push(FindingKind::MonotonicWrites, view.key, &[w1, w2], note);
                }
            }
        } else if let Some(Some(f)) = final_value {
            let Some(w1) = writes.iter().find(|w| w.written() == Some(f)) else {
                continue;
            };
            if let Some(w2) = writes.iter().find(|w2| w2.invoke > w1.complete) {
                let note = || {
                    format!(
                        "session {} wrote {f} then {}, but the key settled on {f}",
                        w1.session,
                        show(w2.written())
                    )
                };
                sink.push(FindingKind::MonotonicWrites, view.key, &[w1, w2], note);
            }
        }
    }
}

/// Lost updates of one key (`final_value`: what the key settled on, if known). Returns the
/// ids of the writes found lost.
pub(crate) fn lost_updates(
    view: &KeyView<'_>,
    final_value: Option<Option<u64>>,
    sink: &mut FindingSink,
) -> BTreeSet<u64> {
    let read_values: BTreeSet<Option<u64>> = ok_reads(view).map(|(_, v)| v).collect_set();
    let reads: Vec<&Op> = ok_reads(view).map(|(r, _)| r).collect(); // sorted by invoke
    let mut write_invokes: Vec<SimTime> = view
        .ops
        .iter()
        .filter(|op| op.is_write() && op.outcome != Outcome::Failed)
        .map(|op| op.invoke)
        .collect();
    crate::sim::sort::sort(&mut write_invokes);
    let writers: BTreeMap<u64, SimTime> = view
        .ops
        .iter()
        .filter_map(|op| Some((op.written()?, op.invoke)))
        .collect_map();
    let mut lost = BTreeSet::new();
    for (w, v) in ok_writes(view) {
        if read_values.contains(&Some(v)) || final_value == Some(Some(v)) {
            continue;
        }
        let after = |t: SimTime| t > w.complete;
        let next_write = write_invokes.get(write_invokes.partition_point(|&t| !after(t)));
        let first_read = reads.get(reads.partition_point(|r| !after(r.invoke)));
        let window_read = first_read.filter(|r| next_write.is_none_or(|&t| r.invoke < t));
        let witness: Vec<&Op> = match (window_read, next_write, final_value) {
            (Some(r), _, _) => vec![w, r],
            (None, None, Some(_)) => vec![w],
            _ => continue,
        };
        // What replaced it: a write that began after it completed overwrote it normally.
        let shown = window_read.map_or(final_value.flatten(), |r| r.read_value().flatten());
        if shown
            .and_then(|x| writers.get(&x))
            .is_some_and(|&t| after(t))
        {
            continue;
        }
        let note = || match window_read {
            Some(r) => format!(
                "write {} of {v} was never read; read {} after it returned {}",
                w.id,
                r.id,
                show(r.read_value().flatten())
            ),
            None => format!(
                "write {} of {v} was never read and the key settled on {}",
                w.id,
                show(final_value.flatten())
            ),
        };
        lost.insert(w.id);
        sink.push(FindingKind::LostUpdate, view.key, &witness, note);
    }
    lost
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::checker::history::{History, HistoryBuilder};

    fn run(h: &History, check: impl Fn(&KeyView<'_>, &mut FindingSink)) -> FindingSink {
        let mut sink = FindingSink::new(100);
        for (key, idx) in h.by_key() {
            check(&KeyView::new(h, key, &idx), &mut sink);
        }
        sink
    }

    fn stale(h: &History) -> FindingSink {
        run(h, stale_reads)
    }

    #[test]
    fn stale_read_positive_and_negative() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.write(1, "x", 2, 20, 30);
        b.read(2, "x", Some(1), 40, 50); // stale: 2 completed at 30
        b.read(3, "x", Some(2), 40, 50);
        let s = stale(&b.build());
        assert_eq!(s.count(FindingKind::StaleRead), 1);
        assert_eq!(
            s.kept[0].ops.iter().map(|o| o.id).collect::<Vec<_>>(),
            [2, 3]
        );

        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.write(1, "x", 2, 20, 45); // still in flight when the read starts
        b.read(2, "x", Some(1), 40, 50);
        b.read(2, "x", None, 0, 5); // before any write completed
        assert_eq!(stale(&b.build()).count(FindingKind::StaleRead), 0);
    }

    #[test]
    fn stale_read_of_initial_value_and_versions() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.read(2, "x", None, 11, 12);
        assert_eq!(stale(&b.build()).count(FindingKind::StaleRead), 1);

        // Concurrent writes: versions say 1 is newer, so reading 2 afterwards is stale.
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10).versioned(9);
        b.write(2, "x", 2, 0, 10).versioned(8);
        b.read(3, "x", Some(2), 20, 21);
        assert_eq!(stale(&b.build()).count(FindingKind::StaleRead), 1);
        b.op(2).expect("op 2").versioned(10);
        assert_eq!(stale(&b.build()).count(FindingKind::StaleRead), 0);
    }

    #[test]
    fn phantom_reads() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10).with_outcome(Outcome::Failed);
        b.read(2, "x", Some(1), 20, 30);
        b.read(2, "x", Some(5), 40, 50);
        b.read(2, "x", None, 60, 70);
        assert_eq!(stale(&b.build()).count(FindingKind::PhantomRead), 2);
    }

    #[test]
    fn read_your_writes_positive_and_negative() {
        let mut b = HistoryBuilder::new();
        b.write(2, "x", 1, 0, 10);
        b.write(1, "x", 2, 20, 30);
        b.read(1, "x", Some(1), 40, 50);
        let s = run(&b.build(), session_reads);
        assert_eq!(s.count(FindingKind::ReadYourWrites), 1);

        // Another session reading the old value is stale, but not a read-your-writes case.
        let mut b = HistoryBuilder::new();
        b.write(2, "x", 1, 0, 10);
        b.write(1, "x", 2, 20, 30);
        b.read(3, "x", Some(1), 40, 50);
        b.read(1, "x", Some(2), 40, 50);
        assert_eq!(
            run(&b.build(), session_reads).count(FindingKind::ReadYourWrites),
            0
        );
    }

    #[test]
    fn monotonic_reads_positive_and_negative() {
        let mut b = HistoryBuilder::new();
        b.write(9, "x", 1, 0, 10);
        b.write(9, "x", 2, 20, 30);
        b.read(1, "x", Some(2), 40, 50);
        b.read(1, "x", Some(1), 60, 70);
        let s = run(&b.build(), session_reads);
        assert_eq!(s.count(FindingKind::MonotonicReads), 1);
        assert_eq!(s.count(FindingKind::ReadYourWrites), 0);

        let mut b = HistoryBuilder::new();
        b.write(9, "x", 1, 0, 10);
        b.write(9, "x", 2, 20, 30);
        b.read(1, "x", Some(1), 40, 50);
        b.read(1, "x", Some(2), 60, 70);
        b.read(2, "x", Some(1), 80, 90); // another session: not monotonic-reads
        assert_eq!(
            run(&b.build(), session_reads).count(FindingKind::MonotonicReads),
            0
        );
    }

    #[test]
    fn monotonic_writes_by_final_value_and_by_version() {
        let mw = |h: &History| {
            let mut sink = FindingSink::new(10);
            for (key, idx) in h.by_key() {
                let f = h.final_values.get(key).copied();
                monotonic_writes(&KeyView::new(h, key, &idx), f, &mut sink);
            }
            sink.count(FindingKind::MonotonicWrites)
        };
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.write(1, "x", 2, 20, 30);
        b.final_value("x", Some(1));
        assert_eq!(mw(&b.build()), 1);
        b.final_value("x", Some(2));
        assert_eq!(mw(&b.build()), 0);

        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10).versioned(7);
        b.write(1, "x", 2, 20, 30).versioned(6);
        assert_eq!(mw(&b.build()), 1);
        b.op(2).expect("op 2").versioned(8);
        assert_eq!(mw(&b.build()), 0);
    }

    fn lost(h: &History) -> BTreeSet<u64> {
        let mut sink = FindingSink::new(10);
        let mut all = BTreeSet::new();
        for (key, idx) in h.by_key() {
            let f = h.final_values.get(key).copied();
            all.extend(lost_updates(&KeyView::new(h, key, &idx), f, &mut sink));
        }
        assert_eq!(sink.count(FindingKind::LostUpdate), all.len() as u64);
        all
    }

    #[test]
    fn lost_update_positive_and_negative() {
        // Two concurrent blind writes; a read afterwards sees only one of them.
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.write(2, "x", 2, 0, 10);
        b.read(3, "x", Some(2), 20, 30);
        assert_eq!(lost(&b.build()), BTreeSet::from([1]));

        // A normal overwrite nobody looked between: not counted.
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.write(2, "x", 2, 20, 30);
        b.read(3, "x", Some(2), 40, 50);
        assert!(lost(&b.build()).is_empty());

        // A read that began before the next write and already returned it: overwritten
        // normally, not lost.
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.read(3, "x", Some(2), 20, 40);
        b.write(2, "x", 2, 25, 30);
        assert!(lost(&b.build()).is_empty());

        // Unread, but final: not lost. Unread, not final, nothing after it: lost.
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.write(2, "x", 2, 5, 8);
        b.final_value("x", Some(1));
        assert_eq!(lost(&b.build()), BTreeSet::from([2]));
    }
}
