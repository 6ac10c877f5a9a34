//! The gate's own quality, scored on measured data: one *trial* replays a whole default-gate
//! run (looks, per-look alpha, Benjamini-Hochberg across checks, stop rules) on rounds drawn
//! without replacement from a long interleaved calibration run. Pure: the only randomness is
//! the seeded RNG; `ron-bench calibrate` does the measuring (`cli::calibrate_gate`).

use super::sequential::{progress_of, stop_reason, Schedule};
use rand::seq::SliceRandom;
use rand::Rng;
use ron_bench_report::analysis::{evaluate, AnalysisConfig, Cell, Check, Metric, Rule, Verdict};

/// One check of a trial: its rule and the paired per-round values of its two sides.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckData {
    /// The gate rule (id, tolerance).
    pub rule: Rule,
    /// The metric (direction, and whether it is a deterministic count).
    pub metric: Metric,
    /// Base side, one value per measured round.
    pub base: Vec<f64>,
    /// New side, round `i` measured next to `base[i]`.
    pub new: Vec<f64>,
}

/// What one replayed gate run decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialOutcome {
    /// Some check regressed or failed: the gate would exit 1.
    pub failed: bool,
    /// Checks still inconclusive when the replay stopped.
    pub inconclusive: usize,
    /// Checks in the trial.
    pub checks: usize,
    /// Looks used.
    pub looks: u32,
    /// Ids of the checks that regressed.
    pub regressed: Vec<String>,
}

/// Replays one gate run over `checks`. Each check's rounds are shuffled once per trial (its
/// two sides together, so rounds stay paired); each look takes the next `look_rounds` rounds of the
/// checks still undecided (the first look `sched.first_rounds`), until the stop rules fire,
/// the looks run out or the data do. Deterministic counts are evaluated on all their rounds
/// from the first look (they need no more).
pub fn run_trial<R: Rng + ?Sized>(
    checks: &[CheckData],
    sched: &Schedule,
    look_rounds: usize,
    cfg: &AnalysisConfig,
    rng: &mut R,
) -> TrialOutcome {
    let n: Vec<usize> = checks
        .iter()
        .map(|c| c.base.len().min(c.new.len()))
        .collect();
    let orders: Vec<Vec<usize>> = n
        .iter()
        .map(|&k| {
            let mut o: Vec<usize> = (0..k).collect();
            o.shuffle(rng);
            o
        })
        .collect();
    let mut taken = vec![0usize; checks.len()];
    let mut cfg = *cfg;
    cfg.gate.alpha = sched.look_alpha(cfg.gate.alpha);
    let rules: Vec<Check> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| Check {
            rule: c.rule.clone(),
            cell: Some(i),
        })
        .collect();
    let mut want: Vec<bool> = vec![true; checks.len()];
    let mut looks = 0;
    loop {
        looks += 1;
        let step = if looks == 1 {
            sched.first_rounds as usize
        } else {
            look_rounds
        };
        for (i, c) in checks.iter().enumerate() {
            if want[i] {
                taken[i] = if deterministic(c) {
                    n[i]
                } else {
                    (taken[i] + step).min(n[i])
                };
            }
        }
        let cells: Vec<Cell> = checks
            .iter()
            .zip(&taken)
            .zip(&orders)
            .map(|((c, &k), o)| cell(c, &o[..k]))
            .collect();
        let eval = evaluate(&cells, &rules, &cfg);
        let p = progress_of(
            rules
                .iter()
                .zip(&eval.verdicts)
                .map(|(c, v)| (c.rule.gate_id.as_str(), v.verdict)),
        );
        let undecided_with_data = eval
            .verdicts
            .iter()
            .zip(taken.iter().zip(&n))
            .any(|(v, (k, n))| v.verdict == Verdict::Inconclusive && k < n);
        let more = looks < sched.max_looks && undecided_with_data;
        if stop_reason(&p, more).is_some() {
            return outcome_of(&rules, &eval, p.failed, looks);
        }
        for (w, v) in want.iter_mut().zip(&eval.verdicts) {
            *w = v.verdict == Verdict::Inconclusive;
        }
    }
}

