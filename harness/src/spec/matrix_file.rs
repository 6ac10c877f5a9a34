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
//! features = ["none", "bus_batch"]
//! rounds = 5
//! quick = true
//! ```

use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The file's contents (unknown keys are rejected so a typo cannot silently do nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixFile {
    /// Scenario names.
    pub scenarios: Option<Vec<String>>,
    /// Contender names.
    pub contenders: Option<Vec<String>>,
    /// Burst sizes.
    pub burst: Option<Vec<u64>>,
    /// Fanouts.
    pub fanout: Option<Vec<u64>>,
    /// Capacities.
    pub cap: Option<Vec<u64>>,
    /// 0/1 publisher-yield settings.
    pub pub_yield: Option<Vec<u64>>,
    /// TLS flush thresholds.
    pub tls_thresh: Option<Vec<u64>>,
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
}

/// Reads and parses a matrix file.
pub fn load(path: &Path) -> Result<MatrixFile, MatrixFileError> {
    let text = crate::store::read_regular(path).map_err(|source| MatrixFileError::Io {
        path: path.into(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| MatrixFileError::Parse {
        path: path.into(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_unknown_keys() {
        let m: MatrixFile = toml::from_str("burst = [64]\nquick = true\n").unwrap();
        assert_eq!(m.burst, Some(vec![64]));
        assert_eq!(m.quick, Some(true));
        let e = toml::from_str::<MatrixFile>("brust = [64]").unwrap_err();
        assert!(e.to_string().contains("brust"), "{e}");
        let e = toml::from_str::<MatrixFile>("burst = \"x\"").unwrap_err();
        assert!(e.to_string().contains("burst"), "{e}");
    }
}
