//! Running a matrix: plan, build, interleave process runs, collect records.
//!
//! The measurement protocol itself (warm-up, windows, samples, counters, CPU, RSS) is
//! documented as a numbered list on the runner crate, `ron_bench_runner`. This module is the
//! parent side: [`Plan`] decides what runs in which order and what is skipped; an
//! [`Executor`] performs one process run (the real one spawns a runner binary, see
//! [`process`]; [`mock`] fakes one with a controllable cost); [`execute`] drives the
//! executor round by round and turns outputs into [`CellRecord`]s.

pub mod build;
pub mod mock;
pub mod process;
pub mod progress;
pub mod revision;

use crate::spec::{interleave, Build, Cell, JobKey, Matrix, Measure, Sampling};
use crate::stats::{median, SummaryRecord};
use crate::store::{CellRecord, CellSummary, LatencySummary, RoundRecord, RunValues, SkippedCell};
use progress::Progress;
use ron_bench_runner::{Done, Hello, Request, SampleLine};
use ron_comparables::workloads::LatencyNs;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use thiserror::Error;

/// What one process run produced.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    /// It measured.
    Ran(RunOutput),
    /// The runner declined (feature or workload missing in that build).
    Skipped(String),
}

/// The parsed output of a runner process.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// First line.
    pub hello: Hello,
    /// Samples in order.
    pub samples: Vec<SampleLine>,
    /// Last line.
    pub done: Done,
    /// Instructions callgrind counted inside the sampled calls (`--measure instructions`).
    pub instructions: Option<u64>,
}

/// One process run to perform.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    /// The cell.
    pub cell: &'a Cell,
    /// Which build (index into the matrix's builds).
    pub build_index: usize,
    /// The build.
    pub build: &'a Build,
    /// Round (0-based).
    pub round: u32,
    /// Position in the execution order (0-based).
    pub seq: u32,
    /// The runner's command line.
    pub request: Request,
}

/// A process run that failed (a tool error: exit code 2).
#[derive(Debug, Error)]
pub enum ExecError {
    /// The runner binary could not be started.
    #[error("cannot start runner {bin}: {source}")]
    Spawn {
        /// The binary.
        bin: String,
        /// Why.
        source: std::io::Error,
    },
    /// The runner exited unsuccessfully.
    #[error("runner failed on {cell} [{build}] round {round} ({status}): {stderr}")]
    Failed {
        /// Cell id.
        cell: String,
        /// Build label.
        build: String,
        /// Round.
        round: u32,
        /// Exit status.
        status: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// The runner printed something that is not the protocol.
    #[error("runner output for {cell} [{build}] is not ron-bench/runner/v1: {message}")]
    Protocol {
        /// Cell id.
        cell: String,
        /// Build label.
        build: String,
        /// What was wrong.
        message: String,
    },
}

/// Why [`execute`] stopped early.
#[derive(Debug, Error)]
pub enum RunError {
    /// Ctrl-C.
    #[error("interrupted by Ctrl-C after {done} of {total} process runs")]
    Interrupted {
        /// Process runs completed.
        done: usize,
        /// Process runs planned.
        total: usize,
    },
    /// A process run failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
}

/// Performs one process run.
pub trait Executor {
    /// Runs `job` to completion.
    fn execute(&mut self, job: &Job<'_>) -> Result<JobOutcome, ExecError>;
}

/// What a run will do, decided before anything is built or spawned.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The matrix.
    pub matrix: Matrix,
    /// Its cells, in expansion order.
    pub cells: Vec<Cell>,
    /// (cell, build) pairs that will run.
    pub runnable: Vec<JobKey>,
    /// (cell, build) pairs that will not, with reasons.
    pub skipped: Vec<SkippedCell>,
    /// Every process run in execution order (round, job).
    pub order: Vec<(u32, JobKey)>,
    /// Cores available to the runs.
    pub cores: usize,
}

impl Plan {
    /// Expands `matrix`, skips what cannot run (missing workload or feature) and orders
    /// the process runs (see [`interleave`]).
    pub fn new(matrix: Matrix, cores: usize) -> Plan {
        let cells = matrix.cells();
        let jobs = matrix.jobs(&cells);
        Plan::from_jobs(matrix, cells, jobs, cores)
    }

    /// Estimated wall time of the process runs, in ms (builds not included).
    pub fn estimated_ms(&self) -> u64 {
        self.order.len() as u64 * self.matrix.sampling.estimated_run_ms()
    }

