//! `unordered-events`: a consumer that depends on an order between events
//! (language 1.2's `after`) that its transport does not guarantee.

use rustc_hash::FxHashMap as HashMap;

use super::Context;
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{Action, EventId, FlowId, Loc, Owner, SystemId, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// An event that says `after EVENT` (it must not be processed before
    /// that one: a payment after its order), and a flow on it whose write
    /// needs the earlier event's record to exist: an `update`, `delete` or
    /// `increment`, with no `retry`; or a `create` into a system that a flow
    /// on the earlier event writes (a payment applied to the invoice made
    /// for the order, a refund receipt against the sale's receipt), with no
    /// `retry`. A `create` into a system the earlier event's flows do not
    /// write needs nothing from them, and is left alone; so is a `create`
    /// beside an `update` of the same flow that is reported (one fact, one
    /// finding: the flow depends on the order). Nothing in a webhook, a hub
    /// or a broker delivers two kinds of event in the order they happened:
    /// each has its own endpoint or queue, and a retry of the first lets
    /// the second overtake it. Where a flow on the earlier event writes the
    /// same system, it is named.
    ///
    /// A vendor's own integration (`run-by SYSTEM`, since 1.2, or an
    /// automation inside one product with nothing of its delivery stated)
    /// is reported at info: whether it waits for the earlier record is the
    /// vendor's, a question for them.
    ///
    /// ## Why it matters
    ///
    /// When the later event arrives first, the update finds no record: the
    /// write fails, or silently changes nothing, and the payment is never
    /// recorded against its order.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "erp" kind=erp
    /// event "order.created" from=shop version=1
    /// event "order.paid" from=shop version=1 {
    ///     after "order.created"
    /// }
    /// flow "orders" {
    ///     on "order.created"
    ///     to erp action=upsert entity=order
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// flow "payments" {
    ///     on "order.paid"
    ///     to erp action=update entity=order
    ///     dead-letter
    ///     log
    ///     allow "no-error-handling" reason="shown in the fix"
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "erp" kind=erp
    /// event "order.created" from=shop version=1
    /// event "order.paid" from=shop version=1 {
    ///     after "order.created"
    /// }
    /// flow "orders" {
    ///     on "order.created"
    ///     to erp action=upsert entity=order
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// flow "payments" {
    ///     on "order.paid"
    ///     to erp action=upsert entity=order
    ///     dead-letter
    ///     log
    ///     allow "no-error-handling" reason="shown in the fix"
    /// }
    /// ```
    pub(crate) static UNORDERED_EVENTS = {
        name: "unordered-events",
        code: "WP122",
        severity: Warning,
        category: Topology,
        summary: "a consumer depends on an order between events that nothing guarantees",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    if spec.events.iter().all(|e| e.after.is_empty()) {
        return;
    }
    // The flows on each event, and the first write of a flow on each event
    // into each system, built once: lookups stay linear in the spec.
    let mut consumers: HashMap<EventId, Vec<FlowId>> = HashMap::default();
    let mut writes: HashMap<(EventId, SystemId), Loc> = HashMap::default();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        if let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind)
            && let Some(e) = event.target
        {
            consumers.entry(e).or_default().push(id);
            for t in &flow.targets {
                if let Some(system) = t.system.target {
                    writes.entry((e, system)).or_insert(t.system.name.loc);
                }
            }
        }
    }
    // In the order of the spec's events, so that the findings are too.
    for event_id in spec.event_ids() {
        let event = spec.event(event_id);
        let Some(flows) = consumers.get(&event_id) else { continue };
        let afters: Vec<(&crate::model::Ref<EventId>, EventId)> =
            event.after.iter().filter_map(|a| Some((a, a.target?))).collect();
        let Some(&(first, _)) = afters.first() else { continue };
        for &id in flows {
            let flow = spec.flow(id);
            // One fact, one finding: where the flow has a write that needs
            // the earlier record (an update), a `create` beside it that
            // merely refers to it is not reported as well.
            let needs_some = flow.targets.iter().any(|t| {
                t.action
                    .as_ref()
                    .is_some_and(|a| matches!(a.value, Action::Update | Action::Delete | Action::Increment))
                    && t.retry.is_none()
            }) && flow.retry.is_none();
            for target in &flow.targets {
                let Some(action) = &target.action else { continue };
                let needs_record = matches!(action.value, Action::Update | Action::Delete | Action::Increment);
                let creates = action.value == Action::Create;
                let retried = flow.retry.is_some() || target.retry.is_some();
                if !(needs_record || creates) || retried || flow.misspelt("retry") {
                    continue;
                }
                // One finding per write, naming the earlier event that
                // writes the same system when one of the first few does:
                // an event with many `after`s and many consumers stays
                // linear.
                let written = target.system.target.and_then(|s| {
                    afters.iter().take(8).find_map(|&(a, earlier)| Some((a, *writes.get(&(earlier, s))?)))
                });
                // A `create` needs the earlier record only where the earlier
                // event's flows write the same system.
                if creates && (written.is_none() || needs_some) {
                    continue;
                }
                let after = written.map_or(first, |(a, _)| a);
                let mut d = Diagnostic::new(
                    &UNORDERED_EVENTS,
                    action.loc,
                    format!(
                        "flow `{}` does `{}` on `{}` for `{}`, which must follow `{}`, but nothing delivers it after",
                        flow.name.value, action.value, target.system.name.value, event.name.value, after.name.value
                    ),
                )
                .with_label(if creates {
                    "refers to the earlier event's record, which may not be there yet"
                } else {
                    "fails when the earlier event's record is not there yet"
                })
                .with_secondary(after.name.loc, "the order the consumer relies on");
                if let Some((_, w)) = written {
                    d = d.with_secondary(w, format!("the record is written here, on `{}`", after.name.value));
                }
                let help = if creates {
                    "add a `retry` that waits for the earlier event's write (the record it refers to), with a \
                     `dead-letter` for what never finds it"
                } else {
                    "make the write safe in any order (`action=upsert` creates what is missing), or add a \
                     `retry` that waits for the earlier event's write"
                };
                // (1.2) A vendor's own integration: whether it waits for
                // the earlier record is the vendor's, a question for them.
                if let Some(vendor) = super::util::vendor(spec, flow) {
                    let name = vendor.name();
                    let mut d = d.with_owner(Owner::Flow(id)).with_help(format!(
                        "ask `{name}` whether its integration retries a write whose earlier record is not there \
                         yet, or orders the two events"
                    ));
                    d.message = format!("{}; {}: the order is `{name}`'s", d.message, vendor.why());
                    d.severity = crate::diagnostic::Severity::Info;
                    out.push(d);
                    continue;
                }
                out.push(d.with_help(help).with_owner(Owner::Flow(id)));
            }
        }
    }
}
