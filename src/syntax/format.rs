//! The canonical layout of `.tags` text, for `tagc fmt`.
//!
//! Input: the text of one file. Output: the same tokens and comments, laid out in the canonical
//! style described in `docs/language.md` ("Canonical style"), or the syntax errors that stop
//! the file from being formatted.
//!
//! The formatter works on tokens, not on the syntax tree, because the grammar drops comments and
//! a formatter that loses comments is unusable. The tokens are pest's own leaf pairs with their
//! byte spans, not the output of a second lexer: pest decides where a word ends by context (in
//! `tag a//b` the tag name is `a//b`, in `on s3:A//b` the action is `s3:A` and `//b` is a
//! comment), and a lexer that disagreed would silently change a file's meaning. What lies
//! between two tokens is then only whitespace and comments. The parse tree also says where each
//! item, statement and request clause starts, which is all the layout needs.
//!
//! The output depends only on the tokens, the comments (and whether each one ends a line of code
//! or stands on its own line), and where blank lines separate statements or comments. Any other
//! whitespace of the input is irrelevant, which is what makes formatting idempotent.

use std::sync::Arc;

use pest::Parser as _;
use pest::iterators::Pair;

use super::SyntaxError;
use super::parser::{Rule, Shape, TagcParser, shape};
use super::split::split_items;
use crate::source::SourceFile;

/// Lines longer than this many characters are wrapped where the layout allows it.
pub const MAX_WIDTH: usize = 100;

/// Indent of statements inside `{ … }`.
const STATEMENT_INDENT: usize = 2;
/// Indent of the lines that continue a statement (and of request clauses that do not fit on the
/// `request` line).
const CONTINUATION_INDENT: usize = 4;
/// Indent of the lines that continue one request clause.
const CLAUSE_CONTINUATION_INDENT: usize = 6;

/// Why a file was not formatted.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum FormatError {
    /// The file does not parse. It is left as it is: formatting text whose structure is unknown
    /// could move a token across a comment or a brace and change what it means.
    #[error("`{file}` has syntax errors, so it was not formatted")]
    #[diagnostic(
        code("tagc::fmt::syntax"),
        severity(Error),
        help("fix the syntax errors, then run `tagc fmt` again")
    )]
    Syntax {
        /// The file's name.
        file: String,
        /// Its syntax errors.
        #[related]
        errors: Vec<SyntaxError>,
    },
    /// The formatted text would not have the same tokens and comments as the input. The output
    /// is checked against the input before it is returned, so that a bug in the formatter can
    /// never rewrite a file into something that means something else.
    #[error("formatting `{file}` would change its tokens or comments; this is a bug in tagc")]
    #[diagnostic(
        code("tagc::fmt::bug"),
        severity(Error),
        help("the file was left as it is; please report this bug with the file attached")
    )]
    Changed {
        /// The file's name.
        file: String,
    },
}

/// Format `.tags` text. See [`format_source`]; diagnostics name the text `<input>`.
pub fn format(text: &str) -> Result<String, FormatError> {
    format_source(&SourceFile::new("<input>", text))
}

/// Format one source file: the text in canonical style, or why it cannot be formatted.
pub fn format_source(file: &Arc<SourceFile>) -> Result<String, FormatError> {
    let (_, errors) = super::parse(file);
    if !errors.is_empty() {
        return Err(FormatError::Syntax {
            file: file.name.clone(),
            errors,
        });
    }
    let changed = || FormatError::Changed {
        file: file.name.clone(),
    };
    let elements = scan(&file.text).ok_or_else(changed)?;
    let formatted = Layout::default().run(&elements);
    // The check that makes the promise above: same tokens (up to the ones the canonical style
    // drops), same comments, in the same order.
    let again = scan(&formatted).ok_or_else(changed)?;
    if signature(&elements) != signature(&again) {
        return Err(changed());
    }
    Ok(formatted)
}

/// A comment of a `.tags` file: its byte span (without the line break) and whether code
/// precedes it on its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comment {
    /// Where it is in the file's text, from `#` or `//` to the end of its line, trailing blanks
    /// left out.
    pub span: crate::source::Span,
    /// Code precedes it on its line.
    pub trailing: bool,
}

