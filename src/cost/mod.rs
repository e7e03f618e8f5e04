//! Cost allocation from the same declarations: which tag keys to activate as cost allocation
//! tags, and the queries that show the spend the rules cannot attribute.
//!
//! Input: the checked project ([`crate::model::Project`]).
//! Output: the files of `tagc build --emit cost`, under `cost/` in the output directory, which
//! [`crate::output`] writes beside the artifacts and lists in the manifest:
//!
//! - `cost/cost-allocation-tags.json`: the keys to activate, in their declared casing, in the
//!   shape `aws ce update-cost-allocation-tags-status --cost-allocation-tags-status` reads;
//! - `cost/tags/*.sql` and `cost/resource-tags/*.sql`: Athena (Trino) queries over a CUR 2.0
//!   export ([`sql`]), one set per tag column of the export.
//!
//! - with `--budget-amount`, `cost/budgets/<key>-<value>.json` ([`budgets`]): a monthly AWS
//!   budget per allowed value, and with `--emit terraform` or `--emit cloudformation` the same
//!   as `terraform/budgets.tf.json` or `cloudformation/budgets.json`.
//!
//! [`activate`] plans and makes the activation through Cost Explorer (`tagc cost plan|activate`).
//!
//! **Which keys.** A key is a cost key when a policy makes it a rule on resources: `require`
//! (present with an allowed value on create), `enforce` (allowed value and casing on later
//! tagging) or `report` (required for compliance reporting). A key that is only protected is
//! not: `protect` keeps a value from changing, it does not say the key must be there, so spend
//! without it is not unattributable by the rules. A key that is declared and used nowhere is
//! vocabulary, not a rule, and is left out too.
//!
//! **What the rules say about a line item.** For each cost key: a key of a `require` or
//! `report` must be present (in any casing, or in the declared casing for an `exact-case` tag);
//! a present value must match one of the declared patterns. A line item that breaks any of
//! these for any cost key is not attributable.

pub mod activate;
pub mod budgets;
pub mod fake;
#[cfg(feature = "aws")]
pub mod sdk;
pub mod sql;

use miette::Diagnostic;
use thiserror::Error;

use crate::iac::File;
use crate::model::Project;

/// Where the cost files go, relative to the output directory.
pub const DIR: &str = "cost";

/// `UpdateCostAllocationTagsStatus` takes at most 20 keys a call ("Array Members: Minimum
/// number of 1 item. Maximum number of 20 items."):
/// <https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_UpdateCostAllocationTagsStatus.html>.
pub const ACTIVATION_BATCH: usize = 20;

/// A declared tag that is a cost dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostKey {
    /// The key, in its declared casing: the casing to activate.
    pub key: String,
    /// The allowed value patterns (`*` any run, `?` one character); `None` for any value.
    pub values: Option<Vec<String>>,
    /// Whether only the declared casing counts.
    pub exact_case: bool,
    /// Whether a `require` or `report` makes the key required.
    pub required: bool,
}

/// Why the cost files cannot be made.
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum CostError {
    /// No declared tag is used by a `require`, `enforce` or `report` rule.
    #[error(
        "`--emit cost` found no cost allocation keys: no tag is used by `require`, `enforce` or `report`"
    )]
    #[diagnostic(
        code("tagc::cost::no-keys"),
        severity(Error),
        help(
            "cost keys are the tags the rules require, enforce or report; add such a rule (for example \
             `require environment on sagemaker:CreateTrainingJob`), or build without `--emit cost`"
        )
    )]
    NoKeys,

    /// A Cost Explorer call failed.
    #[error("Cost Explorer `{operation}` failed: {code}: {message}")]
    #[diagnostic(
        code("tagc::cost::api"),
        severity(Error),
        help(
            "cost allocation tags are managed in the management (payer) account: use its credentials, \
             with `ce:ListCostAllocationTags` and `ce:UpdateCostAllocationTagsStatus`; nothing after \
             the failed call was changed"
        )
    )]
    Api {
        /// The operation.
        operation: &'static str,
        /// AWS's error code (`Dispatch` when no answer came).
        code: String,
        /// AWS's message.
        message: String,
    },

    /// `UpdateCostAllocationTagsStatus` did not activate some keys.
    #[error("Cost Explorer did not activate: {}", keys.join(", "))]
    #[diagnostic(
        code("tagc::cost::refused"),
        severity(Error),
        help(
            "a key can be activated once billing has seen it on a resource; the other keys were \
             activated, and `tagc cost plan` shows what is left"
        )
    )]
    Refused {
        /// Each key with AWS's code and message.
        keys: Vec<String>,
    },

    /// A budget amount that is not a number (the command line checks it first).
    #[error("the budget amount `{amount}` is not a number")]
    #[diagnostic(
        code("tagc::cost::bad-amount"),
        severity(Error),
        help(
            "give `--budget-amount` a positive amount in USD with at most two decimals, such as 1000 or 250.50"
        )
    )]
    BadAmount {
        /// The amount given.
        amount: String,
    },

    /// `tagc cost activate` without `--yes`.
    #[error("`tagc cost activate` changes billing settings and needs `--yes`")]
    #[diagnostic(
        code("tagc::cost::not-confirmed"),
        severity(Error),
        help("review the plan above (`tagc cost plan` shows it too), then run again with `--yes`")
    )]
    NotConfirmed,
}

