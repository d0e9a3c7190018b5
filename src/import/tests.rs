//! The importer's own tests: the spec it writes is in `fmt`'s layout and
//! parses without errors whatever the names, findings go back to their
//! source places, and the AsyncAPI mapping on small documents.

use std::path::{Path, PathBuf};

use super::tree::Range;
use super::*;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(rel)
}

fn import_of(rel: &str, from: From) -> Import {
    let path = fixture(rel);
    let cwd = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (root, files, _) = read_sources(&path, Some(from)).unwrap();
    import(&root, &files, from, cwd)
}

#[test]
fn the_written_spec_is_formatted_and_parses() {
    for (rel, from) in [
        ("asyncapi/streetlights-3.0.yaml", From::Asyncapi),
        ("asyncapi/streetlights-2.6.yaml", From::Asyncapi),
        ("asyncapi/services", From::Asyncapi),
        ("node-red/flows.json", From::NodeRed),
        ("n8n/workflow.json", From::N8n),
        ("make/blueprint.json", From::Make),
        ("eventcatalog", From::Eventcatalog),
        ("eventcatalog-channels", From::Eventcatalog),
    ] {
        let import = import_of(rel, from);
        assert!(import.problems.is_empty(), "{rel}: {:?}", import.problems);
        let written = spec::write(&import, from.name());
        let formatted = crate::fmt::format_text(&written.text).unwrap();
        assert_eq!(formatted, written.text, "{rel}: the writer's layout is not fmt's");
        assert!(!written.text.contains("\n\n\n"));
    }
}

#[test]
fn hostile_names_stay_strings() {
    let origin = Origin { file: 0, range: Range::default() };
    let names =
        ["a\"b", "back\\slash", "line\nbreak", "bidi\u{202e}x", "nul\u{0}", "bom\u{feff}", "}\nsystem \"x\"", "é ü"];
    let mut import = Import::default();
    for name in names {
        import.add_system(System {
            name: name.into(),
            kind: "custom",
            api: None,
            api_version: None,
            origin,
            unknown: Vec::new(),
        });
    }
    let written = spec::write(&import, "test\n// not a comment");
    let parsed = crate::syntax::parse(&written.text);
    assert!(parsed.errors.is_empty(), "{:?}\n{}", parsed.errors, written.text);
    assert_eq!(parsed.document().nodes().count(), names.len());
    assert!(!written.text.contains("\n// not a comment"));
}

#[test]
fn spans_map_back_to_the_innermost_origin() {
    let import = import_of("asyncapi/streetlights-3.0.yaml", From::Asyncapi);
    let written = spec::write(&import, "AsyncAPI");
    let text = &written.text;
    let source = &import.sources[0].text;
    let at = text.find("field \"lumens\"").unwrap() as u32;
    let origin = written.origin_of(at, at + 5).unwrap();
    assert_eq!(&source[origin.range.start as usize..origin.range.end as usize], "lumens");
    let at = text.find("to \"Streetlights").unwrap() as u32;
    let origin = written.origin_of(at, at + 2).unwrap();
    assert_eq!(&source[origin.range.start as usize..origin.range.end as usize], "receive");
    let at = text.find("flow \"receiveLightMeasurement\"").unwrap() as u32;
    let origin = written.origin_of(at, at + 4).unwrap();
    assert_eq!(&source[origin.range.start as usize..origin.range.end as usize], "receiveLightMeasurement");
    assert_eq!(written.origin_of(0, 1), None);
}

#[test]
fn asyncapi_2_inverts_publish_and_subscribe() {
    let import = import_of("asyncapi/streetlights-2.6.yaml", From::Asyncapi);
    let turned_on = import.events.iter().find(|e| e.name == "turnedOn").unwrap();
    assert_eq!(turned_on.from, "Streetlights MQTT API", "subscribe: the application sends");
    let flow = &import.flows[0];
    assert_eq!(flow.trigger, Trigger::On("LightMeasured".into()), "publish: the application receives");
    assert_eq!(flow.targets[0].system, "Streetlights MQTT API");
    let measured = import.events.iter().find(|e| e.name == "LightMeasured").unwrap();
    let fields: Vec<(&str, &str, bool)> = measured.fields.iter().map(|f| (f.name.as_str(), f.ty, f.required)).collect();
    assert_eq!(
        fields,
        [
            ("id", "int", true),
            ("lumens", "float", false),
            ("location.lat", "float", false),
            ("location.lon", "float", false)
        ]
    );
}

#[test]
fn several_documents_make_one_spec_across_files() {
    let import = import_of("asyncapi/services", From::Asyncapi);
    let signed_up = import.events.iter().find(|e| e.name == "UserSignedUp").unwrap();
    assert_eq!(signed_up.from, "user-service");
    assert_eq!(signed_up.version.as_deref(), Some("2.1.0"));
    // The fields come from the shared message file, with positions in it.
    let email = signed_up.fields.iter().find(|f| f.name == "email").unwrap();
    assert_eq!((email.ty, email.required), ("email", true));
    assert!(import.sources[email.origin.file].name.ends_with("messages/user-signed-up.yaml"));
    let price = signed_up.fields.iter().find(|f| f.name == "plan.price").unwrap();
    assert_eq!(price.ty, "money");
    assert_eq!(import.flows.len(), 2);
    assert!(import.flows.iter().all(|f| f.via.as_deref() == Some("rabbit")));
}

