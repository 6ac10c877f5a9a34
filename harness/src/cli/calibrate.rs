//! `ron-bench calibrate`: the quick gate's A/A false-alarm rate and its detection power on
//! real injected slowdowns. The procedure is documented on [`crate::calibrate`].

use super::args::{BaselineDirArg, CalibrateArgs, RunArgs};
use super::config::RunConfig;
use super::output::{self, baseline_dir};
use super::run::measure;
use super::CommandOutcome;
use crate::calibrate::{
    blocks, paired_slowdown_pct, pick, spins_for, subsets, Calibration, SpinFit, CALIBRATION_SCHEMA,
};
use crate::gate::PolicyChoice;
use crate::runner::Plan;
use crate::spec::{features, Build, Cell, CellParams, JobKey, Matrix, Sampling};
use crate::store::fingerprint::available_cores;
use crate::store::{now_utc, Machine, RunFile};
use crate::{ContenderId, Scenario};
use anyhow::{bail, Context};
use ron_bench_report::analysis::{
    detection_rate, evaluate, false_alarm_rate, inject_slowdown, AnalysisConfig, Cell as ACell,
    Check, GateKind, MetricKind, Rule, Verdict,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Resampled trials per repeat (default run).
const RESAMPLED_TRIALS: usize = 200;
/// Guessed publisher cost of one throttle spin, only used to size the probe.
const GUESS_NS_PER_SPIN: f64 = 2.5;
/// Slowdown the probe aims for (a large one measures the slope precisely).
const PROBE_TARGET: f64 = 0.15;
/// Secant refinement steps after the probe: the cost of a spin is not linear in the spin
/// count (it was 1.7-4.2 ns per spin at 30% and different near 5-10%), so the spin count for
/// the largest target is re-measured and rescaled this many times.
const REFINE_STEPS: usize = 2;

/// The side file with the last calibration of this machine class: `calibration/last-<class>.json`
/// ([`Machine::class_key`]) in the baseline directory, so each kind of machine (a CI runner,
/// a laptop) keeps its own; a mock calibration (synthetic numbers) goes to
/// `reports/calibration/` and never replaces the committed measurement. The `calibration/`
/// subdirectory is outside the baseline namespace (`NAME.json`), so no baseline name collides.
pub fn side_file(dir: &BaselineDirArg, ws: &Path, mock: bool, machine: &Machine) -> PathBuf {
    let root = if mock {
        ws.join("reports")
    } else {
        baseline_dir(dir, ws).dir
    };
    root.join("calibration")
        .join(format!("last-{}.json", machine.class_key()))
}

/// Whether this process measures with the mock executor (`RON_BENCH_MOCK=1`).
pub fn mock_env() -> bool {
    ron_comparables::knobs::process_env("RON_BENCH_MOCK").is_some_and(|v| v == "1")
}

/// The stored calibration of this machine class: the keyed side file, else an older
/// ron-bench's unkeyed `calibration/last.json` or `calibration.json`, when it is from this
/// kind of machine.
pub fn stored(dir: &BaselineDirArg, ws: &Path, mock: bool) -> Option<Calibration> {
    let here = Machine::capture();
    let base = baseline_dir(dir, ws).dir;
    let legacy = [
        base.join("calibration").join("last.json"),
        base.join("calibration.json"),
    ];
    std::iter::once(side_file(dir, ws, mock, &here))
        .chain(legacy.into_iter().filter(|_| !mock))
        .find_map(|p| {
            let text = crate::store::read_regular(&p).ok()?;
            let c: Calibration = serde_json::from_str(&text).ok()?;
            (c.schema == CALIBRATION_SCHEMA && c.machine.same_kind(&here)).then_some(c)
        })
}

struct Settings {
    trial_rounds: u32,
    rounds: u32,
    repeats: u32,
    cost_rounds: u32,
    probe_rounds: u32,
    sampling: Sampling,
    slowdowns: Vec<f64>,
    resampled: usize,
    resamples: usize,
}

/// `--slowdown 2,5,10`: percentages in (0, 100).
pub(super) fn parse_slowdowns(list: &str) -> anyhow::Result<Vec<f64>> {
    list.split(',')
        .map(|s| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0 && *v < 100.0)
                .with_context(|| {
                    format!("--slowdown {list:?}: {s:?} is not a percentage in (0, 100)")
                })
        })
        .collect()
}

