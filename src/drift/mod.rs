//! Drift: is what runs what the spec says? `wireplan drift` compares what
//! `build` would emit with what a deployment holds, and `wireplan deploy`
//! applies the difference.
//!
//! Every deployment source has the same seam: what the spec declares and
//! what is deployed are both normalised into `Item`s, comparable values
//! keyed by kind and name, and one comparison (`compare`) turns the two
//! lists into findings: missing (declared, not deployed), extra (deployed,
//! not declared) and changed (each path whose values differ, with both
//! values), each declared one with the place in the spec it comes from. A
//! source is a file here that says how to read both sides: `broker`
//! (RabbitMQ's management HTTP API against the emitted definitions), `hub`
//! (Node-RED's admin HTTP API against the emitted flows, by their stable
//! node ids) and `etl` (the dbt project's `manifest.json` against the
//! warehouse's catalog). A source reads the emitted files in memory: it
//! never re-implements an emitter. `ignore` reads the committed list of
//! accepted differences, `render` prints the findings, and `http` is the
//! one network client (plain HTTP, bounded in time and size).
//!
//! The comparison is linear in the two lists (one ordered map each) and its
//! output is sorted by kind, name and path, so it is byte-identical from run
//! to run. A missing item whose parent is missing too (the bindings of a
//! deleted queue, the nodes of a deleted tab) is told under its parent's
//! finding rather than on its own: one deletion is one finding.

pub(crate) mod broker;
pub(crate) mod etl;
#[cfg(test)]
mod hostile_tests;
pub(crate) mod http;
pub(crate) mod hub;
pub(crate) mod ignore;
pub(crate) mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::Loc;

/// One comparable thing: a queue, a policy, a Node-RED node, a dbt model.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Item {
    /// What it is, in the source's words (`queue`, `binding`, `node`).
    pub(crate) kind: &'static str,
    /// Its key within its kind (a queue's name, a node's id).
    pub(crate) name: String,
    /// A short description for people, when the name alone says little (a
    /// node's type and label); empty otherwise.
    pub(crate) title: String,
    /// What is compared: every path in it.
    pub(crate) value: Value,
    /// Where the spec declares it (declared items).
    pub(crate) place: Option<Loc>,
    /// What it cannot exist without, as (kind, name): a binding's queue, a
    /// node's tab.
    pub(crate) parents: Vec<(&'static str, String)>,
}

impl Item {
    pub(crate) fn new(kind: &'static str, name: impl Into<String>, value: Value) -> Item {
        Item { kind, name: name.into(), title: String::new(), value, place: None, parents: Vec::new() }
    }
}

/// Why a source could not be compared: exit 2, nothing concluded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Failure(pub(crate) String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A deployment: where it is (for the report) and how to read it.
pub(crate) trait Source {
    /// Where the deployment is, as it may be printed (no credentials).
    fn location(&self) -> String;
    /// What is deployed, normalised as the declared items are.
    fn fetch(&self) -> Result<Vec<Item>, Failure>;
}

/// What a finding says about an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Change {
    /// Declared, not deployed.
    Missing,
    /// Deployed, not declared.
    Extra,
    /// Deployed with other values.
    Changed,
}

impl Change {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Change::Missing => "missing",
            Change::Extra => "extra",
            Change::Changed => "changed",
        }
    }
}

/// One path whose values differ.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Difference {
    /// Dotted, with `[i]` for array elements; empty for the whole value.
    pub(crate) path: String,
    pub(crate) declared: Option<Value>,
    pub(crate) deployed: Option<Value>,
}

/// One item that drifted.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Finding {
    pub(crate) change: Change,
    pub(crate) item: Item,
    /// For `Changed`: each path that differs.
    pub(crate) differences: Vec<Difference>,
    /// Missing items that went with this one (its children), as "kind name".
    pub(crate) with: Vec<Item>,
}

/// The comparison's result.
#[derive(Debug, Default)]
pub(crate) struct Drift {
    /// Sorted by kind, name, then change.
    pub(crate) findings: Vec<Finding>,
    /// How many findings `--ignore` hid.
    pub(crate) ignored: usize,
}

impl Drift {
    pub(crate) fn count(&self, change: Change) -> usize {
        self.findings.iter().filter(|f| f.change == change).count()
    }
}

