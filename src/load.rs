//! Finding and reading the `.tags` files of a project.
//!
//! A path is a file or a directory; a directory contributes every `.tags` file below it, in
//! sorted order so that builds are deterministic. All files given form one project.

use std::path::{Path, PathBuf};

use miette::Diagnostic;

/// A path that could not be read.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("cannot read `{path}`: {reason}")]
#[diagnostic(code(tagc::load::unreadable), help("{help}"))]
pub struct LoadError {
    /// The path.
    pub path: String,
    /// The operating system's reason.
    pub reason: String,
    /// What to do.
    pub help: String,
}

/// The `.tags` files under `paths`, sorted, or the paths that could not be read.
pub fn find_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<LoadError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                let before = files.len();
                walk(path, &mut files, &mut errors);
                if files.len() == before {
                    errors.push(LoadError {
                        path: path.display().to_string(),
                        reason: "no `.tags` files in this directory".into(),
                        help: "give a directory that holds `.tags` files, or the files themselves"
                            .into(),
                    });
                }
            }
            Ok(_) => files.push(path.clone()),
            Err(e) => errors.push(LoadError {
                path: path.display().to_string(),
                reason: e.to_string(),
                help: "tagc reads `policies/` when no path is given".into(),
            }),
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(LoadError {
                path: dir.display().to_string(),
                reason: e.to_string(),
                help: "check the directory's permissions".into(),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, files, errors);
        } else if p.extension().is_some_and(|e| e == "tags") {
            files.push(p);
        }
    }
}
