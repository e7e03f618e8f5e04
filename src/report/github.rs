//! `--format github`: GitHub Actions workflow commands, which GitHub shows as annotations on
//! the lines of the pull request.
//!
//! Input: a [`Report`]. Output: one `::error …::` or `::warning …::` line per diagnostic and
//! per failing or vacuous test, then a plain summary line. Syntax and escaping:
//! <https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions>.

use std::fmt::Write as _;

use super::sarif::{TEST_FAILED, TEST_VACUOUS, failed_text};
use super::{Level, Location, Report, forward_slashes};

/// The workflow commands and the summary line.
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    for r in report.diagnostics.iter().filter(|r| r.suppressed.is_none()) {
        let command = match r.severity {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Advice => "notice",
        };
        let mut text = r.message.clone();
        if let Some(h) = &r.help {
            text.push_str("\nhelp: ");
            text.push_str(h);
        }
        // Places in another file are already named in the help line.
        let here = r.location.as_ref().map(|l| l.file.as_str());
        for rel in r
            .related
            .iter()
            .filter(|rel| Some(rel.location.file.as_str()) == here)
        {
            let _ = write!(
                text,
                "\n{}: {}:{}:{}",
                rel.message,
                forward_slashes(&rel.location.file),
                rel.location.line,
                rel.location.column
            );
        }
        let title = r.code.as_deref().unwrap_or("tagc");
        line(&mut s, command, r.location.as_ref(), title, &text);
    }
    for t in report.tests.iter().flatten() {
        if !t.passed {
            line(
                &mut s,
                "error",
                t.location.as_ref(),
                TEST_FAILED,
                &failed_text(t),
            );
        }
        if t.vacuous {
            let text = format!(
                "test `{}`: no rule could affect this request, so the test shows nothing about the rules",
                t.name
            );
            line(&mut s, "warning", t.location.as_ref(), TEST_VACUOUS, &text);
        }
    }
    let _ = writeln!(s, "tagc {}: {}", report.command, report.summary());
    s
}

/// One workflow command.
fn line(s: &mut String, command: &str, loc: Option<&Location>, title: &str, text: &str) {
    let mut props = Vec::new();
    if let Some(l) = loc {
        props.push(format!("file={}", property(&forward_slashes(&l.file))));
        props.push(format!("line={}", l.line));
        props.push(format!("col={}", l.column));
        props.push(format!("endLine={}", l.end_line));
        props.push(format!("endColumn={}", l.end_column));
    }
    props.push(format!("title={}", property(title)));
    let _ = writeln!(s, "::{command} {}::{}", props.join(","), data(text));
}

/// A message: `%`, carriage returns and newlines escaped.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: also `:` and `,`, which end a property.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn test_messages_and_properties_are_escaped() {
        assert_eq!(super::data("50%\r\nnext: a,b"), "50%25%0D%0Anext: a,b");
        assert_eq!(
            super::property("tagc::check::x,50%\n"),
            "tagc%3A%3Acheck%3A%3Ax%2C50%25%0A"
        );
    }
}
