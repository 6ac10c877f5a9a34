//! ron-bus, and `throttled` (ron-bus plus a calibrated extra cost per publish).

use crate::{Contender, Msg, Publisher, Recv, Subscriber, Topology};
use ron_bus::{Bus, Packed, Receiver, TryRecvError};
use std::sync::atomic::{AtomicU64, Ordering};

/// ron-bus through the shared adapter.
#[derive(Debug)]
pub struct RonBus;

/// Publisher side of [`RonBus`].
#[derive(Debug)]
pub struct RonTx(Bus<Msg>, u64);

/// Subscriber side of [`RonBus`].
#[derive(Debug)]
pub struct RonRx(Receiver<Msg>, u64);

impl Publisher for RonTx {
    #[inline]
    fn publish(&mut self, msg: Msg) -> usize {
        crate::inject::tick(crate::inject::PUBLISH, &mut self.1);
        self.0.publish(msg)
    }
    #[cfg(feature = "bus_batch")]
    fn publish_batch(&mut self, msgs: &[Msg]) -> usize {
        self.0.publish_many(msgs.iter().copied())
    }
    #[cfg(feature = "bus_interest")]
    fn publish_topic(&mut self, msg: Msg, topic: u64) -> usize {
        self.0.publish_with_topic(msg, topic)
    }
}

impl Subscriber for RonRx {
    #[inline]
    fn recv(&mut self) -> Recv {
        match self.0.blocking_recv() {
            Ok(m) => {
                crate::inject::tick(crate::inject::DELIVER, &mut self.1);
                Recv::Msg(m)
            }
            Err(ron_bus::RecvError::Lagged(n)) => Recv::Lagged(n),
            Err(ron_bus::RecvError::Closed) => Recv::Closed,
        }
    }
    #[inline]
    fn try_recv(&mut self) -> Recv {
        match self.0.try_recv() {
            Ok(m) => {
                crate::inject::tick(crate::inject::DELIVER, &mut self.1);
                Recv::Msg(m)
            }
            Err(TryRecvError::Lagged(n)) => Recv::Lagged(n),
            Err(TryRecvError::Empty) => Recv::Empty,
            Err(TryRecvError::Closed) => Recv::Closed,
        }
    }
}

impl Contender for RonBus {
    const NAME: &'static str = "ron-bus";
    const TOPOLOGY: Topology = Topology::Broadcast;
    const LOSSY: bool = true;
    const NATIVE_BATCH: bool = cfg!(feature = "bus_batch");
    const NATIVE_TOPICS: bool = cfg!(feature = "bus_interest");
    type Tx = RonTx;
    type Rx = RonRx;
    fn channel(cap: usize, fanout: usize) -> (RonTx, Vec<RonRx>) {
        let bus = new_bus(cap, fanout);
        let rxs = (0..fanout).map(|_| RonRx(bus.subscribe(), 0)).collect();
        (RonTx(bus, 0), rxs)
    }
    #[cfg(feature = "bus_interest")]
    fn channel_with_interest(cap: usize, fanout: usize, mask: u64) -> (RonTx, Vec<RonRx>) {
        let bus = new_bus(cap, fanout);
        let rxs = (0..fanout)
            .map(|_| RonRx(bus.subscribe_with_interest(mask), 0))
            .collect();
        (RonTx(bus, 0), rxs)
    }
}

/// `Msg` is two `u64`s, so the adapter uses ron-bus's packed storage (`Bus::new_packed`):
/// slots hold the message in place (no allocation per publish, no epoch pin per delivery).
impl Packed for Msg {
    const WORDS: usize = 2;
    #[inline]
    fn pack(&self, w: &mut [u64]) {
        w[0] = self.seq;
        w[1] = self.sent_ns;
    }
    #[inline]
    fn unpack(w: &[u64]) -> Self {
        Msg {
            seq: w[0],
            sent_ns: w[1],
        }
    }
}

/// The bus under test. With `bus_autotune_cap` the bus picks its own capacity for the
/// subscriber count (`autotune_capacity`, what `Bus::with_autotuned_capacity` uses) and the
/// cell's `cap` is ignored: that is the feature being measured (MOG A3 compares it with the
/// best fixed capacity).
#[cfg(feature = "bus_autotune_cap")]
fn new_bus(_cap: usize, fanout: usize) -> Bus<Msg> {
    Bus::new_packed(ron_bus::autotune_capacity(fanout, None))
}

/// The bus under test (see the `bus_autotune_cap` variant).
#[cfg(not(feature = "bus_autotune_cap"))]
fn new_bus(cap: usize, _fanout: usize) -> Bus<Msg> {
    Bus::new_packed(cap.max(1))
}

static THROTTLE_SPINS: AtomicU64 = AtomicU64::new(0);

/// Sets the extra busy-loop iterations `throttled` spends per publish (the harness calibrates
/// this to a percentage of the measured cost).
pub fn set_throttle_spins(spins: u64) {
    THROTTLE_SPINS.store(spins, Ordering::Relaxed);
}

/// The current extra iterations per publish of `throttled`.
pub fn throttle_spins() -> u64 {
    THROTTLE_SPINS.load(Ordering::Relaxed)
}

/// ron-bus with an injected, calibrated slowdown per publish: the gate's power check.
#[derive(Debug)]
pub struct Throttled;

/// Publisher side of [`Throttled`].
#[derive(Debug)]
pub struct ThrottledTx {
    inner: RonTx,
    spins: u64,
}

impl Publisher for ThrottledTx {
    #[inline]
    fn publish(&mut self, msg: Msg) -> usize {
        let mut acc = 0u64;
        for i in 0..self.spins {
            acc = std::hint::black_box(acc.wrapping_add(i));
        }
        std::hint::black_box(acc);
        self.inner.publish(msg)
    }
}

impl Contender for Throttled {
    const NAME: &'static str = "throttled";
    const TOPOLOGY: Topology = Topology::Broadcast;
    const LOSSY: bool = true;
    type Tx = ThrottledTx;
    type Rx = RonRx;
    fn channel(cap: usize, fanout: usize) -> (ThrottledTx, Vec<RonRx>) {
        let (inner, rxs) = RonBus::channel(cap, fanout);
        (
            ThrottledTx {
                inner,
                spins: throttle_spins(),
            },
            rxs,
        )
    }
}
