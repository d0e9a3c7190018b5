//! `unordered-events`: a consumer that depends on an order between events
//! (language 1.2's `after`) that its transport does not guarantee, and a
//! write whose reference (`customer_id`) another flow brings on a trigger
//! of its own, with no order stated.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::Context;
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{Action, EventId, FlowId, Loc, Owner, SystemId, SystemKind, TriggerKind};

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
    /// same system, it is named. The writes of one flow that rely on the
    /// same earlier event are one finding, which names them (three, and
    /// counts the rest) and points at each.
    ///
    /// An order that holds by how the events come about is not asked
    /// about. Cause and effect: every flow that `emits` the later event is
    /// on the earlier one (a payment's result published by the flow that
    /// took the order), and each flow on the earlier event that writes the
    /// consumer's system emits it too, after its writes; the later event
    /// does not exist until the earlier one was handled. So too hops
    /// later: every flow that emits the later event runs only because a
    /// flow on the earlier one that writes the consumer's system ran (it
    /// is on an event that only such flows emit, and so on: a refund
    /// issued by the compensation the charge's handler set off), followed
    /// through at most 64 flows. Made first: no flow on the earlier event
    /// writes the consumer's system, and every flow that emits the earlier
    /// event writes that system at or before the write that emits it (the
    /// travel is updated, then its visa application sent): the record is
    /// there before the earlier event is. One log: both
    /// events come from one producer with `outbox` (an event store, an
    /// outbox table), and the consumer and the earlier event's flows that
    /// write its system all read that log, not through a broker, in the
    /// order it was written (the projections of an event-sourced stream);
    /// a `database`'s own change notifications are its log too. Answered
    /// first: one client (a `website`) sends both events, and every flow on the earlier
    /// one that writes the consumer's system answers it (`reply`) after
    /// its writes, so the caller sends the later request with what the
    /// answer gave it (the payment for the checkout it was answered).
    /// Where more than eight flows on the earlier event write the
    /// consumer's system, the order is asked about as before.
    ///
    /// A vendor's own integration (`run-by SYSTEM`, since 1.2, or an
    /// automation inside one product with nothing of its delivery stated)
    /// is reported at info: whether it waits for the earlier record is the
    /// vendor's, a question for them.
    ///
    /// It also asks, at info, of a write into a business tool whose field
    /// refers to records (the words before an identifier's last word:
    /// `customer_id`, `CustomerRef`, `RecurringDonationId`) that another
    /// flow brings into that tool on a trigger of its own, when nothing
    /// states an order between them: not where the flow writes the record
    /// first, where its event says `after` one of the other flow's events,
    /// where the write is retried, for an external id that names a system
    /// (`shopify_order_id`), or for a many-word reference to people
    /// (`IncomeAccountRef` is a ledger's account: people go by several
    /// names only in a one-word reference such as `AccountId`).
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

/// How many flows on an earlier event writing one system `unordered-events`
/// looks at to say an order holds by how the events come about.
const ORDERED_WRITERS: usize = 8;

