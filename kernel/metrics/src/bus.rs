//! Bus families: the counters `ron-bus` increments (names fixed by MOG plan section 5).
//!
//! Every family is registered exactly once in [`registry()`](crate::registry) on the first
//! call to [`bus()`]; callers get `&'static` handles, so nothing re-registers. The counters
//! carry no labels of their own; the exposer adds the base labels when it encodes them.

use crate::registry;
use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts};
use std::sync::OnceLock;

/// The one `reason` of `bus_autotune_warn_total` known today; pre-created at zero so the
/// family is always present in `/metrics`.
pub const AUTOTUNE_REASON_CAP_GT_256: &str = "cap_gt_256";

/// Handles to the bus counter families (names fixed by MOG plan section 5).
#[derive(Debug, Clone)]
pub struct BusMetrics {
    /// `bus_published_total`: messages accepted by `publish` with at least one receiver.
    pub published: IntCounter,
    /// `bus_no_receivers_total`: publishes that found no live receiver.
    pub no_receivers: IntCounter,
    /// `bus_receiver_lag_total`: messages receivers lost to overwrite (added by the receiver).
    pub receiver_lag: IntCounter,
    /// `bus_notify_sends_total`: wakes actually sent to parked subscribers.
    pub notify_sends: IntCounter,
    /// `bus_notify_suppressed_total`: wakes skipped because the subscriber was already pending.
    pub notify_suppressed: IntCounter,
    /// `bus_batch_publish_total`: `publish_many` calls.
    pub batch_publish: IntCounter,
    /// `bus_batch_len`: messages per `publish_many` call (a histogram, so the page
    /// carries `bus_batch_len_bucket`, `_sum` and `_count`; the seeds call it
    /// `bus_batch_len_histogram`).
    pub batch_len: Histogram,
    /// `bus_metrics_tls_flush_total`: flushes of per-thread buffered counters.
    pub tls_flush: IntCounter,
    /// `bus_metrics_tls_threshold`: the active per-thread flush threshold.
    pub tls_threshold: IntGauge,
    /// `bus_autotune_warn_total{reason}`: autotune warnings (e.g. `reason="cap_gt_256"`).
    pub autotune_warn: IntCounterVec,
    /// `bus_cap_selected`: the capacity the last autotuned bus selected.
    pub cap_selected: IntGauge,
    /// `bus_interest_skips_total`: deliveries skipped because of a subscriber's interest mask.
    pub interest_skips: IntCounter,
}

/// Plain-number copy of the bus families at one instant (see [`BusMetrics::snapshot`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BusSnapshot {
    /// `bus_published_total`
    pub published: u64,
    /// `bus_no_receivers_total`
    pub no_receivers: u64,
    /// `bus_receiver_lag_total`
    pub receiver_lag: u64,
    /// `bus_notify_sends_total`
    pub notify_sends: u64,
    /// `bus_notify_suppressed_total`
    pub notify_suppressed: u64,
    /// `bus_batch_publish_total`
    pub batch_publish: u64,
    /// sample count of `bus_batch_len`
    pub batch_len_count: u64,
    /// sample sum of `bus_batch_len`
    pub batch_len_sum: u64,
    /// `bus_metrics_tls_flush_total`
    pub tls_flush: u64,
    /// `bus_interest_skips_total`
    pub interest_skips: u64,
}

impl BusSnapshot {
    /// Counter increase from `earlier` to `self` (saturating, so a reset never underflows).
    pub fn delta_since(&self, earlier: &BusSnapshot) -> BusSnapshot {
        BusSnapshot {
            published: self.published.saturating_sub(earlier.published),
            no_receivers: self.no_receivers.saturating_sub(earlier.no_receivers),
            receiver_lag: self.receiver_lag.saturating_sub(earlier.receiver_lag),
            notify_sends: self.notify_sends.saturating_sub(earlier.notify_sends),
            notify_suppressed: self
                .notify_suppressed
                .saturating_sub(earlier.notify_suppressed),
            batch_publish: self.batch_publish.saturating_sub(earlier.batch_publish),
            batch_len_count: self.batch_len_count.saturating_sub(earlier.batch_len_count),
            batch_len_sum: self.batch_len_sum.saturating_sub(earlier.batch_len_sum),
            tls_flush: self.tls_flush.saturating_sub(earlier.tls_flush),
            interest_skips: self.interest_skips.saturating_sub(earlier.interest_skips),
        }
    }
}

