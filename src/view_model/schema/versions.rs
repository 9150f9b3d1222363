//! The Schema view's versions: the timeline of each store's schema versions (the SQL store's
//! shop tables, with the change typed in the Up box as a pending version, and the document
//! store's built-in `users` chain), who is at which version (the stores, the two sides of
//! the page's running migration, the application versions v1 and v2), and the compatibility
//! matrix of the document versions with the reason for every pair that does not read.
//!
//! Everything comes from the model: checksums and states from the migration histories
//! (`sim::doc::history`), reversibility from `sim::doc::reversibility` and the SQL dry run,
//! compatibility from `sim::doc::compat`, the running migration from the simulation.

use crate::sim::dataset::{generate, DatasetKind, ROWS_MIN};
use crate::sim::doc::builtin::{users_history, users_migrations, users_schema_v1, users_store};
use crate::sim::doc::compat::{check_chain, check_read, derive_chain, CompatMode};
use crate::sim::doc::history::MigrationHistory;
use crate::sim::doc::migration::{DocMigration, DocStep};
use crate::sim::doc::reversibility::check_chain_reversibility;
use crate::sim::doc::{DocSchema, DocStore};
use crate::sim::engine::migration::Job;
use crate::sim::migrate::{Direction, ExpandSettings, Routing, Strategy};
use crate::sim::sql::{SqlError, SqlStore};
use crate::sim::{SimTime, Simulation};

use super::{split_statements, SqlCheck, PREVIEW_SEED};
use crate::view_model::migration::phase_label;

/// Sample `users` documents the "who is where" list counts.
pub const USERS_SAMPLE: u64 = 200;
/// Versions one matrix shows (the latest ones); a chain is far shorter.
pub const MATRIX_VERSIONS_MAX: usize = 20;
/// Hex digits of a checksum the timeline shows.
pub const CHECKSUM_DIGITS: usize = 8;

/// The application versions of `sim::migrate::app`: each reads and writes one document
/// version's shape. `(application version, document version, the field it knows)`.
pub const APP_VERSIONS: [(u32, u32, &str); 2] = [(1, 1, "email"), (2, 2, "contact.email")];

/// Whether a version's down steps give back what its up steps changed.
#[derive(Clone, Debug, PartialEq)]
pub enum Undo {
    /// The first version: there is nothing before it to go back to.
    Base,
    /// Down gives everything back (predicted from the operators, or run on sample data).
    Reversible,
    /// The version has no down steps.
    NoDown,
    /// What down cannot give back, in words.
    Lossy(Vec<String>),
    /// Not checked, and why.
    Unchecked(String),
}

impl Undo {
    /// One or two words for the timeline.
    pub fn label(&self) -> &'static str {
        match self {
            Undo::Base => "starting point",
            Undo::Reversible => "reversible",
            Undo::NoDown => "no down steps",
            Undo::Lossy(_) => "not fully reversible",
            Undo::Unchecked(_) => "not checked",
        }
    }
}

/// One version on a store's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionRow {
    pub version: u32,
    pub description: String,
    /// The first [`CHECKSUM_DIGITS`] hex digits of the checksum of its steps; none for a
    /// starting point that no migration made.
    pub checksum_short: Option<String>,
    /// `base`, `applied`, `pending`, `failed` or `undone` (the history's states).
    pub state: String,
    pub undo: Undo,
    /// The version the store is at now.
    pub current: bool,
}

/// One store's versions, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreTimeline {
    /// `sql` or `doc`, for element ids.
    pub key: &'static str,
    /// The store and what it holds, in words.
    pub store: String,
    pub versions: Vec<VersionRow>,
}

impl StoreTimeline {
    /// The version marked current, if any.
    pub fn current(&self) -> Option<u32> {
        self.versions.iter().find(|v| v.current).map(|v| v.version)
    }
}

/// One line of "who is at which version".
#[derive(Clone, Debug, PartialEq)]
pub struct WhoRow {
    /// A store, a side of the running migration, or an application version.
    pub who: String,
    /// The schema version it is at, in words.
    pub version: String,
    /// Shares, progress, what it reads, in words.
    pub detail: String,
    /// For readers: whether they read everything stored now; none where it does not apply.
    pub reads_ok: Option<bool>,
}

