//! `tagc audit`: existing resources and their tags judged against the rules of a project.
//!
//! Input: a checked [`Project`], the [`Catalog`] and the resources read by [`source`] (from a
//! file, or from AWS's Resource Groups Tagging API). Output: an [`Audit`], every [`Finding`]
//! with the resource's ARN, the resources that could not be evaluated and the rules whose
//! resource types are unknown, which [`report`] prints. The judging is pure; only reading from
//! AWS needs the `aws` feature.
//!
//! Which rules apply to a resource, decided once in [`RuleIndex`]:
//!
//! - A resource's type comes from its ARN, matched against the ARN formats of the catalog's
//!   resource types (AWS's service reference lists an ARN format per resource type,
//!   <https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html>).
//!   The most specific format wins (`table/*/index/*` over `table/*`). An ARN that matches none,
//!   or two types equally, is not evaluated, and said so.
//! - `require` and `only-declared-keys` on an action apply to the resource types that action
//!   creates with the tags of the request: the types check scoped the rule to (`RunInstances`
//!   → `instance`, or the types of `for`); otherwise the one resource type of the action the
//!   action is named after (`CreateTrainingJob` → `training-job`). An action named after none
//!   of its types applies to no type and is listed as not evaluated, never guessed.
//! - `enforce` and `report` apply to the tag-policy resource types they name, compared with the
//!   resource's `service:type` as tag policies compare them ([`type_covered`]).
//! - A policy applies to a resource when one of its targets is the root, an OU on the path of
//!   the resource's account, or the account itself; when the account's place in the
//!   organization is unknown (a single account audited with its own credentials, or a file),
//!   every policy applies.
//! - `exempt` names principals, and a resource has no principal: exemptions do not apply, so a
//!   resource an exempt role created is judged like any other.
//!
//! What is a finding, per key `K` of a rule that applies (tag keys are case-sensitive in AWS,
//! <https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html>, and cost
//! allocation tags that differ in case are distinct):
//!
//! - `require K`, `report K`: `K` absent (`missing`), present only in another casing
//!   (`wrong-casing`), or with a value outside `K`'s `values` (`value-not-allowed`).
//! - `enforce K`: as `require`, except that an absent key is no finding (a tag policy never
//!   makes a key mandatory,
//!   <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_tag-policies.html>).
//! - `only-declared-keys`: a key that is not declared (`undeclared-key`), or declared in another
//!   casing (`wrong-casing`). Keys starting with `aws:` are AWS's own and never count.

pub mod error;
#[cfg(feature = "aws")]
pub mod live;
pub mod report;
pub mod source;

pub use error::AuditError;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::Catalog;
use crate::model::{Action, Policy, Project, ResourceType, RuleKind, Target, type_covered};
use crate::source::Loc;

/// One resource and its tags, as a source read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// Its ARN.
    pub arn: String,
    /// The account that owns it (from the ARN when the source does not say).
    pub account: String,
    /// Its region (empty for a global resource).
    pub region: String,
    /// Its tags, key and value, in the casing AWS keeps.
    pub tags: Vec<(String, String)>,
    /// Where its account is in the organization, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<AccountPlacement>,
}

/// Where an account sits in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountPlacement {
    /// The OU path from the root, such as `Root/Workloads/ML` (`Root` for the root itself).
    pub ou_path: String,
    /// The ids of the OUs on that path, from the top.
    pub ou_ids: Vec<String>,
}

impl Resource {
    /// A resource whose account and region are read from its ARN
    /// (`arn:partition:service:region:account:resource`,
    /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>).
    pub fn from_arn(arn: &str, tags: Vec<(String, String)>) -> Self {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        Self {
            arn: arn.to_owned(),
            account: parts.get(4).copied().unwrap_or("").to_owned(),
            region: parts.get(3).copied().unwrap_or("").to_owned(),
            tags,
            placement: None,
        }
    }
}

/// What is wrong with one key of one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    /// The key is absent.
    Missing,
    /// The key is present only in another casing.
    WrongCasing,
    /// The value is not one of the key's `values`.
    ValueNotAllowed,
    /// The key is not declared, where only declared keys are allowed.
    UndeclaredKey,
}

