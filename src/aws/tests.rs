//! Planner and executor tests against the strict fake organization.

use std::fmt::Write as _;

use crate::artifact::{Artifact, ArtifactKind, content_hash};
use crate::model::{LimitsProfile, ScpStrategy, Settings, Target};

use super::api::PolicyType;
use super::error::{ApplyError, PlanError};
use super::execute::ApplyOptions;
use super::fake::FakeOrganizations;
use super::plan::{Plan, PlanOptions, Step};
use super::retry::RetryPolicy;
use super::snapshot::{
    FULL_AWS_ACCESS_ID, FULL_AWS_ACCESS_NAME, HASH_KEY, MANAGED_BY_KEY, PROJECT_KEY,
};
use super::workflow::{ApplyOutcome, Confirmation, apply_with, plan_with};

const SCP: ArtifactKind = ArtifactKind::Scp;
const TAG: ArtifactKind = ArtifactKind::TagPolicy;

fn deny(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"{action}","Resource":"*","Condition":{{"Null":{{"aws:RequestTag/env":"true"}}}}}}]}}"#
    )
}

fn tag_doc(value: &str) -> String {
    format!(
        r#"{{"tags":{{"env":{{"tag_key":{{"@@assign":"env"}},"tag_value":{{"@@assign":["{value}"]}}}}}}}}"#
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

/// The project every test plans for.
const PROJECT: &str = "guardrails";

/// Default settings, with the project named [`PROJECT`].
fn settings() -> Settings {
    Settings {
        project: Some(PROJECT.to_owned()),
        ..Settings::default()
    }
}

fn ml_ou() -> Target {
    Target::OuPath("Root/Workloads/ML".to_owned())
}

fn data_ou() -> Target {
    Target::OuPath("Root/Workloads/Data".to_owned())
}

/// Root/Workloads/{ML,Data}, Root/Sandbox, one account in ML.
struct Org {
    fake: FakeOrganizations,
    ml: String,
    data: String,
    account: String,
}

fn org() -> Org {
    let mut fake = FakeOrganizations::new();
    let workloads = fake.add_ou(None, "Workloads");
    let ml = fake.add_ou(Some(&workloads), "ML");
    let data = fake.add_ou(Some(&workloads), "Data");
    fake.add_ou(None, "Sandbox");
    let account = fake.add_account(Some(&ml));
    Org {
        fake,
        ml,
        data,
        account,
    }
}

fn declared() -> Vec<Artifact> {
    vec![
        art(
            "tagc-ml-scp",
            SCP,
            &deny("sagemaker:CreateTrainingJob"),
            &[ml_ou()],
        ),
        art(
            "tagc-ml-tags",
            TAG,
            &tag_doc("prod"),
            &[ml_ou(), Target::Root],
        ),
    ]
}

fn plan_of(
    fake: &mut FakeOrganizations,
    arts: &[Artifact],
    settings: &Settings,
) -> Result<Plan, ApplyError> {
    plan_opts(fake, arts, settings, PlanOptions::default())
}

fn plan_opts(
    fake: &mut FakeOrganizations,
    arts: &[Artifact],
    settings: &Settings,
    options: PlanOptions,
) -> Result<Plan, ApplyError> {
    plan_with(
        fake,
        arts,
        settings,
        options,
        &RetryPolicy::immediate(6),
        &mut Vec::new(),
    )
}

fn apply(
    fake: &mut FakeOrganizations,
    arts: &[Artifact],
    settings: &Settings,
) -> Result<ApplyOutcome, ApplyError> {
    apply_opts(fake, arts, settings, PlanOptions::default())
}

fn apply_opts(
    fake: &mut FakeOrganizations,
    arts: &[Artifact],
    settings: &Settings,
    plan: PlanOptions,
) -> Result<ApplyOutcome, ApplyError> {
    apply_with(
        fake,
        arts,
        settings,
        &ApplyOptions {
            plan,
            ..ApplyOptions::immediate()
        },
        Confirmation::Yes,
        &mut Vec::new(),
        &mut Vec::new(),
    )
}

/// `--allow-destroy`.
const ALLOW_DESTROY: PlanOptions = PlanOptions {
    allow_destroy: true,
    adopt: false,
};

fn count(plan: &Plan, pick: fn(&Step) -> bool) -> usize {
    plan.steps.iter().filter(|s| pick(s)).count()
}

#[test]
fn test_first_apply_from_empty() {
    let Org { mut fake, ml, .. } = org();
    let settings = settings();
    let plan = plan_of(&mut fake, &declared(), &settings).unwrap();
    assert_eq!(
        count(&plan, |s| matches!(s, Step::EnablePolicyType { .. })),
        2
    );
    assert_eq!(count(&plan, |s| matches!(s, Step::CreatePolicy { .. })), 2);
    assert_eq!(count(&plan, |s| matches!(s, Step::AttachPolicy { .. })), 3);
    assert_eq!(count(&plan, |s| matches!(s, Step::DetachPolicy { .. })), 0);
    assert!(
        fake.changes.is_empty(),
        "planning changed something: {:?}",
        fake.changes
    );

    assert_eq!(
        apply(&mut fake, &declared(), &settings).unwrap(),
        ApplyOutcome::Applied(7)
    );
    let scp = fake.policy_named("tagc-ml-scp").unwrap();
    assert_eq!(
        scp.tags.get(MANAGED_BY_KEY).map(String::as_str),
        Some("tagc")
    );
    assert_eq!(
        scp.tags.get(HASH_KEY),
        Some(&content_hash(&deny("sagemaker:CreateTrainingJob")))
    );
    assert_eq!(scp.tags.get(PROJECT_KEY).map(String::as_str), Some(PROJECT));
    let mut on_ml = fake.attached_names(&ml, PolicyType::ServiceControlPolicy);
    on_ml.sort();
    assert_eq!(on_ml, [FULL_AWS_ACCESS_NAME, "tagc-ml-scp"]);
    assert_eq!(
        fake.attached_names(&fake.root_id.clone(), PolicyType::TagPolicy),
        ["tagc-ml-tags"]
    );
}

#[test]
fn test_second_plan_is_empty() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    let changes = fake.changes.len();
    let plan = plan_of(&mut fake, &declared(), &settings).unwrap();
    assert!(plan.is_empty(), "{plan}");
    assert_eq!(plan.unchanged.len(), 2);
    assert!(plan.to_string().starts_with("no changes: 2 tagc policies"));
    assert_eq!(
        apply(&mut fake, &declared(), &settings).unwrap(),
        ApplyOutcome::NothingToDo
    );
    assert_eq!(fake.changes.len(), changes);
}

#[test]
fn test_content_change_shows_diff_and_updates() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    let mut arts = declared();
    arts[0] = art(
        "tagc-ml-scp",
        SCP,
        &deny("sagemaker:CreateEndpoint"),
        &[ml_ou()],
    );
    let plan = plan_of(&mut fake, &arts, &settings).unwrap();
    assert_eq!(plan.steps.len(), 1, "{plan}");
    let Step::UpdatePolicy { diff, .. } = &plan.steps[0] else {
        panic!("{plan}")
    };
    assert!(
        diff.contains("-      \"Action\": \"sagemaker:CreateTrainingJob\","),
        "{diff}"
    );
    assert!(
        diff.contains("+      \"Action\": \"sagemaker:CreateEndpoint\","),
        "{diff}"
    );
    assert!(plan.to_string().contains("policies to update:"));
    apply(&mut fake, &arts, &settings).unwrap();
    let scp = fake.policy_named("tagc-ml-scp").unwrap();
    assert_eq!(scp.content, deny("sagemaker:CreateEndpoint"));
    assert_eq!(scp.tags.get(HASH_KEY), Some(&content_hash(&scp.content)));
    assert!(plan_of(&mut fake, &arts, &settings).unwrap().is_empty());
}

