//! The entry points `tagc plan` and `tagc apply` call after compiling.
//!
//! Input: the compiled artifacts, the organization settings and the AWS options from the command
//! line ([`AwsArgs`]). Output: the plan printed (human or JSON) on stdout, progress on stderr,
//! and an outcome whose exit code the CLI returns: `plan` 0 when nothing would change and 2 when
//! something would; `apply` 0 when done. Every error is an [`ApplyError`] (exit 1).

use std::io::{BufRead, IsTerminal, Write};

use crate::artifact::Artifact;
use crate::model::Settings;

use super::api::OrganizationsApi;
use super::error::ApplyError;
use super::execute::{ApplyOptions, execute};
use super::plan::{Plan, plan};
use super::retry::RetryPolicy;
use super::sdk::{ConnectOptions, SdkOrganizations};
use super::snapshot::read_snapshot;

/// How to reach AWS, as the AWS CLI takes it. Credentials come from the standard chain
/// (environment, shared files, SSO, instance or container roles).
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct AwsArgs {
    /// Use this profile from the AWS config and credentials files
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Use this AWS region (Organizations is global; default `us-east-1`)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send requests to this URL instead of AWS (also `AWS_ENDPOINT_URL`)
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

impl AwsArgs {
    /// The connection options these arguments give.
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }
}

/// What `plan` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanOutcome {
    /// The organization is as declared.
    NoChanges,
    /// `apply` would change something.
    Changes,
}

impl PlanOutcome {
    /// The process exit code: 0 for no changes, 2 for changes.
    pub const fn exit_code(self) -> u8 {
        match self {
            Self::NoChanges => 0,
            Self::Changes => 2,
        }
    }
}

/// What `apply` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The organization was already as declared.
    NothingToDo,
    /// This many steps were run.
    Applied(usize),
}

impl ApplyOutcome {
    /// The process exit code: 0.
    pub const fn exit_code(self) -> u8 {
        0
    }
}

/// How `apply` gets its go-ahead.
pub enum Confirmation<'a> {
    /// `--yes`: do not ask.
    Yes,
    /// Ask, and read the answer from this reader.
    Ask(&'a mut dyn BufRead),
}

/// `tagc plan`: connects, reads the organization, prints the plan (JSON when `json`) on stdout.
pub fn run_plan(
    artifacts: &[Artifact],
    settings: &Settings,
    args: &AwsArgs,
    json: bool,
) -> Result<PlanOutcome, ApplyError> {
    let mut api = SdkOrganizations::connect(&args.connect_options(), |l| l)?;
    let mut stderr = std::io::stderr();
    let plan = plan_with(
        &mut api,
        artifacts,
        settings,
        &RetryPolicy::default(),
        &mut stderr,
    )?;
    let mut stdout = std::io::stdout().lock();
    print_plan(&plan, json, &mut stdout)?;
    Ok(outcome(&plan))
}

/// `tagc apply`: connects, reads the organization, prints the plan, asks (unless `yes`), and
/// applies it. Without `yes`, stdin must be a terminal.
pub fn run_apply(
    artifacts: &[Artifact],
    settings: &Settings,
    args: &AwsArgs,
    yes: bool,
) -> Result<ApplyOutcome, ApplyError> {
    // Refuse before connecting: a CI job without `--yes` should fail fast and change nothing.
    let stdin = std::io::stdin();
    if !yes && !stdin.is_terminal() {
        return Err(ApplyError::NotConfirmed);
    }
    let mut api = SdkOrganizations::connect(&args.connect_options(), |l| l)?;
    let mut input = stdin.lock();
    let confirm = if yes {
        Confirmation::Yes
    } else {
        Confirmation::Ask(&mut input)
    };
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    apply_with(
        &mut api,
        artifacts,
        settings,
        &ApplyOptions::default(),
        confirm,
        &mut stdout,
        &mut stderr,
    )
}

/// The plan's outcome.
pub fn outcome(plan: &Plan) -> PlanOutcome {
    if plan.is_empty() {
        PlanOutcome::NoChanges
    } else {
        PlanOutcome::Changes
    }
}

/// Reads the organization through any API and computes the plan; progress goes to `progress`.
pub fn plan_with(
    api: &mut dyn OrganizationsApi,
    artifacts: &[Artifact],
    settings: &Settings,
    retry: &RetryPolicy,
    progress: &mut dyn Write,
) -> Result<Plan, ApplyError> {
    let mut note = |line: &str| {
        // Progress is best effort: a closed stderr must not stop a plan.
        let _ = writeln!(progress, "{line}");
    };
    note("reading the organization");
    let snapshot = read_snapshot(api, artifacts, retry, &mut note)?;
    Ok(plan(artifacts, settings, &snapshot)?)
}

/// Prints a plan for humans, or as JSON.
pub fn print_plan(plan: &Plan, json: bool, out: &mut dyn Write) -> Result<(), ApplyError> {
    if json {
        let text = serde_json::to_string_pretty(plan).map_err(std::io::Error::other)?;
        writeln!(out, "{text}")?;
    } else {
        write!(out, "{plan}")?;
    }
    Ok(())
}

/// The whole of `apply` through any API: plan, print, confirm, execute.
pub fn apply_with(
    api: &mut dyn OrganizationsApi,
    artifacts: &[Artifact],
    settings: &Settings,
    options: &ApplyOptions,
    confirm: Confirmation<'_>,
    out: &mut dyn Write,
    progress: &mut dyn Write,
) -> Result<ApplyOutcome, ApplyError> {
    let plan = plan_with(api, artifacts, settings, &options.retry, progress)?;
    print_plan(&plan, false, out)?;
    if plan.is_empty() {
        return Ok(ApplyOutcome::NothingToDo);
    }
    if let Confirmation::Ask(input) = confirm {
        let n = plan.steps.len();
        write!(
            out,
            "apply {} change{}? [y/N] ",
            n,
            if n == 1 { "" } else { "s" }
        )?;
        out.flush()?;
        let mut answer = String::new();
        input.read_line(&mut answer)?;
        let answer = answer.trim().to_lowercase();
        if answer != "y" && answer != "yes" {
            return Err(ApplyError::Cancelled);
        }
    }
    let mut note = |line: &str| {
        let _ = writeln!(progress, "{line}");
    };
    let done = execute(api, &plan, options, &mut note)?;
    let n = done.len();
    writeln!(out, "applied {n} change{}", if n == 1 { "" } else { "s" })?;
    Ok(ApplyOutcome::Applied(done.len()))
}
