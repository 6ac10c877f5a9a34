//! Markdown: the seed 002 "MOG Results" NOTES block, reproduced line for line, followed by a
//! full GitHub table of every check and a statistics footer. Byte-stable for the same report.
//!
//! [`MarkdownStyle::PrComment`] is the body of the PR gate's comment: a one-line summary
//! (`R-fanout-deliveries -6.6% (limit -5%) regressed`), the same NOTES block, and the full
//! table folded in `<details>` (no heading below the NOTES `##`, so heading levels stay in
//! order under the comment's own `##` title).

use std::io;

use tabled::settings::Style;
use tabled::{Table, Tabled};

use super::{human, pct, row_label, statistics, summary_line, ExportError, Exporter};
use crate::analysis::{fmt_p, Verdict};
use crate::report::{Report, Row};

/// What the Markdown is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MarkdownStyle {
    /// The NOTES block, then `### All checks` and the statistics footer (`notes.md`).
    #[default]
    Notes,
    /// A PR comment: a one-line summary, the NOTES block, the full table in `<details>`.
    PrComment,
}

/// The NOTES-ready Markdown exporter.
#[derive(Debug, Clone, Copy)]
pub struct MarkdownExporter {
    /// How many rows go under "Top deltas (wins/losses)" (failing rows first, then by size).
    pub top: usize,
    /// Append the full table and statistics footer after the NOTES block.
    pub full_table: bool,
    /// NOTES file or PR comment.
    pub style: MarkdownStyle,
}

impl Default for MarkdownExporter {
    fn default() -> Self {
        MarkdownExporter {
            top: 5,
            full_table: true,
            style: MarkdownStyle::Notes,
        }
    }
}

impl MarkdownExporter {
    /// The PR comment body ([`MarkdownStyle::PrComment`]).
    pub fn pr_comment() -> Self {
        MarkdownExporter {
            style: MarkdownStyle::PrComment,
            ..MarkdownExporter::default()
        }
    }
}

impl Exporter for MarkdownExporter {
    fn extension(&self) -> &'static str {
        "md"
    }

    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError> {
        let mut s = String::new();
        if self.style == MarkdownStyle::PrComment {
            s.push_str(&one_line_summary(report));
            s.push_str("\n\n");
        }
        notes_block(report, self.top, &mut s);
        if let Some(a) = &report.amdahl {
            s.push_str(&crate::tracker::markdown(a));
        }
        if self.full_table {
            s.push('\n');
            match self.style {
                MarkdownStyle::Notes => {
                    s.push_str("### All checks\n\n");
                    full_table(report, &mut s);
                }
                MarkdownStyle::PrComment => {
                    s.push_str(&format!(
                        "<details><summary>All {} checks: rule, change with CI, q, MDE, rounds, \
                         verdict and reason</summary>\n\n",
                        report.rows.len()
                    ));
                    full_table(report, &mut s);
                    s.push_str("\n</details>\n");
                }
            }
        }
        out.write_all(s.as_bytes())?;
        Ok(())
    }
}

/// Failing checks shown by name in the one-line summary; the rest are counted.
const SUMMARY_NAMED: usize = 3;

