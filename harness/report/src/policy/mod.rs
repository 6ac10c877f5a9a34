//! Gate policies in TOML: which cells to compare, against what, and with which threshold.
//!
//! Two policies ship with the crate (embedded with `include_str!`, so a binary needs no
//! files): [`Policy::mog`] (`harness/gates/mog.toml`: the seed 001 acceptance gates A1..B5,
//! the seed 002 perf-gate thresholds and the comparables claim) and [`Policy::regression`]
//! (`harness/gates/regression.toml`: throughput -10%, p95 +10%, p99 no regression,
//! p999 +5%, CPU/RSS +15%).
//!
//! # Schema
//!
//! ```toml
//! name = "mog"                     # required
//! description = "..."              # optional
//! params = ["relevant_pct"]        # optional: extra param names selectors may use
//! include = ["perf_gate"]          # optional: built-in policies whose gates come first
//!
//! [[gate]]
//! id = "A1-subs4"                  # unique
//! description = "..."
//! kind = "acceptance"              # acceptance (>= threshold better) | regression (<= threshold worse)
//! metric = "deliveries_per_sec"    # publishes_per_sec deliveries_per_sec p50_ns p95_ns p99_ns
//!                                  # p999_ns cpu_ns peak_rss_bytes delivered_ratio ns_per_iter
//!                                  # instructions_per_msg
//! threshold_pct = 10.0             # >= 0; change of the metric value, oriented by direction
//! noise_limit_pct = 10.0           # optional; default threshold_pct (0 disables the noise rule)
//! scenarios = ["edge"]             # optional; steady burst_fanout lagged batched edge latency
//!                                  # mixed_topic steady_batch metrics_hot delivery lag_recover; empty = every
//! select = { fanout = [4], cap = [64] }   # optional param selectors on the candidate:
//!                                  #   <param> = [v, ...]  value in list (numbers compare numerically)
//!                                  #   <param>_min = 8     >= 8      <param>_max = 16   <= 16
//!                                  #   <param>_min = "burst"  >= the cell's own burst param
//! against = "reference"            # reference: candidate vs reference series of the same run
//!                                  # baseline:  new run vs stored baseline (same cell key)
//! candidate = { contender = "ron-bus", features = ["bus_edge_notify"] }
//! reference = { contender = "ron-bus" }
//! ```
//!
//! A side table has `contender = "..."` or `contenders = [...]` (ron-bus tokio-broadcast flume
//! crossbeam bus-crate, and `throttled` for power checks; empty = any for the candidate, the candidate's own contender for the
//! reference), `features = [...]` (must be ON), `features_off = [...]` (must be OFF) and, for
//! the reference only, `best_of = ["contender" | <param>, ...]`: the reference may differ from
//! the candidate in these dimensions and the best one (by median, direction-aware) is used,
//! e.g. "vs the best other contender" or "vs the best fixed cap".
//!
//! Pairing in `reference` mode: a reference series has the candidate's scenario, metric and
//! params (except `best_of` ones), and the same features once the features named by each side
//! are removed (so `metrics_buf,bus_edge_notify` pairs with `metrics_buf` for an A1 gate).
//!
//! Unknown keys, metrics, scenarios, contenders, features, selector params and `best_of`
//! dimensions are errors naming the file and line.

pub mod builtin;
mod plan;
mod schema;

use std::collections::BTreeSet;

use serde::Serialize;
use toml::Spanned;

use crate::analysis::{GateKind, MetricKind, Rule};
pub use plan::Plan;
pub use schema::Against;
use schema::{RawGate, RawPolicy, RawSide};

