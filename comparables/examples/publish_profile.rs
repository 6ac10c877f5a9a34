//! Single-thread publish loop for profilers (callgrind, perf):
//! `cargo build --release -p ron-comparables --example publish_profile` then
//! `valgrind --tool=callgrind target/release/examples/publish_profile [subs] [messages]`.
#![forbid(unsafe_code)]

fn main() {
    let mut args = std::env::args().skip(1);
    let subs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let s = ron_comparables::workloads::steady::<ron_comparables::adapters::RonBus>(subs, 64, n);
    println!(
        "{} publishes in {} ns ({:.1} ns each)",
        s.published,
        s.elapsed_ns,
        s.elapsed_ns as f64 / n as f64
    );
}
