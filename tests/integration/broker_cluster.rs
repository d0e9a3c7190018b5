//! The broker deployment loses nothing when a node or a connector dies,
//! proven on a real three-node RabbitMQ cluster under load (issue 24).
//!
//! Three RabbitMQ nodes run on this machine (Debian's `rabbitmq-server`,
//! private ports, one shared Erlang cookie and epmd, each its own mnesia
//! and log folders), joined with `rabbitmqctl join_cluster`, and get the
//! stage-3 example's definitions. Two ingress and two egress connector
//! instances (the generated Node-RED flows, the ingress tab or the egress
//! tabs with the delivery chain, throttle and loop guard tabs they call) connect with every
//! node's address. A recorder stands in for every
//! target API; NetSuite's answers 500 to 20% of the requests at random.
//! While the webhooks arrive, the test SIGKILLs the RabbitMQ node leading
//! the busiest queue and later restarts it, and SIGKILLs one egress and one
//! ingress instance and restarts them. A sender that gets no 2xx tries
//! again (with the same idempotency key), as a producer does. Then the
//! queues drain and the test asserts that every webhook answered 2xx
//! reached every subscribing target (lost = 0), that every repeated
//! delivery carried the webhook's own idempotency key, and that no
//! dead-letter queue holds anything (no target here always fails).
//!
//! `WIREPLAN_CLUSTER_WEBHOOKS` (default 1,000) and
//! `WIREPLAN_CLUSTER_SECONDS` (default 60) set the load; the faults are the
//! same at any size. The figures in the README come from a run with 5,000.
//! Stopped by process id, every one. `#[ignore]`d in a plain `cargo test`;
//! `scripts/test.sh` runs it, and without RabbitMQ it fails in one line.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::broker::{CONNECTED, EPMD, PASSWORD, RABBITMQ_BIN, VHOST, build, connector_dir, wait_for_node};
use crate::hub::{free_port, http, node_red_js};
use crate::util::{TempSpec, code, stderr, stdout};

/// The queues of the example's flows (their dead-letter queues are these
/// with `.dlq`), read from the spec by hand.
const QUEUES: usize = 14;

/// Each webhook event of the example, the field names its body fills with
/// the webhook's id, and the targets (recorder prefixes) that must get it,
/// read from the spec by hand.
const EVENTS: &[(&str, &[&str], &[&str])] = &[
    (
        "order.created",
        &["order_id"],
        &["/netsuite", "/shipstation", "/salesforce", "/klaviyo", "/loyaltylion", "/segment"],
    ),
    ("payment.succeeded", &["payment_id", "order_id"], &["/snowflake", "/klaviyo", "/google_ads"]),
    ("newsletter.signup", &[], &["/klaviyo"]),
    ("shipment.delivered", &["shipment_id", "order_id"], &["/yotpo"]),
];

/// The target that fails at random, and how often (in percent).
const FLAKY: &str = "/netsuite";
const FLAKY_PERCENT: u64 = 20;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One RabbitMQ node of the cluster.
struct Node {
    name: String,
    port: u16,
    dir: PathBuf,
    env: Vec<(String, String)>,
    server: Option<Child>,
}

impl Node {
    fn pid(&self) -> Option<String> {
        let pid = std::fs::read_to_string(self.dir.join("pid")).ok()?;
        let pid = pid.trim().to_owned();
        (!pid.is_empty() && Path::new("/proc").join(&pid).exists()).then_some(pid)
    }
}

