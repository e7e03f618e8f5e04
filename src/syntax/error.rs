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
