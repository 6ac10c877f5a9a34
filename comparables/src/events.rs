//! MOG B5, the compact event layout, measured against the naive one on the same event stream.
//!
//! The kernel's event type (`kernel_demo`'s `DemoEvent`) is a hot `Tick` and a rare
//! `ConfigUpdated`. Two pairs of layouts of it:
//! - [`NaiveDemo`] (a plain Rust enum on `Bus::new`, what the demo used) against
//!   [`CompactDemo`] (`#[repr(u8)]`, `Copy`, [`Packed`] into 3 words on `Bus::new_packed`,
//!   the demo's layout now);
//! - [`NaiveHeavy`] (the rare variant carries its heap data inline: a source path and the
//!   changed keys, cloned for every subscriber) against [`CompactHeavy`] (`#[repr(u8)]` tag,
//!   the rare variant's data behind an `Arc`, 16 bytes in all, cloned by a reference count).
//!
//! One event in [`HEAVY_EVERY`] is the rare variant. Subscribers do a little real work per
//! event ([`Layout::work`]), so the comparison is the whole receive path, not just the copy.

use crate::workloads::duration_ns;
use crossbeam_utils::CachePadded;
use ron_bus::{Bus, Packed, RecvError, TryRecvError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Instant;

/// One event in this many is the rare `ConfigUpdated` variant.
pub const HEAVY_EVERY: u64 = 64;

/// An event layout under test.
pub trait Layout: Clone + Send + Sync + 'static {
    /// Row label.
    const NAME: &'static str;
    /// Event number `seq` of the stream (the rare variant every [`HEAVY_EVERY`]).
    fn event(seq: u64) -> Self;
    /// What a subscriber does with an event (sums its numbers).
    fn work(&self) -> u64;
    /// The bus this layout is published on.
    fn bus(cap: usize) -> Bus<Self>;
}

/// The naive layout of the demo's event: a plain enum on node storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NaiveDemo {
    /// A timer tick.
    Tick(u64),
    /// A config reload.
    ConfigUpdated {
        /// Reload counter.
        generation: u64,
        /// The config's version field.
        version: u64,
        /// The config's amnesia flag.
        amnesia: bool,
    },
}

/// The compact layout of the demo's event (as in `kernel_demo`): `u8` tag, `Copy`, packed
/// into the ring's slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum CompactDemo {
    /// A timer tick.
    Tick(u64) = 1,
    /// A config reload.
    ConfigUpdated {
        /// Reload counter.
        generation: u64,
        /// The config's version field.
        version: u64,
        /// The config's amnesia flag.
        amnesia: bool,
    } = 2,
}

/// `[tag | amnesia << 8, tick or generation, version]`.
impl Packed for CompactDemo {
    const WORDS: usize = 3;
    #[inline]
    fn pack(&self, w: &mut [u64]) {
        match *self {
            CompactDemo::Tick(n) => (w[0], w[1], w[2]) = (1, n, 0),
            CompactDemo::ConfigUpdated {
                generation,
                version,
                amnesia,
            } => (w[0], w[1], w[2]) = (2 | u64::from(amnesia) << 8, generation, version),
        }
    }
    #[inline]
    fn unpack(w: &[u64]) -> Self {
        match w[0] & 0xff {
            1 => CompactDemo::Tick(w[1]),
            // `pack` writes no other tag, and receivers only see words `pack` wrote.
            _ => CompactDemo::ConfigUpdated {
                generation: w[1],
                version: w[2],
                amnesia: w[0] >> 8 & 1 == 1,
            },
        }
    }
}

/// The heap data of a config reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigChange {
    /// Reload counter.
    pub generation: u64,
    /// The config's version field.
    pub version: u64,
    /// The config's amnesia flag.
    pub amnesia: bool,
    /// Where the config came from.
    pub source: String,
    /// The keys that changed.
    pub keys: Vec<String>,
}

impl ConfigChange {
    fn sample(seq: u64) -> Self {
        ConfigChange {
            generation: seq,
            version: seq / HEAVY_EVERY,
            amnesia: seq % 2 == 0,
            source: "/etc/ron/kernel.toml".to_string(),
            keys: vec!["amnesia".to_string(), "version".to_string()],
        }
    }

    fn work(&self) -> u64 {
        self.generation + self.version + self.source.len() as u64 + self.keys.len() as u64
    }
}

/// Naive layout with heap data: the rare variant holds it inline (72 bytes per event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NaiveHeavy {
    /// A timer tick.
    Tick(u64),
    /// A config reload, its data inline.
    ConfigUpdated(ConfigChange),
}

