//! Documents -> documents: a copy-based schema change inside the document store. The source
//! collection holds documents at `schema_version` vN; the target, a second collection, holds
//! each document moved to the target version by the collection's [`MigrationChain`] (its
//! real up steps). A unit is one document (`(0, _id)`).
//!
//! The correct applier skips changes at or before the position a document was read at and
//! rewrites the document from the live source through the chain (idempotent); the naive one
//! writes the change's after image as it was committed, without upgrading it: an old-shape
//! document lands in the target, which the checksum, the compare and the target schema's
//! validation report. Verification compares the target with `upgrade(source)` by counts,
//! checksums (the data layer's 128-bit record hash over canonical JSON, added per document),
//! a seeded sample and every document's validation against the target version's schema.

use crate::sim::sort::CollectOrdered;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

use super::config::{invalid, CdcApply, ConfigError};
use super::phase::RecordError;
use super::side::{Keyed, Side, SideOps, SnapUnit, UnitKey};
use super::to_docs::{Verification, MISMATCHES_KEPT_MAX};
use super::to_rows::DocSource;
use super::workload::{ChangeEvent, Image, Writer};
use crate::sim::doc::compat::derive_chain;
use crate::sim::doc::migration::{DocMigration, MigrationChain};
use crate::sim::doc::reversibility::{check_chain_reversibility, roundtrip_check};
use crate::sim::doc::schema::DocSchema;
use crate::sim::doc::store::doc_version;
use crate::sim::doc::value::canonical_json;
use crate::sim::doc::ID_FIELD;
use crate::sim::mapping::checksum::hash128;
use crate::sim::mapping::ContentChecksum;
use crate::sim::rng::SimRng;
use crate::sim::time::SimTime;

/// Reversibility findings kept per migration of the chain (the rest are counted).
const FINDINGS_KEPT_MAX: usize = 5;

/// The documents -> documents side of a job.
#[derive(Clone, Debug)]
pub struct DocsToDocs {
    chain: MigrationChain,
    /// Schemas of the chain, one per version from the chain's base on.
    schemas: Vec<DocSchema>,
    source_version: u32,
    target_version: u32,
    /// The live source (one collection).
    pub src: DocSource,
    target_name: String,
    k: Keyed<Json>,
}

/// The data layer's checksum of documents: each one's canonical JSON hashed to 128 bits,
/// added (order-independent, duplicates do not cancel).
pub fn doc_checksum<'d>(docs: impl IntoIterator<Item = &'d Json>) -> ContentChecksum {
    let mut sum = ContentChecksum::default();
    for d in docs {
        sum.add(hash128(canonical_json(d).as_bytes()));
    }
    sum
}

impl DocsToDocs {
    /// A side moving `docs` (at `source_version`) to `target_version` through `migrations`
    /// (starting at `base`'s version).
    pub fn new(
        migrations: Vec<DocMigration>,
        base: &DocSchema,
        (source_version, target_version): (u32, u32),
        (name, docs): (String, Vec<Json>),
    ) -> Result<DocsToDocs, ConfigError> {
        let chain = MigrationChain::new(migrations.clone())
            .map_err(|e| invalid("schema_change", e.to_string()))?;
        let (lo, hi) = (chain.base_version(), chain.latest_version());
        if !(lo..=hi).contains(&source_version) {
            let why = format!("{source_version}: the chain of \"{name}\" runs from {lo} to {hi}");
            return Err(invalid("schema_change.source_version", why));
        }
        if target_version <= source_version || target_version > hi {
            let why = format!(
                "{target_version}: must be above source_version {source_version} and at most \
                 {hi} (the chain's latest)"
            );
            return Err(invalid("schema_change.target_version", why));
        }
        let mut by_id = BTreeMap::new();
        for d in docs {
            let id = d.get(ID_FIELD).and_then(Json::as_i64).ok_or_else(|| {
                invalid(
                    "dataset",
                    format!("{name}: change capture needs integer _id"),
                )
            })?;
            let d = chain
                .upgrade_on_read(&d, source_version)
                .map_err(|e| invalid("schema_change.source_version", e.to_string()))?;
            by_id.insert(id, d);
        }
        Ok(DocsToDocs {
            schemas: derive_chain(base, &migrations),
            chain,
            source_version,
            target_version,
            target_name: format!("{name}_v{target_version}"),
            k: Keyed::new(vec![name.clone()]),
            src: DocSource {
                colls: vec![(name, by_id)],
            },
        })
    }

