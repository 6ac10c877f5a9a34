//! The stored form of a per-cell summary over run-level values (one value per process run).
//!
//! The statistics themselves are computed once, by `ron_bench_report::analysis::summarize`
//! (the one `Summary`); [`SummaryRecord`] is how a run file has stored them since run schema
//! v1. Pure: no I/O, no clock, no panics on any input (empty input gives `n == 0` and zeros).

use ron_bench_report::analysis::{summarize, MAD_SCALE};
use serde::{Deserialize, Serialize};

/// Location and spread of a cell's run-level values, as written into run files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SummaryRecord {
    /// Number of values.
    pub n: usize,
    /// Median (mean of the two middle values for even `n`).
    pub median: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator; 0 for n < 2).
    pub stddev: f64,
    /// Median absolute deviation from the median, **unscaled** (the analysis `Summary::mad`
    /// is this times `MAD_SCALE` = 1.4826, a normal-consistent estimate of sigma).
    pub mad: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Coefficient of variation, `stddev / mean` (0 when the mean is 0).
    pub cv: f64,
}

impl SummaryRecord {
    /// Summarises `values` (non-finite values are ignored).
    pub fn of(values: &[f64]) -> SummaryRecord {
        let finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let Some(s) = summarize(&finite) else {
            return SummaryRecord::default();
        };
        SummaryRecord {
            n: s.n,
            median: s.median,
            mean: s.mean,
            stddev: s.std_dev,
            mad: s.mad / MAD_SCALE,
            min: s.min,
            max: s.max,
            cv: s.cv.unwrap_or(0.0),
        }
    }
}

/// Median of unsorted values (non-finite ignored; 0 for none).
pub fn median(values: &[f64]) -> f64 {
    SummaryRecord::of(values).median
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let s = SummaryRecord::of(&[4.0, 1.0, 3.0, 2.0, 10.0]);
        assert_eq!(s.n, 5);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.mean, 4.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 10.0);
        // deviations from 3: 1,2,0,1,7 -> sorted 0,1,1,2,7 -> 1
        assert!((s.mad - 1.0).abs() < 1e-12);
        assert!((s.stddev - 12.5f64.sqrt()).abs() < 1e-12);
        assert!((s.cv - 12.5f64.sqrt() / 4.0).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert_eq!(SummaryRecord::of(&[]), SummaryRecord::default());
        let one = SummaryRecord::of(&[7.0]);
        assert_eq!(
            (one.median, one.stddev, one.cv, one.mad),
            (7.0, 0.0, 0.0, 0.0)
        );
        assert_eq!(SummaryRecord::of(&[f64::NAN, 2.0]).n, 1);
        assert_eq!(median(&[1.0, 2.0]), 1.5);
        assert_eq!(SummaryRecord::of(&[0.0, 0.0]).cv, 0.0);
    }
}
