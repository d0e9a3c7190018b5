//! `wireplan import` and `wireplan check` on documents that are not specs:
//! AsyncAPI 2.x and 3.x documents, Node-RED flow files, n8n workflows,
//! Make scenario blueprints and EventCatalog folders become a spec.
//!
//! An import is three steps. A format's reader (`asyncapi`, `node_red`,
//! `n8n`, `make`, `eventcatalog`)
//! reads its documents through `tree` (YAML and JSON with byte positions)
//! into the shared `Import` model: systems, events, fields and flows, each
//! with the place in the source it came from, plus a report of what was
//! mapped, what was skipped and why, and what the source does not say.
//! Then `spec` writes the model as a spec in the wireplan language, already
//! in `fmt`'s layout, recording which span of the spec text came from which
//! place of which source. `wireplan import` formats it through `fmt` and
//! writes it through the one writer; `wireplan check` on a document loads the
//! spec text in memory, runs every check, and moves each finding from the
//! spec text back to the place in the YAML or JSON it came from, so every
//! output format (SARIF included) points at the source document.
//!
//! Nothing is guessed: where the source is silent on what the checks need
//! (a retry policy, a dead-letter queue), the spec says so in a comment,
//! `// unknown in the source: retry policy`, and the checks report it.

mod asyncapi;
mod eventcatalog;
mod make;
mod n8n;
mod node_red;
mod spec;
pub(crate) mod tree;
mod wiring;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::diagnostic::Diagnostic;
use crate::lint::CliLevels;
use crate::load::LoadError;
use crate::out::Out;
use crate::source::{FileId, Loc, SourceFile, SourceMap, Span};
use tree::Range;

/// The formats `import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum From {
    /// AsyncAPI 2.6 and 3.x documents (YAML or JSON); a folder of them
    /// imports into one spec.
    Asyncapi,
    /// A Node-RED `flows.json` (as exported, or as the admin API returns it).
    NodeRed,
    /// An n8n workflow (the JSON its editor exports).
    N8n,
    /// A Make scenario blueprint (the JSON its editor exports).
    Make,
    /// An EventCatalog folder (services, events, commands and queries as
    /// `index.mdx` files with frontmatter).
    Eventcatalog,
}

impl From {
    fn name(self) -> &'static str {
        match self {
            From::Asyncapi => "AsyncAPI",
            From::NodeRed => "Node-RED",
            From::N8n => "n8n",
            From::Make => "Make",
            From::Eventcatalog => "EventCatalog",
        }
    }
}

/// The arguments of `wireplan import`.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct ImportArgs {
    /// A document, or a folder of them (imported into one spec).
    pub(crate) path: PathBuf,
    /// The format; detected from the content when not given.
    #[arg(long, value_enum)]
    pub(crate) from: Option<From>,
    /// Write `wireplan.kdl` into this folder (never over an existing spec);
    /// without it the spec is printed on standard output.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

/// A place in one of the import's source files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) file: usize,
    pub(crate) range: Range,
}

/// A file the import read: its path, its name to show, its text.
#[derive(Debug)]
pub(crate) struct Source {
    pub(crate) path: PathBuf,
    pub(crate) name: String,
    pub(crate) text: String,
}

/// A system of the imported spec.
#[derive(Debug, Clone)]
pub(crate) struct System {
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    /// The `api` style, when the source says it, and its version.
    pub(crate) api: Option<&'static str>,
    pub(crate) api_version: Option<String>,
    pub(crate) origin: Origin,
    /// What the source says nothing of, one comment each.
    pub(crate) unknown: Vec<&'static str>,
}

/// A field of an imported event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) ty: &'static str,
    pub(crate) required: bool,
    pub(crate) origin: Origin,
}

/// An event of the imported spec.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) name: String,
    pub(crate) from: String,
    pub(crate) version: Option<String>,
    pub(crate) fields: Vec<Field>,
    pub(crate) origin: Origin,
    pub(crate) unknown: Vec<&'static str>,
    /// What the source says that the language has no place for, as comments
    /// (an EventCatalog command or query).
    pub(crate) notes: Vec<String>,
}

/// What starts an imported flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Trigger {
    On(String),
    Poll { system: String, entity: Option<String>, every: String },
    Schedule { every: Option<String>, cron: Option<String>, from: String },
}

