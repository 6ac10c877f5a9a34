//! The knob table and the typed cell parameters, shared by the criterion benches, the runner
//! and ron-bench.
//!
//! [`KNOBS`] is the one place a knob is declared: its matrix/cell-id name, its flag, its
//! environment variable and aliases, default, bounds and help. ron-bench derives its `--flags`,
//! the `--matrix` file keys, the `[bench cfg]` line and the knob help from it; the benches read
//! the same variables through [`Knob::read`]. [`CellParams`] holds one value of every
//! [`Param`] and is what the runner receives (as JSON), so a value is parsed and checked once.
//!
//! Values are comma lists that expand into a matrix. A value that does not parse or is out of
//! bounds is an error naming the variable, flag or file — never a silent default or clamp.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Every parameter of a benchmark cell, in cell-id order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// Messages per publisher burst (burst-shaped scenarios).
    Burst,
    /// Subscriber threads (`steady`: idle subscribers).
    Fanout,
    /// Channel capacity.
    Cap,
    /// Payload bytes per message (scenarios that honour it).
    Payload,
    /// Publisher yields after each burst (0 or 1).
    PubYield,
    /// Publish rate of the `latency` scenario (messages/s); not a user knob.
    Rate,
    /// Per-thread metrics flush threshold (`metrics_buf`).
    TlsThresh,
    /// Extra spins per publish of the calibration-only `throttled` contender; not a user knob.
    ThrottleSpins,
}

impl Param {
    /// Every parameter, in cell-id order.
    pub const ALL: [Param; 8] = [
        Param::Burst,
        Param::Fanout,
        Param::Cap,
        Param::Payload,
        Param::PubYield,
        Param::Rate,
        Param::TlsThresh,
        Param::ThrottleSpins,
    ];