/// The names a policy may use, handed in by the program that measures the cells: ron-bench
/// passes its runner's scenarios, its contenders, its runner features and its knob table's
/// params, so this crate keeps no copy of any of them. An empty list checks nothing (for a
/// caller without a vocabulary, such as a doctest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// Scenario names (`steady`, `burst_fanout`, ...).
    pub scenarios: Vec<String>,
    /// Contender names (`ron-bus`, `tokio-broadcast`, ...).
    pub contenders: Vec<String>,
    /// Feature names (`bus_batch`, ...).
    pub features: Vec<String>,
    /// Cell parameters selectors may use; their values must be whole numbers.
    pub params: Vec<String>,
}

/// Most nested `include` levels.
pub const MAX_INCLUDE_DEPTH: usize = 4;

/// A policy file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// TOML syntax error, unknown key, or unknown metric/scenario/contender/feature name.
    #[error("{origin}:{line}:{column}: {message}")]
    Parse {
        /// File name or other origin label.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A well-formed gate whose content is invalid.
    #[error("{origin}:{line}: gate `{gate}`: {message}")]
    Invalid {
        /// File name or other origin label.
        origin: String,
        /// 1-based line.
        line: usize,
        /// Gate id.
        gate: String,
        /// What is wrong.
        message: String,
    },
    /// `Policy::only` was given an id the policy does not have.
    #[error("{origin}: no gate `{gate}` (known: {known})")]
    UnknownGate {
        /// File name or other origin label.
        origin: String,
        /// The id asked for.
        gate: String,
        /// Comma-separated known ids.
        known: String,
    },
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Policy {
    /// Policy name (`mog`, `regression`, ...).
    pub name: String,
    /// Description.
    pub description: String,
    /// Where it came from (file path or `embedded:mog.toml`).
    pub origin: String,
    /// The gates in file order.
    pub gates: Vec<GateSpec>,
}

/// One validated gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct GateSpec {
    /// Unique id.
    pub id: String,
    /// Description.
    pub description: String,
    /// Acceptance or regression.
    pub kind: GateKind,
    /// The metric gated.
    pub metric: MetricKind,
    /// Threshold in percent.
    pub threshold_pct: f64,
    /// Noise limit in percent (default: the threshold).
    pub noise_limit_pct: Option<f64>,
    /// Scenario names; empty = any.
    pub scenarios: Vec<String>,
    /// Param selectors applied to the candidate (new) side.
    pub select: Vec<Selector>,
    /// What the candidate is compared against.
    pub against: Against,
    /// Candidate filter.
    pub candidate: SideSpec,
    /// Reference filter (`against = "reference"` only).
    pub reference: SideSpec,
    /// 1-based line of the gate in its file.
    pub line: usize,
}

impl GateSpec {
    /// The analysis rule for this gate.
    pub fn rule(&self) -> Rule {
        Rule {
            gate_id: self.id.clone(),
            description: self.description.clone(),
            kind: self.kind,
            threshold_pct: self.threshold_pct,
            noise_limit_pct: self.noise_limit_pct,
            direction: self.metric.direction(),
        }
    }
}

/// Filter for one side of a comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SideSpec {
    /// Allowed contenders; empty = any (candidate) or the candidate's own (reference).
    pub contenders: Vec<String>,
    /// Features that must be ON.
    pub features_on: BTreeSet<String>,
    /// Features that must be OFF.
    pub features_off: BTreeSet<String>,
    /// Dimensions (`contender` or a param) in which the reference may differ; the best wins.
    pub best_of: Vec<String>,
}

/// A condition on one param of a cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Selector {
    /// The param's value is one of `values` (numeric comparison when both parse as numbers).
    OneOf {
        /// Param name.
        param: String,
        /// Allowed values.
        values: Vec<String>,
    },
    /// The param is `>=` the bound.
    AtLeast {
        /// Param name.
        param: String,
        /// Bound.
        bound: Bound,
    },
    /// The param is `<=` the bound.
    AtMost {
        /// Param name.
        param: String,
        /// Bound.
        bound: Bound,
    },
}

/// A selector bound: a constant or another param of the same cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// A constant.
    Value(f64),
    /// The value of another param of the same cell (e.g. `cap_min = "burst"`).
    Param(String),
}

