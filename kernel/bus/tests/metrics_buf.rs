//! `metrics_buf`: no counter is lost when many short-lived publisher threads exit.
//! Its own test binary (one test) so no other test publishes into the global counters.
#![cfg(all(feature = "metrics_buf", not(loom)))]

use ron_bus::Bus;

#[test]
fn exact_totals_survive_thread_exit() {
    let threads = if cfg!(miri) { 3 } else { 64 };
    let per_thread = 37u64; // deliberately not a multiple of the flush threshold
    let bus = Bus::new(8);
    let _rx = bus.subscribe();
    ron_metrics::tls::flush_all();
    let before = ron_metrics::bus().snapshot();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let bus = bus.clone();
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    bus.publish(i);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    ron_metrics::tls::flush_all();
    let d = ron_metrics::bus().snapshot().delta_since(&before);
    assert_eq!(d.published, threads as u64 * per_thread);
    assert!(
        d.tls_flush >= threads as u64,
        "each exiting thread flushed: {d:?}"
    );
}
