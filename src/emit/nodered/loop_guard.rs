//! `loop-guard` in Node-RED: the integration does not pass on a change it
//! made itself. Echo suppression as integration platforms do it: every write
//! to a system that a loop-guarded flow listens to is remembered (a
//! fingerprint of the fields written, per system, for a window) just before
//! the request goes out, and a change from that system that only repeats
//! those values is dropped at the start of the flow and audited as
//! `echo-suppressed`. The code is one fixed file (`loop_guard.js`, which says
//! how the fingerprint is made and how the memory is bounded); the system to
//! key by travels in `msg._wp` as data. The memory lives in the global
//! context's `memory` store, shared by every flow, since the write is made
//! by one flow and its echo arrives on another.

use serde_json::{Map, Value, json};

use super::jsonata::ECHO_LINE;
use super::model::{HubFlow, HubTarget};
use super::nodes::{Nodes, change, file, set};
use super::{AUDIT_FILE, parts::node_id};

/// The loop guard's fixed code, ending in the call each node makes.
const CHECK_JS: &str = concat!(include_str!("loop_guard.js"), "\nreturn check();\n");
const REMEMBER_JS: &str = concat!(include_str!("loop_guard.js"), "\nreturn remember();\n");

/// What the generated README and the build summary say of the window and
/// the bounds (the constants of `loop_guard.js`).
pub(in crate::emit) const WINDOW_MINUTES: u32 = 5;
pub(in crate::emit) const CAP: u32 = 10_000;

fn function(code: &str, outputs: u32) -> Value {
    json!({
        "func": code, "outputs": outputs, "timeout": 0, "noerr": 0, "initialize": "", "finalize": "", "libs": [],
    })
}

/// Adds `echo` (the system's name) to a target's configuration when its
/// writes must be remembered.
pub(in crate::emit) fn remember_config(target: &HubTarget, config: &mut Map<String, Value>) {
    if target.remember {
        config.insert("echo".into(), target.system.clone().into());
    }
}

/// The node that remembers each write whose configuration says `echo`, and
/// passes every message on to `next`.
pub(in crate::emit) fn remember_node(id: &str, tab: &str, pos: (u32, u32), next: &str, nodes: &mut Nodes) {
    nodes.add(id, "function", tab, "remember the write (loop guard)", pos, &[&[next]], function(REMEMBER_JS, 1));
}

/// The start of a loop-guarded flow whose changes come from `source`: the
/// guard's configuration, then the check, which passes a change on to
/// `starts` or drops an echo (with an audit line when the flow has `log`).
/// Returns the id the trigger must wire to.
pub(in crate::emit) fn guard_nodes(
    flow: &HubFlow,
    source: &str,
    tab: &str,
    pos: (u32, u32),
    starts: &[&str],
    nodes: &mut Nodes,
) -> String {
    let ids: Vec<String> = ["guard", "echo?", "echo line", "echo audit"].iter().map(|r| node_id(flow, r, 0)).collect();
    let config = json!({"flow": flow.name, "source": source});
    let rules = change(vec![set("_wp", config.to_string(), "json")]);
    nodes.add(&ids[0], "change", tab, "loop guard", pos, &[&[&ids[1]]], rules);
    let echo_wires: &[&str] = if flow.log { &[&ids[2]] } else { &[] };
    let check = function(CHECK_JS, 2);
    nodes.add(&ids[1], "function", tab, "an echo of our own write?", (pos.0, pos.1 + 70), &[starts, echo_wires], check);
    if flow.log {
        let line = change(vec![set("payload", ECHO_LINE, "jsonata")]);
        nodes.add(&ids[2], "change", tab, "echo suppressed", (pos.0 + 190, pos.1 + 140), &[&[&ids[3]]], line);
        nodes.add(&ids[3], "file", tab, "audit log", (pos.0 + 380, pos.1 + 140), &[&[]], file(AUDIT_FILE));
    }
    ids[0].clone()
}
