//! The knob table as the criterion benches read it (shared by `comparables` and `features`).
//!
//! Every group takes its cells from the `RON_BENCH_*` knobs ([`ron_comparables::knobs::KNOBS`])
//! and prints one `[bench cfg]` line per cell configuration before measuring it. A group with
//! a plan of its own (the MOG plan's `subs x cap` matrix, its `(burst, fanout, cap)` cells)
//! keeps the plan's value for a knob that is not set and uses the knob's values when it is:
//! `RON_BENCH_CAP=64 cargo bench --bench features` runs every group at cap 64. A value that
//! does not parse is an error naming the variable (exit 2), never a silent default.
#![allow(dead_code)] // each bench uses a subset

use ron_comparables::knobs::{self, bench_cfg_line, process_env, CellParams, Knob};

/// Knob values: `Some` when the environment sets the knob, else `None` (the group's plan or
/// the table's default applies).
pub struct Knobs {
    pub bursts: Option<Vec<u64>>,
    pub fanouts: Option<Vec<u64>>,
    pub caps: Option<Vec<u64>>,
    pub pub_yield: bool,
    pub tls: u64,
}

fn or_exit<T>(r: Result<T, knobs::KnobError>) -> T {
    r.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    })
}

/// The values set in the environment (`None` when unset).
fn explicit(k: &Knob) -> Option<Vec<u64>> {
    let (var, val) = k.lookup(&process_env)?;
    Some(or_exit(k.parse(var, &val)))
}

/// Reads every knob; exits 2 naming the variable when a value is bad.
pub fn read() -> Knobs {
    Knobs {
        bursts: explicit(&knobs::BURST),
        fanouts: explicit(&knobs::FANOUT),
        caps: explicit(&knobs::CAP),
        pub_yield: or_exit(knobs::PUB_YIELD.read(&process_env))
            .iter()
            .any(|v| *v != 0),
        tls: or_exit(knobs::TLS_FLUSH_THRESHOLD.read(&process_env))[0].max(1),
    }
}

/// The knob's values, else its default from the table.
fn or_default(v: &Option<Vec<u64>>, k: &Knob) -> Vec<u64> {
    v.clone()
        .unwrap_or_else(|| or_exit(k.parse(k.var, k.default)))
}

impl Knobs {
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
