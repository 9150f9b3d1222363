//! The simulated network: per-link latency distributions, loss, duplication and reordering,
//! and faults as plain data (partitions into groups, one-way or two-way cuts, lag spikes).
//! `route` decides a message's fate when it is sent; `reachable` is asked again on arrival, so
//! a partition that starts while a message is in flight still stops it.
//!
//! Every draw goes through `SimRng` and `libm`, so a fate is bit-identical natively and in wasm.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::command::NodeId;
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};

/// Longest latency any distribution may produce, in ms (samples are clamped to it).
pub const LATENCY_MS_CAP: f64 = 60_000.0;

/// One-way latency of a link, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Latency {
    /// Always `ms`.
    Constant { ms: f64 },
    /// Uniform between `min_ms` and `max_ms`.
    Uniform { min_ms: f64, max_ms: f64 },
    /// `min_ms` plus an exponential with mean `mean_ms` (a long right tail).
    Exponential { min_ms: f64, mean_ms: f64 },
    /// Log-normal with the given median and shape `sigma` (the tail typical of real networks).
    LogNormal { median_ms: f64, sigma: f64 },
}

/// Read with its `kind` first through this externally tagged mirror
/// ([`crate::sim::kind_first`]), unknown fields refused.
#[derive(Deserialize)]
#[serde(remote = "Latency", rename_all = "snake_case", deny_unknown_fields)]
enum LatencyWire {
    Constant { ms: f64 },
    Uniform { min_ms: f64, max_ms: f64 },
    Exponential { min_ms: f64, mean_ms: f64 },
    LogNormal { median_ms: f64, sigma: f64 },
}

impl crate::sim::kind_first::KindFirst for Latency {
    const WHAT: &'static str = "a latency distribution";
    fn read_variant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        LatencyWire::deserialize(d)
    }
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::sim::kind_first::deserialize(d)
    }
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Uniform {
            min_ms: 5.0,
            max_ms: 40.0,
        }
    }
}

fn finite_in(name: &str, v: f64, lo: f64, hi: f64) -> Result<(), String> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(format!(
            "{name} = {v} is out of range (allowed: {lo} ..= {hi})"
        ))
    }
}

impl Latency {
    pub fn validate(&self) -> Result<(), String> {
        let cap = LATENCY_MS_CAP;
        match *self {
            Latency::Constant { ms } => finite_in("latency ms", ms, 0.0, cap),
            Latency::Uniform { min_ms, max_ms } => {
                finite_in("latency min_ms", min_ms, 0.0, cap)?;
                finite_in("latency max_ms", max_ms, min_ms, cap)
            }
            Latency::Exponential { min_ms, mean_ms } => {
                finite_in("latency min_ms", min_ms, 0.0, cap)?;
                finite_in("latency mean_ms", mean_ms, 0.0, cap)
            }
            Latency::LogNormal { median_ms, sigma } => {
                finite_in("latency median_ms", median_ms, 0.001, cap)?;
                finite_in("latency sigma", sigma, 0.0, 5.0)
            }
        }
    }

    /// Draw one latency, in whole microseconds, clamped to `LATENCY_MS_CAP`.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let ms = match *self {
            Latency::Constant { ms } => ms,
            Latency::Uniform { min_ms, max_ms } => min_ms + (max_ms - min_ms) * rng.unit_f64(),
            Latency::Exponential { min_ms, mean_ms } => min_ms + rng.exponential(mean_ms),
            Latency::LogNormal { median_ms, sigma } => {
                median_ms * libm::exp(sigma * standard_normal(rng))
            }
        };
        SimDuration((ms.clamp(0.0, LATENCY_MS_CAP) * 1_000.0).round() as u64)
    }

    /// The distribution's mean in ms (for labels).
    pub fn mean_ms(&self) -> f64 {
        match *self {
            Latency::Constant { ms } => ms,
            Latency::Uniform { min_ms, max_ms } => (min_ms + max_ms) / 2.0,
            Latency::Exponential { min_ms, mean_ms } => min_ms + mean_ms,
            Latency::LogNormal { median_ms, sigma } => median_ms * libm::exp(sigma * sigma / 2.0),
        }
    }

    /// A short label such as `5–40 ms` or `log-normal, median 20 ms`.
    pub fn label(&self) -> String {
        match *self {
            Latency::Constant { ms } => format!("{ms} ms"),
            Latency::Uniform { min_ms, max_ms } => format!("{min_ms}–{max_ms} ms"),
            Latency::Exponential { min_ms, mean_ms } => {
                format!("{min_ms} ms + exp(mean {mean_ms} ms)")
            }
            Latency::LogNormal { median_ms, sigma } => {
                format!("log-normal, median {median_ms} ms, σ {sigma}")
            }
        }
    }
}

