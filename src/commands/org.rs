//! `tagc plan` and `tagc apply`: compile, then compare with or change the AWS organization.

use super::{Outcome, compile, print_diagnostics};
use crate::aws::cli::{ApplyOutcome, PlanOutcome, run_apply, run_plan};
use crate::cli::{ApplyArgs, Format, PlanArgs};
use crate::diagnostics::Diagnostics;

/// Run `tagc plan`.
pub fn plan(args: &PlanArgs) -> Outcome {
    let compiled = match compile(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let Some(project) = &compiled.project else {
        return Outcome::Failure;
    };
    let json = args.input.format == Format::Json;
    match run_plan(&compiled.artifacts, &project.settings, &args.aws, json) {
        Ok(PlanOutcome::NoChanges) => Outcome::Success,
        Ok(PlanOutcome::Changes) => Outcome::Changes,
        Err(e) => report(e, args.input.format),
    }
}

/// Run `tagc apply`.
pub fn apply(args: &ApplyArgs) -> Outcome {
    let compiled = match compile(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let Some(project) = &compiled.project else {
        return Outcome::Failure;
    };
    match run_apply(&compiled.artifacts, &project.settings, &args.aws, args.yes) {
        Ok(ApplyOutcome::NothingToDo | ApplyOutcome::Applied(_)) => Outcome::Success,
        Err(e) => report(e, args.input.format),
    }
}

/// Prints an error of `plan` or `apply` like a compile error: human on stderr (in colour on a
/// terminal, with the summary line), or JSON on stdout with `--format json`.
fn report(e: crate::aws::error::ApplyError, format: Format) -> Outcome {
    let mut d = Diagnostics::new();
    d.push(e);
    print_diagnostics(&d, format);
    Outcome::Failure
}
