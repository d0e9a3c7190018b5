//! `wireplan lsp`: a Language Server Protocol server on stdio.
//!
//! This is the only module that knows LSP types. It keeps the open documents
//! (their text replaces what is on disk, through `load::load_with`), checks
//! the spec a document belongs to with the same pipeline as `check`, and
//! answers requests from the last check: diagnostics, hover, definition,
//! references, rename, completion, code actions, formatting and document
//! symbols (`features`). The loop is synchronous: it reads every message
//! already waiting before it checks, so a burst of edits made while a check
//! ran costs one check, of the latest text. A message it cannot read gets an
//! error response; the server ends on `exit` or when stdin closes.

mod features;
pub(crate) mod fuzz;
mod index;
mod transport;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::diagnostic::Severity;
use crate::model::FileId;
use crate::source::SourceFile;
use transport::{Incoming, Output};

/// Runs the server until `exit` or the end of stdin.
pub(crate) fn run(out: &crate::out::Out) -> ExitCode {
    let incoming = transport::stdin_reader(out);
    let mut server = Server::new(Output::new(out));
    while let Ok(first) = incoming.recv() {
        let mut batch = vec![first];
        batch.extend(incoming.try_iter());
        for message in batch {
            if let Some(code) = server.handle(message) {
                return code;
            }
        }
        server.check_dirty();
    }
    // stdin closed without `exit`: the client is gone.
    if server.shut_down { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// An open document.
struct Document {
    uri: lsp::Uri,
    version: i32,
    text: String,
}

/// The last check of one spec.
struct Analysis {
    checked: crate::Checked,
    index: index::Index,
    files: FxHashMap<PathBuf, FileId>,
    /// Files that diagnostics were published for, to clear them later.
    published: FxHashSet<PathBuf>,
}

struct Server {
    out: Output,
    initialized: bool,
    shut_down: bool,
    documents: FxHashMap<PathBuf, Document>,
    /// Checks by entry file.
    specs: FxHashMap<PathBuf, Analysis>,
    /// The entry file of each open document.
    entry_of: FxHashMap<PathBuf, PathBuf>,
    /// Entries whose documents changed since their last check.
    dirty: FxHashSet<PathBuf>,
}

impl Server {
    fn new(out: Output) -> Self {
        Server {
            out,
            initialized: false,
            shut_down: false,
            documents: FxHashMap::default(),
            specs: FxHashMap::default(),
            entry_of: FxHashMap::default(),
            dirty: FxHashSet::default(),
        }
    }

    /// Handles one message; `Some` when the server must exit with that code.
    fn handle(&mut self, incoming: Incoming) -> Option<ExitCode> {
        match incoming {
            Incoming::Malformed { id, error } => {
                self.out.send_error(id, ErrorCode::InvalidRequest as i32, &error);
                None
            }
            Incoming::Message(Message::Request(request)) => {
                self.request(request);
                None
            }
            Incoming::Message(Message::Notification(n)) if n.method == lsp::notification::Exit::METHOD => {
                Some(if self.shut_down { ExitCode::SUCCESS } else { ExitCode::from(1) })
            }
            Incoming::Message(Message::Notification(n)) => {
                if self.initialized && !self.shut_down {
                    self.notification(n);
                }
                None
            }
            // The server sends no requests, so expects no responses.
            Incoming::Message(Message::Response(_)) => None,
        }
    }

    fn request(&mut self, request: Request) {
        let id = request.id.clone();
        let method = request.method.clone();
        if method == lsp::request::Initialize::METHOD {
            self.initialized = true;
            let result = serde_json::to_value(initialize_result()).unwrap_or_default();
            return self.out.send(Message::Response(Response { id, response_result: Ok(result) }));
        }
        if !self.initialized {
            return self.error(id, ErrorCode::ServerNotInitialized, "the server is not initialized yet");
        }
        if self.shut_down {
            return self.error(id, ErrorCode::InvalidRequest, "the server is shutting down");
        }
        if method == lsp::request::Shutdown::METHOD {
            self.shut_down = true;
            return self.out.send(Message::Response(Response::new_ok(id, serde_json::Value::Null)));
        }
        let result = match method.as_str() {
            lsp::request::HoverRequest::METHOD => self.answer(request.params, features::hover),
            lsp::request::GotoDefinition::METHOD => self.answer(request.params, features::definition),
            lsp::request::References::METHOD => self.answer(request.params, features::references),
            lsp::request::Rename::METHOD => self.answer(request.params, features::rename),
            lsp::request::Completion::METHOD => self.answer(request.params, features::completion),
            lsp::request::CodeActionRequest::METHOD => self.answer(request.params, features::code_actions),
            lsp::request::Formatting::METHOD => self.answer(request.params, features::formatting),
            lsp::request::DocumentSymbolRequest::METHOD => self.answer(request.params, features::symbols),
            lsp::request::SemanticTokensFullRequest::METHOD => self.answer(request.params, features::semantic_tokens),
            _ => Err((ErrorCode::MethodNotFound, format!("wireplan does not handle `{method}`"))),
        };
        match result {
            Ok(value) => self.out.send(Message::Response(Response { id, response_result: Ok(value) })),
            Err((code, message)) => self.error(id, code, &message),
        }
    }

    /// Decodes a request's parameters, makes sure the document's spec is
    /// checked, and runs `feature` on it.
    fn answer<P, R>(
        &mut self,
        params: serde_json::Value,
        feature: impl FnOnce(&Context<'_>, P) -> Result<R, String>,
    ) -> Result<serde_json::Value, (ErrorCode, String)>
    where
        P: serde::de::DeserializeOwned + HasDocument,
        R: serde::Serialize,
    {
        let params: P = serde_json::from_value(params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))?;
        let path = path_of(params.document()).ok_or((ErrorCode::InvalidParams, "not a file:// URI".to_owned()))?;
        let Some(entry) = self.entry_of.get(&path).cloned() else {
            return Err((ErrorCode::InvalidParams, "the document is not open".to_owned()));
        };
        if self.dirty.remove(&entry) {
            self.check(&entry);
        }
        let analysis = self.specs.get(&entry).ok_or((ErrorCode::InternalError, "no check yet".to_owned()))?;
        let file =
            *analysis.files.get(&path).ok_or((ErrorCode::InternalError, "the file is not checked".to_owned()))?;
        let context = Context { analysis, file, documents: &self.documents };
        // A bug in one feature costs that request, not the session.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| feature(&context, params)))
            .map_err(|_| (ErrorCode::InternalError, "internal error: wireplan panicked; please report it".to_owned()))?
            .map_err(|e| (ErrorCode::RequestFailed, e))?;
        serde_json::to_value(result).map_err(|e| (ErrorCode::InternalError, e.to_string()))
    }

    fn error(&mut self, id: RequestId, code: ErrorCode, message: &str) {
        self.out.send(Message::Response(Response::new_err(id, code as i32, message.to_owned())));
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            lsp::notification::DidOpenTextDocument::METHOD => {
                let Ok(params) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params) else { return };
                let Some(path) = path_of(&params.text_document.uri) else { return };
                let document = Document {
                    uri: params.text_document.uri,
                    version: params.text_document.version,
                    text: params.text_document.text,
                };
                self.documents.insert(path.clone(), document);
                let (entry, checked) = self.entry_for(&path);
                self.entry_of.insert(path, entry.clone());
                if !checked {
                    self.dirty.insert(entry);
                }
            }
            lsp::notification::DidChangeTextDocument::METHOD => {
                let Ok(params) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params) else { return };
                let Some(path) = path_of(&params.text_document.uri) else { return };
                let Some(document) = self.documents.get_mut(&path) else { return };
                for change in params.content_changes {
                    apply_change(&mut document.text, change);
                }
                document.version = params.text_document.version;
                if let Some(entry) = self.entry_of.get(&path) {
                    self.dirty.insert(entry.clone());
                }
            }
            lsp::notification::DidSaveTextDocument::METHOD => {
                // Files that are not open may have changed on disk too.
                self.dirty.extend(self.entry_of.values().cloned());
            }
            lsp::notification::DidCloseTextDocument::METHOD => {
                let Ok(params) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params) else { return };
                let Some(path) = path_of(&params.text_document.uri) else { return };
                self.documents.remove(&path);
                let Some(entry) = self.entry_of.remove(&path) else { return };
                if self.entry_of.values().any(|e| *e == entry) {
                    self.dirty.insert(entry);
                } else if let Some(analysis) = self.specs.remove(&entry) {
                    // No document of this spec is open: its diagnostics go.
                    self.dirty.remove(&entry);
                    for file in analysis.published {
                        self.publish(&file, Vec::new(), None);
                    }
                }
            }
            _ => {}
        }
    }

    /// The entry file of the spec `path` belongs to: a spec already checked
    /// that holds it, else the nearest `wireplan.kdl` at or above it if that
    /// includes it, else the file itself; and whether that spec was just
    /// checked with the document's text.
    fn entry_for(&mut self, path: &Path) -> (PathBuf, bool) {
        if let Some((entry, _)) = self.specs.iter().find(|(_, a)| a.files.contains_key(path)) {
            return (entry.clone(), false);
        }
        let dir = path.parent().unwrap_or(Path::new("/"));
        if let Ok(entry) = crate::load::find_entry(None, dir) {
            let entry = std::fs::canonicalize(&entry).unwrap_or(entry);
            if entry != path {
                self.check(&entry);
                if self.specs.get(&entry).is_some_and(|a| a.files.contains_key(path)) {
                    return (entry, true);
                }
                // Not part of that spec: take back what its check published.
                if let Some(analysis) = self.specs.remove(&entry) {
                    let stale: Vec<PathBuf> =
                        analysis.published.into_iter().filter(|f| !self.entry_of.contains_key(f)).collect();
                    for file in stale {
                        self.publish(&file, Vec::new(), None);
                    }
                }
            }
        }
        (path.to_path_buf(), false)
    }

    fn check_dirty(&mut self) {
        // A check can leave a document to be checked on its own (`check`);
        // that check always holds its document, so this ends.
        while !self.dirty.is_empty() {
            let dirty: Vec<PathBuf> = self.dirty.drain().collect();
            for entry in dirty {
                self.check(&entry);
            }
        }
    }

    /// Checks the spec at `entry` with the open documents' texts and
    /// publishes its diagnostics.
    fn check(&mut self, entry: &Path) {
        let overrides: crate::load::Overrides =
            self.documents.iter().map(|(path, d)| (path.clone(), d.text.clone())).collect();
        let cwd = entry.parent().unwrap_or(Path::new("/"));
        let run = || {
            let loaded = crate::load::load_with(entry, cwd, overrides, crate::parse_and_lower).ok()?;
            Some(crate::check_loaded(loaded, &crate::lint::CliLevels::default()))
        };
        // A bug in a check leaves the last diagnostics up; the session goes on.
        let Ok(Some(checked)) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) else { return };
        // Before anything about this check is sent.
        self.mask_credentials(entry, &checked);
        let index = index::Index::build(&checked.spec);
        let files: FxHashMap<PathBuf, FileId> = checked.sources.files().map(|(id, f)| (f.path.clone(), id)).collect();
        let mut by_file: FxHashMap<FileId, Vec<lsp::Diagnostic>> = files.values().map(|&id| (id, Vec::new())).collect();
        for d in &checked.diagnostics {
            if let Some(list) = by_file.get_mut(&d.primary.loc.file) {
                list.push(to_lsp(&checked, &self.documents, d));
            }
        }
        let previous = self.specs.remove(entry).map(|a| a.published).unwrap_or_default();
        let mut published = FxHashSet::default();
        for (path, id) in &files {
            let diagnostics = by_file.remove(id).unwrap_or_default();
            let version = self.documents.get(path).map(|d| d.version);
            self.publish(path, diagnostics, version);
            published.insert(path.clone());
        }
        for gone in previous.difference(&published) {
            self.publish(gone, Vec::new(), None);
        }
        // An open document the spec no longer includes is checked on its own.
        let left: Vec<PathBuf> = self
            .entry_of
            .iter()
            .filter(|(path, e)| e.as_path() == entry && !files.contains_key(*path))
            .map(|(path, _)| path.clone())
            .collect();
        for path in left {
            self.entry_of.insert(path.clone(), path.clone());
            self.dirty.insert(path);
        }
        self.specs.insert(entry.to_path_buf(), Analysis { checked, index, files, published });
    }

    /// From now on, every message the server sends masks the credentials of
    /// `checked` (the spec at `entry`, just checked) and of the other specs
    /// it holds.
    fn mask_credentials(&mut self, entry: &Path, checked: &crate::Checked) {
        let mut redactor = checked.redactor.clone();
        let mut others: Vec<(&PathBuf, &Analysis)> = self.specs.iter().filter(|(e, _)| *e != entry).collect();
        others.sort_by(|a, b| a.0.cmp(b.0));
        for (_, analysis) in others {
            redactor.merge(&analysis.checked.redactor);
        }
        self.out.mask(redactor);
    }

    fn publish(&mut self, path: &Path, diagnostics: Vec<lsp::Diagnostic>, version: Option<i32>) {
        let Some(uri) = uri_for(&self.documents, path) else { return };
        let params = lsp::PublishDiagnosticsParams { uri, diagnostics, version };
        self.out.send(Message::Notification(Notification::new(
            lsp::notification::PublishDiagnostics::METHOD.to_owned(),
            params,
        )));
    }
}

