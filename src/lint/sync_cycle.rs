//! `sync-cycle`: flows that trigger each other in a loop of definite links.
//!
//! The trigger graph (`crate::graph`) has no edges into flows with
//! `loop-guard`, so the cyclic strongly connected components of its definite
//! part are exactly the unguarded loops whose every hop the spec states (the
//! same entity on both sides, or `emits`). A flow with a `when` filter
//! (since 1.2) takes no part in the definite part (`Graph::cyclic_components`): the filter may
//! pass nothing the loop writes back, and the spec does not say what the
//! writes set, so such a loop is `possible-sync-cycle`'s, an info. A write
//! that cannot create a record does not reach an event that fires only on
//! creation (the graph leaves that link out, see `crate::graph`). Each
//! component is one finding;
//! loops that need a possible link are `possible-sync-cycle`'s. To show it, a
//! breadth-first search inside the component finds a shortest loop through
//! its first flow; the flow that closes that loop (writes back into the first
//! flow's source) is where `loop-guard` is suggested. A loop that changes
//! nothing it copies, or that runs only through vendors' own integrations,
//! is an info. Kosaraju plus one BFS per
//! component is linear in the graph.

use super::Context;
use super::util::{name_list, plural};
use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Fix};
use crate::graph::{Component, Graph, TriggerNode, shortest_path};
use crate::model::{EventId, FlowId, Owner, Spec, SystemId, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// Flows that set each other off in a loop: a flow writes to a system,
    /// the write triggers an event (or a poll) there, another flow consumes
    /// it and writes back, and so on until the first flow runs again. Every
    /// hop must be definite: the write and the event (or poll) name the same
    /// entity, or the `to` says `emits` the event. A loop that needs a hop
    /// where one side names no entity is `possible-sync-cycle` instead. Flows
    /// with `loop-guard` are left out, and so are loops through a flow with
    /// a `when` filter (since 1.2): the filter (only orders in state
    /// `CREATED`) may stop what the loop writes back (a `VALIDATED` order),
    /// so such a loop is `possible-sync-cycle`'s, which names the filter.
    /// An event that fires only when a record is created (since 1.2: it
    /// says `on-create`, or, where it says nothing, its name ends in
    /// `created`, `create`, `creation`, `added`, `new`, `inserted` or
    /// `placed`) is set off only by a write that can create one (`create`,
    /// `upsert`, `send`, `append`): an `update`, `delete` or `increment`
    /// adds no record, so an assignment rule that updates the deal on
    /// "Deal added" is no loop. So is a `poll` whose `cursor` is a creation
    /// time (`created_at`, `createdAt`, `date_created`, `inserted_at`): it
    /// reads only records added since its last run, and an update of the
    /// ticket it read moves no such cursor. A `to` that `emits` the event
    /// still links to it. Each group of flows that loops is
    /// reported once, with one shortest loop shown hop by hop and the
    /// other flows of the group named. An inline `allow "sync-cycle"
    /// reason="..."` on any flow of the group accepts the whole loop.
    ///
    /// A loop with a link that carries nothing the next flow reads (the
    /// write's `map`s and `set`s fill fields none of which the next flow's
    /// `map`s, `when` or `idempotency-key` read: a sync of different fields
    /// in each direction, as Zendesk's Jira field sync is) is an info: the
    /// echo changes nothing it copies, so it loops only if a write that
    /// changes nothing sets the event off again. Both sides must say what
    /// they write and read, and the loop must be all of its group.
    ///
    /// A flow that sets itself off (it writes back into the system whose
    /// event or poll starts it) is an info: its code most often guards
    /// itself, writing only what changed or moving the record past the
    /// state its trigger takes, which the spec does not say; the finding
    /// asks. One that creates a record where only a creation sets it off
    /// (a deal split on "deal added", a follow-up ticket for each new
    /// ticket polled by creation time) makes new input at every run, and
    /// stays a warning, as does a loop of two flows or more.
    ///
    /// A loop every flow of which is a vendor's own integration (`run-by`,
    /// since 1.2: a product's two-way sync, such as Dynamics 365's
    /// dual-write) is an info too: such a product usually tells its own
    /// writes from people's, and whether it does is the vendor's; the
    /// finding asks, and `loop-guard` on the flows says that it does. A loop
    /// with one flow of the team's in it stays a warning.
    ///
    /// ## Why it matters
    ///
    /// A sync loop runs forever: every change echoes between the tools,
    /// burns API quota, fills audit logs and can flip a field back and forth
    /// between two values.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// system "intercom" kind=support
    /// event "contact.updated" from=hubspot entity=contact version=1
    /// event "user.updated" from=intercom entity=user version=1
    /// flow "crm-to-support" {
    ///     on "contact.updated"
    ///     to intercom action=update entity=user
    /// }
    /// flow "support-to-crm" {
    ///     on "user.updated"
    ///     to hubspot action=update entity=contact
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Mark the flow that writes back as ignoring the integration's own changes.
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// system "intercom" kind=support
    /// event "contact.updated" from=hubspot entity=contact version=1
    /// event "user.updated" from=intercom entity=user version=1
    /// flow "crm-to-support" {
    ///     on "contact.updated"
    ///     to intercom action=update entity=user
    /// }
    /// flow "support-to-crm" {
    ///     on "user.updated"
    ///     to hubspot action=update entity=contact
    ///     loop-guard
    /// }
    /// ```
    pub(crate) static SYNC_CYCLE = {
        name: "sync-cycle",
        code: "WP101",
        severity: Warning,
        category: Topology,
        summary: "flows that trigger each other in a loop of definite links",
    }
}

