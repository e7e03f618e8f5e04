//! Running requests against the emitted artifacts, per layer: the engine behind `tagc test`,
//! `tagc eval` and the differential tests.
//!
//! Input: the artifacts of a build, the catalog and a [`Request`]. Output: each layer's
//! decision with the evaluator's explanation. The same request can be given to
//! [`crate::reference::decide`]; the two must agree.
//!
//! The evaluator is the separate `tagc_eval` crate, which shares no code with the compiler.
//! This module translates a tagc request into the evaluator's terms using the catalog's facts
//! (which tag condition keys the action's request carries, the service's create-context key)
//! and the place in the organization the request is made from.
//!
//! The request side follows AWS: a create that carries tags is also authorized as the tagging
//! actions its API operation lists in the catalog (`lambda:CreateFunction` as
//! `lambda:TagResource`, with the create-context key set), and is allowed only when those are.
//!
//! It also gives a `test` block its verdict ([`run_test`]): each layer's decision against the
//! expectation, and against the reference semantics, whose disagreement is a bug in tagc.

use std::collections::BTreeMap;

use tagc_eval::{
    EffectivePolicy, EvalError, Policy, PolicyKind, RequestContext, Verdict, effective_policy,
    evaluate_policies,
};

use crate::artifact::{Artifact, ArtifactKind};
use crate::catalog::Catalog;
use crate::model::{
    ActionName, Decision, Layer, Project, Request, Target, TestCase, removes_tags, type_covered,
    wildcard_match,
};
use crate::reference;

/// Why requests cannot be run against the emitted documents.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum VerifyError {
    /// The evaluator could not read a document of the build.
    #[error("an emitted document could not be evaluated: {reason}")]
    #[diagnostic(
        code("tagc::verify::unevaluable"),
        severity(Error),
        help(
            "the documents come from a successful build, so this is a bug in tagc: report it \
             with the project's files"
        )
    )]
    Unevaluable {
        /// The evaluator's reason.
        reason: String,
    },
}

impl From<EvalError> for VerifyError {
    fn from(e: EvalError) -> Self {
        Self::Unevaluable {
            reason: e.to_string(),
        }
    }
}

/// The emitted documents of a project, parsed once for many requests.
pub struct Verifier<'c> {
    catalog: &'c Catalog,
    scp: Vec<Policy>,
    iam: Vec<Policy>,
    /// Actions named by the IAM Allow statements: for these, no matching Allow means deny.
    granted: Vec<String>,
    /// The effective tag policy where the request is made, and the names of the tag policies
    /// merged into it.
    tag_policy: EffectivePolicy,
    tag_policy_names: Vec<String>,
}

/// One layer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDecision {
    /// The layer.
    pub layer: Layer,
    /// Its decision.
    pub decision: Decision,
    /// Why, from the evaluator.
    pub explanation: String,
}

impl<'c> Verifier<'c> {
    /// Parse the artifacts of a build, for a request made under every policy: the tag policies
    /// are merged as if every target were on one path from the root (see [`Self::at`]).
    pub fn new(artifacts: &[Artifact], catalog: &'c Catalog) -> Result<Self, EvalError> {
        Self::at(artifacts, catalog, None)
    }

    /// Parse the artifacts of a build, for a request made from `scope` (`None`: under every
    /// policy). The tag policies attached on the path from the root to `scope` are merged into
    /// its effective tag policy as AWS does: root first, then each OU down the path, then the
    /// account, each level's documents in artifact order
    /// (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_mgmt.html>).
    /// An OU given by id and an account sit below every OU path, as their place in the tree is
    /// not known offline.
    pub fn at(
        artifacts: &[Artifact],
        catalog: &'c Catalog,
        scope: Option<&Target>,
    ) -> Result<Self, EvalError> {
        let mut v = Self {
            catalog,
            scp: Vec::new(),
            iam: Vec::new(),
            granted: Vec::new(),
            tag_policy: EffectivePolicy::default(),
            tag_policy_names: Vec::new(),
        };
        let mut levels: BTreeMap<usize, Vec<serde_json::Value>> = BTreeMap::new();
        for a in artifacts {
            // Content that is not JSON is refused, never read as a `null` document.
            let doc = a.document().map_err(|e| EvalError::MalformedPolicy {
                message: format!("`{}` is not JSON: {e}", a.name),
            })?;
            match a.kind {
                ArtifactKind::Scp => v.scp.push(Policy::parse(&doc)?.with_name(&a.name)),
                ArtifactKind::IamPolicy => {
                    v.granted.extend(allowed_actions(&doc));
                    v.iam.push(Policy::parse(&doc)?.with_name(&a.name));
                }
                ArtifactKind::TagPolicy => {
                    let mut attached = false;
                    for t in &a.targets {
                        if scope.is_none_or(|s| t.applies_to(s)) {
                            levels.entry(depth(t)).or_default().push(doc.clone());
                            attached = true;
                        }
                    }
                    if attached {
                        v.tag_policy_names.push(a.name.clone());
                    }
                }
            }
        }
        let levels: Vec<Vec<serde_json::Value>> = levels.into_values().collect();
        v.tag_policy = effective_policy(&levels)?;
        Ok(v)
    }

