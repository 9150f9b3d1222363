//! A read-through cache in front of the stores, driven by the application's reads while a
//! copy job runs.
//!
//! Every read picks a record (a unit: one document or one source record) with a seeded skew
//! towards low keys, so a hot set exists. A fresh entry is a hit; a miss (or an expired
//! entry) reads the store the application is routed to and caches the answer with the
//! store's current *shape* (the schema it has now). When the routing switches at cut-over
//! the shape changes: entries cached before it are old-shape data, and a hit on one is a
//! stale-shape read, until the entry expires or is invalidated. A write to a cached record
//! invalidates it (`on_write`) or leaves it stale (a stale-value read on a later hit).
//!
//! Store latency grows with the load the cache does not absorb (`store_us / (1 - u)`, u the
//! store's utilisation over a 10 ms tick, capped at 0.95), so when the cache fails (a window
//! of `failures`: every read goes to the store, and the cache comes back empty) read
//! latency rises.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::config::{check, ConfigError};
use super::side::UnitKey;
use crate::sim::rng::SimRng;
use crate::sim::time::{SimDuration, SimTime};

/// Reads are handled in ticks of this many µs.
pub const TICK_US: u64 = 10_000;
/// Hit-ratio samples kept in a report; later windows are only counted.
pub const SAMPLES_MAX: usize = 2_000;
/// Most reads one tick handles (the bound on a tick's loop).
const READS_PER_TICK_MAX: u64 = 1_000;

/// When cached entries are dropped besides their TTL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Invalidation {
    /// Only the TTL: old-shape and stale values are served until entries expire.
    TtlOnly,
    /// A write invalidates the records it touches; a schema change does not.
    #[default]
    OnWrite,
    /// A schema change (the routing switch) empties the cache; writes do not invalidate.
    OnSchemaChange,
}

impl Invalidation {
    /// Snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            Invalidation::TtlOnly => "ttl_only",
            Invalidation::OnWrite => "on_write",
            Invalidation::OnSchemaChange => "on_schema_change",
        }
    }
}

/// The cache's settings (the scenario's `migration.cache`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// Whether the application reads through a cache. Default false.
    pub enabled: bool,
    /// Entry lifetime, in ms. Default 2 000. Range 1 ..= 3 600 000.
    pub ttl_ms: u64,
    /// Entries held at most; the oldest cached go first. Default 5 000. Range 1 ..= 1 000 000.
    pub entries_max: u64,
    /// Invalidation policy. Default `on_write`.
    pub invalidation: Invalidation,
    /// Application reads per simulated second. Default 2 000. Range 1 ..= 100 000.
    pub reads_per_s: u64,
    /// Skew of the keys read: key = max key x u^skew (u uniform); 1 is uniform. Default 3.
    /// Range 1 ..= 8.
    pub skew: u32,
    /// A hit's latency, in µs. Default 200. Range 1 ..= 1 000 000.
    pub hit_us: u64,
    /// A store read's latency when the store is idle, in µs. Default 2 000. Range 1 ..= 1 000 000.
    pub store_us: u64,
    /// Reads per second the store serves at full utilisation. Default 2 500. Range 1 ..= 10 000 000.
    pub store_reads_per_s_max: u64,
    /// Length of one hit-ratio sample, in ms. Default 250. Range 10 ..= 3 600 000.
    pub sample_ms: u64,
    /// When the cache fails (reads go to the store; it comes back empty). Default none.
    /// At most [`FAILURES_MAX`].
    pub failures: Vec<CacheFailure>,
}

/// Most cache failure windows in one scenario.
pub const FAILURES_MAX: usize = 100;

/// A window in which the cache is down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheFailure {
    /// Start, in simulated ms. Range 0 ..= 86 400 000.
    pub at_ms: u64,
    /// Length, in ms. Range 1 ..= 3 600 000.
    pub duration_ms: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            enabled: false,
            ttl_ms: 2_000,
            entries_max: 5_000,
            invalidation: Invalidation::OnWrite,
            reads_per_s: 2_000,
            skew: 3,
            hit_us: 200,
            store_us: 2_000,
            store_reads_per_s_max: 2_500,
            sample_ms: 250,
            failures: Vec::new(),
        }
    }
}

