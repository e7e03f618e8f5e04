//! `tagc plan` and `tagc apply`: compile, then compare with or change the AWS organization.
//! `tagc plan --out FILE` also saves the plan; `tagc apply FILE.json` applies a saved plan.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use super::{Outcome, compile, is_stdin, print_diagnostics, print_report, report_cli};
use crate::aws::execute::ApplyOptions;
use crate::aws::plan::PlanOptions;
use crate::aws::saved::SavedPlan;
use crate::aws::workflow::{ApplyOutcome, Confirmation, PlanOutcome, PlanRun, run_apply, run_plan};
use crate::cli::{ApplyArgs, CliError, Format, InputArgs, PlanArgs};
use crate::diagnostics::Diagnostics;
use crate::report::{Report, ReportError};

/// Run `tagc plan`.
pub fn plan(args: &PlanArgs) -> Outcome {
    // A saved plan records its source paths for `apply` to read again: standard input cannot
    // be read again.
    if args.input.paths.iter().any(|p| is_stdin(p)) {
        return report_cli(CliError::StdinNotSupported("plan"), args.input.format);
    }
    let format = args.input.format;
    let mut compiled = match compile(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let warnings = std::mem::take(&mut compiled.diagnostics);
    let project = &compiled.project;
    let paths: Vec<String> = args
        .input
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let machine = format.machine().is_some();
    let run = PlanRun {
        json: machine,
        options: PlanOptions {
            allow_destroy: args.allow_destroy,
            adopt: args.adopt,
        },
        out: args.out.as_deref(),
        paths: &paths,
    };
    // In a machine format the plan becomes part of the one report printed at the end.
    let mut document = Vec::new();
    let out: &mut dyn std::io::Write = if machine {
        &mut document
    } else {
        &mut std::io::stdout()
    };
    let result = run_plan(
        compiled.artifacts(),
        &project.settings,
        &args.aws.connect_options(),
        &run,
        out,
    );
    match result {
        Ok(outcome) => {
            if machine {
                print_document("plan", warnings, &document, format);
            }
            match outcome {
                PlanOutcome::NoChanges => Outcome::Success,
                PlanOutcome::Changes => Outcome::Changes,
            }
        }
        Err(e) => report(warnings, e, format),
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
            Err(e) => return report(Diagnostics::new(), e, args.input.format),
        },
        [_, second, ..] => {
            let e = crate::aws::ApplyError::BadPlanFile {
                path: second.display().to_string(),
                reason: "apply takes one saved plan at a time".to_owned(),
            };
            return report(Diagnostics::new(), e, args.input.format);
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
    let format = args.input.format;
    let mut compiled = match compile(&input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let warnings = std::mem::take(&mut compiled.diagnostics);
    let project = &compiled.project;
    let machine = format.machine().is_some();
    let options = ApplyOptions {
        plan: PlanOptions {
            allow_destroy: args.allow_destroy,
            adopt: args.adopt,
        },
        json: machine,
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
    // In a machine format the plan and what was applied become the one report printed at the
    // end.
    let mut document = Vec::new();
    let out: &mut dyn std::io::Write = if machine {
        &mut document
    } else {
        &mut std::io::stdout()
    };
    let result = run_apply(
        compiled.artifacts(),
        &project.settings,
        &args.aws.connect_options(),
        confirm,
        &options,
        saved.as_ref(),
        out,
    );
    match result {
        Ok(ApplyOutcome::NothingToDo | ApplyOutcome::Applied(_)) => {
            if machine {
                print_document("apply", warnings, &document, format);
            }
            Outcome::Success
        }
        Err(e) => report(warnings, e, format),
    }
}

/// Print the report of a successful `plan` or `apply` in a machine format: the compile's
/// warnings, then the plan the workflow wrote as JSON to `document` under `plan`, and for
/// `apply` the number of changes made under `applied`.
fn print_document(command: &'static str, warnings: Diagnostics, document: &[u8], format: Format) {
    match serde_json::from_slice::<serde_json::Value>(document) {
        Ok(mut plan) => {
            let applied = plan.as_object_mut().and_then(|o| o.remove("applied"));
            let mut report = Report::new(command, &warnings);
            report.payload.push(("plan", plan));
            if let Some(applied) = applied {
                report.payload.push(("applied", applied));
            }
            print_report(&report, format);
        }
        Err(e) => {
            // The changes, if any, are made: say so in the report that cannot show them.
            let mut d = warnings;
            d.push(ReportError::Unrenderable {
                what: "plan",
                reason: e.to_string(),
            });
            print_diagnostics(&d, format);
        }
    }
}

/// Prints an error of `plan` or `apply` like a compile error: human on stderr (coloured as
/// `--color` says, with the summary line), or in a machine format on stdout after the
/// compile's `warnings` (people have seen those already). A plan refused for several reasons
/// shows each as a diagnostic of its own.
fn report(warnings: Diagnostics, e: crate::aws::error::ApplyError, format: Format) -> Outcome {
    let mut d = if format.machine().is_some() {
        warnings
    } else {
        Diagnostics::new()
    };
    d.extend(e.into_diagnostics());
    print_diagnostics(&d, format);
    Outcome::Failure
}
