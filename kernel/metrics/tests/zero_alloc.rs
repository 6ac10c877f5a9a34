//! Hot-path recording allocates nothing (seed 003 IDB I-12 / P-2): counter increments,
//! histogram observes (golden and PQ/ZK families) and buffered per-thread adds.
//!
//! dhat's counting allocator is process-global, so this file holds a single test.

use ron_metrics::tls::{self, BusCounter};
use ron_metrics::{bus, golden, RejectReason, PLACEHOLDER_LABEL};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const OPS: u64 = 10_000;

/// Allocations made by `OPS` calls of `f` (after one warm-up call, which may allocate
/// lazily). dhat counts every thread, so the fewest of three rounds is returned: an
/// allocation on the measured path shows up in every round, a stray one elsewhere in the
/// process (the test harness, the flush pump) does not.
fn allocations(mut f: impl FnMut()) -> u64 {
    f();
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
fn hot_path_recording_does_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    // The probe itself works: a boxed value is (at least) one allocation per op.
    let probe = allocations(|| drop(std::hint::black_box(Box::new(7u64))));
    assert!(
        probe >= OPS,
        "probe counted {probe} allocations for {OPS} boxes"
    );
    let published = bus().published.clone();
    let latency = golden()
        .request_latency_seconds
        .with_label_values(&["/metrics", "GET"]);
    let zk = golden()
        .zk_proof_latency_seconds
        .with_label_values(&[PLACEHOLDER_LABEL]);
    let rejected = golden().rejected(RejectReason::NotFound).clone();

    assert_eq!(allocations(|| published.inc()), 0, "IntCounter::inc");
    assert_eq!(allocations(|| bus().receiver_lag.inc_by(3)), 0, "inc_by");
    assert_eq!(
        allocations(|| latency.observe(0.004)),
        0,
        "Histogram::observe"
    );
    assert_eq!(allocations(|| zk.observe(0.2)), 0, "zk observe");
    assert_eq!(allocations(|| rejected.inc()), 0, "pre-resolved vec child");
    // Includes a flush every `threshold()` calls.
    assert_eq!(
        allocations(|| tls::add(BusCounter::Published, 1)),
        0,
        "tls::add"
    );
}
