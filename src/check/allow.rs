//! Allow comments: acknowledging a warning where it is reported.
//!
//! Input: the project's source files and every diagnostic of the run. Output: the warnings an
//! allow comment names marked suppressed (they stay in the [`Diagnostics`], see
//! [`Suppression`]), and a warning for each allow comment that is malformed, names an unknown
//! code or an error, or, in a project without errors, acknowledges nothing.
//!
//! `# tagc: allow <code>[, <code>…] [-- reason]` (or `//`) applies to the line it ends when code
//! precedes it there, and otherwise, standing alone, to the next line that holds code (blank
//! lines and other comments between are skipped), like rustc's `#[allow]` on the next item or
//! eslint's `eslint-disable-next-line`. A warning is acknowledged when its primary label starts
//! on that line. A code is written whole (`tagc::check::no-targets`) or by its last part
//! (`no-targets`). Comments are found by the parser, so a `#` inside a string is not one.

use std::sync::Arc;

use miette::Diagnostic;

use super::{CheckError, CheckErrorKind};
use crate::diagnostics::{Diagnostics, Suppression};
use crate::source::{Loc, SourceFile, Span};
use crate::suggest::did_you_mean;

/// The index of `docs/errors.md`: every code tagc reports, with its severity. The test that
/// every code in the source is documented keeps it complete.
const ERRORS_MD: &str = include_str!("../../docs/errors.md");

/// Every documented code with its severity (`error` or `warning`), from the index table.
fn known_codes() -> Vec<(&'static str, &'static str)> {
    ERRORS_MD
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| [`")?;
            let (code, rest) = rest.split_once('`')?;
            let severity = rest.rsplit('|').nth(1)?.trim();
            Some((code, severity))
        })
        .collect()
}

/// One code of one allow comment.
struct Allow {
    /// The file the comment is in.
    file: Arc<SourceFile>,
    /// The 0-based line it applies to.
    line: usize,
    /// The full code.
    code: String,
    /// The code as written, with the comment's span, for a diagnostic about it.
    written: String,
    span: Span,
    /// The reason, or the whole comment.
    justification: String,
    /// Whether it acknowledged a warning.
    used: bool,
}

/// The 0-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |s| s.bytes().filter(|&b| b == b'\n').count())
}

/// The 0-based line a standalone comment ending line `line` applies to: the next line that holds
/// code, skipping blank lines and lines that start with a comment.
fn next_code_line(text: &str, line: usize, comment_starts: &[usize]) -> Option<usize> {
    let mut offset = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += l.len();
        if n <= line {
            continue;
        }
        let blanks = l.len() - l.trim_start().len();
        if l.trim().is_empty() || comment_starts.contains(&(start + blanks)) {
            continue;
        }
        return Some(n);
    }
    None
}

/// The codes an allow comment names, as written, and its reason.
type Directive<'a> = (Vec<&'a str>, Option<&'a str>);

/// The codes and reason of an allow comment: `Ok(None)` when the comment is not a `tagc:`
/// directive at all, `Err` with what is wrong when it is one but malformed.
fn parse_directive(comment: &str) -> Result<Option<Directive<'_>>, String> {
    let body = comment
        .strip_prefix('#')
        .or_else(|| comment.strip_prefix("//"))
        .unwrap_or(comment)
        .trim();
    let Some(directive) = body.strip_prefix("tagc:") else {
        return Ok(None);
    };
    let directive = directive.trim_start();
    let Some(rest) = directive.strip_prefix("allow") else {
        return Err("the only `tagc:` comment is `tagc: allow`".to_owned());
    };
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return Err("the only `tagc:` comment is `tagc: allow`".to_owned());
    }
    let (codes, reason) = match rest.split_once("--") {
        Some((codes, reason)) => (codes, Some(reason.trim()).filter(|r| !r.is_empty())),
        None => (rest, None),
    };
    let codes: Vec<&str> = codes.split(',').map(str::trim).collect();
    if codes.iter().any(|c| c.is_empty()) {
        return Err("name one or more codes, separated by commas".to_owned());
    }
    if let Some(bad) = codes.iter().find(|c| {
        !c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '-' | ':'))
    }) {
        return Err(format!("`{bad}` is not a code (put a reason after `--`)"));
    }
    Ok(Some((codes, reason)))
}

/// The full code `written` names: itself, or the one warning (else the one code) whose last
/// part it is.
fn resolve<'a>(written: &str, known: &[(&'a str, &'a str)]) -> Option<(&'a str, &'a str)> {
    if written.starts_with("tagc::") {
        return known.iter().find(|(c, _)| *c == written).copied();
    }
    let matching: Vec<_> = known
        .iter()
        .filter(|(c, _)| c.rsplit("::").next() == Some(written))
        .copied()
        .collect();
    matching
        .iter()
        .find(|(_, s)| *s == "warning")
        .or_else(|| matching.first())
        .copied()
}

