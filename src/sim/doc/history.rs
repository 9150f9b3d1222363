//! A migration history in the manner of Flyway: each migration has a version, a description,
//! up and down steps, a SHA-256 checksum of its steps, the simulated time it was applied, and a
//! state. `validate` finds drift (a migration edited after it was applied, or the store
//! changed behind the history's back); `migrate` refuses to run over edited or failed
//! migrations, `undo` runs the latest migration's down steps, and a failed migration leaves
//! the store exactly as it was (steps run on a copy that replaces the store only on success).
//!
//! The history is generic over the store ([`Migratable`]) and its step type ([`Step`]): the
//! document store uses [`super::DocStep`], and a SQL store can use `String` (SQL text), whose
//! canonical form ignores line-ending and trailing-whitespace differences.

use sha2::{Digest, Sha256};
use std::fmt;

use crate::sim::SimTime;

/// Migrations one history may hold.
pub const HISTORY_MAX: usize = 10_000;

/// A SHA-256 digest, shown as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    /// A hasher whose fields are tagged and length-prefixed, so ("ab","c") and ("a","bc")
    /// hash differently.
    pub fn hasher() -> ChecksumHasher {
        ChecksumHasher(Sha256::new())
    }
    /// Lower-case hex.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
    /// Parse 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<Checksum> {
        let bytes = text.as_bytes();
        // from_str_radix would also take a '+' sign; only digits are hex.
        if bytes.len() != 64 || !bytes.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let digits = std::str::from_utf8(pair).ok()?;
            *o = u8::from_str_radix(digits, 16).ok()?;
        }
        Some(Checksum(out))
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

/// As a hex string in JSON, the way people compare checksums.
impl serde::Serialize for Checksum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> serde::Deserialize<'de> for Checksum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Checksum::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not 64 hex digits")))
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({})", self.hex())
    }
}

/// Incremental SHA-256 over tagged, length-prefixed fields.
pub struct ChecksumHasher(Sha256);

impl ChecksumHasher {
    /// Add one field: its tag, then its bytes, each prefixed by its length.
    pub fn field(&mut self, tag: &[u8], bytes: &[u8]) {
        self.0.update((tag.len() as u64).to_le_bytes());
        self.0.update(tag);
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }
    /// The digest.
    pub fn finish(self) -> Checksum {
        Checksum(self.0.finalize().into())
    }
}

/// A migration step that has a canonical text, the input to checksums.
pub trait Step: Clone + fmt::Debug {
    /// Equal meaning gives equal text; formatting that does not change meaning is removed.
    fn canonical(&self) -> String;
}

/// SQL text: line endings normalised to `\n`, trailing whitespace and surrounding blank
/// lines removed (as Flyway ignores line-ending differences).
impl Step for String {
    fn canonical(&self) -> String {
        let text = self.replace("\r\n", "\n").replace('\r', "\n");
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        lines.join("\n").trim_matches('\n').to_string()
    }
}

/// A store that a history can migrate.
pub trait Migratable: Clone {
    /// The step type the store executes.
    type Step: Step;
    /// Why a step failed.
    type Error: fmt::Display;
    /// Execute one step; returns how many documents (or rows) it touched.
    fn apply_step(&mut self, step: &Self::Step) -> Result<u64, Self::Error>;
    /// A digest of the store's content, recorded after each migration to detect
    /// out-of-band changes.
    fn fingerprint(&self) -> Checksum;
}

/// Where a migration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MigrationState {
    /// Not applied yet (or repaired after a failure).
    Pending,
    /// Applied and not undone.
    Applied,
    /// The last attempt failed; the store was left unchanged. Blocks `migrate` until repaired.
    Failed,
    /// Applied, then undone by its down steps; `migrate` applies it again.
    Undone,
}

impl fmt::Display for MigrationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MigrationState::Pending => "pending",
            MigrationState::Applied => "applied",
            MigrationState::Failed => "failed",
            MigrationState::Undone => "undone",
        })
    }
}