fn settings(args: &CalibrateArgs) -> anyhow::Result<Settings> {
    let slowdowns = parse_slowdowns(&args.slowdown)?;
    let (trial_rounds, rounds, repeats, cost, probe, sampling) = if args.quick {
        let s = Sampling {
            rounds: 0,
            samples: 2,
            warmup_ms: 0,
            window_ms: 1,
        };
        (6, 12, 1, 2, 3, s)
    } else {
        (
            Sampling::GATE_QUICK.rounds,
            120,
            1,
            3,
            8,
            Sampling::GATE_QUICK,
        )
    };
    let rounds = args.rounds.unwrap_or(rounds);
    let repeats = args.repeats.unwrap_or(repeats);
    if repeats == 0 {
        bail!("--repeats must be at least 1 (got 0)");
    }
    if rounds < trial_rounds {
        bail!("--rounds {rounds} is below the gate's {trial_rounds} rounds per trial");
    }
    Ok(Settings {
        trial_rounds,
        rounds,
        repeats,
        cost_rounds: cost,
        probe_rounds: probe,
        sampling,
        slowdowns,
        // The test preset keeps the (debug-build) bootstrap cheap.
        resampled: if args.quick { 10 } else { RESAMPLED_TRIALS },
        resamples: if args.quick { 500 } else { 10_000 },
    })
}

/// The metric a cell is gated on.
fn metric_of(c: &Cell) -> MetricKind {
    if c.scenario == Scenario::Steady {
        MetricKind::PublishesPerSec
    } else {
        MetricKind::DeliveriesPerSec
    }
}