#[test]
fn operations_may_name_their_system() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("broker.yaml");
    std::fs::write(
        &doc,
        "asyncapi: 3.0.0\ninfo: {title: all, version: '1'}\nservers: {mq: {host: h, protocol: amqp}}\n\
         channels:\n  c: {address: c, messages: {m: {name: m, payload: {type: object}}}}\n\
         operations:\n  s: {action: send, x-wireplan-system: shop, channel: {$ref: '#/channels/c'}}\n  \
         r: {action: receive, x-wireplan-system: crm, channel: {$ref: '#/channels/c'}}\n  \
         f: {action: receive, x-wireplan-flow: sync, x-wireplan-targets: [{system: erp, action: upsert, entity: order}, \
         {system: mail}], channel: {$ref: '#/channels/c'}}\n",
    )
    .unwrap();
    let (root, files, _) = read_sources(&doc, None).unwrap();
    let import = import(&root, &files, From::Asyncapi, dir.path());
    assert_eq!(import.events[0].from, "shop");
    assert_eq!(import.flows[0].targets[0].system, "crm");
    let sync = &import.flows[1];
    assert_eq!(sync.name, "sync");
    let targets: Vec<(&str, &str, Option<&str>)> =
        sync.targets.iter().map(|t| (t.system.as_str(), t.action, t.entity.as_deref())).collect();
    assert_eq!(targets, [("erp", "upsert", Some("order")), ("mail", "send", None)]);
}

#[test]
fn recursive_payloads_are_refused_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("tree.yaml");
    std::fs::write(
        &doc,
        "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n  c:\n    address: c\n    messages:\n      m:\n        \
         name: m\n        payload: {$ref: '#/components/schemas/Node'}\ncomponents:\n  schemas:\n    Node:\n      \
         type: object\n      properties:\n        value: {type: string}\n        child: {$ref: '#/components/schemas/Node'}\n",
    )
    .unwrap();
    let (root, files, _) = read_sources(&doc, None).unwrap();
    let import = import(&root, &files, From::Asyncapi, dir.path());
    assert!(import.problems.iter().any(|(_, p)| p.message.contains("refers back to itself")), "{:?}", import.problems);
    assert_eq!(import.events[0].fields.len(), 1);
}

#[test]
fn the_format_is_detected_from_the_content() {
    for (rel, from) in [
        ("asyncapi/streetlights-3.0.yaml", From::Asyncapi),
        ("asyncapi/services/email-service.json", From::Asyncapi),
        ("node-red/flows.json", From::NodeRed),
        ("n8n/workflow.json", From::N8n),
        ("make/blueprint.json", From::Make),
        ("eventcatalog", From::Eventcatalog),
        ("eventcatalog-channels", From::Eventcatalog),
    ] {
        assert_eq!(read_sources(&fixture(rel), None).unwrap().2, from, "{rel}");
    }
}

#[test]
fn writes_and_reads_are_told_apart() {
    for (verb, action) in [
        ("createContact", Some("create")),
        ("ActionUpdateRecords", Some("update")),
        ("createOrUpdate", Some("upsert")),
        ("addRow", Some("append")),
        ("delete", Some("delete")),
        ("post", Some("send")),
        ("ActionGetRecord", None),
        ("WatchOrders", None),
        ("search", None),
    ] {
        assert_eq!(write_action(verb), action, "{verb}");
    }
    assert_eq!(app_system("googleSheets").0, "google-sheets");
    assert_eq!(app_system("quickbooks"), ("quickbooks-online".into(), "accounting", true));
    assert_eq!(app_system("hubspotcrm").0, "hubspot");
    assert_eq!(app_system("myOwnApi"), ("my-own-api".into(), "custom", false));
}

