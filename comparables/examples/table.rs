//! Prints the side-by-side table without criterion's groups:
//! `cargo run --release -p ron-comparables --example table` (honours the RON_BENCH_* knobs,
//! plus `RON_BENCH_ROUNDS`: interleaved rounds per config, default 1).
#![forbid(unsafe_code)]

use ron_comparables::knobs::{self, process_env, Knob};
use ron_comparables::table::{side_by_side, TableCfg};

/// Interleaved rounds per config (medians are printed); only this example reads it.
const ROUNDS: Knob = Knob {
    var: "RON_BENCH_ROUNDS",
    aliases: &[],
    default: "1",
    min: 1,
};

fn knob(k: &Knob) -> Vec<u64> {
    k.read(&process_env).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    })
}

fn main() {
    let cfg = TableCfg {
        bursts: knob(&knobs::BURST),
        fanouts: knob(&knobs::FANOUT),
        caps: knob(&knobs::CAP),
        pub_yield: knob(&knobs::PUB_YIELD).iter().any(|v| *v != 0),
        tls: knob(&knobs::TLS_FLUSH_THRESHOLD)[0].max(1),
        rounds: knob(&ROUNDS).into_iter().max().unwrap_or(1),
    };
    print!("{}", side_by_side(&cfg));
}
