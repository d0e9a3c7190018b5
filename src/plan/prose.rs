//! The planner's sentences: the reasons, the crossings, the migration note,
//! and numbers as a business reader reads them. Every number about a stage
//! comes from `crate::stages`; names are listed with `crate::prose`.

use std::collections::BTreeSet;

use super::types::{
    Difference, Direction, FlowUse, Month, Plan, Reason, Stage, ThresholdKind, Thresholds, Topic, Transports,
    VolumeKnown, WarehouseCall,
};
use super::{existing_transport, transport_name, volume_drivers};
use crate::model::{Spec, SystemKind};
use crate::stages::{EVENT_DRIVEN_MIN_TOOLS, tool_band};

pub(super) fn crossing_reason(
    spec: &Spec,
    before: &Month,
    after: &Month,
    kind: ThresholdKind,
    direction: Direction,
    t: &Thresholds,
) -> String {
    let m = after.month;
    let change = membership_change(after);
    let stage_note = if before.stage == after.stage {
        format!("the recommendation stays stage {} ({})", after.stage.number(), after.stage.name())
    } else {
        format!(
            "the recommendation moves from stage {} ({}) to stage {} ({})",
            before.stage.number(),
            before.stage.name(),
            after.stage.number(),
            after.stage.name()
        )
    };
    let c = &after.connections;
    match (kind, direction) {
        (ThresholdKind::HubTools, Direction::Up) => format!(
            "In month {m} {change}, bringing the stack to {} tools: from {} tools on, wiring every pair directly could take up to {} connections while a hub needs {}, one per system, so {stage_note}.",
            after.tools, t.hub_min_tools, c.point_to_point_potential, c.hub
        ),
        (ThresholdKind::EventDrivenTools, Direction::Up) => format!(
            "In month {m} {change}, bringing the stack to {} tools: past {} tools a hub becomes the bottleneck and a single point of failure, while a broker lets each tool publish once and subscribe to what it needs ({} connections instead of up to {} direct ones), so {stage_note}.",
            after.tools,
            t.event_driven_min_tools - 1,
            c.broker,
            c.point_to_point_potential
        ),
        (ThresholdKind::HubTools | ThresholdKind::EventDrivenTools, Direction::Down) => format!(
            "In month {m} {change}, leaving {} tools: below {} tools the simpler pattern is enough again, so {stage_note}.",
            after.tools,
            if kind == ThresholdKind::HubTools { t.hub_min_tools } else { t.event_driven_min_tools }
        ),
        (ThresholdKind::DailyVolume, Direction::Up) => {
            let drivers = list(&volume_drivers(spec, m, false), 3);
            format!(
                "In month {m} the stack reaches {} events a day: from {} a day the volume is high, and a broker absorbs it where a hub would throttle or drop events, so {stage_note}. The largest sources are {drivers}.",
                per_day_text(after),
                count(t.high_volume_per_day)
            )
        }
        (ThresholdKind::PeakVolume, Direction::Up) => {
            let drivers = list(&volume_drivers(spec, m, true), 3);
            format!(
                "In month {m} peaks reach {} events a second: from {}/s a broker is needed to buffer bursts and redeliver, so {stage_note}. The largest sources are {drivers}.",
                peak_text(after),
                rate(t.high_volume_peak_per_second)
            )
        }
        (ThresholdKind::DailyVolume | ThresholdKind::PeakVolume, Direction::Down) => format!(
            "In month {m} {change}, and the volume falls below the high-volume threshold ({} events a day, {}/s at peak), so {stage_note}.",
            per_day_text(after),
            peak_text(after)
        ),
    }
}

/// "zendesk and intercom join", "legacy-erp retires", or both.
pub(super) fn membership_change(month: &Month) -> String {
    let mut parts = Vec::new();
    if !month.joining.is_empty() {
        let verb = if month.joining.len() == 1 { "joins" } else { "join" };
        parts.push(format!("{} {verb}", list(&month.joining, 4)));
    }
    if !month.retiring.is_empty() {
        let verb = if month.retiring.len() == 1 { "retires" } else { "retire" };
        parts.push(format!("{} {verb}", list(&month.retiring, 4)));
    }
    if parts.is_empty() { "volumes keep growing".to_owned() } else { parts.join(" and ") }
}

