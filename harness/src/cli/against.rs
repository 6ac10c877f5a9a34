//! `ron-bench gate --against REV`: same-run A/B of the working tree against a git revision.
//!
//! 1. Resolve REV in the workspace's repository; an unknown revision, or one without the
//!    harness, is a usage error (exit 2) before anything is built.
//! 2. Derive the jobs ([`revision_jobs`]): every baseline-kind gate of the policy (default
//!    `revision`) measures its cells in a `base@<sha>` build (compiled from a git worktree,
//!    cached by sha + features) and in the working tree's build with the same features.
//! 3. Measure both sides in one run, interleaved round by round (A B B A ...).
//! 4. Split the run into base and head ([`split_revision`]), evaluate the policy with the
//!    base as a baseline whose rounds pair with the head's, and write the usual reports.
//!
//! A dirty working tree is measured as it is; the report says so.

use super::args::GateArgs;
use super::gate::{defaults, finish, measure_jobs, sampling};
use super::output::{analysis_config, load_run_arg, today};
use super::Outcome;
use crate::gate::{analyze, revision_jobs, split_revision, Inputs, PolicyChoice};
use crate::runner::revision::{self, Revision};
use crate::spec::features;
use anyhow::{bail, Context};
use std::path::Path;
use std::time::Instant;

pub(super) fn gate_against(
    args: &GateArgs,
    env: &dyn Fn(&str) -> Option<String>,
    ws: &Path,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let given = args.against.as_deref().unwrap_or("HEAD");
    let default = if args.measure.as_deref() == Some("instructions") {
        "instructions"
    } else {
        "revision"
    };
    let policy = PolicyChoice::parse(args.policy.as_deref().unwrap_or(default))
        .load()
        .context("--policy")?;
    let rev = revision::resolve(ws, given).context("--against")?;
    let dirty = revision::dirty(ws);
    println!(
        "ron-bench gate --against {given}: base {} \"{}\"; head = working tree{}",
        rev.short(),
        rev.subject,
        if dirty {
            " (DIRTY: uncommitted changes are measured as they are)"
        } else {
            ""
        }
    );
    let (label, run) = match &args.run {
        Some(p) => load_run_arg(Some(p), ws)?,
        None => {
            let (base_cfg, d) = defaults(args, env, ws)?;
            let extra = match &args.features {
                Some(f) => features::parse(f)?,
                None => Vec::new(),
            };
            let jobs = revision_jobs(&policy, &extra, &d, &rev.sha);
            if jobs.jobs.is_empty() {
                bail!(
                    "policy `{}` has no gate to measure against a revision (none of kind \
                     `against = \"baseline\"` or `\"reference\"` admits a cell)",
                    policy.name
                );
            }
            let header = format!(", against {given} ({})", rev.short());
            let run = measure_jobs(jobs, sampling(args)?, &d, base_cfg, ws, &policy, &header)?;
            ("gate".to_string(), run)
        }
    };
    let dirty = run.env.git_dirty.unwrap_or(dirty);
    let (base, head) = split_revision(&run, &rev.sha);
    if base.cells.is_empty() {
        bail!(
            "the run has no cells measured at {} (base@{}): nothing to compare the working \
             tree with (was --run measured with --against {given}?)",
            rev.sha,
            rev.short()
        );
    }
    let base_name = format!("base@{}", rev.short());
    let inp = Inputs {
        baseline: Some((&base_name, &base)),
        run: (&label, &head),
        label: args
            .label
            .clone()
            .unwrap_or_else(|| format!("gate --against {given}")),
        date: today(),
        analysis: analysis_config(args.seed, args.strict),
        paired_baseline: true,
    };
    let mut a = analyze(&policy, &inp);
    describe(&mut a.report.meta, &rev, &run, dirty);
    finish(args, ws, &policy, &a, &run, started)
}

/// The report's provenance lines for a revision A/B.
fn describe(
    meta: &mut ron_bench_report::report::Meta,
    rev: &Revision,
    run: &crate::store::RunFile,
    dirty: bool,
) {
    meta.baseline = format!(
        "{} = {} \"{}\" (git worktree; same run, interleaved round by round)",
        rev.given,
        rev.short(),
        rev.subject
    );
    let head = run
        .env
        .git_sha
        .as_deref()
        .map_or("unknown", |s| &s[..s.len().min(12)]);
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
}
