//! What the broker's connectors carry out beyond a single delivery (issue
//! 22), proven on a real RabbitMQ (Debian's `rabbitmq-server`, a node of
//! the test's own from `broker_node.rs`, stopped by pid) with the generated
//! connectors in a real Node-RED 4.1 (`.tools/`, from `scripts/test.sh`),
//! and the recorder of `hub.rs` standing in for the systems:
//!
//! - `loop-guard`: two systems that echo every write they receive back to
//!   the connectors as a change webhook of their own. With the guard each
//!   change crosses at most once each way in 20 seconds; without it the
//!   same spec ping-pongs (asserted, so the test can fail).
//! - `rate-limit 10 per=second`: 200 writes in one burst from three flows
//!   reach the system all, never more than 10 in any sliding second of
//!   their arrival times, and none is lost when the connectors' Node-RED is
//!   killed (SIGKILL) mid-burst and started again: the writes waiting their
//!   turn were unacknowledged deliveries, which RabbitMQ delivers again.
//!
//! `#[ignore]`d in a plain `cargo test`; `scripts/test.sh` runs them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::broker::connector_dir;
use crate::broker_node::{Rabbit, connector_env, connectors, post};
use crate::hub::{NodeRed, Recorded, Recorder};
use crate::util::{TempSpec, code, stderr};

/// Builds `spec` for the broker into `work/<name>`, and a Node-RED user
/// folder for its connectors beside it. Returns the output and the folder.
fn built(work: &TempSpec, name: &str, spec: &str) -> (PathBuf, PathBuf) {
    work.file(&format!("{name}/wireplan.kdl"), spec);
    let dir = work.dir.join(name);
    let out = crate::util::run_in(&dir, &["build", "--target", "broker", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("not-carried-out"), "{}", stderr(&out));
    let out = dir.join("out");
    let user_dir = connector_dir(&out, &dir.join("user"));
    (out, user_dir)
}

fn writes(recorder: &Recorder) -> Vec<Recorded> {
    recorder.state.lock().unwrap().requests.iter().filter(|r| r.method != "GET").cloned().collect()
}

fn json_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// Two systems that sync contacts both ways; `GUARD` is replaced by
/// `loop-guard` or nothing, `STACK` by the stack's (and vhost's) name.
const TWO_WAY: &str = r#"
stack "STACK"
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
    idempotency-key "email"
    retry attempts=3 backoff=fixed initial="1s"
    dead-letter
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
    idempotency-key "email"
    retry attempts=3 backoff=fixed initial="1s"
    dead-letter
    GUARD
    log
}
"#;

