//! The Data view: what the replicas and a migration really hold, shown both ways.
//!
//! - **Replicas**: for every node, a few of its keys as the rows of its SQL table `kv` and as
//!   the documents of its collection `kv`, both built by the data layer ([`Kv::to_sql`],
//!   [`Kv::to_docs`]) from the versions the replica holds; for each key whether the other
//!   replicas (the up ones that should hold it) agree, which node holds which version where
//!   they do not, and every sibling version of a key in conflict until a write resolves it.
//! - **Migration** ([`records`]): a few source records next to what they became in the
//!   target, each marked with the state the job gives it, with renamed, converted, embedded
//!   and lost fields marked from the mapping and the data layer's conversion tally.
//!
//! Computed with the rest of [`crate::view_model::Status`] (a few times a second, never in an
//! animation frame's drawing), for every node: at most [`NODES_MAX`] nodes of
//! [`KEYS_SHOWN_MAX`] keys, each node's stores built from a copy holding only those keys. So
//! choosing another node is a reducer change with nothing to recompute, and the panel, given
//! each part behind an `Rc`, re-renders only the parts whose content changed.
//!
//! [`NODES_MAX`]: crate::sim::scenario::NODES_MAX

pub mod records;

use crate::sim::sort::CollectOrdered;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::sim::mapping::relational::type_sql;
use crate::sim::mapping::Tables;
use crate::sim::repl::cluster::Cluster;
use crate::sim::repl::kv::{key_name, Kv};
use crate::sim::repl::version::{ConflictPolicy, Resolve, Version};
use crate::sim::repl::StoreKind;
use crate::sim::{NodeId, Simulation};

pub use records::{
    Cell, FieldNote, Mark, MigrationData, RecordState, RecordView, TableView, RECORDS_SHOWN_MAX,
};

/// Keys shown per node: keys in conflict first, then keys the replicas disagree on, then the
/// lowest others.
pub const KEYS_SHOWN_MAX: usize = 8;

/// Everything the Data panel shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataView {
    /// One entry per node, in node order. Shared, so the page compares and passes on each
    /// part without copying it, and re-renders only the parts that changed.
    pub nodes: Vec<Rc<NodeData>>,
    /// The run's migration, once one was started.
    pub migration: Option<Rc<MigrationData>>,
}

/// A typed column of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnView {
    pub name: String,
    /// SQL type as in `CREATE TABLE` (`BIGINT`, `NUMERIC(10,2)`).
    pub ty: String,
}

/// One node's data.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeData {
    pub id: NodeId,
    pub label: String,
    pub up: bool,
    /// The store this node hosts, in words ("SQL table kv").
    pub store: &'static str,
    /// The columns of the node's table `kv`.
    pub columns: Vec<ColumnView>,
    /// The keys shown, in key order.
    pub keys: Vec<KeyData>,
    /// Keys the node holds.
    pub keys_held: usize,
    /// Keys of this node on which another up replica disagrees (held or not).
    pub keys_differ: usize,
    /// Keys the node holds with more than one version.
    pub keys_siblings: usize,
}

/// One key on the chosen node, with how its replicas compare.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyData {
    /// The key's name in stores ("k7").
    pub key: String,
    /// Whether the node holds the key (a node that missed every write of it does not).
    pub held: bool,
    /// The key's row in the table `kv`, in column order (empty when not held).
    pub row: Vec<String>,
    /// The key's document, pretty JSON (empty when not held).
    pub doc: String,
    pub agreement: Agreement,
    /// Every replica's copy, this node's included; filled when the replicas disagree.
    pub replicas: Vec<ReplicaCopy>,
    /// The versions the node holds side by side; filled when there are several.
    pub siblings: Vec<VersionView>,
}

/// Whether the other up replicas of a key hold what this node holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agreement {
    /// Every other up replica holds the same versions.
    Agrees { others: usize },
    /// `differ` of the `others` up replicas hold something else.
    Differs { others: usize, differ: usize },
    /// No other replica of the key is up.
    Alone,
}

