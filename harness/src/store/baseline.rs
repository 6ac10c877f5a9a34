//! The baseline directory: `baselines/NAME.json` (or `--dir` / `RON_BASELINE_DIR`).

use super::write::WriteError;
use super::{
    load_baseline, now_utc, write_json_atomic, write_json_new, Baseline, RunFile, StoreError,
    BASELINE_SCHEMA,
};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A baseline operation that cannot be done. Each variant names the baseline or file.
#[derive(Debug, Error)]
pub enum BaselineError {
    /// Names are file stems: letters, digits, `.`, `_`, `-`; not starting with `.`.
    #[error("invalid baseline name {name:?}: use letters, digits, '.', '_' and '-' (not starting with '.')")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// Saving over an existing baseline needs `--force`.
    #[error("baseline `{name}` already exists at {path}; pass --force to replace it")]
    Exists {
        /// The name.
        name: String,
        /// Its file.
        path: PathBuf,
    },
    /// No such baseline.
    #[error(
        "no baseline `{name}` (looked for {path}); `ron-bench baseline list` shows what exists"
    )]
    NotFound {
        /// The name.
        name: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// Reading, parsing or writing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The baseline directory is a file (or another non-directory).
    #[error("baseline directory {path} exists but is not a directory (--dir, --baseline-dir or RON_BASELINE_DIR)")]
    NotADir {
        /// The path.
        path: PathBuf,
    },
    /// The baseline directory cannot be created.
    #[error("cannot create baseline directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A directory operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Schema id of `baseline list --json`.
pub const BASELINE_LIST_SCHEMA: &str = "ron-bench/baseline-list/v1";

/// `baseline list --json`: every baseline of a directory, one summary each.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct BaselineList {
    /// [`BASELINE_LIST_SCHEMA`].
    pub schema: String,
    /// The baseline directory.
    pub dir: String,
    /// One entry per `*.json` file, by name.
    pub baselines: Vec<BaselineSummary>,
}

/// One baseline in [`BaselineList`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct BaselineSummary {
    /// The name (file stem).
    pub name: String,
    /// The file.
    pub path: String,
    /// Why the file cannot be read (then every other field but `name` and `path` is empty).
    pub error: Option<String>,
    /// When it was saved, RFC 3339 UTC.
    pub saved_utc: Option<String>,
    /// Git sha of the measured tree.
    pub git_sha: Option<String>,
    /// The tree had uncommitted changes.
    pub git_dirty: Option<bool>,
    /// Measured cells.
    pub cells: usize,
    /// Benchmarks imported from criterion (0 for a measured baseline).
    pub imported_benchmarks: usize,
    /// `process` or `mock`.
    pub executor: Option<String>,
    /// CPU model of the machine.
    pub cpu_model: Option<String>,
    /// Logical cores of the machine.
    pub logical_cores: Option<usize>,
    /// A `calibrate --baseline` result is stored in it.
    pub calibrated: bool,
}

impl BaselineSummary {
    /// The summary of one listed file.
    pub fn of(l: &Listed) -> BaselineSummary {
        let mut s = BaselineSummary {
            name: l.name.clone(),
            path: l.path.display().to_string(),
            error: None,
            saved_utc: None,
            git_sha: None,
            git_dirty: None,
            cells: 0,
            imported_benchmarks: 0,
            executor: None,
            cpu_model: None,
            logical_cores: None,
            calibrated: false,
        };
        match &l.baseline {
            Ok(b) => {
                s.saved_utc = Some(b.saved_utc.clone());
                s.git_sha = b.run.env.git_sha.clone();
                s.git_dirty = b.run.env.git_dirty;
                s.cells = b.run.cells.len();
                s.imported_benchmarks = b.imported.as_ref().map_or(0, |i| i.benchmarks.len());
                s.executor = Some(b.run.executor.clone());
                s.cpu_model = b.run.env.machine.cpu_model.clone();
                s.logical_cores = Some(b.run.env.machine.logical_cores);
                s.calibrated = b.calibration.is_some();
            }
            Err(e) => s.error = Some(e.to_string()),
        }
        s
    }
}

