//! The connectors: Node-RED 4.1 flows (`node-red/flows.json`) on
//! wireplan's own AMQP nodes (`node-red/nodes/wireplan-amqp.js`, on a
//! current amqplib), their credentials file and `package.json`.
//!
//! - **Ingress**, one tab: per event, `POST /hooks/<event>` checks the
//!   producer's proof with the kit's fixed `verify.js`, publishes the payload
//!   (persistent, JSON, the event's key as the `idempotency-key` header and
//!   message id) to the producer's exchange with the routing key, and answers
//!   202 only once RabbitMQ has confirmed the message (publisher confirms: a
//!   quorum queue confirms when a majority of its replicas has it); without
//!   a connection, on a refusal, a lost connection or no confirm within 10 s
//!   it answers 503, and the producer's own retries take over. So an
//!   accepted webhook is stored: at least once, a duplicate with the same
//!   idempotency key. And `GET /healthz`.
//! - **Polls**, a tab each: the kit's poll nodes (interval, cursor kept on
//!   disk) publish each new record to the polled system's exchange; a tick
//!   reads only while the publisher is connected (a `status` node records it
//!   in a memory context store).
//! - **Egress**, a tab per consuming flow: `wireplan-amqp-consume` on the
//!   flow's quorum queue (manual acknowledgement, `EGRESS_PREFETCH`
//!   deliveries in flight per instance, fewer for a flow whose writes wait
//!   in a throttle: see `CONSUMER_TIMEOUT_MS`), then per target one `change` node
//!   with the target configuration and its step number, and a `link call`
//!   into the one delivery chain every egress shares (a tab of its own, made
//!   of the kit's mapping and request nodes), which answers with
//!   `msg._wp.ok`; since the acknowledgement belongs to each flow's queue,
//!   it stays on the egress's tab. A `next
//!   target` switch (a rule per step) leads a 2xx to the next target, and
//!   after the last one `wireplan-amqp-ack` acknowledges; a failure or a
//!   connection error waits the failing target's back-off and rejects with
//!   requeue, so RabbitMQ redelivers until the delivery limit and then
//!   dead-letters (the last delivery the limit allows is rejected at once,
//!   audited `failed`, as the hub audits attempts used up). The attempt
//!   number is RabbitMQ's: the quorum queue counts a message's earlier
//!   deliveries in its `x-delivery-count` header, which the consume node
//!   puts in `msg.amqp.deliveryCount`. The wait is the hub's formula
//!   (`exponential` doubles from `initial=` up to `max=`, `fixed` waits
//!   `initial=`), computed by the delivery chain when an attempt fails into
//!   `msg.delay`, for the egress's `delay` node in its "override" mode (with
//!   the kit's jitter). Audit lines go by a `link out` to the one audit line
//!   on the delivery tab, and into the audit file, as the hub's do.
//!   `flows.json` grows by one small node and one switch rule per target,
//!   written out as they are made, and by the ten small nodes of each
//!   egress: its own copy of the chain once made half the file, and its own
//!   back-off expression and audit line a fifth of what was left.
//! - **Loop guard and rate limits**, the kit's, laid out as the hub lays
//!   them out: a loop-guarded flow's egress starts with the kit's echo check
//!   (an echo is acknowledged and goes no further), every write to a system
//!   such a flow listens to is remembered just before it goes out, and every
//!   write to a system with `rate-limit` waits its turn in that system's one
//!   throttle tab, shared by every egress tab. The memory and the throttle
//!   live in the Node-RED process, but what waits in the throttle is an
//!   unacknowledged delivery: the message itself stays in RabbitMQ's quorum
//!   queue, so a restart loses none (it is delivered again). Why not a
//!   per-system queue with a single paced consumer: each flow's retries,
//!   delivery limit and dead letters are its own queue's policy, and a write
//!   moved to a shared queue would need them all again there; the price of
//!   this design is that the throttle and the memory are one per process,
//!   so the egress of such a spec runs in one instance (the README says so).
//!
//! Every instance connects to one of the RabbitMQ nodes listed in
//! `WIREPLAN_AMQP_ADDRESSES` and moves to the next with back-off when that
//! one fails, so any node may die; instances keep no state but poll cursors.
//!
//! Why wireplan's own nodes (measured on the npm registry, December 2026,
//! with RabbitMQ 3.10.8 and Node-RED 4.1.15; ARCHITECTURE.md has the table):
//! the only Node-RED AMQP packages there, `node-red-contrib-amqp@0.4.5` and
//! `node-red-contrib-amqp-ack@1.1.2` (archived), both sit on `amqp-ts` and
//! so on amqplib 0.4 from 2016; neither has publisher confirms (a webhook
//! answered before RabbitMQ stored it is lost when a node fails), neither
//! takes more than one host, and the first consumes with `noAck`. amqplib
//! 2.3 itself has all of it but a list of hosts. The nodes are about 340
//! lines of fixed JavaScript, emitted beside the flows and loaded by
//! Node-RED from `nodes/` in its user folder. Every expression and function
//! is the kit's constant text; spec names appear only in serde-written JSON
//! values.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{ADDRESSES_ENV, AMQPLIB_VERSION, Broker, NODE_RED_VERSION, PASSWORD_ENV, USER_ENV};
use crate::emit::names::id;
use crate::emit::nodered::jsonata::{BACKOFF, KEY_VALUE};
use crate::emit::nodered::loop_guard::{guard_nodes_then, loop_guard_tab_for, remember_config};
use crate::emit::nodered::model::{Hub, HubFlow, HubTrigger, Poll};
use crate::emit::nodered::nodes::{Code, Nodes, PrettyArray, at, change, delete, path, set};
use crate::emit::nodered::parts::{
    audit_nodes, config_rules, delivery_id, delivery_tab_id, health_check, poll_nodes, request_rules, sending_nodes,
    target_config, webhook_endpoint,
};
use crate::emit::nodered::throttle::{throttle_id, throttle_tab_for};

