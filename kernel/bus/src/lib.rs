//! ron-bus: a bounded, lossy, never-blocking broadcast bus.
//!
//! A [`Bus`] is a ring of `capacity` slots shared by every publisher (the `Bus` is `Clone`)
//! and every [`Receiver`]. Publishing never blocks and never fails; a receiver that falls
//! behind loses the oldest messages and is told how many.
//!
//! ```
//! use ron_bus::{Bus, TryRecvError};
//!
//! let bus = Bus::new(8);
//! let mut rx = bus.subscribe();
//! assert_eq!(bus.publish("hello".to_string()), 1); // one live receiver
//! assert_eq!(rx.try_recv().as_deref(), Ok("hello"));
//! assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
//! ```
//!
//! # Capacity
//! `Bus::new(0)` panics; any other capacity is rounded up to a power of two.
//!
//! ```
//! assert_eq!(ron_bus::Bus::<u64>::new(100).capacity(), 128);
//! assert_eq!(ron_bus::Bus::<u64>::new(1).capacity(), 1);
//! ```
//!
//! # No replay
//! A receiver sees only messages published after [`Bus::subscribe`]. Publishing with no
//! receiver returns 0, stores nothing and counts `bus_no_receivers_total`.
//!
//! ```
//! use ron_bus::{Bus, TryRecvError};
//! let bus = Bus::new(4);
//! assert_eq!(bus.publish(1u32), 0);
//! let mut rx = bus.subscribe();
//! assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
//! bus.publish(2);
//! assert_eq!(rx.try_recv(), Ok(2));
//! ```
//!
//! # Lagging
//! Each receiver sees messages in publish order, never twice. A receiver that falls more than
//! `capacity` messages behind gets `Lagged(n)`, `n` being the messages it lost, and then
//! continues from the oldest message still retained. For every receiver,
//! `delivered + lagged == published since it subscribed` once it has drained. The lost
//! messages are added to `bus_receiver_lag_total` by the receiver itself.
//!
//! ```
//! use ron_bus::{Bus, TryRecvError};
//! let bus = Bus::new(4);
//! let mut rx = bus.subscribe();
//! for i in 0..10u64 {
//!     bus.publish(i);
//! }
//! assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(6))); // 0..=5 were overwritten
//! assert_eq!(rx.try_recv(), Ok(6));                       // the oldest retained
//! assert_eq!(rx.try_recv(), Ok(7));
//! ```
//!
//! # Closing
//! When every `Bus` handle is dropped the bus is closed. A receiver first drains what is
//! still retained, then gets `Closed`. Pending `recv().await` and `blocking_recv()` calls wake
//! on publish and on close.
//!
//! ```
//! use ron_bus::{Bus, TryRecvError};
//! let bus = Bus::new(4);
//! let mut rx = bus.subscribe();
//! bus.publish(1u8);
//! drop(bus);
//! assert_eq!(rx.try_recv(), Ok(1));
//! assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
//! ```
//!
//! # Multiple publishers
//! Publishers reserve sequence numbers with one atomic add. If a publisher is preempted
//! between reserving and writing, receivers wait at that position until it finishes (or
//! until the slot is lapped, which they see as lag) — as in every bounded MPMC ring.
//!
//! # Cargo features
//! All off by default; none changes behaviour when off. See the README's flag table.
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod counters;
mod error;
mod ring;
mod sync;
mod wait;

pub use error::{RecvError, TryRecvError};

use crossbeam_utils::CachePadded;
use ring::{Read, Ring};
use std::future::poll_fn;
use std::task::{Poll, Waker};
use sync::{Arc, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use wait::{ThreadWaker, Waiters};

/// State shared by every handle of one bus.
struct Shared<T> {
    ring: Ring<T>,
    /// Next sequence number to reserve. Written only by publishers (one RMW per publish);
    /// receivers read it only on the lag path and at subscribe.
    tail: CachePadded<AtomicU64>,
    /// Live `Bus` handles; the last one to drop closes the bus.
    senders: AtomicUsize,
    /// Live receivers (what `publish` returns).
    receivers: CachePadded<AtomicUsize>,
    /// Set once, after the last publisher's final publish (Release; read with Acquire).
    closed: AtomicBool,
    waiters: Waiters,
}

/// The publishing handle. Cheap to clone; every clone publishes into the same ring.
pub struct Bus<T> {
    shared: Arc<Shared<T>>,
}

/// A subscription. Receives every message published after it was created, in order,
/// unless it lags (see the crate docs).
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Sequence number of the next message this receiver expects. Only this receiver
    /// writes it; it never moves backwards.
    next: u64,
}

impl<T> std::fmt::Debug for Bus<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("capacity", &self.shared.ring.capacity())
            .field("receivers", &self.shared.receivers.load(Ordering::Relaxed))
            .finish()
    }
}

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish()
    }
}

