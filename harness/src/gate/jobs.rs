//! Step 2 of the gate pipeline: job derivation, policy -> (cell, build) jobs.
//!
//! `against = "reference"` gates expand to exactly the cells and builds they compare (per
//! gate: its scenarios x the contenders of both sides x the params its selectors admit x the
//! candidate and reference builds), not a cross product of everything; `against = "baseline"`
//! gates re-measure the baseline's own cells and builds, or (revision A/B) the cells their
//! selectors admit, in the base revision's build and the working tree's.

use crate::series;
use crate::spec::{Build, Cell, CellParams, JobKey, Matrix, Measure, Param};
use crate::store::RunFile;
use crate::{ContenderId, Scenario};
use ron_bench_report::policy::{Against, Bound, GateSpec, Policy, Selector};
use std::collections::BTreeSet;

/// Default knob values a derived job uses when a gate does not constrain a param.
#[derive(Debug, Clone)]
pub struct Defaults {
    /// Burst sizes.
    pub bursts: Vec<u64>,
    /// Fanouts.
    pub fanouts: Vec<u64>,
    /// Capacities.
    pub caps: Vec<u64>,
    /// Per-thread flush threshold.
    pub tls_thresh: u64,
    /// `latency` rate.
    pub rate: u64,
    /// Spins given to `throttled` cells.
    pub throttle_spins: u64,
    /// Fewer values per unconstrained range (the smallest admissible only).
    pub quick: bool,
    /// What process runs measure (`--measure`).
    pub measure: crate::spec::Measure,
}

impl Defaults {
    /// The params of a derived cell: these defaults at one (burst, fanout, cap) point.
    fn params(&self, burst: u64, fanout: u64, cap: u64) -> CellParams {
        CellParams {
            burst: Some(burst),
            fanout,
            cap,
            pub_yield: false,
            tls_thresh: self.tls_thresh,
            rate_per_sec: Some(self.rate),
            throttle_spins: self.throttle_spins,
            ..CellParams::default()
        }
    }

    /// The knob defaults of `m` (as `run` resolved them from flags and env), for jobs derived
    /// with `throttle_spins`, `quick` and `measure`.
    pub fn of_matrix(m: &Matrix, throttle_spins: u64, quick: bool, measure: Measure) -> Defaults {
        Defaults {
            bursts: m.bursts.clone(),
            fanouts: m.fanouts.clone(),
            caps: m.caps.clone(),
            tls_thresh: m.tls_thresholds.first().copied().unwrap_or(64),
            rate: m.latency_rate_per_sec,
            throttle_spins,
            quick,
            measure,
        }
    }
}

const FANOUT_LADDER: [u64; 5] = [1, 2, 4, 8, 16];
const CAP_LADDER: [u64; 5] = [64, 128, 256, 1024, 2048];

/// Values of `param` a gate admits: its `OneOf` list, else `defaults` filtered by its bounds,
/// else the ladder within the bounds (only the smallest when `quick`). `Bound::Param` bounds
/// are checked per cell later ([`bounds_ok`]).
fn admitted(
    gate: &GateSpec,
    param: &str,
    defaults: &[u64],
    ladder: &[u64],
    quick: bool,
) -> Vec<u64> {
    let mut one_of = None;
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    for s in &gate.select {
        match s {
            Selector::OneOf { param: p, values } if p == param => {
                one_of = Some(
                    values
                        .iter()
                        .filter_map(|v| v.parse::<u64>().ok())
                        .collect::<Vec<_>>(),
                );
            }
            Selector::AtLeast {
                param: p,
                bound: Bound::Value(v),
            } if p == param => lo = lo.max(*v),
            Selector::AtMost {
                param: p,
                bound: Bound::Value(v),
            } if p == param => hi = hi.min(*v),
            _ => {}
        }
    }
    if let Some(v) = one_of {
        return v;
    }
    let inside = |v: &&u64| (**v as f64) >= lo && (**v as f64) <= hi;
    let from_defaults: Vec<u64> = defaults.iter().filter(inside).copied().collect();
    if !from_defaults.is_empty() {
        return from_defaults;
    }
    let from_ladder: Vec<u64> = ladder.iter().filter(inside).copied().collect();
    if quick {
        from_ladder.into_iter().take(1).collect()
    } else {
        from_ladder
    }
}

/// Param-relative bounds (`cap_min = "burst"`) hold for `p`.
fn bounds_ok(gate: &GateSpec, p: &CellParams) -> bool {
    let get = |name: &str| {
        Param::from_name(name)
            .and_then(|q| p.get(q))
            .map(|v| v as f64)
    };
    gate.select.iter().all(|s| match s {
        Selector::AtLeast {
            param,
            bound: Bound::Param(q),
        } => match (get(param), get(q)) {
            (Some(a), Some(b)) => a >= b,
            _ => true,
        },
        Selector::AtMost {
            param,
            bound: Bound::Param(q),
        } => match (get(param), get(q)) {
            (Some(a), Some(b)) => a <= b,
            _ => true,
        },
        _ => true,
    })
}

