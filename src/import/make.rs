//! Make scenario blueprints (the JSON Make's editor exports and its API
//! returns: `name`, `flow`, `metadata`) as systems, events and flows.
//!
//! The mapping (the README's "Importing" section says the same to users):
//! Make itself is the hub system `make` (`kind=hub`); a scenario is one flow
//! `via` it. Its first module is the trigger: a custom webhook
//! (`gateway:CustomWebHook`) is the event `webhook HOOK` from a system
//! `webhook caller of hook HOOK`; an app's instant trigger (the scenario's
//! `metadata.instant` is true) is the app's event (`shopify.watchOrders`);
//! any other app trigger is a `poll` of the app, whose interval the
//! blueprint does not hold (Make keeps the schedule apart): it is written as
//! Make's default of 15 minutes and marked unknown. Every later module, in
//! routers' routes too, that writes (`createContact`, `updateRow`,
//! `addRow`, ...; reads such as `getRecord`, `search` and `watch` are
//! skipped) is a `to` the module's app, named through the connector catalog
//! where it knows it; an `http` module that is not a GET is a `to` the URL's
//! host. A module's error handler `builtin:Break` (retry, with its `count`
//! and `interval` in minutes) is the flow's `retry`; the scenario's
//! `metadata.scenario.dlq` (store incomplete executions) its `dead-letter`.

use std::path::{Path, PathBuf};

use super::tree::{NodeId, Tree};
use super::{Flow, Import, Origin, Retry, System, Target, Trigger};

const HUB: &str = "make";

/// What the source leaves unsaid about every event it triggers on.
const UNKNOWN_PAYLOAD: &str = "fields (a blueprint does not describe payloads)";

/// Modules of Make itself that write to no system.
const BUILTIN: &[&str] =
    &["builtin", "util", "regexp", "json", "xml", "csv", "markdown", "gateway", "flow-control", "datastore"];

/// Reads the blueprint files `files` into `import`.
pub(crate) fn read(import: &mut Import, files: &[PathBuf], cwd: &Path) {
    super::read_documents(import, files, cwd, "import a Make blueprint as UTF-8 JSON", |import, file, tree| {
        scenario(import, file, tree);
        0
    });
}