fn values(run: &RunFile, cell_id: &str, build: &str, m: MetricKind) -> Vec<f64> {
    run.cells
        .iter()
        .find(|c| c.id == cell_id && c.build == build)
        .map(|c| {
            c.rounds
                .iter()
                .map(|r| match m {
                    MetricKind::PublishesPerSec => r.values.publishes_per_sec,
                    _ => r.values.deliveries_per_sec,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One cell of a main run, as the trial scorer reads it.
struct CellData {
    /// The metric the cell is gated on.
    metric: MetricKind,
    /// Per-round values of the plain build (A).
    a: Vec<f64>,
    /// Per-round values of its twin build (A', identical code).
    twin: Vec<f64>,
    /// Per-round values of the throttled contender, one list per target slowdown.
    slow: Vec<Vec<f64>>,
}

struct Ctx<'a> {
    ws: &'a Path,
    mock: bool,
    knobs: Vec<crate::spec::knobs::KnobSetting>,
    template: Matrix,
}

impl Ctx<'_> {
    /// Runs explicit (cell, build) jobs for `rounds` rounds.
    fn run(
        &self,
        what: &str,
        builds: &[Build],
        jobs: &[(Cell, usize)],
        sampling: Sampling,
    ) -> anyhow::Result<RunFile> {
        let mut cells: Vec<Cell> = Vec::new();
        let mut keys = Vec::new();
        for (c, b) in jobs {
            let i = cells.iter().position(|x| x.id == c.id).unwrap_or_else(|| {
                cells.push(c.clone());
                cells.len() - 1
            });
            keys.push(JobKey { cell: i, build: *b });
        }
        let matrix = Matrix {
            builds: builds.to_vec(),
            sampling,
            contenders: vec![ContenderId::RonBus, ContenderId::Throttled],
            ..self.template.clone()
        };
        let plan = Plan::from_jobs(matrix, cells, keys, available_cores());
        if !crate::term::quiet() {
            eprintln!(
                "calibrate: {what}: {} jobs x {} rounds (~{:.0} s)",
                plan.runnable.len(),
                sampling.rounds,
                plan.estimated_ms() as f64 / 1e3
            );
        }
        measure(&plan, self.ws, self.mock, self.knobs.clone(), Vec::new())
    }
}

/// `calibrate --policy features`, validated: the settings, the build and its twin, the quick
/// gate's rule, the three cells, and the runner context.
struct CalibrateConfig<'a> {
    st: Settings,
    build: Build,
    twin: Build,
    rule: Rule,
    cells: [Cell; 3],
    ctx: Ctx<'a>,
    analysis: AnalysisConfig,
}

impl<'a> CalibrateConfig<'a> {
    fn new(
        args: &CalibrateArgs,
        env: &dyn Fn(&str) -> Option<String>,
        ws: &'a Path,
    ) -> anyhow::Result<CalibrateConfig<'a>> {
        let st = settings(args)?;
        let base_cfg = RunConfig::new(&RunArgs::default(), env, ws)?;
        let build = match &args.features {
            Some(f) => {
                let b = features::parse(f)?;
                if b.len() != 1 {
                    bail!("--features {f:?}: calibrate measures one build (give one combo)");
                }
                b[0].clone()
            }
            None => Build::new(vec![]),
        };
        let twin = Build {
            label: format!("{}~aa", build.label),
            ..build.clone()
        };
        let mut analysis = AnalysisConfig {
            seed: args.seed.unwrap_or(AnalysisConfig::default().seed),
            ..AnalysisConfig::default()
        };
        analysis.compare.resamples = st.resamples;
        Ok(CalibrateConfig {
            rule: quick_rule()?,
            cells: cells_of(&base_cfg.matrix),
            ctx: Ctx {
                ws,
                mock: base_cfg.mock,
                knobs: base_cfg.knobs.clone(),
                template: base_cfg.matrix.clone(),
            },
            st,
            build,
            twin,
            analysis,
        })
    }

    fn sampling(&self, rounds: u32) -> Sampling {
        Sampling {
            rounds,
            ..self.st.sampling
        }
    }

    /// `cell`'s values in `run` for `build`'s label.
    fn values(&self, run: &RunFile, cell: &Cell) -> Vec<f64> {
        values(run, &cell.id, &self.build.label, metric_of(cell))
    }

    /// Paired slowdown of the throttled twin of `c` at `spins` in `run`.
    fn slowdown(&self, run: &RunFile, c: &Cell, spins: u64) -> f64 {
        paired_slowdown_pct(
            &self.values(run, c),
            &self.values(run, &throttled(c, spins)),
        )
    }
}

/// The quick gate's A/B rule: calibrate exactly what `gate --policy features` applies.
fn quick_rule() -> anyhow::Result<Rule> {
    let quick = PolicyChoice::BuiltIn("features").load()?;
    let ab = quick
        .gates
        .iter()
        .find(|g| g.id == "Q-ab-fanout")
        .context("embedded quick policy lacks Q-ab-fanout")?;
    Ok(Rule {
        gate_id: "calibrate".into(),
        description: "A/A or injected slowdown vs ron-bus".into(),
        kind: GateKind::Regression,
        threshold_pct: ab.threshold_pct,
        noise_limit_pct: ab.noise_limit_pct,
        direction: ab.metric.direction(),
    })
}

/// steady (1 idle subscriber), burst_fanout and batched at the run defaults.
fn cells_of(m: &Matrix) -> [Cell; 3] {
    let p = |fanout| CellParams {
        burst: m.bursts.first().copied(),
        fanout,
        cap: m.caps.first().copied().unwrap_or(2048),
        tls_thresh: m.tls_thresholds.first().copied().unwrap_or(64),
        ..CellParams::default()
    };
    let fanout = m.fanouts.first().copied().unwrap_or(4);
    [
        Cell::new(Scenario::Steady, ContenderId::RonBus, p(1)),
        Cell::new(Scenario::BurstFanout, ContenderId::RonBus, p(fanout)),
        Cell::new(Scenario::Batched, ContenderId::RonBus, p(fanout)),
    ]
}

/// The `throttled` twin of `c` with `spins` extra spins per publish.
fn throttled(c: &Cell, spins: u64) -> Cell {
    Cell::new(
        c.scenario,
        ContenderId::Throttled,
        CellParams {
            throttle_spins: spins,
            ..c.params
        },
    )
}

/// Every cell with its throttled twin at the matching spin count, on build 0.
fn with_throttled(cells: &[Cell], spins: &[u64]) -> Vec<(Cell, usize)> {
    cells
        .iter()
        .zip(spins)
        .flat_map(|(c, s)| [(c.clone(), 0), (throttled(c, *s), 0)])
        .collect()
}

pub(super) fn calibrate(
    args: &CalibrateArgs,
    env: &dyn Fn(&str) -> Option<String>,
    ws: &Path,
) -> anyhow::Result<CommandOutcome> {
    let started = Instant::now();
    let cfg = CalibrateConfig::new(args, env, ws)?;
    let ns = per_message_ns(&cfg)?;
    let mut fits = fit_spins(&cfg, &ns)?;
    print_fits(&fits);
    let (tally, executor) = main_runs(&cfg, &fits)?;
    for ((ci, ti), v) in &tally.achieved {
        fits[*ci].targets[*ti].2 = crate::stats::median(v);
    }
    let st = &cfg.st;
    let cal = Calibration {
        schema: CALIBRATION_SCHEMA.into(),
        created_utc: now_utc(),
        machine: Machine::capture(),
        executor,
        build: cfg.build.label.clone(),
        rounds_per_trial: st.trial_rounds,
        rounds_per_repeat: st.rounds,
        repeats: st.repeats,
        samples: st.sampling.samples,
        window_ms: st.sampling.window_ms,
        tolerance_pct: cfg.rule.threshold_pct,
        spins: fits,
        false_alarm: false_alarm_rate(&tally.aa_ind),
        false_alarm_resampled: false_alarm_rate(&tally.aa_res),
        detection: detection_rate(&tally.pw_ind),
        detection_resampled: detection_rate(&tally.pw_res),
        detection_injected: detection_rate(&tally.pw_inj),
        wall_ms: started.elapsed().as_millis() as u64,
    };
    print_result(&cal);
    store(&cal, args, ws)?;
    Ok(CommandOutcome::Success)
}

/// Step 1: the cost of one message in each cell (ns), from a short plain run.
fn per_message_ns(cfg: &CalibrateConfig<'_>) -> anyhow::Result<Vec<f64>> {
    let jobs: Vec<(Cell, usize)> = cfg.cells.iter().map(|c| (c.clone(), 0)).collect();
    let build = std::slice::from_ref(&cfg.build);
    let sampling = cfg.sampling(cfg.st.cost_rounds);
    let cost = cfg.ctx.run("per-message cost", build, &jobs, sampling)?;
    Ok(cfg
        .cells
        .iter()
        .map(|c| {
            let v = values(&cost, &c.id, &cfg.build.label, MetricKind::PublishesPerSec);
            1e9 / crate::stats::median(&v).max(1.0)
        })
        .collect())
}

/// Step 2: probe a spin count per cell, refine it by secant steps towards the largest target,
/// and derive the spins of every target slowdown.
fn fit_spins(cfg: &CalibrateConfig<'_>, ns: &[f64]) -> anyhow::Result<Vec<SpinFit>> {
    let build = std::slice::from_ref(&cfg.build);
    let sampling = cfg.sampling(cfg.st.probe_rounds);
    let mut probe: Vec<u64> = ns
        .iter()
        .map(|t| ((PROBE_TARGET * t / GUESS_NS_PER_SPIN).round() as u64).clamp(1, 10_000_000))
        .collect();
    let pr = cfg.ctx.run(
        "spin probe",
        build,
        &with_throttled(&cfg.cells, &probe),
        sampling,
    )?;
    let mut probe_pct: Vec<f64> = cfg
        .cells
        .iter()
        .zip(&probe)
        .map(|(c, s)| cfg.slowdown(&pr, c, *s))
        .collect();
    let top = cfg.st.slowdowns.iter().copied().fold(0.0_f64, f64::max);
    for step in 0..REFINE_STEPS {
        let next: Vec<u64> = probe
            .iter()
            .zip(&probe_pct)
            .map(|(s, f)| spins_for(top, *s, *f))
            .collect();
        let label = format!("spin refine {}/{REFINE_STEPS}", step + 1);
        let rr = cfg
            .ctx
            .run(&label, build, &with_throttled(&cfg.cells, &next), sampling)?;
        for (i, c) in cfg.cells.iter().enumerate() {
            let f = cfg.slowdown(&rr, c, next[i]);
            if f > 0.0 && f.is_finite() {
                probe[i] = next[i];
                probe_pct[i] = f;
            }
        }
    }
    Ok(cfg
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (s, f, t) = (probe[i], probe_pct[i], ns[i]);
            SpinFit {
                cell: c.id.clone(),
                metric: metric_of(c).name().into(),
                ns_per_message: t,
                probe_spins: s,
                probe_slowdown_pct: f,
                ns_per_spin: f / 100.0 * t / s as f64,
                targets: cfg
                    .st
                    .slowdowns
                    .iter()
                    .map(|x| (*x, spins_for(*x, s, f), f64::NAN))
                    .collect(),
            }
        })
        .collect())
}

