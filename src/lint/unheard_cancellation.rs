//! `unheard-cancellation`: a system that gets records from one event of
//! their producer and never hears the event that ends them (a cancelled
//! order still shipped, a deleted customer still billed).
//!
//! An event ends a record when its name's last word says so
//! (`order.cancelled`, `customer.deleted`, `invoice.voided`: see
//! `CANCELLATION_WORDS`); the records are the event's `entity=` of its
//! producer. A flow that `create`s or `upsert`s into another system from
//! an event (or a poll) of that producer and entity copies such records
//! there; when no flow on the cancellation writes to that system, the copy
//! outlives the record. Only a cancellation the spec declares is asked
//! about, and the finding is an info: the target may hear it another way
//! (its own integration, a person). Linear: one pass over the events, two
//! over the flows.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::Context;
use super::util::name_list;
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{Action, EventId, FlowId, Owner, SystemId, TriggerKind, named_for_cancellation};
use smol_str::SmolStr;

declare_rule! {
    /// ## What it finds
    ///
    /// A system that gets a producer's records (a `create` or `upsert`
    /// from one of its events, or from a poll of it) while no flow takes
    /// the producer's event that ends those records (its name ends in
    /// `cancelled`, `deleted`, `voided`, `removed`...; same producer, same
    /// `entity=`) to that system. It is an info: the target may hear of
    /// the end another way, which an `allow` with the reason says.
    ///
    /// ## Why it matters
    ///
    /// The copy outlives the record: a cancelled order is still picked,
    /// packed and shipped; a deleted customer still gets invoices; a voided
    /// invoice still counts in the books. Nothing fails, so nothing alerts.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce {
    ///     webhooks #true
    /// }
    /// system "warehouse" kind=erp
    /// event "order.placed" from=shop entity=order version=1
    /// event "order.cancelled" from=shop entity=order version=1
    /// flow "ship-orders" {
    ///     on "order.placed"
    ///     to warehouse action=upsert entity=order
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce {
    ///     webhooks #true
    /// }
    /// system "warehouse" kind=erp
    /// event "order.placed" from=shop entity=order version=1
    /// event "order.cancelled" from=shop entity=order version=1
    /// flow "ship-orders" {
    ///     on "order.placed"
    ///     to warehouse action=upsert entity=order
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// flow "cancel-orders" {
    ///     on "order.cancelled"
    ///     to warehouse action=update entity=order
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static UNHEARD_CANCELLATION = {
        name: "unheard-cancellation",
        code: "WP132",
        severity: Info,
        category: Topology,
        summary: "a system gets records and never hears the event that ends them",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // The cancellations per producer and entity name, in event order.
    let mut ends: HashMap<(SystemId, &SmolStr), Vec<EventId>> = HashMap::new();
    for id in spec.event_ids() {
        let event = spec.event(id);
        let (Some(producer), Some(entity)) = (event.from.as_ref().and_then(|f| f.target), event.entity.as_ref()) else {
            continue;
        };
        if named_for_cancellation(&event.name.value) {
            ends.entry((producer, &entity.name.value)).or_default().push(id);
        }
    }
    if ends.is_empty() {
        return;
    }
    // Which systems each cancellation reaches.
    let mut heard: HashSet<(EventId, SystemId)> = HashSet::new();
    for flow in &spec.flows {
        let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) else { continue };
        let Some(e) = event.target else { continue };
        for target in &flow.targets {
            if let Some(system) = target.system.target {
                heard.insert((e, system));
            }
        }
    }
    // Per cancellation and target, the flows that copy its records there.
    let mut unheard: BTreeMap<(EventId, SystemId), Vec<(FlowId, usize)>> = BTreeMap::new();
    for (flow_id, flow) in spec.flow_ids().zip(&spec.flows) {
        let Some((producer, entity)) = copied(ctx, flow) else { continue };
        let Some(cancellations) = ends.get(&(producer, entity)) else { continue };
        for (index, target) in flow.targets.iter().enumerate() {
            let Some(system) = target.system.target else { continue };
            let copies = target.action.as_ref().is_some_and(|a| matches!(a.value, Action::Create | Action::Upsert));
            if !copies || system == producer || spec.system(system).is_transport() {
                continue;
            }
            for &end in cancellations.iter().filter(|&&end| !heard.contains(&(end, system))) {
                unheard.entry((end, system)).or_default().push((flow_id, index));
            }
        }
    }
    for ((end, system), copies) in unheard {
        let (event, target) = (spec.event(end), spec.system(system));
        let entity = event.entity.as_ref().map_or("", |e| e.name.value.as_str());
        let flows = name_list(copies.iter().map(|(f, _)| spec.flow(*f).name.value.as_str()));
        let (first, index) = copies[0];
        let d = Diagnostic::new(
            &UNHEARD_CANCELLATION,
            event.name.loc,
            format!(
                "`{}` gets `{entity}` records ({flows}) and never hears `{}`: an ended `{entity}` stays live there",
                target.name.value, event.name.value
            ),
        )
        .with_label(format!("no flow takes it to `{}`", target.name.value))
        .with_secondary(spec.flow(first).targets[index].loc, "the records are copied here")
        .with_help(format!(
            "add a flow `on \"{}\"` that updates or deletes the record in `{}`; if `{}` hears of it another \
                 way, say how with `allow \"unheard-cancellation\" reason=\"...\"`",
            event.name.value, target.name.value, target.name.value
        ))
        .with_owner(Owner::Event(end));
        out.push(d);
    }
}

/// The producer and entity name of the records a flow copies: its event's
/// (unless the event is itself a cancellation), or its poll's.
fn copied<'s>(ctx: &Context<'s>, flow: &'s crate::model::Flow) -> Option<(SystemId, &'s SmolStr)> {
    match &flow.trigger.as_ref()?.kind {
        TriggerKind::On { event } => {
            let event = ctx.spec.event(event.target?);
            if named_for_cancellation(&event.name.value) {
                return None;
            }
            Some((event.from.as_ref()?.target?, &event.entity.as_ref()?.name.value))
        }
        TriggerKind::Poll { system, entity, .. } => Some((system.target?, &entity.as_ref()?.name.value)),
        TriggerKind::Schedule { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn a_copy_whose_end_no_flow_takes_there_and_only_that() {
        let text = r#"
            system "shop" kind=ecommerce { webhooks #true; }
            system "warehouse" kind=erp
            system "books" kind=accounting
            system "mailer" kind=email
            system "crm" kind=crm
            event "order.placed" from=shop entity=order version=1
            event "order.updated" from=shop entity=order version=1
            event "order.cancelled" from=shop entity=order version=1
            event "customer.created" from=shop entity=customer version=1
            flow "ship" { on "order.placed"; to warehouse action=create entity=order; }
            flow "ship2" { on "order.updated"; to warehouse action=upsert entity=order; }
            flow "book" { on "order.placed"; to books action=create entity=invoice; }
            flow "unbook" { on "order.cancelled"; to books action=update entity=invoice; }
            flow "thank" { on "order.placed"; to mailer action=send entity=message; }
            flow "touch" { on "order.placed"; to crm action=update entity=deal; }
            flow "leads" { on "customer.created"; to crm action=create entity=contact; }
        "#;
        let found = test_check(&UNHEARD_CANCELLATION, text);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "`warehouse` gets `order` records (`ship` and `ship2`) and never hears `order.cancelled`: an ended \
                 `order` stays live there"
            ]
        );
        assert_eq!(found[0].severity, crate::diagnostic::Severity::Info);
    }
}
