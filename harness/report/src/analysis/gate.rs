//! Gate evaluation: turning a [`Comparison`] and a [`Rule`] into a [`Verdict`].
//!
//! All thresholds apply to the change of the metric **value** (`new / base - 1`), oriented by
//! the metric's direction: "gain" is the change for higher-is-better metrics and minus the
//! change for lower-is-better ones. So a 10% acceptance gate on `deliveries_per_sec` needs
//! `+10%`, on `p95_ns` it needs `-10%`; a 10% regression tolerance fails `deliveries_per_sec`
//! at `-10%` and `p95_ns` at `+10%`.
//!
//! "Significant" means the family-adjusted q-value is below `alpha`.
//!
//! **Regression gate** (tolerance `t`):
//! 1. a side without data -> `Missing`; fewer than `min_rounds` rounds a side -> `Inconclusive`;
//! 2. gain `< -t`, significant, and the whole CI on the worse side of 0 -> `Regressed`;
//! 3. gain `> t`, significant, and the whole CI on the better side of 0 -> `Improved`;
//! 4. noise too wide for the gate (`MDE > limit`, or for unpaired cells `CV > limit * cv_fraction`, where `limit`
//!    is the rule's `noise_limit_pct` or else `t`; skipped when `limit` is 0) -> `Inconclusive`;
//! 5. `t > 0` and the CI reaches beyond `-t` (a regression beyond tolerance cannot be ruled
//!    out) -> `Inconclusive`;
//! 6. otherwise `Pass`. With `t = 0` ("must not regress") rule 5 is skipped: no significant
//!    regression is a pass, subject to rule 4.
//!
//! **Acceptance gate** (required gain `x`):
//! 1. and 2. as above for `Missing`/`Inconclusive`;
//! 3. gain `>= x`, significant, and the whole CI on the better side of 0 -> `Pass`;
//! 4. the whole CI below `x` (the target is clearly missed) -> `Failed`;
//! 5. otherwise `Inconclusive` (the reason says whether significance, noise or rounds are short).

use serde::{Deserialize, Serialize};

use super::compare::{CompareError, Comparison, Interval};
use super::model::Direction;

/// What a gate asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateKind {
    /// "Must be at least `threshold_pct` better" (MOG acceptance gates).
    Acceptance,
    /// "Must not be more than `threshold_pct` worse" (regression gates).
    Regression,
}

/// A gate rule applied to one cell (produced by a policy, or built by hand).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Gate id, e.g. `A1-subs4`.
    pub gate_id: String,
    /// One-line description.
    pub description: String,
    /// Acceptance or regression.
    pub kind: GateKind,
    /// Required gain (acceptance) or tolerated loss (regression), in percent, `>= 0`.
    pub threshold_pct: f64,
    /// Noise limit in percent (see the module docs); `None` means `threshold_pct`.
    pub noise_limit_pct: Option<f64>,
}

/// Knobs of [`gate`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GateConfig {
    /// Significance level applied to q-values (default 0.05).
    pub alpha: f64,
    /// Fewer rounds than this on either side is `Inconclusive` (default 3).
    pub min_rounds: usize,
    /// A CV above `limit * cv_fraction` is too noisy (default 1/3).
    pub cv_fraction: f64,
    /// The base side was measured on another machine (carried into verdicts and the report).
    pub cross_machine: bool,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            alpha: 0.05,
            min_rounds: 3,
            cv_fraction: 1.0 / 3.0,
            cross_machine: false,
        }
    }
}

/// The decision for one (gate, cell) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Regression gate beyond tolerance with significance.
    Regressed,
    /// Acceptance gate clearly missed.
    Failed,
    /// The data cannot decide (noise, too few rounds, not significant).
    Inconclusive,
    /// A side has no data.
    Missing,
    /// Gate met (acceptance) or no regression beyond tolerance (regression).
    Pass,
    /// Regression gate: better beyond tolerance with significance.
    Improved,
}

impl Verdict {
    /// Lower-case name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Improved => "improved",
            Verdict::Regressed => "regressed",
            Verdict::Failed => "failed",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Missing => "missing",
        }
    }

    /// Whether this verdict fails the run (`strict` also fails inconclusive and missing).
    pub fn is_failure(self, strict: bool) -> bool {
        match self {
            Verdict::Regressed | Verdict::Failed => true,
            Verdict::Inconclusive | Verdict::Missing => strict,
            Verdict::Pass | Verdict::Improved => false,
        }
    }
}

/// A verdict with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateVerdict {
    /// Gate id.
    pub gate_id: String,
    /// Cell id (empty when the gate matched no cell).
    pub cell_id: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in one line with the numbers that decided it.
    pub reason: String,
    /// The base side came from another machine.
    pub cross_machine: bool,
}

