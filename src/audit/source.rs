//! Reading resources and their tags from files.
//!
//! Input: the text of a file. Output: [`Resource`]s, or an [`AuditError`]. Two formats, told
//! apart by their top-level key:
//!
//! - `ResourceTagMappingList`: what `aws resourcegroupstaggingapi get-resources` prints, the
//!   `GetResources` response
//!   (<https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html>):
//!   `{"ResourceTagMappingList": [{"ResourceARN": "…", "Tags": [{"Key": "…", "Value": "…"}]}]}`.
//!   `GetResources` returns only resources that are or were tagged: a resource never tagged is
//!   not in it.
//! - `Resources`: what `aws resource-explorer-2 search` and `list-resources` print
//!   (<https://docs.aws.amazon.com/resource-explorer/latest/apireference/API_Search.html>,
//!   <https://docs.aws.amazon.com/resource-explorer/latest/apireference/API_Resource.html>):
//!   each resource with `Arn`, `OwningAccountId`, `Region` and its tags as the `Data` of the
//!   property named `tags`. Resource Explorer also lists resources never tagged, so it is the
//!   source that finds a resource with no tags at all; an aggregator index's view covers every
//!   region of an account, and a multi-account view the accounts of an organization.
//!
//! Both formats may be several such documents in a JSON array (one per page or per account).

use serde_json::Value;

use super::Resource;
use super::error::AuditError;

/// Reads the resources of file `path` (named `name` in diagnostics).
pub fn read_file(path: &std::path::Path) -> Result<Vec<Resource>, AuditError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| AuditError::Unreadable {
        path: name.clone(),
        reason: e.to_string(),
    })?;
    parse(&name, &text)
}

/// Reads the resources of a file's text.
pub fn parse(name: &str, text: &str) -> Result<Vec<Resource>, AuditError> {
    let value: Value = serde_json::from_str(text).map_err(|e| AuditError::UnknownFormat {
        path: name.to_owned(),
        reason: format!("not JSON ({e})"),
    })?;
    let documents = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut out = Vec::new();
    for doc in &documents {
        if let Some(list) = doc.get("ResourceTagMappingList") {
            out.extend(tagging_api(name, list)?);
        } else if let Some(list) = doc.get("Resources") {
            out.extend(resource_explorer(name, list)?);
        } else {
            return Err(AuditError::UnknownFormat {
                path: name.to_owned(),
                reason: "it has neither `ResourceTagMappingList` nor `Resources`".to_owned(),
            });
        }
    }
    Ok(out)
}

fn malformed(name: &str, reason: String) -> AuditError {
    AuditError::Malformed {
        path: name.to_owned(),
        reason,
    }
}

/// `[{"Key": …, "Value": …}]` as pairs.
fn tags(name: &str, what: &str, list: Option<&Value>) -> Result<Vec<(String, String)>, AuditError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let items = list
        .as_array()
        .ok_or_else(|| malformed(name, format!("the tags of {what} are not a list")))?;
    items
        .iter()
        .map(|t| {
            let key = t.get("Key").and_then(Value::as_str);
            let value = t.get("Value").and_then(Value::as_str);
            match (key, value) {
                (Some(k), Some(v)) => Ok((k.to_owned(), v.to_owned())),
                _ => Err(malformed(
                    name,
                    format!("a tag of {what} has no string `Key` and `Value`"),
                )),
            }
        })
        .collect()
}

fn tagging_api(name: &str, list: &Value) -> Result<Vec<Resource>, AuditError> {
    let items = list
        .as_array()
        .ok_or_else(|| malformed(name, "`ResourceTagMappingList` is not a list".to_owned()))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let arn = item
                .get("ResourceARN")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(name, format!("entry {} has no `ResourceARN`", i + 1)))?;
            let tags = tags(name, &format!("`{arn}`"), item.get("Tags"))?;
            Ok(Resource::from_arn(arn, tags))
        })
        .collect()
}

fn resource_explorer(name: &str, list: &Value) -> Result<Vec<Resource>, AuditError> {
    let items = list
        .as_array()
        .ok_or_else(|| malformed(name, "`Resources` is not a list".to_owned()))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let arn = item
                .get("Arn")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(name, format!("resource {} has no `Arn`", i + 1)))?;
            let what = format!("`{arn}`");
            let mut found = Vec::new();
            if let Some(props) = item.get("Properties") {
                let props = props.as_array().ok_or_else(|| {
                    malformed(name, format!("the properties of {what} are not a list"))
                })?;
                for p in props {
                    if p.get("Name").and_then(Value::as_str) == Some("tags") {
                        found = tags(name, &what, p.get("Data"))?;
                    }
                }
            }
            let mut r = Resource::from_arn(arn, found);
            if let Some(account) = item.get("OwningAccountId").and_then(Value::as_str) {
                account.clone_into(&mut r.account);
            }
            if let Some(region) = item.get("Region").and_then(Value::as_str) {
                // Resource Explorer reports `global` for resources of no region.
                if region != "global" {
                    region.clone_into(&mut r.region);
                }
            }
            Ok(r)
        })
        .collect()
}
