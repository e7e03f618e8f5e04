//! Snapshots of every artifact emitted for `tests/fixtures/valid/`: one construct per file.
//! Add a case by adding a file. A fixture compiles without warnings unless a
//! `# warnings: CODE, …` line names the ones it expects.

use std::fmt::Write as _;

use crate::common::{compile_text, source};
use tagc::Compiled;

/// Every artifact of a build as one reviewable text: the manifest line, then the document.
fn render(compiled: &Compiled) -> String {
    let mut out = String::new();
    for a in compiled.artifacts() {
        let _ = write!(
            out,
            "=== {} ({:?}, {} / {} chars, targets: {})\n{}",
            a.file,
            a.kind,
            a.size,
            a.limit,
            a.targets
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            a.content
        );
    }
    out
}

/// The warnings a fixture expects, in order: its `# warnings: CODE, …` header line, for a
/// construct that cannot be written without them (`protect` on S3).
fn expected_warnings(text: &str) -> Vec<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("# warnings:"))
        .map(|codes| codes.split(',').map(|c| c.trim().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn test_valid_fixtures_compile_to_snapshots() {
    insta::glob!("fixtures/valid/*.tags", |path| {
        let src = source(path);
        let compiled = compile_text(&src.name, &src.text);
        assert!(
            compiled.ok(),
            "{} should compile:\n{}",
            src.name,
            compiled.diagnostics.render_human(false)
        );
        assert_eq!(
            compiled.diagnostics.codes(),
            expected_warnings(&src.text),
            "{} should compile with no warnings but those its header names:\n{}",
            src.name,
            compiled.diagnostics.render_human(false)
        );
        insta::assert_snapshot!(render(&compiled));
    });
}

#[test]
fn test_output_is_deterministic() {
    insta::glob!("fixtures/valid/*.tags", |path| {
        let src = source(path);
        let a = compile_text(&src.name, &src.text);
        let b = compile_text(&src.name, &src.text);
        let bytes = |c: &Compiled| {
            c.artifacts()
                .iter()
                .map(|a| a.content.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(bytes(&a), bytes(&b));
        assert_eq!(a.manifest, b.manifest);
    });
}

#[test]
fn test_sizes_and_hashes_are_of_the_written_bytes_one_statement_per_line() {
    let compiled = compile_text(
        "x.tags",
        "tag owner { values \"a\" \"b\" }\npolicy p {\n require owner on sqs:CreateQueue\n protect owner\n enforce owner for sqs:queue\n attach to root\n}\n",
    );
    assert!(
        compiled.ok(),
        "{}",
        compiled.diagnostics.render_human(false)
    );
    let scp = compiled
        .artifacts()
        .iter()
        .find(|a| a.kind == tagc::artifact::ArtifactKind::Scp)
        .unwrap();
    let statements = scp.document().unwrap()["Statement"]
        .as_array()
        .unwrap()
        .len();
    assert!(statements >= 2, "{}", scp.content);
    // The opening line, one line per statement, the closing line.
    assert_eq!(
        scp.content.lines().count(),
        statements + 2,
        "{}",
        scp.content
    );
    for a in compiled.artifacts() {
        assert_eq!(a.size, a.content.len());
        assert!(a.content.ends_with("]}\n") || a.content.ends_with("}}\n"));
        assert!(!a.content.contains("  "), "{}", a.content);
        let parsed: serde_json::Value = serde_json::from_str(&a.content).unwrap();
        assert!(parsed.is_object());
        assert_eq!(a.hash, tagc::artifact::content_hash(&a.content));
    }
}

#[test]
fn test_legacy_limits_need_two_scps_and_current_one() {
    let path = crate::common::root().join("tests/fixtures/valid/legacy_limits_split.tags");
    let legacy = std::fs::read_to_string(path).unwrap();
    let current = legacy.replace("limits legacy", "limits current");
    let scps = |text: &str| {
        let c = compile_text("x.tags", text);
        assert!(c.ok(), "{}", c.diagnostics.render_human(false));
        c.artifacts()
            .iter()
            .filter(|a| a.kind == tagc::artifact::ArtifactKind::Scp)
            .map(|a| a.size)
            .collect::<Vec<_>>()
    };
    let legacy_sizes = scps(&legacy);
    let current_sizes = scps(&current);
    assert_eq!(legacy_sizes.len(), 2, "{legacy_sizes:?}");
    assert!(legacy_sizes.iter().all(|&s| s <= 5_120));
    assert_eq!(current_sizes.len(), 1, "{current_sizes:?}");
    assert!(current_sizes[0] > 5_120 && current_sizes[0] <= 10_240);
}

#[test]
fn test_parts_of_a_policy_take_attachment_slots_at_their_targets() {
    // Under the legacy limits a target has 5 SCP slots, one of them `FullAWSAccess`'s. Each
    // distinct `at` set holding `Root/A` is an SCP of its own attached there.
    let project = |sets: usize| {
        let mut rules = String::new();
        for i in 0..sets {
            let _ = writeln!(
                rules,
                "  require owner on sqs:CreateQueue at ou \"Root/A\", ou \"Root/B{i}\""
            );
        }
        format!(
            "organization {{\n  limits legacy\n}}\n\ntag owner\n\npolicy p {{\n{rules}  attach to root\n}}\n"
        )
    };
    let fits = compile_text("fits.tags", &project(4));
    assert!(fits.ok(), "{}", fits.diagnostics.render_human(false));
    let on_a = fits
        .artifacts()
        .iter()
        .filter(|a| {
            a.kind == tagc::artifact::ArtifactKind::Scp
                && a.targets
                    .contains(&tagc::model::Target::OuPath("Root/A".into()))
        })
        .count();
    assert_eq!(on_a, 4);
    let over = compile_text("over.tags", &project(5));
    assert!(
        over.diagnostics
            .codes()
            .contains(&"tagc::emit::slots-exceeded".to_owned()),
        "{}",
        over.diagnostics.render_human(false)
    );
}