/// A standard normal draw by Box–Muller, with `libm` so it is the same on every target.
pub fn standard_normal(rng: &mut SimRng) -> f64 {
    let u1 = 1.0 - rng.unit_f64(); // (0, 1]
    let u2 = rng.unit_f64();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
}

/// How a link treats messages. Probabilities are in 0.0 ..= 1.0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkParams {
    pub latency: Latency,
    /// Probability that a message is lost. Default 0.01.
    pub loss: f64,
    /// Probability that a delivered message arrives twice. Default 0.
    pub duplicate: f64,
    /// Probability that a message is held back by up to `reorder_ms` extra, so later messages
    /// overtake it. Default 0.
    pub reorder: f64,
    /// Largest extra delay of a reordered message, in ms. Default 100.
    pub reorder_ms: f64,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            latency: Latency::default(),
            loss: 0.01,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_ms: 100.0,
        }
    }
}

impl LinkParams {
    pub fn validate(&self) -> Result<(), String> {
        self.latency.validate()?;
        finite_in("loss", self.loss, 0.0, 1.0)?;
        finite_in("duplicate", self.duplicate, 0.0, 1.0)?;
        finite_in("reorder", self.reorder, 0.0, 1.0)?;
        finite_in("reorder_ms", self.reorder_ms, 0.0, LATENCY_MS_CAP)
    }
}

/// Why the network did not deliver a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Blocked {
    /// Random loss.
    Lost,
    /// The link is cut in this direction.
    LinkCut,
    /// The two nodes are in different partition groups.
    Partitioned,
}

/// What happens to a message handed to the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    Dropped(Blocked),
    /// Delivered after each of these delays (two when duplicated).
    Delivered(Vec<SimDuration>),
}

/// One delivery delay: a latency draw, any running spike, and maybe a reordering hold-back.
fn one_delay(p: &LinkParams, spike: SimDuration, rng: &mut SimRng) -> SimDuration {
    let mut d = p.latency.sample(rng) + spike;
    if rng.chance(p.reorder) {
        d = d + SimDuration((rng.unit_f64() * p.reorder_ms * 1_000.0) as u64);
    }
    d
}

/// A temporary extra delay on a link (both directions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spike {
    pub until: SimTime,
    pub extra: SimDuration,
}

/// An unordered pair, stored smaller id first.
pub fn pair(a: NodeId, b: NodeId) -> (NodeId, NodeId) {
    (a.min(b), a.max(b))
}

#[derive(Clone, Debug, Default)]
pub struct Network {
    /// Parameters of every link without an override.
    pub params: LinkParams,
    /// Per-link parameters (unordered pair).
    pub overrides: BTreeMap<(NodeId, NodeId), LinkParams>,
    /// Directions that are cut: `(from, to)`.
    cut: BTreeSet<(NodeId, NodeId)>,
    /// Partition group of each node while a partition is in force.
    groups: Option<BTreeMap<NodeId, usize>>,
    spikes: BTreeMap<(NodeId, NodeId), Spike>,
}

impl Network {
    pub fn new(params: LinkParams) -> Self {
        Network {
            params,
            ..Network::default()
        }
    }

    pub fn link(&self, a: NodeId, b: NodeId) -> &LinkParams {
        self.overrides.get(&pair(a, b)).unwrap_or(&self.params)
    }

    /// Whether a message from `from` can reach `to` right now (ignoring random loss).
    pub fn blocked(&self, from: NodeId, to: NodeId) -> Option<Blocked> {
        if let Some(g) = &self.groups {
            if g.get(&from) != g.get(&to) {
                return Some(Blocked::Partitioned);
            }
        }
        self.cut.contains(&(from, to)).then_some(Blocked::LinkCut)
    }

