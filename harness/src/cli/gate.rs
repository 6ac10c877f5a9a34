//! `ron-bench gate`: measure what the policy needs (or read `--run`), evaluate, print the
//! verdict table, write the report directory, exit 0 pass / 1 fail / 2 error.

use super::args::{GateArgs, GateFormat, RunArgs};
use super::config::RunConfig;
use super::gate_config::{GateConfig, GateMode};
use super::output::{self, analysis_config, inputs, load_named, load_run_arg};
use super::run::{measure, print_plan};
use super::CommandOutcome;
use crate::gate::{analyze, cross_machine, derive_jobs, describe_machine, Defaults};
use crate::runner::Plan;
use crate::spec::Sampling;
use crate::store::fingerprint::available_cores;
use crate::store::{Baseline, Machine, RunFile};
use anyhow::{bail, Context};
use ron_bench_report::export::{cell_words, summary_line, JsonExporter};
use std::path::Path;
use std::time::Instant;

pub(super) fn gate(
    args: &GateArgs,
    env: &dyn Fn(&str) -> Option<String>,
    ws: &Path,
) -> anyhow::Result<CommandOutcome> {
    let cfg = GateConfig::new(args)?;
    if cfg.format == GateFormat::Json {
        // The report is the data on stdout; the plan, progress and table go to stderr.
        crate::term::reserve_stdout_for_data();
    }
    if let GateMode::Revision { .. } = cfg.mode {
        return super::against::gate_against(&cfg, env, ws);
    }
    let started = Instant::now();
    let mut policy = cfg.select.policy(cfg.policy.load().context("--policy")?);
    if cfg.run.is_none() {
        policy = cfg.select.measurable(policy, &defaults(&cfg, env, ws)?.1)?;
    }
    let baseline: Option<Baseline> = match &cfg.mode {
        GateMode::Baseline(name) => Some(load_named(&cfg.dir, ws, name)?),
        _ => None,
    };
    if let Some(b) = &baseline {
        check_machine(b, &Machine::capture(), cfg.require_same_machine)?;
    }
    let (label, run) = match &cfg.run {
        Some(p) => load_run_arg(Some(p), ws)?,
        None => match measure_for(&cfg, env, ws, &policy, baseline.as_ref())? {
            Some(run) => ("gate".to_string(), run),
            None => {
                println!("dry run: nothing built, run or written");
                return Ok(CommandOutcome::Success);
            }
        },
    };
    if let Some(b) = &baseline {
        check_machine(b, &run.env.machine, cfg.require_same_machine)?;
    }
    let cal = crate::cli::calibrate::stored(&cfg.dir, ws, crate::cli::calibrate::mock_env());
    let inp = inputs(
        baseline.as_ref(),
        (&label, &run),
        cfg.label.as_deref().unwrap_or("gate"),
        analysis_config(cfg.seed, cfg.strict),
        &cfg.select,
    );
    let mut a = analyze(&policy, &inp);
    output::quote_calibration(&mut a.report, cal.as_ref());
    finish(&cfg, ws, &policy, &a, &run, started, None)
}

/// Prints the verdict table, writes the report directory (and points `reports/latest` at
/// it), prints the summary and maps the outcome to an exit code. With `--format json` the
/// report goes to stdout and everything else to stderr.
pub(super) fn finish(
    cfg: &GateConfig,
    ws: &Path,
    policy: &ron_bench_report::policy::Policy,
    a: &crate::gate::Analysis,
    run: &RunFile,
    started: Instant,
    stop: Option<crate::gate::sequential::Stop>,
) -> anyhow::Result<CommandOutcome> {
    output::check_something_checked(&a.report, &policy.name, cfg.allow_empty)?;
    if !crate::term::quiet() {
        println!("\n{}", output::verdict_table(&a.report));
    }
    let default_dir = cfg.out_dir.is_none();
    let dir = cfg
        .out_dir
        .clone()
        .unwrap_or_else(|| output::default_report_dir(ws, run));
    // A failed gate is exit 1 even when its report cannot be written.
    let written = match output::write_report_dir(&dir, a, run) {
        Err(e) if !a.report.outcome.passed => {
            eprintln!("error: {}", crate::term::chain(&e));
            Vec::new()
        }
        r => r?,
    };
    if default_dir && !written.is_empty() {
        if let Err(e) = output::point_latest(&ws.join("reports"), &dir) {
            eprintln!("warning: reports/latest not updated: {e}");
        }
    }
    println!("reports: {} ({} files)", dir.display(), written.len());
    let o = &a.report.outcome;
    for n in a
        .report
        .meta
        .notes
        .iter()
        .filter(|n| n.starts_with("calibration"))
    {
        println!("{n}");
    }
    for row in a
        .report
        .rows
        .iter()
        .filter(|r| r.verdict.is_failure(o.strict))
    {
        println!(
            "  failing: {}: {}: {}",
            summary_line(row),
            cell_words(row),
            if row.why.is_empty() {
                &row.reason
            } else {
                &row.why
            }
        );
    }
    println!(
        "{} (policy {}, exit {}, {:.1} s)",
        headline(o, stop),
        policy.name,
        o.exit_code,
        started.elapsed().as_secs_f64()
    );
    if cfg.format == GateFormat::Json {
        crate::term::Stream::Stdout.write_bytes(&output::render(&JsonExporter, &a.report)?);
    }
    Ok(if o.passed {
        CommandOutcome::Success
    } else {
        CommandOutcome::GateFailed
    })
}

