//! Properties of the consistency checker: histories of an atomic register are always
//! linearizable and free of staleness anomalies; corrupting one read makes them fail; the
//! search agrees with a brute-force reference on small histories; the PBS closed form matches
//! enumeration over all quorums; arbitrary input never panics and checks are deterministic.
#![cfg(not(target_arch = "wasm32"))]

use migrascope::sim::checker::{
    check, check_key, miss_fraction, CheckOptions, CheckReport, History, Linearizability, Op,
    OpKind, Outcome,
};
use migrascope::sim::SimTime;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// One generated operation before execution: key, session, read or write, the effect point's
/// gap after the previous one, how far the interval reaches either side of it, and outcome
/// (0: ok, 1: unknown but applied, 2: unknown and never applied, 3: failed).
type Plan = (u8, u8, bool, u64, u64, u64, u8);

fn arb_plan() -> impl Strategy<Value = Plan> {
    (
        0u8..3,
        0u8..4,
        any::<bool>(),
        1u64..20,
        0u64..40,
        0u64..40,
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
    )
}

/// Runs the plans against an atomic register per key. Each operation takes effect at one
/// point strictly inside its interval (or never), so the history is linearizable.
fn execute(plans: &[Plan]) -> History {
    let mut registers: BTreeMap<String, Option<u64>> = BTreeMap::new();
    let mut history = History::default();
    let mut effect_us = 1_000u64;
    for (i, &(key, session, write, gap, before, after, outcome)) in plans.iter().enumerate() {
        effect_us += gap;
        let key = format!("k{key}");
        let register = registers.entry(key.clone()).or_insert(None);
        let value = i as u64 + 1;
        let applied = matches!(outcome, 0 | 1);
        let kind = if write {
            if applied {
                *register = Some(value);
            }
            OpKind::Write { value }
        } else {
            OpKind::Read { value: *register }
        };
        let outcome = match outcome {
            0 => Outcome::Ok,
            3 if write => Outcome::Failed,
            3 => Outcome::Ok,
            _ if write => Outcome::Unknown,
            _ => Outcome::Ok,
        };
        history.ops.push(Op {
            id: i as u64 + 1,
            session: session as u64,
            key,
            kind,
            invoke: SimTime(effect_us - before.min(effect_us)),
            complete: SimTime(effect_us + after),
            outcome,
            node: None,
            version: None,
        });
    }
    history.final_values = registers;
    history
}

fn report(h: &History) -> CheckReport {
    check(h, &CheckOptions::default()).expect("generated histories are valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn atomic_register_histories_are_linearizable(plans in prop::collection::vec(arb_plan(), 0..60)) {
        let h = execute(&plans);
        let r = report(&h);
        prop_assert_eq!(r.linearizability_counts.violation, 0, "{:?}", r.findings);
        prop_assert_eq!(r.linearizability_counts.unknown, 0);
        // Staleness in real-time order implies a linearizability failure, so none appear.
        prop_assert_eq!(r.counts.stale_reads, 0, "{:?}", r.findings);
        prop_assert_eq!(r.counts.read_your_writes, 0);
        prop_assert_eq!(r.counts.monotonic_reads, 0);
        prop_assert_eq!(r.counts.phantom_reads, 0);
        prop_assert_eq!(r.counts.monotonic_writes, 0);
    }

    #[test]
    fn a_read_of_a_value_never_written_is_never_linearizable(
        plans in prop::collection::vec(arb_plan(), 1..60),
        pick in any::<prop::sample::Index>(),
    ) {
        let mut h = execute(&plans);
        let reads: Vec<usize> = (0..h.ops.len())
            .filter(|&i| !h.ops[i].is_write() && h.ops[i].outcome == Outcome::Ok)
            .collect();
        prop_assume!(!reads.is_empty());
        let i = reads[pick.index(reads.len())];
        h.ops[i].kind = OpKind::Read { value: Some(1_000_000) };
        let r = report(&h);
        prop_assert_eq!(r.linearizability_counts.violation, 1);
        prop_assert!(r.counts.phantom_reads >= 1);
        let key = &h.ops[i].key;
        let Some(Linearizability::Violation { witness, .. }) = r.linearizability.get(key) else {
            panic!("expected a violation on {key}");
        };
        prop_assert!(witness.ops.iter().any(|o| o.id == h.ops[i].id), "{:?}", witness);
    }

    #[test]
    fn search_agrees_with_brute_force(
        ops in prop::collection::vec(arb_small_op(), 0..8),
        rotate in 0usize..8,
    ) {
        let h = small_history(&ops);
        let mut refs: Vec<&Op> = h.ops.iter().collect();
        let expected = brute_force(&refs);
        // The verdict must not depend on the order the operations are handed over in.
        let len = refs.len().max(1);
        refs.rotate_left(rotate % len);
        let got = check_key(&refs, 1_000_000);
        match got {
            Linearizability::Ok { .. } => prop_assert!(expected, "search says ok: {:?}", h.ops),
            Linearizability::Violation { .. } => prop_assert!(!expected, "{:?}", h.ops),
            Linearizability::Unknown { .. } => prop_assert!(false, "bound hit on a tiny history"),
        }
    }

    #[test]
    fn arbitrary_input_never_panics(ops in prop::collection::vec(arb_small_op(), 0..30)) {
        let mut h = small_history(&ops);
        // Break some intervals and duplicate some values; the result must be Ok or an error.
        for (i, op) in h.ops.iter_mut().enumerate() {
            if i % 7 == 3 {
                op.complete = SimTime(op.invoke.0.saturating_sub(1));
            }
        }
        let first = check(&h, &CheckOptions::default());
        let second = check(&h, &CheckOptions::default());
        prop_assert_eq!(
            serde_json::to_string(&first.ok()).expect("json"),
            serde_json::to_string(&second.ok()).expect("json")
        );
    }
}