    /// The tagging requests AWS also authorizes for `request`: for a call that carries tags
    /// (and is not itself tagging during a create), the tagging actions of its API operation,
    /// with the same tags, in the context of the create.
    fn implied_tagging(&self, request: &Request) -> Vec<Request> {
        if request.tags.is_empty() || request.on_create.is_some() {
            return Vec::new();
        }
        let Some(service) = self.catalog.service(request.action.service()) else {
            return Vec::new();
        };
        // A create's tags flow into the tagging actions that set tags, not into the removals
        // an update may also authorize.
        service
            .tagging_authorized_by(request.action.action())
            .iter()
            .map(|tagging| ActionName::new(&service.prefix, tagging))
            .filter(|action| !removes_tags(action))
            .map(|action| Request {
                principal: request.principal.clone(),
                action,
                tags: request.tags.clone(),
                on_create: Some(request.action.action().to_owned()),
                resource: None,
            })
            .collect()
    }

    /// The decision of `layer` for `request`.
    pub fn decide(&self, layer: Layer, request: &Request) -> LayerDecision {
        match layer {
            Layer::Scp => self.decide_scp(request),
            Layer::Iam => self.decide_iam(request),
            Layer::TagPolicy => self.decide_tag_policy(request),
        }
    }

    /// The SCP layer: the request, and the tagging a tagged create also needs.
    fn decide_scp(&self, request: &Request) -> LayerDecision {
        let layer = Layer::Scp;
        let e = evaluate_policies(&self.scp, PolicyKind::Scp, &context(request, self.catalog));
        if e.is_allowed() {
            for t in &self.implied_tagging(request) {
                let te = evaluate_policies(&self.scp, PolicyKind::Scp, &context(t, self.catalog));
                if !te.is_allowed() {
                    return implied_denial(layer, t, request, &te.to_string());
                }
            }
        }
        LayerDecision {
            layer,
            decision: if e.is_allowed() {
                Decision::Allow
            } else {
                Decision::Deny
            },
            explanation: e.to_string(),
        }
    }

    /// The IAM layer: tagc's identity policies, for the request and the tagging a tagged
    /// create also needs.
    fn decide_iam(&self, request: &Request) -> LayerDecision {
        let layer = Layer::Iam;
        let e = evaluate_policies(
            &self.iam,
            PolicyKind::Identity,
            &context(request, self.catalog),
        );
        // An identity policy that does not allow an action leaves it to the account's other
        // policies — unless it is the grant form's own action, which it decides.
        let mut explanation = e.to_string();
        let decision = self.identity_decision(e.verdict, &request.action, false);
        if e.verdict == Verdict::ImplicitDeny && decision == Decision::Allow {
            // Not "implicitly denied": that would contradict the decision. Only the first line
            // says so; the lines after it say why each statement did not apply.
            let mut text = format!(
                "not denied: no statement of tagc's IAM policies decides `{}`, so the principal's other IAM policies do",
                request.action
            );
            if let Some((_, why)) = explanation.split_once('\n') {
                text.push('\n');
                text.push_str(why);
            }
            explanation = text;
        }
        if decision == Decision::Allow {
            for t in &self.implied_tagging(request) {
                let te =
                    evaluate_policies(&self.iam, PolicyKind::Identity, &context(t, self.catalog));
                // A create this policy allows must have its tagging allowed here too.
                let granted = e.verdict == Verdict::Allow;
                if self.identity_decision(te.verdict, &t.action, granted) == Decision::Deny {
                    return implied_denial(layer, t, request, &te.to_string());
                }
            }
        }
        LayerDecision {
            layer,
            decision,
            explanation,
        }
    }

