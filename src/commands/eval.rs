//! `tagc eval`: one request, each layer's decision and why, without writing a test.
//!
//! Input: the project and the request given as flags. Output: each layer's decision with its
//! explanation, or the diagnostics of a request tagc cannot evaluate (an unknown action, a
//! tag key set twice, a resource that is not an ARN, an origin that is not an OU the project names), checked as a
//! `test` block's request is.

use std::sync::Arc;

use super::{Outcome, compile_with_catalog, print_diagnostics, report_cli};
use crate::ast::{TargetRef, Text};
use crate::catalog::Catalog;
use crate::check::RequestText;
use crate::cli::{EvalArgs, Format};
use crate::diagnostics::Diagnostics;
use crate::model::{Layer, Project, Request, Target};
use crate::reference;
use crate::source::{Loc, SourceFile, Span};
use crate::verify::scoped_verifier;

/// Run `tagc eval`.
pub fn run(args: &EvalArgs) -> Outcome {
    let tags = match args.tag_pairs() {
        Ok(t) => t,
        Err(e) => return report_cli(e, args.input.format),
    };
    let (compiled, catalog) = match compile_with_catalog(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let project = &compiled.project;
    let Some((request, scope)) = checked_request(args, &tags, project, &catalog) else {
        return Outcome::Failure;
    };
    let scoped = scope.as_ref().map(|s| project.scoped(s));
    let project = scoped.as_ref().unwrap_or(project);
    let verifier = match scoped_verifier(project, &compiled.artifacts, &catalog, scope.as_ref()) {
        Ok(v) => v,
        Err(e) => {
            let mut d = Diagnostics::new();
            d.push(e);
            print_diagnostics(&d, args.input.format);
            return Outcome::Failure;
        }
    };
    let mut rows = Vec::new();
    for layer in [Layer::Scp, Layer::Iam, Layer::TagPolicy] {
        let got = verifier.decide(layer, &request);
        let want = reference::decide(project, layer, &request);
        rows.push((got, want));
    }
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
        Format::Json => {
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
            // A JSON value always serializes: `{:#}` pretty-prints it.
            println!(
                "{:#}",
                serde_json::json!({"request": request, "layers": layers})
            );
        }
    }
    if rows.iter().any(|(g, w)| g.decision != w.decision) {
        Outcome::Failure
    } else {
        Outcome::Success
    }
}

/// The request the flags describe and where it comes from, checked as a `test` block's request
/// is (see [`crate::check::check_request`]); `None` after printing why it cannot be evaluated.
fn checked_request(
    args: &EvalArgs,
    pairs: &[(String, String)],
    project: &Project,
    catalog: &Catalog,
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
    if checked.is_none() || args.input.format == Format::Human {
        print_diagnostics(&diagnostics, args.input.format);
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
