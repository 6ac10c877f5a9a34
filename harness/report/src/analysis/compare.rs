//! Comparison of one cell: effect size, bootstrap CI, rank test, noise floor and MDE.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::bootstrap::{median_paired_ratio, paired_log_ratios, ratio_ci};
use super::model::Cell;
use super::rank::{
    mann_whitney_u, min_attainable_p, normal_quantile, wilcoxon_signed_rank, RankTestResult,
};
use super::summary::{median_in_place, summarize, Summary};

/// Knobs of [`compare`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CompareConfig {
    /// Bootstrap resamples (default 10 000).
    pub resamples: usize,
    /// Confidence level of the ratio CI (default 0.95).
    pub confidence: f64,
    /// Significance level used by the minimum detectable effect (default 0.05).
    pub alpha: f64,
    /// Power used by the minimum detectable effect (default 0.8).
    pub power: f64,
}

impl Default for CompareConfig {
    fn default() -> Self {
        CompareConfig {
            resamples: 10_000,
            confidence: 0.95,
            alpha: 0.05,
            power: 0.8,
        }
    }
}

/// Which formula produced the minimum detectable effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MdeFormula {
    /// `(z_{1-a/2} + z_{1-b}) * CV_pooled * sqrt(1/n_base + 1/n_new)` (two independent samples;
    /// with `n` rounds per side this is the FIELD_NOTES rule `~3.96 * CV / sqrt(n)`).
    Unpaired,
    /// `(z_{1-a/2} + z_{1-b}) * s / sqrt(n)` with `s = 1.4826 * MAD(ln(new_i / base_i))`
    /// (paired rounds: the round-to-round drift shared by both sides cancels; the robust
    /// scale matches the median-of-ratios estimate and ignores the occasional round where one
    /// process landed in the VM's slow mode). Falls back to the sample sd when the MAD is 0.
    Paired,
}

/// A closed interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// The comparison of one cell. Percentages are changes of the metric value `new` vs `base`
/// (`+5` means the new median is 5% larger), independent of the metric's direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Comparison {
    /// The cell id.
    pub cell_id: String,
    /// Whether paired methods were used (the cell was paired and both sides have equal length).
    pub paired: bool,
    /// Summary of the base side.
    pub base: Summary,
    /// Summary of the new side.
    pub new: Summary,
    /// `median(new) / median(base)`.
    pub ratio: f64,
    /// `(ratio - 1) * 100`.
    pub change_pct: f64,
    /// Percentile-bootstrap CI of the change in percent; `None` with fewer than 2 values a side.
    pub ci_pct: Option<Interval>,
    /// Confidence level of `ci_pct`.
    pub confidence: f64,
    /// Rank test (Wilcoxon when paired, Mann-Whitney otherwise); `None` with fewer than 2
    /// values a side.
    pub test: Option<RankTestResult>,
    /// Raw two-sided p-value of `test`.
    pub p_value: Option<f64>,
    /// p-value adjusted across the family (filled by [`super::evaluate`]).
    pub q_value: Option<f64>,
    /// Smallest p-value the test can reach with these sample sizes.
    pub min_attainable_p: f64,
    /// Noise floor: pooled CV of both sides `sqrt((cv_b^2 + cv_n^2) / 2)`, in percent.
    pub noise_floor_pct: Option<f64>,
    /// Minimum detectable effect at `alpha`/`power`, in percent (see `mde_formula`).
    pub mde_pct: Option<f64>,
    /// Formula behind `mde_pct`.
    pub mde_formula: MdeFormula,
    /// The metric is deterministic (instruction counts), the rounds are paired, there are at
    /// least [`EXACT_MIN_ROUNDS`] and every round gave the same ratio (within
    /// [`EXACT_SPREAD`]): the change is a fact about the two binaries, not an estimate, so no
    /// rank test is needed to call it (the gate treats it as significant; it is left out of
    /// the multiple-comparison family).
    #[serde(default)]
    pub exact: bool,
}

/// Largest spread (max - min) of per-round log ratios that still counts as exact: 0.05%.
pub const EXACT_SPREAD: f64 = 5e-4;
/// Fewest paired rounds an exact comparison needs.
pub const EXACT_MIN_ROUNDS: usize = 3;

/// Whether every paired round of a deterministic metric gave the same ratio.
fn exact(cell: &Cell, paired: bool) -> bool {
    let deterministic = super::model::MetricKind::from_name(&cell.metric.name)
        .is_some_and(super::model::MetricKind::deterministic);
    if !(deterministic && paired && cell.base.len() >= EXACT_MIN_ROUNDS) {
        return false;
    }
    paired_log_ratios(&cell.base, &cell.new).is_some_and(|d| {
        let lo = d.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        hi - lo <= EXACT_SPREAD
    })
}

/// Why a cell could not be compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CompareError {
    /// One side has no values.
    #[error("cell `{cell}`: the {side} side has no data")]
    EmptySide {
        /// Cell id.
        cell: String,
        /// `base` or `new`.
        side: String,
    },
    /// A value is NaN or infinite.
    #[error("cell `{cell}`: {side} value #{index} is not a finite number")]
    NonFinite {
        /// Cell id.
        cell: String,
        /// `base` or `new`.
        side: String,
        /// Position of the offending value.
        index: usize,
    },
    /// The base median is zero or negative, so the ratio is undefined.
    #[error("cell `{cell}`: base median is {median}; a ratio needs a positive base")]
    NonPositiveBase {
        /// Cell id.
        cell: String,
        /// The base median.
        median: f64,
    },
}

