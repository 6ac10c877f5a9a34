//! Behavioural tests of the bus contract (crate docs, "Lagging" and "Closing").
#![cfg(not(loom))]

use ron_bus::{Bus, RecvError, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

fn assert_send_sync<T: Send + Sync>() {}

/// Counter snapshot; with `metrics_buf` the per-thread buffers are flushed first.
fn snapshot() -> ron_metrics::BusSnapshot {
    #[cfg(feature = "metrics_buf")]
    ron_metrics::tls::flush_all();
    ron_metrics::bus().snapshot()
}
fn assert_send<T: Send>() {}

#[test]
fn handles_are_send_and_sync() {
    assert_send_sync::<Bus<String>>();
    assert_send::<ron_bus::Receiver<String>>();
    assert_send_sync::<ron_bus::Receiver<u64>>();
    assert_send_sync::<RecvError>();
    assert_send_sync::<TryRecvError>();
}

#[test]
#[should_panic(expected = "capacity must be at least 1")]
fn zero_capacity_panics_with_a_clear_message() {
    let _ = Bus::<u8>::new(0);
}

#[test]
fn capacity_rounds_up_to_power_of_two() {
    for (asked, got) in [(1, 1), (2, 2), (3, 4), (64, 64), (65, 128), (2000, 2048)] {
        assert_eq!(Bus::<u8>::new(asked).capacity(), got, "asked {asked}");
    }
}

#[test]
fn publish_returns_live_receivers_and_counts_no_receivers() {
    let bus = Bus::new(4);
    let before = snapshot();
    assert_eq!(bus.publish(1u32), 0);
    let after = snapshot();
    assert!(after.delta_since(&before).no_receivers >= 1);
    let a = bus.subscribe();
    let b = bus.subscribe();
    assert_eq!(bus.receiver_count(), 2);
    assert_eq!(bus.publish(2), 2);
    drop(a);
    assert_eq!(bus.publish(3), 1);
    drop(b);
    assert_eq!(bus.receiver_count(), 0);
}

#[test]
fn every_receiver_sees_every_message_in_order_with_string_payloads() {
    let bus = Bus::new(16);
    let mut rxs: Vec<_> = (0..3).map(|_| bus.subscribe()).collect();
    for i in 0..10 {
        bus.publish(format!("m{i}"));
    }
    for rx in &mut rxs {
        for i in 0..10 {
            assert_eq!(rx.try_recv(), Ok(format!("m{i}")));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
}

#[test]
fn lag_reports_lost_count_then_resumes_at_oldest_and_counts_metric() {
    let bus = Bus::new(8);
    let mut rx = bus.subscribe();
    let before = snapshot();
    for i in 0..20u64 {
        bus.publish(i);
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(12)));
    let lag = snapshot().delta_since(&before).receiver_lag;
    assert!(lag >= 12, "lag counter grew by {lag}");
    for i in 12..20 {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn capacity_one_keeps_only_the_newest() {
    let bus = Bus::new(1);
    let mut rx = bus.subscribe();
    bus.publish(1u8);
    bus.publish(2u8);
    bus.publish(3u8);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(2)));
    assert_eq!(rx.try_recv(), Ok(3));
}

#[test]
fn closed_only_after_drain_and_after_last_clone_drops() {
    let bus = Bus::new(4);
    let bus2 = bus.clone();
    let mut rx = bus.subscribe();
    bus.publish(1u8);
    drop(bus);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "a clone is still alive"
    );
    bus2.publish(2);
    drop(bus2);
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn lag_is_reported_before_closed() {
    let bus = Bus::new(2);
    let mut rx = bus.subscribe();
    for i in 0..5u8 {
        bus.publish(i);
    }
    drop(bus);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(3)));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Ok(4));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn blocking_recv_wakes_on_publish_and_on_close() {
    let bus = Bus::new(4);
    let mut rx = bus.subscribe();
    let t = std::thread::spawn(move || {
        let first = rx.blocking_recv();
        let second = rx.blocking_recv();
        (first, second)
    });
    std::thread::sleep(Duration::from_millis(50)); // let it park (behaviour, not timing, is asserted)
    bus.publish(7u32);
    std::thread::sleep(Duration::from_millis(20));
    drop(bus);
    let (first, second) = t.join().unwrap();
    assert_eq!(first, Ok(7));
    assert_eq!(second, Err(RecvError::Closed));
}

