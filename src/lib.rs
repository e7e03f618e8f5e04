//! tagc: a compiler for AWS tag governance.
//!
//! Tag rules written in the tagc language (`.tags` files) are compiled into the three AWS
//! mechanisms that enforce tags: service control policies, Organizations tag policies and IAM
//! identity policies. The pipeline, one module per stage:
//!
//! ```text
//! syntax::parse  → ast        text to syntax tree (pest)
//! check::check   → model      names resolved, actions expanded against the catalog, rules validated
//! lower::lower   → ir         the meaning of each rule as IAM/tag-policy statements, per layer
//! emit::emit     → artifact   JSON documents, sized against limits, hashed, with a manifest
//! ```
//!
//! Around it: [`catalog`] (AWS's action catalog), [`eval`] (an IAM and tag-policy evaluator that
//! proves the emitted documents mean what the rules say) and `aws` (plan and apply to AWS
//! Organizations). [`compile`] runs the whole pipeline; [`output`] writes a build.

pub mod artifact;
#[cfg(feature = "aws")]
pub mod aws;
pub mod ast;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod commands;
pub mod diagnostics;
pub mod emit;
pub mod eval;
pub mod ir;
pub mod limits;
pub mod load;
pub mod lower;
pub mod model;
pub mod output;
pub mod reference;
pub mod source;
pub mod syntax;
pub mod verify;

use std::path::PathBuf;
use std::sync::Arc;

use artifact::{Artifact, Manifest};
use catalog::Catalog;
use diagnostics::Diagnostics;
use limits::Limits;
use model::Project;
use source::SourceFile;

/// The result of compiling a project: the artifacts when there were no errors, and every
/// diagnostic either way.
#[derive(Debug)]
pub struct Compiled {
    /// The checked project; `None` when an error stopped compilation.
    pub project: Option<Project>,
    /// The artifacts (empty on error).
    pub artifacts: Vec<Artifact>,
    /// The manifest of the artifacts.
    pub manifest: Manifest,
    /// Every error and warning.
    pub diagnostics: Diagnostics,
}

impl Compiled {
    /// Whether compilation succeeded (warnings allowed).
    pub fn ok(&self) -> bool {
        self.project.is_some() && !self.diagnostics.has_errors()
    }
}

/// Compile the `.tags` files under `paths` (files or directories).
pub fn compile_paths(paths: &[PathBuf], catalog: &Catalog) -> Compiled {
    let mut diagnostics = Diagnostics::new();
    let (files, errors) = load::find_files(paths);
    for e in errors {
        diagnostics.push(e);
    }
    let mut sources = Vec::new();
    for f in &files {
        match load::read_file(f) {
            Ok(src) => sources.push(src),
            Err(d) => diagnostics.push(DynDiagnostic(d)),
        }
    }
    let mut compiled = compile_sources(&sources, catalog);
    diagnostics.extend(std::mem::take(&mut compiled.diagnostics));
    if diagnostics.has_errors() {
        compiled.project = None;
        compiled.artifacts.clear();
    }
    compiled.diagnostics = diagnostics;
    compiled
}

/// Compile source files that are already in memory. They form one project.
pub fn compile_sources(sources: &[Arc<SourceFile>], catalog: &Catalog) -> Compiled {
    let mut diagnostics = Diagnostics::new();
    let mut files = Vec::new();
    for src in sources {
        let (file, errors) = syntax::parse(src);
        for e in errors {
            diagnostics.push(e);
        }
        files.push(file);
    }
    let (project, errors) = check::check(&files, catalog);
    for e in errors {
        diagnostics.push(e);
    }
    let limits = Limits::of(project.settings.limits);
    let mut manifest = Manifest {
        tagc: env!("CARGO_PKG_VERSION").to_owned(),
        catalog: catalog.date.clone(),
        limits: limits.profile.to_owned(),
        artifacts: Vec::new(),
    };
    if diagnostics.has_errors() {
        return Compiled {
            project: None,
            artifacts: Vec::new(),
            manifest,
            diagnostics,
        };
    }
    let lowered = lower::lower(&project);
    match emit::emit(&project, &lowered, &limits) {
        Ok(artifacts) => {
            manifest.artifacts.clone_from(&artifacts);
            Compiled {
                project: Some(project),
                artifacts,
                manifest,
                diagnostics,
            }
        }
        Err(errors) => {
            for e in errors {
                diagnostics.push(e);
            }
            Compiled {
                project: None,
                artifacts: Vec::new(),
                manifest,
                diagnostics,
            }
        }
    }
}

/// A boxed diagnostic that can go into [`Diagnostics`] again.
struct DynDiagnostic(diagnostics::BoxedDiagnostic);

impl std::fmt::Debug for DynDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::fmt::Display for DynDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for DynDiagnostic {}

impl miette::Diagnostic for DynDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.0.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.labels()
    }
}