/// A diagnostic as LSP shows it: the rule name as its code, a link to the
/// rules, the help after the message, secondary labels as related places.
fn to_lsp(
    checked: &crate::Checked,
    documents: &FxHashMap<PathBuf, Document>,
    d: &crate::diagnostic::Diagnostic,
) -> lsp::Diagnostic {
    // Credentials are masked where the frame leaves (`out::Out`); names are
    // shown as the terminal shows them: hidden characters and line breaks
    // escaped (the one line break is the one before the help).
    let show = |s: &str| crate::escape::one_line(s).into_owned();
    let mut message = show(&d.message);
    if !d.help.is_empty() {
        message.push_str("\nhelp: ");
        message.push_str(&show(&d.help));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|label| {
            let file = checked.sources.get(label.loc.file);
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location { uri: uri_for(documents, &file.path)?, range: range(file, label.loc.span) },
                message: show(&label.message),
            })
        })
        .collect();
    lsp::Diagnostic {
        range: range(checked.sources.get(d.primary.loc.file), d.primary.loc.span),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(d.rule.name.to_owned())),
        code_description: lsp::Uri::from_str(&d.rule.url()).ok().map(|href| lsp::CodeDescription { href }),
        source: Some(format!("wireplan {}", d.rule.code)),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// What a feature sees: the last check of the document's spec.
