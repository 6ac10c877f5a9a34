//! Per-thread buffered counters lose nothing: many short-lived threads, exact totals.
//!
//! Its own test binary (process), so no other test moves these counters meanwhile.

use ron_metrics::tls::{self, BusCounter};
use ron_metrics::{bus, snapshot};
use std::sync::mpsc;

fn work(t: u64) {
    let calls = 37 + t;
    for i in 0..calls {
        tls::add(BusCounter::Published, 1);
        tls::add(BusCounter::NoReceivers, i % 3);
        tls::add(BusCounter::ReceiverLag, 5);
        tls::add(BusCounter::NotifySends, 2);
        tls::add(BusCounter::NotifySuppressed, 1);
        tls::add(BusCounter::InterestSkips, 7);
        tls::add(BusCounter::BatchPublish, 1);
    }
}

fn assert_exact(d: &ron_metrics::BusSnapshot, threads: u64) {
    // Each thread's call count is odd-sized and rarely a multiple of the threshold, so
    // the exit (or flush_all) flush matters.
    let calls: u64 = (0..threads).map(|t| 37 + t).sum();
    let no_receivers: u64 = (0..threads)
        .map(|t| (0..37 + t).map(|i| i % 3).sum::<u64>())
        .sum();
    assert_eq!(d.published, calls);
    assert_eq!(d.no_receivers, no_receivers);
    assert_eq!(d.receiver_lag, 5 * calls);
    assert_eq!(d.notify_sends, 2 * calls);
    assert_eq!(d.notify_suppressed, calls);
    assert_eq!(d.interest_skips, 7 * calls);
    assert_eq!(d.batch_publish, calls);
    assert!(d.tls_flush > 0);
}

#[test]
fn many_short_lived_threads_flush_exact_totals() {
    const THREADS: u64 = 200;

    // 1. Spawned and joined: `join` waits for the thread's destructors, which flush.
    let before = bus().snapshot();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| std::thread::spawn(move || work(t)))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_exact(&bus().snapshot().delta_since(&before), THREADS);

    // 2. Scoped threads: the scope's implicit join does not wait for thread-local
    //    destructors, but `snapshot()` flushes every thread's cells first.
    let before = bus().snapshot();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || work(t));
        }
    });
    assert_exact(&snapshot().bus.delta_since(&before), THREADS);

    // 3. A live, idle thread's few increments reach the counters through flush_all (the
    //    harness's snapshot path) without the thread doing anything more.
    let before = bus().snapshot();
    let (added_tx, added_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let idle = std::thread::spawn(move || {
        tls::add(BusCounter::InterestSkips, 3); // below any threshold > 1
        added_tx.send(()).unwrap();
        let _ = exit_rx.recv();
    });
    added_rx.recv().unwrap();
    assert_eq!(snapshot().bus.delta_since(&before).interest_skips, 3);
    exit_tx.send(()).unwrap();
    idle.join().unwrap();
    assert_eq!(bus().snapshot().delta_since(&before).interest_skips, 3);
    // Exited threads are forgotten by flush_all (a scoped thread may still be finishing
    // its destructor for a moment, hence the generous poll).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        tls::flush_all();
        if tls::tracked_threads() <= 1 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(tls::tracked_threads() <= 1, "{}", tls::tracked_threads());
}
