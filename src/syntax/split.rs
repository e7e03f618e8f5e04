//! Splitting a file into top-level items before parsing.
//!
//! pest stops at the first error. To report every syntax error of a file, the text is cut into
//! top-level items (a line at brace depth zero that starts with `tag`, `policy`, `test`,
//! `organization` or `set` starts a new item) and each item is parsed on its own. An unclosed brace
//! swallows the rest of the file into one item, which then yields one error, as it should.

/// Keywords that open a top-level item.
pub const ITEM_KEYWORDS: [&str; 5] = ["tag", "policy", "test", "organization", "set"];

/// Byte ranges of the items of `text`, in order. Ranges that hold only blanks and comments are
/// left out.
pub fn split_items(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    let mut depth: usize = 0;
    let mut i = 0;
    let mut at_line_start = true;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => {
                at_line_start = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        if at_line_start && depth == 0 && starts_item(&text[i..]) {
            starts.push(i);
        }
        at_line_start = false;
        match b {
            b'#' => i = skip_to_eol(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = skip_to_eol(bytes, i),
            b'"' => i = skip_string(bytes, i),
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
                // A closing brace at depth zero ends an item, so the next may follow on the
                // same line: line breaks carry no meaning in the language.
                if depth == 0 {
                    at_line_start = true;
                }
            }
            _ => i += 1,
        }
    }
    // Text before the first keyword is an item of its own: it is not valid, and parsing it
    // gives the error that says what was expected.
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    let mut ranges = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(text.len());
        if !is_blank(&text[start..end]) {
            ranges.push((start, end));
        }
    }
    ranges
}

/// The byte offset of the innermost `{` of `text` left open at its end, skipping strings and
/// comments as the item split does.
pub fn unclosed_brace(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    for (i, brace) in braces(text) {
        if brace == b'{' {
            open.push(i);
        } else {
            open.pop();
        }
    }
    open.pop()
}

/// The braces of `text` that are not in a string or a comment, with their byte offsets.
pub(super) fn braces(text: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(&b) = bytes.get(i) {
            match b {
                b'#' => i = skip_to_eol(bytes, i),
                b'/' if bytes.get(i + 1) == Some(&b'/') => i = skip_to_eol(bytes, i),
                b'"' => i = skip_string(bytes, i),
                b'{' | b'}' => {
                    i += 1;
                    return Some((i - 1, b));
                }
                _ => i += 1,
            }
        }
        None
    })
}

fn starts_item(rest: &str) -> bool {
    ITEM_KEYWORDS.iter().any(|kw| {
        rest.strip_prefix(kw).is_some_and(|after| {
            after
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || c == '{' || c == '"' || c == '#')
        })
    })
}

pub(super) fn skip_to_eol(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|&b| b != b'\n') {
        i += 1;
    }
    i
}

pub(super) fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            // An unterminated string ends at the line's end, like the grammar says.
            b'"' | b'\n' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Whether a range holds only blanks and comments.
fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let t = line.trim();
        t.is_empty() || t.starts_with('#') || t.starts_with("//")
    })
}

#[cfg(test)]
mod tests {
    use super::split_items;

    #[test]
    fn test_split_items_at_top_level_keywords_only() {
        let text = "# c\ntag a\ntag b { values \"x\" }\npolicy p {\n  require a on s:A\n}\n";
        let items: Vec<&str> = split_items(text)
            .into_iter()
            .map(|(s, e)| text[s..e].trim())
            .collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], "tag a");
        assert!(items[2].starts_with("policy p"));
    }

    #[test]
    fn test_split_items_after_a_closing_brace_on_the_same_line() {
        let text = "tag a { values \"x\" } policy p { grant } tag b";
        assert_eq!(split_items(text).len(), 3);
    }

    #[test]
    fn test_split_items_keeps_unclosed_brace_together() {
        let text = "policy p {\ntag x\npolicy q { }\n";
        assert_eq!(split_items(text).len(), 1);
    }

    #[test]
    fn test_split_items_keyword_inside_string_is_ignored() {
        let text = "tag a { values \"}\" \"{\" }\ntag b\n";
        assert_eq!(split_items(text).len(), 2);
    }

    #[test]
    fn test_unclosed_brace_is_the_innermost_open_one() {
        use super::unclosed_brace;
        let text = "policy p {\n  # {\n  description \"{\"\n tag x {\n";
        assert_eq!(unclosed_brace(text), text.rfind('{'));
        assert_eq!(unclosed_brace("tag a { values \"x\" }\n"), None);
        assert_eq!(unclosed_brace("policy p {\n grant\n"), Some(9));
    }
}