/// How many flows a chain of cause and effect is followed through before
/// the order is asked about as before.
const DOWNSTREAM_FLOWS: usize = 64;

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    unstated_references(spec, out);
    if spec.events.iter().all(|e| e.after.is_empty()) {
        return;
    }
    // The flows on each event, and the first write of a flow on each event
    // into each system, built once: lookups stay linear in the spec.
    let mut consumers: HashMap<EventId, Vec<FlowId>> = HashMap::default();
    let mut writes: HashMap<(EventId, SystemId), Loc> = HashMap::default();
    // The flows on each event that write each system (the first
    // `ORDERED_WRITERS`, and one more to say there are more), each flow
    // with the events it emits, and the event whose flows alone emit each
    // event (`None` once flows on two events do).
    let mut writers: HashMap<(EventId, SystemId), Vec<FlowId>> = HashMap::default();
    let mut emits: HashSet<(FlowId, EventId)> = HashSet::default();
    let mut emitted_on: HashMap<EventId, Option<EventId>> = HashMap::default();
    // The flows that emit each event and the events each flow emits; and
    // where in a flow (the index of its `to`) each system is first written
    // and each event first emitted, to tell a record made before an event.
    let mut emitters: HashMap<EventId, Vec<FlowId>> = HashMap::default();
    let mut emitted_by: HashMap<FlowId, Vec<EventId>> = HashMap::default();
    let mut first_write: HashMap<(FlowId, SystemId), usize> = HashMap::default();
    let mut first_emit: HashMap<(FlowId, EventId), usize> = HashMap::default();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        if let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind)
            && let Some(e) = event.target
        {
            consumers.entry(e).or_default().push(id);
            for t in &flow.targets {
                if let Some(system) = t.system.target {
                    writes.entry((e, system)).or_insert(t.system.name.loc);
                    let flows = writers.entry((e, system)).or_default();
                    if flows.last() != Some(&id) && flows.len() <= ORDERED_WRITERS {
                        flows.push(id);
                    }
                }
            }
        }
        let on = flow.trigger_event();
        for (i, target) in flow.targets.iter().enumerate() {
            if let Some(system) = target.system.target {
                first_write.entry((id, system)).or_insert(i);
            }
            for emitted in target.emits.iter().filter_map(|e| e.target) {
                if !emits.insert((id, emitted)) {
                    continue;
                }
                first_emit.insert((id, emitted), i);
                emitters.entry(emitted).or_default().push(id);
                emitted_by.entry(id).or_default().push(emitted);
                let by = emitted_on.entry(emitted).or_insert(on);
                if *by != on {
                    *by = None;
                }
            }
        }
    }
    // The flows that run only because `from` ran: its own, and those on
    // events that only such flows emit, and so on. Followed through at most
    // `DOWNSTREAM_FLOWS` flows and as many events, so that a query stays
    // constant time; kept per flow once asked.
    let downstream_of = |from: FlowId| -> HashSet<FlowId> {
        let mut only: HashSet<FlowId> = HashSet::default();
        only.insert(from);
        let mut queue = vec![from];
        let mut looked = 0;
        while let Some(flow) = queue.pop() {
            for e in emitted_by.get(&flow).map_or(&[][..], Vec::as_slice) {
                looked += 1;
                if looked > DOWNSTREAM_FLOWS || only.len() >= DOWNSTREAM_FLOWS {
                    return only;
                }
                let by = emitters.get(e).map_or(&[][..], Vec::as_slice);
                if by.len() > DOWNSTREAM_FLOWS || !by.iter().all(|f| only.contains(f)) {
                    continue;
                }
                for &next in consumers.get(e).map_or(&[][..], Vec::as_slice).iter().take(DOWNSTREAM_FLOWS) {
                    if only.insert(next) {
                        queue.push(next);
                    }
                }
            }
        }
        only
    };
    let downstream: std::cell::RefCell<HashMap<FlowId, std::rc::Rc<HashSet<FlowId>>>> = Default::default();
    // Whether the order `later` after `earlier` holds by how the events
    // come about, for a consumer of `later` that writes `system`.
    let ordered = |later: EventId, earlier: EventId, system: Option<SystemId>, reader: &crate::model::Flow| {
        let earlier_writers = system.and_then(|s| writers.get(&(earlier, s))).map_or(&[][..], Vec::as_slice);
        // More writers than are kept: too many to say the order holds for
        // each, and it is asked as before (each test below stays constant
        // time, where a consumer per writer would make it quadratic).
        if earlier_writers.len() > ORDERED_WRITERS {
            return false;
        }
        // Cause and effect: only flows on the earlier event emit the later
        // one, and each of them that writes the system emits it too, after
        // its writes. The later event exists only once the earlier one was
        // handled (a payment's result published by the flow that took the
        // order), so it cannot overtake it.
        let caused = emitted_on.get(&later) == Some(&Some(earlier))
            && earlier_writers.iter().all(|&f| emits.contains(&(f, later)));
        // Cause and effect, further on: every flow that emits the later
        // event runs only because a flow on the earlier one that writes
        // the system ran (a refund issued by a compensation that the
        // charge's handler set off, hops later), so it follows each of
        // their writes.
        let later_emitters = emitters.get(&later).map_or(&[][..], Vec::as_slice);
        let caused_further = !caused
            && !earlier_writers.is_empty()
            && !later_emitters.is_empty()
            && earlier_writers.iter().all(|&w| {
                let only = downstream.borrow_mut().entry(w).or_insert_with(|| downstream_of(w).into()).clone();
                later_emitters.iter().all(|e| *e != w && only.contains(e))
            });
        // Made first: no flow on the earlier event writes the system, and
        // every flow that emits the earlier event wrote it before (the
        // travel is updated, then its visa application sent): the record
        // is there before the earlier event is, whatever comes after it.
        let made_first = earlier_writers.is_empty()
            && system.is_some_and(|s| {
                let by = emitters.get(&earlier).map_or(&[][..], Vec::as_slice);
                (1..=ORDERED_WRITERS).contains(&by.len())
                    && by.iter().all(|&f| {
                        matches!((first_write.get(&(f, s)), first_emit.get(&(f, earlier))), (Some(w), Some(e)) if w <= e)
                    })
            });
        // One log: both events come from one store's log (`outbox`: an
        // event store, an outbox table; or a `database`'s own change
        // notifications, in commit order), and every flow here reads it,
        // not through a broker, in the order it was written (a projection
        // of an event-sourced stream).
        let producer = |e: EventId| spec.event(e).from.as_ref().and_then(|f| f.target);
        let store = producer(later).filter(|&p| producer(earlier) == Some(p)).map(|p| spec.system(p));
        // However it acknowledges (a lost event is another rule's), a
        // flow that reads the store's events itself reads them in order.
        let a_log =
            store.is_some_and(|s| s.outbox.is_some() || (s.kind() == SystemKind::Database && !s.has_webhooks()));
        let reads_the_log = |f: &crate::model::Flow| a_log && !f.via_broker(spec);
        let one_log =
            store.is_some() && reads_the_log(reader) && earlier_writers.iter().all(|&f| reads_the_log(spec.flow(f)));
        // Answered first: one client (a `website`: a browser, an app)
        // sends both, and every flow on the earlier event that writes the
        // system answers it (`reply`) after its writes; the client sends
        // the later request with what that answer gave it (the payment for
        // the checkout it was answered). A vendor's webhooks are not sent
        // so: the sender needs nothing from the answer.
        let answered = store.is_some_and(|s| s.kind() == SystemKind::Website)
            && !earlier_writers.is_empty()
            && earlier_writers.iter().all(|&f| spec.flow(f).reply.is_some());
        caused || caused_further || made_first || one_log || answered
    };
    // In the order of the spec's events, so that the findings are too.
    for event_id in spec.event_ids() {
        let event = spec.event(event_id);
        let Some(flows) = consumers.get(&event_id) else { continue };
        let afters: Vec<(&crate::model::Ref<EventId>, EventId)> =
            event.after.iter().filter_map(|a| Some((a, a.target?))).collect();
        let Some(&(first, first_id)) = afters.first() else { continue };
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
            // One fact, one finding: the writes of this flow that rely on
            // the same earlier event (a contact and an invoice updated for
            // one reissue) are one finding, which names each write and
            // points at it. Keyed by the earlier event; each holds the
            // finding and the writes it names.
            let mut asked: Vec<(EventId, Diagnostic, Vec<String>)> = Vec::new();
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
                    afters.iter().take(8).find_map(|&(a, earlier)| Some((a, earlier, *writes.get(&(earlier, s))?)))
                });
                // A `create` needs the earlier record only where the earlier
                // event's flows write the same system.
                if creates && (written.is_none() || needs_some) {
                    continue;
                }
                let (after, after_id) = written.map_or((first, first_id), |(a, earlier, _)| (a, earlier));
                if ordered(event_id, after_id, target.system.target, flow) {
                    continue;
                }
                let write = format!("`{}` on `{}`", action.value, target.system.name.value);
                let label = if creates {
                    "refers to the earlier event's record, which may not be there yet"
                } else {
                    "fails when the earlier event's record is not there yet"
                };
                if let Some((_, same, writes)) = asked.iter_mut().find(|(a, _, _)| *a == after_id) {
                    same.secondary.push(crate::diagnostic::Label { loc: action.loc, message: label.into() });
                    writes.push(write);
                    continue;
                }
                let mut d = Diagnostic::new(
                    &UNORDERED_EVENTS,
                    action.loc,
                    format!(
                        "flow `{}` does `{}` on `{}` for `{}`, which must follow `{}`, but nothing delivers it after",
                        flow.name.value, action.value, target.system.name.value, event.name.value, after.name.value
                    ),
                )
                .with_label(label)
                .with_secondary(after.name.loc, "the order the consumer relies on");
                if let Some((_, _, w)) = written {
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
                    asked.push((after_id, d, vec![write]));
                    continue;
                }
                asked.push((after_id, d.with_help(help).with_owner(Owner::Flow(id)), vec![write]));
            }
            // The message is `flow F does WRITE for E...`: the first write
            // is replaced by the list, by position, whatever the names hold.
            let head = format!("flow `{}` does ", flow.name.value).len();
            for (_, mut d, writes) in asked {
                if let [first, ..] = &writes[..]
                    && writes.len() > 1
                {
                    // A few named, the rest counted: a flow may have thousands.
                    let all = crate::prose::list(&writes[..writes.len().min(3)], writes.len(), 3, "and");
                    d.message.replace_range(head..head + first.len(), &all);
                }
                out.push(d);
            }
        }
    }
}

