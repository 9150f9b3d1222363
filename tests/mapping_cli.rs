//! `migrascope map` through the real binary: output shape and exit codes.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

fn map(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_migrascope"))
        .arg("map")
        .args(args)
        .output()
        .expect("runs");
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap_or_default();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

#[test]
fn prints_mapping_then_documents_then_report() {
    let (code, out, _) = map(&[
        "--dataset",
        "ecommerce",
        "--rows",
        "300",
        "--seed",
        "5",
        "--docs",
        "2",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (m, d, r) = (
        out.find("\"mapping\"").unwrap(),
        out.find("\"documents\"").unwrap(),
        out.find("\"report\"").unwrap(),
    );
    assert!(m < d && d < r, "sections in order");
    assert_eq!(v["documents"].as_array().unwrap().len(), 2);
    assert_eq!(v["checksums"]["differing"], serde_json::json!([]));
}

#[test]
fn given_mapping_files_are_used() {
    let (code, out, err) = map(&[
        "--dataset",
        "ecommerce",
        "--rows",
        "2000",
        "--seed",
        "5",
        "--mapping",
        "scenarios/mappings/ecommerce_lossy.json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["suggested"], false);
    assert!(
        v["report"]["losses"]["timestamp_sub_millisecond"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for (args, needle) in [
        (
            vec!["--dataset", "shop", "--rows", "100", "--seed", "1"],
            "unknown dataset",
        ),
        (
            vec!["--dataset", "content", "--rows", "9", "--seed", "1"],
            "rows must be in 10..=1000000",
        ),
        (
            vec![
                "--dataset",
                "content",
                "--rows",
                "100",
                "--seed",
                "1",
                "--mapping",
                "nope.json",
            ],
            "cannot read nope.json",
        ),
        (
            vec![
                "--dataset",
                "content",
                "--rows",
                "100",
                "--seed",
                "1",
                "--mapping",
                "Cargo.toml",
            ],
            "not a valid mapping",
        ),
        (
            vec![
                "--dataset",
                "content",
                "--rows",
                "100",
                "--seed",
                "1",
                "--mapping",
                "scenarios/mappings/ecommerce.json",
            ],
            "unknown table",
        ),
        (
            vec!["--dataset", "content", "--rows", "100"],
            "--seed is required",
        ),
    ] {
        let (code, out, err) = map(&args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
