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
            .contains("require sagemaker:CreateTrainingJob → 1 actions"),
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
