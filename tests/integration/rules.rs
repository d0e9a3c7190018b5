//! The topology checks, fixture by fixture, and how their levels combine.
//!
//! Each topology rule has `tests/fixtures/rules/<rule>/fires.kdl` and
//! `quiet.kdl`, found by glob. In `fires.kdl`, a comment line `// ^^^
//! rule-name` marks the exact primary span of a finding on the line above it
//! (rust-analyzer style): the findings of that rule must be exactly the
//! annotated ones. `quiet.kdl` must produce none. The human rendering of
//! each `fires.kdl` (with the other topology rules allowed, so that each
//! snapshot shows one rule) is snapshot-tested in `fires.snap` beside it.
//! The fixtures are checked in process through `wireplan::testing`; a few
//! tests below run the binary, for the command line's own behaviour.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::util::{TempSpec, annotations, code, root, run_in, stdout};

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/rules")
}

/// The names of the rules in `category`, from the library.
fn names_in(category: &str) -> Vec<String> {
    wireplan::testing::rules().into_iter().filter(|r| r.1 == category).map(|r| r.0.to_owned()).collect()
}

/// `(line, column, end_line, end_column, rule)`, 1-based, end exclusive.
type Span = (u64, u64, u64, u64, String);

fn spans_of(report: &serde_json::Value, rule: &str) -> BTreeSet<Span> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == rule)
        .map(|d| {
            let n = |k: &str| d[k].as_u64().unwrap();
            (n("line"), n("column"), n("end_line"), n("end_column"), rule.to_owned())
        })
        .collect()
}

fn assert_no_spec_errors(report: &serde_json::Value, what: &str) {
    let spec = names_in("spec");
    for d in report["diagnostics"].as_array().unwrap() {
        assert!(!spec.iter().any(|r| d["rule"] == r.as_str()), "{what} has a spec error: {}", d["message"]);
    }
}

/// `rule`'s fixture `file`, checked in process; its JSON report.
fn check_json(rule: &str, file: &str) -> serde_json::Value {
    let checked = wireplan::testing::check(&fixtures().join(rule).join(file), &[]).unwrap();
    serde_json::from_str(&checked.json).unwrap()
}

#[test]
fn every_topology_rule_has_fixtures_and_every_fixture_is_a_rule() {
    let rules: BTreeSet<String> = names_in("topology").into_iter().collect();
    let folders: BTreeSet<String> = fixture_folders().into_iter().collect();
    let missing: Vec<_> = rules.iter().filter(|r| !folders.contains(*r)).collect();
    assert!(missing.is_empty(), "topology rules without fixtures: {missing:?}");
    let strays: Vec<_> = folders.iter().filter(|f| !rules.contains(*f)).collect();
    assert!(strays.is_empty(), "fixture folders that are not rules: {strays:?}");
    for folder in &folders {
        for file in ["fires.kdl", "quiet.kdl"] {
            assert!(fixtures().join(folder).join(file).is_file(), "{folder}/{file} is missing");
        }
    }
}

/// The rule's `fires.kdl` reports it exactly where its annotations say, and
/// nothing else with error severity.
fn fires_exactly_where_annotated(rule: &str) {
    let text = std::fs::read_to_string(fixtures().join(rule).join("fires.kdl")).unwrap();
    let expected: BTreeSet<Span> =
        annotations(&text).into_iter().map(|a| (a.line, a.column, a.line, a.end_column, a.rule)).collect();
    assert!(!expected.is_empty(), "{rule}/fires.kdl has no annotations");
    assert!(expected.iter().all(|a| a.4 == rule), "{rule}/fires.kdl annotates another rule");
    let report = check_json(rule, "fires.kdl");
    assert_no_spec_errors(&report, &format!("{rule}/fires.kdl"));
    assert_eq!(spans_of(&report, rule), expected, "{rule}/fires.kdl: found (left) vs annotated (right)");
}

/// The rule's `quiet.kdl`, the near miss, does not report it.
fn quiet_fixture_is_quiet(rule: &str) {
    let report = check_json(rule, "quiet.kdl");
    assert_no_spec_errors(&report, &format!("{rule}/quiet.kdl"));
    let found = spans_of(&report, rule);
    assert!(found.is_empty(), "{rule}/quiet.kdl fires {rule} at {found:?}");
}

