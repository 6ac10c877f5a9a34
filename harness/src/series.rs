//! Run files -> the report crate's input model: one [`Series`] per (cell, build, metric).
//!
//! Pure functions over [`RunFile`]s (no I/O). The mapping, which every command shares:
//!
//! * `run`: a run identity (`<label>@<created_utc>`); series of one run file share it, so the
//!   report crate pairs their rounds (same interleaved run, equal round counts).
//! * `scenario`, `contender`, `features` (the build's features), `params`: `burst` (when the
//!   scenario uses it), `fanout`, `cap`, `tls_thresh`, plus `pub_yield=1` / `rate` when set.
//! * metrics, one value per round (round order):
//!   - `publishes_per_sec`, every scenario;
//!   - `deliveries_per_sec` and `delivered_ratio`, every scenario but `steady` (whose
//!     subscribers are idle by design, so deliveries are always 0);
//!   - `cpu_ns`: CPU time (user + sys) of the sampling phase **per published message**. The
//!     sampling phase lasts a fixed time, so its raw CPU time says nothing about cost; per
//!     message it does (lower is better, unit ns);
//!   - `peak_rss_bytes`;
//!   - `p50_ns`, `p95_ns`, `p99_ns`, `p999_ns` (latency scenario);
//!   - `instructions_per_msg` (`--measure instructions`: callgrind count / messages published).
//!
//! Counters: [`wake_metrics`] and [`counter_sanity`] reduce the ron-bus counter deltas the
//! runner records (notify sends/suppressed, lag, batch publishes and lengths) for the NOTES.

use crate::spec::Param;
use crate::store::{CellRecord, RoundRecord, RunFile};
use crate::ContenderId;
use ron_bench_report::analysis::{MetricKind, Series};
use ron_bench_report::report::{CounterSanity, WakeMetrics};
use std::collections::{BTreeMap, BTreeSet};

/// The run identity used to pair series: `label@created_utc`.
pub fn run_id(label: &str, run: &RunFile) -> String {
    format!("{label}@{}", run.created_utc)
}

/// The params of a cell record, as the report crate sees them.
pub fn params_of(c: &CellRecord) -> BTreeMap<String, String> {
    // The parameters the cell id shows, except the calibration contender's extra spins:
    // `throttled` series pair with plain ron-bus series of the same parameters.
    c.params
        .shown()
        .filter(|(p, _)| *p != Param::ThrottleSpins)
        .map(|(p, v)| (p.name().to_string(), v.to_string()))
        .collect()
}

/// The features of `c`'s build (looked up by label in the run's builds).
pub fn features_of(run: &RunFile, c: &CellRecord) -> BTreeSet<String> {
    run.builds
        .iter()
        .find(|b| b.build.label == c.build)
        .map(|b| b.build.features.iter().cloned().collect())
        .unwrap_or_else(|| {
            // A run file always lists its builds; fall back to parsing the label.
            c.build
                .split('+')
                .filter(|f| *f != "none" && !f.is_empty())
                .map(str::to_string)
                .collect()
        })
}

/// The metrics a cell produces, with the per-round value of each.
pub fn metric_values(c: &CellRecord) -> Vec<(MetricKind, Vec<f64>)> {
    let of = |f: &dyn Fn(&RoundRecord) -> f64| c.rounds.iter().map(f).collect::<Vec<f64>>();
    let mut out = vec![(
        MetricKind::PublishesPerSec,
        of(&|r| r.values.publishes_per_sec),
    )];
    if c.scenario != crate::Scenario::Steady {
        out.push((
            MetricKind::DeliveriesPerSec,
            of(&|r| r.values.deliveries_per_sec),
        ));
        out.push((
            MetricKind::DeliveredRatio,
            of(&|r| r.values.delivered_ratio),
        ));
    }
    out.push((
        MetricKind::CpuNs,
        of(&|r| {
            if r.values.published == 0 {
                f64::NAN
            } else {
                r.cpu_ns as f64 / r.values.published as f64
            }
        }),
    ));
    out.push((MetricKind::PeakRssBytes, of(&|r| r.peak_rss_bytes as f64)));
    if c.rounds
        .iter()
        .any(|r| r.values.instructions_per_msg.is_some())
    {
        out.push((
            MetricKind::InstructionsPerMsg,
            of(&|r| r.values.instructions_per_msg.unwrap_or(f64::NAN)),
        ));
    }
    if c.rounds.iter().any(|r| r.values.latency_ns.is_some()) {
        let lat = |f: fn(&ron_comparables::workloads::LatencyNs) -> u64| {
            of(&move |r: &RoundRecord| {
                r.values
                    .latency_ns
                    .as_ref()
                    .map_or(f64::NAN, |l| f(l) as f64)
            })
        };
        out.push((MetricKind::P50Ns, lat(|l| l.p50)));
        out.push((MetricKind::P95Ns, lat(|l| l.p95)));
        out.push((MetricKind::P99Ns, lat(|l| l.p99)));
        out.push((MetricKind::P999Ns, lat(|l| l.p999)));
    }
    out
}