    /// The tag-policy layer: the effective tag policy where the request is made.
    fn decide_tag_policy(&self, request: &Request) -> LayerDecision {
        let layer = Layer::TagPolicy;
        if request.removes_tags() {
            return LayerDecision {
                layer,
                decision: Decision::Allow,
                explanation: "tag policies do not check the removal of tags".into(),
            };
        }
        let Some(resource_type) = request.resource_type() else {
            return LayerDecision {
                layer,
                decision: Decision::Allow,
                explanation: "the request names no resource, so no tag policy applies".into(),
            };
        };
        let report = self
            .tag_policy
            .check(&resource_type.to_string(), &request.tags);
        if report.blocked() {
            return LayerDecision {
                layer,
                decision: Decision::Deny,
                explanation: format!(
                    "blocked by the effective tag policy of {}: {report}",
                    self.tag_policy_names.join(", ")
                ),
            };
        }
        LayerDecision {
            layer,
            decision: Decision::Allow,
            explanation: format!("no tag policy blocks tagging {resource_type} with these tags"),
        }
    }
}

impl Verifier<'_> {
    /// An identity-policy verdict as a decision. A policy that does not allow an action leaves
    /// it to the account's other policies — unless it is the grant form's own action, which it
    /// decides, or `granted` says the policy is what allows the call it is part of.
    fn identity_decision(&self, verdict: Verdict, action: &ActionName, granted: bool) -> Decision {
        match verdict {
            Verdict::ExplicitDeny => Decision::Deny,
            Verdict::Allow => Decision::Allow,
            Verdict::ImplicitDeny => {
                let action = action.to_string();
                if granted
                    || self
                        .granted
                        .iter()
                        .any(|p| wildcard_match(p, &action, true))
                {
                    Decision::Deny
                } else {
                    Decision::Allow
                }
            }
        }
    }
}

/// A denial because of the tagging action a tagged create also needs.
fn implied_denial(
    layer: Layer,
    tagging: &Request,
    create: &Request,
    explanation: &str,
) -> LayerDecision {
    LayerDecision {
        layer,
        decision: Decision::Deny,
        explanation: format!(
            "with tags, the call is also authorized as `{}` (during `{}`), which is denied: {explanation}",
            tagging.action,
            create.action.action()
        ),
    }
}

/// The request as the evaluator sees it: the condition keys AWS puts in the request context
/// of its action, according to the catalog
/// (<https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html>).
///
/// `aws:PrincipalArn` always; `aws:RequestTag/…` for each tag when the action supports that key,
/// and `aws:TagKeys` with every key when it supports that one (a tag-removing action names its
/// keys and sets no value); for tagging run as part of a create, the service's create-context
/// key from the catalog set to the create's name. An action the catalog does not know carries
/// every tag key the request has. A missing resource becomes `*`.
pub fn context(request: &Request, catalog: &Catalog) -> RequestContext {
    let resource = request.resource.clone().unwrap_or_else(|| "*".to_owned());
    let mut ctx = RequestContext::new(request.action.to_string(), resource)
        .with_principal_arn(&request.principal);
    let service = request.action.service();
    let info = catalog.action(service, request.action.action());
    let carries_request_tags = info.is_none_or(|a| a.request_tag.any());
    let carries_tag_keys = info.is_none_or(|a| a.tag_keys.any());
    if carries_request_tags && !request.removes_tags() {
        for (k, v) in &request.tags {
            ctx = ctx.with_key(format!("aws:RequestTag/{k}"), v.clone());
        }
    }
    if carries_tag_keys {
        ctx = ctx.with_tag_keys(request.tags.iter().map(|(k, _)| k.clone()));
    }
    if let Some(create) = &request.on_create
        && let Some(key) = catalog
            .service(service)
            .and_then(|s| s.create_context_key.as_ref())
    {
        // AWS puts the bare operation name in the key (`CreateTrainingJob`), which is
        // what `on_create` holds.
        ctx = ctx.with_key(key.clone(), create.clone());
    }
    ctx
}

/// How deep in the organization tree a target sits: the root 0, an OU path its number of
/// levels below the root, then OUs by id, then accounts.
fn depth(target: &Target) -> usize {
    match target {
        Target::Root => 0,
        Target::OuPath(p) => p.split('/').count().saturating_sub(1).max(1),
        Target::OuId(_) => usize::MAX - 1,
        Target::Account(_) => usize::MAX,
    }
}

