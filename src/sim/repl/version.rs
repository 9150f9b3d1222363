//! Versions of one key and how a replica merges an incoming version into what it holds.
//!
//! Every stored value carries a version vector (one write counter per node, the writer's
//! "dot") so a replica can tell "this is newer" from "this happened concurrently". What
//! happens on concurrency is the conflict policy: last-writer-wins by timestamp (the loser is
//! discarded and, if a client was told it succeeded, becomes a lost update), siblings kept
//! side by side until a later write supersedes them all, or a merge function (counter, set).

use serde::{Deserialize, Serialize};

use crate::sim::command::NodeId;
use crate::sim::hash::Fnv64;
use crate::sim::scenario::NODES_MAX;

const SLOTS: usize = NODES_MAX as usize;
/// Elements a merged set keeps (the largest ids): a bound, and still a join (max-k of a
/// union is associative, commutative and idempotent).
pub const SET_MAX: usize = 16;
/// Siblings a replica keeps for one key. Each sibling comes from a different writer lineage,
/// so with at most seven nodes this is never reached in practice; it is a hard bound.
pub const SIBLINGS_MAX: usize = 8;

/// How concurrent versions are reconciled. Selectable live.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictPolicy {
    /// Highest timestamp wins (ties: higher node id). Clocks may be skewed.
    #[default]
    Lww,
    /// Keep every concurrent version as a sibling until a write that saw them all replaces
    /// them.
    Siblings,
    /// Values are grow-only counters; concurrent increments are added.
    MergeCounter,
    /// Values are sets of write ids; concurrent adds are united.
    MergeSet,
}

impl ConflictPolicy {
    pub fn label(self) -> &'static str {
        match self {
            ConflictPolicy::Lww => "last writer wins",
            ConflictPolicy::Siblings => "version vectors (siblings)",
            ConflictPolicy::MergeCounter => "merge: counter",
            ConflictPolicy::MergeSet => "merge: set union",
        }
    }
    /// True when every write's value is a register value the checker can follow.
    pub fn is_register(self) -> bool {
        matches!(self, ConflictPolicy::Lww | ConflictPolicy::Siblings)
    }
}

/// How a replica orders versions. `Tag` is for protocols that order writes themselves
/// (a leader's log, ABD's tags): higher (ts, node) is newer and nothing is a conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolve {
    Policy(ConflictPolicy),
    Tag,
}

/// A version vector: writes seen per node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Vv(pub [u32; SLOTS]);

impl Vv {
    /// True when `self` has seen everything `o` has.
    pub fn covers(&self, o: &Vv) -> bool {
        self.0.iter().zip(o.0.iter()).all(|(a, b)| a >= b)
    }
    pub fn join(&self, o: &Vv) -> Vv {
        let mut r = *self;
        for (a, b) in r.0.iter_mut().zip(o.0.iter()) {
            *a = (*a).max(*b);
        }
        r
    }
    pub fn concurrent(&self, o: &Vv) -> bool {
        !self.covers(o) && !o.covers(self)
    }
}

/// The payload of merge-typed values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Payload {
    /// A register: the value is [`Version::value`].
    #[default]
    Register,
    /// A grow-only counter: increments per node.
    Counter([u32; SLOTS]),
    /// A set of write ids, largest [`SET_MAX`] kept, ascending.
    Set(Vec<u64>),
}

impl Payload {
    fn join(&self, o: &Payload) -> Payload {
        match (self, o) {
            (Payload::Counter(a), Payload::Counter(b)) => {
                let mut r = *a;
                for (x, y) in r.iter_mut().zip(b.iter()) {
                    *x = (*x).max(*y);
                }
                Payload::Counter(r)
            }
            (Payload::Set(a), Payload::Set(b)) => {
                let mut r: Vec<u64> = a.iter().chain(b.iter()).copied().collect();
                r.sort_unstable();
                r.dedup();
                let cut = r.len().saturating_sub(SET_MAX);
                Payload::Set(r.split_off(cut))
            }
            (p, _) => p.clone(),
        }
    }
    /// Counter total or set size, for display.
    pub fn magnitude(&self) -> Option<u64> {
        match self {
            Payload::Register => None,
            Payload::Counter(c) => Some(c.iter().map(|&x| u64::from(x)).sum()),
            Payload::Set(s) => Some(s.len() as u64),
        }
    }
}