/// Evaluate one rule against one comparison (or the reason the comparison failed).
/// `direction` is the metric's direction. Uses the q-value when present, else the raw p.
pub fn gate(
    cmp: Result<&Comparison, &CompareError>,
    direction: Direction,
    rule: &Rule,
    cfg: &GateConfig,
) -> GateVerdict {
    let (verdict, mut reason, cell_id) = match cmp {
        Err(e) => {
            let v = match e {
                CompareError::EmptySide { .. } => Verdict::Missing,
                _ => Verdict::Inconclusive,
            };
            (v, e.to_string(), error_cell(e))
        }
        Ok(c) => {
            let (v, r) = decide(c, direction, rule, cfg);
            (v, r, c.cell_id.clone())
        }
    };
    if cfg.cross_machine {
        reason.push_str("; baseline from another machine");
    }
    GateVerdict {
        gate_id: rule.gate_id.clone(),
        cell_id,
        verdict,
        reason,
        cross_machine: cfg.cross_machine,
    }
}

/// The verdict for a gate that matched no cell at all.
pub fn missing_gate(rule: &Rule, cfg: &GateConfig) -> GateVerdict {
    GateVerdict {
        gate_id: rule.gate_id.clone(),
        cell_id: String::new(),
        verdict: Verdict::Missing,
        reason: "no measured cell matches this gate".into(),
        cross_machine: cfg.cross_machine,
    }
}

fn error_cell(e: &CompareError) -> String {
    match e {
        CompareError::EmptySide { cell, .. }
        | CompareError::NonFinite { cell, .. }
        | CompareError::NonPositiveBase { cell, .. } => cell.clone(),
    }
}

/// Gain (percent, positive = better) and its CI, oriented by direction.
fn oriented(c: &Comparison, direction: Direction) -> (f64, Option<Interval>) {
    match direction {
        Direction::HigherIsBetter => (c.change_pct, c.ci_pct),
        Direction::LowerIsBetter => (
            -c.change_pct,
            c.ci_pct.map(|i| Interval {
                lo: -i.hi,
                hi: -i.lo,
            }),
        ),
    }
}

fn decide(
    c: &Comparison,
    direction: Direction,
    rule: &Rule,
    cfg: &GateConfig,
) -> (Verdict, String) {
    let n = c.base.n.min(c.new.n);
    if n < cfg.min_rounds {
        return (
            Verdict::Inconclusive,
            format!(
                "too few rounds: {} base / {} new, need >= {} per side",
                c.base.n, c.new.n, cfg.min_rounds
            ),
        );
    }
    let (gain, ci) = oriented(c, direction);
    let q = c.q_value.or(c.p_value).unwrap_or(1.0);
    let sig = c.exact || q < cfg.alpha;
    let ci = ci.unwrap_or(Interval {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
    });
    let stats = if c.exact {
        format!(
            "change {:+.2}% in every one of {} rounds (deterministic count: exact)",
            c.change_pct, n
        )
    } else {
        format!(
            "change {:+.1}% (CI {:+.1}%..{:+.1}%), q={}, {} rounds",
            c.change_pct,
            ci_raw(c).lo,
            ci_raw(c).hi,
            fmt_p(q),
            n
        )
    };
    let s = Sides {
        c,
        gain,
        ci,
        sig,
        t: rule.threshold_pct,
        stats: &stats,
        rule,
        cfg,
    };
    match rule.kind {
        super::gate::GateKind::Regression => s.regression(),
        super::gate::GateKind::Acceptance => s.acceptance(),
    }
}

/// One comparison seen through a rule: the oriented gain, its CI, significance, tolerance.
struct Sides<'a> {
    c: &'a Comparison,
    gain: f64,
    ci: Interval,
    sig: bool,
    t: f64,
    stats: &'a str,
    rule: &'a Rule,
    cfg: &'a GateConfig,
}

