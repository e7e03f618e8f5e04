//! The Athena SQL text of the cost queries, over a CUR 2.0 export of AWS Data Exports.
//!
//! Input: the cost keys ([`super::CostKey`]) and which tag column of the export to read.
//! Output: the text of one query, deterministic, with a header comment saying what it answers.
//!
//! **The table.** CUR 2.0 has a fixed schema
//! (<https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2.html>); the queries
//! read `bill_billing_period_start_date` (timestamp), `line_item_usage_account_id`,
//! `line_item_product_code`, `line_item_line_item_type` (strings),
//! `line_item_unblended_cost` (double) and one of two tag columns, both `map<string,string>`:
//!
//! - `tags` (<https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2-tag-columns.html>):
//!   every activated tag, resource tags under `resourceTags/<key>`. AWS's example there keeps
//!   the key's casing (`userAttribute/Department` beside `resourceTags/department`), so this
//!   column tells `Environment` from `environment`.
//! - `resource_tags` (<https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2-resource-tags.html>):
//!   activated resource tags only, under `user_<key>`. AWS does not document how the key is
//!   written there; exports show it lowercased with every character other than a letter or a
//!   digit as `_` ([`resource_tags_key`]). Keys differing only in case meet in one entry, so
//!   this column cannot show a wrong casing: its queries judge presence and value only.
//!
//! The table is named `cost_and_usage_report`, the name Data Exports gives CUR 2.0
//! (<https://docs.aws.amazon.com/cur/latest/userguide/dataexports-data-query.html>); replace it
//! with the Athena table of the export.
//!
//! **Which spend.** Only line items of the types that are resource usage carry resource tags
//! and are counted (<https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2-line-item.html>,
//! `line_item_line_item_type`): `Usage`, `DiscountedUsage` (usage covered by a reservation)
//! and `SavingsPlanCoveredUsage` (usage covered by a Savings Plan). Tax, credits, refunds,
//! fees (`Fee`, `RIFee`, Savings Plan fees), negations and discounts are charges to the account,
//! not to a resource: no tag can attribute them, and counting them would report as a tagging
//! gap what no tag could close.
//!
//! **Dialect.** The text is Trino SQL, as Athena runs it, restricted to what DuckDB runs the
//! same way, so that the tests run it on DuckDB with known answers: `map_keys`, `contains`,
//! `filter` with a `k -> …` lambda, `array_sort`, `ARRAY[]`, `LIKE … ESCAPE`, `CASE`,
//! `COALESCE`, `CAST(… AS DECIMAL(38, 10))`, `SUM`, common table expressions, `GROUP BY` and
//! `ORDER BY … NULLS LAST`. A map is read as `m['k']` only where `contains(map_keys(m), 'k')`
//! holds: Trino fails on a missing key there, and `element_at(m, 'k')`, Trino's way to get
//! `NULL`, returns a list in DuckDB. An array is read as `a[1]` only where it is not empty, for
//! the same reason. Costs are summed as decimals, so that a sum of cents is exact.

use std::fmt::Write as _;

use super::CostKey;

/// The table the queries read.
pub const TABLE: &str = "cost_and_usage_report";

/// The line item types counted as spend a tag can attribute (see the module documentation).
pub const ATTRIBUTABLE_LINE_ITEM_TYPES: [&str; 3] =
    ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"];

/// A tag column of the CUR 2.0 table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagColumn {
    /// `tags`: every activated tag, keys in their casing.
    Tags,
    /// `resource_tags`: activated resource tags, keys normalized.
    ResourceTags,
}

impl TagColumn {
    /// The column's name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Tags => "tags",
            Self::ResourceTags => "resource_tags",
        }
    }

    /// The directory of its queries under `cost/`.
    pub const fn dir(self) -> &'static str {
        match self {
            Self::Tags => "tags",
            Self::ResourceTags => "resource-tags",
        }
    }

    /// Whether the column tells keys apart by case.
    pub const fn keeps_casing(self) -> bool {
        match self {
            Self::Tags => true,
            Self::ResourceTags => false,
        }
    }

    /// The map key under which a resource tag's key appears.
    pub fn map_key(self, key: &str) -> String {
        match self {
            Self::Tags => format!("resourceTags/{key}"),
            Self::ResourceTags => resource_tags_key(key),
        }
    }
}

/// The `resource_tags` key of a resource tag's key: `user_`, then the key lowercased with every
/// character other than an ASCII letter or digit replaced by `_`.
pub fn resource_tags_key(key: &str) -> String {
    let normalized: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("user_{normalized}")
}