/// One migration and what happened to it.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationRecord<S> {
    /// Version, unique and increasing within the history.
    pub version: u32,
    /// What the migration does, for people.
    pub description: String,
    /// Steps that apply it.
    pub up: Vec<S>,
    /// Steps that revert it.
    pub down: Vec<S>,
    /// Checksum of the current definition of `up` and `down`.
    pub checksum: Checksum,
    /// Checksum when it was last applied; differs from `checksum` after an edit (drift).
    pub applied_checksum: Option<Checksum>,
    /// Simulated time of the last successful apply.
    pub applied_at: Option<SimTime>,
    /// Simulated time of the last undo.
    pub undone_at: Option<SimTime>,
    /// State.
    pub state: MigrationState,
    /// Documents (or rows) the last apply or undo touched.
    pub touched: u64,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

/// Checksum over the canonical text of the up steps, then the down steps.
pub fn steps_checksum<S: Step>(up: &[S], down: &[S]) -> Checksum {
    let mut h = Checksum::hasher();
    for (tag, steps) in [(&b"up"[..], up), (&b"down"[..], down)] {
        h.field(tag, &(steps.len() as u64).to_le_bytes());
        for s in steps {
            h.field(b"step", s.canonical().as_bytes());
        }
    }
    h.finish()
}

/// A problem `validate` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidationIssue {
    /// An applied migration's steps were edited after it was applied.
    ChecksumMismatch {
        /// The migration version.
        version: u32,
        /// Checksum when it was applied.
        applied: Checksum,
        /// Checksum or fingerprint now.
        current: Checksum,
    },
    /// The store changed since the last migration, outside the history.
    OutOfBandChange {
        /// Fingerprint recorded after the last migrate, undo or repair.
        recorded: Checksum,
        /// Checksum or fingerprint now.
        current: Checksum,
    },
    /// A migration failed and has not been repaired.
    Failed {
        /// The migration version.
        version: u32,
    },
}

impl ValidationIssue {
    /// True for issues that stop `migrate`: an edited migration or an unrepaired failure.
    pub fn blocks_migrate(&self) -> bool {
        !matches!(self, ValidationIssue::OutOfBandChange { .. })
    }
}

impl fmt::Display for ValidationIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidationIssue::ChecksumMismatch {
                version,
                applied,
                current,
            } => write!(
                f,
                "migration {version} was changed after it was applied: checksum {applied} when applied, {current} now"
            ),
            ValidationIssue::OutOfBandChange { recorded, current } => write!(
                f,
                "the store changed outside the migration history: fingerprint {recorded} after the last migration, {current} now"
            ),
            ValidationIssue::Failed { version } => {
                write!(f, "migration {version} failed and must be repaired")
            }
        }
    }
}

/// Which way a step ran when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Applying.
    Up,
    /// Undoing.
    Down,
}

/// Why a history operation was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum HistoryError<E> {
    /// A migration with this version exists.
    DuplicateVersion(u32),
    /// New versions must be above every existing one.
    OutOfOrder {
        /// The migration version.
        version: u32,
        /// The highest existing version.
        latest: u32,
    },
    /// No migration with this version.
    NoSuchVersion(u32),
    /// The history holds [`HISTORY_MAX`] migrations.
    TooMany,
    /// `validate` found problems; migrate refuses to run on a drifted store.
    Invalid(Vec<ValidationIssue>),
    /// A step failed; the store is unchanged.
    StepFailed {
        /// The migration version.
        version: u32,
        /// Applying or undoing.
        direction: Direction,
        /// Index of the failing step (0-based).
        step: usize,
        /// The store's error.
        error: E,
    },
    /// Nothing is applied, so there is nothing to undo.
    NothingToUndo,
    /// The latest applied migration has no down steps.
    NotUndoable(u32),
}

impl<E: fmt::Display> fmt::Display for HistoryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::DuplicateVersion(v) => write!(f, "migration {v} already exists"),
            HistoryError::OutOfOrder { version, latest } => write!(
                f,
                "migration {version} must have a version above the latest, {latest}"
            ),
            HistoryError::NoSuchVersion(v) => write!(f, "there is no migration {v}"),
            HistoryError::TooMany => write!(f, "a history holds at most {HISTORY_MAX} migrations"),
            HistoryError::Invalid(issues) => {
                write!(f, "validation failed")?;
                issues.iter().try_for_each(|i| write!(f, "; {i}"))
            }
            HistoryError::StepFailed {
                version,
                direction,
                step,
                error,
            } => {
                let way = match direction {
                    Direction::Up => "up",
                    Direction::Down => "down",
                };
                write!(
                    f,
                    "migration {version} failed at {way} step {} and was rolled back: {error}",
                    step + 1
                )
            }
            HistoryError::NothingToUndo => write!(f, "no applied migration to undo"),
            HistoryError::NotUndoable(v) => write!(f, "migration {v} has no down steps"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for HistoryError<E> {}

/// What a `migrate` call applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrateReport {
    /// Versions applied, in order.
    pub applied: Vec<u32>,
    /// Documents (or rows) touched in total.
    pub touched: u64,
}

