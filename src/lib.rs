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
//! Around it: [`catalog`] (AWS's action catalog), [`reference`] (what the rules decide, from the
//! model alone), [`verify`] (the emitted documents run through the independent `tagc_eval`
//! crate, which must agree with the reference), `aws` (plan and apply to AWS
//! Organizations), [`diagnostics`] (how every stage reports) and [`suggest`] (the one "did you
//! mean" rule). [`compile`] runs the whole pipeline; [`output`] writes a build; [`report`] renders
//! diagnostics and results for machines (JSON, SARIF, GitHub annotations, JUnit).

pub mod artifact;
pub mod ast;
pub mod audit;
#[cfg(feature = "aws")]
pub mod aws;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod commands;
pub mod compact;
pub mod cost;
pub mod diagnostics;
pub mod emit;
pub mod iac;
pub mod ir;
pub mod limits;
pub mod load;
pub mod lower;
pub mod lsp;
pub mod model;
pub mod output;
pub mod ownership;
pub mod reference;
pub mod report;
pub mod source;
pub mod suggest;
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
    /// The manifest, and in it the artifacts (none on error): each is held once, as the
    /// manifest lists it ([`Compiled::artifacts`]).
    pub manifest: Manifest,
    /// Every error and warning.
    pub diagnostics: Diagnostics,
}

impl Compiled {
    /// Whether compilation succeeded (warnings allowed).
    pub fn ok(&self) -> bool {
        self.project.is_some() && !self.diagnostics.has_errors()
    }

    /// The artifacts, in the manifest's order (empty on error).
    pub fn artifacts(&self) -> &[Artifact] {
        &self.manifest.artifacts
    }

    /// The build, when compilation succeeded; otherwise the diagnostics that stopped it.
    pub fn into_build(self) -> Result<Build, Diagnostics> {
        match self.project {
            Some(project) if !self.diagnostics.has_errors() => Ok(Build {
                project,
                manifest: self.manifest,
                diagnostics: self.diagnostics,
            }),
            _ => Err(self.diagnostics),
        }
    }
}

/// A successful compilation: what every command after `check` works from, with nothing left
/// to re-check.
#[derive(Debug)]
pub struct Build {
    /// The checked project.
    pub project: Project,
    /// The manifest, and in it the artifacts ([`Build::artifacts`]).
    pub manifest: Manifest,
    /// The warnings (a build has no errors).
    pub diagnostics: Diagnostics,
}

impl Build {
    /// The artifacts, in the manifest's order.
    pub fn artifacts(&self) -> &[Artifact] {
        &self.manifest.artifacts
    }
}

/// Compile the `.tags` files under `paths` (files or directories).
pub fn compile_paths(paths: &[PathBuf], catalog: &Catalog) -> Compiled {
    compile_paths_into(paths, catalog, &mut emit::Keep)
}

/// [`compile_paths`], handing each document to `documents` as it is made (see
/// [`emit::emit_into`]): with [`output::Staging`], written to disk and not kept.
pub fn compile_paths_into(
    paths: &[PathBuf],
    catalog: &Catalog,
    documents: &mut dyn emit::Documents,
) -> Compiled {
    let (found, errors) = load::find_files(paths);
    let mut files = Vec::new();
    let mut unreadable = Diagnostics::new();
    for e in errors {
        unreadable.push(e);
    }
    for path in &found {
        match std::fs::read(path) {
            Ok(bytes) => files.push((path.display().to_string(), bytes)),
            Err(e) => unreadable.push(load::LoadError {
                path: path.display().to_string(),
                reason: e.to_string(),
                help: "check that the file exists and is readable".into(),
            }),
        }
    }
    let mut compiled = compile_files_into(files, catalog, documents);
    unreadable.extend(std::mem::take(&mut compiled.diagnostics));
    if unreadable.has_errors() {
        compiled.project = None;
        compiled.manifest.artifacts.clear();
    }
    compiled.diagnostics = unreadable;
    compiled
}

/// Compile files given as (name, bytes): names are what diagnostics show; bytes that are not
/// UTF-8 are an error pointing at the first bad byte, and the other files are still checked.
pub fn compile_files(files: Vec<(String, Vec<u8>)>, catalog: &Catalog) -> Compiled {
    compile_files_into(files, catalog, &mut emit::Keep)
}

