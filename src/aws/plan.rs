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
    FULL_AWS_ACCESS_ID, FULL_AWS_ACCESS_NAME, LivePolicy, OrgSnapshot, TagcPolicy, normalize_path,
    policy_type,
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
    /// The attachment slots of every target the project's policies are attached to, or that
    /// the plan changes: every policy of the type counted, other tools' and `FullAWSAccess`
    /// included.
    pub slots: Vec<Slots>,
}

/// One target's attachment slots for one policy type, through the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slots {
    /// The target's id.
    pub target_id: String,
    /// `Root`, the OU's path or `account <id>`.
    pub target: String,
    /// The policy type.
    pub policy_type: PolicyType,
    /// Policies of this type attached now, whoever attached them.
    pub attached: usize,
    /// Of those, the ones that are not this project's (other tools', other projects',
    /// `FullAWSAccess`).
    pub others: usize,
    /// Policies of this type attached once the plan has run.
    pub after: usize,
    /// How many AWS allows.
    pub limit: usize,
}

impl Slots {
    /// The slots still free once the plan has run (none when over the limit).
    pub const fn left(&self) -> usize {
        self.limit.saturating_sub(self.after)
    }
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
    let paths = std::iter::once("Root").chain(snapshot.ous.iter().map(|o| o.path.as_str()));
    crate::suggest::did_you_mean(&wanted, paths).map(str::to_owned)
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

/// Which live tagc policies are this project's: its own, and with `--adopt` the unclaimed ones
/// it declares.
struct Ownership<'a> {
    project: &'a str,
    adopt: bool,
    declared: BTreeSet<&'a str>,
}

impl<'a> Ownership<'a> {
    fn new(project: &'a str, desired: &'a [Artifact], options: PlanOptions) -> Self {
        Self {
            project,
            adopt: options.adopt,
            declared: desired
                .iter()
                .filter(|a| policy_type(a.kind).is_some())
                .map(|a| a.name.as_str())
                .collect(),
        }
    }

    /// Whether `--adopt` claims this policy for the project.
    fn adopted(&self, p: &LivePolicy) -> bool {
        self.adopt
            && p.tagc.as_ref().is_some_and(|t| t.project.is_none())
            && self.declared.contains(p.info.name.as_str())
    }

    /// What tagc read of this policy, when the project may change, detach and delete it.
    fn ours<'p>(&self, p: &'p LivePolicy) -> Option<&'p TagcPolicy> {
        p.tagc
            .as_ref()
            .filter(|_| p.owned_by(self.project) || self.adopted(p))
    }

    /// The tagc policies that are not the project's.
    fn foreign(&self, snapshot: &OrgSnapshot) -> Vec<Foreign> {
        snapshot
            .policies
            .iter()
            .filter(|p| self.ours(p).is_none())
            .filter_map(|p| {
                p.tagc.as_ref().map(|t| Foreign {
                    policy_id: p.info.id.clone(),
                    name: p.info.name.clone(),
                    project: t.project.clone(),
                })
            })
            .collect()
    }
}

/// An attachment to add or remove: the policy's type, the policy, the target's id.
type Link = (PolicyType, PolicyRef, String);

/// The plan being worked out: the changes found so far, by kind, and the errors.
#[derive(Default)]
struct Draft {
    errors: Vec<PlanError>,
    adopts: Vec<Step>,
    creates: Vec<Step>,
    updates: Vec<Step>,
    tags: Vec<Step>,
    attaches: Vec<Link>,
    detaches: Vec<Link>,
    deletes: Vec<Step>,
    drift: Vec<Drift>,
    unchanged: Vec<String>,
    /// The policy types the declared policies need enabled.
    needed_types: BTreeSet<PolicyType>,
    /// The targets the declared policies of each type are attached to.
    declared_targets: BTreeMap<PolicyType, BTreeSet<String>>,
}

