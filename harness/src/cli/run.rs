//! `ron-bench run`: plan, print the estimate, build, run interleaved, write the run file.

use super::args::RunArgs;
use super::config::{OutTarget, RunConfig};
use super::{table, CommandOutcome};
use crate::runner::build::{build_runner, target_dir};
use crate::runner::mock::MockExecutor;
use crate::runner::process::ProcessExecutor;
use crate::runner::{execute, progress, Executor, Plan, RunError};
use crate::store::fingerprint::available_cores;
use crate::store::{
    check_writable_dir, now_utc, write_json_atomic, write_unique_json, BuildRecord, Environment,
    RunFile, RUN_SCHEMA,
};
use anyhow::{bail, Context};
use ron_comparables::knobs::bench_cfg_line;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

pub(super) fn run(
    args: &RunArgs,
    env: &dyn Fn(&str) -> Option<String>,
    workspace: &Path,
) -> anyhow::Result<CommandOutcome> {
    let started = Instant::now();
    let created_utc = now_utc();
    let cfg = RunConfig::new(args, env, workspace)?;
    if matches!(&cfg.out, OutTarget::Explicit(p)
        if crate::store::write::stream_of(p) == Some(crate::term::Stream::Stdout))
    {
        // `--out -`: the run file is the data on stdout; the plan and table go to stderr.
        crate::term::reserve_stdout_for_data();
    }
    let mut plan = Plan::new(cfg.matrix.clone(), available_cores());
    if let Some(shard) = cfg.shard {
        let total = plan.runnable.len();
        plan = plan.shard(shard);
        info!(
            "shard {shard}: {} of {total} (cell, build) jobs (merge the {} shard files with `ron-bench merge`)",
            plan.runnable.len(),
            shard.count
        );
    }
    let warnings = print_plan(&plan, &cfg);
    if cfg.dry_run {
        println!("dry run: nothing built, run or written");
        return Ok(CommandOutcome::Success);
    }
    let out_path = prepare_output(&cfg.out)?;
    let mut run = measure(&plan, &cfg.workspace, cfg.mock, cfg.knobs.clone(), warnings)?;
    run.created_utc = created_utc;
    run.wall_ms = started.elapsed().as_millis() as u64;
    run.shard = cfg.shard;
    if !crate::term::quiet() {
        print!("\n{}", table::cells(&run.cells));
    }
    let out_path = write_run(&run, out_path.as_deref(), &cfg.out)?;
    println!(
        "wrote {} ({} cells, {} skipped) in {:.1} s",
        out_path.display(),
        run.cells.len(),
        run.skipped.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(CommandOutcome::Success)
}

/// Builds what `plan` needs, runs it (Ctrl-C aware) and returns the run file (not written).
/// Shared by `run`, `gate` and `calibrate`.
pub(super) fn measure(
    plan: &Plan,
    workspace: &Path,
    mock: bool,
    knobs: Vec<crate::spec::knobs::KnobSetting>,
    warnings: Vec<String>,
) -> anyhow::Result<RunFile> {
    let started = Instant::now();
    let created_utc = now_utc();
    let stop = install_ctrl_c()?;
    let (mut exec, builds) = executor(mock, workspace, plan, &stop)?;
    let collected = match execute(
        plan,
        exec.as_mut(),
        progress::for_terminal().as_mut(),
        &stop,
    ) {
        Ok(c) => c,
        Err(e @ RunError::Interrupted { .. }) => bail!(interrupted(&e.to_string())),
        Err(e) => return Err(e).context("run aborted; no run file written"),
    };
    Ok(RunFile {
        schema: RUN_SCHEMA.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        created_utc,
        wall_ms: started.elapsed().as_millis() as u64,
        executor: if mock { "mock" } else { "process" }.into(),
        env: Environment::capture(workspace),
        matrix: plan.matrix.clone(),
        knobs,
        builds,
        cells: collected.cells,
        skipped: collected.skipped,
        warnings,
        shard: None,
        merged_from: Vec::new(),
    })
}

/// Prints the matrix, `[bench cfg]` lines, warnings, skips and the estimate; returns warnings.
pub(super) fn print_plan(plan: &Plan, cfg: &RunConfig) -> Vec<String> {
    let m = &plan.matrix;
    let names = |v: Vec<String>| v.join(",");
    info!(
        "ron-bench run: scenarios {} | contenders {} | builds {} | {} rounds x {} samples x {} ms (warm-up {} ms){}",
        names(m.scenarios.iter().map(|s| s.to_string()).collect()),
        names(m.contenders.iter().map(|c| c.to_string()).collect()),
        names(m.builds.iter().map(|b| b.label.clone()).collect()),
        m.sampling.rounds,
        m.sampling.samples,
        m.sampling.window_ms,
        m.sampling.warmup_ms,
        if m.quick { " [quick]" } else { "" }
    );
    for k in &cfg.knobs {
        info!("  {} = {:?} ({})", k.var, k.values, k.source);
    }
    for point in m.knob_points() {
        info!("{}", bench_cfg_line(&point));
    }
    let mut warnings = Vec::new();
    let threaded = m.scenarios.iter().any(|s| s.uses_threads());
    for &f in &m.fanouts {
        if threaded && f as usize + 1 > plan.cores {
            warnings.push(format!(
                "fanout {f} + 1 publisher = {} threads > {} available cores: subscribers time-share cores (cells marked `oversubscribed`)",
                f + 1,
                plan.cores
            ));
        }
    }
    for w in &warnings {
        info!("warning: {w}");
    }
    print_skips(&plan.skipped);
    let needed: Vec<String> = plan
        .builds_needed()
        .iter()
        .map(|&b| m.builds[b].label.clone())
        .collect();
    let uncached: Vec<&String> = needed
        .iter()
        .filter(|l| !target_dir(&cfg.workspace).join("bins").join(l).is_dir())
        .collect();
    let builds_note = if cfg.mock {
        "mock executor: no builds".to_string()
    } else if uncached.is_empty() {
        format!("{} cached runner build(s), ~1 s each", needed.len())
    } else {
        format!(
            "{} runner build(s), {} never built before (a first release build takes a few minutes)",
            needed.len(),
            uncached.len()
        )
    };
    info!(
        "estimated time: ~{:.0} s for {} process runs ({} cells x {} rounds x ~{:.2} s) + {builds_note}",
        plan.estimated_ms() as f64 / 1e3,
        plan.order.len(),
        plan.runnable.len(),
        m.sampling.rounds,
        m.sampling.estimated_run_ms() as f64 / 1e3,
    );
    warnings
}

/// One line per distinct (scenario, build, reason); the run file lists every cell.
fn print_skips(skipped: &[crate::store::SkippedCell]) {
    let mut groups: Vec<(String, &str, &str, usize)> = Vec::new();
    for s in skipped {
        let scenario = s.id.split('/').next().unwrap_or("").to_string();
        match groups
            .iter_mut()
            .find(|g| g.0 == scenario && g.1 == s.build && g.2 == s.reason)
        {
            Some(g) => g.3 += 1,
            None => groups.push((scenario, &s.build, &s.reason, 1)),
        }
    }
    for (scenario, build, reason, n) in groups {
        info!("skip: {scenario} [{build}] ({n} cells): {reason}");
    }
}

/// Checks (before anything runs) that the run file can be written: the explicit `--out`
/// path, or `None` for a new stamped file in the default directory.
fn prepare_output(out: &OutTarget) -> anyhow::Result<Option<PathBuf>> {
    match out {
        OutTarget::Explicit(path) => {
            // `-`, /dev/stdout, a FIFO or a device is written in place: no directory to check.
            let special = crate::store::write::stream_of(path).is_some()
                || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
            if special {
                return Ok(Some(path.clone()));
            }
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if !dir.is_dir() {
                bail!(
                    "output directory {} does not exist (for --out {})",
                    dir.display(),
                    path.display()
                );
            }
            check_writable_dir(dir).context("--out")?;
            Ok(Some(path.clone()))
        }
        OutTarget::Default(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create output directory {}", dir.display()))?;
            check_writable_dir(dir).context("--out")?;
            Ok(None)
        }
    }
}

/// Writes the run file; returns where it went. A default-named file is created exclusively
/// with a millisecond stamp, so runs started in the same second never overwrite each other.
fn write_run(run: &RunFile, path: Option<&Path>, out: &OutTarget) -> anyhow::Result<PathBuf> {
    if let Some(p) = path {
        write_json_atomic(p, run)?;
        return Ok(p.to_path_buf());
    }
    let OutTarget::Default(dir) = out else {
        bail!("internal: a default run file path without a default directory");
    };
    let written = write_unique_json(dir, "run", run)?;
    write_json_atomic(&dir.join("latest.json"), run)?;
    Ok(written)
}

/// Ctrl-C sets the returned flag (the run stops between process runs and writes nothing);
/// a second Ctrl-C exits at once. Installed once per process (commands may measure twice).
fn install_ctrl_c() -> anyhow::Result<Arc<AtomicBool>> {
    static STOP: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    if let Some(stop) = STOP.get() {
        return Ok(Arc::clone(stop));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let _ = STOP.set(Arc::clone(&stop));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            eprintln!("{}", interrupted("interrupted twice"));
            std::process::exit(i32::from(super::EXIT_ERROR));
        }
        eprintln!("\nCtrl-C: stopping after the current process run ...");
    })
    .context("cannot install the Ctrl-C handler")?;
    Ok(stop)
}

