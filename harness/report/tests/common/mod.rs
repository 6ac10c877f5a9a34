//! Shared synthetic data for the integration tests (deterministic, seeded).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ron_bench_report::analysis::{AnalysisConfig, CompareConfig, MetricKind, Series};
use ron_bench_report::policy::Vocabulary;

/// Lognormal values with median `median` and sigma `cv` (~CV for small cv).
pub fn lognormal(rng: &mut ChaCha8Rng, median: f64, cv: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let u1: f64 = rng.random::<f64>().max(1e-12);
            let u2: f64 = rng.random();
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            median * (cv * z).exp()
        })
        .collect()
}

pub fn series(
    scenario: &str,
    contender: &str,
    features: &[&str],
    params: &[(&str, String)],
    metric: MetricKind,
    values: Vec<f64>,
) -> Series {
    Series {
        run: "run-2025-11-21".into(),
        scenario: scenario.into(),
        contender: contender.into(),
        features: features
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        metric: metric.metric(),
        values,
        interleaved: true,
    }
}

pub fn fast_config() -> AnalysisConfig {
    AnalysisConfig {
        compare: CompareConfig {
            resamples: 2000,
            ..CompareConfig::default()
        },
        seed: 42,
        ..AnalysisConfig::default()
    }
}

/// A realistic same-run matrix: edge-notify A/B at fanout 4 and 8, a claim sweep over
/// contenders, bursts and fanouts, and a latency A/B with a p95 regression.
pub fn sample_run() -> Vec<Series> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let d = MetricKind::DeliveriesPerSec;
    let rounds = 8;
    let mut out = Vec::new();
    // A1/A5: edge scenario, cap 64. +18% at fanout 4, +25% at fanout 8.
    for (fanout, gain) in [(4u32, 1.18), (8, 1.25)] {
        let p = [
            ("burst", "256".to_string()),
            ("fanout", fanout.to_string()),
            ("cap", "64".to_string()),
        ];
        let base = 8.0e6 * fanout as f64 / 4.0;
        out.push(series(
            "edge",
            "ron-bus",
            &[],
            &p,
            d,
            lognormal(&mut rng, base, 0.02, rounds),
        ));
        out.push(series(
            "edge",
            "ron-bus",
            &["bus_edge_notify"],
            &p,
            d,
            lognormal(&mut rng, base * gain, 0.02, rounds),
        ));
    }
    // Claim + scaling + heatmap: burst_fanout, contenders x fanout x burst, cap 2048.
    let contenders = [
        ("ron-bus", 30.0e6),
        ("tokio-broadcast", 4.0e6),
        ("crossbeam", 14.0e6),
        ("flume", 2.0e6),
        ("bus-crate", 20.0e6),
    ];
    for burst in [64u32, 256, 1024] {
        for fanout in [1u32, 4, 8, 16] {
            for (c, base) in contenders {
                let scale = match c {
                    "ron-bus" => (fanout as f64).powf(0.8),
                    "bus-crate" => (fanout as f64).powf(0.6),
                    "flume" => 1.0 / (fanout as f64).sqrt(),
                    _ => 1.0,
                } * (1.0 + (burst as f64).ln() / 50.0);
                let p = [
                    ("burst", burst.to_string()),
                    ("fanout", fanout.to_string()),
                    ("cap", "2048".to_string()),
                ];
                out.push(series(
                    "burst_fanout",
                    c,
                    &[],
                    &p,
                    d,
                    lognormal(&mut rng, base * scale, 0.03, rounds),
                ));
            }
        }
    }
    // B4: latency scenario, coalescing: throughput +6%, p95 +25% (regression beyond 10%).
    let p = [("fanout", "4".to_string()), ("cap", "128".to_string())];
    out.push(series(
        "latency",
        "ron-bus",
        &[],
        &p,
        d,
        lognormal(&mut rng, 9.0e6, 0.01, rounds),
    ));
    out.push(series(
        "latency",
        "ron-bus",
        &["bus_coalesce"],
        &p,
        d,
        lognormal(&mut rng, 9.54e6, 0.01, rounds),
    ));
    let p95 = MetricKind::P95Ns;
    out.push(series(
        "latency",
        "ron-bus",
        &[],
        &p,
        p95,
        lognormal(&mut rng, 2400.0, 0.02, rounds),
    ));
    out.push(series(
        "latency",
        "ron-bus",
        &["bus_coalesce"],
        &p,
        p95,
        lognormal(&mut rng, 3000.0, 0.02, rounds),
    ));
    out
}

/// The names the policy tests use, as ron-bench hands them in.
pub fn vocab() -> Vocabulary {
    let v = |names: &[&str]| names.iter().map(|s| s.to_string()).collect();
    Vocabulary {
        scenarios: v(&[
            "steady",
            "burst_fanout",
            "lagged",
            "batched",
            "edge",
            "latency",
            "mixed_topic",
            "steady_batch",
            "metrics_hot",
            "delivery",
            "lag_recover",
        ]),
        contenders: v(&[
            "ron-bus",
            "tokio-broadcast",
            "flume",
            "crossbeam",
            "bus-crate",
            "throttled",
        ]),
        features: v(&[
            "bus_edge_notify",
            "bus_batch",
            "bus_autotune_cap",
            "metrics_buf",
            "bus_soa",
            "bus_interest",
            "bus_coalesce",
            "local_dispatch",
        ]),
        params: v(&[
            "burst",
            "fanout",
            "cap",
            "payload",
            "pub_yield",
            "rate",
            "tls_thresh",
        ]),
    }
}