pub(super) fn migration_note(
    spec: &Spec,
    target: Stage,
    transports: &Transports,
    moving_first: &[&FlowUse],
    moving_count: usize,
    flows: &[FlowUse],
) -> String {
    if flows.is_empty() {
        return "No flow is live yet: start with the recommended pattern from the first flow.".to_owned();
    }
    if moving_count == 0 {
        if transports.stage_in_use > target {
            return format!(
                "Nothing needs to move. The stack uses a {} where stage {} ({}) would do; keep it if it is already run well, but do not add more infrastructure until the stack grows.",
                transport_name(transports.stage_in_use),
                target.number(),
                target.name()
            );
        }
        let waiting = flows.iter().filter(|f| f.transport.stage() < target && spec.flow(f.flow).replies()).count();
        return match target {
            _ if waiting > 0 => {
                let stay = format!(
                    "{} a waiting caller {}, which a {} would only lengthen",
                    if waiting == 1 {
                        "the flow that answers".to_owned()
                    } else {
                        format!("the {waiting} flows that answer")
                    },
                    if waiting == 1 { "stays a synchronous call" } else { "stay synchronous calls" },
                    transport_name(target)
                );
                let pattern = match target {
                    Stage::EventDriven => "the event-driven pattern".to_owned(),
                    _ => format!("the {} pattern or one above it", target.name()),
                };
                if flows.iter().all(|f| spec.flow(f.flow).replies()) {
                    format!(
                        "Nothing needs to move: {stay}. Build the asynchronous flows to come on the {}.",
                        transport_name(target)
                    )
                } else {
                    format!("Nothing needs to move: every asynchronous flow already uses {pattern}, and {stay}.")
                }
            }
            Stage::EventDriven => {
                "Nothing needs to move: every live flow already uses the event-driven pattern.".to_owned()
            }
            _ => format!(
                "Nothing needs to move: every live flow already uses the {} pattern or one above it.",
                target.name()
            ),
        };
    }
    let names: Vec<String> = moving_first.iter().map(|f| format!("`{}`", spec.flow(f.flow).name.value)).collect();
    let step = match (target, existing_transport(spec, target)) {
        (Stage::PointToPoint, _) => "Keep the flows direct".to_owned(),
        (_, Some(name)) => format!("Route the remaining flows through `{name}` with `via {name}`"),
        (Stage::Hub, None) => "Introduce one hub (a `kind=hub` system) and route the flows through it with `via`".to_owned(),
        (Stage::EventDriven, None) => "Introduce an event broker (a `kind=broker` system with `ha #true`), have each tool publish its events to it once, and route the flows through it with `via`".to_owned(),
    };
    let adapters = adapter_note(spec, target, flows);
    if let ([only], 1) = (names.as_slice(), moving_count) {
        return format!(
            "{step}. Only {only} still needs to move; a move is the cheapest moment to add retries, dead letters and idempotency keys.{adapters}"
        );
    }
    format!(
        "{step}. Move {} flows, one at a time, starting with {}: the flows with open findings first, since a move is the cheapest moment to add retries, dead letters and idempotency keys, then the busiest ones.{adapters}",
        moving_count,
        list_counted(&names, moving_count, 3)
    )
}

