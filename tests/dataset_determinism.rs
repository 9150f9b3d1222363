//! Built-in datasets are pinned: the same (seed, rows) must give the same content on every
//! platform and in every build, because recorded scenarios and checksums depend on it. If a
//! generator changes on purpose, update the pins in the same commit and say why.

use migrascope::sim::dataset::{generate, DatasetKind};
use migrascope::sim::mapping::checksum::{checksum_tables, hash128};

/// A fingerprint of a dataset: table checksums, or a hash of the documents' canonical JSON.
fn fingerprint(kind: DatasetKind, seed: u64, rows: u64) -> String {
    let d = generate(kind, seed, rows).unwrap();
    if d.collections.is_empty() {
        return checksum_tables(&d.tables, None).total().text();
    }
    let text: String = d.collections[0]
        .1
        .iter()
        .map(|doc| doc.to_string() + "\n")
        .collect();
    format!(
        "{}:{:032x}",
        d.collections[0].1.len(),
        hash128(text.as_bytes())
    )
}

#[test]
fn datasets_are_pinned() {
    let pins = [
        (
            DatasetKind::Ecommerce,
            7,
            1_000,
            "1000:f8284fd67ce882cea3fb7ae3cf7abf6f",
        ),
        (
            DatasetKind::Content,
            7,
            1_000,
            "1000:1dfa7c3f705b4b1f21cc7aee3c9f94ac",
        ),
        (
            DatasetKind::Profiles,
            7,
            1_000,
            "1000:bf67320fc548916c890f0ff24cf06a2b",
        ),
    ];
    let got: Vec<String> = pins
        .iter()
        .map(|(k, s, r, _)| fingerprint(*k, *s, *r))
        .collect();
    let want: Vec<&str> = pins.iter().map(|p| p.3).collect();
    assert_eq!(got, want);
}

#[test]
fn generation_is_repeatable_and_seed_sensitive() {
    for kind in DatasetKind::ALL {
        let a = fingerprint(kind, 42, 5_000);
        assert_eq!(a, fingerprint(kind, 42, 5_000), "{kind:?}");
        assert_ne!(a, fingerprint(kind, 43, 5_000), "{kind:?}");
        assert_ne!(a, fingerprint(kind, 42, 5_001), "{kind:?}");
    }
}

#[test]
fn tables_draw_from_their_own_substreams() {
    // Products come from their own stream: the first products are the same whatever the
    // total size (only how many there are changes).
    let small = generate(DatasetKind::Ecommerce, 9, 1_000).unwrap();
    let big = generate(DatasetKind::Ecommerce, 9, 50_000).unwrap();
    let (s, b) = (
        &small.tables.get("products").unwrap().rows,
        &big.tables.get("products").unwrap().rows,
    );
    assert!(s.len() < b.len());
    assert_eq!(s[..], b[..s.len()]);
}
