//! Sanity checks of run and baseline contents, on read and on save.
//!
//! The schema check proves a file has the right shape; this proves its numbers can be
//! compared: every measured cell has rounds, every throughput is a finite positive rate below
//! [`MAX_RATE_PER_SEC`], no (cell, build) appears twice, a run has at least one cell (a
//! criterion import, which carries its benchmarks elsewhere, is the exception), and the git
//! sha is hex (it names the report directory). A file that
//! fails is refused naming the file and the cell, instead of printing "-605%" later.

use super::{Baseline, CellRecord, RunFile};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// No channel moves 10^15 messages per second (a 5 GHz core does < 10^10 operations).
pub const MAX_RATE_PER_SEC: f64 = 1e15;

/// Contents that cannot be compared. Each names the file and, where there is one, the cell.
#[derive(Debug, Error, PartialEq)]
pub enum InvalidRun {
    /// No measured cells.
    #[error("{path} has no measured cells: nothing to compare (was every cell skipped?)")]
    NoCells {
        /// The file.
        path: PathBuf,
    },
    /// A cell with no process runs.
    #[error("{path}: cell {cell} [{build}] has 0 rounds")]
    NoRounds {
        /// The file.
        path: PathBuf,
        /// Cell id.
        cell: String,
        /// Build label.
        build: String,
    },
    /// The same (cell, build) twice.
    #[error("{path}: cell {cell} [{build}] appears more than once")]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// Cell id.
        cell: String,
        /// Build label.
        build: String,
    },
    /// A `git_sha` that is not a hex object name (it becomes part of a report path).
    #[error("{path}: env.git_sha {sha:?} is not a git object name (hex digits)")]
    BadSha {
        /// The file.
        path: PathBuf,
        /// The value.
        sha: String,
    },
    /// A rate that is negative, zero, NaN, infinite or absurdly large.
    #[error(
        "{path}: cell {cell} [{build}] {what} = {value} is not a throughput (must be finite, \
         > 0 and <= {MAX_RATE_PER_SEC:e} /s)"
    )]
    BadRate {
        /// The file.
        path: PathBuf,
        /// Cell id.
        cell: String,
        /// Build label.
        build: String,
        /// Which value (`round 3 publishes_per_sec`, `summary median ...`).
        what: String,
        /// The value.
        value: f64,
    },
}

/// Checks a run file's contents (see the module docs).
pub fn run(path: &Path, r: &RunFile) -> Result<(), InvalidRun> {
    if r.cells.is_empty() {
        return Err(InvalidRun::NoCells { path: path.into() });
    }
    env(path, r)?;
    cells(path, &r.cells)
}

/// The git sha names the report directory (`reports/<date>-<sha>-<HHMMSS>`): hex digits only, so a
/// crafted file cannot point it elsewhere (`../..`).
fn env(path: &Path, r: &RunFile) -> Result<(), InvalidRun> {
    match &r.env.git_sha {
        Some(sha) if sha.is_empty() || !sha.chars().all(|c| c.is_ascii_hexdigit()) => {
            Err(InvalidRun::BadSha {
                path: path.into(),
                sha: sha.clone(),
            })
        }
        _ => Ok(()),
    }
}

/// Checks a baseline's run (a criterion import may have no cells).
pub fn baseline(path: &Path, b: &Baseline) -> Result<(), InvalidRun> {
    if b.imported.is_some() {
        env(path, &b.run)?;
        return cells(path, &b.run.cells);
    }
    run(path, &b.run)
}

/// Checks cells: rounds present, rates sane, no (cell, build) twice.
pub fn cells(path: &Path, cells: &[CellRecord]) -> Result<(), InvalidRun> {
    let mut seen = BTreeSet::new();
    for c in cells {
        if !seen.insert((c.id.as_str(), c.build.as_str())) {
            return Err(InvalidRun::Duplicate {
                path: path.into(),
                cell: c.id.clone(),
                build: c.build.clone(),
            });
        }
        if c.rounds.is_empty() {
            return Err(InvalidRun::NoRounds {
                path: path.into(),
                cell: c.id.clone(),
                build: c.build.clone(),
            });
        }
        rates(path, c)?;
    }
    Ok(())
}

/// Publishes/s must be a positive rate; deliveries/s may be 0 (idle subscribers) but not
/// negative, NaN or absurd. Summaries are checked too: they are what `compare` reads.
fn rates(path: &Path, c: &CellRecord) -> Result<(), InvalidRun> {
    let bad = |what: String, value: f64| InvalidRun::BadRate {
        path: path.into(),
        cell: c.id.clone(),
        build: c.build.clone(),
        what,
        value,
    };
    let ok = |v: f64, zero_ok: bool| {
        v.is_finite() && v <= MAX_RATE_PER_SEC && (v > 0.0 || (zero_ok && v == 0.0))
    };
    for r in &c.rounds {
        let v = &r.values;
        if !ok(v.publishes_per_sec, false) {
            return Err(bad(
                format!("round {} publishes_per_sec", r.round),
                v.publishes_per_sec,
            ));
        }
        if !ok(v.deliveries_per_sec, true) {
            return Err(bad(
                format!("round {} deliveries_per_sec", r.round),
                v.deliveries_per_sec,
            ));
        }
    }
    let s = &c.summary;
    for (what, sum, zero_ok) in [
        ("publishes_per_sec", &s.publishes_per_sec, false),
        ("deliveries_per_sec", &s.deliveries_per_sec, true),
    ] {
        for (stat, v) in [("median", sum.median), ("mean", sum.mean)] {
            if !ok(v, zero_ok) {
                return Err(bad(format!("summary {stat} {what}"), v));
            }
        }
    }
    Ok(())
}