/// When the flows that move go onto a broker: which of their sources cannot
/// publish to it themselves (a SaaS tool that pushes webhooks over HTTP, a
/// browser or device on a WebSocket) and so need an adapter in front of it.
pub(super) fn adapter_note(spec: &Spec, target: Stage, flows: &[FlowUse]) -> String {
    let onto_broker = target == Stage::EventDriven
        || existing_transport(spec, target)
            .is_some_and(|name| spec.systems.iter().any(|s| s.name.value == name && s.kind() == SystemKind::Broker));
    if !onto_broker {
        return String::new();
    }
    let mut webhooks = BTreeSet::new();
    let mut sockets = BTreeSet::new();
    for f in flows.iter().filter(|f| f.transport.stage() < target && !f.reporting_only) {
        let Some(source) = spec.flow(f.flow).source_system(spec) else { continue };
        let system = spec.system(source);
        let style = system.api_style();
        match style {
            Some(crate::model::ApiStyle::Websocket) => {
                sockets.insert(format!("`{}`", system.name.value));
            }
            Some(
                crate::model::ApiStyle::Amqp
                | crate::model::ApiStyle::Kafka
                | crate::model::ApiStyle::Mqtt
                | crate::model::ApiStyle::Nats
                | crate::model::ApiStyle::Sqs,
            ) => {}
            _ if system.has_webhooks() => {
                webhooks.insert(format!("`{}`", system.name.value));
            }
            _ => {}
        }
    }
    let mut out = String::new();
    if !webhooks.is_empty() {
        let names: Vec<String> = webhooks.into_iter().collect();
        out.push_str(&format!(
            " {} push{} webhooks over HTTP and cannot publish to a broker: put an adapter in front (a webhook receiver that acknowledges, then publishes to the broker).",
            list(&names, 3),
            if names.len() == 1 { "es" } else { "" }
        ));
    }
    if !sockets.is_empty() {
        let names: Vec<String> = sockets.into_iter().collect();
        out.push_str(&format!(
            " {} speak{} WebSocket, not the broker's protocol: a gateway must bridge the sockets to the broker.",
            list(&names, 3),
            if names.len() == 1 { "s" } else { "" }
        ));
    }
    out
}

pub(super) fn reasons(spec: &Spec, plan: &Plan, wh_now: &WarehouseCall, wh_horizon: &WarehouseCall) -> Vec<Reason> {
    let mut out = Vec::new();
    let mut push = |topic, text: String| out.push(Reason { topic, text });
    let now = &plan.months[0];
    let last = &plan.months[plan.months.len() - 1];

    push(Topic::Now, stage_reason(spec, now, &plan.thresholds, "Today"));
    push(Topic::Transport, transport_reason(spec, plan));
    if let Some(text) = volume_reason(spec, plan) {
        push(Topic::Volume, text);
    }
    if plan.volume_growth != 1.0 && now.events_per_day + now.peak_per_second > 0.0 {
        push(
            Topic::Growth,
            format!(
                "Event volume grows {}x over {} months, compounding monthly: from {} to {} events a day, and from {} to {} events a second at peak.",
                rate(plan.volume_growth),
                plan.horizon_months,
                per_day_text(now),
                per_day_text(last),
                peak_text(now),
                peak_text(last)
            ),
        );
    }
    for crossing in &plan.crossings {
        push(Topic::Crossing, crossing.reason.clone());
    }
    let at = format!("By month {}", plan.horizon_months);
    if plan.crossings.is_empty() {
        push(
            Topic::Horizon,
            format!(
                "{at} no threshold is crossed: the stack has {} tools {}, so stage {} ({}) stays right.",
                last.tools,
                match last.volume {
                    VolumeKnown::Unknown => "(its event volume is unknown)".to_owned(),
                    _ => format!("and {} events a day", per_day_text(last)),
                },
                last.stage.number(),
                last.stage.name()
            ),
        );
    } else {
        push(Topic::Horizon, stage_reason(spec, last, &plan.thresholds, &at));
    }
    push(Topic::Warehouse, warehouse_reason(wh_now, wh_horizon, plan.horizon_months));
    out
}

/// Which events declare no `volume`, and what to declare; `None` when
/// every event has one. The plan does not read a missing volume as zero.
fn volume_reason(spec: &Spec, plan: &Plan) -> Option<String> {
    let missing = &plan.events_without_volume;
    if missing.is_empty() {
        return None;
    }
    let names: Vec<String> = missing.iter().take(5).map(|n| format!("`{n}`")).collect();
    let names = list_counted(&names, missing.len(), 5);
    let declare = "`volume per-day=N peak-per-second=N`";
    Some(if spec.events.iter().any(|e| e.volume.is_some()) {
        format!(
            "{} declare{} no volume ({names}), so the event volumes in this plan are a lower bound: declare {declare} on {}.",
            if missing.len() == 1 { "One event".to_owned() } else { format!("{} events", missing.len()) },
            if missing.len() == 1 { "s" } else { "" },
            if missing.len() == 1 { "it" } else { "them" }
        )
    } else {
        format!(
            "No event declares its volume, so the event volume is unknown and this plan weighs the number of tools alone: declare {declare} on {names} for the volume to count."
        )
    })
}

