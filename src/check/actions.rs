//! Action patterns: input, a rule's patterns such as `ec2:Create*`; output, the catalog's
//! actions they cover, each with the resource types and ARNs it is checked on, or a diagnostic
//! (unknown service or action with "did you mean", an action that cannot carry the tag key).

use std::collections::{HashMap, HashSet};

use super::validate::{malformed_action, split_action};
use super::{CheckError, CheckErrorKind, Checker, did_you_mean};
use crate::ast::Text;
use crate::catalog::{Service, TagSupport};
use crate::model::{Action, ActionName, Expansion, ResourceType, RuleKind};
use crate::source::Loc;

impl<'c> Checker<'c> {
    /// Expand one action pattern. `need` selects the tag key the rule relies on: actions
    /// without it are left out of a pattern's expansion, and are an error when named exactly.
    pub(super) fn expand_action(
        &mut self,
        text: &Text,
        need: Need,
        rule: RuleKind,
    ) -> Option<(Vec<Action>, Expansion)> {
        let Some((service, pattern)) = split_action(&text.value) else {
            self.push(malformed_action(text));
            return None;
        };
        let svc = self.known_service(service, &text.loc)?;
        let wildcard = pattern.contains('*') || pattern.contains('?');
        let matched = self.catalog.expand(service, pattern);
        if matched.is_empty() {
            if wildcard {
                self.err(
                    CheckErrorKind::NoMatchingAction(text.value.clone()),
                    &text.loc,
                );
            } else {
                self.unknown_action(text, service, pattern);
            }
            return None;
        }
        let mut actions = Vec::new();
        let mut left_out = Vec::new();
        for info in &matched {
            // `require` compares `aws:RequestTag/K`, and for `exact-case` keys also
            // `aws:TagKeys`: an action must carry both, or a statement on a key that is never
            // there would deny every call (a handful of actions carry only the first).
            // Removing tags sets none, so a tag requirement on `ec2:DeleteTags` would make no
            // sense even where AWS lists `aws:RequestTag` for it.
            let removing = crate::model::removes_tags(&ActionName::new(&svc.prefix, &info.name));
            let support = match need {
                Need::RequestTag if !info.tag_keys.any() || removing => continue,
                Need::RequestTag => &info.request_tag,
                Need::TagKeys => &info.tag_keys,
            };
            if matches!(support, TagSupport::No) {
                continue;
            }
            // A pattern in `require` does not take in tagging-only actions (`ec2:CreateTags`
            // in `ec2:Create*`): every later retag would then have to carry all the required
            // tags. Named exactly, they are kept.
            // A `forbid` keeps them: setting a forbidden value later is what it refuses.
            if wildcard
                && matches!(need, Need::RequestTag)
                && info.tagging_only
                && rule != RuleKind::Forbid
            {
                left_out.push(ActionName::new(&svc.prefix, &info.name));
                continue;
            }
            let resource_types = match support {
                TagSupport::No => continue,
                // A `forbid` tests a value the request sets: on a resource that is not tagged
                // the value is absent and `StringLike` false, so it needs no resource scope,
                // and a scope would let a forbidden value through on the other resource types.
                _ if rule == RuleKind::Forbid => Vec::new(),
                TagSupport::Action => Vec::new(),
                TagSupport::Resources(types) => match need {
                    Need::RequestTag => default_types(&info.name, types),
                    Need::TagKeys => types.clone(),
                },
            };
            actions.push(Action::scoped(
                ActionName::new(&svc.prefix, &info.name),
                arns_of(svc, &resource_types),
                resource_types,
            ));
        }
        if actions.is_empty() {
            let full = format!("{service}:{pattern}");
            let kind = if wildcard {
                CheckErrorKind::PatternCannotCarryTags(full)
            } else {
                CheckErrorKind::CannotCarryTags(format!(
                    "{}:{}",
                    svc.prefix,
                    matched.first().map_or(pattern, |a| a.name.as_str())
                ))
            };
            let near = self.catalog.nearby_taggable(service, pattern, 5);
            let mut e = CheckError::new(kind, text.loc.clone());
            if !left_out.is_empty() {
                let list: Vec<String> = left_out.iter().map(|a| format!("`{a}`")).collect();
                e = e.with_help(format!(
                    "a pattern leaves tagging-only actions out; to require the tags on every later tagging, name them: {}",
                    list.join(", ")
                ));
            } else if !near.is_empty() {
                let list: Vec<String> = near
                    .iter()
                    .map(|n| format!("`{}:{n}`", svc.prefix))
                    .collect();
                e = e.with_help(format!(
                    "a tag requirement here would deny every call; actions nearby that can carry tags: {}",
                    list.join(", ")
                ));
            }
            self.push(e);
            return None;
        }
        let expansion = Expansion::new(
            rule,
            text.value.clone(),
            actions.iter().map(|a| a.name.clone()).collect(),
            left_out,
        );
        Some((actions, expansion))
    }