impl Policy {
    /// The embedded MOG policy.
    pub fn mog(vocab: &Vocabulary) -> Result<Policy, PolicyError> {
        Policy::built_in("mog", vocab)
    }

    /// The embedded regression policy.
    pub fn regression(vocab: &Vocabulary) -> Result<Policy, PolicyError> {
        Policy::built_in("regression", vocab)
    }

    /// A built-in policy by name or alias ([`builtin::BUILT_IN`]).
    pub fn built_in(name: &str, vocab: &Vocabulary) -> Result<Policy, PolicyError> {
        let (text, origin) = builtin::source(name).ok_or_else(|| PolicyError::UnknownGate {
            origin: "built-in policies".into(),
            gate: name.into(),
            known: builtin::names().join(", "),
        })?;
        Policy::from_toml(text, &origin, vocab)
    }

    /// Parse and validate a policy. `origin` (usually the file path) prefixes error messages.
    /// `include = ["NAME", ...]` pulls in the gates of built-in policies first.
    /// Names are checked against `vocab`.
    pub fn from_toml(text: &str, origin: &str, vocab: &Vocabulary) -> Result<Policy, PolicyError> {
        Policy::parse_nested(text, origin, vocab, 0)
    }

    fn parse_nested(
        text: &str,
        origin: &str,
        vocab: &Vocabulary,
        depth: usize,
    ) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            PolicyError::Parse {
                origin: origin.into(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        let mut known = vocab.params.clone();
        known.extend(raw.params.iter().cloned());
        let ctx = Ctx {
            text,
            origin,
            known: &known,
            vocab,
        };
        let mut gates: Vec<GateSpec> = Vec::new();
        for g in &raw.gates {
            let spec = ctx.gate(g)?;
            if gates.iter().any(|o| o.id == spec.id) {
                return Err(ctx.invalid(&spec.id, g.span().start, "duplicate gate id".into()));
            }
            gates.push(spec);
        }
        // Included gates follow the file's own; an id in both is an error naming the include.
        for (name, g) in ctx.included(&raw, depth)? {
            if gates.iter().any(|o| o.id == g.id) {
                let why = format!("duplicate gate id `{}`", g.id);
                return Err(ctx.include_error(&name, &why));
            }
            gates.push(g);
        }
        Ok(Policy {
            name: raw.name,
            description: raw.description,
            origin: origin.into(),
            gates,
        })
    }

    /// A copy keeping only the named gates (error naming an unknown id).
    pub fn only(&self, ids: &[&str]) -> Result<Policy, PolicyError> {
        for id in ids {
            if !self.gates.iter().any(|g| g.id == *id) {
                return Err(PolicyError::UnknownGate {
                    origin: self.origin.clone(),
                    gate: (*id).into(),
                    known: self
                        .gates
                        .iter()
                        .map(|g| g.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        let mut p = self.clone();
        p.gates.retain(|g| ids.contains(&g.id.as_str()));
        Ok(p)
    }
}

/// 1-based (line, column) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, column)
}

struct Ctx<'a> {
    text: &'a str,
    origin: &'a str,
    known: &'a [String],
    vocab: &'a Vocabulary,
}

impl Ctx<'_> {
    /// The gates of the policies named by `include`, each with the include that brought it
    /// (built-ins only; at most [`MAX_INCLUDE_DEPTH`] levels, so a cycle is an error, not a
    /// hang).
    fn included(
        &self,
        raw: &RawPolicy,
        depth: usize,
    ) -> Result<Vec<(String, GateSpec)>, PolicyError> {
        let mut gates = Vec::new();
        for name in &raw.include {
            if depth >= MAX_INCLUDE_DEPTH {
                let why = format!("more than {MAX_INCLUDE_DEPTH} levels (a cycle?)");
                return Err(self.include_error(name, &why));
            }
            let (text, origin) = builtin::source(name).ok_or_else(|| {
                let why = format!("not a built-in policy ({})", builtin::names().join(", "));
                self.include_error(name, &why)
            })?;
            for g in Policy::parse_nested(text, &origin, self.vocab, depth + 1)?.gates {
                gates.push((name.clone(), g));
            }
        }
        Ok(gates)
    }

    /// An error about `include = [.. name ..]`, at the line that names it.
    fn include_error(&self, name: &str, why: &str) -> PolicyError {
        let at = self.text.find(&format!("\"{name}\"")).unwrap_or(0);
        let (line, column) = line_col(self.text, at);
        PolicyError::Parse {
            origin: self.origin.into(),
            line,
            column,
            message: format!("include `{name}`: {why}"),
        }
    }

    fn invalid(&self, gate: &str, offset: usize, message: String) -> PolicyError {
        PolicyError::Invalid {
            origin: self.origin.into(),
            line: line_col(self.text, offset).0,
            gate: gate.into(),
            message,
        }
    }

    fn gate(&self, g: &Spanned<RawGate>) -> Result<GateSpec, PolicyError> {
        let raw = g.get_ref();
        let id = raw.id.as_str();
        let t = *raw.threshold_pct.get_ref();
        if !(t.is_finite() && t >= 0.0) {
            let msg = format!("threshold_pct must be a finite number >= 0, got {t}");
            return Err(self.invalid(id, raw.threshold_pct.span().start, msg));
        }
        if let Some(n) = &raw.noise_limit_pct {
            if !(n.get_ref().is_finite() && *n.get_ref() >= 0.0) {
                let msg = "noise_limit_pct must be a finite number >= 0".into();
                return Err(self.invalid(id, n.span().start, msg));
            }
        }
        let select = raw
            .select
            .iter()
            .map(|(k, v)| self.selector(id, k, v))
            .collect::<Result<Vec<_>, _>>()?;
        let candidate = match &raw.candidate {
            Some(s) => self.side(id, s, false)?,
            None if raw.against == Against::Reference => {
                let msg = "against = \"reference\" needs a `candidate` table".into();
                return Err(self.invalid(id, g.span().start, msg));
            }
            None => SideSpec::default(),
        };
        let reference = match (&raw.reference, raw.against) {
            (Some(s), Against::Reference) => self.side(id, s, true)?,
            (None, Against::Reference) => {
                let msg = "against = \"reference\" needs a `reference` table".into();
                return Err(self.invalid(id, g.span().start, msg));
            }
            (Some(s), Against::Baseline) => {
                let msg = "`reference` is only allowed with against = \"reference\"".into();
                return Err(self.invalid(id, s.span().start, msg));
            }
            (None, Against::Baseline) => SideSpec::default(),
        };
        Ok(GateSpec {
            id: id.into(),
            description: raw.description.clone(),
            kind: raw.kind,
            metric: raw.metric,
            threshold_pct: t,
            noise_limit_pct: raw.noise_limit_pct.as_ref().map(|n| *n.get_ref()),
            scenarios: self.names(id, "scenario", &self.vocab.scenarios, &raw.scenarios)?,
            select,
            against: raw.against,
            candidate,
            reference,
            line: line_col(self.text, g.span().start).0,
        })
    }

    fn side(&self, id: &str, s: &Spanned<RawSide>, is_ref: bool) -> Result<SideSpec, PolicyError> {
        let raw = s.get_ref();
        let contenders = match (&raw.contender, &raw.contenders) {
            (Some(_), Some(_)) => {
                let msg = "use either `contender` or `contenders`, not both".into();
                return Err(self.invalid(id, s.span().start, msg));
            }
            (Some(one), None) => std::slice::from_ref(one),
            (None, Some(list)) => list.as_slice(),
            (None, None) => &[],
        };
        let contenders = self.names(id, "contender", &self.vocab.contenders, contenders)?;
        let features = &self.vocab.features;
        let mut best_of = Vec::new();
        for b in &raw.best_of {
            let name = b.get_ref();
            if !is_ref {
                let msg = "`best_of` is only allowed in the reference table".into();
                return Err(self.invalid(id, b.span().start, msg));
            }
            if name != "contender" && !self.vocab.params.is_empty() && !self.known.contains(name) {
                let msg = format!(
                    "unknown best_of dimension `{name}` (use `contender` or one of: {})",
                    self.known.join(", ")
                );
                return Err(self.invalid(id, b.span().start, msg));
            }
            best_of.push(name.clone());
        }
        Ok(SideSpec {
            contenders,
            features_on: self
                .names(id, "feature", features, &raw.features)?
                .into_iter()
                .collect(),
            features_off: self
                .names(id, "feature", features, &raw.features_off)?
                .into_iter()
                .collect(),
            best_of,
        })
    }

    /// `given`, each checked against `known` (an unknown name is an error at its line).
    fn names(
        &self,
        id: &str,
        what: &str,
        known: &[String],
        given: &[Spanned<String>],
    ) -> Result<Vec<String>, PolicyError> {
        given
            .iter()
            .map(|n| {
                if known.is_empty() || known.contains(n.get_ref()) {
                    Ok(n.get_ref().clone())
                } else {
                    let msg = format!(
                        "unknown {what} `{}` (expected one of: {})",
                        n.get_ref(),
                        known.join(", ")
                    );
                    Err(self.invalid(id, n.span().start, msg))
                }
            })
            .collect()
    }

    fn selector(
        &self,
        id: &str,
        key: &str,
        value: &Spanned<toml::Value>,
    ) -> Result<Selector, PolicyError> {
        let at = value.span().start;
        let (param, op) = if let Some(p) = key.strip_suffix("_min") {
            (p, 1)
        } else if let Some(p) = key.strip_suffix("_max") {
            (p, 2)
        } else {
            (key, 0)
        };
        if !self.vocab.params.is_empty() && !self.known.iter().any(|k| k == param) {
            let msg = format!(
                "unknown selector `{key}`: `{param}` is not a known param ({}; add it to the \
                 top-level `params` list)",
                self.known.join(", ")
            );
            return Err(self.invalid(id, at, msg));
        }
        if op == 0 {
            let items: Vec<&toml::Value> = match value.get_ref() {
                toml::Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            let values = items
                .iter()
                .map(|v| scalar(v))
                .collect::<Option<Vec<_>>>()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    let msg =
                        format!("selector `{key}` needs a non-empty list of numbers or strings");
                    self.invalid(id, at, msg)
                })?;
            let numeric = self.vocab.params.iter().any(|p| p == param);
            if let Some(bad) = values.iter().find(|v| numeric && v.parse::<u64>().is_err()) {
                let msg = format!("selector `{key}`: `{bad}` is not a whole number");
                return Err(self.invalid(id, at, msg));
            }
            return Ok(Selector::OneOf {
                param: param.into(),
                values,
            });
        }
        let bound = match value.get_ref() {
            toml::Value::Integer(i) => Bound::Value(*i as f64),
            toml::Value::Float(f) => Bound::Value(*f),
            toml::Value::String(s)
                if self.vocab.params.is_empty() || self.known.iter().any(|k| k == s) =>
            {
                Bound::Param(s.clone())
            }
            toml::Value::String(s) => {
                let msg = format!("selector `{key}`: `{s}` is not a known param");
                return Err(self.invalid(id, at, msg));
            }
            other => {
                let msg = format!(
                    "selector `{key}` needs a number or a known param name, got a {}",
                    other.type_str()
                );
                return Err(self.invalid(id, at, msg));
            }
        };
        let param = param.to_string();
        Ok(if op == 1 {
            Selector::AtLeast { param, bound }
        } else {
            Selector::AtMost { param, bound }
        })
    }
}

fn scalar(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}