/// One hop of a loop: a flow, the target it writes, and what triggered it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Hop {
    pub(crate) flow: FlowId,
    /// The index of the `to` whose write leads to the next hop.
    pub(crate) target: Option<usize>,
    pub(crate) to: Option<SystemId>,
    /// The event that started this flow (`None` for a poll).
    pub(crate) trigger: Option<EventId>,
    /// Whether the link from this flow's write to the next flow is only
    /// possible: the write (`write_names_no_entity`) or what it triggers
    /// names no entity.
    pub(crate) possible: bool,
    pub(crate) write_names_no_entity: bool,
}

/// A shortest loop through `start` inside the component, as hops in order.
pub(crate) fn shortest_loop(graph: &Graph, spec: &Spec, component: &Component, start: FlowId) -> Option<Vec<Hop>> {
    let start = Graph::flow_node(start);
    let path = shortest_path(graph, start, start, |n| component.nodes.binary_search(&n).is_ok())?;
    let mut hops: Vec<Hop> = Vec::new();
    let mut pending_event: Option<EventId> = None;
    let mut after_flow = false;
    for &node in &path {
        let kind = graph.nodes.get(node as usize).copied();
        match kind {
            Some(TriggerNode::Flow(flow)) => {
                hops.push(Hop {
                    flow,
                    target: None,
                    to: None,
                    trigger: pending_event.take(),
                    possible: false,
                    write_names_no_entity: false,
                });
                after_flow = true;
                continue;
            }
            Some(TriggerNode::Event(event)) => {
                pending_event = Some(event);
                // Straight from a flow to an event: the `to` emits it.
                if after_flow && let Some(hop) = hops.last_mut() {
                    hop.to = spec.event(event).from.as_ref().and_then(|f| f.target);
                    hop.target = spec
                        .flow(hop.flow)
                        .targets
                        .iter()
                        .position(|t| t.emits.iter().any(|e| e.target == Some(event)));
                }
            }
            Some(TriggerNode::Write(system) | TriggerNode::WriteAll(system) | TriggerNode::WriteNone(system)) => {
                let Some(hop) = hops.last_mut() else { continue };
                if kind.is_some_and(TriggerNode::is_possible) {
                    hop.possible = true;
                }
                if after_flow {
                    hop.to = Some(system);
                    hop.target = graph.target_nodes(hop.flow).iter().position(|n| *n == Some(node));
                    hop.write_names_no_entity = matches!(kind, Some(TriggerNode::WriteAll(_)));
                }
            }
            None => {}
        }
        after_flow = false;
    }
    // The event of the closing hop starts the first flow again.
    if let Some(first) = hops.first_mut() {
        first.trigger = pending_event;
    }
    Some(hops)
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    for component in ctx.graph.cyclic_components() {
        let Some(hops) = shortest_loop(ctx.graph, spec, component, component.flows[0]) else { continue };
        let Some(closing) = hops.last() else { continue };
        let mut d = diagnostic(spec, component, &hops, closing.flow);
        // The loop is all the component holds, and one of its links carries
        // nothing the next flow reads: the echo changes nothing it copies.
        if component.flows.len() == hops.len()
            && let Some((writer, reader, written)) = inert_link(spec, &hops)
        {
            d.severity = crate::diagnostic::Severity::Info;
            d.message.push_str(&format!(
                "; it loops only if a write that changes nothing sets the event off again: `{}` writes {written}, \
                 none of which `{}` reads",
                spec.flow(writer).name.value,
                spec.flow(reader).name.value
            ));
        }
        // A flow that writes back into the system it is set off by: its
        // code most often guards itself (it writes only what changed, or
        // moves the record past the state its trigger takes), which the
        // spec does not say. On the real-world corpus none of eight such
        // warnings was judged right (a status moved past, a chain of chunks
        // that ends, a renotification that rereads its state). Asked.
        if component.flows.len() == 1
            && !creates_what_sets_it_off(spec, &hops[0])
            && d.severity != crate::diagnostic::Severity::Info
        {
            d.severity = crate::diagnostic::Severity::Info;
            d.message.push_str(
                "; a flow that writes back where it is set off most often guards itself (it writes only what \
                 changed, or moves the record past what sets it off), which the spec does not say: if it does not, \
                 it runs forever",
            );
        }
        // Every flow of it a vendor's own integration: a two-way sync a
        // product runs, which tells its own writes from people's (or not).
        let vendors: Vec<&str> = component.flows.iter().filter_map(|&f| spec.flow(f).runner()).collect();
        if d.severity != crate::diagnostic::Severity::Info && vendors.len() == component.flows.len() {
            let mut named = vendors;
            named.sort_unstable();
            named.dedup();
            d.severity = crate::diagnostic::Severity::Info;
            d.message.push_str(&format!(
                "; every flow of it is a vendor's own integration (`run-by` {}): whether a change it wrote comes \
                 back to it is the vendor's to stop, and `loop-guard` says that it does",
                name_list(named)
            ));
        }
        out.push(d);
    }
}