impl CacheSettings {
    /// Check the ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check("cache.ttl_ms", self.ttl_ms, 1, 3_600_000)?;
        check("cache.entries_max", self.entries_max, 1, 1_000_000)?;
        check("cache.reads_per_s", self.reads_per_s, 1, 100_000)?;
        check("cache.skew", self.skew.into(), 1, 8)?;
        check("cache.hit_us", self.hit_us, 1, 1_000_000)?;
        check("cache.store_us", self.store_us, 1, 1_000_000)?;
        check(
            "cache.store_reads_per_s_max",
            self.store_reads_per_s_max,
            1,
            10_000_000,
        )?;
        check("cache.sample_ms", self.sample_ms, 10, 3_600_000)?;
        let n = self.failures.len() as u64;
        check("cache.failures (count)", n, 0, FAILURES_MAX as u64)?;
        for f in &self.failures {
            check("cache.failures.at_ms", f.at_ms, 0, 86_400_000)?;
            check("cache.failures.duration_ms", f.duration_ms, 1, 3_600_000)?;
        }
        Ok(())
    }

    /// The failure windows in simulated time.
    fn down_windows(&self) -> Vec<(SimTime, SimTime)> {
        let win = |f: &CacheFailure| {
            let a = SimTime::from_ms(f.at_ms);
            (a, a + SimDuration::from_ms(f.duration_ms))
        };
        self.failures.iter().map(win).collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Read {
    Hit,
    Miss,
    Down,
}

#[derive(Clone, Debug)]
struct Entry {
    at: SimTime,
    shape: u32,
    dirty: bool,
}

/// One window of reads.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CacheSample {
    /// Window start, in simulated ms.
    pub at_ms: f64,
    /// Reads in the window.
    pub reads: u64,
    /// Reads answered from the cache.
    pub hits: u64,
    /// Hits / reads.
    pub hit_ratio: f64,
    /// Hits that served an entry cached under the previous schema.
    pub stale_shape_reads: u64,
    /// Mean read latency, in ms.
    pub latency_ms_mean: f64,
    /// The cache was down during (part of) the window.
    pub down: bool,
}

/// What the cache did over a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CacheReport {
    /// The invalidation policy.
    pub invalidation: String,
    /// Entry lifetime, in ms.
    pub ttl_ms: u64,
    /// Reads.
    pub reads: u64,
    /// Reads answered from the cache.
    pub hits: u64,
    /// Reads that went to the store (misses, expired entries, cache down).
    pub misses: u64,
    /// Hits / reads.
    pub hit_ratio: f64,
    /// Hits that served old-shape data (cached before the schema changed).
    pub stale_shape_reads: u64,
    /// Hits that served a value written over since it was cached.
    pub stale_value_reads: u64,
    /// Entries dropped by the invalidation policy.
    pub invalidated: u64,
    /// Entries dropped to stay within `entries_max`.
    pub evicted: u64,
    /// Schema changes seen (routing switches).
    pub schema_changes: u64,
    /// Reads made while the cache was down.
    pub down_reads: u64,
    /// Mean read latency, in ms.
    pub latency_ms_mean: f64,
    /// Mean read latency while the cache was down, in ms (0 when it never was).
    pub latency_ms_mean_down: f64,
    /// Largest read latency, in ms.
    pub latency_ms_max: f64,
    /// Hit ratio, stale-shape reads and latency per window, in order.
    pub over_time: Vec<CacheSample>,
    /// Windows past [`SAMPLES_MAX`], not kept.
    pub samples_dropped: u64,
}

/// The cache and its application read workload.
#[derive(Clone, Debug)]
pub struct Cache {
    s: CacheSettings,
    rng: SimRng,
    entries: BTreeMap<UnitKey, Entry>,
    by_age: BTreeSet<(SimTime, UnitKey)>,
    shape: u32,
    downs: Vec<(SimTime, SimTime)>,
    was_down: bool,
    carry: u64,
    latency_us_sum: u128,
    latency_us_sum_down: u128,
    window: CacheSample,
    window_latency_us: u128,
    r: CacheReport,
}

impl Cache {
    /// A cold cache.
    pub fn new(s: CacheSettings, seed: u64) -> Cache {
        let downs = s.down_windows();
        let r = CacheReport {
            invalidation: s.invalidation.name().into(),
            ttl_ms: s.ttl_ms,
            ..CacheReport::default()
        };
        Cache {
            rng: SimRng::substream(seed, "migrate/cache/reads"),
            s,
            entries: BTreeMap::new(),
            by_age: BTreeSet::new(),
            shape: 1,
            downs,
            was_down: false,
            carry: 0,
            latency_us_sum: 0,
            latency_us_sum_down: 0,
            window: CacheSample::default(),
            window_latency_us: 0,
            r,
        }
    }

