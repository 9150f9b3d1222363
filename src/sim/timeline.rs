//! A run with a past and a recorded future. The timeline keeps the full command script (what
//! the user did, with simulated times) and checkpoints (clones of the simulation every few
//! simulated seconds). Seeking restores the nearest earlier checkpoint and replays to the
//! target, so rewinding is fast and lands on exactly the state the run had then. Playing on
//! after a rewind re-applies the recorded commands at their times, so the same history unfolds
//! again; a new command after a rewind starts a new branch and drops the old future.

use super::engine::{Advance, Simulation};
use super::scenario::{Scenario, ScenarioError};
use super::time::{SimDuration, SimTime};
use super::{Command, TimedCommand};

/// Checkpoints kept at most; when full, every other one is dropped and the interval doubles,
/// so a long run is still covered end to end.
pub const CHECKPOINTS_MAX: usize = 64;
/// Simulated time between checkpoints at the start of a run.
pub const CHECKPOINT_INTERVAL: SimDuration = SimDuration::from_secs(5);

#[derive(Clone)]
pub struct Timeline {
    sim: Simulation,
    /// Every command of this branch, past and recorded future, in time order.
    script: Vec<TimedCommand>,
    /// Clones of the run at increasing times; the first is the start.
    checkpoints: Vec<Simulation>,
    interval: SimDuration,
    /// The latest time this branch has reached (the right end of the scrub bar).
    horizon: SimTime,
}

impl Timeline {
    pub fn new(scenario: Scenario) -> Result<Self, ScenarioError> {
        let sim = Simulation::new(scenario)?;
        Ok(Timeline {
            checkpoints: vec![sim.clone()],
            sim,
            script: Vec::new(),
            interval: CHECKPOINT_INTERVAL,
            horizon: SimTime::ZERO,
        })
    }

    /// A timeline whose recorded future is `script`, standing at time zero.
    pub fn with_script(
        scenario: Scenario,
        script: Vec<TimedCommand>,
    ) -> Result<Self, ScenarioError> {
        let mut t = Timeline::new(scenario)?;
        for c in &script {
            t.sim.scenario().validate_command(&c.command)?;
        }
        if script.windows(2).any(|w| w[1].at < w[0].at) {
            return Err(ScenarioError::InvalidCommand(
                "commands are out of time order".into(),
            ));
        }
        t.script = script;
        Ok(t)
    }

