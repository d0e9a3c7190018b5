//! `dual-write`: a service that writes its own record and then publishes an
//! event to a broker, in two steps that nothing makes atomic.
//!
//! An info, since the spec alone cannot tell a hand-written service (two
//! steps) from a framework that commits both (Eventuate Tram, Kafka
//! Streams' exactly-once): it asks, and `outbox` settles it. Asked of the
//! team's own services only: a write whose `to` `emits` an event carried
//! by a broker (the service itself publishes it), and a `custom` service that publishes to a broker events no flow's
//! write sets off (its own write comes before them, outside the spec). A
//! vendor's system (`connector=`) publishes its own webhooks, and its
//! atomicity is the vendor's. Language 1.2 says the two are committed
//! together with `outbox` on the system or `outbox=#true` on an `emits`.
//! Linear: one pass over the flows to mark the events a broker carries and
//! the events some write emits, then one over the writes and one over the
//! events.

use super::Context;
use super::util::name_list;
use crate::diagnostic::{Diagnostic, Severity, declare_rule};
use crate::model::{Action, EventId, Owner, Spec, SystemId, SystemKind, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// An info at a write that `emits` an event a broker carries (some flow on the
    /// event runs `via` a broker), into a system that does not say it
    /// publishes through an outbox: the service writes its record (a
    /// payment, an order status) and then publishes the event, two steps
    /// with no transaction around them. A `send` (a notification, no record)
    /// is left out, and so is a system with `connector=` or one that pushes
    /// webhooks (a vendor's own webhooks, which an ingress puts on the
    /// broker).
    ///
    /// Also, a `custom` system (one of the team's services) that
    /// publishes to a broker events no write in the spec sets off: if it
    /// writes its own store before it publishes (an API that saves the
    /// order, then announces it), the same two steps are there, outside the
    /// spec. The info asks; `outbox` on the system settles it, and an
    /// `allow` says the service keeps no store of its own. An event marked
    /// `external` (a device's reading, a clock, a change log read
    /// elsewhere) is left out: the service relays it.
    ///
    /// `outbox` on a system (since 1.2) says it commits every event with
    /// the write that sets it off: an outbox table written in the same
    /// transaction and a relay that publishes it (Eventuate Tram, Debezium's
    /// outbox router), change data capture on its database, or one
    /// transaction across its store and the topic (Kafka Streams with
    /// exactly-once processing). `emits "EVENT" outbox=#true` says so for one event.
    ///
    /// Both are infos: a spec does not say whether a service commits the
    /// two together, and the frameworks that do (Eventuate Tram, Axon,
    /// Debezium's outbox router, Kafka Streams with exactly-once) are common
    /// in exactly the stacks that publish to brokers. Saying `outbox` (or
    /// `allow` with a reason) settles it.
    ///
    /// ## Why it matters
    ///
    /// A crash, a deploy or a broker outage between the write and the
    /// publish leaves them disagreeing: the payment is taken and nobody
    /// ships the order, because the event was never sent; or, publishing
    /// first, the event announces a write that was rolled back. Retrying
    /// does not help, since the service does not know which half happened.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "rabbitmq" kind=broker
    /// system "orders" kind=custom
    /// system "payments" kind=custom
    /// system "shipping" kind=custom
    /// event "payment.requested" from=orders version=1
    /// event "payment.taken" from=payments version=1
    /// flow "take-payment" {
    ///     on "payment.requested"
    ///     via rabbitmq
    ///     to payments action=create entity=payment {
    ///         emits "payment.taken"
    ///     }
    ///     idempotency-key "order_id"
    ///     dead-letter
    ///     log
    /// }
    /// flow "ship" {
    ///     on "payment.taken"
    ///     via rabbitmq
    ///     to shipping action=upsert entity=shipment
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "rabbitmq" kind=broker
    /// system "orders" kind=custom {
    ///     outbox
    /// }
    /// system "payments" kind=custom
    /// system "shipping" kind=custom
    /// event "payment.requested" from=orders version=1
    /// event "payment.taken" from=payments version=1
    /// flow "take-payment" {
    ///     on "payment.requested"
    ///     via rabbitmq
    ///     to payments action=create entity=payment {
    ///         emits "payment.taken" outbox=#true
    ///     }
    ///     idempotency-key "order_id"
    ///     dead-letter
    ///     log
    /// }
    /// flow "ship" {
    ///     on "payment.taken"
    ///     via rabbitmq
    ///     to shipping action=upsert entity=shipment
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static DUAL_WRITE = {
        name: "dual-write",
        code: "WP129",
        severity: Info,
        category: Topology,
        summary: "a service writes its record and publishes an event to a broker, and nothing says the two commit together",
    }
}

