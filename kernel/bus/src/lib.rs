//! ron-bus: a bounded, lossy, never-blocking broadcast bus.
//!
//! A [`Bus`] is a ring of `capacity` slots shared by every publisher (the `Bus` is `Clone`)
//! and every [`Receiver`]. Publishing never waits for receivers and never fails; a receiver
//! that falls behind loses the oldest messages and is told how many. (With packed storage and
//! several publishers, a publish can wait for another publisher's unfinished write: see
//! "Blocking" on [`Bus::new_packed`].)
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
//! # Packed storage
//! [`Bus::new_packed`] stores payloads that implement [`Packed`] (a few `u64` words) in the
//! slots themselves: no allocation per publish and no epoch pin per delivery, same contract.
//!
//! ```
//! use ron_bus::{Bus, TryRecvError};
//! let bus = Bus::new_packed(4);
//! let mut rx = bus.subscribe();
//! for i in 0..10u64 {
//!     bus.publish(i);
//! }
//! assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(6)));
//! assert_eq!(rx.try_recv(), Ok(6));
//! ```
//!
//! # Multiple publishers
//! Publishers reserve sequence numbers with one atomic add. If a publisher is preempted
//! between reserving and writing, receivers wait at that position until it finishes — as in
//! every bounded MPMC ring. With node storage a publisher that laps it (a whole ring of
//! publishes later) takes the slot and the preempted message is lost (lag); with packed
//! storage the writers of a slot take turns, so the lapping publisher waits for the
//! preempted one to finish (see "Blocking" on [`Bus::new_packed`]).
//!
//! # Cargo features
//! All off by default; none changes behaviour when off.
//!
//! | feature | MOG | what it adds |
//! |---|---|---|
//! | `bus_edge_notify` | A1+A5 | per-subscriber pending flag: a publish wakes a subscriber only on the flag's 0 -> 1 edge; counters `bus_notify_sends_total` / `bus_notify_suppressed_total` |
//! | `bus_batch` | A2 | [`Bus::publish_many`]: one reservation, one wake sweep per batch; `bus_batch_publish_total`, `bus_batch_len` (histogram) |
//! | `bus_autotune_cap` | A3 | [`autotune_capacity`], [`Bus::with_autotuned_capacity`]; `bus_cap_selected`, `bus_autotune_warn_total{reason}` |
//! | `metrics_buf` | A4 | hot-path counters through ron-metrics' per-thread buffers |
//! | `bus_soa` | B1 | structure-of-arrays ring (stamp array + payload array), same contract |
//! | `bus_interest` | B2 | [`Bus::subscribe_with_interest`], [`Bus::publish_with_topic`]; `bus_interest_skips_total` |
//! | `bus_coalesce` | B4 | [`Bus::with_coalesce`]: wakes coalesced by K messages or a time bound |
//! | `local_dispatch` | B3 | [`LocalDispatch`]: one global subscription re-fanned to local consumers |
//!
//! Model checking uses `RUSTFLAGS="--cfg loom"` (not a feature), as tokio does:
//! `RUSTFLAGS="--cfg loom" cargo test -p ron-bus --release --test loom --target-dir target/loom`.
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "bus_autotune_cap")]
mod autotune;
#[cfg(feature = "bus_coalesce")]
mod coalesce;
mod counters;
#[cfg(feature = "bus_edge_notify")]
mod edge;
mod error;
#[cfg(feature = "local_dispatch")]
mod local;
mod ring;
mod sync;
mod wait;

#[cfg(feature = "bus_autotune_cap")]
pub use autotune::{autotune_capacity, AUTOTUNE_MAX_RECOMMENDED};
#[cfg(feature = "bus_coalesce")]
pub use coalesce::CoalesceConfig;
pub use error::{RecvError, TryRecvError};
#[cfg(feature = "local_dispatch")]
pub use local::LocalDispatch;
pub use ring::{Packed, MAX_PACKED_WORDS};

