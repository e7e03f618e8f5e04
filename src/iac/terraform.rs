//! Terraform JSON configuration (`main.tf.json`) for the `hashicorp/aws` provider.
//!
//! Input: the artifacts and the project's name. Output: one JSON configuration holding
//!
//! - an `aws_organizations_policy` per SCP and tag policy (`name`, `description`, `type`,
//!   `content`, `tags`) and an `aws_organizations_policy_attachment` (`policy_id`, `target_id`)
//!   per target: <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/organizations_policy>,
//!   <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/organizations_policy_attachment>;
//! - an `aws_iam_policy` per IAM policy (`name`, `description`, `policy`, `tags`):
//!   <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_policy>;
//! - the inputs for targets tagc knows only by name: the variable `ou_ids` (a map from OU path,
//!   such as `Root/Workloads/ML`, to OU id) and, for the root, the data source
//!   `aws_organizations_organization`, whose `roots[0].id` is the root's id:
//!   <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/organizations_organization>.
//!
//! In Terraform's JSON syntax every string value of an argument is a template, where `${` and
//! `%{` begin an interpolation or a directive, written `$${` and `%%{` to stand for themselves
//! (<https://developer.hashicorp.com/terraform/language/syntax/json#expression-mapping>). Every
//! text from the build goes through [`literal`], so the content Terraform sends is the
//! artifact's written document, byte for byte.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::artifact::{Artifact, ArtifactKind};
use crate::model::Target;

use super::{organizations_type, ownership_tags, unique};

/// The name of the `aws_organizations_organization` data source read for the root's id.
const ORGANIZATION: &str = "this";

/// The configuration for `artifacts`, owned by `project`.
pub fn render(artifacts: &[Artifact], project: &str) -> Value {
    let mut policies = Map::new();
    let mut attachments = Map::new();
    let mut iam = Map::new();
    let mut ou_paths = BTreeSet::new();
    let mut uses_root = false;
    for a in artifacts {
        let tags: Map<String, Value> = ownership_tags(a, project)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(literal(v))))
            .collect();
        let mut resource = Map::new();
        resource.insert("name".into(), literal(&a.name).into());
        if !a.description.is_empty() {
            resource.insert("description".into(), literal(&a.description).into());
        }
        let Some(policy_type) = organizations_type(a.kind) else {
            // An IAM identity policy: tagc does not attach it (users attach it to their roles
            // or use it as a permissions boundary), so neither does the configuration.
            debug_assert_eq!(a.kind, ArtifactKind::IamPolicy);
            resource.insert("policy".into(), literal(&a.content).into());
            resource.insert("tags".into(), tags.into());
            iam.insert(a.name.clone(), resource.into());
            continue;
        };
        resource.insert("type".into(), policy_type.into());
        resource.insert("content".into(), literal(&a.content).into());
        resource.insert("tags".into(), tags.into());
        policies.insert(a.name.clone(), resource.into());
        for target in &a.targets {
            match target {
                Target::Root => uses_root = true,
                Target::OuPath(path) => {
                    ou_paths.insert(path.clone());
                }
                Target::OuId(_) | Target::Account(_) => {}
            }
            let name = unique(format!("{}--{}", a.name, label(target)), "-", |n: &str| {
                attachments.contains_key(n)
            });
            attachments.insert(
                name,
                json!({
                    "policy_id": format!("${{aws_organizations_policy.{}.id}}", a.name),
                    "target_id": target_id(target),
                }),
            );
        }
    }

    let mut config = Map::new();
    config.insert(
        "//".into(),
        "Written by `tagc build --emit terraform`; edit the .tags sources and build again instead of editing this file."
            .into(),
    );
    config.insert(
        "terraform".into(),
        json!({ "required_providers": { "aws": { "source": "hashicorp/aws" } } }),
    );
    if !ou_paths.is_empty() {
        let listed: Vec<&str> = ou_paths.iter().map(String::as_str).collect();
        config.insert(
            "variable".into(),
            json!({
                "ou_ids": {
                    "type": "map(string)",
                    "description": literal(&format!(
                        "The id (ou-…) of each OU the policies attach to, by path from the root: {}",
                        listed.join(", ")
                    )),
                }
            }),
        );
    }
    if uses_root {
        config.insert(
            "data".into(),
            json!({ "aws_organizations_organization": { ORGANIZATION: {} } }),
        );
    }
    let mut resources = Map::new();
    for (kind, map) in [
        ("aws_organizations_policy", policies),
        ("aws_organizations_policy_attachment", attachments),
        ("aws_iam_policy", iam),
    ] {
        if !map.is_empty() {
            resources.insert(kind.into(), map.into());
        }
    }
    if !resources.is_empty() {
        config.insert("resource".into(), resources.into());
    }
    config.into()
}

/// The `target_id` of an attachment: an expression for a target tagc knows by name, the id
/// itself otherwise.
fn target_id(target: &Target) -> String {
    match target {
        Target::Root => {
            format!("${{data.aws_organizations_organization.{ORGANIZATION}.roots[0].id}}")
        }
        Target::OuPath(path) => format!("${{var.ou_ids[{}]}}", quoted(path)),
        Target::OuId(id) | Target::Account(id) => literal(id),
    }
}

/// The part of an attachment's resource name that names its target. Terraform names hold
/// letters, digits, `_` and `-`; anything else becomes `_`.
fn label(target: &Target) -> String {
    let raw = match target {
        Target::Root => "root".to_owned(),
        Target::OuPath(path) => path.clone(),
        Target::OuId(id) => id.clone(),
        Target::Account(id) => format!("account-{id}"),
    };
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `text` as a template string that stands for exactly `text`.
pub fn literal(text: &str) -> String {
    text.replace("${", "$${").replace("%{", "%%{")
}

/// `text` as a quoted string literal inside an interpolation (`"…"`, with `\` and `"`
/// escaped, and template sequences escaped as in [`literal`]).
fn quoted(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{}\"", literal(&escaped))
}

/// What Terraform reads a template string written by [`literal`] as: the inverse, for tests.
pub fn unescape(template: &str) -> String {
    template.replace("$${", "${").replace("%%{", "%{")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_literal_escapes_template_sequences_and_unescape_reverses_it() {
        let text = r#"{"Condition":{"StringEquals":{"aws:PrincipalTag/x":"${aws:username}%{x}"}}}"#;
        let written = literal(text);
        assert_eq!(
            written,
            r#"{"Condition":{"StringEquals":{"aws:PrincipalTag/x":"$${aws:username}%%{x}"}}}"#
        );
        assert_eq!(unescape(&written), text);
    }

    #[test]
    fn test_an_ou_path_becomes_a_lookup_in_the_ou_ids_variable() {
        assert_eq!(
            target_id(&Target::OuPath("Root/Workloads/ML".into())),
            r#"${var.ou_ids["Root/Workloads/ML"]}"#
        );
        assert_eq!(
            target_id(&Target::OuPath(r#"Root/a"b\c"#.into())),
            r#"${var.ou_ids["Root/a\"b\\c"]}"#
        );
        assert_eq!(
            label(&Target::OuPath("Root/Work loads".into())),
            "Root_Work_loads"
        );
    }
}