    /// Whether `cell` runs more threads than there are cores.
    pub fn oversubscribed(&self, cell: &Cell) -> bool {
        cell.scenario.uses_threads() && cell.params.fanout as usize + 1 > self.cores
    }

    /// A plan of explicit (cell, build) jobs (e.g. what a gate policy needs), instead of the
    /// full cross product of `matrix`. `matrix` still supplies builds and sampling; `jobs`
    /// index into `cells` and `matrix.builds`. Jobs are deduplicated, order kept.
    pub fn from_jobs(matrix: Matrix, cells: Vec<Cell>, jobs: Vec<JobKey>, cores: usize) -> Plan {
        let mut runnable: Vec<JobKey> = Vec::new();
        let mut skipped = Vec::new();
        // A set, not `runnable.contains`: 100k cells would make the check quadratic.
        let mut seen: HashSet<JobKey> = HashSet::with_capacity(jobs.len());
        for job in jobs {
            if !seen.insert(job) {
                continue;
            }
            let (cell, build) = (&cells[job.cell], &matrix.builds[job.build]);
            match skip_reason(cell, build) {
                None => runnable.push(job),
                Some(reason) => skipped.push(SkippedCell {
                    id: cell.id.clone(),
                    build: build.label.clone(),
                    reason,
                }),
            }
        }
        let order = interleave(&runnable, matrix.sampling.rounds);
        Plan {
            matrix,
            cells,
            runnable,
            skipped,
            order,
            cores,
        }
    }

    /// Keeps only the jobs (and skips) of `shard` (see [`crate::spec::shard`]) and
    /// re-interleaves them: the same order an unsharded run would use, restricted to the slice.
    pub fn shard(mut self, shard: crate::spec::shard::Shard) -> Plan {
        let owner = crate::spec::shard::assign(&self.cells, shard.count);
        let mine = |cell: usize| owner[cell] == shard.index;
        self.runnable.retain(|j| mine(j.cell));
        let ids: HashSet<&String> = self
            .cells
            .iter()
            .enumerate()
            .filter(|(i, _)| mine(*i))
            .map(|(_, c)| &c.id)
            .collect();
        self.skipped.retain(|s| ids.contains(&s.id));
        self.order = interleave(&self.runnable, self.matrix.sampling.rounds);
        self
    }

