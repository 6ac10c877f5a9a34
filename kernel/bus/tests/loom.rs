//! loom models of the ring and the wake protocol.
//!
//! Run with: `RUSTFLAGS="--cfg loom" cargo test -p ron-bus --release --test loom --target-dir target/loom`
#![cfg(loom)]

use loom::thread;
use ron_bus::{Bus, RecvError, TryRecvError};

/// `loom::model`, with at most 3 preemptions per execution under `bus_edge_notify` unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise: the edge wait path (swap, `idle` RMW, fence, `tail`
/// RMW, race check) made the unbounded search run for more than 10 minutes. Bounded at 3 it
/// takes about a second and still finds the deadlock when the subscriber's "reserved but not
/// installed" check is removed (we tried).
fn model<F: Fn() + Sync + Send + 'static>(f: F) {
    let mut b = loom::model::Builder::new();
    if cfg!(feature = "bus_edge_notify") && b.preemption_bound.is_none() {
        b.preemption_bound = Some(3);
    }
    b.check(f);
}

/// Drains until Closed, checking order; returns (delivered values, lagged total).
fn drain<T: Clone + Send + Sync + 'static>(rx: &mut ron_bus::Receiver<T>) -> (Vec<T>, u64) {
    let mut got = Vec::new();
    let mut lagged = 0;
    loop {
        match rx.try_recv() {
            Ok(v) => got.push(v),
            Err(TryRecvError::Lagged(n)) => lagged += n,
            Err(TryRecvError::Closed) => return (got, lagged),
            Err(TryRecvError::Empty) => panic!("Empty after every publisher finished and dropped"),
        }
    }
}

#[test]
fn publish_vs_recv_on_a_wrapping_slot() {
    model(|| {
        let bus = Bus::new(2);
        let mut rx = bus.subscribe();
        let publisher = thread::spawn(move || {
            for i in 0..3u64 {
                bus.publish(i); // message 2 wraps onto slot 0
            }
        });
        let mut got = Vec::new();
        let mut lagged = 0;
        for _ in 0..2 {
            match rx.try_recv() {
                Ok(v) => got.push(v),
                Err(TryRecvError::Lagged(n)) => lagged += n,
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Closed) => break,
            }
        }
        publisher.join().unwrap();
        let (rest, more_lag) = drain(&mut rx);
        got.extend(rest);
        lagged += more_lag;
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "order/duplicates: {got:?}"
        );
        assert_eq!(got.len() as u64 + lagged, 3, "got {got:?} lagged {lagged}");
    });
}

#[test]
fn two_publishers_lapping_one_slot_never_duplicate() {
    model(|| {
        let bus = Bus::new(1);
        let mut rx = bus.subscribe();
        let other = bus.clone();
        let p = thread::spawn(move || {
            other.publish(100u64);
        });
        bus.publish(200u64);
        p.join().unwrap();
        drop(bus);
        let (got, lagged) = drain(&mut rx);
        assert_eq!(got.len() as u64 + lagged, 2, "got {got:?} lagged {lagged}");
        assert_eq!(
            got.len(),
            1,
            "capacity 1 retains exactly the newest message"
        );
    });
}

#[test]
fn parked_receiver_is_woken_by_publish() {
    model(|| {
        let bus = Bus::new(2);
        let mut rx = bus.subscribe();
        let r = thread::spawn(move || rx.blocking_recv());
        bus.publish(5u64);
        // Keep the bus alive until the receiver returns: only the publish can wake it.
        assert_eq!(r.join().unwrap(), Ok(5));
        drop(bus);
    });
}

#[test]
fn close_wakes_a_pending_receive_after_drain() {
    model(|| {
        let bus = Bus::new(2);
        let mut rx = bus.subscribe();
        let r = thread::spawn(move || {
            let a = rx.blocking_recv();
            let b = rx.blocking_recv();
            (a, b)
        });
        bus.publish(1u64);
        drop(bus);
        let (a, b) = r.join().unwrap();
        assert_eq!(a, Ok(1));
        assert_eq!(b, Err(RecvError::Closed));
    });
}

#[test]
fn async_recv_is_woken_by_publish() {
    model(|| {
        let bus = Bus::new(2);
        let mut rx = bus.subscribe();
        let r = thread::spawn(move || loom::future::block_on(rx.recv()));
        bus.publish(9u64);
        assert_eq!(r.join().unwrap(), Ok(9));
    });
}

/// `bus_edge_notify`: the subscriber drains, clears its pending flag, re-checks and parks;
/// a publish racing with any step of that must still wake it (A1 risk: lost wake).
#[cfg(feature = "bus_edge_notify")]
#[test]
fn edge_drain_after_clear_never_loses_a_wake() {
    model(|| {
        let bus = Bus::new(4);
        let mut rx = bus.subscribe();
        let r = thread::spawn(move || {
            let a = rx.blocking_recv();
            let b = rx.blocking_recv();
            (a, b)
        });
        bus.publish(1u64);
        bus.publish(2u64);
        let (a, b) = r.join().unwrap();
        assert_eq!((a, b), (Ok(1), Ok(2)));
        drop(bus);
    });
}

