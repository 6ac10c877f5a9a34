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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GateKind {
    /// "Must be at least `threshold_pct` better" (MOG acceptance gates).
    Acceptance,
    /// "Must not be more than `threshold_pct` worse" (regression gates).
    Regression,
}

/// A gate rule applied to one cell (produced by a policy, or built by hand).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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
    /// Which way is good for the gate's metric (orients [`Rule::limit_pct`] and
    /// [`Rule::describe`] when the gate matched no cell).
    #[serde(default = "higher_is_better")]
    pub direction: Direction,
}

fn higher_is_better() -> Direction {
    Direction::HigherIsBetter
}

impl Rule {
    /// The limit as a signed change of the metric **value** (`new / base - 1`, percent),
    /// oriented by the metric's direction: a 5% regression tolerance is `-5` for a
    /// higher-is-better metric and `+5` for a lower-is-better one; a 15% acceptance target is
    /// `+15` and `-15`.
    pub fn limit_pct(&self, direction: Direction) -> f64 {
        let t = self.threshold_pct;
        let worse = match direction {
            Direction::HigherIsBetter => -t,
            Direction::LowerIsBetter => t,
        };
        let limit = match self.kind {
            GateKind::Regression => worse,
            GateKind::Acceptance => -worse,
        };
        // Never print `-0%`.
        if limit == 0.0 {
            0.0
        } else {
            limit
        }
    }

    /// The rule in a few words, on the metric's own change: `within -5%` (a regression gate
    /// on a throughput), `within +10%` (on a latency), `>= +15%` / `<= -10%` (acceptance),
    /// `not worse` (a 0% regression gate), `gain > 0` (a 0% acceptance gate).
    pub fn describe(&self, direction: Direction) -> String {
        let limit = self.limit_pct(direction);
        match (self.kind, direction) {
            (GateKind::Regression, _) if limit == 0.0 => "not worse".into(),
            (GateKind::Acceptance, _) if limit == 0.0 => "gain > 0".into(),
            (GateKind::Regression, _) => format!("within {}", fmt_signed_pct(limit)),
            (GateKind::Acceptance, Direction::HigherIsBetter) => {
                format!(">= {}", fmt_signed_pct(limit))
            }
            (GateKind::Acceptance, Direction::LowerIsBetter) => {
                format!("<= {}", fmt_signed_pct(limit))
            }
        }
    }
}

/// `+15%`, `-5%`, `+2.5%`, `0%`: a signed percentage with at most the digits it needs.
pub fn fmt_signed_pct(v: f64) -> String {
    if v == 0.0 {
        return "0%".into();
    }
    let s = format!("{v:+.1}");
    format!("{}%", s.strip_suffix(".0").unwrap_or(&s))
}

/// Knobs of [`gate`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct GateVerdict {
    /// Gate id.
    pub gate_id: String,
    /// Cell id (empty when the gate matched no cell).
    pub cell_id: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in one line with the numbers that decided it: the statistics (change, CI, q,
    /// rounds), a colon, then [`GateVerdict::why`].
    pub reason: String,
    /// Why, in a few words and without the statistics (`within tolerance 5%`, `noise too
    /// high: MDE 7.2% > 5%`, `no measured cell matches this gate`): for tables whose other
    /// columns already show the numbers.
    pub why: String,
    /// The rule in a few words ([`Rule::describe`]): `within -5%`, `>= +15%`.
    pub rule: String,
    /// The limit as a signed change of the metric value ([`Rule::limit_pct`]).
    pub limit_pct: f64,
    /// Rounds the verdict was decided on (the smaller side); `None` without a comparison.
    pub rounds: Option<usize>,
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
    // `head`: what goes before the short reason in the full one (the statistics, or the
    // comparison error naming its cell).
    let (verdict, head, mut why, cell_id, rounds) = match cmp {
        Err(e) => {
            let v = match e {
                CompareError::EmptySide { .. } => Verdict::Missing,
                _ => Verdict::Inconclusive,
            };
            (v, Some(e.to_string()), e.short(), error_cell(e), None)
        }
        Ok(c) => {
            let (v, stats, why) = decide(c, direction, rule, cfg);
            (
                v,
                stats,
                why,
                c.cell_id.clone(),
                Some(c.base.n.min(c.new.n)),
            )
        }
    };
    if cfg.cross_machine {
        why.push_str("; baseline from another machine");
    }
    let reason = match (&head, cmp) {
        (Some(e), Err(_)) if cfg.cross_machine => format!("{e}; baseline from another machine"),
        (Some(e), Err(_)) => e.clone(),
        (Some(stats), Ok(_)) => format!("{stats}: {why}"),
        (None, _) => why.clone(),
    };
    GateVerdict {
        gate_id: rule.gate_id.clone(),
        cell_id,
        verdict,
        reason,
        why,
        rule: rule.describe(direction),
        limit_pct: rule.limit_pct(direction),
        rounds,
        cross_machine: cfg.cross_machine,
    }
}

