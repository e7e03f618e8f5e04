//! The exhaustive check: for every policy of `policies/`, `examples/` and
//! `tests/fixtures/valid/`, every class of request its rules can tell apart is run through the
//! evaluator on the emitted JSON (`tagc::verify`) and through the reference semantics
//! (`tagc::reference`), in every layer, and the two must agree on all of them.
//!
//! Where the differential tests sample, this enumerates a finite partition of the request
//! space. For each policy, the classes are the product of:
//!
//! - each action of its rules' expansions, and the tagging actions of their services;
//! - no resource, and one resource per class: ARNs that match the same resource patterns of the
//!   rules on the action and are of a type a tag policy enforces (or not) are alike; the
//!   candidates are each type a rule is scoped to, each type the catalog lists for the action
//!   and each type a tag policy enforces;
//! - for each key the rules covering the action name: absent, an allowed value, a disallowed
//!   value, each other value the rules tell apart (each allowed pattern and each `forbid` and
//!   `when` pattern on the key filled in, and a value only a tag policy's widened copy of a `?`
//!   pattern admits), or an allowed value under a wrong key casing (for a removing action: removed in its
//!   casing, in another casing, or not removed, so that the product includes removal without
//!   keys); and, where a rule looks at undeclared keys (`only-declared-keys`, the grant form,
//!   `protect` on an action that replaces the whole tag set), an undeclared key present or not;
//! - the default principal and an instance of each of the policy's `exempt` and its rules'
//!   `except` patterns, one per set of covering rules that spare it;
//! - for a tagging action that adds tags: standalone, during a create the rules name, and
//!   during one they do not.
//!
//! Inside one class the rules decide alike: they compare the action by name, the resource by
//! the patterns it matches and its type, each key by presence, casing and whether its value is
//! allowed, and the principal by the `exempt` and `except` patterns. Every request is decided under the whole
//! project's rules, so that the other policies of a project meet it too. The number of requests
//! per policy is printed (`cargo test exhaustive -- --nocapture`) and is part of the assertion
//! message; a policy with no request, or whose requests never reach both decisions, fails. The
//! work of each policy is spread over the available cores.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use tagc::catalog::Catalog;
use tagc::model::{
    DEFAULT_PRINCIPAL, Decision, Layer, Policy, Project, Request, TagDef, removes_tags,
    replaces_tags, wildcard_match,
};
use tagc::reference;

use crate::common::requests::{
    Compiled, arn, compile_project, push_new, resources_of, scoped_and_enforced, sources_in,
};
use crate::common::tags_files;

const LAYERS: [Layer; 3] = [Layer::Scp, Layer::Iam, Layer::TagPolicy];

/// A key no project declares, for `only-declared-keys` and the grant form.
const UNDECLARED: &str = "zz-undeclared";

/// How one key appears in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    Absent,
    Allowed,
    Disallowed,
    WrongCase,
    /// The `n`-th of [`other_values`].
    Other(usize),
}

/// The classes of a declared key: a disallowed value exists only when the tag has `values`;
/// a removing action sets no value, so only presence and casing count there.
fn classes(project: &Project, tag: &TagDef, removing: bool) -> Vec<KeyClass> {
    let mut out = vec![KeyClass::Absent, KeyClass::Allowed, KeyClass::WrongCase];
    if !removing && disallowed_value(tag).is_some() {
        out.push(KeyClass::Disallowed);
    }
    if !removing {
        out.extend((0..other_values(project, tag).len()).map(KeyClass::Other));
    }
    out
}

/// A pattern with its wildcards filled in: `?` with one character, `*` with several.
fn fill(pattern: &str) -> String {
    pattern.replace('?', "7").replace('*', "1042")
}

/// A value the tag allows: its first pattern with the wildcards filled in.
fn allowed_value(tag: &TagDef) -> String {
    tag.values
        .as_ref()
        .and_then(|v| v.first())
        .map_or_else(|| "x1".to_owned(), |p| fill(p))
}