#[test]
fn test_target_change_attaches_new_then_detaches_old() {
    let Org {
        mut fake, ml, data, ..
    } = org();
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    let mut arts = declared();
    arts[0].targets = vec![data_ou()];
    let plan = plan_of(&mut fake, &arts, &settings).unwrap();
    let kinds: Vec<&str> = plan
        .steps
        .iter()
        .map(|s| match s {
            Step::AttachPolicy { target, .. } => {
                assert_eq!(target.label, "Root/Workloads/Data");
                "attach"
            }
            Step::DetachPolicy { target, .. } => {
                assert_eq!(target.label, "Root/Workloads/ML");
                "detach"
            }
            other => panic!("unexpected {other}"),
        })
        .collect();
    assert_eq!(kinds, ["attach", "detach"]);
    apply(&mut fake, &arts, &settings).unwrap();
    assert_eq!(
        fake.attached_names(&ml, PolicyType::ServiceControlPolicy),
        [FULL_AWS_ACCESS_NAME]
    );
    assert!(
        fake.attached_names(&data, PolicyType::ServiceControlPolicy)
            .contains(&"tagc-ml-scp".to_owned())
    );
}

#[test]
fn test_removed_policy_is_detached_then_deleted() {
    let Org { mut fake, ml, .. } = org();
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    let arts = vec![declared().remove(1)];
    let plan = plan_of(&mut fake, &arts, &settings).unwrap();
    assert!(
        matches!(plan.steps.as_slice(), [Step::DetachPolicy { .. }, Step::DeletePolicy { name, .. }] if name == "tagc-ml-scp"),
        "{plan}"
    );
    apply(&mut fake, &arts, &settings).unwrap();
    assert!(fake.policy_named("tagc-ml-scp").is_none());
    // FullAWSAccess stays: deny-list never detaches it.
    assert_eq!(
        fake.attached_names(&ml, PolicyType::ServiceControlPolicy),
        [FULL_AWS_ACCESS_NAME]
    );
}

#[test]
fn test_drift_is_reported_and_repaired() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    let id = fake.policy_named("tagc-ml-scp").unwrap().info.id.clone();
    let edited = deny("s3:*");
    fake.policies
        .get_mut(&id)
        .unwrap()
        .content
        .clone_from(&edited);
    let plan = plan_of(&mut fake, &declared(), &settings).unwrap();
    assert_eq!(plan.drift.len(), 1);
    assert_eq!(plan.drift[0].live_hash, content_hash(&edited));
    assert!(plan.to_string().contains("drift"), "{plan}");
    assert!(
        matches!(plan.steps.as_slice(), [Step::UpdatePolicy { .. }]),
        "{plan}"
    );
    apply(&mut fake, &declared(), &settings).unwrap();
    let plan = plan_of(&mut fake, &declared(), &settings).unwrap();
    assert!(plan.is_empty() && plan.drift.is_empty(), "{plan}");
}

#[test]
fn test_not_owned_policy_with_same_name_is_never_touched() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    let foreign = fake.add_policy(
        "tagc-ml-scp",
        PolicyType::ServiceControlPolicy,
        &deny("*"),
        &[("team", "security")],
    );
    let err = apply(&mut fake, &declared(), &settings).unwrap_err();
    let ApplyError::Plan(PlanError::NotOwned { id, .. }) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(id, &foreign);
    assert!(fake.changes.is_empty(), "{:?}", fake.changes);
    assert_eq!(fake.policies[&foreign].content, deny("*"));
}

#[test]
fn test_unowned_policies_are_not_deleted() {
    let Org { mut fake, ml, .. } = org();
    fake.enable_now(PolicyType::ServiceControlPolicy);
    let other = fake.add_policy(
        "security-baseline",
        PolicyType::ServiceControlPolicy,
        &deny("*"),
        &[],
    );
    fake.attachments.insert((other.clone(), ml));
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    let plan = plan_opts(&mut fake, &[], &settings, ALLOW_DESTROY).unwrap();
    for s in &plan.steps {
        assert!(!s.to_string().contains("security-baseline"), "{s}");
    }
    apply_opts(&mut fake, &[], &settings, ALLOW_DESTROY).unwrap();
    assert!(fake.policies.contains_key(&other));
}

#[test]
fn test_full_aws_access_detached_only_under_allow_list() {
    let Org { mut fake, ml, .. } = org();
    let deny_list = settings();
    apply(&mut fake, &declared(), &deny_list).unwrap();
    assert!(
        fake.attachments
            .contains(&(FULL_AWS_ACCESS_ID.to_owned(), ml.clone()))
    );

    let allow_list = Settings {
        scp_strategy: ScpStrategy::AllowList,
        ..settings()
    };
    let plan = plan_of(&mut fake, &declared(), &allow_list).unwrap();
    assert!(
        matches!(plan.steps.as_slice(), [Step::DetachPolicy { policy, .. }] if policy.name == FULL_AWS_ACCESS_NAME),
        "{plan}"
    );
    apply(&mut fake, &declared(), &allow_list).unwrap();
    assert_eq!(
        fake.attached_names(&ml, PolicyType::ServiceControlPolicy),
        ["tagc-ml-scp"]
    );
}

#[test]
fn test_removing_the_last_scp_is_refused() {
    let Org { mut fake, .. } = org();
    let allow_list = Settings {
        scp_strategy: ScpStrategy::AllowList,
        ..settings()
    };
    apply(&mut fake, &declared(), &allow_list).unwrap();
    let changes = fake.changes.len();
    let err = plan_of(&mut fake, &[], &allow_list).unwrap_err();
    assert!(
        matches!(err, ApplyError::Plan(PlanError::LastScp { ref target }) if target == "Root/Workloads/ML"),
        "{err:?}"
    );
    assert_eq!(fake.changes.len(), changes);
}

