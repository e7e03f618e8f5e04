//! The pest parser and the walk from pest pairs to [`ast`] nodes.
//!
//! The `build_*` functions turn one grammar rule into one syntax node. They rely on the shape
//! the grammar guarantees (a `require_stmt` always has a `tag_list` and an `action_list`);
//! where they assume it, they say so with `expect`, since a mismatch is a bug in tagc, never a
//! user error.

use std::sync::Arc;

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use super::error::{SyntaxError, SyntaxErrorKind};
use super::rules::describe;
use super::split;
use crate::ast::{
    Item, OrgDecl, PolicyDecl, PolicyStmt, RuleScope, SetDecl, SetKind, Spanned, TagDecl,
    TargetRef, TestDecl, Text, ValueTest,
};
use crate::model::{ActionForm, Decision, Layer, LimitsProfile, RuleKind, ScpStrategy};
use crate::source::{Loc, SourceFile, Span};

#[derive(pest_derive::Parser)]
#[grammar = "grammar/tagc.pest"]
pub(super) struct TagcParser;

/// What a grammar rule is, for the walks over pest's pairs (the builder here and the formatter).
/// The match lists every rule of the grammar, so that a rule added to it breaks the build until
/// it is placed here, and a new kind of policy statement until every stage handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// A top-level item.
    Item(ItemKind),
    /// A statement of a policy (a `description` also of a tag).
    PolicyStatement(RuleKind),
    /// A statement of a tag, test or organization block.
    Statement(BlockStatement),
    /// A clause of a `request`.
    Clause(RequestClause),
    /// `{`
    Open,
    /// `}`
    Close,
    /// `,`
    Comma,
    /// `=`
    Equals,
    /// Names, strings, keywords, lists, blocks' bodies and the rules pest keeps out of the tree.
    Other,
}

/// The statements of tag, test and organization blocks, one per grammar rule: the builder
/// matches them without a wildcard, so a new one breaks the build until it is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BlockStatement {
    /// `values "…" …` (tag)
    Values,
    /// `exact-case` (tag)
    ExactCase,
    /// `request ACTION …` (test)
    Request,
    /// `expect allow|deny [in LAYER]` (test)
    Expect,
    /// `project "…"` (organization)
    Project,
    /// `scp-strategy …` (organization)
    Strategy,
    /// `limits …` (organization)
    Limits,
    /// `actions exact|compact` (organization)
    Actions,
    /// The elements of a `set` (set)
    SetElements,
}

/// The clauses of a test's `request`, one per grammar rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RequestClause {
    /// `tags K="V", …`
    Tags,
    /// `by "ARN"`
    By,
    /// `during ACTION`
    During,
    /// `resource "ARN"`
    Resource,
    /// `from TARGET`
    From,
}

/// What a test's `request` statement says, before the test is assembled.
#[derive(Default)]
struct RequestParts {
    action: Option<Text>,
    tags: Vec<(Text, Text)>,
    principal: Option<Text>,
    during: Option<Text>,
    resource: Option<Text>,
    from: Option<TargetRef>,
}

/// The kinds of top-level item, one per variant of [`Item`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ItemKind {
    /// `tag NAME { … }`
    Tag,
    /// `policy NAME { … }`
    Policy,
    /// `test "NAME" { … }`
    Test,
    /// `organization { … }`
    Organization,
    /// `set KIND NAME { … }`
    Set,
}

/// The [`Shape`] of a grammar rule.
#[expect(
    clippy::too_many_lines,
    reason = "one line per rule of the grammar, with no wildcard: that is the point"
)]
pub(super) const fn shape(rule: Rule) -> Shape {
    match rule {
        Rule::tag_decl => Shape::Item(ItemKind::Tag),
        Rule::policy_decl => Shape::Item(ItemKind::Policy),
        Rule::test_decl => Shape::Item(ItemKind::Test),
        Rule::org_decl => Shape::Item(ItemKind::Organization),
        Rule::set_decl => Shape::Item(ItemKind::Set),
        Rule::set_targets
        | Rule::set_actions
        | Rule::set_services
        | Rule::set_principals
        | Rule::set_tags
        | Rule::set_resource_types => Shape::Statement(BlockStatement::SetElements),
        Rule::description => Shape::PolicyStatement(RuleKind::Description),
        Rule::require_stmt => Shape::PolicyStatement(RuleKind::Require),
        Rule::only_declared_stmt => Shape::PolicyStatement(RuleKind::OnlyDeclaredKeys),
        Rule::protect_stmt => Shape::PolicyStatement(RuleKind::Protect),
        Rule::exempt_stmt => Shape::PolicyStatement(RuleKind::Exempt),
        Rule::enforce_stmt => Shape::PolicyStatement(RuleKind::Enforce),
        Rule::report_stmt => Shape::PolicyStatement(RuleKind::Report),
        Rule::attach_stmt => Shape::PolicyStatement(RuleKind::Attach),
        Rule::grant_stmt => Shape::PolicyStatement(RuleKind::Grant),
        Rule::forbid_stmt => Shape::PolicyStatement(RuleKind::Forbid),
        Rule::values_stmt => Shape::Statement(BlockStatement::Values),
        Rule::exact_case => Shape::Statement(BlockStatement::ExactCase),
        Rule::request_stmt => Shape::Statement(BlockStatement::Request),
        Rule::expect_stmt => Shape::Statement(BlockStatement::Expect),
        Rule::project_stmt => Shape::Statement(BlockStatement::Project),
        Rule::strategy_stmt => Shape::Statement(BlockStatement::Strategy),
        Rule::limits_stmt => Shape::Statement(BlockStatement::Limits),
        Rule::actions_stmt => Shape::Statement(BlockStatement::Actions),
        Rule::tags_clause => Shape::Clause(RequestClause::Tags),
        Rule::by_clause => Shape::Clause(RequestClause::By),
        Rule::during_clause => Shape::Clause(RequestClause::During),
        Rule::resource_clause => Shape::Clause(RequestClause::Resource),
        Rule::from_clause => Shape::Clause(RequestClause::From),
        Rule::lbrace => Shape::Open,
        Rule::rbrace => Shape::Close,
        Rule::comma => Shape::Comma,
        Rule::equals => Shape::Equals,
        Rule::WHITESPACE
        | Rule::COMMENT
        | Rule::item_entry
        | Rule::item
        | Rule::tag_body
        | Rule::tag_stmt
        | Rule::policy_stmt
        | Rule::tag_list
        | Rule::action_list
        | Rule::service_list
        | Rule::resource_type_list
        | Rule::principal_list
        | Rule::target_list
        | Rule::tag_item
        | Rule::action_item
        | Rule::service_item
        | Rule::resource_type_item
        | Rule::principal_item
        | Rule::target_item
        | Rule::set_ref
        | Rule::policy_stmt_entry
        | Rule::tag_stmt_entry
        | Rule::test_stmt_entry
        | Rule::org_stmt_entry
        | Rule::kw_set
        | Rule::kw_targets
        | Rule::kw_services
        | Rule::kw_principals
        | Rule::kw_resource_types
        | Rule::target
        | Rule::root_target
        | Rule::ou_target
        | Rule::account_target
        | Rule::request_clause
        | Rule::tag_pair
        | Rule::decision
        | Rule::layer
        | Rule::org_stmt
        | Rule::name_char
        | Rule::ident
        | Rule::bare_tag
        | Rule::tag_name
        | Rule::action
        | Rule::service
        | Rule::resource_type
        | Rule::string
        | Rule::string_inner
        | Rule::keyword
        | Rule::kw_tag
        | Rule::kw_values
        | Rule::kw_exact_case
        | Rule::kw_description
        | Rule::kw_policy
        | Rule::kw_require
        | Rule::kw_only_declared_keys
        | Rule::kw_protect
        | Rule::kw_exempt
        | Rule::kw_enforce
        | Rule::kw_report
        | Rule::kw_attach
        | Rule::kw_to
        | Rule::kw_grant
        | Rule::kw_on
        | Rule::kw_for
        | Rule::kw_root
        | Rule::kw_ou
        | Rule::kw_account
        | Rule::kw_test
        | Rule::kw_request
        | Rule::kw_tags
        | Rule::kw_by
        | Rule::kw_during
        | Rule::kw_from
        | Rule::kw_resource
        | Rule::kw_expect
        | Rule::kw_allow
        | Rule::kw_deny
        | Rule::kw_in
        | Rule::kw_actions
        | Rule::kw_exact
        | Rule::kw_compact
        | Rule::kw_at
        | Rule::kw_except
        | Rule::rule_scope
        | Rule::at_clause
        | Rule::except_clause
        | Rule::kw_forbid
        | Rule::kw_when
        | Rule::when_clause
        | Rule::value_list
        | Rule::value_equals
        | Rule::kw_scp
        | Rule::kw_iam
        | Rule::kw_tag_policy
        | Rule::kw_organization
        | Rule::kw_scp_strategy
        | Rule::kw_deny_list
        | Rule::kw_allow_list
        | Rule::kw_limits
        | Rule::kw_project
        | Rule::kw_current
        | Rule::kw_legacy
        | Rule::EOI => Shape::Other,
    }
}

