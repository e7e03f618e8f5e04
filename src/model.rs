//! The checked project: what the rules mean, with every name resolved and every action pattern
//! expanded against the AWS catalog.
//!
//! This is the output of [`crate::check`] and the input of [`crate::lower`]. It is also the
//! reference semantics that the evaluator's differential tests compare emitted policies with
//! (see [`crate::reference`]): every field here says what a rule *means*, not how a layer
//! expresses it.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::Serialize;

use crate::source::Loc;

/// Everything in all `.tags` files of one project, checked.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// Declared tags, in declaration order (files in path order).
    pub tags: Vec<TagDef>,
    /// Policies, in declaration order.
    pub policies: Vec<Policy>,
    /// `test` blocks, in declaration order.
    pub tests: Vec<TestCase>,
    /// Organization-wide settings.
    pub settings: Settings,
    /// Which policies go to which targets: the policies grouped by the exact set of targets
    /// they are attached to, in declaration order of each group's first policy.
    pub placements: Vec<Placement>,
    /// For the actions of the services the rules name: the tagging actions AWS also authorizes
    /// when the action runs with tags (`lambda:CreateFunction` → `lambda:TagResource`). A
    /// tagged create is decided by its own rules and by those of these tagging actions.
    pub tagging_authorized_by: BTreeMap<ActionName, Vec<ActionName>>,
}

impl Project {
    /// The tag declared with this exact name.
    pub fn tag(&self, name: &str) -> Option<&TagDef> {
        self.tags.iter().find(|t| t.key == name)
    }

    /// The declared tag whose key equals `key` ignoring case: IAM matches the tag-key part of
    /// `aws:RequestTag/…` without regard to case, so this is how a request's key finds its rule.
    pub fn tag_ignore_case(&self, key: &str) -> Option<&TagDef> {
        self.tags.iter().find(|t| t.key.eq_ignore_ascii_case(key))
    }

    /// The tagging actions AWS also authorizes when `action` runs with tags.
    pub fn tagging_authorized_by(&self, action: &ActionName) -> &[ActionName] {
        self.tagging_authorized_by
            .get(action)
            .map_or(&[], Vec::as_slice)
    }
}

/// A set of targets and the policies attached to exactly that set. Computed once by check from
/// the policies' `attach to`; emit packs the SCPs of one placement together when that saves
/// attachment slots, which is sound only because every policy of a placement applies at exactly
/// the same places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// The targets, sorted.
    pub targets: Vec<Target>,
    /// The names of the policies attached there, in declaration order.
    pub policies: Vec<String>,
}

impl Placement {
    /// The placements of `policies`: one per distinct set of targets, in the order the sets
    /// first appear, each listing its policies in declaration order.
    pub fn of(policies: &[Policy]) -> Vec<Self> {
        let mut out: Vec<Self> = Vec::new();
        // Each set of targets is found through an index, not by comparing it with every
        // placement so far: a project of many policies on distinct targets stays linear.
        let mut index: BTreeMap<Vec<Target>, usize> = BTreeMap::new();
        for p in policies {
            let mut targets = p.targets.clone();
            targets.sort();
            if let Some(pl) = index.get(&targets).and_then(|&i| out.get_mut(i)) {
                pl.policies.push(p.name.clone());
            } else {
                index.insert(targets.clone(), out.len());
                out.push(Self {
                    targets,
                    policies: vec![p.name.clone()],
                });
            }
        }
        out
    }
}

/// The kinds of statement a policy holds. The syntax tree, the formatter, check, the reference
/// semantics and `--explain` match on it without a wildcard, so that a new kind of statement
/// makes the compiler list every place that must handle it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// `description "…"`
    Description,
    /// `require KEYS on ACTIONS`
    Require,
    /// `only-declared-keys on ACTIONS`
    OnlyDeclaredKeys,
    /// `enforce KEYS for TYPES`
    Enforce,
    /// `report KEYS for TYPES`
    Report,
    /// `protect KEYS`
    Protect,
    /// `forbid KEY = VALUES on ACTIONS`
    Forbid,
    /// `exempt "ARN", …`
    Exempt,
    /// `attach to TARGET, …`
    Attach,
    /// `grant`
    Grant,
}

impl RuleKind {
    /// Every kind, in the order the reference semantics and `--explain` visit them.
    pub const ALL: [Self; 10] = [
        Self::Description,
        Self::Require,
        Self::OnlyDeclaredKeys,
        Self::Enforce,
        Self::Report,
        Self::Protect,
        Self::Forbid,
        Self::Exempt,
        Self::Attach,
        Self::Grant,
    ];

    /// The keyword that starts the statement.
    pub const fn word(self) -> &'static str {
        match self {
            Self::Description => "description",
            Self::Require => "require",
            Self::OnlyDeclaredKeys => "only-declared-keys",
            Self::Enforce => "enforce",
            Self::Report => "report",
            Self::Protect => "protect",
            Self::Forbid => "forbid",
            Self::Exempt => "exempt",
            Self::Attach => "attach",
            Self::Grant => "grant",
        }
    }

    /// Whether the statement is a rule the policy enforces; the others describe the policy,
    /// exempt principals from its rules, place it or choose a form. A policy without one
    /// enforces nothing.
    pub const fn enforces(self) -> bool {
        match self {
            Self::Require
            | Self::OnlyDeclaredKeys
            | Self::Enforce
            | Self::Report
            | Self::Protect
            | Self::Forbid => true,
            Self::Description | Self::Exempt | Self::Attach | Self::Grant => false,
        }
    }
}

impl std::fmt::Display for RuleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// Organization-wide settings (`organization { … }`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// The project's identity in AWS (`project "…"`): every policy tagc creates is tagged
    /// `tagc:project = <name>`, and plan and apply touch only the policies tagged with it.
    /// `None` when the project declares none (plan and apply then refuse to run).
    pub project: Option<String>,
    /// How SCPs are used: deny-list keeps `FullAWSAccess` attached everywhere.
    pub scp_strategy: ScpStrategy,
    /// Which set of AWS quotas to compile against.
    pub limits: LimitsProfile,
    /// How the guardrails' action lists are written (`actions exact|compact`).
    pub actions: ActionForm,
}

