//! `tagc check`: parse and validate, print every diagnostic.

use super::{Outcome, compile};
use crate::cli::{CheckArgs, Format};

/// Run `tagc check`.
pub fn run(args: &CheckArgs) -> Outcome {
    match compile(&args.input) {
        Ok(compiled) => {
            match args.input.format {
                Format::Human => {
                    let project = &compiled.project;
                    eprintln!(
                        "ok: {} tags, {} policies, {} tests",
                        project.tags.len(),
                        project.policies.len(),
                        project.tests.len(),
                    );
                }
                Format::Json => println!("{}", compiled.diagnostics.render_json()),
            }
            Outcome::Success
        }
        Err(outcome) => outcome,
    }
}
