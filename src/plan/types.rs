//! The plan's types: what `compute` returns and the renderers print. Their
//! field order is their output order, and they derive the JSON Schema of
//! `wireplan plan --format json`.

use schemars::JsonSchema;
use serde::Serialize;

use crate::diagnostic::Severity;
use crate::model::FlowId;
use crate::stages::{EVENT_DRIVEN_MIN_TOOLS, HUB_MIN_TOOLS, tool_band};

/// An integration pattern, in the order a growing stack adopts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Stage {
    /// Stage 1: tools call each other directly.
    PointToPoint,
    /// Stage 2: every tool connects once, to a hub (Zapier, Make, Node-RED).
    Hub,
    /// Stage 3: tools publish events to a broker and subscribe to what they need.
    EventDriven,
}

impl Stage {
    pub(crate) fn number(self) -> u8 {
        match self {
            Stage::PointToPoint => 1,
            Stage::Hub => 2,
            Stage::EventDriven => 3,
        }
    }

    /// The pattern's name, as a reader would say it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::PointToPoint => "point-to-point",
            Stage::Hub => "hub",
            Stage::EventDriven => "event-driven",
        }
    }

    /// The stage for `tools` live tools, or stage 3 for high volume.
    pub(crate) fn recommended(tools: u32, high_volume: bool) -> Stage {
        if high_volume || tools >= EVENT_DRIVEN_MIN_TOOLS {
            Stage::EventDriven
        } else if tools >= HUB_MIN_TOOLS {
            Stage::Hub
        } else {
            Stage::PointToPoint
        }
    }
}

impl Serialize for Stage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.number())
    }
}

impl JsonSchema for Stage {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Stage".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let description = format!(
            "An integration pattern: 1 point-to-point ({} tools), 2 hub ({} tools), 3 event-driven ({} tools, or high volume).",
            tool_band(1),
            tool_band(2),
            tool_band(3)
        );
        schemars::json_schema!({
            "description": description,
            "type": "integer",
            "minimum": 1,
            "maximum": 3
        })
    }
}

/// How a flow reaches its targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Transport {
    /// No `via`: the source calls the target directly.
    PointToPoint,
    /// `via` a hub.
    Hub,
    /// `via` a broker.
    Broker,
}

impl Transport {
    /// The stage this transport belongs to.
    pub(crate) fn stage(self) -> Stage {
        match self {
            Transport::PointToPoint => Stage::PointToPoint,
            Transport::Hub => Stage::Hub,
            Transport::Broker => Stage::EventDriven,
        }
    }
}

/// The plan for a spec. Field order is output order.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Plan {
    /// The stack's name, when the spec gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub(crate) stack: Option<String>,
    /// The planning horizon in months (`stack { horizon months=N }`, default 18).
    pub(crate) horizon_months: u32,
    /// The factor event volumes reach at the horizon (`volume-growth`, default 1.0).
    pub(crate) volume_growth: f64,
    pub(crate) thresholds: Thresholds,
    /// The recommended stage now (month 0).
    pub(crate) stage_now: Stage,
    /// The recommended stage at the horizon.
    pub(crate) stage_at_horizon: Stage,
    /// Whether a data warehouse is recommended now or at the horizon.
    pub(crate) warehouse: bool,
    pub(crate) warehouse_now: bool,
    pub(crate) warehouse_at_horizon: bool,
    /// Live systems that the patterns connect (every kind but hub and broker), now.
    pub(crate) systems_now: u32,
    /// Live systems that the patterns connect, at the horizon.
    pub(crate) systems_at_horizon: u32,
    /// Live business tools now (every kind but hub, broker, warehouse and lake).
    pub(crate) tools_now: u32,
    /// Live business tools at the horizon.
    pub(crate) tools_at_horizon: u32,
    /// The transports the live flows use now.
    pub(crate) transports: Transports,
    /// One entry per month, from 0 (now) to the horizon.
    pub(crate) months: Vec<Month>,
    /// Every month in which a threshold is crossed, in month order.
    pub(crate) crossings: Vec<Crossing>,
    /// The events that declare no `volume` (whose producer is live in some
    /// month up to the horizon), in spec order: what to declare for the
    /// volume to count.
    pub(crate) events_without_volume: Vec<String>,
    /// Why: sentences tied to the spec, in reading order.
    pub(crate) reasons: Vec<Reason>,
    /// What differs between a hub and a broker for this stack beyond the
    /// connections (each needs one per system, so the table's counts are
    /// equal): operations, failure isolation, cost drivers and coupling,
    /// with the stack's own numbers where the spec gives them.
    pub(crate) differences: Vec<Difference>,
    pub(crate) migration: Migration,
    /// The live flows now and their transports, for the `stage-mismatch` check.
    #[serde(skip)]
    pub(crate) flows_now: Vec<FlowUse>,
}

