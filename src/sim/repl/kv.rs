//! One replica's data: each key's versions (several while siblings are unresolved). The
//! replication protocols work on this map; [`Kv::fingerprint`] builds the node's store from it
//! (a SQL table or a document collection) and takes the data layer's checksum, so "replicas
//! converged" means the stores a user would query are identical.

use crate::sim::doc::{Checksum, DocStore, Migratable};
use crate::sim::hash::Fnv64;
use crate::sim::sql::SqlStore;

use super::version::{merge, newest, Merged, Resolve, Version};
use super::StoreKind;

/// Rows per INSERT statement when a SQL store is built.
const INSERT_BATCH_ROWS: usize = 500;

/// Keys are dense (`0..keys` of the workload), so they index vectors; each key's hash is kept
/// up to date as it changes, because divergence counts and anti-entropy digests read every
/// key's hash far more often than a key changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kv {
    /// Versions per key (empty: the key is absent).
    versions: Vec<Vec<Version>>,
    /// [`hash_versions`] of each key's versions.
    hashes: Vec<u64>,
    /// Keys present.
    len: usize,
}

impl Kv {
    pub fn get(&self, key: u32) -> &[Version] {
        self.versions.get(key as usize).map_or(&[], Vec::as_slice)
    }

    pub fn merge(&mut self, key: u32, v: &Version, resolve: Resolve) -> Merged {
        let k = self.slot(key);
        let was_empty = self.versions[k].is_empty();
        let m = merge(&mut self.versions[k], v, resolve);
        if m.changed {
            self.rehash(k, was_empty);
        }
        m
    }

    /// Replace a key's versions outright (a leader's log applies writes this way).
    pub fn set(&mut self, key: u32, v: Version) {
        let k = self.slot(key);
        let was_empty = self.versions[k].is_empty();
        let e = &mut self.versions[k];
        e.clear();
        e.push(v);
        self.rehash(k, was_empty);
    }

    fn slot(&mut self, key: u32) -> usize {
        let k = key as usize;
        if k >= self.versions.len() {
            self.versions.resize_with(k + 1, Vec::new);
            self.hashes.resize(k + 1, hash_versions(&[]));
        }
        k
    }

    fn rehash(&mut self, k: usize, was_empty: bool) {
        self.hashes[k] = hash_versions(&self.versions[k]);
        if was_empty && !self.versions[k].is_empty() {
            self.len += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Present keys in key order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[Version])> + '_ {
        self.versions
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k as u32, v.as_slice()))
    }

    /// One past the highest key this replica has a slot for.
    pub fn key_bound(&self) -> u32 {
        self.versions.len() as u32
    }

    /// Keys with more than one version held.
    pub fn sibling_keys(&self) -> usize {
        self.versions.iter().filter(|v| v.len() > 1).count()
    }

    /// A hash of one key's versions (for anti-entropy digests and divergence counts).
    pub fn key_hash(&self, key: u32) -> u64 {
        self.hashes
            .get(key as usize)
            .copied()
            .unwrap_or_else(|| hash_versions(&[]))
    }

    /// Every present key with its hash, in key order.
    pub fn digest(&self) -> Vec<(u32, u64)> {
        self.iter()
            .map(|(k, _)| (k, self.hashes[k as usize]))
            .collect()
    }

    /// The node's store built from this data, and the data layer's fingerprint of it.
    pub fn fingerprint(&self, kind: StoreKind) -> Checksum {
        match kind {
            StoreKind::Sql => self.to_sql().fingerprint(),
            StoreKind::Document => self.to_docs().fingerprint(),
        }
    }

    /// The value a row shows: the newest version's value, or a merged counter's total / set's
    /// size.
    fn shown(versions: &[Version]) -> (u64, usize) {
        let v = newest(versions).expect("stored keys have a version");
        (v.payload.magnitude().unwrap_or(v.value), versions.len())
    }

    /// The SQL table `kv`, one row per key.
    pub fn to_sql(&self) -> SqlStore {
        let mut store = SqlStore::new();
        store
            .execute(
                "CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL, siblings INTEGER NOT NULL)",
            )
            .expect("fixed DDL is valid");
        let rows: Vec<String> = self
            .iter()
            .map(|(k, v)| {
                let (value, siblings) = Kv::shown(v);
                format!("('{}', {}, {})", key_name(k), value as i64, siblings)
            })
            .collect();
        for chunk in rows.chunks(INSERT_BATCH_ROWS) {
            store
                .execute(&format!("INSERT INTO kv VALUES {}", chunk.join(", ")))
                .expect("generated rows fit the table");
        }
        store
    }

    /// The document collection `kv`, one document per key.
    pub fn to_docs(&self) -> DocStore {
        let mut store = DocStore::new();
        store.create_collection("kv").expect("new store");
        for (k, v) in self.iter() {
            let (value, siblings) = Kv::shown(v);
            let doc = serde_json::json!({
                "_id": key_name(k),
                "v": value,
                "siblings": siblings,
                "versions": v.iter().map(|x| x.value).collect::<Vec<u64>>(),
            });
            store.insert("kv", doc).expect("unique ids");
        }
        store
    }
}

/// The name a key has in stores, reports and the checker.
pub fn key_name(k: u32) -> String {
    format!("k{k}")
}

fn hash_versions(v: &[Version]) -> u64 {
    let mut h = Fnv64::new();
    for x in v {
        x.hash_into(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::repl::version::{ConflictPolicy, Payload, Vv};

    #[test]
    fn equal_data_gives_equal_fingerprints_in_both_stores() {
        let mut a = Kv::default();
        let mut b = Kv::default();
        let v = |value, ts| Version {
            value,
            ts,
            node: 0,
            vv: Vv([value as u32, 0, 0, 0, 0, 0, 0]),
            payload: Payload::Register,
        };
        let p = Resolve::Policy(ConflictPolicy::Lww);
        a.merge(1, &v(1, 10), p);
        a.merge(1, &v(2, 20), p);
        b.merge(1, &v(2, 20), p);
        assert_eq!(a, b);
        for kind in [StoreKind::Sql, StoreKind::Document] {
            assert_eq!(a.fingerprint(kind), b.fingerprint(kind));
        }
        b.merge(2, &v(3, 30), p);
        assert_ne!(a.fingerprint(StoreKind::Sql), b.fingerprint(StoreKind::Sql));
        assert_eq!(b.to_sql().table("kv").map(|t| t.row_count()), Some(2));
    }
}