    pub(super) fn expand_list(
        &mut self,
        list: &[Text],
        need: Need,
        rule: RuleKind,
        expansions: &mut Vec<Expansion>,
    ) -> Vec<Action> {
        // Sets, not scans: a list of thousands of patterns is checked in linear time.
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for text in list {
            *counts.entry(text.value.as_str()).or_default() += 1;
        }
        let mut out: Vec<Action> = Vec::new();
        let mut in_out: HashSet<Action> = HashSet::new();
        // Per pattern, whether its repetition has been reported: once, at the first repeat,
        // with how many times it is listed, rather than once per copy.
        let mut seen: HashMap<&str, bool> = HashMap::new();
        for text in list {
            match seen.get_mut(text.value.as_str()) {
                Some(true) => continue,
                Some(reported) => {
                    *reported = true;
                    let mut e = CheckError::new(
                        CheckErrorKind::DuplicateInList(text.value.clone()),
                        text.loc.clone(),
                    );
                    let count = counts.get(text.value.as_str()).copied().unwrap_or(2);
                    if count > 2 {
                        e = e.with_help(format!(
                            "it is listed {count} times; keep one (this is the first repetition)"
                        ));
                    }
                    self.push(e);
                    continue;
                }
                None => {
                    seen.insert(&text.value, false);
                }
            }
            if let Some((actions, expansion)) = self.expand_action(text, need, rule) {
                expansions.push(expansion);
                for a in actions {
                    if in_out.insert(a.clone()) {
                        out.push(a);
                    }
                }
            }
        }
        // The project keeps this list for the whole build: not the capacity it grew to.
        out.shrink_to_fit();
        out
    }

    /// `require … for TYPES`: scope each action to the named resource types among those its
    /// requests carry tags for. Every type must be one of those of some action of the rule, and
    /// every action must keep at least one type, or the rule would silently check nothing
    /// there. Returns false when it reported an error.
    pub(super) fn scope_to_types(
        &mut self,
        actions: &mut [Action],
        patterns: &[Text],
        types: &[Text],
        loc: &Loc,
    ) -> bool {
        let errors = self.errors.len();
        // Per action, the resource types its requests carry tags for (catalog facts); none
        // when it carries them for the whole action, which no `for` type then narrows.
        let taggable = |a: &Action| -> Vec<String> {
            self.catalog
                .action(a.name.service(), a.name.action())
                .and_then(|i| i.request_tag.resource_types())
                .map(<[String]>::to_vec)
                .unwrap_or_default()
        };
        let mut named: Vec<(String, String)> = Vec::new();
        for t in types {
            let Ok(parsed) = t.value.parse::<ResourceType>() else {
                self.err(
                    CheckErrorKind::MalformedResourceType(t.value.clone()),
                    &t.loc,
                );
                continue;
            };
            let (service, ty) = (parsed.service(), parsed.kind());
            if named.iter().any(|(s, r)| s == service && r == ty) {
                self.err(CheckErrorKind::DuplicateInList(t.value.clone()), &t.loc);
                continue;
            }
            let mut candidates: Vec<String> = Vec::new();
            for a in actions
                .iter()
                .filter(|a| a.name.service().eq_ignore_ascii_case(service))
            {
                for c in taggable(a) {
                    if !candidates.contains(&c) {
                        candidates.push(c);
                    }
                }
            }
            if !candidates.iter().any(|c| c == ty) {
                let mut e = CheckError::new(
                    CheckErrorKind::UntaggedResourceType(t.value.clone()),
                    t.loc.clone(),
                );
                if let Some(s) = did_you_mean(ty, candidates.iter().map(String::as_str)) {
                    e = e.with_help(format!("did you mean `{service}:{s}`?"));
                } else if !candidates.is_empty() {
                    candidates.sort();
                    let list: Vec<String> = candidates
                        .iter()
                        .map(|c| format!("`{service}:{c}`"))
                        .collect();
                    e = e.with_help(format!(
                        "the actions of this rule carry request tags for {}",
                        list.join(", ")
                    ));
                }
                self.push(e);
                continue;
            }
            named.push((service.to_owned(), ty.to_owned()));
        }
        if self.errors.len() > errors {
            return false;
        }
        for a in actions.iter_mut() {
            let chosen: Vec<String> = taggable(a)
                .into_iter()
                .filter(|c| {
                    named
                        .iter()
                        .any(|(s, r)| s.eq_ignore_ascii_case(a.name.service()) && r == c)
                })
                .collect();
            if chosen.is_empty() {
                // Point at the pattern that brought the action in.
                let at = patterns
                    .iter()
                    .find(|p| crate::model::wildcard_match(&p.value, &a.name.to_string(), true))
                    .map_or(loc, |p| &p.loc);
                self.err(CheckErrorKind::NoTypeForAction(a.name.to_string()), at);
                continue;
            }
            let resources = match self.catalog.service(a.name.service()) {
                Some(svc) => arns_of(svc, &chosen),
                None => a.resources().to_vec(),
            };
            a.set_scope(resources, chosen);
        }
        self.errors.len() == errors
    }