/// How the Deny statements name their actions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionForm {
    /// Every action by its name: a statement covers exactly the actions the rules expanded
    /// to, today and after AWS adds actions.
    #[default]
    Exact,
    /// Where shorter, a word-boundary wildcard that matches exactly the same actions of the
    /// service in the catalog: fewer characters, at the price that the wildcard also takes in
    /// the actions AWS adds later under that prefix.
    Compact,
}

/// The organization's SCP strategy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScpStrategy {
    /// `FullAWSAccess` stays attached and takes a slot at every target.
    #[default]
    DenyList,
    /// The organization replaced `FullAWSAccess` with its own allow-lists.
    AllowList,
}

/// A named set of AWS size and attachment limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitsProfile {
    /// The quotas in force since 2026-05-15.
    #[default]
    Current,
    /// The quotas before 2026-05-15 (SCP 5,120 characters, 5 per target).
    Legacy,
}

/// A declared tag.
#[derive(Debug, Clone)]
pub struct TagDef {
    /// The key, in its exact casing.
    pub key: String,
    /// Allowed value patterns; `None` means any value.
    pub values: Option<Vec<String>>,
    /// Whether the key must appear in exactly this casing.
    pub exact_case: bool,
    /// Where it was declared.
    pub loc: Loc,
}

impl TagDef {
    /// Whether `value` matches one of the allowed patterns (`*` matches any run of characters,
    /// `?` any one character, case-sensitively, as `StringLike` does): what the SCP and IAM
    /// policy enforce.
    pub fn allows(&self, value: &str) -> bool {
        self.values
            .as_ref()
            .is_none_or(|vs| vs.iter().any(|p| wildcard_match(p, value, false)))
    }

    /// The allowed values as a tag policy holds them: each pattern through
    /// [`tag_policy_pattern`], repeats dropped.
    pub fn tag_policy_values(&self) -> Option<Vec<String>> {
        self.values.as_ref().map(|vs| {
            let mut out: Vec<String> = Vec::new();
            for v in vs {
                let w = tag_policy_pattern(v);
                if !out.contains(&w) {
                    out.push(w);
                }
            }
            out
        })
    }

    /// Whether the tag policy's values admit `value`: what the tag-policy layer enforces.
    pub fn tag_policy_allows(&self, value: &str) -> bool {
        self.tag_policy_values()
            .is_none_or(|vs| vs.iter().any(|p| wildcard_match(p, value, false)))
    }
}

/// A value pattern as a tag policy can hold it. Tag policies have one wildcard, `*`, at most
/// once per value ("You can use an asterisk (*) as a wildcard … only one per value"), and no
/// `?` (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html>):
/// each run of `?` and `*` becomes one `*`, and where that leaves more than one, everything
/// between the first and the last becomes one `*`. The result admits every value the pattern
/// admits, and more where the pattern had a `?` (`CC-????` becomes `CC-*`); the check stage
/// says so.
pub fn tag_policy_pattern(pattern: &str) -> String {
    if !pattern.contains('?') {
        return pattern.to_owned();
    }
    let mut out = String::new();
    for c in pattern.chars() {
        if c == '?' || c == '*' {
            if !out.ends_with('*') {
                out.push('*');
            }
        } else {
            out.push(c);
        }
    }
    match (out.find('*'), out.rfind('*')) {
        (Some(first), Some(last)) if first != last => {
            format!("{}*{}", &out[..first], &out[last + 1..])
        }
        _ => out,
    }
}

/// An action as IAM names it: service prefix and action name, `sagemaker:CreateTrainingJob`.
///
/// Displayed as written. Compared, ordered and hashed ignoring ASCII case, as IAM does: "The
/// prefix and the action name are case insensitive"
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>).
///
/// Held as one pointer to its text, `service:action`, and the position of the `:`, shared by
/// every name of the same text (see [`intern`]): a project of many policies holds an expanded
/// action list per rule, tens of thousands of names of a few thousand actions, so a name in a
/// list costs a pointer, not a copy of its text.
#[derive(Clone)]
pub struct ActionName {
    shared: Arc<NameText>,
}

/// The text of an action name and where its `:` is, once per distinct text.
#[derive(Debug)]
struct NameText {
    text: Box<str>,
    colon: usize,
}

impl ActionName {
    /// The action `service:action`; both parts as given.
    pub fn new(service: impl Into<String>, action: impl Into<String>) -> Self {
        let mut text = service.into();
        let colon = text.len();
        text.push(':');
        text.push_str(&action.into());
        Self {
            shared: intern(text, colon),
        }
    }

    /// The service prefix, such as `sagemaker`.
    pub fn service(&self) -> &str {
        self.shared
            .text
            .get(..self.shared.colon)
            .unwrap_or_default()
    }

    /// The action's name without its prefix, such as `CreateTrainingJob`.
    pub fn action(&self) -> &str {
        self.shared
            .text
            .get(self.shared.colon + 1..)
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for ActionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ActionName")
            .field(&&*self.shared.text)
            .finish()
    }
}

/// A shared name text in the set of [`intern`], found by its text.
struct Interned(Arc<NameText>);

impl std::borrow::Borrow<str> for Interned {
    fn borrow(&self) -> &str {
        &self.0.text
    }
}

impl PartialEq for Interned {
    fn eq(&self, other: &Self) -> bool {
        self.0.text == other.0.text
    }
}

impl Eq for Interned {}

impl std::hash::Hash for Interned {
    // As `str` hashes, which `Borrow<str>` requires.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.text.hash(state);
    }
}

/// The one shared copy of an action name's text (`colon` is where its `:` is). The names a
/// process meets are few (the catalog's actions and those a user writes), so every text met is
/// kept for the life of the process; each further name of the same text costs a reference
/// count.
fn intern(text: String, colon: usize) -> Arc<NameText> {
    static NAMES: OnceLock<Mutex<HashSet<Interned>>> = OnceLock::new();
    // A panic while the set was held cannot leave it inconsistent: it holds whole names only.
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(Interned(shared)) = names.get(text.as_str()) {
        return Arc::clone(shared);
    }
    let shared = Arc::new(NameText {
        text: text.into_boxed_str(),
        colon,
    });
    names.insert(Interned(Arc::clone(&shared)));
    shared
}

