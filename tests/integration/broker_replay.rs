//! Per-flow dead-letter replay in the broker target (issue 22), proven on a
//! real RabbitMQ (Debian's `rabbitmq-server` with its bundled shovel plugin,
//! a node of its own from `broker_node.rs`, stopped by pid) and the
//! generated connectors in a real Node-RED 4.1, with `hub.rs`'s recorder
//! standing in for two target systems.
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

use std::time::Duration;

use crate::broker::connector_dir;
use crate::broker_node::{Rabbit, connector_env, connectors, post};
use crate::hub::{Recorded, Recorder};
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

    let rabbit = Rabbit::start(&work.dir, "replay");
    rabbit.import(&out, VHOST);
    let recorder = Recorder::start();
    recorder.fail("/alpha", usize::MAX);
    let user_dir = connector_dir(&out, &work.dir.join("user"));
    let env = connector_env(&out, &rabbit, &[("alpha", &recorder), ("beta", &recorder)]);
    let red = connectors(&user_dir, &env, "node-red.log");
    let order = r#"{"email":"ada@example.com","total":"19.99"}"#;
    assert_eq!(post(&red, "/hooks/order.placed", "token-of-shop_webhook_token", order), 202, "{}", red.log());

    // alpha fails both attempts: the message is alpha's dead letter; beta
    // has its write.
    let dead = rabbit.wait_count(VHOST, "order-to-alpha.dlq", 1, Duration::from_secs(30));
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
    // The shovel acknowledges the moved message at the source once the
    // destination confirms it, and the queue's count is read a moment after:
    // both queues are waited on, not read once.
    assert_eq!(rabbit.wait_count(VHOST, "order-to-alpha.dlq", 0, Duration::from_secs(10)), Some(0));
    assert_eq!(rabbit.wait_count(VHOST, "order-to-alpha", 0, Duration::from_secs(10)), Some(0));
    // The shovel deleted itself once it moved the queue's length.
    let params = rabbit.sh(&format!("rabbitmqctl list_parameters -p {VHOST} -q --no-table-headers"));
    assert!(!stdout(&params).contains("replay-"), "{}", stdout(&params));
    red.stop();
}
