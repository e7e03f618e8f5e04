//! The syntax tree: what the user wrote, with a [`Loc`] on every node.
//!
//! Built by [`crate::syntax`], read by [`crate::check`]. Nothing here is validated beyond the
//! grammar: names are unresolved and tokens such as action patterns are kept as written.

use crate::model::RuleKind;
use crate::source::Loc;

/// A token as written, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub loc: Loc,
}

/// A name or string as written.
pub type Text = Spanned<String>;

/// One parsed `.tags` file.
#[derive(Debug, Clone, Default)]
pub struct File {
    /// Top-level items in order.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "a handful of items per file, built once; boxing would only add noise"
)]
pub enum Item {
    /// `tag NAME { … }`
    Tag(TagDecl),
    /// `policy NAME { … }`
    Policy(PolicyDecl),
    /// `test "NAME" { … }`
    Test(TestDecl),
    /// `organization { … }`
    Organization(OrgDecl),
    /// `set KIND NAME { … }`
    Set(SetDecl),
}

/// `tag NAME { values …  exact-case  description "…" }`
#[derive(Debug, Clone)]
pub struct TagDecl {
    /// The tag key.
    pub name: Text,
    /// Each `values` statement's strings.
    pub values: Vec<Spanned<Vec<Text>>>,
    /// `exact-case` statements.
    pub exact_case: Vec<Loc>,
    /// `description` statements.
    pub descriptions: Vec<Text>,
    /// The whole declaration.
    pub loc: Loc,
}

/// `policy NAME { … }`
#[derive(Debug, Clone)]
pub struct PolicyDecl {
    /// The policy name.
    pub name: Text,
    /// Statements in order.
    pub stmts: Vec<PolicyStmt>,
    /// The whole declaration.
    pub loc: Loc,
}

/// One statement of a policy.
#[derive(Debug, Clone)]
pub enum PolicyStmt {
    /// `description "…"`
    Description(Text),
    /// `require KEYS on ACTIONS [for TYPES]`
    Require {
        /// Tag references.
        keys: Vec<Text>,
        /// Action patterns.
        actions: Vec<Text>,
        /// `for`: the resource types (`ec2:instance`) that must carry the tags; empty when
        /// not given.
        types: Vec<Text>,
        /// `at` and `except`.
        scope: RuleScope,
        /// `when KEY = VALUES`: the keys are required only when the request sets KEY to one
        /// of the values.
        when: Option<ValueTest>,
        /// The statement.
        loc: Loc,
    },
    /// `only-declared-keys on ACTIONS`
    OnlyDeclared {
        /// Action patterns.
        actions: Vec<Text>,
        /// `at` and `except`.
        scope: RuleScope,
        /// The statement.
        loc: Loc,
    },
    /// `protect KEYS [on SERVICES]`
    Protect {
        /// Tag references.
        keys: Vec<Text>,
        /// Services, when given.
        services: Vec<Text>,
        /// `at` and `except`.
        scope: RuleScope,
        /// The statement.
        loc: Loc,
    },
    /// `exempt "ARN", …` (with `$name` references, see [`set_ref`])
    Exempt(Vec<Text>),
    /// `enforce KEYS for TYPES`
    Enforce {
        /// Tag references.
        keys: Vec<Text>,
        /// Tag-policy resource types.
        types: Vec<Text>,
        /// `at`, and an `except`, which check refuses on a tag-policy rule.
        scope: RuleScope,
        /// The statement.
        loc: Loc,
    },
    /// `report KEYS for TYPES`
    Report {
        /// Tag references.
        keys: Vec<Text>,
        /// Tag-policy resource types.
        types: Vec<Text>,
        /// `at`, and an `except`, which check refuses on a tag-policy rule.
        scope: RuleScope,
        /// The statement.
        loc: Loc,
    },
    /// `attach to TARGET, …`
    Attach(Vec<TargetRef>),
    /// `grant`
    Grant(Loc),
    /// `forbid KEY = VALUES on ACTIONS`
    Forbid {
        /// The tag and the forbidden value patterns.
        test: ValueTest,
        /// Action patterns.
        actions: Vec<Text>,
        /// `at` and `except`.
        scope: RuleScope,
        /// The statement.
        loc: Loc,
    },
}

/// `KEY = "v", …`: a tag and value patterns, as `when` and `forbid` write them.
#[derive(Debug, Clone)]
pub struct ValueTest {
    /// Tag reference.
    pub key: Text,
    /// Value patterns (`*` any run of characters, `?` one character).
    pub values: Vec<Text>,
    /// The whole test, from the key to the last value (with `when` for a `when` clause).
    pub loc: Loc,
}

impl PolicyStmt {
    /// The kind of rule the statement is.
    pub const fn kind(&self) -> RuleKind {
        match self {
            Self::Description(_) => RuleKind::Description,
            Self::Require { .. } => RuleKind::Require,
            Self::OnlyDeclared { .. } => RuleKind::OnlyDeclaredKeys,
            Self::Protect { .. } => RuleKind::Protect,
            Self::Exempt(_) => RuleKind::Exempt,
            Self::Enforce { .. } => RuleKind::Enforce,
            Self::Report { .. } => RuleKind::Report,
            Self::Attach(_) => RuleKind::Attach,
            Self::Grant(_) => RuleKind::Grant,
            Self::Forbid { .. } => RuleKind::Forbid,
        }
    }

    /// The `at` and `except` clauses of a rule that enforces something; `None` for the other
    /// statements, which take neither.
    pub const fn scope(&self) -> Option<&RuleScope> {
        match self {
            Self::Require { scope, .. }
            | Self::OnlyDeclared { scope, .. }
            | Self::Protect { scope, .. }
            | Self::Enforce { scope, .. }
            | Self::Report { scope, .. }
            | Self::Forbid { scope, .. } => Some(scope),
            Self::Description(_) | Self::Exempt(_) | Self::Attach(_) | Self::Grant(_) => None,
        }
    }

