//! `compare --baseline OLD --new NEW` of two criterion imports: the per-sample times of
//! criterion's `sample.json` (`times[i] / iters[i]`, ns per iteration) of each benchmark are
//! the two sides, compared unpaired (separate runs: Mann-Whitney U and a bootstrap CI of the
//! ratio of medians) and gated by the `criterion` policy, the regression policy's rule for
//! imports (time per iteration +10%). Exit 1 when a check regressed, as `compare` does.

use super::args::{CompareArgs, ReportFormat};
use super::output::{self, analysis_config, baseline_dir};
use super::CommandOutcome;
use crate::gate::PolicyChoice;
use crate::store::Baseline;
use anyhow::Context;
use ron_bench_report::analysis::{evaluate, Series};
use ron_bench_report::export::{CsvExporter, JsonExporter, MarkdownExporter};
use ron_bench_report::interop::ImportedBaseline;
use ron_bench_report::report::{Meta, Report};
use std::path::Path;

/// Bad input of an import comparison.
#[derive(Debug, thiserror::Error)]
enum ImportCompareError {
    #[error(
        "baseline `{0}` was imported from criterion: compare it with another import \
         (`--new NAME`, e.g. `ron-bench import criterion --name NAME` after the next cargo bench)"
    )]
    NeedsNew(String),
    #[error("--new `{0}` is not a criterion import (it holds a ron-bench run: use --run)")]
    NotImported(String),
    #[error("--new needs --baseline to be a criterion import; `{0}` holds a ron-bench run")]
    BaseNotImported(String),
    #[error("--new and --run are exclusive")]
    NewAndRun,
}

/// The import of a loaded baseline, when it is one.
fn import_of(b: &Baseline) -> Option<&ImportedBaseline> {
    b.imported.as_ref().filter(|_| b.run.cells.is_empty())
}

/// Whether `compare` should take this path: the baseline is an import or `--new` is given.
/// Loads both sides; errors name the flag at fault.
pub(super) fn sides(args: &CompareArgs, ws: &Path) -> anyhow::Result<Option<(Baseline, Baseline)>> {
    let dir = baseline_dir(&args.dir, ws);
    let base = dir.load(&args.baseline).context("--baseline")?;
    let Some(new_name) = args.new.as_deref() else {
        if import_of(&base).is_some() {
            return Err(ImportCompareError::NeedsNew(args.baseline.clone()).into());
        }
        return Ok(None);
    };
    if args.run.is_some() {
        return Err(ImportCompareError::NewAndRun.into());
    }
    if import_of(&base).is_none() {
        return Err(ImportCompareError::BaseNotImported(args.baseline.clone()).into());
    }
    let new = dir.load(new_name).context("--new")?;
    if import_of(&new).is_none() {
        return Err(ImportCompareError::NotImported(new_name.into()).into());
    }
    Ok(Some((base, new)))
}

/// Series of an import, labelled with the saved name so the two sides never pair up.
fn series(b: &Baseline) -> Vec<Series> {
    let mut s = import_of(b)
        .map(ImportedBaseline::to_series)
        .unwrap_or_default();
    for x in &mut s {
        x.run = format!("criterion:{}", b.name);
        x.interleaved = false;
    }
    s
}

/// The report of `new` against `base` under `policy` (`regression` means `criterion` here).
fn report(args: &CompareArgs, base: &Baseline, new: &Baseline) -> anyhow::Result<Report> {
    let name = match args.policy.as_str() {
        "regression" => "criterion",
        other => other,
    };
    let policy = PolicyChoice::parse(name).load().context("--policy")?;
    let (b, n) = (series(base), series(new));
    let plan = policy.plan(&b, &n);
    let cfg = analysis_config(None, false);
    let eval = evaluate(&plan.cells, &plan.checks, &cfg);
    let meta = Meta {
        label: args.label.clone(),
        date: output::today(),
        baseline: format!("{} (criterion import, {})", base.name, base.saved_utc),
        features_on: vec![],
        machine: crate::gate::describe_machine(&new.run),
        cross_machine: false,
        policy: format!("{} ({})", policy.name, policy.origin),
        analysis: cfg,
        notes: vec![format!(
            "criterion imports `{}` vs `{}`: per-sample ns/iter from sample.json; unpaired \
             (separate runs): Mann-Whitney U and a bootstrap CI of the ratio of medians",
            base.name, new.name
        )],
    };
    Ok(Report::build(meta, &plan.cells, &plan.checks, &eval).with_points(&n))
}

/// Prints the comparison in `--format` and returns the verdicts' exit code.
pub(super) fn compare_imports(
    args: &CompareArgs,
    base: &Baseline,
    new: &Baseline,
) -> anyhow::Result<CommandOutcome> {
    let r = report(args, base, new)?;
    let bytes = match args.format {
        ReportFormat::Json => output::render(&JsonExporter, &r)?,
        ReportFormat::Csv => output::render(&CsvExporter, &r)?,
        ReportFormat::Md => output::render(&MarkdownExporter::default(), &r)?,
    };
    output::emit(&bytes, args.out.as_deref())?;
    Ok(CommandOutcome::of_verdicts(&r.outcome))
}
