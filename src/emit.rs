//! The emit stage: IR to artifacts — JSON documents sized against the limits, split where an
//! SCP or IAM policy does not fit (packed first-fit-decreasing), shared between the policies of
//! one placement where a target's SCP slots would overflow, hashed, and checked against the
//! attachment slots of every target.
//!
//! Input: the checked project (for targets, placements and settings) and the lowering of one
//! policy, called for each policy in turn. Output: [`Artifact`]s in a deterministic order and
//! the wildcards of `actions compact`, or every limit that was broken. Each document's text
//! goes, as soon as it is made, to a [`Documents`]: kept in its artifact ([`Keep`]), or
//! written to a file and dropped ([`crate::output::Staging`]), so that a build need not hold
//! every document at once.
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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use miette::Diagnostic;
use tagc_macros::PrimaryLabel;

use crate::artifact::{Artifact, ArtifactKind, PolicyWildcards, content_hash};
use crate::diagnostics::Located;
use crate::ir::{LoweredPolicy, PolicyDocument, Statement};
use crate::limits::Limits;
use crate::model::{Policy, Project, ScpStrategy, Target};

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
        /// Its size as written, in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// More policies of one type would be attached to a target than AWS allows.
    #[error("{count} {plural} would be attached to {target}, over the limit of {limit}", plural = kind.plural())]
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

/// What emit produces: the artifacts, and the wildcards `actions compact` wrote, per policy.
#[derive(Debug, Default)]
pub struct Emitted {
    /// Every artifact, in a deterministic order.
    pub artifacts: Vec<Artifact>,
    /// The wildcards of each policy that has some, in declaration order.
    pub wildcards: Vec<PolicyWildcards>,
}

/// Where each document goes once it is written: an artifact's text is handed over as soon as
/// the artifact is made (its name, file, size and hash already set from that text).
pub trait Documents {
    /// Take the written `text` of `artifact`; what is returned becomes the artifact's
    /// `content` (empty when the text was written elsewhere and not kept).
    fn put(&mut self, artifact: &Artifact, text: String) -> Arc<str>;

    /// An artifact put before is not part of the build after all: its policies' SCPs were
    /// packed into shared ones.
    fn remove(&mut self, artifact: &Artifact);
}

/// Keeps every document in its artifact: what commands that read the documents (`test`,
/// `eval`, `plan`, `apply`, the infrastructure-as-code renderings) work from.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keep;

impl Documents for Keep {
    fn put(&mut self, _: &Artifact, text: String) -> Arc<str> {
        text.into()
    }

    fn remove(&mut self, _: &Artifact) {}
}

/// Emit every artifact of the project, each document kept in its artifact ([`emit_into`]
/// with [`Keep`]).
pub fn emit(
    project: &Project,
    lower: &dyn Fn(&Policy) -> LoweredPolicy,
    limits: &Limits,
) -> Result<Emitted, Vec<EmitError>> {
    emit_into(project, lower, limits, &mut Keep)
}

/// Emit every artifact of the project, lowering one policy at a time with `lower`
/// ([`crate::lower::lower_policy`]) and handing each document to `documents` as it is made: a
/// policy's IR is dropped as soon as its documents are written, so memory holds one policy's
/// IR, never the IR of the whole project, and the documents only if `documents` keeps them.
/// The rare placement whose policies must share an SCP is lowered again. On error, the
/// documents already handed over are not part of any build.
pub fn emit_into(
    project: &Project,
    lower: &dyn Fn(&Policy) -> LoweredPolicy,
    limits: &Limits,
    documents: &mut dyn Documents,
) -> Result<Emitted, Vec<EmitError>> {
    let mut emitted = Emitted::default();
    for policy in &project.policies {
        let low = lower(policy);
        emit_policy(policy, &low, limits, &mut emitted.artifacts, documents);
        if !low.wildcards.is_empty() {
            emitted.wildcards.push(PolicyWildcards {
                policy: low.name,
                wildcards: low.wildcards,
            });
        }
    }
    share_scps(project, lower, limits, &mut emitted.artifacts, documents);
    // The build keeps the list to its end: not the room it grew into.
    emitted.artifacts.shrink_to_fit();
    let mut errors: Vec<EmitError> = emitted
        .artifacts
        .iter()
        .filter(|a| a.size > a.limit)
        .filter_map(|a| {
            let policy = project.policies.iter().find(|p| p.name == a.policy)?;
            Some(EmitError::new(
                EmitErrorKind::TooLarge {
                    kind: a.kind,
                    name: a.name.clone(),
                    size: a.size,
                    limit: a.limit,
                },
                policy.name_loc(),
            ))
        })
        .collect();
    errors.extend(check_slots(project, &emitted.artifacts, limits));
    if errors.is_empty() {
        Ok(emitted)
    } else {
        Err(errors)
    }
}

