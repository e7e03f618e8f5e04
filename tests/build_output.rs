//! `tagc build --out`: what it may replace, what it refuses, and what it leaves after a run that
//! was killed. Each test runs the binary in a temporary project and checks that the user's files
//! are exactly as they were.

use std::path::Path;

use crate::common::{Run, tagc};

const RULES: &str =
    "tag owner\n\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n";
const MORE: &str =
    "tag team\n\npolicy q {\n  require team on sns:CreateTopic\n  attach to root\n}\n";

/// A project: `policies/rules.tags`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/rules.tags"), RULES).unwrap();
    dir
}

/// Every file and directory under `dir` with the content of each file, to compare before and
/// after a command.
fn snapshot(dir: &Path) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            if path.is_dir() {
                stack.push(path);
                out.push((name, None));
            } else {
                out.push((name, Some(std::fs::read_to_string(&path).unwrap())));
            }
        }
    }
    out.sort();
    out
}

/// The run was refused with exit 1 and the diagnostic `code`: its whole transcript is
/// snapshotted under the test's name (a macro, so that insta names it after the test).
macro_rules! assert_refused {
    ($run:expr, $code:expr) => {{
        let run: &Run = $run;
        assert_eq!(run.code, 1, "{}", run.transcript());
        assert_eq!(
            run.stderr.lines().next(),
            Some($code),
            "{}",
            run.transcript()
        );
        insta::assert_snapshot!(run.transcript());
    }};
}

