//! Diagnostics: the errors and warnings of every stage, collected and rendered.
//!
//! Each stage has one error enum that derives [`miette::Diagnostic`], declaring per variant its
//! message, stable code, severity and help, so that every diagnostic renders the same way: a
//! code, a lowercase message, a labelled span in the named file where there is one, and a help
//! line. The stages that point into source files (syntax, check, emit) declare a [`Kind`] and
//! report it as a [`Located`]. [`Diagnostics`] holds
//! every diagnostic of a run, because users fix files faster when they see all errors at once.

use std::fmt::Write as _;
use std::sync::Arc;

use std::any::Any;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, Severity};

use crate::source::Loc;

/// A diagnostic of any stage.
pub type BoxedDiagnostic = Box<dyn Diagnostic + Send + Sync + 'static>;

/// A related place in another file than its diagnostic's, and what is there.
pub type Elsewhere = Vec<(Loc, String)>;

/// Why a warning was acknowledged at its site by an allow comment (`# tagc: allow <code>`, see
/// `docs/language.md`): the warning stays in the run's [`Diagnostics`] but is not shown to
/// people, not counted as a warning and does not fail `--deny-warnings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The reason given after `--` in the comment, or the whole comment when none is given.
    pub justification: String,
}

/// One diagnostic and, for an acknowledged warning, its suppression.
struct Entry {
    diagnostic: BoxedDiagnostic,
    /// Its related places in other files: a snippet shows one file, so miette's labels cannot
    /// carry them, and the machine formats need them as places, not text.
    elsewhere: Elsewhere,
    suppressed: Option<Suppression>,
}

/// One diagnostic of a run as renderers see it.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    /// The diagnostic.
    pub diagnostic: &'a BoxedDiagnostic,
    /// Its related places in other files than its own.
    pub elsewhere: &'a [(Loc, String)],
    /// Why it is acknowledged, when it is a warning an allow comment acknowledged.
    pub suppressed: Option<&'a Suppression>,
}

/// Every diagnostic of one run, in the order found.
#[derive(Default)]
pub struct Diagnostics {
    items: Vec<Entry>,
}

impl std::fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.items.iter().map(|e| e.diagnostic.to_string()))
            .finish()
    }
}

/// Whether a diagnostic of this severity is an error (miette's default, when none is declared).
fn is_error(d: &dyn Diagnostic) -> bool {
    matches!(d.severity(), None | Some(Severity::Error))
}

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one.
    pub fn push(&mut self, diagnostic: impl Diagnostic + Send + Sync + 'static) {
        let elsewhere = elsewhere(&diagnostic);
        self.items.push(Entry {
            diagnostic: Box::new(diagnostic),
            elsewhere,
            suppressed: None,
        });
    }

    /// Add all of another collection.
    pub fn extend(&mut self, other: Self) {
        self.items.extend(other.items);
    }

    /// Mark the warnings `suppress` returns a suppression for. Only warnings can be
    /// acknowledged: errors and advice are never offered to `suppress`.
    pub fn suppress_where(
        &mut self,
        mut suppress: impl FnMut(&dyn Diagnostic) -> Option<Suppression>,
    ) {
        for e in &mut self.items {
            if e.suppressed.is_none() && e.diagnostic.severity() == Some(Severity::Warning) {
                e.suppressed = suppress(e.diagnostic.as_ref());
            }
        }
    }

    /// Whether any diagnostic is an error (not a warning or advice).
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|e| is_error(e.diagnostic.as_ref()))
    }

    /// How many errors.
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|e| is_error(e.diagnostic.as_ref()))
            .count()
    }

    /// How many warnings, not counting the suppressed ones.
    pub fn warning_count(&self) -> usize {
        self.items
            .iter()
            .filter(|e| {
                e.suppressed.is_none() && e.diagnostic.severity() == Some(Severity::Warning)
            })
            .count()
    }

    /// How many warnings were acknowledged by an allow comment.
    pub fn suppressed_count(&self) -> usize {
        self.items.iter().filter(|e| e.suppressed.is_some()).count()
    }

    /// Whether there are none at all.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The diagnostics, suppressed ones included.
    pub fn iter(&self) -> impl Iterator<Item = &BoxedDiagnostic> {
        self.items.iter().map(|e| &e.diagnostic)
    }

    /// Each diagnostic with its related places in other files and its suppression, if it is an
    /// acknowledged warning (for renderers that report suppressed findings, as SARIF does).
    pub fn entries(&self) -> impl Iterator<Item = EntryRef<'_>> {
        self.items.iter().map(|e| EntryRef {
            diagnostic: &e.diagnostic,
            elsewhere: &e.elsewhere,
            suppressed: e.suppressed.as_ref(),
        })
    }

    /// The codes of all diagnostics, in order (for tests and summaries).
    pub fn codes(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|e| {
                e.diagnostic
                    .code()
                    .map(|c| c.to_string())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Render for a terminal; `color` selects ANSI colours. Suppressed warnings are left out
    /// (the summary counts them).
    pub fn render_human(&self, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            // ANSI codes would make snapshots and logs unreadable.
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        for e in self.items.iter().filter(|e| e.suppressed.is_none()) {
            let d = e.diagnostic.as_ref();
            if handler.render_report(&mut out, d).is_err() {
                let _ = writeln!(out, "{d}");
            }
        }
        out
    }

    /// A one-line summary such as `2 errors, 1 warning`, followed by `, 1 warning suppressed`
    /// when allow comments acknowledged some.
    pub fn summary(&self) -> String {
        summary_line(
            self.error_count(),
            self.warning_count(),
            self.suppressed_count(),
        )
    }
}

/// The one-line count of a run's diagnostics, such as `2 errors, 1 warning`, followed by
/// `, 1 warning suppressed` when allow comments acknowledged some.
pub fn summary_line(errors: usize, warnings: usize, suppressed: usize) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut s = format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    if suppressed > 0 {
        let _ = write!(s, ", {} suppressed", plural(suppressed, "warning"));
    }
    s
}

