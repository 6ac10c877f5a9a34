//! `ron-bench merge RUNFILE...`: shard runs -> one run file (see [`crate::store::merge`]).

use super::args::MergeArgs;
use super::CommandOutcome;
use crate::store::merge::merge as merge_runs;
use crate::store::{load_shard, write_json_atomic, write_unique_json};
use anyhow::Context;
use std::path::Path;

pub(super) fn merge(args: &MergeArgs, ws: &Path) -> anyhow::Result<CommandOutcome> {
    let mut shards = Vec::new();
    for p in &args.files {
        // The error names the file already.
        let run = load_shard(p)?;
        shards.push((p.display().to_string(), run));
    }
    let merged = merge_runs(&shards, args.allow_mixed_machines)?;
    let out = match &args.out {
        Some(p) => {
            write_json_atomic(p, &merged)?;
            p.clone()
        }
        None => {
            let dir = ws.join("reports").join("runs");
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let path = write_unique_json(&dir, "merged", &merged)?;
            write_json_atomic(&dir.join("latest.json"), &merged)?;
            path
        }
    };
    for w in &merged.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "merged {} shards -> {} ({} cells, {} skipped)",
        shards.len(),
        out.display(),
        merged.cells.len(),
        merged.skipped.len()
    );
    Ok(CommandOutcome::Success)
}
