//! The replication model against the consistency checker: what each configuration promises,
//! over many seeds. Every failure names its seed.
#![cfg(not(target_arch = "wasm32"))]

use migrascope::sim::checker::history::{History, Op};
use migrascope::sim::checker::pbs::miss_probability;
use migrascope::sim::checker::report::{check, CheckOptions, CheckReport};
use migrascope::sim::net::Latency;
use migrascope::sim::repl::workload::Routing;
use migrascope::sim::repl::{AckPolicy, ConflictPolicy, Mode, PartitionMode, ReplicationParams};
use migrascope::sim::rng::SimRng;
use migrascope::sim::{Command, Scenario, SimDuration, SimTime, Simulation, TimedCommand};
use std::collections::BTreeMap;

fn base(seed: u64, replication: ReplicationParams) -> Scenario {
    let mut s = Scenario {
        seed,
        duration_ms: 8_000,
        replication,
        ..Scenario::default()
    };
    s.network.loss = 0.01;
    s.network.latency = Latency::Uniform {
        min_ms: 2.0,
        max_ms: 30.0,
    };
    s.workload.ops_per_s = 150;
    s.workload.keys = 4;
    s.workload.read_fraction = 0.6;
    s.workload.routing = Routing::Random;
    s
}

/// A partition of one or two random nodes away from the rest at 2 s, healed at 5 s.
fn random_partition(seed: u64, nodes: u32) -> Vec<TimedCommand> {
    let mut rng = SimRng::substream(seed, "test-partition");
    let size = rng.range_u64(1, u64::from(nodes / 2)) as u32;
    let mut minority = Vec::new();
    while minority.len() < size as usize {
        let n = rng.range_u64(0, u64::from(nodes) - 1) as u32;
        if !minority.contains(&n) {
            minority.push(n);
        }
    }
    vec![
        TimedCommand {
            at: SimTime::from_ms(2_000),
            command: Command::Partition {
                groups: vec![minority],
            },
        },
        TimedCommand {
            at: SimTime::from_ms(5_000),
            command: Command::HealAll,
        },
    ]
}

fn run(s: Scenario, commands: &[TimedCommand]) -> (Simulation, CheckReport) {
    let end = SimTime::from_ms(s.duration_ms);
    let seed = s.seed;
    let sim = Simulation::replay(s, commands, end).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    let report = check(&sim.cluster().history(), &CheckOptions::default())
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    (sim, report)
}

fn assert_linearizable_under_partitions(replication: ReplicationParams) {
    let mut unavailable = 0;
    for seed in 0..200 {
        let s = base(seed, replication.clone());
        let (sim, r) = run(s, &random_partition(seed, 5));
        assert_eq!(
            r.linearizability_counts.violation,
            0,
            "seed {seed}: {:?}",
            r.findings.iter().find(|f| f.kind == migrascope::sim::checker::anomaly::FindingKind::NotLinearizable)
        );
        assert_eq!(r.linearizability_counts.unknown, 0, "seed {seed}");
        assert!(r.ops > 500, "seed {seed}: {}", sim.summary());
        let c = &sim.cluster().counters;
        unavailable += c.ops_failed + c.ops_unknown;
    }
    assert!(
        unavailable > 200,
        "the minority side refuses or times out: {unavailable}"
    );
}

#[test]
fn single_leader_majority_with_fencing_and_read_confirmation_is_linearizable() {
    assert_linearizable_under_partitions(ReplicationParams {
        mode: Mode::SingleLeader,
        ack: AckPolicy::Majority,
        fencing: true,
        read_confirm: true,
        ..ReplicationParams::default()
    });
}

#[test]
fn abd_majority_quorums_are_linearizable() {
    assert_linearizable_under_partitions(ReplicationParams {
        mode: Mode::Leaderless,
        n: 5,
        abd: true,
        ..ReplicationParams::default()
    });
}

#[test]
fn plain_dynamo_quorums_are_not_linearizable() {
    let mut found = 0;
    for seed in 0..60 {
        let mut s = base(
            seed,
            ReplicationParams {
                mode: Mode::Leaderless,
                n: 3,
                r: 2,
                w: 2,
                read_repair: false,
                anti_entropy_ms: 0,
                ..ReplicationParams::default()
            },
        );
        s.cluster.nodes = 3;
        s.workload.keys = 2;
        s.workload.ops_per_s = 400;
        s.network.latency = Latency::Exponential {
            min_ms: 1.0,
            mean_ms: 20.0,
        };
        let (_, r) = run(s, &[]);
        found += r.linearizability_counts.violation;
    }
    assert!(
        found > 0,
        "R + W > N without write-back must show new-then-old reads"
    );
}

