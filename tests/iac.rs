//! `tagc build --emit terraform|cloudformation`: the infrastructure-as-code renderings of a
//! build. Each test runs the binary on a temporary project and reads what it wrote.
//!
//! Terraform itself cannot be installed from the registries the tests reach, so the Terraform
//! JSON is checked against the arguments the provider documents (cited at each list below):
//! every argument written is one the resource takes, every required one is there, and every
//! reference names something the configuration declares. The CloudFormation templates are
//! checked by `cfn-lint`, AWS's own linter, which knows every resource type's schema. In both,
//! each policy's content must be byte for byte the minified document the build measured and
//! hashed: what `tagc apply` sends.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::common::{build_ok as build, root, rules_project as project, tagc};

/// A project with every kind of target, all three layers, and a description holding
/// Terraform's template sequences (`${`, `%{`), which must reach AWS as written.
const RULES: &str = r#"organization {
  project "iac-test"
}

tag owner {
  values "team-*"
}

policy p {
  description "Owner tag, not a ${var.reference} nor a %{directive}"
  require owner on sqs:CreateQueue
  report owner for ec2:instance
  attach to root, ou "Root/Workloads/ML", ou "Root/Sand box", ou "ou-ab12-cdefgh34", account "111122223333"
}
"#;

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The manifest's artifacts by AWS name.
fn artifacts(out: &Path) -> BTreeMap<String, Value> {
    read_json(&out.join("manifest.json"))["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().to_owned(), a.clone()))
        .collect()
}

fn sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex = digest.iter().fold(String::new(), |mut s, b| {
        let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{b:02x}"));
        s
    });
    format!("sha256:{hex}")
}

/// `content` is the artifact's document as the build sent it: its hash is the manifest's
/// (the hash of the minified document, the bytes AWS receives), and it says what the
/// reviewed file says.
fn assert_is_the_emitted_policy(content: &str, artifact: &Value, out: &Path) {
    assert_eq!(sha256(content), artifact["hash"], "{}", artifact["name"]);
    assert_eq!(
        u64::try_from(content.len()).unwrap(),
        artifact["size"].as_u64().unwrap()
    );
    let file = out.join(artifact["file"].as_str().unwrap());
    assert_eq!(
        serde_json::from_str::<Value>(content).unwrap(),
        read_json(&file)
    );
}

