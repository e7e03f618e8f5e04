//! Byte offsets to LSP positions and back.
//!
//! Input: a document's text and a byte offset, or an LSP position. Output: the other one. LSP
//! counts columns in UTF-16 code units unless client and server agree on UTF-8
//! (`positionEncoding`, LSP 3.17): a column in the wrong unit puts every diagnostic after a
//! non-ASCII character in the wrong place.
//! <https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#positionEncodingKind>

use lsp_types::{Position, Range};

/// The unit of an LSP column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes of UTF-8, when the client offered it.
    Utf8,
    /// UTF-16 code units, the protocol's default.
    Utf16,
}

/// The position of byte `offset` of `text` (clamped to the text, and to a character boundary).
pub fn position(text: &str, offset: usize, encoding: Encoding) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count();
    let in_line = text.get(line_start..offset).unwrap_or("");
    let column = match encoding {
        Encoding::Utf8 => in_line.len(),
        Encoding::Utf16 => in_line.encode_utf16().count(),
    };
    Position::new(to_u32(line), to_u32(column))
}

/// The range of bytes `start..end` of `text`.
pub fn range(text: &str, start: usize, end: usize, encoding: Encoding) -> Range {
    Range::new(
        position(text, start, encoding),
        position(text, end, encoding),
    )
}

/// The byte offset of `pos` in `text`: past the end of its line when the column is, and the end
/// of the text when the line is.
pub fn offset(text: &str, pos: Position, encoding: Encoding) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text.get(line_start..).and_then(|rest| rest.find('\n')) {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let rest = text.get(line_start..).unwrap_or("");
    let line = rest.split('\n').next().unwrap_or("");
    let wanted = pos.character as usize;
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units >= wanted {
            return line_start + i;
        }
        units += match encoding {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        };
    }
    line_start + line.len()
}

/// A count as LSP's `u32`, saturating (a document of four billion lines is not edited).
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::{Encoding, offset, position};
    use lsp_types::Position;

    #[test]
    fn test_utf16_columns_count_code_units_after_non_ascii_text() {
        // `é` is 2 bytes and 1 UTF-16 unit; `𝄞` is 4 bytes and 2 UTF-16 units.
        let text = "tag owner\n  description \"é𝄞\" nope\n";
        let nope = text.find("nope").unwrap_or_default();
        assert_eq!(position(text, nope, Encoding::Utf16), Position::new(1, 20));
        assert_eq!(position(text, nope, Encoding::Utf8), Position::new(1, 23));
        assert_eq!(offset(text, Position::new(1, 20), Encoding::Utf16), nope);
        assert_eq!(offset(text, Position::new(1, 23), Encoding::Utf8), nope);
    }

    #[test]
    fn test_positions_past_the_end_are_clamped() {
        let text = "ab\ncd";
        assert_eq!(offset(text, Position::new(0, 9), Encoding::Utf16), 2);
        assert_eq!(
            offset(text, Position::new(7, 0), Encoding::Utf16),
            text.len()
        );
        assert_eq!(position(text, 99, Encoding::Utf16), Position::new(1, 2));
        // Inside a multi-byte character: the character's start.
        assert_eq!(position("é", 1, Encoding::Utf8), Position::new(0, 0));
    }
}
