//! The pieces of flows that the hub and the broker's connectors both lay
//! out, so that a flow authenticates, polls, maps, sends and logs alike
//! whichever target carries it: `GET /healthz`, the front of a webhook
//! endpoint (`verify.js`), a poll's nodes, a target's configuration in
//! `msg._wp`, the request half of the delivery chain every target of every
//! flow goes through (`sending_nodes`), and the audit line.

use serde_json::{Map, Value, json};

use super::jsonata::{
    AUDIT_LINE, BODY, COPY_HEADERS, CURSOR_KEY, HEADERS, KEY_VALUE, NEW_RECORDS, NEXT_CURSOR, POLL_HEADERS, POLL_URL,
    URL,
};
use super::loop_guard::remember_node;
use super::model::{Auth, Endpoint, FieldSource, HubFlow, HubTarget, Poll};
use super::nodes::{Code, Nodes, at, change, delete, file, http_request, http_response, millis, path, set};
use super::throttle::throttle_nodes;
use super::{AUDIT_FILE, verify_call};
use crate::emit::names::id;

/// The id of the node playing `role` for the `index`th target of `flow`
/// (0 for the nodes a flow has once), in the hub's tabs and in the
/// broker's polls alike.
pub(in crate::emit) fn node_id(flow: &HubFlow, role: &str, target: usize) -> String {
    id(&["node", &flow.name, role, &target.to_string()])
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
    let scheme = ("how the producer proves itself", auth_rules(endpoint));
    verified_front(&url, scheme, ids, row, &[verified, &[&ids[4]]], tab, nodes);
    let accepted = change(vec![set("statusCode", 202, "num"), set("payload", "{\"accepted\":true}", "json")]);
    nodes.add(&ids[3], "change", tab, "202 accepted", at(3, row), &[&[&ids[4]]], accepted);
    nodes.add(&ids[4], "http response", tab, "", at(4, row), &[], http_response());
}

/// The bearer token in the environment variable `env` checked, from the
/// column and row `place` of `tab` on: the scheme (`ids[0]`) and
/// `verify.js` (`ids[1]`), which passes a request with the token, its JSON
/// body parsed, to `verified` and answers any other 401 through `response`.
/// Several routes may share it (`post_in`).
#[allow(clippy::too_many_arguments)]
pub(in crate::emit) fn bearer_check(
    env: &str,
    ids: &[String],
    response: &str,
    verified: &str,
    place: (u32, u32),
    tab: &str,
    nodes: &mut Nodes,
) {
    let scheme = change(vec![set("_wp", json!({"auth": {"scheme": "bearer", "secret_env": env}}).to_string(), "json")]);
    checked(("the bearer token it wants", scheme), ids, place, &[&[verified], &[response]], tab, nodes);
}

/// `POST <url>` as the node `id` at `pos`, the raw body kept for
/// `verify.js`, wired to `next`.
pub(in crate::emit) fn post_in(url: &str, id: &str, next: &str, pos: (u32, u32), tab: &str, nodes: &mut Nodes) {
    let props = json!({"url": url, "method": "post", "upload": false, "skipBodyParsing": true, "swaggerDoc": ""});
    nodes.add(id, "http in", tab, &format!("POST {url}"), pos, &[&[next]], props);
}

/// `POST <url>` (`ids[0]`), then `checked` (`ids[1..3]`).
fn verified_front(
    url: &str,
    scheme: (&str, Value),
    ids: &[String],
    row: u32,
    verify_wires: &[&[&str]],
    tab: &str,
    nodes: &mut Nodes,
) {
    post_in(url, &ids[0], &ids[1], at(0, row), tab, nodes);
    checked(scheme, &ids[1..3], (1, row), verify_wires, tab, nodes);
}

/// The `change` node that puts how the caller proves itself into `msg._wp`
/// (`ids[0]`, with its label) at the column and row `place`, and
/// `verify.js` (`ids[1]`) wired to `verify_wires`: what passed, what did
/// not.
fn checked(
    (label, scheme): (&str, Value),
    ids: &[String],
    (column, row): (u32, u32),
    verify_wires: &[&[&str]],
    tab: &str,
    nodes: &mut Nodes,
) {
    nodes.add(&ids[0], "change", tab, label, at(column, row), &[&[&ids[1]]], scheme);
    static VERIFY: std::sync::LazyLock<Code> = std::sync::LazyLock::new(|| Code::owned(verify_call()));
    nodes.add_function(&ids[1], tab, "verify the request", at(column + 1, row), verify_wires, (&VERIFY, 2));
}

