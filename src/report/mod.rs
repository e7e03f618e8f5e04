//! Machine-readable reports: what `--format json|sarif|github|junit` prints.
//!
//! Input: a command's [`Diagnostics`] and, for `tagc test`, its test results. Output: one text
//! for stdout in the format asked for. Every format renders the same plain records, built here
//! once from the diagnostics: code, severity, message, help, the primary location and the
//! related ones, each with its file, byte offset and length, and 1-based line and column.
//! Columns count Unicode scalar values (characters), not bytes.
//!
//! Locations come from each diagnostic's miette labels read through its source code, and, for
//! the labels a snippet cannot show because they are in another file, from the structured
//! list [`Diagnostics`] keeps beside the diagnostic.

mod github;
mod json;
mod junit;
pub mod sarif;

use std::fmt::Write as _;

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode, SourceSpan};
use serde::Serialize;

use crate::diagnostics::Diagnostics;
use crate::source::Loc;

pub use json::SCHEMA_VERSION;

/// What stops a report from being written.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
pub enum ReportError {
    /// The command has no such format.
    #[error("`tagc {command}` cannot print `--format {format}`")]
    #[diagnostic(
        code("tagc::report::unsupported-format"),
        severity(Error),
        help("use one of: {supported}")
    )]
    UnsupportedFormat {
        /// The command.
        command: &'static str,
        /// The format asked for.
        format: &'static str,
        /// The formats the command has, comma-separated.
        supported: String,
    },
    /// A result could not be put into the report.
    #[error("cannot put the {what} into the report: {reason}")]
    #[diagnostic(
        code("tagc::report::unrenderable"),
        severity(Error),
        help("this is a bug in tagc; `--format human` still prints the results")
    )]
    Unrenderable {
        /// What could not be put in.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// The machine formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One versioned JSON document.
    Json,
    /// A SARIF 2.1.0 log.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…::…`).
    Github,
    /// JUnit XML (`tagc test` only).
    Junit,
}

/// How bad a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Stops the command.
    Error,
    /// Reported; the command goes on.
    Warning,
    /// A note.
    Advice,
}

/// A region of a named file: bytes for programs that slice the file, line and column for
/// people and editors. Lines and columns are 1-based; the end is just past the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file as the user named it.
    pub file: String,
    /// Byte offset of the start from the beginning of the file.
    pub offset: usize,
    /// Length in bytes.
    pub length: usize,
    /// Line of the start.
    pub line: usize,
    /// Column of the start, in characters.
    pub column: usize,
    /// Line just past the end.
    pub end_line: usize,
    /// Column just past the end, in characters.
    pub end_column: usize,
    /// Character offset of the start from the beginning of the file.
    #[serde(skip)]
    pub char_offset: usize,
    /// Length in characters.
    #[serde(skip)]
    pub char_length: usize,
}

/// A place related to a diagnostic, such as the first declaration of a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    /// What is there.
    pub message: String,
    /// Where.
    pub location: Location,
}

/// One diagnostic as every machine format sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// The stable code, such as `tagc::check::unknown-tag`.
    pub code: Option<String>,
    /// How bad it is.
    pub severity: Level,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: Option<String>,
    /// Where, when the diagnostic points into a file.
    pub location: Option<Location>,
    /// The text of the primary label, at `location`.
    pub label: Option<String>,
    /// Related places, in this file or another.
    pub related: Vec<Related>,
    /// Why it is suppressed (its justification), when it is.
    pub suppressed: Option<String>,
}

/// A layer's decision for a test's request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerRecord {
    /// The layer, such as `SCP`.
    pub layer: String,
    /// Its decision, such as `deny`.
    pub decision: String,
    /// Whether this decision is not to blame for a failure.
    pub as_expected: bool,
}

/// One `test` block's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestRecord {
    /// The test's name.
    pub name: String,
    /// Where it is declared.
    #[serde(skip)]
    pub location: Option<Location>,
    /// The file it is declared in.
    pub file: String,
    /// The line of its `test` keyword.
    pub line: usize,
    /// The column of its `test` keyword, in characters.
    pub column: usize,
    /// Whether it passed.
    pub passed: bool,
    /// No rule could affect its request.
    pub vacuous: bool,
    /// Each layer's decision.
    pub layers: Vec<LayerRecord>,
    /// Why it failed; empty when it passed.
    pub failures: Vec<String>,
}

