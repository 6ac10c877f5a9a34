//! `ron-bench`: benchmark matrices, interleaved multi-build runs and baselines.
//!
//! Reads like a table of contents: parse the arguments, dispatch the command, map the
//! outcome to an exit code (0 success, 1 failed gate, 2 usage/data/tool error).
#![forbid(unsafe_code)]

use clap::Parser;
use ron_harness::cli::{self, Args};
use ron_harness::term;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Prints never panic; a closed or full stdout/stderr is folded into the exit code.
    if let Err(e) = cli::preflight(&ron_comparables::knobs::process_env) {
        return term::exit_code(Err(e));
    }
    match Args::try_parse() {
        Ok(args) => term::exit_code(cli::dispatch(args)),
        // Help, version and usage errors through the same non-panicking streams.
        Err(e) => term::clap_exit(&e),
    }
}