/// Parse the item at `start..end` of `file`.
pub(super) fn parse_item(
    file: &Arc<SourceFile>,
    start: usize,
    end: usize,
) -> Result<Item, Vec<SyntaxError>> {
    let text = file.text.get(start..end).unwrap_or("");
    let builder = Builder {
        file: Arc::clone(file),
        offset: start,
        errors: Vec::new(),
    };
    match TagcParser::parse(Rule::item_entry, text) {
        Ok(mut pairs) => {
            let mut builder = builder;
            let item = pairs
                .next()
                .and_then(|entry| entry.into_inner().next())
                .map(|pair| builder.build_item(pair));
            match item {
                Some(item) if builder.errors.is_empty() => Ok(item),
                _ => Err(builder.errors),
            }
        }
        Err(err) => {
            let at = match err.location {
                InputLocation::Pos(p) | InputLocation::Span((p, _)) => p,
            };
            let mut errors = vec![builder.convert_error(&err, text)];
            errors.extend(super::recover::later_statements(file, start, text, at));
            Err(errors)
        }
    }
}

/// The syntax error of one statement of a block, at `start..end` of `file`, parsed alone as
/// `entry` (one of the `*_stmt_entry` rules); `None` when it parses.
pub(super) fn statement_error(
    file: &Arc<SourceFile>,
    start: usize,
    end: usize,
    entry: Rule,
) -> Option<SyntaxError> {
    let text = file.text.get(start..end)?;
    let builder = Builder {
        file: Arc::clone(file),
        offset: start,
        errors: Vec::new(),
    };
    let mut err = TagcParser::parse(entry, text).err()?;
    // The statement was cut from its block: where it may end, the block goes on, which the
    // item's parse would have said with the statement keywords and `}`; "end of file" would
    // be wrong.
    if let ErrorVariant::ParsingError { positives, .. } = &mut err.variant {
        positives.retain(|r| *r != Rule::EOI);
    }
    Some(builder.convert_error(&err, text))
}

/// Whether a line of a block that starts with `word` starts a statement of `entry`'s kind:
/// the grammar takes the word as the statement's keyword (the parse fails after it, or not).
pub(super) fn starts_statement(word: &str, entry: Rule) -> bool {
    match TagcParser::parse(entry, word) {
        Ok(_) => true,
        Err(e) => match e.location {
            InputLocation::Pos(p) | InputLocation::Span((p, _)) => p > 0,
        },
    }
}

struct Builder {
    file: Arc<SourceFile>,
    offset: usize,
    errors: Vec<SyntaxError>,
}

impl Builder {
    fn loc(&self, span: pest::Span<'_>) -> Loc {
        Loc::new(Arc::clone(&self.file), Span::from(span).shift(self.offset))
    }

    fn text(&self, pair: &Pair<'_, Rule>) -> Text {
        Spanned {
            value: pair.as_str().to_owned(),
            loc: self.loc(pair.as_span()),
        }
    }

    /// A location in this item's text, as a span of the whole file.
    fn at(&self, start: usize, end: usize) -> Loc {
        Loc::new(
            Arc::clone(&self.file),
            Span::new(start + self.offset, end + self.offset),
        )
    }

    /// Where a statement or declaration is, up to its last token: pest's span of a rule that
    /// ends in an optional part (`protect K [on S]`) also takes in the blanks and comments
    /// after it, which would run the label into the next line.
    fn stmt_loc(&self, pair: &Pair<'_, Rule>) -> Loc {
        let span = pair.as_span();
        self.at(span.start(), token_end(pair).max(span.start()))
    }