fn interrupted(what: &str) -> String {
    format!("{what}; partial results discarded: no run file and no baseline written")
}

/// The mock executor's knobs from the environment (an unparsable value names the variable).
fn mock_from_env() -> anyhow::Result<MockExecutor> {
    let sleep_ms = std::env::var("RON_BENCH_MOCK_SLEEP_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let slowdown = match std::env::var("RON_BENCH_MOCK_SLOWDOWN_PCT") {
        Ok(v) => {
            let pct: f64 = v
                .trim()
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite() && *p > -100.0)
                .with_context(|| {
                    format!("RON_BENCH_MOCK_SLOWDOWN_PCT={v:?} is not a percentage > -100")
                })?;
            Some((
                pct,
                std::env::var("RON_BENCH_MOCK_SLOW")
                    .ok()
                    .filter(|s| !s.is_empty()),
            ))
        }
        Err(_) => None,
    };
    Ok(MockExecutor {
        sleep: std::time::Duration::from_millis(sleep_ms),
        slowdown,
        ..MockExecutor::default()
    })
}

/// The mock executor (`RON_BENCH_MOCK=1`) or real runner builds.
fn executor(
    mock: bool,
    workspace: &Path,
    plan: &Plan,
    stop: &AtomicBool,
) -> anyhow::Result<(Box<dyn Executor>, Vec<BuildRecord>)> {
    let builds = &plan.matrix.builds;
    if mock {
        let exec = mock_from_env()?;
        let records = builds
            .iter()
            .map(|b| BuildRecord {
                build: b.clone(),
                runner_sha256: None,
            })
            .collect();
        return Ok((Box::new(exec), records));
    }
    let valgrind = match plan.matrix.measure {
        crate::spec::Measure::Instructions => Some(crate::runner::process::find_valgrind()?),
        crate::spec::Measure::Time => None,
    };
    let needed: BTreeSet<usize> = plan.builds_needed().into_iter().collect();
    let mut bins = vec![None; builds.len()];
    let mut records = Vec::new();
    for (i, b) in builds.iter().enumerate() {
        let mut sha = None;
        if needed.contains(&i) {
            let built = build_runner(workspace, b, &mut |l| {
                if !crate::term::quiet() {
                    eprintln!("{l}");
                }
            });
            if stop.load(Ordering::SeqCst) {
                bail!(interrupted(
                    "interrupted by Ctrl-C while building the runner"
                ));
            }
            let built = built?;
            sha = Some(built.sha256);
            bins[i] = Some(built.path);
        }
        records.push(BuildRecord {
            build: b.clone(),
            runner_sha256: sha,
        });
    }
    let no_aslr = crate::runner::process::aslr_off_works();
    Ok((
        Box::new(ProcessExecutor {
            bins,
            valgrind,
            no_aslr,
            v1_builds: Default::default(),
        }),
        records,
    ))
}
