//! `ron-bench merge`: shard run files (`run --shard I/N`) -> one run file.
//!
//! Pure: takes the loaded files, returns the merged run or the reason it cannot be merged.
//! Shards must come from the same matrix, the same builds (labels, features, revisions), the
//! same source (git sha and dirty flag, Cargo.lock, rustc) and, unless allowed, the same kind
//! of machine; every shard 1..=N exactly once. The merged cells are in the order an unsharded
//! run writes them (matrix expansion order, builds innermost), so the merged file compares
//! equal to a single run of the same matrix (up to timings and execution positions).

use super::{RunFile, RUN_SCHEMA};
use thiserror::Error;

/// Why shards cannot be merged (exit 2). Each names the offending file.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MergeError {
    /// No files.
    #[error("nothing to merge: give the shard run files (ron-bench run --shard I/N --out FILE)")]
    Empty,
    /// A file is not a shard.
    #[error("{file} is not a shard run (it has no `shard`; write shards with `run --shard I/N`)")]
    NotAShard {
        /// The file.
        file: String,
    },
    /// Shards of different splits.
    #[error("{file} is shard {shard}, but {first} splits the matrix into {count}")]
    CountMismatch {
        /// The file.
        file: String,
        /// Its shard.
        shard: String,
        /// The first file.
        first: String,
        /// The first file's count.
        count: u32,
    },
    /// The same shard twice.
    #[error("shard {index} given twice: {a} and {b}")]
    Duplicate {
        /// Shard index.
        index: u32,
        /// First file.
        a: String,
        /// Second file.
        b: String,
    },
    /// Shards missing.
    #[error("missing shard(s) {missing:?} of {count}: a merged run must cover the whole matrix")]
    Missing {
        /// Missing indices.
        missing: Vec<u32>,
        /// N.
        count: u32,
    },
    /// A (cell, build) measured by two shards (or twice by one).
    #[error("cell {cell} [{build}] appears more than once across the shards ({files}); refusing to merge")]
    DuplicateCell {
        /// Cell id.
        cell: String,
        /// Build label.
        build: String,
        /// The shard files holding it.
        files: String,
    },
    /// A (cell, build) of the matrix that no shard measured or skipped.
    #[error("cell {cell} [{build}] of the matrix is in no shard (neither measured nor skipped): a shard file was edited or truncated; refusing to merge")]
    MissingCell {
        /// Cell id.
        cell: String,
        /// Build label.
        build: String,
    },
    /// Different matrices, builds, sources or machines.
    #[error("{file} differs from {first} in its {what}: {detail}; refusing to merge")]
    Mismatch {
        /// The file.
        file: String,
        /// The first file.
        first: String,
        /// `matrix`, `builds`, `source`, `machine class`, `executor`.
        what: &'static str,
        /// The differing values.
        detail: String,
    },
}

fn mismatch(file: &str, first: &str, what: &'static str, detail: String) -> MergeError {
    MergeError::Mismatch {
        file: file.into(),
        first: first.into(),
        what,
        detail,
    }
}

