//! Step 4a of a revision gate: splitting one interleaved run into its base and head sides.

use crate::store::RunFile;

/// Splits a `gate --against` run into the base side (cells of builds compiled from `sha`,
/// relabelled as the working-tree build with the same features, env git sha = `sha`, clean)
/// and the head side (every other cell). Both keep the run's identity, so their rounds pair.
pub fn split_revision(run: &RunFile, sha: &str) -> (RunFile, RunFile) {
    let is_base = |label: &str| {
        run.builds
            .iter()
            .any(|b| b.build.label == label && b.build.rev.as_deref() == Some(sha))
    };
    let head_label = |label: &str| {
        run.builds
            .iter()
            .find(|b| b.build.label == label)
            .map_or_else(|| label.to_string(), |b| b.build.head().label)
    };
    let mut base = run.clone();
    base.builds = run
        .builds
        .iter()
        .filter(|b| b.build.rev.as_deref() == Some(sha))
        .map(|b| crate::store::BuildRecord {
            build: b.build.head(),
            runner_sha256: b.runner_sha256.clone(),
        })
        .collect();
    base.cells = run
        .cells
        .iter()
        .filter(|c| is_base(&c.build))
        .map(|c| crate::store::CellRecord {
            build: head_label(&c.build),
            ..c.clone()
        })
        .collect();
    base.skipped = run
        .skipped
        .iter()
        .filter(|s| is_base(&s.build))
        .map(|s| crate::store::SkippedCell {
            build: head_label(&s.build),
            ..s.clone()
        })
        .collect();
    base.env.git_sha = Some(sha.to_string());
    base.env.git_dirty = Some(false);
    let mut head = run.clone();
    head.builds.retain(|b| b.build.rev.as_deref() != Some(sha));
    head.cells.retain(|c| !is_base(&c.build));
    head.skipped.retain(|s| !is_base(&s.build));
    (base, head)
}
