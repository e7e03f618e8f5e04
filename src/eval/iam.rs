//! IAM identity-policy and SCP evaluation.
//!
//! Input: a policy document as JSON (tagc's output or hand-written) and a [`RequestContext`].
//! Output: an [`Evaluation`]: the [`Verdict`], the statement that decided it and the outcome of
//! every condition of every statement that applies to the request, renderable as text.
//!
//! The rules are AWS's: an explicit `Deny` wins, then an `Allow`, else the request is implicitly
//! denied. An SCP is evaluated as it is deployed in a deny-list organization, next to
//! `FullAWSAccess`: the request is allowed unless a `Deny` statement matches.

use std::fmt;

use serde_json::{Map, Value};

use super::condition::{Condition, ConditionOutcome, parse_conditions};
use super::context::RequestContext;
use super::error::{EvalError, did_you_mean};
use crate::model::{Decision, wildcard_match};

/// How a document is deployed, which decides what "no matching statement" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// An IAM identity policy: without a matching `Allow` the request is implicitly denied.
    Identity,
    /// A service control policy next to `FullAWSAccess`: allowed unless a `Deny` matches.
    Scp,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// Which requests a statement's `Action`/`Resource` element covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patterns {
    /// `Action`/`Resource`: the listed patterns.
    Only(Vec<String>),
    /// `NotAction`/`NotResource`: everything except the listed patterns.
    AllExcept(Vec<String>),
}

/// One parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Position in the document, from 0.
    pub index: usize,
    /// The `Sid`, if any.
    pub sid: Option<String>,
    /// The effect.
    pub effect: Effect,
    /// `Action` or `NotAction`.
    pub actions: Patterns,
    /// `Resource` or `NotResource`; `Resource: "*"` when absent.
    pub resources: Patterns,
    /// The conditions, all of which must match.
    pub conditions: Vec<Condition>,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// A name to show in explanations (such as the artifact's file name).
    pub name: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

const POLICY_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
    "NotPrincipal",
];

fn malformed(message: impl Into<String>) -> EvalError {
    EvalError::MalformedPolicy {
        message: message.into(),
    }
}

fn check_elements(obj: &Map<String, Value>, known: &[&str]) -> Result<(), EvalError> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(EvalError::UnknownElement {
            element: k.clone(),
            help: did_you_mean(k, known.iter().copied()),
        }),
        None => Ok(()),
    }
}

fn string_list(value: &Value, element: &str) -> Result<Vec<String>, EvalError> {
    let bad = || {
        malformed(format!(
            "`{element}` must be a string or an array of strings"
        ))
    };
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

fn patterns(
    obj: &Map<String, Value>,
    positive: &str,
    negative: &str,
    default: Option<Patterns>,
) -> Result<Patterns, EvalError> {
    match (obj.get(positive), obj.get(negative)) {
        (Some(_), Some(_)) => Err(malformed(format!(
            "a statement cannot have both `{positive}` and `{negative}`"
        ))),
        (Some(v), None) => Ok(Patterns::Only(string_list(v, positive)?)),
        (None, Some(v)) => Ok(Patterns::AllExcept(string_list(v, negative)?)),
        (None, None) => default
            .ok_or_else(|| malformed(format!("a statement needs `{positive}` or `{negative}`"))),
    }
}

impl Statement {
    fn parse(index: usize, value: &Value) -> Result<Self, EvalError> {
        let Value::Object(obj) = value else {
            return Err(malformed(format!("statement {index} must be an object")));
        };
        check_elements(obj, &STATEMENT_ELEMENTS)?;
        if obj.contains_key("Principal") || obj.contains_key("NotPrincipal") {
            return Err(malformed(format!(
                "statement {index} names a principal, which identity policies and SCPs cannot do"
            )));
        }
        let sid = match obj.get("Sid") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(malformed("`Sid` must be a string")),
        };
        let effect = match obj.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            Some(other) => {
                return Err(malformed(format!(
                    "`Effect` must be `Allow` or `Deny`, not `{other}`"
                )));
            }
            None => return Err(malformed(format!("statement {index} has no `Effect`"))),
        };
        let actions = patterns(obj, "Action", "NotAction", None)?;
        // SCPs may omit `Resource`; it then means every resource.
        let resources = patterns(
            obj,
            "Resource",
            "NotResource",
            Some(Patterns::Only(vec!["*".to_owned()])),
        )?;
        let conditions = match obj.get("Condition") {
            Some(block) => parse_conditions(block)?,
            None => Vec::new(),
        };
        Ok(Self {
            index,
            sid,
            effect,
            actions,
            resources,
            conditions,
        })
    }

    /// Whether the statement's `Action`/`NotAction` covers `action` (case-insensitively).
    pub fn covers_action(&self, action: &str) -> bool {
        let hit = |ps: &[String]| ps.iter().any(|p| wildcard_match(p, action, true));
        match &self.actions {
            Patterns::Only(ps) => hit(ps),
            Patterns::AllExcept(ps) => !hit(ps),
        }
    }

    /// Whether the statement's `Resource`/`NotResource` covers `resource`. An unspecified
    /// resource (`*`) stands for the resource the policy is about: it is inside every
    /// `Resource` list, and so outside every `NotResource` statement.
    pub fn covers_resource(&self, resource: &str) -> bool {
        if resource == "*" {
            return match &self.resources {
                Patterns::Only(_) => true,
                Patterns::AllExcept(ps) => ps.is_empty(),
            };
        }
        let hit = |ps: &[String]| ps.iter().any(|p| wildcard_match(p, resource, false));
        match &self.resources {
            Patterns::Only(ps) => hit(ps),
            Patterns::AllExcept(ps) => !hit(ps),
        }
    }
}

