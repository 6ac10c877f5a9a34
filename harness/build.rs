//! Stamps the git commit into `ron-bench --version` (`RON_BENCH_GIT_SHA`). Without git or
//! outside a repository (a source tarball) the stamp says so instead of failing the build;
//! `RON_BENCH_GIT_SHA` set in the environment wins (packagers know the commit).
#![forbid(unsafe_code)]

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-env-changed=RON_BENCH_GIT_SHA");
    let sha = std::env::var("RON_BENCH_GIT_SHA")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown commit: built without git".into());
    // Rebuild when HEAD moves: HEAD itself and the branch ref it points to.
    for path in [
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["symbolic-ref", "-q", "HEAD"]).and_then(|r| git(&["rev-parse", "--git-path", &r])),
    ]
    .into_iter()
    .flatten()
    {
        println!("cargo:rerun-if-changed={path}");
    }
    println!("cargo:rustc-env=RON_BENCH_GIT_SHA={sha}");
}