/// Whether a flow that sets itself off does so by creating a record where
/// only a creation sets it off (an `on-create` event, a poll by creation
/// time): every run makes new input for the next, whatever the code
/// checks of the record it read.
fn creates_what_sets_it_off(spec: &Spec, hop: &Hop) -> bool {
    let flow = spec.flow(hop.flow);
    let creates = hop
        .target
        .and_then(|t| flow.targets.get(t))
        .is_some_and(|t| t.action.as_ref().is_none_or(|a| a.value.can_create()));
    let creation_only = match (hop.trigger, flow.trigger.as_ref().map(|t| &t.kind)) {
        (Some(event), _) => spec.event(event).fires_on_create_only(),
        (None, Some(crate::model::TriggerKind::Poll(poll))) => poll.reads_only_new(),
        _ => false,
    };
    creates && creation_only
}

/// A link of the loop where the write and the flow it sets off share no
/// field: the write's `map`s and `set`s fill fields none of which the next
/// flow's `map`s read (a per-field sync in each direction, or a flow that
/// writes only constants). Both sides must describe their fields: a `to`
/// with no `map` or `set`, or a next flow with none, says nothing of them.
/// Returns the writer, the reader and the written fields' list.
fn inert_link(spec: &Spec, hops: &[Hop]) -> Option<(FlowId, FlowId, String)> {
    for (i, hop) in hops.iter().enumerate() {
        let next = &hops[(i + 1) % hops.len()];
        let target = spec.flow(hop.flow).targets.get(hop.target?)?;
        let written: Vec<&str> = target.written_fields().map(|f| f.name.value.as_str()).collect();
        let filled: rustc_hash::FxHashSet<&str> = written.iter().copied().collect();
        let reader = spec.flow(next.flow);
        let targets = &reader.targets;
        let describes = |t: &crate::model::Target| !t.maps.is_empty() || !t.sets.is_empty() || t.each.is_some();
        if written.is_empty() || targets.is_empty() || !targets.iter().all(describes) {
            continue;
        }
        let mut read = targets.iter().flat_map(|t| {
            let each = t.each.as_deref();
            t.maps.iter().map(|m| m.src.name.value.as_str()).chain(each.map(|e| e.array.name.value.as_str()))
        });
        let filtered = reader.when.iter().map(|w| w.field.name.value.as_str());
        let key = reader.idempotency_key.iter().map(|k| k.name.value.as_str());
        if !read.by_ref().chain(filtered).chain(key).any(|r| filled.contains(r)) {
            return Some((hop.flow, next.flow, name_list(written.iter().copied())));
        }
    }
    None
}

