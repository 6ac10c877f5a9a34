//! The scenarios ron-bench knows, and what each needs from a build.

use ron_comparables::knobs::Param;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A workload shape. The workloads themselves live in `ron_comparables::workloads`, shared
/// with the criterion benches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Publish cost with 0, 1 or N idle subscribers, single thread (`fanout` = idle subscribers).
    Steady,
    /// Classic draining subscribers.
    BurstFanout,
    /// `burst_fanout` at capacity 1: the lag (or backpressure) path.
    Lagged,
    /// One batch publish per burst: ron-bus `publish_many` with `bus_batch`; without it (and
    /// for every other contender) the adapter loops over `publish`, which is the A/B reference.
    Batched,
    /// Edge-drain subscribers (`try_recv` until empty, then one blocking receive); what
    /// `bus_edge_notify` is built for, runnable by every contender.
    Edge,
    /// Publisher below saturation; publish->receive latency percentiles.
    Latency,
    /// About 30% of messages relevant per subscriber: ron-bus filters natively with
    /// `bus_interest`; without it (and for every other contender) subscribers filter in user
    /// code. `published` counts relevant messages only.
    MixedTopic,
    /// `steady` in batches: single thread, one `publish_many` of `burst` messages per unit
    /// with `fanout` idle subscribers (`bus_batch`; without it the adapter loops `publish`).
    /// Lossy contenders only (a queue with idle subscribers would block).
    SteadyBatch,
    /// The metrics hot path alone: one `bus_published_total` increment per message, through
    /// ron-metrics' shared counter, or its per-thread buffer with `metrics_buf`. Single
    /// thread, `ron-bus` only.
    MetricsHot,
    /// The receive path alone, single thread: publish a burst of `burst` to `fanout`
    /// receivers, then drain each with `try_recv`; only the drains are timed and counted
    /// (`ron_comparables::workloads::delivery`). Deliveries/s is the cost of one delivery.
    Delivery,
    /// The lag path alone, single thread: one receiver falls `burst` messages behind a ring of
    /// `cap`, gets `Lagged(burst)` and drains what is retained; only the receive side is timed
    /// (`ron_comparables::workloads::lag_recover`). Lossy contenders only.
    LagRecover,
}

impl Scenario {
    /// Every scenario, in matrix expansion order.
    pub const ALL: [Scenario; 11] = [
        Scenario::Steady,
        Scenario::BurstFanout,
        Scenario::Lagged,
        Scenario::Batched,
        Scenario::Edge,
        Scenario::Latency,
        Scenario::MixedTopic,
        Scenario::SteadyBatch,
        Scenario::MetricsHot,
        Scenario::Delivery,
        Scenario::LagRecover,
    ];

