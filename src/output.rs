//! Writing a build to disk, all or nothing.
//!
//! The artifacts are written into a fresh temporary directory beside the output directory,
//! which then replaces it in one rename: a reader (or a CI step) never sees a half-written
//! build, and a failed build leaves the previous output as it was.

use std::fs;
use std::path::Path;

use crate::Compiled;
use crate::artifact::Manifest;

/// Write `compiled` to `out`: `<policy>/<kind>.json` per artifact, and `manifest.json`.
pub fn write(out: &Path, compiled: &Compiled) -> std::io::Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let tmp = tempfile::Builder::new()
        .prefix(".tagc-build-")
        .tempdir_in(&parent)?;
    for a in &compiled.artifacts {
        let path = tmp.path().join(&a.file);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, &a.pretty)?;
    }
    fs::write(
        tmp.path().join("manifest.json"),
        manifest_json(&compiled.manifest),
    )?;
    let staged = tmp.keep();
    if out.exists() {
        // Move the old build aside first, so that the swap is two renames and never leaves
        // `out` missing if the second fails.
        let old = parent.join(format!(".tagc-old-{}", std::process::id()));
        fs::rename(out, &old)?;
        if let Err(e) = fs::rename(&staged, out) {
            let _ = fs::rename(&old, out);
            let _ = fs::remove_dir_all(&staged);
            return Err(e);
        }
        fs::remove_dir_all(&old)?;
    } else {
        fs::rename(&staged, out)?;
    }
    Ok(())
}

/// The manifest as written: pretty JSON with a final newline.
pub fn manifest_json(manifest: &Manifest) -> String {
    let mut s = serde_json::to_string_pretty(manifest).unwrap_or_default();
    s.push('\n');
    s
}
