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
//!
//! The document is a typed value (`Definitions`) that borrows the broker's
//! names, made once to be checked and again as its file is written
//! (`write`), never as a tree of JSON values: at 10,000 flows that tree was
//! half of the broker target's peak memory. Each object's fields are
//! declared in the order of their keys, the order the file has always had.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io;

use serde::Serialize;

use super::{Broker, USER};

/// The queue type of every queue: replicated, with delivery limits.
const QUEUE_TYPE: &str = "quorum";

/// `rabbitmq/definitions.json`, as `rabbitmqctl import_definitions` reads it.
#[derive(Serialize)]
pub(super) struct Definitions<'b> {
    bindings: Vec<Binding<'b>>,
    exchanges: Vec<ExchangeDef<'b>>,
    permissions: Vec<Permission<'b>>,
    policies: Vec<Policy<'b>>,
    queues: Vec<QueueDef<'b>>,
    users: Vec<User<'b>>,
    vhosts: Vec<Vhost<'b>>,
}

#[derive(Serialize)]
struct Vhost<'b> {
    name: &'b str,
}

#[derive(Serialize)]
struct User<'b> {
    hashing_algorithm: &'b str,
    name: &'b str,
    password_hash: &'b str,
    tags: [&'b str; 0],
}

#[derive(Serialize)]
struct Permission<'b> {
    configure: &'b str,
    read: &'b str,
    user: &'b str,
    vhost: &'b str,
    write: &'b str,
}

#[derive(Serialize)]
struct ExchangeDef<'b> {
    arguments: NoArguments,
    auto_delete: bool,
    durable: bool,
    internal: bool,
    name: Cow<'b, str>,
    #[serde(rename = "type")]
    kind: &'b str,
    vhost: &'b str,
}

#[derive(Serialize)]
struct QueueDef<'b> {
    arguments: QueueArguments<'b>,
    auto_delete: bool,
    durable: bool,
    name: Cow<'b, str>,
    vhost: &'b str,
}

#[derive(Serialize)]
struct QueueArguments<'b> {
    #[serde(rename = "x-queue-type")]
    queue_type: &'b str,
}

#[derive(Serialize)]
struct Binding<'b> {
    arguments: NoArguments,
    destination: Cow<'b, str>,
    destination_type: &'b str,
    routing_key: &'b str,
    source: Cow<'b, str>,
    vhost: &'b str,
}

#[derive(Serialize)]
struct Policy<'b> {
    #[serde(rename = "apply-to")]
    apply_to: &'b str,
    definition: PolicyDefinition<'b>,
    name: &'b str,
    pattern: String,
    priority: u32,
    vhost: &'b str,
}

#[derive(Serialize)]
struct PolicyDefinition<'b> {
    #[serde(rename = "dead-letter-exchange", skip_serializing_if = "Option::is_none")]
    dead_letter_exchange: Option<Cow<'b, str>>,
    #[serde(rename = "delivery-limit")]
    delivery_limit: i64,
}

/// An empty `arguments` object.
struct NoArguments;

impl Serialize for NoArguments {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde::ser::SerializeMap::end(serializer.serialize_map(Some(0))?)
    }
}

/// The definitions of `broker`, borrowing its names.
pub(super) fn of(broker: &Broker) -> Definitions<'_> {
    let vhost = broker.vhost.as_str();
    let mut exchanges: Vec<ExchangeDef<'_>> =
        broker.exchanges.iter().map(|e| exchange(vhost, Cow::Borrowed(&e.name), "topic")).collect();
    let mut queues = Vec::with_capacity(broker.queues.len());
    let mut bindings = Vec::with_capacity(broker.queues.len());
    let mut policies = Vec::with_capacity(broker.queues.len());
    for queue in &broker.queues {
        queues.push(quorum_queue(vhost, Cow::Borrowed(&queue.name)));
        let route = &broker.routes[queue.route];
        bindings.push(Binding {
            arguments: NoArguments,
            destination: Cow::Borrowed(&queue.name),
            destination_type: "queue",
            routing_key: broker.routing_key(queue.route),
            source: Cow::Borrowed(&broker.exchanges[route.exchange].name),
            vhost,
        });
        let mut dead_letter_exchange = None;
        if queue.dead_letter {
            let (dlx, dlq) = (queue.dead_letter_exchange(), queue.dead_letter_queue());
            exchanges.push(exchange(vhost, Cow::Owned(dlx.clone()), "fanout"));
            queues.push(quorum_queue(vhost, Cow::Owned(dlq.clone())));
            bindings.push(Binding {
                arguments: NoArguments,
                destination: Cow::Owned(dlq),
                destination_type: "queue",
                routing_key: "",
                source: Cow::Owned(dlx.clone()),
                vhost,
            });
            dead_letter_exchange = Some(Cow::Owned(dlx));
        }
        policies.push(Policy {
            apply_to: "queues",
            definition: PolicyDefinition { dead_letter_exchange, delivery_limit: i64::from(queue.delivery_limit) },
            name: &queue.name,
            pattern: exact_pattern(&queue.name),
            priority: 0,
            vhost,
        });
    }
    Definitions {
        bindings,
        exchanges,
        permissions: vec![Permission { configure: ".*", read: ".*", user: USER, vhost, write: ".*" }],
        policies,
        queues,
        users: vec![User {
            hashing_algorithm: "rabbit_password_hashing_sha256",
            name: USER,
            password_hash: "",
            tags: [],
        }],
        vhosts: vec![Vhost { name: vhost }],
    }
}

/// Writes the definitions of `broker` into `out`, as the file has them:
/// JSON, indented by two spaces, with a newline at the end.
pub(super) fn write(broker: &Broker, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &of(broker)).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

