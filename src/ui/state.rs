//! The page's one reducer. The simulation sits behind a shared `RefCell` so the animation
//! loop can advance it without a Yew re-render per frame; every user action that changes it
//! still comes through here, as an [`Action`].

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::playback::clamp_speed;
use crate::share;
use crate::sim::timeline::Timeline;
use crate::sim::{Command, Scenario, SimTime, Simulation};
use crate::view_model::log::{check_view, CheckView, LogFilter};
use crate::view_model::migration::{fault_for, FaultButton, MigrationForm};
use crate::view_model::settings::{self, Settings, SettingsForm};
use crate::view_model::{status, status_with, Status};

pub type SharedSim = Rc<RefCell<Timeline>>;

#[derive(Clone)]
pub struct AppState {
    pub sim: SharedSim,
    pub playing: bool,
    /// Simulated seconds per wall-clock second.
    pub speed: f64,
    /// What the seed box holds (applied with ApplySeed).
    pub seed_text: String,
    /// A message for the user about their last input; None when all is well.
    pub error: Option<String>,
    pub status: Rc<Status>,
    /// Bumped whenever the canvas must be redrawn although the loop is paused.
    pub version: u64,
    /// Whether the keyboard help is open.
    pub help: bool,
    /// The link to this run, once the user asked for it.
    pub share_url: Option<String>,
    /// A second future branched from the run (B), advancing in step with it (A).
    pub fork: Option<Fork>,
    /// Messages are counted on their links instead of moving (follows the system setting at
    /// start; the page has a switch).
    pub reduced_motion: bool,
    /// The Migration panel's form.
    pub migration_form: MigrationForm,
    /// The Settings panel's form while being edited, or after a refused change (kept so the
    /// user's entry is not lost); None shows the settings in force.
    pub settings_draft: Option<SettingsForm>,
    /// Why the last settings change was refused, naming the field.
    pub settings_error: Option<String>,
    /// Which kinds the event log lists.
    pub log_filter: LogFilter,
    /// The workspace tab shown under the charts.
    pub tab: Tab,
    /// The last consistency check of the steered run's history, once asked for.
    pub check: Option<Rc<CheckView>>,
    /// The node the Data panel shows.
    pub data_node: crate::sim::NodeId,
}

/// The forked run and which of the two the panel's controls steer.
#[derive(Clone)]
pub struct Fork {
    pub run: SharedSim,
    /// The moment the two futures split.
    pub at: SimTime,
    pub status: Rc<Status>,
    /// True when commands go to the fork (B), false when to the original (A).
    pub steer_fork: bool,
}

impl PartialEq for Fork {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.run, &other.run)
            && self.status == other.status
            && self.steer_fork == other.steer_fork
    }
}

impl PartialEq for AppState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sim, &other.sim)
            && self.playing == other.playing
            && self.speed == other.speed
            && self.seed_text == other.seed_text
            && self.error == other.error
            && self.status == other.status
            && self.version == other.version
            && self.help == other.help
            && self.share_url == other.share_url
            && self.fork == other.fork
            && self.reduced_motion == other.reduced_motion
            && self.migration_form == other.migration_form
            && self.settings_draft == other.settings_draft
            && self.settings_error == other.settings_error
            && self.log_filter == other.log_filter
            && self.tab == other.tab
            && self.check == other.check
            && self.data_node == other.data_node
    }
}

/// The workspace tabs under the charts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Settings,
    Migration,
    Data,
    Schema,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Settings, Tab::Migration, Tab::Data, Tab::Schema];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Settings => "Settings",
            Tab::Migration => "Migration",
            Tab::Data => "Data",
            Tab::Schema => "Schema",
        }
    }

    /// The id stem of the tab (`tab-…`) and its panel (`tabpanel-…`).
    pub fn id(self) -> &'static str {
        match self {
            Tab::Settings => "settings",
            Tab::Migration => "migration",
            Tab::Data => "data",
            Tab::Schema => "schema",
        }
    }
}

/// Which of the two runs an action targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunId {
    Original,
    Fork,
}

