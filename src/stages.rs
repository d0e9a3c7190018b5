//! The one source of truth for stages: the thresholds that decide them, and
//! the queries over the model that every check, the planner and every
//! renderer count with (tools live in a month, direct pairs, wiring).
//!
//! `p2p-sprawl`, `stage-mismatch` and `wireplan plan` all read these, so
//! `check` never advises a hub where `plan` says point-to-point is right,
//! and every sentence about a threshold takes its numbers from here.

use std::collections::HashSet;

use crate::model::{FlowId, Spec, SystemId};

/// The fewest tools for which a hub is recommended (stage 2).
pub(crate) const HUB_MIN_TOOLS: u32 = 4;
/// The fewest tools for which an event broker is recommended (stage 3).
pub(crate) const EVENT_DRIVEN_MIN_TOOLS: u32 = 10;
/// The most tools that stage 1 wires directly: one below a hub's minimum.
pub(crate) const MAX_DIRECT_TOOLS: u32 = HUB_MIN_TOOLS - 1;

/// "1 to 3", "4 to 9", "10 or more": the tool band of stage `n` (1, 2 or 3).
pub(crate) fn tool_band(stage: u8) -> String {
    match stage {
        1 => format!("1 to {MAX_DIRECT_TOOLS}"),
        2 => format!("{HUB_MIN_TOOLS} to {}", EVENT_DRIVEN_MIN_TOOLS - 1),
        _ => format!("{EVENT_DRIVEN_MIN_TOOLS} or more"),
    }
}

/// Systems that patterns connect: everything but hubs and brokers.
pub(crate) fn is_endpoint(spec: &Spec, id: SystemId) -> bool {
    !spec.system(id).is_transport()
}

/// What is live in month `month` (0 = now): business tools, and endpoint
/// systems (the systems the patterns connect: tools, warehouses, lakes).
pub(crate) fn live_counts(spec: &Spec, month: u32) -> (u32, u32) {
    let (mut tools, mut systems) = (0u32, 0u32);
    for id in spec.system_ids() {
        let system = spec.system(id);
        if system.live_in(month) {
            tools += u32::from(system.is_tool());
            systems += u32::from(is_endpoint(spec, id));
        }
    }
    (tools, systems)
}

/// The distinct unordered pairs of endpoint systems joined by a flow without
/// `via`, each with the first flow that wires it, in flow order. Linear: one
/// pass over the flows' targets and a hash set.
pub(crate) fn direct_pairs(spec: &Spec) -> Vec<((SystemId, SystemId), FlowId)> {
    let mut seen = HashSet::new();
    let mut pairs = Vec::new();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        if !flow.is_point_to_point() {
            continue;
        }
        let Some(source) = flow.source_system(spec) else { continue };
        for target in flow.targets.iter().filter_map(|t| t.system.target) {
            if target != source && is_endpoint(spec, source) && is_endpoint(spec, target) {
                let pair = (source.min(target), source.max(target));
                if seen.insert(pair) {
                    pairs.push((pair, id));
                }
            }
        }
    }
    pairs
}

/// Point-to-point wiring among the systems live in one month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wiring {
    /// Business tools with at least one direct connection.
    pub(crate) tools: usize,
    /// Endpoint systems (tools, warehouses, lakes) with a direct connection.
    pub(crate) systems: usize,
    /// Direct pairs between live systems.
    pub(crate) pairs: usize,
}

/// The wiring of `pairs` (from `direct_pairs`) in month `month`.
pub(crate) fn wiring(spec: &Spec, pairs: &[((SystemId, SystemId), FlowId)], month: u32) -> Wiring {
    let live = |s: SystemId| spec.system(s).live_in(month);
    let mut systems = HashSet::new();
    let mut count = 0;
    for &((a, b), _) in pairs {
        if live(a) && live(b) {
            count += 1;
            systems.insert(a);
            systems.insert(b);
        }
    }
    let tools = systems.iter().filter(|s| spec.system(**s).is_tool()).count();
    Wiring { tools, systems: systems.len(), pairs: count }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule docs and summaries are static text: they must say what these
    /// constants say.
    #[test]
    fn the_texts_about_thresholds_agree_with_them() {
        let stage_mismatch = crate::lint::find("stage-mismatch").map(|r| r.doc()).unwrap_or_default();
        for band in [tool_band(1), tool_band(2), tool_band(3)] {
            assert!(stage_mismatch.contains(&format!("{band} tools")), "stage-mismatch's doc lacks {band}");
        }
        let sprawl = crate::lint::find("p2p-sprawl").map_or("", |r| r.summary);
        assert!(sprawl.contains(&format!("more than {MAX_DIRECT_TOOLS} tools")), "{sprawl}");
        assert_eq!(tool_band(1), "1 to 3");
        assert_eq!(tool_band(2), "4 to 9");
        assert_eq!(tool_band(3), "10 or more");
    }
}