pub(crate) struct Context<'a> {
    analysis: &'a Analysis,
    /// The document the request is about.
    file: FileId,
    documents: &'a FxHashMap<PathBuf, Document>,
}

impl Context<'_> {
    fn source(&self, file: FileId) -> &SourceFile {
        self.analysis.checked.sources.get(file)
    }

    fn uri(&self, file: FileId) -> Option<lsp::Uri> {
        uri_for(self.documents, &self.source(file).path)
    }

    fn location(&self, loc: crate::model::Loc) -> Option<lsp::Location> {
        Some(lsp::Location { uri: self.uri(loc.file)?, range: range(self.source(loc.file), loc.span) })
    }

    /// The byte offset of an LSP position in the request's document.
    fn offset(&self, position: lsp::Position) -> u32 {
        self.source(self.file).offset_of_utf16(position.line, position.character)
    }
}

/// Requests that are about one document.
trait HasDocument {
    fn document(&self) -> &lsp::Uri;
}

macro_rules! has_document {
    ($($t:ty => |$p:ident| $e:expr),* $(,)?) => {$(
        impl HasDocument for $t {
            fn document(&self) -> &lsp::Uri {
                let $p = self;
                $e
            }
        }
    )*};
}

has_document! {
    lsp::HoverParams => |p| &p.text_document_position_params.text_document.uri,
    lsp::GotoDefinitionParams => |p| &p.text_document_position_params.text_document.uri,
    lsp::ReferenceParams => |p| &p.text_document_position.text_document.uri,
    lsp::RenameParams => |p| &p.text_document_position.text_document.uri,
    lsp::CompletionParams => |p| &p.text_document_position.text_document.uri,
    lsp::CodeActionParams => |p| &p.text_document.uri,
    lsp::DocumentFormattingParams => |p| &p.text_document.uri,
    lsp::DocumentSymbolParams => |p| &p.text_document.uri,
    lsp::SemanticTokensParams => |p| &p.text_document.uri,
}

