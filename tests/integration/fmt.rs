//! `wireplan fmt` end to end: in place over a spec and its includes,
//! `--check` with its diff and exit codes, files with syntax errors left
//! alone, permissions kept, and the examples already formatted.

use std::os::unix::fs::PermissionsExt;

use crate::util::{TempSpec, code, root, run_in, stderr, stdout};

const MESSY_ENTRY: &str = "include \"sales/*.kdl\"\n\n\n\nsystem   \"crm\" kind=crm {  webhooks #true }\n";
const MESSY_SALES: &str = "flow \"f\" { on \"e\"; to crm action=upsert\n  log }\n";
const FORMATTED_ENTRY: &str = "include \"sales/*.kdl\"\n\nsystem \"crm\" kind=crm {\n    webhooks #true\n}\n";
const FORMATTED_SALES: &str = "flow \"f\" {\n    on \"e\"\n    to crm action=upsert\n    log\n}\n";

#[test]
fn check_prints_a_diff_writes_nothing_and_exits_1() {
    let spec = TempSpec::new("fmt-check");
    let entry = spec.file("wireplan.kdl", MESSY_ENTRY);
    let sales = spec.file("sales/leads.kdl", MESSY_SALES);
    let out = spec.run(&["fmt", "--check"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let diff = stdout(&out);
    assert!(diff.contains("--- a/wireplan.kdl\n+++ b/wireplan.kdl\n"), "{diff}");
    assert!(diff.contains("--- a/sales/leads.kdl\n+++ b/sales/leads.kdl\n"), "{diff}");
    assert!(diff.contains("-system   \"crm\" kind=crm {  webhooks #true }\n+system \"crm\" kind=crm {\n"), "{diff}");
    assert!(diff.contains("@@ "), "{diff}");
    assert_eq!(std::fs::read_to_string(&entry).unwrap(), MESSY_ENTRY);
    assert_eq!(std::fs::read_to_string(&sales).unwrap(), MESSY_SALES);
}

#[test]
fn fmt_formats_the_entry_file_and_its_includes_in_place() {
    let spec = TempSpec::new("fmt-write");
    let entry = spec.file("wireplan.kdl", MESSY_ENTRY);
    let sales = spec.file("sales/leads.kdl", MESSY_SALES);
    std::fs::set_permissions(&sales, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = spec.run(&["fmt"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "formatted wireplan.kdl\nformatted sales/leads.kdl\n");
    assert_eq!(std::fs::read_to_string(&entry).unwrap(), FORMATTED_ENTRY);
    assert_eq!(std::fs::read_to_string(&sales).unwrap(), FORMATTED_SALES);
    let mode = std::fs::metadata(&sales).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the file kept its permissions");
    let leftovers: Vec<_> =
        std::fs::read_dir(spec.dir.join("sales")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
    // Formatted now: nothing to do, nothing printed.
    let out = spec.run(&["fmt", "--check"]);
    assert_eq!((code(&out), stdout(&out)), (0, String::new()));
    let out = spec.run(&["fmt"]);
    assert_eq!((code(&out), stdout(&out)), (0, String::new()));
}

#[test]
fn a_file_with_syntax_errors_is_left_alone_and_the_others_are_formatted() {
    let spec = TempSpec::new("fmt-syntax");
    let broken = "system \"crm\" kind= {\n  webhooks #true\n";
    let entry = spec.file("wireplan.kdl", broken);
    let sales = spec.file("sales.kdl", MESSY_SALES);
    std::fs::write(&entry, format!("include \"sales.kdl\"\n{broken}")).unwrap();
    let out = spec.run(&["fmt"]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains("wireplan.kdl:2:") && err.contains("error[syntax]"), "{err}");
    assert!(err.contains("wireplan.kdl: not formatted: fix the syntax errors first"), "{err}");
    assert_eq!(std::fs::read_to_string(&entry).unwrap(), format!("include \"sales.kdl\"\n{broken}"));
    assert_eq!(std::fs::read_to_string(&sales).unwrap(), FORMATTED_SALES);
}

#[test]
fn a_missing_spec_is_a_usage_error() {
    let spec = TempSpec::new("fmt-missing");
    let out = spec.run(&["fmt", "nowhere.kdl"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no such file"), "{}", stderr(&out));
}

#[test]
fn the_examples_pass_fmt_check() {
    for example in ["small-shop", "growing-agency", "high-volume-retail", "acme-outdoor"] {
        let out = run_in(&root().join("examples"), &["fmt", "--check", example]);
        assert_eq!(code(&out), 0, "{example} is not formatted:\n{}{}", stdout(&out), stderr(&out));
    }
}
