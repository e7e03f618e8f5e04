//! Running requests against the emitted artifacts, per layer: the engine behind `tagc test`,
//! `tagc eval` and the differential tests.
//!
//! Input: the artifacts of a build and a [`Request`]. Output: each layer's decision with the
//! evaluator's explanation. The same request can be given to [`crate::reference::decide`]; the
//! two must agree.

use crate::artifact::{Artifact, ArtifactKind};
use crate::eval::{
    EffectivePolicy, EvalError, Policy, PolicyKind, RequestContext, Verdict, effective_policy,
    evaluate_policies,
};
use crate::model::{Decision, Layer, Project, Request, wildcard_match};
use crate::reference;

/// The emitted documents of a project, parsed once for many requests.
pub struct Verifier {
    scp: Vec<Policy>,
    iam: Vec<Policy>,
    /// Actions named by the IAM Allow statements: for these, no matching Allow means deny.
    granted: Vec<String>,
    tag_policies: Vec<(String, EffectivePolicy)>,
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
    /// Parse the artifacts of a build.
    pub fn new(artifacts: &[Artifact]) -> Result<Self, EvalError> {
        let mut v = Self {
            scp: Vec::new(),
            iam: Vec::new(),
            granted: Vec::new(),
            tag_policies: Vec::new(),
        };
        for a in artifacts {
            let doc = a.document();
            match a.kind {
                ArtifactKind::Scp => v.scp.push(Policy::parse(&doc)?.with_name(&a.name)),
                ArtifactKind::IamPolicy => {
                    v.granted.extend(allowed_actions(&doc));
                    v.iam.push(Policy::parse(&doc)?.with_name(&a.name));
                }
                ArtifactKind::TagPolicy => {
                    v.tag_policies
                        .push((a.name.clone(), effective_policy(&[vec![doc]])?));
                }
            }
        }
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
                let mut explanation = e.to_string();
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
                            // Not "implicitly denied": that would contradict the decision.
                            // Only the first line says so; the lines after it say why each
                            // statement did not apply.
                            let mut text = format!(
                                "not denied: no statement of tagc's IAM policies decides `{}`, so the principal's other IAM policies do",
                                request.action
                            );
                            if let Some((_, why)) = explanation.split_once('\n') {
                                text.push('\n');
                                text.push_str(why);
                            }
                            explanation = text;
                            Decision::Allow
                        }
                    }
                };
                LayerDecision {
                    layer,
                    decision,
                    explanation,
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
                for (name, policy) in &self.tag_policies {
                    let report = policy.check(&resource_type, &request.tags);
                    if report.blocked() {
                        return LayerDecision {
                            layer,
                            decision: Decision::Deny,
                            explanation: format!("blocked by {name}: {report}"),
                        };
                    }
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
