//! The emit stage: IR to artifacts — JSON documents sized against the limits, split where an
//! SCP does not fit, hashed, and checked against the attachment slots of every target.
//!
//! Input: the lowered policies and the checked project (for targets and settings). Output:
//! [`Artifact`]s in a deterministic order, or every limit that was broken. Sizes are measured
//! on the minified document, in bytes: that is exactly what the API receives, and bytes are a
//! safe bound for AWS's "characters" when a document holds non-ASCII text.

use std::collections::BTreeMap;

use miette::Diagnostic;
use tagc_macros::PrimaryLabel;

use crate::artifact::{Artifact, ArtifactKind, content_hash};
use crate::diagnostics::Located;
use crate::ir::{LoweredPolicy, PolicyDocument, Statement};
use crate::limits::Limits;
use crate::model::{Project, ScpStrategy, Target};

/// What kind of emit error, with its wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic, PrimaryLabel)]
#[non_exhaustive]
pub enum EmitErrorKind {
    /// A document is over its size limit and cannot be split.
    #[error("{kind} `{name}` is {size} characters, over the limit of {limit}")]
    #[diagnostic(
        code("tagc::emit::too-large"),
        severity(Error),
        help(
            "split the policy's rules into two policies, or select `limits current` if the organization has the 2026 quotas"
        )
    )]
    #[label("this policy's document is too large")]
    TooLarge {
        /// The kind of document.
        kind: ArtifactKind,
        /// The artifact's name.
        name: String,
        /// Its minified size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// More policies of one type would be attached to a target than AWS allows.
    #[error("{count} {kind}s would be attached to {target}, over the limit of {limit}")]
    #[diagnostic(
        code("tagc::emit::slots-exceeded"),
        severity(Error),
        help("{}", slots_help(*full_aws_access))
    )]
    #[label("this policy is one of them")]
    SlotsExceeded {
        /// The kind of policy: an SCP or a tag policy.
        kind: ArtifactKind,
        /// The target.
        target: Target,
        /// How many would be attached.
        count: usize,
        /// The limit.
        limit: usize,
        /// Whether `FullAWSAccess` was counted.
        full_aws_access: bool,
    },
}

/// The help for too many policies on one target, naming `FullAWSAccess` where it took a slot.
fn slots_help(full_aws_access: bool) -> String {
    let mut h = "attach fewer policies to this target, or merge policies that share it".to_owned();
    if full_aws_access {
        h.push_str(
            "; `FullAWSAccess` takes a slot under the deny-list strategy (see `organization { scp-strategy … }`)",
        );
    }
    h
}

/// An emit error, pointing at the policy it concerns.
pub type EmitError = Located<EmitErrorKind>;

/// Emit every artifact of the project.
pub fn emit(
    project: &Project,
    lowered: &[LoweredPolicy],
    limits: &Limits,
) -> Result<Vec<Artifact>, Vec<EmitError>> {
    let mut artifacts = Vec::new();
    let mut errors = Vec::new();
    for (policy, low) in project.policies.iter().zip(lowered) {
        let too_large = |kind: ArtifactKind, name: &str, size: usize, limit: usize| {
            EmitError::new(
                EmitErrorKind::TooLarge {
                    kind,
                    name: name.into(),
                    size,
                    limit,
                },
                policy.name_loc(),
            )
        };
        let targets = policy.targets.clone();
        for (kind, doc, limit, targets) in [
            (
                ArtifactKind::Scp,
                &low.scp,
                limits.scp_size,
                targets.clone(),
            ),
            (
                ArtifactKind::IamPolicy,
                &low.iam,
                limits.iam_managed_size,
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
                    errors.push(too_large(kind, &a.name, a.size, limit));
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
                errors.push(too_large(ArtifactKind::TagPolicy, &a.name, a.size, limit));
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
        let (limit, extra) = match kind {
            ArtifactKind::Scp => (limits.scp_slots, usize::from(full_aws_access)),
            ArtifactKind::TagPolicy => (limits.tag_policy_slots, 0),
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
            let mut error = EmitError::new(
                EmitErrorKind::SlotsExceeded {
                    kind,
                    target: target.clone(),
                    count,
                    limit,
                    full_aws_access: kind == ArtifactKind::Scp && full_aws_access,
                },
                policy.name_loc(),
            );
            for other in attached
                .iter()
                .skip(1)
                .filter_map(|a| project.policies.iter().find(|p| p.name == a.policy))
                .filter(|p| p.name != policy.name)
            {
                error = error.with_related(&other.name_loc(), "also attached here");
            }
            errors.push(error);
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
