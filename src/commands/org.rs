//! `tagc plan` and `tagc apply`: compile, then compare with or change the AWS organization.
//! `tagc plan --out FILE` also saves the plan; `tagc apply FILE.json` applies a saved plan.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use super::{Outcome, compile, is_stdin, print_diagnostics, report_cli};
use crate::aws::execute::ApplyOptions;
use crate::aws::plan::PlanOptions;
use crate::aws::saved::SavedPlan;
use crate::aws::workflow::{ApplyOutcome, Confirmation, PlanOutcome, PlanRun, run_apply, run_plan};
use crate::cli::{ApplyArgs, CliError, Format, InputArgs, PlanArgs};
use crate::diagnostics::Diagnostics;

/// Run `tagc plan`.
pub fn plan(args: &PlanArgs) -> Outcome {
    // A saved plan records its source paths for `apply` to read again: standard input cannot
    // be read again.
    if args.input.paths.iter().any(|p| is_stdin(p)) {
        return report_cli(CliError::StdinNotSupported("plan"), args.input.format);
    }
    let compiled = match compile(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let project = &compiled.project;
    let paths: Vec<String> = args
        .input
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let run = PlanRun {
        json: args.input.format == Format::Json,
        options: PlanOptions {
            allow_destroy: args.allow_destroy,
            adopt: args.adopt,
        },
        out: args.out.as_deref(),
        paths: &paths,
    };
    match run_plan(
        &compiled.artifacts,
        &project.settings,
        &args.aws.connect_options(),
        &run,
    ) {
        Ok(PlanOutcome::NoChanges) => Outcome::Success,
        Ok(PlanOutcome::Changes) => Outcome::Changes,
        Err(e) => report(e, args.input.format),
    }
}

/// Whether a PATH argument of `apply` names a saved plan rather than sources.
fn is_plan_file(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Run `tagc apply`.
pub fn apply(args: &ApplyArgs) -> Outcome {
    // Standard input is where the answer to the question comes from.
    if args.input.paths.iter().any(|p| is_stdin(p)) {
        return report_cli(CliError::StdinNotSupported("apply"), args.input.format);
    }
    let (plans, sources): (Vec<&PathBuf>, Vec<&PathBuf>) =
        args.input.paths.iter().partition(|p| is_plan_file(p));
    let saved = match plans.as_slice() {
        [] => None,
        [file] => match SavedPlan::load(file) {
            Ok(saved) => Some(saved),
            Err(e) => return report(e, args.input.format),
        },
        [_, second, ..] => {
            let e = crate::aws::ApplyError::BadPlanFile {
                path: second.display().to_string(),
                reason: "apply takes one saved plan at a time".to_owned(),
            };
            return report(e, args.input.format);
        }
    };
    // A saved plan's sources are the paths it recorded, unless others are given.
    let paths: Vec<PathBuf> = match (&saved, sources.is_empty()) {
        (Some(s), true) => s.paths.iter().map(PathBuf::from).collect(),
        _ => sources.into_iter().cloned().collect(),
    };
    let input = InputArgs {
        paths,
        format: args.input.format,
        catalog: args.input.catalog.clone(),
        deny_warnings: args.input.deny_warnings,
        stdin_filename: None,
    };
    let compiled = match compile(&input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let project = &compiled.project;
    let options = ApplyOptions {
        plan: PlanOptions {
            allow_destroy: args.allow_destroy,
            adopt: args.adopt,
        },
        json: args.input.format == Format::Json,
        ..ApplyOptions::default()
    };
    // Without `--yes`, the answer is read from stdin, which must be a terminal.
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let confirm = if args.yes {
        Confirmation::Yes
    } else if stdin.is_terminal() {
        Confirmation::Ask(&mut input)
    } else {
        Confirmation::Unavailable
    };
    match run_apply(
        &compiled.artifacts,
        &project.settings,
        &args.aws.connect_options(),
        confirm,
        &options,
        saved.as_ref(),
    ) {
        Ok(ApplyOutcome::NothingToDo | ApplyOutcome::Applied(_)) => Outcome::Success,
        Err(e) => report(e, args.input.format),
    }
}

/// Prints an error of `plan` or `apply` like a compile error: human on stderr (coloured as
/// `--color` says, with the summary line), or JSON on stdout with `--format json`. A plan
/// refused for several reasons shows each as a diagnostic of its own.
fn report(e: crate::aws::error::ApplyError, format: Format) -> Outcome {
    let d: Diagnostics = e.into_diagnostics();
    print_diagnostics(&d, format);
    Outcome::Failure
}
