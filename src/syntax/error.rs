//! Syntax errors: what the parser found wrong with the text.

use miette::Severity;

use crate::diagnostics::located_diagnostic;
use crate::source::Loc;

/// What kind of syntax error, with its wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxErrorKind {
    /// The parser met a token it did not expect.
    #[error("unexpected {found}")]
    Unexpected {
        /// What was found, such as "`}`" or "end of file".
        found: String,
        /// What would have been accepted, in user words.
        expected: String,
    },
    /// The file is not UTF-8.
    #[error("file is not valid UTF-8")]
    InvalidUtf8,
    /// A string has an escape other than `\"` and `\\`.
    #[error("unknown escape `{0}` in string")]
    InvalidEscape(String),
}

impl SyntaxErrorKind {
    /// The stable diagnostic code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Unexpected { .. } => "tagc::syntax::unexpected",
            Self::InvalidUtf8 => "tagc::syntax::invalid-utf8",
            Self::InvalidEscape(_) => "tagc::syntax::invalid-escape",
        }
    }

    /// The label at the span.
    pub fn label(&self) -> String {
        match self {
            Self::Unexpected { expected, .. } => format!("expected {expected}"),
            Self::InvalidUtf8 => "this byte is not UTF-8".into(),
            Self::InvalidEscape(_) => "unknown escape".into(),
        }
    }

    /// The default help line.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::Unexpected { .. } => Some(
                "see docs/language.md for the syntax of `tag`, `policy`, `test` and `organization`"
                    .into(),
            ),
            Self::InvalidUtf8 => Some("save the file as UTF-8".into()),
            Self::InvalidEscape(_) => {
                Some("strings accept only the escapes `\\\"` and `\\\\`".into())
            }
        }
    }

    /// Every syntax error is an error.
    pub const fn severity(&self) -> Severity {
        Severity::Error
    }
}

/// A syntax error at a place in a file.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    /// What is wrong.
    pub kind: SyntaxErrorKind,
    /// Where.
    pub loc: Loc,
    /// Help computed at the error, overriding the kind's.
    pub help: Option<String>,
    /// Secondary labels.
    pub related: Vec<(Loc, String)>,
}

impl SyntaxError {
    /// An error of `kind` at `loc`.
    pub const fn new(kind: SyntaxErrorKind, loc: Loc) -> Self {
        Self {
            kind,
            loc,
            help: None,
            related: Vec::new(),
        }
    }
}

located_diagnostic!(SyntaxError);
