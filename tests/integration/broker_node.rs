//! One RabbitMQ node and the generated connectors beside it, for every
//! runtime test that needs a node of its own (`broker`, `broker_fidelity`,
//! `broker_replay`, `drift`, `supervise`): the node starts on private
//! ports with `broker.rs`'s `node_env` and `spawn_node`, with the
//! management plugin or a given Erlang cookie where a test needs them, and
//! stops by the pid in its pid file; the connectors run in a real Node-RED
//! with every variable `settings.js` requires pointed at the tests'
//! recorders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::broker::{
    AMQP_JS, CONNECTED, EPMD, PASSWORD, RABBITMQ_BIN, node_env, npm_module, spawn_node, stop_node, tools, wait_for_node,
};
use crate::hub::{NodeRed, Recorder, free_port, node_red_js};
use crate::util::{code, stderr, stdout};

/// One RabbitMQ node of a test: private ports, HOME and epmd,
/// stopped by the pid in its pid file (and epmd by its own) on drop.
pub(crate) struct Rabbit {
    dir: PathBuf,
    pub(crate) port: u16,
    /// The management API's port, when the node runs the plugin.
    pub(crate) management: Option<u16>,
    pub(crate) env: Vec<(String, String)>,
    epmd: Child,
    server: Child,
}

/// What a node needs beyond the defaults.
#[derive(Default)]
pub(crate) struct Extras<'a> {
    /// The Erlang cookie (else one made for the node): a node that the Debian
    /// package's `rabbitmqctl` must reach shares its user's.
    pub(crate) cookie: Option<&'a [u8]>,
    /// The management plugin, on a private port of its own.
    pub(crate) management: bool,
}

impl Rabbit {
    /// Starts a node in `dir/rabbitmq`, named after `name` and its port, and
    /// waits until it runs.
    pub(crate) fn start(dir: &Path, name: &str) -> Rabbit {
        Rabbit::start_with(dir, name, &Extras::default())
    }

    pub(crate) fn start_with(dir: &Path, name: &str, extras: &Extras<'_>) -> Rabbit {
        let server_bin = Path::new(RABBITMQ_BIN).join("rabbitmq-server");
        assert!(
            server_bin.exists() && Path::new(EPMD).exists(),
            "RabbitMQ is missing ({}): run `scripts/test.sh`, which installs the Debian package rabbitmq-server",
            server_bin.display()
        );
        let dir = dir.join("rabbitmq");
        std::fs::create_dir_all(dir.join("home")).unwrap();
        std::fs::write(dir.join("empty.conf"), "").unwrap();
        let (port, dist, epmd_port) = (free_port(), free_port(), free_port());
        // The node and every CLI call share this HOME, so the cookie is
        // written before either starts: left to Erlang, the server and the
        // first `rabbitmqctl wait` can each make one at once and keep
        // different ones, and the CLI is then refused ("Invalid challenge
        // reply") until the wait times out.
        {
            use std::os::unix::fs::PermissionsExt as _;
            let made = format!("WIREPLAN{port}X{dist}X{}", std::process::id());
            let cookie = extras.cookie.unwrap_or(made.as_bytes());
            let file = dir.join("home/.erlang.cookie");
            std::fs::write(&file, cookie).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
        }
        let env = node_env(&dir, &dir, &format!("wireplan-{name}-{port}@localhost"), [port, dist, epmd_port]);
        let management = extras.management.then(|| {
            let management = free_port();
            std::fs::write(
                dir.join("rabbitmq.conf"),
                format!("management.tcp.port = {management}\nmanagement.tcp.ip = 127.0.0.1\n"),
            )
            .unwrap();
            // The node's own enabled-plugins file, written by the real tool.
            let enabled = Command::new(Path::new(RABBITMQ_BIN).join("rabbitmq-plugins"))
                .args(["--offline", "enable", "rabbitmq_management"])
                .envs(env.iter().cloned())
                .output()
                .unwrap();
            assert_eq!(code(&enabled), 0, "{}{}", stdout(&enabled), stderr(&enabled));
            management
        });
        if management.is_none() {
            std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
        }
        let (epmd, server) = spawn_node(&dir, &env, epmd_port);
        let rabbit = Rabbit { dir: dir.clone(), port, management, env, epmd, server };
        let waited = wait_for_node(&dir.join("pid"), Duration::from_secs(120), |args| rabbit.ctl(args));
        assert_eq!(
            code(&waited),
            0,
            "RabbitMQ did not start: {}{}\n{}",
            stdout(&waited),
            stderr(&waited),
            rabbit.log()
        );
        rabbit
    }