/// A month's events a day as a sentence says it: `12,000`, `at least
/// 12,000` when some events declare no volume, `unknown` when none does.
pub(crate) fn per_day_text(m: &Month) -> String {
    match m.volume {
        VolumeKnown::Declared => count(m.events_per_day),
        VolumeKnown::Partial => format!("at least {}", count(m.events_per_day)),
        VolumeKnown::Unknown => "unknown".to_owned(),
    }
}

/// A month's peak events a second, as `per_day_text` says the daily volume.
pub(crate) fn peak_text(m: &Month) -> String {
    match m.volume {
        VolumeKnown::Declared => rate(m.peak_per_second),
        VolumeKnown::Partial => format!("at least {}", rate(m.peak_per_second)),
        VolumeKnown::Unknown => "unknown".to_owned(),
    }
}

/// Why `month` gets its stage, opening with `when` ("Today", "By month 18").
pub(super) fn stage_reason(spec: &Spec, month: &Month, t: &Thresholds, when: &str) -> String {
    let tools: Vec<String> = {
        let mut names: Vec<String> = spec
            .systems
            .iter()
            .filter(|s| s.live_in(month.month) && s.is_tool())
            .map(|s| s.name.value.to_string())
            .collect();
        names.sort();
        names
    };
    let has = format!(
        "{when} the stack has {} tool{}{}",
        month.tools,
        if month.tools == 1 { "" } else { "s" },
        if tools.is_empty() { String::new() } else { format!(" ({})", list(&tools, 5)) }
    );
    let c = &month.connections;
    let volume = if month.events_per_day >= t.high_volume_per_day {
        Some((
            format!(
                "{} events a day, at or above the {} a day that counts as high volume",
                per_day_text(month),
                count(t.high_volume_per_day)
            ),
            volume_drivers(spec, month.month, false),
        ))
    } else if month.peak_per_second >= t.high_volume_peak_per_second {
        Some((
            format!(
                "peaks of {} events a second, at or above the {}/s that counts as high volume",
                peak_text(month),
                rate(t.high_volume_peak_per_second)
            ),
            volume_drivers(spec, month.month, true),
        ))
    } else {
        None
    };
    match (month.stage, volume) {
        (Stage::EventDriven, None) if month.tools < t.event_driven_min_tools => {
            let (flows, broker) = broker_use(spec, month.month);
            let by_tools = Stage::recommended(month.tools, false);
            format!(
                "{has}: stage 3 (event-driven), because its services already publish their events to a broker and subscribe to each other's ({} through {broker}): that is the event-driven pattern, and a hub, which calls each tool's API in turn, would couple them again. By the number of tools alone stage {} ({}) would do, but an event-driven stack is never moved back.",
                plural(flows, "flow"),
                by_tools.number(),
                by_tools.name()
            )
        }
        (Stage::EventDriven, Some((what, drivers))) if month.tools < t.event_driven_min_tools => format!(
            "{has} and moves {what}: stage 3 (event-driven), because a broker buffers bursts and redelivers what a busy target refuses, where a hub would throttle or drop events. The largest sources are {}.",
            list(&drivers, 3)
        ),
        (Stage::PointToPoint, _) => format!(
            "{has}: stage 1 (point-to-point), because with {} tools direct connections are the simplest and cheapest: even wiring every pair of the {} connected systems takes only {}.",
            tool_band(1),
            c.hub,
            c.point_to_point_potential
        ),
        (Stage::Hub, _) => format!(
            "{has}: stage 2 (hub), because with {} tools wiring every pair directly could take up to {} connections, while a hub needs {}, one per system, and keeps mappings, retries and logs in one place.",
            tool_band(2),
            c.point_to_point_potential,
            c.hub
        ),
        (Stage::EventDriven, volume) => {
            let also = volume
                .map(|(what, _)| format!(" The stack also moves {what}, which alone would call for a broker."))
                .unwrap_or_default();
            format!(
                "{has}: stage 3 (event-driven), because past {} tools a hub becomes the bottleneck and a single point of failure; with a broker each tool publishes its events once and subscribes to what it needs ({} connections instead of up to {} direct ones).{also}",
                EVENT_DRIVEN_MIN_TOOLS - 1,
                c.broker,
                c.point_to_point_potential
            )
        }
    }
}