#[test]
fn test_slot_overflow_is_reported_before_any_change() {
    let Org { mut fake, ml, .. } = org();
    fake.limits = LimitsProfile::Legacy;
    fake.enable_now(PolicyType::ServiceControlPolicy);
    for i in 0..4 {
        let id = fake.add_policy(
            &format!("other-{i}"),
            PolicyType::ServiceControlPolicy,
            &deny("*"),
            &[],
        );
        fake.attachments.insert((id, ml.clone()));
    }
    let settings = Settings {
        limits: LimitsProfile::Legacy,
        ..settings()
    };
    let err = apply(&mut fake, &declared(), &settings).unwrap_err();
    let ApplyError::Plan(PlanError::SlotOverflow {
        needed,
        limit,
        help,
        ..
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*needed, *limit), (6, 5));
    assert!(help.contains("`FullAWSAccess` keeps a slot"), "{help}");
    assert!(fake.changes.is_empty(), "{:?}", fake.changes);
}

/// Other tools' SCPs on a target (a landing zone's, `FullAWSAccess`) count against its slots:
/// the plan reports, per target and type, what is attached now and after, and what is left.
#[test]
fn test_plan_reports_slots_left_counting_other_tools_policies() {
    let Org { mut fake, ml, .. } = org();
    fake.enable_now(PolicyType::ServiceControlPolicy);
    for i in 0..3 {
        let id = fake.add_policy(
            &format!("landing-zone-{i}"),
            PolicyType::ServiceControlPolicy,
            &deny("*"),
            &[],
        );
        fake.attachments.insert((id, ml.clone()));
    }
    let plan = plan_of(&mut fake, &declared(), &settings()).unwrap();
    let scp = plan
        .slots
        .iter()
        .find(|s| s.target_id == ml && s.policy_type == PolicyType::ServiceControlPolicy)
        .unwrap();
    // FullAWSAccess and three others now; tagc's SCP makes five of ten.
    assert_eq!(
        (scp.attached, scp.others, scp.after, scp.limit),
        (4, 4, 5, 10)
    );
    assert_eq!(scp.left(), 5);
    let text = plan.to_string();
    assert!(
        text.contains("Root/Workloads/ML SCP: 4 → 5 of 10 (4 not this project's), 5 left"),
        "{text}"
    );
    // The tag policy is attached at the root and at the OU: both are reported.
    let tag_targets = plan
        .slots
        .iter()
        .filter(|s| s.policy_type == PolicyType::TagPolicy)
        .count();
    assert_eq!(tag_targets, 2, "{:?}", plan.slots);
    // Once applied, nothing changes, and the slots are still reported, tagc's own counted.
    apply(&mut fake, &declared(), &settings()).unwrap();
    let again = plan_of(&mut fake, &declared(), &settings()).unwrap();
    assert!(again.is_empty());
    let scp = again
        .slots
        .iter()
        .find(|s| s.target_id == ml && s.policy_type == PolicyType::ServiceControlPolicy)
        .unwrap();
    assert_eq!((scp.attached, scp.others, scp.after), (5, 4, 5));
}

/// A plan that would take a target past its slots because other tools already use them is
/// refused, with its code, before any change.
#[test]
fn test_plan_over_the_slots_other_tools_leave_is_refused_before_any_change() {
    let Org { mut fake, ml, .. } = org();
    fake.enable_now(PolicyType::ServiceControlPolicy);
    // FullAWSAccess and nine others: the ML OU is full.
    for i in 0..9 {
        let id = fake.add_policy(
            &format!("control-tower-{i}"),
            PolicyType::ServiceControlPolicy,
            &deny("*"),
            &[],
        );
        fake.attachments.insert((id, ml.clone()));
    }
    let err = apply(&mut fake, &declared(), &settings()).unwrap_err();
    let ApplyError::Plan(e @ PlanError::SlotOverflow { needed, limit, .. }) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*needed, *limit), (11, 10));
    assert_eq!(
        miette::Diagnostic::code(e)
            .map(|c| c.to_string())
            .as_deref(),
        Some("tagc::aws::too-many-policies")
    );
    assert!(fake.changes.is_empty(), "{:?}", fake.changes);
}

#[test]
fn test_full_target_swaps_policies_in_place() {
    // 5 of 5 slots used, one of them tagc's: renaming it needs detach before attach.
    let Org { mut fake, ml, .. } = org();
    fake.limits = LimitsProfile::Legacy;
    let settings = Settings {
        limits: LimitsProfile::Legacy,
        ..settings()
    };
    apply(&mut fake, &declared(), &settings).unwrap();
    for i in 0..3 {
        let id = fake.add_policy(
            &format!("other-{i}"),
            PolicyType::ServiceControlPolicy,
            &deny("*"),
            &[],
        );
        fake.attachments.insert((id, ml.clone()));
    }
    let mut arts = declared();
    arts[0].name = "tagc-ml-scp-v2".to_owned();
    let plan = plan_of(&mut fake, &arts, &settings).unwrap();
    let order: Vec<String> = plan.steps.iter().map(ToString::to_string).collect();
    assert!(order[1].starts_with("detach `tagc-ml-scp`"), "{order:?}");
    assert!(order[2].starts_with("attach `tagc-ml-scp-v2`"), "{order:?}");
    apply(&mut fake, &arts, &settings).unwrap();
    assert_eq!(
        fake.attached_names(&ml, PolicyType::ServiceControlPolicy)
            .len(),
        5
    );
}

#[test]
fn test_size_over_limit_is_reported() {
    let Org { mut fake, .. } = org();
    let settings = Settings {
        limits: LimitsProfile::Legacy,
        ..settings()
    };
    let big = deny(&"a".repeat(5_200));
    let arts = vec![art("tagc-big", SCP, &big, &[ml_ou()])];
    let err = apply(&mut fake, &arts, &settings).unwrap_err();
    assert!(
        matches!(
            err,
            ApplyError::Plan(PlanError::TooLarge { limit: 5_120, .. })
        ),
        "{err:?}"
    );
    assert!(fake.changes.is_empty());
    // The current profile allows 10,240 characters.
    apply(&mut fake, &arts, &super::tests::settings()).unwrap();
}

#[test]
fn test_unknown_ou_path_suggests_the_nearest() {
    let Org { mut fake, .. } = org();
    let arts = vec![art(
        "tagc-x",
        SCP,
        &deny("*"),
        &[Target::OuPath("Root/Workload/ML".to_owned())],
    )];
    let err = plan_of(&mut fake, &arts, &settings()).unwrap_err();
    let ApplyError::Plan(PlanError::UnknownTarget { target, help, .. }) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(target, "ou Root/Workload/ML");
    assert_eq!(help, "did you mean `Root/Workloads/ML`?");
    let rendered = format!("{err}");
    assert_eq!(
        rendered,
        "ou Root/Workload/ML, where policy `tagc-x` is attached, does not exist in the organization"
    );
}