/// The gate's candidate contenders (ron-bus when it names none).
fn candidate_contenders(gate: &GateSpec) -> Vec<ContenderId> {
    let c = contenders(&gate.candidate.contenders);
    if c.is_empty() {
        vec![ContenderId::RonBus]
    } else {
        c
    }
}

fn contenders(names: &[String]) -> Vec<ContenderId> {
    names.iter().filter_map(|n| n.parse().ok()).collect()
}

fn with_extra(features: &BTreeSet<String>, extra: &Build) -> Build {
    let mut f: Vec<String> = features.iter().cloned().collect();
    f.extend(extra.features.iter().cloned());
    Build::new(f)
}

/// What a policy needs measured.
#[derive(Debug, Clone, Default)]
pub struct Jobs {
    /// Builds, reference build first.
    pub builds: Vec<Build>,
    /// Cells.
    pub cells: Vec<Cell>,
    /// (cell, build) pairs.
    pub jobs: Vec<JobKey>,
}

impl Jobs {
    fn add(&mut self, cell: Cell, build: &Build) {
        let c = match self.cells.iter().position(|c| c.id == cell.id) {
            Some(i) => i,
            None => {
                self.cells.push(cell);
                self.cells.len() - 1
            }
        };
        let b = match self.builds.iter().position(|x| x == build) {
            Some(i) => i,
            None => {
                self.builds.push(build.clone());
                self.builds.len() - 1
            }
        };
        let key = JobKey { cell: c, build: b };
        if !self.jobs.contains(&key) {
            self.jobs.push(key);
        }
    }