/// One `to` of an imported flow.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) system: String,
    pub(crate) action: &'static str,
    pub(crate) entity: Option<String>,
    pub(crate) origin: Origin,
}

/// A `retry` the source states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Retry {
    pub(crate) attempts: u32,
    pub(crate) initial: Option<String>,
}

/// A flow of the imported spec.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    pub(crate) name: String,
    pub(crate) trigger: Trigger,
    pub(crate) via: Option<String>,
    pub(crate) targets: Vec<Target>,
    pub(crate) retry: Option<Retry>,
    pub(crate) dead_letter: bool,
    pub(crate) origin: Origin,
    pub(crate) unknown: Vec<&'static str>,
}

/// What an import found, and what it made of it.
#[derive(Debug, Default)]
pub(crate) struct Import {
    pub(crate) sources: Vec<Source>,
    pub(crate) systems: Vec<System>,
    pub(crate) events: Vec<Event>,
    pub(crate) flows: Vec<Flow>,
    /// What was mapped, one line each.
    pub(crate) mapped: Vec<String>,
    /// What was left out, and why.
    pub(crate) skipped: Vec<String>,
    /// Problems with the source, at their places: the import goes on
    /// without what they concern.
    pub(crate) problems: Vec<(Origin, tree::Problem)>,
    system_names: rustc_hash::FxHashSet<String>,
    event_names: rustc_hash::FxHashSet<String>,
}

impl Import {
    /// Adds a system unless one of that name exists.
    pub(crate) fn add_system(&mut self, system: System) {
        if self.system_names.insert(system.name.clone()) {
            self.systems.push(system);
        }
    }

    /// An event a hub's trigger receives, whose payload the source does not
    /// describe (`why`, for the "unknown in the source" comment).
    pub(crate) fn add_opaque_event(&mut self, name: &str, from: &str, origin: Origin, why: &'static str) {
        self.add_event(Event {
            name: name.to_owned(),
            from: from.to_owned(),
            version: None,
            fields: Vec::new(),
            origin,
            unknown: vec![why],
            notes: Vec::new(),
        });
    }

    /// The system an HTTP request writes to: named by its URL's host, or
    /// after the node (`label`) where the host is made at run time (a
    /// template or an expression).
    pub(crate) fn add_http_system(&mut self, url: &str, label: &str, origin: Origin) -> String {
        let host = url.split("://").nth(1).unwrap_or(url).split(['/', '?', ':']).next().unwrap_or("");
        let templated = host.is_empty() || host.contains("{{") || host.contains("${") || host.starts_with('=');
        let name = if templated { format!("http target of {label}") } else { host.to_owned() };
        self.add_system(System {
            name: name.clone(),
            kind: "custom",
            api: Some("rest"),
            api_version: None,
            origin,
            unknown: Vec::new(),
        });
        name
    }

    /// Adds an event unless one of that name exists.
    pub(crate) fn add_event(&mut self, event: Event) {
        if self.event_names.insert(event.name.clone()) {
            self.events.push(event);
        }
    }

    pub(crate) fn problem(&mut self, file: usize, range: Range, message: String, help: &str) {
        self.problems.push((Origin { file, range }, tree::Problem { range, message, help: help.into() }));
    }
}

/// What a transport protocol, as AsyncAPI and EventCatalog name them
/// (lower case), means for a flow: whether a broker carries it, and the
/// system's `api` style where the language has one.
pub(super) fn transport(protocol: &str) -> (bool, Option<&'static str>) {
    let api = match protocol {
        "amqp" | "amqps" => Some("amqp"),
        "kafka" | "kafka-secure" => Some("kafka"),
        "mqtt" | "secure-mqtt" | "mqtt5" => Some("mqtt"),
        "nats" => Some("nats"),
        "sqs" | "sns" => Some("sqs"),
        "ws" | "wss" | "websocket" => Some("websocket"),
        _ => None,
    };
    let brokered = api.is_some()
        || matches!(
            protocol,
            "jms"
                | "solace"
                | "pulsar"
                | "redis"
                | "stomp"
                | "ibmmq"
                | "googlepubsub"
                | "anypointmq"
                | "eventbridge"
                | "azure-service-bus"
                | "azure-event-hubs"
                | "azure-eventgrid"
                | "kinesis"
                | "tibco-ftl"
                | "tibco-rv"
        );
    (brokered, api)
}

