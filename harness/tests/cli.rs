//! CLI integration tests. Runs use the mock executor (`RON_BENCH_MOCK=1`: synthetic numbers,
//! no runner build) with tiny windows, so they are fast and assert behaviour, never timings.
#![forbid(unsafe_code)]

mod common;

use assert_cmd::Command;
use common::bench;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

/// A tiny mock run.
fn tiny_run(ws: &Path) -> Command {
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
    ]);
    c
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn quick_run_writes_a_versioned_run_file_and_latest() {
    let ws = tempfile::tempdir().unwrap();
    tiny_run(ws.path())
        .arg("--quick")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "[bench cfg] RON_TLS_FLUSH_THRESHOLD=64, burst=256, fanout=4, cap=2048",
        ))
        .stdout(predicate::str::contains("estimated time:"))
        .stdout(predicate::str::contains("wrote "));
    let latest = ws.path().join("reports/runs/latest.json");
    let v = json(&latest);
    assert_eq!(v["schema"], "ron-bench/run/v1");
    assert_eq!(v["executor"], "mock");
    assert_eq!(v["cells"].as_array().unwrap().len(), 20);
    assert_eq!(
        v["cells"][0]["id"],
        "burst_fanout/ron-bus/burst=256/fanout=4/cap=2048/tls_thresh=64"
    );
    assert_eq!(v["cells"][0]["rounds"].as_array().unwrap().len(), 2);
    assert!(v["env"]["machine"]["logical_cores"].as_u64().unwrap() >= 1);
    assert_eq!(files(&ws.path().join("reports/runs")).len(), 2);
}

