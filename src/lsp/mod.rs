//! `tagc lsp`: the language server editors talk to over standard input and output.
//!
//! Input: JSON-RPC messages of the Language Server Protocol 3.17 on stdin. Output: responses
//! and `textDocument/publishDiagnostics` notifications on stdout. Open documents are kept in
//! memory (full text sync); each change re-runs the pipeline on the document's project (every
//! `.tags` file of its directory, open buffers in place of the disk) and publishes the
//! diagnostics of every file of it. Requests: completion, hover, go to definition, find
//! references and rename (of a tag or a set), the document's outline (its tags, sets,
//! policies, tests and organization block), formatting (the `tagc fmt` layout) and code
//! actions (each "did you mean" as a quick fix).
//! <https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/>

mod complete;
mod hover;
mod position;
mod project;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    PrepareRenameRequest, References, Rename, Request as _,
};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CompletionOptions, CompletionParams, CompletionResponse,
    DocumentFormattingParams, DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse,
    GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents, HoverParams,
    HoverProviderCapability, InitializeParams, Location, MarkupContent, MarkupKind, OneOf,
    PositionEncodingKind, PrepareRenameResponse, PublishDiagnosticsParams, ReferenceParams,
    RenameOptions, RenameParams, ServerCapabilities, ServerInfo, SymbolKind,
    TextDocumentPositionParams, TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit, Url,
    WorkspaceEdit,
};
use miette::Diagnostic;
use serde_json::Value;

pub use complete::keywords;
use position::Encoding;
use project::Project;

use crate::ast;
use crate::catalog::Catalog;
use crate::report::Record;
use crate::source::Loc;

/// Why the server stopped before the client asked it to.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum LspError {
    /// The connection with the editor failed or the editor broke the protocol.
    #[error("the language server's connection failed: {0}")]
    #[diagnostic(
        code("tagc::lsp::protocol"),
        severity(Error),
        help(
            "`tagc lsp` is started by an editor, which speaks the Language Server Protocol on its standard input and output"
        )
    )]
    Protocol(String),
}

/// Run the server on stdin and stdout until the client says `exit`.
pub fn run(catalog: &Catalog) -> Result<(), LspError> {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection, catalog)?;
    drop(connection);
    io_threads
        .join()
        .map_err(|e| LspError::Protocol(e.to_string()))
}

/// The server's state: the open documents and what was published.
struct Server<'a> {
    connection: &'a Connection,
    catalog: &'a Catalog,
    encoding: Encoding,
    open: BTreeMap<Url, String>,
    /// Documents that have diagnostics on the client.
    published: BTreeSet<Url>,
}

fn protocol(e: impl std::fmt::Display) -> LspError {
    LspError::Protocol(e.to_string())
}

