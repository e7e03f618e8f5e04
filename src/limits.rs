//! AWS size and attachment limits, as versioned profiles rather than constants: AWS doubled the
//! SCP limits on 2026-05-15, and organizations move at their own pace. Every quota tagc checks
//! (the compiler's size and slot checks, the planner's, the test fake's) reads these profiles.
//!
//! Sources: <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html>
//! (Organizations), <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>
//! (IAM managed policies).

use serde::Serialize;

use crate::artifact::ArtifactKind;
use crate::model::LimitsProfile;

/// The limits tagc compiles against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// The profile's name.
    pub profile: &'static str,
    /// Maximum SCP size, in characters of the document as sent.
    pub scp_size: usize,
    /// SCPs directly attached per root, OU or account (`FullAWSAccess` included).
    pub scp_slots: usize,
    /// Maximum tag policy size.
    pub tag_policy_size: usize,
    /// Tag policies directly attached per root, OU or account.
    pub tag_policy_slots: usize,
    /// Maximum IAM managed policy size (IAM does not count whitespace).
    pub iam_managed_size: usize,
}

impl Limits {
    /// The limits of a profile.
    pub const fn of(profile: LimitsProfile) -> Self {
        match profile {
            LimitsProfile::Current => Self {
                profile: "current",
                scp_size: 10_240,
                scp_slots: 10,
                tag_policy_size: 10_000,
                tag_policy_slots: 10,
                iam_managed_size: 6_144,
            },
            LimitsProfile::Legacy => Self {
                profile: "legacy",
                scp_size: 5_120,
                scp_slots: 5,
                tag_policy_size: 10_000,
                tag_policy_slots: 10,
                iam_managed_size: 6_144,
            },
        }
    }

    /// The size limit for a kind of artifact.
    pub const fn size_limit(&self, kind: ArtifactKind) -> usize {
        match kind {
            ArtifactKind::Scp => self.scp_size,
            ArtifactKind::TagPolicy => self.tag_policy_size,
            ArtifactKind::IamPolicy => self.iam_managed_size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limit_reads_the_profile_field_of_each_kind() {
        for profile in [LimitsProfile::Current, LimitsProfile::Legacy] {
            let l = Limits::of(profile);
            assert_eq!(l.size_limit(ArtifactKind::Scp), l.scp_size);
            assert_eq!(l.size_limit(ArtifactKind::TagPolicy), l.tag_policy_size);
            assert_eq!(l.size_limit(ArtifactKind::IamPolicy), l.iam_managed_size);
        }
    }
}