/// A SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A declared value pattern as a `LIKE` pattern with `\` as the escape character: `*` is `%`,
/// `?` is `_`, and a literal `%`, `_` or `\` is escaped. `LIKE` compares case-sensitively in
/// Trino and DuckDB, as the patterns match.
fn like(pattern: &str) -> String {
    let mut s = String::new();
    for c in pattern.chars() {
        match c {
            '*' => s.push('%'),
            '?' => s.push('_'),
            '%' | '_' | '\\' => {
                s.push('\\');
                s.push(c);
            }
            c => s.push(c),
        }
    }
    s
}

/// The SQL of "`value` matches one of the patterns".
fn allowed(value: &str, patterns: &[String]) -> String {
    let alternatives: Vec<String> = patterns
        .iter()
        .map(|p| format!("{value} LIKE {} ESCAPE '\\'", literal(&like(p))))
        .collect();
    format!("({})", alternatives.join(" OR "))
}

/// The two expressions of one key on a line item: its value (in a casing the rules accept, else
/// `NULL`) and whether it is there in any casing.
fn key_columns(column: TagColumn, key: &CostKey) -> (String, String) {
    let map = column.name();
    let exact = literal(&column.map_key(&key.key));
    let exact_present = format!("contains(map_keys({map}), {exact})");
    let exact_value = format!("{map}[{exact}]");
    if !column.keeps_casing() {
        return (
            format!("CASE WHEN {exact_present} THEN {exact_value} END"),
            format!("COALESCE({exact_present}, false)"),
        );
    }
    let folded = literal(&column.map_key(&key.key).to_lowercase());
    let casings = format!("filter(map_keys({map}), k -> lower(k) = {folded})");
    let any_present = format!("{casings} <> ARRAY[]");
    let value = if key.exact_case {
        format!("CASE WHEN {exact_present} THEN {exact_value} END")
    } else {
        // Any casing counts: the declared one first, else the first other in sorted order.
        format!(
            "CASE WHEN {exact_present} THEN {exact_value} WHEN {any_present} THEN {map}[array_sort({casings})[1]] END"
        )
    };
    (value, format!("COALESCE({any_present}, false)"))
}

/// The header every query starts with.
fn header(s: &mut String, title: &str, column: TagColumn) {
    let _ = writeln!(s, "-- {title}");
    let _ = writeln!(
        s,
        "-- Generated by tagc from the declared tags; do not edit."
    );
    let _ = writeln!(
        s,
        "-- Reads the CUR 2.0 table `{TABLE}` (AWS Data Exports) and its `{}` column:",
        column.name()
    );
    let _ = writeln!(
        s,
        "-- https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2.html"
    );
    if !column.keeps_casing() {
        let _ = writeln!(
            s,
            "-- `resource_tags` keeps no casing: a key in another casing counts as the key."
        );
    }
    let _ = writeln!(
        s,
        "-- Spend: unblended cost of the resource usage line items ({});",
        ATTRIBUTABLE_LINE_ITEM_TYPES.join(", ")
    );
    let _ = writeln!(
        s,
        "-- tax, credits, refunds and fees are charges no resource tag can attribute."
    );
}

/// The first part of every query: the usage line items, with each key's value and presence.
fn line_items(s: &mut String, column: TagColumn, keys: &[CostKey]) {
    let types: Vec<String> = ATTRIBUTABLE_LINE_ITEM_TYPES
        .iter()
        .map(|t| literal(t))
        .collect();
    s.push_str("WITH line_items AS (\n  SELECT\n");
    s.push_str("    bill_billing_period_start_date AS billing_period,\n");
    s.push_str("    line_item_usage_account_id AS account_id,\n");
    s.push_str("    line_item_product_code AS product_code,\n");
    s.push_str("    CAST(line_item_unblended_cost AS DECIMAL(38, 10)) AS cost");
    for (i, key) in keys.iter().enumerate() {
        let (value, present) = key_columns(column, key);
        let _ = write!(
            s,
            ",\n    -- {}\n    {value} AS k{i}_value,\n    {present} AS k{i}_present",
            key.key
        );
    }
    let _ = write!(
        s,
        "\n  FROM {TABLE}\n  WHERE line_item_line_item_type IN ({})\n)\n",
        types.join(", ")
    );
}

/// `OR` of the terms, `false` for none.
fn any(terms: &[String]) -> String {
    if terms.is_empty() {
        "false".to_owned()
    } else {
        terms.join("\n      OR ")
    }
}