    /// A pest error in user words, pointing into the whole file. Where the text shows what
    /// went wrong, a precise diagnostic replaces "unexpected …".
    fn convert_error(&self, err: &pest::error::Error<Rule>, text: &str) -> SyntaxError {
        let (start, end) = match err.location {
            InputLocation::Pos(p) => (p, p),
            InputLocation::Span((s, e)) => (s, e),
        };
        let positives: &[Rule] = match &err.variant {
            ErrorVariant::ParsingError { positives, .. } => positives,
            ErrorVariant::CustomError { .. } => &[],
        };
        if is_unterminated_string(text, start) {
            return SyntaxError::new(
                SyntaxErrorKind::UnterminatedString,
                self.at(start, start + 1),
            );
        }
        let found = found_at(text, start);
        if found == END_OF_FILE
            && positives.contains(&Rule::rbrace)
            && let Some(open) = split::unclosed_brace(text)
        {
            let last = text.trim_end();
            let last_char = last.chars().next_back().map_or(0, char::len_utf8);
            return SyntaxError::new(SyntaxErrorKind::UnclosedBrace, self.at(open, open + 1))
                .with_related(
                    &self.at(last.len() - last_char, last.len()),
                    "the file ends here",
                );
        }
        if let Some(e) = self.unclosed_before_item(text, start, positives) {
            return e;
        }
        if let Some(e) = self.action_in_protect(text, start) {
            return e;
        }
        let found_len = if found == END_OF_FILE {
            0
        } else {
            found.trim_matches('`').len()
        };
        let end = end.max(start + found_len).min(text.len());
        let expected = match &err.variant {
            ErrorVariant::ParsingError { .. } => {
                let mut names: Vec<&str> = positives.iter().filter_map(|r| describe(*r)).collect();
                names.sort_unstable();
                names.dedup();
                join_or(&names)
            }
            ErrorVariant::CustomError { message } => message.clone(),
        };
        let word = word_at(text, start);
        let wants_name = positives
            .iter()
            .any(|r| matches!(r, Rule::tag_name | Rule::bare_tag | Rule::tag_list));
        if wants_name && is_keyword(word) {
            // `tag resource`: the grammar keeps keywords out of bare names (docs/language.md,
            // "Keywords"); a quoted name may be anything.
            return SyntaxError::new(
                SyntaxErrorKind::Unexpected { found, expected },
                self.at(start, end),
            )
            .with_help(format!(
                "`{word}` is a keyword: quote it to use it as a tag name, `\"{word}\"`"
            ));
        }
        if let Some(suggestion) = suggest_keyword(word, positives) {
            return SyntaxError::new(
                SyntaxErrorKind::UnknownKeyword {
                    found: word.to_owned(),
                    suggestion,
                },
                self.at(start, start + word.len()),
            );
        }
        SyntaxError::new(
            SyntaxErrorKind::Unexpected { found, expected },
            self.at(start, end),
        )
    }

