//! Bounded metrics: time series in ring buffers for the charts, and a latency window whose
//! percentiles come from a fixed-size reservoir. Nothing here grows with the length of a run.

use std::collections::VecDeque;

use super::rng::SimRng;
use super::time::SimTime;

/// Samples a series keeps; at the default 250 ms interval that is two simulated minutes.
pub const SERIES_CAPACITY: usize = 480;
/// Latency samples kept per window; beyond this, reservoir sampling keeps a uniform subset.
pub const RESERVOIR_CAPACITY: usize = 4_096;

/// A named time series with a fixed capacity: the oldest point falls out when a new one
/// arrives at a full buffer.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub unit: &'static str,
    points: VecDeque<(SimTime, f64)>,
}

impl Series {
    pub fn new(name: impl Into<String>, unit: &'static str) -> Self {
        Series {
            name: name.into(),
            unit,
            points: VecDeque::with_capacity(SERIES_CAPACITY),
        }
    }

    pub fn push(&mut self, at: SimTime, v: f64) {
        if self.points.len() == SERIES_CAPACITY {
            self.points.pop_front();
        }
        self.points.push_back((at, v));
    }

    pub fn points(&self) -> impl ExactSizeIterator<Item = &(SimTime, f64)> + '_ {
        self.points.iter()
    }

    pub fn last(&self) -> Option<f64> {
        self.points.back().map(|p| p.1)
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// Latency samples (µs) of one metrics window, summarised as percentiles at the window's end.
#[derive(Clone, Debug)]
pub struct LatencyWindow {
    samples: Vec<u64>,
    seen: u64,
    rng: SimRng,
}

impl LatencyWindow {
    pub fn new(rng: SimRng) -> Self {
        LatencyWindow {
            samples: Vec::with_capacity(RESERVOIR_CAPACITY),
            seen: 0,
            rng,
        }
    }

    /// Algorithm R: every sample of the window has the same chance to be kept.
    pub fn record(&mut self, us: u64) {
        self.seen += 1;
        if self.samples.len() < RESERVOIR_CAPACITY {
            self.samples.push(us);
        } else {
            let j = self.rng.range_u64(0, self.seen - 1) as usize;
            if j < RESERVOIR_CAPACITY {
                self.samples[j] = us;
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.seen
    }

    /// Nearest-rank percentile (`q` in 0..=100) of the window, or None when empty.
    pub fn percentile(&self, q: u32) -> Option<u64> {
        percentile(&self.samples, q)
    }

    pub fn clear(&mut self) {
        self.samples.clear();
        self.seen = 0;
    }
}

/// Nearest-rank percentile of unsorted values; `q` is clamped to 0..=100.
pub fn percentile(values: &[u64], q: u32) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let q = q.min(100) as usize;
    let rank = (q * v.len()).div_ceil(100).max(1);
    Some(v[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_is_bounded() {
        let mut s = Series::new("x", "1");
        for i in 0..(SERIES_CAPACITY as u64 + 10) {
            s.push(SimTime(i), i as f64);
        }
        assert_eq!(s.len(), SERIES_CAPACITY);
        assert_eq!(s.points().next().unwrap().0, SimTime(10));
        assert_eq!(s.last(), Some((SERIES_CAPACITY + 9) as f64));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(percentile(&v, 50), Some(50));
        assert_eq!(percentile(&v, 99), Some(99));
        assert_eq!(percentile(&v, 100), Some(100));
        assert_eq!(percentile(&v, 0), Some(1));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn reservoir_keeps_a_bounded_uniform_sample() {
        let mut w = LatencyWindow::new(SimRng::new(3));
        for i in 0..100_000u64 {
            w.record(i);
        }
        assert_eq!(w.count(), 100_000);
        let p50 = w.percentile(50).unwrap();
        assert!((45_000..55_000).contains(&p50), "p50 {p50}");
        w.clear();
        assert_eq!(w.percentile(50), None);
    }
}
