//! Syntax error recovery inside a block.
//!
//! Input: the text of a top-level item that does not parse, and where its first error is.
//! Output: the syntax errors of the statements after the broken one, each parsed alone.
//!
//! pest stops at the first error, so without this the first broken statement of a `policy`,
//! `tag`, `test` or `organization` block would hide every later error of the block. The
//! block's body is cut into statements where a line starts with a statement keyword (line
//! breaks carry no meaning in the language, but a statement that starts a line is how every
//! file is written, so that is the reliable point), and each statement after the one holding
//! the first error is parsed alone. One error per broken statement, none for a good one: the
//! first error is the item's own, and a statement that parses alone adds nothing.

use std::sync::Arc;

use super::SyntaxError;
use super::parser::{Rule, starts_statement, statement_error};
use super::split::braces;
use crate::source::SourceFile;

/// The errors of the statements after the one that holds the item's first error (at byte
/// `error_at` of `text`, the item at `start` of `file`).
pub(super) fn later_statements(
    file: &Arc<SourceFile>,
    start: usize,
    text: &str,
    error_at: usize,
) -> Vec<SyntaxError> {
    let Some(entry) = entry_for(text) else {
        return Vec::new();
    };
    // An error in the header, or a block left open, is the item's only error.
    let Some((open, close)) = body(text) else {
        return Vec::new();
    };
    if error_at <= open {
        return Vec::new();
    }
    let starts = statement_starts(text, open + 1, close, entry);
    let mut errors = Vec::new();
    for (i, &s) in starts.iter().enumerate() {
        // The statements before the first error were parsed with the item, and so was the one
        // holding it. An error at the very start of a statement is the previous one's, cut
        // short (`by` without its string before `expect`): that statement is parsed alone.
        if s < error_at {
            continue;
        }
        let end = starts.get(i + 1).copied().unwrap_or(close);
        errors.extend(statement_error(file, start + s, start + end, entry));
    }
    errors
}

/// The rule that parses one statement of the item's block, by the item's keyword.
pub(super) fn entry_for(text: &str) -> Option<Rule> {
    let word: String = text
        .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    match word.as_str() {
        "policy" => Some(Rule::policy_stmt_entry),
        "tag" => Some(Rule::tag_stmt_entry),
        "test" => Some(Rule::test_stmt_entry),
        "organization" => Some(Rule::org_stmt_entry),
        _ => None,
    }
}

/// The byte offsets of the block's `{` and of the `}` that closes it, skipping strings and
/// comments; `None` when there is no block or it is not closed.
pub(super) fn body(text: &str) -> Option<(usize, usize)> {
    let mut open = None;
    let mut depth = 0usize;
    for (i, brace) in braces(text) {
        if brace == b'{' {
            open.get_or_insert(i);
            depth += 1;
        } else {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return open.map(|o| (o, i));
            }
        }
    }
    None
}

/// Where the statements of the body `from..to` start: each line whose first word the grammar
/// takes as the keyword of a statement of `entry`'s kind.
pub(super) fn statement_starts(text: &str, from: usize, to: usize, entry: Rule) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut line_start = from;
    while line_start < to {
        let line_end = text
            .get(line_start..to)
            .and_then(|rest| rest.find('\n'))
            .map_or(to, |n| line_start + n);
        let line = text.get(line_start..line_end).unwrap_or("");
        let indent = line.len() - line.trim_start().len();
        let word: &str = {
            let rest = line.trim_start();
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(rest.len());
            rest.get(..len).unwrap_or("")
        };
        if !word.is_empty() && starts_statement(word, entry) {
            starts.push(line_start + indent);
        }
        line_start = line_end + 1;
    }
    starts
}

#[cfg(test)]
mod tests {
    use crate::source::SourceFile;

    fn errors(text: &str) -> Vec<(String, String)> {
        let file = SourceFile::new("t.tags", text);
        let (_, errors) = super::super::parse(&file);
        errors
            .iter()
            .map(|e| {
                let span = e.loc.span;
                (
                    miette::Diagnostic::code(e)
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                    text[span.start..span.end].to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn test_each_broken_statement_of_a_policy_has_its_own_error() {
        let text = "tag owner\n\npolicy p {\n  require owner sqs:CreateQueue\n  attach to root\n  protect owner on sqs:TagQueue\n  only-declared-keys sqs:CreateQueue\n  exempt \"arn:aws:iam::*:role/Admin\"\n}\n";
        assert_eq!(
            errors(text),
            [
                (
                    "tagc::syntax::unexpected".to_owned(),
                    "sqs:CreateQueue".to_owned()
                ),
                (
                    "tagc::syntax::action-in-protect".to_owned(),
                    "sqs:TagQueue".to_owned()
                ),
                (
                    "tagc::syntax::unexpected".to_owned(),
                    "sqs:CreateQueue".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn test_a_good_statement_after_a_broken_one_is_not_reported() {
        let text = "policy p {\n  require owner on\n  attach to root\n  grant\n}\n";
        assert_eq!(errors(text).len(), 1, "{:?}", errors(text));
    }

    #[test]
    fn test_recovery_works_in_tag_test_and_organization_blocks() {
        let text = "tag t {\n  values dev\n  exact-case x\n  description \"d\"\n}\n\ntest \"x\" {\n  request sqs:CreateQueue by\n  expect maybe\n}\n\norganization {\n  limits huge\n  actions many\n}\n";
        let found: Vec<String> = errors(text).into_iter().map(|(_, s)| s).collect();
        assert_eq!(found, ["dev", "x", "expect", "maybe", "huge", "many"]);
    }

    #[test]
    fn test_an_error_in_the_header_or_an_unclosed_block_stays_one_error() {
        assert_eq!(errors("policy {\n  require\n  attach\n}\n").len(), 1);
        assert_eq!(errors("policy p {\n  require\n  attach\n").len(), 1);
    }
}
