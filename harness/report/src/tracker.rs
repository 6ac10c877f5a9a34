//! The Amdahl tracker (seed 000 section 8): per component, the covered fraction `p` of CPU
//! time (an input: from a profile) and the speedup `s` of those paths measured by a report
//! row; the blended overall speedup `S = 1 / ((1 - Σp) + Σ p/s)` against the program goal
//! (2x), and the uniform path speedup the goal would need ([`required_speedup`]).
//!
//! Components are declared in TOML:
//!
//! ```toml
//! goal = 2.0                      # optional, default 2.0
//! [[component]]
//! name = "bus publish"
//! p = 0.35                        # fraction of CPU time in the covered paths, from a profile
//! gate = "throughput-publishes"   # the report row measuring s ...
//! cell = "steady/ron-bus"         # ... whose cell id contains this (optional)
//! ```
//!
//! `s` comes from the row's change of the median: `1 + Δ` for a higher-is-better metric
//! (throughput), `1 / (1 + Δ)` for a lower-is-better one (time, CPU per message).

use serde::{Deserialize, Serialize};

use crate::analysis::{amdahl, required_speedup, AmdahlError, Direction};
use crate::report::{Report, Row};

/// The seeds' program goal: a blended 2x.
pub const GOAL: f64 = 2.0;

fn goal() -> f64 {
    GOAL
}

/// One component as declared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    /// Name in the table.
    pub name: String,
    /// Covered fraction of CPU time, in `[0, 1]`.
    pub p: f64,
    /// Gate id of the row that measures `s`.
    pub gate: String,
    /// Text the row's cell id must contain (when the gate has several rows).
    #[serde(default)]
    pub cell: Option<String>,
}

/// The tracker file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerSpec {
    /// Target overall speedup.
    #[serde(default = "goal")]
    pub goal: f64,
    /// Components (`[[component]]`).
    #[serde(rename = "component")]
    pub components: Vec<ComponentSpec>,
}

/// One component with its measured speedup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ComponentSpeedup {
    /// Name.
    pub name: String,
    /// Covered fraction.
    pub p: f64,
    /// Measured path speedup.
    pub s: f64,
    /// Which row measured it (`gate cell (+x.x%)`).
    pub source: String,
}

/// The tracker's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AmdahlSummary {
    /// Components.
    pub components: Vec<ComponentSpeedup>,
    /// `Σp`.
    pub covered: f64,
    /// Blended overall speedup `S`.
    pub overall: f64,
    /// Goal.
    pub goal: f64,
    /// `S >= goal`.
    pub met: bool,
    /// Uniform path speedup the goal needs on the covered paths; `None`: unreachable.
    pub required_speedup: Option<f64>,
    /// `1 / (1 - Σp)`: the ceiling with infinitely fast covered paths.
    pub limit: f64,
}

/// Bad tracker input.
#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    /// The TOML did not parse.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// No row measured a component.
    #[error(
        "component `{name}`: no row of gate `{gate}`{cell} with a measured change in the report"
    )]
    NoRow {
        /// Component.
        name: String,
        /// Gate id.
        gate: String,
        /// ` and a cell containing ...` or empty.
        cell: String,
    },
    /// Bad `p`, `s`, goal or `Σp > 1`.
    #[error("component `{name}`: {source}")]
    Amdahl {
        /// Component (or `all` for the blend).
        name: String,
        /// Why.
        source: AmdahlError,
    },
}

impl TrackerSpec {
    /// Parses the tracker TOML; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<TrackerSpec, TrackerError> {
        toml::from_str(text).map_err(|e| TrackerError::Parse {
            file: file.into(),
            message: e.to_string(),
        })
    }
}

/// The path speedup a row measured.
fn speedup(row: &Row) -> Option<f64> {
    let d = row.delta_pct.filter(|d| d.is_finite() && *d > -100.0)? / 100.0;
    Some(match row.metric.as_ref()?.direction {
        Direction::HigherIsBetter => 1.0 + d,
        Direction::LowerIsBetter => 1.0 / (1.0 + d),
    })
}

