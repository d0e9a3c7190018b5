//! The connector catalog's data (`catalog/*.json`): every entry validates
//! against the committed schema, every fact names the public page it comes
//! from and the day it was read, ids are unique and equal the file names, and
//! there are at least 30 systems. A fact without a source is not recorded.
//! And the catalog end to end, through the real binary: `wireplan catalog`,
//! `connector=` in a spec (an unknown name, the facts it brings), the
//! project's catalog file and `WIREPLAN_TODAY`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

use crate::util::{TempSpec, code, root, stderr, stdout};

/// (file stem, parsed entry) for every `catalog/*.json`, sorted by name.
fn entries() -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for file in std::fs::read_dir(root().join("catalog")).unwrap().flatten() {
        let path = file.path();
        if path.extension().is_some_and(|e| e == "json") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("catalog/{stem}.json: {e}"));
            found.push((stem, value));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas/catalog.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).expect("the catalog schema compiles")
}

#[test]
fn every_entry_validates_against_the_schema() {
    let validator = validator();
    let entries = entries();
    assert!(entries.len() >= 30, "only {} systems in catalog/", entries.len());
    let mut errors = Vec::new();
    for (stem, entry) in &entries {
        errors.extend(validator.iter_errors(entry).map(|e| format!("{stem}{}: {e}", e.instance_path())));
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_schema_refuses_a_fact_without_its_source_or_read_date() {
    let validator = validator();
    let (_, stripe) = entries().into_iter().find(|(stem, _)| stem == "stripe").unwrap();
    assert!(validator.is_valid(&stripe));
    for (fact, field) in [("rate_limits", "source"), ("idempotency", "read")] {
        let mut broken = stripe.clone();
        broken[fact].as_object_mut().unwrap().remove(field);
        assert!(!validator.is_valid(&broken), "{fact} without {field} passed");
    }
    let mut broken = stripe.clone();
    broken["webhooks"]["signature"]["source"] = Value::from("docs.stripe.com, from memory");
    assert!(!validator.is_valid(&broken), "a source that is no URL passed");
    let mut broken = stripe.clone();
    broken["versioning"]["read"] = Value::from("last week");
    assert!(!validator.is_valid(&broken), "a read date that is no date passed");
    let mut broken = stripe;
    broken["auth"] = Value::from("probably bearer");
    assert!(!validator.is_valid(&broken), "a fact that is neither an object nor \"unknown\" passed");
}

/// Every object that says anything (a fact) names a source and a read date,
/// whatever the schema says: walked over the data itself.
#[test]
fn every_fact_names_a_source_url_and_a_read_date() {
    fn walk(value: &Value, path: &str, bad: &mut Vec<String>) {
        let Value::Object(map) = value else { return };
        let is_container = path.matches('.').count() == 0 || path.ends_with(".webhooks");
        if is_container {
            for (key, value) in map {
                walk(value, &format!("{path}.{key}"), bad);
            }
            return;
        }
        let source = map.get("source").and_then(Value::as_str).unwrap_or("");
        if !source.starts_with("https://") || source.contains(char::is_whitespace) {
            bad.push(format!("{path}: source `{source}` is no https URL"));
        }
        let read = map.get("read").and_then(Value::as_str).unwrap_or("");
        let digits = read.chars().filter(char::is_ascii_digit).count();
        if read.len() != 10 || digits != 8 || !read.starts_with("20") {
            bad.push(format!("{path}: read `{read}` is no YYYY-MM-DD date"));
        }
    }
    let mut bad = Vec::new();
    let mut facts = 0;
    for (stem, entry) in entries() {
        walk(&entry, &stem, &mut bad);
        facts += count_facts(&entry);
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // A floor, not a goal: the facts confirmed so far, so a careless edit that
    // drops many of them fails here. Raise it as facts are added.
    assert!(facts >= 100, "only {facts} facts recorded");
}

fn count_facts(entry: &Value) -> usize {
    let webhooks = entry["webhooks"].as_object().map_or(0, |w| w.values().filter(|v| v.is_object()).count());
    let top = ["auth", "rate_limits", "idempotency", "versioning"].iter().filter(|k| entry[**k].is_object()).count();
    webhooks + top
}

#[test]
fn ids_are_unique_and_equal_the_file_names() {
    let entries = entries();
    let mut ids = Vec::new();
    for (stem, entry) in &entries {
        let id = entry["id"].as_str().unwrap_or_default();
        assert_eq!(id, stem, "catalog/{stem}.json names itself `{id}`");
        ids.push(id.to_ascii_lowercase());
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "two entries share an id");
    let mut names: Vec<String> =
        entries.iter().map(|(_, e)| e["name"].as_str().unwrap().to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), count, "two entries share a name");
}

/// A spec whose system names `connector`, with `body` inside it.
fn connector_spec(connector: &str, body: &str) -> String {
    format!("system \"pay\" kind=payments connector={connector} {{\n{body}\n}}\n")
}

#[test]
fn catalog_lists_every_entry_and_shows_one_with_its_sources() {
    let here = TempSpec::new("catalog-list");
    let list = here.run(&["catalog"]);
    assert_eq!(code(&list), 0, "{}", stderr(&list));
    let text = stdout(&list);
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    // A header, one line per file of `catalog/`, and the closing sentence.
    assert_eq!(lines.len(), entries().len() + 2, "{text}");
    assert!(text.lines().any(|l| l.starts_with("stripe ") && l.contains("Idempotency-Key")), "{text}");

    let stripe = here.run(&["catalog", "stripe"]);
    assert_eq!(code(&stripe), 0, "{}", stderr(&stripe));
    let text = stdout(&stripe);
    assert!(text.starts_with("Stripe (`connector=stripe`)"), "{text}");
    assert!(text.contains("  source: https://docs.stripe.com/idempotency (read 2026-12-04)"), "{text}");
    assert!(text.contains("  format: t={timestamp},v1={signature}"), "{text}");

    let json = here.run(&["catalog", "stripe", "--format", "json"]);
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    let (_, on_disk) = entries().into_iter().find(|(stem, _)| stem == "stripe").unwrap();
    assert_eq!(value, on_disk, "the JSON of an entry is its file's");
    let all: Value = serde_json::from_slice(&here.run(&["catalog", "--format", "json"]).stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), entries().len());

    let typo = here.run(&["catalog", "strpe"]);
    assert_eq!(code(&typo), 2);
    assert!(stderr(&typo).contains("no connector named `strpe`; did you mean `stripe`?"), "{}", stderr(&typo));
}

#[test]
fn an_unknown_connector_is_an_error_at_its_name_with_the_closest_id() {
    let spec = TempSpec::new("catalog-unknown");
    spec.file("wireplan.kdl", connector_spec("hubspoot", ""));
    let out = spec.run(&["check", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<&Value> =
        report["diagnostics"].as_array().unwrap().iter().filter(|d| d["rule"] == "unresolved-reference").collect();
    assert_eq!(found.len(), 1, "{report}");
    let d = found[0];
    assert_eq!(d["message"], "no connector named `hubspoot`");
    assert!(d["help"].as_str().unwrap().starts_with("did you mean `connector=hubspot`?"), "{d}");
    // The span is the name itself: `connector=hubspoot` on line 1.
    assert_eq!(
        (&d["line"], &d["column"], &d["end_column"]),
        (&Value::from(1), &Value::from(38), &Value::from(46)),
        "{d}"
    );
}

#[test]
fn a_version_retired_before_the_horizon_counts_from_wireplan_today() {
    let spec = TempSpec::new("catalog-today");
    spec.file(
        "wireplan.kdl",
        "stack \"s\" {\n    horizon months=12\n}\nsystem \"shop\" kind=ecommerce connector=shopify {\n    api graphql version=\"2026-10\"\n}\n",
    );
    let run = |today: &str| {
        let out = crate::util::wireplan()
            .args(["check", "--format", "json"])
            .env("WIREPLAN_TODAY", today)
            .current_dir(&spec.dir)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["rule"] == "retired-api-version")
            .map(|d| d["message"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // 2026-10 ends in October 2027: ten months after December 2026, inside
    // a 12-month horizon.
    assert_eq!(
        run("2026-12-04"),
        vec![
            "API version `2026-10` of `shop` is retired in October 2027, 10 months from now, before the planning \
             horizon (December 2027, month 12): Shopify supports a version 12 months after its release \
             (https://shopify.dev/docs/api/usage/versioning)"
        ]
    );
    // A month earlier, the end is past the horizon; after it, it is past.
    assert!(run("2026-09").is_empty());
    assert!(run("2027-11")[0].contains("was retired in October 2027"));
    let bad = crate::util::wireplan()
        .args(["check"])
        .env("WIREPLAN_TODAY", "tomorrow")
        .current_dir(&spec.dir)
        .output()
        .unwrap();
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("WIREPLAN_TODAY"), "{}", stderr(&bad));
}

#[test]
fn a_project_catalog_file_overrides_an_entry_and_adds_a_system() {
    let spec = TempSpec::new("catalog-project");
    spec.file(
        "wireplan.kdl",
        "system \"pay\" kind=payments connector=stripe\nsystem \"ours\" kind=crm connector=our-crm\n\
         system \"shop\" kind=ecommerce\nevent \"sale\" from=shop version=1 {\n    volume peak-per-second=50\n}\n\
         flow \"f\" {\n    on \"sale\"\n    to pay action=upsert\n    to ours action=upsert\n}\n",
    );
    let limits = |requests: u32| {
        format!(
            r#"{{"plan": "our contract", "limits": [{{"requests": {requests}, "per": "1s", "scope": "account"}}],
               "source": "https://example.com/contract", "read": "2026-12-01"}}"#
        )
    };
    let unknown = r#""unknown""#;
    spec.file(
        "wireplan.catalog.json",
        format!(
            r#"[
              {{"id": "stripe", "rate_limits": {}}},
              {{"id": "our-crm", "name": "Our CRM",
                "webhooks": {{"supported": {unknown}, "delivery": {unknown}, "ordering": {unknown}, "signature": {unknown}}},
                "auth": {unknown}, "rate_limits": {}, "idempotency": {unknown}, "versioning": {unknown}}}
            ]"#,
            limits(1000),
            limits(5)
        ),
    );
    let out = spec.run(&["check", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "rate-limit-exceeded")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    // Stripe's 100/s is raised to 1000/s by the project; its own CRM allows 5/s.
    assert_eq!(messages.len(), 1, "{messages:?}\n{}", stderr(&out));
    assert!(
        messages[0].contains("`ours`")
            && messages[0].contains("Our CRM allows 5 requests per 1s per account: https://example.com/contract"),
        "{}",
        messages[0]
    );
    let shown = stdout(&spec.run(&["catalog", "our-crm"]));
    assert!(shown.starts_with("Our CRM"), "{shown}");

    spec.file("wireplan.catalog.json", r#"[{"id": "stripe", "rate_limits": {"plan": "no source"}}]"#);
    let bad = spec.run(&["catalog"]);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("wireplan.catalog.json"), "{}", stderr(&bad));
}

/// The hub verifies a vendor's own HMAC scheme from the catalog (Stripe's,
/// with nothing but `connector=`); a flow started by a producer whose
/// vendor's scheme is not an HMAC (PayPal asks its own API) is a
/// `not-carried-out` warning at the `connector=`.
#[test]
fn the_hub_verifies_vendor_schemes_and_says_which_it_cannot() {
    let text = |producer: &str| {
        format!(
            "{producer}\nsystem \"crm\" kind=crm\nevent \"paid\" from=pay version=1\n\
             flow \"f\" {{\n    on \"paid\"\n    to crm action=upsert\n    retry\n    dead-letter\n    log\n}}\n"
        )
    };
    let build = |producer: &str| {
        let spec = TempSpec::new("catalog-hub");
        spec.file("wireplan.kdl", text(producer));
        let out = spec.run(&["build", "--target", "hub", "--out", "out"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let warnings: Vec<String> =
            stderr(&out).lines().filter(|l| l.contains("warning[not-carried-out]")).map(str::to_owned).collect();
        let flows = std::fs::read_to_string(spec.dir.join("out/node-red/flows.json")).unwrap();
        (warnings, flows)
    };
    let (found, flows) = build("system \"pay\" kind=payments connector=paypal {\n    api rest version=\"v1\"\n}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("wireplan.kdl:1:38: warning[not-carried-out]: `system connector=`"), "{found:?}");
    assert!(flows.contains(r#"\"scheme\":\"bearer\""#), "PayPal's webhooks would need the bearer token");
    let (found, flows) =
        build("system \"pay\" kind=payments connector=stripe {\n    api rest version=\"2025-08-27\"\n}");
    assert_eq!(found, Vec::<String>::new());
    for part in [r#"\"header\":\"stripe-signature\""#, r#"\"pairs\":{\"signature\":\"v1\",\"timestamp\":\"t\"}"#] {
        assert!(flows.contains(part), "{part} in {flows}");
    }
    assert!(flows.contains(r#"\"secret_env\":\"PAY_WEBHOOK_SECRET\""#));
    // The broker's ingress runs the same check.
    let spec = TempSpec::new("catalog-broker");
    spec.file(
        "wireplan.kdl",
        text("system \"pay\" kind=payments connector=stripe {\n    api rest version=\"2025-08-27\"\n}"),
    );
    let out = spec.run(&["build", "--target", "broker", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let flows = std::fs::read_to_string(spec.dir.join("out/node-red/flows.json")).unwrap();
    assert!(flows.contains(r#"\"pairs\":{\"signature\":\"v1\",\"timestamp\":\"t\"}"#), "{flows}");
    let written = "system \"pay\" kind=custom connector=github {\n    api rest version=\"2099-01-01\"\n    \
                   webhook-signature \"hmac-sha256\" header=\"X-Hub-Signature-256\" prefix=\"sha256=\" secret=\"GH_SECRET\"\n}";
    let (found, flows) = build(written);
    assert_eq!(found, Vec::<String>::new());
    assert!(flows.contains(r#"\"secret_env\":\"GH_SECRET\""#), "the statement's secret wins");
}

/// `webhooks #true` on a system whose vendor (here, as a project's file
/// records it) sends none is a contradiction; the spec's word still wins
/// for the checks that read it.
#[test]
fn webhooks_declared_where_the_vendor_sends_none_is_a_contradiction() {
    let spec = TempSpec::new("catalog-no-webhooks");
    spec.file("wireplan.kdl", connector_spec("stripe", "    api rest version=\"2025-08-27\"\n    webhooks #true"));
    spec.file(
        "wireplan.catalog.json",
        r#"[{"id": "stripe", "webhooks": {"supported": {"supported": false,
             "source": "https://example.com/no-webhooks", "read": "2026-12-01"}}}]"#,
    );
    let out = spec.run(&["check", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "connector-contradiction")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        found,
        vec!["`pay` says it sends webhooks, but Stripe documents none (https://example.com/no-webhooks)"],
        "{}",
        stderr(&out)
    );
}

/// `auth basic` runs in the hub and in the broker's egress (`auth.js`
/// before the request, no bearer token).
#[test]
fn outbound_auth_runs_in_the_hub_and_the_broker() {
    let spec = TempSpec::new("catalog-auth");
    spec.file(
        "wireplan.kdl",
        "system \"shop\" kind=ecommerce {\n    webhooks #true\n}\nsystem \"ship\" kind=custom {\n    auth basic\n    \
         secret \"SHIP_TOKEN\"\n}\nevent \"order\" from=shop version=1\nflow \"f\" {\n    on \"order\"\n    to ship \
         action=create\n    retry\n    dead-letter\n    log\n}\n",
    );
    let hub = spec.run(&["build", "--target", "hub", "--out", "hub"]);
    assert_eq!(code(&hub), 0, "{}", stderr(&hub));
    assert!(!stderr(&hub).contains("not-carried-out"), "{}", stderr(&hub));
    let flows = std::fs::read_to_string(spec.dir.join("hub/node-red/flows.json")).unwrap();
    assert!(flows.contains(
        r#"\"outbound\":{\"kind\":\"basic\",\"password_env\":\"SHIP_PASSWORD\",\"user_env\":\"SHIP_USER\"}"#
    ));
    assert!(flows.contains("credentials and key"), "the auth node is in the chain");
    assert!(!flows.contains(r#"\"token_env\""#), "the secret is not also sent as a bearer token");
    let readme = std::fs::read_to_string(spec.dir.join("hub/README.md")).unwrap();
    assert!(readme.contains("`SHIP_USER`") && readme.contains("`SHIP_PASSWORD`"), "{readme}");
    // The broker's egress runs the same `auth.js` before its request.
    let broker = spec.run(&["build", "--target", "broker", "--out", "broker"]);
    assert_eq!(code(&broker), 0, "{}", stderr(&broker));
    assert!(!stderr(&broker).contains("not-carried-out"), "{}", stderr(&broker));
    let flows = std::fs::read_to_string(spec.dir.join("broker/node-red/flows.json")).unwrap();
    assert!(flows.contains("credentials and key"), "the auth node is in the egress chain");
    assert!(flows.contains(r#"\"user_env\":\"SHIP_USER\""#), "{flows}");
    let readme = std::fs::read_to_string(spec.dir.join("broker/README.md")).unwrap();
    assert!(readme.contains("`SHIP_USER`") && readme.contains("`SHIP_PASSWORD`"), "{readme}");
}
