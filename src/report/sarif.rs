//! `--format sarif`: a SARIF 2.1.0 log, for code scanning (GitHub) and other SARIF readers.
//!
//! Input: a [`Report`]. Output: a log with one run whose tool is tagc, one rule per code used
//! (its id is the code), and one result per diagnostic and per failing or vacuous test.
//! Format: <https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/sarif-v2.1.0-errata01-os-complete.html>.
//! GitHub reads file locations relative to the repository, with forward slashes:
//! <https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning>.

use serde_json::{Value, json};

use super::{Level, Location, Record, Report, TestRecord, code_words, forward_slashes};

/// The rule id of a test whose expectation does not hold.
pub const TEST_FAILED: &str = "tagc::test::failed";
/// The rule id of a test no rule could affect.
pub const TEST_VACUOUS: &str = "tagc::test::vacuous";

/// The SARIF log, pretty-printed.
pub fn render(report: &Report) -> String {
    let mut rules: Vec<(String, Option<String>)> = Vec::new();
    let mut results = Vec::new();
    let mut rule_index = |id: &str, help: Option<&String>| -> usize {
        if let Some(i) = rules.iter().position(|(r, _)| r == id) {
            return i;
        }
        rules.push((id.to_owned(), help.cloned()));
        rules.len() - 1
    };
    for r in &report.diagnostics {
        let id = r.code.clone().unwrap_or_else(|| "tagc::uncoded".to_owned());
        let index = rule_index(&id, r.help.as_ref());
        results.push(result(r, &id, index));
    }
    for t in report.tests.iter().flatten() {
        if !t.passed {
            let index = rule_index(
                TEST_FAILED,
                Some(&"make the rules or the test's expectation agree".to_owned()),
            );
            results.push(test_result(t, TEST_FAILED, index, "error", &failed_text(t)));
        }
        if t.vacuous {
            let index = rule_index(
                TEST_VACUOUS,
                Some(&"make the request one that some rule concerns".to_owned()),
            );
            let text = format!(
                "test `{}`: no rule could affect this request, so the test shows nothing about the rules",
                t.name
            );
            results.push(test_result(t, TEST_VACUOUS, index, "warning", &text));
        }
    }
    let rules: Vec<Value> = rules
        .iter()
        .map(|(id, help)| {
            let mut rule = json!({
                "id": id,
                "name": code_words(id).replace(' ', "-"),
                "shortDescription": {"text": code_words(id)},
            });
            if let Some(h) = help {
                rule["help"] = json!({"text": h});
            }
            rule
        })
        .collect();
    let log = log(&rules, &results);
    format!("{log:#}")
}

/// A SARIF 2.1.0 log of tagc with these rules and results: the one envelope of every SARIF
/// tagc prints (diagnostics, test results, `tagc audit`).
pub fn log(rules: &[Value], results: &[Value]) -> Value {
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tagc",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            // Columns and `charOffset` count Unicode code points (`Loc::line_col`), as tagc's
            // other formats do.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Advice => "note",
    }
}

fn result(r: &Record, id: &str, index: usize) -> Value {
    let text = match &r.help {
        Some(h) => format!("{}\nhelp: {h}", r.message),
        None => r.message.clone(),
    };
    let mut result = json!({
        "ruleId": id,
        "ruleIndex": index,
        "level": level(r.severity),
        "message": {"text": text},
    });
    if let Some(loc) = &r.location {
        result["locations"] = json!([physical(loc, r.label.as_deref())]);
    }
    if !r.related.is_empty() {
        result["relatedLocations"] = r
            .related
            .iter()
            .enumerate()
            .map(|(i, rel)| {
                let mut l = physical(&rel.location, Some(&rel.message));
                l["id"] = json!(i + 1);
                l
            })
            .collect();
    }
    if let Some(justification) = &r.suppressed {
        result["suppressions"] = json!([{"kind": "inSource", "justification": justification}]);
    }
    result
}

fn test_result(t: &TestRecord, id: &str, index: usize, level: &str, text: &str) -> Value {
    let mut result = json!({
        "ruleId": id,
        "ruleIndex": index,
        "level": level,
        "message": {"text": text},
    });
    if let Some(loc) = &t.location {
        result["locations"] = json!([physical(loc, None)]);
    }
    result
}

/// The text of a failing test: its name, then each reason and each layer's decision.
pub(super) fn failed_text(t: &TestRecord) -> String {
    let layers: Vec<String> = t
        .layers
        .iter()
        .map(|l| {
            let mark = if l.as_expected { "" } else { " ✗" };
            format!("{}: {}{mark}", l.layer, l.decision)
        })
        .collect();
    format!(
        "test `{}` failed: {} [{}]",
        t.name,
        t.failures.join("; "),
        layers.join(", ")
    )
}

fn physical(loc: &Location, message: Option<&str>) -> Value {
    let mut l = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": forward_slashes(&loc.file)},
            "region": {
                "startLine": loc.line,
                "startColumn": loc.column,
                "endLine": loc.end_line,
                "endColumn": loc.end_column,
                "charOffset": loc.char_offset,
                "charLength": loc.char_length,
            },
        },
    });
    if let Some(m) = message {
        l["message"] = json!({"text": m});
    }
    l
}

#[cfg(test)]
mod tests {
    use super::super::{Level, Location, Record, Report};

    #[test]
    fn test_a_suppressed_record_becomes_an_in_source_suppression() {
        let record = Record {
            code: Some("tagc::check::no-targets".into()),
            severity: Level::Warning,
            message: "policy `p` is attached to nothing".into(),
            help: None,
            location: Some(Location {
                file: "./dir\\a.tags".into(),
                offset: 0,
                length: 3,
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 4,
                char_offset: 0,
                char_length: 3,
            }),
            label: None,
            related: Vec::new(),
            suppressed: Some("attached by hand".into()),
        };
        let report = Report {
            command: "check",
            ok: true,
            diagnostics: vec![record],
            tests: None,
            payload: Vec::new(),
        };
        let log: serde_json::Value =
            serde_json::from_str(&super::render(&report)).unwrap_or_default();
        let result = &log["runs"][0]["results"][0];
        assert_eq!(
            result["suppressions"],
            serde_json::json!([{"kind": "inSource", "justification": "attached by hand"}])
        );
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "dir/a.tags"
        );
    }
}
