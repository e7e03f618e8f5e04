//! IAM condition operators and their evaluation.
//!
//! Input: a statement's `Condition` block as JSON, then a [`RequestContext`]. Output: parsed
//! [`Condition`]s (one per operator and key) and, per request, a [`ConditionOutcome`] saying
//! whether it matched and why. The rules are AWS's: several values under one key are OR-ed
//! (NOR-ed under a negated operator), a missing key makes a positive operator false and a negated
//! one true, `…IfExists` is true on a missing key, and `ForAllValues` is vacuously true on an
//! empty set.

use std::fmt;

use serde_json::Value;

use crate::context::{ContextValue, RequestContext};
use crate::error::{EvalError, did_you_mean};
use crate::wildcard::wildcard_match;

/// The comparison an operator makes, without set qualifier or `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    missing_docs,
    reason = "each variant is the IAM operator of the same name"
)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
    Bool,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
}

const BASE_OPERATORS: [(&str, BaseOperator); 18] = [
    ("StringEquals", BaseOperator::StringEquals),
    ("StringNotEquals", BaseOperator::StringNotEquals),
    (
        "StringEqualsIgnoreCase",
        BaseOperator::StringEqualsIgnoreCase,
    ),
    (
        "StringNotEqualsIgnoreCase",
        BaseOperator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", BaseOperator::StringLike),
    ("StringNotLike", BaseOperator::StringNotLike),
    ("ArnEquals", BaseOperator::ArnEquals),
    ("ArnLike", BaseOperator::ArnLike),
    ("ArnNotEquals", BaseOperator::ArnNotEquals),
    ("ArnNotLike", BaseOperator::ArnNotLike),
    ("Null", BaseOperator::Null),
    ("Bool", BaseOperator::Bool),
    ("NumericEquals", BaseOperator::NumericEquals),
    ("NumericNotEquals", BaseOperator::NumericNotEquals),
    ("NumericLessThan", BaseOperator::NumericLessThan),
    ("NumericLessThanEquals", BaseOperator::NumericLessThanEquals),
    ("NumericGreaterThan", BaseOperator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        BaseOperator::NumericGreaterThanEquals,
    ),
];

impl BaseOperator {
    /// Whether the operator is a negation (`StringNotEquals`, `ArnNotLike`, …): NOR over the
    /// policy values, and true on a missing key.
    pub fn is_negated(self) -> bool {
        self.positive() != self
    }

    /// The positive operator a negated one negates; itself for a positive operator.
    #[must_use]
    pub fn positive(self) -> Self {
        match self {
            Self::StringNotEquals => Self::StringEquals,
            Self::StringNotEqualsIgnoreCase => Self::StringEqualsIgnoreCase,
            Self::StringNotLike => Self::StringLike,
            Self::ArnNotEquals => Self::ArnEquals,
            Self::ArnNotLike => Self::ArnLike,
            Self::NumericNotEquals => Self::NumericEquals,
            other => other,
        }
    }

    /// Whether one request value matches one policy value under the *positive* form of this
    /// operator. `Null` never reaches here: it tests presence, not values.
    fn positive_match(self, policy: &str, request: &str) -> bool {
        let num = |s: &str| s.trim().parse::<f64>().ok();
        let cmp = |f: fn(f64, f64) -> bool| match (num(request), num(policy)) {
            (Some(r), Some(p)) => f(r, p),
            // A request value that is not a number matches no numeric condition.
            _ => false,
        };
        match self.positive() {
            Self::StringEquals => policy == request,
            Self::StringEqualsIgnoreCase => policy.to_lowercase() == request.to_lowercase(),
            Self::StringLike => wildcard_match(policy, request, false),
            Self::ArnEquals | Self::ArnLike => arn_match(policy, request),
            Self::Bool => policy.eq_ignore_ascii_case(request),
            #[expect(clippy::float_cmp, reason = "NumericEquals is exact equality")]
            Self::NumericEquals => cmp(|r, p| r == p),
            Self::NumericLessThan => cmp(|r, p| r < p),
            Self::NumericLessThanEquals => cmp(|r, p| r <= p),
            Self::NumericGreaterThan => cmp(|r, p| r > p),
            Self::NumericGreaterThanEquals => cmp(|r, p| r >= p),
            _ => false,
        }
    }
}

/// ARN matching as `ArnLike`/`ArnEquals` do it: each of the six colon-separated parts is
/// matched separately (with `*` and `?`), so `*` in the account part cannot swallow the resource
/// part. A request value that is not an ARN matches nothing.
fn arn_match(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    if parts.len() != 6 || parts.first() != Some(&"arn") {
        return false;
    }
    let pattern_parts: Vec<&str> = pattern.splitn(6, ':').collect();
    if pattern_parts.len() == 6 {
        pattern_parts
            .iter()
            .zip(&parts)
            .all(|(p, v)| wildcard_match(p, v, false))
    } else {
        // A policy value that is not ARN-shaped (such as a bare `*`) is matched whole.
        wildcard_match(pattern, value, false)
    }
}

/// Resolves IAM policy variables in one policy value: `${key}` becomes the request's value of
/// the single-valued key `key`, `${key, 'default'}` falls back to `default`, and `${*}`, `${?}`,
/// `${$}` stand for those characters. `None` when a referenced key is absent or multivalued:
/// such a policy value then matches nothing, as in IAM.
///
/// Not modelled: a `${*}` escape still acts as a wildcard under `StringLike`.
pub fn resolve_variables(value: &str, ctx: &RequestContext) -> Option<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some((before, after)) = rest.split_once("${") {
        out.push_str(before);
        let Some((inner, tail)) = after.split_once('}') else {
            // An unclosed `${` is literal text.
            out.push_str("${");
            out.push_str(after);
            return Some(out);
        };
        let (name, default) = match inner.split_once(',') {
            Some((name, d)) => {
                let d = d.trim();
                let d = d
                    .strip_prefix('\'')
                    .and_then(|d| d.strip_suffix('\''))
                    .unwrap_or(d);
                (name.trim(), Some(d))
            }
            None => (inner.trim(), None),
        };
        match name {
            "*" | "?" | "$" => out.push_str(name),
            key => match (ctx.get(key), default) {
                (Some(ContextValue::Single(v)), _) => out.push_str(v),
                (_, Some(d)) => out.push_str(d),
                _ => return None,
            },
        }
        rest = tail;
    }
    out.push_str(rest);
    Some(out)
}

