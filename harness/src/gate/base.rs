//! Step 2 of the gate pipeline: the default base of `ron-bench gate` when no `--against`,
//! `--baseline` or `--run` is given. "Gate my change" means:
//!
//! 1. HEAD is ahead of the upstream default branch (`origin/HEAD`, else `origin/main`, else
//!    `main`): the merge base with it, so a feature branch is gated as a whole;
//! 2. else, uncommitted changes: `HEAD`, so the working tree is gated against its commit;
//! 3. else `HEAD~1`: the last commit is the change.
//!
//! [`choose`] is the rule, pure and unit-tested; [`facts`] asks git.

use std::path::Path;
use std::process::{Command, Stdio};

/// What [`choose`] needs to know about the repository.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GitFacts {
    /// The first upstream candidate that exists, with the merge base of HEAD and it.
    pub upstream: Option<(String, String)>,
    /// HEAD's sha.
    pub head: String,
    /// The working tree has uncommitted changes to tracked files.
    pub dirty: bool,
}

/// The chosen base: a revision for `--against` and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseChoice {
    /// What to resolve (`HEAD`, `HEAD~1` or a sha).
    pub rev: String,
    /// One line for the header, e.g. `merge base with origin/main (HEAD is ahead of it)`.
    pub reason: String,
}

/// The default-base rule (see the module docs).
pub fn choose(f: &GitFacts) -> BaseChoice {
    if let Some((name, merge_base)) = &f.upstream {
        if *merge_base != f.head {
            return BaseChoice {
                rev: merge_base.clone(),
                reason: format!("merge base with {name} (HEAD is ahead of it)"),
            };
        }
    }
    if f.dirty {
        return BaseChoice {
            rev: "HEAD".into(),
            reason: "HEAD (uncommitted changes: the working tree is the change)".into(),
        };
    }
    BaseChoice {
        rev: "HEAD~1".into(),
        reason: "HEAD~1 (clean tree, not ahead of an upstream: the last commit is the change)"
            .into(),
    }
}

/// Upstream refs tried in order.
pub const UPSTREAM_CANDIDATES: [&str; 3] = ["origin/HEAD", "origin/main", "main"];

/// Asks git in `ws` for the [`GitFacts`]; `None` outside a git work tree.
pub fn facts(ws: &Path) -> Option<GitFacts> {
    let head = git_line(ws, &["rev-parse", "--verify", "-q", "HEAD^{commit}"])?;
    let upstream = UPSTREAM_CANDIDATES.iter().find_map(|name| {
        let refname = format!("{name}^{{commit}}");
        git_line(ws, &["rev-parse", "--verify", "-q", &refname])?;
        let mb = git_line(ws, &["merge-base", "HEAD", name])?;
        Some((name.to_string(), mb))
    });
    Some(GitFacts {
        upstream,
        head,
        dirty: crate::runner::revision::dirty(ws),
    })
}

fn git_line(ws: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(ws)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(upstream: Option<(&str, &str)>, dirty: bool) -> GitFacts {
        GitFacts {
            upstream: upstream.map(|(a, b)| (a.to_string(), b.to_string())),
            head: "h".into(),
            dirty,
        }
    }

    #[test]
    fn ahead_of_upstream_uses_the_merge_base_even_when_dirty() {
        let c = choose(&facts(Some(("origin/main", "mb")), true));
        assert_eq!(c.rev, "mb");
        assert!(c.reason.contains("origin/main"), "{}", c.reason);
    }

    #[test]
    fn on_the_upstream_a_dirty_tree_is_gated_against_head() {
        assert_eq!(choose(&facts(Some(("main", "h")), true)).rev, "HEAD");
        assert_eq!(choose(&facts(None, true)).rev, "HEAD");
    }

    #[test]
    fn a_clean_tree_not_ahead_gates_the_last_commit() {
        assert_eq!(
            choose(&facts(Some(("origin/HEAD", "h")), false)).rev,
            "HEAD~1"
        );
        assert_eq!(choose(&facts(None, false)).rev, "HEAD~1");
    }

    #[test]
    fn facts_of_a_real_repository_follow_the_rule() {
        let dir = tempfile::tempdir().unwrap();
        let sh = |args: &[&str]| {
            let ok = Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@t")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@t")
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok, "git {args:?}");
        };
        sh(&["init", "-q", "-b", "main"]);
        std::fs::write(dir.path().join("a"), "1").unwrap();
        sh(&["add", "a"]);
        sh(&["commit", "-qm", "one"]);
        std::fs::write(dir.path().join("a"), "2").unwrap();
        sh(&["commit", "-qam", "two"]);
        let f = super::facts(dir.path()).unwrap();
        assert_eq!(choose(&f).rev, "HEAD~1", "on main, clean");
        std::fs::write(dir.path().join("a"), "3").unwrap();
        assert_eq!(choose(&super::facts(dir.path()).unwrap()).rev, "HEAD");
        sh(&["checkout", "-qb", "topic"]);
        sh(&["commit", "-qam", "three"]);
        let f = super::facts(dir.path()).unwrap();
        let c = choose(&f);
        assert!(c.reason.contains("main"), "{}", c.reason);
        assert_eq!(Some(c.rev), f.upstream.map(|(_, mb)| mb));
    }
}
