//! `ron-bench calibrate` (default): the quality of the default gate (`change` policy) on this
//! machine, measured with real code-path slowdowns.
//!
//! 1. **Size** ([`size_injections`]): the cost of one publish (`steady`, 1 idle subscriber)
//!    and of one delivery (`delivery`) from a short run of the plain build, and the cost of
//!    one spin of `ron_comparables::inject::spin`, timed here; `x%` of a path is
//!    `x / 100 * cost / ns_per_spin` spins.
//! 2. **Measure** (one interleaved run): every time cell of the policy in the plain build and
//!    in a twin of it (A/A), and the cells each slowdown touches in builds with the slowdown
//!    compiled into the ron-bus adapter (publish: `steady`, `burst_fanout`, `latency`;
//!    delivery: `delivery`, `lag_recover`, `burst_fanout`, `latency`). With valgrind, the
//!    instruction-count cells the same way in a short callgrind run.
//! 3. **Replay** ([`crate::gate::trials`]): a trial is one whole default-gate run (looks,
//!    per-look alpha, BH) on rounds drawn without replacement; a slowdown trial uses the
//!    slowed build where the slowdown reaches and the twin elsewhere. A/A: resampled trials
//!    plus independent ones on disjoint rounds.
//! 4. **Report and store** `baselines/calibration/change-<machine class>.json` (a mock run stores under
//!    `reports/` so it never replaces the committed measurement).

use super::args::{CalibrateArgs, RunArgs};
use super::config::RunConfig;
use super::run::measure;
use super::CommandOutcome;
use crate::gate::jobs::{candidate_cells, Defaults};
use crate::gate::sequential::Schedule;
use crate::gate::trials::{rates, run_trial, CheckData, TrialRates};
use crate::gate::PolicyChoice;
use crate::runner::Plan;
use crate::spec::{Build, Cell, InjectPath, Injection, JobKey, Measure, Sampling};
use crate::store::fingerprint::available_cores;
use crate::store::{Machine, RunFile};
use crate::Scenario;
use anyhow::{bail, Context};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use ron_bench_report::analysis::{AnalysisConfig, MetricKind};
use ron_bench_report::policy::{GateSpec, Policy};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Schema of the stored gate calibration.
pub const GATE_CALIBRATION_SCHEMA: &str = "ron-bench/gate-calibration/v1";

/// Result of one slowdown level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Detection {
    /// `publish` or `deliver`.
    pub path: String,
    /// Nominal slowdown of the path, percent of its cost.
    pub nominal_pct: f64,
    /// Spin iterations per operation on average (`spins / every`).
    pub spins_per_op: f64,
    /// Slowdown measured on the path's own single-thread cell (paired median), percent.
    pub measured_pct: f64,
    /// Instruction-count change on the path's own cell, percent (with valgrind).
    pub count_change_pct: Option<f64>,
    /// Whole-gate trials: share that failed (exit 1), share of checks inconclusive.
    pub trials: TrialRates,
}

/// The stored calibration of the default gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GateCalibration {
    /// [`GATE_CALIBRATION_SCHEMA`].
    pub schema: String,
    /// When (UTC).
    pub created_utc: String,
    /// The machine class it holds for.
    pub machine: Machine,
    /// Rounds measured per (cell, build).
    pub rounds: u32,
    /// Instruction counts were part of the trials.
    pub with_counts: bool,
    /// ns per publish and per delivery of the plain build.
    pub ns_per_publish: f64,
    /// ns per delivery.
    pub ns_per_delivery: f64,
    /// ns per injected spin.
    pub ns_per_spin: f64,
    /// A/A, resampled trials.
    pub aa_resampled: TrialRates,
    /// A/A, independent trials on disjoint rounds.
    pub aa_independent: TrialRates,
    /// One entry per path and level.
    pub detection: Vec<Detection>,
}

impl GateCalibration {
    /// One line for reports: `calibration (this machine class, 2026-12-02): ...`.
    pub fn summary(&self) -> String {
        let det = |path: &str, pct: f64| {
            self.detection
                .iter()
                .find(|d| d.path == path && (d.nominal_pct - pct).abs() < 1e-9)
                .map_or("-".into(), |d| {
                    format!("{:.0}%", d.trials.fail_rate * 100.0)
                })
        };
        format!(
            "calibration of the default gate on this machine class ({}; {}): A/A false-fail {:.1}% \
             of {} resampled + {} independent runs, inconclusive {:.1}% of checks; detection \
             publish 2/5/10%: {}/{}/{}, delivery 2/5/10%: {}/{}/{} (`ron-bench calibrate`)",
            self.machine.class_label(),
            crate::store::short(&self.created_utc, 10),
            self.aa_resampled.fail_rate * 100.0,
            self.aa_resampled.trials,
            self.aa_independent.trials,
            self.aa_resampled.inconclusive_rate * 100.0,
            det("publish", 2.0),
            det("publish", 5.0),
            det("publish", 10.0),
            det("deliver", 2.0),
            det("deliver", 5.0),
            det("deliver", 10.0),
        )
    }
}

