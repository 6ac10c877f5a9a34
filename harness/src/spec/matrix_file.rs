//! `--matrix FILE`: a saved matrix in TOML. Every key is optional; flags beat the file and the
//! file beats the environment.
//!
//! ```toml
//! scenarios = ["burst_fanout", "steady"]
//! contenders = ["ron-bus", "tokio-broadcast"]
//! burst = [64, 256]
//! fanout = [1, 4]
//! cap = [2048]
//! pub_yield = [0]
//! tls_thresh = [64]
//! payload = [8, 32]
//! features = ["none", "bus_batch"]
//! rounds = 5
//! quick = true
//! ```

use ron_comparables::knobs::{Param, KNOBS};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The file's contents. Knob keys are the knob table's names (`burst`, `payload`, ...,
/// see `ron_comparables::knobs::KNOBS`); any other unknown key is rejected so a typo cannot
/// silently do nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatrixFile {
    /// The non-knob settings.
    pub settings: Settings,
    /// Knob values by parameter, as listed in the file.
    pub knobs: BTreeMap<Param, Vec<u64>>,
}

/// The non-knob keys of a matrix file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Settings {
    /// Scenario names.
    pub scenarios: Option<Vec<String>>,
    /// Contender names.
    pub contenders: Option<Vec<String>>,
    /// Feature combos, each like `--features` items (`"bus_batch,metrics_buf"`, `"none"`).
    pub features: Option<Vec<String>>,
    /// Rounds (process runs per cell and build).
    pub rounds: Option<u32>,
    /// Samples per process run.
    pub samples: Option<u32>,
    /// Sample window.
    pub window_ms: Option<u64>,
    /// Warm-up per process run.
    pub warmup_ms: Option<u64>,
    /// Use the quick sampling defaults.
    pub quick: Option<bool>,
    /// Everything else: knob keys, checked against the knob table.
    #[serde(flatten)]
    rest: BTreeMap<String, toml::Value>,
}

impl MatrixFile {
    /// Parses a matrix file's text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<MatrixFile, MatrixFileError> {
        let mut settings: Settings =
            toml::from_str(text).map_err(|source| MatrixFileError::Parse {
                path: path.into(),
                source,
            })?;
        let bad = |key: &str, why: String| MatrixFileError::Key {
            path: path.into(),
            key: key.to_string(),
            why,
        };
        let mut knobs = BTreeMap::new();
        for (key, value) in std::mem::take(&mut settings.rest) {
            let Some(param) = Param::from_name(&key).filter(|p| p.knob().is_some()) else {
                return Err(bad(&key, format!("unknown key (knobs: {})", knob_names())));
            };
            let list = value
                .as_array()
                .ok_or_else(|| bad(&key, "expected a list of whole numbers".into()))?;
            let values = list
                .iter()
                .map(|v| v.as_integer().and_then(|i| u64::try_from(i).ok()))
                .collect::<Option<Vec<u64>>>()
                .ok_or_else(|| bad(&key, "expected non-negative whole numbers".into()))?;
            knobs.insert(param, values);
        }
        Ok(MatrixFile { settings, knobs })
    }
}

fn knob_names() -> String {
    KNOBS
        .iter()
        .map(|k| k.param.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A matrix file that cannot be used.
#[derive(Debug, Error)]
pub enum MatrixFileError {
    /// Unreadable.
    #[error("cannot read matrix file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML for a matrix.
    #[error("invalid matrix file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What toml said (line, column, key).
        source: toml::de::Error,
    },
    /// A key that is not a setting or a knob, or a knob with a non-list value.
    #[error("invalid matrix file {path}: key `{key}`: {why}")]
    Key {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// What is wrong.
        why: String,
    },
}

/// Reads and parses a matrix file.
pub fn load(path: &Path) -> Result<MatrixFile, MatrixFileError> {
    let text = crate::store::read_regular(path).map_err(|source| MatrixFileError::Io {
        path: path.into(),
        source,
    })?;
    MatrixFile::parse(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_unknown_keys() {
        let p = Path::new("m.toml");
        let m = MatrixFile::parse("burst = [64]\npayload = [16]\nquick = true\n", p).unwrap();
        assert_eq!(m.knobs[&Param::Burst], vec![64]);
        assert_eq!(m.knobs[&Param::Payload], vec![16]);
        assert_eq!(m.settings.quick, Some(true));
        let e = MatrixFile::parse("brust = [64]", p).unwrap_err();
        assert!(e.to_string().contains("brust"), "{e}");
        assert!(e.to_string().contains("m.toml"), "{e}");
        let e = MatrixFile::parse("burst = \"x\"", p).unwrap_err();
        assert!(e.to_string().contains("burst"), "{e}");
        let e = MatrixFile::parse("rate = [1]", p).unwrap_err();
        assert!(e.to_string().contains("rate"), "{e}");
    }
}
