//! `ron-bench history`: runs over time, one line per cell, change points with a p-value.
#![forbid(unsafe_code)]

mod common;

use common::bench;
use predicates::prelude::*;
use std::path::Path;

/// One tiny mock run of steady on ron-bus and flume; `slow` makes it 20% slower. `i` sets
/// the sample count, which the mock's numbers ignore: runs with the same `i` would be the
/// same JSON, i.e. one run stored twice.
fn mock_run(ws: &Path, i: u32, slow: bool) {
    let mut c = bench(ws);
    if slow {
        c.env("RON_BENCH_MOCK_SLOWDOWN_PCT", "20");
    }
    c.args([
        "run",
        "--scenario",
        "steady",
        "--contender",
        "ron-bus,flume",
        "--fanout",
        "1",
        "--rounds",
        "2",
        "--samples",
        &(2 + i).to_string(),
        "--window-ms",
        "1",
        "--warmup-ms",
        "0",
    ])
    .assert()
    .success();
}

#[test]
fn a_slowdown_between_runs_is_a_change_point_and_is_charted() {
    let ws = tempfile::tempdir().unwrap();
    for i in 0..12 {
        mock_run(ws.path(), i, i >= 6);
    }
    // A baseline saved from the latest run is the same run: it counts once; so does a copy.
    bench(ws.path())
        .args(["baseline", "save", "last"])
        .assert()
        .success();
    let runs = ws.path().join("reports/runs");
    let first = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap() != "latest.json")
        .min()
        .unwrap();
    std::fs::create_dir_all(ws.path().join("reports/gate-dir")).unwrap();
    std::fs::copy(&first, ws.path().join("reports/gate-dir/run.json")).unwrap();
    let out = ws.path().join("hist");
    let assert = bench(ws.path())
        .args([
            "history",
            "--metric",
            "publishes_per_sec",
            "--cell",
            "ron-bus/fanout=1",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("across 12 runs"))
        .stdout(predicate::str::contains("steady/ron-bus/fanout=1"))
        .stdout(predicate::str::contains("change point before run 6"))
        .stdout(predicate::str::contains("(-16.7%), p = 0.00"));
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        !stdout.contains("flume"),
        "the cell filter applies: {stdout}"
    );
    assert_eq!(stdout.matches("change point before").count(), 1, "{stdout}");
    let png = std::fs::read(out.join("history.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(out.join("history.svg")).unwrap();
    assert!(svg.contains("publishes_per_sec over time") && svg.contains("p=0.0"));
}

#[test]
fn a_flat_history_has_no_change_point() {
    let ws = tempfile::tempdir().unwrap();
    for i in 0..8 {
        mock_run(ws.path(), i, false);
    }
    bench(ws.path())
        .args(["history", "--metric", "publishes_per_sec"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no change point").count(4))
        .stdout(predicate::str::contains("change point before").not());
    assert!(ws.path().join("reports/history/history.png").is_file());
}

#[test]
fn history_errors_name_what_is_missing() {
    let ws = tempfile::tempdir().unwrap();
    bench(ws.path())
        .arg("history")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no runs found"));
    mock_run(ws.path(), 0, false);
    bench(ws.path())
        .args(["history", "--metric", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no `nope` values"))
        .stderr(predicate::str::contains("publishes_per_sec"));
    bench(ws.path())
        .args(["history", "--cell", ""])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--cell"));
}