    /// The catalog's service `name`, or an `unknown-service` error with "did you mean".
    pub(super) fn known_service(&mut self, name: &str, loc: &Loc) -> Option<&'c Service> {
        let svc = self.catalog.service(name);
        if svc.is_none() {
            let mut e =
                CheckError::new(CheckErrorKind::UnknownService(name.to_owned()), loc.clone());
            if let Some(s) = self.catalog.suggest_service(name) {
                e = e.with_help(format!("did you mean `{s}`?"));
            }
            self.push(e);
        }
        svc
    }

    /// An `unknown-action` error for `service:name`, with "did you mean".
    pub(super) fn unknown_action(&mut self, text: &Text, service: &str, name: &str) {
        let mut e = CheckError::new(
            CheckErrorKind::UnknownAction(text.value.clone()),
            text.loc.clone(),
        );
        if let Some(s) = self.catalog.suggest_action(service, name) {
            e = e.with_help(format!("did you mean `{service}:{s}`?"));
        }
        self.push(e);
    }
}

/// The resource types a `require` on `action` checks by default, among `types`, those its
/// requests carry request tags for. AWS authorizes a create once per resource it makes, each
/// with the tags given for that resource only, and a call that tags only the resource it is
/// named after is the common one: the console tags the instance of `RunInstances` and not its
/// volumes or network interfaces, and AWS's example SCP scopes its Deny to instances and
/// volumes, never to network interfaces or spot requests
/// (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_tagging.html>).
/// So the default is the type the action is named after (`RunInstances` → `instance`,
/// `CreateFleet` → `fleet`, `ImportSnapshot` → `snapshot`): the action's name without its
/// leading verb, compared with the type without its dashes, in the singular or the plural.
/// An action named after none of its types (`comprehend:CreateEndpoint`, which makes one of two
/// kinds of endpoint, or a tagging action) checks all of them. `require … for TYPES` overrides
/// the default.
pub(super) fn default_types(action: &str, types: &[String]) -> Vec<String> {
    type_named_after(action, types).map_or_else(|| types.to_vec(), |one| vec![one.clone()])
}

/// The one type among `types` that `action` is named after (see [`default_types`]), or `None`
/// when it is named after none or several of them.
pub(crate) fn type_named_after<'t>(action: &str, types: &'t [String]) -> Option<&'t String> {
    let noun_start = action
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_uppercase())
        .map_or(action.len(), |(i, _)| i);
    // `noun_start` is a char boundary or the end, so the slice exists; an action that is all
    // verb has no noun, and matches no type.
    let noun = action.get(noun_start..).unwrap_or("").to_ascii_lowercase();
    let matching: Vec<&String> = types
        .iter()
        .filter(|t| {
            let t = t.replace('-', "").to_ascii_lowercase();
            !noun.is_empty() && (noun == t || noun == format!("{t}s") || noun == format!("{t}es"))
        })
        .collect();
    match matching.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The ARN patterns of `types` in `svc`; a type the service reference gives no ARN for adds
/// none (the rule then applies to `*`, as AWS would match it).
fn arns_of(svc: &Service, types: &[String]) -> Vec<String> {
    types
        .iter()
        .flat_map(|t| svc.resources.get(t).cloned().unwrap_or_default())
        .collect()
}

/// Which tag condition key a rule's actions must support.
#[derive(Debug, Clone, Copy)]
pub(super) enum Need {
    /// `require` compares `aws:RequestTag/K`.
    RequestTag,
    /// `only-declared-keys` compares `aws:TagKeys`.
    TagKeys,
}

#[cfg(test)]
mod tests {
    use super::super::check_text;
    use crate::catalog::Catalog;
    use crate::model::{ActionName, DEFAULT_PRINCIPAL, Decision, Layer, Project, Request};
    use crate::source::SourceFile;
    use crate::verify::Verifier;

