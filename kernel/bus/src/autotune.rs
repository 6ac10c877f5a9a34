//! `bus_autotune_cap` (MOG A3): pick a ring capacity from the expected subscriber count.
//!
//! | expected subscribers | capacity |
//! |---|---|
//! | `N <= 4`  | 64  |
//! | `N <= 16` | 128 |
//! | otherwise | 256 |
//!
//! An explicit override (e.g. from `RON_BENCH_CAP`) is always respected, normalised to a
//! power of two. Capacities above 256 are allowed but warn once per process on stderr and
//! count `bus_autotune_warn_total{reason="cap_gt_256"}`; the chosen value is exported as
//! `bus_cap_selected`.
//!
//! ```
//! use ron_bus::autotune_capacity;
//! assert_eq!(autotune_capacity(1, None), 64);
//! assert_eq!(autotune_capacity(16, None), 128);
//! assert_eq!(autotune_capacity(17, None), 256);
//! assert_eq!(autotune_capacity(4, Some(100)), 128); // override, normalised
//! ```

use std::sync::atomic::{AtomicBool, Ordering};

/// The largest capacity the heuristic recommends; larger overrides warn.
pub const AUTOTUNE_MAX_RECOMMENDED: usize = 256;

/// Chooses a capacity for `expected_subs` subscribers, or normalises `override_cap`.
pub fn autotune_capacity(expected_subs: usize, override_cap: Option<usize>) -> usize {
    let cap = match override_cap {
        Some(c) => c.max(1).next_power_of_two(),
        None if expected_subs <= 4 => 64,
        None if expected_subs <= 16 => 128,
        None => 256,
    };
    if cap > AUTOTUNE_MAX_RECOMMENDED {
        warn_cap_gt_256(cap);
    }
    #[cfg(not(loom))]
    ron_metrics::bus().cap_selected.set(cap as i64);
    cap
}

fn warn_cap_gt_256(cap: usize) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    #[cfg(not(loom))]
    ron_metrics::bus()
        .autotune_warn
        .with_label_values(&["cap_gt_256"])
        .inc();
    if !WARNED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "ron-bus: capacity {cap} exceeds the autotune recommendation of {AUTOTUNE_MAX_RECOMMENDED} (bus_autotune_warn_total{{reason=\"cap_gt_256\"}})"
        );
    }
}