    /// The matrix recorded in the run file: the union of what the jobs use.
    pub fn matrix(&self, sampling: crate::spec::Sampling, d: &Defaults) -> Matrix {
        let uniq = |f: &dyn Fn(&Cell) -> Option<u64>| {
            let mut v: Vec<u64> = self.cells.iter().filter_map(f).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let mut scenarios: Vec<Scenario> = Vec::new();
        let mut cont: Vec<ContenderId> = Vec::new();
        for c in &self.cells {
            if !scenarios.contains(&c.scenario) {
                scenarios.push(c.scenario);
            }
            if !cont.contains(&c.contender) {
                cont.push(c.contender);
            }
        }
        Matrix {
            scenarios,
            contenders: cont,
            bursts: uniq(&|c| c.params.burst),
            fanouts: uniq(&|c| Some(c.params.fanout)),
            caps: uniq(&|c| Some(c.params.cap)),
            pub_yields: vec![false],
            tls_thresholds: vec![d.tls_thresh],
            payloads: uniq(&|c| Some(c.params.payload)),
            latency_rate_per_sec: d.rate,
            builds: self.builds.clone(),
            sampling,
            quick: d.quick,
            throttle_spins: d.throttle_spins,
            measure: d.measure,
        }
    }
}

/// The jobs `policy` needs. `extra` builds (from `--features`) are added to every derived
/// build of reference gates; baseline gates re-measure `baseline`'s cells in its builds (or in
/// `extra` when given).
pub fn derive_jobs(
    policy: &Policy,
    baseline: Option<&RunFile>,
    extra: &[Build],
    d: &Defaults,
) -> Jobs {
    let mut jobs = Jobs::default();
    let none = [Build::new(vec![])];
    let extra = if extra.is_empty() { &none[..] } else { extra };
    for gate in &policy.gates {
        match gate.against {
            Against::Baseline => {
                if let Some(b) = baseline {
                    baseline_jobs(&mut jobs, gate, b, extra);
                }
            }
            Against::Reference => reference_jobs(&mut jobs, gate, extra, d),
        }
    }
    jobs
}

fn scenario_names(gate: &GateSpec) -> Vec<Scenario> {
    if gate.scenarios.is_empty() {
        crate::spec::DEFAULT_SCENARIOS.to_vec()
    } else {
        gate.scenarios
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect()
    }
}

fn baseline_jobs(jobs: &mut Jobs, gate: &GateSpec, base: &RunFile, extra: &[Build]) {
    let explicit = !(extra.len() == 1 && extra[0].features.is_empty());
    for rec in &base.cells {
        let scenario_ok =
            gate.scenarios.is_empty() || gate.scenarios.contains(&rec.scenario.to_string());
        let who_ok = gate.candidate.contenders.is_empty()
            || gate
                .candidate
                .contenders
                .contains(&rec.contender.to_string());
        if !(scenario_ok && who_ok) {
            continue;
        }
        let cell = Cell {
            id: rec.id.clone(),
            scenario: rec.scenario,
            contender: rec.contender,
            params: rec.params,
        };
        if explicit {
            for b in extra {
                jobs.add(cell.clone(), b);
            }
        } else {
            let features: Vec<String> = series::features_of(base, rec).into_iter().collect();
            jobs.add(cell, &Build::new(features));
        }
    }
}

/// The candidate cells a gate's selectors admit (its scenarios x candidate contenders x
/// admitted params), as [`reference_jobs`] expands the candidate side.
pub fn candidate_cells(gate: &GateSpec, d: &Defaults) -> Vec<Cell> {
    let cand = candidate_contenders(gate);
    let fanouts = admitted(gate, "fanout", &d.fanouts, &FANOUT_LADDER, d.quick);
    let caps = admitted(gate, "cap", &d.caps, &CAP_LADDER, d.quick);
    let bursts = admitted(gate, "burst", &d.bursts, &[256], d.quick);
    let mut out = Vec::new();
    for scenario in scenario_names(gate) {
        for &burst in &bursts {
            for &fanout in &fanouts {
                for &cap in &caps {
                    let p = d.params(burst, fanout, cap);
                    if !bounds_ok(gate, &Cell::new(scenario, cand[0], p).params) {
                        continue;
                    }
                    for &c in &cand {
                        let cell = Cell::new(scenario, c, p);
                        if !out.contains(&cell) {
                            out.push(cell);
                        }
                    }
                }
            }
        }
    }
    out
}

/// The jobs of `gate --against REV`: reference gates as in [`derive_jobs`]; baseline gates
/// measure the cells their selectors admit in the revision `sha` (the base, listed first)
/// AND in the working tree, with the same features, interleaved round by round in one run.
pub fn revision_jobs(policy: &Policy, extra: &[Build], d: &Defaults, sha: &str) -> Jobs {
    let mut jobs = Jobs::default();
    let none = [Build::new(vec![])];
    let extra = if extra.is_empty() { &none[..] } else { extra };
    for gate in &policy.gates {
        match gate.against {
            Against::Reference => reference_jobs(&mut jobs, gate, extra, d),
            Against::Baseline => {
                for x in extra {
                    let head = with_extra(&gate.candidate.features_on, x);
                    if head
                        .features
                        .iter()
                        .any(|f| gate.candidate.features_off.contains(f))
                    {
                        continue;
                    }
                    let base = Build::at_rev(head.features.clone(), sha);
                    for cell in candidate_cells(gate, d) {
                        jobs.add(cell.clone(), &base);
                        jobs.add(cell, &head);
                    }
                }
            }
        }
    }
    jobs
}

fn reference_jobs(jobs: &mut Jobs, gate: &GateSpec, extra: &[Build], d: &Defaults) {
    let cand = candidate_contenders(gate);
    let refs = {
        let r = contenders(&gate.reference.contenders);
        if r.is_empty() {
            cand.clone()
        } else {
            r
        }
    };
    let best_cap = gate.reference.best_of.iter().any(|b| b == "cap");
    let fanouts = admitted(gate, "fanout", &d.fanouts, &FANOUT_LADDER, d.quick);
    let caps = admitted(gate, "cap", &d.caps, &CAP_LADDER, d.quick);
    let bursts = admitted(gate, "burst", &d.bursts, &[256], d.quick);
    let ref_caps: Vec<u64> = if best_cap {
        if d.quick {
            vec![64, 2048]
        } else {
            vec![64, 256, 2048]
        }
    } else {
        caps.clone()
    };
    for x in extra {
        let cand_build = with_extra(&gate.candidate.features_on, x);
        let ref_build = with_extra(&gate.reference.features_on, x);
        if cand_build
            .features
            .iter()
            .any(|f| gate.candidate.features_off.contains(f))
            || ref_build
                .features
                .iter()
                .any(|f| gate.reference.features_off.contains(f))
        {
            continue;
        }
        for scenario in scenario_names(gate) {
            for &burst in &bursts {
                for &fanout in &fanouts {
                    let params = |cap| d.params(burst, fanout, cap);
                    for &cap in &caps {
                        let p = params(cap);
                        if !bounds_ok(gate, &Cell::new(scenario, cand[0], p).params) {
                            continue;
                        }
                        for &c in &cand {
                            jobs.add(Cell::new(scenario, c, p), &cand_build);
                        }
                    }
                    for &cap in &ref_caps {
                        for &r in &refs {
                            jobs.add(Cell::new(scenario, r, params(cap)), &ref_build);
                        }
                    }
                }
            }
        }
    }
}