impl CostError {
    /// A failed call of `operation`.
    pub fn api(operation: &'static str, e: activate::CallError) -> Self {
        Self::Api {
            operation,
            code: e.code,
            message: e.message,
        }
    }
}

/// The cost keys of `project`, in declaration order.
pub fn keys(project: &Project) -> Vec<CostKey> {
    let required = |key: &str| {
        project.policies.iter().any(|p| {
            p.requires.iter().any(|r| r.keys.iter().any(|k| k == key))
                || p.report.iter().any(|r| r.key == key)
        })
    };
    let enforced = |key: &str| {
        project
            .policies
            .iter()
            .any(|p| p.enforce.iter().any(|r| r.key == key))
    };
    project
        .tags
        .iter()
        .filter(|t| required(&t.key) || enforced(&t.key))
        .map(|t| CostKey {
            key: t.key.clone(),
            values: t.values.clone(),
            exact_case: t.exact_case,
            required: required(&t.key),
        })
        .collect()
}

/// What `--emit cost` writes besides the keys and queries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The monthly amount, in USD, of a budget per allowed value; no budgets without it.
    pub budget_amount: Option<String>,
    /// Whether the Terraform rendering is written too (`--emit terraform`): the budgets then
    /// also go to `terraform/budgets.tf.json`.
    pub terraform: bool,
    /// Whether the CloudFormation rendering is written too (`--emit cloudformation`): the
    /// budgets then also go to `cloudformation/budgets.json`, a template of their own.
    pub cloudformation: bool,
}

/// The files of `--emit cost` for `project`, in a fixed order.
pub fn render(project: &Project, options: &Options) -> Result<Vec<File>, CostError> {
    let keys = keys(project);
    if keys.is_empty() {
        return Err(CostError::NoKeys);
    }
    let mut files = activation_files(&keys);
    let names = file_names(&keys);
    for column in [sql::TagColumn::Tags, sql::TagColumn::ResourceTags] {
        let dir = format!("{DIR}/{}", column.dir());
        files.push(File {
            path: format!("{dir}/unattributed.sql"),
            text: sql::unattributed(column, &keys),
        });
        for (key, name) in keys.iter().zip(&names) {
            files.push(File {
                path: format!("{dir}/by-{name}.sql"),
                text: sql::by_value(column, key),
            });
        }
    }
    if let Some(amount) = &options.budget_amount {
        let budgets = budgets::budgets(&keys);
        for b in &budgets {
            files.push(File {
                path: format!("{DIR}/budgets/{}.json", b.name),
                text: format!("{:#}\n", budgets::create_budget_json(b, amount)),
            });
        }
        if options.terraform && !budgets.is_empty() {
            files.push(File {
                path: "terraform/budgets.tf.json".to_owned(),
                text: format!("{:#}\n", budgets::terraform(&budgets, amount)),
            });
        }
        if options.cloudformation && !budgets.is_empty() {
            let number =
                amount
                    .parse::<serde_json::Number>()
                    .map_err(|_| CostError::BadAmount {
                        amount: amount.clone(),
                    })?;
            files.push(File {
                path: "cloudformation/budgets.json".to_owned(),
                text: format!("{:#}\n", budgets::cloudformation(&budgets, &number)),
            });
        }
    }
    Ok(files)
}