/// The system an automation tool's app or node names (`hubspot`,
/// `googleSheets`, `quickbooks`): the connector catalog's id when the
/// catalog knows it, with a kind for the well-known ones; otherwise the
/// name in kebab case, `kind=custom`. The flag says whether the catalog
/// knew it.
pub(crate) fn app_system(app: &str) -> (String, &'static str, bool) {
    let mut kebab = String::new();
    for (i, c) in app.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !kebab.ends_with('-') {
            kebab.push('-');
        }
        kebab.push(if c == '_' || c == ' ' { '-' } else { c.to_ascii_lowercase() });
    }
    let catalog = crate::catalog::builtin().ok();
    let bare = kebab.trim_end_matches("crm").trim_end_matches('-').to_owned();
    let known = [kebab.clone(), format!("{kebab}-online"), bare]
        .into_iter()
        .find(|id| catalog.is_some_and(|c| c.get(id).is_some()));
    let id = known.clone().unwrap_or(kebab);
    let kind = match id.as_str() {
        "hubspot" | "salesforce" | "pipedrive" => "crm",
        "mailchimp" | "klaviyo" | "sendgrid" => "email",
        "shopify" | "square" | "shipstation" => "ecommerce",
        "stripe" | "paypal" => "payments",
        "quickbooks-online" | "xero" => "accounting",
        "netsuite" => "erp",
        "freshdesk" | "intercom" | "zendesk" => "support",
        "typeform" | "calendly" => "marketing",
        "bigquery" | "snowflake" => "warehouse",
        _ => "custom",
    };
    (id, kind, known.is_some())
}

/// The write a verb names (`createContact`, `upsert`, `addRow`), or `None`
/// for a read (`get`, `search`, `watch`, `list`).
pub(crate) fn write_action(verb: &str) -> Option<&'static str> {
    let v = verb.to_ascii_lowercase();
    // Make names many actions `ActionUpdateRecords`, `ActionSendData`.
    let v = v.strip_prefix("action").unwrap_or(&v).to_owned();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| v.starts_with(p));
    if v.contains("createorupdate") || starts(&["upsert"]) {
        Some("upsert")
    } else if starts(&["create", "insert", "new", "make"]) {
        Some("create")
    } else if starts(&["update", "edit", "patch", "set"]) {
        Some("update")
    } else if starts(&["delete", "remove", "archive"]) {
        Some("delete")
    } else if starts(&["append", "add", "push", "log"]) {
        Some("append")
    } else if starts(&["increment", "decrement"]) {
        Some("increment")
    } else if starts(&["get", "list", "search", "find", "watch", "read", "download", "retrieve", "fetch", "lookup"]) {
        None
    } else {
        Some("send")
    }
}

/// Reads the source files of an import: `path` itself, or the documents in
/// the folder `path` (sorted by name, not recursing), with their kind.
fn read_sources(path: &Path, from: Option<From>) -> Result<(PathBuf, Vec<PathBuf>, From), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", shown(path)))?;
    if meta.is_dir() && (from == Some(From::Eventcatalog) || (from.is_none() && is_catalog(path))) {
        return Ok((path.to_path_buf(), Vec::new(), From::Eventcatalog));
    }
    let (root, files) = if meta.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", shown(path)))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && is_document(p))
            .collect();
        files.sort();
        (path.to_path_buf(), files)
    } else {
        (path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf), vec![path.to_path_buf()])
    };
    if files.is_empty() {
        return Err(format!("{}: no .yaml, .yml or .json document to import", shown(path)));
    }
    let from = match from {
        Some(from) => from,
        None => detect(&files),
    };
    Ok((root, files, from))
}

/// Whether the folder `path` looks like an EventCatalog: it has
/// `services/`, `events/` or `domains/`.
fn is_catalog(path: &Path) -> bool {
    ["services", "events", "domains", "commands"].iter().any(|d| path.join(d).is_dir())
}

/// Whether `path` names a YAML or JSON document.
pub(crate) fn is_document(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}

