//! A strict in-memory AWS organization, for tests.
//!
//! Input: calls through [`OrganizationsApi`]. Output: what AWS documents, including the checks
//! the moto emulator skips: a duplicate attachment, too many policies on a target, detaching the
//! last SCP, a policy over the size limit and attaching a type that is not enabled are all
//! errors with AWS's codes. Tests can also make the next N calls fail (throttling, concurrent
//! modification, anything) and make listings return empty pages with a token.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::LimitsProfile;

use super::api::{
    ApiError, OrganizationsApi, OuInfo, Page, PolicyInfo, PolicyType, PolicyTypeStatus, RootInfo,
};
use super::snapshot::{FULL_AWS_ACCESS_ID, FULL_AWS_ACCESS_NAME};

/// A policy held by the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakePolicy {
    /// The policy.
    pub info: PolicyInfo,
    /// Its type.
    pub ty: PolicyType,
    /// Its content.
    pub content: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// A failure to inject.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Injected {
    /// The operation to fail (`None`: any).
    operation: Option<String>,
    code: String,
    remaining: usize,
}

/// The fake organization.
#[derive(Debug, Clone)]
pub struct FakeOrganizations {
    /// The root's id.
    pub root_id: String,
    /// Type statuses on the root.
    pub types: BTreeMap<PolicyType, PolicyTypeStatus>,
    /// How many `ListRoots` calls a type stays `PENDING_ENABLE` after `EnablePolicyType`.
    pub enable_delay_polls: usize,
    pending_polls: BTreeMap<PolicyType, usize>,
    /// OUs: id → (parent id, name).
    pub ous: BTreeMap<String, (String, String)>,
    /// Accounts: id → parent id.
    pub accounts: BTreeMap<String, String>,
    /// Policies by id.
    pub policies: BTreeMap<String, FakePolicy>,
    /// (policy id, target id).
    pub attachments: BTreeSet<(String, String)>,
    /// The limits profile enforced.
    pub limits: LimitsProfile,
    /// Items per listing page.
    pub page_size: usize,
    /// Whether listings put an empty page with a token before each page.
    pub empty_pages: bool,
    /// Every call that changes something, as `Operation args`, in order.
    pub changes: Vec<String>,
    /// Every call, by operation name.
    pub calls: Vec<String>,
    injected: Vec<Injected>,
    next_id: u32,
}

impl Default for FakeOrganizations {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeOrganizations {
    /// An organization with a root, no OU, no account and no policy type enabled.
    pub fn new() -> Self {
        let mut policies = BTreeMap::new();
        policies.insert(
            FULL_AWS_ACCESS_ID.to_owned(),
            FakePolicy {
                info: PolicyInfo {
                    id: FULL_AWS_ACCESS_ID.to_owned(),
                    name: FULL_AWS_ACCESS_NAME.to_owned(),
                    description: "Allows access to every operation".to_owned(),
                    aws_managed: true,
                },
                ty: PolicyType::ServiceControlPolicy,
                content: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#.to_owned(),
                tags: BTreeMap::new(),
            },
        );
        Self {
            root_id: "r-fake".to_owned(),
            types: BTreeMap::new(),
            enable_delay_polls: 1,
            pending_polls: BTreeMap::new(),
            ous: BTreeMap::new(),
            accounts: BTreeMap::new(),
            policies,
            attachments: BTreeSet::new(),
            limits: LimitsProfile::Current,
            page_size: 2,
            empty_pages: false,
            changes: Vec::new(),
            calls: Vec::new(),
            injected: Vec::new(),
            next_id: 0,
        }
    }

