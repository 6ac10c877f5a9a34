//! ron-bench-report: placeholder, filled in by the statistics/gates issue.
#![forbid(unsafe_code)]
