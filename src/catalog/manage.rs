//! The `tagc catalog …` commands as library functions; `main` only parses arguments.
//!
//! Input: AWS service-reference files, in a directory or a `.tar.gz` archive (`import`), a loaded [`Catalog`] (`info`),
//! or AWS's service-reference endpoint (`update`, with the `online` feature).
//! Output: a compact catalog file, a text summary, or a refreshed copy of AWS's files in the
//! user's cache directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Catalog, CatalogError};

/// Imports AWS service-reference JSON files (a directory, or a gzip-compressed tar archive of
/// one) and writes the compact catalog to `out_file`; returns the imported catalog
pub fn import(source: &Path, out_file: &Path) -> Result<Catalog, CatalogError> {
    let catalog = Catalog::import(source)?;
    // Written beside the target and renamed over it, so a failed import never leaves a
    // half-written catalog where tagc would load it.
    let parent = match out_file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp =
        tempfile::NamedTempFile::new_in(parent).map_err(|e| CatalogError::io(out_file, e))?;
    std::io::Write::write_all(&mut tmp, catalog.to_compact_json().as_bytes())
        .map_err(|e| CatalogError::io(out_file, e))?;
    tmp.persist(out_file)
        .map_err(|e| CatalogError::io(out_file, e.error))?;
    Ok(catalog)
}

/// A short, human-readable summary of a catalog: data date and counts
pub fn info(catalog: &Catalog) -> String {
    let services = catalog.services.len();
    let deprecated = catalog.services.values().filter(|s| s.deprecated).count();
    let actions = || catalog.services.values().flat_map(|s| s.actions.iter());
    let total = actions().count();
    let taggable = actions().filter(|a| a.can_carry_tags()).count();
    let request_tag = actions().filter(|a| a.request_tag.any()).count();
    let resource_level = actions()
        .filter(|a| a.request_tag.resource_types().is_some())
        .count();
    let tag_keys = actions().filter(|a| a.tag_keys.any()).count();
    let tagging = actions().filter(|a| a.tagging_only).count();
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "AWS data date: {}", catalog.date);
    let _ = writeln!(out, "services: {services} ({deprecated} deprecated)");
    let _ = writeln!(out, "actions: {total}");
    let _ = writeln!(out, "actions that can carry tags at creation: {taggable}");
    let _ = writeln!(
        out,
        "  aws:RequestTag: {request_tag} ({resource_level} only for some resource types)"
    );
    let _ = writeln!(out, "  aws:TagKeys: {tag_keys}");
    let _ = writeln!(out, "tagging-only actions: {tagging}");
    out
}

/// Where `tagc catalog update` keeps AWS's files: `<user cache dir>/tagc/service-reference`
pub fn default_cache_dir() -> Result<PathBuf, CatalogError> {
    dirs::cache_dir()
        .map(|d| d.join("tagc").join("service-reference"))
        .ok_or(CatalogError::NoCacheDir)
}

/// AWS's service index: where the service documents are listed.
pub const AWS_SERVICE_REFERENCE_URL: &str = "https://servicereference.us-east-1.amazonaws.com/";

#[cfg(feature = "online")]
pub use online::update;

#[cfg(feature = "online")]
mod online {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use serde::Deserialize;

    use super::super::import::{DATE_FILE, civil_date, parse_service};
    use super::CatalogError;

    #[derive(Deserialize)]
    struct IndexEntry {
        service: String,
        url: String,
    }

    /// Downloads AWS's service index from `base_url`, then every service document it lists,
    /// into `cache_dir` (one `<prefix>.json` per service plus a `DATE` file); returns
    /// `cache_dir`
    ///
    /// The files are written to a temporary directory beside `cache_dir` and swapped in only
    /// when every download succeeded and parsed, so a failed update leaves the previous copy
    /// intact.
    pub fn update(base_url: &str, cache_dir: &Path) -> Result<PathBuf, CatalogError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_mins(2)))
            .build()
            .into();
        let index_text = fetch(&agent, base_url)?;
        let index: Vec<IndexEntry> =
            serde_json::from_str(&index_text).map_err(|e| CatalogError::Download {
                url: base_url.to_owned(),
                reason: format!("the service index is not a list of services: {e}"),
            })?;
        if index.is_empty() {
            return Err(CatalogError::Download {
                url: base_url.to_owned(),
                reason: "the service index lists no services".to_owned(),
            });
        }

        let parent = cache_dir.parent().unwrap_or_else(|| Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| CatalogError::io(parent, e))?;
        let staging = tempfile::Builder::new()
            .prefix(".service-reference-new-")
            .tempdir_in(parent)
            .map_err(|e| CatalogError::io(parent, e))?;

        for entry in &index {
            // The name becomes a file name: refuse anything that could leave the directory.
            let safe = !entry.service.is_empty()
                && !entry.service.starts_with('.')
                && entry
                    .service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
            if !safe {
                return Err(CatalogError::Download {
                    url: base_url.to_owned(),
                    reason: format!(
                        "the service index lists an invalid name `{}`",
                        entry.service
                    ),
                });
            }
            let text = fetch(&agent, &entry.url)?;
            let path = staging.path().join(format!("{}.json", entry.service));
            // Check the document now, so a broken download never replaces a good copy.
            parse_service(&path, &text).map_err(|e| CatalogError::Download {
                url: entry.url.clone(),
                reason: format!("not a service-reference document ({e})"),
            })?;
            std::fs::write(&path, text).map_err(|e| CatalogError::io(&path, e))?;
        }
        let today = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        let date_path = staging.path().join(DATE_FILE);
        std::fs::write(&date_path, format!("{}\n", civil_date(today)))
            .map_err(|e| CatalogError::io(&date_path, e))?;

        swap_in(staging.path(), cache_dir)?;
        Ok(cache_dir.to_path_buf())
    }

    /// Replaces `target` by `staging` with renames, restoring the old copy if the second
    /// rename fails.
    fn swap_in(staging: &Path, target: &Path) -> Result<(), CatalogError> {
        if !target.exists() {
            return std::fs::rename(staging, target).map_err(|e| CatalogError::io(target, e));
        }
        let mut old = target.as_os_str().to_owned();
        old.push(format!(".old-{}", std::process::id()));
        let old = PathBuf::from(old);
        std::fs::rename(target, &old).map_err(|e| CatalogError::io(target, e))?;
        if let Err(e) = std::fs::rename(staging, target) {
            // Best effort: put the previous copy back before reporting.
            let _ = std::fs::rename(&old, target);
            return Err(CatalogError::io(target, e));
        }
        std::fs::remove_dir_all(&old).map_err(|e| CatalogError::io(&old, e))
    }

    fn fetch(agent: &ureq::Agent, url: &str) -> Result<String, CatalogError> {
        let to_error = |e: ureq::Error| match e {
            ureq::Error::StatusCode(code) => CatalogError::Download {
                url: url.to_owned(),
                reason: format!("HTTP status {code}"),
            },
            other => CatalogError::Offline {
                url: url.to_owned(),
                reason: other.to_string(),
            },
        };
        let mut response = agent.get(url).call().map_err(to_error)?;
        response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(to_error)
    }
}
