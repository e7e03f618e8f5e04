//! The lower stage: checked model to IR, one [`LoweredPolicy`] per tagc policy.
//!
//! Input: a [`Project`] the check stage accepted. Output: the IR documents for each layer.
//! This is where each rule's meaning (see [`crate::model`]) is written in the condition
//! language of each layer, following AWS's documented patterns and avoiding its traps:
//!
//! - one `Null` statement per required key: keys under one `Null` would be combined with `AND`, and the
//!   statement would deny only when *all* were missing (dropped where a value or casing
//!   statement on the key already denies a request without it: `drop_covered_null`);
//! - allowed values as `StringNotEquals`/`StringNotLike` on `aws:RequestTag/K`, which is true
//!   when the key is missing, so it is only ever emitted on actions whose request context has
//!   that key (the check stage expanded only such actions);
//! - exact key casing through `aws:TagKeys`, because the tag-key part of `aws:RequestTag/K` is
//!   matched case-insensitively;
//! - `protect` scoped with `Null` on the service's create-context key, so that the tagging
//!   action that a create also authorizes is not denied, and a second deny for calls that
//!   name no key at all (removing every tag), which `ForAnyValue` over `aws:TagKeys` misses,
//!   and a third for `Put…Tagging` calls whose new tag set leaves a protected key out (they
//!   replace the whole set, so that removes it);
//! - in the Allow form, `ForAllValues` never alone: an empty `aws:TagKeys` would make it true;
//!   one Allow per action with every key its rules require; exact-case keys tested on
//!   `aws:TagKeys` case-sensitively; and an Allow on the tagging actions a tagged create also
//!   authorizes.
//!
//! The Deny statements are then packed, every decision kept (SCP slots are scarce, see
//! `docs/packing.md`): statements that differ only in their actions are merged; a `Null`
//! statement that another statement already covers is dropped; resource-scoped statements are
//! merged where the catalog shows no action meets a resource type it was not scoped to; and,
//! with `organization { actions compact }`, action lists become wildcards ([`crate::compact`]).
//!
//! Lowering cannot fail: everything that could be wrong was reported by the check stage.
//! Input besides the project: the catalog, for the resource types of each action and the
//! action names of each service.

use crate::artifact::Wildcard;
use crate::catalog::Catalog;
use crate::ir::{
    Condition, ConditionOperator as Op, Effect, LoweredPolicy, PolicyDocument, Statement,
    TagPolicyDocument, TagPolicyKey,
};
use crate::model::{
    Action, ActionForm, Policy, Project, Protect, RuleKind, TagDef, ValueMatch, replaces_tags,
};

/// Lower every policy of the project.
pub fn lower(project: &Project, catalog: &Catalog) -> Vec<LoweredPolicy> {
    project
        .policies
        .iter()
        .map(|p| lower_policy(project, p, catalog))
        .collect()
}

/// Lower one policy of the project. The build lowers one policy at a time and keeps only its
/// written documents (see [`crate::emit::emit`]), so the IR of the whole project is never in
/// memory at once.
pub fn lower_policy(project: &Project, policy: &Policy, catalog: &Catalog) -> LoweredPolicy {
    let guardrails = drop_covered_null(merge(guardrail_statements(project, policy)));
    let mut guardrails = merge_scoped(&guardrails, catalog);
    let mut wildcards: Vec<Wildcard> = Vec::new();
    if project.settings.actions == ActionForm::Compact {
        // Only the Deny guardrails: a wildcard there can only refuse an action AWS adds later,
        // never allow one (the grant form's Allow statements keep their names).
        for s in &mut guardrails {
            let (actions, found) = crate::compact::compact_actions(&s.actions, catalog);
            s.actions = actions;
            for w in found {
                if !wildcards.iter().any(|o| o.pattern == w.pattern) {
                    wildcards.push(w);
                }
            }
        }
    }
    dedupe_sids(&mut guardrails);
    let mut iam = guardrails.clone();
    if policy.grant {
        iam.extend(grant_statements(project, policy));
    }
    LoweredPolicy {
        name: policy.name.clone(),
        description: policy
            .description
            .clone()
            .unwrap_or_else(|| format!("tagc policy {}", policy.name)),
        scp: PolicyDocument {
            statements: guardrails,
        },
        iam: PolicyDocument { statements: iam },
        tag_policy: tag_policy(project, policy),
        wildcards,
    }
}

