//! Validated configuration: raw arguments + matrix file + environment -> [`RunConfig`].
//!
//! Precedence for every setting: flag, then `--matrix` file, then environment, then default.
//! Nothing here touches the disk except reading the matrix file.

use super::args::RunArgs;
use crate::spec::knobs::{as_bools, resolve, FromFile, KnobSetting};
use crate::spec::matrix_file::{self, MatrixFile, MatrixFileError};
use crate::spec::{features, Build, Matrix, Sampling, DEFAULT_LATENCY_RATE};
use crate::{ContenderId, Scenario};
use ron_bench_runner::scenario::UnknownScenario;
use ron_comparables::knobs::{self, KnobError};
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
    /// A count that must be positive.
    #[error("{what} must be at least 1 (got 0)")]
    Zero {
        /// The flag or key.
        what: String,
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

/// The default scenarios.
pub const DEFAULT_SCENARIOS: [Scenario; 2] = [Scenario::BurstFanout, Scenario::Steady];

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
        let knob = |k, flag: &'static str, val: &Option<String>, f| {
            resolve(k, val.as_deref().map(|v| (flag, v)), f, env)
        };
        let burst = knob(
            &knobs::BURST,
            "--burst",
            &args.burst,
            from_file(&path, "burst", &file.burst),
        )?;
        let fanout = knob(
            &knobs::FANOUT,
            "--fanout",
            &args.fanout,
            from_file(&path, "fanout", &file.fanout),
        )?;
        let cap = knob(
            &knobs::CAP,
            "--cap",
            &args.cap,
            from_file(&path, "cap", &file.cap),
        )?;
        let pub_yield = knob(
            &knobs::PUB_YIELD,
            "--pub-yield",
            &args.pub_yield,
            from_file(&path, "pub_yield", &file.pub_yield),
        )?;
        let tls = knob(
            &knobs::TLS_FLUSH_THRESHOLD,
            "--tls-thresh",
            &args.tls_thresh,
            from_file(&path, "tls_thresh", &file.tls_thresh),
        )?;

        let quick = args.quick || file.quick.unwrap_or(false);
        let base = if quick {
            Sampling::QUICK
        } else {
            Sampling::FULL
        };
        let sampling = Sampling {
            rounds: positive("--rounds", args.rounds.or(file.rounds), base.rounds)?,
            samples: positive("--samples", args.samples.or(file.samples), base.samples)?,
            window_ms: positive(
                "--window-ms",
                args.window_ms.or(file.window_ms),
                base.window_ms,
            )?,
            warmup_ms: args.warmup_ms.or(file.warmup_ms).unwrap_or(base.warmup_ms),
        };

        let matrix = Matrix {
            scenarios: names(&args.scenario, &file.scenarios, &DEFAULT_SCENARIOS)?,
            contenders: names(&args.contender, &file.contenders, &ContenderId::ALL)?,
            bursts: burst.values.clone(),
            fanouts: fanout.values.clone(),
            caps: cap.values.clone(),
            pub_yields: as_bools(&pub_yield)?,
            // The bus clamps thresholds below 1 to 1; record what actually runs.
            tls_thresholds: dedup(tls.values.iter().map(|t| (*t).max(1)).collect()),
            latency_rate_per_sec: DEFAULT_LATENCY_RATE,
            builds: builds(args.features.as_deref(), file.features.as_deref())?,
            sampling,
            quick,
            throttle_spins: args.throttle_spins.unwrap_or(0),
            measure: crate::spec::Measure::parse(args.measure.as_deref()),
        };
        check_measure(&matrix)?;
        let out = match &args.out {
            Some(p) => OutTarget::Explicit(p.clone()),
            None => OutTarget::Default(workspace.join("reports").join("runs")),
        };
        Ok(RunConfig {
            matrix,
            knobs: vec![burst, fanout, cap, pub_yield, tls],
            out,
            dry_run: args.dry_run,
            shard: args.shard.as_deref().map(str::parse).transpose()?,
            mock: env("RON_BENCH_MOCK").is_some_and(|v| v == "1"),
            workspace: workspace.to_path_buf(),
        })
    }
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

fn from_file<'a>(path: &'a str, key: &'a str, v: &'a Option<Vec<u64>>) -> Option<FromFile<'a>> {
    v.as_deref().map(|values| FromFile { path, key, values })
}

fn positive<T: Copy + PartialEq + From<u8>>(
    what: &str,
    v: Option<T>,
    default: T,
) -> Result<T, ConfigError> {
    match v {
        Some(x) if x == T::from(0) => Err(ConfigError::Zero { what: what.into() }),
        Some(x) => Ok(x),
        None => Ok(default),
    }
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
        let args = RunArgs {
            fanout: Some("1,2".into()),
            quick: true,
            features: Some("none;bus_batch".into()),
            ..RunArgs::default()
        };
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
