//! Workloads written once over [`Contender`]: every contender runs the same code.
//!
//! Each run returns a [`Sample`] that counts what was published, delivered and lost per
//! subscriber, so a lossy contender cannot look fast by dropping messages: throughput is
//! reported as publishes/s and as deliveries/s of *delivered* messages only.

mod payload;

use crate::{Contender, Msg, Publisher, Recv, Subscriber};
use crossbeam_utils::CachePadded;
use hdrhistogram::Histogram;
pub use payload::{delivery_payload, Wide};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Per-subscriber accounting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SubCounts {
    /// Messages this subscriber received.
    pub delivered: u64,
    /// Messages this subscriber was told it lost.
    pub lagged: u64,
}

/// One measured run of a workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Sample {
    /// Wall time from the publisher's start to the last subscriber's finish.
    pub elapsed_ns: u64,
    /// Messages the publisher sent (each counted once, whatever the fanout).
    pub published: u64,
    /// Per-subscriber delivered and lagged counts.
    pub subs: Vec<SubCounts>,
}

impl Sample {
    /// Sum of delivered messages over all subscribers.
    pub fn delivered(&self) -> u64 {
        self.subs.iter().map(|s| s.delivered).sum()
    }
    /// Sum of lost messages over all subscribers.
    pub fn lagged(&self) -> u64 {
        self.subs.iter().map(|s| s.lagged).sum()
    }
    /// Publishes per second.
    pub fn publishes_per_sec(&self) -> f64 {
        per_sec(self.published, self.elapsed_ns)
    }
    /// Delivered messages per second (all subscribers together).
    pub fn deliveries_per_sec(&self) -> f64 {
        per_sec(self.delivered(), self.elapsed_ns)
    }
    /// Fraction of the messages owed to subscribers that arrived (1.0 with no subscriber).
    pub fn delivered_ratio(&self) -> f64 {
        let owed = self.published * self.subs.len() as u64;
        if owed == 0 {
            1.0
        } else {
            self.delivered() as f64 / owed as f64
        }
    }
    /// True when every subscriber accounted for every message (`delivered + lagged == published`).
    pub fn accounting_holds(&self) -> bool {
        self.subs
            .iter()
            .all(|s| s.delivered + s.lagged == self.published)
    }
}

fn per_sec(n: u64, ns: u64) -> f64 {
    if ns == 0 {
        0.0
    } else {
        n as f64 * 1e9 / ns as f64
    }
}

/// Parameters of the burst/fanout family of workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstParams {
    /// Messages per burst.
    pub burst: u64,
    /// Subscriber threads.
    pub fanout: usize,
    /// Channel capacity.
    pub cap: usize,
    /// Number of bursts in this run.
    pub bursts: u64,
    /// Yield the publisher after each burst.
    pub pub_yield: bool,
}

/// How the publisher sends each burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    /// One `publish` per message.
    Single,
    /// One `publish_batch` per burst (ron-bus `publish_many` with `bus_batch`).
    Batch,
    /// One `publish_topic` per message; ~30% of messages carry the subscribers' topic.
    MixedTopic,
}

/// How subscribers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainMode {
    /// One blocking receive per message (the classic subscriber).
    Blocking,
    /// Drain with `try_recv` until empty, then one blocking receive (the edge-drain loop
    /// that `bus_edge_notify` is built for).
    Edge,
}

/// Topic bit every `mixed_topic` subscriber is interested in.
pub const RELEVANT_TOPIC: u64 = 0b01;
/// Topic bit of the other 70% of `mixed_topic` messages.
pub const OTHER_TOPIC: u64 = 0b10;

/// Whether message `seq` of a `mixed_topic` stream is relevant (3 in 10).
#[inline]
pub fn is_relevant(seq: u64) -> bool {
    seq % 10 < 3
}

