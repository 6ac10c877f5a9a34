//! The README's examples run, so they cannot rot.
//!
//! Every fenced `bash` block of README.md is scanned in order; each line that runs
//! `ron-bench` (as `ron-bench ...` or `cargo run ... --bin ron-bench -- ...`) or one of the
//! perf-gate scripts is executed against the mock executor (`RON_BENCH_MOCK=1`: synthetic
//! numbers, no runner build) in one temporary workspace that is a small git repository with
//! two commits (so `--against HEAD~1` has a revision to resolve), and its exit code is
//! checked: 0 unless the line says `# expect exit N`. A line marked `# readme-test: skip`
//! is not run. Leading `VAR=value` words become environment variables.
#![forbid(unsafe_code)]

mod common;

use common::repo;

use std::path::Path;
use std::process::{Command, Output};

/// One runnable line of the README.
#[derive(Debug, Clone, PartialEq)]
struct Example {
    line_no: usize,
    text: String,
    env: Vec<(String, String)>,
    kind: Kind,
    expect: i32,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// `ron-bench` with these arguments.
    Bench(Vec<String>),
    /// `bash scripts/<name>` with these arguments.
    Script(String, Vec<String>),
}

/// Splits a shell line into words (single and double quotes; no expansions).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut any = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `(command, comment)`: the comment starts at the first ` #` outside quotes.
fn split_comment(line: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') if prev_space => return (line[..i].trim_end(), &line[i + 1..]),
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    (line.trim_end(), "")
}

/// The `bash` code blocks' lines, continuation lines joined: `(line number, text)`.
fn bash_lines(readme: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_bash = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in readme.lines().enumerate() {
        let t = raw.trim();
        if let Some(lang) = t.strip_prefix("```") {
            in_bash = !in_bash && matches!(lang.trim(), "bash" | "sh" | "shell");
            continue;
        }
        if !in_bash {
            continue;
        }
        let (n, mut text) = pending.take().unwrap_or((i + 1, String::new()));
        if let Some(head) = t.strip_suffix('\\') {
            text.push_str(head);
            text.push(' ');
            pending = Some((n, text));
        } else {
            text.push_str(t);
            out.push((n, text));
        }
    }
    out
}

fn parse_example(line_no: usize, text: &str) -> Option<Example> {
    let (cmd, comment) = split_comment(text);
    if comment.contains("readme-test: skip") {
        return None;
    }
    let expect = comment
        .split("expect exit")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok())
        .unwrap_or(0);
    let mut w = words(cmd);
    let mut env = Vec::new();
    while let Some((k, v)) = w.first().and_then(|x| x.split_once('=')) {
        if k.is_empty()
            || !k
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            break;
        }
        env.push((k.to_string(), v.to_string()));
        w.remove(0);
    }
    let kind = match w.first().map(String::as_str) {
        Some("ron-bench") => Kind::Bench(w[1..].to_vec()),
        Some("cargo") if w.get(1).map(String::as_str) == Some("run") => {
            let bin = w.windows(2).any(|p| p[0] == "--bin" && p[1] == "ron-bench");
            let dashes = w.iter().position(|x| x == "--")?;
            if !bin {
                return None;
            }
            Kind::Bench(w[dashes + 1..].to_vec())
        }
        Some("bash") if w.get(1).is_some_and(|s| s.starts_with("scripts/perf_gate")) => {
            Kind::Script(w[1].clone(), w[2..].to_vec())
        }
        _ => return None,
    };
    Some(Example {
        line_no,
        text: text.to_string(),
        env,
        kind,
        expect,
    })
}

fn examples() -> Vec<Example> {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    bash_lines(&readme)
        .into_iter()
        .filter_map(|(n, t)| parse_example(n, &t))
        .collect()
}

fn git(ws: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(ws)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A workspace that is a git repo with two commits, both "with the harness".
fn workspace() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let p = ws.path();
    std::fs::create_dir_all(p.join("harness/runner")).unwrap();
    std::fs::write(p.join("Cargo.toml"), "[workspace]\n").unwrap();
    std::fs::write(p.join("harness/runner/Cargo.toml"), "[package]\n").unwrap();
    std::fs::write(p.join(".gitignore"), "/reports/\n/baselines/\n/target/\n").unwrap();
    git(p, &["init", "-q"]);
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "one"]);
    std::fs::write(p.join("harness/runner/Cargo.toml"), "[package]\n# two\n").unwrap();
    git(p, &["commit", "-q", "-am", "two"]);
    ws
}