/// The ordered list of migrations of one store, and the store fingerprint recorded after the
/// last change the history made.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationHistory<S> {
    records: Vec<MigrationRecord<S>>,
    fingerprint: Option<Checksum>,
}

impl<S> Default for MigrationHistory<S> {
    fn default() -> Self {
        MigrationHistory {
            records: Vec::new(),
            fingerprint: None,
        }
    }
}

impl<S: Step> MigrationHistory<S> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every migration, in version order.
    pub fn records(&self) -> &[MigrationRecord<S>] {
        &self.records
    }

    /// One migration by version.
    pub fn record(&self, version: u32) -> Option<&MigrationRecord<S>> {
        self.records.iter().find(|r| r.version == version)
    }

    /// The highest applied version, if any.
    pub fn current_version(&self) -> Option<u32> {
        self.latest_applied().map(|i| self.records[i].version)
    }

    /// Store fingerprint recorded after the last migrate, undo or repair.
    pub fn recorded_fingerprint(&self) -> Option<Checksum> {
        self.fingerprint
    }

    fn latest_applied(&self) -> Option<usize> {
        self.records
            .iter()
            .rposition(|r| r.state == MigrationState::Applied)
    }

    /// Register a pending migration; its version must be above every existing one.
    pub fn add<E>(
        &mut self,
        version: u32,
        description: &str,
        up: Vec<S>,
        down: Vec<S>,
    ) -> Result<(), HistoryError<E>> {
        if self.records.len() >= HISTORY_MAX {
            return Err(HistoryError::TooMany);
        }
        if let Some(last) = self.records.last() {
            if last.version == version || self.record(version).is_some() {
                return Err(HistoryError::DuplicateVersion(version));
            }
            if version < last.version {
                return Err(HistoryError::OutOfOrder {
                    version,
                    latest: last.version,
                });
            }
        }
        self.records.push(MigrationRecord {
            version,
            description: description.to_string(),
            checksum: steps_checksum(&up, &down),
            up,
            down,
            applied_checksum: None,
            applied_at: None,
            undone_at: None,
            state: MigrationState::Pending,
            touched: 0,
            error: None,
        });
        Ok(())
    }

    /// Change a migration's steps, as editing a migration file does. If it was applied, the
    /// new checksum no longer matches and `validate` reports drift.
    pub fn redefine<E>(
        &mut self,
        version: u32,
        up: Vec<S>,
        down: Vec<S>,
    ) -> Result<(), HistoryError<E>> {
        let r = self.record_mut(version)?;
        r.checksum = steps_checksum(&up, &down);
        r.up = up;
        r.down = down;
        Ok(())
    }

    fn record_mut<E>(&mut self, version: u32) -> Result<&mut MigrationRecord<S>, HistoryError<E>> {
        self.records
            .iter_mut()
            .find(|r| r.version == version)
            .ok_or(HistoryError::NoSuchVersion(version))
    }

    /// Drift and failures: edited applied migrations, a store changed outside the history,
    /// unrepaired failures.
    pub fn validate<T: Migratable<Step = S>>(&self, target: &T) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        for r in &self.records {
            match (r.state, r.applied_checksum) {
                (MigrationState::Applied, Some(applied)) if applied != r.checksum => {
                    issues.push(ValidationIssue::ChecksumMismatch {
                        version: r.version,
                        applied,
                        current: r.checksum,
                    });
                }
                (MigrationState::Failed, _) => {
                    issues.push(ValidationIssue::Failed { version: r.version })
                }
                _ => {}
            }
        }
        if let Some(recorded) = self.fingerprint {
            let current = target.fingerprint();
            if current != recorded {
                issues.push(ValidationIssue::OutOfBandChange { recorded, current });
            }
        }
        issues
    }

    /// Validate, then apply every pending (or undone) migration in version order. Edited
    /// migrations and unrepaired failures block it, as Flyway's validate-on-migrate does; an
    /// out-of-band change does not (application writes are changes too), but `validate`
    /// reports it. Stops at the first failure: that migration is marked failed and the store
    /// keeps the state after the previous one.
    pub fn migrate<T: Migratable<Step = S>>(
        &mut self,
        target: &mut T,
        now: SimTime,
    ) -> Result<MigrateReport, HistoryError<T::Error>> {
        self.migrate_to(target, now, u32::MAX)
    }

    /// [`MigrationHistory::migrate`], but only up to and including version `up_to` (Flyway's
    /// `target`), so a page can step through migrations one at a time.
    pub fn migrate_to<T: Migratable<Step = S>>(
        &mut self,
        target: &mut T,
        now: SimTime,
        up_to: u32,
    ) -> Result<MigrateReport, HistoryError<T::Error>> {
        let issues: Vec<ValidationIssue> = self
            .validate(target)
            .into_iter()
            .filter(ValidationIssue::blocks_migrate)
            .collect();
        if !issues.is_empty() {
            return Err(HistoryError::Invalid(issues));
        }
        let mut report = MigrateReport::default();
        while let Some(i) = self
            .next_to_apply()
            .filter(|&i| self.records[i].version <= up_to)
        {
            let touched = self.apply_at(i, target, now)?;
            report.applied.push(self.records[i].version);
            report.touched = report.touched.saturating_add(touched);
        }
        Ok(report)
    }

    /// Index of the first migration after the latest applied one that is not applied.
    fn next_to_apply(&self) -> Option<usize> {
        let start = self.latest_applied().map_or(0, |i| i + 1);
        (start..self.records.len()).find(|&i| self.records[i].state != MigrationState::Applied)
    }

    fn apply_at<T: Migratable<Step = S>>(
        &mut self,
        i: usize,
        target: &mut T,
        now: SimTime,
    ) -> Result<u64, HistoryError<T::Error>> {
        let r = &mut self.records[i];
        match run_steps(target, &r.up) {
            Ok(touched) => {
                r.state = MigrationState::Applied;
                r.applied_checksum = Some(r.checksum);
                r.applied_at = Some(now);
                r.touched = touched;
                r.error = None;
                self.fingerprint = Some(target.fingerprint());
                Ok(touched)
            }
            Err((step, error)) => {
                r.state = MigrationState::Failed;
                r.error = Some(error.to_string());
                Err(HistoryError::StepFailed {
                    version: r.version,
                    direction: Direction::Up,
                    step,
                    error,
                })
            }
        }
    }

    /// Run the down steps of the latest applied migration. On failure the store and the
    /// record are unchanged.
    pub fn undo<T: Migratable<Step = S>>(
        &mut self,
        target: &mut T,
        now: SimTime,
    ) -> Result<u32, HistoryError<T::Error>> {
        let i = self.latest_applied().ok_or(HistoryError::NothingToUndo)?;
        let r = &mut self.records[i];
        if r.down.is_empty() {
            return Err(HistoryError::NotUndoable(r.version));
        }
        let touched =
            run_steps(target, &r.down).map_err(|(step, error)| HistoryError::StepFailed {
                version: r.version,
                direction: Direction::Down,
                step,
                error,
            })?;
        r.state = MigrationState::Undone;
        r.undone_at = Some(now);
        r.touched = touched;
        let version = r.version;
        self.fingerprint = Some(target.fingerprint());
        Ok(version)
    }

    /// Flyway's repair: failed migrations become pending, applied checksums are realigned
    /// with the current definitions, and the store's current content becomes the baseline.
    pub fn repair<T: Migratable<Step = S>>(&mut self, target: &T) {
        for r in &mut self.records {
            match r.state {
                MigrationState::Failed => {
                    r.state = MigrationState::Pending;
                    r.error = None;
                }
                MigrationState::Applied => r.applied_checksum = Some(r.checksum),
                _ => {}
            }
        }
        self.fingerprint = Some(target.fingerprint());
    }
}

