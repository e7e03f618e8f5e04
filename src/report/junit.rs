//! `tagc test --format junit`: JUnit XML, which GitLab, Jenkins and most CI systems show as
//! test results.
//!
//! Input: a [`Report`] with test results. Output: `<testsuites>` with one `<testsuite>` per
//! `.tags` file that declares tests (in the order first seen), one `<testcase>` per `test`
//! block, a `<failure>` with the reasons and each layer's decision when it failed. Errors that
//! stopped the tests from running (the rules do not compile) are `<error>` test cases of a suite
//! named `tagc`; warnings are not test results and are left out.
//! GitLab's reading of the format: <https://docs.gitlab.com/ci/testing/unit_test_reports/>.

use std::fmt::Write as _;

use super::{Level, Record, Report, TestRecord};

/// The XML document.
pub fn render(report: &Report) -> String {
    let mut suites: Vec<(String, Vec<&TestRecord>)> = Vec::new();
    for t in report.tests.iter().flatten() {
        match suites.iter_mut().find(|(f, _)| *f == t.file) {
            Some((_, tests)) => tests.push(t),
            None => suites.push((t.file.clone(), vec![t])),
        }
    }
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|r| r.severity == Level::Error && r.suppressed.is_none())
        .collect();
    let total: usize = suites.iter().map(|(_, t)| t.len()).sum::<usize>() + errors.len();
    let failures = report.tests.iter().flatten().filter(|t| !t.passed).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"tagc test\" tests=\"{total}\" failures=\"{failures}\" errors=\"{}\">",
        errors.len()
    );
    errors_suite(&mut s, &errors);
    for (file, tests) in &suites {
        let failed = tests.iter().filter(|t| !t.passed).count();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">",
            escape(file),
            tests.len()
        );
        for t in tests {
            let _ = write!(
                s,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\">",
                escape(&t.name),
                escape(file),
                escape(file),
                t.line
            );
            let layers: Vec<String> = t
                .layers
                .iter()
                .map(|l| {
                    let mark = if l.as_expected {
                        ""
                    } else {
                        " (not as expected)"
                    };
                    format!("{}: {}{mark}", l.layer, l.decision)
                })
                .collect();
            if !t.passed {
                let _ = write!(
                    s,
                    "\n      <failure message=\"{}\" type=\"tagc::test::failed\">{}</failure>",
                    escape(&t.failures.join("; ")),
                    escape_text(&format!("{}\n{}", t.failures.join("\n"), layers.join("\n")))
                );
            }
            let mut out = layers.join("\n");
            if t.vacuous {
                out.push_str(
                    "\nwarning: no rule could affect this request, so the test shows nothing about the rules",
                );
            }
            let _ = write!(
                s,
                "\n      <system-out>{}</system-out>\n    </testcase>\n",
                escape_text(&out)
            );
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

/// The suite of the errors that stopped the tests from running, when there are any.
fn errors_suite(s: &mut String, errors: &[&Record]) {
    if errors.is_empty() {
        return;
    }
    let _ = writeln!(
        *s,
        "  <testsuite name=\"tagc\" tests=\"{0}\" failures=\"0\" errors=\"{0}\" skipped=\"0\">",
        errors.len()
    );
    for e in errors {
        let code = e.code.as_deref().unwrap_or("tagc");
        let place = e
            .location
            .as_ref()
            .map(|l| format!("{}:{}:{}: ", l.file, l.line, l.column))
            .unwrap_or_default();
        let _ = writeln!(
            *s,
            "    <testcase name=\"{}\" classname=\"tagc\">\n      <error message=\"{}\" type=\"{}\">{}</error>\n    </testcase>",
            escape(code),
            escape(&e.message),
            escape(code),
            escape_text(&format!(
                "{place}{}{}",
                e.message,
                e.help
                    .as_ref()
                    .map(|h| format!("\nhelp: {h}"))
                    .unwrap_or_default()
            ))
        );
    }
    s.push_str("  </testsuite>\n");
}

/// Text for an XML attribute: the five special characters and the line breaks and tabs as
/// references (a parser would turn them into spaces), and the control characters XML 1.0
/// cannot hold dropped.
fn escape(text: &str) -> String {
    escape_with(text, true)
}

/// Text for an XML element: as [`escape`], with line breaks and tabs kept as they are.
fn escape_text(text: &str) -> String {
    escape_with(text, false)
}

fn escape_with(text: &str, attribute: bool) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' if !attribute => s.push(c),
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            // Kept in attribute values as written, not normalized to spaces.
            '\n' => s.push_str("&#10;"),
            '\r' => s.push_str("&#13;"),
            '\t' => s.push_str("&#9;"),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn test_escape_makes_markup_characters_entities_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            super::escape("<a & \"b\" 'c'>\n\u{1}"),
            "&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;&#10;"
        );
        assert_eq!(super::escape_text("a\n<b>\u{1}"), "a\n&lt;b&gt;");
    }
}