/// The Deny statements shared by the SCP and the IAM guardrail.
fn guardrail_statements(project: &Project, policy: &Policy) -> Vec<Statement> {
    let mut out = Vec::new();
    // In the order of `RuleKind::ALL`, and with no wildcard: a new kind of rule breaks the
    // build here until it says what, if anything, it adds to the guardrails.
    for kind in RuleKind::ALL {
        match kind {
            RuleKind::Require => {
                for require in &policy.requires {
                    let exempt = exemption(policy, &require.except);
                    for (resources, actions) in by_resources(&require.actions) {
                        for key in &require.keys {
                            let Some(tag) = project.tag(key) else {
                                continue;
                            };
                            let request_tag = format!("aws:RequestTag/{key}");
                            // `when`: each statement also needs the request to set the tested
                            // tag to one of the values; a positive operator is false when the
                            // tag is missing, so a request without it is not denied.
                            let when: Vec<Condition> = require
                                .when
                                .as_deref()
                                .into_iter()
                                .map(value_condition)
                                .collect();
                            let with_when = |c: Condition| {
                                let mut v = vec![c];
                                v.extend(when.iter().cloned());
                                v
                            };
                            out.push(deny(
                                format!("Require{}", sid_part(key)),
                                &actions,
                                &resources,
                                with_when(Condition::new(
                                    Op::Null,
                                    &request_tag,
                                    vec!["true".into()],
                                )),
                                exempt.as_ref(),
                            ));
                            if let Some(values) = &tag.values {
                                out.push(deny(
                                    format!("Require{}Value", sid_part(key)),
                                    &actions,
                                    &resources,
                                    with_when(Condition::new(
                                        value_operator(values, true),
                                        &request_tag,
                                        values.clone(),
                                    )),
                                    exempt.as_ref(),
                                ));
                            }
                            if tag.exact_case {
                                // True when no request key is exactly `key` (and on an empty set, which the
                                // Null statement already denies): a case variant alone is refused.
                                out.push(deny(
                                    format!("Require{}Case", sid_part(key)),
                                    &actions,
                                    &resources,
                                    with_when(Condition::new(
                                        Op::ForAllValuesStringNotEquals,
                                        "aws:TagKeys",
                                        vec![key.clone()],
                                    )),
                                    exempt.as_ref(),
                                ));
                            }
                        }
                    }
                }
            }
            RuleKind::OnlyDeclaredKeys => {
                for only in &policy.only_declared {
                    let exempt = exemption(policy, &only.except);
                    let declared: Vec<String> =
                        project.tags.iter().map(|t| t.key.clone()).collect();
                    for (resources, actions) in by_resources(&only.actions) {
                        // ForAnyValue is false on an empty set, so a request without tags passes here; and
                        // keys are compared ignoring case, as the key part of aws:RequestTag is.
                        out.push(deny(
                            "OnlyDeclaredKeys".into(),
                            &actions,
                            &resources,
                            vec![Condition::new(
                                Op::ForAnyValueStringNotEqualsIgnoreCase,
                                "aws:TagKeys",
                                declared.clone(),
                            )],
                            exempt.as_ref(),
                        ));
                    }
                }
            }
            RuleKind::Protect => {
                for protect in &policy.protects {
                    let exempt = exemption(policy, &protect.except);
                    out.extend(protect_statements(protect, exempt.as_ref()));
                }
            }
            RuleKind::Forbid => out.extend(forbid_statements(policy)),
            // `enforce` and `report` are the tag policy's (`tag_policy`), `grant` adds the
            // Allow form to the IAM policy (`grant_statements`), `exempt` is every statement's
            // exemption (`exemption`), and `attach` and `description` place and name the
            // documents: none adds a guardrail statement.
            RuleKind::Enforce
            | RuleKind::Report
            | RuleKind::Grant
            | RuleKind::Exempt
            | RuleKind::Attach
            | RuleKind::Description => {}
        }
    }
    out
}

