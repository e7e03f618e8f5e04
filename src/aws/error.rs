//! The errors of `plan` and `apply`: one enum per stage.
//!
//! Input: what went wrong while planning ([`PlanError`]: the declared artifacts cannot be applied
//! to this organization) or while talking to AWS ([`ApplyError`]). Output: miette diagnostics
//! with stable codes (`tagc::aws::…`), lowercase messages and a help line.

use miette::Diagnostic;

use super::api::ApiError;

/// Why the declared policies cannot be applied to this organization. Found before any call that
/// changes anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
#[non_exhaustive]
pub enum PlanError {
    /// A target is not in the organization.
    #[error("{target}, where policy `{policy}` is attached, does not exist in the organization")]
    #[diagnostic(code("tagc::aws::unknown-target"), severity(Error), help("{help}"))]
    UnknownTarget {
        /// The target as declared, with its kind (`ou Root/ML`, `account 111122223333`).
        target: String,
        /// The tagc policy attached there.
        policy: String,
        /// A suggestion (`did you mean …?`) or where to look.
        help: String,
    },
    /// A policy with a declared name exists but tagc does not own it.
    #[error("policy `{name}` ({id}) exists in AWS but is not managed by tagc")]
    #[diagnostic(
        code("tagc::aws::not-owned"),
        severity(Error),
        help(
            "tagc changes only policies tagged `managed-by = tagc`; rename the tagc policy, or \
             delete the existing one yourself, or tag it `managed-by = tagc` and claim it with \
             `--adopt`"
        )
    )]
    NotOwned {
        /// The policy name.
        name: String,
        /// Its id.
        id: String,
    },
    /// An owned policy's type differs from the declared one.
    #[error("policy `{name}` is a {live} in AWS but is declared as a {desired}")]
    #[diagnostic(
        code("tagc::aws::kind-changed"),
        severity(Error),
        help("a policy's type cannot change: rename the tagc policy so a new one is created")
    )]
    KindChanged {
        /// The policy name.
        name: String,
        /// The type in AWS.
        live: String,
        /// The declared type.
        desired: String,
    },
    /// Two artifacts have the same AWS name.
    #[error("two policies are named `{name}`")]
    #[diagnostic(
        code("tagc::aws::duplicate-name"),
        severity(Error),
        help("policy names are unique in an organization: rename one of them")
    )]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// A policy name or description AWS would reject.
    #[error("policy `{name}` has {what}")]
    #[diagnostic(
        code("tagc::aws::invalid-name"),
        severity(Error),
        help("AWS accepts policy names of 1 to 128 characters and descriptions of up to 512")
    )]
    InvalidName {
        /// The policy name.
        name: String,
        /// What is wrong.
        what: String,
    },
    /// A policy is larger than AWS accepts.
    #[error("policy `{name}` is {size} characters, over the {limit}-character limit of a {kind}")]
    #[diagnostic(
        code("tagc::aws::policy-too-large"),
        severity(Error),
        help("split the tagc policy, or check the limits profile in `organization {{ … }}`")
    )]
    TooLarge {
        /// The policy name.
        name: String,
        /// The policy type.
        kind: String,
        /// Its size as sent, in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A target would get more policies of a type than AWS allows.
    #[error("{target} would have {needed} {kind} policies attached, over the limit of {limit}")]
    #[diagnostic(code("tagc::aws::too-many-policies"), severity(Error), help("{help}"))]
    SlotOverflow {
        /// The target.
        target: String,
        /// The policy type.
        kind: String,
        /// How many would be attached (at the peak, while changing).
        needed: usize,
        /// The limit.
        limit: usize,
        /// What is attached now, and how to make room.
        help: String,
    },
    /// A target would be left without any SCP.
    #[error("{target} would be left without a service control policy")]
    #[diagnostic(
        code("tagc::aws::last-scp"),
        severity(Error),
        help(
            "AWS requires at least one SCP on every root, OU and account: attach another SCP \
             (such as `FullAWSAccess`) first"
        )
    )]
    LastScp {
        /// The target.
        target: String,
    },
    /// The project has no name, so its policies cannot be told from another project's.
    #[error("the project has no name: plan and apply need `organization {{ project \"…\" }}`")]
    #[diagnostic(
        code("tagc::aws::no-project"),
        severity(Error),
        help(
            "add `organization {{ project \"NAME\" }}` to one `.tags` file; tagc tags every policy \
             it creates `tagc:project = NAME` and touches only the policies with that tag"
        )
    )]
    NoProject,
    /// A declared name is taken by a tagc policy of another project, or of none.
    #[error("policy `{name}` ({id}) exists in AWS and belongs to {owner}")]
    #[diagnostic(code("tagc::aws::foreign"), severity(Error), help("{help}"))]
    Foreign {
        /// The policy name.
        name: String,
        /// Its id.
        id: String,
        /// Whose it is.
        owner: String,
        /// What to do.
        help: String,
    },
    /// The plan would remove most or all of what the project owns.
    #[error(
        "the plan would delete {deleted} of the {policies} policies and remove {detached} of the \
         {attachments} attachments that project `{project}` owns: {what}"
    )]
    #[diagnostic(
        code("tagc::aws::destroy"),
        severity(Error),
        help(
            "a project that declares nothing, or a missing, empty or truncated `.tags` file, looks \
             like this; check the sources, and if the removal is intended run again with \
             `--allow-destroy`"
        )
    )]
    Destroy {
        /// The project.
        project: String,
        /// Policies the plan deletes.
        deleted: usize,
        /// Policies the project owns.
        policies: usize,
        /// Attachments the plan removes.
        detached: usize,
        /// Attachments the project's policies have.
        attachments: usize,
        /// What would be removed.
        what: String,
    },
    /// Several of the above.
    #[error("the plan has {} errors", errors.len())]
    #[diagnostic(code("tagc::aws::plan"), severity(Error))]
    Several {
        /// The errors.
        #[related]
        errors: Vec<PlanError>,
    },
}

