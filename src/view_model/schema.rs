//! The Schema view's model: the source tables as DDL, a schema change typed as SQL and
//! checked as it is typed (errors at their line, then a dry run of the change in place on the
//! generated data: the locks each step takes, the writes it blocks, and what the down steps
//! cannot give back), and the SQL -> documents mapping as JSON with a preview of the first
//! document it builds. Pure: the page calls these with the form's text and draws the result.
//! [`versions`] adds each store's version timeline, who is at which version, and the
//! compatibility matrix.

use crate::sim::dataset::{generate, DatasetKind};
use crate::sim::mapping::suggest::suggest_sql_to_docs;
use crate::sim::mapping::{ConvertOptions, DocMapper, SqlToDocs, Tables, Tally};
use crate::sim::migrate::{self, Direction, MigrationSpec, Strategy};
use crate::sim::sql::SqlError;

use super::migration::{page_cost, PAGE_WRITES_PER_S};

pub mod versions;

/// Records the dry runs and previews generate (a fixed size, so typing stays quick).
pub const PREVIEW_ROWS: u64 = 1_000;
/// Seed of the generated data the Schema view checks against.
pub const PREVIEW_SEED: u64 = 7;
/// Lines of a document preview before it is cut.
const PREVIEW_LINES_MAX: usize = 40;
/// Statements one list may hold (the in-place model's own limit is checked again later).
const STATEMENTS_MAX: usize = 20;

/// One statement of a script and the line (1-based) it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlText {
    pub line: usize,
    pub text: String,
}

/// Split a SQL script at the semicolons that end statements: not inside quotes ('...',
/// "..."), dollar quotes ($$...$$) or comments (-- and /* */). Empty statements are dropped;
/// each keeps the line its first word is on.
pub fn split_statements(script: &str) -> Vec<SqlText> {
    let mut out = Vec::new();
    let bytes = script.as_bytes();
    let (mut i, mut line, mut start) = (0, 1, 0);
    let mut push = |from: usize, to: usize, end_line: usize| {
        let raw = &script[from..to];
        let text = raw.trim();
        if text.is_empty() || is_only_comments(text) {
            return;
        }
        // The line of the first non-blank character.
        let lead = &raw[..raw.len() - raw.trim_start().len()];
        let first_line = end_line - raw.matches('\n').count() + lead.matches('\n').count();
        out.push(SqlText {
            line: first_line,
            text: text.to_string(),
        });
    };
    while i < bytes.len() {
        let c = bytes[i];
        let skip_to = |needle: &str, from: usize| {
            script[from..]
                .find(needle)
                .map_or(bytes.len(), |k| from + k + needle.len())
        };
        let next = match c {
            b'\'' | b'"' => skip_to(if c == b'\'' { "'" } else { "\"" }, i + 1),
            b'-' if bytes.get(i + 1) == Some(&b'-') => skip_to("\n", i + 2),
            b'/' if bytes.get(i + 1) == Some(&b'*') => skip_to("*/", i + 2),
            b'$' if bytes.get(i + 1) == Some(&b'$') => skip_to("$$", i + 2),
            b';' => {
                push(start, i, line);
                start = i + 1;
                i + 1
            }
            _ => i + 1,
        };
        line += script[i..next.min(bytes.len())].matches('\n').count();
        i = next;
    }
    push(start, bytes.len(), line);
    out
}

fn is_only_comments(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("--")
    })
}

/// A problem found in the text, at its line.
#[derive(Clone, Debug, PartialEq)]
pub struct LineError {
    /// Which box: `up`, `down` or `mapping`.
    pub list: &'static str,
    /// 1-based line in that box; 0 when the problem is not at one line (a rule that names
    /// an unknown table, say).
    pub line: usize,
    pub message: String,
}

/// One lock the dry run's up step took.
#[derive(Clone, Debug, PartialEq)]
pub struct LockRow {
    /// 1-based step and the line it starts on.
    pub step: usize,
    pub line: usize,
    pub table: String,
    pub lock: String,
    pub rewrite: bool,
    pub rows: u64,
    pub duration_ms: f64,
    pub blocks_writes: bool,
}

