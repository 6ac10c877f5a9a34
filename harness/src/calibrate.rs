//! Calibration of the quick gate: how often it cries wolf (A/A) and how often it catches a
//! real, injected slowdown (the `throttled` contender). Pure parts only; the command is
//! `cli::calibrate`.
//!
//! # Procedure (what `ron-bench calibrate` does, exactly)
//!
//! 1. **Cells**: the quick gate's ron-bus cells (`steady` fanout 1 on publishes/s,
//!    `burst_fanout` and `batched` at fanout 4 on deliveries/s).
//! 2. **Per-message cost**: a short run of those cells gives the ron-bus cost per published
//!    message, `t0 = 1e9 / publishes_per_sec`.
//! 3. **Spin calibration**: a probe run interleaves ron-bus with `throttled` at a probe spin
//!    count sized for a ~30% slowdown; the paired median slowdown `f_p` gives the slowdown
//!    per spin, and the spins for `x%` are `x / 100 / (f_p / S_p)` ([`spins_for`]).
//! 4. **Main runs** (`--repeats` independent runs of `--rounds` rounds): per cell, four jobs
//!    interleaved round by round: ron-bus (`A`), ron-bus from a twin copy of the same binary
//!    (`A'`, another job slot, so it sits in the interleaving exactly like a B build), and
//!    `throttled` at the 5% and 10% spin counts.
//! 5. **Trials**: a trial uses `n` rounds, the gate's own round count. Rounds are reused two
//!    ways ([`blocks`], [`subsets`]): disjoint consecutive blocks of `n` rounds (independent
//!    trials) and seeded random `n`-subsets of all rounds (resampled trials: many more, but
//!    correlated; they estimate the same expectation with less variance). In every trial the
//!    same rounds are used for every cell and side, so pairs stay pairs.
//! 6. **A/A suite** = one trial of `A'` vs `A` over all cells, evaluated like a gate run
//!    (regression rule at the tolerance, Benjamini-Hochberg across the cells); a suite with
//!    any `regressed`, `improved` or `failed` verdict is a false alarm
//!    ([`ron_bench_report::analysis::false_alarm_rate`]).
//! 7. **Power** = one trial of `throttled(x%)` vs `A` per cell (all cells slowed, BH across
//!    them); detected when the cell's verdict is `regressed`
//!    ([`ron_bench_report::analysis::detection_rate`]). The slowdown actually achieved (paired
//!    median over all rounds) is reported next to the nominal one.

use crate::store::Machine;
use ron_bench_report::analysis::{DetectionPoint, FalseAlarmRate};
use serde::{Deserialize, Serialize};

/// Schema of the calibration side file (`baselines/calibration/last.json`).
pub const CALIBRATION_SCHEMA: &str = "ron-bench/calibration/v1";

/// Spin calibration of one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SpinFit {
    /// Cell id (ron-bus).
    pub cell: String,
    /// Metric gated.
    pub metric: String,
    /// ron-bus cost per published message, ns.
    pub ns_per_message: f64,
    /// Probe spin count.
    pub probe_spins: u64,
    /// Slowdown measured at the probe, percent.
    pub probe_slowdown_pct: f64,
    /// Extra ns per spin on the publisher (`probe_slowdown * t0 / probe_spins`).
    pub ns_per_spin: f64,
    /// `(nominal slowdown %, spins, achieved slowdown %)`.
    pub targets: Vec<(f64, u64, f64)>,
}

/// The stored result of `ron-bench calibrate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Calibration {
    /// [`CALIBRATION_SCHEMA`].
    pub schema: String,
    /// When, RFC 3339 UTC.
    pub created_utc: String,
    /// Where.
    pub machine: Machine,
    /// `process` or `mock`.
    pub executor: String,
    /// Build calibrated.
    pub build: String,
    /// Rounds per trial (the gate's rounds).
    pub rounds_per_trial: u32,
    /// Rounds per repeat.
    pub rounds_per_repeat: u32,
    /// Independent repeats.
    pub repeats: u32,
    /// Samples and window of each process run.
    pub samples: u32,
    /// Window per sample, ms.
    pub window_ms: u64,
    /// Regression tolerance of the calibrated rule, percent.
    pub tolerance_pct: f64,
    /// Spin calibration per cell.
    pub spins: Vec<SpinFit>,
    /// A/A over independent (disjoint) trials.
    pub false_alarm: FalseAlarmRate,
    /// A/A over resampled trials.
    pub false_alarm_resampled: FalseAlarmRate,
    /// Detection per nominal slowdown, independent trials (per cell-trial).
    pub detection: Vec<DetectionPoint>,
    /// Detection per nominal slowdown, resampled trials.
    pub detection_resampled: Vec<DetectionPoint>,
    /// Detection of an exact slowdown injected into the A/A trials' new side (the real noise
    /// of this machine, a known effect): the gate's statistical power, independent of how well
    /// the throttle spins land on the target. Resampled trials.
    #[serde(default)]
    pub detection_injected: Vec<DetectionPoint>,
    /// Wall time of the whole calibration.
    pub wall_ms: u64,
}