/// The directory calibrations of the default gate live in (`mock`: under `reports/`, so a
/// synthetic calibration never replaces the committed measurement in `baselines/`).
fn calibration_dir(ws: &Path, baseline_dir: Option<&Path>, mock: bool) -> PathBuf {
    if mock {
        return ws.join("reports").join("calibration");
    }
    baseline_dir
        .map_or_else(|| ws.join("baselines"), Path::to_path_buf)
        .join("calibration")
}

/// Where the calibration of the default gate on `machine`'s class is stored:
/// `calibration/change-<class>.json` ([`Machine::class_key`]), one file per kind of machine.
pub fn stored_path(
    ws: &Path,
    baseline_dir: Option<&Path>,
    mock: bool,
    machine: &Machine,
) -> PathBuf {
    calibration_dir(ws, baseline_dir, mock).join(format!("change-{}.json", machine.class_key()))
}

/// The stored calibration of this machine class (the keyed file, else an older ron-bench's
/// unkeyed `change.json` when it is from this kind of machine).
pub fn stored(ws: &Path, baseline_dir: Option<&Path>, mock: bool) -> Option<GateCalibration> {
    let here = Machine::capture();
    let legacy = calibration_dir(ws, baseline_dir, mock).join("change.json");
    [stored_path(ws, baseline_dir, mock, &here), legacy]
        .iter()
        .find_map(|p| {
            let text = crate::store::read_regular(p).ok()?;
            let c: GateCalibration = serde_json::from_str(&text).ok()?;
            (c.schema == GATE_CALIBRATION_SCHEMA && c.machine.same_kind(&here)).then_some(c)
        })
}

/// The settings of one calibration.
struct Setup {
    policy: Policy,
    defaults: Defaults,
    base_cfg: RunConfig,
    plain: Build,
    twin: Build,
    levels: Vec<f64>,
    rounds: u32,
    sampling: Sampling,
    schedule: Schedule,
    resampled: usize,
    analysis: AnalysisConfig,
    seed: u64,
    counts: bool,
}

impl Setup {
    fn new(
        args: &CalibrateArgs,
        env: &dyn Fn(&str) -> Option<String>,
        ws: &Path,
    ) -> anyhow::Result<Setup> {
        let levels = super::calibrate::parse_slowdowns(&args.slowdown)?;
        let policy = PolicyChoice::CHANGE.load()?;
        let base_cfg = RunConfig::new(&RunArgs::default(), env, ws)?;
        let defaults = Defaults::of_matrix(&base_cfg.matrix, 0, true, Measure::Time);
        let features = vec!["bus_batch".to_string()];
        let plain = Build::new(features.clone());
        let twin = Build {
            label: format!("{}~aa", plain.label),
            ..plain.clone()
        };
        let (rounds, sampling, resampled) = if args.quick {
            let s = Sampling {
                rounds: 0,
                samples: 2,
                warmup_ms: 0,
                window_ms: 1,
            };
            (args.rounds.unwrap_or(24), s, 20)
        } else {
            (args.rounds.unwrap_or(36), Sampling::GATE_QUICK, 200)
        };
        if rounds < 12 {
            bail!(
                "--rounds {rounds}: a replayed gate run needs at least its first look (12 rounds)"
            );
        }
        let mut analysis = AnalysisConfig::default();
        analysis.compare.resamples = if args.quick { 200 } else { 1000 };
        let mock = base_cfg.mock;
        Ok(Setup {
            policy,
            defaults,
            plain,
            twin,
            levels,
            rounds,
            sampling,
            schedule: Schedule {
                budget_ms: u64::MAX,
                max_looks: 5,
                first_rounds: 12,
                min_rounds: 4,
            },
            resampled,
            analysis,
            seed: args.seed.unwrap_or(0x5eed_ca1b),
            counts: mock || crate::runner::process::find_valgrind().is_ok(),
            base_cfg,
        })
    }

