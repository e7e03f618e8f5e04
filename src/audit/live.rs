//! Reading resources and their tags from AWS, for `tagc audit` without `--file`.
//!
//! Input: [`LiveOptions`] (profile, regions, endpoint, the role to assume in every account).
//! Output: the [`Resource`]s of every account and region, or the [`AuditError`]s of the accounts
//! and regions that could not be read.
//!
//! Resources come from the Resource Groups Tagging API's `GetResources`, every page of it
//! (<https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html>);
//! it returns only resources that are or were tagged. With `--all-accounts`, the accounts and
//! their OU paths come from walking the organization from its root (`ListRoots`,
//! `ListOrganizationalUnitsForParent`, `ListAccountsForParent`), and in each account but the management account tagc assumes
//! `arn:aws:iam::<account>:role/<NAME>` with STS `AssumeRole`
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>); the management
//! account is read with the caller's own credentials (the role that Organizations creates in
//! member accounts does not exist there). Accounts × regions are read with at most
//! `concurrency` in flight. Throttling is retried by the SDK's standard retry mode with
//! [`MAX_ATTEMPTS`] attempts, or `AWS_MAX_ATTEMPTS` when set (exponential backoff with jitter,
//! <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>).

use std::io::IsTerminal as _;
use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::{Region, SdkConfig};
use aws_sdk_organizations::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_resourcegroupstagging::config::Credentials;

use super::error::AuditError;
use super::{AccountPlacement, Resource};
use crate::aws::sdk::{ConnectOptions, code_and_message};

/// Tries per call, the first included, before a throttled call is given up.
pub const MAX_ATTEMPTS: u32 = 10;

/// The region Organizations is called in when none is set (it is a global service).
const ORGANIZATIONS_REGION: &str = "us-east-1";

/// How to reach AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveOptions {
    /// A named profile from the shared config files.
    pub profile: Option<String>,
    /// The regions to read; none means the configured region.
    pub regions: Vec<String>,
    /// An endpoint override (otherwise `AWS_ENDPOINT_URL` or the real endpoint).
    pub endpoint_url: Option<String>,
    /// With `--all-accounts`: the role to assume in each member account.
    pub role_name: Option<String>,
    /// Accounts × regions read at the same time.
    pub concurrency: usize,
}

/// What was read: the resources, and the errors of what could not be read.
#[derive(Debug, Default)]
pub struct Fetched {
    /// Every resource read.
    pub resources: Vec<Resource>,
    /// One error per account or region that could not be read.
    pub errors: Vec<AuditError>,
    /// How many accounts were read.
    pub accounts: usize,
}

/// One account to read, with the credentials to read it with.
#[derive(Debug, Clone)]
struct Account {
    id: Option<String>,
    placement: Option<AccountPlacement>,
    /// Assume this role first; `None` for the caller's own credentials.
    role_arn: Option<String>,
    /// The role's credentials, assumed once for all the regions of the account.
    assumed: Arc<tokio::sync::OnceCell<Result<Credentials, AuditError>>>,
}

fn aws_error<E, R>(operation: &str, scope: &str, e: &SdkError<E, R>) -> AuditError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let (code, message) = code_and_message(e);
    AuditError::Aws {
        operation: operation.to_owned(),
        scope: scope.to_owned(),
        code,
        message,
    }
}

/// Reads every resource the options name.
pub fn fetch(options: &LiveOptions) -> Result<Fetched, AuditError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AuditError::Aws {
            operation: "starting the runtime".to_owned(),
            scope: String::new(),
            code: "Runtime".to_owned(),
            message: e.to_string(),
        })?;
    runtime.block_on(fetch_async(options))
}

