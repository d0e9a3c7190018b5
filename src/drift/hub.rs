//! The hub as a deployment source: Node-RED's admin HTTP API against the
//! flows `build --target hub` emits.
//!
//! wireplan's node ids are stable (derived from the spec's names), so each
//! node is an item keyed by its id and compared property by property: a
//! target URL edited in the editor is a `changed` node with the path of the
//! rule that holds it. Tabs are items too, and a tab's nodes have it as
//! their parent, so a deleted tab is one finding. The place in the spec is
//! the flow whose tab holds the node (tabs are labelled with flow names);
//! the shared tab of webhooks and health has the stack's place.
//!
//! The generated `settings.js` turns the admin API off; the README's
//! "drift and deploy" gives the lines that serve it at `/admin` behind a
//! token, which requests carry as a bearer token from `TOKEN_ENV`. `apply` posts a full deployment: the
//! declared nodes, plus every deployed node wireplan does not declare
//! unless `prune` (so it never removes what it did not create).

use std::collections::BTreeMap;

use serde_json::Value;

use super::http::{Client, HttpError};
use super::{Drift, Failure, Item, Source};
use crate::emit::Emitted;
use crate::model::{Loc, Spec};

/// The environment variable that holds the admin API's bearer token.
pub(crate) const TOKEN_ENV: &str = "WIREPLAN_NODE_RED_TOKEN";

/// Where the emitted flows are among the hub target's files.
const FLOWS_PATH: &str = "node-red/flows.json";

/// The declared nodes, from the hub target's emitted flows.
pub(crate) fn declared(spec: &Spec, emitted: &Emitted) -> Result<Vec<Item>, Failure> {
    let flows = emitted
        .artifacts
        .iter()
        .find(|a| a.path == FLOWS_PATH)
        .and_then(|a| serde_json::from_slice::<Value>(&a.bytes()).ok())
        .ok_or_else(|| Failure("the hub target emitted no readable flows".into()))?;
    let mut items = nodes(&flows)?;
    let flows_by_name: BTreeMap<&str, Loc> = spec.flows.iter().map(|f| (f.name.value.as_str(), f.name.loc)).collect();
    let stack = spec.stack.as_ref().map(|s| s.name.as_ref().map_or(s.loc, |n| n.loc));
    let tab_place: BTreeMap<String, Option<Loc>> = items
        .iter()
        .filter(|i| i.kind == "tab")
        .map(|i| (i.name.clone(), i.value["label"].as_str().and_then(|l| flows_by_name.get(l).copied()).or(stack)))
        .collect();
    for item in &mut items {
        let tab =
            if item.kind == "tab" { Some(&item.name) } else { item.value["z"].as_str().map(|_| &item.parents[0].1) };
        item.place = tab.and_then(|t| tab_place.get(t).copied().flatten()).or(stack);
    }
    Ok(items)
}

/// A flows document (an array of nodes) as items.
pub(super) fn nodes(flows: &Value) -> Result<Vec<Item>, Failure> {
    let Some(array) = flows.as_array() else {
        return Err(Failure("the flows are not a JSON array of nodes".into()));
    };
    let mut items = Vec::with_capacity(array.len());
    for node in array {
        let (Some(id), Some(ty)) = (node["id"].as_str(), node["type"].as_str()) else {
            return Err(Failure("a node of the flows has no id or type".into()));
        };
        let kind = if ty == "tab" { "tab" } else { "node" };
        let mut item = Item::new(kind, id, node.clone());
        let label = node["name"].as_str().or_else(|| node["label"].as_str()).filter(|l| !l.is_empty());
        item.title = match label {
            Some(label) => format!("{ty} {label:?}"),
            None => ty.to_owned(),
        };
        if let Some(z) = node["z"].as_str() {
            item.parents.push(("tab", z.to_owned()));
        }
        items.push(item);
    }
    Ok(items)
}

/// A Node-RED reached through its admin API.
pub(crate) struct NodeRed {
    pub(crate) client: Client,
}

impl NodeRed {
    fn failed(&self, e: &HttpError) -> Failure {
        Failure(format!("the Node-RED admin API at {}: {e}", self.location()))
    }

    fn refused(&self, status: u16) -> Failure {
        Failure(match status {
            401 | 403 => {
                format!("the Node-RED admin API at {} refused the token ({status}): check {TOKEN_ENV}", self.location())
            }
            404 => format!(
                "{} has no admin API (404 for /flows): give --url the admin API's root (`/admin`), and serve it \
                 behind a token (the generated settings.js turns it off; the README's \"drift and deploy\" has \
                 the lines)",
                self.location()
            ),
            _ => format!("the Node-RED admin API at {} answered HTTP {status}", self.location()),
        })
    }
}

impl Source for NodeRed {
    fn location(&self) -> String {
        self.client.endpoint.shown()
    }

    fn fetch(&self) -> Result<Vec<Item>, Failure> {
        let response = self
            .client
            .request("GET", "/flows", &[("Node-RED-API-Version", "v1")], None)
            .map_err(|e| self.failed(&e))?;
        if response.status != 200 {
            return Err(self.refused(response.status));
        }
        let flows = response.json().map_err(|e| Failure(format!("{}/flows: {e}", self.location())))?;
        nodes(&flows).map_err(|e| Failure(format!("{}/flows: {e}", self.location())))
    }
}

/// What `apply` deployed.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub(crate) nodes: usize,
    pub(crate) kept: usize,
    pub(crate) removed: usize,
}

/// Deploys the declared nodes (a full deployment), keeping every deployed
/// node wireplan does not declare unless `prune`.
pub(crate) fn apply(node_red: &NodeRed, declared: &[Item], drift: &Drift, prune: bool) -> Result<Applied, Failure> {
    let mut flows: Vec<&Value> = declared.iter().map(|i| &i.value).collect();
    let extras: Vec<&Item> =
        drift.findings.iter().filter(|f| f.change == super::Change::Extra).map(|f| &f.item).collect();
    let mut applied = Applied { nodes: declared.len(), ..Applied::default() };
    if prune {
        applied.removed = extras.len();
    } else {
        applied.kept = extras.len();
        flows.extend(extras.iter().map(|i| &i.value));
    }
    let body = serde_json::to_vec(&flows).unwrap_or_default();
    let response = node_red
        .client
        .request("POST", "/flows", &[("Node-RED-API-Version", "v1"), ("Node-RED-Deployment-Type", "full")], Some(&body))
        .map_err(|e| node_red.failed(&e))?;
    if !(200..300).contains(&response.status) {
        let mut failure = node_red.refused(response.status);
        if let Ok(answer) = response.json()
            && let Some(message) = answer["message"].as_str()
        {
            failure.0.push_str(&format!(": {}", crate::escape::one_line(message)));
        }
        return Err(failure);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::nodes;

    #[test]
    fn nodes_have_their_tab_as_parent_and_a_title() {
        let flows = json!([
            {"id": "t1", "type": "tab", "label": "f"},
            {"id": "n1", "type": "http request", "z": "t1", "name": "send"},
        ]);
        let items = nodes(&flows).unwrap();
        assert_eq!(items[1].parents, [("tab", "t1".to_owned())]);
        assert_eq!(items[1].title, "http request \"send\"");
        assert!(nodes(&json!({"flows": []})).is_err());
        assert!(nodes(&json!([{"type": "tab"}])).is_err());
        assert!(nodes(&json!([1])).is_err());
    }
}