    /// One tick of reads at `now`; `key_max(c)` is the largest key of unit group `c`
    /// (`groups` of them). Returns the next tick's time.
    pub fn tick(&mut self, now: SimTime, groups: usize, key_max: &dyn Fn(usize) -> i64) -> SimTime {
        let down = self.downs.iter().any(|(a, b)| *a <= now && now < *b);
        if down && !self.was_down {
            // The cache process died: it comes back empty.
            self.entries.clear();
            self.by_age.clear();
        }
        self.was_down = down;
        let due = self.s.reads_per_s * TICK_US + self.carry;
        self.carry = due % 1_000_000;
        let n = (due / 1_000_000).min(READS_PER_TICK_MAX);
        let mut store_reads = Vec::new();
        for _ in 0..n {
            let c = self.rng.range_u64(0, groups.saturating_sub(1) as u64) as usize;
            let key = self.pick_key(key_max(c));
            match (down, self.hit(now, (c, key))) {
                (false, true) => self.record(now, self.s.hit_us, Read::Hit),
                (_, _) => store_reads.push((c, key)),
            }
        }
        let us = self.store_latency_us(store_reads.len() as u64);
        for u in store_reads {
            self.r.misses += 1;
            if down {
                self.r.down_reads += 1;
            } else {
                self.insert(now, u);
            }
            self.record(now, us, if down { Read::Down } else { Read::Miss });
        }
        self.window.down |= down;
        now + SimDuration::from_us(TICK_US)
    }

    /// A key in `1 ..= max`, skewed towards the low keys.
    fn pick_key(&mut self, max: i64) -> i64 {
        let u = self.rng.unit_f64();
        let x = (0..self.s.skew).fold(1.0, |a, _| a * u);
        let max = max.max(1);
        1 + ((max as f64 * x) as i64).min(max - 1)
    }

    /// Whether `u` is served from the cache (counting stale reads); expired entries go.
    fn hit(&mut self, now: SimTime, u: UnitKey) -> bool {
        let Some(e) = self.entries.get(&u) else {
            return false;
        };
        if now.since(e.at).as_us() >= self.s.ttl_ms * 1_000 {
            let at = e.at;
            self.entries.remove(&u);
            self.by_age.remove(&(at, u));
            return false;
        }
        self.r.hits += 1;
        if e.shape != self.shape {
            self.r.stale_shape_reads += 1;
            self.window.stale_shape_reads += 1;
        }
        if e.dirty {
            self.r.stale_value_reads += 1;
        }
        true
    }

    fn insert(&mut self, now: SimTime, u: UnitKey) {
        if let Some(old) = self.entries.remove(&u) {
            self.by_age.remove(&(old.at, u));
        }
        while self.entries.len() as u64 >= self.s.entries_max {
            let Some((_, v)) = self.by_age.pop_first() else {
                break;
            };
            self.entries.remove(&v);
            self.r.evicted += 1;
        }
        let e = Entry {
            at: now,
            shape: self.shape,
            dirty: false,
        };
        self.entries.insert(u, e);
        self.by_age.insert((now, u));
    }

    /// A store read's latency with `reads` store reads in this tick.
    fn store_latency_us(&self, reads: u64) -> u64 {
        let per_s = reads * (1_000_000 / TICK_US);
        let u = (per_s as f64 / self.s.store_reads_per_s_max as f64).min(0.95);
        (self.s.store_us as f64 / (1.0 - u)) as u64
    }

    fn record(&mut self, now: SimTime, us: u64, how: Read) {
        self.r.reads += 1;
        self.latency_us_sum += u128::from(us);
        if how == Read::Down {
            self.latency_us_sum_down += u128::from(us);
        }
        self.r.latency_ms_max = self.r.latency_ms_max.max(us as f64 / 1e3);
        let w_us = self.s.sample_ms * 1_000;
        let start = now.as_us() / w_us * w_us;
        if self.window.reads > 0 && (self.window.at_ms * 1e3) as u64 != start {
            self.close_window();
        }
        if self.window.reads == 0 {
            self.window.at_ms = start as f64 / 1e3;
        }
        self.window.reads += 1;
        self.window.hits += u64::from(how == Read::Hit);
        self.window_latency_us += u128::from(us);
    }

