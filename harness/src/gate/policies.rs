//! Step 1 of the gate pipeline: which policy a command uses. Built-in policies come from the
//! one registry, `ron_bench_report::policy::builtin` (files in `harness/gates/`, embedded by
//! name; `include` resolves there too); anything else is a TOML path.

use ron_bench_report::policy::Policy;
use std::path::PathBuf;

pub use ron_bench_report::policy::builtin::{names, BUILT_IN};
use ron_bench_report::policy::Vocabulary;

/// The names policies are checked against: the runner's scenarios, every contender (with
/// the calibration-only `throttled`), the runner's features and the knob table's params.
/// Handed to the report crate, which keeps no copy of them.
pub fn vocabulary() -> Vocabulary {
    use crate::spec::Param;
    use crate::{ContenderId, Scenario};
    Vocabulary {
        scenarios: Scenario::ALL.iter().map(|s| s.name().into()).collect(),
        contenders: ContenderId::ALL
            .iter()
            .chain([&ContenderId::Throttled])
            .map(|c| c.name().into())
            .collect(),
        features: crate::spec::features::known(),
        params: Param::ALL
            .into_iter()
            .filter(|p| *p != Param::ThrottleSpins)
            .map(|p| p.name().into())
            .collect(),
    }
}

/// Which policy a command uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyChoice {
    /// A built-in policy (see [`BUILT_IN`]), by canonical name.
    BuiltIn(&'static str),
    /// A TOML file.
    File(PathBuf),
}

impl PolicyChoice {
    /// The default of `ron-bench gate` without `--baseline` or `--policy`.
    pub const CHANGE: PolicyChoice = PolicyChoice::BuiltIn("change");

    /// A built-in name or alias, else a path.
    pub fn parse(s: &str) -> PolicyChoice {
        ron_bench_report::policy::builtin::canonical(s).map_or_else(
            || PolicyChoice::File(PathBuf::from(s)),
            PolicyChoice::BuiltIn,
        )
    }

    /// The canonical name of a built-in policy.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            PolicyChoice::BuiltIn(n) => Some(n),
            PolicyChoice::File(_) => None,
        }
    }

    /// Loads and validates the policy (errors name the file and line).
    pub fn load(&self) -> anyhow::Result<Policy> {
        Ok(match self {
            PolicyChoice::BuiltIn(name) => Policy::built_in(name, &vocabulary())?,
            PolicyChoice::File(p) => {
                let text = crate::store::read_regular(p).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot read policy file {} (--policy; built-in policies: {}): {e}",
                        p.display(),
                        names().join(", ")
                    )
                })?;
                Policy::from_toml(&text, &p.display().to_string(), &vocabulary())?
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_policy_loads_and_aliases_resolve() {
        for name in names() {
            let p = PolicyChoice::parse(name);
            assert_eq!(p.name(), Some(name));
            let policy = p.load().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!policy.gates.is_empty(), "{name} has no gates");
        }
        // Names outside the vocabulary are refused (the report crate checks what it is handed).
        let text = "name = \"x\"\n[[gate]]\nid = \"g\"\ndescription = \"d\"\nkind = \"regression\"\nmetric = \"publishes_per_sec\"\nthreshold_pct = 5.0\nscenarios = [\"warp\"]\nagainst = \"baseline\"\n";
        let e = Policy::from_toml(text, "x.toml", &vocabulary()).unwrap_err();
        assert!(
            e.to_string().contains("x.toml:8") && e.to_string().contains("warp"),
            "{e}"
        );
        assert_eq!(
            PolicyChoice::parse("quick"),
            PolicyChoice::BuiltIn("features")
        );
        assert_eq!(
            PolicyChoice::parse("gates/x.toml"),
            PolicyChoice::File("gates/x.toml".into())
        );
    }
}