pub enum Action {
    TogglePlay,
    Pause,
    Step,
    SetSpeed(f64),
    SetSeedText(String),
    ApplySeed,
    Reset,
    Issue(Command),
    /// A command for a given run (a click on that run's canvas).
    IssueTo(RunId, Command),
    ToggleHelp,
    ToggleReducedMotion,
    /// The link to the current run was written to the address bar.
    Shared(String),
    CloseHelp,
    /// Show or hide one kind of event-log line.
    ToggleLogKind(&'static str),
    /// Show one workspace tab.
    SelectTab(Tab),
    /// Run the consistency checker over the steered run's history so far.
    CheckHistory,
    /// Branch a second future (B) from this moment; the controls then steer B.
    Fork,
    /// Drop the fork.
    Unfork,
    /// Whether the controls steer the fork (true) or the original (false).
    SteerFork(bool),
    /// Move the run to this simulated time (earlier or later).
    Seek(SimTime),
    /// Re-read the simulation for the panels (sent by the loop a few times a second).
    Refresh,
    /// The Migration form changed.
    SetMigrationForm(MigrationForm),
    /// Start a migration from the form (and play, so it can be watched).
    StartMigration,
    /// Inject a failure into the running migration, now.
    MigrationFault(FaultButton),
    /// The Settings form is being edited (typing in a box).
    EditSettings(SettingsForm),
    /// Apply the Settings form to the steered run: commands for what changed, a restart for
    /// a new cluster size, or a message naming the bad field (the form is kept).
    ApplySettings(SettingsForm),
    /// Throw away the Settings form's edits.
    DiscardSettings,
    /// Show this node in the Data panel.
    SetDataNode(crate::sim::NodeId),
}

impl AppState {
    pub fn new(scenario: Scenario) -> Self {
        let seed_text = scenario.seed.to_string();
        let sim = Timeline::new(scenario.clone())
            .or_else(|_| Timeline::new(Scenario::default()))
            .expect("the default scenario is valid");
        let status = Rc::new(status(&sim));
        super::panic_overlay::set_seed(sim.sim().scenario().seed);
        AppState {
            sim: Rc::new(RefCell::new(sim)),
            playing: false,
            speed: 1.0,
            seed_text,
            error: None,
            status,
            version: 0,
            help: false,
            share_url: None,
            fork: None,
            reduced_motion: false,
            migration_form: MigrationForm::default(),
            settings_draft: None,
            settings_error: None,
            log_filter: LogFilter::default(),
            tab: Tab::default(),
            check: None,
            data_node: 0,
        }
    }

    /// Start from the page's URL fragment: a shared run is replayed up to its last command and
    /// paused there; a broken link says why and falls back to the default scenario.
    pub fn from_fragment(fragment: &str) -> Self {
        match share::decode(fragment) {
            Ok(None) => AppState::new(Scenario::default()),
            Ok(Some(run)) => {
                let until = run.commands.last().map_or(SimTime::ZERO, |c| c.at);
                let mut st = AppState::new(run.scenario.clone());
                // Commands that depend on the run's state (a migration fault needs a running
                // migration) are checked by replaying once; a refusal is a message, not a panic.
                let checked = Simulation::replay(run.scenario.clone(), &run.commands, until)
                    .and_then(|_| Timeline::with_script(run.scenario, run.commands));
                match checked {
                    Ok(mut t) => {
                        t.seek(until);
                        st.status = Rc::new(status(&t));
                        *st.sim.borrow_mut() = t;
                    }
                    Err(e) => {
                        st.error = Some(format!("This link's run could not be replayed: {e}"))
                    }
                }
                st
            }
            Err(e) => {
                let mut st = AppState::new(Scenario::default());
                st.error = Some(format!(
                    "This link's run could not be opened ({e}); showing the default scenario."
                ));
                st
            }
        }
    }

    fn with_fresh_status(mut self) -> Self {
        self.refresh();
        self.version += 1;
        self
    }

    /// Re-read both runs for the panels; true when anything shown changed.
    fn refresh(&mut self) -> bool {
        let mut changed = false;
        let data = self.tab == Tab::Data;
        let st = status_with(&self.sim.borrow(), data);
        if *self.status != st {
            self.status = Rc::new(st);
            changed = true;
        }
        if let Some(f) = &mut self.fork {
            let st = status_with(&f.run.borrow(), data);
            if *f.status != st {
                f.status = Rc::new(st);
                changed = true;
            }
        }
        changed
    }

    /// The run the panel's controls act on.
    pub fn steered(&self) -> &SharedSim {
        match &self.fork {
            Some(f) if f.steer_fork => &f.run,
            _ => &self.sim,
        }
    }

    /// Bring the fork to the original's time (both futures advance together).
    pub fn sync_fork(&self) {
        if let Some(f) = &self.fork {
            let t = self.sim.borrow().now();
            let mut b = f.run.borrow_mut();
            if b.now() > t {
                b.seek(t);
            } else {
                b.advance_to(t, u64::MAX);
            }
        }
    }

