//! An AWS CloudFormation template (`template.json`).
//!
//! Input: the artifacts and the project's name. Output: one template holding
//!
//! - an `AWS::Organizations::Policy` per SCP and tag policy (`Name`, `Description`, `Type`,
//!   `Content`, `TargetIds`, `Tags`):
//!   <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-organizations-policy.html>.
//!   `Content` is the artifact's written document as a string, which CloudFormation sends as
//!   it is (it accepts a JSON object or a JSON string);
//! - an `AWS::IAM::ManagedPolicy` per IAM policy (`ManagedPolicyName`, `Description`,
//!   `PolicyDocument`):
//!   <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-managedpolicy.html>.
//!   That resource type has no `Tags` property, so these policies carry no ownership tags
//!   (`tagc apply` does not manage IAM policies either);
//! - a parameter for each target tagc knows only by name: `RootId` for the root, and one per
//!   OU path (`Ou` followed by the path's letters and digits) for the OU's id. OU ids and
//!   account ids are written as they are.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::artifact::Artifact;
use crate::model::Target;

use super::{IacError, organizations_type, ownership_tags, unique};

/// The parameter holding the root's id.
const ROOT_PARAMETER: &str = "RootId";

/// The template for `artifacts`, owned by `project`.
pub fn render(artifacts: &[Artifact], project: &str) -> Result<Value, IacError> {
    let mut resources = Map::new();
    // OU path → parameter name, and the root, in the order first met.
    let mut ou_parameters: BTreeMap<String, String> = BTreeMap::new();
    let mut uses_root = false;
    for a in artifacts {
        let logical_id = unique(camel(&a.name), "", |n: &str| resources.contains_key(n));
        let mut properties = Map::new();
        let Some(policy_type) = organizations_type(a.kind) else {
            properties.insert("ManagedPolicyName".into(), a.name.clone().into());
            if !a.description.is_empty() {
                properties.insert("Description".into(), a.description.clone().into());
            }
            // Embedded as an object: the template then shows the policy, and CloudFormation
            // sends it as JSON. Content that is not JSON is refused, never embedded as `null`.
            let document = a.document().map_err(|e| IacError::NotJson {
                name: a.name.clone(),
                reason: e.to_string(),
            })?;
            properties.insert("PolicyDocument".into(), document);
            resources.insert(
                logical_id,
                json!({ "Type": "AWS::IAM::ManagedPolicy", "Properties": properties }),
            );
            continue;
        };
        properties.insert("Name".into(), a.name.clone().into());
        if !a.description.is_empty() {
            properties.insert("Description".into(), a.description.clone().into());
        }
        properties.insert("Type".into(), policy_type.into());
        properties.insert("Content".into(), a.content.to_string().into());
        let mut target_ids = Vec::new();
        for target in &a.targets {
            target_ids.push(match target {
                Target::Root => {
                    uses_root = true;
                    json!({ "Ref": ROOT_PARAMETER })
                }
                Target::OuPath(path) => {
                    let taken: Vec<String> = ou_parameters.values().cloned().collect();
                    let name = ou_parameters
                        .entry(path.clone())
                        .or_insert_with(|| {
                            unique(format!("Ou{}", camel(path)), "", |n: &str| {
                                n == ROOT_PARAMETER || taken.iter().any(|t| t == n)
                            })
                        })
                        .clone();
                    json!({ "Ref": name })
                }
                Target::OuId(id) | Target::Account(id) => id.clone().into(),
            });
        }
        if !target_ids.is_empty() {
            properties.insert("TargetIds".into(), target_ids.into());
        }
        let tags: Vec<Value> = ownership_tags(a, project)
            .into_iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect();
        properties.insert("Tags".into(), tags.into());
        resources.insert(
            logical_id,
            json!({ "Type": "AWS::Organizations::Policy", "Properties": properties }),
        );
    }

    // Patterns: the `Id` of a root and of an OU in the Organizations API reference,
    // https://docs.aws.amazon.com/organizations/latest/APIReference/API_Root.html and
    // https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html
    let mut parameters = Map::new();
    if uses_root {
        parameters.insert(
            ROOT_PARAMETER.into(),
            json!({
                "Type": "String",
                "Description": "The id (r-…) of the organization's root",
                "AllowedPattern": "^r-[0-9a-z]{4,32}$",
            }),
        );
    }
    for (path, name) in &ou_parameters {
        parameters.insert(
            name.clone(),
            json!({
                "Type": "String",
                "Description": format!("The id (ou-…) of the OU {path}"),
                "AllowedPattern": "^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$",
            }),
        );
    }

    let mut template = Map::new();
    template.insert("AWSTemplateFormatVersion".into(), "2010-09-09".into());
    template.insert(
        "Description".into(),
        format!(
            "Tag governance policies of the tagc project {project}, written by `tagc build --emit cloudformation`"
        )
        .into(),
    );
    if !parameters.is_empty() {
        template.insert("Parameters".into(), parameters.into());
    }
    template.insert("Resources".into(), resources.into());
    Ok(template.into())
}

/// A CloudFormation logical id or parameter name (letters and digits only) from a name:
/// each run of letters and digits, capitalised, the rest dropped (`tagc-ml-scp` → `TagcMlScp`).
fn camel(name: &str) -> String {
    let mut out = String::new();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() {
        out.push('X');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_camel_keeps_only_letters_and_digits() {
        assert_eq!(camel("tagc-ml-guardrails-scp-2"), "TagcMlGuardrailsScp2");
        assert_eq!(camel("Root/Workloads/ML"), "RootWorkloadsML");
        assert_eq!(camel("---"), "X");
    }
}