/// One cell: readers of `reader` reading data written with `writer`.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixCell {
    pub writer: u32,
    /// Why it does not read, in `compat`'s words; empty when compatible.
    pub reasons: Vec<String>,
}

impl MatrixCell {
    pub fn compatible(&self) -> bool {
        self.reasons.is_empty()
    }
}

/// One row of the matrix: a reader version (and the application version at it, if any).
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixRow {
    pub reader: u32,
    pub label: String,
    pub cells: Vec<MatrixCell>,
}

/// Whether the whole chain passes one registry mode, and how many issues it has.
#[derive(Clone, Debug, PartialEq)]
pub struct ModeCheck {
    pub mode: &'static str,
    pub issues: usize,
}

/// Readers (rows) against the versions data was written with (columns).
#[derive(Clone, Debug, PartialEq)]
pub struct CompatMatrix {
    pub writers: Vec<u32>,
    pub rows: Vec<MatrixRow>,
    pub modes: Vec<ModeCheck>,
}

/// The page's running migration, as the versions view needs it (small, so the panel
/// re-renders only when one of these changes).
#[derive(Clone, Debug, PartialEq)]
pub struct RunSides {
    pub strategy: Strategy,
    pub direction: Direction,
    pub phase_label: &'static str,
    /// The application reads and writes the target (after the cut-over).
    pub on_target: bool,
    /// Share of the source's records copied, in whole percent.
    pub copied_pct: u32,
    pub done: bool,
}

/// The running migration's sides, when the simulation has one.
pub fn run_sides(sim: &Simulation) -> Option<RunSides> {
    let run = sim.migration()?;
    let job = run.job();
    let routing = match job {
        Job::ToDocs(j) => j.routing(),
        Job::ToRows(j) => j.routing(),
        Job::DocsToDocs(j) => j.routing(),
        Job::SqlToSql(j) => j.routing(),
    };
    let t = job.progress().total();
    let copied_pct = match t.total {
        0 => 0,
        n => (t.processed.min(n) * 100 / n) as u32,
    };
    Some(RunSides {
        strategy: run.spec().config.strategy,
        direction: run.spec().config.direction,
        phase_label: phase_label(job.phase()),
        on_target: routing == Routing::Target,
        copied_pct,
        done: job.is_done(),
    })
}

/// Everything the versions part of the Schema view shows.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionsView {
    /// The SQL store, then the document store.
    pub timelines: Vec<StoreTimeline>,
    pub who: Vec<WhoRow>,
    pub matrix: CompatMatrix,
}

/// The versions view: the SQL timeline with the typed change (`up`, `down`, and the dry
/// run's `check` of them), the built-in document history on its sample store, and the
/// running migration's sides when there is one.
pub fn versions_view(
    up: &str,
    down: &str,
    check: &SqlCheck,
    run: Option<&RunSides>,
) -> VersionsView {
    let history = users_history().unwrap_or_default();
    let store = users_store(USERS_SAMPLE).unwrap_or_default();
    let sql = sql_timeline(up, down, check);
    docs_view(&history, &store, &users_migrations(), sql, run)
}

/// The view for a document history standing at some version over `store`, with the SQL
/// timeline made elsewhere.
pub fn docs_view(
    history: &MigrationHistory<DocStep>,
    store: &DocStore,
    migrations: &[DocMigration],
    sql: StoreTimeline,
    run: Option<&RunSides>,
) -> VersionsView {
    let base = users_schema_v1();
    let schemas = derive_chain(&base, migrations);
    let doc = doc_timeline(history, &base, migrations);
    let mut who = store_rows(&sql, &doc, store, &schemas);
    if let Some(r) = run {
        who.extend(run_rows(r, sql.current()));
    }
    VersionsView {
        who,
        matrix: compat_matrix(&schemas),
        timelines: vec![sql, doc],
    }
}

fn short(c: &crate::sim::doc::history::Checksum) -> String {
    c.hex().chars().take(CHECKSUM_DIGITS).collect()
}