impl Agreement {
    /// In words, with a sign that does not rely on colour.
    pub fn label(self) -> String {
        match self {
            Agreement::Agrees { others } => format!("✓ same on {}", replicas_text(others)),
            Agreement::Differs { others, differ } => {
                format!("≠ {differ} of {} differ", replicas_text(others))
            }
            Agreement::Alone => "– no other replica up".into(),
        }
    }
    pub fn differs(self) -> bool {
        matches!(self, Agreement::Differs { .. })
    }
}

fn replicas_text(n: usize) -> String {
    match n {
        1 => "1 other replica".into(),
        n => format!("{n} other replicas"),
    }
}

/// One replica's copy of a key, for the diff.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaCopy {
    pub node: String,
    pub up: bool,
    /// The node the panel shows.
    pub chosen: bool,
    /// Holds exactly what the chosen node holds.
    pub same: bool,
    /// Holds the newest version any replica of the key holds.
    pub newest: bool,
    /// Its versions (empty: the key is absent there).
    pub versions: Vec<VersionView>,
}

/// One stored version of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionView {
    /// The id of the write that produced it (a register's value).
    pub value: u64,
    /// What a row shows: the value, or a merged counter's total / set's size.
    pub shown: u64,
    /// The node that coordinated the write.
    pub writer: String,
    /// Timestamp on the writer's clock (µs), or the protocol's tag.
    pub stamp: u64,
    /// The version vector's non-zero entries ("n0:3 n2:1").
    pub vv: String,
}

impl VersionView {
    fn of(v: &Version) -> VersionView {
        let vv: Vec<String> =
            v.vv.0
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(n, c)| format!("n{n}:{c}"))
                .collect();
        VersionView {
            value: v.value,
            shown: v.payload.magnitude().unwrap_or(v.value),
            writer: format!("n{}", v.node),
            stamp: v.ts,
            vv: if vv.is_empty() {
                "–".into()
            } else {
                vv.join(" ")
            },
        }
    }

    /// One line: value, writer, stamp and version vector.
    pub fn describe(&self) -> String {
        let shown = if self.shown == self.value {
            String::new()
        } else {
            format!(" (shown as {})", self.shown)
        };
        format!(
            "value {}{shown} · written by {} · stamp {} · vector [{}]",
            self.value, self.writer, self.stamp, self.vv
        )
    }
}

/// The Data view of a run.
pub fn data_view(sim: &Simulation) -> DataView {
    let c = sim.cluster();
    DataView {
        nodes: (0..c.size()).map(|n| Rc::new(node_data(c, n))).collect(),
        migration: records::migration_data(sim).map(Rc::new),
    }
}

fn store_label(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Sql => "SQL table kv",
        StoreKind::Document => "document collection kv",
    }
}

/// How node `n`'s copy of `key` compares with the other up replicas of the key.
fn agreement(c: &Cluster, n: NodeId, key: u32) -> Agreement {
    let Some(me) = c.nodes.get(n as usize) else {
        return Agreement::Alone;
    };
    let mine = me.kv.key_hash(key);
    let (mut others, mut differ) = (0, 0);
    for r in c.replicas_of(key).filter(|&r| r != n) {
        let Some(node) = c.nodes.get(r as usize).filter(|x| x.up) else {
            continue;
        };
        others += 1;
        differ += usize::from(node.kv.key_hash(key) != mine);
    }
    match (others, differ) {
        (0, _) => Agreement::Alone,
        (others, 0) => Agreement::Agrees { others },
        (others, differ) => Agreement::Differs { others, differ },
    }
}

