//! `rabbitmq/definitions.json`: what `rabbitmqctl import_definitions`
//! loads, and the check of every value in it.
//!
//! One vhost; a durable topic exchange per producing system; per carried
//! flow a durable quorum queue bound to its producer's exchange by the
//! routing key, and with `dead-letter` a fanout exchange `<queue>.dlx` and a
//! quorum queue `<queue>.dlq`; per queue a policy with the delivery limit
//! (and the dead-letter exchange). Limits live in policies because RabbitMQ
//! keeps a queue's arguments as first declared and ignores changed ones on
//! re-import, while it applies a changed policy at once. The connectors'
//! user is created without a password (the deployment sets it from the
//! environment: no credential is ever in the file), with permissions on this
//! vhost only.
//!
//! RabbitMQ accepts any value in a queue argument or a policy and fails
//! later, at declare or delivery time, so `validate` checks the document as
//! written: names, types, ranges and references.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Broker, USER};

/// The queue type of every queue: replicated, with delivery limits.
const QUEUE_TYPE: &str = "quorum";

pub(super) fn render(broker: &Broker) -> Value {
    let vhost = broker.vhost.as_str();
    let mut exchanges: Vec<Value> = broker.exchanges.iter().map(|e| exchange(vhost, &e.name, "topic")).collect();
    let mut queues = Vec::new();
    let mut bindings = Vec::new();
    let mut policies = Vec::new();
    for queue in &broker.queues {
        queues.push(quorum_queue(vhost, &queue.name));
        let route = &broker.routes[queue.route];
        bindings.push(json!({
            "source": broker.exchanges[route.exchange].name, "vhost": vhost, "destination": queue.name,
            "destination_type": "queue", "routing_key": broker.routing_key(queue.route), "arguments": {},
        }));
        let mut definition = serde_json::Map::new();
        definition.insert("delivery-limit".into(), queue.delivery_limit.into());
        if queue.dead_letter {
            let dlx = queue.dead_letter_exchange();
            let dlq = queue.dead_letter_queue();
            exchanges.push(exchange(vhost, &dlx, "fanout"));
            queues.push(quorum_queue(vhost, &dlq));
            bindings.push(json!({
                "source": dlx, "vhost": vhost, "destination": dlq, "destination_type": "queue",
                "routing_key": "", "arguments": {},
            }));
            definition.insert("dead-letter-exchange".into(), dlx.into());
        }
        policies.push(json!({
            "vhost": vhost, "name": queue.name, "pattern": exact_pattern(&queue.name), "apply-to": "queues",
            "definition": definition, "priority": 0,
        }));
    }
    let mut doc = json!({
        "vhosts": [{"name": vhost}],
        "users": [{
            "name": USER, "password_hash": "", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": [],
        }],
        "permissions": [{"user": USER, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}],
        "exchanges": null,
        "queues": null,
        "bindings": null,
        "policies": null,
    });
    // Moved in, not copied as `json!` would copy them.
    doc["exchanges"] = Value::Array(exchanges);
    doc["queues"] = Value::Array(queues);
    doc["bindings"] = Value::Array(bindings);
    doc["policies"] = Value::Array(policies);
    doc
}

fn exchange(vhost: &str, name: &str, ty: &str) -> Value {
    json!({
        "name": name, "vhost": vhost, "type": ty, "durable": true, "auto_delete": false, "internal": false,
        "arguments": {},
    })
}

fn quorum_queue(vhost: &str, name: &str) -> Value {
    json!({
        "name": name, "vhost": vhost, "durable": true, "auto_delete": false,
        "arguments": {"x-queue-type": QUEUE_TYPE},
    })
}