/// Runs the two-way sync through RabbitMQ and the connectors with both
/// systems echoing every write back as their own change (with a field of
/// their own added, as real systems do), calls `scenario` with Node-RED,
/// the two recorders and the user folder, then stops the echoes and
/// Node-RED.
fn two_way(
    work: &TempSpec,
    rabbit: &Rabbit,
    guard: bool,
    scenario: impl FnOnce(&NodeRed, &Recorder, &Recorder, &Path),
) {
    let (name, stack) = if guard { ("guarded", "loop-guarded") } else { ("unguarded", "loop-unguarded") };
    let spec = TWO_WAY.replace("GUARD", if guard { "loop-guard" } else { "" }).replace("STACK", stack);
    let (out, user_dir) = built(work, name, &spec);
    rabbit.import(&out, stack);
    let (alpha, beta) = (Recorder::start(), Recorder::start());
    let env = connector_env(&out, rabbit, &[("alpha", &alpha), ("beta", &beta)]);
    let red = connectors(&user_dir, &env, "node-red.log");
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for (system, hook, token) in [
            (&alpha, "/hooks/contact.changed", "token-of-alpha_webhook_token"),
            (&beta, "/hooks/member.changed", "token-of-beta_webhook_token"),
        ] {
            let (red, stop) = (&red, &stop);
            scope.spawn(move || {
                let mut echoed = 0;
                while !stop.load(Ordering::SeqCst) {
                    let new: Vec<Recorded> = writes(system).into_iter().skip(echoed).collect();
                    for write in new {
                        echoed += 1;
                        let mut change = write.json();
                        change["updated_at"] = json!(echoed);
                        assert_eq!(post(red, hook, token, &change.to_string()), 202, "{}", red.log());
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
fn a_loop_guard_on_the_broker_lets_each_change_cross_once_and_without_it_the_systems_ping_pong() {
    let work = TempSpec::new("broker-loop-guard");
    let rabbit = Rabbit::start(&work.dir, "fidelity");
    let ada = r#"{"email":"ada@example.com","name":"Ada","updated_at":0}"#;
    two_way(&work, &rabbit, true, |red, alpha, beta, user_dir| {
        assert_eq!(post(red, "/hooks/contact.changed", "token-of-alpha_webhook_token", ada), 202, "{}", red.log());
        // The change reaches beta, beta echoes it, and the echo stops at
        // the broker's egress: for 20 seconds, one write each way at most.
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            assert!(writes(beta).len() <= 1 && writes(alpha).is_empty(), "the echo crossed back: {}", red.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        let to_beta = writes(beta);
        assert_eq!(to_beta.len(), 1, "{to_beta:#?}\n{}", red.log());
        assert_eq!(to_beta[0].json(), json!({"email": "ada@example.com", "name": "Ada"}));

        // The near miss: a real change in beta (another name) crosses to
        // alpha, once; alpha's echo of it stops at the broker's egress.
        let renamed = r#"{"email":"ada@example.com","name":"Ada Lovelace","updated_at":1}"#;
        assert_eq!(post(red, "/hooks/member.changed", "token-of-beta_webhook_token", renamed), 202);
        std::thread::sleep(Duration::from_secs(8));
        let to_alpha = writes(alpha);
        assert_eq!(to_alpha.len(), 1, "{to_alpha:#?}\n{}", red.log());
        assert_eq!(to_alpha[0].json(), json!({"email": "ada@example.com", "name": "Ada Lovelace"}));
        assert_eq!(writes(beta).len(), 1, "{:#?}", writes(beta));

        let audit = json_lines(&user_dir.join("data/audit.jsonl"));
        let suppressed: Vec<&Value> = audit.iter().filter(|l| l["outcome"] == "echo-suppressed").collect();
        assert_eq!(suppressed.len(), 2, "{audit:#?}");
        assert!(suppressed.iter().any(|l| l["flow"] == "beta-to-alpha" && l["source"] == "beta"), "{audit:#?}");
        assert!(suppressed.iter().any(|l| l["flow"] == "alpha-to-beta" && l["source"] == "alpha"), "{audit:#?}");
        // A dropped echo is acknowledged: nothing is left in the queues.
        std::thread::sleep(Duration::from_secs(1));
        let left: Vec<_> = rabbit.messages("loop-guarded").into_iter().filter(|(_, n)| *n > 0).collect();
        assert!(left.is_empty(), "messages left: {left:?}");
        assert!(!red.log().contains("[error]"), "{}", red.log());
    });

    // The same spec without `loop-guard`: the change goes round and round.
    two_way(&work, &rabbit, false, |red, alpha, beta, _| {
        assert_eq!(post(red, "/hooks/contact.changed", "token-of-alpha_webhook_token", ada), 202, "{}", red.log());
        let start = Instant::now();
        while writes(alpha).len() < 3 && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("without the guard, in {:?}: {} writes to alpha", start.elapsed(), writes(alpha).len());
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
fn a_rate_limit_on_the_broker_is_one_throttle_for_every_flow_and_a_killed_connector_loses_nothing() {
    let mut spec = String::from(
        r#"
stack "rate-limited"
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
             request method=\"PUT\" path=\"/contacts\"\n        map \"id\" to=\"id\"\n    }}\n    \
             idempotency-key \"id\"\n    retry attempts=5 backoff=fixed initial=\"1s\"\n    dead-letter\n}}\n"
        ));
    }
    let work = TempSpec::new("broker-rate-limit");
    let (out, user_dir) = built(&work, "spec", &spec);
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains("**The queue that waits is RabbitMQ's.**")
            && readme.contains("| crm | 10 per second | 0.125 s |")
    );
    let rabbit = Rabbit::start(&work.dir, "fidelity");
    rabbit.import(&out, "rate-limited");
    let crm = Recorder::start();
    let env = connector_env(&out, &rabbit, &[("crm", &crm)]);
    let red = connectors(&user_dir, &env, "node-red.log");
    assert_eq!(post(&red, "/hooks/e1", "token-of-shop_webhook_token", r#"{"id":"warm-up"}"#), 202, "{}", red.log());
    crm.wait_for(1, Duration::from_secs(20), |r| r.method == "PUT");
    std::thread::sleep(Duration::from_secs(1));
    crm.take();

    let started = Instant::now();
    std::thread::scope(|scope| {
        for flow in 0..3 {
            let red = &red;
            scope.spawn(move || {
                for i in (flow..200).step_by(3) {
                    let body = json!({"id": format!("r{i}")}).to_string();
                    let status = post(red, &format!("/hooks/e{}", flow + 1), "token-of-shop_webhook_token", &body);
                    assert_eq!(status, 202);
                }
            });
        }
    });
    let posted = started.elapsed();
    // Killed mid-burst, as a crash would, and started again.
    crm.wait_for(60, Duration::from_secs(30), |r| r.method == "PUT");
    let before = writes(&crm).len();
    red.kill();
    let killed = started.elapsed();
    let red = connectors(&user_dir, &env, "node-red-2.log");
    // The writes in flight at the kill come again, so 200 writes are not
    // yet 200 records: wait for every record.
    let ids_of = |requests: &[Recorded]| -> BTreeSet<String> {
        requests.iter().filter(|r| r.method == "PUT").map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect()
    };
    let arrived = crm.wait_until(Duration::from_secs(90), |requests| ids_of(requests).len() >= 200);
    let took = started.elapsed();
    let ids: Vec<String> = ids_of(&arrived).into_iter().collect();
    let all: BTreeSet<String> = (0..200).map(|i| format!("r{i}")).collect();
    let missing: Vec<&String> = all.iter().filter(|id| ids.binary_search(id).is_err()).collect();
    assert!(missing.is_empty(), "lost: {missing:?}\n{}", red.log());
    // Settle: the queues drain, and only the writes in flight when it was
    // killed (made but not acknowledged) come twice, with the same key.
    let start = Instant::now();
    while rabbit.messages("rate-limited").iter().any(|(_, n)| *n > 0) && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let left: Vec<_> = rabbit.messages("rate-limited").into_iter().filter(|(_, n)| *n > 0).collect();
    assert!(left.is_empty(), "messages left: {left:?}");
    let arrived = writes(&crm);
    for write in &arrived {
        assert_eq!(write.headers["idempotency-key"], write.json()["id"].as_str().unwrap());
    }
    let repeated = arrived.len() - 200;
    let times: Vec<Instant> = arrived.iter().map(|r| r.at).collect();
    let most = busiest(&times, Duration::from_secs(1));
    eprintln!(
        "200 webhooks posted in {posted:?}; killed after {before} writes at {killed:?}; all 200 arrived by {took:?} \
         ({repeated} repeated after the kill); at most {most} in any sliding second"
    );
    assert!(most <= 10, "{most} writes in one sliding second");
    assert!(repeated <= 30, "{repeated} writes repeated: more than the deliveries the egress tabs held");
    // One queue of 200 writes 125 ms apart takes 25 s, whatever the flows.
    assert!(took >= Duration::from_secs(24), "{took:?}: the flows did not share one throttle");
    red.stop();
}