    /// The name in cell ids, matrix files, policy selectors and reports.
    pub fn name(self) -> &'static str {
        match self {
            Param::Burst => "burst",
            Param::Fanout => "fanout",
            Param::Cap => "cap",
            Param::Payload => "payload",
            Param::PubYield => "pub_yield",
            Param::Rate => "rate",
            Param::TlsThresh => "tls_thresh",
            Param::ThrottleSpins => "throttle_spins",
        }
    }

    /// The knob that sets this parameter, if users set it.
    pub fn knob(self) -> Option<&'static Knob> {
        KNOBS.iter().find(|k| k.param == self)
    }

    /// The parameter called `name` (see [`Param::name`]).
    pub fn from_name(name: &str) -> Option<Param> {
        Param::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The value a cell records when its scenario does not use the parameter: `None` for
    /// burst and rate (absent from the cell id), the default otherwise.
    fn unused_value(self) -> Option<u64> {
        match self {
            Param::Burst | Param::Rate => None,
            Param::Payload => Some(DEFAULT_PAYLOAD),
            _ => Some(0),
        }
    }

    /// Whether the cell id shows value `v`: parameters with a neutral value (pub_yield 0,
    /// throttle 0, the default payload) show only when they differ from it, so ids stay short
    /// and stable as knobs are added.
    fn shown(self, v: u64) -> bool {
        match self {
            Param::PubYield | Param::ThrottleSpins => v != 0,
            Param::Payload => v != DEFAULT_PAYLOAD,
            _ => true,
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One row of the knob table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Knob {
    /// The parameter it sets.
    pub param: Param,
    /// Canonical variable name, e.g. `RON_BENCH_BURST`.
    pub var: &'static str,
    /// Accepted aliases, in priority order after the canonical name.
    pub aliases: &'static [&'static str],
    /// Default value (a comma list) when nothing sets the knob.
    pub default: &'static str,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value (bounds keep a typo from allocating gigabytes or spawning
    /// thousands of threads).
    pub max: u64,
    /// Accepted values are multiples of this.
    pub step: u64,
    /// One line for `--help` and the README.
    pub help: &'static str,
}

/// The default payload size in bytes: one `u64` word, what every workload sends by default.
pub const DEFAULT_PAYLOAD: u64 = 8;

/// Most values one knob list may hold (the matrix is the product of the lists).
pub const MAX_LIST_LEN: usize = 64;

/// The knob table: every user-settable parameter.
pub const KNOBS: [Knob; 6] = [
    Knob {
        param: Param::Burst,
        var: "RON_BENCH_BURST",
        aliases: &["RON_BURST", "BURST"],
        default: "256",
        min: 1,
        max: 1 << 20,
        step: 1,
        help: "messages per publisher burst",
    },
    Knob {
        param: Param::Fanout,
        var: "RON_BENCH_FANOUT",
        aliases: &["FANOUT"],
        default: "4",
        min: 1,
        max: 256,
        step: 1,
        help: "subscriber threads (steady: idle subscribers, plus 0 and 1)",
    },
    Knob {
        param: Param::Cap,
        var: "RON_BENCH_CAP",
        aliases: &["RON_CAP", "CAP"],
        default: "2048",
        min: 1,
        max: 1 << 22,
        step: 1,
        help: "channel capacity (ron-bus rounds up to a power of two)",
    },
    Knob {
        param: Param::PubYield,
        var: "RON_BENCH_PUB_YIELD",
        aliases: &[],
        default: "0",
        min: 0,
        max: 1,
        step: 1,
        help: "publisher yields after each burst (0 or 1)",
    },
    Knob {
        param: Param::TlsThresh,
        var: "RON_TLS_FLUSH_THRESHOLD",
        aliases: &[],
        default: "64",
        min: 0,
        max: 1 << 32,
        step: 1,
        help: "per-thread metrics flush threshold (metrics_buf; 0 means 1)",
    },
    Knob {
        param: Param::Payload,
        var: "RON_BENCH_PAYLOAD",
        aliases: &[],
        default: "8",
        min: 8,
        max: 64,
        step: 8,
        help: "payload bytes per message (delivery, ron-bus; 8 = one word)",
    },
];

/// Messages per burst.
pub const BURST: Knob = KNOBS[0];
/// Subscriber threads.
pub const FANOUT: Knob = KNOBS[1];
/// Ring / queue capacity.
pub const CAP: Knob = KNOBS[2];
/// Yield the publisher thread after each burst (0 or 1).
pub const PUB_YIELD: Knob = KNOBS[3];
/// Per-thread metrics flush threshold (`metrics_buf`); 0 means 1.
pub const TLS_FLUSH_THRESHOLD: Knob = KNOBS[4];
/// Payload bytes per message.
pub const PAYLOAD: Knob = KNOBS[5];

/// A knob value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}={value:?}: {reason}")]
pub struct KnobError {
    /// The variable, flag or file key that held the bad value.
    pub var: String,
    /// The offending text.
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

impl Knob {
    /// The long flag that sets this knob, without dashes (`burst`, `tls-thresh`, ...).
    pub fn flag(&self) -> &'static str {
        match self.param {
            Param::PubYield => "pub-yield",
            Param::TlsThresh => "tls-thresh",
            Param::ThrottleSpins => "throttle-spins",
            p => p.name(),
        }
    }

    /// The variable that is set (canonical first, then aliases) and its value.
    pub fn lookup(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
        std::iter::once(&self.var)
            .chain(self.aliases.iter())
            .find_map(|v| env(v).map(|val| (*v, val)))
    }

    /// Parses the knob from `env` (or its default) into a non-empty list.
    pub fn read(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<u64>, KnobError> {
        match self.lookup(env) {
            Some((var, val)) => self.parse(var, &val),
            None => self.parse(self.var, self.default),
        }
    }

    /// Parses `text` (a comma list) as this knob, naming `source` in errors.
    pub fn parse(&self, source: &str, text: &str) -> Result<Vec<u64>, KnobError> {
        let err = |reason: String| KnobError {
            var: source.to_string(),
            value: text.to_string(),
            reason,
        };
        let mut out = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(err("empty item in the list".into()));
            }
            let v: u64 = part
                .parse()
                .map_err(|_| err(format!("`{part}` is not a non-negative whole number")))?;
            self.check(v).map_err(err)?;
            if !out.contains(&v) {
                out.push(v);
            }
            if out.len() > MAX_LIST_LEN {
                return Err(err(format!("more than {MAX_LIST_LEN} values")));
            }
        }
        Ok(out)
    }

    /// `Err(reason)` when `v` is outside this knob's bounds.
    pub fn check(&self, v: u64) -> Result<(), String> {
        if v < self.min || v > self.max {
            return Err(format!("must be in {}..={} (got {v})", self.min, self.max));
        }
        if v % self.step != 0 {
            return Err(format!("must be a multiple of {} (got {v})", self.step));
        }
        Ok(())
    }

    /// The knob's help line: `--flag LIST  help [env VAR, aliases; default D; MIN..=MAX]`.
    pub fn help_line(&self) -> String {
        let mut vars = vec![self.var];
        vars.extend(self.aliases);
        format!(
            "{} [env {}; default {}; {}..={}{}]",
            self.help,
            vars.join(", "),
            self.default,
            self.min,
            self.max,
            if self.step > 1 {
                format!(", multiples of {}", self.step)
            } else {
                String::new()
            }
        )
    }
}

/// The knob table as Markdown (the README's "Knobs" table is this text; a test keeps them
/// equal, so the docs cannot drift from the code).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| variable | aliases | flag | matrix key | default | bounds | what |\n|---|---|---|---|---|---|---|\n",
    );
    for k in &KNOBS {
        let aliases = if k.aliases.is_empty() {
            "—".to_string()
        } else {
            k.aliases
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let step = if k.step > 1 {
            format!(", step {}", k.step)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| `{}` | {aliases} | `--{}` | `{}` | {} | {}..={}{step} | {} |\n",
            k.var,
            k.flag(),
            k.param.name(),
            k.default,
            k.min,
            k.max,
            k.help
        ));
    }
    out
}