/// What AWS refuses in a declared policy before any call: a name of 1 to 128 characters, a
/// description of at most 512, and content within the type's size quota
/// (<https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreatePolicy.html>,
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html>).
fn artifact_errors(artifact: &Artifact, ty: PolicyType, profile: LimitsProfile) -> Vec<PlanError> {
    let mut errors = Vec::new();
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
    // UTF-8 bytes: never fewer than characters, so a safe bound either way AWS counts.
    let size = artifact.content.len();
    let limit = ty.size_limit(profile);
    if size > limit {
        errors.push(PlanError::TooLarge {
            name: artifact.name.clone(),
            kind: ty.to_string(),
            size,
            limit,
        });
    }
    errors
}

/// The policy a live policy's steps refer to.
fn live_ref(p: &LivePolicy) -> PolicyRef {
    PolicyRef {
        name: p.info.name.clone(),
        id: Some(p.info.id.clone()),
    }
}

/// A drift entry when the live content is not what tagc recorded.
fn drift_of(p: &LivePolicy, facts: &TagcPolicy, live_hash: &str) -> Option<Drift> {
    (facts.recorded_hash.as_deref() != Some(live_hash)).then(|| Drift {
        policy_id: p.info.id.clone(),
        name: p.info.name.clone(),
        recorded_hash: facts.recorded_hash.clone(),
        live_hash: live_hash.to_owned(),
    })
}

impl Draft {
    /// The declared policies: each checked, its targets resolved, and compared with the live
    /// policy of the same name (created when there is none).
    fn declare(
        &mut self,
        desired: &[Artifact],
        settings: &Settings,
        snapshot: &OrgSnapshot,
        owners: &Ownership<'_>,
    ) {
        let mut names = BTreeSet::new();
        for artifact in desired {
            let Some(ty) = policy_type(artifact.kind) else {
                continue;
            };
            self.needed_types.insert(ty);
            if !names.insert(artifact.name.as_str()) {
                self.errors.push(PlanError::DuplicateName {
                    name: artifact.name.clone(),
                });
                continue;
            }
            self.errors
                .extend(artifact_errors(artifact, ty, settings.limits));
            let mut target_ids = BTreeSet::new();
            for t in &artifact.targets {
                match snapshot.resolve(t) {
                    Some(id) => {
                        target_ids.insert(id);
                    }
                    None => self
                        .errors
                        .push(unknown_target(snapshot, t, &artifact.policy)),
                }
            }
            self.declared_targets
                .entry(ty)
                .or_default()
                .extend(target_ids.iter().cloned());
            let live = snapshot
                .policies
                .iter()
                .find(|p| p.info.name == artifact.name);
            match live {
                Some(p) => match (&p.tagc, owners.ours(p)) {
                    (None, _) => {
                        self.errors.push(PlanError::NotOwned {
                            name: p.info.name.clone(),
                            id: p.info.id.clone(),
                        });
                    }
                    (Some(facts), None) => {
                        self.errors.push(foreign_error(p, facts, owners.project));
                    }
                    (Some(_), Some(_)) if p.ty != ty => {
                        self.errors.push(PlanError::KindChanged {
                            name: p.info.name.clone(),
                            live: p.ty.to_string(),
                            desired: ty.to_string(),
                        });
                    }
                    (Some(_), Some(facts)) => {
                        self.compare(artifact, ty, p, facts, &target_ids, owners);
                    }
                },
                None => self.create(artifact, ty, &target_ids, settings),
            }
        }
    }