impl BusMetrics {
    /// Reads every bus family now.
    pub fn snapshot(&self) -> BusSnapshot {
        BusSnapshot {
            published: self.published.get(),
            no_receivers: self.no_receivers.get(),
            receiver_lag: self.receiver_lag.get(),
            notify_sends: self.notify_sends.get(),
            notify_suppressed: self.notify_suppressed.get(),
            batch_publish: self.batch_publish.get(),
            batch_len_count: self.batch_len.get_sample_count(),
            batch_len_sum: self.batch_len.get_sample_sum() as u64,
            tls_flush: self.tls_flush.get(),
            interest_skips: self.interest_skips.get(),
        }
    }
}

fn counter(name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("static metric name is valid");
    registry()
        .register(Box::new(c.clone()))
        .expect("bus families are registered once");
    c
}

fn gauge(name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("static metric name is valid");
    registry()
        .register(Box::new(g.clone()))
        .expect("bus families are registered once");
    g
}

/// The bus families, registered on first use.
pub fn bus() -> &'static BusMetrics {
    static BUS: OnceLock<BusMetrics> = OnceLock::new();
    BUS.get_or_init(|| {
        let batch_len = Histogram::with_opts(
            HistogramOpts::new("bus_batch_len", "Messages per publish_many call").buckets(vec![
                1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0,
            ]),
        )
        .expect("static histogram opts are valid");
        registry()
            .register(Box::new(batch_len.clone()))
            .expect("bus families are registered once");
        let autotune_warn = IntCounterVec::new(
            Opts::new("bus_autotune_warn_total", "Autotune warnings by reason"),
            &["reason"],
        )
        .expect("static metric name is valid");
        registry()
            .register(Box::new(autotune_warn.clone()))
            .expect("bus families are registered once");
        autotune_warn
            .with_label_values(&[AUTOTUNE_REASON_CAP_GT_256])
            .inc_by(0);
        let metrics = BusMetrics {
            published: counter(
                "bus_published_total",
                "Messages published to at least one receiver",
            ),
            no_receivers: counter("bus_no_receivers_total", "Publishes that found no receiver"),
            receiver_lag: counter(
                "bus_receiver_lag_total",
                "Messages receivers lost to overwrite",
            ),
            notify_sends: counter("bus_notify_sends_total", "Wakes sent to parked subscribers"),
            notify_suppressed: counter(
                "bus_notify_suppressed_total",
                "Wakes suppressed because the subscriber was already pending",
            ),
            batch_publish: counter("bus_batch_publish_total", "publish_many calls"),
            batch_len,
            tls_flush: counter(
                "bus_metrics_tls_flush_total",
                "Per-thread counter buffer flushes",
            ),
            tls_threshold: gauge(
                "bus_metrics_tls_threshold",
                "Active per-thread flush threshold",
            ),
            autotune_warn,
            cap_selected: gauge(
                "bus_cap_selected",
                "Capacity chosen by the last autotuned bus",
            ),
            interest_skips: counter(
                "bus_interest_skips_total",
                "Deliveries skipped by a subscriber interest mask",
            ),
        };
        // Export the active per-thread flush threshold from the start. The threshold is read
        // once and never changes, so setting the gauge here keeps it truthful. (The
        // threshold's own initialisation never calls `bus()`, so this cannot recurse.)
        let threshold = i64::try_from(crate::tls::threshold()).unwrap_or(i64::MAX);
        metrics.tls_threshold.set(threshold);
        metrics
    })
}
