//! `tagc test`: run every `test` block against the SCP, the IAM guardrail and the tag policy the
//! project emits, and check each layer's decision against the expectation.
//!
//! Every layer's decision is also compared with the reference semantics: a disagreement means
//! an emitted document does not mean what the rules say, which is a bug in tagc, and is
//! reported as such whatever the test expected. The verdicts come from
//! [`crate::verify::run_test`]; this module prints them, for people or as a machine-readable
//! report (see [`crate::report`]).

use std::fmt::Write as _;

use super::{Outcome, compile_with_catalog, fail_after, print_report};
use crate::cli::TestArgs;
use crate::model::TestCase;
use crate::report::{LayerRecord, Report, TestRecord, location_of};
use crate::verify::{TestVerdict, Verifier, VerifyError, run_test};

/// One test's result.
struct TestResult<'t> {
    test: &'t TestCase,
    verdict: TestVerdict,
}

/// Run `tagc test`.
pub fn run(args: &TestArgs) -> Outcome {
    let (mut compiled, catalog) = match compile_with_catalog(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let format = args.input.format;
    let warnings = std::mem::take(&mut compiled.diagnostics);
    let project = &compiled.project;
    let results = Verifier::new(compiled.artifacts(), &catalog)
        .map_err(VerifyError::from)
        .and_then(|whole| {
            project
                .tests
                .iter()
                .map(|test| {
                    run_test(project, compiled.artifacts(), &catalog, &whole, test)
                        .map(|verdict| TestResult { test, verdict })
                })
                .collect::<Result<Vec<_>, _>>()
        });
    let results = match results {
        Ok(r) => r,
        Err(e) => return fail_after(warnings, e, format),
    };
    let failed = results.iter().filter(|r| !r.verdict.passed()).count();
    let passed = results.len() - failed;
    if format.machine().is_some() {
        let mut report = Report::new("test", &warnings);
        report.ok = report.ok && failed == 0;
        report.tests = Some(results.iter().map(record).collect());
        print_report(&report, format);
    } else {
        print!("{}", human(&results, passed, failed));
    }
    if failed == 0 {
        Outcome::Success
    } else {
        Outcome::Failure
    }
}

/// A test's result as the machine-readable reports show it.
fn record(r: &TestResult<'_>) -> TestRecord {
    let location = location_of(&r.test.loc);
    let (line, column) = r.test.loc.line_col();
    TestRecord {
        name: r.test.name.clone(),
        file: r.test.loc.file.name.clone(),
        line: location.as_ref().map_or(line, |l| l.line),
        column: location.as_ref().map_or(column, |l| l.column),
        location,
        passed: r.verdict.passed(),
        vacuous: r.verdict.vacuous,
        layers: r
            .verdict
            .layers
            .iter()
            .map(|l| LayerRecord {
                layer: l.layer.to_string(),
                decision: l.decision.to_string(),
                as_expected: l.as_expected,
            })
            .collect(),
        failures: r.verdict.failures.clone(),
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
