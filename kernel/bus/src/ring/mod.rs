//! The ring: the only module of this workspace that uses `unsafe`.
//!
//! Two layouts with one contract, chosen at compile time:
//! - [`aos`] (default): `slots[i]` points at an immutable heap node `{seq, topic, val}`;
//! - [`soa`] (`bus_soa`): a stride-1 stamp array next to a payload-pointer array, read
//!   seqlock-style (stamp, payload, stamp again).
//!
//! Both reclaim replaced payloads through crossbeam-epoch (`defer_destroy`): a payload is
//! freed only after every thread that was pinned when it was unlinked has unpinned, and every
//! dereference happens under a pin taken before the pointer was loaded. A delivery therefore
//! writes no shared memory: the reader loads, validates and clones; the pin touches only a
//! thread-local record.
//!
//! Under `--cfg loom` the collector is replaced by leaking replaced payloads (loom does not
//! model crossbeam-epoch); the slot protocols themselves are identical and model-checked.

#[cfg(not(feature = "bus_soa"))]
mod aos;
#[cfg(feature = "bus_soa")]
mod soa;

#[cfg(not(feature = "bus_soa"))]
pub(crate) use aos::Ring;
#[cfg(feature = "bus_soa")]
pub(crate) use soa::Ring;

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

/// Frees an unlinked heap value once no pinned reader can still see it.
#[inline]
fn retire<N: Send + 'static>(old: *mut N, guard: &Guard) {
    if old.is_null() {
        return;
    }
    #[cfg(not(loom))]
    {
        // SAFETY: `old` was just unlinked by the caller's successful swap/CAS, so no new
        // reader can load it; readers that loaded it earlier are pinned, and `defer_destroy`
        // waits for them to unpin. It was allocated by `Box::into_raw`, which is how
        // `defer_destroy` frees it (crossbeam `Owned` is a `Box`).
        unsafe { guard.defer_destroy(crossbeam_epoch::Shared::from(old as *const N)) };
    }
    #[cfg(loom)]
    {
        // loom cannot model the epoch collector: leak (models are tiny).
        let _ = guard;
    }
}