/// wireplan's AMQP nodes, loaded by Node-RED from `nodes/` in its user folder.
pub(super) const NODES_JS: &str = include_str!("wireplan-amqp.js");
pub(super) const NODES_HTML: &str = include_str!("wireplan-amqp.html");

/// The AMQP publish options: persistent JSON, the idempotency key as a
/// header and as the message id when the event has a key.
const PUBLISH_OPTIONS: &str = "$merge([{\"persistent\": true, \"contentType\": \"application/json\", \
    \"type\": _wp.route}, $exists(_wp.key_value) ? {\"messageId\": _wp.key_value, \
    \"headers\": {\"idempotency-key\": _wp.key_value}} : {}])";
/// The flow-context key holding which publish nodes are connected.
const READY_KEY: &str = "#:(memory)::wireplan_amqp";
/// Records a status change of a publish node (its status text is
/// "connected" only while it can publish).
const RECORD_READY: &str = "$merge([$type($flowContext(\"wireplan_amqp\", \"memory\")) = \"object\" ? \
    $flowContext(\"wireplan_amqp\", \"memory\") : {}, {status.source.id: status.text = \"connected\"}])";
/// Whether the publish node named in `msg._wp.out` is connected.
const IS_READY: &str = "$lookup($flowContext(\"wireplan_amqp\", \"memory\"), _wp.out) = true";
/// The payload back as it came, for the next target of a flow.
const RESTORE: &str = "_wp.input";
/// Which attempt this delivery is: one more than the deliveries before it,
/// which a quorum queue counts in the `x-delivery-count` header of a
/// redelivered message (absent on the first delivery), and the consume node
/// puts in `msg.amqp.deliveryCount`. Anything unexpected there counts as a
/// first attempt.
const DELIVERY_ATTEMPT_JS: &str = "const count = Number(msg.amqp ? msg.amqp.deliveryCount : 0);\n\
msg._wp.attempt = Number.isSafeInteger(count) && count > 0 ? count + 1 : 1;\n\
return msg;\n";

/// The egress's `next target` switch, one rule and one output per target:
/// its fields in the order serde_json's map would sort them, as every other
/// node of the file is written.
#[derive(Serialize)]
struct StepSwitch<'a, R, W> {
    checkall: &'a str,
    id: &'a str,
    name: &'a str,
    outputs: usize,
    property: &'a str,
    #[serde(rename = "propertyType")]
    property_type: &'a str,
    repair: bool,
    rules: R,
    #[serde(rename = "type")]
    ty: &'a str,
    wires: W,
    x: u32,
    y: u32,
    z: &'a str,
}

/// A JSON array made item by item as it is written, never held.
struct Lazy<F>(F);

impl<F, I> Serialize for Lazy<F>
where
    F: Fn() -> I,
    I: IntoIterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

fn server_id() -> String {
    id(&["amqp-server"])
}

