//! The raw TOML shape of a policy file (deserialized with spans, then validated).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::analysis::{GateKind, MetricKind};

/// Scenario names the harness runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ScenarioName {
    Steady,
    BurstFanout,
    Lagged,
    Batched,
    Edge,
    Latency,
    MixedTopic,
    SteadyBatch,
    MetricsHot,
    Delivery,
    LagRecover,
}

impl ScenarioName {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ScenarioName::Steady => "steady",
            ScenarioName::BurstFanout => "burst_fanout",
            ScenarioName::Lagged => "lagged",
            ScenarioName::Batched => "batched",
            ScenarioName::Edge => "edge",
            ScenarioName::Latency => "latency",
            ScenarioName::MixedTopic => "mixed_topic",
            ScenarioName::SteadyBatch => "steady_batch",
            ScenarioName::MetricsHot => "metrics_hot",
            ScenarioName::Delivery => "delivery",
            ScenarioName::LagRecover => "lag_recover",
        }
    }
}

/// Contender names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ContenderName {
    RonBus,
    TokioBroadcast,
    Flume,
    Crossbeam,
    BusCrate,
    /// ron-bus plus calibrated extra spins per publish (ron-bench's power check).
    Throttled,
}

impl ContenderName {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ContenderName::RonBus => "ron-bus",
            ContenderName::TokioBroadcast => "tokio-broadcast",
            ContenderName::Flume => "flume",
            ContenderName::Crossbeam => "crossbeam",
            ContenderName::BusCrate => "bus-crate",
            ContenderName::Throttled => "throttled",
        }
    }
}

/// Cargo features of ron-bus / ron-metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FeatureName {
    BusEdgeNotify,
    BusBatch,
    BusAutotuneCap,
    MetricsBuf,
    BusSoa,
    BusInterest,
    BusCoalesce,
    LocalDispatch,
}

impl FeatureName {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FeatureName::BusEdgeNotify => "bus_edge_notify",
            FeatureName::BusBatch => "bus_batch",
            FeatureName::BusAutotuneCap => "bus_autotune_cap",
            FeatureName::MetricsBuf => "metrics_buf",
            FeatureName::BusSoa => "bus_soa",
            FeatureName::BusInterest => "bus_interest",
            FeatureName::BusCoalesce => "bus_coalesce",
            FeatureName::LocalDispatch => "local_dispatch",
        }
    }
}

/// What a gate compares against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Against {
    /// New run vs a stored baseline (or build A vs build B of an A/B run): series with the
    /// same scenario, contender, features, params and metric are paired.
    Baseline,
    /// Candidate series vs reference series of the same run, chosen by the `candidate` and
    /// `reference` tables.
    Reference,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub params: Vec<String>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default, rename = "gate")]
    pub gates: Vec<Spanned<RawGate>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGate {
    pub id: String,
    pub description: String,
    pub kind: GateKind,
    pub metric: MetricKind,
    pub threshold_pct: Spanned<f64>,
    pub noise_limit_pct: Option<Spanned<f64>>,
    #[serde(default)]
    pub scenarios: Vec<ScenarioName>,
    #[serde(default)]
    pub select: BTreeMap<String, Spanned<toml::Value>>,
    pub against: Against,
    pub candidate: Option<Spanned<RawSide>>,
    pub reference: Option<Spanned<RawSide>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSide {
    pub contender: Option<ContenderName>,
    pub contenders: Option<Vec<ContenderName>>,
    #[serde(default)]
    pub features: Vec<FeatureName>,
    #[serde(default)]
    pub features_off: Vec<FeatureName>,
    #[serde(default)]
    pub best_of: Vec<Spanned<String>>,
}
