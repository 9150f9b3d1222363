//! The clients: operations arrive as a Poisson stream at `ops_per_s`; each is taken by an idle
//! session (a session has at most one operation in progress, so its history is sequential),
//! with a read/write mix, a key distribution and a routing rule.

use serde::{Deserialize, Serialize};

use crate::sim::command::NodeId;
use crate::sim::rng::SimRng;

use super::version::Version;

/// Largest operation rate, per simulated second.
pub const OPS_RATE_MAX: u32 = 20_000;
/// Most keys a workload may use.
pub const KEYS_MAX: u32 = 10_000;
/// Most client sessions.
pub const SESSIONS_MAX: u32 = 256;
/// Most rows one transaction may write.
pub const TXN_ROWS_MAX: u32 = 16;

/// Which keys operations touch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyDist {
    /// Every key equally likely.
    Uniform,
    /// Key `i` (from 1) has weight `1 / i^s`. `s` in 0.0 ..= 5.0.
    Zipf { s: f64 },
    /// Key 0 gets `share` of all operations, the rest are uniform. `share` in 0.0 ..= 1.0.
    HotKey { share: f64 },
}

/// Read with its `kind` first through this externally tagged mirror
/// ([`crate::sim::kind_first`]), unknown fields refused.
#[derive(Deserialize)]
#[serde(remote = "KeyDist", rename_all = "snake_case", deny_unknown_fields)]
enum KeyDistWire {
    Uniform,
    Zipf { s: f64 },
    HotKey { share: f64 },
}

impl crate::sim::kind_first::KindFirst for KeyDist {
    const WHAT: &'static str = "a key distribution";
    fn read_variant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        KeyDistWire::deserialize(d)
    }
}

impl<'de> Deserialize<'de> for KeyDist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::sim::kind_first::deserialize(d)
    }
}

/// Which node a session talks to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// Session `s` always talks to node `s mod nodes`.
    #[default]
    Sticky,
    /// Every operation picks a node at random.
    Random,
}

/// What a session is promised about its own writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionGuarantee {
    #[default]
    None,
    /// Read-your-writes by routing: after a write, the session's reads go where its write
    /// was accepted (the leader, or the same node).
    ReadYourWritesRouting,
    /// Read-your-writes by version: a read must return the session's last write to the key
    /// or something newer; an older answer is not accepted (the read waits for more
    /// replicas, goes to the leader, or fails).
    ReadYourWritesVersion,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkloadParams {
    /// Operations per simulated second over all sessions. Default 50. Range 0 ..= 20 000.
    pub ops_per_s: u32,
    /// Share of operations that are reads. Default 0.8. Range 0.0 ..= 1.0.
    pub read_fraction: f64,
    /// Client sessions. Default 16. Range 1 ..= 256.
    pub sessions: u32,
    /// Distinct keys. Default 100. Range 1 ..= 10 000.
    pub keys: u32,
    /// Key distribution. Default uniform.
    pub key_dist: KeyDist,
    /// Default sticky.
    pub routing: Routing,
    /// Default none.
    pub session_guarantee: SessionGuarantee,
    /// After each successful write the session immediately reads the key back. Default false.
    pub read_after_write: bool,
    /// Rows a write transaction changes atomically (single-leader SQL clusters only; 1 is a
    /// plain write). Default 1. Range 1 ..= 16.
    pub txn_rows: u32,
}

impl Default for WorkloadParams {
    fn default() -> Self {
        WorkloadParams {
            ops_per_s: 50,
            read_fraction: 0.8,
            sessions: 16,
            keys: 100,
            key_dist: KeyDist::Uniform,
            routing: Routing::Sticky,
            session_guarantee: SessionGuarantee::None,
            read_after_write: false,
            txn_rows: 1,
        }
    }
}

