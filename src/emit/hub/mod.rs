//! The hub backend: Node-RED 4.1 flows for every flow triggered by an event
//! or a poll (the role Zapier or Make plays), with a headless `settings.js`
//! and a README generated from the spec.
//!
//! It works in two steps, on the Node-RED kit (`emit::nodered`), which the
//! broker's connectors share. The kit's `plan` reads the spec into a `Hub`:
//! the webhook endpoints, one per event that triggers a flow (URL slug, how
//! the producer proves itself), and per flow its trigger and targets with
//! every name and default decided (environment variables, method and path,
//! retry timing), noting each default it used. `flows::render` then lays
//! the `Hub` out as Node-RED nodes, a tab per flow. Spec names reach the
//! output only as JSON strings written by serde: node labels, and the
//! per-message configuration a `change` node puts into `msg._wp`. The
//! JSONata expressions and the one `function` node (the webhook check,
//! `verify.js`) are the kit's fixed text that no name reaches, so a name
//! cannot change what a flow does.
//!
//! Besides the flows, the hub decides two things of its own: the
//! `POST /replay/<flow>` path of each flow with `dead-letter` (`replay_paths`,
//! a URL slug of the flow's name) and the optional variable that protects
//! them (`REPLAY_TOKEN`), which, unlike the flows' variables, Node-RED starts
//! without: replay is then refused.
//!
//! The README's command runs it; `emit::service` adds a systemd unit, a
//! `Containerfile` and their environment file that run the same command
//! supervised.

mod flows;
mod readme;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::emit::distinct::{Case, Claims};
use crate::emit::env::Env;
use crate::emit::names;
use crate::emit::nodered::model::Hub;
use crate::emit::nodered::model::HubTrigger;
use crate::emit::nodered::throttle::throttle_tab_id;
use crate::emit::nodered::{self, FLOWS_PATH, SETTINGS_PATH};
use crate::emit::service::{self, Install, Service};
use crate::emit::{Artifact, Emitted, Input};
use crate::model::{Name, Spec};

pub(crate) const README_PATH: &str = "README.md";

/// The bearer token `POST /replay/<flow>` wants; optional.
pub(super) const REPLAY_TOKEN: &str = "WIREPLAN_REPLAY_TOKEN";

/// How the README runs Node-RED, from the output folder, and so the unit
/// and the container: Node-RED itself, not `npx`, so that stopping this
/// one process stops Node-RED; no `--port`, which would override `PORT`.
pub(super) const COMMAND: &[&str] =
    &["node", "node_modules/node-red/red.js", "--settings", "node-red/settings.js", "--userDir", "node-red"];

/// Emits the hub's files for `input`.
pub(crate) fn emit(input: &Input<'_>) -> Emitted {
    let spec = input.spec;
    let mut emitted = Emitted::default();
    let mut claims = Claims::default();
    let mut env = Env::new(spec);
    let hub = nodered::plan(spec, &mut emitted, "a hub", &mut claims, &mut env);
    let replay = replay_paths(spec, &hub, &mut claims);
    if replay.iter().any(Option::is_some) {
        let what = "the bearer token `POST /replay/<flow>` wants (optional: unset, every replay is refused)";
        env.claim(None, REPLAY_TOKEN.into(), what.into());
    }
    claim_node_ids(spec, &hub, &mut claims);
    let mut env = env.finish(&mut claims, &mut emitted);
    // Node-RED starts without it: replay is then refused.
    let replay_token = env.remove(REPLAY_TOKEN);
    emitted.diagnostics.extend(claims.check());
    emitted.notes.sort();
    emitted.notes.dedup();
    // The loop guard's memory is the global context's `memory` store.
    let memory = hub.flows.iter().any(|f| f.guard.is_some());
    let settings = nodered::settings("hub", env.keys().map(String::as_str), memory);
    emitted.artifacts.push(Artifact::new(SETTINGS_PATH, settings));
    let stack = spec.stack.as_ref().and_then(|s| s.name.as_ref()).map(|n| n.value.to_string());
    let supervised = supervised(&hub, &env, replay_token.is_some(), &mut emitted.artifacts);
    // The README (a row per flow and per replay route: 50 MB at 100,000
    // flows) is made when it is written and dropped once it is, rather than
    // held beside the plan while `flows.json` is written.
    let (hub, replay) = (Arc::new(hub), Arc::new(replay));
    let (readme_hub, readme_replay, notes) = (Arc::clone(&hub), Arc::clone(&replay), emitted.notes.clone());
    emitted.artifacts.push(Artifact::streamed(README_PATH, move |out| {
        let (token, stack) = (replay_token.as_deref(), stack.as_deref());
        out.write_all(readme::render(&readme_hub, &env, token, &readme_replay, stack, &supervised, &notes).as_bytes())
    }));
    // `flows.json` is many times the spec's size: it is written straight
    // into the file (and the hash) from the `Hub`, never held whole.
    emitted.artifacts.push(Artifact::streamed(FLOWS_PATH, move |out| flows::render(&hub, &replay, out)));
    emitted
}