/// `burst_fanout`: the publisher sends `bursts` bursts of `burst` messages to `fanout`
/// subscriber threads that drain with blocking receives. After each burst the publisher
/// waits (yielding its CPU) until every subscriber has accounted for the whole burst
/// (delivered or lagged): the "publisher epoch" of the kernel notes. A burst is therefore
/// timed from its first publish to its last delivery, the same way for every contender, and
/// with `cap >= burst` nothing needs to be lost even when the threads oversubscribe the
/// cores. `pub_yield` adds one extra `yield_now` right after each burst.
pub fn burst_fanout<C: Contender>(p: BurstParams) -> Sample {
    run_fanout::<C>(p, SendMode::Single)
}

/// `lagged`: `burst_fanout` with capacity 1: the overwrite/lag path (or, for blocking
/// contenders, the backpressure path).
pub fn lagged<C: Contender>(p: BurstParams) -> Sample {
    run_fanout::<C>(BurstParams { cap: 1, ..p }, SendMode::Single)
}

/// `batched`: `burst_fanout` with one batch publish per burst.
pub fn batched<C: Contender>(p: BurstParams) -> Sample {
    run_fanout::<C>(p, SendMode::Batch)
}

/// `edge`: `burst_fanout` with edge-drain subscribers ([`DrainMode::Edge`]).
pub fn edge<C: Contender>(p: BurstParams) -> Sample {
    run(
        p,
        SendMode::Single,
        DrainMode::Edge,
        C::channel(p.cap, p.fanout),
    )
}

/// `mixed_topic`: a stream where ~30% of messages are relevant to the subscribers. With
/// native topic filtering (ron-bus `bus_interest`) the bus skips the rest; otherwise every
/// subscriber receives everything and filters in user code. `published` counts relevant
/// messages and deliveries count relevant messages received, so both modes are comparable.
pub fn mixed_topic<C: Contender>(p: BurstParams) -> Sample {
    let ch = C::channel_with_interest(p.cap, p.fanout, RELEVANT_TOPIC);
    run(p, SendMode::MixedTopic, DrainMode::Blocking, ch)
}

/// Per-subscriber progress (delivered + lagged so far), one cache line each: subscribers
/// store to their own line only; the publisher reads them while it waits for the epoch.
type Progress = Arc<[CachePadded<AtomicU64>]>;

fn run_fanout<C: Contender>(p: BurstParams, mode: SendMode) -> Sample {
    run(p, mode, DrainMode::Blocking, C::channel(p.cap, p.fanout))
}

fn run<P: Publisher, R: Subscriber>(
    p: BurstParams,
    mode: SendMode,
    drain_mode: DrainMode,
    (mut tx, rxs): (P, Vec<R>),
) -> Sample {
    let progress: Progress = (0..p.fanout)
        .map(|_| CachePadded::new(AtomicU64::new(0)))
        .collect();
    let start_line = Arc::new(Barrier::new(p.fanout + 1));
    // C3 (`RON_BENCH_PIN=1`): a core each when the cores allow (subscriber i on core i + 1,
    // publisher on core 0); see `crate::pin` for why it is off by default.
    let cores = crate::pin::plan(p.fanout + 1);
    let core = |i: usize| cores.as_ref().map(|c| c[i]);
    let handles: Vec<_> = rxs
        .into_iter()
        .enumerate()
        .map(|(i, rx)| {
            let start_line = Arc::clone(&start_line);
            let progress = Arc::clone(&progress);
            let mixed = mode == SendMode::MixedTopic;
            let sub_core = core(i + 1);
            std::thread::spawn(move || {
                crate::pin::pin(sub_core);
                drain(rx, drain_mode, mixed, &start_line, &progress[i])
            })
        })
        .collect();
    let pub_core = core(0);
    // The publisher runs on its own thread when pinned, so the caller's affinity is untouched.
    let (elapsed_ns, owed) = if pub_core.is_some() {
        let start_line = Arc::clone(&start_line);
        let publisher = std::thread::spawn(move || {
            crate::pin::pin(pub_core);
            let out = publish_bursts(p, mode, &mut tx, &start_line, &progress);
            drop(tx); // closes the channel: subscribers see Closed and exit
            out
        });
        publisher.join().expect("publisher thread panicked")
    } else {
        let out = publish_bursts(p, mode, &mut tx, &start_line, &progress);
        drop(tx);
        out
    };
    let subs = handles
        .into_iter()
        .map(|h| h.join().expect("subscriber thread panicked"))
        .collect();
    Sample {
        elapsed_ns,
        published: owed,
        subs,
    }
}

