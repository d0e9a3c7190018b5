//! The broker deployment end to end, without faults: webhooks per second
//! from the ingress's 202 (RabbitMQ confirmed) to the last target's 2xx, on
//! one RabbitMQ node and on a cluster of three (Debian's `rabbitmq-server`,
//! private ports, one cookie, stopped by pid) with one Node-RED running the
//! stage-3 example's connectors. Included
//! by `broker.rs` with `#[path]`; `cargo bench --bench broker -- e2e` runs
//! only this part. `WIREPLAN_BENCH_WEBHOOKS` (default 2,000) and
//! `WIREPLAN_BENCH_SENDERS` (default 16 concurrent senders) set the load.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RABBITMQ_BIN: &str = "/usr/lib/rabbitmq/bin";
const EPMD: &str = "/usr/bin/epmd";
const VHOST: &str = "tidewater-outfitters";
const PASSWORD: &str = "bench-password";
/// Webhook events of the example and how many targets each reaches.
const EVENTS: &[(&str, &str, &str, usize)] = &[
    ("order.created", "order_id", "shopify", 6),
    ("payment.succeeded", "payment_id", "stripe", 3),
    ("newsletter.signup", "email", "website", 1),
    ("shipment.delivered", "shipment_id", "shipstation", 1),
];

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// Processes to stop by pid when the benchmark ends, however it ends: the
/// children, and the RabbitMQ nodes by the pids in their pid files.
#[derive(Default)]
struct Stop(Vec<Child>, Vec<PathBuf>);

impl Drop for Stop {
    fn drop(&mut self) {
        let pids: Vec<String> =
            self.1.iter().filter_map(|p| std::fs::read_to_string(p).ok()).map(|p| p.trim().to_owned()).collect();
        for pid in &pids {
            let _ = Command::new("kill").args(["-TERM", pid]).status();
        }
        let start = Instant::now();
        while pids.iter().any(|p| Path::new("/proc").join(p).exists()) && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(100));
        }
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Counts the targets' 2xx answers (the recorder answers 2xx to all).
fn recorder(count: Arc<AtomicUsize>) -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let count = Arc::clone(&count);
            std::thread::spawn(move || answer(stream, &count));
        }
    });
    Ok(port)
}

fn answer(stream: TcpStream, count: &AtomicUsize) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    let text = if line.starts_with("GET") { "[]" } else { "{}" };
    if !line.starts_with("GET") {
        count.fetch_add(1, Ordering::SeqCst);
    }
    let mut stream = reader.into_inner();
    let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}", text.len());
}

fn post(port: u16, path: &str, token: &str, body: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(15))).ok()?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

