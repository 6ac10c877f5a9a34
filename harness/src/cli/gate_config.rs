//! `gate`'s config stage: raw [`GateArgs`] -> [`GateConfig`], validated once. Everything
//! downstream (the same-tree/baseline gate in `gate.rs`, the revision gate in `against.rs`)
//! reads the config, never the raw flags.

use super::args::{BaselineDirArg, GateArgs};
use super::config::{MAX_ROUNDS, MAX_SAMPLES};
use crate::gate::PolicyChoice;
use crate::spec::{features, Build, Measure, Sampling};
use anyhow::bail;
use std::path::PathBuf;

/// What the gate compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateMode {
    /// The working tree against a git base: `--against REV`, else the default base rule.
    Revision {
        /// `--against`, as given.
        against: Option<String>,
    },
    /// The current build against a saved baseline (`--baseline NAME`).
    Baseline(String),
    /// A same-tree policy (reference gates: build vs build, contender vs contender).
    SameTree,
}

/// The revision gate's sequential schedule settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookSettings {
    /// Measurement budget in seconds (counts included).
    pub budget_s: u64,
    /// Most looks.
    pub max_looks: u32,
    /// Rounds of the first look.
    pub first_rounds: u32,
}

/// Everything `gate` needs, validated.
#[derive(Debug)]
pub struct GateConfig {
    /// What is compared.
    pub mode: GateMode,
    /// The policy (the mode's default when `--policy` is not given).
    pub policy: PolicyChoice,
    /// `--run`: evaluate this run file instead of measuring.
    pub run: Option<PathBuf>,
    /// What process runs measure.
    pub measure: Measure,
    /// The sampling preset with `--rounds`/`--samples`/`--window-ms` applied.
    pub sampling: Sampling,
    /// `--quick`.
    pub quick: bool,
    /// `--features`, parsed.
    pub extra: Vec<Build>,
    /// Extra spins of the `throttled` contender.
    pub throttle_spins: u64,
    /// The revision gate's looks.
    pub looks: LookSettings,
    /// Inconclusive and missing verdicts fail.
    pub strict: bool,
    /// A policy that checked nothing passes instead of exiting 2.
    pub allow_empty: bool,
    /// Print the plan (cells, builds, skips and why) and stop before building.
    pub dry_run: bool,
    /// Exit 2 on a baseline from another machine class.
    pub require_same_machine: bool,
    /// Report directory override.
    pub out_dir: Option<PathBuf>,
    /// NOTES title label.
    pub label: Option<String>,
    /// Bootstrap seed.
    pub seed: Option<u64>,
    /// `--format`.
    pub format: super::args::GateFormat,
    /// `--threshold`, `--filter`.
    pub select: crate::gate::Selection,
    /// Baseline directory.
    pub dir: BaselineDirArg,
}

impl GateConfig {
    /// Validates `args`: the mode, the policy (its default per mode), the sampling bounds.
    pub fn new(args: &GateArgs) -> anyhow::Result<GateConfig> {
        let measure = args.measure.unwrap_or_default();
        let mode = mode(args);
        let policy = match (&args.policy, &mode) {
            (Some(p), _) => PolicyChoice::parse(p),
            (None, _) if measure == Measure::Instructions => PolicyChoice::parse("instructions"),
            (None, GateMode::Revision { .. }) => PolicyChoice::CHANGE,
            (None, GateMode::Baseline(_)) => PolicyChoice::parse("regression"),
            (None, GateMode::SameTree) => PolicyChoice::parse("features"),
        };
        Ok(GateConfig {
            policy,
            run: args.run.clone(),
            measure,
            sampling: sampling(args, measure)?,
            quick: args.quick,
            extra: match &args.features {
                Some(f) => features::parse(f)?,
                None => Vec::new(),
            },
            throttle_spins: args.throttle_spins.unwrap_or(0),
            looks: LookSettings {
                budget_s: args.budget.unwrap_or(if args.quick { 60 } else { 120 }),
                max_looks: args.max_looks.unwrap_or(5),
                first_rounds: args.rounds.unwrap_or(12),
            },
            strict: args.strict,
            allow_empty: args.allow_empty,
            dry_run: args.dry_run,
            require_same_machine: args.require_same_machine,
            out_dir: args.out_dir.clone(),
            label: args.label.clone(),
            seed: args.seed,
            format: args.format,
            select: args.select.selection()?,
            dir: BaselineDirArg {
                baseline_dir: args.dir.baseline_dir.clone(),
            },
            mode,
        })
    }
}

