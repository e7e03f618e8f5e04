//! Writing a build to disk: all or nothing, and never over anything tagc did not write.
//!
//! Input: the output directory the user named (`--out`), the input paths, a compiled build and
//! its infrastructure-as-code renderings ([`crate::iac`], if asked for).
//! Output: `<out>/<policy>/<kind>.json` per artifact, the renderings, and `<out>/manifest.json`
//! (which lists the renderings under `iac`), or an [`OutputError`] with nothing changed. [`differences`] compares a build with what is on disk,
//! for `build --check`.
//!
//! **What may be replaced.** The output directory is replaced as a whole, so tagc first makes
//! sure that doing so loses nothing of the user's. It replaces only a directory that is absent,
//! empty, or holds tagc's `manifest.json` and nothing but the files that manifest lists. It
//! refuses a path that is a file, the current directory (or one containing it), and a directory
//! that is, or contains, one of the input paths. All of this is decided before anything is
//! written. A symbolic link to a directory is followed: the directory is replaced, the link
//! stays.
//!
//! **How it is replaced.** The build is written into a staging directory beside the output
//! (`.tagc-build-<name>-…`, holding a `.tagc-staging` marker until it is complete), which then
//! takes the output's place. Where the system can exchange two paths in one step (Linux and
//! macOS: `renameat2(RENAME_EXCHANGE)` / `renamex_np(RENAME_SWAP)`), that is how, so at every
//! instant the output path holds either the old build or the new one. Elsewhere, or on a file
//! system that cannot exchange, the old output is first renamed aside (`.tagc-old-<name>-…`) and
//! the staged one renamed into place. The old build is then deleted, marker first written, so
//! that any partial state is still recognisable as tagc's.
//!
//! **After a kill.** A run killed at any point leaves at most such a staging or aside directory.
//! The next build into the same output first recovers: an aside directory is renamed back when
//! the output is missing, and every other leftover that carries tagc's marker or manifest (or is
//! empty) is removed. A leftover with anything else in it is left alone. Two builds into the
//! same output at the same time are not supported.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::Diagnostic;
use thiserror::Error;

use crate::Build;
use crate::artifact::Manifest;
use crate::iac;

/// The manifest's file name in the output directory.
pub const MANIFEST: &str = "manifest.json";
/// Marks a directory as tagc's work in progress: a staging directory being written, or an old
/// output being deleted.
const MARKER: &str = ".tagc-staging";
/// Prefix of staging directories (followed by the output's name and a random part).
const STAGING: &str = ".tagc-build-";
/// Prefix of an old output moved aside while the new one is renamed into place.
const ASIDE: &str = ".tagc-old-";

/// Why the output directory was not written. Nothing was changed.
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum OutputError {
    /// `--out` names something that is not a directory.
    #[error("`{}` is not a directory", path.display())]
    #[diagnostic(
        code("tagc::build::out-not-directory"),
        severity(Error),
        help(
            "`--out` names a directory that tagc replaces as a whole; choose a directory, or move the file away"
        )
    )]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },

    /// `--out` is the current directory or one of its ancestors.
    #[error("`{}` is the current directory or contains it", path.display())]
    #[diagnostic(
        code("tagc::build::out-is-current-directory"),
        severity(Error),
        help(
            "tagc replaces the output directory as a whole; build into a directory of its own, such as `--out out`"
        )
    )]
    CurrentDirectory {
        /// The path given.
        path: PathBuf,
    },

    /// `--out` is, or contains, one of the input paths.
    #[error("`{}` holds the input `{}`", path.display(), input.display())]
    #[diagnostic(
        code("tagc::build::out-holds-input"),
        severity(Error),
        help(
            "replacing the output directory would delete the rules; choose an output directory outside every input path"
        )
    )]
    HoldsInput {
        /// The path given as `--out`.
        path: PathBuf,
        /// The input path inside it.
        input: PathBuf,
    },

    /// `--out` is a non-empty directory that tagc did not write.
    #[error("`{}` is not empty and has no tagc `manifest.json`", path.display())]
    #[diagnostic(
        code("tagc::build::out-not-tagc"),
        severity(Error),
        help(
            "tagc replaces only an empty directory or one it wrote; choose another `--out`, or empty this one yourself"
        )
    )]
    NotTagcOutput {
        /// The path given.
        path: PathBuf,
    },

    /// `--out` is tagc's output, but also holds files tagc did not write.
    #[error("`{}` holds files tagc did not write: {}", path.display(), files.join(", "))]
    #[diagnostic(
        code("tagc::build::out-foreign-files"),
        severity(Error),
        help(
            "a build replaces the output directory as a whole; move these files out of it, then build again"
        )
    )]
    ForeignFiles {
        /// The path given.
        path: PathBuf,
        /// The files, relative to it.
        files: Vec<String>,
    },

    /// Reading or writing the file system failed.
    #[error("cannot write the build to `{}`", path.display())]
    #[diagnostic(
        code("tagc::build::io"),
        severity(Error),
        help("check that the location exists and is writable; the previous output is unchanged")
    )]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: io::Error,
    },
}

