//! Would node recycling make `Bus::new` (node storage) cheaper? The floor of each option:
//! `cargo run --release -p ron-comparables --example node_pool [rounds]`.
//!
//! Node storage allocates a `{seq, topic, value}` node per publish and frees unlinked nodes in
//! batches of 32 once the epoch allows. A recycling ring would take a node from a free list
//! instead and give batches back (still through the epoch: a reader may hold a node until it
//! unpins, so the epoch bookkeeping stays either way). This measures only the difference, on
//! one thread (the epoch collector frees on the publishing thread too):
//! - `malloc`: `Box::new(node)`, dropped 32 at a time (glibc's per-thread cache);
//! - `pool`: pop a boxed node from a lock-free bounded MPMC free list (crossbeam-channel's
//!   array flavour, the `ArrayQueue` algorithm: one CAS per pop and per push), overwrite it,
//!   push 32 at a time back.
//!
//! Prints ns per node, median/min of `rounds` repetitions of 1M nodes.
#![forbid(unsafe_code)]

use ron_comparables::Msg;
use std::hint::black_box;
use std::time::Instant;

/// What node storage allocates per publish (`ron_bus` ring/aos.rs `Node<Msg>`); the fields
/// only give the allocation its size.
#[allow(dead_code)]
struct Node {
    seq: u64,
    topic: u64,
    val: Msg,
}

const BATCH: usize = 32;
const N: u64 = 1_000_000;

fn node(seq: u64) -> Node {
    Node {
        seq,
        topic: u64::MAX,
        val: Msg { seq, sent_ns: 0 },
    }
}

fn malloc_ns() -> f64 {
    let mut batch: Vec<Box<Node>> = Vec::with_capacity(BATCH);
    let t = Instant::now();
    for seq in 0..N {
        batch.push(black_box(Box::new(node(seq))));
        if batch.len() == BATCH {
            batch.clear();
        }
    }
    t.elapsed().as_nanos() as f64 / N as f64
}

fn pool_ns() -> f64 {
    let (give, take) = crossbeam_channel::bounded::<Box<Node>>(4096);
    for seq in 0..2048 + BATCH as u64 {
        give.try_send(Box::new(node(seq))).expect("pool has room");
    }
    let mut batch: Vec<Box<Node>> = Vec::with_capacity(BATCH);
    let t = Instant::now();
    for seq in 0..N {
        let mut b = take.try_recv().expect("pool refilled every 32");
        *b = node(seq);
        batch.push(black_box(b));
        if batch.len() == BATCH {
            for b in batch.drain(..) {
                give.try_send(b).expect("pool has room");
            }
        }
    }
    t.elapsed().as_nanos() as f64 / N as f64
}

fn stats(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!("{:.2}/{:.2}", v[v.len() / 2], v[0])
}

fn main() {
    let rounds = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => 21,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("error: rounds must be a positive integer");
            std::process::exit(2);
        }
    };
    let (mut m, mut p) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        m.push(malloc_ns());
        p.push(pool_ns());
    }
    println!(
        "ns per node, median/min of {rounds}: malloc {} ; pool {}",
        stats(m),
        stats(p)
    );
}
