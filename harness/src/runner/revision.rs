//! Git revisions as builds (`gate --against REV`): resolve the revision, check that it has the
//! harness, keep a detached `git worktree` of it under `target/ron-bench/worktrees/<sha>`,
//! and cache its runner builds by (sha, features) under `target/ron-bench/bins/<label>/`
//! with a stamp file, so a second call with the same base builds nothing.
//!
//! The worktree is reused across calls and never modified (the base is a commit, so it is
//! never dirty). Its crates compile into the same target dir as the working tree's
//! (`target/ron-bench`): registry dependencies are shared, only the workspace crates
//! (different paths, so different artifacts) are compiled again.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use thiserror::Error;

/// The file a revision must contain to be measurable (the runner crate).
pub const HARNESS_MARKER: &str = "harness/runner/Cargo.toml";

/// A resolved revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// As given (`origin/main`, `HEAD~1`, a tag, a sha).
    pub given: String,
    /// Full commit sha.
    pub sha: String,
    /// Its subject line.
    pub subject: String,
}

impl Revision {
    /// The first 12 hex digits.
    pub fn short(&self) -> &str {
        crate::store::short(&self.sha, 12)
    }
}

/// Why a revision cannot be measured (exit 2).
#[derive(Debug, Error)]
pub enum RevisionError {
    /// git could not be run.
    #[error("cannot run git ({0}): --against needs git on PATH")]
    NoGit(std::io::Error),
    /// The workspace is not a git checkout.
    #[error("{ws} is not a git checkout: --against needs the workspace's git history")]
    NotARepo {
        /// The workspace.
        ws: PathBuf,
    },
    /// Unknown revision.
    #[error(
        "revision `{rev}` does not exist in {ws} (a shallow clone may lack it: \
         `git fetch --unshallow` or `git fetch origin {rev}`)"
    )]
    Unknown {
        /// As given.
        rev: String,
        /// The workspace.
        ws: PathBuf,
    },
    /// The revision has no harness.
    #[error(
        "revision `{rev}` ({sha}) predates the harness: it has no {HARNESS_MARKER}, so there is \
         no runner to build (gate against a later revision, or save a baseline there)"
    )]
    PredatesHarness {
        /// As given.
        rev: String,
        /// Its sha.
        sha: String,
    },
    /// `git worktree add` failed.
    #[error("cannot create a git worktree of {sha} at {path}: {stderr}")]
    Worktree {
        /// The sha.
        sha: String,
        /// Where.
        path: PathBuf,
        /// git's message.
        stderr: String,
    },
}

fn git(ws: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(ws).stdin(Stdio::null());
    c
}

/// `(success, stdout, stderr)` of a git command.
fn run(mut cmd: Command) -> Result<(bool, String, String), RevisionError> {
    let out = cmd.output().map_err(RevisionError::NoGit)?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    ))
}

/// Resolves `rev` in the workspace's repository and checks that it contains the harness.
pub fn resolve(ws: &Path, rev: &str) -> Result<Revision, RevisionError> {
    let mut inside = git(ws);
    inside.args(["rev-parse", "--is-inside-work-tree"]);
    if !run(inside)?.0 {
        return Err(RevisionError::NotARepo { ws: ws.into() });
    }
    let mut parse = git(ws);
    parse.args(["rev-parse", "--verify", "--quiet", "--end-of-options"]);
    parse.arg(format!("{rev}^{{commit}}"));
    let (ok, sha, _) = run(parse)?;
    if !ok || sha.is_empty() || rev.starts_with('-') {
        return Err(RevisionError::Unknown {
            rev: rev.into(),
            ws: ws.into(),
        });
    }
    let mut has = git(ws);
    has.args(["cat-file", "-e", &format!("{sha}:{HARNESS_MARKER}")]);
    if !run(has)?.0 {
        return Err(RevisionError::PredatesHarness {
            rev: rev.into(),
            sha,
        });
    }
    let mut subject = git(ws);
    subject.args(["log", "-1", "--format=%s", &sha]);
    Ok(Revision {
        given: rev.into(),
        subject: run(subject)?.1,
        sha,
    })
}

/// Where the worktree of `sha` lives.
pub fn worktree_dir(ws: &Path, sha: &str) -> PathBuf {
    super::build::target_dir(ws).join("worktrees").join(sha)
}

/// A detached worktree of `sha` (created once, then reused).
pub fn ensure_worktree(ws: &Path, sha: &str) -> Result<PathBuf, RevisionError> {
    let dir = worktree_dir(ws, sha);
    if dir.join(HARNESS_MARKER).is_file() {
        let mut head = git(&dir);
        head.args(["rev-parse", "HEAD"]);
        if run(head)?.1 == sha {
            return Ok(dir);
        }
    }
    // A half-made or stale directory: unregister and start over.
    let mut prune = git(ws);
    prune.args(["worktree", "prune"]);
    run(prune)?;
    if dir.exists() {
        let mut remove = git(ws);
        remove.args(["worktree", "remove", "--force"]).arg(&dir);
        run(remove)?;
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let Some(parent) = dir.parent() {
        let _ = std::fs::create_dir_all(parent);
        prune_old(ws, parent, KEEP_WORKTREES - 1);
    }
    let mut add = git(ws);
    add.args(["worktree", "add", "--detach", "--force"])
        .arg(&dir)
        .arg(sha);
    let (ok, _, stderr) = run(add)?;
    if !ok {
        return Err(RevisionError::Worktree {
            sha: sha.into(),
            path: dir,
            stderr,
        });
    }
    Ok(dir)
}

/// Worktrees kept (each holds a checkout and its own target dir, a few hundred MB).
pub const KEEP_WORKTREES: usize = 4;

/// Removes all but the `keep` most recently used worktrees under `dir`.
fn prune_old(ws: &Path, dir: &Path, keep: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut trees: Vec<(std::time::SystemTime, PathBuf)> = rd
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let used = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (used, e.path())
        })
        .collect();
    trees.sort_by_key(|t| std::cmp::Reverse(t.0));
    for (_, old) in trees.into_iter().skip(keep) {
        let mut remove = git(ws);
        remove.args(["worktree", "remove", "--force"]).arg(&old);
        let _ = run(remove);
        let _ = std::fs::remove_dir_all(&old);
    }
}

/// Whether the working tree of `ws` has uncommitted changes to tracked files.
pub fn dirty(ws: &Path) -> bool {
    let mut st = git(ws);
    st.args(["status", "--porcelain", "--untracked-files=no"]);
    run(st).is_ok_and(|(ok, out, _)| ok && !out.is_empty())
}