/// `RON_BENCH_ROUNDS`: interleaved rounds of the `table` and `b5_layout` examples. Not a cell
/// parameter (it sizes a measurement, like `--rounds`), so it is not in [`KNOBS`].
pub const ROUNDS_VAR: &str = "RON_BENCH_ROUNDS";

/// [`ROUNDS_VAR`] from `env` (1..=1000), else `default`.
pub fn example_rounds(
    env: &dyn Fn(&str) -> Option<String>,
    default: u64,
) -> Result<u64, KnobError> {
    let Some(text) = env(ROUNDS_VAR) else {
        return Ok(default);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(KnobError {
            var: ROUNDS_VAR.into(),
            value: text,
            reason: "must be a whole number in 1..=1000".into(),
        }),
    }
}

/// Reads a variable from the process environment (non-UTF-8 is treated as set-but-bad).
pub fn process_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(v)) => Some(v.to_string_lossy().into_owned()),
    }
}

/// The parameters of one cell: one value per [`Param`]. Parameters a scenario does not use
/// hold their unused value (`None` for burst and rate, the neutral default otherwise).
///
/// Serialised as-is into run files and (as JSON) into the runner's request; fields with a
/// neutral value are omitted so files written before a parameter existed read back the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CellParams {
    /// Messages per burst (burst-shaped scenarios only).
    pub burst: Option<u64>,
    /// Subscriber threads; for `steady`, idle subscribers (may be 0).
    pub fanout: u64,
    /// Channel capacity.
    pub cap: u64,
    /// Publisher yields after each burst.
    pub pub_yield: bool,
    /// Per-thread metrics flush threshold (>= 1).
    pub tls_thresh: u64,
    /// Publish rate in messages/s (`latency` only).
    pub rate_per_sec: Option<u64>,
    /// Extra spins per publish of the calibration-only `throttled` contender (0 otherwise).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub throttle_spins: u64,
    /// Payload bytes per message ([`DEFAULT_PAYLOAD`] unless a scenario honours the knob).
    #[serde(
        default = "default_payload",
        skip_serializing_if = "is_default_payload"
    )]
    pub payload: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn default_payload() -> u64 {
    DEFAULT_PAYLOAD
}