    /// A declared policy that exists and is the project's: adopt, update, record the hash,
    /// attach and detach as needed.
    fn compare(
        &mut self,
        artifact: &Artifact,
        ty: PolicyType,
        p: &LivePolicy,
        facts: &TagcPolicy,
        target_ids: &BTreeSet<String>,
        owners: &Ownership<'_>,
    ) {
        let hash = content_hash(&artifact.content);
        if owners.adopted(p) {
            self.adopts.push(Step::AdoptPolicy {
                policy_id: p.info.id.clone(),
                name: p.info.name.clone(),
                project: owners.project.to_owned(),
            });
        }
        let live_content = &facts.content;
        let live_hash = content_hash(live_content);
        self.drift.extend(drift_of(p, facts, &live_hash));
        let content_changed = live_hash != hash;
        if content_changed || p.info.description != artifact.description {
            self.updates.push(Step::UpdatePolicy {
                policy_id: p.info.id.clone(),
                name: p.info.name.clone(),
                description: artifact.description.clone(),
                old_description: p.info.description.clone(),
                old_hash: live_hash,
                new_hash: hash.clone(),
                diff: if content_changed {
                    json_diff(live_content, &artifact.content)
                } else {
                    String::new()
                },
                content: artifact.content.to_string(),
            });
        } else if facts.recorded_hash.as_deref() != Some(hash.as_str()) {
            self.tags.push(Step::TagPolicy {
                policy_id: p.info.id.clone(),
                name: p.info.name.clone(),
                hash: hash.clone(),
            });
        }
        let pref = live_ref(p);
        let live_targets: BTreeSet<String> = facts.targets.iter().cloned().collect();
        for t in target_ids.difference(&live_targets) {
            self.attaches.push((ty, pref.clone(), t.clone()));
        }
        for t in live_targets.difference(target_ids) {
            self.detaches.push((ty, pref.clone(), t.clone()));
        }
        let in_sync = !content_changed
            && p.info.description == artifact.description
            && *target_ids == live_targets
            && facts.recorded_hash.as_deref() == Some(hash.as_str());
        if in_sync {
            self.unchanged.push(artifact.name.clone());
        }
    }

    /// A declared policy not in AWS: create it and attach it.
    fn create(
        &mut self,
        artifact: &Artifact,
        ty: PolicyType,
        target_ids: &BTreeSet<String>,
        settings: &Settings,
    ) {
        self.creates.push(Step::CreatePolicy {
            name: artifact.name.clone(),
            policy_type: ty,
            description: artifact.description.clone(),
            size: artifact.content.len(),
            limit: ty.size_limit(settings.limits),
            hash: content_hash(&artifact.content),
            content: artifact.content.to_string(),
        });
        let pref = PolicyRef {
            name: artifact.name.clone(),
            id: None,
        };
        for t in target_ids {
            self.attaches.push((ty, pref.clone(), t.clone()));
        }
    }

    /// The project's policies no longer declared: detach everywhere, then delete.
    fn remove_undeclared(&mut self, snapshot: &OrgSnapshot, owners: &Ownership<'_>) {
        let undeclared = snapshot
            .policies
            .iter()
            .filter(|p| !owners.declared.contains(p.info.name.as_str()))
            .filter_map(|p| owners.ours(p).map(|facts| (p, facts)));
        for (p, facts) in undeclared {
            let live_hash = content_hash(&facts.content);
            self.drift.extend(drift_of(p, facts, &live_hash));
            let pref = live_ref(p);
            for t in &facts.targets {
                self.detaches.push((p.ty, pref.clone(), t.clone()));
            }
            self.deletes.push(Step::DeletePolicy {
                policy_id: p.info.id.clone(),
                name: p.info.name.clone(),
            });
        }
    }