impl Problem {
    /// The name used in every output format.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::WrongCasing => "wrong-casing",
            Self::ValueNotAllowed => "value-not-allowed",
            Self::UndeclaredKey => "undeclared-key",
        }
    }
}

/// One rule broken by one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The account of the resource.
    pub account: String,
    /// The OU path of the account, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ou: Option<String>,
    /// The region of the resource.
    pub region: String,
    /// The resource's ARN.
    pub arn: String,
    /// Its type, `service:type`.
    pub resource_type: ResourceType,
    /// The policy whose rule it breaks.
    pub policy: String,
    /// The kind of rule: `require`, `only-declared-keys`, `enforce` or `report`.
    pub rule: RuleKind,
    /// The key the rule is about (for `only-declared-keys`, the resource's key).
    pub key: String,
    /// What is wrong.
    pub problem: Problem,
    /// The key as the resource has it, when it has it in another casing or is undeclared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_key: Option<String>,
    /// The resource's value for the key, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_value: Option<String>,
    /// Where the policy is declared (for SARIF).
    #[serde(skip)]
    pub loc: Option<Loc>,
}

impl Finding {
    /// The rule as people name it: `ml-guardrails: require environment`.
    pub fn rule_name(&self) -> String {
        match self.rule {
            RuleKind::OnlyDeclaredKeys => format!("{}: {}", self.policy, self.rule),
            _ => format!("{}: {} {}", self.policy, self.rule, self.key),
        }
    }
}

/// A resource that was read but not judged, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotEvaluated {
    /// The account of the resource.
    pub account: String,
    /// Its region.
    pub region: String,
    /// Its ARN.
    pub arn: String,
    /// Why it was not judged.
    pub reason: String,
}

/// An action of a rule for which no resource type is known, so the rule checks nothing there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UnmappedRule {
    /// The policy.
    pub policy: String,
    /// The kind of rule.
    pub rule: RuleKind,
    /// The action, `service:Name`.
    pub action: String,
}

/// The result of an audit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Audit {
    /// How many resources were read.
    pub resources: usize,
    /// Per resource type, how many resources of it were judged and how many broke a rule.
    pub types: BTreeMap<String, TypeCount>,
    /// Every finding, in the order of the resources.
    pub findings: Vec<Finding>,
    /// The resources that could not be judged.
    pub not_evaluated: Vec<NotEvaluated>,
    /// The rule actions whose resource type is unknown.
    pub unmapped_rules: Vec<UnmappedRule>,
}

/// Resources of one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TypeCount {
    /// Judged.
    pub resources: usize,
    /// With at least one finding.
    pub noncompliant: usize,
}

impl Audit {
    /// Whether every judged resource is compliant.
    pub fn compliant(&self) -> bool {
        self.findings.is_empty()
    }
}

/// A rule of the project, with the resource types it covers.
#[derive(Debug, Clone)]
struct IndexedRule {
    /// Index of the policy in the project.
    policy: usize,
    /// The kind of rule.
    kind: RuleKind,
    /// The keys it names (none for `only-declared-keys`).
    keys: Vec<String>,
    /// The resource types it covers.
    covers: Covers,
}

/// The resource types a rule covers.
#[derive(Debug, Clone)]
enum Covers {
    /// Exactly these types (the types the rule's actions create).
    Types(BTreeSet<ResourceType>),
    /// A tag-policy list: exact types or whole services.
    TagPolicy(Vec<ResourceType>),
}

impl Covers {
    fn covers(&self, ty: &ResourceType) -> bool {
        match self {
            Self::Types(set) => set.contains(ty),
            Self::TagPolicy(list) => type_covered(list, ty),
        }
    }
}

/// The rules of a project by the resource types they cover, and the catalog's ARN formats:
/// built once per audit.
#[derive(Debug)]
pub struct RuleIndex<'p> {
    project: &'p Project,
    rules: Vec<IndexedRule>,
    unmapped: Vec<UnmappedRule>,
    /// Per service prefix: (resource type, ARN pattern, number of literal characters).
    arns: BTreeMap<String, Vec<(String, String, usize)>>,
}

