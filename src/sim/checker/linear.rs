//! Linearizability of one key against a single read/write register, by the Wing–Gong search
//! with Lowe's memoization as Porcupine implements it. Keys are independent
//! (P-compositionality: a history is linearizable iff each key's sub-history is), so callers
//! check keys one by one.
//!
//! The history becomes a doubly linked list of call and return events sorted by time (calls
//! first at equal times, so touching intervals count as concurrent and never cause a false
//! alarm). The search walks the list: at a call it tries to linearize that operation now
//! (a read must see the current value), lifting its call and return out of the list; reaching
//! a return whose operation is not linearized means the choices so far were wrong, so it
//! backtracks. Configurations already explored, a (set of linearized operations, register
//! value) pair, are remembered and never explored twice.
//!
//! - `Ok` operations must take effect between invoke and completion; `Failed` ones are
//!   dropped (a read of a failed write's value then has nothing to match).
//! - An `Unknown` write may take effect at any point after its invoke, or never: its return
//!   is at infinity, and "never" is the same as "last", where no read can see it.
//! - An `Unknown` read constrains nothing and is dropped.
//!
//! Bounds: at most `max_states` configurations per key, then the answer is `Unknown`. The
//! memo keys configurations by a 128-bit Zobrist fingerprint rather than the full set (as TLC
//! does with 64 bits): memory stays 16 bytes a state for long keys, and a collision, which at
//! a million states has probability below 1e-26, could only prune a branch.

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use super::history::{Op, OpKind, OpRef, Outcome};
use crate::sim::time::SimTime;

/// Default bound on configurations explored per key.
pub const DEFAULT_MAX_STATES: u64 = 1_000_000;

/// Most operations named in a witness.
pub const WITNESS_OPS_MAX: usize = 64;

/// The verdict for one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[allow(missing_docs)] // each variant's doc names its fields
pub enum Linearizability {
    /// A linearization exists. `states`, in every variant: configurations explored, with
    /// the prefix searches that look for a witness.
    Ok { states: u64 },
    /// No linearization exists; `witness` is the smallest failing prefix's neighbourhood.
    Violation { states: u64, witness: Witness },
    /// The search gave up after `states` configurations (the bound).
    Unknown { states: u64 },
}

impl Linearizability {
    /// Configurations explored by the full-history search.
    pub fn states(&self) -> u64 {
        match self {
            Linearizability::Ok { states }
            | Linearizability::Violation { states, .. }
            | Linearizability::Unknown { states } => *states,
        }
    }
}

/// `ok after 12 states`, `not linearizable: ...`, `search gave up after 1000000 states`.
impl fmt::Display for Linearizability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Linearizability::Ok { states } => write!(f, "ok after {states} states"),
            Linearizability::Violation { witness, .. } => write!(
                f,
                "not linearizable: the {} operations up to {} admit no order (operation {})",
                witness.prefix_ops, witness.prefix_end, witness.culprit.id
            ),
            Linearizability::Unknown { states } => {
                write!(f, "search gave up after {states} states")
            }
        }
    }
}

/// Why a key is not linearizable: the shortest prefix of the history (by time) that already
/// cannot be linearized, and the operations around the one that completes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    /// The prefix holds every operation invoked by this time, µs (see [`prefix_ops`]).
    pub prefix_end: SimTime,
    /// Operations in that prefix.
    pub prefix_ops: usize,
    /// The operation whose event at `prefix_end` makes the prefix fail.
    pub culprit: OpRef,
    /// The culprit, everything concurrent with it, the writes its neighbours read from, the
    /// reads that saw a concurrent write, and the last writes before it; sorted by invoke, at most [`WITNESS_OPS_MAX`].
    pub ops: Vec<OpRef>,
}