/// The last line: the verdict counts behind PASSED/FAILED, never a bare PASSED when a check
/// is undecided, e.g. `gate PASSED: 7 pass, 1 inconclusive (budget spent), 0 regressed`.
pub(super) fn headline(
    o: &ron_bench_report::analysis::Outcome,
    stop: Option<crate::gate::sequential::Stop>,
) -> String {
    let c = &o.counts;
    let mut parts = vec![format!("{} pass", c.pass)];
    if c.improved > 0 {
        parts.push(format!("{} improved", c.improved));
    }
    if c.inconclusive > 0 {
        let why = stop.map_or(String::new(), |s| format!(" ({})", s.as_str()));
        parts.push(format!("{} inconclusive{why}", c.inconclusive));
    }
    if c.missing > 0 {
        parts.push(format!("{} missing", c.missing));
    }
    if c.failed > 0 {
        parts.push(format!("{} failed", c.failed));
    }
    parts.push(format!("{} regressed", c.regressed));
    format!(
        "gate {}: {}",
        if o.passed { "PASSED" } else { "FAILED" },
        parts.join(", ")
    )
}

/// Warns (or, with `--require-same-machine`, fails) when the baseline's machine differs.
fn check_machine(b: &Baseline, here: &Machine, require: bool) -> anyhow::Result<()> {
    if !cross_machine(&b.run.env.machine, here) {
        return Ok(());
    }
    let msg = format!(
        "baseline `{}` was measured on {} ({} cores); this machine is {} ({} cores)",
        b.name,
        b.run
            .env
            .machine
            .cpu_model
            .as_deref()
            .unwrap_or("unknown cpu"),
        b.run.env.machine.logical_cores,
        here.cpu_model.as_deref().unwrap_or("unknown cpu"),
        here.logical_cores
    );
    if require {
        bail!("{msg} (--require-same-machine)");
    }
    eprintln!("WARNING: {msg}: verdicts are marked cross-machine");
    Ok(())
}

/// Knob defaults (and their env overrides) exactly as `run` resolves them, and the
/// [`Defaults`] derived jobs use.
pub(super) fn defaults(
    cfg: &GateConfig,
    env: &dyn Fn(&str) -> Option<String>,
    ws: &Path,
) -> anyhow::Result<(RunConfig, Defaults)> {
    let base_cfg = RunConfig::new(&RunArgs::default(), env, ws)?;
    let d = Defaults::of_matrix(&base_cfg.matrix, cfg.throttle_spins, cfg.quick, cfg.measure);
    Ok((base_cfg, d))
}

/// Derives and runs the jobs of `policy`; also writes the run under reports/runs/. `None`
/// with `--dry-run` (the plan, skips included, is printed and nothing runs).
fn measure_for(
    cfg: &GateConfig,
    env: &dyn Fn(&str) -> Option<String>,
    ws: &Path,
    policy: &ron_bench_report::policy::Policy,
    baseline: Option<&Baseline>,
) -> anyhow::Result<Option<RunFile>> {
    let (base_cfg, d) = defaults(cfg, env, ws)?;
    let jobs = derive_jobs(policy, baseline.map(|b| &b.run), &cfg.extra, &d);
    if jobs.jobs.is_empty() {
        bail!(
            "policy `{}` needs nothing this run can measure (its gates compare against a \
             baseline: pass --baseline NAME, --against REV, or --run RUNFILE)",
            policy.name
        );
    }
    let header = baseline.map_or(String::new(), |b| format!(", baseline `{}`", b.name));
    let plan = plan_jobs(jobs, cfg.sampling, &d, policy, &header)?;
    let run_cfg = RunConfig {
        matrix: plan.matrix.clone(),
        ..base_cfg
    };
    let warnings = print_plan(&plan, &run_cfg);
    if cfg.dry_run {
        return Ok(None);
    }
    measure_plan(&plan, &run_cfg, ws, warnings).map(Some)
}

/// Plans `jobs` (skip rules decided here) and prints the gate's header line.
fn plan_jobs(
    jobs: crate::gate::Jobs,
    sampling: Sampling,
    d: &Defaults,
    policy: &ron_bench_report::policy::Policy,
    header: &str,
) -> anyhow::Result<Plan> {
    let matrix = jobs.matrix(sampling, d);
    super::config::check_measure(&matrix)?;
    let plan = Plan::from_jobs(matrix, jobs.cells, jobs.jobs, available_cores());
    info!(
        "ron-bench gate: policy {} ({}), {} cells x {} builds -> {} jobs{header}",
        policy.name,
        policy.origin,
        plan.cells.len(),
        plan.matrix.builds.len(),
        plan.runnable.len(),
    );
    Ok(plan)
}

/// Measures `plan` and writes the run under reports/runs/.
fn measure_plan(
    plan: &Plan,
    cfg: &RunConfig,
    ws: &Path,
    warnings: Vec<String>,
) -> anyhow::Result<RunFile> {
    let run = measure(plan, ws, cfg.mock, cfg.knobs.clone(), warnings)?;
    let dir = ws.join("reports").join("runs");
    if std::fs::create_dir_all(&dir).is_ok() {
        let path = crate::store::write_unique_json(&dir, "gate", &run)?;
        eprintln!("run file: {} ({})", path.display(), describe_machine(&run));
    }
    Ok(run)
}
