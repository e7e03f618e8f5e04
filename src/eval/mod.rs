//! The policy evaluator: proves that emitted documents mean what the rules say.
//!
//! Input: IAM identity policies, SCPs or Organizations tag policies as JSON, and a request.
//! Output: a decision with its explanation, as data and as text.
//!
//! # IAM policies and SCPs
//!
//! ```text
//! RequestContext::new(action, resource)           a request; builder methods add keys:
//!     .with_principal_arn(arn) .with_request_tag(k, v) .with_tag_keys([..]) .with_key(name, v)
//! RequestContext::from_request(&model::Request)   a tagc `test` request, mapped as AWS would
//! evaluate(&json, PolicyKind::Scp | Identity, &ctx) -> Result<Evaluation, EvalError>
//! Policy::parse(&json)?.evaluate(kind, &ctx)      parse once, evaluate many times
//! evaluate_policies(&[Policy], kind, &ctx)        several documents deployed together
//! Evaluation { verdict, decided_by, considered }  + Display: "denied by statement 2 (Sid …): …"
//! ```
//!
//! # Tag policies
//!
//! ```text
//! effective_policy(&[Vec<Value>]) -> Result<EffectivePolicy, EvalError>   levels root → account
//! EffectivePolicy::to_json()                      as AWS displays it, without operators
//! EffectivePolicy::check(resource_type, &tags) -> ComplianceReport        + Display
//! ```

pub mod condition;
pub mod context;
pub mod error;
pub mod iam;
pub mod tag_policy;

pub use context::{ContextValue, RequestContext};
pub use error::EvalError;
pub use iam::{Evaluation, Policy, PolicyKind, Verdict, evaluate, evaluate_policies};
pub use tag_policy::{ComplianceReport, EffectivePolicy, effective_policy};