    /// The target collection's name (`<source>_v<target version>`).
    pub fn target_name(&self) -> &str {
        &self.target_name
    }

    /// The target's documents of unit group `c`, by `_id`.
    pub fn target_docs(&self, c: usize) -> Option<&BTreeMap<i64, Json>> {
        self.k.target.get(c)
    }

    /// One document moved to the target version by the chain's up steps.
    pub fn upgrade(&self, doc: &Json) -> Result<Json, String> {
        self.chain
            .upgrade_on_read(doc, self.target_version)
            .map_err(|e| e.to_string())
    }

    /// The target version's schema.
    fn target_schema(&self) -> Option<&DocSchema> {
        self.schemas
            .iter()
            .find(|s| s.version == self.target_version)
    }

    /// Rewrite unit `(c, key)` from the live source read at `position`; the documents written.
    fn refresh(&mut self, c: usize, key: i64, position: u64) -> u64 {
        self.k.read_at[c].insert(key, position);
        let Some(doc) = self.src.colls[c].1.get(&key) else {
            self.k.target[c].remove(&key);
            return 0;
        };
        match self.upgrade(doc) {
            Ok(d) => {
                self.k.failed.remove(&(c, key));
                self.k.target[c].insert(key, d);
                1
            }
            Err(_) => {
                self.k.failed.insert((c, key));
                self.k.target[c].remove(&key);
                0
            }
        }
    }

    /// The naive applier: no position check, the change's after image written as committed
    /// (at the source's version, not upgraded).
    fn apply_naive(&mut self, c: usize, e: &ChangeEvent, position: u64) -> u64 {
        self.k.read_at[c].insert(e.key, position);
        match &e.after {
            Some(Image::Doc(d)) => {
                self.k.target[c].insert(e.key, d.clone());
                1
            }
            _ => {
                self.k.target[c].remove(&e.key);
                0
            }
        }
    }

    /// What the target should hold: every non-failed source document, upgraded.
    fn expected(&self) -> BTreeMap<UnitKey, Json> {
        self.src
            .live_units()
            .filter(|(c, k, _)| !self.k.failed.contains(&(*c, *k)))
            .filter_map(|(c, k, d)| self.upgrade(d).ok().map(|u| ((c, k), u)))
            .collect_map()
    }

    fn actual(&self) -> BTreeMap<UnitKey, &Json> {
        let mut out = BTreeMap::new();
        for (c, t) in self.k.target.iter().enumerate() {
            out.extend(t.iter().map(|(k, d)| ((c, *k), d)));
        }
        out
    }

    /// Target documents that break the target version's schema or carry another version.
    fn violations(&self) -> u64 {
        let schema = self.target_schema();
        let bad = |d: &Json| {
            doc_version(d) != Some(self.target_version)
                || schema.is_some_and(|s| s.validate(d).is_err())
        };
        self.k
            .target
            .iter()
            .flat_map(|t| t.values())
            .filter(|d| bad(d))
            .count() as u64
    }
}

/// Up to `n` distinct keys of `keys`, chosen by the seeded sample stream (partial shuffle).
pub(crate) fn sample_keys<K: Clone>(keys: &[K], n: usize, seed: u64) -> Vec<K> {
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    let mut rng = SimRng::substream(seed, "migrate/sample");
    let n = n.min(idx.len());
    for i in 0..n {
        let j = rng.range_u64(i as u64, idx.len() as u64 - 1) as usize;
        idx.swap(i, j);
    }
    idx[..n].iter().map(|&i| keys[i].clone()).collect()
}

impl SideOps for DocsToDocs {
    fn names(&self) -> &[String] {
        &self.k.names
    }
    fn entity(&self, c: usize) -> &str {
        &self.k.names[c]
    }
    fn is_unit_entity(&self, name: &str) -> bool {
        self.k.names.iter().any(|n| n == name)
    }
    fn source_records(&self) -> u64 {
        self.src.len() as u64
    }
    fn relationships(&self) -> u64 {
        0
    }
    fn source_checksum(&mut self) -> ContentChecksum {
        doc_checksum(self.src.live_units().map(|(_, _, d)| d))
    }

    fn write(&mut self, w: &mut Writer, at: SimTime) -> Option<ChangeEvent> {
        w.write_doc(&mut self.src, at)
    }

