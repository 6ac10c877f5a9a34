//! Single-thread costs of ron-bus (issue 12):
//! `cargo run --release -p ron-comparables --example bus_st [node|packed] [rounds]`.
//!
//! - `burst`: publish a burst of 256 to 4 receivers, then drain each with `try_recv`:
//!   ns per publish and ns per delivery;
//! - `pub0`: publish with no receiver; `pub4idle`: publish with 4 receivers that never read
//!   (they lag: the steady state of a full ring).
//!
//! Prints the median of `rounds` repetitions of each measurement.
#![forbid(unsafe_code)]

use ron_bus::{Bus, TryRecvError};
use ron_comparables::Msg;
use std::hint::black_box;
use std::time::Instant;

const BURST: u64 = 256;
const SUBS: usize = 4;
const CAP: usize = 2048;

fn make(kind: &str) -> Bus<Msg> {
    match kind {
        "node" => Bus::new(CAP),
        "packed" => Bus::new_packed(CAP),
        other => {
            eprintln!("unknown storage {other:?}: use node or packed");
            std::process::exit(2);
        }
    }
}

/// "median / min": the machine is shared, so the minimum (least disturbed round) is the
/// better estimate of the cost itself; the median shows the spread.
fn median(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!("{:.2}/{:.2}", v[v.len() / 2], v[0])
}

/// (ns per publish, ns per delivery) over `bursts` bursts.
fn burst(kind: &str, bursts: u64) -> (f64, f64) {
    let bus = make(kind);
    let mut rxs: Vec<_> = (0..SUBS).map(|_| bus.subscribe()).collect();
    let (mut pub_ns, mut del_ns, mut delivered) = (0u128, 0u128, 0u64);
    let mut seq = 0u64;
    for _ in 0..bursts {
        let t = Instant::now();
        for _ in 0..BURST {
            black_box(bus.publish(Msg { seq, sent_ns: 0 }));
            seq += 1;
        }
        let t2 = Instant::now();
        for rx in &mut rxs {
            loop {
                match rx.try_recv() {
                    Ok(m) => {
                        black_box(m);
                        delivered += 1;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
        }
        let t3 = Instant::now();
        pub_ns += (t2 - t).as_nanos();
        del_ns += (t3 - t2).as_nanos();
    }
    assert_eq!(delivered, bursts * BURST * SUBS as u64);
    (
        pub_ns as f64 / (bursts * BURST) as f64,
        del_ns as f64 / delivered as f64,
    )
}

/// ns per publish with `subs` receivers that never read.
fn publish_idle(kind: &str, subs: usize, n: u64) -> f64 {
    let bus = make(kind);
    let _rxs: Vec<_> = (0..subs).map(|_| bus.subscribe()).collect();
    let t = Instant::now();
    for seq in 0..n {
        black_box(bus.publish(black_box(Msg { seq, sent_ns: 0 })));
    }
    t.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "node".into());
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(41);
    let (mut p, mut d, mut z, mut i) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        let (pp, dd) = burst(&kind, 200);
        p.push(pp);
        d.push(dd);
        z.push(publish_idle(&kind, 0, 200_000));
        i.push(publish_idle(&kind, SUBS, 50_000));
    }
    println!(
        "{kind}: ns per burst publish {}, delivery {}; publish 0 subs {}; publish {SUBS} idle subs {} (median/min of {rounds})",
        median(p),
        median(d),
        median(z),
        median(i)
    );
}
