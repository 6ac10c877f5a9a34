//! critcmp's habits on the comparing commands (`compare`, `gate`, `notes`):
//!
//! * `--threshold PCT` replaces every gate's threshold (a regression gate's tolerance, an
//!   acceptance gate's required gain) before anything is planned or measured; a gate whose
//!   noise limit defaults to its threshold follows it. The report's notes say so.
//! * `--filter REGEX` keeps the checks whose gate id or cell id (`scenario/contender+features/
//!   params:metric`, e.g. `steady/ron-bus/burst=256/fanout=4/cap=2048:publishes_per_sec`)
//!   matches; the other cells leave the plan before evaluation, so the multiple-comparison
//!   family and the verdict counts are those of the kept checks. `gate` also skips measuring
//!   gates none of whose cells can match.

use crate::gate::jobs::{candidate_cells, Defaults};
use anyhow::{bail, Context};
use regex::Regex;
use ron_bench_report::policy::{Plan, Policy};

/// `--threshold` and `--filter`, validated.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Every gate's threshold, in percent.
    pub threshold_pct: Option<f64>,
    /// Checks to keep.
    pub filter: Option<Regex>,
}

impl Selection {
    /// Validates the flags (a threshold is a finite percentage in [0, 1000]; a filter is a
    /// regex, errors naming the flag).
    pub fn new(threshold: Option<f64>, filter: Option<&str>) -> anyhow::Result<Selection> {
        if let Some(t) = threshold {
            if !(t.is_finite() && (0.0..=1000.0).contains(&t)) {
                bail!("--threshold must be a percentage in 0..=1000 (got {t})");
            }
        }
        let filter = filter
            .map(|f| Regex::new(f).with_context(|| format!("--filter {f:?} is not a regex")))
            .transpose()?;
        Ok(Selection {
            threshold_pct: threshold,
            filter,
        })
    }

    /// The policy with `--threshold` applied.
    pub fn policy(&self, mut policy: Policy) -> Policy {
        if let Some(t) = self.threshold_pct {
            for g in &mut policy.gates {
                g.threshold_pct = t;
            }
        }
        policy
    }

