//! Validated configuration: raw arguments + matrix file + environment -> [`RunConfig`].
//!
//! Precedence for every setting: flag, then `--matrix` file, then environment, then default.
//! Nothing here touches the disk except reading the matrix file.

use super::args::RunArgs;
use crate::spec::knobs::{resolve, FromFile, KnobSetting};
use crate::spec::matrix_file::{self, MatrixFile, MatrixFileError};
use crate::spec::{features, Build, Matrix, Sampling, DEFAULT_LATENCY_RATE};
use crate::ContenderId;
use ron_bench_runner::scenario::UnknownScenario;
#[cfg(test)]
use ron_comparables::knobs::Param;
use ron_comparables::knobs::{KnobError, KNOBS};
use ron_comparables::UnknownContender;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A run configuration that cannot be used (exit 2). Each names its culprit.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// A knob (flag, file or env) with a bad value.
    #[error(transparent)]
    Knob(#[from] KnobError),
    /// An unknown scenario.
    #[error(transparent)]
    Scenario(#[from] UnknownScenario),
    /// An unknown contender.
    #[error(transparent)]
    Contender(#[from] UnknownContender),
    /// A bad `--features` value.
    #[error(transparent)]
    Features(#[from] features::FeatureError),
    /// A bad matrix file.
    #[error(transparent)]
    MatrixFile(#[from] MatrixFileError),
    /// A bad `--shard`.
    #[error(transparent)]
    Shard(#[from] crate::spec::shard::BadShard),
    /// `--measure instructions` on a multi-threaded scenario.
    #[error(
        "--measure instructions cannot measure scenario `{scenario}`: it runs {threads}, and \
         callgrind serialises threads (it would count a schedule, not contention); use \
         single-thread scenarios: steady, steady_batch, metrics_hot, delivery, lag_recover"
    )]
    Threaded {
        /// The scenario.
        scenario: String,
        /// What threads it runs.
        threads: String,
    },
    /// A count outside its bounds.
    #[error("{what} must be in 1..={max} (got {value})")]
    OutOfRange {
        /// The flag or key.
        what: String,
        /// The value given.
        value: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// The knob lists multiply to too many cells.
    #[error(
        "the matrix expands to {cells} cells x builds (at most {MAX_CELLS}): shorten the knob \
         lists (each list multiplies the others)"
    )]
    TooLarge {
        /// Cells times builds.
        cells: usize,
    },
}

/// Where the run file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutTarget {
    /// `--out FILE`: its directory must already exist and be writable.
    Explicit(PathBuf),
    /// `reports/runs/run-<UTC>.json` plus `latest.json`, created as needed.
    Default(PathBuf),
}

/// Everything `run` needs, validated.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The exact matrix.
    pub matrix: Matrix,
    /// Knob values and sources.
    pub knobs: Vec<KnobSetting>,
    /// Run file destination.
    pub out: OutTarget,
    /// Plan only.
    pub dry_run: bool,
    /// Use the mock executor (`RON_BENCH_MOCK=1`; test seam).
    pub mock: bool,
    /// `--shard I/N`: run only that slice.
    pub shard: Option<crate::spec::shard::Shard>,
    /// The workspace root (runner builds, default output and baseline dirs).
    pub workspace: PathBuf,
}

pub use crate::spec::DEFAULT_SCENARIOS;