/// Kinds of business tool that refuse a record whose reference points at
/// nothing (an invoice for a customer it does not have, an order line for
/// an unknown item): not a warehouse, which loads what it gets, nor a
/// service of the team's, whose own code decides.
fn refuses_dangling(kind: SystemKind) -> bool {
    matches!(
        kind,
        SystemKind::Crm
            | SystemKind::Accounting
            | SystemKind::Erp
            | SystemKind::Ecommerce
            | SystemKind::Support
            | SystemKind::Payments
            | SystemKind::Marketing
            | SystemKind::Email
    )
}

/// The records a field refers to by its words, most specific first
/// (`recurring_donation`, then `recurring` and `donation`, for
/// `RecurringDonationId`), when its last word is an identifier's; none
/// for an external id that names a system (`shopify_order_id` is the
/// shop's id kept beside the record, not a record of the target's).
fn referred(field: &str, systems: &HashSet<String>) -> Vec<String> {
    let words = super::util::field_words(field);
    let Some(before) = super::util::referenced_words(&words) else { return Vec::new() };
    if words.iter().any(|w| systems.contains(w)) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(before.len() + 1);
    if before.len() > 1 {
        out.push(before.join("_"));
    }
    out.extend(before.iter().cloned());
    out
}

/// The lower-case name of an entity without a plural `s`, for comparing
/// with a field's words.
fn record_name(entity: &str) -> String {
    let lower = entity.to_ascii_lowercase();
    lower.strip_suffix('s').map_or(lower.clone(), str::to_owned)
}

