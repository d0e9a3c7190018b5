//! The planner: which integration pattern the stack needs now and at the
//! horizon, month by month.
//!
//! `compute` reads the resolved spec (and, optionally, the diagnostics the
//! checks found) and returns a `Plan`: for every month from 0 to the horizon
//! the business tools live that month, the event volume across the stack with
//! `volume-growth` compounded monthly, and the connections each pattern would
//! need; the recommended stage (1 point-to-point, 2 hub, 3 event-driven) now
//! and at the horizon; the months in which a threshold is crossed; whether a
//! data warehouse is recommended; reasons a business reader understands; and a
//! migration note naming the flows to move first and those most at risk.
//!
//! The planner does no I/O and keeps no state: the same spec gives the same
//! plan, in a stable order. Renderers in `crate::render::plan` print it, and
//! the `stage-mismatch` check (`crate::lint::stage_mismatch`) compares its
//! recommendation with the transports in use. Its cost is linear in the spec
//! times the horizon (at most 36 months).
//!
//! It walks the months from 0 to the horizon once, counting live tools and
//! systems with `System::live_in`, summing event volumes with
//! `Spec::growth_at`, and counting direct pairs from a set computed once. The
//! diagnostics it is given are only read by owner (`Owner::Flow`) for the
//! migration note, so it works with whatever checks exist; `stage-mismatch`
//! calls it with none.
//!
//! The types the plan is made of are in `types` (they derive the JSON Schema
//! `schemas/plan.schema.json`, which a test keeps fresh:
//! `WIREPLAN_UPDATE_SCHEMAS=1 cargo test` regenerates it), the sentences it
//! says in `prose`; this module computes. Each imports by name what it uses
//! of the others.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{
    DEFAULT_HIGH_VOLUME_PEAK_PER_SECOND, DEFAULT_HIGH_VOLUME_PER_DAY, FlowId, Owner, Spec, SystemId, SystemKind,
};

pub(crate) use crate::stages::{EVENT_DRIVEN_MIN_TOOLS, HUB_MIN_TOOLS};

mod prose;
mod types;

pub(crate) use prose::{count, peak_text, per_day_text, rate};
use prose::{crossing_reason, differences, migration_note, reasons};
pub(crate) use types::{
    Connections, Crossing, Direction, FlowUse, Month, Plan, Stage, Stages, ThresholdKind, Transport, VolumeKnown,
};
use types::{Finding, FlowRisk, FlowStep, Migration, Thresholds, Transports, WarehouseCall};

/// How many flows the migration note lists in each of its lists.
const MIGRATION_LIST_LEN: usize = 5;

pub(crate) fn stages(spec: &Spec) -> Stages {
    let horizon = spec.horizon_months();
    let thresholds = thresholds(spec);
    let pairs = direct_pairs(spec);
    let now = month(spec, 0, &thresholds, &pairs);
    let stage_at_horizon = month(spec, horizon, &thresholds, &pairs).stage;
    Stages { now, stage_at_horizon, horizon_months: horizon, flows_now: flows_in(spec, 0), thresholds }
}

pub(crate) fn compute(spec: &Spec, diagnostics: &[Diagnostic]) -> Plan {
    let horizon = spec.horizon_months();
    let thresholds = thresholds(spec);
    let pairs = direct_pairs(spec);
    let months: Vec<Month> = (0..=horizon).map(|m| month(spec, m, &thresholds, &pairs)).collect();
    let (now, last) = (&months[0], &months[months.len() - 1]);
    let crossings = crossings(spec, &months, &thresholds);
    let flows_now = flows_in(spec, 0);
    let transports = transports(&flows_now);
    let warehouse_now = warehouse(spec, 0);
    let warehouse_at_horizon = warehouse(spec, horizon);
    let target_stage = now.stage.max(last.stage);
    let flows_later = flows_in(spec, horizon);
    let migration = migration(spec, diagnostics, &flows_now, &flows_later, target_stage, &transports, horizon);

    let mut plan = Plan {
        stack: spec.stack.as_ref().and_then(|s| s.name.as_ref()).map(|n| n.value.to_string()),
        horizon_months: horizon,
        volume_growth: spec.volume_growth(),
        thresholds,
        stage_now: now.stage,
        stage_at_horizon: last.stage,
        warehouse: warehouse_now.recommended || warehouse_at_horizon.recommended,
        warehouse_now: warehouse_now.recommended,
        warehouse_at_horizon: warehouse_at_horizon.recommended,
        systems_now: now.systems,
        systems_at_horizon: last.systems,
        tools_now: now.tools,
        tools_at_horizon: last.tools,
        transports,
        months,
        crossings,
        events_without_volume: events_without_volume(spec, horizon),
        reasons: Vec::new(),
        differences: Vec::new(),
        migration,
        flows_now,
    };
    plan.reasons = reasons(spec, &plan, &warehouse_now, &warehouse_at_horizon);
    plan.differences = differences(spec, &plan);
    plan
}

