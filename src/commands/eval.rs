//! `tagc eval`: one request, each layer's decision and why, without writing a test.
//!
//! Input: the project and the request given as flags. Output: each layer's decision with its
//! explanation, or the diagnostics of a request tagc cannot evaluate (an unknown action, a
//! tag key set twice, a resource that is not an ARN, an origin that is not an OU the project names), checked as a
//! `test` block's request is.

use std::sync::Arc;

use super::{
    Outcome, compile_with_catalog, fail_after, print_diagnostics, print_report, report_cli,
};
use crate::ast::{TargetRef, Text};
use crate::catalog::Catalog;
use crate::check::RequestText;
use crate::cli::{EvalArgs, Format};
use crate::diagnostics::Diagnostics;
use crate::model::{Layer, Project, Request, Target};
use crate::reference;
use crate::report::Report;
use crate::source::{Loc, SourceFile, Span};
use crate::verify::scoped_verifier;

/// Run `tagc eval`.
pub fn run(args: &EvalArgs) -> Outcome {
    let tags = match args.tag_pairs() {
        Ok(t) => t,
        Err(e) => return report_cli(e, args.input.format),
    };
    let (mut compiled, catalog) = match compile_with_catalog(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let mut diagnostics = std::mem::take(&mut compiled.diagnostics);
    let project = &compiled.project;
    let Some((request, scope)) = checked_request(args, &tags, project, &catalog, &mut diagnostics)
    else {
        return Outcome::Failure;
    };
    let scoped = scope.as_ref().map(|s| project.scoped(s));
    let project = scoped.as_ref().unwrap_or(project);
    let verifier = match scoped_verifier(project, compiled.artifacts(), &catalog, scope.as_ref()) {
        Ok(v) => v,
        Err(e) => return fail_after(diagnostics, e, args.input.format),
    };
    let mut rows = Vec::new();
    for layer in [Layer::Scp, Layer::Iam, Layer::TagPolicy] {
        let got = verifier.decide(layer, &request);
        let want = reference::decide(project, layer, &request);
        rows.push((got, want));
    }
    let agree = rows.iter().all(|(g, w)| g.decision == w.decision);
    match args.input.format {
        Format::Human => {
            println!("{} by {}", request.action, request.principal);
            for (got, want) in &rows {
                println!("  {:<11} {}", format!("{}:", got.layer), got.decision);
                for line in got.explanation.lines() {
                    println!("      {line}");
                }
                if got.decision != want.decision {
                    println!(
                        "      the rules decide {} ({}): this is a bug in tagc",
                        want.decision, want.reason
                    );
                }
            }
        }
        // `main` refuses the other formats before the command runs.
        Format::Json | Format::Sarif | Format::Github | Format::Junit => {
            let layers: Vec<_> = rows
                .iter()
                .map(|(got, want)| {
                    serde_json::json!({
                        "layer": got.layer,
                        "decision": got.decision,
                        "explanation": got.explanation,
                        "rules_decide": want.decision,
                    })
                })
                .collect();
            let mut report = Report::new("eval", &diagnostics);
            report.ok = report.ok && agree;
            report.payload.push(("request", serde_json::json!(request)));
            report.payload.push(("layers", serde_json::json!(layers)));
            print_report(&report, args.input.format);
        }
    }
    if agree {
        Outcome::Success
    } else {
        Outcome::Failure
    }
}

/// The request the flags describe and where it comes from, checked as a `test` block's request
/// is (see [`crate::check::check_request`]); `None` after printing why it cannot be evaluated.
/// Its diagnostics join `earlier`, the run's, for the machine-readable report.
fn checked_request(
    args: &EvalArgs,
    pairs: &[(String, String)],
    project: &Project,
    catalog: &Catalog,
    earlier: &mut Diagnostics,
) -> Option<(Request, Option<Target>)> {
    let from = match (&args.ou, &args.account) {
        (Some(ou), _) => Some(TargetRef::Ou(flag("ou", ou))),
        (None, Some(id)) => Some(TargetRef::Account(flag("account", id))),
        (None, None) => None,
    };
    // Each tag as the flag that set it, for a diagnostic to point at; the key is the text
    // before `=`.
    let tags: Vec<(Text, Text)> = pairs
        .iter()
        .map(|(k, v)| {
            let whole = flag("tag", &format!("{k}={v}"));
            let key = Text {
                value: k.clone(),
                loc: Loc::new(
                    whole.loc.file.clone(),
                    Span::new(whole.loc.span.start, whole.loc.span.start + k.len()),
                ),
            };
            (key, whole)
        })
        .collect();
    let action = flag("action", &args.action);
    let during = args.during.as_ref().map(|d| flag("during", d));
    let principal = flag("principal", &args.principal);
    let resource = args.resource.as_ref().map(|r| flag("resource", r));
    let (checked, errors) = crate::check::check_request(
        project,
        catalog,
        &RequestText {
            action: &action,
            during: during.as_ref(),
            principal: Some(&principal),
            tags: &tags,
            resource: resource.as_ref(),
            from: from.as_ref(),
        },
    );
    let mut diagnostics = Diagnostics::new();
    for e in errors {
        diagnostics.push(e);
    }
    let format = args.input.format;
    if format == Format::Human {
        print_diagnostics(&diagnostics, format);
    }
    earlier.extend(diagnostics);
    if checked.is_none() && format != Format::Human {
        print_diagnostics(earlier, format);
    }
    let (request, scope) = checked?;
    Some((
        Request {
            tags: pairs.to_vec(),
            ..request
        },
        scope,
    ))
}

/// A flag's value as text a diagnostic can point at: the source shown is the flag as given.
fn flag(name: &str, value: &str) -> Text {
    let text = format!("--{name} {value}");
    let span = Span::new(text.len() - value.len(), text.len());
    let file: Arc<SourceFile> = SourceFile::new("command line", text);
    Text {
        value: value.to_owned(),
        loc: Loc::new(file, span),
    }
}
