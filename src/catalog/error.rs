//! Errors of the catalog module: reading, importing and downloading AWS's action catalog.
//!
//! Input: failures from the file system, JSON parsing and (with the `online` feature) HTTP.
//! Output: [`CatalogError`], a `miette` diagnostic with a `tagc::catalog::…` code and a help line.

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

/// Why the action catalog could not be read, imported or downloaded
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum CatalogError {
    /// A file or directory could not be read or written
    #[error("cannot access `{}`", path.display())]
    #[diagnostic(
        code("tagc::catalog::io"),
        severity(Error),
        help("check that the path exists and is readable (or writable, for output)")
    )]
    Io {
        /// The path that failed
        path: PathBuf,
        /// The operating-system error
        #[source]
        source: std::io::Error,
    },

    /// A file is not valid JSON
    #[error("`{}` is not valid JSON", path.display())]
    #[diagnostic(
        code("tagc::catalog::json"),
        severity(Error),
        help(
            "`--catalog` takes a directory of AWS service-reference JSON files or a catalog written by `tagc catalog import`"
        )
    )]
    Json {
        /// The file that failed to parse
        path: PathBuf,
        /// The parser's error
        #[source]
        source: serde_json::Error,
    },

    /// A file is JSON but not in the expected shape
    #[error("`{}` is not an AWS service-reference document or a tagc catalog: {message}", path.display())]
    #[diagnostic(
        code("tagc::catalog::schema"),
        severity(Error),
        help(
            "`--catalog` takes a directory of AWS service-reference JSON files or a catalog written by `tagc catalog import`"
        )
    )]
    Schema {
        /// The offending file
        path: PathBuf,
        /// What was wrong, in lowercase
        message: String,
    },

    /// A compressed archive of service-reference files could not be read
    #[error("cannot read the archive `{}`", path.display())]
    #[diagnostic(
        code("tagc::catalog::archive"),
        severity(Error),
        help(
            "give a gzip-compressed tar archive of AWS service-reference JSON files (`<prefix>.json`, with an optional `DATE` file), or a directory of them"
        )
    )]
    Archive {
        /// The archive
        path: PathBuf,
        /// What went wrong while decompressing or reading it
        #[source]
        source: std::io::Error,
    },

    /// A directory or archive holds no service-reference files
    #[error("`{}` contains no AWS service-reference JSON files", path.display())]
    #[diagnostic(
        code("tagc::catalog::empty"),
        severity(Error),
        help(
            "the directory should hold one `<prefix>.json` file per AWS service, as served by https://servicereference.us-east-1.amazonaws.com/"
        )
    )]
    Empty {
        /// The directory
        path: PathBuf,
    },

    /// The user's cache directory is unknown on this platform
    #[error("cannot find the user's cache directory")]
    #[diagnostic(
        code("tagc::catalog::cache-dir"),
        severity(Error),
        help("pass an explicit cache directory, or use `--catalog DIR` with a copy of the files")
    )]
    NoCacheDir,

    /// AWS's service reference could not be reached
    #[error("cannot download `{url}`: {reason}")]
    #[diagnostic(
        code("tagc::catalog::offline"),
        severity(Error),
        help("use `--catalog DIR` with a copy of the files")
    )]
    Offline {
        /// The URL that failed
        url: String,
        /// The network error, as text
        reason: String,
    },

    /// AWS's service reference answered, but not with the expected document
    #[error("unexpected answer from `{url}`: {reason}")]
    #[diagnostic(
        code("tagc::catalog::download"),
        severity(Error),
        help("try again later, or use `--catalog DIR` with a copy of the files")
    )]
    Download {
        /// The URL
        url: String,
        /// What was wrong (HTTP status or document shape)
        reason: String,
    },
}

impl CatalogError {
    /// Wraps an I/O error with the path it happened on
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// A schema error for `path`
    pub(crate) fn schema(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Schema {
            path: path.into(),
            message: message.into(),
        }
    }
}