/// An I/O error at `path`.
fn io_at(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Write `compiled` to `out`, replacing what is there if it may be replaced (see the module
/// documentation). `inputs` are the input paths, which `out` must not hold.
pub fn write(out: &Path, inputs: &[PathBuf], compiled: &Build) -> Result<(), OutputError> {
    write_with(out, inputs, compiled, &[])
}

/// [`write`], with infrastructure-as-code files written beside the artifacts and listed in
/// the manifest.
pub fn write_with(
    out: &Path,
    inputs: &[PathBuf],
    compiled: &Build,
    extra: &[iac::File],
) -> Result<(), OutputError> {
    let mut staging = Staging::new(out, inputs);
    for a in compiled.artifacts() {
        staging.write(&a.file, &a.content);
    }
    staging.finish(&compiled.manifest, extra)
}

/// A build written to its staging directory as its documents are made
/// ([`crate::emit::Documents`]), then put in the output's place by [`Staging::finish`]: the
/// build keeps no document's text once it is written. Whether the output may be replaced is
/// decided at the first document (or at `finish`), so a project with errors in its rules
/// never touches the file system. The first failure is kept and reported by `finish`; a
/// staging that is dropped unfinished (the build had errors) is removed with the directories
/// made for it, and the previous output stays as it was.
#[derive(Debug)]
pub struct Staging {
    /// The output directory, as given.
    out: PathBuf,
    /// The input paths, which the output must not hold.
    inputs: Vec<PathBuf>,
    /// How far it got.
    state: State,
    /// What an artifact written here keeps of its document: nothing.
    empty: Arc<str>,
}

/// Where a [`Staging`] is.
#[derive(Debug)]
enum State {
    /// Nothing written yet.
    Idle,
    /// The staging directory exists and is being written.
    Open(Open),
    /// Writing failed: nothing more is written, and `finish` reports this.
    Failed(OutputError),
}

/// A staging directory being written.
#[derive(Debug)]
struct Open {
    /// Where the output goes.
    place: Place,
    /// The staging directory; removed when dropped, unless kept.
    staging: Option<tempfile::TempDir>,
    /// The directories made for the output, outermost first: removed again unless the build
    /// is put in place.
    created: Vec<PathBuf>,
    /// The directories made in the staging directory: each policy's three documents share one,
    /// and on a slow disk asking for it again costs more than writing a document.
    made: HashSet<PathBuf>,
}

impl Drop for Open {
    fn drop(&mut self) {
        // The staging directory first: the directories made for the output hold it.
        if let Some(staging) = self.staging.take() {
            drop(staging);
            for dir in self.created.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
        }
    }
}

impl Open {
    /// Decide that `out` may be replaced, then make the staging directory beside it.
    fn begin(out: &Path, inputs: &[PathBuf]) -> Result<Self, OutputError> {
        Place::resolve(out)?.recover()?;
        // Recovery may have put an old output back: look again.
        let place = Place::resolve(out)?;
        place.check_outside(inputs)?;
        place.check_replaceable()?;
        // Directories made for the output are removed again if the build cannot be written.
        let created = create_dirs(&place.parent).map_err(io_at(&place.parent))?;
        let mut open = Self {
            place,
            staging: None,
            created,
            made: HashSet::new(),
        };
        open.staging = Some(open.place.stage()?);
        Ok(open)
    }

    /// The staging directory.
    fn root(&self) -> Result<&Path, OutputError> {
        self.staging
            .as_ref()
            .map(tempfile::TempDir::path)
            .ok_or_else(|| {
                io_at(&self.place.parent)(io::Error::other("the staging directory is gone"))
            })
    }

    /// Write `text` as `file` (relative, `/`-separated) in the staging directory.
    fn write(&mut self, file: &str, text: &[u8]) -> Result<(), OutputError> {
        let path = self.root()?.join(file);
        if let Some(dir) = path.parent()
            && !self.made.contains(dir)
        {
            fs::create_dir_all(dir).map_err(io_at(dir))?;
            self.made.insert(dir.to_path_buf());
        }
        fs::write(&path, text).map_err(io_at(&path))
    }

    /// Remove `file` from the staging directory, and the directories it leaves empty.
    fn remove(&mut self, file: &str) -> Result<(), OutputError> {
        let root = self.root()?.to_path_buf();
        let path = root.join(file);
        fs::remove_file(&path).map_err(io_at(&path))?;
        // An empty directory left behind would be a file the manifest does not list.
        for dir in path.ancestors().skip(1).take_while(|d| *d != root) {
            if fs::remove_dir(dir).is_err() {
                break;
            }
            self.made.remove(dir);
        }
        Ok(())
    }
}

impl Staging {
    /// A build to be written into `out`, which must not hold any of `inputs`. Nothing is
    /// checked or written yet.
    pub fn new(out: &Path, inputs: &[PathBuf]) -> Self {
        Self {
            out: out.to_path_buf(),
            inputs: inputs.to_vec(),
            state: State::Idle,
            empty: Arc::from(""),
        }
    }

    /// The open staging directory, begun if it was not: `None` once something failed.
    fn open(&mut self) -> Option<&mut Open> {
        if matches!(self.state, State::Idle) {
            self.state = match Open::begin(&self.out, &self.inputs) {
                Ok(open) => State::Open(open),
                Err(e) => State::Failed(e),
            };
        }
        match &mut self.state {
            State::Open(open) => Some(open),
            State::Idle | State::Failed(_) => None,
        }
    }

    /// Keep the first failure; the staging directory is removed with it.
    fn fail(&mut self, result: Result<(), OutputError>) {
        if let Err(e) = result {
            self.state = State::Failed(e);
        }
    }

    /// Write `text` as `file` (relative to the output, `/`-separated).
    pub fn write(&mut self, file: &str, text: &str) {
        if let Some(open) = self.open() {
            let result = open.write(file, text.as_bytes());
            self.fail(result);
        }
    }

    /// Write the infrastructure-as-code files `extra` and the manifest, then put the staging
    /// directory in the output's place; or report the first failure, with nothing changed.
    pub fn finish(mut self, manifest: &Manifest, extra: &[iac::File]) -> Result<(), OutputError> {
        for f in extra {
            self.write(&f.path, &f.text);
        }
        self.open();
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Open(open) => open.place_build(manifest, extra),
            State::Failed(e) => Err(e),
            State::Idle => Err(io_at(&self.out)(io::Error::other(
                "the build was not staged",
            ))),
        }
    }
}

impl crate::emit::Documents for Staging {
    fn put(&mut self, artifact: &crate::artifact::Artifact, text: String) -> Arc<str> {
        self.write(&artifact.file, &text);
        Arc::clone(&self.empty)
    }

    fn remove(&mut self, artifact: &crate::artifact::Artifact) {
        if let Some(open) = self.open() {
            let result = open.remove(&artifact.file);
            self.fail(result);
        }
    }
}

/// Where the output goes: the directory that is replaced, its parent (where staging happens)
/// and its name.
#[derive(Debug)]
struct Place {
    /// The path as the user gave it, for messages.
    given: PathBuf,
    /// The directory replaced: canonical when it exists (symbolic links resolved).
    dir: PathBuf,
    /// Its parent directory.
    parent: PathBuf,
    /// Its final component.
    name: String,
    /// Whether `dir` exists now.
    exists: bool,
}

impl Place {
    fn resolve(out: &Path) -> Result<Self, OutputError> {
        let given = out.to_path_buf();
        let not_dir = || OutputError::NotADirectory {
            path: out.to_path_buf(),
        };
        let (dir, exists) = match fs::symlink_metadata(out) {
            Ok(meta) if meta.is_file() => return Err(not_dir()),
            Ok(_) => {
                // A directory, or a link that should lead to one (a link to nothing is refused).
                let dir = fs::canonicalize(out).map_err(|_| not_dir())?;
                if !dir.is_dir() {
                    return Err(not_dir());
                }
                (dir, true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let absolute = std::path::absolute(out).map_err(io_at(out))?;
                (absolute, false)
            }
            Err(e) => return Err(io_at(out)(e)),
        };
        let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
            // The file-system root, or a path ending in `..` that does not exist.
            return Err(OutputError::NotTagcOutput { path: given });
        };
        Ok(Self {
            parent: parent.to_path_buf(),
            name: name.to_string_lossy().into_owned(),
            dir,
            given,
            exists,
        })
    }

    /// Refuse the current directory and any directory holding an input path: replacing either
    /// would delete what the user is working on.
    fn check_outside(&self, inputs: &[PathBuf]) -> Result<(), OutputError> {
        if !self.exists {
            // A directory that does not exist holds nothing.
            return Ok(());
        }
        let cwd = std::env::current_dir()
            .and_then(fs::canonicalize)
            .map_err(io_at(Path::new(".")))?;
        if cwd.starts_with(&self.dir) {
            return Err(OutputError::CurrentDirectory {
                path: self.given.clone(),
            });
        }
        for input in inputs {
            // An input that cannot be resolved was not read either, so the build did not get
            // here; skipping it loses nothing.
            if let Ok(canonical) = fs::canonicalize(input)
                && canonical.starts_with(&self.dir)
            {
                return Err(OutputError::HoldsInput {
                    path: self.given.clone(),
                    input: input.clone(),
                });
            }
        }
        Ok(())
    }

    /// Whether the output directory may be replaced: absent, empty, or tagc's and nothing else.
    fn check_replaceable(&self) -> Result<(), OutputError> {
        if !self.exists {
            return Ok(());
        }
        match Ownership::of(&self.dir).map_err(io_at(&self.given))? {
            Ownership::Empty | Ownership::Tagc => Ok(()),
            Ownership::Foreign(files) => Err(OutputError::ForeignFiles {
                path: self.given.clone(),
                files,
            }),
            Ownership::Unknown | Ownership::Staging => Err(OutputError::NotTagcOutput {
                path: self.given.clone(),
            }),
        }
    }

    /// Clean up after a run that was killed: put an old output moved aside back when the
    /// output is missing, and remove the other leftovers that are recognisably tagc's.
    fn recover(&self) -> Result<(), OutputError> {
        let Ok(entries) = fs::read_dir(&self.parent) else {
            // No parent, no leftovers.
            return Ok(());
        };
        let aside = format!("{ASIDE}{}-", self.name);
        let staging = format!("{STAGING}{}-", self.name);
        let mut leftovers: Vec<(PathBuf, bool)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                let is_aside = name.starts_with(&aside);
                (is_dir && (is_aside || name.starts_with(&staging))).then(|| (e.path(), is_aside))
            })
            .collect();
        leftovers.sort();
        let mut exists = self.dir.exists();
        for (path, is_aside) in leftovers {
            let ownership = Ownership::of(&path).map_err(io_at(&path))?;
            match ownership {
                // Only a build moves an output aside, and only until the new one is in place:
                // with the output missing, this is the user's last output. Renaming it back
                // loses nothing, whatever it holds.
                Ownership::Tagc | Ownership::Foreign(_) | Ownership::Unknown
                    if is_aside && !exists =>
                {
                    fs::rename(&path, &self.dir).map_err(io_at(&self.dir))?;
                    exists = true;
                }
                Ownership::Tagc | Ownership::Empty | Ownership::Staging => {
                    remove_tagc_dir(&path).map_err(io_at(&path))?;
                }
                Ownership::Foreign(_) | Ownership::Unknown => {}
            }
        }
        Ok(())
    }

    /// Make the staging directory beside the output, with its marker.
    fn stage(&self) -> Result<tempfile::TempDir, OutputError> {
        let prefix = format!("{STAGING}{}-", self.name);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        // A temporary directory is private by default; the output gets what `mkdir` would give
        // it (the umask applies), or keeps the old output's permissions below.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777));
        let staging = builder
            .tempdir_in(&self.parent)
            .map_err(io_at(&self.parent))?;
        // From here on, an error drops `staging`, which removes it.
        let root = staging.path();
        if self.exists {
            let old = fs::metadata(&self.dir).map_err(io_at(&self.given))?;
            fs::set_permissions(root, old.permissions()).map_err(io_at(root))?;
        }
        let marker = root.join(MARKER);
        fs::write(&marker, "").map_err(io_at(&marker))?;
        Ok(staging)
    }
}

