//! What a person reads: the verdict table's width and colours, `-q`/`-v`, machine output on
//! stdout (`gate --format json`, `baseline list --json`), unique report directories with a
//! `reports/latest` pointer, and critcmp's `--threshold`/`--filter`.
#![forbid(unsafe_code)]

mod common;

use common::{bench, mock_run};
use predicates::prelude::*;
use std::path::Path;

const QUICK: [&str; 6] = ["gate", "--policy", "features", "--quick", "--rounds", "6"];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A run file and a baseline of it (`base`), plus a run 15% slower (`slow.json`).
fn fixture(ws: &Path) {
    mock_run(ws, &ws.join("base.json"), None);
    mock_run(ws, &ws.join("slow.json"), Some("15"));
    bench(ws)
        .args(["baseline", "save", "base", "--from", "base.json"])
        .assert()
        .success();
}

#[test]
fn the_table_fits_columns_and_every_check_states_its_rule_and_reason() {
    let ws = tempfile::tempdir().unwrap();
    let out = bench(ws.path())
        .env("COLUMNS", "80")
        .env("RON_BENCH_MOCK_SLOWDOWN_PCT", "15")
        .env("RON_BENCH_MOCK_SLOW", "throttled")
        .args(QUICK)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("gate "))
        .take_while(|l| !l.starts_with("reports: "))
        .collect();
    assert!(!table.is_empty(), "{stdout}");
    for l in &table {
        assert!(l.chars().count() <= 80, "{} > 80: {l}", l.chars().count());
    }
    assert!(table[0].contains("rule") && table[0].contains("95% CI") && table[0].contains("MDE"));
    // A rule per check, a reason line under every check, whatever its verdict.
    assert!(stdout.contains("within -3%"), "{stdout}");
    assert!(stdout.contains("within tolerance 10%"), "{stdout}");
    assert!(stdout.contains("worse than tolerance 3%"), "{stdout}");
    // The failing lines carry the change, the limit, the verdict and the reason.
    let failing: Vec<&str> = stdout.lines().filter(|l| l.contains("failing: ")).collect();
    assert!(!failing.is_empty(), "{stdout}");
    for f in failing {
        assert!(f.contains("(limit -3%) regressed: "), "{f}");
        assert!(f.ends_with("worse than tolerance 3%"), "{f}");
    }
    // Not a terminal: no colour by default.
    assert!(!stdout.contains('\u{1b}'));
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let ws = tempfile::tempdir().unwrap();
    let run = |color: &str, no_color: bool| {
        let mut c = bench(ws.path());
        c.env("RON_BENCH_MOCK_SLOWDOWN_PCT", "15")
            .env("RON_BENCH_MOCK_SLOW", "throttled")
            .args(QUICK)
            .args(["--color", color]);
        if no_color {
            c.env("NO_COLOR", "1");
        }
        text(&c.output().unwrap().stdout)
    };
    let always = run("always", false);
    let red = always.lines().find(|l| l.contains("REGRESSED")).unwrap();
    assert!(red.contains("\u{1b}[31"), "{red:?}");
    assert!(
        run("always", true).contains('\u{1b}'),
        "--color always beats NO_COLOR"
    );
    assert!(!run("never", false).contains('\u{1b}'));
    assert!(!run("auto", true).contains('\u{1b}'));
    assert!(!run("auto", false).contains('\u{1b}'), "not a terminal");
}

