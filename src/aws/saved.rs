//! Saved plans: `tagc plan --out FILE` and `tagc apply FILE`.
//!
//! Input: a [`Plan`], the compiled artifacts and settings it was made from, and the digest of
//! the organization snapshot it was made against; or a plan file. Output: a versioned JSON
//! [`SavedPlan`], or the checks `apply` makes before running one: the file is a tagc plan of
//! this version whose steps were not edited, the sources still compile to the same artifacts,
//! and the organization still reads the same. Nothing here talks to AWS.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::artifact::{Artifact, ArtifactKind, content_hash};
use crate::model::{Settings, Target};

use super::error::ApplyError;
use super::plan::{Plan, Step};
use super::snapshot::policy_type;

/// The `format` field of every plan file.
pub const FORMAT: &str = "tagc-plan";
/// The version of the plan file format this tagc writes and reads.
pub const VERSION: u32 = 1;

/// One applied artifact as the plan saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedArtifact {
    /// Its AWS name.
    pub name: String,
    /// Its kind.
    pub kind: ArtifactKind,
    /// The hash of its content as written.
    pub hash: String,
    /// Its description.
    pub description: String,
    /// Where it is attached, as declared.
    pub targets: Vec<Target>,
}

impl SavedArtifact {
    fn of(a: &Artifact) -> Self {
        Self {
            name: a.name.clone(),
            kind: a.kind,
            hash: content_hash(&a.content),
            description: a.description.clone(),
            targets: a.targets.clone(),
        }
    }
}

/// A plan file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// The tagc that wrote it (for people; not checked).
    pub tagc_version: String,
    /// The project.
    pub project: String,
    /// The `.tags` paths the plan compiled, as given on the command line.
    pub paths: Vec<String>,
    /// The SCPs and tag policies the sources compiled to.
    pub artifacts: Vec<SavedArtifact>,
    /// A digest of everything the plan takes from the sources: each artifact's name, kind,
    /// description, targets and content hash, and the organization settings.
    pub sources_digest: String,
    /// The digest of the organization as the plan read it.
    pub organization_digest: String,
    /// Whether the plan was made with `--adopt`.
    pub adopt: bool,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// A digest of the steps, so that an edited file is refused.
    pub steps_digest: String,
}

/// What of the sources a plan depends on.
#[derive(Serialize)]
struct SourceView<'a> {
    artifacts: Vec<ArtifactView<'a>>,
    settings: &'a Settings,
}

#[derive(Serialize)]
struct ArtifactView<'a> {
    name: &'a str,
    kind: ArtifactKind,
    description: &'a str,
    targets: &'a [Target],
    hash: String,
}

/// The digest of what a plan takes from the compiled sources (IAM policies are not applied, so
/// they do not count).
pub fn sources_digest(artifacts: &[Artifact], settings: &Settings) -> Result<String, ApplyError> {
    let mut views: Vec<ArtifactView<'_>> = artifacts
        .iter()
        .filter(|a| policy_type(a.kind).is_some())
        .map(|a| ArtifactView {
            name: &a.name,
            kind: a.kind,
            description: &a.description,
            targets: &a.targets,
            hash: content_hash(&a.content),
        })
        .collect();
    views.sort_by(|a, b| (a.name, a.kind).cmp(&(b.name, b.kind)));
    digest(
        "the sources",
        &SourceView {
            artifacts: views,
            settings,
        },
    )
}

/// `sha256:…` of a value's JSON. A value that does not serialize is an error, never the digest
/// of some stand-in text, which two different values could share.
pub(super) fn digest<T: Serialize>(what: &str, value: &T) -> Result<String, ApplyError> {
    serde_json::to_string(value)
        .map(|text| content_hash(&text))
        .map_err(|e| ApplyError::Digest {
            what: what.to_owned(),
            message: e.to_string(),
        })
}

