//! The machine-readable reports (`--format json|sarif|github|junit`), run through the real
//! binary: transcripts of each format on small fixtures with an error, a warning, a related
//! place in another file and failing and vacuous tests; SARIF checked against the official
//! SARIF 2.1.0 schema, JSON against `docs/schema/report.schema.json`, JUnit parsed back.

use serde_json::Value;

use crate::common::{Run, root, tagc};

/// Rules with a warning (a repeated value), and, in another file, an error (a tag declared
/// again) whose first declaration is in the first file.
const CHECK: &str = "tests/fixtures/report/check";
/// Rules with a warning and three tests: one passes, one fails (its name has `<&"'>`), one is
/// vacuous.
const TESTS: &str = "tests/fixtures/report/test";

fn run(args: &[&str]) -> Run {
    tagc(&root(), args)
}

fn parse(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.transcript()))
}

fn schema(path: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// Panics with every error when `doc` does not follow the schema at `path`.
pub(crate) fn assert_valid(path: &str, doc: &Value) {
    let validator = schema(path);
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{path}: {errors:#?}\n{doc:#}");
}

pub(crate) const SARIF: &str = "tests/fixtures/schemas/sarif-schema-2.1.0.json";
pub(crate) const REPORT: &str = "docs/schema/report.schema.json";

/// A copy of the `TESTS` rules in a temporary directory, for the commands that write.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::copy(
        root().join(TESTS).join("rules.tags"),
        dir.path().join("policies/rules.tags"),
    )
    .unwrap();
    dir
}

#[test]
fn test_check_json_has_warnings_locations_and_related_places() {
    let run = run(&["check", CHECK, "--format", "json"]);
    assert_eq!(run.code, 1);
    let doc = parse(&run);
    assert_valid(REPORT, &doc);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_check_sarif_follows_the_sarif_schema() {
    let run = run(&["check", CHECK, "--format", "sarif"]);
    assert_eq!(run.code, 1);
    let log = parse(&run);
    assert_valid(SARIF, &log);
    insta::assert_snapshot!(run.transcript());
}

/// The validator does reject a log that breaks the schema, so the tests above can fail.
#[test]
fn test_the_sarif_schema_rejects_a_wrong_level() {
    let mut log = parse(&run(&["check", CHECK, "--format", "sarif"]));
    assert!(schema(SARIF).is_valid(&log));
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!schema(SARIF).is_valid(&log));
    let mut doc = parse(&run(&["check", CHECK, "--format", "json"]));
    assert!(schema(REPORT).is_valid(&doc));
    doc["diagnostics"][0]["location"]["line"] = 0.into();
    assert!(!schema(REPORT).is_valid(&doc));
}

