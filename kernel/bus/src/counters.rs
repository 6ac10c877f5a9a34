//! Where the bus's counters go: ron-metrics' registry normally; no-ops under loom (the models
//! check concurrency, not telemetry, and ron-metrics does not build with tokio's `cfg(loom)`).

#[cfg(not(loom))]
pub(crate) use ron_metrics::bus;

#[cfg(loom)]
pub(crate) fn bus() -> &'static NoMetrics {
    &NoMetrics {
        published: NoCounter,
        no_receivers: NoCounter,
        receiver_lag: NoCounter,
        notify_sends: NoCounter,
    }
}

#[cfg(loom)]
pub(crate) struct NoMetrics {
    pub(crate) published: NoCounter,
    pub(crate) no_receivers: NoCounter,
    pub(crate) receiver_lag: NoCounter,
    pub(crate) notify_sends: NoCounter,
}

#[cfg(loom)]
pub(crate) struct NoCounter;

#[cfg(loom)]
impl NoCounter {
    pub(crate) fn inc(&self) {}
    pub(crate) fn inc_by(&self, _n: u64) {}
}
