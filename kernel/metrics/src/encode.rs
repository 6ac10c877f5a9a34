//! Text exposition (Prometheus format 0.0.4) with the base labels added at encode time.
//!
//! The families in the registry carry only their own labels; [`encode_text`] prepends
//! `service`, `instance`, `build_version` and `amnesia` to every series it writes. Adding
//! them here, rather than as const labels at registration, keeps `amnesia` truthful when
//! the mode flips at run time and keeps the hot-path handles label-free. A family that
//! already has a label of the same name (e.g. `service_restarts_total{service}`, whose
//! `service` is the restarted service) keeps its own value for it.

use prometheus::proto::{LabelPair, MetricFamily};
use prometheus::{Registry, TextEncoder};

/// `Content-Type` of the text exposition.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Values of the deployment base labels (`amnesia` comes from the runtime mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseLabels {
    /// `service`: the host service's name.
    pub service: String,
    /// `instance`: which replica of the service this is.
    pub instance: String,
    /// `build_version`: the host's build or release version.
    pub build_version: String,
}

impl BaseLabels {
    /// Base labels from the three values.
    pub fn new(
        service: impl Into<String>,
        instance: impl Into<String>,
        build_version: impl Into<String>,
    ) -> Self {
        BaseLabels {
            service: service.into(),
            instance: instance.into(),
            build_version: build_version.into(),
        }
    }

    /// The four label pairs in exposition order, with `amnesia="on|off"`.
    fn pairs(&self, amnesia: bool) -> [(&'static str, &str); 4] {
        [
            ("service", &self.service),
            ("instance", &self.instance),
            ("build_version", &self.build_version),
            ("amnesia", if amnesia { "on" } else { "off" }),
        ]
    }
}

impl Default for BaseLabels {
    /// `service="ron-metrics"`, `instance="local"`, `build_version=<crate version>`.
    fn default() -> Self {
        BaseLabels::new("ron-metrics", "local", env!("CARGO_PKG_VERSION"))
    }
}

/// The registry could not be encoded (a family with no name or no series).
#[derive(Debug, thiserror::Error)]
#[error("encoding the metrics registry failed: {0}")]
pub struct EncodeError(#[from] prometheus::Error);

/// Gathers `registry` and appends its text exposition, base labels included, to `out`.
pub fn encode_text(
    registry: &Registry,
    labels: &BaseLabels,
    amnesia: bool,
    out: &mut String,
) -> Result<(), EncodeError> {
    let mut families = registry.gather();
    add_base_labels(&mut families, labels, amnesia);
    TextEncoder::new().encode_utf8(&families, out)?;
    Ok(())
}

/// Prepends the base labels to every series of `families` (see the module docs).
pub fn add_base_labels(families: &mut [MetricFamily], labels: &BaseLabels, amnesia: bool) {
    let base: Vec<LabelPair> = labels
        .pairs(amnesia)
        .iter()
        .map(|(name, value)| {
            let mut p = LabelPair::default();
            p.set_name((*name).to_owned());
            p.set_value((*value).to_owned());
            p
        })
        .collect();
    for family in families {
        for metric in family.mut_metric() {
            let own = metric.take_label();
            let mut merged = Vec::with_capacity(base.len() + own.len());
            merged.extend(
                base.iter()
                    .filter(|b| !own.iter().any(|o| o.name() == b.name()))
                    .cloned(),
            );
            merged.extend(own);
            metric.set_label(merged);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::{IntCounter, IntCounterVec, Opts};

    #[test]
    fn base_labels_are_prepended_and_own_labels_win() {
        let r = Registry::new();
        let plain = IntCounter::new("plain_total", "p").unwrap();
        let svc = IntCounterVec::new(Opts::new("restarts_total", "r"), &["service"]).unwrap();
        r.register(Box::new(plain.clone())).unwrap();
        r.register(Box::new(svc.clone())).unwrap();
        plain.inc_by(3);
        svc.with_label_values(&["worker"]).inc();
        let mut out = String::new();
        let labels = BaseLabels::new("svc-a", "a-1", "v1.2.3");
        encode_text(&r, &labels, true, &mut out).unwrap();
        assert!(out.contains(
            "plain_total{service=\"svc-a\",instance=\"a-1\",build_version=\"v1.2.3\",amnesia=\"on\"} 3"
        ), "{out}");
        assert!(out.contains(
            "restarts_total{instance=\"a-1\",build_version=\"v1.2.3\",amnesia=\"on\",service=\"worker\"} 1"
        ), "{out}");
    }

    #[test]
    fn label_values_are_escaped() {
        let r = Registry::new();
        let c = IntCounter::new("x_total", "x").unwrap();
        r.register(Box::new(c)).unwrap();
        let mut out = String::new();
        let labels = BaseLabels::new("a\"b\\c\nd", "i", "v");
        encode_text(&r, &labels, false, &mut out).unwrap();
        assert!(out.contains(r#"service="a\"b\\c\nd""#), "{out}");
    }
}
