//! Snapshots of the rendered diagnostics for `tests/fixtures/invalid/`: one error per file, the
//! file named after its code (`unknown-tag.tags` → `tagc::…::unknown-tag`).

use crate::common::{compile_fixture, compile_text};

#[test]
fn test_invalid_fixtures_report_their_code() {
    insta::glob!("fixtures/invalid/*.tags", |path| {
        let name = path
            .strip_prefix(crate::common::root())
            .unwrap()
            .display()
            .to_string();
        let expected = path.file_stem().unwrap().to_str().unwrap();
        let compiled = compile_fixture(path);
        let codes = compiled.diagnostics.codes();
        assert!(
            codes
                .iter()
                .any(|c| c.rsplit("::").next() == Some(expected)),
            "{name} should report `{expected}`, got {codes:?}"
        );
        assert!(
            compiled.diagnostics.error_count() <= 1,
            "{name} should hold one error, got {codes:?}"
        );
        if compiled.diagnostics.error_count() == 1 {
            assert!(!compiled.ok() && compiled.artifacts.is_empty());
        }
        insta::assert_snapshot!(compiled.diagnostics.render_human(false));
    });
}

#[test]
fn test_every_error_of_every_file_is_reported() {
    let a = tagc::source::SourceFile::new(
        "a.tags",
        "tag env\npolicy p {\n require envv on sqs:CreateQueue\n attach to root\n}\npolicy q {\n require env on sqs:CreateQeue\n attach to root\n}\n",
    );
    let b = tagc::source::SourceFile::new(
        "b.tags",
        "tag x {\n values \"a\" \"*b*\"\n}\npolicy r {\n require nope on sns:CreateTopic\n attach to root\n}\n",
    );
    let compiled = tagc::compile_sources(&[a, b], tagc::catalog::Catalog::builtin());
    let codes = compiled.diagnostics.codes();
    assert_eq!(
        codes,
        vec![
            "tagc::check::too-many-wildcards",
            "tagc::check::unknown-tag",
            "tagc::check::unknown-action",
            "tagc::check::unknown-tag",
        ]
    );
}

#[test]
fn test_syntax_errors_in_several_items_are_all_reported() {
    let compiled = compile_text(
        "s.tags",
        "tag a {\n values dev\n}\n\npolicy p {\n require a sagemaker:CreateModel\n}\n\ntag b\n",
    );
    assert_eq!(
        compiled.diagnostics.codes(),
        vec!["tagc::syntax::unexpected", "tagc::syntax::unexpected"]
    );
}

#[test]
fn test_tags_declared_in_one_file_are_usable_in_another() {
    let tags = tagc::source::SourceFile::new("tags.tags", "tag owner\n");
    let policy = tagc::source::SourceFile::new(
        "policy.tags",
        "policy p {\n require owner on sqs:CreateQueue\n attach to root\n}\n",
    );
    let compiled = tagc::compile_sources(&[tags, policy], tagc::catalog::Catalog::builtin());
    assert!(
        compiled.ok(),
        "{}",
        compiled.diagnostics.render_human(false)
    );
}

#[test]
fn test_duplicate_across_files_names_the_first_file() {
    let a = tagc::source::SourceFile::new("a.tags", "tag owner\n");
    let b = tagc::source::SourceFile::new("b.tags", "tag owner\n");
    let compiled = tagc::compile_sources(&[a, b], tagc::catalog::Catalog::builtin());
    let json: serde_json::Value =
        serde_json::from_str(&compiled.diagnostics.render_json()).unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(d["message"], "tag `owner` is declared twice");
    assert_eq!(d["filename"], "b.tags");
    assert!(
        d["help"]
            .as_str()
            .unwrap()
            .ends_with("first declared here: a.tags:1:5"),
        "{d}"
    );
}

#[test]
fn test_json_diagnostics_carry_code_span_and_help() {
    let compiled = compile_text(
        "j.tags",
        "tag environment\npolicy p {\n require enviroment on sqs:CreateQueue\n attach to root\n}\n",
    );
    let json: serde_json::Value =
        serde_json::from_str(&compiled.diagnostics.render_json()).unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "tagc::check::unknown-tag");
    assert_eq!(d["message"], "unknown tag `enviroment`");
    assert_eq!(d["filename"], "j.tags");
    assert_eq!(d["labels"][0]["span"]["offset"], 36);
    assert_eq!(d["help"], "did you mean `environment`?");
    assert_eq!(json["errors"], 1);
}