impl Sides<'_> {
    /// Regression: worse beyond tolerance (significant, CI below 0), better beyond it,
    /// too noisy, a CI that reaches the tolerance, else within it.
    fn regression(&self) -> (Verdict, String) {
        let (stats, t, ci) = (self.stats, self.t, self.ci);
        if self.gain < -t && self.sig && ci.hi < 0.0 {
            return (
                Verdict::Regressed,
                format!("{stats}: worse than tolerance {t}%"),
            );
        }
        if self.gain > t && self.sig && ci.lo > 0.0 {
            return (Verdict::Improved, format!("{stats}: better beyond {t}%"));
        }
        if let Some(why) = too_noisy(self.c, self.rule, self.cfg) {
            return (Verdict::Inconclusive, format!("{stats}: {why}"));
        }
        if t > 0.0 && ci.lo <= -t {
            let why = if self.gain < -t {
                "beyond"
            } else {
                "CI reaches"
            };
            return (
                Verdict::Inconclusive,
                format!(
                    "{stats}: {why} tolerance {t}% without significance{}",
                    short_rounds(self.c, self.cfg)
                ),
            );
        }
        (Verdict::Pass, format!("{stats}: within tolerance {t}%"))
    }

    /// Acceptance: a significant gain of at least the threshold passes, a CI entirely below
    /// it fails, anything else is inconclusive.
    fn acceptance(&self) -> (Verdict, String) {
        let (stats, t) = (self.stats, self.t);
        if self.gain >= t && self.sig && self.ci.lo > 0.0 {
            return (Verdict::Pass, format!("{stats}: meets required {t}% gain"));
        }
        if self.ci.hi < t {
            return (
                Verdict::Failed,
                format!("{stats}: clearly below required {t}% gain"),
            );
        }
        let why = if self.gain >= t {
            format!(
                "gain meets {t}% but is not significant{}",
                short_rounds(self.c, self.cfg)
            )
        } else {
            format!("gain below {t}% but the CI reaches it")
        };
        let noise = too_noisy(self.c, self.rule, self.cfg)
            .map(|n| format!("; {n}"))
            .unwrap_or_default();
        (Verdict::Inconclusive, format!("{stats}: {why}{noise}"))
    }
}

fn ci_raw(c: &Comparison) -> Interval {
    c.ci_pct.unwrap_or(Interval {
        lo: f64::NAN,
        hi: f64::NAN,
    })
}

fn short_rounds(c: &Comparison, cfg: &GateConfig) -> String {
    if c.min_attainable_p >= cfg.alpha {
        format!(
            " (with {} rounds the rank test cannot go below p={})",
            c.base.n.min(c.new.n),
            fmt_p(c.min_attainable_p)
        )
    } else {
        String::new()
    }
}

fn too_noisy(c: &Comparison, rule: &Rule, cfg: &GateConfig) -> Option<String> {
    let limit = rule.noise_limit_pct.unwrap_or(rule.threshold_pct);
    if limit <= 0.0 {
        return None;
    }
    if let Some(mde) = c.mde_pct.filter(|m| *m > limit) {
        return Some(format!("noise too high: MDE {mde:.1}% > {limit}%"));
    }
    // The CV rule is for independent samples: with paired rounds the process-to-process
    // spread both sides share cancels, and the paired MDE above already measures what is left.
    if let Some(cv) = c
        .noise_floor_pct
        .filter(|cv| !c.paired && *cv > limit * cfg.cv_fraction)
    {
        return Some(format!(
            "noise too high: CV {cv:.1}% > {:.1}% ({limit}% x {:.2})",
            limit * cfg.cv_fraction,
            cfg.cv_fraction
        ));
    }
    None
}

/// Format a p-value compactly (`0.031`, `2.1e-5`).
pub fn fmt_p(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

/// Counts of verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    /// `Pass`.
    pub pass: usize,
    /// `Improved`.
    pub improved: usize,
    /// `Regressed`.
    pub regressed: usize,
    /// `Failed`.
    pub failed: usize,
    /// `Inconclusive`.
    pub inconclusive: usize,
    /// `Missing`.
    pub missing: usize,
}

/// The overall result: pass/fail and the process exit code, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// True when no verdict is a failure.
    pub passed: bool,
    /// 0 when passed, 1 when a gate failed (2 is reserved for usage/data errors in the CLI).
    pub exit_code: i32,
    /// Whether inconclusive and missing verdicts count as failures.
    pub strict: bool,
    /// Verdict counts.
    pub counts: VerdictCounts,
    /// `gate_id @ cell_id` of every failing verdict, in input order.
    pub failing: Vec<String>,
}

/// Exit code for a passing run.
pub const EXIT_PASS: i32 = 0;
/// Exit code for a failed gate.
pub const EXIT_GATE_FAILED: i32 = 1;

impl Outcome {
    /// Fold verdicts into an outcome.
    pub fn from_verdicts(verdicts: &[GateVerdict], strict: bool) -> Outcome {
        let mut counts = VerdictCounts::default();
        let mut failing = Vec::new();
        for v in verdicts {
            match v.verdict {
                Verdict::Pass => counts.pass += 1,
                Verdict::Improved => counts.improved += 1,
                Verdict::Regressed => counts.regressed += 1,
                Verdict::Failed => counts.failed += 1,
                Verdict::Inconclusive => counts.inconclusive += 1,
                Verdict::Missing => counts.missing += 1,
            }
            if v.verdict.is_failure(strict) {
                failing.push(format!("{} @ {}", v.gate_id, v.cell_id));
            }
        }
        let passed = failing.is_empty();
        Outcome {
            passed,
            exit_code: if passed { EXIT_PASS } else { EXIT_GATE_FAILED },
            strict,
            counts,
            failing,
        }
    }
}
