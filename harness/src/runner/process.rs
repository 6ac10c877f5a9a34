//! The real executor: one child process of the build's runner binary per process run.
//!
//! With `--measure instructions` ([`ProcessExecutor::valgrind`]) the runner runs under
//! `valgrind --tool=callgrind`, collecting only inside the runner's sampled calls
//! (`--toggle-collect` on [`ron_bench_runner::measure::MEASURED_SYMBOL`]); the count is read
//! from the `totals:` line of callgrind's output file.

use super::{ExecError, Executor, Job, JobOutcome, RunOutput};
use ron_bench_runner::measure::MEASURED_SYMBOL;
use ron_bench_runner::protocol::{PROTOCOL, PROTOCOL_V1};
use ron_bench_runner::Line;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Spawns `bins[build_index]` with the job's request on its command line.
#[derive(Debug, Clone)]
pub struct ProcessExecutor {
    /// Runner binary per build (None: the build is not used by any runnable job).
    pub bins: Vec<Option<PathBuf>>,
    /// `valgrind` to count instructions with (`--measure instructions`), else `None`.
    pub valgrind: Option<PathBuf>,
    /// Run time-measured children with address-space randomisation off (`setarch -R`), when
    /// the machine allows it ([`aslr_off_works`]). Measured here: steady publish with no
    /// subscriber spread over 167-329 M/s across 10 processes with ASLR, 204-262 M/s without
    /// (the heap and stack land at the same addresses every run, so a process no longer
    /// picks a fast or slow layout by chance).
    pub no_aslr: bool,
    /// Builds whose runner speaks the v1 protocol (built from a revision before the JSON
    /// request); found on the first process run of each.
    pub v1_builds: std::collections::BTreeSet<usize>,
}

/// Whether `setarch <arch> -R` can start a program here (util-linux; a container may forbid
/// the personality change).
pub fn aslr_off_works() -> bool {
    Command::new("setarch")
        .args([std::env::consts::ARCH, "-R", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Finds `valgrind` on PATH; the error names the package to install.
pub fn find_valgrind() -> Result<PathBuf, NoValgrind> {
    let ok = Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| PathBuf::from("valgrind")).ok_or(NoValgrind)
}

/// The `totals:` (or `summary:`) count of a callgrind output file: instructions (Ir).
pub fn callgrind_total(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn callgrind(valgrind: &Path, bin: &Path, out_file: &Path, symbol: &str) -> Command {
    let mut c = Command::new(valgrind);
    c.arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(format!("--toggle-collect={symbol}"))
        .arg("--quiet")
        .arg(bin);
    c
}

impl ProcessExecutor {
    /// The child for `job`: its runner (under callgrind or with ASLR off when configured)
    /// with the request in the build's protocol. `None` when a v1 runner cannot express the
    /// request.
    fn command(&self, bin: &Path, job: &Job<'_>, cg_file: Option<&Path>) -> Option<Command> {
        let mut cmd = match (&self.valgrind, cg_file) {
            (Some(v), Some(f)) => callgrind(v, bin, f, job.cell.scenario.measured_symbol()),
            _ if self.no_aslr => {
                let mut c = Command::new("setarch");
                c.args([std::env::consts::ARCH, "-R"]).arg(bin);
                c
            }
            _ => Command::new(bin),
        };
        if self.v1_builds.contains(&job.build_index) {
            let (args, (var, value)) = job.request.to_v1_args()?;
            cmd.args(args).env(var, value);
        } else {
            cmd.args(job.request.to_args());
        }
        cmd.stdin(Stdio::null());
        Some(cmd)
    }

    /// Runs the child once, switching the build to the v1 protocol when its runner predates
    /// the JSON request (it names `--request` as an unknown option).
    fn spawn(
        &mut self,
        bin: &Path,
        job: &Job<'_>,
        cg_file: Option<&Path>,
    ) -> Result<Option<std::process::Output>, ExecError> {
        loop {
            let Some(mut cmd) = self.command(bin, job, cg_file) else {
                return Ok(None);
            };
            let out = cmd.output().map_err(|source| ExecError::Spawn {
                bin: bin.display().to_string(),
                source,
            })?;
            let v1 = out.status.code() == Some(2)
                && String::from_utf8_lossy(&out.stderr).contains("unknown option `--request`");
            if !v1 || !self.v1_builds.insert(job.build_index) {
                return Ok(Some(out));
            }
        }
    }
}

impl Executor for ProcessExecutor {
    fn execute(&mut self, job: &Job<'_>) -> Result<JobOutcome, ExecError> {
        let bin = self
            .bins
            .get(job.build_index)
            .and_then(Option::as_ref)
            .cloned()
            .ok_or_else(|| ExecError::Protocol {
                cell: job.cell.id.clone(),
                build: job.build.label.clone(),
                message: "no runner binary was built for this build".into(),
            })?;
        let cg_dir = match &self.valgrind {
            Some(_) => Some(tempfile::tempdir().map_err(|source| ExecError::Spawn {
                bin: "a temp dir for callgrind".into(),
                source,
            })?),
            None => None,
        };
        let cg_file = cg_dir.as_ref().map(|d| d.path().join("callgrind.out"));
        let Some(out) = self.spawn(&bin, job, cg_file.as_deref())? else {
            return Ok(JobOutcome::Skipped(format!(
                "the runner of build `{}` predates knob `payload` (its revision cannot run {})",
                job.build.label, job.cell.id
            )));
        };
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            // A runner built from an older revision may predate a scenario: that side has no
            // data for the cell (a `missing` verdict), which is not a tool failure.
            if out.status.code() == Some(2) && stderr.contains("unknown scenario") {
                return Ok(JobOutcome::Skipped(format!(
                    "the runner of build `{}` does not know scenario `{}` (its revision predates it)",
                    job.build.label, job.cell.scenario
                )));
            }
            return Err(ExecError::Failed {
                cell: job.cell.id.clone(),
                build: job.build.label.clone(),
                round: job.round,
                status: out.status.to_string(),
                stderr: tail(&stderr, 20),
            });
        }
        let protocol = |message| ExecError::Protocol {
            cell: job.cell.id.clone(),
            build: job.build.label.clone(),
            message,
        };
        let mut outcome = parse_output(&String::from_utf8_lossy(&out.stdout))
            .map_err(|e| protocol(e.to_string()))?;
        if let (Some(f), JobOutcome::Ran(run)) = (&cg_file, &mut outcome) {
            let text = std::fs::read_to_string(f)
                .map_err(|e| protocol(format!("no callgrind output at {}: {e}", f.display())))?;
            let total = callgrind_total(&text)
                .ok_or_else(|| protocol("callgrind output has no `totals:` line".into()))?;
            if total == 0 {
                return Err(protocol(format!(
                    "callgrind counted 0 instructions inside `{}`: this runner predates \
                     instruction counting of scenario `{}` (build it from a newer revision)",
                    job.cell.scenario.measured_symbol(),
                    job.cell.scenario
                )));
            }
            // A symbol inside the workload is also entered by the runner's one warm-up call
            // (the same number of units as each sample): count only the samples' share.
            run.instructions = Some(if job.cell.scenario.measured_symbol() == MEASURED_SYMBOL {
                total
            } else {
                let n = u64::from(job.request.samples);
                total.saturating_mul(n) / (n + 1)
            });
        }
        Ok(outcome)
    }
}

/// Runner stdout that does not follow the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// A line that is not a protocol line.
    #[error("line {line}: {reason}: {text}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What serde said.
        reason: String,
        /// The line, truncated.
        text: String,
    },
    /// A `hello` of another protocol.
    #[error("protocol {0:?}, expected {PROTOCOL:?}")]
    Protocol(String),
    /// No `hello` line.
    #[error("no `hello` line")]
    NoHello,
    /// No `done` line.
    #[error("no `done` line (did the runner crash?)")]
    NoDone,
    /// `hello` and `done` but no sample.
    #[error("no samples")]
    NoSamples,
}