/// Whether a system publishes to a broker itself and answers for it: not
/// a vendor's (`connector=`, or one that pushes webhooks, which an ingress
/// puts on the broker), not a transport, and with no `outbox`.
fn publishes_unsafely(spec: &Spec, system: SystemId) -> bool {
    let s = spec.system(system);
    s.outbox.is_none() && s.connector.is_none() && !s.is_transport() && !s.has_webhooks()
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // Per event: the broker a flow on it runs via (the first), and whether
    // some write emits it.
    let mut broker: Vec<Option<SystemId>> = vec![None; spec.events.len()];
    let mut emitted = vec![false; spec.events.len()];
    for flow in &spec.flows {
        if let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind)
            && let Some(e) = event.target
            && flow.via_broker(spec)
            && broker[e.index()].is_none()
        {
            broker[e.index()] = flow.via.as_ref().and_then(|v| v.target);
        }
        for e in flow.targets.iter().flat_map(|t| &t.emits).filter_map(|e| e.target) {
            emitted[e.index()] = true;
        }
    }
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        for target in &flow.targets {
            let Some(action) = target.action.as_ref().filter(|a| a.value != Action::Send) else { continue };
            let Some(system) = target.system.target.filter(|s| publishes_unsafely(spec, *s)) else { continue };
            let unsafe_emits: Vec<(usize, EventId)> = target
                .emits
                .iter()
                .enumerate()
                .filter(|(i, _)| !target.emits_outbox.get(*i).copied().unwrap_or(false))
                .filter_map(|(i, e)| Some((i, e.target?)))
                .filter(|(_, e)| broker[e.index()].is_some())
                .collect();
            let Some(&(first, event)) = unsafe_emits.first() else { continue };
            let names = name_list(unsafe_emits.iter().map(|(_, e)| spec.event(*e).name.value.as_str()));
            let via = broker[event.index()].map_or("", |b| spec.system(b).name.value.as_str());
            let d = Diagnostic::new(
                &DUAL_WRITE,
                target.emits[first].name.loc,
                format!(
                    "flow `{}` writes `{}` (`{}`) and publishes {names} to broker `{via}`: unless the two \
                     commit together, a crash between them loses or invents the event",
                    flow.name.value, target.system.name.value, action.value
                ),
            )
            .with_label("published beside the write; nothing says with it")
            .with_secondary(action.loc, "the write")
            .with_help(format!(
                "commit the event with the write: an outbox table in the same transaction and a relay that \
                 publishes it, or change data capture; then say so with `outbox` on system `{}` (or \
                 `outbox=#true` on the `emits`)",
                spec.system(system).name.value
            ))
            .with_owner(Owner::Flow(id));
            out.push(d);
        }
    }
    // The team's services that publish to a broker events no write sets
    // off: grouped per service, one finding each. An event marked
    // `external` comes from a device, a clock or a change log read
    // elsewhere: the service relays it and keeps no record of it first.
    let mut unwritten: Vec<Vec<EventId>> = vec![Vec::new(); spec.systems.len()];
    for id in spec.event_ids() {
        let event = spec.event(id);
        let Some(producer) = event.from.as_ref().and_then(|f| f.target) else { continue };
        if broker[id.index()].is_some()
            && !emitted[id.index()]
            && event.external.is_none()
            && spec.system(producer).kind() == SystemKind::Custom
            && publishes_unsafely(spec, producer)
        {
            unwritten[producer.index()].push(id);
        }
    }
    for id in spec.system_ids() {
        let events = &unwritten[id.index()];
        let Some(&first) = events.first() else { continue };
        let system = spec.system(id);
        let names = name_list(events.iter().map(|e| spec.event(*e).name.value.as_str()));
        let via = broker[first.index()].map_or("", |b| spec.system(b).name.value.as_str());
        let mut d = Diagnostic::new(
            &DUAL_WRITE,
            system.name.loc,
            format!(
                "service `{}` publishes {names} to broker `{via}`; if it writes its own store first, nothing says \
                 the two are atomic",
                system.name.value
            ),
        )
        .with_label("publishes to a broker, with no outbox")
        .with_secondary(spec.event(first).name.loc, "published by it")
        .with_help(format!(
            "if `{}` saves a record and then publishes, commit the event with the record (an outbox table and a \
             relay, or change data capture) and say `outbox` on the system; if it keeps no store of its own, say \
             so with `allow \"dual-write\" reason=\"...\"`",
            system.name.value
        ))
        .with_owner(Owner::System(id));
        d.severity = Severity::Info;
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    /// A malformed `outbox=` is reported by lowering; the check does not
    /// pile onto it.
    #[test]
    fn a_malformed_outbox_is_not_reported_again() {
        let text = r#"
            system "q" kind=broker
            system "api" kind=custom { outbox; }
            system "pay" kind=payments
            system "ship" kind=custom
            event "asked" from=api version=1
            event "paid" from=pay version=1
            flow "a" { on "asked"; via q; to pay action=create { emits "paid" outbox=5; } }
            flow "b" { on "paid"; via q; to ship action=upsert }
        "#;
        assert!(test_check(&DUAL_WRITE, text).is_empty());
    }

    #[test]
    fn a_write_that_emits_to_a_broker_needs_an_outbox() {
        let text = r#"
            system "q" kind=broker
            system "api" kind=custom
            system "pay" kind=payments
            system "box" kind=custom { outbox; }
            system "vendor" kind=payments connector=stripe
            system "ship" kind=custom
            system "sensor" kind=custom
            event "asked" from=api version=1
            event "read" from=sensor version=1 { external; }
            event "paid" from=pay version=1
            event "boxed" from=box version=1
            event "vended" from=vendor version=1
            event "hooked" from=pay version=1
            event "kept" from=pay version=1
            flow "a" { on "asked"; via q; to pay action=create { emits "paid"; emits "hooked"; } }
            flow "b" { on "asked"; via q; to box action=create { emits "boxed"; } }
            flow "c" { on "asked"; via q; to vendor action=create { emits "vended"; } }
            flow "d" { on "asked"; via q; to pay action=update { emits "kept" outbox=#true; } }
            flow "e" { on "asked"; via q; to pay action=send { emits "paid"; } }
            flow "on-paid" { on "paid"; via q; to ship action=upsert }
            flow "on-boxed" { on "boxed"; via q; to ship action=upsert }
            flow "on-vended" { on "vended"; via q; to ship action=upsert }
            flow "on-kept" { on "kept"; via q; to ship action=upsert }
            flow "on-hooked" { on "hooked"; to ship action=upsert }
            flow "on-read" { on "read"; via q; to ship action=append }
        "#;
        let found = test_check(&DUAL_WRITE, text);
        let messages: Vec<(Severity, &str)> = found.iter().map(|d| (d.severity, d.message.as_str())).collect();
        assert_eq!(
            messages,
            vec![
                (
                    Severity::Info,
                    "flow `a` writes `pay` (`create`) and publishes `paid` to broker `q`: unless the two commit \
                     together, a crash between them loses or invents the event"
                ),
                (
                    Severity::Info,
                    "service `api` publishes `asked` to broker `q`; if it writes its own store first, nothing says \
                     the two are atomic"
                ),
            ]
        );
    }
}
