//! Every rule's documentation is complete, and its examples are tests: the
//! Example block triggers exactly that rule, the Fix block triggers nothing
//! (as biome's rules_check does, only spec errors and the rule itself count).

use crate::util::{TempSpec, check_json, code, root, run_in, stdout};

fn rules() -> Vec<serde_json::Value> {
    let out = run_in(&root(), &["rules", "--format", "json"]);
    assert_eq!(code(&out), 0);
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap().as_array().unwrap().clone()
}

/// The first ```kdl block after `heading` in a rule's doc.
fn block_after(doc: &str, heading: &str) -> Option<String> {
    let rest = &doc[doc.find(heading)?..];
    let start = rest.find("```kdl\n")? + "```kdl\n".len();
    let end = rest[start..].find("```")?;
    Some(rest[start..start + end].to_owned())
}

#[test]
fn examples_trigger_their_rule_and_fixes_trigger_nothing() {
    for rule in rules() {
        let name = rule["name"].as_str().unwrap();
        let category = rule["category"].as_str().unwrap();
        let doc = rule["doc"].as_str().unwrap();
        let spec_rules: Vec<String> = rules()
            .iter()
            .filter(|r| r["category"] == "spec")
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect();
        let relevant = |r: &String| r == name || spec_rules.contains(r);

        let example = block_after(doc, "## Example").unwrap_or_else(|| panic!("{name}: no kdl Example block"));
        let report = check_json(&format!("doc-example-{name}"), &example);
        let fired: Vec<String> = crate::util::rules_of(&report).into_iter().filter(relevant).collect();
        assert!(!fired.is_empty(), "{name}: the Example triggers nothing:\n{example}");
        assert!(fired.iter().all(|r| r == name), "{name}: the Example triggers {fired:?}");

        let fix = block_after(doc, "## Fix").unwrap_or_else(|| panic!("{name}: no kdl Fix block"));
        let report = check_json(&format!("doc-fix-{name}"), &fix);
        let fired: Vec<String> = crate::util::rules_of(&report).into_iter().filter(relevant).collect();
        assert!(fired.is_empty(), "{name} ({category}): the Fix triggers {fired:?}:\n{fix}");
    }
}

#[test]
fn explain_prints_each_rule_by_name_and_code() {
    for rule in rules() {
        for key in ["name", "code"] {
            let out = run_in(&root(), &["explain", rule[key].as_str().unwrap()]);
            assert_eq!(code(&out), 0);
            let text = stdout(&out);
            assert!(text.starts_with(&format!(
                "# {} ({})",
                rule["name"].as_str().unwrap(),
                rule["code"].as_str().unwrap()
            )));
            assert!(text.contains("## Why it matters"));
        }
    }
    let spec = TempSpec::new("explain-unknown");
    let out = spec.run(&["explain", "sync-cylce"]);
    assert_eq!(code(&out), 2);
}
