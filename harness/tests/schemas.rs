//! The JSON Schemas committed under `harness/schemas/` are the ones the types generate, and
//! files ron-bench writes validate against them (a small validator for the keywords schemars
//! emits: `$ref`/`$defs`, `type`, `properties`, `required`, `additionalProperties`, `items`,
//! `prefixItems`, `enum`, `const`, `oneOf`, `anyOf`, `minimum`).
#![forbid(unsafe_code)]

mod common;

use common::bench;
use serde_json::Value;
use std::path::Path;

fn committed(kind: &str) -> String {
    let p = common::repo()
        .join("harness/schemas")
        .join(format!("{kind}.schema.json"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn committed_schemas_equal_the_generated_ones() {
    for s in ron_harness::schema::all() {
        assert_eq!(
            committed(s.kind),
            s.text(),
            "harness/schemas/{} is stale: run `cargo run -p ron-harness --bin ron-bench -- \
             schema --out-dir harness/schemas` and commit the result",
            s.file_name()
        );
    }
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.strip_prefix("#/$defs/").expect("local $ref");
            resolve(root, &root["$defs"][name])
        }
        None => schema,
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        _ => panic!("unknown type {t}"),
    }
}

/// Errors of `v` against `schema` (empty: valid).
fn validate(root: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    let s = resolve(root, schema);
    if s == &Value::Bool(true) {
        return;
    }
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(t, v),
            Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
            _ => true,
        };
        if !ok {
            errs.push(format!("{at}: {v} is not {t}"));
            return;
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            errs.push(format!("{at}: {v} != const {c}"));
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errs.push(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let (Some(m), Some(x)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64()) {
        if x < m {
            errs.push(format!("{at}: {x} < minimum {m}"));
        }
    }
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            let ok = alts
                .iter()
                .filter(|a| {
                    let mut e = Vec::new();
                    validate(root, a, v, at, &mut e);
                    e.is_empty()
                })
                .count();
            if (exactly_one && ok != 1) || ok == 0 {
                errs.push(format!("{at}: {ok} of the {key} alternatives match {v}"));
            }
        }
    }
    if let Some(o) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap();
            if !o.contains_key(r) {
                errs.push(format!("{at}: required `{r}` missing"));
            }
        }
        for (k, x) in o {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(root, ps, x, &format!("{at}.{k}"), errs),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => errs.push(format!("{at}: unexpected `{k}`")),
                    Some(ap @ Value::Object(_)) => {
                        validate(root, ap, x, &format!("{at}.{k}"), errs)
                    }
                    _ => {}
                },
            }
        }
    }
    if let Some(a) = v.as_array() {
        let prefix = s.get("prefixItems").and_then(Value::as_array);
        for (i, x) in a.iter().enumerate() {
            let item = prefix.and_then(|p| p.get(i)).or_else(|| s.get("items"));
            if let Some(item) = item {
                validate(root, item, x, &format!("{at}[{i}]"), errs);
            }
        }
    }
}

fn assert_valid(kind: &str, file: &Path) {
    let schema: Value = serde_json::from_str(&committed(kind)).unwrap();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let mut errs = Vec::new();
    validate(&schema, &schema, &v, "$", &mut errs);
    assert!(
        errs.is_empty(),
        "{} against {kind}: {errs:#?}",
        file.display()
    );
}

#[test]
fn written_files_validate_against_their_schemas() {
    let ws = tempfile::tempdir().unwrap();
    let w = ws.path();
    bench(w)
        .args(["run", "--quick", "--contender", "ron-bus", "--rounds", "3"])
        .args(["--samples", "2", "--window-ms", "1", "--warmup-ms", "0"])
        .args(["--scenario", "steady,latency", "--out", "run.json"])
        .assert()
        .success();
    assert_valid("run", &w.join("run.json"));
    bench(w)
        .args(["baseline", "save", "b", "--from", "run.json"])
        .assert()
        .success();
    assert_valid("baseline", &w.join("baselines/b.json"));
    bench(w)
        .args(["gate", "--policy", "features", "--quick", "--rounds", "4"])
        .args(["--out-dir", "rep"])
        .assert()
        .success();
    assert_valid("report", &w.join("rep/report.json"));
    assert_valid("run", &w.join("rep/run.json"));
    let out = bench(w)
        .args(["baseline", "list", "--json"])
        .output()
        .unwrap();
    std::fs::write(w.join("list.json"), &out.stdout).unwrap();
    assert_valid("baseline-list", &w.join("list.json"));
    // The validator does reject: a report without its rows.
    let schema: Value = serde_json::from_str(&committed("report")).unwrap();
    let mut bad: Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("rep/report.json")).unwrap()).unwrap();
    bad.as_object_mut().unwrap().remove("rows");
    bad["outcome"]["exit_code"] = Value::String("zero".into());
    let mut errs = Vec::new();
    validate(&schema, &schema, &bad, "$", &mut errs);
    assert_eq!(errs.len(), 2, "{errs:#?}");
}

#[test]
fn the_schema_command_prints_and_writes_them() {
    let ws = tempfile::tempdir().unwrap();
    let out = bench(ws.path())
        .args(["schema", "report"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed("report"));
    bench(ws.path())
        .args(["schema", "--out-dir", "s"])
        .assert()
        .success();
    for kind in ["run", "baseline", "report", "baseline-list"] {
        let written =
            std::fs::read_to_string(ws.path().join(format!("s/{kind}.schema.json"))).unwrap();
        assert_eq!(written, committed(kind));
    }
}
