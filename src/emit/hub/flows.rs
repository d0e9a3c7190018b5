//! The `Hub` as Node-RED nodes (`flows.json`).
//!
//! One tab holds the webhook endpoints and `GET /healthz`; each flow of the
//! spec has a tab of its own. An endpoint checks the request (`verify.js`),
//! answers 202 or 401, and passes the event by `link` nodes to every flow it
//! triggers. A poll is an `inject` on the interval that reads the source,
//! keeps the newest records by their cursor field in flow context (on disk,
//! see `settings.js`) and splits them into one message each. Per target, one
//! `change` node puts the target's configuration into `msg._wp`; from there
//! the targets of a flow share one chain, since all that differs travels in
//! `msg._wp`: a `change` node maps the body with a fixed JSONata expression
//! that reads the mapping from `msg._wp.fields` (field names as paths: a dot
//! separates nested keys), the request goes out, a `switch` accepts 2xx only,
//! a `catch` takes connection errors, and failures wait (`delay`) and try
//! again until the attempts run out, then go to the dead-letter file. So
//! `flows.json` grows by one small node per target (a flow of 20,000 targets
//! once had fourteen nodes and the fixed expressions for each, 150 times the
//! spec's size). Every expression and
//! the function code are constants of this file; spec names only ever
//! appear inside JSON values that serde writes.

use serde_json::{Map, Value, json};

use super::{AUDIT_FILE, DEAD_LETTER_FILE};
use super::{Auth, Endpoint, FieldSource, Hub, HubFlow, HubTarget, HubTrigger, Poll};
use crate::emit::names::id;

/// The webhook check (fixed code).
const VERIFY_JS: &str = include_str!("verify.js");

/// Reads a path (an array of keys, from a dotted field name) from an object.
macro_rules! get_fn {
    () => {
        "$get := function($o, $path) { $reduce($path, function($v, $k) { \
         $type($v) = \"object\" ? $lookup($v, $k) : undefined }, $o) };"
    };
}
/// The body of a write: the trigger's payload unchanged when the `to` maps
/// nothing, else one value per `map` (read from the payload by its path) or
/// `set` (the constant), each written at its path, so `merge_fields.SCORE`
/// makes `{"merge_fields": {"SCORE": ...}}`.
const BODY: &str = concat!(
    "$count(_wp.fields) = 0 ? _wp.input : ( ",
    get_fn!(),
    " $put := function($o, $path, $v) { ( $k := $path[0]; \
     $rest := $count($path) > 1 ? $path[[1..$count($path) - 1]] : []; $has := $lookup($o, $k); \
     $merge([$o, {$k: $count($rest) = 0 ? $v : $put($type($has) = \"object\" ? $has : {}, $rest, $v)}]) ) }; \
     $reduce(_wp.fields, function($acc, $f) { ( $v := $exists($f.from) ? $get(_wp.input, $f.from) : $f.value; \
     $exists($v) ? $put($acc, $f.to, $v) : $acc ) }, {}) )"
);
/// The idempotency key's value, read once from the trigger's payload.
pub(in crate::emit) const KEY_VALUE: &str =
    concat!("( ", get_fn!(), " $exists(_wp.key) ? $string($get(_wp.input, _wp.key)) )");
/// JSON, the target's token if it has one (and it is set), and the
/// idempotency key.
const HEADERS: &str = "$merge([{\"Content-Type\": \"application/json\"}, \
    $exists(_wp.token_env) and $env(_wp.token_env) ? {\"Authorization\": \"Bearer \" & $env(_wp.token_env)} : {}, \
    $exists(_wp.key_value) ? {\"Idempotency-Key\": _wp.key_value} : {}])";
