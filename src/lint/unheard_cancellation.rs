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
//! (its own integration, a person). A poll, which never sees a deleted
//! record, is asked about records that are deleted in place (people,
//! products, tickets) when no cancellation is declared for them. And a tool
//! that gets records created once from records that change after the fact
//! (an invoice from an order, a sales order from a shop's order), where no
//! ending event is declared, is asked whether any later change reaches it.
//! Linear: one pass over the events, four over the flows.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::Context;
use super::util::name_list;
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{
    Action, EventId, FlowId, Owner, SystemId, SystemKind, TriggerKind, named_for_cancellation, named_for_change,
    named_for_correction,
};

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
    /// A system that keeps a copy of such records only by polling their
    /// producer (creating or upserting it there, or appending rows to a
    /// warehouse or lake, which reports read as what exists), when no
    /// cancellation is declared for them, is asked the same: a poll reads
    /// what is there, so a record deleted at the source never shows up. Only
    /// records deleted where they live are asked about (people and
    /// companies, products and items, tickets, deals, tasks), not orders or
    /// payments, which a later change cancels; and not when the poll maps a
    /// field that marks the end (`status`, `deleted_at`, `archived`...), a
    /// poll of them takes the ended ones there (`when "status" "Inactive"`),
    /// or a flow deletes in the target. A `schedule` that reads the records
    /// whole (`from`) is a poll here too, when it keeps its copy in a tool;
    /// a scheduled load into a warehouse or a lake is not asked, since it
    /// is as often a full refresh, which drops what the source deleted.
    ///
    /// A business tool where records are acted on (books, a CRM, an ERP, a
    /// shop, a support desk) that gets records *created* from a tool's
    /// records that change after the fact (orders, sales, invoices,
    /// payments, bookings, subscriptions, deals), when the spec declares no
    /// event that ends them, is asked whether it hears their later changes:
    /// quiet when some flow takes another event of those records there (an
    /// update, a payment, a refund, any correction such as `refund.created`
    /// or `charge.disputed`), or an event naming no records. An event with no
    /// `entity=` is taken to be about the records its first word names
    /// (`order.finalized`). Not asked of an `upsert` (it hears every change
    /// it is sent), a warehouse, a mailing tool, a payments system, or the
    /// team's own services. A scheduled read of a system's records
    /// (`schedule` with `from`: a nightly posting) counts as a poll of them.
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
    let mut ends: HashMap<(SystemId, &str), Vec<EventId>> = HashMap::new();
    for id in spec.event_ids() {
        let event = spec.event(id);
        let entity = event.entity.as_ref().map(|e| e.name.value.as_str()).or_else(|| named_records(&event.name.value));
        let (Some(producer), Some(entity)) = (event.from.as_ref().and_then(|f| f.target), entity) else {
            continue;
        };
        if named_for_cancellation(&event.name.value) {
            ends.entry((producer, entity)).or_default().push(id);
        }
    }
    unseen_deletions(ctx, &ends, out);
    unheard_changes(ctx, &ends, out);
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

/// The writes of the flows that copy records somewhere: `(flow, target)`.
type Copies = Vec<(FlowId, usize)>;

