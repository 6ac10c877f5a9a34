//! Tests of the MOG feature flags. Each block runs only when its flag is on; CI's feature
//! matrix runs this file once per flag and once with everything on.
#![cfg(not(loom))]
#![allow(unused_imports)]

use ron_bus::{Bus, RecvError, TryRecvError};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// A waker that counts how often it was woken.
#[derive(Default)]
#[allow(dead_code)] // used by the edge and interest blocks only
struct CountingWaker(AtomicUsize);
impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counters after flushing every thread's buffer (`metrics_buf`, and always for the
/// suppressed-wake count).
#[allow(dead_code)]
fn snapshot() -> ron_metrics::BusSnapshot {
    ron_metrics::tls::flush_all();
    ron_metrics::bus().snapshot()
}

#[cfg(feature = "bus_edge_notify")]
mod edge {
    use super::*;

    #[test]
    fn edge_wakes_once_per_drain_cycle_and_suppresses_the_rest() {
        let bus = Bus::new(64);
        let mut rx = bus.subscribe();
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        {
            let mut fut = pin!(rx.recv());
            // Nothing published: the receiver clears its pending flag and parks its waker.
            assert!(fut.as_mut().poll(&mut cx).is_pending());
            bus.publish(1u32); // 0 -> 1 edge: one wake
            bus.publish(2u32); // flag already set: suppressed
            bus.publish(3u32);
            assert_eq!(
                counter.0.load(Ordering::SeqCst),
                1,
                "exactly one wake per edge"
            );
            assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
        }
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Ok(3));
    }

    #[test]
    fn edge_counters_move() {
        let before = snapshot();
        let bus = Bus::new(64);
        let mut rx = bus.subscribe();
        let t = std::thread::spawn(move || {
            let mut n = 0;
            loop {
                match rx.blocking_recv() {
                    Ok(_) => n += 1,
                    Err(RecvError::Lagged(k)) => n += k,
                    Err(RecvError::Closed) => return n,
                }
            }
        });
        for i in 0..1000u32 {
            bus.publish(i);
        }
        drop(bus);
        assert_eq!(t.join().unwrap(), 1000, "delivered + lagged");
        let d = snapshot().delta_since(&before);
        assert!(
            d.notify_suppressed + d.notify_sends >= 1000,
            "every publish to a matching subscriber is either a wake or a suppressed wake: {d:?}"
        );
    }

    #[test]
    fn edge_close_wakes_a_parked_receiver() {
        let bus = Bus::<u8>::new(4);
        let mut rx = bus.subscribe();
        let t = std::thread::spawn(move || rx.blocking_recv());
        std::thread::sleep(Duration::from_millis(20));
        drop(bus);
        assert_eq!(t.join().unwrap(), Err(RecvError::Closed));
    }
}

#[cfg(feature = "bus_batch")]
mod batch {
    use super::*;
    use proptest::prelude::*;

    fn drain(rx: &mut ron_bus::Receiver<u64>) -> Vec<Result<u64, TryRecvError>> {
        let mut out = Vec::new();
        loop {
            match rx.try_recv() {
                Err(TryRecvError::Empty) | Err(TryRecvError::Closed) => return out,
                r => out.push(r),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 4 } else { 128 }, ..ProptestConfig::default() })]
        /// Delivery and overwrite of `publish_many` are identical to N single publishes,
        /// including wraparound, partial batches and batches longer than the capacity.
        #[test]
        fn publish_many_equals_single_publishes(cap in 1usize..9, batches in proptest::collection::vec(0usize..20, 1..12), drain_every in 1usize..4) {
            let (a, b) = (Bus::new(cap), Bus::new(cap));
            let (mut ra, mut rb) = (a.subscribe(), b.subscribe());
            let mut next = 0u64;
            for (i, len) in batches.iter().enumerate() {
                let msgs: Vec<u64> = (next..next + *len as u64).collect();
                next += *len as u64;
                prop_assert_eq!(a.publish_many(msgs.iter().copied()), 1);
                for m in msgs { b.publish(m); }
                if i % drain_every == 0 {
                    prop_assert_eq!(drain(&mut ra), drain(&mut rb));
                }
            }
            let (da, db) = (drain(&mut ra), drain(&mut rb));
            prop_assert_eq!(&da, &db);
        }
    }

    #[test]
    fn batch_counters_and_drop_accounting() {
        let before = snapshot();
        let bus = Bus::new(4);
        let mut rx = bus.subscribe();
        assert_eq!(bus.publish_many(0..10u64), 1);
        assert_eq!(bus.publish_many(std::iter::empty::<u64>()), 1);
        let d = snapshot().delta_since(&before);
        assert!(d.batch_publish >= 1 && d.batch_len_count >= 1, "{d:?}");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(6)));
        let got: Vec<u64> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(got, vec![6, 7, 8, 9]);
        drop(rx);
        assert_eq!(bus.publish_many(0..3u64), 0, "no receivers: dropped");
    }
}

