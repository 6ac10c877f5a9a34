//! The runner's wire protocol: one JSON request in, JSON lines out.
//!
//! Version [`PROTOCOL`]. `ron-bench` passes the request as `--request <json>`
//! ([`Request::to_args`]); the runner parses it with [`Request::parse`] and prints one [`Line`]
//! per stdout line: `hello` first, then one `sample` per sample, then `done` (or a single
//! `skip`). Diagnostics go to stderr; exit code 2 means a bad request. Runners built from
//! older revisions speak [`PROTOCOL_V1`] (`--key value` pairs, the TLS threshold in the
//! environment); ron-bench falls back to [`Request::to_v1_args`] for them.

use crate::Scenario;
use ron_comparables::knobs::{CellParams, Param, DEFAULT_PAYLOAD, KNOBS};
use ron_comparables::workloads::LatencyNs;
use ron_comparables::ContenderId;
use serde::{Deserialize, Serialize};

/// Protocol version printed in the `hello` line.
pub const PROTOCOL: &str = "ron-bench/runner/v2";
/// The protocol of runners built before the JSON request (their `hello` says so).
pub const PROTOCOL_V1: &str = "ron-bench/runner/v1";

/// One process run: which cell, and how to sample it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Workload shape.
    pub scenario: Scenario,
    /// Channel under test.
    pub contender: ContenderId,
    /// Every cell parameter (the TLS threshold included).
    pub params: CellParams,
    /// Warm-up (and calibration) time before sampling.
    pub warmup_ms: u64,
    /// Target duration of one sample.
    pub window_ms: u64,
    /// Samples to take.
    pub samples: u32,
    /// Fixed units per sample: no time-based calibration, one uncounted warm-up call of the
    /// same size. Used for instruction counts, which must not depend on timing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<u64>,
}

/// A request the runner cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad runner request: {0}")]
pub struct BadRequest(pub String);

impl Request {
    /// The command-line arguments that carry this request.
    pub fn to_args(&self) -> Vec<String> {
        let json = serde_json::to_string(self).expect("a request always serializes");
        vec!["--request".into(), json]
    }

    /// Parses `--request <json>` and checks every parameter against the knob table.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Request, BadRequest> {
        let args: Vec<String> = args.into_iter().collect();
        let [flag, json] = args.as_slice() else {
            return Err(BadRequest(format!(
                "expected `--request <json>`, got {} argument(s)",
                args.len()
            )));
        };
        if flag != "--request" {
            return Err(BadRequest(format!("unknown option `{flag}`")));
        }
        let req: Request =
            serde_json::from_str(json).map_err(|e| BadRequest(format!("request JSON: {e}")))?;
        req.validate()?;
        Ok(req)
    }

    /// Every knob within its table bounds (fanout may be 0: `steady`'s idle subscribers),
    /// and positive sampling sizes.
    fn validate(&self) -> Result<(), BadRequest> {
        for k in &KNOBS {
            let Some(v) = self.params.get(k.param) else {
                continue;
            };
            if k.param == Param::Fanout && v == 0 {
                continue;
            }
            k.check(v)
                .map_err(|why| BadRequest(format!("`{}`: {why}", k.param)))?;
        }
        let positive = [
            ("window_ms", self.window_ms),
            ("samples", u64::from(self.samples)),
            ("units", self.units.unwrap_or(1)),
            ("rate", self.params.rate_per_sec.unwrap_or(1)),
        ];
        match positive.iter().find(|(_, v)| *v == 0) {
            Some((what, _)) => Err(BadRequest(format!("`{what}` must be at least 1"))),
            None => Ok(()),
        }
    }

    /// The same request for a [`PROTOCOL_V1`] runner: `--key value` pairs, plus the TLS
    /// threshold it reads from `RON_TLS_FLUSH_THRESHOLD`. `None` when the request uses a
    /// parameter v1 runners do not know (a payload other than the default).
    pub fn to_v1_args(&self) -> Option<(Vec<String>, (&'static str, String))> {
        if self.params.payload != DEFAULT_PAYLOAD {
            return None;
        }
        let p = &self.params;
        let mut pairs = vec![
            ("scenario", self.scenario.name().to_string()),
            ("contender", self.contender.name().to_string()),
            ("burst", p.burst.unwrap_or(1).to_string()),
            ("fanout", p.fanout.to_string()),
            ("cap", p.cap.to_string()),
            ("pub-yield", u8::from(p.pub_yield).to_string()),
            ("rate", p.rate_per_sec.unwrap_or(1).to_string()),
            ("warmup-ms", self.warmup_ms.to_string()),
            ("window-ms", self.window_ms.to_string()),
            ("samples", self.samples.to_string()),
            ("throttle-spins", p.throttle_spins.to_string()),
        ];
        if let Some(u) = self.units {
            pairs.push(("units", u.to_string()));
        }
        let args = pairs
            .into_iter()
            .flat_map(|(k, v)| [format!("--{k}"), v])
            .collect();
        Some((args, ("RON_TLS_FLUSH_THRESHOLD", p.tls_thresh.to_string())))
    }
}