    fn fresh_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:08}", self.next_id)
    }

    fn scp_enabled(&self) -> bool {
        self.types.get(&PolicyType::ServiceControlPolicy) == Some(&PolicyTypeStatus::Enabled)
    }

    /// Adds an OU under a parent (`None`: the root); returns its id.
    pub fn add_ou(&mut self, parent: Option<&str>, name: &str) -> String {
        let id = self.fresh_id("ou-fake-");
        let parent = parent.map_or_else(|| self.root_id.clone(), str::to_owned);
        self.ous.insert(id.clone(), (parent, name.to_owned()));
        if self.scp_enabled() {
            self.attachments
                .insert((FULL_AWS_ACCESS_ID.to_owned(), id.clone()));
        }
        id
    }

    /// Adds an account under a parent (`None`: the root); returns its id.
    pub fn add_account(&mut self, parent: Option<&str>) -> String {
        self.next_id += 1;
        let id = format!("{:012}", 100_000_000_000u64 + u64::from(self.next_id));
        let parent = parent.map_or_else(|| self.root_id.clone(), str::to_owned);
        self.accounts.insert(id.clone(), parent);
        if self.scp_enabled() {
            self.attachments
                .insert((FULL_AWS_ACCESS_ID.to_owned(), id.clone()));
        }
        id
    }

    /// Enables a policy type at once (as a precondition of a test).
    pub fn enable_now(&mut self, ty: PolicyType) {
        self.types.insert(ty, PolicyTypeStatus::Enabled);
        if ty == PolicyType::ServiceControlPolicy {
            for t in self.all_targets() {
                self.attachments.insert((FULL_AWS_ACCESS_ID.to_owned(), t));
            }
        }
    }

    /// Adds a policy directly (not through the API), with these tags; returns its id.
    pub fn add_policy(
        &mut self,
        name: &str,
        ty: PolicyType,
        content: &str,
        tags: &[(&str, &str)],
    ) -> String {
        let id = self.fresh_id("p-");
        self.policies.insert(
            id.clone(),
            FakePolicy {
                info: PolicyInfo {
                    id: id.clone(),
                    name: name.to_owned(),
                    description: String::new(),
                    aws_managed: false,
                },
                ty,
                content: content.to_owned(),
                tags: tags
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            },
        );
        id
    }

    /// Makes the next `times` calls of `operation` (such as `AttachPolicy`; `None`: any call)
    /// fail with `code`.
    pub fn fail_next(&mut self, operation: Option<&str>, code: &str, times: usize) {
        self.injected.push(Injected {
            operation: operation.map(str::to_owned),
            code: code.to_owned(),
            remaining: times,
        });
    }

    /// The policy with this name.
    pub fn policy_named(&self, name: &str) -> Option<&FakePolicy> {
        self.policies.values().find(|p| p.info.name == name)
    }

    /// The names of the policies of a type attached to a target.
    pub fn attached_names(&self, target: &str, ty: PolicyType) -> Vec<String> {
        self.attachments
            .iter()
            .filter(|(_, t)| t == target)
            .filter_map(|(p, _)| self.policies.get(p))
            .filter(|p| p.ty == ty)
            .map(|p| p.info.name.clone())
            .collect()
    }

    fn all_targets(&self) -> Vec<String> {
        std::iter::once(self.root_id.clone())
            .chain(self.ous.keys().cloned())
            .chain(self.accounts.keys().cloned())
            .collect()
    }

    fn target_exists(&self, id: &str) -> bool {
        id == self.root_id || self.ous.contains_key(id) || self.accounts.contains_key(id)
    }

    /// Records a call and fails it if a failure is injected.
    fn enter(&mut self, operation: &str) -> Result<(), ApiError> {
        self.calls.push(operation.to_owned());
        if let Some(inj) = self
            .injected
            .iter_mut()
            .find(|i| i.remaining > 0 && i.operation.as_deref().is_none_or(|o| o == operation))
        {
            inj.remaining -= 1;
            return Err(ApiError::new(
                inj.code.clone(),
                format!("injected failure of {operation}"),
            ));
        }
        Ok(())
    }

    /// Cuts a listing into pages; the token is the offset (with `e` for the empty page).
    fn page<T: Clone>(&self, items: &[T], token: Option<&str>) -> Result<Page<T>, ApiError> {
        let (empty_done, start) = match token {
            None => (false, 0),
            Some(t) => {
                let (e, n) = t.strip_prefix('e').map_or((false, t), |n| (true, n));
                let n = n
                    .parse::<usize>()
                    .map_err(|_| ApiError::new("InvalidInputException", "bad token"))?;
                (e, n)
            }
        };
        if self.empty_pages && !empty_done {
            return Ok(Page {
                items: Vec::new(),
                next_token: Some(format!("e{start}")),
            });
        }
        let end = (start + self.page_size.max(1)).min(items.len());
        // A token past the end (the listing shrank between pages) is refused, as any token
        // the fake did not hand out: a strict fake does not guess.
        let slice = items
            .get(start..end)
            .ok_or_else(|| ApiError::new("InvalidInputException", "token past the end"))?
            .to_vec();
        let next_token = (end < items.len()).then(|| end.to_string());
        Ok(Page {
            items: slice,
            next_token,
        })
    }

    fn constraint(reason: &str) -> ApiError {
        ApiError::new("ConstraintViolationException", reason)
    }

    fn check_size(&self, ty: PolicyType, content: &str) -> Result<(), ApiError> {
        if content.chars().count() > ty.size_limit(self.limits) {
            return Err(Self::constraint("POLICY_CONTENT_LIMIT_EXCEEDED"));
        }
        if serde_json::from_str::<serde_json::Value>(content).is_err() {
            return Err(ApiError::new(
                "MalformedPolicyDocumentException",
                "not JSON",
            ));
        }
        Ok(())
    }

    fn policy(&self, policy_id: &str) -> Result<&FakePolicy, ApiError> {
        self.policies
            .get(policy_id)
            .ok_or_else(|| ApiError::new("PolicyNotFoundException", policy_id.to_owned()))
    }

    fn owned_mut(&mut self, policy_id: &str) -> Result<&mut FakePolicy, ApiError> {
        let p = self
            .policies
            .get_mut(policy_id)
            .ok_or_else(|| ApiError::new("PolicyNotFoundException", policy_id.to_owned()))?;
        if p.info.aws_managed {
            return Err(ApiError::new("InvalidInputException", "IMMUTABLE_POLICY"));
        }
        Ok(p)
    }
}

