//! What to measure: knobs, builds, the matrix and its expansion into cells.
//!
//! Pure data and pure functions (no I/O except [`matrix_file::load`]).
//!
//! # Expansion order (pinned by a test; reports and interleaving rely on it)
//!
//! Scenarios in the order given; within a scenario the axes in [`NESTING`] order (`tls_thresh`,
//! `burst`, `fanout`, `cap`, `pub_yield`, `payload`; each in the order given), contenders
//! innermost. A parameter a scenario does not use is not expanded (`Scenario::axis`: `steady`
//! and `latency` ignore burst and pub_yield; `lagged` always runs at cap 1; `steady`'s fanout
//! is the idle-subscriber count 0, 1 and each requested fanout; only `delivery` sweeps
//! payload). Builds are crossed with cells last, see [`Matrix::jobs`].

pub mod features;
pub mod knobs;
pub mod matrix_file;
pub mod shard;

use crate::{ContenderId, Scenario};
use serde::{Deserialize, Serialize};

/// The scenarios of a run (and of a gate that names none): the seed's two benchmark shapes.
pub const DEFAULT_SCENARIOS: [Scenario; 2] = [Scenario::BurstFanout, Scenario::Steady];

/// The publish rate of the `latency` scenario (messages/s): below saturation on every
/// contender on a 2-core machine.
pub const DEFAULT_LATENCY_RATE: u64 = 100_000;

pub use ron_comparables::knobs::{CellParams, Param};

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// One measurable cell: scenario x contender x parameters (builds are a separate axis).
/// Build cells with [`Cell::new`], the one constructor, so id and params always agree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cell {
    /// `scenario/contender` then the shown parameters ([`CellParams::id_suffix`]).
    pub id: String,
    /// Workload shape.
    pub scenario: Scenario,
    /// Channel under test.
    pub contender: ContenderId,
    /// Parameters.
    pub params: CellParams,
}

impl Cell {
    /// The cell of `scenario` x `contender` at `params`, with every parameter the scenario
    /// does not use set to its neutral value (and a forced one, `lagged`'s cap 1, applied).
    pub fn new(scenario: Scenario, contender: ContenderId, params: CellParams) -> Cell {
        let mut params = params;
        for p in Param::ALL {
            if !scenario.uses(p) {
                params.set(p, None);
            }
        }
        if let Some(c) = scenario.fixed_cap() {
            params.cap = c;
        }
        if contender != ContenderId::Throttled {
            params.throttle_spins = 0;
        }
        Cell {
            id: format!("{scenario}/{contender}{}", params.id_suffix()),
            scenario,
            contender,
            params,
        }
    }
}

/// One runner build: a feature combo, of the working tree or of a git revision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Build {
    /// `none`, or the sorted features joined by `+` (also the cache directory name); a
    /// revision build is `base@<short sha>` followed by `+feature...` when it has features.
    pub label: String,
    /// Runner features (sorted, deduplicated).
    pub features: Vec<String>,
    /// The full commit sha this build is compiled from (a `git worktree` of it), or `None` for
    /// the working tree as it is (`gate --against`: the base side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rev: Option<String>,
    /// A calibration slowdown compiled into the ron-bus adapter (`ron-bench calibrate`
    /// only; see `ron_comparables::inject`). Never set by a gate or a run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inject: Option<Injection>,
}

/// Which hot path a calibration build slows down, and by how many spin iterations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Injection {
    /// The path.
    pub path: InjectPath,
    /// Spin iterations per injection.
    pub spins: u64,
    /// Operations per injection (1: every operation).
    pub every: u64,
}

impl Injection {
    /// The compile-time value (`N` or `N/K`, see `ron_comparables::inject`).
    pub fn value(&self) -> String {
        if self.every > 1 {
            format!("{}/{}", self.spins, self.every)
        } else {
            self.spins.to_string()
        }
    }

    /// Spin iterations per operation on average.
    pub fn spins_per_op(&self) -> f64 {
        self.spins as f64 / self.every.max(1) as f64
    }
}

/// A hot path calibration can slow down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InjectPath {
    /// Every publish.
    Publish,
    /// Every delivered message, on the receiving thread.
    Deliver,
}

impl InjectPath {
    /// `publish` or `deliver`.
    pub fn name(self) -> &'static str {
        match self {
            InjectPath::Publish => "publish",
            InjectPath::Deliver => "deliver",
        }
    }

    /// The compile-time variable the adapter reads.
    pub fn env_var(self) -> &'static str {
        match self {
            InjectPath::Publish => "RON_BENCH_INJECT_PUBLISH_SPINS",
            InjectPath::Deliver => "RON_BENCH_INJECT_DELIVER_SPINS",
        }
    }
}

impl Build {
    /// A build of the given features (sorted and deduplicated here).
    pub fn new(mut features: Vec<String>) -> Build {
        features.sort();
        features.dedup();
        let label = if features.is_empty() {
            "none".to_string()
        } else {
            features.join("+")
        };
        Build {
            label,
            features,
            rev: None,
            inject: None,
        }
    }

