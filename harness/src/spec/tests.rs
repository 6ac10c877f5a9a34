use super::*;

fn matrix() -> Matrix {
    Matrix {
        scenarios: vec![Scenario::BurstFanout, Scenario::Steady],
        contenders: vec![ContenderId::RonBus, ContenderId::TokioBroadcast],
        bursts: vec![64, 256],
        fanouts: vec![4],
        caps: vec![2048],
        pub_yields: vec![false],
        tls_thresholds: vec![64],
        payloads: vec![8],
        latency_rate_per_sec: DEFAULT_LATENCY_RATE,
        builds: vec![Build::new(vec![]), Build::new(vec!["bus_batch".into()])],
        sampling: Sampling::QUICK,
        quick: true,
        throttle_spins: 0,
        measure: crate::spec::Measure::default(),
    }
}

#[test]
fn expansion_order_is_pinned() {
    let ids: Vec<String> = matrix().cells().into_iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        vec![
            "burst_fanout/ron-bus/burst=64/fanout=4/cap=2048/tls_thresh=64",
            "burst_fanout/tokio-broadcast/burst=64/fanout=4/cap=2048/tls_thresh=64",
            "burst_fanout/ron-bus/burst=256/fanout=4/cap=2048/tls_thresh=64",
            "burst_fanout/tokio-broadcast/burst=256/fanout=4/cap=2048/tls_thresh=64",
            "steady/ron-bus/fanout=0/cap=2048/tls_thresh=64",
            "steady/tokio-broadcast/fanout=0/cap=2048/tls_thresh=64",
            "steady/ron-bus/fanout=1/cap=2048/tls_thresh=64",
            "steady/tokio-broadcast/fanout=1/cap=2048/tls_thresh=64",
            "steady/ron-bus/fanout=4/cap=2048/tls_thresh=64",
            "steady/tokio-broadcast/fanout=4/cap=2048/tls_thresh=64",
        ]
    );
}

#[test]
fn unused_parameters_do_not_expand_and_fixed_ones_apply() {
    let mut m = matrix();
    m.scenarios = vec![Scenario::Lagged, Scenario::Latency];
    m.contenders = vec![ContenderId::Flume];
    m.caps = vec![64, 2048];
    m.pub_yields = vec![false, true];
    let ids: Vec<String> = m.cells().into_iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        vec![
            "lagged/flume/burst=64/fanout=4/cap=1/tls_thresh=64",
            "lagged/flume/burst=64/fanout=4/cap=1/pub_yield=1/tls_thresh=64",
            "lagged/flume/burst=256/fanout=4/cap=1/tls_thresh=64",
            "lagged/flume/burst=256/fanout=4/cap=1/pub_yield=1/tls_thresh=64",
            "latency/flume/fanout=4/cap=64/rate=100000/tls_thresh=64",
            "latency/flume/fanout=4/cap=2048/rate=100000/tls_thresh=64",
        ]
    );
}

#[test]
fn the_issue_example_id() {
    let p = CellParams {
        burst: Some(256),
        fanout: 4,
        cap: 2048,
        pub_yield: false,
        tls_thresh: 64,
        rate_per_sec: None,
        throttle_spins: 0,
        payload: 8,
    };
    assert_eq!(
        Cell::new(Scenario::BurstFanout, ContenderId::RonBus, p).id,
        "burst_fanout/ron-bus/burst=256/fanout=4/cap=2048/tls_thresh=64"
    );
    // Unused parameters are normalised away, whatever the caller passed.
    let steady = Cell::new(
        Scenario::Steady,
        ContenderId::RonBus,
        p.with(Param::Payload, Some(32)),
    );
    assert_eq!(steady.id, "steady/ron-bus/fanout=4/cap=2048/tls_thresh=64");
    let wide = Cell::new(
        Scenario::Delivery,
        ContenderId::RonBus,
        p.with(Param::Payload, Some(32)),
    );
    assert_eq!(
        wide.id,
        "delivery/ron-bus/burst=256/fanout=4/cap=2048/payload=32/tls_thresh=64"
    );
}

#[test]
fn builds_are_innermost_and_rounds_alternate_direction() {
    let m = matrix();
    let cells = m.cells();
    let jobs = m.jobs(&cells[..2]);
    let k = |cell, build| JobKey { cell, build };
    assert_eq!(jobs, vec![k(0, 0), k(0, 1), k(1, 0), k(1, 1)]);
    let order = interleave(&jobs, 3);
    let expect: Vec<(u32, JobKey)> = [
        (0, k(0, 0)),
        (0, k(0, 1)),
        (0, k(1, 0)),
        (0, k(1, 1)),
        (1, k(1, 1)),
        (1, k(1, 0)),
        (1, k(0, 1)),
        (1, k(0, 0)),
        (2, k(0, 0)),
        (2, k(0, 1)),
        (2, k(1, 0)),
        (2, k(1, 1)),
    ]
    .into();
    assert_eq!(order, expect);
}

#[test]
fn build_labels_are_canonical() {
    assert_eq!(Build::new(vec![]).label, "none");
    let b = Build::new(vec![
        "metrics_buf".into(),
        "bus_batch".into(),
        "bus_batch".into(),
    ]);
    assert_eq!(b.label, "bus_batch+metrics_buf");
    assert!(b.has("bus_batch") && !b.has("bus_soa"));
}

#[test]
fn quick_estimate_fits_the_budget_for_the_default_matrix() {
    // 5 burst_fanout cells + 15 steady cells (fanout 0, 1, 4) = 20 cells.
    let per_run = Sampling::QUICK.estimated_run_ms();
    let total_ms = per_run * 20 * u64::from(Sampling::QUICK.rounds);
    assert!(total_ms < 120_000, "{total_ms} ms");
}
