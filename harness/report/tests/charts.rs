//! Charts: one scaling line per (contender, cap), a change axis that survives an outlier.
//! Each test writes its PNGs under the test target dir so a person can look at them.

mod common;

use std::path::PathBuf;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use ron_bench_report::analysis::{evaluate, MetricKind, Series, Verdict};
use ron_bench_report::export::{ChangeChart, ChartFormat, Exporter, ScalingChart, SymLog};
use ron_bench_report::policy::Policy;
use ron_bench_report::report::{Meta, Report};

fn out_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("ron-bench-report")
        .join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Two contenders x two caps x three fanouts; cap 64 is half as fast as cap 2048.
fn two_cap_sweep() -> Vec<Series> {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut out = Vec::new();
    for (contender, base) in [("ron-bus", 40e6), ("tokio-broadcast", 10e6)] {
        for (cap, factor) in [("64", 0.5), ("2048", 1.0)] {
            for fanout in [1u32, 4, 16] {
                let median = base * factor * (fanout as f64).sqrt();
                let params = [
                    ("burst", "256".to_string()),
                    ("cap", cap.to_string()),
                    ("fanout", fanout.to_string()),
                ];
                let values = common::lognormal(&mut rng, median, 0.02, 6);
                out.push(common::series(
                    "burst_fanout",
                    contender,
                    &[],
                    &params,
                    MetricKind::DeliveriesPerSec,
                    values,
                ));
            }
        }
    }
    out
}

fn report_of(run: &[Series]) -> Report {
    let policy = Policy::mog(&common::vocab()).unwrap();
    let plan = policy.plan(&[], run);
    let cfg = common::fast_config();
    let eval = evaluate(&plan.cells, &plan.checks, &cfg);
    let meta = Meta {
        label: "two-cap sweep".into(),
        date: "2025-11-21".into(),
        baseline: "none".into(),
        features_on: vec![],
        machine: "test".into(),
        cross_machine: false,
        policy: "mog".into(),
        analysis: cfg,
        notes: vec![],
    };
    Report::build(meta, &plan.cells, &plan.checks, &eval).with_points(run)
}

fn png(e: &dyn Exporter, r: &Report, dir: &str, name: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    e.export(r, &mut bytes).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let path = out_dir(dir).join(name);
    std::fs::write(&path, &bytes).unwrap();
    println!("wrote {}", path.display());
    bytes
}

#[test]
fn a_two_cap_sweep_draws_one_line_per_contender_and_cap() {
    let run = two_cap_sweep();
    let report = report_of(&run);
    let chart = ScalingChart::new("burst_fanout");
    let lines = chart.lines(&report);
    let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "ron-bus cap=2048",
            "ron-bus cap=64",
            "tokio-broadcast cap=2048",
            "tokio-broadcast cap=64",
        ]
    );
    for (name, pts) in &lines {
        let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
        assert_eq!(
            xs,
            [1.0, 4.0, 16.0],
            "{name}: one point per fanout, in order"
        );
        // Within one cap the line rises with fanout: no zig-zag between caps.
        assert!(pts.windows(2).all(|w| w[1].1 > w[0].1), "{name}: {pts:?}");
    }
    // A fixed cap leaves one line per contender, with no cap in the name.
    let mut one_cap = ScalingChart::new("burst_fanout");
    one_cap.fixed.insert("cap".into(), "64".into());
    let names: Vec<String> = one_cap.lines(&report).into_iter().map(|l| l.0).collect();
    assert_eq!(names, ["ron-bus", "tokio-broadcast"]);
    let bytes = png(&chart, &report, "scaling", "two-cap.png");
    assert!(bytes.len() > 5_000);
}

#[test]
fn the_symlog_axis_keeps_small_changes_readable_next_to_an_outlier() {
    let sl = SymLog::for_boundaries([5.0, -5.0, 15.0]);
    assert_eq!(sl.lin, 15.0, "the linear region covers every boundary");
    for x in [-300.0, -15.0, -4.0, 0.0, 2.5, 15.0, 220.0, 1e6] {
        let back = sl.inv(sl.fwd(x));
        assert!((back - x).abs() <= 1e-9 * x.abs().max(1.0), "{x} -> {back}");
    }
    // +220% sits at 15 * (1 + log10(220/15)) ~ 32.5: a ±5% row keeps ~15% of the half-axis
    // instead of ~2% on a linear one.
    assert!((sl.fwd(220.0) - 32.5).abs() < 0.1, "{}", sl.fwd(220.0));
    let ticks = sl.ticks(sl.fwd(-20.0), sl.fwd(250.0));
    let labels: Vec<f64> = ticks
        .iter()
        .map(|t| (sl.inv(*t) * 10.0).round() / 10.0)
        .collect();
    assert!(
        labels.contains(&0.0)
            && labels.contains(&-15.0)
            && labels.contains(&50.0)
            && labels.contains(&200.0),
        "{labels:?}"
    );
    assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{labels:?}");
    // An absurd value still gives a bounded number of ticks.
    assert!(sl.ticks(-10.0, sl.fwd(f64::MAX)).len() < 80);
}

#[test]
fn the_change_chart_draws_an_outlier_long_labels_and_a_row_without_checks() {
    let mut report = report_of(&two_cap_sweep());
    assert!(report.rows.len() >= 2, "the mog policy matched the sweep");
    report.rows.truncate(4);
    report.rows[0].delta_pct = Some(220.0);
    report.rows[0].verdict = Verdict::Improved;
    report.rows[1].delta_pct = Some(-4.8);
    report.rows[1].verdict = Verdict::Regressed;
    let long = "a_very_long_scenario_name_that_would_have_been_cut_at_seventy_characters";
    report.rows[1].params.insert("scenario".into(), long.into());
    let wide = png(&ChangeChart::default(), &report, "change", "outlier.png");
    let mut svg = Vec::new();
    let chart = ChangeChart {
        format: ChartFormat::Svg,
        width: 1400,
    };
    chart.export(&report, &mut svg).unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.contains(long), "the label is drawn in full");
    assert!(
        svg.contains("+220.0% improved"),
        "the outlier's value is printed"
    );
    assert!(
        svg.contains("inconclusive") && svg.contains("gate boundary"),
        "legend"
    );
    // Nothing measured: the axis still has round ticks around 0.
    for r in &mut report.rows {
        r.delta_pct = None;
        r.ci_pct = None;
        r.verdict = Verdict::Missing;
    }
    let empty = png(&ChangeChart::default(), &report, "change", "no-checks.png");
    assert!(wide.len() > 5_000 && empty.len() > 5_000);
}
