//! Hostile input: one test per class of defect a bad-input battery found (issue 13). Each
//! failed on the code before the fix (a panic, a hang, a lost or replaced file, a wrong exit
//! code or message) and asserts the fixed behaviour. Mock executor, tiny runs, temp dirs;
//! every child process runs under a timeout, so a hang fails instead of blocking the suite.
#![forbid(unsafe_code)]

mod common;

use common::{bench, SMALL_RUN as RUN};
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, SystemTime};

/// Longest any single command may take before it counts as hung.
const HANG: Duration = Duration::from_secs(90);

/// `ron-bench` (as [`bench`]) with a hang timeout.
fn rb(ws: &Path) -> assert_cmd::Command {
    let mut c = bench(ws);
    c.timeout(HANG);
    c
}

/// The same environment on a plain `std` command (for closing or redirecting its streams).
fn rb_std(ws: &Path) -> StdCommand {
    common::bench_std(ws)
}

/// A small mock run written to `ws/name` (optionally `pct` slower).
fn mock_run(ws: &Path, name: &str, pct: Option<&str>) -> PathBuf {
    let out = ws.join(name);
    let mut c = rb(ws);
    if let Some(p) = pct {
        c.env("RON_BENCH_MOCK_SLOWDOWN_PCT", p);
    }
    c.args(RUN).arg("--out").arg(&out).assert().success();
    out
}

/// A workspace with baseline `base` and its run file.
fn with_base() -> (tempfile::TempDir, PathBuf) {
    let ws = tempfile::tempdir().unwrap();
    let run = mock_run(ws.path(), "base.json", None);
    rb(ws.path())
        .args(["baseline", "save", "base", "--from"])
        .arg(&run)
        .assert()
        .success();
    (ws, run)
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn write_json(p: &Path, v: &Value) {
    std::fs::write(p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// `mkfifo path`, or `false` (the caller says "skipped") when the tool is missing.
fn mkfifo(path: &Path) -> bool {
    let ok = StdCommand::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("RON_CI_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
            "mkfifo is required (RON_CI_REQUIRE_TOOLS=1)"
        );
        eprintln!("skipped: mkfifo not available");
    }
    ok
}

/// This process's umask (children inherit it), from /proc; `None` off Linux.
fn umask() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Umask:"))?;
    u32::from_str_radix(line.split_whitespace().nth(1)?, 8).ok()
}

#[cfg(unix)]
#[test]
fn writer_follows_links_writes_fifos_in_place_honours_umask_and_cleans_orphans() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let (ws, run) = with_base();
    let w = ws.path();
    let compare = |out: &Path| {
        rb(w)
            .args(["compare", "--baseline", "base", "--format", "json", "--run"])
            .arg(&run)
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    };
    // A (dangling) symlink: the link stays, its target is created with 0666 & !umask.
    std::os::unix::fs::symlink("target.json", w.join("link.json")).unwrap();
    compare(&w.join("link.json"));
    let meta = std::fs::symlink_metadata(w.join("link.json")).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert!(json(&w.join("target.json"))["outcome"].is_object());
    if let Some(mask) = umask() {
        let mode = std::fs::metadata(w.join("target.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o666 & !mask, "mode {mode:o}, umask {mask:o}");
    }
    // `-` is stdout, not a file named "-".
    rb(w)
        .args([
            "compare",
            "--baseline",
            "base",
            "--format",
            "json",
            "--out",
            "-",
            "--run",
        ])
        .arg(&run)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"outcome\""));
    assert!(!w.join("-").exists());
    // `run --out -`: stdout is the run file alone (the plan and table go to stderr).
    let out = rb(w).args(RUN).args(["--out", "-"]).output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(v["schema"], "ron-bench/run/v1");
    assert!(!w.join("-").exists());
    // Orphans of a killed writer go; a fresh temp file (a writer at work) stays.
    let runs = w.join("reports/runs");
    std::fs::create_dir_all(&runs).unwrap();
    let old = runs.join(".ron-bench-killed.tmp");
    let fresh = runs.join(".ron-bench-working.tmp");
    for p in [&old, &fresh] {
        std::fs::write(p, "{").unwrap();
    }
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    rb(w).args(RUN).assert().success();
    assert!(!old.exists(), "stale temp file left behind");
    assert!(fresh.exists(), "a fresh temp file was removed");
    // A FIFO is written in place (a reader gets the bytes; the FIFO stays a FIFO).
    let fifo = w.join("pipe.json");
    if mkfifo(&fifo) {
        let reader = {
            let f = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(f).unwrap())
        };
        compare(&fifo);
        let ft = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(ft.is_fifo(), "the FIFO was replaced by a regular file");
        let got = reader.join().unwrap();
        assert!(got.contains("\"outcome\""), "{got}");
    }
}

