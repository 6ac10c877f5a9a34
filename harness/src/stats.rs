//! Per-cell summary statistics over run-level values (one value per process run).
//!
//! Pure: no I/O, no clock, no panics on any input (empty input gives `n == 0` and zeros).
//! Deeper analysis (comparisons, gates) belongs to the report crate.

use serde::{Deserialize, Serialize};

/// Location and spread of a set of run-level values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Median (mean of the two middle values for even `n`).
    pub median: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator; 0 for n < 2).
    pub stddev: f64,
    /// Median absolute deviation from the median, unscaled (multiply by 1.4826 for a
    /// normal-consistent estimate of sigma, as criterion's `median_abs_dev` does).
    pub mad: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Coefficient of variation, `stddev / mean` (0 when the mean is 0).
    pub cv: f64,
}

impl Summary {
    /// Summarises `values` (non-finite values are ignored).
    pub fn of(values: &[f64]) -> Summary {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Summary::default();
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let stddev = if n < 2 {
            0.0
        } else {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        };
        let median = median_sorted(&v);
        let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
        dev.sort_by(f64::total_cmp);
        Summary {
            n,
            median,
            mean,
            stddev,
            mad: median_sorted(&dev),
            min: v[0],
            max: v[n - 1],
            cv: if mean == 0.0 { 0.0 } else { stddev / mean },
        }
    }
}

/// Median of unsorted values (0 for none).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    median_sorted(&v)
}

fn median_sorted(v: &[f64]) -> f64 {
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let s = Summary::of(&[4.0, 1.0, 3.0, 2.0, 10.0]);
        assert_eq!(s.n, 5);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.mean, 4.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 10.0);
        // deviations from 3: 1,2,0,1,7 -> sorted 0,1,1,2,7 -> 1
        assert_eq!(s.mad, 1.0);
        assert!((s.stddev - 12.5f64.sqrt()).abs() < 1e-12);
        assert!((s.cv - 12.5f64.sqrt() / 4.0).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert_eq!(Summary::of(&[]), Summary::default());
        let one = Summary::of(&[7.0]);
        assert_eq!(
            (one.median, one.stddev, one.cv, one.mad),
            (7.0, 0.0, 0.0, 0.0)
        );
        assert_eq!(Summary::of(&[f64::NAN, 2.0]).n, 1);
        assert_eq!(median(&[1.0, 2.0]), 1.5);
        assert_eq!(Summary::of(&[0.0, 0.0]).cv, 0.0);
    }
}