/// The kind of a located diagnostic: what is wrong, declared once per variant. Its message
/// comes from `#[error(…)]` (thiserror), its code, severity and help from `#[diagnostic(…)]`
/// (miette), and its primary label from `#[label(…)]` ([`tagc_macros::PrimaryLabel`], which also
/// refuses a variant without a declared severity, so none falls through to a default).
pub trait Kind: Diagnostic + Send + Sync + 'static {
    /// The text of the primary label, at the diagnostic's location.
    fn label(&self) -> String;
}

/// A diagnostic of kind `K` at a place in a source file: the syntax, check and emit stages'
/// errors and warnings.
///
/// Secondary labels follow one rule: a label in the same file as the diagnostic is drawn in its
/// snippet; a label in another file (a snippet shows one file) is said at the end of the help
/// line as `text: file:line:col`. Either way it is shown.
#[derive(Debug, Clone)]
pub struct Located<K> {
    /// What is wrong.
    pub kind: K,
    /// Where.
    pub loc: Loc,
    /// Help computed where the error was found (such as "did you mean"), replacing the kind's.
    help: Option<String>,
    /// Secondary labels, such as the first declaration of a duplicate.
    related: Vec<(Loc, String)>,
}

impl<K: Kind> Located<K> {
    /// A diagnostic of `kind` at `loc`.
    pub const fn new(kind: K, loc: Loc) -> Self {
        Self {
            kind,
            loc,
            help: None,
            related: Vec::new(),
        }
    }

    /// With help computed at the error, in place of the kind's.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// With a secondary label at `loc`, in this file or another.
    #[must_use]
    pub fn with_related(mut self, loc: &Loc, text: &str) -> Self {
        self.related.push((loc.clone(), text.to_owned()));
        self
    }

    fn in_this_file(&self, loc: &Loc) -> bool {
        Arc::ptr_eq(&loc.file, &self.loc.file)
    }

    /// The secondary labels in other files than this diagnostic's.
    pub fn related_elsewhere(&self) -> Elsewhere {
        self.related
            .iter()
            .filter(|(loc, _)| !self.in_this_file(loc))
            .cloned()
            .collect()
    }
}

/// The related places in other files of `diagnostic`, when it is a [`Located`] one: those are
/// the only diagnostics with places in more than one file.
fn elsewhere(diagnostic: &dyn Any) -> Elsewhere {
    fn of<K: Kind>(d: &dyn Any) -> Option<Elsewhere> {
        d.downcast_ref::<Located<K>>()
            .map(Located::related_elsewhere)
    }
    // Every kind of located diagnostic; a test checks that none is missing.
    of::<crate::syntax::SyntaxErrorKind>(diagnostic)
        .or_else(|| of::<crate::check::CheckErrorKind>(diagnostic))
        .or_else(|| of::<crate::emit::EmitErrorKind>(diagnostic))
        .unwrap_or_default()
}

