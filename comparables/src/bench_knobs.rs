//! The knob table as the criterion benches read it (`benches/comparables.rs` and
//! `benches/features.rs`).
//!
//! Every group takes its cells from the `RON_BENCH_*` knobs ([`crate::knobs::KNOBS`]) and
//! prints one `[bench cfg]` line per cell configuration before measuring it. A group with a
//! plan of its own (the MOG plan's `subs x cap` matrix, its `(burst, fanout, cap)` cells) keeps
//! the plan's value for a knob that is not set and uses the knob's values when it is:
//! `RON_BENCH_CAP=64 cargo bench --bench features` runs every group at cap 64. A value that
//! does not parse is an error naming the variable, never a silent default.

use crate::knobs::{self, bench_cfg_line, CellParams, Knob, KnobError};

/// Knob values: `Some` when the environment sets the knob, else `None` (the group's plan or
/// the table's default applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchKnobs {
    /// `RON_BENCH_BURST` (or an alias), when set.
    pub bursts: Option<Vec<u64>>,
    /// `RON_BENCH_FANOUT` (or an alias), when set.
    pub fanouts: Option<Vec<u64>>,
    /// `RON_BENCH_CAP` (or an alias), when set.
    pub caps: Option<Vec<u64>>,
    /// `RON_BENCH_PUB_YIELD` is non-zero.
    pub pub_yield: bool,
    /// `RON_TLS_FLUSH_THRESHOLD` (first value, at least 1).
    pub tls: u64,
}

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The values set in `env` (`None` when unset).
fn explicit(k: &Knob, env: Env<'_>) -> Result<Option<Vec<u64>>, KnobError> {
    k.lookup(env)
        .map(|(var, val)| k.parse(var, &val))
        .transpose()
}

/// The knob's values, else its default from the table.
fn or_default(v: &Option<Vec<u64>>, k: &Knob) -> Vec<u64> {
    v.clone()
        .or_else(|| k.parse(k.var, k.default).ok())
        .unwrap_or_default()
}

impl BenchKnobs {
    /// Reads every knob from `env`; a bad value is an error naming its variable.
    pub fn read(env: Env<'_>) -> Result<BenchKnobs, KnobError> {
        Ok(BenchKnobs {
            bursts: explicit(&knobs::BURST, env)?,
            fanouts: explicit(&knobs::FANOUT, env)?,
            caps: explicit(&knobs::CAP, env)?,
            pub_yield: knobs::PUB_YIELD.read(env)?.iter().any(|v| *v != 0),
            tls: knobs::TLS_FLUSH_THRESHOLD.read(env)?[0].max(1),
        })
    }

    /// Bursts (the knob, else the table's default).
    pub fn bursts(&self) -> Vec<u64> {
        or_default(&self.bursts, &knobs::BURST)
    }

    /// Fanouts (the knob, else the table's default).
    pub fn fanouts(&self) -> Vec<u64> {
        or_default(&self.fanouts, &knobs::FANOUT)
    }

    /// Caps (the knob, else the table's default).
    pub fn caps(&self) -> Vec<u64> {
        or_default(&self.caps, &knobs::CAP)
    }

    /// `(fanout, cap)` pairs of a group planned as `fanouts x caps`, knobs overriding.
    pub fn grid(&self, fanouts: &[u64], caps: &[u64]) -> Vec<(u64, u64)> {
        let f = self.fanouts.clone().unwrap_or_else(|| fanouts.to_vec());
        let c = self.caps.clone().unwrap_or_else(|| caps.to_vec());
        f.iter()
            .flat_map(|f| c.iter().map(move |c| (*f, *c)))
            .collect()
    }

    /// `(burst, fanout, cap)` cells of a group planned as `plan`: unchanged when no burst,
    /// fanout or cap knob is set; else each set knob replaces that coordinate (the cross
    /// product of the knob's values with the plan's other coordinates), duplicates removed.
    pub fn cells(&self, plan: &[(u64, u64, u64)]) -> Vec<(u64, u64, u64)> {
        let mut out: Vec<(u64, u64, u64)> = Vec::new();
        for &(b, f, c) in plan {
            let bs = self.bursts.clone().unwrap_or_else(|| vec![b]);
            let fs = self.fanouts.clone().unwrap_or_else(|| vec![f]);
            let cs = self.caps.clone().unwrap_or_else(|| vec![c]);
            for &b in &bs {
                for &f in &fs {
                    for &c in &cs {
                        if !out.contains(&(b, f, c)) {
                            out.push((b, f, c));
                        }
                    }
                }
            }
        }
        out
    }

    /// The `[bench cfg]` line of one cell (`burst: None` for single-message scenarios).
    pub fn cfg_line(&self, burst: Option<u64>, fanout: u64, cap: u64) -> String {
        bench_cfg_line(&CellParams {
            burst,
            fanout,
            cap,
            pub_yield: self.pub_yield,
            tls_thresh: self.tls,
            ..CellParams::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    const PLAN: [(u64, u64, u64); 2] = [(256, 4, 64), (1024, 4, 2048)];

    #[test]
    fn unset_knobs_keep_the_plan_and_set_ones_replace_their_coordinate() {
        let k = BenchKnobs::read(&env(&[])).unwrap();
        assert_eq!(k.cells(&PLAN), PLAN);
        assert_eq!(k.grid(&[0, 1], &[32]), [(0, 32), (1, 32)]);
        assert_eq!(
            (k.bursts(), k.fanouts(), k.caps()),
            (vec![256], vec![4], vec![2048])
        );
        let k = BenchKnobs::read(&env(&[("RON_BENCH_CAP", "64"), ("FANOUT", "1,8")])).unwrap();
        assert_eq!(
            k.cells(&PLAN),
            [(256, 1, 64), (256, 8, 64), (1024, 1, 64), (1024, 8, 64)]
        );
        assert_eq!(k.grid(&[0, 1, 4, 16], &[32, 256]), [(1, 64), (8, 64)]);
    }

    #[test]
    fn the_cfg_line_names_every_knob_and_bad_values_name_their_variable() {
        let k = BenchKnobs::read(&env(&[
            ("RON_BENCH_PUB_YIELD", "1"),
            ("RON_TLS_FLUSH_THRESHOLD", "16"),
        ]))
        .unwrap();
        assert_eq!(
            k.cfg_line(Some(256), 4, 64),
            "[bench cfg] RON_TLS_FLUSH_THRESHOLD=16, burst=256, fanout=4, cap=64, pub_yield=1"
        );
        assert_eq!(
            k.cfg_line(None, 1, 2048),
            "[bench cfg] RON_TLS_FLUSH_THRESHOLD=16, fanout=1, cap=2048, pub_yield=1"
        );
        let e = BenchKnobs::read(&env(&[("RON_CAP", "lots")])).unwrap_err();
        assert!(e.to_string().contains("RON_CAP"), "{e}");
    }
}
