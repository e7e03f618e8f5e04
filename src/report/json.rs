//! `--format json`: one versioned document, the same shape whatever the command and outcome.
//!
//! Input: a [`Report`]. Output: `{"version", "command", "ok", "diagnostics", "summary", …}`
//! followed by the command's results (`manifest` of `build`, `tests` of `test`, …). The
//! document is described by `docs/schema/report.schema.json`.

use serde_json::{Map, Value, json};

use super::{Level, Report};

/// The version of the document's shape; it changes only when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

/// The document, pretty-printed.
pub fn render(report: &Report) -> String {
    let mut doc = Map::new();
    doc.insert("version".into(), json!(SCHEMA_VERSION));
    doc.insert("command".into(), json!(report.command));
    doc.insert("ok".into(), json!(report.ok));
    doc.insert("diagnostics".into(), json!(report.diagnostics));
    doc.insert(
        "summary".into(),
        json!({
            "errors": report.count(Level::Error),
            "warnings": report.count(Level::Warning),
            "advice": report.count(Level::Advice),
            "suppressed": report.suppressed(),
        }),
    );
    if let Some(tests) = &report.tests {
        let failed = tests.iter().filter(|t| !t.passed).count();
        doc.insert("tests".into(), json!(tests));
        doc.insert("passed".into(), json!(tests.len() - failed));
        doc.insert("failed".into(), json!(failed));
    }
    for (key, value) in &report.payload {
        doc.insert((*key).to_owned(), value.clone());
    }
    // A JSON value always serializes: `{:#}` pretty-prints it.
    format!("{:#}", Value::Object(doc))
}

#[cfg(test)]
mod tests {
    use super::super::{Level, Location, Record, Report};

    fn record(suppressed: Option<&str>) -> Record {
        Record {
            code: Some("tagc::check::no-targets".into()),
            severity: Level::Warning,
            message: "policy `p` is attached to nothing".into(),
            help: None,
            location: Some(Location {
                file: "a.tags".into(),
                offset: 7,
                length: 1,
                line: 1,
                column: 8,
                end_line: 1,
                end_column: 9,
                char_offset: 7,
                char_length: 1,
            }),
            label: None,
            related: Vec::new(),
            suppressed: suppressed.map(ToOwned::to_owned),
        }
    }

    #[test]
    fn test_a_suppressed_record_shows_its_justification_and_counts_as_suppressed() {
        let report = Report {
            command: "check",
            ok: true,
            diagnostics: vec![record(Some("the OU is attached by hand")), record(None)],
            tests: None,
            payload: Vec::new(),
        };
        let doc: serde_json::Value =
            serde_json::from_str(&super::render(&report)).unwrap_or_default();
        assert_eq!(
            doc["diagnostics"][0]["suppressed"],
            "the OU is attached by hand"
        );
        assert_eq!(doc["diagnostics"][1]["suppressed"], serde_json::Value::Null);
        assert_eq!(
            doc["summary"],
            serde_json::json!({"errors": 0, "warnings": 1, "advice": 0, "suppressed": 1})
        );
    }
}