/// The publisher's side of [`run`]: every burst, then the epoch wait. Returns the elapsed ns
/// and the messages each subscriber is owed; the caller closes the channel.
fn publish_bursts<P: Publisher>(
    p: BurstParams,
    mode: SendMode,
    tx: &mut P,
    start_line: &Barrier,
    progress: &Progress,
) -> (u64, u64) {
    let batch: Vec<Msg> = match mode {
        SendMode::Batch => (0..p.burst).map(|i| Msg { seq: i, sent_ns: 0 }).collect(),
        SendMode::Single | SendMode::MixedTopic => Vec::new(),
    };
    start_line.wait();
    let start = Instant::now();
    let mut seq = 0u64;
    // Messages each subscriber is owed (all of them, or only the relevant ones).
    let mut owed = 0u64;
    for _ in 0..p.bursts {
        match mode {
            SendMode::Single => {
                for _ in 0..p.burst {
                    tx.publish(Msg { seq, sent_ns: 0 });
                    seq += 1;
                }
                owed = seq;
            }
            SendMode::Batch => {
                tx.publish_batch(&batch);
                seq += p.burst;
                owed = seq;
            }
            SendMode::MixedTopic => {
                for _ in 0..p.burst {
                    let relevant = is_relevant(seq);
                    let topic = if relevant {
                        RELEVANT_TOPIC
                    } else {
                        OTHER_TOPIC
                    };
                    tx.publish_topic(Msg { seq, sent_ns: 0 }, topic);
                    owed += u64::from(relevant);
                    seq += 1;
                }
            }
        }
        if p.pub_yield {
            std::thread::yield_now();
        }
        wait_for_epoch(progress, owed);
    }
    (duration_ns(start.elapsed()), owed)
}

/// Waits until every subscriber has accounted for `target` messages.
fn wait_for_epoch(progress: &[CachePadded<AtomicU64>], target: u64) {
    let mut spins = 0u32;
    while !progress.iter().all(|p| p.load(Ordering::Acquire) >= target) {
        if spins < 64 {
            spins += 1;
            std::hint::spin_loop();
        } else {
            // On an oversubscribed machine the subscribers need this CPU.
            std::thread::yield_now();
        }
    }
}

/// A subscriber thread: counts relevant deliveries (every message is relevant except in
/// `mixed_topic`, where user-code filtering drops the rest) and lag, publishing its progress.
fn drain<R: Subscriber>(
    mut rx: R,
    mode: DrainMode,
    mixed: bool,
    start_line: &Barrier,
    progress: &AtomicU64,
) -> SubCounts {
    let mut c = SubCounts::default();
    start_line.wait();
    loop {
        let got = match mode {
            DrainMode::Blocking => rx.recv(),
            DrainMode::Edge => match rx.try_recv() {
                Recv::Empty => rx.recv(),
                other => other,
            },
        };
        match got {
            Recv::Msg(m) if !mixed || is_relevant(m.seq) => c.delivered += 1,
            Recv::Msg(_) => {} // filtered in user code
            Recv::Lagged(n) => c.lagged += n,
            Recv::Closed => break,
            Recv::Empty => std::hint::spin_loop(),
        }
        progress.store(c.delivered + c.lagged, Ordering::Release);
    }
    c
}

