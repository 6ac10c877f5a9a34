//! Change points in a time series of medians: E-divisive means (Matteson & James 2014), the
//! detector Hunter and Otava run on performance histories.
//!
//! For each split `t` of `x[lo..hi]` into `A = x[lo..t]` and `B = x[t..hi]` (each at least
//! `min_size` long) the energy statistic is
//!
//! ```text
//! Q(t) = m n / (m + n) * (2 E|a - b| - E|a - a'| - E|b - b'|)
//! ```
//!
//! (`m`, `n` the sizes; expectations over pairs). The split with the largest `Q` is tested
//! with a permutation test: the segment is shuffled `permutations` times (seeded ChaCha8) and
//! `p = (1 + #{max Q of a shuffle >= observed}) / (permutations + 1)`. A split with
//! `p < alpha` is a change point and both halves are searched again (binary segmentation); a
//! segment without one stops the search. A flat noisy series gives `p` uniform on (0, 1], so
//! it reports a change with probability about `alpha`; a step of several noise widths gives
//! the smallest attainable `p`, `1 / (permutations + 1)`.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Settings of [`change_points`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChangePointConfig {
    /// Significance level of each permutation test.
    pub alpha: f64,
    /// Shuffles per test (the smallest attainable p is `1 / (permutations + 1)`).
    pub permutations: u32,
    /// Fewest points on each side of a change.
    pub min_size: usize,
    /// Seed of the shuffles.
    pub seed: u64,
}

impl Default for ChangePointConfig {
    /// `alpha = 0.05`, 199 shuffles (smallest p 0.005), 3 points a side, seed 0.
    fn default() -> Self {
        ChangePointConfig {
            alpha: 0.05,
            permutations: 199,
            min_size: 3,
            seed: 0,
        }
    }
}

/// A detected change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChangePoint {
    /// Index of the first point after the change.
    pub index: usize,
    /// Permutation p-value of the split.
    pub p_value: f64,
    /// Median of the segment before (back to the previous change).
    pub before: f64,
    /// Median of the segment after (up to the next change).
    pub after: f64,
}

impl ChangePoint {
    /// `after / before - 1` in percent (`None` when `before` is 0).
    pub fn change_pct(&self) -> Option<f64> {
        (self.before != 0.0).then(|| (self.after / self.before - 1.0) * 100.0)
    }
}

