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
fn test_eval_rejects_a_malformed_tag_as_a_usage_error() {
    let run = tagc(
        &root(),
        &["eval", "--action", "sqs:CreateQueue", "--tag", "owner"],
    );
    assert_eq!(run.code, 64, "{}", run.transcript());
    assert!(
        run.stderr.contains("`owner` is not KEY=VALUE"),
        "{}",
        run.stderr
    );
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
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr
            .contains("the project names `Root/Workloads`, `Root/Workloads/Prod`"),
        "{}",
        run.stderr
    );
}

#[test]
fn test_eval_answers_for_an_ou_the_project_names_above_at_or_below_a_target() {
    let dir = prod_dir();
    for (ou, decision) in [
        ("Root/Workloads/Prod", "deny"),
        ("Root/Workloads/Prod/Team", "deny"),
        ("Root/Workloads", "allow"),
    ] {
        let run = tagc(
            dir.path(),
            &["eval", "--action", "sqs:CreateQueue", "--ou", ou],
        );
        assert_eq!(run.code, 0, "{}", run.transcript());
        assert!(
            run.stdout.contains(&format!("scp:        {decision}")),
            "{ou}: {}",
            run.stdout
        );
    }
}

#[test]
fn test_eval_iam_line_never_says_allow_next_to_implicitly_denied() {
    let dir = prod_dir();
    let run = tagc(dir.path(), &["eval", "--action", "sns:CreateTopic"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(!run.stdout.contains("implicitly denied"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "  iam:        allow\n      not denied: no statement of tagc's IAM policies decides `sns:CreateTopic`"
        ),
        "{}",
        run.stdout
    );
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
    let run = tagc(dir.path(), &["test"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.ends_with("3 passed, 0 failed\n"),
        "{}",
        run.stdout
    );

    let eval = |ou: &str, arn: &str| {
        tagc(
            dir.path(),
            &[
                "eval",
                "--ou",
                ou,
                "--action",
                "sagemaker:AddTags",
                "--tag",
                "env=qa",
                "--resource",
                arn,
            ],
        )
    };
    let training = "arn:aws:sagemaker:us-east-1:111122223333:training-job/train";
    let processing = "arn:aws:sagemaker:us-east-1:111122223333:processing-job/prep";
    for (ou, arn, decision) in [
        ("Root/ML", training, "deny"),
        ("Root/ML", processing, "deny"),
        ("Root/ML/Deep", training, "deny"),
        ("Root/Other", training, "deny"),
        ("Root/Other", processing, "allow"),
    ] {
        let run = eval(ou, arn);
        assert_eq!(run.code, 0, "{ou} {arn}: {}", run.transcript());
        assert!(
            run.stdout.contains(&format!("tag-policy: {decision}\n")),
            "{ou} {arn}: {}",
            run.stdout
        );
    }
}
