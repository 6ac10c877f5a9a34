//! Golden families (seed 003): registered once per process, exported with base labels.
//!
//! | family | type | labels | pre-created series |
//! |---|---|---|---|
//! | `service_restarts_total` | counter | `service` | the host's own `service` |
//! | `request_latency_seconds` | histogram | `route`, `method` | the three exposer routes, `GET` |
//! | `amnesia_mode` | gauge (0/1) | | |
//! | `exposition_latency_seconds` | histogram | `endpoint` | `/metrics` |
//! | `rejected_total` | counter | `reason` | every [`RejectReason`] |
//! | `pq_kex_failures_total`, `pq_verify_failures_total` | counter | `algo`, `role` | `none`/`none` |
//! | `zk_verify_failures_total` | counter | `scheme` | `none` |
//! | `zk_proof_latency_seconds` | histogram | `scheme` | `none` |
//!
//! The PQ/ZK families exist (at zero) even though nothing here records them yet, so
//! dashboards stay stable (seed 003, IDB I-8). Label sets are bounded: every value above is
//! a constant of this crate.

use crate::registry;
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
};
use std::sync::OnceLock;

/// Canonical `request_latency_seconds` buckets (seed 003, OBSERVABILITY 1.5).
pub const REQUEST_LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// `exposition_latency_seconds` buckets: finer at the low end, where a scrape should be.
pub const EXPOSITION_LATENCY_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];
/// `zk_proof_latency_seconds` buckets (seed 003, IDB 3.2).
pub const ZK_PROOF_LATENCY_BUCKETS: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Placeholder label value of the pre-created (zero) PQ/ZK series.
pub const PLACEHOLDER_LABEL: &str = "none";

/// Why the exposer refused or cut a request (`rejected_total{reason}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// A method other than GET on a known path (405).
    MethodNotAllowed,
    /// A request that carried a body (413).
    Body,
    /// An unknown path (404).
    NotFound,
    /// The connection cap was reached (503, connection closed).
    ConnectionLimit,
    /// The request head did not arrive within the read timeout (connection dropped).
    ReadTimeout,
    /// The client did not take the response within the write timeout (connection dropped).
    WriteTimeout,
    /// The request could not be parsed or its head was too large (hyper answers 400/431).
    BadRequest,
}

impl RejectReason {
    /// Every reason (all pre-created at zero).
    pub const ALL: [RejectReason; 7] = [
        RejectReason::MethodNotAllowed,
        RejectReason::Body,
        RejectReason::NotFound,
        RejectReason::ConnectionLimit,
        RejectReason::ReadTimeout,
        RejectReason::WriteTimeout,
        RejectReason::BadRequest,
    ];

    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::MethodNotAllowed => "method_not_allowed",
            RejectReason::Body => "body",
            RejectReason::NotFound => "not_found",
            RejectReason::ConnectionLimit => "conn_limit",
            RejectReason::ReadTimeout => "read_timeout",
            RejectReason::WriteTimeout => "write_timeout",
            RejectReason::BadRequest => "bad_request",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Handles to the golden families (cloned from the once-registered originals).
#[derive(Debug, Clone)]
pub struct GoldenMetrics {
    /// `service_restarts_total{service}`: supervised restarts by service.
    pub service_restarts_total: IntCounterVec,
    /// `request_latency_seconds{route,method}`: request latency, canonical buckets.
    pub request_latency_seconds: HistogramVec,
    /// `amnesia_mode`: 1 when amnesia (RAM-only) mode is on, else 0. It also drives the
    /// `amnesia="on|off"` base label.
    pub amnesia_mode: IntGauge,
    /// `exposition_latency_seconds{endpoint}`: time to gather and encode `/metrics`.
    pub exposition_latency_seconds: HistogramVec,
    /// `rejected_total{reason}`: requests and connections the exposer refused.
    pub rejected_total: IntCounterVec,
    /// `pq_kex_failures_total{algo,role}`: PQ hybrid key-exchange failures.
    pub pq_kex_failures_total: IntCounterVec,
    /// `pq_verify_failures_total{algo,role}`: PQ signature verification failures.
    pub pq_verify_failures_total: IntCounterVec,
    /// `zk_verify_failures_total{scheme}`: ZK proof verification failures.
    pub zk_verify_failures_total: IntCounterVec,
    /// `zk_proof_latency_seconds{scheme}`: ZK proof generation latency.
    pub zk_proof_latency_seconds: HistogramVec,
    /// Pre-resolved `rejected_total` children, indexed like [`RejectReason::ALL`].
    rejected: [IntCounter; 7],
}

/// Plain-number copy of the golden counters (see [`GoldenMetrics::snapshot`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GoldenSnapshot {
    /// `rejected_total`, indexed like [`RejectReason::ALL`].
    pub rejected: [u64; 7],
    /// Sum of `service_restarts_total` over every service.
    pub service_restarts: u64,
    /// Sample count of `exposition_latency_seconds{endpoint="/metrics"}` (scrapes served).
    pub scrapes: u64,
    /// `amnesia_mode` (a gauge: copied, not subtracted, by [`GoldenSnapshot::delta_since`]).
    pub amnesia: bool,
}

