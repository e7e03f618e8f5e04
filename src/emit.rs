//! The emit stage: IR to artifacts — JSON documents sized against the limits, split where an
//! SCP does not fit, hashed, and checked against the attachment slots of every target.
//!
//! Input: the lowered policies and the checked project (for targets and settings). Output:
//! [`Artifact`]s in a deterministic order, or every limit that was broken.
//!
//! **The written form.** Each document is written once, in a compact layout that is valid JSON
//! and diffs per statement: the top-level object on one line, except that the elements of its
//! list (an IAM policy's `Statement` array, a tag policy's `tags` object) go one per line:
//!
//! ```text
//! {"Version":"2012-10-17","Statement":[
//! {"Sid":"A","Effect":"Deny",…},
//! {"Sid":"B","Effect":"Deny",…}
//! ]}
//! ```
//!
//! That text, final newline included, is the file in `out/`, what `plan` and `apply` send, what
//! is hashed, and what is measured against the limit, in bytes. Organizations counts every
//! character of a document saved through the API, whitespace included, so a file deployed as
//! written must fit as written
//! (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html>);
//! bytes are a safe bound for AWS's "characters" when a document holds non-ASCII text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use miette::Severity;

use crate::artifact::{Artifact, ArtifactKind, content_hash};
use crate::diagnostics::located_diagnostic;
use crate::ir::{LoweredPolicy, PolicyDocument, Statement};
use crate::limits::Limits;
use crate::model::{Project, ScpStrategy, Target};
use crate::source::Loc;

/// What kind of emit error, with its wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitErrorKind {
    /// A document is over its size limit and cannot be split.
    #[error("{kind} `{name}` is {size} characters, over the limit of {limit}")]
    TooLarge {
        /// `SCP`, `tag policy` or `IAM policy`.
        kind: String,
        /// The artifact's name.
        name: String,
        /// Its size as written, in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// More policies of one type would be attached to a target than AWS allows.
    #[error("{count} {kind}s would be attached to {target}, over the limit of {limit}")]
    SlotsExceeded {
        /// `SCP` or `tag policy`.
        kind: String,
        /// The target.
        target: String,
        /// How many would be attached.
        count: usize,
        /// The limit.
        limit: usize,
        /// Whether `FullAWSAccess` was counted.
        full_aws_access: bool,
    },
}

impl EmitErrorKind {
    /// The stable diagnostic code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "tagc::emit::too-large",
            Self::SlotsExceeded { .. } => "tagc::emit::slots-exceeded",
        }
    }

    /// The label at the span.
    pub fn label(&self) -> String {
        match self {
            Self::TooLarge { .. } => "this policy's document is too large".into(),
            Self::SlotsExceeded { .. } => "this policy is one of them".into(),
        }
    }

    /// The default help line.
    pub fn help(&self) -> Option<String> {
        Some(match self {
            Self::TooLarge { .. } => {
                "split the policy's rules into two policies, or select `limits current` if the organization has the 2026 quotas".into()
            }
            Self::SlotsExceeded {
                full_aws_access, ..
            } => {
                let mut h = "attach fewer policies to this target, or merge policies that share it".to_owned();
                if *full_aws_access {
                    h.push_str(
                        "; `FullAWSAccess` takes a slot under the deny-list strategy (see `organization { scp-strategy … }`)",
                    );
                }
                h
            }
        })
    }

    /// Every emit error is an error.
    pub const fn severity(&self) -> Severity {
        Severity::Error
    }
}

/// An emit error, pointing at the policy it concerns.
#[derive(Debug, Clone)]
pub struct EmitError {
    /// What is wrong.
    pub kind: EmitErrorKind,
    /// The policy's declaration.
    pub loc: Loc,
    /// Help computed at the error.
    pub help: Option<String>,
    /// Secondary labels.
    pub related: Vec<(Loc, String)>,
}

located_diagnostic!(EmitError);

/// Emit every artifact of the project.
pub fn emit(
    project: &Project,
    lowered: &[LoweredPolicy],
    limits: &Limits,
) -> Result<Vec<Artifact>, Vec<EmitError>> {
    let mut artifacts = Vec::new();
    let mut errors = Vec::new();
    for (policy, low) in project.policies.iter().zip(lowered) {
        let too_large = |kind: &str, name: &str, size: usize, limit: usize| EmitError {
            kind: EmitErrorKind::TooLarge {
                kind: kind.into(),
                name: name.into(),
                size,
                limit,
            },
            loc: policy.name_loc(),
            help: None,
            related: Vec::new(),
        };
        let targets = policy.targets.clone();
        for (kind, doc, limit, label, targets) in [
            (
                ArtifactKind::Scp,
                &low.scp,
                limits.scp_size,
                "SCP",
                targets.clone(),
            ),
            (
                ArtifactKind::IamPolicy,
                &low.iam,
                limits.iam_managed_size,
                "IAM policy",
                Vec::new(),
            ),
        ] {
            if doc.statements.is_empty() {
                continue;
            }
            let parts = split_to_fit(doc, limit);
            let count = parts.len();
            for (i, part) in parts.into_iter().enumerate() {
                let suffix = if count == 1 {
                    String::new()
                } else {
                    format!("-{}", i + 1)
                };
                let a = artifact(low, kind, &suffix, &part.to_json(), targets.clone(), limit);
                if a.size > limit {
                    errors.push(too_large(label, &a.name, a.size, limit));
                }
                artifacts.push(a);
            }
        }
        if !low.tag_policy.keys.is_empty() {
            let limit = limits.tag_policy_size;
            let a = artifact(
                low,
                ArtifactKind::TagPolicy,
                "",
                &low.tag_policy.to_json(),
                targets.clone(),
                limit,
            );
            if a.size > limit {
                errors.push(too_large("tag policy", &a.name, a.size, limit));
            }
            artifacts.push(a);
        }
    }
    errors.extend(check_slots(project, &artifacts, limits));
    if errors.is_empty() {
        Ok(artifacts)
    } else {
        Err(errors)
    }
}