fn print_fits(fits: &[SpinFit]) {
    for f in fits {
        println!(
            "spin fit {}: {:.1} ns/message, probe {} spins -> {:+.1}% ({:.3} ns/spin); {}",
            f.cell,
            f.ns_per_message,
            f.probe_spins,
            f.probe_slowdown_pct,
            f.ns_per_spin,
            f.targets
                .iter()
                .map(|(x, s, _)| format!("{x}% = {s} spins"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// The verdicts collected over every repeat and trial.
#[derive(Default)]
struct Tally {
    /// A/A verdicts per independent trial.
    aa_ind: Vec<Vec<Verdict>>,
    /// A/A verdicts per resampled trial.
    aa_res: Vec<Vec<Verdict>>,
    /// (target %, verdict) of throttled cells, independent trials.
    pw_ind: Vec<(f64, Verdict)>,
    /// The same, resampled trials.
    pw_res: Vec<(f64, Verdict)>,
    /// (target %, verdict) of an exact slowdown injected into A/A data.
    pw_inj: Vec<(f64, Verdict)>,
    /// Achieved slowdown per (cell, target), one per repeat.
    achieved: BTreeMap<(usize, usize), Vec<f64>>,
}

/// Step 3: the main runs (A, its twin A', throttled per target; interleaved), each scored as
/// independent and resampled whole-gate trials. Returns the tally and the executor name.
fn main_runs(cfg: &CalibrateConfig<'_>, fits: &[SpinFit]) -> anyhow::Result<(Tally, String)> {
    let st = &cfg.st;
    let builds = [cfg.build.clone(), cfg.twin.clone()];
    let mut jobs: Vec<(Cell, usize)> = Vec::new();
    for (c, f) in cfg.cells.iter().zip(fits) {
        jobs.push((c.clone(), 0));
        jobs.push((c.clone(), 1));
        jobs.extend(f.targets.iter().map(|(_, s, _)| (throttled(c, *s), 0)));
    }
    let mut tally = Tally::default();
    let mut executor = String::new();
    for k in 0..st.repeats {
        let what = format!("repeat {}/{}", k + 1, st.repeats);
        let run = cfg
            .ctx
            .run(&what, &builds, &jobs, cfg.sampling(st.rounds))?;
        executor = run.executor.clone();
        let data: Vec<CellData> = cfg
            .cells
            .iter()
            .zip(fits)
            .map(|(c, f)| CellData {
                metric: metric_of(c),
                a: cfg.values(&run, c),
                twin: values(&run, &c.id, &cfg.twin.label, metric_of(c)),
                slow: f
                    .targets
                    .iter()
                    .map(|(_, s, _)| cfg.values(&run, &throttled(c, *s)))
                    .collect(),
            })
            .collect();
        for (ci, d) in data.iter().enumerate() {
            for (ti, slow) in d.slow.iter().enumerate() {
                let pct = paired_slowdown_pct(&d.a, slow);
                tally.achieved.entry((ci, ti)).or_default().push(pct);
            }
        }
        score_repeat(cfg, &data, fits, k, &mut tally);
    }
    Ok((tally, executor))
}

/// Scores one repeat's data as whole-gate trials of `trial_rounds` rounds: consecutive
/// blocks (independent) and random subsets (resampled, plus an exact injected slowdown).
fn score_repeat(
    cfg: &CalibrateConfig<'_>,
    data: &[CellData],
    fits: &[SpinFit],
    k: u32,
    tally: &mut Tally,
) {
    let st = &cfg.st;
    let n = st.trial_rounds as usize;
    let rounds = data.iter().map(|d| d.a.len()).min().unwrap_or(0);
    let seed = cfg.analysis.seed ^ u64::from(k).wrapping_mul(0x9e37_79b9);
    let targets: Vec<f64> = fits
        .first()
        .map(|f| f.targets.iter().map(|(x, _, _)| *x).collect())
        .unwrap_or_default();
    let evaluate_cells = |cells: &[ACell]| -> Vec<Verdict> {
        let checks: Vec<Check> = (0..cells.len())
            .map(|i| Check {
                rule: cfg.rule.clone(),
                cell: Some(i),
            })
            .collect();
        let e = evaluate(cells, &checks, &cfg.analysis);
        e.verdicts.iter().map(|v| v.verdict).collect()
    };
    for (resampled, sets) in [
        (false, blocks(rounds, n)),
        (true, subsets(rounds, n, st.resampled, seed)),
    ] {
        for (t, idx) in sets.iter().enumerate() {
            let suite = |side: &dyn Fn(&CellData) -> &Vec<f64>, tag: &str| -> Vec<ACell> {
                data.iter()
                    .zip(&cfg.cells)
                    .map(|(d, c)| ACell {
                        id: format!("{tag}/{}/r{k}t{t}", c.id),
                        params: BTreeMap::new(),
                        metric: d.metric.metric(),
                        base: pick(&d.a, idx),
                        new: pick(side(d), idx),
                        paired: true,
                    })
                    .collect()
            };
            let aa_cells = suite(&|d| &d.twin, "aa");
            let aa = evaluate_cells(&aa_cells);
            let mut power = Vec::new();
            for (ti, x) in targets.iter().enumerate() {
                let slow = suite(&|d| &d.slow[ti], &format!("slow{x}"));
                power.extend(evaluate_cells(&slow).into_iter().map(|v| (*x, v)));
            }
            if resampled {
                for x in &st.slowdowns {
                    let slow: Vec<ACell> =
                        aa_cells.iter().map(|c| inject_slowdown(c, *x)).collect();
                    let verdicts = evaluate_cells(&slow);
                    tally.pw_inj.extend(verdicts.into_iter().map(|v| (*x, v)));
                }
                tally.aa_res.push(aa);
                tally.pw_res.extend(power);
            } else {
                tally.aa_ind.push(aa);
                tally.pw_ind.extend(power);
            }
        }
    }
}

fn print_result(c: &Calibration) {
    println!(
        "\ncalibration ({} executor, build {}): {} repeat(s) x {} rounds, trials of {} rounds, \
         {} samples x {} ms per process run, regression tolerance {}%",
        c.executor,
        c.build,
        c.repeats,
        c.rounds_per_repeat,
        c.rounds_per_trial,
        c.samples,
        c.window_ms,
        c.tolerance_pct
    );
    for f in &c.spins {
        for (x, s, got) in &f.targets {
            println!(
                "  {}: nominal {x}% = {s} spins, achieved {got:+.1}%",
                f.cell,
            );
        }
    }
    let fa =
        |name: &str, f: &ron_bench_report::analysis::FalseAlarmRate| {
            println!(
            "A/A false alarms ({name}): {} of {} suites flagged anything = {:.1}% (target <= 5%); \
             cell rate {:.2}%, {} inconclusive of {} verdicts",
            f.suites_with_alarm, f.suites, f.suite_rate * 100.0, f.cell_rate * 100.0,
            f.inconclusive, f.verdicts
        );
        };
    fa("independent trials", &c.false_alarm);
    fa("resampled trials", &c.false_alarm_resampled);
    for (name, d) in [
        ("independent", &c.detection),
        ("resampled", &c.detection_resampled),
        (
            "exact slowdown injected into A/A data, resampled",
            &c.detection_injected,
        ),
    ] {
        for p in d {
            println!(
                "detection ({name}) of a {}% slowdown: {} of {} cell-trials = {:.1}% (target {})",
                p.injected_pct,
                p.detected,
                p.trials,
                p.rate * 100.0,
                if p.injected_pct >= 10.0 {
                    ">= 95%"
                } else {
                    ">= 80%"
                }
            );
        }
    }
    println!("wall time {:.1} s", c.wall_ms as f64 / 1e3);
}

fn store(c: &Calibration, args: &CalibrateArgs, ws: &Path) -> anyhow::Result<()> {
    let dir = baseline_dir(&args.dir, ws);
    let side = side_file(&args.dir, ws, c.executor == "mock", &c.machine);
    if let Some(d) = side.parent() {
        std::fs::create_dir_all(d)
            .with_context(|| format!("cannot create calibration directory {}", d.display()))?;
    }
    crate::store::write_json_atomic(&side, c)?;
    println!("stored {}", side.display());
    if let Some(name) = &args.baseline {
        let mut b = dir.load(name).context("--baseline")?;
        b.calibration = Some(c.clone());
        // Back into the file that was read, whatever the baseline's internal name says.
        let path = dir.replace(name, &b)?;
        println!("stored in baseline `{name}` ({})", path.display());
    }
    let _ = output::today();
    Ok(())
}
