//! Every rule's documentation is complete, and its examples are tests: the
//! Example block triggers exactly that rule, the Fix block triggers nothing
//! (as biome's rules_check does, only spec errors and the rule itself count).
//! The README's own examples are checked too: every spec it shows is valid.

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
        if category == "build" {
            // A build error's example checks clean and stops a build; its
            // fix builds on every target that builds it at all.
            let fix = block_after(doc, "## Fix").unwrap_or_else(|| panic!("{name}: no kdl Fix block"));
            let fired = |text: &str, label: &str| -> Vec<&str> {
                let spec = TempSpec::new(&format!("doc-{label}-{name}"));
                spec.file("wireplan.kdl", text);
                let clean = spec.run(&["check", "--format", "short"]);
                assert!(!stdout(&clean).contains("error["), "{name}: the {label} has spec errors:\n{}", stdout(&clean));
                ["hub", "broker", "etl"]
                    .into_iter()
                    .filter(|target| {
                        let out = spec.run(&["build", "--target", target, "--out", &format!("out-{target}")]);
                        String::from_utf8_lossy(&out.stderr).contains(&format!("[{name}]"))
                    })
                    .collect()
            };
            assert!(!fired(&example, "example").is_empty(), "{name}: the Example stops no build:\n{example}");
            let fixed = fired(&fix, "fix");
            assert!(fixed.is_empty(), "{name}: the Fix still stops `build --target {}`:\n{fix}", fixed.join(", "));
            continue;
        }
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

