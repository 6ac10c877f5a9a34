//! `delivery` at a payload size other than the default (`RON_BENCH_PAYLOAD`, ron-bus only).
//!
//! The message is a sequence number plus `K` payload words (`payload = 8 * K` bytes; the
//! default 8 bytes is the shared [`Msg`](crate::Msg) layout: `seq` plus one word). Up to
//! 56 bytes the message fits ron-bus's packed slots (`Bus::new_packed`, at most
//! `ron_bus::MAX_PACKED_WORDS` words); 64 bytes needs `Bus::new`, a heap node per message:
//! the sweep shows where in-place storage stops paying (the B5 layout question).

use super::{duration_ns, BurstParams, Sample, SubCounts};
use ron_bus::{Bus, Packed, Receiver, TryRecvError};
use std::time::Instant;

/// A sequence number and `K` payload words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wide<const K: usize> {
    /// Publisher-side sequence number.
    pub seq: u64,
    /// Payload words (the sequence number repeated: cheap to write, checked by nothing).
    pub words: [u64; K],
}

impl<const K: usize> Packed for Wide<K> {
    const WORDS: usize = K + 1;
    #[inline]
    fn pack(&self, w: &mut [u64]) {
        w[0] = self.seq;
        w[1..].copy_from_slice(&self.words);
    }
    #[inline]
    fn unpack(w: &[u64]) -> Self {
        let mut words = [0; K];
        words.copy_from_slice(&w[1..]);
        Wide { seq: w[0], words }
    }
}

/// `delivery` for ron-bus with `payload_bytes` per message (a multiple of 8 in 8..=64, as the
/// knob table bounds it; anything else is `None`).
pub fn delivery_payload(p: BurstParams, payload_bytes: u64) -> Option<Sample> {
    let cap = p.cap.max(p.burst as usize);
    match payload_bytes {
        8 => Some(run(p, Bus::<Wide<1>>::new_packed(cap))),
        16 => Some(run(p, Bus::<Wide<2>>::new_packed(cap))),
        24 => Some(run(p, Bus::<Wide<3>>::new_packed(cap))),
        32 => Some(run(p, Bus::<Wide<4>>::new_packed(cap))),
        40 => Some(run(p, Bus::<Wide<5>>::new_packed(cap))),
        48 => Some(run(p, Bus::<Wide<6>>::new_packed(cap))),
        56 => Some(run(p, Bus::<Wide<7>>::new_packed(cap))),
        64 => Some(run(p, Bus::<Wide<8>>::new(cap))),
        _ => None,
    }
}

fn run<const K: usize>(p: BurstParams, bus: Bus<Wide<K>>) -> Sample {
    let mut rxs: Vec<Receiver<Wide<K>>> = (0..p.fanout).map(|_| bus.subscribe()).collect();
    let mut subs = vec![SubCounts::default(); p.fanout];
    let mut elapsed_ns = 0u64;
    for unit in 0..p.bursts {
        for i in 0..p.burst {
            let seq = unit.wrapping_mul(p.burst).wrapping_add(i);
            bus.publish(Wide {
                seq,
                words: [seq; K],
            });
        }
        elapsed_ns = elapsed_ns.saturating_add(timed_drain_payload(&mut rxs, &mut subs));
    }
    Sample {
        elapsed_ns,
        published: p.bursts * p.burst,
        subs,
    }
}

/// [`super::timed_drain`] for [`Wide`] messages; its name matches the same callgrind toggle
/// (`*workloads::timed_drain*`), so instruction counts cover the drains only here too.
#[inline(never)]
pub fn timed_drain_payload<const K: usize>(
    rxs: &mut [Receiver<Wide<K>>],
    subs: &mut [SubCounts],
) -> u64 {
    let start = Instant::now();
    for (rx, c) in rxs.iter_mut().zip(subs.iter_mut()) {
        loop {
            match rx.try_recv() {
                Ok(m) => {
                    std::hint::black_box(m);
                    c.delivered += 1;
                }
                Err(TryRecvError::Lagged(n)) => c.lagged += n,
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
    }
    duration_ns(start.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_payload_size_delivers_every_message_to_every_receiver() {
        let p = BurstParams {
            burst: 64,
            fanout: 3,
            cap: 64,
            bursts: 5,
            pub_yield: false,
        };
        for bytes in (8..=64).step_by(8) {
            let s = delivery_payload(p, bytes).expect("a bounded payload size");
            assert_eq!(s.published, 320, "{bytes}");
            assert_eq!(s.delivered(), 320 * 3, "{bytes}");
            assert_eq!(s.lagged(), 0, "{bytes}");
        }
        assert!(delivery_payload(p, 12).is_none());
    }
}
