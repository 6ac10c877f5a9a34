//! The real runner binary, end to end, with tiny windows (asserts the protocol, not timings).
#![forbid(unsafe_code)]

use assert_cmd::Command;
use ron_bench_runner::{Line, Request, Scenario};
use ron_comparables::knobs::{CellParams, Param};
use ron_comparables::ContenderId;

fn request(scenario: Scenario, contender: ContenderId) -> Request {
    Request {
        scenario,
        contender,
        params: CellParams {
            burst: Some(16),
            fanout: 2,
            cap: 64,
            rate_per_sec: Some(200_000),
            ..CellParams::default()
        },
        warmup_ms: 0,
        window_ms: 2,
        samples: 2,
        units: None,
    }
}

fn run(req: &Request) -> Vec<Line> {
    let out = Command::new(env!("CARGO_BIN_EXE_ron-bench-runner"))
        .args(req.to_args())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn prints_hello_samples_done_with_full_accounting() {
    let lines = run(&request(Scenario::BurstFanout, ContenderId::RonBus));
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(matches!(&lines[0], Line::Hello(h) if h.units_per_sample >= 1));
    for l in &lines[1..3] {
        let Line::Sample(s) = l else { panic!("{l:?}") };
        assert_eq!(s.subscribers, 2);
        assert!(s.accounting_ok);
        assert_eq!(s.delivered + s.lagged, 2 * s.published);
    }
    let Line::Done(d) = &lines[3] else {
        panic!("{:?}", lines[3])
    };
    assert!(d.peak_rss_bytes > 0);
    // ron-bus counts its own publishes: the counter delta covers the sampling phase.
    let published: u64 = lines[1..3]
        .iter()
        .map(|l| match l {
            Line::Sample(s) => s.published,
            _ => 0,
        })
        .sum();
    assert_eq!(d.counters.published, published);
}

#[test]
fn latency_samples_carry_percentiles() {
    let lines = run(&request(Scenario::Latency, ContenderId::Crossbeam));
    let Line::Sample(s) = &lines[1] else {
        panic!("{lines:?}")
    };
    let lat = s.latency.expect("latency scenario");
    assert!(lat.p50 <= lat.p99 && lat.p99 <= lat.max);
}

#[test]
fn edge_mixed_topic_and_batched_run_in_every_build_and_contender() {
    for scenario in [Scenario::Edge, Scenario::MixedTopic, Scenario::Batched] {
        for contender in [ContenderId::RonBus, ContenderId::Flume] {
            let lines = run(&request(scenario, contender));
            assert_eq!(lines.len(), 4, "{scenario} {contender}: {lines:?}");
            for l in &lines[1..3] {
                let Line::Sample(s) = l else { panic!("{l:?}") };
                assert!(s.accounting_ok, "{scenario} {contender}: {s:?}");
                assert!(s.published > 0 && s.delivered > 0, "{s:?}");
            }
        }
    }
}

#[test]
fn mixed_topic_counts_relevant_messages_only() {
    let lines = run(&request(Scenario::MixedTopic, ContenderId::RonBus));
    let Line::Sample(s) = &lines[1] else {
        panic!("{lines:?}")
    };
    // ~30% of the 16-message bursts are relevant; every subscriber gets each relevant one.
    assert_eq!(s.delivered + s.lagged, 2 * s.published);
}

#[test]
fn a_bad_request_exits_2() {
    Command::new(env!("CARGO_BIN_EXE_ron-bench-runner"))
        .args(["--request", r#"{"scenario":"warp"}"#])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("warp"));
    // The hand-written `--key value` form of v1 runners is gone: it names the option.
    Command::new(env!("CARGO_BIN_EXE_ron-bench-runner"))
        .args(["--scenario", "steady"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--scenario"));
}

#[test]
fn payload_sweep_delivers_wide_messages_on_ron_bus_and_skips_others() {
    let mut req = request(Scenario::Delivery, ContenderId::RonBus);
    req.params = req.params.with(Param::Payload, Some(48));
    let lines = run(&req);
    let Line::Sample(s) = &lines[1] else {
        panic!("{lines:?}")
    };
    assert_eq!(s.delivered, 2 * s.published, "{s:?}");
    req.contender = ContenderId::Flume;
    assert!(matches!(&run(&req)[0], Line::Skip { reason } if reason.contains("ron-bus only")));
}