fn ctl(env: &[(String, String)], args: &[&str]) -> Result<String, String> {
    let out = Command::new(Path::new(RABBITMQ_BIN).join("rabbitmqctl"))
        .args(args)
        .envs(env.iter().cloned())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("rabbitmqctl {args:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs the benchmark; the report, or why it could not run.
pub(crate) fn run(wireplan: &str, tools: &Path, nodes: usize) -> Result<String, String> {
    let webhooks: usize = std::env::var("WIREPLAN_BENCH_WEBHOOKS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let senders: usize = std::env::var("WIREPLAN_BENCH_SENDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    let red_js = tools.join("node_modules/node-red/red.js");
    let amqplib = tools.join("node_modules/amqplib");
    if !Path::new(RABBITMQ_BIN).join("rabbitmq-server").exists() || !red_js.exists() || !amqplib.exists() {
        return Err("RabbitMQ, Node-RED or amqplib is missing: run `scripts/test.sh`, which installs them".into());
    }
    let dir = std::env::temp_dir().join(format!("wireplan-bench-broker-e2e-{nodes}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.join("out");
    let built = Command::new(wireplan)
        .args(["build", "examples/high-volume-retail", "--target", "broker", "--out"])
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    if !built.success() {
        return Err("wireplan build --target broker failed on the example".into());
    }
    let mut stop = Stop::default();
    let rabbit = dir.join("rabbitmq");
    std::fs::create_dir_all(rabbit.join("home")).map_err(|e| e.to_string())?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        let cookie = rabbit.join("home/.erlang.cookie");
        std::fs::write(&cookie, "WIREPLANBENCHCOOKIE").map_err(|e| e.to_string())?;
        std::fs::set_permissions(&cookie, std::fs::Permissions::from_mode(0o400)).map_err(|e| e.to_string())?;
    }
    std::fs::write(rabbit.join("empty.conf"), "").map_err(|e| e.to_string())?;
    std::fs::write(rabbit.join("enabled_plugins"), "[].\n").map_err(|e| e.to_string())?;
    let epmd_port = free_port()?;
    let quiet = || Stdio::null();
    stop.0.push(
        Command::new(EPMD)
            .args(["-port", &epmd_port.to_string()])
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .map_err(|e| e.to_string())?,
    );
    let shared = |p: &str| rabbit.join(p).display().to_string();
    let mut envs = Vec::new();
    let mut ports = Vec::new();
    for i in 0..nodes {
        let (port, dist) = (free_port()?, free_port()?);
        let path = |p: &str| rabbit.join(format!("node{i}")).join(p).display().to_string();
        let env: Vec<(String, String)> = [
            ("HOME", shared("home")),
            ("RABBITMQ_CONF_ENV_FILE", shared("empty.conf")),
            ("RABBITMQ_CONFIG_FILE", path("rabbitmq")),
            ("RABBITMQ_ENABLED_PLUGINS_FILE", shared("enabled_plugins")),
            ("RABBITMQ_NODENAME", format!("wireplan-bench-{port}@localhost")),
            ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1".into()),
            ("RABBITMQ_NODE_PORT", port.to_string()),
            ("RABBITMQ_DIST_PORT", dist.to_string()),
            ("ERL_EPMD_PORT", epmd_port.to_string()),
            ("ERL_EPMD_ADDRESS", "127.0.0.1".into()),
            ("RABBITMQ_PID_FILE", path("pid")),
            ("RABBITMQ_MNESIA_BASE", path("mnesia")),
            ("RABBITMQ_LOG_BASE", path("log")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        stop.0.push(
            Command::new(Path::new(RABBITMQ_BIN).join("rabbitmq-server"))
                .envs(env.iter().cloned())
                .stdin(quiet())
                .stdout(quiet())
                .stderr(quiet())
                .spawn()
                .map_err(|e| e.to_string())?,
        );
        stop.1.push(PathBuf::from(path("pid")));
        envs.push(env);
        ports.push(port);
    }
    for (i, env) in envs.iter().enumerate() {
        let pid = stop.1[i].display().to_string();
        ctl(env, &["wait", &pid, "--timeout", "180"])?;
    }
    let first = format!("wireplan-bench-{}@localhost", ports[0]);
    for env in envs.iter().skip(1) {
        ctl(env, &["stop_app"])?;
        ctl(env, &["join_cluster", &first])?;
        ctl(env, &["start_app"])?;
    }
    let env = &envs[0];
    ctl(env, &["import_definitions", &out.join("rabbitmq/definitions.json").display().to_string()])?;
    let start = Instant::now();
    while ctl(env, &["list_queues", "-p", VHOST, "name", "-q", "--no-table-headers"])?.lines().count() < 28 {
        if start.elapsed() > Duration::from_secs(120) {
            return Err("the import did not finish".into());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    ctl(env, &["change_password", "wireplan", PASSWORD])?;

    let delivered = Arc::new(AtomicUsize::new(0));
    let targets = recorder(Arc::clone(&delivered))?;
    let user = out.join("node-red");
    std::fs::create_dir_all(user.join("node_modules")).map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink(&amqplib, user.join("node_modules/amqplib")).map_err(|e| e.to_string())?;
    let settings = std::fs::read_to_string(user.join("settings.js")).map_err(|e| e.to_string())?;
    let list = settings.lines().find_map(|l| l.strip_prefix("const REQUIRED_ENV = ")).unwrap_or("[]");
    let names: Vec<String> = serde_json::from_str(list.trim_end_matches(';')).map_err(|e| e.to_string())?;
    let red_port = free_port()?;
    let mut red = Command::new("node");
    red.arg(&red_js).arg("--settings").arg(user.join("settings.js")).arg("--userDir").arg(&user);
    red.arg("--port").arg(red_port.to_string());
    for name in names {
        let value = match name.as_str() {
            "WIREPLAN_AMQP_ADDRESSES" => ports.iter().map(|p| format!("127.0.0.1:{p}")).collect::<Vec<_>>().join(","),
            "WIREPLAN_AMQP_USER" => "wireplan".into(),
            "WIREPLAN_AMQP_PASSWORD" => PASSWORD.into(),
            n if n.ends_with("_URL") => format!("http://127.0.0.1:{targets}/{}", n.to_ascii_lowercase()),
            n => format!("token-of-{}", n.to_ascii_lowercase()),
        };
        red.env(name, value);
    }
    let log = dir.join("node-red.log");
    let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let file2 = file.try_clone().map_err(|e| e.to_string())?;
    stop.0.push(red.stdin(quiet()).stdout(file).stderr(file2).spawn().map_err(|e| e.to_string())?);
    let start = Instant::now();
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("wireplan-amqp: connected to RabbitMQ") {
        if start.elapsed() > Duration::from_secs(60) {
            return Err(format!("Node-RED did not connect: {}", std::fs::read_to_string(&log).unwrap_or_default()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    let expected: usize = (0..webhooks).map(|n| EVENTS[n % EVENTS.len()].3).sum();
    let next = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(Mutex::new(BTreeSet::new()));
    let began = Instant::now();
    let workers: Vec<_> = (0..senders)
        .map(|_| {
            let (next, refused) = (Arc::clone(&next), Arc::clone(&refused));
            std::thread::spawn(move || {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= webhooks {
                        break;
                    }
                    let (event, key, producer, _) = EVENTS[n % EVENTS.len()];
                    let body = format!(
                        "{{\"{key}\":\"b{n}\",\"order_id\":\"b{n}\",\"email\":\"b{n}@example.com\",\"total\":\"1.00\"}}"
                    );
                    let token = format!("token-of-{producer}_webhook_token");
                    let ok = (0..5).any(|_| post(red_port, &format!("/hooks/{event}"), &token, &body) == Some(202));
                    if !ok {
                        refused.lock().map(|mut r| r.insert(n)).unwrap_or_default();
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    let accepted_in = began.elapsed();
    while delivered.load(Ordering::SeqCst) < expected && began.elapsed() < Duration::from_secs(600) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let all_in = began.elapsed();
    let refused = refused.lock().map(|r| r.len()).unwrap_or(0);
    Ok(format!(
        "end to end, {nodes} RabbitMQ node(s), 1 Node-RED, {senders} concurrent senders: {webhooks} webhooks ({refused} refused), \
         {expected} target deliveries\n\
         accepted (202 after the confirm): {:.1} s, {:.0} webhooks/s\n\
         delivered to every target: {:.1} s, {:.0} webhooks/s, {:.0} deliveries/s ({} of {expected} delivered)",
        accepted_in.as_secs_f64(),
        webhooks as f64 / accepted_in.as_secs_f64(),
        all_in.as_secs_f64(),
        webhooks as f64 / all_in.as_secs_f64(),
        delivered.load(Ordering::SeqCst) as f64 / all_in.as_secs_f64(),
        delivered.load(Ordering::SeqCst),
    ))
}
