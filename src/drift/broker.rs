//! The broker as a deployment source: RabbitMQ's management HTTP API
//! against the definitions `build --target broker` emits.
//!
//! Both sides become the same items: the vhost, the connectors' user and
//! its permissions on the vhost, and the vhost's exchanges, queues (type and
//! arguments), bindings and policies, each reduced to what RabbitMQ keeps
//! and wireplan declares. The declared side is `definitions.json` as the
//! emitter wrote it (called in memory); the places in the spec come from
//! the emitted AsyncAPI document, which names the flow of each queue and the
//! system of each exchange. The deployed side is read from
//! `/api/definitions/<vhost>`, `/api/vhosts/<vhost>/permissions` and
//! `/api/users/<user>`, after `/api/whoami` has shown that the URL is a
//! management API and the credentials work.
//!
//! `apply` is `deploy`: it creates what is missing and sets what changed
//! through the same API, in dependency order (vhost, user, permissions,
//! exchanges, queues, bindings, policies). It removes only with `prune`:
//! extra items, and a queue or exchange whose type or arguments changed,
//! which RabbitMQ cannot change in place (deleting a queue drops its
//! messages, so that is never done without being asked).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::http::{Client, HttpError, segment};
use super::{Change, Drift, Failure, Item, Source};
use crate::emit::Emitted;
use crate::model::{Loc, Spec};

/// The kinds, in the order `apply` creates them.
const ORDER: &[&str] = &["vhost", "user", "permission", "exchange", "queue", "binding", "policy"];

/// The environment variables that hold the management API's credentials.
pub(crate) const USER_ENV: &str = "WIREPLAN_RABBITMQ_USER";
pub(crate) const PASSWORD_ENV: &str = "WIREPLAN_RABBITMQ_PASSWORD";

/// What the spec declares on the broker: its vhost and the items.
pub(crate) struct Declared {
    pub(crate) vhost: String,
    pub(crate) items: Vec<Item>,
}

/// The declared items, from the broker target's emitted files.
pub(crate) fn declared(spec: &Spec, emitted: &Emitted) -> Result<Declared, Failure> {
    let file = |path: &str| emitted.artifacts.iter().find(|a| a.path == path).map(|a| a.bytes());
    let definitions = file(crate::emit::broker::DEFINITIONS_PATH)
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .ok_or_else(|| Failure("the broker target emitted no readable definitions".into()))?;
    let vhost = definitions["vhosts"][0]["name"].as_str().unwrap_or_default().to_owned();
    let mut items = vec![Item::new("vhost", vhost.clone(), json!({}))];
    for user in list(&definitions, "users") {
        items.push(Item::new("user", text(user, "name"), json!({"tags": tags(&user["tags"])})));
    }
    for p in list(&definitions, "permissions") {
        items.push(permission(p));
    }
    items.extend(normalize(&definitions, &vhost)?);
    let asyncapi = file(crate::emit::broker::ASYNCAPI_PATH);
    let places = Places::new(spec, asyncapi.as_deref());
    for item in &mut items {
        item.place = places.of(item);
        if item.kind != "vhost" {
            item.parents.push(("vhost", vhost.clone()));
        }
    }
    Ok(Declared { vhost, items })
}

fn list<'v>(doc: &'v Value, key: &str) -> &'v [Value] {
    doc.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// A user's tags, sorted: RabbitMQ gives them as a list or as one
