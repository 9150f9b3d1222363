//! The native command line, run as a user would run it.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

fn migrascope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_migrascope"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("migrascope-{}-{name}", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn run_default_prints_a_json_report() {
    let (code, out, err) = migrascope(&["run", "--default"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["simulated_ms"], 60_000);
    assert!(v["operations"]["ok"].as_u64().unwrap() > 1_000, "{out}");
    assert!(
        v["checker"]["linearizability_counts"]["ok"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(v["checker"]["visibility"].as_array().unwrap().len() >= 2);
    assert!(v["latency"]["p99_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(v["history_hash"].as_str().unwrap().len(), 16);
}

#[test]
fn same_file_same_report() {
    let p = temp_file("s.json", r#"{"seed": 5, "duration_ms": 5000}"#);
    let a = migrascope(&["run", p.to_str().unwrap()]);
    let b = migrascope(&["run", p.to_str().unwrap()]);
    assert_eq!(a.0, 0, "{}", a.2);
    assert_eq!(a.1, b.1);
}

#[test]
fn bad_scenarios_get_clear_messages_not_panics() {
    let p = temp_file("bad.json", r#"{"cluster": {"nodes": 40}}"#);
    let (code, _, err) = migrascope(&["run", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("cluster.nodes = 40 is out of range"), "{err}");
    let (code, _, err) = migrascope(&["run", "/nonexistent/x.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
    let (code, _, err) = migrascope(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("usage"), "{err}");
}

#[test]
fn every_example_scenario_runs_and_reports_the_checker() {
    for name in [
        "leaderless",
        "leaderless-abd",
        "single-leader",
        "multi-leader",
    ] {
        let path = format!("{}/tests/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let (code, out, err) = migrascope(&["run", &path]);
        assert_eq!(code, 0, "{name}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["operations"]["ok"].as_u64().unwrap() > 500, "{name}");
        assert!(v["checker"]["ops"].as_u64().unwrap() > 500, "{name}");
        assert_eq!(
            v["replication"]["divergent_keys"].as_u64().map(|d| d <= 5),
            Some(true),
            "{name}"
        );
    }
}
