//! Per-thread buffered bus counters (the `metrics_buf` behaviour of ron-bus).
//!
//! Hot paths call [`add`]; the increment lands in a cell owned by the calling thread and
//! reaches the shared [`bus()`](crate::bus) counters later. Nothing is ever lost: every
//! buffered increment is flushed
//!
//! 1. by the owning thread every [`threshold()`] calls to [`add`] (counted per call, not per
//!    unit: `add(c, 1000)` counts once),
//! 2. by a background flush pump about every [`FLUSH_PUMP_INTERVAL`] (so an idle thread's
//!    last few increments still show up),
//! 3. when the thread exits (the thread-local's destructor), and
//! 4. on demand by [`flush_current_thread`] or [`flush_all`].
//!
//! After `JoinHandle::join` returns, the joined thread's counts are in the shared counters
//! (join waits for thread-local destructors). `std::thread::scope`'s implicit join does
//! *not* wait for them, so read through [`snapshot()`](crate::snapshot) (which calls
//! [`flush_all`]) when exact totals matter.
//!
//! Each flush that moves at least one non-zero delta increments
//! `bus_metrics_tls_flush_total`; `bus_metrics_tls_threshold` exports the active threshold.
//! With one counter incremented once per publish, publishes : flushes is therefore about
//! `threshold : 1` (the pump and thread exit add a few more flushes).
//!
//! ```
//! use ron_metrics::tls::{self, BusCounter};
//! let before = ron_metrics::bus().snapshot();
//! std::thread::spawn(|| {
//!     for _ in 0..10 {
//!         tls::add(BusCounter::InterestSkips, 3);
//!     }
//! }) // the thread's exit flushes what it buffered
//! .join()
//! .unwrap();
//! let delta = ron_metrics::bus().snapshot().delta_since(&before);
//! assert!(delta.interest_skips >= 30); // other doctests run in other processes
//! ```
//!
//! # Representation
//!
//! Each thread owns one `Cells` value (shared with the pump through an `Arc` in a global list):
//! `totals[i]` is the running total of counter `i` *written only by the owning thread*
//! (a plain load + store, no read-modify-write, so an increment costs a few ns);
//! `flushed[i]` is the part of `totals[i]` already added to the shared counter. Any thread
//! may flush: it reads `t = totals[i]`, then `prev = flushed[i].fetch_max(t)` and adds
//! `t - prev` when positive. Concurrent flushers therefore add exactly the final maximum of
//! `flushed[i]` between them, never more and never twice. Totals wrap after 2^64 units,
//! which no counter reaches in practice.

use crate::bus;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// The environment variable that sets the flush threshold.
pub const THRESHOLD_ENV: &str = "RON_TLS_FLUSH_THRESHOLD";
/// Threshold used when [`THRESHOLD_ENV`] is unset (or unparsable, see [`threshold`]).
pub const DEFAULT_THRESHOLD: u64 = 64;
/// How often the flush pump flushes every live thread's cells.
pub const FLUSH_PUMP_INTERVAL: Duration = Duration::from_millis(200);

const COUNTERS: usize = 7;

/// Hot-path counters that can be buffered per thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusCounter {
    /// `bus_published_total`
    Published,
    /// `bus_no_receivers_total`
    NoReceivers,
    /// `bus_receiver_lag_total`
    ReceiverLag,
    /// `bus_notify_sends_total`
    NotifySends,
    /// `bus_notify_suppressed_total`
    NotifySuppressed,
    /// `bus_interest_skips_total`
    InterestSkips,
    /// `bus_batch_publish_total`
    BatchPublish,
}

impl BusCounter {
    /// Every counter, in cell order.
    pub const ALL: [BusCounter; COUNTERS] = [
        BusCounter::Published,
        BusCounter::NoReceivers,
        BusCounter::ReceiverLag,
        BusCounter::NotifySends,
        BusCounter::NotifySuppressed,
        BusCounter::InterestSkips,
        BusCounter::BatchPublish,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// The shared counter this buffered counter flushes into.
    fn shared(self) -> &'static prometheus::IntCounter {
        let b = bus();
        match self {
            BusCounter::Published => &b.published,
            BusCounter::NoReceivers => &b.no_receivers,
            BusCounter::ReceiverLag => &b.receiver_lag,
            BusCounter::NotifySends => &b.notify_sends,
            BusCounter::NotifySuppressed => &b.notify_suppressed,
            BusCounter::InterestSkips => &b.interest_skips,
            BusCounter::BatchPublish => &b.batch_publish,
        }
    }
}