impl OrganizationsApi for FakeOrganizations {
    fn list_roots(&mut self) -> Result<Vec<RootInfo>, ApiError> {
        self.enter("ListRoots")?;
        // A pending type becomes enabled after a few polls, as AWS's asynchronous enable does.
        for (ty, polls) in &mut self.pending_polls {
            if *polls == 0 {
                self.types.insert(*ty, PolicyTypeStatus::Enabled);
            } else {
                *polls -= 1;
            }
        }
        let finished: Vec<PolicyType> = self
            .pending_polls
            .iter()
            .filter(|(ty, _)| self.types.get(ty) == Some(&PolicyTypeStatus::Enabled))
            .map(|(ty, _)| *ty)
            .collect();
        for ty in finished {
            self.pending_polls.remove(&ty);
            if ty == PolicyType::ServiceControlPolicy {
                for t in self.all_targets() {
                    self.attachments.insert((FULL_AWS_ACCESS_ID.to_owned(), t));
                }
            }
        }
        Ok(vec![RootInfo {
            id: self.root_id.clone(),
            policy_types: self.types.iter().map(|(t, s)| (*t, *s)).collect(),
        }])
    }

    fn list_ous_for_parent(
        &mut self,
        parent_id: &str,
        next_token: Option<&str>,
    ) -> Result<Page<OuInfo>, ApiError> {
        self.enter("ListOrganizationalUnitsForParent")?;
        if parent_id != self.root_id && !self.ous.contains_key(parent_id) {
            return Err(ApiError::new(
                "ParentNotFoundException",
                parent_id.to_owned(),
            ));
        }
        let items: Vec<OuInfo> = self
            .ous
            .iter()
            .filter(|(_, (p, _))| p == parent_id)
            .map(|(id, (_, name))| OuInfo {
                id: id.clone(),
                name: name.clone(),
            })
            .collect();
        self.page(&items, next_token)
    }

    fn list_policies(
        &mut self,
        ty: PolicyType,
        next_token: Option<&str>,
    ) -> Result<Page<PolicyInfo>, ApiError> {
        self.enter("ListPolicies")?;
        let items: Vec<PolicyInfo> = self
            .policies
            .values()
            .filter(|p| p.ty == ty)
            .map(|p| p.info.clone())
            .collect();
        self.page(&items, next_token)
    }

    fn list_policies_for_target(
        &mut self,
        target_id: &str,
        ty: PolicyType,
        next_token: Option<&str>,
    ) -> Result<Page<PolicyInfo>, ApiError> {
        self.enter("ListPoliciesForTarget")?;
        if !self.target_exists(target_id) {
            return Err(ApiError::new(
                "TargetNotFoundException",
                target_id.to_owned(),
            ));
        }
        let items: Vec<PolicyInfo> = self
            .attachments
            .iter()
            .filter(|(_, t)| t == target_id)
            .filter_map(|(p, _)| self.policies.get(p))
            .filter(|p| p.ty == ty)
            .map(|p| p.info.clone())
            .collect();
        self.page(&items, next_token)
    }

    fn list_targets_for_policy(
        &mut self,
        policy_id: &str,
        next_token: Option<&str>,
    ) -> Result<Page<String>, ApiError> {
        self.enter("ListTargetsForPolicy")?;
        if !self.policies.contains_key(policy_id) {
            return Err(ApiError::new(
                "PolicyNotFoundException",
                policy_id.to_owned(),
            ));
        }
        let items: Vec<String> = self
            .attachments
            .iter()
            .filter(|(p, _)| p == policy_id)
            .map(|(_, t)| t.clone())
            .collect();
        self.page(&items, next_token)
    }

    fn describe_policy(&mut self, policy_id: &str) -> Result<(PolicyInfo, String), ApiError> {
        self.enter("DescribePolicy")?;
        self.policy(policy_id)
            .map(|p| (p.info.clone(), p.content.clone()))
    }