/// Compact layout with heap data: `u8` tag, the rare variant's data behind an `Arc`
/// (16 bytes per event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[repr(u8)]
pub enum CompactHeavy {
    /// A timer tick.
    Tick(u64) = 1,
    /// A config reload, its data shared.
    ConfigUpdated(Arc<ConfigChange>) = 2,
}

fn is_heavy(seq: u64) -> bool {
    seq % HEAVY_EVERY == HEAVY_EVERY - 1
}

impl Layout for NaiveDemo {
    const NAME: &'static str = "demo naive";
    fn event(seq: u64) -> Self {
        if is_heavy(seq) {
            NaiveDemo::ConfigUpdated {
                generation: seq,
                version: seq / HEAVY_EVERY,
                amnesia: seq % 2 == 0,
            }
        } else {
            NaiveDemo::Tick(seq)
        }
    }
    #[inline]
    fn work(&self) -> u64 {
        match *self {
            NaiveDemo::Tick(n) => n,
            NaiveDemo::ConfigUpdated {
                generation,
                version,
                amnesia,
            } => generation + version + u64::from(amnesia),
        }
    }
    fn bus(cap: usize) -> Bus<Self> {
        Bus::new(cap)
    }
}

impl Layout for CompactDemo {
    const NAME: &'static str = "demo compact";
    fn event(seq: u64) -> Self {
        match NaiveDemo::event(seq) {
            NaiveDemo::Tick(n) => CompactDemo::Tick(n),
            NaiveDemo::ConfigUpdated {
                generation,
                version,
                amnesia,
            } => CompactDemo::ConfigUpdated {
                generation,
                version,
                amnesia,
            },
        }
    }
    #[inline]
    fn work(&self) -> u64 {
        match *self {
            CompactDemo::Tick(n) => n,
            CompactDemo::ConfigUpdated {
                generation,
                version,
                amnesia,
            } => generation + version + u64::from(amnesia),
        }
    }
    fn bus(cap: usize) -> Bus<Self> {
        Bus::new_packed(cap)
    }
}

impl Layout for NaiveHeavy {
    const NAME: &'static str = "heavy naive";
    fn event(seq: u64) -> Self {
        if is_heavy(seq) {
            NaiveHeavy::ConfigUpdated(ConfigChange::sample(seq))
        } else {
            NaiveHeavy::Tick(seq)
        }
    }
    #[inline]
    fn work(&self) -> u64 {
        match self {
            NaiveHeavy::Tick(n) => *n,
            NaiveHeavy::ConfigUpdated(c) => c.work(),
        }
    }
    fn bus(cap: usize) -> Bus<Self> {
        Bus::new(cap)
    }
}

impl Layout for CompactHeavy {
    const NAME: &'static str = "heavy compact";
    fn event(seq: u64) -> Self {
        if is_heavy(seq) {
            CompactHeavy::ConfigUpdated(Arc::new(ConfigChange::sample(seq)))
        } else {
            CompactHeavy::Tick(seq)
        }
    }
    #[inline]
    fn work(&self) -> u64 {
        match self {
            CompactHeavy::Tick(n) => *n,
            CompactHeavy::ConfigUpdated(c) => c.work(),
        }
    }
    fn bus(cap: usize) -> Bus<Self> {
        Bus::new(cap)
    }
}

/// One run's result.
#[derive(Debug, Clone, Copy)]
pub struct EventRun {
    /// Events delivered (all subscribers).
    pub delivered: u64,
    /// Sum of [`Layout::work`] over the deliveries (checked against the expected sum).
    pub work: u64,
    /// Wall time of the run.
    pub elapsed_ns: u64,
}

impl EventRun {
    /// Deliveries per second.
    pub fn deliveries_per_sec(&self) -> f64 {
        self.delivered as f64 * 1e9 / self.elapsed_ns.max(1) as f64
    }
}

/// The expected [`Layout::work`] sum of events `0..n`, for one subscriber.
pub fn expected_work<L: Layout>(n: u64) -> u64 {
    (0..n).map(|s| L::event(s).work()).sum()
}

