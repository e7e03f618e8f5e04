//! `tagc audit`: the binary on resource files (every format and exit code), and, with the `aws`
//! feature, end to end against moto: resources created there, in one account and across an
//! organization, and exactly the non-compliant ones reported.

use crate::common::{Run, root, tagc};

const RULES: &str = "tests/fixtures/audit/rules.tags";

fn audit(args: &[&str]) -> Run {
    let mut all = vec!["audit", RULES];
    all.extend_from_slice(args);
    tagc(&root(), &all)
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.transcript()))
}

/// The (ARN, problem) pairs of a JSON report, sorted (a resource judged twice shows twice).
fn findings(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["arn"].as_str().unwrap().to_owned(),
                f["problem"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn test_audit_of_a_get_resources_file_reports_each_noncompliant_resource() {
    let run = audit(&["--file", "tests/fixtures/audit/get-resources.json"]);
    assert_eq!(run.code, 3, "{}", run.transcript());
    insta::assert_snapshot!("audit_get_resources_human", run.transcript());
}

#[test]
fn test_the_transcript_in_docs_audit_md_is_what_the_binary_prints() {
    let docs = std::fs::read_to_string(root().join("docs/audit.md")).unwrap();
    let command = "$ tagc audit tests/fixtures/audit/rules.tags --file tests/fixtures/audit/get-resources.json\n";
    let start = docs
        .find(command)
        .expect("docs/audit.md shows the audit of the fixture")
        + command.len();
    let shown = &docs[start..start + docs[start..].find("```").unwrap()];
    let run = audit(&["--file", "tests/fixtures/audit/get-resources.json"]);
    assert_eq!(shown, run.stdout);
}

#[test]
fn test_audit_json_lists_findings_and_what_was_not_evaluated() {
    let run = audit(&[
        "--file",
        "tests/fixtures/audit/get-resources.json",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 3, "{}", run.transcript());
    let report = json(&run);
    assert_eq!(report["version"], 1);
    assert_eq!(report["compliant"], false);
    assert_eq!(report["resources"], 6);
    assert_eq!(report["evaluated"], 5);
    let not_evaluated = report["not_evaluated"].as_array().unwrap();
    assert_eq!(not_evaluated.len(), 1);
    assert_eq!(
        not_evaluated[0]["arn"],
        "arn:aws:mediatailor:us-east-1:111122223333:widget/x"
    );
    let job = "arn:aws:sagemaker:us-east-1:111122223333:training-job/forecast";
    assert_eq!(
        findings(&report),
        vec![
            (
                "arn:aws:dynamodb:us-east-1:111122223333:table/qa-table".to_owned(),
                "value-not-allowed".to_owned()
            ),
            (
                "arn:aws:s3:::casing-bucket".to_owned(),
                "wrong-casing".to_owned()
            ),
            (job.to_owned(), "missing".to_owned()),
            (job.to_owned(), "undeclared-key".to_owned()),
        ]
    );
    insta::assert_json_snapshot!("audit_get_resources_json", report);
}

#[test]
fn test_audit_csv_has_one_row_per_finding() {
    let run = audit(&[
        "--file",
        "tests/fixtures/audit/get-resources.json",
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 3, "{}", run.transcript());
    insta::assert_snapshot!("audit_get_resources_csv", run.stdout);
    let rows = run.stdout.lines().count();
    let report = json(&audit(&[
        "--file",
        "tests/fixtures/audit/get-resources.json",
        "--format",
        "json",
    ]));
    assert_eq!(rows, 1 + report["findings"].as_array().unwrap().len());
}

#[test]
fn test_audit_sarif_is_a_sarif_log_pointing_at_the_rule_with_the_arn() {
    let run = audit(&[
        "--file",
        "tests/fixtures/audit/get-resources.json",
        "--format",
        "sarif",
    ]);
    assert_eq!(run.code, 3, "{}", run.transcript());
    let log = json(&run);
    crate::report::assert_valid(crate::report::SARIF, &log);
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let rule_ids: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for r in results {
        assert!(rule_ids.contains(&r["ruleId"].as_str().unwrap()));
        let location = &r["locations"][0];
        assert_eq!(
            location["physicalLocation"]["artifactLocation"]["uri"],
            RULES
        );
        let arn = location["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        assert!(r["message"]["text"].as_str().unwrap().starts_with(arn));
    }
}

#[test]
fn test_audit_of_a_resource_explorer_file_finds_never_tagged_resources() {
    let run = audit(&[
        "--file",
        "tests/fixtures/audit/resource-explorer.json",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 3, "{}", run.transcript());
    let report = json(&run);
    let job = "arn:aws:sagemaker:eu-west-1:444455556666:training-job/never-tagged";
    // Both keys are missing.
    assert_eq!(
        findings(&report),
        vec![
            (job.to_owned(), "missing".to_owned()),
            (job.to_owned(), "missing".to_owned())
        ]
    );
    let first = &report["findings"][0];
    assert_eq!(first["account"], "444455556666");
    assert_eq!(first["region"], "eu-west-1");
}

#[test]
fn test_audit_of_compliant_resources_exits_0() {
    let run = audit(&["--file", "tests/fixtures/audit/compliant.json"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run.stdout.starts_with("1 resources read, 1 evaluated"));
}

#[test]
fn test_audit_refuses_a_file_it_cannot_read_with_a_diagnostic() {
    let run = audit(&["--file", "tests/fixtures/audit/rules.tags"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr.contains("tagc::audit::unknown-format"),
        "{}",
        run.transcript()
    );
    assert!(run.stdout.is_empty());
    let run = audit(&["--file", "tests/fixtures/audit/no-such-file.json"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr.contains("tagc::audit::unreadable"),
        "{}",
        run.transcript()
    );
}

#[cfg(feature = "aws")]
mod moto {
    use std::process::Command;

    use super::{RULES, findings, json};
    use crate::apply::moto::Moto;
    use crate::common::{root, tagc_env};

    /// Creates the resources of `mode` with boto3 (which comes with moto) in the server;
    /// returns the ARNs by what they are meant to be.
    fn create(moto: &Moto, mode: &str) -> serde_json::Value {
        let python = Moto::python();
        let out = Command::new(&python)
            .arg(root().join("tests/fixtures/audit/moto-resources.py"))
            .args([moto.endpoint.as_str(), mode])
            .envs(moto.env())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn arns(v: &serde_json::Value) -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn test_audit_against_moto_reports_exactly_the_noncompliant_resources() {
        let moto = Moto::start();
        let created = create(&moto, "single");
        let run = tagc_env(
            &root(),
            &[
                "audit",
                RULES,
                "--region",
                "us-east-1",
                "--region",
                "eu-west-1",
                "--format",
                "json",
            ],
            &moto.env(),
        );
        assert_eq!(run.code, 3, "{}", run.transcript());
        let report = json(&run);
        // Two regions are read; the buckets, global, are judged once.
        assert_eq!(report["resources"], 6);
        assert!(report["not_evaluated"].as_array().unwrap().is_empty());
        let mut expected = Vec::new();
        for problem in ["wrong-casing", "value-not-allowed", "missing"] {
            for arn in arns(&created[problem]) {
                expected.push((arn, problem.to_owned()));
            }
        }
        expected.sort();
        let found = findings(&report);
        // The training job also lacks `project`, which `report` requires: still "missing".
        assert_eq!(found, expected);
        for arn in arns(&created["compliant"]) {
            assert!(!found.iter().any(|(a, _)| *a == arn), "{arn} is compliant");
        }
    }

    #[test]
    fn test_audit_all_accounts_attributes_findings_to_account_and_ou() {
        let moto = Moto::start();
        let created = create(&moto, "org");
        let rules = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(root().join(RULES))
            .unwrap()
            .replace("attach to root", "attach to ou \"Root/Workloads/ML\"");
        std::fs::write(rules.path().join("rules.tags"), text).unwrap();
        let run = tagc_env(
            rules.path(),
            &[
                "audit",
                "rules.tags",
                "--all-accounts",
                "--role-name",
                "OrganizationAccountAccessRole",
                "--region",
                "us-east-1",
                "--format",
                "json",
            ],
            &moto.env(),
        );
        assert_eq!(run.code, 3, "{}", run.transcript());
        let report = json(&run);
        let member = arns(&created["member"]).remove(0);
        let bad = arns(&created["member-missing"]).remove(0);
        // The management account's bucket breaks the rule too, but the policy is not attached
        // above it; the member's compliant bucket has no finding.
        assert_eq!(findings(&report), vec![(bad, "missing".to_owned())]);
        let f = &report["findings"][0];
        assert_eq!(f["account"], member.as_str());
        assert_eq!(f["ou"], "Root/Workloads/ML");
        assert_eq!(report["resources"], 3);
    }

    #[test]
    fn test_audit_reports_an_unreachable_endpoint_as_an_error() {
        let run = tagc_env(
            &root(),
            &[
                "audit",
                RULES,
                "--region",
                "us-east-1",
                "--endpoint-url",
                "http://127.0.0.1:9",
            ],
            &[
                ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
                ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
                ("AWS_MAX_ATTEMPTS", "1".to_owned()),
                ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
                ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
            ],
        );
        assert_eq!(run.code, 1, "{}", run.transcript());
        assert!(
            run.stderr.contains("tagc::audit::aws"),
            "{}",
            run.transcript()
        );
    }
}

/// Without the `aws` feature, `audit` reads only files, and says so.
#[cfg(not(feature = "aws"))]
#[test]
fn test_audit_without_a_file_in_a_build_without_aws_is_refused() {
    let run = audit(&[]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr.contains("tagc::audit::no-source"),
        "{}",
        run.transcript()
    );
}