/// The comments of `text`, found by the parser (so that a `#` inside a string or a `//` inside
/// a tag name is not taken for one), or `None` when the text does not parse.
pub fn comments(text: &str) -> Option<Vec<Comment>> {
    let base = text.as_ptr() as usize;
    let mut found = Vec::new();
    for e in scan(text)? {
        if let Kind::Comment { text: c, trailing } = e.kind {
            // Every comment's text is a slice of `text`: its offset is the distance between
            // the two.
            let start = (c.as_ptr() as usize).checked_sub(base)?;
            found.push(Comment {
                span: crate::source::Span::new(start, start + c.len()),
                trailing,
            });
        }
    }
    Some(found)
}

/// What a token does for the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The first token of a top-level item.
    Item,
    /// The first token of a statement inside `{ … }`.
    Statement,
    /// `{` that opens a non-empty block.
    Open,
    /// `}` that closes a non-empty block.
    Close,
    /// `,`: no space before it.
    Comma,
    /// `=` of `K="V"`: no space on either side.
    Equals,
    /// Anything else.
    Other,
}

/// One token, as pest found it.
#[derive(Debug, Clone)]
struct Token<'a> {
    text: &'a str,
    role: Role,
    /// The first token of a request clause (`tags`, `by`, `during`, `resource`, `from`).
    clause: bool,
    /// A line may break before this token (after a comma, between `values` strings, before a
    /// request clause).
    break_before: bool,
    /// The canonical style leaves this token out: the optional commas of `values`, the braces
    /// of an empty `tag` body.
    dropped: bool,
}

#[derive(Debug, Clone)]
enum Kind<'a> {
    Token(Token<'a>),
    /// A comment, without its line break and trailing blanks; `trailing` when code precedes it
    /// on its line.
    Comment {
        text: &'a str,
        trailing: bool,
    },
}

/// A token or comment, and whether a blank line precedes it.
#[derive(Debug, Clone)]
struct Element<'a> {
    kind: Kind<'a>,
    blank_before: bool,
}

/// The tokens and comments of `text`, or `None` if pest does not accept it (which the caller
/// has ruled out by parsing first).
fn scan(text: &str) -> Option<Vec<Element<'_>>> {
    let mut leaves = Vec::new();
    for (start, end) in split_items(text) {
        let item = text.get(start..end)?;
        for pair in TagcParser::parse(Rule::item_entry, item).ok()? {
            collect(pair, start, &mut leaves);
        }
    }
    let mut elements = Vec::new();
    let mut pos = 0;
    for (start, end, token) in leaves {
        let newlines = scan_gap(text.get(pos..start)?, &mut elements)?;
        elements.push(Element {
            kind: Kind::Token(Token {
                text: text.get(start..end)?,
                ..token
            }),
            blank_before: newlines >= 2,
        });
        pos = end;
    }
    scan_gap(text.get(pos..)?, &mut elements)?;
    mark_breaks(&mut elements);
    Some(elements)
}

/// Push the leaf tokens of `pair` (as byte ranges in the whole text) with their roles.
fn collect(pair: Pair<'_, Rule>, offset: usize, out: &mut Vec<(usize, usize, Token<'static>)>) {
    let rule = pair.as_rule();
    if rule == Rule::EOI {
        return;
    }
    let span = pair.as_span();
    // A string is one token even though the grammar gives it an inner pair.
    if rule == Rule::string || pair.clone().into_inner().peek().is_none() {
        let leaf_role = match shape(rule) {
            Shape::Open => Role::Open,
            Shape::Close => Role::Close,
            Shape::Comma => Role::Comma,
            Shape::Equals => Role::Equals,
            Shape::Item(_)
            | Shape::PolicyStatement(_)
            | Shape::Statement(_)
            | Shape::Clause(_)
            | Shape::Other => Role::Other,
        };
        let token = Token {
            text: "",
            role: leaf_role,
            clause: false,
            break_before: false,
            dropped: false,
        };
        out.push((offset + span.start(), offset + span.end(), token));
        return;
    }
    let first = out.len();
    for inner in pair.into_inner() {
        collect(inner, offset, out);
    }
    let Some(children) = out.get_mut(first..) else {
        return;
    };
    let Some((_, _, head)) = children.first_mut() else {
        return;
    };
    match shape(rule) {
        Shape::Item(_) => head.role = Role::Item,
        Shape::PolicyStatement(_) | Shape::Statement(_) => head.role = Role::Statement,
        Shape::Clause(_) => {
            head.clause = true;
            head.break_before = true;
        }
        // Punctuation is a leaf, handled above; the other rules only group tokens.
        Shape::Open | Shape::Close | Shape::Comma | Shape::Equals | Shape::Other => {}
    }
    // A long rule may break before its `at` and `except` clauses, as after a comma.
    if matches!(rule, Rule::at_clause | Rule::except_clause) {
        head.break_before = true;
    }
    // `values "a", "b"` is `values "a" "b"`; a long list breaks between strings.
    if rule == Rule::values_stmt {
        let mut strings = 0;
        for (_, _, t) in children.iter_mut() {
            match t.role {
                Role::Comma => t.dropped = true,
                Role::Other => {
                    strings += 1;
                    t.break_before = strings > 1;
                }
                Role::Item | Role::Statement | Role::Open | Role::Close | Role::Equals => {}
            }
        }
    }
    // `tag x { }` is `tag x`.
    if rule == Rule::tag_body && children.len() == 2 {
        for (_, _, t) in children.iter_mut() {
            t.dropped = true;
        }
    }
}

