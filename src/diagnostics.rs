//! Diagnostics: the errors and warnings of every stage, collected and rendered.
//!
//! Each stage has its own error type (a kind enum with the wording, plus a location), and they
//! all implement [`miette::Diagnostic`] so that they render the same way: a stable code, a
//! lowercase message, a labelled span in the named file, and a help line. [`Diagnostics`] holds
//! every diagnostic of a run, because users fix files faster when they see all errors at once.

use std::fmt::Write as _;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, JSONReportHandler, Severity};

/// A diagnostic of any stage.
pub type BoxedDiagnostic = Box<dyn Diagnostic + Send + Sync + 'static>;

/// Every diagnostic of one run, in the order found.
#[derive(Default)]
pub struct Diagnostics {
    items: Vec<BoxedDiagnostic>,
}

impl std::fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.items.iter().map(ToString::to_string))
            .finish()
    }
}

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one.
    pub fn push(&mut self, diagnostic: impl Diagnostic + Send + Sync + 'static) {
        self.items.push(Box::new(diagnostic));
    }

    /// Add all of another collection.
    pub fn extend(&mut self, other: Self) {
        self.items.extend(other.items);
    }

    /// Whether any diagnostic is an error (not a warning or advice).
    pub fn has_errors(&self) -> bool {
        self.items
            .iter()
            .any(|d| matches!(d.severity(), None | Some(Severity::Error)))
    }

    /// How many errors.
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| matches!(d.severity(), None | Some(Severity::Error)))
            .count()
    }

    /// How many warnings.
    pub fn warning_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity() == Some(Severity::Warning))
            .count()
    }

    /// Whether there are none at all.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The diagnostics.
    pub fn iter(&self) -> impl Iterator<Item = &BoxedDiagnostic> {
        self.items.iter()
    }

    /// The codes of all diagnostics, in order (for tests and summaries).
    pub fn codes(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|d| d.code().map(|c| c.to_string()).unwrap_or_default())
            .collect()
    }

    /// Render for a terminal; `color` selects ANSI colours.
    pub fn render_human(&self, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            // ANSI codes would make snapshots and logs unreadable.
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        for d in &self.items {
            if handler.render_report(&mut out, d.as_ref()).is_err() {
                let _ = writeln!(out, "{d}");
            }
        }
        out
    }

    /// Render as JSON: one object per diagnostic in a `diagnostics` array.
    pub fn render_json(&self) -> String {
        let handler = JSONReportHandler::new();
        let mut items = Vec::new();
        for d in &self.items {
            let mut one = String::new();
            if handler.render_report(&mut one, d.as_ref()).is_ok()
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&one)
            {
                items.push(v);
            }
        }
        let doc = serde_json::json!({
            "errors": self.error_count(),
            "warnings": self.warning_count(),
            "diagnostics": items,
        });
        // A JSON value always serializes: `{:#}` pretty-prints it.
        format!("{doc:#}")
    }

    /// A one-line summary such as `2 errors, 1 warning`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        format!(
            "{}, {}",
            plural(self.error_count(), "error"),
            plural(self.warning_count(), "warning")
        )
    }
}

/// Implements [`miette::Diagnostic`] for a stage's located error: a struct with fields
/// `kind` (whose `code()`, `label()` and `help()` give the wording), `loc`, `help`
/// (extra help computed where the error was found, such as "did you mean") and `related`
/// (secondary labels).
macro_rules! located_diagnostic {
    ($ty:ty) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.kind, f)
            }
        }

        impl std::error::Error for $ty {}

        impl miette::Diagnostic for $ty {
            fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
                Some(Box::new(self.kind.code()))
            }

            fn severity(&self) -> Option<miette::Severity> {
                Some(self.kind.severity())
            }

            fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
                match (&self.help, self.kind.help()) {
                    (Some(h), _) => Some(Box::new(h.clone())),
                    (None, Some(h)) => Some(Box::new(h)),
                    (None, None) => None,
                }
            }

            fn source_code(&self) -> Option<&dyn miette::SourceCode> {
                Some(self.loc.file.as_ref())
            }

            fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
                let primary = miette::LabeledSpan::new_primary_with_span(
                    Some(self.kind.label()),
                    self.loc.span,
                );
                let others = self
                    .related
                    .iter()
                    .filter(|(loc, _)| std::sync::Arc::ptr_eq(&loc.file, &self.loc.file))
                    .map(|(loc, text)| {
                        miette::LabeledSpan::new_with_span(Some(text.clone()), loc.span)
                    });
                Some(Box::new(std::iter::once(primary).chain(others)))
            }
        }
    };
}

pub(crate) use located_diagnostic;
