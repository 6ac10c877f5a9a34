//! criterion import and critcmp export against fixture directories.

use std::path::PathBuf;
use std::process::Command;

use ron_bench_report::interop::critcmp::{write_critcmp, CritcmpExport};
use ron_bench_report::interop::{
    criterion_root, import_criterion, list_criterion_baselines, InteropError, Throughput,
};

fn target() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion-target")
}

fn root() -> PathBuf {
    target().join("criterion")
}

#[test]
fn root_precedence() {
    assert_eq!(criterion_root(Some("/c"), Some("/t")), PathBuf::from("/c"));
    assert_eq!(
        criterion_root(None, Some("/t")),
        PathBuf::from("/t/criterion")
    );
    assert_eq!(
        criterion_root(Some(""), None),
        PathBuf::from("target/criterion")
    );
}

#[test]
fn imports_every_throughput_variant_and_samples() {
    assert_eq!(
        list_criterion_baselines(&root()).unwrap(),
        vec!["base", "new"]
    );
    let new = import_criterion(&root(), "new").unwrap();
    let ids: Vec<&str> = new.benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "bus_publish/bursty_classic/256",
            "bus_publish/steady/fanout_4",
            "encode"
        ]
    );
    let burst = &new.benchmarks[0];
    assert_eq!(
        burst.throughput,
        Some(Throughput::ElementsAndBytes {
            elements: 256,
            bytes: 4096
        })
    );
    assert_eq!(burst.sampling_mode, "Flat");
    assert!(burst.estimates.slope.is_none());
    assert_eq!(burst.ns_per_iter[0], 24760.0);
    let steady = &new.benchmarks[1];
    assert_eq!(steady.throughput, Some(Throughput::Elements(1)));
    assert_eq!(steady.ns_per_iter.len(), 10);
    assert!((steady.ns_per_iter[1] - 61.1).abs() < 1e-9, "times / iters");
    assert_eq!(new.benchmarks[2].function_id, None);
    let series = new.to_series();
    assert_eq!(series.len(), 3);
    assert_eq!(series[1].metric.name, "ns_per_iter");
    assert!(!series[1].interleaved);

    match import_criterion(&root(), "core-2025-10-19") {
        Err(e @ InteropError::NotFound { .. }) => {
            assert!(e.to_string().contains("found: base, new"), "{e}")
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn bad_json_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("g/new");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(b.join("benchmark.json"), "{\n  \"group_id\": 3\n}").unwrap();
    std::fs::write(b.join("estimates.json"), "{}").unwrap();
    let e = import_criterion(dir.path(), "new").unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("benchmark.json:2:"), "{msg}");
}

#[test]
fn critcmp_export_round_trips_and_critcmp_reads_it() {
    let base = import_criterion(&root(), "base").unwrap();
    let new = import_criterion(&root(), "new").unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (b, name) in [(&base, "before"), (&new, "after")] {
        let mut out = Vec::new();
        write_critcmp(b, name, &mut out).unwrap();
        let parsed: CritcmpExport = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed, b.to_critcmp(name));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let steady = &v["benchmarks"]["bus_publish/steady/fanout_4"];
        assert_eq!(
            steady["fullname"],
            format!("{name}/bus_publish/steady/fanout_4")
        );
        assert_eq!(
            steady["criterion_benchmark_v1"]["throughput"]["Elements"],
            1
        );
        assert!(steady["criterion_benchmark_v1"]["throughput"]["Bytes"].is_null());
        std::fs::write(dir.path().join(format!("{name}.json")), &out).unwrap();
    }
    let Ok(out) = Command::new("critcmp")
        .arg("--target-dir")
        .arg(dir.path())
        .arg(dir.path().join("before.json"))
        .arg(dir.path().join("after.json"))
        .output()
    else {
        println!("note: critcmp is not on PATH; skipped running it on the export");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("before") && stdout.contains("after"),
        "{stdout}"
    );
    assert!(stdout.contains("bus_publish/steady/fanout_4"), "{stdout}");
    // critcmp also reads the fixture directory directly, like a real target/criterion.
    let out = Command::new("critcmp")
        .arg("--target-dir")
        .arg(target())
        .arg("--export")
        .arg("new")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: CritcmpExport = serde_json::from_slice(&out.stdout).unwrap();
    let ours = new.to_critcmp("new");
    for (id, b) in &theirs.benchmarks {
        if let Some(mine) = ours.benchmarks.get(id) {
            // Compare numerically: whether the last bit of a parsed float matches depends on
            // serde_json's `float_roundtrip` feature, which another workspace crate enables.
            let (a, c) = (
                serde_json::to_value(&mine.criterion_estimates_v1).unwrap(),
                serde_json::to_value(&b.criterion_estimates_v1).unwrap(),
            );
            assert!(json_approx_eq(&a, &c), "{id}: {a} vs {c}");
            assert_eq!(mine.fullname, b.fullname);
        }
    }
    assert!(
        ours.benchmarks.contains_key("bus_publish/steady/fanout_4")
            && theirs
                .benchmarks
                .contains_key("bus_publish/steady/fanout_4")
    );
}

/// Structural JSON equality with numbers equal to a relative 1e-12.
fn json_approx_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_approx_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_approx_eq(v, w)))
        }
        _ => a == b,
    }
}
