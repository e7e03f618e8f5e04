//! The `tagc` command: parses arguments and hands over to the library.

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};
use tagc::cli::Cli;

fn main() -> ExitCode {
    // The version line names the AWS data date, which is known only at run time.
    let matches = match Cli::command()
        .version(tagc::commands::version_line())
        .try_get_matches()
    {
        Ok(m) => m,
        Err(e) => return tagc::commands::usage_error(&e).into(),
    };
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => tagc::commands::run(cli).into(),
        Err(e) => tagc::commands::usage_error(&e).into(),
    }
}