/// The ownership tags `tagc apply` sets (`src/aws`: `managed-by`, `tagc:project`, `tagc:hash`).
fn ownership(project: &str, artifact: &Value) -> BTreeMap<String, String> {
    [
        ("managed-by", "tagc"),
        ("tagc:project", project),
        ("tagc:hash", artifact["hash"].as_str().unwrap()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Terraform

/// The arguments of `aws_organizations_policy`:
/// <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/organizations_policy>
const TF_ORG_POLICY_ARGS: &[&str] = &[
    "content",
    "description",
    "name",
    "skip_destroy",
    "type",
    "tags",
];
const TF_ORG_POLICY_REQUIRED: &[&str] = &["content", "name"];
/// `type` of `aws_organizations_policy` (same page): the values the provider accepts.
const TF_ORG_POLICY_TYPES: &[&str] = &[
    "AISERVICES_OPT_OUT_POLICY",
    "BACKUP_POLICY",
    "RESOURCE_CONTROL_POLICY",
    "SERVICE_CONTROL_POLICY",
    "TAG_POLICY",
];
/// The arguments of `aws_organizations_policy_attachment` (all but `skip_destroy` required):
/// <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/organizations_policy_attachment>
const TF_ATTACHMENT_ARGS: &[&str] = &["policy_id", "target_id", "skip_destroy"];
const TF_ATTACHMENT_REQUIRED: &[&str] = &["policy_id", "target_id"];
/// The arguments of `aws_iam_policy`:
/// <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_policy>
const TF_IAM_POLICY_ARGS: &[&str] = &[
    "description",
    "name",
    "name_prefix",
    "path",
    "policy",
    "tags",
];
const TF_IAM_POLICY_REQUIRED: &[&str] = &["policy"];
/// The root's id from the `aws_organizations_organization` data source (`roots`, each with
/// `id`): <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/organizations_organization>
const TF_ROOT_ID: &str = "${data.aws_organizations_organization.this.roots[0].id}";

/// What Terraform makes of a string in JSON syntax: a template, where `$${` and `%%{` stand
/// for `${` and `%{` (<https://developer.hashicorp.com/terraform/language/syntax/json>). Any
/// other `${` or `%{` would be an interpolation or a directive: refused here.
fn tf_string(value: &Value) -> String {
    let s = value.as_str().unwrap();
    let unescaped = s.replace("$${", "").replace("%%{", "");
    assert!(
        !unescaped.contains("${") && !unescaped.contains("%{"),
        "an interpolation where a literal was expected: {s}"
    );
    s.replace("$${", "${").replace("%%{", "%{")
}

/// Every argument is documented and every required one given.
fn assert_arguments(resource: &Value, allowed: &[&str], required: &[&str], what: &str) {
    let map = resource.as_object().unwrap();
    for key in map.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "{what}: undocumented argument `{key}`"
        );
    }
    for key in required {
        assert!(map.contains_key(*key), "{what}: missing `{key}`");
    }
}

/// Check a whole Terraform configuration against the build in `out`, for `project`.
fn check_terraform(out: &Path, project: &str) {
    let config = read_json(&out.join("terraform/main.tf.json"));
    let artifacts = artifacts(out);
    let resources = config["resource"].as_object().unwrap();
    for kind in resources.keys() {
        assert!(
            [
                "aws_organizations_policy",
                "aws_organizations_policy_attachment",
                "aws_iam_policy"
            ]
            .contains(&kind.as_str()),
            "unexpected resource type {kind}"
        );
    }
    let empty = serde_json::Map::new();
    let of_type = |t: &str| {
        resources
            .get(t)
            .and_then(Value::as_object)
            .unwrap_or(&empty)
    };
    let org_policies = of_type("aws_organizations_policy");
    let attachments = of_type("aws_organizations_policy_attachment");
    let iam_policies = of_type("aws_iam_policy");
    // Resource names are Terraform identifiers.
    for name in org_policies
        .keys()
        .chain(attachments.keys())
        .chain(iam_policies.keys())
    {
        let mut chars = name.chars();
        assert!(
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "not a Terraform identifier: {name}"
        );
    }
    if let Some(vars) = config.get("variable").and_then(Value::as_object) {
        let names: Vec<&String> = vars.keys().collect();
        assert_eq!(names, ["ou_ids"]);
    }

    // Every artifact is a resource, with its content, name, description and ownership tags.
    let mut expected_attachments: BTreeSet<(String, String)> = BTreeSet::new();
    for (name, artifact) in &artifacts {
        let kind = artifact["kind"].as_str().unwrap();
        let (resource, content_arg) = if kind == "iam-policy" {
            let r = &iam_policies[name];
            assert_arguments(r, TF_IAM_POLICY_ARGS, TF_IAM_POLICY_REQUIRED, name);
            (r, "policy")
        } else {
            let r = &org_policies[name];
            assert_arguments(r, TF_ORG_POLICY_ARGS, TF_ORG_POLICY_REQUIRED, name);
            let ty = r["type"].as_str().unwrap();
            assert!(TF_ORG_POLICY_TYPES.contains(&ty), "{name}: type {ty}");
            let want = if kind == "scp" {
                "SERVICE_CONTROL_POLICY"
            } else {
                "TAG_POLICY"
            };
            assert_eq!(ty, want, "{name}");
            for target in artifact["targets"].as_array().unwrap() {
                let id = match target["type"].as_str().unwrap() {
                    "root" => TF_ROOT_ID.to_owned(),
                    "ou-path" => format!(
                        "${{var.ou_ids[{}]}}",
                        serde_json::to_string(&target["id"]).unwrap()
                    ),
                    _ => target["id"].as_str().unwrap().to_owned(),
                };
                expected_attachments
                    .insert((format!("${{aws_organizations_policy.{name}.id}}"), id));
            }
            (r, "content")
        };
        assert_eq!(tf_string(&resource["name"]), *name);
        assert_eq!(
            resource
                .get("description")
                .map(tf_string)
                .unwrap_or_default(),
            artifact["description"].as_str().unwrap()
        );
        let content = tf_string(&resource[content_arg]);
        assert_is_the_emitted_policy(&content, artifact, out);
        let tags: BTreeMap<String, String> = resource["tags"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), tf_string(v)))
            .collect();
        assert_eq!(tags, ownership(project, artifact), "{name}");
    }
    assert_eq!(
        org_policies.len() + iam_policies.len(),
        artifacts.len(),
        "a resource that is no artifact"
    );

    check_attachments(&config, attachments, &expected_attachments);
}

/// One attachment per target, referring to a declared policy and to declared inputs.
fn check_attachments(
    config: &Value,
    attachments: &serde_json::Map<String, Value>,
    expected: &BTreeSet<(String, String)>,
) {
    let ou_ids_declared = config["variable"]["ou_ids"]["type"] == "map(string)";
    let reads_org = config["data"]["aws_organizations_organization"]["this"].is_object();
    let mut found = BTreeSet::new();
    for (name, a) in attachments {
        assert_arguments(a, TF_ATTACHMENT_ARGS, TF_ATTACHMENT_REQUIRED, name);
        let target = a["target_id"].as_str().unwrap().to_owned();
        if target.contains("var.") {
            assert!(
                ou_ids_declared,
                "{name} uses an undeclared variable: {target}"
            );
        }
        if target.contains("data.") {
            assert!(reads_org, "{name} uses an undeclared data source: {target}");
        }
        found.insert((a["policy_id"].as_str().unwrap().to_owned(), target));
    }
    assert_eq!(&found, expected);
    assert_eq!(
        found.len(),
        attachments.len(),
        "two attachments of one target"
    );
}