/// Attachment slots: count, per target and policy type, the artifacts attached directly.
fn check_slots(project: &Project, artifacts: &[Artifact], limits: &Limits) -> Vec<EmitError> {
    let full_aws_access = project.settings.scp_strategy == ScpStrategy::DenyList;
    let mut per_target: BTreeMap<(ArtifactKind, &Target), Vec<&Artifact>> = BTreeMap::new();
    for a in artifacts {
        for t in &a.targets {
            per_target.entry((a.kind, t)).or_default().push(a);
        }
    }
    let mut errors = Vec::new();
    for ((kind, target), attached) in per_target {
        let (limit, extra, kind_name) = match kind {
            ArtifactKind::Scp => (limits.scp_slots, usize::from(full_aws_access), "SCP"),
            ArtifactKind::TagPolicy => (limits.tag_policy_slots, 0, "tag policy"),
            ArtifactKind::IamPolicy => continue,
        };
        let count = attached.len() + extra;
        if count > limit {
            let Some(first) = attached.first() else {
                continue;
            };
            let Some(policy) = project.policies.iter().find(|p| p.name == first.policy) else {
                continue;
            };
            let related = attached
                .iter()
                .skip(1)
                .filter_map(|a| project.policies.iter().find(|p| p.name == a.policy))
                .filter(|p| p.name != policy.name)
                .map(|p| (p.name_loc(), "also attached here".to_owned()))
                .collect();
            errors.push(EmitError {
                kind: EmitErrorKind::SlotsExceeded {
                    kind: kind_name.into(),
                    target: target.to_string(),
                    count,
                    limit,
                    full_aws_access: kind == ArtifactKind::Scp && full_aws_access,
                },
                loc: policy.name_loc(),
                help: None,
                related,
            });
        }
    }
    errors
}

/// Split a document into documents that each fit `limit`, keeping statement order: first
/// whole statements are packed greedily; a statement that alone is too large is split by its
/// actions (each half keeps the same resources and conditions, so the union means the same).
pub fn split_to_fit(doc: &PolicyDocument, limit: usize) -> Vec<PolicyDocument> {
    if size_of(doc) <= limit {
        return vec![doc.clone()];
    }
    let mut pieces: Vec<Statement> = Vec::new();
    for s in &doc.statements {
        pieces.extend(split_statement(s, limit));
    }
    // A document's written size is its frame plus its statements and the commas between
    // them, so each statement is serialized once rather than the document at every step.
    let frame = size_of(&PolicyDocument::default());
    let mut parts: Vec<PolicyDocument> = Vec::new();
    let mut current = PolicyDocument::default();
    let mut current_size = frame;
    for s in pieces {
        let size = statement_size(&s);
        let separator = usize::from(!current.statements.is_empty());
        if current_size + separator + size > limit && !current.statements.is_empty() {
            parts.push(std::mem::take(&mut current));
            current_size = frame;
        }
        current_size += usize::from(!current.statements.is_empty()) + size;
        current.statements.push(s);
    }
    if !current.statements.is_empty() {
        parts.push(current);
    }
    parts
}

fn split_statement(s: &Statement, limit: usize) -> Vec<Statement> {
    let alone = PolicyDocument {
        statements: vec![s.clone()],
    };
    if size_of(&alone) <= limit || s.actions.len() < 2 {
        return vec![s.clone()];
    }
    let mid = s.actions.len() / 2;
    let mut a = s.clone();
    let mut b = s.clone();
    a.actions.truncate(mid);
    b.actions.drain(..mid);
    b.sid = format!("{}B", s.sid);
    let mut out = split_statement(&a, limit);
    out.extend(split_statement(&b, limit));
    out
}

/// What one statement adds to a document as written, in bytes: its line and the line break
/// before it. A document's size is [`size_of`] an empty document (the frame) plus this for each
/// statement plus one comma between each two, which is how [`split_to_fit`] packs them.
pub fn statement_size(s: &Statement) -> usize {
    s.to_json().to_string().len() + 1
}

/// The size in bytes of a document as written (see [`written`]).
pub fn size_of(doc: &PolicyDocument) -> usize {
    written(&doc.to_json()).len()
}

