//! The reference semantics: what the rules of a checked [`Project`] decide for a request,
//! computed straight from the rules, without any emitted document.
//!
//! This is the meaning in the product brief, written as code. The emitted SCPs, IAM policies
//! and tag policies are correct exactly when the evaluator, run on them, agrees with this module
//! for every request — which is what `tagc test` shows for the project's own test blocks and
//! what the differential tests check on random requests.

use crate::model::{
    Action, Decision, Layer, Policy, Project, Request, type_covered, wildcard_match,
};
// Kept here for the check stage, which asks the same question of catalog actions.
pub use crate::model::removes_tags;

/// The reference decision of one layer for a request, with the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The decision.
    pub decision: Decision,
    /// Why, in words (the denying rule, or why nothing denied).
    pub reason: String,
}

impl Reference {
    fn allow(reason: impl Into<String>) -> Self {
        Self {
            decision: Decision::Allow,
            reason: reason.into(),
        }
    }

    fn deny(reason: impl Into<String>) -> Self {
        Self {
            decision: Decision::Deny,
            reason: reason.into(),
        }
    }
}

/// What the rules decide for `request` in `layer`.
pub fn decide(project: &Project, layer: Layer, request: &Request) -> Reference {
    match layer {
        Layer::Scp => {
            guardrails(project, request).unwrap_or_else(|| Reference::allow("no rule denies it"))
        }
        Layer::Iam => iam(project, request),
        Layer::TagPolicy => tag_policy(project, request),
    }
}

/// The Deny rules shared by the SCP and the IAM guardrail.
fn guardrails(project: &Project, request: &Request) -> Option<Reference> {
    project
        .policies
        .iter()
        .filter(|p| !exempt(p, &request.principal))
        .find_map(|p| policy_denies(project, p, request))
}

fn policy_denies(project: &Project, p: &Policy, request: &Request) -> Option<Reference> {
    for r in &p.requires {
        if !covers(&r.actions, request) {
            continue;
        }
        for key in &r.keys {
            let Some(tag) = project.tag(key) else {
                continue;
            };
            match request_tag(request, key) {
                None => {
                    return Some(Reference::deny(format!(
                        "policy `{}` requires `{key}` on `{}`",
                        p.name, request.action
                    )));
                }
                Some((k, v)) => {
                    if tag.exact_case && !request.tags.iter().any(|(rk, _)| rk == key) {
                        return Some(Reference::deny(format!(
                            "policy `{}` requires the key in the casing `{key}`, not `{k}`",
                            p.name
                        )));
                    }
                    if !tag.allows(v) {
                        return Some(Reference::deny(format!(
                            "policy `{}`: `{v}` is not an allowed value of `{key}`",
                            p.name
                        )));
                    }
                }
            }
        }
    }
    for o in &p.only_declared {
        if !covers(&o.actions, request) {
            continue;
        }
        if let Some((k, _)) = request
            .tags
            .iter()
            .find(|(k, _)| project.tag_ignore_case(k).is_none())
        {
            return Some(Reference::deny(format!(
                "policy `{}` allows only declared keys, and `{k}` is not one",
                p.name
            )));
        }
    }
    for pr in &p.protects {
        if !pr.actions.iter().any(|a| same_action(a, &request.action)) {
            continue;
        }
        // Tagging that runs as part of a create is not a change to protect against — when
        // the service says so through its create-context key.
        let service = request.action.split(':').next().unwrap_or("");
        let in_create = request.on_create.is_some()
            && pr
                .create_context_keys
                .iter()
                .any(|k| k.split(':').next() == Some(service));
        if in_create {
            continue;
        }
        if let Some((k, _)) = request
            .tags
            .iter()
            .find(|(k, _)| pr.keys.iter().any(|p| p.eq_ignore_ascii_case(k)))
        {
            return Some(Reference::deny(format!(
                "policy `{}` protects `{k}` from change",
                p.name
            )));
        }
    }
    None
}