#[test]
fn test_unknown_target_of_an_scp_and_its_tag_policy_is_reported_once() {
    let Org { mut fake, .. } = org();
    let typo = Target::OuPath("Root/Workload/ML".to_owned());
    let mut arts = vec![
        art("tagc-x-scp", SCP, &deny("*"), std::slice::from_ref(&typo)),
        art("tagc-x-tag-policy", TAG, &tag_doc("dev"), &[typo]),
    ];
    // Both artifacts come from one tagc policy, as an SCP and its tag policy do.
    arts[1].policy = arts[0].policy.clone();
    let err = plan_of(&mut fake, &arts, &settings()).unwrap_err();
    assert!(
        matches!(err, ApplyError::Plan(PlanError::UnknownTarget { .. })),
        "{err:?}"
    );
}

#[test]
fn test_targets_by_id_and_unknown_account() {
    let Org {
        mut fake,
        ml,
        account,
        ..
    } = org();
    let arts = vec![art(
        "tagc-x",
        SCP,
        &deny("*"),
        &[Target::OuId(ml.clone()), Target::Account(account.clone())],
    )];
    apply(&mut fake, &arts, &settings()).unwrap();
    assert!(
        fake.attached_names(&account, PolicyType::ServiceControlPolicy)
            .contains(&"tagc-x".to_owned())
    );
    let arts = vec![art(
        "tagc-x",
        SCP,
        &deny("*"),
        &[Target::Account("999999999999".to_owned())],
    )];
    let err = plan_of(&mut fake, &arts, &settings()).unwrap_err();
    assert!(
        matches!(err, ApplyError::Plan(PlanError::UnknownTarget { .. })),
        "{err:?}"
    );
}

