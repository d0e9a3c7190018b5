//! AsyncAPI 2.x (2.0 to 2.6) and 3.x (3.0, 3.1) documents as systems, events
//! and flows.
//!
//! The mapping (the README's "Importing" section says the same to users):
//! each document describes one application, named by `info.title`, which
//! becomes a system (`kind=custom`). The document's first server becomes
//! the broker system (`kind=broker`, its `api` from the protocol), named by
//! the server's key, so documents of several services on one broker share
//! it. Each message becomes an event named by its `name` (2.x `messageId`,
//! else the key it is declared under), with fields from its payload schema:
//! nested objects flatten to dotted names, as the broker target nests dotted
//! fields, and types map back the way `build --target broker` maps them
//! (`integer` int, `number` float, `boolean` bool, `string` with format
//! `date`, `date-time`, `email` or `uri` date, datetime, email or url, the
//! broker's decimal pattern money, anything else json). A `send` operation
//! (2.x `subscribe`, whose meaning is inverted: the application publishes)
//! makes its application the event's producer; a `receive` operation (2.x
//! `publish`) becomes a flow `on` the event, `via` the broker, `to` the
//! application with `action=send` (a delivery: AsyncAPI says nothing of
//! what the consumer does with it). An event no document sends comes `from`
//! the broker, with a comment saying its producer is unknown. Operations may
//! name the application that performs them with `x-wireplan-system` where
//! one document describes several (as wireplan's own broker document does).
//!
//! `$ref`s are followed inside the document and into local files under the
//! import root (the folder given, or the file's folder); a `$ref` that
//! cycles, leaves the root, or names what is not there is a problem at the
//! `$ref`, and what it would have given is left out. Remote `$ref`s (http)
//! are not fetched.

use std::path::{Path, PathBuf};

use super::tree::{NodeId, Range, Tree, Value};
use super::{Event, Field, Flow, Import, Origin, Source, System, Target, Trigger};

/// The broker target's pattern for money (`emit/broker/asyncapi.rs`): a
/// decimal amount as a string. The round-trip test holds the two equal.
pub(crate) const MONEY_PATTERN: &str = "^-?[0-9]+(\\.[0-9]+)?$";

/// `$ref` chains longer than this are refused (real ones are short).
mod operations;
use operations::{operations_v2, operations_v3};

const MAX_REF_CHAIN: usize = 64;
/// Fields of one event, and the nesting of a payload, beyond which the rest
/// is left out (and said so).
const MAX_FIELDS: usize = 1000;
const MAX_SCHEMA_DEPTH: usize = 16;

/// The documents read so far: index = the file's index in `Import::sources`.
struct Docs<'a> {
    import: &'a mut Import,
    trees: Vec<Option<Tree>>,
    /// What a file that could not be read holds.
    empty: Tree,
    root: PathBuf,
    cwd: PathBuf,
}

/// A node of a document: which file, which node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct At {
    file: usize,
    node: NodeId,
}

