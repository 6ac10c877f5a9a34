//! ron-bench-report (WIP)
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod analysis;
pub mod export;
pub mod interop;
pub mod policy;
pub mod report;
