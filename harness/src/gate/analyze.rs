//! Step 4 of the gate pipeline: run files -> [`Series`] (see [`crate::series`]) ->
//! `policy.plan` -> `evaluate` -> [`Report::build`] with points, wake metrics and counter
//! sanity. Every verdict comes from the report crate; this module only maps and assembles.

use crate::series::{self, Side};
use crate::store::{Machine, RunFile};
use ron_bench_report::analysis::{evaluate, AnalysisConfig, Evaluation, MetricKind, Series};
use ron_bench_report::policy::{Plan as GatePlan, Policy};
use ron_bench_report::report::{Meta, Report};
use std::collections::BTreeSet;

/// Inputs of one analysis.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// The stored baseline (name and run), if any.
    pub baseline: Option<(&'a str, &'a RunFile)>,
    /// The new run and its label (file name).
    pub run: (&'a str, &'a RunFile),
    /// `--label`.
    pub label: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Analysis settings.
    pub analysis: AnalysisConfig,
    /// The baseline was measured in the same run as `run`, interleaved round by round
    /// (`gate --against`): its rounds pair with the run's.
    pub paired_baseline: bool,
    /// Instruction counts of the same A/B, measured in their own run (base side, head side):
    /// only their deterministic `instructions_per_msg` series join the analysis.
    pub counts: Option<(&'a RunFile, &'a RunFile)>,
    /// `--threshold` (already applied to the policy) and `--filter` (applied to the plan).
    pub select: crate::gate::Selection,
}

/// The result of [`analyze`].
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The plan (cells and checks).
    pub plan: GatePlan,
    /// Its evaluation.
    pub eval: Evaluation,
    /// The report every exporter reads.
    pub report: Report,
    /// Series of the new run.
    pub series: Vec<Series>,
}

/// One line describing a machine.
pub fn describe_machine(run: &RunFile) -> String {
    let m = &run.env.machine;
    format!(
        "{}, {} logical cores, {:.1} GiB, {} / kernel {}, {}",
        m.cpu_model.as_deref().unwrap_or("unknown cpu"),
        m.logical_cores,
        m.memory_bytes as f64 / (1u64 << 30) as f64,
        m.os.as_deref().unwrap_or("unknown os"),
        m.kernel.as_deref().unwrap_or("?"),
        run.env.rustc.as_deref().unwrap_or("unknown rustc"),
    )
}

/// Whether `base` was measured on another kind of machine than `new`.
pub fn cross_machine(base: &Machine, new: &Machine) -> bool {
    !base.same_kind(new)
}

/// Maps the run files to series, plans, evaluates and builds the report (pure).
pub fn analyze(policy: &Policy, inp: &Inputs<'_>) -> Analysis {
    let (base, new) = sides(inp);
    let (_, run) = inp.run;
    let cross = inp
        .baseline
        .is_some_and(|(_, b)| cross_machine(&b.env.machine, &run.env.machine));
    let mut analysis = inp.analysis;
    analysis.gate.cross_machine = cross;
    let mut plan = policy.plan(&base, &new);
    let dropped = inp.select.retain(&mut plan);
    let eval = evaluate(&plan.cells, &plan.checks, &analysis);
    let mut features_on: BTreeSet<String> = BTreeSet::new();
    for b in &run.builds {
        features_on.extend(b.build.features.iter().cloned());
    }
    let baseline_desc = match inp.baseline {
        Some((name, b)) => format!(
            "{name} (git {}, {})",
            b.env
                .git_sha
                .as_deref()
                .map_or("unknown", |s| crate::store::short(s, 10)),
            b.created_utc
        ),
        None => "same-run reference builds (interleaved A/B)".to_string(),
    };
    let meta = Meta {
        label: inp.label.clone(),
        date: inp.date.clone(),
        baseline: baseline_desc,
        features_on: features_on.into_iter().collect(),
        machine: describe_machine(run),
        cross_machine: cross,
        policy: format!("{} ({})", policy.name, policy.origin),
        analysis,
        notes: [
            inp.select.notes(plan.checks.len(), dropped),
            notes(inp, cross),
        ]
        .concat(),
    };
    let mut report = Report::build(meta, &plan.cells, &plan.checks, &eval).with_points(&new);
    let (base_side, new_side) = counter_sides(inp);
    if let Some(w) = series::wake_metrics(&base_side, &new_side) {
        report = report.with_wake(w);
    }
    report = report.with_counters(series::counter_sanity(&base_side, &new_side));
    Analysis {
        plan,
        eval,
        report,
        series: new,
    }
}

/// The base and new series: the baseline's (labelled as the run when interleaved with it, so
/// the rounds pair) and the run's, each with its instruction counts when a count run exists.
fn sides(inp: &Inputs<'_>) -> (Vec<Series>, Vec<Series>) {
    let (run_label, run) = inp.run;
    let mut new = series::series_of(run_label, run);
    let mut base: Vec<Series> = inp
        .baseline
        .map(|(name, b)| {
            let label = if inp.paired_baseline {
                run_label.to_string()
            } else {
                format!("baseline:{name}")
            };
            series::series_of(&label, b)
        })
        .unwrap_or_default();
    if let Some((b, h)) = inp.counts {
        let counted = |s: &Series| s.metric.name == MetricKind::InstructionsPerMsg.name();
        let label = format!("{run_label}-instructions");
        base.extend(series::series_of(&label, b).into_iter().filter(counted));
        new.extend(series::series_of(&label, h).into_iter().filter(counted));
    }
    (base, new)
}

/// The report's notes: mock data, a cross-machine baseline, every skipped cell.
fn notes(inp: &Inputs<'_>, cross: bool) -> Vec<String> {
    let (_, run) = inp.run;
    let mut notes = Vec::new();
    if run.executor == "mock" || inp.baseline.is_some_and(|(_, b)| b.executor == "mock") {
        notes.push("mock executor: synthetic numbers (test seam), not a measurement".to_string());
    }
    if let Some((name, b)) = inp.baseline.filter(|_| cross) {
        notes.push(format!(
            "WARNING: baseline `{name}` was measured on {}; this run on {}: every verdict is cross-machine",
            describe_machine(b),
            describe_machine(run)
        ));
    }
    for s in &run.skipped {
        notes.push(format!("skipped {} [{}]: {}", s.id, s.build, s.reason));
    }
    notes
}

/// Base and new sides of the counter summaries: the baseline vs the run, or (same run) the
/// build without features vs the build with the most features.
fn counter_sides<'a>(inp: &Inputs<'a>) -> (Side<'a>, Side<'a>) {
    let run = inp.run.1;
    match inp.baseline {
        Some((_, b)) => (
            Side {
                run: b,
                features: None,
            },
            Side {
                run,
                features: None,
            },
        ),
        None => {
            let feats = |b: Option<&crate::store::BuildRecord>| {
                b.map(|b| {
                    b.build
                        .features
                        .iter()
                        .cloned()
                        .collect::<BTreeSet<String>>()
                })
            };
            let reference = run.builds.iter().min_by_key(|b| b.build.features.len());
            let candidate = run.builds.iter().max_by_key(|b| b.build.features.len());
            (
                Side {
                    run,
                    features: feats(reference),
                },
                Side {
                    run,
                    features: feats(candidate),
                },
            )
        }
    }
}