/// The document history's versions: the base schema, then one per migration, with what each
/// migration's down steps cannot give back (predicted from its operators).
pub fn doc_timeline(
    history: &MigrationHistory<DocStep>,
    base: &DocSchema,
    migrations: &[DocMigration],
) -> StoreTimeline {
    let current = history.current_version().unwrap_or(base.version);
    let findings: Vec<(u32, Vec<String>)> = migrations
        .iter()
        .zip(check_chain_reversibility(base, migrations))
        .map(|(m, (_, f))| (m.to_version, f.iter().map(ToString::to_string).collect()))
        .collect();
    let fields: Vec<&str> = base.fields.keys().map(String::as_str).collect();
    let mut versions = vec![VersionRow {
        version: base.version,
        description: format!("first shape: {}", fields.join(", ")),
        checksum_short: None,
        state: "base".into(),
        undo: Undo::Base,
        current: current == base.version,
    }];
    versions.extend(history.records().iter().map(|r| {
        let undo = match findings.iter().find(|(v, _)| *v == r.version) {
            None => Undo::Unchecked("no migration with this version to check".into()),
            Some((_, f)) if f.is_empty() => Undo::Reversible,
            Some((_, f)) => Undo::Lossy(f.clone()),
        };
        VersionRow {
            version: r.version,
            description: r.description.clone(),
            checksum_short: Some(short(&r.checksum)),
            state: r.state.to_string(),
            undo: if r.down.is_empty() {
                Undo::NoDown
            } else {
                undo
            },
            current: current == r.version,
        }
    }));
    StoreTimeline {
        key: "doc",
        store: "Document store · users".into(),
        versions,
    }
}

/// The SQL store's versions: v1 creates the shop tables (applied), and the change typed in
/// the Up and Down boxes is v2, pending (the page checks it with a dry run, never applies it).
pub fn sql_timeline(up: &str, down: &str, check: &SqlCheck) -> StoreTimeline {
    let ddl = generate(DatasetKind::Ecommerce, PREVIEW_SEED, ROWS_MIN)
        .map(|d| d.ddl.trim().to_string())
        .unwrap_or_default();
    let ups: Vec<String> = split_statements(up).into_iter().map(|s| s.text).collect();
    let downs: Vec<String> = split_statements(down).into_iter().map(|s| s.text).collect();
    let mut h: MigrationHistory<String> = MigrationHistory::new();
    let _ = h.add::<SqlError>(1, "create the shop tables", vec![ddl], Vec::new());
    let _ = h.migrate_to(&mut SqlStore::new(), SimTime::ZERO, 1);
    if !ups.is_empty() {
        let _ = h.add::<SqlError>(2, "the change in the Up box", ups, downs);
    }
    let current = h.current_version();
    let versions = h
        .records()
        .iter()
        .map(|r| VersionRow {
            version: r.version,
            description: r.description.clone(),
            checksum_short: Some(short(&r.checksum)),
            state: r.state.to_string(),
            undo: match (r.version, r.down.is_empty()) {
                (_, true) => Undo::NoDown,
                _ => sql_undo(check),
            },
            current: current == Some(r.version),
        })
        .collect();
    StoreTimeline {
        key: "sql",
        store: "SQL store · shop tables".into(),
        versions,
    }
}

/// What the dry run says about the typed change's down steps.
fn sql_undo(check: &SqlCheck) -> Undo {
    if let Some(e) = check.errors.first() {
        return Undo::Unchecked(format!("{} box, line {}: {}", e.list, e.line, e.message));
    }
    match (check.ran, check.reversibility.is_empty()) {
        (false, _) => Undo::Unchecked(
            check
                .summary
                .clone()
                .unwrap_or_else(|| "the dry run has not run".into()),
        ),
        (true, true) => Undo::Reversible,
        (true, false) => Undo::Lossy(check.reversibility.clone()),
    }
}