/// `flows.json`, into `into`. Tabs first, then the server node, then the
/// nodes in the order they are made, written out a few at a time by the
/// kit's writer (a flow of 20,000 targets is 20,000 small nodes, never all
/// held as values, nor the text).
pub(super) fn render(broker: &Broker, into: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut out = PrettyArray::into(into);
    let mut nodes = Nodes(Vec::new());
    let server = server_id();
    let ingress = id(&["tab", "ingress"]);
    out.push(&json!({
        "id": ingress, "type": "tab", "label": "wireplan: ingress and health", "disabled": false,
        "info": "Generated by `wireplan build --target broker`; do not edit. Webhooks (POST /hooks/...) published to RabbitMQ, and GET /healthz.",
    }));
    for (_, flow, _) in polls(broker) {
        out.push(&json!({
            "id": poll_tab_id(flow), "type": "tab", "label": format!("poll: {}", flow.name), "disabled": false,
            "info": "Generated by `wireplan build --target broker`: polls the source and publishes each new record; do not edit.",
        }));
    }
    for queue in &broker.queues {
        let flow = &broker.hub.flows[queue.flow];
        out.push(&json!({
            "id": egress_tab_id(flow), "type": "tab", "label": flow.name, "disabled": false,
            "info": "Generated by `wireplan build --target broker` from the flow of this name: consumes its queue and delivers; do not edit.",
        }));
    }
    let delivers = broker.queues.iter().any(|q| !broker.hub.flows[q.flow].targets.is_empty());
    if delivers {
        out.push(&json!({
            "id": delivery_tab_id(), "type": "tab", "label": "wireplan: delivery", "disabled": false,
            "info": "Generated by `wireplan build --target broker`; do not edit. Every egress calls this chain \
                     for each of its targets (`link call`): the target's node put all that differs into \
                     msg._wp; the chain answers with msg._wp.ok, and the egress acknowledges or rejects on \
                     its own queue.",
        }));
    }
    out.push(&server_node(broker, &server));
    ingress_nodes(broker, &ingress, &server, &mut nodes);
    out.take(&mut nodes);
    for (index, flow, poll) in polls(broker) {
        let tab = poll_tab_id(flow);
        let publish = id(&["publish", "poll", &flow.name]);
        poll_nodes(flow, poll, &tab, &[&publish], &mut nodes);
        // Each tick reads the source only while the broker takes what
        // it publishes: else the cursor would move past records that
        // were never published.
        let gate = id(&["gate", "poll", &flow.name]);
        let tick = nodes.0.iter_mut().find(|n| n.ty == "inject");
        let read = tick.map(|tick| std::mem::replace(&mut tick.wires, vec![vec![gate.clone()]]));
        let read = read.and_then(|w| w.into_iter().flatten().next()).unwrap_or_default();
        let amqp_out = out_id(&publish);
        ready_gate(&gate, &tab, &amqp_out, at(0, 2), &[&read], &[], &mut nodes);
        readiness(&tab, &[amqp_out], at(0, 4), &mut nodes);
        publish_nodes(broker, index, &publish, &tab, &server, at(5, 2), ["", ""], &mut nodes);
        out.take(&mut nodes);
    }
    for queue in &broker.queues {
        let flow = &broker.hub.flows[queue.flow];
        egress_nodes(broker, queue, &egress_tab_id(flow), &server, &mut nodes, &mut out);
    }
    if delivers {
        delivery_chain(broker, &delivery_tab_id(), &mut nodes);
        out.take(&mut nodes);
    }
    // What the egress tabs share, as in the hub: a throttle per
    // rate-limited system, and the loop guard's check and memory.
    for throttle in &broker.hub.throttles {
        throttle_tab_for("broker", throttle, &mut nodes, &mut out);
    }
    if broker.queues.iter().any(|q| broker.hub.flows[q.flow].guard.is_some()) {
        loop_guard_tab_for("broker", &mut nodes, &mut out);
    }
    out.end()
}

/// `flows_cred.json`: the server node's credentials.
pub(super) fn credentials() -> String {
    // Node-RED replaces a credential that is exactly `${VAR}` by the variable.
    let server = server_id();
    let credentials = json!({server: {"user": format!("${{{USER_ENV}}}"), "password": format!("${{{PASSWORD_ENV}}}")}});
    let mut credentials = serde_json::to_string_pretty(&credentials).unwrap_or_default();
    credentials.push('\n');
    credentials
}

/// The polled flows the broker carries: the route's index, the flow and its poll.
fn polls(broker: &Broker) -> impl Iterator<Item = (usize, &HubFlow, &Poll)> {
    broker.routes.iter().enumerate().filter_map(|(index, route)| {
        let super::RouteKind::Poll { flow, .. } = &route.kind else { return None };
        let flow = &broker.hub.flows[*flow];
        let HubTrigger::Poll(poll) = &flow.trigger else { return None };
        Some((index, flow, poll))
    })
}

fn poll_tab_id(flow: &HubFlow) -> String {
    id(&["tab", "poll", &flow.name])
}

/// How long an egress waits for the delivery chain's answer, in seconds:
/// longer than a write may wait in a throttle (a day), so that the
/// throttle's own timeout, a failed attempt, answers first.
const DELIVERY_TIMEOUT_SECONDS: &str = "90000";

fn egress_tab_id(flow: &HubFlow) -> String {
    id(&["tab", "egress", &flow.name])
}

/// The connection: the vhost, and which variable lists RabbitMQ's nodes
/// (the node reads it; the user and password are credentials).
fn server_node(broker: &Broker, server: &str) -> Value {
    json!({
        "id": server, "type": "wireplan-amqp-broker", "name": "RabbitMQ", "vhost": broker.vhost,
        "addressesEnv": ADDRESSES_ENV,
    })
}

fn ingress_nodes(broker: &Broker, tab: &str, server: &str, nodes: &mut Nodes) {
    health_check(tab, nodes);

    for (index, route) in broker.routes.iter().enumerate() {
        let super::RouteKind::Event { endpoint, .. } = &route.kind else { continue };
        let endpoint = &broker.hub.endpoints[*endpoint];
        let row = index as u32 * 2 + 1;
        let ids: Vec<String> = ["in", "scheme", "verify", "accepted", "response", "gate", "unavailable"]
            .iter()
            .map(|r| id(&["ingress", &route.id, r]))
            .collect();
        let publish = id(&["publish", "event", &route.id]);
        webhook_endpoint(endpoint, &ids, row, &[&publish], tab, nodes);
        // Accepted once RabbitMQ confirmed it: else 503, and the producer
        // sends it again later.
        let unavailable = change(vec![
            set("statusCode", 503, "num"),
            set("payload", "{\"error\":\"the broker did not store it\"}", "json"),
        ]);
        nodes.add(&ids[6], "change", tab, "503 unavailable", at(4, row + 1), &[&[&ids[4]]], unavailable);
        publish_nodes(broker, index, &publish, tab, server, at(3, row), [&ids[3], &ids[6]], nodes);
    }
}

fn out_id(publish: &str) -> String {
    id(&["amqp out", publish])
}

