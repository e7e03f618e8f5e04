//! The entry points `tagc plan` and `tagc apply` call after compiling.
//!
//! Input: the compiled artifacts, the organization settings, where to connect
//! ([`ConnectOptions`]) and how `apply` gets its go-ahead ([`Confirmation`]; the command line
//! decides it, from `--yes` and whether stdin is a terminal). Output: the plan printed (human or JSON) on stdout, progress on stderr,
//! and an outcome whose exit code the CLI returns: `plan` 0 when nothing would change and 2 when
//! something would; `apply` 0 when done. Every error is an [`ApplyError`] (exit 1). `plan` can
//! save the plan to a file ([`SavedPlan`]); `apply` can run such a file, after checking that
//! neither the sources nor the organization changed since.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::artifact::Artifact;
use crate::model::Settings;

use super::api::OrganizationsApi;
use super::error::{ApplyError, PlanError};
use super::execute::{ApplyOptions, execute};
use super::plan::{Plan, PlanOptions, plan};
use super::retry::RetryPolicy;
use super::saved::SavedPlan;
use super::sdk::{ConnectOptions, SdkOrganizations};
use super::snapshot::read_snapshot;

/// What `plan` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanOutcome {
    /// The organization is as declared.
    NoChanges,
    /// `apply` would change something.
    Changes,
}

/// What `apply` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The organization was already as declared.
    NothingToDo,
    /// This many steps were run.
    Applied(usize),
}

/// How `apply` gets its go-ahead.
pub enum Confirmation<'a> {
    /// `--yes`: do not ask.
    Yes,
    /// Ask, and read the answer from this reader.
    Ask(&'a mut dyn BufRead),
    /// Without `--yes` and with no terminal to ask on: refused before anything changes.
    Unavailable,
}

/// How `tagc plan` runs, besides the AWS connection.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanRun<'a> {
    /// Print the plan as JSON.
    pub json: bool,
    /// `--allow-destroy`, `--adopt`.
    pub options: PlanOptions,
    /// `--out FILE`: save the plan there.
    pub out: Option<&'a Path>,
    /// The source paths, as given (recorded in a saved plan).
    pub paths: &'a [String],
}

/// `tagc plan`: connects, reads the organization, prints the plan (JSON when `json`) to `out`,
/// and saves it when asked.
pub fn run_plan(
    artifacts: &[Artifact],
    settings: &Settings,
    connect: &ConnectOptions,
    run: &PlanRun<'_>,
    out: &mut dyn Write,
) -> Result<PlanOutcome, ApplyError> {
    // Refuse before connecting: nothing can be planned for a project without a name.
    if settings.project.is_none() {
        return Err(PlanError::NoProject.into());
    }
    if let Some(path) = run.out {
        SavedPlan::check_out(path)?;
    }
    let mut api = SdkOrganizations::connect(connect, |l| l)?;
    let mut stderr = std::io::stderr();
    let (plan, organization_digest) = read_and_plan(
        &mut api,
        artifacts,
        settings,
        run.options,
        &RetryPolicy::default(),
        &mut stderr,
    )?;
    if let Some(path) = run.out {
        SavedPlan::new(
            &plan,
            artifacts,
            settings,
            run.paths,
            organization_digest,
            run.options.adopt,
        )?
        .save(path)?;
        // Progress is best effort, like the rest of stderr.
        let _ = writeln!(stderr, "plan saved to {}", path.display());
    }
    print_plan(&plan, run.json, out)?;
    Ok(outcome(&plan))
}

/// `tagc apply`: connects, reads the organization, prints the plan, gets the go-ahead, and
/// applies it; or, given a saved plan, checks it still holds and applies exactly its steps. The
/// plan and the result go to `out`, progress to stderr.
pub fn run_apply(
    artifacts: &[Artifact],
    settings: &Settings,
    connect: &ConnectOptions,
    confirm: Confirmation<'_>,
    options: &ApplyOptions,
    saved: Option<&SavedPlan>,
    out: &mut dyn Write,
) -> Result<ApplyOutcome, ApplyError> {
    if settings.project.is_none() {
        return Err(PlanError::NoProject.into());
    }
    // Refuse before connecting: a CI job without `--yes` should fail fast and change nothing.
    if matches!(confirm, Confirmation::Unavailable) {
        return Err(ApplyError::NotConfirmed);
    }
    if let Some(saved) = saved {
        // The sources are checked before connecting too: a stale plan changes nothing.
        saved.check_sources(artifacts, settings)?;
    }
    let mut api = SdkOrganizations::connect(connect, |l| l)?;
    let mut stderr = std::io::stderr();
    match saved {
        Some(saved) => apply_saved_with(
            &mut api,
            saved,
            artifacts,
            settings,
            options,
            confirm,
            out,
            &mut stderr,
        ),
        None => apply_with(
            &mut api,
            artifacts,
            settings,
            options,
            confirm,
            out,
            &mut stderr,
        ),
    }
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
    options: PlanOptions,
    retry: &RetryPolicy,
    progress: &mut dyn Write,
) -> Result<Plan, ApplyError> {
    read_and_plan(api, artifacts, settings, options, retry, progress).map(|(plan, _)| plan)
}