/// A name's bytes, ASCII-lowercased: what equality, order and hashing of an [`ActionName`]
/// compare.
fn folded(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.bytes().map(|b| b.to_ascii_lowercase())
}

impl PartialEq for ActionName {
    fn eq(&self, other: &Self) -> bool {
        self.service().eq_ignore_ascii_case(other.service())
            && self.action().eq_ignore_ascii_case(other.action())
    }
}

impl Eq for ActionName {}

impl PartialOrd for ActionName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ActionName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        folded(self.service())
            .cmp(folded(other.service()))
            .then_with(|| folded(self.action()).cmp(folded(other.action())))
    }
}

impl std::hash::Hash for ActionName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for b in folded(self.service()) {
            state.write_u8(b);
        }
        // A byte no UTF-8 text contains, so that `ab:c` and `a:bc` hash apart.
        state.write_u8(0xff);
        for b in folded(self.action()) {
            state.write_u8(b);
        }
    }
}

impl std::fmt::Display for ActionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `service:action` as given.
        f.write_str(&self.shared.text)
    }
}

impl std::str::FromStr for ActionName {
    type Err = NameError;

    /// Reads `service:Action`: a service prefix of lowercase letters, digits and `-`, and an
    /// action name of letters, digits, `_` and `-` (no wildcard: one action).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || NameError::Action(s.to_owned());
        let (service, action) = s.split_once(':').ok_or_else(malformed)?;
        let service_ok = !service.is_empty()
            && service
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let action_ok = !action.is_empty()
            && action
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if service_ok && action_ok {
            Ok(Self::new(service, action))
        } else {
            Err(malformed())
        }
    }
}

impl Serialize for ActionName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A tag-policy resource type, `service:type` (`sagemaker:training-job`), or a whole service's
/// types: `service:ALL_SUPPORTED`, or its older spelling `service:*`
/// (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html>).
/// Compared exactly, as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceType {
    service: String,
    kind: String,
}

impl ResourceType {
    /// The type `service:kind`.
    pub fn new(service: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            kind: kind.into(),
        }
    }

    /// The service prefix, such as `sagemaker`.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The type within the service, such as `training-job`, `ALL_SUPPORTED` or `*`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Whether this names every supported type of its service (`ALL_SUPPORTED` or `*`).
    pub fn is_whole_service(&self) -> bool {
        matches!(self.kind.as_str(), "*" | "ALL_SUPPORTED")
    }
}

impl std::fmt::Display for ResourceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.service, self.kind)
    }
}

impl std::str::FromStr for ResourceType {
    type Err = NameError;

    /// Reads `service:type`: two non-empty parts, one colon.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split_once(':')
            .filter(|(service, kind)| {
                !service.is_empty() && !kind.is_empty() && !kind.contains(':')
            })
            .map(|(service, kind)| Self::new(service, kind))
            .ok_or_else(|| NameError::ResourceType(s.to_owned()))
    }
}

impl Serialize for ResourceType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Text that is not the name it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum NameError {
    /// Not `service:Action`.
    #[error("`{0}` is not an action name")]
    #[diagnostic(
        code("tagc::model::malformed-action-name"),
        severity(Error),
        help("write an action as `service:ActionName`, such as `sagemaker:CreateTrainingJob`")
    )]
    Action(String),
    /// Not `service:type`.
    #[error("`{0}` is not a resource type")]
    #[diagnostic(
        code("tagc::model::malformed-resource-type-name"),
        severity(Error),
        help("write a resource type as `service:type`, such as `sagemaker:training-job`")
    )]
    ResourceType(String),
}

/// One action after expansion: `service:Name` in AWS's documented casing.
///
/// Its resource scope is held apart, boxed, and only when there is one: most actions are
/// unscoped, and a project holds an expanded action list per rule, so the common action is its
/// name and one empty pointer rather than two empty lists. It orders and serializes as its
/// name, then its resources, then its resource types.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Action {
    /// The action, such as `sagemaker:CreateTrainingJob`.
    pub name: ActionName,
    /// The resource scope; `None` when both of its lists would be empty.
    scope: Option<Box<ActionScope>>,
}

/// An action's resource scope (see [`Action::resources`] and [`Action::resource_types`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct ActionScope {
    resources: Vec<String>,
    resource_types: Vec<String>,
}

impl Action {
    /// The action `name`, unscoped.
    pub fn new(name: ActionName) -> Self {
        Self { name, scope: None }
    }

    /// The action `name` scoped to `resources` of `resource_types`.
    pub fn scoped(name: ActionName, resources: Vec<String>, resource_types: Vec<String>) -> Self {
        let mut action = Self::new(name);
        action.set_scope(resources, resource_types);
        action
    }

    /// Scope the action to `resources` of `resource_types` (both empty: unscoped).
    pub fn set_scope(&mut self, resources: Vec<String>, resource_types: Vec<String>) {
        self.scope = (!resources.is_empty() || !resource_types.is_empty()).then(|| {
            Box::new(ActionScope {
                resources,
                resource_types,
            })
        });
    }

    /// Resource ARN patterns the rule is scoped to; empty means `*`. Filled where the catalog
    /// says the action carries request tags only for some resource types (EC2 `RunInstances`).
    pub fn resources(&self) -> &[String] {
        self.scope.as_ref().map_or(&[], |s| &s.resources)
    }

    /// The resource types (`instance`) whose ARNs [`Action::resources`] holds; empty with it.
    pub fn resource_types(&self) -> &[String] {
        self.scope.as_ref().map_or(&[], |s| &s.resource_types)
    }
}

impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut s = serializer.serialize_struct("Action", 3)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("resources", self.resources())?;
        s.serialize_field("resource_types", self.resource_types())?;
        s.end()
    }
}