/// comma-separated string, depending on the version.
fn tags(v: &Value) -> Vec<String> {
    let mut tags: Vec<String> = match v {
        Value::Array(a) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Value::String(s) => s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    tags.sort();
    tags
}

fn permission(p: &Value) -> Item {
    Item::new(
        "permission",
        text(p, "user"),
        json!({"configure": p["configure"], "write": p["write"], "read": p["read"]}),
    )
}

/// A binding's name: what makes it one binding.
fn binding_name(b: &Value) -> String {
    format!("{} -> {} {}", text(b, "source"), text(b, "destination"), text(b, "routing_key"))
}

/// Exchanges, queues, bindings and policies of a definitions document (the
/// emitted one, or the one the API exports for a vhost), as items. An item
/// of another vhost is a failure: the API answered for something else.
pub(super) fn normalize(doc: &Value, vhost: &str) -> Result<Vec<Item>, Failure> {
    let mut items = Vec::new();
    for key in ["exchanges", "queues", "bindings", "policies"] {
        for v in list(doc, key) {
            if let Some(other) = v.get("vhost").and_then(Value::as_str).filter(|o| *o != vhost) {
                return Err(Failure(format!(
                    "the management API answered definitions of the vhost {other:?}, not {vhost:?}"
                )));
            }
            let name = text(v, "name");
            let item = match key {
                "exchanges" => Item::new(
                    "exchange",
                    name,
                    json!({"type": v["type"], "durable": v["durable"], "auto_delete": v["auto_delete"],
                           "internal": v.get("internal").cloned().unwrap_or(Value::Bool(false)),
                           "arguments": v.get("arguments").cloned().unwrap_or_else(|| json!({}))}),
                ),
                "queues" => Item::new(
                    "queue",
                    name,
                    json!({"durable": v["durable"], "auto_delete": v["auto_delete"],
                           "arguments": v.get("arguments").cloned().unwrap_or_else(|| json!({}))}),
                ),
                "bindings" => {
                    let mut item = Item::new(
                        "binding",
                        binding_name(v),
                        json!({"source": v["source"], "destination": v["destination"],
                               "destination_type": v["destination_type"], "routing_key": v["routing_key"],
                               "arguments": v.get("arguments").cloned().unwrap_or_else(|| json!({}))}),
                    );
                    let parent = if text(v, "destination_type") == "exchange" { "exchange" } else { "queue" };
                    item.parents = vec![(parent, text(v, "destination")), ("exchange", text(v, "source"))];
                    item
                }
                _ => Item::new(
                    "policy",
                    name,
                    json!({"pattern": v["pattern"], "apply-to": v["apply-to"], "definition": v["definition"],
                           "priority": v["priority"]}),
                ),
            };
            items.push(item);
        }
    }
    Ok(items)
}

/// Where each broker name comes from in the spec, read from the emitted
/// AsyncAPI document (`x-wireplan-flow` on each queue's receive operation,
/// `x-wireplan-system` on each exchange's send operation).
struct Places {
    /// Queue name to the flow's place.
    queues: BTreeMap<String, Loc>,
    /// Exchange name to the system's place.
    exchanges: BTreeMap<String, Loc>,
    stack: Option<Loc>,
}

impl Places {
    fn new(spec: &Spec, asyncapi: Option<&[u8]>) -> Places {
        let flows: BTreeMap<&str, Loc> = spec.flows.iter().map(|f| (f.name.value.as_str(), f.name.loc)).collect();
        let systems: BTreeMap<&str, Loc> = spec.systems.iter().map(|s| (s.name.value.as_str(), s.name.loc)).collect();
        let mut places = Places {
            queues: BTreeMap::new(),
            exchanges: BTreeMap::new(),
            stack: spec.stack.as_ref().map(|s| s.name.as_ref().map_or(s.loc, |n| n.loc)),
        };
        // The document is JSON after one comment line.
        let doc = asyncapi
            .map(|b| String::from_utf8_lossy(b).lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n"))
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .unwrap_or(Value::Null);
        let operations = doc["operations"].as_object().into_iter().flatten();
        for (_, op) in operations {
            let channel = op["channel"]["$ref"].as_str().and_then(|r| r.strip_prefix("#/channels/")).unwrap_or("");
            let amqp = &doc["channels"][channel]["bindings"]["amqp"];
            if let (Some(flow), Some(queue)) = (op["x-wireplan-flow"].as_str(), amqp["queue"]["name"].as_str())
                && let Some(loc) = flows.get(flow)
            {
                places.queues.insert(queue.to_owned(), *loc);
            }
            if let (Some(system), Some(exchange)) =
                (op["x-wireplan-system"].as_str(), amqp["exchange"]["name"].as_str())
                && let Some(loc) = systems.get(system)
            {
                places.exchanges.insert(exchange.to_owned(), *loc);
            }
        }
        places
    }

    /// The place of an item: a queue's flow (also for its dead-letter
    /// exchange and queue, its bindings and its policy), an exchange's
    /// system, the stack for the rest.
    fn of(&self, item: &Item) -> Option<Loc> {
        let queue = |name: &str| {
            let base = name.strip_suffix(".dlq").or_else(|| name.strip_suffix(".dlx")).unwrap_or(name);
            self.queues.get(name).or_else(|| self.queues.get(base)).copied()
        };
        match item.kind {
            "queue" | "policy" => queue(&item.name),
            "exchange" => self.exchanges.get(&item.name).copied().or_else(|| queue(&item.name)),
            "binding" => queue(item.value["destination"].as_str().unwrap_or_default()),
            _ => None,
        }
        .or(self.stack)
    }
}

/// A RabbitMQ reached through its management API.
pub(crate) struct Rabbit {
    pub(crate) client: Client,
    pub(crate) vhost: String,
    /// The users the spec declares (the only ones compared).
    pub(crate) users: Vec<String>,
}

impl Rabbit {
    /// GETs `path` as JSON; `None` for 404.
    fn get(&self, path: &str) -> Result<Option<Value>, Failure> {
        let response = self.client.request("GET", path, &[], None).map_err(|e| self.failed(&e))?;
        match response.status {
            200 => response.json().map(Some).map_err(|e| Failure(format!("{}{path}: {e}", self.location()))),
            404 => Ok(None),
            status => Err(self.refused(status, path)),
        }
    }

    fn failed(&self, e: &HttpError) -> Failure {
        Failure(format!("the RabbitMQ management API at {}: {e}", self.location()))
    }

    fn refused(&self, status: u16, path: &str) -> Failure {
        Failure(match status {
            401 => format!(
                "the RabbitMQ management API at {} refused the credentials (401): check {USER_ENV} and {PASSWORD_ENV}",
                self.location()
            ),
            403 => format!(
                "the RabbitMQ management API at {} refused {path} (403): the user needs the `administrator` tag to \
                 read definitions and permissions",
                self.location()
            ),
            _ => format!("the RabbitMQ management API at {} answered {path} with HTTP {status}", self.location()),
        })
    }

    /// Sends a change; anything but 2xx is a failure.
    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(), Failure> {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        let response = self.client.request(method, path, &[], bytes.as_deref()).map_err(|e| self.failed(&e))?;
        if (200..300).contains(&response.status) {
            return Ok(());
        }
        let reason = response.json().ok().and_then(|v| v["reason"].as_str().map(str::to_owned)).unwrap_or_default();
        let mut failure = self.refused(response.status, path);
        if !reason.is_empty() {
            failure.0.push_str(&format!(": {}", crate::escape::one_line(&reason)));
        }
        Err(failure)
    }

    fn vhost_path(&self) -> String {
        segment(&self.vhost)
    }
}

impl Source for Rabbit {
    fn location(&self) -> String {
        self.client.endpoint.shown()
    }

    fn fetch(&self) -> Result<Vec<Item>, Failure> {
        let whoami = self.get("/api/whoami")?;
        let Some(me) = whoami.as_ref().and_then(|w| w.get("name")).and_then(Value::as_str) else {
            return Err(Failure(format!(
                "{} does not answer as a RabbitMQ management API (no /api/whoami): is the management plugin enabled, \
                 and is this its port (15672 by default)?",
                self.location()
            )));
        };
        let v = self.vhost_path();
        let Some(vhost) = self.get(&format!("/api/vhosts/{v}"))? else {
            return Ok(Vec::new());
        };
        if vhost.get("name").and_then(Value::as_str) != Some(self.vhost.as_str()) {
            return Err(Failure(format!(
                "the management API answered for another vhost than {:?}: {}",
                self.vhost,
                crate::escape::one_line(&vhost["name"].to_string())
            )));
        }
        let mut items = vec![Item::new("vhost", self.vhost.clone(), json!({}))];
        let definitions = self
            .get(&format!("/api/definitions/{v}"))?
            .filter(Value::is_object)
            .ok_or_else(|| Failure(format!("{}: no definitions for the vhost {:?}", self.location(), self.vhost)))?;
        items.extend(normalize(&definitions, &self.vhost)?);
        let permissions = self.get(&format!("/api/vhosts/{v}/permissions"))?.unwrap_or(Value::Null);
        for p in permissions.as_array().into_iter().flatten() {
            if text(p, "vhost") != self.vhost {
                return Err(Failure(format!("the management API answered permissions of another vhost: {p}")));
            }
            // RabbitMQ gives the user who creates a vhost all permissions on
            // it: the management API's own user is not compared.
            if text(p, "user") != me {
                items.push(permission(p));
            }
        }
        for user in &self.users {
            if let Some(u) = self.get(&format!("/api/users/{}", segment(user)))? {
                items.push(Item::new("user", user.clone(), json!({"tags": tags(&u["tags"])})));
            }
        }
        Ok(items)
    }
}

/// What `apply` did and did not do.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub(crate) done: Vec<String>,
    /// Findings left as they are, with why.
    pub(crate) kept: Vec<String>,
}

/// Applies `drift` (and the items its findings carry) to the broker: see
/// the module's doc. `password` sets the connectors' user's password when
/// the user is created. `progress` hears each change as it is made (a
/// large deploy takes minutes). Stops at the first failure, saying what was
/// done.
pub(crate) fn apply(
    rabbit: &Rabbit,
    drift: &Drift,
    prune: bool,
    password: Option<&str>,
    progress: &mut dyn FnMut(&str),
) -> Result<Applied, (Applied, Failure)> {
    let mut applied = Applied::default();
    let rank = |kind: &str| ORDER.iter().position(|k| *k == kind).unwrap_or(ORDER.len());
    // Creations and updates in dependency order; removals after, in reverse.
    let mut upserts: Vec<(&Item, bool)> = Vec::new();
    let mut removals: Vec<&Item> = Vec::new();
    for f in &drift.findings {
        match f.change {
            Change::Missing => {
                upserts.push((&f.item, false));
                upserts.extend(f.with.iter().map(|i| (i, false)));
            }
            Change::Changed => upserts.push((&f.item, true)),
            Change::Extra if prune => removals.push(&f.item),
            Change::Extra => {
                applied.kept.push(format!("{} {}: extra; kept (--prune removes it)", f.item.kind, f.item.name))
            }
        }
    }
    upserts.sort_by_key(|(item, _)| rank(item.kind));
    removals.sort_by_key(|item| std::cmp::Reverse(rank(item.kind)));
    for (item, changed) in upserts {
        let label = format!("{} {}", item.kind, item.name);
        if changed && matches!(item.kind, "queue" | "exchange") {
            if !prune {
                applied.kept.push(format!(
                    "{label}: RabbitMQ cannot change its type or arguments in place; kept (--prune deletes and \
                     recreates it, dropping what it holds)"
                ));
                continue;
            }
            remove(rabbit, item).map_err(|e| (std::mem::take(&mut applied), e))?;
        }
        upsert(rabbit, item, changed, password).map_err(|e| (std::mem::take(&mut applied), e))?;
        let line = format!("{} {label}", if changed { "updated" } else { "created" });
        progress(&line);
        applied.done.push(line);
    }
    for item in removals {
        remove(rabbit, item).map_err(|e| (std::mem::take(&mut applied), e))?;
        let line = format!("removed {} {}", item.kind, item.name);
        progress(&line);
        applied.done.push(line);
    }
    Ok(applied)
}

fn upsert(rabbit: &Rabbit, item: &Item, changed: bool, password: Option<&str>) -> Result<(), Failure> {
    let v = rabbit.vhost_path();
    let name = segment(&item.name);
    let value = &item.value;
    match item.kind {
        "vhost" => rabbit.send("PUT", &format!("/api/vhosts/{v}"), Some(&json!({}))),
        "user" => {
            let tags =
                value["tags"].as_array().map(|t| t.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","));
            let mut body = json!({"tags": tags.unwrap_or_default()});
            if changed {
                // Keep the password it has: send its hash back.
                let current = rabbit.get(&format!("/api/users/{name}"))?.unwrap_or(Value::Null);
                body["password_hash"] = current["password_hash"].clone();
                body["hashing_algorithm"] = current["hashing_algorithm"].clone();
            } else if let Some(password) = password {
                body["password"] = password.into();
            } else {
                body["password_hash"] = "".into();
            }
            rabbit.send("PUT", &format!("/api/users/{name}"), Some(&body))
        }
        "permission" => rabbit.send("PUT", &format!("/api/permissions/{v}/{name}"), Some(value)),
        "exchange" | "queue" => {
            let path = if item.kind == "exchange" { "exchanges" } else { "queues" };
            rabbit.send("PUT", &format!("/api/{path}/{v}/{name}"), Some(value))
        }
        "binding" => {
            let (source, destination) = (text(value, "source"), text(value, "destination"));
            let to = if text(value, "destination_type") == "exchange" { "e" } else { "q" };
            let body = json!({"routing_key": value["routing_key"], "arguments": value["arguments"]});
            rabbit.send(
                "POST",
                &format!("/api/bindings/{v}/e/{}/{to}/{}", segment(&source), segment(&destination)),
                Some(&body),
            )
        }
        "policy" => rabbit.send("PUT", &format!("/api/policies/{v}/{name}"), Some(value)),
        other => Err(Failure(format!("cannot deploy a {other}"))),
    }
}

