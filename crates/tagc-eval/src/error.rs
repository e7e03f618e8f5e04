//! Errors of the evaluator: a policy document that cannot be evaluated.
//!
//! Input: the problem found while reading an IAM policy, SCP or tag policy. Output: an
//! [`EvalError`] with a message, a stable `tagc::eval::…` code ([`EvalError::code`]) and, where
//! a name is misspelt, a "did you mean" help ([`EvalError::help`]).

use thiserror::Error;

/// A policy document the evaluator cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The document does not have the shape of an IAM policy.
    #[error("malformed policy: {message}")]
    MalformedPolicy {
        /// What is wrong, naming the element.
        message: String,
    },
    /// A policy or statement element IAM does not know.
    #[error("unknown policy element `{element}`")]
    UnknownElement {
        /// The element as written.
        element: String,
        /// "did you mean …?"
        help: Option<String>,
    },
    /// A condition operator IAM does not know (or the evaluator does not support).
    #[error("unknown condition operator `{operator}`")]
    UnknownOperator {
        /// The operator as written.
        operator: String,
        /// "did you mean …?"
        help: Option<String>,
    },
    /// A condition value the operator cannot use (a non-number under `Numeric…`, an object, …).
    #[error("invalid value for `{operator}` on `{key}`: {message}")]
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
    MalformedTagPolicy {
        /// What is wrong, naming the element.
        message: String,
    },
}

impl EvalError {
    /// The stable code of the error, such as `tagc::eval::malformed-policy`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedPolicy { .. } => "tagc::eval::malformed-policy",
            Self::UnknownElement { .. } => "tagc::eval::unknown-element",
            Self::UnknownOperator { .. } => "tagc::eval::unknown-operator",
            Self::InvalidConditionValue { .. } => "tagc::eval::invalid-condition-value",
            Self::MalformedTagPolicy { .. } => "tagc::eval::malformed-tag-policy",
        }
    }

    /// "did you mean …?", when a misspelt name is close to a known one.
    pub fn help(&self) -> Option<&str> {
        match self {
            Self::UnknownElement { help, .. } | Self::UnknownOperator { help, .. } => {
                help.as_deref()
            }
            _ => None,
        }
    }
}

/// "did you mean `x`?" for the closest of `candidates`, if any is close: at most a third of
/// the input's length in edits (insertions, deletions, substitutions, case ignored).
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = input.to_lowercase();
    let limit = (lower.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Levenshtein distance between two strings, counted in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(0);
            let left = row.get(j).copied().unwrap_or(0);
            let best = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(left + 1);
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = best;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, edit_distance};

    #[test]
    fn test_edit_distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("versoin", "version"), 2);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn test_did_you_mean_only_close_names() {
        assert_eq!(
            did_you_mean("Versoin", ["Version", "Statement"]).as_deref(),
            Some("did you mean `Version`?")
        );
        assert_eq!(did_you_mean("Foo", ["Version", "Statement"]), None);
    }
}