/// `RON_TLS_FLUSH_THRESHOLD` held something that is not a whole number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{var}={value:?} is not a whole number; set it to a positive integer such as 64 \
     (values below 1 mean 1) or unset it for the default of 64"
)]
pub struct ThresholdError {
    /// Always [`THRESHOLD_ENV`].
    pub var: &'static str,
    /// The rejected raw value.
    pub value: String,
}

/// Parses a raw threshold value: `None` gives the default, integers below 1 clamp to 1,
/// integers above `u64::MAX` clamp to `u64::MAX`, anything else is an error.
pub fn parse_threshold(raw: Option<&str>) -> Result<u64, ThresholdError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_THRESHOLD);
    };
    let err = || ThresholdError {
        var: THRESHOLD_ENV,
        value: raw.to_owned(),
    };
    let trimmed = raw.trim();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    if negative {
        return Ok(1);
    }
    // All digits: only overflow can fail, and a huge threshold means "flush rarely".
    Ok(digits.parse::<u64>().unwrap_or(u64::MAX).max(1))
}

static THRESHOLD: OnceLock<u64> = OnceLock::new();

fn env_threshold() -> Result<u64, ThresholdError> {
    match std::env::var(THRESHOLD_ENV) {
        Ok(v) => parse_threshold(Some(&v)),
        Err(std::env::VarError::NotPresent) => parse_threshold(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(ThresholdError {
            var: THRESHOLD_ENV,
            value: v.to_string_lossy().into_owned(),
        }),
    }
}

/// The active flush threshold, read from [`THRESHOLD_ENV`] once per process.
///
/// Unset means [`DEFAULT_THRESHOLD`]; values below 1 clamp to 1. An unparsable value also
/// yields the default here (a hot path cannot fail); call [`init_threshold_from_env`] at
/// startup to turn it into an error instead.
pub fn threshold() -> u64 {
    // Must not call `bus()`: `bus()` calls this while it initialises.
    *THRESHOLD.get_or_init(|| env_threshold().unwrap_or(DEFAULT_THRESHOLD))
}

/// Validates [`THRESHOLD_ENV`] and fixes the threshold from it; returns the active value.
///
/// A non-number is an error naming the variable. If the threshold was already read (any
/// earlier [`add`] or [`bus()`](crate::bus) call reads it), that value stays active and is
/// returned.
pub fn init_threshold_from_env() -> Result<u64, ThresholdError> {
    let parsed = env_threshold()?;
    Ok(*THRESHOLD.get_or_init(|| parsed))
}

/// Fixes the threshold to `value` (values below 1 mean 1) for programs that take it from their
/// own configuration instead of [`THRESHOLD_ENV`] (the ron-bench runner gets it in its
/// request). If the threshold was already read, that value stays active and is returned.
pub fn init_threshold(value: u64) -> u64 {
    *THRESHOLD.get_or_init(|| value.max(1))
}

/// One thread's buffered counters (see the module docs for the invariants).
#[derive(Debug, Default)]
struct Cells {
    /// Running totals; written only by the owning thread.
    totals: [AtomicU64; COUNTERS],
    /// How much of each total has been added to the shared counter; only grows.
    flushed: [AtomicU64; COUNTERS],
}

impl Cells {
    /// Moves every unflushed delta to the shared counters; returns whether anything moved.
    fn flush(&self) -> bool {
        let mut moved = false;
        for c in BusCounter::ALL {
            let i = c.index();
            // Relaxed suffices: these are independent counters; a stale total only means
            // this flush moves less, and a later flush (at the latest the owner's exit)
            // moves the rest.
            let total = self.totals[i].load(Ordering::Relaxed);
            if total == self.flushed[i].load(Ordering::Relaxed) {
                continue;
            }
            let prev = self.flushed[i].fetch_max(total, Ordering::Relaxed);
            if total > prev {
                c.shared().inc_by(total - prev);
                moved = true;
            }
        }
        if moved {
            bus().tls_flush.inc();
        }
        moved
    }
}

/// Cells of every thread that has buffered something and may still hold unflushed counts.
fn live_cells() -> &'static Mutex<Vec<Arc<Cells>>> {
    static LIVE: OnceLock<Mutex<Vec<Arc<Cells>>>> = OnceLock::new();
    LIVE.get_or_init(|| Mutex::new(Vec::new()))
}