    /// A block left open before the next top-level item: the item split keeps the rest of the
    /// file in the open block, and the parser stops at the next item's keyword, at the start
    /// of a line, where a `}` would have closed the block.
    fn unclosed_before_item(
        &self,
        text: &str,
        pos: usize,
        positives: &[Rule],
    ) -> Option<SyntaxError> {
        let word = word_at(text, pos);
        let before = text.get(..pos)?;
        let at_line_start = before
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim().is_empty());
        if !positives.contains(&Rule::rbrace)
            || !split::ITEM_KEYWORDS.contains(&word)
            || !at_line_start
        {
            return None;
        }
        let open = split::unclosed_brace(before)?;
        Some(
            SyntaxError::new(SyntaxErrorKind::UnclosedBrace, self.at(open, open + 1)).with_related(
                &self.at(pos, pos + word.len()),
                "the next item starts here, before a `}`",
            ),
        )
    }

    /// `protect K on ec2:CreateTags`: the parser stops at the `:` after the service, where the
    /// mistake is the action as a whole.
    fn action_in_protect(&self, text: &str, pos: usize) -> Option<SyntaxError> {
        if !text.get(pos..)?.starts_with(':') {
            return None;
        }
        let before = text.get(..pos)?;
        let service_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .map_or(0, |i| i + 1);
        let service = before.get(service_start..)?;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let head: Vec<&str> = before
            .get(line_start..service_start)?
            .split_whitespace()
            .collect();
        if service.is_empty() || head.first() != Some(&"protect") || !head.contains(&"on") {
            return None;
        }
        let action_len = text
            .get(service_start..)?
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_:*?".contains(c)))
            .unwrap_or(text.len() - service_start);
        Some(SyntaxError::new(
            SyntaxErrorKind::ActionInProtect {
                service: service.to_owned(),
            },
            self.at(service_start, service_start + action_len),
        ))
    }

    fn build_item(&mut self, pair: Pair<'_, Rule>) -> Item {
        match shape(pair.as_rule()) {
            Shape::Item(ItemKind::Tag) => Item::Tag(self.build_tag(pair)),
            Shape::Item(ItemKind::Policy) => Item::Policy(self.build_policy(pair)),
            Shape::Item(ItemKind::Test) => Item::Test(self.build_test(pair)),
            Shape::Item(ItemKind::Organization) => Item::Organization(self.build_org(pair)),
            Shape::Item(ItemKind::Set) => Item::Set(self.build_set(pair)),
            Shape::PolicyStatement(_)
            | Shape::Statement(_)
            | Shape::Clause(_)
            | Shape::Open
            | Shape::Close
            | Shape::Comma
            | Shape::Equals
            | Shape::Other => {
                unreachable!("the grammar allows no other item, got {:?}", pair.as_rule())
            }
        }
    }

    fn build_tag(&mut self, pair: Pair<'_, Rule>) -> TagDecl {
        let loc = self.stmt_loc(&pair);
        let mut decl = TagDecl {
            name: Spanned {
                value: String::new(),
                loc: loc.clone(),
            },
            values: Vec::new(),
            exact_case: Vec::new(),
            descriptions: Vec::new(),
            loc,
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::tag_name => decl.name = self.build_tag_name(p),
                Rule::tag_body => {
                    for stmt in p.into_inner() {
                        match shape(stmt.as_rule()) {
                            Shape::Statement(BlockStatement::Values) => {
                                let loc = self.stmt_loc(&stmt);
                                let values = stmt
                                    .into_inner()
                                    .filter(|p| p.as_rule() == Rule::string)
                                    .map(|s| self.build_string(&s))
                                    .collect();
                                decl.values.push(Spanned { value: values, loc });
                            }
                            Shape::Statement(BlockStatement::ExactCase) => {
                                decl.exact_case.push(self.loc(stmt.as_span()));
                            }
                            Shape::PolicyStatement(RuleKind::Description) => {
                                decl.descriptions.push(self.build_description(stmt));
                            }
                            // The grammar admits none of these in a tag's body.
                            Shape::Statement(
                                BlockStatement::Request
                                | BlockStatement::Expect
                                | BlockStatement::Project
                                | BlockStatement::Strategy
                                | BlockStatement::Limits
                                | BlockStatement::Actions
                                | BlockStatement::SetElements,
                            )
                            | Shape::PolicyStatement(
                                RuleKind::Require
                                | RuleKind::OnlyDeclaredKeys
                                | RuleKind::Protect
                                | RuleKind::Exempt
                                | RuleKind::Enforce
                                | RuleKind::Report
                                | RuleKind::Attach
                                | RuleKind::Grant
                                | RuleKind::Forbid,
                            )
                            | Shape::Item(_)
                            | Shape::Clause(_)
                            | Shape::Open
                            | Shape::Close
                            | Shape::Comma
                            | Shape::Equals
                            | Shape::Other => {}
                        }
                    }
                }
                _ => {}
            }
        }
        decl
    }

    #[expect(clippy::expect_used, reason = "a description always holds a string")]
    fn build_description(&mut self, pair: Pair<'_, Rule>) -> Text {
        let s = pair
            .into_inner()
            .find(|p| p.as_rule() == Rule::string)
            .expect("the grammar requires a string");
        self.build_string(&s)
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one arm per statement kind, with no wildcard, reads best in one place"
    )]
    fn build_policy(&mut self, pair: Pair<'_, Rule>) -> PolicyDecl {
        let loc = self.loc(pair.as_span());
        let mut name = None;
        let mut stmts = Vec::new();
        for p in pair.into_inner() {
            let sloc = self.stmt_loc(&p);
            let kind = match shape(p.as_rule()) {
                Shape::PolicyStatement(kind) => kind,
                Shape::Other if p.as_rule() == Rule::ident => {
                    name = Some(self.text(&p));
                    continue;
                }
                // The policy's keyword and braces.
                Shape::Item(_)
                | Shape::Statement(_)
                | Shape::Clause(_)
                | Shape::Open
                | Shape::Close
                | Shape::Comma
                | Shape::Equals
                | Shape::Other => continue,
            };
            match kind {
                RuleKind::Description => {
                    stmts.push(PolicyStmt::Description(self.build_description(p)));
                }
                RuleKind::Require => {
                    // `kw_for` has no items: this reads the optional type list alone.
                    let (_, types) = self.lists(p.clone(), Rule::kw_for, Rule::resource_type_list);
                    let scope = self.build_scope(&p);
                    let when = self.build_when(&p);
                    let (keys, actions) = self.lists(p, Rule::tag_list, Rule::action_list);
                    stmts.push(PolicyStmt::Require {
                        keys,
                        actions,
                        types,
                        scope,
                        when,
                        loc: sloc,
                    });
                }
                RuleKind::OnlyDeclaredKeys => {
                    let scope = self.build_scope(&p);
                    let (_, actions) = self.lists(p, Rule::tag_list, Rule::action_list);
                    stmts.push(PolicyStmt::OnlyDeclared {
                        actions,
                        scope,
                        loc: sloc,
                    });
                }
                RuleKind::Protect => {
                    let scope = self.build_scope(&p);
                    let (keys, services) = self.lists(p, Rule::tag_list, Rule::service_list);
                    stmts.push(PolicyStmt::Protect {
                        keys,
                        services,
                        scope,
                        loc: sloc,
                    });
                }
                RuleKind::Exempt => {
                    let arns = p
                        .into_inner()
                        .filter(|l| l.as_rule() == Rule::principal_list)
                        .flat_map(Pair::into_inner)
                        .filter_map(|i| self.build_principal(&i))
                        .collect();
                    stmts.push(PolicyStmt::Exempt(arns));
                }
                RuleKind::Enforce => {
                    let scope = self.build_scope(&p);
                    let (keys, types) = self.lists(p, Rule::tag_list, Rule::resource_type_list);
                    stmts.push(PolicyStmt::Enforce {
                        keys,
                        types,
                        scope,
                        loc: sloc,
                    });
                }
                RuleKind::Report => {
                    let scope = self.build_scope(&p);
                    let (keys, types) = self.lists(p, Rule::tag_list, Rule::resource_type_list);
                    stmts.push(PolicyStmt::Report {
                        keys,
                        types,
                        scope,
                        loc: sloc,
                    });
                }
                RuleKind::Attach => {
                    let targets = p
                        .into_inner()
                        .filter(|l| l.as_rule() == Rule::target_list)
                        .flat_map(Pair::into_inner)
                        .filter_map(|t| self.build_target(t))
                        .collect();
                    stmts.push(PolicyStmt::Attach(targets));
                }
                RuleKind::Grant => stmts.push(PolicyStmt::Grant(sloc)),
                RuleKind::Forbid => stmts.push(self.build_forbid(p, sloc)),
            }
        }
        PolicyDecl {
            name: name.unwrap_or_else(|| Spanned {
                value: String::new(),
                loc: loc.clone(),
            }),
            stmts,
            loc,
        }
    }

    /// The `when` clause of a `require`, if it has one.
    fn build_when(&mut self, require: &Pair<'_, Rule>) -> Option<ValueTest> {
        require
            .clone()
            .into_inner()
            .find(|c| c.as_rule() == Rule::when_clause)
            .map(|c| self.build_value_test(c))
    }

    /// `forbid KEY = VALUES on ACTIONS`.
    fn build_forbid(&mut self, pair: Pair<'_, Rule>, loc: Loc) -> PolicyStmt {
        let test = self.build_value_test(pair.clone());
        let scope = self.build_scope(&pair);
        let (_, actions) = self.lists(pair, Rule::tag_list, Rule::action_list);
        PolicyStmt::Forbid {
            test,
            actions,
            scope,
            loc,
        }
    }

    /// `KEY = "v", …` of a `when` clause or a `forbid` rule: the tag name and the value list.
    fn build_value_test(&mut self, pair: Pair<'_, Rule>) -> ValueTest {
        let loc = self.stmt_loc(&pair);
        let mut key = None;
        let mut values = Vec::new();
        for c in pair.into_inner() {
            match c.as_rule() {
                Rule::tag_name => key = Some(self.build_tag_name(c)),
                Rule::value_list => {
                    values = c
                        .into_inner()
                        .filter(|s| s.as_rule() == Rule::string)
                        .map(|s| self.build_string(&s))
                        .collect();
                }
                _ => {}
            }
        }
        ValueTest {
            key: key.unwrap_or_else(|| Spanned {
                value: String::new(),
                loc: loc.clone(),
            }),
            values,
            loc,
        }
    }

    /// The items of the two lists of a statement, such as the keys and the actions of `require`.
    fn lists(&mut self, pair: Pair<'_, Rule>, first: Rule, second: Rule) -> (Vec<Text>, Vec<Text>) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for p in pair.into_inner() {
            let rule = p.as_rule();
            if rule == first || rule == second {
                let items: Vec<Text> = p
                    .into_inner()
                    .filter(|i| i.as_rule() != Rule::comma)
                    .map(|i| {
                        if i.as_rule() == Rule::tag_name {
                            self.build_tag_name(i)
                        } else {
                            self.text(&i)
                        }
                    })
                    .collect();
                if rule == first {
                    a = items;
                } else {
                    b = items;
                }
            }
        }
        (a, b)
    }

    /// The `at` and `except` clauses that end a rule, when written.
    fn build_scope(&mut self, pair: &Pair<'_, Rule>) -> RuleScope {
        let mut scope = RuleScope::default();
        for clause in pair.clone().into_inner() {
            match clause.as_rule() {
                Rule::at_clause => {
                    scope.at_loc = Some(self.stmt_loc(&clause));
                    scope.at = clause
                        .into_inner()
                        .filter(|l| l.as_rule() == Rule::target_list)
                        .flat_map(Pair::into_inner)
                        .filter_map(|t| self.build_target(t))
                        .collect();
                }
                Rule::except_clause => {
                    scope.except_loc = Some(self.stmt_loc(&clause));
                    scope.except = clause
                        .into_inner()
                        .filter(|l| l.as_rule() == Rule::principal_list)
                        .flat_map(Pair::into_inner)
                        .filter_map(|i| self.build_principal(&i))
                        .collect();
                }
                _ => {}
            }
        }
        scope
    }

    fn build_target(&mut self, pair: Pair<'_, Rule>) -> Option<TargetRef> {
        let loc = self.loc(pair.as_span());
        let string = |b: &mut Self, p: Pair<'_, Rule>| {
            p.into_inner()
                .find(|s| s.as_rule() == Rule::string)
                .map(|s| b.build_string(&s))
        };
        match pair.as_rule() {
            Rule::root_target => Some(TargetRef::Root(loc)),
            Rule::ou_target => string(self, pair).map(TargetRef::Ou),
            Rule::account_target => string(self, pair).map(TargetRef::Account),
            Rule::set_ref => Some(TargetRef::Set(self.text(&pair))),
            _ => None,
        }
    }

    /// An element of a principal list: a string, or a `$name` reference kept as its token.
    fn build_principal(&mut self, pair: &Pair<'_, Rule>) -> Option<Text> {
        match pair.as_rule() {
            Rule::string => Some(self.build_string(pair)),
            Rule::set_ref => Some(self.text(pair)),
            _ => None,
        }
    }

    /// `set KIND NAME { … }`: the kind comes from its keyword, the elements from the one list.
    fn build_set(&mut self, pair: Pair<'_, Rule>) -> SetDecl {
        let loc = self.stmt_loc(&pair);
        let mut decl = SetDecl {
            kind: Spanned {
                value: SetKind::Targets,
                loc: loc.clone(),
            },
            name: Spanned {
                value: String::new(),
                loc: loc.clone(),
            },
            elements: Vec::new(),
            targets: Vec::new(),
            loc,
        };
        for p in pair.into_inner() {
            let kind = match p.as_rule() {
                Rule::kw_targets => SetKind::Targets,
                Rule::kw_actions => SetKind::Actions,
                Rule::kw_services => SetKind::Services,
                Rule::kw_principals => SetKind::Principals,
                Rule::kw_tags => SetKind::Tags,
                Rule::kw_resource_types => SetKind::ResourceTypes,
                Rule::ident => {
                    decl.name = self.text(&p);
                    continue;
                }
                _ if shape(p.as_rule()) == Shape::Statement(BlockStatement::SetElements) => {
                    for list in p.into_inner() {
                        for i in list.into_inner() {
                            match i.as_rule() {
                                Rule::comma => {}
                                Rule::root_target | Rule::ou_target | Rule::account_target => {
                                    decl.targets.extend(self.build_target(i));
                                }
                                Rule::set_ref if decl.kind.value == SetKind::Targets => {
                                    decl.targets.extend(self.build_target(i));
                                }
                                Rule::tag_name => decl.elements.push(self.build_tag_name(i)),
                                Rule::string => decl.elements.push(self.build_string(&i)),
                                _ => decl.elements.push(self.text(&i)),
                            }
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            decl.kind = Spanned {
                value: kind,
                loc: self.loc(p.as_span()),
            };
        }
        decl
    }

    #[expect(
        clippy::expect_used,
        reason = "the grammar guarantees the test's parts"
    )]
    fn build_test(&mut self, pair: Pair<'_, Rule>) -> TestDecl {
        let loc = self.loc(pair.as_span());
        let mut name = None;
        let mut request = RequestParts::default();
        let mut expect = None;
        let mut layer = None;
        for p in pair.into_inner() {
            if p.as_rule() == Rule::string {
                name = Some(self.build_string(&p));
                continue;
            }
            match shape(p.as_rule()) {
                Shape::Statement(BlockStatement::Request) => request = self.build_request(p),
                Shape::Statement(BlockStatement::Expect) => {
                    for c in p.into_inner() {
                        let cloc = self.loc(c.as_span());
                        match c.as_rule() {
                            Rule::decision => {
                                let value = if c.as_str() == "allow" {
                                    Decision::Allow
                                } else {
                                    Decision::Deny
                                };
                                expect = Some(Spanned { value, loc: cloc });
                            }
                            Rule::layer => {
                                let value = match c.as_str() {
                                    "scp" => Layer::Scp,
                                    "iam" => Layer::Iam,
                                    _ => Layer::TagPolicy,
                                };
                                layer = Some(Spanned { value, loc: cloc });
                            }
                            _ => {}
                        }
                    }
                }
                // The grammar admits none of these in a test's body.
                Shape::Statement(
                    BlockStatement::Values
                    | BlockStatement::ExactCase
                    | BlockStatement::Project
                    | BlockStatement::Strategy
                    | BlockStatement::Limits
                    | BlockStatement::Actions
                    | BlockStatement::SetElements,
                )
                | Shape::PolicyStatement(_)
                | Shape::Item(_)
                | Shape::Clause(_)
                | Shape::Open
                | Shape::Close
                | Shape::Comma
                | Shape::Equals
                | Shape::Other => {}
            }
        }
        TestDecl {
            name: name.expect("a test has a name"),
            action: request.action.expect("a request has an action"),
            tags: request.tags,
            principal: request.principal,
            during: request.during,
            resource: request.resource,
            from: request.from,
            expect: expect.expect("a test has an expectation"),
            layer,
            loc,
        }
    }

    /// The parts of a test's `request` statement.
    fn build_request(&mut self, p: Pair<'_, Rule>) -> RequestParts {
        let mut parts = RequestParts::default();
        for c in p.into_inner() {
            if c.as_rule() == Rule::action {
                parts.action = Some(self.text(&c));
                continue;
            }
            match shape(c.as_rule()) {
                Shape::Clause(RequestClause::Tags) => {
                    for pair in c.into_inner().filter(|t| t.as_rule() == Rule::tag_pair) {
                        let mut key = None;
                        let mut value = None;
                        for part in pair.into_inner() {
                            match part.as_rule() {
                                Rule::tag_name => key = Some(self.build_tag_name(part)),
                                Rule::string => value = Some(self.build_string(&part)),
                                _ => {}
                            }
                        }
                        if let (Some(k), Some(v)) = (key, value) {
                            parts.tags.push((k, v));
                        }
                    }
                }
                Shape::Clause(RequestClause::By) => {
                    parts.principal = c
                        .into_inner()
                        .find(|s| s.as_rule() == Rule::string)
                        .map(|s| self.build_string(&s));
                }
                Shape::Clause(RequestClause::During) => {
                    parts.during = c
                        .into_inner()
                        .find(|s| s.as_rule() == Rule::action)
                        .map(|s| self.text(&s));
                }
                Shape::Clause(RequestClause::From) => {
                    parts.from = c.into_inner().find_map(|t| self.build_target(t));
                }
                Shape::Clause(RequestClause::Resource) => {
                    parts.resource = c
                        .into_inner()
                        .find(|s| s.as_rule() == Rule::string)
                        .map(|s| self.build_string(&s));
                }
                // Keywords and punctuation of the request.
                Shape::Item(_)
                | Shape::PolicyStatement(_)
                | Shape::Statement(_)
                | Shape::Open
                | Shape::Close
                | Shape::Comma
                | Shape::Equals
                | Shape::Other => {}
            }
        }
        parts
    }

    fn build_org(&mut self, pair: Pair<'_, Rule>) -> OrgDecl {
        let loc = self.loc(pair.as_span());
        let mut org = OrgDecl {
            project: Vec::new(),
            strategy: Vec::new(),
            limits: Vec::new(),
            actions: Vec::new(),
            loc,
        };
        for p in pair.into_inner() {
            let sloc = self.stmt_loc(&p);
            match shape(p.as_rule()) {
                Shape::Statement(BlockStatement::Project) => {
                    // The grammar requires the string; a missing one cannot reach here.
                    if let Some(s) = p.clone().into_inner().find(|s| s.as_rule() == Rule::string) {
                        org.project.push(self.build_string(&s));
                    }
                }
                // Decided by the keyword pair, not the statement's text, which includes any
                // comment between the tokens (`scp-strategy # not allow-list` …).
                Shape::Statement(BlockStatement::Strategy) => {
                    let value = if has_inner(&p, Rule::kw_allow_list) {
                        ScpStrategy::AllowList
                    } else {
                        ScpStrategy::DenyList
                    };
                    org.strategy.push(Spanned { value, loc: sloc });
                }
                Shape::Statement(BlockStatement::Limits) => {
                    let value = if has_inner(&p, Rule::kw_legacy) {
                        LimitsProfile::Legacy
                    } else {
                        LimitsProfile::Current
                    };
                    org.limits.push(Spanned { value, loc: sloc });
                }
                Shape::Statement(BlockStatement::Actions) => {
                    let value = if has_inner(&p, Rule::kw_compact) {
                        ActionForm::Compact
                    } else {
                        ActionForm::Exact
                    };
                    org.actions.push(Spanned { value, loc: sloc });
                }
                // The grammar admits none of these in an organization's body.
                Shape::Statement(
                    BlockStatement::Values
                    | BlockStatement::ExactCase
                    | BlockStatement::Request
                    | BlockStatement::Expect
                    | BlockStatement::SetElements,
                )
                | Shape::PolicyStatement(_)
                | Shape::Item(_)
                | Shape::Clause(_)
                | Shape::Open
                | Shape::Close
                | Shape::Comma
                | Shape::Equals
                | Shape::Other => {}
            }
        }
        org
    }

    fn build_tag_name(&mut self, pair: Pair<'_, Rule>) -> Text {
        match pair.into_inner().next() {
            Some(inner) if inner.as_rule() == Rule::string => self.build_string(&inner),
            Some(inner) => self.text(&inner),
            None => Spanned {
                value: String::new(),
                loc: Loc::new(Arc::clone(&self.file), Span::default()),
            },
        }
    }

    /// A string's value with escapes resolved; the location covers the quotes.
    fn build_string(&mut self, pair: &Pair<'_, Rule>) -> Text {
        let loc = self.loc(pair.as_span());
        let raw = pair.as_str();
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let mut value = String::with_capacity(inner.len());
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => value.push(e),
                    Some((j, e)) => {
                        let start = loc.span.start + 1 + i;
                        let esc_loc = Loc::new(
                            Arc::clone(&self.file),
                            Span::new(start, loc.span.start + 1 + j + e.len_utf8()),
                        );
                        self.errors.push(SyntaxError::new(
                            SyntaxErrorKind::InvalidEscape(format!("\\{e}")),
                            esc_loc,
                        ));
                    }
                    None => {}
                }
            } else {
                value.push(c);
            }
        }
        Spanned { value, loc }
    }
}

