//! The Amdahl tracker: per-component `p` (input) and `s` (a report row), the blended S against
//! the 2x goal in NOTES, and the required path speedup.
#![forbid(unsafe_code)]

mod common;

use common::{bench, steady_run};
use predicates::prelude::*;
use std::path::Path;

fn mock_run(ws: &Path, slowdown_pct: &str) {
    steady_run(ws, "6")
        .env("RON_BENCH_MOCK_SLOWDOWN_PCT", slowdown_pct)
        .assert()
        .success();
}

const TRACKER: &str = r#"
[[component]]
name = "bus publish"
p = 0.6
gate = "throughput-publishes"
cell = "steady/ron-bus/fanout=1"
"#;

#[test]
fn the_tracker_blends_measured_speedups_against_the_goal() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    // The base is 50% slower per message, so the new run publishes 1.5x as fast: s = 1.5,
    // S = 1 / (0.4 + 0.6 / 1.5) = 1.25; 2x at p = 0.6 needs s = 0.6 / (0.5 - 0.4) = 6.
    mock_run(w, "50");
    bench(w)
        .args(["baseline", "save", "base"])
        .assert()
        .success();
    mock_run(w, "0");
    let tracker = w.join("amdahl.toml");
    std::fs::write(&tracker, TRACKER).unwrap();
    let section = predicate::str::contains("Amdahl tracker")
        .and(predicate::str::contains(
            "| bus publish | 60% | 1.500x | throughput-publishes",
        ))
        .and(predicate::str::contains(
            "Blended S = 1.250x (covered p = 60%) vs goal 2.0x: not met",
        ))
        .and(predicate::str::contains("Required speedup for 2.0x: 6.00x"));
    bench(w)
        .args(["notes", "--baseline", "base", "--amdahl"])
        .arg(&tracker)
        .assert()
        .success()
        .stdout(section);
    let report = w.join("report.json");
    bench(w)
        .args(["compare", "--baseline", "base", "--format", "json", "--out"])
        .arg(&report)
        .assert()
        .success();
    bench(w)
        .args(["amdahl", "--components"])
        .arg(&tracker)
        .arg("--report")
        .arg(&report)
        .assert()
        .success()
        .stdout(predicate::str::contains("Blended S = 1.250x"));
    bench(w)
        .args(["amdahl", "--p", "0.6", "--s", "1.5"])
        .assert()
        .success()
        .stdout(predicate::str::contains("= 1.2500"))
        .stdout(predicate::str::contains(
            "for S = 2x at p = 0.6: s = 6.0000",
        ));
}

#[test]
fn tracker_errors_name_the_file_and_component() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    mock_run(w, "0");
    bench(w)
        .args(["baseline", "save", "base"])
        .assert()
        .success();
    let bad = w.join("bad.toml");
    std::fs::write(&bad, "[[component]]\nname = \"x\"\np = 0.5\n").unwrap();
    bench(w)
        .args(["notes", "--baseline", "base", "--amdahl"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml"))
        .stderr(predicate::str::contains("gate"));
    let nogate = w.join("nogate.toml");
    std::fs::write(
        &nogate,
        "[[component]]\nname = \"kernel\"\np = 0.5\ngate = \"nope\"\n",
    )
    .unwrap();
    bench(w)
        .args(["notes", "--baseline", "base", "--amdahl"])
        .arg(&nogate)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "component `kernel`: no row of gate `nope`",
        ));
    bench(w)
        .args(["amdahl", "--p", "0.4", "--s", "1.5"])
        .assert()
        .success()
        // At p = 0.4 the ceiling is 1/(1-0.4) = 1.67x: no path speedup reaches 2x.
        .stdout(predicate::str::contains("unreachable"));
}
