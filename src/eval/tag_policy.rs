//! Organizations tag policies: the effective policy of an account, and tag compliance.
//!
//! Input: tag-policy documents (JSON with `@@assign`/`@@append`/`@@remove` and
//! `@@operators_allowed_for_child_policies`) grouped by level from the root down to the account,
//! each level in attachment order. Output: the [`EffectivePolicy`] as AWS displays it (no
//! operators), with notes on every operation that was not applied; and, for a resource type and
//! a set of tags, a [`ComplianceReport`] saying which statements the tags violate and whether a
//! tagging operation with them would be blocked.
//!
//! Merge rules (AWS's, from
//! <https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html> and
//! <https://docs.aws.amazon.com/organizations/latest/userguide/inheritance-examples.html>): a
//! child may use only the operators every ancestor allows; `@@assign` replaces, `@@append`
//! adds, `@@remove` drops. Several documents on one node
//! are combined first: their child-control operators are intersected and, for conflicting
//! `@@assign`s, the first attached wins; appends and removes are all kept. The node's combined
//! operations then apply in the order assign, append, remove.

use std::fmt;

use serde_json::{Map, Value, json};

use super::error::EvalError;

/// The four settings a tag-policy statement can carry.
const SETTINGS: [&str; 4] = [
    "tag_key",
    "tag_value",
    "enforced_for",
    "report_required_tag_for",
];
const TAG_KEY: usize = 0;
const TAG_VALUE: usize = 1;
const ENFORCED_FOR: usize = 2;
// Index 3 is `report_required_tag_for`.
const CHILD_OPS: &str = "@@operators_allowed_for_child_policies";

/// A value-setting operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueOperator {
    /// `@@assign`: replace the inherited value.
    Assign,
    /// `@@append`: add to the inherited list.
    Append,
    /// `@@remove`: remove from the inherited list.
    Remove,
}

impl ValueOperator {
    const ALL: [Self; 3] = [Self::Assign, Self::Append, Self::Remove];

    fn bit(self) -> u8 {
        match self {
            Self::Assign => 1,
            Self::Append => 2,
            Self::Remove => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Assign => "@@assign",
            Self::Append => "@@append",
            Self::Remove => "@@remove",
        }
    }
}

/// The operators children may use, as a bit set (`@@all` = all three, `@@none` = empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OpSet(u8);

impl OpSet {
    const ALL: Self = Self(7);

    fn allows(self, op: ValueOperator) -> bool {
        self.0 & op.bit() != 0
    }

    fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    fn parse(value: &Value, at: &str) -> Result<Self, EvalError> {
        let bad = || {
            malformed(format!(
                "`{CHILD_OPS}` at `{at}` must be an array of `@@all`, `@@none`, `@@assign`, `@@append`, `@@remove`"
            ))
        };
        let Value::Array(items) = value else {
            return Err(bad());
        };
        let mut set = 0;
        for item in items {
            set |= match item.as_str().ok_or_else(bad)? {
                "@@all" => 7,
                "@@none" => 0,
                "@@assign" => 1,
                "@@append" => 2,
                "@@remove" => 4,
                _ => return Err(bad()),
            };
        }
        Ok(Self(set))
    }
}

impl fmt::Display for OpSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = ValueOperator::ALL
            .iter()
            .filter(|op| self.allows(**op))
            .map(|op| op.name())
            .collect();
        if names.is_empty() {
            f.write_str("@@none")
        } else {
            f.write_str(&names.join(", "))
        }
    }
}

fn malformed(message: impl Into<String>) -> EvalError {
    EvalError::MalformedTagPolicy {
        message: message.into(),
    }
}

/// One setting of one statement of one document (or of one node's combined documents).
#[derive(Debug, Clone, Default)]
struct SettingOps {
    /// The `@@assign` value: a one-element list for `tag_key`.
    assign: Option<Vec<String>>,
    append: Vec<String>,
    remove: Vec<String>,
    has_append: bool,
    has_remove: bool,
    child_ops: Option<OpSet>,
    /// After combining a node: the first document that used each operator (assign, append,
    /// remove), for notes.
    source: [Option<usize>; 3],
}

#[derive(Debug, Clone, Default)]
struct KeyOps {
    /// The policy key as first written.
    name: String,
    child_ops: Option<OpSet>,
    settings: [SettingOps; 4],
}

#[derive(Debug, Clone, Default)]
struct DocOps {
    child_ops: Option<OpSet>,
    keys: Vec<KeyOps>,
}

