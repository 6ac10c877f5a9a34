use super::baseline::{BaselineDir, BaselineError};
use super::*;
use crate::runner::mock::MockExecutor;
use crate::runner::progress::Silent;
use crate::runner::{execute, Plan};
use crate::spec::{Build, Sampling, DEFAULT_LATENCY_RATE};
use std::sync::atomic::AtomicBool;

/// A small, complete run file made by the mock executor.
pub(crate) fn sample_run() -> RunFile {
    let matrix = Matrix {
        scenarios: vec![Scenario::BurstFanout, Scenario::Latency],
        contenders: vec![ContenderId::RonBus, ContenderId::TokioBroadcast],
        bursts: vec![64],
        fanouts: vec![2],
        caps: vec![256],
        pub_yields: vec![false],
        tls_thresholds: vec![64],
        payloads: vec![8],
        latency_rate_per_sec: DEFAULT_LATENCY_RATE,
        builds: vec![Build::new(vec![])],
        sampling: Sampling {
            rounds: 2,
            samples: 2,
            warmup_ms: 0,
            window_ms: 1,
        },
        quick: true,
        throttle_spins: 0,
        measure: crate::spec::Measure::default(),
    };
    let plan = Plan::new(matrix.clone(), 4);
    let got = execute(
        &plan,
        &mut MockExecutor::default(),
        &mut Silent,
        &AtomicBool::new(false),
    )
    .unwrap();
    RunFile {
        schema: RUN_SCHEMA.into(),
        tool_version: "0.1.0".into(),
        created_utc: "2025-01-01T00:00:00Z".into(),
        wall_ms: 1,
        executor: "mock".into(),
        env: Environment {
            git_sha: Some("abc".into()),
            git_dirty: Some(false),
            rustc: Some("rustc 1.95.0".into()),
            target: Some("x86_64-unknown-linux-gnu".into()),
            cargo_lock_sha256: None,
            machine: Machine::default(),
        },
        matrix,
        knobs: Vec::new(),
        builds: vec![BuildRecord {
            build: Build::new(vec![]),
            runner_sha256: None,
        }],
        cells: got.cells,
        skipped: got.skipped,
        warnings: vec!["w".into()],
        shard: None,
        merged_from: Vec::new(),
    }
}

#[test]
fn run_files_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let run = sample_run();
    write_json_atomic(&path, &run).unwrap();
    assert_eq!(load_run(&path).unwrap(), run);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"schema\": \"ron-bench/run/v1\""));
    assert!(
        text.contains("\"id\": \"burst_fanout/ron-bus/burst=64/fanout=2/cap=256/tls_thresh=64\"")
    );
    // No temp files are left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

fn write(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("f.json");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn loading_names_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let full = serde_json::to_string(&sample_run()).unwrap();

    let p = write(dir.path(), &full[..full.len() / 2]);
    let e = load_run(&p).unwrap_err();
    assert!(matches!(e, StoreError::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("f.json"));

    let p = write(
        dir.path(),
        &full.replace("ron-bench/run/v1", "ron-bench/run/v9"),
    );
    let e = load_run(&p).unwrap_err();
    assert!(
        e.to_string().contains("ron-bench/run/v9") && e.to_string().contains("f.json"),
        "{e}"
    );

    let p = write(dir.path(), r#"{"cells": []}"#);
    assert!(matches!(
        load_run(&p).unwrap_err(),
        StoreError::MissingSchema { .. }
    ));

    let p = write(
        dir.path(),
        &full.replacen("\"wall_ms\":1", "\"wall_ms\":\"soon\"", 1),
    );
    let e = load_run(&p).unwrap_err();
    assert!(matches!(e, StoreError::Field { .. }), "{e}");
    assert!(
        e.to_string().contains("invalid type") && e.to_string().contains("f.json"),
        "{e}"
    );

    let p = write(dir.path(), "not json");
    assert!(matches!(
        load_run(&p).unwrap_err(),
        StoreError::NotJson { .. }
    ));
    let e = load_run(&dir.path().join("absent.json")).unwrap_err();
    assert!(e.to_string().contains("absent.json"));
}

#[test]
fn baselines_save_list_show_remove() {
    let dir = tempfile::tempdir().unwrap();
    let bd = BaselineDir::new(dir.path().join("baselines"));
    assert!(bd.list().unwrap().is_empty());
    let path = bd
        .save("main", sample_run(), Some("run.json".into()), false)
        .unwrap();
    assert!(path.ends_with("main.json"));
    let e = bd.save("main", sample_run(), None, false).unwrap_err();
    assert!(matches!(e, BaselineError::Exists { .. }), "{e}");
    assert!(e.to_string().contains("--force"));
    bd.save("main", sample_run(), None, true).unwrap();
    let b = bd.load("main").unwrap();
    assert_eq!(
        (b.schema.as_str(), b.name.as_str()),
        (BASELINE_SCHEMA, "main")
    );
    assert_eq!(b.run, sample_run());
    std::fs::write(bd.dir.join("broken.json"), "{").unwrap();
    let names: Vec<(String, bool)> = bd
        .list()
        .unwrap()
        .into_iter()
        .map(|l| (l.name, l.baseline.is_ok()))
        .collect();
    assert_eq!(
        names,
        [("broken".to_string(), false), ("main".to_string(), true)]
    );
    assert!(matches!(
        bd.load("nope").unwrap_err(),
        BaselineError::NotFound { .. }
    ));
    assert!(matches!(
        bd.path("../evil").unwrap_err(),
        BaselineError::InvalidName { .. }
    ));
    bd.remove("main").unwrap();
    assert!(matches!(
        bd.remove("main").unwrap_err(),
        BaselineError::NotFound { .. }
    ));
}

#[test]
fn a_run_file_is_not_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.json");
    write_json_atomic(&p, &sample_run()).unwrap();
    let e = load_baseline(&p).unwrap_err();
    assert!(e.to_string().contains("ron-bench/baseline/v1"), "{e}");
}

#[test]
fn short_never_splits_a_character() {
    assert_eq!(super::short("0123456789abcdef", 10), "0123456789");
    assert_eq!(super::short("abc", 10), "abc");
    // Byte 10 falls inside the fifth 'é' (each is 2 bytes): byte slicing panicked here.
    let sha = format!("a{}", "é".repeat(10));
    assert_eq!(super::short(&sha, 10), format!("a{}", "é".repeat(9)));
}
