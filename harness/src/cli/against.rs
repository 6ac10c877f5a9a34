//! `ron-bench gate` against a git revision: same-run A/B of the working tree against a base.
//!
//! 1. Config ([`RevisionGate::new`]): the base (`--against REV`, else [`base::choose`]), the
//!    policy (default `change`), sampling, the [`Schedule`] of looks, and whether instruction
//!    counts can be taken (valgrind on PATH). An unknown revision, or one without the
//!    harness, is a usage error (exit 2) before anything is built.
//! 2. Instruction counts (`I-*` gates, when valgrind is there): one short run of both sides
//!    under callgrind; deterministic, so [`COUNT_ROUNDS`] rounds decide them.
//! 3. Time, in looks ([`sequential`]): every other gate's cells in a `base@<sha>` build and
//!    the working tree's, interleaved round by round (A B B A ...); after each look the
//!    undecided checks get the next look, until decided or the budget is spent.
//! 4. Split each run into base and head ([`split_revision`]), evaluate with the base as a
//!    baseline whose rounds pair with the head's, write the usual reports.
//!
//! A dirty working tree is measured as it is; the report says so.

use super::gate::{defaults, finish};
use super::gate_config::{GateConfig, GateMode};
use super::output::{analysis_config, load_run_arg, today};
use super::run::{measure, print_plan};
use super::CommandOutcome;
use crate::gate::base::{self, BaseChoice};
use crate::gate::describe_machine;
use crate::gate::sequential::{self, Schedule, Stop};
use crate::gate::{analyze, revision_jobs, split_revision, Analysis, Defaults, Inputs, Jobs};
use crate::runner::revision::{self, Revision};
use crate::runner::Plan;
use crate::spec::{Build, Measure, Sampling};
use crate::store::fingerprint::available_cores;
use crate::store::RunFile;
use anyhow::{bail, Context};
use ron_bench_report::analysis::MetricKind;
use ron_bench_report::policy::Policy;
use std::path::Path;
use std::time::Instant;

/// Rounds of the instruction-count run: counts are deterministic, so three identical rounds
/// make an exact comparison (`Comparison::exact`).
pub const COUNT_ROUNDS: u32 = 3;

/// The variable that makes a missing valgrind an error instead of a skipped check (CI sets it).
pub const REQUIRE_VALGRIND: &str = "RON_BENCH_REQUIRE_VALGRIND";

/// Everything a revision gate needs, validated once.
pub(super) struct RevisionGate {
    policy: Policy,
    rev: Revision,
    /// Why this base (`--against` as given, or the default rule's reason).
    why: String,
    dirty: bool,
    sampling: Sampling,
    schedule: Schedule,
    /// `None` when instruction counts are taken; else why not.
    counts_off: Option<String>,
    /// `--measure instructions`: the gate is instruction counts only.
    counts_only: bool,
    defaults: Defaults,
    base_cfg: super::config::RunConfig,
    extra: Vec<Build>,
    label: String,
}

impl RevisionGate {
    pub(super) fn new(
        cfg: &GateConfig,
        env: &dyn Fn(&str) -> Option<String>,
        ws: &Path,
    ) -> anyhow::Result<RevisionGate> {
        // Validate what needs no git first, so bad flags are named even outside a repository.
        let instructions = cfg.measure == Measure::Instructions;
        let policy = cfg.select.policy(cfg.policy.load().context("--policy")?);
        let choice = match &cfg.mode {
            GateMode::Revision {
                against: Some(given),
            } => BaseChoice {
                rev: given.clone(),
                reason: format!("--against {given}"),
            },
            _ => base::facts(ws)
                .map(|f| base::choose(&f))
                .context("`ron-bench gate` compares the working tree with a git base, but the workspace is not a git work tree (pass --baseline NAME, or --policy features for the same-tree feature A/B)")?,
        };
        let rev = revision::resolve(ws, &choice.rev).context("--against")?;
        let mock = env("RON_BENCH_MOCK").is_some_and(|v| v == "1");
        let counts_off = counts_off(mock);
        if instructions && counts_off.is_some() {
            crate::runner::process::find_valgrind()?;
        }
        if counts_off.is_some() && env(REQUIRE_VALGRIND).is_some_and(|v| v == "1") {
            bail!(
                "{REQUIRE_VALGRIND}=1 but valgrind is not on PATH: install the `valgrind` package \
                 (the instruction-count checks of the gate need it)"
            );
        }
        let (base_cfg, defaults) = defaults(cfg, env, ws)?;
        let policy = if cfg.run.is_none() {
            cfg.select.measurable(policy, &defaults)?
        } else {
            policy
        };
        Ok(RevisionGate {
            policy,
            why: choice.reason,
            dirty: revision::dirty(ws),
            sampling: cfg.sampling,
            schedule: Schedule {
                budget_ms: cfg.looks.budget_s * 1000,
                max_looks: cfg.looks.max_looks,
                first_rounds: cfg.looks.first_rounds,
                min_rounds: 4,
            },
            counts_off,
            counts_only: instructions,
            defaults,
            base_cfg,
            extra: cfg.extra.clone(),
            label: cfg
                .label
                .clone()
                .unwrap_or_else(|| format!("gate: working tree vs {}", rev.short())),
            rev,
        })
    }

