//! Infrastructure-as-code renderings of a build, for users who deploy with Terraform or
//! CloudFormation rather than `tagc apply`.
//!
//! Input: the artifacts of a build (the manifest's list, in its order) and the project's name.
//! Output: one [`File`] per format asked for, a path relative to the output directory and its
//! text, which [`crate::output`] writes beside the artifacts and lists in the manifest.
//!
//! These are renderings of the same artifacts, not a second compiler: each policy's content is
//! the artifact's written document, byte for byte what `tagc apply` sends (Terraform and
//! CloudFormation pass it through as a string), so the size checked by the build is the size
//! AWS receives. Every policy carries the ownership tags `apply` sets ([`crate::ownership`]),
//! so `tagc plan` recognises a policy deployed this way as the project's, in sync when its
//! content is. Targets tagc knows only by path (an OU path, the root) become inputs the user
//! fills: Terraform variables or data sources, CloudFormation parameters.

pub mod cloudformation;
pub mod terraform;

use miette::Diagnostic;
use thiserror::Error;

use crate::artifact::{Artifact, ArtifactKind};
use crate::model::Settings;
use crate::ownership::{HASH_KEY, MANAGED_BY_KEY, MANAGED_BY_VALUE, PROJECT_KEY};

/// An infrastructure-as-code format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Terraform JSON configuration for the `hashicorp/aws` provider.
    Terraform,
    /// An AWS CloudFormation template.
    CloudFormation,
}

impl Format {
    /// Its name on the command line (`--emit NAME`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Terraform => "terraform",
            Self::CloudFormation => "cloudformation",
        }
    }

    /// Where the rendering is written, relative to the output directory. Each format has a
    /// directory of its own so that it can be used as it is: Terraform reads every `*.tf.json`
    /// of a module directory, and the template is the only file CloudFormation is given.
    pub const fn path(self) -> &'static str {
        match self {
            Self::Terraform => "terraform/main.tf.json",
            Self::CloudFormation => "cloudformation/template.json",
        }
    }
}

/// A file of a rendering: where it goes in the output directory and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Relative to the output directory, `/`-separated.
    pub path: String,
    /// The whole text, pretty-printed JSON with a final newline.
    pub text: String,
}

/// Why a rendering cannot be made.
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum IacError {
    /// The ownership tags name the project, and the project declares no name.
    #[error("`--emit {format}` needs the project's name for the ownership tags")]
    #[diagnostic(
        code("tagc::iac::no-project"),
        severity(Error),
        help(
            "add `organization {{ project \"NAME\" }}` to one `.tags` file; every policy is tagged \
             `tagc:project = NAME`, as `tagc apply` tags it, so that `tagc plan` recognises it"
        )
    )]
    NoProject {
        /// The format asked for.
        format: &'static str,
    },
    /// An IAM policy's document, embedded as an object, is not JSON.
    #[error("the IAM policy `{name}` is not JSON: {reason}")]
    #[diagnostic(
        code("tagc::iac::not-json"),
        severity(Error),
        help("this is a bug in tagc: report it with the project's files")
    )]
    NotJson {
        /// The artifact's name.
        name: String,
        /// The parser's reason.
        reason: String,
    },
}

/// Render the artifacts in each format asked for (each once, in the order given).
pub fn render(
    formats: &[Format],
    artifacts: &[Artifact],
    settings: &Settings,
) -> Result<Vec<File>, IacError> {
    let mut files = Vec::new();
    for &format in formats {
        if files.iter().any(|f: &File| f.path == format.path()) {
            continue;
        }
        let project = settings.project.as_deref().ok_or(IacError::NoProject {
            format: format.name(),
        })?;
        let value = match format {
            Format::Terraform => terraform::render(artifacts, project),
            Format::CloudFormation => cloudformation::render(artifacts, project)?,
        };
        files.push(File {
            path: format.path().to_owned(),
            text: pretty(&value),
        });
    }
    Ok(files)
}

/// The ownership tags of an artifact, as `tagc apply` sets them (key, value).
pub fn ownership_tags<'a>(
    artifact: &'a Artifact,
    project: &'a str,
) -> [(&'static str, &'a str); 3] {
    [
        (MANAGED_BY_KEY, MANAGED_BY_VALUE),
        (PROJECT_KEY, project),
        (HASH_KEY, artifact.hash.as_str()),
    ]
}

/// The Organizations policy type of an artifact; `None` for an IAM policy.
///
/// Source: <https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreatePolicy.html>
/// (`Type`: `SERVICE_CONTROL_POLICY`, `TAG_POLICY`, …).
pub const fn organizations_type(kind: ArtifactKind) -> Option<&'static str> {
    match kind {
        ArtifactKind::Scp => Some("SERVICE_CONTROL_POLICY"),
        ArtifactKind::TagPolicy => Some("TAG_POLICY"),
        ArtifactKind::IamPolicy => None,
    }
}

/// `base`, or `base` with the first suffix `-2`, `-3`, … (as `sep` + number) that `taken`
/// does not hold yet: names derived from paths may collide once characters are replaced.
fn unique(base: String, sep: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(&base) {
        return base;
    }
    // Among n + 1 candidates at most n are taken, n being how many names there are.
    (2..=usize::MAX)
        .map(|n| format!("{base}{sep}{n}"))
        .find(|name| !taken(name))
        .unwrap_or(base)
}

/// JSON, pretty-printed, with a final newline. A JSON value always serializes (its keys are
/// strings), and `Display` with `{:#}` pretty-prints it with no error to default away.
fn pretty(value: &serde_json::Value) -> String {
    format!("{value:#}\n")
}
