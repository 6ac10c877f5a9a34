//! critcmp's export format (`critcmp --export NAME`), as documented in FIELD_NOTES section 4.

use std::collections::BTreeMap;
use std::io;

use serde::{Deserialize, Serialize};

use super::criterion::{ImportedBaseline, Throughput};

/// A whole export file: `{"name": NAME, "benchmarks": {full_id: ...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CritcmpExport {
    /// Baseline name.
    pub name: String,
    /// Benchmarks by full id.
    pub benchmarks: BTreeMap<String, CritcmpBenchmark>,
}

/// One benchmark of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CritcmpBenchmark {
    /// Baseline name (same as the file's `name`).
    pub baseline: String,
    /// `NAME/full_id`.
    pub fullname: String,
    /// criterion's `benchmark.json` subset.
    pub criterion_benchmark_v1: CritcmpInfo,
    /// criterion's `estimates.json`.
    pub criterion_estimates_v1: Estimates,
}

/// The `criterion_benchmark_v1` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CritcmpInfo {
    /// Group id.
    pub group_id: String,
    /// Function id.
    pub function_id: Option<String>,
    /// Parameter value.
    pub value_str: Option<String>,
    /// Throughput (critcmp knows only bytes and elements).
    pub throughput: Option<CritcmpThroughput>,
    /// Full id.
    pub full_id: String,
    /// Directory name.
    pub directory_name: String,
}

/// `{"Bytes": n|null, "Elements": n|null}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "PascalCase")]
pub struct CritcmpThroughput {
    /// Bytes per iteration.
    pub bytes: Option<u64>,
    /// Elements per iteration.
    pub elements: Option<u64>,
}

/// criterion's `estimates.json` (ns per iteration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Estimates {
    /// Mean.
    pub mean: Estimate,
    /// Median.
    pub median: Estimate,
    /// Median absolute deviation.
    pub median_abs_dev: Estimate,
    /// Linear-regression slope (absent for flat sampling).
    pub slope: Option<Estimate>,
    /// Standard deviation.
    pub std_dev: Estimate,
}

/// One estimate with its confidence interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Estimate {
    /// The CI.
    pub confidence_interval: ConfidenceInterval,
    /// Point estimate.
    pub point_estimate: f64,
    /// Standard error.
    pub standard_error: f64,
}

impl Estimate {
    /// A point estimate with a normal CI of `point +- z * se` at `level`.
    pub fn new(point: f64, se: f64, level: f64) -> Estimate {
        let z = crate::analysis::normal_quantile(0.5 + level / 2.0).unwrap_or(1.96);
        Estimate {
            confidence_interval: ConfidenceInterval {
                confidence_level: level,
                lower_bound: point - z * se,
                upper_bound: point + z * se,
            },
            point_estimate: point,
            standard_error: se,
        }
    }
}

/// A confidence interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ConfidenceInterval {
    /// e.g. 0.95.
    pub confidence_level: f64,
    /// Lower bound.
    pub lower_bound: f64,
    /// Upper bound.
    pub upper_bound: f64,
}

/// criterion's filename-safe directory name: `? " / \ * < > : | ^` become `_`, cut to 64 bytes
/// on a char boundary.
pub fn directory_name(id: &str) -> String {
    let mut s: String = id
        .chars()
        .map(|c| match c {
            '?' | '"' | '/' | '\\' | '*' | '<' | '>' | ':' | '|' | '^' => '_',
            c => c,
        })
        .collect();
    if s.len() > 64 {
        let mut cut = 64;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

impl ImportedBaseline {
    /// Convert to critcmp's export model under baseline name `name`. Throughputs critcmp does
    /// not know are mapped: `BytesDecimal` -> `Bytes`, `ElementsAndBytes` -> `Elements`,
    /// `Bits` -> dropped.
    pub fn to_critcmp(&self, name: &str) -> CritcmpExport {
        let benchmarks = self
            .benchmarks
            .iter()
            .map(|b| {
                let throughput = b.throughput.as_ref().and_then(|t| match t {
                    Throughput::Bytes(n) | Throughput::BytesDecimal(n) => Some(CritcmpThroughput {
                        bytes: Some(*n),
                        elements: None,
                    }),
                    Throughput::Elements(n) => Some(CritcmpThroughput {
                        bytes: None,
                        elements: Some(*n),
                    }),
                    Throughput::ElementsAndBytes { elements, .. } => Some(CritcmpThroughput {
                        bytes: None,
                        elements: Some(*elements),
                    }),
                    Throughput::Bits(_) => None,
                });
                let bench = CritcmpBenchmark {
                    baseline: name.into(),
                    fullname: format!("{name}/{}", b.id),
                    criterion_benchmark_v1: CritcmpInfo {
                        group_id: b.group_id.clone(),
                        function_id: b.function_id.clone(),
                        value_str: b.value_str.clone(),
                        throughput,
                        full_id: b.id.clone(),
                        directory_name: b.directory_name.clone(),
                    },
                    criterion_estimates_v1: b.estimates.clone(),
                };
                (b.id.clone(), bench)
            })
            .collect();
        CritcmpExport {
            name: name.into(),
            benchmarks,
        }
    }
}

/// Write an imported criterion baseline in critcmp's export format (pretty JSON + newline).
pub fn write_critcmp(
    baseline: &ImportedBaseline,
    name: &str,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &baseline.to_critcmp(name))?;
    out.write_all(b"\n")
}
