//! Completion and the word under the cursor.
//!
//! Input: the text before the cursor, the checked model and the catalog. Output: completion
//! items. The context is read from the word being typed, which is reliable while the file does
//! not parse: a word with a `:` is an action or a resource type of that service (with whether
//! the action can carry tags on create); any other word is a keyword of the language, a
//! declared tag key or a service prefix.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, Range, TextEdit,
};

use crate::catalog::{Catalog, tag_policy_types};
use crate::model::Project;

/// The grammar, the one list of the language's keywords (its `kw_*` rules).
const GRAMMAR: &str = include_str!("../../grammar/tagc.pest");

/// The keywords of the language, as the grammar spells them, in grammar order.
pub fn keywords() -> Vec<&'static str> {
    GRAMMAR
        .lines()
        .filter(|l| l.starts_with("kw_"))
        .filter_map(|l| l.split('"').nth(1))
        .collect()
}

/// Whether `c` can be part of a word: a tag key, a keyword, an action or a resource type.
/// Everything else (space, braces, commas, `=`, quotes, `#`) ends one.
pub fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '{' | '}' | ',' | '=' | '"' | '#' | '(' | ')')
}

/// The word of `text` around byte `offset`: its byte range.
pub fn word_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let offset = offset.min(text.len());
    let before = text.get(..offset)?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let after = text.get(offset..)?;
    let end = offset
        + after
            .find(|c: char| !is_word_char(c))
            .unwrap_or(after.len());
    (start < end).then_some((start, end))
}

/// The completions for `prefix`, the part of the word before the cursor, which `range` covers.
pub fn complete(
    prefix: &str,
    range: Range,
    model: &Project,
    catalog: &Catalog,
) -> Vec<CompletionItem> {
    let item = |label: String, kind, detail: String, doc: Option<String>| CompletionItem {
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
            range,
            label.clone(),
        ))),
        label,
        kind: Some(kind),
        detail: Some(detail),
        documentation: doc.map(|value| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            })
        }),
        ..CompletionItem::default()
    };
    let mut items = Vec::new();
    if let Some((service, _)) = prefix.split_once(':') {
        let Some(svc) = catalog.service(service) else {
            return items;
        };
        for a in &svc.actions {
            let name = format!("{}:{}", svc.prefix, a.name);
            let detail = if a.tagging_only {
                "tagging-only action".to_owned()
            } else if a.can_carry_tags() {
                "can carry tags on create".to_owned()
            } else {
                "cannot carry tags on create".to_owned()
            };
            let authorizes = catalog.tagging_authorized_by(&svc.prefix, &a.name);
            let doc = (!authorizes.is_empty()).then(|| {
                format!(
                    "With tags, AWS also authorizes {}.",
                    authorizes
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            items.push(item(name, CompletionItemKind::FUNCTION, detail, doc));
        }
        for rt in tag_policy_types::reportable_types_for(&svc.prefix) {
            let detail = if tag_policy_types::enforceable(rt) {
                "resource type (enforce, report)"
            } else {
                "resource type (report)"
            };
            items.push(item(
                rt.to_owned(),
                CompletionItemKind::CLASS,
                detail.to_owned(),
                None,
            ));
        }
        return items;
    }
    for kw in keywords() {
        items.push(item(
            kw.to_owned(),
            CompletionItemKind::KEYWORD,
            "keyword".to_owned(),
            None,
        ));
    }
    for t in &model.tags {
        let doc = t.values.as_ref().map(|v| {
            format!(
                "Allowed values: {}",
                v.iter()
                    .map(|x| format!("`{x}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        items.push(item(
            t.key.clone(),
            CompletionItemKind::VARIABLE,
            "declared tag".to_owned(),
            doc,
        ));
    }
    for prefix in catalog.services.keys() {
        items.push(item(
            format!("{prefix}:"),
            CompletionItemKind::MODULE,
            "service".to_owned(),
            None,
        ));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::{keywords, word_at};

    #[test]
    fn test_keywords_come_from_the_grammar() {
        let kws = keywords();
        for kw in [
            "tag",
            "require",
            "only-declared-keys",
            "tag-policy",
            "compact",
        ] {
            assert!(kws.contains(&kw), "{kw} missing from {kws:?}");
        }
        assert!(!kws.iter().any(|k| k.contains(['"', ' '])), "{kws:?}");
    }

    #[test]
    fn test_word_at_stops_at_spaces_and_punctuation() {
        let text = "  require owner on sqs:Create*, s3:PutObject\n";
        let at = text.find("Create").unwrap_or_default();
        assert_eq!(
            word_at(text, at).and_then(|(s, e)| text.get(s..e)),
            Some("sqs:Create*")
        );
        assert_eq!(word_at(text, 0), None);
    }
}
