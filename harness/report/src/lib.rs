//! # ron-bench-report
//!
//! Statistics, gate evaluation and exporters for `ron-bench`. The CLI measures; this crate
//! decides and presents:
//!
//! ```text
//! Vec<Series> (base run, new run)
//!   --policy::Policy::plan-->        Plan { cells: Vec<Cell>, checks: Vec<Check> }
//!   --analysis::evaluate-->          Evaluation { comparisons, verdicts, outcome }   (pure)
//!   --report::Report::build-->       Report (schema "ron-bench/report/v1")
//!   --export::*Exporter::export-->   Markdown (NOTES) | JSON | CSV | Bencher BMF | critcmp | SVG/PNG
//!   report.outcome.exit_code         0 pass, 1 gate failed (2 = CLI usage/data errors)
//! ```
//!
//! * [`analysis`] is pure (no fs, clock, printing or panics; seeded bootstrap): summaries,
//!   the change (median of per-round ratios when rounds pair, else ratio of medians) with a
//!   bootstrap CI, Wilcoxon signed-rank / Mann-Whitney U,
//!   Benjamini-Hochberg / Holm, noise floor and MDE, verdicts, calibration, Amdahl.
//! * [`policy`] parses gate policies (TOML; shipped: `gates/mog.toml`, `gates/regression.toml`)
//!   and pairs measured series into cells.
//! * [`report`] is the data every exporter reads; [`export`] has one exporter per format,
//!   each writing to a caller-supplied `io::Write`.
//! * [`interop`] imports criterion's `target/criterion` and writes critcmp's export format.
//!
//! ## How the CLI calls it
//!
//! ```
//! use std::collections::{BTreeMap, BTreeSet};
//! use ron_bench_report::analysis::{evaluate, AnalysisConfig, MetricKind, Series};
//! use ron_bench_report::export::{Exporter, JsonExporter, MarkdownExporter};
//! use ron_bench_report::policy::{Policy, Vocabulary};
//! use ron_bench_report::report::{Meta, Report};
//!
//! // One run, rounds interleaved A B A B: the reference build and the bus_edge_notify build.
//! let series = |features: &[&str], values: Vec<f64>| Series {
//!     run: "run-1".into(),
//!     scenario: "edge".into(),
//!     contender: "ron-bus".into(),
//!     features: features.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
//!     params: [("burst", "256"), ("fanout", "4"), ("cap", "64")]
//!         .iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
//!     metric: MetricKind::DeliveriesPerSec.metric(),
//!     values,
//!     interleaved: true,
//! };
//! let run = vec![
//!     series(&[], vec![8.0e6, 8.1e6, 7.9e6, 8.05e6, 7.95e6, 8.02e6, 7.98e6, 8.01e6]),
//!     series(&["bus_edge_notify"], vec![9.4e6, 9.5e6, 9.3e6, 9.45e6, 9.35e6, 9.42e6, 9.38e6, 9.41e6]),
//! ];
//!
//! // ron-bench hands in its scenario, contender, feature and param names; empty = unchecked.
//! let policy = Policy::mog(&Vocabulary::default())?.only(&["A1-subs4-cap64"])?;
//! let plan = policy.plan(&[], &run);                     // base series go first for baselines
//! let cfg = AnalysisConfig { seed: 7, ..AnalysisConfig::default() };
//! let eval = evaluate(&plan.cells, &plan.checks, &cfg);
//! let meta = Meta {
//!     label: "PR-2".into(), date: "2025-11-21".into(), baseline: "core-2025-10-19".into(),
//!     features_on: vec!["bus_edge_notify".into()], machine: "2-core Xeon".into(),
//!     cross_machine: false, policy: policy.name.clone(), analysis: cfg, notes: vec![],
//! };
//! let report = Report::build(meta, &plan.cells, &plan.checks, &eval).with_points(&run);
//!
//! let mut md = Vec::new();
//! MarkdownExporter::default().export(&report, &mut md)?;   // a File, stdout, a Vec...
//! JsonExporter.export(&report, &mut Vec::new())?;
//! assert!(String::from_utf8(md)?.starts_with("## MOG Results — ron-kernel / PR-2 — 2025-11-21"));
//! assert_eq!(report.outcome.exit_code, 0);                 // std::process::exit(code) in the CLI
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every number and verdict is computed once in [`analysis::evaluate`]; exporters never
//! re-decide. See each module for the exact statistics and the policy schema.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod analysis;
pub mod export;
pub mod interop;
pub mod policy;
pub mod report;
pub mod tracker;
