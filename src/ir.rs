//! The intermediate form: policy documents shaped like AWS's JSON, before serialization.
//!
//! [`crate::lower`] builds these from the checked model; [`crate::emit`] serializes them, sizes
//! them against limits and splits SCPs that do not fit. Keeping the shape here, not in JSON
//! values, lets the emitter merge and split statements without re-parsing anything.

use serde_json::{Map, Value, json};

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants (IAM) or leaves in place (SCP).
    Allow,
    /// Refuses.
    Deny,
}

/// Declares [`ConditionOperator`] from one table, so that its variants, its AWS names and
/// [`ConditionOperator::ALL`] cannot drift apart.
macro_rules! condition_operators {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// The IAM condition operators tagc emits, each `Display`ed as AWS names it
        /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>,
        /// set qualifiers:
        /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ConditionOperator {
            $($(#[$doc])* $variant,)*
        }

        impl ConditionOperator {
            /// Every operator, in declaration order.
            pub const ALL: &[Self] = &[$(Self::$variant,)*];

            /// The operator's name in a policy document.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

condition_operators! {
    /// `Null`: whether the key is absent (`true`) or present (`false`).
    Null => "Null",
    /// `StringEquals`.
    StringEquals => "StringEquals",
    /// `StringNotEquals`: true on a missing key.
    StringNotEquals => "StringNotEquals",
    /// `StringLike`: `*` and `?` are wildcards.
    StringLike => "StringLike",
    /// `StringNotLike`: true on a missing key.
    StringNotLike => "StringNotLike",
    /// `ArnNotLike`: true on a missing key.
    ArnNotLike => "ArnNotLike",
    /// `ForAllValues:StringNotEquals`: true on an empty set.
    ForAllValuesStringNotEquals => "ForAllValues:StringNotEquals",
    /// `ForAllValues:StringEqualsIgnoreCase`: true on an empty set.
    ForAllValuesStringEqualsIgnoreCase => "ForAllValues:StringEqualsIgnoreCase",
    /// `ForAllValues:StringNotEqualsIgnoreCase`: true on an empty set.
    ForAllValuesStringNotEqualsIgnoreCase => "ForAllValues:StringNotEqualsIgnoreCase",
    /// `ForAnyValue:StringEquals`: false on an empty set.
    ForAnyValueStringEquals => "ForAnyValue:StringEquals",
    /// `ForAnyValue:StringLike`: false on an empty set.
    ForAnyValueStringLike => "ForAnyValue:StringLike",
    /// `ForAnyValue:StringEqualsIfExists`.
    ForAnyValueStringEqualsIfExists => "ForAnyValue:StringEqualsIfExists",
    /// `ForAnyValue:StringLikeIfExists`.
    ForAnyValueStringLikeIfExists => "ForAnyValue:StringLikeIfExists",
    /// `ForAnyValue:StringEqualsIgnoreCase`: false on an empty set.
    ForAnyValueStringEqualsIgnoreCase => "ForAnyValue:StringEqualsIgnoreCase",
    /// `ForAnyValue:StringNotEqualsIgnoreCase`: false on an empty set.
    ForAnyValueStringNotEqualsIgnoreCase => "ForAnyValue:StringNotEqualsIgnoreCase",
}

impl std::fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of the operators tagc emits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a condition operator tagc emits")]
pub struct UnknownOperator(pub String);

impl std::str::FromStr for ConditionOperator {
    type Err = UnknownOperator;

    /// Reads an operator name exactly as AWS writes it (names are case-sensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|op| op.name() == s)
            .ok_or_else(|| UnknownOperator(s.to_owned()))
    }
}

/// One condition clause: `operator → key → values`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Condition {
    /// Such as `StringNotEquals` or `ForAnyValue:StringEqualsIgnoreCase`.
    pub operator: ConditionOperator,
    /// Such as `aws:RequestTag/environment`.
    pub key: String,
    /// The values (`OR` for positive operators, `NOR` for negated ones).
    pub values: Vec<String>,
}

impl Condition {
    /// A clause.
    pub fn new(operator: ConditionOperator, key: impl Into<String>, values: Vec<String>) -> Self {
        Self {
            operator,
            key: key.into(),
            values,
        }
    }
}

/// One IAM statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Statement id (letters and digits only).
    pub sid: String,
    /// The effect.
    pub effect: Effect,
    /// Actions, in order.
    pub actions: Vec<String>,
    /// Resources; empty means `*`.
    pub resources: Vec<String>,
    /// Whether `resources` are the ones the statement does *not* apply to (`NotResource`).
    pub not_resource: bool,
    /// Conditions, combined with `AND`, in order.
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// Whether two statements differ only in their actions, so they can be one statement.
    pub fn same_scope(&self, other: &Self) -> bool {
        self.effect == other.effect
            && self.resources == other.resources
            && self.not_resource == other.not_resource
            && self.conditions == other.conditions
    }

    /// The statement as AWS JSON, members in AWS's customary order.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("Sid".into(), json!(self.sid));
        m.insert(
            "Effect".into(),
            json!(match self.effect {
                Effect::Allow => "Allow",
                Effect::Deny => "Deny",
            }),
        );
        m.insert("Action".into(), one_or_many(&self.actions));
        if self.not_resource {
            m.insert("NotResource".into(), one_or_many(&self.resources));
        } else if self.resources.is_empty() {
            m.insert("Resource".into(), json!("*"));
        } else {
            m.insert("Resource".into(), one_or_many(&self.resources));
        }
        if !self.conditions.is_empty() {
            let mut ops: Map<String, Value> = Map::new();
            for c in &self.conditions {
                let entry = ops
                    .entry(c.operator.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(keys) = entry {
                    keys.insert(c.key.clone(), one_or_many(&c.values));
                }
            }
            m.insert("Condition".into(), Value::Object(ops));
        }
        Value::Object(m)
    }
}

/// A single string where there is one value: shorter, and how AWS writes its examples.
fn one_or_many(values: &[String]) -> Value {
    match values {
        [one] => json!(one),
        many => json!(many),
    }
}

/// An IAM policy document (identity policy or SCP).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyDocument {
    /// Statements in order.
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// The document as AWS JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": self.statements.iter().map(Statement::to_json).collect::<Vec<_>>(),
        })
    }
}