/// A checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The policy's name (used in artifact names and paths).
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// `require` rules.
    pub requires: Vec<Require>,
    /// `only-declared-keys` rules.
    pub only_declared: Vec<OnlyDeclared>,
    /// `protect` rules.
    pub protects: Vec<Protect>,
    /// `forbid` rules.
    pub forbids: Vec<Forbid>,
    /// `exempt` principal ARN patterns.
    pub exempt: Vec<String>,
    /// `enforce K for T` pairs, resolved per key.
    pub enforce: Vec<ResourceRule>,
    /// `report K for T` pairs, resolved per key.
    pub report: Vec<ResourceRule>,
    /// Where the policy is attached.
    pub targets: Vec<Target>,
    /// Whether `iam-policy.json` also carries the Allow ("grant") form.
    pub grant: bool,
    /// Per tagging action that the required creates' API operations also authorize when they
    /// carry tags (from the catalog): the Allow form must grant it too.
    pub tagging_on_create: Vec<TaggingOnCreate>,
    /// How every action pattern was expanded, for `--explain` and the manifest.
    pub expansions: Vec<Expansion>,
    /// Where it was declared.
    pub loc: Loc,
    /// Where its name is.
    pub name_loc: Option<Loc>,
    /// For a part of a policy (the rules a policy places elsewhere with `at`), the name of the
    /// declared policy it comes from; `None` for a policy as declared.
    pub part_of: Option<String>,
}

impl Target {
    /// Whether a policy attached here applies to a request made from `scope`: the root applies
    /// everywhere, an OU path to itself and the OUs below it, an id to itself.
    pub fn applies_to(&self, scope: &Self) -> bool {
        match (self, scope) {
            (Self::Root, _) => true,
            (Self::OuPath(p), Self::OuPath(s)) => {
                s == p
                    || s.strip_prefix(p.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            }
            (a, b) => a == b,
        }
    }
}

impl Project {
    /// The project as seen from `scope`: only the policies attached at or above it.
    #[must_use]
    pub fn scoped(&self, scope: &Target) -> Self {
        let mut p = self.clone();
        p.policies
            .retain(|policy| policy.targets.iter().any(|t| t.applies_to(scope)));
        p.placements = Placement::of(&p.policies);
        p
    }
}

impl Policy {
    /// The tag keys its tag policy holds, in first-named order: those its `require`,
    /// `protect`, `enforce` and `report` rules name.
    pub fn tag_policy_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        let named = self
            .requires
            .iter()
            .flat_map(|r| &r.keys)
            .chain(self.protects.iter().flat_map(|p| &p.keys))
            .chain(self.enforce.iter().chain(&self.report).map(|r| &r.key));
        for k in named {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
        keys
    }

    /// Give back the room its lists grew into while it was checked: a project holds every
    /// policy until its build ends, and most lists hold one to three rules.
    pub fn shrink_to_fit(&mut self) {
        self.requires.shrink_to_fit();
        self.only_declared.shrink_to_fit();
        self.protects.shrink_to_fit();
        self.forbids.shrink_to_fit();
        self.exempt.shrink_to_fit();
        self.enforce.shrink_to_fit();
        self.report.shrink_to_fit();
        self.targets.shrink_to_fit();
        self.tagging_on_create.shrink_to_fit();
        for t in &mut self.tagging_on_create {
            t.creates.shrink_to_fit();
        }
        self.expansions.shrink_to_fit();
    }

    /// Every key this policy's `require` rules ask of `action`, in first-seen order: the
    /// grant form allows the action only when all of them are satisfied.
    pub fn required_keys(&self, action: &Action) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        // A conditional requirement (`when`) is not one the grant form's Allow carries.
        for r in self
            .requires
            .iter()
            .filter(|r| r.when.is_none() && r.actions.contains(action))
        {
            for k in &r.keys {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        keys
    }

    /// The principal ARN patterns a rule with `except` spares: the policy's `exempt` and the
    /// rule's own, each once.
    pub fn exemption(&self, except: &[String]) -> Vec<String> {
        let mut all = self.exempt.clone();
        for e in except {
            if !all.contains(e) {
                all.push(e.clone());
            }
        }
        all
    }

    /// Whether `principal` is spared a rule with `except`: it matches the policy's `exempt` or
    /// the rule's own (`ArnLike` matching: `*` and `?`, case-sensitively).
    pub fn exempts(&self, except: &[String], principal: &str) -> bool {
        self.exempt
            .iter()
            .chain(except)
            .any(|pattern| wildcard_match(pattern, principal, false))
    }

    /// Where the policy's name is, for diagnostics about the whole policy.
    pub fn name_loc(&self) -> Loc {
        self.name_loc.clone().unwrap_or_else(|| self.loc.clone())
    }
}

/// `require KEYS on ACTIONS [when KEY = VALUES]`.
#[derive(Debug, Clone)]
pub struct Require {
    /// Required tag keys, in declared casing.
    pub keys: Vec<String>,
    /// The expanded actions.
    pub actions: Vec<Action>,
    /// `when`: the keys are required only when the request sets this tag to one of these
    /// values; `None` means always. Boxed: most requirements have none.
    pub when: Option<Box<ValueMatch>>,
    /// `except`: principal ARN patterns this rule alone spares, besides the policy's `exempt`.
    pub except: Vec<String>,
}

/// A tag of the request set to one of some value patterns: what `when` and `forbid` test.
///
/// The key is compared ignoring case, as IAM compares the tag-key part of
/// `aws:RequestTag/KEY` ("the tag key part … is not case sensitive",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requesttag>);
/// the values case-sensitively, with `*` (any run of characters) and `?` (one character), as
/// `StringLike` does
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueMatch {
    /// The declared tag, in its declared casing.
    pub key: String,
    /// The value patterns.
    pub values: Vec<String>,
}

impl ValueMatch {
    /// Whether a request that sets `tags` sets this tag to one of the values.
    pub fn matches(&self, tags: &[(String, String)]) -> bool {
        tags.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case(&self.key)
                && self.values.iter().any(|p| wildcard_match(p, v, false))
        })
    }
}