/// Why `plan` or `apply` failed.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[non_exhaustive]
pub enum ApplyError {
    /// The plan cannot be made.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] PlanError),
    /// A call to AWS failed while reading the organization (nothing was changed).
    #[error("`{operation}` failed: {error}")]
    #[diagnostic(code("tagc::aws::api"), severity(Error), help("{}", api_help(error)))]
    Api {
        /// The operation.
        operation: String,
        /// AWS's error.
        error: ApiError,
    },
    /// The AWS configuration could not be loaded.
    #[error("cannot configure the aws client: {message}")]
    #[diagnostic(
        code("tagc::aws::config"),
        severity(Error),
        help("check `--profile`, `--region` and `--endpoint-url`, or the `AWS_*` variables")
    )]
    Config {
        /// What went wrong.
        message: String,
    },
    /// `apply` needs a confirmation it cannot ask for.
    #[error("apply needs confirmation, and stdin is not a terminal")]
    #[diagnostic(
        code("tagc::aws::not-confirmed"),
        severity(Error),
        help("review the plan with `tagc plan`, then run `tagc apply --yes`")
    )]
    NotConfirmed,
    /// The operator answered no.
    #[error("apply cancelled: nothing was changed")]
    #[diagnostic(
        code("tagc::aws::cancelled"),
        severity(Error),
        help("answer `yes` to apply the plan")
    )]
    Cancelled,
    /// A step failed; some steps were done, the rest were not.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Interrupted(Box<Interrupted>),
    /// A policy type did not become enabled in time.
    #[error("policy type `{policy_type}` was not enabled after {seconds} seconds")]
    #[diagnostic(
        code("tagc::aws::enable-timeout"),
        severity(Error),
        help("enabling is asynchronous in AWS: run `tagc apply` again in a minute")
    )]
    EnableTimeout {
        /// The policy type.
        policy_type: String,
        /// How long tagc waited.
        seconds: u64,
    },
    /// A plan file cannot be written.
    #[error("cannot write the plan to `{path}`: {message}")]
    #[diagnostic(
        code("tagc::aws::save-plan"),
        severity(Error),
        help("check that the directory exists and is writable")
    )]
    SavePlan {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// `plan --out` names something that is not a plan tagc saved: replacing it would lose it.
    #[error(
        "`{path}` exists and is not a plan tagc saved: `plan --out` replaces only its own plans"
    )]
    #[diagnostic(
        code("tagc::aws::out-not-plan"),
        severity(Error),
        help("choose a new file, such as `--out plan.json`, or move this one away")
    )]
    OutNotPlan {
        /// The file.
        path: String,
    },
    /// A file given as a saved plan is not one tagc can apply.
    #[error("`{path}` is not a plan tagc can apply: {reason}")]
    #[diagnostic(
        code("tagc::aws::plan-file"),
        severity(Error),
        help("write the plan with `tagc plan --out FILE` and apply that file unchanged")
    )]
    BadPlanFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A saved plan no longer fits the sources or the organization; nothing was changed.
    #[error("the saved plan is stale: {what} changed since it was made, and nothing was applied")]
    #[diagnostic(code("tagc::aws::stale-plan"), severity(Error), help("{help}"))]
    StalePlan {
        /// What changed: the sources, the organization, the project, the steps.
        what: String,
        /// What changed in detail, and what to do.
        help: String,
    },
    /// The digest of the organization, the sources or a plan's steps cannot be computed, so
    /// a saved plan could not be checked against them.
    #[error("cannot compute the digest of {what}: {message}")]
    #[diagnostic(
        code("tagc::aws::digest"),
        severity(Error),
        help("this is a bug in tagc: report it with the project's files")
    )]
    Digest {
        /// Of what: the organization, the sources, the plan's steps.
        what: String,
        /// The serializer's reason.
        message: String,
    },
    /// Reading stdin or writing the plan failed.
    #[error("cannot read or write the terminal: {0}")]
    #[diagnostic(code("tagc::aws::io"), severity(Error))]
    Io(#[from] std::io::Error),
}

