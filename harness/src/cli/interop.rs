//! `ron-bench import criterion`, `export` and `amdahl`.

use super::args::{AmdahlArgs, ExportArgs, ExportFormat, ImportCommand};
use super::output::{self, baseline_dir};
use super::CommandOutcome;
use crate::store::{now_utc, Baseline, Environment, RunFile, BASELINE_SCHEMA, RUN_SCHEMA};
use anyhow::{bail, Context};
use ron_bench_report::analysis::{
    amdahl, evaluate, AnalysisConfig, Cell, Check, GateKind, Rule, Series,
};
use ron_bench_report::export::{BencherExporter, CritcmpExporter, CsvExporter, Side};
use ron_bench_report::interop::{criterion_root, import_criterion, ImportedBaseline};
use ron_bench_report::report::{Meta, Report};
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
                ExportFormat::Csv => output::render(&CsvExporter, &report)?,
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

pub(super) fn amdahl_cmd(args: &AmdahlArgs) -> anyhow::Result<CommandOutcome> {
    let s = amdahl(args.p, args.s)
        .map_err(|e| anyhow::anyhow!("--p {} --s {}: {e}", args.p, args.s))?;
    println!(
        "S = 1/((1-p)+p/s) = 1/((1-{p})+{p}/{s}) = {s_all:.4}  (limit with s -> inf: {lim})",
        p = args.p,
        s = args.s,
        s_all = s,
        lim = if args.p < 1.0 {
            format!("{:.4}", 1.0 / (1.0 - args.p))
        } else {
            "unbounded".into()
        }
    );
    Ok(CommandOutcome::Success)
}
