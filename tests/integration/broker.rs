//! `wireplan build --target broker` for real, on the stage-3 example
//! (`examples/high-volume-retail`): the output is deterministic and
//! `--check` catches a hand edit; `asyncapi.yaml` passes the official
//! AsyncAPI 3.0.0 JSON Schema and the official parser; the definitions
//! import into a real RabbitMQ (Debian's `rabbitmq-server`, started by the
//! test on private ports with its own HOME and epmd, stopped by pid) and
//! route each event to exactly its subscribers, dead-lettering past the
//! delivery limit; and the connectors, in a real Node-RED, carry a webhook
//! through the broker to every target, mapped, dead-letter what always
//! fails, and lose nothing when killed mid-delivery.
//!
//! The runtimes come from `scripts/test.sh` (the Debian package, and
//! `@asyncapi/specs`, `@asyncapi/parser`, `amqplib` (the connectors' client
//! and the tests' own) and `node-red` in `.tools/`); the tests that need them are
//! `#[ignore]`d in a plain `cargo test` and fail in one line when missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::broker_node::{Extras, Rabbit, connector_env_at};
use crate::hub::{NodeRed, Recorder, free_port, node_red_js};
use crate::util::{TempSpec, base64, code, root, stderr, stdout};

const EXAMPLE: &str = "examples/high-volume-retail";
pub(crate) const VHOST: &str = "tidewater-outfitters";
pub(crate) const RABBITMQ_BIN: &str = "/usr/lib/rabbitmq/bin";
pub(crate) const EPMD: &str = "/usr/bin/epmd";

/// Each routing key of the example and the queues that must get it: read
/// from the spec by hand, not from the emitter.
const ROUTES: &[(&str, &str, &[&str])] = &[
    (
        "shopify",
        "order.created",
        &[
            "order-to-erp",
            "order-to-fulfilment",
            "order-to-crm",
            "order-to-email",
            "order-to-loyalty",
            "order-to-analytics",
        ],
    ),
    ("stripe", "payment.succeeded", &["payments-to-warehouse", "payment-to-email", "conversions-to-ads"]),
    ("shipstation", "shipment.delivered", &["delivered-to-reviews"]),
    ("website", "newsletter.signup", &["signup-to-email"]),
    ("netsuite", "poll.inventory-to-storefront", &["inventory-to-storefront"]),
    ("zendesk", "poll.tickets-to-crm", &["tickets-to-crm"]),
    ("zendesk", "poll.tickets-to-warehouse", &["tickets-to-warehouse"]),
];

pub(crate) fn tools() -> PathBuf {
    std::env::var_os("WIREPLAN_TOOLS").map_or_else(|| root().join(".tools"), PathBuf::from)
}

pub(crate) fn npm_module(name: &str) -> PathBuf {
    let path = tools().join("node_modules").join(name);
    assert!(
        path.exists(),
        "{name} is missing ({}): run `scripts/test.sh`, which installs it into .tools/",
        path.display()
    );
    path
}

/// Builds the example for the broker into `out`.
pub(crate) fn build(out: &Path) {
    let built = crate::util::wireplan()
        .args(["build", EXAMPLE, "--target", "broker", "--out"])
        .arg(out)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&built), 0, "{}", stderr(&built));
}

/// The AsyncAPI document as JSON (it is written as JSON, which is YAML).
fn asyncapi(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("asyncapi.yaml")).unwrap();
    let json: String = text.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
    serde_json::from_str(&json).unwrap()
}

