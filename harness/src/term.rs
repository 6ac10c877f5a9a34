//! Printing that cannot panic: stdout and stderr writes whose failures are recorded, not fatal.
//!
//! `std`'s `println!` panics (exit 101) when stdout is closed (`ron-bench run | head -1`) or
//! full (`> /dev/full`). Every print of this crate goes through here instead (the crate root
//! shadows `println!`, `print!`, `eprintln!` and `eprint!` with versions calling [`out`] and
//! [`err`]): the first failure of a stream is remembered, later prints to that stream are
//! dropped, and the command carries on, so the file-side result (run file, baseline, report)
//! is still written. [`exit_code`] then maps the command's result and the stream failures to
//! the process exit code: a reader that went away (EPIPE) is a quiet exit, as with `grep`; any
//! other failure (ENOSPC, EIO) is exit 2 with a message on whichever stream still works.

use crate::cli::{CommandOutcome, EXIT_ERROR};
use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// The first failure of stdout, if any.
static STDOUT_FAILED: OnceLock<io::Error> = OnceLock::new();
/// The first failure of stderr, if any.
static STDERR_FAILED: OnceLock<io::Error> = OnceLock::new();

/// A terminal stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl Stream {
    fn failed(self) -> &'static OnceLock<io::Error> {
        match self {
            Stream::Stdout => &STDOUT_FAILED,
            Stream::Stderr => &STDERR_FAILED,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    /// The stream's first write error, if one happened.
    pub fn error(self) -> Option<&'static io::Error> {
        self.failed().get()
    }

    /// Writes `bytes` and flushes; a failure is recorded, never returned (see the module docs).
    pub fn write_bytes(self, bytes: &[u8]) {
        if self.error().is_some() {
            return;
        }
        let r = match self {
            Stream::Stdout => {
                let mut o = io::stdout().lock();
                o.write_all(bytes).and_then(|()| o.flush())
            }
            Stream::Stderr => {
                let mut e = io::stderr().lock();
                e.write_all(bytes).and_then(|()| e.flush())
            }
        };
        if let Err(e) = r {
            let _ = self.failed().set(e);
        }
    }

    fn write_fmt(self, args: fmt::Arguments<'_>, newline: bool) {
        let mut s = args.to_string();
        if newline {
            s.push('\n');
        }
        self.write_bytes(s.as_bytes());
    }
}

/// How much a command prints (`-q`, default, `-v`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-q`: the summary only (the verdict line, failing checks, where files went).
    Quiet,
    /// The plan, a compact progress line per tenth of the process runs (a bar on a terminal),
    /// a build status, the verdict table and the summary.
    #[default]
    Normal,
    /// `-v`: also one line per process run and every cargo line of runner builds.
    Verbose,
}

/// `--color`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal, unless `NO_COLOR` is set (or `TERM=dumb`;
    /// `CLICOLOR_FORCE` forces it).
    #[default]
    Auto,
    /// Always colour (even through a pipe, and over `NO_COLOR`).
    Always,
    /// Never colour.
    Never,
}

/// The output settings of this process, set once from the global flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ui {
    /// `-q` / `-v`.
    pub verbosity: Verbosity,
    /// `--color`.
    pub color: ColorChoice,
}

static UI: OnceLock<Ui> = OnceLock::new();

/// Sets the output settings (the first call wins).
pub fn set_ui(ui: Ui) {
    let _ = UI.set(ui);
}

/// The output settings (the defaults until [`set_ui`]).
pub fn ui() -> Ui {
    UI.get().copied().unwrap_or_default()
}

/// `-q` was given.
pub fn quiet() -> bool {
    ui().verbosity == Verbosity::Quiet
}

/// The stream `println!` writes to now (stderr once stdout carries data).
pub fn message_stream() -> Stream {
    if STDOUT_IS_DATA.load(Ordering::Relaxed) {
        Stream::Stderr
    } else {
        Stream::Stdout
    }
}

/// Whether to colour what goes to `stream`: `--color`, then `NO_COLOR` / `CLICOLOR_FORCE` /
/// `TERM` and whether the stream is a terminal (anstream's rules).
pub fn color_on(stream: Stream) -> bool {
    let choice = match ui().color {
        ColorChoice::Always => return true,
        ColorChoice::Never => return false,
        ColorChoice::Auto => match stream {
            Stream::Stdout => anstream::AutoStream::choice(&io::stdout()),
            Stream::Stderr => anstream::AutoStream::choice(&io::stderr()),
        },
    };
    choice != anstream::ColorChoice::Never
}

/// Columns of the terminal: `COLUMNS` when set to a number, else the size of the terminal
/// on `stream`, else 100 (a pipe, a CI log).
pub fn width(stream: Stream) -> usize {
    width_from(std::env::var("COLUMNS").ok().as_deref(), || {
        let term = match stream {
            Stream::Stdout => console::Term::stdout(),
            Stream::Stderr => console::Term::stderr(),
        };
        term.size_checked().map(|(_, cols)| usize::from(cols))
    })
}

/// [`width`] from its inputs.
fn width_from(columns: Option<&str>, terminal: impl FnOnce() -> Option<usize>) -> usize {
    columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .or_else(terminal)
        .filter(|c| *c > 0)
        .unwrap_or(DEFAULT_WIDTH)
}