    pub fn sim(&self) -> &Simulation {
        &self.sim
    }
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }
    pub fn script(&self) -> &[TimedCommand] {
        &self.script
    }
    pub fn horizon(&self) -> SimTime {
        self.horizon.max(self.sim.now())
    }
    pub fn checkpoint_count(&self) -> usize {
        self.checkpoints.len()
    }

    /// Advance towards `target`, applying recorded commands at their times, processing at most
    /// `max_events` events.
    pub fn advance_to(&mut self, target: SimTime, max_events: u64) -> Advance {
        let mut processed = 0;
        loop {
            let applied = self.sim.command_log().len();
            let next_cmd = self.script.get(applied).filter(|c| c.at <= target).cloned();
            let cmd_at = next_cmd.as_ref().map_or(target, |c| c.at);
            // Stop at each checkpoint time too, so a long seek leaves checkpoints behind it.
            let stop = cmd_at.min(target).min(self.next_checkpoint_at());
            let a = self.sim.advance_to(stop, max_events - processed);
            processed += a.processed;
            self.maybe_checkpoint();
            self.horizon = self.horizon.max(self.sim.now());
            if !a.reached {
                return Advance {
                    processed,
                    reached: false,
                };
            }
            match next_cmd {
                Some(c) if stop == c.at => {
                    self.sim
                        .command(c.command)
                        .expect("recorded commands were valid when recorded");
                }
                _ if stop < target => {}
                _ => {
                    return Advance {
                        processed,
                        reached: true,
                    }
                }
            }
        }
    }

    fn next_checkpoint_at(&self) -> SimTime {
        self.checkpoints.last().map_or(SimTime::ZERO, |c| c.now()) + self.interval
    }

    /// Process one event (the page's Step button).
    pub fn step(&mut self) -> Option<SimTime> {
        let t = self.sim.step();
        self.horizon = self.horizon.max(self.sim.now());
        t
    }

    /// Apply a new command now. Recorded commands after now belong to a future that this one
    /// replaces, so they and the checkpoints beyond now are dropped.
    pub fn command(&mut self, command: Command) -> Result<(), ScenarioError> {
        let applied = self.sim.command_log().len();
        self.sim.command(command)?;
        self.script.truncate(applied);
        self.script
            .push(self.sim.command_log().last().expect("just applied").clone());
        let now = self.sim.now();
        self.checkpoints.retain(|c| c.now() <= now);
        self.horizon = now;
        Ok(())
    }

    /// Move to `target` (earlier or later). Returns the events replayed.
    pub fn seek(&mut self, target: SimTime) -> u64 {
        if target < self.sim.now() {
            let base = self
                .checkpoints
                .iter()
                .rev()
                .find(|c| c.now() <= target)
                .expect("the first checkpoint is the start of the run");
            self.sim = base.clone();
        }
        self.advance_to(target, u64::MAX).processed
    }

    fn maybe_checkpoint(&mut self) {
        if self.sim.now() < self.next_checkpoint_at() {
            return;
        }
        self.checkpoints.push(self.sim.clone());
        if self.checkpoints.len() > CHECKPOINTS_MAX {
            // Keep the start and every other checkpoint after it.
            let mut i = 0;
            self.checkpoints.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.interval = SimDuration(self.interval.as_us() * 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scripted() -> Timeline {
        let script = vec![
            TimedCommand {
                at: SimTime::from_ms(2_000),
                command: Command::CutLink { a: 0, b: 1 },
            },
            TimedCommand {
                at: SimTime::from_ms(9_000),
                command: Command::HealAll,
            },
        ];
        Timeline::with_script(Scenario::default(), script).unwrap()
    }

    #[test]
    fn recorded_commands_apply_at_their_times() {
        let mut t = scripted();
        t.advance_to(SimTime::from_ms(5_000), u64::MAX);
        assert_eq!(t.sim().command_log().len(), 1);
        assert!(t.sim().network().is_cut(0, 1));
        t.advance_to(SimTime::from_ms(10_000), u64::MAX);
        assert!(!t.sim().network().is_cut(0, 1));
    }

    #[test]
    fn seeking_back_and_forth_lands_on_the_same_history() {
        let mut t = scripted();
        t.advance_to(SimTime::from_ms(20_000), u64::MAX);
        let straight = t.sim().history_hash();
        let summary = t.sim().summary();
        t.seek(SimTime::from_ms(7_300));
        assert_eq!(t.now(), SimTime::from_ms(7_300));
        assert_eq!(
            t.sim().command_log().len(),
            1,
            "only the cut has happened by 7.3 s"
        );
        assert_eq!(t.horizon(), SimTime::from_ms(20_000));
        t.advance_to(SimTime::from_ms(20_000), u64::MAX);
        assert_eq!(t.sim().history_hash(), straight);
        assert_eq!(t.sim().summary(), summary);
        // The same state at 7.3 s as a fresh run stopped there.
        let mut fresh = scripted();
        fresh.advance_to(SimTime::from_ms(7_300), u64::MAX);
        t.seek(SimTime::from_ms(7_300));
        assert_eq!(t.sim().history_hash(), fresh.sim().history_hash());
    }

    #[test]
    fn a_command_after_a_rewind_starts_a_new_branch() {
        let mut t = scripted();
        t.advance_to(SimTime::from_ms(20_000), u64::MAX);
        t.seek(SimTime::from_ms(3_000));
        t.command(Command::Crash { node: 2 }).unwrap();
        assert_eq!(t.script().len(), 2, "the heal at 9 s is gone");
        assert_eq!(t.horizon(), SimTime::from_ms(3_000));
        t.advance_to(SimTime::from_ms(12_000), u64::MAX);
        assert!(t.sim().network().is_cut(0, 1), "no heal in this branch");
    }

    #[test]
    fn checkpoints_stay_bounded_over_a_long_run() {
        let mut s = Scenario::default();
        s.workload.ops_per_s = 1;
        let mut t = Timeline::new(s).unwrap();
        t.advance_to(SimTime::from_ms(3_600_000), u64::MAX);
        assert!(t.checkpoint_count() <= CHECKPOINTS_MAX);
        assert!(t.checkpoint_count() >= CHECKPOINTS_MAX / 2);
        let before = t.sim().history_hash();
        let replayed = t.seek(SimTime::from_ms(3_599_000));
        assert!(
            replayed < 100_000,
            "seek replays from a nearby checkpoint, not the start"
        );
        t.advance_to(SimTime::from_ms(3_600_000), u64::MAX);
        assert_eq!(t.sim().history_hash(), before);
    }

    #[test]
    fn forks_are_independent() {
        let mut a = scripted();
        a.advance_to(SimTime::from_ms(4_000), u64::MAX);
        let mut b = a.clone();
        b.command(Command::Crash { node: 0 }).unwrap();
        a.advance_to(SimTime::from_ms(8_000), u64::MAX);
        b.advance_to(SimTime::from_ms(8_000), u64::MAX);
        let failed = |t: &Timeline| t.sim().cluster().counters.ops_failed;
        assert!(
            failed(&b) > failed(&a),
            "the fork's crashed node refuses its clients"
        );
        assert_ne!(a.sim().history_hash(), b.sim().history_hash());
    }
}