#[test]
fn quiet_prints_the_summary_verbose_every_process_run() {
    let ws = tempfile::tempdir().unwrap();
    let quiet = bench(ws.path()).args(QUICK).arg("-q").output().unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    let q = text(&quiet.stdout);
    assert!(q.contains("gate PASSED: "), "{q}");
    assert!(!q.contains("ron-bench gate: policy"), "{q}");
    assert!(!q.contains("95% CI"), "{q}");
    assert!(q.lines().count() <= 3, "{q}");
    assert!(!text(&quiet.stderr).contains("] "), "no progress with -q");
    // Default (not a terminal): about one progress line per tenth of the 48 runs.
    let normal = bench(ws.path()).args(QUICK).output().unwrap();
    let progress = |s: &str| s.lines().filter(|l| l.starts_with('[')).count();
    let n = progress(&text(&normal.stderr));
    assert!((5..=11).contains(&n), "{n} progress lines");
    // -v: one line per process run (4 cells x 2 builds x 6 rounds).
    let verbose = bench(ws.path()).args(QUICK).arg("-v").output().unwrap();
    assert_eq!(progress(&text(&verbose.stderr)), 48);
    bench(ws.path())
        .args(QUICK)
        .args(["-q", "-v"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

#[test]
fn gate_format_json_puts_the_report_alone_on_stdout() {
    let ws = tempfile::tempdir().unwrap();
    let out = bench(ws.path())
        .args(QUICK)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["schema"], "ron-bench/report/v1");
    assert_eq!(report["outcome"]["exit_code"], 0);
    let row = &report["rows"][0];
    for field in ["rule", "limit_pct", "rounds", "why", "reason", "verdict"] {
        assert!(!row[field].is_null(), "{field} in {row}");
    }
    let err = text(&out.stderr);
    assert!(err.contains("gate PASSED"), "{err}");
    assert!(err.contains("95% CI"), "the table goes to stderr: {err}");
}

#[test]
fn baseline_list_json_lists_every_file() {
    let ws = tempfile::tempdir().unwrap();
    fixture(ws.path());
    std::fs::write(ws.path().join("baselines/broken.json"), "{").unwrap();
    let out = bench(ws.path())
        .args(["baseline", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["schema"], "ron-bench/baseline-list/v1");
    let b = list["baselines"].as_array().unwrap();
    assert_eq!(b.len(), 2);
    let base = b.iter().find(|x| x["name"] == "base").unwrap();
    assert!(base["cells"].as_u64().unwrap() > 0);
    assert_eq!(base["executor"], "mock");
    let broken = b.iter().find(|x| x["name"] == "broken").unwrap();
    assert!(broken["error"].is_string());
}

#[test]
fn report_directories_are_unique_and_latest_points_at_the_newest() {
    let ws = tempfile::tempdir().unwrap();
    let reports = ws.path().join("reports");
    let dirs = |r: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(r)
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir() && !e.path().is_symlink())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "runs")
            .collect();
        v.sort();
        v
    };
    bench(ws.path()).args(QUICK).assert().success();
    let first = dirs(&reports);
    assert_eq!(first.len(), 1, "{first:?}");
    // A stale file of the first gate must not show up in the second's directory.
    std::fs::write(reports.join(&first[0]).join("stale.svg"), "old").unwrap();
    bench(ws.path()).args(QUICK).assert().success();
    let both = dirs(&reports);
    assert_eq!(both.len(), 2, "{both:?}");
    let second = both.iter().find(|d| **d != first[0]).unwrap();
    assert!(!reports.join(second).join("stale.svg").exists());
    let latest = std::fs::read_link(reports.join("latest"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| std::fs::read_to_string(reports.join("latest")).unwrap());
    assert_eq!(latest.trim(), second.as_str());
    assert!(reports.join("latest/notes.md").is_file());
    assert!(reports.join("latest/comment.md").is_file());
}

#[test]
fn threshold_and_filter_on_compare_gate_and_notes() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    fixture(w);
    // 15% slower fails the regression policy; a 50% tolerance passes it, and says so.
    bench(w)
        .args(["compare", "--baseline", "base", "--run", "slow.json"])
        .assert()
        .code(1);
    let out = bench(w)
        .args(["compare", "--baseline", "base", "--run", "slow.json"])
        .args(["--threshold", "50", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["threshold_pct"] == 50.0));
    assert!(r["meta"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("--threshold 50"));
    // --filter keeps the matching checks only.
    let out = bench(w)
        .args(["compare", "--baseline", "base", "--run", "slow.json"])
        .args(["--filter", "fanout=4", "--format", "json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = r["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|x| x["cell"].as_str().unwrap().contains("fanout=4")));
    bench(w)
        .args(["notes", "--baseline", "base", "--run", "slow.json"])
        .args(["--filter", "no-such-cell"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "--filter \"no-such-cell\": 0 check(s) kept",
        ));
    bench(w)
        .args([
            "notes",
            "--baseline",
            "base",
            "--run",
            "slow.json",
            "--pr-comment",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("**FAIL**: `"))
        .stdout(predicate::str::contains("<details>"));
    bench(w)
        .args(QUICK)
        .args(["--filter", "["])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--filter"));
    bench(w)
        .args(QUICK)
        .args(["--filter", "^nothing$"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("matches no gate"));
    bench(w)
        .args(QUICK)
        .args(["--filter", "Q-ab", "--threshold", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("within -1%"))
        .stdout(predicate::str::contains("Q-batch").not());
}

#[test]
fn the_readme_shows_the_table_the_gate_prints() {
    // The README's "What the gate prints" block is real output: its header and footer are the
    // renderer's (so a change of columns or footer updates the README too).
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    let section = readme
        .split("### What the gate prints")
        .nth(1)
        .expect("the README section");
    let block = section
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a text block");
    let header = block
        .lines()
        .find(|l| l.starts_with("gate "))
        .expect("the table header");
    let columns: Vec<&str> = header
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        columns,
        ["gate", "rule", "change", "95% CI", "q", "MDE", "n", "verdict"]
    );
    assert!(block.contains("Statistics: "), "{block}");
    assert!(
        block.lines().any(|l| l.starts_with("verdicts: ")),
        "{block}"
    );
    assert!(block
        .lines()
        .any(|l| l.starts_with("gate PASSED: ") || l.starts_with("gate FAILED: ")));
    for l in block.lines() {
        assert!(l.chars().count() <= 100, "wider than COLUMNS=100: {l}");
    }
}