#[test]
fn test_terraform_declares_every_artifact_with_documented_arguments_and_its_exact_content() {
    let dir = project(RULES);
    build(dir.path(), &["--emit", "terraform"]);
    let out = dir.path().join("out");
    check_terraform(&out, "iac-test");
    let config = read_json(&out.join("terraform/main.tf.json"));
    // The targets tagc knows by name are inputs: the OU paths a variable, the root read from
    // the organization; ids are written as they are.
    let targets: BTreeSet<&str> = config["resource"]["aws_organizations_policy_attachment"]
        .as_object()
        .unwrap()
        .values()
        .map(|a| a["target_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from([
            TF_ROOT_ID,
            r#"${var.ou_ids["Root/Sand box"]}"#,
            r#"${var.ou_ids["Root/Workloads/ML"]}"#,
            "111122223333",
            "ou-ab12-cdefgh34",
        ])
    );
    // The description with template sequences is escaped, not interpolated.
    assert_eq!(
        config["resource"]["aws_organizations_policy"]["tagc-p-scp"]["description"],
        "Owner tag, not a $${var.reference} nor a %%{directive}"
    );
}

#[test]
fn test_terraform_for_the_shipped_policies_matches_their_build() {
    let dir = tempfile::tempdir().unwrap();
    let policies = root().join("policies");
    let run = tagc(
        dir.path(),
        &[
            "build",
            policies.to_str().unwrap(),
            "--out",
            "out",
            "--emit",
            "terraform",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    check_terraform(&dir.path().join("out"), "platform-guardrails");
}

// ---------------------------------------------------------------------------------------------
// CloudFormation

/// The outcome of installing cfn-lint, once per test run.
static CFN_LINT_INSTALL: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();

/// Where `cfn-lint` is: `TAGC_CFN_LINT`, then `.venv/bin/` of the project at the version
/// `.ci/install-cfn-lint` pins. A `cfn-lint` on `PATH` is not used: its version, and so its list
/// of known actions, is not the one the tests were written against.
fn cfn_lint() -> PathBuf {
    crate::common::venv_program(
        "TAGC_CFN_LINT",
        "install-cfn-lint",
        "cfn-lint",
        &CFN_LINT_INSTALL,
    )
}

/// Run cfn-lint on a template; its exit code and output.
pub(crate) fn lint(template: &Path) -> (i32, String) {
    let out = Command::new(cfn_lint())
        .arg("--")
        .arg(template)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cfn-lint: {e}"));
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Check a template against the build in `out`, for `project`; returns the parameters it
/// declares.
fn check_cloudformation(out: &Path, project: &str) -> BTreeSet<String> {
    let path = out.join("cloudformation/template.json");
    let (code, report) = lint(&path);
    assert_eq!(code, 0, "cfn-lint found problems:\n{report}");
    let template = read_json(&path);
    let parameters: BTreeSet<String> = template
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let artifacts = artifacts(out);
    let resources = template["Resources"].as_object().unwrap();
    assert_eq!(resources.len(), artifacts.len());
    for r in resources.values() {
        let p = &r["Properties"];
        if r["Type"] == "AWS::IAM::ManagedPolicy" {
            let name = p["ManagedPolicyName"].as_str().unwrap();
            let artifact = &artifacts[name];
            assert_eq!(artifact["kind"], "iam-policy");
            // IAM keeps no byte form (its limit ignores whitespace): the document is equal.
            let file = out.join(artifact["file"].as_str().unwrap());
            assert_eq!(p["PolicyDocument"], read_json(&file), "{name}");
            continue;
        }
        assert_eq!(r["Type"], "AWS::Organizations::Policy");
        let name = p["Name"].as_str().unwrap();
        let artifact = &artifacts[name];
        assert_eq!(p["Description"], artifact["description"]);
        assert_is_the_emitted_policy(p["Content"].as_str().unwrap(), artifact, out);
        let tags: BTreeMap<String, String> = p["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["Key"].as_str().unwrap().to_owned(),
                    t["Value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(tags, ownership(project, artifact), "{name}");
        let targets = artifact["targets"].as_array().unwrap();
        let ids = p["TargetIds"].as_array().unwrap();
        assert_eq!(ids.len(), targets.len(), "{name}");
        for (target, id) in targets.iter().zip(ids) {
            match target["type"].as_str().unwrap() {
                "root" => assert_eq!(id["Ref"], "RootId"),
                "ou-path" => {
                    let param = id["Ref"].as_str().unwrap();
                    assert!(parameters.contains(param), "{param} is not declared");
                    let description = template["Parameters"][param]["Description"]
                        .as_str()
                        .unwrap();
                    assert!(
                        description.ends_with(target["id"].as_str().unwrap()),
                        "{param}: {description}"
                    );
                }
                _ => assert_eq!(id, &target["id"]),
            }
        }
    }
    parameters
}

#[test]
fn test_cloudformation_template_is_lint_clean_with_targets_as_parameters_and_exact_content() {
    let dir = project(RULES);
    build(dir.path(), &["--emit", "cloudformation"]);
    let parameters = check_cloudformation(&dir.path().join("out"), "iac-test");
    assert_eq!(
        parameters,
        BTreeSet::from([
            "OuRootSandBox".to_owned(),
            "OuRootWorkloadsML".to_owned(),
            "RootId".to_owned()
        ])
    );
}

#[test]
fn test_cloudformation_for_the_shipped_policies_is_lint_clean() {
    let dir = tempfile::tempdir().unwrap();
    let policies = root().join("policies");
    let run = tagc(
        dir.path(),
        &[
            "build",
            policies.to_str().unwrap(),
            "--out",
            "out",
            "--emit",
            "cloudformation",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    check_cloudformation(&dir.path().join("out"), "platform-guardrails");
}

#[test]
fn test_cfn_lint_rejects_a_template_that_breaks_a_resource_schema() {
    // The lint tests above mean something only if cfn-lint checks the resource schemas: a
    // policy without its required `Content` must fail.
    let dir = project(RULES);
    build(dir.path(), &["--emit", "cloudformation"]);
    let path = dir.path().join("out/cloudformation/template.json");
    let mut template = read_json(&path);
    for r in template["Resources"].as_object_mut().unwrap().values_mut() {
        if r["Type"] == "AWS::Organizations::Policy" {
            r["Properties"].as_object_mut().unwrap().remove("Content");
        }
    }
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, serde_json::to_string_pretty(&template).unwrap()).unwrap();
    let (code, report) = lint(&broken);
    assert_ne!(code, 0, "{report}");
    assert!(report.contains("Content"), "{report}");
}

// ---------------------------------------------------------------------------------------------
// Output directory, manifest, refusal

#[test]
fn test_emitted_files_are_listed_in_the_manifest_and_replaced_by_the_next_build() {
    let dir = project(RULES);
    let run = build(
        dir.path(),
        &["--emit", "terraform", "--emit", "cloudformation"],
    );
    assert!(
        run.stderr.contains("out/terraform/main.tf.json"),
        "{}",
        run.stderr
    );
    let out = dir.path().join("out");
    assert_eq!(
        read_json(&out.join("manifest.json"))["iac"],
        serde_json::json!(["terraform/main.tf.json", "cloudformation/template.json"])
    );
    // `--check` with the same formats: up to date; without them: the renderings are extra,
    // and tagc's to delete.
    let fresh = tagc(
        dir.path(),
        &[
            "build",
            "--out",
            "out",
            "--check",
            "--emit",
            "terraform",
            "--emit",
            "cloudformation",
        ],
    );
    assert_eq!(fresh.code, 0, "{}", fresh.transcript());
    let stale = tagc(dir.path(), &["build", "--out", "out", "--check"]);
    assert_eq!(stale.code, 1, "{}", stale.transcript());
    assert!(
        stale
            .stderr
            .contains("`out/terraform/main.tf.json` is no longer written: a build deletes it"),
        "{}",
        stale.stderr
    );
    // A build without `--emit` replaces the directory (the manifest made the files tagc's)
    // and leaves no rendering behind.
    build(dir.path(), &[]);
    assert!(!out.join("terraform").exists());
    assert!(!out.join("cloudformation").exists());
    assert!(read_json(&out.join("manifest.json")).get("iac").is_none());
}

#[test]
fn test_emit_without_a_project_name_is_refused_and_writes_nothing() {
    let dir = project(
        "tag owner\n\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n",
    );
    let run = tagc(
        dir.path(),
        &["build", "--out", "out", "--emit", "terraform"],
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr.contains("tagc::iac::no-project"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("help:"), "{}", run.stderr);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn test_emit_with_json_format_prints_the_manifest_listing_the_renderings() {
    let dir = project(RULES);
    let run = build(dir.path(), &["--emit", "terraform", "--format", "json"]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    let manifest = &report["manifest"];
    assert_eq!(
        manifest["iac"],
        serde_json::json!(["terraform/main.tf.json"])
    );
    assert_eq!(*manifest, read_json(&dir.path().join("out/manifest.json")));
}
