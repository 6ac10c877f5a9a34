//! Packed layout ([`Bus::new_packed`](crate::Bus::new_packed)): slots own their storage and
//! are overwritten in place under a per-slot sequence stamp (a seqlock per slot).
//!
//! For payloads that implement [`Packed`] (a few `u64` words, e.g. `Copy` structs of
//! integers). No allocation per message, no epoch pin per delivery, and no `unsafe`: the
//! payload words are atomics, so a reader racing a writer reads stale or torn *words*, never
//! undefined memory, and the stamp check throws a torn copy away before it is unpacked.
//!
//! # Representation
//! Slot `i` is `stride` consecutive words of `cells` (never straddling a cache line when
//! `stride <= 8`): `[stamp, topic, w0, w1, ...]`.
//! - `stamp`: `0` = never written; `s + 1` = message `s` is installed; `WRITING | (s + 1)` =
//!   a publisher is writing message `s`. Only publishers write stamps, and the writers of one
//!   slot take turns in sequence order (**W1**): the publisher of message `s` writes only once
//!   the slot holds message `s - capacity` (or nothing, on the first lap), which it reads
//!   with Acquire from that writer's final Release store. The turn was handed out by the
//!   `fetch_add` on `tail` that reserved `s`, so claiming it needs no RMW: a plain
//!   (Release) store. The message number a stamp names therefore only grows.
//! - `topic` (written and read only with `bus_interest`; without it every message has every
//!   topic), `w*`: written only by the publisher whose turn it is, with Release stores
//!   (**W2**), so a reader that loads (Acquire) any word of a newer writer also sees that
//!   writer's claim on its second stamp load.
//!
//! Publisher: pack into a local buffer and drop the value *before* reserving (no user code
//! runs between the reservation and the install, so a panicking `pack` cannot leave a turn
//! that never ends); reserve `s`; wait for the turn (normally already there: one load); store
//! the claim, topic and words; store `s + 1` (Release). A publisher that laps a slot whose
//! previous writer has reserved but not finished waits for it (a few instructions unless that
//! publisher was descheduled; waits chain, one lap per publisher). So with several publishers
//! packed storage is not lock-free: see "Blocking" on `Bus::new_packed`.
//! Reader: `s1 = stamp` (Acquire); if `s1` names the wanted message, load topic and words
//! (Acquire), then `s2 = stamp`; `s1 == s2` means the copy is exactly message `s` (W1, W2);
//! otherwise the slot was overwritten while we copied: the message is lost (lag).
//!
//! The claim used to be a CAS (any publisher could take the slot from a slower one, which
//! then dropped its message). The plain store measured the same single-thread and +11..14%
//! deliveries/s in `burst_fanout` at fanout 1, 4 and 8 (the README's issue 12 third pass).

use super::{Read, ALL_TOPICS};
use crate::sync::{AtomicU64, Ordering};

/// Most payload words a [`Packed`] type may use (64 bytes).
pub const MAX_PACKED_WORDS: usize = 8;

/// A payload that can be stored as up to [`MAX_PACKED_WORDS`] `u64` words, for
/// [`Bus::new_packed`](crate::Bus::new_packed): slots hold the words in place, so publishing
/// allocates nothing and receiving pins nothing.
///
/// `unpack(pack(x))` must equal `x` (what a receiver gets is `unpack` of the words `pack`
/// wrote). The words are copied, so a type that owns resources gets a new value per
/// delivery from `unpack`; the published value itself is dropped by `publish`.
///
/// ```
/// use ron_bus::{Bus, Packed};
///
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// struct Tick { seq: u64, price: u32 }
///
/// impl Packed for Tick {
///     const WORDS: usize = 2;
///     fn pack(&self, w: &mut [u64]) {
///         w[0] = self.seq;
///         w[1] = u64::from(self.price);
///     }
///     fn unpack(w: &[u64]) -> Self {
///         Tick { seq: w[0], price: w[1] as u32 }
///     }
/// }
///
/// let bus = Bus::new_packed(64);
/// let mut rx = bus.subscribe();
/// bus.publish(Tick { seq: 1, price: 7 });
/// assert_eq!(rx.try_recv(), Ok(Tick { seq: 1, price: 7 }));
/// ```
pub trait Packed: Clone + Send + Sync + 'static {
    /// Words used, `0..=MAX_PACKED_WORDS` (checked by `Bus::new_packed`).
    const WORDS: usize;
    /// Writes the value into `words` (exactly `WORDS` long).
    fn pack(&self, words: &mut [u64]);
    /// Rebuilds a value from `words` (exactly `WORDS` long, as `pack` wrote them).
    fn unpack(words: &[u64]) -> Self;
}