fn thresholds(spec: &Spec) -> Thresholds {
    let stack = spec.stack.as_ref();
    Thresholds {
        hub_min_tools: HUB_MIN_TOOLS,
        event_driven_min_tools: EVENT_DRIVEN_MIN_TOOLS,
        high_volume_per_day: stack
            .and_then(|s| s.high_volume_per_day.as_ref())
            .map_or(DEFAULT_HIGH_VOLUME_PER_DAY, |v| v.value),
        high_volume_peak_per_second: stack
            .and_then(|s| s.high_volume_peak_per_second.as_ref())
            .map_or(DEFAULT_HIGH_VOLUME_PEAK_PER_SECOND, |v| v.value),
    }
}

/// The distinct unordered pairs of endpoint systems joined by a flow
/// without `via`: the query every check shares (`crate::stages`).
fn direct_pairs(spec: &Spec) -> BTreeSet<(SystemId, SystemId)> {
    crate::stages::direct_pairs(spec).into_iter().map(|(pair, _)| pair).collect()
}

/// Keeps the first `n` items of `items` in `order`, sorted: a linear
/// selection and a sort of `n`, instead of sorting everything.
pub(crate) fn first_in_order<T>(items: &mut Vec<T>, n: usize, order: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if items.len() > n {
        if n == 0 {
            items.clear();
            return;
        }
        items.select_nth_unstable_by(n - 1, &order);
        items.truncate(n);
    }
    items.sort_by(order);
}

/// Rounds to two decimals, so that JSON carries no floating-point noise.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn month(spec: &Spec, m: u32, thresholds: &Thresholds, pairs: &BTreeSet<(SystemId, SystemId)>) -> Month {
    // The counts every check shares (`crate::stages`).
    let (tools, systems) = crate::stages::live_counts(spec, m);
    let mut joining = Vec::new();
    let mut retiring = Vec::new();
    for system in &spec.systems {
        let live = system.live_in(m);
        if m > 0 && live != system.live_in(m - 1) {
            if live { &mut joining } else { &mut retiring }.push(system.name.value.to_string());
        }
    }
    joining.sort();
    retiring.sort();
    let (per_day, peak, volume) = volume_in(spec, m);
    let high_volume = per_day >= thresholds.high_volume_per_day || peak >= thresholds.high_volume_peak_per_second;
    let wired = pairs.iter().filter(|(a, b)| spec.system(*a).live_in(m) && spec.system(*b).live_in(m)).count();
    Month {
        month: m,
        tools,
        systems,
        joining,
        retiring,
        events_per_day: per_day,
        peak_per_second: peak,
        volume,
        high_volume,
        // A stack whose services already publish to a broker is event-driven
        // whatever its size: it is never advised back to a hub.
        stage: Stage::recommended(tools, high_volume).max(if event_driven_in(spec, m) {
            Stage::EventDriven
        } else {
            Stage::PointToPoint
        }),
        connections: Connections {
            point_to_point_wired: u32_of(wired),
            point_to_point_potential: u64::from(systems) * u64::from(systems.saturating_sub(1)) / 2,
            hub: systems,
            broker: systems,
        },
    }
}

/// Whether system `id` publishes to a broker itself: a service of your own
/// (`kind=custom`), one whose `api` is a messaging protocol, or one without
/// webhooks (its events reach the broker only if it publishes them). A
/// SaaS tool that pushes webhooks needs an adapter in front of a broker,
/// and a broker it feeds is not yet an event-driven stack.
pub(crate) fn publishes_itself(spec: &Spec, id: SystemId) -> bool {
    let system = spec.system(id);
    let style = system.api_style();
    system.kind() == SystemKind::Custom || !system.has_webhooks() || style.is_some_and(|s| s.is_messaging())
}

/// Whether the stack runs event-driven in month `m`: a live flow runs
/// through a live broker from a system that publishes to it itself (a
/// service, a stream processor, a saga participant). Such a stack stays at
/// stage 3 whatever its size: its services are built to publish and
/// subscribe, and a hub would couple them again. One pass over the flows.
pub(crate) fn event_driven_in(spec: &Spec, m: u32) -> bool {
    spec.flow_ids().any(|id| {
        let flow = spec.flow(id);
        flow.via
            .as_ref()
            .and_then(|v| v.target)
            .is_some_and(|b| spec.system(b).kind() == SystemKind::Broker && spec.system(b).live_in(m))
            && flow_live(spec, id, m)
            && flow.source_system(spec).is_some_and(|s| publishes_itself(spec, s))
    })
}

