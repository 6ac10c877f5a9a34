//! Turning a policy plus measured series into cells and checks.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Against, Bound, GateSpec, Policy, Selector, SideSpec};
use crate::analysis::{summarize, Cell, Check, Direction, Series};

/// Cells to compare and the (gate, cell) checks to evaluate, ready for
/// [`crate::analysis::evaluate`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Plan {
    /// Unique cells (deduplicated by id across gates).
    pub cells: Vec<Cell>,
    /// One check per (gate, matched cell); a gate that matched nothing gets one check with
    /// `cell: None`.
    pub checks: Vec<Check>,
}

impl Plan {
    fn add(&mut self, ids: &mut BTreeMap<String, usize>, gate: &GateSpec, cell: Cell) {
        let idx = *ids.entry(cell.id.clone()).or_insert_with(|| {
            self.cells.push(cell);
            self.cells.len() - 1
        });
        self.checks.push(Check {
            rule: gate.rule(),
            cell: Some(idx),
        });
    }
}

impl Policy {
    /// Build the plan. `against = "baseline"` gates pair `base` series with `new` series of the
    /// same scenario, contender, features, params and metric (a series only on one side
    /// becomes a cell with an empty side, i.e. `Missing`). `against = "reference"` gates look
    /// only at `new` (the current run) and pair candidates with references as described in the
    /// module docs. Base and new are paired round by round when they come from the same
    /// interleaved run with equal round counts.
    pub fn plan(&self, base: &[Series], new: &[Series]) -> Plan {
        let mut plan = Plan::default();
        let mut ids = BTreeMap::new();
        for gate in &self.gates {
            let before = plan.checks.len();
            match gate.against {
                Against::Baseline => plan_baseline(&mut plan, &mut ids, gate, base, new),
                Against::Reference => plan_reference(&mut plan, &mut ids, gate, new),
            }
            if plan.checks.len() == before {
                plan.checks.push(Check {
                    rule: gate.rule(),
                    cell: None,
                });
            }
        }
        plan
    }
}

fn plan_baseline(
    plan: &mut Plan,
    ids: &mut BTreeMap<String, usize>,
    gate: &GateSpec,
    base: &[Series],
    new: &[Series],
) {
    let key = |s: &Series| (s.scenario.clone(), s.build_id(), s.params_id());
    let wanted = |s: &Series| {
        s.metric.name == gate.metric.name()
            && scenario_ok(gate, s)
            && side_ok(&gate.candidate, s)
            && selectors_ok(&gate.select, s)
    };
    let mut seen = BTreeSet::new();
    for n in new.iter().filter(|s| wanted(s)) {
        if !seen.insert(key(n)) {
            continue;
        }
        let b = base
            .iter()
            .find(|b| b.metric.name == n.metric.name && key(b) == key(n));
        let cell = make_cell(n, b, None, "baseline");
        plan.add(ids, gate, cell);
    }
    for b in base.iter().filter(|s| wanted(s)) {
        if seen.insert(key(b)) {
            let mut cell = make_cell(b, Some(b), None, "baseline");
            cell.new.clear();
            cell.paired = false;
            plan.add(ids, gate, cell);
        }
    }
}

fn plan_reference(
    plan: &mut Plan,
    ids: &mut BTreeMap<String, usize>,
    gate: &GateSpec,
    new: &[Series],
) {
    for (ci, c) in new.iter().enumerate() {
        let is_candidate = c.metric.name == gate.metric.name()
            && scenario_ok(gate, c)
            && side_ok(&gate.candidate, c)
            && selectors_ok(&gate.select, c);
        if !is_candidate {
            continue;
        }
        let rest_c = minus(&c.features, &gate.candidate.features_on);
        let refs: Vec<&Series> = new
            .iter()
            .enumerate()
            .filter(|(ri, r)| {
                *ri != ci
                    && r.scenario == c.scenario
                    && r.metric.name == c.metric.name
                    && reference_ok(&gate.reference, c, r)
                    && minus(&r.features, &gate.reference.features_on) == rest_c
                    && params_match(&gate.reference.best_of, c, r)
            })
            .map(|(_, r)| r)
            .collect();
        let chosen = best(&refs, c.metric.direction);
        let desc = match chosen {
            Some(r) => reference_desc(&gate.reference, r),
            None => format!("{} (not measured)", side_desc(&gate.reference, c)),
        };
        plan.add(ids, gate, make_cell(c, chosen, Some(&desc), &desc));
    }
}