/// How an operator treats a multivalued request key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// No prefix: the key is treated as one value (a set matches when any member does).
    None,
    /// `ForAllValues:`: every request value must match; true on an empty set.
    ForAllValues,
    /// `ForAnyValue:`: at least one request value must match; false on an empty set.
    ForAnyValue,
}

/// A full condition operator such as `ForAllValues:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    /// The `ForAllValues:`/`ForAnyValue:` prefix.
    pub qualifier: SetQualifier,
    /// The comparison.
    pub base: BaseOperator,
    /// The `IfExists` suffix.
    pub if_exists: bool,
}

impl Operator {
    /// Reads an operator name. Names are case-sensitive, as in IAM.
    pub fn parse(name: &str) -> Result<Self, EvalError> {
        let unknown = || EvalError::UnknownOperator {
            operator: name.to_owned(),
            help: did_you_mean(name, BASE_OPERATORS.iter().map(|(n, _)| *n)),
        };
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, rest)
        } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, rest)
        } else {
            (SetQualifier::None, name)
        };
        let (if_exists, rest) = match rest.strip_suffix("IfExists") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let base = BASE_OPERATORS
            .iter()
            .find(|(n, _)| *n == rest)
            .map(|(_, op)| *op)
            .ok_or_else(unknown)?;
        // `Null` tests presence: a set prefix or `IfExists` would make it meaningless.
        if base == BaseOperator::Null && (if_exists || qualifier != SetQualifier::None) {
            return Err(unknown());
        }
        Ok(Self {
            qualifier,
            base,
            if_exists,
        })
    }
}