/// Every ```kdl block of the README (the user's language reference), with
/// whether it is marked `kdl fragment`.
fn readme_blocks() -> Vec<(usize, bool, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut open: Option<(usize, bool, String)> = None;
    for (i, line) in readme.lines().enumerate() {
        let fence = line.trim_start();
        match &mut open {
            None if fence.starts_with("```kdl") => {
                open = Some((i + 1, fence.trim_start_matches("```kdl").trim() == "fragment", String::new()));
            }
            Some(_) if fence.starts_with("```") => blocks.push(open.take().unwrap()),
            Some((_, _, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    assert!(open.is_none(), "an unclosed ```kdl block in the README");
    blocks
}

#[test]
fn every_kdl_block_in_the_readme_is_valid() {
    let blocks = readme_blocks();
    assert!(blocks.len() >= 2, "the README shows specs");
    // A fragment is part of a spec: what it lacks (a flow's trigger, the
    // systems it names) may be missing, but nothing it says may be wrong.
    let missing_parts = ["missing-argument", "unresolved-reference"];
    for (line, fragment, text) in blocks {
        let report = check_json(&format!("readme-block-{line}"), &text);
        let errors: Vec<String> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == "error")
            .filter(|d| !(fragment && missing_parts.contains(&d["rule"].as_str().unwrap())))
            .map(|d| format!("{}: {}", d["rule"], d["message"]))
            .collect();
        assert!(errors.is_empty(), "README.md:{line}: the block shown is not valid: {errors:?}\n{text}");
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

/// Every ```kdl block of the README's language reference is a valid spec:
/// the reference shows the 1.1 forms as users write them.
#[test]
fn the_language_reference_blocks_are_valid_specs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("## Language reference").unwrap();
    let end = start + readme[start..].find("\n## Planning").unwrap();
    let mut rest = &readme[start..end];
    let mut blocks = 0;
    let spec_rules: Vec<String> =
        rules().iter().filter(|r| r["category"] == "spec").map(|r| r["name"].as_str().unwrap().to_owned()).collect();
    while let Some(open) = rest.find("```kdl\n") {
        let body = &rest[open + 7..];
        let close = body.find("```").unwrap();
        let report = check_json("readme-block", &body[..close]);
        for d in report["diagnostics"].as_array().unwrap() {
            assert!(
                !spec_rules.iter().any(|r| d["rule"] == r.as_str()),
                "README block {blocks} has a spec error: {}\n{}",
                d["message"],
                &body[..close]
            );
        }
        blocks += 1;
        rest = &body[close..];
    }
    assert!(blocks >= 2, "{blocks} blocks");
}

/// The first ```kdl block of the README after `heading`: the example a
/// paragraph of the language reference gives.
fn readme_example(heading: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find(heading).unwrap_or_else(|| panic!("the README has no {heading:?}"));
    let body = &readme[start..];
    let open = body.find("```kdl\n").unwrap() + 7;
    body[open..open + body[open..].find("```").unwrap()].to_owned()
}

/// (1.2) The README's example of a unique field is quiet for
/// `non-idempotent-path`, and the same spec without `unique=#true` is not:
/// the attribute, not the example's shape, is what settles the repeat.
#[test]
fn the_unique_field_example_settles_the_repeat_it_says_it_does() {
    let example = &readme_example("**Unique fields.**");
    assert!(example.contains("unique=#true"), "{example}");
    let rules = |report: &serde_json::Value| -> Vec<String> {
        report["diagnostics"].as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap().to_owned()).collect()
    };
    let with = rules(&check_json("readme-unique", example));
    assert!(!with.iter().any(|r| r == "non-idempotent-path"), "{with:?}");
    let without = rules(&check_json("readme-unique-without", &example.replace(" unique=#true", "")));
    assert!(without.iter().any(|r| r == "non-idempotent-path"), "{without:?}");
}

/// (1.2) `unique` is a fact about a store, so an event's field refuses it
/// out loud rather than dropping it.
#[test]
fn an_event_field_refuses_unique() {
    let report = check_json(
        "event-unique",
        "system \"shop\" kind=ecommerce\nevent \"order.paid\" from=shop version=1 {\n    field \"id\" type=string \
         unique=#true\n}\n",
    );
    let errors: Vec<&serde_json::Value> =
        report["diagnostics"].as_array().unwrap().iter().filter(|d| d["severity"] == "error").collect();
    assert_eq!(errors.len(), 1, "{report}");
    assert!(errors[0]["message"].as_str().unwrap().contains("unique"), "{report}");
}

/// The severities of `rule`'s findings on `text`, a spec with no errors.
fn severities_of(rule: &str, text: &str) -> Vec<String> {
    let report = check_json("readme-example", text);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let errors: Vec<_> = diagnostics.iter().filter(|d| d["severity"] == "error").collect();
    assert!(errors.is_empty(), "{errors:?}");
    diagnostics.iter().filter(|d| d["rule"] == rule).map(|d| d["severity"].as_str().unwrap().to_owned()).collect()
}

/// (1.2) The README's example of a window keeps its dead letter; without
/// it, the windowed job is a `no-dead-letter` warning, and the same job
/// reading its source whole is not asked: the window is what makes the
/// lost record lost.
#[test]
fn the_window_example_is_a_warning_without_its_dead_letter_and_a_full_read_quiet() {
    let example = &readme_example("**Windows.**");
    let severities = |text: &str| severities_of("no-dead-letter", text);
    assert_eq!(severities(example), Vec::<String>::new());
    let without = example.replace("    dead-letter alert=\"finance\"\n", "");
    assert_eq!(severities(&without), ["warning"]);
    // A full read: the next run reads the record again, so there is no
    // message for a dead letter to keep.
    assert_eq!(severities(&without.replace(" window=\"1d\"", "")), Vec::<String>::new());
}

/// (1.2) The README's example of a run by hand is an info for
/// `no-error-handling` (whoever runs it sees a run that stops), and the
/// same job on a clock is a warning: the trigger, not the example's shape,
/// is what lowers it.
#[test]
fn the_run_by_hand_example_is_an_info_and_the_same_job_on_a_clock_a_warning() {
    let example = &readme_example("**Runs by hand.**");
    assert!(example.contains("    manual\n"), "{example}");
    let severities = |text: &str| severities_of("no-error-handling", text);
    assert_eq!(severities(example), ["info"]);
    assert_eq!(severities(&example.replace("    manual\n", "    schedule cron=\"0 6 1 * *\"\n")), ["warning"]);
}