/// A system that gets a producer's records only by polling it, with no
/// cancellation declared for them: a poll reads what is there, so a record
/// deleted at the source never shows up, and its copy stays live. Left out
/// where the target hears of deletions some way the spec states: a flow
/// that deletes in it, a declared cancellation (the pass above asks about
/// it), a field the poll maps that marks them (a status, a deleted flag),
/// or a poll of the same records that takes the ended ones there. One
/// finding per producer, entity and target, listing the flows.
fn unseen_deletions(
    ctx: &Context<'_>,
    ends: &HashMap<(SystemId, &str), Vec<EventId>>,
    out: &mut crate::lint::Findings<'_>,
) {
    let spec = ctx.spec;
    let deletes_in: HashSet<SystemId> = spec
        .flows
        .iter()
        .flat_map(|f| &f.targets)
        .filter(|t| t.action.as_ref().is_some_and(|a| a.value == Action::Delete))
        .filter_map(|t| t.system.target)
        .collect();
    // The targets a poll takes ended records to (`when "status"
    // "Inactive"`): a flow of their own hears of the ends.
    let ends_taken: HashSet<(SystemId, &str, SystemId)> = spec
        .flows
        .iter()
        .filter(|flow| flow.when.iter().any(takes_ended))
        .filter_map(|flow| Some((flow, polled(spec, flow)?)))
        .flat_map(|(flow, (producer, entity))| {
            flow.targets.iter().filter_map(move |t| Some((producer, entity, t.system.target?)))
        })
        .collect();
    let mut unseen: BTreeMap<(SystemId, &str, SystemId), Copies> = BTreeMap::new();
    for (flow_id, flow) in spec.flow_ids().zip(&spec.flows) {
        let Some((producer, entity)) = polled(spec, flow) else { continue };
        if ends.contains_key(&(producer, entity)) || marks_deletions(flow) || !super::util::kept_in_place(entity) {
            continue;
        }
        // A scheduled load into a warehouse or a lake is as often a full
        // refresh, which drops what the source deleted, as a merge: the
        // spec does not say which, so only a scheduled copy kept in a tool
        // (a newsletter's subscribers, a desk's users) is asked.
        let scheduled = matches!(flow.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Schedule(_)));
        if scheduled && super::util::loads_only_storage(spec, flow) {
            continue;
        }
        for (index, target) in flow.targets.iter().enumerate() {
            let Some(system) = target.system.target else { continue };
            let keeps = target.action.as_ref().is_some_and(|a| keeps_a_copy(a.value, spec.system(system).kind()));
            if !keeps
                || system == producer
                || spec.system(system).is_transport()
                || deletes_in.contains(&system)
                || ends_taken.contains(&(producer, entity, system))
            {
                continue;
            }
            // A flow with two writes into one system is listed once.
            let copy = unseen.entry((producer, entity, system)).or_default();
            if copy.last().is_none_or(|(f, _)| *f != flow_id) {
                copy.push((flow_id, index));
            }
        }
    }
    for ((producer, entity, system), copies) in unseen {
        let (source, target) = (&spec.system(producer).name.value, &spec.system(system).name.value);
        let flows = name_list(copies.iter().map(|(f, _)| spec.flow(*f).name.value.as_str()));
        let (first, index) = copies[0];
        let flow = spec.flow(first);
        let at = flow.trigger.as_ref().map_or(flow.name.loc, |t| t.loc);
        out.push(
            Diagnostic::new(
                &UNHEARD_CANCELLATION,
                at,
                format!(
                    "`{target}` gets `{entity}` records by polling `{source}` ({flows}), and a poll never sees a \
                     record deleted there: its copy stays live in `{target}`"
                ),
            )
            .with_label("reads what is there, not what was deleted")
            .with_secondary(flow.targets[index].loc, "the records are copied here")
            .with_help(format!(
                "if `{source}` marks deletions on the record (a status, a deleted flag), map that field; otherwise \
                 take its deletion event or compare the full set now and then; if `{target}` hears of it another \
                 way, say how with `allow \"unheard-cancellation\" reason=\"...\"`"
            ))
            .with_owner(Owner::Flow(first)),
        );
    }
}

/// Whether a poll's write of this action keeps a copy of each record that
/// is read as current: one it creates or upserts, or rows it appends to a
/// warehouse or lake, which reports read as what exists. An append anywhere
/// else is a history (a log, a sheet of rows), where a deleted record's rows
/// belong; an update changes a record the target keeps for its own reasons
/// (a CRM's lead, an ERP's item), which a deletion at the source does not
/// end.
fn keeps_a_copy(action: Action, kind: SystemKind) -> bool {
    match action {
        Action::Create | Action::Upsert => true,
        Action::Append => kind.is_storage(),
        _ => false,
    }
}

/// The triggers that take something of a producer's records (by entity;
/// `None`: any) to a target: `(event or none for a poll, flow)`.
type Heard<'s> = HashMap<(SystemId, Option<&'s str>, SystemId), Vec<(Option<EventId>, FlowId)>>;

/// Records a later change corrects rather than edits in place: an order
/// refunded, an invoice voided, a booking moved, a deal lost or reopened.
fn changed_after(entity: &str) -> bool {
    const CHANGED: &[&str] = &[
        "order",
        "sale",
        "invoice",
        "bill",
        "payment",
        "charge",
        "transaction",
        "booking",
        "appointment",
        "reservation",
        "subscription",
        "enrollment",
        "enrolment",
        "registration",
        "deal",
        "opportunity",
    ];
    let last = entity.rsplit(['.', '_', '-', ' ']).next().unwrap_or(entity).to_ascii_lowercase();
    CHANGED.contains(&last.strip_suffix('s').unwrap_or(&last))
}

/// Records that carry a correction of another (a refund of an order, a
/// credit note for an invoice): a flow on them hears a change.
fn a_correction(entity: &str) -> bool {
    const CORRECTIONS: &[&str] =
        &["refund", "return", "credit", "creditnote", "dispute", "chargeback", "adjustment", "void", "cancellation"];
    let last = entity.rsplit(['.', '_', '-', ' ']).next().unwrap_or(entity).to_ascii_lowercase();
    CORRECTIONS.contains(&last.strip_suffix('s').unwrap_or(&last))
}