/// The width used when there is no terminal to ask.
pub const DEFAULT_WIDTH: usize = 100;

/// Set when stdout carries data (`--out -`): messages then go to stderr.
static STDOUT_IS_DATA: AtomicBool = AtomicBool::new(false);

/// Reserves stdout for a command's data (`--out -`): later `println!` messages go to stderr
/// so they do not corrupt the JSON or Markdown a pipe reads.
pub fn reserve_stdout_for_data() {
    STDOUT_IS_DATA.store(true, Ordering::Relaxed);
}

/// `print!` / `println!`: to stdout (stderr once stdout carries data).
pub fn out(args: fmt::Arguments<'_>, newline: bool) {
    message_stream().write_fmt(args, newline);
}

/// `eprint!` / `eprintln!`: to stderr.
pub fn err(args: fmt::Arguments<'_>, newline: bool) {
    Stream::Stderr.write_fmt(args, newline);
}

/// The failure that decides the exit code: the first non-EPIPE failure (stdout first), else
/// an EPIPE (a reader that left), else none.
fn stream_failure() -> Option<(Stream, &'static io::Error)> {
    let failures: Vec<(Stream, &io::Error)> = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .filter_map(|s| s.error().map(|e| (s, e)))
        .collect();
    failures
        .iter()
        .find(|(_, e)| e.kind() != io::ErrorKind::BrokenPipe)
        .or(failures.first())
        .copied()
}

/// Writes an error line to stderr, or to stdout when stderr has failed.
fn report(line: &str) {
    let line = format!("{line}\n");
    Stream::Stderr.write_bytes(line.as_bytes());
    if Stream::Stderr.error().is_some() {
        Stream::Stdout.write_bytes(line.as_bytes());
    }
}

/// An error and its causes joined by ": ", leaving out any message another one already says:
/// thiserror messages often embed their `{source}`, and contexts often repeat the flag an
/// inner message names, so anyhow's `{:#}` would print "X: X".
pub fn chain(e: &anyhow::Error) -> String {
    let msgs: Vec<String> = e.chain().map(ToString::to_string).collect();
    let said_elsewhere = |i: usize| {
        let m = &msgs[i];
        msgs.iter()
            .enumerate()
            .any(|(j, o)| j != i && o.contains(m.as_str()) && (o.len() > m.len() || j < i))
    };
    let kept: Vec<&str> = (0..msgs.len())
        .filter(|&i| !said_elsewhere(i))
        .map(|i| msgs[i].as_str())
        .collect();
    kept.join(": ")
}

/// The process exit code of a finished command: 0 success, 1 a failed gate, 2 an error. A
/// failed gate keeps exit 1 even when a stream failed (the verdict is what a script needs); a
/// full or broken (not closed) terminal stream turns success into exit 2; a closed one (EPIPE)
/// changes nothing.
pub fn exit_code(result: anyhow::Result<CommandOutcome>) -> ExitCode {
    let code = match result {
        Err(e) => {
            report(&format!("error: {}", chain(&e)));
            return ExitCode::from(EXIT_ERROR);
        }
        Ok(o) => o,
    };
    match stream_failure() {
        Some((s, e)) if e.kind() != io::ErrorKind::BrokenPipe => {
            report(&format!("error: cannot write to {}: {e}", s.name()));
            if code == CommandOutcome::GateFailed {
                code.exit_code()
            } else {
                ExitCode::from(EXIT_ERROR)
            }
        }
        _ => code.exit_code(),
    }
}

/// Prints clap's help, version or usage error (to stdout or stderr, as clap would; styled
/// on a terminal) and returns its exit code, folded with any stream failure like
/// [`exit_code`].
pub fn clap_exit(e: &clap::Error) -> ExitCode {
    use std::io::IsTerminal;
    let (stream, tty) = if e.use_stderr() {
        (Stream::Stderr, io::stderr().is_terminal())
    } else {
        (Stream::Stdout, io::stdout().is_terminal())
    };
    let text = if tty {
        e.render().ansi().to_string()
    } else {
        e.render().to_string()
    };
    stream.write_bytes(text.as_bytes());
    if e.exit_code() != 0 {
        return ExitCode::from(EXIT_ERROR);
    }
    exit_code(Ok(CommandOutcome::Success))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_prefers_columns_then_the_terminal_then_100() {
        assert_eq!(width_from(Some("132"), || Some(80)), 132);
        assert_eq!(width_from(Some(" 90 "), || None), 90);
        assert_eq!(width_from(Some("wide"), || Some(80)), 80);
        assert_eq!(width_from(Some("0"), || None), DEFAULT_WIDTH);
        assert_eq!(width_from(None, || None), DEFAULT_WIDTH);
        assert_eq!(width_from(None, || Some(0)), DEFAULT_WIDTH);
    }

    #[test]
    fn chain_says_each_thing_once() {
        let io = std::io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
        let inner = anyhow::anyhow!("cannot read f.toml: {io}").context("--policy");
        let e = anyhow::Error::from(io).context("cannot read f.toml: not a regular file");
        assert_eq!(chain(&e), "cannot read f.toml: not a regular file");
        assert_eq!(
            chain(&inner),
            "--policy: cannot read f.toml: not a regular file"
        );
        let flag = anyhow::anyhow!("bad value for --policy x").context("--policy");
        assert_eq!(chain(&flag), "bad value for --policy x");
    }
}
