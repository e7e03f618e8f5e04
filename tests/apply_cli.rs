//! `tagc plan` and `tagc apply` end to end: the `tagc` binary against a real moto server.
//!
//! Each test starts its own moto server on 127.0.0.1 (see [`crate::apply::moto`]), creates an
//! organization with the OUs `Root/Workloads/{ML,Data}` and `Root/Sandbox` through the SDK,
//! writes a small project of `.tags` files into a temp dir, and runs the binary with the
//! server's environment (endpoint, dummy credentials, no retries). Each test checks what an
//! operator sees (stdout, stderr and the exit code, as snapshots with ids, hashes and ports
//! replaced by placeholders) and the organization as read back through the API.
//!
//! The library-level tests in `tests/apply.rs` check the same steps without the binary. The
//! rules moto does not enforce (sizes, slots, the last SCP) are unit-tested against the strict
//! fake in `src/aws/`.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failed call to the emulator should fail the test"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use aws_sdk_organizations::types::PolicyType as SdkPolicyType;
use tagc::artifact::Artifact;
use tagc::aws::sdk::SdkOrganizations;

use crate::apply::moto::Moto;
use crate::common::{Run, compile_paths, tagc_env};

/// The project's name and tag vocabulary.
const TAGS: &str = r#"organization {
  project "guardrails"
}

tag environment {
  values "dev" "production"
}

tag owner
"#;

/// An SCP and a tag policy, attached to one OU.
const ML: &str = r#"policy ml {
  description "ML guardrails"
  require environment on sagemaker:CreateTrainingJob
  enforce environment for sagemaker:training-job
  attach to ou "Root/Workloads/ML"
}
"#;

/// An SCP attached to the root.
const EVERYWHERE: &str = r#"policy everywhere {
  description "Every topic names its owner"
  require owner on sns:CreateTopic
  attach to root
}
"#;

/// An organization in a fresh moto server, and a project directory to run `tagc` in.
struct Org {
    moto: Moto,
    api: SdkOrganizations,
    dir: tempfile::TempDir,
    /// OU and root ids by path (`Root`, `Root/Workloads/ML`, …).
    paths: BTreeMap<String, String>,
}

impl Org {
    /// Starts moto and creates the organization: Root/Workloads/{ML,Data}, Root/Sandbox. The
    /// project holds `policies/tags.tags`, `policies/ml.tags` and `policies/everywhere.tags`.
    fn new() -> Self {
        let moto = Moto::start();
        let api = moto.api();
        let paths = Moto::create_organization(
            &api,
            &[
                "Root/Workloads",
                "Root/Workloads/ML",
                "Root/Workloads/Data",
                "Root/Sandbox",
            ],
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("policies")).unwrap();
        let org = Self {
            moto,
            api,
            dir,
            paths,
        };
        org.write("tags.tags", TAGS);
        org.write("ml.tags", ML);
        org.write("everywhere.tags", EVERYWHERE);
        org
    }

