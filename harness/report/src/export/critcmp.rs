//! critcmp `--export` JSON of one side of a report.

use std::collections::BTreeMap;
use std::io;

use super::{ExportError, Exporter};
use crate::analysis::Summary;
use crate::interop::critcmp::{
    directory_name, CritcmpBenchmark, CritcmpExport, CritcmpInfo, CritcmpThroughput, Estimate,
    Estimates,
};
use crate::report::Report;

/// Which side of the report to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The base (reference/baseline) side.
    Base,
    /// The new (candidate) side.
    New,
}

/// critcmp export of one side, named `name` (critcmp shows it as the baseline column).
///
/// critcmp compares times, so `ns` metrics are exported as they are and per-second metrics as
/// nanoseconds per element (`1e9 / value`) with `throughput = {"Elements": 1}`, which makes
/// critcmp print the rate again. Other units (bytes, ratios) are skipped. Keys are
/// `<bench>/<metric>`; point estimates come from the run-level summary (critcmp shows the
/// mean). Standard errors are `sd / sqrt(n)`, CIs `mean +- 1.96 SE`.
#[derive(Debug, Clone)]
pub struct CritcmpExporter {
    /// Baseline name written into the file.
    pub name: String,
    /// Side exported.
    pub side: Side,
}

fn estimates(s: &Summary, per_sec: bool) -> Estimates {
    // Per-second values become ns per element; spread via the delta method.
    let conv = |v: f64| if per_sec { 1e9 / v } else { v };
    let scale_sd = |sd: f64, at: f64| if per_sec { sd * 1e9 / (at * at) } else { sd };
    let n = s.n.max(1) as f64;
    let mean = conv(s.mean);
    let sd = scale_sd(s.std_dev, s.mean);
    let se = sd / n.sqrt();
    let est = |point: f64, se: f64| Estimate::new(point, se, 0.95);
    Estimates {
        mean: est(mean, se),
        median: est(conv(s.median), se),
        median_abs_dev: est(scale_sd(s.mad, s.median), 0.0),
        slope: None,
        std_dev: est(sd, 0.0),
    }
}

impl Exporter for CritcmpExporter {
    fn extension(&self) -> &'static str {
        "json"
    }

    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError> {
        let mut benchmarks = BTreeMap::new();
        for row in &report.rows {
            let Some(metric) = &row.metric else { continue };
            let summary = match self.side {
                Side::Base => &row.base,
                Side::New => &row.new,
            };
            let Some(s) = summary else { continue };
            let per_sec = match metric.unit.as_str() {
                "ns" => false,
                "1/s" if s.mean > 0.0 && s.median > 0.0 => true,
                _ => continue,
            };
            let full_id = format!("{}/{}", row.bench, metric.name);
            let group = row.params.get("scenario").cloned().unwrap_or_default();
            let info = CritcmpInfo {
                group_id: group,
                function_id: Some(crate::export::row_label(&row.params)),
                value_str: Some(metric.name.clone()),
                throughput: per_sec.then_some(CritcmpThroughput {
                    bytes: None,
                    elements: Some(1),
                }),
                directory_name: directory_name(&full_id),
                full_id: full_id.clone(),
            };
            benchmarks.insert(
                full_id.clone(),
                CritcmpBenchmark {
                    baseline: self.name.clone(),
                    fullname: format!("{}/{}", self.name, full_id),
                    criterion_benchmark_v1: info,
                    criterion_estimates_v1: estimates(s, per_sec),
                },
            );
        }
        if benchmarks.is_empty() {
            return Err(ExportError::Empty {
                what: "critcmp".into(),
                why: "no row has ns or per-second values on this side".into(),
            });
        }
        let doc = CritcmpExport {
            name: self.name.clone(),
            benchmarks,
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
