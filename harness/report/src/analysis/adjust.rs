//! Multiple-comparison control across a matrix of cells.

use serde::{Deserialize, Serialize};

/// How raw p-values are adjusted across the family of cells in one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Benjamini-Hochberg step-up: controls the false discovery rate (default).
    #[default]
    BenjaminiHochberg,
    /// Holm step-down: controls the family-wise error rate (uniformly better than Bonferroni).
    Holm,
    /// No adjustment (q = p). Only sensible for a single comparison.
    None,
}

impl Correction {
    /// Human name for reports.
    pub fn label(self) -> &'static str {
        match self {
            Correction::BenjaminiHochberg => "Benjamini-Hochberg (FDR)",
            Correction::Holm => "Holm (FWER)",
            Correction::None => "none",
        }
    }
}

/// Adjust p-values. The output has the same order as the input; every adjusted value is
/// `>= ` its raw value, `<= 1`, and adjusted values are monotone in the raw values.
/// Non-finite or out-of-range inputs are treated as 1.
///
/// ```
/// use ron_bench_report::analysis::{adjust_p_values, Correction};
/// let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
/// let q = adjust_p_values(&[0.01, 0.04, 0.03], Correction::BenjaminiHochberg);
/// assert!(close(&q, &[0.03, 0.04, 0.04]));
/// let h = adjust_p_values(&[0.01, 0.04, 0.03], Correction::Holm);
/// assert!(close(&h, &[0.03, 0.06, 0.06]));
/// ```
pub fn adjust_p_values(p: &[f64], method: Correction) -> Vec<f64> {
    let clean: Vec<f64> = p
        .iter()
        .map(|&v| if (0.0..=1.0).contains(&v) { v } else { 1.0 })
        .collect();
    let m = clean.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| clean[a].total_cmp(&clean[b]).then(a.cmp(&b)));
    let mut out = vec![1.0; m];
    match method {
        Correction::None => return clean,
        Correction::BenjaminiHochberg => {
            // q_(i) = min_{j >= i} m / j * p_(j), walked from the largest p down.
            let mut running = 1.0f64;
            for (rank0, &i) in order.iter().enumerate().rev() {
                let v = (clean[i] * m as f64 / (rank0 + 1) as f64).min(1.0);
                running = running.min(v);
                out[i] = running;
            }
        }
        Correction::Holm => {
            // adj_(i) = max_{j <= i} (m - j + 1) p_(j), walked from the smallest p up.
            let mut running = 0.0f64;
            for (rank0, &i) in order.iter().enumerate() {
                let v = (clean[i] * (m - rank0) as f64).min(1.0);
                running = running.max(v);
                out[i] = running;
            }
        }
    }
    // Guard against floating-point drift below the raw value.
    for (o, c) in out.iter_mut().zip(&clean) {
        *o = o.max(*c);
    }
    out
}
