//! The planner's unit tests: small specs through the whole pipeline, and
//! the plan they get.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::prose::list;
use super::types::Topic;
use super::*;
use crate::lint::CliLevels;

/// Lowers, resolves and checks `text`; returns the spec and its diagnostics.
fn checked(text: &str) -> (Spec, Vec<Diagnostic>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wireplan.kdl");
    std::fs::write(&file, text).unwrap();
    let checked = crate::check_path(Some(&file), dir.path(), &CliLevels::default()).unwrap();
    let errors: Vec<_> =
        checked.diagnostics.iter().filter(|d| !d.rule.is_configurable()).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "spec errors: {errors:?}");
    (checked.spec, checked.diagnostics)
}

/// A name unique per spec text, so parallel tests do not share a folder.
fn plan(text: &str) -> Plan {
    let (spec, diagnostics) = checked(text);
    compute(&spec, &diagnostics)
}

fn tools(n: usize, kind: &str) -> String {
    (0..n).map(|i| format!("system \"tool{i:02}\" kind={kind}\n")).collect()
}

#[test]
fn stage_thresholds_follow_tool_counts() {
    assert_eq!(Stage::recommended(0, false), Stage::PointToPoint);
    assert_eq!(Stage::recommended(3, false), Stage::PointToPoint);
    assert_eq!(Stage::recommended(4, false), Stage::Hub);
    assert_eq!(Stage::recommended(9, false), Stage::Hub);
    assert_eq!(Stage::recommended(10, false), Stage::EventDriven);
    assert_eq!(Stage::recommended(1, true), Stage::EventDriven);
    for (n, stage) in [(3, 1), (4, 2), (9, 2), (10, 3)] {
        let p = plan(&tools(n, "crm"));
        assert_eq!(p.stage_now.number(), stage, "{n} tools");
        assert_eq!(p.tools_now, u32::try_from(n).unwrap());
    }
}

#[test]
fn infrastructure_is_not_a_tool() {
    let p = plan(&format!(
        "{}system \"z\" kind=hub\nsystem \"b\" kind=broker\nsystem \"w\" kind=warehouse\nsystem \"l\" kind=lake\n",
        tools(3, "email")
    ));
    assert_eq!(p.tools_now, 3);
    assert_eq!(p.stage_now, Stage::PointToPoint);
    // Warehouse and lake are connected systems; hub and broker are the connections.
    assert_eq!(p.systems_now, 5);
    assert_eq!(p.months[0].connections.point_to_point_potential, 10);
    assert_eq!(p.months[0].connections.hub, 5);
}

#[test]
fn planned_and_retiring_systems_count_from_their_month() {
    let p = plan(
        "stack \"s\" { horizon months=12 }\n\
         system \"a\" kind=crm\nsystem \"b\" kind=crm\nsystem \"c\" kind=crm\n\
         system \"d\" kind=crm { planned in-months=4 }\n\
         system \"e\" kind=crm { planned in-months=4 }\n\
         system \"c2\" kind=crm { retires in-months=8 }\n",
    );
    assert_eq!(p.months.len(), 13);
    assert_eq!(p.months[3].tools, 4);
    assert_eq!(p.months[4].tools, 6);
    assert_eq!(p.months[4].joining, ["d", "e"]);
    assert_eq!(p.months[8].tools, 5);
    assert_eq!(p.months[8].retiring, ["c2"]);
    assert_eq!(p.stage_now, Stage::Hub);
    assert_eq!(p.tools_at_horizon, 5);
}

#[test]
fn crossing_month_is_the_month_the_tools_join() {
    let p = plan(&format!(
        "stack \"s\" {{ horizon months=18 }}\n{}system \"zendesk\" kind=support {{ planned in-months=7 }}\nsystem \"intercom\" kind=support {{ planned in-months=7 }}\n",
        tools(8, "crm")
    ));
    assert_eq!(p.stage_now, Stage::Hub);
    assert_eq!(p.stage_at_horizon, Stage::EventDriven);
    assert_eq!(p.crossings.len(), 1);
    let c = &p.crossings[0];
    assert_eq!((c.month, c.threshold, c.direction), (7, ThresholdKind::EventDrivenTools, Direction::Up));
    assert_eq!((c.stage_before, c.stage_after), (Stage::Hub, Stage::EventDriven));
    assert!(
        c.reason
            .starts_with("In month 7 intercom and zendesk join, bringing the stack to 10 tools: past 9 tools a hub"),
        "{}",
        c.reason
    );
    assert_eq!(p.months[6].stage, Stage::Hub);
    assert_eq!(p.months[7].stage, Stage::EventDriven);
}