impl Open {
    /// Write the manifest into the staging directory, which holds every other file of the
    /// build, then put it in the output's place.
    fn place_build(mut self, manifest: &Manifest, extra: &[iac::File]) -> Result<(), OutputError> {
        let root = self.root()?.to_path_buf();
        let root = root.as_path();
        let path = root.join(MANIFEST);
        let file = fs::File::create(&path).map_err(io_at(&path))?;
        let mut w = io::BufWriter::new(file);
        write_manifest(&mut w, manifest, extra).map_err(|e| io_at(&path)(io::Error::other(e)))?;
        io::Write::flush(&mut w).map_err(io_at(&path))?;
        // Complete: the manifest now says it is tagc's, and the marker must not be published.
        fs::remove_file(root.join(MARKER)).map_err(io_at(root))?;
        let place = &self.place;
        if place.dir.exists() {
            swap(root, &place.dir, &place.parent, &place.name).map_err(io_at(&place.given))?;
            // The staging path now holds the old output. Deleting it is tidying: the new
            // output is in place, and the next build removes whatever a failure leaves here.
            if let Some(staging) = self.staging.take() {
                let _ = remove_tagc_dir(&staging.keep());
            }
        } else {
            fs::rename(root, &place.dir).map_err(io_at(&place.given))?;
            if let Some(staging) = self.staging.take() {
                let _ = staging.keep();
            }
        }
        // In place: the directories made for it stay.
        self.created.clear();
        Ok(())
    }
}

