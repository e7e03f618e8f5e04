//! The `tagc` binary: stdout, stderr and exit codes as users and CI see them.

use std::fmt::Write as _;

use crate::common::{root, tagc, tagc_env};

/// Replaces what the output holds that is not the behaviour under test: tagc's own version.
fn redactions() -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r#""tagc": "[^"]+""#, r#""tagc": "[version]""#);
    settings.bind_to_scope()
}

/// A copy of `example` (a path under the repository root) as the one file of `policies/` in a
/// temporary directory, so that every path in the output is relative to it.
fn example_dir(example: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    let name = std::path::Path::new(example).file_name().unwrap();
    std::fs::copy(root().join(example), dir.path().join("policies").join(name)).unwrap();
    dir
}

/// Each command's arguments and stdout, one after another, for one snapshot of several runs.
fn stdouts<'a>(dir: &std::path::Path, runs: impl IntoIterator<Item = Vec<&'a str>>) -> String {
    let mut text = String::new();
    for args in runs {
        let run = tagc(dir, &args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.transcript());
        writeln!(text, "$ tagc {}\n{}", args.join(" "), run.stdout).unwrap();
    }
    text
}

fn fixture_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(
        dir.path().join("policies/rules.tags"),
        "tag owner\n\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn test_check_defaults_to_policies_and_exits_0() {
    let dir = fixture_dir();
    let run = tagc(dir.path(), &["check"]);
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    ok: 1 tags, 1 policies, 0 tests
    [exit 0]
    ");
}