    /// The gates measured by time (everything but instruction counts).
    fn time_policy(&self) -> anyhow::Result<Policy> {
        self.subset(|m| m != MetricKind::InstructionsPerMsg)
    }

    /// The instruction-count gates, when counts can be taken.
    fn count_policy(&self) -> anyhow::Result<Option<Policy>> {
        if self.counts_off.is_some() {
            return Ok(None);
        }
        let p = self.subset(|m| m == MetricKind::InstructionsPerMsg)?;
        Ok((!p.gates.is_empty()).then_some(p))
    }

    fn subset(&self, keep: impl Fn(MetricKind) -> bool) -> anyhow::Result<Policy> {
        let ids: Vec<&str> = self
            .policy
            .gates
            .iter()
            .filter(|g| keep(g.metric))
            .map(|g| g.id.as_str())
            .collect();
        Ok(self.policy.only(&ids)?)
    }

    fn header(&self) -> String {
        format!(
            "ron-bench gate: policy {} | base {} \"{}\" = {} | head = working tree{}",
            self.policy.name,
            self.rev.short(),
            self.rev.subject,
            self.why,
            if self.dirty {
                " (DIRTY: uncommitted changes are measured as they are)"
            } else {
                ""
            }
        )
    }

    /// Plans `policy`'s jobs (both sides) with `sampling`.
    fn plan(&self, policy: &Policy, sampling: Sampling, measure: Measure) -> Option<Plan> {
        let mut d = self.defaults.clone();
        d.measure = measure;
        let jobs: Jobs = revision_jobs(policy, &self.extra, &d, &self.rev.sha);
        if jobs.jobs.is_empty() {
            return None;
        }
        let matrix = jobs.matrix(sampling, &d);
        Some(Plan::from_jobs(
            matrix,
            jobs.cells,
            jobs.jobs,
            available_cores(),
        ))
    }
}

/// Why instruction counts are not taken (`None`: they are).
fn counts_off(mock: bool) -> Option<String> {
    if mock {
        return None;
    }
    crate::runner::process::find_valgrind().err().map(|_| {
        "valgrind is not on PATH: the instruction-count checks (I-*) were skipped; install \
         valgrind for exact code-path checks"
            .to_string()
    })
}

pub(super) fn gate_against(
    cfg: &GateConfig,
    env: &dyn Fn(&str) -> Option<String>,
    ws: &Path,
) -> anyhow::Result<CommandOutcome> {
    let started = Instant::now();
    let g = RevisionGate::new(cfg, env, ws)?;
    info!("{}", g.header());
    if let Some(note) = &g.counts_off {
        info!("note: {note}");
    }
    if cfg.dry_run {
        return dry_run(&g);
    }
    let (mut a, run, stop) = match &cfg.run {
        Some(p) => {
            let (label, run) = load_run_arg(Some(p), ws)?;
            let (a, run) = evaluate(&g, cfg, &label, &run, None, &g.policy)?;
            (a, run, None)
        }
        None => {
            let (a, run, stop) = measure_and_evaluate(&g, cfg, ws)?;
            (a, run, Some(stop))
        }
    };
    if g.policy.name == "change" {
        let cal =
            super::calibrate_gate::stored(ws, cfg.dir.baseline_dir.as_deref(), g.base_cfg.mock);
        a.report.meta.notes.push(cal.map_or_else(
            || "calibration: none stored for this machine class (run `ron-bench calibrate`)".into(),
            |c| c.summary(),
        ));
    }
    finish(cfg, ws, &g.policy, &a, &run, started, stop)
}

