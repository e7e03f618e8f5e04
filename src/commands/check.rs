//! `tagc check`: parse and validate, print every diagnostic.

use super::{Outcome, compile, print_report};
use crate::cli::CheckArgs;
use crate::report::Report;

/// Run `tagc check`.
pub fn run(args: &CheckArgs) -> Outcome {
    match compile(&args.input) {
        Ok(compiled) => {
            if args.input.format.machine().is_some() {
                print_report(
                    &Report::new("check", &compiled.diagnostics),
                    args.input.format,
                );
            } else {
                let project = &compiled.project;
                eprintln!(
                    "ok: {} tags, {} policies, {} tests",
                    project.tags.len(),
                    project.policies.len(),
                    project.tests.len(),
                );
            }
            Outcome::Success
        }
        Err(outcome) => outcome,
    }
}