    /// Writes `policies/<file>`.
    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.dir.path().join("policies").join(file), text).unwrap();
    }

    /// Deletes `policies/<file>`.
    fn remove(&self, file: &str) {
        std::fs::remove_file(self.dir.path().join("policies").join(file)).unwrap();
    }

    /// Runs `tagc` in the project directory against this server.
    fn tagc(&self, args: &[&str]) -> Run {
        let run = tagc_env(self.dir.path(), args, &self.moto.env());
        // Shown when a test fails.
        println!("$ tagc {}\n{}", args.join(" "), run.transcript());
        run
    }

    /// Runs `tagc apply` on a terminal (a pseudo-terminal from util-linux `script`) and types
    /// `answer` at its prompt.
    fn apply_on_a_terminal(&self, answer: &str) -> Run {
        let command = format!("'{}' apply", env!("CARGO_BIN_EXE_tagc"));
        let mut child = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .envs(self.moto.env())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("util-linux `script` runs the command on a terminal");
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), answer.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let run = Run {
            // The terminal merges stdout and stderr, and ends lines with CRLF.
            stdout: String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        };
        println!(
            "$ tagc apply (on a terminal, answering {answer:?})\n{}",
            run.transcript()
        );
        run
    }

    /// The project's artifacts by AWS name, as `tagc build` compiles them.
    fn artifacts(&self) -> BTreeMap<String, Artifact> {
        let compiled = compile_paths(&[self.dir.path().join("policies")]);
        compiled
            .manifest
            .artifacts
            .into_iter()
            .map(|a| (a.name.clone(), a))
            .collect()
    }

    /// A label for a target id: its path, or `account <id>`.
    fn label(&self, id: &str) -> String {
        self.paths
            .iter()
            .find(|(_, v)| *v == id)
            .map_or_else(|| format!("account {id}"), |(path, _)| path.clone())
    }

    /// The id of the root or OU at `path`.
    fn id(&self, path: &str) -> &str {
        &self.paths[path]
    }

    /// Every SCP and tag policy as AWS has it, by name.
    fn policies(&self) -> BTreeMap<String, Live> {
        let c = self.api.client();
        let mut out = BTreeMap::new();
        for ty in [
            SdkPolicyType::ServiceControlPolicy,
            SdkPolicyType::TagPolicy,
        ] {
            let list = self
                .api
                .block_on(c.list_policies().filter(ty.clone()).send())
                .unwrap();
            assert!(list.next_token().is_none(), "more policies than one page");
            for p in list.policies() {
                let id = p.id().unwrap().to_owned();
                let described = self
                    .api
                    .block_on(c.describe_policy().policy_id(&id).send())
                    .unwrap();
                let content = described.policy().unwrap().content().unwrap().to_owned();
                let tags = if p.aws_managed() {
                    Vec::new()
                } else {
                    let tags = self
                        .api
                        .block_on(c.list_tags_for_resource().resource_id(&id).send())
                        .unwrap();
                    let mut tags: Vec<(String, String)> = tags
                        .tags()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned()))
                        .collect();
                    tags.sort();
                    tags
                };
                let targets = self
                    .api
                    .block_on(c.list_targets_for_policy().policy_id(&id).send())
                    .unwrap();
                let mut targets: Vec<String> = targets
                    .targets()
                    .iter()
                    .map(|t| self.label(t.target_id().unwrap()))
                    .collect();
                targets.sort();
                out.insert(
                    p.name().unwrap().to_owned(),
                    Live {
                        id,
                        ty: ty.as_str().to_owned(),
                        description: p.description().unwrap_or_default().to_owned(),
                        content,
                        tags,
                        targets,
                    },
                );
            }
        }
        out
    }

    /// The policy types enabled on the root.
    fn enabled_types(&self) -> Vec<String> {
        let roots = self
            .api
            .block_on(self.api.client().list_roots().send())
            .unwrap();
        let mut types: Vec<String> = roots.roots()[0]
            .policy_types()
            .iter()
            .map(|t| {
                format!(
                    "{} {}",
                    t.r#type().unwrap().as_str(),
                    t.status().unwrap().as_str()
                )
            })
            .collect();
        types.sort();
        types
    }

    /// The organization as text: enabled types, then every policy with its type, tags and
    /// targets (content as its hash; [`Self::assert_applied`] checks the content itself).
    fn state(&self) -> String {
        let mut s = String::new();
        writeln!(s, "enabled: {}", self.enabled_types().join(", ")).unwrap();
        for (name, p) in self.policies() {
            let tags: Vec<String> = p.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            writeln!(
                s,
                "{name} ({}, {}) [{}] on {}",
                p.ty,
                p.id,
                tags.join(" "),
                p.targets.join(", ")
            )
            .unwrap();
        }
        s
    }

    /// Asserts AWS holds exactly the project's policies, tagc's and AWS's own: the content as
    /// written to the files, the description, both tags and the declared targets.
    fn assert_applied(&self) {
        let live = self.policies();
        let artifacts: BTreeMap<String, Artifact> = self
            .artifacts()
            .into_iter()
            .filter(|(_, a)| a.kind != tagc::artifact::ArtifactKind::IamPolicy)
            .collect();
        let owned: Vec<&String> = live.keys().filter(|n| *n != "FullAWSAccess").collect();
        assert_eq!(
            owned,
            artifacts.keys().collect::<Vec<_>>(),
            "{}",
            self.state()
        );
        for (name, a) in &artifacts {
            let p = &live[name];
            assert_eq!(*p.content, *a.content, "content of {name}");
            assert_eq!(p.description, a.description, "description of {name}");
            assert_eq!(
                p.tags,
                [
                    ("managed-by".to_owned(), "tagc".to_owned()),
                    ("tagc:hash".to_owned(), a.hash.clone()),
                    ("tagc:project".to_owned(), "guardrails".to_owned()),
                ],
                "tags of {name}"
            );
            let mut declared: Vec<String> = a
                .targets
                .iter()
                .map(|t| match t {
                    tagc::model::Target::Root => "Root".to_owned(),
                    tagc::model::Target::OuPath(p) => p.clone(),
                    other => panic!("unexpected target {other:?}"),
                })
                .collect();
            declared.sort();
            assert_eq!(p.targets, declared, "targets of {name}");
        }
        self.assert_full_aws_access_everywhere();
    }

    /// `FullAWSAccess` is still attached to the root, every OU and every account.
    fn assert_full_aws_access_everywhere(&self) {
        let live = self.policies();
        let full = &live["FullAWSAccess"].targets;
        for path in self.paths.keys() {
            assert!(full.contains(path), "FullAWSAccess not on {path}: {full:?}");
        }
    }
}

