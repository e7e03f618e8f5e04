//! `tagc completions SHELL` and `tagc man`: what a package or an install script needs beside
//! the binary, generated from the command line's own definition so that they never drift
//! from it.
//!
//! Input: the shell, or nothing. Output: the completion script or the roff manual page, on
//! standard output.

use clap::CommandFactory as _;

use super::{Outcome, version_line};
use crate::cli::Cli;

/// The command line as `tagc` itself parses it (with the version line it prints).
fn command() -> clap::Command {
    Cli::command().version(version_line())
}

/// Run `tagc completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(), "tagc", &mut script);
    print!("{}", String::from_utf8_lossy(&script));
    Outcome::Success
}

/// Run `tagc man`.
pub fn man() -> Outcome {
    let mut page = Vec::new();
    if let Err(e) = clap_mangen::Man::new(command()).render(&mut page) {
        // Rendering into memory fails only if clap_mangen itself does.
        eprintln!("error: cannot render the manual page: {e}");
        return Outcome::Failure;
    }
    print!("{}", String::from_utf8_lossy(&page));
    Outcome::Success
}