/// `v1: 60% (120) · v2: 40% (80)`, the stored documents per version.
fn version_shares(store: &DocStore) -> String {
    let counts = store
        .collection(crate::sim::doc::builtin::USERS)
        .map(|c| c.version_counts().clone())
        .unwrap_or_default();
    let total: u64 = counts.values().sum();
    if total == 0 {
        return "no documents".into();
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(v, n)| format!("v{v}: {}% ({n})", n * 100 / total))
        .collect();
    parts.join(" · ")
}

/// Whether readers of `reader` read every version stored now: `None` when they do, else the
/// first reason.
fn first_unreadable(reader: u32, store: &DocStore, schemas: &[DocSchema]) -> Option<String> {
    let find = |v: u32| schemas.iter().find(|s| s.version == v);
    let Some(r) = find(reader) else {
        return Some(format!("no schema for v{reader}"));
    };
    let stored = store
        .collection(crate::sim::doc::builtin::USERS)
        .map(|c| c.version_counts().clone())
        .unwrap_or_default();
    stored
        .iter()
        .filter(|(_, n)| **n > 0)
        .find_map(|(v, _)| match find(*v) {
            None => Some(format!("documents at v{v} have no known schema")),
            Some(w) => check_read(r, w).first().map(ToString::to_string),
        })
}

/// The stores and the application versions.
fn store_rows(
    sql: &StoreTimeline,
    doc: &StoreTimeline,
    store: &DocStore,
    schemas: &[DocSchema],
) -> Vec<WhoRow> {
    let at = |t: &StoreTimeline, what: &str| {
        t.current().map_or_else(
            || format!("{what}: none applied"),
            |v| format!("{what} v{v}"),
        )
    };
    let pending: Vec<String> = sql
        .versions
        .iter()
        .filter(|v| v.state == "pending")
        .map(|v| format!("v{}", v.version))
        .collect();
    let sql_detail = match pending.is_empty() {
        true => "no change pending".to_string(),
        false => format!(
            "{} pending (checked by a dry run, never applied)",
            pending.join(", ")
        ),
    };
    let docs_total = store
        .collection(crate::sim::doc::builtin::USERS)
        .map_or(0, |c| c.len());
    let mut rows = vec![
        WhoRow {
            who: sql.store.clone(),
            version: at(sql, "SQL"),
            detail: sql_detail,
            reads_ok: None,
        },
        WhoRow {
            who: format!("{} ({docs_total} sample documents)", doc.store),
            version: at(doc, "documents"),
            detail: format!("stored at {}", version_shares(store)),
            reads_ok: None,
        },
    ];
    rows.extend(app_rows(store, schemas));
    rows
}

/// Application v1 and v2: the version each reads, whether it reads what is stored now, and
/// its share of the writes when both run (expand / contract).
fn app_rows(store: &DocStore, schemas: &[DocSchema]) -> Vec<WhoRow> {
    let v2_share = ExpandSettings::default().v2_share.clamp(0.0, 1.0);
    APP_VERSIONS
        .iter()
        .map(|&(app, reads, knows)| {
            let share = if app == 1 { 1.0 - v2_share } else { v2_share };
            let unreadable = first_unreadable(reads, store, schemas);
            let reads_text = match &unreadable {
                None => "✓ reads every stored document".to_string(),
                Some(why) => format!("✗ cannot read every stored document: {why}"),
            };
            WhoRow {
                who: format!("Application v{app} (knows {knows})"),
                version: format!("documents v{reads}"),
                detail: format!(
                    "{reads_text}; makes {:.0}% of the writes while both run (expand/contract)",
                    share * 100.0
                ),
                reads_ok: Some(unreadable.is_none()),
            }
        })
        .collect()
}

