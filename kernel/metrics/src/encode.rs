//! Text exposition (Prometheus format 0.0.4) with the base labels added at encode time.
//!
//! The families in the registry carry only their own labels; [`encode_text`] prepends
//! `service`, `instance`, `build_version` and `amnesia` to every series it writes. Adding
//! them here, rather than as const labels at registration, keeps `amnesia` truthful when
//! the mode flips at run time and keeps the hot-path handles label-free. A family that
//! already has a label of the same name (e.g. `service_restarts_total{service}`, whose
//! `service` is the restarted service) keeps its own value for it.

use prometheus::proto::{LabelPair, MetricFamily, MetricType};
use prometheus::Registry;
use std::fmt::Write as _;

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

/// The registry could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// An untyped family (only custom collectors make these); the text encoder of the
    /// `prometheus` crate cannot write them either.
    #[error("metric family {0:?} is untyped; register it as a counter, gauge or histogram")]
    Untyped(String),
}

/// Gathers `registry` and appends its text exposition, base labels included, to `out`.
///
/// The output is what `prometheus::TextEncoder` writes for the same families with the base
/// labels prepended to every series (same ordering, escaping and number formatting); it is
/// written directly, without copying label pairs or formatting values through temporary
/// strings, which keeps large registries cheap.
pub fn encode_text(
    registry: &Registry,
    labels: &BaseLabels,
    amnesia: bool,
    out: &mut String,
) -> Result<(), EncodeError> {
    let families = registry.gather();
    encode_families(&families, labels, amnesia, out)
}

/// Writes `families` in text format 0.0.4 with the base labels (see [`encode_text`]).
pub fn encode_families(
    families: &[MetricFamily],
    labels: &BaseLabels,
    amnesia: bool,
    out: &mut String,
) -> Result<(), EncodeError> {
    let base = labels.pairs(amnesia);
    let mut all_base = String::new();
    for (name, value) in base {
        push_label(&mut all_base, name, value);
    }
    // Reused for every series: base labels + own labels, comma-separated, no braces.
    let mut block = String::with_capacity(256);
    for family in families {
        if family.get_field_type() == MetricType::UNTYPED {
            return Err(EncodeError::Untyped(family.name().to_owned()));
        }
        write_header(family, out);
        let name = family.name();
        for metric in family.get_metric() {
            label_block(&mut block, &all_base, &base, metric.get_label());
            let ts = metric.timestamp_ms();
            let sample = |out: &mut String, suffix: &str, extra: Option<(&str, f64)>, v: f64| {
                write_sample(out, name, suffix, &block, extra, v, ts)
            };
            match family.get_field_type() {
                MetricType::COUNTER => sample(out, "", None, metric.get_counter().get_value()),
                MetricType::GAUGE => sample(out, "", None, metric.get_gauge().get_value()),
                MetricType::HISTOGRAM => {
                    let h = metric.get_histogram();
                    let mut inf_seen = false;
                    for b in h.get_bucket() {
                        let le = b.upper_bound();
                        let count = b.cumulative_count() as f64;
                        sample(out, "_bucket", Some(("le", le)), count);
                        inf_seen |= le == f64::INFINITY;
                    }
                    if !inf_seen {
                        let count = h.get_sample_count() as f64;
                        sample(out, "_bucket", Some(("le", f64::INFINITY)), count);
                    }
                    sample(out, "_sum", None, h.get_sample_sum());
                    sample(out, "_count", None, h.get_sample_count() as f64);
                }
                MetricType::SUMMARY => {
                    let s = metric.get_summary();
                    for q in s.get_quantile() {
                        sample(out, "", Some(("quantile", q.quantile())), q.value());
                    }
                    sample(out, "_sum", None, s.sample_sum());
                    sample(out, "_count", None, s.sample_count() as f64);
                }
                MetricType::UNTYPED => unreachable!("rejected above"),
            }
        }
    }
    Ok(())
}

