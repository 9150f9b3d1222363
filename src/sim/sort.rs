//! Stable sorting with little code. The standard library's sorts are compiled once per element
//! type *and* comparator closure; with a few dozen call sites that came to about 270 KB of the
//! page's WebAssembly before optimisation. Here the merge sort works on indices through one
//! `dyn` comparator, so it is compiled once; per element type there is only an insertion sort
//! for short slices and the permutation that moves the elements into place.
//!
//! All functions are stable, so results never depend on the algorithm beyond the comparator.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Slices up to this length are sorted in place by insertion (no allocation).
const INSERTION_MAX: usize = 16;

/// Sort `v` stably by `cmp`.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    sort_dyn(v, &mut cmp);
}

/// Sort `v` stably by the key `key` gives each element.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_dyn(v, &mut |a: &T, b: &T| key(a).cmp(&key(b)));
}

/// Sort `v` stably in its natural order.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_dyn(v, &mut |a: &T, b: &T| a.cmp(b));
}

fn sort_dyn<T>(v: &mut [T], cmp: &mut dyn FnMut(&T, &T) -> Ordering) {
    let n = v.len();
    // Already in order (common: rows kept in key order): one pass, no allocation.
    if v.windows(2).all(|w| cmp(&w[0], &w[1]) != Ordering::Greater) {
        return;
    }
    if n <= INSERTION_MAX {
        for i in 1..n {
            let mut j = i;
            while j > 0 && cmp(&v[j - 1], &v[j]) == Ordering::Greater {
                v.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let order = {
        let items: &[T] = v;
        merge_sort_indices(n, &mut |i, j| cmp(&items[i], &items[j]))
    };
    permute(v, order);
}

/// The stable sorted order of `0..n` under `cmp` (bottom-up merge sort).
fn merge_sort_indices(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut a: Vec<usize> = (0..n).collect();
    let mut b: Vec<usize> = vec![0; n];
    // Runs of 4 by insertion first: fewer passes over the buffers.
    const RUN: usize = 4;
    for start in (0..n).step_by(RUN) {
        let end = (start + RUN).min(n);
        for i in start + 1..end {
            let mut j = i;
            while j > start && cmp(a[j - 1], a[j]) == Ordering::Greater {
                a.swap(j - 1, j);
                j -= 1;
            }
        }
    }
    let mut width = RUN;
    while width < n {
        for start in (0..n).step_by(2 * width) {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            for slot in &mut b[start..end] {
                // Take from the left run on ties: that keeps the sort stable.
                let left = j >= end || (i < mid && cmp(a[i], a[j]) != Ordering::Greater);
                if left {
                    *slot = a[i];
                    i += 1;
                } else {
                    *slot = a[j];
                    j += 1;
                }
            }
        }
        std::mem::swap(&mut a, &mut b);
        width *= 2;
    }
    a
}

/// Rearrange `v` so that position `k` holds the element that was at `order[k]`.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        // Follow each cycle once, swapping elements along it; mark visited slots with their
        // own index.
        let mut k = start;
        while order[k] != start {
            let from = order[k];
            v.swap(k, from);
            order[k] = k;
            k = from;
        }
        order[k] = k;
    }
}

/// `collect()` into the ordered collections by inserting one item at a time. The standard
/// `FromIterator` sorts the items first, which compiles a stable sort for every element type
/// collected (two dozen of them in the page). Later duplicates win in maps, as with
/// `collect()`.
pub trait CollectOrdered: Iterator + Sized {
    fn collect_map<K: Ord, V>(self) -> BTreeMap<K, V>
    where
        Self: Iterator<Item = (K, V)>,
    {
        let mut m = BTreeMap::new();
        for (k, v) in self {
            m.insert(k, v);
        }
        m
    }

    fn collect_set<T: Ord>(self) -> BTreeSet<T>
    where
        Self: Iterator<Item = T>,
    {
        let mut s = BTreeSet::new();
        for x in self {
            s.insert(x);
        }
        s
    }
}

impl<I: Iterator> CollectOrdered for I {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so the test needs no crate.
    fn numbers(n: usize, seed: u64) -> Vec<(u32, usize)> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ((x % 50) as u32, i)
            })
            .collect()
    }

    #[test]
    fn matches_the_standard_stable_sort() {
        for n in [0, 1, 2, 3, 5, 15, 16, 17, 31, 64, 100, 1000, 4099] {
            for seed in 1..6 {
                let mut ours = numbers(n, seed);
                let mut std_sorted = ours.clone();
                sort_by_key(&mut ours, |p| p.0);
                std_sorted.sort_by_key(|p| p.0);
                assert_eq!(ours, std_sorted, "n={n} seed={seed}");
            }
        }
    }

    #[test]
    fn sorts_types_without_clone_and_reversed_orders() {
        struct NoClone(String);
        let mut v: Vec<NoClone> = (0..40)
            .map(|i| NoClone(format!("{:03}", (i * 17) % 40)))
            .collect();
        sort_by(&mut v, |a, b| b.0.cmp(&a.0));
        let got: Vec<&str> = v.iter().map(|x| x.0.as_str()).collect();
        let mut want = got.clone();
        want.sort_by(|a, b| b.cmp(a));
        assert_eq!(got, want);
        let m = [(2, "b"), (1, "a"), (2, "c")].into_iter().collect_map();
        assert_eq!(m, [(1, "a"), (2, "c")].into_iter().collect());
        let mut words = vec!["b", "a", "c"];
        sort(&mut words);
        assert_eq!(words, ["a", "b", "c"]);
    }
}