/// The resource types `action` creates with the tags of its request, or `None` when the
/// catalog does not tell (see the module documentation).
pub fn created_types(catalog: &Catalog, action: &Action) -> Option<Vec<ResourceType>> {
    let service = action.name.service();
    if !action.resource_types().is_empty() {
        return Some(
            action
                .resource_types()
                .iter()
                .map(|t| ResourceType::new(service, t.clone()))
                .collect(),
        );
    }
    let info = catalog.action(service, action.name.action())?;
    let types = info.resource_tag.resource_types()?;
    crate::check::type_named_after(action.name.action(), types)
        .map(|t| vec![ResourceType::new(service, t.clone())])
}

impl<'p> RuleIndex<'p> {
    /// Indexes the rules of `project` with the facts of `catalog`.
    pub fn new(project: &'p Project, catalog: &Catalog) -> Self {
        let mut rules = Vec::new();
        let mut unmapped = BTreeSet::new();
        for (i, policy) in project.policies.iter().enumerate() {
            let mut action_rules: Vec<(RuleKind, Vec<String>, &[Action])> = policy
                .requires
                .iter()
                .map(|r| (RuleKind::Require, r.keys.clone(), r.actions.as_slice()))
                .collect();
            action_rules.extend(
                policy
                    .only_declared
                    .iter()
                    .map(|o| (RuleKind::OnlyDeclaredKeys, Vec::new(), o.actions.as_slice())),
            );
            for (kind, keys, actions) in action_rules {
                let mut types = BTreeSet::new();
                for a in actions {
                    match created_types(catalog, a) {
                        Some(ts) => types.extend(ts),
                        None => {
                            unmapped.insert(UnmappedRule {
                                policy: policy.name.clone(),
                                rule: kind,
                                action: a.name.to_string(),
                            });
                        }
                    }
                }
                rules.push(IndexedRule {
                    policy: i,
                    kind,
                    keys,
                    covers: Covers::Types(types),
                });
            }
            for (kind, list) in [
                (RuleKind::Enforce, &policy.enforce),
                (RuleKind::Report, &policy.report),
            ] {
                for r in list {
                    rules.push(IndexedRule {
                        policy: i,
                        kind,
                        keys: vec![r.key.clone()],
                        covers: Covers::TagPolicy(r.resource_types.clone()),
                    });
                }
            }
        }
        let mut arns: BTreeMap<String, Vec<(String, String, usize)>> = BTreeMap::new();
        for (prefix, service) in &catalog.services {
            for (ty, patterns) in &service.resources {
                for p in patterns {
                    let literal = p.chars().filter(|c| *c != '*').count();
                    arns.entry(prefix.clone())
                        .or_default()
                        .push((ty.clone(), p.clone(), literal));
                }
            }
        }
        Self {
            project,
            rules,
            unmapped: unmapped.into_iter().collect(),
            arns,
        }
    }

    /// The rule actions whose resource type is unknown.
    pub fn unmapped(&self) -> &[UnmappedRule] {
        &self.unmapped
    }