fn component(report: &Report, c: &ComponentSpec) -> Result<ComponentSpeedup, TrackerError> {
    let row = report
        .rows
        .iter()
        .filter(|r| r.gate_id == c.gate)
        .filter(|r| c.cell.as_deref().is_none_or(|s| r.cell.contains(s)))
        .find_map(|r| speedup(r).map(|s| (r, s)));
    let Some((row, s)) = row else {
        return Err(TrackerError::NoRow {
            name: c.name.clone(),
            gate: c.gate.clone(),
            cell: c
                .cell
                .as_ref()
                .map(|s| format!(" and a cell containing `{s}`"))
                .unwrap_or_default(),
        });
    };
    amdahl(c.p, s).map_err(|source| TrackerError::Amdahl {
        name: c.name.clone(),
        source,
    })?;
    Ok(ComponentSpeedup {
        name: c.name.clone(),
        p: c.p,
        s,
        source: format!(
            "{} {} ({})",
            row.gate_id,
            row.cell,
            crate::export::pct(row.delta_pct)
        ),
    })
}

/// `S = 1 / ((1 - Σp) + Σ p_i / s_i)`; `Σp` must not exceed 1.
///
/// ```
/// use ron_bench_report::tracker::blended;
/// // 40% of the time 3x faster, 20% 1.5x faster: S = 1/(0.4 + 0.4/3 + 0.2/1.5) = 1.5
/// assert!((blended(&[(0.4, 3.0), (0.2, 1.5)]).unwrap() - 1.5).abs() < 1e-12);
/// assert!(blended(&[(0.7, 2.0), (0.6, 2.0)]).is_err());
/// ```
pub fn blended(parts: &[(f64, f64)]) -> Result<f64, AmdahlError> {
    let covered: f64 = parts.iter().map(|p| p.0).sum();
    for &(p, s) in parts {
        amdahl(p, s)?;
    }
    if covered > 1.0 + 1e-12 {
        return Err(AmdahlError::Fraction(covered));
    }
    let time: f64 = (1.0 - covered).max(0.0) + parts.iter().map(|(p, s)| p / s).sum::<f64>();
    Ok(1.0 / time)
}

/// The tracker over `report`.
pub fn track(report: &Report, spec: &TrackerSpec) -> Result<AmdahlSummary, TrackerError> {
    let components = spec
        .components
        .iter()
        .map(|c| component(report, c))
        .collect::<Result<Vec<_>, _>>()?;
    let parts: Vec<(f64, f64)> = components.iter().map(|c| (c.p, c.s)).collect();
    let all = |source| TrackerError::Amdahl {
        name: "all".into(),
        source,
    };
    let overall = blended(&parts).map_err(all)?;
    let covered: f64 = parts.iter().map(|p| p.0).sum();
    Ok(AmdahlSummary {
        components,
        covered,
        overall,
        goal: spec.goal,
        met: overall >= spec.goal,
        required_speedup: required_speedup(covered.min(1.0), spec.goal).ok(),
        limit: if covered < 1.0 {
            1.0 / (1.0 - covered)
        } else {
            f64::INFINITY
        },
    })
}

/// The NOTES section (Markdown).
pub fn markdown(a: &AmdahlSummary) -> String {
    let mut s = String::from("\nAmdahl tracker (S = 1/((1-p)+p/s), seed 000 section 8):\n\n");
    s.push_str("| component | p | s (measured) | from |\n|---|---:|---:|---|\n");
    for c in &a.components {
        s.push_str(&format!(
            "| {} | {:.0}% | {:.3}x | {} |\n",
            c.name,
            c.p * 100.0,
            c.s,
            c.source
        ));
    }
    let need = a.required_speedup.map_or_else(
        || {
            format!(
                "unreachable: the ceiling is {:.2}x with p = {:.0}%",
                a.limit,
                a.covered * 100.0
            )
        },
        |r| format!("{r:.2}x on every covered path"),
    );
    s.push_str(&format!(
        "\n- Blended S = {:.3}x (covered p = {:.0}%) vs goal {:.1}x: {}\n- Required speedup for {:.1}x: {need}\n",
        a.overall,
        a.covered * 100.0,
        a.goal,
        if a.met { "met" } else { "not met" },
        a.goal
    ));
    s
}
