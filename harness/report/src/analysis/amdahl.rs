//! Amdahl tracker (seed 000 section 8): overall speedup from the covered fraction `p` of CPU
//! time and the speedup `s` of the covered paths.

use serde::{Deserialize, Serialize};

/// Invalid Amdahl input.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum AmdahlError {
    /// `p` must be a fraction in `[0, 1]` (pass 0.4 for 40%).
    #[error("covered fraction p = {0} must be within [0, 1] (use 0.4 for 40%)")]
    Fraction(f64),
    /// `s` must be a finite number greater than 0.
    #[error("speedup s = {0} must be a finite number > 0")]
    Speedup(f64),
    /// The target overall speedup cannot be reached even with an infinite path speedup.
    #[error("overall speedup {target} is unreachable with p = {p} (limit {limit})")]
    Unreachable {
        /// Target overall speedup.
        target: f64,
        /// Covered fraction.
        p: f64,
        /// `1 / (1 - p)`.
        limit: f64,
    },
}

fn check(p: f64, s: f64) -> Result<(), AmdahlError> {
    if !(0.0..=1.0).contains(&p) {
        return Err(AmdahlError::Fraction(p));
    }
    if !(s.is_finite() && s > 0.0) {
        return Err(AmdahlError::Speedup(s));
    }
    Ok(())
}

/// `S = 1 / ((1 - p) + p / s)`.
///
/// ```
/// use ron_bench_report::analysis::amdahl;
/// assert!((amdahl(0.5, 2.0).unwrap() - 4.0 / 3.0).abs() < 1e-12);
/// assert_eq!(amdahl(0.0, 10.0).unwrap(), 1.0);
/// assert!(amdahl(1.5, 2.0).is_err() && amdahl(0.5, 0.0).is_err());
/// ```
pub fn amdahl(p: f64, s: f64) -> Result<f64, AmdahlError> {
    check(p, s)?;
    Ok(1.0 / ((1.0 - p) + p / s))
}

/// The path speedup `s` needed for an overall speedup `target`: `s = p / (1/target - (1 - p))`.
///
/// ```
/// use ron_bench_report::analysis::required_speedup;
/// assert!((required_speedup(0.5, 4.0 / 3.0).unwrap() - 2.0).abs() < 1e-9);
/// assert!(required_speedup(0.5, 2.0).is_err()); // needs s = infinity
/// ```
pub fn required_speedup(p: f64, target: f64) -> Result<f64, AmdahlError> {
    check(p, target)?;
    let denom = 1.0 / target - (1.0 - p);
    if denom <= 0.0 {
        let limit = if p < 1.0 {
            1.0 / (1.0 - p)
        } else {
            f64::INFINITY
        };
        return Err(AmdahlError::Unreachable { target, p, limit });
    }
    Ok(p / denom)
}
