//! The official KDL compliance suite, run against our parser.
//!
//! The suite ships inside the kdl crate's package (`tests/test_cases`), which
//! is located with `cargo metadata` rather than a home-directory path. Each
//! input either has an `expected_kdl` file, and must then parse without
//! errors to the same document, or has none (its name usually ends in
//! `_fail`), and must then be rejected. Expected files are canonical KDL; they
//! are read with the kdl crate (through the test-only backend) and both sides
//! are compared as a normalised dump: no spans, duplicate properties removed
//! keeping the rightmost, properties sorted, empty children blocks dropped.
//! Every input, valid or not, must also print back exactly from its tree.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is a failure report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::owned::{Document, Node, parse};
use super::{Value, kdl_backend, parse_tree};

/// The directory of the compliance suite in the kdl crate's package, found
/// once per test run.
///
/// `cargo metadata` is asked for the host platform only: without
/// `--filter-platform` it wants the packages of every platform in the cache
/// (Windows-only crates included), which `cargo test` never downloads, so it
/// failed offline on a fresh cache. A failure is one line that says what to
/// do, not a backtrace per test.
pub(super) fn suite_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    match DIR.get_or_init(find_suite_dir) {
        Ok(dir) => dir.clone(),
        Err(why) => panic!("the KDL compliance suite was not found: {why}"),
    }
}

fn find_suite_dir() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let host = host_triple(&cargo)?;
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let output = std::process::Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host, "--manifest-path"])
        .arg(&manifest)
        .output()
        .map_err(|e| format!("`{cargo} metadata` did not start: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(format!("`cargo metadata --offline` failed ({last}); run `cargo fetch --locked` and retry"));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("`cargo metadata` printed no JSON: {e}"))?;
    let manifest_path = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "kdl" && p["version"].as_str().is_some_and(|v| v.starts_with("6.")))
        .and_then(|kdl| kdl["manifest_path"].as_str())
        .ok_or("the kdl 6.x dev-dependency is not in `cargo metadata`")?;
    let dir = Path::new(manifest_path).parent().unwrap_or(Path::new("")).join("tests").join("test_cases");
    if dir.join("input").is_dir() { Ok(dir) } else { Err(format!("{} has no `input` folder", dir.display())) }
}

/// The platform cargo builds for here, from `rustc -vV`.
fn host_triple(cargo: &str) -> Result<String, String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = std::process::Command::new(&rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("`{rustc} -vV` did not start (cargo is `{cargo}`): {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| format!("`{rustc} -vV` printed no host line"))
}

/// Every suite input as (file name, text, expected text if it must parse).
pub(super) fn suite_cases() -> Vec<(String, String, Option<String>)> {
    let dir = suite_dir();
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(dir.join("input")).expect("suite inputs") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().expect("file name").to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("suite input is UTF-8");
        let expected = std::fs::read_to_string(dir.join("expected_kdl").join(&name)).ok();
        cases.push((name, text, expected));
    }
    cases.sort();
    cases
}

/// A canonical, span-free rendering of a document for comparisons.
pub(super) fn dump(doc: &Document) -> String {
    let mut out = String::new();
    dump_nodes(&doc.nodes, 0, &mut out);
    out
}

fn dump_nodes(nodes: &[Node], depth: usize, out: &mut String) {
    for node in nodes {
        out.push_str(&"    ".repeat(depth));
        if let Some(ty) = &node.ty {
            out.push_str(&format!("({:?})", ty.text));
        }
        out.push_str(&format!("{:?}", node.name.text));
        let mut props: BTreeMap<&str, String> = BTreeMap::new();
        for entry in &node.entries {
            let ty = entry.ty.as_ref().map(|t| format!("({:?})", t.text)).unwrap_or_default();
            let value = dump_value(&entry.value);
            match &entry.key {
                // Later properties replace earlier ones with the same key.
                Some(key) => {
                    props.insert(&key.text, format!("{ty}{value}"));
                }
                None => out.push_str(&format!(" {ty}{value}")),
            }
        }
        for (key, value) in props {
            out.push_str(&format!(" {key:?}={value}"));
        }
        out.push('\n');
        if let Some(children) = &node.children {
            dump_nodes(&children.nodes, depth + 1, out);
        }
    }
}

fn dump_value(value: &Value) -> String {
    match value {
        Value::Float(x) => format!("float:{x:?}"),
        Value::Integer(n) => format!("int:{n}"),
        other => other.to_string(),
    }
}

/// Inputs the kdl crate accepts although the suite (no expected file) says
/// they must be rejected. Our parser follows the suite; only the differential
/// tests need this list.
pub(super) const KDL_CRATE_WRONGLY_ACCEPTS: [&str; 3] =
    ["hex.kdl", "multiline_raw_string_single_line_err_fail.kdl", "unicode_delete_fail.kdl"];

#[test]
fn compliance_suite_passes() {
    let cases = suite_cases();
    assert!(cases.len() >= 300, "expected the full suite, found {} inputs", cases.len());
    let mut failures = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for (name, text, expected) in &cases {
        let parsed = parse(text);
        match expected {
            Some(expected) => {
                valid += 1;
                let reference = kdl_backend::parse(expected);
                assert!(
                    reference.errors.is_empty(),
                    "{name}: the expected file does not parse: {:?}",
                    reference.errors
                );
                if !parsed.errors.is_empty() {
                    failures.push(format!("{name}: rejected a valid input: {:?}", parsed.errors));
                    continue;
                }
                let (ours, theirs) = (dump(&parsed.document), dump(&reference.document));
                if ours != theirs {
                    failures.push(format!("{name}: documents differ\n--- ours\n{ours}--- expected\n{theirs}"));
                }
            }
            None => {
                invalid += 1;
                if parsed.errors.is_empty() {
                    failures.push(format!("{name}: accepted an invalid input:\n{text}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} suite cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    eprintln!("compliance suite: {valid} valid and {invalid} invalid inputs, all as expected");
}

#[test]
fn every_suite_input_round_trips_through_the_tree() {
    for (name, text, _) in suite_cases() {
        let (tree, _) = parse_tree(&text);
        assert_eq!(tree.print(), text, "{name}");
        assert_tree_is_well_formed(&tree, &name);
    }
}

/// Checks the arena's invariants: nodes in preorder, token ranges nested in
/// their parent's and in order among siblings.
pub(super) fn assert_tree_is_well_formed(tree: &super::SyntaxTree<'_>, name: &str) {
    let root = tree.nodes[0];
    assert_eq!(root.first_token, 0, "{name}");
    assert_eq!(root.end_token as usize, tree.tokens.len(), "{name}");
    assert_eq!(root.subtree_end as usize, tree.nodes.len(), "{name}");
    for (i, n) in tree.nodes.iter().enumerate() {
        assert!(n.first_token <= n.end_token, "{name}: node {i} has a negative range");
        assert!(n.subtree_end as usize > i && n.subtree_end <= root.subtree_end, "{name}: node {i} subtree");
        let mut previous_end = n.first_token;
        for child in tree.child_nodes(i as u32) {
            let c = tree.nodes[child as usize];
            assert!(c.first_token >= previous_end, "{name}: child {child} of {i} overlaps its sibling");
            assert!(c.end_token <= n.end_token, "{name}: child {child} of {i} ends after its parent");
            assert!(c.subtree_end <= n.subtree_end, "{name}: child {child} of {i} subtree");
            previous_end = c.end_token;
        }
    }
}
