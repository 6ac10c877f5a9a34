//! The gate pipeline, one named step per module:
//!
//! 1. [`policies`]: which policy (`--policy NAME|FILE`, or the mode's default);
//! 2. [`base`]: which git revision the working tree is compared with when none is given;
//! 3. [`jobs`]: policy -> (cell, build) jobs, skip rules decided at plan time;
//! 4. measurement (`crate::runner`), in looks: [`sequential`] decides after each look which
//!    checks are still undecided and sizes the next look to the time budget;
//! 5. [`split`] + [`analyze`]: run files -> series -> plan -> verdicts -> [`Report`];
//! 6. the exit code, read from the report's outcome (never re-derived).
//!
//! [`Report`]: ron_bench_report::report::Report

pub mod analyze;
pub mod base;
pub mod jobs;
pub mod policies;
pub mod select;
pub mod sequential;
pub mod split;
pub mod trials;

pub use analyze::{analyze, cross_machine, describe_machine, Analysis, Inputs};
pub use jobs::{derive_jobs, revision_jobs, Defaults, Jobs};
pub use policies::PolicyChoice;
pub use select::Selection;
pub use split::split_revision;