/// What the SQL boxes say about the change.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SqlCheck {
    /// Statements found in each box.
    pub up_count: usize,
    pub down_count: usize,
    /// Parse and execution errors, at their lines (the first failing statement of a box;
    /// the statements after it are not run).
    pub errors: Vec<LineError>,
    /// The dry run's locks, step by step (empty until the statements run cleanly).
    pub locks: Vec<LockRow>,
    /// What the down steps cannot give back (the data layer's reversibility check).
    pub reversibility: Vec<String>,
    /// One sentence on the dry run: outcome, time, writes blocked.
    pub summary: Option<String>,
    /// The dry run ran to its end (so `reversibility` is its verdict).
    pub ran: bool,
}

/// Place an error at its line in the box: a parse error at the line where parsing stopped
/// (counted from the statement's start), any other error at the statement's first line.
fn place_error(list: &'static str, st: &SqlText, e: &SqlError) -> LineError {
    LineError {
        list,
        line: st.line + e.line.unwrap_or(1).max(1) - 1,
        message: e.message.clone(),
    }
}

/// Check an in-place schema change typed as SQL against the generated e-commerce data:
/// each `up` statement runs in order on a copy, then each `down` statement on the result;
/// the first error in a box is reported at its line. When both boxes run cleanly, the
/// change runs as an in-place migration (locks, blocked writes, the reversibility check).
pub fn check_sql_change(up: &str, down: &str) -> SqlCheck {
    let (ups, downs) = (split_statements(up), split_statements(down));
    let mut check = SqlCheck {
        up_count: ups.len(),
        down_count: downs.len(),
        ..SqlCheck::default()
    };
    if ups.is_empty() {
        return check;
    }
    for (list, sts) in [("up", &ups), ("down", &downs)] {
        if sts.len() > STATEMENTS_MAX {
            check.errors.push(LineError {
                list,
                line: sts[STATEMENTS_MAX].line,
                message: format!("at most {STATEMENTS_MAX} statements"),
            });
        }
    }
    if !check.errors.is_empty() {
        return check;
    }
    let data = match generate(DatasetKind::Ecommerce, PREVIEW_SEED, PREVIEW_ROWS)
        .and_then(|d| d.sql_store())
    {
        Ok(store) => store,
        Err(e) => {
            check.summary = Some(format!("The sample data could not be built: {e}"));
            return check;
        }
    };
    let mut copy = data;
    for (list, sts) in [("up", &ups), ("down", &downs)] {
        if let Some((st, e)) = sts
            .iter()
            .find_map(|st| copy.execute(&st.text).err().map(|e| (st, e)))
        {
            check.errors.push(place_error(list, st, &e));
            return check;
        }
    }
    let mut spec = MigrationSpec {
        dataset: DatasetKind::Ecommerce.name().into(),
        rows: PREVIEW_ROWS,
        ..MigrationSpec::default()
    };
    spec.config.strategy = Strategy::InPlace;
    spec.config.direction = Direction::SqlToDocs;
    spec.config.cost = page_cost();
    spec.workload.writes_per_s = PAGE_WRITES_PER_S;
    spec.in_place.up = ups.iter().map(|s| s.text.clone()).collect();
    spec.in_place.down = downs.iter().map(|s| s.text.clone()).collect();
    match migrate::run(&spec, PREVIEW_SEED) {
        Ok(r) => {
            check.ran = true;
            check.locks = r
                .locks
                .iter()
                .map(|l| LockRow {
                    step: l.step + 1,
                    line: ups.get(l.step).map_or(0, |s| s.line),
                    table: l.table.clone().unwrap_or_else(|| "–".into()),
                    lock: lock_words(&l.lock),
                    rewrite: l.rewrite,
                    rows: l.rows,
                    duration_ms: l.duration_ms,
                    blocks_writes: l.blocks_writes,
                })
                .collect();
            check.reversibility = r.reversibility.clone();
            let longest = r.locks.iter().map(|l| l.duration_ms).fold(0.0, f64::max);
            check.summary = Some(format!(
                "Dry run on {PREVIEW_ROWS} records with {PAGE_WRITES_PER_S} writes/s: {}{}; \
                 locks held {:.1} ms in all (longest {:.1} ms); {} writes arrived while a lock \
                 made them wait.",
                r.outcome,
                r.reason
                    .as_ref()
                    .map(|why| format!(" ({why})"))
                    .unwrap_or_default(),
                r.locks.iter().map(|l| l.duration_ms).sum::<f64>(),
                longest,
                r.writes.rejected,
            ));
        }
        Err(e) => check.summary = Some(format!("The dry run was refused: {e}")),
    }
    check
}

