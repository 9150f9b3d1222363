//! Every `tests/sql_corpus/*.sql` script, run through the library's dump, must print exactly
//! its `.expected` file: the `migrascope sql` output, checked against PostgreSQL by
//! `scripts/pg-diff`.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use migrascope::sim::sql::dump::run_script;

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
