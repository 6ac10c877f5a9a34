//! ron-bench (placeholder until the harness issues land).
#![forbid(unsafe_code)]
fn main() {
    println!("ron-bench: harness not implemented yet; use `cargo bench -p ron-comparables`.");
}
