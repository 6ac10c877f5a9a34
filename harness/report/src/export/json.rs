//! JSON: the report itself.

use std::io;

use super::{ExportError, Exporter};
use crate::report::Report;

/// Pretty JSON of the whole [`Report`] (schema `ron-bench/report/v1`), newline-terminated.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn extension(&self) -> &'static str {
        "json"
    }

    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}