/// Mark the warnings of `diagnostics` that allow comments in `sources` acknowledge, and add a
/// warning for each allow comment that is wrong or (when there are no errors) unused.
pub fn apply(sources: &[Arc<SourceFile>], diagnostics: &mut Diagnostics) {
    let known = known_codes();
    let mut problems = Diagnostics::new();
    let mut allows: Vec<Allow> = Vec::new();
    for file in sources {
        // Every directive starts `tagc:`; a file without it has none, and is not parsed again
        // for its comments (the project is alive meanwhile: this would add to the peak).
        if !file.text.contains("tagc:") {
            continue;
        }
        // A file that does not parse has its syntax errors reported; its allow comments wait.
        let Some(comments) = crate::syntax::format::comments(&file.text) else {
            continue;
        };
        let starts: Vec<usize> = comments.iter().map(|c| c.span.start).collect();
        for c in &comments {
            let Some(text) = file.text.get(c.span.start..c.span.end) else {
                continue;
            };
            let loc = Loc::new(file.clone(), c.span);
            let (codes, reason) = match parse_directive(text) {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(why) => {
                    problems.push(CheckError::new(CheckErrorKind::MalformedAllow(why), loc));
                    continue;
                }
            };
            let own = line_of(&file.text, c.span.start);
            let line = if c.trailing {
                Some(own)
            } else {
                next_code_line(&file.text, own, &starts)
            };
            for written in codes {
                match resolve(written, &known) {
                    None => {
                        let names = known
                            .iter()
                            .filter(|(_, s)| *s == "warning")
                            .flat_map(|(c, _)| [*c, c.rsplit("::").next().unwrap_or(c)]);
                        let mut e = CheckError::new(
                            CheckErrorKind::UnknownAllowCode(written.to_owned()),
                            loc.clone(),
                        );
                        if let Some(m) = did_you_mean(written, names) {
                            e = e.with_help(format!("did you mean `{m}`?"));
                        }
                        problems.push(e);
                    }
                    Some((code, severity)) if severity != "warning" => {
                        problems.push(CheckError::new(
                            CheckErrorKind::AllowError(code.to_owned()),
                            loc.clone(),
                        ));
                    }
                    Some((code, _)) => allows.push(Allow {
                        file: file.clone(),
                        // A comment on the last line, with no code after it, allows nothing.
                        line: line.unwrap_or(usize::MAX),
                        code: code.to_owned(),
                        written: written.to_owned(),
                        span: c.span,
                        justification: reason.unwrap_or(text).to_owned(),
                        used: false,
                    }),
                }
            }
        }
    }
    diagnostics.suppress_where(|d| {
        let code = d.code()?.to_string();
        let (file, offset) = primary(d, sources)?;
        let line = line_of(&file.text, offset);
        let mut suppression = None;
        for a in allows
            .iter_mut()
            .filter(|a| a.code == code && a.line == line && Arc::ptr_eq(&a.file, &file))
        {
            a.used = true;
            suppression.get_or_insert_with(|| Suppression {
                justification: a.justification.clone(),
            });
        }
        suppression
    });
    // With errors, the check may not reach what a warning needs: an allow that looks unused
    // then may not be.
    if !diagnostics.has_errors() {
        for a in allows.iter().filter(|a| !a.used) {
            problems.push(CheckError::new(
                CheckErrorKind::UnusedAllow(a.written.clone()),
                Loc::new(a.file.clone(), a.span),
            ));
        }
    }
    diagnostics.extend(problems);
}

