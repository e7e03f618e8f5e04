//! The syntax stage: `.tags` text to [`ast::File`], with pest.
//!
//! Input: one [`SourceFile`]. Output: its syntax tree, or every syntax error found: each
//! top-level item is parsed alone (see [`split`]), and inside a block each broken statement
//! has its own error (see [`recover`]).

mod error;
mod expect;
pub mod format;
mod parser;
mod recover;
mod rules;
mod split;

use std::sync::Arc;

pub use error::{SyntaxError, SyntaxErrorKind};
pub use expect::{Expected, expected_at};
pub use format::{FormatError, format, format_source};
pub use parser::tag_name_text;

use crate::ast;
use crate::source::{Loc, SourceFile, Span};

/// Parse one file. Returns the items that parsed and the errors of those that did not, so that
/// the check stage can still report what it finds in the good items.
pub fn parse(file: &Arc<SourceFile>) -> (ast::File, Vec<SyntaxError>) {
    let mut out = ast::File::default();
    let mut errors = Vec::new();
    for (start, end) in split::split_items(&file.text) {
        match parser::parse_item(file, start, end) {
            Ok(item) => out.items.push(item),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    (out, errors)
}

/// Parse one file item by item, handing each item to `each` as soon as it is parsed, so that a
/// caller can keep only what it needs of the tree. Returns the errors of the items that did
/// not parse, as [`parse`] does.
pub fn parse_each(file: &Arc<SourceFile>, mut each: impl FnMut(ast::Item)) -> Vec<SyntaxError> {
    let mut errors = Vec::new();
    for (start, end) in split::split_items(&file.text) {
        match parser::parse_item(file, start, end) {
            Ok(item) => each(item),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    errors
}

/// Turn raw bytes into a source file, or the error for the first invalid UTF-8 byte.
pub fn decode(name: &str, bytes: Vec<u8>) -> Result<Arc<SourceFile>, SyntaxError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(err) => {
            let valid_up_to = err.utf8_error().valid_up_to();
            // Show the file up to the bad byte, with the rest replaced, so the span is real.
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let file = SourceFile::new(name, text);
            let loc = Loc::new(
                file,
                Span::new(valid_up_to, valid_up_to + '\u{FFFD}'.len_utf8()),
            );
            Err(SyntaxError::new(SyntaxErrorKind::InvalidUtf8, loc))
        }
    }
}
