//! Hot-path and exposition costs of ron-metrics.
//!
//! ```text
//! cargo bench -p ron-metrics --bench metrics                        # hot path + first-party encode
//! RON_METRICS_LOAD=large cargo bench -p ron-metrics --bench metrics # + 10k-series encode
//! ```
//!
//! Seed target: an increment or observe <= 200 ns with no allocation (allocation-freedom is
//! asserted by `tests/zero_alloc.rs`); buffered increments a few ns; `/metrics` encode well
//! under the 5 ms (first-party) and 60 ms (10k series) endpoint p95 targets.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use prometheus::{IntCounterVec, Opts, Registry};
use ron_metrics::tls::{self, BusCounter};
use ron_metrics::{bus, encode_text, golden, BaseLabels, Metrics};
use std::hint::black_box;

/// Series in the synthetic large registry.
const LARGE_SERIES: usize = 10_000;

fn hot_path(c: &mut Criterion) {
    let mut g = c.benchmark_group("hot_path");
    g.throughput(Throughput::Elements(1));
    let counter = bus().published.clone();
    g.bench_function("counter_inc", |b| b.iter(|| counter.inc()));
    g.bench_function("counter_inc_by", |b| {
        b.iter(|| bus().receiver_lag.inc_by(black_box(3)))
    });
    let hist = golden()
        .request_latency_seconds
        .with_label_values(&["/metrics", "GET"]);
    g.bench_function("histogram_observe", |b| {
        b.iter(|| hist.observe(black_box(0.0042)))
    });
    let rejected = golden()
        .rejected(ron_metrics::RejectReason::NotFound)
        .clone();
    g.bench_function("counter_vec_child_inc", |b| b.iter(|| rejected.inc()));
    g.bench_function("counter_vec_lookup_inc", |b| {
        b.iter(|| {
            golden()
                .rejected_total
                .with_label_values(&[black_box("not_found")])
                .inc()
        })
    });
    g.bench_function(
        BenchmarkId::new(
            "tls_add_buffered",
            format!("threshold={}", tls::threshold()),
        ),
        |b| b.iter(|| tls::add(BusCounter::Published, black_box(1))),
    );
    g.finish();
}

fn large_registry() -> Registry {
    let r = Registry::new();
    let vec = IntCounterVec::new(
        Opts::new("synthetic_load_total", "Synthetic series"),
        &["shard", "series"],
    )
    .unwrap();
    r.register(Box::new(vec.clone())).unwrap();
    for i in 0..LARGE_SERIES {
        let (shard, series) = (format!("{}", i % 100), format!("s{i:05}"));
        vec.with_label_values(&[shard.as_str(), series.as_str()])
            .inc_by(i as u64);
    }
    r
}

fn exposition(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    let metrics = Metrics::new(BaseLabels::new("bench", "bench-1", "v0"));
    let first_party_len = metrics.render().unwrap().len();
    g.throughput(Throughput::Bytes(first_party_len as u64));
    g.bench_function("first_party", |b| {
        b.iter(|| black_box(metrics.render().unwrap()))
    });
    if std::env::var("RON_METRICS_LOAD").is_ok_and(|v| v == "large") {
        let r = large_registry();
        let labels = BaseLabels::new("bench", "bench-1", "v0");
        let mut out = String::new();
        encode_text(&r, &labels, false, &mut out).unwrap();
        g.throughput(Throughput::Bytes(out.len() as u64));
        g.sample_size(20);
        g.bench_function("large_10k_series", |b| {
            b.iter(|| {
                out.clear();
                encode_text(&r, &labels, false, &mut out).unwrap();
                black_box(out.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, hot_path, exposition);
criterion_main!(benches);