/// A `status` node on the publish nodes `outs`, recording in flow
/// context which of them is connected.
fn readiness(tab: &str, outs: &[String], pos: (u32, u32), nodes: &mut Nodes) {
    let status = id(&["status", tab]);
    let record = id(&["status record", tab]);
    nodes.add(&status, "status", tab, "AMQP connections", pos, &[&[&record]], json!({"scope": outs}));
    let rules = change(vec![json!({"t": "set", "p": READY_KEY, "pt": "flow", "to": RECORD_READY, "tot": "jsonata"})]);
    nodes.add(&record, "change", tab, "connected?", (pos.0 + 190, pos.1), &[&[]], rules);
}

/// A `change` node (`gate`) naming the publish node, and a `switch`
/// after it: to `yes` while that node is connected, else to `no`.
fn ready_gate(gate: &str, tab: &str, out: &str, pos: (u32, u32), yes: &[&str], no: &[&str], nodes: &mut Nodes) {
    let switch = id(&["gate switch", gate]);
    let config = json!({"out": out}).to_string();
    nodes.add(gate, "change", tab, "which connection", pos, &[&[&switch]], change(vec![set("_wp", config, "json")]));
    nodes.add(
        &switch,
        "switch",
        tab,
        "broker connected?",
        (pos.0, pos.1 + 35),
        &[yes, no],
        json!({
            "property": "_wp", "propertyType": "msg", "checkall": "false", "repair": false, "outputs": 2,
            "rules": [{"t": "jsonata_exp", "v": IS_READY, "vt": "jsonata"}, {"t": "else"}],
        }),
    );
}

/// A `change` node (`id`) that sets the publish options, wired to a
/// `wireplan-amqp-publish` on the route's exchange with its routing key,
/// whose outputs go to `confirmed` (stored by RabbitMQ) and `refused`.
#[allow(clippy::too_many_arguments)]
fn publish_nodes(
    broker: &Broker,
    route: usize,
    id_: &str,
    tab: &str,
    server: &str,
    pos: (u32, u32),
    [confirmed, refused]: [&str; 2],
    nodes: &mut Nodes,
) {
    let r = &broker.routes[route];
    let exchange = &broker.exchanges[r.exchange];
    let out = out_id(id_);
    let mut config = Map::new();
    config.insert("route".into(), r.id.clone().into());
    if let Some(key) = &r.key {
        config.insert("key".into(), path(key));
    }
    let mut rules = config_rules(config);
    rules.extend([
        set("_wp.key_value", KEY_VALUE, "jsonata"),
        set("options", PUBLISH_OPTIONS, "jsonata"),
        delete("_wp"),
    ]);
    let rules = change(rules);
    nodes.add(id_, "change", tab, &format!("publish {}", r.id), pos, &[&[&out]], rules);
    nodes.add(
        &out,
        "wireplan-amqp-publish",
        tab,
        &format!("to {}", exchange.name),
        (pos.0 + 190, pos.1),
        &[&wire(confirmed), &wire(refused)],
        json!({"routingKey": broker.routing_key(route), "exchange": exchange.name, "broker": server}),
    );
}

/// The wires of one output: to `to`, or none when it is empty.
fn wire(to: &str) -> Vec<&str> {
    if to.is_empty() { Vec::new() } else { vec![to] }
}

/// consume -> the first target's configuration -> the shared chain: map,
/// send, request, 2xx? -> the payload again -> next: the following
/// target's configuration, or ack after the last; failures -> wait -> nack.
/// Each target is one small `change` node (its configuration in `msg._wp`,
/// with its step number), and the `next` switch has one rule per step: a
/// flow of 20,000 targets once had five nodes and the fixed expressions for
/// each, 200 times the spec's size. Nodes go to `out` as they are made.
fn egress_nodes(
    broker: &Broker,
    queue: &super::Queue,
    tab: &str,
    server: &str,
    nodes: &mut Nodes,
    out: &mut PrettyArray,
) {
    let egress = Egress { hub: &broker.hub, flow: &broker.hub.flows[queue.flow], queue, tab, server };
    let guard = egress.guard(nodes, out);
    egress.consume(guard, nodes, out);
    egress.chain(nodes, out);
    egress.next_target(out);
    egress.outcomes(nodes);
    out.take(nodes);
}

/// One egress tab: the flow it delivers, the queue it consumes.
struct Egress<'a> {
    hub: &'a Hub,
    flow: &'a HubFlow,
    queue: &'a super::Queue,
    tab: &'a str,
    server: &'a str,
}