fn strings(value: &Value, at: &str) -> Result<Vec<String>, EvalError> {
    let bad = || malformed(format!("`{at}` must be a string or an array of strings"));
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

fn parse_setting(index: usize, value: &Value, at: &str) -> Result<SettingOps, EvalError> {
    let Value::Object(obj) = value else {
        return Err(malformed(format!(
            "`{at}` must be an object of operators such as `@@assign`"
        )));
    };
    let mut ops = SettingOps::default();
    for (op, v) in obj {
        let here = format!("{at}.{op}");
        match op.as_str() {
            "@@assign" if index == TAG_KEY => match v {
                Value::String(s) => ops.assign = Some(vec![s.clone()]),
                _ => return Err(malformed(format!("`{here}` must be a string"))),
            },
            "@@assign" => ops.assign = Some(strings(v, &here)?),
            // `tag_key` is single-valued: only `@@assign` can set it.
            "@@append" | "@@remove" if index == TAG_KEY => {
                return Err(malformed(format!(
                    "`{here}`: `tag_key` is single-valued and takes only `@@assign`"
                )));
            }
            "@@append" => {
                ops.append = strings(v, &here)?;
                ops.has_append = true;
            }
            "@@remove" => {
                ops.remove = strings(v, &here)?;
                ops.has_remove = true;
            }
            CHILD_OPS => ops.child_ops = Some(OpSet::parse(v, at)?),
            other => {
                return Err(malformed(format!("unknown operator `{other}` at `{at}`")));
            }
        }
    }
    Ok(ops)
}

fn parse_doc(doc: &Value) -> Result<DocOps, EvalError> {
    let Some(Value::Object(top)) = doc.as_object().and_then(|o| {
        if o.keys().all(|k| k == "tags") {
            o.get("tags")
        } else {
            None
        }
    }) else {
        return Err(malformed(
            "a tag policy must be an object with the single top-level key `tags`",
        ));
    };
    let mut out = DocOps::default();
    for (key, body) in top {
        if key == CHILD_OPS {
            out.child_ops = Some(OpSet::parse(body, "tags")?);
            continue;
        }
        let Value::Object(fields) = body else {
            return Err(malformed(format!("`tags.{key}` must be an object")));
        };
        let mut k = KeyOps {
            name: key.clone(),
            ..KeyOps::default()
        };
        for (field, v) in fields {
            let at = format!("tags.{key}.{field}");
            if field == CHILD_OPS {
                k.child_ops = Some(OpSet::parse(v, &at)?);
            } else if let Some(i) = SETTINGS.iter().position(|s| s == field) {
                if let Some(slot) = k.settings.get_mut(i) {
                    *slot = parse_setting(i, v, &at)?;
                }
            } else {
                return Err(malformed(format!(
                    "unknown field `{field}` in `tags.{key}`; expected one of `tag_key`, `tag_value`, `enforced_for`, `report_required_tag_for`"
                )));
            }
        }
        // Policy keys are case-insensitive: two spellings in one document are one statement.
        if out.keys.iter().any(|o| o.name.eq_ignore_ascii_case(key)) {
            return Err(malformed(format!(
                "policy key `{key}` appears twice in one document (keys ignore case)"
            )));
        }
        out.keys.push(k);
    }
    Ok(out)
}

fn intersect(a: Option<OpSet>, b: Option<OpSet>) -> Option<OpSet> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.intersect(y)),
        (x, None) | (None, x) => x,
    }
}

fn push_unique(list: &mut Vec<String>, items: &[String]) {
    for item in items {
        if !list.contains(item) {
            list.push(item.clone());
        }
    }
}

/// Why an operation in some document did not reach the effective policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeNote {
    /// The level (0 = root) the operation was attached at.
    pub level: usize,
    /// The position, among that level's documents, of the first one using the operator.
    pub document: usize,
    /// The policy key.
    pub policy_key: String,
    /// The setting (`tag_value`, …).
    pub setting: String,
    /// The operator that was not applied.
    pub operator: ValueOperator,
    /// Why.
    pub reason: NoteReason,
}

/// Why an operation was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteReason {
    /// An ancestor's `@@operators_allowed_for_child_policies` does not allow it; the string
    /// lists what it allows.
    NotAllowedByParent(String),
    /// Another document on the same node, attached earlier, assigns the setting.
    EarlierAttachmentWins(usize),
}

impl fmt::Display for MergeNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "level {} document {}: {} on `{}.{}` not applied: ",
            self.level,
            self.document,
            self.operator.name(),
            self.policy_key,
            self.setting
        )?;
        match &self.reason {
            NoteReason::NotAllowedByParent(allowed) => {
                write!(f, "a parent allows only {allowed}")
            }
            NoteReason::EarlierAttachmentWins(doc) => {
                write!(f, "document {doc}, attached earlier to the same node, wins")
            }
        }
    }
}

/// One statement of the effective policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveTag {
    /// The policy key as first written.
    pub policy_key: String,
    /// `tag_key`: the compliant casing, if set.
    pub tag_key: Option<String>,
    /// `tag_value`: allowed value patterns; `None` means any value.
    pub tag_value: Option<Vec<String>>,
    /// `enforced_for`: resource types where noncompliant tagging is blocked.
    pub enforced_for: Option<Vec<String>>,
    /// `report_required_tag_for`: resource types on which the key is required.
    pub report_required_tag_for: Option<Vec<String>>,
    allowed: [OpSet; 4],
}

impl EffectiveTag {
    /// The key casing that counts as compliant: `tag_key`, else the policy key in lowercase.
    pub fn expected_key(&self) -> String {
        self.tag_key
            .clone()
            .unwrap_or_else(|| self.policy_key.to_lowercase())
    }
}

/// The effective tag policy of an account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EffectivePolicy {
    /// Statements in the order their policy keys first appear.
    pub tags: Vec<EffectiveTag>,
    /// Operations that were not applied, and why.
    pub notes: Vec<MergeNote>,
}