/// The request's URL: the base URL from the environment and the path. (A
/// `${VAR}/path` in the request node's own URL would be sent literally.)
const URL: &str = "$env(_wp.url_env) & _wp.path";
/// A copy of the headers: the request node replaces `msg.headers` with the
/// response's, and a retry must send the original ones.
const COPY_HEADERS: &str = "$merge([{}, _wp.headers])";
/// Milliseconds before the next attempt.
const BACKOFF: &str = "_wp.exponential ? $min([_wp.initial * $power(2, _wp.attempt - 1), _wp.max]) : _wp.initial";
const NEXT_ATTEMPT: &str = "_wp.attempt + 1";
pub(in crate::emit) const AUDIT_LINE: &str = "$string({\"time\": $now(), \"flow\": _wp.flow, \"target\": _wp.target, \
    \"outcome\": _wp.outcome, \"attempts\": _wp.attempt, \"status\": statusCode, \"error\": error.message, \
    \"method\": _wp.method, \"path\": _wp.path, \
    \"idempotency_key\": _wp.key_value})";
const DEAD_LETTER_LINE: &str = "$string({\"time\": $now(), \"flow\": _wp.flow, \"target\": _wp.target, \
    \"attempts\": _wp.attempt, \"status\": statusCode, \"error\": error.message, \
    \"response\": $type(statusCode) = \"number\" ? payload, \
    \"request\": {\"method\": _wp.method, \"path\": _wp.path, \"body\": _wp.body}, \"input\": _wp.input})";
const POLL_URL: &str = "$env(_wp.url_env) & _wp.path & ($exists(_wp.since) ? \
    ($contains(_wp.path, \"?\") ? \"&\" : \"?\") & \"since=\" & $encodeUrlComponent($string(_wp.since)) : \"\")";
const POLL_HEADERS: &str = "$merge([{\"Accept\": \"application/json\"}, \
    $exists(_wp.token_env) and $env(_wp.token_env) ? {\"Authorization\": \"Bearer \" & $env(_wp.token_env)} : {}])";
/// The records newer than the cursor (all of them the first time).
const NEW_RECORDS: &str = concat!(
    "( ",
    get_fn!(),
    " $c := _wp.since; $k := _wp.cursor; $r := $type(payload) = \"array\" ? payload : []; \
     [$filter($r, function($v) { $exists($get($v, $k)) and ($not($exists($c)) or $get($v, $k) > $c) })] )"
);
/// The newest cursor value seen, the old one included.
const NEXT_CURSOR: &str = concat!(
    "( ",
    get_fn!(),
    " $k := _wp.cursor; \
     $xs := $append($exists(_wp.since) ? [_wp.since] : [], $map(payload, function($v) { $get($v, $k) })); \
     $reduce($xs, function($a, $x) { $a >= $x ? $a : $x }) )"
);
/// The flow-context key of a poll's cursor.
const CURSOR_KEY: &str = "wireplan_cursor";

/// Column and row spacing on a tab (a node without `x`/`y` would be taken
/// for a configuration node).
pub(in crate::emit) fn at(column: u32, row: u32) -> (u32, u32) {
    (140 + column * 190, 60 + row * 70)
}

pub(in crate::emit) struct Nodes(pub(in crate::emit) Vec<Value>);

impl Nodes {
    /// Adds a node; `props` are its type's own properties.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::emit) fn add(
        &mut self,
        id: &str,
        ty: &str,
        tab: &str,
        name: &str,
        pos: (u32, u32),
        wires: &[&[&str]],
        props: Value,
    ) {
        let mut node = Map::new();
        node.insert("id".into(), id.into());
        node.insert("type".into(), ty.into());
        node.insert("z".into(), tab.into());
        node.insert("name".into(), name.into());
        node.insert("x".into(), pos.0.into());
        node.insert("y".into(), pos.1.into());
        node.insert("wires".into(), json!(wires));
        if let Value::Object(props) = props {
            node.extend(props);
        }
        self.0.push(Value::Object(node));
    }
}

/// A `change` rule setting `msg.<p>` (or flow context, with `pt`) to `to` of type `tot`.
pub(in crate::emit) fn set(p: &str, to: impl Into<Value>, tot: &str) -> Value {
    json!({"t": "set", "p": p, "pt": "msg", "to": to.into(), "tot": tot})
}

pub(in crate::emit) fn delete(p: &str) -> Value {
    json!({"t": "delete", "p": p, "pt": "msg"})
}

pub(in crate::emit) fn change(rules: Vec<Value>) -> Value {
    json!({"rules": rules, "action": "", "property": "", "from": "", "to": "", "reg": false})
}

