//! Step 4 of the gate pipeline: sequential sampling within a time budget.
//!
//! A gate measures in *looks*. After each look every check is evaluated on all the rounds so
//! far; checks with a verdict other than `inconclusive` are decided and their cells are not
//! measured again; the next look adds interleaved rounds to the cells of undecided checks
//! only, sized so the remaining looks share the remaining budget. The gate stops when every
//! check is decided, when a check fails (the gate's answer cannot change), when the budget is
//! spent, or after [`Schedule::max_looks`] looks.
//!
//! **False alarms under repeated looks.** Each look is a new chance to call a regression, so
//! the family's alpha is split over the looks (Bonferroni: `alpha / max_looks` per look, with
//! the Benjamini-Hochberg correction across checks inside each look). By the union bound the
//! chance that any look raises a false `regressed` is at most `alpha`, whatever the data do
//! between looks. Simpler than an alpha-spending function and slightly conservative; the
//! report states the per-look alpha.

use crate::store::RunFile;
use ron_bench_report::analysis::Verdict;
use ron_bench_report::report::Report;

/// How a gate spends its budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Wall-time budget of the measurement, ms (builds excluded).
    pub budget_ms: u64,
    /// Most looks (the alpha is split over this many).
    pub max_looks: u32,
    /// Rounds of the first look: enough for a paired rank test to reach the per-look alpha.
    pub first_rounds: u32,
    /// Fewest rounds a later look adds (fewer would not move a verdict).
    pub min_rounds: u32,
}

impl Schedule {
    /// Per-look significance level: `alpha / max_looks`.
    pub fn look_alpha(&self, alpha: f64) -> f64 {
        alpha / f64::from(self.max_looks.max(1))
    }

    /// Rounds of the next look, or `None` when the gate must stop: `looks_done` looks used
    /// `spent_ms`; one round of the cells still undecided costs about `ms_per_round`. The
    /// remaining budget is shared evenly by the remaining looks; a look that cannot afford
    /// `min_rounds` is not started.
    pub fn next_rounds(&self, looks_done: u32, spent_ms: u64, ms_per_round: f64) -> Option<u32> {
        if looks_done >= self.max_looks || spent_ms >= self.budget_ms {
            return None;
        }
        let left = (self.budget_ms - spent_ms) as f64;
        let looks_left = f64::from(self.max_looks - looks_done);
        let rounds = (left / looks_left / ms_per_round.max(1.0)).floor();
        if rounds < f64::from(self.min_rounds) {
            // The last affordable look takes whatever the whole remainder buys.
            let all = (left / ms_per_round.max(1.0)).floor();
            return (all >= f64::from(self.min_rounds)).then_some(all.min(1e6) as u32);
        }
        Some(rounds.min(1e6) as u32)
    }
}

/// Why the looks stopped (said in the headline and in every undecided check's reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Every check has a verdict other than inconclusive.
    AllDecided,
    /// A check regressed or failed: more data cannot make the gate pass.
    Failed,
    /// The time budget (or the last look) is spent.
    BudgetSpent,
}

impl Stop {
    /// The words used after "inconclusive".
    pub fn as_str(self) -> &'static str {
        match self {
            Stop::AllDecided => "all decided",
            Stop::Failed => "stopped early: the gate already failed",
            Stop::BudgetSpent => "budget spent",
        }
    }
}

/// What the looks decided so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Gate ids with at least one undecided (inconclusive) check.
    pub undecided_gates: Vec<String>,
    /// Whether any check failed the gate.
    pub failed: bool,
}

/// Reads a report's verdicts after a look.
pub fn progress(report: &Report) -> Progress {
    progress_of(report.rows.iter().map(|r| (r.gate_id.as_str(), r.verdict)))
}

/// [`progress`] over `(gate id, verdict)` pairs.
pub fn progress_of<'a>(verdicts: impl IntoIterator<Item = (&'a str, Verdict)>) -> Progress {
    let mut undecided_gates: Vec<String> = Vec::new();
    let mut failed = false;
    for (gate, verdict) in verdicts {
        match verdict {
            Verdict::Inconclusive if !undecided_gates.iter().any(|g| g == gate) => {
                undecided_gates.push(gate.to_string());
            }
            Verdict::Regressed | Verdict::Failed => failed = true,
            _ => {}
        }
    }
    Progress {
        undecided_gates,
        failed,
    }
}

/// Whether to stop after a look, and why (`budget_left` is false when no further look fits).
pub fn stop_reason(p: &Progress, budget_left: bool) -> Option<Stop> {
    if p.failed {
        Some(Stop::Failed)
    } else if p.undecided_gates.is_empty() {
        Some(Stop::AllDecided)
    } else if !budget_left {
        Some(Stop::BudgetSpent)
    } else {
        None
    }
}

/// Appends the rounds of `look` to `acc`, cell by cell (matched by id and build), numbering
/// them after the rounds `acc` already has, so both builds of a cell keep equal, aligned
/// round lists (the pairing invariant of same-run A/B). Cells new in `look` are added.
pub fn append_look(acc: &mut RunFile, look: RunFile) {
    let offset = acc
        .cells
        .iter()
        .flat_map(|c| c.rounds.iter().map(|r| r.round + 1))
        .max()
        .unwrap_or(0);
    for mut cell in look.cells {
        for r in &mut cell.rounds {
            r.round += offset;
        }
        match acc
            .cells
            .iter_mut()
            .find(|c| c.id == cell.id && c.build == cell.build)
        {
            Some(c) => {
                c.rounds.extend(cell.rounds);
                c.summary = crate::runner::summarize(&c.rounds);
            }
            None => acc.cells.push(cell),
        }
    }
    for s in look.skipped {
        if !acc.skipped.contains(&s) {
            acc.skipped.push(s);
        }
    }
    acc.wall_ms += look.wall_ms;
}