/// A business tool that gets records created from a producer's records
/// that change after the fact (orders, invoices, bookings, deals), when the
/// spec declares no event that ends them (the first pass asks about those)
/// and no flow takes any later change of them there: the copy keeps what
/// it was created with, through refunds, edits and cancellations. Asked only
/// of `create`s (an `upsert` on every change hears them), into the tools
/// where the copy is acted on (books, CRM, ERP, shop, support desk), not a
/// warehouse, a payments system, a service of the team's or a mailing list.
/// A flow from the producer into the target hears a change when its
/// trigger is another event of those records, an event of a correction
/// (a refund, a credit, a dispute), an event naming no records, or a poll
/// of them that updates. A scheduled read of the producer's records
/// (`schedule` with `from`) counts as a poll. One finding per producer,
/// entity and target.
fn unheard_changes(
    ctx: &Context<'_>,
    ends: &HashMap<(SystemId, &str), Vec<EventId>>,
    out: &mut crate::lint::Findings<'_>,
) {
    let spec = ctx.spec;
    // The creating writes, and the triggers that take something of the
    // producer's records to each target (`None`: a poll).
    let mut created: BTreeMap<(SystemId, &str, SystemId), Copies> = BTreeMap::new();
    let mut heard: Heard<'_> = HashMap::new();
    for (flow_id, flow) in spec.flow_ids().zip(&spec.flows) {
        let Some(trigger) = flow.trigger.as_ref() else { continue };
        let (producer, entity, event) = match &trigger.kind {
            TriggerKind::On { event } => {
                let Some(id) = event.target else { continue };
                let e = spec.event(id);
                let Some(producer) = e.from.as_ref().and_then(|f| f.target) else { continue };
                (
                    producer,
                    e.entity.as_ref().map(|x| x.name.value.as_str()).or_else(|| named_records(&e.name.value)),
                    Some(id),
                )
            }
            TriggerKind::Poll(poll) => {
                let Some(producer) = poll.system.target else { continue };
                (producer, poll.entity.as_ref().map(|x| x.name.value.as_str()), None)
            }
            // A scheduled read of a system's records (`from`) is a poll.
            TriggerKind::Schedule(_) => {
                let Some(source) = flow.from.as_deref() else { continue };
                let Some(producer) = source.system.target else { continue };
                (producer, source.entity.as_ref().map(|x| x.name.value.as_str()), None)
            }
        };
        let (change, correction) = event.map_or((false, false), |e| {
            let name = &spec.event(e).name.value;
            (named_for_change(name) || named_for_cancellation(name), named_for_correction(name))
        });
        // Only a business tool's records: a service of the team's says
        // what its events mean in its own flows.
        let kind = spec.system(producer).kind();
        let a_tool = kind.is_tool() && kind != SystemKind::Custom;
        // Records it does not name may be any, and a correction's are a
        // change of another's: both count for every entity.
        let named = entity.filter(|e| !correction && !a_correction(e));
        for (index, target) in flow.targets.iter().enumerate() {
            let (Some(system), Some(action)) = (target.system.target, target.action.as_ref()) else { continue };
            if system == producer {
                continue;
            }
            let creates = action.value == Action::Create;
            let copied = named.filter(|e| a_tool && creates && !change && changed_after(e));
            if let Some(entity) = copied
                && acted_on(spec.system(system).kind())
                && !ends.contains_key(&(producer, entity))
            {
                let copy = created.entry((producer, entity, system)).or_default();
                if copy.last().is_none_or(|(f, _)| *f != flow_id) {
                    copy.push((flow_id, index));
                }
            }
            // A poll that only creates reads new records, not changes,
            // unless the records it reads are corrections (refunds).
            if event.is_some() || !creates || named.is_none() {
                heard.entry((producer, named, system)).or_default().push((event, flow_id));
            }
        }
    }
    for ((producer, entity, system), copies) in created {
        // The flows that create the copies, and their events, are not a
        // later change.
        let flows: HashSet<FlowId> = copies.iter().map(|(f, _)| *f).collect();
        let events: HashSet<EventId> = copies.iter().filter_map(|(f, _)| spec.flow(*f).trigger_event()).collect();
        let later = |key| {
            heard.get(&key).is_some_and(|t: &Vec<(Option<EventId>, FlowId)>| {
                t.iter().any(|(e, f)| !flows.contains(f) && e.is_none_or(|e| !events.contains(&e)))
            })
        };
        if later((producer, Some(entity), system)) || later((producer, None, system)) {
            continue;
        }
        let (source, target) = (&spec.system(producer).name.value, &spec.system(system).name.value);
        let flows = name_list(copies.iter().map(|(f, _)| spec.flow(*f).name.value.as_str()));
        let (first, index) = copies[0];
        let mut made: Vec<&str> = copies
            .iter()
            .filter_map(|(f, i)| spec.flow(*f).targets[*i].entity.as_ref().map(|e| e.name.value.as_str()))
            .collect();
        made.sort_unstable();
        made.dedup();
        let made = if made.is_empty() { "records".to_owned() } else { format!("{} records", name_list(made)) };
        out.push(
            Diagnostic::new(
                &UNHEARD_CANCELLATION,
                {
                    let write = &spec.flow(first).targets[index];
                    write.entity.as_ref().map_or(write.system.name.loc, |e| e.name.loc)
                },
                format!(
                    "`{target}` gets {made} created from `{source}`'s `{entity}` ({flows}), and no flow takes later \
                     changes of `{entity}` records there (edited, cancelled, refunded, reopened): the copy keeps what \
                     it was created with"
                ),
            )
            .with_label("created once, never corrected")
            .with_help(format!(
                "take `{source}`'s changes to `{entity}` records (their update, refund or cancellation events, declared \
                 with `entity={entity}`) to `{target}`; if `{target}` hears of them another way (its own app, a person), \
                 say how with `allow \"unheard-cancellation\" reason=\"...\"`"
            ))
            .with_owner(Owner::Flow(first)),
        );
    }
}

