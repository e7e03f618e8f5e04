//! The `tagc` binary: stdout, stderr and exit codes as users and CI see them.

use crate::common::{root, tagc};

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
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("tagc::check::unknown-tag"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `owner`?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("policies/bad.tags:2:11"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with("1 error, 0 warnings\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn test_check_json_format_prints_machine_readable_diagnostics() {
    let dir = fixture_dir();
    std::fs::write(dir.path().join("policies/bad.tags"), "tag \"aws:x\"\n").unwrap();
    let run = tagc(dir.path(), &["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json["diagnostics"][0]["code"],
        "tagc::check::invalid-tag-key"
    );
}

#[test]
fn test_build_writes_artifacts_and_manifest() {
    let dir = fixture_dir();
    let run = tagc(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = dir.path().join("out");
    let scp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("p/scp.json")).unwrap()).unwrap();
    assert_eq!(
        scp["Statement"][0]["Condition"]["Null"]["aws:RequestTag/owner"],
        "true"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let kinds: Vec<&str> = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["scp", "iam-policy", "tag-policy"]);
    assert!(run.stderr.contains("/  10240 chars"), "{}", run.stderr);
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
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("stale:"), "{}", run.stderr);
}

#[test]
fn test_build_explain_shows_expansions() {
    let run = tagc(
        &root(),
        &[
            "build",
            "--explain",
            "--out",
            &tempfile::tempdir().unwrap().path().display().to_string(),
            "examples/sagemaker-cost-allocation.tags",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("require sagemaker:CreateTrainingJob → 1 action"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("sagemaker:training-job — environment"),
        "{}",
        run.stderr
    );
}

#[test]
fn test_missing_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = tagc(dir.path(), &["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("tagc::load::unreadable"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("cannot read `policies`"),
        "{}",
        run.stderr
    );
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
    let run = tagc(&root(), &["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Examples:"));
    assert!(run.stdout.contains("tagc build --out out/"));
}

#[test]
fn test_catalog_info_shows_date_and_counts() {
    let run = tagc(&root(), &["catalog", "info"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("2026-08-22"), "{}", run.stdout);
    assert!(run.stdout.contains("466"), "{}", run.stdout);
}

#[test]
fn test_test_command_runs_the_shipped_tests() {
    let run = tagc(&root(), &["test"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let last = run.stdout.lines().last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    assert!(!run.stdout.contains("FAIL"), "{}", run.stdout);
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
fn test_test_command_warns_about_vacuous_tests() {
    let dir = fixture_dir();
    std::fs::write(
        dir.path().join("policies/tests.tags"),
        "test \"a topic is allowed\" {\n  request sns:CreateTopic\n  expect allow\n}\n",
    )
    .unwrap();
    let run = tagc(dir.path(), &["test"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("warning: no rule could affect this request"),
        "{}",
        run.stdout
    );
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
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["failed"], 0);
    let first = &json["tests"][0];
    assert_eq!(
        first["name"],
        "a training job without environment is denied"
    );
    assert_eq!(first["layers"][0]["layer"], "scp");
    assert_eq!(first["layers"][0]["decision"], "deny");
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
          policy "tagc-sagemaker-cost-allocation-scp" statement 0 (Sid "RequireEnvironment") not applied: Null aws:RequestTag/environment = true failed (key present)
          policy "tagc-sagemaker-cost-allocation-scp" statement 1 (Sid "RequireEnvironmentValue") not applied: StringNotEquals aws:RequestTag/environment = [dev, staging, production] failed (request value "dev")
          policy "tagc-sagemaker-cost-allocation-scp" statement 2 (Sid "RequireEnvironmentCase") not applied: ForAllValues:StringNotEquals aws:TagKeys = environment failed (request values ["environment", "CostCenter"])
          policy "tagc-sagemaker-cost-allocation-scp" statement 3 (Sid "RequireCostCenter") not applied: Null aws:RequestTag/CostCenter = true failed (key present)
          policy "tagc-sagemaker-cost-allocation-scp" statement 4 (Sid "RequireCostCenterValue") not applied: StringNotLike aws:RequestTag/CostCenter = CC-* failed (request value "CC-1")
      iam:        allow
          allowed by policy "tagc-sagemaker-cost-allocation-iam-policy" statement 7 (Sid "AllowCreateWithTags"): StringEquals aws:RequestTag/environment = [dev, staging, production] matched (request value "dev") and StringLike aws:RequestTag/CostCenter = CC-* matched (request value "CC-1") and Null aws:TagKeys = false matched (key present) and ForAllValues:StringEqualsIgnoreCase aws:TagKeys = [environment, CostCenter] matched (request values ["environment", "CostCenter"]) and ForAnyValue:StringEquals aws:TagKeys = environment matched (request values ["environment", "CostCenter"])
      tag-policy: allow
          the request names no resource, so no tag policy applies
    "#);
}

#[test]
fn test_eval_rejects_a_malformed_tag() {
    let run = tagc(
        &root(),
        &["eval", "--action", "sqs:CreateQueue", "--tag", "owner"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`--tag owner` is not KEY=VALUE"),
        "{}",
        run.stderr
    );
}
