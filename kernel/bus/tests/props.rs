//! Property tests: random interleavings of publish / try_recv / subscribe / drop over random
//! capacities, checked against a reference model of the contract.
#![cfg(not(loom))]

use proptest::prelude::*;
use ron_bus::{Bus, TryRecvError};

#[derive(Debug, Clone)]
enum Op {
    Publish,
    Recv(usize),
    Subscribe,
    Drop(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Publish),
        4 => (0usize..6).prop_map(Op::Recv),
        1 => Just(Op::Subscribe),
        1 => (0usize..6).prop_map(Op::Drop),
    ]
}

struct Sub {
    rx: ron_bus::Receiver<u64>,
    /// Sequence number of the first message published after subscribing.
    start: u64,
    /// Last value delivered (values are publish sequence numbers).
    last: Option<u64>,
    delivered: u64,
    lagged: u64,
}

fn cases() -> u32 {
    if cfg!(miri) {
        4
    } else {
        256
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn order_no_duplicates_and_accounting(cap in 1usize..17, packed in any::<bool>(), ops in proptest::collection::vec(op(), 1..200)) {
        // Both storages obey the same model: node (any `T`) and packed (`Bus::new_packed`).
        let bus = if packed { Bus::new_packed(cap) } else { Bus::new(cap) };
        let cap = bus.capacity() as u64;
        let mut published = 0u64;
        let mut subs: Vec<Sub> = Vec::new();
        for op in ops {
            match op {
                Op::Publish => {
                    let live = bus.publish(published);
                    prop_assert_eq!(live, subs.len());
                    if live > 0 { published += 1; }
                }
                Op::Subscribe => subs.push(Sub { rx: bus.subscribe(), start: published, last: None, delivered: 0, lagged: 0 }),
                Op::Drop(i) => { if !subs.is_empty() { let i = i % subs.len(); subs.remove(i); } }
                Op::Recv(i) => {
                    if subs.is_empty() { continue; }
                    let i = i % subs.len();
                    let s = &mut subs[i];
                    let expected_next = s.last.map_or(s.start, |l| l + 1).max(s.start + s.delivered + s.lagged);
                    match s.rx.try_recv() {
                        Ok(v) => {
                            prop_assert_eq!(v, expected_next, "in order, nothing skipped silently");
                            prop_assert!(published - v <= cap, "delivered a value older than capacity");
                            s.last = Some(v);
                            s.delivered += 1;
                        }
                        Err(TryRecvError::Lagged(n)) => {
                            prop_assert!(n > 0);
                            prop_assert_eq!(expected_next + n, published - cap, "resumes at the oldest retained");
                            s.lagged += n;
                        }
                        Err(TryRecvError::Empty) => prop_assert_eq!(expected_next, published),
                        Err(TryRecvError::Closed) => prop_assert!(false, "bus is still open"),
                    }
                }
            }
        }
        drop(bus);
        for mut s in subs {
            loop {
                match s.rx.try_recv() {
                    Ok(_) => s.delivered += 1,
                    Err(TryRecvError::Lagged(n)) => s.lagged += n,
                    Err(TryRecvError::Closed) => break,
                    Err(TryRecvError::Empty) => prop_assert!(false, "Empty after close"),
                }
            }
            prop_assert_eq!(s.delivered + s.lagged, published - s.start);
        }
    }
}
