//! The errors of `tagc audit`: one enum for reading resources, from a file or from AWS.
//!
//! Output: miette diagnostics with stable codes (`tagc::audit::…`), lowercase messages and a
//! help line.

use miette::Diagnostic;

/// Why the resources could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
#[non_exhaustive]
pub enum AuditError {
    /// A resource file could not be read.
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(
        code("tagc::audit::unreadable"),
        severity(Error),
        help("check that the file exists and is readable")
    )]
    Unreadable {
        /// The file.
        path: String,
        /// The system's reason.
        reason: String,
    },
    /// A resource file is in none of the formats tagc reads.
    #[error("`{path}` is not a resource listing tagc reads: {reason}")]
    #[diagnostic(
        code("tagc::audit::unknown-format"),
        severity(Error),
        help(
            "give the JSON that `aws resourcegroupstaggingapi get-resources` prints, or the JSON that `aws resource-explorer-2 search` or `list-resources` prints"
        )
    )]
    UnknownFormat {
        /// The file.
        path: String,
        /// What was found instead.
        reason: String,
    },
    /// A resource file is in a known format but an entry is malformed.
    #[error("`{path}`: {reason}")]
    #[diagnostic(
        code("tagc::audit::malformed"),
        severity(Error),
        help("the file must be the command's output as it printed it; export it again")
    )]
    Malformed {
        /// The file.
        path: String,
        /// The entry and what is wrong with it.
        reason: String,
    },
    /// Nothing to audit: no file given, and this build cannot read from AWS.
    #[error("no resources to audit: give `--file FILE`")]
    #[diagnostic(
        code("tagc::audit::no-source"),
        severity(Error),
        help(
            "this tagc was built without the `aws` feature, so it reads resources only from files"
        )
    )]
    NoSource,
    /// No region given and none configured.
    #[error("no region to audit")]
    #[diagnostic(
        code("tagc::audit::no-region"),
        severity(Error),
        help(
            "give `--region REGION` (repeat it for several), or set a region in the profile or `AWS_REGION`"
        )
    )]
    NoRegion,
    /// A call to AWS failed (after the SDK's retries).
    #[error("{operation} failed{scope}: {code}: {message}")]
    #[diagnostic(
        code("tagc::audit::aws"),
        severity(Error),
        help(
            "check the credentials, the region and that they allow `tag:GetResources` (and, with `--all-accounts`, `organizations:DescribeOrganization`, `organizations:ListRoots`, `organizations:ListOrganizationalUnitsForParent`, `organizations:ListAccountsForParent` and `sts:AssumeRole`)"
        )
    )]
    Aws {
        /// The API operation, such as `GetResources`.
        operation: String,
        /// Where: ` in account 111122223333, region us-east-1`, or empty.
        scope: String,
        /// AWS's error code, or `Dispatch` when no answer came.
        code: String,
        /// AWS's message.
        message: String,
    },
}
