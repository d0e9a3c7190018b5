//! EventCatalog folders as systems, events and flows.
//!
//! EventCatalog keeps each resource in a folder of its own with an
//! `index.mdx` (or `index.md`) whose YAML frontmatter describes it, under a
//! folder named for its kind: `services/`, `events/`, `commands/`,
//! `queries/`, `domains/`, `channels/`, nested as the catalog likes
//! (`domains/Orders/services/InventoryService/events/...`). The mapping (the
//! README's "Importing" section says the same to users): each service is a
//! system (`kind=custom`); each event, command and query is an event named
//! by its `id`, with its `version`, commands and queries marked so in a
//! comment; a message's fields come from the JSON Schema beside it
//! (`schemaPath` in its frontmatter, or `schema.json`); a service's `sends`
//! makes it the producer, and each of its `receives` is a flow `on` that
//! message `to` the service with `action=send`. A channel (its `protocols`)
//! names the transport: a receive `from` a channel, or of a message its
//! producers send `to` channels of one transport, is a flow `via` that
//! transport's broker system (named by the protocol, `kafka`, with the
//! matching `api`); a channel over HTTP or gRPC, or none, leaves the flow
//! point to point with its transport marked unknown. Domains group services
//! and are not read. The frontmatter is parsed with
//! the YAML reader of `tree` (positions kept), the walk visits real folders
//! only, sorted, at most `MAX_DEPTH` deep.

use std::path::{Path, PathBuf};

use super::tree::{NodeId, Range, Tree};
use super::{Event, Flow, Import, Origin, Source, System, Target, Trigger};

const MAX_DEPTH: usize = 16;

/// One resource's frontmatter, read.
struct Resource {
    kind: String,
    id: String,
    name: String,
    version: Option<String>,
    origin: Origin,
    dir: PathBuf,
    schema: Option<String>,
    sends: Vec<Pointer>,
    receives: Vec<Pointer>,
    /// A channel's transports (`protocols`), lower case.
    protocols: Vec<String>,
}

/// A service's pointer to a message it sends or receives, with the channels
/// it names (`to` for sends, `from` for receives).
struct Pointer {
    id: String,
    origin: Origin,
    channels: Vec<String>,
}

