//! `ron-bench baseline save|list|show|rm`.

use super::args::{BaselineArgs, BaselineCommand};
use super::{table, CommandOutcome};
use crate::store::baseline::{BaselineDir, BaselineList, BaselineSummary, BASELINE_LIST_SCHEMA};
use crate::store::{load_run, Baseline, Machine};
use anyhow::{bail, Context};
use std::path::Path;

pub(super) fn baseline(args: BaselineArgs, workspace: &Path) -> anyhow::Result<CommandOutcome> {
    let dir = BaselineDir::new(args.dir.unwrap_or_else(|| workspace.join("baselines")));
    match args.command {
        BaselineCommand::Save { name, from, force } => {
            let from = from.unwrap_or_else(|| workspace.join("reports/runs/latest.json"));
            if !from.is_file() {
                bail!(
                    "no run file at {}: run `ron-bench run` first or pass --from RUNFILE",
                    from.display()
                );
            }
            let run = load_run(&from)?;
            if run.executor == "mock" {
                eprintln!(
                    "warning: {} was made by the mock executor (synthetic numbers)",
                    from.display()
                );
            }
            let path = dir.save(&name, run, Some(from.display().to_string()), force)?;
            println!("saved baseline `{name}` to {}", path.display());
        }
        BaselineCommand::List { json: false } => list(&dir)?,
        BaselineCommand::List { json: true } => list_json(&dir)?,
        BaselineCommand::Show { name } => show(&dir.load(&name)?),
        BaselineCommand::Rm { name } => {
            let path = dir.remove(&name)?;
            println!("removed baseline `{name}` ({})", path.display());
        }
    }
    Ok(CommandOutcome::Success)
}

fn list(dir: &BaselineDir) -> anyhow::Result<()> {
    let all = dir
        .list()
        .with_context(|| format!("cannot list baselines in {}", dir.dir.display()))?;
    if all.is_empty() {
        println!("no baselines in {}", dir.dir.display());
    }
    for l in all {
        match l.baseline {
            Ok(b) => println!(
                "{:<24} saved {}  git {}{}  {}  {}",
                l.name,
                b.saved_utc,
                short_sha(b.run.env.git_sha.as_deref()),
                if b.run.env.git_dirty == Some(true) {
                    "+dirty"
                } else {
                    ""
                },
                match &b.imported {
                    Some(i) if b.run.cells.is_empty() => {
                        format!("{} criterion benchmarks", i.benchmarks.len())
                    }
                    _ => format!("{} cells", b.run.cells.len()),
                },
                b.run
                    .env
                    .machine
                    .cpu_model
                    .as_deref()
                    .unwrap_or("unknown cpu"),
            ),
            Err(e) => println!("{:<24} (unreadable: {e})", l.name),
        }
    }
    Ok(())
}

/// `baseline list --json`: [`BaselineList`] on stdout.
fn list_json(dir: &BaselineDir) -> anyhow::Result<()> {
    let all = dir
        .list()
        .with_context(|| format!("cannot list baselines in {}", dir.dir.display()))?;
    let list = BaselineList {
        schema: BASELINE_LIST_SCHEMA.into(),
        dir: dir.dir.display().to_string(),
        baselines: all.iter().map(BaselineSummary::of).collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&list)?;
    bytes.push(b'\n');
    crate::term::Stream::Stdout.write_bytes(&bytes);
    Ok(())
}

fn show(b: &Baseline) {
    let r = &b.run;
    let m = &r.env.machine;
    println!("baseline `{}` ({})", b.name, b.schema);
    println!(
        "  saved     {} from {}",
        b.saved_utc,
        b.source.as_deref().unwrap_or("-")
    );
    println!(
        "  run       {} ({} executor, {:.1} s)",
        r.created_utc,
        r.executor,
        r.wall_ms as f64 / 1e3
    );
    println!(
        "  git       {}{}",
        r.env.git_sha.as_deref().unwrap_or("unknown"),
        if r.env.git_dirty == Some(true) {
            " (dirty)"
        } else {
            ""
        }
    );
    println!(
        "  toolchain {} ({})",
        r.env.rustc.as_deref().unwrap_or("unknown rustc"),
        r.env.target.as_deref().unwrap_or("unknown target")
    );
    println!(
        "  machine   {}, {} logical cores, {:.1} GiB, {} / kernel {}, governor {}",
        m.cpu_model.as_deref().unwrap_or("unknown cpu"),
        m.logical_cores,
        m.memory_bytes as f64 / (1u64 << 30) as f64,
        m.os.as_deref().unwrap_or("unknown os"),
        m.kernel.as_deref().unwrap_or("?"),
        m.governor.as_deref().unwrap_or("n/a")
    );
    if !Machine::capture().same_kind(m) {
        println!("  WARNING: saved on a different kind of machine than this one; comparisons are suspect");
    }
    let builds: Vec<&str> = r.builds.iter().map(|b| b.build.label.as_str()).collect();
    println!(
        "  builds    {} | {} rounds x {} samples x {} ms",
        builds.join(", "),
        r.matrix.sampling.rounds,
        r.matrix.sampling.samples,
        r.matrix.sampling.window_ms
    );
    for w in &r.warnings {
        println!("  warning   {w}");
    }
    if let Some(imp) = b.imported.as_ref() {
        print!("\n{}", table::imported(imp));
    }
    if !r.cells.is_empty() || b.imported.is_none() {
        print!("\n{}", table::cells(&r.cells));
    }
    for s in &r.skipped {
        println!("skipped: {} [{}]: {}", s.id, s.build, s.reason);
    }
}

fn short_sha(sha: Option<&str>) -> &str {
    sha.map_or("unknown", |s| crate::store::short(s, 10))
}
