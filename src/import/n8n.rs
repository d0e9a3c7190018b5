//! n8n workflows (the JSON n8n's editor exports: `nodes`, `connections`,
//! `settings`) as systems, events and flows.
//!
//! The mapping (the README's "Importing" section says the same to users):
//! n8n itself is the hub system `n8n` (`kind=hub`); every flow runs `via`
//! it. Each trigger node starts a flow: a `Webhook` node is the event
//! `METHOD /path` from a system `webhook caller of /path`; an app's trigger
//! node (`hubspotTrigger`) is the app's event (`hubspot.contact.creation`,
//! from its `event` parameter), or a `poll` of the app when it has
//! `pollTimes` (every minute, hour, day, or every N minutes or hours); a
//! `Schedule Trigger` (or the older `Cron`) is a `schedule`. The app's
//! system is named through the connector catalog where it knows the node
//! (`googleSheets` is `google-sheets`), in kebab case otherwise. Following
//! the `main` connections from a trigger, each app node that writes
//! (`operation` create, update, upsert, delete, append, ...; reads such as
//! `get` are skipped) is a `to` with `entity` from its `resource`, and an
//! `HTTP Request` that is not a GET a `to` the URL's host. A node's
//! `retryOnFail` with `maxTries` and `waitBetweenTries` is the flow's
//! `retry`; the workflow's `settings.errorWorkflow` (failed executions go to
//! another workflow) is its `dead-letter`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::tree::{NodeId, Tree};
use super::{Flow, Import, Origin, Retry, System, Target, Trigger};

const HUB: &str = "n8n";

/// What the source leaves unsaid about every event it triggers on.
const UNKNOWN_PAYLOAD: &str = "fields (a workflow does not describe payloads)";

/// n8n's own nodes that move or shape data but write to no system.
const CORE: &[&str] = &[
    "set",
    "if",
    "switch",
    "merge",
    "code",
    "function",
    "functionItem",
    "noOp",
    "splitInBatches",
    "wait",
    "filter",
    "itemLists",
    "respondToWebhook",
    "stickyNote",
    "dateTime",
    "crypto",
    "html",
    "xml",
    "markdown",
    "aggregate",
    "splitOut",
    "sort",
    "limit",
    "removeDuplicates",
    "summarize",
    "compareDatasets",
    "executeWorkflow",
    "stopAndError",
    "moveBinaryData",
    "convertToFile",
    "extractFromFile",
    "editImage",
    "renameKeys",
];

/// Reads the workflow files `files` into `import`.
pub(crate) fn read(import: &mut Import, files: &[PathBuf], cwd: &Path) {
    super::read_documents(import, files, cwd, "import an n8n workflow as UTF-8 JSON", |import, file, tree| {
        workflow(import, file, tree);
        0
    });
}