/// One entry of [`BaselineDir::list`].
#[derive(Debug)]
pub struct Listed {
    /// File stem.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Its contents, or why they cannot be read.
    pub baseline: Result<Baseline, StoreError>,
}

/// A directory of baselines.
#[derive(Debug, Clone)]
pub struct BaselineDir {
    /// The directory.
    pub dir: PathBuf,
}

impl BaselineDir {
    /// The directory at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> BaselineDir {
        BaselineDir { dir: dir.into() }
    }

    /// The file of baseline `name` (validating the name).
    pub fn path(&self, name: &str) -> Result<PathBuf, BaselineError> {
        let ok = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !ok {
            return Err(BaselineError::InvalidName { name: name.into() });
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Saves `run` as baseline `name`; refuses to replace one unless `force`.
    pub fn save(
        &self,
        name: &str,
        run: RunFile,
        source: Option<String>,
        force: bool,
    ) -> Result<PathBuf, BaselineError> {
        let b = Baseline {
            schema: BASELINE_SCHEMA.into(),
            name: name.into(),
            saved_utc: now_utc(),
            source,
            run,
            imported: None,
            calibration: None,
        };
        self.save_baseline(&b, force)
    }

    /// Saves a complete baseline value as `b.name` (imports); refuses to replace one unless
    /// `force`. Without `force` the file is created exclusively: of concurrent saves of one
    /// name exactly one wins and the others get [`BaselineError::Exists`].
    pub fn save_baseline(&self, b: &Baseline, force: bool) -> Result<PathBuf, BaselineError> {
        self.write_as(&b.name, b, force)
    }

    /// Replaces the file of baseline `name` (the file a baseline was loaded from, whatever
    /// its internal `name` says) with `b`.
    pub fn replace(&self, name: &str, b: &Baseline) -> Result<PathBuf, BaselineError> {
        self.write_as(name, b, true)
    }

    fn write_as(&self, name: &str, b: &Baseline, force: bool) -> Result<PathBuf, BaselineError> {
        let path = self.path(name)?;
        crate::store::validate::baseline(&path, b).map_err(StoreError::from)?;
        self.ensure_dir()?;
        if force {
            write_json_atomic(&path, b)?;
        } else {
            match write_json_new(&path, b) {
                Err(StoreError::Written(WriteError::Exists { .. })) => {
                    return Err(BaselineError::Exists {
                        name: name.into(),
                        path,
                    })
                }
                r => r?,
            }
        }
        Ok(path)
    }

    /// Creates the directory, naming it (and not "File exists") when a file is in the way.
    fn ensure_dir(&self) -> Result<(), BaselineError> {
        if std::fs::metadata(&self.dir).is_ok_and(|m| !m.is_dir()) {
            return Err(BaselineError::NotADir {
                path: self.dir.clone(),
            });
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| BaselineError::CreateDir {
            path: self.dir.clone(),
            source,
        })
    }

    /// Loads baseline `name`.
    pub fn load(&self, name: &str) -> Result<Baseline, BaselineError> {
        let path = self.existing(name)?;
        Ok(load_baseline(&path)?)
    }

    /// Deletes baseline `name`.
    pub fn remove(&self, name: &str) -> Result<PathBuf, BaselineError> {
        let path = self.existing(name)?;
        std::fs::remove_file(&path).map_err(|source| BaselineError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// Every regular `*.json` file in the directory, sorted by name (an absent directory is
    /// empty).
    pub fn list(&self) -> Result<Vec<Listed>, BaselineError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(BaselineError::Io {
                    path: self.dir.clone(),
                    source,
                })
            }
        };
        let mut out: Vec<Listed> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            // A FIFO named `x.json` would block the read for good; only regular files count.
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
            .filter_map(|path| {
                let name = path.file_stem()?.to_str()?.to_string();
                (!name.starts_with('.')).then(|| Listed {
                    baseline: load_baseline(&path),
                    name,
                    path,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn existing(&self, name: &str) -> Result<PathBuf, BaselineError> {
        let path = self.path(name)?;
        if !Path::new(&path).is_file() {
            return Err(BaselineError::NotFound {
                name: name.into(),
                path,
            });
        }
        Ok(path)
    }
}