/// The running migration's source (blue), target (green) and the application between them.
fn run_rows(r: &RunSides, sql_current: Option<u32>) -> Vec<WhoRow> {
    let blue_green = r.strategy == Strategy::BlueGreen;
    let (source, target) = match blue_green {
        true => ("Blue (source)", "Green (target)"),
        false => ("Source", "Target"),
    };
    let sql_v = sql_current.map_or_else(|| "SQL".to_string(), |v| format!("SQL v{v}"));
    let (src_store, src_version, tgt_store) = match r.direction {
        Direction::SqlToDocs => ("SQL tables (shop)", sql_v, "documents"),
        Direction::DocsToSql => (
            "documents (profiles)",
            "documents as generated".to_string(),
            "SQL tables",
        ),
        Direction::DocsToDocs => ("documents (users)", "users v1".to_string(), "documents"),
        Direction::SqlToSql => ("SQL tables (shop)", sql_v, "SQL tables"),
    };
    let tgt_version = format!("{tgt_store} in the mapping's shape");
    let serving = |on: bool| {
        if on {
            "; the application reads and writes here"
        } else {
            ""
        }
    };
    let state = if r.done { "finished" } else { "running" };
    let (app_side, app_version) = match r.on_target {
        true => (target, tgt_version.clone()),
        false => (source, src_version.clone()),
    };
    vec![
        WhoRow {
            who: format!("{source} · {src_store}"),
            version: src_version,
            detail: format!("the migration copies from here{}", serving(!r.on_target)),
            reads_ok: None,
        },
        WhoRow {
            who: format!("{target} · {tgt_store}"),
            version: tgt_version,
            detail: format!(
                "{}% of records copied · phase {} ({state}){}",
                r.copied_pct,
                r.phase_label,
                serving(r.on_target)
            ),
            reads_ok: None,
        },
        WhoRow {
            who: "Application (the page's writes)".into(),
            version: app_version,
            detail: format!("reads and writes {}", app_side.to_lowercase()),
            reads_ok: None,
        },
    ]
}

