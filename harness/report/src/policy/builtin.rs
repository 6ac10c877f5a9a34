//! The built-in policies, all in one place: each file of `harness/gates/` embedded by name
//! (a binary needs no files). `include = ["NAME"]` in a policy resolves against this table,
//! so a gate shared by several policies (the seed's `PG-*` perf gates) is written once.

/// `(name, aliases, file text)`. `change` is the default of `ron-bench gate` (the working tree
/// against a git base); `features` (alias `quick`) the same-tree `bus_batch` feature A/B;
/// `revision` the older three-check revision gate; `perf_gate` the seed's perf gate, which
/// `perf_gate_strict` and `mog` include.
pub const BUILT_IN: [(&str, &[&str], &str); 9] = [
    ("change", &[], include_str!("../../../gates/change.toml")),
    (
        "features",
        &["quick"],
        include_str!("../../../gates/features.toml"),
    ),
    (
        "revision",
        &[],
        include_str!("../../../gates/revision.toml"),
    ),
    (
        "perf_gate",
        &[],
        include_str!("../../../gates/perf_gate.toml"),
    ),
    (
        "perf_gate_strict",
        &[],
        include_str!("../../../gates/perf_gate_strict.toml"),
    ),
    (
        "instructions",
        &[],
        include_str!("../../../gates/instructions.toml"),
    ),
    ("mog", &[], include_str!("../../../gates/mog.toml")),
    (
        "regression",
        &[],
        include_str!("../../../gates/regression.toml"),
    ),
    (
        "criterion",
        &[],
        include_str!("../../../gates/criterion.toml"),
    ),
];

/// The canonical name of built-in `name` (or one of its aliases).
pub fn canonical(name: &str) -> Option<&'static str> {
    BUILT_IN
        .iter()
        .find(|(n, aliases, _)| *n == name || aliases.contains(&name))
        .map(|(n, _, _)| *n)
}

/// The text and origin label of built-in `name` (or alias).
pub fn source(name: &str) -> Option<(&'static str, String)> {
    let name = canonical(name)?;
    BUILT_IN
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(n, _, text)| (*text, format!("embedded:gates/{n}.toml")))
}

/// Every canonical name, in table order.
pub fn names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(n, _, _)| *n).collect()
}
