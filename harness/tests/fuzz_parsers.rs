//! Fuzzing with proptest, bounded so it runs in every `cargo test`: each parser of a user
//! file gets arbitrary bytes and mutations of the seeds in `tests/corpus/` (byte flips,
//! insertions, deletions, cuts). Each must return a typed error or a valid value, never panic
//! or hang. `PROPTEST_CASES` raises the budget for a longer local session.
#![forbid(unsafe_code)]

use proptest::prelude::*;
use ron_bench_report::export::{CsvExporter, Exporter, JsonExporter, MarkdownExporter};
use ron_bench_report::interop::{critcmp::CritcmpExport, import_criterion};
use ron_bench_report::policy::Policy;
use ron_harness::cli::output;
use ron_harness::gate::policies::vocabulary;
use ron_harness::gate::{analyze, Inputs, PolicyChoice};
use ron_harness::runner::process::parse_output;
use ron_harness::spec::matrix_file;
use ron_harness::store::{load_baseline, load_run, validate, RunFile};
use std::path::{Path, PathBuf};

/// Cases per parser unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 96;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn corpus(kind: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind);
    let mut v: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .flatten()
        .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "empty corpus {}", dir.display());
    v
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Cut(usize),
}

fn apply(mut b: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match *e {
            Edit::Flip(i, x) if !b.is_empty() => {
                let i = at(i, b.len());
                b[i] ^= x;
            }
            Edit::Insert(i, x) => {
                let i = at(i, b.len() + 1);
                b.insert(i, x);
            }
            Edit::Delete(i) if !b.is_empty() => {
                let i = at(i, b.len());
                b.remove(i);
            }
            Edit::Cut(i) => {
                let i = at(i, b.len() + 1);
                b.truncate(i);
            }
            _ => {}
        }
    }
    b
}

/// Interesting bytes for JSON and TOML: structure, digits, signs, exponents, quotes.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        any::<u8>(),
        prop::sample::select(b"{}[]\",:0123456789-+eE.\n=#'tfnaINul \\".to_vec()),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), byte()).prop_map(|(i, x)| Edit::Flip(i, x)),
            (any::<usize>(), byte()).prop_map(|(i, x)| Edit::Insert(i, x)),
            any::<usize>().prop_map(Edit::Delete),
            any::<usize>().prop_map(Edit::Cut),
        ],
        1..12,
    )
}

/// Arbitrary bytes, or a corpus seed of `kind` with a few edits.
fn input(kind: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let seeds: Vec<Vec<u8>> = corpus(kind).into_iter().map(|(_, b)| b).collect();
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        4 => (prop::sample::select(seeds), edits()).prop_map(|(s, e)| apply(s, &e)),
    ]
}

/// Writes `bytes` to a fresh temp file named `name` and returns (dir guard, path).
fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    (dir, p)
}

#[test]
fn every_seed_parses() {
    for (p, _) in corpus("run") {
        load_run(&p).unwrap_or_else(|e| panic!("{e}"));
    }
    for (p, _) in corpus("baseline") {
        load_baseline(&p).unwrap_or_else(|e| panic!("{e}"));
    }
    for (p, b) in corpus("policy") {
        Policy::from_toml(
            &String::from_utf8(b).unwrap(),
            &p.display().to_string(),
            &vocabulary(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    for (p, _) in corpus("matrix") {
        matrix_file::load(&p).unwrap_or_else(|e| panic!("{e}"));
    }
    for (_, b) in corpus("critcmp") {
        serde_json::from_slice::<CritcmpExport>(&b).unwrap();
    }
    for (p, b) in corpus("protocol") {
        parse_output(&String::from_utf8(b).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
    let (_d, root) = criterion_dir(None);
    assert_eq!(import_criterion(&root, "new").unwrap().benchmarks.len(), 1);
}

/// Everything a loaded file flows into: analysis, the verdict table, every exporter and the
/// report directory's name (a file that loads must not panic any of them).
fn present(base: Option<&RunFile>, run: &RunFile) {
    let policy = PolicyChoice::parse(if base.is_some() {
        "regression"
    } else {
        "features"
    })
    .load()
    .unwrap();
    let mut cfg = output::analysis_config(Some(7), false);
    cfg.compare.resamples = 200;
    let inp = Inputs {
        baseline: base.map(|b| ("base", b)),
        run: ("fuzz", run),
        label: "fuzz".into(),
        date: "2026-01-01".into(),
        analysis: cfg,
        paired_baseline: false,
        counts: None,
        select: Default::default(),
    };
    let a = analyze(&policy, &inp);
    let _ = output::verdict_table(&a.report);
    let _ = output::default_report_dir(Path::new("ws"), run);
    for e in [
        &MarkdownExporter::default() as &dyn Exporter,
        &JsonExporter,
        &CsvExporter,
    ] {
        let _ = output::render(e, &a.report);
    }
}

/// A criterion directory `root/g/new/` from the seeds, with `(file, bytes)` replaced.
fn criterion_dir(replace: Option<(&str, &[u8])>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("g").join("new");
    std::fs::create_dir_all(&bench).unwrap();
    for (p, b) in corpus("criterion") {
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        let bytes = match replace {
            Some((n, r)) if n == name => r.to_vec(),
            _ => b,
        };
        std::fs::write(bench.join(name), bytes).unwrap();
    }
    let root = dir.path().to_path_buf();
    (dir, root)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn run_files_never_panic(bytes in input("run")) {
        let (_d, p) = temp_file("run.json", &bytes);
        if let Ok(r) = load_run(&p) {
            // A value that loads is a valid one: the checks hold, and every consumer copes.
            prop_assert!(validate::run(&p, &r).is_ok());
            present(None, &r);
        }
    }

    #[test]
    fn baselines_never_panic(bytes in input("baseline")) {
        let (_d, p) = temp_file("b.json", &bytes);
        if let Ok(b) = load_baseline(&p) {
            prop_assert!(validate::baseline(&p, &b).is_ok());
            present(Some(&b.run), &b.run);
        }
    }

    #[test]
    fn policies_never_panic(bytes in input("policy")) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(p) = Policy::from_toml(&text, "fuzz.toml", &vocabulary()) {
            prop_assert!(!p.name.is_empty());
        }
    }

    #[test]
    fn matrix_files_never_panic(bytes in input("matrix")) {
        let (_d, p) = temp_file("m.toml", &bytes);
        let _ = matrix_file::load(&p);
    }

    #[test]
    fn critcmp_json_never_panics(bytes in input("critcmp")) {
        if let Ok(v) = serde_json::from_slice::<CritcmpExport>(&bytes) {
            // What parses serialises back.
            prop_assert!(serde_json::to_string(&v).is_ok());
        }
    }

    #[test]
    fn criterion_files_never_panic(
        which in prop::sample::select(vec!["benchmark.json", "estimates.json", "sample.json"]),
        bytes in input("criterion"),
    ) {
        let (_d, root) = criterion_dir(Some((which, &bytes)));
        if let Ok(b) = import_criterion(&root, "new") {
            prop_assert_eq!(b.benchmarks.len(), 1);
        }
    }

    #[test]
    fn runner_output_never_panics(bytes in input("protocol")) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_output(&text);
    }
}
