//! The report model: everything an exporter needs, computed once, serde-serializable and
//! schema-versioned (`ron-bench/report/v1`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::{
    summarize, AnalysisConfig, Cell, Check, Evaluation, GateKind, Interval, Metric, Outcome,
    RankTest, Series, Summary, Verdict,
};

/// Schema identifier written into every report.
pub const REPORT_SCHEMA: &str = "ron-bench/report/v1";

/// Context of a report. Everything here is passed in (the analysis reads no clock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Meta {
    /// PR label or run label (`<PR label>` in the NOTES title).
    pub label: String,
    /// `YYYY-MM-DD`, passed in by the caller.
    pub date: String,
    /// Baseline name (`core-2025-10-19`) or a description of the reference.
    pub baseline: String,
    /// Features ON in the candidate build.
    pub features_on: Vec<String>,
    /// One-line machine description (CPU, cores, OS, rustc).
    pub machine: String,
    /// The base side was measured on another machine.
    pub cross_machine: bool,
    /// Policy name and origin.
    pub policy: String,
    /// Analysis settings (correction, alpha, bootstrap, seed, strict).
    pub analysis: AnalysisConfig,
    /// Free-form notes and risks (one line each).
    pub notes: Vec<String>,
}

/// One (gate, cell) row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Row {
    /// Gate id.
    pub gate_id: String,
    /// Gate kind.
    pub gate_kind: GateKind,
    /// Gate threshold in percent (unsigned: a required gain or a tolerated loss).
    pub threshold_pct: f64,
    /// The rule in a few words, oriented by the metric: `within -5%`, `>= +15%` (see
    /// `Rule::describe`).
    #[serde(default)]
    pub rule: String,
    /// The limit as a signed change of the metric value: `-5` for a 5% regression tolerance
    /// on a throughput, `+15` for a 15% acceptance target (see `Rule::limit_pct`).
    #[serde(default)]
    pub limit_pct: f64,
    /// Cell id (empty when the gate matched no cell).
    pub cell: String,
    /// Benchmark name: the cell id without the metric (used by Bencher and critcmp).
    pub bench: String,
    /// Identifying params of the cell.
    pub params: BTreeMap<String, String>,
    /// The metric (`None` when the gate matched no cell).
    pub metric: Option<Metric>,
    /// Whether paired (round-by-round) methods were used.
    pub paired: bool,
    /// Base side summary.
    pub base: Option<Summary>,
    /// New side summary.
    pub new: Option<Summary>,
    /// Change of the metric in percent, `(ratio - 1) * 100`: with `paired` rounds the ratio is
    /// the median of the per-round ratios `new_i / base_i` (drift shared by a round cancels);
    /// otherwise the ratio of the medians `median(new) / median(base)`.
    pub delta_pct: Option<f64>,
    /// Percentile-bootstrap CI of `delta_pct` (same statistic, rounds resampled jointly when
    /// paired).
    pub ci_pct: Option<Interval>,
    /// Rank test used.
    pub test: Option<RankTest>,
    /// Raw p-value.
    pub p_value: Option<f64>,
    /// Adjusted p-value.
    pub q_value: Option<f64>,
    /// A deterministic count identical in every paired round: the change is exact, no rank
    /// test was needed (`q_value` is then `None`).
    #[serde(default)]
    pub exact: bool,
    /// Pooled CV in percent.
    pub noise_floor_pct: Option<f64>,
    /// Minimum detectable effect in percent.
    pub mde_pct: Option<f64>,
    /// Rounds the verdict was decided on (the smaller side); `None` without a comparison.
    #[serde(default)]
    pub rounds: Option<usize>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in one line with the numbers that decided it (statistics, then `why`).
    pub reason: String,
    /// Why, in a few words without the statistics (`within tolerance 5%`, `noise too high:
    /// MDE 7.2% > 5%`): the reason column of tables that show the numbers in other columns.
    #[serde(default)]
    pub why: String,
}

/// Wake metric deltas (candidate minus reference), for A1/A5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct WakeMetrics {
    /// Delta of `bus_notify_sends_total`.
    pub notify_sends_delta: i64,
    /// Delta of `bus_notify_suppressed_total`.
    pub notify_suppressed_delta: i64,
}

impl WakeMetrics {
    /// `suppressed / (sends + suppressed)` in percent; `None` when the denominator is 0.
    pub fn suppression_pct(&self) -> Option<f64> {
        let total = self.notify_sends_delta + self.notify_suppressed_delta;
        (total != 0).then(|| self.notify_suppressed_delta as f64 / total as f64 * 100.0)
    }
}

/// Counter sanity numbers for the NOTES block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CounterSanity {
    /// `bus_receiver_lag_total` on the base side.
    pub lag_total_base: Option<u64>,
    /// `bus_receiver_lag_total` on the new side.
    pub lag_total_new: Option<u64>,
    /// Delta of `bus_batch_publish_total`.
    pub batch_publish_delta: Option<i64>,
    /// `bus_batch_len` p50.
    pub batch_len_p50: Option<f64>,
    /// `bus_batch_len` p95.
    pub batch_len_p95: Option<f64>,
}

/// A measured series reduced to its summary (used by the scaling chart and heatmap).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Point {
    /// Scenario.
    pub scenario: String,
    /// Contender.
    pub contender: String,
    /// Features ON.
    pub features: Vec<String>,
    /// Params.
    pub params: BTreeMap<String, String>,
    /// Metric.
    pub metric: Metric,
    /// Summary of the run-level values.
    pub summary: Summary,
}