/// `AccessExclusive` -> `ACCESS EXCLUSIVE`, as PostgreSQL's documentation writes locks.
fn lock_words(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push(' ');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The e-commerce tables the SQL -> documents migration reads, with their data.
fn preview_tables() -> Result<Tables, String> {
    generate(DatasetKind::Ecommerce, PREVIEW_SEED, PREVIEW_ROWS)
        .map(|d| d.tables)
        .map_err(|e| e.to_string())
}

/// The source tables as the dataset creates them (`CREATE TABLE` statements).
pub fn source_ddl() -> String {
    generate(DatasetKind::Ecommerce, PREVIEW_SEED, PREVIEW_ROWS)
        .map_or_else(|e| format!("-- {e}"), |d| d.ddl.trim().to_string())
}

/// The mapping the data layer suggests for the e-commerce tables, as JSON to edit.
pub fn suggested_mapping_json() -> String {
    match preview_tables() {
        Ok(t) => serde_json::to_string_pretty(
            &suggest_sql_to_docs(&t, ConvertOptions::default()).mapping,
        )
        .unwrap_or_default(),
        Err(e) => format!("// {e}"),
    }
}

/// Parse mapping rules typed as JSON; the error names the line and column.
pub fn parse_mapping(text: &str) -> Result<SqlToDocs, LineError> {
    serde_json::from_str(text).map_err(|e| LineError {
        list: "mapping",
        line: e.line().max(1),
        message: format!("column {}: {e}", e.column()),
    })
}

/// What the mapping box says: its error, or the first document of each collection.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MappingCheck {
    /// Empty text: the suggested mapping is used.
    pub suggested: bool,
    pub error: Option<LineError>,
    /// `(collection, first document as pretty JSON, documents it would build)`.
    pub previews: Vec<(String, String, usize)>,
}

