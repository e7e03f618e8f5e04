//! The `tagc` command: parses arguments and hands over to the library.

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};
use tagc::cli::Cli;

fn main() -> ExitCode {
    // The version line names the AWS data date, which is known only at run time.
    let matches = Cli::command()
        .version(tagc::commands::version_line())
        .get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => tagc::commands::run(cli).into(),
        Err(e) => e.exit(),
    }
}
