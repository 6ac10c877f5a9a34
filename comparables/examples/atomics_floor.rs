//! What one atomic operation costs on this machine, uncontended (issue 12's "what limits
//! it"): `cargo run --release -p ron-comparables --example atomics_floor`.
//!
//! A publish must reserve its sequence number with an RMW on the shared tail (publishers are
//! many and `&self`), and the default counters add with one more RMW; x86 has no RMW without
//! a `lock` prefix, which also drains the store buffer. The plain store is the comparison.
//! Prints the minimum ns per operation over `rounds` rounds of 10M operations.
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const OPS: u64 = 10_000_000;

fn ns_per_op(f: impl Fn(u64)) -> f64 {
    let t = Instant::now();
    for i in 0..OPS {
        f(i);
    }
    t.elapsed().as_nanos() as f64 / OPS as f64
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let a = AtomicU64::new(0);
    let cases: [(&str, &dyn Fn(u64)); 4] = [
        ("store (Release, a plain mov)", &|i| {
            black_box(&a).store(i, Ordering::Release)
        }),
        ("fetch_add (lock xadd)", &|_| {
            black_box(&a).fetch_add(1, Ordering::Relaxed);
        }),
        ("compare_exchange (lock cmpxchg)", &|i| {
            let _ = black_box(&a).compare_exchange(i, i + 1, Ordering::AcqRel, Ordering::Relaxed);
        }),
        ("store SeqCst (xchg)", &|i| {
            black_box(&a).store(i, Ordering::SeqCst)
        }),
    ];
    for (name, f) in cases {
        let best = (0..rounds.max(1))
            .map(|_| ns_per_op(f))
            .fold(f64::INFINITY, f64::min);
        println!("{name:<34} {best:>6.2} ns");
    }
}
