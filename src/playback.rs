//! Playback: how wall-clock time in the page turns into simulated time. Pure, so the speed
//! mapping and the per-frame budget are tested natively; the page's animation loop calls it.

use crate::sim::timeline::Timeline;
use crate::sim::{Advance, SimDuration};

/// Slowest and fastest playback, as simulated seconds per wall-clock second.
pub const SPEED_MIN: f64 = 0.1;
pub const SPEED_MAX: f64 = 100.0;
/// A frame never advances more than this much wall time (a background tab resumes calmly
/// instead of jumping ahead by minutes).
pub const FRAME_WALL_MS_MAX: f64 = 100.0;
/// Events processed per animation frame at most, so one frame stays well under 16 ms.
pub const FRAME_EVENTS_MAX: u64 = 40_000;

/// Clamp a requested speed into the supported range; NaN becomes 1x.
pub fn clamp_speed(speed: f64) -> f64 {
    if speed.is_nan() {
        1.0
    } else {
        speed.clamp(SPEED_MIN, SPEED_MAX)
    }
}

/// The speed slider is logarithmic: position 0..=1000 maps to 0.1x..=100x.
pub fn speed_from_slider(pos: u32) -> f64 {
    let t = f64::from(pos.min(1000)) / 1000.0;
    clamp_speed(SPEED_MIN * (SPEED_MAX / SPEED_MIN).powf(t))
}

pub fn slider_from_speed(speed: f64) -> u32 {
    let s = clamp_speed(speed);
    ((s / SPEED_MIN).ln() / (SPEED_MAX / SPEED_MIN).ln() * 1000.0).round() as u32
}

/// `0.1×`, `2.5×`, `10×`.
pub fn speed_label(speed: f64) -> String {
    if speed < 10.0 {
        format!("{speed:.1}×")
    } else {
        format!("{speed:.0}×")
    }
}

/// Advance the run for `wall_ms` of wall-clock time at `speed`, within the frame budget.
pub fn advance_wall(run: &mut Timeline, wall_ms: f64, speed: f64) -> Advance {
    let wall_ms = if wall_ms.is_finite() {
        wall_ms.clamp(0.0, FRAME_WALL_MS_MAX)
    } else {
        0.0
    };
    let sim_us = (wall_ms * 1_000.0 * clamp_speed(speed)).round() as u64;
    let target = run.now() + SimDuration(sim_us);
    run.advance_to(target, FRAME_EVENTS_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Scenario, SimTime};

    #[test]
    fn slider_is_logarithmic_and_round_trips() {
        assert!((speed_from_slider(0) - 0.1).abs() < 1e-9);
        assert!((speed_from_slider(1000) - 100.0).abs() < 1e-9);
        assert!((speed_from_slider(333) - 1.0).abs() < 0.02);
        for s in [0.1, 0.5, 1.0, 3.0, 10.0, 100.0] {
            let back = speed_from_slider(slider_from_speed(s));
            assert!((back / s - 1.0).abs() < 0.01, "{s} -> {back}");
        }
        assert_eq!(clamp_speed(f64::NAN), 1.0);
        assert_eq!(clamp_speed(1e9), SPEED_MAX);
        assert_eq!(speed_label(0.1), "0.1×");
        assert_eq!(speed_label(25.0), "25×");
    }

    #[test]
    fn a_frame_moves_simulated_time_by_speed_times_wall_time() {
        let mut sim = Timeline::new(Scenario::default()).unwrap();
        advance_wall(&mut sim, 16.0, 10.0);
        assert_eq!(sim.now(), SimTime::from_us(160_000));
        advance_wall(&mut sim, 5_000.0, 1.0); // clamped to 100 ms
        assert_eq!(sim.now(), SimTime::from_us(260_000));
        advance_wall(&mut sim, f64::INFINITY, 1.0);
        assert_eq!(sim.now(), SimTime::from_us(260_000));
    }
}
