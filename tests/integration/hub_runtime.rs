//! What the hub carries out at run time beyond a single delivery (issue
//! 22), proven in a real Node-RED 4.1 (installed into `.tools/` by
//! `scripts/test.sh`), started by the test and stopped by process id, with
//! the recorder of `hub.rs` standing in for the systems:
//!
//! - `loop-guard`: two systems that echo every write they receive back to
//!   the hub as a change webhook of their own. With the guard each change
//!   crosses once; without it the same spec ping-pongs (asserted, so the
//!   test can fail).
//! - `rate-limit 10 per=second`: 200 writes in one burst from three flows
//!   reach the system all, and never more than 10 in any sliding second of
//!   their arrival times.
//! - Dead-letter replay: the generated README's command, run as written,
//!   sends a dead letter back to its own flow's failed target and nowhere
//!   else.
//! - Hostile names through all three; and the loop guard's code run by
//!   Node.js alone, with a clock the test moves, for its bounds and window.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::hub::{NodeRed, Recorded, Recorder, node_red_js};
use crate::util::{TempSpec, code, stderr};

/// Builds `spec` for the hub in a fresh folder and copies Node-RED's files
/// into a user folder of their own (Node-RED writes into it). Returns the
/// folder, the build's output and the user folder.
fn built(name: &str, spec: &str) -> (TempSpec, PathBuf, PathBuf) {
    node_red_js();
    let work = TempSpec::new(name);
    work.file("wireplan.kdl", spec);
    let out = work.run(&["build", "--target", "hub", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let user_dir = work.dir.join("user");
    std::fs::create_dir_all(&user_dir).unwrap();
    for file in ["flows.json", "settings.js"] {
        std::fs::copy(work.dir.join("out/node-red").join(file), user_dir.join(file)).unwrap();
    }
    let out = work.dir.join("out");
    (work, out, user_dir)
}

fn env(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

fn json_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn writes(recorder: &Recorder) -> Vec<Recorded> {
    recorder.state.lock().unwrap().requests.iter().filter(|r| r.method != "GET").cloned().collect()
}

/// Two systems that sync contacts both ways; `GUARD` is replaced by
/// `loop-guard` or nothing.
const TWO_WAY: &str = r#"
system "alpha" kind=crm {
    webhooks #true
    entity "contact" {
        field "email" type=email required=#true
        field "name" type=string
    }
}
system "beta" kind=email {
    webhooks #true
    entity "member" {
        field "email" type=email required=#true
        field "name" type=string
    }
}
event "contact.changed" from=alpha entity=contact version=1 {
    key "email"
    field "email" type=email required=#true
    field "name" type=string
}
event "member.changed" from=beta entity=member version=1 {
    key "email"
    field "email" type=email required=#true
    field "name" type=string
}
flow "alpha-to-beta" {
    on "contact.changed"
    to beta action=upsert entity=member {
        request method="PUT" path="/members"
        map "email" to="email"
        map "name" to="name"
    }
    GUARD
    log
}
flow "beta-to-alpha" {
    on "member.changed"
    to alpha action=upsert entity=contact {
        request method="PUT" path="/contacts"
        map "email" to="email"
        map "name" to="name"
    }
    GUARD
    log
}
"#;

/// Runs the two-way sync in Node-RED with both systems echoing every write
/// back as their own change (with a field of their own added, as real
/// systems do), calls `scenario` with Node-RED and the two recorders, and
/// stops the echoes and Node-RED.
fn two_way(name: &str, guard: bool, scenario: impl FnOnce(&NodeRed, &Recorder, &Recorder, &Path)) {
    let spec = TWO_WAY.replace("GUARD", if guard { "loop-guard" } else { "" });
    let (_work, _out, user_dir) = built(name, &spec);
    let (alpha, beta) = (Recorder::start(), Recorder::start());
    let env = env(&[
        ("ALPHA_URL", alpha.url("/alpha")),
        ("BETA_URL", beta.url("/beta")),
        ("ALPHA_WEBHOOK_TOKEN", "alpha-token".into()),
        ("BETA_WEBHOOK_TOKEN", "beta-token".into()),
    ]);
    let red = NodeRed::start(&user_dir, &env, "node-red.log");
    assert!(!red.log().contains("Waiting for missing types"), "{}", red.log());
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for (system, hook, token) in
            [(&alpha, "/hooks/contact.changed", "alpha-token"), (&beta, "/hooks/member.changed", "beta-token")]
        {
            let (red, stop) = (&red, &stop);
            scope.spawn(move || {
                let mut echoed = 0;
                while !stop.load(Ordering::SeqCst) {
                    let new: Vec<Recorded> = writes(system).into_iter().skip(echoed).collect();
                    for write in new {
                        echoed += 1;
                        let mut change = write.json();
                        change["updated_at"] = json!(echoed);
                        let auth = format!("Bearer {token}");
                        red.post(hook, &[("Authorization", &auth)], &change.to_string());
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
        scenario(&red, &alpha, &beta, &user_dir);
        stop.store(true, Ordering::SeqCst);
    });
    red.stop();
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn a_loop_guard_lets_each_change_cross_once_and_without_it_the_systems_ping_pong() {
    let ada = r#"{"email":"ada@example.com","name":"Ada","updated_at":0}"#;
    two_way("hub-loop-guard", true, |red, alpha, beta, user_dir| {
        assert_eq!(red.post("/hooks/contact.changed", &[("Authorization", "Bearer alpha-token")], ada), 202);
        // The change reaches beta, beta echoes it, and the echo stops there.
        std::thread::sleep(Duration::from_secs(6));
        let to_beta = writes(beta);
        assert_eq!(to_beta.len(), 1, "{to_beta:#?}\n{}", red.log());
        assert_eq!(to_beta[0].json(), json!({"email": "ada@example.com", "name": "Ada"}));
        assert!(writes(alpha).is_empty(), "the echo crossed back: {:#?}", writes(alpha));

        // The near miss: a real change in beta (another name) crosses to
        // alpha, once; alpha's echo of it stops at the hub.
        let renamed = r#"{"email":"ada@example.com","name":"Ada Lovelace","updated_at":1}"#;
        assert_eq!(red.post("/hooks/member.changed", &[("Authorization", "Bearer beta-token")], renamed), 202);
        std::thread::sleep(Duration::from_secs(6));
        let to_alpha = writes(alpha);
        assert_eq!(to_alpha.len(), 1, "{to_alpha:#?}\n{}", red.log());
        assert_eq!(to_alpha[0].json(), json!({"email": "ada@example.com", "name": "Ada Lovelace"}));
        assert_eq!(writes(beta).len(), 1, "{:#?}", writes(beta));

        let audit = json_lines(&user_dir.join("data/audit.jsonl"));
        let suppressed: Vec<&Value> = audit.iter().filter(|l| l["outcome"] == "echo-suppressed").collect();
        assert_eq!(suppressed.len(), 2, "{audit:#?}");
        assert!(suppressed.iter().any(|l| l["flow"] == "beta-to-alpha" && l["source"] == "beta"), "{audit:#?}");
        assert!(suppressed.iter().any(|l| l["flow"] == "alpha-to-beta" && l["source"] == "alpha"), "{audit:#?}");
        assert!(!red.log().contains("[error]"), "{}", red.log());
    });

    // The same spec without `loop-guard`: the change goes round and round.
    two_way("hub-loop-unguarded", false, |red, alpha, beta, _| {
        assert_eq!(red.post("/hooks/contact.changed", &[("Authorization", "Bearer alpha-token")], ada), 202);
        let start = Instant::now();
        while writes(alpha).len() < 3 && start.elapsed() < Duration::from_secs(15) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(writes(alpha).len() >= 3 && writes(beta).len() >= 3, "no ping-pong without the guard");
    });
}

/// The largest number of `times` in any half-open window of `width`.
fn busiest(times: &[Instant], width: Duration) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    let mut most = 0;
    let mut first = 0;
    for last in 0..sorted.len() {
        while sorted[last] - sorted[first] >= width {
            first += 1;
        }
        most = most.max(last - first + 1);
    }
    most
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn a_rate_limit_is_one_throttle_for_every_flow_and_queues_the_burst() {
    let mut spec = String::from(
        r#"
system "shop" kind=ecommerce { webhooks #true; }
system "crm" kind=crm {
    rate-limit 10 per=second
}
"#,
    );
    for n in 1..=3 {
        spec.push_str(&format!(
            "event \"e{n}\" from=shop {{ key \"id\"; field \"id\" type=string required=#true; }}\n\
             flow \"f{n}\" {{\n    on \"e{n}\"\n    to crm action=upsert entity=contact {{\n        \
             request method=\"PUT\" path=\"/contacts\"\n        map \"id\" to=\"id\"\n    }}\n}}\n"
        ));
    }
    let (_work, out, user_dir) = built("hub-rate-limit", &spec);
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("**The queue is in memory**") && readme.contains("| crm | 10 per second | 0.125 s |"));
    let crm = Recorder::start();
    let env = env(&[("CRM_URL", crm.url("/crm")), ("SHOP_WEBHOOK_TOKEN", "shop-token".into())]);
    let red = NodeRed::start(&user_dir, &env, "node-red.log");
    assert!(!red.log().contains("Waiting for missing types"), "{}", red.log());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for flow in 0..3 {
            let red = &red;
            scope.spawn(move || {
                for i in (flow..200).step_by(3) {
                    let body = json!({"id": format!("r{i}")}).to_string();
                    let status =
                        red.post(&format!("/hooks/e{}", flow + 1), &[("Authorization", "Bearer shop-token")], &body);
                    assert_eq!(status, 202);
                }
            });
        }
    });
    let posted = started.elapsed();
    let arrived = crm.wait_for(200, Duration::from_secs(45), |r| r.method == "PUT");
    let took = started.elapsed();
    let mut ids: Vec<String> = arrived.iter().map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((arrived.len(), ids.len()), (200, 200), "every write arrives once\n{}", red.log());
    let times: Vec<Instant> = arrived.iter().map(|r| r.at).collect();
    let most = busiest(&times, Duration::from_secs(1));
    eprintln!("200 webhooks posted in {posted:?}; 200 writes arrived in {took:?}; at most {most} in any second");
    assert!(most <= 10, "{most} writes in one sliding second");
    // The throttle is shared: one queue of 200 writes 125 ms apart takes 25 s.
    assert!(took >= Duration::from_secs(24), "{took:?}: the flows did not share one throttle");
    red.stop();
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn a_dead_letter_replayed_by_the_readme_command_reaches_only_its_flows_failed_target() {
    let spec = r#"
system "shop" kind=ecommerce { webhooks #true; }
system "books" kind=accounting
system "crm" kind=crm
system "mail" kind=email
event "order.paid" from=shop version=1 {
    key "order_id"
    field "order_id" type=string required=#true
    field "email" type=email required=#true
}
flow "order-to-books" {
    on "order.paid"
    to books action=create entity=invoice {
        map "order_id" to="reference"
    }
    to crm action=upsert entity=contact {
        map "email" to="email"
    }
    idempotency-key "order_id"
    dead-letter
    log
}
flow "order-to-mail" {
    on "order.paid"
    to mail action=upsert entity=member {
        map "email" to="email"
    }
    dead-letter
}
"#;
    let (_work, out, user_dir) = built("hub-replay", spec);
    let recorder = Recorder::start();
    let env = env(&[
        ("BOOKS_URL", recorder.url("/books")),
        ("CRM_URL", recorder.url("/crm")),
        ("MAIL_URL", recorder.url("/mail")),
        ("SHOP_WEBHOOK_TOKEN", "shop-token".into()),
        ("WIREPLAN_REPLAY_TOKEN", "replay-token".into()),
    ]);
    let red = NodeRed::start(&user_dir, &env, "node-red.log");
    recorder.fail("/books", usize::MAX);
    let order = r#"{"order_id":"ord-1","email":"dee@example.com"}"#;
    assert_eq!(red.post("/hooks/order.paid", &[("Authorization", "Bearer shop-token")], order), 202);
    let dead = user_dir.join("data/dead-letters.jsonl");
    let start = Instant::now();
    while json_lines(&dead).is_empty() && start.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let letters = json_lines(&dead);
    assert_eq!(letters.len(), 1, "{letters:#?}\n{}", red.log());
    assert_eq!((&letters[0]["flow"], &letters[0]["target"]), (&json!("order-to-books"), &json!("books")));
    assert_eq!(letters[0]["replay"], "/replay/order-to-books");
    recorder.wait_for(3, Duration::from_secs(10), |r| r.method != "GET");
    std::thread::sleep(Duration::from_millis(500));
    let first: Vec<String> = recorder.take().iter().map(|r| r.path.clone()).collect();
    assert_eq!(first.len(), 3, "{first:?}");
    recorder.fail("/books", 0);

    // The README's command for the flow, taken from its text.
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    let block = readme.split("```sh\n").nth(2).and_then(|b| b.split("\n```").next()).expect("a replay block");
    let command = block.lines().find(|l| l.ends_with("/replay/order-to-books\"")).expect("the flow's command");
    let replay = |token: &str, command: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(&out)
            .env("WIREPLAN_DATA_DIR", user_dir.join("data"))
            .env("PORT", red.port().to_string())
            .env("WIREPLAN_REPLAY_TOKEN", token)
            .env_remove("WIREPLAN_HOST")
            .output()
            .unwrap()
    };
    // Without the token: 401, and nothing is written.
    let refused = replay("wrong", command);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stdout).contains("unauthorized"));
    // Another flow's endpoint refuses this flow's letter.
    let elsewhere = replay("replay-token", &command.replace("/replay/order-to-books\"", "/replay/order-to-mail\""));
    assert!(!elsewhere.status.success(), "{}", String::from_utf8_lossy(&elsewhere.stdout));
    // A letter for a system the flow does not write to.
    let letter = std::fs::read_to_string(&dead).unwrap().replace("\"target\":\"books\"", "\"target\":\"mail\"");
    let stray = crate::hub::http(
        red.port(),
        "POST",
        "/replay/order-to-books",
        &[("Authorization", "Bearer replay-token")],
        &letter,
    );
    assert_eq!(stray.map(|(status, _)| status), Some(400));
    std::thread::sleep(Duration::from_millis(800));
    assert!(recorder.take().is_empty());

    let replayed = replay("replay-token", command);
    assert!(replayed.status.success(), "{}{}", String::from_utf8_lossy(&replayed.stdout), stderr(&replayed));
    assert_eq!(String::from_utf8_lossy(&replayed.stdout), r#"{"accepted":true}"#);
    recorder.wait_for(1, Duration::from_secs(10), |r| r.method != "GET");
    std::thread::sleep(Duration::from_millis(1500));
    let after = recorder.take();
    assert_eq!(after.len(), 1, "only the failed target: {after:#?}");
    assert_eq!((after[0].method.as_str(), after[0].path.as_str()), ("POST", "/books/invoice"));
    assert_eq!(after[0].json(), json!({"reference": "ord-1"}));
    assert_eq!(after[0].headers["idempotency-key"], "ord-1");
    let audit = json_lines(&user_dir.join("data/audit.jsonl"));
    assert!(audit.iter().any(|l| l["target"] == "books" && l["outcome"] == "delivered"), "{audit:#?}");
    assert_eq!(json_lines(&dead).len(), 1, "the replay was not dead-lettered again");
    red.stop();
}

/// The loop guard's code (`src/emit/nodered/loop_guard.js`), run by Node.js
/// as a function node runs it, with a clock the test moves: the memory
/// holds 10,000 fingerprints per system, the oldest dropped first, forgets
/// each after 5 minutes, keeps 64 sets of fields, compares only the fields
/// written (a change's own additions do not count), and survives a body
/// too deep to fingerprint.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_loop_guards_memory_is_bounded_and_forgets_after_its_window() {
    node_red_js();
    let code = crate::util::root().join("src/emit/nodered/loop_guard.js");
    let harness = r#"
const fs = require("fs");
const crypto = require("crypto");
const code = fs.readFileSync(process.argv[1], "utf8");
const store = {};
let now = 1e12;
const context = {
    get: (k, s) => (s === "memory" ? store[k] : k === "crypto" ? crypto : undefined),
    set: (k, v, s) => { store[k] = v; },
};
const clock = { now: () => now };
const run = (fn, msg) =>
    new Function("msg", "global", "node", "Date", code + "\nreturn " + fn + "();")(msg, context, { warn() {} }, clock);
const fields = [{ to: ["id"] }, { to: ["name"] }];
const write = (body, f) => run("remember", { _wp: { echo: "s", body, fields: f || fields } });
const echo = (payload) => run("check", { _wp: { source: "s", flow: "f" }, payload })._wp.outcome === "echo-suppressed";
for (let i = 0; i <= 10000; i++) write({ id: i, name: "n" + i });
const mine = store.wireplan_echoes.get("s");
const out = {
    size: mine.entries.size,
    oldest_forgotten: !echo({ id: 0, name: "n0" }),
    second_kept: echo({ id: 1, name: "n1", updated_at: 5 }),
    newest_kept: echo({ id: 10000, name: "n10000" }),
    other_value_passes: !echo({ id: 1, name: "changed" }),
    missing_field_passes: !echo({ id: 1 }),
    other_system_passes: run("check", { _wp: { source: "t" }, payload: { id: 1, name: "n1" } })._wp.outcome === undefined,
};
now += 5 * 60 * 1000 - 1;
out.kept_within_window = echo({ id: 10000, name: "n10000" });
now += 2;
out.forgotten_after_window = !echo({ id: 10000, name: "n10000" });
out.size_after_window = mine.entries.size;
for (let i = 0; i < 70; i++) write({ ["k" + i]: 1 }, [{ to: ["k" + i] }]);
out.shapes = mine.shapes.size;
let deep = {};
for (let i = 0; i < 100000; i++) deep = { a: deep };
out.deep_passes = write({ id: "d", name: deep }) !== undefined && !echo({ id: "d", name: deep });
console.log(JSON.stringify(out));
"#;
    let output = Command::new("node").arg("-e").arg(harness).arg(&code).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        out,
        json!({
            "size": 10000, "oldest_forgotten": true, "second_kept": true, "newest_kept": true,
            "other_value_passes": true, "missing_field_passes": true, "other_system_passes": true,
            "kept_within_window": true, "forgotten_after_window": true, "size_after_window": 0, "shapes": 64,
            "deep_passes": true,
        })
    );
}

/// Hostile names through the loop guard, the throttle and replay in a real
/// Node-RED: systems, events and flows named with quotes, backslashes, a
/// line separator, `$`, `&`, `'`, `../` and JavaScript still start cleanly,
/// throttle, suppress the echo (audited under the flow's exact name) and
/// offer replay on a clean path; the function nodes hold only the kit's
/// fixed code.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn hostile_names_through_the_loop_guard_the_throttle_and_replay() {
    let (a, b) = (r#"al\"pha\u{2028}$x & 'y'../"#, r#"be\\ta $(rm) {x}"#);
    let (flow_a, flow_b) = (r#"a\"to\u{2028}b$eval('1')"#, r#"b to a ../\\"#);
    let spec = TWO_WAY
        .replace("system \"alpha\"", &format!("system \"{a}\""))
        .replace("system \"beta\" kind=email {", &format!("system \"{b}\" kind=email {{\n    rate-limit 5 per=second"))
        .replace("from=alpha", &format!("from=\"{a}\""))
        .replace("from=beta", &format!("from=\"{b}\""))
        .replace("to beta", &format!("to \"{b}\""))
        .replace("to alpha", &format!("to \"{a}\""))
        .replace("flow \"alpha-to-beta\" {", &format!("flow \"{flow_a}\" {{\n    dead-letter"))
        .replace("flow \"beta-to-alpha\"", &format!("flow \"{flow_b}\""))
        .replace("GUARD", "loop-guard");
    let (_work, out, user_dir) = built("hub-runtime-hostile", &spec);
    let flows: Value = serde_json::from_str(&std::fs::read_to_string(user_dir.join("flows.json")).unwrap()).unwrap();
    let nodes = flows.as_array().unwrap();
    let fixed = ["// wireplan: the webhook check,", "// wireplan: the loop guard."];
    for node in nodes.iter().filter(|n| n["type"] == "function") {
        assert!(fixed.iter().any(|f| node["func"].as_str().unwrap().starts_with(f)), "{node}");
    }
    let urls: Vec<&str> = nodes.iter().filter_map(|n| n["url"].as_str()).collect();
    let hook = |prefix: &str| urls.iter().find(|u| u.starts_with(prefix)).map(|u| (*u).to_owned()).unwrap();
    let (hook_a, hook_b, replay) = (hook("/hooks/contact."), hook("/hooks/member."), hook("/replay/"));
    assert!(replay[8..].chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)), "{replay}");
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains(&format!("{replay}\"\n")), "the README's command posts to {replay}");

    // The variables, by the system they start with.
    let settings = std::fs::read_to_string(user_dir.join("settings.js")).unwrap();
    let list = settings.split("const REQUIRED_ENV = ").nth(1).and_then(|s| s.split(';').next()).unwrap();
    let names: Vec<String> = serde_json::from_str(list).unwrap();
    let (alpha, beta) = (Recorder::start(), Recorder::start());
    let mut env = Vec::new();
    for name in &names {
        let value = match (name.starts_with("AL"), name.ends_with("_URL")) {
            (true, true) => alpha.url("/alpha"),
            (false, true) => beta.url("/beta"),
            (true, false) => "alpha-token".to_owned(),
            (false, false) => "beta-token".to_owned(),
        };
        env.push((name.clone(), value));
    }
    let red = NodeRed::start(&user_dir, &env, "node-red.log");
    assert!(!red.log().contains("Waiting for missing types"), "{}", red.log());
    let change = r#"{"email":"ada@example.com","name":"Ada"}"#;
    assert_eq!(red.post(&hook_a, &[("Authorization", "Bearer alpha-token")], change), 202, "{}", red.log());
    let to_beta = beta.wait_for(1, Duration::from_secs(10), |r| r.method == "PUT");
    assert_eq!(to_beta.len(), 1, "{}", red.log());
    // Beta's echo, as beta would send it: dropped.
    let echo = to_beta[0].json().to_string();
    assert_eq!(red.post(&hook_b, &[("Authorization", "Bearer beta-token")], &echo), 202);
    std::thread::sleep(Duration::from_secs(2));
    assert!(writes(&alpha).is_empty(), "the echo crossed back: {:#?}", writes(&alpha));
    let audit = json_lines(&user_dir.join("data/audit.jsonl"));
    let expected_flow = flow_b.replace("\\\\", "\\");
    assert!(
        audit.iter().any(|l| l["outcome"] == "echo-suppressed" && l["flow"] == expected_flow.as_str()),
        "{audit:#?}"
    );
    assert!(!red.log().contains("[error]"), "{}", red.log());
    red.stop();
}