    /// Allow-list: tagc's SCPs replace `FullAWSAccess` on the targets they are attached to. It
    /// is detached after they are attached, so no target is ever without an SCP.
    fn replace_full_aws_access(&mut self, settings: &Settings, snapshot: &OrgSnapshot) {
        if settings.scp_strategy != ScpStrategy::AllowList {
            return;
        }
        let scp_enabled = snapshot.enabled(PolicyType::ServiceControlPolicy);
        for t in self
            .declared_targets
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
                self.detaches
                    .push((PolicyType::ServiceControlPolicy, pref, t.clone()));
            }
        }
    }

    /// Slots: what each target would hold, at the end and at the peak (attach runs before
    /// detach). A target that would overflow at the peak only gets its detaches first, if that
    /// leaves it at least one SCP. Returns the targets whose detaches run first, and the slots
    /// of every target the project's policies are attached to or the plan changes.
    fn check_slots(
        &mut self,
        settings: &Settings,
        snapshot: &OrgSnapshot,
        owners: &Ownership<'_>,
    ) -> (BTreeSet<(PolicyType, String)>, Vec<Slots>) {
        let mut early = BTreeSet::new();
        let touched: BTreeSet<(PolicyType, String)> = self
            .attaches
            .iter()
            .chain(self.detaches.iter())
            .map(|(ty, _, t)| (*ty, t.clone()))
            .collect();
        let mut slots = Vec::new();
        let declared: BTreeSet<(PolicyType, String)> = self
            .declared_targets
            .iter()
            .flat_map(|(ty, targets)| targets.iter().map(|t| (*ty, t.clone())))
            .collect();
        for (ty, target) in declared.difference(&touched) {
            let current = current_attachments(snapshot, *ty, target);
            slots.push(Slots {
                target_id: target.clone(),
                target: snapshot.label(target),
                policy_type: *ty,
                attached: current.len(),
                others: others_attached(snapshot, *ty, target, owners),
                after: current.len(),
                limit: ty.slot_limit(settings.limits),
            });
        }
        for (ty, target) in &touched {
            let current = current_attachments(snapshot, *ty, target);
            let on = |(t, _, id): &&Link| t == ty && id == target;
            let added: Vec<&str> = self
                .attaches
                .iter()
                .filter(on)
                .map(|(_, p, _)| p.name.as_str())
                .collect();
            let removed: BTreeSet<&str> = self
                .detaches
                .iter()
                .filter(on)
                .map(|(_, p, _)| p.name.as_str())
                .collect();
            let kept = current
                .iter()
                .filter(|n| !removed.contains(n.as_str()))
                .count();
            let label = snapshot.label(target);
            slots.push(Slots {
                target_id: target.clone(),
                target: label.clone(),
                policy_type: *ty,
                attached: current.len(),
                others: others_attached(snapshot, *ty, target, owners),
                after: kept + added.len(),
                limit: ty.slot_limit(settings.limits),
            });
            match slot_verdict(*ty, current.len(), kept, added.len(), settings.limits) {
                SlotVerdict::Fits => {}
                SlotVerdict::DetachFirst => {
                    early.insert((*ty, target.clone()));
                }
                SlotVerdict::LastScp => self.errors.push(PlanError::LastScp { target: label }),
                SlotVerdict::Overflow { needed, limit } => {
                    self.errors.push(PlanError::SlotOverflow {
                        target: label,
                        kind: ty.to_string(),
                        needed,
                        limit,
                        help: slot_help(&current, &added, *ty, settings),
                    });
                }
            }
        }
        slots.sort_by(|a, b| {
            (a.policy_type, &a.target, &a.target_id).cmp(&(b.policy_type, &b.target, &b.target_id))
        });
        (early, slots)
    }

    /// The errors found, each once (a tagc policy becomes an SCP and a tag policy with the same
    /// targets: an unknown target would otherwise be reported once per artifact), and when
    /// there are none, the destroy guard's.
    fn refusal(
        &self,
        snapshot: &OrgSnapshot,
        owners: &Ownership<'_>,
        options: PlanOptions,
    ) -> Option<PlanError> {
        let mut errors: Vec<PlanError> = Vec::with_capacity(self.errors.len());
        for e in &self.errors {
            if !errors.contains(e) {
                errors.push(e.clone());
            }
        }
        if errors.is_empty() && !options.allow_destroy {
            let owned: Vec<&LivePolicy> = snapshot
                .policies
                .iter()
                .filter(|p| owners.ours(p).is_some())
                .collect();
            errors.extend(destroy_guard(
                owners.project,
                snapshot,
                &owned,
                &self.detaches,
                &self.deletes,
            ));
        }
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(PlanError::Several { errors }),
        }
    }

    /// The steps in the order they are safe to run: enable types, adopt, create and update,
    /// record hashes, the detaches that must make room, attach, the other detaches, delete.
    fn into_steps(
        self,
        snapshot: &OrgSnapshot,
        early: &BTreeSet<(PolicyType, String)>,
    ) -> (Vec<Step>, Vec<Drift>, Vec<String>) {
        let mut steps = Vec::new();
        for ty in &self.needed_types {
            if !snapshot.enabled(*ty) {
                steps.push(Step::EnablePolicyType {
                    root_id: snapshot.root.id.clone(),
                    policy_type: *ty,
                });
            }
        }
        steps.extend(self.adopts);
        steps.extend(self.creates);
        steps.extend(self.updates);
        steps.extend(self.tags);
        let to_step = |attach: bool, (_, policy, id): &Link| {
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
        let is_early = |d: &&Link| early.contains(&(d.0, d.2.clone()));
        steps.extend(
            self.detaches
                .iter()
                .filter(is_early)
                .map(|d| to_step(false, d)),
        );
        steps.extend(self.attaches.iter().map(|a| to_step(true, a)));
        steps.extend(
            self.detaches
                .iter()
                .filter(|d| !is_early(d))
                .map(|d| to_step(false, d)),
        );
        steps.extend(self.deletes);
        (steps, self.drift, self.unchanged)
    }
}

