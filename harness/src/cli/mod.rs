//! The CLI: [`args`] (clap, raw) -> [`config`] (validated) -> commands; exit codes.
//!
//! Exit codes: 0 success, 1 a failed gate (`gate`, and `compare`, whose output states it;
//! `notes` and `chart` present verdicts and exit 0, like critcmp), 2 usage, data or tool error (bad knob, unknown name,
//! missing/corrupt file, bad policy, failed build, Ctrl-C, cross-machine baseline with
//! `--require-same-machine`).

mod against;
pub mod args;
mod baseline;
pub mod calibrate;
pub mod calibrate_gate;
mod compare;
pub mod config;
mod criterion_compare;
mod docs;
mod gate;
pub mod gate_config;
mod history;
mod interop;
mod merge;
pub mod output;
mod run;
mod table;

pub use args::Args;

use args::Command;
use std::process::ExitCode;

/// How a successful command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Exit 0.
    Success,
    /// Exit 1: a gate failed (used by later commands).
    GateFailed,
}

impl CommandOutcome {
    /// The outcome the verdicts call for (their `exit_code`: 0 pass, 1 a gate failed).
    pub fn of_verdicts(o: &ron_bench_report::analysis::Outcome) -> CommandOutcome {
        if o.passed && o.exit_code == 0 {
            CommandOutcome::Success
        } else {
            CommandOutcome::GateFailed
        }
    }

    /// The process exit code.
    pub fn exit_code(self) -> ExitCode {
        match self {
            CommandOutcome::Success => ExitCode::SUCCESS,
            CommandOutcome::GateFailed => ExitCode::from(1),
        }
    }
}

/// `ron-bench schema`: print one schema, or write them all.
fn schema(a: &args::SchemaArgs) -> anyhow::Result<CommandOutcome> {
    let all = crate::schema::all();
    if let Some(dir) = &a.out_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {} (--out-dir): {e}", dir.display()))?;
        for s in &all {
            let path = dir.join(s.file_name());
            crate::store::write::write_file(&path, s.text().as_bytes())?;
            println!("wrote {} ({})", path.display(), s.id);
        }
    }
    if let Some(kind) = &a.kind {
        if let Some(s) = all.iter().find(|s| s.kind == kind) {
            crate::term::Stream::Stdout.write_bytes(s.text().as_bytes());
        }
    }
    Ok(CommandOutcome::Success)
}

/// Exit code of a usage, data or tool error.
pub const EXIT_ERROR: u8 = 2;

/// Checks the environment before the arguments are parsed, so a bad variable is named
/// itself (clap would blame the flag an empty `RON_BASELINE_DIR` stands in for).
pub fn preflight(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    if env("RON_BASELINE_DIR").is_some_and(|v| v.is_empty()) {
        anyhow::bail!(
            "RON_BASELINE_DIR is set but empty: unset it or set it to a baseline directory"
        );
    }
    Ok(())
}

/// A `RON_BENCH_WORKSPACE` that is not an existing directory is a typo, not a place to
/// create: refuse it instead of scattering `reports/` and `baselines/` there.
fn check_workspace(
    env: &dyn Fn(&str) -> Option<String>,
    ws: &std::path::Path,
) -> anyhow::Result<()> {
    if env("RON_BENCH_WORKSPACE").is_some() && !ws.is_dir() {
        anyhow::bail!(
            "RON_BENCH_WORKSPACE={} is not an existing directory",
            ws.display()
        );
    }
    Ok(())
}

/// Runs the parsed command.
pub fn dispatch(args: Args) -> anyhow::Result<CommandOutcome> {
    crate::term::set_ui(args.ui.ui());
    let env = ron_comparables::knobs::process_env;
    let workspace = config::workspace_root(&env);
    check_workspace(&env, &workspace)?;
    match args.command {
        Command::Run(a) => run::run(&a, &env, &workspace),
        Command::Baseline(b) => baseline::baseline(b, &workspace),
        Command::Compare(a) => compare::compare(&a, &workspace),
        Command::Gate(a) => gate::gate(&a, &env, &workspace),
        Command::Merge(a) => merge::merge(&a, &workspace),
        Command::Notes(a) => compare::notes(&a, &workspace),
        Command::Chart(a) => compare::chart(&a, &workspace),
        Command::Calibrate(a) if a.policy == args::CalibratePolicy::Change => {
            calibrate_gate::calibrate_gate(&a, &env, &workspace)
        }
        Command::Calibrate(a) => calibrate::calibrate(&a, &env, &workspace),
        Command::Import(a) => interop::import(a.command, &workspace),
        Command::Export(a) => interop::export(&a, &workspace),
        Command::Amdahl(a) => interop::amdahl_cmd(&a),
        Command::History(a) => history::history_cmd(&a, &workspace),
        Command::Completions(a) => docs::completions(a.shell),
        Command::Man => docs::man(),
        Command::Schema(a) => schema(&a),
    }
}