/// Push the comments of `gap`, which holds only whitespace and comments between two tokens, and
/// return how many line breaks follow the last of them. `None` if anything else is found.
fn scan_gap<'a>(gap: &'a str, out: &mut Vec<Element<'a>>) -> Option<usize> {
    let mut newlines = 0;
    let mut rest = gap;
    loop {
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
        newlines += count_newlines(rest.get(..rest.len() - trimmed.len())?);
        if trimmed.is_empty() {
            return Some(newlines);
        }
        if !(trimmed.starts_with('#') || trimmed.starts_with("//")) {
            return None;
        }
        let end = trimmed.find('\n').unwrap_or(trimmed.len());
        let text = trimmed.get(..end)?.trim_end();
        out.push(Element {
            kind: Kind::Comment {
                text,
                trailing: newlines == 0 && !out.is_empty(),
            },
            blank_before: newlines >= 2,
        });
        newlines = 0;
        rest = trimmed.get(end..)?;
    }
}

fn count_newlines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
}

/// Finish the roles that depend on neighbours: a line may break after a comma, and a block
/// that holds nothing (not even a comment) is written `{ }` on the header's line.
fn mark_breaks(elements: &mut [Element<'_>]) {
    let mut after_comma = false;
    for e in elements.iter_mut() {
        if let Kind::Token(t) = &mut e.kind {
            if t.dropped {
                continue;
            }
            if after_comma {
                t.break_before = true;
            }
            after_comma = t.role == Role::Comma;
        }
    }
    for i in 1..elements.len() {
        let (before, after) = elements.split_at_mut(i);
        if let (Some(Kind::Token(open)), Some(Kind::Token(close))) = (
            before.last_mut().map(|e| &mut e.kind),
            after.first_mut().map(|e| &mut e.kind),
        ) && open.role == Role::Open
            && close.role == Role::Close
        {
            if open.dropped {
                continue;
            }
            open.role = Role::Other;
            close.role = Role::Other;
        }
    }
    // Braces of an empty tag body with a comment inside stay, so that the comment keeps a
    // place; they then lay out like any block.
    for i in 0..elements.len() {
        let Some(Kind::Token(open)) = elements.get(i).map(|e| &e.kind) else {
            continue;
        };
        if !(open.dropped && open.role == Role::Open) {
            continue;
        }
        let next_is_close = matches!(
            elements.get(i + 1).map(|e| &e.kind),
            Some(Kind::Token(t)) if t.role == Role::Close
        );
        if !next_is_close {
            for e in elements.iter_mut().skip(i) {
                if let Kind::Token(t) = &mut e.kind
                    && t.dropped
                    && matches!(t.role, Role::Open | Role::Close)
                {
                    t.dropped = false;
                    if t.role == Role::Close {
                        break;
                    }
                }
            }
        }
    }
}

/// What the formatter must keep: every token it does not drop, and every comment, in order.
fn signature<'a>(elements: &[Element<'a>]) -> Vec<&'a str> {
    elements
        .iter()
        .filter_map(|e| match &e.kind {
            Kind::Token(t) if t.dropped => None,
            Kind::Token(t) => Some(t.text),
            Kind::Comment { text, .. } => Some(*text),
        })
        .collect()
}