/// The artifacts of one policy: its SCP and IAM policy (split where they do not fit) and its
/// tag policy, each in its written form.
fn emit_policy(
    policy: &Policy,
    low: &LoweredPolicy,
    limits: &Limits,
    artifacts: &mut Vec<Artifact>,
    documents: &mut dyn Documents,
) {
    for (kind, doc, limit, targets) in [
        (
            ArtifactKind::Scp,
            &low.scp,
            limits.scp_size,
            policy.targets.as_slice(),
        ),
        (
            ArtifactKind::IamPolicy,
            &low.iam,
            limits.iam_managed_size,
            &[][..],
        ),
    ] {
        if doc.statements.is_empty() {
            continue;
        }
        let parts = split_to_fit(doc, limit);
        let count = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let suffix = part_suffix(i, count);
            let (mut a, text) =
                artifact(low, kind, &suffix, &part.to_json(), targets.to_vec(), limit);
            a.content = documents.put(&a, text);
            artifacts.push(a);
        }
    }
    if !low.tag_policy.keys.is_empty() {
        let limit = limits.tag_policy_size;
        let (mut a, text) = artifact(
            low,
            ArtifactKind::TagPolicy,
            "",
            &low.tag_policy.to_json(),
            policy.targets.clone(),
            limit,
        );
        a.content = documents.put(&a, text);
        artifacts.push(a);
    }
}

/// `-1`, `-2`, … when a document was split into `count` parts; nothing when it was not.
fn part_suffix(i: usize, count: usize) -> String {
    if count == 1 {
        String::new()
    } else {
        format!("-{}", i + 1)
    }
}

/// Shared SCPs: where a target would hold more SCPs than its slots allow, the SCP statements of
/// the policies of one placement (attached to exactly the same targets) are packed into shared
/// documents, when that takes fewer of them. A Deny denies wherever it sits among the SCPs
/// attached to a target, so moving statements between documents attached at exactly the same
/// places keeps every decision
/// (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html>).
///
/// Only a project that would otherwise fail its slots is changed: the artifacts of a project
/// that fits keep their names, so an existing deployment is never renamed behind its back.
/// The placements are visited in order, each seeing the slots as the sharing before it left
/// them; the count of SCPs per target is kept up to date rather than counted again for each
/// placement, so this is linear in the number of artifacts.
fn share_scps(
    project: &Project,
    lower: &dyn Fn(&Policy) -> LoweredPolicy,
    limits: &Limits,
    artifacts: &mut Vec<Artifact>,
    documents: &mut dyn Documents,
) {
    let extra = usize::from(project.settings.scp_strategy == ScpStrategy::DenyList);
    let mut per_target = scp_counts(artifacts);
    for placement in &project.placements {
        let overfull = placement.targets.iter().any(|t| {
            per_target
                .get(t)
                .is_some_and(|n| n + extra > limits.scp_slots)
        });
        if !overfull {
            continue;
        }
        let members: Vec<LoweredPolicy> = placement
            .policies
            .iter()
            .filter_map(|name| project.policies.iter().find(|p| &p.name == name))
            .map(lower)
            .filter(|l| !l.scp.statements.is_empty())
            .collect();
        let Some(first) = members.first() else {
            continue;
        };
        let is_member = |a: &Artifact| {
            a.kind == ArtifactKind::Scp && members.iter().any(|m| m.name == a.policy)
        };
        let separate = artifacts.iter().filter(|a| is_member(a)).count();
        let combined = combine(members.iter().map(|m| &m.scp));
        let parts = split_to_fit(&combined, limits.scp_size);
        if members.len() < 2 || parts.len() >= separate {
            continue;
        }
        let Some((at, member)) = artifacts.iter().enumerate().find(|(_, a)| is_member(a)) else {
            continue;
        };
        let targets = member.targets.clone();
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        let count = parts.len();
        let shared: Vec<(Artifact, String)> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let suffix = part_suffix(i, count);
                let (mut a, text) = artifact(
                    first,
                    ArtifactKind::Scp,
                    &suffix,
                    &part.to_json(),
                    targets.clone(),
                    limits.scp_size,
                );
                a.name = format!("tagc-{}-shared-scp{suffix}", first.name);
                a.file = format!("{}/shared-scp{suffix}.json", first.name);
                a.description = truncate(
                    &format!(
                        "SCP shared by the tagc policies {}, attached to the same targets",
                        names.join(", ")
                    ),
                    512,
                );
                (a, text)
            })
            .collect();
        for a in artifacts.iter().filter(|a| is_member(a)) {
            documents.remove(a);
            for t in &a.targets {
                if let Some(n) = per_target.get_mut(t) {
                    *n = n.saturating_sub(1);
                }
            }
        }
        let shared: Vec<Artifact> = shared
            .into_iter()
            .map(|(mut a, text)| {
                a.content = documents.put(&a, text);
                for t in &a.targets {
                    *per_target.entry(t.clone()).or_default() += 1;
                }
                a
            })
            .collect();
        artifacts.retain(|a| !is_member(a));
        artifacts.splice(at..at, shared);
    }
}