/// Every series of a run file, labelled `label` (e.g. `run` or `baseline:main`).
pub fn series_of(label: &str, run: &RunFile) -> Vec<Series> {
    let id = run_id(label, run);
    let mut out = Vec::new();
    for c in &run.cells {
        let features = features_of(run, c);
        let params = params_of(c);
        for (metric, values) in metric_values(c) {
            out.push(Series {
                run: id.clone(),
                scenario: c.scenario.to_string(),
                contender: c.contender.to_string(),
                features: features.clone(),
                params: params.clone(),
                metric: metric.metric(),
                values,
                interleaved: true,
            });
        }
    }
    out
}

/// Which cells count as one side of the counter summaries.
#[derive(Debug, Clone)]
pub struct Side<'a> {
    /// The run.
    pub run: &'a RunFile,
    /// Only cells of builds with exactly these features (None: every build).
    pub features: Option<BTreeSet<String>>,
}

impl Side<'_> {
    fn bus_cells(&self) -> impl Iterator<Item = &CellRecord> {
        self.run.cells.iter().filter(move |c| {
            matches!(c.contender, ContenderId::RonBus | ContenderId::Throttled)
                && self
                    .features
                    .as_ref()
                    .is_none_or(|f| &features_of(self.run, c) == f)
        })
    }

    /// Mean over process runs of a counter (None when the side has no ron-bus process run).
    fn mean(&self, f: fn(&ron_bench_runner::protocol::Counters) -> u64) -> Option<f64> {
        let v: Vec<u64> = self
            .bus_cells()
            .flat_map(|c| c.rounds.iter().map(move |r| f(&r.counters)))
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<u64>() as f64 / v.len() as f64)
    }

    fn total(&self, f: fn(&ron_bench_runner::protocol::Counters) -> u64) -> Option<u64> {
        let mut any = false;
        let mut sum = 0u64;
        for c in self.bus_cells() {
            for r in &c.rounds {
                any = true;
                sum = sum.saturating_add(f(&r.counters));
            }
        }
        any.then_some(sum)
    }
}

/// Notify sends/suppressed, new minus base, as means per process run of the ron-bus cells.
pub fn wake_metrics(base: &Side<'_>, new: &Side<'_>) -> Option<WakeMetrics> {
    let d = |f: fn(&ron_bench_runner::protocol::Counters) -> u64| -> Option<i64> {
        Some((new.mean(f)? - base.mean(f)?).round() as i64)
    };
    Some(WakeMetrics {
        notify_sends_delta: d(|c| c.notify_sends)?,
        notify_suppressed_delta: d(|c| c.notify_suppressed)?,
    })
}

/// Lag totals per side, the batch-publish delta (new minus base, means per process run) and
/// batch lengths. The runner records the batch-length histogram's sum and count, not its
/// buckets, so p50/p95 are taken over the per-process-run mean batch length of the new side.
pub fn counter_sanity(base: &Side<'_>, new: &Side<'_>) -> CounterSanity {
    let mut lens: Vec<f64> = new
        .bus_cells()
        .flat_map(|c| c.rounds.iter())
        .filter(|r| r.counters.batch_len_count > 0)
        .map(|r| r.counters.batch_len_sum as f64 / r.counters.batch_len_count as f64)
        .collect();
    lens.sort_by(f64::total_cmp);
    let pick = |q: f64| -> Option<f64> {
        (!lens.is_empty()).then(|| {
            let i = ((lens.len() - 1) as f64 * q).round() as usize;
            (lens[i] * 10.0).round() / 10.0
        })
    };
    CounterSanity {
        lag_total_base: base.total(|c| c.receiver_lag),
        lag_total_new: new.total(|c| c.receiver_lag),
        batch_publish_delta: match (
            new.mean(|c| c.batch_publish),
            base.mean(|c| c.batch_publish),
        ) {
            (Some(n), Some(b)) => Some((n - b).round() as i64),
            _ => None,
        },
        batch_len_p50: pick(0.5),
        batch_len_p95: pick(0.95),
    }
}