/// `forbid KEY = VALUES on ACTIONS`: the actions are denied when the request sets KEY to one
/// of the values.
#[derive(Debug, Clone)]
pub struct Forbid {
    /// The tag and the forbidden values.
    pub test: ValueMatch,
    /// The expanded actions: those written, and, for a create, the tagging actions through
    /// which the same value could be set afterwards (see the check stage).
    pub actions: Vec<Action>,
    /// `except`: principal ARN patterns this rule alone spares, besides the policy's `exempt`.
    pub except: Vec<String>,
}

/// `only-declared-keys on ACTIONS`.
#[derive(Debug, Clone)]
pub struct OnlyDeclared {
    /// The expanded actions.
    pub actions: Vec<Action>,
    /// `except`: principal ARN patterns this rule alone spares, besides the policy's `exempt`.
    pub except: Vec<String>,
}

/// `protect KEYS`: the keys, and the tagging actions through which they could be changed.
#[derive(Debug, Clone)]
pub struct Protect {
    /// Protected tag keys.
    pub keys: Vec<String>,
    /// The standalone tagging actions to deny (`sagemaker:AddTags`, `sagemaker:DeleteTags`, …).
    pub actions: Vec<Action>,
    /// Condition keys that are present only when tagging runs as part of a create
    /// (`sagemaker:TaggingAction`, `ec2:CreateAction`); a deny scoped with `Null: true` on them
    /// leaves tag-on-create working.
    pub create_context_keys: Vec<String>,
    /// `except`: principal ARN patterns this rule alone spares, besides the policy's `exempt`.
    pub except: Vec<String>,
}

/// A tagging action as a tagged create also authorizes it (`sagemaker:AddTags` during
/// `sagemaker:CreateTrainingJob`, `lambda:TagResource` during `lambda:CreateFunction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggingOnCreate {
    /// `service:TaggingAction`.
    pub tagging_action: ActionName,
    /// The key naming the create in whose context tagging runs (`sagemaker:TaggingAction`);
    /// `None` where the service has none (`lambda`), so that tagging during a create cannot be
    /// told from a standalone call.
    pub context_key: Option<String>,
    /// The required creates (names, without prefix) whose operation authorizes the tagging
    /// action, as the context key's values.
    pub creates: Vec<String>,
}

/// One tag key and the tag-policy resource types it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRule {
    /// The tag key.
    pub key: String,
    /// Resource types such as `sagemaker:training-job` or `s3:ALL_SUPPORTED`.
    pub resource_types: Vec<ResourceType>,
}

/// How one action pattern of a rule was expanded.
///
/// A project keeps every rule's expansions (for `--explain` and the editor's hover), and most
/// patterns are exact action names, written as AWS spells them, that became themselves: such an
/// expansion is that name alone, and anything else (a wildcard, another casing, a pattern that
/// left actions out, a `protect`'s services) is boxed with its pattern and lists. Either is 16
/// bytes in a policy's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expansion {
    /// The pattern is this action's name as AWS spells it, and became it alone.
    Itself(RuleKind, ActionName),
    /// Any other pattern.
    Matched(Box<Matched>),
}

/// An [`Expansion`] other than an action name that became itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    rule: RuleKind,
    pattern: String,
    actions: Vec<ActionName>,
    left_out: Vec<ActionName>,
}

impl Expansion {
    /// `pattern`, written in a rule of kind `rule`, became `actions`; `left_out` are the
    /// tagging-only actions it matched and left out (`require` only).
    pub fn new(
        rule: RuleKind,
        pattern: String,
        actions: Vec<ActionName>,
        left_out: Vec<ActionName>,
    ) -> Self {
        match actions.as_slice() {
            [only] if left_out.is_empty() && *only.shared.text == *pattern => {
                Self::Itself(rule, only.clone())
            }
            _ => Self::Matched(Box::new(Matched {
                rule,
                pattern,
                actions,
                left_out,
            })),
        }
    }

    /// The rule kind: `require`, `only-declared-keys`, `protect` or `forbid`.
    pub fn rule(&self) -> RuleKind {
        match self {
            Self::Itself(rule, _) => *rule,
            Self::Matched(m) => m.rule,
        }
    }

    /// The pattern as written.
    pub fn pattern(&self) -> &str {
        match self {
            Self::Itself(_, name) => &name.shared.text,
            Self::Matched(m) => &m.pattern,
        }
    }

    /// The actions it became.
    pub fn actions(&self) -> &[ActionName] {
        match self {
            Self::Itself(_, name) => std::slice::from_ref(name),
            Self::Matched(m) => &m.actions,
        }
    }

    /// Tagging-only actions the pattern matched and left out (`require` only): named
    /// exactly, they would be kept.
    pub fn left_out(&self) -> &[ActionName] {
        match self {
            Self::Itself(..) => &[],
            Self::Matched(m) => &m.left_out,
        }
    }
}

impl Serialize for Expansion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let left_out = self.left_out();
        let mut s =
            serializer.serialize_struct("Expansion", 3 + usize::from(!left_out.is_empty()))?;
        s.serialize_field("rule", &self.rule())?;
        s.serialize_field("pattern", self.pattern())?;
        s.serialize_field("actions", self.actions())?;
        if !left_out.is_empty() {
            s.serialize_field("left_out", left_out)?;
        }
        s.end()
    }
}

/// Where a policy is attached in the organization.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "kebab-case")]
pub enum Target {
    /// The organization root.
    Root,
    /// An OU by path from the root, such as `Root/Workloads/ML`.
    OuPath(String),
    /// An OU by id (`ou-…`).
    OuId(String),
    /// An account by its 12-digit id.
    Account(String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Root => f.write_str("root"),
            Self::OuPath(p) => write!(f, "ou {p}"),
            Self::OuId(id) => write!(f, "ou {id}"),
            Self::Account(id) => write!(f, "account {id}"),
        }
    }
}

/// A `test` block.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// The test's name.
    pub name: String,
    /// The request it makes.
    pub request: Request,
    /// The expected decision.
    pub expect: Decision,
    /// The layer it is about; `None` checks every layer the request concerns.
    pub layer: Option<Layer>,
    /// Where in the organization the request is made; `None` means under every policy.
    pub from: Option<Target>,
    /// Where it was declared.
    pub loc: Loc,
}

