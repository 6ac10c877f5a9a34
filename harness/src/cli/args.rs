//! Raw command-line arguments (clap derive). Values stay text here; [`super::config`]
//! validates them so every error names its culprit the same way env knobs do.

use crate::spec::Measure;
use clap::{Args as ClapArgs, Parser, Subcommand};
use ron_bench_report::export::{CsvExporter, Exporter, JsonExporter, MarkdownExporter};
use ron_comparables::knobs::{Param, KNOBS};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `ron-bench --version`: the crate version and the git commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("RON_BENCH_GIT_SHA"),
    ")"
);

/// ron-bench: env-parameterised benchmark matrices, interleaved multi-build runs, baselines.
#[derive(Debug, Parser)]
#[command(name = "ron-bench", version = VERSION, about, long_about = None)]
pub struct Args {
    /// Output settings shared by every command.
    #[command(flatten)]
    pub ui: UiArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `-q`, `-v`, `--color` (global: accepted before or after the subcommand).
#[derive(Debug, Default, ClapArgs)]
pub struct UiArgs {
    /// Print the summary only: the verdict line, failing checks with their reasons and where
    /// the files went (no plan, progress, build status or table).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every process run and every cargo line of runner builds (default: a compact
    /// progress line per tenth of the runs, or a bar on a terminal).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Colour REGRESSED/FAILED/IMPROVED: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, value_enum, global = true, default_value_t = crate::term::ColorChoice::Auto, value_name = "WHEN")]
    pub color: crate::term::ColorChoice,
}

impl UiArgs {
    /// The settings these flags ask for.
    pub fn ui(&self) -> crate::term::Ui {
        use crate::term::Verbosity;
        crate::term::Ui {
            verbosity: if self.quiet {
                Verbosity::Quiet
            } else if self.verbose {
                Verbosity::Verbose
            } else {
                Verbosity::Normal
            },
            color: self.color,
        }
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sweep a matrix (scenarios x contenders x knobs x feature builds) and write a run file.
    Run(Box<RunArgs>),
    /// Save, list, show or remove baselines.
    #[command(subcommand_required = true)]
    Baseline(BaselineArgs),
    /// Compare a run with a saved baseline (regression policy); prints NOTES, JSON or CSV.
    Compare(CompareArgs),
    /// Run what a policy needs (or read --run), evaluate, write reports; exit 0 pass, 1 fail.
    Gate(Box<GateArgs>),
    /// Print the NOTES Markdown ("MOG Results" block) of a run.
    Notes(NotesArgs),
    /// Write SVG and PNG charts of a run (change, scaling).
    Chart(ChartArgs),
    /// A/A false-alarm rate and detection power (throttled contender) of the quick gate.
    Calibrate(CalibrateArgs),
    /// Import benchmarks from another tool as a baseline.
    #[command(subcommand_required = true)]
    Import(ImportArgs),
    /// Export a baseline as critcmp JSON, Bencher Metric Format or CSV.
    Export(ExportArgs),
    /// Combine shard run files (`run --shard I/N`) into one run file.
    Merge(MergeArgs),
    /// Amdahl's law: overall speedup S = 1/((1-p)+p/s).
    Amdahl(AmdahlArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout: `ron-bench man > ron-bench.1`.
    Man,
    /// Trend chart of a metric across saved baselines, gate reports and run files, with
    /// change points (E-divisive means, permutation p-value).
    History(HistoryArgs),
    /// Print the JSON Schema of a file ron-bench writes (run, baseline, report,
    /// baseline-list), or write all of them into a directory.
    Schema(SchemaArgs),
}

/// `ron-bench completions`.
#[derive(Debug, ClapArgs)]
pub struct CompletionsArgs {
    /// Shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `ron-bench history`.
#[derive(Debug, ClapArgs)]
pub struct HistoryArgs {
    /// Metric to chart (deliveries_per_sec, publishes_per_sec, cpu_ns, p95_ns,
    /// instructions_per_msg, ...).
    #[arg(long, default_value = "deliveries_per_sec", value_name = "M")]
    pub metric: String,
    /// Only cells whose `<cell id> @<build>` contains this text.
    #[arg(long, value_name = "FILTER")]
    pub cell: Option<String>,
    /// Output directory for history.png and history.svg. [default: reports/history]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Baseline directory.
    #[command(flatten)]
    pub dir: BaselineDirArg,
}

/// `ron-bench schema`.
#[derive(Debug, ClapArgs)]
pub struct SchemaArgs {
    /// Which schema to print.
    #[arg(value_parser = ["run", "baseline", "report", "baseline-list"], required_unless_present = "out_dir")]
    pub kind: Option<String>,
    /// Write every schema as `<kind>.schema.json` into DIR (the repository keeps them in
    /// `harness/schemas/`).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Where baselines live (shared by the comparing commands).
#[derive(Debug, Default, ClapArgs)]
pub struct BaselineDirArg {
    /// Baseline directory. [default: <workspace>/baselines]
    #[arg(long = "baseline-dir", env = "RON_BASELINE_DIR", value_name = "DIR")]
    pub baseline_dir: Option<PathBuf>,
}

/// `--threshold` and `--filter` (critcmp's habits; shared by compare, gate and notes).
#[derive(Debug, Default, Clone, ClapArgs)]
pub struct SelectArgs {
    /// Replace every gate's threshold with PCT percent (a regression gate's tolerance, an
    /// acceptance gate's required gain); the report's notes say so.
    #[arg(long, value_name = "PCT", allow_hyphen_values = true)]
    pub threshold: Option<f64>,
    /// Keep only the checks whose gate id or cell id
    /// (`scenario/contender+features/params:metric`) matches REGEX.
    #[arg(long, value_name = "REGEX")]
    pub filter: Option<String>,
}

impl SelectArgs {
    /// The validated selection.
    pub fn selection(&self) -> anyhow::Result<crate::gate::Selection> {
        crate::gate::Selection::new(self.threshold, self.filter.as_deref())
    }
}

/// `ron-bench compare`.
#[derive(Debug, ClapArgs)]
pub struct CompareArgs {
    /// The saved baseline to compare against.
    #[arg(long, value_name = "NAME")]
    pub baseline: String,
    /// The run file. [default: reports/runs/latest.json]
    #[arg(long, value_name = "RUNFILE")]
    pub run: Option<PathBuf>,
    /// With a criterion import as --baseline: the newer import (`import criterion --name NEW`)
    /// to compare with it, per sample, unpaired, gated by the regression rule for imports.
    #[arg(long, value_name = "NEW")]
    pub new: Option<String>,
    /// Output format: md (NOTES block + table), json (report), csv.
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Policy: regression (default), mog, quick or a TOML file.
    #[arg(long, default_value = "regression", value_name = "POLICY")]
    pub policy: String,
    /// Label for the NOTES title.
    #[arg(long, default_value = "local")]
    pub label: String,
    /// `--threshold`, `--filter`.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Baseline directory.
    #[command(flatten)]
    pub dir: BaselineDirArg,
}

/// `gate --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum GateFormat {
    /// The verdict table and summary on stdout.
    #[default]
    Text,
    /// The report (`ron-bench/report/v1`, `harness/schemas/report.schema.json`) on stdout;
    /// every human line goes to stderr.
    Json,
}

/// `ron-bench gate`.
#[derive(Debug, Default, ClapArgs)]
pub struct GateArgs {
    /// Policy: change (default: the working tree against a git base), regression (default
    /// with --baseline), features (alias quick: the same-tree bus_batch A/B), revision, mog,
    /// perf_gate, perf_gate_strict, instructions, or a TOML file.
    #[arg(long, value_name = "NAME|FILE")]
    pub policy: Option<String>,
    /// Compare against this saved baseline (regression checks of the current build).
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Evaluate this run file instead of measuring.
    #[arg(long, value_name = "RUNFILE")]
    pub run: Option<PathBuf>,
    /// Same-run A/B against a git revision (sha, tag, branch, `HEAD~1`, `origin/main`): builds
    /// its runner from a git worktree and interleaves base and working tree round by round.
    /// Default: the merge base with origin/HEAD, origin/main or main when HEAD is ahead of it,
    /// else HEAD when the tree is dirty, else HEAD~1.
    #[arg(long, value_name = "REV", conflicts_with = "baseline")]
    pub against: Option<String>,
    /// Wall-time budget in seconds for the measurement of a revision gate (builds excluded):
    /// undecided checks get more interleaved rounds until decided or the budget is spent.
    /// [default: 120; 60 with --quick]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub budget: Option<u64>,
    /// Most looks (interim analyses) of a revision gate; the false-alarm rate is split over
    /// them. [default: 5]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=50))]
    pub max_looks: Option<u32>,
    /// Quick sampling (many short interleaved process runs) and the smallest admissible params.
    #[arg(long)]
    pub quick: bool,
    /// Feature combos: in baseline mode the builds to measure; for same-run A/B gates extra
    /// features ON in both sides.
    #[arg(long)]
    pub features: Option<String>,
    /// Inconclusive and missing verdicts fail the gate.
    #[arg(long)]
    pub strict: bool,
    /// Exit 2 when the baseline comes from another kind of machine.
    #[arg(long)]
    pub require_same_machine: bool,
    /// Exit 0 when nothing was checked (a policy with no gates, or none matching the run)
    /// instead of 2.
    #[arg(long)]
    pub allow_empty: bool,
    /// Report directory. [default: reports/<date>-<sha>-<HHMMSS>/, a new one per gate run;
    /// reports/latest then points at it]
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Label for the NOTES title. [default: gate]
    #[arg(long)]
    pub label: Option<String>,
    /// Process runs per (cell, build), overriding the sampling preset.
    #[arg(long)]
    pub rounds: Option<u32>,
    /// Samples per process run, overriding the sampling preset.
    #[arg(long)]
    pub samples: Option<u32>,
    /// Target duration of one sample in ms, overriding the sampling preset.
    #[arg(long, value_name = "MS")]
    pub window_ms: Option<u64>,
    /// What to measure: `time` (throughput, latency, CPU; default) or `instructions`
    /// (callgrind instruction counts of single-thread scenarios; deterministic; needs valgrind).
    #[arg(long, value_enum)]
    pub measure: Option<Measure>,
    /// Extra spins per publish of the `throttled` contender (injects a real slowdown).
    #[arg(long, value_name = "SPINS", value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub throttle_spins: Option<u64>,
    /// Print the plan (the base, cells, builds, skipped cells and why) and stop: nothing is
    /// built, measured or written.
    #[arg(long)]
    pub dry_run: bool,
    /// Bootstrap seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// What goes to stdout: `text` (the verdict table and summary) or `json` (the report;
    /// the human lines go to stderr).
    #[arg(long, value_enum, default_value_t = GateFormat::Text)]
    pub format: GateFormat,
    /// `--threshold`, `--filter`.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Baseline directory.
    #[command(flatten)]
    pub dir: BaselineDirArg,
}

/// `ron-bench notes`.
#[derive(Debug, ClapArgs)]
pub struct NotesArgs {
    /// Amdahl tracker file (see `amdahl --components`): adds its section to the NOTES.
    #[arg(long, value_name = "FILE")]
    pub amdahl: Option<PathBuf>,
    /// The PR label in the NOTES title.
    #[arg(long, default_value = "local")]
    pub label: String,
    /// Compare against this saved baseline (regression policy); else the run's own A/B.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// The run file. [default: reports/runs/latest.json]
    #[arg(long, value_name = "RUNFILE")]
    pub run: Option<PathBuf>,
    /// Policy (default: regression with --baseline, else quick).
    #[arg(long)]
    pub policy: Option<String>,
    /// The PR comment body instead: a one-line summary, the NOTES block, and the full table
    /// folded in `<details>` (what `gate` writes as `comment.md`).
    #[arg(long)]
    pub pr_comment: bool,
    /// `--threshold`, `--filter`.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Baseline directory.
    #[command(flatten)]
    pub dir: BaselineDirArg,
}

/// `ron-bench chart`.
#[derive(Debug, ClapArgs)]
pub struct ChartArgs {
    /// The run file. [default: reports/runs/latest.json]
    #[arg(long, value_name = "RUNFILE")]
    pub run: Option<PathBuf>,
    /// Compare against this saved baseline (change chart of the regression policy).
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Output directory. [default: reports/charts]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Policy for the change chart (default: regression with --baseline, else quick).
    #[arg(long)]
    pub policy: Option<String>,
    /// Baseline directory.
    #[command(flatten)]
    pub dir: BaselineDirArg,
}

/// `ron-bench calibrate`.
#[derive(Debug, Default, ClapArgs)]
pub struct CalibrateArgs {
    /// Interleaved rounds per repeat (each A/A or power trial uses the gate's rounds).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rounds: Option<u32>,
    /// Which gate to calibrate: `change` (the default gate: real code-path slowdowns
    /// compiled into builds, whole-gate trials) or `features` (the same-tree feature gate's
    /// ron-bus vs `throttled` A/B).
    #[arg(long, value_enum, default_value_t = CalibratePolicy::Change)]
    pub policy: CalibratePolicy,
    /// Injected slowdowns in percent of each code path's cost (comma list).
    #[arg(long, default_value = "2,5,10")]
    pub slowdown: String,
    /// Independent repeats (separate runs).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeats: Option<u32>,
    /// Tiny settings for tests (use with RON_BENCH_MOCK=1).
    #[arg(long)]
    pub quick: bool,
    /// Feature combo to calibrate (one build). [default: none]
    #[arg(long)]
    pub features: Option<String>,
    /// Also store the result in this baseline's `calibration` field.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Bootstrap and split seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Baseline directory.
    #[command(flatten)]
    pub dir: BaselineDirArg,
}

/// `ron-bench import`.
#[derive(Debug, ClapArgs)]
pub struct ImportArgs {
    /// What to import.
    #[command(subcommand)]
    pub command: ImportCommand,
}

/// Import sources.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// criterion's target/criterion directory.
    Criterion {
        /// criterion root. [default: $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion, else
        /// target/criterion]
        dir: Option<PathBuf>,
        /// Baseline name to save as.
        #[arg(long)]
        name: String,
        /// criterion baseline directory to read (`new`, `base` or a saved name).
        #[arg(long, default_value = "new")]
        from: String,
        /// Replace an existing baseline.
        #[arg(long)]
        force: bool,
        /// Baseline directory.
        #[command(flatten)]
        dir_arg: BaselineDirArg,
    },
}

/// `ron-bench export`.
#[derive(Debug, ClapArgs)]
pub struct ExportArgs {
    /// Baseline name.
    pub name: String,
    /// critcmp (critcmp --export JSON), bmf (Bencher Metric Format) or csv.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Baseline directory.
    #[command(flatten)]
    pub dir: BaselineDirArg,
}

/// `ron-bench amdahl`.
#[derive(Debug, ClapArgs)]
pub struct AmdahlArgs {
    /// Fraction of time the improved path covers, in [0, 1].
    #[arg(
        long,
        allow_hyphen_values = true,
        required_unless_present = "components",
        requires = "s"
    )]
    pub p: Option<f64>,
    /// Speedup of the improved path, > 0.
    #[arg(long, allow_hyphen_values = true, requires = "p")]
    pub s: Option<f64>,
    /// Tracker file (TOML): per component `p` and the report row (gate, cell) measuring `s`;
    /// prints the blended S against the 2x goal as a NOTES section.
    #[arg(long, value_name = "FILE", requires = "report", conflicts_with = "p")]
    pub components: Option<PathBuf>,
    /// The report (report.json of a gate or `compare --format json`) the speedups come from.
    #[arg(long, value_name = "REPORT")]
    pub report: Option<PathBuf>,
}

/// `ron-bench run`.
#[derive(Debug, Default, ClapArgs)]
pub struct RunArgs {
    /// Scenarios (comma list): steady, burst_fanout, lagged, batched, edge, latency, mixed_topic.
    /// [default: burst_fanout,steady]
    #[arg(long, value_delimiter = ',')]
    pub scenario: Vec<String>,
    /// Contenders (comma list): ron-bus, tokio-broadcast, flume, crossbeam, bus-crate. [default: all]
    #[arg(long, value_delimiter = ',')]
    pub contender: Vec<String>,
    /// Knob flags, one per row of the knob table (comma lists; each beats its variable).
    #[command(flatten)]
    pub knobs: KnobFlags,
    /// Feature combos, `;`-separated, features in a combo `,`-separated: "none;bus_batch".
    /// Each combo is one runner build. [default: none]
    #[arg(long)]
    pub features: Option<String>,
    /// Process runs per cell and build. [default: 10, --quick 5]
    #[arg(long)]
    pub rounds: Option<u32>,
    /// Samples per process run. [default: 10, --quick 5]
    #[arg(long)]
    pub samples: Option<u32>,
    /// Target duration of one sample in ms. [default: 100, --quick 40]
    #[arg(long)]
    pub window_ms: Option<u64>,
    /// Warm-up (and calibration) per process run in ms. [default: 200, --quick 80]
    #[arg(long)]
    pub warmup_ms: Option<u64>,
    /// Smaller rounds and windows: the default matrix finishes in well under 3 minutes.
    #[arg(long)]
    pub quick: bool,
    /// Extra spins per publish for the calibration-only `throttled` contender.
    #[arg(long, value_name = "SPINS", value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub throttle_spins: Option<u64>,
    /// A saved matrix (TOML); flags beat it, it beats the environment.
    #[arg(long, value_name = "FILE")]
    pub matrix: Option<PathBuf>,
    /// Where to write the run file. [default: reports/runs/run-<UTC>.json, also copied to
    /// reports/runs/latest.json]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the plan and the estimated time, then stop (nothing is built or written).
    #[arg(long)]
    pub dry_run: bool,
    /// Run only slice I of N of the matrix (1-based; deterministic: every machine computes
    /// the same slices; every contender and build of a parameter point stays in one slice).
    /// Combine the N run files with `ron-bench merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// What to measure: `time` (default) or `instructions` (callgrind instruction counts of
    /// single-thread scenarios: steady, steady_batch, metrics_hot, delivery, lag_recover; needs valgrind).
    #[arg(long, value_enum)]
    pub measure: Option<Measure>,
}

/// `ron-bench merge`.
#[derive(Debug, ClapArgs)]
pub struct MergeArgs {
    /// The shard run files (`run --shard I/N --out FILE`), every shard exactly once.
    #[arg(required = true, value_name = "RUNFILE")]
    pub files: Vec<PathBuf>,
    /// Where to write the merged run file. [default: reports/runs/merged-<UTC>.json, also
    /// copied to reports/runs/latest.json]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Merge shards measured on different kinds of machine (a warning is kept in the file).
    #[arg(long)]
    pub allow_mixed_machines: bool,
}

/// `ron-bench baseline`.
#[derive(Debug, ClapArgs)]
pub struct BaselineArgs {
    /// Baseline directory. [default: <workspace>/baselines]
    #[arg(long, env = "RON_BASELINE_DIR", global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: BaselineCommand,
}

/// Baseline subcommands.
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Save a run file as baseline NAME (default: the latest run).
    Save {
        /// Baseline name (file stem: letters, digits, '.', '_', '-').
        name: String,
        /// The run file to save. [default: reports/runs/latest.json]
        #[arg(long, value_name = "RUNFILE")]
        from: Option<PathBuf>,
        /// Replace an existing baseline of that name.
        #[arg(long)]
        force: bool,
    },
    /// List baselines.
    List {
        /// Print the list as JSON on stdout (schema `ron-bench/baseline-list/v1`,
        /// `harness/schemas/baseline-list.schema.json`).
        #[arg(long)]
        json: bool,
    },
    /// Show one baseline: provenance, machine and per-cell medians.
    Show {
        /// Baseline name.
        name: String,
    },
    /// Delete a baseline.
    Rm {
        /// Baseline name.
        name: String,
    },
}

