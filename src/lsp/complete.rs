//! Completion and the word under the cursor.
//!
//! Input: the word being typed, what the grammar accepts where it starts, the checked model,
//! the project's sets and the catalog. Output: completion items of what fits there: the
//! statement keywords of the block, declared tags, actions (of the service typed before a `:`,
//! with whether each can carry tags on create), services, resource types, `$sets` of the kind
//! the list takes, or a tag's declared values in a test's `tags K="…"`. Where the text before
//! the cursor does not parse, the context is read from the word alone: a word with a `:` is an
//! action or a resource type of that service; any other word is a keyword, a declared tag key,
//! a service prefix or a set.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, Range, TextEdit,
};

use crate::ast::SetDecl;
use crate::catalog::{Catalog, tag_policy_types};
use crate::model::Project;
use crate::syntax::Expected;

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
///
/// `expected` is what the grammar accepts where the word starts ([`crate::syntax::expected_at`]):
/// only that is offered. When it is not known (the text before the cursor does not parse),
/// everything that could fit the word is offered.
pub fn complete(
    prefix: &str,
    range: Range,
    expected: Option<&[Expected]>,
    model: &Project,
    sets: &[SetDecl],
    catalog: &Catalog,
) -> Vec<CompletionItem> {
    let mut items = Items {
        range,
        items: Vec::new(),
    };
    let Some(expected) = expected else {
        if prefix.contains(':') {
            items.actions_and_types(prefix, catalog, true, true);
        } else {
            for kw in keywords() {
                items.keyword(kw);
            }
            items.tags(model);
            items.services(catalog, true);
            for set in sets {
                items.set(set);
            }
        }
        return items.items;
    };
    for e in expected {
        match e {
            Expected::Keyword(k) => items.keyword(k),
            Expected::Tag => items.tags(model),
            Expected::Action | Expected::ResourceType if prefix.contains(':') => {
                let actions = matches!(e, Expected::Action);
                items.actions_and_types(prefix, catalog, actions, !actions);
            }
            Expected::Action | Expected::ResourceType => items.services(catalog, true),
            Expected::Service => items.services(catalog, false),
            Expected::Set(kind) => {
                for set in sets.iter().filter(|s| s.kind.value == *kind) {
                    items.set(set);
                }
            }
            Expected::Value(key) => {
                if let Some(values) = model
                    .tags
                    .iter()
                    .find(|t| &t.key == key)
                    .and_then(|t| t.values.as_ref())
                {
                    for v in values {
                        items.push(
                            v.clone(),
                            CompletionItemKind::VALUE,
                            format!("value of `{key}`"),
                            None,
                        );
                    }
                }
            }
        }
    }
    items.items
}

/// Completion items being gathered, each replacing the word typed so far.
struct Items {
    range: Range,
    items: Vec<CompletionItem>,
}

impl Items {
    fn push(
        &mut self,
        label: String,
        kind: CompletionItemKind,
        detail: String,
        doc: Option<String>,
    ) {
        if self.items.iter().any(|i| i.label == label) {
            return;
        }
        self.items.push(CompletionItem {
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                self.range,
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
        });
    }

    fn keyword(&mut self, kw: &str) {
        self.push(
            kw.to_owned(),
            CompletionItemKind::KEYWORD,
            "keyword".to_owned(),
            None,
        );
    }

    fn tags(&mut self, model: &Project) {
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
            self.push(
                t.key.clone(),
                CompletionItemKind::VARIABLE,
                "declared tag".to_owned(),
                doc,
            );
        }
    }

    /// The service prefixes: `sagemaker:` where an action or a resource type is being typed,
    /// `sagemaker` where a service is.
    fn services(&mut self, catalog: &Catalog, with_colon: bool) {
        for prefix in catalog.services.keys() {
            let label = if with_colon {
                format!("{prefix}:")
            } else {
                prefix.clone()
            };
            self.push(
                label,
                CompletionItemKind::MODULE,
                "service".to_owned(),
                None,
            );
        }
    }

    fn set(&mut self, set: &SetDecl) {
        self.push(
            format!("${}", set.name.value),
            CompletionItemKind::CONSTANT,
            format!("set of {}", set.kind.value.word()),
            None,
        );
    }

    /// The actions of the service `prefix` names (with whether each can carry tags on
    /// create), and its resource types a tag policy accepts.
    fn actions_and_types(&mut self, prefix: &str, catalog: &Catalog, actions: bool, types: bool) {
        let Some((service, _)) = prefix.split_once(':') else {
            return;
        };
        let Some(svc) = catalog.service(service) else {
            return;
        };
        if actions {
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
                self.push(name, CompletionItemKind::FUNCTION, detail, doc);
            }
        }
        if types {
            for rt in tag_policy_types::reportable_types_for(&svc.prefix) {
                let detail = if tag_policy_types::enforceable(rt) {
                    "resource type (enforce, report)"
                } else {
                    "resource type (report)"
                };
                self.push(
                    rt.to_owned(),
                    CompletionItemKind::CLASS,
                    detail.to_owned(),
                    None,
                );
            }
        }
    }
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
