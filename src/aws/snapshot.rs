//! Reading the organization: everything the planner needs, in one [`OrgSnapshot`].
//!
//! Input: an [`OrganizationsApi`] and the declared artifacts (to know which targets to read).
//! Output: the root and its enabled policy types, every OU path, every SCP and tag policy with
//! its ownership, and the direct attachments of every target tagc touches. Only read calls are
//! made. The planner then works on this snapshot alone, so it is pure and tested offline.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::artifact::{Artifact, ArtifactKind};
use crate::model::Target;

use super::api::{ApiError, OrganizationsApi, Page, PolicyInfo, PolicyType, RootInfo};
use super::error::ApplyError;
use super::retry::{RetryPolicy, with_retry};

pub use crate::ownership::{HASH_KEY, MANAGED_BY_KEY, MANAGED_BY_VALUE, PROJECT_KEY};
/// The id of AWS's managed `FullAWSAccess` SCP.
pub const FULL_AWS_ACCESS_ID: &str = "p-FullAWSAccess";
/// The name of AWS's managed `FullAWSAccess` SCP.
pub const FULL_AWS_ACCESS_NAME: &str = "FullAWSAccess";

/// An OU and its path from the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OuNode {
    /// `ou-…`.
    pub id: String,
    /// `Root/Workloads/ML`.
    pub path: String,
}

/// A policy of a type tagc manages, as found in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LivePolicy {
    /// The policy.
    pub info: PolicyInfo,
    /// Its type.
    pub ty: PolicyType,
    /// What tagc reads of a policy that carries `managed-by = tagc` (made by tagc, for this
    /// project or another); `None` for every other policy, of which tagc reads no more.
    pub tagc: Option<TagcPolicy>,
}

/// What tagc reads of a policy it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagcPolicy {
    /// The `tagc:project` tag; `None` on a policy an older tagc made.
    pub project: Option<String>,
    /// Its content.
    pub content: String,
    /// The `tagc:hash` tag.
    pub recorded_hash: Option<String>,
    /// The targets it is attached to, sorted.
    pub targets: Vec<String>,
}

impl LivePolicy {
    /// Whether it carries `managed-by = tagc` (made by tagc, for this project or another).
    pub fn managed(&self) -> bool {
        self.tagc.is_some()
    }

    /// Whether this project owns it: made by tagc and tagged with this project's name.
    pub fn owned_by(&self, project: &str) -> bool {
        self.tagc
            .as_ref()
            .is_some_and(|t| t.project.as_deref() == Some(project))
    }

    /// The targets of a tagc policy. Empty for any other: tagc neither counts nor changes
    /// their attachments through the policy, only through the targets it declares.
    pub fn targets(&self) -> &[String] {
        self.tagc.as_ref().map_or(&[], |t| t.targets.as_slice())
    }
}

/// The direct attachments of one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attached {
    /// SCPs.
    pub scp: Vec<PolicyInfo>,
    /// Tag policies.
    pub tag: Vec<PolicyInfo>,
}

impl Attached {
    /// The attachments of one type.
    pub fn of(&self, ty: PolicyType) -> &[PolicyInfo] {
        match ty {
            PolicyType::ServiceControlPolicy => &self.scp,
            PolicyType::TagPolicy => &self.tag,
        }
    }
}

/// What the planner knows about the organization. Everything in it is in a canonical order
/// (OUs by path, policies by type and name, targets and attachments sorted), so that
/// [`OrgSnapshot::digest`] is the same for the same organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgSnapshot {
    /// The root.
    pub root: RootInfo,
    /// Every OU, with its path.
    pub ous: Vec<OuNode>,
    /// Every SCP and tag policy (customer-managed and AWS-managed).
    pub policies: Vec<LivePolicy>,
    /// Direct attachments by target id, for every declared target and every target of an
    /// owned policy.
    pub attachments: BTreeMap<String, Attached>,
    /// Declared account or OU ids that AWS says do not exist.
    pub missing: BTreeSet<String>,
}