impl Policy {
    /// Reads an IAM policy document (`Statement` as object or array).
    pub fn parse(doc: &Value) -> Result<Self, EvalError> {
        let Value::Object(obj) = doc else {
            return Err(malformed("a policy document must be a json object"));
        };
        check_elements(obj, &POLICY_ELEMENTS)?;
        let statements = match obj.get("Statement") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, s)| Statement::parse(i, s))
                .collect::<Result<_, _>>()?,
            Some(single @ Value::Object(_)) => vec![Statement::parse(0, single)?],
            Some(_) => return Err(malformed("`Statement` must be an object or an array")),
            None => return Err(malformed("the document has no `Statement`")),
        };
        Ok(Self {
            name: None,
            statements,
        })
    }

    /// The same policy, named in explanations.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Evaluates the request against this policy alone.
    pub fn evaluate(&self, kind: PolicyKind, ctx: &RequestContext) -> Evaluation {
        evaluate_policies(std::slice::from_ref(self), kind, ctx)
    }
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// An `Allow` statement matched (identity policy) or no `Deny` matched (SCP).
    Allow,
    /// A `Deny` statement matched.
    ExplicitDeny,
    /// No statement allowed the request (identity policy only).
    ImplicitDeny,
}

impl Verdict {
    /// Allow or deny, without the reason.
    pub fn decision(self) -> Decision {
        match self {
            Self::Allow => Decision::Allow,
            Self::ExplicitDeny | Self::ImplicitDeny => Decision::Deny,
        }
    }
}

/// A statement whose `Action` and `Resource` cover the request, with its conditions evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementOutcome {
    /// The policy's name, if it has one.
    pub policy: Option<String>,
    /// The statement's index in its document.
    pub index: usize,
    /// Its `Sid`.
    pub sid: Option<String>,
    /// Its effect.
    pub effect: Effect,
    /// Every condition, in document order.
    pub conditions: Vec<ConditionOutcome>,
    /// Whether all conditions matched, so the statement takes effect.
    pub matched: bool,
}

impl StatementOutcome {
    fn label(&self) -> String {
        let stmt = match &self.sid {
            Some(sid) => format!("statement {} (Sid {sid:?})", self.index),
            None => format!("statement {}", self.index),
        };
        match &self.policy {
            Some(p) => format!("policy {p:?} {stmt}"),
            None => stmt,
        }
    }
}

/// A decision with its explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// How the documents were deployed.
    pub kind: PolicyKind,
    /// The request's action.
    pub action: String,
    /// The outcome.
    pub verdict: Verdict,
    /// The statement that decided it: the first matching `Deny`, else the first matching
    /// `Allow`; `None` for an implicit deny or an SCP allow (decided by `FullAWSAccess`).
    pub decided_by: Option<StatementOutcome>,
    /// Every statement whose action and resource cover the request, in order.
    pub considered: Vec<StatementOutcome>,
}