/// One operation as the search sees it.
#[derive(Clone, Copy, Debug)]
struct LinOp {
    write: bool,
    value: Option<u64>,
    invoke: u64,
    /// `u64::MAX` for an unknown write (may take effect at any later time).
    complete: u64,
    /// Index into the caller's operation list.
    origin: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Search {
    Linearizable,
    Violation,
    GaveUp,
}

/// Checks one key's operations (any order; one key only, with write values unique, as
/// [`super::History::validate`] ensures) with at most `max_states` configurations per
/// search. A failed or abandoned search is followed by up to about `2 log2(2n)` bounded
/// searches of prefixes, which find the witness and can prove a violation the full search
/// gave up on.
pub fn check_key(ops: &[&Op], max_states: u64) -> Linearizability {
    let lin = to_lin_ops(ops, SimTime::MAX);
    let (verdict, states) = search(&lin, max_states);
    if verdict == Search::Linearizable {
        return Linearizability::Ok { states };
    }
    // A failing prefix proves the whole history fails, so even when the full search gave
    // up, a shorter prefix may still settle it.
    let spent = Cell::new(states);
    match witness(ops, verdict == Search::Violation, max_states, &spent) {
        Some(witness) => Linearizability::Violation {
            states: spent.get(),
            witness,
        },
        None => Linearizability::Unknown {
            states: spent.get(),
        },
    }
}

/// The operations the search must place when only events up to `until` are known: writes
/// invoked by then (those not yet completed become unknown), and reads completed by then.
/// Any linearization of the whole history restricts to one of this prefix, so a failing
/// prefix proves the whole history fails.
fn to_lin_ops(ops: &[&Op], until: SimTime) -> Vec<LinOp> {
    let mut out = Vec::with_capacity(ops.len());
    for (origin, op) in ops.iter().enumerate() {
        let known = op.outcome == Outcome::Ok && op.complete <= until;
        let (write, value) = match op.kind {
            OpKind::Write { value } => (true, Some(value)),
            OpKind::Read { value } => (false, value),
        };
        let keep = match (write, op.outcome) {
            (_, Outcome::Failed) => false,
            (true, _) => op.invoke <= until,
            (false, _) => known,
        };
        if keep {
            let complete = if known { op.complete.as_us() } else { u64::MAX };
            let invoke = op.invoke.as_us();
            out.push(LinOp {
                write,
                value,
                invoke,
                complete,
                origin,
            });
        }
    }
    out
}

/// A hasher for keys that are already uniformly distributed fingerprints.
#[derive(Default)]
struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 ^= (v as u64) ^ ((v >> 64) as u64);
    }
}

type Memo = HashSet<u128, BuildHasherDefault<FingerprintHasher>>;

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn fingerprint(seed: u64) -> u128 {
    ((splitmix64(seed) as u128) << 64) | splitmix64(seed ^ 0x5555_5555_5555_5555) as u128
}

fn state_print(state: u32) -> u128 {
    fingerprint(u64::from(state) ^ 0xa5a5_0000_0000_0000)
}

const NIL: usize = usize::MAX;

/// The event list: node 0 is the head; node `2i + 1` is op `i`'s call, `2i + 2` its return.
struct Events {
    next: Vec<usize>,
    prev: Vec<usize>,
}

impl Events {
    fn new(ops: &[LinOp]) -> Self {
        let mut order: Vec<(u64, u8, usize)> = Vec::with_capacity(ops.len() * 2);
        for (i, op) in ops.iter().enumerate() {
            order.push((op.invoke, 0, 2 * i + 1));
            order.push((op.complete, 1, 2 * i + 2));
        }
        crate::sim::sort::sort(&mut order);
        let size = ops.len() * 2 + 1;
        let (mut next, mut prev) = (vec![NIL; size], vec![NIL; size]);
        let mut last = 0;
        for &(_, _, node) in &order {
            next[last] = node;
            prev[node] = last;
            last = node;
        }
        Events { next, prev }
    }

    fn remove(&mut self, x: usize) {
        let (p, n) = (self.prev[x], self.next[x]);
        self.next[p] = n;
        if n != NIL {
            self.prev[n] = p;
        }
    }

    /// Puts `x` back; valid only in the reverse order of removals (dancing links).
    fn restore(&mut self, x: usize) {
        let (p, n) = (self.prev[x], self.next[x]);
        self.next[p] = x;
        if n != NIL {
            self.prev[n] = x;
        }
    }

    fn lift(&mut self, op: usize) {
        self.remove(2 * op + 1);
        self.remove(2 * op + 2);
    }

    fn unlift(&mut self, op: usize) {
        self.restore(2 * op + 2);
        self.restore(2 * op + 1);
    }
}

/// The register value as a small index: 0 is the initial `None`, each write's value has its
/// own, and a read of a value no write here produced gets one no write has (it never
/// matches). `DEAD` stands, in memo keys only, for any value no unplaced read returns: such
/// values behave alike from then on, since values are unique and never come back.
const DEAD: u32 = u32::MAX;

