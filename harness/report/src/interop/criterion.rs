//! Import of criterion's on-disk output (FIELD_NOTES section 3).

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::critcmp::Estimates;
use crate::analysis::{MetricKind, Series};

/// criterion's throughput declaration (externally tagged, as in `benchmark.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Throughput {
    /// Bytes per iteration (binary prefixes when displayed).
    Bytes(u64),
    /// Bytes per iteration (decimal prefixes when displayed).
    BytesDecimal(u64),
    /// Elements per iteration.
    Elements(u64),
    /// Bits per iteration.
    Bits(u64),
    /// Both elements and bytes per iteration.
    ElementsAndBytes {
        /// Elements per iteration.
        elements: u64,
        /// Bytes per iteration.
        bytes: u64,
    },
}

#[derive(Debug, Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    throughput: Option<Throughput>,
    full_id: String,
    directory_name: String,
}

#[derive(Debug, Deserialize)]
struct SampleJson {
    #[serde(default)]
    sampling_mode: Option<String>,
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// One imported benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ImportedBenchmark {
    /// criterion's `full_id` (`group/function/value`).
    pub id: String,
    /// Group id.
    pub group_id: String,
    /// Function id.
    pub function_id: Option<String>,
    /// Parameter value.
    pub value_str: Option<String>,
    /// Declared throughput.
    pub throughput: Option<Throughput>,
    /// criterion's directory name (relative to its group directory).
    pub directory_name: String,
    /// Directory of the baseline files, relative to the criterion root.
    pub path: String,
    /// `Linear` or `Flat` (empty when absent).
    pub sampling_mode: String,
    /// Per-sample time per iteration in ns (`times[i] / iters[i]`).
    pub ns_per_iter: Vec<f64>,
    /// criterion's estimates (ns per iteration).
    pub estimates: Estimates,
}

/// All benchmarks of one criterion baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ImportedBaseline {
    /// The criterion root that was read.
    pub root: PathBuf,
    /// Baseline directory name (`new`, `base`, or a saved name).
    pub baseline: String,
    /// Benchmarks sorted by id.
    pub benchmarks: Vec<ImportedBenchmark>,
}

/// Import failed.
#[derive(Debug, thiserror::Error)]
pub enum InteropError {
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A JSON file did not have the expected shape.
    #[error("{path}:{line}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Parser message.
        message: String,
    },
    /// `sample.json` is inconsistent.
    #[error("{path}: {message}")]
    BadSample {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No benchmark has the requested baseline.
    #[error("{root}: no benchmark has a `{baseline}` baseline (found: {found})")]
    NotFound {
        /// The criterion root.
        root: PathBuf,
        /// The requested baseline.
        baseline: String,
        /// Baselines that exist.
        found: String,
    },
}