/// Events a day and peak events a second across the stack in month `m`:
/// every event whose producer is live, times the growth reached that month;
/// and how many of those events declare their volume.
fn volume_in(spec: &Spec, m: u32) -> (f64, f64, VolumeKnown) {
    let growth = spec.growth_at(m);
    let (mut per_day, mut peak) = (0.0, 0.0);
    let (mut live, mut declared) = (0usize, 0usize);
    for event in &spec.events {
        if producer_live(spec, event, m) {
            live += 1;
            declared += usize::from(event.volume.is_some());
            per_day += event.per_day();
            peak += event.peak_per_second();
        }
    }
    let known = if declared == live {
        VolumeKnown::Declared
    } else if declared == 0 {
        VolumeKnown::Unknown
    } else {
        VolumeKnown::Partial
    };
    (round2(per_day * growth), round2(peak * growth), known)
}

/// The events without a `volume` whose producer is live in some month up
/// to the horizon, in spec order.
fn events_without_volume(spec: &Spec, horizon: u32) -> Vec<String> {
    spec.events
        .iter()
        .filter(|e| e.volume.is_none())
        .filter(|e| {
            e.from.as_ref().and_then(|f| f.target).is_some_and(|s| (0..=horizon).any(|m| spec.system(s).live_in(m)))
        })
        .map(|e| e.name.value.to_string())
        .collect()
}

fn producer_live(spec: &Spec, event: &crate::model::Event, m: u32) -> bool {
    event.from.as_ref().and_then(|f| f.target).is_some_and(|s| spec.system(s).live_in(m))
}

/// The events with the most volume in month `m`, as "name from system (N a day)".
fn volume_drivers(spec: &Spec, m: u32, by_peak: bool) -> Vec<String> {
    let growth = spec.growth_at(m);
    let mut events: Vec<(f64, &str, &str)> = spec
        .events
        .iter()
        .filter(|e| producer_live(spec, e, m))
        .filter_map(|e| {
            let value = if by_peak { e.peak_per_second() } else { e.per_day() } * growth;
            let from = spec.system(e.from.as_ref()?.target?).name.value.as_str();
            (value > 0.0).then_some((value, e.name.value.as_str(), from))
        })
        .collect();
    events.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    events
        .iter()
        .take(3)
        .map(|(value, name, from)| {
            if by_peak {
                format!("{name} from {from} ({}/s)", rate(*value))
            } else {
                format!("{name} from {from} ({} a day)", count(*value))
            }
        })
        .collect()
}

fn crossings(spec: &Spec, months: &[Month], t: &Thresholds) -> Vec<Crossing> {
    let mut out = Vec::new();
    for pair in months.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        let checks = [
            (ThresholdKind::HubTools, f64::from(before.tools), f64::from(after.tools), f64::from(t.hub_min_tools)),
            (
                ThresholdKind::EventDrivenTools,
                f64::from(before.tools),
                f64::from(after.tools),
                f64::from(t.event_driven_min_tools),
            ),
            (ThresholdKind::DailyVolume, before.events_per_day, after.events_per_day, t.high_volume_per_day),
            (ThresholdKind::PeakVolume, before.peak_per_second, after.peak_per_second, t.high_volume_peak_per_second),
        ];
        for (kind, was, is, limit) in checks {
            let direction = match (was >= limit, is >= limit) {
                (false, true) => Direction::Up,
                (true, false) => Direction::Down,
                _ => continue,
            };
            out.push(Crossing {
                month: after.month,
                threshold: kind,
                direction,
                value: is,
                limit,
                stage_before: before.stage,
                stage_after: after.stage,
                reason: crossing_reason(spec, before, after, kind, direction, t),
            });
        }
    }
    out
}

/// Whether a flow runs in month `m`: its source and one of its targets are live.
fn flow_live(spec: &Spec, id: FlowId, m: u32) -> bool {
    let flow = spec.flow(id);
    flow.source_system(spec).is_some_and(|s| spec.system(s).live_in(m))
        && flow.targets.iter().filter_map(|t| t.system.target).any(|t| spec.system(t).live_in(m))
}