/// How many SCP artifacts are attached to each target.
fn scp_counts(artifacts: &[Artifact]) -> BTreeMap<Target, usize> {
    let mut per_target: BTreeMap<Target, usize> = BTreeMap::new();
    for a in artifacts.iter().filter(|a| a.kind == ArtifactKind::Scp) {
        for t in &a.targets {
            *per_target.entry(t.clone()).or_default() += 1;
        }
    }
    per_target
}

/// The statements of several documents in one, each `Sid` made unique by a number where two
/// policies chose the same one.
fn combine<'a>(docs: impl Iterator<Item = &'a PolicyDocument>) -> PolicyDocument {
    let mut statements: Vec<Statement> = docs.flat_map(|d| d.statements.iter().cloned()).collect();
    let mut taken: BTreeSet<String> = statements.iter().map(|s| s.sid.clone()).collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for s in &mut statements {
        if !seen.insert(s.sid.clone()) {
            s.sid = fresh_sid(&s.sid, &mut taken, |n| (n + 2).to_string());
            seen.insert(s.sid.clone());
        }
    }
    PolicyDocument { statements }
}

/// The first `base` + `suffix(n)` (n = 0, 1, …) not in `taken`, which it joins.
fn fresh_sid(base: &str, taken: &mut BTreeSet<String>, suffix: impl Fn(usize) -> String) -> String {
    let mut n = 0;
    loop {
        let sid = format!("{base}{}", suffix(n));
        if taken.insert(sid.clone()) {
            return sid;
        }
        n += 1;
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

/// Split a document into documents that each fit `limit`. A statement that alone is too large
/// is first split by its actions into parts that each fit (each part keeps the statement's
/// resources and conditions, so their union means the same). The statements are then packed
/// first-fit-decreasing: largest first, each into the first document with room, ties in
/// document order, so the output is deterministic. Each document lists its statements in their
/// original order, and the documents are ordered by their first statement. First-fit-decreasing
/// can, on rare inputs, need more documents than packing in order; then the in-order packing
/// is kept, so splitting never takes more documents than it did in order.
pub fn split_to_fit(doc: &PolicyDocument, limit: usize) -> Vec<PolicyDocument> {
    if size_of(doc) <= limit {
        return vec![doc.clone()];
    }
    let mut taken: BTreeSet<String> = doc.statements.iter().map(|s| s.sid.clone()).collect();
    let mut pieces: Vec<Statement> = Vec::new();
    for s in &doc.statements {
        pieces.extend(split_statement(s, limit, &mut taken));
    }
    let sizes: Vec<usize> = pieces.iter().map(statement_size).collect();
    let frame = size_of(&PolicyDocument::default());
    let decreasing = first_fit_decreasing(&sizes, frame, limit);
    let in_order = in_order(&sizes, frame, limit);
    let bins = if in_order.len() < decreasing.len() {
        in_order
    } else {
        decreasing
    };
    bins.into_iter()
        .map(|bin| PolicyDocument {
            statements: bin
                .into_iter()
                .filter_map(|i| pieces.get(i).cloned())
                .collect(),
        })
        .collect()
}

/// A document's written size is its frame plus its statements and the commas between them,
/// so each statement is measured once rather than the document at every step. A bin is the
/// indices of its statements, ascending.
fn fits(used: usize, count: usize, size: usize, limit: usize) -> bool {
    used + usize::from(count > 0) + size <= limit
}

/// Pack statements of these sizes in order: a new document whenever the next one does not fit.
fn in_order(sizes: &[usize], frame: usize, limit: usize) -> Vec<Vec<usize>> {
    let mut bins: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        match bins.last_mut() {
            Some((used, bin)) if fits(*used, bin.len(), size, limit) => {
                *used += usize::from(!bin.is_empty()) + size;
                bin.push(i);
            }
            _ => bins.push((frame + size, vec![i])),
        }
    }
    bins.into_iter().map(|(_, bin)| bin).collect()
}

/// Pack statements of these sizes first-fit-decreasing (stable: equal sizes keep their order).
fn first_fit_decreasing(sizes: &[usize], frame: usize, limit: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes.get(i).copied().unwrap_or(0)));
    let mut bins: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in order {
        let size = sizes.get(i).copied().unwrap_or(0);
        match bins
            .iter_mut()
            .find(|(used, bin)| fits(*used, bin.len(), size, limit))
        {
            Some((used, bin)) => {
                *used += usize::from(!bin.is_empty()) + size;
                bin.push(i);
            }
            None => bins.push((frame + size, vec![i])),
        }
    }
    let mut bins: Vec<Vec<usize>> = bins
        .into_iter()
        .map(|(_, mut bin)| {
            bin.sort_unstable();
            bin
        })
        .collect();
    bins.sort();
    bins
}

