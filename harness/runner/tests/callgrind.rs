//! The code-path instruction counts of the default gate, on the real runner under callgrind:
//! the receive-path scenarios count only inside `timed_drain` (their toggle symbol), counts
//! are deterministic across processes, and a bigger drain counts more.
//!
//! Needs valgrind: without it the test says "skipped" locally; with `RON_CI_REQUIRE_TOOLS=1`
//! (set by `.ci/run`, which installs valgrind) a missing valgrind fails it.
#![forbid(unsafe_code)]

use ron_bench_runner::{Request, Scenario};
use ron_comparables::knobs::CellParams;
use ron_comparables::ContenderId;
use std::process::Command;

fn valgrind() -> bool {
    let ok = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let required = std::env::var("RON_CI_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "valgrind is required (RON_CI_REQUIRE_TOOLS=1) but not on PATH"
        );
        eprintln!("valgrind not on PATH: skipped (apt-get install valgrind)");
    }
    ok
}

/// Instructions callgrind counts inside `scenario`'s measured symbol for `units` units.
fn count(scenario: Scenario, burst: u64, cap: u64, fanout: u64, units: u64) -> u64 {
    let dir = tempfile_dir();
    let out = dir.join(format!("cg-{scenario}-{burst}-{units}.out"));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--quiet")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(format!("--toggle-collect={}", scenario.measured_symbol()))
        .arg(env!("CARGO_BIN_EXE_ron-bench-runner"))
        .args(
            Request {
                scenario,
                contender: ContenderId::RonBus,
                params: CellParams {
                    burst: Some(burst),
                    fanout,
                    cap,
                    rate_per_sec: Some(1000),
                    ..CellParams::default()
                },
                warmup_ms: 0,
                window_ms: 1,
                samples: 2,
                units: Some(units),
            }
            .to_args(),
        )
        .stdout(std::process::Stdio::null())
        .status()
        .expect("valgrind runs");
    assert!(status.success(), "callgrind run of {scenario} failed");
    let text = std::fs::read_to_string(&out).expect("callgrind output");
    let _ = std::fs::remove_file(&out);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a totals line")
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ron-bench-callgrind-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn receive_path_counts_are_deterministic_and_scale_with_the_drain() {
    if !valgrind() {
        return;
    }
    let a = count(Scenario::Delivery, 64, 64, 2, 4);
    let b = count(Scenario::Delivery, 64, 64, 2, 4);
    assert!(
        a > 0,
        "nothing counted inside {}",
        Scenario::Delivery.measured_symbol()
    );
    assert_eq!(a, b, "two processes, same binary and input: the same count");
    let bigger = count(Scenario::Delivery, 64, 64, 2, 8);
    assert!(
        bigger > a * 3 / 2,
        "twice the drains must count more: {a} -> {bigger}"
    );
    let lag = count(Scenario::LagRecover, 64, 64, 1, 4);
    assert!(lag > 0);
}