/// One way a hub and a broker differ, for the plan's comparison.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct Difference {
    /// What is compared: `operations`, `failure isolation`, `cost drivers`
    /// or `coupling`.
    pub(crate) aspect: String,
    /// How it is with a hub.
    pub(crate) hub: String,
    /// How it is with a broker.
    pub(crate) broker: String,
}

/// The limits the stages are decided by.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Thresholds {
    /// Stage 2 (hub) from this many tools.
    pub(crate) hub_min_tools: u32,
    /// Stage 3 (event-driven) from this many tools.
    pub(crate) event_driven_min_tools: u32,
    /// Stage 3 from this many events a day across the stack (`stack { high-volume per-day=N }`).
    pub(crate) high_volume_per_day: f64,
    /// Stage 3 from this peak of events a second across the stack (`stack { high-volume peak-per-second=N }`).
    pub(crate) high_volume_peak_per_second: f64,
}

/// Counts of the flows live now, by transport.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Transports {
    pub(crate) point_to_point: u32,
    pub(crate) hub: u32,
    pub(crate) broker: u32,
    /// The highest stage whose transport carries a live flow (1 when there are no flows).
    pub(crate) stage_in_use: Stage,
}

/// A live flow now and how it travels.
#[derive(Clone, Debug)]
pub(crate) struct FlowUse {
    pub(crate) flow: FlowId,
    pub(crate) transport: Transport,
    /// Every target is a warehouse, lake or analytics tool: a reporting load,
    /// which stays as it is whatever the integration pattern.
    pub(crate) reporting_only: bool,
}

/// One month of the projection.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Month {
    /// 0 is now.
    pub(crate) month: u32,
    /// Business tools live this month.
    pub(crate) tools: u32,
    /// Systems the patterns connect (every kind but hub and broker) live this month.
    pub(crate) systems: u32,
    /// Systems that start counting this month (`planned in-months`).
    pub(crate) joining: Vec<String>,
    /// Systems that stop counting this month (`retires in-months`).
    pub(crate) retiring: Vec<String>,
    /// Events a day across the stack: the events of live producers, times growth.
    pub(crate) events_per_day: f64,
    /// The sum of the events' peaks a second, times growth.
    pub(crate) peak_per_second: f64,
    /// How much of that volume the spec declares: `declared` (every live
    /// event has a `volume`, or there are no events), `partial` (the two
    /// numbers above are a lower bound), `unknown` (no live event has one:
    /// the numbers above are 0 for want of data, not a measurement).
    pub(crate) volume: VolumeKnown,
    /// Whether the volume alone calls for stage 3.
    pub(crate) high_volume: bool,
    /// The stage recommended for this month.
    pub(crate) stage: Stage,
    pub(crate) connections: Connections,
}

/// How much of a month's event volume the spec declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum VolumeKnown {
    /// Every live event declares a `volume` (or there are no events).
    Declared,
    /// Some do: the totals are a lower bound.
    Partial,
    /// None does: the volume is unknown.
    Unknown,
}

