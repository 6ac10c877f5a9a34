//! `ron-bench history`: one metric of every saved run over time, with change points.
//!
//! Sources, newest state of each: the baselines in the baseline directory and every run file
//! under `reports/` (`reports/runs/*.json` from `run`, `reports/<dir>/run.json` from `gate`).
//! A run stored twice (a gate's `reports/runs/gate-*.json` and `reports/<dir>/run.json`, a
//! baseline saved from a run file) counts once: runs are keyed by the hash of their JSON;
//! `latest.json` (a copy) is skipped. Runs are ordered by their start time; each
//! (cell, build) is one line whose points are the run medians of the metric. Change points
//! come from E-divisive means with a permutation test
//! ([`ron_bench_report::analysis::change_points`]; alpha 0.05, 199 shuffles, 3 runs a side).

use super::args::HistoryArgs;
use super::output::{baseline_dir, write_atomic};
use super::CommandOutcome;
use crate::series::metric_values;
use crate::store::{load_run, RunFile};
use anyhow::Context;
use ron_bench_report::analysis::{change_points, ChangePointConfig};
use ron_bench_report::export::{human, ChartFormat, History, HistoryChart, HistoryLine};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Most lines on one chart; more are dropped (fewest runs first) with a note.
const MAX_LINES: usize = 10;

/// Validated `history` settings.
#[derive(Debug)]
struct HistoryConfig {
    metric: String,
    cell: Option<String>,
    out: PathBuf,
    baselines: PathBuf,
    reports: PathBuf,
}

/// Bad `history` input.
#[derive(Debug, thiserror::Error)]
enum HistoryError {
    #[error("--cell must not be empty")]
    EmptyFilter,
    #[error("no runs found: no baselines in {baselines} and no run files under {reports}")]
    NoRuns {
        baselines: PathBuf,
        reports: PathBuf,
    },
    #[error("no `{metric}` values{filter} in {runs} runs (metrics found: {found})")]
    NoValues {
        metric: String,
        filter: String,
        runs: usize,
        found: String,
    },
}

impl HistoryConfig {
    fn new(a: &HistoryArgs, ws: &Path) -> Result<HistoryConfig, HistoryError> {
        if a.cell.as_deref().is_some_and(str::is_empty) {
            return Err(HistoryError::EmptyFilter);
        }
        Ok(HistoryConfig {
            metric: a.metric.clone(),
            cell: a.cell.clone(),
            out: a
                .out
                .clone()
                .unwrap_or_else(|| ws.join("reports").join("history")),
            baselines: baseline_dir(&a.dir, ws).dir,
            reports: ws.join("reports"),
        })
    }
}

/// A run and where it came from.
struct Found {
    run: RunFile,
    from: String,
}

/// Every run file under `dir` (two levels: `runs/*.json`, `<report>/run.json`). Files that
/// are not run files (reports, Bencher JSON) are skipped; so are unreadable ones, with a note.
fn run_files(dir: &Path) -> Vec<Found> {
    let mut out = Vec::new();
    let mut visit = |p: PathBuf| {
        // latest.json is a copy of the newest run file.
        let copy = p.file_name().is_some_and(|n| n == "latest.json");
        if !copy && p.extension().is_some_and(|e| e == "json") {
            match load_run(&p) {
                Ok(run) => out.push(Found {
                    run,
                    from: p.display().to_string(),
                }),
                Err(e) if p.file_name().is_some_and(|n| n == "run.json") => {
                    eprintln!("note: skipped {e}")
                }
                Err(_) => {}
            }
        }
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(&p)
                .map(|rd| rd.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            inner.sort();
            inner
                .into_iter()
                .filter(|p| p.is_file())
                .for_each(&mut visit);
        } else if p.is_file() {
            visit(p);
        }
    }
    out
}

/// What makes two files the same run: the hash of the run's JSON.
fn identity(run: &RunFile) -> Vec<u8> {
    use sha2::Digest;
    let json = serde_json::to_vec(run).unwrap_or_default();
    sha2::Sha256::digest(json).to_vec()
}

