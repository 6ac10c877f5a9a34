//! `ron-bench completions SHELL` (clap_complete) and `ron-bench man` (clap_mangen): both
//! generated from the clap definition, so they never drift from the real flags.

use super::args::Args;
use super::CommandOutcome;
use anyhow::Context;
use clap::CommandFactory;

pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<CommandOutcome> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Args::command(), "ron-bench", &mut buf);
    crate::term::Stream::Stdout.write_bytes(&buf);
    Ok(CommandOutcome::Success)
}

pub(super) fn man() -> anyhow::Result<CommandOutcome> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Args::command())
        .render(&mut buf)
        .context("rendering the man page")?;
    crate::term::Stream::Stdout.write_bytes(&buf);
    Ok(CommandOutcome::Success)
}