/// Two words that must match (`b == !a`): a copy mixing two messages' words breaks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pair {
    a: u64,
    b: u64,
}

impl ron_bus::Packed for Pair {
    const WORDS: usize = 2;
    fn pack(&self, w: &mut [u64]) {
        w[0] = self.a;
        w[1] = self.b;
    }
    fn unpack(w: &[u64]) -> Self {
        Pair { a: w[0], b: w[1] }
    }
}

fn pair(a: u64) -> Pair {
    Pair { a, b: !a }
}

/// Packed storage: the publisher laps the reader's slot (capacity 1) while the reader may be
/// mid-copy of the older message. The reader must never return a torn pair, never a
/// duplicate, and account for both messages.
#[test]
fn packed_lapping_publisher_vs_reader_mid_copy() {
    model(|| {
        let bus = Bus::<Pair>::new_packed(1);
        let mut rx = bus.subscribe();
        let publisher = thread::spawn(move || {
            bus.publish(pair(1));
            bus.publish(pair(2)); // overwrites slot 0 in place
        });
        let mut got = Vec::new();
        let mut lagged = 0;
        for _ in 0..2 {
            match rx.try_recv() {
                Ok(p) => got.push(p),
                Err(TryRecvError::Lagged(n)) => lagged += n,
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Closed) => break,
            }
        }
        publisher.join().unwrap();
        let (rest, lost) = drain(&mut rx);
        got.extend(rest);
        lagged += lost;
        assert!(got.iter().all(|p| p.b == !p.a), "torn read: {got:?}");
        assert!(
            got.windows(2).all(|w| w[0].a < w[1].a),
            "order/duplicates: {got:?}"
        );
        assert_eq!(got.len() as u64 + lagged, 2, "got {got:?} lagged {lagged}");
        assert_eq!(got.last(), Some(&pair(2)), "the newest message is retained");
    });
}

/// Packed storage: two publishers race for one slot (capacity 1); the writers take turns in
/// sequence order (the lapping one waits for the other), so the retained message is whole
/// and delivered once.
#[test]
fn packed_two_publishers_lapping_one_slot() {
    model(|| {
        let bus = Bus::<Pair>::new_packed(1);
        let mut rx = bus.subscribe();
        let other = bus.clone();
        let p = thread::spawn(move || {
            other.publish(pair(100));
        });
        bus.publish(pair(200));
        p.join().unwrap();
        drop(bus);
        let (got, lagged) = drain(&mut rx);
        assert!(got.iter().all(|p| p.b == !p.a), "torn read: {got:?}");
        assert_eq!(
            got.len(),
            1,
            "capacity 1 retains exactly the newest: {got:?}"
        );
        assert_eq!(got.len() as u64 + lagged, 2);
    });
}

/// Packed storage: two publishers take turns on one slot (capacity 1) while a reader copies
/// from it: no torn pair, no duplicate, and both messages accounted for.
#[test]
fn packed_two_publishers_and_a_reader_mid_copy() {
    model(|| {
        let bus = Bus::<Pair>::new_packed(1);
        let mut rx = bus.subscribe();
        let other = bus.clone();
        let p = thread::spawn(move || {
            other.publish(pair(100));
        });
        let q = thread::spawn(move || {
            bus.publish(pair(200));
        });
        let mut got = Vec::new();
        let mut lagged = 0;
        match rx.try_recv() {
            Ok(v) => got.push(v),
            Err(TryRecvError::Lagged(n)) => lagged += n,
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Closed) => unreachable!("two publishers are still alive"),
        }
        p.join().unwrap();
        q.join().unwrap();
        let (rest, lost) = drain(&mut rx);
        got.extend(rest);
        lagged += lost;
        assert!(got.iter().all(|p| p.b == !p.a), "torn read: {got:?}");
        assert!(got.windows(2).all(|w| w[0] != w[1]), "duplicate: {got:?}");
        assert_eq!(got.len() as u64 + lagged, 2, "got {got:?} lagged {lagged}");
    });
}

/// Packed storage: a parked receiver is woken by a publish into an in-place slot.
#[test]
fn packed_parked_receiver_is_woken_by_publish() {
    model(|| {
        let bus = Bus::<Pair>::new_packed(2);
        let mut rx = bus.subscribe();
        let r = thread::spawn(move || rx.blocking_recv());
        bus.publish(pair(5));
        assert_eq!(r.join().unwrap(), Ok(pair(5)));
        drop(bus);
    });
}
