//! Where the bus's counters go.
//!
//! - default: straight into ron-metrics' shared counters (one relaxed atomic add each);
//! - `metrics_buf`: through ron-metrics' per-thread buffers (`ron_metrics::tls`), flushed
//!   every `RON_TLS_FLUSH_THRESHOLD` increments, by the flush pump, and on thread exit;
//! - `--cfg loom`: no-ops (the models check concurrency, not telemetry, and ron-metrics does
//!   not build against tokio's `cfg(loom)`).
//!
//! Callers batch where they can (one call per publish or per `try_recv`, not per subscriber).

macro_rules! counter_fns {
    ($($(#[$doc:meta])* $fn:ident => $variant:ident, $field:ident;)*) => {$(
        $(#[$doc])*
        #[inline]
        #[allow(dead_code)] // some counters are only used by some feature combos
        pub(crate) fn $fn(n: u64) {
            #[cfg(all(not(loom), feature = "metrics_buf"))]
            ron_metrics::tls::add(ron_metrics::tls::BusCounter::$variant, n);
            #[cfg(all(not(loom), not(feature = "metrics_buf")))]
            ron_metrics::bus().$field.inc_by(n);
            #[cfg(loom)]
            let _ = n;
        }
    )*};
}

counter_fns! {
    /// `bus_published_total`
    published => Published, published;
    /// `bus_no_receivers_total`
    no_receivers => NoReceivers, no_receivers;
    /// `bus_receiver_lag_total`
    receiver_lag => ReceiverLag, receiver_lag;
    /// `bus_notify_sends_total`
    notify_sends => NotifySends, notify_sends;
    /// `bus_interest_skips_total`
    interest_skips => InterestSkips, interest_skips;
    /// `bus_batch_publish_total`
    batch_publish => BatchPublish, batch_publish;
}

/// `bus_notify_suppressed_total`, always through the per-thread buffers (`ron_metrics::tls`,
/// flushed at the threshold, by the pump and at thread exit), with or without `metrics_buf`:
/// with `bus_edge_notify` every publish suppresses one wake per busy subscriber, so this is
/// the hottest counter the bus has, and a shared `lock xadd` per publish cost edge notify
/// 8.5% of its `edge` deliveries/s at fanout 4 (`gate --policy mog --quick`, `A1-subs4-cap64`).
#[inline]
#[allow(dead_code)] // used with bus_edge_notify or bus_coalesce only
pub(crate) fn notify_suppressed(n: u64) {
    #[cfg(not(loom))]
    ron_metrics::tls::add(ron_metrics::tls::BusCounter::NotifySuppressed, n);
    #[cfg(loom)]
    let _ = n;
}

/// Observes one `publish_many` call of `len` messages (`bus_batch_len`).
#[cfg(feature = "bus_batch")]
pub(crate) fn batch_len(len: u64) {
    #[cfg(not(loom))]
    ron_metrics::bus().batch_len.observe(len as f64);
    #[cfg(loom)]
    let _ = len;
}
