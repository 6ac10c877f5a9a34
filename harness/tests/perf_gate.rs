//! The PR perf gate end to end, on the mock executor (`RON_BENCH_MOCK=1`: synthetic numbers,
//! no runner builds): `gate --against REV`, `run --shard` + `merge`, `--measure instructions`,
//! and the scripts the workflows call. Behaviour only, never timings.
#![forbid(unsafe_code)]

mod common;

use assert_cmd::Command;
use common::{bench, git, repo, repo_ws};
use predicates::prelude::*;
use std::path::Path;

fn quick_against(ws: &Path, rev: &str) -> Command {
    let mut c = bench(ws);
    c.args([
        "gate",
        "--against",
        rev,
        "--policy",
        "revision",
        "--quick",
        "--rounds",
        "8",
        "--out-dir",
    ])
    .arg(ws.join("reports/ab"));
    c
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn against_a_revision_passes_a_a_and_labels_the_base() {
    let ws = repo_ws();
    quick_against(ws.path(), "HEAD~1")
        .assert()
        .success()
        .stdout(predicate::str::contains("base@"))
        .stdout(predicate::str::contains("R-steady-publish"))
        .stdout(predicate::str::contains("gate PASSED"));
    let run: serde_json::Value =
        serde_json::from_str(&read(&ws.path().join("reports/ab/run.json"))).unwrap();
    let labels: Vec<&str> = run["builds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    let base = git(ws.path(), &["rev-parse", "HEAD~1"]);
    assert_eq!(labels, [format!("base@{}", &base[..12]).as_str(), "none"]);
    assert_eq!(run["builds"][0]["rev"], base.as_str());
    let notes = read(&ws.path().join("reports/ab/notes.md"));
    assert!(notes.contains(&base[..12]), "{notes}");
    assert!(notes.contains("(clean)"), "{notes}");
}

#[test]
fn a_slower_head_fails_the_gate_with_exit_1() {
    let ws = repo_ws();
    quick_against(ws.path(), "HEAD~1")
        .env("RON_BENCH_MOCK_SLOWDOWN_PCT", "10")
        .env("RON_BENCH_MOCK_SLOW", "none")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REGRESSED"))
        .stdout(predicate::str::contains("gate FAILED"));
    // A slower *base* is an improvement, not a failure.
    let base = git(ws.path(), &["rev-parse", "--short=12", "HEAD~1"]);
    quick_against(ws.path(), "HEAD~1")
        .env("RON_BENCH_MOCK_SLOWDOWN_PCT", "10")
        .env("RON_BENCH_MOCK_SLOW", format!("base@{base}"))
        .assert()
        .success()
        .stdout(predicate::str::contains("IMPROVED"));
}

#[test]
fn unknown_or_pre_harness_revisions_are_usage_errors() {
    let ws = repo_ws();
    quick_against(ws.path(), "no-such-branch")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "revision `no-such-branch` does not exist",
        ));
    quick_against(ws.path(), "HEAD~2")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("predates the harness"));
    let plain = tempfile::tempdir().unwrap();
    quick_against(plain.path(), "HEAD")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a git checkout"));
    assert!(
        !ws.path().join("reports/ab").exists(),
        "nothing written on errors"
    );
}

#[test]
fn a_dirty_tree_is_measured_and_marked_dirty() {
    let ws = repo_ws();
    std::fs::write(
        ws.path().join("harness/runner/Cargo.toml"),
        "[package]\n# dirty\n",
    )
    .unwrap();
    quick_against(ws.path(), "HEAD")
        .assert()
        .success()
        .stdout(predicate::str::contains("DIRTY"));
    let notes = read(&ws.path().join("reports/ab/notes.md"));
    assert!(notes.contains("DIRTY"), "{notes}");
    let run: serde_json::Value =
        serde_json::from_str(&read(&ws.path().join("reports/ab/run.json"))).unwrap();
    assert_eq!(run["env"]["git_dirty"], true);
}