/// The one comparison: declared against deployed, by (kind, name). An item
/// named twice on one side counts once (the first).
pub(crate) fn compare(declared: &[Item], deployed: &[Item], ignore: &ignore::Ignore) -> Drift {
    let (want, have) = (index(declared), index(deployed));
    let mut findings = Vec::new();
    for (key, item) in &want {
        match have.get(key) {
            None => findings.push(Finding {
                change: Change::Missing,
                item: (*item).clone(),
                differences: Vec::new(),
                with: Vec::new(),
            }),
            Some(deployed) => {
                let mut differences = Vec::new();
                diff_values(&mut String::new(), &item.value, &deployed.value, &mut differences);
                if !differences.is_empty() {
                    findings.push(Finding {
                        change: Change::Changed,
                        item: (*item).clone(),
                        differences,
                        with: Vec::new(),
                    });
                }
            }
        }
    }
    for (key, item) in &have {
        if !want.contains_key(key) {
            findings.push(Finding {
                change: Change::Extra,
                item: (*item).clone(),
                differences: Vec::new(),
                with: Vec::new(),
            });
        }
    }
    findings.sort_by(|a, b| (a.item.kind, &a.item.name, a.change).cmp(&(b.item.kind, &b.item.name, b.change)));
    let before = findings.len();
    findings.retain(|f| !ignore.hides(f.item.kind, &f.item.name));
    let ignored = before - findings.len();
    Drift { findings: fold_children(findings), ignored }
}

/// The items by (kind, name), the first of each.
fn index(items: &[Item]) -> BTreeMap<(&str, &str), &Item> {
    let mut map: BTreeMap<(&str, &str), &Item> = BTreeMap::new();
    for item in items {
        map.entry((item.kind, item.name.as_str())).or_insert(item);
    }
    map
}

/// Moves each missing item whose parent is missing too under the finding
/// of its topmost missing ancestor (parents are followed in order, at most
/// `MAX_DEPTH` steps, so a cycle of parents cannot loop).
fn fold_children(findings: Vec<Finding>) -> Vec<Finding> {
    const MAX_DEPTH: usize = 16;
    let parents: BTreeMap<(&'static str, String), Vec<(&'static str, String)>> = findings
        .iter()
        .filter(|f| f.change == Change::Missing)
        .map(|f| ((f.item.kind, f.item.name.clone()), f.item.parents.clone()))
        .collect();
    let missing_parent =
        |key: &(&'static str, String)| parents.get(key).and_then(|ps| ps.iter().find(|p| parents.contains_key(*p)));
    let mut kept: Vec<Finding> = Vec::new();
    let mut children: BTreeMap<(&'static str, String), Vec<Item>> = BTreeMap::new();
    for finding in findings {
        let mut root = None;
        if finding.change == Change::Missing {
            let mut at = (finding.item.kind, finding.item.name.clone());
            for _ in 0..MAX_DEPTH {
                match missing_parent(&at) {
                    Some(parent) if *parent != (finding.item.kind, finding.item.name.clone()) => {
                        at = parent.clone();
                        root = Some(at.clone());
                    }
                    _ => break,
                }
            }
        }
        match root {
            Some(root) => children.entry(root).or_default().push(finding.item),
            None => kept.push(finding),
        }
    }
    for finding in &mut kept {
        if let Some(with) = children.remove(&(finding.item.kind, finding.item.name.clone())) {
            finding.with = with;
        }
    }
    // What is left had a cycle of parents: it is reported on its own.
    for (_, items) in children {
        for item in items {
            kept.push(Finding { change: Change::Missing, item, differences: Vec::new(), with: Vec::new() });
        }
    }
    kept.sort_by(|a, b| (a.item.kind, &a.item.name, a.change).cmp(&(b.item.kind, &b.item.name, b.change)));
    kept
}

/// Every path where `declared` and `deployed` differ. Objects are compared
/// key by key (sorted), arrays element by element when their lengths agree
/// (else as a whole); depth is bounded by serde_json's parser (128).
fn diff_values(path: &mut String, declared: &Value, deployed: &Value, out: &mut Vec<Difference>) {
    match (declared, deployed) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff_values(path, x, y, out),
                    (x, y) => out.push(Difference { path: path.clone(), declared: x.cloned(), deployed: y.cloned() }),
                }
                path.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                diff_values(path, x, y, out);
                path.truncate(len);
            }
        }
        (a, b) if numbers_equal(a, b) || a == b => {}
        (a, b) => out.push(Difference { path: path.clone(), declared: Some(a.clone()), deployed: Some(b.clone()) }),
    }
}

