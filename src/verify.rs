//! Running requests against the emitted artifacts, per layer: the engine behind `tagc test`,
//! `tagc eval` and the differential tests.
//!
//! Input: the artifacts of a build and a [`Request`]. Output: each layer's decision with the
//! evaluator's explanation. The same request can be given to [`crate::reference::decide`]; the
//! two must agree.
//!
//! The request side follows AWS: a create that carries tags is also authorized as the tagging
//! actions its API operation lists in the catalog (`lambda:CreateFunction` as
//! `lambda:TagResource`, with the create-context key set), and is allowed only when those are.

use std::borrow::Cow;

use crate::artifact::{Artifact, ArtifactKind};
use crate::catalog::Catalog;
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
    /// Which tagging actions each API operation also authorizes.
    catalog: Cow<'static, Catalog>,
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
    /// Parse the artifacts of a build; the built-in catalog says what each operation
    /// authorizes.
    pub fn new(artifacts: &[Artifact]) -> Result<Self, EvalError> {
        Self::with_catalog(artifacts, Cow::Borrowed(Catalog::builtin()))
    }

    /// Parse the artifacts of a build, with `catalog` saying what each operation authorizes.
    pub fn with_catalog(
        artifacts: &[Artifact],
        catalog: Cow<'static, Catalog>,
    ) -> Result<Self, EvalError> {
        let mut v = Self {
            scp: Vec::new(),
            iam: Vec::new(),
            granted: Vec::new(),
            tag_policies: Vec::new(),
            catalog,
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

    /// The tagging requests AWS also authorizes for `request`: for a call that carries tags
    /// (and is not itself tagging during a create), the tagging actions of its API operation,
    /// with the same tags, in the context of the create.
    fn implied_tagging(&self, request: &Request) -> Vec<Request> {
        if request.tags.is_empty() || request.on_create.is_some() {
            return Vec::new();
        }
        let Some((service, name)) = request.action.split_once(':') else {
            return Vec::new();
        };
        // A create's tags flow into the tagging actions that set tags, not into the removals
        // an update may also authorize.
        self.catalog
            .tagging_authorized_by(service, name)
            .into_iter()
            .filter(|action| !reference::removes_tags(action))
            .map(|action| Request {
                principal: request.principal.clone(),
                action,
                tags: request.tags.clone(),
                on_create: Some(name.to_owned()),
                resource: None,
            })
            .collect()
    }

    /// The decision of `layer` for `request`.
    pub fn decide(&self, layer: Layer, request: &Request) -> LayerDecision {
        let ctx = RequestContext::from_request(request);
        let implied = match layer {
            Layer::TagPolicy => Vec::new(),
            Layer::Scp | Layer::Iam => self.implied_tagging(request),
        };
        match layer {
            Layer::Scp => {
                let e = evaluate_policies(&self.scp, PolicyKind::Scp, &ctx);
                if e.decision() == Decision::Allow {
                    for t in &implied {
                        let ctx = RequestContext::from_request(t);
                        let te = evaluate_policies(&self.scp, PolicyKind::Scp, &ctx);
                        if te.decision() == Decision::Deny {
                            return implied_denial(layer, t, &te.to_string());
                        }
                    }
                }
                LayerDecision {
                    layer,
                    decision: e.decision(),
                    explanation: e.to_string(),
                }
            }
            Layer::Iam => {
                let e = evaluate_policies(&self.iam, PolicyKind::Identity, &ctx);
                let decision = self.identity_decision(e.verdict, &request.action, false);
                if decision == Decision::Allow {
                    for t in &implied {
                        let ctx = RequestContext::from_request(t);
                        let te = evaluate_policies(&self.iam, PolicyKind::Identity, &ctx);
                        // A create this policy allows must have its tagging allowed here too.
                        let granted = e.verdict == Verdict::Allow;
                        if self.identity_decision(te.verdict, &t.action, granted) == Decision::Deny
                        {
                            return implied_denial(layer, t, &te.to_string());
                        }
                    }
                }
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

impl Verifier {
    /// An identity-policy verdict as a decision. A policy that does not allow an action leaves
    /// it to the account's other policies — unless it is the grant form's own action, which it
    /// decides, or `granted` says the policy is what allows the call it is part of.
    fn identity_decision(&self, verdict: Verdict, action: &str, granted: bool) -> Decision {
        match verdict {
            Verdict::ExplicitDeny => Decision::Deny,
            Verdict::Allow => Decision::Allow,
            Verdict::ImplicitDeny => {
                if granted || self.granted.iter().any(|p| wildcard_match(p, action, true)) {
                    Decision::Deny
                } else {
                    Decision::Allow
                }
            }
        }
    }
}

/// A denial because of the tagging action a tagged create also needs.
fn implied_denial(layer: Layer, tagging: &Request, explanation: &str) -> LayerDecision {
    LayerDecision {
        layer,
        decision: Decision::Deny,
        explanation: format!(
            "with tags, the call is also authorized as `{}` (during `{}`), which is denied: {explanation}",
            tagging.action,
            tagging.on_create.as_deref().unwrap_or_default()
        ),
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
