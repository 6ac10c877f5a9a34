//! `run --measure instructions` and `baseline show` print instruction counts per message.
#![forbid(unsafe_code)]

mod common;

use common::bench;
use predicates::prelude::*;

#[test]
fn instruction_runs_print_counts_not_times() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    // The mock counts 10 instructions per ns of its cost model (ron-bus: 20 ns per message).
    let counts = || {
        predicate::str::contains("instr/msg")
            .and(predicate::str::contains(
                "steady/ron-bus/fanout=1/cap=2048/tls_thresh=64  none          200.0    0.00%       2",
            ))
            .and(predicate::str::contains("publishes/s").not())
    };
    bench(w)
        .args(["run", "--measure", "instructions", "--scenario", "steady"])
        .args(["--contender", "ron-bus", "--rounds", "2", "--samples", "2"])
        .args(["--window-ms", "1", "--warmup-ms", "0"])
        // -v: a progress line per process run, each with its count.
        .arg("-v")
        .assert()
        .success()
        .stdout(counts())
        .stderr(predicate::str::contains("200.0 instructions/msg"));
    bench(w).args(["baseline", "save", "i"]).assert().success();
    bench(w)
        .args(["baseline", "show", "i"])
        .assert()
        .success()
        .stdout(counts());
}
