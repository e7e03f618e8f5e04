//! What the grammar accepts at a place of the text, for completion in the editor.
//!
//! Input: a file's text and a byte offset, the start of the word being typed. Output: what may
//! be written there, in user terms ([`Expected`]), read from the parser itself: the item around
//! the offset is parsed up to it, and the rules pest says it expected at the end are mapped to
//! what they accept. So completion follows the grammar as it grows, through the same rules that
//! name what was expected in syntax errors ([`super::rules`]).

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};

use super::parser::{Rule, TagcParser};
use super::recover::{entry_for, statement_starts};
use super::rules::describe;
use super::split::{ITEM_KEYWORDS, split_items};
use crate::ast::SetKind;

/// Something that may be written at a place of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// A keyword, as written.
    Keyword(&'static str),
    /// A tag name.
    Tag,
    /// An action or action pattern.
    Action,
    /// A service prefix.
    Service,
    /// A resource type.
    ResourceType,
    /// A reference to a set of this kind.
    Set(SetKind),
    /// A value of the tag named, inside the string after `KEY =` (a test's `tags`).
    Value(String),
}

/// What may be written at byte `offset` of `text`; `None` when the text before it does not
/// parse up to there (then the context is unknown).
pub fn expected_at(text: &str, offset: usize) -> Option<Vec<Expected>> {
    let offset = offset.min(text.len());
    let item_start = split_items(text)
        .into_iter()
        .map(|(s, _)| s)
        .take_while(|&s| s <= offset)
        .last()
        .unwrap_or(0);
    let mut before = text.get(item_start..offset)?;
    // Inside a string: what the string is for, by what precedes its opening quote.
    let mut value_of = None;
    if let Some(quote) = open_quote(before) {
        let head = before.get(..quote)?;
        value_of = Some(key_before_equals(head)?);
        before = head;
    }
    if before.trim().is_empty() {
        return Some(item_keywords());
    }
    let positives = match TagcParser::parse(Rule::item_entry, before) {
        Ok(_) => return Some(item_keywords()),
        Err(e) => match positives_at_end(e, before) {
            Some(p) => p,
            // The item is broken before the cursor: what the statement being written expects,
            // parsed alone, as syntax error recovery cuts a block into statements.
            None => in_statement(before)?,
        },
    };
    if let Some(key) = value_of {
        return positives
            .contains(&Rule::string)
            .then(|| vec![Expected::Value(key)]);
    }
    Some(map(&positives))
}

/// The rules pest expected, when it failed at the end of `text` (after trailing blanks).
fn positives_at_end(e: pest::error::Error<Rule>, text: &str) -> Option<Vec<Rule>> {
    let at = match e.location {
        InputLocation::Pos(p) | InputLocation::Span((p, _)) => p,
    };
    if at < text.trim_end().len() {
        return None;
    }
    match e.variant {
        ErrorVariant::ParsingError { positives, .. } => Some(positives),
        ErrorVariant::CustomError { .. } => None,
    }
}

/// What the statement at the end of the block item `before` expects, parsed as the only
/// statement of its block: from the start of its line when nothing precedes the cursor there
/// (a new statement), else from the last line that starts a statement.
fn in_statement(before: &str) -> Option<Vec<Rule>> {
    let entry = entry_for(before)?;
    let open = before.find('{')?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1).max(open + 1);
    let start = if before.get(line_start..)?.trim().is_empty() {
        before.len()
    } else {
        statement_starts(before, open + 1, before.len(), entry)
            .last()
            .copied()?
    };
    let alone = format!("{}\n{}", before.get(..=open)?, before.get(start..)?);
    match TagcParser::parse(Rule::item_entry, &alone) {
        Ok(_) => None,
        Err(e) => positives_at_end(e, &alone),
    }
}

/// The keywords that open a top-level item.
fn item_keywords() -> Vec<Expected> {
    ITEM_KEYWORDS.iter().map(|k| Expected::Keyword(k)).collect()
}