async fn fetch_async(options: &LiveOptions) -> Result<Fetched, AuditError> {
    let mut loader = ConnectOptions {
        profile: options.profile.clone(),
        region: options.regions.first().cloned(),
        endpoint_url: options.endpoint_url.clone(),
    }
    .loader();
    // `AWS_MAX_ATTEMPTS` set by the user wins over tagc's default.
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
        loader = loader.retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    }
    let base = loader.load().await;
    let regions: Vec<String> = if options.regions.is_empty() {
        match base.region() {
            Some(r) => vec![r.to_string()],
            None => return Err(AuditError::NoRegion),
        }
    } else {
        options.regions.clone()
    };
    let accounts = match &options.role_name {
        None => {
            // The caller's account, for the findings of resources whose ARN names no account
            // (S3 buckets); `GetCallerIdentity` needs no permission.
            let id = aws_sdk_sts::Client::new(&base)
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| aws_error("GetCallerIdentity", "", &e))?
                .account()
                .map(str::to_owned);
            vec![Account {
                id,
                placement: None,
                role_arn: None,
                assumed: Arc::default(),
            }]
        }
        Some(role) => organization_accounts(&base, role).await?,
    };
    let base = Arc::new(base);
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let progress = progress_bar(accounts.len() * regions.len());
    let mut tasks = tokio::task::JoinSet::new();
    for account in &accounts {
        for region in &regions {
            let (base, semaphore) = (Arc::clone(&base), Arc::clone(&semaphore));
            let (account, region) = (account.clone(), region.clone());
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                read_account_region(&base, &account, &region).await
            });
        }
    }
    let mut fetched = Fetched {
        accounts: accounts.len(),
        ..Fetched::default()
    };
    while let Some(done) = tasks.join_next().await {
        if let Some(p) = &progress {
            p.inc(1);
        }
        match done {
            Ok(Ok(resources)) => fetched.resources.extend(resources),
            // A role that cannot be assumed fails every region of its account alike: once.
            Ok(Err(e)) if fetched.errors.contains(&e) => {}
            Ok(Err(e)) => fetched.errors.push(e),
            Err(e) => fetched.errors.push(AuditError::Aws {
                operation: "GetResources".to_owned(),
                scope: String::new(),
                code: "Task".to_owned(),
                message: e.to_string(),
            }),
        }
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    // Tasks end in any order; the report lists resources in a stable one. A global resource
    // (an S3 bucket) may be listed by the regions of several calls: it is judged once.
    fetched
        .resources
        .sort_by(|a, b| (&a.arn, &a.account).cmp(&(&b.arn, &b.account)));
    fetched
        .resources
        .dedup_by(|a, b| a.arn == b.arn && a.account == b.account);
    Ok(fetched)
}

/// A progress bar on stderr, only when stderr is a terminal.
fn progress_bar(total: usize) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} accounts × regions {elapsed}")
    {
        bar.set_style(style);
    }
    Some(bar)
}

