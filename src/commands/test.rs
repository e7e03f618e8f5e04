//! `tagc test`: run every `test` block against the SCP, the IAM guardrail and the tag policy the
//! project emits, and check each layer's decision against the expectation.
//!
//! Every layer's decision is also compared with the reference semantics: a disagreement means
//! an emitted document does not mean what the rules say, which is a bug in tagc, and is
//! reported as such whatever the test expected.

use std::fmt::Write as _;

use serde_json::json;

use super::{Outcome, compile_with_catalog};
use crate::cli::{Format, TestArgs};
use crate::model::{Decision, TestCase};
use crate::reference;
use crate::verify::{Verifier, could_affect, default_layers};

/// One test's result.
struct TestResult<'t> {
    test: &'t TestCase,
    layers: Vec<(String, String, bool)>,
    failures: Vec<String>,
    vacuous: bool,
}

/// Run `tagc test`.
pub fn run(args: &TestArgs) -> Outcome {
    let (compiled, catalog) = match compile_with_catalog(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let Some(project) = &compiled.project else {
        return Outcome::Failure;
    };
    let verifier = match Verifier::new(&compiled.artifacts, &catalog) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: an emitted document could not be evaluated: {e}");
            return Outcome::Failure;
        }
    };
    let mut results = Vec::new();
    for test in &project.tests {
        // A test made from somewhere in the organization sees only the policies attached at
        // or above that place.
        let scoped = test.from.as_ref().map(|scope| project.scoped(scope));
        let scoped_verifier = match &scoped {
            Some(p) => {
                match scoped_verifier(p, &compiled.artifacts, &catalog, test.from.as_ref()) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        eprintln!("error: an emitted document could not be evaluated: {e}");
                        return Outcome::Failure;
                    }
                }
            }
            None => None,
        };
        let project = scoped.as_ref().unwrap_or(project);
        let verifier = scoped_verifier.as_ref().unwrap_or(&verifier);
        let layers = test
            .layer
            .map_or_else(|| default_layers(project, &test.request), |l| vec![l]);
        let mut result = TestResult {
            test,
            layers: Vec::new(),
            failures: Vec::new(),
            vacuous: !could_affect(project, &test.request),
        };
        let decisions: Vec<_> = layers
            .iter()
            .map(|&layer| {
                (
                    verifier.decide(layer, &test.request),
                    reference::decide(project, layer, &test.request),
                )
            })
            .collect();
        // A test that names a layer checks that layer. One that names none checks the
        // organization's answer: denied when any layer the request concerns denies it.
        let denying = decisions
            .iter()
            .any(|(got, _)| got.decision == Decision::Deny);
        let combined = if denying {
            Decision::Deny
        } else {
            Decision::Allow
        };
        let passed = if test.layer.is_some() {
            decisions.iter().all(|(got, _)| got.decision == test.expect)
        } else {
            combined == test.expect
        };
        for (got, want) in &decisions {
            // Mark the layers that disagree with the expectation and, when the test failed,
            // explain them.
            let as_expected = got.decision == test.expect;
            let blame =
                !passed && (test.layer.is_some() || !as_expected || test.expect == Decision::Deny);
            result.layers.push((
                got.layer.to_string(),
                got.decision.to_string(),
                as_expected || (passed && test.layer.is_none()),
            ));
            if blame {
                result.failures.push(format!(
                    "{}: expected {}, got {}\n      {}",
                    got.layer,
                    test.expect,
                    got.decision,
                    got.explanation.replace('\n', "\n      ")
                ));
            }
            if got.decision != want.decision {
                result.failures.push(format!(
                    "{}: the emitted policy decides {} but the rules decide {} ({}) — this is a bug in tagc",
                    got.layer, got.decision, want.decision, want.reason
                ));
            }
        }
        results.push(result);
    }
    let failed = results.iter().filter(|r| !r.failures.is_empty()).count();
    let passed = results.len() - failed;
    match args.input.format {
        Format::Human => print!("{}", human(&results, passed, failed)),
        Format::Json => println!("{}", as_json(&results, passed, failed)),
    }
    if failed == 0 {
        Outcome::Success
    } else {
        Outcome::Failure
    }
}

/// A verifier over the artifacts of the policies in `project`, for a request made from `scope`.
pub fn scoped_verifier<'c>(
    project: &crate::model::Project,
    artifacts: &[crate::artifact::Artifact],
    catalog: &'c crate::catalog::Catalog,
    scope: Option<&crate::model::Target>,
) -> Result<Verifier<'c>, tagc_eval::EvalError> {
    let selected: Vec<_> = artifacts
        .iter()
        .filter(|a| project.policies.iter().any(|p| p.name == a.policy))
        .cloned()
        .collect();
    Verifier::at(&selected, catalog, scope)
}

fn human(results: &[TestResult<'_>], passed: usize, failed: usize) -> String {
    let mut s = String::new();
    for r in results {
        let status = if r.failures.is_empty() {
            "ok  "
        } else {
            "FAIL"
        };
        let layers: Vec<String> = r
            .layers
            .iter()
            .map(|(l, d, ok)| format!("{l}: {d}{}", if *ok { "" } else { " ✗" }))
            .collect();
        let (line, _) = r.test.loc.line_col();
        let _ = writeln!(
            s,
            "{status} {} ({}:{line}) [{}]",
            r.test.name,
            r.test.loc.file.name,
            layers.join(", ")
        );
        for f in &r.failures {
            let _ = writeln!(s, "    {f}");
        }
        if r.vacuous {
            let _ = writeln!(
                s,
                "    warning: no rule could affect this request, so the test shows nothing about the rules"
            );
        }
    }
    let _ = writeln!(s, "{passed} passed, {failed} failed");
    s
}

fn as_json(results: &[TestResult<'_>], passed: usize, failed: usize) -> String {
    let tests: Vec<_> = results
        .iter()
        .map(|r| {
            json!({
                "name": r.test.name,
                "file": r.test.loc.file.name,
                "line": r.test.loc.line_col().0,
                "passed": r.failures.is_empty(),
                "vacuous": r.vacuous,
                "layers": r.layers.iter().map(|(l, d, ok)| json!({"layer": l, "decision": d, "as_expected": ok})).collect::<Vec<_>>(),
                "failures": r.failures,
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({"tests": tests, "passed": passed, "failed": failed}))
        .unwrap_or_default()
}
