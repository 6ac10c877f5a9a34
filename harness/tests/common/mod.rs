//! Shared setup for the CLI integration tests: `ron-bench` in a clean environment, rooted at a
//! temp workspace, on the mock executor (`RON_BENCH_MOCK=1`: synthetic numbers, no builds).
#![allow(dead_code)] // each test binary uses a different subset

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Every variable the harness reads that could leak in from the developer's shell.
pub const CLEARED: [&str; 20] = [
    "RON_BENCH_BURST",
    "RON_BURST",
    "BURST",
    "RON_BENCH_FANOUT",
    "FANOUT",
    "RON_BENCH_CAP",
    "RON_CAP",
    "CAP",
    "RON_BENCH_PUB_YIELD",
    "RON_TLS_FLUSH_THRESHOLD",
    "RON_BENCH_PAYLOAD",
    "RON_BASELINE_DIR",
    "RON_BENCH_MOCK_SLOWDOWN_PCT",
    "RON_BENCH_MOCK_SLOW",
    "CRITERION_HOME",
    "CARGO_TARGET_DIR",
    // Output settings: width and colour come from the flags the tests pass.
    "COLUMNS",
    "NO_COLOR",
    "CLICOLOR_FORCE",
    "CLICOLOR",
];

/// `ron-bench` rooted at `ws` with the mock executor and a clean environment.
pub fn bench(ws: &Path) -> Command {
    Command::from_std(bench_std(ws))
}

/// [`bench`] as a plain `std` command (for closing or redirecting its streams).
pub fn bench_std(ws: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ron-bench"));
    for v in CLEARED {
        c.env_remove(v);
    }
    c.env("RON_BENCH_WORKSPACE", ws)
        .env("RON_BENCH_MOCK", "1")
        .env("CI", "true")
        .current_dir(ws);
    c
}

/// A small mock run: steady + burst_fanout, ron-bus and tokio, 6 rounds of tiny samples.
pub const SMALL_RUN: [&str; 11] = [
    "run",
    "--contender",
    "ron-bus,tokio-broadcast",
    "--rounds",
    "6",
    "--samples",
    "2",
    "--window-ms",
    "1",
    "--warmup-ms",
    "0",
];

/// [`SMALL_RUN`] written to `out` (optionally `slowdown` percent slower).
pub fn mock_run(ws: &Path, out: &Path, slowdown: Option<&str>) {
    let mut c = bench(ws);
    if let Some(s) = slowdown {
        c.env("RON_BENCH_MOCK_SLOWDOWN_PCT", s);
    }
    c.args(SMALL_RUN).arg("--out").arg(out).assert().success();
}

/// `ron-bench run` of `steady` on ron-bus with one subscriber: `rounds` rounds of tiny
/// samples (add `.env(..)` or more args, then assert).
pub fn steady_run(ws: &Path, rounds: &str) -> Command {
    let mut c = bench(ws);
    c.args([
        "run",
        "--scenario",
        "steady",
        "--contender",
        "ron-bus",
        "--fanout",
        "1",
    ])
    .args([
        "--rounds",
        rounds,
        "--samples",
        "2",
        "--window-ms",
        "1",
        "--warmup-ms",
        "0",
    ]);
    c
}

/// The repository root (the harness crate's parent).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness/ has a parent")
        .to_path_buf()
}

/// Runs git in `ws` (a throwaway identity); panics with its stderr on failure; trimmed stdout.
pub fn git(ws: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(ws)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A workspace that is a git repo: commit 1 without the harness, commits 2 and 3 with it.
pub fn repo_ws() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let p = ws.path();
    std::fs::write(p.join("Cargo.toml"), "[workspace]\n").unwrap();
    std::fs::write(p.join(".gitignore"), "/reports/\n/baselines/\n/target/\n").unwrap();
    git(p, &["init", "-q"]);
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "before the harness"]);
    std::fs::create_dir_all(p.join("harness/runner")).unwrap();
    std::fs::write(p.join("harness/runner/Cargo.toml"), "[package]\n").unwrap();
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "harness"]);
    std::fs::write(p.join("harness/runner/Cargo.toml"), "[package]\n# change\n").unwrap();
    git(p, &["commit", "-q", "-am", "change"]);
    ws
}