impl<T: Clone + Send + Sync + 'static> Bus<T> {
    /// Creates a bus holding the last `capacity` messages, rounded up to a power of two.
    ///
    /// # Panics
    /// If `capacity` is 0 or larger than `2^62`.
    pub fn new(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "ron_bus::Bus::new: capacity must be at least 1 (got 0)"
        );
        assert!(
            capacity <= 1 << 62,
            "ron_bus::Bus::new: capacity {capacity} is too large"
        );
        let capacity = capacity.next_power_of_two();
        Bus {
            shared: Arc::new(Shared {
                ring: Ring::new(capacity),
                tail: CachePadded::new(AtomicU64::new(0)),
                senders: AtomicUsize::new(1),
                receivers: CachePadded::new(AtomicUsize::new(0)),
                closed: AtomicBool::new(false),
                waiters: Waiters::default(),
            }),
        }
    }

    /// Publishes `msg` to every current receiver and returns how many there were.
    /// Never blocks; with no receiver the message is dropped and 0 is returned.
    pub fn publish(&self, msg: T) -> usize {
        let shared = &*self.shared;
        let live = shared.receivers.load(Ordering::Acquire);
        if live == 0 {
            counters::bus().no_receivers.inc();
            return 0;
        }
        let seq = shared.tail.fetch_add(1, Ordering::AcqRel);
        shared.ring.install(seq, msg);
        counters::bus().published.inc();
        let woken = shared.waiters.notify_all();
        if woken > 0 {
            counters::bus().notify_sends.inc_by(woken as u64);
        }
        live
    }

    /// Subscribes; the receiver sees only messages published after this call.
    pub fn subscribe(&self) -> Receiver<T> {
        let shared = &self.shared;
        shared.receivers.fetch_add(1, Ordering::AcqRel);
        // Read after registering: a publish that saw our registration reserved a sequence
        // number >= this value, so we will read it; one that did not is before us.
        let next = shared.tail.load(Ordering::Acquire);
        Receiver {
            shared: Arc::clone(shared),
            next,
        }
    }
}

impl<T> Bus<T> {
    /// Number of live receivers.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(Ordering::Acquire)
    }

    /// The ring capacity (a power of two).
    pub fn capacity(&self) -> usize {
        self.shared.ring.capacity()
    }
}

impl<T> Clone for Bus<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Bus {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Bus<T> {
    fn drop(&mut self) {
        // AcqRel: the last dropper must see every other publisher's installs before it
        // publishes `closed` with Release.
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.closed.store(true, Ordering::Release);
            self.shared.waiters.wake_all_slow();
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Receiver<T> {
    /// Takes the next message without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.shared.ring.read(self.next) {
            Read::Value(v) => {
                self.next += 1;
                Ok(v)
            }
            Read::Overwritten => Err(TryRecvError::Lagged(self.skip_to_oldest())),
            Read::NotYet => {
                if !self.shared.closed.load(Ordering::Acquire) {
                    return Err(TryRecvError::Empty);
                }
                // Closed: every install happened before `closed` was set, so one more read
                // decides between a last message and the end.
                match self.shared.ring.read(self.next) {
                    Read::Value(v) => {
                        self.next += 1;
                        Ok(v)
                    }
                    Read::Overwritten => Err(TryRecvError::Lagged(self.skip_to_oldest())),
                    Read::NotYet => Err(TryRecvError::Closed),
                }
            }
        }
    }

    /// Waits for the next message. Runtime-agnostic: works under tokio or any executor.
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        poll_fn(|cx| match self.try_recv_waiting(cx.waker()) {
            Some(r) => Poll::Ready(r),
            None => Poll::Pending,
        })
        .await
    }

    /// Blocks the current OS thread until the next message (for thread subscribers).
    /// Spins briefly, then parks until a publisher or the close wakes it.
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        for _ in 0..SPIN_TRIES {
            match self.try_recv() {
                Err(TryRecvError::Empty) => std::hint::spin_loop(),
                other => return other.map_err(to_recv_error),
            }
        }
        let waker = Waker::from(std::sync::Arc::new(ThreadWaker(sync::current_thread())));
        loop {
            if let Some(r) = self.try_recv_waiting(&waker) {
                return r;
            }
            sync::park();
        }
    }

    /// One attempt that registers `waker` before reporting "not yet" (returns `None`).
    fn try_recv_waiting(&mut self, waker: &Waker) -> Option<Result<T, RecvError>> {
        match self.try_recv() {
            Err(TryRecvError::Empty) => {}
            other => return Some(other.map_err(to_recv_error)),
        }
        self.shared.waiters.register(waker);
        match self.try_recv() {
            Err(TryRecvError::Empty) => None,
            other => {
                self.shared.waiters.unregister(waker);
                Some(other.map_err(to_recv_error))
            }
        }
    }

    /// Lag path: jump to the oldest retained message and report how many were lost.
    #[cold]
    fn skip_to_oldest(&mut self) -> u64 {
        let tail = self.shared.tail.load(Ordering::Acquire);
        let cap = self.shared.ring.capacity() as u64;
        // The slot held a newer message, so tail > next + cap - 1; `oldest > next` always.
        let oldest = tail.saturating_sub(cap).max(self.next + 1);
        let lost = oldest - self.next;
        self.next = oldest;
        counters::bus().receiver_lag.inc_by(lost);
        lost
    }
}

/// Spins before parking in `blocking_recv`. Short: on 2 cores a spinning receiver steals
/// the publisher's CPU. Zero under loom, where every spin is a branch to explore.
const SPIN_TRIES: u32 = if cfg!(loom) { 0 } else { 64 };

fn to_recv_error(e: TryRecvError) -> RecvError {
    match e {
        TryRecvError::Lagged(n) => RecvError::Lagged(n),
        TryRecvError::Closed | TryRecvError::Empty => RecvError::Closed,
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.receivers.fetch_sub(1, Ordering::AcqRel);
    }
}

