//! Running a plan: the thin, side-effecting step after planning.
//!
//! Input: a [`Plan`] and an [`OrganizationsApi`]. Output: the steps done, one progress line per
//! step, or an [`ApplyError::Interrupted`] that says what was done and what was not. Every step is
//! retried on throttling and "busy" errors, and answers that mean "already done" (a duplicate
//! attachment, a policy already detached or deleted, a type already enabled) count as done, so a
//! rerun after a failure converges.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::api::{ApiError, OrganizationsApi, PolicyTypeStatus};
use super::error::{ApplyError, Interrupted};
use super::plan::{Plan, PlanOptions, PolicyRef, Step};
use super::retry::{RetryPolicy, with_retry};
use super::snapshot::{HASH_KEY, MANAGED_BY_KEY, MANAGED_BY_VALUE, PROJECT_KEY};

/// How `apply` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Retries of each call.
    pub retry: RetryPolicy,
    /// How long to wait for `EnablePolicyType` to finish.
    pub enable_timeout: Duration,
    /// How often to poll `ListRoots` while waiting.
    pub poll_interval: Duration,
    /// What the plan may do (`--allow-destroy`, `--adopt`).
    pub plan: PlanOptions,
    /// `--format json`: the output is one JSON document (the plan and what was applied), and
    /// the question, when asked, goes to the progress stream with the plan for people.
    pub json: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            enable_timeout: Duration::from_mins(2),
            poll_interval: Duration::from_secs(2),
            plan: PlanOptions::default(),
            json: false,
        }
    }
}

impl ApplyOptions {
    /// No waiting anywhere (for tests against a fake or a local emulator).
    pub fn immediate() -> Self {
        Self {
            retry: RetryPolicy::immediate(6),
            enable_timeout: Duration::from_secs(10),
            poll_interval: Duration::ZERO,
            plan: PlanOptions::default(),
            json: false,
        }
    }
}

/// Runs the plan's steps in order. `progress` gets one line per step (and per retry).
pub fn execute(
    api: &mut dyn OrganizationsApi,
    plan: &Plan,
    options: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<String>, ApplyError> {
    let total = plan.steps.len();
    let mut created: BTreeMap<String, String> = BTreeMap::new();
    let mut done = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        progress(&format!("[{}/{total}] {step}", i + 1));
        match run_step(api, step, &plan.project, options, &mut created, progress) {
            Ok(()) => done.push(step.to_string()),
            Err(StepError::Api(source)) => {
                let not_done: Vec<String> =
                    plan.steps[i..].iter().map(ToString::to_string).collect();
                return Err(interrupted(i + 1, total, step, done, not_done, source));
            }
            Err(StepError::Fatal(e)) => return Err(*e),
        }
    }
    Ok(done)
}

fn interrupted(
    step: usize,
    total: usize,
    failed: &Step,
    done: Vec<String>,
    not_done: Vec<String>,
    source: ApiError,
) -> ApplyError {
    let list = |v: &[String]| {
        if v.is_empty() {
            "nothing".to_owned()
        } else {
            v.join("; ")
        }
    };
    let report = format!(
        "done: {}. not done: {}. nothing is left half-applied that a rerun cannot fix: run \
         `tagc apply` again to converge",
        list(&done),
        list(&not_done)
    );
    ApplyError::Interrupted(Box::new(Interrupted {
        step,
        total,
        failed: failed.to_string(),
        report,
        done,
        not_done,
        error: source,
    }))
}

enum StepError {
    Api(ApiError),
    Fatal(Box<ApplyError>),
}

impl From<ApiError> for StepError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

/// The id of a policy a step refers to: known, or created earlier in this run.
fn policy_id(p: &PolicyRef, created: &BTreeMap<String, String>) -> Result<String, ApiError> {
    p.id.clone()
        .or_else(|| created.get(&p.name).cloned())
        .ok_or_else(|| {
            ApiError::new(
                "PolicyNotFoundException",
                format!("policy `{}` was not created", p.name),
            )
        })
}

/// An error that means the step's effect is already there.
fn already(result: Result<(), ApiError>, codes: &[&str]) -> Result<(), ApiError> {
    match result {
        Err(e) if codes.iter().any(|c| e.is(c)) => Ok(()),
        other => other,
    }
}

