//! ron-metrics: one Prometheus registry per process, the bus and golden metric families,
//! per-thread buffered counters, readiness state and a hardened HTTP exposer.
//!
//! * [`registry()`]: the process registry. Every family of this crate is registered in it
//!   exactly once (through a `std::sync::OnceLock`); callers get cloned or
//!   `'static` handles and never register again.
//! * [`bus()`]: the bus families that `ron-bus` increments; [`tls`] buffers hot-path
//!   increments per thread (the `metrics_buf` behaviour).
//! * [`golden()`]: `service_restarts_total`, `request_latency_seconds`, `amnesia_mode`,
//!   `exposition_latency_seconds`, `rejected_total` and the PQ/ZK families.
//! * [`snapshot()`]: typed, in-process counter values (flushes the per-thread buffers
//!   first) so a harness takes deltas without parsing the text format.
//! * [`HealthState`] and [`Metrics::serve`]: `/metrics`, `/healthz`, `/readyz` (see
//!   [`exposer`]). Base labels (`service`, `instance`, `build_version`, `amnesia`) are added
//!   to every series at encode time ([`encode`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use ron_metrics::{BaseLabels, HealthState, Metrics, DEFAULT_ADDR};
//! use std::sync::Arc;
//! let metrics = Metrics::new(BaseLabels::new("svc-demo", "demo-1", "v0.1.0"));
//! let health = Arc::new(HealthState::new());
//! let (server, addr) = metrics.clone().serve(DEFAULT_ADDR, health).await.unwrap();
//! assert!(addr.ip().is_loopback());
//! let before = ron_metrics::snapshot();
//! ron_metrics::bus().published.inc();
//! assert_eq!(ron_metrics::snapshot().bus.delta_since(&before.bus).published, 1);
//! assert!(metrics.render().unwrap().contains("bus_published_total{service=\"svc-demo\""));
//! server.abort();
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bus;
pub mod encode;
pub mod exposer;
mod golden;
mod health;
pub mod tls;

pub use bus::{bus, BusMetrics, BusSnapshot, AUTOTUNE_REASON_CAP_GT_256};
pub use encode::{encode_text, BaseLabels, EncodeError};
pub use exposer::{ExposerConfig, Metrics, ServeError, DEFAULT_ADDR};
pub use golden::{
    golden, GoldenMetrics, GoldenSnapshot, RejectReason, EXPOSITION_LATENCY_BUCKETS,
    PLACEHOLDER_LABEL, REQUEST_LATENCY_BUCKETS, ZK_PROOF_LATENCY_BUCKETS,
};
pub use health::{
    HealthError, HealthSnapshot, HealthState, ReadinessResponse, GATE_CONFIG_LOADED,
    GATE_SERVICES_OK, MAX_ERROR_LEN,
};

use prometheus::Registry;
use std::sync::OnceLock;

/// Every family name the contract fixes (ARCHITECTURE section 5, seed 003): the bus families,
/// the golden families and the PQ/ZK placeholders. Tests check the registry and a real scrape
/// against this list. The batch-length histogram is `bus_batch_len` (exposed as
/// `bus_batch_len_bucket`/`_sum`/`_count`); the seeds call it `bus_batch_len_histogram`, a
/// name `promtool check metrics` rejects.
pub const CONTRACT_FAMILIES: [&str; 21] = [
    "bus_published_total",
    "bus_no_receivers_total",
    "bus_receiver_lag_total",
    "bus_notify_sends_total",
    "bus_notify_suppressed_total",
    "bus_batch_publish_total",
    "bus_batch_len",
    "bus_metrics_tls_flush_total",
    "bus_metrics_tls_threshold",
    "bus_autotune_warn_total",
    "bus_cap_selected",
    "bus_interest_skips_total",
    "service_restarts_total",
    "request_latency_seconds",
    "amnesia_mode",
    "exposition_latency_seconds",
    "rejected_total",
    "pq_kex_failures_total",
    "pq_verify_failures_total",
    "zk_verify_failures_total",
    "zk_proof_latency_seconds",
];

/// The process-wide registry every family of this crate is registered in.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::new)
}

/// Every typed counter of this crate at one instant (see [`snapshot()`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The bus families.
    pub bus: BusSnapshot,
    /// The golden families.
    pub golden: GoldenSnapshot,
}

impl Snapshot {
    /// Counter increase from `earlier` to `self` (saturating; gauges are copied).
    pub fn delta_since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            bus: self.bus.delta_since(&earlier.bus),
            golden: self.golden.delta_since(&earlier.golden),
        }
    }
}

/// Flushes every thread's buffered counters ([`tls::flush_all`]) and reads all families.
pub fn snapshot() -> Snapshot {
    tls::flush_all();
    Snapshot {
        bus: bus().snapshot(),
        golden: golden().snapshot(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_register_once_and_duplicates_are_rejected() {
        // Force every family, twice: the OnceLocks make the second call a no-op.
        let _ = (bus(), golden(), bus(), golden());
        let _ = Metrics::new(BaseLabels::default());
        let _ = Metrics::new(BaseLabels::default());
        let names: Vec<String> = registry()
            .gather()
            .iter()
            .map(|f| f.name().to_owned())
            .collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "duplicate family in {names:?}");
        // A second registration of an existing name is refused by the registry.
        let dup = prometheus::IntCounter::new("bus_published_total", "dup").unwrap();
        assert!(registry().register(Box::new(dup)).is_err());
    }

    #[test]
    fn every_contract_family_is_present() {
        let _ = Metrics::new(BaseLabels::default());
        let names: Vec<String> = registry()
            .gather()
            .iter()
            .map(|f| f.name().to_owned())
            .collect();
        for want in CONTRACT_FAMILIES {
            assert!(
                names.iter().any(|n| n == want),
                "{want} missing from {names:?}"
            );
        }
    }

    #[test]
    fn request_latency_uses_the_canonical_buckets() {
        let _ = golden();
        let text = Metrics::new(BaseLabels::default()).render().unwrap();
        let les: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.starts_with("request_latency_seconds_bucket") && l.contains("route=\"/healthz\"")
            })
            .filter_map(|l| l.split("le=\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(
            les,
            [
                "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
                "+Inf"
            ]
        );
    }

    #[test]
    fn golden_snapshot_reads_rejections_by_reason() {
        let g = golden();
        let before = g.snapshot();
        g.rejected(RejectReason::BadRequest).inc_by(2);
        let d = g.snapshot().delta_since(&before);
        assert!(d.rejected(RejectReason::BadRequest) >= 2);
    }
}
