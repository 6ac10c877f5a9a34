//! The runner's wire protocol: a command line in, JSON lines out.
//!
//! Version [`PROTOCOL`]. `ron-bench` builds the command line with [`Request::to_args`]; the
//! runner parses it with [`Request::parse`] and prints one [`Line`] per stdout line: `hello`
//! first, then one `sample` per sample, then `done` (or a single `skip`). Diagnostics go to
//! stderr; exit code 2 means a bad request.

use crate::Scenario;
use ron_comparables::workloads::LatencyNs;
use ron_comparables::ContenderId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Protocol version printed in the `hello` line.
pub const PROTOCOL: &str = "ron-bench/runner/v1";

/// One process run: which cell, and how to sample it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Workload shape.
    pub scenario: Scenario,
    /// Channel under test.
    pub contender: ContenderId,
    /// Messages per burst (burst-shaped scenarios).
    pub burst: u64,
    /// Subscriber threads (`steady`: idle subscribers, may be 0).
    pub fanout: u64,
    /// Channel capacity.
    pub cap: u64,
    /// Yield the publisher after each burst.
    pub pub_yield: bool,
    /// Publish rate of the `latency` scenario.
    pub rate_per_sec: u64,
    /// Warm-up (and calibration) time before sampling.
    pub warmup_ms: u64,
    /// Target duration of one sample.
    pub window_ms: u64,
    /// Samples to take.
    pub samples: u32,
    /// Extra spins per publish for the calibration-only `throttled` contender.
    pub throttle_spins: u64,
    /// Fixed units per sample (`--units N`): no time-based calibration, one uncounted warm-up
    /// call of the same size. Used for instruction counts, which must not depend on timing.
    /// Omitted from the command line when `None`, so older runners still understand it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<u64>,
}

/// A command line the runner cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest(pub String);

impl fmt::Display for BadRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad runner request: {}", self.0)
    }
}

impl std::error::Error for BadRequest {}

impl Request {
    /// The command-line arguments that encode this request.
    pub fn to_args(&self) -> Vec<String> {
        let mut a = Vec::new();
        let mut push = |k: &str, v: String| {
            a.push(format!("--{k}"));
            a.push(v);
        };
        push("scenario", self.scenario.name().into());
        push("contender", self.contender.name().into());
        push("burst", self.burst.to_string());
        push("fanout", self.fanout.to_string());
        push("cap", self.cap.to_string());
        push("pub-yield", u8::from(self.pub_yield).to_string());
        push("rate", self.rate_per_sec.to_string());
        push("warmup-ms", self.warmup_ms.to_string());
        push("window-ms", self.window_ms.to_string());
        push("samples", self.samples.to_string());
        push("throttle-spins", self.throttle_spins.to_string());
        if let Some(u) = self.units {
            push("units", u.to_string());
        }
        a
    }

    /// Parses `--key value` pairs (every key required once; see [`Request::to_args`]).
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Request, BadRequest> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut it = args.into_iter();
        while let Some(k) = it.next() {
            let key = k
                .strip_prefix("--")
                .ok_or_else(|| BadRequest(format!("expected `--key`, got `{k}`")))?;
            let v = it
                .next()
                .ok_or_else(|| BadRequest(format!("`--{key}` needs a value")))?;
            pairs.push((key.to_string(), v));
        }
        let get = |key: &str| -> Result<&str, BadRequest> {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| BadRequest(format!("missing `--{key}`")))
        };
        let num = |key: &str| -> Result<u64, BadRequest> {
            let v = get(key)?;
            v.parse()
                .map_err(|_| BadRequest(format!("`--{key} {v}` is not a whole number")))
        };
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !KEYS.contains(&k.as_str())) {
            return Err(BadRequest(format!("unknown option `--{k}`")));
        }
        Ok(Request {
            scenario: get("scenario")?
                .parse()
                .map_err(|e| BadRequest(format!("{e}")))?,
            contender: get("contender")?
                .parse()
                .map_err(|e| BadRequest(format!("{e}")))?,
            burst: num("burst")?.max(1),
            fanout: num("fanout")?,
            cap: num("cap")?.max(1),
            pub_yield: num("pub-yield")? != 0,
            rate_per_sec: num("rate")?.max(1),
            warmup_ms: num("warmup-ms")?,
            window_ms: num("window-ms")?.max(1),
            samples: u32::try_from(num("samples")?.max(1))
                .map_err(|_| BadRequest("`--samples` is too large".into()))?,
            throttle_spins: num("throttle-spins")?,
            units: match get("units") {
                Ok(_) => Some(num("units")?.max(1)),
                Err(_) => None,
            },
        })
    }
}

const KEYS: [&str; 12] = [
    "scenario",
    "contender",
    "burst",
    "fanout",
    "cap",
    "pub-yield",
    "rate",
    "warmup-ms",
    "window-ms",
    "samples",
    "throttle-spins",
    "units",
];

/// First line: who is measuring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
            burst: 256,
            fanout: 4,
            cap: 2048,
            pub_yield: true,
            rate_per_sec: 100_000,
            warmup_ms: 10,
            window_ms: 5,
            samples: 3,
            throttle_spins: 0,
            units: None,
        }
    }

    #[test]
    fn request_round_trips_through_args() {
        let r = req();
        assert_eq!(Request::parse(r.to_args()).unwrap(), r);
    }

    #[test]
    fn bad_requests_name_the_option() {
        let mut a = req().to_args();
        a.retain(|s| s != "--cap" && s != "2048");
        assert!(Request::parse(a).unwrap_err().0.contains("--cap"));
        let mut a = req().to_args();
        a.push("--bogus".into());
        a.push("1".into());
        assert!(Request::parse(a).unwrap_err().0.contains("bogus"));
        let mut a = req().to_args();
        let i = a.iter().position(|s| s == "--burst").unwrap();
        a[i + 1] = "abc".into();
        assert!(Request::parse(a).unwrap_err().0.contains("abc"));
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
