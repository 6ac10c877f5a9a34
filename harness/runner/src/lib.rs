//! ron-bench-runner: measures one benchmark cell in one process and prints JSON lines.
//!
//! `ron-bench` builds this crate once per feature combo and runs it as a child process for
//! every (cell, build, round). The binary is deliberately small: it parses the cell's
//! parameters from the JSON request on its command line ([`protocol::Request`]), runs the workload shared with the
//! criterion benches (`ron_comparables::workloads`) and prints [`protocol::Line`]s.
//!
//! # Measurement protocol
//!
//! 1. `ron-bench` builds one runner binary per feature combo in `--features` (and, in a later
//!    issue, per git revision) into its own target dir (`target/ron-bench`), and copies it to
//!    `target/ron-bench/bins/<combo>/`; cargo's own freshness check makes an unchanged build
//!    cost about a second.
//! 2. For each cell, every round is an independent **process run** of this binary. Rounds
//!    interleave builds and contenders (A B C, then C B A, ...) so machine drift hits all sides
//!    equally. Inside the process: warm up for `--warmup-ms` while calibrating how many units
//!    (bursts or messages) fill one `--window-ms` window ([`measure::calibrate`]), then take
//!    `--samples` samples of that fixed size. The run-level value used for statistics is the
//!    median of the process's samples; raw samples are kept too.
//! 3. Bus counter deltas (`ron_metrics::bus().snapshot()`, notify sends/suppressed, batches,
//!    lag, TLS flushes) are taken around the sampling phase only (after warm-up); with
//!    `metrics_buf`, per-thread counters are flushed first.
//! 4. CPU time (user + sys, `/proc/self/stat`) over the sampling phase and peak RSS
//!    (`VmHWM`, `/proc/self/status`) are reported in the final `done` line.
//! 5. Every sample carries published, delivered and lagged counts; deliveries/s counts
//!    delivered messages only, so a lossy contender cannot look fast by dropping messages.
//! 6. A scenario this build cannot run (missing feature or workload) prints one `skip` line
//!    and exits 0: a skip is a note, not an error.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod measure;
pub mod procfs;
pub mod protocol;
pub mod scenario;
pub mod workload;

pub use protocol::{Done, Hello, Line, Request, SampleLine};
pub use scenario::Scenario;