/// The other values of a key that the rules tell apart: each allowed pattern and each pattern a
/// `forbid` or `when` tests on the key, filled in; and, for a `?` pattern, a value that only
/// the tag policy's widened copy admits (`CC-` for `CC-????`).
fn other_values(project: &Project, tag: &TagDef) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let allowed = tag.values.iter().flatten();
    let tested = project.policies.iter().flat_map(|p| {
        p.forbids
            .iter()
            .map(|f| &f.test)
            .chain(p.requires.iter().filter_map(|r| r.when.as_deref()))
            .filter(|t| t.key.eq_ignore_ascii_case(&tag.key))
            .flat_map(|t| &t.values)
    });
    for p in allowed.clone().chain(tested) {
        push_new(&mut out, fill(p));
    }
    for p in allowed {
        let widened_only = tagc::model::tag_policy_pattern(p).replace('*', "");
        if !tag.allows(&widened_only) {
            push_new(&mut out, widened_only);
        }
    }
    let allowed = allowed_value(tag);
    let disallowed = disallowed_value(tag);
    out.retain(|v| *v != allowed && Some(v) != disallowed.as_ref());
    out
}

/// A value the tag does not allow, if it restricts values: the allowed value in upper case when
/// that is refused (values compare case-sensitively), else some junk.
fn disallowed_value(tag: &TagDef) -> Option<String> {
    tag.values.as_ref()?;
    ["", "junk", "Junk-Value-9"]
        .into_iter()
        .map(str::to_owned)
        .chain(std::iter::once(allowed_value(tag).to_uppercase()))
        .rev()
        .find(|v| !tag.allows(v))
}

/// The key in another casing: the first letter flipped.
fn wrong_case(key: &str) -> String {
    let mut chars = key.chars();
    chars.next().map_or_else(String::new, |c| {
        let flipped: String = if c.is_uppercase() {
            c.to_lowercase().collect()
        } else {
            c.to_uppercase().collect()
        };
        flipped + chars.as_str()
    })
}

/// What one policy's rules can tell apart.
struct Partition<'p> {
    project: &'p Project,
    /// `service:Action`, each with the declared keys that rules covering it name, and whether a
    /// rule covering it looks at undeclared keys.
    actions: Vec<(String, Vec<&'p TagDef>, bool)>,
    /// The default principal, and an instance of each of the policy's `exempt` patterns and of
    /// its rules' `except` patterns.
    principals: Vec<String>,
}

impl<'p> Partition<'p> {
    fn of(project: &'p Project, policy: &'p Policy) -> Self {
        let catalog = Catalog::builtin();
        let mut actions: Vec<String> = Vec::new();
        let mut services: BTreeSet<String> = BTreeSet::new();
        for a in policy
            .requires
            .iter()
            .flat_map(|r| &r.actions)
            .chain(policy.only_declared.iter().flat_map(|o| &o.actions))
            .chain(policy.protects.iter().flat_map(|p| &p.actions))
            .chain(policy.forbids.iter().flat_map(|f| &f.actions))
        {
            push_new(&mut actions, a.name.to_string());
            services.insert(a.name.service().to_owned());
        }
        for t in policy.enforce.iter().flat_map(|r| &r.resource_types) {
            services.insert(t.service().to_owned());
        }
        for service in &services {
            if let Some(svc) = catalog.service(service) {
                for t in &svc.tagging_actions {
                    push_new(&mut actions, format!("{}:{t}", svc.prefix));
                }
            }
        }
        let actions = actions
            .into_iter()
            .map(|a| {
                let keys = keys_for(project, &a);
                let undeclared = looks_at_undeclared_keys(project, &a);
                (a, keys, undeclared)
            })
            .collect();
        let mut principals = vec![DEFAULT_PRINCIPAL.to_owned()];
        let excepts = policy
            .requires
            .iter()
            .flat_map(|r| &r.except)
            .chain(policy.only_declared.iter().flat_map(|o| &o.except))
            .chain(policy.protects.iter().flat_map(|r| &r.except))
            .chain(policy.forbids.iter().flat_map(|f| &f.except));
        for pattern in policy.exempt.iter().chain(excepts) {
            push_new(&mut principals, arn(pattern));
        }
        Self {
            project,
            actions,
            principals,
        }
    }

