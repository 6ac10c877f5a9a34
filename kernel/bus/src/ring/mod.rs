//! The ring: the only module of this workspace that uses `unsafe`.
//!
//! # Representation
//! `slots[i]` holds a pointer to a heap [`Node`] `{ seq, val }` or null (never written).
//! Sequence numbers are global publish positions; message `seq` lives in slot
//! `seq & mask`. Invariants:
//! - **I1 (monotonic slots).** A slot's node is only ever replaced by a node with a larger
//!   `seq` (the install CAS refuses to go backwards). So a reader expecting `seq` that finds
//!   a node with `node.seq > seq` knows `seq` is gone for good (it lagged).
//! - **I2 (immutable nodes).** A node is written once, before the release CAS that installs
//!   it, and never mutated afterwards; readers only take `&Node` and clone `val`.
//! - **I3 (deferred free).** A node removed from a slot is freed only through
//!   crossbeam-epoch's `defer_destroy`, i.e. after every thread that was pinned when it was
//!   unlinked has unpinned. Every dereference happens under a pin taken *before* the load.
//!
//! A delivery therefore writes no shared memory: the reader loads a slot pointer, reads an
//! immutable node and clones the payload (the epoch pin touches only a thread-local record).
//!
//! Under `--cfg loom` the epoch collector is replaced by leaking replaced nodes (loom does
//! not model crossbeam-epoch); the slot protocol itself is identical and model-checked.

use crate::sync::{AtomicPtr, Ordering};

/// One published message. Immutable after installation (I2).
struct Node<T> {
    /// Global publish position of this message.
    seq: u64,
    val: T,
}

/// What a reader found at the slot of the sequence number it expects next.
#[derive(Debug)]
pub(crate) enum Read<T> {
    /// The message for that sequence number, cloned.
    Value(T),
    /// The slot still holds an older message (or none): not published yet.
    NotYet,
    /// The slot holds a newer message: the expected one was overwritten (I1).
    Overwritten,
}

pub(crate) struct Ring<T> {
    slots: Box<[AtomicPtr<Node<T>>]>,
    /// `capacity - 1`; capacity is a power of two.
    mask: u64,
    /// The ring owns `Node<T>`s: make `Send`/`Sync` follow `T` (raw pointers would not).
    _owns: std::marker::PhantomData<Box<Node<T>>>,
}

impl<T> std::fmt::Debug for Ring<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("capacity", &self.slots.len())
            .finish()
    }
}

impl<T> Ring<T> {
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(not(loom))]
type Guard = crossbeam_epoch::Guard;
#[cfg(loom)]
struct Guard;

#[inline]
fn pin() -> Guard {
    #[cfg(not(loom))]
    {
        crossbeam_epoch::pin()
    }
    #[cfg(loom)]
    {
        Guard
    }
}

impl<T: Send + Sync + 'static> Ring<T> {
    /// A ring of `capacity` empty slots; `capacity` must be a power of two (checked by the caller).
    pub(crate) fn new(capacity: usize) -> Self {
        debug_assert!(capacity.is_power_of_two());
        let slots = (0..capacity)
            .map(|_| AtomicPtr::new(std::ptr::null_mut()))
            .collect();
        Ring {
            slots,
            mask: capacity as u64 - 1,
            _owns: std::marker::PhantomData,
        }
    }

    #[inline]
    fn slot(&self, seq: u64) -> &AtomicPtr<Node<T>> {
        &self.slots[(seq & self.mask) as usize]
    }

    /// Installs message `seq`. Returns `false` (and drops `val`) when the slot already holds
    /// a newer message, which happens only when a concurrent publisher lapped this one.
    pub(crate) fn install(&self, seq: u64, val: T) -> bool {
        let new = Box::into_raw(Box::new(Node { seq, val }));
        let slot = self.slot(seq);
        let guard = pin();
        // Acquire: pairs with the release CAS of whoever installed `cur`, so reading
        // `cur.seq` below sees the initialised node.
        let mut cur = slot.load(Ordering::Acquire);
        loop {
            if !cur.is_null() {
                // SAFETY: `cur` was loaded from the slot while `guard` was pinned, so even if
                // another publisher unlinks it now, it is not freed before `guard` drops (I3);
                // nodes are immutable after installation (I2).
                let cur_seq = unsafe { (*cur).seq };
                if cur_seq > seq {
                    // SAFETY: `new` came from `Box::into_raw` above and was never shared.
                    drop(unsafe { Box::from_raw(new) });
                    return false;
                }
            }
            // Release on success publishes the node's contents to readers (Acquire loads).
            match slot.compare_exchange_weak(cur, new, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    retire(cur, &guard);
                    return true;
                }
                Err(actual) => cur = actual,
            }
        }
    }

    /// Reads the message for `seq` (the reader's next expected sequence number).
    #[inline]
    pub(crate) fn read(&self, seq: u64) -> Read<T>
    where
        T: Clone,
    {
        let _guard = pin();
        // Acquire: pairs with the install CAS (Release) so the node's fields are visible.
        let p = self.slot(seq).load(Ordering::Acquire);
        if p.is_null() {
            return Read::NotYet;
        }
        // SAFETY: `p` was loaded while `_guard` is pinned; a node unlinked after that is only
        // freed once `_guard` is dropped (I3), and it is never mutated (I2).
        let node = unsafe { &*p };
        match node.seq.cmp(&seq) {
            std::cmp::Ordering::Equal => Read::Value(node.val.clone()),
            std::cmp::Ordering::Less => Read::NotYet,
            std::cmp::Ordering::Greater => Read::Overwritten,
        }
    }
}

/// Frees an unlinked node once no pinned reader can still see it (I3).
#[inline]
fn retire<T: Send + 'static>(old: *mut Node<T>, guard: &Guard) {
    if old.is_null() {
        return;
    }
    #[cfg(not(loom))]
    {
        // SAFETY: `old` was just unlinked by our successful CAS, so no new reader can load
        // it; readers that loaded it earlier are pinned, and `defer_destroy` waits for them.
        // It was allocated by `Box::into_raw`, which is what `defer_destroy` frees with.
        unsafe { guard.defer_destroy(crossbeam_epoch::Shared::from(old as *const Node<T>)) };
    }
    #[cfg(loom)]
    {
        // loom cannot model the epoch collector: leak the node (models are tiny).
        let _ = guard;
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        for slot in self.slots.iter() {
            // `&mut self`: no other thread can touch the ring any more.
            let p = slot.load(Ordering::Relaxed);
            if !p.is_null() {
                // SAFETY: the node is still linked, hence not retired, and we are the last
                // owner of the ring; it came from `Box::into_raw` in `install`.
                drop(unsafe { Box::from_raw(p) });
            }
        }
    }
}
