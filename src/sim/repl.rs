//! Replication: how the nodes of a cluster keep copies of the same keys, and what clients see
//! while the network misbehaves.
//!
//! Three families, chosen by [`ReplicationParams::mode`]:
//! - **single leader** ([`leader`]): a Raft-style log with terms and elections; the leader
//!   acknowledges a write asynchronously, after one follower (semi-synchronous), after a
//!   majority, or after every follower (synchronous). With fencing the leader steps down when
//!   it cannot hear a majority; without it, a partitioned old leader keeps serving (split
//!   brain) until it meets a higher term.
//! - **multi-leader** ([`multi`]): every node accepts writes and streams them to the others.
//! - **leaderless** ([`quorum`]): Dynamo-style N/R/W quorums with read repair, anti-entropy,
//!   sloppy quorums with hinted handoff, and an ABD mode that makes majority quorums
//!   linearizable.
//!
//! Concurrent versions are reconciled by the conflict policy of [`version`]. Clients are the
//! workload's sessions ([`workload`]); every operation they issue is recorded ([`record`]) for
//! the consistency checker.
//!
//! Nodes keep their own state and react to messages and ticks by changing that state and
//! pushing what must happen outside it (sends, client answers, log lines) into an [`Out`]
//! buffer, which the engine applies in one place.

pub mod cluster;
pub mod kv;
pub mod leader;
pub mod multi;
pub mod quorum;
pub mod record;
pub mod version;
pub mod workload;

use serde::{Deserialize, Serialize};

pub use cluster::{Cluster, Msg, Out};
pub use version::ConflictPolicy;

/// Which replication protocol the cluster runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One elected leader takes every write and ships its log to the followers.
    SingleLeader,
    /// Every node accepts writes and replicates them to every other node.
    MultiLeader,
    /// No leader: a coordinator sends each operation to the key's N replicas and waits for
    /// W (writes) or R (reads) answers.
    #[default]
    Leaderless,
}

/// When a single leader tells the client its write succeeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckPolicy {
    /// As soon as the leader has it.
    Async,
    /// When the leader and at least one follower have it.
    SemiSync,
    /// When a majority of nodes (the leader included) have it.
    #[default]
    Majority,
    /// When every node has it (a down follower blocks writes).
    Sync,
}

/// Where a single-leader cluster serves reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadFrom {
    /// Every read goes to the leader.
    #[default]
    Leader,
    /// The node the client talks to answers from its own copy (possibly stale).
    Any,
}

/// What an operation does when it cannot reach its quorum or its leader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionMode {
    /// Consistency first: the operation fails or times out (counted as unavailable).
    #[default]
    Cp,
    /// Availability first: the reachable side serves it and the replicas diverge.
    Ap,
}

/// How the copies of a node's data are stored, for its checksum and the data view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// A SQL table `kv(k TEXT PRIMARY KEY, v BIGINT NOT NULL, siblings INTEGER NOT NULL)`.
    #[default]
    Sql,
    /// A document collection `kv` with one document per key.
    Document,
}

/// Every replication setting. All can change live with a command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicationParams {
    /// Protocol family. Default `leaderless`.
    pub mode: Mode,
    /// Single leader: when a write is acknowledged. Default `majority`.
    pub ack: AckPolicy,
    /// Single leader: the leader steps down when it has not heard a majority for one
    /// election timeout, and so stops serving. Off: split brain. Default true.
    pub fencing: bool,
    /// Single leader: the leader confirms it still leads (a heartbeat round answered by a
    /// majority) before answering a read. Default true.
    pub read_confirm: bool,
    /// Single leader: where reads are served. Default `leader`.
    pub read_from: ReadFrom,
    /// Single leader: a follower that hears no leader for this long (randomised up to twice
    /// as long) starts an election, in ms. Default 500. Range 10 ..= 60 000.
    pub election_timeout_ms: u64,
    /// Leaderless: replicas per key. Default 3. Range 1 ..= nodes.
    pub n: u32,
    /// Leaderless: answers a read waits for. Default 2. Range 1 ..= n.
    pub r: u32,
    /// Leaderless: acknowledgements a write waits for. Default 2. Range 1 ..= n.
    pub w: u32,
    /// Leaderless: a write is sent only to W of its N replicas and never spreads further by
    /// itself (the setting of the PBS closed form). Default false.
    pub write_to_w_only: bool,
    /// Leaderless: a read that saw an old copy sends the newest one back. Default true.
    pub read_repair: bool,
    /// Leaderless and multi-leader: interval of the background comparison of one peer's
    /// data, in ms; 0 turns it off. Default 1 000. Range 0 ..= 600 000.
    pub anti_entropy_ms: u64,
    /// Leaderless: when a replica seems down, the write goes to the next healthy node with a
    /// hint, handed back when the replica returns. Default false.
    pub sloppy_quorum: bool,
    /// Leaderless: ABD operations: reads write the newest value back to a majority before
    /// returning, writes first learn the highest version from a majority. R and W become a
    /// majority of N. Default false.
    pub abd: bool,
    /// CP or AP behaviour under partitions. Default `cp`.
    pub partition_mode: PartitionMode,
    /// How concurrent versions are reconciled. Default `lww`.
    pub conflict: ConflictPolicy,
    /// Per-node clock offset in ms (index = node; missing entries are 0). Used by
    /// last-writer-wins timestamps. Each in -60 000 ..= 60 000.
    pub clock_skew_ms: Vec<i64>,
    /// A client gives up on an operation after this long, in ms. Default 1 000.
    /// Range 1 ..= 60 000.
    pub request_timeout_ms: u64,
    /// The store each node hosts. Default `sql`.
    pub store: StoreKind,
}