/// Whether `path` is a YAML or JSON document that says it is AsyncAPI: an
/// `asyncapi` key at the top of its first 4 KiB.
pub(crate) fn is_asyncapi_document(path: &Path) -> bool {
    use std::io::Read;
    if !is_document(path) || !path.is_file() {
        return false;
    }
    let mut bytes = Vec::new();
    let Ok(file) = std::fs::File::open(path) else { return false };
    if file.take(4096).read_to_end(&mut bytes).is_err() {
        return false;
    }
    let head = String::from_utf8_lossy(&bytes);
    head.lines().any(|line| {
        let line = line.trim_start_matches('\u{feff}');
        line.starts_with("asyncapi:")
            || line.starts_with("'asyncapi':")
            || line.starts_with("\"asyncapi\":")
            || line.trim_start().trim_start_matches('{').trim_start().starts_with("\"asyncapi\"")
    })
}

/// The kind of the documents, from the start of the first one: a JSON array
/// (or an object with `flows`) is Node-RED's, an object with `nodes` n8n's,
/// one with a `flow` of `module`s Make's; anything else is read as
/// AsyncAPI, whose reader reports a document that is not one.
fn detect(files: &[PathBuf]) -> From {
    let head = files.first().and_then(|f| {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(f).ok()?.take(4096).read_to_end(&mut bytes).ok()?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Some(text)
    });
    let head = head.unwrap_or_default();
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    let json = trimmed.starts_with('{');
    if trimmed.starts_with('[') || (json && trimmed.contains("\"flows\"") && !trimmed.contains("\"asyncapi\"")) {
        From::NodeRed
    } else if json && trimmed.contains("\"nodes\"") && !trimmed.contains("\"asyncapi\"") {
        From::N8n
    } else if json && trimmed.contains("\"flow\"") && trimmed.contains("\"module\"") {
        From::Make
    } else {
        From::Asyncapi
    }
}

fn shown(path: &Path) -> String {
    crate::escape::one_line(&path.display().to_string()).into_owned()
}

/// Reads a source file as text by the loader's rules (a regular UTF-8 file
/// of bounded size), without a byte-order mark.
pub(crate) fn read(path: &Path) -> Result<String, String> {
    match crate::load::read_text(path) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text)),
        Err(e) => Err(e.message),
    }
}

/// Reads each of `files` as a JSON or YAML document, adds it to the
/// sources, and hands its tree to `each` (which returns how many flows it
/// found); a file that cannot be read or parsed is a problem at its place,
/// with `help`. Returns the flows found in all.
pub(crate) fn read_documents(
    import: &mut Import,
    files: &[PathBuf],
    cwd: &Path,
    help: &str,
    mut each: impl FnMut(&mut Import, usize, &tree::Tree) -> usize,
) -> usize {
    let mut flows = 0;
    for path in files {
        let name = display(path, cwd);
        let text = match read(path) {
            Ok(text) => text,
            Err(e) => {
                import.sources.push(Source { path: path.clone(), name, text: String::new() });
                import.problem(import.sources.len() - 1, Range::default(), e, help);
                continue;
            }
        };
        import.sources.push(Source { path: path.clone(), name, text });
        let file = import.sources.len() - 1;
        match tree::parse(&import.sources[file].text) {
            Ok(tree) => flows += each(import, file, &tree),
            Err(p) => import.problems.push((Origin { file, range: p.range }, p)),
        }
    }
    flows
}

/// Runs the reader of `from` on `files`.
fn import(root: &Path, files: &[PathBuf], from: From, cwd: &Path) -> Import {
    let mut import = Import::default();
    match from {
        From::Asyncapi => asyncapi::read(&mut import, root, files, cwd),
        From::NodeRed => node_red::read(&mut import, files, cwd),
        From::N8n => n8n::read(&mut import, files, cwd),
        From::Make => make::read(&mut import, files, cwd),
        From::Eventcatalog => eventcatalog::read(&mut import, root, cwd),
    }
    import
}

/// A source's name as shown: relative to the current folder where it can be.
pub(crate) fn display(path: &Path, cwd: &Path) -> String {
    let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    crate::source::display_name(&full, &cwd)
}

