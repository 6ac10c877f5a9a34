//! Default parking for receivers: a waker list guarded by a mutex plus a `parked` count that
//! publishers read without the lock.
//!
//! No lost wake-up (checked by the loom models). Both sides touch `parked` with a
//! read-modify-write, and RMWs on one location are totally ordered:
//! - receiver: push waker, `parked.swap(len, AcqRel)` -> re-read the slot;
//! - publisher: install CAS -> `parked.fetch_add(0, AcqRel)` (reads the latest value).
//!
//! Every write of `parked` is an RMW (never a plain store), so each one continues the
//! release sequence of the ones before it. If the receiver's swap comes first, the publisher's RMW reads `parked > 0` and wakes it.
//! If the publisher's RMW comes first, the receiver's swap reads from it (acquire), so the
//! install happens-before the receiver's re-read, which then sees the message. On x86 the
//! publisher's RMW is one uncontended `lock xadd` on a line only parking receivers write,
//! cheaper than the `mfence` a SeqCst fence would cost on every publish. Each entry carries the receiver's interest mask (`bus_interest`): a publish
//! wakes only receivers whose mask shares a bit with the message's topic.

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

    /// Publisher side, after a message was installed: the fast path is one uncontended RMW.
    /// Returns the wakes sent (receivers whose mask excludes `topic` stay parked).
    #[inline]
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
