//! The policy evaluator: proves that emitted documents mean what the rules say.
//!
//! Input: IAM identity policies, SCPs or Organizations tag policies as JSON, and a request.
//! Output: a decision with its explanation, as data and as text.
//!
//! # IAM policies and SCPs
//!
//! ```text
//! RequestContext::new(action, resource)           a request; builder methods add keys:
//!     .with_principal_arn(arn) .with_request_tag(k, v) .with_tag_keys([..])
//!     .with_resource_tag(k, v) .with_key(name, v) .with_multi_key(name, [..])
//! RequestContext::from_request(&model::Request)   a tagc `test` request, mapped as AWS would
//! evaluate(&json, PolicyKind::Scp | Identity, &ctx) -> Result<Evaluation, EvalError>
//! Policy::parse(&json)?.with_name(n).evaluate(kind, &ctx)   parse once, evaluate many times
//! evaluate_policies(&[Policy], kind, &ctx)        several documents deployed together
//! Evaluation { verdict, decided_by, considered }  .decision() -> model::Decision
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
//!   `report_required_tag_for` without `tag_key` accepts any key casing (AWS's documentation
//!   does not say). `service:*` is accepted like `service:ALL_SUPPORTED`.

pub mod condition;
pub mod context;
pub mod error;
pub mod iam;
pub mod tag_policy;

pub use context::{ContextValue, RequestContext};
pub use error::EvalError;
pub use iam::{Evaluation, Policy, PolicyKind, Verdict, evaluate, evaluate_policies};
pub use tag_policy::{ComplianceReport, EffectivePolicy, effective_policy};
