//! One replica's data: each key's versions (several while siblings are unresolved). The
//! replication protocols work on this map; [`Kv::fingerprint`] builds the node's store from it
//! (a SQL table or a document collection) and takes the data layer's checksum, so "replicas
//! converged" means the stores a user would query are identical.

use std::collections::BTreeMap;

use crate::sim::doc::{Checksum, DocStore, Migratable};
use crate::sim::hash::Fnv64;
use crate::sim::sql::SqlStore;

use super::version::{merge, newest, Merged, Resolve, Version};
use super::StoreKind;

/// Rows per INSERT statement when a SQL store is built.
const INSERT_BATCH_ROWS: usize = 500;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kv {
    map: BTreeMap<u32, Vec<Version>>,
}

impl Kv {
    pub fn get(&self, key: u32) -> &[Version] {
        self.map.get(&key).map_or(&[], |v| v.as_slice())
    }

    pub fn merge(&mut self, key: u32, v: &Version, resolve: Resolve) -> Merged {
        merge(self.map.entry(key).or_default(), v, resolve)
    }

    /// Replace a key's versions outright (a leader's log applies writes this way).
    pub fn set(&mut self, key: u32, v: Version) {
        let e = self.map.entry(key).or_default();
        e.clear();
        e.push(v);
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[Version])> + '_ {
        self.map.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    /// Keys with more than one version held.
    pub fn sibling_keys(&self) -> usize {
        self.map.values().filter(|v| v.len() > 1).count()
    }

    /// A hash of one key's versions (for anti-entropy digests and divergence counts).
    pub fn key_hash(&self, key: u32) -> u64 {
        hash_versions(self.get(key))
    }

    /// Every key with its hash, in key order.
    pub fn digest(&self) -> Vec<(u32, u64)> {
        self.map
            .iter()
            .map(|(k, v)| (*k, hash_versions(v)))
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
            .map
            .iter()
            .map(|(k, v)| {
                let (value, siblings) = Kv::shown(v);
                format!("('{}', {}, {})", key_name(*k), value as i64, siblings)
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
        for (k, v) in &self.map {
            let (value, siblings) = Kv::shown(v);
            let doc = serde_json::json!({
                "_id": key_name(*k),
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
