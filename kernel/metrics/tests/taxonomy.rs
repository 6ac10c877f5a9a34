//! Metric taxonomy, checked on what the real endpoint serves: family names and suffixes,
//! base labels on every series, PQ/ZK presence, amnesia truthfulness, and promtool.

mod common;

use common::{request, start};
use ron_metrics::{ExposerConfig, HealthState};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

/// Names the seeds established without a unit suffix (gauges and a message-count histogram).
const ESTABLISHED_NAMES: [&str; 4] = [
    "amnesia_mode",
    "bus_cap_selected",
    "bus_metrics_tls_threshold",
    "bus_batch_len",
];

/// `# TYPE` lines: family name -> type.
fn families(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .map(|(n, t)| (n.to_owned(), t.to_owned()))
        .collect()
}

fn samples(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

async fn scrape() -> (
    String,
    tokio::task::JoinHandle<()>,
    Arc<ron_metrics::Metrics>,
) {
    let (metrics, task, addr) = start(ExposerConfig::default(), Arc::new(HealthState::new())).await;
    // Exercise a route so request_latency_seconds has a non-zero series too.
    assert_eq!(request(addr, "GET", "/healthz").await.status, 200);
    let r = request(addr, "GET", "/metrics").await;
    assert_eq!(r.status, 200);
    (r.body, task, metrics)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suffixes_base_labels_and_required_families() {
    let (text, task, _m) = scrape().await;
    let fams = families(&text);

    for (name, kind) in &fams {
        let unit_ok = name.ends_with("_total")
            || name.ends_with("_seconds")
            || name.ends_with("_bytes")
            || ESTABLISHED_NAMES.contains(&name.as_str());
        assert!(unit_ok, "suffix violation: {name} ({kind})");
        if kind == "counter" {
            assert!(name.ends_with("_total"), "counter without _total: {name}");
        }
    }

    for line in samples(&text) {
        for label in [
            "service=\"svc-test\"",
            "instance=\"test-1\"",
            "build_version=\"v9.9.9\"",
            "amnesia=\"",
        ] {
            assert!(line.contains(label), "{label} missing on: {line}");
        }
    }

    for want in ron_metrics::CONTRACT_FAMILIES {
        assert!(fams.contains_key(want), "{want} missing from /metrics");
    }

    // PQ/ZK families are present and zero.
    for line in samples(&text).filter(|l| l.starts_with("pq_") || l.starts_with("zk_")) {
        assert!(line.ends_with(" 0"), "non-zero PQ/ZK series: {line}");
    }
    // service_restarts_total keeps its own service label (the restarted service).
    assert!(
        text.contains("service_restarts_total{instance=\"test-1\""),
        "{text}"
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amnesia_label_and_gauge_follow_the_runtime_mode() {
    let (_text, task, metrics) = scrape().await;
    metrics.set_amnesia(true);
    let on = metrics.render().unwrap();
    assert!(on.contains("\namnesia_mode{service=\"svc-test\",instance=\"test-1\",build_version=\"v9.9.9\",amnesia=\"on\"} 1\n"), "{on}");
    assert!(samples(&on).all(|l| l.contains("amnesia=\"on\"")));
    metrics.set_amnesia(false);
    let off = metrics.render().unwrap();
    assert!(samples(&off).all(|l| l.contains("amnesia=\"off\"")));
    assert!(off.contains("amnesia=\"off\"} 0\n"));
    task.abort();
}

/// `promtool check metrics` on the scraped page, when promtool is installed (CI installs
/// Debian's `prometheus` package; `RON_CI_REQUIRE_TOOLS=1` makes a missing promtool a
/// failure). The page must pass with exit 0 and no output at all: no parse error, no lint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_accepts_the_exposition() {
    let (text, task, _m) = scrape().await;
    task.abort();
    // The histogram itself must be on the page for the check to mean anything.
    assert!(
        text.contains("\n# TYPE bus_batch_len histogram\n"),
        "{text}"
    );
    assert!(text.contains("\nbus_batch_len_count{"), "{text}");
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var("RON_CI_REQUIRE_TOOLS").map_or(true, |v| v != "1"),
                "promtool is required (RON_CI_REQUIRE_TOOLS=1) but not on PATH"
            );
            eprintln!("promtool not on PATH: skipped (apt-get install prometheus)");
            return;
        }
        Err(e) => panic!("cannot run promtool: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Exit 1: parse error; 3: lint findings. Either way the report says which.
    assert_eq!(out.status.code(), Some(0), "promtool findings:\n{report}");
    assert!(report.trim().is_empty(), "promtool findings:\n{report}");
}