/// Checks `run` against the first shard.
fn check_same(
    (file, run): (&str, &RunFile),
    (first, f): (&str, &RunFile),
    allow_mixed: bool,
) -> Result<Option<String>, MergeError> {
    if run.matrix != f.matrix {
        return Err(mismatch(
            file,
            first,
            "matrix",
            "scenarios, contenders, knobs, builds or sampling differ".into(),
        ));
    }
    let builds = |r: &RunFile| {
        r.builds
            .iter()
            .map(|b| {
                (
                    b.build.label.clone(),
                    b.build.features.clone(),
                    b.build.rev.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    if builds(run) != builds(f) {
        return Err(mismatch(
            file,
            first,
            "builds",
            format!("{:?} vs {:?}", builds(run), builds(f)),
        ));
    }
    if run.executor != f.executor {
        return Err(mismatch(
            file,
            first,
            "executor",
            format!("{} vs {}", run.executor, f.executor),
        ));
    }
    check_source((file, run), (first, f))?;
    check_machine((file, run), (first, f), allow_mixed)
}

/// The same commit, dirtiness, Cargo.lock and rustc.
fn check_source(
    (file, run): (&str, &RunFile),
    (first, f): (&str, &RunFile),
) -> Result<(), MergeError> {
    let (a, b) = (&run.env, &f.env);
    let source = |e: &super::Environment| {
        (
            e.git_sha.clone(),
            e.git_dirty,
            e.cargo_lock_sha256.clone(),
            e.rustc.clone(),
        )
    };
    if source(a) != source(b) {
        return Err(mismatch(
            file,
            first,
            "source",
            format!(
                "git {:?} dirty {:?} rustc {:?} vs git {:?} dirty {:?} rustc {:?} (or Cargo.lock)",
                a.git_sha, a.git_dirty, a.rustc, b.git_sha, b.git_dirty, b.rustc
            ),
        ));
    }
    Ok(())
}

/// The same kind of machine, or a warning with `--allow-mixed-machines`.
fn check_machine(
    (file, run): (&str, &RunFile),
    (first, f): (&str, &RunFile),
    allow_mixed: bool,
) -> Result<Option<String>, MergeError> {
    let (a, b) = (&run.env, &f.env);
    if !a.machine.same_kind(&b.machine) {
        let detail = format!(
            "{} ({} cores) vs {} ({} cores)",
            a.machine.cpu_model.as_deref().unwrap_or("unknown cpu"),
            a.machine.logical_cores,
            b.machine.cpu_model.as_deref().unwrap_or("unknown cpu"),
            b.machine.logical_cores
        );
        if !allow_mixed {
            return Err(mismatch(
                file,
                first,
                "machine class",
                format!("{detail} (--allow-mixed-machines merges anyway, with a warning)"),
            ));
        }
        return Ok(Some(format!(
            "merged shards ran on different kinds of machine: {file} on {detail}; compare cells \
             only within one parameter point (a shard keeps those together)"
        )));
    }
    Ok(None)
}

/// Every (cell, build) of the matrix exactly once across the shards: measured once, or
/// skipped.
fn check_cover(shards: &[(String, RunFile)], first: &RunFile) -> Result<(), MergeError> {
    use std::collections::BTreeMap;
    let mut measured: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for (name, r) in shards {
        for c in &r.cells {
            measured
                .entry((c.id.as_str(), c.build.as_str()))
                .or_default()
                .push(name);
        }
    }
    if let Some(((cell, build), files)) = measured.iter().find(|(_, f)| f.len() > 1) {
        return Err(MergeError::DuplicateCell {
            cell: (*cell).into(),
            build: (*build).into(),
            files: files.join(", "),
        });
    }
    let skipped: std::collections::BTreeSet<(&str, &str)> = shards
        .iter()
        .flat_map(|(_, r)| r.skipped.iter())
        .map(|s| (s.id.as_str(), s.build.as_str()))
        .collect();
    for cell in first.matrix.cells() {
        for b in &first.builds {
            let key = (cell.id.as_str(), b.build.label.as_str());
            if !measured.contains_key(&key) && !skipped.contains(&key) {
                return Err(MergeError::MissingCell {
                    cell: cell.id.clone(),
                    build: b.build.label.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Merges shard runs (`(file name, run)`), see the module docs.
pub fn merge(shards: &[(String, RunFile)], allow_mixed: bool) -> Result<RunFile, MergeError> {
    let (_, first) = shards.first().ok_or(MergeError::Empty)?;
    let warnings = check_shards(shards, allow_mixed)?;
    check_cover(shards, first)?;
    Ok(combine(shards, first, warnings))
}

/// Every shard of one split (same count, each index once, none missing) and from a comparable
/// machine and build; returns the merged warnings.
fn check_shards(
    shards: &[(String, RunFile)],
    allow_mixed: bool,
) -> Result<Vec<String>, MergeError> {
    let (first_name, first) = shards.first().ok_or(MergeError::Empty)?;
    let shard_of = |name: &String, run: &RunFile| {
        run.shard
            .ok_or_else(|| MergeError::NotAShard { file: name.clone() })
    };
    let count = shard_of(first_name, first)?.count;
    let mut seen: Vec<(u32, &str)> = Vec::new();
    let mut warnings = first.warnings.clone();
    for (name, run) in shards {
        let s = shard_of(name, run)?;
        if s.count != count {
            return Err(MergeError::CountMismatch {
                file: name.clone(),
                shard: s.to_string(),
                first: first_name.clone(),
                count,
            });
        }
        if let Some((_, other)) = seen.iter().find(|(i, _)| *i == s.index) {
            return Err(MergeError::Duplicate {
                index: s.index,
                a: (*other).to_string(),
                b: name.clone(),
            });
        }
        seen.push((s.index, name));
        if let Some(w) = check_same((name, run), (first_name, first), allow_mixed)? {
            warnings.push(w);
        }
        for w in &run.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        let (a, b) = (&run.builds, &first.builds);
        if a.iter()
            .zip(b)
            .any(|(x, y)| x.runner_sha256 != y.runner_sha256)
        {
            let w = format!("{name}: runner binaries differ from {first_name} (same builds and source; compiled separately)");
            warnings.push(w);
        }
    }
    let missing: Vec<u32> = (1..=count)
        .filter(|i| !seen.iter().any(|(s, _)| s == i))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing { missing, count });
    }
    Ok(warnings)
}

/// The shards' cells and skips in unsharded order (matrix expansion order of cells, builds
/// innermost) as one run file.
fn combine(shards: &[(String, RunFile)], first: &RunFile, warnings: Vec<String>) -> RunFile {
    use std::collections::HashMap;
    // Maps, not `position` in a list: a big sweep would make the sort quadratic.
    let order: HashMap<String, usize> = first
        .matrix
        .cells()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let labels: HashMap<&str, usize> = first
        .builds
        .iter()
        .enumerate()
        .map(|(i, b)| (b.build.label.as_str(), i))
        .collect();
    let key = |id: &str, build: &str| {
        (
            order.get(id).copied().unwrap_or(usize::MAX),
            labels.get(build).copied().unwrap_or(usize::MAX),
        )
    };
    let mut cells: Vec<_> = shards
        .iter()
        .flat_map(|(_, r)| r.cells.iter().cloned())
        .collect();
    cells.sort_by_key(|c| key(&c.id, &c.build));
    let mut skipped: Vec<_> = shards
        .iter()
        .flat_map(|(_, r)| r.skipped.iter().cloned())
        .collect();
    skipped.sort_by_key(|s| key(&s.id, &s.build));
    RunFile {
        schema: RUN_SCHEMA.into(),
        created_utc: shards
            .iter()
            .map(|(_, r)| r.created_utc.clone())
            .min()
            .unwrap_or_default(),
        wall_ms: shards.iter().map(|(_, r)| r.wall_ms).max().unwrap_or(0),
        cells,
        skipped,
        warnings,
        shard: None,
        merged_from: shards.iter().map(|(n, _)| n.clone()).collect(),
        ..first.clone()
    }
}
