//! `possible-sync-cycle`: a loop of flows that needs at least one possible
//! link, where a write or the event it would set off names no entity.
//!
//! The whole trigger graph (definite and possible links) is cut into
//! strongly connected components; a flow of one that is in no loop of
//! definite links (those are `sync-cycle`'s) lies on a loop that needs a
//! possible hop. Each such component is one finding, showing a shortest loop
//! through its first such flow, with the assumed hops named. A loop of
//! definite links through a flow with a `when` filter (since 1.2) is one
//! too: the filter is the assumed hop. Linear, as
//! `sync-cycle` is: Kosaraju plus one breadth-first search per component.

use super::Context;
use super::sync_cycle::{Hop, loop_text, others_and_owner, shortest_loop, system_name};
use super::util::{name_list, plural};
use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Fix};
use crate::graph::Component;
use crate::model::{FlowId, Owner, Spec};

declare_rule! {
    /// ## What it finds
    ///
    /// Flows that may set each other off in a loop, where at least one hop
    /// is only assumed: a write names no entity, or the event (or poll) it
    /// would set off names none, so the spec does not say whether the write
    /// changes what the event reports. The finding names the assumed hops.
    /// A loop through a flow with a `when` filter (since 1.2) is reported
    /// here too, rather than as `sync-cycle`: the spec does not say whether
    /// what the loop writes back passes the filter.
    /// Loops whose every hop is stated are `sync-cycle`; flows with
    /// `loop-guard` and `external` events are left out, and so is a hop from
    /// a write that cannot create a record (`update`, `delete`,
    /// `increment`) to an event that fires only on creation (since 1.2:
    /// `on-create`, or a name ending in `created`, `added`, `new`, ..., as
    /// for `sync-cycle`).
    ///
    /// ## Why it matters
    ///
    /// If the assumed hop is real, the loop runs forever as a sync loop does;
    /// if it is not, the spec is missing what a reader needs to tell. Either
    /// way one line in the spec settles it.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// system "intercom" kind=support
    /// event "contact.updated" from=hubspot version=1
    /// event "user.updated" from=intercom version=1
    /// flow "crm-to-support" {
    ///     on "contact.updated"
    ///     to intercom action=update
    /// }
    /// flow "support-to-crm" {
    ///     on "user.updated"
    ///     to hubspot action=update
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Name the entities, so that each hop is definite or never (here the
    /// writes change users and contacts, and the events report conversations
    /// and deals); or add `emits` to a `to` whose write does set the event
    /// off, mark an event no write sets off `external`, or add `loop-guard`.
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// system "intercom" kind=support
    /// event "deal.updated" from=hubspot entity=deal version=1
    /// event "conversation.closed" from=intercom entity=conversation version=1
    /// flow "crm-to-support" {
    ///     on "deal.updated"
    ///     to intercom action=update entity=user
    /// }
    /// flow "support-to-crm" {
    ///     on "conversation.closed"
    ///     to hubspot action=update entity=contact
    /// }
    /// ```
    pub(crate) static POSSIBLE_SYNC_CYCLE = {
        name: "possible-sync-cycle",
        code: "WP117",
        severity: Info,
        category: Topology,
        summary: "flows that may trigger each other in a loop, through a write or event that names no entity",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let mut definite = vec![false; spec.flows.len()];
    for component in ctx.graph.cyclic_components() {
        for f in &component.flows {
            definite[f.index()] = true;
        }
    }
    for component in ctx.graph.possible_components() {
        let Some(&start) = component.flows.iter().find(|f| !definite[f.index()]) else { continue };
        let Some(hops) = shortest_loop(ctx.graph, spec, component, start) else { continue };
        let Some(closing) = hops.last() else { continue };
        out.push(diagnostic(spec, component, &hops, closing.flow));
    }
}

/// What a possible hop assumes, in words.
fn assumption(spec: &Spec, hop: &Hop, next: &Hop) -> String {
    let flow = spec.flow(hop.flow);
    let system = system_name(spec, hop.to);
    let set_off = match next.trigger {
        Some(e) => format!("event `{}`", spec.event(e).name.value),
        None => format!("the poll of flow `{}`", spec.flow(next.flow).name.value),
    };
    let why = if hop.write_names_no_entity {
        format!("its write to `{system}` names no entity")
    } else {
        format!("{set_off} names no entity")
    };
    format!("assumed: `{}` sets off {set_off} ({why})", flow.name.value)
}

fn diagnostic(spec: &Spec, component: &Component, hops: &[Hop], closing: FlowId) -> Diagnostic {
    let path = loop_text(spec, hops);
    let (others, owner) = others_and_owner(spec, component, hops, closing, POSSIBLE_SYNC_CYCLE.name);
    let filtered = |h: &Hop| !spec.flow(h.flow).when.is_empty();
    let assumed: Vec<(usize, String)> = hops
        .iter()
        .enumerate()
        .filter(|(_, h)| h.possible || filtered(h))
        .map(|(i, h)| {
            if h.possible {
                (i, assumption(spec, h, &hops[(i + 1) % hops.len()]))
            } else {
                (
                    i,
                    format!(
                        "assumed: what the loop writes back passes the `when` filter of `{}`",
                        spec.flow(h.flow).name.value
                    ),
                )
            }
        })
        .collect();
    let why = if hops.iter().any(|h| h.possible) {
        "a write or an event names no entity"
    } else {
        "a `when` filter may stop it"
    };
    let mut message = if hops.len() == 1 {
        format!("flow `{}` may trigger itself: {path}", spec.flow(closing).name.value)
    } else {
        format!("{} may trigger each other in a loop: {path}", plural(hops.len(), "flow"))
    };
    message.push_str(&format!(
        " ({} assumed: {why})",
        if assumed.len() == 1 { "1 hop is".to_owned() } else { format!("{} hops are", assumed.len()) }
    ));
    if !others.is_empty() {
        let more = plural(others.len(), "more flow");
        message.push_str(&format!(" ({more} in the same loop: {})", name_list(others.iter().copied())));
    }
    let closing_flow = spec.flow(closing);
    let back_to = system_name(spec, spec.flow(hops[0].flow).source_system(spec));
    let mut d = Diagnostic::new(&POSSIBLE_SYNC_CYCLE, closing_flow.name.loc, message)
        .with_label(format!(
            "may close the loop: writes `{back_to}`, which may start `{}` again",
            spec.flow(hops[0].flow).name.value
        ))
        .with_owner(Owner::Flow(owner));
    for (i, text) in assumed.iter().take(6) {
        let hop = &hops[*i];
        let flow = spec.flow(hop.flow);
        let at = match flow.when.first() {
            Some(filter) if !hop.possible => filter.loc,
            _ => hop.target.and_then(|t| flow.targets.get(t)).map_or(flow.name.loc, |t| t.loc),
        };
        d = d.with_secondary(at, text.clone());
    }
    // Only if the loop is real: for review.
    let fix = closing_flow
        .loop_guard
        .is_none()
        .then(|| Fix::needs_review("Add `loop-guard`", vec![super::util::add_to_flow(spec, closing, "loop-guard")]));
    let mut help = format!(
        "settle the assumed hops: name the entities (`entity=` on the `to` and on the event), add `emits \"EVENT\"` \
         to a `to` whose write does set the event off, mark an event no write sets off as `external`, or add \
         `loop-guard` to flow `{}` if the loop is real",
        closing_flow.name.value
    );
    if hops.iter().any(filtered) {
        help.push_str("; for a `when` filter, make sure what the loop writes back fails it (a `set` of another value)");
    }
    d.with_fix(fix).with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn loops_through_entityless_hops_are_possible_and_name_them() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.e" from=a entity=x version=1
            event "b.e" from=b version=1
            flow "ab" { on "a.e"; to b action=update entity=x }
            flow "ba" { on "b.e"; to a action=update entity=x }
        "#;
        let found = test_check(&POSSIBLE_SYNC_CYCLE, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .starts_with("2 flows may trigger each other in a loop: a --ab--> b --b.e / ba--> a (1 hop is assumed"),
            "{}",
            found[0].message
        );
        let labels: Vec<&str> = found[0].secondary.iter().map(|l| l.message.as_ref()).collect();
        assert_eq!(labels, vec!["assumed: `ab` sets off event `b.e` (event `b.e` names no entity)"]);
    }

    #[test]
    fn definite_loops_external_events_and_guards_are_not_possible_ones() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.e" from=a entity=x version=1
            event "b.e" from=b entity=x version=1
            event "b.any" from=b version=1 { external; }
            flow "ab" { on "a.e"; to b action=update entity=x }
            flow "ba" { on "b.e"; to a action=update entity=x }
            flow "bany" { on "b.any"; to a action=update }
            flow "guarded" { on "a.e"; to b action=update; loop-guard }
        "#;
        assert!(test_check(&POSSIBLE_SYNC_CYCLE, text).is_empty());
    }

    /// The README's contract: a `to` with `emits` sets off what it emits
    /// and its definite links, and no possible ones, also when it names an
    /// entity.
    #[test]
    fn a_to_with_an_entity_and_emits_sets_off_no_possible_links() {
        let loop_with = |emits: &str| {
            format!(
                r#"
                system "a" kind=crm
                system "b" kind=crm
                event "a.e" from=a version=1
                event "b.made" from=b entity=x version=1
                event "b.any" from=b version=1
                flow "ab" {{ on "a.e"; to b action=create entity=x {{ {emits} }} }}
                flow "ba" {{ on "b.any"; to a action=update }}
                "#
            )
        };
        assert_eq!(test_check(&POSSIBLE_SYNC_CYCLE, &loop_with("")).len(), 1, "the loop without `emits`");
        assert!(test_check(&POSSIBLE_SYNC_CYCLE, &loop_with(r#"emits "b.made""#)).is_empty());
    }
}
