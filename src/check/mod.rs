//! The check stage: syntax trees to the checked [`Project`].
//!
//! Input: the parsed files of one project and the AWS [`Catalog`]. Output: the project with every
//! name resolved and every action pattern expanded, plus every error and warning found — all of
//! them, in every file, because a user fixing rules wants the whole list at once.
//!
//! What is checked: tag keys and values against AWS's rules; names (unknown, duplicate, or
//! differing only in case); action patterns against the catalog (unknown services and actions,
//! with "did you mean", and tag requirements on actions that can never carry tags); ARNs,
//! targets and resource types; rules that conflict once attached.

mod error;
mod suggest;
mod validate;

use std::collections::BTreeMap;

pub use error::{CheckError, CheckErrorKind};
pub use suggest::did_you_mean;
use validate::{
    Field, check_principal_arn, check_resource_arn, invalid_key, invalid_project, invalid_value,
    split_action, valid_ou_id,
};

use crate::ast::{self, Item, PolicyStmt, Spanned, TargetRef, Text};
use crate::catalog::{Catalog, Service, TagSupport};
use crate::model::{
    Action, DEFAULT_PRINCIPAL, Expansion, LimitsProfile, OnlyDeclared, Policy, Project, Protect,
    Request, Require, ResourceRule, ScpStrategy, Settings, TagDef, TaggingOnCreate, Target,
    TestCase,
};
use crate::source::Loc;

/// Check the parsed files of one project. The project is complete only when no returned
/// diagnostic is an error.
pub fn check(files: &[ast::File], catalog: &Catalog) -> (Project, Vec<CheckError>) {
    let mut cx = Checker {
        catalog,
        errors: Vec::new(),
        project: Project::default(),
    };
    let items: Vec<&Item> = files.iter().flat_map(|f| &f.items).collect();
    for item in &items {
        if let Item::Tag(t) = item {
            cx.check_tag(t);
        }
    }
    let mut org_seen: Option<Loc> = None;
    for item in &items {
        match item {
            Item::Policy(p) => cx.check_policy(p),
            Item::Test(t) => cx.check_test(t),
            Item::Organization(o) => {
                if let Some(first) = &org_seen {
                    cx.push(
                        CheckError::new(
                            CheckErrorKind::DuplicateStatement("organization".into()),
                            o.loc.clone(),
                        )
                        .with_related(first, "first given here"),
                    );
                } else {
                    org_seen = Some(o.loc.clone());
                }
                cx.check_org(o);
            }
            Item::Tag(_) => {}
        }
    }
    cx.check_conflicts();
    cx.project.tagging_authorized_by = cx.tagging_authorized_by();
    (cx.project, cx.errors)
}

/// A request as written, each part with its place for diagnostics: a `test` block's, or
/// `tagc eval`'s flags.
#[derive(Clone, Copy)]
pub struct RequestText<'a> {
    /// The action.
    pub action: &'a Text,
    /// The create a tagging action runs as part of.
    pub during: Option<&'a Text>,
    /// The caller's ARN.
    pub principal: Option<&'a Text>,
    /// The tags set, key and value.
    pub tags: &'a [(Text, Text)],
    /// The resource's ARN.
    pub resource: Option<&'a Text>,
    /// Where in the organization the request comes from.
    pub from: Option<&'a TargetRef>,
}

/// Check a request given outside a `test` block, such as `tagc eval`'s flags, the way a test
/// block's request is checked (see `check_test`), and also that its origin is an OU the
/// project names: its policies' targets, the OUs on their paths, and the OUs below a target
/// (which only the policies above them reach). tagc knows no other OU, so it cannot tell a typo
/// from an OU it has never heard of. Returns the request (without tags) and its origin when no
/// error was found, and every diagnostic.
pub fn check_request(
    project: &Project,
    catalog: &Catalog,
    request: &RequestText<'_>,
) -> (Option<(Request, Option<Target>)>, Vec<CheckError>) {
    let mut cx = Checker {
        catalog,
        errors: Vec::new(),
        project: Project::default(),
    };
    let RequestText {
        action,
        during,
        principal,
        tags,
        resource,
        from,
    } = *request;
    let checked = cx.check_request(action, during, principal, tags, resource, from);
    if let (Some((_, Some(origin))), Some(TargetRef::Ou(text))) = (&checked, from)
        && let Some(e) = unknown_ou(project, origin, text)
    {
        cx.push(e);
    }
    let ok = !cx
        .errors
        .iter()
        .any(|e| e.kind.severity() == miette::Severity::Error);
    (checked.filter(|_| ok), cx.errors)
}