/// What the rules pest expected accept, in user terms.
fn map(positives: &[Rule]) -> Vec<Expected> {
    let mut out = Vec::new();
    let mut push = |e: Expected| {
        if !out.contains(&e) {
            out.push(e);
        }
    };
    // A `$name` alone is one item of a list already begun: its kind is its neighbour's.
    let set_kind = if positives.contains(&Rule::action) {
        Some(SetKind::Actions)
    } else if positives.contains(&Rule::tag_name) {
        Some(SetKind::Tags)
    } else if positives.contains(&Rule::service) {
        Some(SetKind::Services)
    } else if positives.contains(&Rule::resource_type) {
        Some(SetKind::ResourceTypes)
    } else if positives.contains(&Rule::kw_root) {
        Some(SetKind::Targets)
    } else if positives.contains(&Rule::string) {
        Some(SetKind::Principals)
    } else {
        None
    };
    for rule in positives {
        match rule {
            Rule::tag_list => {
                push(Expected::Tag);
                push(Expected::Set(SetKind::Tags));
            }
            Rule::tag_name | Rule::bare_tag => push(Expected::Tag),
            Rule::action_list => {
                push(Expected::Action);
                push(Expected::Set(SetKind::Actions));
            }
            Rule::action => push(Expected::Action),
            Rule::service_list => {
                push(Expected::Service);
                push(Expected::Set(SetKind::Services));
            }
            Rule::service => push(Expected::Service),
            Rule::resource_type_list => {
                push(Expected::ResourceType);
                push(Expected::Set(SetKind::ResourceTypes));
            }
            Rule::resource_type => push(Expected::ResourceType),
            Rule::principal_list => push(Expected::Set(SetKind::Principals)),
            Rule::target_list => {
                for k in ["root", "ou", "account"] {
                    push(Expected::Keyword(k));
                }
                push(Expected::Set(SetKind::Targets));
            }
            Rule::set_ref => {
                if let Some(kind) = set_kind {
                    push(Expected::Set(kind));
                }
            }
            Rule::EOI => {
                for k in ITEM_KEYWORDS {
                    push(Expected::Keyword(k));
                }
            }
            r if format!("{r:?}").starts_with("kw_") => {
                if let Some(word) = describe(*r) {
                    push(Expected::Keyword(word.trim_matches('`')));
                }
            }
            _ => {}
        }
    }
    out
}

/// Where the string left open on the last line of `text` starts, if one is.
fn open_quote(text: &str) -> Option<usize> {
    let line_start = text.rfind('\n').map_or(0, |i| i + 1);
    let mut open = None;
    let mut chars = text.get(line_start..)?.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if open.is_some() => {
                chars.next();
            }
            '"' => {
                open = if open.is_some() {
                    None
                } else {
                    Some(line_start + i)
                }
            }
            '#' if open.is_none() => return None,
            _ => {}
        }
    }
    open
}

/// The tag name before `=` at the end of `text` (`tags environment =`), for a test's values.
fn key_before_equals(text: &str) -> Option<String> {
    let rest = text.trim_end().strip_suffix('=')?.trim_end();
    if let Some(quoted) = rest.strip_suffix('"') {
        let start = quoted.rfind('"')?;
        return Some(quoted.get(start + 1..)?.to_owned());
    }
    let start = rest
        .rfind(|c: char| c.is_whitespace() || c == ',')
        .map_or(0, |i| i + 1);
    Some(rest.get(start..)?.to_owned()).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::{Expected, expected_at};
    use crate::ast::SetKind;

    fn at(text: &str) -> Vec<Expected> {
        let offset = text.find('|').unwrap_or(text.len());
        let text = text.replacen('|', "", 1);
        expected_at(&text, offset).unwrap_or_default()
    }

    #[test]
    fn test_statement_keywords_at_the_start_of_a_policy_statement() {
        let e = at("policy p {\n  |\n}\n");
        assert!(e.contains(&Expected::Keyword("require")), "{e:?}");
        assert!(e.contains(&Expected::Keyword("attach")), "{e:?}");
        assert!(!e.contains(&Expected::Keyword("values")), "{e:?}");
        assert!(!e.contains(&Expected::Tag), "{e:?}");
    }

    #[test]
    fn test_lists_expect_their_elements_and_sets_of_their_kind() {
        assert_eq!(
            at("policy p {\n  require |"),
            [Expected::Tag, Expected::Set(SetKind::Tags)]
        );
        assert_eq!(
            at("policy p {\n  require a on |"),
            [Expected::Action, Expected::Set(SetKind::Actions)]
        );
        assert_eq!(
            at("policy p {\n  require a on sqs:A, |"),
            [Expected::Action, Expected::Set(SetKind::Actions)]
        );
        assert_eq!(
            at("policy p {\n  protect a on |"),
            [Expected::Service, Expected::Set(SetKind::Services)]
        );
        assert!(at("policy p {\n  require a on s:A for |").contains(&Expected::ResourceType));
        assert!(at("policy p {\n  attach to |").contains(&Expected::Set(SetKind::Targets)));
        assert!(at("policy p {\n  attach to |").contains(&Expected::Keyword("ou")));
        assert_eq!(
            at("policy p {\n  exempt |"),
            [Expected::Set(SetKind::Principals)]
        );
        assert_eq!(
            at("set actions s { |"),
            [Expected::Action, Expected::Set(SetKind::Actions)]
        );
    }

    #[test]
    fn test_a_broken_statement_before_the_cursor_does_not_hide_the_context() {
        let broken = "policy p {\n  require owner sqs:CreateQueue\n  ";
        let e = at(&format!("{broken}|"));
        assert!(e.contains(&Expected::Keyword("protect")), "{e:?}");
        assert!(!e.contains(&Expected::Tag), "{e:?}");
        assert_eq!(
            at(&format!("{broken}require a on |")),
            [Expected::Action, Expected::Set(SetKind::Actions)]
        );
    }

    #[test]
    fn test_top_level_and_values_in_a_test() {
        assert!(at("tag a\n|").contains(&Expected::Keyword("policy")));
        assert_eq!(
            at("test \"t\" {\n  request s:A tags env=\"d|"),
            [Expected::Value("env".into())]
        );
    }
}
