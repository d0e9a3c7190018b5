//! `unordered-events`: a consumer that depends on an order between events
//! (language 1.2's `after`) that its transport does not guarantee.

use rustc_hash::FxHashMap as HashMap;

use super::Context;
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{Action, EventId, FlowId, Owner, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// An event that says `after EVENT` (it must not be processed before
    /// that one: a payment after its order), and a flow on it whose write
    /// needs the earlier event's record to exist: an `update`, `delete` or
    /// `increment`, with no `retry`. Nothing in a webhook, a hub or a broker
    /// delivers two kinds of event in the order they happened: each has its
    /// own endpoint or queue, and a retry of the first lets the second
    /// overtake it. Where a flow on the earlier event writes the same system,
    /// it is named.
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
        code: "WP120",
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
    // The flows on each event, built once.
    let mut consumers: HashMap<EventId, Vec<FlowId>> = HashMap::default();
    for id in spec.flow_ids() {
        if let Some(TriggerKind::On { event }) = spec.flow(id).trigger.as_ref().map(|t| &t.kind)
            && let Some(e) = event.target
        {
            consumers.entry(e).or_default().push(id);
        }
    }
    // In the order of the spec's events, so that the findings are too.
    for event_id in spec.event_ids() {
        let event = spec.event(event_id);
        let Some(flows) = consumers.get(&event_id) else { continue };
        for after in &event.after {
            let Some(earlier) = after.target else { continue };
            for &id in flows {
                let flow = spec.flow(id);
                for target in &flow.targets {
                    let Some(action) = &target.action else { continue };
                    let needs_record = matches!(action.value, Action::Update | Action::Delete | Action::Increment);
                    let retried = flow.retry.is_some() || target.retry.is_some();
                    if !needs_record || retried || flow.misspelt("retry") {
                        continue;
                    }
                    let mut d = Diagnostic::new(
                        &UNORDERED_EVENTS,
                        action.loc,
                        format!(
                            "flow `{}` does `{}` on `{}` for `{}`, which must follow `{}`, but nothing delivers it after",
                            flow.name.value,
                            action.value,
                            target.system.name.value,
                            event.name.value,
                            after.name.value
                        ),
                    )
                    .with_label("fails when the earlier event's record is not there yet")
                    .with_secondary(after.name.loc, "the order the consumer relies on");
                    let writer = consumers.get(&earlier).into_iter().flatten().find_map(|&g| {
                        let other = spec.flow(g);
                        other
                            .targets
                            .iter()
                            .find(|t| t.system.target.is_some() && t.system.target == target.system.target)
                    });
                    if let Some(w) = writer {
                        d = d.with_secondary(
                            w.system.name.loc,
                            format!("the record is written here, on `{}`", after.name.value),
                        );
                    }
                    out.push(
                        d.with_help(
                            "make the write safe in any order (`action=upsert` creates what is missing), or add a \
                             `retry` that waits for the earlier event's write",
                        )
                        .with_owner(Owner::Flow(id)),
                    );
                }
            }
        }
    }
}