impl Egress<'_> {
    /// The id of the node playing `role` (for the `i`th target).
    fn node(&self, role: &str, i: usize) -> String {
        id(&["egress", &self.flow.name, role, &i.to_string()])
    }

    /// Where a delivery starts: its first target's configuration (the
    /// acknowledgement when the flow has no target).
    fn first(&self) -> String {
        if self.flow.targets.is_empty() { self.node("delivered", 0) } else { self.node("target", 0) }
    }

    /// The consume node on the queue, and each target's configuration node
    /// (with what the loop guard and the throttle need to know of its write).
    /// A delivery goes to `guard` first when the flow has one.
    fn consume(&self, guard: Option<String>, nodes: &mut Nodes, out: &mut PrettyArray) {
        let (flow, tab) = (self.flow, self.tab);
        let first = guard.unwrap_or_else(|| self.first());
        nodes.add(
            &self.node("in", 0),
            "wireplan-amqp-consume",
            tab,
            &format!("consume {}", self.queue.name),
            at(0, 0),
            &[&[&first]],
            json!({"queue": self.queue.name, "prefetch": self.queue.prefetch, "broker": self.server}),
        );
        let deliver = self.node("deliver", 0);
        for (i, target) in flow.targets.iter().enumerate() {
            let mut config = target_config(flow, target);
            remember_config(target, &mut config);
            if let Some(throttle) = target.throttle.and_then(|t| self.hub.throttles.get(t)) {
                config.insert("throttle".into(), throttle_id(&throttle.system).into());
            }
            config.insert("step".into(), i.into());
            let label = format!("to {}", target.system);
            let rules = change(config_rules(config));
            nodes.add(&self.node("target", i), "change", tab, &label, at(1, i as u32 * 2), &[&[&deliver]], rules);
            out.take(nodes);
        }
    }

    /// A loop-guarded flow's delivery first meets the kit's echo check (the
    /// hub's): a change that only echoes a write of these connectors is
    /// acknowledged, and audited where the flow logs, and goes no further.
    /// Returns the id the consume node wires to, for a loop-guarded flow.
    fn guard(&self, nodes: &mut Nodes, out: &mut PrettyArray) -> Option<String> {
        let source = self.flow.guard.as_ref()?;
        let ack = self.node("echo ack", 0);
        let first = self.first();
        let rows = 2 * self.flow.targets.len().max(1) as u32;
        let entry = guard_nodes_then(self.flow, source, self.tab, at(0, rows + 2), &[&first], &[&ack], nodes);
        let ack_props = json!({"queue": self.queue.name, "nack": false, "broker": self.server});
        nodes.add(&ack, "wireplan-amqp-ack", self.tab, "acknowledge the echo", at(1, rows + 4), &[&[]], ack_props);
        out.take(nodes);
        Some(entry)
    }

    /// A target's delivery: a call into the shared chain, whose answer
    /// (`msg._wp.ok`) goes on to the next target, or to the failures.
    fn chain(&self, nodes: &mut Nodes, out: &mut PrettyArray) {
        let tab = self.tab;
        let [deliver, ok, next, failed] = ["deliver", "ok?", "next", "failed"].map(|r| self.node(r, 0));
        let call = json!({"links": [delivery_id("in")], "linkType": "static", "timeout": DELIVERY_TIMEOUT_SECONDS});
        nodes.add(&deliver, "link call", tab, "deliver to the target", at(2, 0), &[&[&ok]], call);
        nodes.add(
            &ok,
            "switch",
            tab,
            "delivered?",
            at(3, 0),
            &[&[&next], &[&failed]],
            json!({
                "property": "_wp.ok", "propertyType": "msg", "checkall": "false", "repair": false, "outputs": 2,
                "rules": [{"t": "true"}, {"t": "else"}],
            }),
        );
        out.take(nodes);
    }

    /// The `next target` switch: step i goes on to target i + 1, the last
    /// step (the `else`) to the acknowledgement. Its rules and wires are
    /// written as they are made.
    fn next_target(&self, out: &mut PrettyArray) {
        let steps = self.flow.targets.len().saturating_sub(1);
        let delivered = self.node("delivered", 0);
        let next_target = |i: usize| if i < steps { self.node("target", i + 1) } else { delivered.clone() };
        let (x, y) = at(7, 0);
        out.push(&StepSwitch {
            checkall: "false",
            id: &self.node("next", 0),
            name: "next target",
            outputs: steps + 1,
            property: "_wp.step",
            property_type: "msg",
            repair: false,
            rules: Lazy(|| {
                (0..=steps).map(move |i| {
                    if i < steps { json!({"t": "eq", "v": i.to_string(), "vt": "num"}) } else { json!({"t": "else"}) }
                })
            }),
            ty: "switch",
            wires: Lazy(|| (0..=steps).map(|i| [next_target(i)])),
            x,
            y,
            z: self.tab,
        });
    }

    /// What follows a delivery: connection errors count as failures; a
    /// delivered message is acknowledged, a failed one waits the back-off
    /// and is rejected with requeue; both are audited where the flow logs.
    fn outcomes(&self, nodes: &mut Nodes) {
        let (flow, queue, tab, server) = (self.flow, self.queue, self.tab, self.server);
        let [delivered, ack, failed, retry, gave_up, wait, nack, catch, deliver] =
            ["delivered", "ack", "failed", "retry", "gave up", "wait", "nack", "catch", "deliver"]
                .map(|r| self.node(r, 0));
        // A call into the delivery chain that fails (its tab missing from
        // this process, or no answer in time) is a failed attempt, retried
        // and then dead-lettered, not a delivery held unacknowledged for good.
        let catch_props = json!({"scope": [deliver], "uncaught": false});
        nodes.add(&catch, "catch", tab, "connection errors", at(4, 1), &[&[&failed]], catch_props);
        let audit = if flow.log { vec![self.node("audit", 0)] } else { Vec::new() };
        let audit_refs: Vec<&str> = audit.iter().map(String::as_str).collect();
        let outcome = |what: &str| change(vec![set("_wp.outcome", what, "str")]);
        nodes.add(&delivered, "change", tab, "delivered", at(8, 0), &[&[&ack]], outcome("delivered"));
        let ack_props = json!({"queue": queue.name, "nack": false, "broker": server});
        nodes.add(&ack, "wireplan-amqp-ack", tab, "acknowledge", at(9, 0), &[&audit_refs], ack_props);
        // The queue's last delivery (its delivery limit reached) is
        // rejected at once, and RabbitMQ dead-letters it: no wait before.
        let deliveries = u64::from(queue.delivery_limit) + 1;
        nodes.add(
            &failed,
            "switch",
            tab,
            "failed",
            at(8, 1),
            &[&[&retry], &[&gave_up]],
            json!({
                "property": "_wp.attempt", "propertyType": "msg", "checkall": "false", "repair": false, "outputs": 2,
                "rules": [{"t": "lt", "v": deliveries.to_string(), "vt": "num"}, {"t": "else"}],
            }),
        );
        let mut retry_wires = audit_refs.clone();
        retry_wires.push(&wait);
        nodes.add(&retry, "change", tab, "back off", at(9, 1), &[&retry_wires], outcome("retry"));
        let mut gave_up_wires = audit_refs.clone();
        gave_up_wires.push(&nack);
        nodes.add(&gave_up, "change", tab, "attempts used up", at(9, 2), &[&gave_up_wires], outcome("failed"));
        // The node's own delay is only for a message without `msg.delay`,
        // which the delivery chain sets on every failed attempt: a call
        // into the chain that failed (its tab missing, no answer in time)
        // waits the first back-off.
        let millis = u64::try_from(queue.backoff.as_millis()).unwrap_or(u64::MAX).clamp(1, 2_147_483_647);
        nodes.add(
            &wait,
            "delay",
            tab,
            "wait before the redelivery",
            at(10, 1),
            &[&[&nack]],
            json!({
                "pauseType": "delayv", "timeout": format!("{millis}"), "timeoutUnits": "milliseconds", "rate": "1",
                "nbRateUnits": "1", "rateUnits": "second", "randomFirst": "1", "randomLast": "5",
                "randomUnits": "seconds", "drop": false, "allowrate": false, "outputs": 1,
            }),
        );
        let nack_props = json!({"queue": queue.name, "nack": true, "broker": server});
        nodes.add(&nack, "wireplan-amqp-ack", tab, "reject, requeue", at(11, 1), &[&[]], nack_props);
        if let Some(audit) = audit.first() {
            let to_the_log = json!({"mode": "link", "links": [delivery_id("audit in")]});
            nodes.add(audit, "link out", tab, "to the audit log", at(10, 0), &[], to_the_log);
        }
    }
}