/// `--dry-run`: the count run's and the first look's plans (cells, builds, skips and why).
fn dry_run(g: &RevisionGate) -> anyhow::Result<CommandOutcome> {
    let show = |what: &str, plan: Option<Plan>| {
        if let Some(plan) = plan {
            println!("{what}: {} process runs", plan.order.len());
            let cfg = super::config::RunConfig {
                matrix: plan.matrix.clone(),
                ..g.base_cfg.clone()
            };
            print_plan(&plan, &cfg);
        }
    };
    if let Some(p) = g.count_policy()? {
        let sampling = Sampling {
            rounds: COUNT_ROUNDS,
            ..Sampling::INSTRUCTIONS
        };
        show(
            "instruction counts (callgrind)",
            g.plan(&p, sampling, Measure::Instructions),
        );
    }
    let first = looked(g.sampling, g.schedule.first_rounds);
    show(
        "time, look 1",
        g.plan(&g.time_policy()?, first, Measure::Time),
    );
    println!("dry run: nothing built, run or written");
    Ok(CommandOutcome::Success)
}

/// Steps 2-4: counts, looks, final analysis.
fn measure_and_evaluate(
    g: &RevisionGate,
    cfg: &GateConfig,
    ws: &Path,
) -> anyhow::Result<(Analysis, RunFile, Stop)> {
    // The budget covers the whole measurement: the count run first, then the looks.
    let counts_started = Instant::now();
    let count_run = match g.count_policy()? {
        Some(p) => measure_counts(g, &p, ws)?,
        None => None,
    };
    let counts = count_run.as_ref().map(|r| split_revision(r, &g.rev.sha));
    let counts_ms = counts_started.elapsed().as_millis() as u64;
    let time = g.time_policy()?;
    let first = g.plan(
        &time,
        looked(g.sampling, g.schedule.first_rounds),
        Measure::Time,
    );
    let Some(first) = first else {
        // Only instruction counts to gate (e.g. `--measure instructions`): one run decides.
        let run = count_run.with_context(|| {
            format!(
                "policy `{}` has no gate to measure against a revision (none of kind \
                 `against = \"baseline\"` or `\"reference\"` admits a cell)",
                g.policy.name
            )
        })?;
        let (a, run) = evaluate(g, cfg, "gate", &run, None, &g.policy)?;
        save_run(ws, &run);
        return Ok((a, run, Stop::AllDecided));
    };
    print_look_plan(1, &first);
    let look_started = Instant::now();
    let mut run = look(g, &first, ws)?;
    let mut looks = 1;
    let first_ms = look_started.elapsed().as_millis() as u64;
    let mut spent_ms = counts_ms + first_ms;
    let mut per_job_ms = first_ms as f64 / first.order.len().max(1) as f64;
    let (stop, a) = loop {
        let a = evaluate(g, cfg, "gate", &run, counts.as_ref(), &g.policy)?;
        let progress = sequential::progress(&a.0.report);
        let next = g.next_look(&progress, looks, spent_ms, per_job_ms)?;
        let plan = match (sequential::stop_reason(&progress, next.is_some()), next) {
            (Some(stop), _) => break (stop, a),
            (None, Some(plan)) => plan,
            (None, None) => break (Stop::BudgetSpent, a),
        };
        looks += 1;
        print_look_plan(looks, &plan);
        let t = Instant::now();
        sequential::append_look(&mut run, look(g, &plan, ws)?);
        let ms = t.elapsed().as_millis() as u64;
        spent_ms += ms;
        per_job_ms = ms as f64 / plan.order.len().max(1) as f64;
    };
    let (mut analysis, run) = a;
    sequential::annotate(&mut analysis.report, stop, looks);
    analysis.report.meta.notes.push(format!(
        "sequential: {looks} look(s), {:.0} s of a {} s budget, alpha {} per look \
         (Bonferroni over {} looks), stopped: {}",
        spent_ms as f64 / 1000.0,
        g.schedule.budget_ms / 1000,
        g.schedule.look_alpha(0.05),
        g.schedule.max_looks,
        stop.as_str()
    ));
    save_run(ws, &run);
    Ok((analysis, run, stop))
}

impl RevisionGate {
    /// The next look's plan: the still-undecided checks' cells, sized so the remaining looks
    /// share the remaining budget. `None` when nothing is undecided, a check failed, or the
    /// budget cannot fit another round.
    fn next_look(
        &self,
        progress: &sequential::Progress,
        looks: u32,
        spent_ms: u64,
        per_job_ms: f64,
    ) -> anyhow::Result<Option<Plan>> {
        let undecided: Vec<&str> = progress
            .undecided_gates
            .iter()
            .map(String::as_str)
            .collect();
        if undecided.is_empty() || progress.failed {
            return Ok(None);
        }
        let p = self.policy.only(&undecided)?;
        Ok(self
            .plan(&p, looked(self.sampling, 1), Measure::Time)
            .and_then(|one| {
                let per_round_ms = per_job_ms * one.order.len() as f64;
                self.schedule.next_rounds(looks, spent_ms, per_round_ms)
            })
            .and_then(|rounds| self.plan(&p, looked(self.sampling, rounds), Measure::Time)))
    }
}

