//! The server's loop: one synchronous loop (no async runtime) over the
//! messages the transport reads from stdin. It takes every message already
//! waiting, applies them (documents opened, edited, closed), and only then
//! checks each spec whose documents changed, so a burst of edits made while a
//! check ran costs one check, of the latest text. A request first brings its
//! spec up to date, then is answered by its handler (`requests`). A message
//! it cannot read gets an error response; the server ends on `exit` or when
//! stdin closes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use rustc_hash::{FxHashMap, FxHashSet};

use super::capabilities;
use super::convert::{path_of, to_lsp, uri_for};
use super::front::{self, Front};
use super::requests::{self, HasDocument};
use super::state::{Analysis, Context, Document, apply_change};
use super::transport::{self, Incoming, Output};
use crate::model::FileId;

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
    /// What lowering made of each piece of text lately, for the next check.
    front: Front,
    /// Whether to log how long each phase of each check took
    /// (`WIREPLAN_TIMINGS=1`, as for `wireplan check`).
    timings: bool,
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
            front: Front::default(),
            timings: std::env::var_os("WIREPLAN_TIMINGS").is_some_and(|v| !v.is_empty()),
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
            let result = serde_json::to_value(capabilities::initialize_result()).unwrap_or_default();
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
        let params = request.params;
        let answered = match method.as_str() {
            lsp::request::HoverRequest::METHOD => self.answer(&id, params, requests::hover),
            lsp::request::GotoDefinition::METHOD => self.answer(&id, params, requests::definition),
            lsp::request::References::METHOD => self.answer(&id, params, requests::references),
            lsp::request::Rename::METHOD => self.answer(&id, params, requests::rename),
            lsp::request::Completion::METHOD => self.answer(&id, params, requests::completion),
            lsp::request::CodeActionRequest::METHOD => self.answer(&id, params, requests::code_actions),
            lsp::request::Formatting::METHOD => self.answer(&id, params, requests::formatting),
            lsp::request::DocumentSymbolRequest::METHOD => self.answer(&id, params, requests::symbols),
            lsp::request::SemanticTokensFullRequest::METHOD => self.answer(&id, params, requests::semantic_tokens),
            _ => Err((ErrorCode::MethodNotFound, format!("wireplan does not handle `{method}`"))),
        };
        if let Err((code, message)) = answered {
            self.error(id, code, &message);
        }
    }

    /// Decodes a request's parameters, makes sure the document's spec is
    /// checked, runs `feature` on it and sends its answer to request `id`.
    fn answer<P, R>(
        &mut self,
        id: &RequestId,
        params: serde_json::Value,
        feature: impl FnOnce(&Context<'_>, P) -> Result<R, String>,
    ) -> Result<(), (ErrorCode, String)>
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
        self.out.respond(id.clone(), &result).map_err(|e| (ErrorCode::InternalError, e))
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
        let started = Instant::now();
        let overrides: crate::load::Overrides =
            self.documents.iter().map(|(path, d)| (path.clone(), d.text.clone())).collect();
        let cwd = entry.parent().unwrap_or(Path::new("/"));
        let front = &mut self.front;
        let run = || {
            // The front end reuses what it lowered of the text that did not
            // change; the rest of the check runs on the whole spec.
            let (loaded, layouts) =
                front.lend(|| crate::load::load_with(entry, cwd, overrides, front::parse_and_lower));
            let read_and_lowered = started.elapsed();
            let mut checked = crate::check_loaded(loaded.ok()?, &crate::lint::CliLevels::default());
            checked.timings.insert(0, ("read, parse and lower", read_and_lowered));
            Some((checked, layouts))
        };
        // A bug in a check leaves the last diagnostics up; the session goes on.
        let Ok(Some((checked, layouts))) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) else {
            return;
        };
        let checked_after = started.elapsed();
        // Before anything about this check is sent.
        self.mask_credentials(entry, &checked);
        let mut analysis = Analysis::new(checked, layouts);
        let (checked, files) = (&analysis.checked, &analysis.files);
        let mut by_file: FxHashMap<FileId, Vec<lsp::Diagnostic>> = files.values().map(|&id| (id, Vec::new())).collect();
        for d in &checked.diagnostics {
            if let Some(list) = by_file.get_mut(&d.primary.loc.file) {
                list.push(to_lsp(checked, &self.documents, d));
            }
        }
        let previous = self.specs.remove(entry).map(|mut a| {
            let published = std::mem::take(&mut a.published);
            // The last check is freed beside the next step, not before it.
            drop_aside(a);
            published
        });
        let previous = previous.unwrap_or_default();
        let mut published = FxHashSet::default();
        for (path, id) in &analysis.files {
            let diagnostics = by_file.remove(id).unwrap_or_default();
            let version = self.documents.get(path).map(|d| d.version);
            publish(&mut self.out, &self.documents, path, diagnostics, version);
            published.insert(path.clone());
        }
        for gone in previous.difference(&published) {
            self.publish(gone, Vec::new(), None);
        }
        if self.timings {
            let publish = ("convert and publish", started.elapsed().saturating_sub(checked_after));
            for (phase, time) in analysis.checked.timings.iter().chain([&publish]) {
                self.out.log(&format!("timing: {phase:<22} {:>8.3} ms", time.as_secs_f64() * 1000.0));
            }
        }
        // An open document the spec no longer includes is checked on its own.
        let left: Vec<PathBuf> = self
            .entry_of
            .iter()
            .filter(|(path, e)| e.as_path() == entry && !analysis.files.contains_key(*path))
            .map(|(path, _)| path.clone())
            .collect();
        for path in left {
            self.entry_of.insert(path.clone(), path.clone());
            self.dirty.insert(path);
        }
        analysis.published = published;
        self.specs.insert(entry.to_path_buf(), analysis);
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
        publish(&mut self.out, &self.documents, path, diagnostics, version);
    }
}

/// Sends the diagnostics of the file at `path`.
fn publish(
    out: &mut Output,
    documents: &FxHashMap<PathBuf, Document>,
    path: &Path,
    diagnostics: Vec<lsp::Diagnostic>,
    version: Option<i32>,
) {
    let Some(uri) = uri_for(documents, path) else { return };
    let params = lsp::PublishDiagnosticsParams { uri, diagnostics, version };
    out.notify(lsp::notification::PublishDiagnostics::METHOD, &params);
}

/// Drops `analysis` on a thread of its own: freeing a large spec's model
/// takes a few milliseconds the next publication need not wait for.
fn drop_aside(analysis: Analysis) {
    let spawned = std::thread::Builder::new().name("lsp-drop".into()).spawn(move || drop(analysis));
    // Without a thread, it is dropped here, with the error.
    drop(spawned);
}
