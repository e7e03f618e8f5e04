//! An evaluator for AWS IAM identity policies, service control policies and Organizations tag
//! policies, written from AWS's documentation alone.
//!
//! Input: policy documents as JSON, and a request: for IAM and SCPs its action, resource ARN
//! and condition keys ([`RequestContext`]); for tag policies the documents on the path from the
//! organization root to an account, a resource type and the tags a request sets.
//! Output: a decision with its explanation, as data and as text.
//!
//! It depends on nothing but `serde_json` (and `thiserror` for its error type) and shares no
//! code with the tagc compiler, whose output it checks: a mistake in the compiler's
//! understanding of AWS cannot hide in a helper both use. The caller decides which condition
//! keys a request carries (from AWS's service reference) and where in the organization it is
//! made; this crate only applies AWS's evaluation rules to them.
//!
//! # IAM policies and SCPs
//!
//! ```text
//! RequestContext::new(action, resource)           a request; builder methods add keys:
//!     .with_principal_arn(arn) .with_request_tag(k, v) .with_tag_keys([..])
//!     .with_resource_tag(k, v) .with_key(name, v) .with_multi_key(name, [..])
//! evaluate(&json, PolicyKind::Scp | Identity, &ctx) -> Result<Evaluation, EvalError>
//! Policy::parse(&json)?.with_name(n).evaluate(kind, &ctx)   parse once, evaluate many times
//! evaluate_policies(&[Policy], kind, &ctx)        several documents deployed together
//! Evaluation { verdict, decided_by, considered }  .is_allowed()
//!                                                 Display: "denied by statement 2 (Sid …): …"
//! ```
//!
//! # Tag policies
//!
//! ```text
//! effective_policy(&[Vec<Value>]) -> Result<EffectivePolicy, EvalError>   levels root → account
//! EffectivePolicy { tags, notes }                 notes: operations not applied, and why
//! EffectivePolicy::to_json()                      as AWS displays it, without operators
//! EffectivePolicy::check(resource_type, &tags) -> ComplianceReport  .compliant() .blocked()
//! ```
//!
//! # Choices where AWS's text is silent
//!
//! - Statement indexes count from 0, in data and in text.
//! - A context resource of `*` means "not specified": it stands for the resource the policy
//!   is about, inside every `Resource` list and outside every `NotResource` statement.
//! - An SCP's `Allow` statements are not consulted: next to `FullAWSAccess` they change nothing.
//! - A multivalued key under an operator without `ForAllValues`/`ForAnyValue` matches when any
//!   of its values does (a negated operator: when none does).
//! - `ForAnyValue:…IfExists` on an absent key is true (`IfExists` wins).
//! - A request value that is not a number matches no `Numeric…` condition.
//! - Tag policies: several documents on one node are combined before they apply (first
//!   `@@assign` wins, appends and removes accumulate, child controls intersect); the combined
//!   operations apply in the order assign, append, remove. `?` in a tag value is literal.
//!   `report_required_tag_for` without `tag_key` accepts any key casing (AWS's pages do not
//!   say). `service:*` is accepted like `service:ALL_SUPPORTED`.
//! - Tag policies: where AWS's worked inheritance examples contradict their own policies (a
//!   locked `tag_key` of `Project` displayed as `project` in example 4, a value `Escalations`
//!   that no policy of example 6 sets), the rules stated on the operators page win; see the
//!   unit tests in `tag_policy`.

pub mod condition;
pub mod context;
pub mod error;
pub mod iam;
pub mod tag_policy;
pub mod wildcard;

pub use context::{ContextValue, RequestContext};
pub use error::EvalError;
pub use iam::{Evaluation, Policy, PolicyKind, Verdict, evaluate, evaluate_policies};
pub use tag_policy::{ComplianceReport, EffectivePolicy, covers_resource_type, effective_policy};
pub use wildcard::wildcard_match;
