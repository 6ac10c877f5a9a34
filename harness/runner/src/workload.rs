//! What the measurement loop runs: a [`Workload`] sized in units (bursts or messages).
//!
//! [`CellWorkload`] maps a [`Request`] onto `ron_comparables::workloads` through
//! [`ContenderId::visit`] (static dispatch, no virtual call in the timed loop). Tests use
//! their own `Workload` with a controllable cost, so the loop is testable without timing noise.

use crate::{Request, Scenario};
use ron_comparables::workloads::{self, BurstParams, LatencyNs, Sample};
use ron_comparables::{Contender, ContenderId, Visit};

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

/// The real workload of one cell.
#[derive(Debug, Clone)]
pub struct CellWorkload {
    req: Request,
}

impl CellWorkload {
    /// `Err(reason)` when this build cannot run the scenario (a skip, not an error).
    pub fn new(req: Request) -> Result<CellWorkload, String> {
        req.scenario.workload_available().map_err(str::to_string)?;
        if let Some(f) = req.scenario.required_feature() {
            if !crate::protocol::compiled_features().iter().any(|c| c == f) {
                return Err(format!(
                    "scenario `{}` needs runner feature `{f}`, which this build lacks",
                    req.scenario
                ));
            }
        }
        if req.contender == ContenderId::Throttled {
            ron_comparables::adapters::set_throttle_spins(req.throttle_spins);
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
        let p = BurstParams {
            burst: r.burst,
            fanout: r.fanout as usize,
            cap: r.cap as usize,
            bursts: self.units,
            pub_yield: r.pub_yield,
        };
        let plain = |sample| Measured {
            sample,
            latency: None,
        };
        match r.scenario {
            Scenario::Steady => plain(workloads::steady::<C>(
                r.fanout as usize,
                r.cap as usize,
                self.units,
            )),
            Scenario::BurstFanout => plain(workloads::burst_fanout::<C>(p)),
            Scenario::Lagged => plain(workloads::lagged::<C>(p)),
            Scenario::Batched => plain(workloads::batched::<C>(p)),
            Scenario::Latency => {
                let (sample, lat) = workloads::latency::<C>(
                    r.fanout as usize,
                    r.cap as usize,
                    self.units,
                    r.rate_per_sec,
                );
                Measured {
                    sample,
                    latency: Some(lat),
                }
            }
            Scenario::Edge => plain(workloads::edge::<C>(p)),
            Scenario::MixedTopic => plain(workloads::mixed_topic::<C>(p)),
        }
    }
}