/// The systemd unit, the `Containerfile` and their environment file, added
/// to `artifacts`; returns the README's section about them.
fn supervised(hub: &Hub, env: &BTreeMap<String, String>, replay: bool, artifacts: &mut Vec<Artifact>) -> String {
    let mut optional = Vec::new();
    if replay {
        optional.push(REPLAY_TOKEN.to_owned());
    }
    optional.extend(["WIREPLAN_ADMIN_TOKEN", "WIREPLAN_ADMIN_READ_TOKEN"].map(str::to_owned));
    let service = Service {
        name: "hub",
        what: "hub",
        target: "hub",
        dir: "",
        command: COMMAND,
        install: Install::NodeRed,
        // `flows.json` is streamed, pushed last: it comes first, as it did.
        files: std::iter::once(FLOWS_PATH.to_owned())
            .chain(artifacts.iter().map(|a| a.path.clone()).filter(|p| p.starts_with("node-red/")))
            .collect(),
        required: env.keys().cloned().collect(),
        optional,
        polls: hub.flows.iter().any(|f| matches!(f.trigger, HubTrigger::Poll(_))),
    };
    artifacts.extend(service::artifacts(&service));
    let mut section = String::new();
    service::readme_section(&service, &mut section);
    section
}

/// `/replay/<slug>` for each flow with `dead-letter` and a target, in the
/// order of `hub.flows`, each claimed for the shared name check.
fn replay_paths(spec: &Spec, hub: &Hub, claims: &mut Claims) -> Vec<Option<String>> {
    let slugs = names::slugs(hub.flows.iter().map(|f| f.name.as_str()));
    let flows: BTreeMap<&str, &Name> = spec.flows.iter().map(|f| (&*f.name.value, &f.name)).collect();
    hub.flows
        .iter()
        .map(|flow| {
            if !flow.dead_letter || flow.targets.is_empty() {
                return None;
            }
            let path = format!("/replay/{}", slugs.get(flow.name.as_str()).cloned().unwrap_or_default());
            if let Some(name) = flows.get(flow.name.as_str()) {
                claims.claim("webhook path", Case::Insensitive, &path, "flow", name);
            }
            Some(path)
        })
        .collect()
}

/// Claims the node ids derived from names (an endpoint's, a flow's tab) for
/// the shared name check.
fn claim_node_ids(spec: &Spec, hub: &Hub, claims: &mut Claims) {
    let events: BTreeMap<&str, &Name> =
        spec.event_ids().map(|id| &spec.event(id).name).map(|n| (&*n.value, n)).collect();
    let flows: BTreeMap<&str, &Name> = spec.flows.iter().map(|f| (&*f.name.value, &f.name)).collect();
    for endpoint in &hub.endpoints {
        if let Some(name) = events.get(endpoint.event.as_str()) {
            claims.claim(
                "Node-RED node id",
                Case::Sensitive,
                &flows::endpoint_id(&endpoint.event, "in"),
                "event",
                name,
            );
        }
    }
    for flow in &hub.flows {
        if let Some(name) = flows.get(flow.name.as_str()) {
            claims.claim("Node-RED node id", Case::Sensitive, &flows::tab_id_of(&flow.name), "flow", name);
        }
    }
    let systems: BTreeMap<&str, &Name> = spec.systems.iter().map(|s| (&*s.name.value, &s.name)).collect();
    for throttle in &hub.throttles {
        if let Some(name) = systems.get(throttle.system.as_str()) {
            claims.claim("Node-RED node id", Case::Sensitive, &throttle_tab_id(&throttle.system), "system", name);
        }
    }
}
