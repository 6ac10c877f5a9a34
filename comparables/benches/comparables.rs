//! Side-by-side criterion benches: every contender through the same adapter and workloads.
//!
//! Every group honours `RON_BENCH_BURST`/`RON_BURST`/`BURST`, `RON_BENCH_FANOUT`/`FANOUT`,
//! `RON_BENCH_CAP`/`RON_CAP`/`CAP`, `RON_BENCH_PUB_YIELD` and `RON_TLS_FLUSH_THRESHOLD`
//! (comma lists make a matrix; see `common`) and prints a `[bench cfg]` line per cell
//! configuration: `steady` runs fanout x cap (its subscribers idle), `burst_fanout` burst x
//! fanout x cap. After criterion's groups it prints a table of deliveries/s
//! measured in one fixed-size run per contender (500k messages), with delivered % and ratios.
#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ron_comparables::workloads::{burst_fanout, steady, BurstParams, Sample};
use ron_comparables::{Contender, ContenderId, Visit};
use std::time::Duration;

mod common;

struct Fanout(BurstParams);
impl Visit for Fanout {
    type Out = Sample;
    fn visit<C: Contender>(self) -> Sample {
        burst_fanout::<C>(self.0)
    }
}

struct Steady {
    subs: usize,
    cap: usize,
    messages: u64,
}
impl Visit for Steady {
    type Out = Sample;
    fn visit<C: Contender>(self) -> Sample {
        steady::<C>(self.subs, self.cap, self.messages)
    }
}

fn bench_steady(c: &mut Criterion) {
    let k = common::read();
    let mut g = c.benchmark_group("steady");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    for (subs, cap) in k.grid(&k.fanouts(), &k.caps()) {
        println!("{}", k.cfg_line(None, subs, cap));
        for id in ContenderId::ALL {
            let bid = BenchmarkId::new(id.name(), format!("subs={subs}/cap={cap}"));
            g.bench_function(bid, |b| {
                b.iter_custom(|iters| {
                    let s = id.visit(Steady {
                        subs: subs as usize,
                        cap: cap as usize,
                        messages: iters,
                    });
                    Duration::from_nanos(s.elapsed_ns)
                })
            });
        }
    }
    g.finish();
}

fn bench_burst_fanout(c: &mut Criterion) {
    let k = common::read();
    let (bursts, fanouts, caps) = (k.bursts(), k.fanouts(), k.caps());
    let mut g = c.benchmark_group("burst_fanout");
    g.sample_size(15)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for &burst in &bursts {
        for &fanout in &fanouts {
            for &cap in &caps {
                println!("{}", k.cfg_line(Some(burst), fanout, cap));
                g.throughput(Throughput::Elements(burst * fanout));
                for id in ContenderId::ALL {
                    let bid = BenchmarkId::new(
                        id.name(),
                        format!("burst={burst}/fanout={fanout}/cap={cap}"),
                    );
                    g.bench_function(bid, |b| {
                        b.iter_custom(|iters| {
                            let s = id.visit(Fanout(BurstParams {
                                burst,
                                fanout: fanout as usize,
                                cap: cap as usize,
                                bursts: iters,
                                pub_yield: k.pub_yield,
                            }));
                            Duration::from_nanos(s.elapsed_ns)
                        })
                    });
                }
            }
        }
    }
    g.finish();
    print!(
        "{}",
        ron_comparables::table::side_by_side(&ron_comparables::table::TableCfg {
            bursts,
            fanouts,
            caps,
            pub_yield: k.pub_yield,
            tls: k.tls,
            rounds: 1,
        })
    );
}

criterion_group!(benches, bench_steady, bench_burst_fanout);
criterion_main!(benches);