/// `steady`: single-thread publish cost with `subs` idle subscribers (they never read).
/// Uses `try_publish`, so queue contenders hit their full-queue path after `cap` messages
/// and the `bus` crate stops accepting; lossy buses keep overwriting.
pub fn steady<C: Contender>(subs: usize, cap: usize, messages: u64) -> Sample {
    let (mut tx, rxs) = C::channel(cap, subs);
    let start = Instant::now();
    for seq in 0..messages {
        std::hint::black_box(tx.try_publish(Msg { seq, sent_ns: 0 }));
    }
    let elapsed_ns = duration_ns(start.elapsed());
    drop(rxs);
    Sample {
        elapsed_ns,
        published: messages,
        subs: Vec::new(),
    }
}

/// `delivery`: the receive path without the scheduler. One thread publishes a burst of
/// `burst` messages to `fanout` receivers (capacity `cap >= burst`, so nothing is lost), then
/// drains each receiver with `try_recv` until it is empty. Only the drains are timed (and, under
/// callgrind, counted: see [`timed_drain`]), so `elapsed_ns / delivered` is the cost of one
/// delivery; the publishes are set-up.
pub fn delivery<C: Contender>(p: BurstParams) -> Sample {
    let (mut tx, mut rxs) = C::channel(p.cap.max(p.burst as usize), p.fanout);
    let mut subs = vec![SubCounts::default(); p.fanout];
    let mut elapsed_ns = 0u64;
    for unit in 0..p.bursts {
        for i in 0..p.burst {
            tx.try_publish(Msg {
                seq: unit.wrapping_mul(p.burst).wrapping_add(i),
                sent_ns: 0,
            });
        }
        elapsed_ns = elapsed_ns.saturating_add(timed_drain(&mut rxs, &mut subs));
    }
    Sample {
        elapsed_ns,
        published: p.bursts * p.burst,
        subs,
    }
}

/// `lag_recover`: the lag path without the scheduler. One receiver on a ring of capacity
/// `cap` falls behind by `burst` messages beyond it each unit (the publisher sends
/// `cap + burst`), then receives `Lagged(burst)` and drains the `cap` retained messages.
/// Only the receive side is timed (see [`timed_drain`]). Lossy contenders only: a queue would
/// drop at the sender instead and never report a lag.
pub fn lag_recover<C: Contender>(p: BurstParams) -> Sample {
    let cap = p.cap.max(1);
    let (mut tx, mut rxs) = C::channel(cap, 1);
    let mut subs = vec![SubCounts::default(); 1];
    let mut elapsed_ns = 0u64;
    let per_unit = cap as u64 + p.burst;
    for unit in 0..p.bursts {
        for i in 0..per_unit {
            tx.try_publish(Msg {
                seq: unit.wrapping_mul(per_unit).wrapping_add(i),
                sent_ns: 0,
            });
        }
        elapsed_ns = elapsed_ns.saturating_add(timed_drain(&mut rxs, &mut subs));
    }
    Sample {
        elapsed_ns,
        published: p.bursts * per_unit,
        subs,
    }
}

/// Drains every receiver with `try_recv` until it is empty, counting into `subs`; returns the
/// wall time of the drains. Never inlined: `ron-bench --measure instructions` counts
/// instructions inside this symbol only for the `delivery` and `lag_recover` scenarios, so
/// the count isolates the receive path from the publishes that set it up.
#[inline(never)]
pub fn timed_drain<R: Subscriber>(rxs: &mut [R], subs: &mut [SubCounts]) -> u64 {
    let start = Instant::now();
    for (rx, c) in rxs.iter_mut().zip(subs.iter_mut()) {
        loop {
            match rx.try_recv() {
                Recv::Msg(m) => {
                    std::hint::black_box(m);
                    c.delivered += 1;
                }
                Recv::Lagged(n) => c.lagged += n,
                Recv::Empty | Recv::Closed => break,
            }
        }
    }
    duration_ns(start.elapsed())
}

/// Latency percentiles of one `latency` run, in nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct LatencyNs {
    /// Median publish->receive latency.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest observed.
    pub max: u64,
    /// Number of latencies recorded.
    pub count: u64,
}

