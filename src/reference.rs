//! The reference semantics: what the rules of a checked [`Project`] decide for a request,
//! computed straight from the rules, without any emitted document.
//!
//! This is the meaning in the product brief, written as code. The emitted SCPs, IAM policies
//! and tag policies are correct exactly when the evaluator, run on them, agrees with this module
//! for every request — which is what `tagc test` shows for the project's own test blocks and
//! what the differential tests check on random requests.

use crate::model::{
    Action, Decision, Layer, Policy, Project, Request, RuleKind, replaces_tags, type_covered,
    wildcard_match,
};

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
///
/// A create that carries tags is also authorized as the tagging actions its API operation
/// lists (`lambda:CreateFunction` as `lambda:TagResource`, in the context of the create): it
/// is allowed only when the rules allow those too.
pub fn decide(project: &Project, layer: Layer, request: &Request) -> Reference {
    let own = decide_one(project, layer, request);
    if own.decision == Decision::Deny || layer == Layer::TagPolicy {
        return own;
    }
    for implied in implied_tagging(project, request) {
        let r = decide_one(project, layer, &implied);
        if r.decision == Decision::Deny {
            return Reference::deny(format!(
                "a tagged `{}` is also authorized as `{}`, and {}",
                request.action, implied.action, r.reason
            ));
        }
    }
    own
}

/// The tagging requests AWS also authorizes for `request`: none unless it carries tags and is
/// not itself tagging during a create.
fn implied_tagging(project: &Project, request: &Request) -> Vec<Request> {
    if request.tags.is_empty() || request.on_create.is_some() {
        return Vec::new();
    }
    let create = request.action.action();
    project
        .tagging_authorized_by(&request.action)
        .iter()
        .map(|t| Request {
            principal: request.principal.clone(),
            action: t.clone(),
            tags: request.tags.clone(),
            on_create: Some(create.to_owned()),
            resource: None,
        })
        .collect()
}