/// The actions of every Allow statement of an IAM document.
fn allowed_actions(doc: &serde_json::Value) -> Vec<String> {
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let mut out = Vec::new();
    for s in statements.iter().filter(|s| s["Effect"] == "Allow") {
        match &s["Action"] {
            serde_json::Value::String(a) => out.push(a.clone()),
            serde_json::Value::Array(a) => {
                out.extend(a.iter().filter_map(|v| v.as_str().map(str::to_owned)));
            }
            _ => {}
        }
    }
    out
}

/// The layers a test checks when it names none: the SCP and the IAM guardrail always, and the
/// tag policy when the request tags a resource type some policy enforces.
pub fn default_layers(project: &Project, request: &Request) -> Vec<Layer> {
    let mut layers = vec![Layer::Scp, Layer::Iam];
    if let Some(rt) = request.resource_type() {
        let enforced = project
            .policies
            .iter()
            .flat_map(|p| &p.enforce)
            .any(|r| type_covered(&r.resource_types, &rt));
        if enforced {
            layers.push(Layer::TagPolicy);
        }
    }
    layers
}

/// Whether any rule of the project could change the decision for this request: a test that
/// none could is vacuous, and passes whatever tagc emits.
pub fn could_affect(project: &Project, request: &Request) -> bool {
    let same = |name: &ActionName| *name == request.action;
    project.policies.iter().any(|p| {
        p.requires
            .iter()
            .flat_map(|r| &r.actions)
            .any(|a| same(&a.name))
            || p.only_declared
                .iter()
                .flat_map(|o| &o.actions)
                .any(|a| same(&a.name))
            || p.protects
                .iter()
                .flat_map(|r| &r.actions)
                .any(|a| same(&a.name))
            || p.forbids
                .iter()
                .flat_map(|f| &f.actions)
                .any(|a| same(&a.name))
            || (p.grant && p.tagging_on_create.iter().any(|t| same(&t.tagging_action)))
    }) || default_layers(project, request).contains(&Layer::TagPolicy)
}

/// A verifier over the artifacts of the policies in `project` (all of them, or those a scoped
/// project keeps), for a request made from `scope`.
pub fn scoped_verifier<'c>(
    project: &Project,
    artifacts: &[Artifact],
    catalog: &'c Catalog,
    scope: Option<&Target>,
) -> Result<Verifier<'c>, VerifyError> {
    let selected: Vec<_> = artifacts
        .iter()
        .filter(|a| project.policies.iter().any(|p| p.name == a.policy))
        .cloned()
        .collect();
    Ok(Verifier::at(&selected, catalog, scope)?)
}

/// One layer's part in a test's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerVerdict {
    /// The layer.
    pub layer: Layer,
    /// What the emitted documents decide.
    pub decision: Decision,
    /// Whether this layer's decision is not to blame for a failure: it is the expected one, or
    /// the test (naming no layer) passed as a whole.
    pub as_expected: bool,
}

/// A `test` block's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestVerdict {
    /// Each layer checked, in order.
    pub layers: Vec<LayerVerdict>,
    /// Why the test failed, one entry per layer to blame and per disagreement with the
    /// reference semantics; empty when it passed.
    pub failures: Vec<String>,
    /// No rule could affect the request, so the test shows nothing about the rules.
    pub vacuous: bool,
}