/// The keys node `n` shows (conflicts, then disagreements, then the lowest), in key order,
/// with the count of keys it disagrees on.
fn pick_keys(c: &Cluster, n: NodeId) -> (Vec<u32>, usize) {
    let bound = c.nodes.iter().map(|x| x.kv.key_bound()).max().unwrap_or(0);
    let Some(kv) = c.nodes.get(n as usize).map(|x| &x.kv) else {
        return (Vec::new(), 0);
    };
    let (mut siblings, mut differ, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    let mut differ_total = 0;
    for k in 0..bound {
        if !c.replicas_of(k).any(|r| r == n) && kv.get(k).is_empty() {
            continue;
        }
        let d = agreement(c, n, k).differs();
        differ_total += usize::from(d);
        if kv.get(k).len() > 1 {
            siblings.push(k);
        } else if d {
            differ.push(k);
        } else if !kv.get(k).is_empty() && rest.len() < KEYS_SHOWN_MAX {
            rest.push(k);
        }
    }
    let mut keys: Vec<u32> = siblings
        .into_iter()
        .chain(differ)
        .chain(rest)
        .take(KEYS_SHOWN_MAX)
        .collect();
    crate::sim::sort::sort(&mut keys);
    (keys, differ_total)
}

/// A replica holding only `keys` of `kv`, with the same versions, so the data layer builds
/// the same rows and documents for them as for the whole replica, at a handful's cost.
fn only_keys(kv: &Kv, keys: &[u32]) -> Kv {
    let mut out = Kv::default();
    for &k in keys {
        // Siblings held together are pairwise concurrent, so merging them keeps them all.
        for v in kv.get(k) {
            out.merge(k, v, Resolve::Policy(ConflictPolicy::Siblings));
        }
    }
    out
}

/// The table `kv`'s columns and each key's row, built by the data layer.
fn sql_rows(kv: &Kv) -> (Vec<ColumnView>, BTreeMap<String, Vec<String>>) {
    let tables = Tables::from_store(&kv.to_sql());
    let Some(t) = tables.get("kv") else {
        return (Vec::new(), BTreeMap::new());
    };
    let columns = t
        .schema
        .columns
        .iter()
        .map(|c| ColumnView {
            name: c.name.clone(),
            ty: type_sql(&c.ty),
        })
        .collect();
    let rows = t
        .rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&t.schema.columns)
                .map(|(v, c)| v.to_text_as(&c.ty).unwrap_or_else(|| "NULL".into()))
                .collect();
            (cells.first().cloned().unwrap_or_default(), cells)
        })
        .collect();
    (columns, rows)
}

/// Each key's document in the collection `kv`, pretty, built by the data layer.
fn documents(kv: &Kv) -> BTreeMap<String, String> {
    let store = kv.to_docs();
    let Some(coll) = store.collection("kv") else {
        return BTreeMap::new();
    };
    coll.iter()
        .map(|(_, d)| {
            let id = d
                .get(crate::sim::doc::ID_FIELD)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            (id, serde_json::to_string_pretty(d).unwrap_or_default())
        })
        .collect_map()
}

/// Every replica's copy of `key`, for the diff.
fn replica_copies(c: &Cluster, n: NodeId, key: u32) -> Vec<ReplicaCopy> {
    let mine = c.nodes.get(n as usize).map(|x| x.kv.key_hash(key));
    let mut nodes: Vec<NodeId> = c.replicas_of(key).collect();
    if !nodes.contains(&n) {
        nodes.push(n);
    }
    crate::sim::sort::sort(&mut nodes);
    let newest_tag = nodes
        .iter()
        .filter_map(|&r| c.nodes.get(r as usize))
        .flat_map(|x| x.kv.get(key).iter().map(Version::tag))
        .max();
    nodes
        .iter()
        .filter_map(|&r| {
            let node = c.nodes.get(r as usize)?;
            let held = node.kv.get(key);
            Some(ReplicaCopy {
                node: format!("n{r}"),
                up: node.up,
                chosen: r == n,
                same: Some(node.kv.key_hash(key)) == mine,
                newest: newest_tag.is_some() && held.iter().map(Version::tag).max() == newest_tag,
                versions: held.iter().map(VersionView::of).collect(),
            })
        })
        .collect()
}

