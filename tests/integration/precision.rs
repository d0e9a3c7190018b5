//! Findings a reviewer accepts (issue 25's checks that misfired): one
//! finding per fact, labels that match what the spec declares, and grouped
//! findings that keep every flow addressable for `allow`, baselines and
//! SARIF. Each rule's own fixtures are in `tests/fixtures/rules`; these
//! tests cover what crosses rules or output formats.

use crate::util::{TempSpec, check_json, code, rules_of, stderr, stdout};

/// Three handlers of one service, none logging.
const HANDLERS: &str = r#"
system "shop" kind=ecommerce
system "fulfilment" kind=custom
event "order.paid" from=shop version=1
event "order.shipped" from=shop version=1
event "order.cancelled" from=shop version=1
flow "paid" {
    on "order.paid"
    to fulfilment action=update entity=shipment
    retry attempts=3
    dead-letter
}
flow "shipped" {
    on "order.shipped"
    to fulfilment action=update entity=shipment
    retry attempts=3
    dead-letter
}
flow "cancelled" {
    on "order.cancelled"
    to fulfilment action=update entity=shipment
    retry attempts=3
    dead-letter
}
"#;

fn messages(report: &serde_json::Value, rule: &str) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == rule)
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_handlers_of_one_service_are_one_finding_with_a_place_for_each_in_sarif() {
    let report = check_json("precision-group", HANDLERS);
    assert_eq!(
        messages(&report, "no-logging"),
        ["3 flows into `fulfilment` do not log their runs: `paid`, `shipped` and `cancelled`"]
    );
    let spec = TempSpec::new("precision-group-sarif");
    spec.file("wireplan.kdl", HANDLERS);
    let sarif: serde_json::Value = serde_json::from_slice(&spec.run(&["check", "--format", "sarif"]).stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let grouped: Vec<_> = results.iter().filter(|r| r["ruleId"] == "WP106" || r["ruleId"] == "no-logging").collect();
    assert_eq!(grouped.len(), 1, "{results:?}");
    let related = grouped[0]["relatedLocations"].as_array().unwrap();
    let lines: Vec<u64> =
        related.iter().map(|l| l["physicalLocation"]["region"]["startLine"].as_u64().unwrap()).collect();
    assert_eq!(lines, [13, 19], "a related location at each other flow: {related:?}");
}

#[test]
fn an_allow_on_a_listed_flow_takes_it_out_of_the_group_and_is_used() {
    let allowed = HANDLERS.replacen(
        "flow \"shipped\" {\n",
        "flow \"shipped\" {\n    allow \"no-logging\" reason=\"the carrier's portal keeps the log\"\n",
        1,
    );
    let report = check_json("precision-group-allow", &allowed);
    assert_eq!(
        messages(&report, "no-logging"),
        ["2 flows into `fulfilment` do not log their runs: `paid` and `cancelled`"]
    );
    assert!(!rules_of(&report).iter().any(|r| r == "unused-allow"), "{report}");
    // Allowing all but one leaves the single finding, as it was before groups.
    let one_left = allowed.replacen(
        "flow \"cancelled\" {\n",
        "flow \"cancelled\" {\n    allow \"no-logging\" reason=\"the carrier's portal keeps the log\"\n",
        1,
    );
    let report = check_json("precision-group-allow-one", &one_left);
    assert_eq!(messages(&report, "no-logging"), ["flow `paid` does not log its runs"]);
    assert!(!rules_of(&report).iter().any(|r| r == "unused-allow"), "{report}");
}

#[test]
fn a_baselined_group_stays_baselined_when_one_of_its_flows_is_fixed() {
    let spec = TempSpec::new("precision-group-baseline");
    spec.file("wireplan.kdl", HANDLERS);
    let out = spec.run(&["check", "--write-baseline", "wireplan-baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    spec.file(
        "wireplan.kdl",
        HANDLERS.replacen("    dead-letter\n}\nflow \"shipped\"", "    dead-letter\n    log\n}\nflow \"shipped\"", 1),
    );
    let out = spec.run(&["check", "--format", "json", "--baseline", "wireplan-baseline.json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules_of(&report).is_empty(), "fixing one handler makes nothing new: {report}");
    // Down to one flow, the finding is that flow's alone, and still recorded.
    spec.file(
        "wireplan.kdl",
        HANDLERS.replace(
            "    dead-letter
}
flow",
            "    dead-letter
    log
}
flow",
        ),
    );
    let out = spec.run(&["check", "--format", "json", "--baseline", "wireplan-baseline.json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules_of(&report).is_empty(), "the last handler's own finding is the recorded one: {report}");
    let plain = check_json(
        "precision-group-baseline-plain",
        &HANDLERS.replace(
            "    dead-letter
}
flow",
            "    dead-letter
    log
}
flow",
        ),
    );
    assert_eq!(messages(&plain, "no-logging"), ["flow `cancelled` does not log its runs"]);
}

#[test]
fn a_system_that_only_publishes_unconsumed_events_is_one_finding() {
    let report = check_json(
        "precision-orphan-publisher",
        r#"
system "shop" kind=ecommerce
system "crm" kind=crm
system "calendly" kind=marketing
event "order.paid" from=shop version=1
event "meeting.booked" from=calendly version=1
flow "orders-to-crm" {
    on "order.paid"
    to crm action=upsert
    retry
    dead-letter
    log
}
"#,
    );
    let rules = rules_of(&report);
    assert_eq!(rules.iter().filter(|r| *r == "orphan-event").count(), 1, "{rules:?}");
    assert!(!rules.iter().any(|r| r == "unused-system"), "{rules:?}");
}

#[test]
fn no_label_contradicts_a_declared_delivery() {
    let spec = TempSpec::new("precision-delivery");
    spec.file(
        "wireplan.kdl",
        r#"
system "stripe" kind=payments {
    webhooks #true
}
system "crm" kind=crm
event "charge.refunded" from=stripe version=1 {
    delivery at-most-once
}
flow "refunds-to-crm" {
    on "charge.refunded"
    to crm action=upsert
    log
}
"#,
    );
    let text = stdout(&spec.run(&["check", "--color", "never"]));
    assert!(text.contains("declared `delivery at-most-once`"), "{text}");
    assert!(!text.contains("stops retrying"), "{text}");
}

/// The planner does not read a missing `volume` as zero: it prints
/// "unknown", names the events to declare it on, and gives no reason
/// from volume.
#[test]
fn unknown_volumes_are_unknown_not_zero() {
    let dir = crate::util::root().join("tests/fixtures/plan");
    let out = crate::util::run_in(&dir, &["plan", "unknown-volume.kdl"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("0 events"), "{text}");
    assert!(!text.contains("peak 0/s"), "{text}");
    assert!(!text.contains("grows 2x"), "no growth reason from zeros: {text}");
    insta::assert_snapshot!("plan_human_unknown_volume", text);

    let json = crate::util::run_in(&dir, &["plan", "unknown-volume.kdl", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(plan["months"][0]["volume"], "unknown");
    assert_eq!(plan["events_without_volume"], serde_json::json!(["order.paid", "contact.created", "ticket.solved"]));
    let volume: Vec<&str> = plan["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["topic"] == "volume")
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(volume.len(), 1, "{plan}");
    assert!(volume[0].contains("`volume per-day=N peak-per-second=N` on `order.paid`"), "{}", volume[0]);
}

/// Some events declare a volume: the totals are a lower bound, and say so.
#[test]
fn partly_declared_volumes_are_a_lower_bound() {
    let text =
        std::fs::read_to_string(crate::util::root().join("tests/fixtures/plan/unknown-volume.kdl")).unwrap().replace(
            "event \"order.paid\" from=shopify version=1\n",
            "event \"order.paid\" from=shopify version=1 {\n    volume per-day=500 peak-per-second=2\n}\n",
        );
    let spec = TempSpec::new("precision-partial-volume");
    spec.file("wireplan.kdl", &text);
    let out = stdout(&spec.run(&["plan"]));
    assert!(out.contains("5 tools, at least 500 events/day, peak at least 2/s"), "{out}");
    assert!(out.contains("2 events declare no volume (`contact.created` and `ticket.solved`)"), "{out}");
    assert!(out.contains("from at least 500 to at least 1,000"), "growth from a lower bound says so: {out}");
    let json: serde_json::Value = serde_json::from_slice(&spec.run(&["plan", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["months"][0]["volume"], "partial");
}

/// A grouped finding still counts against each flow it lists: the
/// planner's flows at risk name every one of them.
#[test]
fn a_grouped_finding_counts_against_each_listed_flow_in_the_plan() {
    let spec = TempSpec::new("precision-group-plan");
    spec.file("wireplan.kdl", HANDLERS);
    let plan: serde_json::Value = serde_json::from_slice(&spec.run(&["plan", "--format", "json"]).stdout).unwrap();
    let mut at_risk: Vec<&str> = plan["migration"]["at_risk"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["findings"].as_array().unwrap().iter().any(|d| d["rule"] == "no-logging"))
        .map(|f| f["flow"].as_str().unwrap())
        .collect();
    at_risk.sort_unstable();
    assert_eq!(at_risk, ["cancelled", "paid", "shipped"], "{plan}");
}

/// `diff` words a weakened delivery as the check does: with a dead letter,
/// a failure is kept, not lost.
#[test]
fn diff_says_a_dead_letter_keeps_what_a_removed_retry_would_lose() {
    let old = "system \"crm\" kind=crm\nsystem \"mail\" kind=email\nevent \"lead.created\" from=crm version=1\n\
        flow \"lead-to-mail\" {\n    on \"lead.created\"\n    to mail action=upsert\n    retry attempts=3\n    dead-letter\n    log\n}\n";
    let spec = TempSpec::new("precision-diff");
    spec.file("old/wireplan.kdl", old);
    spec.file("new/wireplan.kdl", old.replace("    retry attempts=3\n", ""));
    let out = spec.run(&["diff", "old", "new", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes: Vec<&str> =
        report["changes"].as_array().unwrap().iter().map(|c| c["change"].as_str().unwrap()).collect();
    assert!(
        changes.contains(
            &"delivery to `mail` weakened to at most once: a failure now goes to the dead letter instead of being retried"
        ),
        "{changes:?}"
    );
    assert!(!changes.iter().any(|c| c.contains("loses the data")), "{changes:?}");
}

/// A baseline records a grouped finding flow by flow: a new flow that
/// joins a baselined group makes the group new, so it is not hidden.
#[test]
fn a_new_flow_in_a_baselined_group_is_reported() {
    let spec = TempSpec::new("precision-group-baseline-new");
    spec.file("wireplan.kdl", HANDLERS);
    let out = spec.run(&["check", "--write-baseline", "wireplan-baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let written = std::fs::read_to_string(spec.dir.join("wireplan-baseline.json")).unwrap();
    for flow in ["paid", "shipped", "cancelled"] {
        assert!(written.contains(&format!("\"flow \\\"{flow}\\\"\"")), "one entry per flow: {written}");
    }
    let more = format!(
        "{HANDLERS}flow \"refunded\" {{\n    on \"order.paid\"\n    to fulfilment action=update entity=refund\n    \
         retry attempts=3\n    dead-letter\n}}\n"
    );
    spec.file("wireplan.kdl", &more);
    let out = spec.run(&["check", "--format", "json", "--baseline", "wireplan-baseline.json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        messages(&report, "no-logging"),
        ["4 flows into `fulfilment` do not log their runs: `paid`, `shipped`, `cancelled` and 1 more"]
    );
    // `diff` says the same: the group has a new flow.
    spec.file("old/wireplan.kdl", HANDLERS);
    spec.file("new/wireplan.kdl", &more);
    let out = spec.run(&["diff", "old", "new", "--format", "json"]);
    let diff: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes: Vec<&str> =
        diff["changes"].as_array().unwrap().iter().map(|c| c["change"].as_str().unwrap()).collect();
    assert!(changes.iter().any(|c| c.starts_with("new finding [no-logging]: 4 flows")), "{changes:?}");
}