    /// The stable name used on the command line, in cell ids and in files.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Steady => "steady",
            Scenario::BurstFanout => "burst_fanout",
            Scenario::Lagged => "lagged",
            Scenario::Batched => "batched",
            Scenario::Edge => "edge",
            Scenario::Latency => "latency",
            Scenario::MixedTopic => "mixed_topic",
            Scenario::SteadyBatch => "steady_batch",
            Scenario::MetricsHot => "metrics_hot",
            Scenario::Delivery => "delivery",
            Scenario::LagRecover => "lag_recover",
        }
    }

    /// The runner feature a build must have for this scenario to run at all. None today:
    /// `batched`, `edge` and `mixed_topic` run on every contender and build (the build
    /// without the feature is the A/B reference; see [`Scenario::native_feature`]).
    pub fn required_feature(self) -> Option<&'static str> {
        None
    }

    /// The ron-bus feature that makes this scenario use a native bus path (`publish_many`,
    /// edge-triggered notify, interest masks); without it the adapter falls back to the
    /// portable loop every other contender uses.
    pub fn native_feature(self) -> Option<&'static str> {
        match self {
            Scenario::Batched => Some("bus_batch"),
            Scenario::Edge => Some("bus_edge_notify"),
            Scenario::MixedTopic => Some("bus_interest"),
            Scenario::SteadyBatch => Some("bus_batch"),
            Scenario::MetricsHot => Some("metrics_buf"),
            _ => None,
        }
    }

    /// `Err(note)` when the workload does not exist in `ron_comparables` (every scenario has
    /// one now; kept so a future scenario can land in the matrix before its workload).
    pub fn workload_available(self) -> Result<(), &'static str> {
        Ok(())
    }

    /// Whether the burst size matters (and so appears in cell ids and expands the matrix).
    pub fn uses_burst(self) -> bool {
        !matches!(
            self,
            Scenario::Steady | Scenario::Latency | Scenario::MetricsHot
        )
    }

    /// Whether `pub_yield` matters.
    pub fn uses_pub_yield(self) -> bool {
        self.uses_burst() && self.uses_threads()
    }

    /// Whether the publish rate matters (latency only).
    pub fn uses_rate(self) -> bool {
        self == Scenario::Latency
    }

    /// A capacity the scenario forces (lagged runs at capacity 1).
    pub fn fixed_cap(self) -> Option<u64> {
        (self == Scenario::Lagged).then_some(1)
    }

    /// Whether the parameter matters to this scenario (and so appears in cell ids and
    /// expands the matrix). Unused parameters hold their neutral value.
    pub fn uses(self, p: Param) -> bool {
        match p {
            Param::Burst => self.uses_burst(),
            Param::PubYield => self.uses_pub_yield(),
            Param::Rate => self.uses_rate(),
            Param::Payload => self == Scenario::Delivery,
            Param::Fanout | Param::Cap | Param::TlsThresh | Param::ThrottleSpins => true,
        }
    }

    /// The values of `p` this scenario runs, given the values asked for: `[None]` when it does
    /// not use `p`; `lagged` forces capacity 1; `steady`'s fanout is the idle-subscriber count
    /// 0, 1 and each requested fanout.
    pub fn axis(self, p: Param, asked: &[u64]) -> Vec<Option<u64>> {
        if !self.uses(p) {
            return vec![None];
        }
        if p == Param::Cap {
            if let Some(c) = self.fixed_cap() {
                return vec![Some(c)];
            }
        }
        let mut out: Vec<u64> = if p == Param::Fanout && self == Scenario::Steady {
            vec![0, 1]
        } else {
            Vec::new()
        };
        for v in asked {
            if !out.contains(v) {
                out.push(*v);
            }
        }
        out.into_iter().map(Some).collect()
    }

    /// Whether the threads of this scenario compete for cores (fanout subscribers + publisher).
    /// Single-thread scenarios are the ones `--measure instructions` can count.
    pub fn uses_threads(self) -> bool {
        !matches!(
            self,
            Scenario::Steady
                | Scenario::SteadyBatch
                | Scenario::MetricsHot
                | Scenario::Delivery
                | Scenario::LagRecover
        )
    }

    /// The function whose instructions `--measure instructions` counts (a callgrind
    /// `--toggle-collect` pattern): the whole sampled call, or for the receive-path scenarios
    /// only the drains, so the count is not diluted by the publishes that set them up.
    pub fn measured_symbol(self) -> &'static str {
        match self {
            Scenario::Delivery | Scenario::LagRecover => "*workloads::timed_drain*",
            _ => crate::measure::MEASURED_SYMBOL,
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown scenario name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScenario(pub String);

impl fmt::Display for UnknownScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        write!(
            f,
            "unknown scenario `{}` (expected one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownScenario {}

impl FromStr for Scenario {
    type Err = UnknownScenario;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s.trim())
            .ok_or_else(|| UnknownScenario(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Scenario::ALL {
            assert_eq!(s.name().parse::<Scenario>().unwrap(), s);
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.name()));
        }
        let e = "bursty".parse::<Scenario>().unwrap_err();
        assert!(e.to_string().contains("bursty"), "{e}");
    }
}
