//! Helpers shared by the integration tests.

#![allow(dead_code, reason = "each test module uses a different subset")]

pub mod requests;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use tagc::catalog::Catalog;
use tagc::source::SourceFile;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compile one in-memory file named `name`.
pub fn compile_text(name: &str, text: &str) -> tagc::Compiled {
    tagc::compile_sources(&[SourceFile::new(name, text)], Catalog::builtin())
}

/// Compile files or directories on disk.
pub fn compile_paths(paths: &[PathBuf]) -> tagc::Compiled {
    tagc::compile_paths(paths, Catalog::builtin())
}

/// Compile one fixture file as `tagc` reads it (bytes, so invalid UTF-8 is diagnosed), named
/// relative to the repository root.
pub fn compile_fixture(path: &Path) -> tagc::Compiled {
    let bytes = std::fs::read(path).unwrap();
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    tagc::compile_files(vec![(name, bytes)], Catalog::builtin())
}

/// A source file from disk, named relative to the repository root so snapshots do not depend
/// on where the checkout is.
pub fn source(path: &Path) -> Arc<SourceFile> {
    let bytes = std::fs::read(path).unwrap();
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    match tagc::syntax::decode(&name, bytes) {
        Ok(src) => src,
        Err(e) => e.loc.file.clone(),
    }
}

/// The result of running the `tagc` binary.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    /// stdout, stderr and the exit code in one text, for snapshots.
    pub fn transcript(&self) -> String {
        format!(
            "----- stdout -----\n{}----- stderr -----\n{}[exit {}]\n",
            self.stdout, self.stderr, self.code
        )
    }
}

/// Run `tagc` with `args` in directory `dir`, without colour.
pub fn tagc(dir: &Path, args: &[&str]) -> Run {
    tagc_env(dir, args, &[])
}

/// Run `tagc` with `args` in directory `dir`, without colour, with these environment variables
/// set (such as `Moto::env()`). No AWS setting of the machine running the tests leaks in:
/// profile, endpoint and credential variables are removed first. Stdin is not a terminal.
pub fn tagc_env(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tagc"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    let out = command.output().unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The `.tags` files directly in `dir` (relative to the repository root), sorted.
pub fn tags_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tags"))
        .collect();
    files.sort();
    files
}

/// `policies/rules.tags` holding `rules`, in a fresh directory.
pub fn rules_project(rules: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/rules.tags"), rules).unwrap();
    dir
}

/// Build `dir`'s project into `dir/out` with these extra arguments; it must succeed.
pub fn build_ok(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["build", "--out", "out"];
    args.extend_from_slice(extra);
    let run = tagc(dir, &args);
    assert_eq!(run.code, 0, "{}", run.transcript());
    run
}

/// A program that `.ci/<script>` installs into `.venv/bin/<bin>` at a pinned version: the path
/// in the environment variable `env` when it is set, otherwise `.venv/bin/<bin>` once the
/// script has run (once per test run, recorded in `done`; the scripts do nothing when the
/// pinned version is there). A failed install fails the test that needs the program: a test
/// skipped for want of it would show nothing.
pub fn venv_program(
    env: &str,
    script: &str,
    bin: &str,
    done: &'static std::sync::OnceLock<Result<(), String>>,
) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let installed = done.get_or_init(|| {
        match std::process::Command::new("bash")
            .arg(root().join(".ci").join(script))
            .output()
        {
            Ok(out) if out.status.success() => Ok(()),
            Ok(out) => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
            Err(e) => Err(e.to_string()),
        }
    });
    let program = root().join(".venv/bin").join(bin);
    match installed {
        Ok(()) if program.is_file() => program,
        Ok(()) => panic!("`.ci/{script}` ran but {} is missing", program.display()),
        Err(e) => panic!("`.ci/{script}` failed: {e}\nrun it, or set {env} to the path of `{bin}`"),
    }
}
