//! `wireplan import` and `wireplan check` on AsyncAPI documents and Node-RED
//! flow files: every fixture imports to a spec without spec errors, findings
//! point at the source document's lines in every format, bad documents get
//! diagnostics at their places, and the AsyncAPI document the broker target
//! emits for each example imports back to the same events, fields and flows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::{TempSpec, code, root, run_in, stderr, stdout};

fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures/import").join(rel)
}

const FIXTURES: &[&str] = &[
    "asyncapi/streetlights-3.0.yaml",
    "asyncapi/streetlights-2.6.yaml",
    "asyncapi/services",
    "node-red/flows.json",
    "eventcatalog",
    "eventcatalog-channels",
];

/// `wireplan check --format json` on `path` (from the repository root).
fn check_json(path: &Path) -> serde_json::Value {
    let out = run_in(&root(), &["check", "--format", "json", path.to_str().unwrap()]);
    assert!(code(&out) == 0 || code(&out) == 1, "exit {}: {}", code(&out), stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json output")
}

fn spec_errors(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"].as_str().is_some_and(|c| c.starts_with("WP0")))
        .map(|d| format!("{} {}", d["rule"], d["message"]))
        .collect()
}

#[test]
fn every_fixture_imports_to_a_spec_that_checks_without_spec_errors() {
    for rel in FIXTURES {
        let dir = TempSpec::new("import-fixture");
        let out = run_in(&root(), &["import", fixture(rel).to_str().unwrap(), "--out", dir.dir.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{rel}: {}", stderr(&out));
        let report = stderr(&out);
        assert!(report.contains("mapped: "), "{rel}: {report}");
        assert!(report.contains("wrote "), "{rel}: {report}");
        let spec = std::fs::read_to_string(dir.dir.join("wireplan.kdl")).unwrap();
        assert!(spec.starts_with("// Imported by `wireplan import` from "), "{rel}: {spec}");
        assert!(spec.contains("// unknown in the source: retry policy"), "{rel}: {spec}");
        let errors = spec_errors(&check_json(&dir.dir));
        assert!(errors.is_empty(), "{rel}: {errors:?}\n{spec}");
        // `fmt --check` agrees with the layout.
        let fmt = run_in(&dir.dir, &["fmt", "--check"]);
        assert_eq!(code(&fmt), 0, "{rel}: {}", stdout(&fmt));
        // Import never writes over a spec.
        let again = run_in(&root(), &["import", fixture(rel).to_str().unwrap(), "--out", dir.dir.to_str().unwrap()]);
        assert_eq!(code(&again), 2, "{rel}");
        assert_eq!(std::fs::read_to_string(dir.dir.join("wireplan.kdl")).unwrap(), spec);
    }
}

#[test]
fn check_on_a_document_reports_at_its_lines_in_every_format() {
    let doc = fixture("asyncapi/streetlights-3.0.yaml");
    let report = check_json(&doc);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(spec_errors(&report).is_empty(), "{report:#}");
    assert!(diagnostics.iter().all(|d| d["file"] == "tests/fixtures/import/asyncapi/streetlights-3.0.yaml"));
    // The receive operation's `action: receive` (line 33) is where the
    // non-idempotent write is; the flow is the operation's key (line 32).
    let at = |rule: &str| {
        let d = diagnostics.iter().find(|d| d["rule"] == rule).unwrap_or_else(|| panic!("no {rule}: {report:#}"));
        (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap())
    };
    assert_eq!(at("non-idempotent-path"), (33, 13));
    assert_eq!(at("no-dead-letter"), (32, 3));
    assert_eq!(at("orphan-event"), (54, 13));

    let out = run_in(&root(), &["check", "--format", "sarif", doc.to_str().unwrap()]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let code_of = diagnostics.iter().find(|d| d["rule"] == "non-idempotent-path").unwrap()["code"].clone();
    let result = results.iter().find(|r| r["ruleId"] == code_of).unwrap();
    let location = &result["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"].as_str().unwrap().ends_with("streetlights-3.0.yaml"), "{location}");
    assert_eq!(location["region"]["startLine"], 33);
    assert_eq!(location["region"]["startColumn"], 13);

    let out = run_in(&root(), &["check", "--format", "short", doc.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("tests/fixtures/import/asyncapi/streetlights-3.0.yaml:33:13: info[non-idempotent-path]"),
        "{}",
        stdout(&out)
    );
    let out = run_in(&root(), &["check", doc.to_str().unwrap()]);
    assert!(stdout(&out).contains("33 |     action: receive"), "{}", stdout(&out));

    // A folder of documents, a finding in the JSON one.
    let report = check_json(&fixture("asyncapi/services"));
    let d = report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "non-idempotent-path").unwrap();
    assert_eq!(
        (d["file"].as_str().unwrap(), d["line"].as_u64().unwrap()),
        ("tests/fixtures/import/asyncapi/services/email-service.json", 16)
    );
}

#[test]
fn bad_documents_get_diagnostics_at_their_places() {
    let cases = [
        ("bad/not-yaml.yaml", "syntax", 5, "not valid YAML"),
        ("bad/ref-cycle.yaml", "include-error", 14, "`$ref` cycle"),
        ("bad/ref-escape.yaml", "include-error", 10, "leaves the import root"),
        ("bad/unknown-version.yaml", "bad-value", 1, "AsyncAPI version `4.0.0`"),
    ];
    for (rel, rule, line, message) in cases {
        let report = check_json(&fixture(&format!("asyncapi/{rel}")));
        let found = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["rule"] == rule && d["line"] == line && d["message"].as_str().unwrap().contains(message));
        assert!(found, "{rel}: {report:#}");
        let out = run_in(&root(), &["import", fixture(&format!("asyncapi/{rel}")).to_str().unwrap()]);
        assert_eq!(code(&out), 1, "{rel}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{rel}: {}", stderr(&out));
    }
    // A 50 MB document, not read past its size.
    let dir = TempSpec::new("import-huge");
    let mut text = String::from("asyncapi: 3.0.0\ninfo: {title: huge, version: '1'}\nchannels:\n");
    while text.len() < 50 * 1024 * 1024 {
        text.push_str("  c0123456789: {address: a, description: 'padding padding padding padding padding padding'}\n");
    }
    dir.file("huge.yaml", &text);
    let out = dir.run(&["check", "--format", "json", "huge.yaml"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &report["diagnostics"][0];
    assert_eq!((d["rule"].as_str().unwrap(), d["line"].as_u64().unwrap()), ("syntax", 1), "{report:#}");
    assert!(d["message"].as_str().unwrap().contains("MiB"), "{report:#}");
    // Hostile shapes: deep nesting, nested aliases, not a mapping, a
    // document that is a Node-RED list but asked for as AsyncAPI.
    for (name, text) in [
        ("deep.yaml", "[".repeat(200_000)),
        ("laughs.yaml", "asyncapi: 3.0.0\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n".to_owned()),
        ("list.yaml", "- 1\n- 2\n".to_owned()),
        ("nul.json", "{\"asyncapi\": \"3.0.0\", \"info\": {\"title\": \"\\u0000\\u202e\", \"version\": \"1\"}}".to_owned()),
    ] {
        dir.file(name, &text);
        let out = dir.run(&["check", "--format", "json", name]);
        assert!(code(&out) == 0 || code(&out) == 1, "{name}: exit {}: {}", code(&out), stderr(&out));
        let out = dir.run(&["import", name]);
        assert!(code(&out) == 0 || code(&out) == 1, "{name}: exit {}: {}", code(&out), stderr(&out));
    }
}

/// An event's or entity's fields: name, type, required.
type Fields = BTreeSet<(String, String, bool)>;

#[test]
fn credentials_in_a_document_are_findings_and_never_printed() {
    let dir = TempSpec::new("import-secret");
    dir.file(
        "api.yaml",
        "asyncapi: 2.6.0\ninfo: {title: leaky, version: '1'}\nservers:\n  prod:\n    \
         url: amqp://guest:Sup3rS3cretPassw0rdX@mq.example.com:5672\n    protocol: amqp\nchannels: {}\n",
    );
    for format in ["human", "json", "sarif", "github", "short", "junit"] {
        let out = dir.run(&["check", "--format", format, "api.yaml"]);
        assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
        let text = stdout(&out) + &stderr(&out);
        assert!(!text.contains("Sup3rS3cretPassw0rdX"), "{format}: {text}");
        assert!(text.contains("secret-literal") || text.contains("WP009"), "{format}: {text}");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&dir.run(&["check", "--format", "json", "api.yaml"]).stdout).unwrap();
    let d = report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "secret-literal").unwrap();
    assert_eq!((d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap()), (5, 23), "{report:#}");
    let out = dir.run(&["import", "api.yaml"]);
    assert!(!(stdout(&out) + &stderr(&out)).contains("Sup3rS3cretPassw0rdX"));
}

/// What the round trip compares: events with their fields, and flows with
/// their trigger.
#[derive(Debug, Default, PartialEq, Eq)]
struct Model {
    events: BTreeMap<String, Fields>,
    /// Each flow by name: the event it is triggered by.
    flows: BTreeMap<String, String>,
    /// Each flow's targets: `(system, action)`.
    targets: BTreeMap<String, Vec<(String, String)>>,
    /// The systems that produce or receive what the broker carries.
    systems: BTreeSet<String>,
}

/// A spec's nodes, following its includes.
fn nodes(entry: &Path) -> Vec<kdl::KdlNode> {
    let mut out = Vec::new();
    let mut queue = vec![entry.to_path_buf()];
    let mut seen = BTreeSet::new();
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let doc = kdl::KdlDocument::parse_v2(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for node in doc.nodes() {
            if node.name().value() == "include" {
                let pattern = path.parent().unwrap().join(node.entries()[0].value().as_string().unwrap());
                let mut found: Vec<PathBuf> = glob::glob(pattern.to_str().unwrap()).unwrap().flatten().collect();
                found.sort();
                queue.extend(found);
            } else {
                out.push(node.clone());
            }
        }
    }
    out
}

fn arg(node: &kdl::KdlNode) -> String {
    node.entries().iter().find(|e| e.name().is_none()).and_then(|e| e.value().as_string()).unwrap_or("").to_owned()
}

fn prop(node: &kdl::KdlNode, key: &str) -> Option<String> {
    node.entry(key).map(|e| e.value().as_string().map_or_else(|| e.value().to_string(), str::to_owned))
}

fn children(node: &kdl::KdlNode) -> Vec<kdl::KdlNode> {
    node.children().map(|c| c.nodes().to_vec()).unwrap_or_default()
}

fn fields(node: &kdl::KdlNode) -> Fields {
    children(node)
        .iter()
        .filter(|c| c.name().value() == "field")
        .map(|f| {
            let required = f.entry("required").is_some_and(|e| e.value().as_bool() == Some(true));
            (arg(f), prop(f, "type").unwrap_or_else(|| "json".into()), required)
        })
        .collect()
}

/// The broker target's slug of a spec name (`emit::names::slugs`, for names
/// that do not collide).
fn slug(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' }).collect();
    s.trim_start_matches(['.', '-']).to_owned()
}

/// The part of an example the broker target carries: every flow triggered
/// by an event (that event, by its slug, with its fields) and every poll
/// (the event `poll.FLOW` with the polled entity's fields); the flows by
/// their queue's receive operation, `FLOW.receive`.
fn carried(entry: &Path) -> Model {
    let nodes = nodes(entry);
    let mut entities: BTreeMap<(String, String), Fields> = BTreeMap::new();
    let mut events = BTreeMap::new();
    let mut producers: BTreeMap<String, String> = BTreeMap::new();
    for node in &nodes {
        match node.name().value() {
            "system" => {
                for e in children(node).iter().filter(|c| c.name().value() == "entity") {
                    entities.insert((arg(node), arg(e)), fields(e));
                }
            }
            "event" => {
                events.insert(arg(node), fields(node));
                producers.insert(arg(node), prop(node, "from").unwrap_or_default());
            }
            _ => {}
        }
    }
    let mut model = Model::default();
    for flow in nodes.iter().filter(|n| n.name().value() == "flow") {
        let name = arg(flow);
        let mut carried = false;
        for child in children(flow) {
            match child.name().value() {
                "on" => {
                    let event = arg(&child);
                    model.events.insert(slug(&event), events.get(&event).cloned().unwrap_or_default());
                    model.flows.insert(name.clone(), slug(&event));
                    model.systems.extend(producers.get(&event).cloned());
                    carried = true;
                }
                "poll" => {
                    let entity = prop(&child, "entity").unwrap_or_default();
                    let event = format!("poll.{}", slug(&name));
                    model
                        .events
                        .insert(event.clone(), entities.get(&(arg(&child), entity)).cloned().unwrap_or_default());
                    model.flows.insert(name.clone(), event);
                    model.systems.insert(arg(&child));
                    carried = true;
                }
                _ => {}
            }
        }
        if carried {
            let targets = targets_of(flow);
            model.systems.extend(targets.iter().map(|(system, _)| system.clone()));
            model.targets.insert(name, targets);
        }
    }
    model
}

/// A flow's `to`s: `(system, action)`, in order.
fn targets_of(flow: &kdl::KdlNode) -> Vec<(String, String)> {
    children(flow)
        .iter()
        .filter(|c| c.name().value() == "to")
        .map(|t| (arg(t), prop(t, "action").unwrap_or_default()))
        .collect()
}

fn imported(spec: &str) -> (Model, Vec<(String, String)>) {
    let doc = kdl::KdlDocument::parse_v2(spec).unwrap();
    let mut model = Model::default();
    let mut systems = Vec::new();
    for node in doc.nodes() {
        match node.name().value() {
            "system" => systems.push((arg(node), prop(node, "kind").unwrap_or_default())),
            "event" => {
                model.events.insert(arg(node), fields(node));
            }
            "flow" => {
                let on = children(node).iter().find(|c| c.name().value() == "on").map(arg).unwrap_or_default();
                model.flows.insert(arg(node), on);
                model.targets.insert(arg(node), targets_of(node));
            }
            _ => {}
        }
    }
    (model, systems)
}

#[test]
fn the_broker_document_of_every_example_imports_back_to_the_same_model() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    examples.sort();
    assert!(examples.len() >= 5);
    for example in examples {
        let out_dir = TempSpec::new("import-round-trip");
        let built = run_in(
            &root(),
            &["build", "--target", "broker", "--out", out_dir.dir.to_str().unwrap(), example.to_str().unwrap()],
        );
        assert_eq!(code(&built), 0, "{}: {}", example.display(), stderr(&built));
        let document = out_dir.dir.join("asyncapi.yaml");
        let out = run_in(&root(), &["import", document.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{}: {}", example.display(), stderr(&out));
        let spec = stdout(&out);
        let (model, systems) = imported(&spec);
        let want = carried(&example.join("wireplan.kdl"));
        assert!(!want.flows.is_empty(), "{}: the broker carries nothing", example.display());
        assert_eq!(model.events, want.events, "{}: events and fields\n{spec}", example.display());
        assert_eq!(model.flows, want.flows, "{}: flows\n{spec}", example.display());
        assert_eq!(model.targets, want.targets, "{}: targets and actions\n{spec}", example.display());
        assert!(systems.contains(&("rabbitmq".into(), "broker".into())), "{}: {systems:?}", example.display());
        let names: BTreeSet<String> =
            systems.iter().map(|(name, _)| name.clone()).filter(|name| name != "rabbitmq").collect();
        assert_eq!(names, want.systems, "{}: systems\n{spec}", example.display());
        // And the imported spec checks without spec errors.
        let dir = TempSpec::new("import-round-trip-spec");
        dir.file("wireplan.kdl", &spec);
        let errors = spec_errors(&check_json(&dir.dir));
        assert!(errors.is_empty(), "{}: {errors:?}\n{spec}", example.display());
    }
}

#[test]
fn node_red_flows_become_triggers_targets_and_flows_via_the_hub() {
    let out = run_in(&root(), &["import", fixture("node-red/flows.json").to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let spec = stdout(&out);
    let doc = kdl::KdlDocument::parse_v2(&spec).unwrap();
    let flow = |name: &str| {
        doc.nodes()
            .iter()
            .find(|n| n.name().value() == "flow" && arg(n) == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name}\n{spec}"))
    };
    let orders = children(&flow("Orders/order paid"));
    let names: Vec<String> =
        orders.iter().map(|c| format!("{} {}", c.name().value(), arg(c)).trim_end().to_owned()).collect();
    assert_eq!(
        names,
        ["on POST /hooks/order-paid", "via node-red", "to quickbooks.api.intuit.com", "dead-letter"],
        "{spec}"
    );
    assert_eq!(prop(&orders[2], "action").as_deref(), Some("create"));
    let sensors = children(&flow("Sensors/temperatures"));
    assert_eq!(prop(&sensors[2], "action").as_deref(), Some("upsert"));
    assert!(!sensors.iter().any(|c| c.name().value() == "dead-letter"));
    let nightly = children(&flow("Nightly/every night"));
    assert_eq!(prop(&nightly[0], "cron").as_deref(), Some("00 02 * * *"));
    assert!(stderr(&out).contains("skipped: the inject node `by hand`"), "{}", stderr(&out));
    // `check` on the flow file points at its nodes.
    let report = check_json(&fixture("node-red/flows.json"));
    let d = report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "no-error-handling").unwrap();
    assert_eq!(
        (d["file"].as_str().unwrap(), d["line"].as_u64().unwrap()),
        ("tests/fixtures/import/node-red/flows.json", 5)
    );
}

/// (1.2) A Node-RED `http request` that GETs asks and changes nothing: it
/// is imported as a `read`, which the checks take as setting nothing off,
/// where another method becomes the write it is.
#[test]
fn a_node_red_get_request_is_imported_as_a_read() {
    let dir = TempSpec::new("import-node-red-get");
    dir.file(
        "flows.json",
        r#"[
  {"id": "t1", "type": "tab", "label": "Lookups"},
  {"id": "n1", "type": "http in", "z": "t1", "name": "customer asked", "url": "/hooks/customer", "method": "post", "wires": [["n2"]]},
  {"id": "n2", "type": "http request", "z": "t1", "name": "find customer", "method": "GET", "url": "https://crm.example.com/api/customers", "wires": [["n3"]]},
  {"id": "n3", "type": "http request", "z": "t1", "name": "store note", "method": "POST", "url": "https://notes.example.com/api/notes", "wires": [[]]}
]"#,
    );
    let out = dir.run(&["import", "flows.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let spec = stdout(&out);
    let doc = kdl::KdlDocument::parse_v2(&spec).unwrap();
    let flow = doc.nodes().iter().find(|n| n.name().value() == "flow").unwrap_or_else(|| panic!("{spec}"));
    let actions: Vec<(String, Option<String>)> =
        children(flow).iter().filter(|c| c.name().value() == "to").map(|c| (arg(c), prop(c, "action"))).collect();
    assert_eq!(
        actions,
        [
            ("crm.example.com".to_owned(), Some("read".to_owned())),
            ("notes.example.com".to_owned(), Some("create".to_owned()))
        ],
        "{spec}"
    );
}

#[test]
fn n8n_and_make_map_triggers_writes_retries_and_dead_letters() {
    let out = run_in(&root(), &["import", fixture("n8n/workflow.json").to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let spec = stdout(&out);
    let doc = kdl::KdlDocument::parse_v2(&spec).unwrap();
    let flow = |doc: &kdl::KdlDocument, name: &str| {
        doc.nodes()
            .iter()
            .find(|n| n.name().value() == "flow" && arg(n) == name)
            .map(children)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let lead = flow(&doc, "New leads to CRM/Webhook");
    let line = |c: &kdl::KdlNode| c.to_string().trim().to_owned();
    let lines: Vec<String> = lead.iter().map(line).collect();
    assert!(lines.contains(&"to \"hubspot\" action=upsert entity=\"contact\"".to_owned()), "{spec}");
    assert!(lines.contains(&"to \"mailchimp\" action=create entity=\"member\"".to_owned()), "{spec}");
    assert!(lines.contains(&"retry attempts=4 initial=\"5s\"".to_owned()), "{spec}");
    assert!(lines.contains(&"dead-letter".to_owned()), "{spec}");
    let poll = flow(&doc, "New leads to CRM/Google Sheets Trigger");
    assert_eq!(line(&poll[0]), "poll \"google-sheets\" every=\"15m\"", "{spec}");
    let schedule = flow(&doc, "New leads to CRM/Schedule Trigger");
    assert_eq!(line(&schedule[0]), "schedule every=\"6h\"", "{spec}");
    assert!(stderr(&out).contains("skipped: the trigger `When clicking 'Test workflow'`"), "{}", stderr(&out));

    let out = run_in(&root(), &["import", fixture("make/blueprint.json").to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let spec = stdout(&out);
    let doc = kdl::KdlDocument::parse_v2(&spec).unwrap();
    let lines: Vec<String> = flow(&doc, "Paid orders to invoices").iter().map(line).collect();
    assert_eq!(
        lines,
        [
            "poll \"shopify\" every=\"15m\"",
            "via \"make\"",
            "to \"quickbooks-online\" action=create",
            "to \"google-sheets\" action=append",
            "to \"hooks.example-erp.com\" action=create",
            "retry attempts=4 initial=\"15m\"",
            "dead-letter",
        ],
        "{spec}"
    );
    assert!(spec.contains("// unknown in the source: poll interval"), "{spec}");
}

/// `check --files`, as a pre-commit hook runs it: an AsyncAPI document no
/// spec holds is checked on its own, at its YAML lines; a YAML file that is
/// not AsyncAPI (a CI workflow) is skipped with a note, never reported as a
/// broken document.
#[test]
fn check_files_reads_an_asyncapi_document_and_skips_other_yaml() {
    let dir = TempSpec::new("import-files");
    let api = std::fs::read_to_string(fixture("asyncapi/streetlights-3.0.yaml")).unwrap();
    dir.file("api/streetlights.yaml", &api);
    dir.file(".github/workflows/ci.yml", "name: ci\non: [push]\njobs: {}\n");
    let out = dir.run(&["check", "--format", "short", "--files", "api/streetlights.yaml", ".github/workflows/ci.yml"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().any(|l| l.starts_with("api/streetlights.yaml:")), "{text}");
    assert!(!text.contains("ci.yml"), "{text}");
    assert!(stderr(&out).contains("note: skipped .github/workflows/ci.yml"), "{}", stderr(&out));
    // The near miss: `fmt --files` formats KDL only and leaves the document alone.
    let before = std::fs::read(dir.dir.join("api/streetlights.yaml")).unwrap();
    let out = dir.run(&["fmt", "--files", "api/streetlights.yaml"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.dir.join("api/streetlights.yaml")).unwrap(), before);
}
