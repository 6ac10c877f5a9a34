//! Default parking for receivers: a waker list guarded by a mutex plus a `parked` count that
//! publishers read without the lock.
//!
//! No lost wake-up (Dekker with two SeqCst fences, checked by the loom models):
//! - receiver: push waker, `parked = len` -> `fence(SeqCst)` -> re-read the slot;
//! - publisher: install CAS -> `fence(SeqCst)` -> read `parked`.
//!
//! Either the receiver's re-read sees the new message, or the publisher sees `parked > 0`
//! and wakes it. Each entry carries the receiver's interest mask (`bus_interest`): a publish
//! wakes only receivers whose mask shares a bit with the message's topic.

use crate::sync::Thread;
#[cfg(not(feature = "bus_edge_notify"))]
use crate::sync::{fence, lock, AtomicUsize, Mutex, Ordering};
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
    /// Registers `waker` with interest `mask` (deduplicated) and issues the receiver-side
    /// fence. The caller must re-check for a message afterwards.
    pub(crate) fn register(&self, waker: &Waker, mask: u64) {
        {
            let mut list = lock(&self.list);
            match list.iter_mut().find(|(w, _)| w.will_wake(waker)) {
                Some(entry) => entry.1 = mask,
                None => list.push((waker.clone(), mask)),
            }
            self.parked.store(list.len(), Ordering::Relaxed);
        }
        fence(Ordering::SeqCst);
    }

    /// Removes `waker` after the re-check found a message, so the next publish does not wake
    /// a receiver that is no longer waiting.
    pub(crate) fn unregister(&self, waker: &Waker) {
        let mut list = lock(&self.list);
        list.retain(|(w, _)| !w.will_wake(waker));
        self.parked.store(list.len(), Ordering::Relaxed);
    }

    /// Publisher side, after a message was installed: the fast path is one fence and one
    /// load. Returns `(wakes sent, parked receivers left asleep because of their mask)`.
    #[inline]
    pub(crate) fn notify(&self, topic: u64) -> (u64, u64) {
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::Relaxed) == 0 {
            return (0, 0);
        }
        self.wake_matching(topic)
    }

    #[cold]
    pub(crate) fn wake_matching(&self, topic: u64) -> (u64, u64) {
        let wake: Vec<Waker> = {
            let mut list = lock(&self.list);
            let (wake, keep): (Vec<_>, Vec<_>) =
                list.drain(..).partition(|(_, mask)| mask & topic != 0);
            *list = keep;
            self.parked.store(list.len(), Ordering::Relaxed);
            wake.into_iter().map(|(w, _)| w).collect()
        };
        let skipped = self.parked.load(Ordering::Relaxed) as u64;
        let n = wake.len() as u64;
        for w in wake {
            w.wake();
        }
        (n, skipped)
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