pub(in crate::emit) fn file(filename: &str) -> Value {
    json!({
        "filename": filename, "filenameType": "str", "appendNewline": true, "createDir": true,
        "overwriteFile": "false", "encoding": "utf8",
    })
}

pub(in crate::emit) fn http_request() -> Value {
    json!({
        "method": "use", "ret": "txt", "paytoqs": "ignore", "url": "", "tls": "", "persist": false,
        "proxy": "", "insecureHTTPParser": false, "authType": "", "senderr": true, "headers": [],
    })
}

fn http_response() -> Value {
    json!({"statusCode": "", "headers": {}})
}

/// `flows.json`: pretty-printed, keys sorted (serde_json's map), tabs first
/// in spec order, then nodes in the order they were made. Nodes are written
/// out as they are made, a few at a time, never all held as values.
pub(super) fn render(hub: &Hub) -> String {
    let mut out = PrettyArray::default();
    let ingress = id(&["tab", "webhooks"]);
    out.push(&json!({
        "id": ingress, "type": "tab", "label": "wireplan: webhooks and health", "disabled": false,
        "info": "Generated by `wireplan build --target hub`; do not edit. Webhook endpoints (POST /hooks/...) and GET /healthz.",
    }));
    for flow in &hub.flows {
        out.push(&json!({
            "id": tab_id(flow), "type": "tab", "label": flow.name, "disabled": false,
            "info": "Generated by `wireplan build --target hub` from the flow of this name; do not edit.",
        }));
    }
    let mut nodes = Nodes(Vec::new());
    endpoints(hub, &ingress, &mut nodes);
    out.take(&mut nodes);
    for flow in &hub.flows {
        flow_tab(hub, flow, &tab_id(flow), &mut nodes, &mut out);
    }
    out.finish()
}

/// A JSON array written item by item, formatted exactly as serde_json's
/// pretty printer formats the whole array: a flow of 20,000 targets made
/// 20,000 nodes' worth of maps before a byte was written. Each item is
/// serialized straight into the text, never first into a string of its own
/// (the broker's step switch is megabytes).
#[derive(Default)]
pub(in crate::emit) struct PrettyArray {
    text: Vec<u8>,
}

/// Writes into the array's text, every line two spaces in: serde_json
/// escapes every newline inside a string, so each newline it writes starts
/// a line of the item.
struct Indented<'a>(&'a mut Vec<u8>);