/// First line: who is measuring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Hello {
    /// [`PROTOCOL`].
    pub protocol: String,
    /// Runner features compiled into this build.
    pub features: Vec<String>,
    /// Units per sample chosen by calibration (bursts, or messages for steady/latency).
    pub units_per_sample: u64,
}

/// One measured sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SampleLine {
    /// 0-based sample index inside this process run.
    pub index: u32,
    /// Wall time of the sample.
    pub elapsed_ns: u64,
    /// Messages the publisher sent.
    pub published: u64,
    /// Messages delivered, summed over subscribers.
    pub delivered: u64,
    /// Messages lost, summed over subscribers.
    pub lagged: u64,
    /// Subscribers in the sample.
    pub subscribers: u64,
    /// Whether `delivered + lagged == published` held for every subscriber.
    pub accounting_ok: bool,
    /// Latency percentiles (latency scenario only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyNs>,
    /// Single-thread scenarios: the share of the sample's wall time the measuring thread
    /// was on a CPU, in parts per million (thread CPU time / wall time). `ron-bench` scales
    /// `elapsed_ns` by it, so time the thread lost to other work on the machine is not
    /// counted as the code's cost. Absent from older runners and threaded scenarios.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_cpu_ppm: Option<u32>,
}

impl SampleLine {
    /// `elapsed_ns` scaled to the time the thread was on a CPU (unchanged without
    /// `on_cpu_ppm`). The scheduler's runtime advances in steps (ticks and switches), so a
    /// share below 10% in a sample of a busy thread is a reading artefact: wall time is kept.
    pub fn on_cpu_elapsed_ns(&self) -> u64 {
        match self.on_cpu_ppm {
            Some(ppm) if ppm >= 100_000 => {
                (u128::from(self.elapsed_ns) * u128::from(ppm.min(1_000_000)) / 1_000_000) as u64
            }
            _ => self.elapsed_ns,
        }
    }
}

/// Bus counter deltas over the sampling phase (mirror of `ron_metrics::BusSnapshot`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Counters {
    /// `bus_published_total`
    pub published: u64,
    /// `bus_no_receivers_total`
    pub no_receivers: u64,
    /// `bus_receiver_lag_total`
    pub receiver_lag: u64,
    /// `bus_notify_sends_total`
    pub notify_sends: u64,
    /// `bus_notify_suppressed_total`
    pub notify_suppressed: u64,
    /// `bus_batch_publish_total`
    pub batch_publish: u64,
    /// sample count of `bus_batch_len`
    pub batch_len_count: u64,
    /// sample sum of `bus_batch_len`
    pub batch_len_sum: u64,
    /// `bus_metrics_tls_flush_total`
    pub tls_flush: u64,
    /// `bus_interest_skips_total`
    pub interest_skips: u64,
}