/// The Deny statements of the `forbid` rules: denied when the request sets the tag to a
/// forbidden value; a request without the tag is not (the positive operator is false on a
/// missing key). Values are compared case-sensitively, the key ignoring case, as for `require`.
fn forbid_statements(policy: &Policy) -> Vec<Statement> {
    let mut out = Vec::new();
    for forbid in &policy.forbids {
        let exempt = exemption(policy, &forbid.except);
        for (resources, actions) in by_resources(&forbid.actions) {
            out.push(deny(
                format!("Forbid{}Value", sid_part(&forbid.test.key)),
                &actions,
                &resources,
                vec![value_condition(&forbid.test)],
                exempt.as_ref(),
            ));
        }
    }
    out
}

/// The Deny statements of one `protect`: calls that name a protected key, calls that name no
/// key, and `Put…Tagging` calls whose replacement set leaves a protected key out.
fn protect_statements(protect: &Protect, exempt: Option<&Condition>) -> Vec<Statement> {
    let mut out = Vec::new();
    let actions: Vec<String> = protect.actions.iter().map(|a| a.name.to_string()).collect();
    let mut conditions = vec![Condition::new(
        Op::ForAnyValueStringEqualsIgnoreCase,
        "aws:TagKeys",
        protect.keys.clone(),
    )];
    for key in &protect.create_context_keys {
        conditions.push(Condition::new(Op::Null, key, vec!["true".into()]));
    }
    let mut keyless = vec![Condition::new(Op::Null, "aws:TagKeys", vec!["true".into()])];
    keyless.extend(conditions.iter().skip(1).cloned());
    out.push(deny(
        "ProtectTags".into(),
        &actions,
        &[],
        conditions,
        exempt,
    ));
    // A call that names no key carries no `aws:TagKeys`, so the statement above never
    // matches it; yet `ec2:DeleteTags` without `Tag` deletes every user tag
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html). The
    // service reference does not say which tagging APIs make the key list optional, so
    // every protected action is denied that shape: where the list is required, the
    // service refuses such a call anyway.
    out.push(deny(
        "ProtectTagsNoKeys".into(),
        &actions,
        &[],
        keyless.clone(),
        exempt,
    ));
    // A `Put…Tagging` call replaces the whole tag set, so one whose new set lacks a
    // protected key removes it without naming it. `ForAllValues` is true when no request
    // key is a protected one (and on an empty or missing set); a set that names one is a
    // change the first statement denies. Keys compare ignoring case as there, so the
    // statements together deny every standalone call of these actions.
    let replacing: Vec<String> = protect
        .actions
        .iter()
        .filter(|a| replaces_tags(&a.name))
        .map(|a| a.name.to_string())
        .collect();
    if !replacing.is_empty() {
        let mut replaced = vec![Condition::new(
            Op::ForAllValuesStringNotEqualsIgnoreCase,
            "aws:TagKeys",
            protect.keys.clone(),
        )];
        replaced.extend(keyless.iter().skip(1).cloned());
        out.push(deny(
            "ProtectTagsReplaceAll".into(),
            &replacing,
            &[],
            replaced,
            exempt,
        ));
    }
    out
}