/// Readers of each version against data written with each version, with `compat`'s reason
/// for every pair that does not read, and the whole chain under each registry mode.
pub fn compat_matrix(schemas: &[DocSchema]) -> CompatMatrix {
    let shown = &schemas[schemas.len().saturating_sub(MATRIX_VERSIONS_MAX)..];
    let rows = shown
        .iter()
        .map(|r| {
            let app = APP_VERSIONS.iter().find(|(_, v, _)| *v == r.version);
            MatrixRow {
                reader: r.version,
                label: match app {
                    Some((a, _, _)) => format!("v{} readers (application v{a})", r.version),
                    None => format!("v{} readers", r.version),
                },
                cells: shown
                    .iter()
                    .map(|w| MatrixCell {
                        writer: w.version,
                        reasons: check_read(r, w).iter().map(ToString::to_string).collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    let modes = CompatMode::ALL
        .into_iter()
        .filter(|m| *m != CompatMode::None)
        .map(|m| ModeCheck {
            mode: m.name(),
            issues: check_chain(m, shown).issues.len(),
        })
        .collect();
    CompatMatrix {
        writers: shown.iter().map(|s| s.version).collect(),
        rows,
        modes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::doc::history::steps_checksum;
    use crate::view_model::schema::check_sql_change;

    fn built_in() -> VersionsView {
        versions_view("", "", &SqlCheck::default(), None)
    }

    #[test]
    fn the_matrix_is_compat_check_read_for_every_built_in_pair() {
        let schemas = derive_chain(&users_schema_v1(), &users_migrations());
        let m = built_in().matrix;
        assert_eq!(m.writers, vec![1, 2, 3, 4]);
        let readers: Vec<u32> = m.rows.iter().map(|r| r.reader).collect();
        assert_eq!(readers, vec![1, 2, 3, 4]);
        for (row, r) in m.rows.iter().zip(&schemas) {
            for (cell, w) in row.cells.iter().zip(&schemas) {
                let want: Vec<String> = check_read(r, w).iter().map(ToString::to_string).collect();
                assert_eq!(cell.reasons, want, "v{} reading v{}", r.version, w.version);
            }
            assert!(
                row.cells[row.reader as usize - 1].compatible(),
                "a version reads itself"
            );
        }
        // v1 readers (application v1) cannot read v2 data: email moved under contact.
        let cell = &m.rows[0].cells[1];
        assert!(!cell.compatible());
        assert_eq!(
            cell.reasons,
            vec!["v2 removed required field \"email\": v1 readers break".to_string()]
        );
        assert_eq!(m.rows[0].label, "v1 readers (application v1)");
        assert_eq!(m.rows[2].label, "v3 readers");
        // v2 readers need the contact v1 documents lack; v3 and v4 read each other.
        assert!(m.rows[1].cells[0]
            .reasons
            .iter()
            .any(|r| r.contains("\"contact\"")));
        assert!(m.rows[2].cells[3].compatible() && m.rows[3].cells[2].compatible());
        let backward = m.modes.iter().find(|c| c.mode == "BACKWARD").unwrap();
        assert_eq!(
            backward.issues,
            check_chain(CompatMode::Backward, &schemas).issues.len()
        );
        assert!(backward.issues > 0);
    }

    #[test]
    fn the_doc_timeline_is_ordered_and_marks_the_version_the_history_stands_at() {
        let t = &built_in().timelines[1];
        let versions: Vec<u32> = t.versions.iter().map(|v| v.version).collect();
        assert_eq!(versions, vec![1, 2, 3, 4]);
        assert_eq!(
            t.current(),
            Some(1),
            "the built-in history has nothing applied"
        );
        assert_eq!(t.versions.iter().filter(|v| v.current).count(), 1);
        let h = users_history().unwrap();
        for (row, rec) in t.versions[1..].iter().zip(h.records()) {
            assert_eq!(
                row.checksum_short.as_deref(),
                Some(&rec.checksum.hex()[..8])
            );
            assert_eq!(row.state, "pending");
        }
        assert_eq!(t.versions[1].undo, Undo::Reversible);
        match &t.versions[2].undo {
            Undo::Lossy(f) => assert!(f.iter().any(|f| f.contains("legacy_flag")), "{f:?}"),
            other => panic!("v3 drops legacy_flag: {other:?}"),
        }
        assert!(matches!(t.versions[3].undo, Undo::Lossy(_)));
        // Apply up to v2: the marker moves, the stored documents follow.
        let (mut h, mut store) = (h, users_store(USERS_SAMPLE).unwrap());
        h.migrate_to(&mut store, SimTime::from_ms(1), 2).unwrap();
        let v = docs_view(
            &h,
            &store,
            &users_migrations(),
            sql_timeline("", "", &SqlCheck::default()),
            None,
        );
        let t = &v.timelines[1];
        assert_eq!(t.current(), Some(2));
        assert_eq!(
            (t.versions[1].state.as_str(), t.versions[2].state.as_str()),
            ("applied", "pending")
        );
        assert!(v.who[1].detail.contains("v2: 100% (200)"), "{:?}", v.who[1]);
        // Now application v1 is the one that cannot read the stored documents.
        let apps: Vec<Option<bool>> = v.who[2..4].iter().map(|w| w.reads_ok).collect();
        assert_eq!(apps, vec![Some(false), Some(true)]);
        assert!(
            v.who[2].detail.contains("removed required field \"email\""),
            "{:?}",
            v.who[2]
        );
    }

    #[test]
    fn the_sql_timeline_has_the_tables_then_the_typed_change_pending() {
        let t = &built_in().timelines[0];
        assert_eq!(t.versions.len(), 1);
        assert_eq!(
            (t.current(), t.versions[0].state.as_str()),
            (Some(1), "applied")
        );
        assert_eq!(t.versions[0].undo, Undo::NoDown);
        let (up, down) = (
            "ALTER TABLE customers DROP COLUMN email;",
            "ALTER TABLE customers ADD COLUMN email TEXT;",
        );
        let check = check_sql_change(up, down);
        let t = sql_timeline(up, down, &check);
        let versions: Vec<u32> = t.versions.iter().map(|v| v.version).collect();
        assert_eq!(versions, vec![1, 2]);
        assert_eq!(t.current(), Some(1), "the change is checked, never applied");
        let sum = steps_checksum(
            &[up.trim_end_matches(';').to_string()],
            &[down.trim_end_matches(';').to_string()],
        );
        assert_eq!(
            t.versions[1].checksum_short.as_deref(),
            Some(&sum.hex()[..8])
        );
        match &t.versions[1].undo {
            Undo::Lossy(f) => assert!(f.iter().any(|f| f.contains("email")), "{f:?}"),
            other => panic!("dropping email loses it: {other:?}"),
        }
        let bad = check_sql_change("ALTER TABLE nope ADD COLUMN x INT;", "");
        let t = sql_timeline("ALTER TABLE nope ADD COLUMN x INT;", "", &bad);
        assert_eq!(
            t.versions[1].undo,
            Undo::NoDown,
            "no down box: nothing to undo with"
        );
        let t = sql_timeline("ALTER TABLE nope ADD COLUMN x INT;", "SELECT 1;", &bad);
        assert!(matches!(&t.versions[1].undo, Undo::Unchecked(w) if w.contains("up box, line 1")));
    }

    #[test]
    fn who_is_where_names_blue_and_green_and_where_the_application_is() {
        let v = built_in();
        let who: Vec<&str> = v.who.iter().map(|w| w.who.as_str()).collect();
        assert_eq!(who.len(), 4, "{who:?}");
        assert!(v.who[1].detail.contains("v1: 100% (200)"), "{:?}", v.who[1]);
        assert_eq!(v.who[2].reads_ok, Some(true));
        assert_eq!(
            v.who[3].reads_ok,
            Some(false),
            "v2 needs contact: {:?}",
            v.who[3]
        );
        assert!(v.who[3].detail.contains("50% of the writes"));
        let mut run = RunSides {
            strategy: Strategy::BlueGreen,
            direction: Direction::SqlToDocs,
            phase_label: "Copy",
            on_target: false,
            copied_pct: 45,
            done: false,
        };
        let v = versions_view("", "", &SqlCheck::default(), Some(&run));
        let rows = &v.who[4..];
        assert_eq!(rows[0].who, "Blue (source) · SQL tables (shop)");
        assert_eq!(rows[0].version, "SQL v1");
        assert!(rows[0].detail.contains("reads and writes here"));
        assert!(rows[1].who.starts_with("Green (target)"));
        assert!(rows[1]
            .detail
            .starts_with("45% of records copied · phase Copy"));
        assert_eq!(rows[2].detail, "reads and writes blue (source)");
        run.on_target = true;
        run.strategy = Strategy::BigBang;
        run.direction = Direction::DocsToSql;
        let rows = run_rows(&run, Some(1));
        assert_eq!(rows[0].who, "Source · documents (profiles)");
        assert_eq!(rows[2].detail, "reads and writes target");
        assert_eq!(rows[2].version, "SQL tables in the mapping's shape");
    }

    #[test]
    fn run_sides_follow_the_simulation() {
        use crate::sim::migrate::MigrationSpec;
        use crate::sim::{Command, Scenario};
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        assert_eq!(run_sides(&sim), None);
        let mut spec = MigrationSpec::default();
        spec.config.strategy = Strategy::BlueGreen;
        sim.command(Command::StartMigration {
            spec: Box::new(spec),
        })
        .unwrap();
        let r = run_sides(&sim).expect("a migration runs");
        assert_eq!(
            (r.strategy, r.direction),
            (Strategy::BlueGreen, Direction::SqlToDocs)
        );
        assert!(!r.on_target && !r.done && r.copied_pct == 0, "{r:?}");
        let mut t = sim.now();
        while !sim.migration().unwrap().job().is_done() && t < SimTime::from_ms(120_000) {
            t += crate::sim::SimDuration::from_ms(500);
            sim.advance_to(t, u64::MAX);
        }
        let r = run_sides(&sim).unwrap();
        assert!(r.done && r.on_target && r.copied_pct == 100, "{r:?}");
    }

    #[test]
    fn odd_inputs_give_a_view_not_a_panic() {
        let empty = DocStore::new();
        let v = docs_view(
            &MigrationHistory::new(),
            &empty,
            &[],
            sql_timeline(";;", "--", &SqlCheck::default()),
            None,
        );
        assert_eq!(v.timelines[1].versions.len(), 1);
        assert_eq!(v.matrix.writers, vec![1]);
        assert!(v.who[1].detail.contains("no documents"));
        let m = compat_matrix(&[]);
        assert!(m.rows.is_empty() && m.writers.is_empty());
    }
}