/// The IAM layer: the guardrails, and for policies with `grant`, the Allow form: a covered
/// action is allowed only when every required key is present with an allowed value and every
/// key is declared.
fn iam(project: &Project, request: &Request) -> Reference {
    if let Some(denied) = guardrails(project, request) {
        return denied;
    }
    let granting: Vec<&Policy> = project.policies.iter().filter(|p| p.grant).collect();
    let mut covered = false;
    for p in &granting {
        for r in &p.requires {
            let direct = covers(&r.actions, request);
            let tagging = request.on_create.as_ref().is_some_and(|create| {
                p.tagging_on_create.iter().any(|t| {
                    t.context_key.is_some()
                        && t.tagging_action.eq_ignore_ascii_case(&request.action)
                        && r.actions.iter().any(|a| {
                            a.name == *create
                                && t.tagging_action.split(':').next() == Some(&a.service)
                        })
                })
            });
            let standalone_tagging = p.tagging_on_create.iter().any(|t| {
                t.context_key.is_some() && t.tagging_action.eq_ignore_ascii_case(&request.action)
            });
            if !(direct || tagging || standalone_tagging) {
                continue;
            }
            covered = true;
            if (direct || tagging) && grant_allows(project, &r.keys, request) {
                return Reference::allow(format!("policy `{}` grants it", p.name));
            }
        }
    }
    if covered {
        Reference::deny("the grant form allows it only with every required tag, valid and declared")
    } else {
        Reference::allow("no rule denies it")
    }
}

fn grant_allows(project: &Project, keys: &[String], request: &Request) -> bool {
    !request.tags.is_empty()
        && keys.iter().all(|k| {
            request_tag(request, k)
                .is_some_and(|(_, v)| project.tag(k).is_some_and(|t| t.allows(v)))
        })
        && request
            .tags
            .iter()
            .all(|(k, _)| project.tag_ignore_case(k).is_some())
}

/// The tag-policy layer: a request that sets tags on an enforced resource type is blocked when
/// a tag's value is not allowed or its key is not in the declared casing. Tag policies never
/// require a tag, so a request without the key is never blocked.
fn tag_policy(project: &Project, request: &Request) -> Reference {
    if request.removes_tags() {
        return Reference::allow("tag policies do not check the removal of tags");
    }
    let Some(resource_type) = request.resource_type() else {
        return Reference::allow("the request names no resource type a tag policy applies to");
    };
    for p in &project.policies {
        for rule in &p.enforce {
            if !type_covered(&rule.resource_types, &resource_type) {
                continue;
            }
            let Some(tag) = project.tag(&rule.key) else {
                continue;
            };
            for (k, v) in &request.tags {
                if !k.eq_ignore_ascii_case(&tag.key) {
                    continue;
                }
                if *k != tag.key {
                    return Reference::deny(format!(
                        "tag policy of `{}`: key `{k}` is not in the casing `{}` on {resource_type}",
                        p.name, tag.key
                    ));
                }
                if !tag.allows(v) {
                    return Reference::deny(format!(
                        "tag policy of `{}`: `{v}` is not an allowed value of `{}` on {resource_type}",
                        p.name, tag.key
                    ));
                }
            }
        }
    }
    Reference::allow("no enforced tag policy rule is broken")
}

/// The request's tag for `key`, found as IAM finds `aws:RequestTag/key`: ignoring case.
fn request_tag<'r>(request: &'r Request, key: &str) -> Option<(&'r str, &'r str)> {
    request
        .tags
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

fn exempt(p: &Policy, principal: &str) -> bool {
    p.exempt
        .iter()
        .any(|pattern| wildcard_match(pattern, principal, false))
}

/// Whether a rule's actions cover the request: same action (names ignore case), and the
/// request's resource among the ARNs the rule is scoped to.
fn covers(actions: &[Action], request: &Request) -> bool {
    actions.iter().any(|a| {
        same_action(a, &request.action)
            && (a.resources.is_empty()
                || request
                    .resource
                    .as_ref()
                    .is_none_or(|r| a.resources.iter().any(|p| wildcard_match(p, r, false))))
    })
}

fn same_action(a: &Action, full: &str) -> bool {
    full.split_once(':')
        .is_some_and(|(s, n)| s.eq_ignore_ascii_case(&a.service) && n.eq_ignore_ascii_case(&a.name))
}