#[test]
fn ap_with_one_replica_quorums_diverges_under_a_partition() {
    for seed in 0..10 {
        let mut s = base(
            seed,
            ReplicationParams {
                mode: Mode::Leaderless,
                n: 5,
                r: 1,
                w: 1,
                partition_mode: PartitionMode::Ap,
                read_repair: false,
                anti_entropy_ms: 0,
                ..ReplicationParams::default()
            },
        );
        s.workload.routing = Routing::Sticky;
        let cuts = vec![TimedCommand {
            at: SimTime::from_ms(1_000),
            command: Command::Partition {
                groups: vec![vec![0, 1]],
            },
        }];
        let (sim, r) = run(s, &cuts);
        let c = &sim.cluster().counters;
        assert_eq!(c.ops_failed, 0, "seed {seed}: AP serves both sides");
        assert!(c.writes_ok > 200, "seed {seed}");
        assert!(r.counts.stale_reads > 0, "seed {seed}: {:?}", r.counts);
        // Heal late: the two sides' versions meet.
        let mut s2 = sim.scenario().clone();
        s2.replication.anti_entropy_ms = 200;
        let mut cmds = cuts.clone();
        cmds.push(TimedCommand {
            at: SimTime::from_ms(6_000),
            command: Command::HealAll,
        });
        let (sim2, _) = run(s2, &cmds);
        assert!(
            sim2.cluster().counters.conflicts > 0,
            "seed {seed}: {}",
            sim2.summary()
        );
    }
}

/// A lost update is an acknowledged write that nobody ever read, overwritten by a write that
/// began before it completed (concurrent, or older but stamped later by a skewed clock). The
/// model knows it from the replicas; the checker from the clients' history, where each write
/// is read back at once: with W = N every replica holds the write's outcome when the client
/// hears back, and with R = 1 the read-back is answered by the local replica, so the first
/// read shows exactly what last-writer-wins kept.
#[test]
fn lww_lost_updates_counted_by_the_model_equal_the_checkers() {
    let (mut total, mut ties) = (0, 0);
    for seed in 0..300 {
        let mut s = base(
            seed,
            ReplicationParams {
                mode: Mode::Leaderless,
                n: 3,
                r: 1,
                w: 3,
                conflict: ConflictPolicy::Lww,
                clock_skew_ms: vec![0, 60, -30],
                ..ReplicationParams::default()
            },
        );
        s.cluster.nodes = 3;
        s.network.loss = 0.0;
        s.workload.read_after_write = true;
        s.workload.read_fraction = 0.3;
        let (sim, r) = run(s, &[]);
        let model = sim.cluster().counters.lost_updates;
        assert_eq!(r.lost_updates_reported, model, "seed {seed}");
        // Everything the checker finds, the model counted.
        assert_eq!(
            r.lost_updates_reported_and_found, r.counts.lost_updates,
            "seed {seed}: {:?}",
            r.counts
        );
        // The model counts more only where the history cannot tell: another write began in
        // the very microsecond of the read-back, so the read-back may be ordered after it.
        let unseen = read_back_ties(&sim.cluster().history());
        assert_eq!(
            r.counts.lost_updates + unseen,
            model,
            "seed {seed}: {:?}",
            r.counts
        );
        total += model;
        ties += unseen;
    }
    println!("300 seeds: {total} lost updates, {ties} of them behind a read-back tie");
    assert!(total > 3_000, "skewed clocks lose writes: {total}");
    assert!(ties * 1_000 < total, "ties are rare: {ties} of {total}");
}

/// Lost writes (by the model) whose read-back began in the same microsecond as another write.
fn read_back_ties(h: &History) -> u64 {
    let by_id: BTreeMap<u64, &Op> = h.ops.iter().map(|o| (o.id, o)).collect();
    let tied = |w: &Op| {
        h.ops
            .iter()
            .any(|o| o.key == w.key && o.is_write() && o.invoke == w.complete + SimDuration(1))
    };
    h.overwritten.iter().filter(|id| tied(by_id[*id])).count() as u64
}

