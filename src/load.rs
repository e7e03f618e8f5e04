//! Finding and reading the `.tags` files of a project.
//!
//! Input: the PATH arguments, files or directories. Output: the `.tags` files they name, sorted
//! so that builds are deterministic, each listed once, and the paths that could not be read.
//! A directory contributes every `.tags` file below it; symbolic links are followed, except one
//! that leads back to a directory it is in, which is reported once
//! (`tagc::load::symlink-loop`) instead of being walked forever. A file reached by two paths
//! (through a link, or named twice) is read once, under the first path in sorted order, so its
//! declarations are not duplicates of themselves. All files given form one project.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use miette::Diagnostic;

/// A path that could not be read.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("cannot read `{path}`: {reason}")]
#[diagnostic(code("tagc::load::unreadable"), severity(Error), help("{help}"))]
pub struct LoadError {
    /// The path.
    pub path: String,
    /// The operating system's reason.
    pub reason: String,
    /// What to do.
    pub help: String,
}

/// A symbolic link that leads back to a directory that contains it.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("symbolic link loop: `{path}` leads back to `{ancestor}`, which contains it")]
#[diagnostic(
    code("tagc::load::symlink-loop"),
    severity(Error),
    help(
        "the files under `{ancestor}` are read once; remove the link, or point it outside the directory it is in"
    )
)]
pub struct SymlinkLoop {
    /// The link.
    pub path: String,
    /// The directory it leads back to.
    pub ancestor: String,
}

/// Why some of the files of a project could not be found.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
pub enum FindError {
    /// A path could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unreadable(#[from] LoadError),
    /// A symbolic link loops.
    #[error(transparent)]
    #[diagnostic(transparent)]
    SymlinkLoop(#[from] SymlinkLoop),
}

/// The `.tags` files under `paths`, sorted and each listed once, and what could not be read.
pub fn find_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FindError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                let before = files.len();
                walk(path, &mut files, &mut errors);
                if files.len() == before {
                    errors.push(
                        LoadError {
                            path: path.display().to_string(),
                            reason: "no `.tags` files in this directory".into(),
                            help:
                                "give a directory that holds `.tags` files, or the files themselves"
                                    .into(),
                        }
                        .into(),
                    );
                }
            }
            Ok(_) => files.push(path.clone()),
            Err(e) => errors.push(
                LoadError {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                    help: "tagc reads `policies/` when no path is given".into(),
                }
                .into(),
            ),
        }
    }
    files.sort();
    files.dedup();
    // The same file under two names (through a link, or `dir` and `dir/a.tags`): keep the first.
    // A path that cannot be resolved is kept, so that reading it reports why.
    let mut seen = HashSet::new();
    files.retain(|f| std::fs::canonicalize(f).map_or(true, |real| seen.insert(real)));
    (files, errors)
}

/// Adds the `.tags` files below `dir` to `files`, following symbolic links but not loops.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<FindError>) {
    let entries = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name();
    for entry in entries {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_file()
                    && entry.path().extension().is_some_and(|e| e == "tags")
                {
                    files.push(entry.into_path());
                }
            }
            Err(e) => {
                let path = e.path().unwrap_or(dir).display().to_string();
                if let Some(ancestor) = e.loop_ancestor() {
                    errors.push(
                        SymlinkLoop {
                            path,
                            ancestor: ancestor.display().to_string(),
                        }
                        .into(),
                    );
                } else {
                    errors.push(
                        LoadError {
                            path,
                            reason: e
                                .io_error()
                                .map_or_else(|| e.to_string(), ToString::to_string),
                            help: "check that the path exists and is readable".into(),
                        }
                        .into(),
                    );
                }
            }
        }
    }
}
