//! `check --fix`'s own application of fixes, in process: every fix on every
//! rule fixture leaves a spec that parses and no longer has its finding; a
//! second run changes nothing; a file that changed since it was read is
//! never written over.

use std::path::{Path, PathBuf};

use super::{FixedFile, fix_in_memory, write_files};
use crate::diagnostic::{EditSet, Resolver};
use crate::lint::CliLevels;

const ENTRY: &str = "/nonexistent-wireplan-fix/wireplan.kdl";

fn check(text: &str) -> crate::Checked {
    let loaded = crate::load::load_text(Path::new(ENTRY), text.to_owned(), Path::new("/"), crate::parse_and_lower);
    crate::check_loaded(loaded, &CliLevels::default())
}

/// Every rule's `fires.kdl`, and the ten-mistakes spec (spec errors).
fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/rules"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("fires.kdl"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.push(root.join("tests/fixtures/check/ten-mistakes.kdl"));
    found
}

fn findings(checked: &crate::Checked) -> Vec<(&'static str, String)> {
    checked.diagnostics.iter().map(|d| (d.rule.name, d.message.clone())).collect()
}

fn syntax_errors(checked: &crate::Checked) -> usize {
    checked.diagnostics.iter().filter(|d| d.rule.name == "syntax").count()
}

#[test]
fn every_fix_on_every_rule_fixture_leaves_a_spec_that_parses_and_settles_its_finding() {
    let mut titles = Vec::new();
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let checked = check(&text);
        let before = findings(&checked);
        let mut resolver = Resolver::new(&checked.sources);
        for d in &checked.diagnostics {
            let Some(fix) = &d.fix else { continue };
            let edits =
                resolver.resolve(fix).unwrap_or_else(|| panic!("{}: `{}` does not apply", path.display(), fix.title));
            let mut set = EditSet::default();
            assert!(set.try_add(edits), "{}: the edits of `{}` clash", path.display(), fix.title);
            let fixed = set.apply(crate::model::FileId(0), &text);
            let after = check(&fixed);
            assert!(
                syntax_errors(&after) <= syntax_errors(&checked),
                "{}: `{}` broke the syntax:\n{fixed}",
                path.display(),
                fix.title
            );
            // The finding is gone (another may take its place: the next
            // flow down a path of duplicates becomes its origin).
            let count =
                |list: &[(&str, String)]| list.iter().filter(|f| f.0 == d.rule.name && f.1 == d.message).count();
            assert!(
                count(&findings(&after)) < count(&before),
                "{}: `{}` did not settle `{}`:\n{fixed}",
                path.display(),
                fix.title,
                d.message
            );
            titles.push(fix.title.clone());
        }
    }
    for wanted in [
        "Add `loop-guard`",
        "Add `dead-letter`",
        "Add `log`",
        "Replace with `lead.created`",
        "Add `retry` and `dead-letter`",
    ] {
        assert!(titles.iter().any(|t| t == wanted), "no `{wanted}` among {titles:?}");
    }
    assert!(titles.iter().any(|t| t.starts_with("Add `idempotency-key")), "{titles:?}");
}

#[test]
fn a_second_run_changes_nothing() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let first = fix_in_memory(check(&text), &CliLevels::default(), true, Path::new("/"));
        assert!(first.stopped.is_none(), "{}: {:?}", path.display(), first.stopped);
        let fixed = first.files[0].fixed.clone();
        let second = fix_in_memory(first.checked, &CliLevels::default(), true, Path::new("/"));
        assert!(second.applied.is_empty(), "{}: a second run applied {:?}", path.display(), second.applied);
        assert_eq!(second.files[0].fixed, fixed);
        // What remains has no fix that a run applies.
        assert!(second.checked.diagnostics.iter().all(|d| d.fix.is_none()), "{}", path.display());
    }
}

#[test]
fn safe_runs_leave_fixes_that_need_review() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/no-dead-letter/fires.kdl"),
    )
    .unwrap();
    let fixed = fix_in_memory(check(&text), &CliLevels::default(), false, Path::new("/"));
    assert!(fixed.applied.iter().all(|(rule, _)| *rule != "no-dead-letter"), "{:?}", fixed.applied);
    assert!(fixed.checked.diagnostics.iter().any(|d| d.rule.name == "no-dead-letter"));
}

#[test]
fn a_file_that_changed_since_it_was_read_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.kdl");
    let b = dir.path().join("b.kdl");
    std::fs::write(&a, "\u{feff}flow \"x\"\n").unwrap();
    std::fs::write(&b, "edited meanwhile\n").unwrap();
    let file = |path: &Path, original: &str| FixedFile {
        path: path.to_owned(),
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        original: original.into(),
        fixed: "fixed\n".into(),
    };
    let (fa, fb) = (file(&a, "flow \"x\"\n"), file(&b, "as read\n"));
    let error = write_files(&[&fa, &fb]).unwrap_err();
    assert!(error.contains("b.kdl changed since it was read"), "{error}");
    // Nothing was written, not even the file that had not changed.
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "\u{feff}flow \"x\"\n");
    assert_eq!(std::fs::read_to_string(&b).unwrap(), "edited meanwhile\n");
    write_files(&[&fa]).unwrap();
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "\u{feff}fixed\n", "the byte-order mark stays");
}

#[test]
fn unused_allows_go_and_rule_codes_become_names() {
    let text = "system \"crm\" kind=crm {\n    api rest version=\"v1\"\n    allow \"sync-cycle\" reason=\"old\"\n}\n\
                system \"shop\" kind=ecommerce { api rest version=\"v2\"; allow \"no-logging\" reason=\"x\" }\n\
                lint {\n    deny \"WP101\"\n}\n";
    let fixed = fix_in_memory(check(text), &CliLevels::default(), false, Path::new("/"));
    assert_eq!(
        fixed.files[0].fixed,
        "system \"crm\" kind=crm {\n    api rest version=\"v1\"\n}\n\
         system \"shop\" kind=ecommerce { api rest version=\"v2\"; }\n\
         lint {\n    deny \"sync-cycle\"\n}\n"
    );
    let rules: Vec<&str> = fixed.applied.iter().map(|(rule, _)| *rule).collect();
    assert_eq!(rules, ["unused-allow", "unused-allow", "unknown-rule"]);
    // What remains has no fix: the systems are unused.
    assert!(fixed.checked.diagnostics.iter().all(|d| d.rule.name == "unused-system"), "{:?}", findings(&fixed.checked));
}