/// Kinds of system where a copy is acted on: posted, billed, shipped,
/// worked (not a warehouse, a mailing list or a service of the team's).
fn acted_on(kind: SystemKind) -> bool {
    matches!(
        kind,
        SystemKind::Crm | SystemKind::Accounting | SystemKind::Erp | SystemKind::Ecommerce | SystemKind::Support
    )
}

/// The records an event names by its first word when it says no
/// `entity=` (`order.finalized`, `deal.create_invoice_clicked`), if its name
/// has more than one word.
fn named_records(name: &str) -> Option<&str> {
    let (first, _) = name.split_once(['.', '/', ':'])?;
    (!first.is_empty()).then_some(first)
}

/// Whether a poll maps a field that marks a record's end (`status`,
/// `state`, `deleted_at`, `is_active`, `archived`...), so its copies hear
/// of deletions that the source keeps as a mark.
fn marks_deletions(flow: &crate::model::Flow) -> bool {
    let sources = flow.targets.iter().flat_map(|t| t.maps.iter().map(|m| m.src.name.value.as_str()));
    sources.map(str::to_ascii_lowercase).any(|name| {
        let last = name.rsplit('.').next().unwrap_or(&name).to_owned();
        ["delet", "archiv", "cancel", "void", "removed"].iter().any(|w| last.contains(w))
            || matches!(last.as_str(), "status" | "state" | "active" | "is_active" | "enabled" | "lifecycle_stage")
    })
}

/// The producer and entity name of the records a flow polls: a `poll`'s,
/// or those a `schedule` reads whole (`from`), a poll by another name.
fn polled<'s>(spec: &'s crate::model::Spec, flow: &'s crate::model::Flow) -> Option<(SystemId, &'s str)> {
    match &flow.trigger.as_ref()?.kind {
        TriggerKind::On { .. } => None,
        TriggerKind::Poll(_) | TriggerKind::Schedule(_) => {
            Some((flow.source_system(spec)?, super::util::read_entity(spec, flow)?))
        }
    }
}

/// Whether a filter selects ended records: a value that names an end
/// (`when "status" "Inactive"`, `"deleted"`, `"archived"`).
fn takes_ended(filter: &crate::model::Filter) -> bool {
    let Some(crate::model::Constant::String(value)) = filter.value.as_ref().map(|v| &v.value) else { return false };
    let value = value.to_ascii_lowercase();
    ["inactive", "terminat", "delet", "archiv", "cancel", "void", "removed", "disabled", "deactivat"]
        .iter()
        .any(|w| value.contains(w))
}

/// The producer and entity name of the records a flow copies: its event's
/// (unless the event is itself a cancellation), or its poll's.
fn copied<'s>(ctx: &Context<'s>, flow: &'s crate::model::Flow) -> Option<(SystemId, &'s str)> {
    match &flow.trigger.as_ref()?.kind {
        TriggerKind::On { event } => {
            let event = ctx.spec.event(event.target?);
            if named_for_cancellation(&event.name.value) {
                return None;
            }
            let entity =
                event.entity.as_ref().map(|e| e.name.value.as_str()).or_else(|| named_records(&event.name.value));
            Some((event.from.as_ref()?.target?, entity?))
        }
        TriggerKind::Poll(_) | TriggerKind::Schedule(_) => polled(ctx.spec, flow),
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
