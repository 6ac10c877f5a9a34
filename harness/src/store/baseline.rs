//! The baseline directory: `baselines/NAME.json` (or `--dir` / `RON_BASELINE_DIR`).

use super::{
    load_baseline, now_utc, write_json_atomic, Baseline, RunFile, StoreError, BASELINE_SCHEMA,
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
    /// A directory operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
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
        let path = self.path(name)?;
        if path.exists() && !force {
            return Err(BaselineError::Exists {
                name: name.into(),
                path,
            });
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| BaselineError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let b = Baseline {
            schema: BASELINE_SCHEMA.into(),
            name: name.into(),
            saved_utc: now_utc(),
            source,
            run,
            imported: None,
            calibration: None,
        };
        write_json_atomic(&path, &b)?;
        Ok(path)
    }

    /// Saves a complete baseline value as `name` (imports, calibration updates).
    pub fn save_baseline(&self, b: &Baseline, force: bool) -> Result<PathBuf, BaselineError> {
        let path = self.path(&b.name)?;
        if path.exists() && !force {
            return Err(BaselineError::Exists {
                name: b.name.clone(),
                path,
            });
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| BaselineError::Io {
            path: self.dir.clone(),
            source,
        })?;
        write_json_atomic(&path, b)?;
        Ok(path)
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

    /// Every `*.json` in the directory, sorted by name (an absent directory is empty).
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
