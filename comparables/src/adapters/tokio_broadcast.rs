//! `tokio::sync::broadcast`: lossy broadcast; subscribers use `blocking_recv` on OS threads.

use crate::{Contender, Msg, Publisher, Recv, Subscriber, Topology};
use tokio::sync::broadcast::{self, error};

/// tokio broadcast through the shared adapter.
#[derive(Debug)]
pub struct TokioBroadcast;

/// Publisher side of [`TokioBroadcast`].
#[derive(Debug)]
pub struct TokioTx(broadcast::Sender<Msg>);

/// Subscriber side of [`TokioBroadcast`].
#[derive(Debug)]
pub struct TokioRx(broadcast::Receiver<Msg>);

impl Publisher for TokioTx {
    #[inline]
    fn publish(&mut self, msg: Msg) -> usize {
        self.0.send(msg).unwrap_or(0)
    }
}

impl Subscriber for TokioRx {
    #[inline]
    fn recv(&mut self) -> Recv {
        match self.0.blocking_recv() {
            Ok(m) => Recv::Msg(m),
            Err(error::RecvError::Lagged(n)) => Recv::Lagged(n),
            Err(error::RecvError::Closed) => Recv::Closed,
        }
    }
    #[inline]
    fn try_recv(&mut self) -> Recv {
        match self.0.try_recv() {
            Ok(m) => Recv::Msg(m),
            Err(error::TryRecvError::Lagged(n)) => Recv::Lagged(n),
            Err(error::TryRecvError::Empty) => Recv::Empty,
            Err(error::TryRecvError::Closed) => Recv::Closed,
        }
    }
}

impl Contender for TokioBroadcast {
    const NAME: &'static str = "tokio-broadcast";
    const TOPOLOGY: Topology = Topology::Broadcast;
    const LOSSY: bool = true;
    type Tx = TokioTx;
    type Rx = TokioRx;
    fn channel(cap: usize, fanout: usize) -> (TokioTx, Vec<TokioRx>) {
        let (tx, _) = broadcast::channel(cap.max(1));
        let rxs = (0..fanout).map(|_| TokioRx(tx.subscribe())).collect();
        (TokioTx(tx), rxs)
    }
}