/// How "unexpected …" names the end of the text.
const END_OF_FILE: &str = "end of file";

/// The end of the last token of `pair`: the end of its last inner pair, down to a token.
fn token_end(pair: &Pair<'_, Rule>) -> usize {
    // A string's inner pair stops before the closing quote.
    if pair.as_rule() == Rule::string {
        return pair.as_span().end();
    }
    match pair.clone().into_inner().last() {
        Some(last) => token_end(&last),
        None => pair.as_span().end(),
    }
}

/// Whether a string opens at `pos` and its line ends before its closing quote (the grammar's
/// strings do not span lines).
fn is_unterminated_string(text: &str, pos: usize) -> bool {
    let Some(rest) = text.get(pos..).and_then(|r| r.strip_prefix('"')) else {
        return false;
    };
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' => return false,
            '\n' => return true,
            _ => {}
        }
    }
    true
}

/// The bare word at `pos`: the characters a bare tag name may hold.
fn word_at(text: &str, pos: usize) -> &str {
    let rest = text.get(pos..).unwrap_or("");
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || "_-.:/+@".contains(c)))
        .unwrap_or(rest.len());
    rest.get(..len).unwrap_or("")
}

/// `name` as a tag name is written: bare where the grammar reads it so (name characters, not
/// a keyword), otherwise quoted, with `"` and `\` escaped.
pub fn tag_name_text(name: &str) -> String {
    let bare = TagcParser::parse(Rule::bare_tag, name)
        .ok()
        .and_then(|mut pairs| pairs.next())
        .is_some_and(|p| p.as_str().len() == name.len());
    if bare {
        return name.to_owned();
    }
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('"');
    for c in name.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Whether `word` is a keyword, by the grammar itself: a word made of name characters is not
/// a bare tag name only when it is a keyword.
fn is_keyword(word: &str) -> bool {
    !word.is_empty() && TagcParser::parse(Rule::bare_tag, word).is_err()
}

/// The keyword `word` is a slip for, among those the parser would have accepted at its place;
/// where an item may end, also the keywords that open the next item (`polcy p {`).
fn suggest_keyword(word: &str, positives: &[Rule]) -> Option<&'static str> {
    if word.is_empty() || !word.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut keywords: Vec<&'static str> = positives
        .iter()
        .filter(|r| format!("{r:?}").starts_with("kw_"))
        .filter_map(|r| describe(*r))
        .map(|d| d.trim_matches('`'))
        .collect();
    if positives.contains(&Rule::EOI) {
        keywords.extend(split::ITEM_KEYWORDS);
    }
    crate::suggest::did_you_mean(word, keywords)
}

