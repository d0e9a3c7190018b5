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
//! so in its title. The place of a model is the flow or system its emitted
//! file names in its header line.

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
        let header = String::from_utf8_lossy(&artifact.bytes);
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

/// A warehouse as its dbt catalog describes it.
pub(crate) struct Catalog {
    pub(crate) catalog: Value,
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
        let c = Catalog { catalog: json!([1]), shown: "x".into() };
        assert!(c.fetch().is_err());
    }
}
