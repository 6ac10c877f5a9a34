//! Policy parsing, validation errors (with lines) and planning.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use ron_bench_report::analysis::{evaluate, AnalysisConfig, MetricKind, Series, Verdict};
use ron_bench_report::policy::{Policy, PolicyError};

fn series(
    contender: &str,
    features: &[&str],
    params: &[(&str, &str)],
    metric: MetricKind,
    values: &[f64],
) -> Series {
    Series {
        run: "run1".into(),
        scenario: "edge".into(),
        contender: contender.into(),
        features: features
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        metric: metric.metric(),
        values: values.to_vec(),
        interleaved: true,
    }
}

#[test]
fn shipped_policies_parse() {
    let mog = Policy::mog(&common::vocab()).unwrap();
    let ids: Vec<&str> = mog.gates.iter().map(|g| g.id.as_str()).collect();
    for want in [
        "A1-subs4-cap64",
        "A1-subs8plus",
        "A2-burst",
        "A3-p50",
        "A3-p95",
        "A4-subs4-cap64",
        "A5-subs4plus",
        "B1-subs4-cap64",
        "B1-subs16-cap128",
        "B2-mixed-topic",
        "B4-throughput",
        "B4-p95",
        "B5-layout",
        "PG-one-sub",
        "PG-batched-fanout",
        "PG-batched-lagged",
        "CLAIM-2x",
    ] {
        assert!(ids.contains(&want), "missing {want}");
    }
    let a1 = &mog.gates[0];
    assert_eq!((a1.threshold_pct, a1.line), (10.0, 15));
    let reg = Policy::regression(&common::vocab()).unwrap();
    let thr: Vec<(&str, f64)> = reg
        .gates
        .iter()
        .map(|g| (g.metric.name(), g.threshold_pct))
        .collect();
    assert!(
        thr.contains(&("p95_ns", 10.0))
            && thr.contains(&("p99_ns", 0.0))
            && thr.contains(&("p999_ns", 5.0))
    );
    assert!(
        thr.contains(&("deliveries_per_sec", 10.0))
            && thr.contains(&("cpu_ns", 15.0))
            && thr.contains(&("peak_rss_bytes", 15.0))
    );
}

const GOOD: &str = r#"name = "t"

[[gate]]
id = "g"
description = "d"
kind = "acceptance"
metric = "deliveries_per_sec"
threshold_pct = 10.0
scenarios = ["edge"]
select = { fanout = [4] }
against = "reference"
candidate = { contender = "ron-bus", features = ["bus_edge_notify"] }
reference = { contender = "ron-bus" }
"#;

fn err_line(text: &str) -> (usize, String) {
    match Policy::from_toml(text, "p.toml", &common::vocab()).unwrap_err() {
        e @ PolicyError::Parse { line, .. } => (line, e.to_string()),
        e @ PolicyError::Invalid { line, .. } => (line, e.to_string()),
        e => panic!("unexpected {e}"),
    }
}

