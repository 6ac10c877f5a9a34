//! Side-by-side criterion benches: every contender through the same adapter and workloads.
//!
//! Honours `RON_BENCH_BURST`/`RON_BURST`/`BURST`, `RON_BENCH_FANOUT`/`FANOUT`,
//! `RON_BENCH_CAP`/`RON_CAP`/`CAP`, `RON_BENCH_PUB_YIELD` and `RON_TLS_FLUSH_THRESHOLD`
//! (comma lists make a matrix). After criterion's groups it prints a table of deliveries/s
//! measured in one fixed-size run per contender (500k messages), with delivered % and ratios.
#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ron_comparables::knobs::{self, process_env, Knob};
use ron_comparables::workloads::{burst_fanout, steady, BurstParams, Sample};
use ron_comparables::{Contender, ContenderId, Visit};
use std::time::Duration;

struct Cfg {
    bursts: Vec<u64>,
    fanouts: Vec<u64>,
    caps: Vec<u64>,
    pub_yield: bool,
    tls: u64,
}

fn knob(k: &Knob) -> Vec<u64> {
    k.read(&process_env).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    })
}

fn cfg() -> Cfg {
    Cfg {
        bursts: knob(&knobs::BURST),
        fanouts: knob(&knobs::FANOUT),
        caps: knob(&knobs::CAP),
        pub_yield: knob(&knobs::PUB_YIELD).iter().any(|v| *v != 0),
        tls: knob(&knobs::TLS_FLUSH_THRESHOLD)[0].max(1),
    }
}

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
    let mut g = c.benchmark_group("steady");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    for subs in [0usize, 1, 4] {
        for id in ContenderId::ALL {
            let bid = BenchmarkId::new(id.name(), format!("subs={subs}/cap=64"));
            g.bench_function(bid, |b| {
                b.iter_custom(|iters| {
                    let s = id.visit(Steady {
                        subs,
                        cap: 64,
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
    let cfg = cfg();
    let mut g = c.benchmark_group("burst_fanout");
    g.sample_size(15)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for &burst in &cfg.bursts {
        for &fanout in &cfg.fanouts {
            for &cap in &cfg.caps {
                println!("{}", knobs::bench_cfg_line(cfg.tls, burst, fanout, cap));
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
                                pub_yield: cfg.pub_yield,
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
            bursts: cfg.bursts.clone(),
            fanouts: cfg.fanouts.clone(),
            caps: cfg.caps.clone(),
            pub_yield: cfg.pub_yield,
            tls: cfg.tls,
            rounds: 1,
        })
    );
}

criterion_group!(benches, bench_steady, bench_burst_fanout);
criterion_main!(benches);
