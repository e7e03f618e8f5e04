//! `tagc audit`: compile the rules, read the resources (files or AWS), judge, print.
//!
//! Input: [`AuditArgs`]. Output: the report on stdout in the chosen format, diagnostics on
//! stderr, and the outcome: success when every evaluated resource is compliant, non-compliant
//! (exit 3) when one is not, failure (exit 1) when the rules or the resources could not be
//! read, even in part.

use crate::audit::{AuditError, Resource, RuleIndex, report, source};
use crate::cli::{AuditArgs, AuditFormat, Format, InputArgs};
use crate::diagnostics::Diagnostics;

use super::{Outcome, compile_with_catalog, print_diagnostics};

/// Run `tagc audit`.
pub fn run(args: &AuditArgs) -> Outcome {
    // Diagnostics go to stderr in the human form, whatever the report's format, so that
    // stdout holds only the report.
    let input = InputArgs {
        paths: args.paths.clone(),
        format: Format::Human,
        catalog: args.catalog.clone(),
        deny_warnings: false,
        stdin_filename: None,
    };
    let Ok((build, catalog)) = compile_with_catalog(&input) else {
        return Outcome::Failure;
    };
    let (resources, errors) = read_resources(args);
    let mut diagnostics = Diagnostics::new();
    for e in errors.iter().cloned() {
        diagnostics.push(e);
    }
    if !errors.is_empty() && resources.is_empty() {
        print_diagnostics(&diagnostics, Format::Human);
        return Outcome::Failure;
    }
    let index = RuleIndex::new(&build.project, &catalog);
    let audit = index.audit(&resources);
    match args.format {
        AuditFormat::Human => print!("{}", report::human(&audit)),
        AuditFormat::Json => println!("{:#}", report::json(&audit)),
        AuditFormat::Sarif => println!("{:#}", report::sarif(&audit)),
        AuditFormat::Csv => match report::csv(&audit) {
            Ok(text) => print!("{text}"),
            Err(e) => {
                eprintln!("error: cannot write the CSV report: {e}");
                return Outcome::Failure;
            }
        },
    }
    if !errors.is_empty() {
        // Part of the organization could not be read: the report is incomplete.
        print_diagnostics(&diagnostics, Format::Human);
        return Outcome::Failure;
    }
    if audit.compliant() {
        Outcome::Success
    } else {
        Outcome::NonCompliant
    }
}

/// The resources of the files, or of AWS when no file is given; with the errors of what could
/// not be read.
fn read_resources(args: &AuditArgs) -> (Vec<Resource>, Vec<AuditError>) {
    if !args.file.is_empty() {
        let mut resources = Vec::new();
        let mut errors = Vec::new();
        for path in &args.file {
            match source::read_file(path) {
                Ok(r) => resources.extend(r),
                Err(e) => errors.push(e),
            }
        }
        // A file that cannot be read makes the whole audit fail, not just its part.
        if !errors.is_empty() {
            resources.clear();
        }
        return (resources, errors);
    }
    read_live(args)
}

#[cfg(feature = "aws")]
fn read_live(args: &AuditArgs) -> (Vec<Resource>, Vec<AuditError>) {
    let options = crate::audit::live::LiveOptions {
        profile: args.aws.profile.clone(),
        regions: args.aws.region.clone(),
        endpoint_url: args.aws.endpoint_url.clone(),
        role_name: args
            .aws
            .all_accounts
            .then(|| args.aws.role_name.clone())
            .flatten(),
        concurrency: usize::from(args.aws.concurrency),
    };
    match crate::audit::live::fetch(&options) {
        Ok(fetched) => (fetched.resources, fetched.errors),
        Err(e) => (Vec::new(), vec![e]),
    }
}

#[cfg(not(feature = "aws"))]
fn read_live(_: &AuditArgs) -> (Vec<Resource>, Vec<AuditError>) {
    (Vec::new(), vec![AuditError::NoSource])
}