/// `**FAIL**: R-fanout-deliveries -6.6% (limit -5%) regressed` (each failing check, up to
/// three), else `**PASS**: 12 checks: 10 pass, 2 inconclusive (undecided: T-lag, T-fanout)`.
fn one_line_summary(r: &Report) -> String {
    let failing: Vec<&Row> = r
        .rows
        .iter()
        .filter(|x| x.verdict.is_failure(r.outcome.strict))
        .collect();
    if !failing.is_empty() {
        let mut named: Vec<String> = failing
            .iter()
            .take(SUMMARY_NAMED)
            .map(|x| format!("`{}`", summary_line(x)))
            .collect();
        if failing.len() > SUMMARY_NAMED {
            named.push(format!("and {} more", failing.len() - SUMMARY_NAMED));
        }
        return format!("**FAIL**: {}", named.join(", "));
    }
    let c = &r.outcome.counts;
    let mut parts = vec![format!("{} pass", c.pass)];
    for (n, what) in [
        (c.improved, "improved"),
        (c.inconclusive, "inconclusive"),
        (c.missing, "missing"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let undecided: Vec<&str> = r
        .rows
        .iter()
        .filter(|x| matches!(x.verdict, Verdict::Inconclusive | Verdict::Missing))
        .map(|x| x.gate_id.as_str())
        .collect();
    let named = match undecided.len() {
        0 => String::new(),
        n if n <= SUMMARY_NAMED => format!(" (undecided: {})", undecided.join(", ")),
        n => format!(
            " (undecided: {} and {} more)",
            undecided[..SUMMARY_NAMED].join(", "),
            n - SUMMARY_NAMED
        ),
    };
    format!(
        "**PASS**: {} checks: {}{named}",
        r.rows.len(),
        parts.join(", ")
    )
}

fn notes_block(r: &Report, top: usize, s: &mut String) {
    let m = &r.meta;
    s.push_str(&format!(
        "## MOG Results — ron-kernel / {} — {}\n\n",
        m.label, m.date
    ));
    s.push_str(&format!("Baseline: {}\n", m.baseline));
    let features = if m.features_on.is_empty() {
        "none".to_string()
    } else {
        m.features_on.join(", ")
    };
    s.push_str(&format!("Features ON: {features}\n\n"));

    top_deltas_lines(r, top, s);

    counter_lines(r, s);

    s.push_str("\nNotes & risks:\n");
    for line in notes(r) {
        s.push_str(&format!("- {line}\n"));
    }
    s.push_str(&format!("Decision: {}\n", r.decision.as_str()));
}

/// "Top deltas (wins/losses)": the `top` largest changes, labels aligned.
fn top_deltas_lines(r: &Report, top: usize, s: &mut String) {
    s.push_str("Top deltas (wins/losses):\n");
    let tops = top_deltas(&r.rows, top);
    if tops.is_empty() {
        s.push_str("- none measured\n");
    }
    let labels: Vec<String> = tops
        .iter()
        .map(|row| {
            let metric = row.metric.as_ref().map(|m| m.name.as_str()).unwrap_or("");
            format!("{} {metric}:", row_label(&row.params))
        })
        .collect();
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    for (row, label) in tops.iter().zip(&labels) {
        let unit = row.metric.as_ref().map(|m| m.unit.as_str()).unwrap_or("");
        let old = row
            .base
            .as_ref()
            .map(|b| human(b.median, unit))
            .unwrap_or_default();
        let new = row
            .new
            .as_ref()
            .map(|n| human(n.median, unit))
            .unwrap_or_default();
        let pad = width - label.chars().count() + 1;
        s.push_str(&format!(
            "- {label}{:pad$}{old} → {new}  ({})\n",
            "",
            pct(row.delta_pct)
        ));
    }
}

/// "Wake metrics" and "Counters sanity".
fn counter_lines(r: &Report, s: &mut String) {
    s.push_str("\nWake metrics:\n");
    match &r.wake {
        Some(w) => {
            let (x, y) = (w.notify_sends_delta, w.notify_suppressed_delta);
            let z = w
                .suppression_pct()
                .map(|z| format!("{z:.1}%"))
                .unwrap_or_else(|| "n/a".into());
            s.push_str(&format!("- bus_notify_sends_total:       {x:+}\n"));
            s.push_str(&format!(
                "- bus_notify_suppressed_total:  {y:+} (suppression = {y}/({x}+{y}) = {z})\n"
            ));
        }
        None => {
            s.push_str("- bus_notify_sends_total:       n/a\n");
            s.push_str("- bus_notify_suppressed_total:  n/a (suppression = n/a)\n");
        }
    }

    s.push_str("\nCounters sanity:\n");
    let c = r.counters.unwrap_or_default();
    let lag = match (c.lag_total_base, c.lag_total_new) {
        (Some(b), Some(n)) if n == b => "flat".to_string(),
        (Some(b), Some(n)) if n < b => format!("improved ({b} → {n})"),
        (Some(b), Some(n)) => format!("worse ({b} → {n})"),
        _ => "n/a".to_string(),
    };
    s.push_str(&format!("- bus_receiver_lag_total: {lag}\n"));
    let opt_num = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_else(|| "n/a".into());
    let batch = c
        .batch_publish_delta
        .map(|n| format!("{n:+}"))
        .unwrap_or_else(|| "n/a".into());
    s.push_str(&format!(
        "- bus_batch_publish_total: {batch}; batch_len p50/p95: {}/{}\n",
        opt_num(c.batch_len_p50),
        opt_num(c.batch_len_p95)
    ));
}

/// Failing rows first, then the largest |delta|; one row per cell.
fn top_deltas(rows: &[Row], top: usize) -> Vec<&Row> {
    let mut with: Vec<&Row> = rows
        .iter()
        .filter(|r| r.delta_pct.is_some_and(f64::is_finite))
        .collect();
    with.sort_by(|a, b| {
        let fa = matches!(a.verdict, Verdict::Regressed | Verdict::Failed);
        let fb = matches!(b.verdict, Verdict::Regressed | Verdict::Failed);
        fb.cmp(&fa)
            .then(abs(b).total_cmp(&abs(a)))
            .then(a.cell.cmp(&b.cell))
    });
    let mut seen = std::collections::BTreeSet::new();
    with.into_iter()
        .filter(|r| seen.insert(r.cell.clone()))
        .take(top)
        .collect()
}

fn abs(r: &Row) -> f64 {
    r.delta_pct.unwrap_or(0.0).abs()
}

fn notes(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r.meta.notes.clone();
    if r.meta.cross_machine {
        out.push(format!(
            "baseline was measured on another machine ({}): deltas may reflect hardware, not code",
            r.meta.machine
        ));
    }
    for row in &r.rows {
        if matches!(row.verdict, Verdict::Regressed | Verdict::Failed) {
            out.push(format!(
                "{} {}: {} — {}",
                row.gate_id,
                row.verdict.as_str(),
                row_label(&row.params),
                row.reason
            ));
        }
    }
    let c = &r.outcome.counts;
    if c.inconclusive + c.missing > 0 {
        out.push(format!(
            "{} inconclusive and {} missing check(s){}: see the table",
            c.inconclusive,
            c.missing,
            if r.outcome.strict {
                " (strict: counted as failures)"
            } else {
                ""
            }
        ));
    }
    if out.is_empty() {
        out.push("none".into());
    }
    out
}

#[derive(Tabled)]
struct TableRow {
    #[tabled(rename = "gate")]
    gate: String,
    #[tabled(rename = "cell")]
    cell: String,
    #[tabled(rename = "metric")]
    metric: String,
    #[tabled(rename = "rule")]
    rule: String,
    #[tabled(rename = "base")]
    base: String,
    #[tabled(rename = "new")]
    new: String,
    #[tabled(rename = "Δ%")]
    delta: String,
    #[tabled(rename = "CI")]
    ci: String,
    #[tabled(rename = "p / q")]
    pq: String,
    #[tabled(rename = "noise (CV / MDE)")]
    noise: String,
    #[tabled(rename = "n")]
    rounds: String,
    #[tabled(rename = "verdict")]
    verdict: String,
    #[tabled(rename = "reason")]
    reason: String,
}

fn esc(s: &str) -> String {
    s.replace('|', "\\|")
}

/// One row of the full Markdown table.
fn table_row(row: &crate::report::Row) -> TableRow {
    let unit = row.metric.as_ref().map(|m| m.unit.as_str()).unwrap_or("");
    let side = |x: &Option<crate::analysis::Summary>| {
        x.as_ref()
            .map(|x| human(x.median, unit))
            .unwrap_or_else(|| "—".into())
    };
    let opt_p = |p: Option<f64>| p.map(fmt_p).unwrap_or_else(|| "n/a".into());
    let label = match row.params.get("reference") {
        _ if row.cell.is_empty() => "(no matching cell)".to_string(),
        Some(r) if r != "baseline" => format!("{} vs {r}", row_label(&row.params)),
        _ => row_label(&row.params),
    };
    let rounds = match (&row.base, &row.new) {
        (Some(b), Some(n)) if b.n != n.n => format!("{}/{}", b.n, n.n),
        (Some(b), None) => b.n.to_string(),
        (None, Some(n)) => n.n.to_string(),
        _ => row.rounds.map_or_else(|| "—".into(), |n| n.to_string()),
    };
    TableRow {
        gate: esc(&row.gate_id),
        cell: esc(&label),
        metric: row
            .metric
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        rule: esc(&row.rule),
        base: side(&row.base),
        new: side(&row.new),
        delta: pct(row.delta_pct),
        ci: row
            .ci_pct
            .map(|c| format!("{:+.1}..{:+.1}", c.lo, c.hi))
            .unwrap_or_else(|| "n/a".into()),
        pq: if row.exact {
            "exact".into()
        } else {
            format!("{} / {}", opt_p(row.p_value), opt_p(row.q_value))
        },
        noise: format!(
            "{} / {}",
            row.noise_floor_pct
                .map(|v| format!("{v:.1}%"))
                .unwrap_or_else(|| "n/a".into()),
            row.mde_pct
                .map(|v| format!("{v:.1}%"))
                .unwrap_or_else(|| "n/a".into())
        ),
        rounds,
        verdict: row.verdict.as_str().to_string(),
        reason: esc(if row.why.is_empty() {
            &row.reason
        } else {
            &row.why
        }),
    }
}

fn full_table(r: &Report, s: &mut String) {
    let rows: Vec<TableRow> = r.rows.iter().map(table_row).collect();
    let mut table = Table::new(rows);
    table.with(Style::markdown());
    s.push_str(&table.to_string());
    s.push_str("\n\n");
    s.push_str(&statistics(r));
    s.push_str(&format!(
        " Policy: {}. Outcome: {} (exit code {}{}).\n",
        r.meta.policy,
        if r.outcome.passed { "pass" } else { "FAIL" },
        r.outcome.exit_code,
        if r.outcome.strict { ", strict" } else { "" }
    ));
    s.push_str(&format!("Machine: {}\n", r.meta.machine));
    if let Some(reason) = r.rows.iter().find(|r| r.verdict == Verdict::Regressed) {
        s.push_str(&format!(
            "\nFirst regression: {} — {}\n",
            reason.gate_id, reason.reason
        ));
    }
}
