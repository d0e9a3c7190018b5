//! `wireplan check --fix`, `--unsafe-fixes` and `--diff` end to end, on
//! temporary copies: the examples' fixable findings fixed and a second run
//! fixing nothing, `--diff` writing nothing, fixes in included files and
//! never in files the spec does not load, and the exit codes.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::{TempSpec, code, root, stderr, stdout};

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn copy_of(example: &Path, name: &str) -> TempSpec {
    let spec = TempSpec::new(name);
    for (rel, bytes) in tree(example) {
        spec.file(&rel, bytes);
    }
    spec
}

fn findings_with_fixes(spec: &TempSpec) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(&stdout(&spec.run(&["check", "--format", "json"]))).unwrap();
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d.get("fixes").is_some())
        .map(|d| format!("{}: {}", d["rule"], d["message"]))
        .collect()
}

#[test]
fn the_examples_fixable_findings_are_fixed_and_a_second_run_fixes_nothing() {
    let mut examples: Vec<_> =
        std::fs::read_dir(root().join("examples")).unwrap().flatten().map(|e| e.path()).collect();
    examples.sort();
    let mut fixed_any = false;
    for example in examples.iter().filter(|e| e.join("wireplan.kdl").is_file()) {
        let name = example.file_name().unwrap().to_string_lossy().into_owned();
        let spec = copy_of(example, &format!("fix-example-{name}"));
        let before = tree(&spec.dir);
        let checked = spec.run(&["check"]);
        let out = spec.run(&["check", "--fix", "--unsafe-fixes"]);
        // Exit codes as `check`'s, by what remains: the examples have no errors.
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert_eq!(code(&checked), 0, "{name}");
        let report = stderr(&out);
        fixed_any |= report.starts_with("fixed ") && !report.starts_with("fixed nothing");
        assert!(findings_with_fixes(&spec).is_empty(), "{name}: fixable findings remain: {report}");
        let after = tree(&spec.dir);
        // Only spec files changed, and no temporary file was left.
        assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "{name}");
        for (rel, bytes) in &after {
            if before[rel] != *bytes {
                assert!(rel.ends_with(".kdl"), "{name}: {rel} changed");
            }
        }
        let again = spec.run(&["check", "--fix", "--unsafe-fixes"]);
        assert_eq!(code(&again), 0, "{name}");
        assert!(stderr(&again).starts_with("fixed nothing"), "{name}: {}", stderr(&again));
        assert_eq!(tree(&spec.dir), after, "{name}: the second run changed a file");
    }
    assert!(fixed_any, "no example had a fixable finding: the test proves nothing");
}

const ENTRY: &str = "include \"sales/*.kdl\"\n\nsystem \"crm\" kind=crm\nsystem \"shop\" kind=ecommerce\n\nevent \"order.paid\" from=shop version=1\n";
const SALES: &str =
    "flow \"paid-to-crm\" {\n    on \"order.payd\"\n    to crm action=upsert\n    retry attempts=3\n}\n";
const NOT_INCLUDED: &str = "flow \"stray\" {\n    on \"order.payd\"\n    to crm action=upsert\n}\n";

fn spec_with_an_include(name: &str) -> TempSpec {
    let spec = TempSpec::new(name);
    spec.file("wireplan.kdl", ENTRY);
    spec.file("sales/paid.kdl", SALES);
    spec.file("drafts/stray.kdl", NOT_INCLUDED);
    spec.file("notes.txt", "flow \"x\" {\n    on \"order.payd\"\n}\n");
    spec
}

#[test]
fn fixes_reach_included_files_and_nothing_the_spec_does_not_load() {
    let spec = spec_with_an_include("fix-include");
    let out = spec.run(&["check", "--fix", "--format", "short"]);
    let report = stderr(&out);
    assert!(report.starts_with("fixed 2 findings in 1 file: no-logging 1, unresolved-reference 1"), "{report}");
    assert!(report.contains("1 has a fix that needs review: `--unsafe-fixes` applies them"), "{report}");
    assert_eq!(
        std::fs::read_to_string(spec.dir.join("sales/paid.kdl")).unwrap(),
        "flow \"paid-to-crm\" {\n    on \"order.paid\"\n    to crm action=upsert\n    retry attempts=3\n    log\n}\n"
    );
    // What remains is reported as `check` reports it: a warning, exit 0.
    assert!(stdout(&out).contains("warning[no-dead-letter]"), "{}", stdout(&out));
    assert_eq!(code(&out), 0);
    assert_eq!(std::fs::read_to_string(spec.dir.join("wireplan.kdl")).unwrap(), ENTRY);
    assert_eq!(std::fs::read_to_string(spec.dir.join("drafts/stray.kdl")).unwrap(), NOT_INCLUDED);
    assert_eq!(
        std::fs::read_to_string(spec.dir.join("notes.txt")).unwrap(),
        "flow \"x\" {\n    on \"order.payd\"\n}\n"
    );
    let out = spec.run(&["check", "--fix", "--unsafe-fixes"]);
    assert!(stderr(&out).starts_with("fixed 1 finding in 1 file: no-dead-letter 1"), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(spec.dir.join("sales/paid.kdl")).unwrap().ends_with("    log\n    dead-letter\n}\n")
    );
}

