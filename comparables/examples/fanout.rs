//! `burst_fanout` for one contender, for profiling and quick A/B runs:
//! `cargo run --release -p ron-comparables --example fanout -- [ron|bus|tokio] [fanout] [runs]`
//! (burst 256, capacity 2048, ~500k messages per run; prints the median deliveries/s).
#![forbid(unsafe_code)]

use ron_comparables::adapters::{BusCrate, RonBus, TokioBroadcast};
use ron_comparables::workloads::{burst_fanout, BurstParams, Sample};

fn main() {
    let mut args = std::env::args().skip(1);
    let who = args.next().unwrap_or_else(|| "ron".into());
    let fanout: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let p = BurstParams {
        burst: 256,
        fanout,
        cap: 2048,
        bursts: 500_000 / 256,
        pub_yield: false,
    };
    let before = ron_metrics::snapshot().bus;
    let mut rates: Vec<f64> = (0..runs)
        .map(|_| {
            let s: Sample = match who.as_str() {
                "ron" => burst_fanout::<RonBus>(p),
                "bus" => burst_fanout::<BusCrate>(p),
                "tokio" => burst_fanout::<TokioBroadcast>(p),
                other => {
                    eprintln!("unknown contender {other:?}: ron, bus or tokio");
                    std::process::exit(2);
                }
            };
            assert!(s.accounting_holds());
            s.deliveries_per_sec()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    let d = ron_metrics::snapshot().bus.delta_since(&before);
    if d.published > 0 {
        println!(
            "ron-bus wakes sent: {} ({:.3} per publish)",
            d.notify_sends,
            d.notify_sends as f64 / d.published as f64
        );
    }
    println!(
        "{who} fanout {fanout}: median {:.2} M deliveries/s over {runs} runs (min {:.2}, max {:.2})",
        rates[runs / 2] / 1e6,
        rates[0] / 1e6,
        rates[runs - 1] / 1e6
    );
}