/// The file (one of `sources`) and offset of a diagnostic's primary label.
fn primary(d: &dyn Diagnostic, sources: &[Arc<SourceFile>]) -> Option<(Arc<SourceFile>, usize)> {
    let label = d.labels()?.min_by_key(|l| !l.primary())?;
    let source = d.source_code()?;
    // A located diagnostic's source code is its file itself: the same object, so the same
    // address.
    let file = sources
        .iter()
        .find(|f| std::ptr::addr_eq(std::ptr::from_ref(source), Arc::as_ptr(f)))?;
    Some((file.clone(), label.offset()))
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;
    use crate::diagnostics::Diagnostics;
    use crate::source::SourceFile;

    /// The diagnostics of `text` as one file: each code with whether it is suppressed and why.
    fn run(text: &str) -> (Diagnostics, Vec<(String, Option<String>)>) {
        let compiled =
            crate::compile_sources(&[SourceFile::new("t.tags", text)], Catalog::builtin());
        let found = compiled
            .diagnostics
            .entries()
            .map(|e| {
                (
                    e.diagnostic
                        .code()
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                    e.suppressed.map(|s| s.justification.clone()),
                )
            })
            .collect();
        (compiled.diagnostics, found)
    }

    fn pair(code: &str, why: Option<&str>) -> (String, Option<String>) {
        (code.to_owned(), why.map(str::to_owned))
    }

    const TAG: &str = "tag owner\n";

    #[test]
    fn test_allow_on_the_warnings_line_suppresses_it_with_its_reason() {
        let (d, found) = run(&format!(
            "{TAG}policy p {{ # tagc: allow no-targets -- staging only\n  require owner on sqs:CreateQueue\n}}\n"
        ));
        assert_eq!(
            found,
            [pair("tagc::check::no-targets", Some("staging only"))]
        );
        assert_eq!((d.warning_count(), d.suppressed_count()), (0, 1));
        assert_eq!(d.summary(), "0 errors, 0 warnings, 1 warning suppressed");
        assert_eq!(d.render_human(false), "");
    }

    #[test]
    fn test_allow_alone_applies_to_the_next_line_of_code_by_full_code() {
        let text = format!(
            "{TAG}# tagc: allow tagc::check::no-targets\n\n# another comment\npolicy p {{\n  require owner on sqs:CreateQueue\n}}\n"
        );
        let (_, found) = run(&text);
        assert_eq!(
            found,
            [pair(
                "tagc::check::no-targets",
                Some("# tagc: allow tagc::check::no-targets")
            )]
        );
    }

    #[test]
    fn test_allow_on_another_line_suppresses_nothing_and_is_unused() {
        let (d, found) = run(&format!(
            "{TAG}policy p {{\n  require owner on sqs:CreateQueue # tagc: allow no-targets\n}}\n"
        ));
        assert_eq!(
            found,
            [
                pair("tagc::check::no-targets", None),
                pair("tagc::check::unused-allow", None)
            ]
        );
        assert_eq!(d.warning_count(), 2);
    }

    #[test]
    fn test_a_hash_inside_a_string_is_not_an_allow_comment() {
        let (_, found) = run(&format!(
            "{TAG}policy p {{ description \"# tagc: allow no-targets\"\n  require owner on sqs:CreateQueue\n}}\n"
        ));
        assert_eq!(found, [pair("tagc::check::no-targets", None)]);
    }

    #[test]
    fn test_allow_naming_an_error_or_an_unknown_code_is_a_warning_with_did_you_mean() {
        let text = "tag owner # tagc: allow unknown-tag, no-targts\n";
        let compiled =
            crate::compile_sources(&[SourceFile::new("t.tags", text)], Catalog::builtin());
        assert_eq!(
            compiled.diagnostics.codes(),
            [
                "tagc::check::allow-error",
                "tagc::check::unknown-allow-code"
            ]
        );
        let help: Vec<String> = compiled
            .diagnostics
            .iter()
            .filter_map(|d| d.help().map(|h| h.to_string()))
            .collect();
        assert_eq!(help[1], "did you mean `no-targets`?");
        assert!(compiled.ok());
    }

    #[test]
    fn test_a_malformed_tagc_comment_is_a_warning_and_plain_comments_are_not() {
        let (_, found) = run("tag owner # tagc: allow no-targets because\n# tagc is great\n");
        assert_eq!(found, [pair("tagc::check::malformed-allow", None)]);
        let (_, found) = run("tag owner # tagc: alow no-targets\n");
        assert_eq!(found, [pair("tagc::check::malformed-allow", None)]);
        let (_, found) = run("tag owner # tagc:allow\n");
        assert_eq!(found, [pair("tagc::check::malformed-allow", None)]);
    }

    #[test]
    fn test_unused_allows_are_not_reported_when_the_project_has_errors() {
        let (_, found) = run(
            "tag owner # tagc: allow no-targets\npolicy p { require nobody on sqs:CreateQueue\n attach to root }\n",
        );
        assert_eq!(found, [pair("tagc::check::unknown-tag", None)]);
    }

    #[test]
    fn test_errors_are_never_suppressed() {
        let (d, found) = run(
            "policy p { # tagc: allow unknown-tag\n  require nobody on sqs:CreateQueue\n  attach to root\n}\n",
        );
        assert_eq!(
            found,
            [
                pair("tagc::check::unknown-tag", None),
                pair("tagc::check::allow-error", None)
            ]
        );
        assert!(d.has_errors());
    }

    #[test]
    fn test_every_documented_warning_is_known_with_its_severity() {
        let known = super::known_codes();
        assert!(known.len() > 90, "{}", known.len());
        assert!(known.contains(&("tagc::check::no-targets", "warning")));
        assert!(known.contains(&("tagc::check::unknown-tag", "error")));
        assert!(known.iter().all(|(_, s)| *s == "warning" || *s == "error"));
    }
}
