//! Per-flow dead-letter replay in the broker target (issue 22), proven on a
//! real RabbitMQ (Debian's `rabbitmq-server` with its bundled shovel plugin,
//! started on private ports with `broker.rs`'s `node_env` and `spawn_node`,
//! stopped by pid) and the generated connectors in a real Node-RED 4.1, with
//! `hub.rs`'s recorder standing in for two target systems.
//!
//! One event fans out to two flows. One flow's target fails every attempt,
//! so its message lands in its dead-letter queue while the other flow
//! writes once; the generated README's replay command for the failing flow,
//! taken from the README text and run as written, then brings the message
//! back to that flow alone: its target gets the write (same idempotency
//! key), the other target still has exactly one, and the dead-letter queue
//! is empty. A command that replayed into the producer's exchange would give
//! the other flow a second write, so the test can fail.
//!
//! `#[ignore]`d in a plain `cargo test`; `scripts/test.sh` runs it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use crate::broker::{CONNECTED, EPMD, PASSWORD, RABBITMQ_BIN, connector_dir, node_env, spawn_node};
use crate::hub::{NodeRed, Recorded, Recorder, free_port, node_red_js};
use crate::util::{TempSpec, code, stderr, stdout};

const VHOST: &str = "replay-shop";

/// A shop whose order reaches a CRM and a mail tool, each by its own flow
/// with `dead-letter`, so that the README lists a command for each.
const SPEC: &str = r#"
stack "replay-shop"
system "shop" kind=ecommerce {
    webhooks #true
    entity "order" {
        field "email" type=email required=#true
        field "total" type=money
    }
}
system "alpha" kind=crm {
    entity "contact" {
        field "email" type=email required=#true
    }
}
system "beta" kind=email {
    entity "member" {
        field "email" type=email required=#true
    }
}
event "order.placed" from=shop entity=order version=1 {
    key "email"
    field "email" type=email required=#true
    field "total" type=money
}
flow "order-to-alpha" {
    on "order.placed"
    to alpha action=upsert entity=contact {
        request method="PUT" path="/contacts"
        map "email" to="email"
    }
    idempotency-key "email"
    retry attempts=2 backoff=fixed initial="1s"
    dead-letter
    log
}
flow "order-to-beta" {
    on "order.placed"
    to beta action=upsert entity=member {
        request method="PUT" path="/members"
        map "email" to="email"
    }
    idempotency-key "email"
    retry attempts=2 backoff=fixed initial="1s"
    dead-letter
}
"#;

/// One RabbitMQ node of this test, with the environment that points the
/// CLI tools (and so the README's commands) at it.
struct Rabbit {
    dir: PathBuf,
    port: u16,
    env: Vec<(String, String)>,
    epmd: Child,
    server: Child,
}

impl Rabbit {
    fn start(dir: &Path) -> Rabbit {
        let server_bin = Path::new(RABBITMQ_BIN).join("rabbitmq-server");
        assert!(
            server_bin.exists() && Path::new(EPMD).exists(),
            "RabbitMQ is missing ({}): run `scripts/test.sh`, which installs the Debian package rabbitmq-server",
            server_bin.display()
        );
        let dir = dir.join("rabbitmq");
        std::fs::create_dir_all(dir.join("home")).unwrap();
        std::fs::write(dir.join("empty.conf"), "").unwrap();
        std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
        let (port, dist, epmd_port) = (free_port(), free_port(), free_port());
        let env = node_env(&dir, &dir, &format!("wireplan-replay-{port}@localhost"), [port, dist, epmd_port]);
        let (epmd, server) = spawn_node(&dir, &env, epmd_port);
        let rabbit = Rabbit { dir: dir.clone(), port, env, epmd, server };
        let waited = rabbit.sh(&format!("rabbitmqctl wait '{}' --timeout 120", dir.join("pid").display()));
        assert_eq!(code(&waited), 0, "RabbitMQ did not start: {}{}", stdout(&waited), stderr(&waited));
        rabbit
    }

