//! The warehouse as a deployment source: the dbt project's `manifest.json`
//! and the warehouse's own catalog against what `build --target etl` emits.
//!
//! dbt writes both files into the project's `target/` folder: `dbt parse`
//! (or any run) the manifest, the project as dbt reads it; `dbt docs
//! generate` the catalog, which dbt reads from the warehouse's information
//! schema: the tables and views that exist, with their columns. So wireplan
//! needs no database driver: the declared items are the models the ETL
//! target emits (one per file under `dbt/models/`) and the sources and
//! their declared columns the manifest lists; the deployed items are the
//! catalog's. A model dropped from the warehouse is `missing`; a model the
//! manifest does not know either (a project not built from this spec) says
//! so in its title. The data tests the target declares on each source
//! column (its emitted `sources.yml`) must still be defined in the project
//! (the manifest's test nodes): a test removed from the project is
//! `missing`, one added by hand `extra`. The place of a model is the flow or
//! system its emitted file names in its header line; a source's and its
//! tests' is the system's.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Failure, Item, Source};
use crate::emit::Emitted;
use crate::model::{Loc, Spec};

/// The declared items: the emitted models, and the manifest's sources with
/// their columns.
pub(crate) fn declared(spec: &Spec, emitted: &Emitted, manifest: &Value) -> Vec<Item> {
    let flows: BTreeMap<&str, Loc> = spec.flows.iter().map(|f| (f.name.value.as_str(), f.name.loc)).collect();
    let systems: BTreeMap<&str, Loc> = spec.systems.iter().map(|s| (s.name.value.as_str(), s.name.loc)).collect();
    let in_manifest: BTreeMap<String, &Value> = nodes(manifest, "nodes", "model.");
    let mut items = Vec::new();
    for artifact in &emitted.artifacts {
        let Some(file) = artifact.path.strip_prefix("dbt/models/") else { continue };
        let Some(model) = file.rsplit('/').next().and_then(|f| f.strip_suffix(".sql")) else { continue };
        let mut item = Item::new("model", model, json!({}));
        let bytes = artifact.bytes();
        let header = String::from_utf8_lossy(&bytes);
        item.place = header.lines().nth(1).and_then(|line| {
            let flow = line.split(", written by the flow ").nth(1).map(|f| f.trim_end_matches('.'));
            let system = line.split(" of ").nth(1).and_then(|s| s.split(':').next());
            flow.and_then(|f| flows.get(f)).or_else(|| system.and_then(|s| systems.get(s))).copied()
        });
        if !in_manifest.contains_key(model) {
            item.title = "not in the dbt project's manifest: is it built from this spec? (`dbt parse`)".into();
        }
        items.push(item);
    }
    let sources_yml = emitted
        .artifacts
        .iter()
        .find(|a| a.path == crate::emit::etl::DBT_SOURCES_PATH)
        .and_then(|a| yaml_to_json(&String::from_utf8_lossy(&a.bytes())))
        .unwrap_or(Value::Null);
    for (source, table, column, test) in declared_tests(&sources_yml) {
        let mut item = Item::new("test", test_name(&source, &table, &column, &test), json!({}));
        item.place = systems.get(source.as_str()).copied();
        item.parents.push(("source", format!("{source}.{table}")));
        items.push(item);
    }
    for (name, source) in nodes(manifest, "sources", "source.") {
        let mut item = Item::new("source", name.clone(), json!({}));
        item.place = source["source_name"].as_str().and_then(|s| systems.get(s)).copied();
        for column in columns(&source["columns"]) {
            let mut c = Item::new("column", format!("{name}.{column}"), json!({}));
            c.place = item.place;
            c.parents.push(("source", name.clone()));
            items.push(c);
        }
        items.push(item);
    }
    items
}

/// The nodes of `section` whose unique id starts with `prefix`, by name
/// (a model's name; a source's `source.table`).
fn nodes<'v>(doc: &'v Value, section: &str, prefix: &str) -> BTreeMap<String, &'v Value> {
    let mut out = BTreeMap::new();
    for (id, node) in doc[section].as_object().into_iter().flatten() {
        let Some(rest) = id.strip_prefix(prefix) else { continue };
        // `model.PROJECT.NAME`, `source.PROJECT.SOURCE.TABLE`.
        let name = match rest.split_once('.') {
            Some((_, name)) => name.to_owned(),
            None => continue,
        };
        out.insert(name, node);
    }
    out
}

/// Column names, lower-case and unquoted (the spec's ETL target quotes
/// them; warehouses fold their case).
fn columns(v: &Value) -> Vec<String> {
    let mut names: Vec<String> = v
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, c)| c["name"].as_str().unwrap_or(key).trim_matches('"').to_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A test's item name: `source.table.column test` (the column lower-case,
/// unquoted; empty for a table's test).
fn test_name(source: &str, table: &str, column: &str, test: &str) -> String {
    let column = column.trim_matches('"').to_lowercase();
    format!("{source}.{table}.{column} {test}")
}

/// The data tests of an emitted `sources.yml` (read as JSON): (source,
/// table, column, test name), the column empty for a table's own tests.
fn declared_tests(doc: &Value) -> Vec<(String, String, String, String)> {
    let list = |v: &Value, key: &str| v[key].as_array().cloned().unwrap_or_default();
    let text = |v: &Value, key: &str| v[key].as_str().unwrap_or_default().to_owned();
    let mut tests = Vec::new();
    for source in list(doc, "sources") {
        for table in list(&source, "tables") {
            let mut push = |column: &str, of: &Value| {
                for test in list(of, "data_tests") {
                    // `- unique`, or `- accepted_values: {..}`.
                    let name = match &test {
                        Value::String(name) => Some(name.clone()),
                        Value::Object(map) => map.keys().next().cloned(),
                        _ => None,
                    };
                    if let Some(name) = name {
                        tests.push((text(&source, "name"), text(&table, "name"), column.to_owned(), name));
                    }
                }
            };
            push("", &table);
            for column in list(&table, "columns") {
                push(&text(&column, "name"), &column);
            }
        }
    }
    tests
}

