//! Every `.tags` file shipped in `examples/` and `policies/` compiles, and so does each
//! directory as one project.

use crate::common::{compile_paths, root, tags_files};

#[test]
fn test_every_example_compiles_on_its_own() {
    let files = tags_files("examples");
    assert!(!files.is_empty());
    for f in files {
        let c = compile_paths(std::slice::from_ref(&f));
        assert!(
            c.ok(),
            "{}:\n{}",
            f.display(),
            c.diagnostics.render_human(false)
        );
        assert!(!c.artifacts().is_empty(), "{} emits nothing", f.display());
    }
}

#[test]
fn test_policies_directory_compiles_as_one_project() {
    let c = compile_paths(&[root().join("policies")]);
    assert!(c.ok(), "{}", c.diagnostics.render_human(false));
    assert!(
        c.diagnostics.is_empty(),
        "the shipped policies should compile without warnings:\n{}",
        c.diagnostics.render_human(false)
    );
    let project = c.project.unwrap();
    assert!(project.tags.len() >= 3);
    assert!(project.policies.len() >= 2);
    let targets: std::collections::BTreeSet<_> =
        project.policies.iter().map(|p| p.targets.clone()).collect();
    assert!(targets.len() >= 2, "policies should have different targets");
}

#[test]
fn test_the_seed_example_requires_environment_on_the_four_actions() {
    let c = compile_paths(&[root().join("examples/sagemaker-cost-allocation.tags")]);
    let project = c.project.unwrap();
    let env = project.tag("environment").unwrap();
    assert_eq!(
        env.values.as_deref().unwrap(),
        ["dev", "staging", "production"]
    );
    let policy = &project.policies[0];
    let required: Vec<String> = policy
        .requires
        .iter()
        .filter(|r| r.keys.iter().any(|k| k == "environment"))
        .flat_map(|r| r.actions.iter().map(|a| a.name.to_string()))
        .collect();
    assert_eq!(
        required,
        [
            "sagemaker:CreateDomain",
            "sagemaker:CreateEndpoint",
            "sagemaker:CreateNotebookInstance",
            "sagemaker:CreateTrainingJob"
        ]
    );
    assert!(
        policy
            .protects
            .iter()
            .any(|p| p.keys.contains(&"environment".to_owned()))
    );
    assert!(
        project
            .tests
            .iter()
            .any(|t| t.expect == tagc::model::Decision::Deny)
    );
}

#[test]
fn test_the_value_rules_example_keeps_question_marks_in_iam_and_widens_them_for_tag_policies() {
    use tagc::artifact::ArtifactKind;
    let c = compile_paths(&[root().join("examples/value-rules.tags")]);
    assert!(c.ok(), "{}", c.diagnostics.render_human(false));
    let content = |kind: ArtifactKind| {
        c.artifacts()
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| a.content.to_string())
            .unwrap()
    };
    let scp = content(ArtifactKind::Scp);
    let iam = content(ArtifactKind::IamPolicy);
    let tag_policy = content(ArtifactKind::TagPolicy);
    // IAM's StringLike matches `?` as one character: the SCP and IAM policy keep it.
    assert!(scp.contains("\"CC-????\""), "{scp}");
    assert!(iam.contains("\"CC-????\""), "{iam}");
    // A tag policy has no `?`: its copy is the widened `CC-*`, never a literal `?`.
    assert!(tag_policy.contains("\"CC-*\""), "{tag_policy}");
    assert!(!tag_policy.contains('?'), "{tag_policy}");
    // The forbidden value and the conditional requirement are Deny conditions of their own.
    assert!(
        scp.contains("\"StringEquals\":{\"aws:RequestTag/environment\":\"test\"}"),
        "{scp}"
    );
    assert!(
        scp.contains("\"StringEquals\":{\"aws:RequestTag/environment\":\"production\"}"),
        "{scp}"
    );
}