/// Combines the documents attached to one node: child controls intersected, first `@@assign`
/// wins, appends and removes accumulated. Returns the combined operations and the notes.
fn combine_node(docs: &[DocOps], level: usize) -> (DocOps, Vec<MergeNote>) {
    let mut node = DocOps::default();
    let mut notes = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        node.child_ops = intersect(node.child_ops, doc.child_ops);
        for key in &doc.keys {
            let pos = node
                .keys
                .iter()
                .position(|k| k.name.eq_ignore_ascii_case(&key.name))
                .unwrap_or_else(|| {
                    node.keys.push(KeyOps {
                        name: key.name.clone(),
                        ..KeyOps::default()
                    });
                    node.keys.len() - 1
                });
            let Some(target) = node.keys.get_mut(pos) else {
                continue;
            };
            target.child_ops = intersect(target.child_ops, key.child_ops);
            for (i, (t, s)) in target.settings.iter_mut().zip(&key.settings).enumerate() {
                t.child_ops = intersect(t.child_ops, s.child_ops);
                if let Some(assign) = &s.assign {
                    if let Some(first) = t.source[0] {
                        notes.push(MergeNote {
                            level,
                            document: d,
                            policy_key: key.name.clone(),
                            setting: SETTINGS.get(i).copied().unwrap_or_default().to_owned(),
                            operator: ValueOperator::Assign,
                            reason: NoteReason::EarlierAttachmentWins(first),
                        });
                    } else {
                        t.assign = Some(assign.clone());
                        t.source[0] = Some(d);
                    }
                }
                if s.has_append {
                    t.has_append = true;
                    t.source[1].get_or_insert(d);
                    push_unique(&mut t.append, &s.append);
                }
                if s.has_remove {
                    t.has_remove = true;
                    t.source[2].get_or_insert(d);
                    push_unique(&mut t.remove, &s.remove);
                }
            }
        }
    }
    (node, notes)
}

/// Computes the effective tag policy from `levels`: the root's documents first, then each OU's
/// down the path, then the account's, each level's documents in attachment order.
pub fn effective_policy(levels: &[Vec<Value>]) -> Result<EffectivePolicy, EvalError> {
    let mut out = EffectivePolicy::default();
    // The `tags`-level restriction inherited so far; it also governs keys not yet created.
    let mut tags_allowed = OpSet::ALL;
    for (level, docs) in levels.iter().enumerate() {
        let docs = docs.iter().map(parse_doc).collect::<Result<Vec<_>, _>>()?;
        let (node, notes) = combine_node(&docs, level);
        out.notes.extend(notes);
        for key in &node.keys {
            let existing = out
                .tags
                .iter()
                .position(|t| t.policy_key.eq_ignore_ascii_case(&key.name));
            let notes_before = out.notes.len();
            let pos = existing.unwrap_or_else(|| {
                out.tags.push(EffectiveTag {
                    policy_key: key.name.clone(),
                    tag_key: None,
                    tag_value: None,
                    enforced_for: None,
                    report_required_tag_for: None,
                    allowed: [tags_allowed; 4],
                });
                out.tags.len() - 1
            });
            let Some(tag) = out.tags.get_mut(pos) else {
                continue;
            };
            for (i, ops) in key.settings.iter().enumerate() {
                let allowed = tag.allowed.get(i).copied().unwrap_or(OpSet::ALL);
                let setting = SETTINGS.get(i).copied().unwrap_or_default();
                let mut refuse = |operator: ValueOperator| {
                    let slot = match operator {
                        ValueOperator::Assign => 0,
                        ValueOperator::Append => 1,
                        ValueOperator::Remove => 2,
                    };
                    out.notes.push(MergeNote {
                        level,
                        document: ops.source.get(slot).copied().flatten().unwrap_or(0),
                        policy_key: key.name.clone(),
                        setting: setting.to_owned(),
                        operator,
                        reason: NoteReason::NotAllowedByParent(allowed.to_string()),
                    });
                };
                let mut value = tag.setting(i);
                if let Some(assign) = &ops.assign {
                    if allowed.allows(ValueOperator::Assign) {
                        value = Some(assign.clone());
                    } else {
                        refuse(ValueOperator::Assign);
                    }
                }
                if ops.has_append {
                    if allowed.allows(ValueOperator::Append) {
                        push_unique(value.get_or_insert_with(Vec::new), &ops.append);
                    } else {
                        refuse(ValueOperator::Append);
                    }
                }
                if ops.has_remove {
                    if allowed.allows(ValueOperator::Remove) {
                        if let Some(v) = value.as_mut() {
                            v.retain(|x| !ops.remove.contains(x));
                        }
                    } else {
                        refuse(ValueOperator::Remove);
                    }
                }
                tag.set_setting(i, value);
            }
            // A key a child tried to add under a `tags`-level lock does not come into being.
            let nothing_set = (0..SETTINGS.len()).all(|i| tag.setting(i).is_none());
            if existing.is_none() && out.notes.len() > notes_before && nothing_set {
                out.tags.remove(pos);
                continue;
            }
            // This node's restrictions bind its descendants, never itself, and only narrow.
            for (i, allowed) in tag.allowed.iter_mut().enumerate() {
                let own = key.settings.get(i).and_then(|s| s.child_ops);
                *allowed = intersect(intersect(Some(*allowed), key.child_ops), own)
                    .unwrap_or(OpSet::ALL)
                    .intersect(node.child_ops.unwrap_or(OpSet::ALL));
            }
        }
        // Keys this node does not mention still fall under its `tags`-level restriction.
        if let Some(ops) = node.child_ops {
            for tag in &mut out.tags {
                if !node
                    .keys
                    .iter()
                    .any(|k| k.name.eq_ignore_ascii_case(&tag.policy_key))
                {
                    for a in &mut tag.allowed {
                        *a = a.intersect(ops);
                    }
                }
            }
            tags_allowed = tags_allowed.intersect(ops);
        }
    }
    Ok(out)
}