/// The verdict for a gate that matched no cell at all.
pub fn missing_gate(rule: &Rule, cfg: &GateConfig) -> GateVerdict {
    let why = "no measured cell matches this gate".to_string();
    GateVerdict {
        gate_id: rule.gate_id.clone(),
        cell_id: String::new(),
        verdict: Verdict::Missing,
        reason: why.clone(),
        why,
        rule: rule.describe(rule.direction),
        limit_pct: rule.limit_pct(rule.direction),
        rounds: None,
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

/// `(verdict, statistics, why)`: the numbers that decided it (`None` when too few rounds
/// leave none worth quoting) and the decision in words.
fn decide(
    c: &Comparison,
    direction: Direction,
    rule: &Rule,
    cfg: &GateConfig,
) -> (Verdict, Option<String>, String) {
    let n = c.base.n.min(c.new.n);
    if n < cfg.min_rounds {
        return (
            Verdict::Inconclusive,
            None,
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
    let (verdict, why) = judge(c, gain, ci, sig, rule, cfg);
    (verdict, Some(stats), why)
}

/// The verdict of an oriented `gain` (with its CI and significance) under `rule`, and why.
fn judge(
    c: &Comparison,
    gain: f64,
    ci: Interval,
    sig: bool,
    rule: &Rule,
    cfg: &GateConfig,
) -> (Verdict, String) {
    let t = rule.threshold_pct;
    match rule.kind {
        super::gate::GateKind::Regression => {
            if gain < -t && sig && ci.hi < 0.0 {
                (Verdict::Regressed, format!("worse than tolerance {t}%"))
            } else if gain > t && sig && ci.lo > 0.0 {
                (Verdict::Improved, format!("better beyond {t}%"))
            } else if let Some(why) = too_noisy(c, rule, cfg) {
                (Verdict::Inconclusive, why)
            } else if t > 0.0 && ci.lo <= -t {
                let why = if gain < -t { "beyond" } else { "CI reaches" };
                (
                    Verdict::Inconclusive,
                    format!(
                        "{why} tolerance {t}% without significance{}",
                        short_rounds(c, cfg)
                    ),
                )
            } else {
                (Verdict::Pass, format!("within tolerance {t}%"))
            }
        }
        super::gate::GateKind::Acceptance => {
            if gain >= t && sig && ci.lo > 0.0 {
                (Verdict::Pass, format!("meets required {t}% gain"))
            } else if ci.hi < t {
                (Verdict::Failed, format!("clearly below required {t}% gain"))
            } else {
                let why = if gain >= t {
                    format!(
                        "gain meets {t}% but is not significant{}",
                        short_rounds(c, cfg)
                    )
                } else {
                    format!("gain below {t}% but the CI reaches it")
                };
                let noise = too_noisy(c, rule, cfg)
                    .map(|n| format!("; {n}"))
                    .unwrap_or_default();
                (Verdict::Inconclusive, format!("{why}{noise}"))
            }
        }
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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: GateKind, t: f64) -> Rule {
        Rule {
            gate_id: "g".into(),
            description: String::new(),
            kind,
            threshold_pct: t,
            noise_limit_pct: None,
            direction: Direction::HigherIsBetter,
        }
    }

    #[test]
    fn the_rule_reads_as_a_limit_on_the_metrics_own_change() {
        use Direction::*;
        use GateKind::*;
        let cases = [
            (Regression, 5.0, HigherIsBetter, "within -5%", -5.0),
            (Regression, 10.0, LowerIsBetter, "within +10%", 10.0),
            (Acceptance, 15.0, HigherIsBetter, ">= +15%", 15.0),
            (Acceptance, 10.0, LowerIsBetter, "<= -10%", -10.0),
            (Regression, 0.0, HigherIsBetter, "not worse", 0.0),
            (Acceptance, 0.0, HigherIsBetter, "gain > 0", 0.0),
            (Regression, 2.5, HigherIsBetter, "within -2.5%", -2.5),
        ];
        for (kind, t, dir, text, limit) in cases {
            let r = rule(kind, t);
            assert_eq!(r.describe(dir), text);
            assert_eq!(r.limit_pct(dir), limit);
            assert!(!r.limit_pct(dir).is_sign_negative() || limit < 0.0);
        }
        assert_eq!(fmt_signed_pct(-6.6), "-6.6%");
        assert_eq!(fmt_signed_pct(0.0), "0%");
    }

    #[test]
    fn every_verdict_carries_a_short_reason_and_its_rule() {
        use super::super::compare::{compare, CompareConfig};
        use super::super::model::{Cell, MetricKind};
        use rand::SeedableRng;
        let cell = |base: Vec<f64>, new: Vec<f64>| Cell {
            id: "c".into(),
            params: Default::default(),
            metric: MetricKind::DeliveriesPerSec.metric(),
            base,
            new,
            paired: true,
        };
        let flat = |v: f64, n: usize| -> Vec<f64> {
            (0..n).map(|i| v * (1.0 + 0.001 * (i % 3) as f64)).collect()
        };
        let cfg = GateConfig::default();
        let mut seen = std::collections::BTreeSet::new();
        let runs: [(GateKind, Vec<f64>, Vec<f64>); 6] = [
            (GateKind::Regression, flat(100.0, 12), flat(100.0, 12)),
            (GateKind::Regression, flat(100.0, 12), flat(80.0, 12)),
            (GateKind::Regression, flat(100.0, 12), flat(130.0, 12)),
            (GateKind::Acceptance, flat(100.0, 12), flat(101.0, 12)),
            (GateKind::Regression, flat(100.0, 2), flat(100.0, 2)),
            (GateKind::Regression, vec![], flat(100.0, 12)),
        ];
        for (kind, base, new) in runs {
            let c = cell(base, new);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
            let cmp = compare(&c, &CompareConfig::default(), &mut rng);
            let v = gate(
                cmp.as_ref(),
                Direction::HigherIsBetter,
                &rule(kind, 5.0),
                &cfg,
            );
            assert!(!v.why.is_empty(), "{v:?}");
            assert!(
                v.reason.ends_with(&v.why) || v.verdict == Verdict::Missing,
                "{v:?}"
            );
            assert!(!v.rule.is_empty());
            seen.insert(v.verdict);
        }
        let m = missing_gate(&rule(GateKind::Regression, 5.0), &cfg);
        assert_eq!(
            (m.why.as_str(), m.rule.as_str()),
            ("no measured cell matches this gate", "within -5%")
        );
        seen.insert(m.verdict);
        assert_eq!(seen.len(), 6, "every verdict kind was produced: {seen:?}");
    }
}