    /// The catalog resource type of `arn`, or why there is none.
    pub fn resource_type(&self, arn: &str) -> Result<ResourceType, String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        if parts.len() < 6 || parts.first() != Some(&"arn") {
            return Err("not an ARN".to_owned());
        }
        let service = parts.get(2).copied().unwrap_or("");
        let Some(patterns) = self.arns.get(service) else {
            return Err(format!(
                "the catalog knows no ARN format of service `{service}`"
            ));
        };
        let mut best: Option<(usize, BTreeSet<&str>)> = None;
        for (ty, pattern, literal) in patterns {
            if !crate::model::wildcard_match(pattern, arn, false) {
                continue;
            }
            match &mut best {
                Some((n, types)) if *n == *literal => {
                    types.insert(ty);
                }
                Some((n, _)) if *n > *literal => {}
                _ => best = Some((*literal, BTreeSet::from([ty.as_str()]))),
            }
        }
        match best {
            None => Err(format!(
                "the ARN matches no ARN format of service `{service}` in the catalog"
            )),
            Some((_, types)) => {
                let list: Vec<&str> = types.into_iter().collect();
                match list.as_slice() {
                    [one] => Ok(ResourceType::new(service, *one)),
                    _ => Err(format!(
                        "the ARN matches the ARN formats of several resource types: {}",
                        list.join(", ")
                    )),
                }
            }
        }
    }

    /// Judges `resources`.
    pub fn audit(&self, resources: &[Resource]) -> Audit {
        let mut audit = Audit {
            resources: resources.len(),
            unmapped_rules: self.unmapped.clone(),
            ..Audit::default()
        };
        for r in resources {
            match self.resource_type(&r.arn) {
                Ok(ty) => {
                    let findings = self.judge(r, &ty);
                    let count = audit.types.entry(ty.to_string()).or_default();
                    count.resources += 1;
                    if !findings.is_empty() {
                        count.noncompliant += 1;
                    }
                    audit.findings.extend(findings);
                }
                Err(reason) => audit.not_evaluated.push(NotEvaluated {
                    account: r.account.clone(),
                    region: r.region.clone(),
                    arn: r.arn.clone(),
                    reason,
                }),
            }
        }
        audit
    }

    /// The findings of one resource of type `ty`.
    pub fn judge(&self, r: &Resource, ty: &ResourceType) -> Vec<Finding> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for rule in &self.rules {
            let Some(policy) = self.project.policies.get(rule.policy) else {
                continue;
            };
            if !applies(policy, r) || !rule.covers.covers(ty) {
                continue;
            }
            let mut push = |key: &str, problem: Problem, actual: Option<&(String, String)>| {
                if seen.insert((rule.policy, rule.kind, key.to_owned(), problem)) {
                    out.push(Finding {
                        account: r.account.clone(),
                        ou: r.placement.as_ref().map(|p| p.ou_path.clone()),
                        region: r.region.clone(),
                        arn: r.arn.clone(),
                        resource_type: ty.clone(),
                        policy: policy.name.clone(),
                        rule: rule.kind,
                        key: key.to_owned(),
                        problem,
                        actual_key: actual
                            .filter(|(k, _)| k != key || problem == Problem::UndeclaredKey)
                            .map(|(k, _)| k.clone()),
                        actual_value: actual.map(|(_, v)| v.clone()),
                        loc: Some(policy.name_loc()),
                    });
                }
            };
            if rule.kind == RuleKind::OnlyDeclaredKeys {
                for tag in r.tags.iter().filter(|(k, _)| !k.starts_with("aws:")) {
                    if self.project.tag(&tag.0).is_some() {
                        continue;
                    }
                    match self.project.tag_ignore_case(&tag.0) {
                        Some(def) => push(&def.key, Problem::WrongCasing, Some(tag)),
                        None => push(&tag.0, Problem::UndeclaredKey, Some(tag)),
                    }
                }
                continue;
            }
            for key in &rule.keys {
                let exact = r.tags.iter().find(|(k, _)| k == key);
                let other_case = r.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key));
                match (exact, other_case) {
                    (Some(tag), _) => {
                        let allowed = self.project.tag(key).is_none_or(|d| d.allows(&tag.1));
                        if !allowed {
                            push(key, Problem::ValueNotAllowed, Some(tag));
                        }
                    }
                    (None, Some(tag)) => push(key, Problem::WrongCasing, Some(tag)),
                    (None, None) if rule.kind != RuleKind::Enforce => {
                        push(key, Problem::Missing, None);
                    }
                    (None, None) => {}
                }
            }
        }
        out
    }
}

/// Whether `policy` applies to resource `r`: attached to the root, to an OU on the path of its
/// account or to its account; every policy applies when the account's place is unknown.
fn applies(policy: &Policy, r: &Resource) -> bool {
    let Some(place) = &r.placement else {
        return true;
    };
    policy.targets.iter().any(|t| match t {
        Target::Root => true,
        Target::OuPath(_) => t.applies_to(&Target::OuPath(place.ou_path.clone())),
        Target::OuId(id) => place.ou_ids.iter().any(|o| o == id),
        Target::Account(id) => *id == r.account,
    })
}

#[cfg(test)]
mod tests;
