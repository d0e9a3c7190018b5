//! `wireplan lsp` driven over stdio by a scripted JSON-RPC client, as an
//! editor drives it: every request the server answers, on a spec of two
//! files with non-ASCII names, edits applied and checked again.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::TempSpec;

/// A language client talking to a `wireplan lsp` process.
pub(crate) struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: mpsc::Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for responses, oldest first.
    pub(crate) notifications: Vec<Value>,
}

fn read_message(out: &mut impl BufRead) -> Option<Value> {
    let mut length = 0;
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    out.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    pub(crate) fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wireplan"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("wireplan lsp starts");
        let stdout = child.stdout.take().unwrap();
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut out = BufReader::new(stdout);
            while let Some(message) = read_message(&mut out) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        Client { child, stdin, incoming, next_id: 1, notifications: Vec::new() }
    }

    pub(crate) fn send_raw(&mut self, body: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        write!(stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        stdin.write_all(body).unwrap();
        stdin.flush().unwrap();
    }

    pub(crate) fn notify(&mut self, method: &str, params: Value) {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string();
        self.send_raw(body.as_bytes());
    }

    fn next(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        self.incoming.recv_timeout(left).expect("the server answers within its deadline")
    }

    /// Sends a request and returns its whole response (`result` or `error`).
    pub(crate) fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        self.send_raw(body.as_bytes());
        self.response(json!(id))
    }

    pub(crate) fn response(&mut self, id: Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let message = self.next(deadline);
            if message.get("method").is_some() {
                self.notifications.push(message);
            } else if message["id"] == id {
                return message;
            }
        }
    }

    pub(crate) fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// Waits for diagnostics of `uri` that satisfy `ready`, and returns them.
    pub(crate) fn diagnostics(&mut self, uri: &str, ready: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = self.notifications.iter().rposition(|n| {
                n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri && ready(&n["params"])
            });
            if let Some(i) = found {
                let n = self.notifications.remove(i);
                // Older diagnostics of this file are stale now; other files' stay.
                let mut at = 0;
                self.notifications.retain(|m| {
                    at += 1;
                    at > i || m["params"]["uri"] != uri
                });
                return n["params"]["diagnostics"].as_array().unwrap().clone();
            }
            let message = self.next(deadline);
            self.notifications.push(message);
        }
    }

    pub(crate) fn initialize(&mut self, root: &Path) -> Value {
        let result = self.result("initialize", json!({"processId": null, "rootUri": uri(root), "capabilities": {}}));
        self.notify("initialized", json!({}));
        result
    }

    /// Sends `shutdown` and `exit` and waits for the process to end.
    pub(crate) fn shutdown(mut self) -> std::process::ExitStatus {
        assert_eq!(self.result("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        self.wait()
    }

    pub(crate) fn close_stdin(&mut self) {
        self.stdin = None;
    }

    pub(crate) fn wait(mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn uri(path: &Path) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::from("file://");
    for &b in path.to_string_lossy().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The byte offset of an LSP position (UTF-16 columns).
fn offset(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let character = position["character"].as_u64().unwrap() as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// `text` with LSP text edits applied.
pub(crate) fn apply(text: &str, edits: &[Value]) -> String {
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| (offset(text, &e["range"]["start"]), offset(text, &e["range"]["end"]), e["newText"].as_str().unwrap()))
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_owned();
    for (start, end, new) in edits {
        out.replace_range(start..end, new);
    }
    out
}

fn open(client: &mut Client, path: &Path, text: &str, version: i32) -> String {
    let uri = uri(path);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "wireplan", "version": version, "text": text}}),
    );
    uri
}

fn change(client: &mut Client, uri: &str, text: &str, version: i32) {
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
    );
}

fn at(uri: &str, line: usize, character: usize) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

/// The 0-based line and UTF-16 column of the first `needle` in `text`
/// (plus `skip` bytes).
fn position_of(text: &str, needle: &str, skip: usize) -> (usize, usize) {
    let at = text.find(needle).unwrap_or_else(|| panic!("no {needle:?}")) + skip;
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, text[start..at].encode_utf16().count())
}