#[test]
fn diff_shows_the_fixes_and_writes_nothing() {
    let spec = spec_with_an_include("fix-diff");
    let before = tree(&spec.dir);
    let out = spec.run(&["check", "--diff", "--unsafe-fixes"]);
    assert_eq!(code(&out), 1, "a diff to apply fails the run, as `fmt --check`: {}", stderr(&out));
    let diff = stdout(&out);
    assert!(diff.starts_with("--- a/sales/paid.kdl\n+++ b/sales/paid.kdl\n"), "{diff}");
    assert!(diff.contains("-    on \"order.payd\"\n+    on \"order.paid\"\n"), "{diff}");
    assert!(diff.contains("+    log\n+    dead-letter\n"), "{diff}");
    assert!(stderr(&out).starts_with("would fix 3 findings in 1 file"), "{}", stderr(&out));
    assert_eq!(tree(&spec.dir), before, "--diff wrote something");
    // Nothing to fix: no diff, and `check`'s own exit code.
    let clean = TempSpec::new("fix-diff-clean");
    clean.file("wireplan.kdl", "system \"crm\" kind=crm\n");
    let out = clean.run(&["check", "--diff"]);
    assert_eq!((code(&out), stdout(&out)), (0, String::new()), "{}", stderr(&out));
}

#[test]
fn fix_exits_by_what_remains_and_unsafe_fixes_needs_fix_or_diff() {
    let spec = TempSpec::new("fix-exit");
    // A misspelt event is fixed; the unknown kind (a spec error) remains.
    spec.file(
        "wireplan.kdl",
        "system \"crm\" kind=crm\nsystem \"x\" kind=nonsense\nevent \"lead.created\" from=crm version=1\nflow \"f\" {\n    on \"lead.create\"\n    to x action=update\n    log\n}\n",
    );
    let out = spec.run(&["check", "--fix"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).starts_with("fixed 1 finding in 1 file: unresolved-reference 1"), "{}", stderr(&out));
    assert!(std::fs::read_to_string(spec.dir.join("wireplan.kdl")).unwrap().contains("on \"lead.created\""));
    let out = spec.run(&["check", "--unsafe-fixes"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--unsafe-fixes goes with --fix or --diff"), "{}", stderr(&out));
}

#[test]
fn a_fix_too_large_to_report_is_still_applied_whole() {
    let spec = TempSpec::new("fix-large");
    let mut text = String::from(
        "system \"shop\" kind=ecommerce\nsystem \"crm\" kind=crm\nevent \"order.paid\" from=shop version=1\n",
    );
    for i in 0..1001 {
        text.push_str(&format!(
            "flow \"f{i}\" {{\n    on \"order.paid\"\n    to crm action=upsert\n    retry\n    dead-letter\n}}\n"
        ));
    }
    spec.file("wireplan.kdl", &text);
    // One finding for the 1,001 flows into `crm`: its fix has 1,001 edits,
    // more than a report writes for one fix (as for findings of a rule).
    let report: serde_json::Value = serde_json::from_str(&stdout(&spec.run(&["check", "--format", "json"]))).unwrap();
    let group: Vec<&serde_json::Value> =
        report["diagnostics"].as_array().unwrap().iter().filter(|d| d["rule"] == "no-logging").collect();
    assert_eq!(group.len(), 1);
    assert!(group[0].get("fixes").is_none(), "{}", group[0]);
    let out = spec.run(&["check", "--fix"]);
    assert!(stderr(&out).starts_with("fixed 1 finding in 1 file: no-logging 1"), "{}", stderr(&out));
    let fixed = std::fs::read_to_string(spec.dir.join("wireplan.kdl")).unwrap();
    assert_eq!(fixed.matches("    dead-letter\n    log\n}\n").count(), 1001);
    assert!(stderr(&spec.run(&["check", "--fix"])).starts_with("fixed nothing"));
}
