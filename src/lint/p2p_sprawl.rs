//! `p2p-sprawl`: more than three systems wired to each other directly.
//!
//! Counts the distinct unordered pairs of systems joined by a flow without
//! `via`, and the systems they touch, among systems live now (month 0) and
//! at the horizon. One finding for the whole spec. Linear: one pass over the
//! system graph's edges and a hash set of pairs.

use std::collections::HashSet;

use super::util::{name_list, plural};
use super::{Context, declare_rule};
use crate::diagnostic::Diagnostic;
use crate::model::{FlowId, Owner, Spec, SystemId};

declare_rule! {
    /// ## What it finds
    ///
    /// More than three systems connected point to point (flows without
    /// `via`), either now or at the planning horizon. The finding gives the
    /// counts for both: the systems, the pairs actually wired, the
    /// n(n-1)/2 pairs such wiring grows towards, and the n connections a hub
    /// or broker would need instead.
    ///
    /// ## Why it matters
    ///
    /// Every direct connection is its own code, credentials, retries and
    /// monitoring. Their number grows with the square of the systems, and
    /// each new tool has to be wired to all the others.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "crm" kind=crm
    /// system "shop" kind=ecommerce
    /// system "mail" kind=email
    /// system "books" kind=accounting
    /// event "order.paid" from=shop version=1
    /// flow "order-to-crm" {
    ///     on "order.paid"
    ///     to crm action=upsert
    ///     to mail action=upsert
    ///     to books action=upsert
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Route the flows through a hub (or a broker for event volumes).
    ///
    /// ```kdl
    /// system "crm" kind=crm
    /// system "shop" kind=ecommerce
    /// system "mail" kind=email
    /// system "books" kind=accounting
    /// system "zapier" kind=hub
    /// event "order.paid" from=shop version=1
    /// flow "order-to-crm" {
    ///     on "order.paid"
    ///     via zapier
    ///     to crm action=upsert
    ///     to mail action=upsert
    ///     to books action=upsert
    /// }
    /// ```
    pub(crate) static P2P_SPRAWL = {
        name: "p2p-sprawl",
        code: "WP103",
        severity: Warning,
        category: Topology,
        summary: "more than 3 systems wired point-to-point",
        check: Some(check),
    }
}

/// The most systems that may be wired directly before a hub pays off.
const MAX_DIRECT_SYSTEMS: usize = 3;

/// Point-to-point wiring among the systems live in one month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wiring {
    pub(crate) systems: usize,
    pub(crate) pairs: usize,
}

impl Wiring {
    fn potential(self) -> usize {
        self.systems * self.systems.saturating_sub(1) / 2
    }

    fn describe(self) -> String {
        format!(
            "{} wired directly in {} (n(n-1)/2 = {} possible; a hub or broker needs {})",
            plural(self.systems, "system"),
            plural(self.pairs, "pair"),
            self.potential(),
            plural(self.systems, "connection")
        )
    }
}

/// The direct pairs, each with the first flow that wires it, in flow order.
fn direct_pairs(ctx: &Context<'_>) -> Vec<((SystemId, SystemId), FlowId)> {
    let mut seen = HashSet::new();
    let mut pairs = Vec::new();
    for edge in ctx.graph.systems.edge_indices() {
        let Some((a, b)) = ctx.graph.systems.edge_endpoints(edge) else { continue };
        let flow = ctx.graph.systems[edge].flow;
        if !ctx.spec.flow(flow).is_point_to_point() || a == b {
            continue;
        }
        let (a, b) = (SystemId(a.index() as u32), SystemId(b.index() as u32));
        let pair = (a.min(b), a.max(b));
        if seen.insert(pair) {
            pairs.push((pair, flow));
        }
    }
    pairs
}

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
    Wiring { systems: systems.len(), pairs: count }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let pairs = direct_pairs(ctx);
    let horizon = spec.horizon_months();
    let (now, later) = (wiring(spec, &pairs, 0), wiring(spec, &pairs, horizon));
    if now.systems <= MAX_DIRECT_SYSTEMS && later.systems <= MAX_DIRECT_SYSTEMS {
        return;
    }
    let message = if now == later {
        format!(
            "more than {MAX_DIRECT_SYSTEMS} systems are wired point-to-point, now and at the horizon: {}",
            now.describe()
        )
    } else {
        format!(
            "more than {MAX_DIRECT_SYSTEMS} systems are wired point-to-point: now {}; at the horizon (month {horizon}) {}",
            now.describe(),
            later.describe()
        )
    };
    // The first flow in the spec that is wired directly, in source order.
    let mut flows: Vec<FlowId> = pairs.iter().map(|(_, f)| *f).collect();
    flows.sort_unstable();
    flows.dedup();
    let Some(&first) = flows.first() else { return };
    let first_flow = spec.flow(first);
    let mut d = match spec.stack.as_ref().and_then(|s| s.name.as_ref()) {
        Some(name) => Diagnostic::new(&P2P_SPRAWL, name.loc, message).with_label("this stack is wired point-to-point"),
        None => Diagnostic::new(&P2P_SPRAWL, first_flow.name.loc, message)
            .with_label("the first of the direct connections")
            .with_owner(Owner::Flow(first)),
    };
    let shown = if d.owner.is_some() { &flows[1..] } else { &flows[..] };
    for f in shown.iter().take(3) {
        d = d.with_secondary(spec.flow(*f).name.loc, "wired point-to-point");
    }
    let names = name_list(flows.iter().map(|f| spec.flow(*f).name.value.as_str()));
    out.push(d.with_help(format!(
        "route these flows through a hub or broker with `via` ({names}): each system then needs one connection"
    )));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn counts_now_and_at_the_horizon() {
        let text = r#"
            stack "s" { horizon months=12 }
            system "a" kind=crm
            system "b" kind=crm
            system "c" kind=crm
            system "d" kind=crm { planned in-months=6 }
            system "h" kind=hub
            event "a.e" from=a version=1
            flow "f" { on "a.e"; to b action=update; to c action=update; to d action=update }
            flow "g" { on "a.e"; to b action=update }
            flow "v" { on "a.e"; via h; to c action=update }
        "#;
        let found = test_check(&P2P_SPRAWL, text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "more than 3 systems are wired point-to-point: now 3 systems wired directly in 2 pairs (n(n-1)/2 = 3 possible; \
             a hub or broker needs 3 connections); at the horizon (month 12) 4 systems wired directly in 3 pairs \
             (n(n-1)/2 = 6 possible; a hub or broker needs 4 connections)"
        );
    }

    #[test]
    fn three_systems_are_fine() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            system "c" kind=crm
            event "a.e" from=a version=1
            flow "f" { on "a.e"; to b action=update; to c action=update }
        "#;
        assert!(test_check(&P2P_SPRAWL, text).is_empty());
    }
}
