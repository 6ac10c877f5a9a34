//! `ron-bench`: benchmark matrices, interleaved multi-build runs and baselines.
//!
//! Reads like a table of contents: parse the arguments, dispatch the command, map the
//! outcome to an exit code (0 success, 1 failed gate, 2 usage/data/tool error).
#![forbid(unsafe_code)]

use clap::Parser;
use ron_harness::cli::{self, Args, EXIT_ERROR};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Args::parse();
    match cli::dispatch(args) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
