//! `gate`, `compare`, `notes`, `chart`, `calibrate`, `import`, `export`, `amdahl` end to end
//! with the mock executor (`RON_BENCH_MOCK=1`: deterministic synthetic numbers, no runner
//! build). Asserts exit codes and outputs, never timings.
#![forbid(unsafe_code)]

mod common;

use common::{bench, mock_run};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

/// A baseline `base` and two runs: `same.json` (A/A) and `slow.json` (15% slower).
fn fixture() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    let base = w.join("base.json");
    mock_run(w, &base, None);
    bench(w)
        .args(["baseline", "save", "base", "--from"])
        .arg(&base)
        .assert()
        .success();
    let same = w.join("same.json");
    mock_run(w, &same, None);
    let slow = w.join("slow.json");
    mock_run(w, &slow, Some("15"));
    (ws, same, slow)
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn quick_gate_without_baseline_passes_on_an_unchanged_tree() {
    let ws = tempfile::tempdir().unwrap();
    let out = ws.path().join("rep");
    bench(ws.path())
        .args([
            "gate",
            "--policy",
            "features",
            "--quick",
            "--rounds",
            "6",
            "--out-dir",
        ])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Q-batch-batched"))
        // Every check shows its rule, change with CI, q, MDE, rounds and a reason.
        .stdout(predicate::str::contains("rule"))
        .stdout(predicate::str::contains("95% CI"))
        .stdout(predicate::str::contains("MDE"))
        .stdout(predicate::str::contains("within tolerance"))
        .stdout(predicate::str::contains(
            "(Benjamini-Hochberg (FDR)) at alpha",
        ))
        .stdout(predicate::str::contains("(policy features, exit 0"));
    let got = files(&out);
    for f in [
        "notes.md",
        "report.json",
        "report.csv",
        "bencher.json",
        "run.json",
        "change.svg",
        "change.png",
    ] {
        assert!(got.contains(&f.to_string()), "{f} missing in {got:?}");
    }
    let notes = std::fs::read_to_string(out.join("notes.md")).unwrap();
    assert!(
        notes.starts_with("## MOG Results — ron-kernel / gate — "),
        "{notes}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["schema"], "ron-bench/report/v1");
    assert_eq!(report["outcome"]["exit_code"], 0);
}

#[test]
fn quick_gate_fails_on_an_injected_slowdown_of_one_side() {
    let ws = tempfile::tempdir().unwrap();
    bench(ws.path())
        .env("RON_BENCH_MOCK_SLOWDOWN_PCT", "15")
        .env("RON_BENCH_MOCK_SLOW", "throttled")
        .args(["gate", "--policy", "features", "--quick", "--rounds", "6"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REGRESSED"))
        .stdout(predicate::str::contains("failing: Q-ab-"));
}

#[test]
fn baseline_gate_exit_codes_aa_slowdown_and_strict() {
    let (ws, same, slow) = fixture();
    let w = ws.path();
    bench(w)
        .args(["gate", "--baseline", "base", "--run"])
        .arg(&same)
        .args(["--out-dir"])
        .arg(w.join("r1"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("policy regression"));
    bench(w)
        .args(["gate", "--baseline", "base", "--run"])
        .arg(&slow)
        .args(["--out-dir"])
        .arg(w.join("r2"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REGRESSED"))
        .stdout(predicate::str::contains("throughput-deliveries"));
    let notes = std::fs::read_to_string(w.join("r2/notes.md")).unwrap();
    assert!(notes.contains("Decision: revert"), "{notes}");
}

#[test]
fn quick_gate_with_a_baseline_measures_the_baselines_cells() {
    let (ws, _, _) = fixture();
    bench(ws.path())
        .env("RON_BENCH_MOCK_SLOWDOWN_PCT", "15")
        .args(["gate", "--quick", "--baseline", "base", "--rounds", "6"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("policy regression"));
}

#[test]
fn cross_machine_baselines_warn_or_exit_2() {
    let (ws, same, _) = fixture();
    let w = ws.path();
    let path = w.join("baselines/base.json");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"logical_cores\": ", "\"logical_cores\": 1000");
    std::fs::write(&path, text).unwrap();
    bench(w)
        .args(["gate", "--baseline", "base", "--run"])
        .arg(&same)
        .args(["--out-dir"])
        .arg(w.join("r"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "WARNING: baseline `base` was measured on",
        ))
        .stdout(predicate::str::contains("baseline from another machine"));
    let notes = std::fs::read_to_string(w.join("r/notes.md")).unwrap();
    assert!(notes.contains("every verdict is cross-machine"), "{notes}");
    bench(w)
        .args([
            "gate",
            "--baseline",
            "base",
            "--require-same-machine",
            "--run",
        ])
        .arg(&same)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--require-same-machine"));
}

#[test]
fn gate_bad_input_exits_2_naming_the_culprit() {
    let (ws, same, _) = fixture();
    let w = ws.path();
    let bad = |args: &[&str], culprit: &str| {
        bench(w)
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(culprit));
    };
    bad(
        &["gate", "--policy", "/no/such/policy.toml"],
        "/no/such/policy.toml",
    );
    bad(&["gate", "--baseline", "nosuch"], "nosuch");
    bad(&["gate", "--run", "/no/such/run.json"], "/no/such/run.json");
    bad(&["gate", "--quick", "--features", "bus_turbo"], "bus_turbo");
    bad(&["gate", "--quick", "--rounds", "0"], "--rounds");
    let policy = w.join("p.toml");
    std::fs::write(
        &policy,
        "name = \"x\"\n[[gate]]\nid = \"g\"\ndescription = \"d\"\nkind = \"regression\"\nmetric = \"warp_speed\"\nthreshold_pct = 1.0\nagainst = \"baseline\"\n",
    )
    .unwrap();
    bad(&["gate", "--policy", policy.to_str().unwrap()], "p.toml:6");
    let corrupt = w.join("corrupt.json");
    std::fs::write(&corrupt, "{\"schema\": \"ron-bench/run/v1\", \"cells\": [").unwrap();
    bad(
        &[
            "gate",
            "--baseline",
            "base",
            "--run",
            corrupt.to_str().unwrap(),
        ],
        "truncated",
    );
    bad(
        &["gate", "--policy", "regression", "--quick"],
        "needs nothing this run can measure",
    );
    let _ = same;
}

#[test]
fn compare_and_notes_print_the_notes_block() {
    let (ws, _, slow) = fixture();
    let w = ws.path();
    bench(w)
        .args(["compare", "--baseline", "base", "--run"])
        .arg(&slow)
        .assert()
        // The block says "Outcome: FAIL (exit code 1)"; compare exits with that code.
        .code(1)
        .stdout(predicate::str::starts_with(
            "## MOG Results — ron-kernel / local — ",
        ))
        .stdout(predicate::str::contains("Baseline: base (git"))
        .stdout(predicate::str::contains("Decision: revert"));
    let out = bench(w)
        .args(["compare", "--baseline", "base", "--format", "json", "--run"])
        .arg(&slow)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"]["exit_code"], 1);
    let csv = w.join("c.csv");
    bench(w)
        .args(["compare", "--baseline", "base", "--format", "csv", "--out"])
        .arg(&csv)
        .arg("--run")
        .arg(&slow)
        .assert()
        .code(1);
    assert!(std::fs::read_to_string(&csv).unwrap().starts_with("gate,"));
    bench(w)
        .args(["notes", "--label", "PR-7", "--baseline", "base", "--run"])
        .arg(&slow)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "## MOG Results — ron-kernel / PR-7 — ",
        ))
        .stdout(predicate::str::contains("Wake metrics:"))
        .stdout(predicate::str::contains("Counters sanity:"));
    bench(w)
        .args(["compare", "--baseline", "base", "--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn chart_writes_svg_and_png() {
    let (ws, _, slow) = fixture();
    let w = ws.path();
    let out = w.join("charts");
    bench(w)
        .args(["chart", "--baseline", "base", "--out"])
        .arg(&out)
        .arg("--run")
        .arg(&slow)
        .assert()
        .success();
    let got = files(&out);
    assert!(got.contains(&"change.svg".to_string()), "{got:?}");
    let png = std::fs::read(out.join("change.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn export_critcmp_bmf_csv_and_import_criterion() {
    let (ws, _, _) = fixture();
    let w = ws.path();
    let out = bench(w)
        .args(["export", "base", "--format", "critcmp"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "base");
    let benches = v["benchmarks"].as_object().unwrap();
    assert!(!benches.is_empty());
    for b in benches.values() {
        assert!(b["criterion_estimates_v1"]["mean"]["point_estimate"].is_f64());
        assert!(b["fullname"].as_str().unwrap().starts_with("base/"));
    }
    let out = bench(w)
        .args(["export", "base", "--format", "bmf"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v
        .as_object()
        .unwrap()
        .values()
        .any(|m| m.get("deliveries-per-sec").is_some()));
    bench(w)
        .args(["export", "base", "--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "cell,scenario,build,params,metric,unit,direction,rounds,median,",
        ))
        .stdout(predicate::str::contains("missing").not());
    bench(w)
        .args(["export", "nosuch", "--format", "csv"])
        .assert()
        .code(2);

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("report/tests/fixtures/criterion-target/criterion");
    bench(w)
        .args(["import", "criterion"])
        .arg(&fixtures)
        .args(["--name", "crit"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "imported 3 criterion benchmark(s)",
        ));
    let out = bench(w)
        .args(["export", "crit", "--format", "critcmp"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "crit");
    assert_eq!(v["benchmarks"].as_object().unwrap().len(), 3);
    bench(w)
        .args(["import", "criterion", "/no/such/criterion", "--name", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/no/such/criterion"));
    bench(w)
        .args(["gate", "--baseline", "crit"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("imported from criterion"));
}

/// The one calibration file in `dir` whose name starts with `prefix` and ends in the
/// machine-class key (`<model words>-<N>c.json`).
fn keyed(dir: &Path, prefix: &str) -> std::path::PathBuf {
    let found: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.starts_with(prefix) && n.ends_with("c.json")
        })
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[test]
fn calibrate_quick_reports_and_stores_rates() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    // A committed measurement (any content): a mock calibration must leave it alone.
    let committed = w.join("committed");
    std::fs::create_dir_all(committed.join("calibration")).unwrap();
    std::fs::write(committed.join("calibration/last.json"), "{\"kept\": true}").unwrap();
    bench(w)
        .args([
            "calibrate",
            "--policy",
            "features",
            "--quick",
            "--baseline-dir",
        ])
        .arg(&committed)
        .assert()
        .success();
    let kept: Vec<_> = std::fs::read_dir(committed.join("calibration"))
        .unwrap()
        .collect();
    assert_eq!(kept.len(), 1, "only the committed file");
    assert_eq!(
        std::fs::read_to_string(committed.join("calibration/last.json")).unwrap(),
        "{\"kept\": true}"
    );
    std::fs::remove_dir_all(w.join("reports")).unwrap();
    bench(w)
        .args(["calibrate", "--policy", "features", "--quick"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "A/A false alarms (independent trials): 0 of",
        ))
        .stdout(predicate::str::contains(
            "detection (resampled) of a 10% slowdown",
        ))
        .stdout(predicate::str::contains("= 100.0%"));
    // A mock calibration is stored per machine class under reports/, never in baselines/
    // (where the committed measurement lives).
    assert!(!w.join("baselines/calibration").exists());
    let c: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(keyed(&w.join("reports/calibration"), "last-")).unwrap(),
    )
    .unwrap();
    assert_eq!(c["schema"], "ron-bench/calibration/v1");
    assert_eq!(c["false_alarm"]["suite_rate"], 0.0);
    // The stored calibration is quoted by later reports.
    bench(w)
        .args([
            "gate",
            "--policy",
            "features",
            "--quick",
            "--rounds",
            "6",
            "--out-dir",
        ])
        .arg(w.join("r"))
        .assert()
        .success()
        .stdout(predicate::str::contains("on this machine class ("));
    let notes = std::fs::read_to_string(w.join("r/notes.md")).unwrap();
    assert!(notes.contains("calibration "), "{notes}");
    bench(w)
        .args([
            "calibrate",
            "--policy",
            "features",
            "--quick",
            "--slowdown",
            "5,abc",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--slowdown"));
}

#[test]
fn amdahl_prints_s_and_rejects_bad_input() {
    let ws = tempfile::tempdir().unwrap();
    bench(ws.path())
        .args(["amdahl", "--p", "0.45", "--s", "2.0"])
        .assert()
        .success()
        .stdout(predicate::str::contains("= 1.2903"));
    for bad in [
        ["--p", "1.5", "--s", "2"],
        ["--p", "0.5", "--s", "0"],
        ["--p", "x", "--s", "2"],
    ] {
        bench(ws.path()).arg("amdahl").args(bad).assert().code(2);
    }
}

#[test]
fn default_gate_compares_the_working_tree_with_its_git_base_in_looks() {
    let ws = common::repo_ws();
    let w = ws.path();
    bench(w)
        .args(["gate", "--budget", "20", "--out-dir"])
        .arg(w.join("r"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("policy change"))
        .stdout(predicate::str::contains(
            "HEAD~1 (clean tree, not ahead of an upstream",
        ))
        .stdout(predicate::str::contains("instruction counts: 6 cells"))
        .stdout(predicate::str::contains("look 1:"))
        .stdout(predicate::str::contains("I-delivery"))
        .stdout(predicate::str::contains("T-lag"))
        .stdout(predicate::str::contains("gate PASSED: "))
        .stdout(predicate::str::contains(
            " 0 regressed (policy change, exit 0",
        ));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("r/report.json")).unwrap()).unwrap();
    let notes = report["meta"]["notes"].to_string();
    assert!(notes.contains("sequential: "), "{notes}");
    assert!(notes.contains("Bonferroni over 5 looks"), "{notes}");
}

#[test]
fn default_gate_fails_when_the_change_slows_the_code_paths() {
    let ws = common::repo_ws();
    let w = ws.path();
    // The mock slows the working tree's build (label `bus_batch`): time and counts both move.
    bench(w)
        .env("RON_BENCH_MOCK_SLOWDOWN_PCT", "5")
        .env("RON_BENCH_MOCK_SLOW", "bus_batch")
        .args(["gate", "--budget", "20"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REGRESSED"))
        .stdout(predicate::str::contains("failing: I-publish-1"))
        .stdout(predicate::str::contains("gate FAILED: "));
}

#[test]
fn default_gate_outside_git_says_what_to_do() {
    let ws = tempfile::tempdir().unwrap();
    bench(ws.path())
        .args(["gate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a git work tree"))
        .stderr(predicate::str::contains("--policy features"));
}

#[test]
fn calibrate_replays_the_default_gate_on_compiled_in_slowdowns() {
    let ws = common::repo_ws();
    let w = ws.path();
    bench(w)
        .args(["calibrate", "--quick", "--slowdown", "5,50"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sizing: "))
        .stdout(predicate::str::contains(
            "A/A: false-fail 0.0% of 20 resampled",
        ))
        .stdout(predicate::str::contains("publish"))
        .stdout(predicate::str::contains("deliver"));
    // A mock calibration never lands in baselines/ (the committed measurement).
    assert!(!w.join("baselines/calibration").exists());
    let c: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(keyed(&w.join("reports/calibration"), "change-")).unwrap(),
    )
    .unwrap();
    assert_eq!(c["schema"], "ron-bench/gate-calibration/v1");
    assert_eq!(c["aa_resampled"]["fail_rate"], 0.0);
    let det = c["detection"].as_array().unwrap();
    assert_eq!(det.len(), 4, "publish and deliver at 5% and 50%");
    let big = det
        .iter()
        .find(|d| d["path"] == "publish" && d["nominal_pct"] == 50.0)
        .unwrap();
    assert_eq!(big["trials"]["fail_rate"], 1.0, "{big}");
    // The default gate quotes it.
    bench(w)
        .args(["gate", "--budget", "10"])
        .assert()
        .success()
        .stdout(predicate::str::contains("calibration of the default gate"));
}

#[test]
fn gate_dry_run_shows_the_plan_and_its_skips_and_builds_nothing() {
    // The default (revision) gate: the base, the count run and the first look, no reports.
    let ws = common::repo_ws();
    let w = ws.path();
    bench(w)
        .args(["gate", "--dry-run", "--out-dir"])
        .arg(w.join("r"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("HEAD~1"))
        .stdout(predicate::str::contains(
            "instruction counts (callgrind): 36 process runs",
        ))
        .stdout(predicate::str::contains("time, look 1: "))
        .stdout(predicate::str::contains(
            "dry run: nothing built, run or written",
        ));
    assert!(!w.join("r").exists(), "a dry run writes no report");
    // A same-tree policy whose gate names a contender that cannot run the scenario: the skip
    // and its reason are decided at plan time, so the dry run shows them.
    let policy = w.join("p.toml");
    std::fs::write(
        &policy,
        "name = \"p\"\n[[gate]]\nid = \"g\"\ndescription = \"d\"\nkind = \"regression\"\n\
         metric = \"deliveries_per_sec\"\nthreshold_pct = 5.0\nscenarios = [\"lag_recover\"]\n\
         against = \"reference\"\ncandidate = { contender = \"flume\" }\n\
         reference = { contender = \"ron-bus\" }\n",
    )
    .unwrap();
    bench(w)
        .args(["gate", "--dry-run", "--policy"])
        .arg(&policy)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("skip: lag_recover"))
        .stdout(predicate::str::contains("`flume` is not lossy"));
}