fn make_cell(n: &Series, b: Option<&Series>, vs: Option<&str>, reference: &str) -> Cell {
    let mut id = format!(
        "{}/{}/{}:{}",
        n.scenario,
        n.build_id(),
        n.params_id(),
        n.metric.name
    );
    if let Some(vs) = vs {
        id.push_str(" vs ");
        id.push_str(vs);
    }
    let mut params = n.params.clone();
    params.insert("scenario".into(), n.scenario.clone());
    params.insert("contender".into(), n.contender.clone());
    let features: Vec<&str> = n.features.iter().map(String::as_str).collect();
    params.insert("features".into(), features.join(","));
    params.insert("reference".into(), reference.into());
    let (base, paired) = match b {
        Some(b) => {
            let paired = b.run == n.run
                && b.interleaved
                && n.interleaved
                && b.values.len() == n.values.len();
            (b.values.clone(), paired)
        }
        None => (Vec::new(), false),
    };
    Cell {
        id,
        params,
        metric: n.metric.clone(),
        base,
        new: n.values.clone(),
        paired,
    }
}

fn minus(a: &BTreeSet<String>, b: &BTreeSet<String>) -> BTreeSet<String> {
    a.difference(b).cloned().collect()
}

fn scenario_ok(gate: &GateSpec, s: &Series) -> bool {
    gate.scenarios.is_empty() || gate.scenarios.contains(&s.scenario)
}

fn side_ok(side: &SideSpec, s: &Series) -> bool {
    (side.contenders.is_empty() || side.contenders.contains(&s.contender))
        && side.features_on.is_subset(&s.features)
        && side.features_off.is_disjoint(&s.features)
}

fn reference_ok(side: &SideSpec, c: &Series, r: &Series) -> bool {
    let contender_ok = if side.contenders.is_empty() {
        r.contender == c.contender
    } else {
        side.contenders.contains(&r.contender)
    };
    contender_ok
        && side.features_on.is_subset(&r.features)
        && side.features_off.is_disjoint(&r.features)
}

fn params_match(best_of: &[String], c: &Series, r: &Series) -> bool {
    let keep = |k: &String| !best_of.contains(k);
    let a: Vec<_> = c.params.iter().filter(|(k, _)| keep(k)).collect();
    let b: Vec<_> = r.params.iter().filter(|(k, _)| keep(k)).collect();
    a == b
}

/// The reference with the best median (first wins ties; unusable series are skipped).
fn best<'a>(refs: &[&'a Series], direction: Direction) -> Option<&'a Series> {
    let mut out: Option<(&Series, f64)> = None;
    for r in refs {
        let Some(m) = summarize(&r.values).map(|s| s.median) else {
            continue;
        };
        let better = match (out, direction) {
            (None, _) => true,
            (Some((_, cur)), Direction::HigherIsBetter) => m > cur,
            (Some((_, cur)), Direction::LowerIsBetter) => m < cur,
        };
        if better {
            out = Some((r, m));
        }
    }
    out.map(|(r, _)| r).or_else(|| refs.first().copied())
}

fn reference_desc(side: &SideSpec, r: &Series) -> String {
    let mut s = r.build_id();
    for k in &side.best_of {
        if let Some(v) = r.params.get(k) {
            s.push_str(&format!(" {k}={v}"));
        }
    }
    if !side.best_of.is_empty() {
        s.push_str(" (best)");
    }
    s
}

fn side_desc(side: &SideSpec, c: &Series) -> String {
    let who = if side.contenders.is_empty() {
        c.contender.clone()
    } else {
        side.contenders.join("|")
    };
    let feats: Vec<String> = side.features_on.iter().cloned().collect();
    if feats.is_empty() {
        who
    } else {
        format!("{who}+{}", feats.join("+"))
    }
}

fn selectors_ok(selectors: &[Selector], s: &Series) -> bool {
    selectors.iter().all(|sel| selector_ok(sel, s))
}

fn num(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

fn bound_value(b: &Bound, s: &Series) -> Option<f64> {
    match b {
        Bound::Value(v) => Some(*v),
        Bound::Param(p) => s.params.get(p).and_then(|v| num(v)),
    }
}

fn selector_ok(sel: &Selector, s: &Series) -> bool {
    match sel {
        Selector::OneOf { param, values } => s.params.get(param).is_some_and(|v| {
            values.iter().any(|want| match (num(v), num(want)) {
                (Some(a), Some(b)) => a == b,
                _ => v == want,
            })
        }),
        Selector::AtLeast { param, bound } => {
            match (
                s.params.get(param).and_then(|v| num(v)),
                bound_value(bound, s),
            ) {
                (Some(v), Some(b)) => v >= b,
                _ => false,
            }
        }
        Selector::AtMost { param, bound } => {
            match (
                s.params.get(param).and_then(|v| num(v)),
                bound_value(bound, s),
            ) {
                (Some(v), Some(b)) => v <= b,
                _ => false,
            }
        }
    }
}