fn node_data(c: &Cluster, n: NodeId) -> NodeData {
    let Some(node) = c.nodes.get(n as usize) else {
        return NodeData {
            id: n,
            label: format!("n{n}"),
            up: false,
            store: store_label(c.params.store),
            columns: Vec::new(),
            keys: Vec::new(),
            keys_held: 0,
            keys_differ: 0,
            keys_siblings: 0,
        };
    };
    let (picked, keys_differ) = pick_keys(c, n);
    let small = only_keys(&node.kv, &picked);
    let (columns, mut rows) = sql_rows(&small);
    let mut docs = documents(&small);
    let keys = picked
        .iter()
        .map(|&k| {
            let name = key_name(k);
            let held = node.kv.get(k);
            let agreement = agreement(c, n, k);
            KeyData {
                held: !held.is_empty(),
                row: rows.remove(&name).unwrap_or_default(),
                doc: docs.remove(&name).unwrap_or_default(),
                agreement,
                replicas: if agreement.differs() {
                    replica_copies(c, n, k)
                } else {
                    Vec::new()
                },
                siblings: match held.len() {
                    0 | 1 => Vec::new(),
                    _ => held.iter().map(VersionView::of).collect(),
                },
                key: name,
            }
        })
        .collect();
    NodeData {
        id: n,
        label: format!("n{n}"),
        up: node.up,
        store: store_label(c.params.store),
        columns,
        keys,
        keys_held: node.kv.len(),
        keys_differ,
        keys_siblings: node.kv.sibling_keys(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::migrate::{Direction, Strategy};
    use crate::sim::repl::workload::WorkloadParams;
    use crate::sim::repl::{PartitionMode, ReplicationParams};
    use crate::sim::{Command, Scenario, SimTime};
    use crate::view_model::migration::MigrationForm;

    /// The default cluster, switched to AP with siblings, 10 keys and half writes, split {n0, n1} | {n2, n3, n4}
    /// for `split_ms`, then healed and run `after_ms` more.
    fn split_run(seed: u64, split_ms: u64, after_ms: u64) -> Simulation {
        let mut sim = Simulation::new(Scenario {
            seed,
            ..Scenario::default()
        })
        .unwrap();
        let replication = ReplicationParams {
            partition_mode: PartitionMode::Ap,
            conflict: ConflictPolicy::Siblings,
            ..ReplicationParams::default()
        };
        sim.command(Command::Configure { replication }).unwrap();
        // Few keys and many writes, so both sides of the split write the same keys.
        let workload = WorkloadParams {
            keys: 10,
            read_fraction: 0.5,
            ..WorkloadParams::default()
        };
        sim.command(Command::SetWorkload { workload }).unwrap();
        sim.advance_to(SimTime::from_ms(500), u64::MAX);
        sim.command(Command::Partition {
            groups: vec![vec![0, 1]],
        })
        .unwrap();
        let healed = 500 + split_ms;
        sim.advance_to(SimTime::from_ms(healed), u64::MAX);
        if after_ms > 0 {
            sim.command(Command::HealPartition).unwrap();
            sim.advance_to(SimTime::from_ms(healed + after_ms), u64::MAX);
        }
        sim
    }

    #[test]
    fn rows_and_documents_are_the_replicas_data_built_by_the_data_layer() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        sim.advance_to(SimTime::from_ms(3_000), u64::MAX);
        let v = data_view(&sim);
        assert_eq!(v.nodes.len(), 5);
        let n0 = &v.nodes[0];
        let cols: Vec<String> = n0
            .columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.ty))
            .collect();
        assert_eq!(cols, ["k TEXT", "v BIGINT", "siblings INTEGER"]);
        assert!(!n0.keys.is_empty() && n0.keys.len() <= KEYS_SHOWN_MAX);
        let kv = &sim.cluster().nodes[0].kv;
        assert_eq!(n0.keys_held, kv.len());
        for k in n0.keys.iter().filter(|k| k.held) {
            let id: u32 = k.key[1..].parse().unwrap();
            let newest = crate::sim::repl::version::newest(kv.get(id)).unwrap();
            assert_eq!(k.row, [k.key.clone(), newest.value.to_string(), "1".into()]);
            let doc: serde_json::Value = serde_json::from_str(&k.doc).unwrap();
            assert_eq!(doc["_id"], k.key.as_str());
            assert_eq!(doc["v"], newest.value);
            assert_eq!(doc["versions"], serde_json::json!([newest.value]));
        }
        // Healthy and quiet long enough: the replicas agree on what is shown.
        assert!(n0
            .keys
            .iter()
            .all(|k| !k.agreement.differs() || !k.replicas.is_empty()));
    }

    #[test]
    fn a_partition_shows_which_replica_holds_which_version() {
        let sim = split_run(7, 3_000, 0);
        let c = sim.cluster();
        let v = data_view(&sim);
        let (n, key) = v
            .nodes
            .iter()
            .flat_map(|n| n.keys.iter().map(move |k| (n, k)))
            .find(|(_, k)| k.agreement.differs())
            .expect("a split under AP leaves keys the replicas disagree on");
        assert!(n.keys_differ >= 1);
        let id: u32 = key.key[1..].parse().unwrap();
        // The diff lists every replica of the key with what it really holds.
        let replicas: Vec<NodeId> = c.replicas_of(id).collect();
        assert!(key.replicas.len() >= replicas.len());
        let chosen: Vec<&ReplicaCopy> = key.replicas.iter().filter(|r| r.chosen).collect();
        assert_eq!(chosen.len(), 1);
        assert!(chosen[0].same && chosen[0].node == n.label);
        assert!(key.replicas.iter().any(|r| !r.same), "{key:?}");
        for r in &key.replicas {
            let held = c.nodes[r.node[1..].parse::<usize>().unwrap()].kv.get(id);
            let values: Vec<u64> = held.iter().map(|x| x.value).collect();
            let shown: Vec<u64> = r.versions.iter().map(|x| x.value).collect();
            assert_eq!(shown, values, "{}", r.node);
        }
        assert!(key.replicas.iter().any(|r| r.newest));
        assert!(key.agreement.label().starts_with('≠'));
    }

    #[test]
    fn conflicts_show_every_sibling_until_resolved() {
        let sim = split_run(7, 3_000, 1_500);
        let c = sim.cluster();
        let v = data_view(&sim);
        let mut seen = 0;
        for n in &v.nodes {
            let kv = &c.nodes[n.id as usize].kv;
            assert_eq!(n.keys_siblings, kv.sibling_keys());
            for k in &n.keys {
                let id: u32 = k.key[1..].parse().unwrap();
                let held: Vec<u64> = kv.get(id).iter().map(|x| x.value).collect();
                if held.len() < 2 {
                    assert!(k.siblings.is_empty(), "{} {}: resolved", n.label, k.key);
                    continue;
                }
                seen += 1;
                let shown: Vec<u64> = k.siblings.iter().map(|s| s.value).collect();
                assert_eq!(shown, held, "{} {}", n.label, k.key);
                // The row counts them and the document lists them all.
                assert_eq!(k.row[2], held.len().to_string());
                let doc: serde_json::Value = serde_json::from_str(&k.doc).unwrap();
                assert_eq!(doc["versions"], serde_json::json!(held));
            }
        }
        assert!(
            seen > 0,
            "concurrent writes on both sides leave siblings after the heal"
        );
    }

    /// A migration started the way the page starts one (its form), small and slow enough
    /// to watch, and the view at each of `until_ms`.
    fn migration_run(
        strategy: Strategy,
        direction: Direction,
        until_ms: &[u64],
    ) -> Vec<Rc<MigrationData>> {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        sim.advance_to(SimTime::from_ms(200), u64::MAX);
        let form = MigrationForm {
            strategy,
            direction,
            rows: 500,
            batch_rows: "50".into(),
            workers: "1".into(),
            ..MigrationForm::default()
        };
        assert!(data_view(&sim).migration.is_none());
        sim.command(Command::StartMigration {
            spec: Box::new(form.to_spec().unwrap()),
        })
        .unwrap();
        until_ms
            .iter()
            .map(|&t| {
                sim.advance_to(SimTime::from_ms(t), u64::MAX);
                data_view(&sim).migration.expect("a migration")
            })
            .collect()
    }

    fn states(m: &MigrationData) -> Vec<&'static str> {
        m.records.iter().map(|r| r.state.word()).collect()
    }

    #[test]
    fn rows_turn_into_documents_as_the_copy_moves() {
        let views = migration_run(Strategy::BlueGreen, Direction::SqlToDocs, &[200, 60_000]);
        let (start, end) = (&views[0], &views[1]);
        assert_eq!(start.records.len(), RECORDS_SHOWN_MAX);
        assert!(
            start
                .records
                .iter()
                .all(|r| r.state == RecordState::Pending),
            "{:?}",
            states(start)
        );
        assert!(
            end.records.iter().all(|r| r.state == RecordState::Copied),
            "{:?}",
            states(end)
        );
        let r = &end.records[0];
        // The root row is a SQL row whose key became the document's _id.
        let root = &r.tables[0];
        assert_eq!(root.name, "customers");
        let key_col = root.columns.iter().position(|c| c.name == "id").unwrap();
        let cell = &root.rows[0][key_col];
        assert_eq!(cell.text, r.key.to_string());
        assert_eq!(cell.mark.as_ref().map(|m| m.0), Some(Mark::Renamed));
        assert!(
            r.doc.starts_with(&format!("{{\n  \"_id\": {},", r.key)),
            "{}",
            r.doc
        );
        assert!(r
            .notes
            .iter()
            .any(|n| n.detail == "id → _id" && n.mark == Mark::Renamed));
        // Related rows were embedded, and what the nesting implies is not in the document.
        assert!(
            r.tables.len() > 1,
            "{:?}",
            r.tables.iter().map(|t| &t.name).collect::<Vec<_>>()
        );
        assert!(r.notes.iter().any(|n| n.mark == Mark::Embedded));
        assert!(r
            .tables
            .iter()
            .flat_map(|t| &t.rows)
            .flatten()
            .any(|c| c.mark.as_ref().is_some_and(|m| m.0 == Mark::Lost)));
        assert!(r.tally.contains("integer"), "{}", r.tally);
    }

    #[test]
    fn a_copy_in_progress_has_copied_and_pending_records() {
        // Big-bang stops the writes, so only the copy batches (one worker, in key order)
        // bring documents into the target.
        let mut times: Vec<u64> = (20..80).map(|i| i * 50).collect();
        times.push(60_000);
        let views = migration_run(Strategy::BigBang, Direction::SqlToDocs, &times);
        let all: Vec<Vec<&str>> = views.iter().map(|m| states(m)).collect();
        assert!(
            all.iter()
                .any(|s| s.contains(&"copied") && s.contains(&"pending")),
            "{all:?}"
        );
        for s in &all {
            let first_pending = s.iter().position(|x| *x == "pending").unwrap_or(s.len());
            assert!(s[first_pending..].iter().all(|x| *x != "copied"), "{s:?}");
        }
        assert_eq!(all.last().unwrap(), &["copied"; RECORDS_SHOWN_MAX]);
    }

    #[test]
    fn live_changes_show_records_changed_since_their_copy() {
        // Blue-green keeps the application writing: a copied document goes stale until the
        // change stream rewrites it.
        let times: Vec<u64> = (20..120).map(|i| i * 50).collect();
        let views = migration_run(Strategy::BlueGreen, Direction::SqlToDocs, &times);
        let changed: Vec<&RecordView> = views
            .iter()
            .flat_map(|m| &m.records)
            .filter(|r| r.state == RecordState::Changed)
            .collect();
        assert!(!changed.is_empty());
        for r in changed {
            assert!(!r.changed.is_empty(), "{}: which fields differ", r.key);
            assert!(r.doc_caption.starts_with("in the target"));
        }
    }

    #[test]
    fn documents_turn_into_rows_the_other_way() {
        let views = migration_run(Strategy::BlueGreen, Direction::DocsToSql, &[200, 60_000]);
        let (start, end) = (&views[0], &views[1]);
        assert!(!start.sql_to_docs);
        assert!(
            start
                .records
                .iter()
                .all(|r| r.state == RecordState::Pending),
            "{:?}",
            states(start)
        );
        assert!(
            end.records.iter().all(|r| r.state == RecordState::Copied),
            "{:?}",
            states(end)
        );
        let r = &end.records[0];
        let doc: serde_json::Value = serde_json::from_str(&r.doc).unwrap();
        assert_eq!(doc["_id"], r.key);
        assert!(!r.tables.is_empty() && !r.tables[0].rows.is_empty());
        assert!(r.tables[0].rows[0]
            .iter()
            .any(|c| c.text == r.key.to_string()));
    }

    #[test]
    fn the_view_is_bounded() {
        let sim = split_run(3, 5_000, 500);
        let v = data_view(&sim);
        for n in &v.nodes {
            assert!(n.keys.len() <= KEYS_SHOWN_MAX);
            for k in &n.keys {
                assert!(k.siblings.len() <= crate::sim::repl::version::SIBLINGS_MAX);
            }
        }
    }
}