/// `--against`; else no `--baseline`/`--run` and either no `--policy` (default `change`) or
/// a built-in made for revisions (`change`, `revision`, `instructions`). Other policies keep
/// their own mode (same-tree reference gates, or a `--baseline`).
fn mode(args: &GateArgs) -> GateMode {
    if args.against.is_some() {
        return GateMode::Revision {
            against: args.against.clone(),
        };
    }
    if let Some(b) = &args.baseline {
        return GateMode::Baseline(b.clone());
    }
    let for_revisions = match args.policy.as_deref() {
        None => true,
        Some(name) => matches!(
            PolicyChoice::parse(name).name(),
            Some("change" | "revision" | "instructions")
        ),
    };
    if args.run.is_none() && for_revisions {
        GateMode::Revision { against: None }
    } else {
        GateMode::SameTree
    }
}

/// The preset for `measure` and `--quick`, with `--rounds`, `--samples` and `--window-ms`
/// applied within the same bounds `run` uses.
fn sampling(args: &GateArgs, measure: Measure) -> anyhow::Result<Sampling> {
    let mut s = if measure == Measure::Instructions {
        Sampling::INSTRUCTIONS
    } else if args.quick {
        Sampling::GATE_QUICK
    } else {
        Sampling::GATE_FULL
    };
    let check = |flag: &str, v: u64, max: u64| -> anyhow::Result<u64> {
        if v == 0 || v > max {
            bail!("{flag} must be in 1..={max} (got {v})");
        }
        Ok(v)
    };
    if let Some(r) = args.rounds {
        s.rounds = check("--rounds", r.into(), MAX_ROUNDS.into())? as u32;
    }
    if let Some(n) = args.samples {
        s.samples = check("--samples", n.into(), MAX_SAMPLES.into())? as u32;
    }
    if let Some(w) = args.window_ms {
        s.window_ms = check("--window-ms", w, super::config::MAX_MS)?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(f: impl FnOnce(&mut GateArgs)) -> anyhow::Result<GateConfig> {
        let mut a = GateArgs::default();
        f(&mut a);
        GateConfig::new(&a)
    }

    #[test]
    fn the_mode_picks_the_default_policy() {
        let c = cfg(|_| {}).unwrap();
        assert_eq!(c.mode, GateMode::Revision { against: None });
        assert_eq!(c.policy, PolicyChoice::CHANGE);
        let c = cfg(|a| a.baseline = Some("main".into())).unwrap();
        assert_eq!(c.mode, GateMode::Baseline("main".into()));
        assert_eq!(c.policy.name(), Some("regression"));
        let c = cfg(|a| a.policy = Some("quick".into())).unwrap();
        assert_eq!(
            (c.mode, c.policy.name()),
            (GateMode::SameTree, Some("features"))
        );
        let c = cfg(|a| a.measure = Some(Measure::Instructions)).unwrap();
        assert_eq!(c.policy.name(), Some("instructions"));
        assert_eq!(c.sampling, Sampling::INSTRUCTIONS);
        let c = cfg(|a| a.run = Some("r.json".into())).unwrap();
        assert_eq!(c.mode, GateMode::SameTree);
        let c = cfg(|a| {
            a.run = Some("r.json".into());
            a.against = Some("HEAD~1".into());
        })
        .unwrap();
        assert_eq!(
            c.mode,
            GateMode::Revision {
                against: Some("HEAD~1".into())
            }
        );
    }

    #[test]
    fn sampling_flags_are_bounded_once() {
        let c = cfg(|a| {
            a.quick = true;
            a.samples = Some(7);
        })
        .unwrap();
        assert_eq!(c.sampling.samples, 7);
        assert_eq!(c.looks.budget_s, 60);
        let e = cfg(|a| a.rounds = Some(0)).unwrap_err();
        assert!(e.to_string().contains("--rounds"), "{e}");
        let e = cfg(|a| a.window_ms = Some(u64::MAX)).unwrap_err();
        assert!(e.to_string().contains("--window-ms"), "{e}");
        let e = cfg(|a| a.features = Some("bus_warp".into())).unwrap_err();
        assert!(e.to_string().contains("bus_warp"), "{e}");
    }
}