/// Reads the catalog folder `root` into `import`.
pub(crate) fn read(import: &mut Import, root: &Path, cwd: &Path) {
    let mut resources = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut entries: Vec<std::fs::DirEntry> = entries.flatten().collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        let mut subdirs = Vec::new();
        for entry in entries {
            let Ok(ty) = entry.file_type() else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            if ty.is_dir() && depth < MAX_DEPTH && !name.starts_with('.') && name != "node_modules" {
                subdirs.push((entry.path(), depth + 1));
            } else if ty.is_file() && (name == "index.mdx" || name == "index.md") {
                let kind = dir
                    .parent()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if let Some(resource) = resource(import, &entry.path(), &dir, kind, cwd) {
                    resources.push(resource);
                }
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    let services: Vec<&Resource> = resources.iter().filter(|r| r.kind == "services").collect();
    let messages: Vec<&Resource> =
        resources.iter().filter(|r| matches!(r.kind.as_str(), "events" | "commands" | "queries")).collect();
    if services.is_empty() && messages.is_empty() {
        import.skipped.push(
            "no service, event, command or query (`index.mdx` under `services/`, `events/`, ...) in the folder".into(),
        );
        return;
    }
    for r in resources
        .iter()
        .filter(|r| !matches!(r.kind.as_str(), "services" | "events" | "commands" | "queries" | "channels"))
    {
        import.skipped.push(format!(
            "the {} `{}`: only services, events, commands, queries and channels are read",
            r.kind.trim_end_matches('s'),
            r.id
        ));
    }
    let channels = channel_transports(import, &resources);
    for service in &services {
        import.add_system(System {
            name: service.name.clone(),
            kind: "custom",
            api: None,
            api_version: None,
            origin: service.origin,
            unknown: Vec::new(),
        });
        import.mapped.push(format!("the service `{}` as a system", service.name));
    }
    let mut events: Vec<Event> = Vec::new();
    let mut index: rustc_hash::FxHashMap<String, usize> = Default::default();
    for message in &messages {
        if index.contains_key(&message.id) {
            import
                .skipped
                .push(format!("another `{}` (a second version folder): the first one read is kept", message.id));
            continue;
        }
        let schema = match &message.schema {
            Some(path) => Some(message.dir.join(path)),
            None => Some(message.dir.join("schema.json")).filter(|p| p.is_file()),
        };
        let fields = schema
            .map(|path| super::asyncapi::schema_fields(import, root, &path, cwd, &message.id))
            .unwrap_or_default();
        let mut notes = Vec::new();
        match message.kind.as_str() {
            "commands" => notes.push("an EventCatalog command".to_owned()),
            "queries" => notes.push("an EventCatalog query".to_owned()),
            _ => {}
        }
        index.insert(message.id.clone(), events.len());
        events.push(Event {
            name: message.id.clone(),
            from: String::new(),
            version: message.version.clone(),
            fields,
            origin: message.origin,
            unknown: vec!["key (the field that identifies the record)"],
            notes,
        });
    }
    // Per message, the transports its producers send it over (`to`).
    let mut sent_over: rustc_hash::FxHashMap<&str, Vec<Carrier>> = Default::default();
    for service in &services {
        for send in &service.sends {
            let i = *index.entry(send.id.clone()).or_insert_with(|| {
                events.push(undocumented(&send.id, send.origin));
                events.len() - 1
            });
            if events[i].from.is_empty() {
                events[i].from = service.name.clone();
            }
            let over = sent_over.entry(send.id.as_str()).or_default();
            over.extend(send.channels.iter().map(|c| carrier(&channels, c)));
        }
    }
    for service in &services {
        for receive in &service.receives {
            let id = &receive.id;
            if !index.contains_key(id) {
                index.insert(id.clone(), events.len());
                events.push(undocumented(id, receive.origin));
            }
            // The transport: the channels the receive names, else those the
            // producers send the message to; one broker, or none.
            let named: Vec<Carrier> = if receive.channels.is_empty() {
                sent_over.get(id.as_str()).cloned().unwrap_or_default()
            } else {
                receive.channels.iter().map(|c| carrier(&channels, c)).collect()
            };
            let mut brokers: Vec<&str> =
                named.iter().filter_map(|c| if let Carrier::Broker(b) = c { Some(*b) } else { None }).collect();
            brokers.sort_unstable();
            brokers.dedup();
            let all_brokered = named.iter().all(|c| matches!(c, Carrier::Broker(_)));
            let via = match brokers.as_slice() {
                [one] if all_brokered => Some((*one).to_owned()),
                _ => None,
            };
            let name = format!("{} receives {id}", service.name);
            let over = via.as_deref().map(|b| format!(" via `{b}`")).unwrap_or_default();
            import.mapped.push(format!("`{}` receives `{id}`{over}: the flow `{name}`", service.name));
            let mut unknown = Vec::new();
            let direct = !named.is_empty() && named.iter().all(|c| *c == Carrier::Direct);
            if via.is_none() && !direct {
                unknown.push(if named.is_empty() {
                    "transport (no channel names one: the flow is point to point)"
                } else if brokers.len() > 1 {
                    "transport (its channels name several brokers: the flow is point to point)"
                } else {
                    "transport (a channel names no protocol, or is not in the catalog: the flow is point to point)"
                });
            }
            unknown.extend(["dead-letter", "idempotency key"]);
            import.flows.push(Flow {
                name,
                trigger: Trigger::On(id.clone()),
                via,
                targets: vec![Target {
                    system: service.name.clone(),
                    action: "send",
                    entity: None,
                    origin: receive.origin,
                }],
                retry: None,
                dead_letter: false,
                origin: receive.origin,
                unknown,
            });
        }
    }
    for event in &mut events {
        if event.from.is_empty() {
            let producer = "unknown producer".to_owned();
            import.add_system(System {
                name: producer.clone(),
                kind: "custom",
                api: None,
                api_version: None,
                origin: event.origin,
                unknown: vec!["what this system is: no service of the catalog sends its messages"],
            });
            event.from = producer;
            event.unknown.push("producer (no service of the catalog sends it)");
            import.skipped.push(format!("the producer of `{}`: no service of the catalog sends it", event.name));
        }
    }
    import.mapped.push(format!("{} message(s) as events", events.len()));
    for event in events {
        import.add_event(event);
    }
}

/// What carries the messages of a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Carrier {
    /// A broker, the system of that name.
    Broker(&'static str),
    /// A point-to-point protocol (HTTP, gRPC, ...).
    Direct,
    /// The channel names no protocol, or the catalog has no page for it.
    Unknown,
}

fn carrier(channels: &rustc_hash::FxHashMap<&str, Carrier>, id: &str) -> Carrier {
    channels.get(id).copied().unwrap_or(Carrier::Unknown)
}

/// Per channel id, what carries its messages (a broker's system is added
/// to `import`).
fn channel_transports<'r>(import: &mut Import, resources: &'r [Resource]) -> rustc_hash::FxHashMap<&'r str, Carrier> {
    let mut transports = rustc_hash::FxHashMap::default();
    for channel in resources.iter().filter(|r| r.kind == "channels") {
        let broker = channel.protocols.iter().find_map(|p| {
            let (brokered, api) = super::transport(p);
            brokered.then_some((p, api))
        });
        let system = broker.map(|(protocol, api)| {
            // One broker system per transport, named by it.
            let name: &'static str = protocol_name(protocol);
            import.add_system(System {
                name: name.to_owned(),
                kind: "broker",
                api,
                api_version: None,
                origin: channel.origin,
                unknown: vec!["high availability (`ha`)"],
            });
            name
        });
        let carrier = match (system, channel.protocols.first()) {
            (Some(name), _) => {
                import.mapped.push(format!("the channel `{}` on the broker `{name}`", channel.id));
                Carrier::Broker(name)
            }
            (None, Some(protocol)) => {
                import
                    .mapped
                    .push(format!("the channel `{}` (`{protocol}`): its flows are point to point", channel.id));
                Carrier::Direct
            }
            (None, None) => {
                import.skipped.push(format!(
                    "the channel `{}`: no protocol, so its transport is unknown (its flows are point to point)",
                    channel.id
                ));
                Carrier::Unknown
            }
        };
        transports.insert(channel.id.as_str(), carrier);
    }
    transports
}