/// The flows live in month `m`, with their transport.
fn flows_in(spec: &Spec, m: u32) -> Vec<FlowUse> {
    let mut out = Vec::new();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        if !flow_live(spec, id, m) {
            continue;
        }
        let targets: Vec<SystemId> = flow.targets.iter().filter_map(|t| t.system.target).collect();
        let transport = match flow.via.as_ref() {
            None => Transport::PointToPoint,
            Some(via) => match via.target.map(|s| spec.system(s).kind()) {
                Some(SystemKind::Broker) => Transport::Broker,
                _ => Transport::Hub,
            },
        };
        let reporting_only = targets.iter().all(|t| !source_is_business(spec, *t));
        out.push(FlowUse { flow: id, transport, reporting_only });
    }
    out
}

fn transports(flows: &[FlowUse]) -> Transports {
    let by = |t: Transport| u32_of(flows.iter().filter(|f| f.transport == t).count());
    let stage_in_use = flows.iter().map(|f| f.transport.stage()).max().unwrap_or(Stage::PointToPoint);
    Transports {
        point_to_point: by(Transport::PointToPoint),
        hub: by(Transport::Hub),
        broker: by(Transport::Broker),
        stage_in_use,
    }
}

fn warehouse(spec: &Spec, m: u32) -> WarehouseCall {
    let live_of = |kinds: &dyn Fn(SystemKind) -> bool| -> Vec<String> {
        let mut names: Vec<String> =
            spec.systems.iter().filter(|s| s.live_in(m) && kinds(s.kind())).map(|s| s.name.value.to_string()).collect();
        names.sort();
        names
    };
    let storage = live_of(&|k| k.is_storage());
    let analytics = live_of(&|k| k == SystemKind::Analytics);
    let mut feeders = BTreeSet::new();
    for flow in &spec.flows {
        let Some(source) = flow.source_system(spec) else { continue };
        let reporting = flow.targets.iter().filter_map(|t| t.system.target).any(|t| {
            let target = spec.system(t);
            target.live_in(m) && (target.kind().is_storage() || target.kind() == SystemKind::Analytics)
        });
        if reporting && spec.system(source).live_in(m) && source_is_business(spec, source) {
            feeders.insert(spec.system(source).name.value.to_string());
        }
    }
    let feeders: Vec<String> = feeders.into_iter().collect();
    let recommended = !storage.is_empty() || !analytics.is_empty() || feeders.len() >= 2;
    WarehouseCall { recommended, storage, analytics, feeders }
}

fn source_is_business(spec: &Spec, id: SystemId) -> bool {
    let kind = spec.system(id).kind();
    !kind.is_storage() && kind != SystemKind::Analytics
}