/// Check the mapping box (empty: the suggestion) and preview the documents it builds.
pub fn check_mapping(text: &str) -> MappingCheck {
    let tables = match preview_tables() {
        Ok(t) => t,
        Err(e) => {
            return MappingCheck {
                error: Some(LineError {
                    list: "mapping",
                    line: 0,
                    message: e,
                }),
                ..MappingCheck::default()
            }
        }
    };
    let suggested = text.trim().is_empty();
    let rules = if suggested {
        suggest_sql_to_docs(&tables, ConvertOptions::default()).mapping
    } else {
        match parse_mapping(text) {
            Ok(r) => r,
            Err(e) => {
                return MappingCheck {
                    error: Some(e),
                    ..MappingCheck::default()
                }
            }
        }
    };
    let mapper = match DocMapper::new(&rules, &tables) {
        Ok(m) => m,
        Err(e) => {
            return MappingCheck {
                suggested,
                error: Some(LineError {
                    list: "mapping",
                    line: 0,
                    message: e.to_string(),
                }),
                previews: Vec::new(),
            }
        }
    };
    let mut tally = Tally::default();
    let previews = mapper
        .collection_names()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let doc = mapper
                .document(i, 0, &mut tally)
                .and_then(|d| serde_json::to_string_pretty(&d).ok())
                .unwrap_or_else(|| "(no document)".into());
            let mut lines: Vec<&str> = doc.lines().take(PREVIEW_LINES_MAX + 1).collect();
            if lines.len() > PREVIEW_LINES_MAX {
                lines.truncate(PREVIEW_LINES_MAX);
                lines.push("  …");
            }
            (name.to_string(), lines.join("\n"), mapper.root_rows(i))
        })
        .collect();
    MappingCheck {
        suggested,
        error: None,
        previews,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_at_semicolons_outside_quotes_and_comments() {
        let s =
            "-- a comment; not a statement\nALTER TABLE a ADD COLUMN x TEXT DEFAULT 'a;b';\n\n  \
                 /* ; */ UPDATE a\n SET x = 'y';;\nDROP INDEX i";
        let parts = split_statements(s);
        let lines: Vec<usize> = parts.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![1, 4, 6], "{parts:?}");
        assert!(parts[0].text.ends_with("DEFAULT 'a;b'"));
        assert!(parts[1].text.contains("UPDATE a\n SET x = 'y'"));
        assert_eq!(parts[2].text, "DROP INDEX i");
        assert!(split_statements(" ;\n-- only a comment\n").is_empty());
    }

    #[test]
    fn an_error_is_reported_at_the_line_of_the_failing_statement() {
        let up = "ALTER TABLE customers ADD COLUMN tier TEXT;\n\nALTER TABLE customers\n  DROP COLUMN nope;";
        let c = check_sql_change(up, "");
        assert_eq!(c.errors.len(), 1, "{c:?}");
        assert_eq!((c.errors[0].list, c.errors[0].line), ("up", 3));
        assert!(c.errors[0].message.contains("nope"), "{c:?}");
        assert!(c.locks.is_empty() && c.summary.is_none());
        // A syntax error on the second line of a statement points at that line.
        let c = check_sql_change("ALTER TABLE customers\nADD COLUMN 5 TEXT;", "");
        assert_eq!(c.errors[0].line, 2, "{c:?}");
        assert_eq!(
            c.errors[0].message, "syntax error at or near \"5\"",
            "{c:?}"
        );
        // The down box runs on the result of the up box.
        let c = check_sql_change(
            "ALTER TABLE customers ADD COLUMN tier TEXT;",
            "ALTER TABLE customers DROP COLUMN tier;\nALTER TABLE customers DROP COLUMN tier;",
        );
        assert_eq!((c.errors[0].list, c.errors[0].line), ("down", 2), "{c:?}");
    }

    #[test]
    fn a_clean_change_gets_a_dry_run_with_locks_and_the_reversibility_check() {
        let c = check_sql_change(
            "ALTER TABLE customers ADD COLUMN tier TEXT DEFAULT 'basic';\n\
             ALTER TABLE customers DROP COLUMN email;",
            "ALTER TABLE customers ADD COLUMN email TEXT;\nALTER TABLE customers DROP COLUMN tier;",
        );
        assert!(c.errors.is_empty(), "{c:?}");
        assert_eq!((c.up_count, c.down_count), (2, 2));
        assert_eq!(c.locks.len(), 2, "{c:?}");
        assert_eq!((c.locks[1].step, c.locks[1].line), (2, 2));
        assert!(
            c.locks
                .iter()
                .all(|l| l.lock == "ACCESS EXCLUSIVE" && l.blocks_writes),
            "{c:?}"
        );
        assert!(
            c.reversibility.iter().any(|f| f.contains("email")),
            "dropping email cannot be undone by adding it back: {c:?}"
        );
        assert!(
            c.summary.as_deref().is_some_and(|s| s.contains("complete")),
            "{c:?}"
        );
    }

    #[test]
    fn mapping_text_is_checked_and_previewed() {
        let c = check_mapping("");
        assert!(c.suggested && c.error.is_none(), "{c:?}");
        assert!(!c.previews.is_empty());
        let rules = suggested_mapping_json();
        let c = check_mapping(&rules);
        assert!(!c.suggested && c.error.is_none(), "{c:?}");
        assert_eq!(c.previews, check_mapping("").previews);
        let bad = rules.replacen("\"collections\"", "\"collections\" :", 1);
        let e = check_mapping(&bad).error.expect("a syntax error");
        let line = 1 + rules
            .lines()
            .position(|l| l.contains("\"collections\""))
            .unwrap();
        assert_eq!((e.list, e.line), ("mapping", line), "{e:?}");
        let unknown = r#"{"collections": [{"collection": "x", "table": "no_such_table"}]}"#;
        // Start uses the box's rules, and names the box when they do not parse.
        let mut form = crate::view_model::migration::MigrationForm {
            mapping_json: rules.clone(),
            ..Default::default()
        };
        let spec = form.to_spec().expect("the suggested rules are valid");
        assert!(matches!(spec.mapping, migrate::MappingSpec::Rules(_)));
        form.mapping_json = bad.clone();
        let e = form.to_spec().expect_err("bad JSON is refused");
        assert!(
            e.starts_with(&format!("Mapping rules (Schema view), line {line}")),
            "{e}"
        );
        let e = check_mapping(unknown).error.expect("an unknown table");
        assert!(e.message.contains("no_such_table"), "{e:?}");
    }
}