impl From<ron_metrics::BusSnapshot> for Counters {
    fn from(s: ron_metrics::BusSnapshot) -> Self {
        Counters {
            published: s.published,
            no_receivers: s.no_receivers,
            receiver_lag: s.receiver_lag,
            notify_sends: s.notify_sends,
            notify_suppressed: s.notify_suppressed,
            batch_publish: s.batch_publish,
            batch_len_count: s.batch_len_count,
            batch_len_sum: s.batch_len_sum,
            tls_flush: s.tls_flush,
            interest_skips: s.interest_skips,
        }
    }
}

/// Last line: process-level resource use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Done {
    /// Wall time of the sampling phase.
    pub wall_ns: u64,
    /// User + system CPU time of the whole process over the sampling phase.
    pub cpu_ns: u64,
    /// Peak resident set size of the process (`VmHWM`).
    pub peak_rss_bytes: u64,
    /// Bus counter deltas over the sampling phase.
    pub counters: Counters,
}

/// One stdout line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Line {
    /// See [`Hello`].
    Hello(Hello),
    /// See [`SampleLine`].
    Sample(SampleLine),
    /// See [`Done`].
    Done(Done),
    /// The scenario cannot run in this build; `reason` says why.
    Skip {
        /// Why.
        reason: String,
    },
}

impl Line {
    /// The line as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("protocol lines always serialize")
    }
}

/// Features compiled into this runner build (forwarded to ron-comparables, which lists them).
pub fn compiled_features() -> Vec<String> {
    ron_comparables::compiled_features()
        .into_iter()
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> Request {
        Request {
            scenario: Scenario::BurstFanout,
            contender: ContenderId::Flume,
            params: CellParams {
                burst: Some(256),
                fanout: 4,
                pub_yield: true,
                ..CellParams::default()
            },
            warmup_ms: 10,
            window_ms: 5,
            samples: 3,
            units: None,
        }
    }

    #[test]
    fn request_round_trips_through_args() {
        let r = req();
        assert_eq!(Request::parse(r.to_args()).unwrap(), r);
        let wide = Request {
            params: r.params.with(Param::Payload, Some(32)),
            units: Some(7),
            ..r
        };
        assert_eq!(Request::parse(wide.to_args()).unwrap(), wide);
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let e = Request::parse(["--burst".to_string(), "1".into()]).unwrap_err();
        assert!(e.0.contains("--burst"), "{e}");
        let e = Request::parse(["--request".to_string(), "{".into()]).unwrap_err();
        assert!(e.0.contains("JSON"), "{e}");
        let mut r = req();
        r.params.fanout = 100_000;
        let e = Request::parse(r.to_args()).unwrap_err();
        assert!(e.0.contains("fanout"), "{e}");
        let mut r = req();
        r.params.payload = 12;
        assert!(Request::parse(r.to_args())
            .unwrap_err()
            .0
            .contains("payload"));
        let mut r = req();
        r.samples = 0;
        assert!(Request::parse(r.to_args())
            .unwrap_err()
            .0
            .contains("samples"));
        let json = r.to_args()[1].replace("\"samples\"", "\"bogus\":1,\"samples\"");
        let e = Request::parse(["--request".to_string(), json]).unwrap_err();
        assert!(e.0.contains("bogus"), "{e}");
    }

    #[test]
    fn v1_args_carry_every_field_and_the_threshold() {
        let (args, (var, tls)) = req().to_v1_args().unwrap();
        assert_eq!((var, tls.as_str()), ("RON_TLS_FLUSH_THRESHOLD", "64"));
        let at = |k: &str| args[args.iter().position(|a| a == k).unwrap() + 1].clone();
        assert_eq!(at("--burst"), "256");
        assert_eq!(at("--pub-yield"), "1");
        assert_eq!(args.len(), 22);
        let mut wide = req();
        wide.params.payload = 16;
        assert!(wide.to_v1_args().is_none());
    }

    #[test]
    fn lines_are_tagged_json() {
        let l = Line::Skip {
            reason: "no".into(),
        };
        let j = l.to_json();
        assert_eq!(j, r#"{"type":"skip","reason":"no"}"#);
        assert_eq!(serde_json::from_str::<Line>(&j).unwrap(), l);
    }
}