impl WorkloadParams {
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let range = |f: &'static str, v: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err((f, format!("{v} is out of range (allowed: {lo} ..= {hi})")))
            }
        };
        let prob = |f: &'static str, p: f64, hi: f64| {
            if p.is_finite() && (0.0..=hi).contains(&p) {
                Ok(())
            } else {
                Err((f, format!("{p} is out of range (allowed: 0.0 ..= {hi})")))
            }
        };
        range("ops_per_s", self.ops_per_s.into(), 0, OPS_RATE_MAX.into())?;
        prob("read_fraction", self.read_fraction, 1.0)?;
        range("sessions", self.sessions.into(), 1, SESSIONS_MAX.into())?;
        range("keys", self.keys.into(), 1, KEYS_MAX.into())?;
        range("txn_rows", self.txn_rows.into(), 1, TXN_ROWS_MAX.into())?;
        match self.key_dist {
            KeyDist::Uniform => Ok(()),
            KeyDist::Zipf { s } => prob("key_dist.s", s, 5.0),
            KeyDist::HotKey { share } => prob("key_dist.share", share, 1.0),
        }
    }
}

/// Draws keys. Zipf uses a cumulative table (at most [`KEYS_MAX`] entries) and a binary
/// search, computed with `libm` so it is identical in wasm.
#[derive(Clone, Debug)]
pub struct KeySampler {
    keys: u32,
    dist: KeyDist,
    cdf: Vec<f64>,
}

impl KeySampler {
    pub fn new(keys: u32, dist: KeyDist) -> Self {
        let cdf = match dist {
            KeyDist::Zipf { s } => {
                let mut acc = 0.0;
                let mut v: Vec<f64> = (1..=keys)
                    .map(|i| {
                        acc += 1.0 / libm::pow(f64::from(i), s);
                        acc
                    })
                    .collect();
                v.iter_mut().for_each(|x| *x /= acc);
                v
            }
            _ => Vec::new(),
        };
        KeySampler { keys, dist, cdf }
    }

    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        let uniform = |rng: &mut SimRng| rng.range_u64(0, u64::from(self.keys) - 1) as u32;
        match self.dist {
            KeyDist::Uniform => uniform(rng),
            KeyDist::Zipf { .. } => {
                let u = rng.unit_f64();
                (self.cdf.partition_point(|&c| c < u) as u32).min(self.keys - 1)
            }
            KeyDist::HotKey { share } => {
                if rng.chance(share) {
                    0
                } else {
                    uniform(rng)
                }
            }
        }
    }
}

/// One client session.
#[derive(Clone, Debug, Default)]
pub struct Session {
    /// The operation in progress, if any.
    pub busy: Option<u64>,
    /// Where the session's last write was accepted (for read-your-writes by routing).
    pub wrote_at: Option<NodeId>,
    /// The session's last acknowledged write per key (for read-your-writes by version),
    /// bounded: only the most recent few keys are remembered.
    pub written: Vec<(u32, Version)>,
    /// Key to read back next (read-after-write).
    pub read_back: Option<u32>,
}

/// Keys whose last write a session remembers.
pub const SESSION_MEMORY: usize = 32;

impl Session {
    pub fn remember(&mut self, key: u32, v: Version) {
        self.written.retain(|(k, _)| *k != key);
        if self.written.len() == SESSION_MEMORY {
            self.written.remove(0);
        }
        self.written.push((key, v));
    }
    pub fn last_write(&self, key: u32) -> Option<&Version> {
        self.written.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_prefers_low_keys_and_stays_in_range() {
        let s = KeySampler::new(100, KeyDist::Zipf { s: 1.2 });
        let mut rng = SimRng::new(3);
        let mut hits = [0u32; 100];
        for _ in 0..20_000 {
            hits[s.sample(&mut rng) as usize] += 1;
        }
        assert!(hits[0] > hits[10] * 5, "{hits:?}");
        let hot = KeySampler::new(50, KeyDist::HotKey { share: 0.5 });
        let zeros = (0..10_000).filter(|_| hot.sample(&mut rng) == 0).count();
        assert!((4_800..5_400).contains(&zeros), "{zeros}");
    }
}