/// One key's statement in a tag policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPolicyKey {
    /// The key in its exact casing (also the policy key).
    pub key: String,
    /// Allowed values, if restricted.
    pub values: Option<Vec<String>>,
    /// `enforced_for` resource types.
    pub enforced_for: Vec<String>,
    /// `report_required_tag_for` resource types.
    pub report_required_for: Vec<String>,
}

/// An Organizations tag policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagPolicyDocument {
    /// One statement per key, in order.
    pub keys: Vec<TagPolicyKey>,
}

impl TagPolicyDocument {
    /// The document as AWS JSON, with the inheritance operators that keep each rule's meaning
    /// wherever the document sits in the organization tree:
    ///
    /// - `tag_key` and `tag_value`: `@@assign`, locked for children (`@@none`). Every tagc
    ///   policy naming a key assigns the same casing and values (they come from the one `tag`
    ///   declaration), so a lower tagc policy changes nothing, and no lower policy can widen the
    ///   values or change the casing the rules declare.
    /// - `enforced_for` and `report_required_tag_for`: `@@append`, with only `@@append` allowed
    ///   to children. `@@assign` in a child would replace the inherited list, so a policy lower
    ///   in the tree would erase what a higher one enforces; appending makes the effective list
    ///   the union of every policy on the path, which is what the rules say.
    ///
    /// Operators: <https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html>;
    /// merge examples:
    /// <https://docs.aws.amazon.com/organizations/latest/userguide/inheritance-examples.html>.
    pub fn to_json(&self) -> Value {
        const CHILD_OPS: &str = "@@operators_allowed_for_child_policies";
        let mut tags = Map::new();
        for k in &self.keys {
            let mut m = Map::new();
            m.insert(
                "tag_key".into(),
                json!({ CHILD_OPS: ["@@none"], "@@assign": k.key }),
            );
            if let Some(values) = &k.values {
                m.insert(
                    "tag_value".into(),
                    json!({ CHILD_OPS: ["@@none"], "@@assign": values }),
                );
            }
            for (setting, types) in [
                ("enforced_for", &k.enforced_for),
                ("report_required_tag_for", &k.report_required_for),
            ] {
                if !types.is_empty() {
                    m.insert(
                        setting.into(),
                        json!({ CHILD_OPS: ["@@append"], "@@append": types }),
                    );
                }
            }
            tags.insert(k.key.clone(), Value::Object(m));
        }
        json!({ "tags": tags })
    }
}

