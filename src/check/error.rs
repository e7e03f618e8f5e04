//! Check errors and warnings: what the check stage found wrong with the rules.
//!
//! Input: the findings of the check rooms. Output: [`CheckError`], a diagnostic at a place in a
//! source file. Each kind declares its message, code, severity, label and help beside its data.

use miette::Diagnostic;
use tagc_macros::PrimaryLabel;

pub use super::validate::Field;
use crate::diagnostics::Located;
use crate::model::Target;

/// What the check stage found, with its wording. Codes are stable: CI pipelines and
/// `docs/errors.md` refer to them. Errors stop the build; warnings are reported and the build
/// goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic, PrimaryLabel)]
#[non_exhaustive]
pub enum CheckErrorKind {
    /// A tag name that no `tag` declares.
    #[error("unknown tag `{0}`")]
    #[diagnostic(
        code("tagc::check::unknown-tag"),
        severity(Error),
        help("declare it: `tag {0}`")
    )]
    #[label("not declared")]
    UnknownTag(String),
    /// A tag declared twice.
    #[error("tag `{0}` is declared twice")]
    #[diagnostic(
        code("tagc::check::duplicate-tag"),
        severity(Error),
        help("a tag is declared once per project (all `.tags` files of a directory)")
    )]
    #[label("declared again here")]
    DuplicateTag(String),
    /// Two tags whose keys differ only in case.
    #[error("tags `{0}` and `{1}` differ only in case")]
    #[diagnostic(
        code("tagc::check::tag-case-conflict"),
        severity(Error),
        help(
            "tag policies treat keys that differ only in case as one key; keep one: its tag policy enforces that casing on enforced resource types, and `exact-case` enforces it on create too"
        )
    )]
    #[label("same key as another tag, ignoring case")]
    TagCaseConflict(String, String),
    /// A key AWS would not accept.
    #[error("invalid tag key `{key}`: {reason}")]
    #[diagnostic(
        code("tagc::check::invalid-tag-key"),
        severity(Error),
        help(
            "keys are 1 to 128 characters of letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`"
        )
    )]
    #[label("AWS would reject this")]
    InvalidTagKey {
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A value AWS would not accept.
    #[error("invalid tag value `{value}`: {reason}")]
    #[diagnostic(
        code("tagc::check::invalid-tag-value"),
        severity(Error),
        help(
            "values are 0 to 256 characters of letters, digits, spaces and `_ . : / = + - @`; in patterns `*` is any run of characters and `?` one character"
        )
    )]
    #[label("AWS would reject this")]
    InvalidTagValue {
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
    /// A value pattern that a tag policy cannot hold exactly (`?`), so its tag policy accepts
    /// a wider pattern than the SCP and IAM policy enforce.
    #[error(
        "the tag policy accepts `{widened}` for `{key}` = `{value}`{examples}; the SCP and IAM policy enforce `{value}` exactly"
    )]
    #[diagnostic(
        code("tagc::check::value-widened"),
        severity(Warning),
        help(
            "tag policies have only `*`, one per value (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html): list the exact values to make every layer enforce the same, or acknowledge it with `# tagc: allow value-widened`"
        )
    )]
    #[label("exact in the SCP and IAM policy, wider in the tag policy")]
    ValueWidened {
        /// The tag.
        key: String,
        /// The pattern as written.
        value: String,
        /// What the tag policy holds.
        widened: String,
        /// What the tag policy admits beyond the pattern, as a clause; empty without an example.
        examples: String,
    },
    /// A `when` on a key the same rule requires: the key is present whenever the test holds.
    #[error("`when` tests `{0}`, which the same rule requires")]
    #[diagnostic(
        code("tagc::check::when-key-required"),
        severity(Error),
        help(
            "a `when` names another tag: `require data-classification on … when environment = \"production\"`; to restrict the values of a required key, give the tag `values`"
        )
    )]
    #[label("required by this rule")]
    WhenKeyRequired(String),
    /// A `when` value that the tag's `values` never allow: the condition never holds for it.
    #[error("`when {key} = \"{value}\"` never holds: no value `{key}` allows matches it")]
    #[diagnostic(
        code("tagc::check::when-value-not-allowed"),
        severity(Warning),
        help("use one of the tag's `values`, or add it to them")
    )]
    #[label("not an allowed value")]
    WhenValueNotAllowed {
        /// The tag.
        key: String,
        /// The value pattern.
        value: String,
    },
    /// A forbidden value that the tag's `values` already exclude.
    #[error(
        "`{key}` = `{value}` is forbidden, but the tag's `values` do not allow it in the first place"
    )]
    #[diagnostic(
        code("tagc::check::forbid-redundant"),
        severity(Warning),
        help(
            "where a `require` of the tag covers these actions it already denies the value; forbid an allowed value, or add this one to the tag's `values`"
        )
    )]
    #[label("not an allowed value")]
    ForbidRedundant {
        /// The tag.
        key: String,
        /// The value pattern.
        value: String,
    },
    /// A `forbid` that takes in every value the tag allows.
    #[error(
        "this `forbid` takes in every value `{0}` allows: the tag can never be set on these actions"
    )]
    #[diagnostic(
        code("tagc::check::forbid-every-value"),
        severity(Warning),
        help(
            "forbid only some of the values; to keep the tag off these actions on purpose, acknowledge it with `# tagc: allow forbid-every-value`"
        )
    )]
    #[label("every allowed value")]
    ForbidEveryValue(String),
    /// A `forbid` on a create whose service's tagging actions it leaves out: the value can be
    /// set right after the create.
    #[error("the forbidden `{key}` values can still be set after the create, through {actions}")]
    #[diagnostic(
        code("tagc::check::forbid-bypass"),
        severity(Warning),
        help(
            "add them to the rule's actions (`forbid … on sagemaker:CreateTrainingJob, sagemaker:AddTags`) to forbid the values on the service's resources for good"
        )
    )]
    #[label("denies the values on these actions only")]
    ForbidBypass {
        /// The tag.
        key: String,
        /// The tagging actions left out, quoted and joined.
        actions: String,
    },
    /// A value with more than one `*`.
    #[error("value `{0}` has more than one `*`")]
    #[diagnostic(
        code("tagc::check::too-many-wildcards"),
        severity(Error),
        help("tag policies allow one `*` per value: `CC-*` is fine, `*-*` is not")
    )]
    #[label("one `*` at most")]
    TooManyWildcards(String),
    /// The same value listed twice.
    #[error("value `{0}` is listed twice")]
    #[diagnostic(
        code("tagc::check::duplicate-value"),
        severity(Warning),
        help("remove the repeat")
    )]
    #[label("repeated here")]
    DuplicateValue(String),
    /// A statement that may appear once appears again.
    #[error("`{0}` is given twice")]
    #[diagnostic(
        code("tagc::check::duplicate-statement"),
        severity(Error),
        help("keep one")
    )]
    #[label("repeated here")]
    DuplicateStatement(String),
    /// A policy declared twice.
    #[error("policy `{0}` is declared twice")]
    #[diagnostic(
        code("tagc::check::duplicate-policy"),
        severity(Error),
        help("policy names are unique across the project; rename one")
    )]
    #[label("declared again here")]
    DuplicatePolicy(String),
    /// A policy with no rule.
    #[error("policy `{0}` has no rules")]
    #[diagnostic(
        code("tagc::check::empty-policy"),
        severity(Error),
        help(
            "add a `require`, `forbid`, `only-declared-keys`, `protect`, `enforce` or `report` rule"
        )
    )]
    #[label("this policy")]
    EmptyPolicy(String),
    /// A policy that is not attached anywhere.
    #[error("policy `{0}` is not attached to any target")]
    #[diagnostic(
        code("tagc::check::no-targets"),
        severity(Warning),
        help(
            "add `attach to root`, `attach to ou \"Root/…\"` or `attach to account \"…\"`, or tagc plan and apply will leave it out"
        )
    )]
    #[label("this policy")]
    NoTargets(String),
    /// An action pattern that is not `service:Action`.
    #[error("malformed action pattern `{0}`")]
    #[diagnostic(
        code("tagc::check::malformed-action"),
        severity(Error),
        help(
            "write `service:Action`, such as `sagemaker:CreateTrainingJob` or `sagemaker:Create*`"
        )
    )]
    #[label("not `service:Action`")]
    MalformedAction(String),
    /// A service prefix the catalog does not know.
    #[error("unknown service `{0}`")]
    #[diagnostic(
        code("tagc::check::unknown-service"),
        severity(Error),
        help("names come from AWS's service reference; `tagc catalog info` shows its date")
    )]
    #[label("no such service in the AWS catalog")]
    UnknownService(String),
    /// An action the catalog does not know.
    #[error("unknown action `{0}`")]
    #[diagnostic(
        code("tagc::check::unknown-action"),
        severity(Error),
        help("names come from AWS's service reference; `tagc catalog info` shows its date")
    )]
    #[label("no such action in the AWS catalog")]
    UnknownAction(String),
    /// A pattern that matches no action.
    #[error("`{0}` matches no action")]
    #[diagnostic(
        code("tagc::check::no-matching-action"),
        severity(Error),
        help("check the spelling; `*` matches any run of characters")
    )]
    #[label("matches nothing")]
    NoMatchingAction(String),
    /// A tag requirement on an action whose requests never carry tags.
    #[error("`{0}` cannot carry tags at creation")]
    #[diagnostic(
        code("tagc::check::cannot-carry-tags"),
        severity(Error),
        help("a tag requirement here would deny every call")
    )]
    #[label("requests for this action never carry tags")]
    CannotCarryTags(String),
    /// A pattern whose actions all lack the tag keys a rule needs.
    #[error("no action matched by `{0}` can carry tags")]
    #[diagnostic(
        code("tagc::check::pattern-cannot-carry-tags"),
        severity(Error),
        help("a tag requirement here would deny every call")
    )]
    #[label("none of these actions carry tags")]
    PatternCannotCarryTags(String),
    /// An ARN pattern that is not an ARN.
    #[error("invalid ARN `{arn}`: {reason}")]
    #[diagnostic(
        code("tagc::check::invalid-arn"),
        severity(Error),
        help("write `arn:aws:iam::ACCOUNT:role/NAME`; `*` and `?` may stand for parts")
    )]
    #[label("not an ARN")]
    InvalidArn {
        /// The text.
        arn: String,
        /// Why.
        reason: String,
    },
    /// A request that sets one tag key twice, in the same or another casing.
    #[error("the request sets tag `{0}` twice")]
    #[diagnostic(
        code("tagc::check::duplicate-request-tag"),
        severity(Error),
        help(
            "a request carries each tag key once; with two keys that differ only in case, AWS does not document which value `aws:RequestTag/KEY` holds, so tagc cannot evaluate it: keep one"
        )
    )]
    #[label("set again here")]
    DuplicateRequestTag(String),
    /// A request's resource that is not an ARN tagc can read a resource type from.
    #[error("invalid resource ARN `{arn}`: {reason}")]
    #[diagnostic(
        code("tagc::check::invalid-resource"),
        severity(Error),
        help(
            "tag policies apply per resource type, read from the ARN: write the resource's full ARN, such as `arn:aws:sagemaker:us-east-1:111122223333:training-job/NAME`, or leave the resource out"
        )
    )]
    #[label("no resource type to evaluate tag policies for")]
    InvalidResource {
        /// The text.
        arn: String,
        /// Why.
        reason: String,
    },
    /// A session ARN where the role ARN is what `aws:PrincipalArn` holds.
    #[error("`{0}` is an assumed-role session ARN")]
    #[diagnostic(
        code("tagc::check::session-arn"),
        severity(Warning),
        help("`aws:PrincipalArn` holds the role's ARN: write `arn:aws:iam::ACCOUNT:role/NAME`")
    )]
    #[label("never equals `aws:PrincipalArn`")]
    SessionArn(String),
    /// `exempt` written on the line of another statement, where it reads as if it belonged to
    /// that rule alone.
    #[error("`exempt` covers every rule of policy `{0}`, not only the statement on its line")]
    #[diagnostic(
        code("tagc::check::exempt-on-rule-line"),
        severity(Warning),
        help(
            "put `exempt` on a line of its own (`tagc fmt` does): an exemption lifts every deny of its policy; to spare a principal from this rule only, end the rule with `except \"ARN\"` instead"
        )
    )]
    #[label("applies to the whole policy")]
    ExemptOnRuleLine(String),
    /// `except` on a tag-policy rule, which no principal can be spared from.
    #[error(
        "`except` has no meaning on `{0}`: a tag policy does not depend on who makes the request"
    )]
    #[diagnostic(
        code("tagc::check::except-on-tag-policy-rule"),
        severity(Error),
        help(
            "a tag policy checks the tags of resources in the accounts it is attached to, whoever sets them (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_tag-policies.html); remove `except`, or place the rule elsewhere with `at`"
        )
    )]
    #[label("tag policies have no principal")]
    ExceptOnTagPolicyRule(String),
    /// An `except` pattern that the policy's `exempt` already covers.
    #[error("`{pattern}` is already exempt from every rule of policy `{policy}`")]
    #[diagnostic(
        code("tagc::check::except-covered-by-exempt"),
        severity(Warning),
        help(
            "remove it from `except`: the policy's `exempt` already spares every principal it matches"
        )
    )]
    #[label("covered by the policy's `exempt`")]
    ExceptCoveredByExempt {
        /// The `except` pattern.
        pattern: String,
        /// The policy.
        policy: String,
    },
    /// An `at` target outside the targets the policy is attached to.
    #[error("`at {target}` is not at or below a target policy `{policy}` is attached to")]
    #[diagnostic(
        code("tagc::check::at-outside-attachment"),
        severity(Error),
        help(
            "a rule's `at` narrows where its policy applies: name the policy's targets or OUs below them by path (an account or an OU id counts as below only a policy attached to `root`), or add the target to `attach to`"
        )
    )]
    #[label("outside the policy's attachment")]
    AtOutsideAttachment {
        /// The target.
        target: String,
        /// The policy.
        policy: String,
    },
    /// A part of a policy (its rules at one `at` target set) whose name another policy has.
    #[error("the part of policy `{policy}` placed with `at` is named `{part}`, as {other} is")]
    #[diagnostic(
        code("tagc::check::part-name-collision"),
        severity(Error),
        help(
            "the rules a policy places with `at` become a policy named `POLICY-at-TARGETS`; rename one of the policies"
        )
    )]
    #[label("this rule's `at` makes the part")]
    PartNameCollision {
        /// The name of the part.
        part: String,
        /// The policy it belongs to.
        policy: String,
        /// The policy or part that has the name, in words.
        other: String,
    },
    /// A target that is not a valid root, OU or account.
    #[error("invalid target `{target}`: {reason}")]
    #[diagnostic(
        code("tagc::check::invalid-target"),
        severity(Error),
        help(
            "targets are `root`, `ou \"Root/Path/To/OU\"`, `ou \"ou-abcd-12345678\"` or `account \"123456789012\"`"
        )
    )]
    #[label("not a valid target")]
    InvalidTarget {
        /// The text.
        target: String,
        /// Why.
        reason: String,
    },
    /// The same target twice in one policy.
    #[error("target `{0}` is listed twice")]
    #[diagnostic(
        code("tagc::check::duplicate-target"),
        severity(Error),
        help("attach once")
    )]
    #[label("repeated here")]
    DuplicateTarget(String),
    /// A resource type that is not `service:type`.
    #[error("malformed resource type `{0}`")]
    #[diagnostic(
        code("tagc::check::malformed-resource-type"),
        severity(Error),
        help("write `service:type`, such as `sagemaker:training-job` or `s3:ALL_SUPPORTED`")
    )]
    #[label("not `service:type`")]
    MalformedResourceType(String),
    /// A resource type that the tag-policy field does not support.
    #[error("`{resource_type}` is not supported in `{field}`")]
    #[diagnostic(code("tagc::check::unsupported-resource-type"), severity(Error))]
    #[label("not supported here")]
    UnsupportedResourceType {
        /// The type.
        resource_type: String,
        /// The field.
        field: Field,
    },
    /// Two tag policies attached to one target that both set a field for one key: AWS keeps
    /// whichever was attached first.
    #[error(
        "conflicting rules: policies `{first}` and `{second}` both set `{field}` for tag `{key}` at {target}"
    )]
    #[diagnostic(
        code("tagc::check::conflicting-rules"),
        severity(Error),
        help(
            "AWS keeps the setting of whichever tag policy was attached first; set it in one policy"
        )
    )]
    #[label("conflicts with another rule")]
    ConflictingRules {
        /// The policy met first.
        first: String,
        /// The policy that sets it again.
        second: String,
        /// The field both set.
        field: Field,
        /// The tag key, lowercase (tag policies compare keys ignoring case).
        key: String,
        /// The target both are attached to.
        target: Target,
    },
    /// The same item twice in a list.
    #[error("`{0}` is listed twice")]
    #[diagnostic(
        code("tagc::check::duplicate-in-list"),
        severity(Warning),
        help("remove the repeat")
    )]
    #[label("repeated here")]
    DuplicateInList(String),
    /// `protect` without any service to protect in.
    #[error("`protect` has no service to protect the tags in")]
    #[diagnostic(
        code("tagc::check::protect-without-services"),
        severity(Error),
        help(
            "name them: `protect environment on sagemaker`, or require the tags on some actions in this policy"
        )
    )]
    #[label("which services?")]
    ProtectWithoutServices,
    /// A service whose tagging cannot be told apart from tag-on-create.
    #[error("`{0}` has no create-context key: `protect` also blocks tagging during create")]
    #[diagnostic(
        code("tagc::check::no-create-context-key"),
        severity(Warning),
        help(
            "AWS gives this service no key to tell tag-on-create from later tagging; spare the roles that create resources from this rule with `except \"ARN\"`, or do not protect here"
        )
    )]
    #[label("tag-on-create may be denied")]
    NoCreateContextKey(String),
    /// Tagging actions whose requests do not carry the tag keys.
    #[error("{0} do not carry the keys they change, so `protect` cannot guard them")]
    #[diagnostic(
        code("tagc::check::tagging-action-without-keys"),
        severity(Warning),
        help(
            "AWS does not put `aws:TagKeys` in these requests; restrict who may call them instead"
        )
    )]
    #[label("not guarded")]
    TaggingActionWithoutKeys(String),
    /// A service without tagging actions.
    #[error("service `{0}` has no tagging actions")]
    #[diagnostic(
        code("tagc::check::no-tagging-actions"),
        severity(Error),
        help("protect tags only in services that have tagging actions")
    )]
    #[label("nothing to protect")]
    NoTaggingActions(String),
    /// A test declared twice.
    #[error("test `{0}` is declared twice")]
    #[diagnostic(
        code("tagc::check::duplicate-test"),
        severity(Error),
        help("test names are unique across the project")
    )]
    #[label("declared again here")]
    DuplicateTest(String),
    /// `during` on a request that is not a tagging action.
    #[error("`during` applies to tagging actions, and `{0}` is not one")]
    #[diagnostic(
        code("tagc::check::during-on-non-tagging"),
        severity(Error),
        help(
            "`during CREATE` says a tagging action such as `sagemaker:AddTags` runs as part of that create"
        )
    )]
    #[label("not a tagging action")]
    DuringOnNonTagging(String),
    /// A request's origin that is not an OU the project names.
    #[error("the project names no OU `{0}`")]
    #[diagnostic(
        code("tagc::check::unknown-ou"),
        severity(Error),
        help(
            "tagc knows only the OUs its policies are attached to or its tests make requests from, the OUs on their paths and the OUs below them"
        )
    )]
    #[label("no policy or test names this OU, one above it or one below it")]
    UnknownOu(String),
    /// A project name that cannot be a tag value in AWS.
    #[error("invalid project name `{value}`: {reason}")]
    #[diagnostic(
        code("tagc::check::invalid-project"),
        severity(Error),
        help(
            "the project name is the `tagc:project` tag of every policy tagc creates: 1 to 256 characters of letters, digits, spaces and `_ . : / = + - @`"
        )
    )]
    #[label("AWS would reject this tag value")]
    InvalidProject {
        /// The name.
        value: String,
        /// Why.
        reason: String,
    },
    /// A grant whose Allow would have to test more exact-case keys than IAM can in one
    /// statement.
    #[error("the grant form cannot require the exact casing of {keys} together on `{action}`")]
    #[diagnostic(
        code("tagc::check::grant-exact-case-limit"),
        severity(Error),
        help(
            "an Allow tests each exact-case key on `aws:TagKeys` with its own case-sensitive operator, and IAM has four; require at most four `exact-case` keys on one action, or drop `grant`"
        )
    )]
    #[label("the Allow cannot express this")]
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
    #[diagnostic(
        code("tagc::check::grant-tagging-action-without-tags"),
        severity(Error),
        help(
            "an Allow on `{tagging}` could not check the tags, so it would allow any tagging; drop `grant`, or leave `{create}` out of this policy's `require` rules and allow it and `{tagging}` yourself"
        )
    )]
    #[label("the Allow cannot express this")]
    GrantTaggingActionWithoutTags {
        /// The required create.
        create: String,
        /// The tagging action its operation also authorizes.
        tagging: String,
    },
    /// `require … for T` with a type whose requests carry no tags in the rule's actions.
    #[error("no action of this rule carries request tags for `{0}`")]
    #[diagnostic(
        code("tagc::check::untagged-resource-type"),
        severity(Error),
        help(
            "name resource types whose tags the rule's actions carry, such as `ec2:instance` for `ec2:RunInstances`"
        )
    )]
    #[label("no request tags for this type")]
    UntaggedResourceType(String),
    /// `require … for TYPES` naming none of the types an action of the rule tags.
    #[error("`for` names no resource type that `{0}` carries request tags for")]
    #[diagnostic(
        code("tagc::check::no-type-for-action"),
        severity(Error),
        help(
            "its requests would not be checked: add one of its resource types, or require its tags in a rule of its own"
        )
    )]
    #[label("none of its tagged types")]
    NoTypeForAction(String),
    /// A `$name` that no `set` declares.
    #[error("unknown set `${0}`")]
    #[diagnostic(
        code("tagc::check::unknown-set"),
        severity(Error),
        help(
            "declare it: `set KIND {0} {{ … }}`, with KIND one of targets, actions, services, principals, tags, resource-types"
        )
    )]
    #[label("not declared")]
    UnknownSet(String),
    /// A set used where a list of another kind is expected.
    #[error("`${name}` is a set of {declared}, but {expected} are expected here")]
    #[diagnostic(
        code("tagc::check::wrong-set-kind"),
        severity(Error),
        help(
            "use a set of {expected} here, or declare `{name}` as `set {expected} {name} {{ … }}`"
        )
    )]
    #[label("a set of {declared}")]
    WrongSetKind {
        /// The set's name.
        name: String,
        /// The kind this place takes.
        expected: &'static str,
        /// The kind the set is declared with.
        declared: &'static str,
    },
    /// A set declared twice.
    #[error("set `{0}` is declared twice")]
    #[diagnostic(
        code("tagc::check::duplicate-set"),
        severity(Error),
        help("a set is declared once per project (all `.tags` files of a directory); rename one")
    )]
    #[label("declared again here")]
    DuplicateSet(String),
    /// A set that contains itself, directly or through other sets.
    #[error("set `{name}` contains itself")]
    #[diagnostic(
        code("tagc::check::set-cycle"),
        severity(Error),
        help("a set may use other sets, but not one that leads back to it: remove this reference")
    )]
    #[label("leads back to `{name}`")]
    SetCycle {
        /// The set that contains itself.
        name: String,
    },
    /// A set with no element.
    #[error("set `{0}` is empty")]
    #[diagnostic(
        code("tagc::check::empty-set"),
        severity(Error),
        help(
            "give it at least one element, or remove it: a rule over an empty list would say nothing"
        )
    )]
    #[label("no elements")]
    EmptySet(String),
    /// A set that no list uses.
    #[error("set `{0}` is never used")]
    #[diagnostic(
        code("tagc::check::unused-set"),
        severity(Warning),
        help("use it as `${0}` in a list of its kind, or remove it")
    )]
    #[label("not used")]
    UnusedSet(String),
    /// A `# tagc: …` comment that is not a well-formed allow comment.
    #[error("malformed allow comment: {0}")]
    #[diagnostic(
        code("tagc::check::malformed-allow"),
        severity(Warning),
        help(
            "write `# tagc: allow <code>[, <code>…] [-- reason]`, such as `# tagc: allow no-targets -- kept for staging`"
        )
    )]
    #[label("not understood")]
    MalformedAllow(String),
    /// An allow comment naming a code that tagc does not have.
    #[error("allow comment names unknown code `{0}`")]
    #[diagnostic(
        code("tagc::check::unknown-allow-code"),
        severity(Warning),
        help(
            "name a warning's code, as printed above it (`tagc::check::no-targets`) or by its last part (`no-targets`)"
        )
    )]
    #[label("no such code")]
    UnknownAllowCode(String),
    /// An allow comment naming an error: only warnings can be acknowledged.
    #[error("`{0}` is an error, which cannot be allowed")]
    #[diagnostic(
        code("tagc::check::allow-error"),
        severity(Warning),
        help(
            "an error means the rules cannot be compiled as written: fix it instead; only warnings can be allowed"
        )
    )]
    #[label("an error's code")]
    AllowError(String),
    /// An allow comment that acknowledged no warning.
    #[error("allow comment for `{0}` acknowledges no warning")]
    #[diagnostic(
        code("tagc::check::unused-allow"),
        severity(Warning),
        help(
            "remove it: the warning is gone, or it is not on the line the comment applies to (its own line, or the next line of code when the comment stands alone)"
        )
    )]
    #[label("allows nothing")]
    UnusedAllow(String),
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::EnforcedFor => "enforced_for",
            Self::ReportRequired => "report_required_tag_for",
        })
    }
}

/// A check error or warning at a place in a file.
pub type CheckError = Located<CheckErrorKind>;