impl EffectiveTag {
    fn setting(&self, i: usize) -> Option<Vec<String>> {
        match i {
            TAG_KEY => self.tag_key.clone().map(|k| vec![k]),
            TAG_VALUE => self.tag_value.clone(),
            ENFORCED_FOR => self.enforced_for.clone(),
            _ => self.report_required_tag_for.clone(),
        }
    }

    fn set_setting(&mut self, i: usize, value: Option<Vec<String>>) {
        match i {
            TAG_KEY => self.tag_key = value.and_then(|v| v.into_iter().next()),
            TAG_VALUE => self.tag_value = value,
            ENFORCED_FOR => self.enforced_for = value,
            _ => self.report_required_tag_for = value,
        }
    }
}

impl EffectivePolicy {
    /// The policy as AWS displays it: `{"tags":{"costcenter":{"tag_key":"CostCenter",…}}}`,
    /// without operators, settings that were never set left out.
    pub fn to_json(&self) -> Value {
        let mut tags = Map::new();
        for t in &self.tags {
            let mut body = Map::new();
            if let Some(k) = &t.tag_key {
                body.insert("tag_key".to_owned(), json!(k));
            }
            for (name, v) in [
                ("tag_value", &t.tag_value),
                ("enforced_for", &t.enforced_for),
                ("report_required_tag_for", &t.report_required_tag_for),
            ] {
                if let Some(v) = v {
                    body.insert(name.to_owned(), json!(v));
                }
            }
            tags.insert(t.policy_key.to_lowercase(), Value::Object(body));
        }
        json!({ "tags": tags })
    }

    /// The statement for a tag key, found without regard to case.
    pub fn statement(&self, key: &str) -> Option<&EffectiveTag> {
        self.tags
            .iter()
            .find(|t| t.policy_key.eq_ignore_ascii_case(key))
    }

    /// Checks `tags` (key, value pairs in the caller's casing) on a resource of
    /// `resource_type` (such as `sagemaker:training-job`) against every statement.
    pub fn check(&self, resource_type: &str, tags: &[(String, String)]) -> ComplianceReport {
        let statements = self
            .tags
            .iter()
            .map(|t| check_statement(t, resource_type, tags))
            .collect();
        ComplianceReport {
            resource_type: resource_type.to_owned(),
            statements,
        }
    }
}

/// Whether a resource-type list (`enforced_for`, `report_required_tag_for`) covers
/// `resource_type`: exactly, or through `service:ALL_SUPPORTED` (or the older `service:*`).
pub fn covers_resource_type(list: &[String], resource_type: &str) -> bool {
    let service = resource_type.split_once(':').map_or("", |(s, _)| s);
    list.iter().any(|entry| {
        entry.eq_ignore_ascii_case(resource_type)
            || entry.split_once(':').is_some_and(|(s, t)| {
                s.eq_ignore_ascii_case(service) && (t == "ALL_SUPPORTED" || t == "*")
            })
    })
}

/// Tag-policy value matching: `*` matches any run of characters (AWS allows one per value);
/// every other character, `?` included, is literal and case-sensitive.
pub fn tag_value_matches(pattern: &str, value: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = value.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for m in middle {
        match rest.find(m).and_then(|i| rest.get(i + m.len()..)) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.ends_with(last)
}

fn check_statement(
    t: &EffectiveTag,
    resource_type: &str,
    tags: &[(String, String)],
) -> StatementCompliance {
    let expected = t.expected_key();
    let enforced = t
        .enforced_for
        .as_deref()
        .is_some_and(|l| covers_resource_type(l, resource_type));
    let required = t
        .report_required_tag_for
        .as_deref()
        .is_some_and(|l| covers_resource_type(l, resource_type));
    let mut findings = Vec::new();
    let matching: Vec<&(String, String)> = tags
        .iter()
        .filter(|(k, _)| k.to_lowercase() == t.policy_key.to_lowercase())
        .collect();
    for (key, value) in &matching {
        let mut ok = true;
        if *key != expected {
            ok = false;
            findings.push(Finding::WrongKeyCase {
                found: key.clone(),
                expected: expected.clone(),
            });
        }
        if let Some(allowed) = &t.tag_value {
            if !allowed.iter().any(|p| tag_value_matches(p, value)) {
                ok = false;
                findings.push(Finding::ValueNotAllowed {
                    key: key.clone(),
                    value: value.clone(),
                    allowed: allowed.clone(),
                });
            }
        }
        if ok {
            findings.push(Finding::Compliant {
                key: key.clone(),
                value: value.clone(),
            });
        }
    }
    if required {
        // With `tag_key` only the exact casing counts as present; without it, any casing.
        let present = if t.tag_key.is_some() {
            matching.iter().any(|(k, _)| *k == expected)
        } else {
            !matching.is_empty()
        };
        if !present {
            findings.push(Finding::MissingRequiredKey { expected });
        }
    }
    StatementCompliance {
        policy_key: t.policy_key.clone(),
        enforced,
        required,
        findings,
    }
}

/// What one statement found about one tag (or its absence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The tag complies.
    Compliant {
        /// The key as given.
        key: String,
        /// The value.
        value: String,
    },
    /// The key matches the policy key but not the required casing.
    WrongKeyCase {
        /// The key as given.
        found: String,
        /// The casing that complies.
        expected: String,
    },
    /// The value matches none of `tag_value`.
    ValueNotAllowed {
        /// The key as given.
        key: String,
        /// The value.
        value: String,
        /// The allowed patterns.
        allowed: Vec<String>,
    },
    /// `report_required_tag_for` covers the resource type and the key is missing.
    MissingRequiredKey {
        /// The casing that would comply.
        expected: String,
    },
}

