//! Shell completions, the man page and `--version` with the git commit.
#![forbid(unsafe_code)]

mod common;

use common::bench;
use std::process::Command;

fn stdout(args: &[&str]) -> String {
    let ws = tempfile::tempdir().unwrap();
    let out = bench(ws.path()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Whether `tool` runs; "skipped" otherwise, unless RON_CI_REQUIRE_TOOLS=1 makes it a failure.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("RON_CI_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{tool} is required (RON_CI_REQUIRE_TOOLS=1) but missing"
        );
        println!("skipped: {tool} is not installed");
    }
    ok
}

/// `shell -n` parses the script without running it.
fn parses(shell: &str, script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("completion");
    std::fs::write(&path, script).unwrap();
    let out = Command::new(shell).arg("-n").arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{shell} -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completions_know_every_subcommand_and_parse() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&["completions", shell]);
        for word in ["gate", "history", "completions", "baseline", "metric"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
        if have(shell) {
            parses(shell, &script);
        }
    }
    let ws = tempfile::tempdir().unwrap();
    bench(ws.path())
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let page = stdout(&["man"]);
    assert!(
        page.contains(".TH ron-bench 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    for word in ["gate", "compare", "history", "import"] {
        assert!(page.contains(word), "man page lacks {word}");
    }
    if have("groff") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ron-bench.1");
        std::fs::write(&path, &page).unwrap();
        let out = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn version_names_the_commit() {
    let v = stdout(&["--version"]);
    let inner = v
        .trim()
        .strip_prefix(concat!("ron-bench ", env!("CARGO_PKG_VERSION"), " ("))
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{v}"));
    let sha_like = inner.len() == 12 && inner.chars().all(|c| c.is_ascii_hexdigit());
    assert!(sha_like || inner.starts_with("unknown commit"), "{v}");
}
