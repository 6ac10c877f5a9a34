//! Step 1 of the gate pipeline: the policy registry. Every built-in policy is embedded here
//! by name (files in `harness/gates/`), so `--policy NAME` and the defaults of each gate mode
//! resolve in one place; anything else is a TOML path.

use ron_bench_report::policy::Policy;
use std::path::PathBuf;

/// Built-in policies by name: `(name, aliases, file text)`. `change` is the default of
/// `ron-bench gate` (the working tree against a git base); `features` (alias `quick`) is the
/// same-tree `bus_batch` feature A/B; `revision` the older three-check revision gate.
pub const BUILT_IN: [(&str, &[&str], &str); 8] = [
    ("change", &[], include_str!("../../gates/change.toml")),
    (
        "features",
        &["quick"],
        include_str!("../../gates/features.toml"),
    ),
    ("revision", &[], include_str!("../../gates/revision.toml")),
    ("perf_gate", &[], include_str!("../../gates/perf_gate.toml")),
    (
        "perf_gate_strict",
        &[],
        include_str!("../../gates/perf_gate_strict.toml"),
    ),
    (
        "instructions",
        &[],
        include_str!("../../gates/instructions.toml"),
    ),
    ("mog", &[], include_str!("../../gates/mog.toml")),
    (
        "regression",
        &[],
        include_str!("../../gates/regression.toml"),
    ),
];

/// The names `--policy` accepts besides a file path (for help and errors).
pub fn names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(n, _, _)| *n).collect()
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
        BUILT_IN
            .iter()
            .find(|(n, aliases, _)| *n == s || aliases.contains(&s))
            .map_or_else(
                || PolicyChoice::File(PathBuf::from(s)),
                |(n, _, _)| PolicyChoice::BuiltIn(n),
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
            PolicyChoice::BuiltIn(name) => {
                let toml = BUILT_IN
                    .iter()
                    .find(|(n, _, _)| n == name)
                    .map_or("", |(_, _, t)| *t);
                Policy::from_toml(toml, &format!("embedded:gates/{name}.toml"))?
            }
            PolicyChoice::File(p) => {
                let text = crate::store::read_regular(p).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot read policy file {} (--policy; built-in policies: {}): {e}",
                        p.display(),
                        names().join(", ")
                    )
                })?;
                Policy::from_toml(&text, &p.display().to_string())?
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