#[cfg(feature = "bus_autotune_cap")]
mod autotune {
    use super::*;
    use ron_bus::autotune_capacity;

    #[test]
    fn mapping_monotonicity_and_overrides() {
        assert_eq!(autotune_capacity(0, None), 64);
        assert_eq!(autotune_capacity(4, None), 64);
        assert_eq!(autotune_capacity(5, None), 128);
        assert_eq!(autotune_capacity(16, None), 128);
        assert_eq!(autotune_capacity(17, None), 256);
        assert_eq!(autotune_capacity(10_000, None), 256);
        let caps: Vec<usize> = (0..100).map(|n| autotune_capacity(n, None)).collect();
        assert!(
            caps.windows(2).all(|w| w[0] <= w[1]),
            "monotone in subscribers"
        );
        assert_eq!(autotune_capacity(4, Some(100)), 128);
        assert_eq!(autotune_capacity(4, Some(0)), 1);
        assert_eq!(Bus::<u8>::with_autotuned_capacity(8).capacity(), 128);
    }

    #[test]
    fn caps_above_256_warn_and_count() {
        let metric = || {
            ron_metrics::bus()
                .autotune_warn
                .with_label_values(&["cap_gt_256"])
                .get()
        };
        let before = metric();
        assert_eq!(autotune_capacity(4, Some(1000)), 1024);
        assert!(metric() > before);
        assert!(ron_metrics::bus().cap_selected.get() > 0);
    }
}

#[cfg(feature = "bus_interest")]
mod interest {
    use super::*;

    const A: u64 = 0b01;
    const B: u64 = 0b10;

    #[test]
    fn masked_publish_delivers_to_subset() {
        let bus = Bus::new(16);
        let mut a = bus.subscribe_with_interest(A);
        let mut b = bus.subscribe_with_interest(B);
        let mut all = bus.subscribe();
        bus.publish_with_topic(1u32, A);
        bus.publish_with_topic(2u32, B);
        bus.publish_with_topic(3u32, A | B);
        bus.publish(4u32); // no topic: everyone
        let drain = |rx: &mut ron_bus::Receiver<u32>| -> Vec<u32> {
            std::iter::from_fn(|| rx.try_recv().ok()).collect()
        };
        assert_eq!(drain(&mut a), vec![1, 3, 4]);
        assert_eq!(drain(&mut b), vec![2, 3, 4]);
        assert_eq!(drain(&mut all), vec![1, 2, 3, 4]);
    }

    #[test]
    fn skipped_messages_are_not_lag() {
        let before = snapshot();
        let bus = Bus::new(4);
        let mut a = bus.subscribe_with_interest(A);
        for i in 0..3u32 {
            bus.publish_with_topic(i, B);
        }
        bus.publish_with_topic(99u32, A);
        assert_eq!(a.try_recv(), Ok(99));
        assert_eq!(a.try_recv(), Err(TryRecvError::Empty));
        let d = snapshot().delta_since(&before);
        assert!(d.interest_skips >= 3, "{d:?}");
    }

