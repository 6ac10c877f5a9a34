//! From a gate policy to measured jobs, and from run files to a [`Report`].
//!
//! * [`PolicyChoice`]: `--policy FILE|mog|regression|quick`; `quick` is embedded from
//!   `harness/gates/quick.toml` (the default of `gate` without a baseline).
//! * [`derive_jobs`]: what a policy needs measured. `against = "reference"` gates expand to
//!   exactly the cells and builds they compare (per gate: its scenarios x the contenders of
//!   both sides x the params its selectors admit x the candidate and reference builds), not
//!   a cross product of everything; `against = "baseline"` gates re-measure the baseline's
//!   own cells and builds.
//! * [`analyze`]: run files -> [`Series`] (see [`crate::series`]) -> `policy.plan` ->
//!   `evaluate` -> [`Report::build`] with points, wake metrics and counter sanity. Every
//!   verdict comes from the report crate; this module only maps and assembles.

use crate::series::{self, Side};
use crate::spec::{cell_id, Build, Cell, JobKey, Matrix, Params};
use crate::store::{Machine, RunFile};
use crate::{ContenderId, Scenario};
use ron_bench_report::analysis::{evaluate, AnalysisConfig, Evaluation, Series};
use ron_bench_report::policy::{Against, Bound, GateSpec, Plan as GatePlan, Policy, Selector};
use ron_bench_report::report::{Meta, Report};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The embedded quick policy (`harness/gates/quick.toml`).
pub const QUICK_TOML: &str = include_str!("../gates/quick.toml");

/// Policies embedded by name besides `quick`, `mog` and `regression` (files in
/// `harness/gates/`): `revision` (default of `gate --against`), `perf_gate` and
/// `perf_gate_strict` (scripts/perf_gate.sh), `instructions` (`--measure instructions`).
pub const EMBEDDED: [(&str, &str); 4] = [
    ("revision", include_str!("../gates/revision.toml")),
    ("perf_gate", include_str!("../gates/perf_gate.toml")),
    (
        "perf_gate_strict",
        include_str!("../gates/perf_gate_strict.toml"),
    ),
    ("instructions", include_str!("../gates/instructions.toml")),
];

/// Which policy a command uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyChoice {
    /// The embedded quick policy.
    Quick,
    /// The embedded MOG policy.
    Mog,
    /// The embedded regression policy.
    Regression,
    /// Another embedded policy (see [`EMBEDDED`]).
    Embedded(&'static str),
    /// A TOML file.
    File(PathBuf),
}

impl PolicyChoice {
    /// `quick`, `mog`, `regression`, an [`EMBEDDED`] name, or a path.
    pub fn parse(s: &str) -> PolicyChoice {
        match s {
            "quick" => PolicyChoice::Quick,
            "mog" => PolicyChoice::Mog,
            "regression" => PolicyChoice::Regression,
            name => match EMBEDDED.iter().find(|(n, _)| *n == name) {
                Some((n, _)) => PolicyChoice::Embedded(n),
                None => PolicyChoice::File(PathBuf::from(name)),
            },
        }
    }

    /// Loads and validates the policy (errors name the file and line).
    pub fn load(&self) -> anyhow::Result<Policy> {
        Ok(match self {
            PolicyChoice::Quick => Policy::from_toml(QUICK_TOML, "embedded:gates/quick.toml")?,
            PolicyChoice::Mog => Policy::mog()?,
            PolicyChoice::Regression => Policy::regression()?,
            PolicyChoice::Embedded(name) => {
                let toml = EMBEDDED
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or("", |(_, t)| *t);
                Policy::from_toml(toml, &format!("embedded:gates/{name}.toml"))?
            }
            PolicyChoice::File(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    anyhow::anyhow!("cannot read policy file {} (--policy): {e}", p.display())
                })?;
                Policy::from_toml(&text, &p.display().to_string())?
            }
        })
    }
}

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

const FANOUT_LADDER: [u64; 5] = [1, 2, 4, 8, 16];
const CAP_LADDER: [u64; 5] = [64, 128, 256, 1024, 2048];
const DEFAULT_SCENARIOS: [Scenario; 2] = [Scenario::Steady, Scenario::BurstFanout];