#[test]
fn replicas_reach_identical_store_checksums_after_a_heal() {
    let modes = [
        ReplicationParams {
            mode: Mode::Leaderless,
            n: 5,
            partition_mode: PartitionMode::Ap,
            anti_entropy_ms: 200,
            ..ReplicationParams::default()
        },
        ReplicationParams {
            mode: Mode::MultiLeader,
            partition_mode: PartitionMode::Ap,
            conflict: ConflictPolicy::Siblings,
            ..ReplicationParams::default()
        },
        ReplicationParams {
            mode: Mode::SingleLeader,
            ack: AckPolicy::Async,
            fencing: false,
            ..ReplicationParams::default()
        },
    ];
    for (i, p) in modes.into_iter().enumerate() {
        for seed in 0..5 {
            let mut s = base(seed, p.clone());
            s.duration_ms = 15_000;
            s.workload.keys = 30;
            let mut cmds = random_partition(seed, 5);
            cmds.push(TimedCommand {
                at: SimTime::from_ms(6_000),
                command: Command::SetOpRate { per_s: 0 },
            });
            let (sim, _) = run(s, &cmds);
            let cl = sim.cluster();
            assert_eq!(
                cl.divergent_keys(),
                0,
                "mode {i} seed {seed}: {}",
                sim.summary()
            );
            for kind in [
                migrascope::sim::repl::StoreKind::Sql,
                migrascope::sim::repl::StoreKind::Document,
            ] {
                let f = cl.fingerprints(kind);
                assert!(
                    f.windows(2).all(|w| w[0] == w[1]),
                    "mode {i} seed {seed} {kind:?}: {f:?}"
                );
            }
            assert!(sim.convergence().last_ms.is_some(), "mode {i} seed {seed}");
        }
    }
}

fn pbs_scenario(seed: u64, w_only: bool) -> Scenario {
    let mut s = base(
        seed,
        ReplicationParams {
            mode: Mode::Leaderless,
            n: 3,
            r: 1,
            w: 1,
            write_to_w_only: w_only,
            read_repair: false,
            anti_entropy_ms: 0,
            ..ReplicationParams::default()
        },
    );
    s.cluster.nodes = 3;
    s.network.loss = 0.0;
    s.workload.keys = 20;
    s.workload.read_fraction = 0.8;
    s.workload.ops_per_s = 300;
    s.duration_ms = 20_000;
    s
}

#[test]
fn pbs_stale_share_matches_the_closed_form_when_writes_reach_only_w() {
    let bound = miss_probability(3, 1, 1).unwrap();
    let (mut reads, mut fresh) = (0, 0);
    for seed in 0..4 {
        let (_, r) = run(pbs_scenario(seed, true), &[]);
        for b in &r.visibility {
            reads += b.reads;
            fresh += b.fresh;
        }
    }
    let stale = 1.0 - fresh as f64 / reads as f64;
    // Binomial standard error at n reads; allow four of them.
    let se = (bound * (1.0 - bound) / reads as f64).sqrt();
    assert!(reads > 5_000, "{reads}");
    assert!(
        (stale - bound).abs() < 4.0 * se + 0.01,
        "stale {stale:.4}, closed form {bound:.4}, reads {reads}"
    );
}

#[test]
fn pbs_stale_share_falls_towards_zero_when_writes_reach_every_replica() {
    let bound = miss_probability(3, 1, 1).unwrap();
    let (_, r) = run(pbs_scenario(7, false), &[]);
    let first = r.visibility.first().unwrap();
    let last = r.visibility.last().unwrap();
    let stale_at =
        |b: &migrascope::sim::checker::pbs::VisibilityBucket| 1.0 - b.fraction().unwrap();
    assert!(
        stale_at(first) < bound,
        "right after commit: {}",
        stale_at(first)
    );
    assert!(
        stale_at(last) < 0.01,
        "{} ms on: {}",
        last.from_us / 1_000,
        stale_at(last)
    );
    assert!(stale_at(last) < stale_at(first));
}

#[test]
fn runs_are_deterministic_in_every_mode() {
    for mode in [Mode::Leaderless, Mode::SingleLeader, Mode::MultiLeader] {
        let p = ReplicationParams {
            mode,
            ..ReplicationParams::default()
        };
        let a = run(base(3, p.clone()), &random_partition(3, 5)).0;
        let b = run(base(3, p), &random_partition(3, 5)).0;
        assert_eq!(a.history_hash(), b.history_hash(), "{mode:?}");
    }
}
