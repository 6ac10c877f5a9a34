//! Progress: an indicatif bar with ETA on a terminal; otherwise (not a TTY, or `CI` set) a
//! compact line per tenth of the process runs; one line per process run with `-v`; nothing
//! with `-q` or in tests. [`BuildStatus`] does the same for runner builds (a spinner with
//! cargo's current step, or a status line every [`BUILD_STATUS_EVERY`]).

use crate::term::Verbosity;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Receives progress events from [`super::execute`].
pub trait Progress {
    /// `total` process runs are about to start; `estimated_ms` is the plan's estimate.
    fn started(&mut self, total: usize, estimated_ms: u64);
    /// Process run number `done` (1-based) finished; `line` describes it.
    fn finished_one(&mut self, done: usize, line: &str);
    /// All done.
    fn finish(&mut self);
}

/// Whether stderr is an interactive terminal outside CI (bars and spinners go there).
pub fn interactive() -> bool {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    std::io::stderr().is_terminal() && !ci
}

/// The progress display for `-q` / default / `-v` (see the module docs).
pub fn for_terminal() -> Box<dyn Progress> {
    match crate::term::ui().verbosity {
        Verbosity::Quiet => Box::new(Silent),
        Verbosity::Verbose => Box::new(Plain { total: 0 }),
        Verbosity::Normal if interactive() => Box::new(Bar(None)),
        Verbosity::Normal => Box::new(Compact::default()),
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

/// Lines printed by [`Compact`]: one per this many percent of the process runs.
pub const COMPACT_STEP_PCT: usize = 10;

/// A line on stderr each time another tenth of the process runs is done (and at the end),
/// with the elapsed time, an estimate of the rest and the last run's numbers.
#[derive(Debug, Default)]
pub struct Compact {
    total: usize,
    next_pct: usize,
    started: Option<Instant>,
}

impl Compact {
    /// The line for run `done` of `total` after `elapsed`, when it crosses a step.
    fn line(&mut self, done: usize, elapsed: Duration, last: &str) -> Option<String> {
        let pct = done * 100 / self.total.max(1);
        if pct < self.next_pct && done < self.total {
            return None;
        }
        while self.next_pct <= pct {
            self.next_pct += COMPACT_STEP_PCT;
        }
        let secs = elapsed.as_secs_f64();
        let left = secs / done.max(1) as f64 * (self.total - done.min(self.total)) as f64;
        let width = self.total.to_string().len();
        Some(format!(
            "[{done:>width$}/{}] {pct:>3}% {secs:.0} s, ~{left:.0} s left | last: {last}",
            self.total
        ))
    }
}

impl Progress for Compact {
    fn started(&mut self, total: usize, _estimated_ms: u64) {
        self.total = total;
        self.next_pct = COMPACT_STEP_PCT;
        self.started = Some(Instant::now());
    }
    fn finished_one(&mut self, done: usize, line: &str) {
        let elapsed = self.started.map_or(Duration::ZERO, |s| s.elapsed());
        // The run's cell and build (`round 3 steady/ron-bus/... [none]`), not its numbers.
        let what = line.split("]: ").next().map_or(line.to_string(), |w| {
            if w.len() < line.len() {
                format!("{w}]")
            } else {
                w.to_string()
            }
        });
        if let Some(l) = self.line(done, elapsed, &what) {
            eprintln!("{l}");
        }
    }
    fn finish(&mut self) {}
}

/// How often a runner build without a terminal says it is still going.
pub const BUILD_STATUS_EVERY: Duration = Duration::from_secs(15);

/// What a runner build shows while cargo works: a spinner with cargo's current step on a
/// terminal; a status line every [`BUILD_STATUS_EVERY`] otherwise; every cargo line with
/// `-v`; nothing with `-q`.
#[derive(Debug)]
pub struct BuildStatus {
    label: String,
    started: Instant,
    last_report: Instant,
    compiled: usize,
    step: String,
    verbosity: Verbosity,
    spinner: Option<ProgressBar>,
}

impl BuildStatus {
    /// Starts showing the build of runner `label`.
    pub fn start(label: &str) -> BuildStatus {
        let verbosity = crate::term::ui().verbosity;
        let spinner = (verbosity == Verbosity::Normal && interactive()).then(|| {
            let s = ProgressBar::new_spinner();
            s.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            s.enable_steady_tick(Duration::from_millis(120));
            s.set_message(format!("building runner [{label}]: starting cargo"));
            s
        });
        BuildStatus {
            label: label.into(),
            started: Instant::now(),
            last_report: Instant::now(),
            compiled: 0,
            step: "starting cargo".into(),
            verbosity,
            spinner,
        }
    }

    /// One line of cargo's stderr.
    pub fn line(&mut self, line: &str) {
        if self.verbosity == Verbosity::Verbose {
            eprintln!("  cargo [{}]: {}", self.label, line.trim_end());
        }
        if let Some(step) = cargo_step(line) {
            if step.starts_with("Compiling") {
                self.compiled += 1;
            }
            self.step = step;
        }
        if let Some(s) = &self.spinner {
            s.set_message(self.message());
        }
        self.tick();
    }

    /// Called at least every few hundred milliseconds: the periodic line when due.
    pub fn tick(&mut self) {
        if self.spinner.is_none()
            && self.verbosity == Verbosity::Normal
            && self.last_report.elapsed() >= BUILD_STATUS_EVERY
        {
            self.last_report = Instant::now();
            eprintln!("{}", self.message());
        }
    }

    /// `building runner [none]: 45 s, 37 crates compiled, now: Compiling ron-bus v0.1.0`.
    fn message(&self) -> String {
        format!(
            "building runner [{}]: {:.0} s, {} crate(s) compiled, now: {}",
            self.label,
            self.started.elapsed().as_secs_f64(),
            self.compiled,
            self.step
        )
    }

    /// The build ended (either way): clears the spinner.
    pub fn finish(&mut self) {
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
    }
}

impl Drop for BuildStatus {
    fn drop(&mut self) {
        self.finish();
    }
}

/// cargo's step in a line of its stderr (`Compiling ron-bus v0.1.0 (/path)` ->
/// `Compiling ron-bus v0.1.0`), or `None` for other lines (warnings, notes).
pub fn cargo_step(line: &str) -> Option<String> {
    let t = line.trim();
    let verb = t.split_whitespace().next()?;
    const STEPS: [&str; 9] = [
        "Compiling",
        "Checking",
        "Updating",
        "Downloading",
        "Downloaded",
        "Locking",
        "Building",
        "Finished",
        "Fresh",
    ];
    if !STEPS.contains(&verb) {
        return None;
    }
    // Drop the `(/path/to/crate)` tail cargo adds for path dependencies.
    let step = t.split(" (").next().unwrap_or(t);
    Some(step.to_string())
}

/// Discards everything (tests).
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn started(&mut self, _: usize, _: u64) {}
    fn finished_one(&mut self, _: usize, _: &str) {}
    fn finish(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_prints_about_ten_lines_whatever_the_run_count() {
        for total in [3usize, 10, 160, 780, 3000] {
            let mut c = Compact::default();
            c.started(total, 0);
            let lines = (1..=total)
                .filter_map(|d| c.line(d, Duration::from_secs(d as u64), "x"))
                .count();
            assert!((1..=11).contains(&lines), "{total}: {lines} lines");
        }
        let mut c = Compact::default();
        c.started(160, 0);
        let l = (1..=16)
            .filter_map(|d| c.line(d, Duration::from_secs(16), "round 1 steady [none]"))
            .last()
            .unwrap();
        assert!(
            l.starts_with("[ 16/160]  10% 16 s, ~144 s left | last: round 1"),
            "{l}"
        );
    }

    #[test]
    fn the_build_status_names_cargos_current_step() {
        let mut b = BuildStatus::start("none");
        b.line("    Updating crates.io index");
        b.line("   Compiling libc v0.2.170");
        b.line("warning: something");
        b.line("   Compiling ron-bus v0.1.0 (/work/kernel/bus)");
        let m = b.message();
        assert!(
            m.starts_with("building runner [none]: ")
                && m.ends_with("2 crate(s) compiled, now: Compiling ron-bus v0.1.0"),
            "{m}"
        );
        b.finish();
    }

    #[test]
    fn cargo_steps_are_recognised() {
        assert_eq!(
            cargo_step("   Compiling ron-bus v0.1.0 (/work/kernel/bus)").as_deref(),
            Some("Compiling ron-bus v0.1.0")
        );
        assert_eq!(
            cargo_step("    Finished `release` profile [optimized] target(s) in 1m 02s").as_deref(),
            Some("Finished `release` profile [optimized] target(s) in 1m 02s")
        );
        assert_eq!(cargo_step("warning: unused variable"), None);
        assert_eq!(cargo_step(""), None);
    }
}
