//! The documentation keeps up with the code: every diagnostic code that tagc can emit is
//! explained in `docs/errors.md`.

use crate::common::root;

/// Every `tagc::stage::name` code written in `src/` or `crates/` as a diagnostic code: inside
/// `code(…)` or as a string literal.
pub(crate) fn codes_in_source() -> std::collections::BTreeSet<String> {
    let mut codes = std::collections::BTreeSet::new();
    let mut dirs = vec![root().join("src"), root().join("crates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("tagc::") {
                let rest = &text[i..];
                let code: String = rest
                    .chars()
                    .take_while(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ':' | '-' | '_')
                    })
                    .collect();
                let before = text[..i].chars().next_back();
                let after = rest[code.len()..].chars().next();
                let is_code = code.matches("::").count() == 2
                    && !code.ends_with(':')
                    && matches!(
                        (before, after),
                        (Some('"'), Some('"')) | (Some('('), Some(')'))
                    );
                if is_code {
                    codes.insert(code);
                }
            }
        }
    }
    codes
}

#[test]
fn test_every_diagnostic_code_is_documented_in_errors_md() {
    let docs = std::fs::read_to_string(root().join("docs/errors.md")).unwrap();
    let codes = codes_in_source();
    assert!(codes.len() > 50, "found only {codes:?}");
    assert!(codes.contains("tagc::check::unknown-tag"));
    assert!(codes.contains("tagc::eval::malformed-tag-policy"));
    let missing: Vec<_> = codes
        .iter()
        .filter(|c| !docs.contains(&format!("### `{c}`")))
        .collect();
    assert!(missing.is_empty(), "not in docs/errors.md: {missing:?}");
}