    #[test]
    fn nonmember_receivers_do_not_wake() {
        let bus = Bus::new(16);
        let mut a = bus.subscribe_with_interest(A);
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        let mut fut = pin!(a.recv());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        bus.publish_with_topic(1u32, B);
        bus.publish_with_topic(2u32, B);
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            0,
            "not woken for other topics"
        );
        bus.publish_with_topic(3u32, A);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(3)));
    }

    #[test]
    fn changing_mask_affects_future_only() {
        let bus = Bus::new(16);
        let mut rx = bus.subscribe_with_interest(A);
        bus.publish_with_topic(1u32, A);
        bus.publish_with_topic(2u32, B); // published under mask A: skipped
        rx.set_interest(B);
        bus.publish_with_topic(3u32, A); // published under mask B: skipped
        bus.publish_with_topic(4u32, B);
        let got: Vec<u32> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(got, vec![1, 4]);
        assert_eq!(rx.interest(), B);
    }
}

#[cfg(feature = "bus_coalesce")]
mod coalesce {
    use super::*;
    use ron_bus::CoalesceConfig;

    #[test]
    fn coalesced_wakes_still_deliver_within_the_time_bound() {
        let before = snapshot();
        let bus = Bus::with_coalesce(
            64,
            CoalesceConfig {
                k: 16,
                bound: Duration::from_millis(2),
            },
        );
        let mut rx = bus.subscribe();
        let t = std::thread::spawn(move || {
            let mut got = Vec::new();
            while let Ok(v) = rx.blocking_recv() {
                got.push(v);
            }
            got
        });
        for i in 0..40u32 {
            bus.publish(i);
            if i % 10 == 0 {
                std::thread::sleep(Duration::from_millis(5)); // let the receiver park
            }
        }
        std::thread::sleep(Duration::from_millis(20));
        drop(bus);
        assert_eq!(t.join().unwrap(), (0..40).collect::<Vec<_>>());
        let d = snapshot().delta_since(&before);
        assert!(
            d.notify_suppressed > 0,
            "coalescing suppressed some sweeps: {d:?}"
        );
    }
}

#[cfg(feature = "local_dispatch")]
mod local {
    use super::*;
    use ron_bus::LocalDispatch;

    #[test]
    fn refans_to_every_local_consumer_and_reports_lag_and_close() {
        let bus = Bus::new(2);
        let mut local = LocalDispatch::new(bus.subscribe(), 2);
        for i in 0..5u8 {
            bus.publish(i);
        }
        drop(bus);
        assert_eq!(local.pump(), 2);
        assert_eq!(local.lagged(), 3);
        assert!(local.is_closed());
        for c in 0..2 {
            assert_eq!(local.pop(c), Some(3));
            assert_eq!(local.pop(c), Some(4));
            assert_eq!(local.pop(c), None);
        }
        assert_eq!(local.pop(7), None);
    }
}

/// Every payload is dropped exactly once, whatever the ring layout (SoA especially): values
/// are counted on creation (including clones) and on drop.
mod drops {
    use super::*;

    static LIVE: AtomicUsize = AtomicUsize::new(0);

    #[derive(Debug, PartialEq)]
    struct Counted(u64);
    impl Counted {
        fn new(v: u64) -> Self {
            LIVE.fetch_add(1, Ordering::SeqCst);
            Counted(v)
        }
    }
    impl Clone for Counted {
        fn clone(&self) -> Self {
            Counted::new(self.0)
        }
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            LIVE.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn payloads_are_dropped_exactly_once() {
        {
            let bus = Bus::new(4);
            let mut rx = bus.subscribe();
            let n = if cfg!(miri) { 20 } else { 500 };
            let publisher = {
                let bus = bus.clone();
                std::thread::spawn(move || {
                    for i in 0..n {
                        bus.publish(Counted::new(i));
                    }
                })
            };
            let mut seen = 0;
            while seen < n / 4 {
                match rx.try_recv() {
                    Ok(_) => seen += 1,
                    Err(TryRecvError::Lagged(k)) => seen += k,
                    Err(_) => std::thread::yield_now(),
                }
            }
            publisher.join().unwrap();
        }
        // Replaced payloads are freed by the epoch collector: give it a chance to run.
        for _ in 0..10_000 {
            if LIVE.load(Ordering::SeqCst) == 0 {
                break;
            }
            // Pinning and flushing advances the global epoch and runs deferred drops.
            let bus = Bus::<u8>::new(1);
            let _rx = bus.subscribe();
            bus.publish(0);
            std::thread::yield_now();
        }
        assert_eq!(
            LIVE.load(Ordering::SeqCst),
            0,
            "every payload dropped exactly once"
        );
    }
}