impl RunConfig {
    /// Validates `args` against the matrix file and the environment `env`.
    pub fn new(
        args: &RunArgs,
        env: &dyn Fn(&str) -> Option<String>,
        workspace: &Path,
    ) -> Result<RunConfig, ConfigError> {
        let file = match &args.matrix {
            Some(p) => matrix_file::load(p)?,
            None => MatrixFile::default(),
        };
        let path = args
            .matrix
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let knobs = resolve_knobs(args, &file, &path, env)?;
        let set = &file.settings;
        let quick = args.quick || set.quick.unwrap_or(false);
        let sampling = sampling_of(args, set, quick)?;
        let mut matrix = Matrix {
            scenarios: names(&args.scenario, &set.scenarios, &DEFAULT_SCENARIOS)?,
            contenders: names(&args.contender, &set.contenders, &ContenderId::ALL)?,
            bursts: Vec::new(),
            fanouts: Vec::new(),
            caps: Vec::new(),
            pub_yields: Vec::new(),
            tls_thresholds: Vec::new(),
            payloads: Vec::new(),
            latency_rate_per_sec: DEFAULT_LATENCY_RATE,
            builds: builds(args.features.as_deref(), set.features.as_deref())?,
            sampling,
            quick,
            throttle_spins: args.throttle_spins.unwrap_or(0),
            measure: args.measure.unwrap_or_default(),
        };
        for (k, setting) in KNOBS.iter().zip(&knobs) {
            matrix.set_axis(k.param, setting.values.clone());
        }
        // The metrics crate treats thresholds below 1 as 1; record what actually runs.
        matrix.tls_thresholds = dedup(matrix.tls_thresholds.iter().map(|t| (*t).max(1)).collect());
        check_measure(&matrix)?;
        check_size(&matrix)?;
        let out = match &args.out {
            Some(p) => OutTarget::Explicit(p.clone()),
            None => OutTarget::Default(workspace.join("reports").join("runs")),
        };
        Ok(RunConfig {
            matrix,
            knobs,
            out,
            dry_run: args.dry_run,
            shard: args.shard.as_deref().map(str::parse).transpose()?,
            mock: env("RON_BENCH_MOCK").is_some_and(|v| v == "1"),
            workspace: workspace.to_path_buf(),
        })
    }
}