impl std::str::FromStr for Operator {
    type Err = EvalError;

    /// Reads an operator name as AWS writes it: see [`Operator::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// One operator applied to one key: `"StringEquals": {"aws:RequestTag/env": ["dev"]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator as written.
    pub operator_name: String,
    /// The operator.
    pub operator: Operator,
    /// The condition key as written.
    pub key: String,
    /// The policy values, as strings (`true`, `42`, …).
    pub values: Vec<String>,
}

/// Reads a statement's `Condition` block: operators in document order, keys in document order.
pub fn parse_conditions(block: &Value) -> Result<Vec<Condition>, EvalError> {
    let malformed = |message: String| EvalError::MalformedPolicy { message };
    let Value::Object(ops) = block else {
        return Err(malformed("`Condition` must be an object".to_owned()));
    };
    let mut out = Vec::new();
    for (op_name, body) in ops {
        let operator = Operator::parse(op_name)?;
        let Value::Object(keys) = body else {
            return Err(malformed(format!(
                "the body of condition operator `{op_name}` must be an object of keys"
            )));
        };
        for (key, raw) in keys {
            let invalid = |message: &str| EvalError::InvalidConditionValue {
                operator: op_name.clone(),
                key: key.clone(),
                message: message.to_owned(),
            };
            let values = condition_values(raw)
                .ok_or_else(|| invalid("expected a string, boolean, number or an array of them"))?;
            check_values(operator.base, &values).map_err(invalid)?;
            out.push(Condition {
                operator_name: op_name.clone(),
                operator,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}

fn condition_values(raw: &Value) -> Option<Vec<String>> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match raw {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}

fn check_values(base: BaseOperator, values: &[String]) -> Result<(), &'static str> {
    match base {
        BaseOperator::Null | BaseOperator::Bool
            if !values
                .iter()
                .all(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")) =>
        {
            Err("expected `true` or `false`")
        }
        BaseOperator::NumericEquals
        | BaseOperator::NumericNotEquals
        | BaseOperator::NumericLessThan
        | BaseOperator::NumericLessThanEquals
        | BaseOperator::NumericGreaterThan
        | BaseOperator::NumericGreaterThanEquals
            if !values.iter().all(|v| v.trim().parse::<f64>().is_ok()) =>
        {
            Err("expected a number")
        }
        _ => Ok(()),
    }
}

/// Why a condition came out as it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The key is absent: false for a positive operator, true for a negated one.
    KeyAbsent,
    /// The key is absent and the operator ends in `IfExists`: true.
    KeyAbsentIfExists,
    /// No request values under `ForAllValues`: vacuously true.
    EmptySetForAllValues,
    /// No request values under `ForAnyValue`: false.
    EmptySetForAnyValue,
    /// `Null` on a key that is present.
    KeyPresent,
    /// The request values were compared with the policy values.
    Compared(Vec<String>),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyAbsent => f.write_str("key absent"),
            Self::KeyAbsentIfExists => f.write_str("key absent, IfExists"),
            Self::EmptySetForAllValues => f.write_str("no request values, ForAllValues"),
            Self::EmptySetForAnyValue => f.write_str("no request values, ForAnyValue"),
            Self::KeyPresent => f.write_str("key present"),
            Self::Compared(vs) => match vs.as_slice() {
                [one] => write!(f, "request value {one:?}"),
                many => write!(f, "request values {many:?}"),
            },
        }
    }
}

/// A condition evaluated against one request.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionOutcome {
    /// The condition.
    pub condition: Condition,
    /// Whether it matched.
    pub matched: bool,
    /// Why.
    pub reason: Reason,
}

impl fmt::Display for ConditionOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.condition;
        write!(f, "{} {} = ", c.operator_name, c.key)?;
        match c.values.as_slice() {
            [one] => f.write_str(one)?,
            many => write!(f, "[{}]", many.join(", "))?,
        }
        let verdict = if self.matched { "matched" } else { "failed" };
        write!(f, " {verdict} ({})", self.reason)
    }
}

