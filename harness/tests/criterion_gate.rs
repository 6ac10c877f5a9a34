//! An imported criterion baseline can be listed, compared and gated: per-sample times from
//! `sample.json`, unpaired verdicts, the regression rule for imports (time per iteration +10%).
#![forbid(unsafe_code)]

mod common;

use common::bench;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("report/tests/fixtures/criterion-target/criterion")
}

/// Copies the fixture tree to `to`, multiplying every `sample.json` time by `factor`.
fn copy_scaled(from: &Path, to: &Path, factor: f64) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_scaled(&src, &dst, factor);
        } else if e.file_name() == "sample.json" {
            let mut v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&src).unwrap()).unwrap();
            for t in v["times"].as_array_mut().unwrap() {
                *t = (t.as_f64().unwrap() * factor).into();
            }
            std::fs::write(&dst, v.to_string()).unwrap();
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn import(ws: &Path, dir: &Path, name: &str) {
    bench(ws)
        .args(["import", "criterion"])
        .arg(dir)
        .args(["--name", name])
        .assert()
        .success();
}

#[test]
fn an_imported_criterion_baseline_gates() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    let slow = w.join("slow-criterion");
    copy_scaled(&fixtures(), &slow, 1.3);
    import(w, &fixtures(), "crit-main");
    import(w, &fixtures(), "crit-same");
    import(w, &slow, "crit-slow");

    // The same numbers pass, every check unpaired.
    let out = bench(w)
        .args(["compare", "--baseline", "crit-main", "--new", "crit-same"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "one check per imported benchmark");
    for r in rows {
        assert_eq!(r["verdict"], "pass", "{r}");
        assert_eq!(r["paired"], false);
        assert_eq!(r["metric"]["name"], "ns_per_iter");
    }

    // 30% slower per sample: every benchmark regressed, exit 1.
    bench(w)
        .args(["compare", "--baseline", "crit-main", "--new", "crit-slow"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("time-per-iter"))
        .stdout(predicate::str::contains("+30.0%"))
        .stdout(predicate::str::contains("unpaired"));
    let out = bench(w)
        .args([
            "compare",
            "--baseline",
            "crit-main",
            "--new",
            "crit-slow",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts: Vec<(&str, &str)> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["cell"].as_str().unwrap(), r["verdict"].as_str().unwrap()))
        .collect();
    // `encode` has 3 samples a side: an unpaired rank test cannot reach p < 0.05 with 3 vs 3
    // (smallest p 0.1), so it stays undecided rather than passing.
    assert_eq!(
        verdicts,
        [
            (
                "bus_publish/bursty_classic/value=256:ns_per_iter",
                "regressed"
            ),
            ("bus_publish/steady/value=fanout_4:ns_per_iter", "regressed"),
            ("encode//:ns_per_iter", "inconclusive"),
        ]
    );

    bench(w)
        .args(["baseline", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 criterion benchmarks"));
    // `baseline show` lists the imported cells with their per-sample medians.
    bench(w)
        .args(["baseline", "show", "crit-main"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "3 imported criterion benchmark(s)",
        ))
        .stdout(predicate::str::contains("bus_publish/steady/fanout_4"))
        .stdout(predicate::str::contains("ns/iter"));
}

#[test]
fn import_comparisons_name_the_flag_at_fault() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    import(w, &fixtures(), "crit");
    bench(w)
        .args(["compare", "--baseline", "crit"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--new NAME"));
    bench(w)
        .args(["compare", "--baseline", "crit", "--new", "nosuch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--new"));
}
