//! Errors of the evaluator: a policy document that cannot be evaluated.
//!
//! Input: the problem found while reading an IAM policy, SCP or tag policy. Output: an
//! [`EvalError`] diagnostic with a stable `tagc::eval::…` code.

use miette::Diagnostic;
use thiserror::Error;

/// A policy document the evaluator cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
#[non_exhaustive]
pub enum EvalError {
    /// The document does not have the shape of an IAM policy.
    #[error("malformed policy: {message}")]
    #[diagnostic(code("tagc::eval::malformed-policy"))]
    MalformedPolicy {
        /// What is wrong, naming the element.
        message: String,
    },
    /// A policy or statement element IAM does not know.
    #[error("unknown policy element `{element}`")]
    #[diagnostic(code("tagc::eval::unknown-element"))]
    UnknownElement {
        /// The element as written.
        element: String,
        /// "did you mean …?"
        #[help]
        help: Option<String>,
    },
    /// A condition operator IAM does not know (or the evaluator does not support).
    #[error("unknown condition operator `{operator}`")]
    #[diagnostic(code("tagc::eval::unknown-operator"))]
    UnknownOperator {
        /// The operator as written.
        operator: String,
        /// "did you mean …?"
        #[help]
        help: Option<String>,
    },
    /// A condition value the operator cannot use (a non-number under `Numeric…`, an object, …).
    #[error("invalid value for `{operator}` on `{key}`: {message}")]
    #[diagnostic(code("tagc::eval::invalid-condition-value"))]
    InvalidConditionValue {
        /// The operator as written.
        operator: String,
        /// The condition key as written.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The document does not have the shape of an Organizations tag policy.
    #[error("malformed tag policy: {message}")]
    #[diagnostic(code("tagc::eval::malformed-tag-policy"))]
    MalformedTagPolicy {
        /// What is wrong, naming the element.
        message: String,
    },
}

/// "did you mean `x`?" for the closest of `candidates`, if any is close.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&input.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}