/// How many live flows run through a broker in month `m`, and the first
/// broker by name, as "`kafka`".
fn broker_use(spec: &Spec, m: u32) -> (usize, String) {
    let mut brokers = BTreeSet::new();
    let mut flows = 0;
    for id in spec.flow_ids() {
        let Some(b) = spec.flow(id).via.as_ref().and_then(|v| v.target) else { continue };
        let broker = spec.system(b);
        if broker.kind() == SystemKind::Broker && broker.live_in(m) && super::flow_live(spec, id, m) {
            flows += 1;
            brokers.insert(broker.name.value.as_str());
        }
    }
    let names: Vec<String> = brokers.iter().map(|b| format!("`{b}`")).collect();
    (flows, list(&names, 2))
}

fn plural(n: usize, what: &str) -> String {
    crate::prose::plural(n, what)
}

pub(super) fn transport_reason(spec: &Spec, plan: &Plan) -> String {
    let t = &plan.transports;
    let total = t.point_to_point + t.hub + t.broker;
    if total == 0 {
        return "No flow is live yet, so no transport is in use.".to_owned();
    }
    let mut parts = Vec::new();
    for (n, what) in [(t.point_to_point, "point-to-point"), (t.hub, "through a hub"), (t.broker, "through a broker")] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let flows = if parts.len() == 1 {
        let what = parts[0].split_once(' ').map_or("", |(_, w)| w);
        match total {
            1 => format!("The one live flow runs {what}"),
            2 => format!("Both live flows run {what}"),
            _ => format!("All {total} live flows run {what}"),
        }
    } else {
        format!("Of the {total} live flows, {}", list(&parts, 3))
    };
    let wired = plan.months[0].connections.point_to_point_wired;
    let pairs = if wired > 0 {
        format!(", wiring {wired} pair{} of systems directly", if wired == 1 { "" } else { "s" })
    } else {
        String::new()
    };
    let target = plan.migration.target_stage;
    let moving_now = plan
        .flows_now
        .iter()
        .filter(|f| f.transport.stage() < target && !f.reporting_only && !spec.flow(f.flow).replies())
        .count();
    let grows_into = plan.months.iter().find(|m| m.stage >= t.stage_in_use).map(|m| m.month);
    let fit = if t.stage_in_use > plan.stage_now {
        match grows_into {
            Some(month) => format!(
                "; the {} is ahead of today's needs, and the stack grows into it in month {month}",
                transport_name(t.stage_in_use)
            ),
            None => format!(
                "; a {} is more infrastructure than the stack needs, even in month {}, but it already works: keep it, since moving down a stage costs a migration and gains nothing",
                transport_name(t.stage_in_use),
                plan.horizon_months
            ),
        }
    } else if moving_now > 0 {
        format!(
            "; {moving_now} of them would move to reach stage {} ({})",
            plan.migration.target_stage.number(),
            plan.migration.target_stage.name()
        )
    } else if t.point_to_point > 0 && plan.stage_now > Stage::PointToPoint {
        // Below the stage and not moving: reporting loads, or (1.2) requests
        // whose callers wait on the answer.
        let waiting = plan
            .flows_now
            .iter()
            .filter(|f| f.transport.stage() < target && !f.reporting_only && spec.flow(f.flow).replies())
            .count();
        if waiting > 0 {
            format!(
                "; {} a waiting caller, which a {} would only lengthen: {} synchronous",
                if waiting == 1 {
                    "the direct one answers".to_owned()
                } else {
                    format!("{waiting} direct ones answer")
                },
                transport_name(target),
                if waiting == 1 { "it stays" } else { "they stay" }
            )
        } else {
            "; the direct ones only feed reporting, which can stay as it is".to_owned()
        }
    } else {
        "; this fits the recommendation".to_owned()
    };
    format!("{flows}{pairs}{fit}.")
}