/// `TagResource` of one tag, retried.
fn tag(
    api: &mut dyn OrganizationsApi,
    retry: &RetryPolicy,
    progress: &mut dyn FnMut(&str),
    resource_id: &str,
    key: &str,
    value: &str,
) -> Result<(), ApiError> {
    let tags = [(key.to_owned(), value.to_owned())];
    with_retry(retry, "TagResource", progress, || {
        api.tag_resource(resource_id, &tags)
    })
}

fn run_step(
    api: &mut dyn OrganizationsApi,
    step: &Step,
    project: &str,
    options: &ApplyOptions,
    created: &mut BTreeMap<String, String>,
    progress: &mut dyn FnMut(&str),
) -> Result<(), StepError> {
    let retry = &options.retry;
    match step {
        Step::EnablePolicyType {
            root_id,
            policy_type,
        } => {
            let r = with_retry(retry, "EnablePolicyType", progress, || {
                api.enable_policy_type(root_id, *policy_type)
            });
            already(r, &["PolicyTypeAlreadyEnabledException"])?;
            // EnablePolicyType is asynchronous: attachments fail until the root says ENABLED.
            let start = Instant::now();
            loop {
                let roots = with_retry(retry, "ListRoots", progress, || api.list_roots())?;
                let status = roots
                    .iter()
                    .find(|r| &r.id == root_id)
                    .and_then(|r| r.status(*policy_type));
                if status == Some(PolicyTypeStatus::Enabled) {
                    return Ok(());
                }
                if start.elapsed() >= options.enable_timeout {
                    return Err(StepError::Fatal(Box::new(ApplyError::EnableTimeout {
                        policy_type: policy_type.to_string(),
                        seconds: options.enable_timeout.as_secs(),
                    })));
                }
                progress(&format!("waiting for {policy_type} to be enabled"));
                std::thread::sleep(options.poll_interval);
            }
        }
        Step::CreatePolicy {
            name,
            policy_type,
            description,
            hash,
            content,
            ..
        } => {
            let tags = [
                (MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned()),
                (PROJECT_KEY.to_owned(), project.to_owned()),
                (HASH_KEY.to_owned(), hash.clone()),
            ];
            // DuplicatePolicyException is not "already done": the content might differ. The
            // next plan sees the policy and updates it.
            let id = with_retry(retry, "CreatePolicy", progress, || {
                api.create_policy(name, description, *policy_type, content, &tags)
            })?;
            created.insert(name.clone(), id);
            Ok(())
        }
        Step::UpdatePolicy {
            policy_id,
            description,
            content,
            new_hash,
            ..
        } => {
            with_retry(retry, "UpdatePolicy", progress, || {
                api.update_policy(policy_id, description, content)
            })?;
            // If this fails, the next plan finds the content right and only re-records the hash.
            Ok(tag(api, retry, progress, policy_id, HASH_KEY, new_hash)?)
        }
        Step::AdoptPolicy {
            policy_id, project, ..
        } => Ok(tag(api, retry, progress, policy_id, PROJECT_KEY, project)?),
        Step::TagPolicy {
            policy_id, hash, ..
        } => Ok(tag(api, retry, progress, policy_id, HASH_KEY, hash)?),
        Step::AttachPolicy { policy, target } => {
            let id = policy_id(policy, created)?;
            let r = with_retry(retry, "AttachPolicy", progress, || {
                api.attach_policy(&id, &target.id)
            });
            Ok(already(r, &["DuplicatePolicyAttachmentException"])?)
        }
        Step::DetachPolicy { policy, target } => {
            let id = policy_id(policy, created)?;
            let r = with_retry(retry, "DetachPolicy", progress, || {
                api.detach_policy(&id, &target.id)
            });
            Ok(already(r, &["PolicyNotAttachedException"])?)
        }
        Step::DeletePolicy { policy_id, .. } => {
            let r = with_retry(retry, "DeletePolicy", progress, || {
                api.delete_policy(policy_id)
            });
            Ok(already(r, &["PolicyNotFoundException"])?)
        }
    }
}