/// The chain every egress calls for each target (`link call`), from the
/// target's configuration in `msg._wp`: map, which attempt, send, request,
/// 2xx?; a 2xx sets `msg._wp.ok` and puts the payload back for the next
/// target, a failure or a connection error clears it; either way the
/// answer goes back to the egress that called, which acknowledges or
/// rejects on its own queue. As in the hub, a write with credentials other
/// than a bearer token goes through `auth.js`, a write to a rate-limited
/// system waits its turn in the system's throttle, and a write a loop guard
/// must know of is remembered just before it goes out; a piece no flow needs
/// is left out. A failed attempt's wait before the redelivery is computed
/// here, from the target's retry timing, and the egresses of flows that log
/// send their audit lines to the audit log here.
fn delivery_chain(broker: &Broker, tab: &str, nodes: &mut Nodes) {
    let flows = || broker.queues.iter().map(|q| &broker.hub.flows[q.flow]);
    let targets = flows().flat_map(|f| &f.targets);
    let [entry, prepare, attempt, restore, failed, catch, back] =
        ["in", "prepare", "attempt", "restore", "failed", "catch", "back"].map(delivery_id);
    nodes.add(&entry, "link in", tab, "every egress's targets", at(0, 0), &[&[&prepare]], json!({"links": []}));
    let sending = sending_nodes(targets, tab, (&restore, &failed), nodes);
    nodes.add(&prepare, "change", tab, "map the body", at(1, 0), &[&[&attempt]], change(request_rules()));
    static ATTEMPT: Code = Code::new(DELIVERY_ATTEMPT_JS);
    nodes.add_function(&attempt, tab, "which attempt", at(1, 1), &[&[&sending.ready]], (&ATTEMPT, 1));
    let ok = change(vec![set("payload", RESTORE, "msg"), set("_wp.ok", "true", "bool")]);
    nodes.add(&restore, "change", tab, "delivered: the payload again", at(5, 0), &[&[&back]], ok);
    let failure = change(vec![set("_wp.ok", "false", "bool"), set("delay", BACKOFF, "jsonata")]);
    nodes.add(&failed, "change", tab, "failed: the wait before the redelivery", at(5, 1), &[&[&back]], failure);
    // A call into a throttle or the loop guard's memory that fails (its
    // tab missing from this process) is a failed attempt, as a connection
    // error is.
    let scope: Vec<&String> = std::iter::once(&sending.request).chain(&sending.calls).collect();
    nodes.add(
        &catch,
        "catch",
        tab,
        "connection errors",
        at(4, 1),
        &[&[&failed]],
        json!({"scope": scope, "uncaught": false}),
    );
    let answer = json!({"mode": "return", "links": []});
    nodes.add(&back, "link out", tab, "back to the egress", at(6, 0), &[], answer);
    if flows().any(|f| f.log) {
        let [audit_in, line, audit] = ["audit in", "audit line", "audit"].map(delivery_id);
        nodes.add(&audit_in, "link in", tab, "every egress's audit lines", at(0, 4), &[&[&line]], json!({"links": []}));
        audit_nodes(&line, &audit, tab, at(1, 4), nodes);
    }
}