/// Every knob of the table: flag, then matrix file, then environment, then default.
fn resolve_knobs(
    args: &RunArgs,
    file: &MatrixFile,
    path: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<KnobSetting>, KnobError> {
    KNOBS
        .iter()
        .map(|k| {
            let flag_name = format!("--{}", k.flag());
            let flag = args
                .knobs
                .0
                .get(&k.param)
                .map(|v| (flag_name.as_str(), v.as_str()));
            let in_file = file.knobs.get(&k.param).map(|values| FromFile {
                path,
                key: k.param.name(),
                values,
            });
            resolve(k, flag, in_file, env)
        })
        .collect()
}

/// The sampling preset (`--quick` or the file's `quick`) with flags and file values applied,
/// each within its bounds.
fn sampling_of(
    args: &RunArgs,
    set: &crate::spec::matrix_file::Settings,
    quick: bool,
) -> Result<Sampling, ConfigError> {
    let base = if quick {
        Sampling::QUICK
    } else {
        Sampling::FULL
    };
    Ok(Sampling {
        rounds: bounded("--rounds", args.rounds.or(set.rounds), base.rounds)?,
        samples: bounded("--samples", args.samples.or(set.samples), base.samples)?,
        window_ms: bounded(
            "--window-ms",
            args.window_ms.or(set.window_ms),
            base.window_ms,
        )?,
        warmup_ms: bounded_ms(
            "--warmup-ms",
            args.warmup_ms.or(set.warmup_ms).unwrap_or(base.warmup_ms),
        )?,
    })
}

/// `--measure instructions` counts one thread: multi-threaded scenarios are refused.
pub fn check_measure(matrix: &Matrix) -> Result<(), ConfigError> {
    if matrix.measure != crate::spec::Measure::Instructions {
        return Ok(());
    }
    match matrix.scenarios.iter().find(|s| s.uses_threads()) {
        Some(s) => Err(ConfigError::Threaded {
            scenario: s.to_string(),
            threads: "a publisher thread plus one thread per subscriber".into(),
        }),
        None => Ok(()),
    }
}

/// Most process runs per (cell, build): each round keeps its samples in memory.
pub const MAX_ROUNDS: u32 = 10_000;
/// Most samples per process run.
pub const MAX_SAMPLES: u32 = 10_000;
/// Longest window or warm-up (one hour), so time estimates cannot overflow.
pub const MAX_MS: u64 = 3_600_000;
/// Most cells one run may expand to.
pub const MAX_CELLS: usize = 100_000;

fn bounded<T>(what: &str, v: Option<T>, default: T) -> Result<T, ConfigError>
where
    T: Copy + Into<u64>,
{
    let Some(x) = v else {
        return Ok(default);
    };
    let max = match what {
        "--rounds" => u64::from(MAX_ROUNDS),
        "--samples" => u64::from(MAX_SAMPLES),
        _ => MAX_MS,
    };
    let n: u64 = x.into();
    if n == 0 || n > max {
        return Err(ConfigError::OutOfRange {
            what: what.into(),
            value: n,
            max,
        });
    }
    Ok(x)
}

fn bounded_ms(what: &str, v: u64) -> Result<u64, ConfigError> {
    if v > MAX_MS {
        return Err(ConfigError::OutOfRange {
            what: what.into(),
            value: v,
            max: MAX_MS,
        });
    }
    Ok(v)
}

/// Refuses matrices too large to plan (the knob lists multiply), counted without expanding.
fn check_size(matrix: &Matrix) -> Result<(), ConfigError> {
    let per_contender: usize = matrix
        .scenarios
        .iter()
        .map(|s| {
            crate::spec::NESTING
                .iter()
                .map(|p| s.axis(*p, &matrix.axis(*p)).len())
                .fold(1usize, usize::saturating_mul)
        })
        .fold(0usize, usize::saturating_add);
    let cells = per_contender
        .saturating_mul(matrix.contenders.len())
        .saturating_mul(matrix.builds.len().max(1));
    if cells > MAX_CELLS {
        return Err(ConfigError::TooLarge { cells });
    }
    Ok(())
}

fn names<T>(
    flag: &[String],
    file: &Option<Vec<String>>,
    default: &[T],
) -> Result<Vec<T>, ConfigError>
where
    T: std::str::FromStr + Copy + PartialEq,
    ConfigError: From<T::Err>,
{
    let given: &[String] = if !flag.is_empty() {
        flag
    } else {
        file.as_deref().unwrap_or(&[])
    };
    if given.is_empty() {
        return Ok(default.to_vec());
    }
    let mut out = Vec::new();
    for name in given {
        let v = name.trim().parse::<T>()?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

fn builds(flag: Option<&str>, file: Option<&[String]>) -> Result<Vec<Build>, ConfigError> {
    let spec = match (flag, file) {
        (Some(f), _) => f.to_string(),
        (None, Some(list)) if !list.is_empty() => list.join(";"),
        _ => "none".to_string(),
    };
    Ok(features::parse(&spec)?)
}

fn dedup(mut v: Vec<u64>) -> Vec<u64> {
    let mut seen = Vec::new();
    v.retain(|x| {
        let new = !seen.contains(x);
        seen.push(*x);
        new
    });
    v
}

/// The workspace root: `RON_BENCH_WORKSPACE`, else the nearest ancestor of the current
/// directory holding `harness/runner/Cargo.toml`, else the source tree ron-bench was built from.
pub fn workspace_root(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(ws) = env("RON_BENCH_WORKSPACE") {
        return PathBuf::from(ws);
    }
    if let Ok(cwd) = std::env::current_dir() {
        if let Some(found) = cwd.ancestors().find(|d| {
            d.join("harness/runner/Cargo.toml").is_file() && d.join("Cargo.toml").is_file()
        }) {
            return found.to_path_buf();
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn env_of_owned(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn payload_flows_from_flag_env_and_file_into_cell_ids() {
        let mut args = RunArgs {
            scenario: vec!["delivery".into()],
            contender: vec!["ron-bus".into()],
            ..RunArgs::default()
        };
        args.knobs.0.insert(Param::Payload, "16,32".into());
        let c = RunConfig::new(&args, &env_of(&[]), Path::new("/")).unwrap();
        assert_eq!(c.matrix.payloads, vec![16, 32]);
        let ids: Vec<String> = c.matrix.cells().into_iter().map(|c| c.id).collect();
        assert!(ids[0].ends_with("/payload=16/tls_thresh=64"), "{ids:?}");
        assert_eq!(ids.len(), 2);
        let c = RunConfig::new(
            &RunArgs::default(),
            &env_of(&[("RON_BENCH_PAYLOAD", "24")]),
            Path::new("/"),
        )
        .unwrap();
        assert_eq!(c.matrix.payloads, vec![24]);
        // Scenarios that do not honour payload keep their ids.
        assert!(c.matrix.cells().iter().all(|c| !c.id.contains("payload")));
        let e = RunConfig::new(
            &RunArgs::default(),
            &env_of(&[("RON_BENCH_PAYLOAD", "12")]),
            Path::new("/"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("RON_BENCH_PAYLOAD"), "{e}");
    }

    #[test]
    fn defaults_make_the_default_matrix() {
        let c = RunConfig::new(&RunArgs::default(), &env_of(&[]), Path::new("/ws")).unwrap();
        let m = &c.matrix;
        assert_eq!(m.scenarios, DEFAULT_SCENARIOS);
        assert_eq!(m.contenders, ContenderId::ALL);
        assert_eq!(
            (m.bursts.clone(), m.fanouts.clone(), m.caps.clone()),
            (vec![256], vec![4], vec![2048])
        );
        assert_eq!(m.builds, vec![Build::new(vec![])]);
        assert_eq!(m.sampling, Sampling::FULL);
        assert_eq!(c.out, OutTarget::Default(PathBuf::from("/ws/reports/runs")));
        assert_eq!(m.cells().len(), 20);
    }

    #[test]
    fn flags_beat_env_and_lists_expand() {
        let mut args = RunArgs {
            quick: true,
            features: Some("none;bus_batch".into()),
            ..RunArgs::default()
        };
        args.knobs.0.insert(Param::Fanout, "1,2".into());
        let c = RunConfig::new(
            &args,
            &env_of(&[("FANOUT", "8"), ("RON_CAP", "64,128")]),
            Path::new("/ws"),
        )
        .unwrap();
        assert_eq!(c.matrix.fanouts, vec![1, 2]);
        assert_eq!(c.matrix.caps, vec![64, 128]);
        assert_eq!(c.matrix.builds.len(), 2);
        assert_eq!(c.matrix.sampling, Sampling::QUICK);
        assert_eq!(c.knobs[1].source, "flag --fanout");
        assert_eq!(c.knobs[2].source, "env RON_CAP");
    }

    #[test]
    fn bad_values_name_the_culprit() {
        let e = RunConfig::new(
            &RunArgs::default(),
            &env_of(&[("RON_BENCH_BURST", "abc")]),
            Path::new("/"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("RON_BENCH_BURST"), "{e}");
        let args = RunArgs {
            scenario: vec!["warp".into()],
            ..RunArgs::default()
        };
        let e = RunConfig::new(&args, &env_of(&[]), Path::new("/")).unwrap_err();
        assert!(e.to_string().contains("warp"), "{e}");
        let args = RunArgs {
            rounds: Some(0),
            ..RunArgs::default()
        };
        let e = RunConfig::new(&args, &env_of(&[]), Path::new("/")).unwrap_err();
        assert!(e.to_string().contains("--rounds"), "{e}");
        let args = RunArgs {
            rounds: Some(1_000_000_000),
            ..RunArgs::default()
        };
        let e = RunConfig::new(&args, &env_of(&[]), Path::new("/")).unwrap_err();
        assert!(
            e.to_string().contains("--rounds must be in 1..=10000"),
            "{e}"
        );
        let args = RunArgs {
            window_ms: Some(u64::MAX),
            ..RunArgs::default()
        };
        let e = RunConfig::new(&args, &env_of(&[]), Path::new("/")).unwrap_err();
        assert!(e.to_string().contains("--window-ms"), "{e}");
        let e = RunConfig::new(
            &RunArgs::default(),
            &env_of(&[("RON_BENCH_FANOUT", "18446744073709551615")]),
            Path::new("/"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("RON_BENCH_FANOUT"), "{e}");
        let many: String = (1..=60).map(|v| format!("{v},")).collect::<String>() + "61";
        let e = RunConfig::new(
            &RunArgs::default(),
            &env_of_owned(vec![
                ("RON_BENCH_BURST", many.clone()),
                ("RON_BENCH_FANOUT", "1,2,3,4,5,6,7,8,9,10".into()),
                ("RON_BENCH_CAP", many),
            ]),
            Path::new("/"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("cells"), "{e}");
    }

    #[test]
    fn tls_threshold_zero_clamps_to_one() {
        let c = RunConfig::new(
            &RunArgs::default(),
            &env_of(&[("RON_TLS_FLUSH_THRESHOLD", "0,1,64")]),
            Path::new("/"),
        )
        .unwrap();
        assert_eq!(c.matrix.tls_thresholds, vec![1, 64]);
    }
}
