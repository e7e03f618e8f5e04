//! AWS Budgets by tag: one monthly cost budget per allowed value of each cost key.
//!
//! Input: the cost keys ([`super::CostKey`]) and the monthly amount (`build --budget-amount`).
//! Output: one budget per literal allowed value (a pattern with `*` or `?` names no one value
//! and gets none), as the `Budget` JSON of `aws budgets create-budget --budget file://…`
//! (<https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Budget.html>),
//! with `--emit terraform`, as `aws_budgets_budget` resources
//! (<https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/budgets_budget>),
//! and with `--emit cloudformation`, as `AWS::Budgets::Budget` resources of a template of their
//! own (<https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-budgets-budget.html>).
//!
//! A budget is filtered by `CostFilters` `TagKeyValue` = `user:<key>$<value>`: the cost
//! allocation tag in its declared casing (user-defined tags carry the `user:` prefix in billing,
//! <https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/custom-tags.html>), so the key
//! must be active (`tagc cost activate`) for the budget to see any spend.

use serde_json::{Value, json};

use super::CostKey;

/// One budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// The budget's name: `tagc-<key>-<value>`, with every character other than a letter, a
    /// digit, `_`, `.` or `-` as `-` (a budget name may not hold `:` or `\`).
    pub name: String,
    /// The cost key.
    pub key: String,
    /// The allowed value.
    pub value: String,
}

impl Budget {
    /// The `TagKeyValue` filter value.
    pub fn filter(&self) -> String {
        format!("user:{}${}", self.key, self.value)
    }
}

/// The budgets of `keys`: per key with declared values, one per value without wildcards, in
/// declaration order.
pub fn budgets(keys: &[CostKey]) -> Vec<Budget> {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let mut out: Vec<Budget> = Vec::new();
    for k in keys {
        for v in k.values.iter().flatten() {
            if v.contains(['*', '?']) {
                continue;
            }
            let base = format!("tagc-{}-{}", safe(&k.key), safe(v));
            let name = if out.iter().any(|b| b.name == base) {
                (2..=out.len() + 1)
                    .map(|n| format!("{base}-{n}"))
                    .find(|n| !out.iter().any(|b| &b.name == n))
                    .unwrap_or(base)
            } else {
                base
            };
            out.push(Budget {
                name,
                key: k.key.clone(),
                value: v.clone(),
            });
        }
    }
    out
}

/// The `Budget` of `aws budgets create-budget`: a monthly cost budget of `amount` USD.
pub fn create_budget_json(budget: &Budget, amount: &str) -> Value {
    json!({
        "BudgetName": budget.name,
        "BudgetType": "COST",
        "TimeUnit": "MONTHLY",
        "BudgetLimit": { "Amount": amount, "Unit": "USD" },
        "CostFilters": { "TagKeyValue": [budget.filter()] }
    })
}

/// Terraform JSON with one `aws_budgets_budget` per budget, resource names from the budget
/// names. It declares resources only, so that it sits beside `main.tf.json` in one module.
pub fn terraform(budgets: &[Budget], amount: &str) -> Value {
    let mut resources = serde_json::Map::new();
    for b in budgets {
        let name: String = b
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        resources.insert(
            name,
            json!({
                "name": b.name,
                "budget_type": "COST",
                "time_unit": "MONTHLY",
                "limit_amount": amount,
                "limit_unit": "USD",
                "cost_filter": [{ "name": "TagKeyValue", "values": [b.filter()] }]
            }),
        );
    }
    json!({ "resource": { "aws_budgets_budget": resources } })
}

/// A CloudFormation template with one `AWS::Budgets::Budget` per budget. `BudgetLimit.Amount`
/// is a number there (`Spend`), where the API's JSON takes a string.
pub fn cloudformation(budgets: &[Budget], amount: &serde_json::Number) -> Value {
    let mut resources = serde_json::Map::new();
    for b in budgets {
        // Logical ids are alphanumeric: the name's parts, each capitalized.
        let base: String = b
            .name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect();
        let id = if resources.contains_key(&base) {
            (2..=budgets.len() + 1)
                .map(|n| format!("{base}{n}"))
                .find(|n| !resources.contains_key(n))
                .unwrap_or(base)
        } else {
            base
        };
        resources.insert(
            id,
            json!({
                "Type": "AWS::Budgets::Budget",
                "Properties": {
                    "Budget": {
                        "BudgetName": b.name,
                        "BudgetType": "COST",
                        "TimeUnit": "MONTHLY",
                        "BudgetLimit": { "Amount": Value::Number(amount.clone()), "Unit": "USD" },
                        "CostFilters": { "TagKeyValue": [b.filter()] }
                    }
                }
            }),
        );
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Monthly AWS budgets per allowed tag value, written by tagc",
        "Resources": resources
    })
}

/// Whether `text` is an amount Budgets takes: a positive decimal with at most two decimals.
pub fn valid_amount(text: &str) -> bool {
    let (whole, cents) = text.split_once('.').unwrap_or((text, ""));
    !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && cents.len() <= 2
        && cents.chars().all(|c| c.is_ascii_digit())
        && !(text.contains('.') && cents.is_empty())
        && text.chars().any(|c| c.is_ascii_digit() && c != '0')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str, values: &[&str]) -> CostKey {
        CostKey {
            key: k.into(),
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
            exact_case: true,
            required: true,
        }
    }

    #[test]
    fn test_one_budget_per_literal_value_filtered_by_user_tag() {
        let b = budgets(&[
            key("environment", &["dev", "production"]),
            key("CostCenter", &["CC-*"]),
            key("owner", &["a@example.com"]),
        ]);
        let names: Vec<&str> = b.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "tagc-environment-dev",
                "tagc-environment-production",
                "tagc-owner-a-example.com"
            ]
        );
        assert_eq!(b[0].filter(), "user:environment$dev");
        let json = create_budget_json(&b[1], "1000");
        assert_eq!(
            json["CostFilters"]["TagKeyValue"],
            json!(["user:environment$production"])
        );
        assert_eq!(
            json["BudgetLimit"],
            json!({"Amount": "1000", "Unit": "USD"})
        );
    }

    #[test]
    fn test_amounts_are_positive_decimals_with_at_most_two_decimals() {
        for ok in ["1000", "12.5", "0.01", "250.00"] {
            assert!(valid_amount(ok), "{ok}");
        }
        for bad in ["", "0", "0.00", "-5", "1e3", "12.345", "12.", ".5", "1,000"] {
            assert!(!valid_amount(bad), "{bad}");
        }
    }
}
