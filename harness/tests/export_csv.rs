//! `export --format csv` of a baseline writes its measured cells, one row per (cell, metric).
#![forbid(unsafe_code)]

mod common;

use common::{bench, steady_run};
use std::path::Path;

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn a_baseline_exports_cell_rows_with_medians_and_rounds() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    steady_run(w, "3").assert().success();
    bench(w).args(["baseline", "save", "b"]).assert().success();
    let out = bench(w)
        .args(["export", "b", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows = rows(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(
        rows[0][..9],
        [
            "cell",
            "scenario",
            "build",
            "params",
            "metric",
            "unit",
            "direction",
            "rounds",
            "median"
        ]
    );
    let publishes: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[4] == "publishes_per_sec" && r[3].starts_with("fanout=1/"))
        .collect();
    assert_eq!(publishes.len(), 1, "{rows:?}");
    let r = publishes[0];
    assert_eq!(r[0], "steady/ron-bus/fanout=1/cap=2048/tls_thresh=64");
    assert_eq!(
        (r[5].as_str(), r[6].as_str(), r[7].as_str()),
        ("1/s", "higher_is_better", "3")
    );
    // The mock's cost model: ron-bus 20 ns per message, rounds alternate +-1%: median 50 M/s.
    let median: f64 = r[8].parse().unwrap();
    assert!((median / 50e6 - 1.0).abs() < 0.02, "{median}");
    assert!(rows.iter().all(|r| !r.contains(&"missing".to_string())));
}

#[test]
fn a_criterion_import_exports_its_benchmarks() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("report/tests/fixtures/criterion-target/criterion");
    bench(w)
        .args(["import", "criterion"])
        .arg(&fixtures)
        .args(["--name", "crit"])
        .assert()
        .success();
    let out = bench(w)
        .args(["export", "crit", "--format", "csv"])
        .output()
        .unwrap();
    let rows = rows(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 4, "header + 3 benchmarks: {rows:?}");
    let steady = rows
        .iter()
        .find(|r| r[1] == "bus_publish" && r[3] == "value=fanout_4")
        .unwrap();
    // sample.json: times[i] / iters[i] = 61.0 .. 61.2 ns, 10 samples.
    assert_eq!(
        (steady[4].as_str(), steady[7].as_str()),
        ("ns_per_iter", "10")
    );
    let median: f64 = steady[8].parse().unwrap();
    assert!((median - 61.1).abs() < 0.2, "{median}");
}