    /// Notes for the report: what was overridden or left out.
    pub fn notes(&self, kept: usize, dropped: usize) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = self.threshold_pct {
            out.push(format!(
                "--threshold {t}: every gate's threshold replaced by {t}%"
            ));
        }
        if let Some(f) = &self.filter {
            out.push(format!(
                "--filter {:?}: {kept} check(s) kept, {dropped} left out",
                f.as_str()
            ));
        }
        out
    }

    /// Whether a check of gate `gate_id` on cell `cell_id` is kept.
    pub fn keeps(&self, gate_id: &str, cell_id: &str) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| f.is_match(gate_id) || (!cell_id.is_empty() && f.is_match(cell_id)))
    }

    /// Drops the checks `--filter` does not keep, and the cells only they used; returns how
    /// many checks were dropped.
    pub fn retain(&self, plan: &mut Plan) -> usize {
        if self.filter.is_none() {
            return 0;
        }
        let before = plan.checks.len();
        let cells = std::mem::take(&mut plan.cells);
        let mut remap: Vec<Option<usize>> = vec![None; cells.len()];
        let mut kept_cells = Vec::new();
        let mut checks = Vec::new();
        for mut check in std::mem::take(&mut plan.checks) {
            let cell_id = check
                .cell
                .and_then(|i| cells.get(i))
                .map_or("", |c| c.id.as_str());
            if !self.keeps(&check.rule.gate_id, cell_id) {
                continue;
            }
            if let Some(i) = check.cell {
                let j = *remap[i].get_or_insert_with(|| {
                    kept_cells.push(cells[i].clone());
                    kept_cells.len() - 1
                });
                check.cell = Some(j);
            }
            checks.push(check);
        }
        plan.cells = kept_cells;
        plan.checks = checks;
        before - plan.checks.len()
    }

    /// The policy's gates that `--filter` can keep a check of (by gate id, metric, or one of
    /// the cells the gate would measure), for `gate` to measure; an error when none can.
    pub fn measurable(&self, policy: Policy, d: &Defaults) -> anyhow::Result<Policy> {
        let Some(f) = &self.filter else {
            return Ok(policy);
        };
        let ids: Vec<String> = policy
            .gates
            .iter()
            .filter(|g| {
                f.is_match(&g.id)
                    || f.is_match(g.metric.name())
                    || candidate_cells(g, d).iter().any(|c| f.is_match(&c.id))
            })
            .map(|g| g.id.clone())
            .collect();
        if ids.is_empty() {
            bail!(
                "--filter {:?} matches no gate of policy `{}` and none of the cells its gates \
                 measure (gates: {})",
                f.as_str(),
                policy.name,
                policy
                    .gates
                    .iter()
                    .map(|g| g.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        Ok(policy.only(&ids)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ron_bench_report::analysis::{Check, Direction, GateKind, MetricKind, Rule};

    fn check(gate: &str, cell: Option<usize>) -> Check {
        Check {
            rule: Rule {
                gate_id: gate.into(),
                description: String::new(),
                kind: GateKind::Regression,
                threshold_pct: 5.0,
                noise_limit_pct: None,
                direction: Direction::HigherIsBetter,
            },
            cell,
        }
    }

    fn cell(id: &str) -> ron_bench_report::analysis::Cell {
        ron_bench_report::analysis::Cell {
            id: id.into(),
            params: Default::default(),
            metric: MetricKind::DeliveriesPerSec.metric(),
            base: vec![1.0],
            new: vec![1.0],
            paired: false,
        }
    }

    #[test]
    fn the_filter_keeps_matching_checks_and_reindexes_their_cells() {
        let mut plan = Plan {
            cells: vec![
                cell("steady/ron-bus/fanout=0:publishes_per_sec"),
                cell("burst_fanout/ron-bus/burst=256/fanout=4/cap=2048:deliveries_per_sec"),
            ],
            checks: vec![
                check("T-publish-0", Some(0)),
                check("T-fanout", Some(1)),
                check("T-lag", None),
            ],
        };
        let s = Selection::new(None, Some("fanout=4")).unwrap();
        assert_eq!(s.retain(&mut plan), 2);
        assert_eq!(plan.cells.len(), 1);
        assert_eq!(plan.checks.len(), 1);
        assert_eq!(plan.checks[0].cell, Some(0));
        assert!(plan.cells[0].id.contains("fanout=4"));
        // A gate id matches too, including a gate that matched no cell.
        let mut plan2 = Plan {
            cells: vec![cell("a:x")],
            checks: vec![check("T-lag", None), check("T-x", Some(0))],
        };
        let s = Selection::new(None, Some("^T-lag$")).unwrap();
        s.retain(&mut plan2);
        assert_eq!(plan2.checks.len(), 1);
        assert!(plan2.cells.is_empty());
    }

    #[test]
    fn flags_are_validated_naming_the_flag() {
        let e = Selection::new(Some(-1.0), None).unwrap_err();
        assert!(e.to_string().contains("--threshold"), "{e}");
        let e = Selection::new(None, Some("(")).unwrap_err();
        assert!(format!("{e:#}").contains("--filter"), "{e:#}");
        assert!(Selection::new(Some(5.0), Some("fanout")).is_ok());
    }

    #[test]
    fn the_threshold_replaces_every_gates() {
        let p = crate::gate::PolicyChoice::parse("change").load().unwrap();
        let s = Selection::new(Some(3.0), None).unwrap();
        let p = s.policy(p);
        assert!(p.gates.iter().all(|g| g.threshold_pct == 3.0));
        assert!(s.notes(1, 0)[0].contains("--threshold 3"));
    }
}
