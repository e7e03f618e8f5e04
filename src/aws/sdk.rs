//! The [`OrganizationsApi`] over the AWS SDK for Rust.
//!
//! Input: an `aws-config` configuration (the standard credential chain, a profile, a region, an
//! endpoint override). Output: one SDK call per trait method, run to completion on a private
//! single-threaded tokio runtime, with SDK errors turned into [`ApiError`]s that keep AWS's code.
//! Call it from synchronous code only (not from inside another tokio runtime).

use aws_config::{BehaviorVersion, ConfigLoader, Region};
use aws_sdk_organizations::Client;
use aws_sdk_organizations::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_organizations::types;

use super::api::{
    ApiError, OrganizationsApi, OuInfo, Page, PolicyInfo, PolicyType, PolicyTypeStatus, RootInfo,
};
use super::error::ApplyError;

/// Organizations is a global service served from `us-east-1`: the region when none is set.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Where and as whom to connect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// A named profile from the shared config files.
    pub profile: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// An endpoint override (otherwise `AWS_ENDPOINT_URL` or the real endpoint).
    pub endpoint_url: Option<String>,
}

impl ConnectOptions {
    /// The configuration loader of every AWS client tagc makes: the AWS CLI's configuration
    /// chain, with the profile, region and endpoint given here.
    pub fn loader(&self) -> ConfigLoader {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(p) = &self.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &self.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(u) = &self.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        loader
    }
}

/// The SDK-backed API.
#[derive(Debug)]
pub struct SdkOrganizations {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

impl SdkOrganizations {
    /// Loads the AWS configuration the way the AWS CLI does, lets `customize` change the loader
    /// (tests set credentials and disable SDK retries here), and builds the client.
    pub fn connect(
        options: &ConnectOptions,
        customize: impl FnOnce(ConfigLoader) -> ConfigLoader,
    ) -> Result<Self, ApplyError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ApplyError::Config {
                message: e.to_string(),
            })?;
        let sdk_config = runtime.block_on(customize(options.loader()).load());
        let mut builder = aws_sdk_organizations::config::Builder::from(&sdk_config);
        if sdk_config.region().is_none() {
            builder = builder.region(Region::new(DEFAULT_REGION));
        }
        Ok(Self {
            client: Client::from_conf(builder.build()),
            runtime,
        })
    }

    /// The SDK client (for tests that change the organization behind tagc's back).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs a future made with [`Self::client`] to completion on this client's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Runs one SDK request to completion, keeping AWS's error code.
    fn send<T, E, R>(
        &self,
        request: impl std::future::Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T, ApiError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        self.runtime.block_on(request).map_err(|e| to_api(&e))
    }
}

fn to_api<E, R>(e: &SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let (code, message) = code_and_message(e);
    ApiError { code, message }
}

/// The error code AWS gave a failed call (`Dispatch` when the request was not sent or got no
/// answer) and its message (the error's chain when AWS gave none), for every SDK client tagc
/// uses.
pub fn code_and_message<E, R>(e: &SdkError<E, R>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = match e {
        // No credentials, no network, no answer: nothing AWS said, so no AWS code.
        SdkError::DispatchFailure(_)
        | SdkError::TimeoutError(_)
        | SdkError::ConstructionFailure(_) => "Dispatch".to_owned(),
        _ => e.code().unwrap_or("Unknown").to_owned(),
    };
    let message = e.message().map_or_else(|| error_chain(e), str::to_owned);
    (code, message)
}

/// An error and its sources as one line, `dispatch failure: io error: … Connection refused`,
/// without the `Debug` dump the SDK's `DisplayErrorContext` appends (unreadable for an operator).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

fn sdk_type(ty: PolicyType) -> types::PolicyType {
    match ty {
        PolicyType::ServiceControlPolicy => types::PolicyType::ServiceControlPolicy,
        PolicyType::TagPolicy => types::PolicyType::TagPolicy,
    }
}

/// A field the SDK types as optional but an answer cannot do without (an id, a name, a policy's
/// content): a missing one is an error, never an empty string that would name no policy, OU or
/// root, or read as an empty document.
fn required<'a>(value: Option<&'a str>, what: &str) -> Result<&'a str, ApiError> {
    value.ok_or_else(|| {
        ApiError::new(
            "IncompleteResponse",
            format!("the answer from AWS has no {what}"),
        )
    })
}