impl Evaluation {
    /// Allow or deny.
    pub fn decision(&self) -> Decision {
        self.verdict.decision()
    }

    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.verdict == Verdict::Allow
    }
}

fn write_conditions(f: &mut fmt::Formatter<'_>, conditions: &[ConditionOutcome]) -> fmt::Result {
    if conditions.is_empty() {
        return f.write_str("no conditions");
    }
    for (i, c) in conditions.iter().enumerate() {
        if i > 0 {
            f.write_str(" and ")?;
        }
        write!(f, "{c}")?;
    }
    Ok(())
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.decided_by {
            let verb = if self.verdict == Verdict::Allow {
                "allowed"
            } else {
                "denied"
            };
            write!(f, "{verb} by {}: ", s.label())?;
            return write_conditions(f, &s.conditions);
        }
        if self.verdict == Verdict::ImplicitDeny {
            write!(
                f,
                "implicitly denied: no statement allows `{}`",
                self.action
            )?;
        } else {
            write!(
                f,
                "allowed by FullAWSAccess: no deny statement matches `{}`",
                self.action
            )?;
        }
        // Say why each statement that could have applied did not, one per line.
        for s in &self.considered {
            write!(f, "\n{} not applied: ", s.label())?;
            let failed = s.conditions.iter().filter(|c| !c.matched);
            for (i, c) in failed.enumerate() {
                if i > 0 {
                    f.write_str(" and ")?;
                }
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Evaluates a request against several documents deployed together: identity policies attached
/// to one principal, or the SCPs on the path from the root to an account (each level keeping
/// `FullAWSAccess`). Any matching `Deny` wins.
pub fn evaluate_policies(
    policies: &[Policy],
    kind: PolicyKind,
    ctx: &RequestContext,
) -> Evaluation {
    let considered: Vec<StatementOutcome> = policies
        .iter()
        .flat_map(|p| p.statements.iter().map(move |s| (p, s)))
        .filter(|(_, s)| s.covers_action(&ctx.action) && s.covers_resource(&ctx.resource))
        .filter(|(_, s)| kind == PolicyKind::Identity || s.effect == Effect::Deny)
        .map(|(p, s)| {
            let conditions: Vec<_> = s.conditions.iter().map(|c| c.evaluate(ctx)).collect();
            StatementOutcome {
                policy: p.name.clone(),
                index: s.index,
                sid: s.sid.clone(),
                effect: s.effect,
                matched: conditions.iter().all(|c| c.matched),
                conditions,
            }
        })
        .collect();
    let first = |effect| {
        considered
            .iter()
            .find(|s| s.matched && s.effect == effect)
            .cloned()
    };
    let (verdict, decided_by) = if let Some(deny) = first(Effect::Deny) {
        (Verdict::ExplicitDeny, Some(deny))
    } else if kind == PolicyKind::Scp {
        (Verdict::Allow, None)
    } else if let Some(allow) = first(Effect::Allow) {
        (Verdict::Allow, Some(allow))
    } else {
        (Verdict::ImplicitDeny, None)
    };
    Evaluation {
        kind,
        action: ctx.action.clone(),
        verdict,
        decided_by,
        considered,
    }
}

/// Parses `doc` and evaluates the request against it.
pub fn evaluate(
    doc: &Value,
    kind: PolicyKind,
    ctx: &RequestContext,
) -> Result<Evaluation, EvalError> {
    Ok(Policy::parse(doc)?.evaluate(kind, ctx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed_policy() -> Value {
        // An identity policy that allows SageMaker creates only with an `environment` tag of
        // one of three values and no other tag key.
        json!({"Version": "2012-10-17", "Statement": {
            "Sid": "SageMakerEnforceEnvtOnCreate", "Effect": "Allow",
            "Action": ["sagemaker:CreateDomain", "sagemaker:CreateEndpoint",
                       "sagemaker:CreateNotebookInstance", "sagemaker:CreateTrainingJob"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestTag/environment": ["dev", "staging", "production"]},
                          "ForAllValues:StringEquals": {"aws:TagKeys": ["environment"]}}}})
    }

    fn create_job() -> RequestContext {
        RequestContext::new("sagemaker:CreateTrainingJob", "*")
    }

    fn run(doc: &Value, kind: PolicyKind, ctx: &RequestContext) -> Evaluation {
        evaluate(doc, kind, ctx).expect("test policy parses")
    }

    #[test]
    fn test_explicit_deny_wins_over_allow() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "NoTraining", "Effect": "Deny", "Action": "sagemaker:CreateTrainingJob", "Resource": "*"}]});
        let e = run(&doc, PolicyKind::Identity, &create_job());
        assert_eq!(e.verdict, Verdict::ExplicitDeny);
        assert_eq!(e.decided_by.map(|s| s.index), Some(1));
    }

    #[test]
    fn test_identity_policy_without_matching_allow_is_implicit_deny() {
        let doc =
            json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}});
        let e = run(&doc, PolicyKind::Identity, &create_job());
        assert_eq!(e.verdict, Verdict::ImplicitDeny);
        assert_eq!(e.decision(), Decision::Deny);
    }

    #[test]
    fn test_scp_allows_unless_a_deny_matches() {
        // Allow statements in an SCP grant nothing beyond FullAWSAccess; only Deny decides.
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}]});
        let e = run(&doc, PolicyKind::Scp, &create_job());
        assert_eq!(e.verdict, Verdict::Allow);
        assert!(e.decided_by.is_none());
        let e = run(
            &doc,
            PolicyKind::Scp,
            &RequestContext::new("ec2:RunInstances", "*"),
        );
        assert_eq!(e.verdict, Verdict::ExplicitDeny);
    }

    #[test]
    fn test_scp_deny_run_instances_without_project_tag() {
        // AWS's own example
        // (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_tagging.html).
        let doc = json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyRunInstanceWithNoProjectTag", "Effect": "Deny", "Action": "ec2:RunInstances",
            "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:volume/*"],
            "Condition": {"Null": {"aws:RequestTag/Project": "true"}}}]});
        let inst = "arn:aws:ec2:us-east-1:111122223333:instance/i-1";
        let no_tag = RequestContext::new("ec2:RunInstances", inst);
        assert_eq!(
            run(&doc, PolicyKind::Scp, &no_tag).verdict,
            Verdict::ExplicitDeny
        );
        let tagged = no_tag.clone().with_request_tag("project", "x");
        assert_eq!(run(&doc, PolicyKind::Scp, &tagged).verdict, Verdict::Allow);
        // Other resource types (here a security group) are not covered by the statement.
        let sg = RequestContext::new(
            "ec2:RunInstances",
            "arn:aws:ec2:us-east-1:1:security-group/sg-1",
        );
        assert_eq!(run(&doc, PolicyKind::Scp, &sg).verdict, Verdict::Allow);
    }

    #[test]
    fn test_scp_string_not_equals_denies_missing_and_wrong_values() {
        // A negated operator is true on a missing key, so one statement denies both a missing
        // and a wrong value
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
        let doc = json!({"Statement": {"Effect": "Deny", "Action": "sagemaker:CreateTrainingJob", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestTag/environment": ["dev", "staging", "production"]}}}});
        let deny =
            |ctx: &RequestContext| run(&doc, PolicyKind::Scp, ctx).verdict == Verdict::ExplicitDeny;
        assert!(deny(&create_job()));
        assert!(deny(&create_job().with_request_tag("environment", "Dev")));
        assert!(!deny(&create_job().with_request_tag("environment", "dev")));
        // The tag-key part ignores case: an `Environment` tag satisfies the condition.
        assert!(!deny(
            &create_job().with_request_tag("Environment", "staging")
        ));
    }

    #[test]
    fn test_conditions_under_one_operator_and_across_operators_are_anded() {
        // Protect a tag key except for the admin role, as in AWS's SCP examples
        // (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_tagging.html,
        // https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html).
        let doc = json!({"Statement": {"Sid": "ProtectAccessProject", "Effect": "Deny",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags"], "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["access-project"]},
                          "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/name-of-admin-role-to-allow"}}}});
        let req = |principal: &str, key: &str| {
            RequestContext::new("ec2:CreateTags", "*")
                .with_principal_arn(principal)
                .with_request_tag(key, "v")
        };
        let dev = "arn:aws:iam::111122223333:role/dev";
        let admin = "arn:aws:iam::111122223333:role/name-of-admin-role-to-allow";
        let deny =
            |ctx: &RequestContext| run(&doc, PolicyKind::Scp, ctx).verdict == Verdict::ExplicitDeny;
        assert!(deny(&req(dev, "access-project")));
        assert!(!deny(&req(admin, "access-project")));
        assert!(!deny(&req(dev, "other")));

        // Two keys under one `Null`: AND, so the deny fires only when both are missing.
        let doc = json!({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"Null": {"aws:RequestTag/A": "true", "aws:RequestTag/B": "true"}}}});
        let deny =
            |ctx: &RequestContext| run(&doc, PolicyKind::Scp, ctx).verdict == Verdict::ExplicitDeny;
        assert!(deny(&create_job()));
        assert!(!deny(&create_job().with_request_tag("a", "1")));
    }

    #[test]
    fn test_seed_policy_allows_only_lowercase_environment_alone() {
        // `StringEquals` on `aws:RequestTag/environment` ignores the key's case, while
        // `ForAllValues:StringEquals` on `aws:TagKeys` does not: only a lowercase `environment`,
        // alone, passes both
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html).
        let doc = seed_policy();
        let allowed = |ctx: &RequestContext| run(&doc, PolicyKind::Identity, ctx).is_allowed();
        assert!(allowed(
            &create_job().with_request_tag("environment", "dev")
        ));
        assert!(
            !allowed(&create_job()),
            "missing tag: StringEquals is false"
        );
        assert!(!allowed(
            &create_job().with_request_tag("environment", "qa")
        ));
        assert!(
            !allowed(&create_job().with_request_tag("Environment", "dev")),
            "aws:TagKeys compares case-sensitively"
        );
        assert!(
            !allowed(
                &create_job()
                    .with_request_tag("environment", "dev")
                    .with_request_tag("owner", "me")
            ),
            "ForAllValues forbids every other tag"
        );
    }

    #[test]
    fn test_action_names_and_service_prefix_case_insensitive() {
        let doc = json!({"Statement": {"Effect": "Allow", "Action": "SageMaker:createtraining*", "Resource": "*"}});
        assert!(run(&doc, PolicyKind::Identity, &create_job()).is_allowed());
        let doc = json!({"Statement": {"Effect": "Allow", "Action": "sagemaker:Create?rainingJob", "Resource": "*"}});
        assert!(run(&doc, PolicyKind::Identity, &create_job()).is_allowed());
    }

    #[test]
    fn test_not_action_and_not_resource() {
        let doc = json!({"Statement": {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}});
        assert!(!run(&doc, PolicyKind::Scp, &create_job()).is_allowed());
        assert!(
            run(
                &doc,
                PolicyKind::Scp,
                &RequestContext::new("s3:GetObject", "*")
            )
            .is_allowed()
        );
        let doc = json!({"Statement": {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::ok/*"}});
        assert!(
            run(
                &doc,
                PolicyKind::Scp,
                &RequestContext::new("s3:GetObject", "arn:aws:s3:::ok/k")
            )
            .is_allowed()
        );
        assert!(
            !run(
                &doc,
                PolicyKind::Scp,
                &RequestContext::new("s3:GetObject", "arn:aws:s3:::no/k")
            )
            .is_allowed()
        );
    }

    #[test]
    fn test_malformed_documents_are_errors_not_panics() {
        let ctx = create_job();
        for doc in [
            json!([]),
            json!({}),
            json!({"Statement": "x"}),
            json!({"Statement": {"Effect": "Maybe", "Action": "*"}}),
            json!({"Statement": {"Action": "*"}}),
            json!({"Statement": {"Effect": "Allow"}}),
            json!({"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "*"}}),
            json!({"Statement": {"Effect": "Allow", "Action": [1]}}),
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Principal": "*"}}),
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"Foo": {}}}}),
        ] {
            assert!(evaluate(&doc, PolicyKind::Identity, &ctx).is_err(), "{doc}");
        }
        assert_eq!(
            Policy::parse(&json!({"Statement": [], "Versoin": "2012-10-17"})),
            Err(EvalError::UnknownElement {
                element: "Versoin".to_owned(),
                help: Some("did you mean `Version`?".to_owned())
            })
        );
    }

    #[test]
    fn test_explanation_names_statement_and_conditions() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
            {"Sid": "RequireEnvironment", "Effect": "Deny", "Action": "sagemaker:Create*", "Resource": "*",
             "Condition": {"Null": {"aws:RequestTag/environment": "true"}}}]});
        let e = run(&doc, PolicyKind::Scp, &create_job());
        assert_eq!(
            e.to_string(),
            "denied by statement 2 (Sid \"RequireEnvironment\"): Null aws:RequestTag/environment = true matched (key absent)"
        );
        let e = run(
            &doc,
            PolicyKind::Scp,
            &create_job().with_request_tag("environment", "x"),
        );
        assert_eq!(
            e.to_string(),
            "allowed by FullAWSAccess: no deny statement matches `sagemaker:CreateTrainingJob`\nstatement 2 (Sid \"RequireEnvironment\") not applied: Null aws:RequestTag/environment = true failed (key present)"
        );
        let e = run(&seed_policy(), PolicyKind::Identity, &create_job()).to_string();
        assert!(e.starts_with("implicitly denied: no statement allows `sagemaker:CreateTrainingJob`\nstatement 0 (Sid \"SageMakerEnforceEnvtOnCreate\") not applied: StringEquals aws:RequestTag/environment = [dev, staging, production] failed (key absent)"), "{e}");
        let named = Policy::parse(&doc).expect("parses").with_name("scp.json");
        let e = named.evaluate(PolicyKind::Scp, &create_job()).to_string();
        assert!(
            e.starts_with("denied by policy \"scp.json\" statement 2"),
            "{e}"
        );
    }

    #[test]
    fn test_protect_deny_scoped_to_standalone_tagging_spares_tag_on_create() {
        // Creating with tags also authorizes `sagemaker:AddTags`, with `sagemaker:TaggingAction`
        // set (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html):
        // `Null: {"sagemaker:TaggingAction": "true"}` hits only a
        // standalone AddTags, so creating with the tag keeps working.
        use crate::model::Request;
        let doc = json!({"Statement": {"Sid": "ProtectEnvironment", "Effect": "Deny",
            "Action": ["sagemaker:AddTags", "sagemaker:DeleteTags"], "Resource": "*",
            "Condition": {"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": ["environment"]},
                          "Null": {"sagemaker:TaggingAction": "true"}}}});
        let request = |action: &str, on_create: Option<&str>| Request {
            principal: crate::model::DEFAULT_PRINCIPAL.to_owned(),
            action: action.to_owned(),
            tags: vec![("Environment".to_owned(), "dev".to_owned())],
            on_create: on_create.map(str::to_owned),
            resource: None,
        };
        let verdict =
            |r: &Request| run(&doc, PolicyKind::Scp, &RequestContext::from_request(r)).verdict;
        assert_eq!(
            verdict(&request("sagemaker:AddTags", None)),
            Verdict::ExplicitDeny
        );
        assert_eq!(
            verdict(&request("sagemaker:DeleteTags", None)),
            Verdict::ExplicitDeny
        );
        assert_eq!(
            verdict(&request("sagemaker:AddTags", Some("CreateTrainingJob"))),
            Verdict::Allow
        );
    }

    #[test]
    fn test_deny_in_any_of_several_policies_wins() {
        let allow = Policy::parse(
            &json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
        )
        .expect("parses");
        let deny = Policy::parse(
            &json!({"Statement": {"Effect": "Deny", "Action": "sagemaker:*", "Resource": "*"}}),
        )
        .expect("parses");
        let e = evaluate_policies(&[allow.clone(), deny], PolicyKind::Identity, &create_job());
        assert_eq!(e.verdict, Verdict::ExplicitDeny);
        assert!(evaluate_policies(&[allow], PolicyKind::Identity, &create_job()).is_allowed());
    }
}