/// Initialize, then handle messages until `shutdown` and `exit`.
fn serve(connection: &Connection, catalog: &Catalog) -> Result<(), LspError> {
    let (id, params) = connection.initialize_start().map_err(protocol)?;
    let params: InitializeParams = serde_json::from_value(params).map_err(protocol)?;
    // UTF-8 columns when the client offers them: no conversion to get wrong.
    let utf8 = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
    let encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let capabilities = ServerCapabilities {
        position_encoding: Some(if utf8 {
            PositionEncodingKind::UTF8
        } else {
            PositionEncodingKind::UTF16
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into()]),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: lsp_types::WorkDoneProgressOptions::default(),
        })),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    };
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": ServerInfo { name: "tagc".into(), version: Some(env!("CARGO_PKG_VERSION").into()) },
    });
    connection.initialize_finish(id, result).map_err(protocol)?;
    let mut server = Server {
        connection,
        catalog,
        encoding,
        open: BTreeMap::new(),
        published: BTreeSet::new(),
    };
    for message in &connection.receiver {
        match message {
            Message::Request(req) => {
                if connection.handle_shutdown(&req).map_err(protocol)? {
                    return Ok(());
                }
                server.request(req)?;
            }
            Message::Notification(n) => server.notification(n)?,
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// The "did you mean `X`?" suggestion of a help line.
fn suggestion(help: &str) -> Option<&str> {
    help.strip_prefix("did you mean `")?.strip_suffix("`?")
}

impl Server<'_> {
    fn send(&self, message: Message) -> Result<(), LspError> {
        self.connection.sender.send(message).map_err(protocol)
    }

    fn notification(&mut self, n: Notification) -> Result<(), LspError> {
        let uri = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = parse::<lsp_types::DidOpenTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                self.open
                    .insert(p.text_document.uri.clone(), p.text_document.text);
                p.text_document.uri
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = parse::<lsp_types::DidChangeTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                // Full sync: the last change is the whole text.
                if let Some(change) = p.content_changes.into_iter().last() {
                    self.open.insert(p.text_document.uri.clone(), change.text);
                }
                p.text_document.uri
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) = parse::<lsp_types::DidSaveTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                p.text_document.uri
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = parse::<lsp_types::DidCloseTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                self.open.remove(&p.text_document.uri);
                // A closed buffer that is not on disk leaves the project with its diagnostics.
                if p.text_document
                    .uri
                    .to_file_path()
                    .map_or(true, |f| !f.exists())
                {
                    self.publish(p.text_document.uri.clone(), Vec::new())?;
                }
                p.text_document.uri
            }
            _ => return Ok(()),
        };
        self.analyse(&uri)
    }

    /// Compile the project of `uri` and publish the diagnostics of each of its files.
    fn analyse(&mut self, uri: &Url) -> Result<(), LspError> {
        let project = Project::of(uri, &self.open);
        if project.files.is_empty() {
            return Ok(());
        }
        let records = project.records(self.catalog);
        let by_file = project.diagnostics(&records, uri, self.encoding);
        // Files that had diagnostics and are no longer part of this project are cleared.
        let dir = uri
            .to_file_path()
            .ok()
            .and_then(|p| p.parent().map(std::path::PathBuf::from));
        let gone: Vec<Url> = self
            .published
            .iter()
            .filter(|u| !by_file.contains_key(u))
            .filter(|u| {
                dir.as_ref()
                    .is_some_and(|d| u.to_file_path().is_ok_and(|p| p.starts_with(d)))
            })
            .cloned()
            .collect();
        for u in gone {
            self.publish(u, Vec::new())?;
        }
        for (u, diagnostics) in by_file {
            self.publish(u, diagnostics)?;
        }
        Ok(())
    }

    fn publish(
        &mut self,
        uri: Url,
        diagnostics: Vec<lsp_types::Diagnostic>,
    ) -> Result<(), LspError> {
        if diagnostics.is_empty() {
            self.published.remove(&uri);
        } else {
            self.published.insert(uri.clone());
        }
        let params = PublishDiagnosticsParams::new(uri, diagnostics, None);
        self.send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.into(),
            params,
        )))
    }

    fn request(&mut self, req: Request) -> Result<(), LspError> {
        let id = req.id.clone();
        let params = req.params;
        let result = match req.method.as_str() {
            Completion::METHOD => parse(params).map(|p| to_value(self.completion(&p))),
            HoverRequest::METHOD => parse(params).map(|p| to_value(self.hover(&p))),
            GotoDefinition::METHOD => parse(params).map(|p| to_value(self.definition(&p))),
            References::METHOD => parse(params).map(|p| to_value(self.references(&p))),
            DocumentSymbolRequest::METHOD => parse(params).map(|p| to_value(self.symbols(&p))),
            PrepareRenameRequest::METHOD => {
                parse(params).map(|p| to_value(self.prepare_rename(&p)))
            }
            Rename::METHOD => match parse(params).map(|p| self.rename(&p)) {
                Ok(Err(refused)) => {
                    return self.send(Message::Response(Response::new_err(
                        id,
                        lsp_server::ErrorCode::RequestFailed as i32,
                        refused,
                    )));
                }
                Ok(Ok(edit)) => Ok(to_value(edit)),
                Err(e) => Err(e),
            },
            Formatting::METHOD => parse(params).map(|p| to_value(self.format(&p))),
            CodeActionRequest::METHOD => parse(params).map(|p| to_value(self.code_actions(&p))),
            _ => {
                return self.send(Message::Response(Response::new_err(
                    id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("tagc lsp does not handle `{}`", req.method),
                )));
            }
        };
        self.send(Message::Response(match result {
            Ok(value) => Response::new_ok(id, value),
            Err(e) => Response::new_err(
                id,
                lsp_server::ErrorCode::InvalidParams as i32,
                e.to_string(),
            ),
        }))
    }

    /// The project and file of `uri`, with the byte offset of `pos` in it.
    fn locate(&self, uri: &Url, pos: lsp_types::Position) -> Option<(Project, usize)> {
        let project = Project::of(uri, &self.open);
        let offset = position::offset(&project.file(uri)?.text, pos, self.encoding);
        Some((project, offset))
    }

    fn completion(&self, p: &CompletionParams) -> Option<CompletionResponse> {
        let uri = &p.text_document_position.text_document.uri;
        let (project, offset) = self.locate(uri, p.text_document_position.position)?;
        let text = &project.file(uri)?.text;
        let start = complete::word_at(text, offset).map_or(offset, |(s, _)| s.min(offset));
        let prefix = text.get(start..offset)?;
        let range = position::range(text, start, offset, self.encoding);
        let model = project.model(self.catalog);
        let expected = crate::syntax::expected_at(text, start);
        Some(CompletionResponse::Array(complete::complete(
            prefix,
            range,
            expected.as_deref(),
            &model,
            &project.sets(),
            self.catalog,
        )))
    }

    fn hover(&self, p: &HoverParams) -> Option<Hover> {
        let uri = &p.text_document_position_params.text_document.uri;
        let (project, offset) = self.locate(uri, p.text_document_position_params.position)?;
        let text = &project.file(uri)?.text;
        let (start, end) = complete::word_at(text, offset)?;
        let word = text.get(start..end)?;
        let sets = project.sets();
        let name = &project.file(uri)?.name;
        let value = if let Some(set) = hover::set(word, &sets) {
            hover::hover_set(set)
        } else if let Some(set) = hover::declared_at(name, start, &sets) {
            let uses = crate::check::set_uses(project.parsed())
                .remove(&set.name.value)
                .unwrap_or_default();
            hover::hover_set_declaration(set, &uses)
        } else {
            hover::hover(word, &project.model(self.catalog), self.catalog)?
        };
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            }),
            range: Some(position::range(text, start, end, self.encoding)),
        })
    }

    fn definition(&self, p: &GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
        let uri = &p.text_document_position_params.text_document.uri;
        let (project, offset) = self.locate(uri, p.text_document_position_params.position)?;
        let text = &project.file(uri)?.text;
        let (start, end) = complete::word_at(text, offset)?;
        let word = text.get(start..end)?;
        let sets = project.sets();
        let name = &project.file(uri)?.name;
        let model;
        // On a set's own name, the declaration itself.
        let loc = if let Some(set) =
            hover::set(word, &sets).or_else(|| hover::declared_at(name, start, &sets))
        {
            &set.name.loc
        } else {
            model = project.model(self.catalog);
            hover::definition(word, &model)?
        };
        let file = project.file_named(&loc.file.name)?;
        Some(GotoDefinitionResponse::Scalar(Location::new(
            file.uri.clone(),
            position::range(&file.text, loc.span.start, loc.span.end, self.encoding),
        )))
    }

    /// Every place the tag or set under the cursor is named, in any file of the project (and
    /// its declaration, when the client asks for it): for a set, each `$name`; for a tag, each
    /// rule, tag set and test that names it. The check that resolves them finds them, so the
    /// answer is what the compiler reads. `None` on any other word.
    fn references(&self, p: &ReferenceParams) -> Option<Vec<Location>> {
        let uri = &p.text_document_position.text_document.uri;
        let (project, offset) = self.locate(uri, p.text_document_position.position)?;
        let (_, declaration, mut places) = self.named_at(&project, uri, offset)?;
        if p.context.include_declaration {
            places.insert(0, declaration);
        }
        Some(
            places
                .iter()
                .filter_map(|loc| {
                    let file = project.file_named(&loc.file.name)?;
                    Some(Location::new(
                        file.uri.clone(),
                        position::range(&file.text, loc.span.start, loc.span.end, self.encoding),
                    ))
                })
                .collect(),
        )
    }

    /// The tag or set at `offset` of `uri`: what it is, its declaration's name, and every
    /// place the project names it ([`check::set_uses`](crate::check::set_uses),
    /// [`check::tag_uses`](crate::check::tag_uses)).
    fn named_at(
        &self,
        project: &Project,
        uri: &Url,
        offset: usize,
    ) -> Option<(Named, Loc, Vec<Loc>)> {
        let text = &project.file(uri)?.text;
        let name = &project.file(uri)?.name;
        let word = complete::word_at(text, offset)
            .and_then(|(start, end)| Some((start, text.get(start..end)?)));
        // The project is parsed once and checked at most once for the answer.
        let parsed = project.parsed();
        if let Some((start, word)) = word {
            let sets = project::sets_of(&parsed);
            if let Some(set) =
                hover::set(word, &sets).or_else(|| hover::declared_at(name, start, &sets))
            {
                let uses = crate::check::set_uses(parsed)
                    .remove(&set.name.value)
                    .unwrap_or_default();
                let named = Named::Set {
                    name: set.name.value.clone(),
                };
                return Some((named, set.name.loc.clone(), uses));
            }
        }
        let (model, mut uses) = crate::check::tag_uses(parsed, self.catalog);
        // A quoted key (`"cost center"`) is no word: it is found by where the cursor is.
        let here = |loc: &Loc| {
            loc.file.name == *name && loc.span.start <= offset && offset <= loc.span.end
        };
        let tag = word.and_then(|(_, w)| hover::tag(&model, w)).or_else(|| {
            model
                .tags
                .iter()
                .find(|t| here(&t.loc) || uses.get(&t.key).is_some_and(|l| l.iter().any(&here)))
        })?;
        let uses = uses.remove(&tag.key).unwrap_or_default();
        let others = model
            .tags
            .iter()
            .filter(|t| t.key != tag.key)
            .map(|t| t.key.clone())
            .collect();
        let named = Named::Tag {
            key: tag.key.clone(),
            others,
        };
        Some((named, tag.loc.clone(), uses))
    }

    /// The document's outline: each tag, set, policy, test and organization block, in the
    /// order written, with its whole range and its name's (what parses of a document with
    /// syntax errors).
    fn symbols(&self, p: &DocumentSymbolParams) -> Option<DocumentSymbolResponse> {
        let uri = &p.text_document.uri;
        let project = Project::of(uri, &self.open);
        let file = project.file(uri)?;
        let source = project
            .sources()
            .into_iter()
            .find(|s| s.name == file.name)?;
        let range =
            |loc: &Loc| position::range(&file.text, loc.span.start, loc.span.end, self.encoding);
        let symbols = crate::syntax::parse(&source)
            .0
            .items
            .iter()
            .map(|item| {
                let (name, detail, kind, whole, named) = match item {
                    ast::Item::Tag(t) => (
                        t.name.value.clone(),
                        "tag".to_owned(),
                        SymbolKind::KEY,
                        &t.loc,
                        &t.name.loc,
                    ),
                    ast::Item::Set(s) => (
                        format!("${}", s.name.value),
                        format!("set {}", s.kind.value.word()),
                        SymbolKind::ARRAY,
                        &s.loc,
                        &s.name.loc,
                    ),
                    ast::Item::Policy(p) => (
                        p.name.value.clone(),
                        "policy".to_owned(),
                        SymbolKind::NAMESPACE,
                        &p.loc,
                        &p.name.loc,
                    ),
                    ast::Item::Test(t) => (
                        t.name.value.clone(),
                        "test".to_owned(),
                        SymbolKind::FUNCTION,
                        &t.loc,
                        &t.name.loc,
                    ),
                    ast::Item::Organization(o) => (
                        "organization".to_owned(),
                        "organization".to_owned(),
                        SymbolKind::OBJECT,
                        &o.loc,
                        &o.loc,
                    ),
                };
                #[expect(
                    deprecated,
                    reason = "the protocol's `deprecated` field has to be given; it is left out"
                )]
                DocumentSymbol {
                    name,
                    detail: Some(detail),
                    kind,
                    tags: None,
                    deprecated: None,
                    range: range(whole),
                    selection_range: range(named),
                    children: None,
                }
            })
            .collect();
        Some(DocumentSymbolResponse::Nested(symbols))
    }

    /// Whether the cursor is on a tag or set that [`Server::rename`] can rename: the range of
    /// the place it is on, with its name (a set's without `$`) for the editor to offer; `None`
    /// elsewhere, so that the editor says at once there is nothing to rename.
    fn prepare_rename(&self, p: &TextDocumentPositionParams) -> Option<PrepareRenameResponse> {
        let uri = &p.text_document.uri;
        let (project, offset) = self.locate(uri, p.position)?;
        let (named, declaration, uses) = self.named_at(&project, uri, offset)?;
        let file = project.file(uri)?;
        let here = std::iter::once(&declaration)
            .chain(&uses)
            .find(|l| l.file.name == file.name && l.span.start <= offset && offset <= l.span.end)?;
        Some(PrepareRenameResponse::RangeWithPlaceholder {
            range: position::range(&file.text, here.span.start, here.span.end, self.encoding),
            placeholder: named.name().to_owned(),
        })
    }

    /// Rename the tag or set at the cursor everywhere the project names it: one edit per place
    /// [`Server::references`] finds, and the declaration. A tag name is written bare where the
    /// grammar allows, quoted otherwise; a set's `$name` keeps its `$`. Refused, with the
    /// reason, when the new name is not a valid tag key or set name, or another tag (ignoring
    /// case, as tagc compares keys) or set has it. `None` on any other word.
    fn rename(&self, p: &RenameParams) -> Result<Option<WorkspaceEdit>, String> {
        let uri = &p.text_document_position.text_document.uri;
        let Some((project, offset)) = self.locate(uri, p.text_document_position.position) else {
            return Ok(None);
        };
        let Some((named, declaration, uses)) = self.named_at(&project, uri, offset) else {
            return Ok(None);
        };
        let new = p.new_name.as_str();
        // A set's new name may be typed with its `$`, as it is written where it is used.
        let new = match named {
            Named::Set { .. } => new.strip_prefix('$').unwrap_or(new),
            Named::Tag { .. } => new,
        };
        // What replaces each place that names it, and what replaces the declaration's name.
        let (at_use, at_declaration) = match named {
            Named::Set { .. } => {
                let valid = !new.is_empty()
                    && new
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !valid {
                    return Err(format!(
                        "`{new}` is not a set name: letters, digits, `_` and `-`"
                    ));
                }
                // Its own name is no clash: the rename changes nothing.
                if new != named.name() && project.sets().iter().any(|s| s.name.value == new) {
                    return Err(format!("a set `{new}` is already declared"));
                }
                (format!("${new}"), new.to_owned())
            }
            Named::Tag { others, .. } => {
                if let Some(problem) = crate::check::tag_key_problem(new) {
                    return Err(format!("`{new}` is not a tag key: {problem}"));
                }
                if let Some(other) = others.iter().find(|k| k.eq_ignore_ascii_case(new)) {
                    return Err(format!("a tag `{other}` is already declared"));
                }
                let written = crate::syntax::tag_name_text(new);
                (written.clone(), written)
            }
        };
        let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
        let places = uses
            .iter()
            .map(|loc| (loc, &at_use))
            .chain(std::iter::once((&declaration, &at_declaration)));
        for (loc, text) in places {
            let Some(file) = project.file_named(&loc.file.name) else {
                continue;
            };
            changes
                .entry(file.uri.clone())
                .or_default()
                .push(TextEdit::new(
                    position::range(&file.text, loc.span.start, loc.span.end, self.encoding),
                    text.clone(),
                ));
        }
        Ok(Some(WorkspaceEdit::new(changes)))
    }

    /// One edit replacing the whole document with its `tagc fmt` layout; none when the text
    /// has syntax errors (which are published as diagnostics) or is already formatted.
    fn format(&self, p: &DocumentFormattingParams) -> Vec<TextEdit> {
        let Some(text) = self.open.get(&p.text_document.uri) else {
            return Vec::new();
        };
        match crate::syntax::format(text) {
            Ok(formatted) if &formatted != text => vec![TextEdit::new(
                position::range(text, 0, text.len(), self.encoding),
                formatted,
            )],
            _ => Vec::new(),
        }
    }

    /// A quick fix for each "did you mean" diagnostic of the document in the range asked for,
    /// and for `exempt` written after a rule on its line, the rewrite to that rule's `except`
    /// (not preferred: it changes what the line means, which is the question the warning asks).
    fn code_actions(&self, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let uri = &p.text_document.uri;
        let project = Project::of(uri, &self.open);
        let Some(file) = project.file(uri) else {
            return Vec::new();
        };
        let records: Vec<Record> = project.records(self.catalog);
        let mut actions = Vec::new();
        for r in &records {
            let Some(l) = &r.location else {
                continue;
            };
            if l.file != file.name {
                continue;
            }
            let fix = if let Some(fix) = r.help.as_deref().and_then(suggestion) {
                let (start, mut end) = (l.offset, l.offset + l.length);
                // An unknown service is reported on the whole action; the suggestion is a
                // prefix.
                let written = file.text.get(start..end).unwrap_or("");
                if !fix.contains(':')
                    && let Some(colon) = written.find(':')
                {
                    end = start + colon;
                }
                (
                    start,
                    end,
                    fix.to_owned(),
                    format!("Replace with `{fix}`"),
                    true,
                )
            } else if r.code.as_deref() == Some("tagc::check::exempt-on-rule-line")
                && let Some(start) = exempt_keyword_of_rule(&file.text, l.offset)
            {
                let title = "Exempt from this rule only: write `except`".to_owned();
                (
                    start,
                    start + "exempt".len(),
                    "except".to_owned(),
                    title,
                    false,
                )
            } else {
                continue;
            };
            let (start, end, text, title, preferred) = fix;
            let diagnostics = project.diagnostics(std::slice::from_ref(r), uri, self.encoding);
            let Some(d) = diagnostics.get(uri).and_then(|v| v.first()) else {
                continue;
            };
            if d.range.end < p.range.start || p.range.end < d.range.start {
                continue;
            }
            let edit = TextEdit::new(position::range(&file.text, start, end, self.encoding), text);
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(std::iter::once((uri.clone(), vec![edit])).collect()),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(preferred),
                ..CodeAction::default()
            }));
        }
        actions
    }
}