fn value_indices(ops: &[LinOp]) -> (Vec<u32>, usize) {
    let mut index: BTreeMap<Option<u64>, u32> = BTreeMap::from([(None, 0)]);
    for op in ops.iter().filter(|op| op.write) {
        let next = index.len() as u32;
        index.entry(op.value).or_insert(next);
    }
    let mut phantom = index.len() as u32;
    let idx = ops
        .iter()
        .map(|op| match index.get(&op.value) {
            Some(&i) => i,
            None => {
                phantom += 1;
                phantom - 1
            }
        })
        .collect();
    (idx, phantom as usize)
}

/// One placed operation: which, the register value before it, and whether the placement was
/// forced (a read that agreed with the register: placing it at once is always safe, because
/// it changes nothing and every operation that had to precede it is already placed; so if
/// the configuration after it fails, the one before fails too and has nothing else to try).
type Placed = (usize, u32, bool);

/// The Wing–Gong/Lowe search's mutable state.
struct Searcher<'a> {
    ops: &'a [LinOp],
    /// Value index per op (written, or returned).
    value: Vec<u32>,
    /// Unplaced reads per value index.
    pending: Vec<u32>,
    events: Events,
    zobrist: Vec<u128>,
    memo: Memo,
    stack: Vec<Placed>,
    state: u32,
    set_print: u128,
    states: u64,
}

impl<'a> Searcher<'a> {
    fn new(ops: &'a [LinOp]) -> Self {
        let (value, values) = value_indices(ops);
        let mut pending = vec![0u32; values];
        for (op, &v) in ops.iter().zip(&value) {
            pending[v as usize] += u32::from(!op.write);
        }
        Searcher {
            ops,
            value,
            pending,
            events: Events::new(ops),
            zobrist: (0..ops.len() as u64).map(fingerprint).collect(),
            memo: Memo::default(),
            stack: Vec::new(),
            state: 0,
            set_print: 0,
            states: 0,
        }
    }

    /// Undoes placements up to and including the last unforced one; returns the node to go
    /// on from, or `None` when nothing is left to undo (no linearization exists).
    fn backtrack(&mut self) -> Option<usize> {
        loop {
            let (i, before, forced) = self.stack.pop()?;
            self.set_print ^= self.zobrist[i];
            self.state = before;
            if !self.ops[i].write {
                self.pending[self.value[i] as usize] += 1;
            }
            self.events.unlift(i);
            if !forced {
                return Some(self.events.next[2 * i + 1]);
            }
        }
    }

    /// Tries to place op `i` now. `Ok(next node)` either way, `Err(())` when a forced read
    /// leads to an explored configuration and the caller must backtrack.
    fn try_place(&mut self, i: usize, node: usize) -> Result<usize, ()> {
        let (write, v) = (self.ops[i].write, self.value[i]);
        // A write may not bury a value some unplaced read still has to see; a read must see
        // the current value.
        let allowed = if write {
            self.pending[self.state as usize] == 0
        } else {
            v == self.state
        };
        if !allowed {
            return Ok(self.events.next[node]);
        }
        self.pending[v as usize] -= u32::from(!write);
        let canonical = if self.pending[v as usize] == 0 {
            DEAD
        } else {
            v
        };
        if !self
            .memo
            .insert(self.set_print ^ self.zobrist[i] ^ state_print(canonical))
        {
            self.pending[v as usize] += u32::from(!write);
            return if write {
                Ok(self.events.next[node])
            } else {
                Err(())
            };
        }
        self.states += 1;
        self.stack.push((i, self.state, !write));
        self.set_print ^= self.zobrist[i];
        self.state = v;
        self.events.lift(i);
        Ok(self.events.next[0])
    }
}

/// The Wing–Gong/Lowe search over `ops`; returns the verdict and configurations explored.
fn search(ops: &[LinOp], max_states: u64) -> (Search, u64) {
    let mut s = Searcher::new(ops);
    let mut node = s.events.next[0];
    while s.events.next[0] != NIL {
        if s.states >= max_states {
            return (Search::GaveUp, s.states);
        }
        // At a call: try to place it. At a return: its operation was not placed in time.
        let next = match node % 2 {
            1 => s.try_place(node / 2, node).ok(),
            _ => None,
        };
        node = match next.or_else(|| s.backtrack()) {
            Some(n) => n,
            None => return (Search::Violation, s.states),
        };
    }
    (Search::Linearizable, s.states)
}