/// Whether a target's policies of one type fit its slots through the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotVerdict {
    /// They fit at every point.
    Fits,
    /// They fit only if the target's detaches run before its attaches.
    DetachFirst,
    /// The target would be left without an SCP.
    LastScp,
    /// They do not fit: `needed` slots of `limit`.
    Overflow { needed: usize, limit: usize },
}

/// The slot verdict of a target holding `current` policies of type `ty`, of which `kept` stay,
/// to which `added` are attached. Attaches run before detaches, so the peak is `current +
/// added`; detaching first is possible only when it leaves the target an SCP (AWS refuses to
/// detach a target's last SCP:
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_attach.html>).
fn slot_verdict(
    ty: PolicyType,
    current: usize,
    kept: usize,
    added: usize,
    profile: LimitsProfile,
) -> SlotVerdict {
    let end = kept + added;
    let peak = current + added;
    let slots = ty.slot_limit(profile);
    let min = usize::from(ty == PolicyType::ServiceControlPolicy);
    if end < min {
        SlotVerdict::LastScp
    } else if end > slots || (peak > slots && kept < min) {
        SlotVerdict::Overflow {
            needed: end.max(peak),
            limit: slots,
        }
    } else if peak > slots {
        SlotVerdict::DetachFirst
    } else {
        SlotVerdict::Fits
    }
}

/// Computes the plan. Every error found is returned, none of them after a change: the plan is
/// made before anything is changed.
pub fn plan(
    desired: &[Artifact],
    settings: &Settings,
    snapshot: &OrgSnapshot,
    options: PlanOptions,
) -> Result<Plan, PlanError> {
    let Some(project) = settings.project.as_deref() else {
        return Err(PlanError::NoProject);
    };
    let owners = Ownership::new(project, desired, options);
    let mut work = Draft::default();
    work.declare(desired, settings, snapshot, &owners);
    work.remove_undeclared(snapshot, &owners);
    work.replace_full_aws_access(settings, snapshot);
    let (early, slots) = work.check_slots(settings, snapshot, &owners);
    if let Some(e) = work.refusal(snapshot, &owners, options) {
        return Err(e);
    }
    let (steps, drift, unchanged) = work.into_steps(snapshot, &early);
    Ok(Plan {
        project: project.to_owned(),
        root_id: snapshot.root.id.clone(),
        steps,
        drift,
        unchanged,
        foreign: owners.foreign(snapshot),
        slots,
    })
}

