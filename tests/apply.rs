//! `plan` and `apply` end to end: the AWS SDK against a real moto server, one server per test.
//!
//! Moto checks far less than AWS (no slot, size or last-SCP rules): those are unit-tested
//! against the strict fake in `src/aws/`. These tests show the SDK calls, pagination, tagging
//! and ownership work against a real Organizations API.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed call to the emulator should fail the test"
)]

pub mod moto;

use aws_sdk_organizations::types::PolicyType as SdkPolicyType;
use tagc::artifact::{Artifact, ArtifactKind, content_hash};
use tagc::aws::execute::ApplyOptions;
use tagc::aws::plan::{Plan, PlanOptions, Step};
use tagc::aws::retry::RetryPolicy;
use tagc::aws::sdk::SdkOrganizations;
use tagc::aws::workflow::{ApplyOutcome, Confirmation, apply_with, plan_with};
use tagc::aws::{ApplyError, PlanError};
use tagc::model::{Settings, Target};

use moto::Moto;

/// An organization in moto: Root/Workloads/{ML,Data}, Root/Sandbox.
struct Org {
    /// Keeps the server running for the test.
    _moto: Moto,
    api: SdkOrganizations,
    ml: String,
    data: String,
}

fn org() -> Org {
    let moto = Moto::start();
    let api = moto.api();
    let ids = Moto::create_organization(
        &api,
        &[
            "Root/Workloads",
            "Root/Workloads/ML",
            "Root/Workloads/Data",
            "Root/Sandbox",
        ],
    );
    let ml = ids["Root/Workloads/ML"].clone();
    let data = ids["Root/Workloads/Data"].clone();
    Org {
        _moto: moto,
        api,
        ml,
        data,
    }
}

fn deny(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"{action}","Resource":"*","Condition":{{"Null":{{"aws:RequestTag/env":"true"}}}}}}]}}"#
    )
}

fn art(name: &str, kind: ArtifactKind, content: &str, targets: &[Target]) -> Artifact {
    Artifact {
        policy: name.to_owned(),
        kind,
        name: name.to_owned(),
        description: format!("tagc policy {name}"),
        file: format!("{name}/{}.json", kind.file_stem()),
        targets: targets.to_vec(),
        size: content.len(),
        limit: 10_240,
        hash: content_hash(content),
        content: content.into(),
    }
}

/// Default settings, with a project name.
fn settings() -> Settings {
    Settings {
        project: Some("guardrails".to_owned()),
        ..Settings::default()
    }
}

fn ml_path() -> Target {
    Target::OuPath("Root/Workloads/ML".to_owned())
}

fn declared() -> Vec<Artifact> {
    vec![
        art(
            "tagc-ml-scp",
            ArtifactKind::Scp,
            &deny("sagemaker:CreateTrainingJob"),
            &[ml_path()],
        ),
        art(
            "tagc-ml-tags",
            ArtifactKind::TagPolicy,
            r#"{"tags":{"env":{"tag_key":{"@@assign":"env"}}}}"#,
            &[ml_path(), Target::Root],
        ),
    ]
}

fn plan(org: &mut Org, arts: &[Artifact]) -> Result<Plan, ApplyError> {
    plan_with(
        &mut org.api,
        arts,
        &settings(),
        PlanOptions::default(),
        &RetryPolicy::immediate(3),
        &mut Vec::new(),
    )
}

fn apply(org: &mut Org, arts: &[Artifact]) -> Result<ApplyOutcome, ApplyError> {
    let (mut out, mut progress) = (Vec::new(), Vec::new());
    let result = apply_with(
        &mut org.api,
        arts,
        &settings(),
        &ApplyOptions::immediate(),
        Confirmation::Yes,
        &mut out,
        &mut progress,
    );
    // Shown when a test fails.
    println!(
        "{}{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&progress)
    );
    result
}

/// A policy as AWS has it: id, content, tags.
type LivePolicy = (String, String, Vec<(String, String)>);

/// (policy id, content, tags) of the policy with this name, read with the raw SDK.
fn live(org: &Org, name: &str, ty: SdkPolicyType) -> Option<LivePolicy> {
    let c = org.api.client();
    let list = org
        .api
        .block_on(c.list_policies().filter(ty).send())
        .unwrap();
    let id = list
        .policies()
        .iter()
        .find(|p| p.name() == Some(name))?
        .id()?
        .to_owned();
    let described = org
        .api
        .block_on(c.describe_policy().policy_id(&id).send())
        .unwrap();
    let content = described.policy()?.content()?.to_owned();
    let tags = org
        .api
        .block_on(c.list_tags_for_resource().resource_id(&id).send())
        .unwrap();
    let tags = tags
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    Some((id, content, tags))
}