impl<K: Kind> std::fmt::Display for Located<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.kind, f)
    }
}

impl<K: Kind> std::error::Error for Located<K> {}

impl<K: Kind> Diagnostic for Located<K> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.kind.code()
    }

    fn severity(&self) -> Option<Severity> {
        self.kind.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let mut help = match &self.help {
            Some(h) => Some(h.clone()),
            None => self.kind.help().map(|h| h.to_string()),
        };
        for (loc, text) in self.related.iter().filter(|(l, _)| !self.in_this_file(l)) {
            let (line, col) = loc.line_col();
            let note = format!("{text}: {}:{line}:{col}", loc.file.name);
            help = Some(match help {
                Some(h) => format!("{h}; {note}"),
                None => note,
            });
        }
        help.map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.loc.file.as_ref())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = LabeledSpan::new_primary_with_span(Some(self.kind.label()), self.loc.span);
        let others = self
            .related
            .iter()
            .filter(|(loc, _)| self.in_this_file(loc))
            .map(|(loc, text)| LabeledSpan::new_with_span(Some(text.clone()), loc.span));
        Some(Box::new(std::iter::once(primary).chain(others)))
    }
}

#[cfg(test)]
mod tests {
    use syn::visit::Visit;

    use crate::catalog::Catalog;
    use crate::source::SourceFile;

    /// Finds the items deriving `Diagnostic` whose severity is left to a default.
    #[derive(Default)]
    struct Undeclared {
        file: String,
        found: Vec<String>,
        seen: usize,
    }

    /// Whether one of `attrs` is `#[name(…)]` holding a bare `word` or a `word(…)`.
    fn has(attrs: &[syn::Attribute], name: &str, words: &[&str]) -> bool {
        let parser = syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated;
        attrs.iter().any(|a| {
            a.path().is_ident(name)
                && a.parse_args_with(parser).is_ok_and(|metas| {
                    metas
                        .iter()
                        .any(|m| words.iter().any(|w| m.path().is_ident(w)))
                })
        })
    }

    /// Whether `attrs` declare a severity (or forward the whole diagnostic to another).
    fn declares_severity(attrs: &[syn::Attribute]) -> bool {
        has(attrs, "diagnostic", &["severity", "transparent"])
    }