impl Docs<'_> {
    fn tree(&self, file: usize) -> &Tree {
        self.trees.get(file).and_then(Option::as_ref).unwrap_or(&self.empty)
    }

    fn origin(&self, at: At) -> Origin {
        Origin { file: at.file, range: self.tree(at.file).range(at.node) }
    }

    /// Reads the file at `path` (canonical) unless read already.
    fn open(&mut self, path: &Path) -> usize {
        if let Some(i) = self.import.sources.iter().position(|s| s.path == path) {
            return i;
        }
        let name = super::display(path, &self.cwd);
        let (text, error) = match super::read(path) {
            Ok(text) => (text, None),
            Err(e) => (String::new(), Some(e)),
        };
        self.import.sources.push(Source { path: path.to_path_buf(), name, text });
        let file = self.import.sources.len() - 1;
        if let Some(e) = error {
            self.import.problem(file, Range::default(), e, "import YAML or JSON documents, as UTF-8 text");
            self.trees.push(None);
            return file;
        }
        match super::tree::parse(&self.import.sources[file].text) {
            Ok(tree) => self.trees.push(Some(tree)),
            Err(p) => {
                self.import.problems.push((Origin { file, range: p.range }, p));
                self.trees.push(None);
            }
        }
        file
    }

    fn problem(&mut self, origin: Origin, message: String, help: &str) {
        self.import.problem(origin.file, origin.range, message, help);
    }

    /// Follows `$ref`s from `at` to what they name, with the key it is
    /// declared under (the last part of the last pointer). A bad `$ref` is
    /// a problem at it, and `None`.
    fn resolve(&mut self, mut at: At) -> Option<(At, Option<String>)> {
        let mut seen: Vec<At> = Vec::new();
        let mut key = None;
        loop {
            let tree = self.tree(at.file);
            let Some(reference) = tree.get(at.node, "$ref") else { return Some((at, key)) };
            let ref_origin = self.origin(At { file: at.file, node: reference });
            let Some(text) = tree.str(reference).map(str::to_owned) else {
                self.problem(
                    ref_origin,
                    "this `$ref` is not a string".into(),
                    "write the `$ref` as a string such as `#/components/messages/name`",
                );
                return None;
            };
            if seen.contains(&at) || seen.len() >= MAX_REF_CHAIN {
                self.problem(
                    ref_origin,
                    format!("this `$ref` ({text}) leads back to itself: a `$ref` cycle"),
                    "point the `$ref` at the definition itself, not at another `$ref` that leads back here",
                );
                return None;
            }
            seen.push(at);
            let (file_part, pointer) = text.split_once('#').unwrap_or((text.as_str(), ""));
            let file = if file_part.is_empty() {
                at.file
            } else {
                if file_part.contains("://") {
                    self.problem(
                        ref_origin,
                        format!("this `$ref` ({text}) names a remote document; wireplan does not fetch documents"),
                        "download the document into the import folder and point the `$ref` at the local copy",
                    );
                    return None;
                }
                let base = self.import.sources[at.file].path.parent().map(Path::to_path_buf).unwrap_or_default();
                let target = base.join(file_part);
                let canonical = match std::fs::canonicalize(&target) {
                    Ok(c) => c,
                    Err(e) => {
                        self.problem(
                            ref_origin,
                            format!("this `$ref` ({text}) names a file that cannot be read: {e}"),
                            "correct the path of the `$ref`",
                        );
                        return None;
                    }
                };
                if !canonical.starts_with(&self.root) {
                    self.problem(
                        ref_origin,
                        format!(
                            "this `$ref` ({text}) leaves the import root {}",
                            super::display(&self.root, &self.cwd)
                        ),
                        "keep referenced documents inside the folder you import, or import a folder that holds them",
                    );
                    return None;
                }
                self.open(&canonical)
            };
            let tree = self.tree(file);
            if tree.nodes.is_empty() {
                return None;
            }
            let mut node = tree.root();
            for part in pointer.split('/').skip(1) {
                let part = part.replace("~1", "/").replace("~0", "~");
                let next = match &tree.node(node).value {
                    Value::Map(_) => tree.get(node, &part),
                    Value::Seq(items) => part.parse::<usize>().ok().and_then(|i| items.get(i).copied()),
                    _ => None,
                };
                let Some(next) = next else {
                    self.problem(
                        ref_origin,
                        format!("this `$ref` ({text}) names `{part}`, which is not in the document"),
                        "correct the `$ref`'s path (a JSON pointer such as `#/components/messages/name`)",
                    );
                    return None;
                };
                node = next;
                key = Some(part);
            }
            at = At { file, node };
        }
    }
}

/// Reads the AsyncAPI documents `files` (under `root`) into `import`.
pub(crate) fn read(import: &mut Import, root: &Path, files: &[PathBuf], cwd: &Path) {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut docs = Docs { import, trees: Vec::new(), empty: Tree::default(), root, cwd: cwd.to_path_buf() };
    let mut state = State::default();
    for path in files {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let file = docs.open(&canonical);
        if docs.tree(file).nodes.is_empty() {
            continue;
        }
        document(&mut docs, &mut state, file);
    }
    finish(docs, state);
}

/// The fields of the JSON Schema file at `path` (under `root`), for a
/// reader of another format (EventCatalog keeps a message's schema beside
/// it); `$ref`s in it are followed as in AsyncAPI documents.
pub(crate) fn schema_fields(import: &mut Import, root: &Path, path: &Path, cwd: &Path, event: &str) -> Vec<Field> {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let trees = (0..import.sources.len()).map(|_| None).collect();
    let mut docs = Docs { import, trees, empty: Tree::default(), root, cwd: cwd.to_path_buf() };
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if !canonical.starts_with(&docs.root) {
        return Vec::new();
    }
    let file = docs.open(&canonical);
    let mut fields = Vec::new();
    if docs.tree(file).nodes.is_empty() {
        return fields;
    }
    let node = docs.tree(file).root();
    if let Some((schema, _)) = docs.resolve(At { file, node }) {
        flatten(&mut docs, schema, "", true, &mut fields, &mut Vec::new(), event);
    }
    fields
}

