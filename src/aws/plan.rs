//! The planner: declared artifacts and an organization snapshot in, a [`Plan`] out.
//!
//! Input: the compiled artifacts (SCPs and tag policies; IAM policies are skipped), the
//! organization settings (with the project's name), an [`OrgSnapshot`] and the
//! [`PlanOptions`]. Output: the [`Plan`], a list of steps in the order they are safe to run
//! (enable types, adopt, create and update, attach, detach, delete), plus the drift found and
//! the other projects' tagc policies; or every [`PlanError`] found. Pure code: no I/O, so every
//! rule here (ownership by project, `FullAWSAccess`, slot and size limits, the destroy guard)
//! is tested against snapshots offline.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

use crate::artifact::{Artifact, content_hash};
use crate::model::{LimitsProfile, ScpStrategy, Settings, Target};

use super::api::PolicyType;
use super::error::PlanError;
use super::snapshot::{
    FULL_AWS_ACCESS_ID, FULL_AWS_ACCESS_NAME, OrgSnapshot, normalize_path, policy_type,
};

/// A policy a step refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    /// Its name.
    pub name: String,
    /// Its id; `None` for a policy this plan creates.
    pub id: Option<String>,
}

/// A root, OU or account a step attaches to or detaches from, as found in the organization
/// (the id AWS knows it by and a label for people).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgTarget {
    /// `r-…`, `ou-…` or an account id.
    pub id: String,
    /// `Root`, the OU's path or `account <id>`.
    pub label: String,
}

/// One change, in the order the plan runs them. The content of a created or updated policy is
/// not serialized: a saved plan holds its hash, and `apply` takes the content from the sources,
/// which must compile to that hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    /// Enable a policy type on the root, and wait until it is enabled.
    EnablePolicyType {
        /// The root.
        root_id: String,
        /// The type.
        policy_type: PolicyType,
    },
    /// Create a policy, tagged as tagc's.
    CreatePolicy {
        /// Its name.
        name: String,
        /// Its type.
        policy_type: PolicyType,
        /// Its description.
        description: String,
        /// Its size in characters.
        size: usize,
        /// The size limit.
        limit: usize,
        /// The content's hash.
        hash: String,
        /// The content.
        #[serde(skip)]
        content: String,
    },
    /// Replace an owned policy's content (and description), then record the new hash.
    UpdatePolicy {
        /// The policy.
        policy_id: String,
        /// Its name.
        name: String,
        /// Its new description.
        description: String,
        /// Its description in AWS.
        old_description: String,
        /// The live content's hash.
        old_hash: String,
        /// The new content's hash.
        new_hash: String,
        /// A unified diff of the pretty-printed documents (empty when only the description
        /// changes).
        diff: String,
        /// The new content.
        #[serde(skip)]
        content: String,
    },
    /// Claim a policy an older tagc made (no `tagc:project` tag) for this project, with
    /// `--adopt`: tag it `tagc:project = <project>`.
    AdoptPolicy {
        /// The policy.
        policy_id: String,
        /// Its name.
        name: String,
        /// The project that claims it.
        project: String,
    },
    /// Record the applied hash on a policy whose content is already right.
    TagPolicy {
        /// The policy.
        policy_id: String,
        /// Its name.
        name: String,
        /// The hash to record.
        hash: String,
    },
    /// Attach a policy to a target.
    AttachPolicy {
        /// The policy.
        policy: PolicyRef,
        /// The target.
        target: OrgTarget,
    },
    /// Detach a policy from a target.
    DetachPolicy {
        /// The policy.
        policy: PolicyRef,
        /// The target.
        target: OrgTarget,
    },
    /// Delete an owned policy that is no longer declared (detached first).
    DeletePolicy {
        /// The policy.
        policy_id: String,
        /// Its name.
        name: String,
    },
}

