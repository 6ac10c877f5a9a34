//! A mock executor with a controllable cost: synthetic, deterministic process runs.
//!
//! Used by the tests (interleaving order, aggregation, file round trips) and by the CLI when
//! `RON_BENCH_MOCK=1` is set (the CLI tests, so they need no runner build). Run files it
//! produces say `"executor": "mock"`. Its numbers follow a simple cost model: each contender
//! has a per-message cost (`throttled` adds 0.05 ns per throttle spin), each feature of the
//! build costs 5% except `bus_batch` on the `batched` scenario (4x faster, like the real
//! `publish_many`), rounds alternate +-1%, and lossy contenders lose 10% in the `lagged`
//! scenario. Builds without features (e.g. A/A twins) are identical. [`MockExecutor::slowdown`]
//! injects an extra slowdown (`RON_BENCH_MOCK_SLOWDOWN_PCT`, optionally limited to one build
//! label or contender by `RON_BENCH_MOCK_SLOW`). With fixed units (`--measure instructions`)
//! it also reports an instruction count: 10 per ns of cost, without the round jitter.

use super::{ExecError, Executor, Job, JobOutcome, RunOutput};
use crate::{ContenderId, Scenario};
use ron_bench_runner::protocol::{Counters, PROTOCOL};
use ron_bench_runner::{Done, Hello, SampleLine};
use ron_comparables::workloads::LatencyNs;
use std::time::Duration;

/// Synthetic executor; records what it ran.
#[derive(Debug, Clone, Default)]
pub struct MockExecutor {
    /// Real time to sleep per process run (to exercise Ctrl-C and progress).
    pub sleep: Duration,
    /// `(round, cell id, build label)` of every process run, in order.
    pub log: Vec<(u32, String, String)>,
    /// Make this cell id fail (to exercise error paths).
    pub fail_cell: Option<String>,
    /// Injected slowdown in percent, and the build label or contender it is limited to.
    pub slowdown: Option<(f64, Option<String>)>,
}

impl MockExecutor {
    /// ns per delivered message of a contender (the controllable cost).
    pub fn cost_ns(contender: ContenderId) -> f64 {
        match contender {
            ContenderId::RonBus => 20.0,
            ContenderId::TokioBroadcast => 40.0,
            ContenderId::Flume => 60.0,
            ContenderId::Crossbeam => 50.0,
            ContenderId::BusCrate => 80.0,
            ContenderId::Throttled => 20.0,
        }
    }
}

impl Executor for MockExecutor {
    fn execute(&mut self, job: &Job<'_>) -> Result<JobOutcome, ExecError> {
        self.log
            .push((job.round, job.cell.id.clone(), job.build.label.clone()));
        if self.fail_cell.as_deref() == Some(&job.cell.id) {
            return Err(ExecError::Failed {
                cell: job.cell.id.clone(),
                build: job.build.label.clone(),
                round: job.round,
                status: "exit status: 2".into(),
                stderr: "mock failure".into(),
            });
        }
        if !self.sleep.is_zero() {
            std::thread::sleep(self.sleep);
        }
        let injected = match &self.slowdown {
            Some((pct, None)) => 1.0 + pct / 100.0,
            Some((pct, Some(only)))
                if *only == job.build.label || *only == job.cell.contender.name() =>
            {
                1.0 + pct / 100.0
            }
            _ => 1.0,
        };
        Ok(JobOutcome::Ran(synthesize(job, injected)))
    }
}

/// What one compiled-in calibration spin costs the mock, in ns (calibrate sizes its doses with
/// this under the mock, so a nominal slowdown is the mock's slowdown).
pub const NS_PER_SPIN: f64 = 1.0;

/// Spins a calibration build's compiled-in slowdown adds to `scenario` (the paths it reaches).
fn injected_spins(job: &Job<'_>) -> u64 {
    let scenario = job.request.scenario;
    job.build.inject.map_or(0, |i| match i.path {
        crate::spec::InjectPath::Publish
            if matches!(
                scenario,
                Scenario::Steady | Scenario::BurstFanout | Scenario::Latency
            ) =>
        {
            i.spins
        }
        crate::spec::InjectPath::Deliver
            if matches!(
                scenario,
                Scenario::Delivery
                    | Scenario::LagRecover
                    | Scenario::BurstFanout
                    | Scenario::Latency
            ) =>
        {
            i.spins
        }
        _ => 0,
    })
}

/// Synthetic latency percentiles of a message costing `cost` ns.
fn latency_of(cost: f64, count: u64) -> LatencyNs {
    let at = |k: u64| cost as u64 * k;
    LatencyNs {
        p50: at(10),
        p90: at(20),
        p95: at(30),
        p99: at(50),
        p999: at(100),
        max: at(200),
        count,
    }
}

fn synthesize(job: &Job<'_>, injected: f64) -> RunOutput {
    let r = &job.request;
    let jitter = if job.round % 2 == 0 { 1.01 } else { 0.99 };
    let mut slow = 1.0 + 0.05 * job.build.features.len() as f64;
    if r.scenario == Scenario::Batched && job.build.has("bus_batch") {
        slow /= 4.0;
    }
    // Calibration builds: a compiled-in slowdown of the paths it reaches (0.05 ns a spin).
    let injected_spins = injected_spins(job);
    let every = job.build.inject.map_or(1, |i| i.every.max(1));
    let spins =
        r.params.throttle_spins as f64 * 0.05 + injected_spins as f64 / every as f64 * NS_PER_SPIN;
    let cost = (MockExecutor::cost_ns(r.contender) + spins) * slow * jitter * injected;
    let per_unit = match r.scenario {
        Scenario::Steady | Scenario::Latency | Scenario::MetricsHot => 1,
        _ => r.params.burst.unwrap_or(1),
    };
    let subs = r.params.fanout;
    let window_ns = r.window_ms * 1_000_000;
    let units = r
        .units
        .unwrap_or((window_ns as f64 / (cost * per_unit as f64)).max(1.0) as u64);
    let published = units * per_unit;
    let lossy = r.contender.lossy() && r.scenario == Scenario::Lagged;
    let lagged_per_sub = if lossy { published / 10 } else { 0 };
    let elapsed_ns = (published as f64 * cost) as u64;
    let samples = (0..r.samples)
        .map(|index| SampleLine {
            index,
            elapsed_ns,
            published,
            delivered: (published - lagged_per_sub) * subs,
            lagged: lagged_per_sub * subs,
            subscribers: subs,
            accounting_ok: true,
            on_cpu_ppm: None,
            latency: (r.scenario == Scenario::Latency).then(|| latency_of(cost, published * subs)),
        })
        .collect();
    let is_bus = matches!(r.contender, ContenderId::RonBus | ContenderId::Throttled);
    // Instruction counts are deterministic: 10 per ns of cost, no round jitter.
    let instructions = r.units.map(|_| {
        let per_msg = (cost / jitter * 10.0).round() as u64;
        per_msg * published * u64::from(r.samples)
    });
    RunOutput {
        instructions,
        hello: Hello {
            protocol: PROTOCOL.into(),
            features: job.build.features.clone(),
            units_per_sample: units,
        },
        samples,
        done: Done {
            wall_ns: elapsed_ns * u64::from(r.samples),
            cpu_ns: elapsed_ns * u64::from(r.samples) * (subs + 1).min(2),
            peak_rss_bytes: 4 << 20,
            counters: Counters {
                published: if is_bus {
                    published * u64::from(r.samples)
                } else {
                    0
                },
                ..Counters::default()
            },
        },
    }
}
