//! Running requests against the emitted artifacts, per layer: the engine behind `tagc test`,
//! `tagc eval` and the differential tests.
//!
//! Input: the artifacts of a build and a [`Request`]. Output: each layer's decision with the
//! evaluator's explanation. The same request can be given to [`crate::reference::decide`]; the
//! two must agree.

use std::collections::BTreeMap;

use crate::artifact::{Artifact, ArtifactKind};
use crate::eval::{
    EffectivePolicy, EvalError, Policy, PolicyKind, RequestContext, Verdict, effective_policy,
    evaluate_policies,
};
use crate::model::{Decision, Layer, Project, Request, Target, wildcard_match};
use crate::reference;

/// The emitted documents of a project, parsed once for many requests.
pub struct Verifier {
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

impl Verifier {
    /// Parse the artifacts of a build, for a request made under every policy: the tag policies
    /// are merged as if every target were on one path from the root (see [`Self::at`]).
    pub fn new(artifacts: &[Artifact]) -> Result<Self, EvalError> {
        Self::at(artifacts, None)
    }

    /// Parse the artifacts of a build, for a request made from `scope` (`None`: under every
    /// policy). The tag policies attached on the path from the root to `scope` are merged into
    /// its effective tag policy as AWS does: root first, then each OU down the path, then the
    /// account, each level's documents in artifact order
    /// (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_mgmt.html>).
    /// An OU given by id and an account sit below every OU path, as their place in the tree is
    /// not known offline.
    pub fn at(artifacts: &[Artifact], scope: Option<&Target>) -> Result<Self, EvalError> {
        let mut v = Self {
            scp: Vec::new(),
            iam: Vec::new(),
            granted: Vec::new(),
            tag_policy: EffectivePolicy::default(),
            tag_policy_names: Vec::new(),
        };
        let mut levels: BTreeMap<usize, Vec<serde_json::Value>> = BTreeMap::new();
        for a in artifacts {
            let doc = a.document();
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

    /// The decision of `layer` for `request`.
    pub fn decide(&self, layer: Layer, request: &Request) -> LayerDecision {
        let ctx = RequestContext::from_request(request);
        match layer {
            Layer::Scp => {
                let e = evaluate_policies(&self.scp, PolicyKind::Scp, &ctx);
                LayerDecision {
                    layer,
                    decision: e.decision(),
                    explanation: e.to_string(),
                }
            }
            Layer::Iam => {
                let e = evaluate_policies(&self.iam, PolicyKind::Identity, &ctx);
                // An identity policy that does not allow an action leaves it to the account's
                // other policies — unless it is the grant form's own action, which it decides.
                let decision = match e.verdict {
                    Verdict::ExplicitDeny => Decision::Deny,
                    Verdict::Allow => Decision::Allow,
                    Verdict::ImplicitDeny => {
                        if self
                            .granted
                            .iter()
                            .any(|p| wildcard_match(p, &request.action, true))
                        {
                            Decision::Deny
                        } else {
                            Decision::Allow
                        }
                    }
                };
                LayerDecision {
                    layer,
                    decision,
                    explanation: e.to_string(),
                }
            }
            Layer::TagPolicy => {
                if reference::removes_tags(&request.action) {
                    return LayerDecision {
                        layer,
                        decision: Decision::Allow,
                        explanation: "tag policies do not check the removal of tags".into(),
                    };
                }
                let Some(resource_type) = reference::request_resource_type(request) else {
                    return LayerDecision {
                        layer,
                        decision: Decision::Allow,
                        explanation: "the request names no resource, so no tag policy applies"
                            .into(),
                    };
                };
                let report = self.tag_policy.check(&resource_type, &request.tags);
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
                    explanation: format!(
                        "no tag policy blocks tagging {resource_type} with these tags"
                    ),
                }
            }
        }
    }
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
    if let Some(rt) = reference::request_resource_type(request) {
        let service = rt.split(':').next().unwrap_or("");
        let enforced = project.policies.iter().flat_map(|p| &p.enforce).any(|r| {
            r.resource_types
                .iter()
                .any(|t| *t == rt || *t == format!("{service}:ALL_SUPPORTED"))
        });
        if enforced {
            layers.push(Layer::TagPolicy);
        }
    }
    layers
}

/// Whether any rule of the project could change the decision for this request: a test that
/// none could is vacuous, and passes whatever tagc emits.
pub fn could_affect(project: &Project, request: &Request) -> bool {
    let same = |full: &str| full.eq_ignore_ascii_case(&request.action);
    project.policies.iter().any(|p| {
        p.requires
            .iter()
            .flat_map(|r| &r.actions)
            .any(|a| same(&a.full_name()))
            || p.only_declared
                .iter()
                .flat_map(|o| &o.actions)
                .any(|a| same(&a.full_name()))
            || p.protects
                .iter()
                .flat_map(|r| &r.actions)
                .any(|a| same(&a.full_name()))
            || (p.grant && p.tagging_on_create.iter().any(|t| same(&t.tagging_action)))
    }) || default_layers(project, request).contains(&Layer::TagPolicy)
}
