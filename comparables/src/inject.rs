//! Calibration-only slowdowns compiled into the ron-bus adapter's hot paths.
//!
//! `ron-bench calibrate` measures the gate's detection power on *real code-path slowdowns*:
//! it builds the runner with `RON_BENCH_INJECT_PUBLISH_SPINS=N` (extra work in every publish)
//! or `RON_BENCH_INJECT_DELIVER_SPINS=N` (extra work on the receiving thread for every
//! delivered message), sized from the measured per-operation cost, and gates that build
//! against the plain one. The values are compile-time constants: unset (every normal build)
//! they are 0 and the calls compile to nothing.

/// Extra spin iterations per publish (compile time, `RON_BENCH_INJECT_PUBLISH_SPINS`).
pub const PUBLISH_SPINS: u64 = parse(option_env!("RON_BENCH_INJECT_PUBLISH_SPINS"));
/// Extra spin iterations per delivered message (compile time,
/// `RON_BENCH_INJECT_DELIVER_SPINS`).
pub const DELIVER_SPINS: u64 = parse(option_env!("RON_BENCH_INJECT_DELIVER_SPINS"));

/// Decimal digits to a number at compile time; anything else (or unset) is 0.
const fn parse(v: Option<&str>) -> u64 {
    let Some(s) = v else { return 0 };
    let b = s.as_bytes();
    let mut i = 0;
    let mut n: u64 = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            return 0;
        }
        n = n.saturating_mul(10).saturating_add((b[i] - b'0') as u64);
        i += 1;
    }
    n
}

/// `spins` iterations of work the optimiser cannot remove (about one cycle each).
#[inline(always)]
pub fn spin(spins: u64) {
    let mut i = 0;
    while i < spins {
        std::hint::black_box(i);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_digits_only() {
        assert_eq!(super::parse(None), 0);
        assert_eq!(super::parse(Some("17")), 17);
        assert_eq!(super::parse(Some("1x")), 0);
        assert_eq!(super::PUBLISH_SPINS, 0, "normal builds inject nothing");
    }
}