/// What the documents said, gathered before the spec is made.
#[derive(Default)]
struct State {
    /// Events in order of first mention, and by name.
    events: Vec<Event>,
    event_index: rustc_hash::FxHashMap<String, usize>,
    flow_names: rustc_hash::FxHashSet<String>,
    /// Who sends each event (by index in `events`).
    senders: Vec<Option<String>>,
    flows: Vec<Flow>,
    broker: Option<String>,
    /// The `info.version` of the document being read: the version of the
    /// contract its messages are part of.
    version: Option<String>,
}

impl State {
    fn event(&mut self, event: Event) -> usize {
        if let Some(&i) = self.event_index.get(&event.name) {
            if self.events[i].fields.is_empty() {
                self.events[i].fields = event.fields;
            }
            return i;
        }
        self.event_index.insert(event.name.clone(), self.events.len());
        self.events.push(event);
        self.senders.push(None);
        self.events.len() - 1
    }
}

/// The application a document describes, and its version's generation.
fn document(docs: &mut Docs<'_>, state: &mut State, file: usize) {
    let tree = docs.tree(file);
    let root = tree.root();
    if !tree.is_map(root) {
        let origin = docs.origin(At { file, node: root });
        docs.problem(
            origin,
            "this is not an AsyncAPI document: it is not a mapping".into(),
            "an AsyncAPI document is a mapping with an `asyncapi` version",
        );
        return;
    }
    let Some(version_node) = tree.get(root, "asyncapi") else {
        let origin = docs.origin(At { file, node: root });
        docs.problem(
            origin,
            "this is not an AsyncAPI document: it has no `asyncapi` version".into(),
            "import AsyncAPI 2.x or 3.x documents (or pass `--from` for another format)",
        );
        return;
    };
    let version = tree.str(version_node).unwrap_or("").to_owned();
    let generation = match version.split('.').collect::<Vec<_>>().as_slice() {
        ["2", minor, _] if minor.parse::<u32>().is_ok_and(|m| m <= 6) => 2,
        ["3", minor, _] if minor.parse::<u32>().is_ok_and(|m| m <= 1) => 3,
        _ => 0,
    };
    if generation == 0 {
        let origin = docs.origin(At { file, node: version_node });
        docs.problem(
            origin,
            format!("AsyncAPI version `{}` is not one wireplan reads", crate::escape::one_line(&version)),
            "wireplan imports AsyncAPI 2.0.0 to 2.6.0, 3.0.0 and 3.1.0",
        );
        return;
    }
    let title_node = tree.get(root, "info").and_then(|info| tree.get(info, "title"));
    let app = title_node.and_then(|t| tree.str(t)).map(str::to_owned);
    let app_origin = match title_node {
        Some(t) => docs.origin(At { file, node: t }),
        None => docs.origin(At { file, node: root }),
    };
    let app = match app {
        Some(app) if !app.trim().is_empty() => app,
        _ => {
            let stem = docs.import.sources[file].path.file_stem().map(|s| s.to_string_lossy().into_owned());
            docs.import.skipped.push(format!(
                "{}: no `info.title`; the application is named after the file",
                docs.import.sources[file].name
            ));
            stem.unwrap_or_else(|| "application".into())
        }
    };
    state.version = tree_version(docs.tree(file));
    // A document whose every operation names who performs it (wireplan's
    // own, one document for several applications) has no application of
    // its own to import.
    if generation != 3 || !every_operation_names_its_systems(docs.tree(file)) {
        docs.import.add_system(System {
            name: app.clone(),
            kind: "custom",
            api: None,
            api_version: None,
            origin: app_origin,
            unknown: Vec::new(),
        });
        docs.import.mapped.push(format!("{}: the application `{app}` as a system", docs.import.sources[file].name));
    }
    servers(docs, state, file, generation);
    if generation == 3 {
        operations_v3(docs, state, file, &app);
    } else {
        operations_v2(docs, state, file, &app);
    }
}