    /// What the node wrote to its console.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.out")).unwrap_or_default()
    }

    pub(crate) fn ctl(&self, args: &[&str]) -> Output {
        Command::new(Path::new(RABBITMQ_BIN).join("rabbitmqctl"))
            .args(args)
            .envs(self.env.iter().cloned())
            .output()
            .unwrap()
    }

    /// Imports `out`'s definitions, waits for their queues in `vhost`, and
    /// gives the connectors' user its password.
    pub(crate) fn import(&self, out: &Path, vhost: &str) {
        let definitions = out.join("rabbitmq/definitions.json");
        let imported = self.ctl(&["import_definitions", &definitions.display().to_string()]);
        assert_eq!(code(&imported), 0, "{}{}", stdout(&imported), stderr(&imported));
        let doc: Value = serde_json::from_slice(&std::fs::read(&definitions).unwrap()).unwrap();
        let expected = doc["queues"].as_array().unwrap().len();
        let start = Instant::now();
        while self.messages(vhost).len() < expected {
            assert!(start.elapsed() < Duration::from_secs(60), "the import did not finish: {:?}", self.messages(vhost));
            std::thread::sleep(Duration::from_millis(200));
        }
        let changed = self.ctl(&["change_password", "wireplan", PASSWORD]);
        assert_eq!(code(&changed), 0, "{}", stderr(&changed));
    }

    /// Each queue of `vhost` with its messages (ready and unacknowledged).
    pub(crate) fn messages(&self, vhost: &str) -> BTreeMap<String, u64> {
        let out = self.ctl(&["list_queues", "-p", vhost, "name", "messages", "-q", "--no-table-headers"]);
        stdout(&out)
            .lines()
            .filter_map(|l| {
                let (name, n) = l.split_once('\t')?;
                Some((name.to_owned(), n.trim().parse().ok()?))
            })
            .collect()
    }

    /// Runs a shell command line as written, with RabbitMQ's tools on the
    /// PATH and the node's environment: how a README's commands run.
    pub(crate) fn sh(&self, line: &str) -> Output {
        let path = format!("{RABBITMQ_BIN}:{}", std::env::var("PATH").unwrap_or_default());
        Command::new("sh").args(["-c", line]).envs(self.env.iter().cloned()).env("PATH", path).output().unwrap()
    }

    /// The messages of one queue of `vhost`, or `None` if it is not there.
    pub(crate) fn count(&self, vhost: &str, queue: &str) -> Option<u64> {
        self.messages(vhost).get(queue).copied()
    }

    /// Waits up to `timeout` for `queue` to hold `n` messages; returns what
    /// it last held.
    pub(crate) fn wait_count(&self, vhost: &str, queue: &str, n: u64, timeout: Duration) -> Option<u64> {
        let start = Instant::now();
        loop {
            let count = self.count(vhost, queue);
            if count == Some(n) || start.elapsed() > timeout {
                return count;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until every queue of `vhost` holds what `expected` says (an
    /// unnamed queue: none); returns what they last held.
    pub(crate) fn wait_messages(
        &self,
        vhost: &str,
        expected: &BTreeMap<String, u64>,
        timeout: Duration,
    ) -> BTreeMap<String, u64> {
        let start = Instant::now();
        loop {
            let counts = self.messages(vhost);
            let matches = counts.iter().all(|(q, n)| expected.get(q).copied().unwrap_or(0) == *n);
            if matches && !counts.is_empty() || start.elapsed() > timeout {
                return counts;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Runs the tests' AMQP client (`AMQP_JS`) on `vhost` as the
    /// connectors' user, with `args`.
    pub(crate) fn amqp(&self, vhost: &str, args: &[&str]) -> Output {
        npm_module("amqplib");
        let script = self.dir.join("amqp.js");
        std::fs::write(&script, AMQP_JS).unwrap();
        Command::new("node")
            .arg(&script)
            .arg(format!("amqp://wireplan:{PASSWORD}@127.0.0.1:{}/{vhost}", self.port))
            .args(args)
            .env("NODE_PATH", tools().join("node_modules"))
            .output()
            .unwrap()
    }
}

impl Drop for Rabbit {
    fn drop(&mut self) {
        stop_node(&self.dir, &mut self.server, &mut self.epmd);
    }
}

/// Every variable `settings.js` requires: RabbitMQ's, each system's base
/// URL at its recorder (`systems`: lower-case name and recorder), and a
/// token for the rest.
pub(crate) fn connector_env(out: &Path, rabbit: &Rabbit, systems: &[(&str, &Recorder)]) -> Vec<(String, String)> {
    connector_env_at(out, rabbit, |system| {
        let (_, recorder) = systems.iter().find(|(s, _)| *s == system).unwrap();
        recorder.url(&format!("/{system}"))
    })
}

/// Every variable `settings.js` requires: RabbitMQ's, each system's base
/// URL as `url` gives it for the system's lower-case name, and a token for
/// the rest.
pub(crate) fn connector_env_at(out: &Path, rabbit: &Rabbit, url: impl Fn(&str) -> String) -> Vec<(String, String)> {
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
                n if n.ends_with("_URL") => url(&n.trim_end_matches("_URL").to_ascii_lowercase()),
                n => format!("token-of-{}", n.to_ascii_lowercase()),
            };
            (name, value)
        })
        .collect()
}

/// Starts the connectors and waits for their AMQP connection.
pub(crate) fn connectors(user_dir: &Path, env: &[(String, String)], log: &str) -> NodeRed {
    node_red_js();
    let red = NodeRed::start(user_dir, env, log);
    let start = Instant::now();
    while !red.log().contains(CONNECTED) {
        assert!(start.elapsed() < Duration::from_secs(30), "no AMQP connection:\n{}", red.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!red.log().contains("Waiting for missing types"), "{}", red.log());
    red
}

/// Posts a webhook until the ingress stops answering 503 (its publisher
/// may connect a moment after the consumers); returns the last status.
pub(crate) fn post(red: &NodeRed, hook: &str, token: &str, body: &str) -> u16 {
    let auth = format!("Bearer {token}");
    let start = Instant::now();
    loop {
        let status = red.post(hook, &[("Authorization", &auth)], body);
        if status != 503 || start.elapsed() > Duration::from_secs(30) {
            return status;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