/// The trial's result once it stops after `looks` looks.
fn outcome_of(
    rules: &[Check],
    eval: &ron_bench_report::analysis::Evaluation,
    failed: bool,
    looks: u32,
) -> TrialOutcome {
    let count = |want: Verdict| eval.verdicts.iter().filter(|v| v.verdict == want).count();
    TrialOutcome {
        failed,
        inconclusive: count(Verdict::Inconclusive),
        checks: rules.len(),
        looks,
        regressed: rules
            .iter()
            .zip(&eval.verdicts)
            .filter(|(_, v)| v.verdict == Verdict::Regressed)
            .map(|(c, _)| c.rule.gate_id.clone())
            .collect(),
    }
}

fn deterministic(c: &CheckData) -> bool {
    ron_bench_report::analysis::MetricKind::from_name(&c.metric.name)
        .is_some_and(|m| m.deterministic())
}

fn cell(c: &CheckData, rounds: &[usize]) -> Cell {
    Cell {
        id: format!("{}:{}", c.rule.gate_id, c.metric.name),
        params: Default::default(),
        metric: c.metric.clone(),
        base: rounds.iter().map(|&i| c.base[i]).collect(),
        new: rounds.iter().map(|&i| c.new[i]).collect(),
        paired: true,
    }
}

/// Rates over many trials.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct TrialRates {
    /// Trials.
    pub trials: usize,
    /// Share of trials in which the gate failed (exit 1).
    pub fail_rate: f64,
    /// Share of checks left inconclusive.
    pub inconclusive_rate: f64,
    /// Mean looks per trial.
    pub mean_looks: f64,
}

/// Folds trial outcomes into rates.
pub fn rates(outcomes: &[TrialOutcome]) -> TrialRates {
    let t = outcomes.len().max(1) as f64;
    let checks: usize = outcomes.iter().map(|o| o.checks).sum();
    TrialRates {
        trials: outcomes.len(),
        fail_rate: outcomes.iter().filter(|o| o.failed).count() as f64 / t,
        inconclusive_rate: outcomes.iter().map(|o| o.inconclusive).sum::<usize>() as f64
            / checks.max(1) as f64,
        mean_looks: outcomes.iter().map(|o| f64::from(o.looks)).sum::<f64>() / t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use ron_bench_report::analysis::{GateKind, MetricKind};

    fn check(id: &str, metric: MetricKind, base: Vec<f64>, new: Vec<f64>) -> CheckData {
        CheckData {
            rule: Rule {
                gate_id: id.into(),
                description: String::new(),
                kind: GateKind::Regression,
                threshold_pct: if metric.deterministic() { 1.0 } else { 5.0 },
                noise_limit_pct: None,
                direction: metric.direction(),
            },
            metric: metric.metric(),
            base,
            new,
        }
    }

    fn noisy(rng: &mut ChaCha8Rng, n: usize, scale: f64) -> Vec<f64> {
        (0..n)
            .map(|_| scale * (1.0 + (rng.random::<f64>() - 0.5) * 0.04))
            .collect()
    }

    const S: Schedule = Schedule {
        budget_ms: 1,
        max_looks: 3,
        first_rounds: 12,
        min_rounds: 4,
    };

    fn cfg() -> AnalysisConfig {
        let mut c = AnalysisConfig::default();
        c.compare.resamples = 300;
        c
    }

    #[test]
    fn an_unchanged_pair_passes_and_a_slowed_one_fails() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let base = noisy(&mut rng, 36, 100.0);
        let same = noisy(&mut rng, 36, 100.0);
        let slow = noisy(&mut rng, 36, 80.0);
        let aa = [check("t", MetricKind::PublishesPerSec, base.clone(), same)];
        let o = run_trial(&aa, &S, 12, &cfg(), &mut rng);
        assert!(!o.failed && o.inconclusive == 0, "{o:?}");
        let ab = [check("t", MetricKind::PublishesPerSec, base, slow)];
        let o = run_trial(&ab, &S, 12, &cfg(), &mut rng);
        assert!(o.failed, "{o:?}");
        assert_eq!(o.regressed, vec!["t".to_string()]);
    }

    #[test]
    fn exact_counts_decide_a_two_percent_change_in_the_first_look() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let c = [check(
            "i",
            MetricKind::InstructionsPerMsg,
            vec![361.0; 3],
            vec![368.3; 3],
        )];
        let o = run_trial(&c, &S, 12, &cfg(), &mut rng);
        assert!(o.failed && o.looks == 1, "{o:?}");
        let r = rates(&[o.clone(), TrialOutcome { failed: false, ..o }]);
        assert_eq!(r.trials, 2);
        assert!((r.fail_rate - 0.5).abs() < 1e-12);
    }
}