#[test]
fn growth_compounds_monthly_and_crosses_the_volume_threshold() {
    // 50,000 a day growing 4x over 12 months: 4^(m/12) >= 2 from month 6.
    let p = plan(
        "stack \"s\" { horizon months=12; volume-growth 4.0 }\n\
         system \"shop\" kind=ecommerce\nsystem \"erp\" kind=erp\n\
         event \"order.placed\" from=shop version=1 { volume per-day=50000 peak-per-second=2 }\n",
    );
    assert_eq!(p.months[0].events_per_day, 50_000.0);
    assert_eq!(p.months[12].events_per_day, 200_000.0);
    assert_eq!(p.months[3].events_per_day, round2(50_000.0 * 4f64.powf(0.25)));
    assert_eq!(p.months[6].events_per_day, 100_000.0);
    assert_eq!(p.stage_now, Stage::PointToPoint);
    assert_eq!(p.stage_at_horizon, Stage::EventDriven);
    let c: Vec<_> = p.crossings.iter().map(|c| (c.month, c.threshold)).collect();
    assert_eq!(c, [(6, ThresholdKind::DailyVolume)]);
    assert!(p.crossings[0].reason.contains("order.placed from shop"), "{}", p.crossings[0].reason);
}

#[test]
fn high_volume_thresholds_can_be_overridden() {
    let p = plan(
        "stack \"s\" { high-volume per-day=1000 peak-per-second=500 }\n\
         system \"shop\" kind=ecommerce\n\
         event \"order.placed\" from=shop { volume per-day=1500 }\n",
    );
    assert_eq!(p.thresholds.high_volume_per_day, 1000.0);
    assert_eq!(p.stage_now, Stage::EventDriven);
    assert!(p.months[0].high_volume);
}

#[test]
fn events_of_systems_not_yet_live_add_no_volume() {
    let p = plan(
        "system \"shop\" kind=ecommerce { planned in-months=3 }\n\
         event \"order.placed\" from=shop { volume per-day=1000 peak-per-second=1 }\n",
    );
    assert_eq!(p.months[2].events_per_day, 0.0);
    assert_eq!(p.months[3].events_per_day, 1000.0);
}

#[test]
fn wired_pairs_are_distinct_unordered_and_live() {
    let p = plan(
        "system \"a\" kind=crm\nsystem \"b\" kind=email\nsystem \"c\" kind=erp { retires in-months=5 }\nsystem \"z\" kind=hub\n\
         event \"a.x\" from=a\nevent \"b.x\" from=b\n\
         flow \"ab\" { on \"a.x\"; to b action=upsert }\n\
         flow \"ba\" { on \"b.x\"; to a action=upsert }\n\
         flow \"ac\" { on \"a.x\"; to c action=upsert }\n\
         flow \"bc\" { on \"b.x\"; via z; to c action=upsert }\n",
    );
    assert_eq!(p.months[0].connections.point_to_point_wired, 2);
    assert_eq!(p.months[5].connections.point_to_point_wired, 1);
    assert_eq!(p.transports.point_to_point, 3);
    assert_eq!(p.transports.hub, 1);
    assert_eq!(p.transports.stage_in_use, Stage::Hub);
}

#[test]
fn warehouse_decision() {
    let none = plan(&tools(3, "crm"));
    assert!(!none.warehouse);
    let analytics = plan("system \"metabase\" kind=analytics\n");
    assert!(analytics.warehouse_now);
    let storage_later = plan("system \"snowflake\" kind=warehouse { planned in-months=6 }\n");
    assert!(!storage_later.warehouse_now && storage_later.warehouse_at_horizon && storage_later.warehouse);
    let r = storage_later.reasons.iter().find(|r| r.topic == Topic::Warehouse).unwrap();
    assert!(r.text.contains("by month 18") && r.text.contains("snowflake"), "{}", r.text);
}

#[test]
fn migration_moves_the_busiest_flow_first_without_findings() {
    let mut text = tools(4, "crm");
    text.push_str(
        "event \"e0\" from=tool00 version=1 { volume peak-per-second=9 }\nevent \"e1\" from=tool01 version=1\n",
    );
    text.push_str("flow \"busy\" { on \"e0\"; to tool02 action=upsert; retry attempts=3; dead-letter; log }\n");
    text.push_str("flow \"calm\" { on \"e1\"; to tool03 action=upsert; retry attempts=3; dead-letter; log }\n");
    let (spec, _) = checked(&text);
    let p = compute(&spec, &[]);
    assert_eq!(p.stage_now, Stage::Hub);
    assert_eq!(p.migration.flows_to_move, 2);
    let order: Vec<&str> = p.migration.move_first.iter().map(|s| s.flow.as_str()).collect();
    assert_eq!(order, ["busy", "calm"]);
    assert!(p.migration.at_risk.is_empty());
}

