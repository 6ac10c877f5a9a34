//! The terminal verdict table: one line of numbers per check, then the cell, its two
//! medians and the reason on the line below it, laid out by `tabled` to fit a given width. Every column is read
//! from the report's rows (rule, change, CI, q, MDE, rounds, verdict, reason are all decided
//! in [`crate::analysis`]); this module only lays them out and colours the verdicts.

use std::io;

use tabled::builder::Builder;
use tabled::settings::object::{Cell, Rows};
use tabled::settings::peaker::Priority;
use tabled::settings::style::{HorizontalLine, Style};
use tabled::settings::{Alignment, Color, Modify, Padding, Width};

use super::{human, pct, row_label, statistics, ExportError, Exporter};
use crate::analysis::{fmt_p, Verdict};
use crate::report::{Report, Row};

/// The narrowest table this exporter lays out; a smaller width is raised to it.
pub const MIN_WIDTH: usize = 60;

/// The verdict table for a terminal of `width` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalTable {
    /// Terminal width in columns (at least [`MIN_WIDTH`] is used).
    pub width: usize,
    /// Colour the verdicts with ANSI escapes (`REGRESSED`/`FAILED` red, `IMPROVED` green,
    /// `INCONCLUSIVE`/`MISSING` yellow).
    pub color: bool,
}

impl Default for TerminalTable {
    fn default() -> Self {
        TerminalTable {
            width: 100,
            color: false,
        }
    }
}

impl Exporter for TerminalTable {
    fn extension(&self) -> &'static str {
        "txt"
    }

    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError> {
        out.write_all(self.render(report).as_bytes())?;
        Ok(())
    }
}

/// Short names of the well-known metrics (the cell line has little room).
fn metric_short(name: &str) -> &str {
    match name {
        "deliveries_per_sec" => "deliveries/s",
        "publishes_per_sec" => "publishes/s",
        "instructions_per_msg" => "instructions/msg",
        "delivered_ratio" => "delivered ratio",
        "peak_rss_bytes" => "peak RSS",
        other => other,
    }
}

/// The cell of a row in words: scenario, contender+features, params, metric, reference.
pub fn cell_words(row: &Row) -> String {
    if row.cell.is_empty() {
        return "(no matching cell)".into();
    }
    let mut s = row_label(&row.params);
    if let Some(m) = &row.metric {
        s.push(' ');
        s.push_str(metric_short(&m.name));
    }
    if let Some(r) = row.params.get("reference").filter(|r| *r != "baseline") {
        s.push_str(" vs ");
        s.push_str(r);
    }
    s
}

/// ` (7.99 M/s → 9.53 M/s)`: the two medians, when both sides have data.
fn medians(row: &Row) -> String {
    let unit = row.metric.as_ref().map_or("", |m| m.unit.as_str());
    match (&row.base, &row.new) {
        (Some(b), Some(n)) => format!(" ({} → {})", human(b.median, unit), human(n.median, unit)),
        _ => String::new(),
    }
}

/// The verdict as the terminal prints it.
fn verdict_word(v: Verdict) -> String {
    v.as_str().to_uppercase()
}

fn verdict_color(v: Verdict) -> Option<Color> {
    match v {
        Verdict::Regressed | Verdict::Failed => Some(Color::FG_RED | Color::BOLD),
        Verdict::Improved => Some(Color::FG_GREEN | Color::BOLD),
        Verdict::Inconclusive | Verdict::Missing => Some(Color::FG_YELLOW),
        Verdict::Pass => None,
    }
}

const HEADER: [&str; 8] = [
    "gate", "rule", "change", "95% CI", "q", "MDE", "n", "verdict",
];