/// The split of `x` with the largest energy statistic, as `(index, Q)`; `None` when `x` is
/// too short for two segments of `min_size`.
fn best_split(x: &[f64], min_size: usize) -> Option<(usize, f64)> {
    let n = x.len();
    let min_size = min_size.max(1);
    if n < 2 * min_size {
        return None;
    }
    // within[t]: sum of |x_i - x_j| over i < j < t; from the right likewise; total over all.
    let mut left = vec![0.0; n + 1];
    for t in 1..=n {
        let add: f64 = x[..t - 1].iter().map(|v| (v - x[t - 1]).abs()).sum();
        left[t] = left[t - 1] + add;
    }
    let mut right = vec![0.0; n + 1];
    for t in (0..n).rev() {
        let add: f64 = x[t + 1..].iter().map(|v| (v - x[t]).abs()).sum();
        right[t] = right[t + 1] + add;
    }
    let total = left[n];
    let pairs = |k: usize| (k * k.saturating_sub(1) / 2).max(1) as f64;
    (min_size..=n - min_size)
        .map(|t| {
            let (m, k) = (t as f64, (n - t) as f64);
            let cross = total - left[t] - right[t];
            let e = 2.0 * cross / (m * k) - left[t] / pairs(t) - right[t] / pairs(n - t);
            (t, m * k / (m + k) * e)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// Permutation p-value of the best split of `x`.
fn significance(x: &[f64], observed: f64, cfg: &ChangePointConfig, rng: &mut ChaCha8Rng) -> f64 {
    let mut shuffled = x.to_vec();
    let mut at_least = 0u32;
    for _ in 0..cfg.permutations {
        shuffled.shuffle(rng);
        if best_split(&shuffled, cfg.min_size).is_some_and(|(_, q)| q >= observed - 1e-12) {
            at_least += 1;
        }
    }
    f64::from(1 + at_least) / f64::from(cfg.permutations + 1)
}

fn median(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Change points of `x` (non-finite values are not allowed: filter them first), in order.
///
/// ```
/// use ron_bench_report::analysis::{change_points, ChangePointConfig};
/// let mut x = vec![100.0, 101.0, 99.0, 100.5, 99.5, 100.0];
/// x.extend([120.0, 121.0, 119.0, 120.5, 119.5, 120.0]);
/// let cps = change_points(&x, &ChangePointConfig::default());
/// assert_eq!(cps.len(), 1);
/// assert_eq!(cps[0].index, 6);
/// assert!(cps[0].p_value < 0.05);
/// ```
pub fn change_points(x: &[f64], cfg: &ChangePointConfig) -> Vec<ChangePoint> {
    if x.iter().any(|v| !v.is_finite()) {
        return Vec::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut found: Vec<(usize, f64)> = Vec::new();
    let mut todo = vec![(0usize, x.len())];
    while let Some((lo, hi)) = todo.pop() {
        let seg = &x[lo..hi];
        let Some((t, q)) = best_split(seg, cfg.min_size) else {
            continue;
        };
        let p = significance(seg, q, cfg, &mut rng);
        if p < cfg.alpha {
            found.push((lo + t, p));
            todo.push((lo, lo + t));
            todo.push((lo + t, hi));
        }
    }
    found.sort_by_key(|f| f.0);
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(found.iter().map(|f| f.0))
        .chain(std::iter::once(x.len()))
        .collect();
    found
        .iter()
        .enumerate()
        .map(|(i, &(index, p_value))| ChangePoint {
            index,
            p_value,
            before: median(&x[bounds[i]..index]),
            after: median(&x[index..bounds[i + 2]]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn noisy(rng: &mut ChaCha8Rng, level: f64, cv: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|_| level * (1.0 + cv * (rng.random::<f64>() * 2.0 - 1.0)))
            .collect()
    }

    #[test]
    fn a_step_is_found_where_it_is() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut x = noisy(&mut rng, 1000.0, 0.02, 15);
        x.extend(noisy(&mut rng, 900.0, 0.02, 10));
        let cps = change_points(&x, &ChangePointConfig::default());
        assert_eq!(cps.len(), 1, "{cps:?}");
        assert_eq!(cps[0].index, 15);
        assert!(cps[0].p_value <= 0.01, "{}", cps[0].p_value);
        let pct = cps[0].change_pct().unwrap();
        assert!((pct + 10.0).abs() < 2.0, "{pct}");
    }

    #[test]
    fn two_steps_are_both_found() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut x = noisy(&mut rng, 50.0, 0.01, 10);
        x.extend(noisy(&mut rng, 60.0, 0.01, 10));
        x.extend(noisy(&mut rng, 45.0, 0.01, 10));
        let idx: Vec<usize> = change_points(&x, &ChangePointConfig::default())
            .iter()
            .map(|c| c.index)
            .collect();
        assert_eq!(idx, [10, 20]);
    }

    #[test]
    fn flat_noisy_series_give_none_at_about_alpha() {
        // 100 flat series of 30 points with 5% noise: the false-alarm rate is about alpha.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let alarms = (0..100)
            .filter(|i| {
                let x = noisy(&mut rng, 1000.0, 0.05, 30);
                let cfg = ChangePointConfig {
                    permutations: 99,
                    seed: *i,
                    ..ChangePointConfig::default()
                };
                !change_points(&x, &cfg).is_empty()
            })
            .count();
        assert!(alarms <= 12, "{alarms} of 100 flat series had a change");
        let x = noisy(&mut ChaCha8Rng::seed_from_u64(4), 1000.0, 0.05, 30);
        assert!(change_points(&x, &ChangePointConfig::default()).is_empty());
    }

    #[test]
    fn short_or_non_finite_series_have_no_change() {
        let cfg = ChangePointConfig::default();
        assert!(change_points(&[1.0, 2.0, 3.0, 4.0, 5.0], &cfg).is_empty());
        assert!(change_points(&[], &cfg).is_empty());
        let mut x = vec![1.0; 6];
        x.extend([9.0; 6]);
        x[3] = f64::NAN;
        assert!(change_points(&x, &cfg).is_empty());
        // Constant: Q is 0 everywhere and every shuffle ties, so p = 1.
        assert!(change_points(&[7.0; 20], &cfg).is_empty());
    }
}