/// The knob flags (`--burst`, `--payload`, ...): one per row of
/// [`ron_comparables::knobs::KNOBS`], with its help, variables, default and bounds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnobFlags(pub BTreeMap<Param, String>);

impl clap::FromArgMatches for KnobFlags {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = KnobFlags::default();
        flags.update_from_arg_matches(m)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        for k in &KNOBS {
            if let Some(v) = m.get_one::<String>(k.param.name()) {
                self.0.insert(k.param, v.clone());
            }
        }
        Ok(())
    }
}

impl clap::Args for KnobFlags {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        KNOBS.iter().fold(cmd, |cmd, k| {
            cmd.arg(
                clap::Arg::new(k.param.name())
                    .long(k.flag())
                    .value_name("LIST")
                    .help(k.help_line()),
            )
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// `compare --format`: the report as a NOTES block + table, JSON, or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ReportFormat {
    /// Markdown: the NOTES block and the verdict table.
    #[default]
    Md,
    /// The report as JSON.
    Json,
    /// One CSV row per verdict.
    Csv,
}

impl ReportFormat {
    /// The exporter that writes this format (a new format: its exporter in
    /// `harness/report/src/export/`, a variant here).
    pub fn exporter(self) -> Box<dyn Exporter> {
        match self {
            ReportFormat::Md => Box::new(MarkdownExporter::default()),
            ReportFormat::Json => Box::new(JsonExporter),
            ReportFormat::Csv => Box::new(CsvExporter),
        }
    }
}

/// `export --format`: formats other tools read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// critcmp's `--export` JSON.
    Critcmp,
    /// Bencher Metric Format.
    Bmf,
    /// CSV, one row per (cell, metric): rounds, median, mean, min, max, CV, MAD.
    Csv,
}

/// `calibrate --policy`: which gate's power to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CalibratePolicy {
    /// The default gate (`change`): real code-path slowdowns compiled into builds.
    #[default]
    Change,
    /// The same-tree feature gate (`features`): ron-bus vs `throttled`.
    #[value(alias = "quick")]
    Features,
}