impl Finding {
    fn is_violation(&self) -> bool {
        !matches!(self, Self::Compliant { .. })
    }

    /// Whether `enforced_for` would block a tagging operation over this: wrong values and wrong
    /// casing are blocked, a missing key never is.
    fn blocks(&self) -> bool {
        matches!(
            self,
            Self::WrongKeyCase { .. } | Self::ValueNotAllowed { .. }
        )
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compliant { key, value } => write!(f, "`{key}={value}` complies"),
            Self::WrongKeyCase { found, expected } => {
                write!(f, "key `{found}` should be spelled `{expected}`")
            }
            Self::ValueNotAllowed {
                key,
                value,
                allowed,
            } => write!(
                f,
                "value `{value}` of `{key}` is not one of [{}]",
                allowed.join(", ")
            ),
            Self::MissingRequiredKey { expected } => {
                write!(f, "required key `{expected}` is missing")
            }
        }
    }
}

/// One statement's verdict on a set of tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementCompliance {
    /// The statement's policy key.
    pub policy_key: String,
    /// Whether `enforced_for` covers the resource type.
    pub enforced: bool,
    /// Whether `report_required_tag_for` covers the resource type.
    pub required: bool,
    /// What was found; empty when the key is absent and not required.
    pub findings: Vec<Finding>,
}

impl StatementCompliance {
    /// Whether the tags comply with this statement.
    pub fn compliant(&self) -> bool {
        !self.findings.iter().any(Finding::is_violation)
    }

    /// Whether a tagging operation with these tags would be blocked by this statement.
    pub fn blocked(&self) -> bool {
        self.enforced && self.findings.iter().any(Finding::blocks)
    }
}

impl fmt::Display for StatementCompliance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match (self.compliant(), self.blocked()) {
            (true, _) => "compliant",
            (false, true) => "noncompliant, blocked",
            (false, false) if self.enforced => "noncompliant, not blocked",
            (false, false) => "noncompliant, not enforced",
        };
        write!(f, "`{}`: {verdict}", self.policy_key)?;
        if self.findings.is_empty() {
            f.write_str(" (key absent)")?;
        }
        for (i, finding) in self.findings.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            write!(f, "{finding}")?;
        }
        Ok(())
    }
}

/// Every statement's verdict on a set of tags on one resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceReport {
    /// The resource type checked.
    pub resource_type: String,
    /// One entry per effective statement.
    pub statements: Vec<StatementCompliance>,
}

impl ComplianceReport {
    /// Whether the tags comply with every statement.
    pub fn compliant(&self) -> bool {
        self.statements.iter().all(StatementCompliance::compliant)
    }

    /// Whether a tagging operation with these tags would be blocked.
    pub fn blocked(&self) -> bool {
        self.statements.iter().any(StatementCompliance::blocked)
    }
}