impl Calibration {
    /// One line for report notes.
    pub fn quote(&self) -> String {
        let det: Vec<String> = self
            .detection_resampled
            .iter()
            .map(|d| format!("{:.0}% caught {:.0}%", d.injected_pct, d.rate * 100.0))
            .collect();
        format!(
            "calibration {} on this machine class ({}; {} rounds/trial, tolerance {}%): A/A \
             false alarms {:.1}% of suites ({} of {} independent, {:.1}% resampled); injected \
             slowdowns: {}",
            crate::store::short(&self.created_utc, 10),
            self.machine.class_label(),
            self.rounds_per_trial,
            self.tolerance_pct,
            self.false_alarm.suite_rate * 100.0,
            self.false_alarm.suites_with_alarm,
            self.false_alarm.suites,
            self.false_alarm_resampled.suite_rate * 100.0,
            det.join(", ")
        )
    }
}

/// Spins for a `target_pct` slowdown, from a probe at `probe_spins` that slowed the metric
/// by `probe_pct` (linear in the spins; at least 1).
pub fn spins_for(target_pct: f64, probe_spins: u64, probe_pct: f64) -> u64 {
    if !(probe_pct > 0.0 && probe_pct.is_finite()) {
        return probe_spins.max(1);
    }
    ((target_pct / probe_pct) * probe_spins as f64)
        .round()
        .max(1.0) as u64
}

/// Paired median slowdown in percent of a higher-is-better metric: the median over rounds
/// of `base_i / slow_i - 1` (0 when nothing is comparable).
pub fn paired_slowdown_pct(base: &[f64], slow: &[f64]) -> f64 {
    let r: Vec<f64> = base
        .iter()
        .zip(slow)
        .filter(|(b, s)| **b > 0.0 && **s > 0.0)
        .map(|(b, s)| b / s - 1.0)
        .collect();
    crate::stats::median(&r) * 100.0
}

/// Disjoint consecutive blocks of `n` round indices out of `rounds` (a remainder is dropped).
pub fn blocks(rounds: usize, n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return Vec::new();
    }
    (0..rounds / n)
        .map(|b| (b * n..(b + 1) * n).collect())
        .collect()
}

/// `count` seeded random `n`-subsets of `0..rounds` (each sorted; partial Fisher-Yates).
pub fn subsets(rounds: usize, n: usize, count: usize, seed: u64) -> Vec<Vec<usize>> {
    if n == 0 || n > rounds {
        return Vec::new();
    }
    let mut rng = SplitMix64(seed);
    (0..count)
        .map(|_| {
            let mut idx: Vec<usize> = (0..rounds).collect();
            for i in 0..n {
                let j = i + (rng.next_u64() % (rounds - i) as u64) as usize;
                idx.swap(i, j);
            }
            let mut s = idx[..n].to_vec();
            s.sort_unstable();
            s
        })
        .collect()
}

/// SplitMix64: a tiny seeded generator for round subsets (reproducible across platforms).
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The values at `idx` (indices past the end are skipped).
pub fn pick(values: &[f64], idx: &[usize]) -> Vec<f64> {
    idx.iter().filter_map(|&i| values.get(i).copied()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spins_scale_linearly() {
        assert_eq!(spins_for(10.0, 300, 30.0), 100);
        assert_eq!(spins_for(5.0, 300, 30.0), 50);
        assert_eq!(spins_for(5.0, 300, 0.0), 300);
        assert_eq!(spins_for(0.001, 3, 30.0), 1);
    }

    #[test]
    fn slowdown_is_paired_and_median_based() {
        let base = [100.0, 200.0, 100.0];
        let slow = [90.909, 181.818, 50.0];
        assert!((paired_slowdown_pct(&base, &slow) - 10.0).abs() < 0.01);
    }

    #[test]
    fn blocks_and_subsets() {
        assert_eq!(blocks(7, 3), vec![vec![0, 1, 2], vec![3, 4, 5]]);
        let s = subsets(10, 4, 50, 7);
        assert_eq!(s.len(), 50);
        for x in &s {
            assert_eq!(x.len(), 4);
            assert!(x.windows(2).all(|w| w[0] < w[1]) && x[3] < 10);
        }
        assert_eq!(s, subsets(10, 4, 50, 7));
        assert_ne!(s, subsets(10, 4, 50, 8));
        assert!(subsets(3, 4, 5, 1).is_empty());
    }
}
