//! JSON Schemas of the files ron-bench writes and reads, generated from the types themselves
//! (`schemars`) and committed under `harness/schemas/` (a test keeps them equal).
//!
//! | file | schema id (the file's `schema` field) |
//! |---|---|
//! | `run.schema.json` | `ron-bench/run/v1` (`reports/runs/*.json`, `run.json` of a report) |
//! | `baseline.schema.json` | `ron-bench/baseline/v1` (`baselines/*.json`) |
//! | `report.schema.json` | `ron-bench/report/v1` (`report.json`, `gate --format json`, `compare --format json`) |
//! | `baseline-list.schema.json` | `ron-bench/baseline-list/v1` (`baseline list --json`) |
//!
//! Versioning: a version names a meaning. Adding a field (readers of the same version ignore
//! it, and old files without it still read) keeps the version; removing or renaming a field,
//! or changing what one means, bumps it.

use schemars::JsonSchema;

/// One schema.
#[derive(Debug, Clone)]
pub struct Schema {
    /// `run`, `baseline`, `report`, `baseline-list`.
    pub kind: &'static str,
    /// The schema id written into the files (`ron-bench/run/v1`).
    pub id: &'static str,
    /// The JSON Schema (draft 2020-12).
    pub schema: serde_json::Value,
}

impl Schema {
    /// `<kind>.schema.json`.
    pub fn file_name(&self) -> String {
        format!("{}.schema.json", self.kind)
    }

    /// The schema as committed: pretty JSON and a final newline.
    pub fn text(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.schema).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Every schema, in a fixed order.
pub fn all() -> Vec<Schema> {
    vec![
        gen::<crate::store::RunFile>("run", crate::store::RUN_SCHEMA),
        gen::<crate::store::Baseline>("baseline", crate::store::BASELINE_SCHEMA),
        gen::<ron_bench_report::report::Report>("report", ron_bench_report::report::REPORT_SCHEMA),
        gen::<crate::store::baseline::BaselineList>(
            "baseline-list",
            crate::store::baseline::BASELINE_LIST_SCHEMA,
        ),
    ]
}

fn gen<T: JsonSchema>(kind: &'static str, id: &'static str) -> Schema {
    let mut schema = schemars::schema_for!(T).to_value();
    if let Some(o) = schema.as_object_mut() {
        o.insert("title".into(), id.into());
        o.insert(
            "description".into(),
            format!(
                "ron-bench {kind} file, schema `{id}` (generated from the Rust types by \
                 schemars; regenerate with `ron-bench schema --out-dir harness/schemas`)"
            )
            .into(),
        );
    }
    Schema { kind, id, schema }
}