/// Whether every 3.x operation says which systems perform it: a `send` its
/// `x-wireplan-system`, a `receive` its `x-wireplan-targets`. (An operation
/// reached by `$ref` is not followed: the document then keeps its
/// application.)
fn every_operation_names_its_systems(tree: &Tree) -> bool {
    let Some(operations) = tree.get(tree.root(), "operations") else { return false };
    let entries = tree.entries(operations);
    !entries.is_empty()
        && entries.iter().all(|(_, _, op)| match tree.get_str(*op, "action") {
            Some("send") => tree.get_str(*op, "x-wireplan-system").is_some(),
            Some("receive") => tree.get(*op, "x-wireplan-targets").is_some_and(|t| !tree.items(t).is_empty()),
            _ => false,
        })
}

/// A document's `info.version`.
fn tree_version(tree: &Tree) -> Option<String> {
    let info = tree.get(tree.root(), "info")?;
    tree.get_str(info, "version").filter(|v| !v.trim().is_empty()).map(str::to_owned)
}

/// The document's first server as the broker system.
fn servers(docs: &mut Docs<'_>, state: &mut State, file: usize, generation: u8) {
    let tree = docs.tree(file);
    let Some(servers) = tree.get(tree.root(), "servers") else { return };
    let entries: Vec<(String, Range, NodeId)> = tree.entries(servers).to_vec();
    for (index, (name, key_range, node)) in entries.into_iter().enumerate() {
        let Some((server, _)) = docs.resolve(At { file, node }) else { continue };
        let tree = docs.tree(server.file);
        let protocol = tree.get_str(server.node, "protocol").unwrap_or("").to_ascii_lowercase();
        let (brokered, api) = super::transport(&protocol);
        let where_ = docs.import.sources[file].name.clone();
        if index > 0 {
            docs.import.skipped.push(format!(
                "{where_}: the server `{name}`: only a document's first server becomes the broker (others are usually other environments of it)"
            ));
            continue;
        }
        if !brokered {
            docs.import.skipped.push(format!(
                "{where_}: the server `{name}` speaks `{protocol}`, not a broker's protocol: its flows are point to point"
            ));
            continue;
        }
        let _ = generation;
        docs.import.add_system(System {
            name: name.clone(),
            kind: "broker",
            api,
            api_version: tree.get_str(server.node, "protocolVersion").map(str::to_owned),
            origin: Origin { file, range: key_range },
            unknown: vec!["high availability (`ha`)"],
        });
        docs.import.mapped.push(format!("{where_}: the server `{name}` ({protocol}) as the broker system"));
        if state.broker.is_none() {
            state.broker = Some(name);
        }
    }
}

/// The application named on an operation with `x-wireplan-system`, or the
/// document's.
fn performer(docs: &Docs<'_>, op: At, app: &str) -> String {
    docs.tree(op.file).get_str(op.node, "x-wireplan-system").map_or_else(|| app.to_owned(), str::to_owned)
}

/// The event a message is (made once per name), and its index.
fn message_event(docs: &mut Docs<'_>, state: &mut State, (message, key): (At, Option<String>)) -> usize {
    let tree = docs.tree(message.file);
    let name_node = tree.get(message.node, "name").or_else(|| tree.get(message.node, "messageId"));
    let name = name_node.and_then(|n| tree.str(n)).map(str::to_owned).or(key).unwrap_or_else(|| "message".into());
    if let Some(&i) = state.event_index.get(&name) {
        return i;
    }
    let origin = match name_node {
        Some(n) => docs.origin(At { file: message.file, node: n }),
        None => docs.origin(message),
    };
    let mut fields = Vec::new();
    if let Some(payload) = tree.get(message.node, "payload")
        && let Some((mut schema, _)) = docs.resolve(At { file: message.file, node: payload })
    {
        // A 3.x multi-format schema: `{schemaFormat, schema}`.
        let tree = docs.tree(schema.file);
        if let Some(inner) = tree.get(schema.node, "schema").filter(|_| tree.get(schema.node, "schemaFormat").is_some())
        {
            let format = tree.get_str(schema.node, "schemaFormat").unwrap_or("").to_owned();
            if format.contains("json") || format.contains("asyncapi") {
                match docs.resolve(At { file: schema.file, node: inner }) {
                    Some((s, _)) => schema = s,
                    None => return state.event(event(name, origin, fields, state.version.clone())),
                }
            } else {
                docs.import.skipped.push(format!(
                    "the payload of `{name}`: schema format `{format}` is not read; the event has no fields"
                ));
                return state.event(event(name, origin, fields, state.version.clone()));
            }
        }
        let mut stack = Vec::new();
        flatten(docs, schema, "", true, &mut fields, &mut stack, &name);
    }
    let version = state.version.clone();
    state.event(event(name, origin, fields, version))
}