/// A policy as AWS has it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Live {
    id: String,
    ty: String,
    description: String,
    content: String,
    tags: Vec<(String, String)>,
    /// Labels of the targets, sorted.
    targets: Vec<String>,
}

/// Replaces what changes from run to run (ids, hashes, ports, timings) with placeholders.
fn redactions() -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in [
        (r"\bp-[0-9a-z]{8}\b", "p-[id]"),
        (r"\bou-[0-9a-z]{4,32}-[0-9a-z]{8,32}\b", "ou-[id]"),
        (r"\br-[0-9a-z]{4,32}\b", "r-[root]"),
        (r"sha256:[0-9a-f]{64}", "sha256:[hash]"),
        (r"sha256:[0-9a-f]{12}…", "sha256:[hash]…"),
        (r"127\.0\.0\.1:[0-9]+", "127.0.0.1:[port]"),
    ] {
        settings.add_filter(pattern, replacement);
    }
    settings.bind_to_scope()
}

/// The steps of a `--format json` plan as `action name target` lines.
fn json_steps(stdout: &str) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(stdout).expect("plan JSON");
    assert_eq!(report["version"], 1, "{report}");
    report["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let name = s["name"]
                .as_str()
                .or_else(|| s["policy"]["name"].as_str())
                .or_else(|| s["policy_type"].as_str())
                .unwrap_or("?");
            let target = s["target"]["label"].as_str().unwrap_or("");
            format!("{} {name} {target}", s["action"].as_str().unwrap())
                .trim_end()
                .to_owned()
        })
        .collect()
}

