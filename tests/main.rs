//! tagc's integration tests: one binary, one module per topic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up should fail loudly"
)]

mod common;

#[cfg(feature = "aws")]
mod apply;
#[cfg(feature = "aws")]
mod apply_cli;
mod audit;
mod build_output;
mod cli;
mod cli_flags;
mod compile;
mod corpus;
mod cost;
mod diagnostics;
mod differential;
mod docs;
mod docs_examples;
mod exhaustive;
mod exit_codes;
mod fmt;
mod fuzz;
mod generated;
mod iac;
mod install;
mod lsp;
mod packing;
mod report;
mod robustness;
mod selfcontained;

/// Every `.rs` file in `tests/` must be a module of this binary: a file that is not would
/// silently never run.
#[test]
fn test_no_forgotten_test_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let is_module = path.extension().is_some_and(|e| e == "rs") || path.join("mod.rs").exists();
        if is_module && stem != "main" {
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/{stem} is not declared in tests/main.rs"
            );
        }
    }
}
