//! Unit tests of the audit's judging: which rules apply to which resource, and what is a
//! finding.

use super::{AccountPlacement, Problem, Resource, RuleIndex, source};
use crate::catalog::Catalog;
use crate::model::{Project, ResourceType, RuleKind};
use crate::source::SourceFile;

fn project(text: &str) -> Project {
    let compiled = crate::compile_sources(&[SourceFile::new("t.tags", text)], Catalog::builtin());
    let rendered = compiled.diagnostics.render_human(false);
    compiled
        .into_build()
        .unwrap_or_else(|_| panic!("the project compiles: {rendered}"))
        .project
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const TRAINING_JOB: &str = "arn:aws:sagemaker:us-east-1:111122223333:training-job/churn";

const SEED: &str = r#"
tag environment { values "dev" "staging" "production" }
tag CostCenter { values "CC-*" }
tag project
policy ml {
  require environment, CostCenter on sagemaker:CreateTrainingJob
  only-declared-keys on sagemaker:CreateTrainingJob
  attach to ou "Root/Workloads/ML"
}
"#;

fn problems(text: &str, arn: &str, t: &[(&str, &str)]) -> Vec<(String, Problem)> {
    let p = project(text);
    let index = RuleIndex::new(&p, Catalog::builtin());
    let audit = index.audit(&[Resource::from_arn(arn, tags(t))]);
    assert!(audit.not_evaluated.is_empty(), "{:?}", audit.not_evaluated);
    audit
        .findings
        .iter()
        .map(|f| (f.key.clone(), f.problem))
        .collect()
}

#[test]
fn test_arn_maps_to_the_catalog_resource_type() {
    let p = project(SEED);
    let index = RuleIndex::new(&p, Catalog::builtin());
    let cases = [
        (TRAINING_JOB, "sagemaker:training-job"),
        (
            "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc",
            "ec2:instance",
        ),
        (
            "arn:aws:ec2:us-east-1:111122223333:volume/vol-1",
            "ec2:volume",
        ),
        ("arn:aws:s3:::my-bucket", "s3:bucket"),
        (
            "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
            "dynamodb:table",
        ),
        (
            "arn:aws:dynamodb:us-east-1:111122223333:table/orders/index/by-date",
            "dynamodb:index",
        ),
        (
            "arn:aws:lambda:us-east-1:111122223333:function:resize",
            "lambda:function",
        ),
        ("arn:aws:rds:us-east-1:111122223333:db:orders", "rds:db"),
    ];
    for (arn, want) in cases {
        assert_eq!(
            index.resource_type(arn).map(|t| t.to_string()),
            Ok(want.to_owned()),
            "{arn}"
        );
    }
}

#[test]
fn test_an_arn_of_no_known_type_is_not_evaluated_and_says_why() {
    let p = project(SEED);
    let index = RuleIndex::new(&p, Catalog::builtin());
    let audit = index.audit(&[
        Resource::from_arn(
            "arn:aws:nosuchservice:us-east-1:111122223333:thing/x",
            vec![],
        ),
        Resource::from_arn("not-an-arn", vec![]),
    ]);
    assert_eq!(audit.not_evaluated.len(), 2);
    assert!(audit.not_evaluated[0].reason.contains("nosuchservice"));
    assert_eq!(audit.not_evaluated[1].reason, "not an ARN");
    assert!(audit.findings.is_empty());
    assert!(audit.types.is_empty());
}

#[test]
fn test_require_on_a_create_covers_the_type_the_action_is_named_after() {
    let p = project(
        "tag owner\npolicy p {\n  require owner on sagemaker:CreateTrainingJob, ec2:RunInstances\n  attach to root\n}\n",
    );
    let index = RuleIndex::new(&p, Catalog::builtin());
    let catalog = Catalog::builtin();
    let mut covered = Vec::new();
    for r in &p.policies[0].requires {
        for a in &r.actions {
            covered.extend(super::created_types(catalog, a).unwrap_or_default());
        }
    }
    covered.sort();
    assert_eq!(
        covered,
        vec![
            ResourceType::new("ec2", "instance"),
            ResourceType::new("sagemaker", "training-job")
        ]
    );
    // A volume RunInstances makes is not covered by default (check scopes it to instances).
    let audit = index.audit(&[
        Resource::from_arn("arn:aws:ec2:us-east-1:111122223333:volume/vol-1", vec![]),
        Resource::from_arn("arn:aws:ec2:us-east-1:111122223333:instance/i-1", vec![]),
    ]);
    assert_eq!(audit.findings.len(), 1);
    assert!(audit.findings[0].arn.ends_with("instance/i-1"));
}

#[test]
fn test_an_action_named_after_none_of_its_types_is_listed_as_unmapped() {
    // `CreateDBInstance` touches `db`, `og`, `pg`, … and is named after none of them.
    let p = project(
        "tag owner\npolicy p {\n  require owner on rds:CreateDBInstance\n  attach to root\n}\n",
    );
    let index = RuleIndex::new(&p, Catalog::builtin());
    assert_eq!(index.unmapped().len(), 1);
    assert_eq!(index.unmapped()[0].action, "rds:CreateDBInstance");
    let audit = index.audit(&[Resource::from_arn(
        "arn:aws:rds:us-east-1:111122223333:db:orders",
        vec![],
    )]);
    assert!(audit.findings.is_empty());
    assert_eq!(audit.unmapped_rules.len(), 1);
}

#[test]
fn test_compliant_resource_has_no_finding() {
    assert!(
        problems(
            SEED,
            TRAINING_JOB,
            &[("environment", "dev"), ("CostCenter", "CC-1")]
        )
        .is_empty()
    );
}

#[test]
fn test_missing_key_is_a_finding() {
    assert_eq!(
        problems(SEED, TRAINING_JOB, &[("environment", "dev")]),
        vec![("CostCenter".to_owned(), Problem::Missing)]
    );
}

#[test]
fn test_key_in_another_casing_is_wrong_casing_not_missing() {
    let found = problems(
        SEED,
        TRAINING_JOB,
        &[("Environment", "dev"), ("CostCenter", "CC-1")],
    );
    // `require` and `only-declared-keys` each say it, about the declared key.
    assert_eq!(
        found,
        vec![
            ("environment".to_owned(), Problem::WrongCasing),
            ("environment".to_owned(), Problem::WrongCasing)
        ]
    );
    let p = project(SEED);
    let index = RuleIndex::new(&p, Catalog::builtin());
    let audit = index.audit(&[Resource::from_arn(
        TRAINING_JOB,
        tags(&[("Environment", "dev"), ("CostCenter", "CC-1")]),
    )]);
    assert_eq!(audit.findings[0].actual_key.as_deref(), Some("Environment"));
    assert_eq!(audit.findings[0].actual_value.as_deref(), Some("dev"));
}

#[test]
fn test_value_outside_the_allowed_values_is_a_finding() {
    assert_eq!(
        problems(
            SEED,
            TRAINING_JOB,
            &[("environment", "qa"), ("CostCenter", "CC-1")]
        ),
        vec![("environment".to_owned(), Problem::ValueNotAllowed)]
    );
    // Values compare case-sensitively.
    assert_eq!(
        problems(
            SEED,
            TRAINING_JOB,
            &[("environment", "Dev"), ("CostCenter", "cc-1")]
        ),
        vec![
            ("environment".to_owned(), Problem::ValueNotAllowed),
            ("CostCenter".to_owned(), Problem::ValueNotAllowed)
        ]
    );
}

#[test]
fn test_undeclared_key_is_a_finding_only_where_the_set_is_closed() {
    assert_eq!(
        problems(
            SEED,
            TRAINING_JOB,
            &[
                ("environment", "dev"),
                ("CostCenter", "CC-1"),
                ("ticket", "T-1"),
                ("aws:cloudformation:stack-name", "s")
            ]
        ),
        vec![("ticket".to_owned(), Problem::UndeclaredKey)]
    );
    let open = SEED.replace("  only-declared-keys on sagemaker:CreateTrainingJob\n", "");
    assert!(
        problems(
            &open,
            TRAINING_JOB,
            &[
                ("environment", "dev"),
                ("CostCenter", "CC-1"),
                ("ticket", "T-1")
            ]
        )
        .is_empty()
    );
}

#[test]
fn test_enforce_checks_value_and_casing_but_not_presence_and_report_checks_presence() {
    let text = r#"
tag environment { values "dev" "production" }
tag CostCenter
policy p {
  enforce environment for sagemaker:training-job
  report CostCenter for sagemaker:model
  attach to root
}
"#;
    let model = "arn:aws:sagemaker:us-east-1:111122223333:model/churn";
    assert!(problems(text, TRAINING_JOB, &[]).is_empty());
    assert_eq!(
        problems(text, TRAINING_JOB, &[("environment", "qa")]),
        vec![("environment".to_owned(), Problem::ValueNotAllowed)]
    );
    assert_eq!(
        problems(text, TRAINING_JOB, &[("Environment", "dev")]),
        vec![("environment".to_owned(), Problem::WrongCasing)]
    );
    assert_eq!(
        problems(text, model, &[]),
        vec![("CostCenter".to_owned(), Problem::Missing)]
    );
    assert_eq!(
        problems(text, model, &[("costcenter", "1"), ("environment", "qa")]),
        vec![("CostCenter".to_owned(), Problem::WrongCasing)]
    );
    // Another type is covered by neither.
    assert!(
        problems(
            text,
            "arn:aws:sagemaker:us-east-1:111122223333:processing-job/x",
            &[("environment", "qa")]
        )
        .is_empty()
    );
}

#[test]
fn test_a_policy_applies_only_where_it_is_attached_when_the_place_is_known() {
    let p = project(SEED);
    let index = RuleIndex::new(&p, Catalog::builtin());
    let mut inside = Resource::from_arn(TRAINING_JOB, vec![]);
    inside.placement = Some(AccountPlacement {
        ou_path: "Root/Workloads/ML/Team".to_owned(),
        ou_ids: vec!["ou-1".to_owned(), "ou-2".to_owned(), "ou-3".to_owned()],
    });
    let mut outside = inside.clone();
    outside.placement = Some(AccountPlacement {
        ou_path: "Root/Workloads/MLOps".to_owned(),
        ou_ids: vec!["ou-1".to_owned(), "ou-4".to_owned()],
    });
    let unknown = Resource::from_arn(TRAINING_JOB, vec![]);
    assert_eq!(index.audit(&[inside]).findings.len(), 2);
    assert!(index.audit(&[outside]).findings.is_empty());
    assert_eq!(index.audit(&[unknown]).findings.len(), 2);
}

#[test]
fn test_exempt_principals_do_not_exempt_resources() {
    let text = SEED.replace(
        "  attach to",
        "  exempt \"arn:aws:iam::*:role/TagAdmin\"\n  attach to",
    );
    assert_eq!(problems(&text, TRAINING_JOB, &[]).len(), 2);
}

#[test]
fn test_the_shipped_policies_map_their_rules_to_resource_types() {
    let mut sources = Vec::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        sources.push(SourceFile::new(f.display().to_string(), text));
    }
    let compiled = crate::compile_sources(&sources, Catalog::builtin());
    let Ok(build) = compiled.into_build() else {
        panic!("policies/ compiles");
    };
    let index = RuleIndex::new(&build.project, Catalog::builtin());
    let ml = build
        .project
        .policies
        .iter()
        .find(|p| p.name == "ml-guardrails")
        .unwrap_or_else(|| panic!("policies/ has ml-guardrails"));
    // `require … on sagemaker:CreateTrainingJob` covers training jobs, and every action of the
    // rule that is mapped is mapped to a SageMaker type.
    let mut mapped = 0;
    for r in &ml.requires {
        for a in &r.actions {
            if let Some(types) = super::created_types(Catalog::builtin(), a) {
                mapped += 1;
                assert!(types.iter().all(|t| t.service() == "sagemaker"), "{a:?}");
            }
        }
    }
    assert!(
        mapped > 10,
        "most SageMaker creates map to a type: {mapped}"
    );
    let audit = index.audit(&[Resource::from_arn(TRAINING_JOB, vec![])]);
    let rules: Vec<(RuleKind, &str)> = audit
        .findings
        .iter()
        .filter(|f| f.policy == "ml-guardrails")
        .map(|f| (f.rule, f.key.as_str()))
        .collect();
    for key in ["environment", "CostCenter", "project", "owner"] {
        assert!(
            rules.contains(&(RuleKind::Require, key)),
            "{key}: {rules:?}"
        );
    }
}