fn apply_yes(org: &Org) {
    let run = org.tagc(&["apply", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
}

#[test]
fn test_plan_on_an_empty_org_lists_types_creates_and_attachments_and_exits_2() {
    let _r = redactions();
    let org = Org::new();
    let before = org.state();

    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("empty_org__plan", run.transcript());
    assert_eq!(run.code, 2);

    let run = org.tagc(&["plan", "--format", "json", "policies"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert_eq!(
        json_steps(&run.stdout),
        [
            "enable-policy-type SERVICE_CONTROL_POLICY",
            "enable-policy-type TAG_POLICY",
            "create-policy tagc-everywhere-scp",
            "create-policy tagc-everywhere-tag-policy",
            "create-policy tagc-ml-scp",
            "create-policy tagc-ml-tag-policy",
            "attach-policy tagc-everywhere-scp Root",
            "attach-policy tagc-everywhere-tag-policy Root",
            "attach-policy tagc-ml-scp Root/Workloads/ML",
            "attach-policy tagc-ml-tag-policy Root/Workloads/ML",
        ]
    );
    // A plan changes nothing.
    assert_eq!(org.state(), before);
}

#[test]
fn test_apply_yes_creates_tagged_policies_then_plan_and_apply_find_nothing_to_do() {
    let _r = redactions();
    let org = Org::new();

    let run = org.tagc(&["apply", "--yes"]);
    insta::assert_snapshot!("first_apply__apply", run.transcript());
    assert_eq!(run.code, 0);
    org.assert_applied();
    let applied = org.state();
    insta::assert_snapshot!("first_apply__state", applied);

    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("first_apply__plan_after_apply", run.transcript());
    assert_eq!(run.code, 0);

    let run = org.tagc(&["apply", "--yes"]);
    insta::assert_snapshot!("first_apply__second_apply", run.transcript());
    assert_eq!(run.code, 0);
    assert_eq!(
        org.state(),
        applied,
        "a no-op apply changed the organization"
    );
}

#[test]
fn test_content_change_shows_a_json_diff_and_apply_converges() {
    let _r = redactions();
    let org = Org::new();
    apply_yes(&org);
    let ids = org.policies();

    org.write(
        "tags.tags",
        &TAGS.replace(r#""production""#, r#""production" "staging""#),
    );
    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("content_change__plan", run.transcript());
    assert_eq!(run.code, 2);

    apply_yes(&org);
    org.assert_applied();
    // Updated in place: the same policies, not new ones.
    let after = org.policies();
    for name in ["tagc-ml-scp", "tagc-ml-tag-policy"] {
        assert_eq!(after[name].id, ids[name].id, "{name} was replaced");
        assert_ne!(after[name].content, ids[name].content, "{name} not updated");
    }
    assert_eq!(org.tagc(&["plan"]).code, 0);
}

#[test]
fn test_description_change_shows_the_old_and_new_description() {
    let _r = redactions();
    let org = Org::new();
    apply_yes(&org);

    org.write(
        "ml.tags",
        &ML.replace("ML guardrails", "ML platform guardrails"),
    );
    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("description_change__plan", run.transcript());
    assert_eq!(run.code, 2);

    apply_yes(&org);
    org.assert_applied();
    assert_eq!(org.tagc(&["plan"]).code, 0);
}

#[test]
fn test_target_change_attaches_before_detaching_and_keeps_full_aws_access() {
    let _r = redactions();
    let org = Org::new();
    apply_yes(&org);

    org.write(
        "ml.tags",
        &ML.replace(r#"ou "Root/Workloads/ML""#, r#"ou "Root/Sandbox""#),
    );
    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("target_change__plan", run.transcript());
    assert_eq!(run.code, 2);

    let run = org.tagc(&["apply", "--yes"]);
    insta::assert_snapshot!("target_change__apply", run.transcript());
    assert_eq!(run.code, 0);
    org.assert_applied();
    let live = org.policies();
    assert_eq!(live["tagc-ml-scp"].targets, ["Root/Sandbox"]);
    assert_eq!(live["tagc-ml-tag-policy"].targets, ["Root/Sandbox"]);
    assert_eq!(org.tagc(&["plan"]).code, 0);
}

#[test]
fn test_removed_policy_is_detached_and_deleted() {
    let _r = redactions();
    let org = Org::new();
    apply_yes(&org);
    let everywhere = org.policies()["tagc-everywhere-scp"].id.clone();

    org.remove("everywhere.tags");
    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("removed_policy__plan", run.transcript());
    assert_eq!(run.code, 2);

    apply_yes(&org);
    org.assert_applied();
    assert!(!org.policies().contains_key("tagc-everywhere-scp"));
    let gone = org.api.block_on(
        org.api
            .client()
            .describe_policy()
            .policy_id(&everywhere)
            .send(),
    );
    assert!(gone.is_err(), "{gone:?}");
    assert_eq!(org.tagc(&["plan"]).code, 0);
}

#[test]
fn test_drift_is_reported_and_apply_restores_the_declared_content() {
    let _r = redactions();
    let org = Org::new();
    apply_yes(&org);
    let scp = org.policies()["tagc-ml-scp"].clone();
    let edited = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sagemaker:CreateTrainingJob","Resource":"*"}]}"#;
    org.api
        .block_on(
            org.api
                .client()
                .update_policy()
                .policy_id(&scp.id)
                .content(edited)
                .send(),
        )
        .unwrap();

    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("drift__plan", run.transcript());
    assert_eq!(run.code, 2);
    let run = org.tagc(&["plan", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    crate::report::assert_valid(crate::report::REPORT, &report);
    let plan = &report["plan"];
    assert_eq!(plan["drift"][0]["name"], "tagc-ml-scp", "{plan}");
    assert_eq!(plan["drift"][0]["policy_id"], scp.id.as_str(), "{plan}");

    apply_yes(&org);
    org.assert_applied();
    assert_eq!(org.tagc(&["plan"]).code, 0);
}

#[test]
fn test_unknown_ou_path_exits_1_with_did_you_mean_and_changes_nothing() {
    let _r = redactions();
    let org = Org::new();
    org.write(
        "ml.tags",
        &ML.replace(r#"ou "Root/Workloads/ML""#, r#"ou "Root/Workload/ML""#),
    );
    let before = org.state();

    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("unknown_ou_path__plan", run.transcript());
    assert_eq!(run.code, 1);

    let run = org.tagc(&["apply", "--yes"]);
    insta::assert_snapshot!("unknown_ou_path__apply", run.transcript());
    assert_eq!(run.code, 1);

    // With `--format json`, the error is JSON on stdout, as compile errors are.
    let run = org.tagc(&["plan", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(report["summary"]["errors"], 1, "{report}");
    assert_eq!(report["command"], "plan", "{report}");
    let error = &report["diagnostics"][0];
    assert_eq!(error["code"], "tagc::aws::unknown-target", "{report}");
    assert_eq!(
        error["help"], "did you mean `Root/Workloads/ML`?",
        "{report}"
    );
    assert_eq!(org.state(), before);
}

#[test]
fn test_unreachable_endpoint_exits_1_with_a_readable_error() {
    let _r = redactions();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/tags.tags"), TAGS).unwrap();
    std::fs::write(dir.path().join("policies/ml.tags"), ML).unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_MAX_ATTEMPTS", "1".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
    ];
    let run = tagc_env(dir.path(), &["plan", "--endpoint-url", &endpoint], &env);
    insta::assert_snapshot!("unreachable__plan", run.transcript());
    assert_eq!(run.code, 1);
}

#[test]
fn test_apply_without_yes_and_without_a_terminal_exits_1_and_changes_nothing() {
    let _r = redactions();
    let org = Org::new();
    let before = org.state();

    let run = org.tagc(&["apply"]);
    insta::assert_snapshot!("apply_without_yes__apply", run.transcript());
    assert_eq!(run.code, 1);
    assert_eq!(org.state(), before);
}

#[test]
fn test_apply_asks_on_a_terminal_and_no_changes_nothing() {
    let _r = redactions();
    let org = Org::new();
    let before = org.state();

    let run = org.apply_on_a_terminal("n\n");
    // The terminal echoes the answer whenever it arrives, which may fall anywhere in the
    // output, so the output is searched rather than compared whole.
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("apply 10 changes? [y/N]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("apply cancelled: nothing was changed"),
        "{}",
        run.stdout
    );
    assert_eq!(org.state(), before);
}

#[test]
fn test_apply_asks_on_a_terminal_and_yes_applies() {
    let _r = redactions();
    let org = Org::new();

    let run = org.apply_on_a_terminal("yes\n");
    // The terminal echoes the answer whenever it arrives: see the test above.
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("[y/N]"), "{}", run.stdout);
    assert!(run.stdout.contains("applied 10 changes"), "{}", run.stdout);
    assert_eq!(org.tagc(&["plan"]).code, 0);
}

#[test]
fn test_policy_with_a_declared_name_not_owned_by_tagc_is_never_touched() {
    let _r = redactions();
    let org = Org::new();
    let c = org.api.client();
    org.api
        .block_on(
            c.enable_policy_type()
                .root_id(org.id("Root"))
                .policy_type(SdkPolicyType::ServiceControlPolicy)
                .send(),
        )
        .unwrap();
    let theirs = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
    let created = org
        .api
        .block_on(
            c.create_policy()
                .name("tagc-ml-scp")
                .description("someone else's")
                .r#type(SdkPolicyType::ServiceControlPolicy)
                .content(theirs)
                .send(),
        )
        .unwrap();
    let id = created
        .policy()
        .unwrap()
        .policy_summary()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    org.api
        .block_on(
            c.attach_policy()
                .policy_id(&id)
                .target_id(org.id("Root/Sandbox"))
                .send(),
        )
        .unwrap();
    let before = org.state();

    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("not_owned__plan", run.transcript());
    assert_eq!(run.code, 1);

    let run = org.tagc(&["apply", "--yes"]);
    insta::assert_snapshot!("not_owned__apply", run.transcript());
    assert_eq!(run.code, 1);
    assert_eq!(org.state(), before);
    let live = &org.policies()["tagc-ml-scp"];
    assert_eq!(live.content, theirs);
    assert_eq!(live.targets, ["Root/Sandbox"]);

    // Removed from the files, it is still not tagc's to delete.
    org.remove("ml.tags");
    let run = org.tagc(&["apply", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let live = &org.policies()["tagc-ml-scp"];
    assert_eq!(live.content, theirs);
    assert_eq!(live.targets, ["Root/Sandbox"]);
    assert_eq!(live.id, id);
}

#[test]
fn test_emptied_files_are_refused_by_plan_and_apply_unless_allow_destroy() {
    let _r = redactions();
    let org = Org::new();
    apply_yes(&org);
    let applied = org.state();

    // A truncated checkout: the policy files are there, and empty.
    org.write("ml.tags", "");
    org.write("everywhere.tags", "");
    assert_eq!(org.tagc(&["check"]).code, 0);
    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("emptied_files__plan", run.transcript());
    assert_eq!(run.code, 1);
    let run = org.tagc(&["apply", "--yes"]);
    insta::assert_snapshot!("emptied_files__apply", run.transcript());
    assert_eq!(run.code, 1);
    assert_eq!(
        org.state(),
        applied,
        "a refused apply changed the organization"
    );

    let run = org.tagc(&["plan", "--allow-destroy"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    let run = org.tagc(&["apply", "--yes", "--allow-destroy"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let live = org.policies();
    assert_eq!(live.keys().collect::<Vec<_>>(), ["FullAWSAccess"]);
    org.assert_full_aws_access_everywhere();
}

#[test]
fn test_project_without_a_name_is_refused_by_plan_and_apply() {
    let _r = redactions();
    let org = Org::new();
    org.write(
        "tags.tags",
        TAGS.replace(r#"project "guardrails""#, "").as_str(),
    );
    let before = org.state();

    let run = org.tagc(&["plan"]);
    insta::assert_snapshot!("no_project__plan", run.transcript());
    assert_eq!(run.code, 1);
    let run = org.tagc(&["apply", "--yes"]);
    insta::assert_snapshot!("no_project__apply", run.transcript());
    assert_eq!(run.code, 1);

    // Applied with its name, then every file emptied: no name any more, and nothing is
    // touched, even with `--allow-destroy`.
    org.write("tags.tags", TAGS);
    apply_yes(&org);
    let applied = org.state();
    for file in ["tags.tags", "ml.tags", "everywhere.tags"] {
        org.write(file, "");
    }
    let run = org.tagc(&["apply", "--yes", "--allow-destroy"]);
    insta::assert_snapshot!("no_project__apply_emptied", run.transcript());
    assert_eq!(run.code, 1);
    assert_eq!(org.state(), applied);
    assert_ne!(applied, before);
}

#[test]
fn test_two_projects_share_an_organization_and_never_touch_each_other() {
    let _r = redactions();
    let org = Org::new();
    apply_yes(&org);
    let ours = org.policies();

    // Another repository, another project, the same organization.
    let network = tempfile::tempdir().unwrap();
    std::fs::create_dir(network.path().join("policies")).unwrap();
    std::fs::write(
        network.path().join("policies/network.tags"),
        r#"organization {
  project "network"
}

tag owner

policy network {
  require owner on ec2:CreateVpc
  attach to ou "Root/Sandbox"
}
"#,
    )
    .unwrap();
    let theirs = |args: &[&str]| {
        let run = tagc_env(network.path(), args, &org.moto.env());
        println!(
            "$ tagc {} (project network)\n{}",
            args.join(" "),
            run.transcript()
        );
        run
    };
    let run = theirs(&["plan"]);
    insta::assert_snapshot!("two_projects__plan_of_the_second", run.transcript());
    assert_eq!(run.code, 2);
    assert_eq!(theirs(&["apply", "--yes"]).code, 0);
    let live = org.policies();
    assert_eq!(
        live["tagc-network-scp"].tags,
        [
            ("managed-by".to_owned(), "tagc".to_owned()),
            (
                "tagc:hash".to_owned(),
                live["tagc-network-scp"].tags[1].1.clone()
            ),
            ("tagc:project".to_owned(), "network".to_owned()),
        ]
    );

    // The first project sees the second's policy as foreign, and has nothing to do.
    let run = org.tagc(&["plan", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let plan = &report["plan"];
    assert_eq!(plan["foreign"][0]["name"], "tagc-network-scp", "{plan}");
    assert_eq!(plan["foreign"][0]["project"], "network", "{plan}");

    // The second project removes everything it has: the first project's policies stay.
    std::fs::write(
        network.path().join("policies/network.tags"),
        "organization {\n  project \"network\"\n}\n",
    )
    .unwrap();
    let run = theirs(&["apply", "--yes", "--allow-destroy"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let live = org.policies();
    assert!(!live.contains_key("tagc-network-scp"));
    for (name, p) in &ours {
        assert_eq!(&live[name], p, "{name} changed");
    }
    org.assert_applied();
}

#[test]
fn test_saved_plan_is_applied_exactly_and_only_once() {
    let _r = redactions();
    let org = Org::new();
    let before = org.state();

    let run = org.tagc(&["plan", "--out", "plan.json"]);
    insta::assert_snapshot!("saved_plan__plan", run.transcript());
    assert_eq!(run.code, 2);
    assert_eq!(org.state(), before);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(org.dir.path().join("plan.json")).unwrap())
            .unwrap();
    assert_eq!(file["format"], "tagc-plan");
    assert_eq!(file["version"], 1);
    assert_eq!(file["project"], "guardrails");
    assert_eq!(file["paths"], serde_json::json!(["policies"]));
    assert_eq!(file["steps"].as_array().unwrap().len(), 10);

    let run = org.tagc(&["apply", "plan.json", "--yes"]);
    insta::assert_snapshot!("saved_plan__apply", run.transcript());
    assert_eq!(run.code, 0);
    org.assert_applied();
    let applied = org.state();

    // The organization it was made against is gone: applying it again is refused.
    let run = org.tagc(&["apply", "plan.json", "--yes"]);
    insta::assert_snapshot!("saved_plan__applied_twice", run.transcript());
    assert_eq!(run.code, 1);
    assert_eq!(org.state(), applied);
}

/// `plan --out FILE` replaces only a plan tagc saved: a source file, another file of the user's
/// or a directory is refused before the organization is read, and left as it was.
#[test]
fn test_plan_out_replaces_only_a_saved_plan() {
    let _r = redactions();
    let org = Org::new();
    std::fs::write(org.dir.path().join("notes.txt"), "mine\n").unwrap();
    std::fs::create_dir(org.dir.path().join("plans")).unwrap();
    let source = std::fs::read_to_string(org.dir.path().join("policies/tags.tags")).unwrap();
    // Each refusal is the whole output: nothing says the organization was read.
    let mut refusals = String::new();
    for out in ["policies/tags.tags", "notes.txt", "plans"] {
        let run = org.tagc(&["plan", "--out", out]);
        assert_eq!(run.code, 1, "{}", run.transcript());
        writeln!(refusals, "$ tagc plan --out {out}\n{}", run.transcript()).unwrap();
    }
    insta::assert_snapshot!("plan_out__refused", refusals);
    assert_eq!(
        std::fs::read_to_string(org.dir.path().join("policies/tags.tags")).unwrap(),
        source
    );
    assert_eq!(
        std::fs::read_to_string(org.dir.path().join("notes.txt")).unwrap(),
        "mine\n"
    );
    assert!(org.dir.path().join("plans").is_dir());

    // A plan tagc saved is replaced by the next one.
    let run = org.tagc(&["plan", "--out", "plan.json"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    let run = org.tagc(&["plan", "--out", "plan.json"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    insta::assert_snapshot!("plan_out__replaced", run.transcript());
}

#[test]
fn test_saved_plan_is_refused_when_the_organization_changed() {
    let _r = redactions();
    let org = Org::new();
    apply_yes(&org);
    org.write(
        "tags.tags",
        &TAGS.replace(r#""production""#, r#""production" "staging""#),
    );
    let run = org.tagc(&["plan", "--out", "plan.json"]);
    assert_eq!(run.code, 2, "{}", run.transcript());

    // Someone edits a tagc policy in the console before the plan is applied.
    let scp = org.policies()["tagc-everywhere-scp"].clone();
    let edited = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sns:CreateTopic","Resource":"*"}]}"#;
    org.api
        .block_on(
            org.api
                .client()
                .update_policy()
                .policy_id(&scp.id)
                .content(edited)
                .send(),
        )
        .unwrap();
    let before = org.state();
    let run = org.tagc(&["apply", "plan.json", "--yes"]);
    insta::assert_snapshot!("stale_plan__apply", run.transcript());
    assert_eq!(run.code, 1);
    assert_eq!(org.state(), before);
    assert_eq!(org.policies()["tagc-everywhere-scp"].content, edited);
}

#[test]
fn test_saved_plan_is_refused_when_the_sources_changed() {
    let _r = redactions();
    let org = Org::new();
    let run = org.tagc(&["plan", "--out", "plan.json"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    let before = org.state();

    org.write(
        "ml.tags",
        &ML.replace(r#"ou "Root/Workloads/ML""#, r#"ou "Root/Sandbox""#),
    );
    let run = org.tagc(&["apply", "plan.json", "--yes"]);
    insta::assert_snapshot!("saved_plan__sources_changed", run.transcript());
    assert_eq!(run.code, 1);
    assert_eq!(org.state(), before);
}

#[test]
fn test_corrupted_and_foreign_plan_files_are_refused() {
    let _r = redactions();
    let org = Org::new();
    let run = org.tagc(&["plan", "--out", "plan.json"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    let before = org.state();
    let path = org.dir.path().join("plan.json");
    let text = std::fs::read_to_string(&path).unwrap();

    let mut refusals = String::new();
    for (what, bad) in [
        ("truncated", text[..text.len() / 3].to_owned()),
        (
            "another tool's",
            r#"{"format_version":"1.2","resource_changes":[]}"#.to_owned(),
        ),
        (
            "edited",
            text.replace("tagc-everywhere-scp", "tagc-everywhere-scp-2"),
        ),
    ] {
        std::fs::write(&path, bad).unwrap();
        let run = org.tagc(&["apply", "plan.json", "--yes"]);
        assert_eq!(run.code, 1, "{what}: {}", run.transcript());
        writeln!(refusals, "{what} plan file:\n{}", run.transcript()).unwrap();
    }
    insta::assert_snapshot!("saved_plan__bad_files", refusals);
    let run = org.tagc(&["apply", "plan.json", "--yes"]);
    insta::assert_snapshot!("saved_plan__edited", run.transcript());
    assert_eq!(org.state(), before);
}

#[test]
fn test_policy_of_an_older_tagc_is_foreign_until_adopted() {
    let _r = redactions();
    let org = Org::new();
    // What an older tagc left: the policy as declared, tagged without a project.
    let c = org.api.client();
    org.api
        .block_on(
            c.enable_policy_type()
                .root_id(org.id("Root"))
                .policy_type(SdkPolicyType::ServiceControlPolicy)
                .send(),
        )
        .unwrap();
    let scp = &org.artifacts()["tagc-ml-scp"];
    let tag = |k: &str, v: &str| {
        aws_sdk_organizations::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    let created = org
        .api
        .block_on(
            c.create_policy()
                .name("tagc-ml-scp")
                .description(&scp.description)
                .r#type(SdkPolicyType::ServiceControlPolicy)
                .content(&*scp.content)
                .tags(tag("managed-by", "tagc"))
                .tags(tag("tagc:hash", &scp.hash))
                .send(),
        )
        .unwrap();
    let id = created
        .policy()
        .unwrap()
        .policy_summary()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    org.api
        .block_on(
            c.attach_policy()
                .policy_id(&id)
                .target_id(org.id("Root/Workloads/ML"))
                .send(),
        )
        .unwrap();
    let before = org.state();

    let run = org.tagc(&["apply", "--yes"]);
    insta::assert_snapshot!("older_tagc__apply", run.transcript());
    assert_eq!(run.code, 1);
    assert_eq!(org.state(), before);

    let run = org.tagc(&["plan", "--adopt"]);
    insta::assert_snapshot!("older_tagc__plan_adopt", run.transcript());
    assert_eq!(run.code, 2);
    let run = org.tagc(&["apply", "--yes", "--adopt"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    org.assert_applied();
    assert_eq!(
        org.policies()["tagc-ml-scp"].id,
        id,
        "adopted, not replaced"
    );
    assert_eq!(org.tagc(&["plan"]).code, 0);
}

/// `apply --format json` prints one JSON document on stdout, also when it succeeds: the plan
/// with the number of changes applied, and no human plan.
#[test]
fn test_apply_as_json_prints_only_json_on_success() {
    let org = Org::new();
    let run = org.tagc(&["apply", "--yes", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let doc: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.transcript()));
    assert_eq!(
        (&doc["version"], &doc["command"], &doc["ok"]),
        (
            &serde_json::json!(1),
            &serde_json::json!("apply"),
            &serde_json::json!(true)
        ),
        "{doc}"
    );
    crate::report::assert_valid(crate::report::REPORT, &doc);
    let steps = doc["plan"]["steps"].as_array().map_or(0, Vec::len);
    assert!(steps > 0, "{doc}");
    assert_eq!(doc["applied"], steps, "{doc}");
    org.assert_applied();
    let run = org.tagc(&["apply", "--yes", "--format", "json"]);
    let doc: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.transcript()));
    assert_eq!(doc["applied"], 0, "{doc}");
}

/// A plan refused for three reasons prints three diagnostics, and its summary and its JSON
/// count three errors.
#[test]
fn test_plan_with_three_errors_counts_three() {
    let org = Org::new();
    let mut text = String::new();
    for ou in ["Nope", "Nada", "Niente"] {
        writeln!(
            text,
            "policy p-{} {{\n  require owner on sns:CreateTopic\n  attach to ou \"Root/{ou}\"\n}}",
            ou.to_lowercase()
        )
        .unwrap();
    }
    org.write("ml.tags", &text);
    let run = org.tagc(&["plan"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(
        run.stderr.matches("tagc::aws::unknown-target").count(),
        3,
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr.ends_with("3 errors, 0 warnings\n"),
        "{}",
        run.transcript()
    );
    let run = org.tagc(&["plan", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(report["summary"]["errors"], 3, "{report}");
    assert_eq!(report["diagnostics"].as_array().map(Vec::len), Some(3));
}

#[test]
fn test_parts_of_a_policy_are_attached_where_its_rules_say() {
    let org = Org::new();
    org.write(
        "ml.tags",
        r#"policy ml {
  description "ML guardrails"
  require owner on sagemaker:CreateTrainingJob
  require environment on sagemaker:CreateTrainingJob at ou "Root/Workloads/ML"
  enforce environment for sagemaker:training-job at ou "Root/Workloads/ML", ou "Root/Workloads/Data"
  attach to ou "Root/Workloads"
}
"#,
    );
    apply_yes(&org);
    org.assert_applied();
    let live = org.policies();
    let on = |name: &str| live[name].targets.clone();
    assert_eq!(on("tagc-ml-scp"), ["Root/Workloads"]);
    assert_eq!(
        on("tagc-ml-at-ou-root-workloads-ml-scp"),
        ["Root/Workloads/ML"]
    );
    assert_eq!(
        on("tagc-ml-at-ou-root-workloads-data-ou-root-workloads-ml-tag-policy"),
        ["Root/Workloads/Data", "Root/Workloads/ML"]
    );
    assert_eq!(live["tagc-ml-scp"].description, "ML guardrails");
    // The part's rule is in the part's SCP only.
    assert!(!live["tagc-ml-scp"].content.contains("environment"));
    assert!(
        live["tagc-ml-at-ou-root-workloads-ml-scp"]
            .content
            .contains("aws:RequestTag/environment")
    );
    let run = org.tagc(&["plan"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
}