impl CompareError {
    /// The error in a few words, without the cell id (for tables that show the cell).
    pub fn short(&self) -> String {
        match self {
            CompareError::EmptySide { side, .. } => format!("no {side} data"),
            CompareError::NonFinite { side, index, .. } => {
                format!("{side} value #{index} is not a finite number")
            }
            CompareError::NonPositiveBase { median, .. } => {
                format!("base median is {median}: no ratio")
            }
        }
    }
}

fn check_side(cell: &Cell, side: &str, values: &[f64]) -> Result<Summary, CompareError> {
    if let Some(index) = values.iter().position(|v| !v.is_finite()) {
        return Err(CompareError::NonFinite {
            cell: cell.id.clone(),
            side: side.into(),
            index,
        });
    }
    summarize(values).ok_or_else(|| CompareError::EmptySide {
        cell: cell.id.clone(),
        side: side.into(),
    })
}

/// Compare one cell. Pure: the only source of randomness is `rng` (seed it for reproducible
/// CIs). `q_value` is left `None`; [`super::evaluate`] fills it across the family.
pub fn compare<R: Rng + ?Sized>(
    cell: &Cell,
    cfg: &CompareConfig,
    rng: &mut R,
) -> Result<Comparison, CompareError> {
    let base = check_side(cell, "base", &cell.base)?;
    let new = check_side(cell, "new", &cell.new)?;
    if base.median <= 0.0 {
        return Err(CompareError::NonPositiveBase {
            cell: cell.id.clone(),
            median: base.median,
        });
    }
    let paired = cell.paired && cell.base.len() == cell.new.len();
    // Paired rounds: median of per-round ratios (drift cancels inside a round); otherwise the
    // ratio of medians. The bootstrap CI below uses the same statistic.
    let ratio = paired
        .then(|| paired_log_ratios(&cell.base, &cell.new))
        .flatten()
        .and_then(|logs| median_paired_ratio(&logs))
        .unwrap_or(new.median / base.median);
    let enough = base.n >= 2 && new.n >= 2;
    let ci_pct = if enough {
        ratio_ci(
            &cell.base,
            &cell.new,
            paired,
            cfg.resamples,
            cfg.confidence,
            rng,
        )
        .map(|(lo, hi)| Interval {
            lo: (lo - 1.0) * 100.0,
            hi: (hi - 1.0) * 100.0,
        })
    } else {
        None
    };
    let test = if !enough {
        None
    } else if paired {
        wilcoxon_signed_rank(&cell.base, &cell.new)
    } else {
        mann_whitney_u(&cell.base, &cell.new)
    };
    let noise_floor_pct = match (base.cv, new.cv) {
        (Some(a), Some(b)) if enough => Some(((a * a + b * b) / 2.0).sqrt() * 100.0),
        _ => None,
    };
    let (mde_pct, mde_formula) = mde(cell, cfg, paired, enough, noise_floor_pct);
    Ok(Comparison {
        cell_id: cell.id.clone(),
        paired,
        ratio,
        change_pct: (ratio - 1.0) * 100.0,
        ci_pct,
        confidence: cfg.confidence,
        p_value: test.as_ref().map(|t| t.p_value),
        test,
        q_value: None,
        min_attainable_p: min_attainable_p(base.n, new.n, paired),
        noise_floor_pct,
        mde_pct,
        mde_formula,
        exact: exact(cell, paired),
        base,
        new,
    })
}

/// The minimum detectable effect (%): from the sd of the per-round log ratios when paired,
/// else from the noise floor and both sample sizes.
fn mde(
    cell: &Cell,
    cfg: &CompareConfig,
    paired: bool,
    enough: bool,
    noise_floor_pct: Option<f64>,
) -> (Option<f64>, MdeFormula) {
    let z = z_sum(cfg);
    let (nb, nn) = (cell.base.len() as f64, cell.new.len() as f64);
    if paired {
        let mde = paired_log_sd(&cell.base, &cell.new)
            .filter(|_| enough)
            .map(|sd| z * sd / nb.sqrt() * 100.0);
        (mde, MdeFormula::Paired)
    } else {
        let mde = noise_floor_pct.map(|cv| z * cv * (1.0 / nb + 1.0 / nn).sqrt());
        (mde, MdeFormula::Unpaired)
    }
}

/// `z_{1-alpha/2} + z_{power}`; 2.80 for alpha 0.05 and power 0.8.
fn z_sum(cfg: &CompareConfig) -> f64 {
    let za = normal_quantile(1.0 - cfg.alpha / 2.0).unwrap_or(1.959_964);
    let zb = normal_quantile(cfg.power).unwrap_or(0.841_621);
    za + zb
}

/// Robust scale of `ln(new_i / base_i)`: `1.4826 * MAD`, or the sample sd when the MAD is 0;
/// `None` unless all values are positive and n >= 2.
fn paired_log_sd(base: &[f64], new: &[f64]) -> Option<f64> {
    let d = paired_log_ratios(base, new).filter(|d| d.len() >= 2)?;
    let mut work = d.clone();
    let med = median_in_place(&mut work)?;
    let mut dev: Vec<f64> = d.iter().map(|x| (x - med).abs()).collect();
    let mad = median_in_place(&mut dev)? * 1.4826;
    if mad > 0.0 {
        return Some(mad);
    }
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (d.len() - 1) as f64;
    Some(var.sqrt())
}
