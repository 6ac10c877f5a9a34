//! The threshold comes from RON_TLS_FLUSH_THRESHOLD, is exported, and sets the
//! publish:flush ratio; the pump flushes idle threads.
//!
//! Its own test binary (process): it sets the variable before anything reads it.

use ron_metrics::tls::{self, BusCounter};
use ron_metrics::{bus, registry};
use std::time::{Duration, Instant};

const N: u64 = 16;

/// Every test calls this first, so the variable is set before anything reads it.
fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::env::set_var(tls::THRESHOLD_ENV, N.to_string());
        assert_eq!(tls::init_threshold_from_env(), Ok(N));
    });
}

#[test]
fn threshold_is_exported_and_sets_the_flush_ratio() {
    init();
    assert_eq!(tls::threshold(), N);
    assert_eq!(bus().tls_threshold.get(), N as i64);
    let exported = registry()
        .gather()
        .into_iter()
        .find(|f| f.name() == "bus_metrics_tls_threshold")
        .expect("threshold family");
    assert_eq!(exported.get_metric()[0].get_gauge().get_value(), N as f64);

    // Once read, the threshold stays fixed even if the variable changes; a bad value is
    // still reported as an error naming the variable.
    std::env::set_var(tls::THRESHOLD_ENV, "lots");
    let err = tls::init_threshold_from_env().unwrap_err();
    assert!(err.to_string().contains("RON_TLS_FLUSH_THRESHOLD"));
    assert_eq!(tls::threshold(), N);

    // One publish = one add: flushes come every N publishes.
    const PUBLISHES: u64 = N * 500;
    let before = bus().snapshot();
    std::thread::spawn(|| {
        for _ in 0..PUBLISHES {
            tls::add(BusCounter::Published, 1);
        }
    })
    .join()
    .unwrap();
    let d = bus().snapshot().delta_since(&before);
    assert_eq!(d.published, PUBLISHES);
    let ratio = d.published as f64 / d.tls_flush as f64;
    // Exactly PUBLISHES / N threshold flushes; the pump may add a few more.
    assert!(d.tls_flush >= PUBLISHES / N, "{d:?}");
    assert!(d.tls_flush <= PUBLISHES / N + 5, "{d:?}");
    assert!((ratio - N as f64).abs() < 1.0, "publish:flush = {ratio}:1");
}

#[test]
fn the_pump_flushes_idle_threads() {
    // A thread adds below the threshold and then stays alive doing nothing; the pump
    // (every ~200 ms) must publish its counts. Generous deadline; no timing asserted.
    init();
    let before = bus().snapshot().notify_suppressed;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        tls::add(BusCounter::NotifySuppressed, 1);
        let _ = rx.recv();
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = false;
    while Instant::now() < deadline {
        if bus().snapshot().notify_suppressed > before {
            seen = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    tx.send(()).unwrap();
    t.join().unwrap();
    assert!(seen, "the flush pump never flushed an idle thread");
}