/// Marks every still-inconclusive row of the final report with why the looks stopped.
pub fn annotate(report: &mut Report, stop: Stop, looks: u32) {
    for r in &mut report.rows {
        if r.verdict == Verdict::Inconclusive {
            let note = format!(" [undecided after {looks} looks: {}]", stop.as_str());
            r.reason.push_str(&note);
            r.why.push_str(&note);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const S: Schedule = Schedule {
        budget_ms: 100_000,
        max_looks: 5,
        first_rounds: 12,
        min_rounds: 4,
    };

    #[test]
    fn the_alpha_is_split_over_the_looks() {
        assert!((S.look_alpha(0.05) - 0.01).abs() < 1e-12);
    }

    #[test]
    fn looks_share_the_remaining_budget() {
        // 80 s left over 4 looks at 1 s a round: 20 rounds.
        assert_eq!(S.next_rounds(1, 20_000, 1_000.0), Some(20));
        // Fewer cells undecided: cheaper rounds, more of them.
        assert_eq!(S.next_rounds(1, 20_000, 250.0), Some(80));
    }

    #[test]
    fn no_look_past_the_budget_or_the_last_look() {
        assert_eq!(S.next_rounds(5, 0, 1.0), None);
        assert_eq!(S.next_rounds(1, 100_000, 1.0), None);
        // 3 s left at 1 s a round buys 3 < 4 rounds: stop.
        assert_eq!(S.next_rounds(1, 97_000, 1_000.0), None);
        // 6 s left over 4 looks is 1 round each, but the remainder buys 6 >= 4: one last look.
        assert_eq!(S.next_rounds(1, 94_000, 1_000.0), Some(6));
    }

    /// A synthetic suite of `checks` paired time checks replayed as a whole gate run
    /// ([`crate::gate::trials::run_trial`]: looks, per-look alpha, BH). Each process run has
    /// 2% noise and, with probability 0.15, lands in a 12% slow mode (the VM's process
    /// modes); the new side is `effect` slower. Returns (suite failed, checks inconclusive).
    fn simulate_suite(rng: &mut ChaCha8Rng, checks: usize, effect: f64) -> (bool, usize) {
        use crate::gate::trials::{run_trial, CheckData};
        use ron_bench_report::analysis::{AnalysisConfig, GateKind, MetricKind, Rule};
        let run = |slow: f64, rng: &mut ChaCha8Rng| {
            let mode = if rng.random::<f64>() < 0.15 {
                0.12
            } else {
                0.0
            };
            let noise: f64 = (0..4).map(|_| rng.random::<f64>() - 0.5).sum::<f64>() * 0.035;
            1e6 * (-(mode + noise + slow)).exp()
        };
        let data: Vec<CheckData> = (0..checks)
            .map(|i| CheckData {
                rule: Rule {
                    gate_id: format!("g{i}"),
                    description: String::new(),
                    kind: GateKind::Regression,
                    threshold_pct: 3.0,
                    noise_limit_pct: None,
                    direction: MetricKind::PublishesPerSec.direction(),
                },
                metric: MetricKind::PublishesPerSec.metric(),
                base: (0..60).map(|_| run(0.0, rng)).collect(),
                new: (0..60).map(|_| run(effect, rng)).collect(),
            })
            .collect();
        let mut cfg = AnalysisConfig::default();
        cfg.compare.resamples = 300;
        let o = run_trial(&data, &S, 12, &cfg, rng);
        (o.failed, o.inconclusive)
    }

    #[test]
    fn sequential_looks_keep_the_false_alarm_rate_under_alpha_on_a_a_data() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let suites = 150;
        let (mut failed, mut undecided) = (0, 0);
        for _ in 0..suites {
            let (f, u) = simulate_suite(&mut rng, 6, 0.0);
            failed += usize::from(f);
            undecided += u;
        }
        // Whole-suite false-fail rate: the union bound promises <= alpha = 5%; with the
        // tolerance on top it is far lower. 150 suites: allow 4 (2.7%) for sampling slack.
        assert!(failed <= 4, "{failed} of {suites} A/A suites failed");
        assert!(undecided * 20 <= suites * 6, "{undecided} undecided checks");
    }

    #[test]
    fn sequential_looks_catch_a_real_slowdown() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let suites = 40;
        let caught = (0..suites)
            .filter(|_| simulate_suite(&mut rng, 6, 0.08).0)
            .count();
        assert!(caught * 10 >= suites * 9, "caught {caught} of {suites}");
    }

    #[test]
    fn stop_reasons_in_priority_order() {
        let p = |undecided: &[&str], failed| Progress {
            undecided_gates: undecided.iter().map(|s| s.to_string()).collect(),
            failed,
        };
        assert_eq!(stop_reason(&p(&["a"], true), true), Some(Stop::Failed));
        assert_eq!(stop_reason(&p(&[], false), true), Some(Stop::AllDecided));
        assert_eq!(
            stop_reason(&p(&["a"], false), false),
            Some(Stop::BudgetSpent)
        );
        assert_eq!(stop_reason(&p(&["a"], false), true), None);
    }
}
