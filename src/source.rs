//! Source files and byte spans.
//!
//! Every node of the syntax tree carries a [`Loc`]: the file it came from and a byte span in it,
//! so that any later stage can point a diagnostic at the exact text the user wrote.

use std::fmt;
use std::sync::Arc;

use miette::{MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// One `.tags` file as read from disk (or given by a test).
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The name shown in diagnostics: the path as the user gave it.
    pub name: String,
    /// The file's text. Invalid UTF-8 has been replaced before it gets here.
    pub text: String,
}

impl SourceFile {
    /// A shared source file.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            text: text.into(),
        })
    }
}

/// Lines longer than this many bytes are not shown whole in a diagnostic's snippet: the
/// renderer pads with Rust's formatting width, which cannot exceed 65,535 columns, and a line
/// that long is unreadable anyway.
const MAX_SNIPPET_LINE: usize = 1_000;
/// Bytes shown before a span when its line is clipped.
const CLIP_MARGIN: usize = 80;

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        if inner
            .data()
            .split(|&b| b == b'\n')
            .any(|line| line.len() > MAX_SNIPPET_LINE)
        {
            return Ok(Box::new(self.clipped(span, context_lines_before > 0)));
        }
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

impl SourceFile {
    /// The snippet for `span` when its context holds a very long line: only the span's own line,
    /// from a little before the span (from the span itself when `margin` is false, which is
    /// how the renderer asks for the line and column of the header) to at most
    /// [`MAX_SNIPPET_LINE`] bytes further. Offsets stay those of the file, so labels inside the
    /// window are drawn where they belong; the header's line and column stay exact.
    fn clipped(&self, span: &SourceSpan, margin: bool) -> MietteSpanContents<'_> {
        let text = self.text.as_str();
        let floor = |mut i: usize| {
            i = i.min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let start = floor(span.offset());
        let end = floor(span.offset().saturating_add(span.len())).max(start);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let from = if margin {
            floor(start.saturating_sub(CLIP_MARGIN).max(line_start))
        } else {
            start
        };
        let to = floor(
            end.saturating_add(CLIP_MARGIN)
                .min(line_end)
                .min(from + MAX_SNIPPET_LINE),
        )
        .max(from);
        let line = text[..start].matches('\n').count();
        MietteSpanContents::new_named(
            self.name.clone(),
            &text.as_bytes()[from..to],
            (from, to - from).into(),
            line,
            // The renderer counts columns in bytes from the start of the data it is given.
            from - line_start,
            1,
        )
    }
}

/// A byte range in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span from `start` to `end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// This span moved `by` bytes to the right.
    #[must_use]
    pub const fn shift(self, by: usize) -> Self {
        Self {
            start: self.start + by,
            end: self.end + by,
        }
    }
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> Self {
        Self::new(span.start.into(), span.end.saturating_sub(span.start))
    }
}

impl From<pest::Span<'_>> for Span {
    fn from(span: pest::Span<'_>) -> Self {
        Self::new(span.start(), span.end())
    }
}

/// A place in a named file.
#[derive(Clone, PartialEq, Eq)]
pub struct Loc {
    /// The file.
    pub file: Arc<SourceFile>,
    /// Where in it.
    pub span: Span,
}

impl Loc {
    /// A place in `file`.
    pub const fn new(file: Arc<SourceFile>, span: Span) -> Self {
        Self { file, span }
    }

    /// The text this location covers.
    pub fn text(&self) -> &str {
        self.file
            .text
            .get(self.span.start..self.span.end)
            .unwrap_or("")
    }

    /// 1-based line and column of the start, for compact output.
    pub fn line_col(&self) -> (usize, usize) {
        let before = self.file.text.get(..self.span.start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

impl fmt::Debug for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}..{}",
            self.file.name, self.span.start, self.span.end
        )
    }
}