/// `7` and `7.0` are one value to an API that re-serialises numbers.
fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => a.is_number() && b.is_number() && x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Change, Item, compare, ignore::Ignore};

    fn item(kind: &'static str, name: &str, value: serde_json::Value) -> Item {
        Item::new(kind, name, value)
    }

    #[test]
    fn missing_extra_and_changed_with_paths() {
        let declared = vec![
            item("queue", "a", json!({"durable": true, "arguments": {"x-queue-type": "quorum"}})),
            item("queue", "b", json!({"durable": true})),
            item("policy", "a", json!({"definition": {"delivery-limit": 7}, "priority": 0})),
        ];
        let deployed = vec![
            item("queue", "a", json!({"durable": true, "arguments": {"x-queue-type": "quorum"}})),
            item("queue", "c", json!({"durable": true})),
            item("policy", "a", json!({"definition": {"delivery-limit": 20}, "priority": 0.0})),
        ];
        let drift = compare(&declared, &deployed, &Ignore::default());
        let summary: Vec<(Change, &str, &str)> =
            drift.findings.iter().map(|f| (f.change, f.item.kind, f.item.name.as_str())).collect();
        assert_eq!(
            summary,
            [(Change::Changed, "policy", "a"), (Change::Missing, "queue", "b"), (Change::Extra, "queue", "c")]
        );
        let changed = &drift.findings[0].differences;
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(changed[0].path, "definition.delivery-limit");
        assert_eq!((changed[0].declared.clone(), changed[0].deployed.clone()), (Some(json!(7)), Some(json!(20))));
    }

    #[test]
    fn nothing_differs_when_equal_and_keys_missing_on_one_side_are_changes() {
        let a = vec![item("node", "1", json!({"url": "http://a", "wires": [["2"]]}))];
        assert!(compare(&a, &a, &Ignore::default()).findings.is_empty());
        let b = vec![item("node", "1", json!({"wires": [["3"]], "x": 1}))];
        let drift = compare(&a, &b, &Ignore::default());
        let paths: Vec<&str> = drift.findings[0].differences.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["url", "wires[0][0]", "x"]);
    }

    #[test]
    fn a_missing_parent_carries_its_missing_children() {
        let mut binding = item("binding", "x -> q", json!({}));
        binding.parents = vec![("exchange", "x".into()), ("queue", "q".into())];
        let declared = vec![item("queue", "q", json!({})), item("exchange", "x", json!({})), binding];
        let deployed = vec![item("exchange", "x", json!({}))];
        let drift = compare(&declared, &deployed, &Ignore::default());
        assert_eq!(drift.findings.len(), 1);
        assert_eq!(drift.findings[0].item.name, "q");
        assert_eq!(drift.findings[0].with[0].name, "x -> q");
    }

    #[test]
    fn grandchildren_go_to_the_topmost_missing_ancestor_and_cycles_end() {
        let mut queue = item("queue", "q", json!({}));
        queue.parents = vec![("vhost", "v".into())];
        let mut binding = item("binding", "b", json!({}));
        binding.parents = vec![("queue", "q".into())];
        let drift = compare(&[binding, queue, item("vhost", "v", json!({}))], &[], &Ignore::default());
        assert_eq!(drift.findings.len(), 1);
        let with: Vec<&str> = drift.findings[0].with.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(with, ["b", "q"]);
        let mut a = item("node", "a", json!({}));
        a.parents = vec![("node", "b".into())];
        let mut b = item("node", "b", json!({}));
        b.parents = vec![("node", "a".into())];
        let drift = compare(&[a, b], &[], &Ignore::default());
        assert_eq!(drift.findings.len(), 2);
    }

    #[test]
    fn ignored_findings_are_counted_not_shown() {
        let ignore = Ignore::parse("# accepted\nqueue legacy-*\n").unwrap();
        let deployed = vec![item("queue", "legacy-1", json!({})), item("queue", "new", json!({}))];
        let drift = compare(&[], &deployed, &ignore);
        assert_eq!(drift.ignored, 1);
        assert_eq!(drift.findings.len(), 1);
    }

    #[test]
    fn linear_on_many_items() {
        let declared: Vec<Item> = (0..50_000).map(|i| item("queue", &format!("q{i}"), json!({"n": i}))).collect();
        let deployed: Vec<Item> =
            (0..50_000).map(|i| item("queue", &format!("q{i}"), json!({"n": i + (i % 2)}))).collect();
        let started = std::time::Instant::now();
        let drift = compare(&declared, &deployed, &Ignore::default());
        assert_eq!(drift.count(Change::Changed), 25_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
