//! Seeded percentile bootstrap of the ratio of medians.

use rand::Rng;

use super::summary::median_in_place;

/// Percentile bootstrap CI of `median(new) / median(base)`.
///
/// Unpaired: each resample draws `n_base` base values and `n_new` new values independently with
/// replacement. Paired: each resample draws round indices with replacement and takes both
/// sides of the drawn rounds, preserving the round-to-round correlation.
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
