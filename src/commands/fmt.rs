//! `tagc fmt`: rewrite `.tags` files in the canonical style, or (`--check`) say which would
//! change.

use std::io::Write as _;
use std::path::Path;

use super::{Outcome, print_diagnostics, read_stdin_if_asked, report_cli};
use crate::cli::{FmtArgs, Format};
use crate::diagnostics::Diagnostics;
use crate::load::{LoadError, find_files};
use crate::syntax::{self, FormatError};

/// A formatted file that could not be written back.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
#[error("cannot write `{path}`: {reason}")]
#[diagnostic(
    code("tagc::fmt::write"),
    severity(Error),
    help("the file was left as it is; check that it is writable and that the disk has room")
)]
struct WriteError {
    /// The file.
    path: String,
    /// The operating system's reason.
    reason: String,
}

/// Run `tagc fmt`.
pub fn run(args: &FmtArgs) -> Outcome {
    match read_stdin_if_asked(&args.paths, args.stdin_filename.as_ref()) {
        Err(e) => return report_cli(e, Format::Human),
        Ok(Some((name, bytes))) => return run_stdin(&name, bytes, args.check),
        Ok(None) => {}
    }
    let (files, errors) = find_files(&args.paths);
    let mut diagnostics = Diagnostics::new();
    for e in errors {
        diagnostics.push(e);
    }
    let mut changed = 0;
    for path in &files {
        let name = path.display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                diagnostics.push(LoadError {
                    path: name,
                    reason: e.to_string(),
                    help: "check that the file exists and is readable".into(),
                });
                continue;
            }
        };
        let source = match syntax::decode(&name, bytes) {
            Ok(s) => s,
            Err(e) => {
                diagnostics.push(e);
                continue;
            }
        };
        let formatted = match syntax::format_source(&source) {
            Ok(f) => f,
            // The syntax errors themselves say what is wrong, with the snippet; the wrapper
            // would only repeat the file name.
            Err(FormatError::Syntax { errors, .. }) => {
                for e in errors {
                    diagnostics.push(e);
                }
                continue;
            }
            Err(e) => {
                diagnostics.push(e);
                continue;
            }
        };
        if formatted == source.text {
            continue;
        }
        changed += 1;
        if args.check {
            eprintln!("would reformat: {name}");
            print!("{}", diff(&name, &source.text, &formatted));
        } else if let Err(e) = write_back(path, &name, &formatted) {
            diagnostics.push(e);
        } else {
            eprintln!("formatted: {name}");
        }
    }
    let _ = std::io::stdout().flush();
    if args.check && changed > 0 {
        let files = if changed == 1 { "file" } else { "files" };
        eprintln!("{changed} {files} not in the canonical style; run `tagc fmt` to format them");
    }
    print_diagnostics(&diagnostics, Format::Human);
    if diagnostics.has_errors() || (args.check && changed > 0) {
        Outcome::Failure
    } else {
        Outcome::Success
    }
}

/// The unified diff from `old` to `new`, for `--check`.
fn diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(name, &format!("{name} (formatted)"))
        .to_string()
}

/// `tagc fmt -`: format the text read from standard input to standard output, or with `check`
/// print the diff and exit 1 when it would change. Nothing is printed on stdout when the text
/// cannot be formatted, so an editor never replaces a buffer with an error.
fn run_stdin(name: &str, bytes: Vec<u8>, check: bool) -> Outcome {
    let mut diagnostics = Diagnostics::new();
    let formatted = syntax::decode(name, bytes)
        .map_err(|e| diagnostics.push(e))
        .and_then(|source| match syntax::format_source(&source) {
            Ok(f) => Ok((source, f)),
            Err(FormatError::Syntax { errors, .. }) => {
                for e in errors {
                    diagnostics.push(e);
                }
                Err(())
            }
            Err(e) => {
                diagnostics.push(e);
                Err(())
            }
        });
    let Ok((source, formatted)) = formatted else {
        print_diagnostics(&diagnostics, Format::Human);
        return Outcome::Failure;
    };
    if !check {
        print!("{formatted}");
        return Outcome::Success;
    }
    if formatted == source.text {
        return Outcome::Success;
    }
    eprintln!("would reformat: {name}");
    print!("{}", diff(name, &source.text, &formatted));
    Outcome::Failure
}

/// [`write_atomically`], its failure as a diagnostic naming the file as the user gave it.
fn write_back(path: &Path, name: &str, text: &str) -> Result<(), WriteError> {
    write_atomically(path, text).map_err(|e| WriteError {
        path: name.to_owned(),
        reason: e.to_string(),
    })
}

/// Replace `path`'s content with `text` so that readers see the old file or the new one, never
/// a half-written one: write a temporary file beside it (same file system), then rename it over
/// the original. The original's permissions are kept, and a symbolic link is followed so the
/// link itself stays a link.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let dir = target.parent().unwrap_or_else(|| Path::new("."));
    let permissions = std::fs::metadata(&target)?.permissions();
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), permissions)?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use miette::Diagnostic as _;

    use super::*;

    #[test]
    fn test_a_file_that_cannot_be_written_back_is_a_coded_diagnostic() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let gone = dir.path().join("gone").join("a.tags");
        let err = write_back(&gone, "gone/a.tags", "tag a\n").map_err(|e| {
            (
                e.code().map(|c| c.to_string()),
                e.to_string(),
                e.path.clone(),
            )
        });
        let Err((code, message, path)) = err else {
            panic!("writing under a missing directory succeeded")
        };
        assert_eq!(code.as_deref(), Some("tagc::fmt::write"));
        assert_eq!(path, "gone/a.tags");
        assert!(
            message.starts_with("cannot write `gone/a.tags`: "),
            "{message}"
        );
        assert!(!gone.exists());
    }
}
