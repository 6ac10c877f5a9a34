//! CSV: one row per (gate, cell), canonical units, empty fields for missing values.

use std::io;

use super::{ExportError, Exporter};
use crate::report::Report;

/// CSV with a header row. Columns: `gate, kind, threshold_pct, cell, metric, unit, direction,
/// paired, base_n, base_median, new_n, new_median, delta_pct, ci_lo_pct, ci_hi_pct, test,
/// p_value, q_value, noise_floor_pct, mde_pct, verdict, reason, rule, limit_pct, rounds, why`
/// (the last four were appended later; earlier columns keep their positions).
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvExporter;

const HEADER: [&str; 26] = [
    "gate",
    "kind",
    "threshold_pct",
    "cell",
    "metric",
    "unit",
    "direction",
    "paired",
    "base_n",
    "base_median",
    "new_n",
    "new_median",
    "delta_pct",
    "ci_lo_pct",
    "ci_hi_pct",
    "test",
    "p_value",
    "q_value",
    "noise_floor_pct",
    "mde_pct",
    "verdict",
    "reason",
    "rule",
    "limit_pct",
    "rounds",
    "why",
];

fn opt(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn json_word<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Exporter for CsvExporter {
    fn extension(&self) -> &'static str {
        "csv"
    }

    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError> {
        let mut w = ::csv::Writer::from_writer(out);
        let err = |e: ::csv::Error| ExportError::Csv(e.to_string());
        w.write_record(HEADER).map_err(err)?;
        for r in &report.rows {
            let m = r.metric.as_ref();
            let record: [String; 26] = [
                r.gate_id.clone(),
                json_word(&r.gate_kind),
                r.threshold_pct.to_string(),
                r.cell.clone(),
                m.map(|m| m.name.clone()).unwrap_or_default(),
                m.map(|m| m.unit.clone()).unwrap_or_default(),
                m.map(|m| json_word(&m.direction)).unwrap_or_default(),
                r.paired.to_string(),
                r.base.as_ref().map(|s| s.n.to_string()).unwrap_or_default(),
                opt(r.base.as_ref().map(|s| s.median)),
                r.new.as_ref().map(|s| s.n.to_string()).unwrap_or_default(),
                opt(r.new.as_ref().map(|s| s.median)),
                opt(r.delta_pct),
                opt(r.ci_pct.map(|c| c.lo)),
                opt(r.ci_pct.map(|c| c.hi)),
                r.test.map(|t| json_word(&t)).unwrap_or_default(),
                opt(r.p_value),
                opt(r.q_value),
                opt(r.noise_floor_pct),
                opt(r.mde_pct),
                r.verdict.as_str().into(),
                r.reason.clone(),
                r.rule.clone(),
                r.limit_pct.to_string(),
                r.rounds.map(|n| n.to_string()).unwrap_or_default(),
                r.why.clone(),
            ];
            w.write_record(&record).map_err(err)?;
        }
        w.flush()?;
        Ok(())
    }
}

/// Columns of [`cells_csv`].
pub const CELL_HEADER: [&str; 14] = [
    "cell",
    "scenario",
    "build",
    "params",
    "metric",
    "unit",
    "direction",
    "rounds",
    "median",
    "mean",
    "min",
    "max",
    "cv_pct",
    "mad",
];

/// CSV of measured values, one row per (cell, metric): what a baseline holds, with no
/// comparison (so no verdict columns). `rounds` counts the values summarized (process runs;
/// criterion samples for imports); `cv_pct` is the coefficient of variation in percent.
pub fn cells_csv(
    series: &[crate::analysis::Series],
    out: &mut dyn io::Write,
) -> Result<(), ExportError> {
    let mut w = ::csv::Writer::from_writer(out);
    let err = |e: ::csv::Error| ExportError::Csv(e.to_string());
    w.write_record(CELL_HEADER).map_err(err)?;
    for s in series {
        let Some(sum) = crate::analysis::summarize(&s.values) else {
            continue;
        };
        let record: [String; 14] = [
            format!("{}/{}/{}", s.scenario, s.build_id(), s.params_id()),
            s.scenario.clone(),
            s.build_id(),
            s.params_id(),
            s.metric.name.clone(),
            s.metric.unit.clone(),
            json_word(&s.metric.direction),
            sum.n.to_string(),
            opt(Some(sum.median)),
            opt(Some(sum.mean)),
            opt(Some(sum.min)),
            opt(Some(sum.max)),
            opt(sum.cv.map(|c| c * 100.0)),
            opt(Some(sum.mad)),
        ];
        w.write_record(record).map_err(err)?;
    }
    w.flush()?;
    Ok(())
}
