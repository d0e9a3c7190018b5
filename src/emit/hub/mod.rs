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

mod flows;
mod readme;

use std::collections::BTreeMap;

use crate::emit::distinct::{Case, Claims};
use crate::emit::env::Env;
use crate::emit::nodered::model::Hub;
use crate::emit::nodered::{self, FLOWS_PATH, SETTINGS_PATH};
use crate::emit::{Artifact, Emitted, Input};
use crate::model::{Name, Spec};

pub(crate) const README_PATH: &str = "README.md";

/// Emits the hub's files for `input`.
pub(crate) fn emit(input: &Input<'_>) -> Emitted {
    let spec = input.spec;
    let mut emitted = Emitted::default();
    let mut claims = Claims::default();
    let mut env = Env::new(spec);
    let hub = nodered::plan(spec, &mut emitted, "a hub", &mut claims, &mut env);
    claim_node_ids(spec, &hub, &mut claims);
    let env = env.finish(&mut claims, &mut emitted);
    emitted.diagnostics.extend(claims.check());
    emitted.notes.sort();
    emitted.notes.dedup();
    let flows = flows::render(&hub);
    emitted.artifacts.push(Artifact { path: FLOWS_PATH.into(), bytes: flows.into_bytes() });
    let settings = nodered::settings("hub", env.keys().map(String::as_str), false);
    emitted.artifacts.push(Artifact { path: SETTINGS_PATH.into(), bytes: settings.into_bytes() });
    let stack = spec.stack.as_ref().and_then(|s| s.name.as_ref()).map(|n| n.value.to_string());
    let readme = readme::render(&hub, &env, stack.as_deref(), &emitted.notes);
    emitted.artifacts.push(Artifact { path: README_PATH.into(), bytes: readme.into_bytes() });
    emitted
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
}