use crossbeam_utils::CachePadded;
use ring::{Read, Ring, ALL_TOPICS};
use std::future::poll_fn;
use std::sync::Arc as StdArc;
use std::task::{Poll, Waker};
use sync::{Arc, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use wait::ThreadWaker;

/// State shared by every handle of one bus.
struct Shared<T> {
    ring: Ring<T>,
    /// Next sequence number to reserve. Written only by publishers (one RMW per publish or
    /// per batch); receivers read it only on the lag path and at subscribe. Padded (C1) so
    /// the publishers' RMW does not invalidate the lines receivers read.
    tail: CachePadded<AtomicU64>,
    /// Live `Bus` handles; the last one to drop closes the bus.
    senders: AtomicUsize,
    /// Live receivers (what `publish` returns). Padded: written only on (un)subscribe.
    receivers: CachePadded<AtomicUsize>,
    /// Set once, after the last publisher's final publish (Release; read with Acquire).
    closed: AtomicBool,
    /// Wake machinery. A std `Arc` so the coalescing ticker can hold a `Weak` to it.
    notifier: StdArc<Notifier>,
}

/// How publishers wake parked receivers (default waiter list, or edge flags), plus the
/// optional coalescing gate.
#[derive(Debug, Default)]
struct Notifier {
    #[cfg(not(feature = "bus_edge_notify"))]
    waiters: wait::Waiters,
    #[cfg(feature = "bus_edge_notify")]
    edge: edge::Registry,
    #[cfg(feature = "bus_coalesce")]
    coalesce: Option<coalesce::Coalescer>,
    /// Set when the bus closes (stops the coalescing ticker).
    #[cfg_attr(not(feature = "bus_coalesce"), allow(dead_code))]
    stopped: std::sync::atomic::AtomicBool,
}

impl Notifier {
    /// Publisher side, after `n` messages with `topic` were installed. The caller reserved
    /// them with an RMW on `tail` (the default waiter list relies on it, see `wait.rs`).
    #[inline]
    fn after_publish(&self, n: u64, topic: u64) {
        #[cfg(feature = "bus_coalesce")]
        if let Some(c) = &self.coalesce {
            if !c.due(n) {
                counters::notify_suppressed(1);
                return;
            }
        }
        let _ = n;
        #[cfg(feature = "bus_edge_notify")]
        let (sent, suppressed) = self.edge.notify_reserved(topic);
        #[cfg(not(feature = "bus_edge_notify"))]
        let (sent, suppressed) = (self.waiters.notify_reserved(topic), 0);
        if sent > 0 {
            counters::notify_sends(sent);
        }
        if suppressed > 0 {
            counters::notify_suppressed(suppressed);
        }
    }

    /// One wake sweep for a message with `topic`, from a thread that reserved nothing (the
    /// coalescing ticker): `(wakes sent, wakes suppressed)`.
    #[cfg(feature = "bus_coalesce")]
    fn sweep(&self, topic: u64) -> (u64, u64) {
        #[cfg(feature = "bus_edge_notify")]
        {
            self.edge.notify(topic)
        }
        #[cfg(not(feature = "bus_edge_notify"))]
        {
            (self.waiters.notify(topic), 0)
        }
    }

    /// Wakes every parked receiver (the bus closed).
    fn close(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::Release);
        #[cfg(feature = "bus_edge_notify")]
        self.edge.wake_all();
        #[cfg(not(feature = "bus_edge_notify"))]
        self.waiters.wake_matching(ALL_TOPICS);
    }
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
    interest: Interest,
    #[cfg(feature = "bus_edge_notify")]
    edge: StdArc<edge::SubState>,
}

/// A receiver's topic mask (all ones unless `bus_interest` sets one). A change applies from
/// a sequence number on (the "epoch"), so it affects future messages only.
#[derive(Debug, Clone, Copy)]
struct Interest {
    mask: u64,
    /// `(first sequence number, new mask)` of a pending change.
    change: Option<(u64, u64)>,
}

impl Interest {
    #[inline]
    fn mask_for(&mut self, seq: u64) -> u64 {
        if let Some((from, mask)) = self.change {
            if seq >= from {
                self.mask = mask;
                self.change = None;
            }
        }
        self.mask
    }
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
            .field("interest", &self.interest)
            .finish()
    }
}