    /// Builds that at least one runnable job uses (the others need not be compiled).
    pub fn builds_needed(&self) -> Vec<usize> {
        let used: HashSet<usize> = self.runnable.iter().map(|j| j.build).collect();
        (0..self.matrix.builds.len())
            .filter(|b| used.contains(b))
            .collect()
    }
}

fn skip_reason(cell: &Cell, build: &Build) -> Option<String> {
    if let Err(note) = cell.scenario.workload_available() {
        return Some(note.to_string());
    }
    match cell.scenario.required_feature() {
        Some(f) if !build.has(f) => Some(format!(
            "scenario `{}` needs feature `{f}`; build `{}` lacks it (add it with --features)",
            cell.scenario, build.label
        )),
        _ => ron_bench_runner::workload::cannot_run(cell.scenario, cell.contender, &cell.params)
            .map(|r| r.0),
    }
}

/// The runner command line for `cell` (`measure` instructions: fixed units per sample).
pub fn request_for(cell: &Cell, sampling: &Sampling, measure: Measure) -> Request {
    let p = &cell.params;
    let per_unit = if cell.scenario.uses_burst() {
        p.burst.unwrap_or(1).max(1)
    } else {
        1
    };
    let units = (measure == Measure::Instructions)
        .then(|| (Measure::INSTRUCTION_MESSAGES / per_unit).max(1));
    Request {
        scenario: cell.scenario,
        contender: cell.contender,
        params: *p,
        warmup_ms: sampling.warmup_ms,
        window_ms: sampling.window_ms,
        samples: sampling.samples,
        units,
    }
}

/// Results of a completed run.
#[derive(Debug, Clone, PartialEq)]
pub struct Collected {
    /// Measured (cell, build) records, in expansion order.
    pub cells: Vec<CellRecord>,
    /// Plan-time skips plus runner-reported skips.
    pub skipped: Vec<SkippedCell>,
}

/// Runs every process run of `plan` in order. Checks `stop` between process runs: when set
/// (Ctrl-C), returns [`RunError::Interrupted`] and nothing is kept.
pub fn execute(
    plan: &Plan,
    exec: &mut dyn Executor,
    progress: &mut dyn Progress,
    stop: &AtomicBool,
) -> Result<Collected, RunError> {
    let total = plan.order.len();
    let mut rounds: Vec<Vec<RoundRecord>> = vec![Vec::new(); plan.runnable.len()];
    let slot = |k: &JobKey| plan.runnable.iter().position(|r| r == k).expect("planned");
    let mut runner_skips: Vec<(usize, String)> = Vec::new();
    progress.started(total, plan.estimated_ms());
    for (seq, &(round, key)) in plan.order.iter().enumerate() {
        let interrupted = || RunError::Interrupted { done: seq, total };
        if stop.load(Ordering::SeqCst) {
            return Err(interrupted());
        }
        let i = slot(&key);
        if runner_skips.iter().any(|(s, _)| *s == i) {
            progress.finished_one(seq + 1, "skipped");
            continue;
        }
        let cell = &plan.cells[key.cell];
        let build = &plan.matrix.builds[key.build];
        let job = Job {
            cell,
            build_index: key.build,
            build,
            round,
            seq: seq as u32,
            request: request_for(cell, &plan.matrix.sampling, plan.matrix.measure),
        };
        let outcome = exec.execute(&job);
        // A Ctrl-C on a terminal also kills the child: report the interrupt, not the child.
        if stop.load(Ordering::SeqCst) {
            return Err(interrupted());
        }
        let line = match outcome? {
            JobOutcome::Ran(out) => {
                let rec = round_record(round, seq as u32, &out);
                let line = progress_line(&job, &rec);
                rounds[i].push(rec);
                line
            }
            JobOutcome::Skipped(reason) => {
                let line = format!("{} [{}]: skipped: {reason}", cell.id, build.label);
                runner_skips.push((i, reason));
                line
            }
        };
        progress.finished_one(seq + 1, &line);
    }
    progress.finish();
    Ok(collect(plan, rounds, runner_skips))
}

fn collect(
    plan: &Plan,
    rounds: Vec<Vec<RoundRecord>>,
    runner_skips: Vec<(usize, String)>,
) -> Collected {
    let mut skipped = plan.skipped.clone();
    let mut cells = Vec::new();
    for (i, (key, mut rs)) in plan.runnable.iter().zip(rounds).enumerate() {
        let cell = &plan.cells[key.cell];
        let build = &plan.matrix.builds[key.build].label;
        if let Some((_, reason)) = runner_skips.iter().find(|(s, _)| *s == i) {
            skipped.push(SkippedCell {
                id: cell.id.clone(),
                build: build.clone(),
                reason: reason.clone(),
            });
            continue;
        }
        rs.sort_by_key(|r| r.round);
        cells.push(CellRecord {
            id: cell.id.clone(),
            scenario: cell.scenario,
            contender: cell.contender,
            build: build.clone(),
            params: cell.params,
            oversubscribed: plan.oversubscribed(cell),
            summary: summarize(&rs),
            rounds: rs,
        });
    }
    Collected { cells, skipped }
}

fn progress_line(job: &Job<'_>, r: &RoundRecord) -> String {
    // Under valgrind the times are meaningless; the count is the measurement.
    if let Some(i) = r.values.instructions_per_msg {
        return format!(
            "round {} {} [{}]: {i:.1} instructions/msg, {:.1}% delivered",
            job.round + 1,
            job.cell.id,
            job.build.label,
            r.values.delivered_ratio * 100.0
        );
    }
    format!(
        "round {} {} [{}]: {:.3} M deliveries/s, {:.3} M publishes/s, {:.1}% delivered",
        job.round + 1,
        job.cell.id,
        job.build.label,
        r.values.deliveries_per_sec / 1e6,
        r.values.publishes_per_sec / 1e6,
        r.values.delivered_ratio * 100.0
    )
}

/// The run-level record of one process run: medians of its samples, sums of its counts.
pub fn round_record(round: u32, seq: u32, out: &RunOutput) -> RoundRecord {
    let s = &out.samples;
    let per_sec = |n: u64, ns: u64| {
        if ns == 0 {
            0.0
        } else {
            n as f64 * 1e9 / ns as f64
        }
    };
    let ratio = |x: &SampleLine| {
        let owed = x.published * x.subscribers;
        if owed == 0 {
            1.0
        } else {
            x.delivered as f64 / owed as f64
        }
    };
    let med = |f: &dyn Fn(&SampleLine) -> f64| median(&s.iter().map(f).collect::<Vec<_>>());
    let lat: Vec<LatencyNs> = s.iter().filter_map(|x| x.latency).collect();
    let lat_med = |f: fn(&LatencyNs) -> u64| {
        median(&lat.iter().map(|l| f(l) as f64).collect::<Vec<_>>()) as u64
    };
    RoundRecord {
        round,
        seq,
        units_per_sample: out.hello.units_per_sample,
        values: RunValues {
            // Single-thread samples carry their on-CPU share: time lost to other work on
            // the machine is not the code's cost (see `SampleLine::on_cpu_ppm`).
            publishes_per_sec: med(&|x| per_sec(x.published, x.on_cpu_elapsed_ns())),
            deliveries_per_sec: med(&|x| per_sec(x.delivered, x.on_cpu_elapsed_ns())),
            delivered_ratio: med(&ratio),
            published: s.iter().map(|x| x.published).sum(),
            delivered: s.iter().map(|x| x.delivered).sum(),
            lagged: s.iter().map(|x| x.lagged).sum(),
            accounting_ok: s.iter().all(|x| x.accounting_ok),
            instructions_per_msg: out.instructions.map(|i| {
                let n: u64 = s.iter().map(|x| x.published).sum();
                i as f64 / n.max(1) as f64
            }),
            latency_ns: (!lat.is_empty()).then(|| LatencyNs {
                p50: lat_med(|l| l.p50),
                p90: lat_med(|l| l.p90),
                p95: lat_med(|l| l.p95),
                p99: lat_med(|l| l.p99),
                p999: lat_med(|l| l.p999),
                max: lat.iter().map(|l| l.max).max().unwrap_or(0),
                count: lat.iter().map(|l| l.count).sum(),
            }),
        },
        cpu_ns: out.done.cpu_ns,
        wall_ns: out.done.wall_ns,
        peak_rss_bytes: out.done.peak_rss_bytes,
        counters: out.done.counters,
        samples: out.samples.clone(),
        instructions: out.instructions,
    }
}

/// Keeps the builds of each cell comparable: when one build's runner reported the on-CPU
/// share of its samples and another's did not (a base revision older than that), the share
/// is dropped from every build of the cell and the rates are recomputed from wall time.
pub fn equalize_on_cpu(run: &mut crate::store::RunFile) {
    let has = |c: &CellRecord| {
        c.rounds
            .iter()
            .all(|r| r.samples.iter().all(|s| s.on_cpu_ppm.is_some()))
    };
    let mixed: Vec<String> = run
        .cells
        .iter()
        .filter(|c| !has(c))
        .map(|c| c.id.clone())
        .collect();
    for c in run
        .cells
        .iter_mut()
        .filter(|c| mixed.contains(&c.id) && has(c))
    {
        for r in &mut c.rounds {
            for s in &mut r.samples {
                s.on_cpu_ppm = None;
            }
            let rate = |n: &dyn Fn(&SampleLine) -> u64| {
                let v: Vec<f64> = r
                    .samples
                    .iter()
                    .map(|s| n(s) as f64 * 1e9 / s.elapsed_ns.max(1) as f64)
                    .collect();
                median(&v)
            };
            r.values.publishes_per_sec = rate(&|s| s.published);
            r.values.deliveries_per_sec = rate(&|s| s.delivered);
        }
        c.summary = summarize(&c.rounds);
    }
}

/// Summaries over the rounds of one cell.
pub fn summarize(rounds: &[RoundRecord]) -> CellSummary {
    let of = |f: &dyn Fn(&RoundRecord) -> f64| {
        SummaryRecord::of(&rounds.iter().map(f).collect::<Vec<_>>())
    };
    let lats: Vec<LatencyNs> = rounds.iter().filter_map(|r| r.values.latency_ns).collect();
    let lat = |f: fn(&LatencyNs) -> u64| {
        SummaryRecord::of(&lats.iter().map(|l| f(l) as f64).collect::<Vec<_>>())
    };
    CellSummary {
        publishes_per_sec: of(&|r| r.values.publishes_per_sec),
        deliveries_per_sec: of(&|r| r.values.deliveries_per_sec),
        delivered_ratio: of(&|r| r.values.delivered_ratio),
        lagged: of(&|r| r.values.lagged as f64),
        cpu_ns: of(&|r| r.cpu_ns as f64),
        peak_rss_bytes: of(&|r| r.peak_rss_bytes as f64),
        latency_ns: (!lats.is_empty()).then(|| LatencySummary {
            p50: lat(|l| l.p50),
            p90: lat(|l| l.p90),
            p95: lat(|l| l.p95),
            p99: lat(|l| l.p99),
            p999: lat(|l| l.p999),
        }),
    }
}

#[cfg(test)]
mod tests;
