//! Shared plumbing of the comparing commands: loading inputs, writing exporter output
//! atomically, the report directory, and the verdict table on stdout. Presentation only:
//! every number printed here was decided by `ron_bench_report`.

use super::args::BaselineDirArg;
use crate::calibrate::Calibration;
use crate::gate::{Analysis, Inputs};
use crate::store::baseline::BaselineDir;
use crate::store::{load_run, Baseline, RunFile};
use anyhow::{bail, Context};
use ron_bench_report::analysis::AnalysisConfig;
use ron_bench_report::export::{
    BencherExporter, ChangeChart, ChartFormat, CsvExporter, Exporter, JsonExporter,
    MarkdownExporter, ScalingChart, TerminalTable,
};
use ron_bench_report::report::Report;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The baseline directory of a command.
pub fn baseline_dir(arg: &BaselineDirArg, ws: &Path) -> BaselineDir {
    BaselineDir::new(
        arg.baseline_dir
            .clone()
            .unwrap_or_else(|| ws.join("baselines")),
    )
}

/// Loads baseline `name` (`--baseline`); errors name it and the directory.
pub fn load_named(arg: &BaselineDirArg, ws: &Path, name: &str) -> anyhow::Result<Baseline> {
    let dir = baseline_dir(arg, ws);
    let b = dir.load(name).context("--baseline")?;
    if b.imported.is_some() && b.run.cells.is_empty() {
        bail!(
            "baseline `{name}` was imported from criterion (ns/iter per benchmark); it has no \
             ron-bench cells to compare a run with (compare it with another import: `ron-bench \
             compare --baseline {name} --new NAME`; or `ron-bench export {name}`)"
        );
    }
    Ok(b)
}

/// Loads `--run` (default `reports/runs/latest.json`); returns its label and contents.
pub fn load_run_arg(run: Option<&Path>, ws: &Path) -> anyhow::Result<(String, RunFile)> {
    let path = run
        .map(Path::to_path_buf)
        .unwrap_or_else(|| ws.join("reports/runs/latest.json"));
    if !path.is_file() {
        bail!(
            "no run file at {} (--run): run `ron-bench run` first or pass --run RUNFILE",
            path.display()
        );
    }
    let file = load_run(&path).context("--run")?;
    let label = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("run")
        .to_string();
    Ok((label, file))
}

/// Today as `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    crate::store::now_utc().chars().take(10).collect()
}

/// The analysis settings of a command.
pub fn analysis_config(seed: Option<u64>, strict: bool) -> AnalysisConfig {
    let mut a = AnalysisConfig {
        strict,
        ..AnalysisConfig::default()
    };
    if let Some(s) = seed {
        a.seed = s;
    }
    a
}

/// The inputs of an analysis, with the calibration note (when one is stored) appended later.
pub fn inputs<'a>(
    baseline: Option<&'a Baseline>,
    run: (&'a str, &'a RunFile),
    label: &str,
    analysis: AnalysisConfig,
    select: &crate::gate::Selection,
) -> Inputs<'a> {
    Inputs {
        baseline: baseline.map(|b| (b.name.as_str(), &b.run)),
        run,
        label: label.to_string(),
        date: today(),
        analysis,
        paired_baseline: false,
        counts: None,
        select: select.clone(),
    }
}

/// Adds a note quoting the stored calibration (when it matches this machine).
pub fn quote_calibration(report: &mut Report, cal: Option<&Calibration>) {
    if let Some(c) = cal {
        report.meta.notes.push(c.quote());
    }
}

/// Renders one exporter's output to bytes.
pub fn render(exporter: &dyn Exporter, report: &Report) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    exporter.export(report, &mut buf)?;
    Ok(buf)
}

/// Writes `bytes` to `path` through the harness's one writer ([`crate::store::write`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    crate::store::write::write_file(path, bytes)?;
    Ok(())
}

/// Writes to `out` (a file, or stdout for `-`), or to stdout. A closed or full stdout is
/// recorded by [`crate::term`] and decides the exit code.
pub fn emit(bytes: &[u8], out: Option<&Path>) -> anyhow::Result<()> {
    match out {
        Some(p) => {
            write_atomic(p, bytes)?;
            if crate::store::write::stream_of(p).is_none() {
                eprintln!("wrote {}", p.display());
            }
        }
        None => crate::term::Stream::Stdout.write_bytes(bytes),
    }
    Ok(())
}

/// `reports/<date>-<sha>[-dirty]-<HHMMSS>/` (sha: the run's git sha, first 10 hex digits),
/// unique per gate run: a directory that exists already (two gates in one second) gets `-2`,
/// `-3`, ... So a second gate of the same commit never mixes its files with the first's.
pub fn default_report_dir(ws: &Path, run: &RunFile) -> PathBuf {
    let sha = run.env.git_sha.as_deref().map_or_else(
        || "nogit".to_string(),
        |s| crate::store::short(s, 10).to_string(),
    );
    let dirty = if run.env.git_dirty == Some(true) {
        "-dirty"
    } else {
        ""
    };
    // `YYYY-MM-DDTHH:MM:SSZ` -> `YYYY-MM-DD` and `HHMMSS`, from one reading of the clock.
    let now = crate::store::now_utc();
    let date = now.get(..10).unwrap_or("0000-00-00");
    let time: String = now
        .get(11..19)
        .unwrap_or("000000")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let reports = ws.join("reports");
    let stem = format!("{date}-{sha}{dirty}-{time}");
    let mut dir = reports.join(&stem);
    let mut n = 2;
    while dir.exists() {
        dir = reports.join(format!("{stem}-{n}"));
        n += 1;
    }
    dir
}