    /// Runs a shell command line as written, with RabbitMQ's tools on the
    /// PATH and the node's environment.
    fn sh(&self, line: &str) -> Output {
        let path = format!("{RABBITMQ_BIN}:{}", std::env::var("PATH").unwrap_or_default());
        Command::new("sh").args(["-c", line]).envs(self.env.iter().cloned()).env("PATH", path).output().unwrap()
    }

    /// Messages per queue of the vhost (ready and unacknowledged).
    fn count(&self, queue: &str) -> Option<u64> {
        let out = self.sh(&format!("rabbitmqctl list_queues -p {VHOST} name messages -q --no-table-headers"));
        stdout(&out).lines().find_map(|l| {
            let (name, n) = l.split_once('\t')?;
            (name == queue).then(|| n.trim().parse().ok()).flatten()
        })
    }

    fn wait_count(&self, queue: &str, n: u64, timeout: Duration) -> Option<u64> {
        let start = Instant::now();
        loop {
            let count = self.count(queue);
            if count == Some(n) || start.elapsed() > timeout {
                return count;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Rabbit {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.dir.join("pid")).unwrap_or_default();
        let pid = pid.trim();
        if !pid.is_empty() {
            let _ = Command::new("kill").args(["-TERM", pid]).status();
            let start = Instant::now();
            while Path::new("/proc").join(pid).exists() && start.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = self.epmd.kill();
        let _ = self.epmd.wait();
    }
}

/// Every variable `settings.js` requires: RabbitMQ's, the systems' base
/// URLs at the recorder, and a token for the rest.
fn env(out: &Path, rabbit: &Rabbit, recorder: &Recorder) -> Vec<(String, String)> {
    let settings = std::fs::read_to_string(out.join("node-red/settings.js")).unwrap();
    let list = settings.lines().find_map(|l| l.strip_prefix("const REQUIRED_ENV = ")).unwrap();
    let names: Vec<String> = serde_json::from_str(list.trim_end_matches(';')).unwrap();
    names
        .into_iter()
        .map(|name| {
            let value = match name.as_str() {
                "WIREPLAN_AMQP_ADDRESSES" => format!("127.0.0.1:{}", rabbit.port),
                "WIREPLAN_AMQP_USER" => "wireplan".to_owned(),
                "WIREPLAN_AMQP_PASSWORD" => PASSWORD.to_owned(),
                n if n.ends_with("_URL") => {
                    recorder.url(&format!("/{}", n.trim_end_matches("_URL").to_ascii_lowercase()))
                }
                n => format!("token-of-{}", n.to_ascii_lowercase()),
            };
            (name, value)
        })
        .collect()
}

fn writes(recorder: &Recorder, prefix: &str) -> Vec<Recorded> {
    let state = recorder.state.lock().unwrap();
    state.requests.iter().filter(|r| r.method != "GET" && r.path.starts_with(prefix)).cloned().collect()
}

/// The lines of the README's fenced `sh` blocks under `heading`.
fn commands(readme: &str, heading: &str) -> Vec<String> {
    let section = readme.split(heading).nth(1).expect("the section").split("\n## ").next().unwrap();
    section
        .split("```sh\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .flat_map(|b| b.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn a_dead_letter_replayed_by_the_readme_command_reaches_only_its_own_flows_target() {
    let work = TempSpec::new("broker-replay");
    work.file("wireplan.kdl", SPEC);
    let built = work.run(&["build", "--target", "broker", "--out", "out"]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let out = work.dir.join("out");
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    let lines = commands(&readme, "## Replaying a dead letter\n");
    // Only what applies: a command per flow with `dead-letter`, each naming
    // the flow's own queue as the destination.
    let replay: Vec<&String> = lines.iter().filter(|l| l.contains("set_parameter")).collect();
    assert_eq!(replay.len(), 2, "{lines:#?}");
    let alpha_replay = replay.iter().find(|l| l.contains("\"dest-exchange-key\": \"order-to-alpha\"")).unwrap();

    let rabbit = Rabbit::start(&work.dir);
    let definitions = out.join("rabbitmq/definitions.json");
    let imported = rabbit.sh(&format!("rabbitmqctl import_definitions '{}'", definitions.display()));
    assert_eq!(code(&imported), 0, "{}{}", stdout(&imported), stderr(&imported));
    assert_eq!(rabbit.wait_count("order-to-alpha.dlq", 0, Duration::from_secs(60)), Some(0), "the import");
    let changed = rabbit.sh(&format!("rabbitmqctl change_password wireplan {PASSWORD}"));
    assert_eq!(code(&changed), 0, "{}", stderr(&changed));

    node_red_js();
    let recorder = Recorder::start();
    recorder.fail("/alpha", usize::MAX);
    let user_dir = connector_dir(&out, &work.dir.join("user"));
    let red = NodeRed::start(&user_dir, &env(&out, &rabbit, &recorder), "node-red.log");
    let start = Instant::now();
    while !red.log().contains(CONNECTED) {
        assert!(start.elapsed() < Duration::from_secs(30), "no AMQP connection:\n{}", red.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    let order = r#"{"email":"ada@example.com","total":"19.99"}"#;
    let start = Instant::now();
    let status = loop {
        let status = red.post("/hooks/order.placed", &[("Authorization", "Bearer token-of-shop_webhook_token")], order);
        if status != 503 || start.elapsed() > Duration::from_secs(30) {
            break status;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status, 202, "{}", red.log());

    // alpha fails both attempts: the message is alpha's dead letter; beta
    // has its write.
    let dead = rabbit.wait_count("order-to-alpha.dlq", 1, Duration::from_secs(30));
    assert_eq!(dead, Some(1), "{}", red.log());
    assert_eq!(writes(&recorder, "/beta").len(), 1);
    let failed = writes(&recorder, "/alpha");
    assert_eq!(failed.len(), 2, "{failed:#?}");

    // The cause is fixed but for one more failure; the README's own
    // commands replay alpha's flow, which gets its full attempts again.
    recorder.fail("/alpha", 1);
    let enable = lines.iter().find(|l| l.starts_with("rabbitmq-plugins enable")).expect("the plugin command");
    let enabled = rabbit.sh(enable);
    assert_eq!(code(&enabled), 0, "{}{}", stdout(&enabled), stderr(&enabled));
    let replayed = rabbit.sh(alpha_replay);
    assert_eq!(code(&replayed), 0, "{}{}", stdout(&replayed), stderr(&replayed));

    let got = recorder.wait_for(4, Duration::from_secs(30), |r| r.method != "GET" && r.path.starts_with("/alpha"));
    let alpha: Vec<&Recorded> = got.iter().filter(|r| r.method != "GET" && r.path.starts_with("/alpha")).collect();
    assert_eq!(alpha.len(), 4, "the replayed write did not reach alpha: {alpha:#?}\n{}", red.log());
    assert_eq!(alpha[3].json(), alpha[0].json());
    assert_eq!(alpha[3].headers.get("idempotency-key"), alpha[0].headers.get("idempotency-key"));
    assert!(alpha[3].headers.contains_key("idempotency-key"), "{:#?}", alpha[3].headers);
    // Give a wrong replay (into the producer's exchange) time to reach beta.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(writes(&recorder, "/beta").len(), 1, "the replay reached another flow");
    assert_eq!(writes(&recorder, "/alpha").len(), 4, "the replay wrote more than its attempts");
    // The audit counts the replay's attempts from one again: it succeeded
    // on its second, after the first ended in the dead-letter queue.
    let audit = std::fs::read_to_string(user_dir.join("data/audit.jsonl")).unwrap_or_default();
    let lines: Vec<serde_json::Value> = audit.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let last = lines.last().expect("an audit line");
    assert_eq!(last["attempts"], 2, "{lines:#?}");
    assert_ne!(last["outcome"], "dead-lettered", "{lines:#?}");
    assert_eq!(rabbit.count("order-to-alpha.dlq"), Some(0));
    assert_eq!(rabbit.wait_count("order-to-alpha", 0, Duration::from_secs(10)), Some(0));
    // The shovel deleted itself once it moved the queue's length.
    let params = rabbit.sh(&format!("rabbitmqctl list_parameters -p {VHOST} -q --no-table-headers"));
    assert!(!stdout(&params).contains("replay-"), "{}", stdout(&params));
    red.stop();
}