pub(crate) fn system_name(spec: &Spec, id: Option<SystemId>) -> &str {
    id.map_or("?", |s| spec.system(s).name.value.as_str())
}

/// How a flow was started, for hop labels: the event's name, or `poll`.
pub(crate) fn trigger_name(spec: &Spec, hop: &Hop) -> String {
    match (hop.trigger, spec.flow(hop.flow).trigger.as_ref().map(|t| &t.kind)) {
        (Some(e), _) => spec.event(e).name.value.to_string(),
        (None, Some(TriggerKind::Poll(_))) => "poll".to_owned(),
        _ => "?".to_owned(),
    }
}

/// A loop of more hops than this is shown by its first hops and its last.
const SHOWN_HOPS: usize = 6;

/// `hubspot --crm-to-support--> intercom --user.updated / support-to-crm--> hubspot`.
/// A long loop is cut in the middle: `a --f1--> b ... (95 more hops) ... y --e / f99--> a`.
pub(crate) fn loop_text(spec: &Spec, hops: &[Hop]) -> String {
    let Some(first) = hops.first() else { return String::new() };
    let mut text = system_name(spec, spec.flow(first.flow).source_system(spec)).to_owned();
    let hop_text = |i: usize, hop: &Hop| {
        let flow = &spec.flow(hop.flow).name.value;
        let label = if i == 0 { flow.to_string() } else { format!("{} / {flow}", trigger_name(spec, hop)) };
        format!(" --{label}--> {}", system_name(spec, hop.to))
    };
    let shown = if hops.len() > SHOWN_HOPS { SHOWN_HOPS - 2 } else { hops.len() };
    for (i, hop) in hops.iter().enumerate().take(shown) {
        text.push_str(&hop_text(i, hop));
    }
    if shown < hops.len() {
        let last = hops.len() - 1;
        let resume = system_name(spec, hops[last - 1].to);
        text.push_str(&format!(" ... ({} more hops) ... {resume}", last - shown));
        text.push_str(&hop_text(last, &hops[last]));
    }
    text
}

/// The flows of the component outside the shown loop, for "N more flows in
/// the same loop", and the flow that owns the finding: one with an inline
/// `allow` of `rule` if any (so that the allow applies and is not reported
/// unused), else the closing flow.
pub(crate) fn others_and_owner<'s>(
    spec: &'s Spec,
    component: &Component,
    hops: &[Hop],
    closing: FlowId,
    rule: &str,
) -> (Vec<&'s str>, FlowId) {
    let mut in_loop: Vec<FlowId> = hops.iter().map(|h| h.flow).collect();
    in_loop.sort_unstable();
    let others = component
        .flows
        .iter()
        .filter(|f| in_loop.binary_search(f).is_err())
        .map(|f| spec.flow(*f).name.value.as_str())
        .collect();
    let owner = component
        .flows
        .iter()
        .copied()
        .find(|f| spec.flow(*f).allows.iter().any(|a| a.rule.value == rule))
        .unwrap_or(closing);
    (others, owner)
}