/// Credentials written in the sources (a password in a server URL, a token
/// in an example): found line by line with the checks `lower` uses, each
/// with its place. `check` reports them, and every output masks them.
fn credentials(import: &Import) -> Vec<(Origin, crate::model::Credential, String)> {
    let mut found = Vec::new();
    for (file, source) in import.sources.iter().enumerate() {
        let mut start = 0;
        for line in source.text.split_inclusive('\n') {
            let mut from = 0;
            while from < line.len() {
                let Some(rest) = line.get(from..) else { break };
                let Some(hit) = crate::secrets::check(rest) else { break };
                let (at, end) = (start + from, start + line.len());
                let range = Range { start: (at + hit.at.start) as u32, end: (at + hit.at.end) as u32 };
                let credential = crate::model::Credential {
                    value: rest.trim_end().to_owned(),
                    core: hit.at.clone(),
                    loc: Loc::new(FileId(file as u32), Span::new(at, end)),
                };
                found.push((Origin { file, range }, credential, hit.what));
                from += hit.at.end.max(1);
            }
            start += line.len();
        }
    }
    found
}

/// A redactor for the credentials in the sources of `import`.
fn redactor(import: &Import, found: &[(Origin, crate::model::Credential, String)]) -> crate::redact::Redactor {
    let mut sources = SourceMap::default();
    for source in &import.sources {
        sources.add(SourceFile::new(source.path.clone(), source.name.clone(), source.text.clone()));
    }
    let credentials: Vec<crate::model::Credential> = found.iter().map(|f| f.1.clone()).collect();
    crate::redact::Redactor::new(&sources, &credentials)
}

/// `wireplan import`.
pub(crate) fn run(out: &Out, args: &ImportArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let (root, files, from) = match read_sources(&cwd.join(&args.path), args.from) {
        Ok(found) => found,
        Err(message) => {
            out.eprintln(format_args!("error: {message}"));
            return ExitCode::from(2);
        }
    };
    let import = import(&root, &files, from, &cwd);
    out.learn(&redactor(&import, &credentials(&import)));
    let written = spec::write(&import, from.name());
    let text = crate::fmt::format_text(&written.text).unwrap_or(written.text);
    let mut report = String::new();
    for (origin, problem) in &import.problems {
        let source = &import.sources[origin.file];
        let file = SourceFile::new(source.path.clone(), source.name.clone(), source.text.clone());
        let at = file.position(origin.range.start);
        report.push_str(&format!(
            "error: {}:{}:{}: {}\n  help: {}\n",
            source.name,
            at.line,
            at.column,
            crate::escape::one_line(&problem.message),
            crate::escape::one_line(&problem.help)
        ));
    }
    for line in &import.mapped {
        report.push_str(&format!("mapped: {}\n", crate::escape::one_line(line)));
    }
    for line in &import.skipped {
        report.push_str(&format!("skipped: {}\n", crate::escape::one_line(line)));
    }
    report.push_str(&format!(
        "imported {} system(s), {} event(s) and {} flow(s) from {} {} document(s); {} thing(s) the source does not say are marked `unknown in the source`\n",
        import.systems.len(),
        import.events.len(),
        import.flows.len(),
        import.sources.len(),
        from.name(),
        text.matches(spec::UNKNOWN).count()
    ));
    let code = match &args.out {
        Some(dir) => {
            let target = cwd.join(dir).join(crate::load::ENTRY_FILE);
            // An existing spec is never replaced: the import is a start,
            // and what a user wrote since is theirs.
            if target.exists() {
                out.eprint(&report);
                out.eprintln(format_args!(
                    "error: {} exists; import into an empty folder, or remove it first",
                    shown(&target)
                ));
                return ExitCode::from(2);
            }
            if let Err(e) = std::fs::create_dir_all(cwd.join(dir)) {
                out.eprintln(format_args!("error: {}: {e}", shown(dir)));
                return ExitCode::from(2);
            }
            let writer = crate::write::Writer::new(import.sources.iter().map(|s| s.path.as_path()));
            if let Err(e) = out.write_file(&writer, &target, &text) {
                out.eprintln(format_args!("error: {e}"));
                return ExitCode::from(2);
            }
            report.push_str(&format!("wrote {}\n", shown(&target)));
            ExitCode::SUCCESS
        }
        None => match out.print(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(2),
        },
    };
    out.eprint(&report);
    if import.problems.is_empty() { code } else { ExitCode::from(1) }
}