/// What the parser found at `pos`, for "unexpected …".
fn found_at(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return END_OF_FILE.into();
    };
    if first.is_alphanumeric() || first == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '*'))
            .take(40)
            .collect();
        format!("`{word}`")
    } else if first == '"' {
        let s: String = rest
            .chars()
            .skip(1)
            .take_while(|&c| c != '"' && c != '\n')
            .take(40)
            .collect();
        format!("`\"{s}\"`")
    } else {
        format!("`{first}`")
    }
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(names: &[&str]) -> String {
    match names {
        [] => "something else".into(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Whether `pair` holds a `rule` pair directly (comments are not pairs).
fn has_inner(pair: &Pair<'_, Rule>, rule: Rule) -> bool {
    pair.clone().into_inner().any(|p| p.as_rule() == rule)
}

#[cfg(test)]
mod tests {
    use crate::ast::{Item, OrgDecl, PolicyStmt};

    #[test]
    fn test_a_tag_name_is_written_bare_where_it_can_be_and_reads_back_as_itself() {
        use super::tag_name_text;
        assert_eq!(tag_name_text("CostCenter"), "CostCenter");
        assert_eq!(tag_name_text("team:ml/owner"), "team:ml/owner");
        assert_eq!(tag_name_text("cost center"), "\"cost center\"");
        // A keyword is a tag name only quoted.
        assert_eq!(tag_name_text("values"), "\"values\"");
        for name in [
            "owner",
            "cost center",
            "values",
            "a\"b",
            "back\\slash",
            "é-ü",
        ] {
            let text = format!("tag {}\n", tag_name_text(name));
            let (file, errors) = super::super::parse(&SourceFile::new("t.tags", text.as_str()));
            assert!(errors.is_empty(), "{text}: {errors:?}");
            match file.items.first() {
                Some(Item::Tag(t)) => assert_eq!(t.name.value, name, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
    use crate::model::{ActionForm, LimitsProfile, RuleKind, ScpStrategy};
    use crate::source::SourceFile;

    fn org(text: &str) -> OrgDecl {
        let (file, errors) = super::super::parse(&SourceFile::new("org.tags", text));
        assert!(errors.is_empty(), "{errors:?}");
        match file.items.into_iter().next() {
            Some(Item::Organization(o)) => o,
            other => panic!("not an organization: {other:?}"),
        }
    }

    #[test]
    fn test_actions_setting_is_read_from_its_keyword() {
        let o = org("organization {\n  actions # not exact\n    compact\n}\n");
        assert_eq!(o.actions[0].value, ActionForm::Compact);
        let o = org("organization {\n  actions exact\n}\n");
        assert_eq!(o.actions[0].value, ActionForm::Exact);
        assert!(org("organization {\n}\n").actions.is_empty());
    }

    #[test]
    fn test_settings_come_from_the_keyword_not_from_a_comment() {
        let o = org(
            "organization {\n  scp-strategy # not allow-list\n    deny-list\n  limits # not legacy\n    current\n}\n",
        );
        assert_eq!(o.strategy[0].value, ScpStrategy::DenyList);
        assert_eq!(o.limits[0].value, LimitsProfile::Current);
        let o = org(
            "organization {\n  scp-strategy // was deny-list\n    allow-list\n  limits # current is too big\n    legacy\n}\n",
        );
        assert_eq!(o.strategy[0].value, ScpStrategy::AllowList);
        assert_eq!(o.limits[0].value, LimitsProfile::Legacy);
    }

    #[test]
    fn test_every_kind_of_policy_statement_parses_to_its_kind() {
        let text = "policy p {\n  description \"d\"\n  require owner on sqs:CreateQueue\n  only-declared-keys on sqs:CreateQueue\n  enforce owner for sqs:queue\n  report owner for sqs:queue\n  protect owner\n  forbid owner = \"x\" on sqs:CreateQueue\n  exempt \"arn:aws:iam::*:role/Admin\"\n  attach to root\n  grant\n}\n";
        let (file, errors) = super::super::parse(&SourceFile::new("p.tags", text));
        assert!(errors.is_empty(), "{errors:?}");
        let Some(Item::Policy(policy)) = file.items.into_iter().next() else {
            panic!("not a policy")
        };
        let kinds: Vec<RuleKind> = policy.stmts.iter().map(PolicyStmt::kind).collect();
        // The statements are written in the order of `RuleKind::ALL`.
        assert_eq!(kinds, RuleKind::ALL);
    }

    #[test]
    fn test_new_clause_words_stay_valid_tag_names() {
        for word in ["at", "when", "except", "set", "forbid"] {
            let text = format!(
                "tag {word}\npolicy p {{\n  require {word} on s:A when {word} = \"v\"\n  forbid {word} = \"v\" on s:A\n}}\n"
            );
            let (file, errors) = super::super::parse(&SourceFile::new("p.tags", &text));
            assert!(errors.is_empty(), "{word}: {errors:?}");
            let Some(Item::Tag(tag)) = file.items.first() else {
                panic!("not a tag")
            };
            assert_eq!(tag.name.value, word);
        }
    }

    #[test]
    fn test_when_and_forbid_keep_their_key_values_and_actions() {
        let text = "policy p {\n  require a, b on s:A when env = \"p\", \"q*\"\n  forbid \"env\" = \"t?st\" on s:B, s:C\n}\n";
        let (file, errors) = super::super::parse(&SourceFile::new("p.tags", text));
        assert!(errors.is_empty(), "{errors:?}");
        let Some(Item::Policy(policy)) = file.items.into_iter().next() else {
            panic!("not a policy")
        };
        let texts = |v: &[crate::ast::Text]| v.iter().map(|t| t.value.clone()).collect::<Vec<_>>();
        match &policy.stmts[..] {
            [
                PolicyStmt::Require {
                    keys,
                    actions,
                    when: Some(when),
                    ..
                },
                PolicyStmt::Forbid {
                    test, actions: fa, ..
                },
            ] => {
                assert_eq!(texts(keys), ["a", "b"]);
                assert_eq!(texts(actions), ["s:A"]);
                assert_eq!(when.key.value, "env");
                assert_eq!(texts(&when.values), ["p", "q*"]);
                assert_eq!(test.key.value, "env");
                assert_eq!(texts(&test.values), ["t?st"]);
                assert_eq!(texts(fa), ["s:B", "s:C"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn test_statement_location_ends_at_its_last_token() {
        let text = "tag cc  # key\n\ntag dd {\n  values \"a\" \"b\"  # two\n}\npolicy p {\n  protect cc  # why\n  attach to root\n  require cc on sqs:CreateQueue for sqs:queue\n}\n";
        let (file, errors) = super::super::parse(&SourceFile::new("p.tags", text));
        assert!(errors.is_empty(), "{errors:?}");
        let spans: Vec<&str> = file
            .items
            .iter()
            .flat_map(|item| match item {
                Item::Tag(t) if t.values.is_empty() => {
                    vec![&text[t.loc.span.start..t.loc.span.end]]
                }
                Item::Tag(t) => t
                    .values
                    .iter()
                    .map(|v| &text[v.loc.span.start..v.loc.span.end])
                    .collect(),
                Item::Policy(p) => p
                    .stmts
                    .iter()
                    .filter_map(|s| match s {
                        PolicyStmt::Protect { loc, .. } | PolicyStmt::Require { loc, .. } => {
                            Some(&text[loc.span.start..loc.span.end])
                        }
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        assert_eq!(
            spans,
            [
                "tag cc",
                "values \"a\" \"b\"",
                "protect cc",
                "require cc on sqs:CreateQueue for sqs:queue"
            ]
        );
    }

    #[test]
    fn test_new_words_of_the_language_stay_valid_tag_names() {
        // `set` and its kinds, and the clause words of rules, are not reserved.
        let words = [
            "set",
            "targets",
            "services",
            "principals",
            "resource-types",
            "actions",
            "at",
            "when",
            "except",
            "forbid",
        ];
        let text: String = words.iter().flat_map(|w| ["tag ", w, "\n"]).collect();
        let (file, errors) = super::super::parse(&SourceFile::new("t.tags", &text));
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<String> = file
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Tag(t) => Some(t.name.value.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(names, words);
    }

    #[test]
    fn test_set_references_keep_their_place_in_lists() {
        let text = "set tags k { owner, $more }\npolicy p {\n  require a, $k, \"$k\" on $acts\n  exempt $admins\n  attach to $prod, root\n}\n";
        let (file, errors) = super::super::parse(&SourceFile::new("t.tags", text));
        assert!(errors.is_empty(), "{errors:?}");
        let Some(Item::Set(set)) = file.items.first() else {
            panic!("not a set")
        };
        assert_eq!(set.kind.value, crate::ast::SetKind::Tags);
        assert_eq!(set.name.value, "k");
        let refs: Vec<Option<&str>> = set.elements.iter().map(crate::ast::set_ref).collect();
        assert_eq!(refs, [None, Some("more")]);
        let Some(Item::Policy(policy)) = file.items.get(1) else {
            panic!("not a policy")
        };
        let PolicyStmt::Require { keys, actions, .. } = &policy.stmts[0] else {
            panic!("not a require")
        };
        // A quoted `"$k"` is a tag name, not a reference.
        let refs: Vec<Option<&str>> = keys.iter().map(crate::ast::set_ref).collect();
        assert_eq!(refs, [None, Some("k"), None]);
        assert_eq!(crate::ast::set_ref(&actions[0]), Some("acts"));
        let PolicyStmt::Exempt(principals) = &policy.stmts[1] else {
            panic!("not an exempt")
        };
        assert_eq!(crate::ast::set_ref(&principals[0]), Some("admins"));
        let PolicyStmt::Attach(targets) = &policy.stmts[2] else {
            panic!("not an attach")
        };
        assert!(matches!(&targets[0], crate::ast::TargetRef::Set(t) if t.value == "$prod"));
        assert!(matches!(&targets[1], crate::ast::TargetRef::Root(_)));
    }

    #[test]
    fn test_keywords_are_known_from_the_grammar() {
        assert!(super::is_keyword("resource"));
        assert!(super::is_keyword("only-declared-keys"));
        assert!(!super::is_keyword("tagged"));
        assert!(!super::is_keyword("project"));
    }
}