macro_rules! packed_int {
    ($($t:ty),*) => {$(
        impl Packed for $t {
            const WORDS: usize = 1;
            #[inline]
            fn pack(&self, w: &mut [u64]) {
                w[0] = *self as u64;
            }
            #[inline]
            fn unpack(w: &[u64]) -> Self {
                w[0] as $t
            }
        }
    )*};
}
packed_int!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl Packed for () {
    const WORDS: usize = 0;
    #[inline]
    fn pack(&self, _: &mut [u64]) {}
    #[inline]
    fn unpack(_: &[u64]) -> Self {}
}

impl Packed for bool {
    const WORDS: usize = 1;
    #[inline]
    fn pack(&self, w: &mut [u64]) {
        w[0] = u64::from(*self);
    }
    #[inline]
    fn unpack(w: &[u64]) -> Self {
        w[0] != 0
    }
}

impl<A: Packed + Copy, B: Packed + Copy> Packed for (A, B) {
    const WORDS: usize = A::WORDS + B::WORDS;
    #[inline]
    fn pack(&self, w: &mut [u64]) {
        self.0.pack(&mut w[..A::WORDS]);
        self.1.pack(&mut w[A::WORDS..]);
    }
    #[inline]
    fn unpack(w: &[u64]) -> Self {
        (A::unpack(&w[..A::WORDS]), B::unpack(&w[A::WORDS..]))
    }
}

const WRITING: u64 = 1 << 63;

/// A packed message in flight: its words, packed before the reservation.
pub(crate) type Words = [u64; MAX_PACKED_WORDS];

/// Waits until `stamp` reads `turn` (Acquire: the previous writer's words and final store
/// happen before ours). Normally true on the first load; otherwise an older publisher of this
/// slot has reserved but not finished, and it needs only a few stores unless preempted.
#[inline]
fn wait_turn(stamp: &AtomicU64, turn: u64) {
    let cur = stamp.load(Ordering::Acquire);
    if cur != turn {
        wait_turn_slow(stamp, turn, cur);
    }
}

#[cold]
fn wait_turn_slow(stamp: &AtomicU64, turn: u64, mut cur: u64) {
    let mut spins = 0u32;
    while cur != turn {
        // Checked under loom too (its lane builds in release): W1 is what the models prove.
        if cfg!(loom) {
            assert!(cur & !WRITING <= turn, "a newer writer took the turn (W1)");
        } else {
            debug_assert!(cur & !WRITING <= turn, "a newer writer took the turn (W1)");
        }
        // Saturating: a panic here would hold the turn forever (a stopped publisher can make
        // this loop run for hours).
        spins = spins.saturating_add(1);
        // Under loom every look yields (a spin would be a branch to explore forever).
        if cfg!(loom) || spins > 64 {
            crate::sync::yield_now();
        } else {
            std::hint::spin_loop();
        }
        cur = stamp.load(Ordering::Acquire);
    }
}

/// Words per cache line.
const LINE: usize = 8;

pub(crate) struct WordRing<T> {
    /// Slot words (see the module docs for the layout). Slot `i` is
    /// `cells[first + i * stride..][..stride]` with `stride = (2 + T::WORDS)` rounded up to a
    /// power of two; `first` skips to a 64-byte boundary so a slot of up to 8 words never
    /// straddles a cache line.
    cells: Box<[AtomicU64]>,
    first: usize,
    mask: u64,
    /// `pack_words::<T>` / `commit_packed::<T>` / `read_packed::<T>`, monomorphised where
    /// `T: Packed` is known (so `Ring<T>` needs no extra bound, and `pack`/`unpack` and the
    /// word count are compiled into them): one indirect call per operation.
    pack: fn(T, &mut Words),
    commit: fn(&Self, u64, u64, &Words),
    read: fn(&Self, u64, u64) -> Read<T>,
}

