//! Every `tests/sql_corpus/*.sql` script, run through the library's dump, must print exactly
//! its `.expected` file: the `migrascope sql` output, checked against PostgreSQL by
//! `scripts/pg-diff`.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use migrascope::sim::sql::dump::run_script;
use proptest::prelude::*;

#[test]
fn corpus_matches_expected_output() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sql_corpus");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 25, "only {} corpus scripts", scripts.len());
    let mut failures = Vec::new();
    for sql in &scripts {
        let text = std::fs::read_to_string(sql).expect("read script");
        let expected = std::fs::read_to_string(sql.with_extension("expected"))
            .unwrap_or_else(|_| panic!("{} has no .expected file", sql.display()));
        let got = run_script(&text).output;
        if got != expected {
            failures.push(format!(
                "{}\n--- expected\n{expected}--- got\n{got}",
                sql.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_runs_are_deterministic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sql_corpus");
    let text = std::fs::read_to_string(dir.join("15_fk_cascade.sql")).expect("read script");
    assert_eq!(run_script(&text), run_script(&text));
}

/// Every prefix of every corpus script, and each script with one character dropped at a
/// stride of positions, runs to a result or an error: the lexer and parser never panic on
/// cut-off or mangled text.
#[test]
fn mangled_scripts_give_errors_not_panics() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sql_corpus");
    let mut runs = 0usize;
    for entry in std::fs::read_dir(&dir).expect("corpus directory") {
        let path = entry.expect("corpus entry").path();
        if path.extension().is_none_or(|x| x != "sql") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read script");
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(7).collect();
        for &i in &cuts {
            let _ = run_script(&text[..i]);
            let mut dropped = text.clone();
            dropped.remove(i);
            let _ = run_script(&dropped);
            runs += 2;
        }
    }
    assert!(runs > 1_000, "only {runs} runs");
}

/// Pieces of SQL text, valid and not, for the random scripts below.
const PIECES: &[&str] = &[
    "SELECT ",
    "INSERT INTO t VALUES ",
    "UPDATE t SET a = ",
    "DELETE FROM t WHERE ",
    "CREATE TABLE t (a INT PRIMARY KEY, b TEXT",
    "ALTER TABLE t ",
    "ADD COLUMN c ",
    "DROP ",
    "CREATE INDEX ON t (",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "(",
    ")",
    ",",
    ";",
    "'",
    "''",
    "\"",
    "E'\\",
    "$$",
    "$a$",
    "--",
    "/*",
    "*/",
    "\n",
    " ",
    "1",
    "1.5e",
    ".5",
    "-",
    "+",
    "*",
    "/",
    "%",
    "||",
    "::",
    "::int",
    "=",
    "<>",
    "<=",
    "NOT ",
    "AND ",
    "OR ",
    "IS ",
    "NULL",
    "TRUE",
    "IN (",
    "BETWEEN ",
    "CASE WHEN ",
    "THEN ",
    "ELSE ",
    "END",
    "CAST(",
    " AS ",
    "numeric(",
    "varchar(",
    "DATE '2024-01-31'",
    "DEFAULT",
    "a",
    "b",
    "t",
    "t.a",
    "lower(",
    "coalesce(",
    "ON CONFLICT DO NOTHING",
    "LIMIT ",
    "ORDER BY ",
    "CHECK (",
    "REFERENCES t",
    "é",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any sequence of SQL pieces runs to a result or an error message, never a panic, and
    /// the same text always gives the same output.
    #[test]
    fn random_sql_never_panics(picks in proptest::collection::vec(0..PIECES.len(), 0..40)) {
        let text: String = picks.iter().map(|&i| PIECES[i]).collect();
        let first = run_script(&text);
        prop_assert_eq!(first, run_script(&text));
    }
}

/// Nesting far past the limit is refused with a message, not a stack overflow.
#[test]
fn deep_nesting_is_refused() {
    for text in [
        format!("SELECT {}1{}", "(".repeat(20_000), ")".repeat(20_000)),
        format!("SELECT {}1", "NOT ".repeat(20_000)),
        format!("SELECT {}1", "- ".repeat(20_000)),
        format!("SELECT {}", vec!["1"; 20_000].join(" + ")),
        format!("SELECT {}1{}", "lower(".repeat(20_000), ")".repeat(20_000)),
    ] {
        let out = run_script(&text).output;
        assert!(
            out.contains("nested more than"),
            "{}",
            &out[..out.len().min(200)]
        );
    }
}