/// What a command reports: its diagnostics, whether it succeeded, and its results.
#[derive(Debug, Clone)]
pub struct Report {
    /// The command, such as `check`.
    pub command: &'static str,
    /// Whether the command succeeded.
    pub ok: bool,
    /// Every diagnostic, warnings included.
    pub diagnostics: Vec<Record>,
    /// The test results (`tagc test`).
    pub tests: Option<Vec<TestRecord>>,
    /// The command's other results, as named JSON values (the JSON format only).
    pub payload: Vec<(&'static str, serde_json::Value)>,
}

impl Report {
    /// A report of `command` with these diagnostics, successful when none is an error.
    pub fn new(command: &'static str, diagnostics: &Diagnostics) -> Self {
        Self {
            command,
            ok: !diagnostics.has_errors(),
            diagnostics: records(diagnostics),
            tests: None,
            payload: Vec::new(),
        }
    }

    /// Rendered in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self),
            Format::Github => github::render(self),
            Format::Junit => junit::render(self),
        }
    }

    /// How many diagnostics of `level` are not suppressed.
    pub fn count(&self, level: Level) -> usize {
        self.diagnostics
            .iter()
            .filter(|r| r.severity == level && r.suppressed.is_none())
            .count()
    }

    /// How many diagnostics are suppressed.
    pub fn suppressed(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|r| r.suppressed.is_some())
            .count()
    }

    /// The one-line summary, such as `1 error, 2 warnings`, and the tests' when there are.
    pub fn summary(&self) -> String {
        let mut s = crate::diagnostics::summary_line(
            self.count(Level::Error),
            self.count(Level::Warning),
            self.suppressed(),
        );
        if let Some(tests) = &self.tests {
            let failed = tests.iter().filter(|t| !t.passed).count();
            let _ = write!(s, "; {} passed, {failed} failed", tests.len() - failed);
        }
        s
    }
}

/// The records of every diagnostic, in order.
pub fn records(diagnostics: &Diagnostics) -> Vec<Record> {
    diagnostics
        .entries()
        .map(|e| {
            let mut r = record(e.diagnostic.as_ref(), e.elsewhere);
            r.suppressed = e.suppressed.map(|s| s.justification.clone());
            r
        })
        .collect()
}

/// The record of one diagnostic; `elsewhere` are its related places in other files.
pub fn record(d: &dyn Diagnostic, elsewhere: &[(Loc, String)]) -> Record {
    let severity = match d.severity() {
        None | Some(Severity::Error) => Level::Error,
        Some(Severity::Warning) => Level::Warning,
        Some(Severity::Advice) => Level::Advice,
    };
    let labels: Vec<LabeledSpan> = d.labels().map(Iterator::collect).unwrap_or_default();
    let source = d.source_code();
    // The primary label, or the first when none is marked primary.
    let primary = labels
        .iter()
        .position(LabeledSpan::primary)
        .or(if labels.is_empty() { None } else { Some(0) });
    let locate = |span: &SourceSpan| source.and_then(|s| location(s, span));
    let mut related: Vec<Related> = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != primary)
        .filter_map(|(_, l)| {
            Some(Related {
                message: l.label().unwrap_or_default().to_owned(),
                location: locate(l.inner())?,
            })
        })
        .collect();
    related.extend(elsewhere.iter().filter_map(|(loc, text)| {
        Some(Related {
            message: text.clone(),
            location: location(loc.file.as_ref(), &loc.span.into())?,
        })
    }));
    Record {
        code: d.code().map(|c| c.to_string()),
        severity,
        message: d.to_string(),
        help: d.help().map(|h| h.to_string()),
        location: primary.and_then(|i| locate(labels[i].inner())),
        label: primary.and_then(|i| labels[i].label().map(ToOwned::to_owned)),
        related,
        suppressed: None,
    }
}

/// The location of `loc`.
pub fn location_of(loc: &Loc) -> Option<Location> {
    location(loc.file.as_ref(), &loc.span.into())
}

/// The location of `span` in `source`, when the source names its file.
fn location(source: &dyn SourceCode, span: &SourceSpan) -> Option<Location> {
    let (file, line, column, line_start) = position(source, span.offset())?;
    let end = span.offset() + span.len();
    let (_, end_line, end_column, _) = position(source, end)?;
    let char_offset = chars_between(source, 0, line_start)? + column - 1;
    Some(Location {
        file,
        offset: span.offset(),
        length: span.len(),
        line,
        column,
        end_line,
        end_column,
        char_offset,
        char_length: chars_between(source, span.offset(), end)?,
    })
}

