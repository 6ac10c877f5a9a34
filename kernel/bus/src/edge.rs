//! `bus_edge_notify` (MOG A1 + A5): edge-triggered wakes with a per-subscriber pending flag.
//!
//! Protocol (no lost wake-up; loom model `edge_drain_after_clear_never_loses_a_wake`):
//! - publisher, after installing: `fence(SeqCst)`; for each subscriber whose interest
//!   matches: if `pending` is already set, the wake is suppressed (the subscriber is awake or
//!   already notified); otherwise `pending.swap(true)` and, on the 0 -> 1 edge, take and
//!   wake its parked waker;
//! - subscriber: drains until empty, then `pending = false` -> `fence(SeqCst)` -> re-checks
//!   (the race check); if still empty it parks, but only after checking `pending` and
//!   `closed` under its waker lock, so a publish or close between the race check and the park
//!   is never missed.
//!
//! Publishers find subscribers through a copy-on-write registry (`arc-swap`): reading it
//! is lock-free and does not write shared memory.

use crate::sync::{fence, lock, AtomicBool, AtomicU64, Mutex, Ordering};
use arc_swap::ArcSwap;
use std::sync::Arc as StdArc;
use std::task::Waker;

/// One subscriber's wake state.
#[derive(Debug)]
pub(crate) struct SubState {
    /// Set by a publisher when a message for this subscriber arrived since it last drained;
    /// cleared by the subscriber when it finds its queue empty.
    pub(crate) pending: AtomicBool,
    /// The subscriber's interest mask (all ones without `bus_interest`).
    pub(crate) interest: AtomicU64,
    /// The parked subscriber's waker, taken by whoever wakes it.
    waker: Mutex<Option<Waker>>,
}

impl SubState {
    pub(crate) fn new(interest: u64) -> Self {
        SubState {
            // Starts pending: a fresh subscriber checks before it parks anyway.
            pending: AtomicBool::new(true),
            interest: AtomicU64::new(interest),
            waker: Mutex::new(None),
        }
    }

    /// Subscriber side, after finding nothing: clears `pending` and issues the fence. The
    /// caller must then re-check for a message (the race check).
    pub(crate) fn clear_pending(&self) {
        self.pending.store(false, Ordering::Relaxed);
        fence(Ordering::SeqCst);
    }

    /// Subscriber side, after the race check also found nothing: stores `waker` unless a
    /// publisher or the close got in first. Returns `true` if the caller may park.
    pub(crate) fn park(&self, waker: &Waker, closed: &AtomicBool) -> bool {
        let mut slot = lock(&self.waker);
        if self.pending.load(Ordering::SeqCst) || closed.load(Ordering::SeqCst) {
            return false;
        }
        *slot = Some(waker.clone());
        true
    }

    /// Takes and wakes the parked waker, if any; `true` if there was one.
    pub(crate) fn wake(&self) -> bool {
        let w = lock(&self.waker).take();
        w.map(Waker::wake).is_some()
    }
}

/// Every live subscriber's [`SubState`], copy-on-write.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    subs: ArcSwap<Vec<StdArc<SubState>>>,
    /// Serialises writers (subscribe / drop); readers never take it.
    write: Mutex<()>,
}

impl Registry {
    pub(crate) fn add(&self, s: StdArc<SubState>) {
        let _w = lock(&self.write);
        let mut next = Vec::clone(&self.subs.load());
        next.push(s);
        self.subs.store(StdArc::new(next));
    }

    pub(crate) fn remove(&self, s: &StdArc<SubState>) {
        let _w = lock(&self.write);
        let mut next = Vec::clone(&self.subs.load());
        next.retain(|x| !StdArc::ptr_eq(x, s));
        self.subs.store(StdArc::new(next));
    }

    /// Publisher side, after installing a message with `topic`. Returns
    /// `(wakes sent, wakes suppressed)`.
    #[inline]
    pub(crate) fn notify(&self, topic: u64) -> (u64, u64) {
        fence(Ordering::SeqCst);
        let subs = self.subs.load();
        let (mut sent, mut suppressed) = (0, 0);
        for s in subs.iter() {
            if s.interest.load(Ordering::Relaxed) & topic == 0 {
                continue; // not interested: neither woken nor counted
            }
            // Cheap check first: while a subscriber drains, its flag stays set and the
            // publisher only reads a cache line the subscriber is not writing.
            if s.pending.load(Ordering::Relaxed) || s.pending.swap(true, Ordering::AcqRel) {
                suppressed += 1;
            } else {
                // The 0 -> 1 edge is the notification: it wakes the parked waker if there is
                // one, or makes a subscriber about to park look again.
                s.wake();
                sent += 1;
            }
        }
        (sent, suppressed)
    }

    /// Wakes everyone (close, coalescing timer).
    pub(crate) fn wake_all(&self) -> u64 {
        let subs = self.subs.load();
        subs.iter()
            .map(|s| {
                s.pending.store(true, Ordering::SeqCst);
                u64::from(s.wake())
            })
            .sum()
    }
}
