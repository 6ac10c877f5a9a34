//! Default layout: an array of pointers to immutable nodes.
//!
//! # Representation
//! `slots[i]` holds a pointer to a heap [`Node`] `{ seq, topic, val }` or null (never
//! written). Message `seq` lives in slot `seq & mask`. Invariants:
//! - **I1 (monotonic slots).** A slot's node is only ever replaced by a node with a larger
//!   `seq` (the install CAS refuses to go backwards), so a reader expecting `seq` that finds
//!   `node.seq > seq` knows `seq` is gone for good (it lagged).
//! - **I2 (immutable nodes).** A node is written once, before the release CAS that installs
//!   it, and never mutated; readers only take `&Node` and clone `val`.
//! - **I3 (deferred free).** An unlinked node is freed only through the [`Retirer`] (epoch).

use super::{pin, Read, Retirer};
use crate::sync::{AtomicPtr, Ordering};

/// One published message. Immutable after installation (I2).
struct Node<T> {
    /// Global publish position of this message.
    seq: u64,
    /// Topic bits (`ALL_TOPICS` unless published with `publish_with_topic`).
    topic: u64,
    val: T,
}

pub(crate) struct Ring<T> {
    slots: Box<[AtomicPtr<Node<T>>]>,
    /// `capacity - 1`; capacity is a power of two.
    mask: u64,
    /// Unlinked nodes waiting for their batch to be deferred (I3).
    retired: Retirer<Node<T>>,
    /// The ring owns `Node<T>`s: make `Send`/`Sync` follow `T` (raw pointers would not).
    _owns: std::marker::PhantomData<Box<Node<T>>>,
}

impl<T> Ring<T> {
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    fn slot(&self, seq: u64) -> &AtomicPtr<Node<T>> {
        &self.slots[(seq & self.mask) as usize]
    }
}

impl<T: Send + Sync + 'static> Ring<T> {
    /// A ring of `capacity` empty slots; `capacity` is a power of two (checked by the caller).
    pub(crate) fn new(capacity: usize) -> Self {
        debug_assert!(capacity.is_power_of_two());
        let slots = (0..capacity)
            .map(|_| AtomicPtr::new(std::ptr::null_mut()))
            .collect();
        Ring {
            slots,
            mask: capacity as u64 - 1,
            retired: Retirer::new(),
            _owns: std::marker::PhantomData,
        }
    }

    /// Installs message `seq`. Returns `false` (and drops `val`) when the slot already holds
    /// a newer message, which happens only when a concurrent publisher lapped this one.
    pub(crate) fn install(&self, seq: u64, topic: u64, val: T) -> bool {
        let new = Box::into_raw(Box::new(Node { seq, topic, val }));
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
                    self.retired.retire(seq, cur, &guard);
                    return true;
                }
                Err(actual) => cur = actual,
            }
        }
    }

    /// Reads the message for `seq` (the reader's next expected sequence number); a message
    /// whose topic shares no bit with `interest` is reported as [`Read::Skip`].
    #[inline]
    pub(crate) fn read(&self, seq: u64, interest: u64) -> Read<T>
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
            std::cmp::Ordering::Equal if node.topic & interest == 0 => Read::Skip,
            std::cmp::Ordering::Equal => Read::Value(node.val.clone()),
            std::cmp::Ordering::Less => Read::NotYet,
            std::cmp::Ordering::Greater => Read::Overwritten,
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        for slot in self.slots.iter() {
            // `&mut self`: no other thread can touch the ring any more.
            let p = slot.load(Ordering::Relaxed);
            if !p.is_null() {
                // SAFETY: the node is still linked, hence not retired, and we are its last
                // owner; it came from `Box::into_raw` in `install`.
                drop(unsafe { Box::from_raw(p) });
            }
        }
    }
}