/// An `unknown-ou` error when no target of the project is `origin`, above it or below it.
fn unknown_ou(project: &Project, origin: &Target, text: &Text) -> Option<CheckError> {
    // The project names an OU by attaching a policy there or by making a test's request from
    // it: a test block states that the OU exists.
    let targets: Vec<&Target> = project
        .policies
        .iter()
        .flat_map(|p| &p.targets)
        .chain(project.tests.iter().filter_map(|t| t.from.as_ref()))
        .collect();
    let named = targets.iter().any(|t| match (t, origin) {
        (Target::OuPath(t), Target::OuPath(o)) => {
            let below = |a: &str, b: &str| a.strip_prefix(b).is_some_and(|r| r.starts_with('/'));
            t == o || below(t, o) || below(o, t)
        }
        (t, o) => *t == o,
    });
    if named {
        return None;
    }
    // The OUs the project names: each OU path target and the OUs on its way.
    let mut known: Vec<String> = Vec::new();
    for t in &targets {
        match t {
            Target::OuPath(p) => {
                let segments: Vec<&str> = p.split('/').collect();
                // `Root/A`, `Root/A/B`, …: never `Root` alone, which is not an OU.
                for n in 2..=segments.len() {
                    known.push(segments[..n].join("/"));
                }
            }
            Target::OuId(id) => known.push(id.clone()),
            Target::Root | Target::Account(_) => {}
        }
    }
    known.sort();
    known.dedup();
    let help = if let Some(s) = did_you_mean(&text.value, known.iter().map(String::as_str)) {
        format!("did you mean `{s}`?")
    } else if known.is_empty() {
        "no policy of the project is attached to an OU: leave out `--ou` to ask about the root"
            .to_owned()
    } else {
        let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
        format!("the project names {}", list.join(", "))
    };
    Some(
        CheckError::new(
            CheckErrorKind::UnknownOu(text.value.clone()),
            text.loc.clone(),
        )
        .with_help(help),
    )
}

struct Checker<'c> {
    catalog: &'c Catalog,
    errors: Vec<CheckError>,
    project: Project,
}

impl<'c> Checker<'c> {
    fn push(&mut self, e: CheckError) {
        self.errors.push(e);
    }

    fn err(&mut self, kind: CheckErrorKind, loc: &Loc) {
        self.errors.push(CheckError::new(kind, loc.clone()));
    }

    // ---- tags ----

    fn check_tag(&mut self, t: &ast::TagDecl) {
        let key = &t.name.value;
        if let Some(reason) = invalid_key(key) {
            self.err(
                CheckErrorKind::InvalidTagKey {
                    key: key.clone(),
                    reason,
                },
                &t.name.loc,
            );
        }
        if let Some(prev) = self.project.tags.iter().find(|d| d.key == *key) {
            let e = CheckError::new(
                CheckErrorKind::DuplicateTag(key.clone()),
                t.name.loc.clone(),
            )
            .with_related(&prev.loc, "first declared here");
            self.push(e);
            return;
        }
        if let Some(prev) =
            self.project.tags.iter().find(|d| {
                d.key.eq_ignore_ascii_case(key) || d.key.to_lowercase() == key.to_lowercase()
            })
        {
            let e = CheckError::new(
                CheckErrorKind::TagCaseConflict(prev.key.clone(), key.clone()),
                t.name.loc.clone(),
            )
            .with_related(&prev.loc, "the other tag");
            self.push(e);
            return;
        }
        for (n, desc) in t.descriptions.iter().enumerate().skip(1) {
            let _ = n;
            self.push(
                CheckError::new(
                    CheckErrorKind::DuplicateStatement("description".into()),
                    desc.loc.clone(),
                )
                .with_related(&t.descriptions[0].loc, "first given here"),
            );
        }
        if let Some(second) = t.exact_case.get(1) {
            self.push(
                CheckError::new(
                    CheckErrorKind::DuplicateStatement("exact-case".into()),
                    second.clone(),
                )
                .with_related(&t.exact_case[0], "first given here"),
            );
        }
        let mut values: Option<Vec<String>> = None;
        for (n, stmt) in t.values.iter().enumerate() {
            if n > 0 {
                self.push(
                    CheckError::new(
                        CheckErrorKind::DuplicateStatement("values".into()),
                        stmt.loc.clone(),
                    )
                    .with_related(&t.values[0].loc, "first given here"),
                );
                continue;
            }
            let mut list: Vec<String> = Vec::new();
            for v in &stmt.value {
                if let Some(reason) = invalid_value(&v.value) {
                    self.err(
                        CheckErrorKind::InvalidTagValue {
                            value: v.value.clone(),
                            reason,
                        },
                        &v.loc,
                    );
                } else if v.value.matches('*').count() > 1 {
                    self.err(CheckErrorKind::TooManyWildcards(v.value.clone()), &v.loc);
                }
                if list.contains(&v.value) {
                    self.err(CheckErrorKind::DuplicateValue(v.value.clone()), &v.loc);
                } else {
                    list.push(v.value.clone());
                }
            }
            values = Some(list);
        }
        self.project.tags.push(TagDef {
            key: key.clone(),
            values,
            exact_case: !t.exact_case.is_empty(),
            loc: t.name.loc.clone(),
        });
    }