impl std::io::Write for Indented<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            self.0.extend_from_slice(line);
            if line.ends_with(b"\n") {
                self.0.extend_from_slice(b"  ");
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl PrettyArray {
    pub(in crate::emit) fn push(&mut self, item: &impl serde::Serialize) {
        self.text.extend_from_slice(if self.text.is_empty() { b"[\n  " } else { b",\n  " });
        let start = self.text.len();
        if serde_json::to_writer_pretty(Indented(&mut self.text), item).is_err() {
            // Only a map with keys that are not strings fails, and no node
            // has one: leave no half-written item.
            self.text.truncate(start);
        }
    }

    /// Writes the nodes made so far and forgets them.
    pub(in crate::emit) fn take(&mut self, nodes: &mut Nodes) {
        for node in nodes.0.drain(..) {
            self.push(&node);
        }
    }

    pub(in crate::emit) fn finish(mut self) -> String {
        self.text.extend_from_slice(if self.text.is_empty() { b"[]\n" } else { b"\n]\n" });
        // serde_json writes UTF-8 only.
        String::from_utf8(self.text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

fn tab_id(flow: &HubFlow) -> String {
    tab_id_of(&flow.name)
}

/// The id of the tab of the flow named `name`.
pub(super) fn tab_id_of(name: &str) -> String {
    id(&["tab", "flow", name])
}

/// The id of the node playing `role` in the webhook endpoint of `event`.
pub(super) fn endpoint_id(event: &str, role: &str) -> String {
    id(&["endpoint", event, role])
}

fn node_id(flow: &HubFlow, role: &str, target: usize) -> String {
    id(&["node", &flow.name, role, &target.to_string()])
}

fn link_in_id(flow: &HubFlow) -> String {
    node_id(flow, "link in", 0)
}

/// `GET /healthz`, answered 200 `{"status":"ok"}`, on the first row of
/// `tab`: the hub and the broker's connectors both serve it.
pub(in crate::emit) fn health_check(tab: &str, nodes: &mut Nodes) {
    let health = [id(&["healthz", "in"]), id(&["healthz", "answer"]), id(&["healthz", "response"])];
    nodes.add(
        &health[0],
        "http in",
        tab,
        "GET /healthz",
        at(0, 0),
        &[&[&health[1]]],
        json!({
            "url": "/healthz", "method": "get", "upload": false, "skipBodyParsing": false, "swaggerDoc": "",
        }),
    );
    let ok = change(vec![set("statusCode", 200, "num"), set("payload", "{\"status\":\"ok\"}", "json")]);
    nodes.add(&health[1], "change", tab, "ok", at(1, 0), &[&[&health[2]]], ok);
    nodes.add(&health[2], "http response", tab, "", at(2, 0), &[], http_response());
}

/// The webhook endpoints and the health check.
fn endpoints(hub: &Hub, tab: &str, nodes: &mut Nodes) {
    health_check(tab, nodes);

    for (row, endpoint) in hub.endpoints.iter().enumerate() {
        let row = row as u32 + 1;
        let ids: Vec<String> = ["in", "scheme", "verify", "accepted", "response", "out"]
            .iter()
            .map(|role| endpoint_id(&endpoint.event, role))
            .collect();
        webhook_endpoint(endpoint, &ids, row, &[&ids[3], &ids[5]], tab, nodes);
        let links: Vec<String> = endpoint.flows.iter().map(|&f| link_in_id(&hub.flows[f])).collect();
        nodes.add(&ids[5], "link out", tab, "to its flows", at(3, row), &[], json!({"mode": "link", "links": links}));
    }
}

/// The front of a webhook endpoint on row `row` of `tab`, which the hub and
/// the broker's ingress share: `POST /hooks/<event>` (`ids[0]`), how the
/// producer proves itself (`ids[1]`), `verify.js` (`ids[2]`: a verified
/// request goes on to `verified`, a refused one answers 401), the 202 answer
/// (`ids[3]`) and the response (`ids[4]`).
pub(in crate::emit) fn webhook_endpoint(
    endpoint: &Endpoint,
    ids: &[String],
    row: u32,
    verified: &[&str],
    tab: &str,
    nodes: &mut Nodes,
) {
    let url = format!("/hooks/{}", endpoint.slug);
    nodes.add(
        &ids[0],
        "http in",
        tab,
        &format!("POST {url}"),
        at(0, row),
        &[&[&ids[1]]],
        json!({
            "url": url, "method": "post", "upload": false, "skipBodyParsing": true, "swaggerDoc": "",
        }),
    );
    let scheme = auth_rules(endpoint);
    nodes.add(&ids[1], "change", tab, "how the producer proves itself", at(1, row), &[&[&ids[2]]], scheme);
    nodes.add(
        &ids[2],
        "function",
        tab,
        "verify the request",
        at(2, row),
        &[verified, &[&ids[4]]],
        json!({
            "func": VERIFY_JS, "outputs": 2, "timeout": 0, "noerr": 0, "initialize": "", "finalize": "",
            "libs": [],
        }),
    );
    let accepted = change(vec![set("statusCode", 202, "num"), set("payload", "{\"accepted\":true}", "json")]);
    nodes.add(&ids[3], "change", tab, "202 accepted", at(3, row), &[&[&ids[4]]], accepted);
    nodes.add(&ids[4], "http response", tab, "", at(4, row), &[], http_response());
}

/// The `change` node before `verify.js`: how the endpoint's producer proves
/// itself, as `msg._wp`.
fn auth_rules(endpoint: &Endpoint) -> Value {
    let auth = match &endpoint.auth {
        Auth::Bearer { env } => json!({"scheme": "bearer", "secret_env": env}),
        Auth::Hmac { env, header, algorithm, encoding, prefix } => json!({
            "scheme": "hmac", "secret_env": env, "header": header, "algorithm": algorithm,
            "encoding": encoding, "prefix": prefix,
        }),
    };
    let config = json!({"auth": auth, "event": endpoint.event, "producer": endpoint.producer});
    change(vec![set("_wp", config.to_string(), "json")])
}

fn flow_tab(hub: &Hub, flow: &HubFlow, tab: &str, nodes: &mut Nodes, out: &mut PrettyArray) {
    let starts: Vec<String> = (0..flow.targets.len()).map(|t| node_id(flow, "target", t)).collect();
    let starts: Vec<&str> = starts.iter().map(String::as_str).collect();
    let mut column = 1;
    match &flow.trigger {
        HubTrigger::Webhook(endpoint) => {
            let endpoint = &hub.endpoints[*endpoint];
            let out = endpoint_id(&endpoint.event, "out");
            nodes.add(
                &link_in_id(flow),
                "link in",
                tab,
                &endpoint.event,
                at(0, 0),
                &[&starts],
                json!({"links": [out]}),
            );
        }
        HubTrigger::Poll(poll) => {
            poll_nodes(flow, poll, tab, &starts, nodes);
            column = 5;
        }
    }
    let prepare = node_id(flow, "prepare", 0);
    for (index, target) in flow.targets.iter().enumerate() {
        let label = format!("to {}", target.system);
        let config = change(config_rules(target_config(flow, target)));
        nodes.add(starts[index], "change", tab, &label, at(column, index as u32 * 2), &[&[&prepare]], config);
        out.take(nodes);
    }
    delivery_nodes(flow, tab, column + 1, nodes);
    out.take(nodes);
}

/// `inject` -> read -> 2xx? -> keep the new records, advance the cursor -> one message each.
pub(in crate::emit) fn poll_nodes(flow: &HubFlow, poll: &Poll, tab: &str, starts: &[&str], nodes: &mut Nodes) {
    let ids: Vec<String> = ["tick", "read", "get", "ok", "new", "each"].iter().map(|r| node_id(flow, r, 0)).collect();
    // Node-RED's interval is a 32-bit count of milliseconds.
    let seconds = poll.every.as_secs_f64().clamp(0.001, 2_147_483.0);
    nodes.add(
        &ids[0],
        "inject",
        tab,
        &format!("every {seconds}s"),
        at(0, 0),
        &[&[&ids[1]]],
        json!({
            "props": [], "repeat": format!("{seconds}"), "crontab": "", "once": true, "onceDelay": "0.5", "topic": "",
        }),
    );
    let mut config = Map::new();
    config.insert("flow".into(), flow.name.clone().into());
    config.insert("source".into(), poll.system.clone().into());
    config.insert("url_env".into(), poll.url_env.clone().into());
    if let Some(token) = &poll.token_env {
        config.insert("token_env".into(), token.clone().into());
    }
    config.insert("path".into(), poll.path.clone().into());
    config.insert("cursor".into(), path(&poll.cursor));
    let read = change(vec![
        set("_wp", Value::Object(config).to_string(), "json"),
        set("_wp.since", CURSOR_KEY, "flow"),
        set("url", POLL_URL, "jsonata"),
        set("method", "GET", "str"),
        set("headers", POLL_HEADERS, "jsonata"),
        delete("payload"),
    ]);
    nodes.add(&ids[1], "change", tab, &format!("read {}", poll.system), at(1, 0), &[&[&ids[2]]], read);
    let mut get = http_request();
    get["ret"] = "obj".into();
    nodes.add(&ids[2], "http request", tab, "", at(2, 0), &[&[&ids[3]]], get);
    nodes.add(&ids[3], "switch", tab, "2xx?", at(3, 0), &[&[&ids[4]]], status_switch());
    let new = change(vec![
        set("payload", NEW_RECORDS, "jsonata"),
        json!({"t": "set", "p": CURSOR_KEY, "pt": "flow", "to": NEXT_CURSOR, "tot": "jsonata"}),
    ]);
    nodes.add(&ids[4], "change", tab, "new records; advance the cursor", at(3, 1), &[&[&ids[5]]], new);
    nodes.add(
        &ids[5],
        "split",
        tab,
        "",
        at(4, 1),
        &[starts],
        json!({
            "splt": "\\n", "spltType": "str", "arraySplt": 1, "arraySpltType": "len", "stream": false, "addname": "",
        }),
    );
}

pub(in crate::emit) fn status_switch() -> Value {
    json!({
        "property": "statusCode", "propertyType": "msg", "checkall": "false", "repair": false, "outputs": 2,
        "rules": [{"t": "btwn", "v": "200", "vt": "num", "v2": "299", "v2t": "num"}, {"t": "else"}],
    })
}

/// The chain every target of `flow` shares, from its configuration in
/// `msg._wp`: prepare -> send -> request -> 2xx? -> audit; failures (and
/// `catch`) -> attempts left? -> back-off -> send again, or dead letter.
fn delivery_nodes(flow: &HubFlow, tab: &str, column: u32, nodes: &mut Nodes) {
    let roles = [
        "prepare",
        "send",
        "request",
        "status",
        "catch",
        "failed",
        "backoff",
        "wait",
        "delivered",
        "gave up",
        "audit line",
        "audit",
        "dead line",
        "dead",
    ];
    let ids: Vec<String> = roles.iter().map(|r| node_id(flow, r, 0)).collect();
    let [
        prepare,
        send,
        request,
        status,
        catch,
        failed,
        backoff,
        wait,
        delivered,
        gave_up,
        audit_line,
        audit,
        dead_line,
        dead,
    ] = std::array::from_fn(|i| ids[i].as_str());
    let row = 0;
    let c = |n: u32| column + n;

    nodes.add(prepare, "change", tab, "map the body", at(c(0), row), &[&[send]], change(request_rules()));
    nodes.add(send, "change", tab, "send", at(c(1), row), &[&[request]], send_rules());
    nodes.add(request, "http request", tab, "", at(c(2), row), &[&[status]], http_request());
    nodes.add(status, "switch", tab, "2xx?", at(c(3), row), &[&[delivered], &[failed]], status_switch());
    nodes.add(
        catch,
        "catch",
        tab,
        "connection errors",
        at(c(2), row + 1),
        &[&[failed]],
        json!({
            "scope": [request], "uncaught": false,
        }),
    );
    nodes.add(
        failed,
        "switch",
        tab,
        "attempts left?",
        at(c(4), row + 1),
        &[&[backoff], &[gave_up]],
        json!({
            "property": "_wp.attempt", "propertyType": "msg", "checkall": "false", "repair": false, "outputs": 2,
            "rules": [{"t": "lt", "v": "_wp.attempts", "vt": "msg"}, {"t": "else"}],
        }),
    );
    let backoff_rules = change(vec![set("delay", BACKOFF, "jsonata"), set("_wp.attempt", NEXT_ATTEMPT, "jsonata")]);
    nodes.add(backoff, "change", tab, "back off", at(c(5), row + 1), &[&[wait]], backoff_rules);
    nodes.add(
        wait,
        "delay",
        tab,
        "",
        at(c(5), row + 2),
        &[&[send]],
        json!({
            "pauseType": "delayv", "timeout": "1", "timeoutUnits": "seconds", "rate": "1", "nbRateUnits": "1",
            "rateUnits": "second", "randomFirst": "1", "randomLast": "5", "randomUnits": "seconds", "drop": false,
            "allowrate": false, "outputs": 1,
        }),
    );

    let audit_wires: &[&str] = if flow.log { &[audit_line] } else { &[] };
    let delivered_rules = change(vec![set("_wp.outcome", "delivered", "str")]);
    nodes.add(delivered, "change", tab, "delivered", at(c(4), row), &[audit_wires], delivered_rules);
    let mut gave_up_wires: Vec<&str> = audit_wires.to_vec();
    if flow.dead_letter {
        gave_up_wires.push(dead_line);
    }
    let gave_up_rules = change(vec![set("_wp.outcome", "failed", "str")]);
    nodes.add(gave_up, "change", tab, "attempts used up", at(c(6), row + 1), &[&gave_up_wires], gave_up_rules);
    if flow.log {
        let line = change(vec![set("payload", AUDIT_LINE, "jsonata")]);
        nodes.add(audit_line, "change", tab, "audit line", at(c(7), row), &[&[audit]], line);
        nodes.add(audit, "file", tab, "audit log", at(c(8), row), &[&[]], file(AUDIT_FILE));
    }
    if flow.dead_letter {
        let line = change(vec![set("payload", DEAD_LETTER_LINE, "jsonata")]);
        nodes.add(dead_line, "change", tab, "dead letter", at(c(7), row + 1), &[&[dead]], line);
        nodes.add(dead, "file", tab, "dead letters", at(c(8), row + 1), &[&[]], file(DEAD_LETTER_FILE));
    }
}

/// A target's configuration, as `msg._wp` holds it on the shared chain.
pub(in crate::emit) fn target_config(flow: &HubFlow, target: &HubTarget) -> Map<String, Value> {
    let mut config = Map::new();
    config.insert("flow".into(), flow.name.clone().into());
    config.insert("target".into(), target.system.clone().into());
    config.insert("url_env".into(), target.url_env.clone().into());
    if let Some(token) = &target.token_env {
        config.insert("token_env".into(), token.clone().into());
    }
    config.insert("method".into(), target.method.into());
    config.insert("path".into(), target.path.clone().into());
    let fields: Vec<Value> = target
        .fields
        .iter()
        .map(|(to, source)| match source {
            FieldSource::Field(from) => json!({"to": path(to), "from": path(from)}),
            FieldSource::Constant(value) => json!({"to": path(to), "value": value}),
        })
        .collect();
    config.insert("fields".into(), fields.into());
    if let Some(key) = &target.key {
        config.insert("key".into(), path(key));
    }
    config.insert("attempts".into(), target.attempts.into());
    config.insert("exponential".into(), target.exponential.into());
    config.insert("initial".into(), millis(target.initial).into());
    config.insert("max".into(), millis(target.max).into());
    config
}

/// The rules that put a target's configuration (`target_config`) in
/// `msg._wp` (as serde-written JSON) and a copy of the trigger's payload
/// beside it: a target's own node (the broker's egress too).
pub(in crate::emit) fn config_rules(config: Map<String, Value>) -> Vec<Value> {
    let mut copy_input = set("_wp.input", "payload", "msg");
    copy_input["dc"] = true.into();
    vec![set("_wp", Value::Object(config).to_string(), "json"), copy_input]
}

/// The rules, the same for every target, that make the request from
/// `msg._wp`: the first attempt, the mapped body, the idempotency key and
/// the headers: the shared chain's first node (the broker's egress too).
pub(in crate::emit) fn request_rules() -> Vec<Value> {
    vec![
        set("_wp.attempt", "1", "num"),
        set("_wp.body", BODY, "jsonata"),
        set("_wp.key_value", KEY_VALUE, "jsonata"),
        set("_wp.headers", HEADERS, "jsonata"),
    ]
}

/// The `change` rules before each attempt: the request from `msg._wp`.
pub(in crate::emit) fn send_rules() -> Value {
    change(vec![
        set("payload", "_wp.body", "msg"),
        set("headers", COPY_HEADERS, "jsonata"),
        set("url", URL, "jsonata"),
        set("method", "_wp.method", "msg"),
        delete("statusCode"),
        delete("error"),
    ])
}

/// A field name as the path of keys it names: a dot separates nested keys.
pub(in crate::emit) fn path(name: &str) -> Value {
    Value::Array(name.split('.').map(|k| Value::String(k.to_owned())).collect())
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_array_written_item_by_item_is_the_pretty_printed_array() {
        let items = vec![
            json!({"id": "a", "wires": [[], ["b", "c"]], "props": {}, "text": "two\nlines \"quoted\""}),
            json!([]),
            json!("x\n  y"),
            json!({"nested": {"deeper": [{"k": 1}, null, true]}}),
        ];
        let mut out = PrettyArray::default();
        for item in &items {
            out.push(item);
        }
        let whole = serde_json::to_string_pretty(&Value::Array(items)).unwrap() + "\n";
        assert_eq!(out.finish(), whole);
        assert_eq!(PrettyArray::default().finish(), "[]\n");
    }
}
