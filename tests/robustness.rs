//! No input makes tagc panic: random bytes, truncated files, deep nesting, huge files and
//! invalid UTF-8 each end in diagnostics.

use std::fmt::Write as _;

use proptest::prelude::*;

use crate::common::compile_text;
use tagc::catalog::Catalog;

/// Compile raw bytes the way `tagc` reads a file.
fn compile_bytes(bytes: Vec<u8>) -> tagc::Compiled {
    tagc::compile_files(vec![("fuzz.tags".to_owned(), bytes)], Catalog::builtin())
}

/// Every diagnostic renders, and each error carries a code and a message.
fn assert_diagnosed(c: &tagc::Compiled) -> Result<(), TestCaseError> {
    let _ = c.diagnostics.render_human(false);
    let json: serde_json::Value = serde_json::from_str(&c.diagnostics.render_json()).unwrap();
    prop_assert_eq!(c.ok(), json["errors"] == 0);
    for d in json["diagnostics"].as_array().unwrap() {
        prop_assert!(
            d["code"].as_str().is_some_and(|s| s.starts_with("tagc::")),
            "{}",
            d
        );
        prop_assert!(
            d["message"].as_str().is_some_and(|s| !s.is_empty()),
            "{}",
            d
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn test_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        assert_diagnosed(&compile_bytes(bytes))?;
    }

    #[test]
    fn test_random_token_soup_never_panics(words in proptest::collection::vec(
        prop::sample::select(vec![
            "tag", "policy", "test", "organization", "{", "}", "\"", "values", "require", "on",
            "sagemaker:Create*", "env", ",", "=", "expect", "deny", "request", "attach", "to",
            "root", "ou", "\"Root/A\"", "#", "\n", "exact-case", "protect", "exempt", "\"arn:aws:iam::*:role/x\"",
        ]), 0..60)) {
        assert_diagnosed(&compile_text("soup.tags", &words.join(" ")))?;
    }

    #[test]
    fn test_every_truncation_of_the_example_is_diagnosed(cut in 0usize..1600) {
        let full = std::fs::read_to_string(crate::common::root().join("examples/sagemaker-cost-allocation.tags")).unwrap();
        let mut cut = cut.min(full.len());
        while !full.is_char_boundary(cut) {
            cut -= 1;
        }
        let text = &full[..cut];
        let c = compile_text("cut.tags", text);
        // Either the prefix is a whole project, or it is diagnosed with spans inside the text.
        if !c.ok() {
            let json: serde_json::Value = serde_json::from_str(&c.diagnostics.render_json()).unwrap();
            prop_assert!(json["errors"].as_u64().unwrap() >= 1);
            for d in json["diagnostics"].as_array().unwrap() {
                for label in d["labels"].as_array().into_iter().flatten() {
                    let offset = label["span"]["offset"].as_u64().unwrap();
                    let length = label["span"]["length"].as_u64().unwrap();
                    prop_assert!(offset + length <= text.len() as u64, "{d}");
                }
            }
        }
    }
}

#[test]
fn test_deep_nesting_is_a_syntax_error() {
    let text = format!("policy p {}{}", "{".repeat(100_000), "}".repeat(100_000));
    let c = compile_text("deep.tags", &text);
    assert_eq!(c.diagnostics.codes(), vec!["tagc::syntax::unexpected"]);
}

#[test]
fn test_huge_file_compiles() {
    let mut text = String::new();
    for i in 0..2_000 {
        let _ = writeln!(text, "tag key{i} {{ values \"a{i}\" \"b{i}\" }}");
    }
    text.push_str("policy p {\n require key1 on sqs:CreateQueue\n attach to root\n}\n");
    let c = compile_text("huge.tags", &text);
    assert!(c.ok(), "{}", c.diagnostics.render_human(false));
}

#[test]
fn test_huge_garbage_gives_a_diagnostic() {
    let text = "§".repeat(1_000_000);
    let c = compile_text("garbage.tags", &text);
    assert_eq!(c.diagnostics.codes(), vec!["tagc::syntax::unexpected"]);
}

#[test]
fn test_invalid_utf8_points_at_the_bad_byte() {
    let c = compile_bytes(b"tag owner\ntag caf\xe9\n".to_vec());
    assert_eq!(c.diagnostics.codes(), vec!["tagc::syntax::invalid-utf8"]);
    let text = c.diagnostics.render_human(false);
    assert!(text.contains("fuzz.tags:2:8"), "{text}");
}

#[test]
fn test_empty_file_is_an_empty_project() {
    let c = compile_text("empty.tags", "");
    assert!(c.ok());
    assert!(c.artifacts.is_empty());
}