/// The broker system's name for a protocol EventCatalog lists.
fn protocol_name(protocol: &str) -> &'static str {
    match protocol {
        "amqp" | "amqps" => "amqp",
        "kafka" | "kafka-secure" => "kafka",
        "mqtt" | "secure-mqtt" | "mqtt5" => "mqtt",
        "nats" => "nats",
        "sqs" => "sqs",
        "sns" => "sns",
        "jms" => "jms",
        "solace" => "solace",
        "pulsar" => "pulsar",
        "redis" => "redis",
        "stomp" => "stomp",
        "ibmmq" => "ibmmq",
        "googlepubsub" => "googlepubsub",
        "anypointmq" => "anypointmq",
        "eventbridge" => "eventbridge",
        "azure-service-bus" => "azure-service-bus",
        "azure-event-hubs" => "azure-event-hubs",
        "azure-eventgrid" => "azure-eventgrid",
        "kinesis" => "kinesis",
        "tibco-ftl" => "tibco-ftl",
        "tibco-rv" => "tibco-rv",
        "ws" | "wss" | "websocket" => "websocket",
        _ => "broker",
    }
}

fn undocumented(id: &str, origin: Origin) -> Event {
    Event {
        name: id.to_owned(),
        from: String::new(),
        version: None,
        fields: Vec::new(),
        origin,
        unknown: vec!["fields (the catalog has no page for this message)"],
        notes: Vec::new(),
    }
}

/// Reads one `index.mdx`: its frontmatter, with positions in the file.
fn resource(import: &mut Import, path: &Path, dir: &Path, kind: String, cwd: &Path) -> Option<Resource> {
    let name = super::display(path, cwd);
    let text = match super::read(path) {
        Ok(text) => text,
        Err(e) => {
            import.sources.push(Source { path: path.to_path_buf(), name, text: String::new() });
            import.problem(import.sources.len() - 1, Range::default(), e, "save the page as UTF-8");
            return None;
        }
    };
    import.sources.push(Source { path: path.to_path_buf(), name, text });
    let file = import.sources.len() - 1;
    let text = &import.sources[file].text;
    // The frontmatter: from a first line `---` to the next line `---`.
    if !text.starts_with("---") {
        return None;
    }
    let mut end = None;
    let mut at = text.find('\n')? + 1;
    while at < text.len() {
        let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        if text[at..line_end].trim_end() == "---" {
            end = Some(at);
            break;
        }
        at = line_end;
    }
    let Some(end) = end else {
        import.problem(
            file,
            Range::default(),
            "the frontmatter has no closing `---`".into(),
            "close the frontmatter with a line `---`",
        );
        return None;
    };
    let tree = match super::tree::parse(&text[..end]) {
        Ok(tree) => tree,
        Err(p) => {
            import.problems.push((Origin { file, range: p.range }, p));
            return None;
        }
    };
    let root = tree.root();
    let origin_of = |node: NodeId| Origin { file, range: tree.range(node) };
    let id_node = tree.get(root, "id")?;
    let id = tree.str(id_node)?.to_owned();
    let display = tree.get_str(root, "name").unwrap_or(&id).to_owned();
    let list = |key: &str, via: &str| -> Vec<Pointer> {
        pointers(&tree, root, key, via)
            .into_iter()
            .map(|(id, n, channels)| Pointer { id, origin: origin_of(n), channels })
            .collect()
    };
    let protocols = tree
        .get(root, "protocols")
        .map(|list| {
            tree.items(list).iter().filter_map(|&p| tree.str(p)).map(|p| p.trim().to_ascii_lowercase()).collect()
        })
        .unwrap_or_default();
    Some(Resource {
        kind,
        name: if display.trim().is_empty() { id.clone() } else { display },
        id,
        version: tree.get_str(root, "version").map(str::to_owned),
        origin: origin_of(id_node),
        dir: dir.to_path_buf(),
        schema: tree.get_str(root, "schemaPath").map(str::to_owned),
        sends: list("sends", "to"),
        receives: list("receives", "from"),
        protocols,
    })
}

/// A frontmatter list of pointers: `[{id: X, version: ..., to: [{id: C}]}]`
/// or `[X]`, each with the channel ids under `via` (`to` or `from`).
fn pointers(tree: &Tree, root: NodeId, key: &str, via: &str) -> Vec<(String, NodeId, Vec<String>)> {
    let Some(list) = tree.get(root, key) else { return Vec::new() };
    tree.items(list)
        .iter()
        .filter_map(|&item| {
            let node = tree.get(item, "id").unwrap_or(item);
            let channels = tree
                .get(item, via)
                .map(|list| {
                    tree.items(list)
                        .iter()
                        .filter_map(|&c| tree.str(tree.get(c, "id").unwrap_or(c)).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            tree.str(node).map(|id| (id.to_owned(), node, channels))
        })
        .collect()
}