/// What to do with the change, derived once from the verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every check passed.
    Ship,
    /// A target was missed or the data could not decide; no regression.
    Adjust,
    /// At least one regression gate regressed.
    Revert,
}

impl Decision {
    /// Lower-case word used in the NOTES block.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Ship => "ship",
            Decision::Adjust => "adjust",
            Decision::Revert => "revert",
        }
    }

    /// Decision from verdicts.
    pub fn from_rows(rows: &[Row]) -> Decision {
        if rows.iter().any(|r| r.verdict == Verdict::Regressed) {
            Decision::Revert
        } else if rows.iter().any(|r| {
            matches!(
                r.verdict,
                Verdict::Failed | Verdict::Inconclusive | Verdict::Missing
            )
        }) {
            Decision::Adjust
        } else {
            Decision::Ship
        }
    }
}

/// A complete report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: String,
    /// Context.
    pub meta: Meta,
    /// One row per check.
    pub rows: Vec<Row>,
    /// Wake metrics, when collected.
    pub wake: Option<WakeMetrics>,
    /// Counter sanity, when collected.
    pub counters: Option<CounterSanity>,
    /// Summaries of measured series for charts (may be empty).
    pub points: Vec<Point>,
    /// Ship / adjust / revert.
    pub decision: Decision,
    /// Overall outcome and exit code.
    pub outcome: Outcome,
    /// The Amdahl tracker, when components were given ([`crate::tracker`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amdahl: Option<crate::tracker::AmdahlSummary>,
}

impl Report {
    /// Assemble a report from the cells and checks of a plan and their evaluation.
    pub fn build(meta: Meta, cells: &[Cell], checks: &[Check], eval: &Evaluation) -> Report {
        let rows: Vec<Row> = checks
            .iter()
            .zip(&eval.verdicts)
            .map(|(check, v)| {
                let cell = check.cell.and_then(|i| cells.get(i));
                let cmp = check
                    .cell
                    .and_then(|i| eval.comparisons.get(i))
                    .and_then(|c| c.as_ref().ok());
                let bench = cell
                    .map(|c| c.id.replacen(&format!(":{}", c.metric.name), "", 1))
                    .unwrap_or_default();
                Row {
                    gate_id: check.rule.gate_id.clone(),
                    gate_kind: check.rule.kind,
                    threshold_pct: check.rule.threshold_pct,
                    rule: v.rule.clone(),
                    limit_pct: v.limit_pct,
                    cell: v.cell_id.clone(),
                    bench,
                    params: cell.map(|c| c.params.clone()).unwrap_or_default(),
                    metric: cell.map(|c| c.metric.clone()),
                    paired: cmp.map(|c| c.paired).unwrap_or(false),
                    base: cmp
                        .map(|c| c.base.clone())
                        .or_else(|| cell.and_then(|c| summarize(&c.base))),
                    new: cmp
                        .map(|c| c.new.clone())
                        .or_else(|| cell.and_then(|c| summarize(&c.new))),
                    delta_pct: cmp.map(|c| c.change_pct),
                    ci_pct: cmp.and_then(|c| c.ci_pct),
                    test: cmp.and_then(|c| c.test.as_ref().map(|t| t.test)),
                    p_value: cmp.and_then(|c| c.p_value),
                    q_value: cmp.and_then(|c| c.q_value),
                    exact: cmp.is_some_and(|c| c.exact),
                    noise_floor_pct: cmp.and_then(|c| c.noise_floor_pct),
                    mde_pct: cmp.and_then(|c| c.mde_pct),
                    rounds: v.rounds,
                    verdict: v.verdict,
                    reason: v.reason.clone(),
                    why: v.why.clone(),
                }
            })
            .collect();
        Report {
            schema: REPORT_SCHEMA.into(),
            decision: Decision::from_rows(&rows),
            outcome: eval.outcome.clone(),
            meta,
            rows,
            wake: None,
            counters: None,
            amdahl: None,
            points: Vec::new(),
        }
    }

    /// Attach summaries of measured series (for charts). Series without usable values are
    /// skipped.
    pub fn with_points(mut self, series: &[Series]) -> Report {
        self.points = series
            .iter()
            .filter_map(|s| {
                Some(Point {
                    scenario: s.scenario.clone(),
                    contender: s.contender.clone(),
                    features: s.features.iter().cloned().collect(),
                    params: s.params.clone(),
                    metric: s.metric.clone(),
                    summary: summarize(&s.values)?,
                })
            })
            .collect();
        self
    }

    /// Attach wake metrics.
    pub fn with_wake(mut self, wake: WakeMetrics) -> Report {
        self.wake = Some(wake);
        self
    }

    /// Attach counter sanity numbers.
    pub fn with_counters(mut self, counters: CounterSanity) -> Report {
        self.counters = Some(counters);
        self
    }

    /// Read a report back from JSON, checking the schema version.
    pub fn from_json(text: &str) -> Result<Report, ReportError> {
        let report: Report = serde_json::from_str(text).map_err(|e| ReportError::Json {
            line: e.line(),
            message: e.to_string(),
        })?;
        if report.schema != REPORT_SCHEMA {
            return Err(ReportError::Schema {
                found: report.schema,
            });
        }
        Ok(report)
    }
}

/// A report file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// Malformed JSON.
    #[error("report JSON line {line}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// Parser message.
        message: String,
    },
    /// A different schema version.
    #[error("report schema `{found}` is not supported (expected `{REPORT_SCHEMA}`)")]
    Schema {
        /// The schema found.
        found: String,
    },
}