#[test]
fn unknown_key_metric_and_selector_name_the_line() {
    Policy::from_toml(GOOD, "p.toml", &common::vocab()).unwrap();
    let (line, msg) =
        err_line(&GOOD.replace("threshold_pct = 10.0", "threshold_pct = 10.0\ntreshold = 3"));
    assert_eq!(line, 9, "{msg}");
    assert!(
        msg.starts_with("p.toml:9:") && msg.contains("treshold"),
        "{msg}"
    );

    let (line, msg) = err_line(&GOOD.replace("deliveries_per_sec", "deliveries_per_second"));
    assert_eq!(line, 7, "{msg}");
    assert!(msg.contains("deliveries_per_second"), "{msg}");

    let (line, msg) = err_line(&GOOD.replace("fanout = [4]", "fanuot = [4]"));
    assert_eq!(line, 10, "{msg}");
    assert!(msg.contains("fanuot") && msg.contains("gate `g`"), "{msg}");

    let (line, msg) = err_line(&GOOD.replace("features = [", "feature = ["));
    assert_eq!(line, 12, "{msg}");

    let (line, msg) = err_line(&GOOD.replace("\"bus_edge_notify\"", "\"bus_edge\""));
    assert_eq!(line, 12, "{msg}");

    let (line, msg) = err_line(&GOOD.replace("[\"edge\"]", "[\"edgy\"]"));
    assert_eq!(line, 9, "{msg}");

    let (line, msg) = err_line(&GOOD.replace("fanout = [4]", "fanout_min = \"bursts\""));
    assert_eq!(line, 10, "{msg}");

    let (line, msg) = err_line(&GOOD.replace("10.0", "-1.0"));
    assert_eq!(line, 8, "{msg}");

    // Selector values of the knob params are parsed here, once: a typo names its line
    // instead of silently selecting nothing.
    let (line, msg) = err_line(&GOOD.replace("fanout = [4]", "fanout = [\"4x\"]"));
    assert_eq!(line, 10, "{msg}");
    assert!(msg.contains("`4x` is not a whole number"), "{msg}");

    let (line, msg) = err_line(&GOOD.replace("reference = { contender = \"ron-bus\" }\n", ""));
    assert_eq!(line, 3, "{msg}");
    assert!(msg.contains("needs a `reference`"), "{msg}");

    let dup = format!("{GOOD}\n{}", &GOOD[GOOD.find("[[gate]]").unwrap()..]);
    let (line, msg) = err_line(&dup);
    assert!(msg.contains("duplicate"), "{msg}");
    assert_eq!(line, 15, "{msg}");
}

#[test]
fn extra_params_extend_selectors_and_only_filters() {
    let text = GOOD
        .replace("name = \"t\"", "name = \"t\"\nparams = [\"topics\"]")
        .replace("fanout = [4]", "topics_min = 2");
    let p = Policy::from_toml(&text, "p.toml", &common::vocab()).unwrap();
    assert!(p.only(&["g"]).is_ok());
    assert!(matches!(
        p.only(&["nope"]),
        Err(PolicyError::UnknownGate { .. })
    ));
}