/// `sampling` with `rounds` rounds.
fn looked(sampling: Sampling, rounds: u32) -> Sampling {
    Sampling { rounds, ..sampling }
}

fn print_look_plan(look: u32, plan: &Plan) {
    let builds: Vec<&str> = plan
        .builds_needed()
        .into_iter()
        .map(|b| plan.matrix.builds[b].label.as_str())
        .collect();
    info!(
        "look {look}: {} cells x {} builds ({}), {} rounds -> {} process runs",
        plan.cells.len(),
        builds.len(),
        builds.join(", "),
        plan.matrix.sampling.rounds,
        plan.order.len()
    );
}

/// Measures one look (builds are cached after the first).
fn look(g: &RevisionGate, plan: &Plan, ws: &Path) -> anyhow::Result<RunFile> {
    measure(
        plan,
        ws,
        g.base_cfg.mock,
        g.base_cfg.knobs.clone(),
        Vec::new(),
    )
}

/// Step 2: instruction counts of both sides, split into (base, head).
fn measure_counts(g: &RevisionGate, policy: &Policy, ws: &Path) -> anyhow::Result<Option<RunFile>> {
    // `--measure instructions` keeps its own sampling (and `--rounds`); the default gate's
    // count run needs only enough identical rounds to be exact.
    let sampling = if g.counts_only {
        g.sampling
    } else {
        Sampling {
            rounds: COUNT_ROUNDS,
            ..Sampling::INSTRUCTIONS
        }
    };
    let Some(plan) = g.plan(policy, sampling, Measure::Instructions) else {
        return Ok(None);
    };
    info!(
        "instruction counts: {} cells x {} builds x {} rounds under callgrind",
        plan.cells.len(),
        plan.builds_needed().len(),
        plan.matrix.sampling.rounds
    );
    Ok(Some(look(g, &plan, ws)?))
}

/// Step 4: split, analyze at the per-look alpha, describe.
fn evaluate(
    g: &RevisionGate,
    cfg: &GateConfig,
    label: &str,
    run: &RunFile,
    counts: Option<&(RunFile, RunFile)>,
    policy: &Policy,
) -> anyhow::Result<(Analysis, RunFile)> {
    let mut run = run.clone();
    crate::runner::equalize_on_cpu(&mut run);
    let run = &run;
    let (base, head) = split_revision(run, &g.rev.sha);
    if base.cells.is_empty() {
        bail!(
            "the run has no cells measured at {} (base@{}): nothing to compare the working \
             tree with (was --run measured against this base?)",
            g.rev.sha,
            g.rev.short()
        );
    }
    let base_name = format!("base@{}", g.rev.short());
    let mut analysis = analysis_config(cfg.seed, cfg.strict);
    analysis.gate.alpha = g.schedule.look_alpha(analysis.gate.alpha);
    let inp = Inputs {
        baseline: Some((&base_name, &base)),
        run: (label, &head),
        label: g.label.clone(),
        date: today(),
        analysis,
        paired_baseline: true,
        counts: counts.map(|(b, h)| (b, h)),
        select: cfg.select.clone(),
    };
    let mut a = analyze(policy, &inp);
    describe(&mut a.report.meta, g, run);
    Ok((a, run.clone()))
}

fn save_run(ws: &Path, run: &RunFile) {
    let dir = ws.join("reports").join("runs");
    if std::fs::create_dir_all(&dir).is_ok() {
        if let Ok(path) = crate::store::write_unique_json(&dir, "gate", run) {
            eprintln!("run file: {} ({})", path.display(), describe_machine(run));
        }
    }
}

/// The report's provenance lines for a revision A/B.
fn describe(meta: &mut ron_bench_report::report::Meta, g: &RevisionGate, run: &RunFile) {
    meta.baseline = format!(
        "{} \"{}\" ({}; git worktree, same run, interleaved round by round)",
        g.rev.short(),
        g.rev.subject,
        g.why
    );
    let head = run
        .env
        .git_sha
        .as_deref()
        .map_or("unknown", |s| crate::store::short(s, 12));
    let dirty = run.env.git_dirty.unwrap_or(g.dirty);
    meta.notes.insert(
        0,
        if dirty {
            format!(
                "head: working tree at {head} + uncommitted changes (DIRTY: measured as-is; \
                 commit them to make this report reproducible)"
            )
        } else {
            format!("head: working tree at {head} (clean)")
        },
    );
    if let Some(note) = &g.counts_off {
        meta.notes.push(note.clone());
    }
}
