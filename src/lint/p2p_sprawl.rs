//! `p2p-sprawl`: more than three tools wired to each other directly.
//!
//! Counts, with the planner's queries (`crate::stages`), the distinct
//! unordered pairs of systems joined by a flow without `via`, and the tools
//! they touch, among systems live now (month 0) and at the horizon. One
//! finding for the whole spec. A `to` with `call` (since 1.2) is left out:
//! a service that calls several others and waits for their answers is a
//! request/reply star, which a hub would lengthen rather than untangle, not
//! integration sprawl. Nor is wiring that a hub would not shorten: a hub
//! or broker needs one connection per system, so where the direct pairs
//! are no more (a star around a service that plays the hub already, a
//! chain), the rule is quiet; where one system takes part in half the
//! pairs or more, it asks at info whether that system plays the hub.
//! Linear: one pass over the flows' targets and a hash set of pairs.

use super::Context;
use super::util::{name_list, plural};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use crate::model::{FlowId, Owner};
use crate::model::{Spec, SystemId};
use crate::stages::{MAX_DIRECT_TOOLS, Wiring, is_endpoint, wiring};
use std::collections::HashSet;

declare_rule! {
    /// ## What it finds
    ///
    /// More than 3 tools connected point to point (flows without `via`),
    /// either now or at the planning horizon. Tools are counted as `wireplan
    /// plan` counts them (hubs, brokers, warehouses and lakes are not tools),
    /// so it never fires where the planner says point-to-point is right.
    /// The finding gives the counts for
    /// both: the tools, the pairs actually wired, the n(n-1)/2 pairs such
    /// wiring grows towards, and the n connections a hub or broker would
    /// need instead.
    ///
    /// A synchronous call (a `to` with `call`, since 1.2) does not count: a
    /// service calling several services and waiting on their answers (an
    /// orchestrator calling payment and shipping by gRPC) is request/reply,
    /// and routing it through a hub or broker adds a hop to every call
    /// without taking a connection away.
    ///
    /// Nor does wiring a hub would not shorten: a hub or broker needs one
    /// connection per system, so where the direct pairs are no more than
    /// the systems they join (a star of flows that all run in one of the
    /// team's own services, which plays the hub already, or a chain), the
    /// rule is quiet rather than advise a hub that adds connections. Where
    /// one system takes part in half the direct pairs or more (a star with
    /// a pair or two besides), the flows most likely run in it (the team's
    /// own service, an orchestrator, which the spec wrote as direct pairs
    /// between the tools it connects): it plays the hub already, and a hub
    /// in front of it would take a pair away and add a hop. That is asked
    /// at info, naming the system; on the real-world corpus every such
    /// warning had been judged wrong (3 of 3).
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
    /// event "contact.updated" from=crm version=1
    /// flow "order-to-crm" {
    ///     on "order.paid"
    ///     to crm action=upsert
    ///     to mail action=upsert
    ///     to books action=upsert
    /// }
    /// flow "contact-to-tools" {
    ///     on "contact.updated"
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
    /// event "contact.updated" from=crm version=1
    /// flow "order-to-crm" {
    ///     on "order.paid"
    ///     via zapier
    ///     to crm action=upsert
    ///     to mail action=upsert
    ///     to books action=upsert
    /// }
    /// flow "contact-to-tools" {
    ///     on "contact.updated"
    ///     via zapier
    ///     to mail action=upsert
    ///     to books action=upsert
    /// }
    /// ```
    pub(crate) static P2P_SPRAWL = {
        name: "p2p-sprawl",
        code: "WP103",
        severity: Warning,
        category: Topology,
        summary: "more than 3 tools wired point-to-point",
    }
}

/// How the wiring of one month reads in a message.
fn describe(w: Wiring) -> String {
    let potential = w.systems * w.systems.saturating_sub(1) / 2;
    format!(
        "{} wired directly in {} (n(n-1)/2 = {} possible; a hub or broker needs {})",
        plural(w.tools, "tool"),
        plural(w.pairs, "pair"),
        potential,
        plural(w.systems, "connection")
    )
}