/// Everything one tagc policy lowers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoweredPolicy {
    /// The tagc policy's name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The SCP (Deny statements); empty when the policy has no SCP rules.
    pub scp: PolicyDocument,
    /// The IAM identity policy: the same guardrails, plus the Allow form on request.
    pub iam: PolicyDocument,
    /// The tag policy; empty when the policy names no keys.
    pub tag_policy: TagPolicyDocument,
    /// The wildcards `actions compact` wrote in the guardrails (empty otherwise).
    pub wildcards: Vec<crate::artifact::Wildcard>,
}

#[cfg(test)]
mod tests {
    use tagc_eval::condition::{BaseOperator, Operator, SetQualifier};

    use super::ConditionOperator;

    /// What each operator means, written out by hand from its AWS name. The match lists every
    /// variant: a new operator does not build until its meaning is written here.
    fn meaning(op: ConditionOperator) -> Operator {
        use BaseOperator as B;
        use ConditionOperator as C;
        use SetQualifier as Q;
        let (qualifier, base, if_exists) = match op {
            C::Null => (Q::None, B::Null, false),
            C::StringEquals => (Q::None, B::StringEquals, false),
            C::StringNotEquals => (Q::None, B::StringNotEquals, false),
            C::StringLike => (Q::None, B::StringLike, false),
            C::StringNotLike => (Q::None, B::StringNotLike, false),
            C::ArnNotLike => (Q::None, B::ArnNotLike, false),
            C::ForAllValuesStringNotEquals => (Q::ForAllValues, B::StringNotEquals, false),
            C::ForAllValuesStringEqualsIgnoreCase => {
                (Q::ForAllValues, B::StringEqualsIgnoreCase, false)
            }
            C::ForAllValuesStringNotEqualsIgnoreCase => {
                (Q::ForAllValues, B::StringNotEqualsIgnoreCase, false)
            }
            C::ForAnyValueStringEquals => (Q::ForAnyValue, B::StringEquals, false),
            C::ForAnyValueStringLike => (Q::ForAnyValue, B::StringLike, false),
            C::ForAnyValueStringEqualsIfExists => (Q::ForAnyValue, B::StringEquals, true),
            C::ForAnyValueStringLikeIfExists => (Q::ForAnyValue, B::StringLike, true),
            C::ForAnyValueStringEqualsIgnoreCase => {
                (Q::ForAnyValue, B::StringEqualsIgnoreCase, false)
            }
            C::ForAnyValueStringNotEqualsIgnoreCase => {
                (Q::ForAnyValue, B::StringNotEqualsIgnoreCase, false)
            }
        };
        Operator {
            qualifier,
            base,
            if_exists,
        }
    }

    /// The compiler and the evaluator share no code; they meet at the operator's name in the
    /// JSON, as AWS does. Every operator the compiler can write is read by the evaluator as
    /// the operator it means.
    #[test]
    fn test_every_operator_displayed_is_parsed_by_the_evaluator_as_itself() {
        for &op in ConditionOperator::ALL {
            let name = op.to_string();
            let parsed: Result<Operator, _> = name.parse();
            assert_eq!(parsed.ok(), Some(meaning(op)), "{name}");
        }
    }

    #[test]
    fn test_every_operator_name_reads_back_as_itself_and_others_are_refused() {
        for &op in ConditionOperator::ALL {
            assert_eq!(op.to_string().parse::<ConditionOperator>(), Ok(op));
        }
        for name in ["stringequals", "ForAllValues:Null", "StringEquals ", ""] {
            assert!(name.parse::<ConditionOperator>().is_err(), "{name:?}");
        }
    }
}