/// (1.2) Only what is asynchronous moves to a broker: a request whose caller
/// waits for the `reply` stays where it is.
#[test]
fn migration_to_a_broker_leaves_requests_and_replies_where_they_are() {
    let mut text = tools(10, "crm");
    text.push_str("event \"e0\" from=tool00 version=1\nevent \"e1\" from=tool01 version=1\n");
    text.push_str("flow \"async\" { on \"e0\"; to tool02 action=upsert; retry attempts=3; dead-letter; log }\n");
    text.push_str(
        "flow \"quote\" { on \"e1\"; reply timeout=\"5s\"; to tool03 action=send { call timeout=\"2s\"; }; log }\n",
    );
    let p = plan(&text);
    assert_eq!(p.migration.target_stage, Stage::EventDriven);
    let order: Vec<&str> = p.migration.move_first.iter().map(|s| s.flow.as_str()).collect();
    assert_eq!(order, ["async"]);
    assert_eq!(p.migration.flows_to_move, 1);
}

#[test]
fn migration_moves_flows_with_findings_first_and_lists_them_at_risk() {
    // An inline allow without a reason is a warning owned by its flow,
    // and it silences nothing there: two findings on `risky`.
    let mut text = tools(4, "crm");
    text.push_str(
        "event \"e0\" from=tool00 version=1 { volume peak-per-second=9 }\nevent \"e1\" from=tool01 version=1\n",
    );
    text.push_str("flow \"busy\" { on \"e0\"; to tool02 action=upsert; retry attempts=3; dead-letter; log }\n");
    text.push_str("flow \"risky\" { on \"e1\"; to tool03 action=upsert; retry attempts=3; dead-letter; log; allow \"stage-mismatch\" }\n");
    let p = plan(&text);
    assert_eq!(p.migration.move_first[0].flow, "risky");
    assert!(p.migration.move_first[0].why.contains("allow-without-reason"), "{}", p.migration.move_first[0].why);
    assert_eq!(p.migration.at_risk[0].flow, "risky");
    assert!(p.migration.at_risk[0].warnings >= 2);
    let rules: Vec<&str> = p.migration.at_risk[0].findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(rules.contains(&"allow-without-reason") && rules.contains(&"unused-allow"), "{rules:?}");
}