    /// (gate, its cell) for every gate of the policy measured by `measure`.
    fn gate_cells(&self, counts: bool) -> Vec<(GateSpec, Cell)> {
        self.policy
            .gates
            .iter()
            .filter(|g| (g.metric == MetricKind::InstructionsPerMsg) == counts)
            .filter_map(|g| {
                let c = candidate_cells(g, &self.defaults).into_iter().next()?;
                Some((g.clone(), c))
            })
            .collect()
    }

    fn injected(&self, (path, spins, every): (InjectPath, u64, u64)) -> Build {
        Build::injected(
            self.plain.features.clone(),
            Injection { path, spins, every },
        )
    }
}

/// Whether a slowdown of `path` reaches `scenario`'s measured code.
fn reaches(path: InjectPath, scenario: Scenario) -> bool {
    match path {
        InjectPath::Publish => matches!(
            scenario,
            Scenario::Steady | Scenario::BurstFanout | Scenario::Latency
        ),
        InjectPath::Deliver => matches!(
            scenario,
            Scenario::Delivery | Scenario::LagRecover | Scenario::BurstFanout | Scenario::Latency
        ),
    }
}

pub(super) fn calibrate_gate(
    args: &CalibrateArgs,
    env: &dyn Fn(&str) -> Option<String>,
    ws: &Path,
) -> anyhow::Result<CommandOutcome> {
    let started = Instant::now();
    let s = Setup::new(args, env, ws)?;
    info!(
        "ron-bench calibrate: the default gate (policy change) with real code-path slowdowns \
         of {:?}% of publish and of delivery, {} rounds",
        s.levels, s.rounds
    );
    let sizes = size_injections(&s, ws)?;
    let injections = injection_builds(&s, &sizes);
    let time = measure_cells(&s, ws, &s.gate_cells(false), &injections, Measure::Time)?;
    let counts = if s.counts {
        Some(measure_cells(
            &s,
            ws,
            &s.gate_cells(true),
            &injections,
            Measure::Instructions,
        )?)
    } else {
        println!("note: valgrind is not on PATH: trials use time checks only");
        None
    };
    let c = score(&s, &sizes, &injections, &time, counts.as_ref());
    print_result(&c);
    let path = stored_path(
        ws,
        args.dir.baseline_dir.as_deref(),
        s.base_cfg.mock,
        &c.machine,
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    crate::store::write_json_atomic(&path, &c)
        .with_context(|| format!("cannot store the calibration at {}", path.display()))?;
    println!(
        "stored: {} ({:.0} s)",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(CommandOutcome::Success)
}

/// Per-op costs and the cost of one spin.
struct Sizes {
    ns_per_publish: f64,
    ns_per_delivery: f64,
    ns_per_spin: f64,
}

fn size_injections(s: &Setup, ws: &Path) -> anyhow::Result<Sizes> {
    let cells: Vec<(GateSpec, Cell)> = s
        .gate_cells(false)
        .into_iter()
        .filter(|(g, _)| g.id == "T-publish-1" || g.id == "T-delivery")
        .collect();
    let run = measure_cells(s, ws, &cells, &[], Measure::Time)?;
    let median_rate = |id: &str, m: MetricKind| {
        let rec = run
            .cells
            .iter()
            .find(|c| c.id == id && c.build == s.plain.label);
        let mut v: Vec<f64> = rec
            .and_then(|c| {
                crate::series::metric_values(c)
                    .into_iter()
                    .find(|(k, _)| *k == m)
            })
            .map(|(_, v)| v)
            .unwrap_or_default();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let id = |g: &str| {
        cells
            .iter()
            .find(|(x, _)| x.id == g)
            .map(|(_, c)| c.id.clone())
    };
    let publish = median_rate(
        &id("T-publish-1").unwrap_or_default(),
        MetricKind::PublishesPerSec,
    );
    let deliver = median_rate(
        &id("T-delivery").unwrap_or_default(),
        MetricKind::DeliveriesPerSec,
    );
    if publish <= 0.0 || deliver <= 0.0 {
        bail!("calibrate: the sizing run measured no publish or delivery rate");
    }
    let spins: u64 = 20_000_000;
    let t = Instant::now();
    ron_comparables::inject::spin(spins);
    let ns_per_spin = if s.base_cfg.mock {
        crate::runner::mock::NS_PER_SPIN
    } else {
        (t.elapsed().as_nanos() as f64 / spins as f64).max(0.05)
    };
    let sizes = Sizes {
        ns_per_publish: 1e9 / publish,
        ns_per_delivery: 1e9 / deliver,
        ns_per_spin,
    };
    info!(
        "sizing: {:.1} ns per publish (1 idle subscriber), {:.2} ns per delivery, {:.3} ns per spin",
        sizes.ns_per_publish, sizes.ns_per_delivery, sizes.ns_per_spin
    );
    Ok(sizes)
}

/// Whole spins per injection and the period that make `spins_per_op` on average: below one
/// spin per operation, one spin every K operations (K = round(1 / spins_per_op)).
fn dose(spins_per_op: f64) -> (u64, u64) {
    if spins_per_op >= 1.0 {
        (spins_per_op.round() as u64, 1)
    } else {
        (1, (1.0 / spins_per_op.max(1e-3)).round().max(1.0) as u64)
    }
}

/// `(path, nominal %, build)` for every level, publish then delivery.
fn injection_builds(s: &Setup, z: &Sizes) -> Vec<(InjectPath, f64, Build)> {
    let mut out = Vec::new();
    for (path, cost) in [
        (InjectPath::Publish, z.ns_per_publish),
        (InjectPath::Deliver, z.ns_per_delivery),
    ] {
        for &pct in &s.levels {
            let (spins, every) = dose(pct / 100.0 * cost / z.ns_per_spin);
            out.push((path, pct, s.injected((path, spins, every))));
        }
    }
    out
}

/// One interleaved run: each cell in the plain and twin builds, and in every injected build
/// whose slowdown reaches it.
fn measure_cells(
    s: &Setup,
    ws: &Path,
    cells: &[(GateSpec, Cell)],
    injections: &[(InjectPath, f64, Build)],
    measure_kind: Measure,
) -> anyhow::Result<RunFile> {
    let mut builds = vec![s.plain.clone(), s.twin.clone()];
    builds.extend(injections.iter().map(|(_, _, b)| b.clone()));
    let mut jobs = Vec::new();
    for (ci, (_, cell)) in cells.iter().enumerate() {
        jobs.push(JobKey { cell: ci, build: 0 });
        jobs.push(JobKey { cell: ci, build: 1 });
        for (bi, (path, _, _)) in injections.iter().enumerate() {
            if reaches(*path, cell.scenario) {
                jobs.push(JobKey {
                    cell: ci,
                    build: bi + 2,
                });
            }
        }
    }
    let sampling = match measure_kind {
        Measure::Time => Sampling {
            rounds: if injections.is_empty() { 5 } else { s.rounds },
            ..s.sampling
        },
        Measure::Instructions => Sampling {
            rounds: super::against::COUNT_ROUNDS,
            ..Sampling::INSTRUCTIONS
        },
    };
    let mut matrix = s.base_cfg.matrix.clone();
    matrix.builds = builds;
    matrix.sampling = sampling;
    matrix.measure = measure_kind;
    matrix.scenarios = cells.iter().map(|(_, c)| c.scenario).collect();
    let cell_list: Vec<Cell> = cells.iter().map(|(_, c)| c.clone()).collect();
    let plan = Plan::from_jobs(matrix, cell_list, jobs, available_cores());
    info!(
        "measure ({measure_kind:?}): {} cells, {} builds, {} process runs",
        plan.cells.len(),
        plan.matrix.builds.len(),
        plan.order.len()
    );
    measure(
        &plan,
        ws,
        s.base_cfg.mock,
        s.base_cfg.knobs.clone(),
        Vec::new(),
    )
}

/// The per-round values of `gate`'s metric in `build` (empty when not measured).
fn values_of(run: &RunFile, cell: &Cell, build: &Build, m: MetricKind) -> Vec<f64> {
    run.cells
        .iter()
        .find(|c| c.id == cell.id && c.build == build.label)
        .and_then(|c| {
            crate::series::metric_values(c)
                .into_iter()
                .find(|(k, _)| *k == m)
        })
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// The trial checks: the plain build against `slowed` where `path` reaches, else the twin.
fn checks_for(
    s: &Setup,
    time: &RunFile,
    counts: Option<&RunFile>,
    slowed: Option<(InjectPath, &Build)>,
) -> Vec<CheckData> {
    let mut out = Vec::new();
    let sources = [(false, Some(time)), (true, counts)];
    for (is_count, run) in sources {
        let Some(run) = run else { continue };
        for (g, cell) in s.gate_cells(is_count) {
            let new_build = match slowed {
                Some((p, b)) if reaches(p, cell.scenario) => b,
                _ => &s.twin,
            };
            out.push(CheckData {
                rule: g.rule(),
                metric: g.metric.metric(),
                base: values_of(run, &cell, &s.plain, g.metric),
                new: values_of(run, &cell, new_build, g.metric),
            });
        }
    }
    out.retain(|c| !c.base.is_empty() && c.base.len() == c.new.len());
    out
}

fn score(
    s: &Setup,
    z: &Sizes,
    injections: &[(InjectPath, f64, Build)],
    time: &RunFile,
    counts: Option<&RunFile>,
) -> GateCalibration {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let look = 12;
    let aa = checks_for(s, time, counts, None);
    let resampled: Vec<_> = (0..s.resampled)
        .map(|_| run_trial(&aa, &s.schedule, look, &s.analysis, &mut rng))
        .collect();
    let independent: Vec<_> = disjoint_blocks(&aa, s.rounds as usize)
        .iter()
        .map(|block| run_trial(block, &s.schedule, look, &s.analysis, &mut rng))
        .collect();
    let detection = injections
        .iter()
        .map(|(path, pct, build)| {
            let checks = checks_for(s, time, counts, Some((*path, build)));
            let trials: Vec<_> = (0..s.resampled.div_ceil(2))
                .map(|_| run_trial(&checks, &s.schedule, look, &s.analysis, &mut rng))
                .collect();
            let own = |run: &RunFile, m: MetricKind, id: &str| {
                let (_, cell) = s
                    .gate_cells(m == MetricKind::InstructionsPerMsg)
                    .into_iter()
                    .find(|(g, _)| g.id == id)?;
                let b = values_of(run, &cell, &s.plain, m);
                let n = values_of(run, &cell, build, m);
                (!b.is_empty() && b.len() == n.len())
                    .then(|| crate::calibrate::paired_slowdown_pct(&b, &n))
            };
            let (t_id, i_id, metric) = match path {
                InjectPath::Publish => ("T-publish-1", "I-publish-1", MetricKind::PublishesPerSec),
                InjectPath::Deliver => ("T-delivery", "I-delivery", MetricKind::DeliveriesPerSec),
            };
            Detection {
                path: path.name().into(),
                nominal_pct: *pct,
                spins_per_op: build.inject.map_or(0.0, |i| i.spins_per_op()),
                measured_pct: own(time, metric, t_id).unwrap_or(f64::NAN),
                count_change_pct: counts
                    .and_then(|c| own(c, MetricKind::InstructionsPerMsg, i_id))
                    .map(|p| -p),
                trials: rates(&trials),
            }
        })
        .collect();
    GateCalibration {
        schema: GATE_CALIBRATION_SCHEMA.into(),
        created_utc: crate::store::now_utc(),
        machine: Machine::capture(),
        rounds: s.rounds,
        with_counts: counts.is_some(),
        ns_per_publish: z.ns_per_publish,
        ns_per_delivery: z.ns_per_delivery,
        ns_per_spin: z.ns_per_spin,
        aa_resampled: rates(&resampled),
        aa_independent: rates(&independent),
        detection,
    }
}

/// Splits time checks into disjoint blocks of the rounds a full gate run would use at most
/// (`5 looks x 12`, capped by what was measured): each block is an independent A/A trial.
fn disjoint_blocks(checks: &[CheckData], rounds: usize) -> Vec<Vec<CheckData>> {
    let per = 24.min(rounds);
    (0..rounds / per)
        .map(|b| {
            checks
                .iter()
                .map(|c| {
                    let take = |v: &[f64]| {
                        if v.len() < rounds {
                            v.to_vec() // deterministic counts: every round is the same
                        } else {
                            v[b * per..(b + 1) * per].to_vec()
                        }
                    };
                    CheckData {
                        base: take(&c.base),
                        new: take(&c.new),
                        ..c.clone()
                    }
                })
                .collect()
        })
        .collect()
}

fn print_result(c: &GateCalibration) {
    println!("\n{}", c.summary());
    println!(
        "A/A: false-fail {:.1}% of {} resampled gate runs ({:.1}% of {} independent), \
         inconclusive {:.1}% of checks, {:.1} looks on average",
        c.aa_resampled.fail_rate * 100.0,
        c.aa_resampled.trials,
        c.aa_independent.fail_rate * 100.0,
        c.aa_independent.trials,
        c.aa_resampled.inconclusive_rate * 100.0,
        c.aa_resampled.mean_looks
    );
    println!(
        "path     nominal  spins/op  measured (time)  count change  detected (exit 1)  inconclusive"
    );
    for d in &c.detection {
        println!(
            "{:<8} {:>6.0}%  {:>8.2}  {:>14.1}%  {:>12}  {:>16.0}%  {:>11.1}%",
            d.path,
            d.nominal_pct,
            d.spins_per_op,
            d.measured_pct,
            d.count_change_pct
                .map_or("-".into(), |p| format!("{p:+.2}%")),
            d.trials.fail_rate * 100.0,
            d.trials.inconclusive_rate * 100.0
        );
    }
}