/// Why a declared name cannot be used: a tagc policy of another project (or of none) has it.
fn foreign_error(p: &LivePolicy, facts: &TagcPolicy, project: &str) -> PlanError {
    let (owner, help) = match &facts.project {
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
    owned: &[&LivePolicy],
    detaches: &[Link],
    deletes: &[Step],
) -> Option<PlanError> {
    /// How many removals the message names.
    const SHOWN: usize = 8;
    let attachments: usize = owned.iter().map(|p| p.targets().len()).sum();
    let owned_ids: BTreeSet<&str> = owned.iter().map(|p| p.info.id.as_str()).collect();
    let removed: Vec<&Link> = detaches
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
    // The snapshot reads the attachments of every target a declared or owned policy names; one
    // it has none for is a target AWS no longer knows, which holds nothing to count: declared,
    // it is refused as `tagc::aws::unknown-target`; an owned policy's old target only loses an
    // attachment.
    snapshot
        .attachments
        .get(target)
        .map(|a| a.of(ty).iter().map(|p| p.name.clone()).collect())
        .unwrap_or_default()
}

/// How many of the policies of type `ty` attached to `target` now are not the project's:
/// other tools', other projects' and AWS's (`FullAWSAccess`, also counted when enabling SCPs
/// will attach it).
fn others_attached(
    snapshot: &OrgSnapshot,
    ty: PolicyType,
    target: &str,
    owners: &Ownership<'_>,
) -> usize {
    if !snapshot.enabled(ty) {
        return current_attachments(snapshot, ty, target).len();
    }
    snapshot.attachments.get(target).map_or(0, |a| {
        a.of(ty)
            .iter()
            .filter(|p| {
                !snapshot
                    .policies
                    .iter()
                    .any(|live| live.info.id == p.id && owners.ours(live).is_some())
            })
            .count()
    })
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

/// The slots section of the human plan: per target and type, the policies attached now and
/// after the plan, of the limit, and the slots left.
fn write_slots(f: &mut fmt::Formatter<'_>, slots: &[Slots]) -> fmt::Result {
    if slots.is_empty() {
        return Ok(());
    }
    writeln!(
        f,
        "slots (policies attached directly, now → after this plan, of the limit; other tools' and `FullAWSAccess` count):"
    )?;
    for s in slots {
        writeln!(
            f,
            "  {} {}: {} → {} of {} ({} not this project's), {} left",
            s.target,
            match s.policy_type {
                PolicyType::ServiceControlPolicy => "SCP",
                PolicyType::TagPolicy => "tag policy",
            },
            s.attached,
            s.after,
            s.limit,
            s.others,
            s.left()
        )?;
    }
    writeln!(f)
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
            writeln!(
                f,
                "no changes: {} tagc polic{} already as declared",
                self.unchanged.len(),
                if self.unchanged.len() == 1 {
                    "y is"
                } else {
                    "ies are"
                }
            )?;
            return write_slots(f, &self.slots);
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
        write_slots(f, &self.slots)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::ArtifactKind;
    use crate::aws::api::PolicyInfo;

    fn artifact(name: &str, description: &str, content: &str) -> Artifact {
        Artifact {
            policy: name.to_owned(),
            kind: ArtifactKind::Scp,
            name: name.to_owned(),
            description: description.to_owned(),
            file: format!("{name}/scp.json"),
            targets: vec![Target::Root],
            size: content.len(),
            limit: 10_240,
            hash: content_hash(content),
            content: content.into(),
        }
    }

    fn live(name: &str, project: Option<&str>, recorded: Option<&str>) -> LivePolicy {
        LivePolicy {
            info: PolicyInfo {
                id: format!("p-{name}"),
                name: name.to_owned(),
                description: String::new(),
                aws_managed: false,
            },
            ty: PolicyType::ServiceControlPolicy,
            tagc: Some(TagcPolicy {
                project: project.map(str::to_owned),
                content: "{}".to_owned(),
                recorded_hash: recorded.map(str::to_owned),
                targets: Vec::new(),
            }),
        }
    }

    #[test]
    fn test_artifact_errors_check_name_description_and_size_against_the_profile() {
        let ok = artifact("p", "d", "{}");
        assert!(
            artifact_errors(
                &ok,
                PolicyType::ServiceControlPolicy,
                LimitsProfile::Current
            )
            .is_empty()
        );

        let long_name = artifact(&"n".repeat(129), "d", "{}");
        let long_description = artifact("p", &"d".repeat(513), "{}");
        let errors: Vec<String> = [long_name, long_description]
            .iter()
            .flat_map(|a| {
                artifact_errors(a, PolicyType::ServiceControlPolicy, LimitsProfile::Current)
            })
            .map(|e| match e {
                PlanError::InvalidName { what, .. } => what,
                other => format!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            errors,
            [
                "a name of 129 characters",
                "a description of 513 characters"
            ]
        );

        // 6,000 characters fit the current SCP quota, not the legacy one.
        let big = artifact("p", "d", &"x".repeat(6_000));
        assert!(
            artifact_errors(
                &big,
                PolicyType::ServiceControlPolicy,
                LimitsProfile::Current
            )
            .is_empty()
        );
        let legacy = artifact_errors(
            &big,
            PolicyType::ServiceControlPolicy,
            LimitsProfile::Legacy,
        );
        assert!(
            matches!(
                legacy.as_slice(),
                [PlanError::TooLarge {
                    size: 6_000,
                    limit: 5_120,
                    ..
                }]
            ),
            "{legacy:?}"
        );
    }

    #[test]
    fn test_slot_verdict_detaches_first_only_when_an_scp_stays() {
        let scp = PolicyType::ServiceControlPolicy;
        let current = LimitsProfile::Current;
        assert_eq!(slot_verdict(scp, 2, 2, 1, current), SlotVerdict::Fits);
        // Full target, one swapped for another: room is made first.
        assert_eq!(
            slot_verdict(scp, 10, 9, 1, current),
            SlotVerdict::DetachFirst
        );
        // Full target whose every SCP is replaced: detaching first would leave none.
        assert_eq!(
            slot_verdict(scp, 10, 0, 10, current),
            SlotVerdict::Overflow {
                needed: 20,
                limit: 10
            }
        );
        assert_eq!(
            slot_verdict(scp, 5, 5, 1, LimitsProfile::Legacy),
            SlotVerdict::Overflow {
                needed: 6,
                limit: 5
            }
        );
        assert_eq!(slot_verdict(scp, 1, 0, 0, current), SlotVerdict::LastScp);
        // A target may hold no tag policy at all.
        assert_eq!(
            slot_verdict(PolicyType::TagPolicy, 1, 0, 0, current),
            SlotVerdict::Fits
        );
    }

    #[test]
    fn test_ownership_adopts_only_unclaimed_declared_policies_when_asked() {
        let desired = [artifact("declared", "d", "{}")];
        let plain = Ownership::new("mine", &desired, PlanOptions::default());
        let adopting = Ownership::new(
            "mine",
            &desired,
            PlanOptions {
                adopt: true,
                ..PlanOptions::default()
            },
        );
        let unclaimed = live("declared", None, None);
        let undeclared = live("other", None, None);
        let theirs = live("declared", Some("theirs"), None);
        let own = live("old", Some("mine"), None);
        assert!(plain.ours(&unclaimed).is_none() && adopting.ours(&unclaimed).is_some());
        assert!(!adopting.adopted(&undeclared));
        assert!(adopting.ours(&theirs).is_none());
        assert!(plain.ours(&own).is_some() && !plain.adopted(&own));
    }

    #[test]
    fn test_drift_is_found_only_when_the_live_hash_is_not_the_recorded_one() {
        let drift = |p: &LivePolicy, hash: &str| p.tagc.as_ref().and_then(|f| drift_of(p, f, hash));
        let p = live("p", Some("mine"), Some("sha256:a"));
        assert_eq!(drift(&p, "sha256:a"), None);
        let d = drift(&p, "sha256:b");
        assert_eq!(d.map(|d| d.live_hash), Some("sha256:b".to_owned()));
        assert!(drift(&live("p", Some("mine"), None), "sha256:a").is_some());
    }
}
