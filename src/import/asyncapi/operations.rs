//! AsyncAPI operations read into flows: 3.x `send`/`receive` and 2.x
//! `publish`/`subscribe` (their meaning inverted), who performs each, and
//! the messages they carry.

use super::*;

/// 3.x: `operations` with `action: send|receive`, naming a channel and
/// (optionally) some of its messages.
pub(super) fn operations_v3(docs: &mut Docs<'_>, state: &mut State, file: usize, app: &str) {
    let tree = docs.tree(file);
    let root = tree.root();
    // Every message of every channel is an event, even one no operation
    // names (a consumer's document may list only what it receives).
    if let Some(channels) = tree.get(root, "channels") {
        let channels: Vec<NodeId> = tree.entries(channels).iter().map(|e| e.2).collect();
        for channel in channels {
            let Some((channel, _)) = docs.resolve(At { file, node: channel }) else { continue };
            for message in channel_messages(docs, channel) {
                message_event(docs, state, message);
            }
        }
    }
    let tree = docs.tree(file);
    let Some(operations) = tree.get(root, "operations") else { return };
    let operations: Vec<(String, Range, NodeId)> = tree.entries(operations).to_vec();
    for (op_name, key_range, node) in operations {
        let Some((op, _)) = docs.resolve(At { file, node }) else { continue };
        let tree = docs.tree(op.file);
        let action = tree.get_str(op.node, "action").unwrap_or("").to_owned();
        let performer = performer(docs, op, app);
        let tree = docs.tree(op.file);
        let listed: Vec<NodeId> = tree.get(op.node, "messages").map(|m| tree.items(m).to_vec()).unwrap_or_default();
        let messages = if listed.is_empty() {
            let Some(channel) = tree.get(op.node, "channel") else {
                let origin = Origin { file, range: key_range };
                docs.problem(
                    origin,
                    format!("the operation `{op_name}` names no `channel`"),
                    "give the operation a `channel: {$ref: '#/channels/NAME'}`",
                );
                continue;
            };
            let Some((channel, _)) = docs.resolve(At { file: op.file, node: channel }) else { continue };
            channel_messages(docs, channel)
        } else {
            listed.into_iter().filter_map(|m| docs.resolve(At { file: op.file, node: m })).collect()
        };
        let origin = Origin { file, range: key_range };
        let action_origin =
            docs.tree(op.file).get(op.node, "action").map_or(origin, |a| docs.origin(At { file: op.file, node: a }));
        match action.as_str() {
            "send" => sends(docs, state, (&performer, origin), &messages, &op_name),
            "receive" => {
                let declared = declared(docs, op);
                receives(docs, state, &performer, &messages, &op_name, origin, action_origin, declared);
            }
            _ => docs.problem(
                action_origin,
                format!("the operation `{op_name}` has no `action` of `send` or `receive`"),
                "set the operation's `action` to `send` or `receive`",
            ),
        }
    }
}

/// The messages of a 3.x channel (its `messages` map), resolved, with the
/// keys they are declared under.
fn channel_messages(docs: &mut Docs<'_>, channel: At) -> Vec<(At, Option<String>)> {
    let tree = docs.tree(channel.file);
    let Some(messages) = tree.get(channel.node, "messages") else { return Vec::new() };
    let entries: Vec<(String, NodeId)> = tree.entries(messages).iter().map(|e| (e.0.clone(), e.2)).collect();
    entries
        .into_iter()
        .filter_map(|(key, node)| docs.resolve(At { file: channel.file, node }).map(|(at, k)| (at, k.or(Some(key)))))
        .collect()
}

/// 2.x: each channel's `publish` (the application receives: others publish
/// to it) and `subscribe` (the application sends: others subscribe to it).
pub(super) fn operations_v2(docs: &mut Docs<'_>, state: &mut State, file: usize, app: &str) {
    let tree = docs.tree(file);
    let Some(channels) = tree.get(tree.root(), "channels") else { return };
    let channels: Vec<(String, Range, NodeId)> = tree.entries(channels).to_vec();
    for (address, _, node) in channels {
        let Some((channel, _)) = docs.resolve(At { file, node }) else { continue };
        for verb in ["subscribe", "publish"] {
            let tree = docs.tree(channel.file);
            let Some(op_node) = tree.get(channel.node, verb) else { continue };
            let op_range = tree.key_range(channel.node, verb).unwrap_or_default();
            let Some((op, _)) = docs.resolve(At { file: channel.file, node: op_node }) else { continue };
            let tree = docs.tree(op.file);
            let op_name =
                tree.get_str(op.node, "operationId").map_or_else(|| format!("{address} {verb}"), str::to_owned);
            let performer = performer(docs, op, app);
            let tree = docs.tree(op.file);
            let Some(message) = tree.get(op.node, "message") else { continue };
            let Some((message, key)) = docs.resolve(At { file: op.file, node: message }) else { continue };
            // `oneOf` lists several messages.
            let tree = docs.tree(message.file);
            let messages: Vec<(At, Option<String>)> = match tree.get(message.node, "oneOf") {
                Some(list) => {
                    let items = tree.items(list).to_vec();
                    items.into_iter().filter_map(|m| docs.resolve(At { file: message.file, node: m })).collect()
                }
                None => vec![(message, key.or_else(|| Some(address.clone())))],
            };
            for m in &messages {
                message_event(docs, state, m.clone());
            }
            let origin = Origin { file: channel.file, range: op_range };
            if verb == "subscribe" {
                sends(docs, state, (&performer, origin), &messages, &op_name);
            } else {
                let declared = declared(docs, op);
                receives(docs, state, &performer, &messages, &op_name, origin, origin, declared);
            }
        }
    }
}