    fn derives_diagnostic(attrs: &[syn::Attribute]) -> bool {
        attrs.iter().any(|a| {
            a.path().is_ident("derive")
                && a.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                )
                .is_ok_and(|paths| {
                    paths
                        .iter()
                        .any(|p| p.segments.last().is_some_and(|s| s.ident == "Diagnostic"))
                })
        })
    }

    impl Visit<'_> for Undeclared {
        fn visit_item_struct(&mut self, item: &syn::ItemStruct) {
            if derives_diagnostic(&item.attrs) {
                self.seen += 1;
                if !declares_severity(&item.attrs) {
                    self.found.push(format!("{}: {}", self.file, item.ident));
                }
            }
        }

        fn visit_item_enum(&mut self, item: &syn::ItemEnum) {
            if derives_diagnostic(&item.attrs) {
                for v in &item.variants {
                    self.seen += 1;
                    if !declares_severity(&v.attrs) {
                        self.found
                            .push(format!("{}: {}::{}", self.file, item.ident, v.ident));
                    }
                }
            }
        }
    }

    /// miette leaves an undeclared severity to the renderer, which would show a new warning
    /// as an error; the located kinds' derive refuses one at compile time, and this test
    /// covers every other diagnostic.
    #[test]
    fn test_every_diagnostic_declares_its_severity() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut visitor = Undeclared::default();
        for entry in walkdir::WalkDir::new(root.join("src")) {
            let entry = entry.unwrap();
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let file = syn::parse_file(&text).unwrap();
            visitor.file = entry.path().display().to_string();
            visitor.visit_file(&file);
        }
        assert!(visitor.seen > 90, "found only {} diagnostics", visitor.seen);
        assert!(
            visitor.found.is_empty(),
            "declare `severity(…)` in `#[diagnostic(…)]`: {:?}",
            visitor.found
        );
    }

    /// [`super::elsewhere`] names every kind of located diagnostic: a kind it missed would lose
    /// its related places in other files from the machine-readable reports.
    #[test]
    fn test_every_located_kind_keeps_its_places_elsewhere() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let this = std::fs::read_to_string(root.join("src/diagnostics.rs")).unwrap();
        let mut kinds = Vec::new();
        for entry in walkdir::WalkDir::new(root.join("src")) {
            let entry = entry.unwrap();
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            // `pub type SyntaxError = Located<SyntaxErrorKind>;`
            for line in text
                .lines()
                .filter(|l| l.trim_start().starts_with("pub type "))
            {
                if let Some((_, rest)) = line.split_once("= Located<") {
                    kinds.push(rest.trim_end_matches(">;").to_owned());
                }
            }
        }
        assert!(kinds.len() >= 3, "{kinds:?}");
        for kind in kinds {
            assert!(
                this.contains(&format!("::{kind}>(diagnostic)")),
                "`elsewhere` does not name {kind}"
            );
        }
    }

    /// The help line of the one diagnostic with `code` when `files` compile.
    fn help_of(files: &[(&str, &str)], code: &str) -> String {
        let sources: Vec<_> = files
            .iter()
            .map(|(name, text)| SourceFile::new(*name, *text))
            .collect();
        let compiled = crate::compile_sources(&sources, Catalog::builtin());
        let found: Vec<_> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.code().is_some_and(|c| c.to_string() == code))
            .collect();
        assert_eq!(found.len(), 1, "{:?}", compiled.diagnostics);
        found[0].help().map(|h| h.to_string()).unwrap_or_default()
    }

    #[test]
    fn test_emit_labels_in_another_file_are_named_in_the_help() {
        // Each policy has its own set of targets, so that their SCPs are not shared and the
        // root's slots overflow.
        let a = "organization {\n  limits legacy\n}\ntag owner\n\
                 policy p0 {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n\
                 policy p1 {\n  require owner on sqs:CreateQueue\n  attach to root, ou \"Root/A\"\n}\n\
                 policy p2 {\n  require owner on sqs:CreateQueue\n  attach to root, ou \"Root/B\"\n}\n";
        let b = "policy p3 {\n  require owner on sqs:CreateQueue\n  attach to root, ou \"Root/C\"\n}\n\
                 policy p4 {\n  require owner on sqs:CreateQueue\n  attach to root, ou \"Root/D\"\n}\n";
        assert_eq!(
            help_of(
                &[("a.tags", a), ("b.tags", b)],
                "tagc::emit::slots-exceeded"
            ),
            "attach fewer policies to this target, or merge policies that share it; \
             `FullAWSAccess` takes a slot under the deny-list strategy (see \
             `organization { scp-strategy … }`); also attached here: b.tags:1:8; \
             also attached here: b.tags:5:8"
        );
    }

    #[test]
    fn test_help_given_after_a_label_in_another_file_keeps_the_label() {
        use crate::check::{CheckError, CheckErrorKind};
        use crate::source::{Loc, Span};
        let a = SourceFile::new("a.tags", "tag owner\n");
        let b = SourceFile::new("b.tags", "tag Owner\n");
        let error = CheckError::new(
            CheckErrorKind::DuplicateTag("Owner".into()),
            Loc::new(b, Span::new(4, 9)),
        )
        .with_related(&Loc::new(a, Span::new(4, 9)), "first declared here")
        .with_help("keep one");
        assert_eq!(
            miette::Diagnostic::help(&error)
                .map(|h| h.to_string())
                .as_deref(),
            Some("keep one; first declared here: a.tags:1:5")
        );
    }

    #[test]
    fn test_check_labels_in_another_file_are_named_in_the_help() {
        let a = "tag owner\npolicy a {\n  enforce owner for sagemaker:training-job\n  \
                 attach to ou \"Root/ML\"\n}\n";
        let b = "policy b {\n  enforce owner for sagemaker:processing-job\n  \
                 attach to ou \"Root/ML\"\n}\n";
        assert_eq!(
            help_of(
                &[("a.tags", a), ("b.tags", b)],
                "tagc::check::conflicting-rules"
            ),
            "AWS keeps the setting of whichever tag policy was attached first; set it in one \
             policy; the other policy: a.tags:2:8"
        );
    }
}
