//! Policy blocks: input, a `policy` item; output, the model's `Policy` with its rules
//! (`require`, `only-declared-keys`, `enforce`, `grant`) and the tagging actions a create
//! implies, split into parts where its rules name other targets with `at` (see `scope`), or a
//! diagnostic.

use std::collections::BTreeMap;

use super::actions::Need;
use super::scope::{Placed, Where};
use super::validate::{Field, check_principal_arn};
use super::{CheckError, CheckErrorKind, Checker};
use crate::ast::{self, PolicyStmt, Text};
use crate::model::{
    ActionName, OnlyDeclared, Policy, Require, ResourceRule, RuleKind, TaggingOnCreate, Target,
};
use crate::source::Loc;

impl Checker<'_> {
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per statement kind reads best in one place"
    )]
    pub(super) fn check_policy(&mut self, p: &ast::PolicyDecl) {
        let name = p.name.value.clone();
        if let Some(prev) = self.project.policies.iter().find(|q| {
            (q.name == name && q.part_of.is_none()) || q.part_of.as_deref() == Some(name.as_str())
        }) {
            let e = CheckError::new(CheckErrorKind::DuplicatePolicy(name), p.name.loc.clone())
                .with_related(&prev.name_loc(), "first declared here");
            self.push(e);
            return;
        }
        let mut policy = Policy {
            name: name.clone(),
            description: None,
            requires: Vec::new(),
            only_declared: Vec::new(),
            protects: Vec::new(),
            forbids: Vec::new(),
            exempt: Vec::new(),
            enforce: Vec::new(),
            report: Vec::new(),
            targets: Vec::new(),
            grant: false,
            tagging_on_create: Vec::new(),
            expansions: Vec::new(),
            loc: p.loc.clone(),
            name_loc: Some(p.name.loc.clone()),
            part_of: None,
        };
        let mut placed = Placed::default();
        let mut description_loc: Option<Loc> = None;
        let mut grant_loc: Option<Loc> = None;
        let mut protect_stmts: Vec<(Vec<String>, &[Text], &Loc)> = Vec::new();
        let mut target_locs: Vec<(Target, Loc)> = Vec::new();
        let mut enforce_stmts: Vec<(&[Text], &[Text], &Loc)> = Vec::new();
        let mut report_stmts: Vec<(&[Text], &[Text], &Loc)> = Vec::new();
        // The keys the rules put in the policy's tag policy, with the rule: wanted only for the
        // tags with a widened value pattern, so gathered only when there are such tags.
        let widening = !self.places.widened.is_empty();
        let mut tag_policy_keys: Vec<(String, Loc)> = Vec::new();
        let mut protect_scope: Vec<(Where, Vec<String>)> = Vec::new();
        let (mut enforce_at, mut report_at): (Vec<Where>, Vec<Where>) = (Vec::new(), Vec::new());
        for stmt in &p.stmts {
            // Where the rule goes (`at`) and whom it spares (`except`).
            let (at, except) = match stmt.scope() {
                Some(scope) => {
                    let at = self.check_at(scope, &mut placed);
                    placed.statements.push(at);
                    (at, self.check_except(scope, stmt.kind(), &mut placed))
                }
                None => (None, Vec::new()),
            };
            match stmt {
                PolicyStmt::Description(d) => {
                    if let Some(first) = &description_loc {
                        self.push(
                            CheckError::new(
                                CheckErrorKind::DuplicateStatement(
                                    RuleKind::Description.word().into(),
                                ),
                                d.loc.clone(),
                            )
                            .with_related(first, "first given here"),
                        );
                    } else {
                        description_loc = Some(d.loc.clone());
                        policy.description = Some(d.value.clone());
                    }
                }
                PolicyStmt::Require {
                    keys,
                    actions: patterns,
                    types,
                    when,
                    loc,
                    ..
                } => {
                    let keys = self.resolve_tags(keys);
                    let when = match when {
                        Some(w) => match self.check_when(&keys, w) {
                            Some(w) => Some(Box::new(w)),
                            None => continue,
                        },
                        None => None,
                    };
                    let mut actions = self.expand_list(
                        patterns,
                        Need::RequestTag,
                        RuleKind::Require,
                        &mut policy.expansions,
                    );
                    placed.expansions.resize(policy.expansions.len(), at);
                    if !types.is_empty() && !self.scope_to_types(&mut actions, patterns, types, loc)
                    {
                        continue;
                    }
                    if !keys.is_empty() && !actions.is_empty() {
                        if widening {
                            tag_policy_keys.extend(keys.iter().map(|k| (k.clone(), loc.clone())));
                        }
                        policy.requires.push(Require {
                            keys,
                            actions,
                            when,
                            except,
                        });
                        placed.requires.push(at);
                    }
                }
                PolicyStmt::OnlyDeclared { actions, .. } => {
                    let actions = self.expand_list(
                        actions,
                        Need::TagKeys,
                        RuleKind::OnlyDeclaredKeys,
                        &mut policy.expansions,
                    );
                    placed.expansions.resize(policy.expansions.len(), at);
                    if !actions.is_empty() {
                        policy.only_declared.push(OnlyDeclared { actions, except });
                        placed.only_declared.push(at);
                    }
                }
                PolicyStmt::Protect {
                    keys,
                    services,
                    loc,
                    ..
                } => {
                    let keys = self.resolve_tags(keys);
                    protect_stmts.push((keys, services, loc));
                    protect_scope.push((at, except));
                }
                PolicyStmt::Exempt(arns) => {
                    if let Some(first) = arns.first()
                        && shares_a_line_with_a_statement(first)
                    {
                        self.push(CheckError::new(
                            CheckErrorKind::ExemptOnRuleLine(policy.name.clone()),
                            first.loc.clone(),
                        ));
                    }
                    for arn in arns {
                        if let Some(e) = check_principal_arn(arn) {
                            self.push(e);
                        }
                        if policy.exempt.contains(&arn.value) {
                            self.err(CheckErrorKind::DuplicateInList(arn.value.clone()), &arn.loc);
                        } else {
                            policy.exempt.push(arn.value.clone());
                        }
                    }
                }
                PolicyStmt::Enforce {
                    keys, types, loc, ..
                } => {
                    enforce_stmts.push((keys, types, loc));
                    enforce_at.push(at);
                }
                PolicyStmt::Report {
                    keys, types, loc, ..
                } => {
                    report_stmts.push((keys, types, loc));
                    report_at.push(at);
                }
                PolicyStmt::Attach(targets) => {
                    for t in targets {
                        let Some((target, loc)) = self.check_target(t) else {
                            continue;
                        };
                        if let Some((_, first)) = target_locs.iter().find(|(x, _)| *x == target) {
                            self.push(
                                CheckError::new(
                                    CheckErrorKind::DuplicateTarget(target.to_string()),
                                    loc.clone(),
                                )
                                .with_related(first, "first listed here"),
                            );
                            continue;
                        }
                        target_locs.push((target, loc));
                    }
                }
                PolicyStmt::Forbid {
                    test, actions, loc, ..
                } => {
                    let forbid = self.check_forbid(&mut policy, test, actions, loc);
                    placed.expansions.resize(policy.expansions.len(), at);
                    if let Some(mut f) = forbid {
                        f.except = except;
                        policy.forbids.push(f);
                        placed.forbids.push(at);
                    }
                }
                PolicyStmt::Grant(loc) => {
                    if let Some(first) = &grant_loc {
                        self.push(
                            CheckError::new(
                                CheckErrorKind::DuplicateStatement(RuleKind::Grant.word().into()),
                                loc.clone(),
                            )
                            .with_related(first, "first given here"),
                        );
                    }
                    grant_loc = Some(loc.clone());
                    policy.grant = true;
                }
            }
        }
        for ((keys, types, loc), at) in enforce_stmts.into_iter().zip(enforce_at) {
            let keys = self.resolve_tags(keys);
            let types = self.check_resource_types(types, Field::EnforcedFor);
            for k in keys {
                if widening {
                    tag_policy_keys.push((k.clone(), loc.clone()));
                }
                placed.enforce.push(at);
                policy.enforce.push(ResourceRule {
                    key: k,
                    resource_types: types.clone(),
                });
            }
        }
        for ((keys, types, loc), at) in report_stmts.into_iter().zip(report_at) {
            let keys = self.resolve_tags(keys);
            let types = self.check_resource_types(types, Field::ReportRequired);
            for k in keys {
                if widening {
                    tag_policy_keys.push((k.clone(), loc.clone()));
                }
                placed.report.push(at);
                policy.report.push(ResourceRule {
                    key: k,
                    resource_types: types.clone(),
                });
            }
        }
        for ((keys, services, loc), (at, except)) in protect_stmts.into_iter().zip(protect_scope) {
            let mut expansions = Vec::new();
            if let Some(mut protect) =
                self.check_protect(&policy, keys, services, loc, &mut expansions)
            {
                policy.expansions.extend(expansions);
                placed.expansions.resize(policy.expansions.len(), at);
                protect.except = except;
                if widening {
                    tag_policy_keys.extend(protect.keys.iter().map(|k| (k.clone(), loc.clone())));
                }
                policy.protects.push(protect);
                placed.protects.push(at);
            }
        }
        self.check_placed(&policy, &placed, &target_locs);
        policy.targets = target_locs.into_iter().map(|(t, _)| t).collect();
        if !p.stmts.iter().any(|s| s.kind().enforces()) {
            self.err(CheckErrorKind::EmptyPolicy(name.clone()), &p.name.loc);
        } else if policy.targets.is_empty() && placed.statements.iter().any(Option::is_none) {
            self.err(CheckErrorKind::NoTargets(name), &p.name.loc);
        }
        // Every rule goes to one part, and each part's tag policy holds the keys of its rules.
        // Kept only for a tag with a widened pattern, and only its first rule: what the
        // warning names (a project of thousands of policies names its tags thousands of times).
        tag_policy_keys.sort_by_key(|(_, loc)| loc.span.start);
        for (key, loc) in tag_policy_keys {
            if self.places.widened.iter().any(|(k, _, _)| *k == key)
                && !self.places.tag_policy_keys.iter().any(|(k, _)| *k == key)
            {
                self.places.tag_policy_keys.push((key, loc));
            }
        }
        // Each part is a policy of its own: its IAM policy's grant form covers its rules only.
        for (mut part, at) in Self::split_parts(policy, &placed) {
            part.tagging_on_create = self.tagging_on_create(&part, grant_loc.as_ref());
            if let Some(loc) = &grant_loc {
                self.check_grant_exact_case(&part, loc);
            }
            part.shrink_to_fit();
            self.project.policies.push(part);
            self.places.part_at.push(at);
        }
    }

    /// The grant form's Allow tests each exact-case key an action requires with its own
    /// case-sensitive operator on `aws:TagKeys` (a condition block names a key once per
    /// operator), so it can express only as many as there are such operators.
    pub(super) fn check_grant_exact_case(&mut self, policy: &Policy, loc: &Loc) {
        let mut reported: Vec<Vec<String>> = Vec::new();
        for action in policy.requires.iter().flat_map(|r| &r.actions) {
            let exact: Vec<String> = policy
                .required_keys(action)
                .into_iter()
                .filter(|k| self.project.tag(k).is_some_and(|t| t.exact_case))
                .collect();
            if exact.len() <= crate::lower::EXACT_KEY_OPERATORS.len() || reported.contains(&exact) {
                continue;
            }
            let keys: Vec<String> = exact.iter().map(|k| format!("`{k}`")).collect();
            self.err(
                CheckErrorKind::GrantExactCaseLimit {
                    action: action.name.to_string(),
                    keys: keys.join(", "),
                },
                loc,
            );
            reported.push(exact);
        }
    }

    /// The tagging actions the required creates also authorize when they carry tags, from
    /// each operation's authorized actions in the catalog (those that set tags: a create's
    /// tags do not flow into a removal). With `grant`, one whose requests carry no
    /// `aws:RequestTag` is an error: no Allow could check the tags on it.
    pub(super) fn tagging_on_create(
        &mut self,
        policy: &Policy,
        grant: Option<&Loc>,
    ) -> Vec<TaggingOnCreate> {
        let catalog = self.catalog;
        let mut out: Vec<TaggingOnCreate> = Vec::new();
        // The grant form's Allow carries only the unconditional requirements (`required_keys`).
        for a in policy
            .requires
            .iter()
            .filter(|r| r.when.is_none())
            .flat_map(|r| &r.actions)
        {
            let Some(svc) = catalog.service(a.name.service()) else {
                continue;
            };
            for ta in svc.tagging_authorized_by(a.name.action()) {
                let Some(info) = svc.action(ta) else { continue };
                let full = ActionName::new(&svc.prefix, &info.name);
                if crate::model::removes_tags(&full) {
                    continue;
                }
                if !info.request_tag.any() {
                    if let Some(loc) = grant {
                        self.err(
                            CheckErrorKind::GrantTaggingActionWithoutTags {
                                create: a.name.to_string(),
                                tagging: full.to_string(),
                            },
                            loc,
                        );
                    }
                    continue;
                }
                match out.iter_mut().find(|t| t.tagging_action == full) {
                    Some(t) => {
                        let create = a.name.action().to_owned();
                        if !t.creates.contains(&create) {
                            t.creates.push(create);
                        }
                    }
                    None => out.push(TaggingOnCreate {
                        tagging_action: full,
                        context_key: svc.create_context_key.clone(),
                        creates: vec![a.name.action().to_owned()],
                    }),
                }
            }
        }
        out
    }

    /// For every action of the services the rules name, the tagging actions AWS also
    /// authorizes when it runs with tags: a tagged create is decided by their rules too.
    pub(super) fn tagging_authorized_by(&self) -> BTreeMap<ActionName, Vec<ActionName>> {
        let mut services: Vec<&str> = Vec::new();
        for p in &self.project.policies {
            let actions = p
                .requires
                .iter()
                .flat_map(|r| &r.actions)
                .chain(p.only_declared.iter().flat_map(|o| &o.actions))
                .chain(p.protects.iter().flat_map(|r| &r.actions))
                .chain(p.forbids.iter().flat_map(|f| &f.actions));
            for a in actions {
                if !services.contains(&a.name.service()) {
                    services.push(a.name.service());
                }
            }
        }
        let mut out = BTreeMap::new();
        for svc in services.iter().filter_map(|s| self.catalog.service(s)) {
            for (action, tagging) in &svc.create_tagging {
                // A create's tags flow into the tagging actions that set tags, not into the
                // removals an update may also authorize.
                let setting: Vec<ActionName> = tagging
                    .iter()
                    .map(|t| ActionName::new(&svc.prefix, t))
                    .filter(|t| !crate::model::removes_tags(t))
                    .collect();
                if !setting.is_empty() {
                    out.insert(ActionName::new(&svc.prefix, action), setting);
                }
            }
        }
        out
    }
}