/// A send operation: its `performer` (and where the operation is) produces
/// each of its messages' events.
fn sends(
    docs: &mut Docs<'_>,
    state: &mut State,
    (performer, origin): (&str, Origin),
    messages: &[(At, Option<String>)],
    op_name: &str,
) {
    // The document's application is a system already; another performer
    // (`x-wireplan-system`) becomes one here.
    docs.import.add_system(System {
        name: performer.to_owned(),
        kind: "custom",
        api: None,
        api_version: None,
        origin,
        unknown: Vec::new(),
    });
    for message in messages {
        let index = message_event(docs, state, message.clone());
        match &state.senders[index] {
            None => {
                state.senders[index] = Some(performer.to_owned());
                // The producer's document versions the contract.
                state.events[index].version = state.version.clone();
            }
            Some(sender) if sender != performer => docs.import.skipped.push(format!(
                "the operation `{op_name}`: `{performer}` also sends `{}`, whose producer is already `{sender}` (an event has one producer)",
                state.events[index].name
            )),
            Some(_) => {}
        }
    }
    if !messages.is_empty() {
        docs.import.mapped.push(format!("the operation `{op_name}`: `{performer}` produces what it sends"));
    }
}

/// What a receive operation declares with wireplan's extensions, where one
/// document describes several applications: the flow's name
/// (`x-wireplan-flow`) and its targets (`x-wireplan-targets`, a list of
/// `{system, action, entity}`).
struct Declared {
    flow: Option<String>,
    targets: Vec<(String, &'static str, Option<String>)>,
}

fn declared(docs: &Docs<'_>, op: At) -> Declared {
    let tree = docs.tree(op.file);
    let flow = tree.get_str(op.node, "x-wireplan-flow").map(str::to_owned);
    let targets = tree
        .get(op.node, "x-wireplan-targets")
        .map(|list| {
            tree.items(list)
                .iter()
                .filter_map(|t| {
                    let system = tree.get_str(*t, "system")?.to_owned();
                    let action = match tree.get_str(*t, "action").unwrap_or("send") {
                        "create" => "create",
                        "upsert" => "upsert",
                        "update" => "update",
                        "delete" => "delete",
                        "append" => "append",
                        "increment" => "increment",
                        _ => "send",
                    };
                    Some((system, action, tree.get_str(*t, "entity").map(str::to_owned)))
                })
                .collect()
        })
        .unwrap_or_default();
    Declared { flow, targets }
}

#[allow(clippy::too_many_arguments)] // One call per generation of the format.
fn receives(
    docs: &mut Docs<'_>,
    state: &mut State,
    performer: &str,
    messages: &[(At, Option<String>)],
    op_name: &str,
    origin: Origin,
    target_origin: Origin,
    declared: Declared,
) {
    let targets: Vec<(String, &'static str, Option<String>)> =
        if declared.targets.is_empty() { vec![(performer.to_owned(), "send", None)] } else { declared.targets };
    for (system, _, _) in &targets {
        docs.import.add_system(System {
            name: system.clone(),
            kind: "custom",
            api: None,
            api_version: None,
            origin,
            unknown: Vec::new(),
        });
    }
    let op_name = declared.flow.as_deref().unwrap_or(op_name);
    for message in messages {
        let index = message_event(docs, state, message.clone());
        let event = state.events[index].name.clone();
        let mut name = if messages.len() == 1 { op_name.to_owned() } else { format!("{op_name}.{event}") };
        // Several services' documents may name operations alike.
        if state.flow_names.contains(&name) {
            name = format!("{performer}.{name}");
        }
        state.flow_names.insert(name.clone());
        let to: Vec<&str> = targets.iter().map(|t| t.0.as_str()).collect();
        docs.import.mapped.push(format!("the operation `{op_name}`: a flow from `{event}` to `{}`", to.join("`, `")));
        state.flows.push(Flow {
            name,
            trigger: Trigger::On(event),
            via: state.broker.clone(),
            targets: targets
                .iter()
                .map(|(system, action, entity)| Target {
                    system: system.clone(),
                    action,
                    entity: entity.clone(),
                    origin: target_origin,
                })
                .collect(),
            retry: None,
            dead_letter: false,
            origin,
            unknown: vec![
                "dead-letter",
                "idempotency key (AsyncAPI does not say whether a redelivered message is recognised)",
            ],
        });
    }
}