    /// Resolve a list of tag references: each must name a declared tag, in its exact casing.
    fn resolve_tags(&mut self, refs: &[Text]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in refs {
            let name = &r.value;
            if self.project.tag(name).is_none() {
                let candidates: Vec<&str> =
                    self.project.tags.iter().map(|t| t.key.as_str()).collect();
                let mut e =
                    CheckError::new(CheckErrorKind::UnknownTag(name.clone()), r.loc.clone());
                if let Some(s) = did_you_mean(name, candidates) {
                    e = e.with_help(format!("did you mean `{s}`?"));
                }
                self.push(e);
                continue;
            }
            if out.contains(name) {
                self.err(CheckErrorKind::DuplicateInList(name.clone()), &r.loc);
                continue;
            }
            out.push(name.clone());
        }
        out
    }

    // ---- actions ----

    /// Expand one action pattern. `need` selects the tag key the rule relies on: actions
    /// without it are left out of a pattern's expansion, and are an error when named exactly.
    fn expand_action(
        &mut self,
        text: &Text,
        need: Need,
        rule: &str,
    ) -> Option<(Vec<Action>, Expansion)> {
        let Some((service, pattern)) = split_action(&text.value) else {
            self.err(
                CheckErrorKind::MalformedAction(text.value.clone()),
                &text.loc,
            );
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
            let removing = crate::reference::removes_tags(&info.name);
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
            if wildcard && matches!(need, Need::RequestTag) && info.tagging_only {
                left_out.push(format!("{}:{}", svc.prefix, info.name));
                continue;
            }
            let resource_types = match support {
                TagSupport::No => continue,
                TagSupport::Action => Vec::new(),
                TagSupport::Resources(types) => match need {
                    Need::RequestTag => default_types(&info.name, types),
                    Need::TagKeys => types.clone(),
                },
            };
            actions.push(Action {
                service: svc.prefix.clone(),
                name: info.name.clone(),
                resources: arns_of(svc, &resource_types),
                resource_types,
            });
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
        let expansion = Expansion {
            rule: rule.to_owned(),
            pattern: text.value.clone(),
            actions: actions.iter().map(Action::full_name).collect(),
            left_out,
        };
        Some((actions, expansion))
    }

    fn expand_list(
        &mut self,
        list: &[Text],
        need: Need,
        rule: &str,
        expansions: &mut Vec<Expansion>,
    ) -> Vec<Action> {
        let mut out: Vec<Action> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for text in list {
            if seen.contains(&text.value.as_str()) {
                self.err(
                    CheckErrorKind::DuplicateInList(text.value.clone()),
                    &text.loc,
                );
                continue;
            }
            seen.push(&text.value);
            if let Some((actions, expansion)) = self.expand_action(text, need, rule) {
                expansions.push(expansion);
                for a in actions {
                    if !out.contains(&a) {
                        out.push(a);
                    }
                }
            }
        }
        out
    }

    /// `require … for TYPES`: scope each action to the named resource types among those its
    /// requests carry tags for. Every type must be one of those of some action of the rule, and
    /// every action must keep at least one type, or the rule would silently check nothing
    /// there. Returns false when it reported an error.
    fn scope_to_types(
        &mut self,
        actions: &mut [Action],
        patterns: &[Text],
        types: &[Text],
        loc: &Loc,
    ) -> bool {
        let errors = self.errors.len();
        // Per action, the resource types its requests carry tags for (catalog facts).
        let taggable = |a: &Action| -> Vec<String> {
            self.catalog
                .action(&a.service, &a.name)
                .and_then(|i| i.request_tag.resource_types())
                .map(<[String]>::to_vec)
                .unwrap_or_default()
        };
        let mut named: Vec<(String, String)> = Vec::new();
        for t in types {
            let Some((service, ty)) = t
                .value
                .split_once(':')
                .filter(|(s, r)| !s.is_empty() && !r.is_empty() && !r.contains(':'))
            else {
                self.err(
                    CheckErrorKind::MalformedResourceType(t.value.clone()),
                    &t.loc,
                );
                continue;
            };
            if named.iter().any(|(s, r)| s == service && r == ty) {
                self.err(CheckErrorKind::DuplicateInList(t.value.clone()), &t.loc);
                continue;
            }
            let mut candidates: Vec<String> = Vec::new();
            for a in actions
                .iter()
                .filter(|a| a.service.eq_ignore_ascii_case(service))
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
                        .any(|(s, r)| s.eq_ignore_ascii_case(&a.service) && r == c)
                })
                .collect();
            if chosen.is_empty() {
                // Point at the pattern that brought the action in.
                let at = patterns
                    .iter()
                    .find(|p| crate::model::wildcard_match(&p.value, &a.full_name(), true))
                    .map_or(loc, |p| &p.loc);
                self.err(CheckErrorKind::NoTypeForAction(a.full_name()), at);
                continue;
            }
            if let Some(svc) = self.catalog.service(&a.service) {
                a.resources = arns_of(svc, &chosen);
            }
            a.resource_types = chosen;
        }
        self.errors.len() == errors
    }

    /// The catalog's service `name`, or an `unknown-service` error with "did you mean".
    fn known_service(&mut self, name: &str, loc: &Loc) -> Option<&'c Service> {
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
    fn unknown_action(&mut self, text: &Text, service: &str, name: &str) {
        let mut e = CheckError::new(
            CheckErrorKind::UnknownAction(text.value.clone()),
            text.loc.clone(),
        );
        if let Some(s) = self.catalog.suggest_action(service, name) {
            e = e.with_help(format!("did you mean `{service}:{s}`?"));
        }
        self.push(e);
    }

    // ---- policies ----

    #[expect(
        clippy::too_many_lines,
        reason = "one arm per statement kind reads best in one place"
    )]
    fn check_policy(&mut self, p: &ast::PolicyDecl) {
        let name = p.name.value.clone();
        if let Some(prev) = self.project.policies.iter().find(|q| q.name == name) {
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
            exempt: Vec::new(),
            enforce: Vec::new(),
            report: Vec::new(),
            targets: Vec::new(),
            grant: false,
            tagging_on_create: Vec::new(),
            expansions: Vec::new(),
            loc: p.loc.clone(),
            name_loc: Some(p.name.loc.clone()),
        };
        let mut description_loc: Option<Loc> = None;
        let mut grant_loc: Option<Loc> = None;
        let mut protect_stmts: Vec<(Vec<String>, &[Text], &Loc)> = Vec::new();
        let mut target_locs: Vec<(Target, Loc)> = Vec::new();
        let mut enforce_stmts: Vec<(&[Text], &[Text])> = Vec::new();
        let mut report_stmts: Vec<(&[Text], &[Text])> = Vec::new();
        for stmt in &p.stmts {
            match stmt {
                PolicyStmt::Description(d) => {
                    if let Some(first) = &description_loc {
                        self.push(
                            CheckError::new(
                                CheckErrorKind::DuplicateStatement("description".into()),
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
                    loc,
                } => {
                    let keys = self.resolve_tags(keys);
                    let mut actions = self.expand_list(
                        patterns,
                        Need::RequestTag,
                        "require",
                        &mut policy.expansions,
                    );
                    if !types.is_empty() && !self.scope_to_types(&mut actions, patterns, types, loc)
                    {
                        continue;
                    }
                    if !keys.is_empty() && !actions.is_empty() {
                        policy.requires.push(Require { keys, actions });
                    }
                }
                PolicyStmt::OnlyDeclared { actions, .. } => {
                    let actions = self.expand_list(
                        actions,
                        Need::TagKeys,
                        "only-declared-keys",
                        &mut policy.expansions,
                    );
                    if !actions.is_empty() {
                        policy.only_declared.push(OnlyDeclared { actions });
                    }
                }
                PolicyStmt::Protect {
                    keys,
                    services,
                    loc,
                } => {
                    let keys = self.resolve_tags(keys);
                    protect_stmts.push((keys, services, loc));
                }
                PolicyStmt::Exempt(arns) => {
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
                PolicyStmt::Enforce { keys, types, .. } => enforce_stmts.push((keys, types)),
                PolicyStmt::Report { keys, types, .. } => report_stmts.push((keys, types)),
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
                PolicyStmt::Grant(loc) => {
                    if let Some(first) = &grant_loc {
                        self.push(
                            CheckError::new(
                                CheckErrorKind::DuplicateStatement("grant".into()),
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
        for (keys, types) in enforce_stmts {
            let keys = self.resolve_tags(keys);
            let types = self.check_resource_types(types, Field::EnforcedFor);
            for k in keys {
                policy.enforce.push(ResourceRule {
                    key: k,
                    resource_types: types.clone(),
                });
            }
        }
        for (keys, types) in report_stmts {
            let keys = self.resolve_tags(keys);
            let types = self.check_resource_types(types, Field::ReportRequired);
            for k in keys {
                policy.report.push(ResourceRule {
                    key: k,
                    resource_types: types.clone(),
                });
            }
        }
        for (keys, services, loc) in protect_stmts {
            let mut expansions = Vec::new();
            if let Some(protect) = self.check_protect(&policy, keys, services, loc, &mut expansions)
            {
                policy.expansions.extend(expansions);
                policy.protects.push(protect);
            }
        }
        policy.tagging_on_create = self.tagging_on_create(&policy, grant_loc.as_ref());
        if let Some(loc) = &grant_loc {
            self.check_grant_exact_case(&policy, loc);
        }
        policy.targets = target_locs.into_iter().map(|(t, _)| t).collect();
        let has_rules = !p.stmts.iter().all(|s| {
            matches!(
                s,
                PolicyStmt::Description(_)
                    | PolicyStmt::Exempt(_)
                    | PolicyStmt::Attach(_)
                    | PolicyStmt::Grant(_)
            )
        });
        if !has_rules {
            self.err(CheckErrorKind::EmptyPolicy(name.clone()), &p.name.loc);
        } else if policy.targets.is_empty() {
            self.err(CheckErrorKind::NoTargets(name), &p.name.loc);
        }
        self.project.policies.push(policy);
    }

    fn check_protect(
        &mut self,
        policy: &Policy,
        keys: Vec<String>,
        services: &[Text],
        loc: &Loc,
        expansions: &mut Vec<Expansion>,
    ) -> Option<Protect> {
        let mut names: Vec<(String, Loc)> = Vec::new();
        if services.is_empty() {
            // Protect in the services whose actions this policy already governs.
            for a in policy
                .requires
                .iter()
                .flat_map(|r| &r.actions)
                .chain(policy.only_declared.iter().flat_map(|o| &o.actions))
            {
                if !names.iter().any(|(n, _)| *n == a.service) {
                    names.push((a.service.clone(), loc.clone()));
                }
            }
            if names.is_empty() {
                self.err(CheckErrorKind::ProtectWithoutServices, loc);
                return None;
            }
        } else {
            for s in services {
                if self.known_service(&s.value, &s.loc).is_none() {
                    continue;
                }
                if names.iter().any(|(n, _)| *n == s.value) {
                    self.err(CheckErrorKind::DuplicateInList(s.value.clone()), &s.loc);
                } else {
                    names.push((s.value.clone(), s.loc.clone()));
                }
            }
        }
        let mut actions = Vec::new();
        let mut context_keys: Vec<String> = Vec::new();
        for (name, sloc) in &names {
            let Some(svc) = self.catalog.service(name) else {
                continue;
            };
            if svc.tagging_actions.is_empty() {
                self.err(CheckErrorKind::NoTaggingActions(name.clone()), sloc);
                continue;
            }
            let mut unguarded = Vec::new();
            for ta in &svc.tagging_actions {
                let Some(info) = svc.action(ta) else { continue };
                if info.tag_keys.any() {
                    actions.push(Action {
                        service: svc.prefix.clone(),
                        name: info.name.clone(),
                        resources: Vec::new(),
                        resource_types: Vec::new(),
                    });
                } else {
                    unguarded.push(format!("`{}:{}`", svc.prefix, info.name));
                }
            }
            if !unguarded.is_empty() {
                self.err(
                    CheckErrorKind::TaggingActionWithoutKeys(unguarded.join(", ")),
                    sloc,
                );
            }
            match &svc.create_context_key {
                Some(k) => {
                    if !context_keys.contains(k) {
                        context_keys.push(k.clone());
                    }
                }
                None => self.err(CheckErrorKind::NoCreateContextKey(name.clone()), sloc),
            }
        }
        if keys.is_empty() || actions.is_empty() {
            return None;
        }
        let pattern: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        expansions.push(Expansion {
            rule: "protect".into(),
            pattern: pattern.join(", "),
            actions: actions.iter().map(Action::full_name).collect(),
            left_out: Vec::new(),
        });
        Some(Protect {
            keys,
            actions,
            create_context_keys: context_keys,
        })
    }

    /// The grant form's Allow tests each exact-case key an action requires with its own
    /// case-sensitive operator on `aws:TagKeys` (a condition block names a key once per
    /// operator), so it can express only as many as there are such operators.
    fn check_grant_exact_case(&mut self, policy: &Policy, loc: &Loc) {
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
                    action: action.full_name(),
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
    fn tagging_on_create(&mut self, policy: &Policy, grant: Option<&Loc>) -> Vec<TaggingOnCreate> {
        let catalog = self.catalog;
        let mut out: Vec<TaggingOnCreate> = Vec::new();
        for a in policy.requires.iter().flat_map(|r| &r.actions) {
            let Some(svc) = catalog.service(&a.service) else {
                continue;
            };
            for ta in svc.tagging_authorized_by(&a.name) {
                let Some(info) = svc.action(ta) else { continue };
                let full = format!("{}:{}", svc.prefix, info.name);
                if crate::reference::removes_tags(&full) {
                    continue;
                }
                if !info.request_tag.any() {
                    if let Some(loc) = grant {
                        self.err(
                            CheckErrorKind::GrantTaggingActionWithoutTags {
                                create: a.full_name(),
                                tagging: full,
                            },
                            loc,
                        );
                    }
                    continue;
                }
                match out.iter_mut().find(|t| t.tagging_action == full) {
                    Some(t) => {
                        if !t.creates.contains(&a.name) {
                            t.creates.push(a.name.clone());
                        }
                    }
                    None => out.push(TaggingOnCreate {
                        tagging_action: full,
                        context_key: svc.create_context_key.clone(),
                        creates: vec![a.name.clone()],
                    }),
                }
            }
        }
        out
    }

    /// For every action of the services the rules name, the tagging actions AWS also
    /// authorizes when it runs with tags: a tagged create is decided by their rules too.
    fn tagging_authorized_by(&self) -> BTreeMap<String, Vec<String>> {
        let mut services: Vec<&str> = Vec::new();
        for p in &self.project.policies {
            let actions = p
                .requires
                .iter()
                .flat_map(|r| &r.actions)
                .chain(p.only_declared.iter().flat_map(|o| &o.actions))
                .chain(p.protects.iter().flat_map(|r| &r.actions));
            for a in actions {
                if !services.contains(&a.service.as_str()) {
                    services.push(&a.service);
                }
            }
        }
        let mut out = BTreeMap::new();
        for svc in services.iter().filter_map(|s| self.catalog.service(s)) {
            for (action, tagging) in &svc.create_tagging {
                // A create's tags flow into the tagging actions that set tags, not into the
                // removals an update may also authorize.
                let setting: Vec<String> = tagging
                    .iter()
                    .map(|t| format!("{}:{t}", svc.prefix))
                    .filter(|t| !crate::reference::removes_tags(t))
                    .collect();
                if !setting.is_empty() {
                    out.insert(
                        format!("{}:{action}", svc.prefix).to_ascii_lowercase(),
                        setting,
                    );
                }
            }
        }
        out
    }

    fn check_resource_types(&mut self, types: &[Text], field: Field) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in types {
            let v = &t.value;
            let well_formed = v.split_once(':').is_some_and(|(s, r)| {
                !s.is_empty()
                    && !r.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !r.contains(':')
            });
            if !well_formed {
                self.err(CheckErrorKind::MalformedResourceType(v.clone()), &t.loc);
                continue;
            }
            if let Some(e) = field.validate(v, &t.loc) {
                self.push(e);
                continue;
            }
            if out.contains(v) {
                self.err(CheckErrorKind::DuplicateInList(v.clone()), &t.loc);
            } else {
                out.push(v.clone());
            }
        }
        out
    }

    fn check_target(&mut self, t: &TargetRef) -> Option<(Target, Loc)> {
        match t {
            TargetRef::Root(loc) => Some((Target::Root, loc.clone())),
            TargetRef::Account(id) => {
                if id.value.len() == 12 && id.value.chars().all(|c| c.is_ascii_digit()) {
                    Some((Target::Account(id.value.clone()), id.loc.clone()))
                } else {
                    self.err(
                        CheckErrorKind::InvalidTarget {
                            target: id.value.clone(),
                            reason: "an account id is 12 digits".into(),
                        },
                        &id.loc,
                    );
                    None
                }
            }
            TargetRef::Ou(text) => {
                let v = &text.value;
                let reason = if v.starts_with("ou-") {
                    if valid_ou_id(v) {
                        return Some((Target::OuId(v.clone()), text.loc.clone()));
                    }
                    "an OU id is `ou-` then 4 to 32 and 8 to 32 lowercase letters or digits, joined by `-`"
                } else if v.starts_with("r-") {
                    "that is a root id: write `attach to root`"
                } else if v == "Root" {
                    "that is the root: write `attach to root`"
                } else if let Some(rest) = v.strip_prefix("Root/") {
                    let segments: Vec<&str> = rest.split('/').collect();
                    if segments
                        .iter()
                        .any(|s| s.is_empty() || s.chars().count() > 128)
                    {
                        "each OU name in the path is 1 to 128 characters"
                    } else if segments.len() > 5 {
                        "AWS nests OUs at most five levels under the root"
                    } else {
                        return Some((Target::OuPath(v.clone()), text.loc.clone()));
                    }
                } else {
                    "an OU path starts at the root, as in `Root/Workloads/ML`"
                };
                self.err(
                    CheckErrorKind::InvalidTarget {
                        target: v.clone(),
                        reason: reason.into(),
                    },
                    &text.loc,
                );
                None
            }
        }
    }

    /// The same key in `enforced_for` (or `report_required_tag_for`) of two policies attached
    /// to the same target: AWS resolves such same-node conflicts by attachment order, so one
    /// policy's list would silently win.
    fn check_conflicts(&mut self) {
        let mut seen: BTreeMap<(&str, String, &Target), &Policy> = BTreeMap::new();
        let mut found = Vec::new();
        for p in &self.project.policies {
            for (field, rules) in [
                ("enforced_for", &p.enforce),
                ("report_required_tag_for", &p.report),
            ] {
                let mut keys: Vec<String> = rules.iter().map(|r| r.key.to_lowercase()).collect();
                keys.dedup();
                for key in keys {
                    for t in &p.targets {
                        if let Some(other) = seen.get(&(field, key.clone(), t)) {
                            if other.name != p.name {
                                found.push(
                                    CheckError::new(
                                        CheckErrorKind::ConflictingRules(format!(
                                            "policies `{}` and `{}` both set `{field}` for tag `{key}` at {t}",
                                            other.name, p.name
                                        )),
                                        p.name_loc(),
                                    )
                                    .with_related(&other.name_loc(), "the other policy")
                                    .with_help("AWS keeps the setting of whichever tag policy was attached first; set it in one policy"),
                                );
                            }
                        } else {
                            seen.insert((field, key.clone(), t), p);
                        }
                    }
                }
            }
        }
        self.errors.extend(found);
    }

    // ---- tests and settings ----

    fn check_test(&mut self, t: &ast::TestDecl) {
        if let Some(prev) = self.project.tests.iter().find(|x| x.name == t.name.value) {
            let e = CheckError::new(
                CheckErrorKind::DuplicateTest(t.name.value.clone()),
                t.name.loc.clone(),
            )
            .with_related(&prev.loc, "first declared here");
            self.push(e);
            return;
        }
        let Some((request, from)) = self.check_request(
            &t.action,
            t.during.as_ref(),
            t.principal.as_ref(),
            &t.tags,
            t.resource.as_ref(),
            t.from.as_ref(),
        ) else {
            return;
        };
        self.project.tests.push(TestCase {
            name: t.name.value.clone(),
            request: Request {
                tags: t
                    .tags
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect(),
                ..request
            },
            expect: t.expect.value,
            layer: t.layer.as_ref().map(|l| l.value),
            from,
            loc: t.name.loc.clone(),
        });
    }

    /// The parts of a request that name things, in a `test` block or on `tagc eval`'s command
    /// line: the action and `during` are exact actions of the catalog, each tag key set once,
    /// the principal and the resource ARNs, the origin a target. Every problem is reported;
    /// `None` when the action is unusable. The request returned has no tags.
    fn check_request(
        &mut self,
        action: &Text,
        during: Option<&Text>,
        principal: Option<&Text>,
        tags: &[(Text, Text)],
        resource: Option<&Text>,
        from: Option<&TargetRef>,
    ) -> Option<(Request, Option<Target>)> {
        let action_name = self.known_action(action);
        let during = during.and_then(|d| self.known_action(d));
        if let (Some(_), Some(a)) = (&during, &action_name) {
            let tagging = split_action(a)
                .and_then(|(s, n)| self.catalog.action(s, n))
                .is_some_and(|i| i.tagging_only);
            if !tagging {
                self.err(CheckErrorKind::DuringOnNonTagging(a.clone()), &action.loc);
            }
        }
        let principal = match principal {
            Some(p) => {
                if let Some(e) = check_principal_arn(p) {
                    self.push(e);
                }
                p.value.clone()
            }
            None => DEFAULT_PRINCIPAL.to_owned(),
        };
        // One key twice has no single value for `aws:RequestTag/KEY`, whose key part IAM
        // compares case-insensitively
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requesttag).
        for (i, (key, _)) in tags.iter().enumerate() {
            if let Some((first, _)) = tags[..i]
                .iter()
                .find(|(k, _)| k.value.eq_ignore_ascii_case(&key.value))
            {
                let e = CheckError::new(
                    CheckErrorKind::DuplicateRequestTag(first.value.clone()),
                    key.loc.clone(),
                )
                .with_related(&first.loc, "first set here");
                self.push(e);
            }
        }
        if let Some(e) = resource.and_then(check_resource_arn) {
            self.push(e);
        }
        let from = from.and_then(|f| self.check_target(f)).map(|(t, _)| t);
        let request = Request {
            principal,
            action: action_name?,
            tags: Vec::new(),
            on_create: during.and_then(|d| d.split_once(':').map(|(_, n)| n.to_owned())),
            resource: resource.map(|r| r.value.clone()),
        };
        Some((request, from))
    }

    /// An exact action that must exist; returns it in AWS's casing.
    fn known_action(&mut self, text: &Text) -> Option<String> {
        let Some((service, name)) = split_action(&text.value) else {
            self.err(
                CheckErrorKind::MalformedAction(text.value.clone()),
                &text.loc,
            );
            return None;
        };
        if name.contains('*') || name.contains('?') {
            self.push(
                CheckError::new(
                    CheckErrorKind::MalformedAction(text.value.clone()),
                    text.loc.clone(),
                )
                .with_help("a test requests one action: write it without wildcards"),
            );
            return None;
        }
        let svc = self.known_service(service, &text.loc)?;
        if let Some(info) = svc.action(name) {
            return Some(format!("{}:{}", svc.prefix, info.name));
        }
        self.unknown_action(text, service, name);
        None
    }

    fn check_org(&mut self, o: &ast::OrgDecl) {
        if let (Some(first), Some(second)) = (o.project.first(), o.project.get(1)) {
            self.push(
                CheckError::new(
                    CheckErrorKind::DuplicateStatement("project".into()),
                    second.loc.clone(),
                )
                .with_related(&first.loc, "first given here"),
            );
        }
        let project = o.project.first().and_then(|p| {
            if let Some(reason) = invalid_project(&p.value) {
                self.err(
                    CheckErrorKind::InvalidProject {
                        value: p.value.clone(),
                        reason,
                    },
                    &p.loc,
                );
                return None;
            }
            Some(p.value.clone())
        });
        self.project.settings = Settings {
            project,
            scp_strategy: self
                .single(&o.strategy, "scp-strategy")
                .unwrap_or(ScpStrategy::DenyList),
            limits: self
                .single(&o.limits, "limits")
                .unwrap_or(LimitsProfile::Current),
        };
    }

    fn single<T: Copy>(&mut self, items: &[Spanned<T>], what: &str) -> Option<T> {
        if let (Some(first), Some(second)) = (items.first(), items.get(1)) {
            self.push(
                CheckError::new(
                    CheckErrorKind::DuplicateStatement(what.into()),
                    second.loc.clone(),
                )
                .with_related(&first.loc, "first given here"),
            );
        }
        items.first().map(|s| s.value)
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
fn default_types(action: &str, types: &[String]) -> Vec<String> {
    let noun_start = action
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_uppercase())
        .map_or(action.len(), |(i, _)| i);
    let noun = action.get(noun_start..).unwrap_or("").to_ascii_lowercase();
    let matching: Vec<&String> = types
        .iter()
        .filter(|t| {
            let t = t.replace('-', "").to_ascii_lowercase();
            !noun.is_empty() && (noun == t || noun == format!("{t}s") || noun == format!("{t}es"))
        })
        .collect();
    match matching.as_slice() {
        [one] => vec![(*one).clone()],
        _ => types.to_vec(),
    }
}

/// The ARN patterns of `types` in `svc`.
fn arns_of(svc: &Service, types: &[String]) -> Vec<String> {
    types
        .iter()
        .flat_map(|t| svc.resources.get(t).cloned().unwrap_or_default())
        .collect()
}

/// Which tag condition key a rule's actions must support.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// `require` compares `aws:RequestTag/K`.
    RequestTag,
    /// `only-declared-keys` compares `aws:TagKeys`.
    TagKeys,
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;
    use crate::model::{DEFAULT_PRINCIPAL, Decision, Layer, Project, Request};
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
        let verifier = Verifier::new(&compiled.artifacts, Catalog::builtin())
            .expect("the emitted documents parse");
        (compiled.project.expect("compiled"), verifier)
    }

    fn actions(p: &Project) -> Vec<String> {
        p.policies[0].requires[0]
            .actions
            .iter()
            .map(crate::model::Action::full_name)
            .collect()
    }

    /// A later retag that sets only another key, by both the reference and the emitted JSON.
    fn retag(p: &Project, v: &Verifier) -> Decision {
        let request = Request {
            principal: DEFAULT_PRINCIPAL.into(),
            action: "ec2:CreateTags".into(),
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
            assert_eq!(expansion.left_out, vec!["ec2:CreateTags".to_owned()]);
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
}