/// The name of the pointer to the newest gate report, in `reports/`.
pub const LATEST: &str = "latest";

/// Points `reports/latest` at `dir` (called after every file of `dir` was written): a
/// relative symlink where the platform allows one, else a text file holding the directory's
/// name. Replaced atomically (a temporary link or file renamed over the old one).
pub fn point_latest(reports: &Path, dir: &Path) -> std::io::Result<()> {
    let target = if dir.parent() == Some(reports) {
        dir.file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.to_path_buf())
    } else {
        std::path::absolute(dir)?
    };
    let latest = reports.join(LATEST);
    let tmp = reports.join(format!(".{LATEST}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    let linked = std::os::unix::fs::symlink(&target, &tmp).is_ok();
    #[cfg(not(unix))]
    let linked = false;
    if !linked {
        std::fs::write(&tmp, format!("{}\n", target.display()))?;
    }
    std::fs::rename(&tmp, &latest).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Charts of a report: the change chart, and a scaling chart per scenario with several fanouts.
pub fn charts(report: &Report) -> Vec<(String, Box<dyn Exporter>)> {
    let mut out: Vec<(String, Box<dyn Exporter>)> = Vec::new();
    for format in [ChartFormat::Svg, ChartFormat::Png] {
        if !report.rows.is_empty() {
            out.push((
                "change".into(),
                Box::new(ChangeChart {
                    format,
                    ..ChangeChart::default()
                }),
            ));
        }
        let mut fanouts: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for p in &report.points {
            if let Some(f) = p.params.get("fanout") {
                fanouts.entry(p.scenario.as_str()).or_default().insert(f);
            }
        }
        for (scenario, f) in fanouts {
            if f.len() < 2 {
                continue;
            }
            let mut c = ScalingChart::new(scenario);
            c.format = format;
            if scenario == "steady" {
                c.metric = "publishes_per_sec".into();
            }
            out.push((format!("scaling-{scenario}"), Box::new(c)));
        }
    }
    out
}

/// Renders every chart of `report`: `(file name, bytes)` of those that rendered, and a
/// warning for each that did not (a chart is an illustration; it never hides a verdict).
pub fn render_charts(report: &Report) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let mut ok = Vec::new();
    let mut warnings = Vec::new();
    for (name, exporter) in charts(report) {
        let file = format!("{name}.{}", exporter.extension());
        match render(exporter.as_ref(), report) {
            Ok(bytes) => ok.push((file, bytes)),
            Err(e) => warnings.push(format!("chart {file} not rendered: {e:#}")),
        }
    }
    (ok, warnings)
}

/// Writes every chart of `report` into `dir`; returns the files written. Charts that cannot
/// be rendered are reported as warnings on stderr.
pub fn write_charts(dir: &Path, report: &Report) -> anyhow::Result<Vec<PathBuf>> {
    let (rendered, warnings) = render_charts(report);
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let mut written = Vec::new();
    for (name, bytes) in rendered {
        let path = dir.join(name);
        write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// Writes NOTES (md), the PR comment body (`comment.md`), JSON, CSV, Bencher BMF, the run
/// file and the charts into `dir`.
/// Everything is rendered before the directory is created, so a rendering error leaves no
/// half-filled directory; a chart that fails to render is a warning, not an error.
pub fn write_report_dir(dir: &Path, a: &Analysis, run: &RunFile) -> anyhow::Result<Vec<PathBuf>> {
    let r = &a.report;
    let exporters: [(&str, &dyn Exporter); 5] = [
        ("notes.md", &MarkdownExporter::default()),
        ("comment.md", &MarkdownExporter::pr_comment()),
        ("report.json", &JsonExporter),
        ("report.csv", &CsvExporter),
        ("bencher.json", &BencherExporter),
    ];
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, e) in exporters {
        files.push((
            name.into(),
            render(e, r).with_context(|| format!("rendering {name}"))?,
        ));
    }
    let mut run_json = serde_json::to_vec_pretty(run).context("rendering run.json")?;
    run_json.push(b'\n');
    files.push(("run.json".into(), run_json));
    let (charts, warnings) = render_charts(r);
    for w in warnings {
        eprintln!("warning: {w}");
    }
    files.extend(charts);
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create report directory {} (--out-dir)",
            dir.display()
        )
    })?;
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// A gate that checked nothing (a policy with no gates, or none matching the run) passes
/// vacuously; that is an error unless `allow` (`--allow-empty`).
pub fn check_something_checked(report: &Report, policy: &str, allow: bool) -> anyhow::Result<()> {
    if report.rows.is_empty() && !allow {
        bail!(
            "nothing was checked: policy `{policy}` produced no verdict for this run (no gates, \
             or no gate matches its cells); pass --allow-empty to accept an empty gate"
        );
    }
    Ok(())
}

/// The verdict table for the stream messages go to: fitted to its width (`COLUMNS`, the
/// terminal, else 100) and coloured per `--color` (see [`TerminalTable`]).
pub fn verdict_table(r: &Report) -> String {
    let stream = crate::term::message_stream();
    TerminalTable {
        width: crate::term::width(stream),
        color: crate::term::color_on(stream),
    }
    .render(r)
}