#[test]
fn plan_is_deterministic() {
    let text = format!("{}system \"late\" kind=crm {{ planned in-months=2 }}\n", tools(6, "crm"));
    let a = serde_json::to_string(&plan(&text)).unwrap();
    let b = serde_json::to_string(&plan(&text)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn formatting_helpers() {
    assert_eq!(count(1_234_567.4), "1,234,567");
    assert_eq!(count(999.0), "999");
    assert_eq!(rate(2.5), "2.5");
    assert_eq!(rate(3.0), "3");
    assert_eq!(rate(12.4), "12");
    assert_eq!(list(&["a".into(), "b".into(), "c".into()], 3), "a, b and c");
    assert_eq!(list(&["a".into(), "b".into(), "c".into()], 2), "a, b and 1 more");
}

#[test]
fn wording_counts_and_stages_read_well() {
    let two = plan(&format!(
        "{}event \"e\" from=tool00 version=1\nflow \"f\" {{ on \"e\"; to tool01 action=update }}\nflow \"g\" {{ on \"e\"; to tool01 action=upsert }}\n",
        tools(2, "crm")
    ));
    assert!(two.reasons.iter().any(|r| r.text.starts_with("Both live flows run point-to-point")), "{:?}", two.reasons);
    let mut text = tools(12, "crm");
    text.push_str("system \"bus\" kind=broker { ha #true; }\nevent \"e\" from=tool00 version=1\n");
    text.push_str("flow \"f\" { on \"e\"; via bus; to tool01 action=update }\n");
    let broker = plan(&text);
    assert_eq!(broker.migration.note, "Nothing needs to move: every live flow already uses the event-driven pattern.");
}

#[test]
fn the_planner_never_advises_moving_down_a_stage() {
    // Eight services already on a broker: keep it, do not go back to a hub.
    let mut text = tools(8, "custom");
    text.push_str("system \"rabbit\" kind=broker { ha #true; }\n");
    for i in 0..8 {
        text.push_str(&format!(
            "event \"e{i}\" from=tool{i:02} version=1\nflow \"f{i}\" {{ on \"e{i}\"; via rabbit; to tool{:02} action=upsert }}\n",
            (i + 1) % 8
        ));
    }
    // (Issue 25) Services that publish to a broker are an event-driven
    // stack whatever their number: stage 3, never advised back to a hub.
    let p = plan(&text);
    assert_eq!(p.stage_now, Stage::EventDriven);
    assert_eq!(p.migration.flows_to_move, 0);
    let all: String = p.reasons.iter().map(|r| r.text.as_str()).chain([p.migration.note.as_str()]).collect();
    assert!(!all.contains("Introduce one hub") && !all.contains("remove `via`"), "{all}");
    assert!(!all.contains("more infrastructure than the stack needs"), "{all}");
    assert!(all.contains("an event-driven stack is never moved back"), "{all}");
    // SaaS tools that push webhooks into a broker are not yet event-driven:
    // the broker is kept, and the plan says so.
    let mut text = tools(5, "crm").replace("kind=crm", "kind=crm { webhooks #true; }");
    text.push_str("system \"rabbit\" kind=broker { ha #true; }\n");
    text.push_str("event \"e\" from=tool00 version=1\nflow \"f\" { on \"e\"; via rabbit; to tool01 action=upsert }\n");
    let p = plan(&text);
    assert_eq!(p.stage_now, Stage::Hub);
    let all: String = p.reasons.iter().map(|r| r.text.as_str()).chain([p.migration.note.as_str()]).collect();
    assert!(all.contains("keep it"), "{all}");
}

/// (Issue 25) A request whose caller waits stays synchronous: it is not
/// moved to a hub or a broker, and the note says why.
#[test]
fn replying_flows_stay_synchronous() {
    let mut text = tools(5, "custom");
    text.push_str("event \"e\" from=tool00 version=1\n");
    text.push_str("flow \"ask\" { on \"e\"; reply timeout=\"2s\"; to tool01 action=create { call timeout=\"1s\"; }; to tool02 action=create { call timeout=\"1s\"; } }\n");
    let p = plan(&text);
    assert_eq!(p.migration.flows_to_move, 0);
    assert!(p.migration.note.contains("stays a synchronous call"), "{}", p.migration.note);
}

/// (Issue 25) The hub and the broker need the same connections; the plan
/// says what else differs.
#[test]
fn the_plan_says_what_differs_between_a_hub_and_a_broker() {
    let p = plan(&tools(5, "crm"));
    let aspects: Vec<&str> = p.differences.iter().map(|d| d.aspect.as_str()).collect();
    assert_eq!(aspects, ["operations", "failure isolation", "cost drivers", "coupling"]);
    assert!(p.differences.iter().all(|d| d.hub != d.broker));
}

#[test]
fn migration_notes_say_which_sources_need_an_adapter_to_reach_a_broker() {
    let mut text = tools(10, "custom");
    text.push_str(
        "system \"shop\" kind=ecommerce { webhooks #true; }\nsystem \"app\" kind=website { api websocket; }\n",
    );
    text.push_str("system \"kafka-native\" kind=custom { api kafka; webhooks #true; }\n");
    text.push_str("event \"order\" from=shop version=1\nevent \"click\" from=app version=1\nevent \"k\" from=kafka-native version=1\n");
    text.push_str(
        "flow \"o\" { on \"order\"; to tool00 action=upsert }\nflow \"c\" { on \"click\"; to tool01 action=upsert }\n",
    );
    text.push_str("flow \"k\" { on \"k\"; to tool02 action=upsert }\n");
    let note = plan(&text).migration.note;
    assert!(note.contains("`shop` pushes webhooks over HTTP and cannot publish to a broker"), "{note}");
    assert!(note.contains("`app` speaks WebSocket"), "{note}");
    assert!(!note.contains("`kafka-native`"), "{note}");
}

#[test]
fn a_system_with_an_unknown_kind_is_not_a_tool() {
    // `plan` refuses specs with errors; build the model the checks see.
    let spec =
        crate::lint::test_spec(&format!("{}system \"desk\" kind=helpdesk\nsystem \"nokind\"\n", tools(3, "crm")));
    let p = compute(&spec, &[]);
    assert_eq!(p.tools_now, 3);
    assert_eq!(p.stage_now, Stage::PointToPoint);
}