    /// The working-tree build with a calibration slowdown: label `<features>~<path><spins>`.
    pub fn injected(features: Vec<String>, inject: Injection) -> Build {
        let plain = Build::new(features);
        Build {
            label: format!(
                "{}~{}{}",
                plain.label,
                inject.path.name(),
                inject.value().replace('/', "per")
            ),
            inject: Some(inject),
            ..plain
        }
    }

    /// The same features compiled from commit `sha` (full sha): label `base@<12 hex>[+f...]`.
    pub fn at_rev(features: Vec<String>, sha: &str) -> Build {
        let head = Build::new(features);
        let short = crate::store::short(sha, 12);
        let label = if head.features.is_empty() {
            format!("base@{short}")
        } else {
            format!("base@{short}+{}", head.features.join("+"))
        };
        Build {
            label,
            rev: Some(sha.to_string()),
            ..head
        }
    }

    /// The working-tree build with the same features (a revision build's counterpart).
    pub fn head(&self) -> Build {
        Build::new(self.features.clone())
    }

    /// Whether the build has `feature`.
    pub fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }
}

/// Sampling settings shared by every process run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sampling {
    /// Process runs per (cell, build).
    pub rounds: u32,
    /// Samples per process run.
    pub samples: u32,
    /// Warm-up and calibration time per process run.
    pub warmup_ms: u64,
    /// Target duration of one sample.
    pub window_ms: u64,
}

impl Sampling {
    /// `--quick`: sized so the default matrix finishes in well under 3 minutes on 2 cores.
    pub const QUICK: Sampling = Sampling {
        rounds: 5,
        samples: 5,
        warmup_ms: 80,
        window_ms: 40,
    };
    /// `gate --quick` and `calibrate`: many short process runs. Process-to-process noise
    /// dominates here (FIELD_NOTES section 1; on the 2-core VM whole processes land in a
    /// fast or a slow mode), so precision comes from the number of interleaved process runs,
    /// not from their length.
    pub const GATE_QUICK: Sampling = Sampling {
        rounds: 20,
        samples: 3,
        warmup_ms: 40,
        window_ms: 20,
    };
    /// `--measure instructions`: counts are deterministic, so few short runs suffice; 8
    /// rounds because a paired rank test needs them to call even a clean shift significant
    /// after the false-discovery correction.
    pub const INSTRUCTIONS: Sampling = Sampling {
        rounds: 8,
        samples: 3,
        warmup_ms: 0,
        window_ms: 1,
    };
    /// `gate` without `--quick`.
    pub const GATE_FULL: Sampling = Sampling {
        rounds: 30,
        samples: 5,
        warmup_ms: 80,
        window_ms: 40,
    };
    /// The default: ten interleaved process runs of ten 100 ms samples.
    pub const FULL: Sampling = Sampling {
        rounds: 10,
        samples: 10,
        warmup_ms: 200,
        window_ms: 100,
    };

    /// Estimated wall time of one process run in ms: start-up, warm-up (which may run one
    /// window over while calibrating) and the samples, plus 10% for thread start/join.
    pub fn estimated_run_ms(&self) -> u64 {
        const PROCESS_OVERHEAD_MS: u64 = 25;
        let measure = self.window_ms * (u64::from(self.samples) + 1);
        PROCESS_OVERHEAD_MS + self.warmup_ms + measure + measure / 10
    }
}

/// What a process run measures.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Wall and CPU time: throughput, latency, CPU per message (the default).
    #[default]
    Time,
    /// Instructions per message under `valgrind --tool=callgrind` (single-thread scenarios;
    /// deterministic, so gates can use 1-2% tolerances).
    Instructions,
}

impl Measure {
    /// Whether this is the default.
    pub fn is_time(&self) -> bool {
        *self == Measure::Time
    }

    /// Messages per sample in instruction mode: enough that per-message counts are stable,
    /// few enough that callgrind (~50x slower) finishes a process run in about a second.
    pub const INSTRUCTION_MESSAGES: u64 = 20_000;
}

/// The exact matrix of a run (written into the run file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Matrix {
    /// Scenarios, in expansion order.
    pub scenarios: Vec<Scenario>,
    /// Contenders, in expansion order.
    pub contenders: Vec<ContenderId>,
    /// Burst sizes.
    pub bursts: Vec<u64>,
    /// Fanouts.
    pub fanouts: Vec<u64>,
    /// Capacities.
    pub caps: Vec<u64>,
    /// Publisher-yield settings.
    pub pub_yields: Vec<bool>,
    /// Per-thread metrics flush thresholds.
    pub tls_thresholds: Vec<u64>,
    /// Payload sizes in bytes (`delivery` only; omitted from run files at the default).
    #[serde(
        default = "default_payloads",
        skip_serializing_if = "is_default_payloads"
    )]
    pub payloads: Vec<u64>,
    /// The `latency` scenario's publish rate.
    pub latency_rate_per_sec: u64,
    /// Runner builds, in interleaving order.
    pub builds: Vec<Build>,
    /// Rounds, samples and windows.
    pub sampling: Sampling,
    /// Whether `--quick` chose the sampling.
    pub quick: bool,
    /// Extra spins per publish given to the `throttled` contender (`--throttle-spins`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub throttle_spins: u64,
    /// What each process run measures (`--measure`).
    #[serde(default, skip_serializing_if = "Measure::is_time")]
    pub measure: Measure,
}