fn workflow(import: &mut Import, file: usize, tree: &Tree) {
    let root = tree.root();
    let Some(nodes) = tree.get(root, "nodes").filter(|n| !tree.items(*n).is_empty()) else {
        import.problem(
            file,
            tree.range(root),
            "this is not an n8n workflow: it has no `nodes`".into(),
            "import the workflow JSON n8n exports (Download, or the API's GET /workflows/ID)",
        );
        return;
    };
    let origin = |node: NodeId| Origin { file, range: tree.range(node) };
    let nodes: Vec<NodeId> = tree.items(nodes).to_vec();
    let by_name: HashMap<&str, NodeId> =
        nodes.iter().filter_map(|&n| tree.get_str(n, "name").map(|name| (name, n))).collect();
    let connections = tree.get(root, "connections");
    let next = |name: &str| -> Vec<NodeId> {
        let Some(from) = connections.and_then(|c| tree.get(c, name)) else { return Vec::new() };
        let Some(main) = tree.get(from, "main") else { return Vec::new() };
        tree.items(main)
            .iter()
            .flat_map(|port| tree.items(*port).iter())
            .filter_map(|link| tree.get_str(*link, "node"))
            .filter_map(|n| by_name.get(n).copied())
            .collect()
    };
    let dead_letter =
        tree.get(root, "settings").and_then(|s| tree.get_str(s, "errorWorkflow")).is_some_and(|w| !w.is_empty());
    let workflow_name = tree.get_str(root, "name").unwrap_or("workflow").to_owned();
    import.add_system(System {
        name: HUB.into(),
        kind: "hub",
        api: None,
        api_version: None,
        origin: origin(nodes[0]),
        unknown: vec!["high availability (`ha`)"],
    });
    let mut used: HashSet<String> = import.flows.iter().map(|f| f.name.clone()).collect();
    for &node in &nodes {
        let ty = tree.get_str(node, "type").unwrap_or("");
        let short = ty.rsplit('.').next().unwrap_or(ty);
        let label = tree.get_str(node, "name").unwrap_or(short).to_owned();
        let params = tree.get(node, "parameters");
        let param = |key: &str| params.and_then(|p| tree.get_str(p, key)).map(str::to_owned);
        let trigger = match short {
            "webhook" => {
                let method = param("httpMethod").unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
                let path = param("path").unwrap_or_default();
                let path = if path.starts_with('/') { path } else { format!("/{path}") };
                let caller = format!("webhook caller of {path}");
                import.add_system(System {
                    name: caller.clone(),
                    kind: "custom",
                    api: None,
                    api_version: None,
                    origin: origin(node),
                    unknown: vec!["which system calls this webhook"],
                });
                let event = format!("{method} {path}");
                import.add_opaque_event(&event, &caller, origin(node), UNKNOWN_PAYLOAD);
                Trigger::On(event)
            }
            "scheduleTrigger" | "cron" => {
                let (every, cron) = schedule(tree, params);
                if every.is_none() && cron.is_none() {
                    import.skipped.push(format!("the schedule `{label}`: its rule is not one wireplan reads"));
                    continue;
                }
                Trigger::Schedule { every, cron, from: HUB.into() }
            }
            "manualTrigger" | "executeWorkflowTrigger" | "errorTrigger" | "start" => {
                import.skipped.push(format!("the trigger `{label}`: it runs by hand or from another workflow"));
                continue;
            }
            _ if short.ends_with("Trigger") => {
                let app = short.trim_end_matches("Trigger");
                let (system, kind, known) = super::app_system(app);
                import.add_system(System {
                    name: system.clone(),
                    kind,
                    api: None,
                    api_version: None,
                    origin: origin(node),
                    unknown: Vec::new(),
                });
                if known {
                    import.mapped.push(format!("the node type `{ty}`: the system `{system}` of the connector catalog"));
                }
                match params.and_then(|p| tree.get(p, "pollTimes")) {
                    Some(times) => match poll_every(tree, times) {
                        Some(every) => Trigger::Poll { system, entity: param("resource"), every },
                        None => {
                            import.skipped.push(format!(
                                "the polling trigger `{label}`: its poll times are not one wireplan reads"
                            ));
                            continue;
                        }
                    },
                    None => {
                        let what = param("event")
                            .or_else(|| {
                                params
                                    .and_then(|p| tree.get(p, "events"))
                                    .and_then(|e| tree.items(e).first().and_then(|i| tree.str(*i)).map(str::to_owned))
                            })
                            .unwrap_or_else(|| "trigger".into());
                        let event = format!("{system}.{what}");
                        import.add_opaque_event(&event, &system, origin(node), UNKNOWN_PAYLOAD);
                        Trigger::On(event)
                    }
                }
            }
            _ => continue,
        };
        // The nodes the trigger's connections reach, each once.
        let mut seen: HashSet<NodeId> = HashSet::new();
        let mut stack = next(&label);
        let mut targets = Vec::new();
        let mut retry: Option<Retry> = None;
        let mut unknown = Vec::new();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            if let Some(name) = tree.get_str(n, "name") {
                stack.extend(next(name));
            }
            let Some((target, default_operation)) = target(import, tree, n, file) else { continue };
            if default_operation {
                unknown.push("the operation of a node that names none (n8n's default for the node)");
            }
            if tree.get(n, "retryOnFail").is_some_and(|r| tree.str(r) == Some("true")) {
                let attempts = tree.get_str(n, "maxTries").and_then(|m| m.parse::<u32>().ok()).unwrap_or(3);
                let wait = tree.get_str(n, "waitBetweenTries").and_then(|m| m.parse::<u64>().ok()).unwrap_or(1000);
                if retry.as_ref().is_none_or(|r| r.attempts < attempts) {
                    retry = Some(Retry { attempts, initial: Some(format!("{}s", (wait / 1000).max(1))) });
                }
            }
            targets.push(target);
        }
        if targets.is_empty() {
            import
                .skipped
                .push(format!("the trigger `{label}`: its connections reach no node that writes to a system"));
            continue;
        }
        let mut name = format!("{workflow_name}/{label}");
        let mut k = 2;
        while used.contains(&name) {
            name = format!("{workflow_name}/{label} {k}");
            k += 1;
        }
        used.insert(name.clone());
        if !dead_letter {
            unknown.push("dead-letter (the workflow has no error workflow)");
        }
        import.mapped.push(format!("the trigger `{label}`: the flow `{name}` to {} target(s)", targets.len()));
        import.flows.push(Flow {
            name,
            trigger,
            via: Some(HUB.into()),
            targets,
            retry,
            dead_letter,
            origin: origin(node),
            unknown,
        });
    }
}

