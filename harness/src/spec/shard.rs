//! `--shard I/N`: a deterministic 1/N slice of a matrix, for spreading a sweep over machines.
//!
//! Cells are grouped by **parameter point** (scenario and every parameter, contender
//! excluded) in expansion order; group `g` (0-based) belongs to shard `g % N + 1`. Every build
//! and contender of a point therefore runs in the same shard, on the same machine, interleaved
//! as in an unsharded run: the comparisons a report makes (feature A/B, contender vs
//! contender at equal parameters) never cross machines. Round-robin over points keeps the
//! shards within one point of each other in size. The same matrix gives the same slices on
//! every machine, and the union of the N shards is exactly the unsharded run.

use super::Cell;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Shard {
    /// 1..=count.
    pub index: u32,
    /// Number of shards (>= 1).
    pub count: u32,
}

/// A `--shard` value that is not `I/N` with 1 <= I <= N.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--shard {0:?}: expected I/N with 1 <= I <= N (e.g. 2/4)")]
pub struct BadShard(pub String);

impl FromStr for Shard {
    type Err = BadShard;
    fn from_str(s: &str) -> Result<Shard, BadShard> {
        let bad = || BadShard(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The parameter point of a cell: its id without the contender.
pub fn point_of(cell: &Cell) -> String {
    let contender = cell.contender.to_string();
    cell.id
        .split('/')
        .filter(|part| *part != contender)
        .collect::<Vec<_>>()
        .join("/")
}

/// Per cell (in order), the 1-based shard it belongs to among `count`.
pub fn assign(cells: &[Cell], count: u32) -> Vec<u32> {
    // Point -> first-seen index (a map: a linear search is quadratic in the matrix size).
    let mut points: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    cells
        .iter()
        .map(|c| {
            let next = points.len();
            let g = *points.entry(point_of(c)).or_insert(next);
            (g as u32) % count.max(1) + 1
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Build, Matrix, Sampling};
    use crate::{ContenderId, Scenario};

    fn matrix() -> Matrix {
        Matrix {
            scenarios: vec![Scenario::BurstFanout, Scenario::Steady],
            contenders: vec![ContenderId::RonBus, ContenderId::Flume],
            bursts: vec![1, 256],
            fanouts: vec![1, 4, 8],
            caps: vec![64, 2048],
            pub_yields: vec![false],
            tls_thresholds: vec![64],
            payloads: vec![8],
            latency_rate_per_sec: 100_000,
            builds: vec![Build::new(vec![])],
            sampling: Sampling::QUICK,
            quick: true,
            throttle_spins: 0,
            measure: crate::spec::Measure::default(),
        }
    }

    #[test]
    fn parse_and_reject() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        for bad in ["0/4", "5/4", "1/0", "x/2", "3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard { index: 1, count: 3 }.to_string(), "1/3");
    }

    #[test]
    fn shards_partition_the_cells_and_keep_points_together() {
        let cells = matrix().cells();
        for n in 1..=5 {
            let a = assign(&cells, n);
            assert_eq!(a, assign(&cells, n), "deterministic");
            for (c, s) in cells.iter().zip(&a) {
                assert!((1..=n).contains(s));
                // every contender of a point lands in the same shard
                for (d, t) in cells.iter().zip(&a) {
                    if point_of(c) == point_of(d) {
                        assert_eq!(s, t, "{} vs {}", c.id, d.id);
                    }
                }
            }
            let sizes: Vec<usize> = (1..=n)
                .map(|i| a.iter().filter(|s| **s == i).count())
                .collect();
            let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(
                hi - lo <= 2,
                "balanced within one point of 2 contenders: {sizes:?}"
            );
        }
    }

    #[test]
    fn the_point_drops_only_the_contender() {
        let cells = matrix().cells();
        assert_eq!(
            point_of(&cells[0]),
            "burst_fanout/burst=1/fanout=1/cap=64/tls_thresh=64"
        );
    }
}