impl OrgSnapshot {
    /// The target's id, `None` when it does not exist.
    pub fn resolve(&self, target: &Target) -> Option<String> {
        match target {
            Target::Root => Some(self.root.id.clone()),
            Target::OuPath(path) => {
                let path = normalize_path(path);
                if path == "Root" {
                    return Some(self.root.id.clone());
                }
                self.ous
                    .iter()
                    .find(|o| o.path == path)
                    .map(|o| o.id.clone())
            }
            Target::OuId(id) => self.ous.iter().find(|o| &o.id == id).map(|o| o.id.clone()),
            Target::Account(id) => (!self.missing.contains(id)).then(|| id.clone()),
        }
    }

    /// A human label for a target id: `Root`, the OU's path, or `account <id>`.
    pub fn label(&self, id: &str) -> String {
        if id == self.root.id {
            return "Root".to_owned();
        }
        if let Some(ou) = self.ous.iter().find(|o| o.id == id) {
            return ou.path.clone();
        }
        if id.starts_with("ou-") {
            return format!("ou {id}");
        }
        format!("account {id}")
    }

    /// A digest of everything the planner reads (`sha256:…`): a saved plan is valid only
    /// while the organization still has this digest.
    pub fn digest(&self) -> Result<String, ApplyError> {
        super::saved::digest("the organization", self)
    }

    /// Whether a policy type is enabled on the root.
    pub fn enabled(&self, ty: PolicyType) -> bool {
        self.root.status(ty) == Some(super::api::PolicyTypeStatus::Enabled)
    }
}

/// `Root/Workloads/ML/` and ` Root / Workloads ` → `Root/Workloads/ML`, `Root/Workloads`.
pub fn normalize_path(path: &str) -> String {
    path.split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// The policy type of an artifact, `None` for IAM policies (which tagc does not apply).
pub fn policy_type(kind: ArtifactKind) -> Option<PolicyType> {
    match kind {
        ArtifactKind::Scp => Some(PolicyType::ServiceControlPolicy),
        ArtifactKind::TagPolicy => Some(PolicyType::TagPolicy),
        ArtifactKind::IamPolicy => None,
    }
}

/// Reads every page of a listing.
fn all_pages<T>(
    retry: &RetryPolicy,
    what: &str,
    note: &mut dyn FnMut(&str),
    mut page: impl FnMut(Option<&str>) -> Result<Page<T>, ApiError>,
) -> Result<Vec<T>, ApiError> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let p = with_retry(retry, what, note, || page(token.as_deref()))?;
        items.extend(p.items);
        // Empty pages with a token are normal: only a missing token ends the listing.
        match p.next_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(items),
        }
    }
}

fn api_err(operation: &str) -> impl Fn(ApiError) -> ApplyError + '_ {
    move |error| ApplyError::Api {
        operation: operation.to_owned(),
        error,
    }
}

/// Every OU under the root with its path. The whole tree is read, not only the declared paths:
/// an unknown path's "did you mean" needs every existing one.
fn read_ous(
    api: &mut dyn OrganizationsApi,
    root_id: &str,
    retry: &RetryPolicy,
    note: &mut dyn FnMut(&str),
) -> Result<Vec<OuNode>, ApplyError> {
    // The whole OU tree, breadth first: every path is needed for "did you mean" suggestions.
    let mut ous = Vec::new();
    let mut queue = vec![(root_id.to_owned(), "Root".to_owned())];
    while let Some((parent, path)) = queue.pop() {
        let children = all_pages(retry, "ListOrganizationalUnitsForParent", note, |t| {
            api.list_ous_for_parent(&parent, t)
        })
        .map_err(api_err("ListOrganizationalUnitsForParent"))?;
        for ou in children {
            let child_path = format!("{path}/{}", ou.name);
            queue.push((ou.id.clone(), child_path.clone()));
            ous.push(OuNode {
                id: ou.id,
                path: child_path,
            });
        }
    }
    ous.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(ous)
}

