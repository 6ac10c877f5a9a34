//! Builds the runner once per feature combo into one dedicated target dir
//! (`target/ron-bench`), then copies each binary to `target/ron-bench/bins/<label>/` so
//! combos do not overwrite each other. cargo's freshness check makes an unchanged build cheap;
//! switching feature sets reuses cargo's per-feature-set artifacts.

use super::progress::BuildStatus;
use crate::spec::Build;
use crate::store::fingerprint::sha256_hex;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use thiserror::Error;

/// A runner build that failed (a tool error).
#[derive(Debug, Error)]
pub enum BuildError {
    /// cargo could not be started.
    #[error("cannot run `{cargo}` to build the runner: {source}")]
    Spawn {
        /// The cargo binary.
        cargo: String,
        /// Why.
        source: std::io::Error,
    },
    /// cargo failed.
    #[error("building the runner for `{label}` failed ({status}):\n{stderr}")]
    Cargo {
        /// Build label.
        label: String,
        /// Exit status.
        status: String,
        /// The end of cargo's output.
        stderr: String,
    },
    /// A `gate --against` revision cannot be checked out.
    #[error(transparent)]
    Revision(#[from] super::revision::RevisionError),
    /// The build stamp cannot be written (the error names the file).
    #[error(transparent)]
    Stamp(#[from] crate::store::write::WriteError),
    /// Copying the binary to its cache path failed.
    #[error("cannot cache the runner binary at {path}: {source}")]
    Copy {
        /// Destination.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A built runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The cached binary.
    pub path: PathBuf,
    /// Its sha256.
    pub sha256: String,
}

/// The dedicated target dir of runner builds.
pub fn target_dir(ws: &Path) -> PathBuf {
    ws.join("target").join("ron-bench")
}

/// The stamp of a revision build: what the cached binary was built from.
fn rev_stamp(sha: &str, build: &Build) -> String {
    format!(
        "sha={sha}\nfeatures={}\nrustc={}\n",
        build.features.join(","),
        crate::store::Environment::rustc_version().unwrap_or_default()
    )
}

/// Builds `build` and returns its cached binary. `log` receives one line per step.
///
/// A revision build (`build.rev`) compiles a worktree of that commit (see
/// [`super::revision`]) and is skipped entirely when `bins/<label>/` holds a binary whose
/// stamp names the same sha, features and rustc.
pub fn build_runner(
    ws: &Path,
    build: &Build,
    log: &mut dyn FnMut(&str),
) -> Result<Built, BuildError> {
    let Some(sha) = &build.rev else {
        return cargo_build(ws, &target_dir(ws), ws, build, log);
    };
    let exe = format!("ron-bench-runner{}", std::env::consts::EXE_SUFFIX);
    let dir = target_dir(ws).join("bins").join(&build.label);
    let stamp_path = dir.join("stamp");
    let stamp = rev_stamp(sha, build);
    if std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        if let Ok(bytes) = std::fs::read(dir.join(&exe)) {
            log(&format!(
                "runner [{}] cached for {sha} -> {}",
                build.label,
                dir.join(&exe).display()
            ));
            return Ok(Built {
                path: dir.join(&exe),
                sha256: sha256_hex(&bytes),
            });
        }
    }
    log(&format!("git worktree of {sha} for [{}] ...", build.label));
    let source = super::revision::ensure_worktree(ws, sha)?;
    // Its own target dir: cargo hashes workspace crates by their path *relative to the
    // workspace root* and judges freshness by mtimes, so two checkouts sharing one target dir
    // can silently reuse each other's artifacts (measured: the head "build" came out
    // byte-identical to the base's). Registry dependencies are compiled once per revision.
    let built = cargo_build(&source, &source.join("target"), ws, build, log)?;
    crate::store::write::write_file(&stamp_path, stamp.as_bytes())?;
    Ok(built)
}

/// Lines of cargo's stderr kept for the error message of a failed build.
const CARGO_TAIL_LINES: usize = 30;

/// Runs cargo, feeding its stderr to a [`BuildStatus`] as it comes (a reader thread; the
/// status ticks while cargo is silent); returns the exit status and the last lines.
fn run_cargo(
    cmd: &mut Command,
    label: &str,
) -> std::io::Result<(std::process::ExitStatus, std::collections::VecDeque<String>)> {
    use std::io::BufRead;
    use std::sync::mpsc;
    let mut child = cmd.spawn()?;
    let stderr = child.stderr.take();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        if let Some(e) = stderr {
            for line in std::io::BufReader::new(e).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        }
    });
    let mut status = BuildStatus::start(label);
    let mut tail = std::collections::VecDeque::with_capacity(CARGO_TAIL_LINES);
    loop {
        match rx.recv_timeout(std::time::Duration::from_millis(250)) {
            Ok(line) => {
                status.line(&line);
                if tail.len() == CARGO_TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => status.tick(),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    status.finish();
    let _ = reader.join();
    Ok((child.wait()?, tail))
}

/// `cargo build` of the runner of the workspace at `source` into `target`; the binary is
/// cached under `ws`'s `target/ron-bench/bins/<label>/`.
fn cargo_build(
    source: &Path,
    target: &Path,
    ws: &Path,
    build: &Build,
    log: &mut dyn FnMut(&str),
) -> Result<Built, BuildError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.arg("build")
        .arg("--release")
        .arg("--manifest-path")
        .arg(source.join("Cargo.toml"))
        .args(["-p", "ron-bench-runner", "--bin", "ron-bench-runner"])
        .arg("--target-dir")
        .arg(target)
        // Plain lines on a pipe: the status display reads cargo's steps from them.
        .env("CARGO_TERM_COLOR", "never")
        .env("CARGO_TERM_PROGRESS_WHEN", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if !build.features.is_empty() {
        cmd.arg("--features").arg(build.features.join(","));
    }
    // Calibration slowdowns are compile-time constants of the adapter; cargo tracks the
    // variables (`option_env!`), so plain and injected builds never share a stale binary.
    for path in [
        crate::spec::InjectPath::Publish,
        crate::spec::InjectPath::Deliver,
    ] {
        match build.inject.filter(|i| i.path == path) {
            Some(i) => cmd.env(path.env_var(), i.value()),
            None => cmd.env_remove(path.env_var()),
        };
    }
    log(&format!("building runner [{}] ...", build.label));
    let start = Instant::now();
    let (status, tail) = run_cargo(&mut cmd, &build.label).map_err(|source| BuildError::Spawn {
        cargo: cargo.clone(),
        source,
    })?;
    if !status.success() {
        return Err(BuildError::Cargo {
            label: build.label.clone(),
            status: status.to_string(),
            stderr: tail.into_iter().collect::<Vec<_>>().join("\n"),
        });
    }
    let exe = format!("ron-bench-runner{}", std::env::consts::EXE_SUFFIX);
    let src = target.join("release").join(&exe);
    let dir = target_dir(ws).join("bins").join(&build.label);
    let dst = dir.join(&exe);
    let copy_err = |source| BuildError::Copy {
        path: dst.clone(),
        source,
    };
    let bytes = std::fs::read(&src).map_err(copy_err)?;
    let sha256 = sha256_hex(&bytes);
    let cached = std::fs::read(&dst)
        .map(|b| sha256_hex(&b) == sha256)
        .unwrap_or(false);
    if !cached {
        std::fs::create_dir_all(&dir).map_err(copy_err)?;
        // Copy to a temp name and rename, so a concurrent reader never runs half a binary.
        let tmp = dir.join(format!(".{exe}.tmp"));
        std::fs::copy(&src, &tmp).map_err(copy_err)?;
        std::fs::rename(&tmp, &dst).map_err(copy_err)?;
    }
    log(&format!(
        "built runner [{}] in {:.1} s ({}) -> {}",
        build.label,
        start.elapsed().as_secs_f64(),
        if cached { "unchanged" } else { "new binary" },
        dst.display()
    ));
    Ok(Built { path: dst, sha256 })
}
