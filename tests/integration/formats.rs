//! Machine-readable formats checked by their real consumers: SARIF against
//! the official 2.1.0 schema and Microsoft's SARIF validator, GitHub
//! annotations and short lines by snapshot.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{TempSpec, code, root, run_in, stdout};

/// The folder `scripts/test.sh` installs npm tools into.
fn tools() -> PathBuf {
    std::env::var_os("WIREPLAN_TOOLS").map_or_else(|| root().join(".tools"), PathBuf::from)
}

fn tool(rel: &str) -> PathBuf {
    let path = tools().join(rel);
    assert!(
        path.exists(),
        "{} is missing: run `scripts/test.sh`, which installs the SARIF tools into .tools/",
        path.display()
    );
    path
}

fn sarif_of(dir: &std::path::Path, file: &str) -> String {
    let out = run_in(dir, &["check", file, "--format", "sarif"]);
    assert_eq!(code(&out), 1);
    stdout(&out)
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn sarif_matches_the_official_schema() {
    let schema_path = tool("node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
    // The official schema's `language` pattern has a stray `]`, which
    // ECMAScript reads as a literal but Rust's regex engines reject. It
    // constrains a property wireplan never writes; spell it as intended.
    let text = std::fs::read_to_string(schema_path).unwrap();
    let typo = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(text.contains(typo), "the schema changed: drop this workaround");
    let text = text.replace(typo, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let text = sarif_of(&root().join("tests/fixtures/check"), "ten-mistakes.kdl");
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // A rule off by default says so in its descriptor, the others not.
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let enabled = |name: &str| {
        let rule = rules.iter().find(|r| r["name"] == name).unwrap();
        rule["defaultConfiguration"]["enabled"].as_bool().unwrap()
    };
    assert!(!enabled("missing-required-field"));
    assert!(enabled("no-logging"));
    let results = log["runs"][0]["results"].as_array().unwrap();
    let json = run_in(&root().join("tests/fixtures/check"), &["check", "ten-mistakes.kdl", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(results.len(), json["diagnostics"].as_array().unwrap().len());
    let errors = results.iter().filter(|r| r["level"] == "error").count();
    assert_eq!(errors as u64, json["summary"]["errors"].as_u64().unwrap());
    let first = &results[0];
    assert_eq!(first["ruleId"], "WP004");
    assert_eq!(first["locations"][0]["physicalLocation"]["region"]["startLine"], 5);
    assert_eq!(first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "ten-mistakes.kdl");
    // The report carries fixes, validated above with the rest: a rename
    // replaces the name, an added child is an insertion (an empty region).
    let fixes: Vec<&serde_json::Value> = results.iter().filter_map(|r| r["fixes"].as_array()).flatten().collect();
    assert!(fixes.len() >= 4, "{fixes:#?}");
    let change = |title: &str| {
        let fix = fixes.iter().find(|f| f["description"]["text"].as_str().unwrap().starts_with(title)).unwrap();
        assert_eq!(fix["artifactChanges"][0]["artifactLocation"]["uri"], "ten-mistakes.kdl");
        fix["artifactChanges"][0]["replacements"][0].clone()
    };
    let rename = change("Replace with `lead.created` (safe)");
    assert_eq!(rename["insertedContent"]["text"], "\"lead.created\"");
    assert_ne!(rename["deletedRegion"]["startColumn"], rename["deletedRegion"]["endColumn"]);
    let log = change("Add `log`");
    assert_eq!(log["insertedContent"]["text"], "    log\n");
    let region = &log["deletedRegion"];
    assert_eq!((&region["startLine"], &region["startColumn"]), (&region["endLine"], &region["endColumn"]));
    change("Add `dead-letter` (needs review)");
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn sarif_passes_microsofts_validator() {
    let multitool = tool("node_modules/.bin/sarif-multitool");
    let spec = TempSpec::new("sarif-validate");
    let mut logs = vec![("ten-mistakes", sarif_of(&root().join("tests/fixtures/check"), "ten-mistakes.kdl"))];
    for example in ["growing-agency", "high-volume-retail"] {
        let out = run_in(&root().join("examples"), &["check", example, "--format", "sarif"]);
        logs.push((example, stdout(&out)));
    }
    for (name, text) in logs {
        let input = spec.file(&format!("{name}.sarif"), &text);
        let output = spec.dir.join(format!("{name}.validation.sarif"));
        let status = Command::new(&multitool)
            .arg("validate")
            .arg(&input)
            .arg("--output")
            .arg(&output)
            .arg("--quiet")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("sarif-multitool runs");
        assert!(status.success(), "{name}: sarif-multitool failed");
        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
        let problems: Vec<String> = report["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["level"] != "note")
            .map(|r| format!("{} {}", r["ruleId"], r["message"]))
            .collect();
        assert!(problems.is_empty(), "{name}: {problems:#?}");
    }
}

/// The JSON report's fixes match its schema, and their line and column
/// ranges, applied to the file, make the change the fix names.
#[test]
fn json_fixes_match_the_schema_and_their_ranges_apply() {
    let dir = root().join("tests/fixtures/check");
    let out = run_in(&dir, &["check", "ten-mistakes.kdl", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/diagnostics.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let fixes: Vec<&serde_json::Value> =
        report["diagnostics"].as_array().unwrap().iter().filter_map(|d| d["fixes"].as_array()).flatten().collect();
    let applicability: Vec<&str> = fixes.iter().map(|f| f["applicability"].as_str().unwrap()).collect();
    assert!(applicability.contains(&"safe") && applicability.contains(&"unsafe"), "{applicability:?}");
    let text = std::fs::read_to_string(dir.join("ten-mistakes.kdl")).unwrap();
    // 1-based line and character column to a byte offset.
    let offset = |line: u64, column: u64| {
        let start: usize = text.split_inclusive('\n').take(line as usize - 1).map(str::len).sum();
        start + text[start..].chars().take(column as usize - 1).map(char::len_utf8).sum::<usize>()
    };
    for fix in fixes {
        let mut fixed = text.clone();
        let mut edits: Vec<&serde_json::Value> = fix["edits"].as_array().unwrap().iter().collect();
        edits.reverse();
        for e in edits {
            assert_eq!(e["file"], "ten-mistakes.kdl");
            let at = |l: &str, c: &str| offset(e[l].as_u64().unwrap(), e[c].as_u64().unwrap());
            fixed.replace_range(at("line", "column")..at("end_line", "end_column"), e["new_text"].as_str().unwrap());
        }
        match fix["title"].as_str().unwrap() {
            "Replace with `lead.created`" => assert!(fixed.contains("on \"lead.created\"\n"), "{fixed}"),
            "Replace with `sync-cycle`" => assert!(fixed.contains("deny \"sync-cycle\"\n"), "{fixed}"),
            // Lowering's "did you mean" (`kind=crn`, `webhook`, `pre=`)
            // replaces a misspelling with the name it meant.
            title if title.starts_with("Replace with `") => {
                let name = title.trim_start_matches("Replace with `").trim_end_matches('`');
                assert!(fixed != text && fixed.contains(name), "{title}: {fixed}");
            }
            title => assert!(fixed.len() > text.len(), "{title}: {fixed}"),
        }
    }
}

#[test]
fn github_annotations() {
    let out = run_in(&root().join("tests/fixtures/check"), &["check", "ten-mistakes.kdl", "--format", "github"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.lines().all(|l| l.starts_with("::error file=ten-mistakes.kdl,line=")
            || l.starts_with("::warning file=ten-mistakes.kdl,line=")
            || l.starts_with("::notice file=ten-mistakes.kdl,line=")),
        "{text}"
    );
    insta::assert_snapshot!("ten_mistakes_github", text);
}
