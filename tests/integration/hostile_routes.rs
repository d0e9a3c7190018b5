//! Two distinct names never share an emitted identifier: for every build
//! target, names that would clash (the events `a b` and `a-b-0ffb4f75`,
//! which both became `POST /hooks/a-b-0ffb4f75` and one routing key; names
//! apart only in case where the consumer ignores case; a `.dlq` suffix; an
//! environment variable) stop the build with a `name-clash` error at each
//! name, and near misses build.

use crate::util::{TempSpec, code, stderr};

/// `line:column` of the first `needle` in `text`, where the name after its
/// first quote starts (as diagnostics point at it).
fn place(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle} in the spec"));
    let at = at + needle.find('"').unwrap_or(0);
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("wireplan.kdl:{line}:{column}: error[name-clash]")
}

fn build(name: &str, text: &str, target: &str) -> (i32, String) {
    let spec = TempSpec::new(name);
    spec.file("wireplan.kdl", text);
    let out = spec.run(&["build", "--target", target, "--out", "out"]);
    let err = stderr(&out);
    if code(&out) != 0 {
        assert!(!spec.dir.join("out").exists(), "nothing is written when the build stops:\n{err}");
    }
    (code(&out), err)
}

/// The build stops with the clash reported at both `needles`.
fn clashes(name: &str, text: &str, target: &str, needles: [&str; 2]) {
    let (status, err) = build(name, text, target);
    assert_eq!(status, 1, "{target}: {err}");
    for needle in needles {
        assert!(err.contains(&place(text, needle)), "{target}: the clash at {needle}:\n{err}");
    }
    assert!(err.contains("help: rename one of them"), "{err}");
}

fn builds(name: &str, text: &str, target: &str) {
    let (status, err) = build(name, text, target);
    assert_eq!(status, 0, "{target}: {err}");
}

/// Two events of the website, each triggering a flow of its own; the second
/// flow has a dead letter queue.
fn events(a: &str, b: &str) -> String {
    format!(
        r#"system "website" kind=website {{
    api rest version="v1"
    webhooks #true
}}
system "crm" kind=crm {{
    api rest version="v1"
    secret "CRM_TOKEN"
    entity "contact" {{
        field "email" type=email
    }}
}}
event "{a}" from=website version=1 {{
    field "email" type=email
}}
event "{b}" from=website version=1 {{
    field "email" type=email
}}
flow "first" {{
    on "{a}"
    to crm action=upsert entity=contact {{
        map "email" to="email"
    }}
    retry attempts=2
    dead-letter
    log
}}
flow "second" {{
    on "{b}"
    to crm action=upsert entity=contact {{
        map "email" to="email"
    }}
    retry attempts=2
    dead-letter
    log
}}
"#
    )
}

#[test]
fn the_issue_pair_is_an_error_at_both_events_for_hub_and_broker() {
    let text = events("a b", "a-b-0ffb4f75");
    for target in ["hub", "broker"] {
        clashes(&format!("routes-pair-{target}"), &text, target, [r#"event "a b""#, r#"event "a-b-0ffb4f75""#]);
    }
}

#[test]
fn names_apart_only_in_case_clash_where_routes_ignore_case() {
    // `A b` needs a hash (its slug changed), and `a-b-<that hash>` is a clean
    // slug: the two paths differ only in case, which Node-RED ignores.
    let text = events("A b", "a-b-362e9a80");
    for target in ["hub", "broker"] {
        clashes(&format!("routes-case-{target}"), &text, target, [r#"event "A b""#, r#"event "a-b-362e9a80""#]);
    }
    // Slug-equal names without a crafted hash: each gets its own hash.
    for (a, b) in [("a b", "a-b"), ("Order.Paid", "order.paid"), ("a/b", "a?b")] {
        for target in ["hub", "broker"] {
            builds(&format!("routes-near-{target}"), &events(a, b), target);
        }
    }
}

#[test]
fn a_queue_suffix_meeting_a_flow_name_is_an_error_at_both_flows() {
    let text = events("x", "y").replace(r#"flow "second""#, r#"flow "first.dlq""#);
    clashes("routes-dlq", &text, "broker", [r#"flow "first""#, r#"flow "first.dlq""#]);
    // The hub has no queues: the same spec builds there.
    builds("routes-dlq-hub", &text, "hub");
}

#[test]
fn systems_sharing_an_environment_variable_are_an_error_at_both() {
    // `my crm` and `my-crm` both clean to MY_CRM, so both get a hash; a
    // third system written as the first one's hashed name takes its prefix.
    let base = events("x", "y");
    let text = base.replace(r#"system "crm" kind=crm {"#, "system \"crm\" kind=crm {\n    url \"https://crm\"")
        + "system \"my crm\" kind=crm\nsystem \"my-crm\" kind=crm\n";
    builds("routes-env-near", &text, "hub");
    let text = text.replace(r#"secret "CRM_TOKEN""#, r#"secret "WEBSITE_WEBHOOK_TOKEN""#);
    clashes("routes-env", &text, "hub", [r#"system "website""#, r#"system "crm""#]);
}

/// A scheduled load from `source` into a DuckDB lake.
fn etl(source_fields: &str, target_entity: &str) -> String {
    format!(
        r#"system "shop" kind=ecommerce {{
    api rest version="v1"
    entity "order" {{
{source_fields}
    }}
}}
system "lake" kind=lake {{
    entity "{target_entity}" {{
        field "id" type=string
    }}
}}
flow "load" {{
    schedule every="1h"
    from shop entity=order
    to lake action=upsert entity="{target_entity}" {{
        map "id" to="id"
    }}
    log
}}
"#
    )
}

#[test]
fn etl_columns_apart_only_in_case_and_shared_variables_clash() {
    let fine = etl("        field \"id\" type=string\n        field \"email\" type=email", "orders");
    builds("routes-etl-near", &fine, "etl");
    // DuckDB and BigQuery ignore case in identifiers, quoted or not.
    let text = etl(
        "        field \"id\" type=string\n        field \"Email\" type=email\n        field \"email\" type=email",
        "orders",
    );
    clashes("routes-etl-case", &text, "etl", [r#"field "Email""#, r#"field "email""#]);
    // A source's secret named as the lake's DuckDB path variable.
    let text = fine.replace("api rest version=\"v1\"", "api rest version=\"v1\"\n    secret \"LAKE_DUCKDB_PATH\"");
    clashes("routes-etl-env", &text, "etl", [r#"system "shop""#, r#"system "lake""#]);
}