impl TerminalTable {
    /// The table, a statistics footer and the verdict counts, each line at most `width`
    /// columns (long gate ids and cells wrap at spaces).
    pub fn render(&self, r: &Report) -> String {
        let width = self.width.max(MIN_WIDTH);
        let (rendered, heights) = self.numbers_table(r, width);
        let mut lines = rendered.lines();
        let mut s = String::new();
        let mut take = |n: usize, s: &mut String| {
            for line in lines.by_ref().take(n) {
                s.push_str(line.trim_end());
                s.push('\n');
            }
        };
        // The header and its rule.
        take(heights.first().copied().unwrap_or(1) + 1, &mut s);
        for (row, h) in r.rows.iter().zip(heights.iter().skip(1)) {
            take(*h, &mut s);
            // The cell and the reason under the numbers, over the whole width.
            let why = if row.why.is_empty() {
                &row.reason
            } else {
                &row.why
            };
            let text = format!("{}{}: {why}", cell_words(row), medians(row));
            for (i, l) in wrap(&text, width - 4).iter().enumerate() {
                s.push_str(if i == 0 { "  " } else { "    " });
                s.push_str(l);
                s.push('\n');
            }
        }
        for line in wrap(&statistics(r), width) {
            s.push_str(&line);
            s.push('\n');
        }
        for line in wrap(&counts_line(r), width) {
            s.push_str(&line);
            s.push('\n');
        }
        s
    }

    /// The number columns rendered by tabled at `width`, and the lines each record (the
    /// header first) takes after wrapping.
    fn numbers_table(&self, r: &Report, width: usize) -> (String, Vec<usize>) {
        let mut b = Builder::default();
        b.push_record(HEADER);
        for row in &r.rows {
            b.push_record(numbers(row));
        }
        let mut t = b.build();
        t.with(Style::blank().horizontals([(1, HorizontalLine::new('─').intersection('─'))]));
        // Blank style: one space between columns, plus one of padding.
        t.with(Padding::new(0, 1, 0, 0));
        t.with(Modify::new(Rows::new(1..)).with(Alignment::left()));
        if self.color {
            for (i, row) in r.rows.iter().enumerate() {
                if let Some(c) = verdict_color(row.verdict) {
                    t.modify(Cell::new(1 + i, HEADER.len() - 1), c);
                }
            }
        }
        t.with(
            Width::wrap(width)
                .keep_words(true)
                .priority(Priority::max(true)),
        );
        // Lines per record after wrapping (the header, then one record per check).
        let heights: Vec<usize> = t
            .get_records()
            .iter()
            .map(|rec| {
                rec.iter()
                    .map(|c| c.as_ref().lines().count().max(1))
                    .max()
                    .unwrap_or(1)
            })
            .collect();
        (t.to_string(), heights)
    }
}

/// "verdicts: N pass, ..." with the strict note.
fn counts_line(r: &Report) -> String {
    let c = &r.outcome.counts;
    format!(
        "verdicts: {} pass, {} improved, {} regressed, {} failed, {} inconclusive, {} missing{}",
        c.pass,
        c.improved,
        c.regressed,
        c.failed,
        c.inconclusive,
        c.missing,
        if r.outcome.strict {
            " (strict: inconclusive/missing fail)"
        } else {
            ""
        }
    )
}

/// The number columns of a row (see [`HEADER`]).
fn numbers(row: &Row) -> [String; 8] {
    let q = if row.exact {
        "exact".to_string()
    } else {
        row.q_value.map_or_else(|| "n/a".into(), fmt_p)
    };
    let rounds = match (&row.base, &row.new) {
        (Some(b), Some(n)) if b.n != n.n => format!("{}/{}", b.n, n.n),
        _ => row.rounds.map_or_else(|| "-".into(), |n| n.to_string()),
    };
    [
        row.gate_id.clone(),
        row.rule.clone(),
        pct(row.delta_pct),
        row.ci_pct
            .map_or_else(|| "n/a".into(), |c| format!("{:+.1}..{:+.1}", c.lo, c.hi)),
        q,
        row.mde_pct
            .map_or_else(|| "n/a".into(), |v| format!("{v:.1}%")),
        rounds,
        verdict_word(row.verdict),
    ]
}

/// Greedy word wrap of `text` to `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}
