//! The side-by-side table printed by the criterion bench and the `table` example: per config,
//! `rounds` runs of about 500k messages per contender, contenders interleaved in a rotating
//! order, deliveries/s of delivered messages (medians over the rounds).

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

/// The matrix and repetition of one table.
#[derive(Debug, Clone)]
pub struct TableCfg {
    /// Messages per burst.
    pub bursts: Vec<u64>,
    /// Subscriber threads.
    pub fanouts: Vec<u64>,
    /// Ring / queue capacities.
    pub caps: Vec<u64>,
    /// Yield the publisher after each burst.
    pub pub_yield: bool,
    /// The `metrics_buf` flush threshold (printed only).
    pub tls: u64,
    /// Runs per contender and config (at least 1).
    pub rounds: u64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Runs every contender over the burst x fanout x cap matrix and renders the table.
///
/// Within a config, round `r` runs the contenders starting at the `r`-th (rotating), so no
/// contender always runs first in a fresh process or right after a given other one. The
/// ratio columns are medians of the per-round ratios (each taken within one round), which a
/// noisy machine disturbs less than a ratio of medians.
pub fn side_by_side(cfg: &TableCfg) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rounds = cfg.rounds.max(1) as usize;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nside-by-side: burst_fanout, {rounds} interleaved round(s) of ~500k messages per contender; {cores} cores; deliveries/s counts delivered messages only (medians)"
    );
    for &burst in &cfg.bursts {
        for &fanout in &cfg.fanouts {
            for &cap in &cfg.caps {
                let _ = writeln!(
                    out,
                    "\n{}",
                    bench_cfg_line(&CellParams {
                        burst: Some(burst),
                        fanout,
                        cap,
                        pub_yield: cfg.pub_yield,
                        tls_thresh: cfg.tls,
                        ..CellParams::default()
                    })
                );
                if fanout as usize + 1 > cores {
                    let _ = writeln!(
                        out,
                        "note: fanout {fanout} + publisher oversubscribes {cores} cores"
                    );
                }
                let p = BurstParams {
                    burst,
                    fanout: fanout as usize,
                    cap: cap as usize,
                    bursts: (500_000 / burst).max(1),
                    pub_yield: cfg.pub_yield,
                };
                render(&mut out, &run_rounds(p, rounds));
            }
        }
    }
    out
}

/// `samples[round][i]` is contender `ContenderId::ALL[i]` in that round.
fn run_rounds(p: BurstParams, rounds: usize) -> Vec<Vec<Sample>> {
    let n = ContenderId::ALL.len();
    (0..rounds)
        .map(|r| {
            let mut row: Vec<Option<Sample>> = (0..n).map(|_| None).collect();
            for k in 0..n {
                let i = (r + k) % n;
                row[i] = Some(ContenderId::ALL[i].visit(Fanout(p)));
            }
            row.into_iter().flatten().collect()
        })
        .collect()
}

fn render(out: &mut String, samples: &[Vec<Sample>]) {
    let _ = writeln!(
        out,
        "{:<16} {:>13} {:>13} {:>10} {:>9} {:>9}",
        "contender", "publishes/s", "deliveries/s", "delivered", "vs tokio", "vs bus"
    );
    let pos = |want| ContenderId::ALL.iter().position(|id| *id == want);
    let (tokio, bus) = (pos(ContenderId::TokioBroadcast), pos(ContenderId::BusCrate));
    let ratio = |round: &[Sample], i: usize, base: Option<usize>| {
        let b = base.map_or(0.0, |b| round[b].deliveries_per_sec());
        if b > 0.0 {
            round[i].deliveries_per_sec() / b
        } else {
            0.0
        }
    };
    for (i, id) in ContenderId::ALL.iter().enumerate() {
        let col = |f: &dyn Fn(&[Sample]) -> f64| median(samples.iter().map(|r| f(r)).collect());
        let _ = writeln!(
            out,
            "{:<16} {:>13.3e} {:>13.3e} {:>9.2}% {:>8.2}x {:>8.2}x",
            id.name(),
            col(&|r| r[i].publishes_per_sec()),
            col(&|r| r[i].deliveries_per_sec()),
            100.0 * col(&|r| r[i].delivered_ratio()),
            col(&|r| ratio(r, i, tokio)),
            col(&|r| ratio(r, i, bus)),
        );
    }
}
