//! Rank tests and the normal distribution helpers they need.
//!
//! * **Mann-Whitney U** (two independent samples). Exact permutation distribution when
//!   `n_base + n_new <= 40` (conditional on the observed mid-ranks, so ties are handled
//!   exactly); otherwise the normal approximation with tie correction
//!   (`sigma^2 = m n / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1)))`) and a 0.5 continuity
//!   correction.
//! * **Wilcoxon signed-rank** (paired rounds). Applied to `ln(new_i / base_i)` when every value
//!   is positive, else to `new_i - base_i`. Zero differences are dropped (Wilcoxon's original
//!   convention). Exact sign-flip distribution of the (mid-)ranks when at most 30 non-zero
//!   pairs remain (ties handled exactly); otherwise the normal approximation with tie
//!   correction (`sigma^2 = n(n+1)(2n+1)/24 - sum(t^3 - t)/48`) and continuity correction.
//!
//! Values within a relative 1e-12 of each other count as tied, so floating-point noise in
//! computed ratios cannot flip the method or the ranks.
//!
//! All p-values are two-sided: `min(1, 2 * min(P(T <= t), P(T >= t)))`.

use serde::{Deserialize, Serialize};

/// Largest `n_base + n_new` for which Mann-Whitney uses the exact distribution.
pub const MANN_WHITNEY_EXACT_MAX_N: usize = 40;
/// Largest number of non-zero pairs for which Wilcoxon uses the exact distribution.
pub const WILCOXON_EXACT_MAX_N: usize = 30;

/// Which rank test produced a p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RankTest {
    /// Wilcoxon signed-rank test on paired rounds.
    WilcoxonSignedRank,
    /// Mann-Whitney U test on independent samples.
    MannWhitneyU,
}

/// How the p-value was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PMethod {
    /// Exact null distribution (no ties, small samples).
    Exact,
    /// Normal approximation with tie and continuity correction.
    NormalApprox,
}

/// Result of a rank test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct RankTestResult {
    /// The test used.
    pub test: RankTest,
    /// Exact or normal approximation.
    pub method: PMethod,
    /// `U` of the new side (Mann-Whitney) or `W+` (Wilcoxon).
    pub statistic: f64,
    /// Two-sided p-value in `[0, 1]`.
    pub p_value: f64,
    /// Observations used (Wilcoxon: non-zero pairs; Mann-Whitney: `n_base + n_new`).
    pub n_used: usize,
}

/// Standard normal CDF. Absolute error below about 1e-7 (Chebyshev fit of erfc, Numerical
/// Recipes 6.2).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Standard normal quantile (inverse CDF) for `p` in `(0, 1)`; `None` outside that range or
/// for NaN. Acklam's rational approximation refined by one Halley step.
pub fn normal_quantile(p: f64) -> Option<f64> {
    if !(p > 0.0 && p < 1.0) {
        return None;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p_low = 0.024_25;
    let x = if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step against our CDF keeps the pair self-consistent.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    Some(x - u / (1.0 + x * u / 2.0))
}

/// Average ranks (1-based) of `values`, plus the sizes of tie groups larger than one.
fn average_ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && nearly_equal(values[idx[j + 1]], values[idx[i]]) {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = avg;
        }
        if j > i {
            ties.push(j - i + 1);
        }
        i = j + 1;
    }
    (ranks, ties)
}