/// The names of the SCPs directly attached to a target.
fn scps_on(org: &Org, target: &str) -> Vec<String> {
    let c = org.api.client();
    let out = org
        .api
        .block_on(
            c.list_policies_for_target()
                .target_id(target)
                .filter(SdkPolicyType::ServiceControlPolicy)
                .send(),
        )
        .unwrap();
    let mut names: Vec<String> = out
        .policies()
        .iter()
        .filter_map(|p| p.name().map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[test]
fn test_moto_first_apply_then_noop() {
    let mut org = org();
    let first = plan(&mut org, &declared()).unwrap();
    assert!(
        matches!(first.steps[0], Step::EnablePolicyType { .. }),
        "{first}"
    );
    let ApplyOutcome::Applied(n) = apply(&mut org, &declared()).unwrap() else {
        panic!()
    };
    assert_eq!(n, first.steps.len());

    let (_, content, tags) =
        live(&org, "tagc-ml-scp", SdkPolicyType::ServiceControlPolicy).unwrap();
    assert_eq!(content, deny("sagemaker:CreateTrainingJob"));
    assert!(
        tags.contains(&("managed-by".to_owned(), "tagc".to_owned())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("tagc:hash".to_owned(), content_hash(&content))),
        "{tags:?}"
    );
    assert_eq!(
        scps_on(&org, &org.ml.clone()),
        ["FullAWSAccess", "tagc-ml-scp"]
    );

    let again = plan(&mut org, &declared()).unwrap();
    assert!(again.is_empty(), "{again}");
    assert_eq!(
        apply(&mut org, &declared()).unwrap(),
        ApplyOutcome::NothingToDo
    );
}

#[test]
fn test_moto_content_change() {
    let mut org = org();
    apply(&mut org, &declared()).unwrap();
    let mut arts = declared();
    arts[0] = art(
        "tagc-ml-scp",
        ArtifactKind::Scp,
        &deny("sagemaker:CreateEndpoint"),
        &[ml_path()],
    );
    let p = plan(&mut org, &arts).unwrap();
    let [Step::UpdatePolicy { diff, .. }] = p.steps.as_slice() else {
        panic!("{p}")
    };
    assert!(
        diff.contains("+      \"Action\": \"sagemaker:CreateEndpoint\","),
        "{diff}"
    );
    apply(&mut org, &arts).unwrap();
    let (_, content, tags) =
        live(&org, "tagc-ml-scp", SdkPolicyType::ServiceControlPolicy).unwrap();
    assert_eq!(content, deny("sagemaker:CreateEndpoint"));
    assert!(tags.contains(&("tagc:hash".to_owned(), content_hash(&content))));
    assert!(plan(&mut org, &arts).unwrap().is_empty());
}

#[test]
fn test_moto_target_change() {
    let mut org = org();
    apply(&mut org, &declared()).unwrap();
    let mut arts = declared();
    arts[0].targets = vec![Target::OuId(org.data.clone())];
    let p = plan(&mut org, &arts).unwrap();
    let steps: Vec<String> = p.steps.iter().map(ToString::to_string).collect();
    assert_eq!(
        steps,
        [
            "attach `tagc-ml-scp` to Root/Workloads/Data",
            "detach `tagc-ml-scp` from Root/Workloads/ML"
        ]
    );
    apply(&mut org, &arts).unwrap();
    assert_eq!(scps_on(&org, &org.ml.clone()), ["FullAWSAccess"]);
    assert_eq!(
        scps_on(&org, &org.data.clone()),
        ["FullAWSAccess", "tagc-ml-scp"]
    );
    assert!(plan(&mut org, &arts).unwrap().is_empty());
}

#[test]
fn test_moto_removed_policy_is_deleted() {
    let mut org = org();
    apply(&mut org, &declared()).unwrap();
    let arts = vec![declared().remove(1)];
    apply(&mut org, &arts).unwrap();
    assert!(live(&org, "tagc-ml-scp", SdkPolicyType::ServiceControlPolicy).is_none());
    assert_eq!(scps_on(&org, &org.ml.clone()), ["FullAWSAccess"]);
    assert!(plan(&mut org, &arts).unwrap().is_empty());
}

#[test]
fn test_moto_drift_is_detected() {
    let mut org = org();
    apply(&mut org, &declared()).unwrap();
    let (id, _, _) = live(&org, "tagc-ml-scp", SdkPolicyType::ServiceControlPolicy).unwrap();
    let c = org.api.client().clone();
    org.api
        .block_on(c.update_policy().policy_id(&id).content(deny("*")).send())
        .unwrap();
    let p = plan(&mut org, &declared()).unwrap();
    assert_eq!(p.drift.len(), 1, "{p}");
    assert_eq!(p.drift[0].policy_id, id);
    assert_eq!(p.drift[0].live_hash, content_hash(&deny("*")));
    assert!(p.to_string().contains("drift"), "{p}");
    apply(&mut org, &declared()).unwrap();
    let p = plan(&mut org, &declared()).unwrap();
    assert!(p.is_empty() && p.drift.is_empty(), "{p}");
}

#[test]
fn test_moto_unknown_ou_path() {
    let mut org = org();
    let arts = vec![art(
        "tagc-x",
        ArtifactKind::Scp,
        &deny("*"),
        &[Target::OuPath("Root/Workload/ML".to_owned())],
    )];
    let err = apply(&mut org, &arts).unwrap_err();
    let ApplyError::Plan(PlanError::UnknownTarget { help, .. }) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(help, "did you mean `Root/Workloads/ML`?");
    // Nothing was changed: SCPs are still not enabled on the root.
    let roots = org
        .api
        .block_on(org.api.client().list_roots().send())
        .unwrap();
    assert!(roots.roots()[0].policy_types().is_empty(), "{roots:?}");
}

#[test]
fn test_moto_not_owned_policy_is_never_touched() {
    let mut org = org();
    let c = org.api.client().clone();
    org.api
        .block_on(
            c.create_policy()
                .name("tagc-ml-scp")
                .description("someone else's")
                .r#type(SdkPolicyType::ServiceControlPolicy)
                .content(deny("*"))
                .send(),
        )
        .unwrap();
    let err = apply(&mut org, &declared()).unwrap_err();
    assert!(
        matches!(err, ApplyError::Plan(PlanError::NotOwned { .. })),
        "{err:?}"
    );
    let (_, content, _) = live(&org, "tagc-ml-scp", SdkPolicyType::ServiceControlPolicy).unwrap();
    assert_eq!(content, deny("*"));
}

#[test]
fn test_moto_ou_listing_pages_and_error_codes() {
    let mut org = org();
    // Moto pages OU listings at 20: 25 siblings make the walk follow a NextToken.
    let c = org.api.client().clone();
    let workloads_children = org
        .api
        .block_on(c.list_parents().child_id(&org.ml).send())
        .unwrap();
    let workloads = workloads_children.parents()[0].id().unwrap().to_owned();
    for i in 0..25 {
        org.api
            .block_on(
                c.create_organizational_unit()
                    .parent_id(&workloads)
                    .name(format!("Team{i:02}"))
                    .send(),
            )
            .unwrap();
    }
    let arts = vec![art(
        "tagc-team",
        ArtifactKind::Scp,
        &deny("*"),
        &[Target::OuPath("Root/Workloads/Team24".to_owned())],
    )];
    let p = plan(&mut org, &arts).unwrap();
    assert!(
        p.steps
            .iter()
            .any(|s| s.to_string() == "attach `tagc-team` to Root/Workloads/Team24"),
        "{p}"
    );
    // AWS's error codes come through the SDK unchanged.
    let err = tagc::aws::OrganizationsApi::delete_policy(&mut org.api, "p-00000000").unwrap_err();
    assert_eq!(err.code, "PolicyNotFoundException", "{err}");
}

/// Creates an SCP that is not tagc's (a landing zone's, say) and attaches it to `target`.
fn attach_other_scp(org: &Org, name: &str, target: &str) {
    let c = org.api.client();
    let created = org
        .api
        .block_on(
            c.create_policy()
                .name(name)
                .description("another tool's")
                .r#type(SdkPolicyType::ServiceControlPolicy)
                .content(deny("*"))
                .send(),
        )
        .unwrap();
    let id = created
        .policy()
        .unwrap()
        .policy_summary()
        .unwrap()
        .id()
        .unwrap();
    org.api
        .block_on(c.attach_policy().policy_id(id).target_id(target).send())
        .unwrap();
}

/// The plan counts every SCP attached to a target, other tools' included, reports the slots
/// left, and refuses a plan that would go past the limit before it changes anything.
#[test]
fn test_moto_plan_counts_other_tools_scps_and_refuses_past_the_slots() {
    let mut org = org();
    let ml = org.ml.clone();
    // Other tools enable SCPs and attach theirs before tagc runs.
    let c = org.api.client().clone();
    let roots = org.api.block_on(c.list_roots().send()).unwrap();
    let root = roots.roots()[0].id().unwrap().to_owned();
    org.api
        .block_on(
            c.enable_policy_type()
                .root_id(&root)
                .policy_type(SdkPolicyType::ServiceControlPolicy)
                .send(),
        )
        .unwrap();
    for i in 0..3 {
        attach_other_scp(&org, &format!("landing-zone-{i}"), &ml);
    }
    let now = scps_on(&org, &ml).len();
    assert!(now >= 3, "{:?}", scps_on(&org, &ml));
    let p = plan(&mut org, &declared()).unwrap();
    let slots = p
        .slots
        .iter()
        .find(|s| {
            s.target_id == ml && s.policy_type == tagc::aws::api::PolicyType::ServiceControlPolicy
        })
        .unwrap();
    assert_eq!(
        (slots.attached, slots.others, slots.after),
        (now, now, now + 1)
    );
    assert_eq!(slots.left(), 10 - (now + 1));
    assert!(p.to_string().contains(&format!(
        "Root/Workloads/ML SCP: {now} → {} of 10 ({now} not this project's), {} left",
        now + 1,
        10 - (now + 1)
    )));
    // Fill the OU: the plan is refused, and tagc's SCP is not created.
    for i in now..10 {
        attach_other_scp(&org, &format!("control-tower-{i}"), &ml);
    }
    let err = apply(&mut org, &declared()).unwrap_err();
    assert!(
        matches!(
            err,
            ApplyError::Plan(PlanError::SlotOverflow { limit: 10, .. })
        ),
        "{err:?}"
    );
    assert!(live(&org, "tagc-ml-scp", SdkPolicyType::ServiceControlPolicy).is_none());
}