/// Every SCP and tag policy; for tagc's (`managed-by = tagc`, of any project) also the tags,
/// content and targets.
fn read_policies(
    api: &mut dyn OrganizationsApi,
    retry: &RetryPolicy,
    note: &mut dyn FnMut(&str),
) -> Result<Vec<LivePolicy>, ApplyError> {
    let mut policies = Vec::new();
    for ty in PolicyType::ALL {
        let listed = all_pages(retry, "ListPolicies", note, |t| api.list_policies(ty, t))
            .map_err(api_err("ListPolicies"))?;
        for info in listed {
            let mut live = LivePolicy {
                info,
                ty,
                tagc: None,
            };
            if !live.info.aws_managed {
                let id = live.info.id.clone();
                let tags = with_retry(retry, "ListTagsForResource", note, || api.list_tags(&id))
                    .map_err(api_err("ListTagsForResource"))?;
                let managed = tags
                    .iter()
                    .any(|(k, v)| k == MANAGED_BY_KEY && v == MANAGED_BY_VALUE);
                if managed {
                    let tag =
                        |key: &str| tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
                    let (_, content) =
                        with_retry(retry, "DescribePolicy", note, || api.describe_policy(&id))
                            .map_err(api_err("DescribePolicy"))?;
                    let mut targets = all_pages(retry, "ListTargetsForPolicy", note, |t| {
                        api.list_targets_for_policy(&id, t)
                    })
                    .map_err(api_err("ListTargetsForPolicy"))?;
                    targets.sort();
                    live.tagc = Some(TagcPolicy {
                        project: tag(PROJECT_KEY),
                        content,
                        recorded_hash: tag(HASH_KEY),
                        targets,
                    });
                }
            }
            policies.push(live);
        }
    }
    Ok(policies)
}

/// Reads the organization with read-only calls.
pub fn read_snapshot(
    api: &mut dyn OrganizationsApi,
    desired: &[Artifact],
    retry: &RetryPolicy,
    note: &mut dyn FnMut(&str),
) -> Result<OrgSnapshot, ApplyError> {
    let roots =
        with_retry(retry, "ListRoots", note, || api.list_roots()).map_err(api_err("ListRoots"))?;
    let root = roots.into_iter().next().ok_or_else(|| ApplyError::Api {
        operation: "ListRoots".to_owned(),
        error: ApiError::new("Unknown", "the organization has no root"),
    })?;

    let ous = read_ous(api, &root.id, retry, note)?;

    let mut snapshot = OrgSnapshot {
        root,
        ous,
        policies: Vec::new(),
        attachments: BTreeMap::new(),
        missing: BTreeSet::new(),
    };

    snapshot.policies = read_policies(api, retry, note)?;
    snapshot
        .policies
        .sort_by(|a, b| (a.ty, &a.info.name, &a.info.id).cmp(&(b.ty, &b.info.name, &b.info.id)));
    snapshot.root.policy_types.sort();

    // The targets whose attachments matter: the declared ones and those of owned policies.
    let mut targets: BTreeSet<String> = BTreeSet::new();
    for a in desired.iter().filter(|a| policy_type(a.kind).is_some()) {
        for t in &a.targets {
            match t {
                Target::Account(id) | Target::OuId(id) => {
                    targets.insert(id.clone());
                }
                Target::Root | Target::OuPath(_) => {
                    if let Some(id) = snapshot.resolve(t) {
                        targets.insert(id);
                    }
                }
            }
        }
    }
    for p in &snapshot.policies {
        targets.extend(p.targets().iter().cloned());
    }
    for target in targets {
        let mut attached = Attached::default();
        let mut missing = false;
        for ty in PolicyType::ALL {
            let listed = all_pages(retry, "ListPoliciesForTarget", note, |t| {
                api.list_policies_for_target(&target, ty, t)
            });
            match listed {
                Ok(list) => match ty {
                    PolicyType::ServiceControlPolicy => attached.scp = list,
                    PolicyType::TagPolicy => attached.tag = list,
                },
                Err(e) if e.is("PolicyTypeNotEnabledException") => {}
                Err(e)
                    if e.is("TargetNotFoundException")
                        || e.is("AccountNotFoundException")
                        || e.is("OrganizationalUnitNotFoundException") =>
                {
                    missing = true;
                }
                Err(e) => return Err(api_err("ListPoliciesForTarget")(e)),
            }
        }
        if missing {
            snapshot.missing.insert(target);
        } else {
            attached.scp.sort_by(|a, b| a.id.cmp(&b.id));
            attached.tag.sort_by(|a, b| a.id.cmp(&b.id));
            snapshot.attachments.insert(target, attached);
        }
    }
    Ok(snapshot)
}