    /// Every request of the partition whose action is the `part`-th of every `parts`, handed
    /// to `visit` one by one (parts run on separate threads).
    fn each(&self, part: usize, parts: usize, mut visit: impl FnMut(&Request)) {
        let (scoped, enforced) = scoped_and_enforced(self.project);
        for (action, keys, looks_at_undeclared) in self.actions.iter().skip(part).step_by(parts) {
            let removing = removes_tags(&action.parse().unwrap());
            let resources = resource_classes(
                self.project,
                action,
                resources_of(action, &scoped, &enforced),
            );
            let principals = principal_classes(self.project, action, &self.principals);
            let during = creates_for(self.project, action);
            let per_key: Vec<Vec<KeyClass>> = keys
                .iter()
                .map(|t| classes(self.project, t, removing))
                .collect();
            for tags in product(&per_key) {
                for undeclared in [false, true] {
                    if undeclared && !*looks_at_undeclared {
                        continue;
                    }
                    let mut request_tags = Vec::new();
                    for (tag, class) in keys.iter().zip(&tags) {
                        let value = |v: String| if removing { String::new() } else { v };
                        match class {
                            KeyClass::Absent => {}
                            KeyClass::Allowed => {
                                request_tags.push((tag.key.clone(), value(allowed_value(tag))));
                            }
                            KeyClass::Disallowed => {
                                request_tags.push((
                                    tag.key.clone(),
                                    value(disallowed_value(tag).unwrap_or_default()),
                                ));
                            }
                            KeyClass::Other(n) => {
                                let v = other_values(self.project, tag)
                                    .get(*n)
                                    .cloned()
                                    .unwrap_or_default();
                                request_tags.push((tag.key.clone(), value(v)));
                            }
                            KeyClass::WrongCase => {
                                request_tags
                                    .push((wrong_case(&tag.key), value(allowed_value(tag))));
                            }
                        }
                    }
                    if undeclared {
                        request_tags.push((
                            UNDECLARED.to_owned(),
                            if removing {
                                String::new()
                            } else {
                                "x1".to_owned()
                            },
                        ));
                    }
                    for resource in &resources {
                        for principal in &principals {
                            for on_create in &during {
                                visit(&Request {
                                    principal: principal.clone(),
                                    action: action.parse().unwrap(),
                                    tags: request_tags.clone(),
                                    on_create: on_create.clone(),
                                    resource: resource.clone(),
                                });
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One resource per class the rules can tell apart for `action`, and no resource: ARNs match
/// the same resource patterns of the rules on `action` and have the same type as far as the
/// tag policies are concerned (enforced, or not) form one class.
fn resource_classes(project: &Project, action: &str, arns: Vec<String>) -> Vec<Option<String>> {
    let patterns: Vec<&String> = project
        .policies
        .iter()
        .flat_map(|p| {
            p.requires
                .iter()
                .flat_map(|r| &r.actions)
                .chain(p.only_declared.iter().flat_map(|o| &o.actions))
        })
        .filter(|a| a.name.to_string().eq_ignore_ascii_case(action))
        .flat_map(tagc::model::Action::resources)
        .collect();
    let enforced: Vec<String> = project
        .policies
        .iter()
        .flat_map(|p| p.enforce.iter().flat_map(|r| &r.resource_types))
        .map(ToString::to_string)
        .collect();
    let mut seen: Vec<(Vec<bool>, Option<String>)> = Vec::new();
    let mut out = vec![None];
    for arn in arns {
        let request = Request {
            principal: String::new(),
            action: action.parse().unwrap(),
            tags: Vec::new(),
            on_create: None,
            resource: Some(arn.clone()),
        };
        let ty = request
            .resource_type()
            .filter(|ty| {
                enforced.iter().any(|t| {
                    *t == ty.to_string() || *t == format!("{}:ALL_SUPPORTED", ty.service())
                })
            })
            .map(|ty| ty.to_string());
        let signature = (
            patterns
                .iter()
                .map(|p| wildcard_match(p, &arn, false))
                .collect(),
            ty,
        );
        if !seen.contains(&signature) {
            seen.push(signature);
            out.push(Some(arn));
        }
    }
    out
}

/// One principal per class for `action`: principals spared the same rules (by their policy's
/// `exempt` or their own `except`) among the policies with a rule on the action (or, for a
/// tagging action, on its service) form one class.
fn principal_classes(project: &Project, action: &str, principals: &[String]) -> Vec<String> {
    let service = action.split(':').next().unwrap_or("");
    let covering: Vec<&Policy> = project
        .policies
        .iter()
        .filter(|p| {
            p.requires
                .iter()
                .flat_map(|r| &r.actions)
                .chain(p.only_declared.iter().flat_map(|o| &o.actions))
                .chain(p.protects.iter().flat_map(|r| &r.actions))
                .any(|a| {
                    a.name.to_string().eq_ignore_ascii_case(action)
                        || a.name.service().eq_ignore_ascii_case(service)
                })
        })
        .collect();
    let mut seen: Vec<Vec<bool>> = Vec::new();
    let mut out = Vec::new();
    for principal in principals {
        // Per rule of the covering policies: whether the principal is spared it (the policy's
        // `exempt` or the rule's `except`).
        let signature: Vec<bool> = covering
            .iter()
            .flat_map(|p| {
                p.requires
                    .iter()
                    .map(|r| &r.except)
                    .chain(p.only_declared.iter().map(|o| &o.except))
                    .chain(p.protects.iter().map(|r| &r.except))
                    .chain(p.forbids.iter().map(|f| &f.except))
                    .map(|except| p.exempts(except, principal))
            })
            .collect();
        if !seen.contains(&signature) {
            seen.push(signature);
            out.push(principal.clone());
        }
    }
    out
}

/// Whether a rule decides `action` by keys no tag declares: `only-declared-keys` on it, the
/// grant form (which allows only declared keys) on it or on its service's tagging, or
/// `protect` on a tagging action that replaces the whole set (a set of other keys only removes
/// the protected ones).
fn looks_at_undeclared_keys(project: &Project, action: &str) -> bool {
    let service = action.split(':').next().unwrap_or("");
    project.policies.iter().any(|p| {
        (replaces_tags(&action.parse().unwrap())
            && p.protects
                .iter()
                .flat_map(|r| &r.actions)
                .any(|a| a.name.to_string().eq_ignore_ascii_case(action)))
            || p.only_declared
                .iter()
                .flat_map(|o| &o.actions)
                .any(|a| a.name.to_string().eq_ignore_ascii_case(action))
            || (p.grant
                && p.requires
                    .iter()
                    .flat_map(|r| &r.actions)
                    .any(|a| a.name.service() == service))
    })
}

/// The declared keys that rules covering `action` name: required keys of rules on it and the
/// keys their `when` tests, keys `forbid` tests on it, protected keys of rules guarding it, and for a tagging action the keys tag policies enforce in its
/// service and, under the grant form (which allows tagging during a create with the create's
/// tags), the keys required on its service's creates.
fn keys_for<'p>(project: &'p Project, action: &str) -> Vec<&'p TagDef> {
    let service = action.split(':').next().unwrap_or("");
    let same = |a: &tagc::model::Action| a.name.to_string().eq_ignore_ascii_case(action);
    let tagging = Catalog::builtin().service(service).is_some_and(|s| {
        s.tagging_actions
            .iter()
            .any(|t| format!("{}:{t}", s.prefix).eq_ignore_ascii_case(action))
    });
    let mut names: Vec<String> = Vec::new();
    for p in &project.policies {
        for r in &p.requires {
            if r.actions
                .iter()
                .any(|a| same(a) || (tagging && p.grant && a.name.service() == service))
            {
                for k in r.keys.iter().chain(r.when.as_ref().map(|w| &w.key)) {
                    push_new(&mut names, k.clone());
                }
            }
        }
        for f in &p.forbids {
            if f.actions.iter().any(same) {
                push_new(&mut names, f.test.key.clone());
            }
        }
        for pr in &p.protects {
            if pr.actions.iter().any(same) {
                for k in &pr.keys {
                    push_new(&mut names, k.clone());
                }
            }
        }
        if tagging {
            for rule in &p.enforce {
                if rule.resource_types.iter().any(|t| t.service() == service) {
                    push_new(&mut names, rule.key.clone());
                }
            }
        }
    }
    names.iter().filter_map(|n| project.tag(n)).collect()
}

/// For a tagging action that adds tags: standalone, during a create the rules name (the first
/// in the service), and during one of the service's creates they do not name. Other actions run
/// only standalone.
fn creates_for(project: &Project, action: &str) -> Vec<Option<String>> {
    let mut out = vec![None];
    let (service, name) = action.split_once(':').unwrap_or((action, ""));
    let Some(svc) = Catalog::builtin().service(service) else {
        return out;
    };
    let tagging = svc.action(name).is_some_and(|i| i.tagging_only);
    if !tagging || removes_tags(&action.parse().unwrap()) {
        return out;
    }
    let named: Vec<&str> = project
        .policies
        .iter()
        .flat_map(|p| p.requires.iter().flat_map(|r| &r.actions))
        .filter(|a| a.name.service() == svc.prefix)
        .map(|a| a.name.action())
        .collect();
    if let Some(first) = named.first() {
        out.push(Some((*first).to_owned()));
    }
    if let Some(other) = svc
        .actions
        .iter()
        .filter(|a| !a.tagging_only && a.name.starts_with("Create"))
        .find(|a| !named.contains(&a.name.as_str()))
    {
        out.push(Some(other.name.clone()));
    }
    out
}

/// Every combination of one class per key.
fn product(per_key: &[Vec<KeyClass>]) -> Vec<Vec<KeyClass>> {
    let mut out: Vec<Vec<KeyClass>> = vec![Vec::new()];
    for classes in per_key {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                classes.iter().map(move |c| {
                    let mut next = prefix.clone();
                    next.push(*c);
                    next
                })
            })
            .collect();
    }
    out
}

/// The outcome of checking one policy's partition.
struct Outcome {
    requests: usize,
    /// How many (request, layer) pairs disagree.
    disagreements: usize,
    /// The first few, in full.
    shown: Vec<String>,
    /// Whether the reference allowed, and denied, some request in some layer: a partition on
    /// which every layer always allows could not catch a wrong Deny.
    allowed: bool,
    denied: bool,
}

impl Outcome {
    const fn new() -> Self {
        Self {
            requests: 0,
            disagreements: 0,
            shown: Vec::new(),
            allowed: false,
            denied: false,
        }
    }
}

fn check_policy(name: &str, compiled: &Compiled, policy: &Policy) -> Outcome {
    let partition = Partition::of(&compiled.project, policy);
    let parts = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..parts)
            .map(|part| {
                let partition = &partition;
                scope.spawn(move || {
                    let mut outcome = Outcome::new();
                    partition.each(part, parts, |request| {
                        check_request(name, compiled, policy, request, &mut outcome);
                    });
                    outcome
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut total = Outcome::new();
    for o in outcomes {
        total.requests += o.requests;
        total.disagreements += o.disagreements;
        total.shown.extend(o.shown);
        total.allowed |= o.allowed;
        total.denied |= o.denied;
    }
    total
}

/// Run one request through the evaluator and the reference in every layer.
fn check_request(
    name: &str,
    compiled: &Compiled,
    policy: &Policy,
    request: &Request,
    outcome: &mut Outcome,
) {
    outcome.requests += 1;
    for layer in LAYERS {
        let got = compiled.verifier.decide(layer, request);
        let want = reference::decide(&compiled.project, layer, request);
        match want.decision {
            Decision::Allow => outcome.allowed = true,
            Decision::Deny => outcome.denied = true,
        }
        if got.decision == want.decision {
            continue;
        }
        outcome.disagreements += 1;
        if outcome.shown.len() < 3 {
            outcome.shown.push(format!(
                "{name} › {}: the {layer} layer disagrees on\n{request:#?}\nevaluator on the emitted JSON: {}\n  {}\nreference semantics: {}\n  {}",
                policy.name, got.decision, got.explanation, want.decision, want.reason
            ));
        }
    }
}

/// Check every policy of each project; print and return the report, failing on any
/// disagreement or on a policy whose partition is empty.
fn check_projects(projects: &[(String, Vec<(String, String)>)]) {
    let mut report = String::new();
    let mut failures = Vec::new();
    for (name, sources) in projects {
        let compiled = compile_project(name, sources).unwrap();
        assert!(
            !compiled.project.policies.is_empty(),
            "{name} has no policy to check"
        );
        for policy in &compiled.project.policies {
            let outcome = check_policy(name, &compiled, policy);
            let _ = writeln!(
                report,
                "{name} › {}: {} requests, {} disagreements",
                policy.name, outcome.requests, outcome.disagreements
            );
            if outcome.requests == 0 {
                failures.push(format!("{name} › {}: no request to check", policy.name));
            } else if !(outcome.allowed && outcome.denied) {
                failures.push(format!(
                    "{name} › {}: the {} requests never reach both decisions",
                    policy.name, outcome.requests
                ));
            }
            failures.extend(outcome.shown);
        }
    }
    println!("{report}");
    assert!(failures.is_empty(), "{report}\n{}", failures.join("\n\n"));
}

#[test]
fn test_exhaustive_agreement_on_policies() {
    check_projects(&[("policies/".to_owned(), sources_in("policies"))]);
}

#[test]
fn test_exhaustive_agreement_on_examples() {
    let projects: Vec<_> = sources_in("examples")
        .into_iter()
        .map(|(name, text)| (name.clone(), vec![(name, text)]))
        .collect();
    assert!(!projects.is_empty());
    check_projects(&projects);
}

#[test]
fn test_exhaustive_agreement_on_valid_fixtures() {
    let files = tags_files("tests/fixtures/valid");
    assert!(!files.is_empty());
    let projects: Vec<_> = files
        .iter()
        .map(|p| {
            let name = crate::common::requests::relative(p);
            let text = std::fs::read_to_string(p).unwrap();
            (name.clone(), vec![(name, text)])
        })
        .collect();
    check_projects(&projects);
}

/// The same with `organization { actions compact }`: the wildcards written in place of the
/// action lists decide every class as the rules do. For every valid fixture without an
/// `organization` block, and `policies/`.
#[test]
fn test_exhaustive_agreement_with_compact_actions() {
    let compact = |text: String| {
        if text.contains("organization {") {
            text.replacen("organization {", "organization {\n  actions compact", 1)
        } else {
            format!("organization {{\n  actions compact\n}}\n{text}")
        }
    };
    let mut projects: Vec<_> = tags_files("tests/fixtures/valid")
        .iter()
        .map(|p| {
            let name = crate::common::requests::relative(p);
            let text = std::fs::read_to_string(p).unwrap();
            (name.clone(), text)
        })
        .filter(|(_, text)| !text.contains("organization"))
        .map(|(name, text)| (format!("{name} (compact)"), vec![(name, compact(text))]))
        .collect();
    projects.push((
        "policies/ (compact)".to_owned(),
        sources_in("policies")
            .into_iter()
            .map(|(name, text)| {
                // One file of the project declares the organization.
                if text.contains("organization {") {
                    (name, compact(text))
                } else {
                    (name, text)
                }
            })
            .collect(),
    ));
    assert!(
        projects
            .iter()
            .all(|(_, s)| s.iter().any(|(_, t)| t.contains("actions compact")))
    );
    check_projects(&projects);
}

/// The check catches a document that means something else than the rules: the emitted JSON of
/// a rule that allows one more value, checked against the reference of the stricter rule.
#[test]
fn test_exhaustive_check_finds_a_document_that_disagrees() {
    let source = |values: &str| {
        vec![(
            "wrong.tags".to_owned(),
            format!(
                "tag environment {{\n  values {values}\n}}\n\npolicy p {{\n  require environment on sagemaker:CreateTrainingJob\n  attach to root\n}}\n"
            ),
        )]
    };
    let strict = compile_project("strict", &source("\"dev\"")).unwrap();
    let loose = compile_project("loose", &source("\"dev\" \"DEV\"")).unwrap();
    let wrong = Compiled {
        project: strict.project,
        artifacts: loose.artifacts,
        verifier: loose.verifier,
    };
    let outcome = check_policy("wrong", &wrong, &wrong.project.policies[0]);
    assert!(
        outcome.disagreements > 0,
        "{} requests and not one disagreement",
        outcome.requests
    );
}
