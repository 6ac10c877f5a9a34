//! Calibration-only slowdowns compiled into the ron-bus adapter's hot paths.
//!
//! `ron-bench calibrate` measures the gate's detection power on *real code-path slowdowns*:
//! it builds the runner with `RON_BENCH_INJECT_PUBLISH_SPINS=N[/K]` (extra work in publishes)
//! or `RON_BENCH_INJECT_DELIVER_SPINS=N[/K]` (extra work on the receiving thread for delivered
//! messages), sized from the measured per-operation cost, and gates that build against the
//! plain one. The values are compile-time constants: unset (every normal build)
//! they are 0 and the calls compile to nothing.

/// Extra work per publish (compile time, `RON_BENCH_INJECT_PUBLISH_SPINS`).
pub const PUBLISH: Rate = parse(option_env!("RON_BENCH_INJECT_PUBLISH_SPINS"));
/// Extra work per delivered message (compile time, `RON_BENCH_INJECT_DELIVER_SPINS`).
pub const DELIVER: Rate = parse(option_env!("RON_BENCH_INJECT_DELIVER_SPINS"));

/// `spins` spin iterations every `every` operations (`"N"` or `"N/K"`): a spin costs about a
/// nanosecond, so slowdowns below one spin per operation (2% of a 9 ns delivery) spin once
/// every K operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Spin iterations per injection (0: none, the normal build).
    pub spins: u64,
    /// Operations per injection (>= 1).
    pub every: u64,
}

/// `"N"` or `"N/K"` at compile time; anything else (or unset) is no injection.
const fn parse(v: Option<&str>) -> Rate {
    const NONE: Rate = Rate { spins: 0, every: 1 };
    let Some(s) = v else { return NONE };
    let b = s.as_bytes();
    let (mut i, mut n, mut k, mut slash) = (0, 0u64, 0u64, false);
    while i < b.len() {
        match b[i] {
            b'/' if !slash => slash = true,
            d if d.is_ascii_digit() => {
                let v = (d - b'0') as u64;
                if slash {
                    k = k.saturating_mul(10).saturating_add(v);
                } else {
                    n = n.saturating_mul(10).saturating_add(v);
                }
            }
            _ => return NONE,
        }
        i += 1;
    }
    Rate {
        spins: n,
        every: if slash && k > 0 { k } else { 1 },
    }
}

/// One operation under `rate`: spins when `count` reaches `rate.every`. Compiles to nothing in
/// a normal build (`rate.spins == 0` is a constant).
#[inline(always)]
pub fn tick(rate: Rate, count: &mut u64) {
    if rate.spins == 0 {
        return;
    }
    *count += 1;
    if *count >= rate.every {
        *count = 0;
        spin(rate.spins);
    }
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
    use super::{parse, tick, Rate};

    #[test]
    fn parses_spins_and_an_optional_period() {
        assert_eq!(parse(None), Rate { spins: 0, every: 1 });
        assert_eq!(
            parse(Some("17")),
            Rate {
                spins: 17,
                every: 1
            }
        );
        assert_eq!(parse(Some("1/5")), Rate { spins: 1, every: 5 });
        assert_eq!(parse(Some("1x")).spins, 0);
        assert_eq!(parse(Some("1/2/3")).spins, 0);
        assert_eq!(super::PUBLISH.spins, 0, "normal builds inject nothing");
    }

    #[test]
    fn tick_injects_once_every_period() {
        let mut c = 0;
        let r = Rate { spins: 1, every: 3 };
        for _ in 0..7 {
            tick(r, &mut c);
        }
        assert_eq!(
            c, 1,
            "7 ticks of period 3: two injections, one tick pending"
        );
    }
}