#[test]
fn against_conflicts_with_baseline() {
    let ws = repo_ws();
    bench(ws.path())
        .args(["gate", "--against", "HEAD", "--baseline", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

fn tiny(ws: &Path) -> Command {
    let mut c = bench(ws);
    c.args([
        "run",
        "--rounds",
        "2",
        "--samples",
        "2",
        "--window-ms",
        "1",
        "--warmup-ms",
        "0",
        "--burst",
        "1,256",
        "--fanout",
        "1,4",
        "--cap",
        "64,2048",
        "--features",
        "none;bus_batch",
    ]);
    c
}

/// Cells of a run file, without what differs between a sharded and a whole run (execution
/// positions).
fn cells(path: &Path) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(&read(path)).unwrap();
    for c in v["cells"].as_array_mut().unwrap() {
        for r in c["rounds"].as_array_mut().unwrap() {
            r["seq"] = 0.into();
        }
    }
    serde_json::json!({ "cells": v["cells"], "skipped": v["skipped"], "matrix": v["matrix"] })
}

#[test]
fn sharded_runs_merge_into_the_same_result_as_one_run() {
    let ws = tempfile::tempdir().unwrap();
    let p = ws.path();
    tiny(p)
        .arg("--out")
        .arg(p.join("whole.json"))
        .assert()
        .success();
    for i in 1..=3 {
        tiny(p)
            .args(["--shard", &format!("{i}/3"), "--out"])
            .arg(p.join(format!("s{i}.json")))
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("shard {i}/3:")));
    }
    bench(p)
        .arg("merge")
        .args([p.join("s3.json"), p.join("s1.json"), p.join("s2.json")])
        .arg("--out")
        .arg(p.join("merged.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("merged 3 shards"));
    assert_eq!(cells(&p.join("whole.json")), cells(&p.join("merged.json")));
    let merged: serde_json::Value = serde_json::from_str(&read(&p.join("merged.json"))).unwrap();
    assert!(merged.get("shard").is_none());
    assert_eq!(merged["merged_from"].as_array().unwrap().len(), 3);
    // The merged file is an ordinary run file: the comparing commands read it.
    bench(p)
        .args(["notes", "--run"])
        .arg(p.join("merged.json"))
        .assert()
        .success();
}

#[test]
fn merge_refuses_incomplete_duplicate_or_foreign_shards() {
    let ws = tempfile::tempdir().unwrap();
    let p = ws.path();
    for i in 1..=2 {
        tiny(p)
            .args(["--shard", &format!("{i}/2"), "--out"])
            .arg(p.join(format!("s{i}.json")))
            .assert()
            .success();
    }
    tiny(p)
        .env("RON_BENCH_PUB_YIELD", "0,1")
        .args(["--shard", "2/2", "--out"])
        .arg(p.join("other.json"))
        .assert()
        .success();
    tiny(p)
        .arg("--out")
        .arg(p.join("whole.json"))
        .assert()
        .success();
    let merge = |files: &[&str]| {
        let mut c = bench(p);
        c.arg("merge")
            .args(files.iter().map(|f| p.join(f)))
            .arg("--out")
            .arg(p.join("m.json"));
        c
    };
    merge(&["s1.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing shard(s) [2] of 2"));
    merge(&["s1.json", "s1.json", "s2.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shard 1 given twice"));
    merge(&["s1.json", "other.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("in its matrix"));
    merge(&["whole.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a shard run"));
    bench(p)
        .args(["run", "--shard", "3/2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--shard \"3/2\""));
    assert!(!p.join("m.json").exists());
}

#[test]
fn instruction_counts_gate_tightly_and_refuse_threads() {
    let ws = repo_ws();
    bench(ws.path())
        .args([
            "run",
            "--measure",
            "instructions",
            "--scenario",
            "steady,burst_fanout",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot measure scenario `burst_fanout`",
        ))
        .stderr(predicate::str::contains("callgrind serialises threads"));
    let gate = || {
        let mut c = bench(ws.path());
        c.args([
            "gate",
            "--measure",
            "instructions",
            "--against",
            "HEAD~1",
            "--out-dir",
        ])
        .arg(ws.path().join("reports/instr"));
        c
    };
    gate()
        .assert()
        .success()
        .stdout(predicate::str::contains("I-steady-publish"))
        .stdout(predicate::str::contains("I-metrics-hot"))
        // The counts themselves (base -> new) under each check, on 8 rounds.
        .stdout(predicate::str::contains(" instr → "))
        .stdout(predicate::str::contains("  exact  0.0%  8  PASS"));
    // 3% more instructions: beyond the 2% tolerance, and deterministic, so significant.
    gate()
        .env("RON_BENCH_MOCK_SLOWDOWN_PCT", "3")
        .env("RON_BENCH_MOCK_SLOW", "none")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REGRESSED"));
    let run: serde_json::Value =
        serde_json::from_str(&read(&ws.path().join("reports/instr/run.json"))).unwrap();
    assert_eq!(run["matrix"]["measure"], "instructions");
    assert!(
        run["cells"][0]["rounds"][0]["instructions"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn instruction_mode_without_valgrind_names_the_package() {
    let ws = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    bench(ws.path())
        .env_remove("RON_BENCH_MOCK")
        .env("PATH", empty.path())
        .args([
            "run",
            "--measure",
            "instructions",
            "--scenario",
            "steady",
            "--contender",
            "ron-bus",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs valgrind"))
        .stderr(predicate::str::contains("apt-get install valgrind"));
}

/// Runs a script of scripts/ against the mock, output in the temp workspace.
fn script(ws: &Path, name: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg(repo().join("scripts").join(name));
    for v in common::CLEARED {
        c.env_remove(v);
    }
    for v in [
        "STRICT", "ROUNDS", "MEASTIME", "SAMPLES", "QUICK", "AGAINST", "BASELINE", "POLICY",
    ] {
        c.env_remove(v);
    }
    c.env("RON_BENCH", env!("CARGO_BIN_EXE_ron-bench"))
        .env("RON_BENCH_WORKSPACE", ws)
        .env("RON_BENCH_MOCK", "1")
        .env("OUT_DIR", ws.join("reports/script"))
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("PR_NUMBER");
    c
}

#[test]
fn perf_gate_sh_runs_the_seed_thresholds_and_the_strict_mode() {
    let ws = repo_ws();
    script(ws.path(), "perf_gate.sh")
        .assert()
        .success()
        .stdout(predicate::str::contains("PG-one-sub"))
        .stdout(predicate::str::contains("PG-batched-fanout"))
        .stdout(predicate::str::contains("PG-batched-lagged"))
        .stderr(predicate::str::contains("PASS (exit 0)"));
    assert!(ws.path().join("reports/script/notes.md").is_file());
    script(ws.path(), "perf_gate.sh")
        .env("STRICT", "1")
        .env("ROUNDS", "5")
        .env("MEASTIME", "12")
        .env("AGAINST", "HEAD~1")
        .assert()
        .success()
        .stdout(predicate::str::contains("S-classic-fanout"))
        .stdout(predicate::str::contains("S-batched-fanout-1024"))
        .stderr(predicate::str::contains("ROUNDS=5 raised to 12"))
        .stderr(predicate::str::contains(
            "MEASTIME=12s -> 10 samples x 1200 ms",
        ));
    // A regression of the head against the base fails the strict gate with exit 1.
    script(ws.path(), "perf_gate.sh")
        .env("STRICT", "1")
        .env("AGAINST", "HEAD~1")
        .env("RON_BENCH_MOCK_SLOWDOWN_PCT", "10")
        .env("RON_BENCH_MOCK_SLOW", "none")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("FAIL: a gate failed (exit 1)"));
    script(ws.path(), "perf_gate.sh")
        .env("ROUNDS", "x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ROUNDS=x is not a whole number"));
}

#[test]
fn perf_gate_pr_sh_records_comments_and_finishes_with_the_gate_code() {
    let ws = repo_ws();
    let out = ws.path().join("reports/script");
    script(ws.path(), "perf_gate_pr.sh")
        .arg("all")
        .env("BASE_SHA", "HEAD~1")
        .env("DRY_RUN", "1")
        .assert()
        .success()
        .stdout(predicate::str::contains("<!-- ron-bench:perf-gate -->"))
        .stdout(predicate::str::contains("## ron-bench perf gate: passed"));
    assert_eq!(read(&out.join("gate-exit-code")).trim(), "0");
    let comment = read(&out.join("pr-comment.md"));
    // The gate's comment body: a summary line above the NOTES block, the table folded, and
    // heading levels in order (the title and the NOTES block are both `##`).
    let summary = comment.find("**PASS**: ").expect("a summary line");
    let notes = comment.find("## MOG Results").expect("the NOTES block");
    assert!(summary < notes, "{comment}");
    assert!(comment.contains("<details><summary>All "), "{comment}");
    let levels: Vec<usize> = comment
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| l.chars().take_while(|c| *c == '#').count())
        .collect();
    assert!(levels.windows(2).all(|w| w[1] <= w[0] + 1), "{levels:?}");
    // The PR gate is the default gate (policy `change`): code-path counts and times.
    assert!(comment.contains("I-delivery"), "{comment}");
    assert!(comment.contains("T-publish-1"), "{comment}");
    // The gate step itself never fails the job; `finish` does, with the gate's code.
    script(ws.path(), "perf_gate_pr.sh")
        .arg("gate")
        .env("BASE_SHA", "HEAD~1")
        .env("RON_BENCH_MOCK_SLOWDOWN_PCT", "10")
        .env("RON_BENCH_MOCK_SLOW", "bus_batch")
        .assert()
        .success();
    assert_eq!(read(&out.join("gate-exit-code")).trim(), "1");
    script(ws.path(), "perf_gate_pr.sh")
        .arg("comment")
        .env("BASE_SHA", "HEAD~1")
        .env("ARTIFACT_URL", "https://example.invalid/artifact/1")
        .assert()
        .success()
        .stdout(predicate::str::contains("**failed**"))
        .stdout(predicate::str::contains("**FAIL**: `"))
        .stdout(predicate::str::contains("(limit +1%) regressed"))
        .stdout(predicate::str::contains(
            "(https://example.invalid/artifact/1)",
        ));
    script(ws.path(), "perf_gate_pr.sh")
        .arg("finish")
        .assert()
        .code(1);
}

#[test]
fn perf_gate_pr_sh_shards_and_merges_a_sweep() {
    let ws = repo_ws();
    let matrix = ws.path().join("sweep.toml");
    std::fs::write(
        &matrix,
        "scenarios = [\"burst_fanout\"]\ncontenders = [\"ron-bus\", \"flume\"]\nburst = [1, 256]\nfanout = [1, 4]\ncap = [64]\nrounds = 2\nsamples = 2\nwindow_ms = 1\nwarmup_ms = 0\n",
    )
    .unwrap();
    for i in 1..=2 {
        script(ws.path(), "perf_gate_pr.sh")
            .args(["shard", &format!("{i}/2")])
            .env("SHARD_MATRIX", &matrix)
            .assert()
            .success();
    }
    script(ws.path(), "perf_gate_pr.sh")
        .arg("merge")
        .assert()
        .success();
    let merged: serde_json::Value =
        serde_json::from_str(&read(&ws.path().join("reports/script/sweep.json"))).unwrap();
    assert_eq!(merged["cells"].as_array().unwrap().len(), 8);
}
