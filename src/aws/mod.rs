//! `tagc plan` and `tagc apply`: the compiled SCPs and tag policies, applied to AWS Organizations.
//!
//! Input: the artifacts of a build ([`crate::artifact::Artifact`]) and the organization settings.
//! Output: a [`Plan`] (what would change), and, on apply, the organization changed to match.
//!
//! ```text
//! snapshot::read_snapshot  → OrgSnapshot   read-only calls through OrganizationsApi
//! plan::plan               → Plan          pure: ownership, FullAWSAccess, slot and size limits
//! execute::execute         → steps done    thin: one call per step, retried, in a safe order
//! ```
//!
//! Ownership: every policy tagc creates is tagged `managed-by = tagc`, `tagc:project = <name>`
//! (the project's `organization { project "…" }`) and `tagc:hash = sha256:…` (the content it
//! applied). A project changes only the policies with both of the first two tags and its name;
//! other tagc policies are listed as foreign. The hash is compared with the live content to
//! report drift. The planner refuses, unless allowed, a plan that removes most of what the
//! project owns. [`saved`] writes a plan to a file and checks it before `apply` runs it; [`workflow`]
//! holds the entry points the command line calls (connect, read, plan, confirm, execute); [`fake`] a strict in-memory organization for
//! tests.

pub mod api;
pub mod error;
pub mod execute;
pub mod fake;
pub mod plan;
pub mod retry;
pub mod saved;
pub mod sdk;
pub mod snapshot;
pub mod workflow;

#[cfg(test)]
mod tests;

pub use api::{ApiError, OrganizationsApi, PolicyType};
pub use error::{ApplyError, PlanError};
pub use plan::{Plan, PlanOptions, Step, plan};
pub use snapshot::{OrgSnapshot, read_snapshot};
pub use workflow::{ApplyOutcome, PlanOutcome, run_apply, run_plan};
