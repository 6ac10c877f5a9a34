//! `ron-bench calibrate`: the quick gate's A/A false-alarm rate and its detection power on
//! real injected slowdowns. The procedure is documented on [`crate::calibrate`].

use super::args::{BaselineDirArg, CalibrateArgs, RunArgs};
use super::config::RunConfig;
use super::output::{self, baseline_dir};
use super::run::measure;
use super::Outcome;
use crate::calibrate::{
    blocks, paired_slowdown_pct, pick, spins_for, subsets, Calibration, SpinFit, CALIBRATION_SCHEMA,
};
use crate::gate::{make_cell, PolicyChoice};
use crate::runner::Plan;
use crate::spec::{features, Build, Cell, JobKey, Matrix, Params, Sampling};
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

/// The side file with the last calibration of this baseline directory. It lives in the
/// `calibration/` subdirectory (next to the change gate's), outside the baseline namespace
/// (`NAME.json`), so no baseline name can collide with it.
pub fn side_file(dir: &BaselineDirArg, ws: &Path) -> PathBuf {
    baseline_dir(dir, ws)
        .dir
        .join("calibration")
        .join("last.json")
}

/// The stored calibration, when there is one from this kind of machine (an older
/// ron-bench's `calibration.json` side file is still read, when it is one).
pub fn stored(dir: &BaselineDirArg, ws: &Path) -> Option<Calibration> {
    let legacy = baseline_dir(dir, ws).dir.join("calibration.json");
    [side_file(dir, ws), legacy].iter().find_map(|p| {
        let text = crate::store::read_regular(p).ok()?;
        let c: Calibration = serde_json::from_str(&text).ok()?;
        (c.schema == CALIBRATION_SCHEMA && c.machine.same_kind(&Machine::capture())).then_some(c)
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

/// One cell of a main run: metric, A values, A' (twin) values, throttled values per target.
type CellData = (MetricKind, Vec<f64>, Vec<f64>, Vec<Vec<f64>>);

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
        eprintln!(
            "calibrate: {what}: {} jobs x {} rounds (~{:.0} s)",
            plan.runnable.len(),
            sampling.rounds,
            plan.estimated_ms() as f64 / 1e3
        );
        measure(&plan, self.ws, self.mock, self.knobs.clone(), Vec::new())
    }
}

pub(super) fn calibrate(
    args: &CalibrateArgs,
    env: &dyn Fn(&str) -> Option<String>,
    ws: &Path,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
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
        features: build.features.clone(),
        rev: None,
        inject: None,
    };
    // The quick gate's A/B rule: calibrate exactly what `gate --quick` applies.
    let quick = PolicyChoice::BuiltIn("features").load()?;
    let ab = quick
        .gates
        .iter()
        .find(|g| g.id == "Q-ab-fanout")
        .context("embedded quick policy lacks Q-ab-fanout")?;
    let rule = Rule {
        gate_id: "calibrate".into(),
        description: "A/A or injected slowdown vs ron-bus".into(),
        kind: GateKind::Regression,
        threshold_pct: ab.threshold_pct,
        noise_limit_pct: ab.noise_limit_pct,
    };
    let m = &base_cfg.matrix;
    let p = |fanout| Params {
        burst: m.bursts.first().copied(),
        fanout,
        cap: m.caps.first().copied().unwrap_or(2048),
        pub_yield: false,
        tls_thresh: m.tls_thresholds.first().copied().unwrap_or(64),
        rate_per_sec: None,
        throttle_spins: 0,
    };
    let fanout = m.fanouts.first().copied().unwrap_or(4);
    let cells = [
        make_cell(Scenario::Steady, ContenderId::RonBus, p(1)),
        make_cell(Scenario::BurstFanout, ContenderId::RonBus, p(fanout)),
        make_cell(Scenario::Batched, ContenderId::RonBus, p(fanout)),
    ];
    let throttled = |c: &Cell, spins: u64| {
        make_cell(
            c.scenario,
            ContenderId::Throttled,
            Params {
                throttle_spins: spins,
                ..c.params
            },
        )
    };
    let ctx = Ctx {
        ws,
        mock: base_cfg.mock,
        knobs: base_cfg.knobs.clone(),
        template: base_cfg.matrix.clone(),
    };
    let with_rounds = |r| Sampling {
        rounds: r,
        ..st.sampling
    };

    // 1. Per-message cost.
    let jobs: Vec<(Cell, usize)> = cells.iter().map(|c| (c.clone(), 0)).collect();
    let cost = ctx.run(
        "per-message cost",
        std::slice::from_ref(&build),
        &jobs,
        with_rounds(st.cost_rounds),
    )?;
    let t0: Vec<f64> = cells
        .iter()
        .map(|c| {
            let v = values(&cost, &c.id, &build.label, MetricKind::PublishesPerSec);
            1e9 / crate::stats::median(&v).max(1.0)
        })
        .collect();

    // 2. Probe spins -> spins per target slowdown.
    let probe: Vec<u64> = t0
        .iter()
        .map(|t| ((PROBE_TARGET * t / GUESS_NS_PER_SPIN).round() as u64).clamp(1, 10_000_000))
        .collect();
    let jobs: Vec<(Cell, usize)> = cells
        .iter()
        .zip(&probe)
        .flat_map(|(c, s)| [(c.clone(), 0), (throttled(c, *s), 0)])
        .collect();
    let pr = ctx.run(
        "spin probe",
        std::slice::from_ref(&build),
        &jobs,
        with_rounds(st.probe_rounds),
    )?;
    let measured = |run: &RunFile, c: &Cell, spins: u64| {
        let mk = metric_of(c);
        let base = values(run, &c.id, &build.label, mk);
        let slow = values(run, &throttled(c, spins).id, &build.label, mk);
        paired_slowdown_pct(&base, &slow)
    };
    let mut probe = probe;
    let mut probe_pct: Vec<f64> = cells
        .iter()
        .zip(&probe)
        .map(|(c, s)| measured(&pr, c, *s))
        .collect();
    // 2b. Secant refinement towards the largest target slowdown.
    let top = st.slowdowns.iter().copied().fold(0.0_f64, f64::max);
    for step in 0..REFINE_STEPS {
        let next: Vec<u64> = probe
            .iter()
            .zip(&probe_pct)
            .map(|(s, f)| spins_for(top, *s, *f))
            .collect();
        let jobs: Vec<(Cell, usize)> = cells
            .iter()
            .zip(&next)
            .flat_map(|(c, s)| [(c.clone(), 0), (throttled(c, *s), 0)])
            .collect();
        let label = format!("spin refine {}/{REFINE_STEPS}", step + 1);
        let rr = ctx.run(
            &label,
            std::slice::from_ref(&build),
            &jobs,
            with_rounds(st.probe_rounds),
        )?;
        for ((c, s), (ps, pf)) in cells
            .iter()
            .zip(&next)
            .zip(probe.iter_mut().zip(probe_pct.iter_mut()))
        {
            let f = measured(&rr, c, *s);
            if f > 0.0 && f.is_finite() {
                *ps = *s;
                *pf = f;
            }
        }
    }
    let mut fits: Vec<SpinFit> = Vec::new();
    for (((c, s), t), f) in cells.iter().zip(&probe).zip(&t0).zip(&probe_pct) {
        let mk = metric_of(c);
        let f = *f;
        fits.push(SpinFit {
            cell: c.id.clone(),
            metric: mk.name().into(),
            ns_per_message: *t,
            probe_spins: *s,
            probe_slowdown_pct: f,
            ns_per_spin: f / 100.0 * t / *s as f64,
            targets: st
                .slowdowns
                .iter()
                .map(|x| (*x, spins_for(*x, *s, f), f64::NAN))
                .collect(),
        });
    }
    for f in &fits {
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

    // 3. Main runs: A, A' (twin build), throttled per target; interleaved.
    let builds = [build.clone(), twin.clone()];
    let mut jobs: Vec<(Cell, usize)> = Vec::new();
    for (c, f) in cells.iter().zip(&fits) {
        jobs.push((c.clone(), 0));
        jobs.push((c.clone(), 1));
        for (_, s, _) in &f.targets {
            jobs.push((throttled(c, *s), 0));
        }
    }
    let mut analysis = AnalysisConfig {
        seed: args.seed.unwrap_or(AnalysisConfig::default().seed),
        ..AnalysisConfig::default()
    };
    analysis.compare.resamples = st.resamples;
    let mut aa_ind: Vec<Vec<Verdict>> = Vec::new();
    let mut aa_res: Vec<Vec<Verdict>> = Vec::new();
    let mut pw_ind: Vec<(f64, Verdict)> = Vec::new();
    let mut pw_res: Vec<(f64, Verdict)> = Vec::new();
    let mut pw_inj: Vec<(f64, Verdict)> = Vec::new();
    let mut achieved: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
    let mut executor = String::new();
    for k in 0..st.repeats {
        let run = ctx.run(
            &format!("repeat {}/{}", k + 1, st.repeats),
            &builds,
            &jobs,
            with_rounds(st.rounds),
        )?;
        executor = run.executor.clone();
        // Per cell: A, A', and each target's throttled values.
        let data: Vec<CellData> = cells
            .iter()
            .zip(&fits)
            .map(|(c, f)| {
                let mk = metric_of(c);
                let slow = f
                    .targets
                    .iter()
                    .map(|(_, s, _)| values(&run, &throttled(c, *s).id, &build.label, mk))
                    .collect();
                (
                    mk,
                    values(&run, &c.id, &build.label, mk),
                    values(&run, &c.id, &twin.label, mk),
                    slow,
                )
            })
            .collect();
        for (ci, d) in data.iter().enumerate() {
            for (ti, slow) in d.3.iter().enumerate() {
                achieved
                    .entry((ci, ti))
                    .or_default()
                    .push(paired_slowdown_pct(&d.1, slow));
            }
        }
        let n = st.trial_rounds as usize;
        let rounds = data.iter().map(|d| d.1.len()).min().unwrap_or(0);
        let seed = analysis.seed ^ u64::from(k).wrapping_mul(0x9e37_79b9);
        for (sets, aa, pw, inject) in [
            (blocks(rounds, n), &mut aa_ind, &mut pw_ind, false),
            (
                subsets(rounds, n, st.resampled, seed),
                &mut aa_res,
                &mut pw_res,
                true,
            ),
        ] {
            for (t, idx) in sets.iter().enumerate() {
                let suite = |side: &dyn Fn(usize) -> Vec<f64>, tag: &str| -> Vec<ACell> {
                    data.iter()
                        .enumerate()
                        .map(|(ci, d)| ACell {
                            id: format!("{tag}/{}/r{k}t{t}", cells[ci].id),
                            params: BTreeMap::new(),
                            metric: d.0.metric(),
                            base: pick(&d.1, idx),
                            new: pick(&side(ci), idx),
                            paired: true,
                        })
                        .collect()
                };
                let checks = |n: usize| -> Vec<Check> {
                    (0..n)
                        .map(|i| Check {
                            rule: rule.clone(),
                            cell: Some(i),
                        })
                        .collect()
                };
                let aa_cells = suite(&|ci| data[ci].2.clone(), "aa");
                let e = evaluate(&aa_cells, &checks(aa_cells.len()), &analysis);
                aa.push(e.verdicts.iter().map(|v| v.verdict).collect());
                if inject {
                    for x in &st.slowdowns {
                        let slow: Vec<ACell> =
                            aa_cells.iter().map(|c| inject_slowdown(c, *x)).collect();
                        let e = evaluate(&slow, &checks(slow.len()), &analysis);
                        pw_inj.extend(e.verdicts.iter().map(|v| (*x, v.verdict)));
                    }
                }
                for (ti, (x, _, _)) in fits[0].targets.iter().enumerate() {
                    let slow_cells = suite(&|ci| data[ci].3[ti].clone(), &format!("slow{x}"));
                    let e = evaluate(&slow_cells, &checks(slow_cells.len()), &analysis);
                    pw.extend(e.verdicts.iter().map(|v| (*x, v.verdict)));
                }
            }
        }
    }
    for ((ci, ti), v) in &achieved {
        fits[*ci].targets[*ti].2 = crate::stats::median(v);
    }
    let cal = Calibration {
        schema: CALIBRATION_SCHEMA.into(),
        created_utc: now_utc(),
        machine: Machine::capture(),
        executor,
        build: build.label.clone(),
        rounds_per_trial: st.trial_rounds,
        rounds_per_repeat: st.rounds,
        repeats: st.repeats,
        samples: st.sampling.samples,
        window_ms: st.sampling.window_ms,
        tolerance_pct: rule.threshold_pct,
        spins: fits,
        false_alarm: false_alarm_rate(&aa_ind),
        false_alarm_resampled: false_alarm_rate(&aa_res),
        detection: detection_rate(&pw_ind),
        detection_resampled: detection_rate(&pw_res),
        detection_injected: detection_rate(&pw_inj),
        wall_ms: started.elapsed().as_millis() as u64,
    };
    print_result(&cal);
    store(&cal, args, ws)?;
    Ok(Outcome::Success)
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
    let side = side_file(&args.dir, ws);
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
