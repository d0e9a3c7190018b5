//! The catalog's tests: every entry valid and sourced, overrides merged, bad files refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use serde_json::json;

use super::*;

#[test]
fn the_builtin_catalog_parses_and_finds_entries_by_id() {
    let catalog = builtin().unwrap();
    assert!(catalog.entries().len() >= 30, "{} entries", catalog.entries().len());
    assert_eq!(catalog.get("stripe").unwrap().name, "Stripe");
    assert!(catalog.get("no-such-system").is_none());
    let ids: Vec<&str> = catalog.entries().iter().map(|e| e.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "ids are sorted and unique");
}

#[test]
fn every_file_in_the_folder_is_listed_once_under_its_name() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".json").map(str::to_owned))
        .collect();
    on_disk.sort();
    let listed: Vec<String> = FILES.iter().map(|(id, _)| (*id).to_owned()).collect();
    assert_eq!(listed, on_disk, "FILES lists each catalog/*.json once, in order");
}

#[test]
fn an_entry_whose_id_is_not_its_file_name_or_listed_twice_is_refused() {
    let stripe = FILES.iter().find(|(id, _)| *id == "stripe").unwrap().1;
    let err = Catalog::parse(&[("paypal", stripe)]).unwrap_err();
    assert!(err.contains("not the file's name"), "{err}");
    let err = Catalog::parse(&[("stripe", stripe), ("stripe", stripe)]).unwrap_err();
    assert!(err.contains("listed twice"), "{err}");
    let err = Catalog::parse(&[("stripe", "{\"id\": \"stripe\"}")]).unwrap_err();
    assert!(err.starts_with("catalog/stripe.json:"), "{err}");
}

#[test]
fn every_duration_in_the_catalog_parses() {
    fn walk(value: &Value, path: &str, bad: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    let here = format!("{path}.{key}");
                    let is_duration = matches!(
                        key.as_str(),
                        "retry_window"
                            | "timeout"
                            | "tolerance"
                            | "token_lifetime"
                            | "refresh_token_lifetime"
                            | "per"
                            | "window"
                            | "support_window"
                    );
                    match value {
                        Value::String(text) if is_duration => {
                            if humantime::parse_duration(text).is_err() {
                                bad.push(format!("{here}: `{text}`"));
                            }
                        }
                        _ => walk(value, &here, bad),
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), bad);
                }
            }
            _ => {}
        }
    }
    let mut bad = Vec::new();
    for (id, text) in FILES {
        walk(&serde_json::from_str(text).unwrap(), id, &mut bad);
    }
    assert!(bad.is_empty(), "durations humantime cannot read:\n{}", bad.join("\n"));
}

#[test]
fn an_override_replaces_the_fields_it_names_and_keeps_the_rest() {
    let stripe = builtin().unwrap().get("stripe").unwrap();
    let overlay = json!({
        "name": "Stripe (EU account)",
        "rate_limits": {
            "plan": "raised by support",
            "limits": [{"requests": 500, "per": "1s", "scope": "account"}],
            "source": "https://example.com/our-contract",
            "read": "2026-12-01"
        },
        "webhooks": {"ordering": "unknown"}
    });
    let merged = merge(stripe, &overlay).unwrap();
    assert_eq!(merged.name, "Stripe (EU account)");
    let limits = merged.rate_limits.fact().unwrap();
    assert_eq!(limits.limits[0].requests, 500);
    // The replaced fact is whole: it keeps nothing of the built-in one.
    assert_eq!(limits.note, None);
    assert_eq!(limits.provenance.source, "https://example.com/our-contract");
    assert_eq!(merged.webhooks.ordering, Known::Unknown(Unknown::Unknown));
    // What the overlay does not name is the built-in's.
    assert_eq!(merged.webhooks.signature, stripe.webhooks.signature);
    assert_eq!(merged.idempotency, stripe.idempotency);
}

#[test]
fn an_override_that_breaks_the_entry_is_an_error_not_a_panic() {
    let stripe = builtin().unwrap().get("stripe").unwrap();
    // A fact without its source is no fact, and a partial one does not
    // borrow the built-in's.
    let err = merge(stripe, &json!({"idempotency": {"support": "none", "read": "2026-12-01"}})).unwrap_err();
    assert!(err.starts_with("stripe:"), "{err}");
    assert!(merge(stripe, &json!({"id": "paypal"})).unwrap_err().contains("cannot change the id"));
    assert!(merge(stripe, &json!({"auth": {"kinds": "basic"}})).is_err());
    assert!(merge(stripe, &json!({"webhooks": null})).is_err());
    assert!(merge(stripe, &json!("not an object")).is_err());
    let err = merge(stripe, &json!({"versioning": {"scheme": "dated", "pinned_by": "url", "source": "https://x.example", "read": "2026-12-01", "extra": 1}})).unwrap_err();
    assert!(err.contains("extra"), "unknown fields of a fact are refused: {err}");
}

#[test]
fn months_come_from_days_and_dates_and_read_back() {
    assert_eq!(month_of_day(0).to_string(), "1970-01");
    assert_eq!(month_of_day(20_791).to_string(), "2026-12");
    assert_eq!(month_of_day(11_016).to_string(), "2000-02");
    assert_eq!(month_of_day(-1).to_string(), "1969-12");
    assert_eq!(Month::parse_prefix("2026-12-04"), Month::new(2026, 12));
    assert_eq!(Month::parse_prefix("2026-12").map(|m| m.name()), Some("December 2026".to_owned()));
    for bad in ["", "2026", "2026-1", "2026/12", "２０２６-12", "2026-00", "-026-12"] {
        assert_eq!(Month::parse_prefix(bad), None, "{bad:?}");
    }
    // A window of any size saturates rather than overflows.
    let january = Month::new(2026, 1).unwrap();
    assert!(january.plus(i64::MAX) > january && january.plus(i64::MAX).until(january) < 0);
}

#[test]
fn a_project_file_overrides_entries_and_adds_whole_new_ones() {
    let base = builtin().unwrap();
    let stripe = serde_json::to_value(base.get("stripe").unwrap()).unwrap();
    let mut ours = stripe.clone();
    ours["id"] = json!("our-pay");
    ours["name"] = json!("Our payments");
    let text = json!([{"id": "stripe", "name": "Stripe (EU)"}, ours]).to_string();
    let project = base.with_project(&text).unwrap();
    assert_eq!(project.get("stripe").unwrap().name, "Stripe (EU)");
    assert_eq!(project.get("our-pay").unwrap().name, "Our payments");
    assert_eq!(project.entries().len(), base.entries().len() + 1);
    // Still sorted, so lookups still find every entry.
    assert!(project.entries().iter().all(|e| project.get(&e.id).is_some()));
    for bad in [
        "{}".to_owned(),
        "[{}]".to_owned(),
        json!([{"id": "new-one", "name": "half an entry"}]).to_string(),
        json!([{"id": "stripe", "auth": "bearer"}]).to_string(),
        {
            let mut upper = stripe.clone();
            upper["id"] = json!("Our_Pay");
            json!([upper]).to_string()
        },
    ] {
        assert!(base.with_project(&bad).is_err(), "{bad}");
    }
}

#[test]
fn the_schema_is_fresh() {
    crate::render::assert_schema_fresh("catalog.schema.json", &crate::render::schema_of::<Entry>());
}
