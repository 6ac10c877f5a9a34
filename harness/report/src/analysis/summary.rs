//! Descriptive statistics of one side of a cell (run-level values).

use serde::{Deserialize, Serialize};

/// Descriptive statistics of a set of run-level values.
///
/// Quantiles use linear interpolation between order statistics (Hyndman & Fan type 7, the
/// default of R and NumPy). `mad` is the median absolute deviation scaled by 1.4826 so that it
/// estimates the standard deviation of normal data (the same convention as criterion's
/// `median_abs_dev`). `std_dev` is the sample standard deviation (n - 1 denominator; 0 for n = 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Median (equal to `p50`).
    pub median: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator).
    pub std_dev: f64,
    /// Median absolute deviation, scaled by 1.4826.
    pub mad: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Coefficient of variation `std_dev / mean` as a fraction; `None` when the mean is 0.
    pub cv: Option<f64>,
    /// 50th percentile.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// Scale factor turning the raw MAD into a consistent estimator of sigma for normal data.
pub const MAD_SCALE: f64 = 1.4826;

/// Summarize `values`. Returns `None` for an empty slice or when any value is not finite.
///
/// ```
/// use ron_bench_report::analysis::summarize;
/// let s = summarize(&[3.0, 1.0, 2.0]).unwrap();
/// assert_eq!((s.n, s.median, s.min, s.max), (3, 2.0, 1.0, 3.0));
/// assert!(summarize(&[]).is_none());
/// assert!(summarize(&[1.0, f64::NAN]).is_none());
/// ```
pub fn summarize(values: &[f64]) -> Option<Summary> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    let std_dev = var.sqrt();
    let median = quantile_sorted(&sorted, 0.5);
    let mut dev: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = quantile_sorted(&dev, 0.5) * MAD_SCALE;
    let cv = if mean != 0.0 {
        Some(std_dev / mean.abs())
    } else {
        None
    };
    Some(Summary {
        n,
        median,
        mean,
        std_dev,
        mad,
        min: sorted[0],
        max: sorted[n - 1],
        cv,
        p50: median,
        p95: quantile_sorted(&sorted, 0.95),
        p99: quantile_sorted(&sorted, 0.99),
    })
}

/// Type-7 quantile of an ascending, non-empty slice; `q` is clamped to `[0, 1]`.
/// Returns `NaN` for an empty slice (callers in this crate never pass one).
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Median of finite values without allocating a sorted copy of the caller's data
/// (reorders `scratch`). `None` when empty.
pub(crate) fn median_in_place(scratch: &mut [f64]) -> Option<f64> {
    let n = scratch.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    let (_, upper, _) = scratch.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = scratch[..mid]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    Some((lower + upper) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert!((s.p95 - 3.85).abs() < 1e-12);
        assert!((s.mean - 2.5).abs() < 1e-12);
        assert!((s.std_dev - 1.290_994_448_735_805_6).abs() < 1e-12);
    }

    #[test]
    fn single_value_has_zero_spread() {
        let s = summarize(&[5.0]).unwrap();
        assert_eq!((s.std_dev, s.mad, s.cv), (0.0, 0.0, Some(0.0)));
    }

    #[test]
    fn median_in_place_matches_summary() {
        for v in [
            vec![3.0, 1.0],
            vec![5.0, 1.0, 4.0, 2.0, 3.0],
            vec![2.0, 9.0, 4.0, 7.0],
        ] {
            let m = median_in_place(&mut v.clone()).unwrap();
            assert_eq!(m, summarize(&v).unwrap().median);
        }
        assert!(median_in_place(&mut []).is_none());
    }
}
