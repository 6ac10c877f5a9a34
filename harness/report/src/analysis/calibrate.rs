//! Calibration helpers (pure): how often the gates cry wolf, and how often they catch a real
//! slowdown.
//!
//! The CLI's `calibrate` command runs the same build against itself several times (A/A
//! suites) and feeds the verdicts to [`false_alarm_rate`]; it then injects synthetic slowdowns
//! into the new side with [`inject_slowdown`], re-gates, and feeds the results to
//! [`detection_rate`].

use serde::{Deserialize, Serialize};

use super::gate::Verdict;
use super::model::{Cell, Direction};

/// False alarms seen over repeated A/A suites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FalseAlarmRate {
    /// Number of suites.
    pub suites: usize,
    /// Suites with at least one alarm (`Regressed`, `Improved` or `Failed`).
    pub suites_with_alarm: usize,
    /// `suites_with_alarm / suites` (the family-wise false alarm rate), 0 when no suites.
    pub suite_rate: f64,
    /// Total verdicts.
    pub verdicts: usize,
    /// Verdicts that were alarms.
    pub alarms: usize,
    /// `alarms / verdicts` (the per-cell false alarm rate), 0 when no verdicts.
    pub cell_rate: f64,
    /// Inconclusive verdicts (not alarms, but a sign the rounds are too few for the gates).
    pub inconclusive: usize,
}

/// In an A/A comparison any change verdict is a false alarm.
fn is_alarm(v: Verdict) -> bool {
    matches!(v, Verdict::Regressed | Verdict::Improved | Verdict::Failed)
}

/// False-alarm rate from the verdicts of repeated A/A suites (one inner slice per suite).
pub fn false_alarm_rate(suites: &[Vec<Verdict>]) -> FalseAlarmRate {
    let verdicts: usize = suites.iter().map(Vec::len).sum();
    let alarms = suites.iter().flatten().filter(|v| is_alarm(**v)).count();
    let inconclusive = suites
        .iter()
        .flatten()
        .filter(|v| **v == Verdict::Inconclusive)
        .count();
    let suites_with_alarm = suites
        .iter()
        .filter(|s| s.iter().any(|v| is_alarm(*v)))
        .count();
    FalseAlarmRate {
        suites: suites.len(),
        suites_with_alarm,
        suite_rate: ratio(suites_with_alarm, suites.len()),
        verdicts,
        alarms,
        cell_rate: ratio(alarms, verdicts),
        inconclusive,
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Detection at one injected slowdown size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DetectionPoint {
    /// Injected slowdown in percent.
    pub injected_pct: f64,
    /// Trials at this size.
    pub trials: usize,
    /// Trials that ended `Regressed` (regression gates) or `Failed` (acceptance gates).
    pub detected: usize,
    /// `detected / trials`.
    pub rate: f64,
}

/// Detection rate per injected slowdown, from `(injected_pct, verdict)` trials; sorted by size.
pub fn detection_rate(trials: &[(f64, Verdict)]) -> Vec<DetectionPoint> {
    let mut out: Vec<DetectionPoint> = Vec::new();
    for &(pct, v) in trials {
        let hit = matches!(v, Verdict::Regressed | Verdict::Failed) as usize;
        match out.iter_mut().find(|p| p.injected_pct == pct) {
            Some(p) => {
                p.trials += 1;
                p.detected += hit;
            }
            None => out.push(DetectionPoint {
                injected_pct: pct,
                trials: 1,
                detected: hit,
                rate: 0.0,
            }),
        }
    }
    for p in &mut out {
        p.rate = ratio(p.detected, p.trials);
    }
    out.sort_by(|a, b| a.injected_pct.total_cmp(&b.injected_pct));
    out
}

/// A copy of `cell` whose new side is made `slowdown_pct` percent worse: values are multiplied
/// by `1 + s` for lower-is-better metrics and divided by it for higher-is-better ones.
/// The id gets a `@slow+<s>%` suffix so the bootstrap seed differs from the original.
pub fn inject_slowdown(cell: &Cell, slowdown_pct: f64) -> Cell {
    let f = 1.0 + slowdown_pct / 100.0;
    let mut out = cell.clone();
    out.id = format!("{}@slow{:+}%", cell.id, slowdown_pct);
    for v in &mut out.new {
        *v = match cell.metric.direction {
            Direction::LowerIsBetter => *v * f,
            Direction::HigherIsBetter => *v / f,
        };
    }
    out
}
