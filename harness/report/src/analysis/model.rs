//! The input model: metrics, measured series and comparison cells.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Which way is good for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Larger values are better (throughput).
    HigherIsBetter,
    /// Smaller values are better (latency, CPU, memory).
    LowerIsBetter,
}

/// A measured quantity: its canonical name, unit and direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Metric {
    /// Canonical machine name, e.g. `deliveries_per_sec`.
    pub name: String,
    /// Canonical unit, e.g. `1/s`, `ns`, `bytes`.
    pub unit: String,
    /// Which way is good.
    pub direction: Direction,
}

impl Metric {
    /// A metric from its parts.
    pub fn new(name: impl Into<String>, unit: impl Into<String>, direction: Direction) -> Self {
        Metric {
            name: name.into(),
            unit: unit.into(),
            direction,
        }
    }
}

/// The metrics the harness emits (the names a policy may use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Messages published per second (higher is better).
    PublishesPerSec,
    /// Messages delivered to subscribers per second, lagged/lost excluded (higher is better).
    DeliveriesPerSec,
    /// Median latency in ns (lower is better).
    P50Ns,
    /// 95th percentile latency in ns.
    P95Ns,
    /// 99th percentile latency in ns.
    P99Ns,
    /// 99.9th percentile latency in ns.
    P999Ns,
    /// CPU time in ns (user + system) for the measured work.
    CpuNs,
    /// Peak resident set size in bytes.
    PeakRssBytes,
    /// Delivered / (published x subscribers), a fraction (higher is better).
    DeliveredRatio,
    /// Time per iteration in ns, as imported from criterion (lower is better).
    NsPerIter,
    /// Instructions per message counted by callgrind (lower is better; deterministic).
    InstructionsPerMsg,
}

impl MetricKind {
    /// Every known metric.
    pub const ALL: [MetricKind; 11] = [
        MetricKind::PublishesPerSec,
        MetricKind::DeliveriesPerSec,
        MetricKind::P50Ns,
        MetricKind::P95Ns,
        MetricKind::P99Ns,
        MetricKind::P999Ns,
        MetricKind::CpuNs,
        MetricKind::PeakRssBytes,
        MetricKind::DeliveredRatio,
        MetricKind::NsPerIter,
        MetricKind::InstructionsPerMsg,
    ];

    /// Canonical name (as used in policies and files).
    pub fn name(self) -> &'static str {
        match self {
            MetricKind::PublishesPerSec => "publishes_per_sec",
            MetricKind::DeliveriesPerSec => "deliveries_per_sec",
            MetricKind::P50Ns => "p50_ns",
            MetricKind::P95Ns => "p95_ns",
            MetricKind::P99Ns => "p99_ns",
            MetricKind::P999Ns => "p999_ns",
            MetricKind::CpuNs => "cpu_ns",
            MetricKind::PeakRssBytes => "peak_rss_bytes",
            MetricKind::DeliveredRatio => "delivered_ratio",
            MetricKind::NsPerIter => "ns_per_iter",
            MetricKind::InstructionsPerMsg => "instructions_per_msg",
        }
    }

    /// Canonical unit.
    pub fn unit(self) -> &'static str {
        match self {
            MetricKind::PublishesPerSec | MetricKind::DeliveriesPerSec => "1/s",
            MetricKind::PeakRssBytes => "bytes",
            MetricKind::DeliveredRatio => "ratio",
            MetricKind::InstructionsPerMsg => "instr",
            _ => "ns",
        }
    }

    /// Which way is good.
    pub fn direction(self) -> Direction {
        match self {
            MetricKind::PublishesPerSec
            | MetricKind::DeliveriesPerSec
            | MetricKind::DeliveredRatio => Direction::HigherIsBetter,
            _ => Direction::LowerIsBetter,
        }
    }

    /// Whether the metric is a count that does not depend on timing (instruction counts):
    /// repeated process runs of the same binary give the same value, so a comparison whose
    /// every round gives the same ratio is exact (see `Comparison::exact`).
    pub fn deterministic(self) -> bool {
        self == MetricKind::InstructionsPerMsg
    }

    /// The full [`Metric`].
    pub fn metric(self) -> Metric {
        Metric::new(self.name(), self.unit(), self.direction())
    }

    /// Look a metric up by its canonical name.
    pub fn from_name(name: &str) -> Option<MetricKind> {
        MetricKind::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Run-level values of one metric for one measured configuration, as the runner produced them.
///
/// Invariant: `values[i]` is the value of round `i`; when `interleaved` is true, round `i` of
/// every series of the same `run` was measured in the same A/B round (so two such series can
/// be compared pairwise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Series {
    /// Run identifier (e.g. the run file name or a UUID); pairs are only formed within a run.
    pub run: String,
    /// Scenario name (`steady`, `burst_fanout`, ...).
    pub scenario: String,
    /// Contender name (`ron-bus`, `tokio-broadcast`, ...).
    pub contender: String,
    /// Cargo features that were ON in the build that produced this series.
    pub features: BTreeSet<String>,
    /// Scenario parameters (`burst`, `fanout`, `cap`, `tls_thresh`, ...) as strings.
    pub params: BTreeMap<String, String>,
    /// The metric.
    pub metric: Metric,
    /// Run-level values, one per round.
    pub values: Vec<f64>,
    /// True when the rounds of this run were interleaved A B A B across builds.
    pub interleaved: bool,
}

impl Series {
    /// `burst=256/fanout=4/cap=2048` style rendering of the params (sorted by name, except
    /// that `burst`, `fanout`, `cap` come first in that order).
    pub fn params_id(&self) -> String {
        params_id(&self.params)
    }

    /// `ron-bus+bus_batch+metrics_buf` (contender plus features ON).
    pub fn build_id(&self) -> String {
        let mut s = self.contender.clone();
        for f in &self.features {
            s.push('+');
            s.push_str(f);
        }
        s
    }
}

/// Order in which well-known params are printed in ids and labels.
const PARAM_ORDER: [&str; 3] = ["burst", "fanout", "cap"];

/// `burst=256/fanout=4/cap=2048/...`: well-known params first, the rest by name.
pub fn params_id(params: &BTreeMap<String, String>) -> String {
    ordered_params(params)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("/")
}

/// Params in display order (well-known first).
pub fn ordered_params(params: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = PARAM_ORDER
        .iter()
        .filter_map(|k| params.get(*k).map(|v| (*k, v.as_str())))
        .collect();
    out.extend(
        params
            .iter()
            .filter(|(k, _)| !PARAM_ORDER.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    out
}

/// One comparison: base values vs new values of one metric.
///
/// `paired` is true when base and new were interleaved round by round in one run (value `i`
/// of each side comes from round `i`); the comparison then resamples and tests rounds jointly.
/// If `paired` is set but the lengths differ, the comparison falls back to unpaired methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Cell {
    /// Unique id within a comparison family (also seeds the bootstrap for this cell).
    pub id: String,
    /// Identifying params: scenario, contender, features, burst, fanout, cap, reference, ...
    pub params: BTreeMap<String, String>,
    /// The metric compared.
    pub metric: Metric,
    /// Base (reference/baseline) run-level values.
    pub base: Vec<f64>,
    /// New (candidate) run-level values.
    pub new: Vec<f64>,
    /// Whether rounds are paired.
    pub paired: bool,
}