fn migration(
    spec: &Spec,
    diagnostics: &[Diagnostic],
    flows_now: &[FlowUse],
    flows_later: &[FlowUse],
    target: Stage,
    transports: &Transports,
    horizon: u32,
) -> Migration {
    // Findings by flow, in output order.
    let mut findings: BTreeMap<FlowId, Vec<&Diagnostic>> = BTreeMap::new();
    for d in diagnostics {
        for owner in d.owners() {
            if let Owner::Flow(id) = owner {
                findings.entry(id).or_default().push(d);
            }
        }
    }
    let weight = |id: FlowId| -> (u32, u32, u32) {
        let mut w = (0, 0, 0);
        for d in findings.get(&id).map_or(&[][..], |v| v.as_slice()) {
            match d.severity {
                Severity::Error => w.0 += 1,
                Severity::Warning => w.1 += 1,
                Severity::Info => w.2 += 1,
            }
        }
        w
    };

    let growth = spec.growth_at(horizon);
    let peak_of = |id: FlowId| -> f64 {
        let peak = match spec.flow(id).trigger.as_ref().map(|t| &t.kind) {
            Some(crate::model::TriggerKind::On { event }) => {
                event.target.map_or(0.0, |e| spec.event(e).peak_per_second())
            }
            _ => 0.0,
        };
        peak * growth
    };
    let critical =
        |id: FlowId| {
            spec.flow(id).targets.iter().filter_map(|t| t.system.target).any(|t| {
                spec.system(t).criticality.as_ref().is_some_and(|c| c.value == crate::model::Criticality::High)
            })
        };

    // The flows live now, then those that go live by the horizon: those are
    // best built on the target pattern from the start.
    let live_now: BTreeSet<FlowId> = flows_now.iter().map(|f| f.flow).collect();
    let later = |id: FlowId| !live_now.contains(&id);
    // Live flows first; among them the most findings, then the most traffic,
    // then critical targets, then by name. Only the first few are listed, so
    // they are picked out (linear) rather than all sorted; each flow's sort
    // key is computed once.
    let mut moving: Vec<_> = flows_now
        .iter()
        .chain(flows_later.iter().filter(|f| later(f.flow)))
        .filter(|f| f.transport.stage() < target && !f.reporting_only)
        // (1.2) A request whose caller waits for the `reply` stays synchronous:
        // only what is asynchronous moves, to a broker or to a hub.
        .filter(|f| !spec.flow(f.flow).replies())
        .map(|f| (later(f.flow), weight(f.flow), peak_of(f.flow), critical(f.flow), f))
        .collect();
    let moving_count = moving.len();
    first_in_order(&mut moving, MIGRATION_LIST_LEN, |a, b| {
        a.0.cmp(&b.0)
            .then_with(|| b.1.cmp(&a.1))
            .then_with(|| b.2.total_cmp(&a.2))
            .then_with(|| b.3.cmp(&a.3))
            .then_with(|| spec.flow(a.4.flow).name.value.cmp(&spec.flow(b.4.flow).name.value))
            .then_with(|| a.4.flow.cmp(&b.4.flow))
    });
    let moving: Vec<&FlowUse> = moving.into_iter().map(|m| m.4).collect();
    let move_first = moving
        .iter()
        .map(|f| {
            let mut why = Vec::new();
            let (errors, warnings, _) = weight(f.flow);
            if errors + warnings > 0 {
                // The rules of the findings counted: errors and warnings.
                let rules: BTreeSet<&str> =
                    findings[&f.flow].iter().filter(|d| d.severity != Severity::Info).map(|d| d.rule.name).collect();
                why.push(format!(
                    "{} open finding{} ({})",
                    errors + warnings,
                    if errors + warnings == 1 { "" } else { "s" },
                    rules.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
            let peak = peak_of(f.flow);
            if peak > 0.0 {
                why.push(format!("{}/s at peak by month {horizon}", rate(peak)));
            }
            if critical(f.flow) {
                why.push("writes into a high-criticality system".to_owned());
            }
            if let Some(month) = (0..=horizon).find(|m| later(f.flow) && flow_live(spec, f.flow, *m)) {
                why.insert(0, format!("goes live in month {month}, so build it on the new pattern"));
            }
            if why.is_empty() {
                why.push(format!("still {}", f.transport_phrase()));
            }
            FlowStep { flow: spec.flow(f.flow).name.value.to_string(), transport: f.transport, why: why.join("; ") }
        })
        .collect();

    let mut risky: Vec<((u32, u32, u32), FlowId)> =
        findings.keys().map(|&id| (weight(id), id)).filter(|(w, _)| *w != (0, 0, 0)).collect();
    first_in_order(&mut risky, MIGRATION_LIST_LEN, |a, b| {
        b.0.cmp(&a.0).then_with(|| spec.flow(a.1).name.value.cmp(&spec.flow(b.1).name.value)).then(a.1.cmp(&b.1))
    });
    let at_risk = risky
        .into_iter()
        .map(|(_, id)| {
            let (errors, warnings, infos) = weight(id);
            FlowRisk {
                flow: spec.flow(id).name.value.to_string(),
                errors,
                warnings,
                infos,
                findings: findings[&id]
                    .iter()
                    .map(|d| Finding { rule: d.rule.name.to_owned(), severity: d.severity, message: d.message.clone() })
                    .collect(),
            }
        })
        .collect();

    let note = migration_note(spec, target, transports, &moving, moving_count, flows_now);
    Migration { target_stage: target, note, move_first, flows_to_move: u32_of(moving_count), at_risk }
}

impl FlowUse {
    fn transport_phrase(&self) -> &'static str {
        match self.transport {
            Transport::PointToPoint => "wired point-to-point",
            Transport::Hub => "routed through a hub",
            Transport::Broker => "on a broker",
        }
    }
}

/// The transport already in the spec and live now that serves `stage`: a
/// broker for stage 3, a hub (or else a broker) for stage 2. The first by name.
pub(crate) fn existing_transport(spec: &Spec, stage: Stage) -> Option<String> {
    let first = |kind: SystemKind| {
        spec.systems.iter().filter(|s| s.kind() == kind && s.live_in(0)).map(|s| s.name.value.to_string()).min()
    };
    match stage {
        Stage::PointToPoint => None,
        Stage::Hub => first(SystemKind::Hub).or_else(|| first(SystemKind::Broker)),
        Stage::EventDriven => first(SystemKind::Broker),
    }
}

fn transport_name(stage: Stage) -> &'static str {
    match stage {
        Stage::PointToPoint => "direct connection",
        Stage::Hub => "hub",
        Stage::EventDriven => "broker",
    }
}

#[cfg(test)]
mod tests;