/// [`compile_files`], handing each document to `documents` as it is made.
pub fn compile_files_into(
    files: Vec<(String, Vec<u8>)>,
    catalog: &Catalog,
    documents: &mut dyn emit::Documents,
) -> Compiled {
    let mut sources = Vec::new();
    let mut undecodable = Diagnostics::new();
    for (name, bytes) in files {
        match syntax::decode(&name, bytes) {
            Ok(src) => sources.push(src),
            Err(e) => undecodable.push(e),
        }
    }
    let mut compiled = compile_sources_into(&sources, catalog, documents);
    if undecodable.has_errors() {
        undecodable.extend(std::mem::take(&mut compiled.diagnostics));
        compiled.diagnostics = undecodable;
        compiled.project = None;
        compiled.manifest.artifacts.clear();
    }
    compiled
}

/// [`compile_checked`], then the allow comments of `sources` applied to its diagnostics (see
/// [`check::allow`]): the warnings they acknowledge are marked suppressed, and a wrong or unused
/// allow comment is a warning of its own.
pub fn compile_sources(sources: &[Arc<SourceFile>], catalog: &Catalog) -> Compiled {
    compile_sources_into(sources, catalog, &mut emit::Keep)
}

/// [`compile_sources`], handing each document to `documents` as it is made.
pub fn compile_sources_into(
    sources: &[Arc<SourceFile>],
    catalog: &Catalog,
    documents: &mut dyn emit::Documents,
) -> Compiled {
    let mut compiled = compile_checked(sources, catalog, documents);
    check::allow::apply(sources, &mut compiled.diagnostics);
    compiled
}

/// Compile source files that are already in memory. They form one project.
fn compile_checked(
    sources: &[Arc<SourceFile>],
    catalog: &Catalog,
    documents: &mut dyn emit::Documents,
) -> Compiled {
    let mut diagnostics = Diagnostics::new();
    // The syntax trees of a project take many times its text, so they are never held all at
    // once: a first pass keeps only the declarations (tags and sets, which a rule of any file
    // may name) and the syntax errors; a second parses the other items again, one at a time,
    // and check takes each and drops its tree before the next is parsed.
    let mut declarations = Vec::new();
    for src in sources {
        let errors = syntax::parse_each(src, |item| {
            if matches!(item, ast::Item::Tag(_) | ast::Item::Set(_)) {
                declarations.push(item);
            }
        });
        for e in errors {
            diagnostics.push(e);
        }
    }
    // A statement lost to a syntax error may be the one that uses a set: "never used" is only
    // said of a project that parsed whole.
    let parsed_whole = diagnostics.is_empty();
    let mut stream = check::Stream::new(&declarations, catalog);
    drop(declarations);
    for src in sources {
        // The same text parses to the same items: its errors were reported by the first pass.
        let _ = syntax::parse_each(src, |item| {
            if !matches!(item, ast::Item::Tag(_) | ast::Item::Set(_)) {
                stream.item(item);
            }
        });
    }
    let (project, errors) = stream.finish();
    for e in errors {
        if parsed_whole || !matches!(e.kind, check::CheckErrorKind::UnusedSet(_)) {
            diagnostics.push(e);
        }
    }
    let limits = Limits::of(project.settings.limits);
    let mut manifest = Manifest {
        tagc: env!("CARGO_PKG_VERSION").to_owned(),
        catalog: catalog.date.clone(),
        limits: limits.profile.to_owned(),
        artifacts: Vec::new(),
        wildcards: Vec::new(),
    };
    if diagnostics.has_errors() {
        return Compiled {
            project: None,
            manifest,
            diagnostics,
        };
    }
    match emit::emit_into(
        &project,
        &|policy| lower::lower_policy(&project, policy, catalog),
        &limits,
        documents,
    ) {
        Ok(emitted) => {
            manifest.artifacts = emitted.artifacts;
            manifest.wildcards = emitted.wildcards;
            Compiled {
                project: Some(project),
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
                manifest,
                diagnostics,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;
    use crate::source::SourceFile;

    fn compile(text: &str) -> crate::Compiled {
        crate::compile_sources(&[SourceFile::new("t.tags", text)], Catalog::builtin())
    }

    #[test]
    fn test_a_compilation_becomes_a_build_only_without_errors() {
        let build = compile(
            "tag owner\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n",
        )
        .into_build()
        .map_err(|d| d.render_human(false));
        let build = build.unwrap_or_else(|e| panic!("the project compiles: {e}"));
        assert_eq!(build.project.policies.len(), 1);
        assert!(!build.artifacts().is_empty());

        let failed =
            compile("policy p {\n  require nope on sqs:CreateQueue\n  attach to root\n}\n");
        assert!(!failed.ok());
        let diagnostics = failed.into_build().err();
        assert!(diagnostics.is_some_and(|d| d.has_errors()));
    }
}
