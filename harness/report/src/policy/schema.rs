//! The raw TOML shape of a policy file (deserialized with spans, then validated).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::analysis::{GateKind, MetricKind};

/// What a gate compares against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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
    pub scenarios: Vec<Spanned<String>>,
    #[serde(default)]
    pub select: BTreeMap<String, Spanned<toml::Value>>,
    pub against: Against,
    pub candidate: Option<Spanned<RawSide>>,
    pub reference: Option<Spanned<RawSide>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSide {
    pub contender: Option<Spanned<String>>,
    pub contenders: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub features: Vec<Spanned<String>>,
    #[serde(default)]
    pub features_off: Vec<Spanned<String>>,
    #[serde(default)]
    pub best_of: Vec<Spanned<String>>,
}