/// Split a statement that alone does not fit `limit` into parts that do, by its actions in
/// order: each part takes as many of the remaining actions as fit. The first part keeps the
/// `Sid`; the others get `B`, `C`, … after it (a number past `Z`), never one in `taken`. A
/// statement of one action is left whole (and reported as too large).
fn split_statement(s: &Statement, limit: usize, taken: &mut BTreeSet<String>) -> Vec<Statement> {
    let with = |actions: &[String]| {
        let mut part = s.clone();
        part.actions = actions.to_vec();
        part
    };
    let fits_alone = |part: &Statement| {
        size_of(&PolicyDocument {
            statements: vec![part.clone()],
        }) <= limit
    };
    if s.actions.len() < 2 || fits_alone(s) {
        return vec![s.clone()];
    }
    let mut parts = Vec::new();
    let mut rest: &[String] = &s.actions;
    while !rest.is_empty() {
        // The size grows with the number of actions taken, so the largest prefix that fits is
        // found by bisection; at least one action is always taken.
        let take = (1..=rest.len())
            .collect::<Vec<_>>()
            .partition_point(|&n| fits_alone(&with(&rest[..n])))
            .max(1);
        let (head, tail) = rest.split_at(take);
        let mut part = with(head);
        if !parts.is_empty() {
            part.sid = fresh_sid(&s.sid, taken, |n| part_letter(parts.len() + n));
        }
        parts.push(part);
        rest = tail;
    }
    parts
}

