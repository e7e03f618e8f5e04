//! The `OrganizationsApi` trait: the few AWS Organizations calls `plan` and `apply` make.
//!
//! Input: requests in tagc's own small types. Output: [`Page`]s of summaries or an [`ApiError`]
//! that keeps AWS's error code. Two implementations: [`crate::aws::sdk::SdkOrganizations`]
//! (the AWS SDK) and [`crate::aws::fake::FakeOrganizations`] (a strict in-memory organization
//! for tests). The trait is synchronous: the SDK implementation blocks on its own runtime, which
//! keeps the planner, the executor and their tests free of async.

use serde::{Deserialize, Serialize};

use crate::artifact::ArtifactKind;
use crate::limits::Limits;
use crate::model::LimitsProfile;

/// An Organizations policy type that tagc manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PolicyType {
    /// `SERVICE_CONTROL_POLICY`.
    ServiceControlPolicy,
    /// `TAG_POLICY`.
    TagPolicy,
}

impl PolicyType {
    /// The name the API uses.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ServiceControlPolicy => "SERVICE_CONTROL_POLICY",
            Self::TagPolicy => "TAG_POLICY",
        }
    }

    /// The kind of artifact tagc compiles to policies of this type.
    pub const fn artifact_kind(self) -> ArtifactKind {
        match self {
            Self::ServiceControlPolicy => ArtifactKind::Scp,
            Self::TagPolicy => ArtifactKind::TagPolicy,
        }
    }

    /// The size quota of this type, in characters, under a limits profile.
    pub const fn size_limit(self, profile: LimitsProfile) -> usize {
        Limits::of(profile).size_limit(self.artifact_kind())
    }

    /// How many policies of this type one root, OU or account can have attached directly,
    /// under a limits profile.
    pub const fn slot_limit(self, profile: LimitsProfile) -> usize {
        let limits = Limits::of(profile);
        match self {
            Self::ServiceControlPolicy => limits.scp_slots,
            Self::TagPolicy => limits.tag_policy_slots,
        }
    }

    /// Both types, in the order tagc handles them.
    pub const ALL: [Self; 2] = [Self::ServiceControlPolicy, Self::TagPolicy];
}

impl std::fmt::Display for PolicyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a policy type is enabled on the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PolicyTypeStatus {
    /// Enabled: policies of the type can be attached.
    Enabled,
    /// `EnablePolicyType` was called and has not finished.
    PendingEnable,
    /// `DisablePolicyType` was called and has not finished.
    PendingDisable,
}

/// The organization's root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootInfo {
    /// `r-…`.
    pub id: String,
    /// The policy types listed on the root, with their status.
    pub policy_types: Vec<(PolicyType, PolicyTypeStatus)>,
}

impl RootInfo {
    /// The status of one policy type, `None` when it is not enabled at all.
    pub fn status(&self, ty: PolicyType) -> Option<PolicyTypeStatus> {
        self.policy_types
            .iter()
            .find(|(t, _)| *t == ty)
            .map(|(_, s)| *s)
    }
}

/// An organizational unit, as listed under its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuInfo {
    /// `ou-…`.
    pub id: String,
    /// Its name (unique among its siblings).
    pub name: String,
}

/// A policy, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyInfo {
    /// `p-…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Whether AWS manages it (`FullAWSAccess`).
    pub aws_managed: bool,
}

/// One page of a listing. `next_token` is `None` on the last page; a page may be empty and still
/// have a token, so callers keep going until the token is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The token for the next page.
    pub next_token: Option<String>,
}

/// A failed call, with AWS's error code kept so callers can decide what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// AWS's error code, such as `TooManyRequestsException`; `Dispatch` when the request never
    /// got an answer, `Unknown` when the answer had no code.
    pub code: String,
    /// AWS's message.
    pub message: String,
}

impl ApiError {
    /// An error with this code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    /// Whether AWS asks to retry later: throttling and the two "busy" errors.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.code.as_str(),
            "TooManyRequestsException"
                | "ConcurrentModificationException"
                | "PolicyChangesInProgressException"
        )
    }

    /// Whether this is the given code.
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }
}

/// The Organizations calls tagc makes. Every method is one API call (one page for listings), so
/// a caller can count, retry and fake them one by one.
pub trait OrganizationsApi {
    /// `ListRoots` (an organization has exactly one root).
    fn list_roots(&mut self) -> Result<Vec<RootInfo>, ApiError>;
    /// `ListOrganizationalUnitsForParent`, one page.
    fn list_ous_for_parent(
        &mut self,
        parent_id: &str,
        next_token: Option<&str>,
    ) -> Result<Page<OuInfo>, ApiError>;
    /// `ListPolicies` for one type, one page.
    fn list_policies(
        &mut self,
        ty: PolicyType,
        next_token: Option<&str>,
    ) -> Result<Page<PolicyInfo>, ApiError>;
    /// `ListPoliciesForTarget` (direct attachments only), one page.
    fn list_policies_for_target(
        &mut self,
        target_id: &str,
        ty: PolicyType,
        next_token: Option<&str>,
    ) -> Result<Page<PolicyInfo>, ApiError>;
    /// `ListTargetsForPolicy`, one page of target ids.
    fn list_targets_for_policy(
        &mut self,
        policy_id: &str,
        next_token: Option<&str>,
    ) -> Result<Page<String>, ApiError>;
    /// `DescribePolicy`: the policy and its content.
    fn describe_policy(&mut self, policy_id: &str) -> Result<(PolicyInfo, String), ApiError>;
    /// `ListTagsForResource`, all pages.
    fn list_tags(&mut self, resource_id: &str) -> Result<Vec<(String, String)>, ApiError>;
    /// `EnablePolicyType` (asynchronous: poll [`Self::list_roots`]).
    fn enable_policy_type(&mut self, root_id: &str, ty: PolicyType) -> Result<(), ApiError>;
    /// `CreatePolicy` with tags; returns the new policy's id.
    fn create_policy(
        &mut self,
        name: &str,
        description: &str,
        ty: PolicyType,
        content: &str,
        tags: &[(String, String)],
    ) -> Result<String, ApiError>;
    /// `UpdatePolicy` of content and description.
    fn update_policy(
        &mut self,
        policy_id: &str,
        description: &str,
        content: &str,
    ) -> Result<(), ApiError>;
    /// `TagResource` (adds or overwrites tags).
    fn tag_resource(
        &mut self,
        resource_id: &str,
        tags: &[(String, String)],
    ) -> Result<(), ApiError>;
    /// `AttachPolicy`.
    fn attach_policy(&mut self, policy_id: &str, target_id: &str) -> Result<(), ApiError>;
    /// `DetachPolicy`.
    fn detach_policy(&mut self, policy_id: &str, target_id: &str) -> Result<(), ApiError>;
    /// `DeletePolicy`.
    fn delete_policy(&mut self, policy_id: &str) -> Result<(), ApiError>;
}
