//! Warm-up, calibration and sampling: the loop inside one process run.

use crate::protocol::SampleLine;
use crate::workload::{Measured, Workload};
use std::time::{Duration, Instant};

/// How many units (bursts or messages) fill `window_ns`, given that `units` took `elapsed_ns`.
pub fn units_for_window(units: u64, elapsed_ns: u64, window_ns: u64) -> u64 {
    let scaled = u128::from(units) * u128::from(window_ns) / u128::from(elapsed_ns.max(1));
    u64::try_from(scaled).unwrap_or(u64::MAX).max(1)
}

/// Upper bound on units per sample (a workload that reports no elapsed time cannot make
/// calibration grow forever).
pub const MAX_UNITS: u64 = 1 << 32;

/// Warms up for at least `warmup` while finding the units per sample that fill `window_ns`.
///
/// Sizes grow geometrically until one call lasts at least a quarter window (short calls are
/// dominated by fixed costs and would overestimate the cost per unit); after that each call
/// is re-sized to the window until the warm-up time is spent. With a zero warm-up the result
/// depends only on the workload's reported `elapsed_ns`, which is what makes it testable.
pub fn calibrate<W: Workload>(w: &mut W, warmup: Duration, window_ns: u64) -> u64 {
    let start = Instant::now();
    let mut units = 1u64;
    loop {
        let elapsed = w.run(units).sample.elapsed_ns.max(1);
        let fitted = units_for_window(units, elapsed, window_ns).min(MAX_UNITS);
        if elapsed >= window_ns / 4 || units >= MAX_UNITS {
            if start.elapsed() >= warmup {
                return fitted;
            }
            units = fitted;
        } else {
            // Far from the window: grow fast, but never past the (over)estimate.
            let factor = if elapsed < window_ns / 64 { 8 } else { 2 };
            units = units
                .saturating_mul(factor)
                .min(fitted.max(units + 1))
                .min(MAX_UNITS);
        }
    }
}

/// Converts one call's result into a protocol sample line.
pub fn sample_line(index: u32, m: &Measured) -> SampleLine {
    SampleLine {
        index,
        elapsed_ns: m.sample.elapsed_ns,
        published: m.sample.published,
        delivered: m.sample.delivered(),
        lagged: m.sample.lagged(),
        subscribers: m.sample.subs.len() as u64,
        accounting_ok: m.sample.accounting_holds(),
        latency: m.latency,
        on_cpu_ppm: None,
    }
}

/// The name callgrind counts instructions inside (`--toggle-collect`): only the sampled work,
/// not start-up, warm-up, calibration or the protocol output.
pub const MEASURED_SYMBOL: &str = "*measure::measured_call*";

/// One sampled call of the workload. Never inlined, so it keeps its symbol for
/// [`MEASURED_SYMBOL`] even under LTO.
#[inline(never)]
pub fn measured_call<W: Workload>(w: &mut W, units: u64) -> Measured {
    w.run(units)
}

/// Takes `samples` samples of `units` each, handing each to `emit` as it completes. With
/// `on_cpu` (single-thread workloads), each sample also records the share of its wall time
/// this thread spent on a CPU (see `SampleLine::on_cpu_ppm`).
pub fn take_samples<W: Workload>(
    w: &mut W,
    units: u64,
    samples: u32,
    on_cpu: bool,
    mut emit: impl FnMut(SampleLine),
) {
    for i in 0..samples {
        let before = on_cpu
            .then(crate::procfs::thread_cpu_ns)
            .flatten()
            .map(|cpu| (cpu, Instant::now()));
        let m = measured_call(w, units);
        let mut line = sample_line(i, &m);
        if let (Some((cpu0, t0)), Some(cpu1)) = (before, crate::procfs::thread_cpu_ns()) {
            let wall = t0.elapsed().as_nanos().max(1);
            let ppm = u128::from(cpu1.saturating_sub(cpu0)) * 1_000_000 / wall;
            line.on_cpu_ppm = Some(ppm.min(1_000_000) as u32);
        }
        emit(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ron_comparables::workloads::{Sample, SubCounts};

    /// A mock contender with a controllable cost: `cost_ns` per unit, `burst` messages per
    /// unit, and subscribers that lose `lose_every`-th message.
    struct Mock {
        cost_ns: u64,
        burst: u64,
        subs: usize,
        lose_every: u64,
        calls: Vec<u64>,
    }

    impl Workload for Mock {
        fn run(&mut self, units: u64) -> Measured {
            self.calls.push(units);
            let published = units.saturating_mul(self.burst);
            let lagged = published.checked_div(self.lose_every).unwrap_or(0);
            Measured {
                sample: Sample {
                    elapsed_ns: units.saturating_mul(self.cost_ns),
                    published,
                    subs: vec![
                        SubCounts {
                            delivered: published - lagged,
                            lagged
                        };
                        self.subs
                    ],
                },
                latency: None,
            }
        }
    }

    fn mock(cost_ns: u64) -> Mock {
        Mock {
            cost_ns,
            burst: 10,
            subs: 2,
            lose_every: 0,
            calls: Vec::new(),
        }
    }

    #[test]
    fn calibration_fills_the_window_exactly_for_a_linear_cost() {
        let mut m = mock(1_000);
        let units = calibrate(&mut m, Duration::ZERO, 1_000_000);
        assert_eq!(units, 1_000);
        // Geometric growth: 1, 8, 64 (< window/64 = 15_625 ns), then x2 until a quarter window.
        assert_eq!(m.calls, vec![1, 8, 64, 128, 256]);
    }

    #[test]
    fn calibration_never_returns_zero_units() {
        let mut m = mock(10_000_000_000);
        assert_eq!(calibrate(&mut m, Duration::ZERO, 1_000), 1);
        let mut m = mock(0);
        assert_eq!(calibrate(&mut m, Duration::ZERO, 1_000), MAX_UNITS);
    }

    #[test]
    fn samples_carry_published_delivered_and_lagged() {
        let mut m = mock(100);
        m.lose_every = 4;
        let mut got = Vec::new();
        take_samples(&mut m, 8, 3, false, |s| got.push(s));
        assert_eq!(got.len(), 3);
        for (i, s) in got.iter().enumerate() {
            assert_eq!(s.index as usize, i);
            assert_eq!(s.published, 80);
            assert_eq!(s.lagged, 2 * 20);
            assert_eq!(s.delivered, 2 * 60);
            assert_eq!(s.subscribers, 2);
            assert!(s.accounting_ok);
            assert_eq!(s.elapsed_ns, 800);
        }
    }
}
