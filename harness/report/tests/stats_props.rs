//! Property tests of the statistics (seeded, modest case counts).

mod common;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use ron_bench_report::analysis::{
    adjust_p_values, cell_rng, compare, gate, inject_slowdown, Cell, CompareConfig, Correction,
    Direction, GateConfig, GateKind, MetricKind, Rule, Verdict,
};

fn cell(base: Vec<f64>, new: Vec<f64>, paired: bool, metric: MetricKind) -> Cell {
    Cell {
        id: "c".into(),
        params: Default::default(),
        metric: metric.metric(),
        base,
        new,
        paired,
    }
}

fn regression(t: f64) -> Rule {
    Rule {
        gate_id: "r".into(),
        description: String::new(),
        kind: GateKind::Regression,
        threshold_pct: t,
        noise_limit_pct: None,
        direction: ron_bench_report::analysis::Direction::HigherIsBetter,
    }
}

/// The CI of the ratio of medians covers the true ratio at about the stated rate on lognormal
/// data (true ratio = exp(mu_new - mu_base)).
#[test]
fn ratio_ci_coverage_is_near_nominal() {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let cfg = CompareConfig {
        resamples: 600,
        confidence: 0.9,
        ..CompareConfig::default()
    };
    for paired in [false, true] {
        let trials = 150;
        let mut covered = 0;
        for t in 0..trials {
            let truth = 1.07;
            let base = common::lognormal(&mut rng, 100.0, 0.05, 15);
            let new = common::lognormal(&mut rng, 100.0 * truth, 0.05, 15);
            let c = compare(
                &cell(base, new, paired, MetricKind::P50Ns),
                &cfg,
                &mut cell_rng(t, "c"),
            )
            .unwrap();
            let ci = c.ci_pct.unwrap();
            let want = (truth - 1.0) * 100.0;
            if ci.lo <= want && want <= ci.hi {
                covered += 1;
            }
        }
        let rate = covered as f64 / trials as f64;
        // Percentile bootstrap of a median with n = 15 is somewhat anti-conservative; accept a
        // band around the nominal 90%.
        assert!(
            (0.78..=0.98).contains(&rate),
            "paired={paired}: coverage {rate}"
        );
    }
}

fn values() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(50.0f64..150.0, 3..12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Identical inputs never regress (nor improve), paired or not, whatever the tolerance.
    #[test]
    fn identical_inputs_never_regress(v in values(), paired in any::<bool>(), t in 0.0f64..20.0) {
        let cfg = CompareConfig { resamples: 200, ..CompareConfig::default() };
        let c = cell(v.clone(), v, paired, MetricKind::P95Ns);
        let cmp = compare(&c, &cfg, &mut cell_rng(1, "c")).unwrap();
        let g = gate(Ok(&cmp), Direction::LowerIsBetter, &regression(t), &GateConfig::default());
        prop_assert!(!matches!(g.verdict, Verdict::Regressed | Verdict::Improved | Verdict::Failed), "{g:?}");
        prop_assert_eq!(cmp.change_pct, 0.0);
    }

    /// A larger injected slowdown never makes the change smaller, nor the verdict milder.
    #[test]
    fn monotone_in_injected_shift(v in values(), s1 in 0.0f64..30.0, extra in 0.0f64..30.0) {
        let cfg = CompareConfig { resamples: 200, ..CompareConfig::default() };
        let base = cell(v.clone(), v, true, MetricKind::DeliveriesPerSec);
        let a = inject_slowdown(&base, s1);
        let b = inject_slowdown(&base, s1 + extra);
        let ca = compare(&a, &cfg, &mut cell_rng(3, "x")).unwrap();
        let cb = compare(&b, &cfg, &mut cell_rng(3, "x")).unwrap();
        // Higher is better: a slowdown lowers the value.
        prop_assert!(cb.change_pct <= ca.change_pct + 1e-9);
        let rank = |v: Verdict| matches!(v, Verdict::Regressed) as u8;
        let g = GateConfig { alpha: 0.05, ..GateConfig::default() };
        let va = gate(Ok(&ca), Direction::HigherIsBetter, &regression(5.0), &g).verdict;
        let vb = gate(Ok(&cb), Direction::HigherIsBetter, &regression(5.0), &g).verdict;
        prop_assert!(rank(vb) >= rank(va), "{va:?} then {vb:?}");
    }

    /// BH and Holm adjusted p-values are >= raw, <= 1 and monotone in the raw p-values.
    #[test]
    fn adjusted_p_values_are_monotone_and_not_below_raw(p in prop::collection::vec(0.0f64..=1.0, 1..40)) {
        for method in [Correction::BenjaminiHochberg, Correction::Holm] {
            let q = adjust_p_values(&p, method);
            prop_assert_eq!(q.len(), p.len());
            for i in 0..p.len() {
                prop_assert!(q[i] >= p[i] - 1e-15 && q[i] <= 1.0);
                for j in 0..p.len() {
                    if p[i] < p[j] {
                        prop_assert!(q[i] <= q[j] + 1e-15, "{:?} {} {}", method, i, j);
                    }
                }
            }
        }
    }
}

