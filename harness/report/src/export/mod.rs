//! One exporter per format. Every exporter implements [`Exporter`], reads a finished
//! [`Report`] and writes to the `io::Write` it is given; none chooses where output goes and
//! none re-derives a verdict.
//!
//! | exporter | format |
//! |---|---|
//! | [`MarkdownExporter`] | the seed 002 "MOG Results" NOTES block + a full GitHub table |
//! | [`JsonExporter`] | the [`Report`] itself (`ron-bench/report/v1`) |
//! | [`CsvExporter`] | one row per (gate, cell) |
//! | [`cells_csv`] | one row per (cell, metric) of measured values (a baseline, no verdicts) |
//! | [`BencherExporter`] | Bencher Metric Format JSON (new side) |
//! | [`CritcmpExporter`] | critcmp `--export` JSON (one side) |
//! | [`ChangeChart`], [`ScalingChart`], [`HeatmapChart`] | SVG or PNG via plotters |
//! | [`HistoryChart`] | a metric across runs with change points (reads a [`History`], not a report) |

mod bencher;
mod chart;
mod critcmp;
mod csv;
mod history;
mod json;
mod markdown;
mod terminal;

use std::io;

use crate::report::Report;

pub use self::bencher::BencherExporter;
pub use self::chart::{ChangeChart, ChartFormat, HeatValue, HeatmapChart, ScalingChart, SymLog};
pub use self::critcmp::{CritcmpExporter, Side};
pub use self::csv::{cells_csv, CsvExporter, CELL_HEADER};
pub use self::history::{History, HistoryChart, HistoryLine};
pub use self::json::JsonExporter;
pub use self::markdown::{MarkdownExporter, MarkdownStyle};
pub use self::terminal::{cell_words, TerminalTable, MIN_WIDTH};

/// An export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing failed.
    #[error("writing the export failed: {0}")]
    Io(#[from] io::Error),
    /// JSON serialization failed.
    #[error("JSON serialization failed: {0}")]
    Json(#[from] serde_json::Error),
    /// CSV serialization failed.
    #[error("CSV serialization failed: {0}")]
    Csv(String),
    /// Chart rendering failed (message from plotters or the PNG encoder).
    #[error("chart `{chart}` failed: {message}")]
    Chart {
        /// Which chart.
        chart: String,
        /// What went wrong.
        message: String,
    },
    /// The report has nothing this exporter can draw or write.
    #[error("nothing to export for {what}: {why}")]
    Empty {
        /// Which export.
        what: String,
        /// Why it is empty.
        why: String,
    },
}

/// A report exporter.
pub trait Exporter {
    /// Conventional file extension (without the dot), e.g. `md`, `json`, `svg`.
    fn extension(&self) -> &'static str;
    /// Write `report` to `out`.
    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError>;
}

/// Human rendering of a value in its canonical unit (`ns`, `1/s`, `bytes`, ...), scaled for
/// reading (`1.23 µs`, `12.35 M/s`, `1.5 MiB`). Machine formats never use this.
pub fn human(value: f64, unit: &str) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    let a = value.abs();
    match unit {
        "ns" => {
            if a < 1e3 {
                format!("{value:.1} ns")
            } else if a < 1e6 {
                format!("{:.2} µs", value / 1e3)
            } else if a < 1e9 {
                format!("{:.2} ms", value / 1e6)
            } else {
                format!("{:.2} s", value / 1e9)
            }
        }
        "1/s" => {
            if a < 1e3 {
                format!("{value:.1} /s")
            } else if a < 1e6 {
                format!("{:.2} k/s", value / 1e3)
            } else if a < 1e9 {
                format!("{:.2} M/s", value / 1e6)
            } else {
                format!("{:.2} G/s", value / 1e9)
            }
        }
        "bytes" => {
            const K: f64 = 1024.0;
            if a < K {
                format!("{value:.0} B")
            } else if a < K * K {
                format!("{:.1} KiB", value / K)
            } else if a < K * K * K {
                format!("{:.1} MiB", value / (K * K))
            } else {
                format!("{:.2} GiB", value / (K * K * K))
            }
        }
        // Instruction counts per message: hundredths are below any gate's resolution.
        "instr" => format!("{value:.2} instr"),
        "" => format!("{value:.4}"),
        u => format!("{value:.4} {u}"),
    }
}

/// `+1.2%` / `-3.4%` / `n/a`.
pub fn pct(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:+.1}%"),
        _ => "n/a".into(),
    }
}

/// Label of a cell for humans: scenario, contender/features and the params.
pub fn row_label(params: &std::collections::BTreeMap<String, String>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(s) = params.get("scenario") {
        parts.push(s.clone());
    }
    let mut who = params.get("contender").cloned().unwrap_or_default();
    if let Some(f) = params.get("features").filter(|f| !f.is_empty()) {
        who.push('+');
        who.push_str(&f.replace(',', "+"));
    }
    if !who.is_empty() {
        parts.push(who);
    }
    for (k, v) in crate::analysis::ordered_params(params) {
        if !matches!(k, "scenario" | "contender" | "features" | "reference") {
            parts.push(format!("{k}={v}"));
        }
    }
    parts.join(" ")
}

/// One line per check, for summaries: `R-fanout-deliveries -6.6% (limit -5%) regressed`
/// (`n/a` when nothing was compared). Every part is read from the row.
pub fn summary_line(row: &crate::report::Row) -> String {
    format!(
        "{} {} (limit {}) {}",
        row.gate_id,
        pct(row.delta_pct),
        crate::analysis::fmt_signed_pct(row.limit_pct),
        row.verdict.as_str()
    )
}

/// What was computed, in one paragraph (the footer of the terminal and Markdown tables):
/// which change statistic (median of per-round ratios for paired checks, ratio of medians
/// for unpaired ones), CI, rank test, correction, MDE.
pub fn statistics(r: &Report) -> String {
    let compared = |paired: bool| {
        r.rows
            .iter()
            .filter(|x| x.delta_pct.is_some() && x.paired == paired && !x.exact)
            .count()
    };
    let (paired, unpaired) = (compared(true), compared(false));
    let exact = r.rows.iter().filter(|x| x.exact).count();
    let a = &r.meta.analysis;
    let mut parts: Vec<String> = Vec::new();
    if paired > 0 {
        parts.push(format!(
            "{paired} paired check(s): change = median of the per-round ratios new_i/base_i, \
             Wilcoxon signed-rank on their logs, MDE from 1.4826 x MAD of the log ratios"
        ));
    }
    if unpaired > 0 {
        parts.push(format!(
            "{unpaired} unpaired check(s): change = median(new)/median(base), Mann-Whitney U, \
             MDE from the pooled CV"
        ));
    }
    if exact > 0 {
        parts.push(format!(
            "{exact} exact check(s): a deterministic count with the same ratio in every round \
             (no test needed)"
        ));
    }
    if parts.is_empty() {
        parts.push("no check had data on both sides".into());
    }
    let family: std::collections::BTreeSet<&str> = r
        .rows
        .iter()
        .filter(|x| x.p_value.is_some() && !x.exact)
        .map(|x| x.cell.as_str())
        .collect();
    format!(
        "Statistics: {}. CI: {:.0}% percentile bootstrap of the same statistic ({} resamples, \
         seed {}); p two-sided, q adjusted across {} cells ({}) at alpha {}; MDE at power {}; \
         n = rounds per side.",
        parts.join("; "),
        a.compare.confidence * 100.0,
        a.compare.resamples,
        a.seed,
        family.len(),
        a.correction.label(),
        a.gate.alpha,
        a.compare.power,
    )
}