/// A request, as the reference semantics sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// The calling principal's ARN.
    pub principal: String,
    /// The action.
    pub action: ActionName,
    /// The tags the request sets, in the caller's casing. For a removing action (such as
    /// `sagemaker:DeleteTags`) the values are empty and the keys are the ones removed.
    pub tags: Vec<(String, String)>,
    /// For a tagging action: whether it runs as part of a create (`Some("CreateTrainingJob")`
    /// names the create); `None` for a standalone call or a non-tagging action.
    pub on_create: Option<String>,
    /// The resource ARN, when the test names one.
    pub resource: Option<String>,
}

impl Request {
    /// Whether the action removes tags: its request names the keys removed and sets no value.
    pub fn removes_tags(&self) -> bool {
        removes_tags(&self.action)
    }

    /// `service:type` of the request's resource ARN, as tag policies name resource types
    /// (`arn:aws:sagemaker:…:training-job/x` → `sagemaker:training-job`); `None` without a
    /// resource or for a string that is not an ARN.
    pub fn resource_type(&self) -> Option<ResourceType> {
        let parts: Vec<&str> = self.resource.as_ref()?.splitn(6, ':').collect();
        let service = *parts.get(2)?;
        let resource = *parts.get(5)?;
        // A few services name the resource with no type segment: the ARN *is* the bucket,
        // queue or topic
        // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>).
        let untyped = match service {
            "s3" if !resource.contains('/') => Some("bucket"),
            "sqs" => Some("queue"),
            "sns" if !resource.contains(':') => Some("topic"),
            _ => None,
        };
        if let Some(ty) = untyped {
            return Some(ResourceType::new(service, ty));
        }
        let ty = resource.split(['/', ':']).next()?;
        (!ty.is_empty()).then(|| ResourceType::new(service, ty))
    }
}

/// Whether `service:Action` removes tags (`DeleteTags`, `UntagResource`,
/// `RemoveTagsFromResource`, …): AWS names its tag-removing actions so, and their requests
/// carry `aws:TagKeys` but set no tag value, so tag policies do not check them.
pub fn removes_tags(action: &ActionName) -> bool {
    let name = action.action().to_ascii_lowercase();
    name.starts_with("untag")
        || ((name.starts_with("delete") || name.starts_with("remove")) && name.contains("tag"))
}

/// Whether `service:Action` replaces the resource's whole tag set: AWS names its
/// replace-semantics tagging APIs `Put…Tagging` — `PutJobTagging` "replaces the tag set"
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutJobTagging.html>), as do
/// `PutStorageLensConfigurationTagging`
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutStorageLensConfigurationTagging.html>),
/// `PutBucketTagging` and `PutObjectTagging`. Such a call removes every key its new set does
/// not contain.
pub fn replaces_tags(action: &ActionName) -> bool {
    let name = action.action().to_ascii_lowercase();
    name.starts_with("put") && name.ends_with("tagging")
}

/// Whether a tag-policy resource-type list (`enforced_for`, `report_required_tag_for`, or the
/// `for` list of an `enforce` or `report` rule) covers `resource_type` (`service:type`): listed
/// exactly, or through `service:ALL_SUPPORTED` or its older spelling `service:*`
/// (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html>).
///
/// The compiler's one answer to the question; the evaluator crate has its own, independent one.
pub fn type_covered(list: &[ResourceType], resource_type: &ResourceType) -> bool {
    list.iter().any(|entry| {
        if entry.is_whole_service() {
            entry.service() == resource_type.service()
        } else {
            entry == resource_type
        }
    })
}

/// The principal tests use when they name none.
pub const DEFAULT_PRINCIPAL: &str = "arn:aws:iam::111122223333:role/developer";

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The request may proceed (as far as this layer is concerned).
    Allow,
    /// The request is refused.
    Deny,
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        })
    }
}

/// The enforcement layers tagc emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// The service control policy.
    Scp,
    /// The IAM identity policy (guardrail form).
    Iam,
    /// The Organizations tag policy.
    TagPolicy,
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Scp => "scp",
            Self::Iam => "iam",
            Self::TagPolicy => "tag-policy",
        })
    }
}

