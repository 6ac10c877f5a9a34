//! `bus_coalesce` (MOG B4): wakes coalesced by `k` messages or a time bound, whichever
//! comes first.
//!
//! A publish adds to `unnotified`; the wake sweep runs only when `unnotified` reaches `k`
//! (the skipped sweeps count as `bus_notify_suppressed_total`). A ticker thread sweeps every
//! `bound` while messages are unnotified, so a parked receiver waits at most about `bound`
//! beyond its message: tail latency is bounded by the time bound. The ticker exits when the
//! bus closes or every handle is gone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Coalescing settings: wake after `k` messages or after `bound`, whichever first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoalesceConfig {
    /// Messages per wake sweep (>= 1; 1 means no coalescing).
    pub k: u64,
    /// Longest a published message may wait for its wake.
    pub bound: Duration,
}

#[derive(Debug)]
pub(crate) struct Coalescer {
    pub(crate) cfg: CoalesceConfig,
    unnotified: AtomicU64,
}

impl Coalescer {
    pub(crate) fn new(cfg: CoalesceConfig) -> Self {
        Coalescer {
            cfg: CoalesceConfig {
                k: cfg.k.max(1),
                bound: cfg.bound.max(Duration::from_micros(50)),
            },
            unnotified: AtomicU64::new(0),
        }
    }

    /// Publisher side: `true` when this publish of `n` messages must sweep now.
    #[inline]
    pub(crate) fn due(&self, n: u64) -> bool {
        let before = self.unnotified.fetch_add(n, Ordering::AcqRel);
        if before + n >= self.cfg.k {
            self.unnotified.store(0, Ordering::Release);
            true
        } else {
            false
        }
    }

    /// Ticker side: `true` when messages are waiting for a wake (and resets the count).
    pub(crate) fn take_pending(&self) -> bool {
        self.unnotified.swap(0, Ordering::AcqRel) > 0
    }
}