impl fmt::Display for ComplianceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.blocked() {
            "blocked"
        } else if self.compliant() {
            "compliant"
        } else {
            "noncompliant, not blocked"
        };
        write!(f, "{}: {verdict}", self.resource_type)?;
        for s in &self.statements {
            write!(f, "\n  {s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eff(levels: &[Vec<Value>]) -> EffectivePolicy {
        effective_policy(levels).expect("test tag policies parse")
    }

    fn root_costcenter() -> Value {
        // AWS inheritance example 1, policy A at the root.
        json!({"tags": {"costcenter": {
            "tag_key": {"@@assign": "CostCenter"},
            "tag_value": {"@@assign": ["Development", "Support"]}}}})
    }

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn test_child_assign_overwrites_inherited_values() {
        // AWS example 1: OU1 assigns `Sandbox` (and enforced_for) over the root's values.
        let ou1 = json!({"tags": {"costcenter": {
            "tag_key": {"@@assign": "CostCenter"},
            "tag_value": {"@@assign": ["Sandbox"]},
            "enforced_for": {"@@assign": ["redshift:*", "dynamodb:table"]}}}});
        let p = eff(&[vec![root_costcenter()], vec![ou1], vec![]]);
        assert_eq!(
            p.to_json(),
            json!({"tags": {"costcenter": {"tag_key": "CostCenter", "tag_value": ["Sandbox"],
                "enforced_for": ["redshift:*", "dynamodb:table"]}}})
        );
        assert!(p.notes.is_empty());
    }

    #[test]
    fn test_child_append_adds_values_and_resource_types() {
        // AWS example: an OU appends `Marketing`; appending to enforced_for adds types.
        let root = json!({"tags": {"costcenter": {
            "tag_key": {"@@assign": "CostCenter"},
            "tag_value": {"@@assign": ["Development", "Support"]},
            "enforced_for": {"@@assign": ["redshift:*"]}}}});
        let ou = json!({"tags": {"costcenter": {
            "tag_value": {"@@append": ["Marketing"]},
            "enforced_for": {"@@append": ["dynamodb:table"]}}}});
        let p = eff(&[vec![root], vec![ou]]);
        assert_eq!(
            p.to_json(),
            json!({"tags": {"costcenter": {"tag_key": "CostCenter",
                "tag_value": ["Development", "Support", "Marketing"],
                "enforced_for": ["redshift:*", "dynamodb:table"]}}})
        );
    }

    #[test]
    fn test_account_remove_drops_inherited_values() {
        let account = json!({"tags": {"costcenter": {"tag_value": {"@@remove": ["Support"]}}}});
        let p = eff(&[vec![root_costcenter()], vec![], vec![account]]);
        assert_eq!(
            p.statement("CostCenter").and_then(|t| t.tag_value.clone()),
            Some(vec!["Development".to_owned()])
        );
    }

    #[test]
    fn test_parent_lock_blocks_child_key_change_but_allows_append() {
        // AWS example: the root locks tag_key with @@none and allows only @@append on values.
        let root = json!({"tags": {"costcenter": {
            "tag_key": {"@@operators_allowed_for_child_policies": ["@@none"], "@@assign": "CostCenter"},
            "tag_value": {"@@operators_allowed_for_child_policies": ["@@append"],
                          "@@assign": ["Development", "Support"]}}}});
        let ou = json!({"tags": {"costcenter": {
            "tag_key": {"@@assign": "COSTCENTER"},
            "tag_value": {"@@append": ["Sandbox"]}}}});
        let p = eff(&[vec![root], vec![ou]]);
        assert_eq!(
            p.to_json(),
            json!({"tags": {"costcenter": {"tag_key": "CostCenter",
                "tag_value": ["Development", "Support", "Sandbox"]}}})
        );
        assert_eq!(p.notes.len(), 1);
        assert_eq!(
            p.notes.first().map(ToString::to_string).as_deref(),
            Some(
                "level 1 document 0: @@assign on `costcenter.tag_key` not applied: a parent allows only @@none"
            )
        );
    }

    #[test]
    fn test_child_assign_refused_when_only_append_allowed() {
        let root = json!({"tags": {"costcenter": {"tag_value": {
            "@@operators_allowed_for_child_policies": ["@@append"], "@@assign": ["A"]}}}});
        let ou = json!({"tags": {"costcenter": {"tag_value": {"@@assign": ["B"]}}}});
        let p = eff(&[vec![root], vec![ou]]);
        assert_eq!(
            p.to_json(),
            json!({"tags": {"costcenter": {"tag_value": ["A"]}}})
        );
    }

    #[test]
    fn test_inherited_restriction_cannot_be_reversed_by_child() {
        let root = json!({"tags": {"costcenter": {"tag_value": {
            "@@operators_allowed_for_child_policies": ["@@append"], "@@assign": ["A"]}}}});
        let ou = json!({"tags": {"costcenter": {"tag_value": {
            "@@operators_allowed_for_child_policies": ["@@all"], "@@append": ["B"]}}}});
        let account = json!({"tags": {"costcenter": {"tag_value": {"@@assign": ["C"]}}}});
        let p = eff(&[vec![root], vec![ou], vec![account]]);
        assert_eq!(
            p.to_json(),
            json!({"tags": {"costcenter": {"tag_value": ["A", "B"]}}})
        );
    }

    #[test]
    fn test_key_level_lock_covers_all_settings() {
        let root = json!({"tags": {"costcenter": {
            "@@operators_allowed_for_child_policies": ["@@none"],
            "tag_value": {"@@assign": ["A"]}}}});
        let ou = json!({"tags": {"costcenter": {
            "tag_value": {"@@append": ["B"]}, "enforced_for": {"@@assign": ["s3:ALL_SUPPORTED"]}}}});
        let p = eff(&[vec![root], vec![ou]]);
        assert_eq!(
            p.to_json(),
            json!({"tags": {"costcenter": {"tag_value": ["A"]}}})
        );
        assert_eq!(p.notes.len(), 2);
    }

    #[test]
    fn test_tags_level_lock_binds_all_descendants_and_new_keys() {
        let root = json!({"tags": {"@@operators_allowed_for_child_policies": ["@@none"],
            "costcenter": {"tag_value": {"@@assign": ["A"]}}}});
        let account = json!({"tags": {
            "costcenter": {"tag_value": {"@@append": ["B"]}},
            "owner": {"tag_key": {"@@assign": "Owner"}}}});
        // The lock reaches the account through an OU that says nothing.
        let p = eff(&[vec![root], vec![], vec![account]]);
        assert_eq!(
            p.to_json(),
            json!({"tags": {"costcenter": {"tag_value": ["A"]}}})
        );
        assert_eq!(p.notes.len(), 2);
    }

    #[test]
    fn test_same_node_child_controls_are_intersected() {
        let a = json!({"tags": {"costcenter": {"tag_value": {
            "@@operators_allowed_for_child_policies": ["@@assign", "@@append"], "@@assign": ["A"]}}}});
        let b = json!({"tags": {"costcenter": {"tag_value": {
            "@@operators_allowed_for_child_policies": ["@@append", "@@remove"]}}}});
        let child_assign = json!({"tags": {"costcenter": {"tag_value": {"@@assign": ["X"]}}}});
        let child_append = json!({"tags": {"costcenter": {"tag_value": {"@@append": ["Y"]}}}});
        let child_remove = json!({"tags": {"costcenter": {"tag_value": {"@@remove": ["A"]}}}});
        let p = eff(&[vec![a, b], vec![child_assign, child_append, child_remove]]);
        // Only @@append survives the intersection.
        assert_eq!(
            p.to_json(),
            json!({"tags": {"costcenter": {"tag_value": ["A", "Y"]}}})
        );
        let refused: Vec<_> = p.notes.iter().map(|n| (n.document, n.operator)).collect();
        assert_eq!(
            refused,
            [(0, ValueOperator::Assign), (2, ValueOperator::Remove)]
        );
    }

    #[test]
    fn test_same_node_conflicting_assign_first_attached_wins() {
        let first = json!({"tags": {"costcenter": {"tag_value": {"@@assign": ["First"]}}}});
        let second = json!({"tags": {"CostCenter": {"tag_value": {"@@assign": ["Second"]}}}});
        let p = eff(&[vec![first.clone(), second.clone()]]);
        assert_eq!(
            p.to_json(),
            json!({"tags": {"costcenter": {"tag_value": ["First"]}}})
        );
        assert_eq!(
            p.notes.first().map(|n| n.reason.clone()),
            Some(NoteReason::EarlierAttachmentWins(0))
        );
        // Re-attaching in the other order changes the winner.
        let p = eff(&[vec![second, first]]);
        assert_eq!(
            p.to_json(),
            json!({"tags": {"costcenter": {"tag_value": ["Second"]}}})
        );
    }

    #[test]
    fn test_policy_keys_are_case_insensitive_across_levels() {
        let ou = json!({"tags": {"COSTCENTER": {"tag_value": {"@@append": ["Marketing"]}}}});
        let p = eff(&[vec![root_costcenter()], vec![ou]]);
        assert_eq!(p.tags.len(), 1);
        assert_eq!(
            p.statement("costcenter").and_then(|t| t.tag_value.clone()),
            Some(vec![
                "Development".to_owned(),
                "Support".to_owned(),
                "Marketing".to_owned()
            ])
        );
    }

    #[test]
    fn test_malformed_tag_policies_are_errors() {
        for doc in [
            json!({"tag": {}}),
            json!({"tags": {"a": {"tag_key": {"@@append": ["A"]}}}}),
            json!({"tags": {"a": {"tag_value": ["A"]}}}),
            json!({"tags": {"a": {"tag_valu": {"@@assign": ["A"]}}}}),
            json!({"tags": {"a": {"tag_value": {"@@replace": ["A"]}}}}),
            json!({"tags": {"a": {"tag_value": {"@@operators_allowed_for_child_policies": ["@@some"]}}}}),
            json!({"tags": {"a": {}, "A": {}}}),
        ] {
            assert!(effective_policy(&[vec![doc.clone()]]).is_err(), "{doc}");
        }
    }

    fn policy(doc: &Value) -> EffectivePolicy {
        eff(&[vec![doc.clone()]])
    }

    #[test]
    fn test_key_casing_follows_tag_key() {
        let p = policy(&root_costcenter());
        assert!(
            p.check("ec2:instance", &tags(&[("CostCenter", "Support")]))
                .compliant()
        );
        let r = p.check("ec2:instance", &tags(&[("costcenter", "Support")]));
        assert!(!r.compliant());
        assert!(!r.blocked(), "not enforced for ec2:instance");
    }

    #[test]
    fn test_key_casing_defaults_to_lowercase_without_tag_key() {
        // AWS: `{"tags":{"CostCenter":{}}}` is compliant only with key `costcenter`.
        let p = policy(&json!({"tags": {"CostCenter": {}}}));
        assert!(
            p.check("ec2:instance", &tags(&[("costcenter", "x")]))
                .compliant()
        );
        assert!(
            !p.check("ec2:instance", &tags(&[("CostCenter", "x")]))
                .compliant()
        );
    }

    #[test]
    fn test_tag_value_wildcard_prefix() {
        let p = policy(
            &json!({"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"},
            "tag_value": {"@@assign": ["100", "200", "300*"]}}}}),
        );
        let ok = |v: &str| {
            p.check("ec2:instance", &tags(&[("CostCenter", v)]))
                .compliant()
        };
        assert!(ok("100"));
        assert!(ok("300"));
        assert!(ok("300-a"));
        assert!(!ok("30"));
        assert!(!ok("1000"));
        assert!(tag_value_matches("*@example.com", "me@example.com"));
        assert!(
            !tag_value_matches("a?c", "abc"),
            "`?` is literal in tag policies"
        );
    }

    #[test]
    fn test_without_tag_value_any_value_complies() {
        let p = policy(&json!({"tags": {"owner": {"tag_key": {"@@assign": "owner"}}}}));
        assert!(p.check("ec2:instance", &tags(&[("owner", "")])).compliant());
    }

    #[test]
    fn test_empty_tag_value_list_bans_every_value() {
        let p = policy(&json!({"tags": {"legacy": {"tag_value": {
            "@@operators_allowed_for_child_policies": ["@@none"], "@@assign": []}}}}));
        assert!(
            !p.check("ec2:instance", &tags(&[("legacy", "x")]))
                .compliant()
        );
        assert!(p.check("ec2:instance", &tags(&[])).compliant());
    }

    #[test]
    fn test_enforced_for_blocks_noncompliant_value_on_listed_type_only() {
        let p = policy(
            &json!({"tags": {"environment": {"tag_key": {"@@assign": "environment"},
            "tag_value": {"@@assign": ["dev", "prod"]},
            "enforced_for": {"@@assign": ["sagemaker:training-job"]}}}}),
        );
        let bad = tags(&[("environment", "qa")]);
        assert!(p.check("sagemaker:training-job", &bad).blocked());
        assert!(!p.check("sagemaker:endpoint", &bad).blocked());
        assert!(!p.check("sagemaker:endpoint", &bad).compliant());
        assert!(
            !p.check("sagemaker:training-job", &tags(&[("environment", "dev")]))
                .blocked()
        );
        // Wrong key casing is blocked too.
        assert!(
            p.check("sagemaker:training-job", &tags(&[("Environment", "dev")]))
                .blocked()
        );
    }

    #[test]
    fn test_enforced_for_never_blocks_a_missing_key() {
        let p = policy(&json!({"tags": {"environment": {
            "tag_value": {"@@assign": ["dev"]},
            "enforced_for": {"@@assign": ["sagemaker:training-job"]},
            "report_required_tag_for": {"@@assign": ["sagemaker:training-job"]}}}}));
        let r = p.check("sagemaker:training-job", &tags(&[("owner", "me")]));
        assert!(!r.blocked());
        assert!(!r.compliant(), "required for reporting");
    }

    #[test]
    fn test_all_supported_matches_service_types() {
        let p = policy(
            &json!({"tags": {"costcenter": {"tag_value": {"@@assign": ["1"]},
            "enforced_for": {"@@assign": ["secretsmanager:ALL_SUPPORTED"]}}}}),
        );
        let bad = tags(&[("costcenter", "2")]);
        assert!(p.check("secretsmanager:secret", &bad).blocked());
        assert!(!p.check("s3:bucket", &bad).blocked());
    }

    #[test]
    fn test_required_key_with_tag_key_needs_exact_case() {
        let p = policy(
            &json!({"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"},
            "report_required_tag_for": {"@@assign": ["ec2:ALL_SUPPORTED"]}}}}),
        );
        assert!(
            p.check("ec2:instance", &tags(&[("CostCenter", "1")]))
                .compliant()
        );
        let r = p.check("ec2:instance", &tags(&[("costcenter", "1")]));
        assert!(
            r.statements
                .iter()
                .any(|s| s.findings.contains(&Finding::MissingRequiredKey {
                    expected: "CostCenter".to_owned()
                }))
        );
        assert!(!p.check("ec2:instance", &tags(&[])).compliant());
        assert!(
            p.check("s3:bucket", &tags(&[])).compliant(),
            "not required on s3"
        );
    }

    #[test]
    fn test_required_key_without_tag_key_any_case_counts_as_present() {
        let p = policy(&json!({"tags": {"costcenter": {
            "report_required_tag_for": {"@@assign": ["ec2:ALL_SUPPORTED"]}}}}));
        let r = p.check("ec2:instance", &tags(&[("CostCenter", "1")]));
        let s = r.statements.first().expect("one statement");
        assert!(
            !s.findings
                .iter()
                .any(|f| matches!(f, Finding::MissingRequiredKey { .. }))
        );
    }

    #[test]
    fn test_compliance_report_display() {
        let p = policy(
            &json!({"tags": {"environment": {"tag_key": {"@@assign": "environment"},
            "tag_value": {"@@assign": ["dev", "prod"]},
            "enforced_for": {"@@assign": ["sagemaker:training-job"]}}}}),
        );
        let r = p.check("sagemaker:training-job", &tags(&[("Environment", "qa")]));
        assert_eq!(
            r.to_string(),
            "sagemaker:training-job: blocked\n  `environment`: noncompliant, blocked: key `Environment` should be spelled `environment`; value `qa` of `Environment` is not one of [dev, prod]"
        );
        let r = p.check("sagemaker:training-job", &tags(&[]));
        assert_eq!(
            r.to_string(),
            "sagemaker:training-job: compliant\n  `environment`: compliant (key absent)"
        );
    }

    proptest::proptest! {
        #[test]
        fn prop_tag_value_without_star_is_equality(p in "[a-c?]{0,4}", v in "[a-c?]{0,4}") {
            proptest::prop_assert_eq!(tag_value_matches(&p, &v), p == v);
        }

        #[test]
        fn prop_star_suffix_is_prefix_test(p in "[a-c]{0,3}", v in "[a-c]{0,5}") {
            proptest::prop_assert_eq!(tag_value_matches(&format!("{p}*"), &v), v.starts_with(&p));
        }
    }
}