    /// [`PolicyStmt::scope`], to change.
    pub const fn scope_mut(&mut self) -> Option<&mut RuleScope> {
        match self {
            Self::Require { scope, .. }
            | Self::OnlyDeclared { scope, .. }
            | Self::Protect { scope, .. }
            | Self::Enforce { scope, .. }
            | Self::Report { scope, .. }
            | Self::Forbid { scope, .. } => Some(scope),
            Self::Description(_) | Self::Exempt(_) | Self::Attach(_) | Self::Grant(_) => None,
        }
    }
}

/// The clauses that may end a rule: where it applies and whom it spares.
#[derive(Debug, Clone, Default)]
pub struct RuleScope {
    /// `at TARGET, …`: the rule applies at these targets only; empty when not given.
    pub at: Vec<TargetRef>,
    /// `except "ARN", …`: principals spared by this rule alone; empty when not given.
    pub except: Vec<Text>,
    /// Where the `at` clause is, when given.
    pub at_loc: Option<Loc>,
    /// Where the `except` clause is, when given.
    pub except_loc: Option<Loc>,
}

/// A target as written.
#[derive(Debug, Clone)]
pub enum TargetRef {
    /// `root`
    Root(Loc),
    /// `ou "…"`: a path or an id.
    Ou(Text),
    /// `account "…"`
    Account(Text),
    /// `$name`: the targets of a named set, as [`set_ref`] reads it. Check replaces it with
    /// the set's targets before it reads the list.
    Set(Text),
}

/// The kinds of named set: what a set holds, and so where it may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SetKind {
    /// `targets`: `root`, `ou "…"`, `account "…"` (for `attach to`).
    Targets,
    /// `actions`: action patterns.
    Actions,
    /// `services`: service prefixes (for `protect … on`).
    Services,
    /// `principals`: principal ARN patterns (for `exempt`).
    Principals,
    /// `tags`: tag names.
    Tags,
    /// `resource-types`: resource types (for `for`).
    ResourceTypes,
}

impl SetKind {
    /// Every kind, in the order the language lists them.
    pub const ALL: [Self; 6] = [
        Self::Targets,
        Self::Actions,
        Self::Services,
        Self::Principals,
        Self::Tags,
        Self::ResourceTypes,
    ];

    /// The keyword that names the kind in `set KIND NAME { … }`.
    pub const fn word(self) -> &'static str {
        match self {
            Self::Targets => "targets",
            Self::Actions => "actions",
            Self::Services => "services",
            Self::Principals => "principals",
            Self::Tags => "tags",
            Self::ResourceTypes => "resource-types",
        }
    }
}

/// `set KIND NAME { ELEMENT, … }`: a named list, used as `$NAME` in lists of its kind.
#[derive(Debug, Clone)]
pub struct SetDecl {
    /// What the set holds.
    pub kind: Spanned<SetKind>,
    /// The set's name, without `$`.
    pub name: Text,
    /// The elements of a set of any kind but `targets`, as written (with `$name` references to
    /// other sets, see [`set_ref`]).
    pub elements: Vec<Text>,
    /// The elements of a `targets` set.
    pub targets: Vec<TargetRef>,
    /// The whole declaration.
    pub loc: Loc,
}

impl SetDecl {
    /// Whether the set has no element.
    pub const fn is_empty(&self) -> bool {
        self.elements.is_empty() && self.targets.is_empty()
    }
}

/// The set a list element refers to, when it is a `$name` reference: the name without `$`.
///
/// In the lists of statements (tag names, actions, services, resource types, principals), a
/// reference is kept in place, as the token `$name` at its location, so that the list keeps
/// its order. A reference is told from a quoted string holding a `$` by where it is written:
/// its location starts at the `$` (a string's starts at its quote), and no other token may
/// contain `$`.
pub fn set_ref(text: &Text) -> Option<&str> {
    let written = text.loc.file.text.get(text.loc.span.start..)?;
    if written.starts_with('$') {
        text.value.strip_prefix('$')
    } else {
        None
    }
}

/// `test "NAME" { request … expect … }`
#[derive(Debug, Clone)]
pub struct TestDecl {
    /// The test name.
    pub name: Text,
    /// The action requested.
    pub action: Text,
    /// `tags K="V", …`
    pub tags: Vec<(Text, Text)>,
    /// `by "ARN"`
    pub principal: Option<Text>,
    /// `during ACTION`: the tagging runs as part of this create.
    pub during: Option<Text>,
    /// `resource "ARN"`
    pub resource: Option<Text>,
    /// `from TARGET`: where in the organization the request is made.
    pub from: Option<TargetRef>,
    /// `expect allow|deny`
    pub expect: Spanned<crate::model::Decision>,
    /// `in scp|iam|tag-policy`
    pub layer: Option<Spanned<crate::model::Layer>>,
    /// The whole declaration.
    pub loc: Loc,
}

/// `organization { project "…"  scp-strategy …  limits …  actions … }`
#[derive(Debug, Clone)]
pub struct OrgDecl {
    /// `project` statements: the project's identity in AWS.
    pub project: Vec<Text>,
    /// `scp-strategy` statements.
    pub strategy: Vec<Spanned<crate::model::ScpStrategy>>,
    /// `limits` statements.
    pub limits: Vec<Spanned<crate::model::LimitsProfile>>,
    /// `actions` statements.
    pub actions: Vec<Spanned<crate::model::ActionForm>>,
    /// The whole declaration.
    pub loc: Loc,
}
