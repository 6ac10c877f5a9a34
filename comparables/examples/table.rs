//! Prints the side-by-side table without criterion's groups:
//! `cargo run --release -p ron-comparables --example table` (honours the RON_BENCH_* knobs,
//! plus `RON_BENCH_ROUNDS`: interleaved rounds per config, 1..=1000, default 1).
#![forbid(unsafe_code)]

use ron_comparables::knobs::{self, process_env, Knob};
use ron_comparables::table::{side_by_side, TableCfg};

fn fail(msg: String) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2);
}

fn knob(k: &Knob) -> Vec<u64> {
    k.read(&process_env).unwrap_or_else(|e| fail(e.to_string()))
}

fn main() {
    let cfg = TableCfg {
        bursts: knob(&knobs::BURST),
        fanouts: knob(&knobs::FANOUT),
        caps: knob(&knobs::CAP),
        pub_yield: knob(&knobs::PUB_YIELD).iter().any(|v| *v != 0),
        tls: knob(&knobs::TLS_FLUSH_THRESHOLD)[0].max(1),
        rounds: knobs::example_rounds(&process_env, 1).unwrap_or_else(|e| fail(e.to_string())),
    };
    print!("{}", side_by_side(&cfg));
}