/// (write?, value 0..4, invoke, length, outcome 0..3) on one key.
fn arb_small_op() -> impl Strategy<Value = (bool, u64, u64, u64, u8)> {
    (any::<bool>(), 0u64..4, 0u64..30, 0u64..15, 0u8..3)
}

fn small_history(ops: &[(bool, u64, u64, u64, u8)]) -> History {
    let mut h = History::default();
    for (i, &(write, v, invoke, len, outcome)) in ops.iter().enumerate() {
        let kind = if write {
            OpKind::Write {
                value: i as u64 + 1,
            } // unique per write
        } else {
            OpKind::Read {
                value: (v > 0).then_some(v),
            }
        };
        let outcome = [Outcome::Ok, Outcome::Unknown, Outcome::Failed][outcome as usize];
        h.ops.push(Op {
            id: i as u64 + 1,
            session: 0,
            key: "x".into(),
            kind,
            invoke: SimTime(invoke),
            complete: SimTime(invoke + len),
            outcome,
            node: None,
            version: None,
        });
    }
    h
}

/// Tries every order: an operation may go next unless another unplaced `Ok` operation
/// completed before it was invoked. Unknown writes may also never be placed.
fn brute_force(ops: &[&Op]) -> bool {
    let live: Vec<&Op> = ops
        .iter()
        .copied()
        .filter(|op| op.outcome != Outcome::Failed)
        .filter(|op| op.is_write() || op.outcome == Outcome::Ok)
        .collect();
    place(&live, &mut vec![false; live.len()], None)
}

fn must_finish(ops: &[&Op], done: &[bool], i: usize) -> bool {
    !done[i] && ops[i].outcome == Outcome::Ok
}

fn place(ops: &[&Op], done: &mut Vec<bool>, state: Option<u64>) -> bool {
    let must_finish = |done: &[bool], i: usize| must_finish(ops, done, i);
    if !(0..ops.len()).any(|i| must_finish(done, i)) {
        return true;
    }
    for i in 0..ops.len() {
        if done[i] {
            continue;
        }
        let blocked = (0..ops.len())
            .any(|j| j != i && must_finish(done, j) && ops[j].complete < ops[i].invoke);
        if blocked {
            continue;
        }
        let next = match ops[i].kind {
            OpKind::Write { value } => Some(value),
            OpKind::Read { value } if value == state => state,
            OpKind::Read { .. } => continue,
        };
        done[i] = true;
        let ok = place(ops, done, next);
        done[i] = false;
        if ok {
            return true;
        }
    }
    false
}

/// The closed form against counting every (write quorum, read quorum) pair for N <= 7.
#[test]
fn pbs_closed_form_matches_enumeration() {
    for n in 1u32..=7 {
        let subsets = |size: u32| (0u32..1 << n).filter(move |s| s.count_ones() == size);
        for r in 1..=n {
            for w in 1..=n {
                let (mut miss, mut total) = (0u128, 0u128);
                for ws in subsets(w) {
                    for rs in subsets(r) {
                        total += 1;
                        miss += u128::from(ws & rs == 0);
                    }
                }
                let (num, den) = miss_fraction(n, r, w).expect("valid quorum");
                assert_eq!(num * total, miss * den, "N={n} R={r} W={w}");
                assert_eq!(num == 0, r + w > n, "N={n} R={r} W={w}");
            }
        }
    }
}