#[test]
fn test_check_github_annotates_each_diagnostic() {
    let run = run(&["check", CHECK, "--format", "github"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_test_json_reports_results_and_warnings() {
    let run = run(&["test", TESTS, "--format", "json"]);
    assert_eq!(run.code, 1);
    let doc = parse(&run);
    assert_valid(REPORT, &doc);
    assert_eq!(doc["ok"], false);
    assert_eq!(
        (doc["passed"].as_u64(), doc["failed"].as_u64()),
        (Some(2), Some(1))
    );
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_test_sarif_reports_failing_and_vacuous_tests() {
    let run = run(&["test", TESTS, "--format", "sarif"]);
    assert_eq!(run.code, 1);
    let log = parse(&run);
    assert_valid(SARIF, &log);
    let rules: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "tagc::check::duplicate-value",
            "tagc::test::failed",
            "tagc::test::vacuous"
        ]
    );
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_test_github_annotates_failing_and_vacuous_tests() {
    let run = run(&["test", TESTS, "--format", "github"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_test_junit_parses_back_with_the_right_counts_and_names() {
    let run = run(&["test", TESTS, "--format", "junit"]);
    assert_eq!(run.code, 1);
    let xml = roxmltree::Document::parse(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", run.transcript()));
    let suites = xml.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    assert_eq!(suites.attribute("tests"), Some("3"));
    assert_eq!(suites.attribute("failures"), Some("1"));
    let suite: Vec<_> = suites
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suite.len(), 1);
    assert_eq!(
        suite[0].attribute("name"),
        Some("tests/fixtures/report/test/rules.tags")
    );
    let cases: Vec<_> = suite[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<_> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(
        names,
        [
            "a queue without an owner is denied",
            "a queue <&\"'> without an owner is allowed",
            "a topic is allowed"
        ]
    );
    let failed: Vec<_> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .collect();
    assert_eq!(failed.len(), 1);
    let failure = failed[0]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        failure
            .text()
            .unwrap()
            .contains("scp: deny (not as expected)")
    );
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_test_junit_reports_errors_that_stop_the_tests() {
    let run = run(&["test", CHECK, "--format", "junit"]);
    assert_eq!(run.code, 1);
    let xml = roxmltree::Document::parse(&run.stdout).unwrap();
    let errors: Vec<_> = xml
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].attribute("type"),
        Some("tagc::check::duplicate-tag")
    );
    assert_eq!(xml.root_element().attribute("errors"), Some("1"));
}

#[test]
fn test_build_json_is_one_shape_on_success_and_on_failure() {
    let dir = project();
    let ok = tagc(dir.path(), &["build", "--format", "json"]);
    assert_eq!(ok.code, 0, "{}", ok.transcript());
    let doc = parse(&ok);
    assert_valid(REPORT, &doc);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["summary"]["warnings"], 1);
    assert_eq!(
        doc["diagnostics"][0]["code"],
        "tagc::check::duplicate-value"
    );
    assert_eq!(
        doc["manifest"]["artifacts"].as_array().map(Vec::len),
        Some(3)
    );

    let fresh = tagc(dir.path(), &["build", "--check", "--format", "json"]);
    assert_eq!(fresh.code, 0, "{}", fresh.transcript());
    let doc = parse(&fresh);
    assert_valid(REPORT, &doc);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["differences"]["stale"], serde_json::json!([]));

    std::fs::write(dir.path().join("policies/b.tags"), "tag owner\n").unwrap();
    let failed = tagc(dir.path(), &["build", "--format", "json"]);
    assert_eq!(failed.code, 1);
    let doc = parse(&failed);
    assert_valid(REPORT, &doc);
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["summary"]["errors"], 1);
    assert_eq!(doc["summary"]["warnings"], 1);
    assert!(doc.get("manifest").is_none());

    let sarif = tagc(dir.path(), &["build", "--format", "sarif"]);
    assert_eq!(sarif.code, 1);
    assert_valid(SARIF, &parse(&sarif));
}

#[test]
fn test_eval_json_holds_the_warnings_of_the_project() {
    let run = run(&[
        "eval",
        TESTS,
        "--action",
        "sqs:CreateQueue",
        "--tag",
        "owner=me",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let doc = parse(&run);
    assert_valid(REPORT, &doc);
    assert_eq!(doc["command"], "eval");
    assert_eq!(doc["summary"]["warnings"], 1);
    assert_eq!(doc["layers"].as_array().map(Vec::len), Some(3));
}

#[test]
fn test_a_format_the_command_does_not_have_is_a_usage_error() {
    for args in [
        &["check", CHECK, "--format", "junit"][..],
        &["eval", "--action", "sqs:CreateQueue", "--format", "sarif"],
    ] {
        let run = run(args);
        assert_eq!(run.code, 64, "{}", run.transcript());
        assert_eq!(run.stdout, "");
        assert!(
            run.stderr.contains("tagc::report::unsupported-format"),
            "{}",
            run.transcript()
        );
    }
}

/// The columns count characters: a file with multi-byte text before the error on its line.
#[test]
fn test_columns_count_characters_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("u.tags");
    std::fs::write(
        &file,
        "tag owner { description \"propriétaire\" values \"a\" \"a\" }\n",
    )
    .unwrap();
    let json = parse(&tagc(dir.path(), &["check", "u.tags", "--format", "json"]));
    let loc = &json["diagnostics"][0]["location"];
    assert_eq!(
        (loc["line"].as_u64(), loc["column"].as_u64()),
        (Some(1), Some(51))
    );
    // `é` is two bytes: the byte offset is one more than the character offset.
    assert_eq!(loc["offset"], 51);
    let sarif = parse(&tagc(dir.path(), &["check", "u.tags", "--format", "sarif"]));
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"], 51);
    assert_eq!(region["charOffset"], 50);
    let github = tagc(dir.path(), &["check", "u.tags", "--format", "github"]);
    assert!(
        github.stdout.contains("file=u.tags,line=1,col=51,"),
        "{}",
        github.stdout
    );
}

/// The report-writing commands of `docs/ci.md`'s pipelines run on the shipped rules, and what
/// they write is what the CI system reads: a valid SARIF log, JUnit XML, annotations.
#[test]
fn test_the_reports_of_ci_md_are_written_and_valid() {
    let text = std::fs::read_to_string(root().join("docs/ci.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    for entry in std::fs::read_dir(root().join("policies")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            dir.path().join("policies").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    let mut seen = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| l.contains("--format")) {
        let command = line
            .trim_start()
            .trim_start_matches("- ")
            .trim_start_matches("run: ");
        let command = command.split(" >").next().unwrap().trim();
        let args: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(args[0], "tagc", "{line}");
        let run = tagc(dir.path(), &args[1..]);
        assert_eq!(run.code, 0, "{command}: {}", run.transcript());
        let format = args[args.iter().position(|a| *a == "--format").unwrap() + 1];
        match format {
            "sarif" => assert_valid(SARIF, &parse(&run)),
            "junit" => {
                let xml = roxmltree::Document::parse(&run.stdout).unwrap();
                assert_eq!(xml.root_element().attribute("failures"), Some("0"));
            }
            "github" => assert!(
                run.stdout.starts_with("tagc check: 0 errors"),
                "{}",
                run.stdout
            ),
            other => panic!("{command}: no check for --format {other}"),
        }
        seen.insert(format);
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["github", "junit", "sarif"]
    );
}