impl GoldenSnapshot {
    /// `rejected_total{reason}` for one reason.
    pub fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected[reason.index()]
    }

    /// Counter increase from `earlier` to `self` (saturating).
    pub fn delta_since(&self, earlier: &GoldenSnapshot) -> GoldenSnapshot {
        let mut rejected = [0; 7];
        for (i, r) in rejected.iter_mut().enumerate() {
            *r = self.rejected[i].saturating_sub(earlier.rejected[i]);
        }
        GoldenSnapshot {
            rejected,
            service_restarts: self
                .service_restarts
                .saturating_sub(earlier.service_restarts),
            scrapes: self.scrapes.saturating_sub(earlier.scrapes),
            amnesia: self.amnesia,
        }
    }
}

/// The endpoint label of the `/metrics` exposition histogram.
pub(crate) const METRICS_ENDPOINT: &str = "/metrics";
/// The exposer's routes (`route` label of `request_latency_seconds`, with `method="GET"`).
pub(crate) const EXPOSER_ROUTES: [&str; 3] = ["/metrics", "/healthz", "/readyz"];

impl GoldenMetrics {
    /// `rejected_total{reason}` child for `reason` (pre-resolved: no lookup, no allocation).
    pub fn rejected(&self, reason: RejectReason) -> &IntCounter {
        &self.rejected[reason.index()]
    }

    /// Whether amnesia mode is on (`amnesia_mode == 1`).
    pub fn amnesia(&self) -> bool {
        self.amnesia_mode.get() != 0
    }

    /// Sets amnesia mode; the gauge and the `amnesia` base label follow.
    pub fn set_amnesia(&self, on: bool) {
        self.amnesia_mode.set(i64::from(on));
    }

    /// Reads the golden counters now.
    pub fn snapshot(&self) -> GoldenSnapshot {
        let mut rejected = [0; 7];
        for (slot, c) in rejected.iter_mut().zip(&self.rejected) {
            *slot = c.get();
        }
        let service_restarts = collect_sum(&self.service_restarts_total);
        GoldenSnapshot {
            rejected,
            service_restarts,
            scrapes: self
                .exposition_latency_seconds
                .with_label_values(&[METRICS_ENDPOINT])
                .get_sample_count(),
            amnesia: self.amnesia(),
        }
    }
}

fn collect_sum(vec: &IntCounterVec) -> u64 {
    use prometheus::core::Collector;
    vec.collect()
        .iter()
        .flat_map(|mf| mf.get_metric())
        .map(|m| m.get_counter().get_value() as u64)
        .sum()
}

fn register<C: prometheus::core::Collector + Clone + 'static>(c: C) -> C {
    registry()
        .register(Box::new(c.clone()))
        .expect("golden families are registered once");
    c
}

fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(IntCounterVec::new(Opts::new(name, help), labels).expect("static metric opts"))
}

fn histogram_vec(name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    register(HistogramVec::new(opts, labels).expect("static histogram opts"))
}

/// The golden families, registered on first use.
pub fn golden() -> &'static GoldenMetrics {
    static GOLDEN: OnceLock<GoldenMetrics> = OnceLock::new();
    GOLDEN.get_or_init(|| {
        let rejected_total = counter_vec(
            "rejected_total",
            "Requests and connections refused by the exposer, by reason",
            &["reason"],
        );
        let rejected = RejectReason::ALL.map(|r| rejected_total.with_label_values(&[r.as_str()]));
        let pair = [PLACEHOLDER_LABEL, PLACEHOLDER_LABEL];
        let g = GoldenMetrics {
            service_restarts_total: counter_vec(
                "service_restarts_total",
                "Supervised restarts by service",
                &["service"],
            ),
            request_latency_seconds: histogram_vec(
                "request_latency_seconds",
                "Request latency by route and method (seconds)",
                &["route", "method"],
                &REQUEST_LATENCY_BUCKETS,
            ),
            amnesia_mode: register(
                IntGauge::new("amnesia_mode", "1 when amnesia (RAM-only) mode is on")
                    .expect("static metric opts"),
            ),
            exposition_latency_seconds: histogram_vec(
                "exposition_latency_seconds",
                "Time to gather and encode the exposition (seconds)",
                &["endpoint"],
                &EXPOSITION_LATENCY_BUCKETS,
            ),
            rejected_total,
            pq_kex_failures_total: counter_vec(
                "pq_kex_failures_total",
                "PQ hybrid key-exchange failures",
                &["algo", "role"],
            ),
            pq_verify_failures_total: counter_vec(
                "pq_verify_failures_total",
                "PQ signature verification failures",
                &["algo", "role"],
            ),
            zk_verify_failures_total: counter_vec(
                "zk_verify_failures_total",
                "ZK proof verification failures",
                &["scheme"],
            ),
            zk_proof_latency_seconds: histogram_vec(
                "zk_proof_latency_seconds",
                "ZK proof generation latency (seconds)",
                &["scheme"],
                &ZK_PROOF_LATENCY_BUCKETS,
            ),
            rejected,
        };
        // Pre-create the zero series so every family is present from the first scrape.
        g.pq_kex_failures_total.with_label_values(&pair).inc_by(0);
        g.pq_verify_failures_total
            .with_label_values(&pair)
            .inc_by(0);
        g.zk_verify_failures_total
            .with_label_values(&[PLACEHOLDER_LABEL])
            .inc_by(0);
        let _: Histogram = g
            .zk_proof_latency_seconds
            .with_label_values(&[PLACEHOLDER_LABEL]);
        for route in EXPOSER_ROUTES {
            let _: Histogram = g.request_latency_seconds.with_label_values(&[route, "GET"]);
        }
        let _: Histogram = g
            .exposition_latency_seconds
            .with_label_values(&[METRICS_ENDPOINT]);
        g
    })
}