/// The keys to activate, as `[{"TagKey": …, "Status": "Active"}, …]`: one file when they fit in
/// one call, else one numbered file per call of at most [`ACTIVATION_BATCH`] keys.
///
/// Shape: `CostAllocationTagStatusEntry` (`TagKey`, `Status` = `Active`|`Inactive`),
/// <https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_CostAllocationTagStatusEntry.html>.
fn activation_files(keys: &[CostKey]) -> Vec<File> {
    let batches: Vec<&[CostKey]> = keys.chunks(ACTIVATION_BATCH).collect();
    let many = batches.len() > 1;
    batches
        .iter()
        .enumerate()
        .map(|(i, batch)| {
            let entries: Vec<serde_json::Value> = batch
                .iter()
                .map(|k| serde_json::json!({ "TagKey": k.key, "Status": "Active" }))
                .collect();
            let path = if many {
                format!("{DIR}/cost-allocation-tags-{}.json", i + 1)
            } else {
                format!("{DIR}/cost-allocation-tags.json")
            };
            File {
                path,
                text: format!("{:#}\n", serde_json::Value::Array(entries)),
            }
        })
        .collect()
}

/// A file-name part per key: lowercase ASCII letters and digits, every other run of characters
/// one `-`, numbered where two keys would share one (declared keys never differ only in case,
/// but `a.b` and `a:b` do meet).
fn file_names(keys: &[CostKey]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for k in keys {
        let mut base = String::new();
        for c in k.key.chars() {
            if c.is_ascii_alphanumeric() {
                base.push(c.to_ascii_lowercase());
            } else if !base.ends_with('-') {
                base.push('-');
            }
        }
        let base = base.trim_matches('-').to_owned();
        let base = if base.is_empty() {
            "key".to_owned()
        } else {
            base
        };
        let name = if names.contains(&base) {
            (2..=names.len() + 1)
                .map(|n| format!("{base}-{n}"))
                .find(|n| !names.contains(n))
                .unwrap_or(base)
        } else {
            base
        };
        names.push(name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::source::SourceFile;

    fn project(text: &str) -> Project {
        crate::compile_sources(&[SourceFile::new("t.tags", text)], Catalog::builtin())
            .project
            .expect("the project compiles")
    }

    #[test]
    fn test_keys_are_the_required_enforced_and_reported_tags_not_the_only_protected_ones() {
        let p = project(
            "tag a\ntag b { values \"x\" }\ntag c\ntag d\ntag e\n\
             policy p {\n  require a on sqs:CreateQueue\n  enforce b for ec2:instance\n  \
             report c for ec2:instance\n  protect d\n  attach to root\n}\n",
        );
        let keys = keys(&p);
        let got: Vec<(&str, bool)> = keys.iter().map(|k| (k.key.as_str(), k.required)).collect();
        assert_eq!(got, [("a", true), ("b", false), ("c", true)]);
        assert_eq!(keys[1].values.as_deref(), Some(&["x".to_owned()][..]));
    }

    #[test]
    fn test_a_project_without_cost_keys_is_refused() {
        let p = project("tag d\npolicy p {\n  protect d on ec2\n  attach to root\n}\n");
        assert!(matches!(
            render(&p, &Options::default()),
            Err(CostError::NoKeys)
        ));
    }

    #[test]
    fn test_more_than_twenty_keys_are_split_into_calls_of_twenty() {
        let keys: Vec<CostKey> = (0..45)
            .map(|i| CostKey {
                key: format!("k{i}"),
                values: None,
                exact_case: false,
                required: true,
            })
            .collect();
        let files = activation_files(&keys);
        let sizes: Vec<usize> = files
            .iter()
            .map(|f| serde_json::from_str::<Vec<serde_json::Value>>(&f.text).map_or(0, |v| v.len()))
            .collect();
        assert_eq!(sizes, [20, 20, 5]);
        assert_eq!(files[2].path, "cost/cost-allocation-tags-3.json");
        assert_eq!(activation_files(&keys[..20]).len(), 1);
    }

    #[test]
    fn test_file_names_are_safe_and_distinct() {
        let key = |k: &str| CostKey {
            key: k.into(),
            values: None,
            exact_case: false,
            required: true,
        };
        let names = file_names(&[key("Cost Center"), key("cost:center"), key("::")]);
        assert_eq!(names, ["cost-center", "cost-center-2", "key"]);
    }
}