    fn compile(rule: &str) -> (Project, Verifier<'static>) {
        let text =
            format!("tag owner\ntag CostCenter\npolicy p {{\n  {rule}\n  attach to root\n}}\n");
        let compiled =
            crate::compile_sources(&[SourceFile::new("t.tags", text)], Catalog::builtin());
        assert!(
            compiled.ok(),
            "{}",
            compiled.diagnostics.render_human(false)
        );
        let verifier = Verifier::new(compiled.artifacts(), Catalog::builtin())
            .expect("the emitted documents parse");
        (compiled.project.expect("compiled"), verifier)
    }

    fn actions(p: &Project) -> Vec<String> {
        p.policies[0].requires[0]
            .actions
            .iter()
            .map(|a| a.name.to_string())
            .collect()
    }

    /// A later retag that sets only another key, by both the reference and the emitted JSON.
    fn retag(p: &Project, v: &Verifier) -> Decision {
        let request = Request {
            principal: DEFAULT_PRINCIPAL.into(),
            action: ActionName::new("ec2", "CreateTags"),
            tags: vec![("CostCenter".into(), "CC-1".into())],
            on_create: None,
            resource: Some("arn:aws:ec2:us-east-1:111122223333:instance/i-0abc".into()),
        };
        let want = crate::reference::decide(p, Layer::Scp, &request).decision;
        assert_eq!(v.decide(Layer::Scp, &request).decision, want);
        want
    }

    #[test]
    fn test_require_pattern_leaves_out_tagging_actions() {
        for pattern in ["ec2:Create*", "ec2:*"] {
            let (p, v) = compile(&format!("require owner on {pattern}"));
            let names = actions(&p);
            assert!(names.contains(&"ec2:RunInstances".to_owned()) || pattern == "ec2:Create*");
            assert!(names.contains(&"ec2:CreateVolume".to_owned()), "{names:?}");
            assert!(
                !names.contains(&"ec2:CreateTags".to_owned()),
                "{pattern}: {names:?}"
            );
            assert_eq!(retag(&p, &v), Decision::Allow, "{pattern}");
            let expansion = &p.policies[0].expansions[0];
            assert_eq!(expansion.left_out(), [ActionName::new("ec2", "CreateTags")]);
        }
    }

    #[test]
    fn test_require_on_a_tagging_action_named_exactly_keeps_it() {
        let (p, v) = compile("require owner on ec2:Create*, ec2:CreateTags");
        assert!(actions(&p).contains(&"ec2:CreateTags".to_owned()));
        assert_eq!(retag(&p, &v), Decision::Deny);
    }

    #[test]
    fn test_pattern_of_only_tagging_actions_says_how_to_name_them() {
        let text =
            "tag owner\npolicy p {\n  require owner on ec2:CreateTag*\n  attach to root\n}\n";
        let compiled =
            crate::compile_sources(&[SourceFile::new("t.tags", text)], Catalog::builtin());
        let rendered = compiled.diagnostics.render_human(false);
        assert!(rendered.contains("pattern-cannot-carry-tags"), "{rendered}");
        assert!(rendered.contains("`ec2:CreateTags`"), "{rendered}");
    }

    #[test]
    fn test_default_resource_type_is_the_one_the_action_is_named_after() {
        let types = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let run = types(&[
            "instance",
            "network-interface",
            "secondary-interface",
            "spot-instances-request",
            "volume",
        ]);
        assert_eq!(
            super::default_types("RunInstances", &run),
            types(&["instance"])
        );
        assert_eq!(
            super::default_types("CreateFleet", &types(&["fleet", "instance", "volume"])),
            types(&["fleet"])
        );
        assert_eq!(
            super::default_types(
                "ImportSnapshot",
                &types(&["import-snapshot-task", "snapshot"])
            ),
            types(&["snapshot"])
        );
        let endpoints = types(&["document-classifier-endpoint", "entity-recognizer-endpoint"]);
        assert_eq!(
            super::default_types("CreateEndpoint", &endpoints),
            endpoints
        );
    }

    #[test]
    fn test_an_action_listed_many_times_is_reported_once_and_kept_once() {
        let list = vec!["sqs:CreateQueue"; 1_000].join(", ");
        let text = format!(
            "tag owner\npolicy p {{\n  require owner on {list}, sns:CreateTopic, sns:CreateTopic\n  attach to root\n}}\n"
        );
        let (project, codes) = check_text(&text);
        assert_eq!(
            codes,
            [
                "tagc::check::duplicate-in-list",
                "tagc::check::duplicate-in-list"
            ]
        );
        let actions: Vec<String> = project.policies[0].requires[0]
            .actions
            .iter()
            .map(|a| a.name.to_string())
            .collect();
        assert_eq!(actions, ["sqs:CreateQueue", "sns:CreateTopic"]);
    }
}
