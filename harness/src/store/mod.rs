//! Versioned run and baseline files.
//!
//! # `ron-bench/run/v1`
//!
//! A [`RunFile`] is everything one `ron-bench run` measured, self-describing enough to be
//! compared on another day or machine:
//!
//! * `schema` (`"ron-bench/run/v1"`), `tool_version`, `created_utc`, `wall_ms`, `executor`
//!   (`process`, or `mock` for the test seam);
//! * `env`: git sha + dirty flag, rustc version, target triple, Cargo.lock sha256 and the
//!   machine fingerprint (CPU model, cores, memory, OS, kernel, governor) — see [`Environment`];
//! * `matrix`: the exact [`Matrix`] (scenarios, contenders, knob lists, builds, sampling);
//!   `knobs`: each knob's values and where they came from;
//! * `builds`: label, features and the runner binary's sha256;
//! * `cells`: one [`CellRecord`] per (cell id, build): id, scenario, contender, build, params,
//!   the [`RoundRecord`] of every process run (run-level values, cpu, peak RSS, counter
//!   deltas, raw samples) and a [`CellSummary`] over the rounds;
//! * `skipped`: cells not run, each with the reason; `warnings`: e.g. oversubscribed cores.
//!
//! Units are canonical and in the field names (`_ns`, `_bytes`, `_per_sec`). A new
//! incompatible layout gets a new schema string; readers reject schemas they do not know.
//!
//! # `ron-bench/baseline/v1`
//!
//! A [`Baseline`] is a named, saved run: `schema`, `name`, `saved_utc`, `source` (the run
//! file it came from) and the whole `run`; optionally `imported` (criterion benchmarks, see
//! `ron-bench import criterion`) and `calibration` (see `ron-bench calibrate`).

pub mod baseline;
pub mod fingerprint;
mod io;
pub mod merge;
pub mod validate;
pub mod write;

pub use fingerprint::{Environment, Machine};
pub use io::{
    check_writable_dir, load_baseline, load_run, load_shard, read_regular, write_json_atomic,
    write_json_new, StoreError,
};

use crate::spec::knobs::KnobSetting;
use crate::spec::{Build, CellParams, Matrix};
use crate::stats::SummaryRecord;
use crate::{ContenderId, Scenario};
use ron_bench_runner::protocol::{Counters, SampleLine};
use ron_comparables::workloads::LatencyNs;
use serde::{Deserialize, Serialize};

/// Schema id of run files.
pub const RUN_SCHEMA: &str = "ron-bench/run/v1";
/// Schema id of baseline files.
pub const BASELINE_SCHEMA: &str = "ron-bench/baseline/v1";

/// One `ron-bench run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunFile {
    /// [`RUN_SCHEMA`].
    pub schema: String,
    /// ron-bench version that wrote the file.
    pub tool_version: String,
    /// Start of the run, RFC 3339 UTC.
    pub created_utc: String,
    /// Wall time of the whole run (builds included).
    pub wall_ms: u64,
    /// `process` (real runner binaries) or `mock` (test seam; numbers are synthetic).
    pub executor: String,
    /// Where it ran.
    pub env: Environment,
    /// The exact matrix.
    pub matrix: Matrix,
    /// Knob values and their sources.
    pub knobs: Vec<KnobSetting>,
    /// Runner builds.
    pub builds: Vec<BuildRecord>,
    /// Measured cells, in expansion order (builds innermost).
    pub cells: Vec<CellRecord>,
    /// Cells not measured, with reasons.
    pub skipped: Vec<SkippedCell>,
    /// Run-level warnings (also printed).
    pub warnings: Vec<String>,
    /// The slice of the matrix this run measured (`run --shard I/N`); `None` for a whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::spec::shard::Shard>,
    /// The shard run files a merged run was combined from (`ron-bench merge`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// A runner build as used by the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BuildRecord {
    /// The build.
    #[serde(flatten)]
    pub build: Build,
    /// sha256 of the runner binary (None for the mock executor).
    pub runner_sha256: Option<String>,
}

/// All process runs of one (cell, build).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CellRecord {
    /// Cell id (without the build; see `build`).
    pub id: String,
    /// Workload shape.
    pub scenario: Scenario,
    /// Channel under test.
    pub contender: ContenderId,
    /// Build label.
    pub build: String,
    /// Parameters.
    pub params: CellParams,
    /// `fanout + 1` threads exceed the available cores.
    pub oversubscribed: bool,
    /// One record per process run, in round order.
    pub rounds: Vec<RoundRecord>,
    /// SummaryRecord over the rounds' run-level values.
    pub summary: CellSummary,
}