/// The planner's direct pairs (`crate::stages::direct_pairs`) without the
/// synchronous calls: the distinct unordered pairs of endpoint systems
/// joined by a `to` without `call` of a flow without `via`, each with the
/// first flow that wires it. Linear: one pass and a hash set.
fn asynchronous_pairs(spec: &Spec) -> Vec<((SystemId, SystemId), FlowId)> {
    let mut seen = HashSet::new();
    let mut pairs = Vec::new();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        if !flow.is_point_to_point() {
            continue;
        }
        let Some(source) = flow.source_system(spec) else { continue };
        for target in flow.targets.iter().filter(|t| t.call.is_none()).filter_map(|t| t.system.target) {
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

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // Counted as the planner counts: tools (not hubs, brokers, warehouses
    // or lakes), with the planner's direct pairs and thresholds, less the
    // synchronous calls.
    let pairs = asynchronous_pairs(spec);
    let horizon = spec.horizon_months();
    let (now, later) = (wiring(spec, &pairs, 0), wiring(spec, &pairs, horizon));
    let max = MAX_DIRECT_TOOLS as usize;
    // A hub or broker needs one connection per system: where the direct
    // pairs are no more than that (a star around one system that plays the
    // hub already, a chain), routing through one would add connections.
    let sprawls = |w: Wiring| w.tools > max && w.pairs > w.systems;
    if !sprawls(now) && !sprawls(later) {
        return;
    }
    let message = if now == later {
        format!(
            "more than {MAX_DIRECT_TOOLS} tools are wired point-to-point, now and at the horizon: {}",
            describe(now)
        )
    } else {
        format!(
            "more than {MAX_DIRECT_TOOLS} tools are wired point-to-point: now {}; at the horizon (month {horizon}) {}",
            describe(now),
            describe(later)
        )
    };
    // The first flow in the spec that is wired directly, in source order.
    let mut flows: Vec<FlowId> = pairs.iter().map(|(_, f)| *f).collect();
    flows.sort_unstable();
    flows.dedup();
    let Some(&first) = flows.first() else { return };
    let first_flow = spec.flow(first);
    // One finding for the whole stack, whichever flow it is shown at and
    // however many pairs there are.
    let mut d = match spec.stack.as_ref().and_then(|s| s.name.as_ref()) {
        Some(name) => Diagnostic::new(&P2P_SPRAWL, name.loc, message).with_label("this stack is wired point-to-point"),
        None => Diagnostic::new(&P2P_SPRAWL, first_flow.name.loc, message)
            .with_label("the first of the direct connections")
            .with_owner(Owner::Flow(first)),
    }
    .about_the_spec(format!("more than {MAX_DIRECT_TOOLS} tools wired point-to-point"));
    let shown = if d.owner.is_some() { &flows[1..] } else { &flows[..] };
    for f in shown.iter().take(3) {
        d = d.with_secondary(spec.flow(*f).name.loc, "wired point-to-point");
    }
    let names = name_list(flows.iter().map(|f| spec.flow(*f).name.value.as_str()));
    let route = format!(
        "route these flows through a hub or broker with `via` ({names}): each system then needs one connection"
    );
    // A star with a few pairs besides: one system takes part in half the
    // direct pairs or more, so the flows most likely run in it (the team's
    // own service, an orchestrator), which plays the hub already, and the
    // spec wrote its connectors as direct pairs. A hub in front of it would
    // take away a pair or two and add a hop: asked at info.
    if let Some((center, degree)) = center(&pairs).filter(|(_, degree)| 2 * degree >= pairs.len()) {
        let system = spec.system(center);
        d.severity = crate::diagnostic::Severity::Info;
        d = d.with_secondary(
            system.name.loc,
            format!("in {degree} of the {} direct pairs: the hub already, if the flows run in it", pairs.len()),
        );
        out.push(d.with_help(format!(
            "if these flows run in `{}` (a service of the team's, an orchestrator), it plays the hub already and \
             another hub would add a hop: say so with `allow \"p2p-sprawl\" reason=\"...\"` in `lint`; if not, {route}",
            system.name.value
        )));
        return;
    }
    out.push(d.with_help(route));
}

/// The system that takes part in the most direct pairs, with how many (the
/// first in the spec's order on a tie). Linear in the pairs.
fn center(pairs: &[((SystemId, SystemId), FlowId)]) -> Option<(SystemId, usize)> {
    let mut degree: rustc_hash::FxHashMap<SystemId, usize> = Default::default();
    for ((a, b), _) in pairs {
        *degree.entry(*a).or_default() += 1;
        *degree.entry(*b).or_default() += 1;
    }
    degree.into_iter().max_by(|(a, x), (b, y)| x.cmp(y).then(b.cmp(a)))
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
            event "b.e" from=b version=1
            flow "k" { on "b.e"; to c action=update; to d action=update }
            flow "v" { on "a.e"; via h; to c action=update }
        "#;
        let found = test_check(&P2P_SPRAWL, text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "more than 3 tools are wired point-to-point: now 3 tools wired directly in 3 pairs (n(n-1)/2 = 3 possible; \
             a hub or broker needs 3 connections); at the horizon (month 12) 4 tools wired directly in 5 pairs \
             (n(n-1)/2 = 6 possible; a hub or broker needs 4 connections)"
        );
    }

    /// A star around one system (every flow runs in one service) has fewer
    /// pairs than a hub would need connections: a hub would add some.
    #[test]
    fn a_star_that_a_hub_would_not_shorten_is_quiet() {
        let text = r#"
            system "svc" kind=custom
            system "a" kind=crm
            system "b" kind=email
            system "c" kind=support
            system "d" kind=marketing
            event "svc.e" from=svc version=1
            flow "f" { on "svc.e"; to a action=update; to b action=send; to c action=create; to d action=update }
        "#;
        assert!(test_check(&P2P_SPRAWL, text).is_empty());
    }

    /// A star with two pairs besides: `svc` takes part in four of the six
    /// direct pairs, so the flows most likely run in it and a hub would
    /// take one pair away. Asked at info, naming it; the same star with
    /// three more pairs between its spokes leaves no system in half of
    /// them, and that is sprawl.
    #[test]
    fn a_star_with_a_pair_besides_is_asked() {
        let spec = |extra: &str| {
            format!(
                r#"
                system "svc" kind=custom
                system "a" kind=crm
                system "b" kind=email
                system "c" kind=support
                system "d" kind=marketing
                event "svc.e" from=svc version=1
                event "a.e" from=a version=1
                event "c.e" from=c version=1
                flow "f" {{ on "svc.e"; to a action=update; to b action=send; to c action=create; to d action=update }}
                flow "g" {{ on "a.e"; to b action=update; to c action=update }}
                {extra}
            "#
            )
        };
        let star = test_check(&P2P_SPRAWL, &spec(""));
        assert_eq!(star.len(), 1);
        assert_eq!(star[0].severity, crate::diagnostic::Severity::Info);
        assert!(star[0].secondary.iter().any(|l| l.message.contains("in 4 of the 6 direct pairs")));
        assert!(star[0].help.contains("run in `svc`"));
        let mesh = test_check(
            &P2P_SPRAWL,
            &spec(
                r#"event "d.e" from=d version=1
                flow "h" { on "c.e"; to d action=update; to b action=update }
                flow "k" { on "d.e"; to b action=update }"#,
            ),
        );
        assert_eq!(mesh.len(), 1);
        assert_eq!(mesh[0].severity, crate::diagnostic::Severity::Warning);
    }

    #[test]
    fn three_crms_a_hub_and_one_direct_flow_to_all_is_stage_one_as_the_planner_says() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            system "c" kind=crm
            system "h" kind=hub
            event "a.e" from=a version=1
            flow "f" { on "a.e"; to b action=update; to c action=update; to h action=update }
        "#;
        assert!(test_check(&P2P_SPRAWL, text).is_empty());
        let spec = crate::lint::test_spec(text);
        assert_eq!(crate::plan::stages(&spec).now.stage, crate::plan::Stage::PointToPoint);
    }

    /// An orchestrator calling four services and waiting on each is a
    /// request/reply star, not sprawl; the same writes made without `call`,
    /// beside a shipping service that writes two of them itself, are.
    #[test]
    fn synchronous_calls_are_not_sprawl() {
        let star = |call: &str| {
            format!(
                r#"
                system "web" kind=website
                system "pay" kind=payments
                system "ship" kind=custom
                system "cart" kind=custom
                system "mail" kind=email
                event "order.placed" from=web version=1
                flow "place" {{
                    on "order.placed"
                    reply timeout="5s"
                    to pay action=create {{ {call} }}
                    to ship action=create {{ {call} }}
                    to cart action=delete {{ {call} }}
                    to mail action=send {{ {call} }}
                }}
                event "shipment.sent" from=ship version=1
                flow "shipped" {{
                    on "shipment.sent"
                    to cart action=delete
                    to mail action=send
                }}
                "#
            )
        };
        assert!(test_check(&P2P_SPRAWL, &star(r#"call timeout="1s""#)).is_empty());
        assert_eq!(test_check(&P2P_SPRAWL, &star("")).len(), 1);
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