/// The file name, 1-based line and character column of byte `offset`, and the byte offset of
/// its line's start.
fn position(source: &dyn SourceCode, offset: usize) -> Option<(String, usize, usize, usize)> {
    let contents = source
        .read_span(&SourceSpan::new(offset.into(), 0), 0, 0)
        .ok()?;
    let file = contents.name()?.to_owned();
    // The source reports the column in bytes from the start of the line.
    let line_start = offset.checked_sub(contents.column())?;
    let column = chars_between(source, line_start, offset)? + 1;
    Some((file, contents.line() + 1, column, line_start))
}

/// How many characters the bytes from `from` to `to` hold. A source may hand out a long line
/// in windows, so it is read window by window.
fn chars_between(source: &dyn SourceCode, from: usize, to: usize) -> Option<usize> {
    let mut count = 0;
    let mut at = from;
    while at < to {
        let contents = source
            .read_span(&SourceSpan::new(at.into(), to - at), 0, 0)
            .ok()?;
        let skip = at.checked_sub(contents.span().offset())?;
        let data = contents.data().get(skip..)?;
        let take = data.len().min(to - at);
        if take == 0 {
            return None;
        }
        count += String::from_utf8_lossy(&data[..take]).chars().count();
        at += take;
    }
    Some(count)
}

/// The part of a code after its stage, in words: `unknown tag` for
/// `tagc::check::unknown-tag`.
pub(crate) fn code_words(code: &str) -> String {
    code.rsplit("::").next().unwrap_or(code).replace('-', " ")
}

/// A path as a relative URI reference with forward slashes, for SARIF and GitHub.
pub(crate) fn forward_slashes(path: &str) -> String {
    let path = path.replace('\\', "/");
    path.strip_prefix("./").unwrap_or(&path).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::source::SourceFile;

    fn report_of(files: &[(&str, &str)]) -> Report {
        let sources: Vec<_> = files
            .iter()
            .map(|(name, text)| SourceFile::new(*name, *text))
            .collect();
        let compiled = crate::compile_sources(&sources, Catalog::builtin());
        Report::new("check", &compiled.diagnostics)
    }

    #[test]
    fn test_a_record_has_line_and_column_in_characters_and_offsets_in_bytes() {
        // `é` is two bytes and one character.
        let r = report_of(&[(
            "a.tags",
            "# é\ntag owner\npolicy p {\n  require éowner on sqs:CreateQueue\n  attach to root\n}\n",
        )]);
        // A name is ASCII: `éowner` is a syntax error, at the name.
        let loc = r
            .diagnostics
            .first()
            .and_then(|d| d.location.clone())
            .unwrap_or_else(|| panic!("{r:?}"));
        let text = "# é\ntag owner\npolicy p {\n  require ";
        assert_eq!(loc.offset, text.len());
        assert_eq!(loc.length, "éowner".len());
        assert_eq!((loc.line, loc.column), (4, 11));
        assert_eq!((loc.end_line, loc.end_column), (4, 17));
        assert_eq!(loc.char_offset, text.chars().count());
        assert_eq!(loc.char_length, 6);
    }

    #[test]
    fn test_a_related_place_in_another_file_has_its_own_location() {
        let r = report_of(&[("a.tags", "tag owner\n"), ("b.tags", "\ntag owner\n")]);
        let dup = r
            .diagnostics
            .iter()
            .find(|d| d.code.as_deref() == Some("tagc::check::duplicate-tag"))
            .unwrap_or_else(|| panic!("{r:?}"));
        let here = dup.location.clone().unwrap_or_else(|| panic!("{dup:?}"));
        assert_eq!(
            (here.file.as_str(), here.line, here.column),
            ("b.tags", 2, 5)
        );
        assert_eq!(dup.related.len(), 1, "{dup:?}");
        let first = &dup.related[0];
        assert_eq!(first.message, "first declared here");
        assert_eq!(
            (
                first.location.file.as_str(),
                first.location.line,
                first.location.column
            ),
            ("a.tags", 1, 5)
        );
    }

    #[test]
    fn test_a_column_past_a_very_long_line_window_is_counted_whole() {
        // The snippet source hands out lines over 1,000 bytes in windows.
        let before = format!("tag owner {{ description \"{}\" }} tag ", "é".repeat(1_500));
        let text = format!("\n{before}owner\n");
        let r = report_of(&[("a.tags", &text)]);
        let dup = r
            .diagnostics
            .iter()
            .find(|d| d.code.as_deref() == Some("tagc::check::duplicate-tag"))
            .and_then(|d| d.location.clone())
            .unwrap_or_else(|| panic!("{r:?}"));
        assert_eq!((dup.line, dup.column), (2, before.chars().count() + 1));
        assert_eq!(dup.char_offset, text[..dup.offset].chars().count());
    }
}