/// Where the `exempt` keyword before `offset` (its first ARN) is, when it ends a rule that
/// takes `except` (`require`, `only-declared-keys`, `protect`) and has none yet: there,
/// `except` in its place is valid and spares the principals from that rule alone.
fn exempt_keyword_of_rule(text: &str, offset: usize) -> Option<usize> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.get(line_start..)?;
    let keyword = line.rfind("exempt")?;
    let rule = line.get(..keyword)?;
    let mut words = rule.split_whitespace();
    let takes_except = matches!(
        words.next(),
        Some("require" | "only-declared-keys" | "protect")
    );
    (takes_except && !words.any(|w| w == "except")).then_some(line_start + keyword)
}

/// What a rename or a search for references is about.
enum Named {
    /// A set, by name.
    Set { name: String },
    /// A tag, by key, with the keys of the project's other tags.
    Tag { key: String, others: Vec<String> },
}

impl Named {
    /// The name as the editor offers it for a new one: a set's without `$`, a tag's key
    /// unquoted.
    fn name(&self) -> &str {
        match self {
            Self::Set { name } => name,
            Self::Tag { key, .. } => key,
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, LspError> {
    serde_json::from_value(params).map_err(protocol)
}

fn to_value<T: serde::Serialize>(v: T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::suggestion;

    #[test]
    fn test_suggestion_reads_the_did_you_mean_help() {
        assert_eq!(
            suggestion("did you mean `sqs:CreateQueue`?"),
            Some("sqs:CreateQueue")
        );
        assert_eq!(suggestion("check the file"), None);
    }
}