/// The Allow ("grant") form: creates are allowed only with every required key present and
/// valid, no undeclared keys, and the tagging actions a tagged create also authorizes.
///
/// An Allow cannot be narrowed by another Allow, so each action gets exactly one Allow
/// carrying every key the policy's `require` rules ask of it: actions are grouped by their
/// whole required-key set. (One Allow per rule would let a create through that satisfies only
/// one of two rules on it.)
fn grant_statements(project: &Project, policy: &Policy) -> Vec<Statement> {
    let declared: Vec<String> = project.tags.iter().map(|t| t.key.clone()).collect();
    let groups = grant_groups(policy);
    let mut out = Vec::new();
    for group in &groups {
        let conditions = grant_conditions(project, &group.keys, &declared);
        for (resources, actions) in by_resources(&group.actions) {
            if !resources.is_empty() {
                // AWS authorizes such a create once per resource it touches: `RunInstances`
                // also touches an image, a subnet, a security group. Those carry no request
                // tags and the rule says nothing about them, so they are allowed as they are
                // (AWS's own example of this pattern does the same).
                out.push(Statement {
                    sid: "AllowCreateOtherResources".into(),
                    effect: Effect::Allow,
                    actions: actions.clone(),
                    resources: resources.clone(),
                    not_resource: true,
                    conditions: Vec::new(),
                });
            }
            out.push(Statement {
                sid: "AllowCreateWithTags".into(),
                effect: Effect::Allow,
                actions,
                resources,
                not_resource: false,
                conditions: conditions.clone(),
            });
        }
    }
    // A create that carries tags is also authorized as the tagging actions its API operation
    // lists (the service reference's `Operations[].AuthorizedActions`): without an Allow on
    // them, no create with tags could succeed.
    for t in &policy.tagging_on_create {
        let service = t.tagging_action.service();
        for group in &groups {
            let creates: Vec<String> = group
                .actions
                .iter()
                .filter(|a| {
                    a.name.service() == service && t.creates.iter().any(|c| c == a.name.action())
                })
                .map(|a| a.name.action().to_owned())
                .collect();
            if creates.is_empty() {
                continue;
            }
            let mut conditions = grant_conditions(project, &group.keys, &declared);
            let sid = match &t.context_key {
                // Limited to tagging during the listed creates.
                Some(context_key) => {
                    conditions.push(Condition::new(Op::StringEquals, context_key, creates));
                    "AllowTaggingOnCreate"
                }
                // The service does not say when tagging runs as part of a create, so this
                // also allows standalone tagging with the same tags.
                None => "AllowTaggingWithTags",
            };
            out.push(Statement {
                sid: sid.into(),
                effect: Effect::Allow,
                actions: vec![t.tagging_action.to_string()],
                resources: Vec::new(),
                not_resource: false,
                conditions,
            });
        }
    }
    let mut out = merge(out);
    dedupe_sids(&mut out);
    out
}

/// Actions that the grant form allows with the same required keys.
struct GrantGroup {
    /// Every key some `require` of the policy asks of these actions, in first-seen order.
    keys: Vec<String>,
    /// The actions.
    actions: Vec<Action>,
}

/// The policy's required actions grouped by their whole required-key set, in first-seen order.
fn grant_groups(policy: &Policy) -> Vec<GrantGroup> {
    let mut groups: Vec<GrantGroup> = Vec::new();
    let mut seen: Vec<&Action> = Vec::new();
    // A conditional requirement (`when`) is left to the Deny statements the IAM policy carries
    // beside the Allow form: an Allow cannot say "these keys, but only when …" without one
    // Allow per combination of conditions.
    for action in policy
        .requires
        .iter()
        .filter(|r| r.when.is_none())
        .flat_map(|r| &r.actions)
    {
        if seen.contains(&action) {
            continue;
        }
        seen.push(action);
        let keys = policy.required_keys(action);
        let mut sorted = keys.clone();
        sorted.sort();
        let found = groups.iter_mut().find(|g| {
            let mut k = g.keys.clone();
            k.sort();
            k == sorted
        });
        match found {
            Some(g) => g.actions.push(action.clone()),
            None => groups.push(GrantGroup {
                keys,
                actions: vec![action.clone()],
            }),
        }
    }
    groups
}

/// The case-sensitive operators that can each test that `aws:TagKeys` holds one exact key:
/// an Allow needs one test per exact-case key, and a condition block names a key once per
/// operator. Tag keys cannot contain `*` or `?`, so `StringLike` compares them exactly, and
/// the Allow's `Null` test makes `aws:TagKeys` present, so `IfExists` changes nothing.
pub const EXACT_KEY_OPERATORS: [Op; 4] = [
    Op::ForAnyValueStringEquals,
    Op::ForAnyValueStringLike,
    Op::ForAnyValueStringEqualsIfExists,
    Op::ForAnyValueStringLikeIfExists,
];