#[test]
fn plan_pairs_flag_on_with_flag_off_and_keeps_other_features() {
    let p = Policy::from_toml(GOOD, "p.toml", &common::vocab()).unwrap();
    let d = MetricKind::DeliveriesPerSec;
    let fan4 = [("burst", "256"), ("fanout", "4"), ("cap", "64")];
    let new = vec![
        series(
            "ron-bus",
            &[],
            &fan4,
            d,
            &[100.0, 101.0, 99.0, 100.5, 100.2, 99.8, 100.1, 100.3],
        ),
        series(
            "ron-bus",
            &["bus_edge_notify"],
            &fan4,
            d,
            &[120.0, 121.0, 119.5, 120.2, 120.8, 119.9, 120.1, 120.4],
        ),
        series(
            "ron-bus",
            &["metrics_buf"],
            &fan4,
            d,
            &[100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0],
        ),
        series(
            "ron-bus",
            &["bus_edge_notify", "metrics_buf"],
            &fan4,
            d,
            &[101.0, 100.0, 99.0, 100.0, 101.0, 99.0, 100.0, 100.0],
        ),
        // wrong fanout: not a candidate
        series(
            "ron-bus",
            &["bus_edge_notify"],
            &[("fanout", "8")],
            d,
            &[1.0, 1.0, 1.0],
        ),
    ];
    let plan = p.plan(&[], &new);
    assert_eq!(plan.cells.len(), 2);
    assert!(plan.cells.iter().all(|c| c.paired));
    assert_eq!(
        plan.cells[1].base, new[2].values,
        "metrics_buf+edge pairs with metrics_buf"
    );
    let ev = evaluate(
        &plan.cells,
        &plan.checks,
        &AnalysisConfig {
            compare: ron_bench_report::analysis::CompareConfig {
                resamples: 500,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let v: Vec<Verdict> = ev.verdicts.iter().map(|v| v.verdict).collect();
    assert_eq!(
        v,
        vec![Verdict::Pass, Verdict::Failed],
        "{:#?}",
        ev.verdicts
    );
}

#[test]
fn claim_uses_best_other_contender_and_cross_param_selector() {
    let mog = Policy::mog(&common::vocab())
        .unwrap()
        .only(&["CLAIM-2x"])
        .unwrap();
    let d = MetricKind::DeliveriesPerSec;
    let mk = |c: &str, cap: &str, v: f64| {
        let mut s = series(
            c,
            &[],
            &[("burst", "256"), ("fanout", "8"), ("cap", cap)],
            d,
            &[v, v * 1.01, v * 0.99, v, v * 1.005, v * 0.995],
        );
        s.scenario = "burst_fanout".into();
        s
    };
    let new = vec![
        mk("ron-bus", "2048", 100.0),
        mk("tokio-broadcast", "2048", 10.0),
        mk("bus-crate", "2048", 45.0),
        mk("ron-bus", "128", 500.0),
        mk("flume", "128", 1.0),
    ];
    let plan = mog.plan(&[], &new);
    assert_eq!(plan.cells.len(), 1, "cap 128 < burst 256 is excluded");
    assert!(
        plan.cells[0]
            .id
            .ends_with("vs bus-crate contender=bus-crate (best)")
            || plan.cells[0].id.contains("vs bus-crate"),
        "{}",
        plan.cells[0].id
    );
    assert_eq!(plan.cells[0].base[0], 45.0);
}

#[test]
fn unmatched_gate_and_missing_baseline_are_missing() {
    let reg = Policy::regression(&common::vocab())
        .unwrap()
        .only(&["latency-p95"])
        .unwrap();
    let p95 = MetricKind::P95Ns;
    let base = vec![series(
        "ron-bus",
        &[],
        &[("fanout", "4")],
        p95,
        &[10.0, 11.0, 10.5],
    )];
    let new = vec![series(
        "ron-bus",
        &[],
        &[("fanout", "8")],
        p95,
        &[10.0, 11.0, 10.5],
    )];
    let plan = reg.plan(&base, &new);
    assert_eq!(plan.cells.len(), 2);
    let ev = evaluate(&plan.cells, &plan.checks, &AnalysisConfig::default());
    assert!(
        ev.verdicts.iter().all(|v| v.verdict == Verdict::Missing),
        "{:#?}",
        ev.verdicts
    );
    assert!(ev.outcome.passed);
    let strict = evaluate(
        &plan.cells,
        &plan.checks,
        &AnalysisConfig {
            strict: true,
            ..Default::default()
        },
    );
    assert_eq!(strict.outcome.exit_code, 1);

    let none = Policy::mog(&common::vocab())
        .unwrap()
        .only(&["B2-mixed-topic"])
        .unwrap()
        .plan(&[], &[]);
    assert_eq!(none.checks.len(), 1);
    assert!(none.checks[0].cell.is_none());
}

#[test]
fn include_pulls_in_built_in_gates_once_and_names_bad_includes() {
    // The seed's perf gates are written once (perf_gate.toml) and included by the others.
    let strict = Policy::built_in("perf_gate_strict", &common::vocab()).unwrap();
    let mog = Policy::mog(&common::vocab()).unwrap();
    let pg = Policy::built_in("perf_gate", &common::vocab()).unwrap();
    for g in &pg.gates {
        for other in [&strict, &mog] {
            let same = other.gates.iter().find(|o| o.id == g.id).expect("included");
            assert_eq!(same.metric, g.metric, "{}", g.id);
            assert_eq!(same.scenarios, g.scenarios, "{}", g.id);
        }
    }
    let text = format!(
        "{}include = [\"perf_gate\"]\n{}",
        &GOOD[..GOOD.find("[[gate]]").unwrap()],
        &GOOD[GOOD.find("[[gate]]").unwrap()..]
    );
    let p = Policy::from_toml(&text, "p.toml", &common::vocab()).unwrap();
    assert!(p.gates.iter().any(|g| g.id == "PG-one-sub"));
    assert_eq!(p.gates[0].id, "g");

    let (line, msg) = err_line(&text.replace("\"perf_gate\"", "\"perf_gat\""));
    assert!(
        msg.contains("include `perf_gat`") && msg.contains("perf_gate"),
        "{msg}"
    );
    assert_eq!(
        line,
        text.lines().position(|l| l.starts_with("include")).unwrap() + 1
    );
    let dup = text.replace("id = \"g\"", "id = \"PG-one-sub\"");
    let (_, msg) = err_line(&dup);
    assert!(msg.contains("duplicate gate id `PG-one-sub`"), "{msg}");
}
