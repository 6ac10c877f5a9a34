//! Where a run happened: git, toolchain and machine (sysinfo). Every field is best-effort:
//! what cannot be read is `None`, never an error, so a run works outside a git checkout.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

/// Source, toolchain and machine of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Environment {
    /// `git rev-parse HEAD` of the workspace.
    pub git_sha: Option<String>,
    /// Tracked files differ from HEAD.
    pub git_dirty: Option<bool>,
    /// `rustc --version`.
    pub rustc: Option<String>,
    /// Host target triple (the runner is built for the host).
    pub target: Option<String>,
    /// sha256 of Cargo.lock.
    pub cargo_lock_sha256: Option<String>,
    /// The machine.
    pub machine: Machine,
}

/// Machine fingerprint (sysinfo + `/sys`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Machine {
    /// CPU brand string.
    pub cpu_model: Option<String>,
    /// Logical CPUs.
    pub logical_cores: usize,
    /// Physical cores.
    pub physical_cores: Option<usize>,
    /// Cores this process may use (`available_parallelism`).
    pub available_cores: usize,
    /// Total RAM.
    pub memory_bytes: u64,
    /// OS name and version.
    pub os: Option<String>,
    /// Kernel version.
    pub kernel: Option<String>,
    /// CPU architecture.
    pub arch: String,
    /// cpufreq governor of cpu0, when readable.
    pub governor: Option<String>,
}

impl Machine {
    /// Fingerprint of this machine.
    pub fn capture() -> Machine {
        use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
        let sys = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        )
        .ok();
        let cpu_model = sys
            .as_ref()
            .and_then(|s| s.cpus().first().map(|c| c.brand().trim().to_string()))
            .filter(|b| !b.is_empty());
        Machine {
            cpu_model,
            logical_cores: sys.as_ref().map_or(0, |s| s.cpus().len()),
            physical_cores: System::physical_core_count().ok(),
            available_cores: available_cores(),
            memory_bytes: sys.as_ref().map_or(0, |s| s.total_memory()),
            os: System::long_os_version().ok(),
            kernel: System::kernel_version().ok(),
            arch: System::cpu_arch(),
            governor: std::fs::read_to_string(
                "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
            )
            .ok()
            .map(|g| g.trim().to_string()),
        }
    }

    /// The machine class as a file-name key: the CPU model in lower-case words and the core
    /// count, e.g. `amd-epyc-2c` (memory, the third part of [`Machine::same_kind`], is checked
    /// when a keyed file is read).
    pub fn class_key(&self) -> String {
        let model = self.cpu_model.as_deref().unwrap_or("unknown-cpu");
        let words: Vec<String> = model
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        format!("{}-{}c", words.join("-"), self.logical_cores)
    }

    /// The machine class for people: `AMD EPYC, 2 cores`.
    pub fn class_label(&self) -> String {
        format!(
            "{}, {} cores",
            self.cpu_model.as_deref().unwrap_or("unknown cpu"),
            self.logical_cores
        )
    }

    /// Whether two fingerprints describe the same kind of machine (model, cores, memory
    /// within 5%): comparing across machines deserves a loud warning.
    pub fn same_kind(&self, other: &Machine) -> bool {
        let mem = |m: &Machine| m.memory_bytes as f64;
        self.cpu_model == other.cpu_model
            && self.logical_cores == other.logical_cores
            && (mem(self) - mem(other)).abs() <= 0.05 * mem(self).max(mem(other))
    }
}

/// Cores this process may use.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Environment {
    /// `rustc --version` of the toolchain cargo would use (`$RUSTC`, else `rustc`).
    pub fn rustc_version() -> Option<String> {
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        output(Command::new(rustc).arg("--version"))
    }

    /// Captures the environment of the workspace at `ws`.
    pub fn capture(ws: &Path) -> Environment {
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let vv = output(Command::new(&rustc).arg("-vV"));
        Environment {
            git_sha: output(
                Command::new("git")
                    .arg("-C")
                    .arg(ws)
                    .args(["rev-parse", "HEAD"]),
            ),
            git_dirty: output(Command::new("git").arg("-C").arg(ws).args([
                "status",
                "--porcelain",
                "--untracked-files=no",
            ]))
            .map(|s| !s.is_empty()),
            rustc: output(Command::new(&rustc).arg("--version")),
            target: vv.as_deref().and_then(|v| {
                v.lines()
                    .find_map(|l| l.strip_prefix("host: "))
                    .map(str::to_string)
            }),
            cargo_lock_sha256: std::fs::read(ws.join("Cargo.lock"))
                .ok()
                .map(|b| sha256_hex(&b)),
            machine: Machine::capture(),
        }
    }
}

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Trimmed stdout of a successful command.
fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(std::process::Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn capture_never_fails_outside_a_repo() {
        let dir = tempfile::tempdir().unwrap();
        let env = Environment::capture(dir.path());
        assert_eq!(env.cargo_lock_sha256, None);
        assert!(env.machine.available_cores >= 1);
    }

    #[test]
    fn machine_kind_comparison() {
        let a = Machine {
            cpu_model: Some("X".into()),
            logical_cores: 2,
            memory_bytes: 100,
            ..Machine::default()
        };
        let mut b = a.clone();
        b.memory_bytes = 103;
        assert!(a.same_kind(&b));
        b.logical_cores = 4;
        assert!(!a.same_kind(&b));
    }
}