fn initialize_result() -> lsp::InitializeResult {
    let capabilities = lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
            save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec!["=".into(), "\"".into()]),
            ..Default::default()
        }),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        semantic_tokens_provider: Some(lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
            lsp::SemanticTokensOptions {
                legend: lsp::SemanticTokensLegend {
                    token_types: features::TOKEN_TYPES.to_vec(),
                    token_modifiers: Vec::new(),
                },
                full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
                ..Default::default()
            },
        )),
        ..Default::default()
    };
    lsp::InitializeResult {
        capabilities,
        server_info: Some(lsp::ServerInfo { name: "wireplan".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
    }
}

/// The LSP range of a byte span (UTF-16 columns).
fn range(file: &SourceFile, span: crate::syntax::Span) -> lsp::Range {
    let position = |offset: u32| {
        let (line, character) = file.utf16_position(offset);
        lsp::Position { line, character }
    };
    lsp::Range { start: position(span.start), end: position(span.end) }
}

/// Applies one `didChange` edit to a document's text.
fn apply_change(text: &mut String, change: lsp::TextDocumentContentChangeEvent) {
    let Some(r) = change.range else {
        *text = change.text;
        return;
    };
    let start = offset_in(text, r.start);
    let end = offset_in(text, r.end).max(start);
    text.replace_range(start..end, &change.text);
}

/// The byte offset of an LSP position (0-based line, UTF-16 column) in
/// `text`, clamped to the line and the text.
fn offset_in(text: &str, position: lsp::Position) -> usize {
    let mut line = 0;
    let mut at = 0;
    let bytes = text.as_bytes();
    while line < position.line {
        match memchr::memchr2(b'\n', b'\r', &bytes[at..]) {
            Some(i) => {
                at += i + 1;
                if bytes[at - 1] == b'\r' && bytes.get(at) == Some(&b'\n') {
                    at += 1;
                }
                line += 1;
            }
            None => return text.len(),
        }
    }
    let mut units = 0;
    for (i, c) in text[at..].char_indices() {
        if units >= position.character as usize || c == '\n' || c == '\r' {
            return at + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The path of a `file://` URI, canonical when the file exists.
fn path_of(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (bytes.get(i + 1).and_then(|&b| hex(b)), bytes.get(i + 2).and_then(|&b| hex(b)))
        {
            decoded.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    let path = PathBuf::from(String::from_utf8(decoded).ok()?);
    Some(std::fs::canonicalize(&path).unwrap_or(path))
}

/// The URI of `path`: the client's own for an open document, else
/// `file://` and the path, percent-encoded.
fn uri_for(documents: &FxHashMap<PathBuf, Document>, path: &Path) -> Option<lsp::Uri> {
    if let Some(d) = documents.get(path) {
        return Some(d.uri.clone());
    }
    let mut uri = String::from("file://");
    for &b in path.to_string_lossy().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    lsp::Uri::from_str(&uri).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_and_lines_end_as_editors_say() {
        let text = "ab\r\né𝄞x\ny";
        assert_eq!(offset_in(text, lsp::Position { line: 1, character: 3 }), text.find('x').unwrap());
        assert_eq!(offset_in(text, lsp::Position { line: 2, character: 0 }), text.find('y').unwrap());
        assert_eq!(offset_in(text, lsp::Position { line: 9, character: 0 }), text.len());
        let mut t = text.to_owned();
        let r =
            lsp::Range { start: lsp::Position { line: 1, character: 1 }, end: lsp::Position { line: 1, character: 3 } };
        apply_change(
            &mut t,
            lsp::TextDocumentContentChangeEvent { range: Some(r), range_length: None, text: "-".into() },
        );
        assert_eq!(t, "ab\r\né-x\ny");
    }

    #[test]
    fn file_uris_round_trip() {
        let docs = FxHashMap::default();
        let path = Path::new("/nonexistent/a b/é.kdl");
        let uri = uri_for(&docs, path).unwrap();
        assert_eq!(uri.as_str(), "file:///nonexistent/a%20b/%C3%A9.kdl");
        assert_eq!(path_of(&uri).unwrap(), path);
    }
}

#[cfg(test)]
mod feature_tests;
