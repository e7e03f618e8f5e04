//! The `tagc` command: parses arguments and hands over to the library.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = tagc::cli::Cli::parse();
    tagc::commands::run(cli).into()
}