fn grant_conditions(project: &Project, keys: &[String], declared: &[String]) -> Vec<Condition> {
    let mut conditions = Vec::new();
    let mut equals: Vec<Condition> = Vec::new();
    let mut like: Vec<Condition> = Vec::new();
    let mut present: Vec<Condition> = Vec::new();
    let mut exact: Vec<Condition> = Vec::new();
    for key in keys {
        let request_tag = format!("aws:RequestTag/{key}");
        let tag = project.tag(key);
        match tag.and_then(|t| t.values.as_ref()) {
            Some(values) => {
                let c = Condition::new(value_operator(values, false), request_tag, values.clone());
                if c.operator == Op::StringLike {
                    like.push(c);
                } else {
                    equals.push(c);
                }
            }
            None => present.push(Condition::new(Op::Null, request_tag, vec!["false".into()])),
        }
        if tag.is_some_and(|t| t.exact_case) {
            // The key part of `aws:RequestTag/K` ignores case; `aws:TagKeys` does not. The
            // check stage refused more exact-case keys than there are operators.
            if let Some(op) = EXACT_KEY_OPERATORS.get(exact.len()) {
                exact.push(Condition::new(*op, "aws:TagKeys", vec![key.clone()]));
            }
        }
    }
    conditions.extend(equals);
    conditions.extend(like);
    conditions.extend(present);
    // Null false first closes the empty-set trap: ForAllValues alone is true without tags.
    conditions.push(Condition::new(
        Op::Null,
        "aws:TagKeys",
        vec!["false".into()],
    ));
    conditions.push(Condition::new(
        Op::ForAllValuesStringEqualsIgnoreCase,
        "aws:TagKeys",
        declared.to_vec(),
    ));
    conditions.extend(exact);
    conditions
}

fn tag_policy(project: &Project, policy: &Policy) -> TagPolicyDocument {
    let keys = policy
        .tag_policy_keys()
        .into_iter()
        .filter_map(|k| project.tag(k))
        .map(|tag: &TagDef| TagPolicyKey {
            key: tag.key.clone(),
            values: tag.tag_policy_values(),
            enforced_for: types_for(&policy.enforce, &tag.key),
            report_required_for: types_for(&policy.report, &tag.key),
        })
        .collect();
    TagPolicyDocument { keys }
}

