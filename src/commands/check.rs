//! `tagc check`: parse and validate, print every diagnostic.

use super::{Outcome, compile};
use crate::cli::{CheckArgs, Format};

/// Run `tagc check`.
pub fn run(args: &CheckArgs) -> Outcome {
    match compile(&args.input) {
        Ok(compiled) => {
            match args.input.format {
                Format::Human => {
                    let project = compiled.project.as_ref();
                    eprintln!(
                        "ok: {} tags, {} policies, {} tests",
                        project.map_or(0, |p| p.tags.len()),
                        project.map_or(0, |p| p.policies.len()),
                        project.map_or(0, |p| p.tests.len()),
                    );
                }
                Format::Json => println!("{}", compiled.diagnostics.render_json()),
            }
            Outcome::Success
        }
        Err(outcome) => outcome,
    }
}
