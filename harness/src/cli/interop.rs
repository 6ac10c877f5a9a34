//! `ron-bench import criterion`, `export` and `amdahl`.

use super::args::{AmdahlArgs, ExportArgs, ExportFormat, ImportCommand};
use super::output::{self, baseline_dir};
use super::CommandOutcome;
use crate::store::{now_utc, Baseline, Environment, RunFile, BASELINE_SCHEMA, RUN_SCHEMA};
use anyhow::{bail, Context};
use ron_bench_report::analysis::{
    amdahl, evaluate, required_speedup, AnalysisConfig, Cell, Check, GateKind, Rule, Series,
};
use ron_bench_report::export::{cells_csv, BencherExporter, CritcmpExporter, Side};
use ron_bench_report::interop::{criterion_root, import_criterion, ImportedBaseline};
use ron_bench_report::report::{Meta, Report};
use ron_bench_report::tracker::{markdown as tracker_markdown, track, TrackerSpec, GOAL};
use std::path::Path;

pub(super) fn import(cmd: ImportCommand, ws: &Path) -> anyhow::Result<CommandOutcome> {
    let ImportCommand::Criterion {
        dir,
        name,
        from,
        force,
        dir_arg,
    } = cmd;
    let root = dir.unwrap_or_else(|| {
        let home = std::env::var("CRITERION_HOME").ok();
        let target = std::env::var("CARGO_TARGET_DIR").ok();
        criterion_root(home.as_deref(), target.as_deref())
    });
    if !root.is_dir() {
        bail!(
            "criterion directory {} does not exist (DIR argument, $CRITERION_HOME or $CARGO_TARGET_DIR)",
            root.display()
        );
    }
    let imported = import_criterion(&root, &from).with_context(|| {
        format!(
            "importing criterion baseline `{from}` from {}",
            root.display()
        )
    })?;
    let n = imported.benchmarks.len();
    let b = Baseline {
        schema: BASELINE_SCHEMA.into(),
        name: name.clone(),
        saved_utc: now_utc(),
        source: Some(format!("criterion:{}#{from}", root.display())),
        run: empty_run(ws),
        imported: Some(imported),
        calibration: None,
    };
    let path = baseline_dir(&dir_arg, ws).save_baseline(&b, force)?;
    println!(
        "imported {n} criterion benchmark(s) from {} (`{from}`) as baseline `{name}` -> {}",
        root.display(),
        path.display()
    );
    println!("note: criterion records no machine, compiler or commit; this machine's fingerprint was recorded");
    Ok(CommandOutcome::Success)
}

/// A run with no cells, carrying this environment (criterion records none of its own).
fn empty_run(ws: &Path) -> RunFile {
    RunFile {
        schema: RUN_SCHEMA.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        created_utc: now_utc(),
        wall_ms: 0,
        executor: "criterion-import".into(),
        env: Environment::capture(ws),
        matrix: crate::spec::Matrix {
            scenarios: vec![],
            contenders: vec![],
            bursts: vec![],
            fanouts: vec![],
            caps: vec![],
            pub_yields: vec![],
            tls_thresholds: vec![],
            payloads: vec![8],
            latency_rate_per_sec: 0,
            builds: vec![],
            sampling: crate::spec::Sampling::FULL,
            quick: false,
            throttle_spins: 0,
            measure: crate::spec::Measure::default(),
        },
        knobs: vec![],
        builds: vec![],
        cells: vec![],
        skipped: vec![],
        warnings: vec![],
        shard: None,
        merged_from: Vec::new(),
    }
}

/// A presentation-only report of one side (the baseline's values as the "new" side, no
/// base): exporters read the summaries; every row's verdict is `missing` by construction.
fn display_report(name: &str, series: &[Series]) -> Report {
    let cells: Vec<Cell> = series
        .iter()
        .map(|s| {
            let mut params = s.params.clone();
            params.insert("scenario".into(), s.scenario.clone());
            params.insert("contender".into(), s.contender.clone());
            let f: Vec<&str> = s.features.iter().map(String::as_str).collect();
            params.insert("features".into(), f.join(","));
            Cell {
                id: format!(
                    "{}/{}/{}:{}",
                    s.scenario,
                    s.build_id(),
                    s.params_id(),
                    s.metric.name
                ),
                params,
                metric: s.metric.clone(),
                base: vec![],
                new: s.values.clone(),
                paired: false,
            }
        })
        .collect();
    let checks: Vec<Check> = (0..cells.len())
        .map(|i| Check {
            rule: Rule {
                gate_id: "export".into(),
                description: "values of one baseline (no comparison)".into(),
                kind: GateKind::Regression,
                threshold_pct: 0.0,
                noise_limit_pct: None,
                direction: cells[i].metric.direction,
            },
            cell: Some(i),
        })
        .collect();
    let cfg = AnalysisConfig::default();
    let eval = evaluate(&cells, &checks, &cfg);
    let meta = Meta {
        label: name.into(),
        date: output::today(),
        baseline: name.into(),
        features_on: vec![],
        machine: String::new(),
        cross_machine: false,
        policy: "export".into(),
        analysis: cfg,
        notes: vec![],
    };
    Report::build(meta, &cells, &checks, &eval)
}