fn nearly_equal(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn two_sided(p_le: f64, p_ge: f64) -> f64 {
    (2.0 * p_le.min(p_ge)).clamp(0.0, 1.0)
}

fn normal_two_sided(stat: f64, mean: f64, var: f64) -> f64 {
    if var <= 0.0 {
        return 1.0;
    }
    let d = ((stat - mean).abs() - 0.5).max(0.0);
    (2.0 * (1.0 - normal_cdf(d / var.sqrt()))).clamp(0.0, 1.0)
}

/// Mann-Whitney U test of `base` vs `new`. `None` when a side is empty.
pub fn mann_whitney_u(base: &[f64], new: &[f64]) -> Option<RankTestResult> {
    let (m, n) = (new.len(), base.len());
    if m == 0 || n == 0 {
        return None;
    }
    let all: Vec<f64> = new.iter().chain(base.iter()).copied().collect();
    let (ranks, ties) = average_ranks(&all);
    let big_n = m + n;
    let r_new: f64 = ranks[..m].iter().sum();
    let u = r_new - (m * (m + 1)) as f64 / 2.0;
    let mean = (m * n) as f64 / 2.0;
    let (p, method) = if big_n <= MANN_WHITNEY_EXACT_MAX_N {
        let scores: Vec<usize> = ranks.iter().map(|r| (r * 2.0).round() as usize).collect();
        let dist = rank_sum_distribution(&scores, m);
        let total: f64 = dist.iter().sum();
        let r = (r_new * 2.0).round() as usize;
        let le: f64 = dist[..=r].iter().sum::<f64>() / total;
        let ge: f64 = dist[r..].iter().sum::<f64>() / total;
        (two_sided(le, ge), PMethod::Exact)
    } else {
        let tie_sum: f64 = ties.iter().map(|&t| (t * t * t - t) as f64).sum();
        let nf = big_n as f64;
        let var = (m * n) as f64 / 12.0 * ((nf + 1.0) - tie_sum / (nf * (nf - 1.0)));
        (normal_two_sided(u, mean, var), PMethod::NormalApprox)
    };
    Some(RankTestResult {
        test: RankTest::MannWhitneyU,
        method,
        statistic: u,
        p_value: p,
        n_used: big_n,
    })
}

/// Counts of size-`m` subsets of `scores` (doubled mid-ranks) by score sum, indexed by sum.
fn rank_sum_distribution(scores: &[usize], m: usize) -> Vec<f64> {
    let max_sum: usize = scores.iter().sum();
    // dp[k][s]: subsets of size k with score sum s.
    let mut dp = vec![vec![0.0f64; max_sum + 1]; m + 1];
    dp[0][0] = 1.0;
    for (i, &score) in scores.iter().enumerate() {
        for k in (1..=m.min(i + 1)).rev() {
            for s in (score..=max_sum).rev() {
                let add = dp[k - 1][s - score];
                if add != 0.0 {
                    dp[k][s] += add;
                }
            }
        }
    }
    dp.swap_remove(m)
}

/// Wilcoxon signed-rank test on paired rounds (`base[i]`, `new[i]`). `None` when the lengths
/// differ or are zero.
pub fn wilcoxon_signed_rank(base: &[f64], new: &[f64]) -> Option<RankTestResult> {
    if base.len() != new.len() || base.is_empty() {
        return None;
    }
    let positive = base.iter().chain(new.iter()).all(|&v| v > 0.0);
    let diffs: Vec<f64> = base
        .iter()
        .zip(new)
        .map(|(&b, &n)| if positive { (n / b).ln() } else { n - b })
        .filter(|d| *d != 0.0)
        .collect();
    let k = diffs.len();
    if k == 0 {
        return Some(RankTestResult {
            test: RankTest::WilcoxonSignedRank,
            method: PMethod::Exact,
            statistic: 0.0,
            p_value: 1.0,
            n_used: 0,
        });
    }
    let abs: Vec<f64> = diffs.iter().map(|d| d.abs()).collect();
    let (ranks, ties) = average_ranks(&abs);
    let w_plus: f64 = diffs
        .iter()
        .zip(&ranks)
        .filter(|(d, _)| **d > 0.0)
        .map(|(_, r)| r)
        .sum();
    let kf = k as f64;
    let mean = kf * (kf + 1.0) / 4.0;
    let (p, method) = if k <= WILCOXON_EXACT_MAX_N {
        let scores: Vec<usize> = ranks.iter().map(|r| (r * 2.0).round() as usize).collect();
        let dist = signed_rank_distribution(&scores);
        let total: f64 = dist.iter().sum();
        let w = (w_plus * 2.0).round() as usize;
        let le = dist[..=w].iter().sum::<f64>() / total;
        let ge = dist[w..].iter().sum::<f64>() / total;
        (two_sided(le, ge), PMethod::Exact)
    } else {
        let tie_sum: f64 = ties.iter().map(|&t| (t * t * t - t) as f64).sum();
        let var = kf * (kf + 1.0) * (2.0 * kf + 1.0) / 24.0 - tie_sum / 48.0;
        (normal_two_sided(w_plus, mean, var), PMethod::NormalApprox)
    };
    Some(RankTestResult {
        test: RankTest::WilcoxonSignedRank,
        method,
        statistic: w_plus,
        p_value: p,
        n_used: k,
    })
}

/// Counts of sign patterns of `scores` (doubled mid-ranks) by the sum of positive scores.
fn signed_rank_distribution(scores: &[usize]) -> Vec<f64> {
    let max: usize = scores.iter().sum();
    let mut dp = vec![0.0f64; max + 1];
    dp[0] = 1.0;
    for &score in scores {
        for s in (score..=max).rev() {
            dp[s] += dp[s - score];
        }
    }
    dp
}

/// Smallest two-sided p-value the rank test can produce with these sample sizes (no ties):
/// `2 / 2^n` for Wilcoxon with `n` pairs, `2 / C(n_base + n_new, n_new)` for Mann-Whitney.
/// When this exceeds alpha, no amount of effect can be declared significant.
pub fn min_attainable_p(n_base: usize, n_new: usize, paired: bool) -> f64 {
    if n_base == 0 || n_new == 0 {
        return 1.0;
    }
    if paired {
        let n = n_base.min(n_new) as i32;
        (2.0 / 2f64.powi(n)).min(1.0)
    } else {
        let (n, k) = (n_base + n_new, n_new.min(n_base));
        let mut c = 1.0f64;
        for i in 0..k {
            c = c * (n - i) as f64 / (i + 1) as f64;
        }
        (2.0 / c).min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_round_trip() {
        assert!((normal_cdf(1.959_963_985) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        for p in [0.001, 0.025, 0.2, 0.5, 0.8, 0.975, 0.999] {
            let z = normal_quantile(p).unwrap();
            assert!((normal_cdf(z) - p).abs() < 1e-7, "p={p}");
        }
        assert!((normal_quantile(0.975).unwrap() - 1.959_964).abs() < 1e-4);
        assert!(normal_quantile(0.0).is_none() && normal_quantile(f64::NAN).is_none());
    }

    #[test]
    fn mann_whitney_exact_matches_reference() {
        // Completely separated 5 vs 5: exact two-sided p = 2 / C(10,5) = 2/252.
        let r = mann_whitney_u(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
        assert_eq!(r.method, PMethod::Exact);
        assert_eq!(r.statistic, 25.0);
        assert!((r.p_value - 2.0 / 252.0).abs() < 1e-12);
        // Interleaved samples: U = 12 of 25 -> p = 1 (symmetric, middle of the distribution)
        let r = mann_whitney_u(&[1.0, 3.0, 5.0, 7.0, 9.0], &[2.0, 4.0, 6.0, 8.0, 10.0]).unwrap();
        assert!(r.p_value > 0.6);
    }

    #[test]
    fn mann_whitney_ties_are_exact_when_small_and_normal_when_large() {
        let r = mann_whitney_u(&[1.0, 1.0, 2.0, 2.0], &[2.0, 3.0, 3.0, 3.0]).unwrap();
        assert_eq!(r.method, PMethod::Exact);
        assert!(r.p_value > 0.0 && r.p_value < 0.1, "{}", r.p_value);
        let a: Vec<f64> = (0..30).map(|i| (i % 5) as f64).collect();
        let b: Vec<f64> = (0..30).map(|i| (i % 5 + 1) as f64).collect();
        let r = mann_whitney_u(&a, &b).unwrap();
        assert_eq!(r.method, PMethod::NormalApprox);
        assert!(r.p_value < 0.05);
    }

    #[test]
    fn wilcoxon_all_tied_equals_untied_minimum() {
        // Five equal positive differences: exact conditional p is still 2 / 2^5.
        let base = [10.0, 20.0, 30.0, 40.0, 50.0];
        let new: Vec<f64> = base.iter().map(|b| b * 1.1).collect();
        let r = wilcoxon_signed_rank(&base, &new).unwrap();
        assert_eq!(r.method, PMethod::Exact);
        assert!((r.p_value - 2.0 / 32.0).abs() < 1e-12, "{}", r.p_value);
    }

    #[test]
    fn wilcoxon_exact() {
        // All 6 pairs up: p = 2/64.
        let base = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0];
        let new = [11.0, 12.5, 14.0, 15.8, 18.0, 20.0];
        let r = wilcoxon_signed_rank(&base, &new).unwrap();
        assert_eq!(r.method, PMethod::Exact);
        assert!((r.p_value - 2.0 / 64.0).abs() < 1e-12);
        assert_eq!(r.statistic, 21.0);
        assert!(wilcoxon_signed_rank(&base, &base).unwrap().p_value == 1.0);
        assert!(wilcoxon_signed_rank(&base, &new[..3]).is_none());
    }

    #[test]
    fn min_p() {
        assert!((min_attainable_p(5, 5, true) - 2.0 / 32.0).abs() < 1e-12);
        assert!((min_attainable_p(5, 5, false) - 2.0 / 252.0).abs() < 1e-12);
        assert_eq!(min_attainable_p(0, 5, false), 1.0);
    }
}
