//! Publishing and receiving on packed storage allocate nothing in steady state (issue 12).
//! dhat's counting allocator is process-global, so this file holds a single test.
#![cfg(not(any(loom, miri)))]

use ron_bus::{Bus, TryRecvError};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const OPS: u64 = 10_000;

/// Fewest allocations over three rounds of `OPS` calls of `f`, after a warm-up round (which
/// may allocate lazily: counters, thread-locals). A stray allocation elsewhere in the process
/// does not show up in every round; one on the measured path does.
fn allocations(mut f: impl FnMut()) -> u64 {
    for _ in 0..OPS {
        f();
    }
    (0..3)
        .map(|_| {
            let before = dhat::HeapStats::get().total_blocks;
            for _ in 0..OPS {
                f();
            }
            dhat::HeapStats::get().total_blocks - before
        })
        .min()
        .unwrap_or(u64::MAX)
}

#[test]
fn packed_publish_and_receive_do_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let probe = allocations(|| drop(std::hint::black_box(Box::new(7u64))));
    assert!(probe >= OPS, "probe counted {probe} allocations");

    let bus = Bus::new_packed(64);
    assert_eq!(
        allocations(|| assert_eq!(bus.publish(1u64), 0)),
        0,
        "publish, no receiver"
    );
    let mut rxs: Vec<_> = (0..4).map(|_| bus.subscribe()).collect();
    assert_eq!(
        allocations(|| assert_eq!(bus.publish(2u64), 4)),
        0,
        "publish, 4 idle receivers"
    );
    for rx in &mut rxs {
        while rx.try_recv() != Err(TryRecvError::Empty) {}
    }
    let mut seq = 0u64;
    let cycle = allocations(|| {
        bus.publish(seq);
        for rx in &mut rxs {
            assert_eq!(rx.try_recv(), Ok(seq));
        }
        seq += 1;
    });
    assert_eq!(cycle, 0, "publish + 4 deliveries");

    // The node storage allocates a node per publish: the probe works on the bus too.
    let nodes = Bus::new(64);
    let _rx = nodes.subscribe();
    assert!(allocations(|| assert_eq!(nodes.publish(3u64), 1)) >= OPS);
}