/// `burst_fanout` on events: `fanout` subscriber threads (blocking receive), a publisher
/// sending `bursts` bursts of `burst` events and waiting after each until every subscriber has
/// accounted for it (as `workloads::burst_fanout`). Events are built before the clock starts.
pub fn fanout<L: Layout>(fanout: usize, burst: u64, bursts: u64, cap: usize) -> EventRun {
    let bus = L::bus(cap);
    let progress: Arc<[CachePadded<AtomicU64>]> = (0..fanout)
        .map(|_| CachePadded::new(AtomicU64::new(0)))
        .collect();
    let start = Arc::new(Barrier::new(fanout + 1));
    let subs: Vec<_> = (0..fanout)
        .map(|i| {
            let mut rx = bus.subscribe();
            let (start, progress) = (Arc::clone(&start), Arc::clone(&progress));
            std::thread::spawn(move || {
                start.wait();
                let (mut got, mut work) = (0u64, 0u64);
                loop {
                    match rx.blocking_recv() {
                        Ok(e) => {
                            work = work.wrapping_add(e.work());
                            got += 1;
                        }
                        Err(RecvError::Lagged(n)) => got += n,
                        Err(RecvError::Closed) => break,
                    }
                    progress[i].store(got, Ordering::Release);
                }
                (got, work)
            })
        })
        .collect();
    let events: Vec<L> = (0..burst * bursts).map(L::event).collect();
    start.wait();
    let t = Instant::now();
    for (k, chunk) in events.chunks(burst as usize).enumerate() {
        for e in chunk {
            bus.publish(e.clone());
        }
        let owed = (k as u64 + 1) * burst;
        let mut spins = 0u32;
        while !progress.iter().all(|p| p.load(Ordering::Acquire) >= owed) {
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
    let elapsed_ns = duration_ns(t.elapsed());
    drop(bus);
    let (mut delivered, mut work) = (0, 0u64);
    for h in subs {
        let (g, w) = h.join().expect("subscriber thread panicked");
        delivered += g;
        work = work.wrapping_add(w);
    }
    EventRun {
        delivered,
        work,
        elapsed_ns,
    }
}

/// The receive path without the scheduler: publish a burst of `burst` events to `subs`
/// receivers, then drain each with `try_recv`, `bursts` times; only the drains are timed.
pub fn drain_st<L: Layout>(subs: usize, burst: u64, bursts: u64) -> EventRun {
    let bus = L::bus(burst as usize);
    let mut rxs: Vec<_> = (0..subs).map(|_| bus.subscribe()).collect();
    let (mut delivered, mut work, mut elapsed_ns) = (0u64, 0u64, 0u64);
    for b in 0..bursts {
        for s in b * burst..(b + 1) * burst {
            bus.publish(L::event(s));
        }
        let t = Instant::now();
        for rx in &mut rxs {
            loop {
                match rx.try_recv() {
                    Ok(e) => {
                        work = work.wrapping_add(e.work());
                        delivered += 1;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(e) => panic!("drain_st: unexpected {e:?} with capacity == burst"),
                }
            }
        }
        elapsed_ns += duration_ns(t.elapsed());
    }
    EventRun {
        delivered,
        work,
        elapsed_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_demo_round_trips_every_variant() {
        let cases = [
            CompactDemo::Tick(0),
            CompactDemo::Tick(u64::MAX),
            CompactDemo::ConfigUpdated {
                generation: 2,
                version: 7,
                amnesia: true,
            },
            CompactDemo::ConfigUpdated {
                generation: u64::MAX,
                version: u64::MAX,
                amnesia: false,
            },
        ];
        for e in cases {
            let mut w = [0u64; 3];
            e.pack(&mut w);
            assert_eq!(CompactDemo::unpack(&w), e);
        }
    }

    #[test]
    fn compact_layouts_are_small() {
        assert_eq!(std::mem::size_of::<CompactHeavy>(), 16);
        assert!(std::mem::size_of::<NaiveHeavy>() >= 64);
        // Packs into the slots: `Bus::new_packed` accepts it.
        assert_eq!(CompactDemo::bus(4).capacity(), 4);
    }

    fn same_stream<A: Layout, B: Layout>() {
        let a = fanout::<A>(2, 64, 8, 128);
        let b = fanout::<B>(2, 64, 8, 128);
        assert_eq!(a.delivered, 2 * 64 * 8);
        assert_eq!((a.delivered, a.work), (b.delivered, b.work));
        assert_eq!(a.work, 2u64.wrapping_mul(expected_work::<A>(64 * 8)));
        let s = drain_st::<B>(3, 64, 4);
        assert_eq!(s.delivered, 3 * 64 * 4);
        assert_eq!(s.work, 3u64.wrapping_mul(expected_work::<B>(64 * 4)));
    }

    #[test]
    fn every_layout_delivers_the_same_stream() {
        same_stream::<NaiveDemo, CompactDemo>();
        same_stream::<NaiveHeavy, CompactHeavy>();
    }
}