impl<T: Clone + Send + Sync + 'static> Bus<T> {
    /// Creates a bus holding the last `capacity` messages, rounded up to a power of two.
    ///
    /// # Panics
    /// If `capacity` is 0 or larger than `2^62`.
    pub fn new(capacity: usize) -> Self {
        Self::build(capacity, Notifier::default(), Ring::new)
    }

    /// Like [`Bus::new`], with packed storage: each slot holds the message as
    /// [`Packed`] words, overwritten in place. Publishing allocates nothing and receiving
    /// takes no epoch pin; the contract (lag, close, order, counts) is the same. Meant for
    /// small `Copy` payloads (at most [`MAX_PACKED_WORDS`] words).
    ///
    /// # Panics
    /// As [`Bus::new`], and if `T::WORDS > MAX_PACKED_WORDS`.
    ///
    /// # Blocking
    /// With one publisher, `publish` never waits. With several, the writers of a slot take
    /// turns in sequence order: a publisher that laps a slot whose previous writer has
    /// reserved its sequence number but not finished writing (it was descheduled in those few
    /// instructions) spins, then yields, until it finishes. A publisher stopped for good there
    /// (a debugger, `SIGSTOP`, a lower real-time priority that never runs) stalls the others
    /// once they lap it, and a signal handler must not publish into a bus its thread publishes
    /// to. [`Bus::new`] never waits for another publisher.
    pub fn new_packed(capacity: usize) -> Self
    where
        T: Packed,
    {
        Self::build(capacity, Notifier::default(), Ring::new_packed)
    }

    fn build(capacity: usize, notifier: Notifier, ring: fn(usize) -> Ring<T>) -> Self {
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
                ring: ring(capacity),
                tail: CachePadded::new(AtomicU64::new(0)),
                senders: AtomicUsize::new(1),
                receivers: CachePadded::new(AtomicUsize::new(0)),
                closed: AtomicBool::new(false),
                notifier: StdArc::new(notifier),
            }),
        }
    }

    /// Creates a bus whose capacity comes from [`autotune_capacity`] for `expected_subs`.
    #[cfg(feature = "bus_autotune_cap")]
    pub fn with_autotuned_capacity(expected_subs: usize) -> Self {
        Self::new(autotune_capacity(expected_subs, None))
    }

    /// Creates a bus whose wakes are coalesced: a sweep every `cfg.k` messages, and at
    /// least every `cfg.bound` while messages wait (a ticker thread per bus).
    #[cfg(feature = "bus_coalesce")]
    pub fn with_coalesce(capacity: usize, cfg: CoalesceConfig) -> Self {
        let coalescer = coalesce::Coalescer::new(cfg);
        let bound = coalescer.cfg.bound; // already clamped to a sane minimum
        let notifier = Notifier {
            coalesce: Some(coalescer),
            ..Notifier::default()
        };
        let bus = Self::build(capacity, notifier, Ring::new);
        let weak = StdArc::downgrade(&bus.shared.notifier);
        std::thread::Builder::new()
            .name("ron-bus-coalesce".into())
            .spawn(move || coalesce_ticker(weak, bound))
            .expect("spawn the ron-bus coalescing ticker");
        bus
    }

    /// Publishes `msg` to every current receiver and returns how many there were.
    /// Never blocks; with no receiver the message is dropped and 0 is returned.
    #[inline]
    pub fn publish(&self, msg: T) -> usize {
        self.publish_topic(msg, ALL_TOPICS)
    }

    /// Publishes `msg` tagged with `topic_mask`. Receivers whose interest mask shares no bit
    /// with it skip the message without delivering it, are not woken for it, and do not count
    /// it as lag (it counts in `bus_interest_skips_total`). Returns the live receivers.
    #[cfg(feature = "bus_interest")]
    pub fn publish_with_topic(&self, msg: T, topic_mask: u64) -> usize {
        self.publish_topic(msg, topic_mask)
    }

    #[inline]
    fn publish_topic(&self, msg: T, topic: u64) -> usize {
        let shared = &*self.shared;
        let live = shared.receivers.load(Ordering::Acquire);
        if live == 0 {
            counters::no_receivers(1);
            return 0;
        }
        let mut words = [0; ring::MAX_PACKED_WORDS];
        let staged = shared.ring.stage(msg, &mut words);
        let seq = shared.tail.fetch_add(1, Ordering::AcqRel);
        shared.ring.commit(seq, topic, staged, &words);
        counters::published(1);
        shared.notifier.after_publish(1, topic);
        live
    }

    /// Publishes a batch: reserves `N` sequence numbers with one atomic add, writes the `N`
    /// slots, then runs one wake sweep. Delivery and overwrite are exactly those of `N`
    /// single publishes (a batch longer than the capacity overwrites its own head).
    /// Returns the live receivers (0 drops the whole batch).
    #[cfg(feature = "bus_batch")]
    pub fn publish_many<I>(&self, msgs: I) -> usize
    where
        I: IntoIterator<Item = T>,
    {
        let shared = &*self.shared;
        let live = shared.receivers.load(Ordering::Acquire);
        // Collect first: an iterator that lies about its length must not leave reserved
        // sequence numbers unwritten (receivers would wait on them forever).
        let batch: Vec<T> = msgs.into_iter().collect();
        let n = batch.len() as u64;
        if n == 0 {
            return live;
        }
        if live == 0 {
            counters::no_receivers(n);
            return 0;
        }
        // Staged first, for the same reason: with packed storage no user code runs between
        // reserving and installing (node storage may drop a lapped value in `install`, and
        // never waits for a turn).
        let staged: Vec<_> = batch
            .into_iter()
            .map(|m| {
                let mut words = [0; ring::MAX_PACKED_WORDS];
                (shared.ring.stage(m, &mut words), words)
            })
            .collect();
        let first = shared.tail.fetch_add(n, Ordering::AcqRel);
        for (seq, (msg, words)) in (first..).zip(staged) {
            shared.ring.commit(seq, ALL_TOPICS, msg, &words);
        }
        counters::published(n);
        counters::batch_publish(1);
        counters::batch_len(n);
        shared.notifier.after_publish(n, ALL_TOPICS);
        live
    }

    /// Subscribes; the receiver sees only messages published after this call.
    pub fn subscribe(&self) -> Receiver<T> {
        self.subscribe_masked(ALL_TOPICS)
    }

    /// Subscribes with a static topic mask: only messages whose topic shares a bit with
    /// `mask` are delivered (see [`Bus::publish_with_topic`]).
    #[cfg(feature = "bus_interest")]
    pub fn subscribe_with_interest(&self, mask: u64) -> Receiver<T> {
        self.subscribe_masked(mask)
    }

    fn subscribe_masked(&self, mask: u64) -> Receiver<T> {
        let shared = &self.shared;
        #[cfg(feature = "bus_edge_notify")]
        let edge = {
            let st = StdArc::new(edge::SubState::new(mask));
            shared.notifier.edge.add(StdArc::clone(&st));
            st
        };
        shared.receivers.fetch_add(1, Ordering::AcqRel);
        // Read after registering: a publish that saw our registration reserved a sequence
        // number >= this value, so we will read it; one that did not is before us.
        let next = shared.tail.load(Ordering::Acquire);
        Receiver {
            shared: Arc::clone(shared),
            next,
            interest: Interest { mask, change: None },
            #[cfg(feature = "bus_edge_notify")]
            edge,
        }
    }
}

