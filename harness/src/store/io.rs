//! Loading with schema checks, and atomic writes (temp file in the same dir + rename).

use super::{Baseline, RunFile, BASELINE_SCHEMA, RUN_SCHEMA};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A run or baseline file that cannot be read or written. Every variant names the file.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The JSON ends early (an interrupted write or copy).
    #[error("{path} is truncated (the JSON ends early); re-create it")]
    Truncated {
        /// The file.
        path: PathBuf,
    },
    /// Not JSON at all.
    #[error("{path} is not valid JSON: {source}")]
    NotJson {
        /// The file.
        path: PathBuf,
        /// serde_json's message with line and column.
        source: serde_json::Error,
    },
    /// No `schema` field.
    #[error("{path} has no \"schema\" field; expected \"{expected}\" (is it a ron-bench file?)")]
    MissingSchema {
        /// The file.
        path: PathBuf,
        /// The schema we read.
        expected: &'static str,
    },
    /// Another schema (version).
    #[error("{path} has schema \"{found}\", this ron-bench reads \"{expected}\"")]
    WrongSchema {
        /// The file.
        path: PathBuf,
        /// What the file says.
        found: String,
        /// The schema we read.
        expected: &'static str,
    },
    /// The right schema, but a field is missing or of the wrong type.
    #[error("{path} does not match schema \"{schema}\": {source}")]
    Field {
        /// The file.
        path: PathBuf,
        /// The schema we read.
        schema: &'static str,
        /// serde_json's message naming the field, line and column.
        source: serde_json::Error,
    },
    /// The contents fail the sanity checks (see [`super::validate`]).
    #[error(transparent)]
    Invalid(#[from] super::validate::InvalidRun),
    /// Not a regular file (a FIFO would block the read for good; a directory is no run).
    #[error("{path} is not a regular file")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The one writer refused or failed (the error names the file).
    #[error(transparent)]
    Written(#[from] super::write::WriteError),
    /// The file cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Loads a run file, checking its schema and contents (at least one sane cell).
pub fn load_run(path: &Path) -> Result<RunFile, StoreError> {
    let r: RunFile = load(path, RUN_SCHEMA)?;
    super::validate::run(path, &r)?;
    Ok(r)
}

/// Loads a shard run file: like [`load_run`], but a shard may hold no cells (`merge`
/// checks the union).
pub fn load_shard(path: &Path) -> Result<RunFile, StoreError> {
    let r: RunFile = load(path, RUN_SCHEMA)?;
    super::validate::cells(path, &r.cells)?;
    Ok(r)
}

/// Loads a baseline file, checking its schema (and its run's).
pub fn load_baseline(path: &Path) -> Result<Baseline, StoreError> {
    let b: Baseline = load(path, BASELINE_SCHEMA)?;
    if b.run.schema != RUN_SCHEMA {
        return Err(StoreError::WrongSchema {
            path: path.into(),
            found: b.run.schema,
            expected: RUN_SCHEMA,
        });
    }
    super::validate::baseline(path, &b)?;
    Ok(b)
}

/// Reads a user-named file as text, refusing anything but a regular file: a FIFO would block
/// the read for good, a device would never end.
pub fn read_regular(path: &Path) -> std::io::Result<String> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    std::fs::read_to_string(path)
}

fn load<T: DeserializeOwned>(path: &Path, schema: &'static str) -> Result<T, StoreError> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(StoreError::NotAFile { path: path.into() }),
        _ => {}
    }
    let text = std::fs::read_to_string(path).map_err(|source| StoreError::Read {
        path: path.into(),
        source,
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|source| {
        if source.is_eof() {
            StoreError::Truncated { path: path.into() }
        } else {
            StoreError::NotJson {
                path: path.into(),
                source,
            }
        }
    })?;
    match value.get("schema") {
        None => {
            return Err(StoreError::MissingSchema {
                path: path.into(),
                expected: schema,
            })
        }
        Some(found) if found.as_str() != Some(schema) => {
            return Err(StoreError::WrongSchema {
                path: path.into(),
                found: found
                    .as_str()
                    .map_or_else(|| found.to_string(), str::to_string),
                expected: schema,
            })
        }
        Some(_) => {}
    }
    // Parse the text again (not the Value) so errors carry line and column.
    serde_json::from_str(&text).map_err(|source| StoreError::Field {
        path: path.into(),
        schema,
        source,
    })
}

/// Writes `value` as pretty JSON to `path` through the one writer ([`super::write`]):
/// atomic for regular files, so readers see the old file or the new one, never half of one.
/// The directory must exist.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    super::write::write_file(path, &to_json(path, value)?)?;
    Ok(())
}

/// Creates `path` with `value` as pretty JSON unless it exists (exactly one of concurrent
/// callers wins; see [`super::write::write_new`]).
pub fn write_json_new<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    super::write::write_new(path, &to_json(path, value)?)?;
    Ok(())
}

fn to_json<T: Serialize>(path: &Path, value: &T) -> Result<Vec<u8>, StoreError> {
    let mut json = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Write {
        path: path.into(),
        source: std::io::Error::other(e),
    })?;
    json.push(b'\n');
    Ok(json)
}

/// Fails unless a file could be created in `dir` (checked before a long run starts).
pub fn check_writable_dir(dir: &Path) -> Result<(), StoreError> {
    Ok(super::write::check_writable_dir(dir)?)
}