/// The data tests the manifest defines on sources, by item name.
fn defined_tests(manifest: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for (id, node) in manifest["nodes"].as_object().into_iter().flatten() {
        if !id.starts_with("test.") {
            continue;
        }
        let (Some(test), Some(source)) = (node["test_metadata"]["name"].as_str(), node["sources"][0].as_array()) else {
            continue;
        };
        let (Some(source), Some(table)) =
            (source.first().and_then(Value::as_str), source.get(1).and_then(Value::as_str))
        else {
            continue;
        };
        let column = node["column_name"].as_str().unwrap_or_default();
        names.push(test_name(source, table, column, test));
    }
    names
}

/// A YAML document (the emitted `sources.yml`) as JSON: scalars as
/// strings. `None` when it does not parse. An explicit stack, no recursion.
fn yaml_to_json(text: &str) -> Option<Value> {
    use saphyr_parser::{Event, Parser};
    enum Open {
        Seq(Vec<Value>),
        Map(serde_json::Map<String, Value>, Option<String>),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut root = None;
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, _) = event.ok()?;
        let value = match event {
            Event::Scalar(text, ..) => Value::String(text.to_string()),
            Event::SequenceStart(..) => {
                stack.push(Open::Seq(Vec::new()));
                continue;
            }
            Event::MappingStart(..) => {
                stack.push(Open::Map(serde_json::Map::new(), None));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop()? {
                Open::Seq(items) => Value::Array(items),
                Open::Map(map, _) => Value::Object(map),
            },
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(value),
            Some(Open::Seq(items)) => items.push(value),
            Some(Open::Map(map, key)) => match key.take() {
                Some(k) => {
                    map.insert(k, value);
                }
                None => *key = Some(value.as_str()?.to_owned()),
            },
        }
    }
    root
}

/// A warehouse as its dbt catalog describes it, and the project's tests as
/// its manifest defines them.
pub(crate) struct Catalog {
    pub(crate) catalog: Value,
    pub(crate) manifest: Value,
    /// The catalog file, as it may be printed.
    pub(crate) shown: String,
}

impl Source for Catalog {
    fn location(&self) -> String {
        self.shown.clone()
    }

    fn fetch(&self) -> Result<Vec<Item>, Failure> {
        if !self.catalog.get("nodes").is_some_and(Value::is_object) {
            return Err(Failure(format!("{} is not a dbt catalog (no `nodes` object)", self.shown)));
        }
        let mut items: Vec<Item> = nodes(&self.catalog, "nodes", "model.")
            .into_keys()
            .map(|name| Item::new("model", name, json!({})))
            .collect();
        for (name, source) in nodes(&self.catalog, "sources", "source.") {
            for column in columns(&source["columns"]) {
                items.push(Item::new("column", format!("{name}.{column}"), json!({})));
            }
            items.push(Item::new("source", name, json!({})));
        }
        items.extend(defined_tests(&self.manifest).into_iter().map(|name| Item::new("test", name, json!({}))));
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Catalog, columns, nodes};
    use crate::drift::Source;

    #[test]
    fn names_come_from_unique_ids() {
        let doc = json!({"nodes": {"model.p.stg_a": {}, "test.p.x": {}, "model.bad": {}}, "sources": {"source.p.shop.order": {}}});
        assert_eq!(nodes(&doc, "nodes", "model.").into_keys().collect::<Vec<_>>(), ["stg_a"]);
        assert_eq!(nodes(&doc, "sources", "source.").into_keys().collect::<Vec<_>>(), ["shop.order"]);
        assert_eq!(columns(&json!({"\"A\"": {"name": "\"Order_Id\""}, "b": {}})), ["b", "order_id"]);
    }

    #[test]
    fn a_file_that_is_not_a_catalog_is_a_failure() {
        let c = Catalog { catalog: json!([1]), manifest: json!({}), shown: "x".into() };
        assert!(c.fetch().is_err());
    }

    #[test]
    fn tests_declared_in_yaml_and_defined_in_the_manifest_have_one_name() {
        let yml = r#"version: 2
sources:
  - name: "shop"
    tables:
      - name: "order"
        data_tests:
          - "x"
        columns:
          - name: "\"Id\""
            data_tests:
              - "unique"
              - accepted_values: {values: ["a"]}
"#;
        let doc = super::yaml_to_json(yml).unwrap();
        let names: Vec<String> =
            super::declared_tests(&doc).into_iter().map(|(s, t, c, n)| super::test_name(&s, &t, &c, &n)).collect();
        assert_eq!(names, ["shop.order. x", "shop.order.id unique", "shop.order.id accepted_values"]);
        let manifest = json!({"nodes": {"test.p.u": {"test_metadata": {"name": "unique"}, "column_name": "\"id\"", "sources": [["shop", "order"]]}}});
        assert_eq!(super::defined_tests(&manifest), ["shop.order.id unique"]);
        assert!(super::yaml_to_json("a: [1, 2").is_none());
        assert!(super::yaml_to_json(&"[".repeat(10_000)).is_none());
    }
}