#[test]
fn broker_output_is_deterministic_and_check_catches_a_hand_edit() {
    let work = TempSpec::new("broker-build");
    let (a, b) = (work.dir.join("a"), work.dir.join("b"));
    build(&a);
    build(&b);
    for file in [
        "README.md",
        "asyncapi.yaml",
        "rabbitmq/definitions.json",
        "node-red/flows.json",
        "node-red/flows_cred.json",
        "node-red/settings.js",
        "node-red/package.json",
        "node-red/nodes/wireplan-amqp.js",
        "node-red/nodes/wireplan-amqp.html",
    ] {
        assert_eq!(std::fs::read(a.join(file)).unwrap(), std::fs::read(b.join(file)).unwrap(), "{file}");
    }
    let definitions: Value =
        serde_json::from_slice(&std::fs::read(a.join("rabbitmq/definitions.json")).unwrap()).unwrap();
    // No credential in any file: the user has no password, the connectors'
    // credentials are environment references.
    assert_eq!(definitions["users"][0]["password_hash"], "");
    let credentials = std::fs::read_to_string(a.join("node-red/flows_cred.json")).unwrap();
    assert!(credentials.contains("${WIREPLAN_AMQP_PASSWORD}"), "{credentials}");
    // Every queue is a quorum queue; every flow with `dead-letter` has its DLQ.
    let queues: BTreeSet<&str> =
        definitions["queues"].as_array().unwrap().iter().map(|q| q["name"].as_str().unwrap()).collect();
    for q in definitions["queues"].as_array().unwrap() {
        assert_eq!(q["arguments"]["x-queue-type"], "quorum", "{q}");
    }
    for (_, _, subscribers) in ROUTES {
        for s in *subscribers {
            assert!(queues.contains(s) && queues.contains(format!("{s}.dlq").as_str()), "{s}");
        }
    }
    // order-to-erp: attempts=8, so 7 redeliveries.
    let policy = definitions["policies"].as_array().unwrap().iter().find(|p| p["name"] == "order-to-erp").unwrap();
    assert_eq!(policy["definition"], json!({"delivery-limit": 7, "dead-letter-exchange": "order-to-erp.dlx"}));
    // The idempotency key is a header of the keyed messages.
    let doc = asyncapi(&a);
    assert_eq!(doc["asyncapi"], "3.0.0");
    let order = &doc["components"]["messages"]["order.created"];
    assert_eq!(order["headers"]["required"], json!(["idempotency-key"]));
    assert_eq!(order["payload"]["properties"]["email"], json!({"type": "string", "format": "email"}));
    assert_eq!(order["payload"]["properties"]["total"]["type"], "string");

    let check = crate::util::wireplan()
        .args(["build", EXAMPLE, "--target", "broker", "--check", "--out"])
        .arg(&a)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&check), 0, "{}{}", stdout(&check), stderr(&check));
    let path = a.join("rabbitmq/definitions.json");
    let edited = std::fs::read_to_string(&path).unwrap().replace("\"delivery-limit\": 7", "\"delivery-limit\": 70");
    std::fs::write(&path, edited).unwrap();
    let check = crate::util::wireplan()
        .args(["build", EXAMPLE, "--target", "broker", "--check", "--out"])
        .arg(&a)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&check), 1, "{}{}", stdout(&check), stderr(&check));
    assert!(format!("{}{}", stdout(&check), stderr(&check)).contains("rabbitmq/definitions.json"));
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn asyncapi_passes_the_official_schema_and_parser() {
    let specs = npm_module("@asyncapi/specs");
    let parser = npm_module("@asyncapi/parser");
    assert!(parser.exists());
    let work = TempSpec::new("broker-asyncapi");
    let out = work.dir.join("out");
    build(&out);
    let schema: Value = serde_json::from_slice(&std::fs::read(specs.join("schemas/3.0.0.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc = asyncapi(&out);
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "asyncapi.yaml fails the AsyncAPI 3.0.0 schema:\n{}", errors.join("\n"));
    let hostile = TempSpec::new("broker-asyncapi-hostile");
    hostile.file("wireplan.kdl", hostile_spec());
    let built = hostile.run(&["build", "--target", "broker", "--out", "out"]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let hostile_doc = asyncapi(&hostile.dir.join("out"));
    assert!(validator.is_valid(&hostile_doc), "the hostile spec's document fails the schema");
    // The schema must also reject what is wrong, or it proves nothing.
    let mut broken = doc.clone();
    broken["operations"]["shopify.send.order.created"]["action"] = json!("publish");
    assert!(!validator.is_valid(&broken));

    let script = work.file(
        "parse.mjs",
        "import { Parser } from '@asyncapi/parser';\n\
         import { readFileSync } from 'fs';\n\
         const { document, diagnostics } = await new Parser().parse(readFileSync(process.argv[2], 'utf8'));\n\
         for (const d of diagnostics) console.log(JSON.stringify({severity: d.severity, code: d.code, message: d.message, path: d.path}));\n\
         process.exit(document ? 0 : 1);\n",
    );
    // An ES module resolves packages from its own folder up: link them in.
    std::os::unix::fs::symlink(tools().join("node_modules"), work.dir.join("node_modules")).unwrap();
    let parsed = Command::new("node").arg(&script).arg(hostile.dir.join("out/asyncapi.yaml")).output().unwrap();
    assert_eq!(
        code(&parsed),
        0,
        "the parser rejects the hostile spec's document:\n{}{}",
        stdout(&parsed),
        stderr(&parsed)
    );
    let parsed = Command::new("node").arg(&script).arg(out.join("asyncapi.yaml")).output().unwrap();
    assert_eq!(code(&parsed), 0, "the parser gave no document:\n{}{}", stdout(&parsed), stderr(&parsed));
    // Severity 0 is an error, 1 a warning (2 and 3 are hints, such as "3.1.0 exists").
    let printed = stdout(&parsed);
    let problems: Vec<&str> = printed
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).is_ok_and(|d| d["severity"].as_u64().is_some_and(|s| s <= 1)))
        .collect();
    assert!(problems.is_empty(), "the parser reports errors or warnings:\n{}", problems.join("\n"));
}

/// The environment that keeps a RabbitMQ node of the tests (and the CLI
/// tools that talk to it) on its own name, ports and folders: its pid,
/// database, logs and config under `dir`; HOME (the Erlang cookie), the env
/// file and the enabled-plugins file under `shared` (the node's own folder,
/// or the folder a cluster's nodes share). `ports`: AMQP, distribution, epmd.
pub(crate) fn node_env(dir: &Path, shared: &Path, name: &str, ports: [u16; 3]) -> Vec<(String, String)> {
    let [port, dist, epmd_port] = ports;
    let path = |p: &str| dir.join(p).display().to_string();
    let shared = |p: &str| shared.join(p).display().to_string();
    [
        ("HOME", shared("home")),
        ("RABBITMQ_CONF_ENV_FILE", shared("empty.conf")),
        ("RABBITMQ_CONFIG_FILE", path("rabbitmq")),
        ("RABBITMQ_ENABLED_PLUGINS_FILE", shared("enabled_plugins")),
        ("RABBITMQ_NODENAME", name.to_owned()),
        ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1".into()),
        ("RABBITMQ_NODE_PORT", port.to_string()),
        ("RABBITMQ_DIST_PORT", dist.to_string()),
        ("ERL_EPMD_PORT", epmd_port.to_string()),
        ("ERL_EPMD_ADDRESS", "127.0.0.1".into()),
        ("RABBITMQ_PID_FILE", path("pid")),
        ("RABBITMQ_MNESIA_BASE", path("mnesia")),
        ("RABBITMQ_LOG_BASE", path("log")),
        ("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Stops a node started by `spawn_node`: TERM to the pid in its pid file
/// (the server's), waiting up to 30 s for it to exit, then the server and
/// epmd processes by their own ids.
pub(crate) fn stop_node(dir: &Path, server: &mut Child, epmd: &mut Child) {
    let pid = std::fs::read_to_string(dir.join("pid")).unwrap_or_default();
    let pid = pid.trim();
    if !pid.is_empty() {
        let _ = Command::new("kill").args(["-TERM", pid]).status();
        let start = Instant::now();
        while Path::new("/proc").join(pid).exists() && start.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let _ = epmd.kill();
    let _ = epmd.wait();
}

/// Starts a node's own epmd on `epmd_port` and `rabbitmq-server` with
/// `env` (from `node_env`), both writing to `dir/server.out`; the caller
/// stops them by process id.
pub(crate) fn spawn_node(dir: &Path, env: &[(String, String)], epmd_port: u16) -> (Child, Child) {
    let log = std::fs::File::create(dir.join("server.out")).unwrap();
    let epmd = Command::new(EPMD)
        .args(["-port", &epmd_port.to_string()])
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log.try_clone().unwrap())
        .spawn()
        .unwrap();
    let server = Command::new(Path::new(RABBITMQ_BIN).join("rabbitmq-server"))
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    (epmd, server)
}

/// Runs `rabbitmqctl wait PID_FILE` through `ctl` until the node runs.
/// The node creates its pid file before it writes the pid into it, and a
/// `wait` that reads the file between the two gives up at once
/// (`garbage_in_pid_file`, exit 69); such a read is retried, every other
/// answer is returned as it came.
pub(crate) fn wait_for_node(
    pid_file: &Path,
    timeout: Duration,
    ctl: impl Fn(&[&str]) -> std::process::Output,
) -> std::process::Output {
    let start = Instant::now();
    let (pid, seconds) = (pid_file.display().to_string(), timeout.as_secs().to_string());
    loop {
        let waited = ctl(&["wait", &pid, "--timeout", &seconds]);
        let said = format!("{}{}", stdout(&waited), stderr(&waited));
        let half_written = code(&waited) != 0 && said.contains("garbage_in_pid_file");
        if !half_written || start.elapsed() > timeout {
            return waited;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An AMQP client for the test: `publish EXCHANGE KEY BODY [IDEMPOTENCY-KEY]`
/// and `reject QUEUE DLQ` (reject with requeue until the message is
/// dead-lettered; prints the deliveries seen and the dead letter's headers).
pub(crate) const AMQP_JS: &str = r#"
const amqp = require("amqplib");
const [url, command, ...args] = process.argv.slice(2);
(async () => {
    const connection = await amqp.connect(url);
    const channel = await connection.createConfirmChannel();
    if (command === "publish") {
        const [exchange, key, body, id] = args;
        const headers = id ? { "idempotency-key": id } : {};
        channel.publish(exchange, key, Buffer.from(body), { persistent: true, contentType: "application/json", headers });
        await channel.waitForConfirms();
    } else if (command === "reject") {
        const [queue, dlq] = args;
        let deliveries = 0;
        await channel.consume(queue, (m) => { deliveries += 1; channel.nack(m, false, true); });
        const start = Date.now();
        let dead = null;
        while (!dead && Date.now() - start < 20000) {
            await new Promise((r) => setTimeout(r, 100));
            const got = await channel.get(dlq, { noAck: true });
            if (got) dead = got;
        }
        console.log(JSON.stringify({ deliveries, dead: dead && { headers: dead.properties.headers, body: dead.content.toString() } }));
    }
    await connection.close();
})().catch((e) => { console.error(e.message); process.exit(1); });
"#;

pub(crate) const PASSWORD: &str = "broker-test-password";

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn definitions_route_every_event_to_its_subscribers_and_dead_letter_past_the_limit() {
    let work = TempSpec::new("broker-rabbitmq");
    let out = work.dir.join("out");
    build(&out);
    let rabbit = Rabbit::start(&work.dir, "broker");
    rabbit.import(&out, VHOST);
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for (exchange, key, subscribers) in ROUTES {
        let body = json!({"route": key}).to_string();
        let published = rabbit.amqp(VHOST, &["publish", exchange, key, &body, "k-1"]);
        assert_eq!(code(&published), 0, "{}", stderr(&published));
        for s in *subscribers {
            *expected.entry((*s).to_owned()).or_default() += 1;
        }
        let counts = rabbit.wait_messages(VHOST, &expected, Duration::from_secs(10));
        let wrong: Vec<String> = counts
            .iter()
            .filter(|(q, n)| expected.get(*q).copied().unwrap_or(0) != **n)
            .map(|(q, n)| format!("{q}: {n}, expected {}", expected.get(q).copied().unwrap_or(0)))
            .collect();
        assert!(wrong.is_empty(), "after publishing {key} to {exchange}: {}", wrong.join("; "));
    }
    // signup-to-email: attempts=5, so five deliveries, then the DLQ.
    let rejected = rabbit.amqp(VHOST, &["reject", "signup-to-email", "signup-to-email.dlq"]);
    assert_eq!(code(&rejected), 0, "{}", stderr(&rejected));
    let result: Value = serde_json::from_str(stdout(&rejected).trim()).unwrap();
    assert_eq!(result["deliveries"], 5, "{result}");
    assert_eq!(result["dead"]["headers"]["x-first-death-reason"], "delivery_limit", "{result}");
    assert_eq!(result["dead"]["headers"]["idempotency-key"], "k-1", "{result}");
}

/// What Node-RED logs once wireplan's AMQP nodes are connected.
pub(crate) const CONNECTED: &str = "wireplan-amqp: connected to RabbitMQ";

/// A Node-RED user folder at `dir` with the connectors of `out`: the flows,
/// settings, package and wireplan's AMQP nodes, and amqplib from `.tools/`
/// where `npm install` would put it.
pub(crate) fn connector_dir(out: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("node_modules")).unwrap();
    std::fs::create_dir_all(dir.join("nodes")).unwrap();
    for file in ["flows.json", "flows_cred.json", "settings.js", "package.json"] {
        std::fs::copy(out.join("node-red").join(file), dir.join(file)).unwrap();
    }
    for file in ["wireplan-amqp.js", "wireplan-amqp.html"] {
        std::fs::copy(out.join("node-red/nodes").join(file), dir.join("nodes").join(file)).unwrap();
    }
    std::os::unix::fs::symlink(npm_module("amqplib"), dir.join("node_modules/amqplib")).unwrap();
    dir.to_path_buf()
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn connectors_carry_a_webhook_through_the_real_broker() {
    node_red_js();
    let work = TempSpec::new("broker-connectors");
    let out = work.dir.join("out");
    build(&out);
    let rabbit = Rabbit::start(&work.dir, "broker");
    rabbit.import(&out, VHOST);

    let user_dir = connector_dir(&out, &work.dir.join("user"));
    let recorder = Recorder::start();
    // Klaviyo always fails: order-to-email ends in its dead-letter queue.
    recorder.fail("/klaviyo", usize::MAX);
    let env = connector_env_at(&out, &rabbit, |system| recorder.url(&format!("/{system}")));
    let red = NodeRed::start(&user_dir, &env, "node-red.log");
    let connected = Instant::now();
    while !red.log().contains(CONNECTED) {
        assert!(connected.elapsed() < Duration::from_secs(30), "no AMQP connection:\n{}", red.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!red.log().contains("Waiting for missing types"), "{}", red.log());

    let order = json!({"order_id": "o-1001", "email": "ada@example.com", "total": "129.90", "placed_at": "2026-11-30T10:00:00Z"});
    let auth = "Bearer token-of-shopify_webhook_token";
    assert_eq!(red.post("/hooks/order.created", &[("Authorization", "Bearer wrong")], &order.to_string()), 401);
    assert_eq!(red.post("/hooks/order.created", &[("Authorization", auth)], &order.to_string()), 202);

    // Each subscribing target gets it, mapped; Klaviyo five times (attempts=5).
    let targets =
        ["/netsuite/sales_order", "/shipstation/", "/salesforce/Order", "/loyaltylion/customer", "/segment/track"];
    let requests = recorder.wait_for(targets.len() + 5, Duration::from_secs(60), |r| r.method != "GET");
    let writes: Vec<_> = requests.iter().filter(|r| r.method != "GET").collect();
    for target in targets {
        let got: Vec<_> = writes.iter().filter(|r| r.path == target).collect();
        assert_eq!(got.len(), 1, "{target}: {writes:#?}");
    }
    let erp = writes.iter().find(|r| r.path == "/netsuite/sales_order").unwrap();
    assert_eq!(erp.json(), json!({"external_id": "o-1001", "amount": "129.90", "customer_email": "ada@example.com"}));
    assert_eq!(erp.headers["idempotency-key"], "o-1001");
    assert_eq!(erp.headers["authorization"], "Bearer token-of-netsuite_token");
    assert_eq!(erp.method, "POST");
    let crm = writes.iter().find(|r| r.path == "/salesforce/Order").unwrap();
    assert_eq!(crm.json(), order, "no map: the payload as it came");
    let dead =
        rabbit.wait_messages(VHOST, &BTreeMap::from([("order-to-email.dlq".to_owned(), 1)]), Duration::from_secs(60));
    assert_eq!(dead.get("order-to-email.dlq"), Some(&1), "{dead:?}\n{}", red.log());
    let klaviyo = recorder.wait_for(5, Duration::from_secs(5), |r| r.path.starts_with("/klaviyo"));
    assert_eq!(klaviyo.iter().filter(|r| r.path.starts_with("/klaviyo")).count(), 5);
    let audit = std::fs::read_to_string(user_dir.join("data/audit.jsonl")).unwrap_or_default();
    assert!(audit.contains("\"outcome\":\"delivered\"") && audit.contains("order-to-erp"), "{audit}");
    recorder.take();

    // Killed while NetSuite holds the request: the delivery was not
    // acknowledged, so after a restart it comes again, with the same key.
    recorder.state.lock().unwrap().hold.insert("/netsuite".into(), Duration::from_secs(3));
    recorder.state.lock().unwrap().fail.clear();
    let second =
        json!({"order_id": "o-1002", "email": "bob@example.com", "total": "5.00", "placed_at": "2026-11-30T11:00:00Z"});
    assert_eq!(red.post("/hooks/order.created", &[("Authorization", auth)], &second.to_string()), 202);
    let all = [
        "/netsuite/sales_order",
        "/shipstation/",
        "/salesforce/Order",
        "/loyaltylion/customer",
        "/segment/track",
        "/klaviyo/profile",
    ];
    // Every target has been called (NetSuite's call is still held).
    let seen = |recorder: &Recorder, netsuite: usize| {
        let requests = recorder.state.lock().unwrap().requests.clone();
        let count = |t: &str| requests.iter().filter(|r| r.path == t).count();
        all.iter().all(|t| count(t) >= 1) && count("/netsuite/sales_order") >= netsuite
    };
    let start = Instant::now();
    while !seen(&recorder, 1) {
        assert!(start.elapsed() < Duration::from_secs(30), "not every target was called: {:#?}", recorder.take());
        std::thread::sleep(Duration::from_millis(50));
    }
    red.kill();
    recorder.state.lock().unwrap().hold.clear();
    let red = NodeRed::start(&user_dir, &env, "node-red-2.log");
    let start = Instant::now();
    while !seen(&recorder, 2) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "NetSuite's delivery was lost: {:#?}\n{}",
            recorder.take(),
            red.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let requests = recorder.take();
    for target in all {
        let got: Vec<_> = requests.iter().filter(|r| r.path == target).collect();
        for r in &got {
            let body = r.json();
            assert_eq!(body["order_id"].as_str().or(body["external_id"].as_str()), Some("o-1002"), "{target}");
        }
        // The flows with an `idempotency-key` send it, the same every time.
        if matches!(target, "/netsuite/sales_order" | "/shipstation/" | "/segment/track") {
            let keys: BTreeSet<&str> = got.iter().map(|r| r.headers["idempotency-key"].as_str()).collect();
            assert_eq!(keys, BTreeSet::from(["o-1002"]), "{target}: the target can drop a repeat by its key");
        }
    }
    let netsuite = requests.iter().filter(|r| r.path == "/netsuite/sales_order").count();
    assert_eq!(netsuite, 2, "NetSuite sees the unacknowledged delivery once more, and only once");
    // Nothing is left behind, and only the always-failing flow dead-lettered.
    let settled =
        rabbit.wait_messages(VHOST, &BTreeMap::from([("order-to-email.dlq".to_owned(), 1)]), Duration::from_secs(30));
    let left: Vec<_> = settled.iter().filter(|(q, n)| **n > 0 && q.as_str() != "order-to-email.dlq").collect();
    assert!(left.is_empty(), "messages left: {left:?}");
    red.stop();

    // Without a broker, a webhook is refused (503: the producer retries),
    // not accepted and lost.
    let mut no_broker = env.clone();
    for (name, value) in &mut no_broker {
        if name == "WIREPLAN_AMQP_ADDRESSES" {
            *value = format!("127.0.0.1:{}", free_port());
        }
    }
    let red = NodeRed::start(&user_dir, &no_broker, "node-red-3.log");
    assert_eq!(red.post("/hooks/order.created", &[("Authorization", auth)], &order.to_string()), 503);
    red.stop();
}

/// A spec whose names hold quotes, line separators, JSONata and JavaScript syntax,
/// `../`, topic wildcards and YAML syntax.
fn hostile_spec() -> String {
    let hostile =
        [r#"q\"uote"#, r"new\u{2028}line", r#"$x & 'y' ; $eval(\"1\")"#, r"../../etc", r"a.*.#", r"- [x]: {y}"];
    let mut text = String::new();
    for (i, name) in hostile.iter().enumerate() {
        text.push_str(&format!(
            "system \"src{i}{name}\" kind=custom {{\n    webhooks #true\n}}\n\
             system \"dst{i}{name}\" kind=custom {{\n    secret \"DST_{i}_TOKEN\"\n}}\n\
             event \"ev{i}{name}\" from=\"src{i}{name}\" {{\n    key \"k{name}\"\n    field \"k{name}\" type=string\n}}\n\
             flow \"flow{i}{name}\" {{\n    on \"ev{i}{name}\"\n    to \"dst{i}{name}\" action=upsert {{\n        \
             map \"k{name}\" to=\"t{name}\"\n    }}\n    retry attempts=2\n    dead-letter\n}}\n"
        ));
    }
    text
}

/// Names with quotes, newlines, JSONata and JavaScript syntax, `../`, topic
/// wildcards and YAML syntax stay data: broker names, routing keys and
/// AsyncAPI ids are slugs, the connectors' expressions are the example's,
/// and the names come back exactly from the JSON.
#[test]
fn hostile_names_stay_data_on_the_broker() {
    let text = hostile_spec();
    let spec = TempSpec::new("broker-hostile");
    spec.file("wireplan.kdl", &text);
    let out = spec.run(&["build", "--target", "broker", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let definitions: Value =
        serde_json::from_slice(&std::fs::read(spec.dir.join("out/rabbitmq/definitions.json")).unwrap()).unwrap();
    let slug = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    for kind in ["exchanges", "queues"] {
        for item in definitions[kind].as_array().unwrap() {
            assert!(slug(item["name"].as_str().unwrap()), "{item}");
        }
    }
    for binding in definitions["bindings"].as_array().unwrap() {
        let key = binding["routing_key"].as_str().unwrap();
        assert!(!key.contains(['*', '#']) && (key.is_empty() || slug(key)), "{binding}");
    }
    let doc = asyncapi(&spec.dir.join("out"));
    for section in [&doc["channels"], &doc["operations"], &doc["components"]["messages"]] {
        for id in section.as_object().unwrap().keys() {
            assert!(slug(id), "{id}");
        }
    }
    let titles: Vec<&str> =
        doc["components"]["messages"].as_object().unwrap().values().map(|m| m["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"ev4a.*.#"), "{titles:?}");
    let expressions = |path: &Path| -> BTreeSet<String> {
        let flows: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let mut all = BTreeSet::new();
        for node in flows.as_array().unwrap() {
            if let Some(func) = node["func"].as_str() {
                all.insert(func.to_owned());
            }
            for rule in node["rules"].as_array().into_iter().flatten() {
                if rule["tot"] == "jsonata" {
                    all.insert(rule["to"].as_str().unwrap().to_owned());
                }
            }
        }
        all
    };
    let clean = TempSpec::new("broker-hostile-clean");
    build(&clean.dir.join("out"));
    let allowed = expressions(&clean.dir.join("out/node-red/flows.json"));
    let got = expressions(&spec.dir.join("out/node-red/flows.json"));
    assert!(got.is_subset(&allowed), "{:?}", got.difference(&allowed).collect::<Vec<_>>());
}

/// RabbitMQ reserves `amq.` names and would refuse the exchange at import;
/// the build stops first and says why.
#[test]
fn a_reserved_exchange_name_stops_the_build() {
    let spec = TempSpec::new("broker-amq");
    spec.file(
        "wireplan.kdl",
        "system \"amq.shop\" kind=ecommerce {\n    webhooks #true\n}\nsystem \"crm\" kind=crm\n\
         event \"order.created\" from=\"amq.shop\" {\n    field \"id\" type=string\n}\n\
         flow \"orders\" {\n    on \"order.created\"\n    to crm action=upsert\n}\n",
    );
    let out = spec.run(&["build", "--target", "broker", "--out", "out"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("amq."), "{}", stderr(&out));
    assert!(!spec.dir.join("out/rabbitmq").exists());
}

/// A flow with two targets acknowledges only after both answered 2xx: each
/// target is one configuration node with its step, the targets share one
/// delivery chain, and after a 2xx the payload is restored and the `next
/// target` switch leads step 0 to the second target's configuration and the
/// last step to the acknowledgement.
#[test]
fn a_flow_with_two_targets_acknowledges_after_both() {
    let spec = TempSpec::new("broker-two-targets");
    spec.file(
        "wireplan.kdl",
        "system \"shop\" kind=ecommerce {\n    webhooks #true\n}\nsystem \"crm\" kind=crm\nsystem \"mail\" kind=email\n\
         event \"order.created\" from=shop {\n    key \"id\"\n    field \"id\" type=string required=#true\n}\n\
         flow \"fan\" {\n    on \"order.created\"\n    to crm action=upsert\n    to mail action=upsert\n    \
         idempotency-key \"id\"\n    retry attempts=2\n    dead-letter\n}\n",
    );
    let out = spec.run(&["build", "--target", "broker", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let flows: Value =
        serde_json::from_slice(&std::fs::read(spec.dir.join("out/node-red/flows.json")).unwrap()).unwrap();
    let nodes = flows.as_array().unwrap();
    let by_id = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap().clone();
    let named = |name: &str| nodes.iter().filter(|n| n["name"] == name).cloned().collect::<Vec<_>>();
    let wire = |n: &Value, output: usize| by_id(n["wires"][output][0].as_str().unwrap());
    // Accepted means stored: the 202 follows the publisher's confirm, and
    // only it; a refusal answers 503.
    let publish = nodes.iter().find(|n| n["type"] == "wireplan-amqp-publish").unwrap();
    assert_eq!(wire(publish, 0)["name"], "202 accepted");
    assert_eq!(wire(publish, 1)["name"], "503 unavailable");
    let to_accepted =
        nodes.iter().filter(|n| n["wires"].to_string().contains(wire(publish, 0)["id"].as_str().unwrap()));
    assert_eq!(to_accepted.count(), 1, "only the confirm leads to 202");
    let consume = nodes.iter().find(|n| n["type"] == "wireplan-amqp-consume").unwrap();
    assert_eq!(consume["prefetch"], 10);
    let crm = wire(consume, 0);
    assert_eq!(crm["name"], "to crm");
    let config = |n: &Value| -> Value { serde_json::from_str(n["rules"][0]["to"].as_str().unwrap()).unwrap() };
    assert_eq!(config(&crm)["step"], 0);
    // Each target calls the one shared chain (map, send, request, 2xx?),
    // which answers whether it took it.
    let call = wire(&crm, 0);
    assert_eq!((&call["type"], &call["name"]), (&"link call".into(), &"deliver to the target".into()));
    let map = wire(&by_id(call["links"][0].as_str().unwrap()), 0);
    assert_eq!(map["name"], "map the body");
    let switches = named("2xx?");
    assert_eq!(switches.len(), 1);
    let status = &switches[0];
    let restore = wire(status, 0);
    assert_eq!(restore["name"], "delivered: the payload again");
    let back = wire(&restore, 0);
    assert_eq!((&back["type"], &back["mode"]), (&"link out".into(), &"return".into()));
    let answered = wire(&call, 0);
    assert_eq!(answered["name"], "delivered?");
    let next = wire(&answered, 0);
    assert_eq!(next["name"], "next target");
    assert_eq!(next["property"], "_wp.step");
    assert_eq!(next["outputs"], 2);
    assert_eq!(next["rules"], serde_json::json!([{"t": "eq", "v": "0", "vt": "num"}, {"t": "else"}]));
    let mail = wire(&next, 0);
    assert_eq!(mail["name"], "to mail");
    assert_eq!(config(&mail)["step"], 1);
    assert_eq!(mail["wires"], crm["wires"]);
    let delivered = wire(&next, 1);
    assert_eq!(delivered["name"], "delivered");
    assert_eq!(wire(&delivered, 0)["type"], "wireplan-amqp-ack");
    assert_eq!(wire(&delivered, 0)["nack"], false);
    // A failure of either target goes to the one rejection path: the
    // attempt is RabbitMQ's delivery count, read after the mapping; the
    // chain computes the failing target's back-off (`msg.delay`), which a
    // delivery the queue will redeliver waits (the `delay` node in its
    // override mode), and the last one (attempts=2) is rejected at once.
    let attempt = wire(&map, 0);
    assert_eq!(attempt["type"], "function");
    assert!(attempt["func"].as_str().unwrap().contains("msg.amqp.deliveryCount"), "{attempt}");
    assert_eq!(wire(&attempt, 0)["name"], "send");
    let chain_failed = wire(status, 1);
    assert_eq!(chain_failed["rules"][1]["p"], "delay");
    assert_eq!(wire(&chain_failed, 0)["id"], back["id"], "a failure answers too");
    let failed = wire(&answered, 1);
    assert_eq!(failed["name"], "failed");
    assert_eq!(failed["rules"][0], serde_json::json!({"t": "lt", "v": "2", "vt": "num"}));
    let back_off = wire(&failed, 0);
    assert_eq!(back_off["name"], "back off");
    let wait = nodes.iter().find(|n| n["type"] == "delay").unwrap();
    assert_eq!(wait["pauseType"], "delayv");
    assert_eq!(wire(wait, 0)["nack"], true);
    let gave_up = wire(&failed, 1);
    assert_eq!(gave_up["name"], "attempts used up");
    let last: Vec<Value> = gave_up["wires"][0].as_array().unwrap().iter().map(|w| by_id(w.as_str().unwrap())).collect();
    assert!(last.iter().any(|n| n["type"] == "wireplan-amqp-ack" && n["nack"] == true), "{last:?}");
    let definitions: Value =
        serde_json::from_slice(&std::fs::read(spec.dir.join("out/rabbitmq/definitions.json")).unwrap()).unwrap();
    assert_eq!(definitions["policies"][0]["definition"]["delivery-limit"], 1);
}

/// Two flows on one event, the same target kind failing three times then
/// answering 2xx: one backs off exponentially, the other at a fixed pace.
const BACKOFF_SPEC: &str = r#"
stack "tidewater-outfitters"
system "shop" kind=ecommerce {
    webhooks #true
}
system "crm" kind=crm {
    secret "CRM_TOKEN"
}
system "mail" kind=email {
    auth basic
}
system "ledger" kind=custom {
    secret "LEDGER_TOKEN"
}
event "order.created" from=shop {
    key "id"
    field "id" type=string required=#true
}
flow "exponential" {
    on "order.created"
    to crm action=upsert
    idempotency-key "id"
    retry attempts=5 backoff=exponential initial="1s" max="10s"
    dead-letter
    log
}
flow "fixed" {
    on "order.created"
    to mail action=upsert
    idempotency-key "id"
    retry attempts=5 backoff=fixed initial="1s"
    dead-letter
    log
}
flow "always-failing" {
    on "order.created"
    to ledger action=upsert { map "id" to="id"; }
    idempotency-key "id"
    retry attempts=3 backoff=fixed initial="1s"
    dead-letter
    log
}
"#;

/// The broker backs off as declared, on the real RabbitMQ and Node-RED: a
/// target that fails three times then succeeds is called at gaps of 1 s,
/// 1 to 2 s and 2 to 4 s with `backoff=exponential initial="1s" max="10s"`
/// (the doubling with equal jitter: each wait drawn from its upper half,
/// never below `initial`), at 1 s gaps
/// with `backoff=fixed initial="1s"`, and the audit line of the delivery
/// says 4 attempts, counted by the quorum queue (`x-delivery-count`).
///
/// The tolerance: a gap cannot be shorter than its wait (the `delay` node
/// starts after the failed answer was recorded; 50 ms for the clocks), and
/// is longer by one rejection, one redelivery and one request, a few tens
/// of milliseconds measured, allowed 800 ms on a loaded two-core machine.
/// The two flows differ from the third gap on (at least 2 s against 1 s),
/// by more than the tolerance, so each shape fails the other's test.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn connectors_back_off_as_declared_and_count_attempts() {
    node_red_js();
    let work = TempSpec::new("broker-backoff");
    work.file("wireplan.kdl", BACKOFF_SPEC);
    let built = work.run(&["build", "--target", "broker", "--out", "out"]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    assert!(!stderr(&built).contains("not-carried-out"), "{}", stderr(&built));
    let out = work.dir.join("out");
    let rabbit = Rabbit::start(&work.dir, "broker");
    rabbit.import(&out, VHOST);

    let user_dir = connector_dir(&out, &work.dir.join("user"));
    let recorder = Recorder::start();
    recorder.fail("/crm", 3);
    recorder.fail("/mail", 3);
    recorder.fail("/ledger", usize::MAX);
    let env = connector_env_at(&out, &rabbit, |system| recorder.url(&format!("/{system}")));
    let red = NodeRed::start(&user_dir, &env, "node-red.log");
    let connected = Instant::now();
    while !red.log().contains(CONNECTED) {
        assert!(connected.elapsed() < Duration::from_secs(30), "no AMQP connection:\n{}", red.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    let token = env.iter().find(|(name, _)| name.contains("WEBHOOK")).map(|(_, v)| v.clone());
    let token = token.unwrap_or_else(|| panic!("no webhook token among {env:?}"));
    let auth = format!("Bearer {token}");
    let order = json!({"id": "o-1"}).to_string();
    let start = Instant::now();
    let mut status = 0;
    // The publisher may connect a moment after the consumers: 503 until then.
    while start.elapsed() < Duration::from_secs(30) {
        status = red.post("/hooks/order.created", &[("Authorization", &auth)], &order);
        if status != 503 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(status, 202, "{}", red.log());

    // 4 calls to each target (1 + 2 + 4 s of waits for the slower one),
    // and 3 to the ledger.
    let requests = recorder.wait_for(11, Duration::from_secs(60), |r| r.method != "GET");
    let gaps = |prefix: &str| -> Vec<u128> {
        let at: Vec<Instant> =
            requests.iter().filter(|r| r.method != "GET" && r.path.starts_with(prefix)).map(|r| r.at).collect();
        at.windows(2).map(|w| w[1].duration_since(w[0]).as_millis()).collect()
    };
    // Each wait is drawn from [shortest, longest] (equal for a fixed one).
    let between = |gaps: &[u128], waits: &[(u128, u128)]| {
        gaps.len() == waits.len()
            && gaps.iter().zip(waits).all(|(gap, (shortest, longest))| *gap + 50 >= *shortest && *gap <= longest + 800)
    };
    let within = |gaps: &[u128], waits: &[u128]| between(gaps, &waits.iter().map(|w| (*w, *w)).collect::<Vec<_>>());
    let (exponential, fixed) = (gaps("/crm"), gaps("/mail"));
    eprintln!("measured gaps (ms): exponential {exponential:?}, fixed {fixed:?}");
    let jittered = [(1000, 1000), (1000, 2000), (2000, 4000)];
    assert!(between(&exponential, &jittered), "exponential gaps (ms): {exponential:?}\n{}", red.log());
    assert!(within(&fixed, &[1000, 1000, 1000]), "fixed gaps (ms): {fixed:?}\n{}", red.log());
    // `auth basic` on `mail`: every attempt carries Basic credentials from
    // MAIL_USER and MAIL_PASSWORD (the kit's `auth.js` in the egress), and
    // no bearer token; `crm` keeps its bearer token.
    let basic = format!("Basic {}", base64("token-of-mail_user:token-of-mail_password"));
    let mail: Vec<&str> = requests
        .iter()
        .filter(|r| r.method != "GET" && r.path.starts_with("/mail"))
        .map(|r| r.headers.get("authorization").map_or("", String::as_str))
        .collect();
    assert_eq!(mail, vec![basic.as_str(); 4], "{}", red.log());
    assert!(
        requests
            .iter()
            .filter(|r| r.path.starts_with("/crm"))
            .all(|r| r.headers["authorization"] == "Bearer token-of-crm_token")
    );

    // The audit lines count the attempts: 1, 2, 3 retried, the 4th delivered.
    let audit_of = |flow: &str| -> Vec<(String, u64)> {
        let text = std::fs::read_to_string(user_dir.join("data/audit.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|line| line["flow"] == flow)
            .map(|line| (line["outcome"].as_str().unwrap_or("").to_owned(), line["attempts"].as_u64().unwrap_or(0)))
            .collect()
    };
    let expected: Vec<(String, u64)> =
        [("retry", 1), ("retry", 2), ("retry", 3), ("delivered", 4)].map(|(o, n)| (o.to_owned(), n)).into();
    let start = Instant::now();
    while audit_of("exponential").len() < 4 || audit_of("fixed").len() < 4 {
        if start.elapsed() > Duration::from_secs(10) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(audit_of("exponential"), expected);
    assert_eq!(audit_of("fixed"), expected);
    // A target that always fails: two waits, then the third and last
    // delivery is rejected at once (audited `failed`) and dead-lettered.
    let dead =
        rabbit.wait_messages(VHOST, &BTreeMap::from([("always-failing.dlq".to_owned(), 1)]), Duration::from_secs(30));
    assert_eq!(dead.get("always-failing.dlq"), Some(&1), "{dead:?}\n{}", red.log());
    let ledger = gaps("/ledger");
    eprintln!("measured gaps (ms): always failing {ledger:?}");
    assert!(within(&ledger, &[1000, 1000]), "always-failing gaps (ms): {ledger:?}");
    let failed: Vec<(String, u64)> = [("retry", 1), ("retry", 2), ("failed", 3)].map(|(o, n)| (o.to_owned(), n)).into();
    assert_eq!(audit_of("always-failing"), failed);
    red.stop();
}

/// The Debian package's `rabbitmqctl`: a wrapper that changes to
/// `/var/lib/rabbitmq` and runs the command as the `rabbitmq` user, with
/// that user's Erlang cookie.
const DEBIAN_RABBITMQCTL: &str = "/usr/sbin/rabbitmqctl";
const DEBIAN_COOKIE: &str = "/var/lib/rabbitmq/.erlang.cookie";

/// The `sh` block of the README after `heading`.
fn readme_block<'a>(readme: &'a str, heading: &str) -> &'a str {
    let section = readme.split(heading).nth(1).unwrap_or_else(|| panic!("no {heading:?} in the README"));
    section.split("```sh\n").nth(1).and_then(|b| b.split("\n```").next()).unwrap()
}

/// The generated README's commands, taken from its text and run as written
/// on Debian: the definitions block through the Debian package's own
/// `rabbitmqctl` wrapper (which changes directory, so a relative path to the
/// definitions would break), its wait bounded by `timeout`; then the
/// connectors block (`npm install` stands in for by `.tools/`, which holds
/// the versions `package.json` pins), which must take a webhook through the
/// broker to its targets with the password the README set.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_readme_commands_deploy_as_written() {
    node_red_js();
    assert!(
        Path::new(DEBIAN_RABBITMQCTL).exists() && Path::new(DEBIAN_COOKIE).exists(),
        "RabbitMQ's Debian package is missing ({DEBIAN_RABBITMQCTL}): run `scripts/test.sh`, which installs rabbitmq-server"
    );
    let work = TempSpec::new("broker-readme");
    let out = work.dir.join("out");
    build(&out);
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    // The management UI the README sends users to is enabled first.
    assert!(readme.contains("rabbitmq-plugins enable rabbitmq_management"), "{readme}");
    let definitions = readme_block(&readme, "### Definitions");
    assert!(definitions.contains("\"$(realpath rabbitmq/definitions.json)\""), "{definitions}");
    assert!(definitions.contains("timeout 120 sh -c 'until"), "a wait without a timeout: {definitions}");

    // The Debian wrapper runs as `rabbitmq` with that user's cookie: the
    // node shares it (the node, running as root, reads the definitions).
    let cookie = std::fs::read(DEBIAN_COOKIE).unwrap();
    let rabbit = Rabbit::start_with(&work.dir, "broker", &Extras { cookie: Some(&cookie), ..Extras::default() });
    let path = format!("/usr/sbin:{}", std::env::var("PATH").unwrap_or_default());
    let node_env: Vec<(String, String)> = rabbit.env.iter().filter(|(k, _)| k != "HOME").cloned().collect();
    let deployed = Command::new("sh")
        .arg("-ec")
        .arg(definitions)
        .current_dir(&out)
        .envs(node_env)
        .env("PATH", path)
        .env("WIREPLAN_AMQP_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(
        code(&deployed),
        0,
        "the README's definitions block failed:\n{}{}",
        stdout(&deployed),
        stderr(&deployed)
    );
    let queues = rabbit.messages(VHOST);
    assert_eq!(queues.len(), 28, "{queues:?}");

    let connectors = readme_block(&readme, "### Connectors");
    let commands: Vec<&str> = connectors.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(commands.len(), 3, "{connectors}");
    assert_eq!(commands[0], "cd node-red");
    assert!(commands[1].starts_with("npm install "), "{connectors}");
    let user_dir = out.join("node-red");
    std::os::unix::fs::symlink(tools().join("node_modules"), user_dir.join("node_modules")).unwrap();
    let recorder = Recorder::start();
    let env = connector_env_at(&out, &rabbit, |system| recorder.url(&format!("/{system}")));
    let port = free_port();
    let log = work.dir.join("node-red.log");
    let file = std::fs::File::create(&log).unwrap();
    let mut red = Command::new("sh")
        .arg("-c")
        .arg(format!("{} && exec {}", commands[0], commands[2]))
        .current_dir(&out)
        .envs(env)
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let start = Instant::now();
    let order =
        json!({"order_id": "o-7", "email": "ada@example.com", "total": "1.00", "placed_at": "2026-11-30T10:00:00Z"});
    let auth = [("Authorization", "Bearer token-of-shopify_webhook_token")];
    let mut status = None;
    while start.elapsed() < Duration::from_secs(60) {
        status = crate::hub::http(port, "POST", "/hooks/order.created", &auth, &order.to_string()).map(|(s, _)| s);
        if status == Some(202) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let requests = recorder.wait_for(6, Duration::from_secs(60), |r| r.method != "GET");
    let _ = Command::new("kill").arg("-TERM").arg(red.id().to_string()).status();
    let _ = red.wait();
    assert_eq!(status, Some(202), "{}", std::fs::read_to_string(&log).unwrap());
    let writes: BTreeSet<&str> = requests.iter().filter(|r| r.method != "GET").map(|r| r.path.as_str()).collect();
    assert!(writes.contains("/netsuite/sales_order"), "{writes:?}\n{}", std::fs::read_to_string(&log).unwrap());
}
