//! Syntax errors: what the parser found wrong with the text.
//!
//! Input: the parser's and the decoder's findings. Output: [`SyntaxError`], a diagnostic at a
//! place in the file, each kind declaring its message, code, severity, label and help below.

use miette::Diagnostic;
use tagc_macros::PrimaryLabel;

use crate::diagnostics::Located;

/// What kind of syntax error, with its wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic, PrimaryLabel)]
#[non_exhaustive]
pub enum SyntaxErrorKind {
    /// The parser met a token it did not expect.
    #[error("unexpected {found}")]
    #[diagnostic(
        code("tagc::syntax::unexpected"),
        severity(Error),
        help("see docs/language.md for the syntax of `tag`, `policy`, `test` and `organization`")
    )]
    #[label("expected {expected}")]
    Unexpected {
        /// What was found, such as "`}`" or "end of file".
        found: String,
        /// What would have been accepted, in user words.
        expected: String,
    },
    /// A word where a keyword was expected, close to one of those keywords.
    #[error("unknown keyword `{found}`")]
    #[diagnostic(
        code("tagc::syntax::unknown-keyword"),
        severity(Error),
        help("did you mean `{suggestion}`?")
    )]
    #[label("not a keyword")]
    UnknownKeyword {
        /// The word written.
        found: String,
        /// The keyword it is closest to.
        suggestion: &'static str,
    },
    /// A string whose closing quote is missing on its line.
    #[error("unterminated string")]
    #[diagnostic(
        code("tagc::syntax::unterminated-string"),
        severity(Error),
        help("close the string with `\"` on the same line: strings do not span lines")
    )]
    #[label("this string is not closed")]
    UnterminatedString,
    /// A `{` whose `}` is missing when the file ends or the next item starts.
    #[error("unclosed `{{`: the block has no `}}`")]
    #[diagnostic(
        code("tagc::syntax::unclosed-brace"),
        severity(Error),
        help("add the missing `}}` after the last statement of this block")
    )]
    #[label("this `{{` is not closed")]
    UnclosedBrace,
    /// A `service:Action` where `protect … on` takes a service.
    #[error("`protect … on` takes services, not actions")]
    #[diagnostic(
        code("tagc::syntax::action-in-protect"),
        severity(Error),
        help(
            "write the service alone, such as `on {service}`: `protect` covers the tagging actions of each service it names"
        )
    )]
    #[label("an action, not a service")]
    ActionInProtect {
        /// The service prefix of the action written.
        service: String,
    },
    /// The file is not UTF-8.
    #[error("file is not valid UTF-8")]
    #[diagnostic(
        code("tagc::syntax::invalid-utf8"),
        severity(Error),
        help("save the file as UTF-8")
    )]
    #[label("this byte is not UTF-8")]
    InvalidUtf8,
    /// A string has an escape other than `\"` and `\\`.
    #[error("unknown escape `{0}` in string")]
    #[diagnostic(
        code("tagc::syntax::invalid-escape"),
        severity(Error),
        help("strings accept only the escapes `\\\"` and `\\\\`")
    )]
    #[label("unknown escape")]
    InvalidEscape(String),
}

/// A syntax error at a place in a file.
pub type SyntaxError = Located<SyntaxErrorKind>;