/// A Schedule Trigger's first rule: every N seconds, minutes, hours or
/// days, or a cron expression.
fn schedule(tree: &Tree, params: Option<NodeId>) -> (Option<String>, Option<String>) {
    let Some(params) = params else { return (None, None) };
    let rule =
        tree.get(params, "rule").and_then(|r| tree.get(r, "interval")).and_then(|i| tree.items(i).first().copied());
    let Some(rule) = rule else { return (None, None) };
    let field = tree.get_str(rule, "field").unwrap_or("days");
    let count = |key: &str| tree.get_str(rule, key).and_then(|v| v.parse::<u64>().ok()).unwrap_or(1).max(1);
    match field {
        "seconds" => (Some(format!("{}s", count("secondsInterval"))), None),
        "minutes" => (Some(format!("{}m", count("minutesInterval"))), None),
        "hours" => (Some(format!("{}h", count("hoursInterval"))), None),
        "days" => (Some(format!("{}d", count("daysInterval"))), None),
        "cronExpression" => {
            let cron = tree.get_str(rule, "expression").unwrap_or("").to_owned();
            (None, Some(cron).filter(|c| c.split_whitespace().count() == 5))
        }
        _ => (None, None),
    }
}

/// A polling trigger's `pollTimes.item[0]` as a duration.
fn poll_every(tree: &Tree, times: NodeId) -> Option<String> {
    let item = tree.get(times, "item").and_then(|i| tree.items(i).first().copied())?;
    match tree.get_str(item, "mode")? {
        "everyMinute" => Some("1m".into()),
        "everyHour" => Some("1h".into()),
        "everyDay" => Some("1d".into()),
        "everyX" => {
            let value = tree.get_str(item, "value").and_then(|v| v.parse::<u64>().ok())?.max(1);
            let unit = if tree.get_str(item, "unit") == Some("hours") { "h" } else { "m" };
            Some(format!("{value}{unit}"))
        }
        _ => None,
    }
}

/// The `to` a node is, if it writes; and whether its operation was left to
/// n8n's default.
fn target(import: &mut Import, tree: &Tree, node: NodeId, file: usize) -> Option<(Target, bool)> {
    let ty = tree.get_str(node, "type").unwrap_or("");
    let short = ty.rsplit('.').next().unwrap_or(ty);
    let origin = Origin { file, range: tree.range(node) };
    let params = tree.get(node, "parameters");
    let param = |key: &str| params.and_then(|p| tree.get_str(p, key)).map(str::to_owned);
    if CORE.contains(&short) || short.ends_with("Trigger") || short == "webhook" {
        return None;
    }
    if short == "httpRequest" {
        let method = param("method").unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
        let action = match method.as_str() {
            "POST" => "create",
            "PUT" => "upsert",
            "PATCH" => "update",
            "DELETE" => "delete",
            _ => return None,
        };
        let url = param("url").unwrap_or_default();
        let label = tree.get_str(node, "name").unwrap_or("HTTP Request");
        let system = import.add_http_system(&url, label, origin);
        return Some((Target { system, action, entity: None, origin }, false));
    }
    let operation = param("operation");
    let action = super::write_action(operation.as_deref().unwrap_or(""))?;
    let (system, kind, _) = super::app_system(short);
    import.add_system(System { name: system.clone(), kind, api: None, api_version: None, origin, unknown: Vec::new() });
    Some((Target { system, action, entity: param("resource"), origin }, operation.is_none()))
}
