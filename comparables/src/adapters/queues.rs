//! flume and crossbeam-channel: work queues, so fanout N is N bounded channels (one per
//! subscriber) and the publisher sends N copies. Not lossy: `publish` blocks on a full queue;
//! `try_publish` drops for that subscriber instead.

use crate::{Contender, Msg, Publisher, Recv, Subscriber, Topology};

macro_rules! queue_contender {
    ($name:ident, $tx:ident, $rx:ident, $label:literal, $krate:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug)]
        pub struct $name;

        /// Publisher side: one sender per subscriber.
        #[derive(Debug)]
        pub struct $tx(Vec<$krate::Sender<Msg>>);

        /// Subscriber side: its own queue.
        #[derive(Debug)]
        pub struct $rx($krate::Receiver<Msg>);

        impl Publisher for $tx {
            #[inline]
            fn publish(&mut self, msg: Msg) -> usize {
                self.0.iter().filter(|s| s.send(msg).is_ok()).count()
            }
            #[inline]
            fn try_publish(&mut self, msg: Msg) -> usize {
                self.0.iter().filter(|s| s.try_send(msg).is_ok()).count()
            }
        }

        impl Subscriber for $rx {
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
                    Err($krate::TryRecvError::Empty) => Recv::Empty,
                    Err($krate::TryRecvError::Disconnected) => Recv::Closed,
                }
            }
        }

        impl Contender for $name {
            const NAME: &'static str = $label;
            const TOPOLOGY: Topology = Topology::QueuePerSubscriber;
            const LOSSY: bool = false;
            type Tx = $tx;
            type Rx = $rx;
            fn channel(cap: usize, fanout: usize) -> ($tx, Vec<$rx>) {
                let (txs, rxs) = (0..fanout)
                    .map(|_| {
                        let (t, r) = $krate::bounded(cap.max(1));
                        (t, $rx(r))
                    })
                    .unzip();
                ($tx(txs), rxs)
            }
        }
    };
}

queue_contender!(
    CrossbeamQueues,
    CrossbeamTx,
    CrossbeamRx,
    "crossbeam",
    crossbeam_channel,
    "crossbeam-channel, one bounded channel per subscriber."
);
queue_contender!(
    FlumeQueues,
    FlumeTx,
    FlumeRx,
    "flume",
    flume,
    "flume, one bounded channel per subscriber."
);