#[test]
fn calibrate_writes_the_file_it_read_and_spares_a_baseline_named_calibration() {
    let (ws, run) = with_base();
    let w = ws.path();
    let dir = w.join("baselines");
    // A copied snapshot keeps its internal name `base`.
    std::fs::copy(dir.join("base.json"), dir.join("copy.json")).unwrap();
    rb(w)
        .args(["baseline", "save", "calibration", "--from"])
        .arg(&run)
        .assert()
        .success();
    rb(w)
        .args([
            "calibrate",
            "--policy",
            "features",
            "--quick",
            "--baseline",
            "copy",
        ])
        .assert()
        .success();
    assert!(json(&dir.join("copy.json"))["calibration"].is_object());
    assert!(
        json(&dir.join("base.json")).get("calibration").is_none(),
        "calibrating `copy` overwrote `base`"
    );
    let survivor = json(&dir.join("calibration.json"));
    assert_eq!(survivor["schema"], "ron-bench/baseline/v1");
    rb(w)
        .args(["baseline", "show", "calibration"])
        .assert()
        .success();
}

#[cfg(unix)]
#[test]
fn closed_or_full_streams_never_panic_and_never_lose_the_file() {
    let (ws, run) = with_base();
    let w = ws.path();
    // `| head -1` that already left: stdout is a closed pipe.
    let closed = |args: &[&str]| {
        let mut child = rb_std(w)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        child.wait().unwrap().code()
    };
    let latest = w.join("reports/runs/latest.json");
    let _ = std::fs::remove_file(&latest);
    assert_eq!(closed(&RUN), Some(0), "run | head");
    assert!(latest.is_file(), "the run file was lost");
    let rep = w.join("rep");
    let code = closed(&[
        "gate",
        "--policy",
        "features",
        "--run",
        run.to_str().unwrap(),
        "--out-dir",
        rep.to_str().unwrap(),
    ]);
    assert!(matches!(code, Some(0 | 1)), "gate | head exited {code:?}");
    assert!(rep.join("report.json").is_file(), "the report was lost");
    let Ok(full) = std::fs::File::options().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    // A full stderr: exit 2 with a message on stdout, and the baseline is saved all the same.
    let out = rb_std(w)
        .args(["baseline", "save", "again", "--from"])
        .arg(&run)
        .stderr(full.try_clone().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot write to stderr"));
    assert!(
        w.join("baselines/again.json").is_file(),
        "baseline not saved"
    );
    // A full stdout is not success.
    let out = rb_std(w)
        .args(["compare", "--baseline", "base", "--format", "json", "--run"])
        .arg(&run)
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write to stdout"));
    // Not even `--help` claims success on a full stdout.
    let status = rb_std(w)
        .arg("--help")
        .stdout(
            std::fs::File::options()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}

/// Sets every throughput of `run` to `v`.
fn set_rates(run: &mut Value, v: f64) {
    for c in run["cells"].as_array_mut().unwrap() {
        for r in c["rounds"].as_array_mut().unwrap() {
            r["values"]["publishes_per_sec"] = v.into();
            r["values"]["deliveries_per_sec"] = v.into();
        }
        for m in ["publishes_per_sec", "deliveries_per_sec"] {
            for s in ["median", "mean", "min", "max"] {
                c["summary"][m][s] = v.into();
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn hostile_files_never_hang() {
    let (ws, run) = with_base();
    let w = ws.path();
    // Throughput near f64::MAX: the chart axis used to overflow to infinity and loop.
    let mut huge = json(&run);
    set_rates(&mut huge, f64::MAX * 0.9);
    let huge_path = w.join("huge.json");
    write_json(&huge_path, &huge);
    for args in [
        vec!["chart", "--out", "charts", "--run"],
        vec!["gate", "--policy", "features", "--out-dir", "rep", "--run"],
    ] {
        rb(w)
            .args(&args)
            .arg(&huge_path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is not a throughput"));
    }
    // Criterion dirs with a `..` link and a self link import the 3 benchmarks once.
    let crit = w.join("crit");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("report/tests/fixtures/criterion-target/criterion"),
        &crit,
    );
    std::os::unix::fs::symlink("..", crit.join("encode/up")).unwrap();
    std::os::unix::fs::symlink(".", crit.join("bus_publish/here")).unwrap();
    std::os::unix::fs::symlink("self", crit.join("self")).unwrap();
    rb(w)
        .args(["import", "criterion"])
        .arg(&crit)
        .args(["--name", "crit"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "imported 3 criterion benchmark(s)",
        ));
    // A FIFO named like a baseline is skipped, not read (which blocked for good).
    if mkfifo(&w.join("baselines/trap.json")) {
        rb(w)
            .args(["baseline", "list"])
            .assert()
            .success()
            .stdout(predicate::str::contains("base"))
            .stdout(predicate::str::contains("trap").not());
        // A FIFO as a policy, matrix or run file is refused, not read.
        let fifo = w.join("baselines/trap.json");
        for args in [
            vec!["gate", "--policy"],
            vec!["run", "--dry-run", "--matrix"],
            vec!["merge"],
        ] {
            rb(w)
                .args(&args)
                .arg(&fifo)
                .assert()
                .code(2)
                .stderr(predicate::str::contains("trap.json"));
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn verdicts_win_over_rendering_and_empty_gates_are_errors() {
    let (ws, _) = with_base();
    let w = ws.path();
    let slow = mock_run(w, "slow.json", Some("15"));
    // The report cannot be written completely (a directory where a chart goes): still exit 1.
    let rep = w.join("rep");
    std::fs::create_dir_all(rep.join("change.svg")).unwrap();
    rb(w)
        .args(["gate", "--baseline", "base", "--out-dir"])
        .arg(&rep)
        .arg("--run")
        .arg(&slow)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("gate FAILED"));
    // compare says "exit code 1" and exits 1.
    rb(w)
        .args(["compare", "--baseline", "base", "--run"])
        .arg(&slow)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Outcome: FAIL (exit code 1)"));
    // A policy with no gates checked nothing: exit 2, unless --allow-empty.
    let empty = w.join("empty.toml");
    std::fs::write(&empty, "name = \"empty\"\n").unwrap();
    let gate_empty = |extra: &[&str]| {
        let mut c = rb(w);
        c.args(["gate", "--policy"])
            .arg(&empty)
            .arg("--run")
            .arg(&slow)
            .args(extra);
        c.assert()
    };
    gate_empty(&[])
        .code(2)
        .stderr(predicate::str::contains("nothing was checked"));
    gate_empty(&["--allow-empty"]).code(0);
    // A baseline with 0 cells is refused, not a vacuous PASS.
    let mut b = json(&w.join("baselines/base.json"));
    b["run"]["cells"] = Value::Array(vec![]);
    b["name"] = "hollow".into();
    write_json(&w.join("baselines/hollow.json"), &b);
    rb(w)
        .args(["gate", "--baseline", "hollow", "--strict", "--run"])
        .arg(&slow)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no measured cells"));
}

#[test]
fn concurrent_saves_have_one_winner_and_runs_never_collide() {
    let (ws, run) = with_base();
    let w = ws.path();
    let saves: Vec<_> = (0..8)
        .map(|_| {
            rb_std(w)
                .args(["baseline", "save", "race", "--from"])
                .arg(&run)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = saves
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let won = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(won, 1, "{won} of 8 concurrent saves succeeded");
    for o in outs.iter().filter(|o| !o.status.success()) {
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    }
    // Three runs started together write three run files.
    let runs = w.join("reports/runs");
    let _ = std::fs::remove_dir_all(&runs);
    let children: Vec<_> = (0..3)
        .map(|_| {
            rb_std(w)
                .args(RUN)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let files: Vec<String> = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("run-"))
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
}

#[test]
fn bad_contents_are_refused_naming_the_cell() {
    let (ws, run) = with_base();
    let w = ws.path();
    let good = json(&run);
    let cell = good["cells"][0]["id"].as_str().unwrap().to_string();
    let refuse = |name: &str, v: &Value, needle: &str| {
        let p = w.join(format!("{name}.json"));
        write_json(&p, v);
        rb(w)
            .args(["baseline", "save", name, "--from"])
            .arg(&p)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
        assert!(!w.join(format!("baselines/{name}.json")).exists());
    };
    for (name, rate) in [("negative", -5.0e6), ("zero", 0.0), ("absurd", 1e308)] {
        let mut v = good.clone();
        v["cells"][0]["rounds"][0]["values"]["publishes_per_sec"] = rate.into();
        refuse(name, &v, &cell);
    }
    let mut v = good.clone();
    v["cells"][0]["rounds"] = Value::Array(vec![]);
    refuse("norounds", &v, &format!("{cell} [none] has 0 rounds"));
    let mut v = good.clone();
    v["cells"] = Value::Array(vec![]);
    refuse("nocells", &v, "no measured cells");
    // A git sha names the report directory: text that is not hex (here also one that would
    // split a character when shortened) is refused, not sliced or used as a path.
    let mut v = good.clone();
    v["env"]["git_sha"] = "a\u{e9}\u{e9}/../../../../escape".into();
    refuse("sha", &v, "is not a git object name");
    let mut v = good.clone();
    let first = v["cells"][0].clone();
    v["cells"].as_array_mut().unwrap().push(first);
    refuse("dup", &v, "appears more than once");
    // merge: a shard with a cell dropped or duplicated is refused.
    let shard = |i: &str| {
        let p = w.join(format!("s{}.json", &i[..1]));
        rb(w)
            .args(RUN)
            .args(["--shard", i, "--out"])
            .arg(&p)
            .assert()
            .success();
        p
    };
    let (s1, s2) = (shard("1/2"), shard("2/2"));
    let mut dropped = json(&s1);
    dropped["cells"].as_array_mut().unwrap().pop();
    let dropped_path = w.join("dropped.json");
    write_json(&dropped_path, &dropped);
    rb(w)
        .args(["merge", "--out", "m.json"])
        .arg(&dropped_path)
        .arg(&s2)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is in no shard"));
    let mut doubled = json(&s2);
    let stolen = json(&s1)["cells"][0].clone();
    doubled["cells"].as_array_mut().unwrap().push(stolen);
    let doubled_path = w.join("doubled.json");
    write_json(&doubled_path, &doubled);
    rb(w)
        .args(["merge", "--out", "m.json"])
        .arg(&s1)
        .arg(&doubled_path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("more than once across the shards"));
    rb(w)
        .args(["merge", "--out", "m.json"])
        .arg(&s1)
        .arg(&s2)
        .assert()
        .success();
}

#[test]
fn messages_name_the_culprit_once_and_never_a_temp_file() {
    let (ws, run) = with_base();
    let w = ws.path();
    // A file where the baseline directory should be.
    std::fs::write(w.join("afile"), "x").unwrap();
    rb(w)
        .args(["baseline", "save", "x", "--dir", "afile", "--from"])
        .arg(&run)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "afile exists but is not a directory",
        ))
        .stderr(predicate::str::contains("File exists").not());
    // An empty RON_BASELINE_DIR is named, not blamed on --dir.
    rb(w)
        .env("RON_BASELINE_DIR", "")
        .args(["baseline", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "RON_BASELINE_DIR is set but empty",
        ))
        .stderr(predicate::str::contains("--dir").not());
    // A nonexistent workspace is refused, not created.
    let nope = w.join("no/such/ws");
    rb(w)
        .env("RON_BENCH_WORKSPACE", &nope)
        .args(RUN)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("RON_BENCH_WORKSPACE"));
    assert!(!nope.exists(), "the workspace was created");
    // A missing output directory: the path the user gave, no temp file.
    rb(w)
        .args([
            "compare",
            "--baseline",
            "base",
            "--out",
            "missing/x.md",
            "--run",
        ])
        .arg(&run)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing/x.md"))
        .stderr(predicate::str::contains(".ron-bench-").not());
    // A truncated run file is named once ("--run X: X is truncated" said it twice).
    let bad = w.join("trunc.json");
    std::fs::write(&bad, "{\"schema\": \"ron-bench/run/v1\", \"cells\": [").unwrap();
    let out = rb(w)
        .args(["compare", "--baseline", "base", "--run"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("trunc.json").count(), 1, "{err}");
    // An OS error is said once, not once per layer ("X: X").
    let out = rb(w)
        .args(["run", "--dry-run", "--matrix", "absent.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

/// Item 7: every knob and flag has bounds (the knob table's, or clap ranges) and is refused
/// beyond them with exit 2 naming it; a huge matrix is refused before it is expanded, and a
/// large but allowed one plans in well under a second (the duplicate check was quadratic).
#[test]
fn unbounded_inputs_are_refused_by_name() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    let refused = |args: &[&str], env: &[(&str, String)], culprit: &str| {
        let mut c = rb(w);
        for (k, v) in env {
            c.env(k, v);
        }
        c.args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(culprit));
    };
    let dry = ["run", "--dry-run"];
    refused(
        &["run", "--dry-run", "--rounds", "1000000000"],
        &[],
        "--rounds",
    );
    refused(
        &["run", "--dry-run", "--window-ms", &u64::MAX.to_string()],
        &[],
        "--window-ms",
    );
    refused(
        &["run", "--dry-run", "--warmup-ms", &u64::MAX.to_string()],
        &[],
        "--warmup-ms",
    );
    refused(
        &[
            "run",
            "--dry-run",
            "--throttle-spins",
            &u64::MAX.to_string(),
        ],
        &[],
        "--throttle-spins",
    );
    refused(
        &["gate", "--dry-run", "--samples", "4000000000"],
        &[],
        "--samples",
    );
    refused(
        &dry,
        &[("RON_BENCH_FANOUT", u64::MAX.to_string())],
        "RON_BENCH_FANOUT",
    );
    refused(
        &dry,
        &[("RON_BENCH_CAP", u64::MAX.to_string())],
        "RON_BENCH_CAP",
    );
    let list: String = (1..=2000)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",");
    refused(&dry, &[("RON_BENCH_BURST", list)], "RON_BENCH_BURST");
    let sixty: String = (1..=60)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let big = [
        ("RON_BENCH_BURST", sixty.clone()),
        ("RON_BENCH_CAP", sixty.clone()),
        ("RON_BENCH_FANOUT", "1,2,3,4,5,6,7,8,9,10,11,12".to_string()),
    ];
    refused(&dry, &big, "cells");
    // About 73k cells: allowed, planned quickly (the limit is far above this).
    let started = std::time::Instant::now();
    let mut c = rb(w);
    c.env("RON_BENCH_BURST", &sixty)
        .env("RON_BENCH_CAP", &sixty)
        .env("RON_BENCH_FANOUT", "1,2,3,4")
        .args(dry)
        .assert()
        .success()
        .stdout(predicate::str::contains("dry run"));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "planning 73k cells took {:?}",
        started.elapsed()
    );
}
