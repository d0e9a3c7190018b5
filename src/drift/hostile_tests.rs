//! Hostile deployments: whatever JSON an API answers (any shape, any
//! names, control characters and bidi overrides, deep nesting), reading it
//! as each source's items, comparing and rendering in every format never
//! panics, and every format reads back: the JSON and SARIF parse, the text
//! formats hold no raw control character.

use proptest::prelude::*;
use serde_json::Value;

use super::render::{Context, github, human, json, markdown, sarif};
use super::{Item, Source, broker, compare, etl, hub, ignore::Ignore};
use crate::source::SourceMap;

/// Strings with the characters that break outputs.
fn hostile_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("a".to_owned()),
            Just("\u{1b}[31m".to_owned()),
            Just("\u{202e}".to_owned()),
            Just("\n::error::x".to_owned()),
            Just("|`*_<b>".to_owned()),
            Just("\"\\".to_owned()),
            Just("q".to_owned()),
            Just("é\u{0}".to_owned()),
        ],
        0..4,
    )
    .prop_map(|parts| parts.concat())
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        let keys = prop_oneof![
            Just("name".to_owned()),
            Just("id".to_owned()),
            Just("type".to_owned()),
            Just("z".to_owned()),
            Just("queues".to_owned()),
            Just("bindings".to_owned()),
            Just("nodes".to_owned()),
            Just("vhost".to_owned()),
            hostile_string(),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(keys, inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every source's reading of `v`, the comparison of each with a fixed
/// declared list, and every format of it.
fn holds(v: &Value) {
    let mut lists: Vec<Vec<Item>> = Vec::new();
    lists.push(broker::normalize(v, "v").unwrap_or_default());
    lists.push(hub::nodes(v).unwrap_or_default());
    let catalog = etl::Catalog { catalog: v.clone(), manifest: v.clone(), shown: "t".into() };
    lists.push(catalog.fetch().unwrap_or_default());
    let declared = vec![Item::new("queue", "q", serde_json::json!({"a": [1, {"b": 2}]}))];
    let sources = SourceMap::default();
    let cx = Context { target: "broker", deployment: "http://h:1", sources: &sources };
    for deployed in lists {
        let mut deployed = deployed;
        deployed.push(Item::new("queue", "q", v.clone()));
        let drift = compare(&declared, &deployed, &Ignore::default());
        let parsed: Value = serde_json::from_str(&json(&cx, &drift)).expect("JSON reads back");
        assert_eq!(parsed["findings"].as_array().map(Vec::len), Some(drift.findings.len()));
        let _: Value = serde_json::from_str(&sarif(&cx, &drift)).expect("SARIF reads back");
        for text in [human(&cx, &drift), markdown(&cx, &drift), github(&cx, &drift)] {
            assert!(!text.chars().any(|c| c == '\u{1b}' || c == '\u{202e}' || c == '\u{0}'), "{text:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_answer_is_read_compared_and_rendered_without_a_panic(v in value()) {
        holds(&v);
    }
}