#[test]
fn async_recv_works_under_tokio_and_wakes_on_close() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let bus = Bus::new(8);
        let mut rx = bus.subscribe();
        let task = tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                match rx.recv().await {
                    Ok(v) => got.push(v),
                    Err(RecvError::Closed) => break got,
                    Err(RecvError::Lagged(n)) => panic!("unexpected lag {n}"),
                }
            }
        });
        for i in 0..5u64 {
            bus.publish(i);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        drop(bus);
        assert_eq!(task.await.unwrap(), vec![0, 1, 2, 3, 4]);
    });
}

#[test]
fn sixty_four_thread_subscribers_account_for_everything() {
    // Miri runs the same protocol at a size it can finish.
    const SUBS: usize = if cfg!(miri) { 4 } else { 64 };
    const MSGS: u64 = if cfg!(miri) { 40 } else { 2_000 };
    let bus = Bus::new(256);
    let handles: Vec<_> = (0..SUBS)
        .map(|_| {
            let mut rx = bus.subscribe();
            std::thread::spawn(move || {
                let (mut delivered, mut lagged, mut last) = (0u64, 0u64, None::<u64>);
                loop {
                    match rx.blocking_recv() {
                        Ok(v) => {
                            assert!(
                                last.is_none_or(|l| v > l),
                                "order violated: {last:?} then {v}"
                            );
                            last = Some(v);
                            delivered += 1;
                        }
                        Err(RecvError::Lagged(n)) => lagged += n,
                        Err(RecvError::Closed) => return (delivered, lagged),
                    }
                }
            })
        })
        .collect();
    for i in 0..MSGS {
        assert_eq!(bus.publish(i), SUBS);
    }
    drop(bus);
    for h in handles {
        let (d, l) = h.join().unwrap();
        assert_eq!(d + l, MSGS);
    }
}

#[test]
fn concurrent_publishers_never_duplicate_and_account() {
    const PER_PUB: u64 = if cfg!(miri) { 30 } else { 1000 };
    let bus = Bus::new(64);
    let mut rx = bus.subscribe();
    let pubs: Vec<_> = (0..3u64)
        .map(|p| {
            let bus = bus.clone();
            std::thread::spawn(move || {
                for i in 0..PER_PUB {
                    bus.publish(p * 1_000_000 + i);
                }
            })
        })
        .collect();
    drop(bus);
    let reader = std::thread::spawn(move || {
        let mut seen = std::collections::HashSet::new();
        let mut lagged = 0;
        loop {
            match rx.blocking_recv() {
                Ok(v) => assert!(seen.insert(v), "duplicate {v}"),
                Err(RecvError::Lagged(n)) => lagged += n,
                Err(RecvError::Closed) => return (seen.len() as u64, lagged),
            }
        }
    });
    for p in pubs {
        p.join().unwrap();
    }
    let (d, l) = reader.join().unwrap();
    assert_eq!(d + l, 3 * PER_PUB);
}

#[test]
fn subscribe_sees_only_later_messages() {
    let bus = Arc::new(Bus::new(8));
    bus.publish(1u8);
    let mut early = bus.subscribe();
    bus.publish(2);
    let mut late = bus.subscribe();
    bus.publish(3);
    assert_eq!(early.try_recv(), Ok(2));
    assert_eq!(early.try_recv(), Ok(3));
    assert_eq!(late.try_recv(), Ok(3));
    assert_eq!(late.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn errors_display_helpfully() {
    assert_eq!(
        RecvError::Lagged(3).to_string(),
        "receiver lagged and lost 3 messages"
    );
    assert!(TryRecvError::Closed.to_string().contains("closed"));
    assert!(TryRecvError::Empty.to_string().contains("no message"));
}
