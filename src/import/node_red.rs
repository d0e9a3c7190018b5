//! Node-RED flow files (`flows.json`, as the editor exports it or as the
//! admin API's `GET /flows` returns it, `{"flows": [...], "rev": ...}`) as
//! systems, events and flows.
//!
//! The mapping (the README's "Importing" section says the same to users):
//! Node-RED itself is the hub system (`kind=hub`). Each trigger node starts
//! flows: an `http in` node is a webhook, an event named `METHOD /path` from
//! a system of its own (`webhook caller of /path`, since the flow file does
//! not say who calls it); an `mqtt in` or `amqp in` node is an event named by
//! its topic or queue, from the broker system of its connection (its
//! `mqtt-broker` or `amqp-server` config node); an `inject` node with a
//! repeat or a cron is a `schedule` reading `from` the hub. Following the
//! wires from a trigger, every `http request` node is a target system named
//! by its URL's host (`action` from the method: POST create, PUT upsert,
//! PATCH update, DELETE delete, GET read, anything else `send`), and every `mqtt out`
//! or `amqp out` node a `send` to its broker. Each trigger and the targets it
//! reaches become one flow `via` the hub. A `catch` node on the tab whose
//! wires reach a target is read as a dead-letter output; retries are never
//! recognised from the wiring (a delay loop says nothing of its attempts),
//! so the retry policy is always marked unknown.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use super::tree::{NodeId, Tree};
use super::{Flow, Import, Origin, System, Target, Trigger};

/// What the source leaves unsaid about every event it triggers on.
const UNKNOWN_PAYLOAD: &str = "fields (a flow file does not describe payloads)";

/// The name of the hub system.
const HUB: &str = "node-red";

/// One node of the flow file, as far as the import reads it.
struct Node {
    id: String,
    ty: String,
    tab: String,
    name: String,
    wires: Vec<String>,
    at: NodeId,
}

/// Reads the flow files `files` into `import`.
pub(crate) fn read(import: &mut Import, files: &[PathBuf], cwd: &std::path::Path) {
    let flows_seen =
        super::read_documents(import, files, cwd, "import a Node-RED flows.json as UTF-8 text", file_flows);
    if flows_seen == 0 && import.problems.is_empty() {
        import.skipped.push(
            "no trigger node (`http in`, `mqtt in`, `amqp in`, `inject`) in the flow file: no flow to import".into(),
        );
    }
}