/// Put the complete build at `staged` in the place of the existing directory `dir`; afterwards
/// `staged` holds the old output (or nothing).
fn swap(staged: &Path, dir: &Path, parent: &Path, name: &str) -> io::Result<()> {
    match exchange(staged, dir) {
        Ok(()) => return Ok(()),
        // The system or the file system cannot exchange: fall back to two renames.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::Unsupported | io::ErrorKind::InvalidInput
            ) => {}
        Err(e) => return Err(e),
    }
    swap_by_renames(staged, dir, parent, name)
}

/// [`swap`] without an atomic exchange: the old output is renamed aside, the staged one into
/// place. A kill between the two leaves the output missing and the old one aside, which the
/// next build puts back.
fn swap_by_renames(staged: &Path, dir: &Path, parent: &Path, name: &str) -> io::Result<()> {
    let aside = parent.join(format!("{ASIDE}{name}-{}", std::process::id()));
    fs::rename(dir, &aside)?;
    if let Err(e) = fs::rename(staged, dir) {
        // Put the old output back; if even that fails, the next build restores it.
        let _ = fs::rename(&aside, dir);
        return Err(e);
    }
    // Move the old output to where the caller expects it, to be deleted there.
    fs::rename(&aside, staged).or_else(|_| remove_tagc_dir(&aside))
}

/// Exchange two paths in one step.
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(|e| {
        // EINVAL: this file system cannot exchange; ENOSYS: an old kernel.
        if e == rustix::io::Errno::NOSYS {
            io::Error::from(io::ErrorKind::Unsupported)
        } else {
            e.into()
        }
    })
}

/// Exchange two paths in one step: not available here.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Create `dir` and its missing ancestors; returns those created, outermost first.
fn create_dirs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    fs::create_dir_all(dir)?;
    Ok(missing.into_iter().rev().collect())
}

/// Delete a directory that is tagc's: the marker is written first and removed last, so that a
/// deletion cut short leaves a directory the next build still recognises.
fn remove_tagc_dir(dir: &Path) -> io::Result<()> {
    let marker = dir.join(MARKER);
    fs::write(&marker, "")?;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path == marker {
            continue;
        }
        if fs::symlink_metadata(&path)?.is_dir() {
            fs::remove_dir_all(&path)?;
        } else {
            fs::remove_file(&path)?;
        }
    }
    fs::remove_file(&marker)?;
    fs::remove_dir(dir)
}

