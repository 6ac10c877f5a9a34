//! Default parking for receivers: a waker list guarded by a mutex plus a `parked` count that
//! publishers read without the lock.
//!
//! No lost wake-up (checked by the loom models). The two sides meet on `tail`, which every
//! publish already reserves with an RMW, so a publish pays no extra barrier for the check:
//! - receiver: push waker, `parked.swap(len, AcqRel)`, then `t = tail.fetch_add(0, AcqRel)`,
//!   then re-read its slot; if the slot is empty and `t > next`, a publisher reserved that
//!   message before our RMW and may not see our registration: the receiver does not sleep
//!   (it wakes itself and looks again);
//! - publisher: `tail.fetch_add(1, AcqRel)` -> install -> `parked.load(Acquire)`.
//!
//! RMWs on `tail` are totally ordered. If the receiver's comes first, the publisher's RMW
//! reads from it (a chain of RMWs continues the release sequence), so the registration
//! happens-before the publisher's load of `parked`, which sees it (every write of `parked`
//! is an RMW under the lock, so a later value means a later list, which still holds the
//! receiver or was drained by a publisher that woke it). If the publisher's comes first, the
//! receiver's `t` counts the reservation. The coalescing ticker reserves nothing and keeps
//! the older check: `parked.fetch_add(0, AcqRel)` against the receiver's swap then re-read.
//! Each entry carries the receiver's interest mask (`bus_interest`): a publish wakes only
//! receivers whose mask shares a bit with the message's topic.

use crate::sync::Thread;
#[cfg(not(feature = "bus_edge_notify"))]
use crate::sync::{lock, AtomicUsize, Mutex, Ordering};
use std::sync::Arc as StdArc;
use std::task::Wake;
#[cfg(not(feature = "bus_edge_notify"))]
use std::task::Waker;

#[cfg(not(feature = "bus_edge_notify"))]
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    /// Number of entries in `list`; written under the lock, read lock-free by publishers.
    parked: AtomicUsize,
    list: Mutex<Vec<(Waker, u64)>>,
}

#[cfg(not(feature = "bus_edge_notify"))]
impl Waiters {
    /// Registers `waker` with interest `mask` (deduplicated); the `parked` RMW orders it
    /// against publishers. The caller must re-check for a message afterwards.
    pub(crate) fn register(&self, waker: &Waker, mask: u64) {
        {
            let mut list = lock(&self.list);
            match list.iter_mut().find(|(w, _)| w.will_wake(waker)) {
                Some(entry) => entry.1 = mask,
                None => list.push((waker.clone(), mask)),
            }
            self.parked.swap(list.len(), Ordering::AcqRel);
        }
    }

    /// Removes `waker` after the re-check found a message, so the next publish does not wake
    /// a receiver that is no longer waiting.
    pub(crate) fn unregister(&self, waker: &Waker) {
        let mut list = lock(&self.list);
        list.retain(|(w, _)| !w.will_wake(waker));
        self.parked.swap(list.len(), Ordering::AcqRel);
    }

    /// Publisher side, after a message it reserved with an RMW on `tail` was installed: the
    /// fast path is one plain load (see the module docs). Returns the wakes sent (receivers
    /// whose mask excludes `topic` stay parked).
    #[inline]
    pub(crate) fn notify_reserved(&self, topic: u64) -> u64 {
        if self.parked.load(Ordering::Acquire) == 0 {
            return 0;
        }
        self.wake_matching(topic)
    }

    /// Like [`Waiters::notify_reserved`], for a caller that reserved nothing (the coalescing
    /// ticker): one uncontended RMW on `parked`.
    #[cfg(feature = "bus_coalesce")]
    pub(crate) fn notify(&self, topic: u64) -> u64 {
        if self.parked.fetch_add(0, Ordering::AcqRel) == 0 {
            return 0;
        }
        self.wake_matching(topic)
    }

    #[cold]
    pub(crate) fn wake_matching(&self, topic: u64) -> u64 {
        let wake: Vec<Waker> = {
            let mut list = lock(&self.list);
            let (wake, keep): (Vec<_>, Vec<_>) =
                list.drain(..).partition(|(_, mask)| mask & topic != 0);
            *list = keep;
            self.parked.swap(list.len(), Ordering::AcqRel);
            wake.into_iter().map(|(w, _)| w).collect()
        };
        let n = wake.len() as u64;
        for w in wake {
            w.wake();
        }
        n
    }
}

/// A waker that unparks an OS thread (for `blocking_recv`).
pub(crate) struct ThreadWaker(pub(crate) Thread);

impl Wake for ThreadWaker {
    fn wake(self: StdArc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &StdArc<Self>) {
        self.0.unpark();
    }
}