/// Starts the flush pump once per process.
///
/// The pump is a detached process-lifetime thread (it owns no resources but the list
/// lock for a moment every interval); if it cannot be spawned the threshold and exit
/// flushes still deliver every count, only later.
fn ensure_pump() {
    static PUMP: OnceLock<bool> = OnceLock::new();
    PUMP.get_or_init(|| {
        std::thread::Builder::new()
            .name("ron-metrics-tls-pump".into())
            .spawn(|| loop {
                std::thread::sleep(FLUSH_PUMP_INTERVAL);
                flush_all();
            })
            .is_ok()
    });
}

/// The calling thread's buffer; its destructor flushes at thread exit.
struct Local {
    cells: Arc<Cells>,
    /// `add` calls since the last flush by this thread.
    calls: Cell<u64>,
    /// Copy of [`threshold()`] (read once per process anyway).
    threshold: u64,
}

impl Local {
    fn register() -> Local {
        let cells = Arc::new(Cells::default());
        live_cells()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&cells));
        ensure_pump();
        Local {
            cells,
            calls: Cell::new(0),
            threshold: threshold(),
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // Thread exit: flush what is left. The list entry is pruned by the next
        // `flush_all` once this `Arc` is gone.
        self.cells.flush();
    }
}

thread_local! {
    static LOCAL: Local = Local::register();
}

/// Adds `n` to counter `c` through the calling thread's buffer.
///
/// Flushes this thread's buffer every [`threshold()`] calls. During thread teardown (when
/// the thread-local is already gone) the increment goes straight to the shared counter.
#[inline]
pub fn add(c: BusCounter, n: u64) {
    let buffered = LOCAL.try_with(|local| {
        let cell = &local.cells.totals[c.index()];
        // Only this thread writes `totals`, so load + store cannot lose an update.
        cell.store(
            cell.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
        let calls = local.calls.get() + 1;
        if calls >= local.threshold {
            local.calls.set(0);
            local.cells.flush();
        } else {
            local.calls.set(calls);
        }
    });
    if buffered.is_err() {
        c.shared().inc_by(n);
    }
}

/// Flushes the calling thread's buffered counters now.
pub fn flush_current_thread() {
    let _ = LOCAL.try_with(|local| {
        local.calls.set(0);
        local.cells.flush();
    });
}

/// Flushes every live thread's buffered counters (and forgets exited threads).
///
/// A harness calls this before [`BusMetrics::snapshot`](crate::BusMetrics::snapshot) to
/// read exact totals; increments racing with the call land in the next flush.
pub fn flush_all() {
    let mut live = live_cells().lock().unwrap_or_else(PoisonError::into_inner);
    live.retain(|cells| {
        cells.flush();
        // Only the list holds it: the owning thread has exited (and flushed in its
        // destructor; the flush above caught any race with that).
        Arc::strong_count(cells) > 1
    });
}

/// Number of threads whose buffers are currently tracked (for tests and diagnostics).
pub fn tracked_threads() -> usize {
    live_cells()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_defaults_and_clamps() {
        assert_eq!(parse_threshold(None), Ok(64));
        assert_eq!(parse_threshold(Some("16")), Ok(16));
        assert_eq!(parse_threshold(Some(" 8 ")), Ok(8));
        assert_eq!(parse_threshold(Some("+3")), Ok(3));
        assert_eq!(parse_threshold(Some("0")), Ok(1));
        assert_eq!(parse_threshold(Some("-5")), Ok(1));
        assert_eq!(
            parse_threshold(Some("999999999999999999999999")),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn parse_rejects_non_numbers_naming_the_variable() {
        for bad in ["", "abc", "6.4", "64k", "-", "1e3"] {
            let err = parse_threshold(Some(bad)).unwrap_err();
            assert_eq!(err.value, bad);
            assert!(err.to_string().contains("RON_TLS_FLUSH_THRESHOLD"), "{err}");
        }
    }

    #[test]
    fn concurrent_flushers_never_double_count() {
        // Exercise Cells::flush's fetch_max protocol directly with racing flushers.
        let before = bus().snapshot().batch_publish;
        let cells = Arc::new(Cells::default());
        let total = 50_000u64;
        std::thread::scope(|s| {
            for _ in 0..2 {
                let cells = Arc::clone(&cells);
                s.spawn(move || {
                    for _ in 0..2_000 {
                        cells.flush();
                    }
                });
            }
            let i = BusCounter::BatchPublish.index();
            for _ in 0..total {
                let cell = &cells.totals[i];
                cell.store(cell.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
        });
        cells.flush();
        let after = bus().snapshot().batch_publish;
        // Other unit tests never touch batch_publish, so the delta is exactly ours.
        assert_eq!(after - before, total);
    }
}