/// IAM's `StringLike` matching: `*` any run, `?` any one character.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let fold = |s: &str| -> Vec<char> {
        if ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, t) = (fold(pattern), fold(text));
    // Iterative matcher with one backtrack point: linear in practice, no recursion.
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::{
        ActionName, NameError, Placement, Policy, Request, ResourceType, RuleKind, Target,
        removes_tags, replaces_tags, type_covered, wildcard_match,
    };

    #[test]
    fn test_an_exact_name_expansion_is_the_name_alone_and_reads_as_written() {
        use super::Expansion;
        let name = ActionName::new("sqs", "CreateQueue");
        let exact = Expansion::new(
            RuleKind::Require,
            "sqs:CreateQueue".to_owned(),
            vec![name.clone()],
            Vec::new(),
        );
        assert!(matches!(exact, Expansion::Itself(RuleKind::Require, _)));
        assert_eq!(exact.rule(), RuleKind::Require);
        assert_eq!(exact.pattern(), "sqs:CreateQueue");
        assert_eq!(exact.actions(), std::slice::from_ref(&name));
        assert!(exact.left_out().is_empty());
        // Written in another casing, the pattern is kept as written.
        let cased = Expansion::new(
            RuleKind::Require,
            "sqs:createqueue".to_owned(),
            vec![name.clone()],
            Vec::new(),
        );
        assert!(matches!(cased, Expansion::Matched(_)));
        assert_eq!(cased.pattern(), "sqs:createqueue");
        assert_eq!(cased.actions(), std::slice::from_ref(&name));
        // A pattern that left tagging-only actions out keeps them.
        let tagging = ActionName::new("ec2", "CreateTags");
        let wild = Expansion::new(
            RuleKind::Require,
            "ec2:CreateT*".to_owned(),
            vec![ActionName::new("ec2", "CreateTrafficMirrorTarget")],
            vec![tagging.clone()],
        );
        assert_eq!(wild.left_out(), [tagging]);
        assert_eq!(
            serde_json::to_value(&exact).ok(),
            Some(serde_json::json!({
                "rule": "require", "pattern": "sqs:CreateQueue", "actions": ["sqs:CreateQueue"]
            }))
        );
        // What every rule's expansions cost the project: two words each.
        assert_eq!(std::mem::size_of::<Expansion>(), 16);
    }

    #[test]
    fn test_tag_policy_pattern_widens_question_marks_to_one_star() {
        use super::tag_policy_pattern;
        assert_eq!(tag_policy_pattern("CC-????"), "CC-*");
        assert_eq!(tag_policy_pattern("CC-?*"), "CC-*");
        assert_eq!(tag_policy_pattern("a?b?c"), "a*c");
        assert_eq!(tag_policy_pattern("?"), "*");
        // No `?`: as written, `*` and all.
        assert_eq!(tag_policy_pattern("CC-*"), "CC-*");
        assert_eq!(tag_policy_pattern("prod"), "prod");
        // The widened pattern admits every value the exact one does.
        for (p, v) in [("a?b?c", "axbyc"), ("CC-????", "CC-1234"), ("x?", "xy")] {
            assert!(wildcard_match(p, v, false));
            assert!(wildcard_match(&tag_policy_pattern(p), v, false));
        }
    }

    #[test]
    fn test_value_match_ignores_key_case_and_not_value_case() {
        let m = super::ValueMatch {
            key: "environment".into(),
            values: vec!["prod".into(), "t?st".into()],
        };
        let tags = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
        assert!(m.matches(&tags("Environment", "prod")));
        assert!(m.matches(&tags("environment", "test")));
        assert!(!m.matches(&tags("environment", "Prod")));
        assert!(!m.matches(&tags("environment", "tst")));
        assert!(!m.matches(&tags("owner", "prod")));
    }

    #[test]
    fn test_rule_kind_all_lists_every_kind_once_and_serializes_as_its_word() {
        // The match breaks the build when a kind is added, and the assertion when `ALL` is not
        // updated with it.
        let position = |k: RuleKind| match k {
            RuleKind::Description => 0,
            RuleKind::Require => 1,
            RuleKind::OnlyDeclaredKeys => 2,
            RuleKind::Enforce => 3,
            RuleKind::Report => 4,
            RuleKind::Protect => 5,
            RuleKind::Forbid => 6,
            RuleKind::Exempt => 7,
            RuleKind::Attach => 8,
            RuleKind::Grant => 9,
        };
        for (i, k) in RuleKind::ALL.into_iter().enumerate() {
            assert_eq!(position(k), i, "{k}");
            assert_eq!(
                serde_json::to_value(k).expect("serializes"),
                serde_json::json!(k.word())
            );
        }
        assert_eq!(RuleKind::OnlyDeclaredKeys.to_string(), "only-declared-keys");
    }

    fn policy(name: &str, targets: Vec<Target>) -> Policy {
        Policy {
            name: name.to_owned(),
            description: None,
            requires: Vec::new(),
            only_declared: Vec::new(),
            protects: Vec::new(),
            forbids: Vec::new(),
            exempt: Vec::new(),
            enforce: Vec::new(),
            report: Vec::new(),
            targets,
            grant: false,
            tagging_on_create: Vec::new(),
            expansions: Vec::new(),
            loc: crate::source::Loc::new(
                crate::source::SourceFile::new("t.tags", ""),
                crate::source::Span::new(0, 0),
            ),
            name_loc: None,
            part_of: None,
        }
    }

    #[test]
    fn test_placements_group_policies_by_the_exact_set_of_targets() {
        let ml = Target::OuPath("Root/ML".into());
        let policies = [
            policy("a", vec![Target::Root, ml.clone()]),
            policy("b", vec![ml.clone()]),
            policy("c", vec![ml.clone(), Target::Root]),
            policy("d", vec![Target::Root]),
        ];
        let placements = Placement::of(&policies);
        let groups: Vec<(Vec<Target>, Vec<String>)> = placements
            .into_iter()
            .map(|p| (p.targets, p.policies))
            .collect();
        assert_eq!(
            groups,
            [
                (vec![Target::Root, ml.clone()], vec!["a".into(), "c".into()]),
                (vec![ml], vec!["b".into()]),
                (vec![Target::Root], vec!["d".into()]),
            ]
        );
    }

    fn action(text: &str) -> ActionName {
        text.parse()
            .unwrap_or_else(|e| panic!("`{text}` is an action name: {e}"))
    }

    fn rt(text: &str) -> ResourceType {
        text.parse()
            .unwrap_or_else(|e| panic!("`{text}` is a resource type: {e}"))
    }

    #[test]
    fn test_action_names_compare_ignoring_case_and_display_as_written() {
        let a = action("sagemaker:CreateTrainingJob");
        let b = action("sagemaker:createtrainingjob");
        assert_eq!(a, b);
        assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
        let set: std::collections::BTreeSet<ActionName> = [a.clone(), b.clone()].into();
        assert_eq!(set.len(), 1);
        let hashed: std::collections::HashSet<ActionName> = [a.clone(), b].into();
        assert_eq!(hashed.len(), 1);
        assert_eq!(a.to_string(), "sagemaker:CreateTrainingJob");
        assert_eq!(
            (a.service(), a.action()),
            ("sagemaker", "CreateTrainingJob")
        );
        assert_ne!(a, action("sagemaker:CreateProcessingJob"));
        assert_ne!(action("ec2:CreateTags"), action("ec2c:reateTags"));
        assert!(action("ec2:A") < action("ec2:b"));
    }

    #[test]
    fn test_names_of_the_same_text_share_one_copy_and_keep_their_casing() {
        let a = ActionName::new("sagemaker", "CreateTrainingJob");
        let b = action("sagemaker:CreateTrainingJob");
        assert!(std::sync::Arc::ptr_eq(&a.shared, &b.shared));
        // Another casing is the same action, but written as given: its own text.
        let c = action("sagemaker:createtrainingjob");
        assert_eq!(a, c);
        assert!(!std::sync::Arc::ptr_eq(&a.shared, &c.shared));
        assert_eq!(
            (c.to_string(), c.service(), c.action()),
            (
                "sagemaker:createtrainingjob".to_owned(),
                "sagemaker",
                "createtrainingjob"
            )
        );
    }

    #[test]
    fn test_malformed_action_names_and_resource_types_are_coded_errors() {
        for text in [
            "CreateTrainingJob",
            "sagemaker:",
            ":Create",
            "SageMaker:Create",
            "s3:Get*",
            "a:b:c",
        ] {
            assert_eq!(
                text.parse::<ActionName>().err(),
                Some(NameError::Action(text.to_owned())),
                "{text}"
            );
        }
        for text in ["training-job", "sagemaker:", ":bucket", "a:b:c"] {
            assert_eq!(
                text.parse::<ResourceType>().err(),
                Some(NameError::ResourceType(text.to_owned())),
                "{text}"
            );
        }
        let code = |e: NameError| miette::Diagnostic::code(&e).map(|c| c.to_string());
        assert_eq!(
            code(NameError::Action(String::new())).as_deref(),
            Some("tagc::model::malformed-action-name")
        );
        assert_eq!(
            code(NameError::ResourceType(String::new())).as_deref(),
            Some("tagc::model::malformed-resource-type-name")
        );
        assert_eq!(rt("s3:ALL_SUPPORTED").to_string(), "s3:ALL_SUPPORTED");
        assert!(rt("s3:*").is_whole_service());
        assert!(!rt("s3:bucket").is_whole_service());
    }

    #[test]
    fn test_type_covered_by_exact_types_and_service_wildcards() {
        let list = |items: &[&str]| items.iter().map(|s| rt(s)).collect::<Vec<_>>();
        let sagemaker = list(&["sagemaker:training-job"]);
        assert!(type_covered(&sagemaker, &rt("sagemaker:training-job")));
        assert!(!type_covered(&sagemaker, &rt("sagemaker:processing-job")));
        for wildcard in ["s3:ALL_SUPPORTED", "s3:*"] {
            let s3 = list(&[wildcard]);
            assert!(type_covered(&s3, &rt("s3:bucket")), "{wildcard}");
            assert!(!type_covered(&s3, &rt("sqs:queue")), "{wildcard}");
        }
        // The check stage refuses `sagemaker:*` (SageMaker has no `ALL_SUPPORTED`); were it
        // listed, it would cover the service's types like any other service wildcard.
        assert!(type_covered(
            &list(&["sagemaker:*"]),
            &rt("sagemaker:training-job")
        ));
        assert!(!type_covered(&list(&["sagemaker:*"]), &rt("s3:bucket")));
        assert!(!type_covered(&[], &rt("s3:bucket")));
    }

    fn resource_type(arn: &str) -> Option<String> {
        Request {
            principal: String::new(),
            action: action("s3:GetObject"),
            tags: Vec::new(),
            on_create: None,
            resource: Some(arn.to_owned()),
        }
        .resource_type()
        .map(|t| t.to_string())
    }

    #[test]
    fn test_resource_type_from_arns_with_and_without_type_segments() {
        for (arn, ty) in [
            (
                "arn:aws:sagemaker:us-east-1:1:training-job/x",
                "sagemaker:training-job",
            ),
            ("arn:aws:ec2:us-east-1:1:instance/i-1", "ec2:instance"),
            ("arn:aws:lambda:us-east-1:1:function:f", "lambda:function"),
            ("arn:aws:s3:::my-bucket", "s3:bucket"),
            ("arn:aws:sqs:us-east-1:1:my-queue", "sqs:queue"),
            ("arn:aws:sns:us-east-1:1:my-topic", "sns:topic"),
        ] {
            assert_eq!(resource_type(arn).as_deref(), Some(ty), "{arn}");
        }
        assert_eq!(resource_type("not an arn"), None);
    }

    #[test]
    fn test_removes_tags_by_action_name() {
        for name in [
            "sagemaker:DeleteTags",
            "lambda:UntagResource",
            "rds:RemoveTagsFromResource",
        ] {
            assert!(removes_tags(&self::action(name)), "{name}");
        }
        for name in ["sagemaker:AddTags", "lambda:TagResource", "s3:DeleteBucket"] {
            assert!(!removes_tags(&self::action(name)), "{name}");
        }
    }

    #[test]
    fn test_replaces_tags_by_action_name() {
        for name in [
            "s3:PutJobTagging",
            "s3:PutBucketTagging",
            "s3:putobjecttagging",
        ] {
            assert!(replaces_tags(&self::action(name)), "{name}");
        }
        for name in [
            "s3:TagResource",
            "s3:DeleteJobTagging",
            "s3:GetJobTagging",
            "s3:PutBucketPolicy",
        ] {
            assert!(!replaces_tags(&self::action(name)), "{name}");
        }
    }

    /// What the rule selects among the built-in catalog's tagging actions that `protect` can
    /// guard (their requests carry `aws:TagKeys`): a catalog update that adds one is noticed.
    #[test]
    fn test_replace_all_actions_protect_can_guard_in_the_builtin_catalog() {
        let catalog = crate::catalog::Catalog::builtin();
        let mut selected = Vec::new();
        for svc in catalog.services.values() {
            for name in &svc.tagging_actions {
                let full = ActionName::new(&svc.prefix, name);
                let guarded = svc.action(name).is_some_and(|i| i.tag_keys.any());
                if guarded && replaces_tags(&full) {
                    selected.push(full.to_string());
                }
            }
        }
        selected.sort();
        assert_eq!(
            selected,
            ["s3:PutJobTagging", "s3:PutStorageLensConfigurationTagging"]
        );
    }

    #[test]
    fn test_wildcard_match() {
        assert!(wildcard_match("CC-*", "CC-1", false));
        assert!(!wildcard_match("CC-*", "cc-1", false));
        assert!(wildcard_match("CC-*", "cc-1", true));
        assert!(wildcard_match("a?c", "abc", false));
        assert!(!wildcard_match("a?c", "ac", false));
        assert!(wildcard_match("*", "", false));
        assert!(wildcard_match(
            "arn:aws:iam::*:role/TagAdmin",
            "arn:aws:iam::1:role/TagAdmin",
            false
        ));
        assert!(!wildcard_match("x*y", "xay!", false));
    }
}