impl<T> WordRing<T> {
    pub(crate) fn new(capacity: usize) -> Self
    where
        T: Packed,
    {
        assert!(
            T::WORDS <= MAX_PACKED_WORDS,
            "ron_bus::Packed::WORDS is {} (at most {MAX_PACKED_WORDS})",
            T::WORDS
        );
        debug_assert!(capacity.is_power_of_two());
        let total = capacity
            .checked_mul(Self::STRIDE)
            .and_then(|n| n.checked_add(LINE - 1))
            .expect("ring size overflows");
        let cells: Box<[AtomicU64]> = (0..total).map(|_| AtomicU64::new(0)).collect();
        // Words to skip to reach a 64-byte boundary (a layout hint only: under loom the
        // atomics are larger and this is just some offset below LINE).
        let addr = cells.as_ptr() as usize;
        let first = (addr.next_multiple_of(64) - addr) / std::mem::size_of::<AtomicU64>();
        WordRing {
            cells,
            first: first.min(LINE - 1),
            mask: capacity as u64 - 1,
            pack: Self::pack_words,
            commit: Self::commit_packed,
            read: Self::read_packed,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.mask as usize + 1
    }

    /// Packs `val` into `words` (runs the user's `pack`, then drops `val`): call before
    /// reserving.
    #[inline]
    pub(crate) fn pack(&self, val: T, words: &mut Words) {
        (self.pack)(val, words)
    }

    /// Installs message `seq` (reserved by the caller) from `words`; waits for its turn (W1).
    #[inline]
    pub(crate) fn commit(&self, seq: u64, topic: u64, words: &Words) {
        (self.commit)(self, seq, topic, words)
    }

    /// Reads message `seq` if the slot holds it (see the module docs for the protocol).
    #[inline]
    pub(crate) fn read(&self, seq: u64, interest: u64) -> Read<T> {
        (self.read)(self, seq, interest)
    }
}

impl<T: Packed> WordRing<T> {
    /// Words per slot.
    const STRIDE: usize = (2 + T::WORDS).next_power_of_two();

    /// `(stamp, topic, payload words)` of the slot of `seq`.
    #[inline]
    fn slot(&self, seq: u64) -> (&AtomicU64, &AtomicU64, &[AtomicU64]) {
        let start = self.first + (seq & self.mask) as usize * Self::STRIDE;
        match &self.cells[start..start + Self::STRIDE] {
            [stamp, topic, rest @ ..] => (stamp, topic, &rest[..T::WORDS]),
            _ => unreachable!("a slot has at least 2 words"),
        }
    }

    fn pack_words(val: T, words: &mut Words) {
        val.pack(&mut words[..T::WORDS]);
    }

    fn commit_packed(&self, seq: u64, topic: u64, words: &Words) {
        let want = seq + 1;
        let (stamp, topic_cell, payload) = self.slot(seq);
        // Our turn (W1): the previous lap's message is installed (nothing, on the first lap).
        wait_turn(stamp, (seq + 1).saturating_sub(self.mask + 1));
        // Release: a reader that sees the claim (and reports lag) also sees our `tail`
        // reservation, so its lag count is exact. Later stores are Release too (W2).
        stamp.store(WRITING | want, Ordering::Release);
        // Only `bus_interest` reads topics (without it every message has every topic).
        if cfg!(feature = "bus_interest") {
            topic_cell.store(topic, Ordering::Release);
        }
        for (cell, w) in payload.iter().zip(words) {
            cell.store(*w, Ordering::Release);
        }
        // Release: a reader that sees `want` sees every word above; so does the next lap's
        // writer, whose turn this store starts.
        stamp.store(want, Ordering::Release);
    }

    fn read_packed(&self, seq: u64, interest: u64) -> Read<T> {
        let want = seq + 1;
        let (stamp, topic_cell, payload) = self.slot(seq);
        let s1 = stamp.load(Ordering::Acquire);
        let named = s1 & !WRITING;
        if named > want {
            return Read::Overwritten;
        }
        if named < want || s1 & WRITING != 0 {
            return Read::NotYet;
        }
        // Acquire loads (W2): if any of them reads a newer writer's store, the stamp load
        // below sees that writer's claim (or later), and the copy is discarded.
        let topic = if cfg!(feature = "bus_interest") {
            topic_cell.load(Ordering::Acquire)
        } else {
            ALL_TOPICS
        };
        let mut buf = [0u64; MAX_PACKED_WORDS];
        for (w, cell) in buf.iter_mut().zip(payload) {
            *w = cell.load(Ordering::Acquire);
        }
        // Acquire (not only for ordering after the loads above): a changed stamp is a newer
        // writer's claim, and the lag path then reads that writer's `tail` reservation.
        if stamp.load(Ordering::Acquire) != s1 {
            return Read::Overwritten;
        }
        if topic & interest == 0 {
            Read::Skip
        } else {
            Read::Value(T::unpack(&buf[..T::WORDS]))
        }
    }
}