/// Who a directory belongs to, as far as tagc can tell.
enum Ownership {
    /// Nothing in it.
    Empty,
    /// tagc's work in progress: it holds the marker.
    Staging,
    /// tagc's output: its manifest lists every file in it.
    Tagc,
    /// tagc's manifest, and these files it does not list.
    Foreign(Vec<String>),
    /// No tagc manifest.
    Unknown,
}

impl Ownership {
    fn of(dir: &Path) -> io::Result<Self> {
        let files = tree(dir)?;
        if files.is_empty() {
            return Ok(Self::Empty);
        }
        if dir.join(MARKER).is_file() {
            return Ok(Self::Staging);
        }
        let Some(listed) = manifest_files(dir) else {
            return Ok(Self::Unknown);
        };
        let foreign: Vec<String> = files
            .into_iter()
            .filter(|f| !listed.contains(f) && !listed.iter().any(|l| is_ancestor(f, l)))
            .collect();
        Ok(if foreign.is_empty() {
            Self::Tagc
        } else {
            Self::Foreign(foreign)
        })
    }
}

/// Whether `dir` (relative, `/`-separated) is a directory on the way to `file`.
fn is_ancestor(dir: &str, file: &str) -> bool {
    file.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The files a tagc manifest in `dir` accounts for (its artifacts and itself), or `None` when
/// `dir` has no manifest of tagc's shape: a `tagc` version and `artifacts` with their `file`s.
fn manifest_files(dir: &Path) -> Option<BTreeSet<String>> {
    #[derive(serde::Deserialize)]
    struct Shape {
        #[expect(dead_code, reason = "required only to recognise the shape")]
        tagc: String,
        artifacts: Vec<File>,
        #[serde(default)]
        iac: Vec<String>,
        #[serde(default)]
        cost: Vec<String>,
    }
    #[derive(serde::Deserialize)]
    struct File {
        file: String,
    }
    let text = fs::read_to_string(dir.join(MANIFEST)).ok()?;
    let shape: Shape = serde_json::from_str(&text).ok()?;
    let mut files: BTreeSet<String> = shape.artifacts.into_iter().map(|a| a.file).collect();
    files.extend(shape.iac);
    files.extend(shape.cost);
    files.insert(MANIFEST.to_owned());
    Some(files)
}

/// Every entry under `dir` (files, links and directories), relative and `/`-separated, sorted.
fn tree(dir: &Path) -> io::Result<Vec<String>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push(relative);
            if entry.file_type()?.is_dir() {
                walk(root, &path, out)?;
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// How the files under an output directory differ from what a build would write there.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Differences {
    /// Files whose content differs.
    pub stale: Vec<String>,
    /// Files the build writes that are not there.
    pub missing: Vec<String>,
    /// Files there that the build does not write (a build deletes them with the old output),
    /// each with whether the manifest on disk lists it (tagc wrote it).
    pub extra: Vec<(String, bool)>,
}

impl Differences {
    /// Whether the directory is exactly what the build writes.
    pub fn is_empty(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// Compare the whole tree under `out` with what `compiled` would write there. Paths are
/// relative to `out`, `/`-separated.
pub fn differences(out: &Path, compiled: &Build) -> Result<Differences, OutputError> {
    differences_with(out, compiled, &[])
}

/// [`differences`] for a build written with these infrastructure-as-code files
/// ([`write_with`]).
pub fn differences_with(
    out: &Path,
    compiled: &Build,
    extra: &[iac::File],
) -> Result<Differences, OutputError> {
    let mut comparison = Comparison::new(out);
    for a in compiled.artifacts() {
        comparison.compare(&a.file, a.content.as_bytes());
    }
    comparison.finish(&compiled.manifest, extra)
}

/// A build compared with what is under the output directory as its documents are made
/// ([`crate::emit::Documents`], for `build --check`): each document is compared with its file
/// and then dropped, so the comparison holds one document and one file at a time.
/// [`Comparison::finish`] compares the rest and lists what the build would not write.
#[derive(Debug)]
pub struct Comparison {
    /// The output directory.
    out: PathBuf,
    /// The files the build writes, relative and `/`-separated.
    expected: Vec<String>,
    /// Those whose file differs.
    stale: BTreeSet<String>,
    /// Those that are not there.
    missing: BTreeSet<String>,
    /// What an artifact compared here keeps of its document: nothing.
    empty: Arc<str>,
}

impl Comparison {
    /// A comparison with the files under `out`.
    pub fn new(out: &Path) -> Self {
        Self {
            out: out.to_path_buf(),
            expected: Vec::new(),
            stale: BTreeSet::new(),
            missing: BTreeSet::new(),
            empty: Arc::from(""),
        }
    }

    /// Compare `text` with the file `file` (relative to the output).
    pub fn compare(&mut self, file: &str, text: &[u8]) {
        match fs::read(self.out.join(file)) {
            Ok(bytes) if bytes == text => {}
            Ok(_) => {
                self.stale.insert(file.to_owned());
            }
            Err(_) => {
                self.missing.insert(file.to_owned());
            }
        }
        self.expected.push(file.to_owned());
    }

    /// Compare the infrastructure-as-code files `extra` and the manifest, then list the
    /// entries under the output that the build would not write.
    pub fn finish(
        mut self,
        manifest: &Manifest,
        extra: &[iac::File],
    ) -> Result<Differences, OutputError> {
        for f in extra {
            self.compare(&f.path, f.text.as_bytes());
        }
        let text = manifest_text(&self.out, manifest, extra)?;
        self.compare(MANIFEST, text.as_bytes());
        let out = &self.out;
        let mut d = Differences {
            stale: self.stale.into_iter().collect(),
            missing: self.missing.into_iter().collect(),
            extra: Vec::new(),
        };
        // No manifest lists nothing, and no directory holds nothing: every expected file is
        // then missing, and `--check` fails, as it should. A directory that cannot be read
        // fails the same way, since none of its files can be read either.
        let listed = manifest_files(out).unwrap_or_default();
        let entries = tree(out).unwrap_or_default();
        let expected: BTreeSet<&str> = self.expected.iter().map(String::as_str).collect();
        for entry in &entries {
            // A file the build writes, or a directory on the way to one: the first expected
            // path from `entry/` on starts with it if any does.
            let below = format!("{entry}/");
            let wanted = expected.contains(entry.as_str())
                || expected
                    .range::<&str, _>((
                        std::ops::Bound::Included(below.as_str()),
                        std::ops::Bound::Unbounded,
                    ))
                    .next()
                    .is_some_and(|f| f.starts_with(&below));
            // A directory with something in it is not listed itself: what is in it is.
            let has_entries = entries.iter().any(|e| is_ancestor(entry, e));
            if !wanted && !has_entries {
                d.extra.push((entry.clone(), listed.contains(entry)));
            }
        }
        Ok(d)
    }
}

impl crate::emit::Documents for Comparison {
    fn put(&mut self, artifact: &crate::artifact::Artifact, text: String) -> Arc<str> {
        self.compare(&artifact.file, text.as_bytes());
        Arc::clone(&self.empty)
    }

    fn remove(&mut self, artifact: &crate::artifact::Artifact) {
        self.expected.retain(|f| *f != artifact.file);
        self.stale.remove(&artifact.file);
        self.missing.remove(&artifact.file);
    }
}

/// The manifest as written: pretty JSON with a final newline. A manifest that does not
/// serialize is an error, never an empty file.
pub fn manifest_json(manifest: &Manifest) -> Result<String, serde_json::Error> {
    manifest_json_with(manifest, &[])
}

/// The manifest as written with infrastructure-as-code and cost files: their paths follow the
/// artifacts, the files under `cost/` ([`crate::cost`]) as `cost` and the others as `iac`, so
/// that the files are tagc's to replace (and each list absent without any).
pub fn manifest_json_with(
    manifest: &Manifest,
    extra: &[iac::File],
) -> Result<String, serde_json::Error> {
    let mut bytes = Vec::new();
    write_manifest(&mut bytes, manifest, extra)?;
    // serde_json writes UTF-8 only.
    String::from_utf8(bytes).map_err(|e| serde_json::Error::io(io::Error::other(e)))
}

/// Write the manifest as [`manifest_json_with`] gives it to `w`, without holding its text:
/// the manifest of a large build is written as it is serialized.
fn write_manifest(
    w: &mut impl io::Write,
    manifest: &Manifest,
    extra: &[iac::File],
) -> Result<(), serde_json::Error> {
    #[derive(serde::Serialize)]
    struct Written<'a> {
        #[serde(flatten)]
        manifest: &'a Manifest,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        iac: Vec<&'a str>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        cost: Vec<&'a str>,
    }
    let is_cost = |f: &&iac::File| {
        f.path
            .strip_prefix(crate::cost::DIR)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    let written = Written {
        manifest,
        iac: extra
            .iter()
            .filter(|f| !is_cost(f))
            .map(|f| f.path.as_str())
            .collect(),
        cost: extra
            .iter()
            .filter(is_cost)
            .map(|f| f.path.as_str())
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *w, &written)?;
    w.write_all(b"\n").map_err(serde_json::Error::io)
}

/// [`manifest_json_with`], failing as the write of `out`'s manifest (`tagc::build::io`).
pub fn manifest_text(
    out: &Path,
    manifest: &Manifest,
    extra: &[iac::File],
) -> Result<String, OutputError> {
    manifest_json_with(manifest, extra).map_err(|e| io_at(&out.join(MANIFEST))(io::Error::other(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::{Artifact, ArtifactKind};

    fn artifact(file: &str) -> Artifact {
        Artifact {
            policy: "p".into(),
            kind: ArtifactKind::Scp,
            name: "tagc-p-scp".into(),
            description: String::new(),
            file: file.into(),
            targets: Vec::new(),
            size: 3,
            limit: 10,
            hash: String::new(),
            content: "{}\n".into(),
        }
    }

    fn build(files: &[&str]) -> Build {
        Build {
            project: crate::model::Project::default(),
            manifest: Manifest {
                tagc: "0".into(),
                catalog: "d".into(),
                limits: "current".into(),
                artifacts: files.iter().map(|f| artifact(f)).collect(),
                wildcards: Vec::new(),
            },
            diagnostics: crate::diagnostics::Diagnostics::new(),
        }
    }

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn test_a_write_failing_midway_leaves_no_staging_and_the_old_output() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out, &[], &build(&["p/scp.json"])).unwrap();
        // `p/scp.json` is a file, so `p/scp.json/x.json` cannot be written: an I/O error
        // after staging has begun.
        let err = write(&out, &[], &build(&["q/scp.json", "q/scp.json/x.json"])).unwrap_err();
        assert!(matches!(err, OutputError::Io { .. }), "{err:?}");
        assert_eq!(names(tmp.path()), ["out"]);
        assert_eq!(tree(&out).unwrap(), ["manifest.json", "p", "p/scp.json"]);
    }

    #[test]
    fn test_swap_by_renames_puts_the_new_output_in_place_and_the_old_at_the_staging_path() {
        let tmp = tempfile::tempdir().unwrap();
        let (new, old) = (tmp.path().join("new"), tmp.path().join("out"));
        write(&new, &[], &build(&["n/scp.json"])).unwrap();
        write(&old, &[], &build(&["o/scp.json"])).unwrap();
        swap_by_renames(&new, &old, tmp.path(), "out").unwrap();
        assert_eq!(tree(&old).unwrap(), ["manifest.json", "n", "n/scp.json"]);
        assert_eq!(tree(&new).unwrap(), ["manifest.json", "o", "o/scp.json"]);
        assert_eq!(names(tmp.path()), ["new", "out"]);
    }

    #[cfg(unix)]
    #[test]
    fn test_the_output_gets_the_permissions_of_mkdir_or_keeps_the_old_ones() {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let tmp = tempfile::tempdir().unwrap();
        let plain = tmp.path().join("plain");
        fs::create_dir(&plain).unwrap();
        let out = tmp.path().join("out");
        write(&out, &[], &build(&["p/scp.json"])).unwrap();
        assert_eq!(mode(&out), mode(&plain));
        fs::set_permissions(&out, fs::Permissions::from_mode(0o750)).unwrap();
        write(&out, &[], &build(&["p/scp.json"])).unwrap();
        assert_eq!(mode(&out), 0o750);
    }

    #[test]
    fn test_a_failed_write_removes_the_directories_it_created() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("a/b/out");
        write(&out, &[], &build(&["q/scp.json", "q/scp.json/x.json"])).unwrap_err();
        assert!(names(tmp.path()).is_empty(), "{:?}", names(tmp.path()));
    }

    #[test]
    fn test_recovery_puts_back_an_old_output_moved_aside_when_the_output_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out, &[], &build(&["p/scp.json"])).unwrap();
        // A run killed between its two renames: the old output aside, the new one staged.
        fs::rename(&out, tmp.path().join(".tagc-old-out-77")).unwrap();
        let staged = tmp.path().join(".tagc-build-out-x1");
        fs::create_dir(&staged).unwrap();
        fs::write(staged.join(MARKER), "").unwrap();
        Place::resolve(&out).unwrap().recover().unwrap();
        assert_eq!(names(tmp.path()), ["out"]);
        assert_eq!(tree(&out).unwrap(), ["manifest.json", "p", "p/scp.json"]);
    }

    #[test]
    fn test_recovery_removes_tagc_leftovers_and_keeps_anything_else() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out, &[], &build(&["p/scp.json"])).unwrap();
        // An old output left after the exchange, a deletion cut short (marker, partial tree),
        // an empty staging directory, and a user's directory that merely has a similar name.
        write(
            &tmp.path().join(".tagc-build-out-a"),
            &[],
            &build(&["p/scp.json"]),
        )
        .unwrap();
        let partial = tmp.path().join(".tagc-build-out-b");
        fs::create_dir_all(partial.join("p")).unwrap();
        fs::write(partial.join(MARKER), "").unwrap();
        fs::write(partial.join("p/scp.json"), "{").unwrap();
        fs::create_dir(tmp.path().join(".tagc-old-out-c")).unwrap();
        let users = tmp.path().join(".tagc-build-out-mine");
        fs::create_dir(&users).unwrap();
        fs::write(users.join("notes.md"), "mine").unwrap();
        // Leftovers of another output directory are not this build's to touch.
        let other = tmp.path().join(".tagc-build-other-d");
        fs::create_dir(&other).unwrap();
        fs::write(other.join(MARKER), "").unwrap();
        Place::resolve(&out).unwrap().recover().unwrap();
        assert_eq!(
            names(tmp.path()),
            [".tagc-build-other-d", ".tagc-build-out-mine", "out"]
        );
        assert_eq!(fs::read_to_string(users.join("notes.md")).unwrap(), "mine");
    }

    /// The shared-SCP fixture: eleven policies attached to the root, whose SCPs are packed
    /// into one shared SCP after each policy's own were made.
    fn shared_scp_sources() -> Vec<Arc<crate::source::SourceFile>> {
        let text = include_str!("../tests/fixtures/valid/shared_scp.tags");
        vec![crate::source::SourceFile::new("shared_scp.tags", text)]
    }

    /// Every file under `dir` with its bytes, sorted.
    fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
        tree(dir)
            .unwrap()
            .into_iter()
            .filter(|f| dir.join(f).is_file())
            .map(|f| {
                let bytes = fs::read(dir.join(&f)).unwrap();
                (f, bytes)
            })
            .collect()
    }

    #[test]
    fn test_a_build_staged_as_it_is_made_keeps_no_document_and_writes_what_a_kept_build_writes() {
        let catalog = crate::catalog::Catalog::builtin();
        let tmp = tempfile::tempdir().unwrap();
        let kept = crate::compile_sources(&shared_scp_sources(), catalog)
            .into_build()
            .unwrap();
        assert!(
            kept.artifacts()
                .iter()
                .any(|a| a.file.ends_with("shared-scp.json"))
        );
        write(&tmp.path().join("kept"), &[], &kept).unwrap();

        let out = tmp.path().join("staged");
        let mut staging = Staging::new(&out, &[]);
        let staged = crate::compile_sources_into(&shared_scp_sources(), catalog, &mut staging)
            .into_build()
            .unwrap();
        // Every document went to its file and none stayed in memory.
        assert!(staged.artifacts().iter().all(|a| a.content.is_empty()));
        assert_eq!(
            manifest_json(&staged.manifest).unwrap(),
            manifest_json(&kept.manifest).unwrap()
        );
        staging.finish(&staged.manifest, &[]).unwrap();
        // The SCPs replaced by the shared one are gone, with no empty directory left.
        assert_eq!(contents(&out), contents(&tmp.path().join("kept")));
        assert_eq!(tree(&out).unwrap(), tree(&tmp.path().join("kept")).unwrap());
    }

    #[test]
    fn test_a_staging_dropped_unfinished_leaves_the_old_output_and_nothing_else() {
        let catalog = crate::catalog::Catalog::builtin();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("a/out");
        write(&out, &[], &build(&["p/scp.json"])).unwrap();
        let mut staging = Staging::new(&out, &[]);
        let compiled = crate::compile_sources_into(&shared_scp_sources(), catalog, &mut staging);
        assert!(compiled.ok());
        drop(staging);
        assert_eq!(names(tmp.path()), ["a"]);
        assert_eq!(names(&tmp.path().join("a")), ["out"]);
        assert_eq!(tree(&out).unwrap(), ["manifest.json", "p", "p/scp.json"]);

        // Directories made for an output that is never put in place are removed too.
        let fresh = tmp.path().join("b/c/out");
        let mut staging = Staging::new(&fresh, &[]);
        staging.write("p/scp.json", "{}\n");
        assert!(tmp.path().join("b/c").is_dir());
        drop(staging);
        assert_eq!(names(tmp.path()), ["a"]);
    }

    #[test]
    fn test_a_staging_that_cannot_write_reports_it_at_finish_and_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let mut staging = Staging::new(&out, &[]);
        staging.write("q/scp.json", "{}\n");
        // `q/scp.json` is a file: nothing can be written under it.
        staging.write("q/scp.json/x.json", "{}\n");
        staging.write("r/scp.json", "{}\n");
        let err = staging.finish(&Manifest::default(), &[]).unwrap_err();
        assert!(matches!(err, OutputError::Io { .. }), "{err:?}");
        assert!(names(tmp.path()).is_empty(), "{:?}", names(tmp.path()));
    }

    #[test]
    fn test_a_comparison_made_as_the_documents_are_made_finds_what_differences_finds() {
        let catalog = crate::catalog::Catalog::builtin();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let kept = crate::compile_sources(&shared_scp_sources(), catalog)
            .into_build()
            .unwrap();
        write(&out, &[], &kept).unwrap();
        let compare = || {
            let mut comparison = Comparison::new(&out);
            let compiled =
                crate::compile_sources_into(&shared_scp_sources(), catalog, &mut comparison)
                    .into_build()
                    .unwrap();
            comparison.finish(&compiled.manifest, &[]).unwrap()
        };
        assert_eq!(compare(), Differences::default());
        fs::write(out.join("queue/shared-scp.json"), "{}\n").unwrap();
        fs::remove_file(out.join("fn/iam-policy.json")).unwrap();
        // A file the build no longer writes: the SCP a shared one replaced.
        fs::write(out.join("training/scp.json"), "{}\n").unwrap();
        let expected = differences(&out, &kept).unwrap();
        assert_eq!(expected.stale, ["queue/shared-scp.json"]);
        assert_eq!(expected.missing, ["fn/iam-policy.json"]);
        assert_eq!(expected.extra, [("training/scp.json".to_owned(), false)]);
        assert_eq!(compare(), expected);
    }

    #[test]
    fn test_differences_lists_stale_missing_and_extra_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(
            &out,
            &[],
            &build(&["p/scp.json", "q/scp.json", "r/scp.json"]),
        )
        .unwrap();
        fs::write(out.join("p/scp.json"), "{ }\n").unwrap();
        fs::write(out.join("notes.md"), "mine").unwrap();
        fs::create_dir(out.join("empty")).unwrap();
        let now = build(&["p/scp.json", "q/scp.json", "s/scp.json"]);
        let d = differences(&out, &now).unwrap();
        assert_eq!(d.stale, ["manifest.json", "p/scp.json"]);
        assert_eq!(d.missing, ["s/scp.json"]);
        assert_eq!(
            d.extra,
            [
                ("empty".to_owned(), false),
                ("notes.md".to_owned(), false),
                ("r/scp.json".to_owned(), true)
            ]
        );
    }
}