/// `valgrind` is not on PATH.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--measure instructions needs valgrind (callgrind), which is not on PATH: install the \
     `valgrind` package (Debian/Ubuntu: apt-get install valgrind; Fedora: dnf install \
     valgrind; macOS: not supported, use Linux)"
)]
pub struct NoValgrind;

/// Parses a runner's stdout: `skip`, or `hello`, `sample`..., `done`.
pub fn parse_output(stdout: &str) -> Result<JobOutcome, OutputError> {
    let mut hello = None;
    let mut samples = Vec::new();
    let mut done = None;
    for (n, text) in stdout
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line: Line = serde_json::from_str(text).map_err(|e| OutputError::BadLine {
            line: n + 1,
            reason: e.to_string(),
            text: truncate(text, 120),
        })?;
        match line {
            Line::Skip { reason } => return Ok(JobOutcome::Skipped(reason)),
            Line::Hello(h) if h.protocol == PROTOCOL || h.protocol == PROTOCOL_V1 => {
                hello = Some(h)
            }
            Line::Hello(h) => return Err(OutputError::Protocol(h.protocol)),
            Line::Sample(s) => samples.push(s),
            Line::Done(d) => done = Some(d),
        }
    }
    match (hello, done) {
        (Some(hello), Some(done)) if !samples.is_empty() => Ok(JobOutcome::Ran(RunOutput {
            hello,
            samples,
            done,
            instructions: None,
        })),
        (None, _) => Err(OutputError::NoHello),
        (_, None) => Err(OutputError::NoDone),
        _ => Err(OutputError::NoSamples),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: &str =
        r#"{"type":"hello","protocol":"ron-bench/runner/v1","features":[],"units_per_sample":10}"#;
    const SAMPLE: &str = r#"{"type":"sample","index":0,"elapsed_ns":1000,"published":10,"delivered":20,"lagged":0,"subscribers":2,"accounting_ok":true}"#;
    const DONE: &str = r#"{"type":"done","wall_ns":1000,"cpu_ns":2000,"peak_rss_bytes":4096,"counters":{"published":10,"no_receivers":0,"receiver_lag":0,"notify_sends":0,"notify_suppressed":0,"batch_publish":0,"batch_len_count":0,"batch_len_sum":0,"tls_flush":0,"interest_skips":0}}"#;

    #[test]
    fn parses_a_full_run() {
        let text = format!("{HELLO}\n{SAMPLE}\n{SAMPLE}\n{DONE}\n");
        match parse_output(&text).unwrap() {
            JobOutcome::Ran(r) => {
                assert_eq!(r.samples.len(), 2);
                assert_eq!(r.hello.units_per_sample, 10);
                assert_eq!(r.done.peak_rss_bytes, 4096);
            }
            other => panic!("{other:?}"),
        }
    }

    /// A stand-in for a runner built before the JSON request: it refuses `--request` the way
    /// v1's parser did, and answers `--key value` requests, echoing the TLS variable it got
    /// into its feature list so the test sees the side channel.
    fn v1_runner(dir: &Path) -> PathBuf {
        let path = dir.join("old-runner");
        let hello = HELLO.replace("\"features\":[]", "\"features\":[\"tls@\"]");
        let (a, b) = hello.split_once('@').unwrap();
        let script = format!(
            "#!/bin/sh\nif [ \"$1\" = --request ]; then echo \"ron-bench-runner: bad runner request: \
             unknown option \\`--request\\`\" >&2; exit 2; fi\n\
             [ \"$1\" = --scenario ] || exit 3\n\
             echo '{a}'\"$RON_TLS_FLUSH_THRESHOLD\"'{b}'\necho '{SAMPLE}'\necho '{DONE}'\n"
        );
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn a_v1_runner_gets_v1_arguments_and_the_threshold_in_its_environment() {
        use crate::spec::{Build, Cell, CellParams};
        use ron_comparables::ContenderId;
        let dir = tempfile::tempdir().unwrap();
        let mut exec = ProcessExecutor {
            bins: vec![Some(v1_runner(dir.path()))],
            valgrind: None,
            no_aslr: false,
            v1_builds: Default::default(),
        };
        let params = CellParams {
            fanout: 2,
            tls_thresh: 7,
            ..CellParams::default()
        };
        let cell = Cell::new(crate::Scenario::Steady, ContenderId::RonBus, params);
        let build = Build::new(vec![]);
        let request = ron_bench_runner::Request {
            scenario: cell.scenario,
            contender: cell.contender,
            params: cell.params,
            warmup_ms: 0,
            window_ms: 1,
            samples: 1,
            units: None,
        };
        let job = Job {
            cell: &cell,
            build_index: 0,
            build: &build,
            round: 0,
            seq: 0,
            request: request.clone(),
        };
        match exec.execute(&job).unwrap() {
            JobOutcome::Ran(r) => assert_eq!(r.hello.features, vec!["tls7".to_string()]),
            other => panic!("{other:?}"),
        }
        assert!(exec.v1_builds.contains(&0));
        // A knob v1 runners do not know is a skip, not a wrong measurement.
        let wide = Cell::new(
            crate::Scenario::Delivery,
            ContenderId::RonBus,
            params.with(crate::spec::Param::Payload, Some(16)),
        );
        let job = Job {
            cell: &wide,
            request: ron_bench_runner::Request {
                scenario: wide.scenario,
                params: wide.params,
                ..request
            },
            ..job
        };
        assert!(
            matches!(exec.execute(&job).unwrap(), JobOutcome::Skipped(r) if r.contains("payload"))
        );
    }

    #[test]
    fn callgrind_totals_are_read() {
        let text = "version: 1\ncreator: callgrind\nevents: Ir\nfl=x\n0 5\ntotals: 123456\n";
        assert_eq!(callgrind_total(text), Some(123_456));
        assert_eq!(callgrind_total("summary: 42 7\n"), Some(42));
        assert_eq!(callgrind_total("events: Ir\n"), None);
    }

    #[test]
    fn skip_and_broken_output() {
        let skip = r#"{"type":"skip","reason":"needs bus_batch"}"#;
        assert_eq!(
            parse_output(skip).unwrap(),
            JobOutcome::Skipped("needs bus_batch".into())
        );
        assert!(parse_output(&format!("{HELLO}\n{SAMPLE}\n"))
            .unwrap_err()
            .to_string()
            .contains("done"));
        assert!(parse_output("garbage")
            .unwrap_err()
            .to_string()
            .contains("line 1"));
        let old = HELLO.replace("runner/v1", "runner/v0");
        assert!(parse_output(&format!("{old}\n{SAMPLE}\n{DONE}"))
            .unwrap_err()
            .to_string()
            .contains("v0"));
    }
}