    fn close_window(&mut self) {
        let mut w = std::mem::take(&mut self.window);
        let n = w.reads.max(1) as f64;
        w.hit_ratio = w.hits as f64 / n;
        w.latency_ms_mean = self.window_latency_us as f64 / n / 1e3;
        self.window_latency_us = 0;
        if self.r.over_time.len() < SAMPLES_MAX {
            self.r.over_time.push(w);
        } else {
            self.r.samples_dropped += 1;
        }
    }

    /// The application wrote records `units`.
    pub fn written(&mut self, units: &BTreeSet<UnitKey>) {
        for u in units {
            if self.s.invalidation == Invalidation::OnWrite {
                if let Some(e) = self.entries.remove(u) {
                    self.by_age.remove(&(e.at, *u));
                    self.r.invalidated += 1;
                }
            } else if let Some(e) = self.entries.get_mut(u) {
                e.dirty = true;
            }
        }
    }

    /// The store the application reads changed schema (the routing switched).
    pub fn schema_changed(&mut self) {
        self.shape += 1;
        self.r.schema_changes += 1;
        if self.s.invalidation == Invalidation::OnSchemaChange {
            self.r.invalidated += self.entries.len() as u64;
            self.entries.clear();
            self.by_age.clear();
        }
    }

    /// The report so far.
    /// The last closed hit-ratio window, if any.
    pub fn last_sample(&self) -> Option<&CacheSample> {
        self.r.over_time.last()
    }

    pub fn report(&self) -> CacheReport {
        let mut c = self.clone();
        if c.window.reads > 0 {
            c.close_window();
        }
        let n = c.r.reads.max(1) as f64;
        c.r.hit_ratio = c.r.hits as f64 / n;
        c.r.latency_ms_mean = c.latency_us_sum as f64 / n / 1e3;
        let d = c.r.down_reads.max(1) as f64;
        c.r.latency_ms_mean_down = c.latency_us_sum_down as f64 / d / 1e3;
        c.r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(inv: Invalidation, failures: Vec<CacheFailure>) -> CacheReport {
        let s = CacheSettings {
            enabled: true,
            ttl_ms: 60_000,
            invalidation: inv,
            failures,
            ..CacheSettings::default()
        };
        let mut c = Cache::new(s, 7);
        let mut t = SimTime::ZERO;
        while t < SimTime::from_ms(4_000) {
            if t == SimTime::from_ms(2_000) {
                c.schema_changed();
            }
            if t.as_us() % 50_000 == 0 {
                c.written(&[(0, 1), (0, 2), (0, 3)].into());
            }
            t = c.tick(t, 1, &|_| 500);
        }
        c.report()
    }

    #[test]
    fn old_shape_is_served_until_the_policy_drops_it() {
        let ttl = run(Invalidation::TtlOnly, vec![]);
        let on_write = run(Invalidation::OnWrite, vec![]);
        let on_schema = run(Invalidation::OnSchemaChange, vec![]);
        assert!(ttl.hit_ratio > 0.5 && ttl.stale_shape_reads > 0, "{ttl:?}");
        assert!(ttl.stale_value_reads > 0);
        assert!(on_write.stale_shape_reads > 0 && on_write.stale_value_reads == 0);
        assert!(on_schema.stale_shape_reads == 0 && on_schema.invalidated > 0);
        assert_eq!(ttl.reads, 8_000);
        assert_eq!(ttl.reads, ttl.hits + ttl.misses);
    }

    #[test]
    fn a_failed_cache_sends_reads_to_the_store_and_latency_rises() {
        let ok = run(Invalidation::OnWrite, vec![]);
        let down = CacheFailure {
            at_ms: 1_000,
            duration_ms: 500,
        };
        let failed = run(Invalidation::OnWrite, vec![down]);
        assert_eq!(failed.down_reads, 1_000);
        assert!(
            failed.latency_ms_mean_down > 2.0 * ok.latency_ms_mean,
            "{failed:?}"
        );
        assert!(failed.latency_ms_mean > ok.latency_ms_mean);
        let during = failed
            .over_time
            .iter()
            .find(|w| w.at_ms == 1_250.0)
            .unwrap();
        assert!(during.down && during.hit_ratio == 0.0);
    }
}