#[test]
fn two_feature_builds_interleave_in_one_run() {
    let ws = tempfile::tempdir().unwrap();
    let out = ws.path().join("ab.json");
    tiny_run(ws.path())
        .args([
            "--features",
            "none;bus_batch",
            "--scenario",
            "burst_fanout,batched",
        ])
        .args(["--contender", "ron-bus,flume", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("skip:").not());
    let v = json(&out);
    let builds: Vec<&str> = v["builds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(builds, ["none", "bus_batch"]);
    let cells = v["cells"].as_array().unwrap();
    // (burst_fanout + batched) x 2 contenders x 2 builds: the `none` build is batched's
    // reference (publish in a loop), the bus_batch build uses publish_many.
    assert_eq!(cells.len(), 8);
    let seqs = |i: usize| -> Vec<u64> {
        cells[i]["rounds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["seq"].as_u64().unwrap())
            .collect()
    };
    // 8 jobs per round: round 0 forward, round 1 backward.
    assert_eq!(
        (cells[0]["build"].as_str(), seqs(0)),
        (Some("none"), vec![0, 15])
    );
    assert_eq!(
        (cells[1]["build"].as_str(), seqs(1)),
        (Some("bus_batch"), vec![1, 14])
    );
    assert_eq!(v["skipped"].as_array().unwrap().len(), 0);
}

#[test]
fn env_lists_expand_and_flags_beat_env() {
    let ws = tempfile::tempdir().unwrap();
    let out = ws.path().join("m.json");
    tiny_run(ws.path())
        .env("RON_BURST", "64,128")
        .env("FANOUT", "8")
        .args([
            "--fanout",
            "1",
            "--scenario",
            "burst_fanout",
            "--contender",
            "tokio-broadcast",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("burst=64, fanout=1"))
        .stdout(predicate::str::contains("burst=128, fanout=1"));
    let v = json(&out);
    let ids: Vec<&str> = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "burst_fanout/tokio-broadcast/burst=64/fanout=1/cap=2048/tls_thresh=64",
            "burst_fanout/tokio-broadcast/burst=128/fanout=1/cap=2048/tls_thresh=64"
        ]
    );
    assert_eq!(v["knobs"][0]["source"], "env RON_BURST");
    assert_eq!(v["knobs"][1]["source"], "flag --fanout");
}

#[test]
fn a_matrix_file_is_honoured() {
    let ws = tempfile::tempdir().unwrap();
    let m = ws.path().join("m.toml");
    std::fs::write(
        &m,
        "scenarios = [\"latency\"]\ncontenders = [\"crossbeam\"]\nfanout = [2]\ncap = [64, 128]\n",
    )
    .unwrap();
    let out = ws.path().join("m.json");
    tiny_run(ws.path())
        .arg("--matrix")
        .arg(&m)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let v = json(&out);
    assert_eq!(v["cells"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["cells"][1]["id"],
        "latency/crossbeam/fanout=2/cap=128/rate=100000/tls_thresh=64"
    );
    assert!(
        v["cells"][0]["summary"]["latency_ns"]["p99"]["median"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn baseline_save_list_show_rm() {
    let ws = tempfile::tempdir().unwrap();
    tiny_run(ws.path())
        .args(["--scenario", "steady", "--contender", "ron-bus"])
        .assert()
        .success();
    bench(ws.path())
        .args(["baseline", "save", "main"])
        .assert()
        .success()
        .stdout(predicate::str::contains("saved baseline `main`"));
    assert!(ws.path().join("baselines/main.json").is_file());
    assert_eq!(
        json(&ws.path().join("baselines/main.json"))["schema"],
        "ron-bench/baseline/v1"
    );
    bench(ws.path())
        .args(["baseline", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("main"))
        .stdout(predicate::str::contains("3 cells"));
    bench(ws.path())
        .args(["baseline", "show", "main"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "steady/ron-bus/fanout=0/cap=2048/tls_thresh=64",
        ))
        .stdout(predicate::str::contains("machine"));
    bench(ws.path())
        .args(["baseline", "save", "main", "--force"])
        .assert()
        .success();
    bench(ws.path())
        .args(["baseline", "rm", "main"])
        .assert()
        .success();
    assert!(!ws.path().join("baselines/main.json").exists());
}

#[test]
fn baseline_dir_comes_from_flag_or_env() {
    let ws = tempfile::tempdir().unwrap();
    let run = ws.path().join("r.json");
    tiny_run(ws.path())
        .args(["--scenario", "steady", "--contender", "flume", "--out"])
        .arg(&run)
        .assert()
        .success();
    let other = ws.path().join("elsewhere");
    bench(ws.path())
        .env("RON_BASELINE_DIR", &other)
        .args(["baseline", "save", "b1", "--from"])
        .arg(&run)
        .assert()
        .success();
    assert!(other.join("b1.json").is_file());
    bench(ws.path())
        .args(["baseline", "list", "--dir"])
        .arg(&other)
        .assert()
        .success()
        .stdout(predicate::str::contains("b1"));
}

// ---- bad input: exit 2, a message naming the culprit, nothing on disk touched ----

fn assert_bad(cmd: &mut Command, ws: &Path, culprit: &str) {
    let before = files(ws);
    cmd.assert()
        .code(2)
        .stderr(predicate::str::contains(culprit));
    assert_eq!(files(ws), before, "the failed command touched the disk");
}

#[test]
fn bad_knobs_are_rejected_by_name() {
    let ws = tempfile::tempdir().unwrap();
    assert_bad(
        tiny_run(ws.path()).env("RON_BENCH_BURST", "abc"),
        ws.path(),
        "RON_BENCH_BURST",
    );
    assert_bad(tiny_run(ws.path()).env("FANOUT", "0"), ws.path(), "FANOUT");
    assert_bad(tiny_run(ws.path()).env("CAP", "0"), ws.path(), "CAP");
    assert_bad(
        tiny_run(ws.path()).args(["--burst", "1,,2"]),
        ws.path(),
        "--burst",
    );
    assert_bad(
        tiny_run(ws.path()).env("RON_BENCH_PUB_YIELD", "2"),
        ws.path(),
        "RON_BENCH_PUB_YIELD",
    );
    assert_bad(
        tiny_run(ws.path()).args(["--rounds", "0"]),
        ws.path(),
        "--rounds",
    );
}

#[test]
fn unknown_names_are_rejected() {
    let ws = tempfile::tempdir().unwrap();
    assert_bad(
        tiny_run(ws.path()).args(["--scenario", "steady,warp"]),
        ws.path(),
        "unknown scenario `warp`",
    );
    assert_bad(
        tiny_run(ws.path()).args(["--contender", "carrier-pigeon"]),
        ws.path(),
        "carrier-pigeon",
    );
    assert_bad(
        tiny_run(ws.path()).args(["--features", "none;bus_turbo"]),
        ws.path(),
        "unknown feature `bus_turbo`",
    );
}

#[test]
fn a_bad_matrix_file_is_rejected() {
    let ws = tempfile::tempdir().unwrap();
    let m = ws.path().join("bad.toml");
    std::fs::write(&m, "brust = [1]\n").unwrap();
    assert_bad(
        tiny_run(ws.path()).arg("--matrix").arg(&m),
        ws.path(),
        "brust",
    );
    std::fs::write(&m, "cap = [0]\n").unwrap();
    assert_bad(
        tiny_run(ws.path()).arg("--matrix").arg(&m),
        ws.path(),
        "bad.toml",
    );
    assert_bad(
        tiny_run(ws.path())
            .arg("--matrix")
            .arg(ws.path().join("nope.toml")),
        ws.path(),
        "nope.toml",
    );
}

#[test]
fn an_unwritable_output_dir_fails_before_running() {
    let ws = tempfile::tempdir().unwrap();
    let file = ws.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    assert_bad(
        tiny_run(ws.path()).arg("--out").arg(file.join("run.json")),
        ws.path(),
        "plain-file",
    );
    assert_bad(
        tiny_run(ws.path())
            .arg("--out")
            .arg(ws.path().join("missing/run.json")),
        ws.path(),
        "missing",
    );
}

#[test]
fn missing_or_corrupt_baselines_and_run_files() {
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path().join("baselines");
    std::fs::create_dir_all(&dir).unwrap();
    assert_bad(
        bench(ws.path()).args(["baseline", "show", "ghost"]),
        ws.path(),
        "no baseline `ghost`",
    );
    assert_bad(
        bench(ws.path()).args(["baseline", "rm", "ghost"]),
        ws.path(),
        "ghost",
    );
    std::fs::write(
        dir.join("bad.json"),
        "{\"schema\": \"ron-bench/baseline/v1\", \"name\": ",
    )
    .unwrap();
    assert_bad(
        bench(ws.path()).args(["baseline", "show", "bad"]),
        ws.path(),
        "truncated",
    );
    std::fs::write(
        dir.join("old.json"),
        "{\"schema\": \"ron-bench/baseline/v0\"}",
    )
    .unwrap();
    assert_bad(
        bench(ws.path()).args(["baseline", "show", "old"]),
        ws.path(),
        "ron-bench/baseline/v0",
    );
    // No run yet: nothing to save.
    assert_bad(
        bench(ws.path()).args(["baseline", "save", "x"]),
        ws.path(),
        "latest.json",
    );
    let corrupt = ws.path().join("corrupt.json");
    std::fs::write(
        &corrupt,
        "{\"schema\": \"ron-bench/run/v1\", \"wall_ms\": \"x\"}",
    )
    .unwrap();
    assert_bad(
        bench(ws.path())
            .args(["baseline", "save", "x", "--from"])
            .arg(&corrupt),
        ws.path(),
        "corrupt.json",
    );
}

#[test]
fn saving_over_an_existing_baseline_needs_force() {
    let ws = tempfile::tempdir().unwrap();
    tiny_run(ws.path())
        .args(["--scenario", "steady", "--contender", "ron-bus"])
        .assert()
        .success();
    bench(ws.path())
        .args(["baseline", "save", "main"])
        .assert()
        .success();
    let before = std::fs::read(ws.path().join("baselines/main.json")).unwrap();
    assert_bad(
        bench(ws.path()).args(["baseline", "save", "main"]),
        ws.path(),
        "--force",
    );
    assert_eq!(
        std::fs::read(ws.path().join("baselines/main.json")).unwrap(),
        before
    );
}

#[test]
fn usage_errors_exit_2() {
    let ws = tempfile::tempdir().unwrap();
    assert_bad(
        bench(ws.path()).args(["run", "--rounds", "many"]),
        ws.path(),
        "many",
    );
    assert_bad(bench(ws.path()).arg("frobnicate"), ws.path(), "frobnicate");
}

#[cfg(unix)]
#[test]
fn ctrl_c_discards_partial_results() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let ws = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ron-bench"));
    for v in common::CLEARED {
        cmd.env_remove(v);
    }
    let mut child = cmd
        .args([
            "run",
            "--rounds",
            "50",
            "--samples",
            "1",
            "--window-ms",
            "1",
            "--warmup-ms",
            "0",
        ])
        .env("RON_BENCH_WORKSPACE", ws.path())
        .env("RON_BENCH_MOCK", "1")
        .env("RON_BENCH_MOCK_SLEEP_MS", "50")
        .env("CI", "true")
        .current_dir(ws.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    // Wait for the first finished process run: the run is under way.
    while stderr.read_line(&mut line).unwrap() > 0
        && !line.contains("[ ")
        && !line.contains("/1000]")
    {
        line.clear();
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(2), "stderr: {rest}");
    assert!(rest.contains("interrupted by Ctrl-C"), "{rest}");
    assert!(
        rest.contains("no run file and no baseline written"),
        "{rest}"
    );
    assert!(!ws.path().join("reports/runs/latest.json").exists());
    assert!(files(&ws.path().join("reports/runs")).is_empty());
    assert!(!ws.path().join("baselines").exists());
}
