//! Printing a `Plan`: a short human report, Markdown for a PR or wiki, JSON
//! for tools, and one self-contained HTML page.
//!
//! Every renderer is pure: plan (and, for HTML, the spec and its findings) in,
//! text out. The CLI writes the text where it belongs. The helpers here decide
//! what the text and Markdown reports share: which months a table shows and
//! how labels read.

pub(crate) mod html;
pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod markdown;
mod svg;

use crate::plan::{Crossing, Direction, Month, Plan, Stage, ThresholdKind};

/// One month's row of the connections table, cell by cell (month, tools,
/// events a day, peak a second, point-to-point wired and every pair, hub,
/// broker, stage), for every format to lay out its own way.
/// A month's row of the connections table. A hub and a broker each need
/// one connection per system, so they share a column; what differs between
/// them is the plan's `differences`.
pub(crate) fn month_cells(m: &Month) -> [String; 8] {
    let c = &m.connections;
    [
        m.month.to_string(),
        m.tools.to_string(),
        crate::plan::per_day_text(m),
        crate::plan::peak_text(m),
        c.point_to_point_wired.to_string(),
        c.point_to_point_potential.to_string(),
        c.hub.to_string(),
        m.stage.number().to_string(),
    ]
}

/// The months a table shows: now, the horizon, every month in which the
/// tools or the stage change, and every sixth month for the trend.
pub(crate) fn table_months(plan: &Plan) -> Vec<&Month> {
    let last = plan.horizon_months;
    plan.months
        .iter()
        .enumerate()
        .filter(|(i, m)| {
            let changed = *i > 0 && {
                let before = &plan.months[i - 1];
                before.tools != m.tools || before.stage != m.stage
            };
            m.month == 0 || m.month == last || m.month.is_multiple_of(6) || changed
        })
        .map(|(_, m)| m)
        .collect()
}

/// "stage 2 (hub)".
pub(crate) fn stage_label(stage: Stage) -> String {
    format!("stage {} ({})", stage.number(), stage.name())
}

/// "10 tools", "100,000 events a day", "50 events/s at peak".
pub(crate) fn threshold_label(kind: ThresholdKind, limit: f64) -> String {
    match kind {
        ThresholdKind::HubTools | ThresholdKind::EventDrivenTools => format!("{} tools", crate::plan::count(limit)),
        ThresholdKind::DailyVolume => format!("{} events a day", crate::plan::count(limit)),
        ThresholdKind::PeakVolume => format!("{} events/s at peak", crate::plan::rate(limit)),
    }
}

/// "reaches 10 tools" or "falls below 4 tools".
pub(crate) fn crossing_label(c: &Crossing) -> String {
    let verb = match c.direction {
        Direction::Up => "reaches",
        Direction::Down => "falls below",
    };
    format!("{verb} {}", threshold_label(c.threshold, c.limit))
}

/// The stage change of a crossing: "hub → event-driven" or "stays hub".
pub(crate) fn stage_change(c: &Crossing) -> String {
    if c.stage_before == c.stage_after {
        format!("stays {}", c.stage_after.name())
    } else {
        format!("{} → {}", c.stage_before.name(), c.stage_after.name())
    }
}

/// "1 error, 2 warnings".
pub(crate) fn severity_counts(errors: u32, warnings: u32, infos: u32) -> String {
    crate::prose::severity_counts(errors as usize, warnings as usize, infos as usize)
}

/// The plan's headline: "Integration plan for acme: 18-month horizon, volumes 3x".
pub(crate) fn title(plan: &Plan) -> String {
    let name = plan.stack.as_deref().map(|n| format!(" for {n}")).unwrap_or_default();
    let growth = if plan.volume_growth == 1.0 {
        String::new()
    } else {
        format!(", volumes {}x", crate::plan::rate(plan.volume_growth))
    };
    format!("Integration plan{name}: {}-month horizon{growth}", plan.horizon_months)
}