#[test]
fn test_tagging_api_json_is_read() {
    let text = r#"{"ResourceTagMappingList": [
        {"ResourceARN": "arn:aws:s3:::b", "Tags": [{"Key": "k", "Value": "v"}]},
        {"ResourceARN": "arn:aws:sagemaker:eu-west-1:111122223333:training-job/x", "Tags": []}
    ]}"#;
    let r = source::parse("f.json", text).unwrap_or_default();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].tags, tags(&[("k", "v")]));
    assert_eq!(r[1].account, "111122223333");
    assert_eq!(r[1].region, "eu-west-1");
}

#[test]
fn test_resource_explorer_json_is_read_with_untagged_resources() {
    let text = r#"{"Resources": [
        {"Arn": "arn:aws:s3:::b", "OwningAccountId": "444455556666", "Region": "global",
         "ResourceType": "s3:bucket", "Service": "s3",
         "Properties": [{"Name": "tags", "Data": [{"Key": "k", "Value": "v"}]}]},
        {"Arn": "arn:aws:ec2:us-east-1:444455556666:volume/vol-1", "OwningAccountId": "444455556666",
         "Region": "us-east-1", "Properties": []}
    ]}"#;
    let r = source::parse("f.json", text).unwrap_or_default();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].account, "444455556666");
    assert_eq!(r[0].region, "");
    assert_eq!(r[0].tags, tags(&[("k", "v")]));
    assert!(r[1].tags.is_empty());
}

#[test]
fn test_unknown_and_malformed_files_are_refused_with_codes() {
    use miette::Diagnostic as _;
    let code = |text: &str| {
        source::parse("f.json", text)
            .err()
            .and_then(|e| e.code().map(|c| c.to_string()))
    };
    assert_eq!(
        code("not json").as_deref(),
        Some("tagc::audit::unknown-format")
    );
    assert_eq!(
        code("{\"x\": 1}").as_deref(),
        Some("tagc::audit::unknown-format")
    );
    assert_eq!(
        code("{\"ResourceTagMappingList\": [{\"Tags\": []}]}").as_deref(),
        Some("tagc::audit::malformed")
    );
    assert_eq!(
        code("{\"ResourceTagMappingList\": [{\"ResourceARN\": \"a\", \"Tags\": [{\"Key\": 1}]}]}")
            .as_deref(),
        Some("tagc::audit::malformed")
    );
}
