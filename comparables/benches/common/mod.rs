//! The benches' view of the knob table: [`ron_comparables::bench_knobs`], read from the
//! process environment; a bad value exits 2 naming its variable.

use ron_comparables::bench_knobs::BenchKnobs;
use ron_comparables::knobs::process_env;

/// Reads every knob; exits 2 naming the variable when a value is bad.
pub fn read() -> BenchKnobs {
    BenchKnobs::read(&process_env).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    })
}
