//! The ring: the only module of this workspace that uses `unsafe`.
//!
//! [`Ring<T>`] is one of two storages, chosen when the bus is built:
//! - node storage (`Bus::new`, any `T: Clone`), one of two layouts chosen at compile time:
//!   - [`aos`] (default): `slots[i]` points at an immutable heap node `{seq, topic, val}`;
//!   - [`soa`] (`bus_soa`): a stride-1 stamp array next to a payload-pointer array, read
//!     seqlock-style (stamp, payload, stamp again).
//! - packed storage ([`words`], `Bus::new_packed`, `T: Packed`): slots own their storage,
//!   overwritten in place under a per-slot stamp; payload words are atomics, so this layout
//!   needs no `unsafe`, no allocation per message and no epoch pin per delivery.
//!
//! The node layouts reclaim replaced payloads through crossbeam-epoch (`defer_destroy`): a
//! payload is freed only after every thread that was pinned when it was unlinked has unpinned,
//! and every dereference happens under a pin taken before the pointer was loaded. A delivery
//! therefore writes no shared memory: the reader loads, validates and clones; the pin touches
//! only a thread-local record.
//!
//! Under `--cfg loom` the collector is replaced by leaking replaced payloads (loom does not
//! model crossbeam-epoch); the slot protocols themselves are identical and model-checked.

#[cfg(not(feature = "bus_soa"))]
mod aos;
#[cfg(feature = "bus_soa")]
mod soa;
mod words;

#[cfg(not(feature = "bus_soa"))]
use aos::Ring as NodeRing;
#[cfg(feature = "bus_soa")]
use soa::Ring as NodeRing;
use words::WordRing;
pub(crate) use words::Words;
pub use words::{Packed, MAX_PACKED_WORDS};

/// The slots of one bus: heap nodes (any `T`) or packed words (`T: Packed`).
pub(crate) enum Ring<T> {
    Nodes(NodeRing<T>),
    Words(WordRing<T>),
}

impl<T> Ring<T> {
    pub(crate) fn capacity(&self) -> usize {
        match self {
            Ring::Nodes(r) => r.capacity(),
            Ring::Words(r) => r.capacity(),
        }
    }
}

impl<T: Send + Sync + 'static> Ring<T> {
    /// Node storage of `capacity` empty slots (a power of two, checked by the caller).
    pub(crate) fn new(capacity: usize) -> Self {
        Ring::Nodes(NodeRing::new(capacity))
    }

    /// Packed storage of `capacity` empty slots (a power of two, checked by the caller).
    pub(crate) fn new_packed(capacity: usize) -> Self
    where
        T: Packed,
    {
        Ring::Words(WordRing::new(capacity))
    }

    /// The part of an install that runs user code (`pack` and the value's drop, for packed
    /// storage, which packs into `words`): call it *before* reserving `seq`, so a panic there
    /// cannot leave a reserved sequence number that is never installed (packed writers take
    /// turns per slot). `words` is the caller's: returning the 64-byte buffer by value made
    /// its copy a store-forwarding stall (8-byte stores read back as 16-byte loads), 17% of
    /// the samples of `bus_st -- packed` under `perf record`.
    #[inline]
    pub(crate) fn stage(&self, val: T, words: &mut Words) -> Staged<T> {
        match self {
            Ring::Nodes(_) => Staged::Node(val),
            Ring::Words(r) => {
                r.pack(val, words);
                Staged::Packed
            }
        }
    }

    /// Installs message `seq` (reserved by the caller) from what [`Ring::stage`] staged.
    /// Node storage drops the value when a newer message got there first (a concurrent
    /// publisher lapped this one); packed storage waits for its turn instead.
    #[inline]
    pub(crate) fn commit(&self, seq: u64, topic: u64, staged: Staged<T>, words: &Words) {
        match (self, staged) {
            (Ring::Nodes(r), Staged::Node(val)) => {
                r.install(seq, topic, val);
            }
            (Ring::Words(r), Staged::Packed) => r.commit(seq, topic, words),
            _ => unreachable!("a message is committed to the ring that staged it"),
        }
    }

    /// Reads the message for `seq` (the reader's next expected sequence number); a message
    /// whose topic shares no bit with `interest` is reported as [`Read::Skip`].
    #[inline]
    pub(crate) fn read(&self, seq: u64, interest: u64) -> Read<T>
    where
        T: Clone,
    {
        match self {
            Ring::Words(r) => r.read(seq, interest),
            Ring::Nodes(r) => r.read(seq, interest),
        }
    }
}

