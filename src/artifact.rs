//! The artifact model: what `tagc build` writes, and what `tagc test`, `tagc eval`, `plan` and
//! `apply` read.
//!
//! One [`Artifact`] is one AWS policy document. [`Manifest`] lists them all with their targets,
//! sizes against limits and content hashes, so CI and `apply` read a single file.
//!
//! An artifact holds its document once, as written to its file: the same bytes are measured
//! against the limit, hashed, and sent to AWS, so a file deployed by hand (AWS CLI, Terraform's
//! `file()`) fits its limit exactly as tagc's own `apply` does.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::Target;

/// The kind of AWS policy an artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// An Organizations service control policy (`SERVICE_CONTROL_POLICY`).
    Scp,
    /// An Organizations tag policy (`TAG_POLICY`).
    TagPolicy,
    /// An IAM identity policy (a managed policy or permissions boundary).
    IamPolicy,
}

impl ArtifactKind {
    /// The file name stem used in the output directory.
    pub const fn file_stem(self) -> &'static str {
        match self {
            Self::Scp => "scp",
            Self::TagPolicy => "tag-policy",
            Self::IamPolicy => "iam-policy",
        }
    }
}

/// One emitted policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// The tagc policy it came from.
    pub policy: String,
    /// What kind of AWS policy it is.
    pub kind: ArtifactKind,
    /// The name it gets in AWS (stable: `apply` finds its own policies by it).
    pub name: String,
    /// The description it gets in AWS.
    pub description: String,
    /// Path of the written file, relative to the output directory.
    pub file: String,
    /// Where it is attached (empty for IAM policies, which tagc does not attach).
    pub targets: Vec<Target>,
    /// Size in bytes of the document as written: the file's length, and what the API receives.
    pub size: usize,
    /// The limit that size is checked against.
    pub limit: usize,
    /// `sha256:` of the document as written.
    pub hash: String,
    /// The document as written to its file, byte for byte: exactly what is sent to AWS. Shared,
    /// so that the manifest's copy of an artifact does not copy the document.
    #[serde(skip)]
    pub content: Arc<str>,
}

impl Artifact {
    /// The document as JSON.
    pub fn document(&self) -> serde_json::Value {
        serde_json::from_str(&self.content).unwrap_or(serde_json::Value::Null)
    }
}

/// `sha256:<hex>` of some text.
pub fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex = digest.iter().fold(String::with_capacity(64), |mut s, b| {
        // Writing to a String cannot fail.
        let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{b:02x}"));
        s
    });
    format!("sha256:{hex}")
}

/// Everything one build produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// tagc's version.
    pub tagc: String,
    /// The date of the AWS catalog data the build used.
    pub catalog: String,
    /// The limits profile.
    pub limits: String,
    /// Every artifact.
    pub artifacts: Vec<Artifact>,
}