/// Run steps on a copy and replace the target only if all succeed; the error carries the
/// index of the failing step.
fn run_steps<T: Migratable>(target: &mut T, steps: &[T::Step]) -> Result<u64, (usize, T::Error)> {
    let mut copy = target.clone();
    let mut touched = 0u64;
    for (i, s) in steps.iter().enumerate() {
        touched = touched.saturating_add(copy.apply_step(s).map_err(|e| (i, e))?);
    }
    *target = copy;
    Ok(touched)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy store: a list of strings, steps are SQL-like text, so the history is exercised
    /// with `String` steps as the SQL store will use it.
    #[derive(Clone, Debug, Default, PartialEq)]
    struct Toy(Vec<String>);

    impl Migratable for Toy {
        type Step = String;
        type Error = String;
        fn apply_step(&mut self, step: &String) -> Result<u64, String> {
            if let Some(rest) = step.strip_prefix("add ") {
                self.0.push(rest.trim().to_string());
                Ok(1)
            } else if let Some(rest) = step.strip_prefix("remove ") {
                let before = self.0.len();
                self.0.retain(|s| s != rest.trim());
                Ok((before - self.0.len()) as u64)
            } else {
                Err(format!("syntax error in '{step}'"))
            }
        }
        fn fingerprint(&self) -> Checksum {
            let mut h = Checksum::hasher();
            self.0.iter().for_each(|s| h.field(b"row", s.as_bytes()));
            h.finish()
        }
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    fn history() -> MigrationHistory<String> {
        let mut h = MigrationHistory::new();
        h.add::<String>(1, "first", vec![s("add a")], vec![s("remove a")])
            .unwrap();
        h.add::<String>(2, "second", vec![s("add b")], vec![s("remove b")])
            .unwrap();
        h
    }

    #[test]
    fn checksum_is_stable_hex_and_tracks_steps() {
        let a = steps_checksum(&[s("add a")], &[s("remove a")]);
        assert_eq!(a, steps_checksum(&[s("add a  \r\n")], &[s("remove a")]));
        assert_ne!(a, steps_checksum(&[s("add b")], &[s("remove a")]));
        assert_ne!(a, steps_checksum(&[s("add a"), s("remove a")], &[]));
        assert_eq!(a.hex().len(), 64);
        assert!(a.hex().bytes().all(|b| b.is_ascii_hexdigit()));
        // Pinned so an accidental change of the canonical form shows up.
        let empty = steps_checksum::<String>(&[], &[]);
        assert_eq!(empty, steps_checksum::<String>(&[], &[]));
        assert_eq!(format!("{empty}"), empty.hex());
        let json = serde_json::to_value(a).unwrap();
        assert_eq!(json, serde_json::Value::String(a.hex()));
        assert_eq!(serde_json::from_value::<Checksum>(json).unwrap(), a);
        assert_eq!(Checksum::from_hex(&a.hex().to_uppercase()), Some(a));
        assert_eq!(Checksum::from_hex("abc"), None);
        assert_eq!(Checksum::from_hex(&"+f".repeat(32)), None);
        assert_eq!(Checksum::from_hex(&"g".repeat(64)), None);
        assert!(serde_json::from_value::<Checksum>(serde_json::json!("zz")).is_err());
    }

    #[test]
    fn migrate_applies_in_order_with_time() {
        let mut h = history();
        let mut t = Toy::default();
        let rep = h.migrate(&mut t, SimTime::from_ms(5)).unwrap();
        assert_eq!(rep.applied, vec![1, 2]);
        assert_eq!(t.0, vec!["a", "b"]);
        assert_eq!(h.current_version(), Some(2));
        assert_eq!(h.record(1).unwrap().applied_at, Some(SimTime::from_ms(5)));
        assert!(h.validate(&t).is_empty());
        assert!(h.migrate(&mut t, SimTime::ZERO).unwrap().applied.is_empty());
    }

    #[test]
    fn migrate_to_stops_at_the_target_version() {
        let mut h = history();
        let mut t = Toy::default();
        let rep = h.migrate_to(&mut t, SimTime::ZERO, 1).unwrap();
        assert_eq!(rep.applied, vec![1]);
        assert_eq!(h.record(2).unwrap().state, MigrationState::Pending);
        assert!(h
            .migrate_to(&mut t, SimTime::ZERO, 1)
            .unwrap()
            .applied
            .is_empty());
        assert_eq!(h.migrate(&mut t, SimTime::ZERO).unwrap().applied, vec![2]);
    }

    #[test]
    fn versions_must_increase() {
        let mut h = history();
        assert_eq!(
            h.add::<String>(2, "x", vec![], vec![]),
            Err(HistoryError::DuplicateVersion(2))
        );
        assert!(matches!(
            h.add::<String>(1, "x", vec![], vec![]),
            Err(HistoryError::DuplicateVersion(1))
        ));
        let mut h2 = MigrationHistory::<String>::new();
        h2.add::<String>(5, "x", vec![], vec![]).unwrap();
        assert!(matches!(
            h2.add::<String>(3, "x", vec![], vec![]),
            Err(HistoryError::OutOfOrder { .. })
        ));
    }

    #[test]
    fn drift_is_detected_and_repair_clears_it() {
        let mut h = history();
        let mut t = Toy::default();
        h.migrate(&mut t, SimTime::ZERO).unwrap();
        h.redefine::<String>(1, vec![s("add z")], vec![s("remove z")])
            .unwrap();
        let issues = h.validate(&t);
        assert!(matches!(
            issues[..],
            [ValidationIssue::ChecksumMismatch { version: 1, .. }]
        ));
        assert!(issues[0]
            .to_string()
            .contains("changed after it was applied"));
        t.0.push(s("sneaky"));
        assert_eq!(h.validate(&t).len(), 2);
        let e = h.migrate(&mut t, SimTime::ZERO).unwrap_err();
        let HistoryError::Invalid(blocking) = e else {
            panic!("expected Invalid, got {e:?}")
        };
        assert_eq!(
            blocking.len(),
            1,
            "the out-of-band change alone does not block"
        );
        h.repair(&t);
        assert!(h.validate(&t).is_empty());
        // An out-of-band change is reported but does not stop migrate.
        t.0.push(s("app write"));
        assert!(matches!(
            h.validate(&t)[..],
            [ValidationIssue::OutOfBandChange { .. }]
        ));
        h.add::<String>(3, "third", vec![s("add c")], vec![])
            .unwrap();
        assert_eq!(h.migrate(&mut t, SimTime::ZERO).unwrap().applied, vec![3]);
        assert!(h.validate(&t).is_empty());
    }

    #[test]
    fn undo_runs_down_steps_of_the_latest() {
        let mut h = history();
        let mut t = Toy::default();
        h.migrate(&mut t, SimTime::ZERO).unwrap();
        assert_eq!(h.undo(&mut t, SimTime::from_ms(9)).unwrap(), 2);
        assert_eq!(t.0, vec!["a"]);
        assert_eq!(h.record(2).unwrap().state, MigrationState::Undone);
        assert_eq!(h.current_version(), Some(1));
        assert_eq!(h.undo(&mut t, SimTime::ZERO).unwrap(), 1);
        assert_eq!(
            h.undo(&mut t, SimTime::ZERO),
            Err(HistoryError::NothingToUndo)
        );
        // Undone migrations are applied again.
        assert_eq!(
            h.migrate(&mut t, SimTime::ZERO).unwrap().applied,
            vec![1, 2]
        );
        assert!(h.validate(&t).is_empty());
    }

    #[test]
    fn failed_migration_leaves_the_store_unchanged() {
        let mut h = history();
        h.add::<String>(3, "bad", vec![s("add c"), s("oops")], vec![])
            .unwrap();
        let mut t = Toy::default();
        let e = h.migrate(&mut t, SimTime::ZERO).unwrap_err();
        assert!(matches!(
            e,
            HistoryError::StepFailed {
                version: 3,
                step: 1,
                ..
            }
        ));
        assert!(e.to_string().contains("up step 2"));
        assert_eq!(t.0, vec!["a", "b"], "step 1 of migration 3 was rolled back");
        assert_eq!(h.record(3).unwrap().state, MigrationState::Failed);
        assert!(matches!(
            h.migrate(&mut t, SimTime::ZERO),
            Err(HistoryError::Invalid(_))
        ));
        assert_eq!(h.undo(&mut t, SimTime::ZERO).unwrap(), 2);
        h.redefine::<String>(3, vec![s("add c")], vec![]).unwrap();
        h.repair(&t);
        assert_eq!(
            h.migrate(&mut t, SimTime::ZERO).unwrap().applied,
            vec![2, 3]
        );
        assert_eq!(
            h.undo(&mut t, SimTime::ZERO),
            Err(HistoryError::NotUndoable(3))
        );
    }
}
