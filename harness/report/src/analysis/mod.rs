//! Pure statistics, comparison and gate evaluation.
//!
//! Nothing in this module touches the file system, the clock or stdout, and nothing panics on
//! user data: empty or non-finite input comes back as `None` or an error value. The only
//! randomness is the bootstrap, driven by a seed carried in [`AnalysisConfig`] (one ChaCha8
//! stream per cell, keyed by the cell id, so adding a cell never changes another cell's CI).
//!
//! Pipeline: [`Cell`]s (base vs new run-level values) -> [`compare`] -> [`Comparison`] ->
//! [`adjust_p_values`] across the family -> [`gate`] with a [`Rule`] -> [`GateVerdict`] ->
//! [`Outcome`]. [`evaluate`] runs the whole pipeline once; every exporter and the exit code
//! read its result instead of re-deciding anything.

mod adjust;
mod amdahl;
mod bootstrap;
mod calibrate;
mod changepoint;
mod compare;
mod gate;
mod model;
mod rank;
mod summary;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use adjust::{adjust_p_values, Correction};
pub use amdahl::{amdahl, required_speedup, AmdahlError};
pub use calibrate::{
    detection_rate, false_alarm_rate, inject_slowdown, DetectionPoint, FalseAlarmRate,
};
pub use changepoint::{change_points, ChangePoint, ChangePointConfig};
pub use compare::{compare, CompareConfig, CompareError, Comparison, Interval, MdeFormula};
pub use gate::{
    fmt_p, fmt_signed_pct, gate, missing_gate, GateConfig, GateKind, GateVerdict, Outcome, Rule,
    Verdict, VerdictCounts, EXIT_GATE_FAILED, EXIT_PASS,
};
pub use model::{ordered_params, params_id, Cell, Direction, Metric, MetricKind, Series};
pub use rank::{
    mann_whitney_u, min_attainable_p, normal_cdf, normal_quantile, wilcoxon_signed_rank, PMethod,
    RankTest, RankTestResult,
};
pub use summary::{summarize, Summary, MAD_SCALE};

/// One gate rule applied to one cell of a cell list (`cell: None` when the gate matched no
/// cell, which yields a `Missing` verdict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Check {
    /// The rule.
    pub rule: Rule,
    /// Index into the cell list.
    pub cell: Option<usize>,
}

/// Everything [`evaluate`] needs besides the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AnalysisConfig {
    /// Bootstrap and MDE settings.
    pub compare: CompareConfig,
    /// Gate settings (alpha, minimum rounds, noise rule, cross-machine flag).
    pub gate: GateConfig,
    /// Multiple-comparison correction across all cells.
    pub correction: Correction,
    /// Bootstrap seed.
    pub seed: u64,
    /// Inconclusive and missing verdicts fail the run.
    pub strict: bool,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            compare: CompareConfig::default(),
            gate: GateConfig::default(),
            correction: Correction::BenjaminiHochberg,
            seed: 0x5eed_7e1c,
            strict: false,
        }
    }
}

/// The result of [`evaluate`]: one comparison per cell, one verdict per check, the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Evaluation {
    /// `comparisons[i]` belongs to `cells[i]`, with `q_value` filled in.
    pub comparisons: Vec<Result<Comparison, CompareError>>,
    /// `verdicts[j]` belongs to `checks[j]`.
    pub verdicts: Vec<GateVerdict>,
    /// Overall result.
    pub outcome: Outcome,
}

/// FNV-1a 64-bit, used to derive a per-cell bootstrap stream from the cell id.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The seeded RNG used for a cell (exposed so callers can reproduce one cell's CI).
pub fn cell_rng(seed: u64, cell_id: &str) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ fnv1a(cell_id))
}

/// Compare every cell, adjust p-values across the family (cells with a p-value), then gate
/// every check. Out-of-range cell indices are treated as missing.
pub fn evaluate(cells: &[Cell], checks: &[Check], cfg: &AnalysisConfig) -> Evaluation {
    let mut comparisons: Vec<Result<Comparison, CompareError>> = cells
        .iter()
        .map(|c| compare(c, &cfg.compare, &mut cell_rng(cfg.seed, &c.id)))
        .collect();
    let family: Vec<(usize, f64)> = comparisons
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.as_ref()
                .ok()
                .filter(|c| !c.exact)
                .and_then(|c| c.p_value)
                .map(|p| (i, p))
        })
        .collect();
    let raw: Vec<f64> = family.iter().map(|(_, p)| *p).collect();
    let adjusted = adjust_p_values(&raw, cfg.correction);
    for ((i, _), q) in family.iter().zip(adjusted) {
        if let Ok(c) = &mut comparisons[*i] {
            c.q_value = Some(q);
        }
    }
    let verdicts: Vec<GateVerdict> = checks
        .iter()
        .map(|check| {
            match check
                .cell
                .and_then(|i| cells.get(i).zip(comparisons.get(i)))
            {
                Some((cell, cmp)) => {
                    gate(cmp.as_ref(), cell.metric.direction, &check.rule, &cfg.gate)
                }
                None => missing_gate(&check.rule, &cfg.gate),
            }
        })
        .collect();
    let outcome = Outcome::from_verdicts(&verdicts, cfg.strict);
    Evaluation {
        comparisons,
        verdicts,
        outcome,
    }
}
