//! `wireplan build --target hub` for real: the flows generated for
//! `examples/hub-studio` run in a real Node-RED 4.1 (installed into `.tools/`
//! by `scripts/test.sh`; this test installs nothing), started headless by the
//! test and stopped by process id. A recorder server in the test stands in
//! for every target and source API and asserts the exact requests: mapped
//! bodies, methods, paths, credentials and idempotency keys; retries with
//! back-off; dead letters; 401 for a webhook without its proof; and a poll
//! that does not deliver again after a restart.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::util::{TempSpec, code, root, stderr};

pub(crate) fn node_red_js() -> PathBuf {
    let tools = std::env::var_os("WIREPLAN_TOOLS").map_or_else(|| root().join(".tools"), PathBuf::from);
    let path = tools.join("node_modules/node-red/red.js");
    assert!(
        path.exists(),
        "Node-RED is missing ({}): run `scripts/test.sh`, which installs it into .tools/",
        path.display()
    );
    path
}

/// One request the recorder received.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub(crate) at: Instant,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: String,
}

impl Recorded {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

#[derive(Default)]
pub(crate) struct RecorderState {
    pub(crate) requests: Vec<Recorded>,
    /// Path prefix -> how many of the next writes there get a 500
    /// (`usize::MAX`: all of them).
    pub(crate) fail: BTreeMap<String, usize>,
    /// What a GET (a poll) answers.
    records: Value,
    /// Path prefix -> how long to wait before answering there.
    pub(crate) hold: BTreeMap<String, Duration>,
}

/// A local HTTP server standing in for every API the flows call.
pub(crate) struct Recorder {
    port: u16,
    pub(crate) state: Arc<Mutex<RecorderState>>,
}

impl Recorder {
    pub(crate) fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(RecorderState { records: json!([]), ..RecorderState::default() }));
        let shared = Arc::clone(&state);
        // The thread ends with the test binary; it holds nothing else.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Recorder { port, state }
    }

    pub(crate) fn url(&self, prefix: &str) -> String {
        format!("http://127.0.0.1:{}{prefix}", self.port)
    }

    pub(crate) fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.state.lock().unwrap().requests)
    }

    pub(crate) fn fail(&self, prefix: &str, times: usize) {
        self.state.lock().unwrap().fail.insert(prefix.into(), times);
    }

    /// Waits until `n` requests matching `filter` have arrived (at most
    /// `timeout`), and returns every request so far without removing them.
    pub(crate) fn wait_for(&self, n: usize, timeout: Duration, filter: impl Fn(&Recorded) -> bool) -> Vec<Recorded> {
        self.wait_until(timeout, |requests| requests.iter().filter(|r| filter(r)).count() >= n)
    }

    /// Waits until the requests so far satisfy `done` (at most `timeout`),
    /// and returns them without removing them.
    pub(crate) fn wait_until(&self, timeout: Duration, done: impl Fn(&[Recorded]) -> bool) -> Vec<Recorded> {
        let start = Instant::now();
        loop {
            let requests = self.state.lock().unwrap().requests.clone();
            if done(&requests) || start.elapsed() > timeout {
                return requests;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn serve(stream: TcpStream, state: &Mutex<RecorderState>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body).into_owned();
    let hold = state.lock().unwrap().hold.iter().find(|(prefix, _)| path.starts_with(prefix.as_str())).map(|(_, d)| *d);
    let (status, answer) = {
        let mut state = state.lock().unwrap();
        let answer = if method == "GET" {
            (200, state.records.to_string())
        } else {
            let failing = state.fail.iter_mut().find(|(prefix, n)| path.starts_with(prefix.as_str()) && **n > 0);
            match failing {
                Some((_, n)) => {
                    *n = n.saturating_sub(usize::from(*n != usize::MAX));
                    (500, "{\"error\":\"recorder says no\"}".to_owned())
                }
                None => (200, "{\"ok\":true}".to_owned()),
            }
        };
        state.requests.push(Recorded { at: Instant::now(), method, path, headers, body });
        answer
    };
    // Recorded on arrival, answered after the hold (a client killed
    // meanwhile never sees the answer).
    if let Some(hold) = hold {
        std::thread::sleep(hold);
    }
    let mut stream = reader.into_inner();
    let reason = if status == 200 { "OK" } else { "Internal Server Error" };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

/// A minimal HTTP/1.1 client: returns the status and the body.
pub(crate) fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

/// A port for a server a test starts, free when chosen and taken from below
/// the kernel's ephemeral range. A port the kernel hands out (`bind` to 0)
/// is free only until the server binds it: meanwhile any outgoing
/// connection in the parallel tests may take it as its local port, and the
/// server then fails with "port in use" (seen in CI). Below the ephemeral
/// range only a listener can take a port, and the counter keeps this
/// process's servers apart; the start depends on the process id, so two
/// test processes rarely walk the same ports.
pub(crate) fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 10_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let low: u32 = ephemeral.split_whitespace().next().and_then(|p| p.parse().ok()).unwrap_or(32_768);
    if low <= FIRST + 1_000 {
        return TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    }
    let span = low - FIRST;
    let _ = NEXT.compare_exchange(0, std::process::id() * 97 % span + 1, Ordering::Relaxed, Ordering::Relaxed);
    for _ in 0..span {
        let port = (FIRST + NEXT.fetch_add(1, Ordering::Relaxed) % span) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() && TcpListener::bind(("0.0.0.0", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between {FIRST} and {low}");
}

/// Node-RED, killed on drop if the test has not stopped it.
pub(crate) struct NodeRed {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl NodeRed {
    pub(crate) fn start(user_dir: &Path, env: &[(String, String)], log_name: &str) -> NodeRed {
        let port = free_port();
        let log = user_dir.join(log_name);
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new("node");
        cmd.arg(node_red_js())
            .arg("--settings")
            .arg(user_dir.join("settings.js"))
            .arg("--userDir")
            .arg(user_dir)
            .arg("--port")
            .arg(port.to_string())
            .current_dir(user_dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("node runs");
        let node_red = NodeRed { child, port, log };
        let start = Instant::now();
        while http(port, "GET", "/healthz", &[], "").is_none_or(|(status, _)| status != 200) {
            assert!(start.elapsed() < Duration::from_secs(60), "no /healthz within 60 s:\n{}", node_red.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        node_red
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn post(&self, path: &str, headers: &[(&str, &str)], body: &str) -> u16 {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        http(self.port, "POST", path, &all, body).map_or(0, |(status, _)| status)
    }

    /// Stops it as a service manager would (TERM, by pid), so that context
    /// is flushed; waits for it to exit.
    pub(crate) fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let start = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() {
            if start.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl NodeRed {
    /// Kills it at once (SIGKILL, by pid), as a crash would.
    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeRed {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().to_vec()
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The lines of a JSON-lines file, once it has at least `n` (at most `timeout`).
/// The JSON lines of `path` once one of them satisfies `found` (or the
/// timeout passes): under load, Node-RED writes a log line a little after it
/// answers, and earlier lines of other deliveries may already be there.
fn json_lines_until(path: &Path, timeout: Duration, found: impl Fn(&Value) -> bool) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let lines = json_lines(path, 0, Duration::ZERO);
        if lines.iter().any(&found) || start.elapsed() > timeout {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn json_lines(path: &Path, n: usize, timeout: Duration) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        if lines.len() >= n || start.elapsed() > timeout {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

const WAIT: Duration = Duration::from_secs(15);

/// `examples/hub-studio` built into `work`'s `out/`, which it returns.
fn built_example(work: &TempSpec) -> PathBuf {
    let out = work.dir.join("out");
    let built = crate::util::wireplan()
        .args(["build", "examples/hub-studio", "--target", "hub", "--out"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    out
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn hub_flows_run_in_a_real_node_red() {
    let red_js = node_red_js();
    assert!(red_js.exists());
    let work = TempSpec::new("hub-e2e");
    let out = built_example(&work);
    // Copy the flows into a fresh user folder: Node-RED writes into it.
    let user_dir = work.dir.join("user");
    std::fs::create_dir_all(&user_dir).unwrap();
    for file in ["flows.json", "settings.js"] {
        std::fs::copy(out.join("node-red").join(file), user_dir.join(file)).unwrap();
    }

    let recorder = Recorder::start();
    recorder.state.lock().unwrap().records = json!([
        {"email": "ada@example.com", "name": "Ada", "updated_at": "2026-11-02T10:00:00Z"},
        {"email": "bob@example.com", "name": "Bob", "updated_at": "2026-11-01T09:00:00Z"},
    ]);
    let env: Vec<(String, String)> = [
        ("HUBSPOT_URL", recorder.url("/hubspot")),
        ("XERO_URL", recorder.url("/xero")),
        ("MAILCHIMP_URL", recorder.url("/mailchimp")),
        ("CALENDLY_URL", recorder.url("/calendly")),
        ("HUBSPOT_TOKEN", "hubspot-token".into()),
        ("XERO_TOKEN", "xero-token".into()),
        ("MAILCHIMP_TOKEN", "mailchimp-token".into()),
        ("CALENDLY_TOKEN", "calendly-token".into()),
        ("WEBSITE_WEBHOOK_TOKEN", "website-secret-token".into()),
        ("SHOPIFY_WEBHOOK_SECRET", "shopify-signing-secret".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let started = Instant::now();
    let red = NodeRed::start(&user_dir, &env, "node-red-1.log");
    eprintln!("Node-RED answered /healthz after {:?}", started.elapsed());
    let log = red.log();
    assert!(!log.contains("Waiting for missing types"), "{log}");
    assert!(log.contains("Started flows"), "{log}");
    // Every node was built: a bad expression or property would be an error here.
    assert!(!log.contains("[error]"), "{log}");

    // The poll runs at start: both records, mapped, each once.
    let is_contact = |r: &Recorded| r.method == "PUT" && r.path == "/hubspot/crm/v3/objects/contacts";
    let requests = recorder.wait_for(2, WAIT, is_contact);
    let get = requests.iter().find(|r| r.method == "GET").expect("the poll reads the source");
    assert_eq!(get.path, "/calendly/scheduled_events/invitees");
    assert_eq!(get.headers["authorization"], "Bearer calendly-token");
    let mut polled: Vec<Value> = requests.iter().filter(|r| is_contact(r)).map(Recorded::json).collect();
    polled.sort_by_key(|v| v["email"].as_str().unwrap_or("").to_owned());
    assert_eq!(
        polled,
        [
            json!({"email": "ada@example.com", "firstname": "Ada", "lifecyclestage": "opportunity"}),
            json!({"email": "bob@example.com", "firstname": "Bob", "lifecyclestage": "opportunity"}),
        ]
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(recorder.take().iter().filter(|r| is_contact(r)).count(), 2, "each polled record once");

    // A form, with the website's bearer token.
    let form = r#"{"submission_id":"sub-1","email":"cy@example.com","name":"Cy","ignored":"x"}"#;
    let status = red.post("/hooks/form.submitted", &[("Authorization", "Bearer website-secret-token")], form);
    assert_eq!(status, 202, "{}", red.log());
    let requests = recorder.wait_for(1, WAIT, is_contact);
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("PUT", "/hubspot/crm/v3/objects/contacts"));
    assert_eq!(r.headers["authorization"], "Bearer hubspot-token");
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["idempotency-key"], "sub-1");
    assert_eq!(r.json(), json!({"email": "cy@example.com", "firstname": "Cy", "lifecyclestage": "lead"}));
    recorder.take();

    // A paid order, signed by the shop: an invoice and a newsletter member.
    let sign = |body: &str| base64(&hmac_sha256(b"shopify-signing-secret", body.as_bytes()));
    let order = r#"{"order_id":"ord-1","email":"dee@example.com","customer":{"first_name":"Dee"},"total":129.5}"#;
    assert_eq!(red.post("/hooks/order.paid", &[("X-Shopify-Hmac-Sha256", &sign(order))], order), 202);
    let requests = recorder.wait_for(2, WAIT, |r| r.method != "GET");
    let invoice = requests.iter().find(|r| r.path.starts_with("/xero")).expect("an invoice");
    assert_eq!((invoice.method.as_str(), invoice.path.as_str()), ("POST", "/xero/api.xro/2.0/Invoices"));
    assert_eq!(invoice.headers["authorization"], "Bearer xero-token");
    assert_eq!(invoice.headers["idempotency-key"], "ord-1");
    assert_eq!(invoice.json(), json!({"reference": "ord-1", "contact_email": "dee@example.com", "total": 129.5}));
    let member = requests.iter().find(|r| r.path.starts_with("/mailchimp")).expect("a member");
    // No `request` in the spec: the documented default for upsert.
    assert_eq!((member.method.as_str(), member.path.as_str()), ("PUT", "/mailchimp/member"));
    assert_eq!(member.headers["authorization"], "Bearer mailchimp-token");
    assert_eq!(member.headers["idempotency-key"], "ord-1");
    assert_eq!(
        member.json(),
        json!({"email_address": "dee@example.com", "merge_fields": {"FNAME": "Dee"}, "status": "subscribed"})
    );
    assert_eq!(requests.len(), 2, "{requests:#?}");
    recorder.take();

    // Without the proof: 401, and nothing reaches any target.
    assert_eq!(red.post("/hooks/form.submitted", &[], form), 401);
    assert_eq!(red.post("/hooks/form.submitted", &[("Authorization", "Bearer wrong")], form), 401);
    assert_eq!(red.post("/hooks/order.paid", &[], order), 401);
    assert_eq!(red.post("/hooks/order.paid", &[("X-Shopify-Hmac-Sha256", &sign("{}"))], order), 401);
    assert_eq!(red.post("/hooks/order.paid", &[("X-Shopify-Hmac-Sha256", &sign(order))], "not json"), 401);
    std::thread::sleep(Duration::from_millis(800));
    assert!(recorder.take().is_empty(), "a request without its proof reached a target");

    // Two failures, then success: three attempts with the same body and key.
    recorder.fail("/xero", 2);
    let order = r#"{"order_id":"ord-2","email":"eve@example.com","total":10}"#;
    assert_eq!(red.post("/hooks/order.paid", &[("X-Shopify-Hmac-Sha256", &sign(order))], order), 202);
    let requests = recorder.wait_for(3, WAIT, |r| r.path.starts_with("/xero"));
    let tries: Vec<&Recorded> = requests.iter().filter(|r| r.path.starts_with("/xero")).collect();
    assert_eq!(tries.len(), 3, "{tries:#?}");
    for t in &tries {
        assert_eq!(t.headers["idempotency-key"], "ord-2");
        assert_eq!(t.json(), json!({"reference": "ord-2", "contact_email": "eve@example.com", "total": 10}));
    }
    // Back-off of 100 ms, then 100 to 200 ms (the doubling with equal
    // jitter, never below `initial`).
    assert!(tries[1].at - tries[0].at >= Duration::from_millis(90), "{:?}", tries[1].at - tries[0].at);
    assert!(tries[2].at - tries[1].at >= Duration::from_millis(90), "{:?}", tries[2].at - tries[1].at);
    let audit = user_dir.join("data/audit.jsonl");
    let delivered = |l: &Value| l["flow"] == "order-to-invoice" && l["attempts"] == 3 && l["outcome"] == "delivered";
    let lines = json_lines_until(&audit, WAIT, delivered);
    assert!(lines.iter().any(delivered), "{lines:#?}");
    std::thread::sleep(Duration::from_millis(500));
    recorder.take();

    // Failing every time: four attempts, then a dead letter.
    recorder.fail("/xero", usize::MAX);
    let order = r#"{"order_id":"ord-3","email":"fay@example.com","total":99}"#;
    assert_eq!(red.post("/hooks/order.paid", &[("X-Shopify-Hmac-Sha256", &sign(order))], order), 202);
    let dead = json_lines(&user_dir.join("data/dead-letters.jsonl"), 1, WAIT);
    assert_eq!(dead.len(), 1, "{dead:#?}\n{}", red.log());
    let letter = &dead[0];
    assert_eq!(letter["flow"], "order-to-invoice");
    assert_eq!(letter["target"], "xero");
    assert_eq!(letter["attempts"], 4);
    assert_eq!(letter["status"], 500);
    assert_eq!(letter["input"]["order_id"], "ord-3");
    assert_eq!(letter["request"]["body"]["reference"], "ord-3");
    let tries = recorder.take().into_iter().filter(|r| r.path.starts_with("/xero")).count();
    assert_eq!(tries, 4);
    let failed = |l: &Value| l["flow"] == "order-to-invoice" && l["outcome"] == "failed";
    let lines = json_lines_until(&audit, WAIT, failed);
    assert!(lines.iter().any(failed), "{lines:#?}");
    assert!(!std::fs::read_to_string(&audit).unwrap().contains("token"), "no credentials in the audit log");
    recorder.fail("/xero", 0);

    // A restart: the poll reads again, and only the newer record is delivered.
    red.stop();
    recorder.state.lock().unwrap().records = json!([
        {"email": "ada@example.com", "name": "Ada", "updated_at": "2026-11-02T10:00:00Z"},
        {"email": "bob@example.com", "name": "Bob", "updated_at": "2026-11-01T09:00:00Z"},
        {"email": "gil@example.com", "name": "Gil", "updated_at": "2026-11-03T08:00:00Z"},
    ]);
    recorder.take();
    let red = NodeRed::start(&user_dir, &env, "node-red-2.log");
    recorder.wait_for(1, WAIT, is_contact);
    std::thread::sleep(Duration::from_millis(800));
    let requests = recorder.take();
    let get = requests.iter().find(|r| r.method == "GET").expect("the poll reads the source again");
    assert_eq!(get.path, "/calendly/scheduled_events/invitees?since=2026-11-02T10%3A00%3A00Z");
    let delivered: Vec<Value> = requests.iter().filter(|r| is_contact(r)).map(Recorded::json).collect();
    assert_eq!(delivered, [json!({"email": "gil@example.com", "firstname": "Gil", "lifecyclestage": "opportunity"})]);
    assert!(!red.log().contains("Waiting for missing types"));
    red.stop();
}

/// Hostile names in a real Node-RED: a flow whose systems, event and fields
/// are named with quotes, backslashes, line separators, JSONata syntax and `../`
/// still delivers exactly the mapped body, to the right place.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn hostile_names_deliver_exactly_in_a_real_node_red() {
    node_red_js();
    // In KDL (as in JSON) `\"`, `\\` and `\n` are escapes. A newline is refused in a
    // name (`unusable-name`); a line separator, U+2028, is legal and ends a line in older JavaScript.
    let spec = r#"
system "src\\'$(x)" kind=custom {
    webhooks #true
}
system "dst\"\u{2028}$x & 'y'../" kind=custom {
    secret "HOSTILE_TOKEN"
    entity "../../etc/passwd" {
        field "$x & 'y' \\ \u{2028}" type=string
        field "../set" type=string
    }
}
system "plain" kind=custom
event "ev\"$&'../\u{2028}" from="src\\'$(x)" {
    key "a\"b$&'../\u{2028}"
    field "a\"b$&'../\u{2028}" type=string required=#true
}
flow "flow\"\u{2028}$eval('1')" {
    on "ev\"$&'../\u{2028}"
    to "dst\"\u{2028}$x & 'y'../" action=create entity="../../etc/passwd" {
        map "a\"b$&'../\u{2028}" to="$x & 'y' \\ \u{2028}"
        set "../set" "v\"\n&$"
    }
    to plain action=update {
        request method="PATCH" path="/members?source=hub&x=$y"
    }
    idempotency-key "a\"b$&'../\u{2028}"
    dead-letter
    log
}
"#;
    let work = TempSpec::new("hub-hostile");
    work.file("wireplan.kdl", spec);
    let built = work.run(&["build", "--target", "hub", "--out", "out"]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let user_dir = work.dir.join("user");
    std::fs::create_dir_all(&user_dir).unwrap();
    for file in ["flows.json", "settings.js"] {
        std::fs::copy(work.dir.join("out/node-red").join(file), user_dir.join(file)).unwrap();
    }
    let flows: Value = serde_json::from_str(&std::fs::read_to_string(user_dir.join("flows.json")).unwrap()).unwrap();
    let hook = flows
        .as_array()
        .unwrap()
        .iter()
        .find_map(|n| n["url"].as_str().filter(|u| u.starts_with("/hooks/")))
        .unwrap()
        .to_owned();
    let recorder = Recorder::start();
    let env = vec![
        ("DST_X_Y_URL".to_owned(), recorder.url("/dst")),
        ("HOSTILE_TOKEN".to_owned(), "t0ken".to_owned()),
        ("SRC_X_WEBHOOK_TOKEN".to_owned(), "in-token".to_owned()),
        ("PLAIN_URL".to_owned(), recorder.url("/plain")),
    ];
    // Without one of its variables, Node-RED does not start, and says which.
    let mut unset = Command::new("node")
        .arg(node_red_js())
        .args(["--settings", "settings.js", "--userDir", ".", "--port", &free_port().to_string()])
        .current_dir(&user_dir)
        .envs(env.iter().filter(|(k, _)| k != "PLAIN_URL").cloned())
        .env_remove("PLAIN_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while unset.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = unset.kill();
            panic!("Node-RED started without PLAIN_URL");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = unset.wait_with_output().unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("set these environment variables first: PLAIN_URL"), "{text}");
    let red = NodeRed::start(&user_dir, &env, "node-red.log");
    assert!(!red.log().contains("Waiting for missing types"), "{}", red.log());
    // A dot in a name is a nested key, so `a"b$&'../\u{2028}` reads three levels down.
    let event = json!({"a\"b$&'": {"": {"/\u{2028}": "it's \"quoted\" $x & \\ ../"}}, "other": 1});
    let status = red.post(&hook, &[("Authorization", "Bearer in-token")], &event.to_string());
    assert_eq!(status, 202, "{}", red.log());
    let requests = recorder.wait_for(2, WAIT, |_| true);
    assert_eq!(requests.len(), 2, "{requests:#?}\n{}", red.log());
    // The second target: no map, so the event goes as it came; its own method and path.
    let patch = requests.iter().find(|r| r.method == "PATCH").expect("the second target");
    assert_eq!(patch.path, "/plain/members?source=hub&x=$y");
    assert!(!patch.headers.contains_key("authorization"), "no `secret`, no credential");
    assert_eq!(patch.json(), event);
    let r = requests.iter().find(|r| r.method == "POST").expect("the first target");
    assert!(r.path.starts_with("/dst/etc-passwd-") && !r.path["/dst/".len()..].contains('/'), "{}", r.path);
    assert_eq!(r.headers["authorization"], "Bearer t0ken");
    assert_eq!(r.headers["idempotency-key"], "it's \"quoted\" $x & \\ ../");
    assert_eq!(r.json(), json!({"$x & 'y' \\ \u{2028}": "it's \"quoted\" $x & \\ ../", "": {"": {"/set": "v\"\n&$"}}}));
    let audit = json_lines(&user_dir.join("data/audit.jsonl"), 1, WAIT);
    assert_eq!(audit[0]["flow"], "flow\"\u{2028}$eval('1')");
    red.stop();
}

/// The generated README's commands, taken from its text and run as written:
/// the install names the Node-RED the tests run (4.1, installed into
/// `.tools/`, which stands in for the install), and the run command starts
/// Node-RED on the documented `PORT` as one process, so that stopping that
/// process (TERM, by pid, as a service manager does) leaves nothing
/// listening.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_readme_commands_run_as_written() {
    let red_js = node_red_js();
    let work = TempSpec::new("hub-readme-commands");
    let out = built_example(&work);
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    let block = readme.split("```sh\n").nth(1).and_then(|b| b.split("\n```").next()).unwrap();
    let commands: Vec<&str> = block.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(commands.len(), 2, "{block}");
    let installed: Value =
        serde_json::from_str(&std::fs::read_to_string(red_js.parent().unwrap().join("package.json")).unwrap()).unwrap();
    let version = installed["version"].as_str().unwrap();
    assert_eq!(commands[0], "npm install node-red@4.1", "{block}");
    assert!(version.starts_with("4.1."), "the README installs 4.1, the tests run {version}");
    std::os::unix::fs::symlink(red_js.parent().unwrap().parent().unwrap(), out.join("node_modules")).unwrap();

    // Every variable the README lists, set; the port as documented.
    let port = free_port();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!("exec {}", commands[1])).current_dir(&out).stdin(Stdio::null());
    for row in readme.lines().filter(|l| l.starts_with("| `") && !l.contains(',')) {
        let name = row.trim_start_matches("| `").split('`').next().unwrap();
        let value = if name.ends_with("_URL") { "http://127.0.0.1:9" } else { "test-value" };
        cmd.env(name, value);
    }
    cmd.env("PORT", port.to_string()).env("WIREPLAN_DATA_DIR", work.dir.join("data"));
    let log = work.dir.join("node-red.log");
    let file = std::fs::File::create(&log).unwrap();
    let mut child = cmd.stdout(file.try_clone().unwrap()).stderr(file).spawn().unwrap();
    let start = Instant::now();
    while http(port, "GET", "/healthz", &[], "").is_none_or(|(status, _)| status != 200) {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!(
                "the README's command served no /healthz on PORT={port} within 60 s:\n{}",
                std::fs::read_to_string(&log).unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(20), "Node-RED did not stop on TERM");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        http(port, "GET", "/healthz", &[], "").is_none(),
        "something still listens on {port} after the process stopped"
    );
}
