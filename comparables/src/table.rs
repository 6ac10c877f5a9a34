//! The side-by-side table printed by the criterion bench and the `table` example: one fixed
//! run of about 500k messages per contender and config, deliveries/s of delivered messages.

use crate::knobs::{bench_cfg_line, CellParams};
use crate::workloads::{burst_fanout, BurstParams, Sample};
use crate::{Contender, ContenderId, Visit};
use std::fmt::Write;

struct Fanout(BurstParams);
impl Visit for Fanout {
    type Out = Sample;
    fn visit<C: Contender>(self) -> Sample {
        burst_fanout::<C>(self.0)
    }
}

/// Runs every contender over the burst x fanout x cap matrix and renders the table.
pub fn side_by_side(
    bursts: &[u64],
    fanouts: &[u64],
    caps: &[u64],
    pub_yield: bool,
    tls: u64,
) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nside-by-side: burst_fanout, one run of ~500k messages per contender; {cores} cores; deliveries/s counts delivered messages only"
    );
    for &burst in bursts {
        for &fanout in fanouts {
            for &cap in caps {
                let _ = writeln!(
                    out,
                    "\n{}",
                    bench_cfg_line(&CellParams {
                        burst: Some(burst),
                        fanout,
                        cap,
                        pub_yield,
                        tls_thresh: tls,
                        ..CellParams::default()
                    })
                );
                if fanout as usize + 1 > cores {
                    let _ = writeln!(
                        out,
                        "note: fanout {fanout} + publisher oversubscribes {cores} cores"
                    );
                }
                let _ = writeln!(
                    out,
                    "{:<16} {:>13} {:>13} {:>10} {:>9} {:>9}",
                    "contender", "publishes/s", "deliveries/s", "delivered", "vs tokio", "vs bus"
                );
                let p = BurstParams {
                    burst,
                    fanout: fanout as usize,
                    cap: cap as usize,
                    bursts: (500_000 / burst).max(1),
                    pub_yield,
                };
                let rows: Vec<(ContenderId, Sample)> = ContenderId::ALL
                    .iter()
                    .map(|&id| (id, id.visit(Fanout(p))))
                    .collect();
                let rate_of = |want: ContenderId| {
                    rows.iter()
                        .find(|(id, _)| *id == want)
                        .map_or(0.0, |(_, s)| s.deliveries_per_sec())
                };
                let (tokio, bus) = (
                    rate_of(ContenderId::TokioBroadcast),
                    rate_of(ContenderId::BusCrate),
                );
                let ratio = |x: f64, base: f64| if base > 0.0 { x / base } else { 0.0 };
                for (id, s) in &rows {
                    let _ = writeln!(
                        out,
                        "{:<16} {:>13.3e} {:>13.3e} {:>9.2}% {:>8.2}x {:>8.2}x",
                        id.name(),
                        s.publishes_per_sec(),
                        s.deliveries_per_sec(),
                        100.0 * s.delivered_ratio(),
                        ratio(s.deliveries_per_sec(), tokio),
                        ratio(s.deliveries_per_sec(), bus),
                    );
                }
            }
        }
    }
    out
}