/// The query of spend per billing period, account and service that the rules cannot
/// attribute: a required key absent, a value not allowed, or (with `tags`) an `exact-case` key
/// only in another casing. A line item breaking several rules counts once in
/// `unattributed_cost` and once in the column of each reason.
pub fn unattributed(column: TagColumn, keys: &[CostKey]) -> String {
    let mut s = String::new();
    header(
        &mut s,
        "Spend per billing period, account and service that the tag rules cannot attribute.",
        column,
    );
    let _ = writeln!(
        s,
        "-- A line item counts in unattributed_cost once, and in the column of each reason it has."
    );
    line_items(&mut s, column, keys);
    let missing: Vec<String> = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.required)
        .map(|(i, _)| format!("NOT k{i}_present"))
        .collect();
    let casing: Vec<String> = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.exact_case && column.keeps_casing())
        .map(|(i, _)| format!("(k{i}_present AND k{i}_value IS NULL)"))
        .collect();
    let value: Vec<String> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let patterns = k.values.as_ref()?;
            let v = format!("k{i}_value");
            Some(format!(
                "({v} IS NOT NULL AND NOT {})",
                allowed(&v, patterns)
            ))
        })
        .collect();
    s.push_str(", judged AS (\n  SELECT\n    billing_period, account_id, product_code, cost,\n");
    let _ = writeln!(s, "    {} AS missing_key,", any(&missing));
    if column.keeps_casing() {
        let _ = writeln!(s, "    {} AS wrong_casing,", any(&casing));
    }
    let _ = writeln!(s, "    {} AS value_not_allowed", any(&value));
    s.push_str("  FROM line_items\n)\n");
    s.push_str("SELECT\n  billing_period,\n  account_id,\n  product_code,\n");
    s.push_str("  SUM(cost) AS usage_cost,\n");
    let reasons: &[&str] = if column.keeps_casing() {
        &["missing_key", "wrong_casing", "value_not_allowed"]
    } else {
        &["missing_key", "value_not_allowed"]
    };
    let _ = writeln!(
        s,
        "  SUM(CASE WHEN {} THEN cost ELSE 0 END) AS unattributed_cost,",
        reasons.join(" OR ")
    );
    let per_reason: Vec<String> = reasons
        .iter()
        .map(|r| format!("  SUM(CASE WHEN {r} THEN cost ELSE 0 END) AS {r}_cost"))
        .collect();
    s.push_str(&per_reason.join(",\n"));
    s.push_str("\nFROM judged\nGROUP BY billing_period, account_id, product_code\n");
    s.push_str("ORDER BY billing_period, account_id, product_code\n");
    s
}

/// The query of spend per billing period, account and value of one key. The value is the
/// one the rules read (for an `exact-case` key with `tags`, only in the declared casing);
/// `NULL` where the line item has none. Values the rules do not allow appear as they are.
pub fn by_value(column: TagColumn, key: &CostKey) -> String {
    let mut s = String::new();
    header(
        &mut s,
        &format!(
            "Spend per billing period, account and value of the tag `{}`.",
            key.key
        ),
        column,
    );
    let _ = writeln!(
        s,
        "-- tag_value is NULL for spend without the key{}.",
        if column.keeps_casing() && key.exact_case {
            " in its declared casing"
        } else {
            ""
        }
    );
    line_items(&mut s, column, std::slice::from_ref(key));
    s.push_str("SELECT\n  billing_period,\n  account_id,\n  k0_value AS tag_value,\n");
    s.push_str("  SUM(cost) AS usage_cost\nFROM line_items\n");
    s.push_str("GROUP BY billing_period, account_id, k0_value\n");
    s.push_str("ORDER BY billing_period, account_id, tag_value NULLS LAST\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_resource_tags_keys_are_lowercased_with_other_characters_as_underscores() {
        assert_eq!(resource_tags_key("CostCenter"), "user_costcenter");
        assert_eq!(
            resource_tags_key("data-classification"),
            "user_data_classification"
        );
        assert_eq!(resource_tags_key("a:b/c d"), "user_a_b_c_d");
    }

    #[test]
    fn test_value_patterns_become_like_patterns_with_literals_escaped() {
        assert_eq!(like("CC-*"), "CC-%");
        assert_eq!(like("a?b"), "a_b");
        assert_eq!(like("50%_x\\"), "50\\%\\_x\\\\");
        assert_eq!(literal("it's"), "'it''s'");
    }
}