/// A document in its written form: the top-level object on one line, except the elements of
/// each array or object member, which go one per line, and a final newline. Every line but
/// those is as compact as JSON allows.
pub fn written(doc: &serde_json::Value) -> String {
    // A JSON value always serializes (its keys are strings), and writing to a String cannot
    // fail: there is no error to default away.
    let serde_json::Value::Object(members) = doc else {
        return format!("{doc}\n");
    };
    let mut out = String::from("{");
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}:", serde_json::Value::from(key.as_str()));
        match value {
            serde_json::Value::Array(items) => {
                out.push('[');
                for (j, item) in items.iter().enumerate() {
                    out.push_str(if j > 0 { ",\n" } else { "\n" });
                    let _ = write!(out, "{item}");
                }
                out.push_str("\n]");
            }
            serde_json::Value::Object(entries) => {
                out.push('{');
                for (j, (k, v)) in entries.iter().enumerate() {
                    out.push_str(if j > 0 { ",\n" } else { "\n" });
                    let _ = write!(out, "{}:{v}", serde_json::Value::from(k.as_str()));
                }
                out.push_str("\n}");
            }
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
    out.push_str("}\n");
    out
}

fn artifact(
    low: &LoweredPolicy,
    kind: ArtifactKind,
    suffix: &str,
    doc: &serde_json::Value,
    targets: Vec<Target>,
    limit: usize,
) -> Artifact {
    let content = written(doc);
    let stem = kind.file_stem();
    Artifact {
        policy: low.name.clone(),
        kind,
        name: format!("tagc-{}-{stem}{suffix}", low.name),
        description: truncate(&low.description, 512),
        file: format!("{}/{stem}{suffix}.json", low.name),
        targets,
        size: content.len(),
        limit,
        hash: content_hash(&content),
        content: content.into(),
    }
}

/// AWS allows 512 characters of description.
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::{size_of, split_to_fit, statement_size, written};
    use crate::ir::{
        Condition, Effect, PolicyDocument, Statement, TagPolicyDocument, TagPolicyKey,
    };

    fn statement(sid: &str, actions: usize) -> Statement {
        Statement {
            sid: sid.to_owned(),
            effect: Effect::Deny,
            actions: (0..actions).map(|i| format!("sqs:Action{i}")).collect(),
            resources: Vec::new(),
            not_resource: false,
            conditions: vec![Condition {
                operator: "Null".to_owned(),
                key: "aws:RequestTag/owner".to_owned(),
                values: vec!["true".to_owned()],
            }],
        }
    }

    fn document(statements: usize, actions: usize) -> PolicyDocument {
        PolicyDocument {
            statements: (0..statements)
                .map(|i| statement(&format!("S{i}"), actions))
                .collect(),
        }
    }

    #[test]
    fn test_written_form_has_one_statement_per_line_and_means_the_document() {
        let doc = document(3, 2);
        let text = written(&doc.to_json());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert_eq!(lines[0], r#"{"Version":"2012-10-17","Statement":["#);
        assert!(lines[1].starts_with(r#"{"Sid":"S0","#) && lines[1].ends_with("},"));
        assert!(lines[3].starts_with(r#"{"Sid":"S2","#) && lines[3].ends_with('}'));
        assert_eq!(lines[4], "]}");
        assert!(text.ends_with("]}\n"));
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(parsed, doc.to_json());
    }

    #[test]
    fn test_tag_policy_is_written_one_key_per_line() {
        let key = |k: &str| TagPolicyKey {
            key: k.to_owned(),
            values: Some(vec!["a\"b".to_owned()]),
            enforced_for: vec!["sqs:queue".to_owned()],
            report_required_for: Vec::new(),
        };
        let doc = TagPolicyDocument {
            keys: vec![key("owner"), key("team")],
        };
        let text = written(&doc.to_json());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[0], r#"{"tags":{"#);
        assert!(lines[1].starts_with(r#""owner":{"#) && lines[1].ends_with("},"));
        assert!(lines[2].starts_with(r#""team":{"#));
        assert_eq!(lines[3], "}}");
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(parsed, doc.to_json());
    }

    #[test]
    fn test_size_is_the_frame_plus_each_statement_plus_the_commas() {
        let frame = size_of(&PolicyDocument::default());
        for n in 1..5 {
            let doc = document(n, 3);
            let sum: usize = doc.statements.iter().map(statement_size).sum();
            assert_eq!(size_of(&doc), frame + sum + (n - 1));
            assert_eq!(size_of(&doc), written(&doc.to_json()).len());
        }
    }

    #[test]
    fn test_split_parts_fit_the_limit_as_written() {
        let doc = document(40, 6);
        let limit = 1_000;
        assert!(size_of(&doc) > limit);
        let parts = split_to_fit(&doc, limit);
        assert!(parts.len() > 1);
        for part in &parts {
            let bytes = written(&part.to_json()).len();
            assert!(bytes <= limit, "{bytes} > {limit}");
        }
        // Packed tightly: each part but the last would overflow with the next statement.
        for pair in parts.windows(2) {
            let mut more = pair[0].clone();
            more.statements.push(pair[1].statements[0].clone());
            assert!(size_of(&more) > limit);
        }
    }
}
