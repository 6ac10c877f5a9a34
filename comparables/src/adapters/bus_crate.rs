//! jonhoo's `bus` crate: broadcast, not lossy (the publisher blocks while the slowest reader
//! is a full ring behind).

use crate::{Contender, Msg, Publisher, Recv, Subscriber, Topology};

/// The `bus` crate through the shared adapter.
#[derive(Debug)]
pub struct BusCrate;

/// Publisher side of [`BusCrate`].
pub struct BusTx(bus::Bus<Msg>, usize);

/// Subscriber side of [`BusCrate`].
pub struct BusRx(bus::BusReader<Msg>);

impl std::fmt::Debug for BusTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BusTx")
    }
}

impl std::fmt::Debug for BusRx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BusRx")
    }
}

impl Publisher for BusTx {
    #[inline]
    fn publish(&mut self, msg: Msg) -> usize {
        self.0.broadcast(msg);
        self.1
    }
    #[inline]
    fn try_publish(&mut self, msg: Msg) -> usize {
        if self.0.try_broadcast(msg).is_ok() {
            self.1
        } else {
            0
        }
    }
}

impl Subscriber for BusRx {
    #[inline]
    fn recv(&mut self) -> Recv {
        match self.0.recv() {
            Ok(m) => Recv::Msg(m),
            Err(_) => Recv::Closed,
        }
    }
    #[inline]
    fn try_recv(&mut self) -> Recv {
        match self.0.try_recv() {
            Ok(m) => Recv::Msg(m),
            Err(std::sync::mpsc::TryRecvError::Empty) => Recv::Empty,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Recv::Closed,
        }
    }
}

impl Contender for BusCrate {
    const NAME: &'static str = "bus-crate";
    const TOPOLOGY: Topology = Topology::Broadcast;
    const LOSSY: bool = false;
    type Tx = BusTx;
    type Rx = BusRx;
    fn channel(cap: usize, fanout: usize) -> (BusTx, Vec<BusRx>) {
        let mut b = bus::Bus::new(cap.max(1));
        let rxs = (0..fanout).map(|_| BusRx(b.add_rx())).collect();
        (BusTx(b, fanout), rxs)
    }
}