#[test]
fn test_listings_with_empty_pages_are_followed() {
    let Org { mut fake, .. } = org();
    fake.page_size = 1;
    fake.empty_pages = true;
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    assert!(
        plan_of(&mut fake, &declared(), &settings)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn test_enable_waits_until_enabled() {
    let Org { mut fake, .. } = org();
    fake.enable_delay_polls = 3;
    apply(&mut fake, &declared(), &settings()).unwrap();
    let polls = fake.calls.iter().filter(|c| *c == "ListRoots").count();
    assert!(polls >= 4, "{polls}");
}

#[test]
fn test_throttling_is_retried() {
    let Org { mut fake, .. } = org();
    fake.fail_next(Some("AttachPolicy"), "TooManyRequestsException", 3);
    fake.fail_next(Some("CreatePolicy"), "ConcurrentModificationException", 1);
    fake.fail_next(Some("ListPolicies"), "TooManyRequestsException", 2);
    apply(&mut fake, &declared(), &settings()).unwrap();
    let attaches = fake.calls.iter().filter(|c| *c == "AttachPolicy").count();
    assert_eq!(attaches, 3 + 3);
    assert!(
        plan_of(&mut fake, &declared(), &settings())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn test_failure_midway_reports_and_next_apply_converges() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    apply_partial(&mut fake, &settings);
    let plan = plan_of(&mut fake, &declared(), &settings).unwrap();
    assert!(!plan.is_empty());
    assert!(
        plan.steps
            .iter()
            .all(|s| matches!(s, Step::AttachPolicy { .. })),
        "{plan}"
    );
    apply(&mut fake, &declared(), &settings).unwrap();
    assert!(
        plan_of(&mut fake, &declared(), &settings)
            .unwrap()
            .is_empty()
    );
}

/// Runs an apply whose fifth step (the first attach) fails with `AccessDeniedException`.
fn apply_partial(fake: &mut FakeOrganizations, settings: &Settings) {
    fake.fail_next(Some("AttachPolicy"), "AccessDeniedException", 1);
    let err = apply(fake, &declared(), settings).unwrap_err();
    let ApplyError::Interrupted(i) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(i.step, 5);
    assert_eq!(i.done.len(), 4);
    assert_eq!(i.not_done.len(), 3);
    assert_eq!(i.error.code, "AccessDeniedException");
    assert!(i.report.contains("run `tagc apply` again"), "{}", i.report);
}

#[test]
fn test_update_then_failed_retag_converges() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    let mut arts = declared();
    arts[1] = art(
        "tagc-ml-tags",
        TAG,
        &tag_doc("dev"),
        &[ml_ou(), Target::Root],
    );
    fake.fail_next(Some("TagResource"), "AccessDeniedException", 1);
    apply(&mut fake, &arts, &settings).unwrap_err();
    let plan = plan_of(&mut fake, &arts, &settings).unwrap();
    assert!(
        matches!(plan.steps.as_slice(), [Step::TagPolicy { .. }]),
        "{plan}"
    );
    apply(&mut fake, &arts, &settings).unwrap();
    assert!(plan_of(&mut fake, &arts, &settings).unwrap().is_empty());
}

#[test]
fn test_confirmation_no_cancels() {
    let Org { mut fake, .. } = org();
    let mut input: &[u8] = b"n\n";
    let mut out = Vec::new();
    let err = apply_with(
        &mut fake,
        &declared(),
        &settings(),
        &ApplyOptions::immediate(),
        Confirmation::Ask(&mut input),
        &mut out,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(err, ApplyError::Cancelled));
    assert!(fake.changes.is_empty());
    let shown = String::from_utf8(out).unwrap();
    assert!(
        shown.contains("policies to create:") && shown.ends_with("[y/N] "),
        "{shown}"
    );

    let mut input: &[u8] = b"yes\n";
    let outcome = apply_with(
        &mut fake,
        &declared(),
        &settings(),
        &ApplyOptions::immediate(),
        Confirmation::Ask(&mut input),
        &mut Vec::new(),
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(outcome, ApplyOutcome::Applied(7));
}

#[test]
fn test_plan_json_and_human_output() {
    let Org { mut fake, .. } = org();
    let plan = plan_of(&mut fake, &declared(), &settings()).unwrap();
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["steps"][0]["action"], "enable-policy-type");
    assert_eq!(json["steps"][0]["policy_type"], "SERVICE_CONTROL_POLICY");
    assert_eq!(json["steps"][2]["action"], "create-policy");
    let human = plan.to_string();
    assert!(
        human.contains("policy types to enable on the root:\n  + enable SERVICE_CONTROL_POLICY"),
        "{human}"
    );
    assert!(
        human.contains("  + attach `tagc-ml-scp` to Root/Workloads/ML"),
        "{human}"
    );
    assert!(human.trim_end().ends_with("7 changes"), "{human}");
}

#[test]
fn test_iam_policies_are_ignored() {
    let Org { mut fake, .. } = org();
    let arts = vec![art("tagc-iam", ArtifactKind::IamPolicy, &deny("*"), &[])];
    assert!(plan_of(&mut fake, &arts, &settings()).unwrap().is_empty());
}

#[test]
fn test_long_name_is_reported() {
    let Org { mut fake, .. } = org();
    let arts = vec![art(&"n".repeat(129), SCP, &deny("*"), &[ml_ou()])];
    let err = plan_of(&mut fake, &arts, &settings()).unwrap_err();
    assert!(
        matches!(err, ApplyError::Plan(PlanError::InvalidName { .. })),
        "{err:?}"
    );
}

fn render(err: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, err)
        .unwrap();
    out
}

#[test]
fn test_rendered_plan_errors() {
    let Org { mut fake, .. } = org();
    let foreign = fake.add_policy(
        "tagc-ml-scp",
        PolicyType::ServiceControlPolicy,
        &deny("*"),
        &[],
    );
    assert_eq!(foreign, "p-00000006");
    let mut arts = declared();
    arts[1].targets = vec![Target::OuPath("Root/Sandbx".to_owned())];
    let err = plan_of(&mut fake, &arts, &settings()).unwrap_err();
    insta::assert_snapshot!(render(&err), @r"
    tagc::aws::plan

      × the plan has 2 errors

    Error: tagc::aws::not-owned

      × policy `tagc-ml-scp` (p-00000006) exists in AWS but is not managed by tagc
      help: tagc changes only policies tagged `managed-by = tagc`; rename the tagc policy, or delete
            the existing one yourself, or tag it `managed-by = tagc` and claim it with `--adopt`

    Error: tagc::aws::unknown-target

      × ou Root/Sandbx, where policy `tagc-ml-tags` is attached, does not exist in the organization
      help: did you mean `Root/Sandbox`?
    ");
}

#[test]
fn test_rendered_plan() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    let mut arts = declared();
    arts[0] = art(
        "tagc-ml-scp",
        SCP,
        &deny("sagemaker:CreateEndpoint"),
        &[data_ou()],
    );
    arts.pop();
    let plan = plan_opts(&mut fake, &arts, &settings, ALLOW_DESTROY).unwrap();
    insta::assert_snapshot!(plan.to_string(), @r#"
    policies to update:
      ~ update `tagc-ml-scp` (p-00000006)
          --- aws
          +++ tagc
          @@ -3,7 +3,7 @@
             "Statement": [
               {
                 "Effect": "Deny",
          -      "Action": "sagemaker:CreateTrainingJob",
          +      "Action": "sagemaker:CreateEndpoint",
                 "Resource": "*",
                 "Condition": {
                   "Null": {
    attachments:
      + attach `tagc-ml-scp` to Root/Workloads/Data
    detachments:
      - detach `tagc-ml-scp` from Root/Workloads/ML
      - detach `tagc-ml-tags` from Root/Workloads/ML
      - detach `tagc-ml-tags` from Root
    policies to delete (no longer declared):
      - delete `tagc-ml-tags` (p-00000007)

    slots (policies attached directly, now → after this plan, of the limit; other tools' and `FullAWSAccess` count):
      Root/Workloads/Data SCP: 1 → 2 of 10 (1 not this project's), 8 left
      Root/Workloads/ML SCP: 2 → 1 of 10 (1 not this project's), 9 left
      Root tag policy: 1 → 0 of 10 (0 not this project's), 10 left
      Root/Workloads/ML tag policy: 1 → 0 of 10 (0 not this project's), 10 left

    6 changes
    "#);
}

// ---- the destroy guard ----

#[test]
fn test_empty_project_that_owns_policies_is_refused_unless_allow_destroy() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    let changes = fake.changes.len();

    let err = plan_of(&mut fake, &[], &settings).unwrap_err();
    let ApplyError::Plan(PlanError::Destroy {
        deleted,
        policies,
        detached,
        attachments,
        what,
        ..
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*deleted, *policies), (2, 2));
    assert_eq!((*detached, *attachments), (3, 3));
    assert_eq!(what, "delete `tagc-ml-scp`, delete `tagc-ml-tags`");
    let err = apply(&mut fake, &[], &settings).unwrap_err();
    assert!(
        matches!(err, ApplyError::Plan(PlanError::Destroy { .. })),
        "{err:?}"
    );
    assert_eq!(
        fake.changes.len(),
        changes,
        "a refused apply changed something"
    );

    apply_opts(&mut fake, &[], &settings, ALLOW_DESTROY).unwrap();
    assert!(fake.policy_named("tagc-ml-scp").is_none());
    assert!(fake.policy_named("tagc-ml-tags").is_none());
}

#[test]
fn test_removing_more_than_half_of_the_attachments_is_refused() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    // Three attachments: the SCP on ML, the tag policy on ML and on the root.
    apply(&mut fake, &declared(), &settings).unwrap();

    // Two of three removed, no policy deleted: refused, and the message names them.
    let mut arts = declared();
    arts[1].targets = vec![data_ou()];
    let err = plan_of(&mut fake, &arts, &settings).unwrap_err();
    let ApplyError::Plan(PlanError::Destroy {
        deleted,
        detached,
        what,
        ..
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*deleted, *detached), (0, 2));
    assert_eq!(
        what,
        "detach `tagc-ml-tags` from Root/Workloads/ML, detach `tagc-ml-tags` from Root"
    );
    let plan = plan_opts(&mut fake, &arts, &settings, ALLOW_DESTROY).unwrap();
    assert_eq!(count(&plan, |s| matches!(s, Step::DetachPolicy { .. })), 2);

    // One of three is an ordinary change.
    let mut arts = declared();
    arts[1].targets = vec![ml_ou()];
    let plan = plan_of(&mut fake, &arts, &settings).unwrap();
    assert_eq!(count(&plan, |s| matches!(s, Step::DetachPolicy { .. })), 1);
}

#[test]
fn test_deleting_every_owned_policy_is_refused_even_when_others_are_declared() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    // Both policies renamed: the old ones would all be deleted.
    let mut arts = declared();
    for a in &mut arts {
        a.name = format!("{}-v2", a.name);
    }
    let err = plan_of(&mut fake, &arts, &settings).unwrap_err();
    assert!(
        matches!(
            err,
            ApplyError::Plan(PlanError::Destroy {
                deleted: 2,
                policies: 2,
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn test_destroy_refusal_renders_what_and_how_to_allow() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    apply(&mut fake, &declared(), &settings).unwrap();
    let err = plan_of(&mut fake, &[], &settings).unwrap_err();
    insta::assert_snapshot!(render(&err), @r"
    tagc::aws::destroy

      × the plan would delete 2 of the 2 policies and remove 3 of the 3 attachments that project
      │ `guardrails` owns: delete `tagc-ml-scp`, delete `tagc-ml-tags`
      help: a project that declares nothing, or a missing, empty or truncated `.tags` file, looks like
            this; check the sources, and if the removal is intended run again with `--allow-destroy`
    ");
}

// ---- project identity ----

#[test]
fn test_plan_without_a_project_name_is_refused_before_reading_aws() {
    let Org { mut fake, .. } = org();
    let err = plan_of(&mut fake, &declared(), &Settings::default()).unwrap_err();
    assert!(
        matches!(err, ApplyError::Plan(PlanError::NoProject)),
        "{err:?}"
    );
    assert!(fake.calls.is_empty(), "{:?}", fake.calls);
}

/// Adds a tagc policy of project `project` (`None`: made by an older tagc), attached to
/// `target`, with its hash recorded.
fn add_tagc_policy(
    fake: &mut FakeOrganizations,
    name: &str,
    project: Option<&str>,
    content: &str,
    target: &str,
) -> String {
    let hash = content_hash(content);
    let mut tags = vec![(MANAGED_BY_KEY, "tagc"), (HASH_KEY, hash.as_str())];
    if let Some(p) = project {
        tags.push((PROJECT_KEY, p));
    }
    let id = fake.add_policy(name, PolicyType::ServiceControlPolicy, content, &tags);
    fake.attachments.insert((id.clone(), target.to_owned()));
    id
}

#[test]
fn test_policies_of_another_project_are_listed_and_never_touched() {
    let Org { mut fake, ml, .. } = org();
    fake.enable_now(PolicyType::ServiceControlPolicy);
    let theirs = add_tagc_policy(
        &mut fake,
        "network-scp",
        Some("network"),
        &deny("ec2:*"),
        &ml,
    );
    let settings = settings();

    let plan = plan_of(&mut fake, &declared(), &settings).unwrap();
    assert_eq!(plan.foreign.len(), 1, "{plan:?}");
    assert_eq!(plan.foreign[0].policy_id, theirs);
    assert_eq!(plan.foreign[0].project.as_deref(), Some("network"));
    assert!(
        plan.to_string().contains(&format!(
            "tagc policies of other projects (never touched):\n  = `network-scp` ({theirs}): project `network`"
        )),
        "{plan}"
    );
    apply(&mut fake, &declared(), &settings).unwrap();
    // Even deleting everything this project owns leaves the other project's policy alone.
    apply_opts(&mut fake, &[], &settings, ALLOW_DESTROY).unwrap();
    assert!(fake.policies.contains_key(&theirs));
    assert!(fake.attachments.contains(&(theirs.clone(), ml)));
    assert!(
        !fake.changes.iter().any(|c| c.contains(&theirs)),
        "{:?}",
        fake.changes
    );
}

#[test]
fn test_declared_name_of_another_projects_policy_is_refused() {
    let Org { mut fake, ml, .. } = org();
    fake.enable_now(PolicyType::ServiceControlPolicy);
    let theirs = add_tagc_policy(
        &mut fake,
        "tagc-ml-scp",
        Some("network"),
        &deny("ec2:*"),
        &ml,
    );
    let err = apply(&mut fake, &declared(), &settings()).unwrap_err();
    let ApplyError::Plan(PlanError::Foreign { id, owner, .. }) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(id, &theirs);
    assert_eq!(owner, "tagc project `network`");
    assert!(fake.changes.is_empty(), "{:?}", fake.changes);
}

#[test]
fn test_policy_of_an_older_tagc_is_foreign_until_adopted() {
    let Org { mut fake, ml, .. } = org();
    fake.enable_now(PolicyType::ServiceControlPolicy);
    let content = deny("sagemaker:CreateTrainingJob");
    let old = add_tagc_policy(&mut fake, "tagc-ml-scp", None, &content, &ml);
    // Not declared by this project: never adopted, never deleted.
    let leftover = add_tagc_policy(&mut fake, "tagc-old-scp", None, &deny("s3:*"), &ml);
    let settings = settings();

    let err = plan_of(&mut fake, &declared(), &settings).unwrap_err();
    let ApplyError::Plan(PlanError::Foreign { id, help, .. }) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(id, &old);
    assert!(help.contains("--adopt"), "{help}");

    let adopt = PlanOptions {
        adopt: true,
        ..PlanOptions::default()
    };
    let plan = plan_opts(&mut fake, &declared(), &settings, adopt).unwrap();
    // After enabling tag policies, before anything else.
    assert_eq!(
        plan.steps[1].to_string(),
        format!("adopt `tagc-ml-scp` ({old}) into project `{PROJECT}`")
    );
    assert_eq!(plan.foreign.len(), 1);
    assert_eq!(plan.foreign[0].policy_id, leftover);
    assert!(plan.to_string().contains("no project tag"), "{plan}");
    apply_opts(&mut fake, &declared(), &settings, adopt).unwrap();
    assert_eq!(
        fake.policies[&old]
            .tags
            .get(PROJECT_KEY)
            .map(String::as_str),
        Some(PROJECT)
    );
    // Adopted, it is this project's: no `--adopt` needed any more, nothing left to do.
    let plan = plan_of(&mut fake, &declared(), &settings).unwrap();
    assert!(plan.is_empty(), "{plan}");
    assert!(fake.policies.contains_key(&leftover));
}

// ---- saved plans ----

mod saved {
    use super::*;
    use crate::aws::saved::SavedPlan;
    use crate::aws::workflow::{apply_saved_with, read_and_plan};

    /// Plans, saves to a file and loads it back, as `tagc plan --out` and `tagc apply FILE` do.
    fn save_and_load(
        fake: &mut FakeOrganizations,
        arts: &[Artifact],
        dir: &std::path::Path,
    ) -> (SavedPlan, std::path::PathBuf) {
        let (plan, digest) = read_and_plan(
            fake,
            arts,
            &settings(),
            PlanOptions::default(),
            &RetryPolicy::immediate(6),
            &mut Vec::new(),
        )
        .unwrap();
        let path = dir.join("plan.json");
        SavedPlan::new(
            &plan,
            arts,
            &settings(),
            &["policies".to_owned()],
            digest,
            false,
        )
        .unwrap()
        .save(&path)
        .unwrap();
        (SavedPlan::load(&path).unwrap(), path)
    }

    fn apply_saved(
        fake: &mut FakeOrganizations,
        saved: &SavedPlan,
        arts: &[Artifact],
    ) -> Result<ApplyOutcome, ApplyError> {
        apply_saved_with(
            fake,
            saved,
            arts,
            &settings(),
            &ApplyOptions::immediate(),
            Confirmation::Yes,
            &mut Vec::new(),
            &mut Vec::new(),
        )
    }

    fn stale_what(err: &ApplyError) -> &str {
        match err {
            ApplyError::StalePlan { what, .. } => what,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn test_saved_plan_applies_exactly_its_steps_once() {
        let Org { mut fake, .. } = org();
        let dir = tempfile::tempdir().unwrap();
        let (saved, _) = save_and_load(&mut fake, &declared(), dir.path());
        assert_eq!(saved.steps.len(), 7);
        assert!(fake.changes.is_empty());
        assert_eq!(
            apply_saved(&mut fake, &saved, &declared()).unwrap(),
            ApplyOutcome::Applied(7)
        );
        assert!(
            plan_of(&mut fake, &declared(), &settings())
                .unwrap()
                .is_empty()
        );
        // Applied, the organization is no longer what the plan was made against.
        let changes = fake.changes.len();
        let err = apply_saved(&mut fake, &saved, &declared()).unwrap_err();
        assert_eq!(stale_what(&err), "the organization");
        assert_eq!(fake.changes.len(), changes);
    }

    #[test]
    fn test_saved_plan_is_refused_when_the_organization_changed() {
        let Org { mut fake, ml, .. } = org();
        let dir = tempfile::tempdir().unwrap();
        let (saved, _) = save_and_load(&mut fake, &declared(), dir.path());
        // Someone else attaches a policy in the meantime.
        fake.enable_now(PolicyType::ServiceControlPolicy);
        let other = fake.add_policy(
            "security",
            PolicyType::ServiceControlPolicy,
            &deny("*"),
            &[],
        );
        fake.attachments.insert((other, ml));
        let err = apply_saved(&mut fake, &saved, &declared()).unwrap_err();
        assert_eq!(stale_what(&err), "the organization");
        assert!(fake.changes.is_empty(), "{:?}", fake.changes);
    }

    #[test]
    fn test_saved_plan_is_refused_when_the_sources_changed() {
        let Org { mut fake, .. } = org();
        let dir = tempfile::tempdir().unwrap();
        let (saved, _) = save_and_load(&mut fake, &declared(), dir.path());
        let mut arts = declared();
        arts[0] = art(
            "tagc-ml-scp",
            SCP,
            &deny("sagemaker:CreateEndpoint"),
            &[ml_ou()],
        );
        let err = apply_saved(&mut fake, &saved, &arts).unwrap_err();
        assert_eq!(stale_what(&err), "the sources");
        let ApplyError::StalePlan { help, .. } = &err else {
            unreachable!()
        };
        assert_eq!(
            help,
            "`tagc-ml-scp` changed its content; run `tagc plan --out` again, review the new \
             plan, and apply that one"
        );
        // Only the targets changed: still refused.
        let mut arts = declared();
        arts[0].targets = vec![data_ou()];
        let err = apply_saved(&mut fake, &saved, &arts).unwrap_err();
        assert_eq!(stale_what(&err), "the sources");
        let ApplyError::StalePlan { help, .. } = &err else {
            unreachable!()
        };
        assert!(
            help.starts_with("`tagc-ml-scp` changed its targets;"),
            "{help}"
        );
        // Another project name.
        let other = Settings {
            project: Some("other".to_owned()),
            ..Settings::default()
        };
        let err = saved.check_sources(&declared(), &other).unwrap_err();
        assert_eq!(stale_what(&err), "the project");
        assert!(fake.changes.is_empty(), "{:?}", fake.changes);
    }

    fn load_text(dir: &std::path::Path, text: &str) -> ApplyError {
        let path = dir.join("bad.json");
        std::fs::write(&path, text).unwrap();
        SavedPlan::load(&path).unwrap_err()
    }

    fn reason(err: &ApplyError) -> &str {
        match err {
            ApplyError::BadPlanFile { reason, .. } => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn test_corrupted_edited_and_foreign_plan_files_are_refused() {
        let Org { mut fake, .. } = org();
        let dir = tempfile::tempdir().unwrap();
        let (_, path) = save_and_load(&mut fake, &declared(), dir.path());
        let text = std::fs::read_to_string(&path).unwrap();

        let cut = load_text(dir.path(), &text[..text.len() / 2]);
        assert!(reason(&cut).starts_with("it is not JSON"), "{cut:?}");
        let other = load_text(
            dir.path(),
            r#"{"format_version":"1.2","planned_values":{}}"#,
        );
        assert!(
            reason(&other).starts_with("it is not a tagc plan"),
            "{other:?}"
        );
        let newer = load_text(
            dir.path(),
            &text.replace("\"version\": 1", "\"version\": 2"),
        );
        assert_eq!(
            reason(&newer),
            "it is a version 2 plan, and this tagc reads version 1"
        );
        // A step retargeted by hand.
        let edited = text.replace("Root/Workloads/ML", "Root/Sandbox");
        assert_ne!(edited, text);
        let edited = load_text(dir.path(), &edited);
        assert!(reason(&edited).contains("edited"), "{edited:?}");
        let missing = SavedPlan::load(&dir.path().join("nothing.json")).unwrap_err();
        assert!(
            reason(&missing).starts_with("cannot read it"),
            "{missing:?}"
        );
        assert!(fake.changes.is_empty());
    }

    #[test]
    fn test_saved_destructive_plan_needs_allow_destroy_again_at_apply() {
        let Org { mut fake, .. } = org();
        apply(&mut fake, &declared(), &settings()).unwrap();
        let (plan, digest) = read_and_plan(
            &mut fake,
            &[],
            &settings(),
            ALLOW_DESTROY,
            &RetryPolicy::immediate(6),
            &mut Vec::new(),
        )
        .unwrap();
        let saved = SavedPlan::new(&plan, &[], &settings(), &[], digest, false).unwrap();
        let changes = fake.changes.len();
        let err = apply_saved(&mut fake, &saved, &[]).unwrap_err();
        assert!(
            matches!(err, ApplyError::Plan(PlanError::Destroy { .. })),
            "{err:?}"
        );
        assert_eq!(fake.changes.len(), changes);
        let outcome = apply_saved_with(
            &mut fake,
            &saved,
            &[],
            &settings(),
            &ApplyOptions {
                plan: ALLOW_DESTROY,
                ..ApplyOptions::immediate()
            },
            Confirmation::Yes,
            &mut Vec::new(),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(outcome, ApplyOutcome::Applied(plan.steps.len()));
        assert!(fake.policy_named("tagc-ml-scp").is_none());
    }
}

/// The artifacts of `count` small policies attached to the root, as `build` emits them: from
/// 10 on, their SCPs and `FullAWSAccess` are over the root's slots, so the SCPs are shared.
fn small_policies_on_root(count: usize) -> Vec<Artifact> {
    let mut text = "tag owner\n".to_owned();
    for (i, action) in [
        "sqs:CreateQueue",
        "sns:CreateTopic",
        "lambda:CreateFunction",
        "dynamodb:CreateTable",
        "s3:CreateBucket",
        "sagemaker:CreateTrainingJob",
        "sagemaker:CreateEndpoint",
        "ec2:CreateVpc",
        "rds:CreateDBInstance",
        "ecs:CreateCluster",
        "eks:CreateCluster",
    ]
    .iter()
    .take(count)
    .enumerate()
    {
        let _ = writeln!(
            text,
            "policy p{i} {{\n  only-declared-keys on {action}\n  attach to root\n}}"
        );
    }
    let compiled = crate::compile_sources(
        &[crate::source::SourceFile::new("t.tags", text)],
        crate::catalog::Catalog::builtin(),
    );
    assert!(!compiled.diagnostics.has_errors());
    compiled.manifest.artifacts
}

#[test]
fn test_a_shared_scp_is_owned_by_the_project_and_unchanged_on_the_next_plan() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    let arts = small_policies_on_root(11);
    apply(&mut fake, &arts, &settings).unwrap();
    let shared = fake.policy_named("tagc-p0-shared-scp").unwrap();
    assert_eq!(
        shared.tags.get(MANAGED_BY_KEY).map(String::as_str),
        Some("tagc")
    );
    assert_eq!(
        shared.tags.get(PROJECT_KEY).map(String::as_str),
        Some(PROJECT)
    );
    let mut on_root = fake.attached_names(&fake.root_id.clone(), PolicyType::ServiceControlPolicy);
    on_root.sort();
    assert_eq!(on_root, [FULL_AWS_ACCESS_NAME, "tagc-p0-shared-scp"]);
    let plan = plan_of(&mut fake, &arts, &settings).unwrap();
    assert!(plan.is_empty(), "{plan}");
    assert_eq!(plan.unchanged, ["tagc-p0-shared-scp"]);
}

#[test]
fn test_growing_past_the_slots_replaces_the_policies_scps_by_a_shared_one_only_when_allowed() {
    let Org { mut fake, .. } = org();
    let settings = settings();
    apply(&mut fake, &small_policies_on_root(9), &settings).unwrap();
    let root = fake.root_id.clone();
    assert_eq!(
        fake.attached_names(&root, PolicyType::ServiceControlPolicy)
            .len(),
        10
    );
    // Sharing renames every SCP of the project: the plan deletes the nine it owns, which the
    // destroy guard refuses without `--allow-destroy`.
    let arts = small_policies_on_root(11);
    let err = apply(&mut fake, &arts, &settings).unwrap_err();
    assert!(
        matches!(err, ApplyError::Plan(PlanError::Destroy { .. })),
        "{err:?}"
    );
    apply_opts(&mut fake, &arts, &settings, ALLOW_DESTROY).unwrap();
    let mut on_root = fake.attached_names(&root, PolicyType::ServiceControlPolicy);
    on_root.sort();
    assert_eq!(on_root, [FULL_AWS_ACCESS_NAME, "tagc-p0-shared-scp"]);
    assert!(fake.policy_named("tagc-p0-scp").is_none());
    assert!(plan_of(&mut fake, &arts, &settings).unwrap().is_empty());
}

#[test]
fn test_fake_refuses_a_page_token_past_the_end_of_the_listing() {
    use super::api::OrganizationsApi as _;
    let mut fake = FakeOrganizations::new();
    let first = fake
        .list_policies(PolicyType::ServiceControlPolicy, None)
        .unwrap();
    assert_eq!(first.items.len(), 1);
    assert!(first.next_token.is_none());
    // A listing that shrank between two pages leaves a token past its end: an error, never
    // an empty page that would end the listing as if it were complete.
    let err = fake
        .list_policies(PolicyType::ServiceControlPolicy, Some("5"))
        .unwrap_err();
    assert_eq!(err.code, "InvalidInputException");
}

#[test]
fn test_a_value_that_does_not_serialize_has_no_digest_but_a_coded_error() {
    struct Unserializable;
    impl serde::Serialize for Unserializable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no JSON for this"))
        }
    }
    let err = super::saved::digest("the test value", &Unserializable).unwrap_err();
    assert!(matches!(&err, ApplyError::Digest { what, .. } if what == "the test value"));
    let code = miette::Diagnostic::code(&err).map(|c| c.to_string());
    assert_eq!(code.as_deref(), Some("tagc::aws::digest"));
    assert_eq!(
        super::saved::digest("a value", &"x").unwrap(),
        content_hash("\"x\"")
    );
}

/// A plan refused for three reasons shows three diagnostics, and its summary and JSON count
/// three errors, not the one error that holds them.
#[test]
fn test_a_plan_refused_for_several_reasons_counts_each_error_it_shows() {
    let Org { mut fake, .. } = org();
    let arts: Vec<Artifact> = ["Root/Nope", "Root/Nada", "Root/Niente"]
        .iter()
        .enumerate()
        .map(|(i, path)| {
            art(
                &format!("tagc-x{i}"),
                SCP,
                &deny("*"),
                &[Target::OuPath((*path).to_owned())],
            )
        })
        .collect();
    let err = plan_of(&mut fake, &arts, &settings()).unwrap_err();
    let diagnostics = err.into_diagnostics();
    assert_eq!(
        diagnostics.codes(),
        ["tagc::aws::unknown-target"; 3],
        "{diagnostics:?}"
    );
    let shown = diagnostics.render_human(false);
    assert_eq!(
        shown.matches("does not exist in the organization").count(),
        3
    );
    assert_eq!(diagnostics.summary(), "3 errors, 0 warnings");
    let report = crate::report::Report::new("plan", &diagnostics);
    let json: serde_json::Value =
        serde_json::from_str(&report.render(crate::report::Format::Json)).expect("JSON");
    assert_eq!(json["summary"]["errors"], 3, "{json}");
    assert_eq!(json["diagnostics"].as_array().map(Vec::len), Some(3));
}

/// `apply --format json`: stdout is one JSON document, the plan with what was applied; no
/// human plan, no "applied" line.
#[test]
fn test_apply_as_json_prints_one_json_document_with_the_changes_applied() {
    let Org { mut fake, .. } = org();
    let mut out = Vec::new();
    let outcome = apply_with(
        &mut fake,
        &declared(),
        &settings(),
        &ApplyOptions {
            json: true,
            ..ApplyOptions::immediate()
        },
        Confirmation::Yes,
        &mut out,
        &mut Vec::new(),
    )
    .unwrap();
    let ApplyOutcome::Applied(n) = outcome else {
        panic!("{outcome:?}")
    };
    let text = String::from_utf8(out).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).expect("only JSON on stdout");
    assert_eq!(doc["applied"], n, "{doc}");
    assert_eq!(doc["steps"].as_array().map(Vec::len), Some(n), "{doc}");
    // Again: nothing to do, still one JSON document.
    let mut out = Vec::new();
    apply_with(
        &mut fake,
        &declared(),
        &settings(),
        &ApplyOptions {
            json: true,
            ..ApplyOptions::immediate()
        },
        Confirmation::Yes,
        &mut out,
        &mut Vec::new(),
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("only JSON on stdout");
    assert_eq!(doc["applied"], 0, "{doc}");
}
