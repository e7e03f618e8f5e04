//! The emit stage: IR to artifacts — JSON documents sized against the limits, split where an
//! SCP does not fit, hashed, and checked against the attachment slots of every target.
//!
//! Input: the lowered policies and the checked project (for targets and settings). Output:
//! [`Artifact`]s in a deterministic order, or every limit that was broken. Sizes are measured
//! on the minified document, in bytes: that is exactly what the API receives, and bytes are a
//! safe bound for AWS's "characters" when a document holds non-ASCII text.

use std::collections::BTreeMap;

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
        /// Its minified size.
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
    // A document's minified size is its frame plus its statements and the commas between
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

fn statement_size(s: &Statement) -> usize {
    s.to_json().to_string().len()
}

fn size_of(doc: &PolicyDocument) -> usize {
    doc.to_json().to_string().len()
}

fn artifact(
    low: &LoweredPolicy,
    kind: ArtifactKind,
    suffix: &str,
    doc: &serde_json::Value,
    targets: Vec<Target>,
    limit: usize,
) -> Artifact {
    // A JSON value always serializes (its keys are strings): `Display` writes it minified, and
    // pretty-printed with `{:#}`, with no error to default away.
    let minified = doc.to_string();
    let pretty = format!("{doc:#}\n");
    let stem = kind.file_stem();
    Artifact {
        policy: low.name.clone(),
        kind,
        name: format!("tagc-{}-{stem}{suffix}", low.name),
        description: truncate(&low.description, 512),
        file: format!("{}/{stem}{suffix}.json", low.name),
        targets,
        size: minified.len(),
        limit,
        hash: content_hash(&minified),
        minified,
        pretty,
    }
}

/// AWS allows 512 characters of description.
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