/// What differs between a hub and a broker beyond the connections, which
/// are equal (one per system): the grounds a move from one to the other
/// stands on, with the stack's numbers where the spec gives them.
pub(super) fn differences(spec: &Spec, plan: &Plan) -> Vec<Difference> {
    let last = &plan.months[plan.months.len() - 1];
    let writes: usize = plan.flows_now.iter().map(|f| spec.flow(f.flow).targets.len()).sum();
    let volume = match last.volume {
        VolumeKnown::Unknown => "unknown until the events declare `volume`".to_owned(),
        _ => format!("{} events a day by month {}", per_day_text(last), plan.horizon_months),
    };
    let row = |aspect: &str, hub: String, broker: String| Difference { aspect: aspect.to_owned(), hub, broker };
    vec![
        row(
            "operations",
            "one workflow runner that calls each target's API in turn, with the mappings, retries and run history in one place".to_owned(),
            "a cluster (or a managed service) that stores each message until every consumer acknowledges it; the mappings live in the consumers".to_owned(),
        ),
        row(
            "failure isolation",
            "when it is down every flow stops, and what senders push meanwhile is lost unless they retry".to_owned(),
            "a consumer that is down finds its messages waiting; the other consumers go on".to_owned(),
        ),
        row(
            "cost drivers",
            format!("runs or tasks: each write of each flow ({} now, times the events)", plural(writes, "write")),
            format!("throughput and retention: {volume}"),
        ),
        row(
            "coupling",
            "the hub knows every source and target: a new consumer is a change to the flow".to_owned(),
            "each system publishes once and subscribes to what it needs: a new consumer changes no producer".to_owned(),
        ),
    ]
}

pub(super) fn warehouse_reason(now: &WarehouseCall, horizon: &WarehouseCall, months: u32) -> String {
    let call = if now.recommended { now } else { horizon };
    if !call.recommended {
        return "No analytics tool, warehouse or lake is in the spec, and no reporting draws on several systems: a data warehouse is not needed yet.".to_owned();
    }
    let when = if now.recommended { String::new() } else { format!(" by month {months}") };
    let mut why = Vec::new();
    if !call.storage.is_empty() {
        why.push(format!(
            "{} already hold{} data for reporting",
            list(&call.storage, 3),
            if call.storage.len() == 1 { "s" } else { "" }
        ));
    }
    if !call.analytics.is_empty() {
        why.push(format!(
            "{} report{} on data from several systems",
            list(&call.analytics, 3),
            if call.analytics.len() == 1 { "s" } else { "" }
        ));
    }
    if call.feeders.len() >= 2 {
        why.push(format!("{} send data into reporting", list(&call.feeders, 4)));
    }
    format!(
        "A data warehouse is recommended{when}: {}. Load each source into it on a schedule, rather than copying reporting data between tools.",
        why.join("; ")
    )
}

/// "a", "a and b", "a, b and c", "a, b, c and 4 more"; "nothing" for none.
pub(crate) fn list(items: &[String], max: usize) -> String {
    list_counted(items, items.len(), max)
}

/// `list` of `total` items of which only the first few are given in `items`.
pub(super) fn list_counted(items: &[String], total: usize, max: usize) -> String {
    if total == 0 || items.is_empty() { "nothing".to_owned() } else { crate::prose::list(items, total, max, "and") }
}

/// A count with thousands separators: 12,000.
pub(crate) fn count(x: f64) -> String {
    let n = x.round().max(0.0) as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate: one decimal below 10 (trailing `.0` dropped), a count above.
pub(crate) fn rate(x: f64) -> String {
    if x < 10.0 {
        let s = format!("{:.1}", x);
        s.strip_suffix(".0").map_or(s.clone(), str::to_owned)
    } else {
        count(x)
    }
}