/// A message ready to install: the value (node storage), or packed into the caller's words.
pub(crate) enum Staged<T> {
    Node(T),
    Packed,
}

/// Topic mask of a message published without a topic: relevant to every subscriber.
pub(crate) const ALL_TOPICS: u64 = u64::MAX;

/// What a reader found at the slot of the sequence number it expects next.
#[derive(Debug)]
pub(crate) enum Read<T> {
    /// The message for that sequence number, cloned.
    Value(T),
    /// The message exists but its topic is outside the reader's interest mask (not cloned).
    Skip,
    /// The slot still holds an older message (or none): not published yet.
    NotYet,
    /// The slot holds a newer message: the expected one was overwritten.
    Overwritten,
}

use crate::sync::{AtomicPtr, Ordering};

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

/// How many unlinked values are handed to the epoch collector in one deferred call.
const RETIRE_BATCH: usize = 32;

/// Batches retirements: crossbeam-epoch allocates a 2 KiB bag for every 64 deferred calls,
/// and with one call per publish that allocation (and glibc's consolidation of it) was the
/// largest cost of `publish` under callgrind. Unlinked values wait in a small array indexed by
/// sequence number and are deferred 32 at a time.
///
/// Invariant **R1**: a pointer stored here was unlinked from its slot before it was stored
/// (by the publisher whose CAS/swap replaced it) and is stored in at most one place; deferring
/// it later than the unlink is always safe, since the epoch then waits for every reader
/// pinned at the later point, a superset of those that could have loaded it.
pub(crate) struct Retirer<N> {
    buf: Box<[AtomicPtr<N>]>,
    /// Owns the buffered `N`s: `Send`/`Sync` follow `N`.
    _owns: std::marker::PhantomData<Box<N>>,
}

impl<N: Send + 'static> Retirer<N> {
    pub(crate) fn new() -> Self {
        Retirer {
            buf: (0..RETIRE_BATCH)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            _owns: std::marker::PhantomData,
        }
    }

    /// Retires `old`, which the caller just unlinked when installing message `seq`.
    #[inline]
    pub(crate) fn retire(&self, seq: u64, old: *mut N, guard: &Guard) {
        if old.is_null() {
            return;
        }
        let i = (seq % RETIRE_BATCH as u64) as usize;
        // AcqRel: we publish our pointer and take ownership of whatever was there.
        let prev = self.buf[i].swap(old, Ordering::AcqRel);
        if !prev.is_null() {
            // A lapping publisher's leftover (rare): defer it on its own.
            defer_free(vec![prev], guard);
        }
        if i == RETIRE_BATCH - 1 {
            let batch: Vec<*mut N> = self
                .buf
                .iter()
                .map(|p| p.swap(std::ptr::null_mut(), Ordering::AcqRel))
                .collect();
            defer_free(batch, guard);
        }
    }
}

impl<N> Drop for Retirer<N> {
    fn drop(&mut self) {
        for p in self.buf.iter() {
            let p = p.load(Ordering::Relaxed);
            if !p.is_null() {
                // SAFETY: `&mut self` means the ring is being dropped, so no reader or
                // publisher is left; buffered pointers are owned here only (R1) and came from
                // `Box::into_raw`.
                drop(unsafe { Box::from_raw(p) });
            }
        }
    }
}

/// Frees unlinked heap values once no pinned reader can still see them (null entries skipped).
#[inline]
fn defer_free<N: Send + 'static>(mut ptrs: Vec<*mut N>, guard: &Guard) {
    ptrs.retain(|p| !p.is_null());
    if ptrs.is_empty() {
        return;
    }
    #[cfg(not(loom))]
    {
        let free = move || {
            for p in ptrs {
                // SAFETY: see the `defer_unchecked` call below: every pointer is unlinked,
                // owned only by this batch (R1), allocated by `Box::into_raw`, and by the time
                // this runs no pinned reader can still hold it.
                drop(unsafe { Box::from_raw(p) });
            }
        };
        // SAFETY: every pointer was unlinked from its slot before it reached this batch, so no
        // new reader can load it; readers that loaded it earlier were pinned, and
        // `defer_unchecked` runs `free` only after every thread pinned now has unpinned. The
        // closure owns the pointers (it is the only owner, R1) and `N: Send`, so running it on
        // another thread is fine.
        unsafe { guard.defer_unchecked(free) };
    }
    #[cfg(loom)]
    {
        // loom cannot model the epoch collector: leak (models are tiny).
        let _ = (ptrs, guard);
    }
}