/// Mutated fixtures through import and check: no input may panic, and
/// every finding must point inside its file and carry a help.
#[test]
fn mutated_documents_never_panic() {
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }
    }
    const PIECES: &[&str] = &[
        "$ref: '#/'",
        "$ref: '#/components'",
        "$ref: '../../x.yaml'",
        "{$ref: '#/channels'}",
        "&a ",
        "*a",
        "[",
        "]",
        "{",
        "}",
        "\"",
        "'",
        ":",
        ": ",
        "\n",
        "\t",
        "- ",
        "é",
        "\u{202e}",
        "\u{0}",
        "~",
        "null",
        "1e999",
        "!!binary ",
        "? ",
        "---\n",
        "asyncapi: 2.6.0",
        "action: receive",
        "type: object",
        "properties: {a: {$ref: '#'}}",
        "\"wires\": [[\"x\"]]",
        "\"type\": \"http in\"",
    ];
    let dir = tempfile::tempdir().unwrap();
    let seeds: Vec<(String, From)> = [
        ("asyncapi/streetlights-3.0.yaml", From::Asyncapi),
        ("asyncapi/streetlights-2.6.yaml", From::Asyncapi),
        ("asyncapi/services/email-service.json", From::Asyncapi),
        ("node-red/flows.json", From::NodeRed),
        ("n8n/workflow.json", From::N8n),
        ("make/blueprint.json", From::Make),
    ]
    .iter()
    .map(|(rel, from)| (std::fs::read_to_string(fixture(rel)).unwrap(), *from))
    .collect();
    let cases: usize = std::env::var("WIREPLAN_ROBUSTNESS_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(300);
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for case in 0..cases {
        let (seed, from) = &seeds[case % seeds.len()];
        let mut text = seed.clone();
        for _ in 0..1 + rng.below(4) {
            let mut at = rng.below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            if rng.below(2) == 0 {
                text.insert_str(at, PIECES[rng.below(PIECES.len())]);
            } else {
                let mut end = (at + 1 + rng.below(60)).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.replace_range(at..end, "");
            }
        }
        let path = dir.path().join(format!("case-{case}.yaml"));
        std::fs::write(&path, &text).unwrap();
        let imported = import(dir.path(), std::slice::from_ref(&path), *from, dir.path());
        let written = spec::write(&imported, from.name());
        assert!(crate::syntax::parse(&written.text).errors.is_empty(), "case {case}: the spec does not parse\n{text}");
        let checked = check_import(imported, *from, dir.path(), &crate::lint::CliLevels::default());
        for d in &checked.diagnostics {
            let len = checked.sources.get(d.primary.loc.file).text.len() as u32;
            assert!(d.primary.loc.span.end <= len, "case {case}: {} past the end\n{text}", d.message);
            assert!(!d.help.is_empty(), "case {case}: {} has no help", d.rule.name);
        }
        let report =
            crate::render::Report { sources: &checked.sources, diagnostics: &checked.diagnostics, identities: &[] };
        std::hint::black_box(crate::render::human::render(
            &report,
            crate::render::human::Style { color: false, width: 100 },
        ));
        std::hint::black_box(crate::render::sarif::render(&report));
    }
}

#[test]
fn eventcatalog_services_send_and_receive() {
    let import = import_of("eventcatalog", From::Eventcatalog);
    assert!(import.problems.is_empty(), "{:?}", import.problems);
    let placed = import.events.iter().find(|e| e.name == "OrderPlaced").unwrap();
    assert_eq!((placed.from.as_str(), placed.version.as_deref()), ("Orders Service", Some("1.0.0")));
    let fields: Vec<(&str, &str, bool)> = placed.fields.iter().map(|f| (f.name.as_str(), f.ty, f.required)).collect();
    assert_eq!(
        fields,
        [
            ("orderId", "string", true),
            ("email", "email", true),
            ("total", "float", false),
            ("placedAt", "datetime", false)
        ]
    );
    let command = import.events.iter().find(|e| e.name == "PlaceOrder").unwrap();
    assert_eq!(command.notes, ["an EventCatalog command"]);
    let flows: Vec<(&str, &Trigger, &str)> =
        import.flows.iter().map(|f| (f.name.as_str(), &f.trigger, f.targets[0].system.as_str())).collect();
    assert!(flows.contains(&(
        "Inventory Service receives OrderPlaced",
        &Trigger::On("OrderPlaced".into()),
        "Inventory Service"
    )));
    assert!(import.skipped.iter().any(|s| s.contains("the domain `Orders`")));
}

#[test]
fn eventcatalog_channels_carry_flows_through_their_broker() {
    let import = import_of("eventcatalog-channels", From::Eventcatalog);
    assert!(import.problems.is_empty(), "{:?}", import.problems);
    let kafka = import.systems.iter().find(|s| s.name == "kafka").unwrap();
    assert_eq!((kafka.kind, kafka.api), ("broker", Some("kafka")));
    assert_eq!(import.systems.iter().filter(|s| s.kind == "broker").count(), 1, "HTTP and no protocol are no broker");
    let via = |service: &str| {
        let flow = import.flows.iter().find(|f| f.name == format!("{service} receives OrderPlaced")).unwrap();
        (flow.via.as_deref(), flow.unknown.iter().any(|u| u.starts_with("transport")))
    };
    assert_eq!(via("Payments Service"), (Some("kafka"), false), "`from` names the Kafka channel");
    assert_eq!(via("Shipping Service"), (Some("kafka"), false), "no `from`: the producer's `to` channel");
    assert_eq!(via("Notify Service"), (None, false), "an HTTP channel is point to point, and says so");
    assert_eq!(via("Legacy Service"), (None, true), "a channel without a protocol says nothing");
    assert!(import.mapped.iter().any(|s| s.contains("the channel `notify.webhook` (`http`)")), "{:?}", import.mapped);
    assert!(
        import.skipped.iter().any(|s| s.contains("the channel `legacy.feed`: no protocol")),
        "{:?}",
        import.skipped
    );
}