/// The smallest failing prefix and the operations around its culprit, or `None` when no
/// bounded search could prove any prefix fails. `whole_fails`: the full search failed.
/// `spent` accumulates the configurations every prefix search explores.
fn witness(ops: &[&Op], whole_fails: bool, max_states: u64, spent: &Cell<u64>) -> Option<Witness> {
    let mut times: Vec<SimTime> = ops
        .iter()
        .filter(|op| op.outcome != Outcome::Failed)
        .flat_map(|op| [op.invoke, op.complete])
        .collect();
    crate::sim::sort::sort(&mut times);
    times.dedup();
    let verdict = |i: usize| {
        let (verdict, states) = search(&to_lin_ops(ops, times[i]), max_states);
        spent.set(spent.get().saturating_add(states));
        verdict
    };
    let end = times[smallest_failing(times.len(), whole_fails, verdict)?];
    let prefix: Vec<&Op> = to_lin_ops(ops, end).iter().map(|l| ops[l.origin]).collect();
    Some(neighbourhood(&prefix, end))
}

/// The smallest `i < n` whose prefix fails (failure is monotone in the prefix, see
/// [`to_lin_ops`]): galloping from the start, since violations tend to show early and short
/// prefixes are cheap to search, then bisection. `whole_fails` says prefix `n - 1` fails.
fn smallest_failing(
    n: usize,
    whole_fails: bool,
    verdict: impl Fn(usize) -> Search,
) -> Option<usize> {
    let (mut passes, mut width) = (0usize, 32usize);
    let fails = loop {
        if passes >= n {
            return None;
        }
        let probe = (passes + width).min(n) - 1;
        match verdict(probe) {
            Search::Violation => break probe,
            Search::Linearizable => passes = probe + 1,
            Search::GaveUp if whole_fails => break n - 1,
            Search::GaveUp => return None,
        }
        width = width.saturating_mul(2);
    };
    // Invariant: prefixes before `lo` pass (or are undecided), prefix `hi` fails.
    let (mut lo, mut hi) = (passes, fails);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if verdict(mid) == Search::Violation {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(hi)
}

fn neighbourhood(prefix: &[&Op], end: SimTime) -> Witness {
    let is_read = |op: &&Op| !op.is_write();
    // The culprit: a read completing at `end` if any (reads join a prefix when they
    // complete), else the latest-invoked operation.
    let culprit = prefix
        .iter()
        .copied()
        .filter(|op| is_read(op) && op.complete == end)
        .chain(prefix.iter().copied().max_by_key(|op| (op.invoke, op.id)))
        .next()
        .expect("a failing prefix is never empty");
    let concurrent: Vec<&Op> = prefix
        .iter()
        .copied()
        .filter(|op| op.outcome != Outcome::Ok || op.complete >= culprit.invoke)
        .collect();
    let mut picked: Vec<&Op> = concurrent.clone();
    for r in concurrent.iter().filter(|op| is_read(op)) {
        let value = r.read_value().flatten();
        picked.extend(
            prefix
                .iter()
                .filter(|w| w.written().is_some() && w.written() == value),
        );
    }
    // Reads that saw a concurrent write's value show what the culprit contradicts.
    for w in concurrent.iter().filter(|op| op.is_write()) {
        picked.extend(
            prefix
                .iter()
                .filter(|r| is_read(r) && r.read_value() == Some(w.written())),
        );
    }
    let mut before: Vec<&Op> = prefix
        .iter()
        .copied()
        .filter(|op| op.is_write() && op.outcome == Outcome::Ok && op.complete < culprit.invoke)
        .collect();
    crate::sim::sort::sort_by_key(&mut before, |op| (op.complete, op.id));
    picked.extend(before.iter().rev().take(2));
    let mut refs: Vec<OpRef> = picked.iter().map(|op| op.op_ref()).collect();
    crate::sim::sort::sort_by_key(&mut refs, |r| (r.invoke, r.id));
    refs.dedup();
    refs.truncate(WITNESS_OPS_MAX);
    Witness {
        prefix_end: end,
        prefix_ops: prefix.len(),
        culprit: culprit.op_ref(),
        ops: refs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::checker::history::{History, HistoryBuilder};

    fn check(h: &History, max_states: u64) -> Linearizability {
        let ops: Vec<&Op> = h.ops.iter().collect();
        check_key(&ops, max_states)
    }

    fn is_ok(h: &History) -> bool {
        matches!(check(h, DEFAULT_MAX_STATES), Linearizability::Ok { .. })
    }

    #[test]
    fn concurrent_read_may_see_either_value() {
        for seen in [None, Some(1)] {
            let mut b = HistoryBuilder::new();
            b.write(1, "x", 1, 0, 100);
            b.read(2, "x", seen, 10, 20);
            assert!(is_ok(&b.build()), "read of {seen:?}");
        }
    }

    #[test]
    fn new_old_inversion_is_not_linearizable() {
        // Dynamo-style quorum without read repair: one read sees the new value, a later one
        // (strictly after it) the old value, while the write is still in flight.
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.write(1, "x", 2, 20, 100);
        b.read(2, "x", Some(2), 30, 40);
        b.read(3, "x", Some(1), 50, 60);
        let verdict = check(&b.build(), 1_000);
        assert!(verdict.to_string().starts_with("not linearizable"));
        let Linearizability::Violation { witness, .. } = verdict else {
            panic!("expected a violation");
        };
        assert_eq!(witness.culprit.id, 4);
        assert_eq!(witness.prefix_end, SimTime(60));
        let ids: Vec<u64> = witness.ops.iter().map(|o| o.id).collect();
        assert_eq!(ids, [1, 2, 3, 4]);
    }

    #[test]
    fn sequential_read_of_old_value_fails_and_phantoms_fail() {
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.read(2, "x", None, 20, 30);
        assert!(!is_ok(&b.build()));

        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10);
        b.read(2, "x", Some(7), 20, 30);
        assert!(!is_ok(&b.build()));
    }

    #[test]
    fn unknown_writes_may_apply_late_or_never() {
        // Applied long after the client gave up.
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10).with_outcome(Outcome::Unknown);
        b.read(2, "x", None, 20, 30);
        b.read(2, "x", Some(1), 40, 50);
        assert!(is_ok(&b.build()));
        // Never applied.
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10).with_outcome(Outcome::Unknown);
        b.read(2, "x", None, 20, 30);
        assert!(is_ok(&b.build()));
        // But not before it was invoked.
        let mut b = HistoryBuilder::new();
        b.read(2, "x", Some(1), 0, 5);
        b.write(1, "x", 1, 10, 20).with_outcome(Outcome::Unknown);
        assert!(!is_ok(&b.build()));
        // A failed write never takes effect.
        let mut b = HistoryBuilder::new();
        b.write(1, "x", 1, 0, 10).with_outcome(Outcome::Failed);
        b.read(2, "x", Some(1), 20, 30);
        assert!(!is_ok(&b.build()));
    }

    #[test]
    fn bound_reports_unknown() {
        // Many concurrent writes and a read of a value nobody wrote: the search must try
        // every order before it can say no, so a small bound gives up instead.
        let mut b = HistoryBuilder::new();
        for v in 0..12 {
            b.write(v, "x", v + 1, 0, 1_000);
        }
        b.read(99, "x", Some(999), 0, 1_000);
        let h = b.build();
        // 500 for the whole history, 500 more for the one prefix probe that also gives up.
        assert_eq!(check(&h, 500), Linearizability::Unknown { states: 1_000 });
        assert_eq!(
            check(&h, 500).to_string(),
            "search gave up after 1000 states"
        );
        assert!(matches!(
            check(&h, 10_000_000),
            Linearizability::Violation { .. }
        ));
    }

    #[test]
    fn smallest_failing_gallops_then_bisects() {
        let first_bad = |bad: usize| {
            move |i: usize| {
                if i >= bad {
                    Search::Violation
                } else {
                    Search::Linearizable
                }
            }
        };
        for n in [1, 2, 31, 32, 33, 100, 1_000] {
            for bad in [0, 1, n / 2, n - 1].into_iter().filter(|&b| b < n) {
                assert_eq!(
                    smallest_failing(n, true, first_bad(bad)),
                    Some(bad),
                    "n={n}"
                );
            }
            assert_eq!(smallest_failing(n, false, first_bad(n)), None);
        }
        // Undecided prefixes: proof only when something fails.
        let gave_up = |i: usize| {
            if i < 40 {
                Search::Linearizable
            } else {
                Search::GaveUp
            }
        };
        assert_eq!(smallest_failing(100, false, gave_up), None);
        assert_eq!(smallest_failing(100, true, gave_up), Some(99));
    }

    #[test]
    fn empty_and_read_only_histories() {
        assert!(is_ok(&HistoryBuilder::new().build()));
        let mut b = HistoryBuilder::new();
        b.read(1, "x", None, 0, 1);
        b.read(2, "x", Some(3), 0, 1).with_outcome(Outcome::Unknown);
        assert!(is_ok(&b.build()));
    }
}