pub(super) fn export(args: &ExportArgs, ws: &Path) -> anyhow::Result<CommandOutcome> {
    let b = baseline_dir(&args.dir, ws)
        .load(&args.name)
        .with_context(|| format!("export {}", args.name))?;
    let series: Vec<Series> = match &b.imported {
        Some(imp) => imp.to_series(),
        None => crate::series::series_of(&format!("baseline:{}", b.name), &b.run),
    };
    let bytes = match (args.format, &b.imported) {
        (ExportFormat::Critcmp, Some(imp)) => critcmp_of_import(imp, &b.name)?,
        (fmt, _) => {
            if series.is_empty() {
                bail!("baseline `{}` has no measured values to export", b.name);
            }
            let report = display_report(&b.name, &series);
            match fmt {
                ExportFormat::Critcmp => output::render(
                    &CritcmpExporter {
                        name: b.name.clone(),
                        side: Side::New,
                    },
                    &report,
                )?,
                ExportFormat::Bmf => output::render(&BencherExporter, &report)?,
                ExportFormat::Csv => {
                    let mut buf = Vec::new();
                    cells_csv(&series, &mut buf)?;
                    buf
                }
            }
        }
    };
    output::emit(&bytes, args.out.as_deref())?;
    Ok(CommandOutcome::Success)
}

fn critcmp_of_import(imp: &ImportedBaseline, name: &str) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    ron_bench_report::interop::critcmp::write_critcmp(imp, name, &mut buf)?;
    Ok(buf)
}

/// Loads a tracker file; errors name it.
pub(super) fn load_tracker(path: &Path) -> anyhow::Result<TrackerSpec> {
    let text = crate::store::read_regular(path)
        .with_context(|| format!("cannot read tracker file {}", path.display()))?;
    Ok(TrackerSpec::from_toml(&text, &path.display().to_string())?)
}

/// `amdahl --components FILE --report REPORT`: the tracker over a saved report.
fn amdahl_tracker(components: &Path, report: &Path) -> anyhow::Result<CommandOutcome> {
    let spec = load_tracker(components)?;
    let text = crate::store::read_regular(report)
        .with_context(|| format!("cannot read report {} (--report)", report.display()))?;
    let r: Report = serde_json::from_str(&text)
        .with_context(|| format!("{} (--report) is not a ron-bench report", report.display()))?;
    let a = track(&r, &spec)?;
    print!("{}", tracker_markdown(&a));
    Ok(CommandOutcome::Success)
}

pub(super) fn amdahl_cmd(args: &AmdahlArgs) -> anyhow::Result<CommandOutcome> {
    if let (Some(c), Some(r)) = (&args.components, &args.report) {
        return amdahl_tracker(c, r);
    }
    let (Some(p), Some(s)) = (args.p, args.s) else {
        bail!("give --p and --s, or --components FILE --report REPORT");
    };
    let s_all = amdahl(p, s).map_err(|e| anyhow::anyhow!("--p {p} --s {s}: {e}"))?;
    println!(
        "S = 1/((1-p)+p/s) = 1/((1-{p})+{p}/{s}) = {s_all:.4}  (limit with s -> inf: {lim})",
        lim = if p < 1.0 {
            format!("{:.4}", 1.0 / (1.0 - p))
        } else {
            "unbounded".into()
        }
    );
    let need = required_speedup(p, GOAL)
        .map_or_else(|e| format!("unreachable ({e})"), |r| format!("s = {r:.4}"));
    println!("required path speedup for S = {GOAL}x at p = {p}: {need}");
    Ok(CommandOutcome::Success)
}