fn diagnostic(spec: &Spec, component: &Component, hops: &[Hop], closing: FlowId) -> Diagnostic {
    let path = loop_text(spec, hops);
    let (others, owner) = others_and_owner(spec, component, hops, closing, SYNC_CYCLE.name);
    let mut message = if hops.len() == 1 {
        format!("flow `{}` triggers itself: {path}", spec.flow(closing).name.value)
    } else {
        format!("{} trigger each other in a loop: {path}", plural(hops.len(), "flow"))
    };
    if !others.is_empty() {
        let more = plural(others.len(), "more flow");
        message.push_str(&format!(" ({more} in the same loop: {})", name_list(others.iter().copied())));
    }
    let closing_flow = spec.flow(closing);
    let first = &hops[0];
    let back_to = system_name(spec, spec.flow(first.flow).source_system(spec));
    let mut d = Diagnostic::new(&SYNC_CYCLE, closing_flow.name.loc, message)
        .with_label(format!(
            "closes the loop: writes `{back_to}`, which starts `{}` again",
            spec.flow(first.flow).name.value
        ))
        .with_owner(Owner::Flow(owner));
    // The first hops are labelled; a long loop's message says the rest.
    for (i, hop) in hops.iter().enumerate().take(SHOWN_HOPS) {
        if hop.flow == closing {
            continue;
        }
        let flow = spec.flow(hop.flow);
        let how = match hop.trigger {
            Some(e) => format!("on `{}`", spec.event(e).name.value),
            None => format!("polls `{}`", system_name(spec, flow.source_system(spec))),
        };
        d = d.with_secondary(flow.name.loc, format!("hop {}: {how}, writes `{}`", i + 1, system_name(spec, hop.to)));
    }
    // A guard drops the changes the integration made itself: a change of
    // delivery, for review.
    let fix = closing_flow
        .loop_guard
        .is_none()
        .then(|| Fix::needs_review("Add `loop-guard`", vec![super::util::add_to_flow(spec, closing, "loop-guard")]));
    d.with_fix(fix).with_help(format!(
        "add `loop-guard` to flow `{}` so that it ignores the changes this integration made itself",
        closing_flow.name.value
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lint::{test_check, test_spec};

    const TRIANGLE: &str = r#"
        system "a" kind=crm
        system "b" kind=crm
        system "c" kind=crm
        event "a.e" from=a entity=x version=1
        event "b.e" from=b entity=x version=1
        event "c.e" from=c entity=x version=1
        flow "ab" { on "a.e"; to b action=update entity=x }
        flow "bc" { on "b.e"; to c action=update entity=x }
        flow "ca" { on "c.e"; to a action=update entity=x }
        flow "ba" { on "b.e"; to a action=update entity=x }
    "#;

    #[test]
    fn one_finding_per_component_with_a_shortest_loop() {
        let found = test_check(&SYNC_CYCLE, TRIANGLE);
        assert_eq!(found.len(), 1);
        // The shortest loop through `ab` is ab -> ba, not ab -> bc -> ca.
        assert!(
            found[0].message.starts_with("2 flows trigger each other in a loop: a --ab--> b --b.e / ba--> a"),
            "{}",
            found[0].message
        );
        assert!(found[0].message.contains("(2 more flows in the same loop: `bc` and `ca`)"), "{}", found[0].message);
        assert!(found[0].help.contains("`ba`"));
        assert_eq!(found[0].owner, Some(Owner::Flow(FlowId(3))));
    }

    #[test]
    fn shortest_loop_carries_events_on_each_hop() {
        let spec = test_spec(TRIANGLE);
        let graph = Graph::build(&spec);
        let components = graph.cyclic_components();
        assert_eq!(components.len(), 1);
        let hops = shortest_loop(&graph, &spec, &components[0], components[0].flows[0]).unwrap();
        assert_eq!(hops.iter().map(|h| h.flow.0).collect::<Vec<_>>(), vec![0, 3]);
        assert_eq!(hops[0].trigger, Some(EventId(0)));
        assert_eq!(hops[1].trigger, Some(EventId(1)));
        assert_eq!(hops[0].target, Some(0));
    }

    #[test]
    fn separate_loops_are_separate_findings_and_guards_break_them() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.e" from=a entity=x version=1
            event "b.e" from=b entity=x version=1
            flow "self" { poll a entity=y every="1m"; to a action=update entity=y }
            flow "ab" { on "a.e"; to b action=update entity=x }
            flow "ba" { on "b.e"; to a action=update entity=x; loop-guard }
        "#;
        let found = test_check(&SYNC_CYCLE, text);
        // `self` loops on its own; `ab`/`ba` is guarded. `ab` is not in a loop
        // because `ba` ignores the integration's own writes.
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.starts_with("flow `self` triggers itself: a --self--> a"), "{}", found[0].message);
    }

    /// A sync of different fields in each direction loops only if a write
    /// that changes nothing sets the event off again: an info. The near
    /// miss, a field read back, stays a warning; so does a side that maps
    /// nothing (it says nothing of its fields).
    #[test]
    fn a_per_field_sync_in_each_direction_is_an_info() {
        let loop_of = |back: &str| {
            format!(
                r#"
                system "a" kind=crm
                system "b" kind=support
                event "a.e" from=a entity=x version=1 {{
                    field "priority" type=string
                    field "status" type=string
                }}
                event "b.e" from=b entity=x version=1 {{
                    field "status" type=string
                    field "a_priority" type=string
                }}
                flow "ab" {{ on "a.e"; to b action=update entity=x {{ map "priority" to="a_priority"; }} }}
                flow "ba" {{ on "b.e"; to a action=update entity=x {{ {back} }} }}
                "#
            )
        };
        let found = test_check(&SYNC_CYCLE, &loop_of(r#"map "status" to="status""#));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].severity, crate::diagnostic::Severity::Info, "{}", found[0].message);
        assert!(found[0].message.contains("none of which `ba` reads"), "{}", found[0].message);
        let found = test_check(&SYNC_CYCLE, &loop_of(r#"map "a_priority" to="priority""#));
        assert_eq!(
            found[0].severity,
            crate::diagnostic::Severity::Warning,
            "the field comes back: {}",
            found[0].message
        );
        let found = test_check(&SYNC_CYCLE, &loop_of(""));
        assert_eq!(found[0].severity, crate::diagnostic::Severity::Warning, "a side that maps nothing");
    }

    #[test]
    fn an_allow_on_any_flow_of_the_loop_owns_the_finding() {
        let text = TRIANGLE.replace(
            r#"flow "bc" { on "b.e"; to c action=update entity=x }"#,
            r#"flow "bc" { on "b.e"; to c action=update entity=x; allow "sync-cycle" reason="x" }"#,
        );
        let found = test_check(&SYNC_CYCLE, &text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].owner, Some(Owner::Flow(FlowId(1))));
    }

    #[test]
    fn possible_links_and_external_events_make_no_sync_cycle() {
        // No entity on one side: only possible. External: never.
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.e" from=a entity=x version=1
            event "b.e" from=b version=1
            event "b.x" from=b entity=x version=1 { external; }
            flow "ab" { on "a.e"; to b action=update entity=x }
            flow "ba" { on "b.e"; to a action=update entity=x }
            flow "bxa" { on "b.x"; to a action=update entity=x }
        "#;
        assert!(test_check(&SYNC_CYCLE, text).is_empty());
        // `emits` makes the hop definite whatever the entities.
        let emits =
            text.replace(r#"to b action=update entity=x }"#, r#"to b action=update entity=x { emits "b.e"; } }"#);
        let found = test_check(&SYNC_CYCLE, &emits);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("a --ab--> b --b.e / ba--> a"), "{}", found[0].message);
    }

    #[test]
    fn a_broken_spec_does_not_panic() {
        let text = r#"
            event "x" from=nowhere
            flow "f" { on "x"; to nowhere action=update }
            flow "g" { poll; to }
        "#;
        assert!(test_check(&SYNC_CYCLE, text).is_empty());
    }
}