fn exchange<'b>(vhost: &'b str, name: Cow<'b, str>, kind: &'b str) -> ExchangeDef<'b> {
    ExchangeDef { arguments: NoArguments, auto_delete: false, durable: true, internal: false, name, kind, vhost }
}

fn quorum_queue<'b>(vhost: &'b str, name: Cow<'b, str>) -> QueueDef<'b> {
    QueueDef { arguments: QueueArguments { queue_type: QUEUE_TYPE }, auto_delete: false, durable: true, name, vhost }
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
pub(super) fn validate(doc: &Definitions<'_>) -> Vec<String> {
    let mut errors = Vec::new();
    let mut error = |message: String| errors.push(format!("rabbitmq/definitions.json: {message}"));

    let vhosts: BTreeSet<&str> = doc.vhosts.iter().map(|v| v.name).collect();
    for vhost in &vhosts {
        check_name(&mut error, "vhost", vhost, false);
    }
    let users: BTreeSet<&str> = doc.users.iter().map(|u| u.name).collect();
    for user in &doc.users {
        if !user.password_hash.is_empty() {
            error(format!("user {:?} has a password hash: passwords come from the environment", user.name));
        }
    }
    for p in &doc.permissions {
        if !users.contains(p.user) || !vhosts.contains(p.vhost) {
            error(format!("permissions for an unknown user or vhost: user {:?}, vhost {:?}", p.user, p.vhost));
        }
    }
    let mut exchanges = BTreeSet::new();
    for e in &doc.exchanges {
        let name = &*e.name;
        check_name(&mut error, "exchange", name, true);
        if !matches!(e.kind, "topic" | "fanout" | "direct" | "headers") {
            error(format!("exchange {name:?} has an unknown type"));
        }
        if !e.durable || e.auto_delete {
            error(format!("exchange {name:?} must be durable and not auto-delete"));
        }
        if !exchanges.insert((e.vhost, name)) {
            error(format!("two exchanges are named {name:?}"));
        }
    }
    let mut queues = BTreeSet::new();
    for q in &doc.queues {
        let name = &*q.name;
        check_name(&mut error, "queue", name, true);
        if !vhosts.contains(q.vhost) {
            error(format!("queue {name:?} is in an unknown vhost"));
        }
        if !q.durable {
            error(format!("queue {name:?} must be durable (a quorum queue always is)"));
        }
        if q.arguments.queue_type != QUEUE_TYPE {
            error(format!(
                "queue {name:?} has the argument x-queue-type = {:?}, which wireplan does not vouch for",
                q.arguments.queue_type
            ));
        }
        if !queues.insert((q.vhost, name)) {
            error(format!("two queues are named {name:?}"));
        }
    }
    for b in &doc.bindings {
        let (source, destination, key) = (&*b.source, &*b.destination, b.routing_key);
        if !exchanges.contains(&(b.vhost, source)) {
            error(format!("a binding reads from the unknown exchange {source:?}"));
        }
        if b.destination_type != "queue" || !queues.contains(&(b.vhost, destination)) {
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
    let mut patterns: std::collections::BTreeMap<(&str, String), usize> = std::collections::BTreeMap::new();
    for (vhost, queue) in &queues {
        *patterns.entry((vhost, exact_pattern(queue))).or_default() += 1;
    }
    let mut policies = BTreeSet::new();
    for p in &doc.policies {
        let name = p.name;
        if !policies.insert((p.vhost, name)) {
            error(format!("two policies are named {name:?}"));
        }
        if p.apply_to != "queues" {
            error(format!("policy {name:?} must apply to queues"));
        }
        if patterns.get(&(p.vhost, p.pattern.clone())) != Some(&1) {
            error(format!("policy {name:?} does not match exactly one queue ({:?})", p.pattern));
        }
        if p.priority > 255 {
            error(format!("policy {name:?} needs a priority from 0 to 255"));
        }
        // RabbitMQ stores the limit as a non-negative integer; anything else
        // makes every delivery fail on the quorum queue.
        let limit = p.definition.delivery_limit;
        if !(0..=i64::from(i32::MAX)).contains(&limit) {
            error(format!("policy {name:?} sets delivery-limit = {limit}, which is not a valid value"));
        }
        if let Some(dlx) = &p.definition.dead_letter_exchange
            && !exchanges.contains(&(p.vhost, &**dlx))
        {
            error(format!("policy {name:?} sets dead-letter-exchange = {dlx:?}, which is not a valid value"));
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
        let doc = Definitions {
            vhosts: vec![Vhost { name: "v" }],
            users: vec![User { hashing_algorithm: "", name: "u", password_hash: "abc", tags: [] }],
            permissions: vec![Permission { configure: "", read: "", user: "nobody", vhost: "v", write: "" }],
            exchanges: vec![exchange("v", "amq.x".into(), "topic")],
            queues: vec![QueueDef {
                arguments: QueueArguments { queue_type: "classic" },
                ..quorum_queue("v", "q".into())
            }],
            bindings: vec![Binding {
                arguments: NoArguments,
                destination: "q".into(),
                destination_type: "queue",
                routing_key: "a.#",
                source: "e".into(),
                vhost: "v",
            }],
            policies: vec![Policy {
                apply_to: "queues",
                definition: PolicyDefinition { dead_letter_exchange: Some("nowhere".into()), delivery_limit: -1 },
                name: "p",
                pattern: "^q$".into(),
                priority: 0,
                vhost: "v",
            }],
        };
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

    #[test]
    fn empty_arguments_are_an_empty_object() {
        let text = serde_json::to_string_pretty(&exchange("v", "x".into(), "topic")).unwrap_or_default();
        assert!(text.contains("\"arguments\": {},"), "{text}");
    }
}
