//! `tagc test`: run every `test` block against the SCP, the IAM guardrail and the tag policy the
//! project emits, and check each layer's decision against the expectation.
//!
//! Every layer's decision is also compared with the reference semantics: a disagreement means
//! an emitted document does not mean what the rules say, which is a bug in tagc, and is
//! reported as such whatever the test expected. The verdicts come from
//! [`crate::verify::run_test`]; this module prints them.

use std::fmt::Write as _;

use serde_json::json;

use super::{Outcome, compile_with_catalog, print_diagnostics};
use crate::cli::{Format, TestArgs};
use crate::diagnostics::Diagnostics;
use crate::model::TestCase;
use crate::verify::{TestVerdict, Verifier, VerifyError, run_test};

/// One test's result.
struct TestResult<'t> {
    test: &'t TestCase,
    verdict: TestVerdict,
}

/// Run `tagc test`.
pub fn run(args: &TestArgs) -> Outcome {
    let (compiled, catalog) = match compile_with_catalog(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let project = &compiled.project;
    let results = Verifier::new(&compiled.artifacts, &catalog)
        .map_err(VerifyError::from)
        .and_then(|whole| {
            project
                .tests
                .iter()
                .map(|test| {
                    run_test(project, &compiled.artifacts, &catalog, &whole, test)
                        .map(|verdict| TestResult { test, verdict })
                })
                .collect::<Result<Vec<_>, _>>()
        });
    let results = match results {
        Ok(r) => r,
        Err(e) => {
            let mut d = Diagnostics::new();
            d.push(e);
            print_diagnostics(&d, args.input.format);
            return Outcome::Failure;
        }
    };
    let failed = results.iter().filter(|r| !r.verdict.passed()).count();
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

fn human(results: &[TestResult<'_>], passed: usize, failed: usize) -> String {
    let mut s = String::new();
    for r in results {
        let status = if r.verdict.passed() { "ok  " } else { "FAIL" };
        let layers: Vec<String> = r
            .verdict
            .layers
            .iter()
            .map(|l| {
                let mark = if l.as_expected { "" } else { " ✗" };
                format!("{}: {}{mark}", l.layer, l.decision)
            })
            .collect();
        let (line, _) = r.test.loc.line_col();
        let _ = writeln!(
            s,
            "{status} {} ({}:{line}) [{}]",
            r.test.name,
            r.test.loc.file.name,
            layers.join(", ")
        );
        for f in &r.verdict.failures {
            let _ = writeln!(s, "    {f}");
        }
        if r.verdict.vacuous {
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
                "passed": r.verdict.passed(),
                "vacuous": r.verdict.vacuous,
                "layers": r.verdict.layers.iter().map(|l| json!({
                    "layer": l.layer.to_string(),
                    "decision": l.decision.to_string(),
                    "as_expected": l.as_expected,
                })).collect::<Vec<_>>(),
                "failures": r.verdict.failures,
            })
        })
        .collect();
    // A JSON value always serializes: `{:#}` pretty-prints it with nothing to default away.
    format!(
        "{:#}",
        json!({"tests": tests, "passed": passed, "failed": failed})
    )
}
