//! Parking for receivers: a waker list guarded by a mutex plus a `parked` count that the
//! publisher reads without the lock.
//!
//! No lost wake-up (Dekker with two SeqCst fences, checked by the loom models):
//! - receiver: push waker, `parked = len` -> `fence(SeqCst)` -> re-read the slot;
//! - publisher: install CAS -> `fence(SeqCst)` -> read `parked`.
//!
//! Either the receiver's re-read sees the new message, or the publisher sees `parked > 0`
//! and wakes it.

use crate::sync::{fence, lock, AtomicUsize, Mutex, Ordering, Thread};
use std::sync::Arc as StdArc;
use std::task::{Wake, Waker};

#[derive(Debug, Default)]
pub(crate) struct Waiters {
    /// Number of wakers in `list`; written under the lock, read lock-free by publishers.
    parked: AtomicUsize,
    list: Mutex<Vec<Waker>>,
}

impl Waiters {
    /// Registers `waker` (deduplicated) and issues the receiver-side fence. The caller must
    /// re-check for a message afterwards.
    pub(crate) fn register(&self, waker: &Waker) {
        {
            let mut list = lock(&self.list);
            if !list.iter().any(|w| w.will_wake(waker)) {
                list.push(waker.clone());
            }
            self.parked.store(list.len(), Ordering::Relaxed);
        }
        fence(Ordering::SeqCst);
    }

    /// Removes `waker` after the re-check found a message, so the next publish does not wake
    /// a receiver that is no longer waiting.
    pub(crate) fn unregister(&self, waker: &Waker) {
        let mut list = lock(&self.list);
        list.retain(|w| !w.will_wake(waker));
        self.parked.store(list.len(), Ordering::Relaxed);
    }

    /// Publisher side: called after a message was installed. Wakes every parked receiver and
    /// returns how many wakes were sent (0 on the fast path: one fence and one load).
    #[inline]
    pub(crate) fn notify_all(&self) -> usize {
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        self.wake_all_slow()
    }

    #[cold]
    pub(crate) fn wake_all_slow(&self) -> usize {
        let wakers = {
            let mut list = lock(&self.list);
            self.parked.store(0, Ordering::Relaxed);
            std::mem::take(&mut *list)
        };
        let n = wakers.len();
        for w in wakers {
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