/// The nesting order of the matrix axes, outermost first (contenders go innermost).
pub const NESTING: [Param; 6] = [
    Param::TlsThresh,
    Param::Burst,
    Param::Fanout,
    Param::Cap,
    Param::PubYield,
    Param::Payload,
];

fn default_payloads() -> Vec<u64> {
    vec![ron_comparables::knobs::DEFAULT_PAYLOAD]
}

fn is_default_payloads(v: &Vec<u64>) -> bool {
    *v == default_payloads()
}

/// One (cell, build) pair: what a process run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobKey {
    /// Index into [`Matrix::cells`].
    pub cell: usize,
    /// Index into [`Matrix::builds`].
    pub build: usize,
}

impl Matrix {
    /// Expands the matrix into cells (see the module docs for the order).
    pub fn cells(&self) -> Vec<Cell> {
        let base = CellParams {
            rate_per_sec: Some(self.latency_rate_per_sec),
            throttle_spins: self.throttle_spins,
            ..CellParams::default()
        };
        let mut out = Vec::new();
        for &scenario in &self.scenarios {
            let mut combos = vec![base];
            for p in NESTING {
                let values = scenario.axis(p, &self.axis(p));
                combos = combos
                    .into_iter()
                    .flat_map(|c| values.iter().map(move |v| c.with(p, *v)))
                    .collect();
            }
            for params in combos {
                for &contender in &self.contenders {
                    out.push(Cell::new(scenario, contender, params));
                }
            }
        }
        out
    }

    /// Every combination of the knob values, in [`NESTING`] order (what `[bench cfg]`
    /// lines list; cells are these points as each scenario uses them).
    pub fn knob_points(&self) -> Vec<CellParams> {
        let mut points = vec![CellParams::default()];
        for p in NESTING {
            let values = self.axis(p);
            points = points
                .into_iter()
                .flat_map(|c| values.iter().map(move |v| c.with(p, Some(*v))))
                .collect();
        }
        points
    }

    /// The values asked for knob parameter `p` (empty for parameters that are not axes).
    pub fn axis(&self, p: Param) -> Vec<u64> {
        match p {
            Param::Burst => self.bursts.clone(),
            Param::Fanout => self.fanouts.clone(),
            Param::Cap => self.caps.clone(),
            Param::Payload => self.payloads.clone(),
            Param::PubYield => self.pub_yields.iter().map(|b| u64::from(*b)).collect(),
            Param::TlsThresh => self.tls_thresholds.clone(),
            Param::Rate | Param::ThrottleSpins => Vec::new(),
        }
    }

    /// Sets the values of knob parameter `p` (ignored for parameters that are not axes).
    pub fn set_axis(&mut self, p: Param, values: Vec<u64>) {
        match p {
            Param::Burst => self.bursts = values,
            Param::Fanout => self.fanouts = values,
            Param::Cap => self.caps = values,
            Param::Payload => self.payloads = values,
            Param::PubYield => self.pub_yields = values.iter().map(|v| *v != 0).collect(),
            Param::TlsThresh => self.tls_thresholds = values,
            Param::Rate | Param::ThrottleSpins => {}
        }
    }

    /// Every (cell, build) pair: cells in expansion order, builds innermost, so the sides of
    /// every comparison (builds of one contender, then contenders) sit next to each other.
    pub fn jobs(&self, cells: &[Cell]) -> Vec<JobKey> {
        (0..cells.len())
            .flat_map(|cell| (0..self.builds.len()).map(move |build| JobKey { cell, build }))
            .collect()
    }
}

/// The process runs of a whole run, in execution order: round 0 runs `jobs` forward, round 1
/// backward, and so on (A B C, C B A, A B C, ...), so drift hits every side equally and no
/// side always runs first.
pub fn interleave(jobs: &[JobKey], rounds: u32) -> Vec<(u32, JobKey)> {
    let mut out = Vec::with_capacity(jobs.len() * rounds as usize);
    for round in 0..rounds {
        if round % 2 == 0 {
            out.extend(jobs.iter().map(|j| (round, *j)));
        } else {
            out.extend(jobs.iter().rev().map(|j| (round, *j)));
        }
    }
    out
}

#[cfg(test)]
mod tests;
