//! `bus_edge_notify` (MOG A1 + A5): edge-triggered wakes with a per-subscriber pending flag.
//!
//! Protocol (no lost wake-up; loom model `edge_drain_after_clear_never_loses_a_wake`):
//! - publisher, after reserving with an RMW on `tail` and installing: if no subscriber's flag
//!   is clear (`idle == 0`, one plain load), every matching subscriber's wake is suppressed
//!   (it is awake or already notified); otherwise, for each subscriber whose interest matches:
//!   if `pending` is already set, the wake is suppressed; otherwise `pending.swap(true)` and,
//!   on the 0 -> 1 edge, `idle -= 1` and take and wake its parked waker;
//! - subscriber: drains until empty, then `pending.swap(false)` (on the 1 -> 0 edge
//!   `idle += 1`) -> `fence(SeqCst)` -> an RMW on `tail` -> re-checks (the race check); if
//!   still empty and no publisher had reserved its next message before that RMW, it parks, but
//!   only after checking `pending` and `closed` under its waker lock, so a publish or close
//!   between the race check and the park is never missed.
//!
//! The publisher's plain loads are ordered as in `wait.rs`: if the subscriber's `tail` RMW
//! comes first, the publisher's later RMW reads from it, so the clear and `idle += 1`
//! happen-before the publisher's loads; if the publisher's comes first, the subscriber sees the
//! reservation and does not sleep. `idle` counts clear flags exactly: only a 1 -> 0 swap adds
//! and only a 0 -> 1 swap subtracts (it may wrap below zero for a moment, which only sends a
//! publisher down the slow path). The coalescing ticker reserves nothing and keeps the fence
//! pairing (`fence(SeqCst)` on both sides) for its sweeps.
//!
//! Publishers find subscribers through a copy-on-write registry (`arc-swap`), read only on the
//! slow path: the fast path costs one load where the registry load, the fence and the walk
//! cost three locked instructions per publish (the README's MOG section has the numbers).

use crate::ring::ALL_TOPICS;
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

    /// Subscriber side, after finding nothing: clears `pending` (counting the edge in
    /// `idle`) and issues the fence. The caller must then do its RMW on `tail` and re-check
    /// for a message (the race check).
    pub(crate) fn clear_pending(&self, registry: &Registry) {
        if self.pending.swap(false, Ordering::AcqRel) {
            registry.idle.fetch_add(1, Ordering::AcqRel);
        }
        fence(Ordering::SeqCst);
    }

    /// Sets `pending`; `true` on the 0 -> 1 edge, which is counted out of `idle`.
    #[inline]
    fn raise(&self, registry: &Registry) -> bool {
        if self.pending.load(Ordering::Relaxed) || self.pending.swap(true, Ordering::AcqRel) {
            return false;
        }
        registry.idle.fetch_sub(1, Ordering::AcqRel);
        true
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
    /// Subscribers registered (written under `write`, read by the fast path).
    len: AtomicU64,
    /// Subscribers whose `pending` flag is clear (see the module docs).
    idle: AtomicU64,
    /// Serialises writers (subscribe / drop); readers never take it.
    write: Mutex<()>,
}

impl Registry {
    pub(crate) fn add(&self, s: StdArc<SubState>) {
        let _w = lock(&self.write);
        let mut next = Vec::clone(&self.subs.load());
        next.push(s);
        self.len.store(next.len() as u64, Ordering::Release);
        self.subs.store(StdArc::new(next));
    }

    pub(crate) fn remove(&self, s: &StdArc<SubState>) {
        let _w = lock(&self.write);
        let mut next = Vec::clone(&self.subs.load());
        next.retain(|x| !StdArc::ptr_eq(x, s));
        self.len.store(next.len() as u64, Ordering::Release);
        self.subs.store(StdArc::new(next));
        // A leaving subscriber with a clear flag no longer counts as idle.
        s.raise(self);
    }

    /// Publisher side, after reserving (an RMW on `tail`) and installing a message with
    /// `topic`. Returns `(wakes sent, wakes suppressed)`.
    #[inline]
    pub(crate) fn notify_reserved(&self, topic: u64) -> (u64, u64) {
        // Fast path: every flag is set, so every matching subscriber's wake is suppressed.
        // Without interest masks every subscriber matches a message for all topics.
        if !cfg!(feature = "bus_interest")
            && topic == ALL_TOPICS
            && self.idle.load(Ordering::Acquire) == 0
        {
            return (0, self.len.load(Ordering::Acquire));
        }
        self.walk(topic)
    }

    /// Like [`Registry::notify_reserved`], from a thread that reserved nothing (the coalescing
    /// ticker): the fence pairs with the subscriber's fence after its clear.
    #[cfg(feature = "bus_coalesce")]
    pub(crate) fn notify(&self, topic: u64) -> (u64, u64) {
        fence(Ordering::SeqCst);
        self.walk(topic)
    }

    fn walk(&self, topic: u64) -> (u64, u64) {
        let subs = self.subs.load();
        let (mut sent, mut suppressed) = (0, 0);
        for s in subs.iter() {
            if s.interest.load(Ordering::Relaxed) & topic == 0 {
                continue; // not interested: neither woken nor counted
            }
            // Cheap check first (in `raise`): while a subscriber drains, its flag stays set
            // and the publisher only reads a cache line the subscriber is not writing.
            if s.raise(self) {
                // The 0 -> 1 edge is the notification: it wakes the parked waker if there is
                // one, or makes a subscriber about to park look again.
                s.wake();
                sent += 1;
            } else {
                suppressed += 1;
            }
        }
        (sent, suppressed)
    }

    /// Wakes everyone (close, coalescing timer).
    pub(crate) fn wake_all(&self) -> u64 {
        let subs = self.subs.load();
        subs.iter()
            .map(|s| {
                s.raise(self);
                fence(Ordering::SeqCst);
                u64::from(s.wake())
            })
            .sum()
    }
}