/// `latency`: the publisher sends `messages` at `rate_per_sec` (below saturation); every
/// subscriber records publish->receive latency into an HDR histogram.
pub fn latency<C: Contender>(
    fanout: usize,
    cap: usize,
    messages: u64,
    rate_per_sec: u64,
) -> (Sample, LatencyNs) {
    let (mut tx, rxs) = C::channel(cap, fanout);
    let origin = Instant::now();
    let start_line = Arc::new(Barrier::new(fanout + 1));
    let handles: Vec<_> = rxs
        .into_iter()
        .map(|rx| {
            let start_line = Arc::clone(&start_line);
            std::thread::spawn(move || record_latency(rx, &start_line, origin))
        })
        .collect();
    let gap_ns = 1_000_000_000 / rate_per_sec.max(1);
    start_line.wait();
    let start = Instant::now();
    for seq in 0..messages {
        let due = Duration::from_nanos(seq * gap_ns);
        while start.elapsed() < due {
            std::hint::spin_loop();
        }
        let sent_ns = duration_ns(origin.elapsed());
        tx.publish(Msg { seq, sent_ns });
    }
    drop(tx);
    let mut hist = new_histogram();
    let mut subs = Vec::with_capacity(fanout);
    let mut last_done = start;
    for h in handles {
        let (counts, h_sub, done) = h.join().expect("subscriber thread panicked");
        subs.push(counts);
        hist.add(&h_sub).expect("histograms share bounds");
        last_done = last_done.max(done);
    }
    let lat = LatencyNs {
        p50: hist.value_at_quantile(0.50),
        p90: hist.value_at_quantile(0.90),
        p95: hist.value_at_quantile(0.95),
        p99: hist.value_at_quantile(0.99),
        p999: hist.value_at_quantile(0.999),
        max: hist.max(),
        count: hist.len(),
    };
    let sample = Sample {
        elapsed_ns: duration_ns(last_done - start),
        published: messages,
        subs,
    };
    (sample, lat)
}

fn new_histogram() -> Histogram<u64> {
    // 1 ns .. 60 s at 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("static bounds are valid")
}

fn record_latency<R: Subscriber>(
    mut rx: R,
    start_line: &Barrier,
    origin: Instant,
) -> (SubCounts, Histogram<u64>, Instant) {
    let mut c = SubCounts::default();
    let mut hist = new_histogram();
    start_line.wait();
    loop {
        match rx.recv() {
            Recv::Msg(m) => {
                c.delivered += 1;
                let now = duration_ns(origin.elapsed());
                hist.saturating_record(now.saturating_sub(m.sent_ns).max(1));
            }
            Recv::Lagged(n) => c.lagged += n,
            Recv::Closed => break,
            Recv::Empty => std::hint::spin_loop(),
        }
    }
    (c, hist, Instant::now())
}

