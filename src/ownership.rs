//! The tags that mark an AWS policy as tagc's, shared by `plan`/`apply` (which set and read
//! them) and the infrastructure-as-code renderings (which declare them), so that a policy
//! deployed either way is recognised by the other.
//!
//! Input: nothing. Output: the tag keys and the fixed value.

/// The tag every policy tagc creates carries: `managed-by = tagc`.
pub const MANAGED_BY_KEY: &str = "managed-by";
/// The value of [`MANAGED_BY_KEY`].
pub const MANAGED_BY_VALUE: &str = "tagc";
/// The tag naming the project that owns a policy (`organization { project "…" }`).
pub const PROJECT_KEY: &str = "tagc:project";
/// The tag holding the hash of the content tagc last applied (`sha256:…`), for drift detection.
pub const HASH_KEY: &str = "tagc:hash";