impl fmt::Display for Step {
    /// One line, as shown in progress output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EnablePolicyType {
                root_id,
                policy_type,
            } => {
                write!(f, "enable {policy_type} on the root {root_id}")
            }
            Self::CreatePolicy {
                name,
                policy_type,
                size,
                limit,
                ..
            } => {
                write!(
                    f,
                    "create {policy_type} `{name}` ({size}/{limit} characters)"
                )
            }
            Self::UpdatePolicy {
                name, policy_id, ..
            } => write!(f, "update `{name}` ({policy_id})"),
            Self::AdoptPolicy {
                name,
                policy_id,
                project,
            } => write!(f, "adopt `{name}` ({policy_id}) into project `{project}`"),
            Self::TagPolicy {
                name,
                policy_id,
                hash,
            } => {
                write!(f, "record hash of `{name}` ({policy_id}) as {hash}")
            }
            Self::AttachPolicy { policy, target } => {
                write!(f, "attach `{}` to {}", policy.name, target.label)
            }
            Self::DetachPolicy { policy, target } => {
                write!(f, "detach `{}` from {}", policy.name, target.label)
            }
            Self::DeletePolicy { name, policy_id } => write!(f, "delete `{name}` ({policy_id})"),
        }
    }
}

/// An owned policy whose content in AWS is not what tagc last applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// The policy.
    pub policy_id: String,
    /// Its name.
    pub name: String,
    /// The hash tagc recorded (`None`: the tag is missing).
    pub recorded_hash: Option<String>,
    /// The hash of the content in AWS.
    pub live_hash: String,
}

/// A tagc policy of another project (or of none: made by an older tagc), which this project
/// never changes, detaches or deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Foreign {
    /// The policy.
    pub policy_id: String,
    /// Its name.
    pub name: String,
    /// Its `tagc:project` tag; `None` when it has none.
    pub project: Option<String>,
}

/// How the planner may treat what it finds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--allow-destroy`: let the plan remove most or all of what the project owns.
    pub allow_destroy: bool,
    /// `--adopt`: claim the tagc policies without a project tag whose names the project
    /// declares.
    pub adopt: bool,
}

/// What `apply` would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The project the plan is for (`organization { project "…" }`).
    pub project: String,
    /// The organization's root.
    pub root_id: String,
    /// The changes, in the order they run.
    pub steps: Vec<Step>,
    /// Owned policies changed outside tagc.
    pub drift: Vec<Drift>,
    /// Declared policies already as declared.
    pub unchanged: Vec<String>,
    /// tagc policies of other projects, never touched.
    pub foreign: Vec<Foreign>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Pretty-prints a JSON document for diffs (the text as is when it is not JSON).
fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .map_or_else(|| text.to_owned(), |s| s + "\n")
}

/// A unified diff from the live document to the declared one.
fn json_diff(live: &str, desired: &str) -> String {
    let (a, b) = (pretty(live), pretty(desired));
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header("aws", "tagc")
        .to_string()
}

/// The closest OU path to an unknown one, for "did you mean".
fn suggest(snapshot: &OrgSnapshot, wanted: &str) -> Option<String> {
    let wanted = normalize_path(wanted);
    std::iter::once("Root".to_owned())
        .chain(snapshot.ous.iter().map(|o| o.path.clone()))
        .map(|p| {
            (
                strsim::normalized_levenshtein(&wanted.to_lowercase(), &p.to_lowercase()),
                p,
            )
        })
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, p)| p)
}

fn unknown_target(snapshot: &OrgSnapshot, target: &Target, policy: &str) -> PlanError {
    let help = match target {
        Target::Root => "the organization has no root".to_owned(),
        Target::OuPath(p) => suggest(snapshot, p).map_or_else(
            || "no OU path is close; OU paths start at `Root`, such as `Root/Workloads`".to_owned(),
            |s| format!("did you mean `{s}`?"),
        ),
        Target::OuId(_) => "no OU has this id; use an OU path such as `Root/Workloads`".to_owned(),
        Target::Account(_) => "no account with this id is in the organization".to_owned(),
    };
    PlanError::UnknownTarget {
        target: target.to_string(),
        policy: policy.to_owned(),
        help,
    }
}

/// A section of the human plan: title, sign, which steps.
type Section = (&'static str, &'static str, fn(&Step) -> bool);