/// A piece of a line group (an item's header, a statement, a closing brace).
#[derive(Debug, Clone)]
enum Atom<'a> {
    Token {
        text: &'a str,
        /// No space before it.
        glue: bool,
        break_before: bool,
        clause: bool,
    },
    Trailing(&'a str),
    OwnLine(&'a str),
}

/// What was written last, for the blank lines before what comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Last {
    /// Nothing yet.
    #[default]
    Nothing,
    /// A comment on its own line, outside any statement.
    Comment,
    /// A header that opens a block.
    Open,
    /// A statement or the end of an item.
    Code,
}

#[derive(Debug, Default)]
struct Layout<'a> {
    lines: Vec<String>,
    depth: usize,
    last: Last,
    group: Vec<Atom<'a>>,
    group_indent: usize,
    group_is_request: bool,
    group_opens: bool,
}

impl<'a> Layout<'a> {
    fn run(mut self, elements: &[Element<'a>]) -> String {
        for (i, element) in elements.iter().enumerate() {
            match &element.kind {
                Kind::Token(t) if t.dropped => {}
                Kind::Token(t) => {
                    if matches!(t.role, Role::Item | Role::Statement | Role::Close) {
                        self.flush();
                        if t.role == Role::Close {
                            self.depth = 0;
                        } else {
                            self.separate(element.blank_before);
                        }
                        self.group_indent = self.depth * STATEMENT_INDENT;
                        self.group_is_request = t.role == Role::Statement && t.text == "request";
                    }
                    // After a test's `K=` (glued itself), not after the spaced `=` of
                    // `forbid K = "v"` and `when K = "v"`.
                    let glue = matches!(t.role, Role::Comma | Role::Equals)
                        || matches!(
                            self.last_token(),
                            Some(Atom::Token {
                                text: "=",
                                glue: true,
                                ..
                            })
                        );
                    self.group.push(Atom::Token {
                        text: t.text,
                        glue,
                        break_before: t.break_before,
                        clause: t.clause,
                    });
                    self.group_opens = t.role == Role::Open;
                    if t.role == Role::Open {
                        self.depth = 1;
                    }
                }
                Kind::Comment {
                    text,
                    trailing: true,
                } => self.group.push(Atom::Trailing(text)),
                Kind::Comment {
                    text,
                    trailing: false,
                } => {
                    if self.group.is_empty() || starts_group_next(elements, i) {
                        self.flush();
                        self.separate(element.blank_before);
                        self.lines
                            .push(format!("{}{text}", spaces(self.depth * STATEMENT_INDENT)));
                        self.last = Last::Comment;
                    } else {
                        self.group.push(Atom::OwnLine(text));
                    }
                }
            }
        }
        self.flush();
        if self.lines.is_empty() {
            return String::new();
        }
        let mut out = self.lines.join("\n");
        out.push('\n');
        out
    }

    fn last_token(&self) -> Option<&Atom<'a>> {
        self.group
            .iter()
            .rev()
            .find(|a| matches!(a, Atom::Token { .. }))
    }

    /// The blank line, if any, before a new item, statement or comment.
    fn separate(&mut self, blank_before: bool) {
        let blank = match (self.depth, self.last) {
            (_, Last::Nothing | Last::Open) => false,
            // Items are always one blank line apart; a comment above an item stays attached to
            // it unless the input separates them.
            (0, Last::Code) => true,
            _ => blank_before,
        };
        if blank {
            self.lines.push(String::new());
        }
    }

    fn flush(&mut self) {
        if self.group.is_empty() {
            return;
        }
        let group = std::mem::take(&mut self.group);
        self.lines.extend(layout_group(
            &group,
            self.group_indent,
            self.group_is_request,
        ));
        self.last = if self.group_opens {
            Last::Open
        } else {
            Last::Code
        };
    }
}