fn decide_one(project: &Project, layer: Layer, request: &Request) -> Reference {
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

/// The first rule of `p` that denies `request`, visiting the kinds in [`RuleKind::ALL`] order.
fn policy_denies(project: &Project, p: &Policy, request: &Request) -> Option<Reference> {
    RuleKind::ALL.into_iter().find_map(|kind| match kind {
        RuleKind::Require => require_denies(project, p, request),
        RuleKind::OnlyDeclaredKeys => only_declared_denies(project, p, request),
        RuleKind::Protect => protect_denies(p, request),
        RuleKind::Forbid => forbid_denies(p, request),
        // Not Deny rules of the guardrails: `enforce` and `report` are the tag policy's
        // (`tag_policy`), `grant` is the IAM Allow form (`iam`), `exempt` spares a principal
        // from the whole policy (`guardrails`) and a rule's `except` from that rule (each rule
        // asks `Policy::exempts`), `attach` (and a rule's `at`, which makes a part of its
        // policy, attached there) decides where the policy applies (the
        // project is scoped before it is asked), and a description decides nothing.
        RuleKind::Enforce
        | RuleKind::Report
        | RuleKind::Grant
        | RuleKind::Exempt
        | RuleKind::Attach
        | RuleKind::Description => None,
    })
}

/// `require`: a covered action without a required key, in another casing under `exact-case`,
/// or with a value not allowed; with `when`, only if the request sets the tested tag to one of
/// its values.
fn require_denies(project: &Project, p: &Policy, request: &Request) -> Option<Reference> {
    for r in &p.requires {
        if !covers(&r.actions, request) || p.exempts(&r.except, &request.principal) {
            continue;
        }
        if r.when.as_ref().is_some_and(|w| !w.matches(&request.tags)) {
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
    None
}

/// `only-declared-keys`: a covered action setting a key no `tag` declares.
fn only_declared_denies(project: &Project, p: &Policy, request: &Request) -> Option<Reference> {
    for o in &p.only_declared {
        if !covers(&o.actions, request) || p.exempts(&o.except, &request.principal) {
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
    None
}

/// `forbid`: a covered action that sets the tag (its key in any casing) to a forbidden value.
fn forbid_denies(p: &Policy, request: &Request) -> Option<Reference> {
    if request.removes_tags() {
        // A removal sets no value.
        return None;
    }
    for f in &p.forbids {
        if covers(&f.actions, request)
            && f.test.matches(&request.tags)
            && !p.exempts(&f.except, &request.principal)
        {
            return Some(Reference::deny(format!(
                "policy `{}` forbids these values of `{}` on `{}`",
                p.name, f.test.key, request.action
            )));
        }
    }
    None
}

/// `protect`: standalone tagging that sets, removes or replaces a protected key.
fn protect_denies(p: &Policy, request: &Request) -> Option<Reference> {
    for pr in &p.protects {
        if !pr.actions.iter().any(|a| a.name == request.action)
            || p.exempts(&pr.except, &request.principal)
        {
            continue;
        }
        // Tagging that runs as part of a create is not a change to protect against — when
        // the service says so through its create-context key.
        // A condition key is `service:Name` too; its prefix says whose create it names.
        let service = request.action.service();
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
        // A call that names no key removes every tag where the key list is optional
        // (`ec2:DeleteTags` without `Tag`), the protected ones included; where the list is
        // required, the service refuses it anyway.
        if request.tags.is_empty() {
            return Some(Reference::deny(format!(
                "policy `{}` protects `{}`, and a `{}` call that names no key may remove every tag",
                p.name,
                pr.keys.join("`, `"),
                request.action
            )));
        }
        // A `Put…Tagging` call replaces the whole tag set: a protected key it leaves out is
        // removed (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutJobTagging.html).
        if replaces_tags(&request.action)
            && let Some(missing) = pr
                .keys
                .iter()
                .find(|p| !request.tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(p)))
        {
            return Some(Reference::deny(format!(
                "policy `{}` protects `{missing}`, and `{}` replaces the whole tag set with one that lacks it",
                p.name, request.action
            )));
        }
    }
    None
}

/// The IAM layer: the guardrails, and for policies with `grant`, the Allow form: a covered
/// action is allowed only when every key the policy requires of it is present (in its declared
/// casing if `exact-case`) with an allowed value, and every key is declared. The tagging
/// actions a required create also authorizes are allowed with the same tags: during that
/// create where the service names the create in a context key, and otherwise also standalone.
fn iam(project: &Project, request: &Request) -> Reference {
    if let Some(denied) = guardrails(project, request) {
        return denied;
    }
    let granting: Vec<&Policy> = project.policies.iter().filter(|p| p.grant).collect();
    let mut covered = false;
    for p in &granting {
        let direct = required_keys(p, |a| covers(std::slice::from_ref(a), request));
        if !direct.is_empty() {
            covered = true;
            if grant_allows(project, &direct, request) {
                return Reference::allow(format!("policy `{}` grants it", p.name));
            }
        }
        for t in &p.tagging_on_create {
            if t.tagging_action != request.action {
                continue;
            }
            covered = true;
            let service = t.tagging_action.service();
            // The creates whose tags this tagging request may carry: with a context key, only
            // the one it runs for.
            let creates: Vec<&String> = match (&t.context_key, &request.on_create) {
                (Some(_), Some(create)) => t.creates.iter().filter(|c| *c == create).collect(),
                (Some(_), None) => Vec::new(),
                (None, _) => t.creates.iter().collect(),
            };
            for create in creates {
                let keys = required_keys(p, |a| {
                    a.name.service() == service && a.name.action() == create.as_str()
                });
                if !keys.is_empty() && grant_allows(project, &keys, request) {
                    return Reference::allow(format!(
                        "policy `{}` grants it with the tags of `{service}:{create}`",
                        p.name
                    ));
                }
            }
        }
    }
    if covered {
        Reference::deny("the grant form allows it only with every required tag, valid and declared")
    } else {
        Reference::allow("no rule denies it")
    }
}

/// Every key policy `p` requires of the first of its required actions that `pick` selects;
/// none when it selects none, which is what the callers test for.
fn required_keys(p: &Policy, pick: impl Fn(&Action) -> bool) -> Vec<String> {
    p.requires
        .iter()
        .flat_map(|r| &r.actions)
        .find(|a| pick(a))
        .map(|a| p.required_keys(a))
        .unwrap_or_default()
}

fn grant_allows(project: &Project, keys: &[String], request: &Request) -> bool {
    !request.tags.is_empty()
        && keys.iter().all(|k| {
            request_tag(request, k).is_some_and(|(rk, v)| {
                project
                    .tag(k)
                    .is_some_and(|t| t.allows(v) && (!t.exact_case || rk == k))
            })
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
                // What the tag policy holds: a `?` pattern widened (see `tag_policy_pattern`).
                if !tag.tag_policy_allows(v) {
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
        a.name == request.action
            && (a.resources().is_empty()
                || request
                    .resource
                    .as_ref()
                    .is_none_or(|r| a.resources().iter().any(|p| wildcard_match(p, r, false))))
    })
}