const ENTRY: &str = r#"include "sales.kdl"

system "crm" kind=crm {
    api rest version="1"
    webhooks #true
    entity "contact" {
        field "email" type=email required=#true
    }
}

system "mailer" kind=email {
    api rest version="1"
    entity "member" {
        field "email_address" type=email required=#true
    }
}

lint {
    warn "no-logging"
}
"#;

const SALES: &str = r#"event "contact.créé" from=crm entity=contact version=1 {
    key "email"
    field "email" type=email required=#true
    field "név𝄞" type=string
}

system "mailer" kind=email

flow "ünïcode-flow" {
    on "contact.créé"
    to mailer action=create entity=member {
        map "név𝄞" to="email_adress"
    }
    retry attempts=3
    log
}
"#;

fn rules(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

#[test]
fn every_request_works_over_stdio() {
    let spec = TempSpec::new("lsp-requests");
    let entry = spec.file("wireplan.kdl", ENTRY);
    let sales = spec.file("sales.kdl", SALES);
    let mut client = Client::start(&spec.dir);
    let init = client.initialize(&spec.dir);
    let caps = &init["capabilities"];
    for cap in ["hoverProvider", "definitionProvider", "referencesProvider", "renameProvider", "completionProvider"] {
        assert!(!caps[cap].is_null(), "no {cap}: {caps}");
    }

    // Opening one file checks the whole spec: both files get diagnostics.
    let sales_uri = open(&mut client, &sales, SALES, 1);
    let entry_uri = uri(&entry);
    let found = client.diagnostics(&sales_uri, |_| true);
    let _ = client.diagnostics(&entry_uri, |_| true);
    let codes = rules(&found);
    for rule in ["unresolved-reference", "no-dead-letter", "non-idempotent-path", "duplicate-name"] {
        assert!(codes.contains(&rule), "no {rule} in {codes:?}");
    }
    // UTF-16 columns: `"email_adress"` comes after `név𝄞`, whose 𝄞 is two
    // UTF-16 units (and four bytes).
    let unresolved = found.iter().find(|d| d["code"] == "unresolved-reference").unwrap();
    let (line, column) = position_of(SALES, "\"email_adress\"", 0);
    assert_eq!((line, column), (11, 23));
    assert_eq!(unresolved["range"]["start"], json!({"line": line, "character": column}));
    assert_eq!(unresolved["range"]["end"], json!({"line": line, "character": column + 14}));
    let href = unresolved["codeDescription"]["href"].as_str().unwrap();
    assert!(href.ends_with("/docs/rules/unresolved-reference.md"), "{href}");
    assert!(crate::util::root().join("docs/rules/unresolved-reference.md").is_file(), "the page it links to exists");
    assert!(unresolved["source"].as_str().unwrap().contains("WP007"));
    assert!(unresolved["message"].as_str().unwrap().contains("did you mean `email_address`"));
    // The duplicate points at the first declaration, in the other file.
    let duplicate = found.iter().find(|d| d["code"] == "duplicate-name").unwrap();
    let related = &duplicate["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], entry_uri);
    assert_eq!(related["location"]["range"]["start"]["line"], 10);

    // Hover: a referenced system, a node, a rule name in `lint`.
    let (l, c) = position_of(SALES, "from=crm", 6);
    let hover = client.result("textDocument/hover", at(&sales_uri, l, c));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("system `crm`") && text.contains("contact.créé"), "{text}");
    let (l, c) = position_of(SALES, "retry", 2);
    let text =
        client.result("textDocument/hover", at(&sales_uri, l, c))["contents"]["value"].as_str().unwrap().to_owned();
    assert!(text.contains("retry attempts=N"), "{text}");
    let (l, c) = position_of(SALES, "action=", 1);
    let text =
        client.result("textDocument/hover", at(&sales_uri, l, c))["contents"]["value"].as_str().unwrap().to_owned();
    assert!(text.contains("`upsert`"), "{text}");
    open(&mut client, &entry, ENTRY, 1);
    let _ = client.diagnostics(&entry_uri, |_| true);
    let (l, c) = position_of(ENTRY, "no-logging", 3);
    let text =
        client.result("textDocument/hover", at(&entry_uri, l, c))["contents"]["value"].as_str().unwrap().to_owned();
    assert!(text.contains("# no-logging (WP106)"), "{text}");

    // Definition and references across files.
    let (l, c) = position_of(SALES, "from=crm", 5);
    let definition = client.result("textDocument/definition", at(&sales_uri, l, c));
    assert_eq!(definition["uri"], entry_uri);
    assert_eq!(definition["range"]["start"], json!({"line": 2, "character": 7}));
    let (l, c) = position_of(ENTRY, "\"contact\"", 1);
    let mut params = at(&entry_uri, l, c);
    params["context"] = json!({"includeDeclaration": true});
    let references = client.result("textDocument/references", params);
    let places: Vec<(String, u64)> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["uri"].as_str().unwrap().to_owned(), r["range"]["start"]["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(places, vec![(entry_uri.clone(), 5), (sales_uri.clone(), 0)]);
    let (l, c) = position_of(SALES, "key \"email\"", 5);
    let mut params = at(&sales_uri, l, c);
    params["context"] = json!({"includeDeclaration": false});
    let references = client.result("textDocument/references", params);
    assert_eq!(references.as_array().unwrap().len(), 1, "{references}");

    // Rename a system everywhere; the new name needs quotes.
    let (l, c) = position_of(ENTRY, "\"crm\"", 2);
    let mut params = at(&entry_uri, l, c);
    params["newName"] = json!("hub spot");
    let edit = client.result("textDocument/rename", params);
    let renamed_entry = apply(ENTRY, edit["changes"][&entry_uri].as_array().unwrap());
    let renamed_sales = apply(SALES, edit["changes"][&sales_uri].as_array().unwrap());
    assert!(renamed_entry.contains("system \"hub spot\" kind=crm"), "{renamed_entry}");
    assert!(renamed_sales.contains("from=\"hub spot\" entity=contact"), "{renamed_sales}");
    // An event, from a reference to it; a flow.
    let (l, c) = position_of(SALES, "on \"contact", 5);
    let mut params = at(&sales_uri, l, c);
    params["newName"] = json!("contact.made");
    let edit = client.result("textDocument/rename", params);
    let edits = edit["changes"][&sales_uri].as_array().unwrap();
    assert_eq!(edits.len(), 2, "{edit}");
    let renamed = apply(SALES, edits);
    assert!(
        renamed.starts_with("event \"contact.made\" from=crm") && renamed.contains("on \"contact.made\""),
        "{renamed}"
    );
    let (l, c) = position_of(SALES, "ünïcode-flow", 3);
    let mut params = at(&sales_uri, l, c);
    params["newName"] = json!("unicode");
    let edit = client.result("textDocument/rename", params);
    assert!(apply(SALES, edit["changes"][&sales_uri].as_array().unwrap()).contains("flow \"unicode\" {"), "{edit}");
    let (l, c) = position_of(SALES, "\"email\"", 2);
    let mut params = at(&sales_uri, l, c);
    params["newName"] = json!("mail");
    assert!(client.request("textDocument/rename", params).get("error").is_some());

    // Document symbols.
    let symbols = client.result("textDocument/documentSymbol", json!({"textDocument": {"uri": sales_uri}}));
    let names: Vec<&str> = symbols.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["contact.créé", "mailer", "ünïcode-flow"]);

    // Semantic tokens: node names as keywords, a system's name as a class.
    let tokens = client.result("textDocument/semanticTokens/full", json!({"textDocument": {"uri": sales_uri}}));
    let data: Vec<u64> = tokens["data"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(data.len().is_multiple_of(5) && data.len() > 50, "{data:?}");
    let (mut line, mut start) = (0, 0);
    let mut decoded = Vec::new();
    for t in data.chunks(5) {
        line += t[0];
        start = if t[0] == 0 { start + t[1] } else { t[1] };
        decoded.push((line, start, t[2], t[3]));
    }
    let legend = caps["semanticTokensProvider"]["legend"]["tokenTypes"].as_array().unwrap();
    let type_at = |l: usize, c: usize| {
        let found = decoded
            .iter()
            .find(|t| t.0 == l as u64 && t.1 == c as u64)
            .unwrap_or_else(|| panic!("no token at {l}:{c}"));
        legend[found.3 as usize].as_str().unwrap().to_owned()
    };
    assert_eq!(type_at(0, 0), "keyword");
    let (l, c) = position_of(SALES, "from=crm", 5);
    assert_eq!(type_at(l, c), "class");
    let (l, c) = position_of(SALES, "from=crm", 0);
    assert_eq!(type_at(l, c), "property");

    // Code actions: the did-you-mean replacement (safe, so preferred), then
    // `dead-letter` (it changes delivery: offered, not preferred); each
    // applied, the spec parses and that finding is gone.
    let mut text = SALES.to_owned();
    let mut version = 2;
    let mut current = found.clone();
    for (title, gone, preferred) in
        [("Replace with `email_address`", "unresolved-reference", true), ("Add `dead-letter`", "no-dead-letter", false)]
    {
        let target = current.iter().find(|d| d["code"] == gone).unwrap_or_else(|| panic!("no {gone}"));
        let params = json!({
            "textDocument": {"uri": sales_uri},
            "range": target["range"],
            "context": {"diagnostics": [target]},
        });
        let actions = client.result("textDocument/codeAction", params);
        let action = actions.as_array().unwrap().iter().find(|a| a["title"] == title);
        let action = action.unwrap_or_else(|| panic!("no {title} in {actions}"));
        assert_eq!(action["diagnostics"][0]["code"], gone, "the fix names what it fixes");
        assert_eq!(action["isPreferred"], preferred, "{title}");
        text = apply(&text, action["edit"]["changes"][&sales_uri].as_array().unwrap());
        change(&mut client, &sales_uri, &text, version);
        current = client.diagnostics(&sales_uri, |p| p["version"] == version);
        let codes = rules(&current);
        assert!(!codes.contains(&gone) && !codes.contains(&"syntax"), "{title}: {codes:?}\n{text}");
        version += 1;
    }
    assert!(text.contains("to=\"email_address\"") && text.contains("    dead-letter\n}"), "{text}");
    // The `allow` action, and `idempotency-key` with the event's key.
    let target = current.iter().find(|d| d["code"] == "non-idempotent-path").unwrap();
    let params = json!({"textDocument": {"uri": sales_uri}, "range": target["range"], "context": {"diagnostics": []}});
    let actions = client.result("textDocument/codeAction", params);
    let actions: Vec<Value> = actions
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["title"].as_str().unwrap().contains("idempoten"))
        .cloned()
        .collect();
    let titles: Vec<&str> = actions.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Add `idempotency-key \"email\"`"), "{titles:?}");
    assert!(titles.contains(&"Allow `non-idempotent-path` for this flow"), "{titles:?}");
    for action in &actions {
        let fixed = apply(&text, action["edit"]["changes"][&sales_uri].as_array().unwrap());
        change(&mut client, &sales_uri, &fixed, version);
        let after = client.diagnostics(&sales_uri, |p| p["version"] == version);
        assert!(!rules(&after).contains(&"syntax"), "{}: {:?}\n{fixed}", action["title"], rules(&after));
        assert!(!rules(&after).contains(&"non-idempotent-path"), "{}\n{fixed}", action["title"]);
        version += 1;
    }

    // Completion while the file is broken (an unclosed block, an
    // unterminated string): event names, actions, node names.
    let broken = format!("{text}\nflow \"new\" {{\n    on \"cont");
    change(&mut client, &sales_uri, &broken, version);
    version += 1;
    let end = broken.lines().count() - 1;
    let width = broken.lines().last().unwrap().encode_utf16().count();
    let items = client.result("textDocument/completion", at(&sales_uri, end, width));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["contact.créé"]);
    assert_eq!(items[0]["textEdit"]["newText"], "\"contact.créé\"");
    let broken = format!("{text}\nflow \"new\" {{\n    on \"contact.créé\"\n    to mailer action=");
    change(&mut client, &sales_uri, &broken, version);
    version += 1;
    let end = broken.lines().count() - 1;
    let width = broken.lines().last().unwrap().encode_utf16().count();
    let items = client.result("textDocument/completion", at(&sales_uri, end, width));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"upsert") && labels.contains(&"create"), "{labels:?}");
    let broken = format!("{text}\nflow \"new\" {{\n    on \"contact.créé\"\n    ");
    change(&mut client, &sales_uri, &broken, version);
    version += 1;
    let end = broken.lines().count();
    let items = client.result("textDocument/completion", at(&sales_uri, end - 1, 4));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"dead-letter") && labels.contains(&"idempotency-key"), "{labels:?}");
    assert!(!labels.contains(&"field"), "{labels:?}");

    // Formatting: the same layout as `wireplan fmt`.
    let messy =
        "system   \"a\" kind=crm {  webhooks #true }\n\n\n\nflow \"x\" { on \"contact.créé\"; to a action=upsert }\n";
    change(&mut client, &sales_uri, messy, version);
    let edits = client.result(
        "textDocument/formatting",
        json!({"textDocument": {"uri": sales_uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let formatted = apply(messy, edits.as_array().unwrap());
    assert_eq!(
        formatted,
        "system \"a\" kind=crm {\n    webhooks #true\n}\n\nflow \"x\" {\n    on \"contact.créé\"\n    to a action=upsert\n}\n"
    );
    version += 1;

    // A burst of edits: the last one is what gets checked and published.
    let first = version;
    for i in 0..20 {
        change(&mut client, &sales_uri, &format!("{messy}// edit {i}\n"), first + i);
    }
    let last = first + 19;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut published = 0;
    loop {
        let message = client.next(deadline);
        if message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == sales_uri {
            published += 1;
            if message["params"]["version"] == last {
                break;
            }
        }
    }
    assert!(published < 20, "each of 20 edits was checked: {published}");
    client.notifications.clear();

    // Malformed messages get error responses; the server goes on.
    client.send_raw(b"{not json");
    let response = client.response(Value::Null);
    assert!(response["error"]["code"].as_i64().is_some(), "{response}");
    client.send_raw(br#"{"jsonrpc": "2.0", "id": 77, "method": 5}"#);
    let response = client.response(json!(77));
    assert!(response["error"]["code"].as_i64().is_some(), "{response}");
    let response = client.request("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let response = client.request("wireplan/unknown", json!({}));
    assert_eq!(response["error"]["code"], -32601, "{response}");
    let response = client.request("textDocument/hover", at("file:///nonexistent/x.kdl", 0, 0));
    assert!(response.get("error").is_some(), "{response}");

    let status = client.shutdown();
    assert!(status.success(), "{status}");
}

#[test]
fn the_server_exits_when_its_client_goes_away() {
    let spec = TempSpec::new("lsp-stdin-closed");
    spec.file("wireplan.kdl", ENTRY);
    let mut client = Client::start(&spec.dir);
    client.initialize(&spec.dir);
    client.close_stdin();
    let status = client.wait();
    assert_eq!(status.code(), Some(1), "exit without shutdown is code 1");
}

#[test]
fn a_file_the_spec_stops_including_is_checked_on_its_own() {
    let spec = TempSpec::new("lsp-rehome");
    let entry = spec.file("wireplan.kdl", ENTRY);
    let sales = spec.file("sales.kdl", SALES);
    let mut client = Client::start(&spec.dir);
    client.initialize(&spec.dir);
    let sales_uri = open(&mut client, &sales, SALES, 1);
    let entry_uri = open(&mut client, &entry, ENTRY, 1);
    let found = client.diagnostics(&sales_uri, |_| true);
    assert!(rules(&found).contains(&"duplicate-name"), "{:?}", rules(&found));
    change(&mut client, &entry_uri, ENTRY.trim_start_matches("include \"sales.kdl\"\n"), 2);
    // Alone, sales.kdl declares `mailer` once and knows no `crm`.
    let alone = client.diagnostics(&sales_uri, |p| {
        p["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("no system named `crm`"))
    });
    assert!(!rules(&alone).contains(&"duplicate-name"), "{:?}", rules(&alone));
    assert!(client.shutdown().success());
}