/// Whether the own-line comment at `i` stands between statements or items (rather than inside
/// one): the next token starts an item or a statement or closes a block, or there is none.
fn starts_group_next(elements: &[Element<'_>], i: usize) -> bool {
    elements
        .iter()
        .skip(i + 1)
        .find_map(|e| match &e.kind {
            Kind::Token(t) if !t.dropped => {
                Some(matches!(t.role, Role::Item | Role::Statement | Role::Close))
            }
            _ => None,
        })
        .unwrap_or(true)
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// The lines of one group at `indent`: on one line when it fits and holds no comment other than
/// a final trailing one, else wrapped.
fn layout_group(atoms: &[Atom<'_>], indent: usize, is_request: bool) -> Vec<String> {
    let (code, last_comment) = match atoms.split_last() {
        Some((Atom::Trailing(c), rest)) => (rest, Some(*c)),
        _ => (atoms, None),
    };
    if code.iter().all(|a| matches!(a, Atom::Token { .. })) {
        let mut line = spaces(indent);
        join_tokens(&mut line, code);
        if width(&line) <= MAX_WIDTH {
            if let Some(c) = last_comment {
                line.push(' ');
                line.push_str(c);
            }
            return vec![line];
        }
    }
    if !is_request {
        return fill(atoms, indent, CONTINUATION_INDENT);
    }
    // A request that does not fit: the action on the `request` line, then one clause per line.
    let mut chunks: Vec<Vec<Atom<'_>>> = vec![Vec::new()];
    for atom in atoms {
        if matches!(atom, Atom::Token { clause: true, .. }) {
            let previous = chunks.last_mut().map(std::mem::take).unwrap_or_default();
            // Comments on their own lines just above a clause belong to it.
            let keep = previous
                .iter()
                .rposition(|a| !matches!(a, Atom::OwnLine(_)))
                .map_or(0, |p| p + 1);
            let (kept, moved) = previous.split_at(keep);
            if let Some(last) = chunks.last_mut() {
                *last = kept.to_vec();
            }
            chunks.push(moved.to_vec());
        }
        if let Some(last) = chunks.last_mut() {
            last.push(atom.clone());
        }
    }
    let mut lines = Vec::new();
    for (n, chunk) in chunks.iter().enumerate() {
        if n == 0 {
            lines.extend(fill(chunk, indent, CONTINUATION_INDENT));
        } else {
            lines.extend(fill(chunk, CONTINUATION_INDENT, CLAUSE_CONTINUATION_INDENT));
        }
    }
    lines
}

/// Append tokens to `line`, one space apart except where glued.
fn join_tokens(line: &mut String, atoms: &[Atom<'_>]) {
    let mut first = line.trim_start().is_empty();
    for atom in atoms {
        if let Atom::Token { text, glue, .. } = atom {
            if !first && !glue {
                line.push(' ');
            }
            line.push_str(text);
            first = false;
        }
    }
}

/// Lay out atoms greedily: the first line at `first`, the others at `rest`; a line breaks only
/// where a token allows it, when the next unbreakable run would pass [`MAX_WIDTH`], and after
/// every comment.
fn fill(atoms: &[Atom<'_>], first: usize, rest: usize) -> Vec<String> {
    enum Piece<'a> {
        Run(String),
        Trailing(&'a str),
        OwnLine(&'a str),
    }
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    for atom in atoms {
        match atom {
            Atom::Token {
                text,
                glue,
                break_before,
                ..
            } => match pieces.last_mut() {
                Some(Piece::Run(run)) if !break_before => {
                    if !glue {
                        run.push(' ');
                    }
                    run.push_str(text);
                }
                _ => pieces.push(Piece::Run((*text).to_owned())),
            },
            Atom::Trailing(c) => pieces.push(Piece::Trailing(c)),
            Atom::OwnLine(c) => pieces.push(Piece::OwnLine(c)),
        }
    }
    let mut lines = Vec::new();
    let mut line: Option<String> = None;
    let mut placed = false;
    for piece in pieces {
        let indent = if placed { rest } else { first };
        match piece {
            Piece::Run(run) => {
                match line.as_mut() {
                    Some(l) if width(l) + 1 + width(&run) <= MAX_WIDTH => {
                        l.push(' ');
                        l.push_str(&run);
                    }
                    _ => {
                        lines.extend(line.take());
                        line = Some(format!("{}{run}", spaces(indent)));
                    }
                }
                placed = true;
            }
            Piece::Trailing(c) => match line.take() {
                Some(mut l) => {
                    l.push(' ');
                    l.push_str(c);
                    lines.push(l);
                }
                None => lines.push(format!("{}{c}", spaces(indent))),
            },
            Piece::OwnLine(c) => {
                lines.extend(line.take());
                lines.push(format!("{}{c}", spaces(indent)));
            }
        }
    }
    lines.extend(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::format;

    fn fmt(text: &str) -> String {
        format(text).unwrap()
    }

    #[test]
    fn test_format_empty_tag_body_is_dropped() {
        assert_eq!(fmt("tag   x {  }"), "tag x\n");
    }

    #[test]
    fn test_format_empty_tag_body_with_comment_stays() {
        assert_eq!(fmt("tag x { # later\n}"), "tag x { # later\n}\n");
    }

    #[test]
    fn test_format_values_without_commas() {
        assert_eq!(
            fmt("tag e{values \"a\",\"b\" \"c\" exact-case}"),
            "tag e {\n  values \"a\" \"b\" \"c\"\n  exact-case\n}\n"
        );
    }

    #[test]
    fn test_format_items_one_blank_line_apart() {
        assert_eq!(
            fmt("tag a\ntag b\n\n\n\ntag c"),
            "tag a\n\ntag b\n\ntag c\n"
        );
    }

    #[test]
    fn test_format_comment_attached_to_item_below() {
        assert_eq!(
            fmt("# head\n\n\n# about a\ntag a # why\ntag b\n# end"),
            "# head\n\n# about a\ntag a # why\n\ntag b\n\n# end\n"
        );
    }

    #[test]
    fn test_format_tag_pairs_and_lists() {
        assert_eq!(
            fmt("test \"t\" { request s:A tags a = \"1\" ,b=\"2\" expect   deny }"),
            "test \"t\" {\n  request s:A tags a=\"1\", b=\"2\"\n  expect deny\n}\n"
        );
    }

    #[test]
    fn test_format_value_tests_space_their_equals() {
        assert_eq!(
            fmt("policy p { require a on s:A when e=\"p\" ,\"q\"\nforbid e  =  \"t\"on s:B }"),
            "policy p {\n  require a on s:A when e = \"p\", \"q\"\n  forbid e = \"t\" on s:B\n}\n"
        );
    }

    #[test]
    fn test_format_empty_policy_keeps_braces_on_one_line() {
        assert_eq!(fmt("policy p {\n\n}\n"), "policy p { }\n");
    }

    #[test]
    fn test_format_blank_lines_in_block_collapse_to_one() {
        assert_eq!(
            fmt("policy p {\n\n  grant\n\n\n\n  attach to root\n\n}\n"),
            "policy p {\n  grant\n\n  attach to root\n}\n"
        );
    }

    #[test]
    fn test_format_double_slash_inside_a_tag_name_is_not_a_comment() {
        assert_eq!(fmt("tag a//b"), "tag a//b\n");
        assert_eq!(
            fmt("policy p { require x on s3:A//c\n, s3:B }"),
            "policy p {\n  require x on s3:A //c\n    , s3:B\n}\n"
        );
    }

    #[test]
    fn test_format_long_require_wraps_after_commas() {
        let actions: Vec<String> = (0..8)
            .map(|n| format!("sagemaker:CreateThing{n}"))
            .collect();
        let text = format!("policy p {{ require a, b on {} }}", actions.join(","));
        let out = fmt(&text);
        assert!(out.lines().all(|l| l.len() <= super::MAX_WIDTH), "{out}");
        assert!(out.contains(",\n    sagemaker:"), "{out}");
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn test_format_long_rule_wraps_before_at_and_except() {
        let text = "policy p { protect cost-center at ou \"Root/ML/Training\", ou \"Root/ML/Research\" except \"arn:aws:iam::*:role/FinOps\" }";
        let out = fmt(text);
        assert!(out.lines().all(|l| l.len() <= super::MAX_WIDTH), "{out}");
        assert!(
            out.contains("\"Root/ML/Research\"\n    except \"arn:aws:iam::*:role/FinOps\""),
            "{out}"
        );
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn test_format_comments_only_empty_crlf_and_bom() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt(" \n\n"), "");
        assert_eq!(fmt("# a   \n\n\n# b"), "# a\n\n# b\n");
        assert_eq!(
            fmt("\u{FEFF}tag a { # c\r\n values \"x\"\r\n}\r\n"),
            "tag a { # c\n  values \"x\"\n}\n"
        );
    }

    #[test]
    fn test_format_syntax_error_is_reported() {
        assert!(matches!(
            format("policy p {"),
            Err(super::FormatError::Syntax { .. })
        ));
    }
}
