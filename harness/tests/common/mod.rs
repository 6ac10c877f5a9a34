//! Shared setup for the CLI integration tests: `ron-bench` in a clean environment, rooted at a
//! temp workspace, on the mock executor (`RON_BENCH_MOCK=1`: synthetic numbers, no builds).
#![allow(dead_code)] // each test binary uses a different subset

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Every variable the harness reads that could leak in from the developer's shell.
pub const CLEARED: [&str; 15] = [
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
    "RON_BASELINE_DIR",
    "RON_BENCH_MOCK_SLOWDOWN_PCT",
    "RON_BENCH_MOCK_SLOW",
    "CRITERION_HOME",
    "CARGO_TARGET_DIR",
];

/// `ron-bench` rooted at `ws` with the mock executor and a clean environment.
pub fn bench(ws: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ron-bench"));
    for v in CLEARED {
        c.env_remove(v);
    }
    c.env("RON_BENCH_WORKSPACE", ws)
        .env("RON_BENCH_MOCK", "1")
        .env("CI", "true")
        .current_dir(ws);
    c
}

/// The repository root (the harness crate's parent).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness/ has a parent")
        .to_path_buf()
}