/// Three RabbitMQ nodes on private ports, one cookie and one epmd.
struct Cluster {
    epmd: Child,
    nodes: Vec<Node>,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let server_bin = Path::new(RABBITMQ_BIN).join("rabbitmq-server");
        assert!(
            server_bin.exists() && Path::new(EPMD).exists(),
            "RabbitMQ is missing ({}): run `scripts/test.sh`, which installs the Debian package rabbitmq-server",
            server_bin.display()
        );
        let home = dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        {
            use std::os::unix::fs::PermissionsExt as _;
            let cookie = home.join(".erlang.cookie");
            std::fs::write(&cookie, "WIREPLANCLUSTERTESTCOOKIE").unwrap();
            std::fs::set_permissions(&cookie, std::fs::Permissions::from_mode(0o400)).unwrap();
        }
        std::fs::write(dir.join("empty.conf"), "").unwrap();
        std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
        let epmd_port = free_port();
        let epmd_log = std::fs::File::create(dir.join("epmd.out")).unwrap();
        let epmd = Command::new(EPMD)
            .args(["-port", &epmd_port.to_string()])
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(epmd_log.try_clone().unwrap())
            .stderr(epmd_log)
            .spawn()
            .unwrap();
        let nodes = (0..3)
            .map(|i| {
                let node_dir = dir.join(format!("node{i}"));
                std::fs::create_dir_all(&node_dir).unwrap();
                let (port, dist) = (free_port(), free_port());
                let name = format!("wireplan-cluster-{i}-{port}@localhost");
                let env = crate::broker::node_env(&node_dir, dir, &name, [port, dist, epmd_port]);
                Node { name, port, dir: node_dir, env, server: None }
            })
            .collect();
        let mut cluster = Cluster { epmd, nodes };
        for i in 0..3 {
            cluster.spawn(i);
        }
        for i in 0..3 {
            cluster.wait_up(i);
        }
        let first = cluster.nodes[0].name.clone();
        for i in 1..3 {
            for args in [&["stop_app"][..], &["join_cluster", &first], &["start_app"]] {
                let done = cluster.ctl(i, args);
                assert_eq!(code(&done), 0, "rabbitmqctl {args:?} on node {i}: {}{}", stdout(&done), stderr(&done));
            }
        }
        let status = cluster.ctl(0, &["cluster_status", "--formatter", "json"]);
        let status: Value = serde_json::from_str(stdout(&status).trim()).unwrap_or(Value::Null);
        let running = status["running_nodes"].as_array().map_or(0, Vec::len);
        assert_eq!(running, 3, "the cluster did not form: {status}");
        cluster
    }

    fn spawn(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let log = std::fs::OpenOptions::new().create(true).append(true).open(node.dir.join("server.out")).unwrap();
        let server = Command::new(Path::new(RABBITMQ_BIN).join("rabbitmq-server"))
            .envs(node.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        node.server = Some(server);
    }

    fn wait_up(&self, i: usize) {
        let waited = wait_for_node(&self.nodes[i].dir.join("pid"), Duration::from_secs(180), |args| self.ctl(i, args));
        let log = std::fs::read_to_string(self.nodes[i].dir.join("server.out")).unwrap_or_default();
        assert_eq!(code(&waited), 0, "RabbitMQ node {i} did not start: {}{}\n{log}", stdout(&waited), stderr(&waited));
    }

    fn ctl(&self, i: usize, args: &[&str]) -> Output {
        Command::new(Path::new(RABBITMQ_BIN).join("rabbitmqctl"))
            .args(args)
            .envs(self.nodes[i].env.iter().cloned())
            .output()
            .unwrap()
    }

    /// A running node's index (not `except`).
    fn other(&self, except: Option<usize>) -> usize {
        (0..3).find(|&i| Some(i) != except && self.nodes[i].pid().is_some()).unwrap_or(0)
    }

    /// Imports the definitions on node 0 (after the cluster formed, so every
    /// quorum queue has a replica on each node) and sets the password.
    fn import(&self, definitions: &Path) {
        let imported = self.ctl(0, &["import_definitions", &definitions.display().to_string()]);
        assert_eq!(code(&imported), 0, "{}{}", stdout(&imported), stderr(&imported));
        let start = Instant::now();
        while self.counts(None).len() < QUEUES * 2 {
            assert!(start.elapsed() < Duration::from_secs(120), "the import did not finish: {:?}", self.counts(None));
            std::thread::sleep(Duration::from_millis(300));
        }
        let changed = self.ctl(0, &["change_password", "wireplan", PASSWORD]);
        assert_eq!(code(&changed), 0, "{}", stderr(&changed));
        let members = self.ctl(0, &["list_queues", "-p", VHOST, "name", "members", "-q", "--no-table-headers"]);
        for line in stdout(&members).lines() {
            assert_eq!(line.matches("wireplan-cluster-").count(), 3, "a queue without three replicas: {line}");
        }
    }

    /// Messages per queue, asked of a running node.
    fn counts(&self, except: Option<usize>) -> BTreeMap<String, u64> {
        let out =
            self.ctl(self.other(except), &["list_queues", "-p", VHOST, "name", "messages", "-q", "--no-table-headers"]);
        stdout(&out)
            .lines()
            .filter_map(|l| {
                let (name, n) = l.split_once('\t')?;
                Some((name.to_owned(), n.trim().parse().ok()?))
            })
            .collect()
    }

    /// The index of the node leading `queue`.
    fn leader(&self, queue: &str) -> Option<usize> {
        let out =
            self.ctl(self.other(None), &["list_queues", "-p", VHOST, "name", "leader", "-q", "--no-table-headers"]);
        let text = stdout(&out);
        let leader =
            text.lines().find_map(|l| l.split_once('\t').filter(|(q, _)| *q == queue).map(|(_, n)| n.trim()))?;
        self.nodes.iter().position(|n| n.name == leader)
    }

    /// SIGKILL to the node's Erlang VM, by the pid in its pid file.
    fn kill(&mut self, i: usize) {
        let pid = self.nodes[i].pid().unwrap_or_else(|| panic!("node {i} has no pid"));
        let killed = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(killed.success());
        if let Some(mut server) = self.nodes[i].server.take() {
            let _ = server.wait();
        }
        let _ = std::fs::remove_file(self.nodes[i].dir.join("pid"));
    }
}