/// The rule's findings on `fires.kdl` as a user reads them (the other
/// topology rules allowed, so that each snapshot shows one rule), in
/// `fires.snap` beside the fixture, as biome keeps its specs' snapshots.
fn fires_snapshot(rule: &str) {
    let dir = fixtures().join(rule);
    let others = only(rule);
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    let checked = wireplan::testing::check(&dir.join("fires.kdl"), &others).unwrap();
    assert_eq!(checked.errors, 0, "{rule}: warnings only");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(&dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(dir.join("fires.kdl"));
    settings.bind(|| insta::assert_snapshot!("fires", checked.human));
}

/// The rule fixture folders, found on disk: a new folder is tested with no
/// list to add it to.
fn fixture_folders() -> Vec<String> {
    let pattern = fixtures().join("*");
    let mut folders: Vec<String> = glob::glob(&pattern.to_string_lossy())
        .unwrap()
        .map(Result::unwrap)
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    folders
}

/// Every rule fixture, in process: the findings of `fires.kdl` exactly where
/// annotated, `quiet.kdl` quiet, and the snapshot of `fires.kdl`. Every
/// folder is run and every failure listed, so one rule's failure hides no
/// other's; `WIREPLAN_RULE=sync-cycle cargo test rule_fixtures` runs one.
#[test]
fn rule_fixtures() {
    let only_rule = std::env::var("WIREPLAN_RULE").ok();
    let mut failed = Vec::new();
    let mut ran = 0;
    for rule in fixture_folders() {
        if only_rule.as_ref().is_some_and(|r| *r != rule) {
            continue;
        }
        ran += 1;
        for (what, test) in [
            ("fires exactly where annotated", fires_exactly_where_annotated as fn(&str)),
            ("quiet fixture is quiet", quiet_fixture_is_quiet),
            ("fires snapshot", fires_snapshot),
        ] {
            if std::panic::catch_unwind(|| test(&rule)).is_err() {
                failed.push(format!("{rule}: {what}"));
            }
        }
    }
    assert!(ran > 0, "no rule fixture folder matches WIREPLAN_RULE={only_rule:?}");
    assert!(failed.is_empty(), "rule fixtures failed (each failure is printed above):\n{}", failed.join("\n"));
}

/// `--allow` for every topology rule but `rule`.
fn only(rule: &str) -> Vec<String> {
    names_in("topology").into_iter().filter(|r| r != rule).collect()
}

/// The same as flags, for the binary.
fn only_flags(rule: &str) -> Vec<String> {
    only(rule).into_iter().flat_map(|r| ["--allow".to_owned(), r]).collect()
}

#[test]
fn headline_rules_short_format() {
    for rule in ["sync-cycle", "non-idempotent-path", "p2p-sprawl"] {
        let dir = fixtures().join(rule);
        let mut args = vec!["check", "--format", "short", "fires.kdl"];
        let others = only_flags(rule);
        args.extend(others.iter().map(String::as_str));
        let out = run_in(&dir, &args);
        insta::assert_snapshot!(format!("short-{rule}"), stdout(&out));
    }
}

#[test]
fn output_is_deterministic() {
    let dir = fixtures().join("sync-cycle");
    let first = stdout(&run_in(&dir, &["check", "--format", "json", "fires.kdl"]));
    for _ in 0..3 {
        assert_eq!(stdout(&run_in(&dir, &["check", "--format", "json", "fires.kdl"])), first);
    }
}

const UNLOGGED: &str = r#"system "shop" kind=ecommerce
system "crm" kind=crm
event "order.paid" from=shop version=1
flow "orders-to-crm" {
    on "order.paid"
    to crm action=upsert
    retry attempts=3
    dead-letter
}
"#;

fn levels(report: &serde_json::Value, rule: &str) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == rule)
        .map(|d| d["severity"].as_str().unwrap().to_owned())
        .collect()
}

