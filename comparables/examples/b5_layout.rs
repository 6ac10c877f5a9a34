//! MOG B5 gate: the compact event layout against the naive one (`ron_comparables::events`).
//!
//! `cargo run --release -p ron-comparables --example b5_layout` (knobs: `RON_BENCH_FANOUT`,
//! default 4, first value used; `RON_BENCH_ROUNDS`, default 11). Per round, each layout runs
//! `burst_fanout` on events (burst 256, capacity 2048, ~500k events) and the single-thread
//! drain (4 receivers), layouts interleaved in a rotating order. Prints medians and, per pair,
//! the median of the per-round ratios; exits 1 when a compact layout is not at least 5%
//! faster than its naive pair on `burst_fanout` (the seed's B5 gate), 2 on a bad knob.
#![forbid(unsafe_code)]

use ron_comparables::events::{
    drain_st, fanout, CompactDemo, CompactHeavy, EventRun, Layout, NaiveDemo, NaiveHeavy,
};
use ron_comparables::knobs::{self, process_env, Knob};

const BURST: u64 = 256;
const CAP: usize = 2048;
const THRESHOLD: f64 = 1.05;

fn knob(k: &Knob) -> u64 {
    match k.read(&process_env) {
        Ok(v) => v[0],
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

/// `(burst_fanout deliveries/s, ns per single-thread delivery)`.
fn one<L: Layout>(subs: usize) -> (f64, f64) {
    let r: EventRun = fanout::<L>(subs, BURST, 500_000 / BURST, CAP);
    let s = drain_st::<L>(4, BURST, 400);
    (
        r.deliveries_per_sec(),
        s.elapsed_ns as f64 / s.delivered as f64,
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let subs = knob(&knobs::FANOUT) as usize;
    let rounds = knobs::example_rounds(&process_env, 11).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    }) as usize;
    let runs: [fn(usize) -> (f64, f64); 4] = [
        one::<NaiveDemo>,
        one::<CompactDemo>,
        one::<NaiveHeavy>,
        one::<CompactHeavy>,
    ];
    let names = [
        NaiveDemo::NAME,
        CompactDemo::NAME,
        NaiveHeavy::NAME,
        CompactHeavy::NAME,
    ];
    let mut res = vec![[(0.0, 0.0); 4]; rounds];
    for (r, row) in res.iter_mut().enumerate() {
        for k in 0..4 {
            let i = (r + k) % 4;
            row[i] = runs[i](subs);
        }
    }
    println!("B5 event layouts: burst_fanout fanout {subs}, burst {BURST}, cap {CAP}; {rounds} interleaved rounds (medians)");
    println!(
        "{:<14} {:>16} {:>22}",
        "layout", "deliveries/s", "ns/delivery (1 thread)"
    );
    for (i, name) in names.iter().enumerate() {
        println!(
            "{name:<14} {:>16.3e} {:>22.2}",
            median(res.iter().map(|r| r[i].0).collect()),
            median(res.iter().map(|r| r[i].1).collect())
        );
    }
    let mut pass = true;
    for (naive, compact) in [(0, 1), (2, 3)] {
        let fan = median(res.iter().map(|r| r[compact].0 / r[naive].0).collect());
        let st = median(res.iter().map(|r| r[naive].1 / r[compact].1).collect());
        let ok = fan >= THRESHOLD;
        pass &= ok;
        println!(
            "B5 {} vs {}: burst_fanout {:+.1}%, single-thread delivery {:+.1}% -> {}",
            names[compact],
            names[naive],
            (fan - 1.0) * 100.0,
            (st - 1.0) * 100.0,
            if ok { "pass (>= +5%)" } else { "FAIL (< +5%)" }
        );
    }
    if !pass {
        std::process::exit(1);
    }
}