    fn apply(&mut self, batch: &[ChangeEvent], mode: CdcApply, position: u64) -> u64 {
        let todo = self.k.changes_to_apply(batch, mode);
        let mut docs = 0;
        for (c, e) in todo {
            docs += match mode {
                CdcApply::Correct => self.refresh(c, e.key, position),
                CdcApply::Naive => self.apply_naive(c, e, position),
            };
        }
        docs
    }

    fn pending_units(&self, events: &mut dyn Iterator<Item = &ChangeEvent>) -> BTreeSet<UnitKey> {
        self.k.pending(events)
    }

    fn units_from(&self, cursor: &mut UnitKey, n: usize) -> Vec<UnitKey> {
        self.k.keys_from(cursor, n)
    }

    fn check_units(&self, units: &[UnitKey], pending: &BTreeSet<UnitKey>) -> (u64, u64, u64) {
        let expected = |u: UnitKey| self.src.colls[u.0].1.get(&u.1).map(|d| self.upgrade(d));
        self.k.tally(units, pending, expected, |e, a| e == a)
    }

    fn verify(&mut self, sample: usize, seed: u64, compare_all: bool) -> Verification {
        let expected = self.expected();
        let actual = self.actual();
        let name = self.target_name.clone();
        let mut v = Verification {
            failed_excluded: self.k.failed.len() as u64,
            ..Verification::default()
        };
        v.expected_counts
            .insert(name.clone(), expected.len() as u64);
        v.actual_counts.insert(name.clone(), actual.len() as u64);
        let (source, target) = (
            doc_checksum(expected.values()),
            doc_checksum(actual.values().copied()),
        );
        if source != target {
            v.checksum_differs.push(name);
        }
        v.source_checksum = source.text();
        v.target_checksum = target.text();
        if compare_all {
            self.compare_all(&expected, &actual, &mut v);
        }
        let keys: Vec<UnitKey> = expected.keys().copied().collect();
        for k in sample_keys(&keys, sample, seed) {
            v.sample_checked += 1;
            v.sample_diffs += u64::from(actual.get(&k).copied() != expected.get(&k));
        }
        v.violations = self.violations();
        v.passed = v.all_clean();
        v
    }

    fn drop_target(&mut self) {
        self.k.clear();
    }

    fn target_len(&self) -> usize {
        self.k.len()
    }
    fn unit_key_max(&self, c: usize) -> i64 {
        self.src.key_max(c)
    }

    fn reversibility(&mut self) -> Vec<String> {
        DocsToDocs::reversibility(self)
    }
}

impl Side for DocsToDocs {
    type Payload = Json;
    type Checkpoint = DocSource;

    fn checkpoint(&mut self) -> DocSource {
        self.src.clone()
    }
    fn restore(&mut self, cp: &DocSource) {
        self.src = cp.clone();
    }
    fn snapshot(
        &mut self,
        unconvertible: &(dyn Fn(&str, i64) -> bool + Sync),
    ) -> Vec<SnapUnit<Json>> {
        self.src.snapshot(
            &self.k.names,
            unconvertible,
            "does not upgrade",
            |_, d| self.upgrade(d),
            |_| 1,
        )
    }
    fn load(
        &mut self,
        u: &mut SnapUnit<Json>,
        position: u64,
        retries: u32,
        mode: CdcApply,
    ) -> Result<(), RecordError> {
        self.k.load(u, position, retries, mode)
    }
}

impl DocsToDocs {
    /// Every key on either side compared (failed records left out).
    fn compare_all(
        &self,
        expected: &BTreeMap<UnitKey, Json>,
        actual: &BTreeMap<UnitKey, &Json>,
        v: &mut Verification,
    ) {
        let keys: BTreeSet<UnitKey> = expected.keys().chain(actual.keys()).copied().collect_set();
        for u in keys.into_iter().filter(|u| !self.k.failed.contains(u)) {
            v.compared += 1;
            if expected.get(&u) != actual.get(&u).copied() {
                v.mismatched += 1;
                if v.mismatched_keys.len() < MISMATCHES_KEPT_MAX {
                    v.mismatched_keys
                        .push(format!("{}/{}", self.k.names[u.0], u.1));
                }
            }
        }
    }