fn policy_info(p: &types::PolicySummary) -> Result<PolicyInfo, ApiError> {
    Ok(PolicyInfo {
        id: required(p.id(), "policy id")?.to_owned(),
        name: required(p.name(), "policy name")?.to_owned(),
        // A policy may have no description: AWS's own policies have none.
        description: p.description().unwrap_or_default().to_owned(),
        aws_managed: p.aws_managed(),
    })
}

fn sdk_tags(tags: &[(String, String)]) -> Result<Vec<types::Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| {
            types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ApiError::new("InvalidInputException", e.to_string()))
        })
        .collect()
}

impl OrganizationsApi for SdkOrganizations {
    fn list_roots(&mut self) -> Result<Vec<RootInfo>, ApiError> {
        let mut roots = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self.send(self.client.list_roots().set_next_token(token.take()).send())?;
            for r in out.roots() {
                let policy_types = r
                    .policy_types()
                    .iter()
                    .filter_map(|s| {
                        let ty = match s.r#type()? {
                            types::PolicyType::ServiceControlPolicy => {
                                PolicyType::ServiceControlPolicy
                            }
                            types::PolicyType::TagPolicy => PolicyType::TagPolicy,
                            _ => return None,
                        };
                        let status = match s.status()? {
                            types::PolicyTypeStatus::Enabled => PolicyTypeStatus::Enabled,
                            types::PolicyTypeStatus::PendingEnable => {
                                PolicyTypeStatus::PendingEnable
                            }
                            _ => PolicyTypeStatus::PendingDisable,
                        };
                        Some((ty, status))
                    })
                    .collect();
                roots.push(RootInfo {
                    id: required(r.id(), "root id")?.to_owned(),
                    policy_types,
                });
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(roots),
            }
        }
    }

    fn list_ous_for_parent(
        &mut self,
        parent_id: &str,
        next_token: Option<&str>,
    ) -> Result<Page<OuInfo>, ApiError> {
        let out = self.send(
            self.client
                .list_organizational_units_for_parent()
                .parent_id(parent_id)
                .set_next_token(next_token.map(str::to_owned))
                .send(),
        )?;
        Ok(Page {
            items: out
                .organizational_units()
                .iter()
                .map(|o| {
                    Ok(OuInfo {
                        id: required(o.id(), "OU id")?.to_owned(),
                        name: required(o.name(), "OU name")?.to_owned(),
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            next_token: out.next_token().map(str::to_owned),
        })
    }

    fn list_policies(
        &mut self,
        ty: PolicyType,
        next_token: Option<&str>,
    ) -> Result<Page<PolicyInfo>, ApiError> {
        let out = self.send(
            self.client
                .list_policies()
                .filter(sdk_type(ty))
                .set_next_token(next_token.map(str::to_owned))
                .send(),
        )?;
        Ok(Page {
            items: out
                .policies()
                .iter()
                .map(policy_info)
                .collect::<Result<_, _>>()?,
            next_token: out.next_token().map(str::to_owned),
        })
    }

    fn list_policies_for_target(
        &mut self,
        target_id: &str,
        ty: PolicyType,
        next_token: Option<&str>,
    ) -> Result<Page<PolicyInfo>, ApiError> {
        let out = self.send(
            self.client
                .list_policies_for_target()
                .target_id(target_id)
                .filter(sdk_type(ty))
                .set_next_token(next_token.map(str::to_owned))
                .send(),
        )?;
        Ok(Page {
            items: out
                .policies()
                .iter()
                .map(policy_info)
                .collect::<Result<_, _>>()?,
            next_token: out.next_token().map(str::to_owned),
        })
    }

    fn list_targets_for_policy(
        &mut self,
        policy_id: &str,
        next_token: Option<&str>,
    ) -> Result<Page<String>, ApiError> {
        let out = self.send(
            self.client
                .list_targets_for_policy()
                .policy_id(policy_id)
                .set_next_token(next_token.map(str::to_owned))
                .send(),
        )?;
        Ok(Page {
            items: out
                .targets()
                .iter()
                .map(|t| required(t.target_id(), "target id").map(str::to_owned))
                .collect::<Result<_, _>>()?,
            next_token: out.next_token().map(str::to_owned),
        })
    }

    fn describe_policy(&mut self, policy_id: &str) -> Result<(PolicyInfo, String), ApiError> {
        let out = self.send(self.client.describe_policy().policy_id(policy_id).send())?;
        let policy = out
            .policy()
            .ok_or_else(|| ApiError::new("Unknown", "DescribePolicy returned no policy"))?;
        let summary = policy.policy_summary().ok_or_else(|| {
            ApiError::new(
                "IncompleteResponse",
                format!("the answer from AWS has no summary of policy {policy_id}"),
            )
        })?;
        let content = required(policy.content(), "policy content")?;
        Ok((policy_info(summary)?, content.to_owned()))
    }

    fn list_tags(&mut self, resource_id: &str) -> Result<Vec<(String, String)>, ApiError> {
        let mut tags = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self.send(
                self.client
                    .list_tags_for_resource()
                    .resource_id(resource_id)
                    .set_next_token(token.take())
                    .send(),
            )?;
            tags.extend(
                out.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned())),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(tags),
            }
        }
    }

    fn enable_policy_type(&mut self, root_id: &str, ty: PolicyType) -> Result<(), ApiError> {
        self.send(
            self.client
                .enable_policy_type()
                .root_id(root_id)
                .policy_type(sdk_type(ty))
                .send(),
        )?;
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
        let out = self.send(
            self.client
                .create_policy()
                .name(name)
                .description(description)
                .r#type(sdk_type(ty))
                .content(content)
                .set_tags(Some(sdk_tags(tags)?))
                .send(),
        )?;
        out.policy()
            .and_then(|p| p.policy_summary())
            .and_then(|s| s.id())
            .map(str::to_owned)
            .ok_or_else(|| ApiError::new("Unknown", "CreatePolicy returned no policy id"))
    }

    fn update_policy(
        &mut self,
        policy_id: &str,
        description: &str,
        content: &str,
    ) -> Result<(), ApiError> {
        self.send(
            self.client
                .update_policy()
                .policy_id(policy_id)
                .description(description)
                .content(content)
                .send(),
        )?;
        Ok(())
    }

    fn tag_resource(
        &mut self,
        resource_id: &str,
        tags: &[(String, String)],
    ) -> Result<(), ApiError> {
        self.send(
            self.client
                .tag_resource()
                .resource_id(resource_id)
                .set_tags(Some(sdk_tags(tags)?))
                .send(),
        )?;
        Ok(())
    }

    fn attach_policy(&mut self, policy_id: &str, target_id: &str) -> Result<(), ApiError> {
        self.send(
            self.client
                .attach_policy()
                .policy_id(policy_id)
                .target_id(target_id)
                .send(),
        )?;
        Ok(())
    }

    fn detach_policy(&mut self, policy_id: &str, target_id: &str) -> Result<(), ApiError> {
        self.send(
            self.client
                .detach_policy()
                .policy_id(policy_id)
                .target_id(target_id)
                .send(),
        )?;
        Ok(())
    }

    fn delete_policy(&mut self, policy_id: &str) -> Result<(), ApiError> {
        self.send(self.client.delete_policy().policy_id(policy_id).send())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_a_summary_without_id_or_name_is_an_error_not_an_empty_string() {
        let full = types::PolicySummary::builder()
            .id("p-1")
            .name("guard")
            .build();
        let info = policy_info(&full).map(|i| (i.id, i.name, i.description));
        assert_eq!(
            info,
            Ok(("p-1".to_owned(), "guard".to_owned(), String::new()))
        );
        let nameless = types::PolicySummary::builder().id("p-1").build();
        let idless = types::PolicySummary::builder().name("guard").build();
        for (summary, what) in [(nameless, "policy name"), (idless, "policy id")] {
            let err = policy_info(&summary).map(|i| i.id);
            assert_eq!(
                err,
                Err(ApiError::new(
                    "IncompleteResponse",
                    format!("the answer from AWS has no {what}")
                ))
            );
        }
    }
}
