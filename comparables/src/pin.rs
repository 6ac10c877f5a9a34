//! C3: pinning the publisher and subscriber threads of a workload to cores, where the cores
//! allow.
//!
//! With `RON_BENCH_PIN=1` and as many cores as threads (fanout 1 on a 2-core machine:
//! publisher + 1 subscriber), each thread gets a core of its own for the whole run, so the
//! scheduler cannot stack them on one core mid-burst. With more threads than cores pinning
//! would only force the oversubscription into a fixed shape, so the workload runs unpinned.
//!
//! Off by default because it measured worse on a shared machine: `burst_fanout` fanout 1,
//! 12 processes each, load average 6.7 from other builds: pinned 0.0-0.1 M deliveries/s in
//! every process (a pinned thread cannot leave a core another process is using), unpinned
//! 0.0-25 M/s. Turn it on for a quiet, dedicated machine.

use core_affinity::CoreId;

/// The cores to pin `threads` threads to (thread `i` to `cores[i]`), or `None` when the
/// machine has fewer cores than threads, pinning is off, or the platform cannot pin.
pub fn plan(threads: usize) -> Option<Vec<CoreId>> {
    if !std::env::var("RON_BENCH_PIN").is_ok_and(|v| v == "1") {
        return None;
    }
    let ids = core_affinity::get_core_ids()?;
    (threads > 0 && threads <= ids.len()).then(|| ids.into_iter().take(threads).collect())
}

/// Pins the calling thread to `core` (if any); `false` when the OS refused.
pub fn pin(core: Option<CoreId>) -> bool {
    core.is_some_and(core_affinity::set_for_current)
}

#[cfg(test)]
mod tests {
    #[test]
    fn never_plans_more_threads_than_cores() {
        let cores = core_affinity::get_core_ids().map_or(0, |v| v.len());
        assert!(super::plan(cores + 1).is_none());
        assert!(super::plan(0).is_none());
        if let Some(p) = super::plan(1) {
            assert_eq!(p.len(), 1);
        }
    }
}