/// A regular expression matching exactly `name` (policies match by regex).
pub(super) fn exact_pattern(name: &str) -> String {
    let mut pattern = String::from("^");
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() && c != '_' && c != '-' {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('$');
    pattern
}

/// Every problem with `doc` that RabbitMQ would not report at import time.
pub(super) fn validate(doc: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let mut error = |message: String| errors.push(format!("rabbitmq/definitions.json: {message}"));
    let list = |key: &str| doc.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();

    let vhosts: BTreeSet<String> = list("vhosts").iter().map(|v| text(v, "name")).collect();
    for vhost in &vhosts {
        check_name(&mut error, "vhost", vhost, false);
    }
    let users: BTreeSet<String> = list("users").iter().map(|u| text(u, "name")).collect();
    for user in list("users") {
        if !text(user, "password_hash").is_empty() {
            error(format!("user {:?} has a password hash: passwords come from the environment", text(user, "name")));
        }
    }
    for p in list("permissions") {
        if !users.contains(&text(p, "user")) || !vhosts.contains(&text(p, "vhost")) {
            error(format!("permissions for an unknown user or vhost: {p}"));
        }
    }
    let mut exchanges = BTreeSet::new();
    for e in list("exchanges") {
        let name = text(e, "name");
        check_name(&mut error, "exchange", &name, true);
        if !matches!(e.get("type").and_then(Value::as_str), Some("topic" | "fanout" | "direct" | "headers")) {
            error(format!("exchange {name:?} has an unknown type"));
        }
        if e.get("durable") != Some(&Value::Bool(true)) || e.get("auto_delete") != Some(&Value::Bool(false)) {
            error(format!("exchange {name:?} must be durable and not auto-delete"));
        }
        if !exchanges.insert((text(e, "vhost"), name.clone())) {
            error(format!("two exchanges are named {name:?}"));
        }
    }
    let mut queues = BTreeSet::new();
    for q in list("queues") {
        let name = text(q, "name");
        check_name(&mut error, "queue", &name, true);
        if !vhosts.contains(&text(q, "vhost")) {
            error(format!("queue {name:?} is in an unknown vhost"));
        }
        if q.get("durable") != Some(&Value::Bool(true)) {
            error(format!("queue {name:?} must be durable (a quorum queue always is)"));
        }
        let arguments = q.get("arguments").and_then(Value::as_object);
        for (key, value) in arguments.into_iter().flatten() {
            match (key.as_str(), value) {
                ("x-queue-type", Value::String(t)) if t == QUEUE_TYPE => {}
                _ => {
                    error(format!("queue {name:?} has the argument {key} = {value}, which wireplan does not vouch for"))
                }
            }
        }
        if !queues.insert((text(q, "vhost"), name.clone())) {
            error(format!("two queues are named {name:?}"));
        }
    }
    for b in list("bindings") {
        let (vhost, source, destination) = (text(b, "vhost"), text(b, "source"), text(b, "destination"));
        let key = text(b, "routing_key");
        if !exchanges.contains(&(vhost.clone(), source.clone())) {
            error(format!("a binding reads from the unknown exchange {source:?}"));
        }
        if b.get("destination_type").and_then(Value::as_str) != Some("queue")
            || !queues.contains(&(vhost, destination.clone()))
        {
            error(format!("a binding delivers to the unknown queue {destination:?}"));
        }
        if key.len() > 255 {
            error(format!("the routing key {key:?} is longer than 255 bytes"));
        }
        if key.contains(['*', '#']) {
            error(format!("the routing key {key:?} holds a topic wildcard"));
        }
    }
    // How many queues each exact pattern matches (built once: linear).
    let mut patterns: std::collections::BTreeMap<(String, String), usize> = std::collections::BTreeMap::new();
    for (vhost, queue) in &queues {
        *patterns.entry((vhost.clone(), exact_pattern(queue))).or_default() += 1;
    }
    let mut policies = BTreeSet::new();
    for p in list("policies") {
        let name = text(p, "name");
        if !policies.insert((text(p, "vhost"), name.clone())) {
            error(format!("two policies are named {name:?}"));
        }
        if p.get("apply-to").and_then(Value::as_str) != Some("queues") {
            error(format!("policy {name:?} must apply to queues"));
        }
        let pattern = text(p, "pattern");
        if patterns.get(&(text(p, "vhost"), pattern.clone())) != Some(&1) {
            error(format!("policy {name:?} does not match exactly one queue ({pattern:?})"));
        }
        if p.get("priority").and_then(Value::as_u64).is_none_or(|n| n > 255) {
            error(format!("policy {name:?} needs a priority from 0 to 255"));
        }
        let definition = p.get("definition").and_then(Value::as_object);
        for (key, value) in definition.into_iter().flatten() {
            match key.as_str() {
                // RabbitMQ stores it as a non-negative integer; anything else
                // makes every delivery fail on the quorum queue.
                "delivery-limit" if value.as_u64().is_some_and(|n| n <= i32::MAX as u64) => {}
                "dead-letter-exchange"
                    if value.as_str().is_some_and(|x| exchanges.contains(&(text(p, "vhost"), x.to_owned()))) => {}
                _ => error(format!("policy {name:?} sets {key} = {value}, which is not a valid value")),
            }
        }
    }
    errors
}

/// RabbitMQ's limits on a name: at most 255 bytes (a short string in
/// AMQP 0-9-1), not empty, and (for exchanges and queues) not starting with
/// `amq.`, which the broker reserves.
fn check_name(error: &mut impl FnMut(String), what: &str, name: &str, reserved: bool) {
    if name.is_empty() {
        error(format!("a {what} has no name"));
    } else if name.len() > 255 {
        error(format!("the {what} name {name:?} is longer than 255 bytes; shorten the spec name it comes from"));
    } else if reserved && name.starts_with("amq.") {
        error(format!("the {what} name {name:?} starts with `amq.`, which RabbitMQ reserves; rename it in the spec"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_only_their_name() {
        assert_eq!(exact_pattern("order-to-erp"), "^order-to-erp$");
        assert_eq!(exact_pattern("a.b"), "^a\\.b$");
    }

    #[test]
    fn bad_values_are_reported() {
        let doc = json!({
            "vhosts": [{"name": "v"}],
            "users": [{"name": "u", "password_hash": "abc"}],
            "permissions": [{"user": "nobody", "vhost": "v"}],
            "exchanges": [{"name": "amq.x", "vhost": "v", "type": "topic", "durable": true, "auto_delete": false}],
            "queues": [{"name": "q", "vhost": "v", "durable": true, "arguments": {"x-queue-type": "classic"}}],
            "bindings": [{"source": "e", "vhost": "v", "destination": "q", "destination_type": "queue",
                          "routing_key": "a.#"}],
            "policies": [{"name": "p", "vhost": "v", "pattern": "^q$", "apply-to": "queues", "priority": 0,
                          "definition": {"delivery-limit": -1, "dead-letter-exchange": "nowhere"}}],
        });
        let errors = validate(&doc).join("\n");
        for expected in [
            "password hash",
            "unknown user",
            "reserves",
            "x-queue-type",
            "unknown exchange \"e\"",
            "wildcard",
            "delivery-limit = -1",
            "dead-letter-exchange = \"nowhere\"",
        ] {
            assert!(errors.contains(expected), "{expected}: {errors}");
        }
    }
}