/// Every active account of the organization, with its OU path, and the role to assume in it.
///
/// The organization is walked from the root down (`ListRoots`, then per parent
/// `ListAccountsForParent` and `ListOrganizationalUnitsForParent`), so the number of calls
/// grows with the number of OUs, not with accounts × depth.
async fn organization_accounts(base: &SdkConfig, role: &str) -> Result<Vec<Account>, AuditError> {
    use aws_sdk_organizations::types::AccountStatus;
    // Organizations is global, served from one region, whatever regions the resources are in.
    let builder = aws_sdk_organizations::config::Builder::from(base)
        .region(Region::new(ORGANIZATIONS_REGION));
    let org = aws_sdk_organizations::Client::from_conf(builder.build());
    let management = org
        .describe_organization()
        .send()
        .await
        .map_err(|e| aws_error("DescribeOrganization", "", &e))?
        .organization()
        .and_then(|o| o.master_account_id())
        .map(str::to_owned);
    let roots = org
        .list_roots()
        .send()
        .await
        .map_err(|e| aws_error("ListRoots", "", &e))?;
    let mut pending: Vec<(String, AccountPlacement)> = roots
        .roots()
        .iter()
        .filter_map(|r| r.id())
        .map(|id| {
            (
                id.to_owned(),
                AccountPlacement {
                    ou_path: "Root".to_owned(),
                    ou_ids: Vec::new(),
                },
            )
        })
        .collect();
    let mut out = Vec::new();
    while let Some((parent, placement)) = pending.pop() {
        let scope = format!(" under {}", placement.ou_path);
        let mut pages = org
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("ListAccountsForParent", &scope, &e))?;
            for a in page.accounts() {
                let id = a
                    .id()
                    .ok_or_else(|| missing("ListAccountsForParent", &scope, "an account's id"))?;
                if a.status().is_none_or(|s| *s == AccountStatus::Active) {
                    let role_arn = (management.as_deref() != Some(id))
                        .then(|| format!("arn:aws:iam::{id}:role/{role}"));
                    out.push(Account {
                        id: Some(id.to_owned()),
                        placement: Some(placement.clone()),
                        role_arn,
                        assumed: Arc::default(),
                    });
                }
            }
        }
        let mut pages = org
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| aws_error("ListOrganizationalUnitsForParent", &scope, &e))?;
            for ou in page.organizational_units() {
                let id = ou.id().ok_or_else(|| {
                    missing("ListOrganizationalUnitsForParent", &scope, "an OU's id")
                })?;
                let mut child = placement.clone();
                child.ou_path.push('/');
                child.ou_path.push_str(ou.name().unwrap_or(id));
                child.ou_ids.push(id.to_owned());
                pending.push((id.to_owned(), child));
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// An answer from AWS without a field tagc needs: an error, never an empty string.
fn missing(operation: &str, scope: &str, what: &str) -> AuditError {
    AuditError::Aws {
        operation: operation.to_owned(),
        scope: scope.to_owned(),
        code: "IncompleteAnswer".to_owned(),
        message: format!("the answer holds no {what}"),
    }
}

/// Credentials of `role_arn`, assumed with the caller's.
async fn assume_role(
    base: &SdkConfig,
    role_arn: &str,
    scope: &str,
) -> Result<Credentials, AuditError> {
    let assumed = aws_sdk_sts::Client::new(base)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("tagc-audit")
        .send()
        .await
        .map_err(|e| aws_error("AssumeRole", scope, &e))?;
    let c = assumed
        .credentials()
        .ok_or_else(|| missing("AssumeRole", scope, "credentials"))?;
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "tagc-audit-assume-role",
    ))
}

/// Every resource of one account in one region.
async fn read_account_region(
    base: &SdkConfig,
    account: &Account,
    region: &str,
) -> Result<Vec<Resource>, AuditError> {
    let scope = match &account.id {
        Some(id) => format!(" in account {id}, region {region}"),
        None => format!(" in region {region}"),
    };
    let mut builder = aws_sdk_resourcegroupstagging::config::Builder::from(base)
        .region(Region::new(region.to_owned()));
    if let Some(role_arn) = &account.role_arn {
        let credentials = account
            .assumed
            .get_or_init(|| {
                let account_scope = account
                    .id
                    .as_ref()
                    .map_or_else(String::new, |id| format!(" in account {id}"));
                async move { assume_role(base, role_arn, &account_scope).await }
            })
            .await
            .clone()?;
        builder = builder.credentials_provider(credentials);
    }
    let client = aws_sdk_resourcegroupstagging::Client::from_conf(builder.build());
    let mut out = Vec::new();
    let mut pages = client
        .get_resources()
        .resources_per_page(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_error("GetResources", &scope, &e))?;
        for m in page.resource_tag_mapping_list() {
            // AWS always sends the ARN; an entry without one can be neither reported nor
            // skipped silently.
            let Some(arn) = m.resource_arn() else {
                return Err(AuditError::Aws {
                    operation: "GetResources".to_owned(),
                    scope,
                    code: "NoResourceArn".to_owned(),
                    message: "an entry of the answer has no `ResourceARN`".to_owned(),
                });
            };
            let tags = m
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect();
            let mut r = Resource::from_arn(arn, tags);
            if let Some(id) = &account.id {
                id.clone_into(&mut r.account);
            }
            r.placement.clone_from(&account.placement);
            out.push(r);
        }
    }
    Ok(out)
}