fn write_header(family: &MetricFamily, out: &mut String) {
    let name = family.name();
    if !family.help().is_empty() {
        out.push_str("# HELP ");
        out.push_str(name);
        out.push(' ');
        push_escaped(out, family.help(), false);
        out.push('\n');
    }
    let kind = match family.get_field_type() {
        MetricType::COUNTER => "counter",
        MetricType::GAUGE => "gauge",
        MetricType::SUMMARY => "summary",
        MetricType::UNTYPED => "untyped",
        MetricType::HISTOGRAM => "histogram",
    };
    out.push_str("# TYPE ");
    out.push_str(name);
    out.push(' ');
    out.push_str(kind);
    out.push('\n');
}

/// Base labels the series does not define itself, then the series' own labels.
fn label_block(block: &mut String, all_base: &str, base: &[(&str, &str); 4], own: &[LabelPair]) {
    block.clear();
    let clash = |name: &str| own.iter().any(|o| o.name() == name);
    if base.iter().any(|(name, _)| clash(name)) {
        for (name, value) in base.iter().filter(|(name, _)| !clash(name)) {
            push_label(block, name, value);
        }
    } else {
        block.push_str(all_base);
    }
    for pair in own {
        push_label(block, pair.name(), pair.value());
    }
}

fn push_label(block: &mut String, name: &str, value: &str) {
    if !block.is_empty() {
        block.push(',');
    }
    block.push_str(name);
    block.push_str("=\"");
    push_escaped(block, value, true);
    block.push('"');
}

/// `name{block[,extra="v"]} value[ ts]\n`, formatted like the prometheus text encoder.
fn write_sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    block: &str,
    extra: Option<(&str, f64)>,
    value: f64,
    timestamp_ms: i64,
) {
    out.push_str(name);
    out.push_str(suffix);
    if !block.is_empty() || extra.is_some() {
        out.push('{');
        out.push_str(block);
        if let Some((label, bound)) = extra {
            if !block.is_empty() {
                out.push(',');
            }
            out.push_str(label);
            out.push_str("=\"");
            push_f64(out, bound);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    push_f64(out, value);
    if timestamp_ms != 0 {
        let _ = write!(out, " {timestamp_ms}");
    }
    out.push('\n');
}

/// Prometheus spelling of a float: `+Inf`, `-Inf`, `NaN`, else Rust's shortest round-trip
/// form (`1`, `0.005`), as the prometheus text encoder writes.
fn push_f64(out: &mut String, v: f64) {
    if v == f64::INFINITY {
        out.push_str("+Inf");
    } else if v == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else if v.is_nan() {
        out.push_str("NaN");
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Escapes `\` and newline (and `"` in label values).
fn push_escaped(out: &mut String, s: &str, quote: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// Prepends the base labels to every series of `families` (see the module docs); for
/// callers that hand the families to another encoder.
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
    fn output_matches_the_prometheus_text_encoder() {
        use prometheus::{Gauge, HistogramOpts, HistogramVec};
        let r = Registry::new();
        let h = HistogramVec::new(
            HistogramOpts::new("lat_seconds", "Latency \\ with\nnewline")
                .buckets(vec![0.005, 0.1, 1.0]),
            &["route"],
        )
        .unwrap();
        let g = Gauge::new("temp_celsius", "g").unwrap();
        let c = IntCounterVec::new(Opts::new("c_total", "c"), &["a", "b"]).unwrap();
        r.register(Box::new(h.clone())).unwrap();
        r.register(Box::new(g.clone())).unwrap();
        r.register(Box::new(c.clone())).unwrap();
        h.with_label_values(&["/x"]).observe(0.05);
        h.with_label_values(&["/y\"quoted\""]).observe(3.0);
        g.set(-1.5e-7);
        c.with_label_values(&["1", "2"]).inc_by(12345678901);
        c.with_label_values(&["0", "z"]).inc();
        let labels = BaseLabels::new("s", "i", "v");
        let mut mine = String::new();
        encode_text(&r, &labels, false, &mut mine).unwrap();
        let mut families = r.gather();
        add_base_labels(&mut families, &labels, false);
        let reference = prometheus::TextEncoder::new()
            .encode_to_string(&families)
            .unwrap();
        assert_eq!(mine, reference);
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
