//! Raw command-line arguments (clap derive). Values stay text here; [`super::config`]
//! validates them so every error names its culprit the same way env knobs do.

use clap::{Args as ClapArgs, Parser, Subcommand};
use std::path::PathBuf;

/// ron-bench: env-parameterised benchmark matrices, interleaved multi-build runs, baselines.
#[derive(Debug, Parser)]
#[command(name = "ron-bench", version, about, long_about = None)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sweep a matrix (scenarios x contenders x knobs x feature builds) and write a run file.
    Run(Box<RunArgs>),
    /// Save, list, show or remove baselines.
    #[command(subcommand_required = true)]
    Baseline(BaselineArgs),
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
    /// Burst sizes (comma list); beats RON_BENCH_BURST / RON_BURST / BURST.
    #[arg(long)]
    pub burst: Option<String>,
    /// Fanouts (comma list); beats RON_BENCH_FANOUT / FANOUT.
    #[arg(long)]
    pub fanout: Option<String>,
    /// Capacities (comma list); beats RON_BENCH_CAP / RON_CAP / CAP.
    #[arg(long)]
    pub cap: Option<String>,
    /// Publisher yield after each burst, 0 or 1 (comma list); beats RON_BENCH_PUB_YIELD.
    #[arg(long)]
    pub pub_yield: Option<String>,
    /// Per-thread metrics flush thresholds (comma list); beats RON_TLS_FLUSH_THRESHOLD.
    #[arg(long)]
    pub tls_thresh: Option<String>,
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
    #[arg(long, value_name = "SPINS")]
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
    List,
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