/// Whether the `exempt` keyword before `first` (its first ARN) follows another statement on the
/// same line, as in `require owner on sqs:CreateQueue exempt "…"`: it reads as if it exempted
/// from that rule alone, while an exemption covers the whole policy. The opening `{` of the
/// policy before it does not count (`policy p { exempt "…" }`).
/// An ARN that a set brought (`exempt $admins`) is not preceded by `exempt`: the set's
/// reference is checked instead, before the set is replaced by its elements.
pub(super) fn shares_a_line_with_a_statement(first: &crate::ast::Text) -> bool {
    let text = &first.loc.file.text;
    let start = first.loc.span.start.min(text.len());
    let Some(before) = text.get(..start) else {
        return false;
    };
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let Some(keyword) = line.rfind("exempt") else {
        return false;
    };
    if !line[keyword + "exempt".len()..].trim().is_empty() {
        return false;
    }
    let prefix = line[..keyword].trim_end();
    !(prefix.trim_start().is_empty() || prefix.ends_with('{'))
}

#[cfg(test)]
mod tests {
    use super::super::check_text;

    #[test]
    fn test_require_becomes_a_rule_with_its_declared_key() {
        let (project, codes) = check_text(
            "tag owner\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n",
        );
        assert!(codes.is_empty(), "{codes:?}");
        let policy = project.policies.first().expect("one policy");
        assert_eq!(policy.name, "p");
        let keys: Vec<&[String]> = policy.requires.iter().map(|r| r.keys.as_slice()).collect();
        assert_eq!(keys, [["owner".to_owned()].as_slice()]);
    }

    #[test]
    fn test_policy_declared_twice_is_reported() {
        let (_, codes) = check_text(
            "tag owner\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n\
             policy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n",
        );
        assert_eq!(codes, ["tagc::check::duplicate-policy"]);
    }

    #[test]
    fn test_exempt_after_a_rule_on_its_line_is_warned_and_alone_is_not() {
        let rule = "  require owner on sqs:CreateQueue";
        let exempt = r#"exempt "arn:aws:iam::*:role/Admin""#;
        let project =
            |body: &str| format!("tag owner\npolicy p {{\n{body}\n  attach to root\n}}\n");
        let (_, codes) = check_text(&project(&format!("{rule} {exempt}")));
        assert_eq!(codes, ["tagc::check::exempt-on-rule-line"]);
        let (_, codes) = check_text(&project(&format!("{rule}\n  {exempt}")));
        assert!(codes.is_empty(), "{codes:?}");
        let (_, codes) = check_text(&format!(
            "tag owner\npolicy p {{ {exempt}\n{rule}\n  attach to root\n}}\n"
        ));
        assert!(codes.is_empty(), "{codes:?}");
    }
}