    /// What the chain's down steps from the target version back to the source version
    /// cannot give back: the data layer's prediction per migration, then the round trip
    /// (up, then down) on the live documents at that migration's version.
    pub fn reversibility(&mut self) -> Vec<String> {
        let (from, to) = (self.source_version, self.target_version);
        let in_range = |m: &DocMigration| m.from_version >= from && m.to_version <= to;
        let base = self.schemas.first().cloned().unwrap_or_default();
        let mut out = Vec::new();
        let predicted = check_chain_reversibility(&base, self.chain.migrations());
        for (m, (_, findings)) in self.chain.migrations().iter().zip(predicted) {
            if !in_range(m) {
                continue;
            }
            for f in findings.iter().take(FINDINGS_KEPT_MAX) {
                out.push(format!(
                    "v{} -> v{} (down): {f}",
                    m.to_version, m.from_version
                ));
            }
        }
        let docs: Vec<Json> = self.src.live_units().map(|(_, _, d)| d.clone()).collect();
        for m in self.chain.migrations().iter().filter(|m| in_range(m)) {
            let at: Vec<Json> = docs
                .iter()
                .filter_map(|d| self.chain.upgrade_on_read(d, m.from_version).ok())
                .collect();
            let lost = roundtrip_check(m, &at);
            if let Some(first) = lost.first() {
                out.push(format!(
                    "v{} -> v{}: {} documents do not come back on this data (first: {})",
                    m.to_version,
                    m.from_version,
                    lost.len(),
                    first.message
                ));
            }
        }
        if out.is_empty() {
            out.push(format!(
                "the down steps v{to} -> v{from} give every document back"
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::doc::builtin::{sample_users, users_migrations, users_schema_v1, USERS};
    use crate::sim::migrate::workload::{Op, WriteWorkload};

    fn side(from: u32, to: u32) -> DocsToDocs {
        let docs = (USERS.to_string(), sample_users(60));
        DocsToDocs::new(users_migrations(), &users_schema_v1(), (from, to), docs).unwrap()
    }

    fn loaded(mode: CdcApply) -> DocsToDocs {
        let mut s = side(1, 4);
        let mut units = s.snapshot(&|_, _| false);
        for u in &mut units {
            s.load(u, 0, 0, mode).unwrap();
        }
        s
    }

    #[test]
    fn the_target_holds_each_document_upgraded_by_the_chain() {
        let mut s = loaded(CdcApply::Correct);
        let d = &s.k.target[0][&3];
        assert_eq!(d["schema_version"], 4);
        assert_eq!(d["contact"]["email"], "user3@example.com");
        assert!(d.get("legacy_flag").is_none() && d.get("email").is_none());
        assert_eq!(d["tags"], serde_json::json!(["v4"]));
        let v = s.verify(20, 1, true);
        assert!(
            v.passed && v.compared == 60 && v.sample_checked == 20,
            "{v:?}"
        );
        let r = s.reversibility();
        assert!(r.iter().any(|l| l.contains("legacy_flag")), "{r:?}");
        // Bad versions are refused with the field named.
        let e = DocsToDocs::new(
            users_migrations(),
            &users_schema_v1(),
            (3, 2),
            (USERS.into(), vec![]),
        );
        assert!(e
            .unwrap_err()
            .to_string()
            .starts_with("schema_change.target_version"));
    }

    #[test]
    fn correct_apply_is_idempotent_and_naive_apply_lands_an_old_shape_document() {
        for mode in [CdcApply::Correct, CdcApply::Naive] {
            let mut s = loaded(mode);
            let params = WriteWorkload {
                delete_weight: 0,
                ..WriteWorkload::default()
            };
            let mut w = Writer::new(4, params, s.names().to_vec());
            let mut pos = 0;
            let e = loop {
                let Some(e) = w.write_doc(&mut s.src, SimTime::ZERO) else {
                    continue;
                };
                pos += 1;
                let e = ChangeEvent { position: pos, ..e };
                s.apply(std::slice::from_ref(&e), mode, pos);
                if e.op == Op::Update {
                    break e;
                }
            };
            s.apply(std::slice::from_ref(&e), mode, pos);
            let v = s.verify(10, 1, true);
            match mode {
                CdcApply::Correct => assert!(v.passed, "{v:?}"),
                CdcApply::Naive => {
                    assert!(!v.passed && v.mismatched > 0 && v.violations > 0, "{v:?}");
                    assert!(!v.checksum_differs.is_empty());
                }
            }
        }
    }
}