/// One process run (one round of one cell in one build).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoundRecord {
    /// Round index (0-based).
    pub round: u32,
    /// Position of this process run in the whole run's execution order (0-based).
    pub seq: u32,
    /// Units (bursts or messages) per sample chosen by calibration.
    pub units_per_sample: u64,
    /// Run-level values: medians of this process's samples.
    pub values: RunValues,
    /// User + system CPU time over the sampling phase.
    pub cpu_ns: u64,
    /// Wall time of the sampling phase.
    pub wall_ns: u64,
    /// Peak RSS of the process.
    pub peak_rss_bytes: u64,
    /// Bus counter deltas over the sampling phase.
    pub counters: Counters,
    /// Raw samples.
    pub samples: Vec<SampleLine>,
    /// Instructions counted by callgrind inside the sampled calls (`--measure instructions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<u64>,
}

/// The run-level values of one process run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunValues {
    /// Median over samples of published / elapsed.
    pub publishes_per_sec: f64,
    /// Median over samples of delivered / elapsed (all subscribers; delivered messages only).
    pub deliveries_per_sec: f64,
    /// Median over samples of delivered / (published x subscribers).
    pub delivered_ratio: f64,
    /// Messages published, summed over samples.
    pub published: u64,
    /// Messages delivered, summed over samples and subscribers.
    pub delivered: u64,
    /// Messages lost, summed over samples and subscribers.
    pub lagged: u64,
    /// Every sample satisfied `delivered + lagged == published` per subscriber.
    pub accounting_ok: bool,
    /// Latency percentiles: per field, the median over samples (latency scenario only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ns: Option<LatencyNs>,
    /// Instructions per published message, all samples together (`--measure instructions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_per_msg: Option<f64>,
}

/// Summaries over the rounds of one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CellSummary {
    /// Of `publishes_per_sec`.
    pub publishes_per_sec: SummaryRecord,
    /// Of `deliveries_per_sec`.
    pub deliveries_per_sec: SummaryRecord,
    /// Of `delivered_ratio`.
    pub delivered_ratio: SummaryRecord,
    /// Of `lagged`.
    pub lagged: SummaryRecord,
    /// Of `cpu_ns`.
    pub cpu_ns: SummaryRecord,
    /// Of `peak_rss_bytes`.
    pub peak_rss_bytes: SummaryRecord,
    /// Of each latency percentile (latency scenario only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ns: Option<LatencySummary>,
}

/// Summaries of latency percentiles over rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencySummary {
    /// p50.
    pub p50: SummaryRecord,
    /// p90.
    pub p90: SummaryRecord,
    /// p95.
    pub p95: SummaryRecord,
    /// p99.
    pub p99: SummaryRecord,
    /// p99.9.
    pub p999: SummaryRecord,
}

/// A cell not measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SkippedCell {
    /// Cell id.
    pub id: String,
    /// Build label.
    pub build: String,
    /// Why (missing feature, missing workload, the runner said so).
    pub reason: String,
}

/// A saved, named run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Baseline {
    /// [`BASELINE_SCHEMA`].
    pub schema: String,
    /// The baseline's name (its file stem).
    pub name: String,
    /// When it was saved, RFC 3339 UTC.
    pub saved_utc: String,
    /// The run file it was saved from.
    pub source: Option<String>,
    /// The run.
    pub run: RunFile,
    /// Benchmarks imported from criterion (`ron-bench import criterion`); the run then has no
    /// cells and records where and when the import happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<ron_bench_report::interop::ImportedBaseline>,
    /// The last `ron-bench calibrate --baseline NAME` result (false alarms, detection power).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<crate::calibrate::Calibration>,
}

/// Now as RFC 3339 UTC (second precision).
pub fn now_utc() -> String {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0);
    now.unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".into())
}

/// The first `n` characters of `s` (never splits a character: a hostile file's `git_sha`
/// may hold any text, and byte slicing would panic).
pub fn short(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// Now as a file-name stamp with millisecond resolution, e.g. `20261203T073053.123Z`.
pub fn file_stamp() -> String {
    let fmt = time::macros::format_description!(
        "[year][month][day]T[hour][minute][second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_else(|_| "unknown".into())
}

/// Writes `value` as a new file `<prefix>-<stamp>.json` in `dir` and returns its path. Two
/// writers in the same millisecond never share a file: the loser takes the next free
/// `-2`, `-3`, ... suffix (the file is created exclusively, see [`write::write_new`]).
pub fn write_unique_json<T: Serialize>(
    dir: &std::path::Path,
    prefix: &str,
    value: &T,
) -> Result<std::path::PathBuf, StoreError> {
    let stamp = file_stamp();
    let mut n = 1u32;
    loop {
        let name = if n == 1 {
            format!("{prefix}-{stamp}.json")
        } else {
            format!("{prefix}-{stamp}-{n}.json")
        };
        let path = dir.join(name);
        match write_json_new(&path, value) {
            Err(StoreError::Written(write::WriteError::Exists { .. })) if n < 1000 => n += 1,
            r => return r.map(|()| path),
        }
    }
}

#[cfg(test)]
mod tests;
