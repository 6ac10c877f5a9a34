//! `local_dispatch` (MOG B3): one global subscription per role, re-fanned locally.
//!
//! When N consumers on the *same* thread (or task) all need the same stream, subscribing
//! each to the bus makes every publish fan out N times across cores. A [`LocalDispatch`]
//! holds one global [`Receiver`] and copies each message into N plain local queues: the global
//! fanout drops from N to 1 and the local copies cost no atomics.
//!
//! Use it when several consumers share a thread; do not use it to feed consumers on other
//! threads (that is what the bus is for).
//!
//! ```
//! use ron_bus::{Bus, LocalDispatch};
//! let bus = Bus::new(16);
//! let mut local = LocalDispatch::new(bus.subscribe(), 3);
//! bus.publish(1u32);
//! bus.publish(2u32);
//! assert_eq!(local.pump(), 2);
//! for consumer in 0..3 {
//!     assert_eq!(local.pop(consumer), Some(1));
//!     assert_eq!(local.pop(consumer), Some(2));
//!     assert_eq!(local.pop(consumer), None);
//! }
//! ```

use crate::{Receiver, TryRecvError};
use std::collections::VecDeque;

/// One global receiver fanned out to `n` local queues.
#[derive(Debug)]
pub struct LocalDispatch<T> {
    rx: Receiver<T>,
    queues: Vec<VecDeque<T>>,
    lagged: u64,
    closed: bool,
}

impl<T: Clone + Send + Sync + 'static> LocalDispatch<T> {
    /// Wraps `rx` for `consumers` local consumers.
    pub fn new(rx: Receiver<T>, consumers: usize) -> Self {
        LocalDispatch {
            rx,
            queues: (0..consumers).map(|_| VecDeque::new()).collect(),
            lagged: 0,
            closed: false,
        }
    }

    /// Moves everything available from the bus into every local queue; returns how many
    /// messages were taken from the bus.
    pub fn pump(&mut self) -> usize {
        let mut n = 0;
        loop {
            match self.rx.try_recv() {
                Ok(v) => {
                    n += 1;
                    for q in &mut self.queues {
                        q.push_back(v.clone());
                    }
                }
                Err(TryRecvError::Lagged(k)) => self.lagged += k,
                Err(TryRecvError::Empty) => return n,
                Err(TryRecvError::Closed) => {
                    self.closed = true;
                    return n;
                }
            }
        }
    }

    /// Next message for local consumer `consumer` (`None` when its queue is empty or the
    /// index is out of range).
    pub fn pop(&mut self, consumer: usize) -> Option<T> {
        self.queues.get_mut(consumer)?.pop_front()
    }

    /// Messages the global subscription lost to lag (every local consumer lost them).
    pub fn lagged(&self) -> u64 {
        self.lagged
    }

    /// Whether the bus closed and everything was pumped.
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}