impl Condition {
    /// Evaluates the condition against `ctx`.
    pub fn evaluate(&self, ctx: &RequestContext) -> ConditionOutcome {
        let (matched, reason) = self.decide(ctx);
        ConditionOutcome {
            condition: self.clone(),
            matched,
            reason,
        }
    }

    fn decide(&self, ctx: &RequestContext) -> (bool, Reason) {
        let op = self.operator;
        let request = ctx.get(&self.key).map(|v| v.values().to_vec());
        if op.base == BaseOperator::Null {
            // Several values are ORed like any other: `["true", "false"]` always matches.
            let absent = request.is_none();
            let matched = self
                .values
                .iter()
                .any(|v| v.eq_ignore_ascii_case("true") == absent);
            let reason = if absent {
                Reason::KeyAbsent
            } else {
                Reason::KeyPresent
            };
            return (matched, reason);
        }
        let negated = op.base.is_negated();
        let Some(request) = request else {
            return match op.qualifier {
                SetQualifier::ForAllValues => (true, Reason::EmptySetForAllValues),
                _ if op.if_exists => (true, Reason::KeyAbsentIfExists),
                SetQualifier::ForAnyValue => (false, Reason::EmptySetForAnyValue),
                SetQualifier::None => (negated, Reason::KeyAbsent),
            };
        };
        let policy: Vec<String> = self
            .values
            .iter()
            .filter_map(|p| resolve_variables(p, ctx))
            .collect();
        // Whether one request value equals/matches any policy value (positive form).
        let any_policy = |v: &String| policy.iter().any(|p| op.base.positive_match(p, v));
        // Per-value test under a set qualifier: for a negated operator, "matches none".
        let per_value = |v: &String| any_policy(v) != negated;
        let matched = match op.qualifier {
            SetQualifier::ForAllValues => request.iter().all(per_value),
            SetQualifier::ForAnyValue => request.iter().any(per_value),
            SetQualifier::None => request.iter().any(any_policy) != negated,
        };
        (matched, Reason::Compared(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn cond(block: &Value) -> Condition {
        let mut cs = parse_conditions(block).expect("test condition parses");
        assert_eq!(cs.len(), 1, "one condition per test block");
        cs.remove(0)
    }

    fn eval(block: &Value, ctx: &RequestContext) -> bool {
        cond(block).evaluate(ctx).matched
    }

    fn ctx() -> RequestContext {
        RequestContext::new("sagemaker:CreateTrainingJob", "*")
    }

    #[test]
    fn test_several_values_under_one_key_are_ored() {
        let c = json!({"StringEquals": {"aws:RequestTag/env": ["dev", "prod"]}});
        assert!(eval(&c, &ctx().with_request_tag("env", "prod")));
        assert!(!eval(&c, &ctx().with_request_tag("env", "test")));
    }

    #[test]
    fn test_negated_operator_with_several_values_is_nor() {
        let c = json!({"StringNotEquals": {"aws:RequestTag/environment": ["dev", "staging", "production"]}});
        assert!(!eval(&c, &ctx().with_request_tag("environment", "dev")));
        assert!(!eval(
            &c,
            &ctx().with_request_tag("environment", "production")
        ));
        assert!(eval(&c, &ctx().with_request_tag("environment", "Dev")));
    }

    #[test]
    fn test_negated_operator_true_on_missing_key() {
        for op in [
            "StringNotEquals",
            "StringNotEqualsIgnoreCase",
            "StringNotLike",
            "ArnNotEquals",
            "ArnNotLike",
            "NumericNotEquals",
        ] {
            let c = json!({op: {"aws:PrincipalArn": "1"}});
            assert!(eval(&c, &ctx()), "{op} on a missing key");
        }
    }

    #[test]
    fn test_positive_operator_false_on_missing_key() {
        for op in [
            "StringEquals",
            "StringEqualsIgnoreCase",
            "StringLike",
            "ArnEquals",
            "ArnLike",
            "Bool",
            "NumericEquals",
            "NumericLessThan",
            "NumericGreaterThanEquals",
        ] {
            let value = if op == "Bool" { "true" } else { "1" };
            let c = json!({op: {"aws:PrincipalArn": value}});
            assert!(!eval(&c, &ctx()), "{op} on a missing key");
        }
    }

    #[test]
    fn test_if_exists_true_on_missing_key() {
        let c = json!({"StringEqualsIfExists": {"aws:RequestTag/env": "dev"}});
        assert!(eval(&c, &ctx()));
        assert!(!eval(&c, &ctx().with_request_tag("env", "prod")));
        let c = json!({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}});
        assert!(eval(&c, &ctx()));
    }

    #[test]
    fn test_null_true_matches_absent_key() {
        // AWS's DenyRunInstanceWithNoProjectTag condition.
        let c = json!({"Null": {"aws:RequestTag/Project": "true"}});
        assert!(eval(&c, &ctx()));
        assert!(!eval(&c, &ctx().with_request_tag("project", "x")));
    }

    #[test]
    fn test_null_false_matches_present_key() {
        let c = json!({"Null": {"aws:TagKeys": "false"}});
        assert!(!eval(&c, &ctx()));
        assert!(eval(&c, &ctx().with_request_tag("a", "b")));
    }

    #[test]
    fn test_for_all_values_true_on_empty_set() {
        let c = json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["environment"]}});
        assert!(eval(&c, &ctx()));
        assert!(eval(&c, &ctx().with_tag_keys(Vec::<String>::new())));
    }

    #[test]
    fn test_for_all_values_requires_every_value_to_match() {
        let c = json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "owner"]}});
        assert!(eval(&c, &ctx().with_tag_keys(["environment", "owner"])));
        assert!(!eval(
            &c,
            &ctx().with_tag_keys(["environment", "CostCenter"])
        ));
    }

    #[test]
    fn test_for_all_values_string_equals_is_case_sensitive_on_tag_keys() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
        // `ForAllValues:StringEquals {"aws:TagKeys":["environment"]}` rejects
        // `Environment`.
        let c = json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["environment"]}});
        assert!(!eval(&c, &ctx().with_request_tag("Environment", "dev")));
        assert!(eval(&c, &ctx().with_request_tag("environment", "dev")));
    }

    #[test]
    fn test_for_any_value_false_on_empty_set() {
        let c = json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["access-project"]}});
        assert!(!eval(&c, &ctx()));
        assert!(eval(&c, &ctx().with_tag_keys(["x", "access-project"])));
        assert!(!eval(&c, &ctx().with_tag_keys(["x", "y"])));
    }

    #[test]
    fn test_negated_operator_under_set_qualifier_means_matches_none() {
        let all = json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a", "b"]}});
        assert!(eval(&all, &ctx().with_tag_keys(["c", "d"])));
        assert!(!eval(&all, &ctx().with_tag_keys(["c", "a"])));
        let any = json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a", "b"]}});
        assert!(eval(&any, &ctx().with_tag_keys(["a", "c"])));
        assert!(!eval(&any, &ctx().with_tag_keys(["a", "b"])));
    }

    #[test]
    fn test_request_tag_key_name_case_insensitive() {
        // The tag-key part of `aws:RequestTag/…` ignores case; values do not
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
        let c = json!({"StringEquals": {"AWS:requesttag/environment": ["dev"]}});
        assert!(eval(&c, &ctx().with_request_tag("Environment", "dev")));
        assert!(!eval(&c, &ctx().with_request_tag("Environment", "Dev")));
    }

    #[test]
    fn test_string_equals_ignore_case() {
        let c = json!({"StringEqualsIgnoreCase": {"aws:RequestTag/env": "DEV"}});
        assert!(eval(&c, &ctx().with_request_tag("env", "dev")));
        let c = json!({"StringNotEqualsIgnoreCase": {"aws:RequestTag/env": "DEV"}});
        assert!(!eval(&c, &ctx().with_request_tag("env", "dev")));
    }

    #[test]
    fn test_string_like_wildcards_and_string_equals_literal() {
        let like = json!({"StringLike": {"aws:RequestTag/cc": "CC-?1*"}});
        assert!(eval(&like, &ctx().with_request_tag("cc", "CC-x1yz")));
        assert!(!eval(&like, &ctx().with_request_tag("cc", "cc-x1yz")));
        let eq = json!({"StringEquals": {"aws:RequestTag/cc": "CC-*"}});
        assert!(!eval(&eq, &ctx().with_request_tag("cc", "CC-1")));
        assert!(eval(&eq, &ctx().with_request_tag("cc", "CC-*")));
    }

    #[test]
    fn test_arn_not_like_exempts_admin_role() {
        // AWS's "exempt an admin role" example.
        let c = json!({"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/name-of-admin-role-to-allow"}});
        let admin =
            ctx().with_principal_arn("arn:aws:iam::111122223333:role/name-of-admin-role-to-allow");
        let dev = ctx().with_principal_arn("arn:aws:iam::111122223333:role/developer");
        assert!(!eval(&c, &admin));
        assert!(eval(&c, &dev));
    }

    #[test]
    fn test_arn_wildcard_does_not_cross_segments() {
        let c = json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}});
        assert!(!eval(
            &c,
            &ctx().with_principal_arn("arn:aws:iam::1:a:role/x")
        ));
        assert!(eval(&c, &ctx().with_principal_arn("arn:aws:iam::1:role/x")));
    }

    #[test]
    fn test_arn_operators_false_on_non_arn() {
        let c = json!({"ArnLike": {"aws:PrincipalArn": "*"}});
        assert!(!eval(&c, &ctx().with_principal_arn("developer")));
        assert!(!eval(
            &c,
            &ctx().with_principal_arn("urn:aws:iam::1:role/d")
        ));
        assert!(eval(&c, &ctx().with_principal_arn("arn:aws:iam::1:role/d")));
    }

    #[test]
    fn test_bool_and_numeric_operators() {
        let b = json!({"Bool": {"aws:MultiFactorAuthPresent": true}});
        assert!(eval(
            &b,
            &ctx().with_key("aws:MultiFactorAuthPresent", "true")
        ));
        assert!(!eval(
            &b,
            &ctx().with_key("aws:MultiFactorAuthPresent", "false")
        ));
        let n = json!({"NumericLessThan": {"s3:max-keys": 10}});
        assert!(eval(&n, &ctx().with_key("s3:max-keys", "9")));
        assert!(!eval(&n, &ctx().with_key("s3:max-keys", "10")));
        let n = json!({"NumericGreaterThanEquals": {"s3:max-keys": "10"}});
        assert!(eval(&n, &ctx().with_key("s3:max-keys", "10")));
        let n = json!({"NumericNotEquals": {"s3:max-keys": [1, 2]}});
        assert!(!eval(&n, &ctx().with_key("s3:max-keys", "2")));
        assert!(eval(&n, &ctx().with_key("s3:max-keys", "3")));
    }

    #[test]
    fn test_policy_variable_resolves_from_request_context() {
        // ABAC (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html): the request tag must equal the principal's tag.
        let c = json!({"StringEquals": {"aws:RequestTag/project": "${aws:PrincipalTag/project}"}});
        let with_principal_tag = ctx().with_key("aws:PrincipalTag/project", "blue");
        assert!(eval(
            &c,
            &with_principal_tag
                .clone()
                .with_request_tag("project", "blue")
        ));
        assert!(!eval(
            &c,
            &with_principal_tag.with_request_tag("project", "red")
        ));
        // A variable whose key is absent matches nothing.
        assert!(!eval(&c, &ctx().with_request_tag("project", "blue")));
        let neg =
            json!({"StringNotEquals": {"aws:RequestTag/project": "${aws:PrincipalTag/project}"}});
        assert!(eval(&neg, &ctx().with_request_tag("project", "blue")));
    }

    #[test]
    fn test_policy_variable_default_and_escapes() {
        let c =
            json!({"StringEquals": {"aws:RequestTag/team": "t-${aws:PrincipalTag/team, 'none'}"}});
        assert!(eval(&c, &ctx().with_request_tag("team", "t-none")));
        assert_eq!(
            resolve_variables("a${$}b${?}", &ctx()).as_deref(),
            Some("a$b?")
        );
        assert_eq!(
            resolve_variables("x${open", &ctx()).as_deref(),
            Some("x${open")
        );
    }

    #[test]
    fn test_unknown_operator_is_an_error_with_suggestion() {
        let err = parse_conditions(&json!({"StringEqual": {"k": "v"}}));
        assert_eq!(
            err,
            Err(EvalError::UnknownOperator {
                operator: "StringEqual".to_owned(),
                help: Some("did you mean `StringEquals`?".to_owned())
            })
        );
        assert!(parse_conditions(&json!({"NullIfExists": {"k": "true"}})).is_err());
        assert!(parse_conditions(&json!({"ForAllValues:Null": {"k": "true"}})).is_err());
    }

    #[test]
    fn test_malformed_condition_values_are_errors() {
        assert!(parse_conditions(&json!({"StringEquals": {"k": {"a": 1}}})).is_err());
        assert!(parse_conditions(&json!({"StringEquals": ["k"]})).is_err());
        assert!(parse_conditions(&json!({"NumericEquals": {"k": "ten"}})).is_err());
        assert!(parse_conditions(&json!({"Null": {"k": "yes"}})).is_err());
        assert!(parse_conditions(&json!("x")).is_err());
    }

    #[test]
    fn test_outcome_display() {
        let c = json!({"Null": {"aws:RequestTag/environment": "true"}});
        let out = cond(&c).evaluate(&ctx());
        assert_eq!(
            out.to_string(),
            "Null aws:RequestTag/environment = true matched (key absent)"
        );
        let c = json!({"StringEquals": {"aws:RequestTag/env": ["dev", "prod"]}});
        let out = cond(&c).evaluate(&ctx().with_request_tag("env", "x"));
        assert_eq!(
            out.to_string(),
            "StringEquals aws:RequestTag/env = [dev, prod] failed (request value \"x\")"
        );
    }

    proptest! {
        #[test]
        fn prop_string_not_equals_negates_string_equals_when_present(
            value in "[a-zA-Z]{0,4}",
            policy in proptest::collection::vec("[a-zA-Z]{0,4}", 1..4),
        ) {
            let c = ctx().with_request_tag("k", value);
            let pos = eval(&json!({"StringEquals": {"aws:RequestTag/k": policy}}), &c);
            let neg = eval(&json!({"StringNotEquals": {"aws:RequestTag/k": policy}}), &c);
            prop_assert_ne!(pos, neg);
        }

        #[test]
        fn prop_negated_operator_is_nor_over_values(
            value in "[ab*]{0,3}",
            policy in proptest::collection::vec("[ab*]{0,3}", 1..4),
        ) {
            let c = ctx().with_request_tag("k", value);
            let nor = policy.iter().all(|p| {
                !eval(&json!({"StringLike": {"aws:RequestTag/k": p}}), &c)
            });
            let neg = eval(&json!({"StringNotLike": {"aws:RequestTag/k": policy}}), &c);
            prop_assert_eq!(nor, neg);
        }

        #[test]
        fn prop_for_all_values_is_not_for_any_value_of_negation(
            keys in proptest::collection::vec("[abc]", 0..4),
            policy in proptest::collection::vec("[abc]", 1..3),
        ) {
            // ForAllValues:StringEquals ≡ ¬ForAnyValue:StringNotEquals, empty set included.
            let c = ctx().with_tag_keys(keys);
            let all = eval(&json!({"ForAllValues:StringEquals": {"aws:TagKeys": policy}}), &c);
            let any_not = eval(&json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": policy}}), &c);
            prop_assert_eq!(all, !any_not);
        }
    }
}