fn file_flows(import: &mut Import, file: usize, tree: &Tree) -> usize {
    let root = tree.root();
    let list = match tree.get(root, "flows") {
        Some(list) => list,
        None => root,
    };
    if tree.items(list).is_empty() {
        import.problem(
            file,
            tree.range(root),
            "this is not a Node-RED flow file: it is not a list of nodes".into(),
            "import the flows.json Node-RED exports (a JSON array of nodes), or pass `--from` for another format",
        );
        return 0;
    }
    let origin = |node: NodeId| Origin { file, range: tree.range(node) };
    let mut nodes = Vec::new();
    for &item in tree.items(list) {
        let text = |key: &str| tree.get_str(item, key).unwrap_or("").to_owned();
        let wires = tree
            .get(item, "wires")
            .map(|w| {
                tree.items(w)
                    .iter()
                    .flat_map(|port| tree.items(*port).iter().filter_map(|i| tree.str(*i)))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        nodes.push(Node { id: text("id"), ty: text("type"), tab: text("z"), name: text("name"), wires, at: item });
    }
    let by_id: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let tabs: BTreeMap<&str, String> = nodes
        .iter()
        .filter(|n| n.ty == "tab")
        .map(|n| (n.id.as_str(), tree.get_str(n.at, "label").unwrap_or(&n.id).to_owned()))
        .collect();
    let first = tree.items(list)[0];
    import.add_system(System {
        name: HUB.into(),
        kind: "hub",
        api: None,
        api_version: None,
        origin: origin(first),
        unknown: vec!["high availability (`ha`)"],
    });
    // The wires as indices, followed once for every trigger and `catch`
    // (`wiring`): which targets each node reaches, and which outputs.
    let next = nodes
        .iter()
        .map(|n| n.wires.iter().filter_map(|w| by_id.get(w.as_str()).map(|&j| j as u32)).collect())
        .collect();
    let wiring = super::wiring::Wiring::new(next);
    let (Ok(targets_reached), Ok(outputs_reached)) =
        (wiring.reach(|i| is_target(&nodes[i].ty)), wiring.reach(|i| is_output(&nodes[i].ty)))
    else {
        import.problem(
            file,
            tree.range(list),
            "the wires of this flow file fan in and out too much to follow within a budget proportional to its size"
                .into(),
            "import the tabs in smaller files (the editor exports a tab at a time), or untangle the wiring",
        );
        return 0;
    };
    let mut made = 0;
    let mut used_names: std::collections::HashSet<String> = import.flows.iter().map(|f| f.name.clone()).collect();
    // The tabs whose `catch` nodes reach an output, each walked once.
    let mut caught: HashMap<&str, bool> = HashMap::new();
    for (c, n) in nodes.iter().enumerate().filter(|(_, n)| n.ty == "catch") {
        let reaches = !outputs_reached.of(c).is_empty();
        *caught.entry(n.tab.as_str()).or_default() |= reaches;
    }
    for (index, node) in nodes.iter().enumerate() {
        let trigger = match node.ty.as_str() {
            "http in" => {
                let method = tree.get_str(node.at, "method").unwrap_or("post").to_ascii_uppercase();
                let url = tree.get_str(node.at, "url").unwrap_or("/").to_owned();
                let system = format!("webhook caller of {url}");
                import.add_system(System {
                    name: system.clone(),
                    kind: "custom",
                    api: None,
                    api_version: None,
                    origin: origin(node.at),
                    unknown: vec!["which system calls this webhook"],
                });
                let event = format!("{method} {url}");
                import.add_opaque_event(&event, &system, origin(node.at), UNKNOWN_PAYLOAD);
                Trigger::On(event)
            }
            "mqtt in" | "amqp in" | "amqp-in" => {
                let broker_id =
                    tree.get_str(node.at, "broker").or_else(|| tree.get_str(node.at, "server")).unwrap_or("");
                let broker = by_id
                    .get(broker_id)
                    .map(|&b| {
                        let n = &nodes[b];
                        let host = tree.get_str(n.at, "broker").or_else(|| tree.get_str(n.at, "host")).unwrap_or("");
                        if n.name.is_empty() {
                            if host.is_empty() { n.id.clone() } else { host.to_owned() }
                        } else {
                            n.name.clone()
                        }
                    })
                    .unwrap_or_else(|| "broker".into());
                let api = if node.ty.starts_with("mqtt") { "mqtt" } else { "amqp" };
                import.add_system(System {
                    name: broker.clone(),
                    kind: "broker",
                    api: Some(api),
                    api_version: None,
                    origin: origin(node.at),
                    unknown: vec!["high availability (`ha`)"],
                });
                let topic = tree
                    .get_str(node.at, "topic")
                    .or_else(|| tree.get_str(node.at, "ioname"))
                    .or_else(|| tree.get_str(node.at, "queue"))
                    .unwrap_or(&node.id)
                    .to_owned();
                import.add_opaque_event(&topic, &broker, origin(node.at), UNKNOWN_PAYLOAD);
                Trigger::On(topic)
            }
            "inject" => {
                let repeat =
                    tree.get_str(node.at, "repeat").filter(|r| !r.is_empty()).and_then(|r| r.parse::<f64>().ok());
                let cron = tree.get_str(node.at, "crontab").filter(|c| !c.is_empty()).map(str::to_owned);
                if repeat.is_none() && cron.is_none() {
                    import
                        .skipped
                        .push(format!("the inject node `{}`: it fires only by hand (no repeat, no cron)", label(node)));
                    continue;
                }
                let every = repeat.map(|r| format!("{}s", r.round().max(1.0) as u64));
                Trigger::Schedule { every, cron: cron.filter(|c| c.split_whitespace().count() == 5), from: HUB.into() }
            }
            _ => continue,
        };
        let mut targets = Vec::new();
        for &j in targets_reached.of(index) {
            if let Some(target) = target(import, tree, &nodes, &by_id, j as usize, file) {
                targets.push(target);
            }
        }
        let tab = tabs.get(node.tab.as_str()).cloned().unwrap_or_else(|| "flow".into());
        if targets.is_empty() {
            import.skipped.push(format!(
                "the trigger `{}` on `{tab}`: its wires reach no `http request`, `mqtt out` or `amqp out` node",
                label(node)
            ));
            continue;
        }
        // A `catch` on the same tab whose wires reach an output: failures go
        // somewhere rather than nowhere.
        let dead_letter = caught.get(node.tab.as_str()).copied().unwrap_or(false);
        let mut name = format!("{tab}/{}", label(node));
        let mut n = 2;
        while used_names.contains(&name) {
            name = format!("{tab}/{} {n}", label(node));
            n += 1;
        }
        used_names.insert(name.clone());
        import.mapped.push(format!(
            "the `{}` node `{}` on `{tab}`: the flow `{name}` to {} target(s)",
            node.ty,
            label(node),
            targets.len()
        ));
        let mut unknown = Vec::new();
        if !dead_letter {
            unknown.push("dead-letter (no `catch` node on the tab leads to an output)");
        }
        import.flows.push(Flow {
            name,
            trigger,
            via: Some(HUB.into()),
            targets,
            retry: None,
            dead_letter,
            origin: origin(node.at),
            unknown,
        });
        made += 1;
    }
    let _ = first;
    made
}

fn label(node: &Node) -> String {
    if node.name.is_empty() { format!("{} {}", node.ty, node.id) } else { node.name.clone() }
}

fn is_output(ty: &str) -> bool {
    is_target(ty) || matches!(ty, "file" | "debug")
}

/// Whether a node of this type is a target (`target` makes one of it).
fn is_target(ty: &str) -> bool {
    matches!(ty, "http request" | "mqtt out" | "amqp out" | "amqp-out")
}

/// The target an output node is, if it is one.
fn target(
    import: &mut Import,
    tree: &Tree,
    nodes: &[Node],
    by_id: &HashMap<&str, usize>,
    index: usize,
    file: usize,
) -> Option<Target> {
    let node = &nodes[index];
    let origin = Origin { file, range: tree.range(node.at) };
    match node.ty.as_str() {
        "http request" => {
            let url = tree.get_str(node.at, "url").unwrap_or("");
            let system = import.add_http_system(url, &label(node), origin);
            let action = match tree.get_str(node.at, "method").unwrap_or("").to_ascii_uppercase().as_str() {
                "POST" => "create",
                "PUT" => "upsert",
                "PATCH" => "update",
                "DELETE" => "delete",
                // (1.2) A GET asks and changes nothing.
                "GET" => "read",
                _ => "send",
            };
            Some(Target { system, action, entity: None, origin })
        }
        "mqtt out" | "amqp out" | "amqp-out" => {
            let broker_id = tree.get_str(node.at, "broker").or_else(|| tree.get_str(node.at, "server")).unwrap_or("");
            let broker = by_id
                .get(broker_id)
                .map(|&b| if nodes[b].name.is_empty() { nodes[b].id.clone() } else { nodes[b].name.clone() })
                .unwrap_or_else(|| "broker".into());
            let api = if node.ty.starts_with("mqtt") { "mqtt" } else { "amqp" };
            import.add_system(System {
                name: broker.clone(),
                kind: "broker",
                api: Some(api),
                api_version: None,
                origin,
                unknown: vec!["high availability (`ha`)"],
            });
            Some(Target { system: broker, action: "send", entity: None, origin })
        }
        _ => None,
    }
}