#[test]
fn test_check_reports_errors_and_exits_1() {
    let dir = fixture_dir();
    std::fs::write(
        dir.path().join("policies/bad.tags"),
        "policy q {\n  require ownr on sqs:CreateQueue\n  attach to root\n}\n",
    )
    .unwrap();
    let run = tagc(dir.path(), &["check"]);
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    tagc::check::unknown-tag

      × unknown tag `ownr`
       ╭─[policies/bad.tags:2:11]
     1 │ policy q {
     2 │   require ownr on sqs:CreateQueue
       ·           ──┬─
       ·             ╰── not declared
     3 │   attach to root
       ╰────
      help: did you mean `owner`?
    1 error, 0 warnings
    [exit 1]
    ");
}

#[test]
fn test_check_json_format_prints_machine_readable_diagnostics() {
    let dir = fixture_dir();
    std::fs::write(dir.path().join("policies/bad.tags"), "tag \"aws:x\"\n").unwrap();
    let run = tagc(dir.path(), &["check", "--format", "json"]);
    assert!(serde_json::from_str::<serde_json::Value>(&run.stdout).is_ok());
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_build_writes_artifacts_and_manifest() {
    let dir = fixture_dir();
    let run = tagc(dir.path(), &["build"]);
    insta::assert_snapshot!(
        "build_writes_artifacts_and_manifest_transcript",
        run.transcript()
    );
    let out = dir.path().join("out");
    let read = |file: &str| std::fs::read_to_string(out.join(file)).unwrap();
    insta::assert_snapshot!(
        "build_writes_artifacts_and_manifest_scp",
        read("p/scp.json")
    );
    let _r = redactions();
    insta::assert_snapshot!(
        "build_writes_artifacts_and_manifest_manifest",
        read("manifest.json")
    );
}

/// Build `inputs` with the binary and check every file it writes against the manifest: the
/// file is at most its limit in bytes as written, and the manifest's size is its length. Returns
/// how many files were checked.
fn assert_files_fit_as_written(inputs: &[std::path::PathBuf]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args: Vec<String> = vec!["build".into(), "--out".into(), out.display().to_string()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = tagc(dir.path(), &args);
    assert_eq!(run.code, 0, "{inputs:?}: {}", run.stderr);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let artifacts = manifest["artifacts"].as_array().unwrap();
    for a in artifacts {
        let file = a["file"].as_str().unwrap();
        let bytes = std::fs::read(out.join(file)).unwrap();
        let (size, limit) = (a["size"].as_u64().unwrap(), a["limit"].as_u64().unwrap());
        assert_eq!(bytes.len() as u64, size, "{file}: manifest size");
        assert!(
            size <= limit,
            "{file}: {size} bytes over the limit of {limit}"
        );
        assert_eq!(
            a["hash"].as_str().unwrap(),
            tagc::artifact::content_hash(std::str::from_utf8(&bytes).unwrap()),
            "{file}: manifest hash"
        );
    }
    artifacts.len()
}

#[test]
fn test_every_written_file_fits_its_limit_and_its_manifest_size() {
    let mut checked = assert_files_fit_as_written(&[root().join("policies")]);
    for example in crate::common::tags_files("examples") {
        checked += assert_files_fit_as_written(&[example]);
    }
    assert!(checked > 10, "only {checked} files checked");
}

#[test]
fn test_failed_build_writes_nothing_and_keeps_the_old_output() {
    let dir = fixture_dir();
    assert_eq!(tagc(dir.path(), &["build"]).code, 0);
    let before = std::fs::read_to_string(dir.path().join("out/p/scp.json")).unwrap();
    std::fs::write(dir.path().join("policies/bad.tags"), "tag owner\n").unwrap();
    let run = tagc(dir.path(), &["build", "--out", "out"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/p/scp.json")).unwrap(),
        before
    );
    let fresh = tagc(dir.path(), &["build", "--out", "fresh"]);
    assert_eq!(fresh.code, 1);
    assert!(!dir.path().join("fresh").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tagc"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn test_build_check_fails_when_output_is_stale() {
    let dir = fixture_dir();
    assert_eq!(tagc(dir.path(), &["build"]).code, 0);
    assert_eq!(tagc(dir.path(), &["build", "--check"]).code, 0);
    std::fs::write(
        dir.path().join("policies/more.tags"),
        "tag team\n\npolicy q {\n  require team on sns:CreateTopic\n  attach to root\n}\n",
    )
    .unwrap();
    let run = tagc(dir.path(), &["build", "--check"]);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_build_explain_names_parts_and_rule_exemptions() {
    let dir = example_dir("examples/per-rule-scope.tags");
    let run = tagc(dir.path(), &["build", "--explain"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let text = run.transcript();
    assert!(
        text.contains(
            "policy ml-workloads-at-ou-root-ml-training (the rules of ml-workloads at ou Root/ML/Training)"
        ),
        "{text}"
    );
    assert!(
        text.contains("(2 actions); except arn:aws:iam::*:role/Pipeline"),
        "{text}"
    );
}

#[test]
fn test_build_explain_shows_expansions() {
    let dir = example_dir("examples/sagemaker-cost-allocation.tags");
    let run = tagc(dir.path(), &["build", "--explain"]);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_value_rules_example_tests_pass_and_explain_names_forbid_and_when() {
    let dir = example_dir("examples/value-rules.tags");
    let run = tagc(dir.path(), &["test"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.contains("8 passed, 0 failed"),
        "{}",
        run.transcript()
    );
    assert!(
        !run.stdout.contains("no rule could affect"),
        "{}",
        run.transcript()
    );
    // `--explain` writes to standard error, beside the build summary.
    let run = tagc(dir.path(), &["build", "--explain"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stderr.contains(
            "forbid environment = \"test\": SCP and IAM guardrail (3 actions); a tag policy cannot forbid a value"
        ),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr
            .contains("require data-classification: presence and value on create: SCP and IAM guardrail (2 actions) when environment = \"production\""),
        "{}",
        run.transcript()
    );
}

#[test]
fn test_missing_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = tagc(dir.path(), &["check"]);
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    tagc::load::unreadable

      × cannot read `policies`: No such file or directory (os error 2)
      help: tagc reads `policies/` when no path is given
    1 error, 0 warnings
    [exit 1]
    ");
}

#[test]
fn test_version_names_the_catalog_date() {
    let run = tagc(&root(), &["--version"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout.trim(),
        format!(
            "tagc {} (AWS service reference of 2026-08-22)",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn test_help_has_examples() {
    // The help is wrapped to the terminal's width, which `COLUMNS` gives when there is none.
    let run = tagc_env(&root(), &["--help"], &[("COLUMNS", "100".to_owned())]);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_catalog_info_shows_date_and_counts() {
    let run = tagc(&root(), &["catalog", "info"]);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_test_command_runs_the_shipped_tests() {
    let run = tagc(&root(), &["test"]);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_test_command_reports_a_failure_with_its_explanation() {
    let dir = fixture_dir();
    std::fs::write(
        dir.path().join("policies/tests.tags"),
        "test \"a queue without owner is allowed\" {\n  request sqs:CreateQueue\n  expect allow in scp\n}\n\ntest \"a queue with owner is allowed\" {\n  request sqs:CreateQueue tags owner=\"ana\"\n  expect allow\n}\n",
    )
    .unwrap();
    let run = tagc(dir.path(), &["test"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout, @r#"
    FAIL a queue without owner is allowed (policies/tests.tags:1) [scp: deny ✗]
        scp: expected allow, got deny
          denied by policy "tagc-p-scp" statement 0 (Sid "RequireOwner"): Null aws:RequestTag/owner = true matched (key absent)
    ok   a queue with owner is allowed (policies/tests.tags:6) [scp: allow, iam: allow]
    1 passed, 1 failed
    "#);
}

#[test]
fn test_test_command_decides_rules_with_at_by_where_the_request_comes_from() {
    let dir = example_dir("examples/per-rule-scope.tags");
    let run = tagc(dir.path(), &["test"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta::assert_snapshot!(run.stdout);
    // The same request, from inside and from outside the rule's `at`.
    std::fs::write(
        dir.path().join("policies/more.tags"),
        "test \"from Training, the cost center is required\" {\n  request sagemaker:CreateTrainingJob tags owner=\"ana\" from ou \"Root/ML/Training/Deep\"\n  expect allow in scp\n}\n",
    )
    .unwrap();
    let run = tagc(dir.path(), &["test"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout
            .contains("FAIL from Training, the cost center is required")
            && run
                .stdout
                .contains("tagc-ml-workloads-at-ou-root-ml-training-scp"),
        "{}",
        run.stdout
    );
}

#[test]
fn test_test_command_warns_about_vacuous_tests() {
    let dir = fixture_dir();
    std::fs::write(
        dir.path().join("policies/tests.tags"),
        "test \"a topic is allowed\" {\n  request sns:CreateTopic\n  expect allow\n}\n",
    )
    .unwrap();
    let run = tagc(dir.path(), &["test"]);
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_test_command_json_lists_every_layer() {
    let run = tagc(
        &root(),
        &[
            "test",
            "--format",
            "json",
            "examples/sagemaker-cost-allocation.tags",
        ],
    );
    assert!(serde_json::from_str::<serde_json::Value>(&run.stdout).is_ok());
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_eval_prints_each_layer_and_why() {
    let run = tagc(
        &root(),
        &[
            "eval",
            "--action",
            "sagemaker:CreateTrainingJob",
            "--tag",
            "environment=dev",
            "--tag",
            "CostCenter=CC-1",
            "examples/sagemaker-cost-allocation.tags",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout, @r#"
    sagemaker:CreateTrainingJob by arn:aws:iam::111122223333:role/developer
      scp:        allow
          allowed by FullAWSAccess: no deny statement matches `sagemaker:CreateTrainingJob`
          policy "tagc-sagemaker-cost-allocation-scp" statement 0 (Sid "RequireEnvironmentValue") not applied: StringNotEquals aws:RequestTag/environment = [dev, staging, production] failed (request value "dev")
          policy "tagc-sagemaker-cost-allocation-scp" statement 1 (Sid "RequireEnvironmentCase") not applied: ForAllValues:StringNotEquals aws:TagKeys = environment failed (request values ["environment", "CostCenter"])
          policy "tagc-sagemaker-cost-allocation-scp" statement 2 (Sid "RequireCostCenterValue") not applied: StringNotLike aws:RequestTag/CostCenter = CC-* failed (request value "CC-1")
      iam:        allow
          allowed by policy "tagc-sagemaker-cost-allocation-iam-policy" statement 5 (Sid "AllowCreateWithTags"): StringEquals aws:RequestTag/environment = [dev, staging, production] matched (request value "dev") and StringLike aws:RequestTag/CostCenter = CC-* matched (request value "CC-1") and Null aws:TagKeys = false matched (key present) and ForAllValues:StringEqualsIgnoreCase aws:TagKeys = [environment, CostCenter] matched (request values ["environment", "CostCenter"]) and ForAnyValue:StringEquals aws:TagKeys = environment matched (request values ["environment", "CostCenter"])
      tag-policy: allow
          the request names no resource, so no tag policy applies
    "#);
}

#[test]
fn test_eval_rejects_a_malformed_tag_as_a_usage_error() {
    let run = tagc(
        &root(),
        &["eval", "--action", "sqs:CreateQueue", "--tag", "owner"],
    );
    insta::assert_snapshot!(run.transcript());
}

/// A project with a policy attached to `Root/Workloads/Prod`.
fn prod_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(
        dir.path().join("policies/rules.tags"),
        "tag owner\n\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to ou \"Root/Workloads/Prod\"\n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn test_eval_refuses_an_unknown_action_with_did_you_mean() {
    let dir = prod_dir();
    let run = tagc(dir.path(), &["eval", "--action", "ec2:RunInstanc"]);
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    tagc::check::unknown-action

      × unknown action `ec2:RunInstanc`
       ╭─[command line:1:10]
     1 │ --action ec2:RunInstanc
       ·          ───────┬──────
       ·                 ╰── no such action in the AWS catalog
       ╰────
      help: did you mean `ec2:RunInstances`?
    1 error, 0 warnings
    [exit 1]
    ");
}

#[test]
fn test_eval_refuses_an_unknown_during_action() {
    let dir = prod_dir();
    let run = tagc(
        dir.path(),
        &[
            "eval",
            "--action",
            "sqs:TagQueue",
            "--during",
            "sqs:CreateQueu",
        ],
    );
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    tagc::check::unknown-action

      × unknown action `sqs:CreateQueu`
       ╭─[command line:1:10]
     1 │ --during sqs:CreateQueu
       ·          ───────┬──────
       ·                 ╰── no such action in the AWS catalog
       ╰────
      help: did you mean `sqs:CreateQueue`?
    1 error, 0 warnings
    [exit 1]
    ");
}

/// A resource that is not an ARN names no resource type, so no tag policy could be evaluated
/// for it: `eval` refuses it rather than answer that no tag policy applies.
#[test]
fn test_eval_refuses_a_resource_that_is_not_an_arn() {
    let dir = prod_dir();
    let run = tagc(
        dir.path(),
        &[
            "eval",
            "--action",
            "sqs:TagQueue",
            "--tag",
            "owner=a",
            "--resource",
            "queue/orders",
        ],
    );
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    tagc::check::invalid-resource

      × invalid resource ARN `queue/orders`: an ARN starts with `arn:`
       ╭─[command line:1:12]
     1 │ --resource queue/orders
       ·            ──────┬─────
       ·                  ╰── no resource type to evaluate tag policies for
       ╰────
      help: tag policies apply per resource type, read from the ARN: write the resource's full ARN,
            such as `arn:aws:sagemaker:us-east-1:111122223333:training-job/NAME`, or leave the
            resource out
    1 error, 0 warnings
    [exit 1]
    ");
}

/// A request that sets one tag key twice (in any casing) has no single value for
/// `aws:RequestTag/KEY`: `eval` refuses it rather than report a disagreement as a bug in tagc.
#[test]
fn test_eval_refuses_a_tag_key_given_twice() {
    let dir = prod_dir();
    let run = tagc(
        dir.path(),
        &[
            "eval",
            "--action",
            "sqs:CreateQueue",
            "--tag",
            "owner=a",
            "--tag",
            "Owner=b",
        ],
    );
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    tagc::check::duplicate-request-tag

      × the request sets tag `owner` twice
       ╭─[command line:1:7]
     1 │ --tag Owner=b
       ·       ──┬──
       ·         ╰── set again here
       ╰────
      help: a request carries each tag key once; with two keys that differ only in case, AWS does not
            document which value `aws:RequestTag/KEY` holds, so tagc cannot evaluate it: keep one;
            first set here: command line:1:7
    1 error, 0 warnings
    [exit 1]
    ");
}

#[test]
fn test_eval_refuses_an_ou_that_is_not_a_path_from_the_root() {
    let dir = prod_dir();
    let run = tagc(
        dir.path(),
        &[
            "eval",
            "--action",
            "sqs:CreateQueue",
            "--ou",
            "Workloads/Prod",
        ],
    );
    insta::assert_snapshot!(run.transcript(), @r#"
    ----- stdout -----
    ----- stderr -----
    tagc::check::invalid-target

      × invalid target `Workloads/Prod`: an OU path starts at the root, as in `Root/Workloads/ML`
       ╭─[command line:1:6]
     1 │ --ou Workloads/Prod
       ·      ───────┬──────
       ·             ╰── not a valid target
       ╰────
      help: targets are `root`, `ou "Root/Path/To/OU"`, `ou "ou-abcd-12345678"` or `account
            "123456789012"`
    1 error, 0 warnings
    [exit 1]
    "#);
}

#[test]
fn test_eval_refuses_an_ou_the_project_does_not_name() {
    let dir = prod_dir();
    let run = tagc(
        dir.path(),
        &[
            "eval",
            "--action",
            "sqs:CreateQueue",
            "--ou",
            "Root/Workloads/Prd",
        ],
    );
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    tagc::check::unknown-ou

      × the project names no OU `Root/Workloads/Prd`
       ╭─[command line:1:6]
     1 │ --ou Root/Workloads/Prd
       ·      ─────────┬────────
       ·               ╰── no policy or test names this OU, one above it or one below it
       ╰────
      help: did you mean `Root/Workloads/Prod`?
    1 error, 0 warnings
    [exit 1]
    ");
    let run = tagc(
        dir.path(),
        &[
            "eval",
            "--action",
            "sqs:CreateQueue",
            "--ou",
            "Root/Sandbox",
        ],
    );
    insta::assert_snapshot!(
        "eval_refuses_an_ou_the_project_does_not_name_far_from_every_ou",
        run.transcript()
    );
}

#[test]
fn test_eval_answers_for_an_ou_the_project_names_above_at_or_below_a_target() {
    let dir = prod_dir();
    let runs = [
        "Root/Workloads/Prod",
        "Root/Workloads/Prod/Team",
        "Root/Workloads",
    ]
    .map(|ou| vec!["eval", "--action", "sqs:CreateQueue", "--ou", ou]);
    insta::assert_snapshot!(stdouts(dir.path(), runs));
}

#[test]
fn test_eval_iam_line_never_says_allow_next_to_implicitly_denied() {
    let dir = prod_dir();
    let run = tagc(dir.path(), &["eval", "--action", "sns:CreateTopic"]);
    insta::assert_snapshot!(run.transcript());
}

/// A tag policy attached lower in the tree adds to what the root's enforces: from `Root/ML`
/// both are in force, so `tagc test` and `tagc eval --ou` deny a training job's wrong value
/// there, and agree with the rules.
#[test]
fn test_test_and_eval_merge_tag_policies_along_the_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/valid/tag_policy_inheritance.tags"),
        dir.path().join("policies/inheritance.tags"),
    )
    .unwrap();
    let training = "arn:aws:sagemaker:us-east-1:111122223333:training-job/train";
    let processing = "arn:aws:sagemaker:us-east-1:111122223333:processing-job/prep";
    let evals = [
        ("Root/ML", training),
        ("Root/ML", processing),
        ("Root/ML/Deep", training),
        ("Root/Other", training),
        ("Root/Other", processing),
    ]
    .map(|(ou, arn)| {
        vec![
            "eval",
            "--ou",
            ou,
            "--action",
            "sagemaker:AddTags",
            "--tag",
            "env=qa",
            "--resource",
            arn,
        ]
    });
    insta::assert_snapshot!(stdouts(
        dir.path(),
        std::iter::once(vec!["test"]).chain(evals)
    ));
}