fn event(name: String, origin: Origin, fields: Vec<Field>, version: Option<String>) -> Event {
    Event { name, from: String::new(), version, fields, origin, unknown: Vec::new(), notes: Vec::new() }
}

/// The fields of an object schema, nested objects as dotted names.
/// `required` is whether this object is itself required (all the way up).
fn flatten(
    docs: &mut Docs<'_>,
    schema: At,
    prefix: &str,
    required: bool,
    fields: &mut Vec<Field>,
    stack: &mut Vec<At>,
    event: &str,
) {
    if stack.contains(&schema) {
        let origin = docs.origin(schema);
        docs.problem(
            origin,
            format!("the payload of `{event}` refers back to itself (a recursive schema, a `$ref` cycle)"),
            "wireplan maps payloads to fields and cannot map a recursive one: give the recursive part `type: object` without properties",
        );
        return;
    }
    if stack.len() >= MAX_SCHEMA_DEPTH {
        docs.import.skipped.push(format!(
            "the payload of `{event}` nests deeper than {MAX_SCHEMA_DEPTH} objects; the deeper fields are left out"
        ));
        return;
    }
    stack.push(schema);
    let tree = docs.tree(schema.file);
    let required_names: Vec<String> = tree
        .get(schema.node, "required")
        .map(|r| tree.items(r).iter().filter_map(|i| tree.str(*i)).map(str::to_owned).collect())
        .unwrap_or_default();
    let properties: Vec<(String, Range, NodeId)> =
        tree.get(schema.node, "properties").map(|p| tree.entries(p).to_vec()).unwrap_or_default();
    for (name, key_range, node) in properties {
        if fields.len() >= MAX_FIELDS {
            docs.import
                .skipped
                .push(format!("the payload of `{event}` has more than {MAX_FIELDS} fields; the rest are left out"));
            break;
        }
        let full = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        let is_required = required && required_names.contains(&name);
        let Some((property, _)) = docs.resolve(At { file: schema.file, node }) else { continue };
        let tree = docs.tree(property.file);
        let has_properties = tree.get(property.node, "properties").is_some_and(|p| !tree.entries(p).is_empty());
        if has_properties {
            flatten(docs, property, &full, is_required, fields, stack, event);
            continue;
        }
        let ty = field_type(tree, property.node);
        fields.push(Field {
            name: full,
            ty,
            required: is_required,
            origin: Origin { file: schema.file, range: key_range },
        });
    }
    stack.pop();
}

/// The wireplan type of a JSON schema (the inverse of the broker target's).
fn field_type(tree: &Tree, schema: NodeId) -> &'static str {
    let ty = tree.get(schema, "type").and_then(|t| match &tree.node(t).value {
        Value::Seq(items) => items.iter().filter_map(|i| tree.str(*i)).find(|s| *s != "null"),
        _ => tree.str(t),
    });
    let format = tree.get_str(schema, "format").unwrap_or("");
    match ty {
        Some("integer") => "int",
        Some("number") => "float",
        Some("boolean") => "bool",
        Some("string") => match format {
            "date" => "date",
            "date-time" => "datetime",
            "email" | "idn-email" => "email",
            "uri" | "url" | "iri" => "url",
            _ if tree.get_str(schema, "pattern") == Some(MONEY_PATTERN) => "money",
            _ => "string",
        },
        _ => "json",
    }
}

/// Producers for events no document sends, and the model into `import`.
fn finish(docs: Docs<'_>, mut state: State) {
    let Docs { import, .. } = docs;
    for (event, sender) in state.events.iter_mut().zip(&state.senders) {
        match sender {
            Some(sender) => event.from = sender.clone(),
            None => {
                let from = match &state.broker {
                    Some(broker) => broker.clone(),
                    None => {
                        let name = "unknown producer".to_owned();
                        import.add_system(System {
                            name: name.clone(),
                            kind: "custom",
                            api: None,
                            api_version: None,
                            origin: event.origin,
                            unknown: vec!["what this system is: no imported document sends its events"],
                        });
                        name
                    }
                };
                event.from = from;
                event.unknown.push("producer (no imported document sends this message)");
                import.skipped.push(format!(
                    "the producer of `{}`: no imported document sends it; it comes `from` `{}` until you name it",
                    event.name, event.from
                ));
            }
        }
        event.unknown.push("key (the field that identifies the record)");
    }
    import.mapped.push(format!("{} message(s) as events with their payload fields", state.events.len()));
    import.events = state.events;
    import.flows = state.flows;
}