    fn restart(mut self, scenario: Scenario) -> Self {
        match Timeline::new(scenario) {
            Ok(sim) => {
                self.fork = None;
                self.settings_draft = None;
                self.settings_error = None;
                self.check = None;
                super::panic_overlay::set_seed(sim.sim().scenario().seed);
                self.seed_text = sim.sim().scenario().seed.to_string();
                *self.sim.borrow_mut() = sim;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
        self.with_fresh_status()
    }
}

impl AppState {
    /// Start the form's migration on the steered run and play; a bad form or a refused
    /// command leaves a message and changes nothing.
    fn start_migration(mut self) -> Self {
        let spec = match self.migration_form.to_spec() {
            Ok(spec) => spec,
            Err(e) => {
                self.error = Some(format!("The migration was not started: {e}"));
                return self;
            }
        };
        let cmd = Command::StartMigration {
            spec: Box::new(spec),
        };
        let result = self.steered().borrow_mut().command(cmd);
        match result {
            Ok(()) => {
                self.error = None;
                self.playing = true;
            }
            Err(e) => self.error = Some(format!("The migration was not started: {e}")),
        }
        self.with_fresh_status()
    }
}

impl AppState {
    /// Apply the Settings form to the steered run. A refusal keeps the form as typed and
    /// names the field; commands apply in order (each is checked by the form first).
    fn apply_settings(mut self, form: SettingsForm) -> Self {
        let (current, base) = {
            let run = self.steered().borrow();
            (Settings::of(run.sim()), run.sim().scenario().clone())
        };
        match settings::apply(&form, &current, &base) {
            Err(e) => {
                self.settings_draft = Some(form);
                self.settings_error = Some(e);
                self
            }
            Ok(settings::Apply::Nothing) => {
                self.settings_draft = None;
                self.settings_error = None;
                self
            }
            Ok(settings::Apply::Restart(scenario)) => self.restart(*scenario),
            Ok(settings::Apply::Commands(cmds)) => {
                self.settings_draft = None;
                self.settings_error = None;
                for c in cmds {
                    let result = self.steered().borrow_mut().command(c);
                    if let Err(e) = result {
                        self.settings_draft = Some(form);
                        self.settings_error = Some(e.to_string());
                        break;
                    }
                }
                self.with_fresh_status()
            }
        }
    }
}

/// Parse the seed box: a whole number from 0 to 2^64 - 1.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!(
            "seed must be a whole number from 0 to {}, not \"{}\"",
            u64::MAX,
            text.trim()
        )
    })
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::TogglePlay => next.playing = !next.playing,
            Action::Pause => next.playing = false,
            Action::Step => {
                next.playing = false;
                next.sim.borrow_mut().step();
                next.sync_fork();
                next = next.with_fresh_status();
            }
            Action::SetSpeed(s) => next.speed = clamp_speed(s),
            Action::SetSeedText(t) => next.seed_text = t,
            Action::ApplySeed => match parse_seed(&next.seed_text) {
                Ok(seed) => {
                    let scenario = Scenario {
                        seed,
                        ..next.sim.borrow().sim().scenario().clone()
                    };
                    next = next.restart(scenario);
                }
                Err(e) => next.error = Some(e),
            },
            Action::Reset => {
                let scenario = next.sim.borrow().sim().scenario().clone();
                next = next.restart(scenario);
            }
            Action::ToggleLogKind(kind) => next.log_filter = next.log_filter.toggled(kind),
            Action::SelectTab(tab) => {
                if tab != Tab::Settings {
                    // The other tabs run the SQL store, mapping and migration code.
                    super::second_part::load();
                }
                next.tab = tab;
                // The Data panel's view is built only while it is shown.
                next.refresh();
            }
            Action::CheckHistory => {
                let view = check_view(next.steered().borrow().sim());
                next.check = Some(Rc::new(view));
            }
            Action::Seek(t) => {
                next.sim.borrow_mut().seek(t);
                next.sync_fork();
                next = next.with_fresh_status();
            }
            Action::Fork => {
                let run = Rc::new(RefCell::new(next.sim.borrow().clone()));
                let status = Rc::new(status(&run.borrow()));
                let at = run.borrow().now();
                next.fork = Some(Fork {
                    run,
                    at,
                    status,
                    steer_fork: true,
                });
                next = next.with_fresh_status();
            }
            Action::Unfork => {
                next.fork = None;
                next = next.with_fresh_status();
            }
            Action::SteerFork(on) => {
                if let Some(f) = &mut next.fork {
                    f.steer_fork = on;
                }
            }
            Action::IssueTo(to, cmd) => {
                let run = match (to, &next.fork) {
                    (RunId::Fork, Some(f)) => f.run.clone(),
                    _ => next.sim.clone(),
                };
                let result = run.borrow_mut().command(cmd);
                next.error = result.err().map(|e| e.to_string());
                next = next.with_fresh_status();
            }
            Action::Issue(cmd) => {
                let result = next.steered().borrow_mut().command(cmd);
                next.error = result.err().map(|e| e.to_string());
                next = next.with_fresh_status();
            }
            Action::ToggleHelp => next.help = !next.help,
            Action::ToggleReducedMotion => {
                next.reduced_motion = !next.reduced_motion;
                next.version += 1;
            }
            Action::Shared(url) => next.share_url = Some(url),
            Action::CloseHelp => next.help = false,
            Action::Refresh => {
                if !next.refresh() {
                    return self;
                }
            }
            Action::SetMigrationForm(f) => next.migration_form = f,
            Action::StartMigration => next = next.start_migration(),
            Action::EditSettings(f) => next.settings_draft = Some(f),
            Action::ApplySettings(f) => next = next.apply_settings(f),
            Action::DiscardSettings => {
                next.settings_draft = None;
                next.settings_error = None;
            }
            Action::SetDataNode(n) => next.data_node = n,
            Action::MigrationFault(b) => {
                let fault = fault_for(b, next.steered().borrow().sim());
                let result = fault.and_then(|fault| {
                    let cmd = Command::MigrationFault { fault };
                    let r = next.steered().borrow_mut().command(cmd);
                    r.map_err(|e| e.to_string())
                });
                next.error = result.err();
                next = next.with_fresh_status();
            }
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}
