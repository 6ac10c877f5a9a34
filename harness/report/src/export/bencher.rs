//! Bencher Metric Format (BMF) JSON of the new side.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;

use super::{ExportError, Exporter};
use crate::report::Report;

/// BMF JSON: `{ "<bench>": { "<measure>": { "value", "lower_value", "upper_value" } } }`.
///
/// The benchmark name is the cell id without the metric; the measure slug is the metric name
/// in kebab case (`deliveries-per-sec`, `p95-ns`); `value` is the new side's median and
/// `lower_value`/`upper_value` its min and max across rounds, in canonical units. Rows
/// without new data are skipped; a cell appearing under several gates is written once.
#[derive(Debug, Clone, Copy, Default)]
pub struct BencherExporter;

#[derive(Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
struct BmfValue {
    value: f64,
    lower_value: f64,
    upper_value: f64,
}

impl Exporter for BencherExporter {
    fn extension(&self) -> &'static str {
        "json"
    }

    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError> {
        let mut doc: BTreeMap<String, BTreeMap<String, BmfValue>> = BTreeMap::new();
        for row in &report.rows {
            let (Some(metric), Some(new)) = (&row.metric, &row.new) else {
                continue;
            };
            doc.entry(row.bench.clone()).or_default().insert(
                metric.name.replace('_', "-"),
                BmfValue {
                    value: new.median,
                    lower_value: new.min,
                    upper_value: new.max,
                },
            );
        }
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