fn is_default_payload(v: &u64) -> bool {
    *v == DEFAULT_PAYLOAD
}

impl Default for CellParams {
    /// Every knob at its default, burst and rate unset.
    fn default() -> Self {
        let first = |k: &Knob| k.default.split(',').next().and_then(|v| v.parse().ok());
        let mut p = CellParams {
            burst: None,
            fanout: 0,
            cap: 0,
            pub_yield: false,
            tls_thresh: 0,
            rate_per_sec: None,
            throttle_spins: 0,
            payload: DEFAULT_PAYLOAD,
        };
        for k in &KNOBS {
            p.set(k.param, first(k));
        }
        p.burst = None;
        p
    }
}

impl CellParams {
    /// The value of `p` (`None`: not used by this cell).
    pub fn get(&self, p: Param) -> Option<u64> {
        match p {
            Param::Burst => self.burst,
            Param::Fanout => Some(self.fanout),
            Param::Cap => Some(self.cap),
            Param::Payload => Some(self.payload),
            Param::PubYield => Some(u64::from(self.pub_yield)),
            Param::Rate => self.rate_per_sec,
            Param::TlsThresh => Some(self.tls_thresh),
            Param::ThrottleSpins => Some(self.throttle_spins),
        }
    }

    /// Sets `p` to `v`; `None` means "not used" (see [`CellParams`]).
    pub fn set(&mut self, p: Param, v: Option<u64>) {
        let v = v.or_else(|| p.unused_value());
        let n = v.unwrap_or(0);
        match p {
            Param::Burst => self.burst = v,
            Param::Fanout => self.fanout = n,
            Param::Cap => self.cap = n,
            Param::Payload => self.payload = n,
            Param::PubYield => self.pub_yield = n != 0,
            Param::Rate => self.rate_per_sec = v,
            Param::TlsThresh => self.tls_thresh = n,
            Param::ThrottleSpins => self.throttle_spins = n,
        }
    }

    /// A copy with `p` set to `v`.
    pub fn with(mut self, p: Param, v: Option<u64>) -> CellParams {
        self.set(p, v);
        self
    }

    /// The parameters a cell id shows, in id order, with their values.
    pub fn shown(&self) -> impl Iterator<Item = (Param, u64)> + '_ {
        Param::ALL
            .into_iter()
            .filter_map(|p| self.get(p).filter(|v| p.shown(*v)).map(|v| (p, v)))
    }

    /// `/burst=B/fanout=N/cap=C[/payload=P][/pub_yield=1][/rate=R]/tls_thresh=T[/throttle_spins=S]`.
    pub fn id_suffix(&self) -> String {
        self.shown()
            .map(|(p, v)| format!("/{}={v}", p.name()))
            .collect()
    }
}

/// The `[bench cfg]` line every run prints (ARCHITECTURE.md's contract):
/// `[bench cfg] RON_TLS_FLUSH_THRESHOLD=<v>, burst=<B>, fanout=<N>, cap=<C>`, then every other
/// knob that differs from its neutral value (`pub_yield=1`, `payload=16`).
pub fn bench_cfg_line(p: &CellParams) -> String {
    let mut parts = vec![format!("{}={}", TLS_FLUSH_THRESHOLD.var, p.tls_thresh)];
    for (param, v) in p.shown() {
        if param != Param::TlsThresh && param.knob().is_some() {
            parts.push(format!("{param}={v}"));
        }
    }
    format!("[bench cfg] {}", parts.join(", "))
}

#[cfg(test)]
mod tests;
