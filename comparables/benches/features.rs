//! Per-flag benches of ron-bus (MOG plan section 6). Feature flags are compile-time, so the
//! side-by-side is two runs of this bench: the default build and the flag build, e.g.
//!
//! ```text
//! cargo bench -p ron-comparables --bench features -- --save-baseline default
//! cargo bench -p ron-comparables --bench features --features bus_batch -- --baseline default
//! ```
//!
//! Ids carry the build's feature label (`ron-bus[bus_batch]`), and each group prints the bus
//! counter deltas of its run (wakes sent/suppressed, batches, lag, interest skips). For
//! statistics you can trust on a noisy machine use `ron-bench run --features "none;bus_batch"`,
//! which interleaves the builds in one run.
//!
//! Every group honours the `RON_BENCH_*` knobs (see `common`): a knob that is set replaces
//! that coordinate of the group's planned cells (`RON_BENCH_CAP=64` runs every group at cap
//! 64), `RON_BENCH_PUB_YIELD` applies to every burst group, and each cell configuration
//! prints its `[bench cfg]` line.
#![forbid(unsafe_code)]

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ron_comparables::adapters::RonBus;
use ron_comparables::features_label;
use ron_comparables::workloads::{
    batched, burst_fanout, edge, latency, mixed_topic, steady, BurstParams,
};
use std::time::Duration;

/// Counters with every thread's buffer flushed (the suppressed-wake count is always buffered).
fn counters() -> ron_metrics::BusSnapshot {
    ron_metrics::tls::flush_all();
    ron_metrics::bus().snapshot()
}

fn print_counters(group: &str, before: &ron_metrics::BusSnapshot) {
    let d = counters().delta_since(before);
    let total = d.notify_sends + d.notify_suppressed;
    let suppression = if total > 0 {
        100.0 * d.notify_suppressed as f64 / total as f64
    } else {
        0.0
    };
    println!(
        "[counters {group} {}] published +{} notify_sends +{} notify_suppressed +{} (suppression {suppression:.1}%) batch_publish +{} lag +{} interest_skips +{} tls_flush +{}",
        features_label(),
        d.published,
        d.notify_sends,
        d.notify_suppressed,
        d.batch_publish,
        d.receiver_lag,
        d.interest_skips,
        d.tls_flush
    );
}

fn quick<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g
}

/// A1/A3/A4/C1: single-thread publish cost, subs {0,1,4,16} x cap {32,64,128,256}
/// (`RON_BENCH_FANOUT` / `RON_BENCH_CAP` replace either list).
fn publish_matrix(c: &mut Criterion) {
    let k = common::read();
    let before = counters();
    let mut g = quick(c, "publish_matrix");
    g.throughput(Throughput::Elements(1));
    for (subs, cap) in k.grid(&[0, 1, 4, 16], &[32, 64, 128, 256]) {
        println!("{}", k.cfg_line(None, subs, cap));
        let id = BenchmarkId::new(
            format!("ron-bus[{}]", features_label()),
            format!("subs={subs}/cap={cap}"),
        );
        let (subs, cap) = (subs as usize, cap as usize);
        g.bench_function(id, |b| {
            b.iter_custom(|iters| {
                Duration::from_nanos(steady::<RonBus>(subs, cap, iters).elapsed_ns)
            })
        });
    }
    g.finish();
    print_counters("publish_matrix", &before);
}

fn fanout_group(
    c: &mut Criterion,
    name: &str,
    plan: &[(u64, u64, u64)],
    run: fn(BurstParams) -> ron_comparables::workloads::Sample,
) {
    let k = common::read();
    let before = counters();
    let mut g = quick(c, name);
    for (burst, fanout, cap) in k.cells(plan) {
        println!("{}", k.cfg_line(Some(burst), fanout, cap));
        g.throughput(Throughput::Elements(burst * fanout));
        let id = BenchmarkId::new(
            format!("ron-bus[{}]", features_label()),
            format!("burst={burst}/fanout={fanout}/cap={cap}"),
        );
        g.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let s = run(BurstParams {
                    burst,
                    fanout: fanout as usize,
                    cap: cap as usize,
                    bursts: iters,
                    pub_yield: k.pub_yield,
                });
                Duration::from_nanos(s.elapsed_ns)
            })
        });
    }
    g.finish();
    print_counters(name, &before);
}

/// A2: publish_many bursts vs looped publish (the loop is what the default build runs).
fn batch(c: &mut Criterion) {
    fanout_group(
        c,
        "publish_many",
        &[(256, 1, 64), (256, 4, 64), (1024, 4, 2048)],
        batched::<RonBus>,
    );
}

/// A1/A5: edge drains with wake counters per run.
fn edge_drain(c: &mut Criterion) {
    fanout_group(
        c,
        "edge_drain",
        &[(256, 4, 64), (256, 8, 64)],
        edge::<RonBus>,
    );
}

/// B1: the SoA matrix (run with and without `bus_soa`).
fn soa_matrix(c: &mut Criterion) {
    fanout_group(
        c,
        "soa_matrix",
        &[(64, 4, 64), (128, 16, 128)],
        burst_fanout::<RonBus>,
    );
}

/// B2: mixed-topic stream with ~30% relevant messages.
fn topics(c: &mut Criterion) {
    fanout_group(c, "mixed_topic", &[(256, 4, 2048)], mixed_topic::<RonBus>);
}

/// B4: a chatty publisher below saturation (fanout 4, cap 1024 unless the knobs say
/// otherwise); prints latency percentiles.
fn chatty_latency(c: &mut Criterion) {
    let _ = c;
    let k = common::read();
    for (fanout, cap) in k.grid(&[4], &[1024]) {
        println!("{}", k.cfg_line(None, fanout, cap));
        latency_cell(fanout as usize, cap as usize);
    }
}

fn latency_cell(fanout: usize, cap: usize) {
    let before = counters();
    let (s, lat) = latency::<RonBus>(fanout, cap, 20_000, 200_000);
    println!(
        "[latency ron-bus[{}] fanout={fanout} cap={cap} rate=200k/s] p50 {} ns p90 {} ns p99 {} ns p999 {} ns max {} ns delivered {:.2}%",
        features_label(),
        lat.p50,
        lat.p90,
        lat.p99,
        lat.p999,
        lat.max,
        100.0 * s.delivered_ratio()
    );
    print_counters("latency", &before);
}

criterion_group!(
    benches,
    publish_matrix,
    batch,
    edge_drain,
    soa_matrix,
    topics,
    chatty_latency
);
criterion_main!(benches);
