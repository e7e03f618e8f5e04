//! The repository stands on its own: the AWS data the built-in catalog comes from is in `data/`,
//! `tagc catalog import` turns it back into the built-in catalog, and no file points outside the
//! repository.

use std::path::Path;

use crate::common::{root, tagc};

#[test]
fn test_catalog_import_of_the_vendored_snapshot_reproduces_the_builtin_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let archive = root().join("data/aws-service-reference.tar.gz");
    let run = tagc(
        dir.path(),
        &[
            "catalog",
            "import",
            archive.to_str().unwrap(),
            "--out",
            "catalog.json",
        ],
    );
    assert_eq!(
        run.transcript(),
        "----- stdout -----\n----- stderr -----\n\
         wrote catalog.json (466 services, 21983 actions, AWS data of 2026-08-22)\n[exit 0]\n"
    );
    let written = std::fs::read(dir.path().join("catalog.json")).unwrap();
    let builtin = std::fs::read(root().join("src/catalog/data/catalog.json")).unwrap();
    assert!(
        written == builtin,
        "`tagc catalog import data/aws-service-reference.tar.gz` differs from src/catalog/data/catalog.json"
    );
}

#[test]
fn test_catalog_info_reads_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let archive = root().join("data/aws-service-reference.tar.gz");
    let from_archive = tagc(
        dir.path(),
        &["catalog", "info", "--catalog", archive.to_str().unwrap()],
    );
    let builtin = tagc(dir.path(), &["catalog", "info"]);
    assert_eq!(from_archive.code, 0, "{}", from_archive.transcript());
    assert_eq!(from_archive.stdout, builtin.stdout);
}

/// Text files of the repository that are tagc's own: sources, tests, docs, data notes.
fn own_text_files() -> Vec<std::path::PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("Cargo.toml")];
    let mut dirs: Vec<_> = [
        "src", "tests", "docs", "data", "examples", "policies", "grammar", "benches", ".ci",
    ]
    .iter()
    .map(|d| root().join(d))
    .collect();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if std::fs::read_to_string(&path).is_ok() {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn test_no_file_refers_to_anything_outside_the_repository() {
    // Built from pieces so that this file does not match itself.
    let needles = [
        format!("../{}", "shared"),
        format!("{}/data/", "shared"),
        format!("{}-notes", "catalog"),
        format!("{}-facts", "aws"),
        format!("/{}/", "work"),
    ];
    let mut found = Vec::new();
    let files = own_text_files();
    assert!(files.len() > 50, "only {} files found", files.len());
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        for needle in &needles {
            if text.contains(needle.as_str()) {
                let name = path.strip_prefix(root()).unwrap_or(Path::new(""));
                found.push(format!("{}: {needle}", name.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "files refer outside the repository:\n{}",
        found.join("\n")
    );
}