/// `B` for the second part of a statement, `C` for the third, … and numbers after `Z`.
fn part_letter(index: usize) -> String {
    u8::try_from(index)
        .ok()
        .filter(|&i| i < 26)
        .map_or_else(|| index.to_string(), |i| char::from(b'A' + i).to_string())
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

/// An artifact of `low` and its written text, which the artifact does not hold yet: the caller
/// hands the text to a [`Documents`], which decides.
fn artifact(
    low: &LoweredPolicy,
    kind: ArtifactKind,
    suffix: &str,
    doc: &serde_json::Value,
    targets: Vec<Target>,
    limit: usize,
) -> (Artifact, String) {
    let content = written(doc);
    let stem = kind.file_stem();
    let a = Artifact {
        policy: low.name.clone(),
        kind,
        name: format!("tagc-{}-{stem}{suffix}", low.name),
        description: truncate(&low.description, 512),
        file: format!("{}/{stem}{suffix}.json", low.name),
        targets,
        size: content.len(),
        limit,
        hash: content_hash(&content),
        content: Arc::from(""),
    };
    (a, content)
}

/// AWS allows 512 characters of description.
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::fmt::Write as _;

    use super::{in_order, size_of, split_to_fit, statement_size};
    use crate::ir::{Effect, PolicyDocument, Statement};

    /// A Deny statement whose size grows with `actions`.
    fn statement(sid: &str, actions: usize) -> Statement {
        Statement {
            sid: sid.to_owned(),
            effect: Effect::Deny,
            actions: (0..actions)
                .map(|i| format!("sagemaker:Action{i:04}"))
                .collect(),
            resources: Vec::new(),
            not_resource: false,
            conditions: Vec::new(),
        }
    }

    fn document(statements: Vec<Statement>) -> PolicyDocument {
        PolicyDocument { statements }
    }

    /// How many documents packing in order takes, measured as `split_to_fit` measures.
    fn in_order_count(doc: &PolicyDocument, limit: usize) -> usize {
        let sizes: Vec<usize> = doc.statements.iter().map(statement_size).collect();
        in_order(&sizes, size_of(&PolicyDocument::default()), limit).len()
    }

    /// Every part fits, each `Sid` is unique within its part, and the parts hold exactly the
    /// actions of each statement of `doc` (a split statement's parts keep its conditions).
    fn assert_sound(doc: &PolicyDocument, parts: &[PolicyDocument], limit: usize) {
        for part in parts {
            assert!(size_of(part) <= limit, "{} > {limit}", size_of(part));
            let sids: BTreeSet<&str> = part.statements.iter().map(|s| s.sid.as_str()).collect();
            assert_eq!(
                sids.len(),
                part.statements.len(),
                "duplicate Sid in {part:?}"
            );
        }
        let mut before: Vec<&String> = doc.statements.iter().flat_map(|s| &s.actions).collect();
        let mut after: Vec<&String> = parts
            .iter()
            .flat_map(|p| &p.statements)
            .flat_map(|s| &s.actions)
            .collect();
        before.sort();
        after.sort();
        assert_eq!(before, after);
    }

    #[test]
    fn test_first_fit_decreasing_needs_two_documents_where_in_order_needs_three() {
        // Sizes a, b, c, d with a + b and b + d over the room of one document, b + c and a + d
        // within it: in order that is [a] [b c] [d]; largest first, [b c] [a d].
        let (a, b, c, d) = (
            statement("A", 20),
            statement("B", 26),
            statement("C", 14),
            statement("D", 20),
        );
        let size = |s: &Statement| statement_size(s);
        let room = (size(&b) + size(&c)).max(size(&a) + size(&d)) + 1;
        assert!(size(&a) + 1 + size(&b) > room && size(&b) + 1 + size(&d) > room);
        let limit = size_of(&PolicyDocument::default()) + room;
        let doc = document(vec![a, b, c, d]);
        assert_eq!(in_order_count(&doc, limit), 3);
        let parts = split_to_fit(&doc, limit);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert_sound(&doc, &parts, limit);
        // Each document keeps the statements in their original order.
        let sids: Vec<Vec<&str>> = parts
            .iter()
            .map(|p| p.statements.iter().map(|s| s.sid.as_str()).collect())
            .collect();
        assert_eq!(sids, [vec!["A", "D"], vec!["B", "C"]]);
    }

    #[test]
    fn test_first_fit_decreasing_never_takes_more_documents_than_in_order() {
        // A fixed pseudo-random sequence of documents (a linear congruential generator), so
        // the test is the same on every run.
        let mut seed: u64 = 20_261_130;
        let mut next = |bound: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from((seed >> 33) % bound).expect("small")
        };
        for case in 0..300 {
            let count = 2 + next(12);
            let statements = (0..count)
                .map(|i| statement(&format!("S{i}"), 1 + next(40)))
                .collect();
            let doc = document(statements);
            // Every statement fits alone, so this compares the packings alone.
            let largest = doc.statements.iter().map(statement_size).max().unwrap_or(0);
            let limit = size_of(&PolicyDocument::default()) + largest + next(1_500);
            let parts = split_to_fit(&doc, limit);
            assert!(
                parts.len() <= in_order_count(&doc, limit),
                "case {case}: {} documents, in order {}",
                parts.len(),
                in_order_count(&doc, limit)
            );
            assert_sound(&doc, &parts, limit);
            assert_eq!(
                split_to_fit(&doc, limit),
                parts,
                "case {case}: not deterministic"
            );
        }
    }

    #[test]
    fn test_an_oversized_statement_is_split_by_its_actions_into_parts_that_each_fit() {
        let big = statement("Big", 200);
        // The next parts' Sids skip one already taken by another statement of the document.
        let doc = document(vec![big.clone(), statement("BigB", 1)]);
        let limit = size_of(&document(vec![big])) / 3;
        let parts = split_to_fit(&doc, limit);
        assert!(parts.len() >= 3, "{parts:?}");
        assert_sound(&doc, &parts, limit);
        let sids: BTreeSet<&str> = parts
            .iter()
            .flat_map(|p| &p.statements)
            .map(|s| s.sid.as_str())
            .collect();
        assert!(sids.contains("Big") && sids.contains("BigC"), "{sids:?}");
        assert_eq!(
            parts.iter().map(|p| p.statements.len()).sum::<usize>(),
            sids.len(),
            "every Sid is unique across the parts: {sids:?}"
        );
    }

    /// `count` policies of one small rule each, attached to the root.
    fn small_policies_on_root(count: usize) -> String {
        let services = [
            "sqs:CreateQueue",
            "sns:CreateTopic",
            "lambda:CreateFunction",
            "dynamodb:CreateTable",
            "s3:CreateBucket",
            "sagemaker:CreateTrainingJob",
            "sagemaker:CreateEndpoint",
            "ec2:CreateVpc",
            "rds:CreateDBInstance",
            "ecs:CreateCluster",
            "eks:CreateCluster",
        ];
        let mut text = "tag owner\n".to_owned();
        for (i, action) in services.iter().take(count).enumerate() {
            let _ = writeln!(
                text,
                "policy p{i} {{\n  only-declared-keys on {action}\n  attach to root\n}}"
            );
        }
        text
    }

    fn compile(text: &str) -> crate::Compiled {
        crate::compile_sources(
            &[crate::source::SourceFile::new("t.tags", text)],
            crate::catalog::Catalog::builtin(),
        )
    }

    fn scp_names(compiled: &crate::Compiled) -> Vec<&str> {
        compiled
            .artifacts()
            .iter()
            .filter(|a| a.kind == crate::artifact::ArtifactKind::Scp)
            .map(|a| a.name.as_str())
            .collect()
    }

    #[test]
    fn test_policies_on_the_same_targets_share_an_scp_when_slots_would_overflow() {
        // 11 SCPs and `FullAWSAccess` on the root are over its 10 slots.
        let compiled = compile(&small_policies_on_root(11));
        assert!(
            !compiled.diagnostics.has_errors(),
            "{:?}",
            compiled.diagnostics
        );
        assert_eq!(scp_names(&compiled), ["tagc-p0-shared-scp"]);
        let shared = compiled
            .artifacts()
            .iter()
            .find(|a| a.name == "tagc-p0-shared-scp")
            .expect("the shared SCP");
        assert_eq!(shared.policy, "p0");
        assert_eq!(shared.targets, [crate::model::Target::Root]);
        assert!(shared.description.contains("p0, p1,") && shared.description.contains("p10"));
        let doc = shared.document().expect("the shared SCP is JSON");
        let statements = doc["Statement"].as_array().expect("statements");
        assert_eq!(statements.len(), 11);
        let sids: BTreeSet<&str> = statements
            .iter()
            .filter_map(|s| s["Sid"].as_str())
            .collect();
        assert_eq!(sids.len(), 11, "{sids:?}");
        // Each policy keeps its own IAM policy, which tagc does not attach.
        assert_eq!(
            compiled
                .artifacts()
                .iter()
                .filter(|a| a.kind == crate::artifact::ArtifactKind::IamPolicy)
                .count(),
            11
        );
    }

    #[test]
    fn test_a_project_within_its_slots_keeps_one_scp_per_policy() {
        // 9 SCPs and `FullAWSAccess` fill the root's 10 slots exactly.
        let compiled = compile(&small_policies_on_root(9));
        assert!(!compiled.diagnostics.has_errors());
        let names: Vec<String> = (0..9).map(|i| format!("tagc-p{i}-scp")).collect();
        assert_eq!(scp_names(&compiled), names);
    }

    /// The written form: what is sent, hashed and measured.
    mod written_form {
        use super::super::{size_of, split_to_fit, statement_size, written};
        use crate::ir::{
            Condition, ConditionOperator, Effect, PolicyDocument, Statement, TagPolicyDocument,
            TagPolicyKey,
        };

        fn statement(sid: &str, actions: usize) -> Statement {
            Statement {
                sid: sid.to_owned(),
                effect: Effect::Deny,
                actions: (0..actions).map(|i| format!("sqs:Action{i}")).collect(),
                resources: Vec::new(),
                not_resource: false,
                conditions: vec![Condition::new(
                    ConditionOperator::Null,
                    "aws:RequestTag/owner",
                    vec!["true".to_owned()],
                )],
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
            // Packed tightly: no two parts would fit together as one.
            for (i, a) in parts.iter().enumerate() {
                for b in parts.iter().skip(i + 1) {
                    let mut both = a.clone();
                    both.statements.extend(b.statements.iter().cloned());
                    assert!(size_of(&both) > limit);
                }
            }
        }
    }
}