fn run_json(spec: &TempSpec, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = spec.run(&all);
    (code(&out), serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn lint_block_sets_levels_and_cli_flags_override_it() {
    let spec = TempSpec::new("levels-lint-block");
    spec.file("wireplan.kdl", format!("{UNLOGGED}lint {{\n    deny \"no-logging\"\n}}\n"));
    let (status, report) = run_json(&spec, &[]);
    assert_eq!((status, levels(&report, "no-logging")), (1, vec!["error".to_owned()]));
    // `warn` enables a rule at its default severity: an info for `no-logging`.
    let (status, report) = run_json(&spec, &["--warn", "no-logging"]);
    assert_eq!((status, levels(&report, "no-logging")), (0, vec!["info".to_owned()]));
    let (status, report) = run_json(&spec, &["--allow", "no-logging"]);
    assert_eq!((status, levels(&report, "no-logging")), (0, vec![]));

    let spec = TempSpec::new("levels-lint-allow");
    spec.file("wireplan.kdl", format!("{UNLOGGED}lint {{\n    allow \"no-logging\"\n}}\n"));
    let (status, report) = run_json(&spec, &[]);
    assert_eq!((status, levels(&report, "no-logging")), (0, vec![]));
    let (status, report) = run_json(&spec, &["--deny", "no-logging"]);
    assert_eq!((status, levels(&report, "no-logging")), (1, vec!["error".to_owned()]));
}

#[test]
fn inline_allow_wins_over_deny_flags() {
    let spec = TempSpec::new("levels-inline");
    let text = UNLOGGED.replace(
        "    dead-letter\n",
        "    dead-letter\n    allow \"no-logging\" reason=\"the CRM keeps an audit log\"\n",
    );
    spec.file("wireplan.kdl", text);
    for flags in [&["--deny", "no-logging"][..], &["--deny-warnings"], &["--deny", "no-logging", "--deny-warnings"]] {
        let (status, report) = run_json(&spec, flags);
        assert_eq!(levels(&report, "no-logging"), Vec::<String>::new(), "{flags:?}");
        assert_eq!(status, 0, "{flags:?}: {report}");
        assert_eq!(report["summary"]["warnings"], 0, "{flags:?}");
    }
}

#[test]
fn deny_warnings_turns_topology_warnings_into_errors() {
    let spec = TempSpec::new("levels-deny-warnings");
    spec.file("wireplan.kdl", UNLOGGED);
    // `no-logging` is an info by default, which `--deny-warnings` leaves be;
    // the flow's missing `dead-letter` is a warning, which it denies.
    let (status, report) = run_json(&spec, &["--deny-warnings"]);
    assert_eq!((status, levels(&report, "no-logging")), (0, vec!["info".to_owned()]));
    spec.file("wireplan.kdl", UNLOGGED.replace("    dead-letter\n", ""));
    let (status, report) = run_json(&spec, &["--deny-warnings"]);
    assert_eq!((status, levels(&report, "no-dead-letter")), (1, vec!["error".to_owned()]));
}

#[test]
fn allows_that_silence_nothing_are_reported() {
    let spec = TempSpec::new("levels-unused-allow");
    // The flow logs, so its allow of `no-logging` silences nothing; the
    // lint block's allow of `sync-cycle` has no loop to silence.
    let text =
        UNLOGGED.replace("    dead-letter\n", "    dead-letter\n    log\n    allow \"no-logging\" reason=\"stale\"\n");
    spec.file("wireplan.kdl", format!("{text}lint {{\n    allow \"sync-cycle\"\n}}\n"));
    let (status, report) = run_json(&spec, &[]);
    assert_eq!(status, 0);
    let unused: Vec<(u64, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "unused-allow")
        .map(|d| (d["line"].as_u64().unwrap(), d["message"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        unused,
        vec![
            (10, "`no-logging` finds nothing on flow `orders-to-crm` to allow".to_owned()),
            (13, "`sync-cycle` finds nothing in the spec to allow".to_owned()),
        ]
    );
    // `unused-allow` is itself a rule, with levels.
    let (status, _) = run_json(&spec, &["--deny", "unused-allow"]);
    assert_eq!(status, 1);
}

#[test]
fn allow_without_reason_still_silences() {
    let spec = TempSpec::new("levels-no-reason");
    let text = UNLOGGED.replace("    dead-letter\n", "    dead-letter\n    allow \"no-logging\"\n");
    spec.file("wireplan.kdl", text);
    let (_, report) = run_json(&spec, &[]);
    assert_eq!(levels(&report, "no-logging"), Vec::<String>::new());
    assert_eq!(levels(&report, "allow-without-reason"), vec!["warning".to_owned()]);
}

#[test]
fn graph_renders_mermaid_and_dot() {
    let dir = fixtures().join("sync-cycle");
    for format in ["mermaid", "dot"] {
        let out = run_in(&dir, &["graph", "fires.kdl", "--format", format]);
        assert_eq!(code(&out), 0, "{format}");
        insta::assert_snapshot!(format!("graph-sync-cycle-{format}"), stdout(&out));
    }
}

#[test]
fn graph_draws_possible_loops_unlike_definite_ones() {
    let dir = fixtures().join("possible-sync-cycle");
    let out = run_in(&dir, &["graph", "fires.kdl", "--format", "dot"]);
    assert_eq!(code(&out), 0);
    let dot = stdout(&out);
    assert!(!dot.contains("color=red"), "a possible loop is drawn as a definite one: {dot}");
    assert_eq!(dot.matches("color=purple, fontcolor=purple, style=dotted").count(), 6, "{dot}");
    let out = run_in(&dir, &["graph", "quiet.kdl", "--format", "mermaid"]);
    assert!(!stdout(&out).contains("stroke:#90c") && !stdout(&out).contains("stroke:#d00"), "{}", stdout(&out));
}

#[test]
fn graph_shows_hubs_planned_systems_and_escapes_names() {
    let spec = TempSpec::new("graph-escape");
    spec.file(
        "wireplan.kdl",
        r#"system "shop \"eu\"" kind=ecommerce
system "crm|<b>#1</b>" kind=crm
system "zapier" kind=hub { ha #true; }
system "lake\\raw" kind=lake { planned in-months=3; }
event "order.paid" from="shop \"eu\"" version=1
flow "orders \"to\" crm" {
    on "order.paid"
    via zapier
    to "crm|<b>#1</b>" action=upsert
    to "lake\\raw" action=append
    idempotency-key "id"
    retry
    dead-letter
    log
}
"#,
    );
    for format in ["mermaid", "dot"] {
        let out = spec.run(&["graph", "--format", format]);
        insta::assert_snapshot!(format!("graph-escape-{format}"), stdout(&out));
    }
    let out = spec.run(&["graph", "--format", "svg"]);
    assert_eq!(code(&out), 2);
}

#[path = "../../benches/gen_topology.rs"]
#[allow(dead_code, unreachable_pub)]
mod gen_topology;

/// The benchmark's generator makes a valid spec that exercises the graph
/// checks: loops, duplicate paths, and nothing the checks trip over.
#[test]
fn loopy_spec_is_valid_and_loops() {
    let spec = TempSpec::new("loopy-spec");
    spec.file("wireplan.kdl", gen_topology::loopy_spec(400));
    let (_, report) = run_json(&spec, &[]);
    assert_no_spec_errors(&report, "loopy_spec(400)");
    let count = |rule: &str| report["diagnostics"].as_array().unwrap().iter().filter(|d| d["rule"] == rule).count();
    assert!(count("sync-cycle") >= 1, "no sync loop");
    assert!(count("non-idempotent-path") >= 5, "too few duplicate paths");
    let messages: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "non-idempotent-path")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("more non-idempotent writes downstream")),
        "no duplicate reaches further"
    );
}

#[test]
fn an_inline_allow_on_any_flow_of_a_loop_accepts_it() {
    let text = std::fs::read_to_string(fixtures().join("sync-cycle/quiet.kdl")).unwrap();
    // Remove the guard, and accept the loop on the flow that does not close it.
    let text = text.replace("    loop-guard\n", "").replace(
        "    to intercom action=update entity=user\n",
        "    to intercom action=update entity=user\n    allow \"sync-cycle\" reason=\"intercom drops unchanged updates\"\n",
    );
    let spec = TempSpec::new("loop-allow");
    spec.file("wireplan.kdl", &text);
    let (_, report) = run_json(&spec, &[]);
    assert_eq!(levels(&report, "sync-cycle"), Vec::<String>::new());
    assert_eq!(levels(&report, "unused-allow"), Vec::<String>::new());
    // Without the allow, the loop is there.
    spec.file(
        "wireplan.kdl",
        text.replace("    allow \"sync-cycle\" reason=\"intercom drops unchanged updates\"\n", ""),
    );
    let (_, report) = run_json(&spec, &[]);
    assert_eq!(levels(&report, "sync-cycle"), vec!["warning".to_owned()]);
}

#[test]
fn findings_point_into_the_file_that_holds_the_flow() {
    let spec = TempSpec::new("loop-across-files");
    spec.file(
        "wireplan.kdl",
        "include \"flows/*.kdl\"\nsystem \"hubspot\" kind=crm\nsystem \"intercom\" kind=support\n\
         event \"contact.updated\" from=hubspot entity=contact version=1\n\
         event \"user.updated\" from=intercom entity=user version=1\n",
    );
    spec.file(
        "flows/a.kdl",
        "flow \"crm-to-support\" {\n    on \"contact.updated\"\n    to intercom action=update entity=user\n}\n",
    );
    spec.file(
        "flows/b.kdl",
        "flow \"support-to-crm\" {\n    on \"user.updated\"\n    to hubspot action=update entity=contact\n}\n",
    );
    let (_, report) = run_json(&spec, &[]);
    let d = report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "sync-cycle").unwrap();
    let places: Vec<(String, u64, u64, bool)> = d["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap().to_owned(),
                l["line"].as_u64().unwrap(),
                l["column"].as_u64().unwrap(),
                l["primary"] == true,
            )
        })
        .collect();
    assert_eq!(places, vec![("flows/b.kdl".to_owned(), 1, 6, true), ("flows/a.kdl".to_owned(), 1, 6, false)]);
    let human = stdout(&spec.run(&["check", "--color", "never"]));
    // rustc's layout: the primary place after `-->`, the related one in
    // another file after `:::`, each with its own snippet.
    assert!(human.contains("--> flows/b.kdl:1:6") && human.contains("::: flows/a.kdl:1:6"), "{human}");
    assert!(!human.contains("Advice"), "no untitled related section: {human}");
}

