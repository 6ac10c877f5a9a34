//! Prints the side-by-side table without criterion's groups:
//! `cargo run --release -p ron-comparables --example table` (honours the RON_BENCH_* knobs).
#![forbid(unsafe_code)]

use ron_comparables::knobs::{self, process_env, Knob};

fn knob(k: &Knob) -> Vec<u64> {
    k.read(&process_env).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    })
}

fn main() {
    let pub_yield = knob(&knobs::PUB_YIELD).iter().any(|v| *v != 0);
    let tls = knob(&knobs::TLS_FLUSH_THRESHOLD)[0].max(1);
    print!(
        "{}",
        ron_comparables::table::side_by_side(
            &knob(&knobs::BURST),
            &knob(&knobs::FANOUT),
            &knob(&knobs::CAP),
            pub_yield,
            tls
        )
    );
}
