//! The CLI: [`args`] (clap, raw) -> [`config`] (validated) -> commands; exit codes.
//!
//! Exit codes: 0 success, 1 a failed gate (reserved for `gate`/`compare`), 2 usage, data or
//! tool error (bad knob, unknown name, missing/corrupt file, failed build, Ctrl-C).

pub mod args;
mod baseline;
pub mod config;
mod run;
mod table;

pub use args::Args;

use args::Command;
use std::process::ExitCode;

/// How a successful command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: a gate failed (used by later commands).
    GateFailed,
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::GateFailed => ExitCode::from(1),
        }
    }
}

/// Exit code of a usage, data or tool error.
pub const EXIT_ERROR: u8 = 2;

/// Runs the parsed command.
pub fn dispatch(args: Args) -> anyhow::Result<Outcome> {
    let env = ron_comparables::knobs::process_env;
    let workspace = config::workspace_root(&env);
    match args.command {
        Command::Run(a) => run::run(&a, &env, &workspace),
        Command::Baseline(b) => baseline::baseline(b, &workspace),
    }
}
