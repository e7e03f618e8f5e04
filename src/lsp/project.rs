//! The project an open document belongs to, and what the pipeline says about it.
//!
//! Input: a document's URI and the texts of the open documents. Output: the project's files
//! (every `.tags` file of the document's directory, as `tagc check DIR` reads it, with open
//! buffers in place of what is on disk), its diagnostics as LSP diagnostics per file, and its
//! checked model for completion, hover and go to definition.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Url,
};

use super::position::{Encoding, range};
use crate::catalog::Catalog;
use crate::diagnostics::Diagnostics;
use crate::model::Project as Model;
use crate::report::{Level, Record};
use crate::source::SourceFile;

/// One file of a project.
#[derive(Debug, Clone)]
pub struct File {
    /// Where the client knows it.
    pub uri: Url,
    /// The name diagnostics give it (its path, or the URI of an unsaved buffer).
    pub name: String,
    /// Its text: the open buffer's, or what is on disk.
    pub text: String,
}

/// The files compiled together, and what could not be read.
#[derive(Debug, Default)]
pub struct Project {
    /// The files, in the order `tagc check` reads them.
    pub files: Vec<File>,
    /// Files of the directory that could not be read.
    pub unreadable: Diagnostics,
}

impl Project {
    /// The project of `uri`: the `.tags` files of its directory, open buffers first.
    pub fn of(uri: &Url, open: &BTreeMap<Url, String>) -> Self {
        let mut project = Self::default();
        let dir = uri
            .to_file_path()
            .ok()
            .and_then(|p| p.parent().map(PathBuf::from));
        let Some(dir) = dir else {
            // An unsaved buffer with no directory is a project of its own.
            if let Some(text) = open.get(uri) {
                project.files.push(File {
                    uri: uri.clone(),
                    name: uri.to_string(),
                    text: text.clone(),
                });
            }
            return project;
        };
        let (found, errors) = crate::load::find_files(std::slice::from_ref(&dir));
        // A directory whose only `.tags` file is not saved yet is not an error.
        if !found.is_empty() {
            for e in errors {
                project.unreadable.push(e);
            }
        }
        for path in found {
            let Ok(file_uri) = Url::from_file_path(&path) else {
                continue;
            };
            let text = match open.get(&file_uri) {
                Some(text) => text.clone(),
                None => match std::fs::read_to_string(&path) {
                    Ok(text) => text,
                    Err(e) => {
                        project.unreadable.push(crate::load::LoadError {
                            path: path.display().to_string(),
                            reason: e.to_string(),
                            help: "check that the file exists, is readable and is UTF-8".into(),
                        });
                        continue;
                    }
                },
            };
            project.files.push(File {
                uri: file_uri,
                name: path.display().to_string(),
                text,
            });
        }
        // Open buffers of the directory that are not on disk yet.
        for (open_uri, text) in open {
            let Ok(path) = open_uri.to_file_path() else {
                continue;
            };
            if path.starts_with(&dir)
                && path.extension().is_some_and(|e| e == "tags")
                && !project.files.iter().any(|f| &f.uri == open_uri)
            {
                project.files.push(File {
                    uri: open_uri.clone(),
                    name: path.display().to_string(),
                    text: text.clone(),
                });
            }
        }
        project
    }

    /// The files as the pipeline reads them.
    pub fn sources(&self) -> Vec<Arc<SourceFile>> {
        self.files
            .iter()
            .map(|f| SourceFile::new(f.name.clone(), f.text.clone()))
            .collect()
    }

    /// The file the pipeline calls `name`.
    pub fn file_named(&self, name: &str) -> Option<&File> {
        self.files.iter().find(|f| f.name == name)
    }

    /// The file at `uri`.
    pub fn file(&self, uri: &Url) -> Option<&File> {
        self.files.iter().find(|f| &f.uri == uri)
    }

    /// Every diagnostic of the whole pipeline, as plain records (see [`crate::report`]),
    /// suppressed warnings left out.
    pub fn records(&self, catalog: &Catalog) -> Vec<Record> {
        let compiled = crate::compile_sources(&self.sources(), catalog);
        let mut records = crate::report::records(&self.unreadable);
        records.extend(crate::report::records(&compiled.diagnostics));
        records.retain(|r| r.suppressed.is_none());
        records
    }

    /// The checked model, even when the project has errors (what did check is in it).
    pub fn model(&self, catalog: &Catalog) -> Model {
        crate::check::check_files(self.parsed(), catalog).0
    }

    /// The syntax trees of the project's files (what parses of each).
    pub fn parsed(&self) -> Vec<crate::ast::File> {
        self.sources()
            .iter()
            .map(|s| crate::syntax::parse(s).0)
            .collect()
    }

    /// The `set` declarations of the project's files, as written (those that parse).
    pub fn sets(&self) -> Vec<crate::ast::SetDecl> {
        sets_of(&self.parsed())
    }

    /// The LSP diagnostics of each file of the project, every file listed (an empty list
    /// clears what was published before). A diagnostic with no place in a file is shown at
    /// the start of `fallback`, the document being edited, rather than not at all.
    pub fn diagnostics(
        &self,
        records: &[Record],
        fallback: &Url,
        encoding: Encoding,
    ) -> BTreeMap<Url, Vec<Diagnostic>> {
        let mut out: BTreeMap<Url, Vec<Diagnostic>> = self
            .files
            .iter()
            .map(|f| (f.uri.clone(), Vec::new()))
            .collect();
        for r in records {
            let (uri, place) = match r.location.as_ref().and_then(|l| {
                let f = self.file_named(&l.file)?;
                Some((
                    f.uri.clone(),
                    range(&f.text, l.offset, l.offset + l.length, encoding),
                ))
            }) {
                Some(place) => place,
                None => (fallback.clone(), lsp_types::Range::default()),
            };
            let related: Vec<DiagnosticRelatedInformation> = r
                .related
                .iter()
                .filter_map(|rel| {
                    let f = self.file_named(&rel.location.file)?;
                    let start = rel.location.offset;
                    Some(DiagnosticRelatedInformation {
                        location: Location::new(
                            f.uri.clone(),
                            range(&f.text, start, start + rel.location.length, encoding),
                        ),
                        message: rel.message.clone(),
                    })
                })
                .collect();
            let mut message = r.message.clone();
            if let Some(label) = r.label.as_ref().filter(|l| !l.is_empty()) {
                let _ = write!(message, ": {label}");
            }
            if let Some(help) = &r.help {
                let _ = write!(message, "\nhelp: {help}");
            }
            out.entry(uri).or_default().push(Diagnostic {
                range: place,
                severity: Some(match r.severity {
                    Level::Error => DiagnosticSeverity::ERROR,
                    Level::Warning => DiagnosticSeverity::WARNING,
                    Level::Advice => DiagnosticSeverity::INFORMATION,
                }),
                code: r.code.clone().map(NumberOrString::String),
                source: Some("tagc".into()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..Diagnostic::default()
            });
        }
        out
    }
}

/// The `set` declarations among the syntax trees `files`.
pub fn sets_of(files: &[crate::ast::File]) -> Vec<crate::ast::SetDecl> {
    files
        .iter()
        .flat_map(|f| &f.items)
        .filter_map(|item| match item {
            crate::ast::Item::Set(set) => Some(set.clone()),
            _ => None,
        })
        .collect()
}