/// criterion's root directory: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else
/// `target/criterion` (pure: the caller passes the environment values).
pub fn criterion_root(criterion_home: Option<&str>, cargo_target_dir: Option<&str>) -> PathBuf {
    match (criterion_home, cargo_target_dir) {
        (Some(h), _) if !h.is_empty() => PathBuf::from(h),
        (_, Some(t)) if !t.is_empty() => Path::new(t).join("criterion"),
        _ => PathBuf::from("target/criterion"),
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, InteropError> {
    let text = fs::read_to_string(path).map_err(|source| InteropError::Io {
        path: path.into(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| InteropError::Json {
        path: path.into(),
        line: e.line(),
        message: e.to_string(),
    })
}

/// Directories under `root` (sorted, recursive) that hold a criterion baseline, with the
/// baseline name (the directory's own name). Symlinks below `root` are not followed: a link
/// to `..` or to itself would import the same benchmarks again or never finish (criterion
/// never writes links; `root` itself may be one).
fn baseline_dirs(root: &Path) -> Result<Vec<PathBuf>, InteropError> {
    let mut out = Vec::new();
    let mut walk = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(|e| InteropError::Io {
            path: e.path().unwrap_or(root).to_path_buf(),
            source: e.into(),
        })?;
        if !entry.file_type().is_dir() || entry.depth() == 0 {
            continue;
        }
        let dir = entry.path();
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "report" || name == "change" {
            walk.skip_current_dir();
            continue;
        }
        if dir.join("estimates.json").is_file() && dir.join("benchmark.json").is_file() {
            out.push(dir.to_path_buf());
            walk.skip_current_dir();
        }
    }
    out.sort();
    Ok(out)
}

/// Names of the baselines present under `root` (`base`, `new`, saved names), sorted.
pub fn list_criterion_baselines(root: &Path) -> Result<Vec<String>, InteropError> {
    let mut names: Vec<String> = baseline_dirs(root)?
        .iter()
        .filter_map(|d| d.file_name().and_then(|n| n.to_str()).map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Import every benchmark of `baseline` under `root`.
pub fn import_criterion(root: &Path, baseline: &str) -> Result<ImportedBaseline, InteropError> {
    let dirs = baseline_dirs(root)?;
    let mut benchmarks = Vec::new();
    for dir in dirs
        .iter()
        .filter(|d| d.file_name().and_then(|n| n.to_str()) == Some(baseline))
    {
        benchmarks.push(import_one(root, dir)?);
    }
    if benchmarks.is_empty() {
        return Err(InteropError::NotFound {
            root: root.into(),
            baseline: baseline.into(),
            found: list_criterion_baselines(root)?.join(", "),
        });
    }
    benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(ImportedBaseline {
        root: root.into(),
        baseline: baseline.into(),
        benchmarks,
    })
}

fn import_one(root: &Path, dir: &Path) -> Result<ImportedBenchmark, InteropError> {
    let info: BenchmarkJson = read_json(&dir.join("benchmark.json"))?;
    let estimates: Estimates = read_json(&dir.join("estimates.json"))?;
    let sample_path = dir.join("sample.json");
    let ns_per_iter = if sample_path.is_file() {
        let sample: SampleJson = read_json(&sample_path)?;
        if sample.iters.len() != sample.times.len() {
            return Err(InteropError::BadSample {
                path: sample_path,
                message: format!(
                    "{} iters but {} times",
                    sample.iters.len(),
                    sample.times.len()
                ),
            });
        }
        if let Some(i) = sample.iters.iter().position(|n| n.is_nan() || *n <= 0.0) {
            return Err(InteropError::BadSample {
                path: sample_path,
                message: format!("iters[{i}] is not a positive count"),
            });
        }
        let values = sample
            .times
            .iter()
            .zip(&sample.iters)
            .map(|(t, n)| t / n)
            .collect();
        (sample.sampling_mode.unwrap_or_default(), values)
    } else {
        (String::new(), Vec::new())
    };
    Ok(ImportedBenchmark {
        id: info.full_id,
        group_id: info.group_id,
        function_id: info.function_id,
        value_str: info.value_str,
        throughput: info.throughput,
        directory_name: info.directory_name,
        path: dir
            .strip_prefix(root)
            .unwrap_or(dir)
            .to_string_lossy()
            .into_owned(),
        sampling_mode: ns_per_iter.0,
        ns_per_iter: ns_per_iter.1,
        estimates,
    })
}

impl ImportedBaseline {
    /// Series of `ns_per_iter` (one per benchmark with samples): scenario = group id,
    /// contender = function id (or empty), params `value` = value string, run =
    /// `criterion:<baseline>`, not interleaved (see the module caveat).
    pub fn to_series(&self) -> Vec<Series> {
        self.benchmarks
            .iter()
            .filter(|b| !b.ns_per_iter.is_empty())
            .map(|b| Series {
                run: format!("criterion:{}", self.baseline),
                scenario: b.group_id.clone(),
                contender: b.function_id.clone().unwrap_or_default(),
                features: Default::default(),
                params: b
                    .value_str
                    .iter()
                    .map(|v| ("value".to_string(), v.clone()))
                    .collect(),
                metric: MetricKind::NsPerIter.metric(),
                values: b.ns_per_iter.clone(),
                interleaved: false,
            })
            .collect()
    }
}