/// `package.json` for the Node-RED user folder: `npm install` there gets
/// the runtime and the AMQP client of wireplan's nodes, pinned.
pub(super) fn package() -> String {
    let package = json!({
        "name": "wireplan-connectors",
        "private": true,
        "description": "Generated by `wireplan build --target broker`; do not edit.",
        "dependencies": {"amqplib": AMQPLIB_VERSION, "node-red": NODE_RED_VERSION},
        "scripts": {"start": "node-red --settings settings.js --userDir ."},
    });
    let mut text = serde_json::to_string_pretty(&package).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two flows syncing `a` and `b` both ways; `EXTRA` goes into each.
    const TWO_WAY: &str = r#"
system "a" kind=crm { webhooks #true; }
system "b" kind=email {
    webhooks #true
    RATE
}
event "a.changed" from=a { key "id"; field "id" type=string required=#true; }
event "b.changed" from=b { key "id"; field "id" type=string required=#true; }
flow "a-to-b" {
    on "a.changed"
    to b action=upsert { map "id" to="id"; }
    EXTRA
}
flow "b-to-a" {
    on "b.changed"
    to a action=upsert { map "id" to="id"; }
    EXTRA
}
flow "a-to-b-again" {
    on "a.changed"
    to b action=update { map "id" to="id"; }
}
"#;

    fn flows(extra: &str, rate: &str) -> Vec<Value> {
        let spec = crate::lint::test_spec(&TWO_WAY.replace("EXTRA", extra).replace("RATE", rate));
        let emitted = super::super::emit(&crate::emit::Input { spec: &spec });
        let file = emitted.artifacts.iter().find(|a| a.path == crate::emit::nodered::FLOWS_PATH).unwrap();
        serde_json::from_slice::<Value>(&file.bytes()).unwrap().as_array().unwrap().clone()
    }

    fn named<'a>(nodes: &'a [Value], name: &str) -> Vec<&'a Value> {
        nodes.iter().filter(|n| n["name"] == name).collect()
    }

    #[test]
    fn a_throttled_flow_holds_no_more_deliveries_than_the_consumer_timeout_allows() {
        let prefetch = |rate: &str| -> (Vec<(String, u64)>, Vec<String>) {
            let spec = crate::lint::test_spec(&TWO_WAY.replace("EXTRA", "").replace("RATE", rate));
            let emitted = super::super::emit(&crate::emit::Input { spec: &spec });
            let file = emitted.artifacts.iter().find(|a| a.path == crate::emit::nodered::FLOWS_PATH).unwrap();
            let nodes: Vec<Value> = serde_json::from_slice::<Value>(&file.bytes()).unwrap().as_array().unwrap().clone();
            let mut held: Vec<(String, u64)> = nodes
                .iter()
                .filter(|n| n["type"] == "wireplan-amqp-consume")
                .map(|n| (n["queue"].as_str().unwrap().to_owned(), n["prefetch"].as_u64().unwrap()))
                .collect();
            held.sort();
            (held, emitted.notes.iter().map(|n| n.message.clone()).filter(|m| m.contains("consumer_timeout")).collect())
        };
        let held =
            |a: u64, b: u64| vec![("a-to-b".to_owned(), a), ("a-to-b-again".to_owned(), a), ("b-to-a".to_owned(), b)];
        // Two flows share b's throttle: 10 each while 20 waits fit in 15
        // minutes; one each at 10 an hour (12 minutes a round); one each and
        // a note at 1 an hour. The flow to `a` keeps 10 throughout.
        assert_eq!(prefetch(""), (held(10, 10), vec![]));
        assert_eq!(prefetch("rate-limit 10 per=second"), (held(10, 10), vec![]));
        assert_eq!(prefetch("rate-limit 10 per=hour"), (held(1, 10), vec![]));
        let (slow, notes) = prefetch("rate-limit 1 per=hour");
        assert_eq!(slow, held(1, 10));
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("may wait 121 minutes"), "{notes:?}");
    }

    #[test]
    fn the_loop_guard_and_the_throttle_are_laid_out_only_where_the_spec_asks() {
        let plain = flows("log", "");
        for piece in ["loop guard", "remember the write (loop guard)", "rate-limited?", "acknowledge the echo"] {
            assert!(named(&plain, piece).is_empty(), "{piece}");
        }
        let shared = ["wireplan: ingress and health", "wireplan: delivery"];
        assert!(!plain.iter().any(|n| n["type"] == "tab"
            && !shared.contains(&n["label"].as_str().unwrap())
            && n["label"].as_str().unwrap().starts_with("wireplan:")));
        // Every egress calls the one delivery chain, and answers on its own queue.
        let entry = plain.iter().find(|n| n["name"] == "every egress's targets").unwrap();
        let calls = named(&plain, "deliver to the target");
        assert_eq!(calls.len(), 3);
        assert!(calls.iter().all(|c| c["links"] == serde_json::json!([entry["id"]])));
        assert_eq!(plain.iter().filter(|n| n["type"] == "http request").count(), 1);
        // The chain computes a failed attempt's wait; the egresses of the
        // flows that log (the first two) audit by the one audit line.
        let failed = plain.iter().find(|n| n["name"] == "failed: the wait before the redelivery").unwrap();
        assert_eq!(failed["rules"][1]["p"], "delay");
        assert_eq!(plain.iter().filter(|n| n["rules"][1]["p"] == "delay").count(), 1, "one back-off expression");
        let audit_in = plain.iter().find(|n| n["name"] == "every egress's audit lines").unwrap();
        let to_the_log = named(&plain, "to the audit log");
        assert_eq!(to_the_log.len(), 2);
        assert!(to_the_log.iter().all(|l| l["links"] == serde_json::json!([audit_in["id"]])));
        assert_eq!(named(&plain, "audit line").len(), 1);

        // `loop-guard`: each guarded flow's consumer starts at the echo
        // check, whose echo output acknowledges the delivery on its queue.
        let guarded = flows("log\n    loop-guard", "");
        let guards = named(&guarded, "loop guard");
        assert_eq!(guards.len(), 2);
        for guard in guards {
            let consume =
                guarded.iter().find(|n| n["type"] == "wireplan-amqp-consume" && n["z"] == guard["z"]).unwrap();
            assert_eq!(consume["wires"], serde_json::json!([[guard["id"]]]));
            let echo = guarded.iter().find(|n| n["name"] == "echo?" && n["z"] == guard["z"]).unwrap();
            let dropped: Vec<&Value> = echo["wires"][0]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| guarded.iter().find(|n| &n["id"] == id).unwrap())
                .collect();
            let ack = dropped.iter().find(|n| n["type"] == "wireplan-amqp-ack").unwrap();
            assert_eq!((&ack["queue"], &ack["nack"]), (&consume["queue"], &Value::Bool(false)));
            assert!(dropped.iter().any(|n| n["name"] == "echo suppressed"), "audited where the flow logs");
        }
        // Every flow that writes to a guarded system remembers, the
        // unguarded third one too (in the shared chain, by its target's
        // configuration); the guard's code is in the file once.
        assert_eq!(named(&guarded, "remember the write (loop guard)").len(), 1);
        let echo = |flow: &str| {
            let to = guarded.iter().find(|n| {
                n["type"] == "change"
                    && n["rules"][0]["to"].as_str().is_some_and(|t| t.contains(&format!("\"flow\":\"{flow}\"")))
                    && n["name"].as_str().is_some_and(|l| l.starts_with("to "))
            });
            serde_json::from_str::<Value>(to.unwrap()["rules"][0]["to"].as_str().unwrap()).unwrap()["echo"].clone()
        };
        assert_eq!((echo("a-to-b"), echo("b-to-a"), echo("a-to-b-again")), ("b".into(), "a".into(), "b".into()));
        assert_eq!(named(&guarded, "an echo of our own write?").iter().filter(|n| n["type"] == "function").count(), 1);

        // `rate-limit` on `b`: one throttle tab, entered by both flows
        // that write to `b`, and not by the one that writes to `a`.
        let limited = flows("log", "rate-limit 10 per=second");
        let delays: Vec<&Value> = limited.iter().filter(|n| n["pauseType"] == "rate").collect();
        assert_eq!(delays.len(), 1);
        assert_eq!(delays[0]["nbRateUnits"], "0.125");
        let entry = limited.iter().find(|n| n["type"] == "link in" && n["name"] == "writes to the system").unwrap();
        let throttled: Vec<String> = limited
            .iter()
            .filter_map(|n| n["rules"][0]["to"].as_str())
            .filter_map(|to| serde_json::from_str::<Value>(to).ok())
            .filter(|config| config["throttle"] == entry["id"])
            .map(|config| config["flow"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(throttled, ["a-to-b", "a-to-b-again"]);
        assert_eq!(named(&limited, "rate-limited?").len(), 1);
        // A failed call into the throttle is a failed attempt: caught in
        // the chain; a call into the chain that fails, in each egress.
        let scopes: Vec<usize> =
            named(&limited, "connection errors").iter().map(|c| c["scope"].as_array().unwrap().len()).collect();
        assert_eq!(scopes, [1, 1, 1, 2], "{scopes:?}");
    }

    #[test]
    fn the_step_switch_is_written_as_a_map_would_write_it() {
        // Every other node is a serde_json map, whose keys come out sorted:
        // the switch written field by field must match it byte for byte.
        let switch = StepSwitch {
            checkall: "false",
            id: "next",
            name: "next target",
            outputs: 3,
            property: "_wp.step",
            property_type: "msg",
            repair: false,
            rules: Lazy(|| (0..3).map(|i| json!({"t": "eq", "v": i.to_string(), "vt": "num"}))),
            ty: "switch",
            wires: Lazy(|| (0..3).map(|i| [format!("target {i}")])),
            x: 1,
            y: 2,
            z: "tab",
        };
        let as_map = serde_json::to_value(&switch).unwrap();
        assert_eq!(serde_json::to_string_pretty(&switch).unwrap(), serde_json::to_string_pretty(&as_map).unwrap());
        assert_eq!(as_map["wires"][2][0], "target 2");
    }
}