/// The `change` node before `verify.js`: how the endpoint's producer proves
/// itself, as `msg._wp`.
fn auth_rules(endpoint: &Endpoint) -> Value {
    let auth = match &endpoint.auth {
        Auth::Bearer { env } => json!({"scheme": "bearer", "secret_env": env}),
        Auth::Hmac { env, header, algorithm, encoding, prefix, vendor } => {
            let mut auth = json!({
                "scheme": "hmac", "secret_env": env, "header": header, "algorithm": algorithm,
                "encoding": encoding, "prefix": prefix,
            });
            if let (Some(vendor), Value::Object(map)) = (vendor, &mut auth) {
                vendor.insert(map);
            }
            auth
        }
    };
    let config = json!({"auth": auth, "event": endpoint.event, "producer": endpoint.producer});
    change(vec![set("_wp", config.to_string(), "json")])
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
    poll.auth.insert(&mut config);
    let read = change(vec![
        set("_wp", Value::Object(config).to_string(), "json"),
        set("_wp.since", CURSOR_KEY, "flow"),
        set("url", POLL_URL, "jsonata"),
        set("method", "GET", "str"),
        set("headers", POLL_HEADERS, "jsonata"),
        delete("payload"),
    ]);
    // A source with credentials other than a bearer token is read through
    // `auth.js` (`flows.json` is otherwise what it was without it).
    let auth = node_id(flow, "read auth", 0);
    let next = if poll.auth.needed() { auth.as_str() } else { ids[2].as_str() };
    nodes.add(&ids[1], "change", tab, &format!("read {}", poll.system), at(1, 0), &[&[next]], read);
    if poll.auth.needed() {
        auth_node(&auth, tab, at(2, 1), &[&[&ids[2]], &[]], nodes);
    }
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
    target.auth.insert(&mut config);
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

/// The id of the tab of the delivery chain: one per Node-RED process, in
/// the hub and in the broker's connectors alike.
pub(in crate::emit) fn delivery_tab_id() -> String {
    id(&["tab", "delivery"])
}

/// The id of the node playing `role` in the delivery chain.
pub(in crate::emit) fn delivery_id(role: &str) -> String {
    id(&["delivery", role])
}

/// What the caller of `sending_nodes` wires to and catches.
pub(in crate::emit) struct Sending {
    /// Where a mapped message goes to be sent, and a failed one to be sent
    /// again: `auth.js` where a target needs credentials, else the request
    /// rules.
    pub(in crate::emit) ready: String,
    /// The `http request` node, whose connection errors the caller catches.
    pub(in crate::emit) request: String,
    /// The `link call`s a write may pass on its way (the throttle's and the
    /// loop guard's memory), which fail where their tab is missing.
    pub(in crate::emit) calls: Vec<String>,
}

/// The request half of the delivery chain, the same in the hub and in the
/// broker's connectors, for a message whose body the caller mapped
/// (`request_rules`): the credentials and key placement (`auth.js`), the
/// request rules, the wait in the system's throttle, remembering the write
/// for a loop guard, the request, and a `2xx?` switch to `delivered` or,
/// on any other status (or credentials `auth.js` could not get), to
/// `failed`. A piece none of `targets` needs is left out. Laid out in
/// columns 2 to 4 of `tab`; the mapping before it, the catch and what comes
/// after are the caller's.
pub(in crate::emit) fn sending_nodes<'a>(
    mut targets: impl Iterator<Item = &'a HubTarget> + Clone,
    tab: &str,
    (delivered, failed): (&str, &str),
    nodes: &mut Nodes,
) -> Sending {
    let [auth, send, request, status, remember] = ["auth", "send", "request", "status", "remember"].map(delivery_id);
    let authed = targets.clone().any(|t| t.auth.needed());
    let (ready, failing) = if authed { (auth.as_str(), auth.as_str()) } else { (send.as_str(), failed) };
    if authed {
        auth_node(&auth, tab, at(2, 2), &[&[&send], &[failed]], nodes);
    }
    // The writes to a rate-limited system wait in its throttle; the writes
    // a loop guard must know of are remembered just before they go out.
    let mut calls = Vec::new();
    let before_request = if targets.clone().any(|t| t.remember) {
        remember_node(&remember, tab, at(3, 3), &request, nodes);
        calls.push(remember.clone());
        remember.as_str()
    } else {
        request.as_str()
    };
    let after_send = if targets.any(|t| t.throttle.is_some()) {
        let throttle = ["throttled?", "to the throttle", "wait its turn"].map(delivery_id);
        let first = throttle_nodes(&throttle, tab, at(2, 3), before_request, nodes);
        let [_, _, call] = throttle;
        calls.insert(0, call);
        first
    } else {
        before_request.to_owned()
    };
    nodes.add(&send, "change", tab, "send", at(2, 0), &[&[&after_send]], send_rules());
    nodes.add(&request, "http request", tab, "", at(3, 0), &[&[&status]], http_request());
    nodes.add(&status, "switch", tab, "2xx?", at(4, 0), &[&[delivered], &[failing]], status_switch());
    Sending { ready: ready.to_owned(), request, calls }
}

/// The audit line of a delivery (`line_id`, a `change` node at `pos`) and
/// the `file` node (`file_id`, a column to its right) that appends it to
/// the audit log.
pub(in crate::emit) fn audit_nodes(line_id: &str, file_id: &str, tab: &str, pos: (u32, u32), nodes: &mut Nodes) {
    let line = change(vec![set("payload", AUDIT_LINE, "jsonata")]);
    nodes.add(line_id, "change", tab, "audit line", pos, &[&[file_id]], line);
    nodes.add(file_id, "file", tab, "audit log", (pos.0 + 190, pos.1), &[&[]], file(AUDIT_FILE));
}

/// `auth.js` as the node `id`: a target's credentials and key placement
/// before each attempt (first output), and the failures after one that it
/// does not retry itself (second output).
pub(in crate::emit) fn auth_node(id: &str, tab: &str, pos: (u32, u32), wires: &[&[&str]], nodes: &mut Nodes) {
    static AUTH: Code = Code::new(super::auth::AUTH_JS);
    nodes.add_function(id, tab, "credentials and key", pos, wires, (&AUTH, 2));
}