    fn list_tags(&mut self, resource_id: &str) -> Result<Vec<(String, String)>, ApiError> {
        self.enter("ListTagsForResource")?;
        self.policies
            .get(resource_id)
            .map(|p| p.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .ok_or_else(|| ApiError::new("TargetNotFoundException", resource_id.to_owned()))
    }

    fn enable_policy_type(&mut self, root_id: &str, ty: PolicyType) -> Result<(), ApiError> {
        self.enter("EnablePolicyType")?;
        if root_id != self.root_id {
            return Err(ApiError::new("RootNotFoundException", root_id.to_owned()));
        }
        if self.types.contains_key(&ty) {
            return Err(ApiError::new(
                "PolicyTypeAlreadyEnabledException",
                ty.as_str(),
            ));
        }
        self.changes.push(format!("EnablePolicyType {ty}"));
        self.types.insert(ty, PolicyTypeStatus::PendingEnable);
        self.pending_polls.insert(ty, self.enable_delay_polls);
        Ok(())
    }

    fn create_policy(
        &mut self,
        name: &str,
        description: &str,
        ty: PolicyType,
        content: &str,
        tags: &[(String, String)],
    ) -> Result<String, ApiError> {
        self.enter("CreatePolicy")?;
        if self.policies.values().any(|p| p.info.name == name) {
            return Err(ApiError::new("DuplicatePolicyException", name.to_owned()));
        }
        self.check_size(ty, content)?;
        let id = self.fresh_id("p-");
        self.changes.push(format!("CreatePolicy {name}"));
        self.policies.insert(
            id.clone(),
            FakePolicy {
                info: PolicyInfo {
                    id: id.clone(),
                    name: name.to_owned(),
                    description: description.to_owned(),
                    aws_managed: false,
                },
                ty,
                content: content.to_owned(),
                tags: tags.iter().cloned().collect(),
            },
        );
        Ok(id)
    }

    fn update_policy(
        &mut self,
        policy_id: &str,
        description: &str,
        content: &str,
    ) -> Result<(), ApiError> {
        self.enter("UpdatePolicy")?;
        let ty = self.owned_mut(policy_id)?.ty;
        self.check_size(ty, content)?;
        self.changes.push(format!("UpdatePolicy {policy_id}"));
        let p = self.owned_mut(policy_id)?;
        content.clone_into(&mut p.content);
        description.clone_into(&mut p.info.description);
        Ok(())
    }

    fn tag_resource(
        &mut self,
        resource_id: &str,
        tags: &[(String, String)],
    ) -> Result<(), ApiError> {
        self.enter("TagResource")?;
        let p = self
            .policies
            .get_mut(resource_id)
            .ok_or_else(|| ApiError::new("TargetNotFoundException", resource_id.to_owned()))?;
        p.tags.extend(tags.iter().cloned());
        self.changes.push(format!("TagResource {resource_id}"));
        Ok(())
    }

    fn attach_policy(&mut self, policy_id: &str, target_id: &str) -> Result<(), ApiError> {
        self.enter("AttachPolicy")?;
        let ty = self.policy(policy_id)?.ty;
        if !self.target_exists(target_id) {
            return Err(ApiError::new(
                "TargetNotFoundException",
                target_id.to_owned(),
            ));
        }
        if self.types.get(&ty) != Some(&PolicyTypeStatus::Enabled) {
            return Err(ApiError::new("PolicyTypeNotEnabledException", ty.as_str()));
        }
        let key = (policy_id.to_owned(), target_id.to_owned());
        if self.attachments.contains(&key) {
            return Err(ApiError::new(
                "DuplicatePolicyAttachmentException",
                policy_id.to_owned(),
            ));
        }
        if self.attached_names(target_id, ty).len() >= ty.slot_limit(self.limits) {
            return Err(Self::constraint(
                "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
            ));
        }
        self.changes
            .push(format!("AttachPolicy {policy_id} {target_id}"));
        self.attachments.insert(key);
        Ok(())
    }

    fn detach_policy(&mut self, policy_id: &str, target_id: &str) -> Result<(), ApiError> {
        self.enter("DetachPolicy")?;
        let ty = self.policy(policy_id)?.ty;
        let key = (policy_id.to_owned(), target_id.to_owned());
        if !self.attachments.contains(&key) {
            return Err(ApiError::new(
                "PolicyNotAttachedException",
                policy_id.to_owned(),
            ));
        }
        if ty == PolicyType::ServiceControlPolicy && self.attached_names(target_id, ty).len() <= 1 {
            return Err(Self::constraint(
                "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
            ));
        }
        self.changes
            .push(format!("DetachPolicy {policy_id} {target_id}"));
        self.attachments.remove(&key);
        Ok(())
    }

    fn delete_policy(&mut self, policy_id: &str) -> Result<(), ApiError> {
        self.enter("DeletePolicy")?;
        self.owned_mut(policy_id)?;
        if self.attachments.iter().any(|(p, _)| p == policy_id) {
            return Err(ApiError::new("PolicyInUseException", policy_id.to_owned()));
        }
        self.changes.push(format!("DeletePolicy {policy_id}"));
        self.policies.remove(policy_id);
        Ok(())
    }
}
