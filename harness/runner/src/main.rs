//! ron-bench-runner: placeholder, filled in by the harness run issue.
#![forbid(unsafe_code)]
fn main() {
    eprintln!("ron-bench-runner: not implemented yet");
    std::process::exit(2);
}
