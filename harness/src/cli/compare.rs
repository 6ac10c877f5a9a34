//! `ron-bench compare`, `notes` and `chart`: present a run (against a baseline or its own
//! A/B builds) through the report crate's exporters. `notes` and `chart` exit 0 whatever the
//! verdicts are (like critcmp); `compare` exits with the code its output states (1 when a
//! gate failed), as `gate` does.

use super::args::{ChartArgs, CompareArgs, NotesArgs};
use super::output::{self, analysis_config, inputs, load_named, load_run_arg};
use super::CommandOutcome;
use crate::gate::{analyze, Analysis, PolicyChoice, Selection};
use crate::store::{Baseline, RunFile};
use anyhow::Context;
use ron_bench_report::export::MarkdownExporter;
use std::path::Path;

struct Loaded {
    baseline: Option<Baseline>,
    label: String,
    run: RunFile,
}

fn load(
    baseline: Option<&str>,
    run: Option<&Path>,
    dir: &super::args::BaselineDirArg,
    ws: &Path,
) -> anyhow::Result<Loaded> {
    let baseline = match baseline {
        Some(name) => Some(load_named(dir, ws, name)?),
        None => None,
    };
    let (label, run) = load_run_arg(run, ws)?;
    Ok(Loaded {
        baseline,
        label,
        run,
    })
}

fn analysis(
    l: &Loaded,
    policy: Option<&str>,
    title: &str,
    ws: &Path,
    dir: &super::args::BaselineDirArg,
    select: &Selection,
) -> anyhow::Result<Analysis> {
    let default = if l.baseline.is_some() {
        "regression"
    } else {
        "features"
    };
    let policy = select.policy(
        PolicyChoice::parse(policy.unwrap_or(default))
            .load()
            .context("--policy")?,
    );
    let inp = inputs(
        l.baseline.as_ref(),
        (&l.label, &l.run),
        title,
        analysis_config(None, false),
        select,
    );
    let mut a = analyze(&policy, &inp);
    output::quote_calibration(
        &mut a.report,
        super::calibrate::stored(dir, ws, super::calibrate::mock_env()).as_ref(),
    );
    Ok(a)
}

pub(super) fn compare(args: &CompareArgs, ws: &Path) -> anyhow::Result<CommandOutcome> {
    if let Some((base, new)) = super::criterion_compare::sides(args, ws)? {
        return super::criterion_compare::compare_imports(args, &base, &new);
    }
    let l = load(Some(&args.baseline), args.run.as_deref(), &args.dir, ws)?;
    let a = analysis(
        &l,
        Some(&args.policy),
        &args.label,
        ws,
        &args.dir,
        &args.select.selection()?,
    )?;
    let bytes = output::render(args.format.exporter().as_ref(), &a.report)?;
    output::emit(&bytes, args.out.as_deref())?;
    // The notes block prints "Outcome: FAIL (exit code 1)": the process agrees with it.
    Ok(CommandOutcome::of_verdicts(&a.report.outcome))
}

pub(super) fn notes(args: &NotesArgs, ws: &Path) -> anyhow::Result<CommandOutcome> {
    let l = load(args.baseline.as_deref(), args.run.as_deref(), &args.dir, ws)?;
    let mut a = analysis(
        &l,
        args.policy.as_deref(),
        &args.label,
        ws,
        &args.dir,
        &args.select.selection()?,
    )?;
    if let Some(path) = &args.amdahl {
        let spec = super::interop::load_tracker(path).context("--amdahl")?;
        a.report.amdahl = Some(
            ron_bench_report::tracker::track(&a.report, &spec)
                .with_context(|| format!("--amdahl {}", path.display()))?,
        );
    }
    let md = if args.pr_comment {
        MarkdownExporter::pr_comment()
    } else {
        MarkdownExporter::default()
    };
    output::emit(&output::render(&md, &a.report)?, None)?;
    Ok(CommandOutcome::Success)
}

pub(super) fn chart(args: &ChartArgs, ws: &Path) -> anyhow::Result<CommandOutcome> {
    let l = load(args.baseline.as_deref(), args.run.as_deref(), &args.dir, ws)?;
    let a = analysis(
        &l,
        args.policy.as_deref(),
        "chart",
        ws,
        &args.dir,
        &Selection::default(),
    )?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| ws.join("reports").join("charts"));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create chart directory {} (--out)", dir.display()))?;
    let written = output::write_charts(&dir, &a.report)?;
    if written.is_empty() {
        anyhow::bail!("nothing to chart: the run has no comparable cells for this policy");
    }
    for p in written {
        println!("wrote {}", p.display());
    }
    Ok(CommandOutcome::Success)
}
