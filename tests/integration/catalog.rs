//! The connector catalog's data (`catalog/*.json`): every entry validates
//! against the committed schema, every fact names the public page it comes
//! from and the day it was read, ids are unique and equal the file names, and
//! there are at least 30 systems. A fact without a source is not recorded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

use crate::util::root;

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