impl Default for ReplicationParams {
    fn default() -> Self {
        ReplicationParams {
            mode: Mode::Leaderless,
            ack: AckPolicy::Majority,
            fencing: true,
            read_confirm: true,
            read_from: ReadFrom::Leader,
            election_timeout_ms: 500,
            n: 3,
            r: 2,
            w: 2,
            write_to_w_only: false,
            read_repair: true,
            anti_entropy_ms: 1_000,
            sloppy_quorum: false,
            abd: false,
            partition_mode: PartitionMode::Cp,
            conflict: ConflictPolicy::Lww,
            clock_skew_ms: Vec::new(),
            request_timeout_ms: 1_000,
            store: StoreKind::Sql,
        }
    }
}

/// Largest clock offset, ms.
pub const SKEW_MS_MAX: i64 = 60_000;

impl ReplicationParams {
    /// Check ranges against the cluster size; the error names the field.
    pub fn validate(&self, nodes: u32) -> Result<(), (&'static str, String)> {
        let range = |f: &'static str, v: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err((f, format!("{v} is out of range (allowed: {lo} ..= {hi})")))
            }
        };
        range("election_timeout_ms", self.election_timeout_ms, 10, 60_000)?;
        range("request_timeout_ms", self.request_timeout_ms, 1, 60_000)?;
        range("anti_entropy_ms", self.anti_entropy_ms, 0, 600_000)?;
        range("n", self.n.into(), 1, nodes.into())?;
        range("r", self.r.into(), 1, self.n.into())?;
        range("w", self.w.into(), 1, self.n.into())?;
        if self.clock_skew_ms.len() > nodes as usize {
            return Err((
                "clock_skew_ms",
                format!("{} offsets for {nodes} nodes", self.clock_skew_ms.len()),
            ));
        }
        for &s in &self.clock_skew_ms {
            if !(-SKEW_MS_MAX..=SKEW_MS_MAX).contains(&s) {
                return Err((
                    "clock_skew_ms",
                    format!("{s} is out of range (allowed: -{SKEW_MS_MAX} ..= {SKEW_MS_MAX})"),
                ));
            }
        }
        Ok(())
    }

    /// The read and write quorums in force (ABD uses majorities of N).
    pub fn quorums(&self) -> (u32, u32) {
        if self.abd {
            let m = self.n / 2 + 1;
            (m, m)
        } else {
            (self.r, self.w)
        }
    }

    /// Clock offset of `node`, µs.
    pub fn skew_us(&self, node: u32) -> i64 {
        self.clock_skew_ms
            .get(node as usize)
            .copied()
            .unwrap_or(0)
            .saturating_mul(1_000)
    }

    /// One line for the page and logs.
    pub fn describe(&self) -> String {
        let pm = match self.partition_mode {
            PartitionMode::Cp => "CP",
            PartitionMode::Ap => "AP",
        };
        match self.mode {
            Mode::SingleLeader => format!(
                "single leader, {:?} acks, fencing {}, {pm}",
                self.ack,
                if self.fencing { "on" } else { "off" }
            ),
            Mode::MultiLeader => format!("multi-leader, {}, {pm}", self.conflict.label()),
            Mode::Leaderless => {
                let (r, w) = self.quorums();
                format!(
                    "leaderless N={} R={r} W={w}{}, {}, {pm}",
                    self.n,
                    if self.abd { " ABD" } else { "" },
                    self.conflict.label()
                )
            }
        }
    }
}