fn scenario(import: &mut Import, file: usize, tree: &Tree) {
    let root = tree.root();
    // The API wraps the blueprint: `{"response": {"blueprint": {...}}}`.
    let root = tree.get(root, "response").and_then(|r| tree.get(r, "blueprint")).unwrap_or(root);
    let Some(flow) = tree.get(root, "flow").filter(|f| !tree.items(*f).is_empty()) else {
        import.problem(
            file,
            tree.range(root),
            "this is not a Make blueprint: it has no `flow` of modules".into(),
            "import the blueprint Make exports (Export Blueprint in the scenario editor)",
        );
        return;
    };
    let origin = |node: NodeId| Origin { file, range: tree.range(node) };
    let modules = tree.items(flow);
    let first = modules[0];
    let name = tree.get_str(root, "name").unwrap_or("scenario").to_owned();
    let metadata = tree.get(root, "metadata");
    let instant = metadata.and_then(|m| tree.get_str(m, "instant")) == Some("true");
    let dead_letter = metadata
        .and_then(|m| tree.get(m, "scenario"))
        .and_then(|s| tree.get_str(s, "dlq"))
        .is_some_and(|d| d == "true");
    import.add_system(System {
        name: HUB.into(),
        kind: "hub",
        api: None,
        api_version: None,
        origin: origin(first),
        unknown: vec!["high availability (`ha`)"],
    });
    let module = tree.get_str(first, "module").unwrap_or("").to_owned();
    let (app, verb) = module.split_once(':').unwrap_or((module.as_str(), ""));
    let mut unknown = Vec::new();
    let trigger = if module.starts_with("gateway:Custom") {
        let hook = tree.get(first, "parameters").and_then(|p| tree.get_str(p, "hook")).unwrap_or("?").to_owned();
        let caller = format!("webhook caller of hook {hook}");
        import.add_system(System {
            name: caller.clone(),
            kind: "custom",
            api: None,
            api_version: None,
            origin: origin(first),
            unknown: vec!["which system calls this webhook"],
        });
        let event = format!("webhook {hook}");
        import.add_opaque_event(&event, &caller, origin(first), UNKNOWN_PAYLOAD);
        Trigger::On(event)
    } else if BUILTIN.contains(&app) || app.is_empty() {
        import.skipped.push(format!("the scenario `{name}`: its first module `{module}` is no trigger wireplan reads"));
        return;
    } else {
        let (system, kind, _) = super::app_system(app);
        import.add_system(System {
            name: system.clone(),
            kind,
            api: None,
            api_version: None,
            origin: origin(first),
            unknown: Vec::new(),
        });
        if instant {
            let event = format!("{system}.{verb}");
            import.add_opaque_event(&event, &system, origin(first), UNKNOWN_PAYLOAD);
            Trigger::On(event)
        } else {
            unknown.push("poll interval (a blueprint does not hold the schedule; 15m is Make's default)");
            Trigger::Poll { system, entity: None, every: "15m".into() }
        }
    };
    // Every later module, routers' routes included, with an explicit stack.
    let mut stack: Vec<NodeId> = modules[1..].iter().rev().copied().collect();
    let mut targets = Vec::new();
    let mut retry: Option<Retry> = None;
    while let Some(m) = stack.pop() {
        if let Some(routes) = tree.get(m, "routes") {
            for route in tree.items(routes).iter().rev() {
                if let Some(flow) = tree.get(*route, "flow") {
                    stack.extend(tree.items(flow).iter().rev().copied());
                }
            }
        }
        if let Some(handlers) = tree.get(m, "onerror") {
            for handler in tree.items(handlers) {
                if tree.get_str(*handler, "module") == Some("builtin:Break") {
                    let params = tree.get(*handler, "parameters");
                    let count =
                        params.and_then(|p| tree.get_str(p, "count")).and_then(|c| c.parse::<u32>().ok()).unwrap_or(3);
                    let minutes = params
                        .and_then(|p| tree.get_str(p, "interval"))
                        .and_then(|c| c.parse::<u64>().ok())
                        .unwrap_or(15);
                    if retry.as_ref().is_none_or(|r| r.attempts < count + 1) {
                        // Break retries `count` times after the first run.
                        retry = Some(Retry { attempts: count + 1, initial: Some(format!("{}m", minutes.max(1))) });
                    }
                }
            }
        }
        if let Some(target) = target(import, tree, m, file) {
            targets.push(target);
        }
    }
    if targets.is_empty() {
        import.skipped.push(format!("the scenario `{name}`: no module writes to a system"));
        return;
    }
    if !dead_letter {
        unknown.push("dead-letter (the scenario does not store incomplete executions)");
    }
    let mut flow_name = name.clone();
    let mut k = 2;
    while import.flows.iter().any(|f| f.name == flow_name) {
        flow_name = format!("{name} {k}");
        k += 1;
    }
    import.mapped.push(format!("the scenario `{name}`: the flow `{flow_name}` to {} target(s)", targets.len()));
    import.flows.push(Flow {
        name: flow_name,
        trigger,
        via: Some(HUB.into()),
        targets,
        retry,
        dead_letter,
        origin: origin(first),
        unknown,
    });
}

/// The `to` a module is, if it writes.
fn target(import: &mut Import, tree: &Tree, module: NodeId, file: usize) -> Option<Target> {
    let name = tree.get_str(module, "module")?;
    let (app, verb) = name.split_once(':')?;
    let origin = Origin { file, range: tree.range(module) };
    if app == "http" {
        let mapper = tree.get(module, "mapper");
        let method = mapper.and_then(|m| tree.get_str(m, "method")).unwrap_or("get").to_ascii_uppercase();
        let action = match method.as_str() {
            "POST" => "create",
            "PUT" => "upsert",
            "PATCH" => "update",
            "DELETE" => "delete",
            _ => return None,
        };
        let url = mapper.and_then(|m| tree.get_str(m, "url")).unwrap_or("");
        let host = url.split("://").nth(1).unwrap_or(url).split(['/', '?', ':']).next().unwrap_or("").to_owned();
        let system =
            if host.is_empty() || host.contains("{{") { format!("http target of module {name}") } else { host };
        import.add_system(System {
            name: system.clone(),
            kind: "custom",
            api: Some("rest"),
            api_version: None,
            origin,
            unknown: Vec::new(),
        });
        return Some(Target { system, action, entity: None, origin });
    }
    if BUILTIN.contains(&app) {
        return None;
    }
    let action = super::write_action(verb)?;
    let (system, kind, _) = super::app_system(app);
    import.add_system(System { name: system.clone(), kind, api: None, api_version: None, origin, unknown: Vec::new() });
    Some(Target { system, action, entity: None, origin })
}
