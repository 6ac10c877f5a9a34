//! What the measurement loop runs: a [`Workload`] sized in units (bursts or messages).
//!
//! [`CellWorkload`] maps a [`Request`] onto `ron_comparables::workloads` through
//! [`ContenderId::visit`] (static dispatch, no virtual call in the timed loop). Tests use
//! their own `Workload` with a controllable cost, so the loop is testable without timing noise.

use crate::{Request, Scenario};
use ron_comparables::knobs::{CellParams, DEFAULT_PAYLOAD};
use ron_comparables::workloads::{self, BurstParams, LatencyNs, Sample};
use ron_comparables::{Contender, ContenderId, Msg, Publisher, Visit};
use std::time::Instant;

/// One call's result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    /// Counts and wall time.
    pub sample: Sample,
    /// Latency percentiles (latency scenario only).
    pub latency: Option<LatencyNs>,
}

/// Something that can run `units` units of work and report what happened.
pub trait Workload {
    /// Runs `units` bursts (or messages) once.
    fn run(&mut self, units: u64) -> Measured;
}

/// Why a build cannot run a cell: printed as the runner's `skip` line (a note, not an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SkipReason(pub String);

/// Why `contender` cannot run `scenario` at `params`, whatever the build: the same rules
/// ron-bench applies at plan time (so `--dry-run` lists the skips) and the runner applies
/// when it is asked anyway.
pub fn cannot_run(
    scenario: Scenario,
    contender: ContenderId,
    params: &CellParams,
) -> Option<SkipReason> {
    let why = match scenario {
        Scenario::MetricsHot if contender != ContenderId::RonBus => format!(
            "scenario `metrics_hot` measures ron-metrics' hot path; contender `{contender}` has none (ron-bus only)"
        ),
        Scenario::SteadyBatch if !contender.lossy() && params.fanout > 0 => format!(
            "scenario `steady_batch` has idle subscribers: `{contender}` would block on a full queue (lossy contenders only, or fanout 0)"
        ),
        Scenario::LagRecover if !contender.lossy() => format!(
            "scenario `lag_recover` measures the lag path: `{contender}` is not lossy (a full queue drops at the sender, no receiver ever lags)"
        ),
        _ if params.payload != DEFAULT_PAYLOAD && contender != ContenderId::RonBus => format!(
            "payload {} B: the payload sweep is ron-bus only (`{contender}` carries the default message)",
            params.payload
        ),
        _ => return None,
    };
    Some(SkipReason(why))
}

/// The real workload of one cell.
#[derive(Debug, Clone)]
pub struct CellWorkload {
    req: Request,
}

impl CellWorkload {
    /// `Err(reason)` when this build cannot run the scenario (a skip, not an error).
    pub fn new(req: Request) -> Result<CellWorkload, SkipReason> {
        req.scenario
            .workload_available()
            .map_err(|r| SkipReason(r.to_string()))?;
        if let Some(f) = req.scenario.required_feature() {
            if !crate::protocol::compiled_features().iter().any(|c| c == f) {
                return Err(SkipReason(format!(
                    "scenario `{}` needs runner feature `{f}`, which this build lacks",
                    req.scenario
                )));
            }
        }
        if let Some(reason) = cannot_run(req.scenario, req.contender, &req.params) {
            return Err(reason);
        }
        if req.contender == ContenderId::Throttled {
            ron_comparables::adapters::set_throttle_spins(req.params.throttle_spins);
        }
        Ok(CellWorkload { req })
    }
}

impl Workload for CellWorkload {
    fn run(&mut self, units: u64) -> Measured {
        self.req.contender.visit(Call {
            req: &self.req,
            units,
        })
    }
}

struct Call<'a> {
    req: &'a Request,
    units: u64,
}

impl Visit for Call<'_> {
    type Out = Measured;
    fn visit<C: Contender>(self) -> Measured {
        let r = self.req;
        let c = &r.params;
        let p = BurstParams {
            burst: c.burst.unwrap_or(1),
            fanout: c.fanout as usize,
            cap: c.cap as usize,
            bursts: self.units,
            pub_yield: c.pub_yield,
        };
        let plain = |sample| Measured {
            sample,
            latency: None,
        };
        match r.scenario {
            Scenario::Steady => plain(workloads::steady::<C>(
                c.fanout as usize,
                c.cap as usize,
                self.units,
            )),
            Scenario::BurstFanout => plain(workloads::burst_fanout::<C>(p)),
            Scenario::Lagged => plain(workloads::lagged::<C>(p)),
            Scenario::Batched => plain(workloads::batched::<C>(p)),
            Scenario::Latency => {
                let (sample, lat) = workloads::latency::<C>(
                    c.fanout as usize,
                    c.cap as usize,
                    self.units,
                    c.rate_per_sec.unwrap_or(1),
                );
                Measured {
                    sample,
                    latency: Some(lat),
                }
            }
            Scenario::Edge => plain(workloads::edge::<C>(p)),
            Scenario::MixedTopic => plain(workloads::mixed_topic::<C>(p)),
            Scenario::SteadyBatch => plain(steady_batch::<C>(p)),
            Scenario::MetricsHot => plain(metrics_hot(self.units)),
            Scenario::Delivery if c.payload != DEFAULT_PAYLOAD => {
                // CellWorkload::new admitted only ron-bus and a bounded payload here.
                plain(workloads::delivery_payload(p, c.payload).unwrap_or_default())
            }
            Scenario::Delivery => plain(workloads::delivery::<C>(p)),
            Scenario::LagRecover => plain(workloads::lag_recover::<C>(p)),
        }
    }
}

fn elapsed_ns(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// `steady_batch`: `bursts` calls of `publish_batch(burst messages)` with `fanout` idle
/// subscribers, on this thread.
fn steady_batch<C: Contender>(p: BurstParams) -> Sample {
    let (mut tx, rxs) = C::channel(p.cap, p.fanout);
    let batch: Vec<Msg> = (0..p.burst).map(|seq| Msg { seq, sent_ns: 0 }).collect();
    let start = Instant::now();
    for _ in 0..p.bursts {
        std::hint::black_box(tx.publish_batch(std::hint::black_box(&batch)));
    }
    let elapsed = elapsed_ns(start);
    drop(rxs);
    Sample {
        elapsed_ns: elapsed,
        published: p.bursts * p.burst,
        subs: Vec::new(),
    }
}

/// `metrics_hot`: `messages` increments of `bus_published_total`, the way ron-bus counts a
/// publish (per-thread buffer with `metrics_buf`, else the shared atomic counter).
fn metrics_hot(messages: u64) -> Sample {
    let start = Instant::now();
    for _ in 0..messages {
        #[cfg(feature = "metrics_buf")]
        ron_metrics::tls::add(
            ron_metrics::tls::BusCounter::Published,
            std::hint::black_box(1),
        );
        #[cfg(not(feature = "metrics_buf"))]
        ron_metrics::bus().published.inc_by(std::hint::black_box(1));
    }
    Sample {
        elapsed_ns: elapsed_ns(start),
        published: messages,
        subs: Vec::new(),
    }
}