fn remove(rabbit: &Rabbit, item: &Item) -> Result<(), Failure> {
    let v = rabbit.vhost_path();
    let name = segment(&item.name);
    match item.kind {
        "permission" => rabbit.send("DELETE", &format!("/api/permissions/{v}/{name}"), None),
        "exchange" => rabbit.send("DELETE", &format!("/api/exchanges/{v}/{name}"), None),
        "queue" => rabbit.send("DELETE", &format!("/api/queues/{v}/{name}"), None),
        "policy" => rabbit.send("DELETE", &format!("/api/policies/{v}/{name}"), None),
        "binding" => {
            // A binding is deleted by its properties key, which only the
            // bindings listing gives.
            let value = &item.value;
            let to = if text(value, "destination_type") == "exchange" { "e" } else { "q" };
            let base = format!(
                "/api/bindings/{v}/e/{}/{to}/{}",
                segment(&text(value, "source")),
                segment(&text(value, "destination"))
            );
            let listed = rabbit.get(&base)?.unwrap_or(Value::Null);
            let key = listed
                .as_array()
                .into_iter()
                .flatten()
                .find(|b| b["routing_key"] == value["routing_key"] && b["arguments"] == value["arguments"])
                .and_then(|b| b["properties_key"].as_str().map(str::to_owned));
            match key {
                Some(key) => rabbit.send("DELETE", &format!("{base}/{}", segment(&key)), None),
                None => Ok(()),
            }
        }
        // The vhost and users are never removed: other things live there.
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::normalize;

    #[test]
    fn definitions_of_another_vhost_are_refused() {
        let doc = json!({"queues": [{"name": "q", "vhost": "other", "durable": true, "auto_delete": false}]});
        let e = normalize(&doc, "mine").unwrap_err();
        assert!(e.0.contains("\"other\""), "{e}");
        let ok = json!({"queues": [{"name": "q", "durable": true, "auto_delete": false, "arguments": {"x-queue-type": "quorum"}}]});
        let items = normalize(&ok, "mine").unwrap();
        assert_eq!(
            items[0].value,
            json!({"durable": true, "auto_delete": false, "arguments": {"x-queue-type": "quorum"}})
        );
    }

    #[test]
    fn garbage_shapes_give_items_not_panics() {
        for doc in [json!(null), json!([1, 2]), json!({"queues": "x"}), json!({"bindings": [1, null, {"source": 3}]})] {
            let _ = normalize(&doc, "v");
        }
    }

    #[test]
    fn tags_in_either_form() {
        assert_eq!(super::tags(&json!("b, a")), ["a", "b"]);
        assert_eq!(super::tags(&json!(["x"])), ["x"]);
        assert!(super::tags(&json!(3)).is_empty());
    }
}
