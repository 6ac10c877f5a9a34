//! kernel_demo's config parser on arbitrary bytes: never a panic; anything accepted
//! validates and survives a round trip through the TOML serialiser.
//! (No `forbid(unsafe_code)`: `fuzz_target!` expands to a `#[no_mangle]` entry point.)
#![no_main]

#[path = "../../examples/kernel_demo/config.rs"]
#[allow(dead_code)] // the watcher and the file reader are not fuzzed here
mod config;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = config::parse(data) {
        assert!(c.version >= 1, "accepted version 0");
        let text = toml::to_string(&c).expect("a config serialises");
        assert_eq!(
            config::parse(text.as_bytes()),
            Ok(c),
            "round trip of {text:?}"
        );
    }
});
