//! Check errors and warnings: what the check stage found wrong with the rules.

use miette::Severity;

use crate::diagnostics::located_diagnostic;
use crate::source::Loc;

/// What the check stage found, with its wording. Codes are stable: CI pipelines and
/// `docs/errors.md` refer to them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckErrorKind {
    /// A tag name that no `tag` declares.
    #[error("unknown tag `{0}`")]
    UnknownTag(String),
    /// A tag declared twice.
    #[error("tag `{0}` is declared twice")]
    DuplicateTag(String),
    /// Two tags whose keys differ only in case.
    #[error("tags `{0}` and `{1}` differ only in case")]
    TagCaseConflict(String, String),
    /// A key AWS would not accept.
    #[error("invalid tag key `{key}`: {reason}")]
    InvalidTagKey {
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A value AWS would not accept.
    #[error("invalid tag value `{value}`: {reason}")]
    InvalidTagValue {
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
    /// A value with more than one `*`.
    #[error("value `{0}` has more than one `*`")]
    TooManyWildcards(String),
    /// The same value listed twice.
    #[error("value `{0}` is listed twice")]
    DuplicateValue(String),
    /// A statement that may appear once appears again.
    #[error("`{0}` is given twice")]
    DuplicateStatement(String),
    /// A policy declared twice.
    #[error("policy `{0}` is declared twice")]
    DuplicatePolicy(String),
    /// A policy with no rule.
    #[error("policy `{0}` has no rules")]
    EmptyPolicy(String),
    /// A policy that is not attached anywhere.
    #[error("policy `{0}` is not attached to any target")]
    NoTargets(String),
    /// An action pattern that is not `service:Action`.
    #[error("malformed action pattern `{0}`")]
    MalformedAction(String),
    /// A service prefix the catalog does not know.
    #[error("unknown service `{0}`")]
    UnknownService(String),
    /// An action the catalog does not know.
    #[error("unknown action `{0}`")]
    UnknownAction(String),
    /// A pattern that matches no action.
    #[error("`{0}` matches no action")]
    NoMatchingAction(String),
    /// A tag requirement on an action whose requests never carry tags.
    #[error("`{0}` cannot carry tags at creation")]
    CannotCarryTags(String),
    /// A pattern whose actions all lack the tag keys a rule needs.
    #[error("no action matched by `{0}` can carry tags")]
    PatternCannotCarryTags(String),
    /// An ARN pattern that is not an ARN.
    #[error("invalid ARN `{arn}`: {reason}")]
    InvalidArn {
        /// The text.
        arn: String,
        /// Why.
        reason: String,
    },
    /// A request that sets one tag key twice, in the same or another casing.
    #[error("the request sets tag `{0}` twice")]
    DuplicateRequestTag(String),
    /// A request's resource that is not an ARN tagc can read a resource type from.
    #[error("invalid resource ARN `{arn}`: {reason}")]
    InvalidResource {
        /// The text.
        arn: String,
        /// Why.
        reason: String,
    },
    /// A session ARN where the role ARN is what `aws:PrincipalArn` holds.
    #[error("`{0}` is an assumed-role session ARN")]
    SessionArn(String),
    /// A target that is not a valid root, OU or account.
    #[error("invalid target `{target}`: {reason}")]
    InvalidTarget {
        /// The text.
        target: String,
        /// Why.
        reason: String,
    },
    /// The same target twice in one policy.
    #[error("target `{0}` is listed twice")]
    DuplicateTarget(String),
    /// A resource type that is not `service:type`.
    #[error("malformed resource type `{0}`")]
    MalformedResourceType(String),
    /// A resource type that the tag-policy field does not support.
    #[error("`{resource_type}` is not supported in `{field}`")]
    UnsupportedResourceType {
        /// The type.
        resource_type: String,
        /// `enforced_for` or `report_required_tag_for`.
        field: String,
    },
    /// Two rules that cannot both hold as written.
    #[error("conflicting rules: {0}")]
    ConflictingRules(String),
    /// The same item twice in a list.
    #[error("`{0}` is listed twice")]
    DuplicateInList(String),
    /// `protect` without any service to protect in.
    #[error("`protect` has no service to protect the tags in")]
    ProtectWithoutServices,
    /// A service whose tagging cannot be told apart from tag-on-create.
    #[error("`{0}` has no create-context key: `protect` also blocks tagging during create")]
    NoCreateContextKey(String),
    /// Tagging actions whose requests do not carry the tag keys.
    #[error("{0} do not carry the keys they change, so `protect` cannot guard them")]
    TaggingActionWithoutKeys(String),
    /// A service without tagging actions.
    #[error("service `{0}` has no tagging actions")]
    NoTaggingActions(String),
    /// A test declared twice.
    #[error("test `{0}` is declared twice")]
    DuplicateTest(String),
    /// `during` on a request that is not a tagging action.
    #[error("`during` applies to tagging actions, and `{0}` is not one")]
    DuringOnNonTagging(String),
    /// A request's origin that is not an OU the project names.
    #[error("the project names no OU `{0}`")]
    UnknownOu(String),
    /// A project name that cannot be a tag value in AWS.
    #[error("invalid project name `{value}`: {reason}")]
    InvalidProject {
        /// The name.
        value: String,
        /// Why.
        reason: String,
    },
    /// A grant whose Allow would have to test more exact-case keys than IAM can in one
    /// statement.
    #[error("the grant form cannot require the exact casing of {keys} together on `{action}`")]
    GrantExactCaseLimit {
        /// The action.
        action: String,
        /// The exact-case keys its rules require, quoted and joined.
        keys: String,
    },
    /// A grant on a create whose tagged calls also need a tagging action that no tag
    /// condition can guard.
    #[error(
        "`{create}` with tags also needs `{tagging}`, whose requests carry no `aws:RequestTag`: the grant form cannot allow it with the rules' conditions"
    )]
    GrantTaggingActionWithoutTags {
        /// The required create.
        create: String,
        /// The tagging action its operation also authorizes.
        tagging: String,
    },
    /// `require … for T` with a type whose requests carry no tags in the rule's actions.
    #[error("no action of this rule carries request tags for `{0}`")]
    UntaggedResourceType(String),
    /// `require … for TYPES` naming none of the types an action of the rule tags.
    #[error("`for` names no resource type that `{0}` carries request tags for")]
    NoTypeForAction(String),
}