/// `wireplan check` on documents that are not specs: `Some` when `path` is
/// a YAML or JSON document, or a folder of them without a `wireplan.kdl`;
/// `None` when it is a spec (the caller checks it as usual).
pub(crate) fn check_path(
    path: Option<&Path>,
    cwd: &Path,
    levels: &CliLevels,
) -> Option<Result<crate::Checked, LoadError>> {
    let full = cwd.join(path?);
    let is_source = if full.is_dir() {
        !full.join(crate::load::ENTRY_FILE).exists()
            && (is_catalog(&full)
                || std::fs::read_dir(&full).ok()?.flatten().any(|e| e.path().is_file() && is_document(&e.path())))
    } else {
        full.is_file() && is_document(&full)
    };
    if !is_source {
        return None;
    }
    Some(match read_sources(&full, None) {
        Ok((root, files, from)) => Ok(check_import(import(&root, &files, from, cwd), from, cwd, levels)),
        Err(_) => Err(LoadError::NotFound(full)),
    })
}

/// Checks an import: its spec text through the whole pipeline, then every
/// finding moved to the source place the spec text came from.
pub(crate) fn check_import(import: Import, from: From, cwd: &Path, levels: &CliLevels) -> crate::Checked {
    let written = spec::write(&import, from.name());
    let generated = import
        .sources
        .first()
        .map_or_else(|| cwd.join("imported.wireplan.kdl"), |s| s.path.with_extension("wireplan-import.kdl"));
    let mut overrides = crate::load::Overrides::default();
    overrides.insert(generated.clone(), written.text.clone());
    let loaded = crate::load::load_with(&generated, cwd, overrides, crate::parse_and_lower).unwrap_or_default();
    let mut checked = crate::check_loaded(loaded, levels);
    let mut sources = SourceMap::default();
    for source in &import.sources {
        sources.add(SourceFile::new(source.path.clone(), source.name.clone(), source.text.clone()));
    }
    let mut diagnostics: Vec<Diagnostic> = import
        .problems
        .iter()
        .map(|(origin, problem)| {
            let loc = Loc::new(
                FileId(origin.file as u32),
                Span::new(problem.range.start as usize, problem.range.end as usize),
            );
            let rule = if problem.message.contains("$ref") {
                &crate::diagnostic::INCLUDE_ERROR
            } else if problem.message.contains("YAML")
                || problem.message.contains("MiB")
                || problem.message.contains("nests")
            {
                &crate::diagnostic::SYNTAX
            } else {
                &crate::diagnostic::BAD_VALUE
            };
            Diagnostic::new(rule, loc, problem.message.clone())
                .with_label("in the imported document")
                .with_help(problem.help.clone())
        })
        .collect();
    let found = credentials(&import);
    checked.redactor.merge(&redactor(&import, &found));
    for (origin, _, what) in &found {
        let loc =
            Loc::new(FileId(origin.file as u32), Span::new(origin.range.start as usize, origin.range.end as usize));
        diagnostics.push(
            Diagnostic::new(
                &crate::diagnostic::SECRET_LITERAL,
                loc,
                format!("this value looks like a credential: {what}"),
            )
            .with_label("possible credential")
            .with_help(
                "keep credentials out of the document: use a server variable or a security scheme, and rotate \
                     this one, since it may already be in version control",
            ),
        );
    }
    let fallback = Origin { file: 0, range: Range::default() };
    let map = |loc: &mut Loc| {
        let origin = written.origin_of(loc.span.start, loc.span.end).unwrap_or(fallback);
        *loc = Loc::new(FileId(origin.file as u32), Span::new(origin.range.start as usize, origin.range.end as usize));
    };
    for mut d in std::mem::take(&mut checked.diagnostics) {
        map(&mut d.primary.loc);
        for label in &mut d.secondary {
            map(&mut label.loc);
        }
        for member in &mut d.members {
            map(&mut member.loc);
        }
        diagnostics.push(d);
    }
    if import.sources.is_empty() {
        sources.add(SourceFile::new(generated.clone(), display(&generated, cwd), String::new()));
    }
    diagnostics.sort_by(Diagnostic::order);
    checked.diagnostics = diagnostics;
    checked.sources = sources;
    checked
}

#[cfg(test)]
mod tests;