/// One version of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The id of the write that produced it (unique per run); for registers, the value.
    pub value: u64,
    /// Timestamp on the writer's (possibly skewed) clock in µs, or a protocol's tag.
    pub ts: u64,
    /// The writer (coordinator or leader).
    pub node: NodeId,
    pub vv: Vv,
    pub payload: Payload,
}

impl Version {
    /// Total order used by last-writer-wins and tags: timestamp, then node, then value.
    pub fn tag(&self) -> (u64, NodeId, u64) {
        (self.ts, self.node, self.value)
    }
    /// A scalar version for the checker (higher is newer), where one exists.
    pub fn scalar(&self) -> u64 {
        self.ts
            .saturating_mul(8)
            .saturating_add(u64::from(self.node))
    }
    pub fn hash_into(&self, h: &mut Fnv64) {
        h.write_u64(self.value);
        h.write_u64(self.ts);
        h.write_u64(u64::from(self.node));
        for x in self.vv.0 {
            h.write_u64(u64::from(x));
        }
        match &self.payload {
            Payload::Register => h.write_u8(0),
            Payload::Counter(c) => {
                h.write_u8(1);
                c.iter().for_each(|&x| h.write_u64(u64::from(x)));
            }
            Payload::Set(s) => {
                h.write_u8(2);
                s.iter().for_each(|&x| h.write_u64(x));
            }
        }
    }
}

/// What a merge did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// The replica's state for the key changed.
    pub changed: bool,
    /// The incoming version was concurrent with what the replica held: the values of all the
    /// competing versions (sorted).
    pub conflict: Option<Vec<u64>>,
    /// Last-writer-wins only: each value the replica replaced or refused, with the value it
    /// kept, `(dropped, kept)`. Whether that lost an acknowledged update depends on when the
    /// two writes ran, which the cluster knows.
    pub overwritten: Vec<(u64, u64)>,
}

/// Merge `v` into the versions `held` of one key.
pub fn merge(held: &mut Vec<Version>, v: &Version, resolve: Resolve) -> Merged {
    let mut out = Merged::default();
    if held.is_empty() {
        held.push(v.clone());
        out.changed = true;
        return out;
    }
    match resolve {
        Resolve::Tag => {
            if v.tag() > held[0].tag() {
                held[0] = v.clone();
                out.changed = true;
            }
        }
        Resolve::Policy(ConflictPolicy::Lww) => merge_lww(held, v, &mut out),
        Resolve::Policy(ConflictPolicy::Siblings) => merge_siblings(held, v, &mut out),
        Resolve::Policy(_) => merge_payload(held, v, &mut out),
    }
    out
}

fn merge_lww(held: &mut [Version], v: &Version, out: &mut Merged) {
    let cur = &mut held[0];
    if cur.tag() == v.tag() {
        // The same write, perhaps with a vector that has absorbed more: keep the union.
        let vv = cur.vv.join(&v.vv);
        out.changed = vv != cur.vv;
        cur.vv = vv;
        return;
    }
    if cur.vv.covers(&v.vv) {
        // Already incorporated: the value held causally follows it.
        out.overwritten.push((v.value, cur.value));
        return;
    }
    let causal_newer = v.vv.covers(&cur.vv);
    if v.tag() > cur.tag() {
        if !causal_newer {
            out.conflict = Some(sorted(cur.value, v.value));
        }
        out.overwritten.push((cur.value, v.value));
        let vv = v.vv.join(&cur.vv);
        *cur = v.clone();
        cur.vv = vv;
    } else {
        // Not covered by what the replica holds, yet older by timestamp: dropped.
        out.conflict = Some(sorted(cur.value, v.value));
        out.overwritten.push((v.value, cur.value));
        cur.vv = cur.vv.join(&v.vv);
    }
    out.changed = true;
}

fn merge_siblings(held: &mut Vec<Version>, v: &Version, out: &mut Merged) {
    if held.iter().any(|s| s.vv.covers(&v.vv)) {
        return;
    }
    held.retain(|s| !v.vv.covers(&s.vv));
    if !held.is_empty() {
        let mut values: Vec<u64> = held.iter().map(|s| s.value).collect();
        values.push(v.value);
        values.sort_unstable();
        out.conflict = Some(values);
    }
    held.push(v.clone());
    crate::sim::sort::sort_by_key(held, |s| s.tag());
    if held.len() > SIBLINGS_MAX {
        held.remove(0);
    }
    out.changed = true;
}

