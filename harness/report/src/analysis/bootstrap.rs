//! Seeded percentile bootstrap of the change ratio: the ratio of medians (unpaired), or the
//! median of per-round ratios (paired, see [`paired_log_ratios`]).

use rand::Rng;

use super::summary::median_in_place;

/// `ln(new_i / base_i)` per round, or `None` unless the sides pair up and every value is
/// positive. With interleaved rounds the drift of the machine hits both sides of a round, so
/// the per-round ratio cancels it; on these VMs a process lands in a fast or a slow mode, and
/// the ratio of the two sides' medians can jump between modes while the median of per-round
/// ratios does not.
pub(crate) fn paired_log_ratios(base: &[f64], new: &[f64]) -> Option<Vec<f64>> {
    if base.len() != new.len() || base.is_empty() || base.iter().chain(new).any(|v| *v <= 0.0) {
        return None;
    }
    Some(base.iter().zip(new).map(|(b, n)| (n / b).ln()).collect())
}

/// The paired change ratio: `exp(median(ln(new_i / base_i)))`.
pub(crate) fn median_paired_ratio(log_ratios: &[f64]) -> Option<f64> {
    let mut v = log_ratios.to_vec();
    median_in_place(&mut v).map(f64::exp)
}

/// Percentile bootstrap CI of the change ratio.
///
/// Unpaired: `median(new) / median(base)`; each resample draws `n_base` base values and `n_new`
/// new values independently with replacement. Paired (and all values positive): the median of
/// per-round ratios; each resample draws rounds with replacement, preserving the
/// round-to-round correlation. Paired with a non-positive value falls back to the ratio of
/// medians over jointly resampled rounds.
/// Resamples whose ratio is not finite (a zero base median) are skipped; `None` when fewer than
/// half of the resamples are usable, `resamples == 0`, or a side is empty.
pub(crate) fn ratio_ci<R: Rng + ?Sized>(
    base: &[f64],
    new: &[f64],
    paired: bool,
    resamples: usize,
    confidence: f64,
    rng: &mut R,
) -> Option<(f64, f64)> {
    if base.is_empty() || new.is_empty() || resamples == 0 {
        return None;
    }
    let paired = paired && base.len() == new.len();
    if paired {
        if let Some(logs) = paired_log_ratios(base, new) {
            return paired_ratio_ci(&logs, resamples, confidence, rng);
        }
    }
    let mut sb = vec![0.0; base.len()];
    let mut sn = vec![0.0; new.len()];
    let mut ratios = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        if paired {
            for k in 0..base.len() {
                let i = rng.random_range(0..base.len());
                sb[k] = base[i];
                sn[k] = new[i];
            }
        } else {
            for slot in sb.iter_mut() {
                *slot = base[rng.random_range(0..base.len())];
            }
            for slot in sn.iter_mut() {
                *slot = new[rng.random_range(0..new.len())];
            }
        }
        let (mb, mn) = (median_in_place(&mut sb)?, median_in_place(&mut sn)?);
        let r = mn / mb;
        if r.is_finite() {
            ratios.push(r);
        }
    }
    if ratios.len() * 2 < resamples {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
    Some((
        super::summary::quantile_sorted(&ratios, tail),
        super::summary::quantile_sorted(&ratios, 1.0 - tail),
    ))
}

/// Percentile bootstrap of `exp(median(log_ratios))` over resampled rounds.
fn paired_ratio_ci<R: Rng + ?Sized>(
    logs: &[f64],
    resamples: usize,
    confidence: f64,
    rng: &mut R,
) -> Option<(f64, f64)> {
    let mut draw = vec![0.0; logs.len()];
    let mut ratios = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for slot in draw.iter_mut() {
            *slot = logs[rng.random_range(0..logs.len())];
        }
        ratios.push(median_in_place(&mut draw)?.exp());
    }
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
    Some((
        super::summary::quantile_sorted(&ratios, tail),
        super::summary::quantile_sorted(&ratios, 1.0 - tail),
    ))
}