    /// Decide a message's fate at send time.
    pub fn route(&self, from: NodeId, to: NodeId, now: SimTime, rng: &mut SimRng) -> Fate {
        if let Some(b) = self.blocked(from, to) {
            return Fate::Dropped(b);
        }
        let p = self.link(from, to);
        if rng.chance(p.loss) {
            return Fate::Dropped(Blocked::Lost);
        }
        let spike = self
            .spikes
            .get(&pair(from, to))
            .filter(|s| s.until > now)
            .map_or(SimDuration::ZERO, |s| s.extra);
        let mut delays = vec![one_delay(p, spike, rng)];
        if rng.chance(p.duplicate) {
            delays.push(one_delay(p, spike, rng));
        }
        Fate::Delivered(delays)
    }

    /// Split the nodes into groups; nodes not named form one more group together.
    pub fn partition(&mut self, groups: &[Vec<NodeId>], nodes: u32) {
        let mut map = BTreeMap::new();
        for (i, g) in groups.iter().enumerate() {
            for &n in g {
                map.insert(n, i);
            }
        }
        for n in 0..nodes {
            map.entry(n).or_insert(groups.len());
        }
        self.groups = Some(map);
    }

    pub fn heal_partition(&mut self) {
        self.groups = None;
    }

    /// The partition groups in force, each sorted, in order of their smallest node.
    pub fn partition_groups(&self) -> Option<Vec<Vec<NodeId>>> {
        let g = self.groups.as_ref()?;
        let mut by_group: BTreeMap<usize, Vec<NodeId>> = BTreeMap::new();
        for (&n, &i) in g {
            by_group.entry(i).or_default().push(n);
        }
        let mut out: Vec<Vec<NodeId>> = by_group.into_values().collect();
        crate::sim::sort::sort(&mut out);
        Some(out)
    }

    /// Cut `from -> to`, and `to -> from` too when `both`.
    pub fn cut(&mut self, from: NodeId, to: NodeId, both: bool) {
        self.cut.insert((from, to));
        if both {
            self.cut.insert((to, from));
        }
    }

    pub fn heal_link(&mut self, a: NodeId, b: NodeId) {
        self.cut.remove(&(a, b));
        self.cut.remove(&(b, a));
    }