/// The key a record is brought under: people and companies go by several
/// names (an `AccountId` for a `constituent`), so they share one.
fn brought_key(system: SystemId, record: &str) -> (SystemId, String) {
    // Roles that are other people than a business's customers keep their
    // own names: an `EmployeeRef` is not a customer.
    const ROLES: &[&str] = &["employee", "user", "vendor", "supplier", "candidate", "patient"];
    let last = record.rsplit('_').next().unwrap_or(record);
    if super::util::is_party(record) && !ROLES.contains(&last) {
        (system, "\u{0}party".to_owned())
    } else {
        (system, record.to_owned())
    }
}
/// A write into a business tool whose field refers to records (by its
/// words: an invoice's `customer_id`) that another flow brings into that
/// tool on a trigger of its own, when nothing states an order between the
/// two: the reference may arrive first (the other flow's run is queued,
/// failed or later) and the tool refuses it or points it at nothing. Not
/// asked where the same flow writes the record first, where its event says
/// `after` one of the other flow's events (the pass below asks about
/// that), where the write is retried, or where it goes back into the tool
/// the flow's trigger came from (which told of the record). An info, one per flow; linear:
/// one pass to index what each flow brings, one to ask.
fn unstated_references(spec: &crate::model::Spec, out: &mut crate::lint::Findings<'_>) {
    // The flows that create or upsert each record into each tool, and the
    // record's name as the first of them writes it.
    let mut brought: HashMap<(SystemId, String), (&str, Vec<FlowId>)> = HashMap::default();
    for id in spec.flow_ids() {
        for target in &spec.flow(id).targets {
            let (Some(system), Some(entity), Some(action)) =
                (target.system.target, target.entity.as_ref(), target.action.as_ref())
            else {
                continue;
            };
            if matches!(action.value, Action::Create | Action::Upsert) && refuses_dangling(spec.system(system).kind()) {
                let key = brought_key(system, &record_name(&entity.name.value));
                let (_, flows) = brought.entry(key).or_insert((entity.name.value.as_str(), Vec::new()));
                if flows.last() != Some(&id) && flows.len() < 8 {
                    flows.push(id);
                }
            }
        }
    }
    if brought.is_empty() {
        return;
    }
    let systems: HashSet<String> = spec.systems.iter().map(|s| s.name.value.to_ascii_lowercase()).collect();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let event = flow.trigger_event();
        let source = flow.source_system(spec);
        let asked = flow.targets.iter().enumerate().find_map(|(index, target)| {
            let system = target.system.target?;
            let action = target.action.as_ref()?;
            // A write back into the tool its trigger came from refers to
            // what that tool told of: a note on the ticket whose
            // conversation set the flow off is there already.
            if !matches!(action.value, Action::Create | Action::Upsert | Action::Update)
                || flow.retry.is_some()
                || target.retry.is_some()
                || !refuses_dangling(spec.system(system).kind())
                || source == Some(system)
            {
                return None;
            }
            let own = target.entity.as_ref().map(|e| brought_key(system, &record_name(&e.name.value)));
            // The fields it writes, and the required ones of its record
            // (which the write must fill by a lookup the spec cannot state).
            let declared = target.entity.as_ref().and_then(|e| e.target).map(|e| spec.entity(e));
            let required = declared.into_iter().flat_map(|e| &e.fields).filter(|f| f.required && !f.generated);
            let at = target.entity.as_ref().map_or(target.system.name.loc, |e| e.name.loc);
            let fields = target
                .written_fields()
                .map(|f| (&f.name.value, f.name.loc))
                .chain(required.map(|f| (&f.name.value, at)));
            fields.into_iter().find_map(|(field, loc)| {
                // The most specific record the field names that some flow
                // brings: `RecurringDonationId` is a recurring donation's,
                // not a one-time donation's.
                // People go by several names only where the field is one
                // word and an id (`AccountId`); `IncomeAccountRef` is a
                // ledger's account, not a customer.
                let candidates = referred(field, &systems);
                let single = candidates.len() == 1;
                let key_of = |w: &str| if single { brought_key(system, w) } else { (system, w.to_owned()) };
                let word = candidates.into_iter().find(|w| brought.contains_key(&key_of(w)));
                word.and_then(|word| {
                    let key = key_of(&word);
                    if own.as_ref() == Some(&key) {
                        return None;
                    }
                    let (name, others) = brought.get(&key)?;
                    // Written first by this flow, or ordered by `after`.
                    let earlier_here = flow.targets[..index].iter().any(|t| {
                        t.system.target == Some(system)
                            && t.entity
                                .as_ref()
                                .is_some_and(|e| brought_key(system, &record_name(&e.name.value)) == key)
                    });
                    let ordered = event.is_some_and(|e| {
                        spec.event(e).after.iter().filter_map(|a| a.target).any(|before| {
                            others.iter().any(|&o| {
                                matches!(spec.flow(o).trigger.as_ref().map(|t| &t.kind),
                                    Some(TriggerKind::On { event }) if event.target == Some(before))
                            })
                        })
                    });
                    if others.contains(&id) || earlier_here || ordered {
                        return None;
                    }
                    Some((target, (field, loc), *name, others[0]))
                })
            })
        });
        let Some((target, (field, loc), word, other)) = asked else { continue };
        let system = &target.system.name.value;
        let records =
            target.entity.as_ref().map_or_else(|| "records".to_owned(), |e| format!("`{}` records", e.name.value));
        let mut d = Diagnostic::new(
            &UNORDERED_EVENTS,
            loc,
            format!(
                "flow `{}` writes {records} into `{system}` that refer to `{word}` records (`{}`), which reach \
                 `{system}` by another flow (`{}`) on a trigger of its own: when one has not arrived yet (queued, \
                 failed or later), `{system}` refuses the write or points it at nothing",
                flow.name.value,
                field,
                spec.flow(other).name.value,
            ),
        )
        .with_label(format!("refers to `{word}` records another flow brings"))
        .with_secondary(spec.flow(other).name.loc, format!("brings the `{word}` records on its own trigger"))
        .with_help(format!(
            "write the `{word}` record in this flow first (find or create it), or state the order (`after` on the event) \
             and `retry` until it is there; if it is always there first, say why with `allow \"unordered-events\" \
             reason=\"...\"`"
        ))
        .with_owner(Owner::Flow(id));
        d.severity = crate::diagnostic::Severity::Info;
        out.push(d);
    }
}
