//! The Node-RED kit: what the hub (`emit/hub`) and the broker's connectors
//! (`emit/broker`) are both built on, so that neither backend imports the
//! other and a flow behaves alike on both.
//!
//! - `model` and `plan`: the flow model both lower to (`Hub`: webhook
//!   endpoints, and per flow its trigger and targets with every name and
//!   default decided), read from the spec once.
//! - `nodes`: the node builders and `PrettyArray`, the writer of
//!   `flows.json`.
//! - `parts`: the pieces both lay out: the health check, the front of a
//!   webhook endpoint, a poll, a target's configuration and the request
//!   rules, the audit line.
//! - `jsonata`: the fixed expressions those pieces evaluate.
//! - `loop_guard` and `throttle`: `loop-guard` (echo suppression, with its
//!   fixed code `loop_guard.js`) and `rate-limit` (one queue per system),
//!   which the hub's flows and the broker's egress tabs both lay out.
//! - `settings.js` (`settings`) and `verify.js` (the webhook check): fixed
//!   files, the same for both.
//!
//! No spec name reaches code: the expressions and the function are
//! constants of the kit, and names reach `flows.json` only as JSON strings
//! written by serde.

pub(in crate::emit) mod auth;
pub(in crate::emit) mod jsonata;
pub(in crate::emit) mod loop_guard;
pub(in crate::emit) mod model;
pub(in crate::emit) mod nodes;
pub(in crate::emit) mod parts;
mod plan;
pub(in crate::emit) mod throttle;

pub(in crate::emit) use plan::plan;

/// The rows of a generated README's environment table for the admin API
/// `settings.js` offers (`wireplan drift` and `wireplan deploy` use it).
pub(in crate::emit) const ADMIN_ENV_ROWS: &str = "| `WIREPLAN_ADMIN_TOKEN` | optional: turns on Node-RED's admin API at \
     `/admin`, behind this bearer token, for `wireplan drift` and `wireplan deploy` (off when unset) |\n\
     | `WIREPLAN_ADMIN_READ_TOKEN` | optional: a second token that may only read the admin API (for a scheduled \
     `wireplan drift`) |\n";

/// Where Node-RED's files go in the output folder.
pub(crate) const FLOWS_PATH: &str = "node-red/flows.json";
pub(crate) const SETTINGS_PATH: &str = "node-red/settings.js";

/// The file names, relative to the data folder, of the audit log and the
/// dead letters (one JSON object per line each).
pub(crate) const AUDIT_FILE: &str = "audit.jsonl";
pub(crate) const DEAD_LETTER_FILE: &str = "dead-letters.jsonl";

/// The webhook check (fixed code), defined once in `settings.js`.
const VERIFY_JS: &str = include_str!("verify.js");

/// The name the webhook check has in Node-RED's global context: `wireplan_verify_`
/// and the first eight hex digits of the SHA-256 of its code, so that flows
/// find only the code they were built with.
fn verify_key() -> &'static str {
    static KEY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(VERIFY_JS.as_bytes());
        let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!("wireplan_verify_{hex}")
    });
    &KEY
}

/// The body of every endpoint's `verify the request` function node: it
/// calls the check `settings.js` defines (`verify_key`), and answers 503
/// where this Node-RED was started with another build's `settings.js`.
pub(in crate::emit) fn verify_call() -> String {
    format!(
        "// wireplan: the webhook check, verify.js, defined once in settings.js.\n\
         const check = global.get({key:?});\n\
         if (typeof check !== \"function\") {{\n    \
             msg.statusCode = 503;\n    \
             msg.payload = {{ error: \"this Node-RED was started with another build's settings.js: \
             restart it with the settings.js built beside flows.json\" }};\n    \
             return [null, msg];\n\
         }}\n\
         return check(msg, env, global);\n",
        key = verify_key()
    )
}

/// The Node-RED settings: fixed text but for the list of required
/// variables, the target named in its first line and its context stores.
const SETTINGS: &str = include_str!("settings.js");

/// The context store every flow keeps its poll cursors in: on disk.
const DISK_STORE: &str = "        default: { module: \"localfilesystem\", config: { flushInterval: 1 } },\n";
/// The broker's stores: which connections are up is kept in memory, so that
/// a restart does not start from a stale "connected".
const DISK_AND_MEMORY_STORES: &str = "        default: { module: \"localfilesystem\", config: { flushInterval: 1 } },\n        \
                                      memory: { module: \"memory\" },\n";

/// `settings.js` for `--target <target>`, requiring the environment
/// variables `required` (plain identifiers, written by serde), with a
/// memory context store beside the disk one when `memory` is set.
pub(in crate::emit) fn settings<'a>(target: &str, required: impl IntoIterator<Item = &'a str>, memory: bool) -> String {
    let names: Vec<&str> = required.into_iter().collect();
    let list = serde_json::to_string(&names).unwrap_or_else(|_| "[]".into());
    let mut text = SETTINGS.replacen("const REQUIRED_ENV = [];", &format!("const REQUIRED_ENV = {list};"), 1);
    // `settings.js` is written for the hub; its first line names the target.
    text = text.replace("--target hub", &format!("--target {target}"));
    let code = format!(
        "const WIREPLAN_CODE = {{\n    {:?}: function (msg, env, global) {{\n{VERIFY_JS}    }},\n}};",
        verify_key()
    );
    text = text.replacen("const WIREPLAN_CODE = {};", &code, 1);
    if memory {
        text = text.replacen(DISK_STORE, DISK_AND_MEMORY_STORES, 1);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_require_the_variables_and_name_the_target() {
        let hub = settings("hub", ["A_URL", "B"], false);
        assert!(hub.contains("const REQUIRED_ENV = [\"A_URL\",\"B\"];"), "{hub}");
        assert!(hub.contains("--target hub") && !hub.contains("module: \"memory\""));
        // The webhook check is defined once, under the name its nodes call.
        let key = verify_key();
        assert!(hub.contains(&format!("{key:?}: function (msg, env, global) {{")), "{hub}");
        assert!(hub.contains("...WIREPLAN_CODE }") && verify_call().contains(&format!("global.get({key:?})")));
        let broker = settings("broker", [], true);
        assert!(broker.contains("--target broker") && !broker.contains("--target hub"));
        assert!(broker.contains("const REQUIRED_ENV = [];"));
        assert!(broker.contains("memory: { module: \"memory\" }"), "{broker}");
    }
}