impl Drop for Cluster {
    /// TERM to every node's pid, then epmd by its pid.
    fn drop(&mut self) {
        let pids: Vec<String> = self.nodes.iter().filter_map(Node::pid).collect();
        for pid in &pids {
            let _ = Command::new("kill").args(["-TERM", pid]).status();
        }
        let start = Instant::now();
        while pids.iter().any(|p| Path::new("/proc").join(p).exists()) && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(100));
        }
        for node in &mut self.nodes {
            if let Some(mut server) = node.server.take() {
                let _ = server.kill();
                let _ = server.wait();
            }
        }
        let _ = self.epmd.kill();
        let _ = self.epmd.wait();
    }
}

/// One request a target got: which target, the webhook id in its body, its
/// `idempotency-key` header, the answer, and when.
#[derive(Clone, Debug)]
struct Hit {
    target: String,
    id: Option<String>,
    key: Option<String>,
    ok: bool,
    at: Instant,
}

/// A local HTTP server standing in for every target API, one path prefix
/// per target; `FLAKY` answers 500 at random.
struct Targets {
    port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Targets {
    fn start() -> Targets {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&hits);
        let rng = Arc::new(Mutex::new(0x2545_f491_4f6c_dd1d_u64));
        // The thread ends with the test binary; it holds nothing else.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (hits, rng) = (Arc::clone(&shared), Arc::clone(&rng));
                std::thread::spawn(move || answer(stream, &hits, &rng));
            }
        });
        Targets { port, hits }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

/// The webhook id (`wp<digits>x`) in `text`.
fn webhook_id(text: &str) -> Option<String> {
    let start = text.find("\"wp")? + 1;
    let rest = &text[start + 2..];
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    (digits > 0 && rest[digits..].starts_with('x')).then(|| text[start..start + 2 + digits + 1].to_owned())
}

