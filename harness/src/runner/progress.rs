//! Progress: an indicatif bar with ETA on a terminal, plain lines otherwise (not a TTY, or
//! `CI` set), nothing in tests.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Receives progress events from [`super::execute`].
pub trait Progress {
    /// `total` process runs are about to start; `estimated_ms` is the plan's estimate.
    fn started(&mut self, total: usize, estimated_ms: u64);
    /// Process run number `done` (1-based) finished; `line` describes it.
    fn finished_one(&mut self, done: usize, line: &str);
    /// All done.
    fn finish(&mut self);
}

/// Picks the bar on an interactive terminal without `CI`, plain lines otherwise.
pub fn for_terminal() -> Box<dyn Progress> {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    if std::io::stderr().is_terminal() && !ci {
        Box::new(Bar(None))
    } else {
        Box::new(Plain { total: 0 })
    }
}

/// indicatif bar on stderr.
#[derive(Debug)]
pub struct Bar(Option<ProgressBar>);

impl Progress for Bar {
    fn started(&mut self, total: usize, _estimated_ms: u64) {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs, ETA {eta} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        self.0 = Some(bar);
    }
    fn finished_one(&mut self, done: usize, line: &str) {
        if let Some(b) = &self.0 {
            b.set_position(done as u64);
            b.set_message(line.to_string());
        }
    }
    fn finish(&mut self) {
        if let Some(b) = self.0.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(b) = self.0.take() {
            b.abandon();
        }
    }
}

/// One plain line per process run on stderr.
#[derive(Debug)]
pub struct Plain {
    total: usize,
}

impl Progress for Plain {
    fn started(&mut self, total: usize, _estimated_ms: u64) {
        self.total = total;
    }
    fn finished_one(&mut self, done: usize, line: &str) {
        let width = self.total.to_string().len();
        eprintln!("[{done:>width$}/{}] {line}", self.total);
    }
    fn finish(&mut self) {}
}

/// Discards everything (tests).
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn started(&mut self, _: usize, _: u64) {}
    fn finished_one(&mut self, _: usize, _: &str) {}
    fn finish(&mut self) {}
}
