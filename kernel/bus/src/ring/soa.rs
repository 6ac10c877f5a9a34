//! `bus_soa` layout: structure of arrays — a stride-1 stamp array beside a payload-pointer
//! array — read seqlock-style.
//!
//! # Representation
//! - `stamps[i]`: `0` = never written; `s + 1` = message `s` is installed in slot `i`;
//!   `WRITING | (s + 1)` = a publisher is replacing the slot's payload with message `s`.
//!   Only publishers write stamps; a stamp's message number never decreases (**S1**).
//! - `vals[i]`: pointer to the heap payload `{topic, val}` of the message the stamp names
//!   (or of the one being replaced while `WRITING` is set). Payloads are immutable (**S2**)
//!   and freed only through the [`Retirer`] (epoch) (**S3**).
//!
//! Publisher: CAS the stamp to `WRITING | (s+1)` (refusing to go backwards), swap the
//! payload pointer, retire the old payload, store the stamp `s + 1` (Release).
//! Reader: load the stamp (Acquire); if it names `s`, load the payload pointer, clone, and
//! load the stamp again: unchanged means the clone is message `s`.
//!
//! A reader scanning for its next message touches eight stamps per cache line instead of
//! one pointer + one node per message, which is the point of the layout.

use super::{pin, Read, Retirer};
use crate::sync::{AtomicPtr, AtomicU64, Ordering};

const WRITING: u64 = 1 << 63;

struct Payload<T> {
    topic: u64,
    val: T,
}

pub(crate) struct Ring<T> {
    stamps: Box<[AtomicU64]>,
    vals: Box<[AtomicPtr<Payload<T>>]>,
    mask: u64,
    /// Unlinked payloads waiting for their batch to be deferred (S3).
    retired: Retirer<Payload<T>>,
    /// The ring owns payloads: make `Send`/`Sync` follow `T`.
    _owns: std::marker::PhantomData<Box<Payload<T>>>,
}

impl<T> Ring<T> {
    pub(crate) fn capacity(&self) -> usize {
        self.stamps.len()
    }

    #[inline]
    fn index(&self, seq: u64) -> usize {
        (seq & self.mask) as usize
    }
}

impl<T: Send + Sync + 'static> Ring<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        debug_assert!(capacity.is_power_of_two());
        Ring {
            stamps: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            vals: (0..capacity)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            mask: capacity as u64 - 1,
            retired: Retirer::new(),
            _owns: std::marker::PhantomData,
        }
    }

    /// Installs message `seq`; `false` (value dropped) when a newer message got there first.
    pub(crate) fn install(&self, seq: u64, topic: u64, val: T) -> bool {
        let i = self.index(seq);
        let want = seq + 1;
        let stamp = &self.stamps[i];
        let mut cur = stamp.load(Ordering::Acquire);
        let mut spins = 0u32;
        loop {
            let named = cur & !WRITING;
            if named >= want {
                return false; // lapped by a newer publisher (S1): drop ours
            }
            if cur & WRITING != 0 {
                // An older message is mid-install in this slot (a lapped publisher): it
                // finishes in a few instructions unless preempted.
                spins = spins.saturating_add(1);
                if spins > 64 {
                    crate::sync::yield_now();
                } else {
                    std::hint::spin_loop();
                }
                cur = stamp.load(Ordering::Acquire);
                continue;
            }
            // Acquire on success keeps the payload swap below after the claim.
            match stamp.compare_exchange_weak(
                cur,
                WRITING | want,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        let guard = pin();
        let new = Box::into_raw(Box::new(Payload { topic, val }));
        // AcqRel: Release publishes the payload to readers that Acquire-load the pointer.
        let old = self.vals[i].swap(new, Ordering::AcqRel);
        self.retired.retire(seq, old, &guard);
        // Release: a reader that sees `want` also sees the swapped pointer.
        stamp.store(want, Ordering::Release);
        true
    }

    /// Reads message `seq` if the slot holds it (see the module docs for the protocol).
    #[inline]
    pub(crate) fn read(&self, seq: u64, interest: u64) -> Read<T>
    where
        T: Clone,
    {
        let i = self.index(seq);
        let want = seq + 1;
        let s1 = self.stamps[i].load(Ordering::Acquire);
        let named = s1 & !WRITING;
        if named > want {
            return Read::Overwritten;
        }
        if named < want || s1 & WRITING != 0 {
            return Read::NotYet;
        }
        let _guard = pin();
        // Acquire: pairs with the publisher's swap, and keeps the second stamp load after it.
        let p = self.vals[i].load(Ordering::Acquire);
        // SAFETY: the stamp said message `seq` was fully installed, so `p` is non-null (a
        // payload is swapped in before any stamp names it); `p` was loaded under `_guard`, so
        // even if it is being replaced it is not freed before `_guard` drops (S3), and
        // payloads are immutable (S2). If it belongs to a newer message, the second stamp
        // load below sees the change and the clone is discarded.
        let payload = unsafe { &*p };
        let out = if payload.topic & interest == 0 {
            Read::Skip
        } else {
            Read::Value(payload.val.clone())
        };
        if self.stamps[i].load(Ordering::Acquire) == s1 {
            out
        } else {
            Read::Overwritten
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        for v in self.vals.iter() {
            let p = v.load(Ordering::Relaxed);
            if !p.is_null() {
                // SAFETY: `&mut self`: we are the last owner; linked payloads are not retired
                // and came from `Box::into_raw` in `install`.
                drop(unsafe { Box::from_raw(p) });
            }
        }
    }
}