fn answer(stream: TcpStream, hits: &Mutex<Vec<Hit>>, rng: &Mutex<u64>) {
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
    let mut body = vec![0; length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body);
    let (status, text) = if method == "GET" {
        (200, "[]")
    } else {
        let fail = path.starts_with(FLAKY) && {
            let mut x = rng.lock().unwrap();
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            *x % 100 < FLAKY_PERCENT
        };
        let target = format!("/{}", path.trim_start_matches('/').split('/').next().unwrap_or(""));
        hits.lock().unwrap().push(Hit {
            target,
            id: webhook_id(&body),
            key: headers.get("idempotency-key").cloned(),
            ok: !fail,
            at: Instant::now(),
        });
        if fail { (500, "{\"error\":\"flaky\"}") } else { (200, "{\"ok\":true}") }
    };
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        if status == 200 { "OK" } else { "Internal Server Error" },
        text.len()
    );
}

/// One Node-RED connector instance on a fixed port, restartable.
struct Instance {
    dir: PathBuf,
    port: u16,
    env: Vec<(String, String)>,
    child: Option<Child>,
    starts: usize,
}

impl Instance {
    /// A user folder at `dir` with the connectors of `out`, keeping only the
    /// tabs `keep` accepts (and the config nodes).
    fn new(out: &Path, dir: &Path, env: &[(String, String)], keep: impl Fn(&Value) -> bool) -> Instance {
        connector_dir(out, dir);
        let flows: Value = serde_json::from_slice(&std::fs::read(dir.join("flows.json")).unwrap()).unwrap();
        let nodes = flows.as_array().unwrap();
        let tabs: BTreeSet<&str> =
            nodes.iter().filter(|n| n["type"] == "tab" && keep(n)).map(|n| n["id"].as_str().unwrap()).collect();
        let kept: Vec<&Value> = nodes
            .iter()
            .filter(|n| match n["z"].as_str() {
                Some(z) => tabs.contains(z),
                None => n["type"] != "tab" || tabs.contains(n["id"].as_str().unwrap()),
            })
            .collect();
        std::fs::write(dir.join("flows.json"), serde_json::to_string_pretty(&kept).unwrap()).unwrap();
        Instance { dir: dir.to_path_buf(), port: free_port(), env: env.to_vec(), child: None, starts: 0 }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join(format!("node-red-{}.log", self.starts))).unwrap_or_default()
    }

    fn start(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(self.dir.join(format!("node-red-{}.log", self.starts))).unwrap();
        let child = Command::new("node")
            .arg(node_red_js())
            .arg("--settings")
            .arg(self.dir.join("settings.js"))
            .arg("--userDir")
            .arg(&self.dir)
            .arg("--port")
            .arg(self.port.to_string())
            .envs(self.env.iter().cloned())
            .env("WIREPLAN_DATA_DIR", self.dir.join("data"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    fn wait_connected(&self) {
        let start = Instant::now();
        while !self.log().contains(CONNECTED) {
            assert!(start.elapsed() < Duration::from_secs(60), "no AMQP connection:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL, by the child's pid.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// TERM, by the child's pid.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none() && start.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the connectors need: every variable `settings.js` requires, every
/// node's address, the targets at the recorder.
fn connector_env(out: &Path, targets: &Targets, cluster: &Cluster) -> Vec<(String, String)> {
    let settings = std::fs::read_to_string(out.join("node-red/settings.js")).unwrap();
    let list = settings.lines().find_map(|l| l.strip_prefix("const REQUIRED_ENV = ")).unwrap();
    let names: Vec<String> = serde_json::from_str(list.trim_end_matches(';')).unwrap();
    let addresses: Vec<String> = cluster.nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)).collect();
    names
        .into_iter()
        .map(|name| {
            let value = match name.as_str() {
                "WIREPLAN_AMQP_ADDRESSES" => addresses.join(","),
                "WIREPLAN_AMQP_USER" => "wireplan".to_owned(),
                "WIREPLAN_AMQP_PASSWORD" => PASSWORD.to_owned(),
                n if n.ends_with("_URL") => {
                    format!("http://127.0.0.1:{}/{}", targets.port, n.trim_end_matches("_URL").to_ascii_lowercase())
                }
                n => format!("token-of-{}", n.to_ascii_lowercase()),
            };
            (name, value)
        })
        .collect()
}

/// What happened to one webhook at the sender.
#[derive(Clone, Debug, Default)]
struct Sent {
    event: usize,
    first: Option<Instant>,
    accepted: bool,
    refused: u32,
}

/// The body of webhook `n` of event `event`: every key field holds its id.
fn body(n: usize, event: usize) -> (String, String) {
    let id = format!("wp{n}x");
    let mut body = serde_json::Map::new();
    for field in EVENTS[event].1 {
        body.insert((*field).to_owned(), json!(id));
    }
    body.insert("email".into(), json!(format!("{id}@example.com")));
    body.insert("total".into(), json!("19.99"));
    body.insert("placed_at".into(), json!("2026-12-04T22:00:00Z"));
    (id, Value::Object(body).to_string())
}

/// Sends `count` webhooks spread over `over` to the ingress ports, from
/// several threads; a webhook without a 2xx is sent again (to the other
/// ingress), up to 8 times in about 20 s, as a producer's retries do.
fn send_all(count: usize, over: Duration, ports: &[u16]) -> (std::thread::JoinHandle<()>, Arc<Mutex<Vec<Sent>>>) {
    let sent = Arc::new(Mutex::new(vec![Sent::default(); count]));
    let next = Arc::new(AtomicUsize::new(0));
    let ports = ports.to_vec();
    let start = Instant::now();
    let shared = Arc::clone(&sent);
    let handle = std::thread::spawn(move || {
        let workers: Vec<_> = (0..24)
            .map(|_| {
                let (sent, next, ports) = (Arc::clone(&shared), Arc::clone(&next), ports.clone());
                std::thread::spawn(move || {
                    loop {
                        let n = next.fetch_add(1, Ordering::SeqCst);
                        if n >= count {
                            break;
                        }
                        let due = start + over.mul_f64(n as f64 / count as f64);
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        let event = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3][n % 10];
                        let (_, text) = body(n, event);
                        let token = format!(
                            "Bearer token-of-{}_webhook_token",
                            ["shopify", "stripe", "website", "shipstation"][event]
                        );
                        let path = format!("/hooks/{}", EVENTS[event].0);
                        let first = Instant::now();
                        let (mut accepted, mut refused) = (false, 0);
                        for attempt in 0..8 {
                            let port = ports[(n + attempt) % ports.len()];
                            let status = http(port, "POST", &path, &[("Authorization", &token)], &text).map(|(s, _)| s);
                            if status.is_some_and(|s| (200..300).contains(&s)) {
                                accepted = true;
                                break;
                            }
                            refused += 1;
                            std::thread::sleep(
                                Duration::from_millis(500 * (attempt as u64 + 1)).min(Duration::from_secs(4)),
                            );
                        }
                        sent.lock().unwrap()[n] = Sent { event, first: Some(first), accepted, refused };
                    }
                })
            })
            .collect();
        for worker in workers {
            let _ = worker.join();
        }
    });
    (handle, sent)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_broker_loses_nothing_when_a_node_or_a_connector_dies() {
    node_red_js();
    let count = setting("WIREPLAN_CLUSTER_WEBHOOKS", 1_000).max(10);
    let over = Duration::from_secs(setting("WIREPLAN_CLUSTER_SECONDS", 60).max(10) as u64);
    let work = TempSpec::new("broker-cluster");
    let out = work.dir.join("out");
    build(&out);
    let mut cluster = Cluster::start(&work.dir.join("rabbitmq"));
    cluster.import(&out.join("rabbitmq/definitions.json"));

    let targets = Targets::start();
    let env = connector_env(&out, &targets, &cluster);
    let ingress_tab = |t: &Value| t["label"].as_str().is_some_and(|l| l.starts_with("wireplan: ingress"));
    // The egress: the consuming flows' tabs, and the delivery chain, the
    // throttle and the loop guard tabs they call.
    let egress_tab = |t: &Value| {
        t["info"].as_str().is_some_and(|i| i.contains("consumes its queue"))
            || t["label"].as_str().is_some_and(|l| {
                l.starts_with("wireplan: rate limit of ") || l == "wireplan: loop guard" || l == "wireplan: delivery"
            })
    };
    let mut ingress: Vec<Instance> =
        (0..2).map(|i| Instance::new(&out, &work.dir.join(format!("ingress{i}")), &env, ingress_tab)).collect();
    let mut egress: Vec<Instance> =
        (0..2).map(|i| Instance::new(&out, &work.dir.join(format!("egress{i}")), &env, egress_tab)).collect();
    for instance in ingress.iter_mut().chain(egress.iter_mut()) {
        instance.start();
    }
    for instance in ingress.iter().chain(egress.iter()) {
        instance.wait_connected();
    }

    // The busiest queue is order-to-erp by construction: it gets the most
    // frequent event, and its target fails a fifth of the time, so its
    // messages wait longest. Its leader is asked before the load (the
    // leader does not move before the first fault; `rabbitmqctl` under load
    // takes seconds, which would shift every fault).
    let busiest = "order-to-erp";
    let victim = cluster.leader(busiest).unwrap_or_else(|| panic!("no leader for {busiest}"));
    let ports: Vec<u16> = ingress.iter().map(|i| i.port).collect();
    let began = Instant::now();
    let (sender, sent) = send_all(count, over, &ports);
    let at = |fraction: f64| began + over.mul_f64(fraction);
    let until = |when: Instant| {
        if let Some(wait) = when.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    };
    let mut log = Vec::new();
    until(at(0.25));
    cluster.kill(victim);
    log.push(format!("{:>5.1} s: SIGKILL RabbitMQ node {victim}, leader of {busiest}", began.elapsed().as_secs_f64()));
    until(at(0.4));
    egress[0].kill();
    log.push(format!("{:>5.1} s: SIGKILL egress instance 0", began.elapsed().as_secs_f64()));
    until(at(0.5));
    ingress[0].kill();
    log.push(format!("{:>5.1} s: SIGKILL ingress instance 0", began.elapsed().as_secs_f64()));
    until(at(0.6));
    cluster.spawn(victim);
    log.push(format!("{:>5.1} s: restart RabbitMQ node {victim}", began.elapsed().as_secs_f64()));
    until(at(0.65));
    egress[0].start();
    log.push(format!("{:>5.1} s: restart egress instance 0", began.elapsed().as_secs_f64()));
    until(at(0.7));
    ingress[0].start();
    log.push(format!("{:>5.1} s: restart ingress instance 0", began.elapsed().as_secs_f64()));
    cluster.wait_up(victim);
    log.push(format!("{:>5.1} s: RabbitMQ node {victim} is back", began.elapsed().as_secs_f64()));
    sender.join().unwrap();
    let sent_done = began.elapsed();
    let sent: Vec<Sent> = sent.lock().unwrap().clone();

    // What every accepted webhook must reach.
    let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
    for (n, s) in sent.iter().enumerate() {
        if s.accepted {
            for target in EVENTS[s.event].2 {
                expected.insert(((*target).to_owned(), format!("wp{n}x")));
            }
        }
    }
    // Drain: every expected delivery made and every queue empty, or 5
    // minutes (and a tenth of a second more per webhook past 3,000).
    let drain = Instant::now();
    let patience = Duration::from_secs(300) + Duration::from_millis(100 * count.saturating_sub(3_000) as u64);
    let delivered = |hits: &[Hit]| -> BTreeSet<(String, String)> {
        hits.iter().filter(|h| h.ok).filter_map(|h| Some((h.target.clone(), h.id.clone()?))).collect()
    };
    loop {
        let hits = targets.hits();
        let got = delivered(&hits);
        let empty = cluster.counts(None).values().all(|n| *n == 0);
        if expected.is_subset(&got) && empty || drain.elapsed() > patience {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let hits = targets.hits();
    let counts = cluster.counts(None);
    let last_delivery = hits.iter().filter(|h| h.ok).map(|h| h.at).max().unwrap_or_else(Instant::now);

    let got = delivered(&hits);
    let lost: Vec<&(String, String)> = expected.difference(&got).collect();
    let mut per_pair: BTreeMap<(String, String), usize> = BTreeMap::new();
    for h in hits.iter().filter(|h| h.ok) {
        if let Some(id) = &h.id {
            *per_pair.entry((h.target.clone(), id.clone())).or_default() += 1;
        }
    }
    let duplicates: usize = per_pair.values().map(|n| n - 1).sum();
    // Every request that carries a key carries the webhook's own id.
    let wrong_keys: Vec<&Hit> = hits.iter().filter(|h| h.key.is_some() && h.key != h.id).collect();
    let unknown: Vec<&Hit> = hits.iter().filter(|h| h.id.is_none()).collect();
    let accepted = sent.iter().filter(|s| s.accepted).count();
    let refused_webhooks = sent.len() - accepted;
    let refused_answers: u32 = sent.iter().map(|s| s.refused).sum();
    let mut latencies: Vec<Duration> = sent
        .iter()
        .enumerate()
        .filter(|(_, s)| s.accepted)
        .filter_map(|(n, s)| {
            let id = format!("wp{n}x");
            let arrivals = EVENTS[s.event].2.iter().map(|t| {
                hits.iter().filter(|h| h.ok && h.target == *t && h.id.as_deref() == Some(&id)).map(|h| h.at).min()
            });
            let last = arrivals.collect::<Option<Vec<_>>>()?.into_iter().max()?;
            Some(last.duration_since(s.first?))
        })
        .collect();
    latencies.sort();
    let span = last_delivery.duration_since(began).max(sent_done);
    let report = format!(
        "broker cluster: {count} webhooks over {:.0} s to 2 ingress instances; 3 RabbitMQ nodes, 2 egress instances\n\
         {}\n\
         accepted {accepted}, refused {refused_webhooks} (non-2xx answers or connection errors: {refused_answers}), \
         deliveries expected {}, delivered {}, duplicates {duplicates}, lost {}\n\
         end-to-end latency p50 {:.0} ms, p99 {:.0} ms; throughput {:.1} webhooks/s ({:.1} target deliveries/s) over {:.1} s",
        over.as_secs_f64(),
        log.join("\n"),
        expected.len(),
        got.intersection(&expected).count(),
        lost.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        accepted as f64 / span.as_secs_f64(),
        got.len() as f64 / span.as_secs_f64(),
        span.as_secs_f64(),
    );
    eprintln!("{report}");
    assert!(accepted > 0, "nothing was accepted:\n{report}\n{}", ingress[1].log());
    assert!(
        lost.is_empty(),
        "{} accepted deliveries were lost, such as {:?}:\n{report}",
        lost.len(),
        lost.iter().take(5).collect::<Vec<_>>()
    );
    assert!(wrong_keys.is_empty(), "requests with another webhook's key: {:?}", &wrong_keys[..wrong_keys.len().min(5)]);
    assert!(unknown.is_empty(), "requests without a webhook id: {:?}", &unknown[..unknown.len().min(5)]);
    let status = cluster.ctl(victim, &["cluster_status", "--formatter", "json"]);
    let status: Value = serde_json::from_str(stdout(&status).trim()).unwrap_or(Value::Null);
    assert_eq!(status["running_nodes"].as_array().map_or(0, Vec::len), 3, "the restarted node is not back: {status}");
    let left: Vec<_> = counts.iter().filter(|(_, n)| **n > 0).collect();
    assert!(left.is_empty(), "messages left in queues (dead letters included): {left:?}\n{report}");
    for instance in ingress.iter_mut().chain(egress.iter_mut()) {
        instance.stop();
    }
}
