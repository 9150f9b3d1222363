//! What a checkpoint of a run with a page-sized migration costs: the timeline keeps up to 64
//! clones of the simulation, so the bytes one clone allocates are measured here (one test in
//! this binary, so no other thread allocates meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use migrascope::sim::migrate::MigrationSpec;
use migrascope::sim::timeline::CHECKPOINTS_MAX;
use migrascope::sim::{Command, Scenario, SimTime, Simulation};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        System.dealloc(p, l)
    }
}

#[global_allocator]
static A: Counting = Counting;

fn clone_bytes(sim: &Simulation) -> usize {
    let before = LIVE.load(Ordering::Relaxed);
    let copy = sim.clone();
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    drop(copy);
    bytes
}

#[test]
fn a_checkpoint_with_a_page_sized_migration_stays_small() {
    let mut plain = Simulation::new(Scenario::default()).unwrap();
    plain.advance_to(SimTime::from_ms(10_000), u64::MAX);
    let base = clone_bytes(&plain);
    let mut worst = 0;
    for rows in [2_000u64, 10_000] {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        let spec = MigrationSpec {
            rows,
            ..MigrationSpec::default()
        };
        sim.command(Command::StartMigration {
            spec: Box::new(spec),
        })
        .unwrap();
        let mut peak = 0;
        for s in 1..=20 {
            sim.advance_to(SimTime::from_ms(500 * s), u64::MAX);
            peak = peak.max(clone_bytes(&sim));
        }
        println!(
            "rows {rows}: one clone {:.2} MB at most (without a migration {:.2} MB); \
             {CHECKPOINTS_MAX} checkpoints {:.0} MB",
            peak as f64 / 1e6,
            base as f64 / 1e6,
            (peak * CHECKPOINTS_MAX) as f64 / 1e6
        );
        worst = worst.max(peak);
    }
    // 64 checkpoints of the largest page dataset stay under 1 GB.
    assert!(
        worst * CHECKPOINTS_MAX < 1_000_000_000,
        "{worst} bytes per clone"
    );
}