impl CheckErrorKind {
    /// The stable diagnostic code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::UnknownTag(_) => "tagc::check::unknown-tag",
            Self::DuplicateTag(_) => "tagc::check::duplicate-tag",
            Self::TagCaseConflict(..) => "tagc::check::tag-case-conflict",
            Self::InvalidTagKey { .. } => "tagc::check::invalid-tag-key",
            Self::InvalidTagValue { .. } => "tagc::check::invalid-tag-value",
            Self::TooManyWildcards(_) => "tagc::check::too-many-wildcards",
            Self::DuplicateValue(_) => "tagc::check::duplicate-value",
            Self::DuplicateStatement(_) => "tagc::check::duplicate-statement",
            Self::DuplicatePolicy(_) => "tagc::check::duplicate-policy",
            Self::EmptyPolicy(_) => "tagc::check::empty-policy",
            Self::NoTargets(_) => "tagc::check::no-targets",
            Self::MalformedAction(_) => "tagc::check::malformed-action",
            Self::UnknownService(_) => "tagc::check::unknown-service",
            Self::UnknownAction(_) => "tagc::check::unknown-action",
            Self::NoMatchingAction(_) => "tagc::check::no-matching-action",
            Self::CannotCarryTags(_) => "tagc::check::cannot-carry-tags",
            Self::PatternCannotCarryTags(_) => "tagc::check::pattern-cannot-carry-tags",
            Self::InvalidArn { .. } => "tagc::check::invalid-arn",
            Self::InvalidResource { .. } => "tagc::check::invalid-resource",
            Self::DuplicateRequestTag(_) => "tagc::check::duplicate-request-tag",
            Self::SessionArn(_) => "tagc::check::session-arn",
            Self::InvalidTarget { .. } => "tagc::check::invalid-target",
            Self::DuplicateTarget(_) => "tagc::check::duplicate-target",
            Self::MalformedResourceType(_) => "tagc::check::malformed-resource-type",
            Self::UnsupportedResourceType { .. } => "tagc::check::unsupported-resource-type",
            Self::ConflictingRules(_) => "tagc::check::conflicting-rules",
            Self::DuplicateInList(_) => "tagc::check::duplicate-in-list",
            Self::ProtectWithoutServices => "tagc::check::protect-without-services",
            Self::NoCreateContextKey(_) => "tagc::check::no-create-context-key",
            Self::TaggingActionWithoutKeys(_) => "tagc::check::tagging-action-without-keys",
            Self::NoTaggingActions(_) => "tagc::check::no-tagging-actions",
            Self::DuplicateTest(_) => "tagc::check::duplicate-test",
            Self::DuringOnNonTagging(_) => "tagc::check::during-on-non-tagging",
            Self::UnknownOu(_) => "tagc::check::unknown-ou",
            Self::InvalidProject { .. } => "tagc::check::invalid-project",
            Self::GrantExactCaseLimit { .. } => "tagc::check::grant-exact-case-limit",
            Self::GrantTaggingActionWithoutTags { .. } => {
                "tagc::check::grant-tagging-action-without-tags"
            }
            Self::UntaggedResourceType(_) => "tagc::check::untagged-resource-type",
            Self::NoTypeForAction(_) => "tagc::check::no-type-for-action",
        }
    }

    /// The label at the span.
    pub fn label(&self) -> String {
        match self {
            Self::UnknownTag(_) => "not declared".into(),
            Self::DuplicateTag(_) | Self::DuplicatePolicy(_) | Self::DuplicateTest(_) => {
                "declared again here".into()
            }
            Self::TagCaseConflict(..) => "same key as another tag, ignoring case".into(),
            Self::InvalidTagKey { .. } | Self::InvalidTagValue { .. } => {
                "AWS would reject this".into()
            }
            Self::TooManyWildcards(_) => "one `*` at most".into(),
            Self::DuplicateValue(_)
            | Self::DuplicateStatement(_)
            | Self::DuplicateTarget(_)
            | Self::DuplicateInList(_) => "repeated here".into(),
            Self::EmptyPolicy(_) | Self::NoTargets(_) => "this policy".into(),
            Self::MalformedAction(_) => "not `service:Action`".into(),
            Self::UnknownService(_) => "no such service in the AWS catalog".into(),
            Self::UnknownAction(_) => "no such action in the AWS catalog".into(),
            Self::NoMatchingAction(_) => "matches nothing".into(),
            Self::CannotCarryTags(_) => "requests for this action never carry tags".into(),
            Self::PatternCannotCarryTags(_) => "none of these actions carry tags".into(),
            Self::InvalidArn { .. } => "not an ARN".into(),
            Self::InvalidResource { .. } => "no resource type to evaluate tag policies for".into(),
            Self::DuplicateRequestTag(_) => "set again here".into(),
            Self::SessionArn(_) => "never equals `aws:PrincipalArn`".into(),
            Self::InvalidTarget { .. } => "not a valid target".into(),
            Self::MalformedResourceType(_) => "not `service:type`".into(),
            Self::UnsupportedResourceType { .. } => "not supported here".into(),
            Self::ConflictingRules(_) => "conflicts with another rule".into(),
            Self::ProtectWithoutServices => "which services?".into(),
            Self::NoCreateContextKey(_) => "tag-on-create may be denied".into(),
            Self::TaggingActionWithoutKeys(_) => "not guarded".into(),
            Self::NoTaggingActions(_) => "nothing to protect".into(),
            Self::DuringOnNonTagging(_) => "not a tagging action".into(),
            Self::UnknownOu(_) => {
                "no policy or test names this OU, one above it or one below it".into()
            }
            Self::InvalidProject { .. } => "AWS would reject this tag value".into(),
            Self::GrantExactCaseLimit { .. } | Self::GrantTaggingActionWithoutTags { .. } => {
                "the Allow cannot express this".into()
            }
            Self::UntaggedResourceType(_) => "no request tags for this type".into(),
            Self::NoTypeForAction(_) => "none of its tagged types".into(),
        }
    }

    /// The default help line.
    pub fn help(&self) -> Option<String> {
        Some(match self {
            Self::UnknownTag(name) => format!("declare it: `tag {name}`"),
            Self::DuplicateTag(_) => "a tag is declared once per project (all `.tags` files of a directory)".into(),
            Self::TagCaseConflict(..) => "tag policies treat keys that differ only in case as one key; keep one: its tag policy enforces that casing on enforced resource types, and `exact-case` enforces it on create too".into(),
            Self::InvalidTagKey { .. } => "keys are 1 to 128 characters of letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`".into(),
            Self::InvalidTagValue { .. } => "values are 0 to 256 characters of letters, digits, spaces and `_ . : / = + - @`, with at most one `*`".into(),
            Self::TooManyWildcards(_) => "tag policies allow one `*` per value: `CC-*` is fine, `*-*` is not".into(),
            Self::DuplicateValue(_) | Self::DuplicateInList(_) => "remove the repeat".into(),
            Self::DuplicateStatement(_) => "keep one".into(),
            Self::DuplicatePolicy(_) => "policy names are unique across the project; rename one".into(),
            Self::EmptyPolicy(_) => "add a `require`, `only-declared-keys`, `protect`, `enforce` or `report` rule".into(),
            Self::NoTargets(_) => "add `attach to root`, `attach to ou \"Root/…\"` or `attach to account \"…\"`, or tagc plan and apply will leave it out".into(),
            Self::MalformedAction(_) => "write `service:Action`, such as `sagemaker:CreateTrainingJob` or `sagemaker:Create*`".into(),
            Self::UnknownService(_) | Self::UnknownAction(_) => "names come from AWS's service reference; `tagc catalog info` shows its date".into(),
            Self::NoMatchingAction(_) => "check the spelling; `*` matches any run of characters".into(),
            Self::CannotCarryTags(_) | Self::PatternCannotCarryTags(_) => "a tag requirement here would deny every call".into(),
            Self::InvalidArn { .. } => "write `arn:aws:iam::ACCOUNT:role/NAME`; `*` and `?` may stand for parts".into(),
            Self::DuplicateRequestTag(_) => "a request carries each tag key once; with two keys that differ only in case, AWS does not document which value `aws:RequestTag/KEY` holds, so tagc cannot evaluate it: keep one".into(),
            Self::InvalidResource { .. } => "tag policies apply per resource type, read from the ARN: write the resource's full ARN, such as `arn:aws:sagemaker:us-east-1:111122223333:training-job/NAME`, or leave the resource out".into(),
            Self::SessionArn(_) => "`aws:PrincipalArn` holds the role's ARN: write `arn:aws:iam::ACCOUNT:role/NAME`".into(),
            Self::InvalidTarget { .. } => "targets are `root`, `ou \"Root/Path/To/OU\"`, `ou \"ou-abcd-12345678\"` or `account \"123456789012\"`".into(),
            Self::DuplicateTarget(_) => "attach once".into(),
            Self::MalformedResourceType(_) => "write `service:type`, such as `sagemaker:training-job` or `s3:ALL_SUPPORTED`".into(),
            Self::UnsupportedResourceType { .. } | Self::ConflictingRules(_) => return None,
            Self::ProtectWithoutServices => "name them: `protect environment on sagemaker`, or require the tags on some actions in this policy".into(),
            Self::NoCreateContextKey(_) => "AWS gives this service no key to tell tag-on-create from later tagging; exempt the roles that create resources, or do not protect here".into(),
            Self::TaggingActionWithoutKeys(_) => "AWS does not put `aws:TagKeys` in these requests; restrict who may call them instead".into(),
            Self::NoTaggingActions(_) => "protect tags only in services that have tagging actions".into(),
            Self::DuplicateTest(_) => "test names are unique across the project".into(),
            Self::DuringOnNonTagging(_) => "`during CREATE` says a tagging action such as `sagemaker:AddTags` runs as part of that create".into(),
            Self::UnknownOu(_) => "tagc knows only the OUs its policies are attached to or its tests make requests from, the OUs on their paths and the OUs below them".into(),
            Self::InvalidProject { .. } => "the project name is the `tagc:project` tag of every policy tagc creates: 1 to 256 characters of letters, digits, spaces and `_ . : / = + - @`".into(),
            Self::GrantTaggingActionWithoutTags { create, tagging } => format!("an Allow on `{tagging}` could not check the tags, so it would allow any tagging; drop `grant`, or leave `{create}` out of this policy's `require` rules and allow it and `{tagging}` yourself"),
            Self::GrantExactCaseLimit { .. } => "an Allow tests each exact-case key on `aws:TagKeys` with its own case-sensitive operator, and IAM has four; require at most four `exact-case` keys on one action, or drop `grant`".into(),
            Self::UntaggedResourceType(_) => "name resource types whose tags the rule's actions carry, such as `ec2:instance` for `ec2:RunInstances`".into(),
            Self::NoTypeForAction(_) => "its requests would not be checked: add one of its resource types, or require its tags in a rule of its own".into(),
        })
    }

    /// Errors stop the build; warnings are reported and the build goes on.
    pub const fn severity(&self) -> Severity {
        match self {
            Self::DuplicateValue(_)
            | Self::DuplicateInList(_)
            | Self::NoTargets(_)
            | Self::NoCreateContextKey(_)
            | Self::TaggingActionWithoutKeys(_)
            | Self::SessionArn(_) => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// A check error or warning at a place in a file.
#[derive(Debug, Clone)]
pub struct CheckError {
    /// What is wrong.
    pub kind: CheckErrorKind,
    /// Where.
    pub loc: Loc,
    /// Help computed at the error (such as "did you mean"), overriding the kind's.
    pub help: Option<String>,
    /// Secondary labels, such as the first declaration of a duplicate.
    pub related: Vec<(Loc, String)>,
}

impl CheckError {
    /// An error of `kind` at `loc`.
    pub const fn new(kind: CheckErrorKind, loc: Loc) -> Self {
        Self {
            kind,
            loc,
            help: None,
            related: Vec::new(),
        }
    }

    /// With help computed at the error.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// With a secondary label. A label in another file is said in the help instead, since a
    /// snippet shows one file.
    #[must_use]
    pub fn with_related(mut self, loc: &Loc, text: &str) -> Self {
        if std::sync::Arc::ptr_eq(&loc.file, &self.loc.file) {
            self.related.push((loc.clone(), text.to_owned()));
        } else {
            let (line, col) = loc.line_col();
            let note = format!("{text}: {}:{line}:{col}", loc.file.name);
            self.help = Some(match (self.help.take(), self.kind.help()) {
                (Some(h), _) | (None, Some(h)) => format!("{h}; {note}"),
                (None, None) => note,
            });
        }
        self
    }
}

located_diagnostic!(CheckError);