#[cfg(feature = "bus_coalesce")]
fn coalesce_ticker(notifier: std::sync::Weak<Notifier>, bound: std::time::Duration) {
    loop {
        std::thread::sleep(bound);
        let Some(n) = notifier.upgrade() else { return };
        if n.stopped.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        if n.coalesce.as_ref().is_some_and(|c| c.take_pending()) {
            let (sent, _) = n.sweep(ALL_TOPICS);
            if sent > 0 {
                counters::notify_sends(sent);
            }
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
            self.shared.notifier.close();
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Receiver<T> {
    /// Takes the next message without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut skipped = 0u64;
        let mut closed_seen = false;
        let out = loop {
            let mask = self.interest.mask_for(self.next);
            match self.shared.ring.read(self.next, mask) {
                Read::Value(v) => {
                    self.next += 1;
                    break Ok(v);
                }
                Read::Skip => {
                    self.next += 1;
                    skipped += 1;
                }
                Read::Overwritten => break Err(TryRecvError::Lagged(self.skip_to_oldest())),
                Read::NotYet if closed_seen => break Err(TryRecvError::Closed),
                Read::NotYet => {
                    if !self.shared.closed.load(Ordering::Acquire) {
                        break Err(TryRecvError::Empty);
                    }
                    // Closed: every install happened before `closed` was set, so one more
                    // read decides between a last message and the end.
                    closed_seen = true;
                }
            }
        };
        if skipped > 0 {
            counters::interest_skips(skipped);
        }
        out
    }

    /// Changes this receiver's topic mask for messages published from now on (messages
    /// already published keep the old mask).
    #[cfg(feature = "bus_interest")]
    pub fn set_interest(&mut self, mask: u64) {
        let from = self.shared.tail.load(Ordering::Acquire);
        let _ = self.interest.mask_for(self.next); // settle an earlier change first
        self.interest.change = Some((from, mask));
        #[cfg(feature = "bus_edge_notify")]
        {
            // Wake filtering uses the union until the old messages are consumed.
            let old = self.interest.mask;
            self.edge.interest.store(old | mask, Ordering::Release);
        }
    }

    /// The mask that applies to this receiver's next message.
    #[cfg(feature = "bus_interest")]
    pub fn interest(&mut self) -> u64 {
        self.interest.mask_for(self.next)
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
    /// Yields a few times, then parks until a publisher or the close wakes it.
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        // Yield before parking, never spin: a yield hands the core to the publisher (or, with
        // a core to spare, returns at once and lets a few messages pile up, so the next look
        // copies whole cache lines instead of chasing the publisher's), and a receiver that
        // never parks costs the publisher no wake-up syscall. See `YIELD_TRIES`.
        for _ in 0..YIELD_TRIES {
            match self.try_recv() {
                Err(TryRecvError::Empty) => std::thread::yield_now(),
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

    /// One attempt that arranges for `waker` to be woken before reporting "not yet"
    /// (`None`). Default: waiter list + race check. Edge: clear pending + race check + park.
    fn try_recv_waiting(&mut self, waker: &Waker) -> Option<Result<T, RecvError>> {
        match self.try_recv() {
            Err(TryRecvError::Empty) => {}
            other => return Some(other.map_err(to_recv_error)),
        }
        #[cfg(not(feature = "bus_edge_notify"))]
        loop {
            // Until a pending mask change takes effect, wake for the union of both masks.
            let mask = self.interest.mask | self.interest.change.map_or(0, |c| c.1);
            self.shared.notifier.waiters.register(waker, mask);
            // The RMW on `tail` orders our registration against publishers' reservations
            // (wait.rs): a publisher whose reservation comes later sees us parked.
            let reserved = self.shared.tail.fetch_add(0, Ordering::AcqRel);
            match self.try_recv() {
                // A publisher reserved our next message before our RMW and has not installed
                // it yet; it may not have seen our registration, so do not sleep on it: yield
                // to it (it finishes in a few stores unless preempted) and look again.
                Err(TryRecvError::Empty) if reserved > self.next => sync::yield_now(),
                Err(TryRecvError::Empty) => return None,
                other => {
                    self.shared.notifier.waiters.unregister(waker);
                    return Some(other.map_err(to_recv_error));
                }
            }
        }
        #[cfg(feature = "bus_edge_notify")]
        loop {
            self.edge.clear_pending(&self.shared.notifier.edge);
            // The RMW on `tail` orders the clear against publishers' reservations (edge.rs).
            let reserved = self.shared.tail.fetch_add(0, Ordering::AcqRel);
            match self.try_recv() {
                // Reserved before our RMW, not installed yet: that publisher may have missed
                // our clear, so do not sleep on it (as in the default path).
                Err(TryRecvError::Empty) if reserved > self.next => {
                    sync::yield_now();
                    continue;
                }
                Err(TryRecvError::Empty) => {}
                other => return Some(other.map_err(to_recv_error)),
            }
            if self.edge.park(waker, &self.shared.closed) {
                return None;
            }
            // A publish or the close got in between: look again.
            match self.try_recv() {
                Err(TryRecvError::Empty) => {}
                other => return Some(other.map_err(to_recv_error)),
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
        counters::receiver_lag(lost);
        lost
    }
}

/// Yields in `blocking_recv` before parking (none under loom, where each is a branch to
/// explore). There is no spin phase: on the 2-core VM, `burst_fanout` (burst 256, cap 2048,
/// 5 runs each, `cargo run --release -p ron-comparables --example fanout -- ron N 5` with
/// the limits overridden in a scratch build, 2-3 sweeps) measured median M deliveries/s, at
/// most 16 spins (halved after a vain spin phase) then 16 yields vs no spin then 16 yields:
/// fanout 1 9.7-11.2 -> 12.5-13.1, fanout 4 26-33 -> 39-45, fanout 8 52-53 -> 58-69. A
/// spinning receiver either steals the publisher's core or chases it one message (and one
/// cache-line transfer) at a time. 4 or 32 yields measured within the noise of 16.
const YIELD_TRIES: u32 = if cfg!(loom) { 0 } else { 16 };

fn to_recv_error(e: TryRecvError) -> RecvError {
    match e {
        TryRecvError::Lagged(n) => RecvError::Lagged(n),
        TryRecvError::Closed | TryRecvError::Empty => RecvError::Closed,
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        #[cfg(feature = "bus_edge_notify")]
        self.shared.notifier.edge.remove(&self.edge);
        self.shared.receivers.fetch_sub(1, Ordering::AcqRel);
    }
}
