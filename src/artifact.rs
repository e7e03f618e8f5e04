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

/// How diagnostics name the kind: `SCP`, `tag policy`, `IAM policy`.
impl std::fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Scp => "SCP",
            Self::TagPolicy => "tag policy",
            Self::IamPolicy => "IAM policy",
        })
    }
}

impl ArtifactKind {
    /// The plural of the kind's name in messages: `SCPs`, `tag policies`, `IAM policies`.
    pub const fn plural(self) -> &'static str {
        match self {
            Self::Scp => "SCPs",
            Self::TagPolicy => "tag policies",
            Self::IamPolicy => "IAM policies",
        }
    }

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
    /// so that a copy of an artifact (a plan's, a saved plan's) does not copy the document.
    #[serde(skip)]
    pub content: Arc<str>,
}

impl Artifact {
    /// The document as JSON; an error when `content` is not JSON (never a `null` document).
    pub fn document(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.content)
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
    /// The wildcards `actions compact` wrote in place of action lists, per policy: each
    /// matches exactly the listed actions of today's catalog, and also any action AWS adds
    /// later under the same prefix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wildcards: Vec<PolicyWildcards>,
}

/// The wildcards one tagc policy's statements use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyWildcards {
    /// The tagc policy.
    pub policy: String,
    /// Its wildcards, in the order they first appear.
    pub wildcards: Vec<Wildcard>,
}

/// A wildcard written in place of a list of actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wildcard {
    /// `service:Prefix*`.
    pub pattern: String,
    /// The catalog's actions it matches today (exactly the actions the rules expanded to).
    pub matches: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::{Artifact, ArtifactKind};

    fn artifact(content: &str) -> Artifact {
        Artifact {
            policy: "p".into(),
            kind: ArtifactKind::Scp,
            name: "tagc-p-scp".into(),
            description: String::new(),
            file: "p/scp.json".into(),
            targets: Vec::new(),
            size: content.len(),
            limit: 10_000,
            hash: String::new(),
            content: content.into(),
        }
    }

    #[test]
    fn test_kinds_name_themselves_in_the_singular_and_the_plural() {
        let names: Vec<(String, &str)> = [
            ArtifactKind::Scp,
            ArtifactKind::TagPolicy,
            ArtifactKind::IamPolicy,
        ]
        .into_iter()
        .map(|k| (k.to_string(), k.plural()))
        .collect();
        assert_eq!(
            names,
            [
                ("SCP".to_owned(), "SCPs"),
                ("tag policy".to_owned(), "tag policies"),
                ("IAM policy".to_owned(), "IAM policies"),
            ]
        );
    }

    #[test]
    fn test_document_is_the_json_or_an_error_never_null() {
        assert_eq!(
            artifact(r#"{"Version":"2012-10-17"}"#).document().ok(),
            Some(serde_json::json!({"Version": "2012-10-17"}))
        );
        assert!(artifact("{not json").document().is_err());
        assert!(artifact("").document().is_err());
    }
}
