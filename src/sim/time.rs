//! Virtual time. The model never reads a wall clock: time is an integer count of
//! microseconds that only the event queue moves forward.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point in simulated time, in microseconds since the start of a run.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

/// A span of simulated time, in microseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimDuration(pub u64);

impl SimDuration {
    /// "Never": a duration no event is scheduled after.
    pub const MAX: SimDuration = SimDuration(u64::MAX);
}

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable time; `advance_to(SimTime::MAX, n)` runs until the queue drains.
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_us(us: u64) -> Self {
        SimTime(us)
    }
    pub const fn from_ms(ms: u64) -> Self {
        SimTime(ms.saturating_mul(1_000))
    }
    pub const fn as_us(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    /// Time elapsed since `earlier`, or zero when `earlier` is later (never underflows).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_us(us: u64) -> Self {
        SimDuration(us)
    }
    pub const fn from_ms(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(1_000))
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(1_000_000))
    }
    pub const fn as_us(self) -> u64 {
        self.0
    }
    pub fn as_ms_f64(self) -> f64 {
        self.0 as f64 / 1e3
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
}

/// Saturating: time stops at `SimTime::MAX` rather than wrapping around.
impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

/// `12.345678 s` style, always with six decimals so the digits do not jump around on screen.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06} s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 1_000 {
            write!(f, "{} µs", self.0)
        } else if self.0 < 1_000_000 {
            write!(f, "{:.1} ms", self.as_ms_f64())
        } else {
            write!(f, "{:.3} s", self.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_and_orders() {
        let t = SimTime::from_ms(5);
        assert_eq!(t.as_us(), 5_000);
        assert_eq!(t + SimDuration::from_us(7), SimTime(5_007));
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
        assert_eq!(SimTime(3) - SimTime(10), SimDuration::ZERO);
        assert_eq!(SimTime(10) - SimTime(3), SimDuration(7));
        assert!(SimTime(1) < SimTime(2));
        let mut u = SimTime::ZERO;
        u += SimDuration::from_ms(2);
        assert_eq!(u, SimTime(2_000));
    }

    #[test]
    fn display_is_stable() {
        assert_eq!(SimTime(12_345_678).to_string(), "12.345678 s");
        assert_eq!(SimDuration(999).to_string(), "999 µs");
        assert_eq!(SimDuration(1_500).to_string(), "1.5 ms");
        assert_eq!(SimDuration(2_000_000).to_string(), "2.000 s");
    }
}