#[test]
fn big_shift_with_enough_rounds_is_detected() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let base = common::lognormal(&mut rng, 1000.0, 0.02, 10);
    let c = inject_slowdown(&cell(base.clone(), base, true, MetricKind::P95Ns), 25.0);
    let cmp = compare(
        &c,
        &CompareConfig {
            resamples: 500,
            ..Default::default()
        },
        &mut cell_rng(9, &c.id),
    )
    .unwrap();
    let g = gate(
        Ok(&cmp),
        Direction::LowerIsBetter,
        &regression(10.0),
        &GateConfig::default(),
    );
    assert_eq!(g.verdict, Verdict::Regressed, "{g:?}");
}

#[test]
fn noisy_or_short_data_is_inconclusive_and_empty_is_missing() {
    let cfg = CompareConfig {
        resamples: 300,
        ..Default::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    // CV ~15% against a 10% tolerance: too noisy to pass.
    let b = common::lognormal(&mut rng, 100.0, 0.15, 6);
    let n = common::lognormal(&mut rng, 100.0, 0.15, 6);
    let cmp = compare(
        &cell(b, n, false, MetricKind::P95Ns),
        &cfg,
        &mut cell_rng(1, "c"),
    )
    .unwrap();
    let g = gate(
        Ok(&cmp),
        Direction::LowerIsBetter,
        &regression(10.0),
        &GateConfig::default(),
    );
    assert_eq!(g.verdict, Verdict::Inconclusive, "{g:?}");
    // Two rounds: too few.
    let cmp = compare(
        &cell(vec![1.0, 1.1], vec![1.0, 1.05], false, MetricKind::P95Ns),
        &cfg,
        &mut cell_rng(1, "c"),
    )
    .unwrap();
    let g = gate(
        Ok(&cmp),
        Direction::LowerIsBetter,
        &regression(10.0),
        &GateConfig::default(),
    );
    assert_eq!(g.verdict, Verdict::Inconclusive);
    assert!(g.reason.contains("too few rounds"), "{}", g.reason);
    // Empty side and NaN: no panic.
    let e = compare(
        &cell(vec![], vec![1.0], false, MetricKind::P95Ns),
        &cfg,
        &mut cell_rng(1, "c"),
    )
    .unwrap_err();
    let g = gate(
        Err(&e),
        Direction::LowerIsBetter,
        &regression(10.0),
        &GateConfig::default(),
    );
    assert_eq!(g.verdict, Verdict::Missing);
    let e = compare(
        &cell(vec![1.0, f64::NAN], vec![1.0], false, MetricKind::P95Ns),
        &cfg,
        &mut cell_rng(1, "c"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("base value #1"), "{e}");
}

#[test]
fn calibration_helpers() {
    use ron_bench_report::analysis::{detection_rate, false_alarm_rate};
    let fa = false_alarm_rate(&[
        vec![Verdict::Pass, Verdict::Pass],
        vec![Verdict::Pass, Verdict::Regressed],
        vec![Verdict::Inconclusive, Verdict::Pass],
        vec![],
    ]);
    assert_eq!(
        (fa.suites_with_alarm, fa.alarms, fa.inconclusive),
        (1, 1, 1)
    );
    assert!((fa.suite_rate - 0.25).abs() < 1e-12 && (fa.cell_rate - 1.0 / 6.0).abs() < 1e-12);
    let d = detection_rate(&[
        (10.0, Verdict::Regressed),
        (5.0, Verdict::Pass),
        (10.0, Verdict::Inconclusive),
        (5.0, Verdict::Regressed),
    ]);
    assert_eq!(d.len(), 2);
    assert_eq!((d[0].injected_pct, d[0].trials, d[0].detected), (5.0, 2, 1));
    assert_eq!(d[1].rate, 0.5);
}