#[test]
fn test_build_refuses_to_replace_the_input_directory() {
    let dir = project();
    let before = snapshot(dir.path());
    let run = tagc(dir.path(), &["build", "--out", "policies"]);
    assert_refused!(&run, "tagc::build::out-holds-input");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn test_build_refuses_an_output_directory_that_contains_an_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("proj/policies")).unwrap();
    std::fs::write(dir.path().join("proj/policies/rules.tags"), RULES).unwrap();
    std::fs::write(dir.path().join("proj/README.md"), "my project").unwrap();
    let before = snapshot(dir.path());
    let run = tagc(dir.path(), &["build", "--out", "proj", "proj/policies"]);
    assert_refused!(&run, "tagc::build::out-holds-input");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn test_build_refuses_a_file_as_output_and_leaves_it_where_it_was() {
    let dir = project();
    std::fs::write(dir.path().join("existing.txt"), "mine").unwrap();
    let before = snapshot(dir.path());
    let run = tagc(dir.path(), &["build", "--out", "existing.txt"]);
    assert_refused!(&run, "tagc::build::out-not-directory");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn test_build_refuses_the_current_directory_and_leaves_nothing_behind() {
    let dir = project();
    let before = snapshot(dir.path());
    for _ in 0..2 {
        let run = tagc(dir.path(), &["build", "--out", "."]);
        assert_refused!(&run, "tagc::build::out-is-current-directory");
    }
    // An ancestor of the current directory is refused the same way.
    let run = tagc(
        &dir.path().join("policies"),
        &["build", "--out", "..", "rules.tags"],
    );
    assert_refused!(&run, "tagc::build::out-is-current-directory");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn test_build_refuses_a_non_empty_directory_it_did_not_write() {
    let dir = project();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/guide.md"), "mine").unwrap();
    let before = snapshot(dir.path());
    let run = tagc(dir.path(), &["build", "--out", "docs"]);
    assert_refused!(&run, "tagc::build::out-not-tagc");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn test_build_refuses_its_own_output_once_it_holds_a_file_tagc_did_not_write() {
    let dir = project();
    assert_eq!(tagc(dir.path(), &["build"]).code, 0);
    std::fs::write(dir.path().join("out/notes.md"), "mine").unwrap();
    std::fs::write(dir.path().join("policies/more.tags"), MORE).unwrap();
    let before = snapshot(dir.path());
    let run = tagc(dir.path(), &["build"]);
    assert_refused!(&run, "tagc::build::out-foreign-files");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn test_build_replaces_its_own_output_and_an_empty_directory() {
    let dir = project();
    std::fs::write(dir.path().join("policies/more.tags"), MORE).unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    assert_eq!(tagc(dir.path(), &["build"]).code, 0);
    assert!(dir.path().join("out/q/scp.json").is_file());
    // The output of a removed policy goes with the old build.
    std::fs::remove_file(dir.path().join("policies/more.tags")).unwrap();
    let run = tagc(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(!dir.path().join("out/q").exists());
    assert!(dir.path().join("out/p/scp.json").is_file());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with(".tagc")), "{names:?}");
}

#[cfg(unix)]
#[test]
fn test_build_through_a_symbolic_link_replaces_the_directory_and_keeps_the_link() {
    let dir = project();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::os::unix::fs::symlink("real", dir.path().join("out")).unwrap();
    for _ in 0..2 {
        let run = tagc(dir.path(), &["build"]);
        assert_eq!(run.code, 0, "{}", run.transcript());
    }
    assert!(
        std::fs::symlink_metadata(dir.path().join("out"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(dir.path().join("real/p/scp.json").is_file());
}

#[test]
fn test_build_that_cannot_write_exits_1_and_writes_nothing() {
    let dir = project();
    std::fs::write(dir.path().join("existing.txt"), "mine").unwrap();
    let before = snapshot(dir.path());
    let run = tagc(dir.path(), &["build", "--out", "existing.txt/out"]);
    assert_refused!(&run, "tagc::build::io");
    assert_eq!(snapshot(dir.path()), before);
}

/// What a run killed at any point can leave beside the output: an old output after the
/// exchange, a staging directory cut short (marked), an old output moved aside. The next build
/// removes them, and leaves a user's directory with a similar name alone.
#[test]
fn test_build_after_a_killed_run_removes_its_leftovers_and_nothing_of_the_users() {
    let dir = project();
    assert_eq!(tagc(dir.path(), &["build"]).code, 0);
    // Leftovers made from a real output, so they carry tagc's manifest.
    let copy = |to: &str| {
        let run = tagc(dir.path(), &["build", "--out", to]);
        assert_eq!(run.code, 0, "{}", run.transcript());
    };
    copy(".tagc-build-out-after-exchange");
    copy(".tagc-old-out-4242");
    let cut_short = dir.path().join(".tagc-build-out-cut");
    std::fs::create_dir_all(cut_short.join("p")).unwrap();
    std::fs::write(cut_short.join(".tagc-staging"), "").unwrap();
    std::fs::write(cut_short.join("p/scp.json"), "{").unwrap();
    let users = dir.path().join(".tagc-build-out-mine");
    std::fs::create_dir(&users).unwrap();
    std::fs::write(users.join("notes.md"), "mine").unwrap();

    std::fs::write(dir.path().join("policies/more.tags"), MORE).unwrap();
    let run = tagc(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".tagc-build-out-mine", "out", "policies"]);
    assert_eq!(
        std::fs::read_to_string(users.join("notes.md")).unwrap(),
        "mine"
    );
    assert!(dir.path().join("out/q/scp.json").is_file());
    assert_eq!(tagc(dir.path(), &["build", "--check"]).code, 0);
}

/// A kill between the two renames of the fallback swap leaves no output and the old one aside:
/// the next build puts it back before deciding anything, so it is never lost.
#[test]
fn test_build_after_a_run_killed_between_renames_finds_the_old_output() {
    let dir = project();
    assert_eq!(tagc(dir.path(), &["build"]).code, 0);
    std::fs::write(dir.path().join("out/notes.md"), "mine").unwrap();
    std::fs::rename(
        dir.path().join("out"),
        dir.path().join(".tagc-old-out-4242"),
    )
    .unwrap();
    // Only an output put back is found to hold the user's file, so the build is refused.
    let run = tagc(dir.path(), &["build"]);
    assert_refused!(&run, "tagc::build::out-foreign-files");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/notes.md")).unwrap(),
        "mine"
    );
    assert!(!dir.path().join(".tagc-old-out-4242").exists());
}

#[test]
fn test_build_check_lists_stale_missing_and_extra_files() {
    let dir = project();
    std::fs::write(dir.path().join("policies/more.tags"), MORE).unwrap();
    assert_eq!(tagc(dir.path(), &["build"]).code, 0);
    assert_eq!(tagc(dir.path(), &["build", "--check"]).code, 0);
    std::fs::remove_file(dir.path().join("policies/more.tags")).unwrap();
    std::fs::write(dir.path().join("out/p/scp.json"), "{}\n").unwrap();
    std::fs::remove_file(dir.path().join("out/p/tag-policy.json")).unwrap();
    std::fs::write(dir.path().join("out/notes.md"), "mine").unwrap();
    let before = snapshot(dir.path());
    let run = tagc(dir.path(), &["build", "--check"]);
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    tagc::build::stale

      × `out/manifest.json` is stale
      help: run `tagc build --out out` and commit the result
    tagc::build::stale

      × `out/p/scp.json` is stale
      help: run `tagc build --out out` and commit the result
    tagc::build::missing

      × `out/p/tag-policy.json` is missing
      help: run `tagc build --out out` and commit the result
    tagc::build::foreign

      × `out/notes.md` was not written by tagc
      help: move it away: a build refuses to replace a directory that holds files tagc did not write
    tagc::build::extra

      × `out/q/iam-policy.json` is no longer written: a build deletes it
      help: run `tagc build --out out` and commit the result
    tagc::build::extra

      × `out/q/scp.json` is no longer written: a build deletes it
      help: run `tagc build --out out` and commit the result
    tagc::build::extra

      × `out/q/tag-policy.json` is no longer written: a build deletes it
      help: run `tagc build --out out` and commit the result
    7 errors, 0 warnings
    [exit 1]
    ");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn test_build_refused_after_its_documents_were_staged_keeps_the_old_output_and_no_staging() {
    let dir = project();
    assert_eq!(tagc(dir.path(), &["build", "--out", "out"]).code, 0);
    // A policy attached nowhere is a warning, found by check; the documents are written to the
    // staging directory before `--deny-warnings` refuses the build.
    std::fs::write(
        dir.path().join("policies/more.tags"),
        "tag team\n\npolicy q {\n  require team on sns:CreateTopic\n}\n",
    )
    .unwrap();
    let before = snapshot(dir.path());
    let run = tagc(dir.path(), &["build", "--deny-warnings", "--out", "out"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr.contains("tagc::cli::denied-warnings"),
        "{}",
        run.transcript()
    );
    assert_eq!(snapshot(dir.path()), before);
}