impl SavedPlan {
    /// The plan file for a plan made from these sources against an organization with this
    /// digest.
    pub fn new(
        plan: &Plan,
        artifacts: &[Artifact],
        settings: &Settings,
        paths: &[String],
        organization_digest: String,
        adopt: bool,
    ) -> Result<Self, ApplyError> {
        Ok(Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            tagc_version: env!("CARGO_PKG_VERSION").to_owned(),
            project: plan.project.clone(),
            paths: paths.to_vec(),
            artifacts: artifacts
                .iter()
                .filter(|a| policy_type(a.kind).is_some())
                .map(SavedArtifact::of)
                .collect(),
            sources_digest: sources_digest(artifacts, settings)?,
            organization_digest,
            adopt,
            steps_digest: digest("the plan's steps", &plan.steps)?,
            steps: plan.steps.clone(),
        })
    }

    /// Writes the plan file: to a temporary file beside it, then renamed, so a failed write
    /// never leaves half a plan.
    pub fn save(&self, path: &Path) -> Result<(), ApplyError> {
        let err = |e: &dyn std::fmt::Display| ApplyError::SavePlan {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut text = serde_json::to_string_pretty(self).map_err(|e| err(&e))?;
        text.push('\n');
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| err(&e))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| err(&e))?;
        file.persist(path).map_err(|e| err(&e.error))?;
        Ok(())
    }

    /// Refuses an output path that holds anything but a plan tagc saved (of any version): a
    /// source file, another file of the user's or a directory would be lost or fail late.
    /// Nothing there (or only a dangling name) is fine.
    pub fn check_out(path: &Path) -> Result<(), ApplyError> {
        if std::fs::symlink_metadata(path).is_err() {
            return Ok(());
        }
        let is_plan = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .is_some_and(|v| v.get("format").and_then(serde_json::Value::as_str) == Some(FORMAT));
        if is_plan {
            Ok(())
        } else {
            Err(ApplyError::OutNotPlan {
                path: path.display().to_string(),
            })
        }
    }

    /// Reads a plan file, refusing anything that is not an unedited tagc plan of this version.
    pub fn load(path: &Path) -> Result<Self, ApplyError> {
        let bad = |reason: String| ApplyError::BadPlanFile {
            path: path.display().to_string(),
            reason,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("it is not JSON: {e}")))?;
        if value.get("format").and_then(serde_json::Value::as_str) != Some(FORMAT) {
            return Err(bad(format!(
                "it is not a tagc plan (no `\"format\": \"{FORMAT}\"`)"
            )));
        }
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(VERSION)) {
            return Err(bad(format!(
                "it is a version {} plan, and this tagc reads version {VERSION}",
                version.map_or_else(|| "unknown".to_owned(), |v| v.to_string())
            )));
        }
        let saved: Self =
            serde_json::from_value(value).map_err(|e| bad(format!("it is malformed: {e}")))?;
        if digest("the plan's steps", &saved.steps)? != saved.steps_digest {
            return Err(bad(
                "its steps do not match their digest: the file was edited after `tagc plan` \
                 wrote it"
                    .to_owned(),
            ));
        }
        Ok(saved)
    }

    /// Checks that the sources still compile to what the plan was made from.
    pub fn check_sources(
        &self,
        artifacts: &[Artifact],
        settings: &Settings,
    ) -> Result<(), ApplyError> {
        if settings.project.as_deref() != Some(self.project.as_str()) {
            return Err(ApplyError::StalePlan {
                what: "the project".to_owned(),
                help: format!(
                    "the plan is for project `{}`, the sources declare {}; run `tagc plan --out` \
                     again on the sources to apply",
                    self.project,
                    settings
                        .project
                        .as_deref()
                        .map_or_else(|| "none".to_owned(), |p| format!("`{p}`"))
                ),
            });
        }
        if sources_digest(artifacts, settings)? == self.sources_digest {
            return Ok(());
        }
        let now: Vec<SavedArtifact> = artifacts
            .iter()
            .filter(|a| policy_type(a.kind).is_some())
            .map(SavedArtifact::of)
            .collect();
        let mut changed: Vec<String> = Vec::new();
        for a in &now {
            let Some(s) = self.artifacts.iter().find(|s| s.name == a.name) else {
                changed.push(format!("`{}` is new", a.name));
                continue;
            };
            let what: Vec<&str> = [
                (s.hash != a.hash || s.kind != a.kind, "content"),
                (s.description != a.description, "description"),
                (s.targets != a.targets, "targets"),
            ]
            .into_iter()
            .filter_map(|(differs, what)| differs.then_some(what))
            .collect();
            if !what.is_empty() {
                changed.push(format!("`{}` changed its {}", a.name, what.join(" and ")));
            }
        }
        for s in &self.artifacts {
            if !now.iter().any(|a| a.name == s.name) {
                changed.push(format!("`{}` is gone", s.name));
            }
        }
        if changed.is_empty() {
            changed.push("the organization settings changed".to_owned());
        }
        Err(ApplyError::StalePlan {
            what: "the sources".to_owned(),
            help: format!(
                "{}; run `tagc plan --out` again, review the new plan, and apply that one",
                changed.join(", ")
            ),
        })
    }

    /// Checks that the organization still reads as it did when the plan was made.
    pub fn check_organization(&self, digest: &str) -> Result<(), ApplyError> {
        if digest == self.organization_digest {
            return Ok(());
        }
        Err(ApplyError::StalePlan {
            what: "the organization".to_owned(),
            help: "policies, attachments, OUs or enabled policy types changed since the plan \
                   was made (another apply, or a change in the console); run `tagc plan --out` \
                   again, review the new plan, and apply that one"
                .to_owned(),
        })
    }

    /// Checks that a plan made now is step for step the saved one. With the same sources and
    /// organization it always is, unless another version of tagc plans differently.
    pub fn check_steps(&self, plan: &Plan) -> Result<(), ApplyError> {
        // Compared as JSON: a loaded step has no content (the hashes stand for it).
        let json = |steps: &[Step]| serde_json::to_value(steps).ok();
        if json(&plan.steps) == json(&self.steps) {
            return Ok(());
        }
        Err(ApplyError::StalePlan {
            what: "the steps".to_owned(),
            help: format!(
                "the same sources and organization give other steps with this tagc ({}) than \
                 with the one that wrote the plan ({}); run `tagc plan --out` again",
                env!("CARGO_PKG_VERSION"),
                self.tagc_version
            ),
        })
    }
}
