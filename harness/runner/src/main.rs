//! ron-bench-runner: one process run of one benchmark cell (see the crate docs of
//! `ron_bench_runner` for the measurement protocol). Spawned by `ron-bench`; not meant to be
//! run by hand, though it is harmless to:
//!
//! `ron-bench-runner --request '{"scenario":"burst_fanout","contender":"ron-bus","params":
//!  {"burst":256,"fanout":4,"cap":2048,"pub_yield":false,"tls_thresh":64,"rate_per_sec":null},
//!  "warmup_ms":100,"window_ms":50,"samples":5}'`
#![forbid(unsafe_code)]

use ron_bench_runner::measure::{calibrate, take_samples};
use ron_bench_runner::protocol::{compiled_features, Counters, PROTOCOL};
use ron_bench_runner::workload::{CellWorkload, Workload};
use ron_bench_runner::{procfs, Done, Hello, Line, Request};
use std::io::Write;
use std::time::{Duration, Instant};

fn main() {
    let req = match Request::parse(std::env::args().skip(1)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ron-bench-runner: {e}");
            std::process::exit(2);
        }
    };
    // The threshold travels in the request; fix it before any counter reads it.
    ron_metrics::tls::init_threshold(req.params.tls_thresh);
    let mut workload = match CellWorkload::new(req.clone()) {
        Ok(w) => w,
        Err(reason) => {
            emit(&Line::Skip { reason: reason.0 });
            return;
        }
    };
    let units = match req.units {
        // Fixed size (instruction counts): one warm-up call outside the measured symbol.
        Some(units) => {
            let _ = workload.run(units);
            units
        }
        None => calibrate(
            &mut workload,
            Duration::from_millis(req.warmup_ms),
            req.window_ms * 1_000_000,
        ),
    };
    emit(&Line::Hello(Hello {
        protocol: PROTOCOL.to_string(),
        features: compiled_features(),
        units_per_sample: units,
    }));

    let before = counters_now();
    let cpu_before = procfs::cpu_time_ns().unwrap_or(0);
    let start = Instant::now();
    let on_cpu = !req.scenario.uses_threads() && req.units.is_none();
    take_samples(&mut workload, units, req.samples, on_cpu, |s| {
        emit(&Line::Sample(s))
    });
    let wall_ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let cpu_ns = procfs::cpu_time_ns()
        .unwrap_or(0)
        .saturating_sub(cpu_before);
    let after = counters_now();

    emit(&Line::Done(Done {
        wall_ns,
        cpu_ns,
        peak_rss_bytes: procfs::peak_rss_bytes().unwrap_or(0),
        counters: Counters::from(after.delta_since(&before)),
    }));
}

/// The bus counters now, every thread's buffer flushed first so deltas are exact (all
/// counters with `metrics_buf`; the suppressed-wake count in every build).
fn counters_now() -> ron_metrics::BusSnapshot {
    ron_metrics::tls::flush_all();
    ron_metrics::bus().snapshot()
}

fn emit(line: &Line) {
    let mut out = std::io::stdout().lock();
    // A closed stdout means the parent is gone; nothing useful is left to do.
    if writeln!(out, "{}", line.to_json())
        .and_then(|_| out.flush())
        .is_err()
    {
        std::process::exit(2);
    }
}