/// Computes the plan. Every error found is returned, none of them after a change: the plan is
/// made before anything is changed.
#[expect(
    clippy::too_many_lines,
    reason = "one pass over the declared policies, then the owned ones, then the slots; splitting \
              it would only pass the same dozen collections around"
)]
pub fn plan(
    desired: &[Artifact],
    settings: &Settings,
    snapshot: &OrgSnapshot,
    options: PlanOptions,
) -> Result<Plan, PlanError> {
    let Some(project) = settings.project.as_deref() else {
        return Err(PlanError::NoProject);
    };
    // This project's policies: its own, and with `--adopt` the unclaimed ones it declares.
    let declared_names: BTreeSet<&str> = desired
        .iter()
        .filter(|a| policy_type(a.kind).is_some())
        .map(|a| a.name.as_str())
        .collect();
    let adopted = |p: &super::snapshot::LivePolicy| {
        options.adopt
            && p.managed
            && p.project.is_none()
            && declared_names.contains(p.info.name.as_str())
    };
    let ours = |p: &super::snapshot::LivePolicy| p.owned_by(project) || adopted(p);
    let foreign: Vec<Foreign> = snapshot
        .policies
        .iter()
        .filter(|p| p.managed && !ours(p))
        .map(|p| Foreign {
            policy_id: p.info.id.clone(),
            name: p.info.name.clone(),
            project: p.project.clone(),
        })
        .collect();
    let mut adopts = Vec::new();
    let mut errors = Vec::new();
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut tags = Vec::new();
    let mut attaches: Vec<(PolicyType, PolicyRef, String)> = Vec::new();
    let mut detaches: Vec<(PolicyType, PolicyRef, String)> = Vec::new();
    let mut deletes = Vec::new();
    let mut drift = Vec::new();
    let mut unchanged = Vec::new();
    let mut needed_types = BTreeSet::new();
    let mut declared_targets: BTreeMap<PolicyType, BTreeSet<String>> = BTreeMap::new();
    let mut names = BTreeSet::new();

    for artifact in desired {
        let Some(ty) = policy_type(artifact.kind) else {
            continue;
        };
        needed_types.insert(ty);
        if !names.insert(artifact.name.as_str()) {
            errors.push(PlanError::DuplicateName {
                name: artifact.name.clone(),
            });
            continue;
        }
        let name_len = artifact.name.chars().count();
        if name_len == 0 || name_len > 128 {
            errors.push(PlanError::InvalidName {
                name: artifact.name.clone(),
                what: format!("a name of {name_len} characters"),
            });
        }
        let description_len = artifact.description.chars().count();
        if description_len > 512 {
            errors.push(PlanError::InvalidName {
                name: artifact.name.clone(),
                what: format!("a description of {description_len} characters"),
            });
        }
        let size_limit = ty.size_limit(settings.limits);
        // UTF-8 bytes: never fewer than characters, so a safe bound either way AWS counts.
        let size = artifact.minified.len();
        if size > size_limit {
            errors.push(PlanError::TooLarge {
                name: artifact.name.clone(),
                kind: ty.to_string(),
                size,
                limit: size_limit,
            });
        }
        let mut target_ids = BTreeSet::new();
        for t in &artifact.targets {
            match snapshot.resolve(t) {
                Some(id) => {
                    target_ids.insert(id);
                }
                None => errors.push(unknown_target(snapshot, t, &artifact.policy)),
            }
        }
        declared_targets
            .entry(ty)
            .or_default()
            .extend(target_ids.iter().cloned());
        let hash = content_hash(&artifact.minified);
        let live = snapshot
            .policies
            .iter()
            .find(|p| p.info.name == artifact.name);
        match live {
            Some(p) if !p.managed => {
                errors.push(PlanError::NotOwned {
                    name: p.info.name.clone(),
                    id: p.info.id.clone(),
                });
            }
            Some(p) if !ours(p) => {
                errors.push(foreign_error(p, project));
            }
            Some(p) if p.ty != ty => errors.push(PlanError::KindChanged {
                name: p.info.name.clone(),
                live: p.ty.to_string(),
                desired: ty.to_string(),
            }),
            Some(p) => {
                if adopted(p) {
                    adopts.push(Step::AdoptPolicy {
                        policy_id: p.info.id.clone(),
                        name: p.info.name.clone(),
                        project: project.to_owned(),
                    });
                }
                let live_content = p.content.clone().unwrap_or_default();
                let live_hash = content_hash(&live_content);
                if p.recorded_hash.as_deref() != Some(live_hash.as_str()) {
                    drift.push(Drift {
                        policy_id: p.info.id.clone(),
                        name: p.info.name.clone(),
                        recorded_hash: p.recorded_hash.clone(),
                        live_hash: live_hash.clone(),
                    });
                }
                let content_changed = live_hash != hash;
                if content_changed || p.info.description != artifact.description {
                    updates.push(Step::UpdatePolicy {
                        policy_id: p.info.id.clone(),
                        name: p.info.name.clone(),
                        description: artifact.description.clone(),
                        old_description: p.info.description.clone(),
                        old_hash: live_hash,
                        new_hash: hash.clone(),
                        diff: if content_changed {
                            json_diff(&live_content, &artifact.minified)
                        } else {
                            String::new()
                        },
                        content: artifact.minified.clone(),
                    });
                } else if p.recorded_hash.as_deref() != Some(hash.as_str()) {
                    tags.push(Step::TagPolicy {
                        policy_id: p.info.id.clone(),
                        name: p.info.name.clone(),
                        hash: hash.clone(),
                    });
                }
                let pref = PolicyRef {
                    name: p.info.name.clone(),
                    id: Some(p.info.id.clone()),
                };
                let live_targets: BTreeSet<String> = p.targets.iter().cloned().collect();
                for t in target_ids.difference(&live_targets) {
                    attaches.push((ty, pref.clone(), t.clone()));
                }
                for t in live_targets.difference(&target_ids) {
                    detaches.push((ty, pref.clone(), t.clone()));
                }
                let in_sync = !content_changed
                    && p.info.description == artifact.description
                    && target_ids == live_targets
                    && p.recorded_hash.as_deref() == Some(hash.as_str());
                if in_sync {
                    unchanged.push(artifact.name.clone());
                }
            }
            None => {
                creates.push(Step::CreatePolicy {
                    name: artifact.name.clone(),
                    policy_type: ty,
                    description: artifact.description.clone(),
                    size,
                    limit: size_limit,
                    hash,
                    content: artifact.minified.clone(),
                });
                let pref = PolicyRef {
                    name: artifact.name.clone(),
                    id: None,
                };
                for t in &target_ids {
                    attaches.push((ty, pref.clone(), t.clone()));
                }
            }
        }
    }

    // Owned policies no longer declared: detach everywhere, then delete.
    for p in snapshot
        .policies
        .iter()
        .filter(|p| ours(p) && !names.contains(p.info.name.as_str()))
    {
        let live_hash = content_hash(p.content.as_deref().unwrap_or_default());
        if p.recorded_hash.as_deref() != Some(live_hash.as_str()) {
            drift.push(Drift {
                policy_id: p.info.id.clone(),
                name: p.info.name.clone(),
                recorded_hash: p.recorded_hash.clone(),
                live_hash,
            });
        }
        let pref = PolicyRef {
            name: p.info.name.clone(),
            id: Some(p.info.id.clone()),
        };
        for t in &p.targets {
            detaches.push((p.ty, pref.clone(), t.clone()));
        }
        deletes.push(Step::DeletePolicy {
            policy_id: p.info.id.clone(),
            name: p.info.name.clone(),
        });
    }

    // Allow-list: tagc's SCPs replace FullAWSAccess on the targets they are attached to. It is
    // detached after they are attached, so no target is ever without an SCP.
    if settings.scp_strategy == ScpStrategy::AllowList {
        let scp_enabled = snapshot.enabled(PolicyType::ServiceControlPolicy);
        for t in declared_targets
            .get(&PolicyType::ServiceControlPolicy)
            .into_iter()
            .flatten()
        {
            let has_full_access = !scp_enabled
                || snapshot.attachments.get(t).is_some_and(|a| {
                    a.scp
                        .iter()
                        .any(|p| p.aws_managed && p.name == FULL_AWS_ACCESS_NAME)
                });
            if has_full_access {
                let pref = PolicyRef {
                    name: FULL_AWS_ACCESS_NAME.to_owned(),
                    id: Some(FULL_AWS_ACCESS_ID.to_owned()),
                };
                detaches.push((PolicyType::ServiceControlPolicy, pref, t.clone()));
            }
        }
    }

    // Slots: what each target would hold, at the end and at the peak (attach runs before
    // detach). A target that would overflow at the peak only gets its detaches first, if that
    // leaves it at least one SCP.
    let mut early = BTreeSet::new();
    let touched: BTreeSet<(PolicyType, String)> = attaches
        .iter()
        .chain(detaches.iter())
        .map(|(ty, _, t)| (*ty, t.clone()))
        .collect();
    for (ty, target) in &touched {
        let current = current_attachments(snapshot, *ty, target);
        let added: Vec<&str> = attaches
            .iter()
            .filter(|(t, _, id)| t == ty && id == target)
            .map(|(_, p, _)| p.name.as_str())
            .collect();
        let removed: BTreeSet<&str> = detaches
            .iter()
            .filter(|(t, _, id)| t == ty && id == target)
            .map(|(_, p, _)| p.name.as_str())
            .collect();
        let kept = current
            .iter()
            .filter(|n| !removed.contains(n.as_str()))
            .count();
        let end = kept + added.len();
        let peak = current.len() + added.len();
        let slots = ty.slot_limit(settings.limits);
        let label = snapshot.label(target);
        let min = usize::from(*ty == PolicyType::ServiceControlPolicy);
        if end < min {
            errors.push(PlanError::LastScp { target: label });
        } else if end > slots || (peak > slots && kept < min) {
            errors.push(PlanError::SlotOverflow {
                target: label,
                kind: ty.to_string(),
                needed: end.max(peak),
                limit: slots,
                help: slot_help(&current, &added, *ty, settings),
            });
        } else if peak > slots {
            early.insert((*ty, target.clone()));
        }
    }

    // A tagc policy becomes an SCP and a tag policy with the same targets: an unknown target
    // would otherwise be reported once per artifact.
    let mut unique: Vec<PlanError> = Vec::with_capacity(errors.len());
    for e in errors {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    let mut errors = unique;
    if errors.is_empty() && !options.allow_destroy {
        let owned: Vec<&super::snapshot::LivePolicy> =
            snapshot.policies.iter().filter(|p| ours(p)).collect();
        if let Some(e) = destroy_guard(project, snapshot, &owned, &detaches, &deletes) {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(if errors.len() == 1 {
            errors.remove(0)
        } else {
            PlanError::Several { errors }
        });
    }

    let mut steps = Vec::new();
    for ty in &needed_types {
        if !snapshot.enabled(*ty) {
            steps.push(Step::EnablePolicyType {
                root_id: snapshot.root.id.clone(),
                policy_type: *ty,
            });
        }
    }
    steps.extend(adopts);
    steps.extend(creates);
    steps.extend(updates);
    steps.extend(tags);
    let to_step = |attach: bool, (_, policy, id): &(PolicyType, PolicyRef, String)| {
        let target = OrgTarget {
            id: id.clone(),
            label: snapshot.label(id),
        };
        if attach {
            Step::AttachPolicy {
                policy: policy.clone(),
                target,
            }
        } else {
            Step::DetachPolicy {
                policy: policy.clone(),
                target,
            }
        }
    };
    let is_early = |d: &&(PolicyType, PolicyRef, String)| early.contains(&(d.0, d.2.clone()));
    steps.extend(detaches.iter().filter(is_early).map(|d| to_step(false, d)));
    steps.extend(attaches.iter().map(|a| to_step(true, a)));
    steps.extend(
        detaches
            .iter()
            .filter(|d| !is_early(d))
            .map(|d| to_step(false, d)),
    );
    steps.extend(deletes);
    Ok(Plan {
        project: project.to_owned(),
        root_id: snapshot.root.id.clone(),
        steps,
        drift,
        unchanged,
        foreign,
    })
}

/// Why a declared name cannot be used: a tagc policy of another project (or of none) has it.
fn foreign_error(p: &super::snapshot::LivePolicy, project: &str) -> PlanError {
    let (owner, help) = match &p.project {
        Some(other) => (
            format!("tagc project `{other}`"),
            format!(
                "tagc never changes another project's policies: rename the policy in `{project}`, \
                 or remove it from `{other}` first"
            ),
        ),
        None => (
            "no project (an older tagc made it, without a `tagc:project` tag)".to_owned(),
            format!(
                "if this project is the one that made it, run again with `--adopt` to tag it \
                 `tagc:project = {project}`; otherwise rename the policy"
            ),
        ),
    };
    PlanError::Foreign {
        name: p.info.name.clone(),
        id: p.info.id.clone(),
        owner,
        help,
    }
}

/// The destroy guard. A plan that removes most of what the project owns is far more often a
/// mistake (an empty or truncated file, a wrong path, a bad merge) than a decision, and
/// `apply --yes` in CI would carry it out unseen. Refused, unless `--allow-destroy`, when the
/// project owns policies in AWS and the plan would delete all of them, or remove more than half
/// of their attachments (a detachment, or the deletion of an attached policy, counts once per
/// target). `FullAWSAccess` detached under `allow-list` is not counted: tagc's SCPs replace it.
fn destroy_guard(
    project: &str,
    snapshot: &OrgSnapshot,
    owned: &[&super::snapshot::LivePolicy],
    detaches: &[(PolicyType, PolicyRef, String)],
    deletes: &[Step],
) -> Option<PlanError> {
    /// How many removals the message names.
    const SHOWN: usize = 8;
    let attachments: usize = owned.iter().map(|p| p.targets.len()).sum();
    let owned_ids: BTreeSet<&str> = owned.iter().map(|p| p.info.id.as_str()).collect();
    let removed: Vec<&(PolicyType, PolicyRef, String)> = detaches
        .iter()
        .filter(|(_, p, _)| p.id.as_deref().is_some_and(|id| owned_ids.contains(id)))
        .collect();
    let gone: Vec<&str> = deletes
        .iter()
        .filter_map(|s| match s {
            Step::DeletePolicy { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let all_deleted = !owned.is_empty() && gone.len() == owned.len();
    let most_detached = removed.len() * 2 > attachments;
    if !all_deleted && !most_detached {
        return None;
    }
    let mut what: Vec<String> = gone.iter().map(|n| format!("delete `{n}`")).collect();
    what.extend(
        removed
            .iter()
            .filter(|(_, p, _)| !gone.contains(&p.name.as_str()))
            .map(|(_, p, t)| format!("detach `{}` from {}", p.name, snapshot.label(t))),
    );
    let more = what.len().saturating_sub(SHOWN);
    what.truncate(SHOWN);
    let mut what = what.join(", ");
    if more > 0 {
        // Writing to a String cannot fail.
        let _ = write!(what, " and {more} more");
    }
    Some(PlanError::Destroy {
        project: project.to_owned(),
        deleted: gone.len(),
        policies: owned.len(),
        detached: removed.len(),
        attachments,
        what,
    })
}

/// The names of the policies of one type attached to a target now (or, when the type is not
/// enabled yet, once it is: enabling SCPs attaches `FullAWSAccess` everywhere).
fn current_attachments(snapshot: &OrgSnapshot, ty: PolicyType, target: &str) -> Vec<String> {
    if !snapshot.enabled(ty) {
        return match ty {
            PolicyType::ServiceControlPolicy => vec![FULL_AWS_ACCESS_NAME.to_owned()],
            PolicyType::TagPolicy => Vec::new(),
        };
    }
    snapshot
        .attachments
        .get(target)
        .map(|a| a.of(ty).iter().map(|p| p.name.clone()).collect())
        .unwrap_or_default()
}

fn slot_help(current: &[String], added: &[&str], ty: PolicyType, settings: &Settings) -> String {
    let quote = |v: Vec<String>| {
        v.iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut help = format!(
        "attached now: {}; tagc would add: {}",
        if current.is_empty() {
            "none".to_owned()
        } else {
            quote(current.to_vec())
        },
        quote(added.iter().map(|s| (*s).to_owned()).collect())
    );
    if ty == PolicyType::ServiceControlPolicy && settings.scp_strategy == ScpStrategy::DenyList {
        help.push_str("; under the deny-list strategy `FullAWSAccess` keeps a slot");
    }
    if settings.limits == LimitsProfile::Legacy {
        let _ = write!(
            help,
            "; the legacy limits profile allows {} SCPs per target",
            PolicyType::ServiceControlPolicy.slot_limit(LimitsProfile::Legacy)
        );
    }
    help.push_str("; merge tagc policies or detach others to make room");
    help
}

/// The drift section of the human plan.
fn write_drift(f: &mut fmt::Formatter<'_>, drift: &[Drift]) -> fmt::Result {
    if drift.is_empty() {
        return Ok(());
    }
    writeln!(
        f,
        "drift (changed outside tagc since it last applied them; apply puts back what the rules declare):"
    )?;
    // The first 12 hex digits tell the versions apart; the JSON plan has the full hashes.
    let short = |h: &str| h.get(..19).unwrap_or(h).to_owned();
    for d in drift {
        writeln!(
            f,
            "  ! `{}` ({}): content is now {}…, tagc applied {}",
            d.name,
            d.policy_id,
            short(&d.live_hash),
            d.recorded_hash
                .as_deref()
                .map_or_else(|| "(no record)".to_owned(), |h| format!("{}…", short(h)))
        )?;
    }
    writeln!(f)?;
    Ok(())
}

/// The foreign section of the human plan.
fn write_foreign(f: &mut fmt::Formatter<'_>, foreign: &[Foreign]) -> fmt::Result {
    if foreign.is_empty() {
        return Ok(());
    }
    writeln!(f, "tagc policies of other projects (never touched):")?;
    for p in foreign {
        let owner = p.project.as_ref().map_or_else(
            || {
                "no project tag (made by an older tagc; `--adopt` claims it when this project \
                 declares it)"
                    .to_owned()
            },
            |project| format!("project `{project}`"),
        );
        writeln!(f, "  = `{}` ({}): {owner}", p.name, p.policy_id)?;
    }
    writeln!(f)
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_foreign(f, &self.foreign)?;
        write_drift(f, &self.drift)?;
        if self.steps.is_empty() {
            return writeln!(
                f,
                "no changes: {} tagc polic{} already as declared",
                self.unchanged.len(),
                if self.unchanged.len() == 1 {
                    "y is"
                } else {
                    "ies are"
                }
            );
        }
        let sections: [Section; 8] = [
            ("policy types to enable on the root", "+", |s| {
                matches!(s, Step::EnablePolicyType { .. })
            }),
            ("policies to adopt into this project", "~", |s| {
                matches!(s, Step::AdoptPolicy { .. })
            }),
            ("policies to create", "+", |s| {
                matches!(s, Step::CreatePolicy { .. })
            }),
            ("policies to update", "~", |s| {
                matches!(s, Step::UpdatePolicy { .. })
            }),
            ("hashes to record", "~", |s| {
                matches!(s, Step::TagPolicy { .. })
            }),
            ("attachments", "+", |s| {
                matches!(s, Step::AttachPolicy { .. })
            }),
            ("detachments", "-", |s| {
                matches!(s, Step::DetachPolicy { .. })
            }),
            ("policies to delete (no longer declared)", "-", |s| {
                matches!(s, Step::DeletePolicy { .. })
            }),
        ];
        for (title, sign, pick) in sections {
            let steps: Vec<&Step> = self.steps.iter().filter(|s| pick(s)).collect();
            if steps.is_empty() {
                continue;
            }
            writeln!(f, "{title}:")?;
            for s in steps {
                writeln!(f, "  {sign} {s}")?;
                if let Step::UpdatePolicy {
                    diff,
                    description,
                    old_description,
                    ..
                } = s
                {
                    if description != old_description {
                        writeln!(
                            f,
                            "      description: {old_description:?} → {description:?}"
                        )?;
                    }
                    for line in diff.lines() {
                        writeln!(f, "      {line}")?;
                    }
                }
            }
        }
        writeln!(f)?;
        write!(
            f,
            "{} change{}",
            self.steps.len(),
            if self.steps.len() == 1 { "" } else { "s" }
        )?;
        if !self.unchanged.is_empty() {
            write!(
                f,
                ", {} polic{} unchanged",
                self.unchanged.len(),
                if self.unchanged.len() == 1 {
                    "y"
                } else {
                    "ies"
                }
            )?;
        }
        writeln!(f)
    }
}
