use super::mock::MockExecutor;
use super::progress::Silent;
use super::*;
use crate::spec::{Matrix, Sampling, DEFAULT_LATENCY_RATE};
use crate::{ContenderId, Scenario};

fn matrix(scenarios: Vec<Scenario>, builds: Vec<Build>, rounds: u32) -> Matrix {
    Matrix {
        scenarios,
        contenders: vec![ContenderId::RonBus, ContenderId::Flume],
        bursts: vec![64],
        fanouts: vec![2],
        caps: vec![128],
        pub_yields: vec![false],
        tls_thresholds: vec![64],
        payloads: vec![8],
        latency_rate_per_sec: DEFAULT_LATENCY_RATE,
        builds,
        sampling: Sampling {
            rounds,
            samples: 3,
            warmup_ms: 0,
            window_ms: 1,
        },
        quick: true,
        throttle_spins: 0,
        measure: crate::spec::Measure::default(),
    }
}

fn two_builds() -> Vec<Build> {
    vec![Build::new(vec![]), Build::new(vec!["bus_batch".into()])]
}

fn run(plan: &Plan, exec: &mut MockExecutor) -> Result<Collected, RunError> {
    execute(plan, exec, &mut Silent, &AtomicBool::new(false))
}

#[test]
fn process_runs_interleave_builds_and_contenders_abc_cba() {
    let plan = Plan::new(matrix(vec![Scenario::BurstFanout], two_builds(), 3), 8);
    let mut exec = MockExecutor::default();
    run(&plan, &mut exec).unwrap();
    let order: Vec<String> = exec
        .log
        .iter()
        .map(|(r, id, b)| format!("{r} {} {b}", id.split('/').nth(1).unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            "0 ron-bus none",
            "0 ron-bus bus_batch",
            "0 flume none",
            "0 flume bus_batch",
            "1 flume bus_batch",
            "1 flume none",
            "1 ron-bus bus_batch",
            "1 ron-bus none",
            "2 ron-bus none",
            "2 ron-bus bus_batch",
            "2 flume none",
            "2 flume bus_batch",
        ]
    );
}

#[test]
fn records_hold_every_round_in_order_with_summaries() {
    let plan = Plan::new(matrix(vec![Scenario::BurstFanout], two_builds(), 4), 8);
    let got = run(&plan, &mut MockExecutor::default()).unwrap();
    assert_eq!(got.cells.len(), 4);
    assert!(got.skipped.is_empty());
    let first = &got.cells[0];
    assert_eq!(
        (first.contender, first.build.as_str()),
        (ContenderId::RonBus, "none")
    );
    assert_eq!(
        first.rounds.iter().map(|r| r.round).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    assert!(first.rounds.iter().all(|r| r.samples.len() == 3));
    // Mock cost: 20 ns per message, rounds alternate +-1%: 4 values, median = mean.
    let s = &first.summary.publishes_per_sec;
    assert_eq!(s.n, 4);
    assert!(
        (s.median - 1e9 / 20.0).abs() / (1e9 / 20.0) < 0.011,
        "{s:?}"
    );
    assert!(s.cv > 0.0 && s.cv < 0.02);
    // Deliveries count subscribers: fanout 2, nothing lost.
    let v = first.rounds[0].values;
    assert_eq!(v.delivered, v.published * 2);
    assert!((v.deliveries_per_sec / v.publishes_per_sec - 2.0).abs() < 1e-9);
    assert_eq!(v.delivered_ratio, 1.0);
    // Each feature costs 5% in the mock's cost model.
    let batch = &got.cells[1];
    assert_eq!(batch.build, "bus_batch");
    assert!(batch.summary.publishes_per_sec.median < s.median);
}

#[test]
fn lossy_contenders_cannot_look_fast_by_dropping() {
    let plan = Plan::new(
        matrix(vec![Scenario::Lagged], vec![Build::new(vec![])], 2),
        8,
    );
    let got = run(&plan, &mut MockExecutor::default()).unwrap();
    let ron = &got.cells[0];
    assert_eq!(ron.params.cap, 1);
    assert!(ron.summary.delivered_ratio.median < 0.95);
    assert!(ron.rounds[0].values.lagged > 0);
    let v = ron.rounds[0].values;
    assert!(v.deliveries_per_sec < 2.0 * v.publishes_per_sec);
}

#[test]
fn batched_edge_and_mixed_topic_run_in_every_build() {
    let plan = Plan::new(
        matrix(
            vec![Scenario::Batched, Scenario::Edge, Scenario::MixedTopic],
            two_builds(),
            1,
        ),
        8,
    );
    // The build without the feature is the A/B reference: nothing is skipped.
    assert_eq!(plan.runnable.len(), 3 * 2 * 2);
    assert!(plan.skipped.is_empty());
    assert_eq!(plan.builds_needed(), vec![0, 1]);
    let got = run(&plan, &mut MockExecutor::default()).unwrap();
    assert_eq!(got.cells.len(), 12);
    assert!(got.skipped.is_empty());
}

#[test]
fn latency_rounds_carry_percentiles() {
    let plan = Plan::new(
        matrix(vec![Scenario::Latency], vec![Build::new(vec![])], 3),
        8,
    );
    let got = run(&plan, &mut MockExecutor::default()).unwrap();
    let l = got.cells[0].summary.latency_ns.as_ref().unwrap();
    assert!(l.p50.median <= l.p99.median && l.p99.median <= l.p999.median);
    assert_eq!(got.cells[0].params.rate_per_sec, Some(DEFAULT_LATENCY_RATE));
}

#[test]
fn oversubscription_is_recorded() {
    let plan = Plan::new(
        matrix(
            vec![Scenario::BurstFanout, Scenario::Steady],
            vec![Build::new(vec![])],
            1,
        ),
        2,
    );
    let got = run(&plan, &mut MockExecutor::default()).unwrap();
    let bf = got
        .cells
        .iter()
        .find(|c| c.scenario == Scenario::BurstFanout)
        .unwrap();
    assert!(bf.oversubscribed, "fanout 2 + 1 > 2 cores");
    assert!(got
        .cells
        .iter()
        .filter(|c| c.scenario == Scenario::Steady)
        .all(|c| !c.oversubscribed));
}

#[test]
fn a_stop_request_discards_everything() {
    let plan = Plan::new(matrix(vec![Scenario::BurstFanout], two_builds(), 2), 8);
    let stop = AtomicBool::new(true);
    let mut exec = MockExecutor::default();
    let e = execute(&plan, &mut exec, &mut Silent, &stop).unwrap_err();
    assert!(
        matches!(e, RunError::Interrupted { done: 0, total: 8 }),
        "{e}"
    );
    assert!(exec.log.is_empty());
}

#[test]
fn a_failing_process_run_names_the_cell() {
    let plan = Plan::new(matrix(vec![Scenario::BurstFanout], two_builds(), 2), 8);
    let mut exec = MockExecutor {
        fail_cell: Some(plan.cells[1].id.clone()),
        ..MockExecutor::default()
    };
    let e = run(&plan, &mut exec).unwrap_err();
    assert!(e.to_string().contains("burst_fanout/flume"), "{e}");
}

#[test]
fn requests_carry_the_cell_parameters() {
    let plan = Plan::new(
        matrix(vec![Scenario::Steady], vec![Build::new(vec![])], 1),
        8,
    );
    let r = request_for(&plan.cells[0], &plan.matrix.sampling, plan.matrix.measure);
    assert_eq!(
        (r.scenario, r.params.fanout, r.params.cap, r.samples),
        (Scenario::Steady, 0, 128, 3)
    );
}