    /// Heal every cut link and the partition; spikes run out on their own.
    pub fn heal_all(&mut self) {
        self.cut.clear();
        self.groups = None;
    }

    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cut.contains(&(from, to))
    }

    pub fn spike(&mut self, a: NodeId, b: NodeId, extra: SimDuration, until: SimTime) {
        self.spikes.insert(pair(a, b), Spike { until, extra });
    }

    /// The spike on a link at `now`, if one is running.
    pub fn spike_at(&self, a: NodeId, b: NodeId, now: SimTime) -> Option<Spike> {
        self.spikes
            .get(&pair(a, b))
            .copied()
            .filter(|s| s.until > now)
    }

    /// Forget spikes that have run out (keeps the map bounded by the number of links).
    pub fn expire(&mut self, now: SimTime) {
        self.spikes.retain(|_, s| s.until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_ms(l: &Latency, n: usize) -> f64 {
        let mut r = SimRng::new(9);
        (0..n).map(|_| l.sample(&mut r).as_ms_f64()).sum::<f64>() / n as f64
    }

    #[test]
    fn distributions_have_their_means() {
        let cases = [
            Latency::Constant { ms: 12.0 },
            Latency::Uniform {
                min_ms: 10.0,
                max_ms: 30.0,
            },
            Latency::Exponential {
                min_ms: 5.0,
                mean_ms: 20.0,
            },
            Latency::LogNormal {
                median_ms: 20.0,
                sigma: 0.5,
            },
        ];
        for l in cases {
            l.validate().unwrap();
            let m = mean_ms(&l, 40_000);
            let want = l.mean_ms();
            assert!((m / want - 1.0).abs() < 0.03, "{l:?}: mean {m} want {want}");
        }
    }

    #[test]
    fn lognormal_median_is_the_parameter() {
        let l = Latency::LogNormal {
            median_ms: 30.0,
            sigma: 1.0,
        };
        let mut r = SimRng::new(4);
        let mut v: Vec<u64> = (0..20_001).map(|_| l.sample(&mut r).as_us()).collect();
        v.sort_unstable();
        let median = v[10_000] as f64 / 1e3;
        assert!((median / 30.0 - 1.0).abs() < 0.05, "median {median}");
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(Latency::Uniform {
            min_ms: 9.0,
            max_ms: 3.0
        }
        .validate()
        .is_err());
        assert!(Latency::Constant { ms: f64::NAN }.validate().is_err());
        assert!(Latency::LogNormal {
            median_ms: 0.0,
            sigma: 1.0
        }
        .validate()
        .is_err());
        let p = LinkParams {
            loss: 1.5,
            ..LinkParams::default()
        };
        assert!(p.validate().unwrap_err().contains("loss"));
    }

    #[test]
    fn partitions_and_one_way_cuts() {
        let mut n = Network::new(LinkParams {
            loss: 0.0,
            ..LinkParams::default()
        });
        let mut r = SimRng::new(1);
        n.partition(&[vec![0, 1]], 5);
        assert_eq!(n.partition_groups(), Some(vec![vec![0, 1], vec![2, 3, 4]]));
        assert_eq!(n.blocked(0, 2), Some(Blocked::Partitioned));
        assert_eq!(n.blocked(2, 4), None);
        assert!(matches!(
            n.route(1, 3, SimTime::ZERO, &mut r),
            Fate::Dropped(Blocked::Partitioned)
        ));
        n.heal_partition();
        n.cut(0, 1, false);
        assert_eq!(n.blocked(0, 1), Some(Blocked::LinkCut));
        assert_eq!(n.blocked(1, 0), None, "one-way cut");
        n.cut(2, 3, true);
        assert!(n.is_cut(3, 2));
        n.heal_all();
        assert_eq!(n.blocked(0, 1), None);
        assert_eq!(n.blocked(3, 2), None);
    }

    #[test]
    fn spikes_add_delay_until_they_end() {
        let mut n = Network::new(LinkParams {
            latency: Latency::Constant { ms: 10.0 },
            loss: 0.0,
            ..LinkParams::default()
        });
        let mut r = SimRng::new(1);
        n.spike(1, 0, SimDuration::from_ms(500), SimTime::from_ms(1_000));
        assert_eq!(
            n.route(0, 1, SimTime::from_ms(10), &mut r),
            Fate::Delivered(vec![SimDuration::from_ms(510)])
        );
        assert_eq!(
            n.route(0, 1, SimTime::from_ms(1_000), &mut r),
            Fate::Delivered(vec![SimDuration::from_ms(10)])
        );
        n.expire(SimTime::from_ms(1_000));
        assert!(n.spike_at(0, 1, SimTime::ZERO).is_none());
    }

    #[test]
    fn loss_duplication_and_reordering_rates() {
        let p = LinkParams {
            latency: Latency::Constant { ms: 10.0 },
            loss: 0.2,
            duplicate: 0.1,
            reorder: 0.3,
            reorder_ms: 50.0,
        };
        let n = Network::new(p);
        let mut r = SimRng::new(77);
        let (mut lost, mut dup, mut late, total) = (0, 0, 0, 20_000);
        for _ in 0..total {
            match n.route(0, 1, SimTime::ZERO, &mut r) {
                Fate::Dropped(Blocked::Lost) => lost += 1,
                Fate::Delivered(d) => {
                    dup += usize::from(d.len() == 2);
                    late += usize::from(d[0] > SimDuration::from_ms(10));
                }
                Fate::Dropped(b) => panic!("{b:?}"),
            }
        }
        let share = |k: usize, of: usize| k as f64 / of as f64;
        assert!((share(lost, total) - 0.2).abs() < 0.015);
        let delivered = total - lost;
        assert!((share(dup, delivered) - 0.1).abs() < 0.015);
        assert!((share(late, delivered) - 0.3).abs() < 0.02);
    }
}