/// The connections each pattern needs in a month.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Connections {
    /// Distinct pairs of live systems joined by flows without `via`.
    pub(crate) point_to_point_wired: u32,
    /// n(n-1)/2 for n live systems: every pair wired directly.
    pub(crate) point_to_point_potential: u64,
    /// One connection per system to a hub.
    pub(crate) hub: u32,
    /// One connection per system to a broker.
    pub(crate) broker: u32,
}

/// Which limit a crossing is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ThresholdKind {
    /// 4 tools: a hub pays off.
    HubTools,
    /// 10 tools: a hub becomes the bottleneck.
    EventDrivenTools,
    /// The high-volume events a day.
    DailyVolume,
    /// The high-volume peak of events a second.
    PeakVolume,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Direction {
    Up,
    Down,
}

/// A month in which a threshold is crossed.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Crossing {
    pub(crate) month: u32,
    pub(crate) threshold: ThresholdKind,
    pub(crate) direction: Direction,
    /// The measured value that month (tools, events a day or events a second).
    pub(crate) value: f64,
    /// The threshold.
    pub(crate) limit: f64,
    pub(crate) stage_before: Stage,
    pub(crate) stage_after: Stage,
    /// What happens, in a sentence.
    pub(crate) reason: String,
}

/// What a reason explains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Topic {
    /// The stage recommended now.
    Now,
    /// The transports in use and how they fit.
    Transport,
    /// Volume growth.
    Growth,
    /// Events that declare no volume, and what to declare.
    Volume,
    /// A threshold crossed before the horizon.
    Crossing,
    /// The stage recommended at the horizon.
    Horizon,
    /// The data-warehouse decision.
    Warehouse,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Reason {
    pub(crate) topic: Topic,
    pub(crate) text: String,
}

/// What to do to reach the recommended pattern.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Migration {
    /// The stage to plan for: the higher of now and the horizon.
    pub(crate) target_stage: Stage,
    /// One paragraph: what to change, in what order.
    pub(crate) note: String,
    /// The flows to move first, most urgent first.
    pub(crate) move_first: Vec<FlowStep>,
    /// How many flows would move in all.
    pub(crate) flows_to_move: u32,
    /// The flows with the most serious findings, worst first.
    pub(crate) at_risk: Vec<FlowRisk>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct FlowStep {
    pub(crate) flow: String,
    pub(crate) transport: Transport,
    /// Why this one early, in a phrase.
    pub(crate) why: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct FlowRisk {
    pub(crate) flow: String,
    pub(crate) errors: u32,
    pub(crate) warnings: u32,
    pub(crate) infos: u32,
    /// The findings on the flow, in output order.
    pub(crate) findings: Vec<Finding>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Finding {
    pub(crate) rule: String,
    pub(crate) severity: Severity,
    pub(crate) message: String,
}

/// Computes the plan. `diagnostics` are the findings of the checks (possibly
/// none); those about a flow feed the migration note.
/// The part of the plan that says which stage fits now and at the horizon,
/// without the month-by-month table, the migration and the reasons: what
/// the `stage-mismatch` check needs, computed by the same code as `compute`.
pub(crate) struct Stages {
    pub(crate) thresholds: Thresholds,
    pub(crate) now: Month,
    pub(crate) stage_at_horizon: Stage,
    pub(crate) horizon_months: u32,
    pub(crate) flows_now: Vec<FlowUse>,
}

/// The data-warehouse decision for one month, with what drives it.
pub(super) struct WarehouseCall {
    pub(super) recommended: bool,
    /// Live warehouses and lakes.
    pub(super) storage: Vec<String>,
    /// Live analytics tools.
    pub(super) analytics: Vec<String>,
    /// Live systems whose data flows into a warehouse, lake or analytics tool.
    pub(super) feeders: Vec<String>,
}