/// A duration in whole nanoseconds, saturating.
pub fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContenderId, Visit};

    struct Fanout(BurstParams);
    impl Visit for Fanout {
        type Out = Sample;
        fn visit<C: Contender>(self) -> Sample {
            burst_fanout::<C>(self.0)
        }
    }

    #[test]
    fn every_contender_accounts_for_every_message() {
        let p = BurstParams {
            burst: 64,
            fanout: 3,
            cap: 128,
            bursts: 20,
            pub_yield: true,
        };
        for id in ContenderId::ALL {
            let s = id.visit(Fanout(p));
            assert_eq!(s.published, 64 * 20, "{id}");
            assert_eq!(s.subs.len(), 3, "{id}");
            assert!(s.accounting_holds(), "{id}: {s:?}");
            if !id.lossy() {
                assert_eq!(s.delivered(), 3 * 64 * 20, "{id} is not lossy");
            }
            assert!(s.elapsed_ns > 0);
        }
    }

    #[test]
    fn delivery_drains_every_message_to_every_receiver_for_every_contender() {
        struct Del(BurstParams);
        impl Visit for Del {
            type Out = Sample;
            fn visit<C: Contender>(self) -> Sample {
                delivery::<C>(self.0)
            }
        }
        let p = BurstParams {
            burst: 64,
            fanout: 4,
            cap: 16, // below the burst: the workload sizes the ring to the burst
            bursts: 5,
            pub_yield: false,
        };
        for id in ContenderId::ALL {
            let s = id.visit(Del(p));
            assert_eq!(s.published, 64 * 5, "{id}");
            assert_eq!(s.subs.len(), 4, "{id}");
            assert_eq!(
                s.delivered(),
                4 * 64 * 5,
                "{id}: nothing lost, nothing lagged"
            );
            assert_eq!(s.lagged(), 0, "{id}");
            assert!(s.accounting_holds(), "{id}: {s:?}");
        }
    }

    #[test]
    fn lag_recover_reports_one_lag_per_unit_then_the_retained_ring() {
        struct Lag(BurstParams);
        impl Visit for Lag {
            type Out = Sample;
            fn visit<C: Contender>(self) -> Sample {
                lag_recover::<C>(self.0)
            }
        }
        let p = BurstParams {
            burst: 40,
            fanout: 1,
            cap: 64,
            bursts: 7,
            pub_yield: false,
        };
        for id in ContenderId::ALL.into_iter().filter(|c| c.lossy()) {
            let s = id.visit(Lag(p));
            assert_eq!(s.published, (64 + 40) * 7, "{id}");
            assert_eq!(s.subs[0].lagged, 40 * 7, "{id}: Lagged(burst) every unit");
            assert_eq!(s.subs[0].delivered, 64 * 7, "{id}: then the whole ring");
            assert!(s.accounting_holds(), "{id}: {s:?}");
        }
    }

    #[test]
    fn lagged_uses_capacity_one_and_still_accounts() {
        struct Lag(BurstParams);
        impl Visit for Lag {
            type Out = Sample;
            fn visit<C: Contender>(self) -> Sample {
                lagged::<C>(self.0)
            }
        }
        let p = BurstParams {
            burst: 32,
            fanout: 2,
            cap: 2048,
            bursts: 10,
            pub_yield: false,
        };
        for id in [
            ContenderId::RonBus,
            ContenderId::TokioBroadcast,
            ContenderId::Crossbeam,
        ] {
            let s = id.visit(Lag(p));
            assert!(s.accounting_holds(), "{id}: {s:?}");
        }
    }

    #[test]
    fn latency_records_one_value_per_delivery() {
        let (s, lat) = latency::<crate::adapters::RonBus>(2, 1024, 200, 100_000);
        assert!(s.accounting_holds());
        assert_eq!(lat.count, s.delivered());
        assert!(lat.p50 <= lat.p99 && lat.p99 <= lat.max);
    }

    #[test]
    fn edge_and_mixed_topic_account_for_relevant_messages() {
        let p = BurstParams {
            burst: 50,
            fanout: 2,
            cap: 128,
            bursts: 10,
            pub_yield: false,
        };
        let s = edge::<crate::adapters::RonBus>(p);
        assert!(s.accounting_holds(), "{s:?}");
        assert_eq!(s.published, 500);
        let s = mixed_topic::<crate::adapters::RonBus>(p);
        assert_eq!(s.published, 150, "30% of 500 are relevant");
        assert!(s.accounting_holds(), "{s:?}");
        let s = mixed_topic::<crate::adapters::CrossbeamQueues>(p);
        assert_eq!(
            s.delivered(),
            2 * 150,
            "user-code filtering keeps the relevant ones"
        );
    }

    #[test]
    fn steady_counts_publishes_only() {
        let s = steady::<crate::adapters::RonBus>(0, 64, 1000);
        assert_eq!(s.published, 1000);
        assert!(s.subs.is_empty());
        assert_eq!(s.delivered_ratio(), 1.0);
    }
}
