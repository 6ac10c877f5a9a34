//! ron-harness: the library behind the `ron-bench` CLI.
//!
//! Stages joined by named types (see `ARCHITECTURE.md` section 3):
//!
//! ```text
//! env / flags / --matrix file --spec--> Matrix --expand--> Vec<Cell> x Vec<Build>
//! (Cell, Build, round) --runner (one child process each)--> RoundRecord
//! RoundRecords --stats::SummaryRecord--> CellRecord --store--> RunFile / Baseline (versioned JSON)
//! ```
//!
//! * [`spec`]: the pure data model of what to measure (knobs, matrix, cell ids, builds).
//! * [`runner`]: builds the runner binaries, interleaves process runs, collects results.
//! * [`store`]: versioned run and baseline files, atomic writes, the environment fingerprint.
//! * [`stats`]: the per-cell summary written into run files.
//! * [`series`]: run files -> the report crate's `Series` (metrics per round) and counter summaries.
//! * [`gate`]: policies -> the jobs they need; run files -> plan, evaluation and `Report`.
//! * [`schema`]: JSON Schemas of the run, baseline and report files (`harness/schemas/`).
//! * [`cli`]: clap arguments -> validated configs -> commands; exit codes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Every print of the crate goes through `term` (a closed or full stdout/stderr is recorded and
// decides the exit code, never a panic): these shadow std's macros in every module below.
macro_rules! println {
    () => { $crate::term::out(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::term::out(format_args!($($arg)*), true) };
}
macro_rules! print {
    ($($arg:tt)*) => { $crate::term::out(format_args!($($arg)*), false) };
}
macro_rules! eprintln {
    () => { $crate::term::err(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::term::err(format_args!($($arg)*), true) };
}

/// A progress or plan message: printed like `println!` unless `-q` was given.
macro_rules! info {
    ($($arg:tt)*) => {
        if !$crate::term::quiet() {
            $crate::term::out(format_args!($($arg)*), true)
        }
    };
}

pub mod calibrate;
pub mod cli;
pub mod gate;
pub mod runner;
pub mod schema;
pub mod series;
pub mod spec;
pub mod stats;
pub mod store;
pub mod term;

pub use ron_bench_runner::Scenario;
pub use ron_comparables::ContenderId;