/// A cell with explicit parameters (the same shape [`Matrix::cells`] produces).
pub fn make_cell(scenario: Scenario, contender: ContenderId, p: Params) -> Cell {
    let params = Params {
        burst: p.burst.filter(|_| scenario.uses_burst()),
        cap: scenario.fixed_cap().unwrap_or(p.cap),
        pub_yield: p.pub_yield && scenario.uses_pub_yield(),
        rate_per_sec: p.rate_per_sec.filter(|_| scenario.uses_rate()),
        throttle_spins: if contender == ContenderId::Throttled {
            p.throttle_spins
        } else {
            0
        },
        ..p
    };
    Cell {
        id: cell_id(scenario, contender, &params),
        scenario,
        contender,
        params,
    }
}

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
fn bounds_ok(gate: &GateSpec, p: &Params) -> bool {
    let get = |name: &str| -> Option<f64> {
        match name {
            "burst" => p.burst.map(|b| b as f64),
            "fanout" => Some(p.fanout as f64),
            "cap" => Some(p.cap as f64),
            "tls_thresh" => Some(p.tls_thresh as f64),
            _ => None,
        }
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
        let mut scenarios: Vec<Scenario> = self.cells.iter().map(|c| c.scenario).collect();
        scenarios.dedup();
        let mut cont: Vec<ContenderId> = Vec::new();
        for c in &self.cells {
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
        DEFAULT_SCENARIOS.to_vec()
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
fn candidate_cells(gate: &GateSpec, d: &Defaults) -> Vec<Cell> {
    let cand = {
        let c = contenders(&gate.candidate.contenders);
        if c.is_empty() {
            vec![ContenderId::RonBus]
        } else {
            c
        }
    };
    let fanouts = admitted(gate, "fanout", &d.fanouts, &FANOUT_LADDER, d.quick);
    let caps = admitted(gate, "cap", &d.caps, &CAP_LADDER, d.quick);
    let bursts = admitted(gate, "burst", &d.bursts, &[256], d.quick);
    let mut out = Vec::new();
    for scenario in scenario_names(gate) {
        for &burst in &bursts {
            for &fanout in &fanouts {
                for &cap in &caps {
                    let p = Params {
                        burst: Some(burst),
                        fanout,
                        cap,
                        pub_yield: false,
                        tls_thresh: d.tls_thresh,
                        rate_per_sec: Some(d.rate),
                        throttle_spins: d.throttle_spins,
                    };
                    if !bounds_ok(gate, &make_cell(scenario, cand[0], p).params) {
                        continue;
                    }
                    for &c in &cand {
                        let cell = make_cell(scenario, c, p);
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
    let cand = {
        let c = contenders(&gate.candidate.contenders);
        if c.is_empty() {
            vec![ContenderId::RonBus]
        } else {
            c
        }
    };
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
                    let params = |cap| Params {
                        burst: Some(burst),
                        fanout,
                        cap,
                        pub_yield: false,
                        tls_thresh: d.tls_thresh,
                        rate_per_sec: Some(d.rate),
                        throttle_spins: d.throttle_spins,
                    };
                    for &cap in &caps {
                        let p = params(cap);
                        if !bounds_ok(gate, &make_cell(scenario, cand[0], p).params) {
                            continue;
                        }
                        for &c in &cand {
                            jobs.add(make_cell(scenario, c, p), &cand_build);
                        }
                    }
                    for &cap in &ref_caps {
                        for &r in &refs {
                            jobs.add(make_cell(scenario, r, params(cap)), &ref_build);
                        }
                    }
                }
            }
        }
    }
}

/// Splits a `gate --against` run into the base side (cells of builds compiled from `sha`,
/// relabelled as the working-tree build with the same features, env git sha = `sha`, clean)
/// and the head side (every other cell). Both keep the run's identity, so their rounds pair.
pub fn split_revision(run: &RunFile, sha: &str) -> (RunFile, RunFile) {
    let is_base = |label: &str| {
        run.builds
            .iter()
            .any(|b| b.build.label == label && b.build.rev.as_deref() == Some(sha))
    };
    let head_label = |label: &str| {
        run.builds
            .iter()
            .find(|b| b.build.label == label)
            .map_or_else(|| label.to_string(), |b| b.build.head().label)
    };
    let mut base = run.clone();
    base.builds = run
        .builds
        .iter()
        .filter(|b| b.build.rev.as_deref() == Some(sha))
        .map(|b| crate::store::BuildRecord {
            build: b.build.head(),
            runner_sha256: b.runner_sha256.clone(),
        })
        .collect();
    base.cells = run
        .cells
        .iter()
        .filter(|c| is_base(&c.build))
        .map(|c| crate::store::CellRecord {
            build: head_label(&c.build),
            ..c.clone()
        })
        .collect();
    base.skipped = run
        .skipped
        .iter()
        .filter(|s| is_base(&s.build))
        .map(|s| crate::store::SkippedCell {
            build: head_label(&s.build),
            ..s.clone()
        })
        .collect();
    base.env.git_sha = Some(sha.to_string());
    base.env.git_dirty = Some(false);
    let mut head = run.clone();
    head.builds.retain(|b| b.build.rev.as_deref() != Some(sha));
    head.cells.retain(|c| !is_base(&c.build));
    head.skipped.retain(|s| !is_base(&s.build));
    (base, head)
}

/// Inputs of one analysis.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// The stored baseline (name and run), if any.
    pub baseline: Option<(&'a str, &'a RunFile)>,
    /// The new run and its label (file name).
    pub run: (&'a str, &'a RunFile),
    /// `--label`.
    pub label: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Analysis settings.
    pub analysis: AnalysisConfig,
    /// The baseline was measured in the same run as `run`, interleaved round by round
    /// (`gate --against`): its rounds pair with the run's.
    pub paired_baseline: bool,
}

/// The result of [`analyze`].
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The plan (cells and checks).
    pub plan: GatePlan,
    /// Its evaluation.
    pub eval: Evaluation,
    /// The report every exporter reads.
    pub report: Report,
    /// Series of the new run.
    pub series: Vec<Series>,
}

/// One line describing a machine.
pub fn describe_machine(run: &RunFile) -> String {
    let m = &run.env.machine;
    format!(
        "{}, {} logical cores, {:.1} GiB, {} / kernel {}, {}",
        m.cpu_model.as_deref().unwrap_or("unknown cpu"),
        m.logical_cores,
        m.memory_bytes as f64 / (1u64 << 30) as f64,
        m.os.as_deref().unwrap_or("unknown os"),
        m.kernel.as_deref().unwrap_or("?"),
        run.env.rustc.as_deref().unwrap_or("unknown rustc"),
    )
}

/// Whether `base` was measured on another kind of machine than `new`.
pub fn cross_machine(base: &Machine, new: &Machine) -> bool {
    !base.same_kind(new)
}

/// Maps the run files to series, plans, evaluates and builds the report (pure).
pub fn analyze(policy: &Policy, inp: &Inputs<'_>) -> Analysis {
    let (run_label, run) = inp.run;
    let new = series::series_of(run_label, run);
    let base: Vec<Series> = inp
        .baseline
        .map(|(name, b)| {
            // Same run identity when interleaved with the run, so the rounds pair.
            let label = if inp.paired_baseline {
                run_label.to_string()
            } else {
                format!("baseline:{name}")
            };
            series::series_of(&label, b)
        })
        .unwrap_or_default();
    let cross = inp
        .baseline
        .is_some_and(|(_, b)| cross_machine(&b.env.machine, &run.env.machine));
    let mut analysis = inp.analysis;
    analysis.gate.cross_machine = cross;
    let plan = policy.plan(&base, &new);
    let eval = evaluate(&plan.cells, &plan.checks, &analysis);
    let mut features_on: BTreeSet<String> = BTreeSet::new();
    for b in &run.builds {
        features_on.extend(b.build.features.iter().cloned());
    }
    let mut notes = Vec::new();
    if run.executor == "mock" || inp.baseline.is_some_and(|(_, b)| b.executor == "mock") {
        notes.push("mock executor: synthetic numbers (test seam), not a measurement".to_string());
    }
    if cross {
        if let Some((name, b)) = inp.baseline {
            notes.push(format!(
                "WARNING: baseline `{name}` was measured on {}; this run on {}: every verdict is cross-machine",
                describe_machine(b),
                describe_machine(run)
            ));
        }
    }
    for s in &run.skipped {
        notes.push(format!("skipped {} [{}]: {}", s.id, s.build, s.reason));
    }
    let baseline_desc = match inp.baseline {
        Some((name, b)) => format!(
            "{name} (git {}, {})",
            b.env
                .git_sha
                .as_deref()
                .map_or("unknown", |s| &s[..s.len().min(10)]),
            b.created_utc
        ),
        None => "same-run reference builds (interleaved A/B)".to_string(),
    };
    let meta = Meta {
        label: inp.label.clone(),
        date: inp.date.clone(),
        baseline: baseline_desc,
        features_on: features_on.into_iter().collect(),
        machine: describe_machine(run),
        cross_machine: cross,
        policy: format!("{} ({})", policy.name, policy.origin),
        analysis,
        notes,
    };
    let mut report = Report::build(meta, &plan.cells, &plan.checks, &eval).with_points(&new);
    let (base_side, new_side) = counter_sides(inp);
    if let Some(w) = series::wake_metrics(&base_side, &new_side) {
        report = report.with_wake(w);
    }
    report = report.with_counters(series::counter_sanity(&base_side, &new_side));
    Analysis {
        plan,
        eval,
        report,
        series: new,
    }
}

/// Base and new sides of the counter summaries: the baseline vs the run, or (same run) the
/// build without features vs the build with the most features.
fn counter_sides<'a>(inp: &Inputs<'a>) -> (Side<'a>, Side<'a>) {
    let run = inp.run.1;
    match inp.baseline {
        Some((_, b)) => (
            Side {
                run: b,
                features: None,
            },
            Side {
                run,
                features: None,
            },
        ),
        None => {
            let feats = |b: Option<&crate::store::BuildRecord>| {
                b.map(|b| {
                    b.build
                        .features
                        .iter()
                        .cloned()
                        .collect::<BTreeSet<String>>()
                })
            };
            let reference = run.builds.iter().min_by_key(|b| b.build.features.len());
            let candidate = run.builds.iter().max_by_key(|b| b.build.features.len());
            (
                Side {
                    run,
                    features: feats(reference),
                },
                Side {
                    run,
                    features: feats(candidate),
                },
            )
        }
    }
}