fn run(ex: &Example, ws: &Path) -> Output {
    let bench = env!("CARGO_BIN_EXE_ron-bench");
    let mut c = match &ex.kind {
        Kind::Bench(args) => {
            let mut c = Command::new(bench);
            c.args(args);
            c
        }
        Kind::Script(script, args) => {
            let mut c = Command::new("bash");
            c.arg(repo().join(script)).args(args);
            // The scripts run ron-bench from the repo root; keep their output in the temp
            // workspace and resolve revisions there.
            c.env("RON_BENCH", bench)
                .env("OUT_DIR", ws.join("reports/script"))
                .env("AGAINST", "HEAD~1")
                .env("BASE_SHA", "HEAD~1")
                .env("DRY_RUN", "1");
            c
        }
    };
    for v in common::CLEARED {
        c.env_remove(v);
    }
    c.env("RON_BENCH_WORKSPACE", ws)
        .env("RON_BENCH_MOCK", "1")
        .env("CI", "true")
        .current_dir(ws);
    for (k, v) in &ex.env {
        c.env(k, v);
    }
    c.output().expect("spawn")
}

#[test]
fn readme_examples_run_against_the_mock_executor() {
    let all = examples();
    assert!(
        all.len() >= 8,
        "expected the README to show at least 8 ron-bench examples, found {}",
        all.len()
    );
    let ws = workspace();
    let mut failures = Vec::new();
    for ex in &all {
        let out = run(ex, ws.path());
        let code = out.status.code().unwrap_or(-1);
        if code != ex.expect {
            failures.push(format!(
                "README.md:{}: `{}` exited {code}, expected {}\n--- stdout (end)\n{}\n--- stderr (end)\n{}",
                ex.line_no,
                ex.text,
                ex.expect,
                tail(&out.stdout),
                tail(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

#[test]
fn the_extractor_understands_the_readme_conventions() {
    let md = "text\n```bash\nron-bench run --quick   # a comment\nSTRICT=1 ROUNDS=5 bash scripts/perf_gate.sh\ncargo run --release -p ron-harness --bin ron-bench -- gate \\\n  --quick\nron-bench gate --baseline x  # expect exit 1\nron-bench calibrate  # readme-test: skip\ncargo test --workspace\n```\n```rust\nron-bench nope\n```\n";
    let ex: Vec<Example> = bash_lines(md)
        .into_iter()
        .filter_map(|(n, t)| parse_example(n, &t))
        .collect();
    assert_eq!(ex.len(), 4, "{ex:#?}");
    assert_eq!(
        ex[0].kind,
        Kind::Bench(vec!["run".into(), "--quick".into()])
    );
    assert_eq!(ex[0].line_no, 3);
    assert_eq!(
        ex[1].env,
        vec![("STRICT".into(), "1".into()), ("ROUNDS".into(), "5".into())]
    );
    assert_eq!(
        ex[1].kind,
        Kind::Script("scripts/perf_gate.sh".into(), vec![])
    );
    assert_eq!(
        ex[2].kind,
        Kind::Bench(vec!["gate".into(), "--quick".into()])
    );
    assert_eq!(ex[3].expect, 1);
    assert_eq!(words(r#"a "b c" 'd e' f"#), ["a", "b c", "d e", "f"]);
    assert_eq!(
        split_comment(r#"x --features "a;b" # note"#),
        (r#"x --features "a;b""#, " note")
    );
}

#[test]
fn every_mog_gate_is_in_the_readme_table() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mog = std::fs::read_to_string(repo().join("harness/gates/mog.toml")).unwrap();
    let ids: Vec<&str> = mog
        .lines()
        .filter_map(|l| l.trim().strip_prefix("id = \""))
        .filter_map(|r| r.strip_suffix('"'))
        .collect();
    assert!(ids.len() >= 10, "{ids:?}");
    let missing: Vec<&&str> = ids
        .iter()
        .filter(|id| !readme.contains(&format!("`{id}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README's MOG gate table lacks {missing:?}"
    );
}

#[test]
fn readme_knob_table_is_the_knob_table() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let table = ron_comparables::knobs::markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's knob table differs from ron_comparables::knobs::KNOBS; paste:\n{table}"
    );
}