impl ApplyError {
    /// The error as the diagnostics it shows: each error of a plan refused for several reasons
    /// on its own (so that the summary and `"errors"` count what is shown), any other error as
    /// one.
    pub fn into_diagnostics(self) -> crate::diagnostics::Diagnostics {
        let mut d = crate::diagnostics::Diagnostics::new();
        match self {
            Self::Plan(PlanError::Several { errors }) => {
                for e in errors {
                    d.push(e);
                }
            }
            other => d.push(other),
        }
        d
    }
}

/// A help line for an AWS error code.
fn api_help(e: &ApiError) -> &'static str {
    match e.code.as_str() {
        "AccessDeniedException" | "AccessDenied" => {
            "the credentials need the Organizations permissions listed in docs/apply.md, in the \
             management account or a delegated administrator"
        }
        "AWSOrganizationsNotInUseException" => {
            "this account is not in an organization: use the management account's credentials"
        }
        "Dispatch" => {
            "the request was not sent or got no answer: check the credentials (`--profile`, \
             `AWS_*`), the network, `--endpoint-url` and `--region`"
        }
        "TooManyRequestsException" => "aws kept throttling: run the command again later",
        _ => "run again with the same arguments; tagc reads the organization afresh each time",
    }
}

/// `apply` stopped at a failed step: what was done and what was not.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("apply stopped at step {step} of {total} ({failed}): {error}")]
#[diagnostic(code("tagc::aws::interrupted"), severity(Error), help("{report}"))]
pub struct Interrupted {
    /// The failed step, 1-based.
    pub step: usize,
    /// How many steps the plan had.
    pub total: usize,
    /// What the failed step was doing.
    pub failed: String,
    /// What was done and what was not, and what to do next.
    pub report: String,
    /// Steps done, in order.
    pub done: Vec<String>,
    /// Steps not done (the failed one first).
    pub not_done: Vec<String>,
    /// AWS's error.
    pub error: ApiError,
}