fn types_for(rules: &[crate::model::ResourceRule], key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rules.iter().filter(|r| r.key == key) {
        for t in &r.resource_types {
            let t = t.to_string();
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// `StringNotLike`/`StringLike` when a value has a wildcard, else the exact operators, which
/// do not treat `*` and `?` specially.
fn value_operator(values: &[String], negated: bool) -> Op {
    let wildcard = values.iter().any(|v| v.contains('*') || v.contains('?'));
    match (wildcard, negated) {
        (true, true) => Op::StringNotLike,
        (true, false) => Op::StringLike,
        (false, true) => Op::StringNotEquals,
        (false, false) => Op::StringEquals,
    }
}

/// `aws:RequestTag/KEY` set to one of the values: `StringLike` when a value is a pattern,
/// else `StringEquals`.
fn value_condition(test: &ValueMatch) -> Condition {
    Condition::new(
        value_operator(&test.values, false),
        format!("aws:RequestTag/{}", test.key),
        test.values.clone(),
    )
}

/// The condition that spares a rule's exempt principals: `ArnNotLike` on `aws:PrincipalArn`
/// with the policy's `exempt` and the rule's `except` (a list of values is an OR, so the deny
/// applies only when the principal matches none of them:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html>).
/// Rules with different exemptions get different conditions, so their statements are never
/// merged; they still share the policy's documents, and no document or slot is added.
fn exemption(policy: &Policy, except: &[String]) -> Option<Condition> {
    let all = policy.exemption(except);
    (!all.is_empty()).then(|| Condition::new(Op::ArnNotLike, "aws:PrincipalArn", all))
}

fn deny(
    sid: String,
    actions: &[String],
    resources: &[String],
    mut conditions: Vec<Condition>,
    exempt: Option<&Condition>,
) -> Statement {
    conditions.extend(exempt.cloned());
    Statement {
        sid,
        effect: Effect::Deny,
        actions: actions.to_vec(),
        resources: resources.to_vec(),
        not_resource: false,
        conditions,
    }
}

/// Group actions by their resource scope, keeping first-seen order.
fn by_resources(actions: &[Action]) -> Vec<(Vec<String>, Vec<String>)> {
    let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for a in actions {
        let name = a.name.to_string();
        match groups.iter_mut().find(|(r, _)| r == a.resources()) {
            Some((_, names)) => {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            None => groups.push((a.resources().to_vec(), vec![name])),
        }
    }
    groups
}

/// Merge statements that differ only in their actions (same effect, resources and
/// conditions): the union of their actions under one statement means the same, in fewer
/// characters.
pub fn merge(statements: Vec<Statement>) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::new();
    for s in statements {
        match out.iter_mut().find(|o| o.same_scope(&s)) {
            Some(o) => {
                for a in s.actions {
                    if !o.actions.contains(&a) {
                        o.actions.push(a);
                    }
                }
            }
            None => out.push(s),
        }
    }
    out
}

/// Drop each Deny statement whose only test besides the others it shares is `Null` on
/// `aws:RequestTag/K` being `true` (K missing), when a statement with the same effect,
/// resources and other conditions (the exemption), covering at least its actions, tests K with
/// a condition that is also true whenever K is missing:
///
/// - `StringNotEquals` or `StringNotLike` on `aws:RequestTag/K`: "If the key that you specify
///   in a policy condition is not present in the request context, the values do not match and
///   the condition is false. If the policy condition requires that the key is *not* matched,
///   such as `StringNotLike` or `ArnNotLike`, and the right key is not present, the condition
///   is true"
///   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>);
/// - `ForAllValues:StringNotEquals` on `aws:TagKeys` with the value K: it is true when no
///   request key is exactly K, which holds when K is missing in any casing; and `ForAllValues`
///   "returns true if there are no context keys in the request"
///   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).
///
/// The other statement then denies every request the `Null` statement denies, so the `Null`
/// one changes no decision.
fn drop_covered_null(statements: Vec<Statement>) -> Vec<Statement> {
    let covered = |i: usize, s: &Statement| -> bool {
        let Some((null, rest)) = split_null(s) else {
            return false;
        };
        // `split_null` only returns a `Null` test on an `aws:RequestTag/` key.
        let Some(key) = null.key.strip_prefix("aws:RequestTag/") else {
            return false;
        };
        statements.iter().enumerate().any(|(j, o)| {
            j != i
                && o.effect == s.effect
                && o.resources == s.resources
                && o.not_resource == s.not_resource
                && s.actions.iter().all(|a| o.actions.contains(a))
                && o.conditions.len() == s.conditions.len()
                && o.conditions.iter().any(|c| {
                    let others: Vec<&Condition> = o.conditions.iter().filter(|x| *x != c).collect();
                    others == rest && true_when_missing(c, &null.key, key)
                })
        })
    };
    let keep: Vec<bool> = statements
        .iter()
        .enumerate()
        .map(|(i, s)| !covered(i, s))
        .collect();
    statements
        .into_iter()
        .zip(keep)
        .filter_map(|(s, k)| k.then_some(s))
        .collect()
}

/// The statement's `Null` test that `aws:RequestTag/K` is missing, and its other conditions.
fn split_null(s: &Statement) -> Option<(&Condition, Vec<&Condition>)> {
    let null = s.conditions.iter().find(|c| {
        c.operator == Op::Null && c.key.starts_with("aws:RequestTag/") && c.values == ["true"]
    })?;
    let rest = s.conditions.iter().filter(|c| *c != null).collect();
    Some((null, rest))
}

/// Whether condition `c` is true whenever `aws:RequestTag/K` (`request_tag`) is missing.
fn true_when_missing(c: &Condition, request_tag: &str, key: &str) -> bool {
    match c.operator {
        Op::StringNotEquals | Op::StringNotLike => c.key == request_tag,
        Op::ForAllValuesStringNotEquals => c.key == "aws:TagKeys" && c.values == [key],
        _ => false,
    }
}

/// Merge resource-scoped statements (EC2's: an action that carries request tags only for some
/// resource types is scoped to their ARNs) that have the same effect and conditions, when the
/// catalog shows that the merge decides the same for every action and resource type: the
/// merged statement applies each action to the other statement's resource types too, so it is
/// merged only when none of those is a type the catalog lists for the action (with any tag
/// condition key; an action is authorized only on the resource types it lists,
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html>).
/// A resource pattern the catalog does not name, or an action it does not know, is never
/// merged.
///
/// Which statements may share one is a graph colouring (two statements conflict when one's
/// action meets the other's type); statements with the most conflicts are placed first, each
/// into the first group it does not conflict with, which needs fewer groups than taking them
/// in order. Each group stands where its first statement stood.
fn merge_scoped(statements: &[Statement], catalog: &Catalog) -> Vec<Statement> {
    let scoped = |x: &Statement| !x.resources.is_empty() && !x.not_resource;
    let mergeable = |a: &Statement, b: &Statement| {
        a.effect == b.effect
            && a.conditions == b.conditions
            && !meets_new_type(a, b, catalog)
            && !meets_new_type(b, a, catalog)
    };
    let candidates: Vec<usize> = (0..statements.len())
        .filter(|&i| scoped(&statements[i]))
        .collect();
    let conflicts = |i: usize| {
        candidates
            .iter()
            .filter(|&&j| {
                j != i
                    && statements[j].effect == statements[i].effect
                    && statements[j].conditions == statements[i].conditions
                    && !mergeable(&statements[i], &statements[j])
            })
            .count()
    };
    let mut order: Vec<(usize, usize)> = candidates.iter().map(|&i| (conflicts(i), i)).collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    // Each group: its members' indices and the statement they make together.
    let mut groups: Vec<(Vec<usize>, Statement)> = Vec::new();
    for (_, i) in order {
        let s = &statements[i];
        match groups.iter_mut().find(|(_, g)| mergeable(g, s)) {
            Some((members, g)) => {
                members.push(i);
                *g = union(g, s);
            }
            None => groups.push((vec![i], s.clone())),
        }
    }
    // Rebuild each group in statement order, so that actions keep their first-seen order.
    let mut first: Vec<(usize, Statement)> = groups
        .into_iter()
        .filter_map(|(mut members, _)| {
            members.sort_unstable();
            let (&head, rest) = members.split_first()?;
            let merged = rest
                .iter()
                .fold(statements[head].clone(), |g, &j| union(&g, &statements[j]));
            Some((head, merged))
        })
        .collect();
    first.sort_by_key(|(i, _)| *i);
    let mut out = Vec::with_capacity(statements.len());
    for (i, s) in statements.iter().enumerate() {
        if !scoped(s) {
            out.push(s.clone());
        } else if let Some((_, g)) = first.iter().find(|(head, _)| *head == i) {
            out.push(g.clone());
        }
    }
    out
}

/// `a` with the actions and resources of `b` it lacks added.
fn union(a: &Statement, b: &Statement) -> Statement {
    let mut out = a.clone();
    for x in &b.actions {
        if !out.actions.contains(x) {
            out.actions.push(x.clone());
        }
    }
    for r in &b.resources {
        if !out.resources.contains(r) {
            out.resources.push(r.clone());
        }
    }
    out
}

/// Whether an action of `a` not in `b` can be authorized on a resource of `b`'s not in `a`.
fn meets_new_type(a: &Statement, b: &Statement, catalog: &Catalog) -> bool {
    let new_resources: Vec<&String> = b
        .resources
        .iter()
        .filter(|r| !a.resources.contains(r))
        .collect();
    a.actions
        .iter()
        .filter(|x| !b.actions.contains(x))
        .any(|action| new_resources.iter().any(|r| may_touch(action, r, catalog)))
}

/// Whether the catalog lists, for `service:Action`, a resource type whose ARN pattern is
/// `pattern`; true as well when it cannot tell (unknown action or pattern).
fn may_touch(action: &str, pattern: &str, catalog: &Catalog) -> bool {
    let (service, name) = action.split_once(':').unwrap_or((action, ""));
    let Some(svc) = catalog.service(service) else {
        return true;
    };
    let Some(info) = svc.action(name) else {
        return true;
    };
    let types: Vec<&String> = svc
        .resources
        .iter()
        .filter(|(_, arns)| arns.iter().any(|a| a == pattern))
        .map(|(t, _)| t)
        .collect();
    if types.is_empty() {
        return true;
    }
    [&info.request_tag, &info.tag_keys, &info.resource_tag]
        .iter()
        .filter_map(|support| support.resource_types())
        .flatten()
        .any(|t| types.contains(&t))
}

/// Make statement ids unique by numbering repeats (`Require`, `Require2`, …).
fn dedupe_sids(statements: &mut [Statement]) {
    let mut seen: Vec<String> = Vec::new();
    for s in statements.iter_mut() {
        let base = s.sid.clone();
        let mut n = 1;
        while seen.contains(&s.sid) {
            n += 1;
            s.sid = format!("{base}{n}");
        }
        seen.push(s.sid.clone());
    }
}

/// A tag key as part of a statement id: letters and digits only, first letter upper-case.
fn sid_part(key: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in key.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() { "Tag".into() } else { out }
}
