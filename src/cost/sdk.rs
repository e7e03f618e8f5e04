//! The [`CostExplorerApi`] over the AWS SDK for Rust.
//!
//! Input: the connection options of `plan` and `apply` ([`ConnectOptions`]). Output: one SDK
//! call per trait method, run to completion on a private single-threaded tokio runtime, with
//! SDK errors turned into [`CallError`]s that keep AWS's code. Cost Explorer's endpoint is in
//! `us-east-1` (<https://docs.aws.amazon.com/general/latest/gr/billing.html>): the region when
//! none is set.

use aws_config::Region;
use aws_sdk_costexplorer::Client;
use aws_sdk_costexplorer::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_costexplorer::types::{
    CostAllocationTagStatus, CostAllocationTagStatusEntry, CostAllocationTagType,
};

use super::activate::{CallError, CostExplorerApi, KeyError, Page, TagStatus};
use crate::aws::sdk::{ConnectOptions, DEFAULT_REGION, code_and_message};

/// The SDK-backed API.
#[derive(Debug)]
pub struct SdkCostExplorer {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

impl SdkCostExplorer {
    /// Loads the AWS configuration the way the AWS CLI does and builds the client.
    pub fn connect(options: &ConnectOptions) -> Result<Self, CallError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CallError {
                code: "Config".into(),
                message: e.to_string(),
            })?;
        let sdk_config = runtime.block_on(options.loader().load());
        let mut builder = aws_sdk_costexplorer::config::Builder::from(&sdk_config);
        if sdk_config.region().is_none() {
            builder = builder.region(Region::new(DEFAULT_REGION));
        }
        Ok(Self {
            client: Client::from_conf(builder.build()),
            runtime,
        })
    }
}

/// Keeps AWS's error code; `Dispatch` when the request was not sent or got no answer.
fn to_call<E, R>(e: &SdkError<E, R>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let (code, message) = code_and_message(e);
    CallError { code, message }
}

impl CostExplorerApi for SdkCostExplorer {
    fn list_user_defined(&mut self, next_token: Option<&str>) -> Result<Page, CallError> {
        let request = self
            .client
            .list_cost_allocation_tags()
            .r#type(CostAllocationTagType::UserDefined)
            .set_next_token(next_token.map(str::to_owned))
            .max_results(1000)
            .send();
        let out = self.runtime.block_on(request).map_err(|e| to_call(&e))?;
        Ok(Page {
            tags: out
                .cost_allocation_tags()
                .iter()
                .map(|t| TagStatus {
                    key: t.tag_key().to_owned(),
                    active: *t.status() == CostAllocationTagStatus::Active,
                })
                .collect(),
            next_token: out.next_token().map(str::to_owned),
        })
    }

    fn activate(&mut self, keys: &[String]) -> Result<Vec<KeyError>, CallError> {
        let mut request = self.client.update_cost_allocation_tags_status();
        for key in keys {
            let entry = CostAllocationTagStatusEntry::builder()
                .tag_key(key)
                .status(CostAllocationTagStatus::Active)
                .build()
                .map_err(|e| CallError {
                    code: "Construction".into(),
                    message: e.to_string(),
                })?;
            request = request.cost_allocation_tags_status(entry);
        }
        let out = self
            .runtime
            .block_on(request.send())
            .map_err(|e| to_call(&e))?;
        Ok(out
            .errors()
            .iter()
            .map(|e| KeyError {
                key: e.tag_key().unwrap_or_default().to_owned(),
                code: e.code().unwrap_or("Unknown").to_owned(),
                message: e.message().unwrap_or_default().to_owned(),
            })
            .collect())
    }
}
