//! Printing an [`Audit`]: for people, as JSON, as CSV and as SARIF.
//!
//! Input: an [`Audit`]. Output: text. Every format lists every finding with the resource's
//! ARN; the human and JSON forms also summarize per rule and per resource type and list the
//! resources and rule actions that were not evaluated.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Audit, Problem};

/// The version of the JSON document; it changes only when a field changes meaning or goes.
pub const JSON_VERSION: u64 = 1;

/// Findings per rule, by the rule's name (`ml-guardrails: require environment`).
pub fn per_rule(audit: &Audit) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in &audit.findings {
        *out.entry(f.rule_name()).or_insert(0) += 1;
    }
    out
}

fn problem_text(p: Problem) -> &'static str {
    match p {
        Problem::Missing => "missing",
        Problem::WrongCasing => "wrong casing",
        Problem::ValueNotAllowed => "value not allowed",
        Problem::UndeclaredKey => "undeclared key",
    }
}

/// One line of a finding for people: `require environment: wrong casing (`Environment` = "dev")`.
fn finding_text(f: &super::Finding) -> String {
    let mut text = format!("{}: {}", f.rule_name(), problem_text(f.problem));
    match (&f.actual_key, &f.actual_value) {
        (Some(k), Some(v)) => {
            let _ = write!(text, " (`{k}` = \"{v}\")");
        }
        (None, Some(v)) => {
            let _ = write!(text, " (\"{v}\")");
        }
        _ => {}
    }
    text
}

/// The human form.
pub fn human(audit: &Audit) -> String {
    let mut out = String::new();
    let evaluated = audit.resources - audit.not_evaluated.len();
    let noncompliant: usize = audit.types.values().map(|t| t.noncompliant).sum();
    let _ = writeln!(
        out,
        "{} resources read, {evaluated} evaluated, {} not evaluated: {noncompliant} noncompliant, {} findings",
        audit.resources,
        audit.not_evaluated.len(),
        audit.findings.len()
    );
    let rules = per_rule(audit);
    if !rules.is_empty() {
        out.push_str("\nFindings per rule:\n");
        let width = rules.keys().map(String::len).max().unwrap_or(0);
        for (rule, n) in &rules {
            let _ = writeln!(out, "  {rule:<width$}  {n}");
        }
    }
    if !audit.types.is_empty() {
        out.push_str("\nResources per type:\n");
        let width = audit.types.keys().map(String::len).max().unwrap_or(0);
        for (ty, c) in &audit.types {
            let _ = writeln!(
                out,
                "  {ty:<width$}  {} evaluated, {} noncompliant",
                c.resources, c.noncompliant
            );
        }
    }
    if !audit.findings.is_empty() {
        out.push_str("\nFindings:\n");
        let mut last = "";
        for f in &audit.findings {
            if f.arn != last {
                let place =
                    f.ou.as_ref()
                        .map_or_else(String::new, |ou| format!(", {ou}"));
                let account = if f.account.is_empty() {
                    "unknown"
                } else {
                    f.account.as_str()
                };
                let _ = writeln!(out, "  {} (account {account}{place})", f.arn);
                last = &f.arn;
            }
            let _ = writeln!(out, "    {}", finding_text(f));
        }
    }
    if !audit.not_evaluated.is_empty() {
        out.push_str("\nNot evaluated:\n");
        for n in &audit.not_evaluated {
            let _ = writeln!(out, "  {}: {}", n.arn, n.reason);
        }
    }
    if !audit.unmapped_rules.is_empty() {
        out.push_str(
            "\nRule actions that check no resource here (the catalog does not say which resource type they create):\n",
        );
        for u in &audit.unmapped_rules {
            let _ = writeln!(out, "  {}: {} on {}", u.policy, u.rule, u.action);
        }
    }
    out
}

/// The JSON document (versioned).
pub fn json(audit: &Audit) -> Value {
    let evaluated = audit.resources - audit.not_evaluated.len();
    json!({
        "version": JSON_VERSION,
        "compliant": audit.compliant(),
        "resources": audit.resources,
        "evaluated": evaluated,
        "summary": {
            "rules": per_rule(audit),
            "resource_types": audit.types,
        },
        "findings": audit.findings,
        "not_evaluated": audit.not_evaluated,
        "unmapped_rules": audit.unmapped_rules,
    })
}

/// The CSV form: a header, then one row per finding.
pub fn csv(audit: &Audit) -> Result<String, std::io::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "account",
        "ou",
        "region",
        "arn",
        "resource_type",
        "rule",
        "policy",
        "key",
        "problem",
        "actual_key",
        "actual_value",
    ])?;
    for f in &audit.findings {
        w.write_record([
            f.account.as_str(),
            f.ou.as_deref().unwrap_or(""),
            f.region.as_str(),
            f.arn.as_str(),
            &f.resource_type.to_string(),
            &f.rule.to_string(),
            f.policy.as_str(),
            f.key.as_str(),
            f.problem.as_str(),
            f.actual_key.as_deref().unwrap_or(""),
            f.actual_value.as_deref().unwrap_or(""),
        ])?;
    }
    let bytes = w.into_inner().map_err(csv::IntoInnerError::into_error)?;
    String::from_utf8(bytes).map_err(std::io::Error::other)
}

/// The SARIF 2.1.0 log (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>):
/// one rule per kind of problem, one result per finding. A resource is not in a file, so a
/// result's physical location is the policy in the `.tags` file and the resource is its
/// logical location (the ARN), also named in the message.
pub fn sarif(audit: &Audit) -> Value {
    let problems = [
        (Problem::Missing, "A required tag key is absent."),
        (
            Problem::WrongCasing,
            "A tag key is present only in another casing; tag keys are case-sensitive.",
        ),
        (
            Problem::ValueNotAllowed,
            "A tag value is not one of the key's allowed values.",
        ),
        (
            Problem::UndeclaredKey,
            "A tag key is not declared where only declared keys are allowed.",
        ),
    ];
    let rules: Vec<Value> = problems
        .iter()
        .map(|(p, text)| {
            json!({
                "id": format!("tagc::audit::{}", p.as_str()),
                "shortDescription": {"text": text},
            })
        })
        .collect();
    let results: Vec<Value> = audit
        .findings
        .iter()
        .map(|f| {
            let mut location = json!({
                "logicalLocations": [{"fullyQualifiedName": f.arn, "kind": "resource"}],
            });
            if let Some(loc) = &f.loc {
                let (line, column) = loc.line_col();
                location["physicalLocation"] = json!({
                    "artifactLocation": {"uri": loc.file.name},
                    "region": {"startLine": line, "startColumn": column},
                });
            }
            json!({
                "ruleId": format!("tagc::audit::{}", f.problem.as_str()),
                "level": "error",
                "message": {"text": format!("{}: {}", f.arn, finding_text(f))},
                "locations": [location],
                "properties": {
                    "account": f.account,
                    "region": f.region,
                    "resourceType": f.resource_type.to_string(),
                    "policy": f.policy,
                    "rule": f.rule.to_string(),
                    "key": f.key,
                },
            })
        })
        .collect();
    crate::report::sarif::log(&rules, &results)
}