impl TestVerdict {
    /// Whether the test passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs a `test` block of `project` against its emitted `artifacts`. `whole` is the verifier
/// over every artifact, used when the test names no place it is made from; a test made from
/// somewhere sees only the policies attached at or above that place.
///
/// A test that names a layer checks that layer. One that names none checks the organization's
/// answer: denied when any layer the request concerns denies it. Every layer's decision is also
/// compared with the reference semantics: a disagreement fails the test whatever it expected.
pub fn run_test(
    project: &Project,
    artifacts: &[Artifact],
    catalog: &Catalog,
    whole: &Verifier<'_>,
    test: &TestCase,
) -> Result<TestVerdict, VerifyError> {
    let scoped = test.from.as_ref().map(|scope| project.scoped(scope));
    let scoped_verifier = match &scoped {
        Some(p) => Some(scoped_verifier(p, artifacts, catalog, test.from.as_ref())?),
        None => None,
    };
    let project = scoped.as_ref().unwrap_or(project);
    let verifier = scoped_verifier.as_ref().unwrap_or(whole);
    let layers = test
        .layer
        .map_or_else(|| default_layers(project, &test.request), |l| vec![l]);
    let decisions: Vec<_> = layers
        .iter()
        .map(|&layer| {
            (
                verifier.decide(layer, &test.request),
                reference::decide(project, layer, &test.request),
            )
        })
        .collect();
    let denying = decisions
        .iter()
        .any(|(got, _)| got.decision == Decision::Deny);
    let combined = if denying {
        Decision::Deny
    } else {
        Decision::Allow
    };
    let passed = if test.layer.is_some() {
        decisions.iter().all(|(got, _)| got.decision == test.expect)
    } else {
        combined == test.expect
    };
    let mut verdict = TestVerdict {
        layers: Vec::new(),
        failures: Vec::new(),
        vacuous: !could_affect(project, &test.request),
    };
    for (got, want) in &decisions {
        // Mark the layers that disagree with the expectation and, when the test failed,
        // explain them.
        let as_expected = got.decision == test.expect;
        let blame =
            !passed && (test.layer.is_some() || !as_expected || test.expect == Decision::Deny);
        verdict.layers.push(LayerVerdict {
            layer: got.layer,
            decision: got.decision,
            as_expected: as_expected || (passed && test.layer.is_none()),
        });
        if blame {
            verdict.failures.push(format!(
                "{}: expected {}, got {}\n      {}",
                got.layer,
                test.expect,
                got.decision,
                got.explanation.replace('\n', "\n      ")
            ));
        }
        if got.decision != want.decision {
            verdict.failures.push(format!(
                "{}: the emitted policy decides {} but the rules decide {} ({}) — this is a bug in tagc",
                got.layer, got.decision, want.decision, want.reason
            ));
        }
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::source::SourceFile;

    fn project(text: &str) -> Project {
        let compiled = crate::compile_sources(
            &[SourceFile::new("t.tags".to_owned(), text.to_owned())],
            Catalog::builtin(),
        );
        compiled.project.expect("test project compiles")
    }

    #[test]
    fn test_context_reads_keys_and_create_context_key_from_the_catalog() {
        let catalog = Catalog::builtin();
        let add = Request {
            principal: "arn:aws:iam::1:role/dev".to_owned(),
            action: ActionName::new("sagemaker", "AddTags"),
            tags: vec![("env".to_owned(), "dev".to_owned())],
            on_create: Some("CreateTrainingJob".to_owned()),
            resource: None,
        };
        let ctx = context(&add, catalog);
        assert_eq!(ctx.resource, "*");
        assert_eq!(
            ctx.get("sagemaker:TaggingAction")
                .map(|v| v.values().to_vec()),
            Some(vec!["CreateTrainingJob".to_owned()])
        );
        assert!(ctx.get("aws:RequestTag/env").is_some());
        assert!(ctx.get("aws:TagKeys").is_some());
        assert!(ctx.get("aws:PrincipalArn").is_some());

        // EC2's create-context key is `ec2:CreateAction`, read from the catalog.
        let ec2 = Request {
            action: ActionName::new("ec2", "CreateTags"),
            on_create: Some("RunInstances".to_owned()),
            ..add.clone()
        };
        assert!(context(&ec2, catalog).get("ec2:CreateAction").is_some());

        // A service without a create-context key gets none, rather than a guessed one.
        let lambda = Request {
            action: ActionName::new("lambda", "TagResource"),
            on_create: Some("CreateFunction".to_owned()),
            ..add.clone()
        };
        let ctx = context(&lambda, catalog);
        assert!(ctx.get("lambda:CreateAction").is_none());
        assert_eq!(
            ctx.keys.keys().filter(|k| !k.starts_with("aws:")).count(),
            0,
            "{ctx:?}"
        );

        // Removing tags: the keys, no values.
        let del = Request {
            action: ActionName::new("sagemaker", "DeleteTags"),
            on_create: None,
            ..add
        };
        let ctx = context(&del, catalog);
        assert!(ctx.get("aws:RequestTag/env").is_none());
        assert!(ctx.get("aws:TagKeys").is_some());
    }

    fn tagging(action: &str, arn: &str) -> Request {
        Request {
            principal: crate::model::DEFAULT_PRINCIPAL.to_owned(),
            action: action.parse().expect("an action name"),
            tags: vec![("env".to_owned(), "qa".to_owned())],
            on_create: None,
            resource: Some(arn.to_owned()),
        }
    }

    #[test]
    fn test_a_service_wildcard_the_service_lacks_is_refused_before_any_layer() {
        // SageMaker has no `ALL_SUPPORTED` row, so `sagemaker:*` would enforce nothing in AWS.
        let compiled = crate::compile_sources(
            &[SourceFile::new(
                "t.tags".to_owned(),
                "tag env { values \"dev\" }\npolicy p {\n  enforce env for sagemaker:*\n  attach to root\n}\n"
                    .to_owned(),
            )],
            Catalog::builtin(),
        );
        assert!(compiled.diagnostics.has_errors());
        assert_eq!(
            compiled.diagnostics.codes(),
            ["tagc::check::unsupported-resource-type"]
        );
        assert!(compiled.artifacts().is_empty());
    }

    #[test]
    fn test_default_layers_include_the_tag_policy_under_a_service_wildcard() {
        for list in ["s3:*", "s3:ALL_SUPPORTED"] {
            let p = project(&format!(
                "tag env {{ values \"dev\" }}\npolicy p {{\n  enforce env for {list}\n  attach to root\n}}\n"
            ));
            let request = tagging("s3:PutBucketTagging", "arn:aws:s3:::bucket");
            assert!(
                default_layers(&p, &request).contains(&Layer::TagPolicy),
                "{list}"
            );
            assert!(could_affect(&p, &request), "{list}");
        }
    }

    /// The verdicts of every test block of a project, in order.
    fn verdicts(text: &str) -> Vec<TestVerdict> {
        let catalog = Catalog::builtin();
        let compiled = crate::compile_sources(
            &[SourceFile::new("t.tags".to_owned(), text.to_owned())],
            catalog,
        );
        let artifacts = compiled.artifacts();
        let project = compiled.project.as_ref().expect("test project compiles");
        let whole = Verifier::new(artifacts, catalog).expect("artifacts evaluate");
        project
            .tests
            .iter()
            .map(|t| run_test(project, artifacts, catalog, &whole, t).expect("runs"))
            .collect()
    }

    const RULES: &str = "tag CostCenter\n\
        policy p {\n  require CostCenter on ec2:CreateVolume\n  attach to root\n}\n";

    #[test]
    fn test_run_test_passes_when_the_organization_answer_is_the_expected_one() {
        let v = verdicts(&format!(
            "{RULES}test \"bare\" {{\n  request ec2:CreateVolume\n  expect deny\n}}\n"
        ));
        let [v] = v.as_slice() else {
            panic!("one test expected, got {v:?}")
        };
        assert!(v.passed(), "{v:?}");
        assert!(!v.vacuous);
        assert_eq!(v.layers.first().map(|l| l.layer), Some(Layer::Scp));
        assert!(
            v.layers
                .iter()
                .any(|l| l.decision == Decision::Deny && l.as_expected)
        );
    }

    #[test]
    fn test_run_test_blames_the_named_layer_that_decides_otherwise() {
        let v = verdicts(&format!(
            "{RULES}test \"wrong\" {{\n  request ec2:CreateVolume\n  expect allow in scp\n}}\n"
        ));
        let [v] = v.as_slice() else {
            panic!("one test expected, got {v:?}")
        };
        assert!(!v.passed());
        assert_eq!(
            v.layers,
            vec![LayerVerdict {
                layer: Layer::Scp,
                decision: Decision::Deny,
                as_expected: false,
            }]
        );
        assert_eq!(v.failures.len(), 1, "{:?}", v.failures);
        assert!(
            v.failures
                .iter()
                .all(|f| f.starts_with("scp: expected allow, got deny"))
        );
    }

    #[test]
    fn test_run_test_marks_a_request_no_rule_concerns_as_vacuous() {
        let v = verdicts(&format!(
            "{RULES}test \"other\" {{\n  request s3:CreateBucket\n  expect allow\n}}\n"
        ));
        let [v] = v.as_slice() else {
            panic!("one test expected, got {v:?}")
        };
        assert!(v.passed(), "{v:?}");
        assert!(v.vacuous);
    }

    #[test]
    fn test_an_artifact_that_is_not_json_is_refused_not_read_as_null() {
        let catalog = Catalog::builtin();
        let compiled = crate::compile_sources(
            &[SourceFile::new("t.tags".to_owned(), RULES.to_owned())],
            catalog,
        );
        let mut artifacts = compiled.manifest.artifacts;
        let Some(first) = artifacts.first_mut() else {
            panic!("the rules emit artifacts")
        };
        first.content = "{not json".into();
        let name = first.name.clone();
        match Verifier::new(&artifacts, catalog).map(|_| ()) {
            Err(EvalError::MalformedPolicy { message }) => {
                assert!(
                    message.starts_with(&format!("`{name}` is not JSON")),
                    "{message}"
                );
            }
            other => panic!("expected a malformed-policy error, got {other:?}"),
        }
    }
}