fn merge_payload(held: &mut [Version], v: &Version, out: &mut Merged) {
    let cur = &mut held[0];
    if cur.vv.covers(&v.vv) {
        return;
    }
    if !v.vv.covers(&cur.vv) {
        out.conflict = Some(sorted(cur.value, v.value));
    }
    let payload = cur.payload.join(&v.payload);
    let vv = cur.vv.join(&v.vv);
    if v.tag() > cur.tag() {
        *cur = v.clone();
    }
    cur.payload = payload;
    cur.vv = vv;
    out.changed = true;
}

fn sorted(a: u64, b: u64) -> Vec<u64> {
    vec![a.min(b), a.max(b)]
}

/// The version a client is shown when a replica holds several: the newest by tag.
pub fn newest(held: &[Version]) -> Option<&Version> {
    held.iter().max_by_key(|v| v.tag())
}

/// True when `seen` includes the effects of `written` (for session guarantees).
pub fn includes(seen: &[Version], written: &Version, resolve: Resolve) -> bool {
    seen.iter().any(|s| match resolve {
        Resolve::Policy(ConflictPolicy::Siblings)
        | Resolve::Policy(ConflictPolicy::MergeCounter)
        | Resolve::Policy(ConflictPolicy::MergeSet) => s.vv.covers(&written.vv),
        _ => s.tag() >= written.tag(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ver(value: u64, ts: u64, node: NodeId, vv: &[(usize, u32)]) -> Version {
        let mut v = Vv::default();
        for &(i, c) in vv {
            v.0[i] = c;
        }
        Version {
            value,
            ts,
            node,
            vv: v,
            payload: Payload::Register,
        }
    }

    #[test]
    fn lww_discards_the_lower_timestamp_of_concurrent_writes() {
        let a = ver(1, 100, 0, &[(0, 1)]);
        let b = ver(2, 50, 1, &[(1, 1)]);
        let mut held = vec![a.clone()];
        let m = merge(&mut held, &b, Resolve::Policy(ConflictPolicy::Lww));
        assert_eq!(m.overwritten, vec![(2, 1)]);
        assert_eq!(m.conflict, Some(vec![1, 2]));
        assert_eq!(held[0].value, 1);
        // The same version again changes nothing (merges are idempotent); it is reported
        // as refused again, which the cluster counts once.
        let before = held.clone();
        let again = merge(&mut held, &b, Resolve::Policy(ConflictPolicy::Lww));
        assert!(!again.changed && again.conflict.is_none());
        assert_eq!(again.overwritten, vec![(2, 1)]);
        assert_eq!(held, before);
        // Order of arrival does not matter.
        let mut other = vec![b];
        merge(&mut other, &a, Resolve::Policy(ConflictPolicy::Lww));
        assert_eq!(other, held);
    }

    #[test]
    fn lww_skew_drops_a_causally_later_write() {
        let a = ver(1, 500, 0, &[(0, 1)]); // node 0's clock runs ahead
        let b = ver(2, 100, 1, &[(0, 1), (1, 1)]); // b saw a, but its clock is behind
        let mut held = vec![a];
        let m = merge(&mut held, &b, Resolve::Policy(ConflictPolicy::Lww));
        assert_eq!(m.overwritten, vec![(2, 1)]);
        assert_eq!(held[0].value, 1);
    }

    #[test]
    fn siblings_are_kept_and_a_covering_write_resolves_them() {
        let p = Resolve::Policy(ConflictPolicy::Siblings);
        let mut held = vec![ver(1, 1, 0, &[(0, 1)])];
        let m = merge(&mut held, &ver(2, 2, 1, &[(1, 1)]), p);
        assert_eq!(m.conflict, Some(vec![1, 2]));
        assert_eq!(held.len(), 2);
        let m = merge(&mut held, &ver(3, 3, 0, &[(0, 2), (1, 1)]), p);
        assert_eq!(m.conflict, None);
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].value, 3);
    }

    #[test]
    fn counters_add_concurrent_increments() {
        let p = Resolve::Policy(ConflictPolicy::MergeCounter);
        let mut a = ver(1, 1, 0, &[(0, 1)]);
        a.payload = Payload::Counter([1, 0, 0, 0, 0, 0, 0]);
        let mut b = ver(2, 1, 1, &[(1, 1)]);
        b.payload = Payload::Counter([0, 1, 0, 0, 0, 0, 0]);
        let mut held = vec![a];
        merge(&mut held, &b, p);
        assert_eq!(held[0].payload.magnitude(), Some(2));
        merge(&mut held, &b, p);
        assert_eq!(held[0].payload.magnitude(), Some(2), "idempotent");
    }
}
