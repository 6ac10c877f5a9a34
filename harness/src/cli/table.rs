//! Human-readable tables of cell records (stdout). Machine output is the JSON file.

use crate::store::CellRecord;
use std::fmt::Write as _;

/// One row per (cell, build): medians over rounds, CV of deliveries/s, delivery %; under
/// `--measure instructions` the instruction counts instead (times measured under valgrind
/// mean nothing).
pub fn cells(records: &[CellRecord]) -> String {
    if records.iter().any(|r| instructions(r).is_some()) {
        return instruction_cells(records);
    }
    let (id_w, b_w) = widths(records);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<id_w$}  {:<b_w$}  {:>13}  {:>13}  {:>6}  {:>9}  {:>10}",
        "cell", "build", "publishes/s", "deliveries/s", "cv", "delivered", "p99 lat"
    );
    for r in records {
        let m = &r.summary;
        let p99 = m.latency_ns.as_ref().map_or_else(
            || "-".to_string(),
            |l| format!("{:.1} us", l.p99.median / 1e3),
        );
        let _ = writeln!(
            s,
            "{:<id_w$}  {:<b_w$}  {:>13}  {:>13}  {:>5.1}%  {:>8.2}%  {:>10}{}",
            r.id,
            r.build,
            si(m.publishes_per_sec.median),
            si(m.deliveries_per_sec.median),
            // steady has idle subscribers: its spread is in publishes/s.
            if m.deliveries_per_sec.median > 0.0 {
                m.deliveries_per_sec.cv * 100.0
            } else {
                m.publishes_per_sec.cv * 100.0
            },
            m.delivered_ratio.median * 100.0,
            p99,
            if r.rounds.iter().all(|x| x.values.accounting_ok) {
                ""
            } else {
                "  ACCOUNTING MISMATCH"
            }
        );
    }
    s
}

/// Widths of the `cell` and `build` columns (at least their headers').
fn widths(records: &[CellRecord]) -> (usize, usize) {
    let widest = |f: fn(&CellRecord) -> usize, header: usize| {
        records.iter().map(f).max().unwrap_or(0).max(header)
    };
    (widest(|r| r.id.len(), 4), widest(|r| r.build.len(), 5))
}

/// Instructions per message of each round of `r`, when counted.
fn instructions(r: &CellRecord) -> Option<Vec<f64>> {
    let v: Vec<f64> = r
        .rounds
        .iter()
        .filter_map(|x| x.values.instructions_per_msg)
        .collect();
    (!v.is_empty()).then_some(v)
}

/// One row per (cell, build): median instructions per message over rounds, their spread
/// ((max - min) / median) and the rounds counted.
fn instruction_cells(records: &[CellRecord]) -> String {
    let (id_w, b_w) = widths(records);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<id_w$}  {:<b_w$}  {:>12}  {:>7}  {:>6}  {:>9}",
        "cell", "build", "instr/msg", "spread", "rounds", "delivered"
    );
    for r in records {
        let v = instructions(r).unwrap_or_default();
        let sum = ron_bench_report::analysis::summarize(&v);
        let (median, spread) = sum.map_or(("-".into(), "-".into()), |m| {
            let spread = if m.median > 0.0 {
                format!("{:.2}%", (m.max - m.min) / m.median * 100.0)
            } else {
                "-".into()
            };
            (format!("{:.1}", m.median), spread)
        });
        let _ = writeln!(
            s,
            "{:<id_w$}  {:<b_w$}  {:>12}  {:>7}  {:>6}  {:>8.2}%",
            r.id,
            r.build,
            median,
            spread,
            v.len(),
            r.summary.delivered_ratio.median * 100.0
        );
    }
    s
}

/// 12.3 M style scaling for humans.
pub fn si(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.2} G", v / 1e9),
        v if v >= 1e6 => format!("{:.2} M", v / 1e6),
        v if v >= 1e3 => format!("{:.2} k", v / 1e3),
        v => format!("{v:.1}"),
    }
}

/// One row per imported criterion benchmark: samples and the median of the per-sample time
/// per iteration (`times[i] / iters[i]` of `sample.json`), which `compare --new` gates on.
pub fn imported(imp: &ron_bench_report::interop::ImportedBaseline) -> String {
    let id_w = imp
        .benchmarks
        .iter()
        .map(|b| b.id.len())
        .max()
        .unwrap_or(9)
        .max(9);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} imported criterion benchmark(s) (`{}` of {})",
        imp.benchmarks.len(),
        imp.baseline,
        imp.root.display()
    );
    let _ = writeln!(
        s,
        "{:<id_w$}  {:>7}  {:>14}  {:>6}",
        "benchmark", "samples", "median ns/iter", "cv"
    );
    for b in &imp.benchmarks {
        let sum = ron_bench_report::analysis::summarize(&b.ns_per_iter);
        let median = sum
            .as_ref()
            .map_or("-".into(), |m| format!("{:.2}", m.median));
        let cv = sum
            .and_then(|m| m.cv)
            .map_or("-".into(), |c| format!("{:.1}%", c * 100.0));
        let _ = writeln!(
            s,
            "{:<id_w$}  {:>7}  {:>14}  {:>6}",
            b.id,
            b.ns_per_iter.len(),
            median,
            cv
        );
    }
    s
}
