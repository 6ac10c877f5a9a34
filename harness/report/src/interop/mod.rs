//! Interoperability with criterion and critcmp. This is the one module that touches the file
//! system (reading criterion's output directory); writing goes to an `io::Write`.
//!
//! * [`import_criterion`] reads `<root>/**/<baseline>/{benchmark,estimates,sample}.json`
//!   (`baseline` is `new`, `base` or a `--save-baseline` name) into an [`ImportedBaseline`]:
//!   per benchmark its ids, throughput, per-sample ns per iteration (`times[i] / iters[i]`)
//!   and criterion's estimates.
//! * [`critcmp::write_critcmp`] writes critcmp's `--export` format, which `critcmp` accepts as
//!   a positional file argument.
//!
//! Caveat, from FIELD_NOTES section 1: criterion's samples are iterations inside one process,
//! so their spread is in-process noise (~1%), not the run-to-run noise (~6% here). Series made
//! with [`ImportedBaseline::to_series`] are flagged `interleaved = false` and treated as a
//! single run; prefer run-level data from `ron-bench run` for gating.

pub mod critcmp;
mod criterion;

pub use self::criterion::{
    criterion_root, import_criterion, list_criterion_baselines, ImportedBaseline,
    ImportedBenchmark, InteropError, Throughput,
};