#[test]
fn every_finding_says_where_its_allow_goes_and_a_near_allow_is_redirected() {
    let fires = std::fs::read_to_string(root().join("tests/fixtures/rules/rate-limit-exceeded/fires.kdl")).unwrap();
    let report = crate::util::check_json("allow-placement", &fires);
    let finding =
        report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "rate-limit-exceeded").unwrap();
    assert!(
        finding["help"]
            .as_str()
            .unwrap()
            .ends_with("add `allow \"rate-limit-exceeded\" reason=\"...\"` to system `crm`"),
        "{finding}"
    );
    // An allow on a flow the finding points at silences nothing, and says
    // where the allow belongs.
    let near = fires.replacen(
        "    to crm action=upsert\n",
        "    to crm action=upsert\n    allow \"rate-limit-exceeded\" reason=\"batched upstream\"\n",
        1,
    );
    let report = crate::util::check_json("allow-placement-near", &near);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(diagnostics.iter().any(|d| d["rule"] == "rate-limit-exceeded"), "still reported: {report}");
    let unused = diagnostics.iter().find(|d| d["rule"] == "unused-allow").unwrap();
    assert!(unused["help"].as_str().unwrap().starts_with("move the allow to system `crm`"), "{unused}");
    // Where it belongs, it silences the finding and nothing is unused.
    let placed = fires.replacen(
        "    rate-limit 600 per=minute\n",
        "    rate-limit 600 per=minute\n    allow \"rate-limit-exceeded\" reason=\"batched upstream\"\n",
        1,
    );
    let report = crate::util::check_json("allow-placement-placed", &placed);
    let silenced = report["diagnostics"].as_array().unwrap().iter().all(|d| {
        d["rule"] != "unused-allow"
            && !(d["rule"] == "rate-limit-exceeded" && d["message"].as_str().unwrap().contains("`crm`"))
    });
    assert!(silenced, "{report}");
    // The near miss: an allow of another rule on that flow is just unused.
    let other = fires.replacen(
        "    to crm action=upsert\n",
        "    to crm action=upsert\n    allow \"sync-cycle\" reason=\"none\"\n",
        1,
    );
    let report = crate::util::check_json("allow-placement-other", &other);
    let unused = report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "unused-allow").unwrap();
    assert_eq!(unused["help"], "remove the allow", "{unused}");
}
