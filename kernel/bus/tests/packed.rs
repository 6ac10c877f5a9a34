//! Packed storage (`Bus::new_packed`): the contract of the crate docs, plus torn-read and
//! accounting checks under concurrent, lapping publishers.
#![cfg(not(loom))]

use ron_bus::{Bus, Packed, RecvError, TryRecvError, MAX_PACKED_WORDS};

/// Two words that must always match: a torn copy (words of two different messages) breaks
/// `b == !a`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pair {
    a: u64,
    b: u64,
}

impl Pair {
    fn new(a: u64) -> Self {
        Pair { a, b: !a }
    }
}

impl Packed for Pair {
    const WORDS: usize = 2;
    fn pack(&self, w: &mut [u64]) {
        w[0] = self.a;
        w[1] = self.b;
    }
    fn unpack(w: &[u64]) -> Self {
        Pair { a: w[0], b: w[1] }
    }
}

#[test]
fn publish_receive_lag_close() {
    let bus = Bus::new_packed(4);
    assert_eq!(bus.capacity(), 4);
    assert_eq!(bus.publish(Pair::new(99)), 0, "no receiver: dropped");
    let mut rx = bus.subscribe();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    for i in 0..10 {
        assert_eq!(bus.publish(Pair::new(i)), 1);
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(6)));
    for i in 6..10 {
        assert_eq!(rx.try_recv(), Ok(Pair::new(i)));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    bus.publish(Pair::new(10));
    drop(bus);
    assert_eq!(rx.try_recv(), Ok(Pair::new(10)));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn every_word_count_round_trips() {
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Full([u64; MAX_PACKED_WORDS]);
    impl Packed for Full {
        const WORDS: usize = MAX_PACKED_WORDS;
        fn pack(&self, w: &mut [u64]) {
            w.copy_from_slice(&self.0);
        }
        fn unpack(w: &[u64]) -> Self {
            Full(w.try_into().unwrap())
        }
    }
    let bus = Bus::new_packed(3);
    let mut rx = bus.subscribe();
    for i in 0..6u64 {
        bus.publish(Full(std::array::from_fn(|k| i * 100 + k as u64)));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(2)));
    for i in 2..6u64 {
        assert_eq!(
            rx.try_recv(),
            Ok(Full(std::array::from_fn(|k| i * 100 + k as u64)))
        );
    }
    let units = Bus::<()>::new_packed(2);
    let mut u = units.subscribe();
    units.publish(());
    assert_eq!(u.try_recv(), Ok(()));
    let pairs = Bus::new_packed(2);
    let mut p = pairs.subscribe();
    pairs.publish((7u32, -3i64));
    assert_eq!(p.try_recv(), Ok((7u32, -3i64)));
}

#[test]
#[should_panic(expected = "at most 8")]
fn too_many_words_panics() {
    #[derive(Clone)]
    struct Big;
    impl Packed for Big {
        const WORDS: usize = MAX_PACKED_WORDS + 1;
        fn pack(&self, _: &mut [u64]) {}
        fn unpack(_: &[u64]) -> Self {
            Big
        }
    }
    let _ = Bus::<Big>::new_packed(4);
}

/// Three publishers lap a small ring while two readers copy: no torn value, no duplicate,
/// per-publisher order, and `delivered + lagged == published`.
#[test]
fn lapping_publishers_never_tear_or_duplicate() {
    const PER_PUB: u64 = if cfg!(miri) { 40 } else { 20_000 };
    const PUBS: u64 = 3;
    let bus = Bus::<Pair>::new_packed(4);
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let mut rx = bus.subscribe();
            std::thread::spawn(move || {
                let mut last = [None::<u64>; PUBS as usize];
                let (mut delivered, mut lagged) = (0u64, 0u64);
                loop {
                    match rx.blocking_recv() {
                        Ok(p) => {
                            assert_eq!(p.b, !p.a, "torn read {p:?}");
                            let (who, i) = ((p.a >> 32) as usize, p.a & 0xffff_ffff);
                            assert!(last[who].is_none_or(|l| i > l), "order/duplicate {p:?}");
                            last[who] = Some(i);
                            delivered += 1;
                        }
                        Err(RecvError::Lagged(n)) => lagged += n,
                        Err(RecvError::Closed) => return delivered + lagged,
                    }
                }
            })
        })
        .collect();
    let pubs: Vec<_> = (0..PUBS)
        .map(|p| {
            let bus = bus.clone();
            std::thread::spawn(move || {
                for i in 0..PER_PUB {
                    bus.publish(Pair::new(p << 32 | i));
                }
            })
        })
        .collect();
    drop(bus);
    for p in pubs {
        p.join().unwrap();
    }
    for r in readers {
        assert_eq!(r.join().unwrap(), PUBS * PER_PUB);
    }
}

#[test]
fn async_recv_on_packed_storage() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let bus = Bus::new_packed(8);
        let mut rx = bus.subscribe();
        let task = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Ok(v) = rx.recv().await {
                got.push(v);
            }
            got
        });
        for i in 0..5u64 {
            bus.publish(i);
            tokio::task::yield_now().await;
        }
        drop(bus);
        assert_eq!(task.await.unwrap(), vec![0, 1, 2, 3, 4]);
    });
}

/// A value whose `pack` panics (user code): the panic happens before the sequence number is
/// reserved, so no slot waits for a turn that never ends and later publishes finish.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fragile(u64);

impl Packed for Fragile {
    const WORDS: usize = 1;
    fn pack(&self, w: &mut [u64]) {
        assert!(self.0 != u64::MAX, "Fragile::pack refuses u64::MAX");
        w[0] = self.0;
    }
    fn unpack(w: &[u64]) -> Self {
        Fragile(w[0])
    }
}

#[test]
fn a_panicking_pack_never_strands_a_slot() {
    let bus = Bus::<Fragile>::new_packed(2);
    let mut rx = bus.subscribe();
    let other = bus.clone();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        bus.publish(Fragile(u64::MAX))
    }));
    assert!(panicked.is_err(), "pack panicked");
    // Another publisher laps the ring twice: with a stranded turn it would wait forever.
    std::thread::spawn(move || {
        for i in 0..4 {
            other.publish(Fragile(i));
        }
    })
    .join()
    .unwrap();
    drop(bus);
    let (mut got, mut lagged) = (Vec::new(), 0);
    loop {
        match rx.try_recv() {
            Ok(v) => got.push(v.0),
            Err(TryRecvError::Lagged(n)) => lagged += n,
            Err(TryRecvError::Closed) => break,
            Err(TryRecvError::Empty) => panic!("Empty after every publisher dropped"),
        }
    }
    assert_eq!(got, vec![2, 3], "the newest two are retained");
    assert_eq!(
        got.len() as u64 + lagged,
        4,
        "the panicked publish reserved nothing"
    );
}