/// [`plan_with`], and the digest of the organization the plan was made against.
pub fn read_and_plan(
    api: &mut dyn OrganizationsApi,
    artifacts: &[Artifact],
    settings: &Settings,
    options: PlanOptions,
    retry: &RetryPolicy,
    progress: &mut dyn Write,
) -> Result<(Plan, String), ApplyError> {
    if settings.project.is_none() {
        return Err(PlanError::NoProject.into());
    }
    let mut note = |line: &str| {
        // Progress is best effort: a closed stderr must not stop a plan.
        let _ = writeln!(progress, "{line}");
    };
    note("reading the organization");
    let snapshot = read_snapshot(api, artifacts, retry, &mut note)?;
    let digest = snapshot.digest()?;
    Ok((plan(artifacts, settings, &snapshot, options)?, digest))
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
    let plan = plan_with(
        api,
        artifacts,
        settings,
        options.plan,
        &options.retry,
        progress,
    )?;
    confirm_and_execute(api, &plan, options, confirm, out, progress)
}

/// `apply FILE` through any API: checks that the file's plan still holds (same sources, same
/// organization, same steps), then prints, confirms and executes exactly those steps. The
/// destroy guard runs again with this command's `--allow-destroy`.
#[expect(
    clippy::too_many_arguments,
    reason = "apply_with's arguments and the saved plan; a struct would only rename them"
)]
pub fn apply_saved_with(
    api: &mut dyn OrganizationsApi,
    saved: &SavedPlan,
    artifacts: &[Artifact],
    settings: &Settings,
    options: &ApplyOptions,
    confirm: Confirmation<'_>,
    out: &mut dyn Write,
    progress: &mut dyn Write,
) -> Result<ApplyOutcome, ApplyError> {
    saved.check_sources(artifacts, settings)?;
    let plan_options = PlanOptions {
        adopt: saved.adopt,
        ..options.plan
    };
    let (plan, digest) = read_and_plan(
        api,
        artifacts,
        settings,
        plan_options,
        &options.retry,
        progress,
    )?;
    saved.check_organization(&digest)?;
    saved.check_steps(&plan)?;
    confirm_and_execute(api, &plan, options, confirm, out, progress)
}

/// Prints the plan, asks when asked to, and runs it. With `options.json`, `out` gets one JSON
/// document at the end: the plan's JSON with `applied`, the number of changes made (the command
/// puts both in its report); the plan for people and the question go to `progress`.
fn confirm_and_execute(
    api: &mut dyn OrganizationsApi,
    plan: &Plan,
    options: &ApplyOptions,
    confirm: Confirmation<'_>,
    out: &mut dyn Write,
    progress: &mut dyn Write,
) -> Result<ApplyOutcome, ApplyError> {
    let json = options.json;
    if !json {
        print_plan(plan, false, out)?;
    }
    if plan.is_empty() {
        if json {
            print_applied(plan, 0, out)?;
        }
        return Ok(ApplyOutcome::NothingToDo);
    }
    if matches!(confirm, Confirmation::Unavailable) {
        return Err(ApplyError::NotConfirmed);
    }
    if let Confirmation::Ask(input) = confirm {
        // The question goes where people read: with JSON on stdout, that is stderr.
        let asking: &mut dyn Write = if json { &mut *progress } else { &mut *out };
        if json {
            print_plan(plan, false, asking)?;
        }
        let n = plan.steps.len();
        write!(
            asking,
            "apply {} change{}? [y/N] ",
            n,
            if n == 1 { "" } else { "s" }
        )?;
        asking.flush()?;
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
    let done = execute(api, plan, options, &mut note)?;
    let n = done.len();
    if json {
        print_applied(plan, n, out)?;
    } else {
        writeln!(out, "applied {n} change{}", if n == 1 { "" } else { "s" })?;
    }
    Ok(ApplyOutcome::Applied(done.len()))
}

/// `apply --format json`'s document: the plan's JSON with `applied`, the changes made.
fn print_applied(plan: &Plan, applied: usize, out: &mut dyn Write) -> Result<(), ApplyError> {
    let mut doc = serde_json::to_value(plan).map_err(std::io::Error::other)?;
    if let Some(object) = doc.as_object_mut() {
        object.insert("applied".to_owned(), applied.into());
    }
    writeln!(out, "{doc:#}")?;
    Ok(())
}
