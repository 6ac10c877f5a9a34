//! `public-api-dump <rustdoc.json>`: the crate's public API, one item per line, sorted.
//!
//! Blanket impls (`impl<T> From<T> for T` ...) and auto-trait impls (`Send`, `Sync`, `Unpin`,
//! and nightly-only ones such as `Freeze`) are omitted: the first are noise, the second
//! change with the nightly toolchain. `Send`/`Sync` of the bus types are asserted at compile
//! time by ron-bus's tests instead.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [json] = args.as_slice() else {
        eprintln!("usage: public-api-dump <rustdoc.json>");
        return ExitCode::from(2);
    };
    let api = match public_api::Builder::from_rustdoc_json(json)
        .omit_blanket_impls(true)
        .omit_auto_trait_impls(true)
        .build()
    {
        Ok(api) => api,
        Err(e) => {
            eprintln!("public-api-dump: {json}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    for item in api.items() {
        if writeln!(out, "{item}").is_err() {
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
