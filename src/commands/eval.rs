//! `tagc eval`: one request, each layer's decision and why, without writing a test.

use super::{Outcome, compile_with_catalog};
use crate::catalog::Catalog;
use crate::cli::{EvalArgs, Format};
use crate::model::{Layer, Request};
use crate::reference;

/// Run `tagc eval`.
pub fn run(args: &EvalArgs) -> Outcome {
    let mut tags = Vec::new();
    for t in &args.tags {
        let Some((k, v)) = t.split_once('=') else {
            eprintln!("error: `--tag {t}` is not KEY=VALUE");
            return Outcome::Failure;
        };
        tags.push((k.to_owned(), v.to_owned()));
    }
    let (compiled, catalog) = match compile_with_catalog(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let Some(project) = &compiled.project else {
        return Outcome::Failure;
    };
    if let Err(message) = known_action(&catalog, &args.action) {
        eprintln!("error: {message}");
        return Outcome::Failure;
    }
    let scope = match (&args.ou, &args.account) {
        (Some(ou), _) => Some(crate::model::Target::OuPath(ou.clone())),
        (None, Some(id)) => Some(crate::model::Target::Account(id.clone())),
        (None, None) => None,
    };
    let scoped = scope.as_ref().map(|s| project.scoped(s));
    let project = scoped.as_ref().unwrap_or(project);
    let verifier = match super::test::scoped_verifier(
        project,
        &compiled.artifacts,
        &catalog,
        scope.as_ref(),
    ) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: an emitted document could not be evaluated: {e}");
            return Outcome::Failure;
        }
    };
    let request = Request {
        principal: args.principal.clone(),
        action: args.action.clone(),
        tags,
        on_create: args
            .during
            .as_ref()
            .map(|d| d.split_once(':').map_or(d.as_str(), |(_, n)| n).to_owned()),
        resource: args.resource.clone(),
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
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"request": request, "layers": layers})
                )
                .unwrap_or_default()
            );
        }
    }
    if rows.iter().any(|(g, w)| g.decision != w.decision) {
        Outcome::Failure
    } else {
        Outcome::Success
    }
}

/// Which condition keys a request carries comes from the catalog: an action it does not know
/// cannot be evaluated, only guessed at.
fn known_action(catalog: &Catalog, action: &str) -> Result<(), String> {
    let (service, name) = action.split_once(':').unwrap_or((action, ""));
    if catalog.action(service, name).is_some() {
        return Ok(());
    }
    let hint = catalog
        .suggest_action(service, name)
        .map(|s| format!(" (did you mean `{service}:{s}`?)"))
        .unwrap_or_default();
    Err(format!(
        "`{action}` is not an action in the AWS catalog{hint}"
    ))
}