/// Run files and baselines, each run once, ordered by start time. A run is often stored
/// several times (a gate keeps `reports/runs/gate-*.json` and its report directory's
/// `run.json`; `baseline save` copies a run file; `latest.json` is skipped outright), so runs
/// are keyed by the hash of their JSON and the first file found names them: run files before
/// baselines, in file-name order (names carry milliseconds, which orders runs started in the
/// same second; the sort by start time is stable).
fn collect(cfg: &HistoryConfig) -> Vec<Found> {
    let mut all = run_files(&cfg.reports);
    let dir = crate::store::baseline::BaselineDir::new(cfg.baselines.clone());
    for l in dir.list().unwrap_or_default() {
        match l.baseline {
            Ok(b) if !b.run.cells.is_empty() => all.push(Found {
                run: b.run,
                from: format!("baseline `{}`", l.name),
            }),
            Ok(_) => {}
            Err(e) => eprintln!("note: skipped {e}"),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    all.retain(|f| seen.insert(identity(&f.run)));
    all.sort_by(|a, b| a.run.created_utc.cmp(&b.run.created_utc));
    all
}

fn median(v: &[f64]) -> Option<f64> {
    ron_bench_report::analysis::summarize(v).map(|s| s.median)
}

/// `11-21 08:29 abc1234` (start of the run, UTC, and its short sha).
fn run_label(run: &RunFile) -> String {
    let date = run
        .created_utc
        .get(5..16)
        .map_or(run.created_utc.clone(), |d| d.replace('T', " "));
    match run.env.git_sha.as_deref() {
        Some(s) => format!("{date} {}", crate::store::short(s, 7)),
        None => date.to_string(),
    }
}

/// The lines: (cell @ build) -> (run slot, median of the metric), plus the unit.
fn lines_of(runs: &[Found], cfg: &HistoryConfig) -> (BTreeMap<String, Vec<(usize, f64)>>, String) {
    let mut lines: BTreeMap<String, Vec<(usize, f64)>> = BTreeMap::new();
    let mut unit = String::new();
    for (slot, f) in runs.iter().enumerate() {
        for c in &f.run.cells {
            let name = format!("{} @{}", c.id, c.build);
            if cfg.cell.as_deref().is_some_and(|s| !name.contains(s)) {
                continue;
            }
            for (kind, values) in metric_values(c) {
                let m = kind.metric();
                if m.name != cfg.metric {
                    continue;
                }
                if let Some(v) = median(&values) {
                    unit = m.unit.clone();
                    lines.entry(name.clone()).or_default().push((slot, v));
                }
            }
        }
    }
    (lines, unit)
}

/// Metric names present in `runs` (for the error when the asked one is absent).
fn metrics_found(runs: &[Found]) -> String {
    let mut names = std::collections::BTreeSet::new();
    for f in runs {
        for c in &f.run.cells {
            for (kind, _) in metric_values(c) {
                names.insert(kind.metric().name);
            }
        }
    }
    names.into_iter().collect::<Vec<_>>().join(", ")
}

/// The history of `cfg.metric`: at most [`MAX_LINES`] lines, those with the most runs.
fn history(runs: &[Found], cfg: &HistoryConfig) -> Result<History, HistoryError> {
    let (lines, unit) = lines_of(runs, cfg);
    if lines.is_empty() {
        return Err(HistoryError::NoValues {
            metric: cfg.metric.clone(),
            filter: cfg
                .cell
                .as_ref()
                .map(|c| format!(" for cells containing `{c}`"))
                .unwrap_or_default(),
            runs: runs.len(),
            found: metrics_found(runs),
        });
    }
    let mut lines: Vec<(String, Vec<(usize, f64)>)> = lines.into_iter().collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.1.len()));
    if lines.len() > MAX_LINES {
        eprintln!(
            "note: {} cells have `{}` values; charting the {MAX_LINES} with the most runs \
             (narrow with --cell)",
            lines.len(),
            cfg.metric
        );
        lines.truncate(MAX_LINES);
    }
    let cp = ChangePointConfig::default();
    Ok(History {
        metric: cfg.metric.clone(),
        unit,
        runs: runs.iter().map(|f| run_label(&f.run)).collect(),
        lines: lines
            .into_iter()
            .map(|(name, points)| {
                let values: Vec<f64> = points.iter().map(|p| p.1).collect();
                HistoryLine {
                    changes: change_points(&values, &cp),
                    name,
                    points,
                }
            })
            .collect(),
    })
}

/// The terminal summary: per line its runs, last value and every change point.
fn print_summary(h: &History, runs: &[Found]) {
    println!("history of {} across {} runs:", h.metric, runs.len());
    for (i, f) in runs.iter().enumerate() {
        println!("  run {i:>2}: {}  ({})", f.run.created_utc, f.from);
    }
    for (i, l) in h.lines.iter().enumerate() {
        let last = l
            .points
            .last()
            .map_or("n/a".into(), |p| human(p.1, &h.unit));
        println!(
            "#{} {}: {} runs, last {last}",
            i + 1,
            l.name,
            l.points.len()
        );
        if l.changes.is_empty() {
            println!("    no change point (E-divisive, alpha 0.05)");
        }
        for c in &l.changes {
            let slot = l.points.get(c.index).map_or(0, |p| p.0);
            let pct = c.change_pct().map_or("n/a".into(), |p| format!("{p:+.1}%"));
            println!(
                "    change point before run {slot} ({}): {} -> {} ({pct}), p = {:.3}",
                h.runs.get(slot).map_or("", String::as_str),
                human(c.before, &h.unit),
                human(c.after, &h.unit),
                c.p_value
            );
        }
    }
}

pub(super) fn history_cmd(a: &HistoryArgs, ws: &Path) -> anyhow::Result<CommandOutcome> {
    let cfg = HistoryConfig::new(a, ws)?;
    let runs = collect(&cfg);
    if runs.is_empty() {
        return Err(HistoryError::NoRuns {
            baselines: cfg.baselines,
            reports: cfg.reports,
        }
        .into());
    }
    let h = history(&runs, &cfg)?;
    print_summary(&h, &runs);
    std::fs::create_dir_all(&cfg.out)
        .with_context(|| format!("cannot create --out directory {}", cfg.out.display()))?;
    for format in [ChartFormat::Png, ChartFormat::Svg] {
        let chart = HistoryChart {
            format,
            ..HistoryChart::default()
        };
        let mut bytes = Vec::new();
        chart.render(&h, &mut bytes)?;
        let path = cfg.out.join(format!("history.{}", chart.extension()));
        write_atomic(&path, &bytes)?;
        println!("wrote {}", path.display());
    }
    Ok(CommandOutcome::Success)
}
